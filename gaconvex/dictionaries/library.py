"""The dictionary: the Lasso's operator A, whose every column knows the unit that made it.

A :class:`Dictionary` holds the training points ``X`` (N, d), a tuple of :class:`Block` (one
per symbolic feature family: the anchor indices and values and the sign patterns of its
columns; a :class:`GridBlock` holds a whole anchor grid implicitly) and a column store
(:mod:`.storage`: a numpy matrix, a torch tensor, or the compiled kernels; :mod:`.structured`:
piecewise-linear products; interchangeably).  It *is* the solver's operator: ``matvec``
(A z), ``rmatvec`` (A^T r), ``columns(idx)``, ``column_norms``, ``to_dense``, ``shape``,
``backend``, ``device`` (the protocol :class:`gaconvex.solvers.DictionaryOperator`).
Nothing here knows the input dimension or a feature formula: blocks evaluate themselves
through the kernels of their families.  :func:`deduplicate_columns` removes zero and repeated
columns and keeps a report of what it removed, so nothing disappears silently.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from gaconvex._validation import GaconvexError

from .storage import DenseColumns, KernelColumns, TorchColumns, _index
from .structured import StructuredColumns

if TYPE_CHECKING:
    from gaconvex.symbolic import Architecture, FeatureFamily

__all__ = ["Block", "GridBlock", "GridRows", "ColumnInfo", "Dictionary", "DeduplicationReport",
           "deduplicate_columns"]


def _kernel(family, backend: str):
    from gaconvex.symbolic import compile as compile_kernel

    return compile_kernel(family, backend)


@dataclass(frozen=True)
class Block:
    """Columns of one feature family: anchor indices and values, +-1 signs, one row per column.

    ``anchor_rank`` (optional) holds builder-specific labels of the anchors, e.g. the 1-based
    paper ranks x_1 > ... > x_N of the 1-D libraries (002 Sec. 1.2).
    """

    family: FeatureFamily
    anchor_index: np.ndarray  # (P, k) int, rows of the dictionary's points
    anchor_values: np.ndarray  # (P, k) float (1-D anchors)
    signs: np.ndarray  # (P, m) int8
    sampled: bool = False
    anchor_rank: np.ndarray | None = None  # (P, k) int

    def __len__(self) -> int:
        return len(self.anchor_index)

    def take(self, keep) -> "Block":
        keep = np.asarray(keep, dtype=np.intp)
        rank = None if self.anchor_rank is None else self.anchor_rank[keep]
        return Block(self.family, self.anchor_index[keep], self.anchor_values[keep],
                     self.signs[keep], self.sampled, rank)

    # -- evaluation through the family's compiled kernel (gaconvex.symbolic.compile) ---------
    def evaluate(self, X, backend: str = "numba", *, out=None, device=None):
        """The block's columns on points X: (N, P_b), A[i, p] = f(X_i; anchors_p, signs_p)."""
        kw = {"device": device} if backend == "torch" else {}
        return _kernel(self.family, backend)(X, self.anchor_values, self.signs.astype(float),
                                             out=out, **kw)

    def matvec(self, X, z, backend: str = "numba", *, device=None):
        kw = {"device": device} if backend == "torch" else {}
        return _kernel(self.family, backend).matvec(X, self.anchor_values,
                                                    self.signs.astype(float), z, **kw)

    def rmatvec(self, X, r, backend: str = "numba", *, device=None):
        kw = {"device": device} if backend == "torch" else {}
        return _kernel(self.family, backend).rmatvec(X, self.anchor_values,
                                                     self.signs.astype(float), r, **kw)


_GRID_CHUNK = 1 << 16  # columns of an implicit grid materialised at once by the kernel paths


def _as_numpy(a) -> np.ndarray:
    return a.cpu().numpy() if hasattr(a, "cpu") else np.asarray(a)


class GridRows:
    """A per-column metadata array of a :class:`GridBlock`, computed for the rows asked:
    ``rows[j]`` (one column), ``rows[idx]`` or ``rows[a:b]`` (several), ``len(rows)``."""

    def __init__(self, block: "GridBlock", field: str):
        self._block, self._field = block, field

    def __len__(self) -> int:
        return len(self._block)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return self[np.array([key])][0]
        if isinstance(key, slice):
            key = np.arange(*key.indices(len(self)))
        return getattr(self._block.take(key), self._field)

    def __array__(self, dtype=None, copy=None):
        """Every row, materialised (8 bytes per anchor and column)."""
        return np.asarray(self[:], dtype=dtype)


