"""Reflection orders (000 Sec. 1, Sec. 4.2, App. F, claims C3/C12; seed-000-spec Sec. 2.4) and
numeric labels of points (002 Sec. 1.2).  The memoized backward search is checked against an
independent forward enumeration of all reflections of order <= k.
"""
from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from gaconvex._validation import GaconvexError
from gaconvex.symbolic import label_point, reflection_order
from gaconvex.symbolic.reflections import (describe_combination, format_construction, reflect,
                                           reflection_construction)
from symbolic_oracles import PROPERTY


def forward_orders(n: int, k_max: int) -> dict:
    """Minimal order of every point reachable in <= k_max reflections, by breadth-first
    enumeration of R_k in {R(R_{k-1}, g), R(g, R_{k-1})} from the unit vectors."""
    gens = [tuple(int(i == j) for j in range(n)) for i in range(n)]
    order = {g: 0 for g in gens}
    level = set(gens)
    for k in range(1, k_max + 1):
        nxt = set()
        for p in level:
            for g in gens:
                nxt.add(tuple(2 * b - a for a, b in zip(p, g)))  # R(p, g)
                nxt.add(tuple(2 * a - b for a, b in zip(p, g)))  # R(g, p)
        for p in nxt:
            order.setdefault(p, k)
        level = nxt
    return order


@pytest.mark.parametrize("n, k_max", [(2, 5), (3, 4), (4, 3)])
def test_backward_search_matches_forward_enumeration(n, k_max):
    """Every point of order <= k_max gets exactly its BFS order; nothing else gets one."""
    expected = forward_orders(n, k_max)
    for p, k in expected.items():
        assert reflection_order(p, max_order=k_max) == k
    rng = np.random.default_rng(n)
    for _ in range(300):
        p = tuple(int(v) for v in rng.integers(-6, 7, n))
        if p not in expected:
            assert reflection_order(p, max_order=k_max) is None


@pytest.mark.parametrize("coeffs, order", [
    ((1, 0, 0), 0), ((-1, 2, 0), 1), ((1, -2, 2), 2), ((-2, 4, -1), 2), ((3, -2, 0), 2),
    ((2, -2, 1), 2), ((5, -8, 4, -4, 4), 6),
    (("1/2", "1/2", 0), None),  # midpoint
    ((1, -1, 1), None),  # generalized reflection: three odd coefficients, never a reflection
    ((2, -1, 1), None),  # coefficient sum 2: not a point
])
def test_known_orders(coeffs, order):
    assert reflection_order(coeffs) == order


@PROPERTY
@given(st.lists(st.integers(0, 4), min_size=2, max_size=6), st.integers(2, 5),
       st.lists(st.booleans(), min_size=6, max_size=6))
def test_constructions_evaluate_to_the_point(seq, n, sides):
    """Build a random order-k reflection, search it back: the construction reproduces it and its
    order is at most k."""
    gens = np.eye(n, dtype=int)
    p = gens[seq[0] % n]
    for g, side in zip(seq[1:], sides):
        p = reflect(p, gens[g % n]) if side else reflect(gens[g % n], p)
    order, construction = reflection_construction(p)
    assert order <= len(seq) - 1

    def value(c):
        if isinstance(c, int):
            return gens[c]
        kind, a, b = c
        return reflect(value(a), gens[b]) if kind == "R" else reflect(gens[a], value(b))
    assert np.array_equal(value(construction), p)


def test_reflect_on_arrays_and_tuples():
    assert reflect(2, 3) == 4
    assert np.array_equal(reflect(np.array([0, 1]), np.array([1, 1])), np.array([2, 1]))


def test_order_search_is_fast_for_depth_six_points():
    """Order-6 points over 5 generators (L = 6 features, 000 Thm 4.5) in well under a second."""
    start = time.perf_counter()
    assert reflection_order((6, -2, -2, -2, 1)) == 6
    assert reflection_order((1, -2, -2, -2, 6)) == 6
    assert reflection_order((2, 2, -4, 2, -1)) == 5
    assert reflection_order((7, -2, -2, -2, 0), max_order=4) is None
    assert reflection_order((7, -2, -2, -2, 0)) == 5
    assert time.perf_counter() - start < 1.0


def test_general_generators():
    """Generators need not be unit vectors: over {0, 1, 3} (as 1-D integer points), 5 = R(1, 3)."""
    gens = [(1, 0), (1, 1), (1, 3)]  # homogeneous coordinates (1, value)
    assert reflection_order((1, 5), gens) == 1
    assert reflection_order((1, 6), gens) == 1  # R(0, 3)
    assert reflection_order((1, 7), gens) == 2  # R(R(1, 3), ...) e.g. R(R(3, 1)=-1, 3)
    with pytest.raises(GaconvexError, match="integer vectors of length 2"):
        reflection_order((1, 2), [(1, 0, 0)])


