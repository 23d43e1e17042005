"""Linear programs: the beta -> 0 limit, sparse (vertex) Lasso solutions, and the exact Lasso
of the piecewise-linear losses.

The first two are the LP

    min ||z||_1   s.t.   A z + xi 1 + U omega = b,      z = z+ - z-,  z+, z- >= 0,  xi, omega free,

solved with HiGHS (``scipy.optimize.linprog(method="highs")``) whose basic solutions have at
most N nonzeros among (z+, z-, xi, omega), hence m* = ||z||_0 <= N (000 spec Sec. 3.1 (b), (d)).

- ``min_norm``: b = y, the minimum-norm interpolation problem (002, (C.1)), the limit of the
  Lasso as beta -> 0 when [A, 1, U] has full row rank (002 Cor. C.1); the exact LP
  replaces the papers' MOSEK solve with beta = 1e-8.
- ``sparsify``: b = y_hat, the fit of a Lasso solution. The fit is the same for every
  solution (002 Lemma E.2), so the LP picks a vertex of the solution set Phi*(beta)
  (002 Prop. E.3) with the same fit and the same (or smaller, by solver tolerance) ||z||_1.
- ``solve_piecewise_linear``: the Lasso of the pinball (and l1) loss is itself an LP: with the
  error y - y_hat = e+ - e- (e+, e- >= 0) the objective is beta_t 1^T (z+ + z-) +
  sum_i w_i (tau e+_i + (1 - tau) e-_i) subject to A z + xi 1 + U omega + e+ - e- = y.  Its
  vertex is exact (an interior point leaves a degenerate LP's support blurred), and the
  equality marginals give the dual lambda = -marginals in the box w [-tau, 1 - tau].
"""
from __future__ import annotations

import time

import numpy as np

from .._validation import GaconvexError
from ._polish import best_point, kkt_solve
from .problem import LassoProblem
from .solution import LassoSolution

__all__ = ["min_norm", "solve_min_norm", "solve_piecewise_linear", "sparsify"]


def min_norm(A, y, *, intercept: bool = True, unpenalized=None, tol: float = 1e-9) -> LassoSolution:
    """Minimum-l1-norm interpolation (002, (C.1)): min ||z||_1 s.t. A z + xi 1 + U omega = y.

    Returns a ``LassoSolution`` whose ``objective`` is ||z||_1 (a vertex: at most N nonzeros)
    and whose ``dual`` mu solves the dual LP  max -mu^T y  s.t. ||A^T mu||_inf <= 1,
    1^T mu = 0, U^T mu = 0, so -mu^T y = ||z||_1; mu is the limit of lambda*/beta_t as
    beta_t -> 0. Raises ``GaconvexError`` when y is not in the range of [A, 1, U].
    """
    return solve_min_norm(LassoProblem(A, y, 0.0, intercept=intercept, unpenalized=unpenalized),
                          tol=tol)


def solve_min_norm(problem: LassoProblem, *, tol: float = 1e-9) -> LassoSolution:
    """:func:`min_norm` for the A, y, intercept and U of ``problem`` (the beta_t -> 0 limit of
    its Lasso; the weights do not matter for interpolation)."""
    start = time.perf_counter()
    z, xi, omega, mu, status = _min_l1_fit(problem, problem.y, tol, "min_norm")
    return LassoSolution(
        z=z,
        xi=xi,
        omega=omega,
        objective=float(np.abs(z).sum()),
        fitted=problem.fitted(z, xi, omega),
        dual=mu,
        status=status,
        solver="min_norm/highs",
        solve_time=time.perf_counter() - start,
    )


