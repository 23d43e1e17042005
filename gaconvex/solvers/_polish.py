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


def refine_on_support(problem: LassoProblem, z: np.ndarray, xi: float, omega, steps: int = 2,
                      factor: tuple | None = None):
    """Iterative refinement of the KKT equations on the support S of z with its signs s:

        v <- v - (M^T W M)^-1 (M^T W r + beta_t [0; s]),   M = [B, A_S],  r = M v - y,

    with r summed in extended precision (:func:`.certificates.accurate_residual`) and the
    solve by an upper-triangular F with W^1/2 M = Q F, Q orthonormal: a float64 QR of W^1/2 M,
    or, from ``factor`` = (S, R) with (I - Pi) W^1/2 A_S = Q_A R (Pi the projector onto
    span(W^1/2 B) = span(Q_B), W^1/2 B = Q_B R_B; a solver's own factor of its projected
    columns, e.g. the working set's on the knot basis), F = [[R_B, Q_B^T W^1/2 A_S], [0, R]]
    without a QR of the N x |S| columns.  Near interpolation (a small beta_t) lambda = W r is
    many orders below y; a solver that worked on other float64 columns (projected, rescaled,
    compressed) leaves an error in lambda far above its own rounding, and this removes it
    (Wilkinson's refinement: the residual's precision, not the factorization's, sets the
    accuracy).  Returns the refined (z, xi, omega), or the input when a sign would change."""
    from scipy.linalg import solve_triangular

    from .certificates import accurate_residual

    support = np.flatnonzero(z) if factor is None else np.asarray(factor[0], dtype=np.intp)
    if not support.size or not problem.datafit.quadratic:
        return z, xi, omega
    signs = np.sign(z[support])
    B, root = problem.unpenalized_basis(), np.sqrt(problem.weights)
    columns = problem.A.columns(support)
    F = _triangular_factor(root[:, None] * B, root[:, None] * columns,
                           None if factor is None else factor[1])
    diagonal = np.abs(np.diag(F))
    if np.any(signs == 0) or np.min(diagonal, initial=np.inf) <= 1e-12 * np.max(diagonal):
        return z, xi, omega  # dependent support columns: no unique refinement
    k, order = B.shape[1], np.argsort(support)  # accurate_residual's columns: increasing
    penalty = np.concatenate([np.zeros(k), signs])
    v = np.concatenate([[xi] if problem.intercept else [], np.asarray(omega), z[support]])
    for _ in range(steps):
        lam = problem.weights * accurate_residual(problem, z, xi, omega, columns[:, order])
        gradient = np.concatenate([B.T @ lam, columns.T @ lam]) + problem.beta_t * penalty
        v = v - solve_triangular(F, solve_triangular(F, gradient, trans="T"))
        if np.any(np.sign(v[k:]) != signs):
            return z, xi, omega
        z = np.zeros_like(z)
        z[support] = v[k:]
        xi, omega = _split(problem, v[:k])
    return z, xi, omega


def _triangular_factor(WB: np.ndarray, WA: np.ndarray, R: np.ndarray | None) -> np.ndarray:
    """Upper-triangular F with [WB, WA] = Q F (Q orthonormal): a QR (one BLAS thread), or, given
    R of the projected (I - Q_B Q_B^T) WA, the blocks [[R_B, Q_B^T WA], [0, R]]."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        if R is None:
            return np.linalg.qr(np.hstack([WB, WA]), mode="r")
        QB, RB = np.linalg.qr(WB)
        k, t = WB.shape[1], WA.shape[1]
        F = np.zeros((k + t, k + t))
        F[:k, :k], F[:k, k:], F[k:, k:] = RB, QB.T @ WA, R
        return F


def best_point(problem: LassoProblem, points):
    """The (z, xi, omega) of smallest objective among ``points`` (None entries skipped)."""
    scored = [(problem.objective(*p), i) for i, p in enumerate(points) if p is not None]
    return points[min(scored)[1]]


def _split(problem: LassoProblem, coef: np.ndarray) -> tuple[float, np.ndarray]:
    if problem.intercept:
        return float(coef[0]), coef[1:]
    return 0.0, coef
