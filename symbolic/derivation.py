"""Derive a network's Lasso features by composing its unit recursively (002 Def. 3.9-3.10).

A unit of a parallel network is a chain of layers ``h <- sigma(h W + b)`` (002 eq. 2.3).  With
*data feature biases* every layer's pre-activation vanishes at an anchor training point:
``b_l = -X^(l)(a_l) W_l`` (002 Def. 3.9; 000 eq. 12), and with *midpoint biases* the first layer
breaks at the normalized midpoint of two anchors (002 Def. 3.8).  :func:`derive` builds these
units symbolically, in the symbols ``x, a1, a2, ...`` (anchors) and ``s1, s2, ...`` (the +-1 inner
weights), and returns the feature expression together with the layers that realise it, which
is all a dictionary needs to evaluate columns and all reconstruction needs to rebuild a network.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from .activations import Activation
from .architecture import Architecture

__all__ = ["Layer", "FeatureFamily", "Library", "derive", "forward", "propagate", "data_bias",
           "midpoint_bias", "symbols"]

X = sp.Symbol("x", real=True)


@dataclass(frozen=True)
class Layer:
    """One layer of a unit: ``h <- sigma(h @ weight + bias)``; entries are sympy expressions."""

    weight: sp.ImmutableMatrix  # (m_in, m_out)
    bias: sp.ImmutableMatrix  # (1, m_out)


def propagate(layers, activation: Activation, x) -> sp.ImmutableMatrix:
    """Row vector X^(l+1)(x) after ``layers``: h <- sigma(h W + b), starting from h = [x] (002 eq. 2.3)."""
    h = sp.ImmutableMatrix([[x]])
    for layer in layers:
        h = (h * layer.weight + layer.bias).applyfunc(activation)
    return h


def forward(layers, activation: Activation, x) -> sp.Expr:
    """Unit output X^(L)(x) = sigma(... sigma(x W1 + b1) ... W_{L-1} + b_{L-1}) (002 eq. 2.3)."""
    return propagate(layers, activation, x)[0, 0]


def data_bias(prefix, activation, anchor, weight) -> sp.ImmutableMatrix:
    """Data feature bias b = -X^(l)(anchor) W (002 Def. 3.9): the pre-activation vanishes at anchor."""
    return sp.ImmutableMatrix(-(propagate(prefix, activation, anchor) * weight))


def midpoint_bias(activation, u, v):
    """Normalized midpoint bias b = -(a+ max(u,v) - a- min(u,v)) / (a+ - a-) (002 Def. 3.8, eq. 3.1).

    For an even activation (abs) this is -(u + v)/2 exactly.
    """
    ap, am = activation.a_plus, activation.a_minus
    if ap == -am:
        return -(u + v) / 2
    return -(ap * sp.Max(u, v) - am * sp.Min(u, v)) / (ap - am)


@dataclass(frozen=True)
class FeatureFamily:
    """A family of Lasso features f(x; anchors, signs) of one architecture and one bias kind.

    Attributes
    ----------
    architecture : Architecture
    bias_kind : str
        ``"data"`` (data feature biases, 002 Def. 3.9) or ``"midpoint"`` (first layer at a
        normalized midpoint, 002 Def. 3.8).
    x, anchors, signs : sympy symbols
        The input, the anchor points (training points a column is built from) and the +-1
        inner weights that the library enumerates (fixed +1 weights carry no symbol).
    layers : tuple of Layer
        The unit with unit-norm weights (the rescaled problem, 002 Def. D.6).
    expr : sympy expression
        The feature, ``forward(layers, activation, x)``.
    sign_choices : tuple of tuples
        The sign vectors the library enumerates (002 Table 3.1 / Cor. 3.15).
    anchor_roles : tuple of str
        What each anchor does, for ``describe``.
    """

    architecture: Architecture
    bias_kind: str
    x: sp.Symbol
    anchors: tuple
    signs: tuple
    layers: tuple
    expr: sp.Expr
    sign_choices: tuple
    anchor_roles: tuple

    @property
    def activation(self) -> Activation:
        return self.architecture.activation

    @property
    def n_anchors(self) -> int:
        return len(self.anchors)

    @property
    def n_signs(self) -> int:
        return len(self.signs)

    def size(self, n):
        """Raw library size |sign_choices| * n**n_anchors (002 Table 3.1, Thm 3.6, Thm 3.13)."""
        return len(self.sign_choices) * n ** self.n_anchors

    def substitute(self, anchor_values, sign_values=()) -> sp.Expr:
        """The feature with anchors and signs replaced by values (exact if the values are exact)."""
        subs = dict(zip(self.anchors, map(sp.nsimplify, anchor_values)))
        subs.update(zip(self.signs, map(sp.Integer, sign_values)))
        return self.expr.xreplace(subs)

    def unit(self, anchor_values, sign_values=()) -> list[tuple[np.ndarray, np.ndarray]]:
        """Numeric (weight, bias) of every layer of the unit for one column (for reconstruction)."""
        subs = dict(zip(self.anchors, (float(a) for a in anchor_values)))
        subs.update(zip(self.signs, (int(s) for s in sign_values)))
        return [(np.array(layer.weight.xreplace(subs).evalf(), dtype=float),
                 np.array(layer.bias.xreplace(subs).evalf(), dtype=float)) for layer in self.layers]

    def __str__(self) -> str:
        return f"{self.architecture} [{self.bias_kind} biases]: f(x) = {self.expr}"


@dataclass(frozen=True)
class Library:
    """The families whose union is an architecture's Lasso library (002 Def. 3.10)."""

    architecture: Architecture
    families: tuple

    def size(self, n):
        """Raw column count for n training points (before removing zero/duplicate columns)."""
        return sum(f.size(n) for f in self.families)

    def __iter__(self):
        return iter(self.families)

    def __len__(self):
        return len(self.families)


def symbols(prefix, k):
    return tuple(sp.Symbol(f"{prefix}{i + 1}", real=True) for i in range(k))


@lru_cache(maxsize=None)
def derive(arch: Architecture) -> Library:
    """The Lasso library of ``arch`` as symbolic feature families (002 Def. 3.10, Thm 3.11).

    The network family derives its units (``arch.family.features``; deep narrow: data feature
    biases, plus a first-layer midpoint bias when ``arch.midpoints``; symmetrized: one family
    of 16 N^3 raw columns).  Results are cached.
    """
    return Library(arch, tuple(arch.family.features(arch)))
