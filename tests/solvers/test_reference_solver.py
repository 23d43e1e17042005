"""The cvxpy/Clarabel reference solver, each claim checked against an independent oracle:
scikit-learn's coordinate descent, KKT conditions written out by hand (002 Sec. 7 notes),
the dual of 002 Sec. 2.8 / Lemma D.8, hand-built cvxpy models, and 002 claims C19-C21."""
from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from sklearn.linear_model import Lasso

from gaconvex.solvers import LassoProblem, solve_reference, sparsify
from lasso_cases import ramp_data, random_lasso, relu_ramps


def _sklearn_fit(A, y, alpha, fit_intercept):
    model = Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-14, max_iter=1_000_000)
    model.fit(A, y)
    return model.coef_, float(model.intercept_)


@pytest.mark.parametrize("seed, fraction", [(0, 0.05), (1, 0.3), (2, 0.7)])
def test_matches_sklearn_with_intercept(seed, fraction):
    """Lasso(alpha = beta_t / N, fit_intercept=True) minimizes the same problem (objective / N):
    same objective to 1e-6 relative and same fitted values."""
    A, y = random_lasso(seed=seed)
    n = A.shape[0]
    beta_max = np.max(np.abs(A.T @ (y - y.mean())))
    problem = LassoProblem(A, y, fraction * beta_max)
    ours = solve_reference(problem)
    coef, intercept = _sklearn_fit(A, y, problem.to_sklearn_alpha(), True)
    assert problem.to_sklearn_alpha() == pytest.approx(problem.beta_t / n)
    sk_objective = 0.5 * np.sum((A @ coef + intercept - y) ** 2) + problem.beta_t * np.abs(coef).sum()
    assert ours.objective == pytest.approx(sk_objective, rel=1e-6)
    np.testing.assert_allclose(ours.fitted, A @ coef + intercept, atol=1e-5)
    assert ours.xi == pytest.approx(intercept, abs=1e-5)


def test_matches_sklearn_without_intercept():
    """intercept=False is Lasso(fit_intercept=False): no free bias (sign/threshold networks)."""
    A, y = random_lasso(seed=3)
    problem = LassoProblem(A, y, 0.2 * np.max(np.abs(A.T @ y)), intercept=False)
    ours = solve_reference(problem)
    coef, intercept = _sklearn_fit(A, y, problem.to_sklearn_alpha(), False)
    assert intercept == 0.0 and ours.xi == 0.0
    sk_objective = 0.5 * np.sum((A @ coef - y) ** 2) + problem.beta_t * np.abs(coef).sum()
    assert ours.objective == pytest.approx(sk_objective, rel=1e-6)
    np.testing.assert_allclose(ours.fitted, A @ coef, atol=1e-5)


@pytest.mark.parametrize("intercept", [True, False])
def test_kkt_and_dual_gap_by_hand(intercept):
    """KKT (002 Sec. 7): with lambda = A z + xi 1 - y, A_j^T lambda = -beta_t sign(z_j) on the
    support, |A_j^T lambda| <= beta_t elsewhere, 1^T lambda = 0; and the dual value
    -1/2 ||lambda||^2 - lambda^T y (002 Sec. 2.8) matches the primal to 1e-7 relative."""
    A, y = random_lasso(n=20, p=80, seed=4)
    beta = 0.1 * np.max(np.abs(A.T @ y))
    solution = solve_reference(LassoProblem(A, y, beta, intercept=intercept))
    z, xi = solution.z, solution.xi
    lam = A @ z + xi - y
    np.testing.assert_allclose(solution.dual, lam, atol=1e-12)
    corr = A.T @ lam
    on = np.abs(z) > 1e-6 * np.abs(z).max()
    np.testing.assert_allclose(corr[on], -beta * np.sign(z[on]), rtol=1e-6, atol=1e-7 * beta)
    assert np.all(np.abs(corr[~on]) <= beta * (1 + 1e-7))
    if intercept:
        assert abs(lam.sum()) < 1e-9
    primal = 0.5 * lam @ lam + beta * np.abs(z).sum()
    dual = -0.5 * lam @ lam - lam @ y
    assert primal - dual < 1e-7 * primal
    assert solution.objective == pytest.approx(primal, rel=1e-12)


def test_zero_solution_threshold_c21():
    """002 C21: z* = 0 iff beta_t >= ||A^T (y - mean(y) 1)||_inf (computed here by hand)."""
    A, y = random_lasso(n=15, p=30, seed=5)
    beta_max = np.max(np.abs(A.T @ (y - y.mean())))
    assert LassoProblem(A, y, 1.0).beta_max() == pytest.approx(beta_max, rel=1e-12)
    above = solve_reference(LassoProblem(A, y, beta_max * (1 + 1e-3)))
    below = solve_reference(LassoProblem(A, y, beta_max * (1 - 1e-2)))
    assert np.max(np.abs(above.z)) < 1e-8
    assert above.xi == pytest.approx(y.mean(), abs=1e-8)
    assert below.m_star >= 1 and np.max(np.abs(below.z)) > 1e-5


