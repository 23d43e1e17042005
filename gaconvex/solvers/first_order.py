"""A first-order Lasso solver in torch (any device) with an exact finish.

The problem (002 eq. (1.2); smooth general losses, 002 Lemma D.16), B = [1, U] the free columns:

    min_{z, c}  F(z, c) = L_y(A z + B c) + beta_t ||z||_1.

**Phase 1: FISTA with adaptive restart** (Beck & Teboulle 2009; O'Donoghue & Candes 2015) on
x = (z, d) with the fit u = A z + Q d, Q an orthonormal basis of span(B) (the free block is
then as well scaled as the rescaled columns of A, |A_j| <= 1).  With g = (A^T l, Q^T l),
l = dL/du (torch autograd of the datafit's pointwise loss), one iteration is

    x+ = prox(v - g(v) / L):  z+ = S_{beta_t / L}(z_v - A^T l / L),  d+ = d_v - Q^T l / L,
    v  = x+ + (t_k - 1) / t_{k+1} (x+ - x),   t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2,

S the soft-threshold (exact zeros), reset to t = 1 when (v - x+)^T (x+ - x) > 0 (the gradient
restart).  L starts at curvature * max_i w_i * ||[A, Q]||_2^2 (power iteration, x 1.1) and
doubles whenever the sufficient-decrease test f(x+) <= f(v) + g^T (x+ - v) + L/2 ||x+ - v||^2
fails (backtracking).  Fits are linear in x, so an iteration costs one A z and one A^T l.
Every ``check_every`` iterations the duality gap of 002 Sec. 2.8 is evaluated at the dual
point s * project(l), as in :mod:`.certificates`; phase 1 ends at relative gap ``switch_tol``
or when the sign pattern of z has been stable for 10 checks (the support is identified: on
the coherent libraries FISTA's last digits are slow, the finish's are exact).
The operator is used through matvec / rmatvec; a torch-stored dictionary (``TorchColumns``)
is multiplied on its own device, any other operator on numpy with vectors moved across.

**Phase 2: the exact finish.**  FISTA's support (its nonzeros, at most N of them by
magnitude) seeds an exact solve that ends with a KKT check on the full dictionary:

* squared loss: the working-set solver's state (:mod:`.working_set`) with the support as its
  working set and FISTA's signs as its initial active set; its outer loop adds every KKT
  violator of the full correlations A^T lambda and repeats until the duality gap is <= tol;
* other smooth losses (squared hinge, logistic): a Newton feature-sign method on the support S
  with signs s, min L_y(A_S z_S + B c) + beta_t s^T z_S, a damped (Armijo) Newton step with
  the datafit's diagonal Hessian, cut at the first sign change (that coordinate leaves S);
  then the columns with |A_j^T lambda| > beta_t (1 + tol) enter with s_j = -sign(A_j^T lambda)
  and the method repeats (Lee et al. 2007's feature-sign search for smooth losses).

``time_limit`` bounds both phases (status "time_limit"); Ctrl-C returns the best iterate with
status "interrupted"; ``verbose`` prints iterations, nonzeros, L and the gap (rich).
"""
from __future__ import annotations

import copy
import time

import numpy as np

from .._validation import GaconvexError
from .operator import ScaledOperator
from .problem import LassoProblem
from .solution import LassoSolution

__all__ = ["solve_fista", "solve_newton", "fista", "free_newton"]

_EPS = np.finfo(float).eps


