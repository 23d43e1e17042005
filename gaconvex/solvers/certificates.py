"""Optimality certificates: duality gap and KKT residual of a Lasso (or min-norm) solution.

Dual of the Lasso (002 Sec. 2.8, Lemma D.8; weighted squared loss shown):

    max_lambda  -1/2 sum_i lambda_i^2 / w_i - lambda^T y
    s.t.        1^T lambda = 0 (if intercept),  U^T lambda = 0,  ||A^T lambda||_inf <= beta_t,

with lambda* = W (y_hat - y). KKT (002 Sec. 7 notes, Remark D.22): A_j^T lambda* = -beta_t
sign(z_j) on the support and |A_j^T lambda*| <= beta_t elsewhere. For the dual point, the
solution's lambda is projected onto {1^T lambda = 0, U^T lambda = 0} and scaled by the largest
s <= 1 that makes it dual feasible (the box of the quantile/l1 conjugate included), so
``primal - dual`` is a true upper bound on the suboptimality of the solution.

For beta_t = 0 the problem is the minimum-norm interpolation LP (002 (C.1)): primal ||z||_1
subject to A z + xi 1 + U omega = y, dual max -mu^T y s.t. ||A^T mu||_inf <= 1 (and the same
equalities), with mu the solution's ``dual``; the certificate then also reports how well the
fit interpolates.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import LassoProblem
from .solution import LassoSolution

__all__ = ["LassoCertificate", "accurate_residual", "certificate", "dual_feasible_point"]

_EPS = np.finfo(float).eps
#: Columns of ``accurate_residual`` converted to long double at a time (N x 256 of them).
_EXTENDED_CHUNK = 256


@dataclass(frozen=True)
class LassoCertificate:
    """Primal-dual quality report of a Lasso solution.

    Attributes
    ----------
    primal : objective at the solution, recomputed from (z, xi, omega) (||z||_1 for beta_t = 0).
    dual : dual objective at the rescaled, dual-feasible lambda (a lower bound on the optimum).
    gap : primal - dual (>= 0 up to rounding).
    relative_gap : gap / max(|primal|, floor), floor = N eps L_y(0) (the rounding level of an
        objective computed from these data: a constant y solved exactly is not a failure).
    kkt_residual : max_j dist(-A_j^T lambda, beta_t d|z_j|) / beta_t, lambda the solution's dual
        (on the support |A_j^T lambda + beta_t sign z_j|, elsewhere (|A_j^T lambda| - beta_t)_+);
        for beta_t = 0 the same with beta_t replaced by 1 and lambda by mu.
    intercept_residual : 1^T lambda (0 when the problem has no intercept).
    unpenalized_residual : ||U^T lambda||_inf (0 when there is no U).
    max_correlation_ratio : max_j |A_j^T lambda| / beta_t (<= 1 iff lambda is dual feasible).
    m_star : number of active columns ||z||_0 on the support; n_samples : N (a vertex has m* <= N).
    dual_scale : the factor s applied to lambda to make it dual feasible.
    lambda_norm : ||lambda||_2, the scale of the equality residuals in ``ok``.
    interpolation_residual : beta_t = 0 only: ||A z + xi 1 + U omega - y||_inf / ||y||_inf.
    rounding : N eps times the size of a dual vector of these data (max |w y| for the squared
        loss, max w for box losses, ||mu||_inf for beta_t = 0): equality residuals below it are
        rounding, not violations (a constant y fitted by xi leaves 1^T lambda ~ N eps |y|).
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
    interpolation_residual: float = 0.0
    rounding: float = 0.0

    def ok(self, tol: float = 1e-6) -> bool:
        """True if relative gap, KKT residual and the equality residuals (relative to
        sqrt(N) ||lambda||) are all <= tol (and, for beta_t = 0, the fit interpolates)."""
        scale = max(np.sqrt(self.n_samples) * self.lambda_norm, np.finfo(float).tiny)
        return bool(
            self.relative_gap <= tol
            and self.kkt_residual <= tol
            and abs(self.intercept_residual) <= tol * scale + self.rounding
            and self.unpenalized_residual <= tol * scale + self.rounding
            and self.interpolation_residual <= tol
        )

    def scaled(self, objective: float, dual: float) -> "LassoCertificate":
        """The same certificate with objectives multiplied by ``objective`` and dual vectors by
        ``dual`` (the unscaling of :func:`gaconvex.solvers.solve`); ratios are scale-free."""
        from dataclasses import replace

        return replace(self, primal=self.primal * objective, dual=self.dual * objective,
                       gap=self.gap * objective, intercept_residual=self.intercept_residual * dual,
                       unpenalized_residual=self.unpenalized_residual * dual,
                       lambda_norm=self.lambda_norm * dual, rounding=self.rounding * dual)

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
        ]
        if self.interpolation_residual:
            rows.append(("interpolation error", f"{self.interpolation_residual:.3e}"))
        rows.append(("ok(1e-6)", str(self.ok(1e-6))))
        lines = [f"{indent}LassoCertificate"]
        lines += [f"{indent}  {name:<22}{value}" for name, value in rows]
        return "\n".join(lines)


