"""Blade inner product, norms and the Hodge sign table (001 Sec. 2.2, spec Sec. 1.3-1.4, claims
C6, C8, C9): M . N = det(<m_i, n_j>) = clifford (M * ~N)[()], clifford's | differs by
(-1)^(k(k-1)/2), star(M) ^ N = (M . N) I only for k = d-1, N ^ (~M I) = (M . N) I always,
||star B||_p = ||B||_p."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from gaconvex.algebra import blade_inner, blade_norm, hodge_dual, wedge
from ga_oracles import PROPERTY, cl, cl_wedge, mv_blade, scale, vector_stacks


@pytest.mark.parametrize("d", range(2, 7))
def test_blade_inner_is_clifford_scalar_of_m_times_reversed_n(d, rng):
    """C6: M . N = (M * ~N)[()] = det(A^T B) (Gram of the spanning vectors), every grade k."""
    for k in range(d + 1):
        M, N = rng.normal(size=(2, 3, k, d))
        inner = blade_inner(M, N)
        np.testing.assert_allclose(inner, np.linalg.det(M @ N.swapaxes(1, 2)),
                                   rtol=1e-10, atol=1e-12)
        expected = [(cl_wedge(M[n], d) * ~cl_wedge(N[n], d))[()] for n in range(3)]
        np.testing.assert_allclose(inner, expected, rtol=1e-10, atol=1e-12)


@PROPERTY
@given(st.integers(1, 6).flatmap(lambda d: st.integers(0, d).flatmap(
    lambda k: st.tuples(vector_stacks(k, d), vector_stacks(k, d)))))
def test_blade_inner_is_cauchy_binet_sum(MN):
    """M . N = sum over basis blades of M_S N_S (Cauchy-Binet) = det(M N^T)."""
    M, N = MN
    np.testing.assert_allclose(blade_inner(M, N), wedge(M) @ wedge(N),
                               atol=1e-11 * (scale(M) * scale(N) + 1e-300))


def test_clifford_pipe_pitfall_for_bivectors(rng):
    """C6: for a unit bivector B, clifford's B|B = -1 while blade_inner gives +1; in general
    clifford M|N = (-1)^(k(k-1)/2) M . N for k >= 1 (so never use | for the paper's M . N)."""
    d = 4
    e1, e2 = np.eye(d)[:2]
    B = cl_wedge(np.array([e1, e2]), d)
    assert (B | B)[()] == -1.0
    assert blade_inner(np.array([e1, e2]), np.array([e1, e2])) == 1.0
    for k in range(1, d + 1):
        M, N = rng.normal(size=(2, k, d))
        clifford_pipe = (cl_wedge(M, d) | cl_wedge(N, d))[()]
        np.testing.assert_allclose(clifford_pipe, (-1) ** (k * (k - 1) // 2) * blade_inner(M, N),
                                   rtol=1e-10)


# (k, d) -> sign s in star(M) ^ N = s (M . N) I, as tabulated in the spec (Sec. 1.4)
SIGN_TABLE = {(1, 2): 1, (2, 3): 1, (3, 4): 1, (4, 5): 1, (1, 5): 1,
              (1, 3): -1, (1, 4): -1, (2, 4): -1, (2, 5): -1, (3, 5): -1}


@pytest.mark.parametrize("k,d", sorted(SIGN_TABLE))
def test_hodge_sign_table(k, d, rng):
    """C8: star(M) ^ N = s (M . N) I with s = +1 for k = d-1 (the case the paper uses), and
    N ^ (~M I) = (M . N) I for every (k, d). star(M) comes from hodge_dual, checked in clifford."""
    M, N = rng.normal(size=(2, k, d))
    layout = cl(d)[0]
    star_M = mv_blade(hodge_dual(wedge(M), d, k), d, d - k)
    top = (star_M * cl_wedge(N, d))(d)[tuple(range(1, d + 1))]  # star(M) ^ N, on I
    inner = blade_inner(M, N)
    np.testing.assert_allclose(top, SIGN_TABLE[k, d] * inner, rtol=1e-10)
    always = (cl_wedge(N, d) * (~cl_wedge(M, d) * layout.pseudoScalar))(d)
    np.testing.assert_allclose(always[tuple(range(1, d + 1))], inner, rtol=1e-10)


@pytest.mark.parametrize("d", range(2, 7))
def test_dual_preserves_norms_and_blade_norm_is_clifford(d, rng):
    """C9: ||star B||_1 = ||B||_1 and ||star B||_2 = ||B||_2 = clifford abs(B); blade_norm(V, 1)
    = sum |coefficients| of clifford's v_1 ^ ... ^ v_k."""
    for k in range(d + 1):
        V = rng.normal(size=(k, d))
        B = wedge(V)
        star = hodge_dual(B, d, k)
        np.testing.assert_allclose(np.abs(star).sum(), np.abs(B).sum(), rtol=1e-14)
        np.testing.assert_allclose(np.linalg.norm(star), np.linalg.norm(B), rtol=1e-14)
        blade = cl_wedge(V, d)
        np.testing.assert_allclose(blade_norm(V, 2), abs(blade), rtol=1e-10)
        np.testing.assert_allclose(blade_norm(V, 1), np.abs(blade.value).sum(), rtol=1e-10)
        assert len(B) == len(list(combinations(range(d), k)))