# ------------------------------------------------------------------------------------------
# the operator on a torch device
# ------------------------------------------------------------------------------------------
class _TorchOperator:
    """A z and A^T r for torch vectors: on the tensor's device for a torch column store
    (through any ``ScaledOperator`` factors), else through the numpy operator."""

    def __init__(self, A, device=None):
        import torch

        factor, op = 1.0, A
        while isinstance(op, ScaledOperator):
            factor, op = factor * op.factor, op.operator
        tensor = getattr(getattr(op, "store", op), "tensor", None)
        self.tensor = tensor if isinstance(tensor, torch.Tensor) else None
        self.factor, self.operator = factor, A
        if self.tensor is not None:
            self.device = self.tensor.device
            if device is not None and torch.device(device) != self.device:
                raise GaconvexError(
                    f"the dictionary's columns live on {self.device} but device={device!r} was "
                    "asked for; omit device= (the solver follows a torch dictionary's device).")
        else:
            self.device = torch.device("cpu" if device is None else device)

    def _t(self, v):
        import torch

        return torch.as_tensor(v, dtype=torch.float64, device=self.device)

    def matvec(self, z):
        if self.tensor is not None:
            return self.factor * (self.tensor @ z)
        return self._t(self.operator.matvec(z.detach().cpu().numpy()))

    def rmatvec(self, r):
        if self.tensor is not None:
            return self.factor * (self.tensor.T @ r)
        return self._t(self.operator.rmatvec(r.detach().cpu().numpy()))


def _torch_datafit(datafit, device):
    """A copy of ``datafit`` whose bound labels (classification losses) live on ``device``, so
    the pointwise loss does not copy them host -> device at every iteration."""
    import torch

    labels = getattr(datafit, "labels", None)
    if labels is None:
        return datafit
    clone = copy.copy(datafit)
    clone.labels = torch.as_tensor(labels, dtype=torch.float64, device=device)
    return clone