def sparsify(problem: LassoProblem, solution: LassoSolution, *, tol: float = 1e-9) -> LassoSolution:
    """A vertex solution with the fit and ||z||_1 of ``solution`` and m* <= N.

    Solves min ||z||_1 s.t. A z + xi 1 + U omega = y_hat, y_hat = ``solution.fitted``
    recomputed from (z, xi, omega), which the given z satisfies; any minimizer is again
    Lasso-optimal since the loss term is unchanged and ||z||_1 cannot grow. For the squared
    loss the vertex is then polished by solving the KKT equations on its support (whose
    columns, with [1, U], are linearly independent at a vertex), kept if not worse.
    """
    start = time.perf_counter()
    target = problem.fitted(solution.z, solution.xi, solution.omega)
    z, xi, omega, _, status = _min_l1_fit(problem, target, tol, "sparsify")
    if problem.datafit.smooth and problem.beta_t > 0:
        support = np.flatnonzero(z)
        vertex = (z, xi, omega)
        z, xi, omega = best_point(problem, [vertex, kkt_solve(problem, support, np.sign(z[support]))])
    fitted = problem.fitted(z, xi, omega)
    dual = problem.datafit.gradient(fitted - problem.y) if problem.datafit.smooth else solution.dual
    return LassoSolution(
        z=z,
        xi=xi,
        omega=omega,
        objective=problem.objective(z, xi, omega),
        fitted=fitted,
        dual=dual,
        status=status,
        solver=f"{solution.solver}+sparsify",
        solve_time=solution.solve_time + time.perf_counter() - start,
        support_rtol=solution.support_rtol,
    )


def solve_piecewise_linear(problem: LassoProblem, *, tol: float = 1e-9) -> LassoSolution:
    """The exact Lasso of a piecewise-linear loss (pinball, l1) as an LP (module docstring)."""
    start = time.perf_counter()
    z, xi, omega, lam, status = _min_l1_fit(problem, problem.y, tol, "the pinball Lasso",
                                            with_loss=True)
    return LassoSolution(
        z=z,
        xi=xi,
        omega=omega,
        objective=problem.objective(z, xi, omega),
        fitted=problem.fitted(z, xi, omega),
        dual=problem.datafit.clip(lam),
        status=status,
        solver="linear_program/highs",
        solve_time=time.perf_counter() - start,
    )


def _min_l1_fit(problem: LassoProblem, target: np.ndarray, tol: float, caller: str, *,
                with_loss: bool = False):
    """Solve the LP of the module docstring for b = target with HiGHS (``with_loss``: the
    pinball Lasso LP, costs beta_t on z and the loss box on e+-); return z, xi, omega, mu,
    status."""
    import scipy.sparse as sparse
    from scipy.optimize import linprog

    A = problem.dense_dictionary()
    B = problem.unpenalized_basis()
    n, p = A.shape
    k = B.shape[1]
    scale = float(np.max(np.abs(target))) or 1.0  # the LP is solved for b / scale
    blocks = [sparse.csr_matrix(A), sparse.csr_matrix(-A), sparse.csr_matrix(B)]
    costs = [np.ones(2 * p) * (problem.beta_t if with_loss else 1.0), np.zeros(k)]
    bounds = [(0, None)] * (2 * p) + [(None, None)] * k
    if with_loss:  # e+ costs w tau (= -low), e- costs w (1 - tau) (= high)
        blocks += [sparse.identity(n, format="csr"), -sparse.identity(n, format="csr")]
        costs += [-problem.datafit.low(n), problem.datafit.high(n)]
        bounds += [(0, None)] * (2 * n)
    result = linprog(
        np.concatenate(costs),
        A_eq=sparse.hstack(blocks, format="csr"),
        b_eq=target / scale,
        bounds=bounds,
        method="highs",
        options={"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol},
    )
    if result.status == 2:
        full = np.hstack([A, B])
        gap = np.linalg.norm(target - full @ np.linalg.lstsq(full, target, rcond=None)[0])
        raise GaconvexError(
            f"{caller}: the targets are not in the range of [A, 1, U] (least-squares residual "
            f"{gap:.3g}), so no z interpolates them. Use a dictionary of full row rank N (e.g. "
            "the 2-layer ReLU/abs libraries), or solve the Lasso with beta_t > 0 instead."
        )
    if result.status != 0:
        raise GaconvexError(f"{caller}: HiGHS did not solve the LP ({result.message}); rescale A.")
    x = result.x * scale
    z = x[:p] - x[p:2 * p]
    free = x[2 * p:2 * p + k]
    xi = float(free[0]) if problem.intercept else 0.0
    omega = free[1:] if problem.intercept else free
    mu = -np.asarray(result.eqlin.marginals, dtype=np.float64)
    return z, xi, omega, mu, "optimal"
