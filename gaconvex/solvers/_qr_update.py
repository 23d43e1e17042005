"""In-place column deletion from an economic QR factorization M_T = Q R.

Removing column k of R leaves an upper Hessenberg block in columns k..t-2; the Givens rotations
G_i on rows (i, i + 1), i = k..t-2, restore the triangle (Golub and Van Loan, *Matrix
Computations*, 4th ed., Sec. 6.5.2) and Q G_i^T keeps M = Q R.  Unlike scipy's ``qr_delete``
nothing is allocated: the active-set method keeps Q (N x capacity) and R (capacity x capacity)
in preallocated Fortran-ordered buffers, and at N = 10^4 a copy of Q costs more than the
rotations.  Compiled by numba on first use (``cache=True``).
"""
from __future__ import annotations

import numpy as np

_KERNEL = None


def delete_column(Q, R, k: int, t: int) -> None:
    """Remove column k of the t-column factorization held in the buffers Q (N x cap) and
    R (cap x cap); afterwards Q[:, :t-1] R[:t-1, :t-1] is M_T without column k."""
    _kernel()(Q, R, k, t)


def _kernel():
    global _KERNEL
    if _KERNEL is None:
        import numba

        @numba.njit(cache=True, nogil=True)
        def delete(Q, R, k, t):  # pragma: no cover - compiled
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
                for row in range(n):
                    u, v = Q[row, i], Q[row, i + 1]
                    Q[row, i] = c * u + s * v
                    Q[row, i + 1] = c * v - s * u

        _KERNEL = delete
    return _KERNEL
