"""Optimality certificates: duality gap and KKT residual of a Lasso solution.

Dual of the Lasso (002 Sec. 2.8, Lemma D.8; squared loss shown):

    max_lambda  -1/2 ||lambda||^2 - lambda^T y
    s.t.        1^T lambda = 0 (if intercept),  U^T lambda = 0,  ||A^T lambda||_inf <= beta_t,

with lambda* = y_hat - y. KKT (002 Sec. 7 notes, Remark D.22): A_j^T lambda* = -beta_t sign(z_j)
on the support and |A_j^T lambda*| <= beta_t elsewhere. For the dual point, the solution's
lambda is projected onto {1^T lambda = 0, U^T lambda = 0} and scaled by the largest
s <= 1 that makes it dual feasible (the box of the quantile/l1 conjugate included), so
``primal - dual`` is a true upper bound on the suboptimality of the solution.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import LassoProblem
from .solution import LassoSolution

__all__ = ["LassoCertificate", "certificate"]


@dataclass(frozen=True)
class LassoCertificate:
    """Primal-dual quality report of a Lasso solution.

    Attributes
    ----------
    primal : objective at the solution, recomputed from (z, xi, omega).
    dual : dual objective at the rescaled, dual-feasible lambda (a lower bound on the optimum).
    gap : primal - dual (>= 0 up to rounding); relative_gap = gap / |primal|.
    kkt_residual : max_j dist(-A_j^T lambda, beta_t d|z_j|) / beta_t, lambda the solution's dual
        (on the support |A_j^T lambda + beta_t sign z_j|, elsewhere (|A_j^T lambda| - beta_t)_+);
        absolute when beta_t = 0.
    intercept_residual : 1^T lambda (0 when the problem has no intercept).
    unpenalized_residual : ||U^T lambda||_inf (0 when there is no U).
    max_correlation_ratio : max_j |A_j^T lambda| / beta_t (<= 1 iff lambda is dual feasible).
    m_star : number of active columns ||z||_0 on the support; n_samples : N (a vertex has m* <= N).
    dual_scale : the factor s applied to lambda to make it dual feasible.
    lambda_norm : ||lambda||_2, the scale of the equality residuals in ``ok``.
    """

    primal: float
    dual: float
    gap: float
    relative_gap: float
    kkt_residual: float
    intercept_residual: float
    unpenalized_residual: float
    max_correlation_ratio: float
    m_star: int
    n_samples: int
    dual_scale: float
    lambda_norm: float

    def ok(self, tol: float = 1e-6) -> bool:
        """True if relative gap, KKT residual and the equality residuals (relative to
        sqrt(N) ||lambda||) are all <= tol."""
        scale = max(np.sqrt(self.n_samples) * self.lambda_norm, np.finfo(float).tiny)
        return (
            self.relative_gap <= tol
            and self.kkt_residual <= tol
            and abs(self.intercept_residual) <= tol * scale
            and self.unpenalized_residual <= tol * scale
        )

    def __repr__(self) -> str:
        return (
            f"LassoCertificate(relative_gap={self.relative_gap:.2e}, kkt_residual="
            f"{self.kkt_residual:.2e}, max|A^T lambda|/beta={self.max_correlation_ratio:.8f}, "
            f"m*={self.m_star} (N={self.n_samples}))"
        )

    def summary(self, indent: str = "") -> str:
        """Multi-line report with the verdict of ``ok()``."""
        rows = [
            ("primal objective", f"{self.primal:.12g}"),
            ("dual objective", f"{self.dual:.12g}  (lambda scaled by {self.dual_scale:.10f})"),
            ("duality gap", f"{self.gap:.3e}  (relative {self.relative_gap:.3e})"),
            ("KKT residual", f"{self.kkt_residual:.3e}  (relative to beta_t)"),
            ("1^T lambda", f"{self.intercept_residual:.3e}"),
            ("||U^T lambda||_inf", f"{self.unpenalized_residual:.3e}"),
            ("max|A^T lambda|/beta", f"{self.max_correlation_ratio:.10f}"),
            ("active m*", f"{self.m_star}  (N = {self.n_samples}; a vertex solution has m* <= N)"),
            ("ok(1e-6)", str(self.ok(1e-6))),
        ]
        lines = [f"{indent}LassoCertificate"]
        lines += [f"{indent}  {name:<22}{value}" for name, value in rows]
        return "\n".join(lines)


def certificate(problem: LassoProblem, solution: LassoSolution) -> LassoCertificate:
    """Duality gap and KKT residual of ``solution`` for ``problem`` (see module docstring).

    For the squared loss lambda is recomputed as y_hat - y from (z, xi, omega); for other
    losses the solution's subgradient ``solution.dual`` is used.
    """
    residual = problem.residual(solution.z, solution.xi, solution.omega)
    lam = residual if problem.loss == "squared" else np.asarray(solution.dual, dtype=np.float64)
    beta = problem.beta_t
    correlations = problem.A.rmatvec(lam)
    max_corr = float(np.max(np.abs(correlations)))

    support = solution.support
    off = np.ones(problem.n_features, dtype=bool)
    off[support] = False
    on_violation = np.abs(correlations[support] + beta * np.sign(solution.z[support]))
    off_violation = np.maximum(np.abs(correlations[off]) - beta, 0.0)
    kkt = float(np.max(np.concatenate([on_violation, off_violation]), initial=0.0))

    B = problem.unpenalized_basis()
    feasible, scale = _dual_feasible_point(problem, lam, B)
    primal = problem.datafit.value(residual) + beta * float(np.abs(solution.z).sum())
    dual = problem.datafit.dual_value(feasible, problem.y)
    gap = primal - dual
    return LassoCertificate(
        primal=primal,
        dual=dual,
        gap=gap,
        relative_gap=gap / max(abs(primal), np.finfo(float).tiny),
        kkt_residual=kkt / beta if beta > 0 else kkt,
        intercept_residual=float(lam.sum()) if problem.intercept else 0.0,
        unpenalized_residual=float(np.max(np.abs(problem.U.T @ lam), initial=0.0)),
        max_correlation_ratio=max_corr / beta if beta > 0 else (np.inf if max_corr > 0 else 0.0),
        m_star=int(support.size),
        n_samples=problem.n_samples,
        dual_scale=scale,
        lambda_norm=float(np.linalg.norm(lam)),
    )


def _dual_feasible_point(problem: LassoProblem, lam: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, float]:
    """s * (lambda projected onto null(B^T)) with the largest s <= 1 that is dual feasible."""
    if B.shape[1]:
        lam = lam - B @ np.linalg.lstsq(B, lam, rcond=None)[0]
    max_corr = float(np.max(np.abs(problem.A.rmatvec(lam))))
    scale = problem.datafit.dual_domain_scale(lam)
    if max_corr > problem.beta_t:
        scale = min(scale, problem.beta_t / max_corr)
    return scale * lam, scale
