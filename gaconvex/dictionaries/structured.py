"""Matrix-free products of 1-D dictionaries from each column's piecewise-linear form.

On 1-D data every column f_p(x) of a Library of Mirrors is a unit h <- sigma(h W + b),
h = [x] (002 eq. 2.3), with at most K knots: its anchors are data points (data feature
biases, 002 Def. 3.9; midpoint biases, Def. 3.8) and its other knots are their reflections
(002 Thm 3.2).  :class:`StructuredColumns` never evaluates a column on the N points.  Per
column it builds the piecewise-linear description (:func:`piecewise_batch`, generic over
families: it reads only ``family.layers`` and ``family.activation`` through
:func:`gaconvex.symbolic.piecewise_program.unit_program`) and then, with x sorted once
(x~ = x - c centred by a constant c, against cancellation),

* ``A^T r``: with prefix sums R0 = cumsum r and R1 = cumsum r x~ over the sorted data, a
  piece [lo, hi) of f with f(x) = v + m (x - t) contributes
  v S0 + m (S1 - (t - c) S0), S0 = R0[hi] - R0[lo], S1 = R1[hi] - R1[lo],
  and data equal to a knot add f(t_k) r_i: O(K log N) per column;
* ``A z``: for the nonzero z_p only, the first piece of each f_p plus its slope changes
  (m_{k+1} - m_k)(x - t_k)_+, jumps and knot values, bucketed at the sorted data and summed by
  cumulative sums: O(nnz K log N + N);
* ``column_norms``: per piece sum (v + m (x - t))^2 from prefix sums of x~ and x~^2 in
  double-double arithmetic (no cancellation), scaled by powers of two (no overflow).

``columns(idx)`` and ``to_dense`` evaluate the families' compiled kernels.  Columns are
processed in chunks; their descriptions are kept between passes while they fit in 256 MiB
(a pass then only sums), and recomputed on every pass beyond that, so memory stays bounded
(a few MiB per thread) for any library, including implicit anchor grids
(:class:`~gaconvex.dictionaries.GridBlock`) of 10^8 columns.

Exactness.  Slopes are products of the +-1 (or leaky) weights and sigma's slopes a+-, never
quotients of value differences; values at knots are sigma of u's values; a new zero of u on a
piece is computed from the nearer end of the piece and clamped into it.  Discontinuous sigma
(sign, threshold; depth 2) is exact, sigma(0) = 1 included: each knot carries its value and
both one-sided limits (the side of a zero follows from the sign of the inner weight), and data
equal to a knot, found by exact comparisons against the sorted data, take the knot's value.
Products agree with the dense matrix to rounding of the prefix sums, about
eps N (max|x~| max|m| + max|f|) ||r||_1.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial

import numpy as np

from gaconvex._validation import GaconvexError

from .storage import KernelColumns, _vector

__all__ = ["StructuredColumns", "PiecewiseBatch", "piecewise_batch"]

_BATCH_ENTRIES = 1 << 15  # knots of one chunk of columns (each array of a batch ~256 KiB)
_MIN_CHUNK = 256  # columns of a chunk at least (deep units have up to 2^(L-1) - 1 knots)
_MIN_PARALLEL_COLUMNS = 1 << 12  # below this many columns a pass runs in the calling thread
_SERIAL_KNOTS = 1 << 19  # a cached pass over fewer knots runs in the calling thread (~1 ms)
_CACHE_BYTES = 1 << 28  # descriptions kept between passes (256 MiB a store at most)


def _kernels():
    from . import _structured_kernels

    return _structured_kernels


@dataclass(frozen=True)
class PiecewiseBatch:
    """Piecewise-linear columns as fixed-size arrays, one row per column.

    ``counts[p]`` knots t_0 <= ... (``knots[p, :counts[p]]``; the rest is padding), ``values``
    f(t_k), ``left``/``right`` the limits f(t_k -) and f(t_k +), ``slopes`` (P, K + 1) on the
    pieces (-inf, t_0), (t_0, t_1), ..., and ``f0`` = f(0) for a column without knots.
    """

    counts: np.ndarray
    knots: np.ndarray
    values: np.ndarray
    left: np.ndarray
    right: np.ndarray
    slopes: np.ndarray
    f0: np.ndarray

    def __len__(self) -> int:
        return self.counts.size

    @property
    def arrays(self) -> tuple:
        return (self.counts, self.knots, self.values, self.left, self.right, self.slopes, self.f0)


def piecewise_batch(family, anchors, signs=None) -> PiecewiseBatch:
    """The piecewise-linear form of the columns f(x; anchors[p], signs[p]) of ``family``.

    Propagates h(x) = x through the unit's layers (002 eq. 2.3): u = h W + b merges the inputs'
    knots and adds their values and slopes; sigma(u) keeps u's knots, adds u's zero on each
    piece, and multiplies slopes by a+- (002 eq. 2.1).  Knots that neither bend nor jump are
    dropped.
    """
    from gaconvex.symbolic.piecewise_program import unit_program

    program = unit_program(family)
    anchors = np.asarray(anchors, dtype=np.float64)
    signs = np.zeros((len(anchors), 0)) if signs is None else signs
    return _describe(program, program.parameters(anchors, signs))


def _describe(program, params, batch: PiecewiseBatch | None = None) -> PiecewiseBatch:
    """``piecewise_batch`` from the unit's parameters, into ``batch`` if given."""
    count, K = params.shape[0], program.max_knots
    if batch is None:
        batch = PiecewiseBatch(np.zeros(count, dtype=np.int64), np.empty((count, K)),
                               np.empty((count, K)), np.empty((count, K)), np.empty((count, K)),
                               np.empty((count, K + 1)), np.empty(count))
    _kernels().describe_units(params, program.layout, *program.activation, batch.knots,
                              batch.values, batch.left, batch.right, batch.slopes, batch.counts,
                              batch.f0)
    return batch


