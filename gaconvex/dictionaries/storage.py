"""Where a dictionary's columns live: a numpy matrix, a torch tensor, or nowhere (kernels).

A :class:`~gaconvex.dictionaries.Dictionary` is the solver's operator A in R^{N x P}; its
products go through one of three interchangeable *column stores*:

* :class:`DenseColumns`: a column-major float64 numpy matrix (BLAS products);
* :class:`TorchColumns`: a float64 torch tensor on any device;
* :class:`KernelColumns`: no matrix at all; every product runs the fused kernels that
  :func:`gaconvex.symbolic.compile` generated for the blocks' feature families (a library of
  p columns on N points would cost 8 N p bytes as a matrix: 12.8 GB for ReLU L = 4, N = 100).

Each store has ``shape``, ``backend`` (the array library), ``device``, ``matvec`` (A z),
``rmatvec`` (A^T r), ``rmatvec_columns(r, idx)`` (A[:, idx]^T r, costing in proportion to
len(idx)), ``columns(idx)`` (a block of columns, numpy (N, len(idx))),
``column_norms`` (||A_j||_2), ``to_dense``, ``take(keep)`` (a subset of columns) and
``rows(points, index)`` (the store on other rows).  Vectors in and out are numpy float64; the
torch store computes on its device and returns numpy.
"""
from __future__ import annotations

import numpy as np

from gaconvex._validation import GaconvexError

__all__ = ["DenseColumns", "TorchColumns", "KernelColumns", "stable_norms"]


def _vector(v, n: int, name: str) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if v.size != n:
        raise GaconvexError(f"{name} has {v.size} entries; this dictionary needs {n}.")
    return v


def stable_norms(M):
    """Column norms max_i |M_ij| * ||M_j / max_i |M_ij|||_2: no overflow or underflow of the
    squares for entries of size 1e300 or 1e-300 (numpy arrays or torch tensors)."""
    big = abs(M).max(0)
    if hasattr(big, "values"):  # torch returns (values, indices)
        big = big.values
    safe = big + (big == 0)
    return big * (((M / safe) ** 2).sum(0)) ** 0.5


def _index(idx, n_columns: int) -> np.ndarray:
    idx = np.asarray(idx, dtype=np.intp).reshape(-1)
    if idx.size and (idx.min() < -n_columns or idx.max() >= n_columns):
        raise GaconvexError(f"column indices must lie in [0, {n_columns}), got "
                            f"{idx.min()} .. {idx.max()}.")
    return idx % max(n_columns, 1)


class DenseColumns:
    """The columns as a column-major (N, P) float64 numpy matrix."""

    backend, device = "numpy", "cpu"

    def __init__(self, matrix: np.ndarray):
        self.matrix = np.asfortranarray(matrix, dtype=np.float64)

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def matvec(self, z) -> np.ndarray:
        return self.matrix @ _vector(z, self.shape[1], "z")

    def rmatvec(self, r) -> np.ndarray:
        return self.matrix.T @ _vector(r, self.shape[0], "r")

    def rmatvec_columns(self, r, idx) -> np.ndarray:
        return self.matrix[:, _index(idx, self.shape[1])].T @ _vector(r, self.shape[0], "r")

    def columns(self, idx) -> np.ndarray:
        return self.matrix[:, _index(idx, self.shape[1])]

    def column_norms(self) -> np.ndarray:
        return stable_norms(self.matrix) if self.shape[0] else np.zeros(self.shape[1])

    def to_dense(self) -> np.ndarray:
        return self.matrix

    def take(self, keep) -> "DenseColumns":
        return DenseColumns(self.matrix[:, keep])

    def rows(self, points, index) -> "DenseColumns":
        return DenseColumns(self.matrix[index])


class TorchColumns:
    """The columns as an (N, P) float64 torch tensor on ``tensor.device`` (CPU or CUDA)."""

    backend = "torch"

    def __init__(self, tensor):
        self.tensor = tensor

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.tensor.shape)

    @property
    def device(self) -> str:
        return str(self.tensor.device)

    def _t(self, v, n: int, name: str):
        import torch

        return torch.as_tensor(_vector(v, n, name), dtype=torch.float64, device=self.tensor.device)

    def matvec(self, z) -> np.ndarray:
        return (self.tensor @ self._t(z, self.shape[1], "z")).cpu().numpy()

    def rmatvec(self, r) -> np.ndarray:
        return (self.tensor.T @ self._t(r, self.shape[0], "r")).cpu().numpy()

    def rmatvec_columns(self, r, idx) -> np.ndarray:
        """A[:, idx]^T r on the tensor's device (only len(idx) numbers come back)."""
        import torch

        idx = torch.as_tensor(_index(idx, self.shape[1]), device=self.tensor.device)
        return (self.tensor[:, idx].T @ self._t(r, self.shape[0], "r")).cpu().numpy()

    def columns(self, idx) -> np.ndarray:
        import torch

        idx = torch.as_tensor(_index(idx, self.shape[1]), device=self.tensor.device)
        return self.tensor[:, idx].cpu().numpy()

    def column_norms(self) -> np.ndarray:
        return stable_norms(self.tensor).cpu().numpy()

    def to_dense(self) -> np.ndarray:
        return self.tensor.cpu().numpy()

    def take(self, keep) -> "TorchColumns":
        import torch

        return TorchColumns(self.tensor[:, torch.as_tensor(keep, device=self.tensor.device)])

    def rows(self, points, index) -> "TorchColumns":
        import torch

        return TorchColumns(self.tensor[torch.as_tensor(index, device=self.tensor.device)])


