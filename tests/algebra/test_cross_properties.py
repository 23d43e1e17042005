"""Properties of the generalized cross product (001 App. 6.1 properties 1-7, spec claim C2;
000 Sec. 2.2 identities 1-5), as hypothesis property tests against np.linalg.det and clifford:
orthogonality, x . cross = det[x; V], ||cross|| = sqrt(det V V^T), l1 norm of the blade,
eq. (15) signs, scaling, antisymmetry, exact zero for dependent sets, Cauchy-Binet."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

from gaconvex.algebra import blade_norm, generalized_cross, wedge
from ga_oracles import (PROPERTY, cl_wedge, grade_coeffs, integer_stacks, mv, pseudoscalar_inv,
                        scale, vector_stacks)

dims = st.integers(2, 6)


@st.composite
def cross_inputs(draw, stacks=vector_stacks):
    d = draw(dims)
    return draw(stacks(d - 1, d)), draw(stacks(1, d))[0]


@PROPERTY
@given(cross_inputs())
def test_orthogonal_and_determinant_identity(args):
    """001 App. 6.1 properties 1, 5; 000 Sec. 2.2 items 1, 2: V w = 0 and x . w = det[x; V]."""
    V, x = args
    w = generalized_cross(V, rtol=0.0)  # rtol = 0: no rounding to zero of nearly dependent sets
    size = scale(V) * (1.0 + np.linalg.norm(x)) * (1.0 + np.abs(V).max())
    np.testing.assert_allclose(V @ w, 0.0, atol=1e-12 * size + 1e-300)
    np.testing.assert_allclose(x @ w, np.linalg.det(np.vstack([x, V])), atol=1e-12 * size + 1e-300)


@PROPERTY
@given(cross_inputs())
def test_norms_equal_volume_and_blade_norms(args):
    """001 App. 6.1 property 3; 000 Sec. 2.2 item 4: ||w||_2 = sqrt(det V V^T) = ||B||_2 and
    ||w||_1 = ||B||_1."""
    V, _ = args
    w = generalized_cross(V, rtol=0.0)
    gram = np.linalg.det(V @ V.T)
    np.testing.assert_allclose(w @ w, gram, atol=1e-12 * scale(V) ** 2 + 1e-300)
    np.testing.assert_allclose(blade_norm(V, 2), np.linalg.norm(w), atol=1e-12 * scale(V) + 1e-300)
    np.testing.assert_allclose(blade_norm(V, 1), np.abs(w).sum(), atol=1e-12 * scale(V) + 1e-300)


@PROPERTY
@given(cross_inputs())
def test_blade_coefficients_are_signed_cross_entries(args):
    """000 Sec. 2.2 item 5 (eq. (15) up to sign): B on e_1..(no e_k)..e_d equals (-1)^(k-1) w_k."""
    V, _ = args
    d = V.shape[1]
    w, B = generalized_cross(V, rtol=0.0), wedge(V)
    everything = set(range(1, d + 1))
    missing = [next(iter(everything - set(c))) for c in combinations(range(1, d + 1), d - 1)]
    expected = [(-1) ** (k - 1) * w[k - 1] for k in missing]
    np.testing.assert_allclose(B, expected, atol=1e-12 * scale(V) + 1e-300)


@PROPERTY
@given(cross_inputs(), st.floats(-3.0, 3.0))
def test_scaling_is_homogeneous_of_degree_d_minus_1(args, c):
    """Multilinearity: cross(c V) = c^(d-1) cross(V)."""
    V, _ = args
    d = V.shape[1]
    np.testing.assert_allclose(generalized_cross(c * V, rtol=0.0),
                               c ** (d - 1) * generalized_cross(V, rtol=0.0),
                               rtol=1e-12, atol=1e-12 * abs(c) ** (d - 1) * scale(V) + 1e-300)


@PROPERTY
@given(cross_inputs(integer_stacks), st.data())
def test_swapping_two_vectors_flips_the_sign(args, data):
    """001 App. 6.1 property 4 (antisymmetry), exact on integer vectors."""
    V, _ = args
    i, j = data.draw(st.lists(st.integers(0, len(V) - 1), min_size=2, max_size=2, unique=True)
                     if len(V) > 1 else st.just([0, 0]))
    swapped = V.copy()
    swapped[[i, j]] = V[[j, i]]
    sign = -1.0 if i != j else 1.0
    np.testing.assert_array_equal(generalized_cross(swapped), sign * generalized_cross(V))


@PROPERTY
@given(cross_inputs(integer_stacks), st.data())
def test_dependent_vectors_give_exactly_zero(args, data):
    """001 App. 6.1 property 2: cross = 0 iff the v_i are dependent (exact integer dependence)."""
    V, _ = args
    d = V.shape[1]
    if d == 2:
        V = np.zeros((1, 2))
    else:
        coef = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=d - 2, max_size=d - 2)))
        V = V.copy()
        V[-1] = coef @ V[:-1]
    for method in ("cofactor", "qr"):
        assert np.all(generalized_cross(V, method=method) == 0.0)
    assert np.linalg.matrix_rank(V) < d - 1


@PROPERTY
@given(cross_inputs(), st.floats(0.2, 5.0), st.floats(-5.0, 5.0))
def test_float_dependent_vectors_are_flagged_zero(args, a, b):
    """Relative tolerance: v_{d-1} = a v_1 + b v_2 (rounded) gives exactly 0, both methods."""
    V, _ = args
    d = V.shape[1]
    if d < 4 or scale(V[:-1]) == 0:
        return
    V = V.copy()
    V[-1] = a * V[0] + b * V[1]
    assert np.all(generalized_cross(V) == 0.0)
    assert np.all(generalized_cross(V, method="qr") == 0.0)


@PROPERTY
@given(cross_inputs())
def test_flagged_sets_have_tiny_volume(args):
    """The default rtol = 1e-10 zeroes cross only where the (d-1)-volume is tiny relative to
    prod_i max|v_i| (<= sqrt(d) 1e-10), and leaves every other result untouched."""
    V, _ = args
    assume(scale(V) > 1e-280)  # minors below float64's range underflow to 0 regardless
    w, raw = generalized_cross(V), generalized_cross(V, rtol=0.0)
    if np.all(w == 0.0):  # volume of the rows scaled to max-norm 1, by SVD (not Gram: accurate)
        rows = np.abs(V).max(axis=1, keepdims=True)
        U = V / np.where(rows > 0, rows, 1.0)
        assert np.prod(np.linalg.svd(U, compute_uv=False)) <= 1e-9
    else:
        np.testing.assert_array_equal(w, raw)


def test_tiny_independent_vectors_are_not_flagged(rng):
    """The dependence test is relative: scaling by 1e-30 keeps an independent set nonzero."""
    V = rng.normal(size=(50, 4, 5))
    np.testing.assert_allclose(generalized_cross(1e-30 * V), 1e-120 * generalized_cross(V),
                               rtol=1e-12)


@PROPERTY
@given(st.integers(2, 6).flatmap(lambda d: st.integers(0, d).flatmap(
    lambda k: vector_stacks(k, d))))
def test_cauchy_binet(V):
    """001 Sec. 1.2: ||v_1 ^ ... ^ v_k||_2^2 = sum of squared k x k minors = det(V V^T)."""
    W = wedge(V)
    np.testing.assert_allclose(W @ W, np.linalg.det(V @ V.T), atol=1e-12 * scale(V) ** 2 + 1e-300)


@pytest.mark.parametrize("d", range(2, 7))
def test_remark_b1_star_of_u_wedge_b_is_scalar(d, rng):
    """000 Remark B.1: star(u ^ B) = u . w, a pure scalar (other grades 0), in clifford."""
    V, u = rng.normal(size=(d - 1, d)), rng.normal(size=d)
    I_inv = pseudoscalar_inv(d)
    star = (mv(u) * cl_wedge(V, d))(d) * I_inv
    assert abs(star - star(0)) < 1e-12
    np.testing.assert_allclose(star[()], u @ generalized_cross(V), rtol=1e-12)
    np.testing.assert_allclose(grade_coeffs(cl_wedge(np.vstack([u, V]), d), d, d),
                               [u @ generalized_cross(V)], rtol=1e-12)
