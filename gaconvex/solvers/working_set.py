"""A working-set Lasso solver that is exact on coherent dictionaries.

The Lasso libraries of the papers are extremely coherent (neighbouring ramps are nearly
parallel), so coordinate descent crawls; but their solutions are sparse (m* <= N, 002 Thm 3.11).
This solver therefore splits the work:

* **Outer loop** (cheap, matrix-free): the full correlations c = A^T lambda through the
  dictionary operator (a structured pass for the 1-D libraries), lambda = W (y_hat - y); the
  columns with |c_j| > beta_t are added to a working set, largest first; the duality gap of
  the rescaled dual point (002 Sec. 2.8) stops the loop, and gap-safe screening
  (Fercoq, Gramfort, Salmon 2015: |A_j^T theta| + r ||A_j|| < beta_t with
  r = sqrt(2 gap max w)) drops columns that cannot be active.
* **Inner solve** (exact, dense, small): the Lasso on the working-set columns by a primal
  active-set method (feature-sign search, Lee et al. 2007; Osborne et al. 2000) with QR
  updates: on the active set T with signs theta the optimum solves
  R z = Q^T b - beta R^-T theta (M_T = Q R, never the Gram matrix); a step that would flip a
  sign stops at the first zero and drops it; at a sign-consistent optimum the worst KKT
  violator enters with theta_j = -sign(c_j), and a column in the span of the active ones
  enters by a simplex-like pivot along the null direction, which lowers the penalty.  Every
  step decreases the objective, so the method ends at an exact (vertex) solution.  The
  piecewise-linear losses (pinball, l1) solve the working-set problem as the exact HiGHS LP.

The free columns B = [1, U] are eliminated exactly: with Pi the orthogonal projector onto
span(W^1/2 B), the problem is the plain Lasso of (I - Pi) W^1/2 A and (I - Pi) W^1/2 y, and the
correlations of a residual rho in range(I - Pi) are A^T (W^1/2 rho).  Dense work runs with one
BLAS thread: the matrices are small, and timings must not depend on how many threads are free.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._validation import GaconvexError
from ._compensated import compensated_residual
from ._polish import free_coefficients, refine_on_support
from .problem import LassoProblem
from .solution import LassoSolution

__all__ = ["ActiveSetLasso", "solve_working_set", "lasso_path", "continuation"]


#: Relative precision of the residual sums in ``precise`` mode: the residual's error is below
#: eps (||rho|| + EXTENDED ||b||).  The compensated sums (Dot2) give about N^2 eps in place of
#: EXTENDED; 2^-11 (the x86 long double's eps over float64's) is a conservative bound.
EXTENDED = 2.0 ** -11


def _triangular(R: np.ndarray, b: np.ndarray, transpose: bool = False) -> np.ndarray:
    """R^-1 b (or R^-T b) for upper-triangular R, by LAPACK dtrtrs directly: scipy's
    ``solve_triangular`` costs ~0.3 ms of Python per call, and the active-set method makes
    thousands of small solves."""
    from scipy.linalg.lapack import dtrtrs

    x, info = dtrtrs(R, b, lower=0, trans=int(transpose))
    if info != 0:
        raise GaconvexError(f"active-set triangular solve failed (LAPACK dtrtrs info {info}): "
                            "a zero pivot of R; the working set is numerically degenerate.")
    return x


def rounding_level(n: int, column_norms, scale: float):
    """64 sqrt(N) eps ||A_j|| scale: how well a correlation A_j^T r with ||r|| ~ scale is known."""
    return 64 * np.sqrt(n) * np.finfo(float).eps * np.asarray(column_norms) * scale


# ------------------------------------------------------------------------------------------
# the exact inner solver: a primal active-set method on a dense matrix
# ------------------------------------------------------------------------------------------
class ActiveSetLasso:
    """min_z 1/2 ||M z - b||^2 + beta ||z||_1 on a dense M (N x s) whose columns can grow.

    State: the active set ``T`` (column indices of M), its signs ``theta``, the coefficients
    ``z_T`` and the economic QR factors of M[:, T].  ``solve(beta)`` runs the active-set
    method from the current state (a warm start across betas and working sets).
    """

    def __init__(self, b: np.ndarray, rcond: float = 1e-14, rank: int | None = None):
        self.b = b
        self._store = np.empty((b.size, 0), order="F")  # columns 0..s-1 are M (grows x2)
        self.s = 0
        self._norms = np.zeros(0)
        self.T: list[int] = []
        self.theta = np.zeros(0)
        self.zT = np.zeros(0)
        self.Q = np.empty((b.size, 0))
        self.R = np.empty((0, 0))
        self.rcond = rcond
        self.steps = 0
        self.rank = b.size if rank is None else rank  # dimension of the column space
        self.precise = False  # residuals in extended precision (switched on when needed)
        probe = np.random.default_rng(0).standard_normal(b.size)
        self._probe = probe / max(np.linalg.norm(probe), np.finfo(float).tiny)
        self._hash = np.zeros(0)  # |probe^T M_j| / ||M_j||: candidates for copies
        self.correlate = None  # optional rho -> M^T rho (see _correlations)

    @property
    def M(self) -> np.ndarray:
        return self._store[:, :self.s]

    def _correlations(self, rho: np.ndarray) -> np.ndarray:
        """M^T rho; through ``self.correlate`` (a structured pass over the whole library, set by
        the working set when that is cheaper than reading the N x s matrix) unless residuals
        are in doubled precision (the dense product is then the accurate one)."""
        if self.correlate is not None and not self.precise:
            return self.correlate(rho)
        return self.M.T @ rho

    def add_columns(self, columns: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
        """Append the columns that are not zero and not (+-) copies of a column already held
        (after the free columns are projected out, features that differ by a constant become
        copies: one of them carries the Lasso; parallel columns of different norms are not
        copies, the longer one is cheaper); returns the mask of appended columns."""
        norms = np.linalg.norm(columns, axis=0)
        scale = max(float(norms.max(initial=0.0)), np.linalg.norm(self.b), np.finfo(float).tiny)
        keep = norms > rtol * scale
        live = np.flatnonzero(keep)
        unit = columns[:, live] / norms[live]
        copy = self._copies(unit, norms[live], rtol)
        keep[live[copy]] = False
        self._hash = np.concatenate([self._hash, np.abs(self._probe @ unit[:, ~copy])])
        k = int(keep.sum())
        if k:
            if self.s + k > self._store.shape[1]:
                grown = np.empty((self.b.size, max(2 * self._store.shape[1], self.s + k)), order="F")
                grown[:, :self.s] = self.M
                self._store = grown
            self._store[:, self.s:self.s + k] = columns[:, keep]
            self._norms = np.concatenate([self._norms, norms[keep]])
            self.s += k
        return keep

    def _copies(self, unit: np.ndarray, size: np.ndarray, rtol: float) -> np.ndarray:
        """Mask of the new unit columns that are +-copies (|u_i^T u_j| >= 1 - rtol, norms equal
        to rtol) of a held column or of an earlier new one.  Copies are within sqrt(2 rtol) of
        each other, so their hashes |probe^T u| differ by at most that: only columns whose
        hashes fall in that window are compared (O(N k), not O(N s k))."""
        k = unit.shape[1]
        copy = np.zeros(k, dtype=bool)
        if k == 0:
            return copy
        pool = np.concatenate([self._hash, np.abs(self._probe @ unit)])
        order = np.argsort(pool, kind="stable")
        ranked = pool[order]
        window = np.sqrt(2 * rtol) + 8 * np.finfo(float).eps
        lo = np.searchsorted(ranked, pool[self.s:] - window, side="left")
        hi = np.searchsorted(ranked, pool[self.s:] + window, side="right")
        tiny = np.finfo(float).tiny
        for i in np.flatnonzero(hi - lo > 1):
            others = order[lo[i]:hi[i]]
            others = others[others < self.s + i]  # held columns and earlier new ones
            if not others.size:
                continue
            held, new = others[others < self.s], others[others >= self.s] - self.s
            new = new[~copy[new]]
            norms = np.concatenate([self._norms[held], size[new]])
            vectors = np.concatenate([self.M[:, held] / np.maximum(self._norms[held], tiny),
                                      unit[:, new]], axis=1)
            overlap = np.abs(vectors.T @ unit[:, i])
            copy[i] = bool(((overlap >= 1 - rtol)
                            & (np.abs(norms - size[i]) <= rtol * size[i])).any())
        return copy

    def keep_columns(self, keep: np.ndarray) -> None:
        """Forget the held columns outside the boolean mask ``keep`` (which must cover the
        active set); active indices are renumbered."""
        index = np.flatnonzero(keep)
        renumber = np.full(self.s, -1)
        renumber[index] = np.arange(index.size)
        self.T = [int(renumber[j]) for j in self.T]
        if min(self.T, default=0) < 0:
            raise GaconvexError("keep_columns must keep every active column.")
        moved = index[index != np.arange(index.size)]  # columns before the first gap stay
        if moved.size:  # move the others down in place: the store keeps its capacity, so the
            first = index.size - moved.size  # next columns need no new allocation
            self._store[:, first:index.size] = self._store[:, moved]
        self._norms = self._norms[index]
        self._hash = self._hash[index]
        self.s = index.size

    def noise(self, rho_norm: float) -> np.ndarray:
        """Rounding level of the correlations M_j^T rho: rho = M_T z - b is computed with an
        error of about eps (||rho|| + ||b||), or eps (||rho|| + EXTENDED ||b||) in doubled
        precision, so |M_j^T rho| is known to ``rounding_level`` of that; an 'excess' over beta
        below it is no violation (at a small beta, pivoting on it cycles)."""
        factor = EXTENDED if self.precise else 1.0
        return rounding_level(self.b.size, self._norms,
                              factor * float(np.linalg.norm(self.b)) + rho_norm)

    @property
    def z(self) -> np.ndarray:
        z = np.zeros(self.s)
        z[self.T] = self.zT
        return z

    def residual(self) -> np.ndarray:
        """rho = M_T z_T - b."""
        return self._residual_of(self.zT)

    def _residual_of(self, zT: np.ndarray) -> np.ndarray:
        """M_T z - b; in ``precise`` mode summed in doubled precision (compensated Dot2: near
        interpolation, at a small beta, rho is many orders below b and a float64 sum buries it
        in rounding)."""
        if not self.T:
            return -self.b
        if not self.precise:
            return self.Q @ (self.R @ zT) - self.b
        return compensated_residual(self.M, self.T, zT, self.b)

    # -- the QP on the active set with fixed signs ------------------------------------------
    def _signed_optimum(self, beta: float) -> np.ndarray:
        """argmin 1/2 ||M_T z - b||^2 + beta theta^T z: R z = Q^T b - beta R^-T theta; in
        ``precise`` mode one step of iterative refinement on M_T^T (M_T z - b) + beta theta = 0
        with the residual in extended precision (the coefficients then err by eps ||z||, not
        cond(R) eps ||z||, so the KKT test at a small beta is not drowned by the solve)."""
        rhs = self.Q.T @ self.b - beta * _triangular(self.R, self.theta, transpose=True)
        z = _triangular(self.R, rhs)
        if not self.precise:
            return z
        grad = self.R.T @ (self.Q.T @ self._residual_of(z)) + beta * self.theta
        return z - _triangular(self.R, _triangular(self.R, grad, transpose=True))

    def _drop(self, k: int) -> None:
        from scipy.linalg import qr_delete

        self.Q, self.R = qr_delete(self.Q, self.R, k, 1, which="col", check_finite=False)
        t = self.R.shape[1]
        self.Q, self.R = self.Q[:, :t], self.R[:t]  # stay economic (a square Q comes back full)
        del self.T[k]
        self.theta = np.delete(self.theta, k)
        self.zT = np.delete(self.zT, k)

    def _insert(self, j: int, sign: float) -> bool:
        """Add column j with sign ``sign``; False if it lies in the span of the active set."""
        from scipy.linalg import qr_insert

        if len(self.T) >= self.rank:
            return False
        if not self.T:
            norm = np.linalg.norm(self.M[:, j])
            if norm == 0:
                return False
            self.Q, self.R = self.M[:, j:j + 1] / norm, np.array([[norm]])
        else:
            try:
                self.Q, self.R = qr_insert(self.Q, self.R, self.M[:, j], len(self.T), which="col",
                                           rcond=self.rcond, check_finite=False)
            except np.linalg.LinAlgError:
                return False
        self.T.append(j)
        self.theta = np.append(self.theta, sign)
        self.zT = np.append(self.zT, 0.0)
        return True

    def _pivot(self, j: int, sign: float, bland: bool) -> tuple[float, float]:
        """Column j = M_T alpha (dependent): move along z_T -= tau sign alpha, z_j = tau sign,
        which keeps the fit and lowers the penalty (|alpha^T theta| > 1 for a violator), until
        an active coefficient reaches 0; swap it for j.  Ties of the ratio test go to the
        smallest column index under Bland's rule.  Returns tau (0: a degenerate pivot) and the
        excess |alpha^T theta| - 1 (<= 0: a tie, no descent; -inf: j stayed numerically
        dependent after the swap, so the state is inconsistent and must be undone)."""
        alpha = _triangular(self.R, self.Q.T @ self.M[:, j])
        rate = sign * alpha  # d z_T / d tau
        with np.errstate(divide="ignore", invalid="ignore"):
            hits = np.where(rate * self.zT > 0, self.zT / rate, np.inf)
        hits = np.where((rate != 0) & (self.zT == 0), 0.0, hits)  # already at zero: blocks now
        tau = float(hits.min(initial=np.inf))
        if not np.isfinite(tau):
            raise GaconvexError("active-set pivot found no blocking coefficient (numerically "
                                "degenerate working set); rescale the dictionary.")
        ties = np.flatnonzero(hits <= tau * (1 + 1e-12) + 1e-300)
        k = int(ties[np.argmin(np.asarray(self.T)[ties])]) if bland else int(np.argmin(hits))
        excess = abs(float(alpha @ self.theta)) - 1.0  # the penalty falls at rate beta * excess
        self.zT = self.zT - tau * rate
        self._drop(k)
        if not self._insert(j, sign):  # dropping k made j independent in exact arithmetic,
            return tau, -np.inf  # but not to the factorization's rcond: the caller undoes it
        self.zT[-1] = sign * tau
        return tau, excess

    def objective(self, beta: float) -> float:
        rho = self.residual()
        return 0.5 * float(rho @ rho) + beta * float(np.abs(self.zT).sum())

    def _state(self):
        return (self.Q.copy(), self.R.copy(), list(self.T), self.theta.copy(), self.zT.copy())

    def _restore(self, state) -> None:
        self.Q, self.R, self.T, self.theta, self.zT = state

    def solve(self, beta: float, *, tol: float = 1e-10, max_steps: int | None = None) -> int:
        """Run the active-set method at ``beta`` to an exact KKT point (violations above
        beta (1 + tol) plus the rounding level enter); returns the steps.

        Degenerate pivots (tau ~ 0, a zero coefficient at a vertex) switch to Bland's rule
        (smallest index enters and leaves) until a step makes progress, which rules out
        cycling; a pivot that cannot descend (a tie |alpha^T theta| = 1 that rounding reads as
        a violation, or one that rounding turns into an ascent) is undone and its column
        barred until the next call, and so is a column whose own coefficient turns against its
        sign at once after it entered (in exact arithmetic a violator enters with the sign that
        descends; near interpolation rounding can say otherwise, and re-entering it cycles).
        """
        max_steps = max_steps or 50 * (self.s + 10)
        start, bland, entered = self.steps, False, None
        barred = np.zeros(self.s, dtype=bool)
        while self.steps - start < max_steps:
            self.steps += 1
            if self.T:
                target = self._signed_optimum(beta)
                flips = np.flatnonzero(np.sign(target) != self.theta)
                if flips.size:  # step to the first sign change and drop that coordinate
                    delta = target - self.zT
                    with np.errstate(divide="ignore", invalid="ignore"):
                        t = np.where(delta[flips] != 0, -self.zT[flips] / delta[flips], 0.0)
                    k = int(flips[int(np.argmin(t))])
                    self.zT = self.zT + float(np.clip(t.min(), 0.0, 1.0)) * delta
                    if entered is not None and self.T[k] == entered and t.min() <= 0:
                        barred[entered] = True  # it entered against its own sign: its
                        # violation is below what the factorization resolves (else it cycles)
                    self._drop(k)
                    entered = None
                    continue
                self.zT = target
            entered = None
            rho = self.residual()
            correlations = self._correlations(rho)
            correlations[self.T] = 0.0
            correlations[barred] = 0.0
            violating = np.flatnonzero(np.abs(correlations) > beta * (1 + tol)
                                       + self.noise(float(np.linalg.norm(rho))))
            if not violating.size:
                return self.steps - start
            j = int(violating[0]) if bland else int(violating[np.argmax(np.abs(correlations[violating]))])
            sign = -float(np.sign(correlations[j]))
            if self._insert(j, sign):
                bland, entered = False, j
                continue
            before, snapshot = self.objective(beta), self._state()
            tau, excess = self._pivot(j, sign, bland)
            rounding = 64 * np.finfo(float).eps * before
            worse = self.objective(beta) > before + rounding
            unseen = tau > 0 and beta * tau * excess <= rounding  # the penalty's fall is below
            if excess <= 1e-12 or worse or unseen:  # rounding: a tie |alpha^T theta| = 1 read
                self._restore(snapshot)  # as a violation (near-copies swap back and forth),
                # rounding that made the pivot ascend, or a swap the factorization could not
                # resolve
                barred[j] = True
                continue
            bland = tau <= 1e-9 * max(1.0, float(np.abs(self.zT).max(initial=0.0)))
        raise GaconvexError(f"the active-set method did not finish in {max_steps} steps; the "
                            "working set may be numerically degenerate (duplicate columns?).")


# ------------------------------------------------------------------------------------------
# the outer working-set loop
# ------------------------------------------------------------------------------------------
@dataclass
class _Transform:
    """y~ = (I - Pi) W^1/2 y and the map of columns, with Pi onto span(W^1/2 [1, U])."""

    root: np.ndarray  # W^1/2
    QB: np.ndarray  # orthonormal basis of span(W^1/2 B)
    RB: np.ndarray
    target: np.ndarray

    @classmethod
    def of(cls, problem: LassoProblem) -> "_Transform":
        root = np.sqrt(problem.weights)
        B = root[:, None] * problem.unpenalized_basis()
        QB, RB = np.linalg.qr(B) if B.shape[1] else (np.empty((B.shape[0], 0)), np.empty((0, 0)))
        self = cls(root, QB, RB, np.empty(0))
        self.target = self.project(root * problem.y)
        return self

    def project(self, V: np.ndarray) -> np.ndarray:
        """(I - Pi) V for a vector or a matrix of columns."""
        return V - self.QB @ (self.QB.T @ V) if self.QB.shape[1] else V

    def columns(self, problem: LassoProblem, idx: np.ndarray) -> np.ndarray:
        return self.project(self.root[:, None] * problem.A.columns(idx))


def progress_report(verbose: bool, title: str = "working-set Lasso",
                    ratio_label: str = "max|c|/beta"):
    """A progress printer (rich, on stderr) of outer iterations: iteration, working-set and
    active-set sizes, the largest correlation ratio and the relative gap; silent unless
    ``verbose``."""
    if not verbose:
        return lambda *args: None
    from rich.console import Console

    console = Console(stderr=True)
    console.print(f"[bold]{title}[/bold]  iter  working set  active  {ratio_label}  rel. gap")
    indent, width = len(title) + 2, len(ratio_label)
    return lambda it, ws, active, ratio, gap: console.print(
        f"{'':{indent}}{it:4d}  {ws:11d}  {active:6d}  {ratio:{width}.6f}  {gap:8.2e}")


def solve_working_set(problem: LassoProblem, *, tol: float = 1e-9, max_iter: int = 200,
                      time_limit: float | None = None, verbose: bool = False,
                      screening: bool = True, initial_size: int = 50,
                      top_violators: bool = False) -> LassoSolution:
    """Solve ``problem`` exactly by working sets (module docstring).

    tol : stop when the relative duality gap of the rescaled dual point is <= tol (and no
        column violates |A_j^T lambda| <= beta_t (1 + tol)).
    max_iter, time_limit : bounds on outer iterations and wall time (status "max_iter" /
        "time_limit"); Ctrl-C stops within one outer iteration (status "interrupted"); the
        best iterate is returned in every case.
    screening : gap-safe screening of columns that cannot be active.
    initial_size : columns of the first working set (the largest correlations at z = 0).
    top_violators : for an operator whose columns live on a cluster (``A.remote``): each
        correlation pass is reduced on the workers to the largest violators and max |c|
        (``A.top_violators``), so the driver never gathers P numbers; gap-safe screening
        (which reads every c_j) is then off.  The optimum is the same; where it is not unique
        (002 Prop. E.3) the support reached may differ from the gathering solver's.
    """
    return lasso_path(problem, continuation(problem), tol=tol, max_iter=max_iter,
                      time_limit=time_limit, verbose=verbose, screening=screening,
                      initial_size=initial_size, top_violators=top_violators)[-1]


def continuation(problem: LassoProblem, per_decade: int = 1) -> np.ndarray:
    """beta_t values from near beta_max down to the problem's beta_t (``per_decade`` per factor
    10): warm starts keep the active sets well conditioned, so beta = 1e-7 is as easy as 1e-3."""
    beta = problem.beta_t
    if not problem.datafit.smooth:
        return np.array([beta])
    top = problem.beta_max()
    if not top > 10 * beta:
        return np.array([beta])
    steps = int(np.ceil(per_decade * np.log10(top / beta)))
    return np.geomspace(top / 2, beta, steps + 1)


class _WorkingSet:
    """The outer loop's state, kept across betas of a path (warm starts)."""

    def __init__(self, problem: LassoProblem, screening: bool, initial_size: int,
                 top_violators: bool = False):
        self.problem = problem
        self.remote = top_violators and bool(getattr(problem.A, "remote", False))
        self.transform = _Transform.of(problem)
        self.inner = ActiveSetLasso(self.transform.target,
                                    rank=problem.n_samples - self.transform.QB.shape[1])
        self.in_set = np.zeros(problem.n_features, dtype=bool)
        self.members: list[int] = []
        self.screening = screening
        self.initial_size = initial_size
        self.norms = problem.A.column_norms() * np.sqrt(problem.weights.max())  # of W^1/2 A_j
        self.b_norm = float(np.linalg.norm(self.transform.target))
        self.precision_limited = False
        if getattr(problem.A, "structured_products", False) and not self.remote:
            self.inner.correlate = self._structured_correlations

    def _structured_correlations(self, rho: np.ndarray) -> np.ndarray:
        """M^T rho = A_members^T (W^1/2 rho) for rho in range(I - Pi), by the cheapest of: the
        dense N x s product, a structured pass over the members only (O(N + s K), describing
        each member anew: ~100 flops a column), or one over the whole library (O(N + P K),
        002's piecewise-linear features, K breakpoints a column)."""
        members = np.asarray(self.members, dtype=np.intp)
        n, P, s = self.problem.n_samples, self.problem.n_features, members.size
        cost = {"dense": n * s, "members": 128 * s + 8 * n, "library": 8 * P + 8 * n}
        way = min(cost, key=cost.get)
        if way == "dense":
            return self.inner.M.T @ rho
        if way == "members":
            return self.problem.A.rmatvec_columns(self.transform.root * rho, members)
        return self.problem.A.rmatvec(self.transform.root * rho)[members]

    def run(self, beta: float, tol: float, max_iter: int, deadline: float | None, report):
        """Outer iterations at ``beta``; returns (status, iterations)."""
        problem, inner = self.problem, self.inner
        candidates = np.arange(problem.n_features)  # not screened out (at this beta)
        remote = self.remote
        for it in range(1, max_iter + 1):
            rho = inner.residual()
            lam = self.transform.root * rho  # W (y_hat - y) on the original rows
            level = beta * (1 + tol) + rounding_level(
                problem.n_samples, self.norms, EXTENDED * self.b_norm + float(np.linalg.norm(rho)))
            held = inner.M.T @ rho  # = A_j^T lam for the held columns (members' order)
            if remote:  # the workers reduce: only the top violators and max |c| travel
                top = problem.A.top_violators(lam, 2 * self._batch(), beta * (1 + tol))
                max_ratio = max(top.max_abs, float(np.max(np.abs(held), initial=0.0))) / beta
            else:
                c = problem.A.rmatvec(lam)
                max_ratio = float(np.max(np.abs(c[candidates]), initial=0.0)) / beta
            gap_rel, gap = _gap(problem, inner, rho, beta, max_ratio)
            report(it, len(self.members), len(inner.T), max_ratio, gap_rel)
            if gap_rel <= tol:
                return "optimal", it
            if deadline is not None and time.perf_counter() > deadline:
                return "time_limit", it
            if remote:
                out = ~self.in_set[top.index] & (np.abs(top.value) > level[top.index])
                new = np.sort(top.index[out][:self._batch()]).astype(np.intp)
            else:
                if self.screening and np.isfinite(gap):
                    candidates = _screen(c, max_ratio, beta, gap, self.norms, self.in_set,
                                         candidates)
                new = _violators(c, level, self.in_set, candidates, self._batch())
            if not new.size and it > 1:  # optimal to the working precision
                if not inner.precise:  # a small beta: redo in extended precision
                    inner.precise = True
                    inner.solve(beta)
                    continue
                self.precision_limited = True
                return "optimal", it
            self._prune(held, beta)
            if new.size:
                self.in_set[new] = True  # copies are marked too: they never need to enter
                kept = inner.add_columns(self.transform.columns(problem, new))
                self.members.extend(new[kept].tolist())
            if inner.solve(beta) <= 1 and it > 1:  # no new column entered: the largest
                # violations outside are below the inner method's rounding level
                if not inner.precise:  # look again with residuals in extended precision
                    inner.precise = True
                    inner.solve(beta)
                    continue
                self.precision_limited = True
                return "optimal", it
        return "max_iter", max_iter

    def _batch(self) -> int:
        """How many violators enter per outer iteration: max(initial_size, 2 |active|, 10)."""
        return max(self.initial_size, 2 * len(self.inner.T), 10)

    def _prune(self, held: np.ndarray, beta: float) -> None:
        """Keep the working set at most ~6 times the active set: when it grows past that, drop
        the held columns that are inactive and least correlated down to ~3 times (they may
        come back if they violate later; the slack keeps the copies of the held columns rare)."""
        inner, members = self.inner, np.asarray(self.members, dtype=np.intp)
        limit = 3 * len(inner.T) + 2 * self.initial_size
        if members.size <= 2 * limit:
            return
        score = np.abs(held) / beta  # the held columns' correlations, members' order
        score[inner.T] = np.inf
        keep = np.zeros(members.size, dtype=bool)
        keep[np.argsort(-score)[:limit]] = True
        keep |= score > 0.9  # never drop a column near the boundary (it would come right back)
        if keep.sum() > 0.75 * members.size:  # too few to drop to pay for copying the store
            return
        inner.keep_columns(keep)
        self.in_set[members[~keep]] = False
        self.members = members[keep].tolist()

    def solution(self, beta, status, start, iterations) -> LassoSolution:
        problem = _with_beta(self.problem, beta)
        z = np.zeros(problem.n_features)
        if self.members:
            z[np.asarray(self.members)] = self.inner.z
        xi, omega = free_coefficients(problem, z)
        if self.inner.precise:  # near interpolation: the certificate's columns, not ours
            z, xi, omega = refine_on_support(problem, z, xi, omega)
        fitted = problem.fitted(z, xi, omega)
        return LassoSolution(z=z, xi=xi, omega=omega, objective=problem.objective(z, xi, omega),
                             fitted=fitted, dual=problem.datafit.gradient(fitted - problem.y),
                             status=status, solver="working_set",
                             solve_time=time.perf_counter() - start,
                             info={"iterations": iterations, "working_set": len(self.members),
                                   "active_set_steps": self.inner.steps,
                                   "precision_limited": self.precision_limited})


