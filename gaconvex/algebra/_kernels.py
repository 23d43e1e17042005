"""numba kernel of the Laplace expansion of a wedge product (imported lazily: it imports numba).

The expansion is driven by a schedule of terms (see ``exterior._laplace_schedule``): each term
adds ``sign * coef[inn] * V[n, vec, col]`` to ``coef[out]``. The batch is cut into blocks held
in transposed, cache-sized scratch arrays so that the loop over the batch vectorizes.
"""
from __future__ import annotations

import numba
import numpy as np

_BLOCK = 256


@numba.njit(cache=True, parallel=True)
def wedge_laplace(V, n_slots, first, out, inn, vec, col, sign, result):  # pragma: no cover - numba
    """Fill ``result[n, :]`` with the grade-k coefficients of V[n, 0] ^ ... ^ V[n, k-1]."""
    n_items, k, d = V.shape
    n_out = result.shape[1]
    n_blocks = (n_items + _BLOCK - 1) // _BLOCK
    for b in numba.prange(n_blocks):
        lo = b * _BLOCK
        size = min(n_items, lo + _BLOCK) - lo
        coef = np.zeros((n_slots, _BLOCK))
        vt = np.empty((k, d, _BLOCK))
        for n in range(size):
            for a in range(k):
                for c in range(d):
                    vt[a, c, n] = V[lo + n, a, c]
        for c in range(d):
            for n in range(size):
                coef[c, n] = vt[0, c, n]
        for t in range(out.shape[0]):
            o, i, v, c, s = out[t], inn[t], vec[t], col[t], sign[t]
            for n in range(size):
                coef[o, n] += s * coef[i, n] * vt[v, c, n]
        for n in range(size):
            for j in range(n_out):
                result[lo + n, j] = coef[first + j, n]
