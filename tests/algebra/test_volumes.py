"""Volumes (001 Sec. 2.2 and spec Sec. 1.6, claims C3 and C5; 000 Remark B.2, eq. (16)):
signed volume = det, k-volume = sqrt(det V V^T) = clifford |B|, simplex volume = 1/k! of it,
and the triangle loop formula = shoelace, positive counter-clockwise."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.spatial
from hypothesis import given, strategies as st

from gaconvex.algebra import (parallelotope_volume, signed_volume, simplex_volume,
                              triangle_area_2d)
from ga_oracles import PROPERTY, cl_wedge, scale, vector_stacks


@PROPERTY
@given(st.integers(1, 6).flatmap(lambda d: vector_stacks(d, d)))
def test_signed_volume_is_determinant(V):
    """000 (16) and 001 Sec. 2.2: star(v_1 ^ ... ^ v_d) = det[v_1; ...; v_d] (signed)."""
    np.testing.assert_allclose(signed_volume(V), np.linalg.det(V), atol=1e-12 * scale(V) + 1e-300)


@pytest.mark.parametrize("d", range(2, 7))
def test_parallelotope_volume_is_gram_root_and_clifford_abs(d, rng):
    """001 Sec. 1.2: ||v_1 ^ ... ^ v_k||_2 = sqrt(det V V^T) = clifford abs(B), for every k."""
    for k in range(d + 1):
        V = rng.normal(size=(3, k, d))
        vol, size = parallelotope_volume(V), np.prod(np.linalg.norm(V, axis=-1), -1)
        gram = np.linalg.det(V @ V.swapaxes(1, 2))  # sqrt(gram) has ~1e-8 relative rounding
        np.testing.assert_allclose(vol ** 2, gram, atol=1e-12 * size.max() ** 2)
        np.testing.assert_allclose(vol, [abs(cl_wedge(Vn, d)) for Vn in V], rtol=1e-10)


def test_parallelotope_volume_of_dependent_vectors_is_tiny(rng):
    """Nearly dependent vectors: QR keeps the volume at rounding level (Gram would give ~1e-8)."""
    V = rng.normal(size=(100, 3, 5))
    V[:, 2] = V[:, 0] + 2.0 * V[:, 1]
    assert np.all(parallelotope_volume(V) < 1e-13 * np.prod(np.linalg.norm(V, axis=-1), -1))


@pytest.mark.parametrize("d", [2, 3, 4])
def test_full_dimensional_simplex_volume_is_convex_hull_volume(d, rng):
    """1/d! |det| of the edge vectors equals the volume of the convex hull of the d+1 vertices."""
    for P in rng.normal(size=(5, d + 1, d)):
        np.testing.assert_allclose(simplex_volume(P), scipy.spatial.ConvexHull(P).volume,
                                   rtol=1e-10)


def test_triangle_in_space_is_heron(rng):
    """A 2-simplex in R^3: area by Heron's formula from the side lengths."""
    P = rng.normal(size=(50, 3, 3))
    a, b, c = (np.linalg.norm(P[:, i] - P[:, j], axis=-1) for i, j in ((0, 1), (1, 2), (2, 0)))
    s = (a + b + c) / 2
    np.testing.assert_allclose(simplex_volume(P), np.sqrt(s * (s - a) * (s - b) * (s - c)),
                               rtol=1e-8)


def test_segment_and_point_simplices():
    """k = 1: the length of the segment; k = 0: a point has 0-volume 1 (empty wedge)."""
    np.testing.assert_allclose(simplex_volume([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]]), 3.0)
    np.testing.assert_allclose(simplex_volume([[5.0, 1.0]]), 1.0)
    np.testing.assert_allclose(simplex_volume(np.eye(4)[:, :3] * 6.0), 6.0**3 / math.factorial(3))


triangles = vector_stacks(3, 2)


@PROPERTY
@given(triangles)
def test_loop_formula_is_shoelace(T):
    """C5: 1/2 (a^b + b^c + c^a) = shoelace area = 1/2 (a - c) ^ (b - c)."""
    a, b, c = T
    shoelace = 0.5 * ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]))
    tol = 1e-12 * (1 + np.abs(T).max()) ** 2
    np.testing.assert_allclose(triangle_area_2d(a, b, c), shoelace, atol=tol)
    np.testing.assert_allclose(triangle_area_2d(a, b, c),
                               0.5 * np.linalg.det(np.vstack([a - c, b - c])), atol=tol)


def test_loop_formula_is_positive_counter_clockwise(rng):
    """C5: the unit triangle (0,0) -> (1,0) -> (0,1) is counter-clockwise: +1/2; reversed: -1/2."""
    a, b, c = np.array([0.0, 0.0]), np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert triangle_area_2d(a, b, c) == 0.5
    assert triangle_area_2d(a, c, b) == -0.5
    angles = np.sort(rng.uniform(0, 2 * np.pi, size=(200, 3)), axis=1)  # counter-clockwise order
    pts = np.stack([np.cos(angles), np.sin(angles)], -1)
    assert np.all(triangle_area_2d(pts[:, 0], pts[:, 1], pts[:, 2]) > 0)
    assert np.all(triangle_area_2d(pts[:, 0], pts[:, 2], pts[:, 1]) < 0)
    # Vol(Delta(0, x, x')) = 1/2 x ^ x' (001 Sec. 2.2), broadcasting the origin
    np.testing.assert_allclose(triangle_area_2d([0.0, 0.0], pts[:, 0], pts[:, 1]),
                               0.5 * np.linalg.det(pts[:, :2]))