def _with_beta(problem: LassoProblem, beta: float) -> LassoProblem:
    if beta == problem.beta_t:
        return problem
    return LassoProblem(problem.A, problem.y, float(beta), intercept=problem.intercept,
                        unpenalized=problem.U if problem.n_unpenalized else None,
                        loss=problem.datafit, sample_weight=problem.sample_weight)


def _violators(c, level, in_set, candidates, k) -> np.ndarray:
    """Columns to add: the k largest |c_j| > level_j outside the set."""
    free = candidates[~in_set[candidates]]
    violating = free[np.abs(c[free]) > level[free]]
    if violating.size > k:  # ties (copies) go to the smaller index, as top_violators does
        violating = violating[np.argsort(-np.abs(c[violating]), kind="stable")[:k]]
    return np.sort(violating).astype(np.intp)


def _gap(problem, inner, rho, beta, max_ratio):
    """Relative duality gap of the rescaled dual point, in the transformed space where the
    problem is min 1/2 ||M z - b||^2 + beta ||z||_1 with dual max -1/2 ||u||^2 + u^T b,
    ||M^T u||_inf <= beta, at u = -s rho, s = min(1, 1 / max_ratio)."""
    primal = 0.5 * float(rho @ rho) + beta * float(np.abs(inner.zT).sum())
    theta = -rho / max(max_ratio, 1.0)
    dual = -0.5 * float(theta @ theta) + float(theta @ inner.b)
    floor = problem.n_samples * np.finfo(float).eps * 0.5 * float(inner.b @ inner.b)
    gap = primal - dual
    return gap / max(primal, floor, np.finfo(float).tiny), gap


