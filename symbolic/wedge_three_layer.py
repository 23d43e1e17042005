"""Three-layer ReLU networks on R^d as nested wedge features ("From Complexity to Clarity", 001
Thms 12, 13; spec 001 Sec. 3.2 rows J and K).

The network is the parallel three-layer ReLU network of 001 eqs. (99)-(101) with scalar second
and third layers, f(x) = sum_j ((<x, W1_j> + b1_j)_+ W2_j + b2_j)_+ W3_j + b3, trained with
the penalty (lambda / 3) sum_j (||W1_j||_1^3 + |W2_j|^3 + |W3_j|^3), which by AM-GM (Lemma 27)
equals lambda sum_j ||W1_j||_1 |W2_j| |W3_j| at the balanced optimum: the Lasso over the
columns below with the *same* lambda (beta~ = beta, no factor 2, spec 001 Sec. 0 item 1), a
free intercept b3 in both rows.

The one formula of every feature of this family, stated through the 2-layer wedge feature
g of :class:`gaconvex.symbolic.WedgeFeatureFamily` (the first layer):

    g(x; u, V, s) = relu(s (<x, w> + b)),  w = cross(v_1, ..., v_{d-1}) / ||cross(.)||_1,
                                           b = -<u, w>  (u = 0 for row J),
    f(x; x_j0, u, V, s, t) = relu(t (g(x) - g(x_j0))),   t = +1 (K^(1)), -1 (K^(2)),

i.e. 001 eqs. (27)-(29): ((x ^ V)_+ - (x_j0 ^ V)_+)_+ / ||V||_1 and its mirror.  The second
layer has weight t and the data bias -t g(x_j0) (its breakpoint is the anchor x_j0).

* ``span`` (row J, Thm 12: first layer bias-free, later layers biased; exact): for every
  j0 in [n], V is a (d - 1)-subset of {x_i} u {x_i - x_j0}_{i != j0} u {e_k} (the proof's set
  W_j0, Sec. 9.13.2), or, with the statement's set, of {x_i} u {x_i - x_j}_{i < j} u {e_k}
  paired with every j0 (both give the same value by the superset principle, spec errata 14).
* ``affine`` (row K, derived from Thm 13, all layers biased; **experimental**): for every
  l, j0 in [n], u = x_l (b1 = -<x_l, w>) and V a (d - 1)-subset of
  {x_i - x_l}_{i != l} u {x_i - x_j0}_{i != j0} u {e_k}: Thm 12 applied to the data relabelled
  x_i <- x_i - x_l (the printed proof is truncated after this step).  The b1 -> infinity case
  of the proof (the 2-layer biased features of row I) needs no extra columns: with a free
  intercept, the row-I column g equals the K column with j0 = argmin_i g(x_i) (g - min g >= 0)
  up to a constant, and every row-I neuron (anchor x_l, directions from {x_i - x_l} u {e_k})
  is a K neuron for that l.  Not proven: that the dual constraint (110) with all biases
  reduces to these breakpoints at every w (the truncated part of the proof of Thm 13).

Anchor encoding (per column): ``anchor_values`` the flattened (k, d) array
(x_j0, [x_l,] v_1, ..., v_{d-1}); ``signs`` (s, t); ``anchor_index`` (j0, [l,] i_1, j_1, ...,
i_{d-1}, j_{d-1}), one pair per direction: (i, j) for x_i - x_j, (i, -1) for x_i itself and
(-k, -1) for e_k (:func:`direction_name`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from gaconvex._validation import GaconvexError

from .families import NetworkFamily, OnArchitecture, register_family

__all__ = ["WEDGE_THREE_LAYER", "ThreeLayerWedgeFamily", "is_wedge_three_layer",
           "direction_name"]

_SPAN, _AFFINE = "span", "affine"


def direction_name(i: int, j: int) -> str:
    """'x[i]', 'x[i] - x[j]' or 'e{k}' for a direction pair (i, j) (module doc)."""
    if i < 0:
        return f"e{-i}"
    return f"x[{i}]" if j < 0 else f"x[{i}] - x[{j}]"


@dataclass(frozen=True, eq=False)
class ThreeLayerWedgeFamily(OnArchitecture):
    """The features f(x) = relu(t (g(x) - g(x_j0))) of one three-layer architecture (module doc).

    Attributes
    ----------
    architecture : the three-layer ReLU architecture (``dim`` = d, norm p = 1, ``bias``).
    bias_kind : ``"span"`` (row J: bias-free first layer) or ``"affine"`` (row K).
    """

    architecture: object
    bias_kind: str
    sign_choices = ((1, 1), (1, -1), (-1, 1), (-1, -1))

    @property
    def affine(self) -> bool:
        return self.bias_kind == _AFFINE

    @property
    def n_points(self) -> int:
        """Anchor points before the directions: x_j0, and x_l for row K."""
        return 1 + self.affine

    @property
    def n_anchors(self) -> int:
        """k rows of ``anchor_values``: the points, then d - 1 directions."""
        return self.n_points + self.dim - 1

    @property
    def n_signs(self) -> int:
        return 2

    @cached_property
    def first_layer(self):
        """The 2-layer wedge family g of the first layer (:class:`WedgeFeatureFamily`), p = 1,
        span (row J) or affine (row K) hyperplanes."""
        from .architecture import architecture
        from .wedge import WEDGE, WedgeFeatureFamily

        two = architecture("relu", 2, WEDGE, dim=self.dim, norm=self.p, bias=self.affine)
        return WedgeFeatureFamily(two, self.bias_kind)

    def size(self, n: int, all_pairs: bool = False) -> int:
        """Raw columns on n points before removing anything: 4 (s, t) per (j0, [l,] V) with
        C(2n - 1 + d, d - 1) direction sets per j0 (row J, 001 spec: <= 4 n C(2n - 1 + d, d - 1)),
        C(n + C(n, 2) + d, d - 1) with the statement's all-pairs set, C(2n - 2 + d, d - 1) per
        (l, j0) for row K (l = j0: C(n - 1 + d, d - 1))."""
        from .wedge import comb

        d = self.dim
        if self.affine:
            return 4 * (n * (n - 1) * comb(2 * n - 2 + d, d - 1) + n * comb(n - 1 + d, d - 1))
        m = n + comb(n, 2) + d if all_pairs else 2 * n - 1 + d
        return 4 * n * comb(m, d - 1)

    # -- the formula ------------------------------------------------------------------------------
    def neurons(self, anchors):
        """First-layer unit neurons of anchor arrays (S, k, d), orientation s = +1: (w, b,
        volume) of :meth:`WedgeFeatureFamily.neurons` on (u, V) (row K) or V (row J); the
        anchor x_j0 is not used by the first layer."""
        anchors = np.asarray(anchors, dtype=np.float64)
        return self.first_layer.neurons(anchors[:, 1:])

    def apply(self, u):
        """sigma(u) = relu(u), numpy or torch."""
        return self.first_layer.apply(u)

    def evaluate(self, X, W, b1, t, b2, out=None):
        """Columns f(x_i) = relu(t relu(<x_i, W> + b1) + b2) for oriented first-layer neurons
        (W (P, d), b1 (P,)), second-layer weights t (P,) and biases b2 = -t g(x_j0) (P,), on X
        (N, d): numpy (into ``out``) or torch."""
        U = X @ W.T
        if out is not None:
            out[...] = U
            U = out
        U += b1
        U = self.apply(U) if out is None else np.maximum(U, 0.0, out=U)
        U *= t
        U += b2
        return self.apply(U) if out is None else np.maximum(U, 0.0, out=U)

    def layers(self, anchors, signs):
        """Oriented units of anchor arrays (S, k, d) and signs (S, 2): (W (S, d), b1 (S,),
        t (S,), b2 (S,), volume (S,)) with W = s w, b1 = s b, b2 = -t g(x_j0)."""
        anchors = np.asarray(anchors, dtype=np.float64)
        signs = np.asarray(signs, dtype=np.float64).reshape(-1, 2)
        w, b, volume = self.neurons(anchors)
        s, t = signs[:, 0], signs[:, 1]
        W, b1 = s[:, None] * w, s * b
        g0 = np.maximum(np.einsum("sd,sd->s", anchors[:, 0], W) + b1, 0.0)
        return W, b1, t, -t * g0, volume

    def unit(self, anchor_values, signs=(1, 1)) -> list[tuple[np.ndarray, np.ndarray]]:
        """The rescaled unit of one column, [(W (d, 1), b1 (1, 1)), (t (1, 1), b2 (1, 1))] with
        ||W||_1 = |t| = 1 (Lemma 27's constraint set); reconstruction scales W, t and the output
        weight by |z|^(1/3) and b2 by |z|^(2/3) (spec 001 Sec. 3.2 row J)."""
        anchors = np.asarray(anchor_values, dtype=np.float64).reshape(1, self.n_anchors, self.dim)
        W, b1, t, b2, volume = self.layers(anchors, signs)
        if volume[0] == 0:
            raise GaconvexError("the directions of this column are linearly dependent (zero cross "
                                "product): they define no first-layer neuron.")
        return [(W[0].reshape(self.dim, 1), np.array([[b1[0]]])),
                (np.array([[t[0]]]), np.array([[b2[0]]]))]

    # -- the symbolic statement (describe, tests) -------------------------------------------------
    @cached_property
    def expr(self):
        """f as a sympy expression: Max(0, t (g(x) - g(x_j0))) with g the first layer's
        expression (:attr:`WedgeFeatureFamily.expr`, symbols x1.., u1.., v11.., s) and the
        anchor x_j0 in symbols a1..ad; a string for d > 5."""
        g = self.first_layer.expr
        if isinstance(g, str):
            return f"relu(t (g(x) - g(x_j0))), g(x) = {g}"
        import sympy as sp

        d = self.dim
        x = sp.symbols(f"x1:{d + 1}", real=True)
        a = sp.symbols(f"a1:{d + 1}", real=True)
        t = sp.Symbol("t", real=True)
        return sp.Max(0, t * (g - g.xreplace(dict(zip(x, a)))))

    def describe_column(self, info) -> str:
        """One column's unit, in the names of the data rows."""
        (W, b1), (t, b2) = self.unit(info.anchor_values, info.signs)
        idx = [int(v) for v in info.anchor_index]
        names = [f"x[{j}]" for j in idx[:self.n_points]]
        pairs = idx[self.n_points:]
        directions = ", ".join(direction_name(i, j) for i, j in zip(pairs[::2], pairs[1::2]))
        first = (f"relu(<x, W>{b1[0, 0]:+.6g})" if self.affine else "relu(<x, W>)")
        return (f"relu({t[0, 0]:+g} {first} {b2[0, 0]:+.6g}), W = "
                f"{np.round(W[:, 0], 6).tolist()} (||W||_1 = 1) orthogonal to "
                f"{directions or 'nothing'}; "
                f"second-layer breakpoint at {names[0]}"
                + (f", first-layer hyperplane through {names[1]}" if self.affine else ""))

    def __str__(self) -> str:
        first = "relu(s (<x, w> - <x_l, w>))" if self.affine else "relu(s <x, w>)"
        return (f"{self.architecture} [{self.bias_kind} first layer]: f(x) = relu(t (g(x) - "
                f"g(x_j0))), g(x) = {first}, w = cross(V) / ||cross(V)||_1")


def _check(arch) -> None:
    act = arch.activation
    if (act.a_plus, act.a_minus, act.b_plus, act.b_minus) != (1, 0, 0, 0):
        raise GaconvexError(f"the three-layer wedge family is the ReLU network of 001 Thms 12-13; "
                            f"got {act.name}. Use activation 'relu'.")
    if arch.depth != 3:
        raise GaconvexError(f"the three-layer wedge family has depth 3 (001 Thms 12, 13); got "
                            f"depth {arch.depth}. Use the wedge family for depth 2.")
    if arch.midpoints or arch.skip:
        raise GaconvexError("the three-layer wedge family has no midpoint biases and no skip "
                            "connection.")


def _features(arch) -> tuple:
    return (ThreeLayerWedgeFamily(arch, _AFFINE if arch.bias else _SPAN),)


WEDGE_THREE_LAYER = register_family(NetworkFamily(
    name="wedge_three_layer",
    summary="3-layer ReLU networks on R^d, first-layer neurons = Hodge duals of wedges of data "
            "and differences (001 Thms 12, 13)",
    hidden_widths=lambda depth: (1, 1),
    tied=False,
    penalty_factor=1,
    check=_check,
    features=_features,
    norms=(1,),
    bias_free=True,
    multidim=True,
    intercept_without_bias=True,
))


def is_wedge_three_layer(arch) -> bool:
    """Whether ``arch`` is a network of the three-layer wedge family (001 Thms 12, 13)."""
    return arch.family is WEDGE_THREE_LAYER