def _lipschitz(op, Q, n_features, device, iterations: int = 30) -> float:
    """||[A, Q]||_2^2 by power iteration on [A, Q]^T [A, Q] (times 1.1: a lower estimate)."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(0)
    vz = torch.randn(n_features, generator=gen, dtype=torch.float64).to(device)
    vd = torch.randn(Q.shape[1], generator=gen, dtype=torch.float64).to(device)
    sigma2 = 0.0
    for _ in range(iterations):
        norm = torch.sqrt(vz @ vz + vd @ vd)
        if norm == 0:
            break
        vz, vd = vz / norm, vd / norm
        u = op.matvec(vz) + Q @ vd
        sigma2 = float(u @ u)
        vz, vd = op.rmatvec(u), Q.T @ u
    return 1.1 * max(sigma2, _EPS)


def _report(verbose: bool):
    if not verbose:
        return lambda *args: None
    from rich.console import Console

    console = Console(stderr=True)
    console.print("[bold]FISTA Lasso[/bold]  iter  nonzeros  L            rel. gap")
    return lambda it, nnz, L, gap: console.print(f"{'':12}{it:6d}  {nnz:8d}  {L:11.4e}  {gap:8.2e}")


# ------------------------------------------------------------------------------------------
# phase 1
# ------------------------------------------------------------------------------------------
class _Fista:
    """FISTA's state on the device (module docstring, phase 1)."""

    def __init__(self, problem: LassoProblem, device=None):
        import torch

        self.problem = problem
        self.op = _TorchOperator(problem.A, device)
        dev = self.op.device
        B = problem.unpenalized_basis()
        Q = np.linalg.qr(B)[0] if B.shape[1] else np.empty((problem.n_samples, 0))
        if B.shape[1]:  # drop directions of a rank-deficient B (U holding a constant column)
            Q = Q[:, np.linalg.svd(B, compute_uv=False) > 1e-12 * np.linalg.norm(B, 2)]
        self.B = B
        self.Q = torch.as_tensor(Q, dtype=torch.float64, device=dev)
        self.y = torch.as_tensor(problem.y, dtype=torch.float64, device=dev)
        self.w = torch.as_tensor(problem.weights, dtype=torch.float64, device=dev)
        self.datafit = _torch_datafit(problem.datafit, dev)
        self.beta = problem.beta_t
        self.L = (problem.datafit.curvature * float(problem.weights.max())
                  * _lipschitz(self.op, self.Q, problem.n_features, dev))
        self.z = torch.zeros(problem.n_features, dtype=torch.float64, device=dev)
        self.d = torch.zeros(self.Q.shape[1], dtype=torch.float64, device=dev)
        self.floor = problem.n_samples * _EPS * problem.datafit.null_value(problem.y)

    def loss(self, fit, grad: bool = False):
        import torch

        if not grad:
            return float((self.w * self.datafit.pointwise(fit - self.y)).sum())
        u = fit.detach().requires_grad_(True)
        value = (self.w * self.datafit.pointwise(u - self.y)).sum()
        (g,) = torch.autograd.grad(value, u)
        return float(value.detach()), g

    def fit(self, z, d):
        return self.op.matvec(z) + self.Q @ d

    def run(self, max_iter, switch_tol, check_every, deadline, report, stable_checks=10,
            min_iter=100):
        """Iterate until the relative gap is <= switch_tol or the sign pattern of z has not
        changed over ``stable_checks`` checks (after ``min_iter`` iterations: the support is
        identified, the exact finish does the rest); returns (status, iterations, gap)."""
        import torch

        beta, Q = self.beta, self.Q
        z, d = self.z, self.d
        fit_x = self.fit(z, d)
        zv, dv, fit_v, t = z, d, fit_x, 1.0
        gap, it, stable, last = np.inf, 0, 0, None
        for it in range(1, max_iter + 1):
            f_v, g = self.loss(fit_v, grad=True)
            gz, gd = self.op.rmatvec(g), Q.T @ g
            while True:
                step = zv - gz / self.L
                z_new = torch.sign(step) * torch.clamp(step.abs() - beta / self.L, min=0.0)
                d_new = dv - gd / self.L
                fit_new = self.fit(z_new, d_new)
                dz, dd = z_new - zv, d_new - dv
                bound = f_v + float(gz @ dz + gd @ dd) + 0.5 * self.L * float(dz @ dz + dd @ dd)
                if self.loss(fit_new) <= bound + 1e-12 * abs(f_v) or self.L > 1e300:
                    break
                self.L *= 2.0
            if float((zv - z_new) @ (z_new - z) + (dv - d_new) @ (d_new - d)) > 0:
                t = 1.0  # adaptive gradient restart (O'Donoghue & Candes 2015)
            t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            momentum = (t - 1.0) / t_next
            zv, dv = z_new + momentum * (z_new - z), d_new + momentum * (d_new - d)
            fit_v = fit_new + momentum * (fit_new - fit_x)
            z, d, fit_x, t = z_new, d_new, fit_new, t_next
            self.z, self.d = z, d
            if it % check_every == 0 or it == max_iter:
                fit_x = self.fit(z, d)  # no drift from the linear updates of the fits
                gap = self.relative_gap(fit_x)
                report(it, int((z != 0).sum()), self.L, gap)
                if gap <= switch_tol:
                    return "converged", it, gap
                pattern = torch.sign(z)
                stable = stable + 1 if last is not None and torch.equal(pattern, last) else 0
                last = pattern
                if stable >= stable_checks and it >= min_iter:
                    return "support", it, gap
                if deadline is not None and time.perf_counter() > deadline:
                    return "time_limit", it, gap
        return "max_iter", it, gap

    def relative_gap(self, fit) -> float:
        """(primal - dual) / max(primal, floor) at x and the dual point s * project(l(x)); for a
        non-quadratic loss the free coefficients are first optimized exactly for this z (then
        B^T l = 0 holds and the projection leaves l in the conjugate's domain)."""
        problem = self.problem
        if problem.datafit.quadratic:
            primal, g = self.loss(fit, grad=True)
            lam = problem.datafit.project_dual(g.detach().cpu().numpy(), self.B)
        else:
            offset = self.op.matvec(self.z).detach().cpu().numpy()
            c = free_newton(problem, offset, np.zeros(self.B.shape[1]))
            r = offset + self.B @ c - problem.y
            primal, lam = problem.datafit.value(r), problem.datafit.gradient(r)
            lam = problem.datafit.project_dual(lam, self.B)
        primal += self.beta * float(self.z.abs().sum())
        corr = float(self.op.rmatvec(self.op._t(lam)).abs().max())
        scale = problem.datafit.dual_domain_scale(lam)
        if corr > self.beta:
            scale = min(scale, self.beta / corr)
        dual = problem.datafit.dual_value(scale * lam, problem.y)
        return (primal - dual) / max(primal, self.floor, np.finfo(float).tiny)

    def point(self):
        """(z, c) on the host: c the free coefficients with B c = Q d."""
        z = self.z.detach().cpu().numpy()
        qd = (self.Q @ self.d).detach().cpu().numpy()
        c = np.linalg.lstsq(self.B, qd, rcond=None)[0] if self.B.shape[1] else np.zeros(0)
        return z, c


