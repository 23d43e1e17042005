"""High-accuracy reference solver: cvxpy with an interior-point back end (Clarabel by default).

This is the oracle the fast solvers are tested against, as in the papers' own code
(002 Sec. 6; pilancilab/1d-convex-nn), but with Clarabel instead of the licensed MOSEK. It
solves, with u = A z + xi 1 + U omega an auxiliary variable,

    min  L_y(u) + beta_t ||z||_1   s.t.   A z + xi 1 + U omega == u,

so that the multiplier of the equality constraint is the dual vector lambda in dL_y(u*)
(002 Sec. 2.8, Lemma D.8). Interior-point solutions are dense (they spread weight over
near-duplicate columns); call ``sparsify`` for a vertex solution with m* <= N.
"""
from __future__ import annotations

import time

import numpy as np

from .._validation import GaconvexError
from .problem import LassoProblem
from .solution import LassoSolution

__all__ = ["solve_reference"]

# Per back end: keyword arguments that set its stopping tolerances to ``tol``.
_TOLERANCE_OPTIONS = {
    "CLARABEL": lambda tol: {"tol_gap_abs": tol, "tol_gap_rel": tol, "tol_feas": tol, "max_iter": 500},
    "SCS": lambda tol: {"eps_abs": tol, "eps_rel": tol, "max_iters": 200_000},
    "OSQP": lambda tol: {"eps_abs": tol, "eps_rel": tol, "max_iter": 200_000, "polish": True},
}


def solve_reference(problem: LassoProblem, *, tol: float = 1e-9, solver: str = "CLARABEL") -> LassoSolution:
    """Solve ``problem`` with cvxpy to tight tolerances and return a ``LassoSolution``.

    For the squared loss the free coefficients are then polished exactly: given z,
    (xi, omega) = argmin ||[1, U] c - (y - A z)|| (002 Sec. 1.8: xi* = mean(y - A z) without U),
    so that 1^T lambda = 0 and U^T lambda = 0 hold to rounding; lambda = y_hat - y.
    Needs ``problem.A.to_dense()``.
    """
    import cvxpy as cp

    start = time.perf_counter()
    A = problem.dense_dictionary()
    n, p = A.shape
    z = cp.Variable(p)
    u = cp.Variable(n)
    fit = A @ z
    free = []
    if problem.intercept:
        xi = cp.Variable()
        free.append(xi)
        fit = fit + xi
    if problem.n_unpenalized:
        omega = cp.Variable(problem.n_unpenalized)
        free.append(omega)
        fit = fit + problem.U @ omega
    link = fit == u
    objective = problem.datafit.cvxpy_value(u - problem.y) + problem.beta_t * cp.norm1(z)
    cvx_problem = cp.Problem(cp.Minimize(objective), [link])
    options = _TOLERANCE_OPTIONS.get(solver.upper(), lambda _: {})(tol)
    try:
        cvx_problem.solve(solver=solver, **options)
    except cp.error.SolverError as exc:
        raise GaconvexError(
            f"cvxpy back end {solver!r} failed on {problem!r}: {exc}. Try solver='CLARABEL' "
            "(the default), a looser tol, or rescale A and y to unit size."
        ) from exc
    if z.value is None:
        raise GaconvexError(
            f"cvxpy back end {solver!r} returned no solution (status {cvx_problem.status!r}) "
            f"for {problem!r}; try solver='CLARABEL' or rescale A and y."
        )
    z_val = np.asarray(z.value, dtype=np.float64)
    xi_val = float(free[0].value) if problem.intercept else 0.0
    omega_val = (np.atleast_1d(np.asarray(free[-1].value, dtype=np.float64))
                 if problem.n_unpenalized else np.zeros(0))
    if problem.loss == "squared":
        xi_val, omega_val = _polish_free_coefficients(problem, z_val)
        fitted = problem.fitted(z_val, xi_val, omega_val)
        dual = fitted - problem.y
    else:
        fitted = problem.fitted(z_val, xi_val, omega_val)
        dual = np.clip(np.asarray(link.dual_value, dtype=np.float64),
                       problem.datafit.low, problem.datafit.high)
    return LassoSolution(
        z=z_val,
        xi=xi_val,
        omega=omega_val,
        objective=problem.objective(z_val, xi_val, omega_val),
        fitted=fitted,
        dual=dual,
        status=str(cvx_problem.status),
        solver=f"reference/{solver.upper()}",
        solve_time=time.perf_counter() - start,
    )


def _polish_free_coefficients(problem: LassoProblem, z: np.ndarray) -> tuple[float, np.ndarray]:
    """Exact minimizer over the free coefficients (xi, omega) of the squared loss, z fixed."""
    B = problem.unpenalized_basis()
    if B.shape[1] == 0:
        return 0.0, np.zeros(0)
    coef = np.linalg.lstsq(B, problem.y - problem.A.matvec(z), rcond=None)[0]
    if problem.intercept:
        return float(coef[0]), coef[1:]
    return 0.0, coef
