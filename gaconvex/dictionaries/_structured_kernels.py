"""numba loops of the structured column store (:mod:`.structured`); imported on first use.

A batch of piecewise-linear columns is held as fixed-size arrays, one row per column:
``counts`` (K_p <= K), ``knots`` (P, K) sorted t_0 <= ... <= t_{K_p - 1}, ``values`` f(t_k),
``left``/``right`` the one-sided limits f(t_k-), f(t_k+) (equal to ``values`` for continuous
features), ``slopes`` (P, K + 1) on the pieces (-inf, t_0), (t_0, t_1), ..., (t_{K_p-1}, inf),
and ``f0`` = f(0) for a column without knots (an affine function).  On the open piece after
t_k, f(x) = right_k + slope_{k+1} (x - t_k); before t_0, f(x) = left_0 + slope_0 (x - t_0).

While a unit is propagated, the neurons of a layer live in rows of small scratch arrays.
Every loop runs over the columns of a chunk at top level and calls only scalar helpers: numba
cannot drop the reference counting of arrays passed to branchy helpers, which would cost more
than the work.  All loops are ``nogil`` (threads run them on column chunks) and use no BLAS.
The numpy error model drops the division checks: a zero of u is sought only where u has
nonzero slope, or, with end values of opposite signs that rounding left on a flat piece, at
+-inf, which the clamp into the piece absorbs.
"""
from __future__ import annotations

import math

import numba
import numpy as np

_SPLIT = 134217729.0  # 2^27 + 1, Dekker's splitter for float64
_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


# ---------------------------------------------------------------------------------------------
# scalar helpers: sigma(u) = a+ u + b+ (u >= 0), a- u + b- (u < 0)  (002 eq. 2.1)
# ---------------------------------------------------------------------------------------------
@numba.njit(**_JIT)
def _sign(v):
    return 1.0 if v > 0.0 else (-1.0 if v < 0.0 else 0.0)


@numba.njit(**_JIT)
def _sigma(ap, am, bp, bm, u):
    return ap * u + bp if u >= 0.0 else am * u + bm


@numba.njit(**_JIT)
def _limit(ap, am, bp, bm, u, side):
    """sigma's limit at u approached from values of sign ``side`` (0: u is constant there)."""
    return ap * u + bp if u > 0.0 or (u == 0.0 and side >= 0.0) else am * u + bm


@numba.njit(**_JIT)
def _slope(ap, am, side, m):
    """Slope of sigma(u) on a piece where u has slope m and sign ``side``."""
    return ap * m if side >= 0.0 else am * m


@numba.njit(**_JIT)
def _zero(bp, bm, before, after):
    """(value, left limit, right limit) of sigma(u) at a zero of u, with u of sign ``before``
    on its left and ``after`` on its right: sigma(0) = b+."""
    return bp, (bm if before < 0.0 else bp), (bm if after < 0.0 else bp)


# ---------------------------------------------------------------------------------------------
# anchors of an implicit grid (gaconvex.dictionaries.GridBlock)
# ---------------------------------------------------------------------------------------------
@numba.njit(**_JIT)
def grid_range(start, values, patterns, anchors, signs):
    """Anchor values and signs of the grid columns start, start + 1, ...: column j is the rank
    tuple j // S in C order over [n]^k with sign pattern j % S (an odometer: no division but
    for the first column)."""
    n, S, k = values.size, patterns.shape[0], anchors.shape[1]
    ranks = np.empty(k, dtype=np.int64)
    q, s = start // S, start % S
    for a in range(k - 1, -1, -1):
        ranks[a] = q % n
        q //= n
    for p in range(anchors.shape[0]):
        for a in range(k):
            anchors[p, a] = values[ranks[a]]
        for i in range(patterns.shape[1]):
            signs[p, i] = patterns[s, i]
        s += 1
        if s == S:
            s = 0
            a = k - 1
            ranks[a] += 1
            while ranks[a] == n and a > 0:
                ranks[a] = 0
                a -= 1
                ranks[a] += 1


@numba.njit(**_JIT)
def grid_columns(columns, values, patterns, anchors, signs):
    """Anchor values and signs of the grid columns ``columns`` (as :func:`grid_range`)."""
    n, S, k = values.size, patterns.shape[0], anchors.shape[1]
    for p in range(columns.size):
        q, s = columns[p] // S, columns[p] % S
        for a in range(k - 1, -1, -1):
            anchors[p, a] = values[q % n]
            q //= n
        for i in range(patterns.shape[1]):
            signs[p, i] = patterns[s, i]