# ------------------------------------------------------------------------------------------
# phase 2: exact finishes
# ------------------------------------------------------------------------------------------
def _seeds(z: np.ndarray, n: int) -> np.ndarray:
    """FISTA's entries with |z_j| >= 1e-3 max|z|, at most N of them (a vertex has m* <= N),
    the largest first: a rough iterate spreads tiny weights over near-parallel columns, which
    the finish would otherwise remove one Newton step at a time."""
    nonzero = np.flatnonzero(np.abs(z) >= 1e-3 * np.abs(z).max(initial=0.0)) if z.any() else \
        np.zeros(0, dtype=np.intp)
    if nonzero.size > n:
        nonzero = np.sort(nonzero[np.argsort(-np.abs(z[nonzero]))[:n]])
    return nonzero


def _finish_squared(problem, z0, tol, max_iter, deadline, report):
    """The working-set solver's exact inner and outer loops, seeded with FISTA's support and
    signs (its outer loop is the KKT check on the full dictionary)."""
    from threadpoolctl import threadpool_limits

    from .working_set import _WorkingSet

    start = time.perf_counter()
    with threadpool_limits(1):
        state = _WorkingSet(problem, screening=True, initial_size=50)
        seeds = _seeds(z0, problem.n_samples)
        if seeds.size:
            kept = state._add(seeds)
            for local, j in enumerate(seeds[kept]):
                state.inner._insert(local, float(np.sign(z0[j])))  # warm active set
            state.inner.solve(problem.beta_t)
        status, iterations = state.run(problem.beta_t, tol, max_iter, deadline, report)
    return state.solution(problem.beta_t, status, start, iterations)


def _newton_on_support(problem, S, signs, v, max_steps: int = 100):
    """min_v L_y(M v) + beta_t [s; 0]^T v over v = (z_S, c), M = [A_S, B], keeping
    sign(z_S) = s: damped Newton steps cut at the first sign change (that coordinate leaves S).
    Returns (S, signs, v)."""
    datafit, y, beta = problem.datafit, problem.y, problem.beta_t
    B = problem.unpenalized_basis()
    columns = problem.A.columns(S) if S.size else np.zeros((problem.n_samples, 0))
    for _ in range(max_steps):
        zero = v[:S.size] == 0  # exact zeros leave S (they re-enter at an exact step if violating)
        if zero.any():
            S, signs, columns = S[~zero], signs[~zero], columns[:, ~zero]
            v = np.concatenate([v[:zero.size][~zero], v[zero.size:]])
        s = S.size
        M = np.hstack([columns, B])
        penalty = np.concatenate([beta * signs, np.zeros(B.shape[1])])

        def F(x):
            return datafit.value(M @ x - y) + float(penalty @ x)

        r = M @ v - y
        grad = M.T @ datafit.gradient(r) + penalty
        scale = max(1.0, beta, float(np.abs(M.T @ datafit.gradient(r)).max(initial=0.0)))
        if not grad.size or np.abs(grad).max() <= 1e-14 * scale:
            return S, signs, v
        step = _newton_direction(M.T @ (datafit.hessian(r)[:, None] * M), grad)
        zs, dz = v[:s], step[:s]
        with np.errstate(divide="ignore", invalid="ignore"):
            cross = np.where(signs * dz < 0, -zs / dz, np.inf)
        t_cross = float(cross.min(initial=np.inf))
        if t_cross <= 0.0:  # a coordinate at 0 that the step would flip: it leaves S
            k = int(np.argmin(cross))
            keep = np.arange(s) != k
            S, signs, columns = S[keep], signs[keep], columns[:, keep]
            v = np.concatenate([v[:s][keep], v[s:]])
            continue
        t = min(1.0, t_cross)
        f0, slope = F(v), float(grad @ step)
        while t > 1e-20 and F(v + t * step) > f0 + 1e-4 * t * slope + 4 * _EPS * abs(f0):
            t *= 0.5
        if t <= 1e-20:
            return S, signs, v  # no descent left at working precision
        v = v + t * step
        if t == t_cross:  # the first sign change: that coordinate leaves the support
            k = int(np.argmin(cross))
            keep = np.arange(s) != k
            S, signs, columns = S[keep], signs[keep], columns[:, keep]
            v = np.concatenate([v[:s][keep], v[s:]])
        elif np.abs(t * step).max() <= 4 * _EPS * max(1.0, float(np.abs(v).max())):
            return S, signs, v
    return S, signs, v


