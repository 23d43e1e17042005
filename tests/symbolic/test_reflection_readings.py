"""The two readings of a reflection's order (000 Sec. 1, App. F, Thm 4.5; claim C12): "chain"
(the last point reflected about a generator or vice versa) and "tree" (any two points already
built), checked against independent breadth-first enumerations of both definitions, and the
Thm 4.5 bound 2(L - 3) under each reading at L = 2..7."""
from __future__ import annotations

import numpy as np
import pytest

from gaconvex._validation import GaconvexError
from gaconvex.symbolic import reflection_order
from gaconvex.symbolic.reflections import (breakpoint_order_statistics, describe_combination,
                                           format_construction, reflection_construction,
                                           tree_order_bounds, tree_search_limit)


def tree_levels(n: int, k_max: int) -> dict:
    """Tree order of every point of T_k, k <= k_max, by brute force:
    T_k = T_(k-1) u {2b - a : a, b in T_(k-1)} from the unit vectors."""
    gens = [tuple(int(i == j) for j in range(n)) for i in range(n)]
    order = {g: 0 for g in gens}
    for k in range(1, k_max + 1):
        built = list(order)
        for a in built:
            for b in built:
                order.setdefault(tuple(2 * v - u for u, v in zip(a, b)), k)
    return order


def evaluate(construction, n):
    """The point a construction stands for (any of the R, R*, T kinds: R(first, second))."""
    if isinstance(construction, int):
        return np.eye(n, dtype=int)[construction]
    _, first, second = construction
    return 2 * evaluate(second, n) - evaluate(first, n)


@pytest.mark.parametrize("n, k_max", [(2, 4), (3, 3)])
def test_tree_orders_match_brute_force(n, k_max):
    """Every point of T_k gets tree order exactly k (and a construction of that height that
    evaluates to it); random integer points outside T_k_max get an order > k_max or none."""
    expected = tree_levels(n, k_max)
    for p, k in expected.items():
        order, construction = reflection_construction(p, reading="tree")
        assert order == k
        np.testing.assert_array_equal(evaluate(construction, n), p)
    rng = np.random.default_rng(n)
    for _ in range(300):
        p = tuple(int(v) for v in rng.integers(-9, 10, n))
        if p not in expected:
            lower, _ = tree_order_bounds(p)
            assert lower is None or lower > k_max


def test_tree_order_one_level_above_the_materialized_ones():
    """The search decides T_(m+1) without building it: checked by brute force on two
    generators, where T_4 has a few hundred points and m = 4."""
    T4 = tree_levels(2, 4)
    assert tree_search_limit(2) >= 5
    built = set(T4)
    rng = np.random.default_rng(0)
    for _ in range(200):
        p = (int(rng.integers(-40, 41)),)
        p = (p[0], 1 - p[0])  # affine sum 1
        in_t5 = p in built or any(tuple(2 * b - a for a, b in zip(p, bb)) in built
                                  for bb in built)
        order = reflection_order(p, reading="tree")
        assert (order is not None and order <= 5) == in_t5
        if p not in built and in_t5:
            assert order == 5


def test_tree_is_never_above_chain(rng):
    """Chains are trees: tree order <= chain order for random chain reflections."""
    for _ in range(300):
        p = np.eye(4, dtype=int)[rng.integers(4)]
        for _ in range(rng.integers(1, 6)):
            g = np.eye(4, dtype=int)[rng.integers(4)]
            p = 2 * g - p if rng.random() < 0.5 else 2 * p - g
        chain = reflection_order(tuple(p))
        lower, upper = tree_order_bounds(tuple(p))
        assert chain is not None and lower <= chain and (upper is None or upper <= chain)