_THREAD = threading.local()  # each thread's workspaces, one per unit program


def _workspace(program, size: int) -> "_Workspace":
    """This thread's workspace for ``program`` with room for ``size`` columns, kept between
    passes (fresh memory costs a page fault per 4 KiB, more than the work done on it)."""
    cache = _THREAD.__dict__.setdefault("workspaces", {})
    if program not in cache or cache[program].size < size:
        cache[program] = _Workspace(program, size)
    return cache[program]


class _Workspace:
    """One thread's buffers for a chunk of up to ``size`` columns, reused from chunk to chunk."""

    def __init__(self, program, size: int):
        family, K = program.family, program.max_knots
        self.size = size
        self.anchors = np.empty((size, family.n_anchors))
        self.signs = np.empty((size, family.n_signs))
        self.params = np.empty((size, program.n_params))
        self.batch = PiecewiseBatch(np.zeros(size, dtype=np.int64), np.empty((size, K)),
                                    np.empty((size, K)), np.empty((size, K)), np.empty((size, K)),
                                    np.empty((size, K + 1)), np.empty(size))
        self.lo = np.empty((size, K), dtype=np.int64)
        self.hi = np.empty((size, K), dtype=np.int64)

    def fill(self, block, start: int, count: int, columns) -> None:
        """Anchors and signs of the block's columns start .. start + count (of ``columns``, an
        index array, if given); an implicit grid is walked without materialising it."""
        from .library import GridBlock

        anchors, signs = self.anchors[:count], self.signs[:count]
        if isinstance(block, GridBlock):
            patterns = block.patterns.astype(np.float64)
            if columns is None:
                _kernels().grid_range(start, block.values, patterns, anchors, signs)
            else:
                _kernels().grid_columns(columns[start:start + count], block.values, patterns,
                                        anchors, signs)
            return
        index = np.arange(start, start + count) if columns is None else columns[start:start + count]
        np.take(block.anchor_values, index, axis=0, out=anchors)
        signs[...] = block.signs[index]

    def arrays(self, program, count: int, points: "_SortedPoints") -> tuple:
        """The chunk's description and its knots' places in the sorted data."""
        params = program.parameters(self.anchors[:count], self.signs[:count],
                                    out=self.params[:count])
        batch = _describe(program, params, PiecewiseBatch(*(a[:count] for a in self.batch.arrays)))
        lo, hi = self.lo[:count], self.hi[:count]
        points.locate(batch, lo, hi)
        return (*batch.arrays, lo, hi)