def _enter(problem, fit, column, sign) -> float:
    """The exact step t > 0 of a KKT violator j entering with sign s: the minimizer of
    g(t) = L_y(fit + t s A_j) + beta_t t, whose slope at 0 is s A_j^T lambda + beta_t < 0
    (safeguarded Newton on the increasing g'; every entry lowers the objective, so the
    rounds of the finish cannot cycle)."""
    datafit, y, beta = problem.datafit, problem.y, problem.beta_t
    a = sign * column

    def slope(t):
        r = fit + t * a - y
        return float(a @ datafit.gradient(r)) + beta, float(a @ (datafit.hessian(r) * a))

    g0, h0 = slope(0.0)
    if g0 >= -1e-9 * beta:  # not (or no longer, e.g. a copy of a column just entered) violating
        return 0.0
    lo, hi = 0.0, -g0 / max(h0, _EPS) if h0 > 0 else 1.0
    while slope(hi)[0] < 0 and hi < 1e300:
        lo, hi = hi, 2.0 * hi
    t = 0.5 * (lo + hi)
    for _ in range(200):
        g, h = slope(t)
        if g == 0 or hi - lo <= 4 * _EPS * hi:
            break
        lo, hi = (t, hi) if g < 0 else (lo, t)
        newton = t - g / h if h > 0 else np.nan
        t = newton if lo < newton < hi else 0.5 * (lo + hi)
    return t


def _newton_direction(H, grad):
    """-H^-1 grad for the PSD Hessian H: Cholesky with a relative ridge of 1e-13 (dependent
    columns of the coherent libraries make H singular), least squares if that fails, and the
    steepest descent direction if rounding leaves no descent."""
    import warnings

    from scipy.linalg import LinAlgError, LinAlgWarning, solve

    H = H.copy()
    H[np.diag_indices_from(H)] += 1e-13 * max(float(np.trace(H)) / max(H.shape[0], 1), _EPS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LinAlgWarning)
            step = -solve(H, grad, assume_a="pos", check_finite=False)
    except LinAlgError:
        step = -np.linalg.lstsq(H, grad, rcond=None)[0]
    return step if float(grad @ step) < 0 else -grad


