"""Distances, projection and rejection (001 Sec. 2.2 and App. 6.1, spec Sec. 1.7, claims C4 and
C9; 000 eq. (17) and Sec. 2.2 items 7-8), against least squares (numpy.linalg.lstsq),
determinants and clifford (x _| B) B^{-1}, (x ^ B) B^{-1}."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from gaconvex.algebra import (distance_to_affine_hull, distance_to_span, project_onto_blade,
                              reject_from_blade)
from ga_oracles import PROPERTY, cl_inv, cl_wedge, grade_coeffs, lstsq_residual, mv, vector_stacks


@st.composite
def hyperplane_inputs(draw):
    d = draw(st.integers(2, 6))
    V = draw(vector_stacks(d - 1, d))
    return V, draw(vector_stacks(1, d))[0]


@PROPERTY
@given(hyperplane_inputs())
def test_signed_distance_to_span_is_lstsq_residual_with_det_sign(args):
    """C4: |dist(x, Span V)| = least-squares residual; sign of det[x; V] (001 Sec. 2.2)."""
    V, x = args
    lengths = np.max(np.abs(V), axis=1, keepdims=True)
    if np.any(lengths == 0):
        return
    U = V / lengths  # the signed distance is invariant under positive row scalings of V; the
    gram = np.linalg.det(U @ U.T)  # oracle's Gram determinant of rows ~1e-162 would underflow
    if gram <= 1e-6 * np.prod(np.sum(U * U, axis=1)):  # keep to well-conditioned hyperplanes
        return
    dist = distance_to_span(x, V)
    size = 1e-9 * (1 + np.linalg.norm(x))
    np.testing.assert_allclose(abs(dist), np.linalg.norm(lstsq_residual(x, V)), atol=size)
    np.testing.assert_allclose(dist, np.linalg.det(np.vstack([x, U])) / np.sqrt(gram), atol=size)
    if len(V) > 1:  # the sign flips with the orientation of the blade
        np.testing.assert_allclose(distance_to_span(x, V[[1, 0, *range(2, len(V))]]), -dist,
                                   atol=size)
    np.testing.assert_allclose(distance_to_span(x, V, signed=False), abs(dist), atol=size)


@pytest.mark.parametrize("d", range(2, 7))
def test_eq17_height_of_a_parallelotope(d, rng):
    """000 eq. (17): Dist(v_d, Span(v_1..v_{d-1})) = |det[v_1..v_d]| / ||v_1 ^ ... ^ v_{d-1}||_2."""
    V = rng.normal(size=(20, d, d))
    height = np.abs(np.linalg.det(V)) / np.sqrt(np.linalg.det(V[:, :-1] @ V[:, :-1].swapaxes(1, 2)))
    np.testing.assert_allclose(np.abs(distance_to_span(V[:, -1], V[:, :-1])), height, rtol=1e-10)


@pytest.mark.parametrize("d", range(2, 7))
def test_signed_distance_to_affine_hull(d, rng):
    """C4, 001 Thm 5 kappa_b: det[x-u_d; u_1-u_d; ...] / ||(u_1-u_d) ^ ...||_2, and |.| is the
    least-squares residual."""
    P, x = rng.normal(size=(10, d, d)), rng.normal(size=(10, d))
    E = P[:, :-1] - P[:, -1:]
    expected = (np.linalg.det(np.concatenate([(x - P[:, -1])[:, None], E], 1))
                / np.sqrt(np.linalg.det(E @ E.swapaxes(1, 2))))
    dist = distance_to_affine_hull(x, P)
    np.testing.assert_allclose(dist, expected, rtol=1e-10)
    residual = [np.linalg.norm(lstsq_residual(x[n] - P[n, -1], E[n])) for n in range(10)]
    np.testing.assert_allclose(np.abs(dist), residual, rtol=1e-10)
    np.testing.assert_allclose(distance_to_affine_hull(x, P, signed=False), residual, rtol=1e-10)


def test_kappa_b_in_the_plane_is_twice_area_over_base(rng):
    """C4: for d = 2, dist(x, line(u_1, u_2)) = 2 Area(Delta(x, u_1, u_2)) / ||u_1 - u_2||,
    the area by the shoelace formula."""
    x, u1, u2 = rng.normal(size=(3, 100, 2))
    a, b = u1 - x, u2 - x
    area = 0.5 * (a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1])
    np.testing.assert_allclose(distance_to_affine_hull(x, np.stack([u1, u2], 1)),
                               2 * area / np.linalg.norm(u1 - u2, axis=-1), rtol=1e-10)


def test_distance_broadcasts_points_against_hyperplanes(rng):
    """x (n, 1, d) against V (m, d-1, d) gives the (n, m) feature matrix."""
    X, V = rng.normal(size=(7, 1, 4)), rng.normal(size=(5, 3, 4))
    D = distance_to_span(X, V)
    assert D.shape == (7, 5)
    np.testing.assert_allclose(D[3, 2], distance_to_span(X[3, 0], V[2]))


def test_degenerate_hyperplane_gives_nan_without_warning():
    """Dependent spanning vectors: no hyperplane, so the signed distance is NaN (silently)."""
    V = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    assert np.isnan(distance_to_span([1.0, 0.0, 0.0], V))
    np.testing.assert_allclose(distance_to_span([0.0, 0.0, 0.0], V, signed=False), 0.0)
    P = np.array([[0.0, 0.0], [0.0, 0.0]])
    assert np.isnan(distance_to_affine_hull([1.0, 1.0], P))


@pytest.mark.parametrize("d", range(2, 7))
def test_projection_and_rejection_equal_clifford(d, rng):
    """C9 and 001 Sec. 1.7: P_B(x) = (x _| B) B^{-1}, rejection (x ^ B) B^{-1} = x - P_B(x)."""
    for k in range(1, d + 1):
        V, x = rng.normal(size=(k, d)), rng.normal(size=d)
        B, X = cl_wedge(V, d), mv(x)
        proj = grade_coeffs((X * B)(k - 1) * cl_inv(B), d, 1)  # x _| B = <x B>_{k-1}
        rej = grade_coeffs((X * B)(k + 1) * cl_inv(B), d, 1)  # x ^ B = <x B>_{k+1}
        np.testing.assert_allclose(project_onto_blade(x, V), proj, atol=1e-11)
        np.testing.assert_allclose(reject_from_blade(x, V), rej, atol=1e-11)
        np.testing.assert_allclose(rej, x - proj, atol=1e-11)
        np.testing.assert_allclose(distance_to_span(x, V, signed=False), np.linalg.norm(rej),
                                   atol=1e-11)
        # ||x ^ B|| / ||B|| is the unsigned distance (001 Sec. 1.7)
        np.testing.assert_allclose(np.linalg.norm(rej), abs((X * B)(k + 1)) / abs(B), rtol=1e-10)


def test_rejection_example_of_the_spec():
    """001 Sec. 1.7 (spec): x = (1, 2, 3), B = e_1 ^ e_3 gives rejection 2 e_2."""
    V = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(reject_from_blade([1.0, 2.0, 3.0], V), [0.0, 2.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(project_onto_blade([1.0, 2.0, 3.0], V), [1.0, 0.0, 3.0], atol=1e-15)


@PROPERTY
@given(st.integers(1, 6).flatmap(lambda d: st.tuples(
    st.integers(0, d).flatmap(lambda k: vector_stacks(k, d)), vector_stacks(1, d))))
def test_rejection_is_lstsq_residual_also_for_dependent_vectors(args):
    """x - P_V(x) = least-squares residual on Span(v_i), including dependent or zero vectors."""
    V, x = args[0], args[1][0]
    if len(V) > 1:
        V = np.vstack([V, V[0] + V[1]])[-len(V):] if len(V) < V.shape[1] else V
    if V.size:  # dependent means exactly (or to rounding) dependent: a vector set whose smallest
        # singular value lies between the oracle's rank cutoff and 1e-6 of the largest is
        # ill-posed (either answer is right, and lstsq's own residual errs by up to 1e-4 there),
        # measured on the rows the oracle uses (each scaled to max |entry| = 1)
        rows = V[np.abs(V).max(axis=1) > 0]
        rows = rows / np.abs(rows).max(axis=1, keepdims=True)
        sv = np.linalg.svd(rows, compute_uv=False) if rows.size else np.zeros(1)
        rel = sv / max(sv.max(), np.finfo(float).tiny)
        cutoff = 4 * max(V.shape) * np.finfo(float).eps
        if np.any((rel > cutoff) & (rel < 1e-6)):
            return
    expected = lstsq_residual(x, V)
    np.testing.assert_allclose(reject_from_blade(x, V), expected, atol=1e-8 * (1 + np.abs(x).max()))


@pytest.mark.parametrize("d", range(2, 6))
def test_distance_to_plane_and_sparsity_factor(d, rng):
    """000 Sec. 2.2 item 8: |(x - p) w| / ||w||_1 = r(w) Dist(x, H(p, w)), r(w) = ||w||_2/||w||_1.

    H(p, w) is the affine hull of p + (d-1) vectors orthogonal to w; Dist from least squares.
    """
    p, w, x = rng.normal(size=(3, d))
    basis = np.linalg.svd(w[None])[2][1:]  # orthonormal basis of w's orthogonal complement
    P = np.vstack([p + basis, p])[-d:] if d > 1 else p[None]
    dist = distance_to_affine_hull(x, P, signed=False)
    np.testing.assert_allclose(dist, np.linalg.norm(lstsq_residual(x - p, basis)), rtol=1e-10)
    r = np.linalg.norm(w) / np.abs(w).sum()
    np.testing.assert_allclose(abs((x - p) @ w) / np.abs(w).sum(), r * dist, rtol=1e-10)