class _SortedPoints:
    """The store's points sorted once: order, centred values, runs of equal values, the bucket
    table of the searches (computed with the kernel's formula: see ``locate_knots``), and (on
    first use) double-double moments for the norms."""

    def __init__(self, x: np.ndarray):
        self.perm = np.argsort(x, kind="stable")
        xs, n = x[self.perm], x.size
        self.xs = np.append(xs, np.inf)  # the sentinel of the searches
        self.centre = 0.5 * xs[0] + 0.5 * xs[-1]
        self.xc = xs - self.centre
        change = np.flatnonzero(xs[1:] != xs[:-1]) + 1
        self.run_end = np.append(change, n)[np.searchsorted(change, np.arange(n + 1), side="right")]
        span, buckets = float(xs[-1] - xs[0]), 2 * n
        inv_width = buckets / span if span > 0 else 0.0  # inf for spans near 1e-308
        self.inv_width = inv_width if 0 < inv_width < np.inf else 0.0  # 0: one bucket
        bucket = np.minimum(np.maximum((xs - xs[0]) * self.inv_width, 0.0), buckets - 1.0)
        self.starts = np.searchsorted(bucket.astype(np.int64), np.arange(buckets + 1))
        biggest = float(np.max(np.abs(self.xc)))
        self.scale = float(np.ldexp(1.0, max(int(np.frexp(biggest)[1]), -1021)))  # 1/scale finite
        self._moments = None

    def locate(self, batch: PiecewiseBatch, lo: np.ndarray, hi: np.ndarray) -> None:
        """Into (lo, hi) (P, K): the sorted data equal to knot k of column p are [lo, hi),
        those of the piece before it end at lo."""
        _kernels().locate_knots(batch.counts, batch.knots, self.xs, self.run_end, self.starts,
                                self.inv_width, lo, hi)

    @property
    def moments(self) -> tuple:
        if self._moments is None:
            moments = tuple(np.empty(self.xs.size) for _ in range(4))  # N + 1 prefix sums
            _kernels().dd_moments(self.xs[:-1], self.centre, 1.0 / self.scale, *moments)
            self._moments = moments
        return self._moments


def _into(kernel, args, out, group, positions, arrays) -> None:
    """Run a per-column product kernel on one chunk, writing its columns' entries of ``out``."""
    kernel(*arrays, *args, out[positions])


def _groups(count: int) -> list:
    """Column ranges for the thread pool: one for small passes, else 4 per numba thread."""
    import numba

    threads = numba.config.NUMBA_NUM_THREADS
    if threads == 1 or count < _MIN_PARALLEL_COLUMNS:
        return [(0, count)]
    bounds = np.linspace(0, count, 4 * threads + 1).astype(int)
    return list(zip(bounds[:-1], bounds[1:]))


