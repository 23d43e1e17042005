"""The fused ReLU passes of matrix-free wedge blocks (gaconvex.dictionaries._relu_kernels)
against the dense columns relu(X W^T + b) (BLAS) and storage.stable_norms as oracles."""
from __future__ import annotations

import numpy as np
import pytest

import gaconvex.symbolic as gs
from gaconvex._validation import GaconvexError
from gaconvex.dictionaries import build_dictionary
from gaconvex.dictionaries._relu_kernels import TILE, column_norms, correlations, correlations_at
from gaconvex.dictionaries.storage import stable_norms


def dense(X, W, b):
    return np.maximum(X @ W.T + b, 0.0)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
@pytest.mark.parametrize("n_columns", [1, TILE - 1, 3 * TILE + 7])
def test_correlations_and_norms_equal_the_dense_products(rng, d, n_columns):
    X = rng.normal(size=(37, d))
    W = rng.normal(size=(n_columns, d))
    b = rng.normal(size=n_columns)
    r = rng.normal(size=37)
    A = dense(X, W, b)
    np.testing.assert_allclose(correlations(X, W, b, r), A.T @ r, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(column_norms(X, W, b, lambda idx: dense(X, W[idx], b[idx])),
                               np.linalg.norm(A, axis=0), rtol=1e-12, atol=0)


def test_norms_of_huge_tiny_and_rounding_level_columns(rng):
    """Sums of squares that overflow (1e200) or underflow (1e-200) and columns that are zero up
    to cancellation are taken from the dense columns: the same values as stable_norms."""
    X = rng.normal(size=(50, 3))
    W = rng.normal(size=(12, 3))
    b = np.zeros(12)
    W[:3] *= 1e200
    W[3:6] *= 1e-200
    W[6] = np.cross(X[0], X[1])  # zero on x_0, x_1 up to rounding: a kink column
    b[7], W[7] = -1e3, [1.0, 0.0, 0.0]  # exactly zero column
    calls = []

    def evaluate(idx):
        calls.append(np.asarray(idx))
        return dense(X, W[idx], b[idx])

    norms = column_norms(X, W, b, evaluate)
    np.testing.assert_allclose(norms, stable_norms(dense(X, W, b)), rtol=1e-12, atol=0)
    assert norms[7] == 0.0 and np.isfinite(norms).all()
    assert set(range(6)) | {7} <= set(np.concatenate(calls).tolist())


@pytest.mark.parametrize("d", [1, 3, 5])
def test_correlations_at_an_index_equal_the_dense_subset_products(rng, d):
    """Any order, repeats, a tile boundary: A[:, idx]^T r of the dense columns."""
    X = rng.normal(size=(41, d))
    W = rng.normal(size=(3 * TILE + 5, d))
    b = rng.normal(size=W.shape[0])
    r = rng.normal(size=41)
    idx = np.concatenate([rng.permutation(W.shape[0])[:TILE + 9], [0, 0, W.shape[0] - 1]])
    np.testing.assert_allclose(correlations_at(X, W, b, idx, r), dense(X, W, b)[:, idx].T @ r,
                               rtol=1e-12, atol=1e-12)
    assert correlations_at(X, W, b, np.zeros(0, dtype=int), r).shape == (0,)
    with pytest.raises(GaconvexError, match="column indices"):
        correlations_at(X, W, b, [W.shape[0]], r)


@pytest.mark.parametrize("dim, bias", [(2, True), (3, False)])
def test_kernel_store_rmatvec_columns_equals_the_dense_library(rng, dim, bias):
    """A matrix-free wedge library's restricted pass (Dictionary.rmatvec_columns) against the
    same library stored dense, on an index that crosses the orientation blocks."""
    X = rng.normal(size=(14, dim))
    arch = gs.architecture("relu", 2, dim=dim, norm=1, bias=bias)
    kernels = build_dictionary(X, arch, storage="kernels", deduplicate=False)
    A = build_dictionary(X, arch, storage="dense", deduplicate=False).to_dense()
    r = rng.normal(size=14)
    idx = rng.permutation(kernels.n_columns)[:kernels.n_columns // 2]
    np.testing.assert_allclose(kernels.rmatvec_columns(r, idx), A[:, idx].T @ r,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kernels.rmatvec_columns(r, idx), kernels.rmatvec(r)[idx],
                               rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("kind", ["1-D abs L=3", "reflection planes d=2"])
def test_kernel_store_rmatvec_columns_of_blocks_without_the_fused_kernel(rng, kind):
    """Blocks that are not plain ReLU wedge columns (1-D compiled families, the nested units
    of reflection-plane libraries) take the subset and run their own rmatvec: the same as the
    dense library's A[:, idx]^T r."""
    from gaconvex.dictionaries import library_1d, reflection_plane_library

    if kind.startswith("1-D"):
        x = np.sort(rng.uniform(-2, 2, 12))
        kernels = library_1d(x, gs.architecture("abs", 3), storage="kernels", deduplicate=False)
        A = library_1d(x, gs.architecture("abs", 3), deduplicate=False).to_dense()
    else:
        X = rng.normal(size=(9, 2))
        arch = gs.architecture("abs", 3, dim=2)
        kernels = reflection_plane_library(X, arch, storage="kernels", deduplicate=False)
        A = reflection_plane_library(X, arch, deduplicate=False).to_dense()
    assert kernels.n_columns == A.shape[1]
    r = rng.normal(size=A.shape[0])
    idx = rng.permutation(A.shape[1])[:A.shape[1] // 3]
    np.testing.assert_allclose(kernels.rmatvec_columns(r, idx), A[:, idx].T @ r,
                               rtol=1e-12, atol=1e-12)


def test_dense_and_torch_stores_rmatvec_columns(rng):
    """The in-memory stores' subset products (the working set's restricted passes): A[:, idx]^T r
    for any order, repeats and negative indices."""
    torch = pytest.importorskip("torch")
    from gaconvex.dictionaries.storage import DenseColumns, TorchColumns

    A = rng.normal(size=(7, 20))
    r = rng.normal(size=7)
    idx = [3, 0, 19, 3, -1]
    expected = A[:, idx].T @ r
    for store in (DenseColumns(A), TorchColumns(torch.as_tensor(A))):
        np.testing.assert_allclose(store.rmatvec_columns(r, idx), expected, rtol=1e-13, atol=1e-13)
    with pytest.raises(GaconvexError, match="column indices"):
        DenseColumns(A).rmatvec_columns(r, [20])