def test_zero_solution_threshold_with_unpenalized_column():
    """With U, beta_max projects y onto span{1, U} first; the threshold separates z* = 0 from z* != 0."""
    A, y = random_lasso(n=15, p=30, seed=6)
    u = np.linspace(-1, 1, 15)
    B = np.column_stack([np.ones(15), u])
    residual = y - B @ np.linalg.solve(B.T @ B, B.T @ y)
    beta_max = np.max(np.abs(A.T @ residual))
    problem = LassoProblem(A, y, 1.0, unpenalized=u)
    assert problem.beta_max() == pytest.approx(beta_max, rel=1e-10)
    above = solve_reference(LassoProblem(A, y, beta_max * (1 + 1e-3), unpenalized=u))
    below = solve_reference(LassoProblem(A, y, beta_max * (1 - 1e-2), unpenalized=u))
    assert np.max(np.abs(above.z)) < 1e-8 and np.max(np.abs(below.z)) > 1e-5


def test_residual_vanishes_as_beta_goes_to_zero_c19():
    """002 Cor. C.1 / C19: the ramp dictionary [A+, A-] has full row rank N, so
    ||A z* + xi* 1 - y|| -> 0 as beta -> 0, roughly monotonically (here: monotonically)."""
    x, y, A = ramp_data()
    assert np.linalg.matrix_rank(A) == len(x)
    betas = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]
    residuals = [np.linalg.norm(solve_reference(LassoProblem(A, y, b)).fitted - y) for b in betas]
    assert all(r2 <= r1 * (1 + 1e-6) for r1, r2 in zip(residuals, residuals[1:]))
    assert residuals[-1] < 1e-4 * np.linalg.norm(y)
    assert residuals[-1] < 1e-3 * residuals[0]


def test_fit_and_intercept_unique_generic_dictionary_c20():
    """002 Lemma E.2 / C20 on a generic (Gaussian) dictionary: Clarabel and scikit-learn's
    coordinate descent, and Clarabel on a copy with duplicated, permuted columns (many
    solutions), give the same fit y_hat and the same intercept xi*."""
    A, y = random_lasso(n=20, p=50, seed=11)
    beta = 0.2 * np.max(np.abs(A.T @ (y - y.mean())))
    base = solve_reference(LassoProblem(A, y, beta))
    coef, intercept = _sklearn_fit(A, y, beta / len(y), True)
    np.testing.assert_allclose(base.fitted, A @ coef + intercept, atol=1e-6)
    assert base.xi == pytest.approx(intercept, abs=1e-6)

    perm = np.random.default_rng(0).permutation(2 * A.shape[1])
    dup = solve_reference(LassoProblem(np.hstack([A, A])[:, perm], y, beta))
    np.testing.assert_allclose(dup.fitted, base.fitted, atol=1e-7)
    assert dup.xi == pytest.approx(base.xi, abs=1e-7)
    assert dup.objective == pytest.approx(base.objective, rel=1e-9)


def test_fit_unique_but_intercept_not_on_ramps_lemma_e2_erratum():
    """002 Lemma E.2: y_hat is unique (strict convexity in the fit), but the claimed uniqueness of
    xi* (and of A z*) fails for the ReLU ramps: A+_n - A-_n = x - x_n, so differences of such
    pairs give constant columns and xi trades against z at constant ||z||_1 (the paper's
    Hessian I - 11^T/N is singular along 1). Three certified optima (Clarabel, its sparsified
    vertex, scikit-learn) share y_hat and the objective but not xi."""
    x, y, A = ramp_data()
    problem = LassoProblem(A, y, 0.05)
    dense = solve_reference(problem)
    vertex = sparsify(problem, dense)
    coef, intercept = _sklearn_fit(A, y, 0.05 / len(y), True)
    fits = [dense.fitted, vertex.fitted, A @ coef + intercept]
    values = [dense.objective, vertex.objective, problem.objective(coef, intercept)]
    for fit, value in zip(fits[1:], values[1:]):
        np.testing.assert_allclose(fit, fits[0], atol=1e-8)
        assert value == pytest.approx(values[0], rel=1e-9)
    xis = [dense.xi, vertex.xi, intercept]
    assert max(xis) - min(xis) > 1e-2
    diff = A[:, :8] - A[:, 8:]
    np.testing.assert_allclose(diff[:, 0] - diff[:, 1], (x[1] - x[0]) * np.ones(8), atol=1e-12)