class StructuredColumns:
    """No matrix: products from the columns' piecewise-linear forms (module docstring).

    ``X`` (N, 1) holds the rows' points (repeats allowed); ``blocks`` are
    :class:`~gaconvex.dictionaries.Block` or :class:`~gaconvex.dictionaries.GridBlock` objects
    of 1-D families; ``backend`` ("numba", "numpy" or "torch" on ``device``) is the kernel
    backend of ``columns`` and ``to_dense``.  The products run numba on the CPU.
    """

    def __init__(self, X: np.ndarray, blocks, backend: str = "numba", device=None, *,
                 points: "_SortedPoints | None" = None):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != 1 or X.shape[0] == 0:
            raise GaconvexError(f"structured columns need 1-D points of shape (N, 1) with N >= 1, "
                                f"got shape {X.shape}; use storage='kernels' for d-D points.")
        self.X, self.blocks, self.backend = X, tuple(blocks), backend
        self._kernel_store = KernelColumns(X, self.blocks, backend, device)
        self.device = self._kernel_store.device
        self._bounds = self._kernel_store._bounds
        self._points = _SortedPoints(X[:, 0]) if points is None else points  # (of these X)
        self._cache, self._cache_sizes = {}, {}  # block id -> per group [(positions, arrays)]
        self._subsets = []  # [(idx, its sorting order, the store of A[:, idx])]: rmatvec_columns
        self._norms = None  # column_norms, once computed

    @property
    def shape(self) -> tuple[int, int]:
        return (self.X.shape[0], int(self._bounds[-1]))

    def _parts(self):
        return zip(self.blocks, self._bounds[:-1], self._bounds[1:])

    def _sweep(self, block, work, columns=None) -> None:
        """``work(group, positions, arrays)`` for every chunk of the block's columns (all, or
        the index array ``columns``), a group of chunks per thread: ``arrays`` are the chunk's
        :class:`PiecewiseBatch` arrays and its knots' places (lo, hi) in the sorted data.
        Descriptions of a whole block are kept between passes while all of them fit in
        ``_CACHE_BYTES`` (iterative solvers make thousands of passes); otherwise, and for
        ``columns`` subsets, they are recomputed chunk by chunk."""
        from gaconvex.symbolic.codegen import _in_parallel
        from gaconvex.symbolic.piecewise_program import unit_program

        program = unit_program(block.family)
        step = max(_MIN_CHUNK, _BATCH_ENTRIES // (program.max_knots + 1))
        cached = columns is None and self._cacheable(block, program)
        count = len(block) if columns is None else len(columns)
        small = cached and count * (program.max_knots + 1) < _SERIAL_KNOTS
        groups = [(0, count)] if small else _groups(count)  # a cached small pass: no threads
        if cached and id(block) in self._cache:
            _in_parallel(lambda group, bounds: [work(group, *chunk)
                                                for chunk in self._cache[id(block)][group]],
                         groups)
            return
        kept = [[] for _ in groups]

        def task(group, bounds):
            workspace = _workspace(program, min(step, bounds[1] - bounds[0]))
            for start in range(bounds[0], bounds[1], step):
                count = min(step, bounds[1] - start)
                workspace.fill(block, start, count, columns)
                arrays = workspace.arrays(program, count, self._points)
                if cached:
                    arrays = tuple(a.copy() for a in arrays)
                    kept[group].append((slice(start, start + count), arrays))
                work(group, slice(start, start + count), arrays)

        _in_parallel(task, groups)
        if cached:
            self._cache[id(block)] = kept

    def _cacheable(self, block, program) -> bool:
        """Whether the block's descriptions (7 arrays of K or K + 1 numbers and 2 of K indices
        a column) fit in the cache next to those already kept."""
        size = 8 * len(block) * (9 * program.max_knots + 3)
        if id(block) not in self._cache_sizes:
            if sum(self._cache_sizes.values()) + size > _CACHE_BYTES:
                return False
            self._cache_sizes[id(block)] = size
        return True

    def _per_column(self, kernel: str, *args) -> np.ndarray:
        """One number per column: ``kernel(*chunk arrays, *args, out)`` chunk by chunk."""
        out = np.empty(self.shape[1])
        for block, lo, hi in self._parts():
            self._sweep(block, partial(_into, getattr(_kernels(), kernel), args, out[lo:hi]))
        return out

    def rmatvec(self, r) -> np.ndarray:
        """A^T r from prefix sums of r and r x~ over the sorted points (O(K log N) a column)."""
        return self._per_column("rmatvec_units", self._points.centre, self._prefix_sums(r))

    def _prefix_sums(self, r) -> np.ndarray:
        """R (N + 1, 2): cumsum of r and of r x~ over the sorted data, from 0."""
        r = _vector(r, self.shape[0], "r")
        pts = self._points
        rs = r[pts.perm]
        R = np.zeros((rs.size + 1, 2))
        np.cumsum(rs, out=R[1:, 0])
        np.cumsum(rs * pts.xc, out=R[1:, 1])
        return R

    def rmatvec_columns(self, r, idx) -> np.ndarray:
        """A[:, idx]^T r by the same sums, over the columns ``idx`` only.  The stores of the
        last two index sets are kept with their descriptions (a working set asks for the same
        columns at every step of its inner solve, and for the same pool of candidates at
        several outer passes: a pass then only sums)."""
        idx = np.asarray(idx, dtype=np.intp)
        found = [k for k, entry in enumerate(self._subsets) if np.array_equal(entry[0], idx)]
        if found:
            entry = self._subsets.pop(found[0])
        else:
            order = np.argsort(idx, kind="stable")
            entry = (idx.copy(), order, StructuredColumns(
                self.X, self._kernel_store.take(idx[order]).blocks, self.backend, self.device,
                points=self._points))
        self._subsets = [entry, *self._subsets[:1]]  # most recent first
        _, order, sub = entry
        out = np.empty(idx.size)
        out[order] = sub.rmatvec(r)
        return out

    def breakpoints(self, idx) -> tuple[np.ndarray, np.ndarray]:
        """The knots of the columns ``idx`` (all of them, flattened) and for each whether the
        column is discontinuous there (its value or a one-sided limit differs): where the
        columns may leave a line, from their piecewise-linear forms (no evaluation)."""
        idx = np.asarray(idx, dtype=np.intp)
        sub = StructuredColumns(self.X, self._kernel_store.take(idx).blocks, self.backend,
                                self.device, points=self._points)
        found = []

        def collect(group, positions, arrays):
            counts, knots, values, left, right = arrays[:5]
            real = np.arange(knots.shape[1]) < counts[:, None]
            jump = (left != right) | (values != left)
            found.append((knots[real].copy(), jump[real].copy()))

        for block, _, _ in sub._parts():
            sub._sweep(block, collect)
        if not found:
            return np.zeros(0), np.zeros(0, dtype=bool)
        return (np.concatenate([k for k, _ in found]), np.concatenate([j for _, j in found]))

    def matvec(self, z) -> np.ndarray:
        """A z from the nonzero z only: events at the knots, summed by cumulative sums."""
        z = _vector(z, self.shape[1], "z")
        pts, n = self._points, self.shape[0]
        sums = {}

        def accumulate(zb, nonzero):
            def work(group, at, arrays):
                acc = sums.setdefault(group, (np.zeros(2), np.zeros(n + 1), np.zeros(n + 1),
                                              np.zeros(n)))
                _kernels().matvec_units(*arrays, zb[nonzero[at]], pts.centre, *acc)
            return work

        for block, lo, hi in self._parts():
            nonzero = np.flatnonzero(z[lo:hi])
            if nonzero.size:
                self._sweep(block, accumulate(z[lo:hi], nonzero), nonzero)
        out = np.zeros(n)
        if sums:
            base, bend, step, point = (sum(parts) for parts in zip(*sums.values()))
            values = (base[0] + base[1] * pts.xc + np.cumsum(step)[:n]
                      + pts.xc * np.cumsum(bend)[:n] + point)
            out[pts.perm] = values
        return out

    def column_norms(self) -> np.ndarray:
        """||A_j||_2 from the pieces, in double-double arithmetic (one pass, no evaluation);
        computed once (the store never changes: ``take`` and ``rows`` build new ones; at abs
        L = 3 N = 2,000 the pass costs three correlation passes) and copied out."""
        if self._norms is None:
            pts = self._points
            self._norms = self._per_column("norms_units", pts.centre, pts.scale, *pts.moments)
        return self._norms.copy()

    def columns(self, idx) -> np.ndarray:
        """The columns ``idx`` (numpy (N, len(idx))), evaluated by the families' kernels."""
        return self._kernel_store.columns(idx)

    def to_dense(self) -> np.ndarray:
        return self.columns(np.arange(self.shape[1]))

    def take(self, keep) -> "StructuredColumns":
        return StructuredColumns(self.X, self._kernel_store.take(keep).blocks, self.backend,
                                 self.device)

    def rows(self, points, index) -> "StructuredColumns":
        """The same columns on ``points`` (e.g. repeated rows of tied data)."""
        return StructuredColumns(points, self.blocks, self.backend, self.device)
