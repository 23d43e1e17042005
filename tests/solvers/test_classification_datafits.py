"""Classification datafits (002 Lemma D.16, general convex losses): the squared hinge
1/2 max(0, 1 - y y_hat)^2 and the logistic loss log(1 + exp(-y y_hat)) with labels y in {-1, +1}.

Oracles: the loss formulas written here directly, the convex conjugate by numerical
maximization (scipy), torch autograd for the gradient, and cvxpy + Clarabel
(tests/lasso_oracles.py) for the Lasso optimum; the certificate's dual value must be a true
lower bound on that optimum (weak duality)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import minimize_scalar

import gaconvex.symbolic as gs
from gaconvex._validation import GaconvexError
from gaconvex.dictionaries import library_1d
from gaconvex.solvers import DATAFITS, LassoProblem, choose_solver, solve
from lasso_oracles import cvxpy_lasso_value

LOSSES = ["squared_hinge", "logistic"]
FORMULAS = {"squared_hinge": lambda m: 0.5 * np.maximum(0.0, 1.0 - m) ** 2,
            "logistic": lambda m: np.log1p(np.exp(-m))}


def _labels(n, seed):
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    y[:2] = [-1.0, 1.0]  # both classes present
    return y


@pytest.mark.parametrize("loss", LOSSES)
def test_value_gradient_and_torch_agree_with_the_formula(loss):
    rng = np.random.default_rng(1)
    y, fit = _labels(40, 2), 2.0 * rng.standard_normal(40)
    w = rng.uniform(0.3, 2.0, 40)
    datafit = DATAFITS[loss](w).with_targets(y)
    r = fit - y
    assert datafit.value(r) == pytest.approx(np.sum(w * FORMULAS[loss](y * fit)), rel=1e-13)
    t = torch.tensor(r, requires_grad=True)
    total = (torch.as_tensor(w) * datafit.pointwise(t)).sum()
    total.backward()
    assert total.item() == pytest.approx(datafit.value(r), rel=1e-13)
    np.testing.assert_allclose(datafit.gradient(r), t.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss", LOSSES)
def test_conjugate_is_the_numerical_supremum(loss):
    """phi^*(t) = sup_m (t m - phi(m)) for t in the domain [low, 0] (the dual of D.16)."""
    datafit = DATAFITS[loss]()
    for t in [-0.9, -0.5, -0.1, -1e-3] + ([-3.0, -1.5] if loss == "squared_hinge" else [-0.999]):
        sup = -minimize_scalar(lambda m: -(t * m - FORMULAS[loss](m)), bounds=(-60, 60),
                               method="bounded", options={"xatol": 1e-12}).fun
        assert datafit.phi_conjugate(np.array([t]))[0] == pytest.approx(sup, abs=1e-8)


@pytest.mark.parametrize("loss", LOSSES)
def test_labels_are_checked_and_needed(loss):
    with pytest.raises(GaconvexError, match="labels -1 or \\+1"):
        LassoProblem(np.eye(3), [0.0, 1.0, 1.0], 0.1, loss=loss)
    with pytest.raises(GaconvexError, match="with_targets"):
        DATAFITS[loss]().value(np.zeros(3))


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("weighted", [False, True])
def test_reference_optimum_equals_cvxpy_with_a_valid_certificate(loss, weighted):
    x = np.sort(np.random.default_rng(3).uniform(-2, 2, 14))
    y = np.where(np.sin(3 * x) + 0.3 * np.random.default_rng(4).standard_normal(14) > 0, 1.0, -1.0)
    w = np.random.default_rng(5).uniform(0.2, 3.0, x.size) if weighted else None
    D = library_1d(x, gs.architecture("relu", 2))
    problem = LassoProblem.from_dictionary(D, y, 1e-2, loss=loss, sample_weight=w)
    sol = solve(problem, "reference")
    oracle = cvxpy_lasso_value(D.to_dense(), y, problem.beta_t, weights=w, loss=loss)
    assert sol.objective == pytest.approx(oracle, rel=1e-6)
    cert = sol.certificate
    assert cert.dual <= oracle * (1 + 1e-9) and cert.primal >= oracle * (1 - 1e-9)
    # interior-point exponential-cone solutions leave z and lambda at ~1e-3 of their optimum;
    # the exact certificates come from the fista solver's support-restricted Newton finish
    assert cert.relative_gap <= (1e-4 if loss == "squared_hinge" else 1e-2)


@pytest.mark.parametrize("loss", LOSSES)
def test_large_beta_gives_the_intercept_only_fit(loss):
    """Above beta_max the optimum is z = 0 with the best intercept: for balanced weights the
    intercept is log(n+ / n-) (logistic) and the squared hinge's xi solves sum y max(0,1-y xi) = 0."""
    y = np.array([1.0, 1.0, 1.0, -1.0])
    A = np.random.default_rng(6).standard_normal((4, 5))
    sol = solve(LassoProblem(A, y, 1e3, loss=loss), "reference")
    assert np.abs(sol.z).max() <= 1e-8
    expected = {"logistic": np.log(3.0), "squared_hinge": 0.5}[loss]  # 3 (1 - xi) = (1 + xi)
    assert sol.xi == pytest.approx(expected, rel=1e-6 if loss == "squared_hinge" else 1e-4)


