"""The exact working-set solver (fast-solver issue): the same optimum as cvxpy + Clarabel on every
1-D family, datafit and weighting; exact on degenerate inputs; warm-started paths; bounded and
interruptible.  Oracles: cvxpy models written here directly, HiGHS for the beta -> 0 limit."""
from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gaconvex.symbolic as gs
from gaconvex.dictionaries import library_1d
from gaconvex.solvers import LassoProblem, MatrixOperator, certificate, min_norm, solve
from gaconvex._validation import GaconvexError
from gaconvex.solvers.working_set import ActiveSetLasso, lasso_path
from lasso_oracles import cvxpy_lasso_value

ARCHITECTURES = [
    gs.architecture("relu", 2), gs.architecture(("leaky_relu", 0.2), 2), gs.architecture("abs", 2),
    gs.architecture("sign", 2), gs.architecture("threshold", 2), gs.architecture("relu", 2, skip=True),
    gs.architecture("relu", 3), gs.architecture(("leaky_relu", 0.2), 3),
    gs.architecture(("leaky_relu", -0.5), 3), gs.architecture("abs", 3), gs.architecture("abs", 4),
    gs.architecture("relu", 3, "symmetrized"),
]


def _data(seed, n):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, n))
    return x, np.sin(3 * x) + 0.1 * rng.standard_normal(n)


@pytest.mark.parametrize("arch", ARCHITECTURES, ids=str)
def test_same_optimum_as_cvxpy_on_every_family(arch):
    x, y = _data(3, 5 if arch.depth >= 3 and arch.family.name == "symmetrized" else 9)
    D = library_1d(x, arch)
    problem = LassoProblem.from_dictionary(D, y, 1e-2)
    sol = solve(problem, "working_set")
    assert sol.certificate.ok(1e-9), sol.certificate.summary()
    U = D.unpenalized if D.unpenalized.shape[1] else None
    oracle = cvxpy_lasso_value(D.to_dense(), y, problem.beta_t, intercept=D.intercept, U=U)
    assert sol.objective == pytest.approx(oracle, rel=1e-7)
    assert sol.m_star <= len(x)  # the active set is a vertex


@pytest.mark.parametrize("loss, tau", [("squared", 0.5), ("quantile", 0.2), ("quantile", 0.9), ("l1", 0.5)])
def test_every_datafit_with_weights(loss, tau):
    x, y = _data(4, 12)
    w = np.random.default_rng(5).uniform(0.2, 3.0, x.size)
    D = library_1d(x, gs.architecture("abs", 3))
    problem = LassoProblem.from_dictionary(D, y, 2e-2, loss=loss, tau=tau, sample_weight=w)
    sol = solve(problem, "working_set")
    assert sol.certificate.ok(1e-7), sol.certificate.summary()
    oracle = cvxpy_lasso_value(D.to_dense(), y, problem.beta_t, weights=w, loss=loss, tau=tau)
    assert sol.objective == pytest.approx(oracle, rel=1e-6)


def test_no_intercept_and_unpenalized_columns():
    rng = np.random.default_rng(6)
    A, y, U = rng.standard_normal((15, 40)), rng.standard_normal(15), rng.standard_normal((15, 2))
    problem = LassoProblem(A, y, 0.3, intercept=False, unpenalized=U)
    sol = solve(problem, "working_set")
    assert sol.xi == 0.0 and sol.omega.shape == (2,)
    assert sol.objective == pytest.approx(cvxpy_lasso_value(A, y, 0.3, intercept=False, U=U), rel=1e-8)


@pytest.mark.parametrize("beta", [1e-5, 1e-7])
def test_small_beta_is_solved_and_certified(beta):
    """The papers work at beta = 1e-7 (002 Sec. 6): the certificate must mean something there
    (the cvxpy reference leaves a relative gap of ~1e-6 on these data)."""
    x, y = _data(7, 30)
    D = library_1d(x, gs.architecture("abs", 3))
    sol = solve(LassoProblem.from_dictionary(D, y, beta), "working_set")
    assert sol.certificate.ok(1e-6), sol.certificate.summary()
    oracle = cvxpy_lasso_value(D.to_dense(), y, beta)
    assert sol.objective <= oracle * (1 + 1e-6)


