"""Minimum-norm interpolation (002, (C.1)) and sparsification (000 spec Sec. 3.1 (b)), checked
against an independent cvxpy model, LP duality, closed forms of 002 App. C (Prop. C.3,
Lemma C.6 corrected, Lemma C.5) and the Lasso as beta -> 0 (002 Cor. C.1)."""
from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from gaconvex._validation import GaconvexError
from gaconvex.solvers import LassoProblem, certificate, min_norm, solve_reference, sparsify
from lasso_cases import ramp_data, random_lasso, relu_ramps


def _cvxpy_min_norm(A, y, intercept=True):
    z = cp.Variable(A.shape[1])
    xi = cp.Variable() if intercept else 0.0
    model = cp.Problem(cp.Minimize(cp.norm1(z)), [A @ z + xi == y])
    model.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return model.value


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_min_norm_matches_cvxpy_and_is_a_sparse_interpolant(seed):
    """(C.1) on the ReLU ramps with duplicated columns: the HiGHS LP value equals an
    interior-point cvxpy model of min ||z||_1 s.t. A z + xi 1 = y; the solution interpolates
    and is a vertex with m* <= N - 1 (N equality rows, one taken by xi)."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, 7))[::-1]
    y = rng.standard_normal(7)
    A = np.hstack([relu_ramps(x), relu_ramps(x)[:, :5]])
    result = min_norm(A, y)
    assert result.objective == pytest.approx(_cvxpy_min_norm(A, y), rel=1e-7)
    assert result.objective == pytest.approx(np.abs(result.z).sum(), rel=1e-14)
    np.testing.assert_allclose(A @ result.z + result.xi, y, atol=1e-9)
    assert np.count_nonzero(result.z) <= len(y) - 1
    assert result.solver == "min_norm/highs" and result.status == "optimal"


def test_min_norm_dual_certifies_the_value():
    """LP duality: mu = min_norm(...).dual has ||A^T mu||_inf <= 1, 1^T mu = 0 and
    -mu^T y = ||z*||_1, an optimality certificate independent of the primal solver."""
    x, y, A = ramp_data()
    result = min_norm(A, y)
    mu = result.dual
    assert np.max(np.abs(A.T @ mu)) <= 1 + 1e-9
    assert abs(mu.sum()) < 1e-9
    assert -mu @ y == pytest.approx(result.objective, rel=1e-9)


def test_relu_min_norm_closed_form_lemma_c6_corrected():
    """002 Lemma C.6 as corrected in the spec (Sec. 4.2): with mu_n the data slopes and
    c_n = mu_n - mu_{n+1} (interior kinks), min ||z||_1 = sum |c_n| + dist(mu_1, [S-, S+]);
    the printed formula sum_{n<N} |mu_n - mu_{n+1}| (mu_N = 0) is only an upper bound."""
    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        n = int(rng.integers(3, 9))
        x = np.sort(rng.uniform(-2, 2, n))[::-1]
        y = rng.standard_normal(n)
        mu = np.diff(y) / np.diff(x)
        c = mu[:-1] - mu[1:]
        s_minus, s_plus = c[c < 0].sum(), c[c > 0].sum()
        exact = np.abs(c).sum() + max(s_minus - mu[0], 0.0, mu[0] - s_plus)
        printed = np.abs(np.diff(np.r_[mu, 0.0])).sum()
        value = min_norm(relu_ramps(x), y).objective
        assert value == pytest.approx(exact, rel=1e-9)
        assert printed >= value - 1e-9


def test_fig_3_5_data_two_layer_relu_min_norm_c18():
    """002 Lemma C.7 / C18: on x = (4, 3, 1, 0, -1), y = (2, 1, 0, 0, 1) the 2-layer ReLU
    min-norm value is 2.0."""
    x, y = np.array([4.0, 3.0, 1.0, 0.0, -1.0]), np.array([2.0, 1.0, 0.0, 0.0, 1.0])
    assert min_norm(relu_ramps(x), y).objective == pytest.approx(2.0, rel=1e-12)


def test_sign_min_norm_is_the_inverse_prop_c3():
    """002 Prop. C.3: the 2-layer sign dictionary A_ij = sign(x_i - x_j) (sign(0) = 1) is
    invertible, so with xi = 0 the min-norm solution is A^{-1} y."""
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(-2, 2, 6))[::-1]
    y = rng.standard_normal(6)
    A = np.where(x[:, None] - x[None, :] >= 0, 1.0, -1.0)
    result = min_norm(A, y, intercept=False)
    np.testing.assert_allclose(result.z, np.linalg.solve(A, y), atol=1e-10)
    assert result.xi == 0.0


def test_min_norm_lower_bound_lemma_c5():
    """002 Lemma C.5: ramps have slopes in {0, +-1}, so min ||z||_1 >= max_n |mu_n|."""
    x, y, A = ramp_data()
    assert min_norm(A, y).objective >= np.max(np.abs(np.diff(y) / np.diff(x))) - 1e-12


def test_lasso_with_tiny_beta_approaches_min_norm_cor_c1():
    """002 Cor. C.1 / App. C: as beta -> 0 the Lasso value / beta -> min ||z||_1, and
    ||z_beta||_1 -> min ||z||_1 (from below: the Lasso trades a little fit for norm)."""
    x, y, A = ramp_data()
    target = min_norm(A, y).objective
    for beta, tol in [(1e-4, 1e-2), (1e-6, 1e-4)]:
        lasso = solve_reference(LassoProblem(A, y, beta))
        assert lasso.objective / beta == pytest.approx(target, rel=tol)
        assert np.abs(lasso.z).sum() <= target * (1 + 1e-8)


def test_min_norm_with_unpenalized_column():
    """(C.1) with a free skip column U = x equals the cvxpy model with an extra free variable."""
    x, y, A = ramp_data()
    result = min_norm(A, y, unpenalized=x)
    z, xi, w = cp.Variable(A.shape[1]), cp.Variable(), cp.Variable()
    model = cp.Problem(cp.Minimize(cp.norm1(z)), [A @ z + xi + w * x == y])
    model.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert result.objective == pytest.approx(model.value, rel=1e-7)
    np.testing.assert_allclose(A @ result.z + result.xi + result.omega[0] * x, y, atol=1e-9)


def test_min_norm_infeasible_raises():
    """y outside the range of [A, 1]: no interpolant exists; the error says so and what to do."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((10, 3))
    with pytest.raises(GaconvexError, match="not in the range") as info:
        min_norm(A, rng.standard_normal(10))
    assert "beta_t > 0" in str(info.value)


