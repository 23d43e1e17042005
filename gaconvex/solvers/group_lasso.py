"""The group Lasso for vector outputs (001 Thm 14): one group of c output weights per feature.

A network with c outputs trained with weight decay is equivalent (001 Thm 14) to

    min_{Z, xi, Omega}  1/2 sum_i w_i ||(A Z + 1 xi^T + U Omega - Y)_i||_2^2
                        + beta_t sum_j ||Z_j,:||_2,                      Y in R^{N x c},

whose penalty couples the c outputs of each feature (a unit is kept for all outputs or for
none).  Dual (Lagrangian of the fit, as in 002 Sec. 2.8 for c = 1):

    max_Lambda  -1/2 sum_i ||Lambda_i||^2 / w_i - <Lambda, Y>
    s.t.        1^T Lambda = 0,  U^T Lambda = 0,  ||A_j^T Lambda||_2 <= beta_t for every j,

with Lambda* = W (Y_hat - Y); KKT: A_j^T Lambda* = -beta_t Z_j / ||Z_j|| on the support and
||A_j^T Lambda*|| <= beta_t elsewhere.  For c = 1 this is the Lasso of :class:`LassoProblem`.

Solver (``solve_group``): the free columns are eliminated exactly as in :mod:`.working_set`
(Pi the projector onto span(W^1/2 [1, U]): the problem is the plain group Lasso of
M = (I - Pi) W^1/2 A and (I - Pi) W^1/2 Y, rescaled to unit size); an outer working set over
groups adds the rows with the largest ||A_j^T Lambda|| > beta_t from full correlation passes
through the dictionary operator; the working-set problem is solved as a second-order cone
program (Clarabel; first-order methods crawl on these coherent columns) and finished by
Newton's method on its support (where the penalty is smooth: Hessian
M_S^T M_S (x) I_c + beta blockdiag((I - u_j u_j^T) / ||Z_j||), u_j = Z_j / ||Z_j||), which
leaves exact zeros off the support and the KKT equations on it to rounding; the duality gap of
the rescaled dual point stops the loop.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._validation import GaconvexError, check_targets
from .operator import DictionaryOperator, as_operator
from .problem import FreeColumnsProblem, _check_beta, _check_unpenalized, _check_weights
from .working_set import progress_report

__all__ = ["GroupLassoProblem", "GroupLassoSolution", "GroupLassoCertificate", "solve_group",
           "group_certificate"]

_EPS = np.finfo(float).eps


class GroupLassoProblem(FreeColumnsProblem):
    """A validated group Lasso ``(A, Y, beta_t)`` (module docstring) with a free intercept
    row xi (c,), unpenalized columns U (coefficients Omega (k, c)) and sample weights w."""

    def __init__(self, A, Y, beta_t: float, *, intercept: bool = True, unpenalized=None,
                 sample_weight=None):
        self.A: DictionaryOperator = as_operator(A)
        n, _ = self.A.shape
        Y = check_targets(Y, n, "Y")
        self.Y = Y[:, None] if Y.ndim == 1 else Y
        self.beta_t = _check_beta(beta_t)
        if self.beta_t == 0:
            raise GaconvexError("beta_t = 0 is the interpolation limit, not a group Lasso; pass "
                                "beta_t > 0 (e.g. 1e-7).")
        self.intercept = bool(intercept)
        self.U = _check_unpenalized(unpenalized, n)
        self.sample_weight = _check_weights(sample_weight, n)

    @property
    def n_outputs(self) -> int:
        return self.Y.shape[1]

    def fitted(self, Z, xi=None, Omega=None) -> np.ndarray:
        """A Z + 1 xi^T + U Omega (N, c)."""
        Z = np.asarray(Z, dtype=np.float64).reshape(self.n_features, self.n_outputs)
        out = np.column_stack([self.A.matvec(Z[:, k]) for k in range(self.n_outputs)])
        if xi is not None:
            out = out + np.asarray(xi, dtype=np.float64).reshape(1, -1)
        if Omega is not None and self.U.shape[1]:
            out = out + self.U @ np.asarray(Omega, dtype=np.float64).reshape(self.U.shape[1], -1)
        return out

    def objective(self, Z, xi=None, Omega=None) -> float:
        R = self.fitted(Z, xi, Omega) - self.Y
        Z = np.asarray(Z, dtype=np.float64).reshape(self.n_features, self.n_outputs)
        return (0.5 * float(np.sum(self.weights[:, None] * R * R))
                + self.beta_t * float(np.linalg.norm(Z, axis=1).sum()))

    def free_fit(self, target: np.ndarray) -> np.ndarray:
        """C = argmin sum_i w_i ||(B C - target)_i||^2 (rows: xi, then Omega)."""
        B = self.unpenalized_basis()
        if not B.shape[1]:
            return np.zeros((0, self.n_outputs))
        root = np.sqrt(self.weights)
        return np.linalg.lstsq(root[:, None] * B, root[:, None] * target, rcond=None)[0]

    def correlations(self, Lam: np.ndarray) -> np.ndarray:
        """A^T Lambda (P, c), one operator pass per output."""
        return np.column_stack([self.A.rmatvec(Lam[:, k]) for k in range(Lam.shape[1])])

    def beta_max(self) -> float:
        """max_j ||A_j^T W (Y - P Y)||_2: the smallest beta_t with Z* = 0."""
        R = self.Y - self.unpenalized_basis() @ self.free_fit(self.Y)
        return float(np.linalg.norm(self.correlations(self.weights[:, None] * R), axis=1).max())

    def __repr__(self) -> str:
        return (f"GroupLassoProblem(N={self.n_samples}, P={self.n_features}, "
                f"c={self.n_outputs}, beta_t={self.beta_t:g}, intercept={self.intercept})")


@dataclass(frozen=True)
class GroupLassoCertificate:
    """Duality gap and KKT residual of a group Lasso solution (module docstring's dual at
    Lambda = s * project(W (Y_hat - Y)), s <= 1 the largest feasible scale)."""

    primal: float
    dual: float
    gap: float
    relative_gap: float
    kkt_residual: float
    intercept_residual: float
    max_correlation_ratio: float
    m_star: int
    n_samples: int

    def ok(self, tol: float = 1e-6) -> bool:
        return bool(self.relative_gap <= tol and self.kkt_residual <= tol)

    def summary(self, indent: str = "") -> str:
        """Multi-line report with the verdict of ``ok()`` (as ``LassoCertificate.summary``)."""
        rows = [("primal objective", f"{self.primal:.12g}"),
                ("dual objective", f"{self.dual:.12g}"),
                ("duality gap", f"{self.gap:.3e}  (relative {self.relative_gap:.3e})"),
                ("KKT residual", f"{self.kkt_residual:.3e}  (relative to beta_t)"),
                ("max||A_j^T L||/beta", f"{self.max_correlation_ratio:.10f}"),
                ("active rows m*", f"{self.m_star}  (N = {self.n_samples})"),
                ("ok(1e-6)", str(self.ok(1e-6)))]
        return "\n".join([f"{indent}GroupLassoCertificate"]
                         + [f"{indent}  {name:<22}{value}" for name, value in rows])

    def __repr__(self) -> str:
        return (f"GroupLassoCertificate(relative_gap={self.relative_gap:.2e}, kkt_residual="
                f"{self.kkt_residual:.2e}, max||A_j^T Lambda||/beta={self.max_correlation_ratio:.8f}, "
                f"m*={self.m_star} (N={self.n_samples}))")


@dataclass
class GroupLassoSolution:
    """Z (P, c), xi (c,), Omega (k, c), the fit (N, c), the dual Lambda (N, c) and the report."""

    Z: np.ndarray
    xi: np.ndarray
    Omega: np.ndarray
    objective: float
    fitted: np.ndarray
    dual: np.ndarray
    status: str
    solver: str
    solve_time: float
    certificate: GroupLassoCertificate | None = field(default=None, repr=False)
    info: dict = field(default_factory=dict, repr=False)

    @property
    def support(self) -> np.ndarray:
        """Rows j with Z_j != 0 (the units of the network)."""
        return np.flatnonzero(np.linalg.norm(self.Z, axis=1) > 0)

    @property
    def m_star(self) -> int:
        return int(self.support.size)


def group_certificate(problem: GroupLassoProblem, solution: GroupLassoSolution) -> GroupLassoCertificate:
    """The certificate of ``solution`` (module docstring): primal - dual bounds the
    suboptimality; the KKT residual is relative to beta_t."""
    w, beta, Y = problem.weights, problem.beta_t, problem.Y
    B = problem.unpenalized_basis()
    R = problem.fitted(solution.Z, solution.xi, solution.Omega) - Y
    Lam = w[:, None] * R
    corr = problem.correlations(Lam)
    norms_Z = np.linalg.norm(solution.Z, axis=1)
    on = norms_Z > 0
    kkt_on = np.linalg.norm(corr[on] + beta * solution.Z[on] / norms_Z[on, None], axis=1)
    kkt_off = np.maximum(np.linalg.norm(corr[~on], axis=1) - beta, 0.0)
    kkt = float(np.max(np.concatenate([kkt_on, kkt_off]), initial=0.0)) / beta
    projected = Lam - B @ np.linalg.lstsq(B, Lam, rcond=None)[0] if B.shape[1] else Lam
    ratio = float(np.linalg.norm(problem.correlations(projected), axis=1).max()) / beta
    feasible = projected / max(1.0, ratio)
    primal = problem.objective(solution.Z, solution.xi, solution.Omega)
    dual = -0.5 * float(np.sum(feasible * feasible / w[:, None])) - float(np.sum(feasible * Y))
    centred = Y - (np.average(Y, axis=0, weights=w) if problem.intercept else 0.0)
    floor = problem.n_samples * _EPS * 0.5 * float(np.sum(w[:, None] * centred * centred))
    gap = primal - dual
    return GroupLassoCertificate(
        primal=primal, dual=dual, gap=gap,
        relative_gap=gap / max(abs(primal), floor, np.finfo(float).tiny),
        kkt_residual=kkt,
        intercept_residual=float(np.abs(Lam.sum(axis=0)).max()) if problem.intercept else 0.0,
        max_correlation_ratio=float(np.linalg.norm(corr, axis=1).max()) / beta,
        m_star=int(on.sum()), n_samples=problem.n_samples)


# ------------------------------------------------------------------------------------------
# the inner solve on a dense working set: min 1/2 ||M Z - b||_F^2 + beta sum_j ||Z_j||
# ------------------------------------------------------------------------------------------
def _row_norms(Z):
    return np.linalg.norm(Z, axis=1)


def _inner_objective(M, b, beta, Z):
    R = M @ Z - b
    return 0.5 * float(np.sum(R * R)) + beta * float(_row_norms(Z).sum())


def _inner_gap(M, b, beta, Z):
    """Relative duality gap on the working set (dual point -s R, s = min(1, beta / max||M_j^T R||))."""
    R = M @ Z - b
    primal = 0.5 * float(np.sum(R * R)) + beta * float(_row_norms(Z).sum())
    theta = -R / max(1.0, float(_row_norms(M.T @ R).max(initial=0.0)) / beta)
    dual = -0.5 * float(np.sum(theta * theta)) + float(np.sum(theta * b))
    return (primal - dual) / max(primal, np.finfo(float).tiny)


def _newton_step(MS, gram, b, beta, X):
    """The Newton step of f(X) = 1/2 ||M_S X - b||^2 + beta sum ||X_j|| at X (rows nonzero)
    and the gradient."""
    s, c = X.shape
    norms = _row_norms(X)
    U = X / norms[:, None]
    grad = MS.T @ (MS @ X - b) + beta * U
    H = np.kron(gram, np.eye(c))
    for i in range(s):
        H[i * c:(i + 1) * c, i * c:(i + 1) * c] += beta / norms[i] * (np.eye(c) - np.outer(U[i], U[i]))
    import warnings

    from scipy.linalg import LinAlgError, LinAlgWarning, solve

    H[np.diag_indices_from(H)] += 1e-13 * max(float(np.trace(H)) / H.shape[0], _EPS)
    try:  # PSD: Cholesky with a ridge (dependent rows of the coherent libraries are expected)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LinAlgWarning)
            step = -solve(H, grad.reshape(-1), assume_a="pos", check_finite=False)
    except LinAlgError:
        step = -np.linalg.lstsq(H, grad.reshape(-1), rcond=None)[0]
    return step.reshape(s, c), grad


def _group_newton(M, b, beta, Z, max_steps: int = 200):
    """An active-set Newton method from Z (every step lowers the objective):

    * on the support S (nonzero rows), where the penalty is smooth, damped Newton steps; a
      step whose target points a row back through the origin (<X_j + step_j, X_j> < 0) is cut
      where that row's component along X_j vanishes and the row is zeroed, if that lowers the
      objective (the group form of feature-sign search, Lee et al. 2007);
    * at a stationary point on S, the zero row with the largest ||M_j^T R|| > beta enters at
      the exact minimizer t* = (||M_j^T R|| - beta) / ||M_j d||^2 along d = -M_j^T R / ||M_j^T R||.
    """
    Z = Z.copy()
    f = _inner_objective(M, b, beta, Z)
    scale = max(1.0, float(np.abs(M.T @ b).max(initial=0.0)))
    for _ in range(max_steps):
        S = np.flatnonzero(_row_norms(Z) > 0)
        R = M @ Z - b
        stationary = True
        if S.size:
            MS = M[:, S]
            X = Z[S]
            step, grad = _newton_step(MS, MS.T @ MS, b, beta, X)
            slope = float(np.sum(grad * step))
            if np.abs(grad).max() > 1e-14 * scale and slope < 0:
                stationary = False
                along = np.sum((X + step) * X, axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    cross = np.where(along < 0, np.sum(X * X, axis=1) / -np.sum(step * X, axis=1), np.inf)
                k = int(np.argmin(cross))
                if cross[k] < 1.0:  # try the cut with row k dropped
                    trial = Z.copy()
                    trial[S] = X + cross[k] * step
                    trial[S[k]] = 0.0
                    f_trial = _inner_objective(M, b, beta, trial)
                    if f_trial < f:
                        Z, f = trial, f_trial
                        continue
                t = 1.0
                while t > 1e-14:
                    trial = Z.copy()
                    trial[S] = X + t * step
                    if _row_norms(trial[S]).min() > 0:
                        f_trial = _inner_objective(M, b, beta, trial)
                        if f_trial <= f + 1e-4 * t * slope + 8 * _EPS * abs(f):
                            break  # (rounding slack: near the optimum f is flat to eps f)
                    t *= 0.5
                if t > 1e-14:
                    Z, f = trial, f_trial
                    continue
                stationary = True  # no descent left at working precision
        G = M.T @ R
        gnorm = _row_norms(G)
        gnorm[S] = 0.0
        j = int(np.argmax(gnorm)) if gnorm.size else 0
        if not stationary or not gnorm.size or gnorm[j] <= beta * (1 + 1e-12):
            break
        d = -G[j] / gnorm[j]
        Md = M[:, j:j + 1] @ d[None, :]
        t = (gnorm[j] - beta) / float(np.sum(Md * Md))
        trial = Z.copy()
        trial[j] = t * d
        f_trial = _inner_objective(M, b, beta, trial)
        if not f_trial < f:
            break
        Z, f = trial, f_trial
    return Z


def _socp(M, b, beta, tol):
    """The working-set problem as a second-order cone program (cvxpy + Clarabel): interior
    points are not troubled by the near-parallel columns of the 1-D libraries."""
    import cvxpy as cp

    Z = cp.Variable((M.shape[1], b.shape[1]))
    objective = 0.5 * cp.sum_squares(M @ Z - b) + beta * cp.sum(cp.norm(Z, 2, axis=1))
    cp.Problem(cp.Minimize(objective)).solve(solver="CLARABEL", tol_gap_abs=tol, tol_gap_rel=tol,
                                             tol_feas=tol, max_iter=500)
    if Z.value is None:
        raise GaconvexError("the group Lasso's working-set SOCP returned no solution; rescale "
                            "the dictionary or use solver='reference'.")
    return np.asarray(Z.value)


def _inner_solve(M, b, beta, Z, tol):
    """The working-set problem to rounding.  First the active-set Newton method warm-started
    from Z (the previous working set's solution, new rows at 0); if that leaves a gap above
    tol, the SOCP, then rows outside the dual-active set {j : ||M_j^T R|| >= beta (1 - delta)}
    (the support lies in it) and tiny rows are zeroed and Newton runs on the rest (delta in
    1e-9 ... 1e-3, until one closes the gap; the best point is kept)."""
    tol = max(tol, 1e-13)
    if np.any(Z):
        warm = _group_newton(M, b, beta, Z)
        if _inner_gap(M, b, beta, warm) <= tol:
            return warm
    Z0 = _socp(M, b, beta, 1e-10)
    corr = _row_norms(M.T @ (M @ Z0 - b))
    norms = _row_norms(Z0)
    best, best_value = Z0, _inner_objective(M, b, beta, Z0)
    for delta in (1e-9, 1e-7, 1e-5, 1e-3):
        keep = (corr >= beta * (1 - delta)) & (norms > 1e-9 * norms.max(initial=0.0))
        candidate = np.where(keep[:, None], Z0, 0.0)
        candidate = _group_newton(M, b, beta, candidate)
        value = _inner_objective(M, b, beta, candidate)
        if value <= best_value:
            best, best_value = candidate, value
        if _inner_gap(M, b, beta, best) <= tol:
            break
    return best


# ------------------------------------------------------------------------------------------
# the outer working set
# ------------------------------------------------------------------------------------------
def solve_group(problem: GroupLassoProblem, solver: str = "auto", *, tol: float = 1e-9,
                max_iter: int = 100, time_limit: float | None = None, verbose: bool = False,
                initial_size: int = 50) -> GroupLassoSolution:
    """Solve the group Lasso (module docstring) and attach its certificate.

    solver : "auto" / "working_set" (this module) or "reference" (cvxpy + Clarabel, dense).
    tol : relative duality gap of the rescaled dual point at which the outer loop stops.
    max_iter, time_limit : outer iterations and wall time (status "max_iter" / "time_limit");
        Ctrl-C returns the current iterate (status "interrupted").
    """
    if not isinstance(problem, GroupLassoProblem):
        raise GaconvexError(f"solve_group expects a GroupLassoProblem, got {type(problem).__name__}.")
    if solver == "reference":
        solution = _solve_group_reference(problem, tol=min(tol, 1e-9))
    elif solver in ("auto", "working_set"):
        solution = _solve_group_working_set(problem, tol, max_iter, time_limit, verbose,
                                            initial_size)
    else:
        raise GaconvexError(f"unknown group Lasso solver {solver!r}; use 'auto', 'working_set' "
                            "or 'reference'.")
    solution.certificate = group_certificate(problem, solution)
    return solution


def _solve_group_working_set(problem, tol, max_iter, time_limit, verbose, initial_size):
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    report = progress_report(verbose, "group Lasso", "max||c||/beta")
    n, p, c = problem.n_samples, problem.n_features, problem.n_outputs
    root = np.sqrt(problem.weights)
    WB = root[:, None] * problem.unpenalized_basis()
    QB = np.linalg.qr(WB)[0] if WB.shape[1] else np.empty((n, 0))

    def project(V):
        return V - QB @ (QB.T @ V) if QB.shape[1] else V

    s_A = float(problem.A.column_norms().max()) * float(root.max())
    s_A = s_A if s_A > 0 else 1.0
    b = project(root[:, None] * problem.Y)
    s_y = float(np.abs(b).max())
    s_y = s_y if s_y > 0 else 1.0
    b = b / s_y
    beta = problem.beta_t / (s_A * s_y)
    members = np.zeros(0, dtype=np.intp)
    M = np.empty((n, 0))
    Zw = np.empty((0, c))
    status, it = "max_iter", 0
    try:
        with threadpool_limits(1):
            for it in range(1, max_iter + 1):
                R = M @ Zw - b
                G = problem.correlations(root[:, None] * R) / s_A
                gnorm = _row_norms(G)
                ratio = float(gnorm.max()) / beta
                primal = 0.5 * float(np.sum(R * R)) + beta * float(_row_norms(Zw).sum())
                theta = -R / max(1.0, ratio)
                dual = -0.5 * float(np.sum(theta * theta)) + float(np.sum(theta * b))
                floor = n * _EPS * 0.5 * float(np.sum(b * b))
                gap = (primal - dual) / max(primal, floor, np.finfo(float).tiny)
                report(it, members.size, int((_row_norms(Zw) > 0).sum()), ratio, gap)
                if gap <= tol:
                    status = "optimal"
                    break
                if time_limit is not None and time.perf_counter() - start > time_limit:
                    status = "time_limit"
                    break
                outside = np.ones(p, dtype=bool)
                outside[members] = False
                violating = np.flatnonzero(outside & (gnorm > beta * (1 + tol)))
                if violating.size:
                    k = max(initial_size, 2 * int((_row_norms(Zw) > 0).sum()))
                    new = violating[np.argsort(-gnorm[violating])[:k]]
                    members = np.concatenate([members, new])
                    M = np.hstack([M, project(root[:, None] * problem.A.columns(new)) / s_A])
                    Zw = np.vstack([Zw, np.zeros((new.size, c))])
                elif it > 1:  # no violator left: the inner solve must close the gap
                    before = _inner_objective(M, b, beta, Zw)
                    Zw = _inner_solve(M, b, beta, Zw, tol)
                    if _inner_objective(M, b, beta, Zw) >= before:
                        status = "optimal" if gap <= np.sqrt(tol) else "stalled"
                        break
                    continue
                Zw = _inner_solve(M, b, beta, Zw, tol)
    except KeyboardInterrupt:
        status = "interrupted"
    Z = np.zeros((p, c))
    Z[members] = Zw * (s_y / s_A)
    return _group_solution(problem, Z, status, "group_working_set", start,
                           {"iterations": it, "working_set": int(members.size)})


def _group_solution(problem, Z, status, name, start, info) -> GroupLassoSolution:
    C = problem.free_fit(problem.Y - problem.fitted(Z))
    xi = C[0] if problem.intercept else np.zeros(problem.n_outputs)
    Omega = C[1:] if problem.intercept else C
    fitted = problem.fitted(Z, xi, Omega)
    return GroupLassoSolution(Z=Z, xi=xi, Omega=Omega, objective=problem.objective(Z, xi, Omega),
                              fitted=fitted, dual=problem.weights[:, None] * (fitted - problem.Y),
                              status=status, solver=name, solve_time=time.perf_counter() - start,
                              info=info)


def _solve_group_reference(problem: GroupLassoProblem, tol: float) -> GroupLassoSolution:
    """cvxpy + Clarabel on the dense dictionary (an interior point: rows are small, not zero)."""
    import cvxpy as cp

    start = time.perf_counter()
    A = problem.A.to_dense()
    Z = cp.Variable((problem.n_features, problem.n_outputs))
    fit = A @ Z
    B = problem.unpenalized_basis()
    if B.shape[1]:
        fit = fit + B @ cp.Variable((B.shape[1], problem.n_outputs))
    R = fit - problem.Y
    objective = (0.5 * cp.sum(cp.multiply(problem.weights[:, None], cp.square(R)))
                 + problem.beta_t * cp.sum(cp.norm(Z, 2, axis=1)))
    cvx = cp.Problem(cp.Minimize(objective))
    cvx.solve(solver="CLARABEL", tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol, max_iter=500)
    if Z.value is None:
        raise GaconvexError(f"cvxpy returned no solution (status {cvx.status!r}) for {problem!r}.")
    return _group_solution(problem, np.asarray(Z.value), str(cvx.status), "group_reference",
                           start, {})
