"""Certificates (duality gap with the dual of 002 Sec. 2.8 / Lemma D.8, KKT residual) and the
``solve`` front door with its solver registry; plus the lazy-import contract."""
from __future__ import annotations

import json
import subprocess
import sys

import cvxpy as cp
import numpy as np
import pytest

from gaconvex._validation import GaconvexError
from gaconvex.solvers import (SOLVERS, LassoCertificate, LassoProblem, LassoSolution, certificate,
                              register_solver, solve, solve_reference)
from lasso_cases import ramp_data, random_lasso
from lasso_oracles import cvxpy_lasso_value


def _optimum(A, y, beta):
    z, xi = cp.Variable(A.shape[1]), cp.Variable()
    model = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ z + xi - y) + beta * cp.norm1(z)))
    model.solve(solver="CLARABEL", tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    return model.value


def test_certificate_of_reference_solution():
    """At the reference solution: gap ~ 0, KKT residual ~ 0, 1^T lambda = 0, max ratio = 1."""
    A, y = random_lasso(seed=20)
    problem = LassoProblem(A, y, 0.3 * LassoProblem(A, y, 1.0).beta_max())
    cert = certificate(problem, solve_reference(problem))
    assert cert.ok(1e-6) and cert.relative_gap < 1e-9 and cert.kkt_residual < 1e-8
    assert cert.max_correlation_ratio == pytest.approx(1.0, abs=1e-8)
    assert 0 < cert.m_star <= problem.n_samples and cert.n_samples == 25


def test_gap_bounds_suboptimality_at_perturbed_points():
    """Weak duality: for any (perturbed) point, dual <= optimum <= primal, where the optimum is
    an independent cvxpy solve; perturbed points are flagged as not ok."""
    A, y = random_lasso(n=15, p=30, seed=21)
    beta = 0.5
    problem = LassoProblem(A, y, beta)
    best = _optimum(A, y, beta)
    solution = solve_reference(problem)
    rng = np.random.default_rng(0)
    for scale in (1e-4, 1e-2, 1.0):
        z = solution.z + scale * rng.standard_normal(30)
        point = LassoSolution(z, solution.xi + scale, np.zeros(0), problem.objective(z, solution.xi + scale),
                              problem.fitted(z, solution.xi + scale), problem.residual(z, solution.xi + scale),
                              "perturbed", "test", 0.0)
        cert = certificate(problem, point)
        assert cert.dual <= best * (1 + 1e-9) and cert.primal >= best * (1 - 1e-9)
        assert cert.gap >= cert.primal - best - 1e-9
        assert not cert.ok(1e-6)


def test_dual_rescaling_restores_feasibility():
    """lambda of a point with too-large correlations is projected (1^T lambda = 0) and scaled
    by s = beta_t / ||A^T lambda||_inf < 1; the resulting dual value is -1/2 s^2 ||l||^2 - s l^T y."""
    A, y = random_lasso(n=15, p=30, seed=22)
    problem = LassoProblem(A, y, 0.5)
    z = np.zeros(30)
    point = LassoSolution(z, 0.0, np.zeros(0), 0.0, np.zeros(15), -y, "zero", "test", 0.0)
    cert = certificate(problem, point)
    lam = -(y - y.mean())
    s = min(1.0, 0.5 / np.max(np.abs(A.T @ lam)))
    assert cert.dual_scale == pytest.approx(s, rel=1e-12) and s < 1
    assert cert.dual == pytest.approx(-0.5 * s**2 * lam @ lam - s * lam @ y, rel=1e-12)
    assert cert.intercept_residual == pytest.approx(-y.sum())


def test_dual_point_without_a_second_pass_is_feasible_and_as_tight(monkeypatch):
    """At an optimum (1^T lambda = 0 up to rounding) the dual point reuses A^T lambda: it makes
    one pass over the library, not two, is feasible for the projected lambda (checked with the
    dense A) and its scale equals the two-pass one to 1e-9; far from 1^T lambda = 0 (the zero
    point) the second pass is made and the scale is the exact one."""
    from gaconvex.solvers import MatrixOperator
    from gaconvex.solvers.certificates import _dual_feasible_point

    A, y = random_lasso(seed=23)
    problem = LassoProblem(MatrixOperator(A), y, 0.2 * LassoProblem(A, y, 1.0).beta_max())
    passes = []
    original = MatrixOperator.rmatvec
    monkeypatch.setattr(MatrixOperator, "rmatvec",
                        lambda self, r: passes.append(1) or original(self, r))
    solution = solve_reference(problem)
    lam = problem.datafit.gradient(problem.residual(solution.z, solution.xi))
    passes.clear()
    cert = certificate(problem, solution)
    assert len(passes) == 1 and cert.ok(1e-6)
    projected = lam - lam.mean()
    _, exact = _dual_feasible_point(problem, lam, problem.beta_t)
    assert cert.dual_scale == pytest.approx(exact, rel=1e-9) and cert.dual_scale <= exact
    assert np.max(np.abs(A.T @ (cert.dual_scale * projected))) <= problem.beta_t * (1 + 1e-15)
    passes.clear()
    zero = LassoSolution(np.zeros(A.shape[1]), 0.0, np.zeros(0), 0.0, np.zeros(y.size), -y,
                         "zero", "test", 0.0)
    far = certificate(problem, zero)
    assert len(passes) == 2
    away = -(y - y.mean())
    assert far.dual_scale == pytest.approx(problem.beta_t / np.max(np.abs(A.T @ away)), rel=1e-12)


@pytest.mark.parametrize("loss, tau", [("quantile", 0.3), ("l1", 0.5)])
def test_certificate_general_losses(loss, tau):
    """Box-conjugate losses: the dual value -lambda^T y at the rescaled lambda lower-bounds an
    independent cvxpy optimum, and the reference solution has a tiny gap."""
    A, y = random_lasso(n=20, p=30, seed=23)
    problem = LassoProblem(A, y, 0.4, loss=loss, tau=tau)
    solution = solve(problem)
    cert = solution.certificate
    assert cert.ok(1e-6)
    lam = solution.dual
    n = problem.n_samples
    assert np.all(lam >= problem.datafit.low(n) - 1e-12) and np.all(lam <= problem.datafit.high(n) + 1e-12)
    z, xi = cp.Variable(30), cp.Variable()
    e = y - (A @ z + xi)
    value = cp.sum(cp.maximum(tau * e, (tau - 1) * e)) if loss == "quantile" else cp.norm1(e)
    model = cp.Problem(cp.Minimize(value + 0.4 * cp.norm1(z)))
    model.solve(solver="CLARABEL")
    assert cert.dual <= model.value * (1 + 1e-7)


def test_solve_front_door_attaches_certificate():
    """solve(problem) = the "auto" solver + certificate; sparse=True gives m* <= N."""
    x, y, A = ramp_data()
    problem = LassoProblem(np.hstack([A, A]), y, 1e-2)
    dense = solve(problem)
    vertex = solve(problem, sparse=True)
    assert isinstance(dense.certificate, LassoCertificate) and dense.certificate.ok(1e-6)
    assert vertex.certificate.ok(1e-6) and vertex.m_star <= len(y)
    assert vertex.objective == pytest.approx(dense.objective, rel=1e-9)
    assert solve(problem, tol=1e-8).certificate.relative_gap < 1e-6


def test_summary_and_repr_are_readable():
    x, y, A = ramp_data()
    solution = solve(LassoProblem(A, y, 1e-2), "reference", sparse=True)
    text = solution.summary()
    for piece in ("objective", "intercept xi", "active m*", "duality gap", "KKT residual", "ok(1e-6)"):
        assert piece in text
    assert repr(solution).startswith("LassoSolution(solver='reference/CLARABEL+sparsify', status='optimal'")
    assert "m*=" in repr(solution) and "relative_gap=" in repr(solution.certificate)


def test_registry_plugs_in_solvers_by_name():
    """A fast solver registers under a name and is reachable through solve(); unknown or
    duplicate names are clear errors."""
    A, y = random_lasso(n=10, p=12, seed=24)
    problem = LassoProblem(A, y, 0.2)

    def loose(problem, **options):
        return solve_reference(problem, tol=1e-6, **options)

    register_solver("loose-test", loose)
    try:
        solution = solve(problem, solver="loose-test")
        assert solution.certificate is not None and solution.solver == "reference/CLARABEL"
        with pytest.raises(GaconvexError, match="already registered"):
            register_solver("loose-test", loose)
        register_solver("loose-test", loose, overwrite=True)
    finally:
        SOLVERS.pop("loose-test")
    with pytest.raises(GaconvexError, match=r"unknown solver 'no-such'; available: \[.*'reference'.*\]"):
        solve(problem, solver="no-such")
    with pytest.raises(GaconvexError, match="expects a LassoProblem"):
        solve((A, y, 0.2))


def test_import_does_not_load_cvxpy_scipy_optimize_or_torch():
    """Importing gaconvex.solvers is cheap: cvxpy and scipy.optimize load inside the solvers."""
    code = ("import sys, json; import gaconvex.solvers\n"
            "print(json.dumps([m for m in ('cvxpy', 'torch', 'scipy.optimize', 'sklearn') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert json.loads(out) == []


def test_refinement_with_a_solvers_factor_equals_the_qr_refinement():
    """refine_on_support from a solver's triangular factor R of its projected columns
    ((I - Pi) W^1/2 A_S = Q R, any column order) reaches the KKT point that a fresh QR of
    W^1/2 [B, A_S] reaches; both restore cvxpy's optimum from a perturbed support solution."""
    from gaconvex.solvers._polish import refine_on_support

    rng = np.random.default_rng(4)
    A, y = rng.standard_normal((40, 12)), rng.standard_normal(40)
    U, w = rng.standard_normal((40, 2)), rng.uniform(0.5, 2.0, 40)
    problem = LassoProblem(A, y, 2.0, unpenalized=U, sample_weight=w)
    exact = solve(problem, "reference")
    support = rng.permutation(exact.support)  # the solver's order, not increasing
    z = exact.z.copy()
    z[support] *= 1 + 1e-4 * rng.standard_normal(support.size)
    root = np.sqrt(w)
    QB = np.linalg.qr(root[:, None] * problem.unpenalized_basis())[0]
    WA = root[:, None] * A[:, support]
    R = np.linalg.qr(WA - QB @ (QB.T @ WA), mode="r")
    fresh = refine_on_support(problem, z, exact.xi, exact.omega)
    factored = refine_on_support(problem, z, exact.xi, exact.omega, factor=(support, R))
    np.testing.assert_allclose(factored[0], fresh[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(factored[2], fresh[2], rtol=1e-10, atol=1e-12)
    oracle = cvxpy_lasso_value(A, y, 2.0, weights=w, U=U)
    assert problem.objective(*factored) == pytest.approx(oracle, rel=1e-9)


def test_accurate_residual_in_chunks_against_exact_sums():
    """More nonzero columns than one long-double chunk: every row of A z + xi + U omega - y
    agrees with the correctly rounded sum (math.fsum) of its terms."""
    import math

    from gaconvex.solvers.certificates import _EXTENDED_CHUNK, accurate_residual

    rng = np.random.default_rng(5)
    n, p = 30, 2 * _EXTENDED_CHUNK + 17
    A, y, U = rng.standard_normal((n, p)), rng.standard_normal(n), rng.standard_normal((n, 1))
    z = rng.standard_normal(p) * 10.0 ** rng.integers(-3, 4, p)
    z[::5] = 0.0
    problem = LassoProblem(A, y, 1.0, unpenalized=U)
    omega, xi = np.array([0.3]), -1.7
    r = accurate_residual(problem, z, xi, omega)
    nonzero = np.flatnonzero(z)
    given = accurate_residual(problem, z, xi, omega, A[:, nonzero])
    exact = [math.fsum([*(A[i] * z), xi, U[i, 0] * omega[0], -y[i]]) for i in range(n)]
    scale = np.abs(A * z).sum(axis=1)
    p_ext = p * np.finfo(np.longdouble).eps  # the long-double sums, then one float64 rounding
    assert np.all(np.abs(r - exact) <= 2.0 ** -53 * np.abs(exact) + p_ext * scale)
    np.testing.assert_array_equal(r, given)