def test_describe_combination_labels():
    names = ["a1", "a2", "a3"]
    assert describe_combination([0, 1, 0], names) == ("data point a2", 0)
    assert describe_combination([Fraction(1, 2), Fraction(1, 2), 0], names) == \
        ("midpoint (a1 + a2)/2", None)
    assert describe_combination([2, -1, 0], names) == ("reflection R(a2, a1) = 2a1 - a2", 1)
    assert describe_combination([1, -1, 1], names) == ("generalized reflection a1 + a3 - a2", None)
    assert describe_combination([-2, 4, -1], names) == \
        ("reflection of a reflection R(a3, R(a1, a2)) = 4a2 - 2a1 - a3", 2)
    assert describe_combination([1, 1, 0], names)[1] is None
    assert describe_combination([Fraction(1, 3), Fraction(2, 3), 0], names) == \
        ("combination a1/3 + 2a2/3", None)
    assert format_construction(("R*", 2, ("R", 0, 1)), names) == "R(a3, R(a1, a2))"


def test_lemma_f1_scalar_identity():
    """000 eq. (50), claim C3: R(|a-c|, |b-c|) is +-(R(a,b) - c) or +-(R(a, R(b,c)) - c), with
    R(a,b) - c = c - R(R(a,b), c) and R(a, R(b,c)) - c = c - R(R(a,c), b); R(R(a,b), b) = a;
    ||t| - |c|| = min(|t - c|, |t + c|)."""
    rng = np.random.default_rng(5)
    for a, b, c in rng.normal(size=(500, 3)):
        lhs = reflect(abs(a - c), abs(b - c))
        same = np.sign(a - c) == np.sign(b - c)
        rhs = reflect(a, b) - c if same else reflect(a, reflect(b, c)) - c
        assert np.isclose(abs(lhs), abs(rhs))
        assert np.isclose(reflect(a, b) - c, c - reflect(reflect(a, b), c))
        assert np.isclose(reflect(a, reflect(b, c)) - c, c - reflect(reflect(a, c), b))
        assert np.isclose(reflect(reflect(a, b), b), a)
        assert np.isclose(abs(abs(a) - abs(c)), min(abs(a - c), abs(a + c)))


DATA = np.array([7.0, 4.0, 5.0, -1.0, 2.5])


@pytest.mark.parametrize("value, label, order, expr", [
    (4.0, "data point x2", 0, "x2"),
    (5.5, "midpoint (x1 + x2)/2", None, "x1/2 + x2/2"),
    (10.0, "reflection R(x2, x1) = 2x1 - x2", 1, "2*x1 - x2"),
    (10.0 + 4e-7, "reflection R(x2, x1) = 2x1 - x2", 1, "2*x1 - x2"),
    (-3.5, "generalized reflection x4 + x5 - x3", None, "x4 + x5 - x3"),
    (25.0, "reflection of a reflection R(x3, R(x4, x1)) = 4x1 - x3 - 2x4", 2, "4*x1 - x3 - 2*x4"),
    (0.123, "neither", None, None),
])
def test_label_point(value, label, order, expr):
    got_label, got_order, got_expr = label_point(value, DATA)
    assert got_order == order
    if label is not None:
        assert got_label == label
    if expr is not None:
        assert sp.simplify(got_expr - sp.sympify(expr)) == 0
    if got_expr is not None:
        subs = {sp.Symbol(f"x{i + 1}"): v for i, v in enumerate(DATA)}
        assert abs(float(got_expr.subs(subs)) - value) <= 1e-6


@PROPERTY
@given(st.integers(0, 10 ** 6), st.sampled_from([(1,), (-1, 2), (1, -2, 2), (-2, 4, -1), (3, -2)]))
def test_label_point_recovers_planted_reflections(seed, pattern):
    """Plant sum_k c_k x_{i_k} on random data: the label's expression has that value and an order
    no larger than the planted one."""
    rng = np.random.default_rng(seed)
    data = rng.normal(size=8)
    idx = rng.choice(8, size=len(pattern), replace=False)
    value = float(np.dot(pattern, data[idx]))
    label, order, expr = label_point(value, data, tol=1e-9)
    subs = {sp.Symbol(f"x{i + 1}"): v for i, v in enumerate(data)}
    assert abs(float(expr.subs(subs)) - value) <= 1e-9
    planted = reflection_order(pattern)
    assert order is not None and order <= planted or "midpoint" in label or "generalized" in label


def test_label_point_higher_orders_and_errors():
    data = np.array([0.0, 1.0, 3.0, 10.0])
    assert label_point(15.0, data, max_order=1)[0] == "neither"
    assert label_point(15.0, data, max_order=2)[1] == 2  # R(R(1, 3), 10) = 1 - 6 + 20
    assert label_point(25.0, data, max_order=2)[0] == "neither"
    assert label_point(25.0, data, max_order=3) == (
        "order-3 reflection R(x3, R(R(x1, x3), x4)) = 2x1 + 4x4 - 5x3", 3,
        sp.sympify("2*x1 - 5*x3 + 4*x4"))
    with pytest.raises(GaconvexError, match="max_order"):
        label_point(1.0, data, max_order=-1)
    with pytest.raises(GaconvexError, match="data"):
        label_point(1.0, np.ones((2, 2)))
