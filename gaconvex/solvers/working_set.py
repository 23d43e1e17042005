"""A working-set Lasso solver that is exact on coherent dictionaries.

The Lasso libraries of the papers are extremely coherent (neighbouring ramps are nearly
parallel), so coordinate descent crawls; but their solutions are sparse (m* <= N, 002 Thm 3.11).
This solver therefore splits the work:

* **Outer loop** (cheap, matrix-free): the full correlations c = A^T lambda through the
  dictionary operator (a structured pass for the 1-D libraries), lambda = W (y_hat - y); the
  columns with |c_j| > beta_t are added to a working set, largest first; the duality gap of
  the rescaled dual point (002 Sec. 2.8) stops the loop, and gap-safe screening
  (Fercoq, Gramfort, Salmon 2015: |A_j^T theta| + r ||A_j|| < beta_t with
  r = sqrt(2 gap max w)) drops columns that cannot be active.  On large libraries most
  passes are *restricted*: over the surviving candidates only once they are few (still a
  certificate), or over a pool of the most correlated candidates to find violators between
  exact passes (``_WorkingSet.run``); a continuation solves only its last beta to the
  tolerance, the earlier ones are warm starts.
* **Inner solve** (exact, dense, small): the Lasso on the working-set columns by the primal
  active-set method of :mod:`gaconvex.solvers.active_set`.  The piecewise-linear losses
  (pinball, l1) solve the working-set problem as the exact HiGHS LP.

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
from .active_set import EXTENDED, ActiveSetLasso, probes, rounding_factor, rounding_level
from ._polish import free_coefficients, refine_on_support
from .problem import LassoProblem
from .solution import LassoSolution

__all__ = ["ActiveSetLasso", "solve_working_set", "lasso_path", "continuation"]


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


#: Pool passes run over this fraction of the columns (the candidates most correlated at the
#: last exact pass).  On the 10^6-column wedge libraries of benchmarks/bench_ddim.py, 0.03
#: (3-4 more exact passes than 0.1, but pool passes of a third of the size) was 15-20 %
#: faster than 0.1 or 0.05 (p = 1: 12 full passes and 85 pool passes worth 2.6 full ones).
_POOL_FRACTION = 0.03
#: ... and at least this many batches of violators (``_WorkingSet._batch``).
_POOL_BATCHES = 20
#: Libraries with fewer columns run exact passes only.
_POOL_MIN_COLUMNS = 100_000
#: ... and structured 1-D libraries with fewer than this many: their full pass reuses the
#: descriptions it keeps (up to 256 MiB), so pools pay only beyond that (abs L = 3 at
#: N = 2,000, 8 M columns: 135 s -> 55 s under load; the sunspots' 130,050 and deep narrow
#: ReLU N = 200's 160,000 columns were 20-60 % slower with pools).
_POOL_MIN_STRUCTURED = 2_000_000
#: Exact passes over the candidates are restricted passes once they are below this fraction.
_RESTRICTED_BELOW = 0.5
#: The inner problem of a 1-D dictionary runs on its knot basis (``knot_basis``) from this many
#: rows, while the basis needs at most this fraction of them and represents every column to
#: this relative distance.  Measured 2026-12-03 (2 cores): 2-layer ReLU N = 10^4 6.3 s -> 3.1 s,
#: the 50-beta path at N = 10^5 peak RSS 10.4 -> 2-4.5 GB; below 5,000 rows it did not pay:
#: abs L = 3 N = 2,000 29 s -> 39 s (its knots reach N / 4 and it falls back), deep narrow
#: ReLU N = 200 0.78 -> 0.89 s, the 2-layer path at N = 10^4 5.3 -> 6.0 s (sunspots gained,
#: 4.8 -> 3.9 s).
_KNOTS_MIN_ROWS = 5_000
_KNOTS_MAX_FRACTION = 0.25
_KNOTS_RTOL = 1e-11
#: A working set on the knot basis that returns to all N rows (``_WorkingSet._decompress``)
#: takes along only its active columns when all of them would need more than this: at the
#: 50-beta path's small betas (N = 10^5) the held store was 10^5 x 25,344 (18.9 GiB).
_DECOMPRESS_BYTES = 1 << 30


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
    """Solve ``problem`` exactly by working sets (module docstring), along the
    :func:`continuation` betas: the stages before the problem's beta_t only warm-start it (they
    stop at their first exact pass after the pool of restricted passes ran out, see
    ``_WorkingSet.run``); only the last is solved to ``tol``.

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
    start = time.perf_counter()
    options = dict(tol=tol, max_iter=max_iter, time_limit=time_limit, verbose=verbose,
                   screening=screening, initial_size=initial_size, top_violators=top_violators)
    if problem.datafit.smooth:  # the stages before the last only warm-start it
        solution = _path(problem, _continuation_of, certify_all=False, **options)[-1]
    else:
        solution = lasso_path(problem, continuation(problem), **options)[-1]
    solution.solve_time = time.perf_counter() - start  # the whole continuation, not its last stage
    return solution


