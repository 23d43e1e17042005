"""Two-layer ReLU networks on R^d as wedge-product features ("From Complexity to Clarity", 001).

The one formula of every d-dimensional feature of this family.  A column is a unit neuron
(w, b) defined by k anchors of the augmented data: a point u (the anchor of a biased
hyperplane; u = 0 for bias-free ones) and d - 1 direction vectors v_1, ..., v_{d-1},

    w = cross(v_1, ..., v_{d-1}) / ||cross(v_1, ..., v_{d-1})||_p = star(v_1 ^ ... ^ v_{d-1}) / ||.||_p,
    b = -<u, w>,
    f(x; u, V, s) = relu(s (<x, w> + b)) = relu(s star((x - u) ^ v_1 ^ ... ^ v_{d-1})) / ||v_1 ^ ... ^ v_{d-1}||_p,

with the generalized cross product (Hodge dual of the wedge, 001 Def. 4, eq. (42)) of
:func:`gaconvex.algebra.generalized_cross`, so <x, w> ||.||_p = det[x; v_1; ...; v_{d-1}] (x the
first row) and f is the oriented distance of x to the hyperplane through the anchors (001
Sec. 3.6.3), times ||w||_2 / ||w||_p.  Both orientations s = +-1 are columns (spec 001 Sec. 0
item 2).  Two feature families (spec 001 Sec. 3.2):

* ``span`` (bias-free networks, no Lasso intercept): the v_i are d - 1 rows of the data X,
  for p = 1 of the augmented X~ = [X; I_d] (001 Thm 4, Lemma 19; rows F and G of the table;
  d = 2: Thms 2, 15, rows B and C);
* ``affine`` (biased networks, free intercept): u = x_j is a data point and the v_i are
  differences x_i - x_j of d - 1 other data points or, for p = 1, standard basis vectors e_k
  (001 Thm 5 biased, row H for p = 2; the general-d form of Thm 16, row I, for p = 1; d = 2:
  Thms 3, 16, rows D and E).  A hyperplane is fixed by its anchor *set*, so each set is one
  column pair, anchored at its first data point.

p = 1 (the exact Thm 4 / Thm 16; the family's default) normalizes by the l1 norm of the cross
product, p = 2 (Thms 3, 5, 15, 17: upper bounds) by its l2 norm (spec 001 Sec. 0 item 4).
For d = 1 the wedge of no vectors is 1 (w = +-1): the bias-free library is (+-x)_+ and the
biased one is 002's two-layer ReLU library (s (x - x_j))_+ (001 Thm 1, row A).

Anchor encoding (per column, ``anchor_index``): j >= 0 the data row x_j, -k the basis vector
e_k (k = 1..d); ``anchor_values`` the flattened (k, d) array
(span: v_1..v_{d-1}; affine: u, v_1..v_{d-1}), the arguments of :meth:`WedgeFeatureFamily.unit`.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from gaconvex._validation import GaconvexError

from .families import NetworkFamily, OnArchitecture, register_family

__all__ = ["WEDGE", "WedgeFeatureFamily", "is_wedge"]

_SPAN, _AFFINE = "span", "affine"
#: Largest d for which the sympy expression of a feature is built (the determinant has d! terms).
_MAX_SYMBOLIC_DIM = 5


def comb(m, k: int):
    """C(m, k): an int for integer m (math.comb), the expanded polynomial
    m (m - 1) ... (m - k + 1) / k! for a sympy expression m (a symbolic library size in N)."""
    if isinstance(m, numbers.Integral):
        return math.comb(int(m), k)
    import sympy as sp

    return sp.expand(sp.expand_func(sp.binomial(m, k)))


@dataclass(frozen=True, eq=False)
class WedgeFeatureFamily(OnArchitecture):
    """The wedge features of one architecture: f(x; u, V, s) = relu(s (<x, w> + b)) (module doc).

    Attributes
    ----------
    architecture : the 2-layer ReLU architecture (``dim`` = d, ``norm`` = p, ``bias``).
    bias_kind : ``"span"`` (hyperplanes through 0 and d - 1 anchors) or ``"affine"``
        (through d anchors, biased networks).
    """

    architecture: object
    bias_kind: str
    sign_choices = ((1,), (-1,))

    # -- shape of the family --------------------------------------------------------------------
    @property
    def augmented(self) -> bool:
        """p = 1 takes anchors from [X; I_d] (spec 001 Sec. 0 item 3, Lemma 19)."""
        return self.p == 1

    @property
    def affine(self) -> bool:
        return self.bias_kind == _AFFINE

    @property
    def n_anchors(self) -> int:
        """k: d - 1 direction anchors, plus the point u for affine hyperplanes."""
        return self.dim - 1 + self.affine

    @property
    def n_signs(self) -> int:
        return 1

    def n_rows(self, n: int) -> int:
        """Rows anchors are drawn from: n data points, plus e_1..e_d for p = 1."""
        return n + self.dim * self.augmented

    def n_subsets(self, n: int) -> int:
        """Anchor sets: k-subsets of the n_rows(n) rows, with at least one data point (the
        anchor u) for affine hyperplanes; each gives two columns (s = +-1)."""
        m, k = self.n_rows(n), self.n_anchors
        return comb(m, k) - (comb(m - n, k) if self.affine else 0)

    def size(self, n: int) -> int:
        """Raw columns on n points: 2 orientations per anchor set (spec 001 Sec. 3.3)."""
        return 2 * self.n_subsets(n)

    # -- the formula ----------------------------------------------------------------------------
    def public_index(self, subsets: np.ndarray, n: int) -> np.ndarray:
        """Anchor sets in rows of [X; I_d] (n + k - 1 for e_k) as ``anchor_index`` (-k for e_k)."""
        return np.where(subsets < n, subsets, n - 1 - subsets)

    def anchor_vectors(self, X: np.ndarray, subsets: np.ndarray) -> np.ndarray:
        """The anchors (S, k, d) of anchor sets (S, k) (rows of [X; I_d], increasing, so
        data first): span: v_i = X~[j_i]; affine: u = x_{j_1} and v_i = X~[j_i] - u for data rows,
        e_k for basis rows (the augmentation x_j + e_k of 001 Thm 16)."""
        n, d = X.shape
        rows = np.vstack([X, np.eye(d)])
        anchors = np.take(rows, subsets, axis=0)
        if self.affine and subsets.shape[1]:
            data = subsets[:, 1:] < n
            anchors[:, 1:] -= np.where(data[..., None], anchors[:, :1], 0.0)
        return anchors

    def neurons(self, anchors):
        """Unit neurons of anchor arrays (S, k, d), orientation s = +1 (001 Thm 4, 5, 16):
        (w, b, volume) with w = cross(V) / ||cross(V)||_p, b = -<u, w> (0 for span) and
        volume = ||cross(V)||_p; a degenerate set (dependent directions, repeated or affinely
        dependent points) has volume 0 and w = b = 0.  Orientation s scales (w, b) by s."""
        from gaconvex.algebra import generalized_cross

        anchors = np.asarray(anchors, dtype=np.float64)
        S, d = anchors.shape[0], self.dim
        V = np.ascontiguousarray(anchors[:, 1:] if self.affine else anchors)
        cross = generalized_cross(V.reshape(S, d - 1, d))
        volume = np.abs(cross).sum(axis=1) if self.p == 1 else _l2_norms(cross)
        live = volume > 0
        w = np.zeros_like(cross)
        w[live] = cross[live] / volume[live, None]
        b = -np.einsum("sd,sd->s", anchors[:, 0], w) if self.affine else np.zeros(S)
        return w, b, volume

    def apply(self, u):
        """sigma(u) = relu(u), numpy or torch."""
        return u.clamp_min(0) if hasattr(u, "clamp_min") else np.maximum(u, 0.0)

    def unit(self, anchor_values, signs=(1,)) -> list[tuple[np.ndarray, np.ndarray]]:
        """The 2-layer unit of one column: [(W (d, 1), b (1, 1))] with ||W||_p = 1 (the
        rescaled problem; reconstruction scales it by sqrt|z|, spec 001 Sec. 3.1)."""
        anchors = np.asarray(anchor_values, dtype=np.float64).reshape(1, self.n_anchors, self.dim)
        w, b, volume = self.neurons(anchors)
        if volume[0] == 0:
            raise GaconvexError("the anchors of this column are degenerate (dependent directions, "
                                "zero cross product): they define no hyperplane.")
        s = float(signs[0])
        return [(s * w[0].reshape(self.dim, 1), np.array([[s * b[0]]]))]

    # -- the symbolic statement (describe, tests) ------------------------------------------------
    @cached_property
    def expr(self):
        """f as a sympy expression in x1..xd, the anchors (u1..ud, v11..) and s, for d <= 5:
        Max(0, s det[x - u; v_1; ...; v_{d-1}]) / ||cross(v_1, ..., v_{d-1})||_p."""
        if self.dim > _MAX_SYMBOLIC_DIM:
            return (f"relu(s star((x - u) ^ v_1 ^ ... ^ v_{self.dim - 1})) / "
                    f"||v_1 ^ ... ^ v_{self.dim - 1}||_{self.p}")
        import sympy as sp

        d = self.dim
        x = sp.Matrix([sp.symbols(f"x1:{d + 1}", real=True)])
        u = sp.Matrix([sp.symbols(f"u1:{d + 1}", real=True)]) if self.affine else sp.zeros(1, d)
        V = sp.Matrix(d - 1, d, lambda i, j: sp.Symbol(f"v{i + 1}{j + 1}", real=True))
        s = sp.Symbol("s", real=True)
        cofactors = [(-1) ** i * V[:, [j for j in range(d) if j != i]].det() for i in range(d)]
        norm = (sum(sp.Abs(c) for c in cofactors) if self.p == 1
                else sp.sqrt(sum(c ** 2 for c in cofactors)))
        return sp.Max(0, s * (x - u).col_join(V).det()) / norm

    def describe_column(self, info) -> str:
        """One column's neuron and the anchors its hyperplane passes through."""
        (W, b), = self.unit(info.anchor_values, info.signs)
        names = [f"x[{j}]" if j >= 0 else f"e{-j}" for j in info.anchor_index]
        if self.affine:
            through = f"through {names[0]}" + "".join(
                f", {name}" if name[0] == "x" else f", parallel to {name}" for name in names[1:])
        else:
            through = "through 0" + "".join(
                f", {name}" if name[0] == "x" else f", parallel to {name}" for name in names)
        bias = f" + b, b = {b[0, 0]:+.6g}" if self.affine else ""
        return (f"relu(<x, w>{bias}), w = {np.round(W[:, 0], 6).tolist()} "
                f"(||w||_{self.p} = 1); hyperplane {through}")

    def __str__(self) -> str:
        return (f"{self.architecture} [{self.bias_kind} hyperplanes]: f(x) = relu(s star((x - u)"
                f" ^ v_1 ^ ... ^ v_(d-1))) / ||v_1 ^ ... ^ v_(d-1)||_{self.p}")


