"""Matrix-free dictionary: A @ z, A.T @ r and columns straight from the symbolic kernels.

A library of p columns on N points costs 8 N p bytes as a dense matrix (1.6e7 columns for the
deep narrow ReLU L = 4 library of N = 100 points: 12.8 GB).  :class:`LibraryOperator` never
stores it: every product runs the fused kernels of :func:`gaconvex.symbolic.compile` over the
blocks' anchors and signs.  It satisfies :class:`gaconvex.solvers.DictionaryOperator`, so any
solver that talks to a dictionary through products takes it in place of the matrix.
"""
from __future__ import annotations

import numpy as np

from gaconvex._validation import GaconvexError

__all__ = ["LibraryOperator"]


class LibraryOperator:
    """The dictionary of ``blocks`` on points ``x`` as a linear operator (N, P)."""

    def __init__(self, x, blocks, backend: str = "numba"):
        from gaconvex.symbolic import compile as compile_kernel

        self.x = np.asarray(x, dtype=float)
        self.blocks = tuple(blocks)
        self.backend = backend
        self._kernels = [compile_kernel(b.family, backend) for b in self.blocks]
        self._signs = [b.signs.astype(float) for b in self.blocks]
        self._bounds = np.concatenate([[0], np.cumsum([len(b) for b in self.blocks])])

    @property
    def shape(self) -> tuple[int, int]:
        return (self.x.size, int(self._bounds[-1]))

    def _parts(self):
        return zip(self._kernels, self.blocks, self._signs, self._bounds[:-1], self._bounds[1:])

    def matvec(self, z) -> np.ndarray:
        """A @ z = sum over blocks of the fused kernel products (no column is stored)."""
        z = np.asarray(z, dtype=float).ravel()
        if z.size != self.shape[1]:
            raise GaconvexError(f"z has {z.size} entries for a dictionary of {self.shape[1]} columns.")
        out = np.zeros(self.x.size)
        for kernel, block, signs, lo, hi in self._parts():
            out += np.asarray(kernel.matvec(self.x, block.anchor_values, signs, z[lo:hi]))
        return out

    def rmatvec(self, r) -> np.ndarray:
        """A.T @ r, one fused pass per block."""
        r = np.asarray(r, dtype=float).ravel()
        if r.size != self.x.size:
            raise GaconvexError(f"r has {r.size} entries for {self.x.size} data points.")
        return np.concatenate([np.asarray(kernel.rmatvec(self.x, block.anchor_values, signs, r))
                               for kernel, block, signs, *_ in self._parts()])

    def column(self, j: int) -> np.ndarray:
        if not 0 <= j < self.shape[1]:
            raise GaconvexError(f"column {j} out of range for {self.shape[1]} columns.")
        k = int(np.searchsorted(self._bounds, j, side="right") - 1)
        i = j - self._bounds[k]
        block = self.blocks[k]
        return np.asarray(self._kernels[k].column(self.x, block.anchor_values[i],
                                                  self._signs[k][i]))

    def to_dense(self) -> np.ndarray:
        out = np.empty(self.shape, order="F")
        for kernel, block, signs, lo, hi in self._parts():
            out[:, lo:hi] = np.asarray(kernel(self.x, block.anchor_values, signs))
        return out

    def __repr__(self) -> str:
        return f"LibraryOperator(N={self.shape[0]}, P={self.shape[1]}, backend={self.backend!r})"