def test_order_seven_chain_point_is_a_height_four_tree():
    """The L = 6 breakpoint 10a1 - 6a2 - 2a3 - 2a4 + a5 (chain order 7 > 2(L - 3), docs/errata.md
    row 3) is R(R(R(R(a5, a1), a2), a3), R(a4, R(a1, R(a2, a1)))): tree order 4."""
    p = (10, -6, -2, -2, 1)
    assert reflection_order(p, max_order=9) == 7
    order, construction = reflection_construction(p, reading="tree")
    assert order == 4 and tuple(evaluate(construction, 5)) == p
    names = [f"a{i}" for i in range(1, 6)]
    assert format_construction(construction, names).count("R(") == 7
    label, order = describe_combination(p, names, reading="tree")
    assert order == 4 and label.startswith("order-4 reflection")


def test_readings_agree_on_non_reflections_and_bad_readings_fail():
    for p in [("1/2", "1/2", 0), (1, -1, 1), (2, -1, 1)]:
        assert reflection_order(p, reading="tree") is None
        assert reflection_order(p) is None
    assert tree_order_bounds(("1/2", "1/2")) == (None, None)
    with pytest.raises(GaconvexError, match="reading must be one of"):
        reflection_order((1, 0), reading="forest")


def test_thm_4_5_under_both_readings_small_depths():
    """L = 2..5, 40 configurations each: chain maxima 0, 1, 2, 4 (= the bound 2(L - 3) for
    L >= 4), tree maxima 0, 1, 2, 3 (= L - 2, the Fig. 3 caption's count); nothing above the
    bound, nothing undecided, every breakpoint a reflection."""
    chain, tree = [], []
    for L in (2, 3, 4, 5):
        stats = breakpoint_order_statistics(L, n_configs=40, seed=1)
        for reading in ("chain", "tree"):
            assert stats[reading]["above"] == stats[reading]["undecided"] == 0
            assert stats[reading]["non-reflections"] == 0
        chain.append(stats["chain"]["max"])
        tree.append(stats["tree"]["max"])
    assert chain == [0, 1, 2, 4] and tree == [0, 1, 2, 3]


@pytest.mark.slow
@pytest.mark.parametrize("L, n_configs", [(6, 400), (7, 150)])
def test_thm_4_5_tree_reading_has_no_violation_at_depth_6_and_7(L, n_configs):
    """Under the tree reading every breakpoint at L = 6, 7 has order <= 2(L - 3), decided for
    every configuration (the largest found is L - 2 = 4, 5); the chain maxima are
    at least the tree maxima (and exceed the bound on rare configurations, docs/errata.md row 3)."""
    stats = breakpoint_order_statistics(L, n_configs=n_configs, seed=0)
    assert stats["tree"]["above"] == stats["tree"]["undecided"] == 0
    assert stats["tree"]["max"] == L - 2
    assert stats["chain"]["max"] >= stats["tree"]["max"]  # chains are trees


def test_chain_bound_is_exceeded_at_depth_7_but_not_the_tree_bound():
    """FINDING (docs/errata.md, 000 row 3): the L = 7 abs feature with anchors (404933, 126066,
    871334, 428725, 837195, 982759) breaks at -18a1 + 10a2 + 6a3 + 4a4 - 2a5 + a6, of minimal
    chain order 9 > 2(L - 3) = 8 but tree order 4; the lambdified feature has a kink there."""
    import sympy as sp

    from gaconvex.symbolic import architecture, breakpoints, derive

    family = derive(architecture("abs", 7, midpoints=False)).families[0]
    anchors = (404933, 126066, 871334, 428725, 837195, 982759)
    coeffs = (-18, 10, 6, 4, -2, 1)
    point = [b for b in breakpoints(family, anchors, max_order=12)
             if tuple(int(b.expr.coeff(a)) for a in family.anchors) == coeffs][0]
    assert point.order == 9
    assert reflection_order(coeffs, reading="tree") == 4
    fn = sp.lambdify([family.x, *family.anchors], family.expr, "numpy")
    v = float(point.value)
    left, at, right = fn(np.array([v - 0.5, v, v + 0.5]), *map(float, anchors))
    assert left + right != 2 * at