@dataclass(frozen=True)
class GridBlock:
    """All anchor tuples of n points times all sign patterns of a family, held implicitly
    (the unsampled libraries of 002 Def. 3.10, Table 3.1: N^k |signs| columns).

    Only the points' order is stored: ``order[r]`` is the caller index of the point of rank
    r + 1 (descending, x_1 > ... > x_N of 002), ``values[r] = x[order[r]]``, and ``patterns``
    (S, m) the family's sign patterns.  Column j is the rank tuple number q = j // S in C order
    over [n]^k, (r_1, ..., r_k) = unravel(q, (n,) * k), with sign pattern j % S, exactly the
    order of the explicit grid.  ``anchor_index``, ``anchor_values``, ``signs`` and
    ``anchor_rank`` are :class:`GridRows`: computed for the columns asked; ``take`` gives an
    explicit :class:`Block`.
    """

    family: FeatureFamily
    order: np.ndarray  # (n,) int
    values: np.ndarray  # (n,) float
    patterns: np.ndarray  # (S, m) int8
    sampled = False

    @property
    def k(self) -> int:
        return self.family.n_anchors

    def __len__(self) -> int:
        return len(self.patterns) * self.values.size ** self.k

    def ranks(self, idx) -> tuple[np.ndarray, np.ndarray]:
        """(0-based rank tuples (len(idx), k), sign pattern numbers) of the columns idx."""
        q, pattern = np.divmod(np.asarray(idx, dtype=np.int64), len(self.patterns))
        ranks = np.unravel_index(q, (self.values.size,) * self.k)
        return np.stack(ranks, axis=-1).reshape(q.size, self.k), pattern

    def take(self, keep) -> Block:
        ranks, pattern = self.ranks(_index(keep, len(self)))
        return Block(self.family, self.order[ranks], self.values[ranks], self.patterns[pattern],
                     False, ranks + 1)

    anchor_index = property(lambda self: GridRows(self, "anchor_index"))
    anchor_values = property(lambda self: GridRows(self, "anchor_values"))
    signs = property(lambda self: GridRows(self, "signs"))
    anchor_rank = property(lambda self: GridRows(self, "anchor_rank"))

    def chunks(self, idx=None):
        """Explicit blocks of at most ``_GRID_CHUNK`` columns: (columns, Block) pairs over all
        columns (``idx=None``) or over the columns idx."""
        total = len(self) if idx is None else len(idx)
        for lo in range(0, total, _GRID_CHUNK):
            cols = (np.arange(lo, min(lo + _GRID_CHUNK, total)) if idx is None
                    else np.asarray(idx[lo:lo + _GRID_CHUNK]))
            yield cols, self.take(cols)

    # -- evaluation: chunk by chunk through the explicit blocks' kernels -----------------------
    def evaluate(self, X, backend: str = "numba", *, out=None, device=None):
        """The block's columns on points X (N, P_b); into ``out`` chunk by chunk if given."""
        if out is None:
            return self.take(np.arange(len(self))).evaluate(X, backend, device=device)
        for cols, block in self.chunks():
            block.evaluate(X, backend, out=out[:, cols[0]:cols[-1] + 1], device=device)
        return out

    def matvec(self, X, z, backend: str = "numba", *, device=None):
        """A_b z over the chunks that hold nonzero z (numpy)."""
        z = np.asarray(z, dtype=np.float64)
        out = np.zeros(np.shape(X)[0])
        for cols, block in self.chunks(np.flatnonzero(z)):
            out += _as_numpy(block.matvec(X, z[cols], backend, device=device))
        return out

    def rmatvec(self, X, r, backend: str = "numba", *, device=None):
        """A_b^T r chunk by chunk (numpy)."""
        parts = [_as_numpy(block.rmatvec(X, r, backend, device=device))
                 for _, block in self.chunks()]
        return np.concatenate(parts) if parts else np.zeros(0)


