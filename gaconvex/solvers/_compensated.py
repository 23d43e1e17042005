"""Compensated (doubled-precision) residuals for the active-set method near interpolation.

Dot2 of Ogita, Rump and Oishi (SIAM J. Sci. Comput. 26, 2005): every product a b is split
exactly into p + e (Dekker's TwoProduct with Veltkamp's splitting) and every sum s + p into
s' + e' (Knuth's TwoSum); the errors are summed alongside, so the result is as accurate as if
computed in twice the working precision and then rounded.  It replaces a long-double copy of
the active columns (numpy's long double has no BLAS and is float64 on some platforms).
"""
from __future__ import annotations

import numpy as np

_KERNEL = None


def _kernel():
    global _KERNEL
    if _KERNEL is None:
        import numba

        @numba.njit(cache=True, nogil=True)
        def residual(M, cols, z, b):  # pragma: no cover - compiled
            n = b.size
            s = np.empty(n)
            c = np.zeros(n)
            split = 134217729.0  # 2^27 + 1
            for i in range(n):
                s[i] = -b[i]
            for k in range(cols.size):
                zk = z[k]
                t = split * zk
                zh = t - (t - zk)
                zl = zk - zh
                col = cols[k]
                for i in range(n):
                    a = M[i, col]
                    t = split * a
                    ah = t - (t - a)
                    al = a - ah
                    p = a * zk
                    e1 = ((ah * zh - p) + ah * zl + al * zh) + al * zl  # a zk = p + e1 exactly
                    x = s[i] + p
                    y = x - s[i]
                    e2 = (s[i] - (x - y)) + (p - y)  # s + p = x + e2 exactly
                    s[i] = x
                    c[i] += e1 + e2
            return s + c

        _KERNEL = residual
    return _KERNEL


def compensated_residual(M: np.ndarray, cols, z: np.ndarray, b: np.ndarray) -> np.ndarray:
    """M[:, cols] z - b in doubled precision (Dot2), rounded to float64."""
    return _kernel()(M, np.asarray(cols, dtype=np.int64), np.ascontiguousarray(z, dtype=float),
                     np.ascontiguousarray(b, dtype=float))
