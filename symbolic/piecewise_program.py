"""A family's unit as a numeric program: per-column layer weights and biases, vectorised.

On 1-D data a unit h <- sigma(h W_l + b_l), h = [x] (002 eq. 2.3), is piecewise linear in x,
and what fixes it for one column are the numbers W_l, b_l: the +-1 inner weights and the data
feature biases b_l = -X^(l)(a_l) W_l (002 Def. 3.9) or the normalized midpoint bias of layer 1
(002 Def. 3.8).  They depend on the anchors and signs only, never on x.  :func:`unit_program`
compiles every entry of every ``family.layers[l].weight`` and ``.bias`` once (``sympy.cse``,
printed by the numpy printer of :mod:`.codegen`) into one function of anchor and sign columns,
and records the unit's layout and activation, which is everything a numeric piecewise-linear
engine needs (``gaconvex.dictionaries.structured``): no family is special-cased.

Knot bounds.  A width-1 input x has no knot; u_j = sum_i h_i W_ij + b_j has at most the
union of its inputs' knots, K(u_j) <= sum_{i: W_ij != 0} K(h_i), and sigma(u) adds at most one
zero of u per linear piece of u, K(sigma(u)) <= 2 K(u) + 1.  Deep narrow units therefore have
K_1 = 1 and K_l <= 2 K_{l-1} + 1 knots after layer l (2^(L-1) - 1 at depth L); the symmetrized
unit has 2 knots in u of layer 2 and at most 5 in its feature (002 Thm 3.2, Thm 3.13).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from gaconvex._validation import GaconvexError

from .codegen import _ArrayPrinter
from .derivation import FeatureFamily

__all__ = ["UnitProgram", "unit_program"]


@dataclass(frozen=True, eq=False)
class UnitProgram:
    """The numeric form of a family's unit (002 eq. 2.3) for a numeric piecewise-linear engine.

    Attributes
    ----------
    family : the :class:`FeatureFamily` it was compiled from.
    layout : (n_layers, 4) int64 array; row l is (m_in, m_out, w_offset, b_offset): layer l's
        weight W_l (m_in, m_out) sits row-major at ``params[:, w_offset:w_offset + m_in*m_out]``
        and its bias b_l (m_out,) at ``params[:, b_offset:b_offset + m_out]``.
    n_params : number of entries per column.
    activation : float64 (a+, a-, b+, b-) of sigma(u) = a- u + b- (u < 0), a+ u + b+ (u >= 0)
        (002 eq. 2.1); sigma(0) takes the u >= 0 branch.
    max_knots : the bound K_max on the knots of any neuron of the unit (module docstring).
    source : the generated numpy code of ``parameters``.
    """

    family: FeatureFamily
    layout: np.ndarray
    n_params: int
    activation: np.ndarray
    max_knots: int
    source: str
    _function: object

    def parameters(self, anchors, signs, out=None) -> np.ndarray:
        """(P, n_params) float64: every layer's weights and biases for each column.

        ``anchors`` (P, n_anchors) holds anchor values, ``signs`` (P, n_signs) the +-1 signs;
        ``out`` (P, n_params), if given, receives the result.
        """
        anchors, signs = self._check(anchors, signs)
        values = self._function(*anchors.T, *signs.T)
        if out is None:
            out = np.empty((anchors.shape[0], self.n_params))
        elif out.shape != (anchors.shape[0], self.n_params):
            raise GaconvexError(f"out must have shape ({anchors.shape[0]}, {self.n_params}), got "
                                f"{out.shape}.")
        for k, value in enumerate(values):
            out[:, k] = value
        return out

    def _check(self, anchors, signs):
        f = self.family
        anchors = np.asarray(anchors, dtype=np.float64)
        signs = np.asarray(signs, dtype=np.float64)
        if anchors.ndim != 2 or anchors.shape[1] != f.n_anchors:
            raise GaconvexError(f"anchors must have shape (P, {f.n_anchors}) for {f}, got "
                                f"{anchors.shape}; pass one row of anchor values per column.")
        if signs.shape != (anchors.shape[0], f.n_signs):
            raise GaconvexError(f"signs must have shape ({anchors.shape[0]}, {f.n_signs}) for "
                                f"{f}, got {signs.shape}; pass one row of +-1 per column.")
        return anchors, signs


def _entries(layers) -> tuple[list, list]:
    """Every layer's weight (row-major) and bias entries, and the layout rows."""
    exprs, layout, width = [], [], 1
    for l, layer in enumerate(layers):
        W, b = layer.weight, layer.bias
        if W.shape[0] != width or b.shape != (1, W.shape[1]):
            raise GaconvexError(f"layer {l + 1} of the unit does not chain: input width {width}, "
                                f"weight {W.shape}, bias {b.shape}; a unit maps h = [x] through "
                                "h <- sigma(h W + b).")
        layout.append((W.shape[0], W.shape[1], len(exprs), len(exprs) + W.shape[0] * W.shape[1]))
        exprs += list(W) + list(b)
        width = W.shape[1]
    if width != 1:
        raise GaconvexError(f"the unit ends with {width} neurons; a feature has exactly one.")
    return exprs, layout


def _knot_bound(layers) -> int:
    """K_max of the module docstring, from the structural zeros of the weights."""
    knots, bound = [0], 0
    for layer in layers:
        W = layer.weight
        knots = [2 * sum(knots[i] for i in range(W.shape[0]) if W[i, j] != 0) + 1
                 for j in range(W.shape[1])]
        bound = max(bound, *knots)
    return max(bound, 1)


def _source(family: FeatureFamily, exprs) -> str:
    """``def parameters(a1, ..., s1, ...)``: cse'd numpy code returning every entry."""
    printer = _ArrayPrinter()
    replacements, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("t", real=True))
    names = ", ".join(s.name for s in (*family.anchors, *family.signs))
    body = "".join(f"    {name} = {printer.doprint(value)}\n" for name, value in replacements)
    result = ", ".join(printer.doprint(e) for e in reduced)
    return f"def parameters({names}):\n{body}    return ({result},)\n"


@lru_cache(maxsize=None)
def unit_program(family: FeatureFamily) -> UnitProgram:
    """The :class:`UnitProgram` of ``family``: its layers' weights and biases compiled into one
    vectorised numpy function of the anchors and signs, its layout, activation and knot bound.
    Cached per family."""
    if not isinstance(family, FeatureFamily):
        raise GaconvexError(f"unit_program needs a FeatureFamily, got {type(family).__name__}; "
                            "take one from gaconvex.symbolic.derive(architecture(...)).families.")
    exprs, layout = _entries(family.layers)
    source = _source(family, exprs)
    namespace = {"np": np, "math": math}
    exec(compile(source, f"<unit program of {family}>", "exec"), namespace)  # noqa: S102
    act = family.activation
    coefficients = np.array([float(c) for c in (act.a_plus, act.a_minus, act.b_plus, act.b_minus)])
    return UnitProgram(family, np.array(layout, dtype=np.int64).reshape(-1, 4), len(exprs),
                       coefficients, _knot_bound(family.layers), source, namespace["parameters"])