def _finish_smooth(problem, z0, c0, tol, max_rounds, deadline, report):
    """Newton feature-sign rounds with a KKT check on the full dictionary (module docstring)."""
    start = time.perf_counter()
    S = _seeds(z0, problem.n_samples)
    offset = problem.A.columns(S) @ z0[S] if S.size else np.zeros(problem.n_samples)
    c0 = free_newton(problem, offset, c0)
    signs, v = np.sign(z0[S]), np.concatenate([z0[S], c0])
    status, rounds = "max_iter", 0
    for rounds in range(1, max_rounds + 1):
        S, signs, v = _newton_on_support(problem, S, signs, v)
        z = np.zeros(problem.n_features)
        z[S] = v[:S.size]
        lam = problem.datafit.gradient(problem.fitted(z, *_split(problem, v[S.size:])) - problem.y)
        corr = problem.A.rmatvec(lam)
        on_support = float(np.abs(corr[S] + problem.beta_t * signs).max(initial=0.0))
        corr[S] = 0.0
        violating = np.flatnonzero(np.abs(corr) > problem.beta_t * (1 + tol))
        report(rounds, int(S.size), np.nan, np.nan)
        if on_support > problem.beta_t * tol and not violating.size:
            continue  # Newton stopped short on S (its step budget): more Newton steps
        if not violating.size:
            status = "optimal"
            break
        if deadline is not None and time.perf_counter() > deadline:
            status = "time_limit"
            break
        k = max(10, S.size)
        new = violating[np.argsort(-np.abs(corr[violating]))[:k]]
        fit = problem.fitted(z, *_split(problem, v[S.size:]))
        columns = problem.A.columns(new)
        steps = np.zeros(new.size)
        for i, j in enumerate(new):  # one at a time, each at its exact step (a descent)
            sign = -np.sign(float(columns[:, i] @ problem.datafit.gradient(fit - problem.y)))
            steps[i] = sign * _enter(problem, fit, columns[:, i], sign)
            fit = fit + steps[i] * columns[:, i]
        entered = steps != 0
        new, steps = new[entered], steps[entered]
        S = np.concatenate([S, new])
        signs = np.concatenate([signs, np.sign(steps)])
        v = np.concatenate([v[:S.size - new.size], steps, v[S.size - new.size:]])
    z = np.zeros(problem.n_features)
    z[S] = v[:S.size]
    xi, omega = _split(problem, v[S.size:])
    return _solution(problem, z, xi, omega, status, "fista/newton", start,
                     {"finish_rounds": rounds})


def free_newton(problem: LassoProblem, offset: np.ndarray, c: np.ndarray,
                max_steps: int = 100) -> np.ndarray:
    """argmin_c L_y(offset + B c), B = [1, U]: the free coefficients for a fixed A z (damped
    Newton with the datafit's Hessian; for z = 0 the intercept-only fit of beta >= beta_max)."""
    B, datafit, y = problem.unpenalized_basis(), problem.datafit, problem.y
    if not B.shape[1]:
        return c
    for _ in range(max_steps):
        r = offset + B @ c - y
        grad = B.T @ datafit.gradient(r)
        if np.abs(grad).max() <= 1e-14 * max(1.0, float(np.abs(datafit.gradient(r)).sum())):
            break
        H = B.T @ (datafit.hessian(r)[:, None] * B)
        H[np.diag_indices_from(H)] += 1e-14 * max(float(np.trace(H)), 1.0)
        step = -np.linalg.lstsq(H, grad, rcond=None)[0]
        if not float(grad @ step) < 0:
            step = -grad
        f0, slope, t = datafit.value(r), float(grad @ step), 1.0
        while t > 1e-20 and datafit.value(r + t * (B @ step)) > f0 + 1e-4 * t * slope:
            t *= 0.5
        if t <= 1e-20:
            break
        c = c + t * step
    return c


def _split(problem: LassoProblem, c: np.ndarray):
    return (float(c[0]), c[1:]) if problem.intercept else (0.0, c)


def _solution(problem, z, xi, omega, status, name, start, info) -> LassoSolution:
    fitted = problem.fitted(z, xi, omega)
    return LassoSolution(z=z, xi=xi, omega=omega, objective=problem.objective(z, xi, omega),
                         fitted=fitted, dual=problem.datafit.gradient(fitted - problem.y),
                         status=status, solver=name, solve_time=time.perf_counter() - start,
                         info=info)


