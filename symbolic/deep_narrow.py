"""Deep narrow networks: parallel units of width-1 layers (002 Sec. 3; L = 2 is the ordinary
two-layer network), with data feature biases and, for non-monotone sigma, first-layer
midpoint biases (002 Sec. 2.4 (a), (b), Def. 3.8-3.10, Thm 3.11)."""
from __future__ import annotations

from itertools import product

import sympy as sp

from gaconvex._validation import GaconvexError

from .derivation import X, FeatureFamily, Layer, data_bias, forward, midpoint_bias, symbols
from .families import NetworkFamily, register_family

__all__ = ["DEEP_NARROW"]


def _check(arch) -> None:
    act, L = arch.activation, arch.depth
    if act.is_sign_determined and L > 2:
        raise GaconvexError(
            f"{act.name} networks are supported for depth 2 only (002 Thm 3.11, Cor. 3.15); "
            f"got depth {L}. Use relu, leaky_relu or abs for deeper networks.")
    if arch.dim != 1:
        raise GaconvexError(
            f"the deep narrow family is derived for 1-D inputs (002); got dim={arch.dim}. "
            "d-dimensional wedge / reflection-plane families are separate network families.")


def _unit(arch, bias_kind: str) -> FeatureFamily:
    """Deep narrow unit with data (or first-layer midpoint) feature biases: every layer's
    pre-activation vanishes at its anchor, b_l = -X^(l)(a_l) W_l (002 Def. 3.9)."""
    act, n_layers = arch.activation, arch.depth - 1
    # Table 3.1 / Cor. 3.15: abs and sign use sigma(x - x_n) only.
    enumerate_signs = not act.inner_sign_redundant
    anchors = symbols("a", n_layers)
    sign_syms = symbols("s", n_layers) if enumerate_signs else ()
    weights = sign_syms if enumerate_signs else (sp.Integer(1),) * n_layers
    layers: list[Layer] = []
    roles = []
    for l in range(n_layers):
        W = sp.ImmutableMatrix([[weights[l]]])
        if l == 0 and bias_kind == "midpoint":
            b = sp.ImmutableMatrix([[midpoint_bias(act, weights[0] * anchors[0],
                                                   weights[0] * anchors[1])]])
            roles.append("layer 1 midpoint with a2")
        else:
            b = data_bias(tuple(layers), act, anchors[l], W)
            roles.append(f"layer {l + 1} data bias")
        layers.append(Layer(W, b))
    expr = forward(layers, act, X)
    choices = tuple(product((1, -1), repeat=n_layers)) if enumerate_signs else ((),)
    return FeatureFamily(arch, bias_kind, X, anchors, sign_syms, tuple(layers), expr, choices,
                         tuple(roles))


def _features(arch) -> tuple:
    kinds = ("data", "midpoint") if arch.midpoints else ("data",)
    return tuple(_unit(arch, kind) for kind in kinds)


DEEP_NARROW = register_family(NetworkFamily(
    name="deep_narrow",
    summary="parallel units of width-1 layers (002 Sec. 3)",
    hidden_widths=lambda depth: (1,) * (depth - 1),
    tied=False,
    penalty_factor=1,
    check=_check,
    features=_features,
    default_midpoints=lambda act, depth: depth >= 3 and not act.is_monotone,
), default=True)
