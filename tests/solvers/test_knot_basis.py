"""The knot basis of 1-D Lasso problems (gaconvex.solvers.knot_basis) and the working-set solver
running its inner problem on it: identities of the basis against dense linear algebra, and the
compressed solve against cvxpy + Clarabel (the features of 002 are piecewise linear in x)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gaconvex.symbolic as gs
from gaconvex.dictionaries import library_1d
from gaconvex.solvers import LassoProblem, solve
from gaconvex.solvers import working_set
from gaconvex.solvers.knot_basis import KnotBasis
from lasso_oracles import cvxpy_lasso_value


def _points(seed, n, decimals=1):
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal(n), decimals)  # ties
    return x, rng.uniform(0.3, 3.0, n)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 60), k=st.integers(1, 6))
def test_basis_is_orthonormal_and_holds_ramps_and_jumps_exactly(seed, n, k):
    x, w = _points(seed, n)
    rng = np.random.default_rng(seed + 1)
    anchors = rng.choice(x, k)
    F = np.hstack([np.maximum(x[:, None] - anchors, 0), (x[:, None] > anchors).astype(float),
                   np.abs(x[:, None] - anchors)])
    basis = KnotBasis(x, w).refined(F)
    K = basis.expand(np.eye(basis.r))
    assert np.allclose(K.T @ K, np.eye(basis.r), atol=1e-12)
    V = np.sqrt(w)[:, None] * F
    assert basis.residual(V, basis.compress(V)).max() <= 1e-12
    # the nodes are the ends and the kinks (a jump between two points: both of them)
    distinct = np.unique(x)
    assert basis.r <= min(distinct.size, 2 + 2 * k)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 50))
def test_rebase_is_the_isometry_between_nested_bases(seed, n):
    x, w = _points(seed, n)
    rng = np.random.default_rng(seed)
    F = np.maximum(x[:, None] - rng.choice(x, 4), 0)
    V = np.sqrt(w)[:, None] * F
    old = KnotBasis(x, w).refined(F[:, :2])
    new = old.refined(F)
    C = old.compress(V[:, :2])
    assert np.allclose(new.rebase(old, C), new.compress(V[:, :2]), atol=1e-12)
    assert np.allclose(new.expand(new.rebase(old, C)), old.expand(C), atol=1e-12)
    # and back to the smaller basis on the nodes the columns still need
    small = KnotBasis(x, w, new.needed(new.compress(V[:, :2])))
    D = small.rebase(new, new.compress(V[:, :2]))
    assert small.r <= old.r and np.allclose(small.expand(D), V[:, :2], atol=1e-12)


def test_a_smooth_column_bends_everywhere():
    x = np.linspace(0, 1, 30)
    basis = KnotBasis(x, np.ones(30)).refined(np.sin(3 * x)[:, None])
    assert basis.r == 30


@pytest.fixture
def knots_on(monkeypatch):
    """The compressed inner problem from the first row (its default starts at 20,000 rows)."""
    monkeypatch.setattr(working_set, "_KNOTS_MIN_ROWS", 1)
    monkeypatch.setattr(working_set, "_KNOTS_MAX_FRACTION", 1.0)


ARCHITECTURES = [gs.architecture("relu", 2), gs.architecture("sign", 2),
                 gs.architecture("relu", 2, skip=True), gs.architecture("abs", 3),
                 gs.architecture("relu", 3)]


@pytest.mark.parametrize("storage", ["dense", "structured"])
@pytest.mark.parametrize("arch", ARCHITECTURES, ids=str)
def test_compressed_solve_has_the_cvxpy_optimum_with_ties_and_weights(arch, storage, knots_on):
    """Dense columns find their knots from their values; structured ones from their
    piecewise-linear forms, evaluated at the nodes only."""
    rng = np.random.default_rng(7)
    x = np.round(rng.uniform(-2, 2, 40), 1)  # tied rows
    y = np.sin(2 * x) + 0.1 * rng.standard_normal(x.size)
    w = rng.uniform(0.5, 2.0, x.size)
    D = library_1d(np.unique(x), arch, storage=storage).rows(np.searchsorted(np.unique(x), x))
    problem = LassoProblem.from_dictionary(D, y, 2e-2, sample_weight=w)
    sol = solve(problem, "working_set")
    assert sol.certificate.ok(1e-9), sol.certificate.summary()
    assert sol.info["inner_rows"] < x.size  # the inner problem ran on the knots
    U = D.unpenalized if D.unpenalized.shape[1] else None
    oracle = cvxpy_lasso_value(D.to_dense(), y, problem.beta_t, weights=w, intercept=D.intercept,
                               U=U)
    assert sol.objective == pytest.approx(oracle, rel=1e-7)


@pytest.mark.parametrize("storage", ["dense", "structured"])
def test_compressed_path_matches_the_full_rows_path(storage, knots_on):
    x = np.linspace(-2, 2, 60)
    y = np.abs(x) - np.maximum(x - 0.5, 0) + 0.05 * np.cos(7 * x)
    D = library_1d(x, gs.architecture("relu", 2), storage=storage)
    problem = LassoProblem.from_dictionary(D, y, 1e-3)
    compressed = working_set.lasso_path(problem, n_betas=8)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(working_set, "_KNOTS_MIN_ROWS", 10 ** 9)
        full = working_set.lasso_path(problem, n_betas=8)
    assert [s.objective for s in compressed] == pytest.approx([s.objective for s in full],
                                                              rel=1e-9)
    assert {s.info["inner_rows"] for s in full} == {x.size}
    assert min(s.info["inner_rows"] for s in compressed) < x.size


def test_columns_the_basis_cannot_hold_fall_back_to_all_rows(monkeypatch):
    """A dictionary of 1-D points whose columns are smooth: every point is a kink, the basis
    would need all rows, so the inner problem keeps them (and the optimum is cvxpy's)."""
    monkeypatch.setattr(working_set, "_KNOTS_MIN_ROWS", 1)
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(-1, 1, 25))
    D = library_1d(x, gs.architecture("relu", 2))
    A = np.hstack([np.sin(np.outer(x, np.arange(1, 6))), D.to_dense()])

    class Smooth:  # a dense operator that knows its 1-D points
        X, shape = x[:, None], A.shape

        def matvec(self, z):
            return A @ z

        def rmatvec(self, r):
            return A.T @ r

        def columns(self, idx):
            return A[:, idx]

        def column_norms(self):
            return np.linalg.norm(A, axis=0)

        def to_dense(self):
            return A

    y = np.cos(3 * x)
    problem = LassoProblem(Smooth(), y, 1e-2)
    sol = solve(problem, "working_set")
    assert sol.info["inner_rows"] == x.size
    assert sol.objective == pytest.approx(cvxpy_lasso_value(A, y, 1e-2), rel=1e-7)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), family=st.sampled_from(["relu", "sign", "threshold", "abs"]),
       depth=st.sampled_from([2, 3]))