# ---------------------------------------------------------------------------------------------
# the piecewise-linear description, propagated through the unit's layers
# ---------------------------------------------------------------------------------------------
@numba.njit(**_JIT)
def describe_units(params, layout, ap, am, bp, bm, knots, values, left, right, slopes, counts,
                   f0):
    """The piecewise-linear form of every column's unit h <- sigma(h W + b), h = [x] (002
    eq. 2.3); column c's weights and biases are ``params[c]`` (``UnitProgram.parameters``).

    Layer l reads its input neurons from bank l (rows l W .. l W + m_in of the scratch
    arrays, W the widest layer) and writes bank l + 1; per output neuron j:

    1. u = h w + b for a single input (same knots), or, for several inputs, the union of their
       knots with values, limits and slopes added (into the spare last row);
    2. sigma(u) keeps u's knots (values sigma(u(t)), limits from the side u comes from) and
       adds u's zero on each piece whose end values have opposite signs (from the nearer end,
       clamped into the piece); slopes are a+- times u's slope;
    3. knots at one position are merged, knots where h neither jumps nor bends dropped.

    Consecutive columns that share the weights and biases of their first layers (an anchor
    grid in C order) share those layers' banks: only the later layers are recomputed.
    """
    n_layers, K = layout.shape[0], knots.shape[1]
    W = 1
    for l in range(n_layers):
        W = max(W, layout[l, 1])
    rows, spare = (n_layers + 1) * W + 1, (n_layers + 1) * W
    T, V, Lf, R = np.empty((rows, K)), np.empty((rows, K)), np.empty((rows, K)), np.empty((rows, K))
    M, N, F = np.empty((rows, K + 1)), np.zeros(rows, dtype=np.int64), np.zeros(rows)
    ptr = np.empty(W, dtype=np.int64)
    N[0], M[0, 0], F[0] = 0, 1.0, 0.0  # bank 0: h(x) = x
    for c in range(params.shape[0]):
        start = 0
        while c > 0 and start < n_layers:  # the first layer whose parameters changed
            lo, hi = layout[start, 2], layout[start, 3] + layout[start, 1]
            same = True
            for e in range(lo, hi):
                same = same and params[c, e] == params[c - 1, e]
            if not same:
                break
            start += 1
        for l in range(start, n_layers):
            m_in, m_out, w_off, b_off = layout[l, 0], layout[l, 1], layout[l, 2], layout[l, 3]
            for j in range(m_out):
                # 1. u = h w + b from row src; several inputs are merged into the spare row ----
                src, w, b = l * W, params[c, w_off + j], params[c, b_off + j]
                if m_in > 1:
                    F[spare], M[spare, 0] = b, 0.0
                    for i in range(m_in):
                        ptr[i] = 0
                        w = params[c, w_off + i * m_out + j]
                        M[spare, 0] += w * M[src + i, 0]
                        F[spare] += w * F[src + i]
                    n = 0
                    while True:  # the next knot of any input, its values and slopes added
                        t = math.inf
                        for i in range(m_in):
                            h, p = src + i, ptr[i]
                            if params[c, w_off + i * m_out + j] != 0.0 and p < N[h] and T[h, p] < t:
                                t = T[h, p]
                        if t == math.inf:
                            break
                        T[spare, n], V[spare, n], Lf[spare, n], R[spare, n] = t, b, b, b
                        M[spare, n + 1] = 0.0
                        for i in range(m_in):
                            h, p, w = src + i, ptr[i], params[c, w_off + i * m_out + j]
                            if w == 0.0:
                                continue
                            if p < N[h] and T[h, p] == t:
                                Lf[spare, n] += w * Lf[h, p]
                                V[spare, n] += w * V[h, p]
                                R[spare, n] += w * R[h, p]
                                ptr[i] = p + 1
                            else:  # t inside h's piece p: h's value from that affine piece
                                y = w * (F[h] + M[h, 0] * t if N[h] == 0 else (
                                    Lf[h, 0] + M[h, 0] * (t - T[h, 0]) if p == 0 else
                                    R[h, p - 1] + M[h, p] * (t - T[h, p - 1])))
                                Lf[spare, n] += y
                                V[spare, n] += y
                                R[spare, n] += y
                            M[spare, n + 1] += w * M[h, ptr[i]]
                        n += 1
                    N[spare] = n
                    src, w, b = spare, 1.0, 0.0
                n = N[src] if w != 0.0 else 0
                o, m = (l + 1) * W + j, w * M[src, 0]
                F[o] = 0.0
                # 2. sigma(u) into row o ---------------------------------------------------------
                if n == 0:  # u affine: one zero at -u(0)/m, or a constant
                    u0 = w * F[src] + b
                    M[o, 0] = _slope(ap, am, -_sign(m), m)
                    if m == 0.0:
                        F[o] = _sigma(ap, am, bp, bm, u0)
                    else:
                        M[o, 1] = _slope(ap, am, _sign(m), m)
                        T[o, 0] = -u0 / m
                        V[o, 0], Lf[o, 0], R[o, 0] = _zero(bp, bm, -_sign(m), _sign(m))
                    N[o] = 0 if m == 0.0 else 1
                    continue
                k, e = 0, w * Lf[src, 0] + b
                if e * m > 0.0:  # a zero left of t_0
                    M[o, 0] = _slope(ap, am, -_sign(m), m)
                    T[o, 0] = min(T[src, 0] - e / m, T[src, 0])
                    V[o, 0], Lf[o, 0], R[o, 0] = _zero(bp, bm, -_sign(m), _sign(m))
                    k = 1
                M[o, k] = _slope(ap, am, _sign(e) if e != 0.0 else -_sign(m), m)
                for q in range(n):
                    t, a = T[src, q], w * R[src, q] + b
                    m_right = w * M[src, q + 1]
                    T[o, k] = t
                    V[o, k] = Lf[o, k] = R[o, k] = _sigma(ap, am, bp, bm, w * V[src, q] + b)
                    if bp != bm:  # a discontinuous sigma: one-sided limits
                        side_l = _sign(e) if e != 0.0 else -_sign(m)
                        side_r = _sign(a) if a != 0.0 else _sign(m_right)
                        Lf[o, k] = _limit(ap, am, bp, bm, e, side_l)
                        R[o, k] = _limit(ap, am, bp, bm, a, side_r)
                    k += 1
                    m = m_right
                    e = w * Lf[src, q + 1] + b if q + 1 < n else m  # last piece: u(+inf) ~ m
                    if a * e < 0.0:
                        z = t - a / m
                        if q + 1 < n:
                            z = min(z if abs(a) <= abs(e) else T[src, q + 1] - e / m, T[src, q + 1])
                        M[o, k] = _slope(ap, am, _sign(a), m)
                        T[o, k] = max(z, t)
                        V[o, k], Lf[o, k], R[o, k] = _zero(bp, bm, _sign(a), _sign(e))
                        k += 1
                        M[o, k] = _slope(ap, am, _sign(e), m)
                    elif q + 1 < n:
                        M[o, k] = _slope(ap, am, _sign(a + e), m)
                    else:
                        M[o, k] = _slope(ap, am, _sign(a) if a != 0.0 else _sign(m), m)
                # 3. merge knots at one position, drop those that neither jump nor bend ---------
                q = 0
                for i in range(k):
                    if q > 0 and T[o, i] == T[o, q - 1]:
                        R[o, q - 1], M[o, q] = R[o, i], M[o, i + 1]
                        continue
                    if Lf[o, i] == V[o, i] and V[o, i] == R[o, i] and M[o, i + 1] == M[o, q]:
                        continue
                    T[o, q], V[o, q], Lf[o, q], R[o, q] = T[o, i], V[o, i], Lf[o, i], R[o, i]
                    q += 1
                    M[o, q] = M[o, i + 1]
                if q == 0:
                    F[o] = V[o, k - 1] - M[o, 0] * T[o, k - 1]
                N[o] = q
        out = n_layers * W
        n = N[out]
        counts[c], f0[c] = n, F[out]
        for k in range(n):
            knots[c, k], values[c, k], left[c, k], right[c, k] = T[out, k], V[out, k], Lf[out, k], R[out, k]
        for k in range(n + 1):
            slopes[c, k] = M[out, k]