def test_sparsify_keeps_fit_and_norm_with_at_most_n_nonzeros():
    """000 spec Sec. 3.1 (b): the interior point spreads weight over duplicated columns;
    the LP vertex has the same fit, the same ||z||_1 and objective, m* <= N, and is certified."""
    rng = np.random.default_rng(5)
    x = np.sort(rng.uniform(-2, 2, 8))[::-1]
    y = rng.standard_normal(8)
    A = np.hstack([relu_ramps(x)] * 4)
    problem = LassoProblem(A, y, 1e-3)
    dense = solve_reference(problem)
    vertex = sparsify(problem, dense)
    assert dense.m_star > len(y)
    assert vertex.m_star <= len(y) and np.count_nonzero(vertex.z) == vertex.m_star
    np.testing.assert_allclose(vertex.fitted, dense.fitted, atol=1e-8)
    assert np.abs(vertex.z).sum() == pytest.approx(np.abs(dense.z).sum(), rel=1e-8)
    assert vertex.objective == pytest.approx(dense.objective, rel=1e-10)
    assert vertex.solver == "reference/CLARABEL+sparsify"
    assert certificate(problem, vertex).ok(1e-6)


def test_sparsify_general_loss_keeps_subgradient():
    """For the quantile loss the vertex keeps the fit, the objective and the dual subgradient."""
    A, y = random_lasso(n=15, p=40, seed=12)
    problem = LassoProblem(A, y, 0.3, loss="quantile", tau=0.3)
    dense = solve_reference(problem)
    vertex = sparsify(problem, dense)
    assert vertex.m_star <= 15
    assert vertex.objective == pytest.approx(dense.objective, rel=1e-8)
    np.testing.assert_array_equal(vertex.dual, dense.dual)
