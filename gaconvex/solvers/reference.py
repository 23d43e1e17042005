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
from ._polish import best_point, free_coefficients, kkt_solve, zero_point
from .linear_programs import solve_piecewise_linear
from .problem import LassoProblem
from .solution import LassoSolution

__all__ = ["solve_reference"]

# Per back end: keyword arguments that set its stopping tolerances to ``tol``.
_TOLERANCE_OPTIONS = {
    "CLARABEL": lambda tol: {"tol_gap_abs": tol, "tol_gap_rel": tol, "tol_feas": tol, "max_iter": 500},
    "SCS": lambda tol: {"eps_abs": tol, "eps_rel": tol, "max_iters": 200_000},
}


def solve_reference(problem: LassoProblem, *, tol: float = 1e-9, cvxpy_solver: str = "CLARABEL",
                    memory_limit: float | None = 4 * 2**30) -> LassoSolution:
    """Solve ``problem`` with cvxpy to tight tolerances and return a ``LassoSolution``
    (piecewise-linear losses: the exact HiGHS LP, ``solve_piecewise_linear``).

    For the squared loss the interior point is then polished (``_polish_squared``): exact
    free coefficients (xi, omega) given z, and exact KKT solves on the dual-active set,
    kept only if the objective does not increase; lambda = W (y_hat - y). For the other losses
    lambda is the multiplier of the constraint, clipped into the domain of ell^*.
    Needs the dense dictionary (``problem.dense_dictionary``, refused above ``memory_limit``
    bytes).
    """
    if not problem.datafit.smooth:
        return solve_piecewise_linear(problem, tol=tol)
    import cvxpy as cp

    start = time.perf_counter()
    if problem.beta_t == 0:
        raise GaconvexError(
            "beta_t = 0 is the minimum-norm interpolation limit, not a Lasso: solve it with "
            "solver='min_norm' (gaconvex.solvers.min_norm, 002 (C.1)).")
    A = problem.dense_dictionary(memory_limit)
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
    options = _TOLERANCE_OPTIONS.get(cvxpy_solver.upper(), lambda _: {})(tol)
    try:
        cvx_problem.solve(solver=cvxpy_solver, **options)
    except cp.error.SolverError as exc:
        raise GaconvexError(
            f"cvxpy back end {cvxpy_solver!r} failed on {problem!r}: {exc}. {_alternative(cvxpy_solver)}"
        ) from exc
    if z.value is None:
        raise GaconvexError(
            f"cvxpy back end {cvxpy_solver!r} returned no solution (status {cvx_problem.status!r}) "
            f"for {problem!r}. {_alternative(cvxpy_solver)}"
        )
    z_val = np.asarray(z.value, dtype=np.float64)
    xi_val = float(free[0].value) if problem.intercept else 0.0
    omega_val = (np.atleast_1d(np.asarray(free[-1].value, dtype=np.float64))
                 if problem.n_unpenalized else np.zeros(0))
    if problem.datafit.smooth:
        if problem.datafit.quadratic:  # the exact KKT polish is the squared loss's
            z_val, xi_val, omega_val = _polish_smooth(problem, z_val)
        fitted = problem.fitted(z_val, xi_val, omega_val)
        dual = problem.datafit.gradient(fitted - problem.y)
    else:
        fitted = problem.fitted(z_val, xi_val, omega_val)
        dual = problem.datafit.clip(np.asarray(link.dual_value, dtype=np.float64))
    return LassoSolution(
        z=z_val,
        xi=xi_val,
        omega=omega_val,
        objective=problem.objective(z_val, xi_val, omega_val),
        fitted=fitted,
        dual=dual,
        status=str(cvx_problem.status),
        solver=f"reference/{cvxpy_solver.upper()}",
        solve_time=time.perf_counter() - start,
    )


def _polish_smooth(problem: LassoProblem, z: np.ndarray):
    """Polish an interior-point z for the squared loss; return the best (z, xi, omega) of:

    1. z with exact free coefficients (xi, omega) (so 1^T lambda = 0, U^T lambda = 0 to rounding);
    2. z = 0 (exact when beta_t >= beta_max, e.g. for constant y);
    3. KKT solves (``_polish.kkt_solve``) on the dual-active sets
       S_delta = {j : |A_j^T lambda| >= beta_t (1 - delta)}, delta in 1e-9 ... 1e-3: the
       support lies in the equicorrelation set (002 Prop. E.3), and the interior point's
       dual slack of a nearly active coordinate can be anywhere in this range.
    """
    start = (z, *free_coefficients(problem, z))
    points = [start, zero_point(problem)]
    corr = problem.A.rmatvec(problem.datafit.gradient(problem.fitted(*start) - problem.y))
    for delta in (1e-9, 1e-7, 1e-5, 1e-3):
        active = np.flatnonzero(np.abs(corr) >= problem.beta_t * (1.0 - delta))
        points.append(kkt_solve(problem, active, -np.sign(corr[active])))
    return best_point(problem, points)


def _alternative(solver: str) -> str:
    """What to try after a failed back end (never the one that just failed)."""
    others = [name for name in _TOLERANCE_OPTIONS if name != solver.upper()]
    return (f"Try another back end (cvxpy_solver={others[0]!r}) or a looser tol; through "
            "gaconvex.solvers.solve the problem is already rescaled to unit size.")