def _beta_max_of(state: "_WorkingSet") -> float:
    """``problem.beta_max()`` of the working set's problem; for the squared loss from the
    working set's pass at z = 0, which its first iteration then reuses (one pass over the
    library, not two)."""
    if state.problem.datafit.quadratic and not state.remote:
        return state.beta_max()
    return state.problem.beta_max()


def _continuation_of(state: "_WorkingSet") -> np.ndarray:
    """The :func:`continuation` betas of the working set's problem, decreasing."""
    return _decreasing(state.problem, continuation(state.problem, top=_beta_max_of(state)))


def continuation(problem: LassoProblem, per_decade: float = 0.25,
                 top: float | None = None) -> np.ndarray:
    """beta_t values from near beta_max down to the problem's beta_t (``per_decade`` per factor
    10, at least one stage before it): warm starts keep the active sets well conditioned, so
    beta = 1e-7 is as easy as 1e-3.  One stage per 4 decades took fewer steps and passes than
    one per decade (2-layer ReLU N = 10^4: 2,089 against 2,954 steps, 6.0 s -> 4.3 s; deep
    narrow ReLU L = 3 N = 200: 0.42 s -> 0.29 s; abs L = 3 N = 2,000: 17.8 s -> 16.6 s; the
    sunspots unchanged at 1.7 s).  ``top``: beta_max if known."""
    beta = problem.beta_t
    if not problem.datafit.smooth:
        return np.array([beta])
    top = problem.beta_max() if top is None else top
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
        self.knots = _knot_basis(problem, self.transform)  # the inner rows, None: all N
        target, self.b_perp = self.transform.target, None
        self.breakpoints = None  # structured 1-D columns: their knots, without evaluation
        if self.knots is not None:
            self.breakpoints = getattr(problem.A, "breakpoints", None)
            self.QB_knots = self.knots.compress(self.transform.QB)
            self.free_knots = self.knots.nodes.copy()  # the ends and the kinks of U: kept
            target = self.knots.compress(self.transform.target)
            self.b_perp = self.transform.target - self.knots.expand(target)
        self.probes = probes(problem.n_samples)  # of the copy hashes, on all rows
        self.inner = ActiveSetLasso(target, rank=self._rank(), probe=self._probes())
        self.in_set = np.zeros(problem.n_features, dtype=bool)
        self.members = np.zeros(0, dtype=np.intp)  # the held columns' library indices
        self.screening = screening
        self.initial_size = initial_size
        self.norms = problem.A.column_norms() * np.sqrt(problem.weights.max())  # of W^1/2 A_j
        self.b_norm = float(np.linalg.norm(self.transform.target))
        self.precision_limited = False
        # restricted passes (rmatvec_columns): matrix-free and in-memory stores with a subset
        # product, structured 1-D stores only when large (``_POOL_MIN_STRUCTURED``), not for
        # columns on a cluster
        base = getattr(problem.A, "operator", problem.A)  # (under a ScaledOperator)
        structured = getattr(problem.A, "structured_products", False)
        self.restricted = (hasattr(base, "rmatvec_columns") and not getattr(
            problem.A, "remote", False) and (not structured
                                             or problem.n_features >= _POOL_MIN_STRUCTURED))
        self.pool = None  # columns of the pool passes (``run``), built at the last exact pass
        # anchor-ordered 1-D columns (local or on a cluster): violators at peaks of |c|
        self.peaks = bool(getattr(problem.A, "anchor_ordered", False))
        # correlation passes so far: over all columns, restricted ones, and the columns of these
        self.passes = {"full": 0, "restricted": 0, "restricted_columns": 0}
        if getattr(problem.A, "structured_products", False) and not self.remote:
            self.inner.correlate = self._structured_correlations
        self.zero = None  # A^T lambda at z = 0 (``beta_max``), for the first pass of ``run``

    def beta_max(self) -> float:
        """max_j |A_j^T lambda_0| over the library, lambda_0 = -W (y - P y) the dual vector at
        z = 0 (:meth:`LassoProblem.beta_max` for the squared loss); the correlations are kept
        for the first pass of ``run``."""
        self.zero = self.problem.A.rmatvec(-self.transform.root * self.transform.target)
        self.passes["full"] += 1
        return float(np.max(np.abs(self.zero), initial=0.0))

    def _rank(self) -> int:
        """Dimension of the inner column space: the rows (N, or the knots' r) less the free
        columns projected out."""
        rows = self.problem.n_samples if self.knots is None else self.knots.r
        return rows - self.transform.QB.shape[1]

    def _probes(self) -> np.ndarray:
        """The copy-hash probes in the inner coordinates (K^T p), so that hashes computed in
        any basis agree (``ActiveSetLasso.replace_rows``)."""
        return self.probes if self.knots is None else self.knots.compress(self.probes.T).T

    def _full(self, rho: np.ndarray) -> np.ndarray:
        """The residual on all N rows of an inner residual: K rho' - b_perp when the inner
        problem runs on the knot basis (``knot_basis``), else rho itself; projected onto
        range(I - Pi) again.  In exact arithmetic it lies there already (the columns and the
        target are projected), but rho = M z - b carries the rounding of the projected columns
        times z: eps ||z||_1, which near interpolation (coefficients of 10^7 on nearly parallel
        ramps) is far above eps ||rho||, and A_j^T (W^1/2 rho) would read it as a violation
        (2-layer ReLU N = 10^4: max|c|/beta - 1 of 2.4e-6 against 3e-9 on the projected columns,
        so the loop never certified at tol and ran a futile extended-precision phase)."""
        full = rho if self.knots is None else self.knots.expand(rho) - self.b_perp
        return self.transform.project(full)

    def _add(self, new: np.ndarray) -> np.ndarray:
        """Mark the columns ``new`` as in the set and hand them to the inner solver (in the
        knot basis, grown by their kinks, while that is exact and saves rows); the members
        gain the columns it kept (not copies, not zero), whose mask is returned."""
        problem, transform = self.problem, self.transform
        self.in_set[new] = True  # copies are marked too: they never need to enter
        if self.knots is not None and self.breakpoints is not None:
            columns = self._from_breakpoints(new)
        else:
            raw = np.asfortranarray(problem.A.columns(new))  # (column passes below)
            columns = transform.project(transform.root[:, None] * raw)
            if self.knots is not None:
                columns = self._compressed(raw, columns)
        kept = self.inner.add_columns(columns)
        self.members = np.concatenate([self.members, new[kept]]).astype(np.intp, copy=False)
        return kept

    def _from_breakpoints(self, new: np.ndarray) -> np.ndarray:
        """The columns ``new`` in the knot basis without touching the N rows: the basis grows
        by the data points around their knots (``KnotBasis.at_breakpoints``, from the
        columns' piecewise-linear forms), the columns are evaluated at the nodes only and
        lifted (K^T W^1/2 a = L^T a(nodes)), and the free columns are projected out there
        (their basis Q_B lies in span K)."""
        knots, jumps = self.breakpoints(new)
        grown = self.knots.with_nodes(self.knots.at_breakpoints(knots, jumps))
        if grown.r > _KNOTS_MAX_FRACTION * self.problem.n_samples:
            self._decompress()
            return self.transform.columns(self.problem, new)
        self._regrid(grown)
        lifted = self.knots.lift(self.problem.A.columns_at(new, self.knots.node_rows))
        QB = self.QB_knots
        return lifted - QB @ (QB.T @ lifted) if QB.shape[1] else lifted

    def _regrid(self, grown) -> None:
        """Move the inner problem to the basis ``grown``: M' and Q' by ``rebase`` (an isometry
        when its nodes add to the current ones; exact when they are a subset holding every held
        column's kinks, ``_shrink``), b' and b_perp anew."""
        if grown is self.knots:
            return
        old, self.knots, inner = self.knots, grown, self.inner
        target = grown.compress(self.transform.target)
        self.b_perp = self.transform.target - grown.expand(target)
        self.QB_knots = grown.compress(self.transform.QB)
        store = np.empty((grown.r, inner._store.shape[1]), order="F")
        grown.rebase(old, inner.M, out=store[:, :inner.s])
        inner.replace_rows(target, store, grown.rebase(old, inner.Q), rank=self._rank(),
                           probe=self._probes())

    def _compressed(self, raw: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """``columns`` in the knot basis refined by the kinks of ``raw``; the full columns (and
        the inner problem back on all rows) when the basis would need more than
        ``_KNOTS_MAX_FRACTION`` of the rows or misses a column by more than ``_KNOTS_RTOL`` of its
        norm (the interpolation misfit of ``raw`` at the nodes bounds the distance of the
        projected column from the basis, since the free columns lie in it)."""
        grown = self.knots.refined(raw)
        if grown.r > _KNOTS_MAX_FRACTION * self.problem.n_samples:
            self._decompress()
            return columns
        norms = np.sqrt(np.einsum("ij,ij->j", columns, columns))
        if np.any(grown.misfit(raw) > _KNOTS_RTOL * norms):  # (not piecewise linear in x)
            self._decompress()
            return columns
        self._regrid(grown)
        return self.knots.compress(columns)

    def _decompress(self) -> None:
        """Move the inner problem back to all N rows: M = K M' and Q = K Q' (the columns are
        in the span of K to rounding, ``_compressed``), the target itself; only the active
        columns when the held ones would take more than ``_DECOMPRESS_BYTES`` there."""
        inner, n = self.inner, self.problem.n_samples
        if 8 * n * inner.s > _DECOMPRESS_BYTES:  # only the active columns go back to all rows
            keep = np.zeros(inner.s, dtype=bool)
            keep[inner.T] = True
            self._forget(keep)
        M = self.knots.expand(inner.M)  # (Fortran-ordered: it becomes the store, no copy)
        Q = self.knots.expand(inner.Q)
        self.knots = self.b_perp = None
        self.inner.replace_rows(self.transform.target, M, Q, rank=self._rank(),
                                probe=self._probes())

    def _precise(self) -> None:
        """Residuals in extended precision (until the next beta of a path, ``run``): on the
        knot basis while the compressed target's rounding (K^T b and b_perp are known to
        eps ||b||) stays within the precise mode's noise level (``ActiveSetLasso.noise``:
        64 sqrt(r) eps ||M_j|| ||rho|| at least), i.e. ||b|| <= 64 sqrt(r) ||rho||; on all
        rows nearer to interpolation (a small beta)."""
        if self.knots is not None:
            rho = float(np.linalg.norm(self.inner.residual()))
            if self.b_norm > 64 * np.sqrt(self.knots.r) * rho:
                self._decompress()
        self.inner.precise = True

    def _structured_correlations(self, rho: np.ndarray) -> np.ndarray:
        """M^T rho = A_members^T (W^1/2 rho_full) for an inner residual rho (rho_full in
        range(I - Pi), ``_full``), by the cheapest of: the dense rows x s product, a structured
        pass over the members only (O(N + s K), describing each member anew: ~100 flops a
        column), or one over the whole library (O(N + P K), 002's piecewise-linear features, K
        breakpoints a column)."""
        members = self.members
        n, P, s = self.problem.n_samples, self.problem.n_features, members.size
        cost = {"dense": rho.size * s, "members": 128 * s + 8 * n, "library": 8 * P + 8 * n}
        way = min(cost, key=cost.get)
        if way == "dense":
            return self.inner.M.T @ rho
        lam = self.transform.root * self._full(rho)
        if way == "members":
            return self.problem.A.rmatvec_columns(lam, members)
        return self.problem.A.rmatvec(lam)[members]

    def run(self, beta: float, tol: float, max_iter: int, deadline: float | None, report,
            certify: bool = True):
        """Outer iterations at ``beta``; returns (status, iterations).

        Every iteration correlates the residual with a *scope* of columns:

        * an **exact** pass covers every candidate, the columns that gap-safe screening has not
          ruled out at this beta (all columns before the first screen).  Its max |c_j| over the
          candidates gives the rescaled dual point and the duality gap that stops the loop:
          a screened column is zero in every solution (Fercoq, Gramfort, Salmon 2015, Thm 2),
          so the problem on the candidates has the same optimum, and its gap bounds the full
          problem's suboptimality.  The final certificate (``certificates``) checks all
          columns again.  Once the candidates are a small part of the library this pass only
          evaluates them (``rmatvec_columns``, a restricted pass that costs in proportion to
          their number).
        * a **pool** pass covers only the pool, the candidates most correlated at the last
          exact pass (``_POOL_FRACTION`` of the columns, kept from one beta of a path to the
          next): it finds violators to add, cheaply, but certifies nothing.  When the pool
          has no violator left (or none of them enters), the next pass is exact again: the
          loop never stops on a pool pass.

        ``certify=False`` (a continuation stage that only warm-starts the next beta): return
        ("warm_start", it) at the first exact pass after the pool ran out, whatever its gap
        (that pass builds the next stage's pool).
        """
        problem, inner = self.problem, self.inner
        candidates = np.arange(problem.n_features)  # not screened out (at this beta)
        pool = self.pool  # the scope of pool passes; None: the next pass is exact
        exhausted = False  # whether a pool has run out at this beta
        remote = self.remote
        if self.knots is not None:  # a new beta starts in float64 (``_precise``)
            inner.precise = False
        for it in range(1, max_iter + 1):
            inner_rho = inner.residual()
            rho = self._full(inner_rho)  # on all rows
            lam = self.transform.root * rho  # W (y_hat - y) on the original rows
            scale = EXTENDED * self.b_norm + float(np.linalg.norm(rho))
            held = inner.M.T @ inner_rho  # = A_j^T lam for the held columns (members' order)
            exact = pool is None
            scope = candidates if exact else pool
            if remote:  # the workers reduce: only the top violators and max |c| travel
                top = problem.A.top_violators(lam, 2 * self._batch(), beta * (1 + tol))
                max_ratio = max(top.max_abs, float(np.max(np.abs(held), initial=0.0))) / beta
            else:
                if self.zero is not None and exact and not self.members.size:
                    # z = 0: the correlations of beta_max's pass
                    c = self.zero if scope.size == problem.n_features else self.zero[scope]
                else:
                    c = self._correlations(lam, scope)  # A_j^T lam, j in scope
                self.zero = None
                max_ratio = float(np.max(np.abs(c), initial=0.0)) / beta
                if exact and self.restricted:  # the pool of the next pool passes
                    self.pool = pool = self._pool(c, candidates)
            gap_rel, gap = (_gap(problem, inner.zT, self.transform.target, rho, beta, max_ratio)
                            if exact else (np.nan,) * 2)
            report(it, len(self.members), len(inner.T), max_ratio, gap_rel)
            if gap_rel <= tol:
                return "optimal", it
            if deadline is not None and time.perf_counter() > deadline:
                return "time_limit", it
            if exact and exhausted and not certify:
                return "warm_start", it
            if remote:
                level = beta * (1 + tol) + rounding_level(problem.n_samples,
                                                          self.norms[top.index], scale)
                out = ~self.in_set[top.index] & (np.abs(top.value) > level)
                new = np.sort(top.index[out][:self._batch()]).astype(np.intp)
            else:
                if exact and self.screening and np.isfinite(gap):
                    keep = _screen(c, max_ratio, beta, gap, self.norms, self.in_set,
                                   candidates)
                    candidates, c = candidates[keep], c[keep]
                    scope = candidates
                new = _violators(c, scope, beta * (1 + tol),
                                 (rounding_factor(problem.n_samples), self.norms, scale),
                                 self.in_set, self._batch(), peaks=self.peaks)
            if not new.size and it > 1:
                if not exact:  # the pool has run out: look at every candidate
                    pool, exhausted = None, True
                    continue
                if not certify:  # a warm start needs no extended precision
                    return "warm_start", it
                if not inner.precise:  # optimal to the working precision; a small beta:
                    self._precise()  # redo in extended precision
                    inner.solve(beta)
                    continue
                self.precision_limited = True
                return "optimal", it
            self._prune(held, beta)
            if new.size:
                self._add(new)
            if inner.solve(beta) <= 1 and it > 1:  # no new column entered: the largest
                # violations outside are below the inner method's rounding level
                if not exact:  # (of the pool: look at every candidate)
                    pool, exhausted = None, True
                    continue
                if not certify:
                    return "warm_start", it
                if not inner.precise:  # look again with residuals in extended precision
                    self._precise()
                    inner.solve(beta)
                    continue
                self.precision_limited = True
                return "optimal", it
        return "max_iter", max_iter

    def _correlations(self, lam: np.ndarray, scope: np.ndarray) -> np.ndarray:
        """A[:, scope]^T lam: a restricted pass over ``scope`` when it is under
        ``_RESTRICTED_BELOW`` of the columns and the operator has one, else a full pass."""
        P = self.problem.n_features
        if self.restricted and scope.size < _RESTRICTED_BELOW * P:
            self.passes["restricted"] += 1
            self.passes["restricted_columns"] += int(scope.size)
            return self.problem.A.rmatvec_columns(lam, scope)
        self.passes["full"] += 1
        c = self.problem.A.rmatvec(lam)
        return c if scope.size == P else c[scope]

    def _pool(self, c: np.ndarray, candidates: np.ndarray):
        """The scope of the next pool passes: the ``_POOL_FRACTION`` P candidates (at least
        ``_POOL_BATCHES`` batches) of largest |c_j|, in increasing order; None when that is
        every candidate or the library is small (under ``_POOL_MIN_COLUMNS``: a full pass
        costs less than the exact passes that a pool adds)."""
        P = self.problem.n_features
        size = max(int(_POOL_FRACTION * P), _POOL_BATCHES * self._batch())
        if P < _POOL_MIN_COLUMNS or candidates.size <= size:
            return None
        return candidates[np.sort(_largest(np.abs(c), size))]

    def _batch(self) -> int:
        """How many violators enter per outer iteration: max(initial_size, 2 |active|, 10)."""
        return max(self.initial_size, 2 * len(self.inner.T), 10)

    def _prune(self, held: np.ndarray, beta: float) -> None:
        """Keep the working set at most ~6 times the active set: when it grows past that, drop
        the held columns that are inactive and least correlated down to ~3 times (they may
        come back if they violate later; the slack keeps the copies of the held columns rare).
        Columns near the boundary (|c_j| > 0.9 beta) were once all kept: on dense anchor grids
        thousands of neighbouring ramps sit there, and along the 50-beta 2-layer ReLU path at
        N = 3 10^4 the working set grew to 9,000 columns (7,400 knot rows) for 49 active ones
        (28.8 s; without the rule 2.9 s, at most ~450 held)."""
        inner, members = self.inner, self.members
        limit = 3 * len(inner.T) + 2 * self.initial_size
        if members.size <= 2 * limit:
            return
        score = np.abs(held) / beta  # the held columns' correlations, members' order
        score[inner.T] = np.inf
        keep = np.zeros(members.size, dtype=bool)
        keep[np.argsort(-score)[:limit]] = True
        if keep.sum() > 0.75 * members.size:  # too few to drop to pay for copying the store
            return
        self._forget(keep)
        if self.knots is not None:
            self._shrink()

    def _forget(self, keep: np.ndarray) -> None:
        """Drop the held columns outside the mask ``keep`` (members' order; it covers the
        active set): they leave the set and may enter again if they violate."""
        self.inner.keep_columns(keep)
        self.in_set[self.members[~keep]] = False
        self.members = self.members[keep]

    def _shrink(self) -> None:
        """Drop the knots that no held column bends at any more (those of pruned columns) when
        that saves at least a quarter of the rows (``_regrid`` to the smaller basis: the held
        columns and Q have their kinks in it, so the rebase is exact)."""
        from .knot_basis import KnotBasis

        knots = self.knots
        needed = knots.needed(self.inner.M) | self.free_knots
        if needed.sum() <= 0.75 * knots.r:
            self._regrid(KnotBasis(knots.x, knots.weights, needed & knots.nodes))

    def solution(self, beta, status, start, iterations) -> LassoSolution:
        problem = _with_beta(self.problem, beta)
        z = np.zeros(problem.n_features)
        if self.members.size:
            z[self.members] = self.inner.z
        xi, omega = free_coefficients(problem, z)
        if self.inner.precise:  # near interpolation: the certificate's columns, not ours
            T = self.inner.T
            z, xi, omega = refine_on_support(problem, z, xi, omega,
                                             factor=(self.members[T], self.inner.R))
        fitted = problem.fitted(z, xi, omega)
        return LassoSolution(z=z, xi=xi, omega=omega, objective=problem.objective(z, xi, omega),
                             fitted=fitted, dual=problem.datafit.gradient(fitted - problem.y),
                             status=status, solver="working_set",
                             solve_time=time.perf_counter() - start,
                             info={"iterations": iterations, "working_set": len(self.members),
                                   "active_set_steps": self.inner.steps,
                                   "precision_limited": self.precision_limited,
                                   "passes": dict(self.passes),
                                   "inner_rows": int(self.inner.b.size)})


def _knot_basis(problem: LassoProblem, transform: _Transform):
    """The knot basis (nodes: the ends and the kinks of the free columns U) for a dictionary
    of 1-D points whose columns are local (not on a cluster), when it holds the free columns
    exactly; None otherwise (the inner problem keeps all N rows)."""
    from .knot_basis import KnotBasis

    A = problem.A
    X = getattr(getattr(A, "operator", A), "X", None)
    if (X is None or np.ndim(X) != 2 or X.shape != (problem.n_samples, 1)
            or getattr(A, "remote", False) or problem.n_samples < _KNOTS_MIN_ROWS):
        return None
    basis = KnotBasis(X[:, 0], problem.weights).refined(problem.U)
    if basis.r > _KNOTS_MAX_FRACTION * problem.n_samples:
        return None
    QB = transform.QB
    if QB.shape[1] and basis.residual(QB, basis.compress(QB)).max() > _KNOTS_RTOL:
        return None
    return basis


def _with_beta(problem: LassoProblem, beta: float) -> LassoProblem:
    if beta == problem.beta_t:
        return problem
    return LassoProblem(problem.A, problem.y, float(beta), intercept=problem.intercept,
                        unpenalized=problem.U if problem.n_unpenalized else None,
                        loss=problem.datafit, sample_weight=problem.sample_weight)


def _violators(c, scope, base, rounding, in_set, k, peaks: bool = False) -> np.ndarray:
    """Columns to add: the k largest |c_j| > base + f ||A_j|| s outside the set, j in ``scope``
    (increasing column indices, c aligned with it; ``rounding`` = (f, norms, s), the rounding
    level of :func:`rounding_level`, norms and ``in_set`` over all columns; one compiled
    scan).  A partial selection (``np.partition``), not a sort: ties (copies) at the k-th
    value go to the smaller index, as top_violators does.  ``peaks``: only violators
    that are local maxima of |c| among adjacent column indices (the 1-D libraries order a
    block's columns by their anchors, so neighbours are near-copies and one of them per peak is
    enough; the others enter later if they still violate), or all violators when no peak
    violates."""
    from ._scan_kernels import violators

    noise, norms, scale = rounding
    violating = violators(c, np.asarray(scope, dtype=np.int64), norms, in_set, float(base),
                          float(noise), float(scale), bool(peaks))
    if violating.size > k:
        size = np.abs(c[violating])
        kth = np.partition(size, violating.size - k)[violating.size - k]  # k-th largest
        above = violating[size > kth]
        violating = np.concatenate([above, violating[size == kth][:k - above.size]])
    return np.sort(scope[violating]).astype(np.intp)


def _largest(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest of ``values`` (0 < k < size; any order, ties at the k-th
    value broken arbitrarily): a partial selection among the values at or above a threshold
    taken from a strided sample of 2^13, which keeps ~2 k of them (a partial selection of all
    8 M correlations of abs L = 3 N = 2,000 took 0.13 s a pass); the whole array if the sample
    misjudged and fewer than k are left."""
    n = values.size
    sample = values[::max(1, n // 8192)]
    above = min(sample.size, int(np.ceil(2 * sample.size * k / n)) + 8)  # of the sample
    threshold = np.partition(sample, sample.size - above)[sample.size - above]
    kept = np.flatnonzero(values >= threshold)
    if kept.size < k:
        return np.argpartition(-values, k - 1)[:k]
    return kept[np.argpartition(-values[kept], k - 1)[:k]]


def _gap(problem, zT, b, rho, beta, max_ratio):
    """Relative duality gap of the rescaled dual point, in the transformed space where the
    problem is min 1/2 ||M z - b||^2 + beta ||z||_1 with dual max -1/2 ||u||^2 + u^T b,
    ||M^T u||_inf <= beta, at u = -s rho, s = min(1, 1 / max_ratio) (rho = M z - b on all N
    rows, b the full target)."""
    primal = 0.5 * float(rho @ rho) + beta * float(np.abs(zT).sum())
    theta = -rho / max(max_ratio, 1.0)
    dual = -0.5 * float(theta @ theta) + float(theta @ b)
    floor = problem.n_samples * np.finfo(float).eps * 0.5 * float(b @ b)
    gap = primal - dual
    return gap / max(primal, floor, np.finfo(float).tiny), gap


def _screen(c, max_ratio, beta, gap, norms, held, candidates) -> np.ndarray:
    """Gap-safe rule at the rescaled dual point: the mask of the candidates to keep (c aligned
    with them; norms and held over all columns), all but those with s |c_j| + r ||A_j|| < beta
    (one compiled scan)."""
    from ._scan_kernels import screen

    radius = np.sqrt(2.0 * max(gap, 0.0))
    s = 1.0 / max(max_ratio, 1.0)
    return screen(c, s, radius, norms, np.asarray(candidates, dtype=np.int64), held, beta)


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
    (the working set, the active set and the pool of restricted passes carry over), each
    solved to ``tol``.

    ``betas``: the beta_t values (solved in decreasing order); default ``n_betas`` values spaced
    geometrically from beta_max (z* = 0 above it, ``problem.beta_max()``) down to
    ``ratio * beta_max``.  Options as in :func:`solve_working_set`; ``time_limit`` bounds the
    whole path.
    """
    options = dict(tol=tol, max_iter=max_iter, time_limit=time_limit, verbose=verbose,
                   screening=screening, initial_size=initial_size, top_violators=top_violators)
    if betas is None and problem.datafit.smooth:  # beta_max from the working set's first pass
        return _path(problem, lambda state: _decreasing(
            problem, _beta_max_of(state) * np.geomspace(1.0, ratio, n_betas)),
            certify_all=True, **options)
    if betas is None:
        betas = problem.beta_max() * np.geomspace(1.0, ratio, n_betas)
    betas = _decreasing(problem, betas)
    if not problem.datafit.smooth:
        return [_solve_piecewise_linear_working_set(_with_beta(problem, b), tol=tol,
                                                    max_iter=max_iter, time_limit=time_limit,
                                                    verbose=verbose, initial_size=initial_size)
                for b in betas]
    return _path(problem, betas, certify_all=True, **options)


def _decreasing(problem: LassoProblem, betas) -> np.ndarray:
    """The betas of a path in decreasing order, all > 0 (else a GaconvexError)."""
    if problem.beta_t == 0 and np.min(betas) <= 0:
        raise GaconvexError("beta_t = 0 is the minimum-norm limit; use solver='min_norm'.")
    betas = np.sort(np.asarray(betas, dtype=float).reshape(-1))[::-1]
    if not np.all(betas > 0):
        raise GaconvexError("every beta_t of a path must be > 0 (beta_t = 0: solver='min_norm').")
    return betas


def _path(problem, betas, *, tol, max_iter, time_limit, verbose, screening, initial_size,
          top_violators, certify_all):
    """The warm-started solves of a smooth datafit along ``betas`` (decreasing).  With
    ``certify_all`` every beta is solved to ``tol`` and returned; without (a continuation), the
    betas before the last only warm-start it (``_WorkingSet.run(certify=False)``) and only the
    last solution (or the interrupted one) is returned."""
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    report = progress_report(verbose)
    path = []
    with threadpool_limits(1):
        state = _WorkingSet(problem, screening, initial_size, top_violators)
        if callable(betas):  # a schedule from the working set (``_beta_max_of``)
            betas = betas(state)
        for k, b in enumerate(betas):
            t0 = time.perf_counter()
            last = k == len(betas) - 1
            try:
                status, iterations = state.run(float(b), tol, max_iter, deadline, report,
                                               certify=certify_all or last)
            except KeyboardInterrupt:
                status, iterations = "interrupted", 0
            if certify_all or last or status == "interrupted":
                path.append(state.solution(float(b), status, t0, iterations))
            if status == "interrupted":
                break
    return path