@dataclass(frozen=True)
class ColumnInfo:
    """Everything needed to rebuild the unit behind one column (002 Def. B.3)."""

    index: int
    family: FeatureFamily
    anchor_index: tuple  # rows of the dictionary's points
    anchor_values: tuple
    signs: tuple
    anchor_rank: tuple | None = None  # 1-D libraries: 1-based ranks in x_1 > ... > x_N (002)

    @property
    def activation(self):
        return self.family.activation

    @property
    def depth(self) -> int:
        return self.family.architecture.depth

    @property
    def bias_kind(self) -> str:
        return self.family.bias_kind

    def unit(self):
        """Numeric (W, b) of every layer of the rescaled unit (+-1 weights, data/midpoint biases)."""
        return self.family.unit(self.anchor_values, self.signs)

    @property
    def biases(self) -> list:
        """The unit's bias of every hidden layer (002 Def. 3.8-3.9), numeric."""
        return [b for _, b in self.unit()]


@dataclass(frozen=True)
class DeduplicationReport:
    """What :func:`deduplicate_columns` removed: zero columns and duplicates of kept columns."""

    n_raw: int
    zero: np.ndarray  # raw indices of all-zero columns
    duplicate_of: dict = field(default_factory=dict)  # raw index -> raw index of the kept twin
    kept: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # raw indices kept

    def __str__(self) -> str:
        return (f"{self.n_raw} raw columns: {len(self.kept)} kept, {len(self.zero)} zero, "
                f"{len(self.duplicate_of)} duplicates removed")


