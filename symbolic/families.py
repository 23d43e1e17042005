"""Network families: which unit a parallel network repeats, as registered objects.

A :class:`NetworkFamily` says everything about a network family that the rest of gaconvex
needs: its unit's hidden widths and tied layers (for the torch networks), how the Lasso
penalty beta~ relates to the training beta, which architectures it supports, and how its
Lasso features are derived.  Families register themselves (:func:`register_family`) from
their own module (``deep_narrow``, ``symmetrized``); nothing else compares family names, so a
new family is one new module plus one registration.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from gaconvex._validation import GaconvexError

if TYPE_CHECKING:
    from .activations import Activation
    from .architecture import Architecture

__all__ = ["NetworkFamily", "FAMILIES", "register_family", "get_family", "default_family",
           "multidim_families"]


class OnArchitecture:
    """Mixin of the d-D feature families (wedge, three-layer wedge, reflection planes): the
    network's shape, read from their ``architecture`` field."""

    @property
    def activation(self):
        return self.architecture.activation

    @property
    def dim(self) -> int:
        return self.architecture.dim

    @property
    def depth(self) -> int:
        return self.architecture.depth

    @property
    def p(self) -> int:
        """The first layer's norm (001: p = 1 or 2)."""
        return self.architecture.norm


@dataclass(frozen=True, eq=False)
class NetworkFamily:
    """A family of parallel networks (002 Sec. 2.2-2.4) and how to derive its Lasso library.

    Attributes
    ----------
    name : the registry key (``architecture(..., family=name)``).
    summary : one line for ``describe`` and help texts.
    hidden_widths : depth L -> hidden widths (m_1, ..., m_{L-1}) of one unit.
    tied : whether every hidden layer's weights share one magnitude per unit (002 Sec. 1.5).
    penalty_factor : beta~ = penalty_factor * beta (002 Lemma D.5 corrected, docs/errata.md).
    check : raises :class:`GaconvexError` for an unsupported architecture of this family.
    features : the architecture -> its symbolic :class:`FeatureFamily` tuple (002 Def. 3.10).
    default_midpoints : (activation, depth) -> whether the complete library uses midpoint
        biases (002 Thm 3.11).
    norms : the first-layer weight norms p the family supports, its default first (the
        penalty ||W_j||_p^2 of 001 eq. (2); 1-D units have scalar weights, so p = 2 only).
    bias_free : whether networks without biases are supported (001 Thms 2, 4, 17).
    multidim : whether the family is the default for d-dimensional inputs (d > 1) when
        ``architecture(...)`` names no family (the first registered one whose check passes).
    intercept_without_bias : whether the Lasso keeps its free intercept when ``bias=False``
        (the first layer is bias-free but later layers have biases: 001 Thm 12).
    """

    name: str
    summary: str
    hidden_widths: Callable[[int], tuple]
    tied: bool
    penalty_factor: int
    check: Callable[["Architecture"], None]
    features: Callable[["Architecture"], tuple]
    default_midpoints: Callable[["Activation", int], bool] = lambda activation, depth: False
    norms: tuple = (2,)
    bias_free: bool = False
    multidim: bool = False
    intercept_without_bias: bool = False

    def tied_layers(self, depth: int) -> tuple:
        """One flag per hidden layer: tied magnitudes (for the torch network's parameters)."""
        return (self.tied,) * (depth - 1)

    def __repr__(self) -> str:
        return f"NetworkFamily({self.name!r})"

    def __str__(self) -> str:
        return self.name

    def __reduce__(self):  # pickles as a registry lookup: one object per family
        return (get_family, (self.name,))


FAMILIES: dict[str, NetworkFamily] = {}
_DEFAULT: list[str] = []


def register_family(family: NetworkFamily, *, default: bool = False) -> NetworkFamily:
    """Add ``family`` to :data:`FAMILIES` (``default``: the family of ``architecture(...)``
    when none is named)."""
    if family.name in FAMILIES:
        raise GaconvexError(f"a network family named {family.name!r} is already registered.")
    FAMILIES[family.name] = family
    if default:
        _DEFAULT[:] = [family.name]
    return family


def get_family(spec) -> NetworkFamily:
    """A registered :class:`NetworkFamily` from itself or its name."""
    if isinstance(spec, NetworkFamily):
        return spec
    if spec is None:
        return default_family()
    if isinstance(spec, str) and spec in FAMILIES:
        return FAMILIES[spec]
    raise GaconvexError(f"family must be one of {sorted(FAMILIES)}, got {spec!r}.")


def default_family() -> NetworkFamily:
    return FAMILIES[_DEFAULT[0]]


def multidim_families() -> list[NetworkFamily]:
    """The families that take d-dimensional inputs by default, in registration order."""
    return [family for family in FAMILIES.values() if family.multidim]
