"""The dictionary as a linear operator: the only way solvers touch ``A``.

A Lasso solver needs four things from the dictionary A in R^{N x P} (002, eq. (1.2)):
the fit ``A @ z`` (``matvec``), the correlations ``A.T @ r`` (``rmatvec``) that drive
coordinate descent, screening and the dual constraint ``||A^T lambda||_inf <= beta_t``
(002, Lemma D.8), single columns A_j (``column``), and, for reference solvers only, the
dense matrix (``to_dense``). A structured, matrix-free dictionary and a dense array are
therefore interchangeable (STYLE.md Sec. 1, skglm-style composition).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from .._validation import GaconvexError, as_float_array

__all__ = ["DictionaryOperator", "MatrixOperator", "as_operator"]


@runtime_checkable
class DictionaryOperator(Protocol):
    """Protocol for a dictionary A in R^{N x P} seen through its action on vectors.

    ``shape`` is ``(N, P)``; ``matvec(z)`` returns ``A @ z`` (length N); ``rmatvec(r)``
    returns ``A.T @ r`` (length P); ``column(j)`` returns A_j (length N); ``to_dense()``
    returns the (N, P) float64 array and may raise for matrix-free operators.
    """

    @property
    def shape(self) -> tuple[int, int]: ...

    def matvec(self, z: np.ndarray) -> np.ndarray: ...

    def rmatvec(self, r: np.ndarray) -> np.ndarray: ...

    def column(self, j: int) -> np.ndarray: ...

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

    def column(self, j: int) -> np.ndarray:
        col = self._matrix[:, j]
        return np.asarray(col.toarray() if hasattr(col, "toarray") else col, np.float64).ravel()

    def to_dense(self) -> np.ndarray:
        m = self._matrix
        return np.asarray(m.toarray() if hasattr(m, "toarray") else m, dtype=np.float64)

    def __repr__(self) -> str:
        kind = "sparse" if hasattr(self._matrix, "toarray") else "dense"
        return f"MatrixOperator({kind}, shape={self.shape})"


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