def _l2_norms(V: np.ndarray) -> np.ndarray:
    """||v||_2 of each row of V (S, d), scaled by max |v_i| first, so that entries above
    1e154 (whose squares overflow) or below 1e-154 (whose squares underflow) keep their norm."""
    scale = np.abs(V).max(axis=1)
    safe = np.where(scale > 0, scale, 1.0)
    U = V / safe[:, None]
    return scale * np.sqrt(np.einsum("sd,sd->s", U, U))


def _is_relu(act) -> bool:
    return (act.a_plus, act.a_minus, act.b_plus, act.b_minus) == (1, 0, 0, 0)


def _check(arch) -> None:
    if not _is_relu(arch.activation):
        raise GaconvexError(f"the wedge family is the 2-layer ReLU network of 001 (Thms 2-5); got "
                            f"{arch.activation.name}. Use activation 'relu'.")
    if arch.depth != 2:
        raise GaconvexError(f"the wedge family is implemented for depth 2 (001 Thms 2-5, 15-17); "
                            f"got depth {arch.depth}.")
    if arch.midpoints or arch.skip:
        raise GaconvexError("the wedge family has no midpoint biases and no skip connection.")


def _features(arch) -> tuple:
    return (WedgeFeatureFamily(arch, _AFFINE if arch.bias else _SPAN),)


WEDGE = register_family(NetworkFamily(
    name="wedge_features",
    summary="2-layer ReLU networks on R^d, neurons = Hodge duals of wedges of data (001)",
    hidden_widths=lambda depth: (1,),
    tied=False,
    penalty_factor=1,
    check=_check,
    features=_features,
    norms=(1, 2),
    bias_free=True,
    multidim=True,
))


def is_wedge(arch) -> bool:
    """Whether ``arch`` is a network of the wedge family."""
    return arch.family is WEDGE