def test_beta_to_zero_reaches_the_min_norm_value():
    """002 Cor. C.1: as beta -> 0 the Lasso objective / beta tends to the minimum-norm value
    min ||z||_1 s.t. A z + xi = y (HiGHS)."""
    x, y = _data(8, 12)
    D = library_1d(x, gs.architecture("relu", 2))
    limit = min_norm(D.to_dense(), y).objective
    sol = solve(LassoProblem.from_dictionary(D, y, 1e-8), "working_set")
    assert np.abs(sol.z).sum() == pytest.approx(limit, rel=1e-5)
    assert sol.objective / 1e-8 == pytest.approx(limit, rel=1e-5)


# -- degenerate inputs (hypothesis) ---------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (8, 5), elements=st.floats(-3, 3, allow_subnormal=False)),
       arrays(np.float64, 8, elements=st.floats(-3, 3, allow_subnormal=False)),
       st.sampled_from(["zero", "duplicate", "negated", "sum", "constant"]),
       st.floats(1e-3, 2.0))
def test_degenerate_dictionaries(G, y, kind, beta):
    """Zero, duplicated, negated, linearly dependent and constant columns: the optimum of
    cvxpy, a certified solution, and no column used twice."""
    extra = {"zero": np.zeros((8, 1)), "duplicate": G[:, :1], "negated": -G[:, 1:2],
             "sum": G[:, :1] + G[:, 1:2], "constant": np.ones((8, 1))}[kind]
    A = np.hstack([G, extra])
    problem = LassoProblem(A, y, beta)
    sol = solve(problem, "working_set")
    oracle = cvxpy_lasso_value(A, y, beta)
    assert sol.objective <= oracle + 1e-8 * max(1.0, abs(oracle))
    assert sol.certificate.ok(1e-6), sol.certificate.summary()


@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, (6, 4), elements=st.floats(-3, 3, allow_subnormal=False)),
       st.floats(-5, 5))
def test_constant_targets_give_zero(A, level):
    sol = solve(LassoProblem(A, np.full(6, level), 0.1), "working_set")
    assert sol.m_star == 0 and sol.xi == pytest.approx(level, abs=1e-12)
    assert sol.certificate.ok(1e-9)


def test_beta_at_least_beta_max_gives_zero_and_one_column_works():
    x, y = _data(9, 10)
    D = library_1d(x, gs.architecture("relu", 3))
    problem = LassoProblem.from_dictionary(D, y, 1.0)
    top = problem.beta_max()
    above = solve(LassoProblem(D, y, top * (1 + 1e-9)), "working_set")
    below = solve(LassoProblem(D, y, top * (1 - 1e-3)), "working_set")
    assert above.m_star == 0 and below.m_star >= 1 and below.certificate.ok(1e-9)
    one = LassoProblem(D.to_dense()[:, :1] + 0.0, y, 1e-3)
    sol = solve(one, "working_set")
    assert sol.objective == pytest.approx(cvxpy_lasso_value(one.A.to_dense(), y, 1e-3), rel=1e-9)


# -- the inner active-set method alone ------------------------------------------------------------

def test_active_set_is_exact_on_dependent_overcomplete_matrices():
    """Random matrices with more columns than rows, copies and exact linear combinations
    (pivots), against cvxpy."""
    rng = np.random.default_rng(10)
    for _ in range(40):
        n, k = rng.integers(4, 12), rng.integers(2, 14)
        G = rng.standard_normal((n, k))
        M = np.hstack([G, G @ rng.standard_normal((k, 3)), G[:, :2]])
        b, beta = rng.standard_normal(n), 10 ** rng.uniform(-3, 0)
        solver = ActiveSetLasso(b)
        solver.add_columns(M)
        solver.solve(beta)
        z = cp.Variable(solver.M.shape[1])
        oracle = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(solver.M @ z - b) + beta * cp.norm1(z)))
        oracle.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
        assert solver.objective(beta) <= oracle.value * (1 + 1e-8) + 1e-12
        assert len(solver.T) <= n  # independent active columns


# -- paths, limits, interruption, progress ----------------------------------------------------------

def test_path_is_warm_started_and_matches_single_solves():
    x, y = _data(11, 15)
    D = library_1d(x, gs.architecture("abs", 3))
    problem = LassoProblem.from_dictionary(D, y, 1e-3)
    betas = problem.beta_max() * np.array([1.0, 0.3, 0.05, 1e-3, 1e-5])
    path = lasso_path(problem, betas)
    assert [s.m_star for s in path][0] == 0
    for b, s in zip(betas, path):
        single = solve(LassoProblem(D, y, b), "reference")
        assert s.objective == pytest.approx(single.objective, rel=1e-6)
    assert all(np.diff([np.abs(s.z).sum() for s in path]) >= -1e-9)  # ||z||_1 grows as beta falls


