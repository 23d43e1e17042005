"""The torch FISTA solver with its exact finish (fast-solver issue): the same optimum as cvxpy +
Clarabel (tests/lasso_oracles.py) on 1-D families, with weights, unpenalized columns and the
smooth classification losses; exact zeros; degenerate inputs (hypothesis); FISTA's own
iterates (no finish) against the oracle; backtracking, time limit, Ctrl-C and devices."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import gaconvex.symbolic as gs
from gaconvex._validation import GaconvexError
from gaconvex.dictionaries import library_1d
from gaconvex.solvers import LassoProblem, MatrixOperator, choose_solver, solve
from gaconvex.solvers import first_order
from lasso_oracles import cvxpy_lasso_value

ARCHITECTURES = [gs.architecture("relu", 2), gs.architecture("abs", 2),
                 gs.architecture(("leaky_relu", 0.2), 3), gs.architecture("abs", 3),
                 gs.architecture("sign", 2), gs.architecture("relu", 2, skip=True)]


def _data(seed, n):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, n))
    return x, np.sin(3 * x) + 0.1 * rng.standard_normal(n)


def _labels(y):
    return np.where(y > np.median(y), 1.0, -1.0)


def _oracle(D, y, problem, **kw):
    U = D.unpenalized if D.unpenalized.shape[1] else None
    return cvxpy_lasso_value(D.to_dense(), y, problem.beta_t, intercept=D.intercept, U=U, **kw)


def _assert_exact(sol, n):
    """Exact zeros: the nonzeros of z are the support, a vertex (m* <= N)."""
    assert np.count_nonzero(sol.z) == sol.m_star <= n


@pytest.mark.parametrize("arch", ARCHITECTURES, ids=str)
def test_same_optimum_as_cvxpy_on_1d_families(arch):
    x, y = _data(3, 12)
    D = library_1d(x, arch)
    problem = LassoProblem.from_dictionary(D, y, 1e-2)
    sol = solve(problem, "fista")
    assert sol.certificate.ok(1e-9), sol.certificate.summary()
    assert sol.objective == pytest.approx(_oracle(D, y, problem), rel=1e-6)
    _assert_exact(sol, x.size)
    assert sol.solver == "fista" and sol.info["fista_iterations"] > 0


@pytest.mark.parametrize("loss", ["squared", "squared_hinge", "logistic"])
def test_weighted_losses_equal_cvxpy(loss):
    x, y = _data(4, 14)
    y = y if loss == "squared" else _labels(y)
    w = np.random.default_rng(5).uniform(0.2, 3.0, x.size)
    D = library_1d(x, gs.architecture("relu", 2))
    problem = LassoProblem.from_dictionary(D, y, 2e-2, loss=loss, sample_weight=w)
    sol = solve(problem, "fista")
    assert sol.certificate.ok(1e-8), sol.certificate.summary()
    assert sol.objective == pytest.approx(_oracle(D, y, problem, weights=w, loss=loss), rel=1e-6)
    _assert_exact(sol, x.size)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_unpenalized_columns_without_intercept(loss):
    rng = np.random.default_rng(6)
    A, U = rng.standard_normal((15, 40)), rng.standard_normal((15, 2))
    y = rng.standard_normal(15)
    y = y if loss == "squared" else _labels(y)
    problem = LassoProblem(A, y, 0.3, intercept=False, unpenalized=U, loss=loss)
    sol = solve(problem, "fista")
    assert sol.xi == 0.0 and sol.omega.shape == (2,)
    oracle = cvxpy_lasso_value(A, y, 0.3, intercept=False, U=U, loss=loss)
    assert sol.objective == pytest.approx(oracle, rel=1e-6)
    assert sol.certificate.ok(1e-8), sol.certificate.summary()


def test_fista_iterates_alone_converge_on_a_well_conditioned_problem():
    """Phase 1 without the finish is a correct solver: on a random Gaussian dictionary its
    iterate reaches the oracle's objective (so the finish does not hide a broken FISTA)."""
    rng = np.random.default_rng(8)
    A, y = rng.standard_normal((40, 25)), rng.standard_normal(40) + 1.0
    problem = LassoProblem(A, y, 2.0)
    sol = solve(problem, "fista", finish=False, switch_tol=1e-11, max_iter=20000)
    assert sol.status == "optimal" and sol.info["fista_gap"] <= 1e-11
    assert sol.objective == pytest.approx(cvxpy_lasso_value(A, y, 2.0), rel=1e-9)
    assert np.count_nonzero(sol.z) < A.shape[1]  # soft-thresholding leaves exact zeros


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_a_converged_fista_iterate_seeds_the_exact_finish(loss):
    rng = np.random.default_rng(19)
    A, y = rng.standard_normal((40, 25)), rng.standard_normal(40)
    y = y if loss == "squared" else _labels(y)
    problem = LassoProblem(A, y, 1.0, loss=loss)
    sol = solve(problem, "fista", switch_tol=1e-8, max_iter=20000)
    assert sol.info["seeded"] and sol.certificate.ok(1e-9), sol.certificate.summary()
    assert sol.objective == pytest.approx(cvxpy_lasso_value(A, y, 1.0, loss=loss), rel=1e-7)
    assert np.count_nonzero(sol.z) == sol.m_star