# ---------------------------------------------------------------------------------------------
# the knots on the sorted data
# ---------------------------------------------------------------------------------------------
@numba.njit(**_JIT)
def locate_knots(counts, knots, xs, run_end, starts, inv_width, lo, hi):
    """Where each knot falls in the sorted data: the data of the piece before knot k are
    [hi[k-1], lo[k]) and the data equal to it [lo[k], hi[k]).

    ``xs`` holds the N data ascending (repeats allowed) and a +inf sentinel; ``run_end[i]`` is
    one past the last index holding xs[i].  A value v falls in bucket
    int(min(max((v - xs_0) * inv_width, 0), B - 1)) of B equal-width buckets, and
    ``starts[b]`` is the first index whose datum falls in bucket b or later (starts[B] = N).
    The bucket of v is monotone in v, so the first datum >= t lies in [starts[b], starts[b + 1]]
    for t in bucket b, exactly; two branch-free steps finish a small bucket, bisection a large
    one: O(1) a knot on spread-out data, O(log N) at worst."""
    n, x0, last = xs.size - 1, xs[0], starts.size - 2.0
    for p in range(counts.size):
        prev = 0
        for k in range(counts[p]):
            t = knots[p, k]
            bucket = int(min(max((t - x0) * inv_width, 0.0), last))
            a, b = starts[bucket], starts[bucket + 1]
            a += xs[a] < t
            a += xs[a] < t
            if xs[a] < t:
                while a < b:
                    mid = (a + b) >> 1
                    if xs[mid] < t:
                        a = mid + 1
                    else:
                        b = mid
            a = max(a, prev)
            prev = a + (xs[a] == t) * (run_end[a] - a)
            lo[p, k], hi[p, k] = a, prev