class _Interrupting(MatrixOperator):
    """A dense operator whose k-th correlation pass raises KeyboardInterrupt (Ctrl-C)."""

    def __init__(self, matrix, at):
        super().__init__(matrix)
        self.calls, self.at = 0, at

    def rmatvec(self, r):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return super().rmatvec(r)


def test_ctrl_c_returns_the_best_iterate_with_its_certificate():
    x, y = _data(12, 20)
    A = library_1d(x, gs.architecture("abs", 3)).to_dense()
    sol = solve(LassoProblem(_Interrupting(A, at=4), y, 1e-4), "working_set", initial_size=5)
    assert sol.status == "interrupted" and sol.certificate is not None
    assert np.isfinite(sol.objective) and sol.objective <= 0.5 * np.sum((y - y.mean()) ** 2)


def test_time_limit_and_progress_report(capsys):
    x, y = _data(13, 20)
    D = library_1d(x, gs.architecture("abs", 3))
    limited = solve(LassoProblem.from_dictionary(D, y, 1e-4), "working_set", time_limit=0.0)
    assert limited.status == "time_limit"
    solve(LassoProblem.from_dictionary(D, y, 1e-2), "working_set", verbose=True)
    err = capsys.readouterr().err
    assert "working set" in err and "rel. gap" in err


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-6, 1e6), gap=st.floats(1e-14, 1e-3))
def test_compensated_residual_is_exact_to_rounding(seed, scale, gap):
    """Dot2 (Ogita-Rump-Oishi): M[:, T] z - b with b = M[:, T] z + a tiny part is exact to one
    rounding of the result plus gamma_n^2 of the terms' size, where a float64 sum loses the tiny
    part's digits (its error is a million times larger); oracle: the exact rational sum."""
    from fractions import Fraction

    from gaconvex.solvers._compensated import compensated_residual

    rng = np.random.default_rng(seed)
    M = np.asfortranarray(rng.standard_normal((12, 9)) * scale)
    cols, z = [4, 0, 7, 2, 8], rng.standard_normal(5)
    b = M[:, cols] @ z + gap * scale * rng.standard_normal(12)
    exact = np.array([float(sum(Fraction(M[i, c]) * Fraction(w) for c, w in zip(cols, z))
                            - Fraction(b[i])) for i in range(12)])
    got = compensated_residual(M, cols, z, b)
    eps, terms = np.finfo(float).eps, len(cols) + 1  # Dot2's bound (ORO 2005, Prop. 5.5):
    gamma = terms * eps / (1 - terms * eps)  # eps |r| + gamma_n^2 sum |terms|
    size = np.abs(M[:, cols]) @ np.abs(z) + np.abs(b)
    assert np.all(np.abs(got - exact) <= eps * np.abs(exact) + gamma**2 * size)
    assert np.all(np.abs(got - exact) <= 1e-6 * np.abs(M[:, cols] @ z - b - exact) + gamma**2 * size)


def test_near_interpolation_on_real_tied_data_stops_at_the_exact_optimum():
    """The yearly sunspots (x_t -> x_{t+1}, 1900-1949: tied inputs, raw units) with abs L = 3 at
    beta = 1e-3 lie near interpolation (beta_t ~ 1e-9 of beta_max): the working set ends where
    the remaining violations are below rounding ('precision_limited') and the active set bars
    columns that rounding makes enter against their own sign (they cycled before).  The
    objective must still equal cvxpy + Clarabel's to 1e-6 and the certificate must hold."""
    from gaconvex import convex_fit
    from gaconvex.datasets import sunspot_autoregression

    x, y = sunspot_autoregression(1900, 50)
    assert len(np.unique(x)) < len(x)  # ties
    fit = convex_fit(x, y, gs.architecture("abs", 3), 1e-3, storage="structured")
    ref = convex_fit(x, y, gs.architecture("abs", 3), 1e-3, solver="reference", certify=False)
    assert fit.solution.status == "optimal"
    assert fit.solution.info["precision_limited"]
    assert fit.objective == pytest.approx(ref.objective, rel=1e-6)
    assert fit.objective <= ref.objective * (1 + 1e-9)
    assert fit.certificate.lasso.ok(1e-6), fit.certificate.summary()