class KernelColumns:
    """No matrix: products evaluate the blocks' compiled kernels on the points ``X``.

    ``blocks`` are :class:`~gaconvex.dictionaries.Block` objects; ``backend`` is a kernel
    backend of :func:`gaconvex.symbolic.compile` ("numba", "numpy" or "torch" on ``device``).
    """

    def __init__(self, X: np.ndarray, blocks, backend: str = "numba", device=None):
        self.X = X
        self.blocks = tuple(blocks)
        self.backend = backend
        self.device = "cpu" if device is None else str(device)
        self._bounds = np.concatenate([[0], np.cumsum([len(b) for b in self.blocks])]).astype(int)
        self._norms = None  # column_norms, once computed

    @property
    def shape(self) -> tuple[int, int]:
        return (self.X.shape[0], int(self._bounds[-1]))

    def _parts(self):
        return zip(self.blocks, self._bounds[:-1], self._bounds[1:])

    def _numpy(self, a) -> np.ndarray:
        return a.cpu().numpy() if hasattr(a, "cpu") else np.asarray(a)

    def _kw(self) -> dict:
        return {"device": self.device} if self.backend == "torch" else {}

    def matvec(self, z) -> np.ndarray:
        """A z = sum over blocks of the fused kernel products (no column is stored)."""
        z = _vector(z, self.shape[1], "z")
        out = np.zeros(self.shape[0])
        for block, lo, hi in self._parts():
            if np.any(z[lo:hi]):
                out += self._numpy(block.matvec(self.X, z[lo:hi], self.backend, **self._kw()))
        return out

    def rmatvec(self, r) -> np.ndarray:
        """A^T r, one fused pass per block."""
        r = _vector(r, self.shape[0], "r")
        parts = [self._numpy(block.rmatvec(self.X, r, self.backend, **self._kw()))
                 for block, *_ in self._parts()]
        return np.concatenate(parts) if parts else np.zeros(0)

    def rmatvec_columns(self, r, idx) -> np.ndarray:
        """A[:, idx]^T r over those columns only: blocks of plain ReLU wedge columns (``fused``)
        run the fused numba pass reading their weights through the index
        (:func:`._relu_kernels.correlations_at`, no column is gathered); other blocks run their
        own ``rmatvec`` on the subset (``take``)."""
        r = _vector(r, self.shape[0], "r")
        idx = _index(idx, self.shape[1])
        out = np.empty(idx.size)
        for block, lo, hi in self._parts():
            mine = np.flatnonzero((idx >= lo) & (idx < hi))
            if not mine.size:
                continue
            local = idx[mine] - lo
            if getattr(block, "fused", False) and self.backend != "torch":
                from ._relu_kernels import correlations_at

                out[mine] = correlations_at(self.X, block.weights, block.bias, local, r)
            else:
                out[mine] = self._numpy(block.take(local).rmatvec(self.X, r, self.backend,
                                                                  **self._kw()))
        return out

    def columns(self, idx) -> np.ndarray:
        idx = _index(idx, self.shape[1])
        out = np.empty((self.shape[0], idx.size), order="F")
        for block, lo, hi in self._parts():
            mine = np.flatnonzero((idx >= lo) & (idx < hi))
            if mine.size:
                out[:, mine] = self._numpy(block.take(idx[mine] - lo).evaluate(
                    self.X, self.backend, **self._kw()))
        return out

    def column_norms(self) -> np.ndarray:
        """||A_j||_2 block by block, evaluated in chunks of columns (never the whole matrix), or
        by the blocks' own fused pass where they have one (wedge blocks); computed once (the
        store never changes: ``take`` and ``rows`` build new ones) and copied out."""
        if self._norms is None:
            self._norms = self._column_norms()
        return self._norms.copy()

    def _column_norms(self) -> np.ndarray:
        fused = [block.column_norms(self.X, self.backend, **self._kw())
                 if hasattr(block, "column_norms") else None for block, *_ in self._parts()]
        if self.blocks and all(norms is not None for norms in fused):
            return np.concatenate(fused)
        step = max(1, (1 << 22) // max(self.shape[0], 1))
        return np.concatenate([stable_norms(self.columns(np.arange(lo, min(lo + step, self.shape[1]))))
                               for lo in range(0, self.shape[1], step)] or [np.zeros(0)])

    def to_dense(self) -> np.ndarray:
        return self.columns(np.arange(self.shape[1]))

    def take(self, keep) -> "KernelColumns":
        keep = np.asarray(keep, dtype=np.intp)
        blocks = [b.take(keep[(keep >= lo) & (keep < hi)] - lo) for b, lo, hi in self._parts()]
        return KernelColumns(self.X, blocks, self.backend, self.device)

    def rows(self, points, index) -> "KernelColumns":
        return KernelColumns(points, self.blocks, self.backend, self.device)
