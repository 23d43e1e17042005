"""Deep narrow abs networks on R^d and their reflection-plane features (000, "Black Boxes").

Paper: "Black Boxes and Looking Glasses: Multilevel Symmetries, Reflection Planes, and Convex
Optimization in Deep Networks" (Zeger & Pilanci).

The one formula of every d-dimensional feature of this family (000 Thm 4.1, Thm 4.3 corrected,
Remark E.1; seed-000-spec Sec. 3.2-3.4).  A column is a rescaled unit chain (||W||_1 = 1, inner
weight +1) given by its anchors: the first-layer bias point x', for L = 3 the data point x_j0 of
the second-layer bias, and d - 1 direction vectors Delta_1, ..., Delta_{d-1} the weight is
orthogonal to:

    w = cross(Delta_1, ..., Delta_{d-1}) = star(Delta_1 ^ ... ^ Delta_{d-1}),  W = w / ||w||_1,

    L = 2 (Remark E.1, eq. (43)):  f(x) = |(x - x') W|,
    L = 3 (Thm 4.1, eqs. (9), (33)):
        f(x) = | |(x - x') W| - |(x_j0 - x') W| |
             = | Vol(x - x', Delta_1, ..) - Vol(x_j0 - x', Delta_1, ..) | / ||cross(Delta)||_1
             = min(|(x - x_j0) W|, |(x - (2x' - x_j0)) W|)                         (10c)
             = r(w) Dist(x, H(x_j0, w) u H(2x' - x_j0, w)),   r(w) = ||w||_2 / ||w||_1,

    L >= 4 (Thm 4.4, the data feature sub-library of eqs. (11), (12), (60)):
        h_1(x) = |(x - x') W|,  h_l(x) = |h_{l-1}(x) - h_{l-1}(x_{n_l})|  (l = 2..L-1),
        f = h_{L-1},  x' in {x_{n_1}, (x_{n_1} + x_{n_2})/2},

with Vol the unsigned volume |det[.; Delta_1; ...]| (x as the first row, 000 eq. (5'), (16)).
Every column is the 1-D deep narrow abs feature of the Library of Mirrors (002) of the
projection t = x W, with anchors x_{n_l} W: its kinks are the planes orthogonal to W through
the reflections of the anchors that the 1-D feature breaks at (:meth:`breakplanes`, with their
reflection orders under both readings of 000 App. F).

**L >= 4 is a sub-library.** The paper proves that a finite dictionary exists (Thm 4.4) but
gives it only for L <= 3 ("a full analysis ... for networks with more than 3 layers is an area
for future work").  The columns here are valid units (any such set gives a Lasso value >= the
training optimum, seed-000-spec Sec. 3.1), so the Lasso is an upper bound on the training
problem; its first-layer directions are the heuristic of seed-000-spec Sec. 3.5 (the 3-layer
candidates of (x', x_{n_2}) extended with x_n - x_{n_k} and x_n - (2x' - x_{n_k}) for every
k), not a proven set.  ``ReflectionPlaneFamily.complete`` is False and certificates say
"sub-library".  A chain whose layer-l anchor repeats the layer-(l-1) anchor (or x') is its
truncation, so the depth-L sub-library contains the depth-(L-1) one (and L = 3 contains L = 2):
the union over depths 2..L of the spec needs no extra columns, and p*_L is non-increasing in L.
So the unit is the deep narrow chain b^(1) = -x' W, w^(2) = 1, b^(2) = -|(x_j0 - x') W|, its
output vanishes on the two planes orthogonal to W through x_j0 and through its reflection
R(x_j0, x') = 2x' - x_j0 (the printed (10b) is wrong: seed-000-spec Sec. 3.4, docs/errata.md
row 1) and is mirror-symmetric about the plane through x' (a ridge).  With the midpoint
x' = (x_j-1 + x_j0)/2 the reflection is the data point x_j-1 itself.

Anchor encoding (per column): ``anchor_values`` the flattened (k, d) array (x', x_j0,
Delta_1, ..., Delta_{d-1}) for L = 3 (k = d + 1), (x', Delta_1, ...) for L = 2 (k = d), and
(x', x_{n_2}, ..., x_{n_{L-1}}, Delta_1, ...) for L >= 4 (k = L + d - 2; x_j0 = x_{n_2}), the
arguments of :meth:`ReflectionPlaneFamily.unit`; ``anchor_index`` (j_-1, j_0, kind, c_1, ...,
c_{d-1}) with kind 0 for x' = x_j-1 and 1 for the midpoint, and the direction codes
c = 3n + t for x_n - x' (t = 0), x_n - x_j0 (t = 1), x_n - (2x' - x_j0) (t = 2) and c = -l for
e_l (the candidate set X^(3) of the proof, eq. (28), seed-000-spec Sec. 3.3); L = 2:
(n, c_1, ..., c_{d-1}) with x' = x_n; L >= 4: (n_1, n_2, kind, m, n_3, ..., n_{L-1}, c_1, ...)
with x' given by kind and (n_1, m, n_2) (:data:`FIRST_LAYER_POINTS`: x_n1, the midpoint
(x_n1 + x_m)/2 (m = n_2 in the spec's sub-library), and the optional "tie" points), and
c = (2L - 3) n + t for x_n - x' (t = 0), x_n - x_{n_k} (t = 2k - 3) and
x_n - (2x' - x_{n_k}) (t = 2k - 2), k = 2..L-1.

:class:`ReflectionPlane` is the geometric object (point, normal, kind "data" / "reflection" /
"ridge") for plots and reports.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from gaconvex._validation import GaconvexError

from .families import NetworkFamily, OnArchitecture, register_family

__all__ = ["DEEP_NARROW_DDIM", "ReflectionPlane", "ReflectionPlaneFamily",
           "is_reflection_planes", "PLANE_KINDS", "DATA_KIND", "MIDPOINT_KIND",
           "FIRST_LAYER_POINTS"]

#: Kinds of breakplanes: through a data point, through a reflection of one, a mirror ridge (a
#: local maximum of f), through another combination of the anchors (a midpoint; L >= 4).
PLANE_KINDS = ("data", "reflection", "ridge", "combination")
DATA_KIND, MIDPOINT_KIND = 0, 1  # anchor_index[2] of an L = 3 column: x' = x_j-1 or midpoint
_MAX_SYMBOLIC_DIM = 5
#: x' of each first-layer kind (anchor_index[2]) as weights on the rows (n_1, m, n_2) of an
#: L >= 4 anchor_index (n_1, n_2, kind, m, ...): the data point x_n1, the midpoint
#: (x_n1 + x_m)/2, and the two "tie" points x_n2 + (x_n1 - x_m)/2, (2x_n2 + x_n1 + x_m)/4.
FIRST_LAYER_POINTS = {0: ("1", "0", "0"), 1: ("1/2", "1/2", "0"), 2: ("1/2", "-1/2", "1"),
                      3: ("1/4", "1/4", "1/2")}


@dataclass(frozen=True)
class ReflectionPlane:
    """The hyperplane H(p, w) = {x : (x - p) w = 0} (000 Sec. 2.4) with what it is to a feature.

    point : a point p on it; normal : w (the feature's first-layer weight W);
    kind : "data" (through a training point), "reflection" (through R(x_j0, x_j-1) =
    2x_j-1 - x_j0, not a training point in general) or "ridge" (the mirror plane through x',
    where the inner |.| breaks); label : how the point is made from the data, e.g.
    "R(x[2], x[0]) = 2x[0] - x[2]"; order : the point's minimal reflection order over the
    column's data points (0: a data point; None: no reflection, e.g. a midpoint) under the
    reading the planes were computed with (000 Sec. 2.4, App. F).
    """

    point: np.ndarray
    normal: np.ndarray
    kind: str
    label: str = ""
    order: int | None = None  # minimal reflection order of the point (None: not a reflection)

    def __post_init__(self):
        if self.kind not in PLANE_KINDS:
            raise GaconvexError(f"kind must be one of {PLANE_KINDS}, got {self.kind!r}.")

    @property
    def offset(self) -> float:
        """c with H = {x : x w = c}."""
        return float(np.dot(self.point, self.normal))

    def signed_distance(self, X) -> np.ndarray:
        """(x - p) w / ||w||_2 for the rows of X (n, d)."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        return (X - self.point) @ self.normal / np.linalg.norm(self.normal)

    def line_2d(self, t) -> np.ndarray:
        """Points p + t w_perp (len(t), 2) of a line in the plane (d = 2), for plotting."""
        if len(self.normal) != 2:
            raise GaconvexError(f"line_2d draws planes of R^2; this one lies in "
                                f"R^{len(self.normal)}.")
        n = np.asarray(self.normal, dtype=np.float64)
        along = np.array([-n[1], n[0]]) / np.linalg.norm(n)
        return self.point + np.asarray(t, dtype=np.float64)[:, None] * along

    def __str__(self) -> str:
        return (f"{self.kind} plane through {self.label or np.round(self.point, 6).tolist()}, "
                f"normal {np.round(self.normal, 6).tolist()}")


def canonical_sign(W: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """+-1 per row of W (S, d) making its first entry above rtol * max|W_row| positive: f is
    invariant under W -> -W (the first activation is even), so +-W is one direction."""
    W = np.asarray(W, dtype=np.float64)
    big = np.abs(W) > rtol * np.abs(W).max(axis=1, keepdims=True)
    first = W[np.arange(len(W)), np.argmax(big, axis=1)]
    return np.where(first < 0, -1.0, 1.0)


@dataclass(frozen=True, eq=False)
class ReflectionPlaneFamily(OnArchitecture):
    """The features of a deep narrow abs network of depth L >= 2 on R^d (module doc).

    Attributes
    ----------
    architecture : the abs architecture (``dim`` = d, depth L, norm p = 1).
    bias_kind : "data" (L = 2: one plane through a data point) or "reflection" (L >= 3: planes
        through x_j0 and R(x_j0, x'), a ridge through x'; L >= 4 nested reflections of higher
        order, 000 Thm 4.5).
    """

    architecture: object
    bias_kind: str
    sign_choices = ((),)

    @property
    def complete(self) -> bool:
        """Whether the paper proves the library complete (L <= 3: Remark E.1, Thm 4.1); for
        L >= 4 it is the data feature sub-library of Thm 4.4 and may be incomplete."""
        return self.depth <= 3

    @property
    def n_points(self) -> int:
        """Anchor points before the directions: x' and the data points x_{n_2}, ...,
        x_{n_{L-1}} of the inner data biases (x_j0 = x_{n_2} for L = 3)."""
        return self.depth - 1

    @property
    def n_anchors(self) -> int:
        """k rows of ``anchor_values``: the points, then d - 1 directions."""
        return self.n_points + self.dim - 1

    @property
    def n_candidate_points(self) -> int:
        """Points P whose x_n - P are first-layer direction candidates: x', and x_{n_k},
        2x' - x_{n_k} for k = 2..L-1 (1 for L = 2, 3 for L = 3: X^(3) of eq. (28))."""
        return 2 * self.depth - 3

    @property
    def n_signs(self) -> int:
        return 0

    def size(self, n: int) -> int:
        """Upper bound on the raw features: the Lemma 4.2 count with the x_j0 candidates
        (seed-000-spec Sec. 3.3) 2 N^(d+1) (3 + d)^(d-1) for L = 3, N^d (1 + d)^(d-1) for
        L = 2, and for L >= 4 (Sec. 3.5) 2 N^(L+d-2) (2L - 3 + d)^(d-1): 2 N^(L-1) first-layer
        and inner anchor choices times (d-1)-tuples of the (2L - 3) N + d direction
        candidates."""
        d, L = self.dim, self.depth
        return (1 if L == 2 else 2) * n ** (L + d - 2) * (2 * L - 3 + d) ** (d - 1)

    # -- the formula ------------------------------------------------------------------------------
    def neurons(self, anchors):
        """Rescaled units of anchor arrays (S, k, d): (W (S, d), b1 (S,), inner (S, L - 2) or
        None for L = 2, volume (S,)) with w = cross(Delta) (Hodge dual of the wedge, 000 eq.
        (6)), volume = ||w||_1, W = w / ||w||_1 in the canonical sign, b1 = -x' W and the data
        feature biases inner[:, l - 2] = b^(l) = -h_{l-1}(x_{n_l}) (000 eq. (12), (60); L = 3:
        b^(2) = -|(x_j0 - x') W|, Thm 4.1).  Dependent directions give volume 0 and W = b = 0."""
        from gaconvex.algebra import generalized_cross

        anchors = np.asarray(anchors, dtype=np.float64)
        S, d, k = anchors.shape[0], self.dim, self.n_points
        cross = generalized_cross(np.ascontiguousarray(anchors[:, k:]).reshape(S, d - 1, d))
        volume = np.abs(cross).sum(axis=1)
        live = volume > 0
        W = np.zeros_like(cross)
        W[live] = cross[live] / volume[live, None]
        W *= canonical_sign(W)[:, None] if S else 1.0
        W += 0.0  # no negative zeros in reports
        projections = np.einsum("skd,sd->sk", anchors[:, :k], W)
        b1 = -projections[:, 0]
        if self.depth == 2:
            return W, b1, None, volume
        inner = np.empty((S, self.depth - 2))
        h = np.abs(projections + b1[:, None])  # h_1 at x', x_{n_2}, ...
        for l in range(2, self.depth):
            inner[:, l - 2] = -h[:, l - 1]
            h = np.abs(h + inner[:, l - 2:l - 1])
        return W, b1, inner, volume

    def apply(self, u):
        """sigma(u) = |u|, numpy or torch."""
        return u.abs() if hasattr(u, "abs") and not isinstance(u, np.ndarray) else np.abs(u)

    def evaluate(self, X, W, b1, inner=None, out=None):
        """Columns f(x_i) for units (W (P, d), b1 (P,), inner (P, L - 2) (or (P,) for L = 3)
        or None) on X (N, d): |... ||X W^T + b1| + b^(2)| ... + b^(L-1)|; numpy (into ``out``)
        or torch."""
        U = X @ W.T
        if out is not None:
            out[...] = U
            U = out
        U += b1
        U = self.apply(U) if out is None else np.abs(U, out=U)
        if inner is None:
            return U
        inner = inner.reshape(W.shape[0], -1)
        for l in range(inner.shape[1]):
            U += inner[:, l]
            U = self.apply(U) if out is None else np.abs(U, out=U)
        return U

    def unit(self, anchor_values, signs=()) -> list[tuple[np.ndarray, np.ndarray]]:
        """The rescaled unit of one column, [(W (d, 1), b1 (1, 1))] + [(1, b^(l))] for
        l = 2..L-1, ||W||_1 = 1: the chain of 000 eq. (11) that reconstruction unscales (Def.
        E.2 corrected, seed-000-spec Sec. 3.6)."""
        anchors = np.asarray(anchor_values, dtype=np.float64).reshape(1, self.n_anchors, self.dim)
        W, b1, inner, volume = self.neurons(anchors)
        if volume[0] == 0:
            raise GaconvexError("the directions of this column are linearly dependent (zero cross "
                                "product): they define no first-layer weight.")
        layers = [(W[0].reshape(self.dim, 1), np.array([[b1[0]]]))]
        if inner is not None:
            layers += [(np.ones((1, 1)), np.array([[b]])) for b in inner[0]]
        return layers

    def breakplanes(self, anchor_values, anchor_index=None,
                    reading: str = "chain") -> list[ReflectionPlane]:
        """The breakplanes of one column, all orthogonal to W, each with the minimal reflection
        order of its point over the column's data points under ``reading`` ("chain" as printed
        in 000 App. F, or "tree"; :mod:`gaconvex.symbolic.reflections`).

        L = 2: the plane through x'; L = 3 (Thm 4.3 corrected (10c)): "data" through x_j0,
        "reflection" through 2x' - x_j0 (a data point, x_j-1, when x' is the midpoint) and the
        "ridge" through x' (when (x_j0 - x') W = 0 the three coincide: one plane).  L >= 4: the
        kinks of the 1-D deep narrow abs feature of t = x W (002; exact, by
        :func:`gaconvex.symbolic.breakpoints`) as affine combinations of the anchor points,
        sorted along W: "ridge" at local maxima of f, else "data", "reflection" (order >= 1,
        at most 2(L - 3) for data x', Thm 4.5) or "combination" (no order: midpoints)."""
        k, d = self.n_anchors, self.dim
        anchors = np.asarray(anchor_values, dtype=np.float64).reshape(k, d)
        W = self.unit(anchor_values)[0][0][:, 0]
        names = _point_names(anchor_index, self.depth)
        if self.depth == 2:
            return [ReflectionPlane(anchors[0], W, "data", names[0], 0)]
        if self.depth >= 4:
            return self._deep_breakplanes(anchors, W, anchor_index, reading)
        xp, x0 = anchors[0], anchors[1]
        if abs(np.dot(x0 - xp, W)) <= 1e-12 * (np.abs(x0).max() + np.abs(xp).max() + 1):
            return [ReflectionPlane(x0, W, "data", names[1], 0)]
        midpoint = anchor_index is not None and anchor_index[2] == MIDPOINT_KIND
        return [ReflectionPlane(x0, W, "data", names[1], 0),
                ReflectionPlane(2 * xp - x0, W, "data" if midpoint else "reflection", names[2],
                                0 if midpoint else 1),
                ReflectionPlane(xp, W, "ridge", names[0], None if midpoint else 0)]

    def _deep_breakplanes(self, anchors, W, anchor_index, reading) -> list[ReflectionPlane]:
        """L >= 4 planes from the exact 1-D kinks of the projected chain (see breakplanes): the
        1-D data-bias feature of t = x W with anchors (x' W, x_n2 W, ...), each kink's
        combination of the anchors rewritten over the column's data rows (x' by its kind,
        :data:`FIRST_LAYER_POINTS`).  Without
        ``anchor_index`` the generators are x' and the distinct inner anchors."""
        from .architecture import architecture
        from .breakpoints import breakpoints
        from .derivation import derive
        from .reflections import describe_combination

        L, k = self.depth, self.n_points
        points = anchors[:k]  # x', x_{n_2}, ..., x_{n_{L-1}}: the 1-D anchors a1, a2, ...
        if anchor_index is not None:
            n1, n2, kind, m = (int(v) for v in anchor_index[:4])
            first = {}
            for row, w in zip((n1, m, n2), FIRST_LAYER_POINTS[kind]):
                first[row] = first.get(row, 0) + sp.Rational(w)
            inner = [n2, *(int(v) for v in anchor_index[4:L + 1])]
            combos = [first] + [{row: 1} for row in inner]
        else:
            combos = [{0: 1}]
            for i in range(1, k):
                twin = next((j for j in range(1, i) if np.array_equal(points[j], points[i])), i)
                combos.append({twin: 1})
        rows = sorted({row for combo in combos for row in combo})
        names = ([f"x[{r}]" for r in rows] if anchor_index is not None
                 else ["x'" if r == 0 else f"x_n{r + 1}" for r in rows])
        data = {}  # row -> its point in R^d
        for combo, p in zip(combos, points):
            if len(combo) == 1 and next(iter(combo.values())) == 1:
                data.setdefault(next(iter(combo)), p)
        t = points @ W
        scale = float(np.abs(t).max()) or 1.0
        witness = [float(v) for v in np.round(t / scale, 12) * scale]  # exact ties stay ties
        family = derive(architecture("abs", L, midpoints=False)).families[0]
        W1, b1, inner_b, _ = self.neurons(anchors[None])
        step = W / (W @ W) * 1e-6 * (scale + 1.0)  # moves x W by 1e-6 (scale + 1)
        planes = []
        for b in breakpoints(family, witness):
            coeffs = dict.fromkeys(rows, sp.Integer(0))
            point = np.zeros(self.dim)
            for a, combo, p in zip(family.anchors, combos, points):
                c = b.expr.coeff(a)
                point = point + float(c) * p
                for row, w in combo.items():
                    coeffs[row] += c * w
            label, order = describe_combination([coeffs[r] for r in rows], names,
                                                reading=reading)
            around = self.evaluate(np.vstack([point - step, point, point + step]), W1, b1,
                                   inner_b)[:, 0]
            kind = ("ridge" if around[1] > max(around[0], around[2]) else "data" if order == 0
                    else "reflection" if order is not None else "combination")
            planes.append(ReflectionPlane(point, W, kind, label.removeprefix("data point "),
                                          order))
        return planes

    # -- the symbolic statement (describe, tests) -------------------------------------------------
    @cached_property
    def expr(self):
        """f as a sympy expression in x1..xd, the anchors (xp1.., xj0_1.. (= x_{n_2}),
        xn3_1.., .., Delta v11..), d <= 5: the volume form (9), nested for L >= 4:
        h_1(u) = |det[u - x'; V]| / ||cross(V)||_1, h_l(u) = |h_{l-1}(u) - h_{l-1}(x_{n_l})|."""
        if self.dim > _MAX_SYMBOLIC_DIM:
            inner = {2: "star((x - x') ^ B)",
                     3: "|star((x - x') ^ B)| - |star((x_j0 - x') ^ B)|"}.get(
                         self.depth, "h_(L-1)(x) of h_1 = star((x - x') ^ B)")
            return f"|{inner}| / ||B||_1, B = Delta_1 ^ ... ^ Delta_{self.dim - 1}"
        import sympy as sp

        d = self.dim
        row = lambda name: sp.Matrix([sp.symbols(f"{name}1:{d + 1}", real=True)])  # noqa: E731
        x, xp = row("x"), row("xp")
        V = sp.Matrix(d - 1, d, lambda i, j: sp.Symbol(f"v{i + 1}{j + 1}", real=True))
        cofactors = [(-1) ** i * V[:, [j for j in range(d) if j != i]].det() for i in range(d)]
        norm = sum(sp.Abs(c) for c in cofactors)
        vol = lambda u: sp.Abs((u - xp).col_join(V).det())  # noqa: E731
        if self.depth == 2:
            return vol(x) / norm
        if self.depth == 3:
            return sp.Abs(vol(x) - vol(row("xj0_"))) / norm
        inner = [row("xj0_")] + [row(f"xn{l}_") for l in range(3, self.depth)]

        def h(u, level):
            if level == 1:
                return vol(u) / norm
            return sp.Abs(h(u, level - 1) - h(inner[level - 2], level - 1))

        return h(x, self.depth - 1)

    def describe_column(self, info) -> str:
        """One column's unit and its planes, in the names of the data rows."""
        planes = self.breakplanes(info.anchor_values, info.anchor_index)
        (W, b1), *rest = self.unit(info.anchor_values)
        w = np.round(W[:, 0], 6).tolist()
        body = f"|<x, W> {b1[0, 0] + 0.0:+.6g}|"
        for _, b in rest:
            body = f"|{body} {b[0, 0] + 0.0:+.6g}|"
        return (f"{body}, W = {w} (||W||_1 = 1); planes: "
                + "; ".join(f"{p.kind} through {p.label}" for p in planes))

    def __str__(self) -> str:
        if self.depth == 2:
            return (f"{self.architecture} [data planes]: f(x) = |(x - x') W|, "
                    "W = cross(Delta) / ||cross(Delta)||_1")
        if self.depth >= 4:
            return (f"{self.architecture} [data feature sub-library, may be incomplete]: "
                    "f = h_(L-1), h_1(x) = |(x - x') W|, h_l(x) = |h_(l-1)(x) - h_(l-1)(x_n_l)|")
        return (f"{self.architecture} [reflection planes]: f(x) = ||(x - x') W| - |(x_j0 - x') W||"
                " = min(|(x - x_j0) W|, |(x - R(x_j0, x')) W|)")


def _point_names(anchor_index, depth: int) -> list[str]:
    """Labels of x' / x_j0 / 2x' - x_j0 from an anchor_index row (or generic names)."""
    if anchor_index is None:
        return ["x'"] if depth == 2 else ["x'", "x_j0", "2x' - x_j0"]
    if depth == 2:
        return [f"x[{anchor_index[0]}]"]
    jm, j0, kind = (int(v) for v in anchor_index[:3])
    if kind == MIDPOINT_KIND:
        return [f"(x[{jm}] + x[{j0}])/2", f"x[{j0}]", f"x[{jm}]"]
    return [f"x[{jm}]", f"x[{j0}]", f"R(x[{j0}], x[{jm}]) = 2x[{jm}] - x[{j0}]"]


def _check(arch) -> None:
    act = arch.activation
    if (act.a_plus, act.a_minus, act.b_plus, act.b_minus) != (1, -1, 0, 0):
        raise GaconvexError(f"the reflection-plane family is the deep narrow abs network of 000 "
                            f"(Thms 4.1, 4.3); got {act.name}. Use activation 'abs'.")
    if arch.midpoints or arch.skip:
        raise GaconvexError("the reflection-plane family has its midpoint first-layer biases built "
                            "in (000 Thm 4.1, eq. (12)) and no skip connection: use "
                            "midpoints=None, skip=False.")


def _features(arch) -> tuple:
    return (ReflectionPlaneFamily(arch, "data" if arch.depth == 2 else "reflection"),)


DEEP_NARROW_DDIM = register_family(NetworkFamily(
    name="deep_narrow_ddim",
    summary="deep narrow abs networks on R^d, features = distances to reflection planes (000)",
    hidden_widths=lambda depth: (1,) * (depth - 1),
    tied=False,
    penalty_factor=1,
    check=_check,
    features=_features,
    norms=(1,),
    multidim=True,
))


def is_reflection_planes(arch) -> bool:
    """Whether ``arch`` is a network of the reflection-plane (d-D deep narrow abs) family."""
    return arch.family is DEEP_NARROW_DDIM