# ---------------------------------------------------------------------------------------------
# products
# ---------------------------------------------------------------------------------------------
@numba.njit(**_JIT)
def rmatvec_units(counts, knots, values, left, right, slopes, f0, lo, hi, centre, R, out):
    """out[p] = sum_i f_p(x_i) r_i from the prefix sums R[:, 0] = cumsum r and
    R[:, 1] = cumsum r (x - centre) (one row per index: one cache line per lookup): a piece
    [a, b) anchored at (t, v) with slope m adds v S0 + m (S1 - (t - centre) S0)."""
    n = R.shape[0] - 1
    for p in range(counts.size):
        K = counts[p]
        m = slopes[p, 0]
        if K == 0:
            out[p] = (f0[p] + m * centre) * R[n, 0] + m * R[n, 1]
            continue
        acc, prev = 0.0, 0
        for k in range(K):
            a, b, t = lo[p, k], hi[p, k], knots[p, k] - centre
            s0 = R[a, 0] - R[prev, 0]
            acc += left[p, k] * s0 + slopes[p, k] * ((R[a, 1] - R[prev, 1]) - t * s0)
            acc += values[p, k] * (R[b, 0] - R[a, 0])
            prev = b
        s0, t = R[n, 0] - R[prev, 0], knots[p, K - 1] - centre
        out[p] = acc + right[p, K - 1] * s0 + slopes[p, K] * ((R[n, 1] - R[prev, 1]) - t * s0)


@numba.njit(**_JIT)
def matvec_units(counts, knots, values, left, right, slopes, f0, lo, hi, z, centre,
                 base, bend, step, point):
    """Accumulate sum_p z_p f_p on the sorted data as events: f_p is its first piece plus,
    past each knot t_k, the slope change (m_{k+1} - m_k)(x - t_k) and the jump right_k - left_k,
    and at x = t_k the offset values_k - left_k.  ``base`` += (value at the centre, slope);
    ``bend``/``step`` [i] += slope/value changes starting at sorted index i; ``point`` [i] +=
    offsets of data equal to a knot."""
    for p in range(counts.size):
        w, K, m = z[p], counts[p], slopes[p, 0]
        if K == 0:
            base[0] += w * (f0[p] + m * centre)
            base[1] += w * m
            continue
        base[0] += w * (left[p, 0] - m * (knots[p, 0] - centre))
        base[1] += w * m
        for k in range(K):
            dm = slopes[p, k + 1] - slopes[p, k]
            bend[hi[p, k]] += w * dm
            step[hi[p, k]] += w * ((right[p, k] - left[p, k]) - dm * (knots[p, k] - centre))
            offset = w * (values[p, k] - left[p, k])
            for i in range(lo[p, k], hi[p, k]):
                point[i] += offset


