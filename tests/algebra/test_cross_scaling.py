"""Generalized cross products and signed distances of vectors of any size (001 Def. 4, eq. (42)).

cross(v_1, ..., v_{d-1}) is multilinear: cross(s_1 u_1, ..., s_{d-1} u_{d-1}) = (prod_i s_i)
cross(u_1, ..., u_{d-1}). The oracles use it the other way round: well-scaled rows u_i, their
cofactor cross product by np.linalg.det (``ga_oracles.cofactor_cross``), and the scale prod s_i
applied analytically (exactly, with np.ldexp, when the s_i are powers of two). The result must
be right wherever it is representable in float64, an overflow must raise a clear error, and
an underflow behaves as float64 arithmetic does (subnormal entries, exact 0 below 2^-1075).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import gaconvex.algebra as ga
from gaconvex._validation import GaconvexError
from ga_oracles import PROPERTY, cofactor_cross, integer_stacks


@st.composite
def scaled_integer_rows(draw):
    """(U, a): integer rows U (d-1, d), |u_ij| <= 6, d in 2..6, and row exponents a_i such that
    V = U 2^a is exact in float64 (every entry a multiple of 2^-1074 below the maximum)."""
    d = draw(st.integers(2, 6))
    U = draw(integer_stacks(d - 1, d))
    a = np.array(draw(st.lists(st.integers(-1074, 1020), min_size=d - 1, max_size=d - 1)),
                 dtype=np.int64)
    return U, a


def _exact_cross(U):
    """cross(U) of small integer rows: the LU determinants rounded back to the exact integers."""
    return np.round(cofactor_cross(U))


@PROPERTY
@given(scaled_integer_rows())
def test_cross_of_rows_of_any_scale_is_exact_or_refused(args):
    """cross(U 2^a) = 2^(sum a) cross(U): equal to the correctly rounded value whenever its
    largest entry fits in float64 (including subnormal entries), a GaconvexError naming the
    overflow when it does not."""
    U, a = args
    V = np.ldexp(U, a[:, None].astype(np.intc))
    np.testing.assert_array_equal(np.ldexp(V, -a[:, None].astype(np.intc)), U)  # V is exact
    with np.errstate(over="ignore", under="ignore"):
        expected = np.ldexp(_exact_cross(U), np.intc(a.sum()))  # correctly rounded, or inf
    if np.isinf(expected).any():
        with pytest.raises(GaconvexError, match="overflows float64.*normalize the inputs"):
            ga.generalized_cross(V)
        return
    np.testing.assert_array_equal(ga.generalized_cross(V), expected)
    result = ga.generalized_cross(torch.as_tensor(V)).numpy()
    np.testing.assert_allclose(result, expected, rtol=1e-15, atol=4 * 2.0 ** -1074)


def _rows(seed, d, scales):
    """Rows u_i ~ N(0, 1) of R^d and V = diag(scales) U (rounded once)."""
    U = np.random.default_rng(seed).normal(size=(d - 1, d))
    return U, U * np.asarray(scales, dtype=float)[:, None]


def _unit_vector_oracle(U):
    """cross(U)_j = det[e_j; u_1; ...; u_{d-1}] (x . cross = det[x; V] with x = e_j)."""
    d = U.shape[1]
    return np.array([np.linalg.det(np.vstack([np.eye(d)[j], U])) for j in range(d)])


@pytest.mark.parametrize("powers", [
    (300, -10),             # 1e290: each entry a single product, fine before as well
    (200, 200, -200),       # 1e200, but the 2 x 2 minors of the first two rows are 1e400
    (-200, -200, 200),      # 1e-200, but those minors are 1e-400 (flushed to 0 before)
    (300, 300, -300, -300, 10),
    (154, 153),             # about 1e307, near the top of the float64 range
])
def test_cross_of_badly_scaled_rows_matches_the_cofactor_oracle(powers):
    """Rows 10^(p_i) u_i: cross = 10^(sum p_i) cross(U), with cross(U) by determinants."""
    d = len(powers) + 1
    U, V = _rows(len(powers), d, [10.0 ** p for p in powers])
    expected = _unit_vector_oracle(U) * 10.0 ** sum(powers)
    assert np.all(np.isfinite(expected)) and np.abs(expected).max() > 0
    for method in ("cofactor", "qr"):
        np.testing.assert_allclose(ga.generalized_cross(V, method=method), expected, rtol=1e-12,
                                   atol=1e-12 * np.abs(expected).max(), err_msg=method)
    np.testing.assert_allclose(ga.generalized_cross(torch.as_tensor(V)).numpy(), expected,
                               rtol=1e-12, atol=1e-12 * np.abs(expected).max())


def test_cross_of_two_huge_vectors_overflows_with_a_clear_error():
    """Two vectors of R^3 with entries ~1e300: the cross product is ~1e600, not a float64
    (it used to come back as [0, 0, 0]); numpy, qr and torch (float64 and float32) refuse."""
    V = np.array([[1e300, 2e300, 3e300], [4e300, 5e300, 7e300]])
    for args in ((V,), (V, "qr"), (torch.as_tensor(V),)):
        with pytest.raises(GaconvexError, match=r"overflows float64.*about 1e601.*normalize"):
            ga.generalized_cross(args[0], **({"method": args[1]} if len(args) > 1 else {}))
    with pytest.raises(GaconvexError, match="overflows float32"):
        ga.generalized_cross(torch.tensor([[1e20, 2e20, 3e20], [4e20, 5e20, 7e20]]))
    just_fits = V / 1e146  # entries ~1e154: cross ~ (-1, 5, -3) 1e308 overflows only in entry 1
    with pytest.raises(GaconvexError, match="1 of 1 cross product"):
        ga.generalized_cross(just_fits)
    np.testing.assert_allclose(ga.generalized_cross(just_fits / 4),
                               np.cross([1, 2, 3], [4, 5, 7]) * (1e154 / 4) ** 2, rtol=1e-14)


def test_cross_underflow_is_gradual_then_exactly_zero():
    """Entries ~1e-300: a subnormal result (~1e-310) keeps its leading digits; a result below
    2^-1075 (~1e-600 here) is exactly 0, as float64 multiplication gives."""
    V = np.array([[1e-300, 2e-300, 3e-300], [4e-10, 5e-10, 7e-10]])
    expected = np.cross([1, 2, 3], [4, 5, 7]) * 1e-310
    np.testing.assert_allclose(ga.generalized_cross(V), expected, rtol=1e-9, atol=0)
    np.testing.assert_array_equal(ga.generalized_cross(V * [[1.0], [1e-290]]), 0.0)
    mixed = np.array([[1e-300, 2e-300, 3e-300], [4e300, 5e300, 7e300]])
    np.testing.assert_allclose(ga.generalized_cross(mixed), np.cross([1, 2, 3], [4, 5, 7]),
                               rtol=1e-14)


def test_dependence_is_judged_on_the_rescaled_rows():
    """Parallel tiny vectors give exactly 0 (dependent), independent tiny ones do not."""
    tiny = 1e-200
    np.testing.assert_array_equal(ga.generalized_cross(tiny * np.array([[1.0, 2, 3], [2, 4, 6]])),
                                  0.0)
    W = np.array([[tiny, 0, 0, 0], [0, tiny, 0, 0], [0, 0, 1e200, 0]])
    # det[e_4; e_1; e_2; e_3] = -1 (a cyclic shift of four rows)
    np.testing.assert_allclose(ga.generalized_cross(W), [0, 0, 0, -1e-200], rtol=1e-15)


def test_torch_gradients_survive_the_rescaling():
    """d/da (w . (a x b)) = b x w, also for |b| ~ 1e200 and ~1e-200 (the rescaling by powers of
    two must be differentiable and must not underflow in the backward pass)."""
    rng = np.random.default_rng(3)
    for size in (1e200, 1e-200, 1.0):
        a0, b0, w = rng.normal(size=3), rng.normal(size=3) * size, rng.normal(size=3)
        a = torch.tensor(a0, requires_grad=True)
        V = torch.stack([a, torch.as_tensor(b0)])
        (ga.generalized_cross(V) @ torch.as_tensor(w)).backward()
        np.testing.assert_allclose(a.grad.numpy(), np.cross(b0, w), rtol=1e-13)


@PROPERTY
@given(st.integers(2, 6), st.integers(0, 2**32 - 1), st.data())
def test_signed_distance_does_not_depend_on_the_scale_of_the_spanning_vectors(d, seed, data):
    """dist(x, Span V) is unchanged, bit for bit, when the rows of V are multiplied by powers
    of two 2^(a_i), |a_i| <= 990 (no overflow or underflow of the cross product or its norm;
    the bound keeps every scaled entry of N(0, 1) rows a normal, exactly scaled number)."""
    rng = np.random.default_rng(seed)
    V, x = rng.normal(size=(d - 1, d)), rng.normal(size=d)
    a = np.array(data.draw(st.lists(st.integers(-990, 990), min_size=d - 1, max_size=d - 1)))
    scaled = np.ldexp(V, a[:, None].astype(np.intc))
    assert ga.distance_to_span(x, scaled) == ga.distance_to_span(x, V)
    P = np.vstack([scaled, np.zeros(d)])
    assert ga.distance_to_affine_hull(x, P) == ga.distance_to_span(x, V)


def test_distance_to_the_span_of_tiny_vectors():
    """A hypothesis-found case: V = [[2.77e-162, 2.77e-162]], x = (0, 1). ||cross||^2 ~ 1.5e-323
    is subnormal, so the plain formula gave -0.62; the distance is -1/sqrt(2)."""
    V = np.array([[2.76761014e-162, 2.76761014e-162]])
    assert ga.distance_to_span(np.array([0.0, 1.0]), V) == pytest.approx(-2 ** -0.5, rel=1e-15)
