"""numba kernels of the Laplace expansion of a wedge product (imported lazily: it imports numba).

The expansion is driven by a schedule of terms (see ``exterior._laplace_schedule``): each term
adds ``sign * coef[inn] * V[n, vec, col]`` to ``coef[out]``. The batch is cut into blocks held
in transposed, cache-sized scratch arrays so that the loop over the batch vectorizes. Blocks
run in parallel threads for large batches; small batches stay serial (no thread start-up).
Also the row maxima that numpy reduces slowly over short last axes.
"""
from __future__ import annotations

import numba
import numpy as np

BLOCK = 256
# Batches of at most this many blocks run serially.
SERIAL_BLOCKS = 8


@numba.njit(cache=True)
def _expand_block(V, lo, n_slots, first, out, inn, vec, col, sign, result):  # pragma: no cover
    """Fill result[lo:lo+BLOCK] with the grade-k coefficients of V[n, 0] ^ ... ^ V[n, k-1]."""
    n_items, k, d = V.shape
    size = min(n_items, lo + BLOCK) - lo
    coef = np.zeros((n_slots, BLOCK))
    vt = np.empty((k, d, BLOCK))
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
        for j in range(result.shape[1]):
            result[lo + n, j] = coef[first + j, n]


@numba.njit(cache=True)
def wedge_laplace_serial(V, n_slots, first, out, inn, vec, col, sign, result):  # pragma: no cover
    for b in range((V.shape[0] + BLOCK - 1) // BLOCK):
        _expand_block(V, b * BLOCK, n_slots, first, out, inn, vec, col, sign, result)


@numba.njit(cache=True, parallel=True)
def wedge_laplace_parallel(V, n_slots, first, out, inn, vec, col, sign, result):  # pragma: no cover
    for b in numba.prange((V.shape[0] + BLOCK - 1) // BLOCK):
        _expand_block(V, b * BLOCK, n_slots, first, out, inn, vec, col, sign, result)


def wedge_laplace(V, n_slots, first, out, inn, vec, col, sign, result):
    """Grade-k coefficients of each V[n] (shape (N, k, d), float64, C order) into result (N, m)."""
    kernel = wedge_laplace_serial if V.shape[0] <= SERIAL_BLOCKS * BLOCK else wedge_laplace_parallel
    kernel(V, n_slots, first, out, inn, vec, col, sign, result)


@numba.njit(cache=True)
def row_scale(V, result):  # pragma: no cover - numba
    """result[n] = prod_i max_j |V[n, i, j]|: the size of every minor of V[n] up to d^(k/2)."""
    for n in range(V.shape[0]):
        scale = 1.0
        for i in range(V.shape[1]):
            largest = 0.0
            for j in range(V.shape[2]):
                largest = max(largest, abs(V[n, i, j]))
            scale *= largest
        result[n] = scale


@numba.njit(cache=True)
def abs_max(a, result):  # pragma: no cover - numba
    """result[n] = max_j |a[n, j]|."""
    for n in range(a.shape[0]):
        largest = 0.0
        for j in range(a.shape[1]):
            largest = max(largest, abs(a[n, j]))
        result[n] = largest
