"""The dictionary as a linear operator: the only way solvers touch ``A``.

A Lasso solver needs these things from the dictionary A in R^{N x P} (002, eq. (1.2)):
the fit ``A @ z`` (``matvec``), the correlations ``A.T @ r`` (``rmatvec``) that drive
coordinate descent, screening and the dual constraint ``||A^T lambda||_inf <= beta_t``
(002, Lemma D.8), blocks of columns A_S (``columns``) for working sets and KKT solves,
the column norms (``column_norms``) for scaling and screening, and, for reference solvers
only, the dense matrix (``to_dense``). A :class:`gaconvex.dictionaries.Dictionary` (dense,
torch or matrix-free) and a dense array are therefore interchangeable (STYLE.md Sec. 1,
skglm-style composition).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from .._validation import GaconvexError, as_float_array

__all__ = ["DictionaryOperator", "MatrixOperator", "ScaledOperator", "as_operator"]


@runtime_checkable
class DictionaryOperator(Protocol):
    """Protocol for a dictionary A in R^{N x P} seen through its action on vectors.

    ``shape`` is ``(N, P)``; ``matvec(z)`` returns ``A @ z`` (length N); ``rmatvec(r)``
    returns ``A.T @ r`` (length P); ``columns(idx)`` returns A[:, idx] as a numpy (N, k)
    array; ``column_norms()`` the P Euclidean column norms; ``to_dense()`` the (N, P) float64
    array (it may raise for matrix-free operators too large for memory).  Vectors are numpy
    float64 in and out, whatever the operator computes on.
    """

    @property
    def shape(self) -> tuple[int, int]: ...

    def matvec(self, z: np.ndarray) -> np.ndarray: ...

    def rmatvec(self, r: np.ndarray) -> np.ndarray: ...

    def columns(self, idx) -> np.ndarray: ...

    def column_norms(self) -> np.ndarray: ...

    def to_dense(self) -> np.ndarray: ...


class MatrixOperator:
    """A dense float64 matrix (or a scipy.sparse matrix) exposed as a ``DictionaryOperator``."""

    def __init__(self, matrix):
        self._matrix = matrix

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(int(s) for s in self._matrix.shape)

    def matvec(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(self._matrix @ z, dtype=np.float64).ravel()

    def rmatvec(self, r: np.ndarray) -> np.ndarray:
        return np.asarray(self._matrix.T @ r, dtype=np.float64).ravel()

    def columns(self, idx) -> np.ndarray:
        block = self._matrix[:, np.asarray(idx, dtype=np.intp).reshape(-1)]
        return np.asarray(block.toarray() if hasattr(block, "toarray") else block, np.float64)

    def column_norms(self) -> np.ndarray:
        """Euclidean column norms, computed without overflow or underflow of the squares."""
        m = self._matrix
        dense = m if not hasattr(m, "toarray") else None
        big = np.asarray(abs(m).max(axis=0).toarray() if dense is None else np.abs(m).max(axis=0),
                         dtype=np.float64).ravel()
        safe = np.where(big > 0, big, 1.0)
        scaled = (m @ sparse_diag(1 / safe)) if dense is None else m / safe
        sq = scaled.multiply(scaled).sum(axis=0) if dense is None else (scaled * scaled).sum(axis=0)
        return big * np.sqrt(np.asarray(sq, dtype=np.float64).ravel())

    def to_dense(self) -> np.ndarray:
        m = self._matrix
        return np.asarray(m.toarray() if hasattr(m, "toarray") else m, dtype=np.float64)

    def __repr__(self) -> str:
        kind = "sparse" if hasattr(self._matrix, "toarray") else "dense"
        return f"MatrixOperator({kind}, shape={self.shape})"


class ScaledOperator:
    """c A for an operator A and a scalar c > 0 (the rescaled problem of ``solve``)."""

    def __init__(self, operator: DictionaryOperator, factor: float):
        self.operator, self.factor = operator, float(factor)

    @property
    def shape(self) -> tuple[int, int]:
        return self.operator.shape

    def matvec(self, z):
        return self.factor * self.operator.matvec(z)

    def rmatvec(self, r):
        return self.factor * self.operator.rmatvec(r)

    def columns(self, idx):
        return self.factor * self.operator.columns(idx)

    def rmatvec_columns(self, r, idx):
        return self.factor * self.operator.rmatvec_columns(r, idx)

    def columns_at(self, idx, rows):
        return self.factor * self.operator.columns_at(idx, rows)

    @property
    def breakpoints(self):
        """The operator's ``breakpoints`` (knots do not scale), or None."""
        return getattr(self.operator, "breakpoints", None)

    def column_norms(self):
        return self.factor * self.operator.column_norms()

    @property
    def remote(self) -> bool:
        return bool(getattr(self.operator, "remote", False))

    @property
    def structured_products(self) -> bool:
        return bool(getattr(self.operator, "structured_products", False))

    @property
    def anchor_ordered(self) -> bool:
        return bool(getattr(self.operator, "anchor_ordered", False))

    def top_violators(self, r, k: int, beta: float | None = None):
        """The operator's top_violators of c A (|c A_j^T r| > beta iff |A_j^T r| > beta / c)."""
        from types import SimpleNamespace

        top = self.operator.top_violators(r, k, None if beta is None else beta / self.factor)
        return SimpleNamespace(index=top.index, value=self.factor * top.value,
                               max_abs=self.factor * top.max_abs)

    def to_dense(self):
        return self.factor * self.operator.to_dense()

    def __repr__(self) -> str:
        return f"{self.factor:.3g} * {self.operator!r}"


def sparse_diag(d):
    import scipy.sparse

    return scipy.sparse.diags(d)


def as_operator(A, name: str = "A") -> DictionaryOperator:
    """Return ``A`` as a ``DictionaryOperator``.

    Objects already implementing the protocol pass through unchanged; a scipy.sparse
    matrix is wrapped as is; anything else is converted to a finite 2-D float64 array.
    """
    if isinstance(A, DictionaryOperator):
        _check_shape(A.shape, name)
        return A
    if hasattr(A, "tocsc") and hasattr(A, "toarray"):  # scipy.sparse, without importing it
        sparse = A.tocsc().astype(np.float64)
        as_float_array(sparse.data, f"{name} (sparse entries)")
        _check_shape(sparse.shape, name)
        return MatrixOperator(sparse)
    if np.ndim(A) != 2:
        raise GaconvexError(
            f"{name} must be a 2-D dictionary (N samples x P features), got shape "
            f"{np.shape(A)}; pass a single feature as a column, e.g. a.reshape(-1, 1)."
        )
    dense = as_float_array(A, name, ndim=2)
    _check_shape(dense.shape, name)
    return MatrixOperator(dense)


def _check_shape(shape, name: str) -> None:
    if len(shape) != 2 or min(shape) < 1:
        raise GaconvexError(
            f"{name} must have shape (N, P) with N >= 1 samples and P >= 1 features, got "
            f"shape {tuple(shape)}; build the dictionary from at least one point and one feature."
        )