@pytest.mark.slow
def test_near_copy_columns_at_small_beta_do_not_cycle():
    """A real case that broke the active set: 96 sentence embeddings projected on a trained
    network's first-layer weight (examples/text_classification.py, 120-sentence smoke subset,
    L = 3, seed 0, 15 epochs; +-1 labels), abs L = 3 at beta = 1e-7.  Two near-copy ramps
    swapped back and forth with a penalty gain below rounding, and a pivot's swap failed the
    QR insert ('could not insert a dependent column').  Both must now end at the optimum:
    cvxpy + Clarabel's value to 1e-6 (ours may be lower: Clarabel stops early)."""
    from pathlib import Path

    from gaconvex import convex_fit

    data = np.load(Path(__file__).with_name("data") / "projected_sentences.npz")
    t, y = data["t"], data["y"]
    fit = convex_fit(t, y, gs.architecture("abs", 3), 1e-7, certify=False)
    assert fit.solution.status == "optimal"
    D = fit.dictionary
    oracle = cvxpy_lasso_value(D.to_dense(), fit.problem.y, fit.problem.beta_t)
    assert fit.objective <= oracle * (1 + 1e-6)
    assert fit.objective >= oracle * (1 - 1e-4)


def test_in_place_qr_updates_match_the_active_columns(rng):
    """After any sequence of Gram-Schmidt inserts and Givens deletes the buffers hold an
    orthonormal Q and upper-triangular R with Q R == M_T (the oracle: the columns themselves)."""
    M = rng.standard_normal((40, 30))
    solver = ActiveSetLasso(rng.standard_normal(40))
    solver.add_columns(M)
    for step in range(60):
        if solver.T and (len(solver.T) > 12 or rng.random() < 0.4):
            solver._drop(int(rng.integers(len(solver.T))))
        else:
            free = np.setdiff1d(np.arange(solver.s), solver.T)
            assert solver._insert(int(rng.choice(free)), 1.0)
        Q, R = solver.Q, solver.R
        np.testing.assert_allclose(Q @ R, solver.M[:, solver.T], atol=1e-12)
        np.testing.assert_allclose(Q.T @ Q, np.eye(len(solver.T)), atol=1e-13)
        assert np.all(np.tril(R, -1) == 0)


def test_a_column_in_the_span_of_the_active_set_is_not_inserted(rng):
    A = rng.standard_normal((20, 3))
    M = np.column_stack([A, A @ np.array([1.0, -2.0, 0.5])])
    solver = ActiveSetLasso(rng.standard_normal(20))
    solver.add_columns(M)
    assert all(solver._insert(j, 1.0) for j in range(3))
    assert not solver._insert(3, 1.0)
    assert solver.T == [0, 1, 2]


def test_keep_columns_compacts_the_store_and_keeps_the_factorization(rng):
    """Pruning keeps exactly the chosen columns in order (runs moved in place), renumbers the
    active set, and Q R still equals the active columns; an active column cannot be dropped."""
    M = rng.standard_normal((15, 40))
    solver = ActiveSetLasso(rng.standard_normal(15))
    solver.add_columns(M)
    for j in (3, 17, 30):
        assert solver._insert(j, 1.0)
    keep = rng.random(40) < 0.5
    keep[[3, 17, 30]] = True
    solver.keep_columns(keep)
    np.testing.assert_array_equal(solver.M, M[:, keep])
    np.testing.assert_allclose(solver.Q @ solver.R, solver.M[:, solver.T], atol=1e-12)
    np.testing.assert_array_equal(np.flatnonzero(keep)[solver.T], [3, 17, 30])
    keep = np.ones(solver.s, dtype=bool)
    keep[solver.T[0]] = False
    with pytest.raises(GaconvexError, match="active column"):
        solver.keep_columns(keep)


# -- restricted passes (pool passes and exact passes over the screened candidates) ------------------

def _wedge_problem(seed=21, n=16, d=3, beta=0.05):
    """A small p = 1 wedge library (001 Thm 4, kernel store: no matrix) and its Lasso."""
    from gaconvex.dictionaries import build_dictionary

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.maximum(X @ np.array([1.0, -1.0, 0.5][:d]), 0) + 0.1 * rng.normal(size=n)
    D = build_dictionary(X, gs.architecture("relu", 2, dim=d, norm=1, bias=False),
                         storage="kernels")
    return D, y, LassoProblem.from_dictionary(D, y, beta)