def test_nodes_from_breakpoints_hold_the_structured_columns(seed, family, depth):
    """The nodes chosen from the columns' knots (kinks on, between and jumps on data points)
    hold every column exactly: its interpolant at the nodes is the column."""
    if depth == 3 and family in ("sign", "threshold"):
        depth = 2  # (discontinuous activations: depth 2, 002 Table 3.1)
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(-2, 2, 30), 1)
    w = rng.uniform(0.5, 2.0, x.size)
    D = library_1d(np.unique(x), gs.architecture(family, depth), storage="structured").rows(
        np.searchsorted(np.unique(x), x))
    idx = rng.choice(D.n_columns, min(25, D.n_columns), replace=False)
    basis = KnotBasis(x, w)
    basis = basis.with_nodes(basis.at_breakpoints(*D.breakpoints(idx)))
    F = D.columns(idx)
    assert np.all(basis.misfit(F) <= 1e-12 * (1 + np.linalg.norm(F, axis=0)))
    lifted = basis.lift(D.columns_at(idx, basis.node_rows))
    assert np.allclose(lifted, basis.compress(np.sqrt(w)[:, None] * F), atol=1e-11)


def test_dropping_the_knots_of_pruned_columns_keeps_the_inner_state(knots_on):
    """After inactive columns leave the working set, the smaller knot basis holds the active
    ones exactly: same residual norm on all rows, same objective, still optimal."""
    x = np.linspace(-2, 2, 80)
    y = np.sin(3 * x)
    D = library_1d(x, gs.architecture("relu", 2), storage="structured")
    problem = LassoProblem.from_dictionary(D, y, 1e-2)
    state = working_set._WorkingSet(problem, screening=True, initial_size=50)
    state._add(np.arange(0, D.n_columns, 2))
    state.inner.solve(problem.beta_t)
    rho = state._full(state.inner.residual())
    active = np.zeros(state.inner.s, dtype=bool)
    active[state.inner.T] = True
    rows = state.knots.r
    state.inner.keep_columns(active)
    state.members = state.members[active]
    state._shrink()
    assert state.knots.r < rows
    assert np.allclose(state._full(state.inner.residual()), rho, atol=1e-12)
    assert state.inner.solve(problem.beta_t) <= 1  # no step needed: still the optimum


