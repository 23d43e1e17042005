"""Distances to spans and affine hulls; projection onto and rejection from a blade (001 Sec. 2.2,
App. 6.1; 000 eq. (17) and Sec. 2.2).
"""
from __future__ import annotations

import math

from .._validation import GaconvexError
from ._backend import as_points, as_vectors, backend_for
from .exterior import _scaled_cross

__all__ = ["distance_to_span", "distance_to_affine_hull", "project_onto_blade", "reject_from_blade"]

# Singular values below this fraction of the largest count as zero (dependent spanning vectors).
_PINV_RTOL = 1e-10
# Hyperplanes whose cross product is below this fraction of prod ||v_i||_inf count as dependent
# (the default of ``generalized_cross``).
_CROSS_RTOL = 1e-10


def _project(x, V, backend):
    """x P_V: the orthogonal projection of the rows x onto Span(rows of V), via U^+ U.

    U is V with each nonzero row divided by its largest |entry|: the same span, but singular
    values no longer reflect the rows' scales, so the relative cutoff only removes dependence.
    """
    xp = backend.xp
    size = xp.amax(xp.abs(V), -1, keepdims=True)
    U = V / xp.where(size > 0, size, 1.0)
    return ((x[..., None, :] @ backend.pinv(U, _PINV_RTOL)) @ U)[..., 0, :]


def _signed_distance(x, V, backend):
    """x . cross(V) / ||cross(V)||, NaN (no warning) when V is dependent.

    The ratio does not change when cross(V) is rescaled, so it uses n = c / ||c||_inf for the
    cross product c of the rows of V scaled by powers of two (``_scaled_cross``, no overflow)
    and x . n / ||n||_2 (no underflow of the squares): vectors of any size are fine.
    """
    xp = backend.xp
    cross = _scaled_cross(V, backend, "cofactor", _CROSS_RTOL)[0]
    size = backend.abs_max(cross)
    defined = size > 0
    n = cross / xp.where(defined, size, 1.0)[..., None]
    norm = xp.sqrt(xp.einsum("...i,...i->...", n, n))
    height = xp.einsum("...i,...i->...", x, n) / xp.where(defined, norm, 1.0)
    return xp.where(defined, height, math.nan)


def _unsigned_distance(x, V, backend):
    r = x - _project(x, V, backend)
    return backend.xp.sqrt(backend.xp.einsum("...i,...i->...", r, r))


def distance_to_span(x, V, *, signed: bool = True):
    """Distance from x to Span(v_1, ..., v_k) (001 Sec. 2.2 and App. 6.1; 000 eq. (17)).

    signed=True (k = d-1, a hyperplane through 0):
        dist = cross(V) . x / ||cross(V)||_2
             = star(x ^ v_1 ^ ... ^ v_{d-1}) / ||v_1 ^ ... ^ v_{d-1}||_2
             = det[x; v_1; ...; v_{d-1}] / sqrt(det V V^T),
        positive on the side cross(V) points to; swapping two v_i flips the sign. NaN where the
        v_i are dependent (``generalized_cross`` is 0: no hyperplane).
    signed=False (any 0 <= k <= d): ||x - P_V x||_2, the least-squares residual; for a blade
        B = v_1 ^ ... ^ v_k != 0 it is ||x ^ B||_2 / ||B||_2. Dependent v_i: distance to their span.

    x : array (..., d); V : array (..., k, d). Batch axes broadcast. Returns (...,).
    """
    backend = backend_for(x, V)
    V = as_vectors(backend, V, "V")
    k, d = V.shape[-2:]
    x = as_points(backend, x, "x", d)
    if not signed:
        return _unsigned_distance(x, V, backend)
    if k != d - 1:
        raise GaconvexError(
            f"a signed distance needs a hyperplane: d-1 = {d - 1} vectors in R^{d}, got {k} "
            f"(V of shape {tuple(V.shape)}); use signed=False for a span of any dimension."
        )
    return _signed_distance(x, V, backend)


def distance_to_affine_hull(x, P, *, signed: bool = True):
    """Distance from x to Aff(u_1, ..., u_m) (001 Thm 5 kappa_b; App. 6.1 as corrected in the spec).

    signed=True (m = d points, a hyperplane):
        dist = det[x - u_d; u_1 - u_d; ...; u_{d-1} - u_d]
               / ||(u_1 - u_d) ^ ... ^ (u_{d-1} - u_d)||_2
             = distance_to_span(x - u_d, [u_i - u_d]_{i<d}),
        the orientation of 001 Thm 5 (App. 6.1's printed wedge order differs by (-1)^(d-1)). NaN
        for affinely dependent points. In R^2 it is 2 Vol(Delta(x, u_1, u_2)) / ||u_1 - u_2||_2.
    signed=False (any 1 <= m <= d+1): the least-squares residual of x - u_m on the u_i - u_m.

    x : array (..., d); P : array (..., m, d), one point per row. Returns (...,).
    """
    backend = backend_for(x, P)
    P = backend.asarray(P, "P")
    if P.ndim < 2 or P.shape[-1] < 1 or not (1 <= P.shape[-2] <= P.shape[-1] + 1):
        raise GaconvexError(
            "P must hold m points of R^d as rows, shape (..., m, d) with d >= 1 and "
            f"1 <= m <= d+1; got shape {tuple(P.shape)}."
        )
    m, d = P.shape[-2:]
    if signed and m != d:
        raise GaconvexError(
            f"a signed distance needs a hyperplane: d = {d} points in R^{d}, got {m} (P of shape "
            f"{tuple(P.shape)}); use signed=False for the affine hull of any 1 <= m <= d+1 points."
        )
    x = as_points(backend, x, "x", d)
    base = P[..., -1, :]
    edges = P[..., :-1, :] - base[..., None, :]
    if signed:
        return _signed_distance(x - base, edges, backend)
    return _unsigned_distance(x - base, edges, backend)


def project_onto_blade(x, V):
    """Orthogonal projection of x onto the blade B = v_1 ^ ... ^ v_k: P_B(x) = (x _| B) B^{-1}.

    001 App. 6.1; spec 001 §1.7.

    Computed as x V^+ V (pseudo-inverse, relative cutoff 1e-10), which equals the clifford
    formula for B != 0 and projects onto Span(v_i) when the v_i are dependent.

    x : array (..., d); V : array (..., k, d), 0 <= k <= d. Returns (..., d).
    """
    backend = backend_for(x, V)
    V = as_vectors(backend, V, "V")
    return _project(as_points(backend, x, "x", V.shape[-1]), V, backend)


def reject_from_blade(x, V):
    """Rejection of x from the blade B = v_1 ^ ... ^ v_k: (x ^ B) B^{-1} = x - P_B(x).

    001 App. 6.1; spec 001 §1.7.

    Its norm is the unsigned distance from x to Span(v_i). Example (spec 001 §1.7):
    x = (1, 2, 3), B = e_1 ^ e_3 gives 2 e_2.

    x : array (..., d); V : array (..., k, d), 0 <= k <= d. Returns (..., d).
    """
    backend = backend_for(x, V)
    V = as_vectors(backend, V, "V")
    x = as_points(backend, x, "x", V.shape[-1])
    return x - _project(x, V, backend)