def test_backtracking_recovers_from_a_too_small_lipschitz_bound(monkeypatch):
    monkeypatch.setattr(first_order, "_lipschitz", lambda *args, **kw: 1e-6)
    rng = np.random.default_rng(9)
    A, y = rng.standard_normal((30, 20)), rng.standard_normal(30)
    sol = solve(LassoProblem(A, y, 1.0), "fista", finish=False, switch_tol=1e-10, max_iter=20000)
    assert sol.info["lipschitz"] > 1e3 * 1e-6  # it was doubled up to a working step
    assert sol.objective == pytest.approx(cvxpy_lasso_value(A, y, 1.0), rel=1e-8)


@pytest.mark.parametrize("loss", ["squared", "squared_hinge", "logistic"])
def test_beta_above_beta_max_gives_exactly_zero(loss):
    x, y = _data(10, 10)
    y = y if loss == "squared" else np.array([1.0] * 7 + [-1.0] * 3)
    D = library_1d(x, gs.architecture("relu", 2))
    sol = solve(LassoProblem.from_dictionary(D, y, 1e4, loss=loss), "fista")
    assert not sol.z.any()
    expected = {"squared": y.mean(), "logistic": np.log(7 / 3), "squared_hinge": 0.4}[loss]
    assert sol.xi == pytest.approx(expected, rel=1e-10)  # squared hinge: 7 (1-xi) = 3 (1+xi)
    assert sol.certificate.ok(1e-9)


def test_beta_max_is_the_threshold():
    x, y = _data(11, 10)
    D = library_1d(x, gs.architecture("abs", 2))
    problem = LassoProblem.from_dictionary(D, y, 1.0)
    top = problem.beta_max()
    below = solve(LassoProblem(D, y, 0.99 * top), "fista")
    above = solve(LassoProblem(D, y, 1.01 * top), "fista")
    assert below.z.any() and not above.z.any()


def test_constant_targets_and_one_column():
    x, _ = _data(12, 9)
    D = library_1d(x, gs.architecture("relu", 2))
    sol = solve(LassoProblem.from_dictionary(D, np.full(9, 2.5), 1e-3), "fista")
    assert not sol.z.any() and sol.xi == pytest.approx(2.5, rel=1e-14)
    a = np.random.default_rng(13).standard_normal((9, 1))
    y = 3.0 * a[:, 0] + 1.0
    sol = solve(LassoProblem(a, y, 0.5), "fista")
    assert sol.objective == pytest.approx(cvxpy_lasso_value(a, y, 0.5), rel=1e-9)
    assert sol.certificate.ok(1e-9)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), zeros=st.integers(0, 3), copies=st.integers(0, 4),
       beta=st.sampled_from([1e-3, 1e-1, 1.0]),
       loss=st.sampled_from(["squared", "squared_hinge", "logistic"]))
