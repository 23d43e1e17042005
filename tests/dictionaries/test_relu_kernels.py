"""The fused ReLU passes of matrix-free wedge blocks (gaconvex.dictionaries._relu_kernels)
against the dense columns relu(X W^T + b) (BLAS) and storage.stable_norms as oracles."""
from __future__ import annotations

import numpy as np
import pytest

from gaconvex.dictionaries._relu_kernels import TILE, column_norms, correlations
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