# ---------------------------------------------------------------------------------------------
# column norms in double-double arithmetic
# ---------------------------------------------------------------------------------------------
@numba.njit(**_JIT)
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@numba.njit(**_JIT)
def _two_prod(a, b):
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    t = _SPLIT * b
    bh = t - (t - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


@numba.njit(**_JIT)
def _dd_add(ah, al, bh, bl):
    s, e = _two_sum(ah, bh)
    e += al + bl
    h = s + e
    return h, e - (h - s)


@numba.njit(**_JIT)
def _dd_mul(ah, al, bh, bl):
    p, e = _two_prod(ah, bh)
    e += ah * bl + al * bh
    h = p + e
    return h, e - (h - p)


@numba.njit(**_JIT)
def dd_moments(xs, centre, inv_scale, P1h, P1l, P2h, P2l):
    """Prefix sums of y = (x - centre)/scale and y^2 in double-double (entry i: the first i
    points); y is formed exactly by an error-free subtraction and a power-of-two scale."""
    s1h = s1l = s2h = s2l = 0.0
    P1h[0] = P1l[0] = P2h[0] = P2l[0] = 0.0
    for i in range(xs.size):
        yh, yl = _two_sum(xs[i], -centre)
        yh, yl = yh * inv_scale, yl * inv_scale
        s1h, s1l = _dd_add(s1h, s1l, yh, yl)
        qh, ql = _dd_mul(yh, yl, yh, yl)
        s2h, s2l = _dd_add(s2h, s2l, qh, ql)
        P1h[i + 1], P1l[i + 1], P2h[i + 1], P2l[i + 1] = s1h, s1l, s2h, s2l


@numba.njit(**_JIT)
def _piece_squares(count, s1h, s1l, s2h, s2l, t, centre, inv_scale, v, m):
    """sum (v + m (y_i - tau))^2 over ``count`` points with sum y = s1, sum y^2 = s2 and
    tau = (t - centre)/scale, in double-double:
    count v^2 + 2 v m (s1 - count tau) + m^2 (s2 - 2 tau s1 + count tau^2)."""
    th, tl = _two_sum(t, -centre)
    th, tl = th * inv_scale, tl * inv_scale
    ch, cl = _dd_mul(th, tl, count, 0.0)
    d1h, d1l = _dd_add(s1h, s1l, -ch, -cl)
    a, b = _dd_mul(th, tl, s1h, s1l)
    d2h, d2l = _dd_add(s2h, s2l, -2.0 * a, -2.0 * b)
    a, b = _dd_mul(ch, cl, th, tl)
    d2h, d2l = _dd_add(d2h, d2l, a, b)
    a, b = _two_prod(v, v)
    rh, rl = _dd_mul(a, b, count, 0.0)
    a, b = _two_prod(2.0 * v, m)
    a, b = _dd_mul(a, b, d1h, d1l)
    rh, rl = _dd_add(rh, rl, a, b)
    a, b = _two_prod(m, m)
    a, b = _dd_mul(a, b, d2h, d2l)
    return _dd_add(rh, rl, a, b)


@numba.njit(**_JIT)
def norms_units(counts, knots, values, left, right, slopes, f0, lo, hi, centre, scale,
                P1h, P1l, P2h, P2l, out):
    """out[p] = ||f_p||_2 on the data: per piece sum (v + m (x - t))^2 in double-double, after
    dividing f by a power of two G above |f| on the data (no square over- or underflows)."""
    n, inv_scale = P1h.size - 1, 1.0 / scale
    for p in range(counts.size):
        K = counts[p]
        big = abs(f0[p]) + abs(slopes[p, 0]) * (abs(centre) + scale) if K == 0 else 0.0
        for k in range(K):
            big = max(big, abs(values[p, k]), abs(left[p, k]), abs(right[p, k]))
        for k in range(K + 1):
            big = max(big, 2.0 * abs(slopes[p, k]) * scale)
        if big == 0.0:
            out[p] = 0.0
            continue
        G = math.ldexp(1.0, max(math.frexp(big)[1], -1021))  # 1/G stays finite
        g = 1.0 / G
        th = tl = 0.0
        prev = 0
        for k in range(K + 1):  # piece k: data [prev, a), then the data at knot k
            a = lo[p, k] if k < K else n
            anchor = min(k, K - 1)
            t = knots[p, anchor] if K else 0.0
            v = (left[p, k] if k < K else right[p, K - 1]) if K else f0[p]
            s1h, s1l = _dd_add(P1h[a], P1l[a], -P1h[prev], -P1l[prev])
            s2h, s2l = _dd_add(P2h[a], P2l[a], -P2h[prev], -P2l[prev])
            x, y = _piece_squares(float(a - prev), s1h, s1l, s2h, s2l, t, centre, inv_scale,
                                  v * g, slopes[p, k] * scale * g)
            th, tl = _dd_add(th, tl, x, y)
            if k < K:
                v = values[p, k] * g
                x, y = _two_prod(v * float(hi[p, k] - a), v)
                th, tl = _dd_add(th, tl, x, y)
                prev = hi[p, k]
        out[p] = G * math.sqrt(max(th + tl, 0.0))
