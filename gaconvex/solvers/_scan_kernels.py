"""numba scans of the outer loop over all P correlations (:mod:`.working_set`); imported on
first use, ``cache=True``.

At abs L = 3 with N = 2,000 a pass gives P = 8 M correlations, and every numpy expression over
them (an absolute value, a gather of the norms, a comparison) is a memory-bound pass of its own:
the gap-safe screen and the violator test took ~0.1 s each per outer iteration as chains of
numpy temporaries, ~10 ms each as one loop.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def screen(c, s, radius, norms, candidates, held, beta):  # pragma: no cover - compiled
    """keep_i = s |c_i| + radius ||A_j|| >= beta or j held, j = candidates[i] (gap-safe)."""
    keep = np.empty(c.size, dtype=np.bool_)
    for i in range(c.size):
        j = candidates[i]
        keep[i] = s * abs(c[i]) + radius * norms[j] >= beta or held[j]
    return keep


@numba.njit(cache=True, nogil=True)
def _peak(c, scope, i):  # pragma: no cover - compiled
    """|c_i| is at least that of its neighbours among adjacent column indices."""
    size = abs(c[i])
    if i > 0 and scope[i - 1] == scope[i] - 1 and size < abs(c[i - 1]):
        return False
    return not (i + 1 < c.size and scope[i + 1] == scope[i] + 1 and size < abs(c[i + 1]))


@numba.njit(cache=True, nogil=True)
def violators(c, scope, norms, held, base, noise, scale, peaks):  # pragma: no cover - compiled
    """Positions i with column j = scope[i] not held and |c_i| > base + (noise ||A_j||) scale;
    with ``peaks`` only those at a peak of |c| (:func:`_peak`) if any violator is one."""
    out = np.empty(c.size, dtype=np.int64)
    count = 0
    for i in range(c.size):
        j = scope[i]
        if not held[j] and abs(c[i]) > base + noise * norms[j] * scale:
            out[count] = i
            count += 1
    if peaks:
        at_peak = 0
        for k in range(count):
            if _peak(c, scope, out[k]):
                out[at_peak] = out[k]  # (at_peak <= k: in place)
                at_peak += 1
        if at_peak:
            count = at_peak
    return out[:count].copy()