def _screen(c, max_ratio, beta, gap, norms, in_set, candidates):
    """Gap-safe rule at the rescaled dual point: keep j unless s |c_j| + r ||A_j|| < beta."""
    radius = np.sqrt(2.0 * max(gap, 0.0))
    s = 1.0 / max(max_ratio, 1.0)
    keep = s * np.abs(c[candidates]) + radius * norms[candidates] >= beta
    keep |= in_set[candidates]
    return candidates[keep]


# ------------------------------------------------------------------------------------------
# piecewise-linear losses: the working-set problem is an exact LP
# ------------------------------------------------------------------------------------------
def _solve_piecewise_linear_working_set(problem, *, tol, max_iter, time_limit, verbose,
                                        initial_size):
    """The outer loop for pinball / l1 losses: the working-set problem is the exact HiGHS LP
    (its marginals are the dual lambda in the loss's box); it starts from the fit of the free
    columns alone (z = 0)."""
    start = time.perf_counter()
    beta = problem.beta_t
    report = progress_report(verbose)
    members = np.zeros(0, dtype=np.intp)
    sub = _lp_on(problem, members)
    status, it = "max_iter", 0
    try:
        for it in range(1, max_iter + 1):
            c = problem.A.rmatvec(sub.dual)
            ratio = float(np.max(np.abs(c), initial=0.0)) / beta
            report(it, members.size, sub.m_star, ratio, np.nan)
            outside = np.setdiff1d(np.flatnonzero(np.abs(c) > beta * (1 + tol)), members)
            if not outside.size:
                status = "optimal"
                break
            if time_limit is not None and time.perf_counter() - start > time_limit:
                status = "time_limit"
                break
            k = max(initial_size, 2 * members.size)
            members = np.union1d(members, outside[np.argsort(-np.abs(c[outside]))[:k]])
            sub = _lp_on(problem, members)
    except KeyboardInterrupt:
        status = "interrupted"
    z = np.zeros(problem.n_features)
    z[members] = sub.z[:members.size]
    return LassoSolution(z=z, xi=sub.xi, omega=sub.omega,
                         objective=problem.objective(z, sub.xi, sub.omega),
                         fitted=problem.fitted(z, sub.xi, sub.omega), dual=sub.dual,
                         status=status, solver="working_set/lp",
                         solve_time=time.perf_counter() - start,
                         info={"iterations": it, "working_set": int(members.size)})


