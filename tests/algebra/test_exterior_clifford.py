"""001 Def. 4 / eq. (42), Sec. 2.2 (wedge, Hodge dual), 000 eq. (5') and (6), against clifford and
determinants: spec claims C1 (cross = clifford dual = null-space construction, d = 2..6),
C3 (blade coefficients are the k x k minors) and C7 (Hodge examples, I^2 = (-1)^(d(d-1)/2))."""
from __future__ import annotations

import functools
import operator
from itertools import combinations

import numpy as np
import pytest
import scipy.linalg

from gaconvex.algebra import blade_order, generalized_cross, hodge_dual, wedge
from ga_oracles import cl, cl_wedge, cofactor_cross, grade_coeffs, mv, mv_blade, pseudoscalar_inv

DIMS = range(2, 7)


@pytest.mark.parametrize("d", range(1, 7))
def test_blade_order_is_clifford_bladeTupList(d):
    tuples = cl(d)[0].bladeTupList
    for k in range(d + 1):
        assert blade_order(d, k) == tuple(t for t in tuples if len(t) == k)


@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("method", ["laplace", "minors"])
def test_wedge_equals_clifford_and_minors(d, method, rng):
    """C3: the coefficient on e_S is det V[:, S]; equal to clifford's v_1 ^ ... ^ v_k."""
    for k in range(d + 1):
        V = rng.normal(size=(4, k, d))
        W = wedge(V, method=method)
        assert W.shape == (4, len(list(combinations(range(d), k))))
        for n in range(4):
            expected = grade_coeffs(cl_wedge(V[n], d), d, k)
            minors = [np.linalg.det(V[n][:, list(S)]) for S in combinations(range(d), k)]
            np.testing.assert_allclose(W[n], expected, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(W[n], minors, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("d", range(1, 7))
def test_hodge_dual_equals_clifford_dual(d, rng):
    """star(M) = M I^{-1} (clifford product with e_d ... e_1) on every grade (001 Sec. 2.2), and
    = clifford's own M.dual() (checked for d = 3, 5: clifford compiles .dual() per algebra)."""
    I_inv = pseudoscalar_inv(d)
    for k in range(d + 1):
        coeffs = rng.normal(size=len(list(combinations(range(d), k))))
        M = mv_blade(coeffs, d, k)
        np.testing.assert_allclose(hodge_dual(coeffs, d, k), grade_coeffs(M * I_inv, d, d - k),
                                   atol=1e-14)
        if d in (3, 5):
            np.testing.assert_allclose(hodge_dual(coeffs, d, k), grade_coeffs(M.dual(), d, d - k),
                                       atol=1e-14)


@pytest.mark.parametrize("d", range(1, 7))
def test_double_dual_is_pseudoscalar_square(d, rng):
    """C7: star(star(M)) = M I^{-2} = I^2 M, with I^2 = (-1)^(d(d-1)/2) (clifford's I * I)."""
    I = cl(d)[0].pseudoScalar
    I2 = (I * I)[()]
    assert I2 == (-1) ** (d * (d - 1) // 2)
    for k in range(d + 1):
        coeffs = rng.normal(size=len(list(combinations(range(d), k))))
        np.testing.assert_allclose(hodge_dual(hodge_dual(coeffs, d, k), d, d - k), I2 * coeffs)


def test_hodge_examples_of_the_paper():
    """C7: in G^3 star(e1) = -e23, star(e1 ^ e2) = e3; in G^2 star(a, b) = (b, -a)."""
    np.testing.assert_array_equal(hodge_dual([1.0, 0.0, 0.0], 3, 1), [0.0, 0.0, -1.0])
    np.testing.assert_array_equal(hodge_dual([1.0, 0.0, 0.0], 3, 2), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(hodge_dual([2.0, 5.0], 2, 1), [5.0, -2.0])
    np.testing.assert_array_equal(hodge_dual([3.5], 3, 3), [3.5])  # star(alpha I) = alpha


@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("method", ["cofactor", "qr"])
def test_cross_equals_clifford_dual_of_wedge_and_cofactors(d, method, rng):
    """C1: cross(V) = (v_1 ^ ... ^ v_{d-1}) I^{-1} = sum_i (-1)^(i-1) |A_i| e_i (001 eq. (42))."""
    V = rng.normal(size=(6, d - 1, d))
    w = generalized_cross(V, method=method)
    np.testing.assert_allclose(w, cofactor_cross(V), rtol=1e-11, atol=1e-12)
    for n in range(6):
        dual = cl_wedge(V[n], d) * pseudoscalar_inv(d)
        np.testing.assert_allclose(w[n], grade_coeffs(dual, d, 1), rtol=1e-11, atol=1e-12)
    if d in (3, 5):  # clifford's own ^ and .dual() (compiled per algebra: the benchmark's d)
        blade = functools.reduce(operator.xor, [mv(v) for v in V[0]])
        np.testing.assert_allclose(w[0], grade_coeffs(blade.dual(), d, 1), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("d", DIMS)
def test_cross_equals_scaled_oriented_null_vector(d, rng):
    """C1: the null vector of V (scipy null_space) scaled by sqrt(det V V^T), det[n; V] > 0."""
    for V in rng.normal(size=(5, d - 1, d)):
        n = scipy.linalg.null_space(V)[:, 0] * np.sqrt(np.linalg.det(V @ V.T))
        n *= np.sign(np.linalg.det(np.vstack([n, V])))
        np.testing.assert_allclose(generalized_cross(V), n, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(generalized_cross(V, method="qr"), n, rtol=1e-10, atol=1e-12)


def test_cross_in_r3_is_numpy_cross(rng):
    """001 App. 6.1 property 6: d = 3 gives the ordinary cross product."""
    V = rng.normal(size=(1000, 2, 3))
    np.testing.assert_allclose(generalized_cross(V), np.cross(V[:, 0], V[:, 1]), atol=1e-13)


def test_cross_in_r2_and_r1():
    """001 App. 6.1 property 7: cross((a, b)) = (b, -a); 000 Sec. 2.1: d = 1 gives 1 = star(1)."""
    np.testing.assert_array_equal(generalized_cross([[3.0, -7.0]]), [-7.0, -3.0])
    np.testing.assert_array_equal(generalized_cross(np.zeros((4, 0, 1))), np.ones((4, 1)))
    np.testing.assert_array_equal(generalized_cross(np.zeros((0, 1)), method="qr"), [1.0])
    assert (cl(1)[0].scalar * pseudoscalar_inv(1))[(1,)] == 1.0  # star(1) = e_1 in Cl(1)


@pytest.mark.parametrize("d", [9, 10, 12])
def test_large_d_minors_path_and_qr_agree(d, rng):
    """For large d wedge switches to LU minors; cofactor and QR agree in sign and scale."""
    V = rng.normal(size=(20, d - 1, d))
    w = generalized_cross(V)
    np.testing.assert_allclose(w, cofactor_cross(V), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(generalized_cross(V, method="qr"), w, rtol=1e-9, atol=1e-10)


def test_mv_helper_sanity():
    """The oracle helper builds e1 + 2 e2 (guards the clifford oracle itself)."""
    assert mv([1.0, 2.0])[(2,)] == 2.0


def test_large_batches_parallel_kernel_and_torch_chunks(rng):
    """Batches beyond the serial threshold (numba prange) and beyond one torch chunk (65536
    rows) give the cofactor formula too."""
    import torch

    V = rng.normal(size=(70_000, 4, 5))
    w = generalized_cross(V)
    np.testing.assert_allclose(w[:5000], cofactor_cross(V[:5000]), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w[-3000:], cofactor_cross(V[-3000:]), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(generalized_cross(torch.as_tensor(V)).numpy(), w,
                               rtol=1e-12, atol=1e-12)
