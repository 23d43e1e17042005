"""Library completeness: the largest dual correlation over all units (002 Lemma D.8, D.15; C8).

The dual of the rescaled training problem (002 Lemma D.8) constrains
max_{units} |lambda^T X^(L)(X)| <= beta~ over units with +-1 inner weights and *arbitrary real*
biases.  Lemma D.15 says that for L in {2, 3} the finite library attains this maximum, so a
Lasso solution is a training optimum exactly when this search finds nothing above beta~.

The search is exact in the last layer and brute force before it.  For fixed inner layers the
unit's pre-activation h(X) + b is piecewise linear in b with breakpoints b = -w h_n, so
b -> lambda^T sigma(w h(X) + b) is piecewise linear (piecewise constant for sign/threshold) and
its extreme values are at those breakpoints or in the limits b -> +-inf, which finite biases
beyond the data range attain when 1^T lambda = 0 (Remark D.9; for a^+ or a^- != 0 the supremum
is infinite otherwise).  Before the last layer:

* L = 2: the inner vector is h = x itself: the search is exact.
* deep narrow L = 3: b^(1) on a grid over the range of -w x_n, plus the data biases -w x_n,
  pairwise midpoint biases (non-monotone sigma, 002 Def. 3.8) and one bias beyond each end
  (which represents the whole half-line outside the data, by homogeneity).
* symmetrized: the same candidate set (coarser grid) for each of the two first-layer neurons;
  h = phi_1 + s phi_2 over unordered pairs and s = +-1 (the overall sign is the last layer's w).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from gaconvex._validation import GaconvexError, as_float_array, check_points_1d

from .modules import activation_function

__all__ = ["UnitCorrelation", "completeness_searchable", "max_unit_correlation", "search_size",
           "unit_values"]

_CHUNK_ENTRIES = 4_000_000  # float64 entries per evaluation block (~32 MB)
DEFAULT_GRID = {1: 2000, 2: 100}  # first-layer width -> bias grid per neuron


@dataclass
class UnitCorrelation:
    """Result of :func:`max_unit_correlation`.

    value : max |lambda^T X^(L)(X)| found (inf when 1^T lambda != 0 makes it unbounded).
    layers : the maximizing unit as [(W_1, b_1), ..., (W_{L-1}, b_{L-1})] (numpy, W entries
        +-1), the format of ``FeatureFamily.unit``; empty when the value is unbounded.
    n_candidates : how many (inner layers, w, b) combinations were evaluated.
    """

    value: float
    layers: list
    n_candidates: int

    def __repr__(self) -> str:
        biases = [np.round(b.ravel(), 6).tolist() for _, b in self.layers]
        return (f"UnitCorrelation(value={self.value:.8g}, biases={biases}, "
                f"candidates={self.n_candidates})")


def unit_values(layers, activation, x) -> np.ndarray:
    """X^(L)(x) of one unit given as [(W_l, b_l)] (002 eq. 2.3), numpy."""
    h = np.asarray(x, dtype=float).reshape(-1, 1)
    for W, b in layers:
        h = activation_function(activation, h @ W + b)
    return h[:, 0]


def _first_layer_biases(x, w, n_grid, midpoints):
    """Candidate b for sigma(w x + b): a grid over the breakpoint range, data and midpoint
    biases, and one point beyond each end of the range."""
    data = -w * x
    lo, hi = data.min(), data.max()
    pad = hi - lo
    parts = [np.linspace(lo, hi, n_grid), data, [lo - pad, hi + pad]]
    if midpoints:
        parts.append([(data[i] + data[j]) / 2 for i, j in combinations(range(x.size), 2)])
    return np.unique(np.concatenate([np.atleast_1d(np.asarray(p, float)) for p in parts]))


def _neuron_candidates(activation, x, n_grid):
    """First-layer neurons sigma(w x + b) for w = +-1 and the candidate biases: values
    (C, N) and the (w, b) of each row."""
    params = [(w, b) for w in (1.0, -1.0)
              for b in _first_layer_biases(x, w, n_grid, not activation.is_monotone)]
    wb = np.array(params)
    return activation_function(activation, wb[:, :1] * x + wb[:, 1:]), wb


def _inner_candidates(arch, x, n_grid):
    """Inner vectors h (K, N) feeding the last layer, and a map k -> (prefix layers, d) such
    that h_k(x) = (prefix(x)) @ d, with d the last layer's weight direction.  Dispatch is on
    the unit's shape: hidden widths (1,) (L = 2), (1, 1) (deep narrow L = 3) and tied (2, 1)
    (symmetrized)."""
    act, widths = arch.activation, arch.hidden_widths
    if widths == (1,):
        return x[None, :], lambda k: ([], np.ones((1, 1)))
    if widths == (1, 1):
        phi, wb = _neuron_candidates(act, x, n_grid)
        return phi, lambda k: ([(np.array([[wb[k, 0]]]), np.array([[wb[k, 1]]]))],
                               np.ones((1, 1)))
    if widths == (2, 1) and all(arch.tied_layers):
        phi, wb = _neuron_candidates(act, x, n_grid)
        first, second = np.triu_indices(len(phi))
        pairs = np.concatenate([np.stack([first, second, np.full(first.size, s)], 1)
                                for s in (1, -1)])
        H = phi[pairs[:, 0]] + pairs[:, 2:3] * phi[pairs[:, 1]]

        def describe(k):
            a, c, s = pairs[k]
            layer = (np.array([[wb[a, 0], wb[c, 0]]]), np.array([[wb[a, 1], wb[c, 1]]]))
            return [layer], np.array([[1.0], [float(s)]])

        return H, describe
    raise GaconvexError(f"the completeness search covers L = 2, deep narrow L = 3 and the "
                        f"symmetrized network (002 Lemma D.15); got {arch}.")


def completeness_searchable(arch) -> bool:
    """Whether :func:`max_unit_correlation` covers ``arch`` (002 Lemma D.15: L in {2, 3}; 1-D
    networks with biases, whose units it searches over continuous biases)."""
    widths = arch.hidden_widths
    return arch.dim == 1 and arch.bias and (widths in ((1,), (1, 1)) or (widths == (2, 1) and all(arch.tied_layers)))


def search_size(architecture, n: int, grid: int | None = None) -> int:
    """How many unit values (inner candidates x points) :func:`max_unit_correlation` evaluates
    on n distinct points (an upper bound: repeated biases are merged): the search costs about
    this many times log n, and its inner candidates take 8 bytes each."""
    widths = architecture.hidden_widths
    if widths == (1,):
        return 2 * n
    n_grid = DEFAULT_GRID[widths[0]] if grid is None else int(grid)
    biases = n_grid + n + 2 + (0 if architecture.activation.is_monotone else n * (n - 1) // 2)
    rows = 2 * biases if widths == (1, 1) else 2 * biases * (2 * biases + 1)  # pairs, s = +-1
    return rows * n


def _best_last_layer(H, lam, activation):
    """max over rows h of H, w = +-1 and real b of |lambda^T sigma(w h + b)|, exactly:
    b at the breakpoints -w h_n or beyond all of them.  Returns (value, k, w, b).

    With the row g = w h sorted, the units at b = -g_j with sigma on its u >= 0 branch are
    the n with g_n >= g_j (a suffix of the sorted row, ties included), so with suffix sums
    S0 = sum lambda_n and S1 = sum lambda_n g_n over it and totals T0, T1,
    lambda^T sigma(g + b) = a+ (S1 + b S0) + b+ S0 + a- (T1 - S1 + b (T0 - S0)) + b- (T0 - S0):
    O(N log N) a row, not O(N^2).  Rows are centred (g - c, b + c) against cancellation."""
    ap, am, bp, bm = (float(v) for v in (activation.a_plus, activation.a_minus,
                                         activation.b_plus, activation.b_minus))
    K, n = H.shape
    best = (-np.inf, 0, 1.0, 0.0)
    scale = float(np.abs(H).max(initial=0.0)) or 1.0
    rows = max(1, _CHUNK_ENTRIES // (8 * (n + 2)))
    for w in (1.0, -1.0):
        for start in range(0, K, rows):
            G = w * H[start:start + rows]
            order = np.argsort(G, axis=1, kind="stable")
            g = np.take_along_axis(G, order, axis=1)
            lo, hi = g[:, :1], g[:, -1:]
            centre = 0.5 * lo + 0.5 * hi
            pad = np.where(hi > lo, hi - lo, scale)  # beyond all breakpoints, at the data's scale
            B = np.concatenate([-g, -lo + pad, -hi - pad], axis=1)  # (rows, N + 2)
            gc, lam_sorted = g - centre, lam[order]
            S0 = np.zeros((g.shape[0], n + 1))
            S1 = np.zeros((g.shape[0], n + 1))
            S0[:, :n] = np.cumsum(lam_sorted[:, ::-1], axis=1)[:, ::-1]
            S1[:, :n] = np.cumsum((lam_sorted * gc)[:, ::-1], axis=1)[:, ::-1]
            columns = np.arange(n)
            tie_start = np.maximum.accumulate(  # first position of each value's run of ties
                np.where(np.diff(g, axis=1, prepend=-np.inf) != 0, columns, 0), axis=1)
            first = np.concatenate([tie_start, np.zeros((g.shape[0], 1), np.intp),
                                    np.full((g.shape[0], 1), n)], axis=1)  # u >= 0 from here
            s0, s1 = np.take_along_axis(S0, first, 1), np.take_along_axis(S1, first, 1)
            t0, t1, shifted = S0[:, :1], S1[:, :1], B + centre
            corr = np.abs(ap * (s1 + shifted * s0) + bp * s0
                          + am * (t1 - s1 + shifted * (t0 - s0)) + bm * (t0 - s0))
            k, j = np.unravel_index(np.argmax(corr), corr.shape)
            if corr[k, j] > best[0]:
                best = (float(corr[k, j]), start + int(k), w, float(B[k, j]))
    return best


def max_unit_correlation(architecture, x, lam, *, grid: int | None = None,
                         sum_tol: float = 1e-8, sum_floor: float = 0.0) -> UnitCorrelation:
    """max |lambda^T X^(L)(X)| over units of ``architecture`` with +-1 weights and continuous
    biases (002 Lemma D.8 / D.15; claim C8).  A dual vector lambda is feasible iff this is
    <= beta~ (and 1^T lambda = 0 when a^+ or a^- != 0, Remark D.9).

    Parameters
    ----------
    architecture : gaconvex.symbolic.Architecture (L = 2; deep narrow L = 3; symmetrized).
    x : (N,) distinct training inputs; lam : (N,) dual vector, e.g. lambda* = y_hat - y.
    grid : first-layer bias grid size (default 2000 deep narrow, 100 per neuron symmetrized).
    sum_tol, sum_floor : |1^T lambda| <= sum_tol * ||lambda||_1 + sum_floor counts as
        1^T lambda = 0 (``sum_floor``: an absolute rounding level, e.g. tol * beta~ / span(x),
        below which a bias of the data's span changes no correlation by tol * beta~); otherwise a
        continuous activation has unbounded correlation and ``value`` is inf.
    """
    x = check_points_1d(x, "x")
    lam = as_float_array(lam, "lam", ndim=1)
    if lam.size != x.size:
        raise GaconvexError(f"lam has {lam.size} entries for {x.size} points.")
    act = architecture.activation
    if not act.is_sign_determined and abs(lam.sum()) > sum_tol * np.abs(lam).sum() + sum_floor:
        return UnitCorrelation(np.inf, [], 0)
    n_grid = DEFAULT_GRID[architecture.hidden_widths[0]] if grid is None else int(grid)
    H, describe = _inner_candidates(architecture, x, n_grid)
    value, k, w, b = _best_last_layer(H, lam, act)
    prefix, direction = describe(k)
    return UnitCorrelation(value, prefix + [(w * direction, np.array([[b]]))], 2 * len(H))