@example(seed=0, zeros=0, copies=1, beta=1e-3, loss="squared_hinge")  # FISTA's c once misled the finish
@example(seed=496, zeros=2, copies=2, beta=1e-3, loss="logistic")  # a copy entered at a rounding step
def test_zero_and_duplicate_columns(seed, zeros, copies, beta, loss):
    """Zero columns stay zero and duplicated columns do not change the optimum."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((10, 12))
    A = np.hstack([A, np.zeros((10, zeros)), A[:, rng.integers(0, 12, copies)]])
    y = rng.standard_normal(10)
    y = y if loss == "squared" else np.where(y > 0, 1.0, -1.0)
    sol = solve(LassoProblem(A, y, beta, loss=loss), "fista")
    assert sol.objective == pytest.approx(cvxpy_lasso_value(A, y, beta, loss=loss), rel=1e-6)
    assert not sol.z[12:12 + zeros].any()
    assert sol.certificate.relative_gap <= 1e-8


def test_a_copy_of_an_entered_column_does_not_stall_the_newton_finish():
    """Regression: twins entering in one round left the second at a rounding-size step, and the
    Newton finish stalled (status 'max_iter', gap 0.99)."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((10, 12))
    A = np.hstack([A, A[:, rng.integers(0, 12, 2)]])
    y = np.where(rng.standard_normal(10) > 0, 1.0, -1.0)
    sol = solve(LassoProblem(A, y, 1e-3, loss="squared_hinge"), "newton")
    assert sol.status != "optimal" or sol.certificate.ok(1e-6)  # never a false "optimal"
    assert sol.objective == pytest.approx(cvxpy_lasso_value(A, y, 1e-3, loss="squared_hinge"),
                                          rel=1e-6)


def test_torch_dictionary_stays_on_its_device():
    x, y = _data(14, 12)
    D = library_1d(x, gs.architecture("abs", 3), backend="torch", device="cpu")
    assert D.backend == "torch"
    problem = LassoProblem.from_dictionary(D, y, 1e-2)
    sol = solve(problem, "fista")
    assert sol.info["device"] == "cpu"
    assert sol.objective == pytest.approx(_oracle(D, y, problem), rel=1e-6)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_cuda_dictionary_and_cuda_iterations(loss):
    x, y = _data(15, 30)
    y = y if loss == "squared" else _labels(y)
    D = library_1d(x, gs.architecture("abs", 3), backend="torch", device="cuda")
    problem = LassoProblem.from_dictionary(D, y, 1e-2, loss=loss)
    sol = solve(problem, "fista")
    assert sol.info["device"].startswith("cuda")
    assert sol.objective == pytest.approx(_oracle(D, y, problem, loss=loss), rel=1e-6)
    dense = LassoProblem(D.to_dense(), y, problem.beta_t, loss=loss)
    on_gpu = solve(dense, "fista", device="cuda")  # a numpy operator, iterations on the GPU
    assert on_gpu.info["device"].startswith("cuda")
    assert on_gpu.objective == pytest.approx(sol.objective, rel=1e-9)


class _Interrupting(MatrixOperator):
    """A dense operator whose ``after``-th rmatvec raises KeyboardInterrupt (a Ctrl-C)."""

    def __init__(self, matrix, after):
        super().__init__(matrix)
        self.calls, self.after = 0, after

    def rmatvec(self, r):
        self.calls += 1
        if self.calls == self.after:
            raise KeyboardInterrupt
        return super().rmatvec(r)


def test_ctrl_c_returns_the_iterate_and_time_limit_stops():
    rng = np.random.default_rng(16)
    A, y = rng.standard_normal((20, 30)), rng.standard_normal(20)
    sol = solve(LassoProblem(_Interrupting(A, 60), y, 0.1), "fista")
    assert sol.status == "interrupted" and sol.z.any()
    assert sol.objective < LassoProblem(A, y, 0.1).objective(np.zeros(30), y.mean())
    x, y = _data(17, 40)
    D = library_1d(x, gs.architecture("abs", 3))
    sol = solve(LassoProblem.from_dictionary(D, y, 1e-6), "fista", time_limit=0.0)
    assert sol.status == "time_limit"


def test_verbose_prints_progress(capsys):
    rng = np.random.default_rng(18)
    A, y = rng.standard_normal((15, 20)), rng.standard_normal(15)
    solve(LassoProblem(A, y, 0.5), "fista", verbose=True)
    err = capsys.readouterr().err
    assert "FISTA Lasso" in err and "rel. gap" in err


def test_routing_and_refusals():
    A, y = np.eye(4), np.array([1.0, -1.0, 1.0, -1.0])
    assert choose_solver(LassoProblem(A, y, 0.1, loss="logistic")) == "newton"
    assert choose_solver(LassoProblem(A, y, 0.1, loss="squared_hinge")) == "newton"
    assert choose_solver(LassoProblem(A, y, 0.1)) == "working_set"
    with pytest.raises(GaconvexError, match="smooth loss"):
        solve(LassoProblem(A, y, 0.1, loss="l1"), "fista")
    with pytest.raises(GaconvexError, match="min_norm"):
        solve(LassoProblem(A, y, 0.0), "fista")
