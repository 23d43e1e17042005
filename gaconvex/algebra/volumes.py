"""Signed and unsigned volumes of parallelotopes and simplices (001 Sec. 2.2, App. 6.1; 000 App. B).

P(v_1, ..., v_k) = {sum_i t_i v_i : 0 <= t_i <= 1} is a parallelotope (no factorial) and
Delta(p_0, ..., p_k) a simplex (factor 1/k!): "2 Vol(Delta) = det" in the plane.
"""
from __future__ import annotations

from math import factorial

from .._validation import GaconvexError
from ._backend import as_points, as_vectors, backend_for
from .exterior import _wedge

__all__ = ["signed_volume", "parallelotope_volume", "simplex_volume", "triangle_area_2d"]


def signed_volume(V):
    """Signed d-volume det[v_1; ...; v_d] of P(v_1, ..., v_d) (001 Sec. 2.2; 000 Remark B.2).

    It is the coefficient of I in v_1 ^ ... ^ v_d ("the scalar part of the wedge product
    represents the signed volume", 001 Sec. 2.2), computed by the same exact expansion as
    ``wedge``. 000 writes Vol(v_1, ..., v_d) = |det| (000 eq. (16)).

    V : array (..., d, d), one vector per row. Returns (...,).
    """
    backend = backend_for(V)
    V = as_vectors(backend, V, "V")
    k, d = V.shape[-2:]
    if k != d:
        raise GaconvexError(
            f"signed_volume needs d vectors in R^d, shape (..., d, d); got {k} vectors of "
            f"dimension {d} (shape {tuple(V.shape)}). For k < d vectors use parallelotope_volume."
        )
    return _wedge(V, backend, "auto")[..., 0]


def _parallelotope_volume(V, backend):
    R = backend.xp.linalg.qr(V.swapaxes(-1, -2))[1]
    return backend.xp.abs(R.diagonal(0, -2, -1).prod(-1))


def parallelotope_volume(V):
    """k-volume of P(v_1, ..., v_k) in R^d: sqrt(det V V^T) = ||v_1 ^ ... ^ v_k||_2 (001 Sec. 2.2).

    Computed as |prod diag R| for V^T = Q R, which stays accurate (about 1e-16 relative to
    prod ||v_i||) for nearly dependent vectors, where sqrt of the Gram determinant loses half
    the digits. k = 0 gives 1.

    V : array (..., k, d), 0 <= k <= d. Returns (...,).
    """
    backend = backend_for(V)
    return _parallelotope_volume(as_vectors(backend, V, "V"), backend)


def simplex_volume(P):
    """k-volume of the simplex with vertices p_0, ..., p_k (001 Sec. 2.2).

    Vol(Delta) = ||(p_1 - p_0) ^ ... ^ (p_k - p_0)||_2 / k!.

    P : array (..., k+1, d), 1 <= k+1 <= d+1 vertices per row. Returns (...,), unsigned.
    """
    backend = backend_for(P)
    P = backend.asarray(P, "P")
    if P.ndim < 2 or not (1 <= P.shape[-2] <= P.shape[-1] + 1):
        raise GaconvexError(
            "P must hold the k+1 vertices of a k-simplex in R^d as rows, shape (..., k+1, d) with "
            f"1 <= k+1 <= d+1; got shape {tuple(P.shape)}."
        )
    k = P.shape[-2] - 1
    edges = P[..., 1:, :] - P[..., :1, :]
    return _parallelotope_volume(edges, backend) / factorial(k)


def triangle_area_2d(a, b, c):
    """Signed area of the triangle (a, b, c) in R^2, positive counter-clockwise (001 Sec. 2.2).

    Vol(Delta(a, b, c)) = 1/2 (a - c) ^ (b - c) = 1/2 (a ^ b + b ^ c + c ^ a), the "loop formula",
    with u ^ v = u_1 v_2 - u_2 v_1 (the e_12 coefficient).

    a, b, c : arrays (..., 2), batch axes broadcast. Returns (...,).
    """
    backend = backend_for(a, b, c)
    a, b, c = (as_points(backend, p, name, 2) for p, name in ((a, "a"), (b, "b"), (c, "c")))

    def wedge2(u, v):
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]

    return 0.5 * (wedge2(a, b) + wedge2(b, c) + wedge2(c, a))
