"""Architecture specifications: which network a Lasso library stands for.

An :class:`Architecture` is a small immutable value (activation, depth, family, first-layer
bias kinds, skip connection, input dimension).  Constructing one validates the combination
against what the papers prove, so an unsupported request fails early with a message that
names what is supported.
"""
from __future__ import annotations

from dataclasses import dataclass

from gaconvex._validation import GaconvexError

from .activations import Activation, get_activation

__all__ = ["Architecture", "architecture", "FAMILIES"]

FAMILIES = ("deep_narrow", "symmetrized")


@dataclass(frozen=True)
class Architecture:
    """A parallel network architecture of 002 Sec. 2-3 (d = 1).

    Attributes
    ----------
    activation : Activation
    depth : int
        L, the number of weight layers including the output weights (L = 2: one hidden layer).
    family : {"deep_narrow", "symmetrized"}
        ``deep_narrow``: parallel units of width 1 (002 Sec. 3; L = 2 is the ordinary
        two-layer network).  ``symmetrized``: the 3-layer unit with a width-2 middle layer and
        equal-magnitude weights (002 Sec. 1.5, Thm 3.5/3.13).
    midpoints : bool
        Also use midpoint first-layer biases (002 Def. 3.8); needed for completeness with a
        non-monotone activation at L = 3 (002 Thm 3.11).
    skip : bool
        Skip connection f + omega x: an extra unpenalized column x (002 Sec. 3.1, Lemma 3.1).
    dim : int
        Input dimension; the 1-D libraries of 002 have ``dim = 1``.
    """

    activation: Activation
    depth: int
    family: str = "deep_narrow"
    midpoints: bool = False
    skip: bool = False
    dim: int = 1

    def __post_init__(self):
        act, L = self.activation, self.depth
        if not isinstance(L, int) or L < 2:
            raise GaconvexError(f"depth must be an integer >= 2 (one hidden layer), got {L!r}.")
        if self.family not in FAMILIES:
            raise GaconvexError(f"family must be one of {FAMILIES}, got {self.family!r}.")
        if act.is_sign_determined and L > 2:
            raise GaconvexError(
                f"{act.name} networks are supported for depth 2 only (002 Thm 3.11, Cor. 3.15); "
                f"got depth {L}. Use relu, leaky_relu or abs for deeper networks.")
        if self.midpoints and act.is_monotone:
            raise GaconvexError(
                f"midpoint biases apply to non-monotone activations only (002 Def. 3.8, Lemma "
                f"D.10); {act.name} is monotone, so its data-bias library is already complete. "
                "Use midpoints=False.")
        if self.midpoints and L < 3:
            raise GaconvexError("midpoint biases need depth >= 3 (002 Def. 3.9); got depth 2.")
        if self.family == "symmetrized":
            if L != 3:
                raise GaconvexError(
                    f"the symmetrized family is worked out for depth 3 only (002 Thm 3.13); got {L}.")
            if not (act.is_homogeneous and act.is_monotone and not act.is_even):
                raise GaconvexError(
                    f"the symmetrized family needs a monotone continuous piecewise-linear activation "
                    f"(relu or leaky_relu with a >= 0; 002 Thm 3.13); got {act.name}.")
            if self.midpoints:
                raise GaconvexError("the symmetrized family has no midpoint biases (002 Thm 3.13).")
        if self.dim != 1:
            raise GaconvexError(
                f"symbolic derivation supports input dimension 1 (002); got dim={self.dim}. "
                "d-dimensional wedge / reflection-plane families are built by "
                "gaconvex.dictionaries from the 1-D family along projected coordinates.")

    @property
    def effective_depth(self) -> int:
        """L~ of the training objective (1.1): L, or 2 for sign/threshold (002 Remark D.1)."""
        return 2 if self.activation.is_sign_determined else self.depth

    @property
    def has_free_intercept(self) -> bool:
        """Whether xi is a free Lasso variable (False for sign/threshold, 002 Thm 3.11)."""
        return self.activation.has_free_intercept

    def beta_tilde(self, beta):
        """Lasso regularization beta~ for training regularization beta.

        beta~ = beta except for the symmetrized family, where beta~ = 2 beta: the paper's
        beta/2 (002 Lemma D.5) is an erratum (spec seed-002 Sec. 0.1, docs/errata.md).
        """
        return 2 * beta if self.family == "symmetrized" else beta

    def __str__(self) -> str:
        extra = [self.family]
        if self.midpoints:
            extra.append("midpoints")
        if self.skip:
            extra.append("skip")
        return f"{self.activation.name} L={self.depth} ({', '.join(extra)})"


def architecture(activation, depth: int, family: str = "deep_narrow", *, midpoints=None,
                 skip: bool = False, dim: int = 1) -> Architecture:
    """Build an :class:`Architecture`; ``midpoints=None`` picks the complete library's default:
    midpoint biases on for non-monotone deep narrow networks with L >= 3 (002 Thm 3.11)."""
    act = get_activation(activation)
    if midpoints is None:
        midpoints = family == "deep_narrow" and depth >= 3 and not act.is_monotone
    return Architecture(act, depth, family, bool(midpoints), skip, dim)
