"""Reflections (000 Sec. 1 and Sec. 2.4, Thm 4.3 reflection planes; 002 Sec. 3.1 generalized
reflection; 001 spec Sec. 1.7 and claim C9: -n x n^{-1} = x - 2 (x . n) n / ||n||^2)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from gaconvex.algebra import (generalized_reflection, reflect_across_hyperplane,
                              reflect_hyperplane_across_hyperplane, reflect_point)
from ga_oracles import PROPERTY, cl_inv, grade_coeffs, mv, vector_stacks

points = st.integers(1, 5).flatmap(lambda d: vector_stacks(3, d, bound=100.0))


@PROPERTY
@given(points)
def test_point_reflection_definition_and_involution(P):
    """000 Sec. 1: R_(a,b) = 2b - a; R_(R_(a,b), b) = a; b is the midpoint of a and R_(a,b)."""
    a, b, _ = P
    r, size = reflect_point(a, b), 1e-12 * (1 + np.abs(P).max())
    np.testing.assert_allclose(r, b + (b - a), atol=size)
    np.testing.assert_allclose(reflect_point(r, b), a, atol=size)
    np.testing.assert_allclose((a + r) / 2, b, atol=size)


@PROPERTY
@given(points)
def test_generalized_reflection(P):
    """002 Sec. 3.1: a + c - b = R_(b, (a+c)/2); for a = c it is 2a - b = R_(b, a)."""
    a, c, b = P
    size = 1e-12 * (1 + np.abs(P).max())
    np.testing.assert_allclose(generalized_reflection(a, c, b), 2 * (a + c) / 2 - b, atol=size)
    np.testing.assert_allclose(generalized_reflection(a, a, b), reflect_point(b, a), atol=size)


def test_scalar_reflections_of_1d_data():
    """1-D data (002): the breakpoint 4 is x_2 = 0 reflected across x_1 = 2 (002 Fig. 3.2)."""
    assert reflect_point(0.0, 2.0) == 4.0
    assert reflect_point(reflect_point(0.0, -1.0), 2.0) == 6.0
    np.testing.assert_array_equal(reflect_point([0.0, 1.0], 2.0), [4.0, 3.0])


@pytest.mark.parametrize("d", range(2, 7))
def test_reflection_through_origin_is_clifford_sandwich(d, rng):
    """C9: reflection in the hyperplane normal to n is -n x n^{-1} (clifford)."""
    for _ in range(5):
        x, n = rng.normal(size=(2, d))
        versor = grade_coeffs(-1.0 * mv(n) * mv(x) * cl_inv(mv(n)), d, 1)
        np.testing.assert_allclose(reflect_across_hyperplane(x, n), versor, atol=1e-12)


@PROPERTY
@given(st.integers(1, 5).flatmap(lambda d: st.tuples(vector_stacks(2, d), st.floats(-10, 10))))
def test_reflection_across_affine_hyperplane(args):
    """{y : y . n = c}: the midpoint of x and x' lies on it, x' - x is parallel to n, and
    reflecting twice gives x back."""
    (x, n), c = args
    if np.abs(n).max() < 1e-3:
        return
    r = reflect_across_hyperplane(x, n, c)
    size = 1e-10 * (1 + np.abs(x).max() + abs(c) / np.abs(n).max())
    np.testing.assert_allclose(((x + r) / 2) @ n, c, atol=size * np.abs(n).sum())
    np.testing.assert_allclose(np.linalg.matrix_rank(np.vstack([r - x, n]), tol=size), 1)
    np.testing.assert_allclose(reflect_across_hyperplane(r, n, c), x, atol=size)


def test_thm_4_3_parallel_reflection_plane(rng):
    """000 Thm 4.3 / Sec. 2.4: reflecting H(p, w) across H(q, w) gives H(2q - p, w)."""
    p, q, w = rng.normal(size=(3, 4))
    point, normal = reflect_hyperplane_across_hyperplane(p, w, q)
    np.testing.assert_array_equal(point, 2 * q - p)
    np.testing.assert_array_equal(normal, w)


def _same_hyperplane(p1, w1, p2, w2):
    """H(p1, w1) == H(p2, w2) as sets: parallel normals and p2 - p1 orthogonal to w1."""
    u1, u2 = w1 / np.linalg.norm(w1), w2 / np.linalg.norm(w2)
    np.testing.assert_allclose(abs(u1 @ u2), 1.0, atol=1e-12)
    np.testing.assert_allclose((p2 - p1) @ u1, 0.0, atol=1e-10)


@pytest.mark.parametrize("d", [2, 3, 5])
def test_general_plane_reflection_maps_every_point(d, rng):
    """The image of each point y of H(p, w) under the mirror y - 2((y - q) . v) v / ||v||^2
    lies on the returned plane; for v = w it is the Thm 4.3 plane H(2q - p, w)."""
    p, q, w, v = rng.normal(size=(4, d))
    point, normal = reflect_hyperplane_across_hyperplane(p, w, q, v)
    tangent = np.linalg.svd(w[None])[2][1:]  # directions inside H(p, w)
    for y in p + rng.normal(size=(10, d - 1)) @ tangent:
        image = y - 2 * ((y - q) @ v) * v / (v @ v)
        np.testing.assert_allclose((image - point) @ normal, 0.0, atol=1e-10)
    np.testing.assert_allclose(abs(normal @ normal), w @ w, rtol=1e-12)  # an isometry
    _same_hyperplane(*reflect_hyperplane_across_hyperplane(p, w, q, 3.0 * w), 2 * q - p, w)
