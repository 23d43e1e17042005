"""Training data as the pipeline sees it: validated points, targets and sample weights, and
tied inputs merged exactly.

The libraries of the Library of Mirrors need distinct points (002 Sec. 1.2: x_1 > ... > x_N),
while real data repeat inputs (sunspot counts, clinical scores).  Merging ties is exact when it
carries weights: for the squared loss,

    sum_{i in g} w_i (u - y_i)^2 / 2 = W_g (u - ybar_g)^2 / 2 + sum_{i in g} w_i (y_i - ybar_g)^2 / 2

with W_g = sum w_i and ybar_g the weighted mean, so the merged weighted Lasso has the same
minimizers and an objective lower by a known constant.  Losses that are not quadratic (pinball,
l1) merge only rows with equal input *and* target, summing their weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import GaconvexError, as_real, check_finite

__all__ = ["as_points", "as_targets", "as_sample_weight", "TiedData", "merge_ties", "unique_rows",
           "merge_duplicate_points"]


def _check_rows_finite(arr: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.reshape(bad.shape[0], -1).any(axis=1))
        raise GaconvexError(
            f"{name} has NaN or infinite values in {rows.size} row(s), rows "
            f"{rows[:10].tolist()}{' ...' if rows.size > 10 else ''}; drop or impute them first.")


def as_points(X, name: str = "X", *, dim: int | None = None) -> np.ndarray:
    """Points as a finite (n, d) float64 array; a vector (n,) is n points of dimension 1."""
    arr = as_real(X, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise GaconvexError(f"{name} must be an (n, d) array of n points (or a vector for d = 1), "
                            f"got shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise GaconvexError(f"{name} holds no points (shape {arr.shape}); pass at least one "
                            "training point.")
    if dim is not None and arr.shape[1] != dim:
        raise GaconvexError(f"{name} has points of dimension {arr.shape[1]}, expected {dim} (the "
                            "architecture's dim).")
    _check_rows_finite(arr, name)
    return arr


def as_targets(y, n: int, name: str = "y") -> np.ndarray:
    """Targets as a finite (n,) float64 vector (an (n, 1) column is accepted)."""
    arr = as_real(y, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise GaconvexError(f"{name} must be one target per point, shape ({n},), got {arr.shape}.")
    if arr.shape[0] != n:
        raise GaconvexError(f"{name} has {arr.shape[0]} entries but there are {n} points; pass "
                            "one target per point.")
    _check_rows_finite(arr, name)
    return arr


def as_sample_weight(w, n: int) -> np.ndarray:
    """Sample weights: finite, >= 0, one per point, with a positive sum (None: all ones)."""
    if w is None:
        return np.ones(n)
    arr = as_real(w, "sample_weight").reshape(-1) if np.ndim(w) else np.full(n, float(w))
    if arr.shape[0] != n:
        raise GaconvexError(f"sample_weight has {arr.shape[0]} entries for {n} points.")
    check_finite(arr, "sample_weight")
    if np.any(arr < 0) or not arr.sum() > 0:
        raise GaconvexError("sample_weight must be >= 0 with a positive sum; got "
                            f"min {arr.min():g}, sum {arr.sum():g}.")
    return arr


@dataclass(frozen=True)
class TiedData:
    """The user's data and the distinct rows the Lasso is built on.

    X, y, weights : the caller's points (n, d), targets (n,), weights (n,) (zero-weight rows
        included).
    rows, y_rows, w_rows : the merged rows (m, d), their targets and summed weights (> 0).
    inverse : (n,) index of each caller's point into the rows (-1 for a zero-weight point).
    constant : the objective the merge removed (squared loss: within-tie weighted variance / 2).
    by_target : True when only rows with equal input and target were merged.
    """

    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    rows: np.ndarray
    y_rows: np.ndarray
    w_rows: np.ndarray
    inverse: np.ndarray
    constant: float
    by_target: bool

    @property
    def n_tied(self) -> int:
        """Points of positive weight whose input another such point shares."""
        _, inverse, counts = np.unique(self.X[self.inverse >= 0], axis=0, return_inverse=True,
                                       return_counts=True)
        return int(np.sum(counts[inverse.reshape(-1)] > 1))

    @property
    def n_merged(self) -> int:
        """Points folded into another point's row."""
        return int(np.sum(self.inverse >= 0)) - len(self.rows)

    @property
    def n_dropped(self) -> int:
        return int(np.sum(self.inverse < 0))

    def report(self) -> str:
        """One line on the ties, what was merged and what was dropped (empty when nothing was)."""
        parts = []
        if self.n_tied:
            parts.append(f"{self.n_tied} of {len(self.X)} points share their input with another")
        if self.n_merged:
            how = "equal input and target" if self.by_target else "equal inputs"
            parts.append(f"merged {self.n_merged} points with {how} into weighted rows "
                         f"({len(self.rows)} rows remain)")
        if self.n_dropped:
            parts.append(f"dropped {self.n_dropped} point(s) of zero weight")
        return "; ".join(parts)


def unique_rows(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of A in the order of their first appearance, and for every row of A
    the index of its distinct row (A == unique[inverse])."""
    unique, first, inverse = np.unique(A, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return unique[order], rank[inverse.reshape(-1)]


def merge_ties(X, y, weights, *, quadratic: bool) -> TiedData:
    """Merge tied points exactly (module docstring); ``quadratic``: the loss is squared."""
    live = weights > 0
    keys = np.column_stack([X, y]) if not quadratic else X
    rows_key, inv_live = unique_rows(keys[live])
    w_rows = np.bincount(inv_live, weights=weights[live], minlength=len(rows_key))
    wl = weights[live].reshape(-1, *(1,) * (y.ndim - 1))  # targets (n,) or (n, c) (001 Thm 14)
    wy = np.column_stack([np.bincount(inv_live, weights=col, minlength=len(rows_key))
                          for col in (wl * y[live]).reshape(len(wl), -1).T])
    y_rows = (wy if y.ndim == 2 else wy[:, 0]) / w_rows.reshape(-1, *(1,) * (y.ndim - 1))
    constant = 0.0
    if quadratic:
        dev = y[live] - y_rows[inv_live]
        constant = 0.5 * float(np.sum(wl * dev * dev))
    inverse = np.full(len(X), -1)
    inverse[live] = inv_live
    return TiedData(X, y, weights, rows_key[:, :X.shape[1]], y_rows, w_rows, inverse, constant,
                    not quadratic)


def merge_duplicate_points(x, y, sample_weight=None):
    """Merge equal inputs: (x_unique, y_mean, weights), x_unique sorted as by ``numpy.unique``,
    with weighted mean targets and summed weights (the counts when there are no weights).

    The 1-D libraries need distinct points (002 Sec. 1.2).  Solving the Lasso with these
    weights (``LassoProblem(..., sample_weight=weights)``) is exact for the squared loss (module
    docstring); :func:`gaconvex.convex_fit` does this itself.
    """
    X = as_points(x, "x")
    yv = as_targets(y, len(X))
    w = as_sample_weight(sample_weight, len(X))
    tied = merge_ties(X, yv, w, quadratic=True)
    order = np.lexsort(tied.rows.T[::-1])  # sorted, as numpy.unique
    rows = tied.rows[order, 0] if X.shape[1] == 1 else tied.rows[order]
    return rows, tied.y_rows[order], tied.w_rows[order]
