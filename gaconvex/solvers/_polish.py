"""Exact KKT polishing for the squared loss, shared by the reference solver and ``sparsify``.

Given a candidate support S with signs s, a Lasso solution supported on S solves the
KKT equations (002 Sec. 2.8, Remark D.22) with B = [1, U] the free columns:

    A_S^T lambda = -beta_t s,   B^T lambda = 0,   lambda = A_S z_S + B c - y,

i.e. M^T (M w - y) = -beta_t [s; 0] for M = [A_S, B], w = (z_S, c). If the solution has
sign(z_S) = s and |A_j^T lambda| <= beta_t off S, it is optimal (to rounding). Interior-point
solutions leave slowly converging coordinates at ~1e-6 relative size; solving these
equations on the right support removes them. A polished point is used only when its
objective is not larger than the point it replaces.
"""
from __future__ import annotations

import numpy as np

from .problem import LassoProblem

__all__ = ["free_coefficients", "kkt_solve", "best_point"]


def free_coefficients(problem: LassoProblem, A: np.ndarray, z: np.ndarray) -> tuple[float, np.ndarray]:
    """(xi, omega) = argmin ||B c - (y - A z)|| for fixed z (002 Sec. 1.8: xi* = mean(y - A z) without U)."""
    B = problem.unpenalized_basis()
    coef = np.linalg.lstsq(B, problem.y - A @ z, rcond=None)[0] if B.shape[1] else np.zeros(0)
    return _split(problem, coef)


def kkt_solve(problem: LassoProblem, A: np.ndarray, support: np.ndarray, signs: np.ndarray):
    """Solve the KKT equations on ``support`` with ``signs``, dropping coordinates whose
    solution has the wrong sign and re-solving; return (z, xi, omega) or None.

    With M^+ the pseudo-inverse (singular values below 1e-12 relative dropped, which handles
    duplicated columns), w = M^+ y - beta_t M^+ M^+^T [s; 0] is the minimum-norm solution of
    M^T (M w - y) = -beta_t [s; 0], computed without squaring the condition number.
    """
    B = problem.unpenalized_basis()
    support, signs = np.asarray(support), np.asarray(signs, dtype=np.float64)
    for _ in range(support.size + 1):
        pinv = np.linalg.pinv(np.hstack([A[:, support], B]), rcond=1e-12)
        penalty = np.concatenate([signs, np.zeros(B.shape[1])])
        w = pinv @ problem.y - problem.beta_t * (pinv @ (pinv.T @ penalty))
        wrong = w[: support.size] * signs < 0
        if not wrong.any():
            z = np.zeros(A.shape[1])
            z[support] = w[: support.size]
            return (z, *_split(problem, w[support.size:]))
        support, signs = support[~wrong], signs[~wrong]
    return None


def best_point(problem: LassoProblem, points):
    """The (z, xi, omega) of smallest objective among ``points`` (None entries skipped)."""
    scored = [(problem.objective(*p), i) for i, p in enumerate(points) if p is not None]
    return points[min(scored)[1]]


def _split(problem: LassoProblem, coef: np.ndarray) -> tuple[float, np.ndarray]:
    if problem.intercept:
        return float(coef[0]), coef[1:]
    return 0.0, coef