@dataclass(frozen=True)
class Dictionary:
    """A Lasso dictionary with per-column metadata; it is the solver's operator (N, P).

    Attributes
    ----------
    architecture : the network the library stands for.
    X : (N, d) the points of the rows, in the caller's order.
    blocks : per-family column metadata (:class:`Block`, or :class:`GridBlock` for a whole
        anchor grid; the columns are the blocks' columns, in order).
    store : where the columns live (:class:`DenseColumns`, :class:`TorchColumns`,
        :class:`KernelColumns` or :class:`StructuredColumns`).
    unpenalized : (N, q) extra unpenalized columns (the skip connection's x, 002 Sec. 3.1).
    report : DeduplicationReport or None (not deduplicated).
    """

    architecture: Architecture
    X: np.ndarray
    blocks: tuple
    store: DenseColumns | TorchColumns | KernelColumns | StructuredColumns
    unpenalized: np.ndarray
    report: DeduplicationReport | None = None

    # -- the operator protocol (gaconvex.solvers.DictionaryOperator) ---------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.store.shape

    @property
    def dtype(self):
        return np.dtype(np.float64)

    @property
    def backend(self) -> str:
        """Array library of the column store: "numpy", "torch", or the kernel backend."""
        return self.store.backend

    @property
    def device(self) -> str:
        return self.store.device

    @property
    def matrix_free(self) -> bool:
        return isinstance(self.store, (KernelColumns, StructuredColumns))

    @property
    def structured_products(self) -> bool:
        """True when A^T r costs O(N + P K) (piecewise-linear columns from prefix sums)."""
        return isinstance(self.store, StructuredColumns)

    @property
    def anchor_ordered(self) -> bool:
        """True for the structured 1-D libraries, also when their shards live on a cluster: a
        block's columns follow the sorted anchors, so adjacent columns are near-copies."""
        return isinstance(getattr(self.store, "local", self.store), StructuredColumns)

    def matvec(self, z) -> np.ndarray:
        """A z (length N)."""
        return self.store.matvec(z)

    def rmatvec(self, r) -> np.ndarray:
        """A^T r (length P)."""
        return self.store.rmatvec(r)

    def rmatvec_columns(self, r, idx) -> np.ndarray:
        """A[:, idx]^T r over those columns only, by the store's own pass (a structured pass,
        O(N + |idx| K); a fused kernel over the subset for matrix-free wedge columns; the
        subset's product for dense and torch stores), else from the evaluated columns."""
        if hasattr(self.store, "rmatvec_columns"):
            return self.store.rmatvec_columns(r, idx)
        return self.columns(idx).T @ np.asarray(r, dtype=np.float64)

    @property
    def remote(self) -> bool:
        """True when the columns live elsewhere (a Dask cluster): gathering all P correlations
        costs more than computing them, so solvers ask for :meth:`top_violators` instead."""
        return bool(getattr(self.store, "remote", False))

    def top_violators(self, r, k: int, beta: float | None = None):
        """The k largest |A_j^T r| (only those > beta if given) and max_j |A_j^T r|, as a
        :class:`gaconvex.distributed.Violators`-like triple (index, value, max_abs); reduced on
        the workers for a distributed store, from ``rmatvec`` otherwise."""
        if hasattr(self.store, "top_violators"):
            return self.store.top_violators(r, k, beta)
        from types import SimpleNamespace

        c = self.rmatvec(r)
        index = np.flatnonzero(np.abs(c) > beta) if beta is not None else np.arange(c.size)
        index = index[np.argsort(-np.abs(c[index]), kind="stable")[:int(k)]]
        return SimpleNamespace(index=index, value=c[index],
                               max_abs=float(np.max(np.abs(c), initial=0.0)))

    def columns(self, idx) -> np.ndarray:
        """The columns ``idx`` as a numpy (N, len(idx)) array."""
        return self.store.columns(idx)

    def columns_at(self, idx, rows) -> np.ndarray:
        """The columns ``idx`` on the rows ``rows`` only, (len(rows), len(idx)), evaluated
        there (not on all N points)."""
        return self.rows(rows).columns(idx)

    @property
    def breakpoints(self):
        """``breakpoints(idx)``: the knots of the columns ``idx`` and whether each is a jump
        (:meth:`StructuredColumns.breakpoints`); None unless the columns are structured 1-D
        columns held here."""
        return getattr(self.store, "breakpoints", None)

    def column(self, j: int) -> np.ndarray:
        return self.columns([j])[:, 0]

    def column_norms(self) -> np.ndarray:
        """||A_j||_2 for every column (length P)."""
        return self.store.column_norms()

    def to_dense(self) -> np.ndarray:
        """A as a numpy (N, P) array (evaluated for a matrix-free dictionary)."""
        return self.store.to_dense()

    # -- sizes and conventions ------------------------------------------------------------------
    @property
    def n_columns(self) -> int:
        return self.shape[1]

    @property
    def n_samples(self) -> int:
        return self.shape[0]

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    @property
    def x(self) -> np.ndarray:
        """The points as a vector (N,), for 1-D dictionaries."""
        if self.dim != 1:
            raise GaconvexError(f"this dictionary has {self.dim}-dimensional points; use .X (N, d).")
        return self.X[:, 0]

    @property
    def intercept(self) -> bool:
        """Whether the Lasso has a free intercept xi (not for sign/threshold, 002 Thm 3.11)."""
        return self.architecture.has_free_intercept

    @property
    def sampled(self) -> bool:
        return any(b.sampled for b in self.blocks)

    # -- columns as units -------------------------------------------------------------------------
    def _locate(self, i: int):
        if not -self.n_columns <= i < self.n_columns:
            raise GaconvexError(f"column index {i} out of range for {self.n_columns} columns.")
        i %= self.n_columns
        for block in self.blocks:
            if i < len(block):
                return block, i
            i -= len(block)
        raise AssertionError("blocks do not cover the columns")

    def column_info(self, i: int) -> ColumnInfo:
        block, j = self._locate(i)
        rank = None if block.anchor_rank is None else tuple(int(v) for v in block.anchor_rank[j])
        return ColumnInfo(i % self.n_columns, block.family,
                          tuple(int(v) for v in block.anchor_index[j]),
                          tuple(float(v) for v in block.anchor_values[j]),
                          tuple(int(s) for s in block.signs[j]), rank)

    def feature(self, i: int):
        """Column i's feature as a function of new inputs: f_i(x) (numpy kernel of its family)."""
        block, j = self._locate(i)
        single = block.take([j])

        def f(x_new):
            return single.evaluate(_points(x_new, self.dim), "numpy")[:, 0]

        f.__doc__ = (f"feature {i}: {block.family.bias_kind} family, anchors "
                     f"{tuple(block.anchor_values[j])}")
        return f

    def describe(self, i: int) -> str:
        from gaconvex.symbolic import describe

        info = self.column_info(i)
        describe_column = getattr(info.family, "describe_column", None)  # d-D wedge features
        if describe_column is not None:
            return describe_column(info)
        return describe(info.family, anchor_values=info.anchor_values, signs=info.signs)

    def evaluate(self, X_new, columns=None, backend: str = "numpy") -> np.ndarray:
        """Columns (all, or the indices ``columns``) on new points; rows follow ``X_new``."""
        X_new = _points(X_new, self.dim)
        idx = np.arange(self.n_columns) if columns is None else np.asarray(columns, dtype=np.intp)
        return KernelColumns(X_new, self.blocks, backend).columns(idx)

    def unpenalized_at(self, X_new) -> np.ndarray:
        """The unpenalized columns on new points (the skip connection's x)."""
        X_new = _points(X_new, self.dim)
        return X_new.copy() if self.unpenalized.shape[1] else np.zeros((X_new.shape[0], 0))

    # -- new dictionaries from this one -----------------------------------------------------------
    def take(self, keep, report: DeduplicationReport | None = None) -> "Dictionary":
        """The dictionary of the columns ``keep`` (raw indices, increasing)."""
        keep = np.asarray(keep, dtype=np.intp)
        blocks, start = [], 0
        for b in self.blocks:
            blocks.append(b.take(keep[(keep >= start) & (keep < start + len(b))] - start))
            start += len(b)
        return Dictionary(self.architecture, self.X, tuple(blocks), self.store.take(keep),
                          self.unpenalized, report if report is not None else self.report)

    def rows(self, index) -> "Dictionary":
        """The same columns on the points X[index] (e.g. repeated rows of tied data); anchor
        indices keep referring to the points the library was built on."""
        index = np.asarray(index, dtype=np.intp)
        X = self.X[index]
        return Dictionary(self.architecture, X, self.blocks, self.store.rows(X, index),
                          self.unpenalized[index], self.report)

    def __repr__(self) -> str:
        extra = f", {self.report}" if self.report else ""
        store = "matrix-free" if self.matrix_free else f"{self.backend} on {self.device}"
        return (f"Dictionary({self.architecture}, N={self.n_samples}, d={self.dim}, "
                f"P={self.n_columns}{', sampled' if self.sampled else ''}, {store}{extra})")

    def summary(self) -> str:
        lines = [repr(self)]
        for b in self.blocks:
            lines.append(f"  {b.family.bias_kind:>8} family: {len(b)} columns, "
                         f"f(x) = {b.family.expr}")
        lines.append(f"  intercept: {'free' if self.intercept else 'none (xi = 0)'}; "
                     f"unpenalized columns: {self.unpenalized.shape[1]}")
        return "\n".join(lines)