def test_unpenalized_column_equals_zero_penalty_column():
    """Skip connection (002 Sec. 1.6): U = x is the expanded problem [A, x] with penalty 0 on x,
    solved here as a hand-built cvxpy model with per-column weights."""
    x, y, A = ramp_data()
    beta = 0.03
    ours = solve_reference(LassoProblem(A, y, beta, unpenalized=x))

    A_ext = np.column_stack([A, x])
    weights = np.r_[np.full(A.shape[1], beta), 0.0]
    w, b = cp.Variable(A_ext.shape[1]), cp.Variable()
    model = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A_ext @ w + b - y) + cp.norm1(cp.multiply(weights, w))))
    model.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert ours.objective == pytest.approx(model.value, rel=1e-7)
    np.testing.assert_allclose(ours.fitted, A_ext @ w.value + b.value, atol=1e-6)
    assert ours.omega.shape == (1,)
    lam = ours.fitted - y
    assert abs(x @ lam) < 1e-9 and abs(lam.sum()) < 1e-9


def _direct_cvxpy(A, y, beta, residual_loss, intercept=True):
    z = cp.Variable(A.shape[1])
    xi = cp.Variable() if intercept else 0.0
    model = cp.Problem(cp.Minimize(residual_loss(A @ z + xi - y) + beta * cp.norm1(z)))
    model.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return model.value


@pytest.mark.parametrize("tau", [0.2, 0.5, 0.9])
def test_quantile_loss_matches_direct_cvxpy(tau):
    """General loss (002 Lemma D.16, D.24; Sec. 4): pinball sum rho_tau(e) of the error
    e = y - y_hat, rho_tau(e) = 0.5|e| + (tau - 0.5) e, written here as max(tau e, (tau - 1) e)."""
    A, y = random_lasso(n=20, p=40, seed=8)
    problem = LassoProblem(A, y, 0.3, loss="quantile", tau=tau)
    ours = solve_reference(problem)
    value = _direct_cvxpy(A, y, 0.3, lambda r: cp.sum(cp.maximum(-tau * r, (1 - tau) * r)))
    assert ours.objective == pytest.approx(value, rel=1e-6)
    e = y - ours.fitted
    assert ours.objective == pytest.approx(np.sum(np.maximum(tau * e, (tau - 1) * e)) + 0.3 * np.abs(ours.z).sum(), rel=1e-12)


def test_l1_loss_matches_direct_cvxpy_and_half_pinball():
    """l1 loss sum |r_i| against cvxpy; pinball with tau = 1/2 is half of it: the tau = 0.5
    problem with beta equals half the l1 problem with 2 beta (same fit, value / 2)."""
    A, y = random_lasso(n=20, p=40, seed=9)
    l1 = solve_reference(LassoProblem(A, y, 0.4, loss="l1"))
    assert l1.objective == pytest.approx(_direct_cvxpy(A, y, 0.4, cp.norm1), rel=1e-6)
    half = solve_reference(LassoProblem(A, y, 0.2, loss="quantile", tau=0.5))
    assert half.objective == pytest.approx(0.5 * l1.objective, rel=1e-6)
    z = np.random.default_rng(1).standard_normal(A.shape[1])
    p_q, p_l1 = LassoProblem(A, y, 0.0, loss="quantile", tau=0.5), LassoProblem(A, y, 0.0, loss="l1")
    assert p_q.objective(z, 0.3) == pytest.approx(0.5 * p_l1.objective(z, 0.3), rel=1e-14)


def test_general_loss_without_intercept_and_with_unpenalized():
    """The quantile loss with intercept=False and U: objective equals a hand-built cvxpy model
    (pinball of the error e = y - y_hat = -r)."""
    A, y = random_lasso(n=18, p=30, seed=10)
    u = np.random.default_rng(2).standard_normal((18, 2))
    ours = solve_reference(LassoProblem(A, y, 0.25, intercept=False, unpenalized=u, loss="quantile", tau=0.7))
    z, w = cp.Variable(30), cp.Variable(2)
    r = A @ z + u @ w - y
    model = cp.Problem(cp.Minimize(cp.sum(cp.maximum(-0.7 * r, 0.3 * r)) + 0.25 * cp.norm1(z)))
    model.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert ours.objective == pytest.approx(model.value, rel=1e-6)
    assert ours.xi == 0.0 and ours.omega.shape == (2,)


def test_other_cvxpy_back_end_agrees():
    """A second back end (SCS, first-order) reaches the same optimal value as Clarabel."""
    x, y, A = ramp_data()
    problem = LassoProblem(A, y, 0.05)
    clarabel = solve_reference(problem)
    scs = solve_reference(problem, cvxpy_solver="SCS", tol=1e-9)
    assert scs.solver == "reference/SCS"
    assert scs.objective == pytest.approx(clarabel.objective, rel=1e-5)


def test_relu_ramp_builder_matches_definition():
    """The test dictionary: A+_{i,n} = (x_i - x_n)_+, A-_{i,n} = (x_n - x_i)_+."""
    x = np.array([2.0, 0.5, -1.0])
    A = relu_ramps(x)
    assert A[0, 1] == 1.5 and A[1, 0] == 0.0 and A[1, 3] == 1.5 and A[0, 3] == 0.0