def _lp_on(problem: LassoProblem, members: np.ndarray) -> LassoSolution:
    """The exact LP of ``problem`` restricted to the columns ``members`` (none: a zero column
    stands in, so the free columns alone are fitted)."""
    from .linear_programs import solve_piecewise_linear

    columns = problem.A.columns(members) if members.size else np.zeros((problem.n_samples, 1))
    small = LassoProblem(columns, problem.y, problem.beta_t, intercept=problem.intercept,
                         unpenalized=problem.U if problem.n_unpenalized else None,
                         loss=problem.datafit, sample_weight=problem.sample_weight)
    return solve_piecewise_linear(small)


# ------------------------------------------------------------------------------------------
# paths
# ------------------------------------------------------------------------------------------
def lasso_path(problem: LassoProblem, betas=None, *, n_betas: int = 50, ratio: float = 1e-4,
               tol: float = 1e-9, max_iter: int = 200, time_limit: float | None = None,
               verbose: bool = False, screening: bool = True,
               initial_size: int = 50, top_violators: bool = False) -> list[LassoSolution]:
    """Solutions along a decreasing sequence of beta_t, each warm-started from the previous
    (the working set and the active set carry over).

    ``betas``: the beta_t values (solved in decreasing order); default ``n_betas`` values spaced
    geometrically from beta_max (z* = 0 above it, ``problem.beta_max()``) down to
    ``ratio * beta_max``.  Options as in :func:`solve_working_set`; ``time_limit`` bounds the
    whole path.
    """
    if problem.beta_t == 0 and betas is not None and np.min(betas) <= 0:
        raise GaconvexError("beta_t = 0 is the minimum-norm limit; use solver='min_norm'.")
    if betas is None:
        betas = problem.beta_max() * np.geomspace(1.0, ratio, n_betas)
    betas = np.sort(np.asarray(betas, dtype=float).reshape(-1))[::-1]
    if not np.all(betas > 0):
        raise GaconvexError("every beta_t of a path must be > 0 (beta_t = 0: solver='min_norm').")
    if not problem.datafit.smooth:
        return [_solve_piecewise_linear_working_set(_with_beta(problem, b), tol=tol,
                                                    max_iter=max_iter, time_limit=time_limit,
                                                    verbose=verbose, initial_size=initial_size)
                for b in betas]
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    report = progress_report(verbose)
    path = []
    with threadpool_limits(1):
        state = _WorkingSet(problem, screening, initial_size, top_violators)
        for b in betas:
            t0 = time.perf_counter()
            try:
                status, iterations = state.run(float(b), tol, max_iter, deadline, report)
            except KeyboardInterrupt:
                status, iterations = "interrupted", 0
            path.append(state.solution(float(b), status, t0, iterations))
            if status == "interrupted":
                break
    return path
