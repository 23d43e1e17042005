"""The economic QR factorization M_T = Q R held in preallocated buffers: in-place column
deletion and triangular solves.

Column deletion:
Removing column k of R leaves an upper Hessenberg block in columns k..t-2; the Givens rotations
G_i on rows (i, i + 1), i = k..t-2, restore the triangle (Golub and Van Loan, *Matrix
Computations*, 4th ed., Sec. 6.5.2) and Q G_i^T keeps M = Q R.  Unlike scipy's ``qr_delete``
nothing is allocated: the active-set method keeps Q (N x capacity) and R (capacity x capacity)
in preallocated Fortran-ordered buffers, and at N = 10^4 a copy of Q costs more than the
rotations.  Compiled by numba on first use (``cache=True``; the module is imported lazily).

Triangular solves R^-1 b and R^-T b work on the leading t x t block of the R buffer in place
(back substitution by columns; forward substitution by dot products with the contiguous columns
of R, summed in any order): the active-set method makes thousands of small solves, and LAPACK
``dtrtrs`` through scipy needs a contiguous copy of the block or a ctypes call per solve (15 us
of overhead each, more than the solve at t ~ 250; measured 2026-12-03: 2-15 us against 16-31 us
a solve at t = 20-250).
"""
from __future__ import annotations

import numba
import numpy as np


def delete_column(Q, R, Qb, k: int, t: int) -> None:
    """Remove column k of the t-column factorization held in the buffers Q (N x cap) and
    R (cap x cap); afterwards Q[:, :t-1] R[:t-1, :t-1] is M_T without column k, and Qb (the
    vector Q^T b, cap) is rotated with Q, so it stays Q^T b."""
    delete(Q, R, Qb, k, t)


def solve_triangular(R, t: int, b, transpose: bool = False):
    """(x, info) with x = R^-1 b (or R^-T b) for the upper-triangular R[:t, :t] of the
    Fortran-ordered buffer ``R``; b is a vector of length t or a t x k matrix; info as LAPACK's
    dtrtrs (k > 0: the k-th diagonal entry is zero, x undefined)."""
    if not (R.flags.f_contiguous and R.dtype == np.float64):
        raise ValueError("solve_triangular needs the Fortran-ordered float64 R buffer.")
    x = np.array(b, dtype=np.float64, order="F")
    columns = x.reshape(x.shape[0], -1, order="F")
    info = (upper_transposed if transpose else upper)(R, t, columns)
    return x, int(info)


@numba.njit(cache=True, nogil=True)
def upper(R, t, X):  # pragma: no cover - compiled
    """X <- R[:t, :t]^-1 X by back substitution (columns of X in turn); 0, or k + 1 for a zero
    pivot R[k, k]."""
    for j in range(t):
        if R[j, j] == 0.0:
            return j + 1
    for k in range(X.shape[1]):
        for j in range(t - 1, -1, -1):
            X[j, k] /= R[j, j]
            xj = X[j, k]
            for i in range(j):
                X[i, k] -= xj * R[i, j]
    return 0


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def upper_transposed(R, t, X):  # pragma: no cover - compiled
    """X <- R[:t, :t]^-T X by forward substitution (dot products with the columns of R)."""
    for j in range(t):
        if R[j, j] == 0.0:
            return j + 1
    for k in range(X.shape[1]):
        for j in range(t):
            s = 0.0
            for i in range(j):
                s += R[i, j] * X[i, k]
            X[j, k] = (X[j, k] - s) / R[j, j]
    return 0


@numba.njit(cache=True, nogil=True)
def delete(Q, R, Qb, k, t):  # pragma: no cover - compiled
    """Column k out of Q R (t columns) by Givens rotations in place (module docstring)."""
    n = Q.shape[0]
    for j in range(k, t - 1):
        for i in range(t):
            R[i, j] = R[i, j + 1]
    for i in range(t):
        R[i, t - 1] = 0.0
    for i in range(k, t - 1):
        a, b = R[i, i], R[i + 1, i]
        if b == 0.0:
            continue
        r = np.hypot(a, b)
        c, s = a / r, b / r
        for j in range(i, t - 1):
            u, v = R[i, j], R[i + 1, j]
            R[i, j] = c * u + s * v
            R[i + 1, j] = c * v - s * u
        R[i + 1, i] = 0.0
        u, v = Qb[i], Qb[i + 1]
        Qb[i] = c * u + s * v
        Qb[i + 1] = c * v - s * u
        for row in range(n):
            u, v = Q[row, i], Q[row, i + 1]
            Q[row, i] = c * u + s * v
            Q[row, i + 1] = c * v - s * u