def _points(X, dim: int) -> np.ndarray:
    """New input points as an (n, dim) float array ((n,) accepted for dim = 1)."""
    from gaconvex.data import as_points

    return as_points(X, "X", dim=dim)


_CHUNK_ENTRIES = 2**23  # matrix entries per block when rounding columns (64 MiB of int64)


def _hash_weights(n: int) -> np.ndarray:
    """Random positive weights of the column hash h = A^T w (fixed seed: reproducible reports)."""
    return np.random.default_rng(0).uniform(0.5, 1.5, n)


def _column_keys(A, columns, scaling) -> np.ndarray:
    """Columns of A rounded to integer multiples of the tolerance step, one row per column;
    ``scaling = (1 / max|A|, 1 / rtol)``, applied in turn so that neither over- nor underflows."""
    inv_scale, inv_rtol = scaling
    return np.rint((A[:, columns].T * inv_scale) * inv_rtol).astype(np.int64)


def _hash_groups(h: np.ndarray, gap: float) -> np.ndarray:
    """Chain sorted hashes whose neighbours are <= gap apart into groups; each column's
    representative is the smallest column index of its group."""
    order = np.argsort(h, kind="stable")
    group = np.cumsum(np.concatenate([[0], np.diff(h[order]) > gap]))
    first = np.full(group[-1] + 1, h.size)
    np.minimum.at(first, group, order)
    rep = np.empty(h.size, dtype=np.intp)
    rep[order] = first[group]
    return rep


