"""LassoProblem (002, eq. (1.2) with U and general losses, Lemma D.16), the dictionary
operator protocol, and input validation: every bad input gives a GaconvexError that
says what was expected."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gaconvex._validation import GaconvexError
from gaconvex.solvers import (DictionaryOperator, LassoProblem, MatrixOperator, as_operator,
                              certificate, solve, solve_reference)
from lasso_cases import random_lasso


def test_objective_is_the_written_formula():
    """objective(z, xi, omega) = 1/2 ||A z + xi 1 + U omega - y||^2 + beta_t ||z||_1."""
    A, y = random_lasso(n=10, p=6)
    U = np.arange(20.0).reshape(10, 2)
    z, xi, omega = np.linspace(-1, 1, 6), 0.3, np.array([0.1, -0.2])
    problem = LassoProblem(A, y, 0.7, unpenalized=U)
    r = A @ z + xi + U @ omega - y
    assert problem.objective(z, xi, omega) == pytest.approx(0.5 * r @ r + 0.7 * np.abs(z).sum(), rel=1e-14)
    np.testing.assert_allclose(problem.residual(z, xi, omega), r)


def test_losses_are_the_written_formulas():
    """quantile: sum 0.5|e| + (tau - 0.5) e of the error e = y - y_hat (002 Sec. 4: it models
    the tau-quantile); l1: sum |e| (002 Lemma D.16 general losses)."""
    A, y = random_lasso(n=10, p=6)
    z = np.linspace(-1, 1, 6)
    e = y - (A @ z + 0.2)
    q = LassoProblem(A, y, 0.5, loss="quantile", tau=0.8).objective(z, 0.2)
    assert q == pytest.approx(np.sum(0.5 * np.abs(e) + 0.3 * e) + 0.5 * np.abs(z).sum(), rel=1e-14)
    r = -e
    l1 = LassoProblem(A, y, 0.5, loss="l1").objective(z, 0.2)
    assert l1 == pytest.approx(np.abs(r).sum() + 0.5 * np.abs(z).sum(), rel=1e-14)


def test_beta_max_without_intercept_and_sklearn_alpha():
    """Without intercept nothing is projected out: beta_max = ||A^T y||_inf; alpha = beta_t / N."""
    A, y = random_lasso(n=12, p=7)
    problem = LassoProblem(A, y, 0.6, intercept=False)
    assert problem.beta_max() == pytest.approx(np.max(np.abs(A.T @ y)), rel=1e-14)
    assert problem.to_sklearn_alpha() == pytest.approx(0.6 / 12)


def test_beta_max_is_squared_loss_only():
    A, y = random_lasso(n=8, p=5)
    with pytest.raises(GaconvexError, match="squared loss"):
        LassoProblem(A, y, 1.0, loss="l1").beta_max()


class RowScaledOperator:
    """A matrix-free operator diag(d) @ G, with no dense form (to_dense raises)."""

    def __init__(self, d, G):
        self.d, self.G = d, G

    @property
    def shape(self):
        return self.G.shape

    def matvec(self, z):
        return self.d * (self.G @ z)

    def rmatvec(self, r):
        return self.G.T @ (self.d * r)

    def columns(self, idx):
        return self.d[:, None] * self.G[:, idx]

    def column_norms(self):
        return np.linalg.norm(self.d[:, None] * self.G, axis=0)

    def to_dense(self):
        raise NotImplementedError("matrix-free")


def test_operator_protocol_and_wrappers():
    """as_operator wraps arrays and scipy.sparse, passes protocol objects through; all agree."""
    A, y = random_lasso(n=9, p=5)
    z, r = np.arange(5.0), np.arange(9.0)
    dense, sparse = as_operator(A), as_operator(sp.csr_matrix(A))
    custom = RowScaledOperator(np.ones(9), A)
    assert isinstance(dense, MatrixOperator) and isinstance(custom, DictionaryOperator)
    assert as_operator(custom) is custom and not isinstance(A, DictionaryOperator)
    for op in (dense, sparse, custom):
        assert op.shape == (9, 5)
        np.testing.assert_allclose(op.matvec(z), A @ z)
        np.testing.assert_allclose(op.rmatvec(r), A.T @ r)
        np.testing.assert_allclose(op.columns([3])[:, 0], A[:, 3])
        np.testing.assert_allclose(op.column_norms(), np.linalg.norm(A, axis=0))
    np.testing.assert_array_equal(sparse.to_dense(), A)
    assert "sparse" in repr(sparse) and "dense" in repr(dense)


def test_matrix_free_operator_in_problem_and_certificate():
    """Objective, beta_max and certificate use only matvec/rmatvec, so a matrix-free operator
    gives the dense answers; the reference solver needs to_dense and says so."""
    A, y = random_lasso(n=12, p=8)
    d = np.linspace(0.5, 2.0, 12)
    dense_problem = LassoProblem(d[:, None] * A, y, 0.4)
    free_problem = LassoProblem(RowScaledOperator(d, A), y, 0.4)
    assert free_problem.beta_max() == pytest.approx(dense_problem.beta_max(), rel=1e-12)
    solution = solve_reference(dense_problem)
    assert free_problem.objective(solution.z, solution.xi) == pytest.approx(solution.objective, rel=1e-12)
    assert certificate(free_problem, solution).ok(1e-6)
    with pytest.raises(GaconvexError, match="dense matrix"):
        solve_reference(free_problem)


def test_sparse_dictionary_solves_like_dense():
    A, y = random_lasso(n=12, p=10)
    A[np.abs(A) < 0.8] = 0.0
    a = solve(LassoProblem(A, y, 0.3))
    b = solve(LassoProblem(sp.csc_matrix(A), y, 0.3))
    assert b.objective == pytest.approx(a.objective, rel=1e-9)


def test_column_target_and_repr():
    A, y = random_lasso(n=6, p=4)
    problem = LassoProblem(A, y[:, None], 0.1, loss="quantile", tau=0.25, unpenalized=np.ones(6))
    assert problem.y.shape == (6,)
    assert repr(problem) == ("LassoProblem(N=6, P=4, beta_t=0.1, intercept=True, unpenalized=1, "
                             "QuantileLoss(tau=0.25))")


# ----------------------------------------------------------------------------- bad input
finite = st.floats(-10, 10, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 6), st.integers(1, 5), st.sampled_from([np.nan, np.inf, -np.inf]),
       st.sampled_from(["A", "y", "U"]), st.data())
def test_non_finite_input_is_rejected(n, p, bad, where, data):
    """NaN/inf anywhere in A, y or U: the message names the array and the first bad index."""
    A = np.ones((n, p))
    y = np.zeros(n)
    U = np.ones((n, 1))
    target = {"A": A, "y": y, "U": U}[where]
    index = tuple(data.draw(st.integers(0, s - 1)) for s in target.shape)
    target[index] = bad
    with pytest.raises(GaconvexError) as info:
        LassoProblem(A, y, 1.0, unpenalized=U)
    message = str(info.value)
    assert "non-finite" in message and str(index) in message
    assert {"A": "A", "y": "y", "U": "unpenalized"}[where] in message


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 6), st.integers(1, 4), st.integers(1, 3))
def test_mismatched_shapes_are_rejected(n, p, shift):
    """y with a different number of rows than A, or U with the wrong number of rows."""
    A = np.ones((n, p))
    with pytest.raises(GaconvexError, match=rf"y has {n + shift} rows but there are {n} inputs"):
        LassoProblem(A, np.zeros(n + shift), 1.0)
    with pytest.raises(GaconvexError, match=r"unpenalized \(U\) has .* rows but A and y have .*reshape"):
        LassoProblem(A, np.zeros(n), 1.0, unpenalized=np.ones((n + shift, 2)))


@settings(max_examples=25, deadline=None)
@given(st.one_of(st.floats(max_value=-1e-12, allow_nan=False, allow_infinity=False),
                 st.just(np.inf), st.just(np.nan)))
def test_bad_beta_is_rejected(beta):
    """beta_t must be finite and >= 0; the message names beta tilde and suggests min_norm."""
    with pytest.raises(GaconvexError, match="beta_t must be finite and >= 0") as info:
        LassoProblem(np.ones((3, 2)), np.zeros(3), beta)
    assert "min_norm" in str(info.value)


@pytest.mark.parametrize("kwargs, message", [
    ({"beta_t": "0.1"}, "beta_t must be a real number"),
    ({"beta_t": True}, "beta_t must be a real number"),
    ({"loss": "hinge"}, r"loss must be one of \['squared', 'quantile', 'l1', 'squared_hinge', 'logistic'\]"),
    ({"loss": "quantile", "tau": 1.0}, "tau must be a number strictly between 0 and 1"),
    ({"A": np.ones(3)}, r"A must be a 2-D dictionary .*reshape\(-1, 1\)"),
    ({"A": np.ones((3, 0))}, r"N >= 1 samples and P >= 1 features"),
    ({"A": [["a", "b"]] * 3}, "A must be numeric"),
    ({"y": np.ones((3, 2))}, r"one target vector of shape \(N,\)"),
    ({"unpenalized": np.ones((3, 1, 1))}, r"unpenalized \(U\) must have 1 or 2 dimension"),
])
def test_bad_arguments_give_helpful_messages(kwargs, message):
    args = {"A": np.ones((3, 2)), "y": np.zeros(3), "beta_t": 0.1, **kwargs}
    with pytest.raises(GaconvexError, match=message):
        LassoProblem(args.pop("A"), args.pop("y"), args.pop("beta_t"), **args)


def test_bad_points_are_rejected():
    """Wrong coefficient sizes and an intercept for a problem without one."""
    problem = LassoProblem(np.ones((3, 2)), np.zeros(3), 0.1, intercept=False)
    with pytest.raises(GaconvexError, match="z has 3 entries but the dictionary has 2 columns"):
        problem.objective(np.zeros(3))
    with pytest.raises(GaconvexError, match="intercept=False"):
        problem.objective(np.zeros(2), xi=1.0)
    with pytest.raises(GaconvexError, match="omega has 1 entries but there are 0"):
        problem.objective(np.zeros(2), omega=np.zeros(1))