def test_classification_targets_are_not_rescaled():
    """The margin loss is not homogeneous in y: the solve must not centre or scale labels."""
    y = _labels(12, 7)
    A = 1e-6 * np.random.default_rng(8).standard_normal((12, 20))
    problem = LassoProblem(A, y, 1e-8, loss="squared_hinge")
    sol = solve(problem, "reference")
    oracle = cvxpy_lasso_value(A * 1e6, y, 1e-2, loss="squared_hinge")  # z -> 1e-6 z
    assert sol.objective == pytest.approx(oracle, rel=1e-6)


@pytest.mark.parametrize("loss", LOSSES)
def test_auto_picks_a_solver_that_handles_the_loss(loss):
    problem = LassoProblem(np.eye(4), [1.0, -1.0, 1.0, -1.0], 0.1, loss=loss)
    assert choose_solver(problem) != "working_set"
    with pytest.raises(GaconvexError, match="squared"):
        solve(problem, "working_set")


@pytest.mark.parametrize("loss", LOSSES)
def test_auto_solve_is_exact_and_its_certificate_bounds_any_point(loss):
    """solver='auto' (the working-set Newton method) reaches the cvxpy optimum with a tight
    certificate;
    at perturbed points the certificate's dual stays a lower bound on the optimum (weak duality:
    the dual point is feasible, so primal - dual bounds the suboptimality)."""
    from dataclasses import replace

    from gaconvex.solvers import certificate

    rng = np.random.default_rng(9)
    x = np.sort(rng.uniform(-2, 2, 16))
    y = np.where(np.cos(2 * x) + 0.4 * rng.standard_normal(16) > 0, 1.0, -1.0)
    w = rng.uniform(0.5, 2.0, 16)
    D = library_1d(x, gs.architecture("abs", 3))
    problem = LassoProblem.from_dictionary(D, y, 1e-2, loss=loss, sample_weight=w)
    sol = solve(problem)
    oracle = cvxpy_lasso_value(D.to_dense(), y, problem.beta_t, weights=w, loss=loss)
    assert sol.solver == "newton" and sol.certificate.ok(1e-9), sol.certificate.summary()
    assert sol.objective == pytest.approx(oracle, rel=1e-6)
    assert np.count_nonzero(sol.z) == sol.m_star <= x.size
    for scale in (1e-6, 1e-3, 1e-1):
        z = sol.z + scale * rng.standard_normal(sol.z.size) * (rng.random(sol.z.size) < 0.2)
        point = replace(sol, z=z, xi=sol.xi + scale)
        cert = certificate(problem, point)
        assert cert.dual <= oracle * (1 + 1e-9) <= cert.primal * (1 + 2e-9)
        assert cert.gap >= cert.primal - oracle * (1 + 1e-9)


@pytest.mark.parametrize("loss", LOSSES)
def test_beta_max_of_a_classification_loss(loss):
    rng = np.random.default_rng(10)
    A, y = rng.standard_normal((12, 15)), _labels(12, 11)
    top = LassoProblem(A, y, 1.0, loss=loss).beta_max()
    assert not solve(LassoProblem(A, y, 1.001 * top, loss=loss)).z.any()
    assert solve(LassoProblem(A, y, 0.99 * top, loss=loss)).z.any()


def test_one_class_logistic_is_refused():
    with pytest.raises(GaconvexError, match="no finite optimum"):
        solve(LassoProblem(np.eye(3), np.ones(3), 0.1, loss="logistic"))