def _regroup_exactly(A, columns, scaling, rep) -> None:
    """Give the ``columns`` (sorted) that differ from their group's representative the first
    equal column among them (equal columns always share a group, so no other can equal them)."""
    if columns.size == 0:
        return
    keys = np.ascontiguousarray(_column_keys(A, columns, scaling))
    rows = keys.view(np.dtype((np.void, keys.dtype.itemsize * keys.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    rep[columns] = columns[first[inverse.ravel()]]


def enumerated_dictionary(architecture, X, block, report, *, storage: str, backend: str,
                          device, deduplicate: bool) -> "Dictionary":
    """The :class:`Dictionary` of one enumerated d-D block (the wedge, three-layer wedge and
    reflection-plane builders): matrix-free for ``storage="kernels"``, else the evaluated
    columns, deduplicated when asked (the removals recorded in ``report.columns``), and moved
    to torch on ``device`` for ``backend="torch"``."""
    from dataclasses import replace

    unpenalized = np.zeros((X.shape[0], 0))
    if storage == "kernels":
        return Dictionary(architecture, X, (block,), KernelColumns(X, [block], backend, device),
                          unpenalized, report)
    dictionary = Dictionary(architecture, X, (block,), DenseColumns(block.evaluate(X)),
                            unpenalized, report)
    if deduplicate:
        dictionary = deduplicate_columns(dictionary)
        report = replace(report, columns=dictionary.report)
        dictionary = Dictionary(architecture, X, dictionary.blocks, dictionary.store,
                                unpenalized, report)
    if backend == "torch":
        import torch

        tensor = torch.as_tensor(dictionary.to_dense(), device=device or "cpu")
        dictionary = Dictionary(architecture, X, dictionary.blocks, TorchColumns(tensor),
                                unpenalized, report)
    return dictionary


def deduplicate_columns(dictionary: Dictionary, *, rtol: float = 1e-10) -> Dictionary:
    """Drop all-zero columns and keep the first of each group of equal columns (to ``rtol``).

    Equal columns give the Lasso the same feature twice (002 Sec. 2.4: optional, but column
    metadata must survive for reconstruction): the first column of each group keeps its
    metadata and the removed ones are listed in the report.  Two columns are equal when they
    round to the same multiples of ``rtol * max|A|``.  Candidates come from one BLAS pass,
    h = A^T w: equal columns differ by less than a step entrywise, so their hashes differ by
    less than ``gap`` and end up chained in one group; every grouped column is then compared
    with its group's representative exactly, so different columns are never merged.
    """
    if dictionary.matrix_free:
        raise GaconvexError("deduplication compares evaluated columns; a matrix-free dictionary "
                            "has none. Build it dense (storage='dense') or skip deduplicate.")
    A = dictionary.to_dense()
    n, n_raw = A.shape
    col_max = np.maximum(A.max(axis=0), -A.min(axis=0)) if A.size else np.zeros(n_raw)
    scale = float(col_max.max(initial=0.0)) or 1.0
    if scale < np.finfo(float).tiny:  # subnormal columns: 1 / scale overflows, so rescale A
        A, col_max, scale = A / scale, col_max / scale, 1.0
    scaling = (1.0 / scale, 1.0 / rtol)
    weights = _hash_weights(n) * scaling[0]  # hashes in units of max|A|: no overflow
    h = A.T @ weights
    total = float(np.abs(weights).sum()) * scale
    gap = 1.01 * rtol * total + 4 * n * np.finfo(float).eps * total
    rep = _hash_groups(h, gap)
    is_zero = col_max * scaling[0] < 0.5 * rtol  # rounds to the zero key
    grouped, collided = np.flatnonzero(rep != np.arange(n_raw)), [np.zeros(0, dtype=np.intp)]
    step = max(1, _CHUNK_ENTRIES // max(n, 1))
    for lo in range(0, grouped.size, step):
        idx = grouped[lo:lo + step]
        same = np.all(_column_keys(A, idx, scaling) == _column_keys(A, rep[idx], scaling), axis=1)
        collided.append(idx[~same])
    _regroup_exactly(A, np.concatenate(collided), scaling, rep)
    is_first = rep == np.arange(n_raw)
    zero = np.flatnonzero(is_zero)
    kept = np.flatnonzero(is_first & ~is_zero)
    dup = np.flatnonzero(~is_first & ~is_zero[rep])
    report = DeduplicationReport(n_raw, zero, dict(zip(dup.tolist(), rep[dup].tolist())), kept)
    return dictionary.take(kept, report)
