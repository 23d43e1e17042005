"""Symmetrized 3-layer networks: a width-2 middle layer with equal-magnitude weights
(002 Sec. 1.5, Sec. 2.4 (c), Thm 3.5 / 3.13)."""
from __future__ import annotations

from itertools import product

import sympy as sp

from gaconvex._validation import GaconvexError

from .derivation import X, FeatureFamily, Layer, data_bias, forward, symbols
from .families import NetworkFamily, register_family

__all__ = ["SYMMETRIZED"]


def _check(arch) -> None:
    act = arch.activation
    if arch.depth != 3:
        raise GaconvexError(
            f"the symmetrized family is worked out for depth 3 only (002 Thm 3.13); got {arch.depth}.")
    if not (act.is_homogeneous and act.is_monotone and not act.is_even):
        raise GaconvexError(
            f"the symmetrized family needs a monotone continuous piecewise-linear activation "
            f"(relu or leaky_relu with a >= 0; 002 Thm 3.13); got {act.name}.")
    if arch.midpoints:
        raise GaconvexError("the symmetrized family has no midpoint biases (002 Thm 3.13).")
    if arch.dim != 1:
        raise GaconvexError(f"the symmetrized family is derived for 1-D inputs (002); got "
                            f"dim={arch.dim}.")


def _features(arch) -> tuple:
    """h(x) = sum_k W2_k sigma(W1_k (x - a_k)), feature sigma(h(x) - h(a3)); 16 sign patterns
    (002 Thm 3.13)."""
    act = arch.activation
    a1, a2, a3 = symbols("a", 3)
    s1, s2, s3, s4 = symbols("s", 4)
    first = Layer(sp.ImmutableMatrix([[s1, s2]]), sp.ImmutableMatrix([[-s1 * a1, -s2 * a2]]))
    W2 = sp.ImmutableMatrix([[s3], [s4]])
    layers = (first, Layer(W2, data_bias((first,), act, a3, W2)))
    expr = forward(layers, act, X)
    return (FeatureFamily(arch, "data", X, (a1, a2, a3), (s1, s2, s3, s4), layers, expr,
                          tuple(product((1, -1), repeat=4)),
                          ("layer 1 neuron 1 data bias", "layer 1 neuron 2 data bias",
                           "layer 2 data bias")),)


SYMMETRIZED = register_family(NetworkFamily(
    name="symmetrized",
    summary="3-layer units with a width-2 middle layer of equal-magnitude weights (002 Sec. 1.5)",
    hidden_widths=lambda depth: (2, 1),
    tied=True,
    penalty_factor=2,
    check=_check,
    features=_features,
))