def _count_passes(monkeypatch):
    """Spy on the working set's passes: (full passes, restricted passes, columns of these)."""
    from gaconvex.solvers import working_set as ws

    counts = {"full": 0, "restricted": 0}
    original = ws._WorkingSet._correlations

    def spy(self, lam, scope):
        P = self.problem.n_features
        kind = "restricted" if self.restricted and scope.size < ws._RESTRICTED_BELOW * P else "full"
        counts[kind] += 1
        return original(self, lam, scope)

    monkeypatch.setattr(ws._WorkingSet, "_correlations", spy)
    return counts


def _pools_on(monkeypatch, fraction=0.1):
    """Pool passes on a small library: no size floor, a pool of ``fraction`` of the columns."""
    from gaconvex.solvers import working_set as ws

    monkeypatch.setattr(ws, "_POOL_MIN_COLUMNS", 0)
    monkeypatch.setattr(ws, "_POOL_BATCHES", 1)
    monkeypatch.setattr(ws, "_POOL_FRACTION", fraction)


@pytest.mark.parametrize("fraction", [0.05, 0.3])
def test_pool_passes_give_the_optimum_and_certificate_of_full_passes(monkeypatch, fraction):
    """Pool passes (violators from the most correlated candidates, no certificate) and the
    warm-start-only continuation stages: the same objective as cvxpy + Clarabel on the dense
    library and as the solver with full passes only, the same fit (A z* is unique), and the
    certificate holds, whatever the pool's size."""
    from gaconvex.solvers import working_set as ws

    D, y, problem = _wedge_problem()
    A = D.to_dense()
    oracle = cvxpy_lasso_value(A, y, problem.beta_t, intercept=False)
    monkeypatch.setattr(ws, "_RESTRICTED_BELOW", 0.0)  # reference: full passes only
    full_only = solve(problem, "working_set", initial_size=5)
    _pools_on(monkeypatch, fraction)
    monkeypatch.setattr(ws, "_RESTRICTED_BELOW", 0.5)
    counts = _count_passes(monkeypatch)
    pooled = solve(problem, "working_set", initial_size=5)
    assert counts["restricted"] > 0 and counts["full"] > 0, counts
    for sol in (full_only, pooled):
        assert sol.status == "optimal"
        assert sol.certificate.ok(1e-9), sol.certificate.summary()
        assert sol.objective == pytest.approx(oracle, rel=1e-7)
    assert pooled.objective == pytest.approx(full_only.objective, rel=1e-10)
    np.testing.assert_allclose(pooled.fitted, full_only.fitted, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(A @ pooled.z, pooled.fitted, rtol=1e-9, atol=1e-9)


def test_restricted_exact_passes_over_screened_candidates(monkeypatch):
    """Once gap-safe screening leaves few candidates, exact passes evaluate only them
    (rmatvec_columns): the loop still stops on the gap over the candidates, rigorous by the
    gap-safe rule, and the final certificate over all columns agrees (same optimum as cvxpy)."""
    from gaconvex.solvers import working_set as ws

    D, y, problem = _wedge_problem(seed=22, beta=0.2)
    counts = _count_passes(monkeypatch)
    calls = []
    original = type(D).rmatvec_columns

    def spy(self, r, idx):
        calls.append(np.asarray(idx).size)
        return original(self, r, idx)

    monkeypatch.setattr(type(D), "rmatvec_columns", spy)
    sol = solve(problem, "working_set")
    assert counts["restricted"] > 0 and max(calls) < ws._RESTRICTED_BELOW * D.n_columns
    assert sol.status == "optimal" and sol.certificate.ok(1e-9), sol.certificate.summary()
    oracle = cvxpy_lasso_value(D.to_dense(), y, problem.beta_t, intercept=False)
    assert sol.objective == pytest.approx(oracle, rel=1e-7)
    monkeypatch.setattr(ws, "_RESTRICTED_BELOW", 0.0)
    full_only = solve(problem, "working_set")
    assert sol.objective == pytest.approx(full_only.objective, rel=1e-10)
    np.testing.assert_allclose(sol.fitted, full_only.fitted, rtol=1e-7, atol=1e-9)


def test_path_with_pool_passes_certifies_every_beta(monkeypatch):
    """lasso_path keeps the pool from one beta to the next; every beta is still solved to the
    tolerance and equals cvxpy's optimum."""
    D, y, problem = _wedge_problem(seed=23)
    _pools_on(monkeypatch)
    counts = _count_passes(monkeypatch)
    betas = problem.beta_max() * np.array([0.5, 0.1, 0.02])
    path = lasso_path(problem, betas, initial_size=5)
    assert counts["restricted"] > 0
    A = D.to_dense()
    for b, sol in zip(betas, path):
        assert sol.status == "optimal"
        assert sol.objective == pytest.approx(cvxpy_lasso_value(A, y, b, intercept=False),
                                              rel=1e-7)


def test_violators_are_the_k_largest_with_ties_to_the_smaller_index():
    """The partial selection of _violators against a stable full sort: ties at the k-th value
    (copies) go to the smaller column index; columns held or under their level never enter."""
    from gaconvex.solvers.working_set import _violators

    rng = np.random.default_rng(24)
    scope = np.sort(rng.choice(1000, 300, replace=False))
    c = rng.choice([-3.0, -2.0, -1.0, 0.5, 1.0, 2.0, 3.0], scope.size)  # many ties
    norms = rng.uniform(0.5, 2.0, 1000)
    in_set = rng.random(1000) < 0.1
    level = 0.5 + 0.2 * norms[scope]  # base 0.5, rounding 0.1 ||A_j|| 2
    held = in_set[scope]
    for k in (1, 7, 40, 299):
        free = np.flatnonzero(~held & (np.abs(c) > level))
        expected = np.sort(scope[free[np.argsort(-np.abs(c[free]), kind="stable")[:k]]])
        np.testing.assert_array_equal(_violators(c, scope, 0.5, (0.1, norms, 2.0), in_set, k),
                                      expected)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([-2.0, -1.0, 0.0, 1.0, 1.5, 2.0]), min_size=1, max_size=40),
       st.integers(0, 2**32 - 1))
