"""Theorem checks of gaconvex.symbolic.theorems, each with an independent numeric cross-check:
002 Fig. 3.1, Thm 3.4 / Lemma 3.7, Lemma B.2, Remark D.19, Lemma 3.1, Thm 3.5 / Fig. B.1;
000 Thm 4.5 (reflection orders 0, 1, 2, 4, 6) and Thm 4.3 (10c) for d = 2, 3; 001 volume identities.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from gaconvex.symbolic import architecture, breakpoints, derive, theorems
from gaconvex.symbolic.reflections import reflection_construction
from symbolic_oracles import missing_and_spurious


def test_fig_3_1():
    check = theorems.fig_3_1()
    assert check.holds, check.summary()
    assert "11 = 2*a1 - 2*a2 + a3" in " ".join(check.found["abs L=4 anchors (7, 4, 5)"])


def test_fig_3_1_against_numeric_kinks():
    """The three Fig. 3.1 features, evaluated directly, break exactly at the published values."""
    rng = np.random.default_rng(0)
    feats = {(3, 2): (lambda x: np.abs(np.abs(x - 3) - 1), [2, 3, 4]),
             (8, 4): (lambda x: np.abs(np.abs(x - 8) - 4), [4, 8, 12]),
             (7, 4, 5): (lambda x: np.abs(np.abs(np.abs(x - 7) - 3) - 1), [3, 4, 5, 7, 9, 10, 11])}
    for g, points in feats.values():
        assert missing_and_spurious(g, points, rng) == ([], [])


def test_relu_depth_stagnation_thm_3_4():
    check = theorems.relu_depth_stagnation()
    assert check.holds, check.summary()
    assert check.found["distinct columns L=3"] == 31  # spec Sec. 2.6: N = 6 gives 31


def test_relu_stagnation_on_random_data():
    x = np.sort(np.random.default_rng(4).normal(size=5))[::-1]
    assert theorems.relu_depth_stagnation(x, depths=(3, 4)).holds


def test_abs_library_grows_unlike_relu():
    """Negative control for the column-set comparison (spec C6): abs columns grow with depth."""
    x = theorems.EXAMPLE_X
    sizes = [len(theorems._column_set(theorems._feature_columns(
        derive(architecture("abs", L, midpoints=False)).families[0], x))) for L in (2, 3, 4)]
    assert sizes[0] < sizes[1] < sizes[2]


def test_lemma_b2_forms():
    check = theorems.lemma_b2_forms()
    assert check.holds, check.summary()


def test_reflection_orders_thm_4_5():
    """Max minimal orders 0, 1, 2, 4 for L = 2..5 and >= 6 at L = 6: the 000 Thm 4.5 bound
    2(L - 3) is attained; the Fig. 3 caption's L - 2 is wrong from L = 5.  This sample also
    meets an order-7 breakpoint at L = 6 (see the next test).  About 4 s."""
    shallow = theorems.abs_reflection_orders(depths=(2, 3, 4, 5), n_configs=60, seed=0)
    assert shallow.holds, shallow.summary()
    check = theorems.abs_reflection_orders(depths=(6,), n_configs=200, seed=0)
    found = [shallow.found[f"L={L}"] for L in range(2, 6)] + [check.found["L=6"]]
    assert [f["max order"] for f in found[:4]] == [0, 1, 2, 4]
    assert [f["configurations above the bound"] for f in found[:4]] == [0, 0, 0, 0]
    assert found[4]["max order"] >= 6
    assert [found[L - 2]["caption L-2"] for L in (5, 6)] == [3, 4]
    assert all(f["non-reflections"] == 0 for f in found)


def test_thm_4_5_bound_is_exceeded_at_depth_6():
    """FINDING (contradicts 000 Thm 4.5 and seed-000-spec C12): the L = 6 abs feature with
    anchors (359690, 22785, 939070, 587042, 4119) breaks at 412085 = 10a1 - 6a2 - 2a3 - 2a4 + a5,
    whose minimal reflection order is 7 > 2(L - 3) = 6.  Checked independently: the lambdified
    feature has a kink there, and breadth-first enumeration of all reflections of order <= 6
    over five generators (283280 points) does not contain it."""
    family = derive(architecture("abs", 6, midpoints=False)).families[0]
    anchors = (359690, 22785, 939070, 587042, 4119)
    point = [b for b in breakpoints(family, anchors) if b.value == 412085][0]
    assert point.order == 7
    assert [int(point.expr.coeff(a)) for a in family.anchors] == [10, -6, -2, -2, 1]
    fn = sp.lambdify([family.x, *family.anchors], family.expr, "numpy")
    left, at, right = fn(np.array([412084.0, 412085.0, 412086.0]), *map(float, anchors))
    assert left + right != 2 * at
    gens = [tuple(int(i == j) for j in range(5)) for i in range(5)]
    reachable, level = set(gens), set(gens)
    for _ in range(6):
        level = {tuple(2 * b - a for a, b in zip(p, g)) for p in level for g in gens} | \
                {tuple(2 * a - b for a, b in zip(p, g)) for p in level for g in gens}
        reachable |= level
    assert (10, -6, -2, -2, 1) not in reachable


def test_reflection_order_examples_are_real_kinks():
    """Independent check of the extremal examples: the construction evaluates to the breakpoint,
    and the lambdified feature really breaks there."""
    check = theorems.abs_reflection_orders(depths=(4, 5), n_configs=60, seed=1)
    for L in (4, 5):
        info = check.found[f"L={L}"]
        family = derive(architecture("abs", L, midpoints=False)).families[0]
        anchors = info["anchors"]
        best = max((b for b in breakpoints(family, anchors) if b.order is not None),
                   key=lambda b: b.order)
        coeffs = [int(best.expr.coeff(a)) for a in family.anchors]
        order, construction = reflection_construction(coeffs)
        assert order == best.order == info["max order"]
        assert int(best.expr.xreplace(dict(zip(family.anchors, anchors)))) == best.value
        fn = sp.lambdify([family.x, *family.anchors], family.expr, "numpy")
        g = lambda x: fn(np.asarray(x, float), *map(float, anchors))  # noqa: E731
        h = 0.25
        left, at, right = g(np.array([float(best.value) - h, float(best.value),
                                      float(best.value) + h]))
        assert not np.isclose(left + right, 2 * at)  # a kink (slopes +-1) at the breakpoint


def test_w_function_identity_remark_d19():
    check = theorems.w_function_identity()
    assert check.holds, check.summary()
    rng = np.random.default_rng(2)
    x = sp.Symbol("x")
    for b1, b2 in zip(rng.normal(size=20), np.abs(rng.normal(size=20))):
        w = sp.lambdify(x, theorems.w_function(b1 - b2, b1, x), "numpy")
        xs = rng.uniform(-5, 5, 50)
        assert np.allclose([w(v) for v in xs], np.abs(np.abs(xs - b1) - b2))


def test_abs_relu_skip_maps_lemma_3_1():
    check = theorems.abs_relu_skip_maps()
    assert check.holds, check.summary()
    rng = np.random.default_rng(1)
    W, b, al = rng.normal(size=(3, 4))
    xi, om = rng.normal(size=2)
    xs = rng.normal(size=30)[:, None]
    f_abs = np.abs(xs * W + b) @ al + xi + om * xs[:, 0]
    f_relu = (np.maximum(xs * W + b, 0) @ (2 * al) + xi - b @ al + (om - W @ al) * xs[:, 0])
    assert np.allclose(f_abs, f_relu)


def test_symmetrized_generalized_reflections():
    check = theorems.symmetrized_generalized_reflections()
    assert check.holds, check.summary()
    rng = np.random.default_rng(3)
    relu = lambda u: np.maximum(u, 0)  # noqa: E731
    for a1, a2, a3 in rng.normal(size=(20, 3)):  # W1 = (1, -1), W2 = (1, 1), spec Sec. 2.4 (c)
        h = lambda x: relu(x - a1) + relu(a2 - x)  # noqa: E731
        g = lambda x: relu(h(x) - h(a3))  # noqa: E731
        if a1 > a2 and not a2 < a3 < a1:  # h is V-shaped around its flat part: a3 mirrors
            assert np.isclose(h(a1 + a2 - a3), h(a3)) and np.isclose(g(a1 + a2 - a3), 0)


@pytest.mark.parametrize("d", [2, 3])
def test_reflection_planes_thm_4_3(d):
    check = theorems.reflection_planes(d)
    assert check.holds, check.summary()
    rng = np.random.default_rng(d)
    for _ in range(50):
        x, xp, x0, W = rng.normal(size=(4, d))
        f = abs(abs((x - xp) @ W) - abs((x0 - xp) @ W))
        assert np.isclose(f, min(abs((x - x0) @ W), abs((x - (2 * xp - x0)) @ W)))


@pytest.mark.parametrize("d", [2, 3])
def test_volume_identities_001(d):
    check = theorems.volume_identities(d)
    assert check.holds, check.summary()
    rng = np.random.default_rng(d)
    for _ in range(20):  # distance to the affine hull by least squares = |det| / ||wedge||
        x, *U = rng.normal(size=(d + 1, d))
        B = np.array([u - U[-1] for u in U[:-1]])
        coef = np.linalg.lstsq(B.T, x - U[-1], rcond=None)[0]
        dist = np.linalg.norm(x - U[-1] - B.T @ coef)
        wedge = np.sqrt(np.linalg.det(B @ B.T))
        assert np.isclose(dist, abs(np.linalg.det(np.vstack([x - U[-1], B]))) / wedge)


def test_all_checks_and_summaries():
    checks = theorems.all_checks(n_configs=2)
    assert len(checks) == 11
    assert all(c.holds for c in checks if "Thm 4.5" not in c.reference)
    assert str(checks[0]).startswith("[ok] 002 Fig. 3.1")