# ------------------------------------------------------------------------------------------
# the solver
# ------------------------------------------------------------------------------------------
def solve_fista(problem: LassoProblem, *, tol: float = 1e-9, switch_tol: float | None = None,
                max_iter: int = 2000, check_every: int = 10, time_limit: float | None = None,
                verbose: bool = False, device=None, finish: bool = True,
                max_rounds: int = 200) -> LassoSolution:
    """Solve a smooth-loss ``problem`` by FISTA on ``device`` and the exact finish (module
    docstring).

    tol : the finish stops at a KKT point with |A_j^T lambda| <= beta_t (1 + tol) off the
        support (the squared loss: at relative duality gap <= tol).
    switch_tol : FISTA's relative gap at which the finish takes over (default max(tol, 1e-6)).
    max_iter, check_every : FISTA iterations, and how often the gap is evaluated.
    time_limit, verbose : as for the working-set solver; Ctrl-C -> status "interrupted".
    device : torch device for numpy operators (a torch dictionary's own device otherwise).
    finish : False returns FISTA's iterate (soft-thresholded zeros, not an exact optimum).
    max_rounds : Newton rounds of the finish for non-quadratic losses.
    """
    if not problem.datafit.smooth:
        raise GaconvexError(
            f"FISTA needs a smooth loss (a gradient), not {problem.datafit!r}; the piecewise-"
            "linear losses are exact LPs: use solver='auto' (or 'working_set').")
    if problem.beta_t == 0:
        raise GaconvexError("beta_t = 0 is the minimum-norm limit; use solver='min_norm'.")
    datafit = problem.datafit
    if (datafit.classification and not getattr(datafit, "attains_zero", True)
            and problem.intercept and np.unique(problem.y).size == 1):
        raise GaconvexError(
            f"all labels are {problem.y[0]:+g}: the {datafit!r} loss then has no finite optimum "
            "(the intercept runs to infinity); give both classes, or use the squared hinge.")
    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    switch_tol = max(tol, 1e-6) if switch_tol is None else switch_tol
    report = _report(verbose)
    if max_iter > 0:
        state = _Fista(problem, device)
        info = {"device": str(state.op.device)}
        try:
            phase, iterations, gap = state.run(max_iter, switch_tol, check_every, deadline, report)
        except KeyboardInterrupt:
            phase, iterations, gap = "interrupted", 0, np.nan
        info.update(fista_iterations=iterations, fista_gap=gap, lipschitz=state.L,
                    fista_time=time.perf_counter() - start)
        z, c = state.point()
    else:  # no first-order phase: the finish alone, from z = 0 (no torch needed)
        phase, info = "max_iter", {"device": "cpu", "fista_iterations": 0}
        z, c = np.zeros(problem.n_features), np.zeros(problem.unpenalized_basis().shape[1])
    status = {"converged": "optimal", "support": "max_iter"}.get(phase, phase)
    if finish and phase in ("converged", "support", "max_iter"):
        if phase != "converged":  # a rough iterate spreads weight over near-parallel columns:
            z, c = np.zeros_like(z), np.zeros_like(c)  # the finish starts from z = 0 instead
        info["seeded"] = phase == "converged"
        try:
            if problem.datafit.quadratic:
                solution = _finish_squared(problem, z, tol, max_rounds, deadline, lambda *a: None)
            else:
                solution = _finish_smooth(problem, z, c, tol, max_rounds, deadline, report)
        except KeyboardInterrupt:
            status = "interrupted"
        else:
            info.update(solution.info)
            solution.info, solution.solver = info, "fista"
            solution.solve_time = time.perf_counter() - start
            return solution
    xi, omega = _split(problem, c)
    return _solution(problem, z, xi, omega, status, "fista", start, info)


def solve_newton(problem: LassoProblem, *, tol: float = 1e-9, time_limit: float | None = None,
                 verbose: bool = False, max_rounds: int = 200) -> LassoSolution:
    """The exact finish alone, from z = 0 (``solve_fista`` with no FISTA iterations): for the
    classification losses a working-set Newton feature-sign method, whose rounds add the KKT
    violators of full correlation passes; what ``"auto"`` uses for smooth non-quadratic losses
    (on the coherent 1-D libraries FISTA's support, unless converged, slows the finish down)."""
    solution = solve_fista(problem, tol=tol, max_iter=0, time_limit=time_limit, verbose=verbose,
                           max_rounds=max_rounds)
    solution.solver = "newton"
    return solution


def fista(A, y, beta_t, **options) -> LassoSolution:
    """``solve(LassoProblem(A, y, beta_t, ...), solver="fista")``: options split between the
    problem (intercept, unpenalized, loss, sample_weight) and the solver."""
    from .registry import solve

    keys = ("intercept", "unpenalized", "loss", "tau", "sample_weight")
    problem = LassoProblem(A, y, beta_t, **{k: options.pop(k) for k in keys if k in options})
    return solve(problem, "fista", **options)