def certificate(problem: LassoProblem, solution: LassoSolution) -> LassoCertificate:
    """Duality gap and KKT residual of ``solution`` for ``problem`` (see module docstring).

    For smooth losses lambda is recomputed as the gradient W (y_hat - y) from (z, xi, omega);
    for the other losses, and for the min-norm problem (beta_t = 0), the solution's ``dual`` is
    used.
    """
    residual = accurate_residual(problem, solution.z, solution.xi, solution.omega)
    min_norm = problem.beta_t == 0
    if problem.datafit.smooth and not min_norm:
        lam = problem.datafit.gradient(residual)
    else:
        lam = np.asarray(solution.dual, dtype=np.float64)
    bound = 1.0 if min_norm else problem.beta_t
    correlations = problem.A.rmatvec(lam)

    support = solution.support
    off = np.ones(problem.n_features, dtype=bool)
    off[support] = False
    on_violation = np.abs(correlations[support] + bound * np.sign(solution.z[support]))
    off_violation = np.maximum(np.abs(correlations[off]) - bound, 0.0)
    kkt = float(np.max(np.concatenate([on_violation, off_violation]), initial=0.0))

    feasible, scale = _dual_feasible_point(problem, lam, bound, correlations)
    penalty = float(np.abs(solution.z).sum())
    if min_norm:
        primal, dual = penalty, -float(feasible @ problem.y)
        floor = _EPS * max(penalty, 1.0)
        y_scale = max(float(np.max(np.abs(problem.y))), np.finfo(float).tiny)
        interpolation = float(np.max(np.abs(residual))) / y_scale
    else:
        primal = problem.datafit.value(residual) + problem.beta_t * penalty
        dual = problem.datafit.dual_value(feasible, problem.y)
        floor = problem.n_samples * _EPS * problem.datafit.null_value(problem.y)
        interpolation = 0.0
    if problem.datafit.smooth and not min_norm:
        typical = float(np.max(np.abs(problem.datafit.gradient(problem.y))))
    else:
        typical = float(np.max(np.abs(lam), initial=0.0)) if min_norm else float(np.max(problem.weights))
    gap = primal - dual
    return LassoCertificate(
        primal=primal,
        dual=dual,
        gap=gap,
        relative_gap=gap / max(abs(primal), floor, np.finfo(float).tiny),
        kkt_residual=kkt / bound,
        intercept_residual=float(lam.sum()) if problem.intercept else 0.0,
        unpenalized_residual=float(np.max(np.abs(problem.U.T @ lam), initial=0.0)),
        max_correlation_ratio=float(np.max(np.abs(correlations), initial=0.0)) / bound,
        m_star=int(support.size),
        n_samples=problem.n_samples,
        dual_scale=scale,
        lambda_norm=float(np.linalg.norm(lam)),
        interpolation_residual=interpolation,
        rounding=4 * problem.n_samples * _EPS * typical,
    )


def accurate_residual(problem: LassoProblem, z, xi: float, omega,
                      columns: np.ndarray | None = None) -> np.ndarray:
    """r = A z + xi 1 + U omega - y summed in extended precision over the nonzero columns
    (``columns``: theirs, N x nnz in increasing order, if already evaluated): at a small
    beta_t the fit interpolates y to many digits and r is far below y, so a float64 sum would
    leave only rounding in the dual vector the certificate tests.  The columns are converted
    ``_EXTENDED_CHUNK`` at a time (a long-double copy of all of them could exceed memory)."""
    z = np.asarray(z, dtype=np.float64)
    nonzero = np.flatnonzero(z)
    ext = np.longdouble
    r = (problem.U.astype(ext) @ np.asarray(omega, dtype=ext) + ext(xi)
         - problem.y.astype(ext))
    for start in range(0, nonzero.size, _EXTENDED_CHUNK):
        part = nonzero[start:start + _EXTENDED_CHUNK]
        block = (problem.A.columns(part) if columns is None
                 else columns[:, start:start + _EXTENDED_CHUNK])
        r = r + block.astype(ext) @ z[part].astype(ext)
    return r.astype(np.float64)


def dual_feasible_point(problem: LassoProblem, lam: np.ndarray) -> tuple[np.ndarray, float]:
    """s * (lambda projected onto null(B^T)) with the largest s <= 1 that is dual feasible:
    1^T lambda = 0, U^T lambda = 0, ||A^T lambda||_inf <= beta_t (1 for beta_t = 0) and lambda
    in the domain of the loss's conjugate.  Returns the point and s."""
    return _dual_feasible_point(problem, lam, 1.0 if problem.beta_t == 0 else problem.beta_t)


def _dual_feasible_point(problem: LassoProblem, lam: np.ndarray, bound: float,
                         correlations: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """s * (lambda projected onto null(B^T)) with the largest s <= 1 that is dual feasible.

    ``correlations`` = A^T lambda (before the projection), when known: if the projection moves
    lambda by delta with max_j ||A_j|| ||delta|| <= 1e-9 bound (at an optimum with a free
    intercept, 1^T lambda = 0 up to rounding), max_j |A_j^T P lambda| is bounded by
    max_j |A_j^T lambda| + max_j ||A_j|| ||delta|| (Cauchy-Schwarz), which keeps s valid
    without a second pass over the library; otherwise that pass is made."""
    projected = problem.datafit.project_dual(lam, problem.unpenalized_basis())
    max_corr = None
    if correlations is not None:
        moved = float(np.linalg.norm(projected - lam))
        reach = moved * float(np.max(problem.A.column_norms(), initial=0.0)) if moved else 0.0
        if reach <= 1e-9 * bound:
            max_corr = float(np.max(np.abs(correlations), initial=0.0)) + reach
    if max_corr is None:
        max_corr = float(np.max(np.abs(problem.A.rmatvec(projected)), initial=0.0))
    scale = 1.0 if problem.beta_t == 0 else problem.datafit.dual_domain_scale(projected)
    if max_corr > bound:
        scale = min(scale, bound / max_corr)
    return scale * projected, scale
