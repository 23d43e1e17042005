"""Architecture specifications: which network a Lasso library stands for.

An :class:`Architecture` is a small immutable value (activation, depth, network family,
first-layer bias kinds, skip connection, input dimension).  Constructing one validates the combination
against what the papers prove, so an unsupported request fails early with a message that
names what is supported.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from gaconvex._validation import GaconvexError

from .activations import Activation, get_activation
from .families import NetworkFamily, get_family

__all__ = ["Architecture", "architecture", "MAX_DEPTH"]

#: Deepest supported unit: a unit's expression doubles with every layer (each data bias holds
#: the whole prefix evaluated at its anchor), and raw libraries grow as N^(L-1).
MAX_DEPTH = 12


@dataclass(frozen=True)
class Architecture:
    """A parallel network architecture of 002 Sec. 2-3.

    Attributes
    ----------
    activation : Activation
    depth : int
        L, the number of weight layers including the output weights (L = 2: one hidden layer).
    family : NetworkFamily
        The unit the network repeats, from the registry :data:`gaconvex.symbolic.FAMILIES`
        (deep narrow: width-1 layers, 002 Sec. 3; symmetrized: 002 Sec. 1.5, Thm 3.5/3.13).
    midpoints : bool
        Also use midpoint first-layer biases (002 Def. 3.8); needed for completeness with a
        non-monotone activation at L = 3 (002 Thm 3.11).
    skip : bool
        Skip connection f + omega x: an extra unpenalized column x (002 Sec. 3.1, Lemma 3.1).
    dim : int
        Input dimension; the 1-D libraries of 002 have ``dim = 1``.
    norm : int
        p of the first-layer penalty ||W_j||_p^2 (001 eq. (2)): 2 (weight decay) or 1; only
        families listing p in ``family.norms`` accept it.
    bias : bool
        Whether the network has biases (first layer and output); ``False`` (bias-free
        networks of 001 Thms 2, 4, 17: no Lasso intercept) needs ``family.bias_free``.
    """

    activation: Activation
    depth: int
    family: NetworkFamily
    midpoints: bool = False
    skip: bool = False
    dim: int = 1
    norm: int = 2
    bias: bool = True

    def __post_init__(self):
        for name in ("depth", "dim"):
            object.__setattr__(self, name, _as_int(getattr(self, name)))
        L = self.depth
        if isinstance(L, bool) or not isinstance(L, int) or L < 2:
            raise GaconvexError(f"depth must be an integer >= 2 (one hidden layer), got {L!r}.")
        if L > MAX_DEPTH:
            raise GaconvexError(
                f"depth {L} is above the supported maximum {MAX_DEPTH}: a unit's feature "
                "expression doubles in size with every layer and its raw library has N^(L-1) "
                "columns per sign pattern. Use depth <= 12 (deep narrow ReLU gains nothing beyond "
                "L = 3, 002 Thm 3.2; deep abs libraries are sampled with max_columns).")
        if not isinstance(self.family, NetworkFamily):
            raise GaconvexError(f"family must be a registered NetworkFamily, got {self.family!r}; "
                                "use gaconvex.symbolic.architecture(..., family=name).")
        if self.midpoints and self.activation.is_monotone:
            raise GaconvexError(
                f"midpoint biases apply to non-monotone activations only (002 Def. 3.8, Lemma "
                f"D.10); {self.activation.name} is monotone, so its data-bias library is already "
                "complete. Use midpoints=False.")
        if self.midpoints and L < 3:
            raise GaconvexError("midpoint biases need depth >= 3 (002 Def. 3.9); got depth 2.")
        if isinstance(self.dim, bool) or not isinstance(self.dim, int) or self.dim < 1:
            raise GaconvexError(f"dim must be a positive integer, got {self.dim!r}.")
        if isinstance(self.norm, bool) or self.norm not in self.family.norms:
            raise GaconvexError(f"norm must be one of {self.family.norms} for the "
                                f"{self.family.name} family (p of the penalty ||W_j||_p^2), "
                                f"got {self.norm!r}.")
        if not isinstance(self.bias, bool) or not (self.bias or self.family.bias_free):
            raise GaconvexError(f"the {self.family.name} family has biases (bias=True); got "
                                f"bias={self.bias!r}. Bias-free networks need a family with "
                                "bias_free support (the d-D wedge family, 001 Thm 4).")
        self.family.check(self)

    @property
    def effective_depth(self) -> int:
        """L~ of the training objective (1.1): L, or 2 for sign/threshold (002 Remark D.1)."""
        return self.activation.effective_depth(self.depth)

    @property
    def has_free_intercept(self) -> bool:
        """Whether xi is a free Lasso variable (False for sign/threshold, 002 Thm 3.11, and
        for bias-free networks, 001 Thm 4, unless later layers keep biases, 001 Thm 12)."""
        return self.activation.has_free_intercept and (self.bias
                                                       or self.family.intercept_without_bias)

    @property
    def hidden_widths(self) -> tuple:
        """Hidden widths (m_1, ..., m_{L-1}) of one unit."""
        return self.family.hidden_widths(self.depth)

    @property
    def tied_layers(self) -> tuple:
        """Per hidden layer: whether its weights share one magnitude per unit (symmetrized)."""
        return self.family.tied_layers(self.depth)

    def beta_tilde(self, beta):
        """Lasso regularization beta~ = ``family.penalty_factor`` * beta for training beta.

        beta~ = beta except for the symmetrized family, where beta~ = 2 beta: the paper's
        beta/2 (002 Lemma D.5) is an erratum (spec seed-002 Sec. 0.1, docs/errata.md).  This is
        the one place where beta~ is computed.
        """
        return self.family.penalty_factor * beta

    def __str__(self) -> str:
        extra = [self.family.name]
        if self.midpoints:
            extra.append("midpoints")
        if self.skip:
            extra.append("skip")
        if self.dim != 1:
            extra.append(f"d={self.dim}")
        if self.norm != 2 or len(self.family.norms) > 1:
            extra.append(f"p={self.norm}")
        if not self.bias:
            extra.append("no bias")
        return f"{self.activation.name} L={self.depth} ({', '.join(extra)})"


def _as_int(value):
    """numpy integers (np.int64(3) from np.arange) as int; anything else unchanged (checked
    by Architecture)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    return value