def test_violators_at_peaks_against_numpy(values, seed):
    """The compiled scan with ``peaks`` against the numpy expression it replaced: violators
    that are local maxima of |c| among adjacent column indices, or all violators if none is."""
    from gaconvex.solvers.working_set import _violators

    rng = np.random.default_rng(seed)
    c = np.array(values)
    scope = np.sort(rng.choice(3 * c.size, c.size, replace=False))
    in_set = rng.random(3 * c.size) < 0.2
    out = ~in_set[scope] & (np.abs(c) > 0.5)
    size, adjacent = np.abs(c), np.diff(scope) == 1
    peak = np.ones(c.size, dtype=bool)
    peak[1:] &= ~adjacent | (size[1:] >= size[:-1])
    peak[:-1] &= ~adjacent | (size[:-1] >= size[1:])
    expected = scope[out & peak] if (out & peak).any() else scope[out]
    got = _violators(c, scope, 0.5, (0.0, np.ones(3 * c.size), 1.0), in_set, c.size, peaks=True)
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 200_000), st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_largest_selects_the_k_largest(n, fraction, seed):
    """_largest (a sampled threshold, then a partial selection) against a full sort, also for
    values the strided sample misjudges (a sorted ramp, many ties)."""
    from gaconvex.solvers.working_set import _largest

    rng = np.random.default_rng(seed)
    k = max(1, min(n - 1, int(fraction * n))) if n > 1 else 1
    for values in (rng.random(n), np.arange(n, dtype=float), rng.integers(0, 3, n) * 1.0):
        if k >= n:
            continue
        got = _largest(values, k)
        assert got.size == k and np.unique(got).size == k
        np.testing.assert_array_equal(np.sort(values[got]), np.sort(values)[n - k:])


def test_screen_scan_matches_the_gap_safe_rule():
    """The compiled gap-safe screen: keep s |c_j| + r ||A_j|| >= beta, or the column held."""
    from gaconvex.solvers.working_set import _screen

    rng = np.random.default_rng(26)
    candidates = np.sort(rng.choice(5000, 3000, replace=False))
    c = rng.normal(size=candidates.size)
    norms, held = rng.uniform(0.1, 1.0, 5000), rng.random(5000) < 0.05
    gap, beta, max_ratio = 0.02, 1.1, 2.5
    s, radius = 1 / max_ratio, np.sqrt(2 * gap)
    expected = (s * np.abs(c) + radius * norms[candidates] >= beta) | held[candidates]
    assert 0 < expected.sum() < candidates.size
    np.testing.assert_array_equal(_screen(c, max_ratio, beta, gap, norms, held, candidates),
                                  expected)


