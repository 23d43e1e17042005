"""The dictionary object: a Lasso matrix whose every column knows the unit that made it.

A :class:`Dictionary` is a list of blocks, one per symbolic feature family, each holding the
anchor points and sign patterns of its columns; the matrix rows are the caller's data order.
:func:`deduplicate_columns` removes zero and repeated columns and keeps a report of what it
removed, so nothing disappears silently.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaconvex._validation import GaconvexError

__all__ = ["Block", "ColumnInfo", "Dictionary", "DeduplicationReport", "deduplicate_columns"]


@dataclass(frozen=True)
class Block:
    """Columns of one feature family: anchors (user indices and values) and +-1 signs per column."""

    family: object  # gaconvex.symbolic.FeatureFamily
    anchor_index: np.ndarray  # (P, k) int, indices into the caller's x
    anchor_values: np.ndarray  # (P, k) float
    signs: np.ndarray  # (P, m) int8
    sampled: bool = False

    def __len__(self) -> int:
        return len(self.anchor_index)

    def take(self, keep: np.ndarray) -> "Block":
        return Block(self.family, self.anchor_index[keep], self.anchor_values[keep],
                     self.signs[keep], self.sampled)


@dataclass(frozen=True)
class ColumnInfo:
    """Everything needed to rebuild the unit behind one column (002 Def. B.3)."""

    index: int
    family: object
    anchor_index: tuple  # indices into the caller's x
    anchor_rank: tuple  # 1-based positions in the descending order x_1 > ... > x_N (002)
    anchor_values: tuple
    signs: tuple

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


@dataclass
class Dictionary:
    """A 1-D Lasso dictionary with per-column metadata (002 Table 3.1, Def. 3.10).

    Attributes
    ----------
    architecture : gaconvex.symbolic.Architecture
    x : (N,) inputs in the caller's order; ``order`` sorts them descending (x[order[0]] = x_1).
    matrix : (N, P) columns f_i(x) with rows in the caller's order, or None for a matrix-free
        dictionary (products through :meth:`operator`).
    blocks : per-family column metadata.
    unpenalized : (N, q) extra unpenalized columns (the skip connection's x, 002 Sec. 3.1).
    report : DeduplicationReport or None.
    """

    architecture: object
    x: np.ndarray
    order: np.ndarray
    matrix: np.ndarray
    blocks: tuple
    unpenalized: np.ndarray
    report: DeduplicationReport | None = None

    # -- conventions --------------------------------------------------------------------------
    @property
    def shape(self):
        return (self.x.size, sum(len(b) for b in self.blocks))

    @property
    def n_columns(self) -> int:
        return self.shape[1]

    def operator(self, backend: str = "numba"):
        """The dictionary as a matrix-free :class:`LibraryOperator` (A @ z, A.T @ r by kernels)."""
        from .operator import LibraryOperator

        return LibraryOperator(self.x, self.blocks, backend)

    @property
    def intercept(self) -> bool:
        """Whether the Lasso has a free intercept xi (not for sign/threshold, 002 Thm 3.11)."""
        return self.architecture.has_free_intercept

    def beta_tilde(self, beta):
        """Lasso beta~ for training beta (symmetrized: 2 beta, spec erratum of 002 Lemma D.5)."""
        return self.architecture.beta_tilde(beta)

    def lasso_problem(self, y, beta, **kwargs):
        """The Lasso (002 eq. 1.2) of this dictionary for targets ``y`` (caller's order) and
        training regularization ``beta``: beta~ = ``beta_tilde(beta)``, free intercept unless
        sign/threshold, the skip column unpenalized."""
        from gaconvex.solvers import LassoProblem

        unpenalized = self.unpenalized if self.unpenalized.shape[1] else None
        A = self.matrix if self.matrix is not None else self.operator()
        return LassoProblem(A, y, self.beta_tilde(beta), intercept=self.intercept,
                            unpenalized=unpenalized, **kwargs)

    @property
    def sampled(self) -> bool:
        return any(b.sampled for b in self.blocks)

    # -- columns ------------------------------------------------------------------------------
    def _locate(self, i: int):
        if not -self.n_columns <= i < self.n_columns:
            raise GaconvexError(f"column index {i} out of range for {self.n_columns} columns.")
        i %= self.n_columns
        for block in self.blocks:
            if i < len(block):
                return block, i
            i -= len(block)
        raise AssertionError("blocks do not cover the matrix")

    def column_info(self, i: int) -> ColumnInfo:
        block, j = self._locate(i)
        rank = np.empty(self.x.size, dtype=int)
        rank[self.order] = np.arange(1, self.x.size + 1)
        idx = tuple(int(v) for v in block.anchor_index[j])
        return ColumnInfo(i % self.n_columns, block.family, idx, tuple(int(rank[v]) for v in idx),
                          tuple(float(v) for v in block.anchor_values[j]),
                          tuple(int(s) for s in block.signs[j]))

    def feature(self, i: int):
        """Column i's feature as a function of new inputs: f_i(x) (numpy kernel of its family)."""
        from gaconvex.symbolic import compile as compile_kernel

        info = self.column_info(i)
        kernel = compile_kernel(info.family, "numpy")

        def f(x_new):
            return kernel.column(np.asarray(x_new, dtype=float).ravel(), np.array(info.anchor_values),
                                 np.array(info.signs, dtype=float))

        f.__doc__ = f"feature {i}: {info.family.bias_kind} family, anchors {info.anchor_values}"
        return f

    def describe(self, i: int) -> str:
        from gaconvex.symbolic import describe

        info = self.column_info(i)
        return describe(info.family, anchor_values=info.anchor_values, signs=info.signs)

    def evaluate(self, x_new, backend: str = "numpy") -> np.ndarray:
        """All columns on new inputs (rows of the result follow ``x_new``)."""
        from gaconvex.symbolic import compile as compile_kernel

        x_new = np.asarray(x_new, dtype=float).ravel()
        cols = [np.asarray(compile_kernel(b.family, backend)(x_new, b.anchor_values,
                                                             b.signs.astype(float)))
                for b in self.blocks]
        return np.concatenate(cols, axis=1) if cols else np.zeros((x_new.size, 0))

    def __repr__(self) -> str:
        extra = f", {self.report}" if self.report else ""
        return (f"Dictionary({self.architecture}, N={self.x.size}, P={self.n_columns}"
                f"{', sampled' if self.sampled else ''}"
                f"{', matrix-free' if self.matrix is None else ''}{extra})")

    def summary(self) -> str:
        lines = [repr(self)]
        for b in self.blocks:
            lines.append(f"  {b.family.bias_kind:>8} family: {len(b)} columns, "
                         f"f(x) = {b.family.expr}")
        lines.append(f"  intercept: {'free' if self.intercept else 'none (xi = 0)'}; "
                     f"unpenalized columns: {self.unpenalized.shape[1]}")
        return "\n".join(lines)


_CHUNK_ENTRIES = 2**23  # matrix entries per block when rounding columns (64 MiB of int64)


def _hash_weights(n: int) -> np.ndarray:
    """Random positive weights of the column hash h = A^T w (fixed seed: reproducible reports)."""
    return np.random.default_rng(0).uniform(0.5, 1.5, n)


def _column_keys(A, columns, inv_step) -> np.ndarray:
    """Columns of A rounded to integer multiples of the tolerance step, one row per column."""
    return np.rint(A[:, columns].T * inv_step).astype(np.int64)


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


def _regroup_exactly(A, columns, inv_step, rep) -> None:
    """Give the ``columns`` (sorted) that differ from their group's representative the first
    equal column among them (equal columns always share a group, so no other can equal them)."""
    if columns.size == 0:
        return
    keys = np.ascontiguousarray(_column_keys(A, columns, inv_step))
    rows = keys.view(np.dtype((np.void, keys.dtype.itemsize * keys.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    rep[columns] = columns[first[inverse.ravel()]]


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
    A = dictionary.matrix
    n, n_raw = A.shape
    col_max = np.maximum(A.max(axis=0), -A.min(axis=0)) if A.size else np.zeros(n_raw)
    scale = float(col_max.max(initial=0.0)) or 1.0
    step_size = scale * rtol
    inv_step = 1.0 / step_size
    weights = _hash_weights(n)
    h = A.T @ weights
    total = float(np.abs(weights).sum())
    gap = 1.01 * step_size * total + 4 * n * np.finfo(float).eps * scale * total
    rep = _hash_groups(h, gap)
    is_zero = col_max < 0.5 * step_size  # rounds to the zero key
    grouped, collided = np.flatnonzero(rep != np.arange(n_raw)), [np.zeros(0, dtype=np.intp)]
    step = max(1, _CHUNK_ENTRIES // max(n, 1))
    for lo in range(0, grouped.size, step):
        idx = grouped[lo:lo + step]
        same = np.all(_column_keys(A, idx, inv_step) == _column_keys(A, rep[idx], inv_step), axis=1)
        collided.append(idx[~same])
    _regroup_exactly(A, np.concatenate(collided), inv_step, rep)
    is_first = rep == np.arange(n_raw)
    zero = np.flatnonzero(is_zero)
    kept = np.flatnonzero(is_first & ~is_zero)
    dup = np.flatnonzero(~is_first & ~is_zero[rep])
    report = DeduplicationReport(n_raw, zero, dict(zip(dup.tolist(), rep[dup].tolist())), kept)
    blocks, start = [], 0
    for b in dictionary.blocks:
        local = kept[(kept >= start) & (kept < start + len(b))] - start
        blocks.append(b.take(local))
        start += len(b)
    return Dictionary(dictionary.architecture, dictionary.x, dictionary.order, A[:, kept],
                      tuple(blocks), dictionary.unpenalized, report)
