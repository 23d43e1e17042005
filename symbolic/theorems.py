"""Machine checks of the statements the symbolic layer rests on (002, 000, 001).

Each function checks one statement, in its corrected form where the paper has an erratum, and
returns a :class:`TheoremCheck`: what was checked, whether it holds and what was found (the
numbers a test or the CLI prints).  Symbolic proofs split into cases by *parametrizing each
case as a cone*: on a cone {p r1 + q r2 : p, q > 0} every affine quantity has a known sign, so
sympy evaluates ``Abs``/``Min``/``Piecewise`` itself and the identity reduces to ``expand == 0``;
both sides are continuous, so the open cones (and rays) cover everything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations, permutations

import numpy as np
import sympy as sp

from .architecture import architecture
from .symmetrized import SYMMETRIZED
from .breakpoints import breakpoints
from .derivation import derive

__all__ = ["TheoremCheck", "fig_3_1", "relu_depth_stagnation", "lemma_b2_forms",
           "abs_reflection_orders", "w_function", "w_function_identity", "abs_relu_skip_maps",
           "symmetrized_generalized_reflections", "reflection_planes", "volume_identities",
           "all_checks"]

EXAMPLE_X = np.array([2.0, 1.3, 0.4, -0.2, -1.1, -1.7])  # N = 6, descending, generic


@dataclass(frozen=True)
class TheoremCheck:
    """The outcome of checking one statement."""

    reference: str
    statement: str
    holds: bool
    found: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.holds

    def summary(self) -> str:
        lines = [f"[{'ok' if self.holds else 'FAILS'}] {self.reference}: {self.statement}"]
        lines += [f"    {k}: {v}" for k, v in self.found.items()]
        return "\n".join(lines)

    __str__ = summary


# -- numeric evaluation of families (independent of codegen) ------------------------------------
def _feature_columns(family, x) -> np.ndarray:
    """All raw columns f(x; anchors, signs), anchors over x^k and signs over the family's choices,
    by ``sympy.lambdify`` of ``family.expr`` (N x (|signs| N^k))."""
    fn = sp.lambdify([family.x, *family.anchors, *family.signs], family.expr, "numpy")
    grids = np.meshgrid(*([x] * family.n_anchors), indexing="ij")
    anchors = [g.reshape(1, -1) for g in grids]
    shape = (x.size, anchors[0].size)
    return np.hstack([np.broadcast_to(fn(x[:, None], *anchors, *signs), shape)
                      for signs in family.sign_choices])


def _column_set(M) -> set:
    """Distinct columns, rounded to 1e-12."""
    return {tuple(c) for c in (np.round(np.asarray(M, dtype=float), 12) + 0.0).T}


def _ramp(x, a1, a2, plus: bool):
    """Capped ramps of 002 Def. 3.3: Ramp+ = clip(x - a1, 0, a2 - a1), Ramp- = clip(a2 - x, ...),
    both == 0 when a1 > a2."""
    cap = np.maximum(a2 - a1, 0.0)
    return np.clip((x - a1) if plus else (a2 - x), 0.0, cap)


# -- 002 ----------------------------------------------------------------------------------------
def fig_3_1() -> TheoremCheck:
    """002 Fig. 3.1: abs L = 3 with (x_j1, x_j2) = (3, 2) breaks at {2, 3, 4} (4 = R(2, 3)),
    (8, 4) at {4, 8, 12}; abs L = 4 with (7, 4, 5) at {3, 4, 5, 7, 9, 10, 11}, where
    11 = R(R(5, 4), 7) is a reflection of a reflection."""
    cases = {(3, (3, 2)): {2, 3, 4}, (3, (8, 4)): {4, 8, 12},
             (4, (7, 4, 5)): {3, 4, 5, 7, 9, 10, 11}}
    found, holds = {}, True
    for (L, anchors), expected in cases.items():
        bps = breakpoints(derive(architecture("abs", L)).families[0], anchors)
        found[f"abs L={L} anchors {anchors}"] = [str(b) for b in bps]
        holds &= {int(b.value) for b in bps} == expected
    eleven = [b for b in breakpoints(derive(architecture("abs", 4)).families[0], (7, 4, 5))
              if b.value == 11][0]
    holds &= eleven.order == 2 and "R(R(a3, a2), a1)" in eleven.label
    return TheoremCheck("002 Fig. 3.1", "breakpoints {2,3,4}, {4,8,12}, {3,4,5,7,9,10,11} with "
                        "11 = R(R(5,4),7)", bool(holds), found)


def _lemma_b2_set(x) -> set:
    """{ReLU+-_{x_k}} u {Ramp+-_{x_a, x_b}} u {0} evaluated on x (002 Lemma 3.7, Lemma B.2)."""
    X, a1, a2 = x[:, None, None], x[None, :, None], x[None, None, :]
    cols = [np.maximum(x[:, None] - x[None, :], 0), np.maximum(x[None, :] - x[:, None], 0),
            np.zeros((x.size, 1))]
    for plus in (True, False):
        cols.append(_ramp(X, a1, a2, plus).reshape(x.size, -1))
    return _column_set(np.hstack(cols))


def relu_depth_stagnation(x=EXAMPLE_X, depths=(3, 4, 5)) -> TheoremCheck:
    """002 Thm 3.4 / Lemma 3.7: deep narrow ReLU libraries stop growing at L = 3; their distinct
    columns on any data are {ReLU+-_{x_k}, Ramp+-_{x_a,x_b}, 0} (Lemma B.2), O(N^2) of them."""
    x = np.asarray(x, dtype=float)
    sets = {L: _column_set(_feature_columns(derive(architecture("relu", L)).families[0], x))
            for L in depths}
    explicit = _lemma_b2_set(x)
    found = {f"distinct columns L={L}": len(s) for L, s in sets.items()}
    found["distinct explicit ramps/ReLUs/0"] = len(explicit)
    holds = all(s == explicit for s in sets.values())
    return TheoremCheck("002 Thm 3.4, Lemma 3.7", "deep narrow ReLU columns are the same for "
                        f"L = {', '.join(map(str, depths))}: ramps and capped ramps", holds, found)


def lemma_b2_forms(x=EXAMPLE_X, tol: float = 1e-12) -> TheoremCheck:
    """002 Lemma B.2 (spec Sec. 2.6): with data biases, L = 2 ReLU gives sigma(s(x - a1)); L = 3
    ReLU gives, by (W1, W2): (+1, +1) ReLU+_{max(a1,a2)}, (-1, +1) ReLU-_{min(a1,a2)},
    (-1, -1) Ramp+_{a2,a1}, (+1, -1) Ramp-_{a1,a2}."""
    x = np.asarray(x, dtype=float)
    X, a1, a2 = x[:, None, None], x[None, :, None], x[None, None, :]
    expected = {
        (2, (1,)): np.maximum(x[:, None] - x[None, :], 0),
        (2, (-1,)): np.maximum(x[None, :] - x[:, None], 0),
        (3, (1, 1)): np.maximum(X - np.maximum(a1, a2), 0),
        (3, (-1, 1)): np.maximum(np.minimum(a1, a2) - X, 0),
        (3, (-1, -1)): _ramp(X, a2, a1, True),
        (3, (1, -1)): _ramp(X, a1, a2, False),
    }
    found = {}
    for (L, signs), cols in expected.items():
        fam = derive(architecture("relu", L)).families[0]
        fn = sp.lambdify([fam.x, *fam.anchors, *fam.signs], fam.expr, "numpy")
        got = fn(X if L == 3 else x[:, None], *((a1, a2) if L == 3 else (x[None, :],)), *signs)
        found[f"L={L} signs {signs}: max deviation"] = float(np.max(np.abs(got - cols)))
    return TheoremCheck("002 Lemma B.2", "explicit L = 2, 3 ReLU features (ReLU+-, Ramp+-)",
                        all(v <= tol for v in found.values()), found)


def abs_reflection_orders(depths=(2, 3, 4, 5, 6), n_configs: int = 200,
                          seed: int = 0) -> TheoremCheck:
    """000 Thm 4.5 / 002 Thm 3.2: breakpoints of deep narrow abs features with data biases are
    reflections of the anchors; Thm 4.5 bounds their minimal order by 0 (L = 2), 1 (L = 3) and
    2(L - 3) (L >= 4); seed-000-spec C12 expects the maxima 0, 1, 2, 4, 6 for L = 2..6.

    Each depth draws ``n_configs`` generic configurations (distinct random integers < 10^6) and
    reports the largest minimal order found, an example, and how many configurations exceed the
    bound.  ``holds``: the bound is attained and never exceeded.  FINDING: at L = 6 about 0.5% of
    configurations have a breakpoint of minimal order 7 > 2(L - 3) (e.g. anchors (359690, 22785,
    939070, 587042, 4119): 412085 = 10a1 - 6a2 - 2a3 - 2a4 + a5), so the check fails at L = 6 when
    the sample hits one; at L = 7 orders up to 10 > 8 occur.  The Fig. 3 caption's "order L - 2" is wrong from L = 5 in any case.
    """
    rng = np.random.default_rng(seed)
    found, holds = {}, True
    for L in depths:
        fam = derive(architecture("abs", L, midpoints=False)).families[0]
        bound = {2: 0, 3: 1}.get(L, 2 * (L - 3))
        best, best_anchors, above, non_reflections = None, None, 0, 0
        for _ in range(n_configs):
            anchors = tuple(int(a) for a in rng.choice(10 ** 6, size=L - 1, replace=False))
            orders = []
            for b in breakpoints(fam, anchors, max_order=bound + 4):
                non_reflections += b.order is None
                orders.append(-1 if b.order is None else b.order)
                if b.order is not None and (best is None or b.order > best.order):
                    best, best_anchors = b, anchors
            above += max(orders) > bound
        found[f"L={L}"] = {"max order": best.order, "Thm 4.5 bound": bound,
                           "caption L-2": L - 2, "configurations above the bound": above,
                           "example": str(best), "anchors": best_anchors,
                           "non-reflections": non_reflections}
        holds &= best.order == bound and non_reflections == 0
    return TheoremCheck("000 Thm 4.5, 002 Thm 3.2", "max minimal reflection order of deep abs "
                        "breakpoints is 0, 1, 2(L-3) (attained, never exceeded)", bool(holds),
                        found)


def w_function(alpha, beta, x) -> sp.Piecewise:
    """W_{alpha,beta}(x) of 002 Def. B.1: alpha - x, x - alpha, R - x, x - R on the intervals
    split by alpha <= beta <= R = R(alpha, beta) = 2 beta - alpha."""
    R = 2 * beta - alpha
    return sp.Piecewise((alpha - x, x <= alpha), (x - alpha, x <= beta), (R - x, x <= R),
                        (x - R, True))


def w_function_identity() -> TheoremCheck:
    """002 Remark D.19: for b2 >= 0, ||x - b1| - b2| = W_{b1-b2, b1}(x), with breakpoints
    b1 - b2, b1 and b1 + b2 = R(b1 - b2, b1).  Proved on the four intervals, each parametrized
    by positive symbols; the breakpoints are checked against :func:`breakpoints` of abs L = 3."""
    b1 = sp.Symbol("b1", real=True)
    b2, t, r, q = sp.symbols("b2 t r q", positive=True)
    x = sp.Symbol("x", real=True)
    lhs, rhs = sp.Abs(sp.Abs(x - b1) - b2), w_function(b1 - b2, b1, x)
    intervals = [{x: b1 - b2 - t}, {x: b1 - r, b2: r + q}, {x: b1 + r, b2: r + q},
                 {x: b1 + b2 + t}]
    proved = [sp.expand(lhs.xreplace(c) - rhs.xreplace(c)) == 0 for c in intervals]
    fam = derive(architecture("abs", 3)).families[0]
    a1, a2 = fam.anchors
    bp_ok = []
    for anchors in ((3, 2), (2, 3), (8, 4)):
        b2v = abs(anchors[1] - anchors[0])
        got = {b.value for b in breakpoints(fam, anchors)}
        bp_ok.append(got == {anchors[0] - b2v, anchors[0], anchors[0] + b2v})
    found = {"intervals proved": proved, "abs L=3 breakpoints = {b1-b2, b1, b1+b2}": bp_ok}
    return TheoremCheck("002 Remark D.19", "||x-b1|-b2| = W_{b1-b2,b1}(x) for b2 >= 0",
                        all(proved) and all(bp_ok), found)


def abs_relu_skip_maps(width: int = 2) -> TheoremCheck:
    """002 Lemma 3.1 with the corrected map |u| = 2(u)_+ - u (printed: 2(u)_+ + u, false) and
    (u)_+ = (|u| + u)/2.  The parameter maps of spec Sec. 2.7 preserve the network function:
    abs -> ReLU: alpha = 2 alpha*, xi = xi* - sum b alpha*, omega = omega* - sum W alpha*;
    ReLU -> abs: alpha = alpha*/2, xi = xi* + sum b alpha*/2, omega = omega* + sum W alpha*/2."""
    t = sp.Symbol("t", positive=True)
    relu = lambda u: sp.Max(u, 0)  # noqa: E731
    scalar = {"|u| = 2(u)+ - u": all(sp.Abs(u) - (2 * relu(u) - u) == 0 for u in (t, -t, 0)),
              "(u)+ = (|u| + u)/2": all(relu(u) - (sp.Abs(u) + u) / 2 == 0 for u in (t, -t, 0)),
              "printed |u| = 2(u)+ + u fails": any(sp.Abs(u) - (2 * relu(u) + u) != 0
                                                  for u in (t, -t))}
    x, xi, om = sp.symbols("x xi omega", real=True)
    W, b, al = (sp.symbols(f"{n}1:{width + 1}", real=True) for n in ("W", "b", "alpha"))
    u = [W[i] * x + b[i] for i in range(width)]
    f_abs = sum(al[i] * sp.Abs(u[i]) for i in range(width)) + xi + om * x
    f_relu = (sum(2 * al[i] * relu(u[i]) for i in range(width))
              + (xi - sum(b[i] * al[i] for i in range(width)))
              + (om - sum(W[i] * al[i] for i in range(width))) * x)
    to_relu = {sp.Abs(v): 2 * relu(v) - v for v in u}  # the proved scalar identity
    g_relu = sum(al[i] * relu(u[i]) for i in range(width)) + xi + om * x
    g_abs = (sum(al[i] / 2 * sp.Abs(u[i]) for i in range(width))
             + xi + sum(b[i] * al[i] for i in range(width)) / 2
             + (om + sum(W[i] * al[i] for i in range(width)) / 2) * x)
    to_abs = {relu(v): (sp.Abs(v) + v) / 2 for v in u}
    maps = {"abs -> ReLU map": sp.expand(f_abs.xreplace(to_relu) - f_relu) == 0,
            "ReLU -> abs map": sp.expand(g_relu.xreplace(to_abs) - g_abs) == 0}
    found = {**scalar, **maps}
    return TheoremCheck("002 Lemma 3.1", "abs and ReLU networks with skip connection map onto each "
                        "other (|u| = 2(u)+ - u)", all(found.values()), found)


def symmetrized_generalized_reflections(values=(0, 3, 7)) -> TheoremCheck:
    """002 Thm 3.5 / 3.13, Fig. 3.4, Fig. B.1: symmetrized 3-layer ReLU features
    sigma(h(x) - h(a3)), h(x) = sum_k W2_k sigma(W1_k (x - a_k)), break at the generalized
    reflection a1 + a2 - a3 of the layer-2 anchor a3 across the layer-1 anchors a1, a2, exactly
    for the patterns with W1 of opposite signs and W2 of equal signs (Fig. B.1 proof).

    Naming: the paper's captions write x_j2 + x_j3 - x_j1 with x_j1 the reflected point; in the
    family's anchor order (spec Sec. 2.4 (c)) the reflected point is a3.  No other generalized
    reflection can occur: it needs h(x) = h(a3) on a second piece of slope +-1, and with W1 or
    W2 of equal signs h is monotone there.  Searches all orderings of ``values`` and all 16
    sign patterns (s1, s2, s3, s4) = (W1_1, W1_2, W2_1, W2_2).
    """
    fam = derive(architecture("relu", 3, family=SYMMETRIZED)).families[0]
    a1, a2, a3 = fam.anchors
    hits, others = [], set()
    for anchors in permutations(values):
        for signs in fam.sign_choices:
            for b in breakpoints(fam, anchors, signs):
                if sp.expand(b.expr - (a1 + a2 - a3)) == 0:
                    hits.append((anchors, signs, str(b)))
                elif b.order != 0:
                    others.add(str(b.expr))
    patterns = sorted({s for _, s, _ in hits})
    expected = sorted((w1, -w1, w2, w2) for w1 in (1, -1) for w2 in (1, -1))
    found = {"sign patterns with a1 + a2 - a3": patterns, "example": hits[0] if hits else None,
             "other non-data breakpoints": sorted(others)}
    return TheoremCheck("002 Thm 3.5, Fig. 3.4, Fig. B.1", "symmetrized ReLU features break at "
                        "the generalized reflection a1 + a2 - a3, for W1 = (w, -w), W2 = (v, v)",
                        patterns == expected and not others, found)


# -- 000 ----------------------------------------------------------------------------------------
def _cones_2d(p, q):
    """(t, c) on the 8 rays and 8 open cones cut by t = 0, c = 0, t = +-c (p, q > 0)."""
    rays = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)]
    out = [(p * r[0], p * r[1]) for r in rays]
    out += [(p * r[0] + q * s[0], p * r[1] + q * s[1]) for r, s in zip(rays, rays[1:] + rays[:1])]
    return out


def _vector(name, d):
    return sp.Matrix(1, d, sp.symbols(f"{name}_1:{d + 1}", real=True))


def reflection_planes(d: int) -> TheoremCheck:
    """000 Thm 4.3, corrected (10c) (seed-000-spec Sec. 3.4): the 3-layer abs feature
    f(x) = ||(x - x')W| - |(x_j0 - x')W|| equals min(|(x - x_j0)W|, |(x - (2x' - x_j0))W|): it
    vanishes on the planes through x_j0 and through its reflection R(x_j0, x') = 2x' - x_j0,
    orthogonal to W, and is mirror-symmetric about the plane through x'.

    Proof: ||t| - |c|| = min(|t - c|, |t + c|) on the 16 cones of the (t, c) plane, and with
    t = (x - x')W, c = (x_j0 - x')W, expand gives (x - x_j0)W = t - c, (x - R)W = t + c.
    """
    p, q = sp.symbols("p q", positive=True)
    scalar = all(sp.expand(sp.Abs(sp.Abs(t) - sp.Abs(c))
                           - sp.Min(sp.Abs(t - c), sp.Abs(t + c))) == 0 for t, c in _cones_2d(p, q))
    x, xp, x0, W = (_vector(n, d) for n in ("x", "xp", "xj0", "W"))
    dot = lambda u: sp.expand((u * W.T)[0, 0])  # noqa: E731
    t, c = dot(x - xp), dot(x0 - xp)
    R = 2 * xp - x0
    f = lambda y: sp.Abs(sp.Abs(dot(y - xp)) - sp.Abs(c))  # noqa: E731
    lam, mu = sp.symbols("lambda mu", real=True)
    if d == 2:
        v = lam * sp.Matrix([[-W[1], W[0]]])
    else:
        u = _vector("u", 3)
        v = lam * W.cross(u)
    found = {"||t|-|c|| = min(|t-c|, |t+c|) on all cones": scalar,
             "(x - x_j0)W = t - c": sp.expand(dot(x - x0) - (t - c)) == 0,
             "(x - R(x_j0, x'))W = t + c": sp.expand(dot(x - R) - (t + c)) == 0,
             "v orthogonal to W": dot(v) == 0,
             "zero on the plane through x_j0": f(x0 + v) == 0,
             "zero on the plane through 2x' - x_j0": f(R + v) == 0,
             # x - mu W has inner value t - mu W.W; mu = 2t / W.W (the mirror image) gives -t
             "mirror symmetric about the plane through x'":
                 sp.expand(dot(x - mu * W - xp) - (t - mu * dot(W))) == 0
                 and sp.Abs(sp.Abs(t - 2 * t / dot(W) * dot(W)) - sp.Abs(c)) == f(x)}
    return TheoremCheck(f"000 Thm 4.3 (10c), d = {d}", "3-layer abs features are distances to the "
                        "planes through x_j0 and its reflection 2x' - x_j0", all(found.values()),
                        found)


# -- 001 ----------------------------------------------------------------------------------------
def _cross(V: sp.Matrix) -> sp.Matrix:
    """Generalized cross product of the rows of V ((d-1) x d), cofactor form (seed-000-spec (5')):
    w_i = (-1)^(i-1) det(V without column i)."""
    d = V.shape[1]
    return sp.Matrix(1, d, [(-1) ** i * V[:, [j for j in range(d) if j != i]].det()
                            for i in range(d)])


def volume_identities(d: int) -> TheoremCheck:
    """001 Sec. 2.2 / App. 6.1 (spec seed-001 Sec. 1.2), for d = 2, 3 with sympy determinants:
    x . cross(v_1..v_{d-1}) = det[x; v_1; ...]; cross is orthogonal to every v_k;
    ||cross||^2 = ||v_1 ^ ... ^ v_{d-1}||^2 = det(V V^T) (Cauchy-Binet); the signed distance to
    the affine hull of u_1..u_d is det[x - u_d; u_1 - u_d; ...] / ||(u_1 - u_d) ^ ...||; for
    d = 2 the triangle loop formula 1/2 (a^b + b^c + c^a) = 1/2 det[b - a; c - a]."""
    V = sp.Matrix.vstack(*(_vector(f"v{k}", d) for k in range(1, d)))
    x = _vector("x", d)
    w = _cross(V)
    minors = [V[:, list(cols)].det() for cols in combinations(range(d), d - 1)]
    found = {"x . cross = det[x; V]":
                 sp.expand((x * w.T)[0, 0] - sp.Matrix.vstack(x, V).det()) == 0,
             "cross orthogonal to V":
                 all(sp.expand((V[k, :] * w.T)[0, 0]) == 0 for k in range(d - 1)),
             "||cross||^2 = ||wedge||^2 = det(V V^T)":
                 sp.expand((w * w.T)[0, 0] - sum(m ** 2 for m in minors)) == 0
                 and sp.expand((w * w.T)[0, 0] - (V * V.T).det()) == 0}
    # affine hull of u_1..u_d = {y : (y - u_d) . n = 0} with n = cross(u_k - u_d) orthogonal to
    # its directions, so dist(x, hull) = |(x - u_d) . n| / ||n|| = |det[x - u_d; ...]| / ||wedge||
    U = [_vector(f"u{k}", d) for k in range(1, d + 1)]
    B = sp.Matrix.vstack(*(U[k] - U[-1] for k in range(d - 1)))
    n = _cross(B)
    hull_minors = [B[:, list(cols)].det() for cols in combinations(range(d), d - 1)]
    found["det[x - u_d; u_k - u_d] = (x - u_d) . n"] = sp.expand(
        sp.Matrix.vstack(x - U[-1], B).det() - ((x - U[-1]) * n.T)[0, 0]) == 0
    found["n orthogonal to the hull directions u_k - u_d"] = all(
        sp.expand((B[k, :] * n.T)[0, 0]) == 0 for k in range(d - 1))
    found["||n|| = ||(u_1 - u_d) ^ ... ^ (u_{d-1} - u_d)||"] = sp.expand(
        (n * n.T)[0, 0] - sum(m ** 2 for m in hull_minors)) == 0
    if d == 2:
        a, b_, c = (_vector(k, 2) for k in "abc")
        wedge = lambda u, v: u[0] * v[1] - u[1] * v[0]  # noqa: E731
        loop = (wedge(a, b_) + wedge(b_, c) + wedge(c, a)) / 2
        found["loop formula 1/2(a^b + b^c + c^a) = 1/2 det[b - a; c - a] = 1/2 (a-c)^(b-c)"] = (
            sp.expand(loop - sp.Matrix.vstack(b_ - a, c - a).det() / 2) == 0
            and sp.expand(loop - wedge(a - c, b_ - c) / 2) == 0)
    return TheoremCheck(f"001 Sec. 2.2 volume/distance identities, d = {d}", "cross products, "
                        "wedge norms and distances are determinants", all(found.values()), found)


def all_checks(n_configs: int = 200) -> list[TheoremCheck]:
    """Every check of this module (a few seconds; ``n_configs`` for the reflection orders)."""
    return [fig_3_1(), relu_depth_stagnation(), lemma_b2_forms(),
            abs_reflection_orders(n_configs=n_configs), w_function_identity(),
            abs_relu_skip_maps(), symmetrized_generalized_reflections(),
            reflection_planes(2), reflection_planes(3), volume_identities(2), volume_identities(3)]