def test_pool_passes_with_a_free_intercept_and_sample_weights(monkeypatch):
    """Biased 2-D wedge neurons (a free intercept: the projected problem of the working set)
    with sample weights: the pool passes still reach cvxpy's weighted optimum, certified."""
    from gaconvex.dictionaries import build_dictionary

    rng = np.random.default_rng(25)
    X = rng.normal(size=(14, 2))
    y = np.abs(X[:, 0] - 0.3 * X[:, 1]) + 0.1 * rng.normal(size=14)
    w = rng.uniform(0.3, 2.0, size=14)
    D = build_dictionary(X, gs.architecture("relu", 2, dim=2, norm=1, bias=True),
                         storage="kernels")
    problem = LassoProblem.from_dictionary(D, y, 0.02, sample_weight=w)
    _pools_on(monkeypatch)
    counts = _count_passes(monkeypatch)
    sol = solve(problem, "working_set", initial_size=5)
    assert counts["restricted"] > 0
    assert sol.status == "optimal" and sol.certificate.ok(1e-9), sol.certificate.summary()
    oracle = cvxpy_lasso_value(D.to_dense(), y, problem.beta_t, weights=w,
                               intercept=D.intercept)
    assert sol.objective == pytest.approx(oracle, rel=1e-7)


def test_violators_at_peaks_of_adjacent_columns():
    """peaks=True keeps the violators that are local maxima of |c| among adjacent column
    indices (a gap in the scope separates neighbours), the k largest of them; with no peak
    violating (the peaks are held) every violator is a candidate again."""
    from gaconvex.solvers.working_set import _violators

    scope = np.array([0, 1, 2, 3, 4, 6, 7, 8])
    c = np.array([0.5, 2.0, 3.0, 2.5, 1.5, 1.6, 0.2, -2.2])
    level = (0.0, np.ones(9), 1.0)  # violations: |c_j| > 1
    free = np.zeros(9, dtype=bool)
    np.testing.assert_array_equal(_violators(c, scope, 1.0, level, free, 10, peaks=True),
                                  [2, 6, 8])
    np.testing.assert_array_equal(_violators(c, scope, 1.0, level, free, 2, peaks=True), [2, 8])
    np.testing.assert_array_equal(_violators(c, scope, 1.0, level, free, 10),
                                  [1, 2, 3, 4, 6, 8])
    held = np.isin(np.arange(9), [2, 6, 8])
    np.testing.assert_array_equal(_violators(c, scope, 1.0, level, held, 10, peaks=True),
                                  [1, 3, 4])


def test_continuation_takes_beta_max_from_the_first_pass(monkeypatch):
    """The working set's pass at z = 0 gives problem.beta_max() (weights, a free intercept and
    an unpenalized column projected out: the same dual vector up to sign) and the same
    continuation betas; the first outer iteration reuses it, so a continuation solve makes no
    library pass beyond the working set's own (counted in info["passes"]) and the
    certificate's, and reaches cvxpy's weighted optimum."""
    from gaconvex.solvers import working_set as ws

    rng = np.random.default_rng(27)
    A, y = rng.standard_normal((30, 80)), rng.standard_normal(30)
    U, w = rng.standard_normal((30, 1)), rng.uniform(0.5, 2.0, 30)
    problem = LassoProblem(MatrixOperator(A), y, 1e-3, unpenalized=U, sample_weight=w)
    state = ws._WorkingSet(problem, True, 10)
    assert state.beta_max() == pytest.approx(problem.beta_max(), rel=1e-12)
    np.testing.assert_allclose(ws._continuation_of(state), ws.continuation(problem), rtol=1e-12)
    assert len(ws.continuation(problem)) > 1
    passes = []
    original = MatrixOperator.rmatvec
    monkeypatch.setattr(MatrixOperator, "rmatvec",
                        lambda self, r: passes.append(1) or original(self, r))
    sol = solve(problem, "working_set", initial_size=10)
    assert len(passes) == sol.info["passes"]["full"] + 1  # + the certificate's
    assert sol.status == "optimal" and sol.certificate.ok(1e-9)
    assert sol.objective == pytest.approx(
        cvxpy_lasso_value(A, y, problem.beta_t, weights=w, U=U), rel=1e-7)
    passes.clear()  # lasso_path's default betas from beta_max: the same single pass
    path = lasso_path(problem, n_betas=4)
    assert not path[0].z.any() and path[0].status == "optimal"  # at beta_max: z* = 0
    assert len(passes) == path[-1].info["passes"]["full"]  # (no certificate attached here)
    last = 1e-4 * problem.beta_max()
    assert path[-1].objective == pytest.approx(
        cvxpy_lasso_value(A, y, last, weights=w, U=U), rel=1e-7)