@pytest.mark.parametrize("storage", ["dense", "structured"])
def test_returning_to_all_rows_over_budget_takes_only_the_active_columns(storage, monkeypatch,
                                                                        knots_on):
    """When the held columns on all N rows would exceed the budget, the inner problem returns
    to all rows with its active columns only (the others leave the set and re-enter if they
    violate): at a small beta (extended-precision residuals on all rows) the optimum is still
    cvxpy's, and the inner solver held no inactive column right after the return."""
    monkeypatch.setattr(working_set, "_DECOMPRESS_BYTES", 1)
    seen = []
    original = working_set._WorkingSet._decompress

    def spy(self):
        original(self)
        seen.append((self.inner.s, len(self.inner.T), len(self.members)))

    monkeypatch.setattr(working_set._WorkingSet, "_decompress", spy)
    rng = np.random.default_rng(8)
    x = np.sort(rng.uniform(-2, 2, 40))
    y = np.sin(2 * x) + 0.1 * rng.standard_normal(x.size)
    D = library_1d(x, gs.architecture("relu", 2), storage=storage)
    problem = LassoProblem.from_dictionary(D, y, 1e-6)
    sol = solve(problem, "working_set")
    assert seen and all(s == t == m for s, t, m in seen), seen
    assert sol.status == "optimal"
    oracle = cvxpy_lasso_value(D.to_dense(), y, problem.beta_t, intercept=D.intercept)
    assert sol.objective == pytest.approx(oracle, rel=1e-6)


def _noisy(n, seed=0):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, n))
    return x, np.sin(3 * x) + 0.1 * rng.standard_normal(n)


def _precise_calls(monkeypatch):
    """Record, at each switch to extended precision, whether the inner problem left the knot
    basis for all rows."""
    calls, precise = [], working_set._WorkingSet._precise
    monkeypatch.setattr(working_set._WorkingSet, "_precise", lambda self: (
        precise(self), calls.append(self.knots is None)))
    return calls


def test_the_precise_phase_stays_on_the_knot_basis_away_from_interpolation(knots_on,
                                                                           monkeypatch):
    """The float64 phase stalls at the rounding level above tol (here a tol of 1e-13, so that
    it surely does) and the end is redone in extended precision: away from interpolation
    (||b|| <= 64 sqrt(r) ||rho||) on the knot
    basis, then refined on the support against the accurate residual with the inner solver's
    own factor (before, the inner problem went back to all N rows: 2-layer ReLU N = 10^4 spent
    0.8 s of 2.8 s there).  The optimum is cvxpy's and the certificate's gap is tol's order."""
    calls = _precise_calls(monkeypatch)
    x, y = _noisy(500)
    D = library_1d(x, gs.architecture("relu", 2), storage="structured")
    problem = LassoProblem.from_dictionary(D, y, 3e-4)
    sol = solve(problem, "working_set", tol=1e-13)
    assert calls == [False]  # went precise once, on the knot basis
    assert sol.info["inner_rows"] < x.size
    assert sol.certificate.relative_gap <= 1e-8, sol.certificate.summary()
    assert sol.objective == pytest.approx(cvxpy_lasso_value(D.to_dense(), y, 3e-4), rel=1e-7)


def test_near_interpolation_the_precise_phase_returns_to_all_rows(knots_on, monkeypatch):
    """A fit at the noise level 1e-7 of a kinked target: ||rho|| is ~1e-7 ||b||, below the
    compressed target's rounding allowance, so the precise phase runs on all rows."""
    calls = _precise_calls(monkeypatch)
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(-2, 2, 200))
    y = np.abs(x) - 2 * np.maximum(x - 0.7, 0) + 1e-7 * rng.standard_normal(x.size)
    D = library_1d(x, gs.architecture("relu", 2), storage="structured")
    problem = LassoProblem.from_dictionary(D, y, 1e-9)
    sol = solve(problem, "working_set")
    assert calls and calls[-1]  # the last switch went to all rows
    assert sol.info["inner_rows"] == x.size
    assert sol.objective == pytest.approx(cvxpy_lasso_value(D.to_dense(), y, 1e-9), rel=1e-6)
