"""numba kernels of the Laplace expansion of a wedge product (imported lazily: it imports numba).

The expansion is driven by a schedule of terms (see ``exterior._laplace_schedule``): each term
adds ``sign * coef[inn] * V[n, vec, col]`` to ``coef[out]``. The batch is cut into blocks held
in transposed, cache-sized scratch arrays so that the loop over the batch vectorizes. Blocks
run in parallel threads for large batches; small batches stay serial (no thread start-up).
Also the row maxima that numpy reduces slowly over short last axes.
"""
from __future__ import annotations

import math

import numba
import numpy as np

BLOCK = 256
# Batches of at most this many blocks run serially.
SERIAL_BLOCKS = 8
# The fused cross-product pass is memory-bound: threads pay off only on large batches.
PARALLEL_ITEMS = 1 << 18
# Rows with max |entry| in [SAFE_LOW, SAFE_HIGH] are used unscaled: products of up to 15 such
# entries (and their dependence threshold) stay normal floats.
SAFE_LOW, SAFE_HIGH = 2.0 ** -60, 2.0 ** 60


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


@numba.njit(cache=True)
def _cross_block(V, lo, first, out, inn, vec, col, sign, src, hsign, rtol, result, flags,
                 coef, vt, scale, expo):  # pragma: no cover - numba
    """result[lo:lo+BLOCK] = cross(V[n]) in one pass: rows scaled by 2^-e (exact), Laplace
    expansion, Hodge permutation, dependence test, scaled back by 2^E.  flags[0] counts
    non-finite items, flags[1] overflowing items, flags[2] the largest overflowing exponent."""
    n_items, k, d = V.shape
    size = min(n_items, lo + BLOCK) - lo
    for n in range(size):
        total, prod = 0, 1.0
        for a in range(k):
            largest, poison = 0.0, 0.0
            for c in range(d):
                value = V[lo + n, a, c]
                vt[a, c, n] = value
                largest = max(largest, abs(value))
                poison += 0.0 * value  # NaN iff some entry is NaN or inf (max skips NaN)
            if SAFE_LOW <= largest <= SAFE_HIGH and poison == 0.0:  # safe rows: normal minors
                prod *= largest
                continue
            if poison != 0.0 or not np.isfinite(largest):
                flags[0] += 1
                largest = 1.0
            mantissa, e = math.frexp(largest)
            for c in range(d):  # exact; 2^-e itself may overflow for subnormal rows
                vt[a, c, n] = math.ldexp(vt[a, c, n], -e)
            total += e
            prod *= mantissa
        expo[n], scale[n] = total, prod
    for c in range(d):
        for n in range(size):
            coef[c, n] = vt[0, c, n]
    coef[d:, :] = 0.0
    for t in range(out.shape[0]):
        o, i, v, c, s = out[t], inn[t], vec[t], col[t], sign[t]
        for n in range(size):
            coef[o, n] += s * coef[i, n] * vt[v, c, n]
    m = src.shape[0]
    for n in range(size):
        largest = 0.0
        for j in range(m):
            largest = max(largest, abs(coef[first + src[j], n]))
        if largest <= rtol * scale[n]:  # dependent rows (or an all-zero row)
            for j in range(m):
                result[lo + n, j] = 0.0
            continue
        if expo[n] == 0:  # unscaled rows: the minors are normal floats (SAFE_LOW, SAFE_HIGH)
            for j in range(m):
                result[lo + n, j] = hsign[j] * coef[first + src[j], n]
            continue
        top = math.frexp(largest)[1] + expo[n]
        if top > 1024:
            flags[1] += 1
            flags[2] = max(flags[2], top)
        factor = math.ldexp(1.0, expo[n]) if abs(expo[n]) < 1000 else 0.0
        for j in range(m):
            value = hsign[j] * coef[first + src[j], n]
            result[lo + n, j] = value * factor if factor != 0.0 else math.ldexp(value, expo[n])


@numba.njit(cache=True)
def _cross_blocks(V, b0, b1, n_slots, first, out, inn, vec, col, sign, src, hsign, rtol, result,
                  flags):  # pragma: no cover - numba
    """Blocks b0 <= b < b1 of :func:`_cross_block`, with one set of scratch arrays."""
    k, d = V.shape[1], V.shape[2]
    coef = np.zeros((n_slots, BLOCK))
    vt = np.empty((k, d, BLOCK))
    scale = np.empty(BLOCK)
    expo = np.zeros(BLOCK, dtype=np.int64)
    for b in range(b0, b1):
        _cross_block(V, b * BLOCK, first, out, inn, vec, col, sign, src, hsign, rtol, result,
                     flags, coef, vt, scale, expo)


@numba.njit(cache=True)
def cross_laplace_serial(V, n_slots, first, out, inn, vec, col, sign, src, hsign, rtol, result,
                         flags):  # pragma: no cover - numba
    _cross_blocks(V, 0, (V.shape[0] + BLOCK - 1) // BLOCK, n_slots, first, out, inn, vec, col,
                  sign, src, hsign, rtol, result, flags)


@numba.njit(cache=True, parallel=True)
def cross_laplace_parallel(V, n_slots, first, out, inn, vec, col, sign, src, hsign, rtol, result,
                           flags, n_parts):  # pragma: no cover - numba
    n_blocks = (V.shape[0] + BLOCK - 1) // BLOCK
    n_parts = max(1, min(n_blocks, n_parts))
    part_flags = np.zeros((n_parts, 3), dtype=np.int64)
    for p in numba.prange(n_parts):
        _cross_blocks(V, p * n_blocks // n_parts, (p + 1) * n_blocks // n_parts, n_slots, first,
                      out, inn, vec, col, sign, src, hsign, rtol, result, part_flags[p])
    for p in range(n_parts):
        flags[0] += part_flags[p, 0]
        flags[1] += part_flags[p, 1]
        flags[2] = max(flags[2], part_flags[p, 2])


def cross_laplace(V, schedule, src, hsign, rtol: float, parallel: bool = True):
    """(cross products (N, d), flags) of V (N, d-1, d) float64 by :func:`_cross_block`, in
    threads above ``PARALLEL_ITEMS`` items when ``parallel``."""
    V = np.ascontiguousarray(V)
    result = np.empty((V.shape[0], V.shape[2]))
    flags = np.zeros(3, dtype=np.int64)
    args = (V, schedule.n_slots, schedule.first, schedule.out, schedule.inn, schedule.vec,
            schedule.col, schedule.sign, np.asarray(src, dtype=np.int64),
            np.asarray(hsign, dtype=np.float64), rtol, result, flags)
    if V.shape[0] <= PARALLEL_ITEMS or not parallel:
        cross_laplace_serial(*args)
    else:
        cross_laplace_parallel(*args, 4 * numba.get_num_threads())
    return result, flags