def test_outer_correlations_agree_with_the_inner_ones_near_interpolation():
    """Near interpolation (coefficients of 10^4 on nearly parallel ramps) the residual on all
    rows is projected off the free columns again before the library is correlated with it: the
    outer loop's A_j^T lambda of the held columns then equals the inner solver's M_j^T rho to
    rounding (without the projection they differed by ~500 times the rounding level, which
    the gap read as a violation)."""
    from gaconvex.solvers import working_set
    from gaconvex.solvers.active_set import rounding_level

    x, y = _data(0, 300)
    D = library_1d(x, gs.architecture("relu", 2), storage="structured")
    problem = LassoProblem.from_dictionary(D, y, 1e-6)
    state = working_set._WorkingSet(problem, screening=True, initial_size=50)
    state._add(np.arange(D.n_columns))
    state.inner.solve(problem.beta_t)
    assert np.abs(state.inner.zT).sum() > 1e4
    rho = state.inner.residual()
    outer = problem.A.rmatvec(state.transform.root * state._full(rho))[state.members]
    level = rounding_level(x.size, state.norms[state.members], float(np.linalg.norm(rho)))
    assert np.all(np.abs(outer - state.inner.M.T @ rho) <= 0.1 * level)


def test_warm_start_stages_stay_in_working_precision(monkeypatch):
    """The continuation's stages before the last only warm-start it: when their violations
    fall below the float64 rounding level they stop, and only the last stage (the problem's
    beta) redoes its end in extended precision (the sunspots' stage at beta_t ~ 1.8e-6 went
    precise before and its successor then ran all its ~1,800 steps at ~2x the cost; on this
    100-year subset the third of four stages did).  The fit must still reach cvxpy +
    Clarabel's optimum, and its certificate's relative gap 1e-6 (the fit is precision limited:
    its KKT residual sits at the rounding level, 0.8-1.1e-6 of beta_t across rounding changes
    of the float64 arithmetic, so only the gap is asserted)."""
    from gaconvex import convex_fit
    from gaconvex.datasets import sunspot_autoregression
    from gaconvex.solvers import working_set

    stages, precise_at = [], []
    run, precise = working_set._WorkingSet.run, working_set._WorkingSet._precise
    monkeypatch.setattr(working_set._WorkingSet, "run", lambda self, beta, *a, **k: (
        stages.append(beta) or run(self, beta, *a, **k)))
    monkeypatch.setattr(working_set._WorkingSet, "_precise", lambda self: (
        precise_at.append(stages[-1]) or precise(self)))
    x, y = sunspot_autoregression(1700, 100)
    fit = convex_fit(x, y, gs.architecture("abs", 3), 1e-3, storage="structured")
    assert len(stages) >= 3 and precise_at  # a continuation whose last stage went precise
    assert set(precise_at) == {stages[-1]}
    ref = convex_fit(x, y, gs.architecture("abs", 3), 1e-3, solver="reference", certify=False)
    assert fit.objective == pytest.approx(ref.objective, rel=1e-6)
    assert fit.solution.info["precision_limited"]
    assert fit.certificate.lasso.relative_gap <= 1e-6, fit.certificate.summary()


def test_pruning_bounds_the_working_set_on_a_dense_anchor_grid():
    """Along a 50-beta 2-layer ReLU path on 3,000 points, thousands of neighbouring ramps sit
    near the boundary |c_j| ~ beta; pruning drops them like any inactive column, so the
    working set stays within a small multiple of the active set (it held 2,600 columns when
    columns above 0.9 beta were never dropped), and every beta is still certified."""
    x, y = _data(0, 3000)
    D = library_1d(x, gs.architecture("relu", 2), storage="structured")
    problem = LassoProblem.from_dictionary(D, y, 1e-3)
    betas = problem.beta_max() * np.geomspace(1.0, 1e-4, 50)
    path = lasso_path(problem, betas)
    assert all(s.status == "optimal" for s in path)
    assert max(s.info["working_set"] - 8 * s.m_star for s in path) <= 400
    for beta, s in list(zip(betas, path))[::7]:
        cert = certificate(LassoProblem.from_dictionary(D, y, beta), s)
        assert cert.relative_gap <= 1e-8, cert.summary()
