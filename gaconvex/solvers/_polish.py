"""Exact KKT polishing for the (weighted) squared loss, shared by the reference solver and
``sparsify``.

Given a candidate support S with signs s, a Lasso solution supported on S solves the
KKT equations (002 Sec. 2.8, Remark D.22) with B = [1, U] the free columns and W = diag(w):

    A_S^T lambda = -beta_t s,   B^T lambda = 0,   lambda = W (A_S z_S + B c - y),

i.e. M^T W (M v - y) = -beta_t [s; 0] for M = [A_S, B], v = (z_S, c). If the solution has
sign(z_S) = s and |A_j^T lambda| <= beta_t off S, it is optimal (to rounding). Interior-point
solutions leave slowly converging coordinates at ~1e-6 relative size; solving these
equations on the right support removes them. A polished point is used only when its
objective is not larger than the point it replaces.  The pseudo-inverses run with one BLAS
thread (:func:`threadpoolctl.threadpool_limits`): the matrices are small (N x |S|) and extra
threads only contend on a loaded machine.
"""
from __future__ import annotations

import numpy as np

from .problem import LassoProblem

__all__ = ["free_coefficients", "kkt_solve", "refine_on_support", "best_point", "zero_point"]


def free_coefficients(problem: LassoProblem, z: np.ndarray) -> tuple[float, np.ndarray]:
    """(xi, omega) = argmin sum_i w_i (B c - (y - A z))_i^2 for fixed z (002 Sec. 1.8: xi* =
    mean(y - A z) without U and weights)."""
    return _split(problem, problem.free_fit(problem.y - problem.A.matvec(z)))


def zero_point(problem: LassoProblem):
    """z = 0 with its best free coefficients: the exact solution when beta_t >= beta_max."""
    z = np.zeros(problem.n_features)
    return (z, *free_coefficients(problem, z))


def kkt_solve(problem: LassoProblem, support: np.ndarray, signs: np.ndarray):
    """Solve the KKT equations on ``support`` with ``signs``, dropping coordinates whose
    solution has the wrong sign and re-solving; return (z, xi, omega) or None.

    With M' = W^(1/2) M and y' = W^(1/2) y, and M'^+ the pseudo-inverse (singular values below
    1e-12 relative dropped, which handles duplicated columns), v = M'^+ y' - beta_t M'^+ M'^+^T
    [s; 0] is the minimum-norm solution of M'^T (M' v - y') = -beta_t [s; 0], computed without
    squaring the condition number.
    """
    from threadpoolctl import threadpool_limits

    B = problem.unpenalized_basis()
    root = np.sqrt(problem.weights)
    support, signs = np.asarray(support, dtype=np.intp), np.asarray(signs, dtype=np.float64)
    columns = problem.A.columns(support)
    for _ in range(support.size + 1):
        with threadpool_limits(1):
            pinv = np.linalg.pinv(root[:, None] * np.hstack([columns, B]), rcond=1e-12)
        penalty = np.concatenate([signs, np.zeros(B.shape[1])])
        v = pinv @ (root * problem.y) - problem.beta_t * (pinv @ (pinv.T @ penalty))
        wrong = v[: support.size] * signs < 0
        if not wrong.any():
            z = np.zeros(problem.n_features)
            z[support] = v[: support.size]
            return (z, *_split(problem, v[support.size:]))
        support, signs, columns = support[~wrong], signs[~wrong], columns[:, ~wrong]
    return None


def refine_on_support(problem: LassoProblem, z: np.ndarray, xi: float, omega, steps: int = 2):
    """Iterative refinement of the KKT equations on the support S of z with its signs s:

        v <- v - (M^T W M)^-1 (M^T W r + beta_t [s; 0]),   M = [A_S, B],  r = M v - y,

    with r summed in extended precision (:func:`.certificates.accurate_residual`) and the
    solve by a float64 QR of W^1/2 M.  Near interpolation (a small beta_t) lambda = W r is
    many orders below y; a solver that worked on other float64 columns (projected, rescaled)
    leaves an error in lambda far above its own rounding, and this removes it (Wilkinson's
    refinement: the residual's precision, not the factorization's, sets the accuracy).
    Returns the refined (z, xi, omega), or the input when a sign would change."""
    from scipy.linalg import solve_triangular
    from threadpoolctl import threadpool_limits

    from .certificates import accurate_residual

    support = np.flatnonzero(z)
    if not support.size or not problem.datafit.quadratic:
        return z, xi, omega
    signs = np.sign(z[support])
    B = problem.unpenalized_basis()
    root = np.sqrt(problem.weights)
    with threadpool_limits(1):
        Q, R = np.linalg.qr(root[:, None] * np.hstack([problem.A.columns(support), B]))
    if np.min(np.abs(np.diag(R)), initial=np.inf) <= 1e-12 * np.max(np.abs(np.diag(R))):
        return z, xi, omega  # dependent support columns: no unique refinement
    penalty = np.concatenate([signs, np.zeros(B.shape[1])])
    v = np.concatenate([z[support], [xi] if problem.intercept else [], np.asarray(omega)])
    for _ in range(steps):
        r = accurate_residual(problem, z, xi, omega)
        gradient = R.T @ (Q.T @ (root * r)) + problem.beta_t * penalty
        v = v - solve_triangular(R, solve_triangular(R, gradient, trans="T"))
        if np.any(np.sign(v[:support.size]) != signs):
            return z, xi, omega
        z = np.zeros_like(z)
        z[support] = v[:support.size]
        xi, omega = _split(problem, v[support.size:])
    return z, xi, omega


def best_point(problem: LassoProblem, points):
    """The (z, xi, omega) of smallest objective among ``points`` (None entries skipped)."""
    scored = [(problem.objective(*p), i) for i, p in enumerate(points) if p is not None]
    return points[min(scored)[1]]


def _split(problem: LassoProblem, coef: np.ndarray) -> tuple[float, np.ndarray]:
    if problem.intercept:
        return float(coef[0]), coef[1:]
    return 0.0, coef
