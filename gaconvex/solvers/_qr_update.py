"""The economic QR factorization M_T = Q R held in preallocated buffers: in-place column
deletion and triangular solves.

Column deletion:
Removing column k of R leaves an upper Hessenberg block in columns k..t-2; the Givens rotations
G_i on rows (i, i + 1), i = k..t-2, restore the triangle (Golub and Van Loan, *Matrix
Computations*, 4th ed., Sec. 6.5.2) and Q G_i^T keeps M = Q R.  Unlike scipy's ``qr_delete``
nothing is allocated: the active-set method keeps Q (N x capacity) and R (capacity x capacity)
in preallocated Fortran-ordered buffers, and at N = 10^4 a copy of Q costs more than the
rotations.  Compiled by numba on first use (``cache=True``).

Triangular solves R^-1 b and R^-T b call LAPACK ``dtrtrs`` (through scipy's Cython LAPACK
table) on the leading t x t block of the R buffer in place, with the leading dimension of the
buffer: scipy's Python wrapper needs a contiguous array and so copies the block on every call
(at t ~ 500: 165 us against 47 us a solve, bit-for-bit the same result).
"""
from __future__ import annotations

import numpy as np

_KERNEL = None
_DTRTRS = None


def delete_column(Q, R, Qb, k: int, t: int) -> None:
    """Remove column k of the t-column factorization held in the buffers Q (N x cap) and
    R (cap x cap); afterwards Q[:, :t-1] R[:t-1, :t-1] is M_T without column k, and Qb (the
    vector Q^T b, cap) is rotated with Q, so it stays Q^T b."""
    _kernel()(Q, R, Qb, k, t)


def solve_triangular(R, t: int, b, transpose: bool = False):
    """(x, info) with x = R^-1 b (or R^-T b) for the upper-triangular R[:t, :t] of the
    Fortran-ordered buffer ``R``; b is a vector of length t or a t x k matrix; info is LAPACK's
    (k > 0: the k-th diagonal entry is zero)."""
    import ctypes

    if not (R.flags.f_contiguous and R.dtype == np.float64):
        raise ValueError("solve_triangular needs the Fortran-ordered float64 R buffer.")
    x = np.array(b, dtype=np.float64, order="F")
    ints = [ctypes.c_int(v) for v in (t, 1 if x.ndim == 1 else x.shape[1], R.shape[0], t, 0)]
    n, nrhs, lda, ldb, info = (ctypes.byref(v) for v in ints)
    _lapack()(b"U", b"T" if transpose else b"N", b"N", n, nrhs, R.ctypes.data, lda,
              x.ctypes.data, ldb, info)
    return x, ints[-1].value


def _lapack():
    global _DTRTRS
    if _DTRTRS is None:
        import ctypes

        from numba.extending import get_cython_function_address

        pointer = ctypes.c_void_p
        signature = ctypes.CFUNCTYPE(None, *[ctypes.c_char_p] * 3, *[pointer] * 7)
        _DTRTRS = signature(get_cython_function_address("scipy.linalg.cython_lapack", "dtrtrs"))
    return _DTRTRS


def _kernel():
    global _KERNEL
    if _KERNEL is None:
        import numba

        @numba.njit(cache=True, nogil=True)
        def delete(Q, R, Qb, k, t):  # pragma: no cover - compiled
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

        _KERNEL = delete
    return _KERNEL