def architecture(activation, depth: int, family=None, *, midpoints=None, skip: bool = False,
                 dim: int = 1, norm: int | None = None, bias: bool = True) -> Architecture:
    """Build an :class:`Architecture`.

    ``family``: a registered name or :class:`NetworkFamily` (default: deep narrow for
    ``dim = 1``; for ``dim > 1`` the first registered d-dimensional family that supports the
    request, e.g. the wedge family of 001).
    ``midpoints=None`` picks the complete library's default (002 Thm 3.11): midpoint biases on
    for non-monotone deep narrow networks with L >= 3.  ``norm=None`` is the family's default
    p (``family.norms[0]``); ``bias=False`` asks for a bias-free network.
    """
    act = get_activation(activation)
    depth, dim = _as_int(depth), _as_int(dim)
    if family is None and dim != 1:
        return _multidim(act, depth, midpoints, skip, dim, norm, bias)
    fam = get_family(family)
    if midpoints is None:
        midpoints = isinstance(depth, int) and fam.default_midpoints(act, depth)
    return Architecture(act, depth, fam, bool(midpoints), skip, dim,
                        fam.norms[0] if norm is None else norm, bias)


def _multidim(act, depth, midpoints, skip, dim, norm, bias) -> Architecture:
    """The first registered d-dimensional family whose check accepts the request."""
    from .families import multidim_families

    errors = []
    for fam in multidim_families():
        try:
            return architecture(act, depth, fam, midpoints=midpoints, skip=skip, dim=dim,
                                norm=norm, bias=bias)
        except GaconvexError as error:
            errors.append(f"{fam.name}: {error}")
    raise GaconvexError(f"no network family supports {act.name} depth {depth} on {dim}-D inputs: "
                        + (" ".join(errors) or "none is registered."))
