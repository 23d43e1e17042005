"""numba loops of the knot basis (:mod:`.knot_basis`); imported on first use, ``cache=True``.

Matrices are Fortran-ordered (rows x columns) and processed one column at a time, except the
rebase, which runs the bidiagonal substitutions of ``_BLOCK`` columns side by side (each
substitution is a chain of dependent divisions; interleaving columns hides their latency).
"""
from __future__ import annotations

import numba
import numpy as np

_BLOCK = 8


@numba.njit(cache=True, nogil=True, inline="always")
def _lower_into(L, v, x):  # pragma: no cover - compiled; x = L^-1 v
    r = x.size
    x[0] = v[0] / L[0, 0]
    for j in range(1, r):
        x[j] = (v[j] - L[1, j - 1] * x[j - 1]) / L[0, j]


@numba.njit(cache=True, nogil=True, inline="always")
def _upper_into(L, v, x):  # pragma: no cover - compiled; x = L^-T v
    r = x.size
    x[r - 1] = v[r - 1] / L[0, r - 1]
    for j in range(r - 2, -1, -1):
        x[j] = (v[j] - L[1, j] * x[j + 1]) / L[0, j]


@numba.njit(cache=True, nogil=True)
def lower(L, V, out):  # pragma: no cover - compiled
    for c in range(V.shape[1]):
        _lower_into(L, V[:, c], out[:, c])


@numba.njit(cache=True, nogil=True)
def upper(L, V, out):  # pragma: no cover - compiled
    for c in range(V.shape[1]):
        _upper_into(L, V[:, c], out[:, c])


@numba.njit(cache=True, nogil=True)
def compress(seg, seg1, t, root, L, V, out):  # pragma: no cover - compiled
    """out = L^-1 H^T W^1/2 V."""
    acc = np.empty(out.shape[0])
    for c in range(V.shape[1]):
        acc[:] = 0.0
        for i in range(V.shape[0]):
            value = root[i] * V[i, c]
            acc[seg[i]] += (1.0 - t[i]) * value
            acc[seg1[i]] += t[i] * value
        _lower_into(L, acc, out[:, c])


@numba.njit(cache=True, nogil=True)
def expand(seg, seg1, t, root, L, V, out):  # pragma: no cover - compiled
    """out = W^1/2 H L^-T V."""
    y = np.empty(V.shape[0])
    for c in range(V.shape[1]):
        _upper_into(L, V[:, c], y)
        for i in range(out.shape[0]):
            out[i, c] = root[i] * ((1.0 - t[i]) * y[seg[i]] + t[i] * y[seg1[i]])


@numba.njit(cache=True, nogil=True)
def misfit(seg, seg1, t, root, node_rows, F, out):  # pragma: no cover - compiled
    """out_c = ||W^1/2 (F_c - H F_c(nodes))||."""
    for c in range(F.shape[1]):
        total = 0.0
        for i in range(F.shape[0]):
            fit = (1.0 - t[i]) * F[node_rows[seg[i]], c] + t[i] * F[node_rows[seg1[i]], c]
            total += root[i] ** 2 * (F[i, c] - fit) ** 2
        out[c] = np.sqrt(total)


@numba.njit(cache=True, nogil=True)
def bends(u, rows, f, level, out):  # pragma: no cover - compiled
    """out_i |= |f_i - chord of f_{i-1}, f_{i+1}| > level (scale of the column), f_i the value
    at the point u_i, in row rows[i] of f."""
    n, k = u.size, f.shape[1]
    reach = max(abs(u[0]), abs(u[n - 1])) / (u[n - 1] - u[0])
    for c in range(k):
        lo, hi, big = f[rows[0], c], f[rows[0], c], 0.0
        for i in range(n):
            value = f[rows[i], c]
            lo, hi, big = min(lo, value), max(hi, value), max(big, abs(value))
        threshold = level * (big + reach * (hi - lo))
        before, here = f[rows[0], c], f[rows[1], c]
        for i in range(1, n - 1):
            after = f[rows[i + 1], c]
            left, right = u[i] - u[i - 1], u[i + 1] - u[i]
            if abs(here - (right * before + left * after) / (left + right)) > threshold:
                out[i] = True
            before, here = here, after


@numba.njit(cache=True, nogil=True)
def rebase(L_old, L_new, seg, t, V, out):  # pragma: no cover - compiled
    """out = L_new^T E L_old^-T V (E: the old hats at the new nodes), _BLOCK columns at a time."""
    r_old, k = V.shape
    r_new = out.shape[0]
    g = np.empty((r_old, _BLOCK))
    h = np.empty((r_new, _BLOCK))
    for c0 in range(0, k, _BLOCK):
        m = min(_BLOCK, k - c0)
        last = 1.0 / L_old[0, r_old - 1]
        for b in range(m):
            g[r_old - 1, b] = V[r_old - 1, c0 + b] * last
        for j in range(r_old - 2, -1, -1):
            off, inv = L_old[1, j], 1.0 / L_old[0, j]
            for b in range(m):
                g[j, b] = (V[j, c0 + b] - off * g[j + 1, b]) * inv
        for i in range(r_new):
            s, s1, ti = seg[i], min(seg[i] + 1, r_old - 1), t[i]
            for b in range(m):
                h[i, b] = (1.0 - ti) * g[s, b] + ti * g[s1, b]
        for i in range(r_new - 1):
            d, e = L_new[0, i], L_new[1, i]
            for b in range(m):
                out[i, c0 + b] = d * h[i, b] + e * h[i + 1, b]
        d = L_new[0, r_new - 1]
        for b in range(m):
            out[r_new - 1, c0 + b] = d * h[r_new - 1, b]


KERNELS = dict(lower=lower, upper=upper, compress=compress, expand=expand, misfit=misfit,
               bends=bends, rebase=rebase)
