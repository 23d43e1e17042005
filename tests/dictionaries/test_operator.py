"""Matrix-free dictionaries: products through the symbolic kernels equal the dense matrix, and
the Dictionary itself is the solvers' operator, whatever stores its columns."""
from __future__ import annotations

import numpy as np
import pytest

import gaconvex.symbolic as gs
from gaconvex._validation import GaconvexError
from gaconvex.dictionaries import library_1d
from gaconvex.solvers import DictionaryOperator, LassoProblem, solve

ARCHS = [gs.architecture("relu", 2, skip=True), gs.architecture("abs", 3),
         gs.architecture(("leaky_relu", 0.2), 3), gs.architecture("threshold", 2),
         gs.architecture("relu", 3, "symmetrized")]


@pytest.mark.parametrize("arch", ARCHS, ids=str)
def test_operator_products_equal_the_dense_matrix(rng, arch):
    x = rng.uniform(-2, 2, 6)
    D = library_1d(x, arch, deduplicate=False)
    op = library_1d(x, arch, storage="kernels")
    assert isinstance(op, DictionaryOperator) and op.matrix_free
    A = D.to_dense()
    assert op.shape == A.shape
    z, r = rng.standard_normal(op.shape[1]), rng.standard_normal(op.shape[0])
    np.testing.assert_allclose(op.matvec(z), A @ z, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.rmatvec(r), A.T @ r, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.to_dense(), A, atol=1e-14)
    np.testing.assert_allclose(op.column_norms(), np.linalg.norm(A, axis=0), rtol=1e-12)
    for j in (0, op.shape[1] // 2, op.shape[1] - 1):
        np.testing.assert_allclose(op.column(j), A[:, j], atol=1e-14)
    idx = [op.shape[1] - 1, 0, op.shape[1] // 2]
    np.testing.assert_allclose(op.columns(idx), A[:, idx], atol=1e-14)


def test_matrix_free_lasso_equals_dense_lasso(rng):
    """A matrix-free dictionary gives the same Lasso optimum and certificate as the dense one."""
    x, y = rng.uniform(-2, 2, 6), rng.standard_normal(6)
    arch = gs.architecture("abs", 3)
    dense = solve(LassoProblem.from_dictionary(library_1d(x, arch, deduplicate=False), y, 0.05))
    free = solve(LassoProblem.from_dictionary(library_1d(x, arch, storage="kernels"), y, 0.05))
    assert free.objective == pytest.approx(dense.objective, rel=1e-9)
    np.testing.assert_allclose(free.fitted, dense.fitted, atol=1e-8)
    assert free.certificate.ok(1e-6)


def test_libraries_too_large_for_memory_stay_matrix_free(rng):
    """ReLU L = 4 on 60 points has 1.7 million columns: refused densely under a 100 MB limit,
    served matrix-free; its A.T r agrees with columns evaluated one at a time."""
    x = rng.uniform(-2, 2, 60)
    arch = gs.architecture("relu", 4)
    with pytest.raises(GaconvexError, match="memory_limit"):
        library_1d(x, arch, memory_limit=1e8)
    D = library_1d(x, arch, storage="kernels")
    op = D
    assert op.shape == (60, 8 * 60**3)
    r = rng.standard_normal(60)
    corr = op.rmatvec(r)
    for j in rng.integers(0, op.shape[1], 5):
        assert corr[j] == pytest.approx(D.feature(int(j))(x) @ r, abs=1e-10)
