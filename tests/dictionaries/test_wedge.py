"""Wedge-product dictionaries of 2-layer ReLU networks on R^d (001 Thms 2-5, 15-17; spec 001
Sec. 0, Sec. 3.2 rows A-I, Sec. 3.3), checked against columns built independently with
clifford (wedge, ``.dual()``) and sympy, the 1-D library of 002, and brute-force enumeration."""
from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import clifford
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gaconvex
import gaconvex.symbolic as gs
from gaconvex._validation import GaconvexError
from gaconvex.dictionaries import build_dictionary, two_layer_library, wedge_library


def _arch(d, p=1, bias=True):
    return gs.architecture("relu", 2, dim=d, norm=p, bias=bias)


def _column_set(A, decimals=9):
    return {tuple(np.round(c, decimals) + 0.0) for c in A.T if np.abs(c).max() > 1e-12}


@lru_cache(maxsize=None)
def _layout(d):
    return clifford.Cl(d)[0]


def _clifford_columns(X, p, bias):
    """Every column relu(s star((x - u) ^ v_1 ^ ... ^ v_{d-1})) / ||star(v_1 ^ ...)||_p by
    clifford, over anchor sets enumerated here (spec 001 Sec. 3.2 rows F-I)."""
    n, d = X.shape
    layout = _layout(d)
    basis = [layout.blades_list[1 + i] for i in range(d)]

    def mv(v):
        return sum(float(c) * e for c, e in zip(v, basis))

    rows = [X[i] for i in range(n)] + ([np.eye(d)[k] for k in range(d)] if p == 1 else [])
    is_data = [True] * n + [False] * (len(rows) - n)
    columns = []
    for S in combinations(range(len(rows)), d - 1 + bias):
        if bias and not is_data[S[0]]:
            continue
        u = rows[S[0]] if bias else np.zeros(d)
        V = [rows[j] - (u if is_data[j] else 0) for j in (S[1:] if bias else S)]
        blade = mv(V[0])
        for v in V[1:]:
            blade = blade ^ mv(v)
        normal = blade.dual().value[1:d + 1]
        norm = np.linalg.norm(normal, ord=p)
        if norm < 1e-12:
            continue
        for s in (1, -1):
            columns.append(np.maximum(s * (X - u) @ normal / norm, 0))
    return np.array(columns).T


CASES = [(5, 2), (5, 3), (5, 4), (4, 3)]


@pytest.mark.parametrize("n, d", CASES)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("bias", [False, True])
def test_columns_equal_clifford_hodge_duals(rng, n, d, p, bias):
    """001 Thm 4 / 5 / 16 / 17 dictionaries == clifford: star of the wedge, both orientations,
    augmentation with e_1..e_d exactly for p = 1, l_p normalization, rows = the n data."""
    X = rng.standard_normal((n, d))
    D = wedge_library(X, _arch(d, p, bias), deduplicate=False)
    expected = _clifford_columns(X, p, bias)
    assert D.to_dense().shape == (n, expected.shape[1])
    assert _column_set(D.to_dense()) == _column_set(expected)
    assert D.intercept == bias


@pytest.mark.parametrize("n, d, count", [(6, 2, 16), (6, 3, 72), (8, 3, 110), (7, 4, 330)])
def test_raw_column_counts_of_thm_4(rng, n, d, count):
    """Spec 001 Sec. 3.3: 2 C(n + d, d - 1) raw columns for p = 1 bias-free (16, 72, 110, 330);
    biased: 2 (C(n + d, d) - 1) for p = 1, 2 C(n, d) for p = 2."""
    from math import comb

    X = rng.standard_normal((n, d))
    assert wedge_library(X, _arch(d, 1, False), deduplicate=False).n_columns == count
    assert wedge_library(X, _arch(d, 1, True), deduplicate=False).n_columns == 2 * (comb(n + d, d) - 1)
    assert wedge_library(X, _arch(d, 2, True), deduplicate=False).n_columns == 2 * comb(n, d)
    assert wedge_library(X, _arch(d, 2, False), deduplicate=False).n_columns == 2 * comb(n, d - 1)


@pytest.mark.parametrize("d, p, bias", [(2, 1, False), (3, 2, True), (3, 1, True), (4, 2, False)])
def test_sympy_expression_is_the_evaluated_feature(rng, d, p, bias):
    """The family's symbolic statement Max(0, s det[x - u; V]) / ||cross(V)||_p, lambdified,
    equals the batched columns (generalized_cross + BLAS) at the data and at new points."""
    X = rng.standard_normal((6, d))
    D = wedge_library(X, _arch(d, p, bias), deduplicate=False)
    family = D.blocks[0].family
    expr = family.expr
    xs = sp.symbols(f"x1:{d + 1}", real=True)
    us = sp.symbols(f"u1:{d + 1}", real=True) if bias else ()
    vs = [sp.Symbol(f"v{i + 1}{j + 1}", real=True) for i in range(d - 1) for j in range(d)]
    f = sp.lambdify([*xs, *us, *vs, sp.Symbol("s", real=True)], expr, "numpy")
    X_new = rng.standard_normal((4, d))
    for j in rng.choice(D.n_columns, size=12, replace=False):
        info = D.column_info(int(j))
        values = np.array(info.anchor_values)
        got = D.evaluate(np.vstack([X, X_new]), columns=[j])[:, 0]
        want = [f(*x, *values, info.signs[0]) for x in np.vstack([X, X_new])]
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("d, p, bias", [(3, 1, False), (3, 2, True), (4, 1, True), (2, 2, False)])
def test_each_neuron_is_the_normal_of_its_anchors(rng, d, p, bias):
    """001 Thm 4 remark: w ⟂ the d-1 directions, ||w||_p = 1, b = -<u, w>, so relu vanishes
    on the anchor hyperplane; anchor_index decodes to the rows of [X; I_d] (-k = e_k)."""
    X = rng.standard_normal((6, d))
    D = wedge_library(X, _arch(d, p, bias), deduplicate=False)
    block = D.blocks[0]
    W, b = block.weights, block.bias
    np.testing.assert_allclose(np.linalg.norm(W, ord=p, axis=1), 1.0, rtol=1e-12)
    rows = np.vstack([X, np.eye(d)])
    for j in range(D.n_columns):
        idx = block.anchor_index[j]
        points = rows[np.where(idx >= 0, idx, len(X) - 1 - idx)]
        if bias:
            data = idx >= 0
            assert data[0]
            np.testing.assert_allclose(points[data] @ W[j] + b[j], 0, atol=1e-12)
            np.testing.assert_allclose(points[~data] @ W[j], 0, atol=1e-12)
        else:
            np.testing.assert_allclose(points @ W[j], 0, atol=1e-12)
            assert b[j] == 0
        unit = block.family.unit(block.anchor_values[j], block.signs[j])
        np.testing.assert_array_equal(unit[0][0][:, 0], W[j])


def test_degenerate_sets_and_repeated_neurons_are_reported(rng):
    """A repeated point and a point on the line of two others (d = 2, p = 2, biased: Thm 3's
    pairs): the pair of equal points has no line (reported, no column), the three collinear
    points give one line three times (two repeated neurons); no NaN and no zero column."""
    X = rng.standard_normal((6, 2))
    X[4] = X[0]
    X[5] = 0.3 * X[1] + 0.7 * X[2]
    D = wedge_library(X, _arch(2, 2, True), deduplicate=False)
    report = D.report
    assert report.degenerate == 1 and report.degenerate_sets.tolist() == [[0, 4]]
    # lines {1,2,5}: 3 pairs -> 1 line; {0,j} = {4,j} for j = 1, 2, 3, 5: 4 repeats more
    assert report.repeated == 2 + 4
    assert D.n_columns == 2 * (15 - 1 - 6)
    A = D.to_dense()
    assert np.isfinite(A).all()
    assert _column_set(A) == _column_set(_clifford_columns(X, 2, True))
    assert "1 degenerate" in str(report) and "6 repeated" in str(report)


def test_identical_columns_are_removed_and_reported(rng):
    """Deduplication (dense): zero columns and columns equal on the data are dropped, every
    kept column is distinct, and the report accounts for all raw columns."""
    X = rng.standard_normal((7, 3))
    raw = wedge_library(X, _arch(3, 1, True), deduplicate=False)
    D = wedge_library(X, _arch(3, 1, True))
    dedup = D.report.columns
    assert dedup.n_raw == raw.n_columns
    assert len(dedup.kept) + len(dedup.zero) + len(dedup.duplicate_of) == raw.n_columns
    assert len(dedup.zero) > 0  # half-spaces missing every data point
    A = D.to_dense()
    assert len(_column_set(A)) == A.shape[1] == len(dedup.kept)
    assert _column_set(A) == _column_set(raw.to_dense())


def test_sampled_libraries_are_seeded_subsets_and_certified_as_sampled(rng):
    """Above max_columns: a seeded uniform sample of anchor sets (both orientations each),
    Dictionary.sampled, and the certificate speaks of the sampled library."""
    X = rng.standard_normal((12, 3))
    y = rng.standard_normal(12)
    arch = _arch(3, 1, False)
    full = _column_set(wedge_library(X, arch, deduplicate=False).to_dense())
    a = wedge_library(X, arch, max_columns=40, seed=3, deduplicate=False)
    b = wedge_library(X, arch, max_columns=40, seed=3, deduplicate=False)
    c = wedge_library(X, arch, max_columns=40, seed=4, deduplicate=False)
    assert a.sampled and a.n_columns == 40 and a.report.n_enumerated == 20
    np.testing.assert_array_equal(a.to_dense(), b.to_dense())
    assert not np.array_equal(a.to_dense(), c.to_dense())
    assert _column_set(a.to_dense()) <= full
    # sparse regime (rejection sampling of subsets) is uniform-by-construction and distinct
    X = rng.standard_normal((60, 3))
    s = wedge_library(X, arch, max_columns=60, seed=0, deduplicate=False)
    sets = {tuple(r) for r in s.blocks[0].anchor_index[::2]}
    assert len(sets) == 30 and s.sampled
    fit = gaconvex.convex_fit(X, rng.standard_normal(60), arch, 0.1, max_columns=60, seed=0)
    assert fit.dictionary.sampled and fit.certificate.sampled
    assert "sampled library" in fit.certificate.verdict()
    assert not wedge_library(X[:12], arch).sampled


def test_too_large_libraries_are_refused_before_work(rng):
    """C(1000 + 3, 2) x 2 dense columns exceed 4 GiB: the memory-limit error names the fixes."""
    X = rng.standard_normal((1000, 3))
    with pytest.raises(GaconvexError, match="memory limit.*max_columns"):
        wedge_library(X, _arch(3, 1, True))
    with pytest.raises(GaconvexError, match="metadata"):
        wedge_library(X, _arch(3, 1, True), storage="kernels", memory_limit=1e6)


@pytest.mark.parametrize("bias", [False, True])
def test_matrix_free_and_torch_stores_equal_the_dense_matrix(rng, bias):
    X = rng.standard_normal((9, 3))
    arch = _arch(3, 2, bias)
    dense = wedge_library(X, arch, deduplicate=False)
    kernels = wedge_library(X, arch, storage="kernels")
    torch_store = wedge_library(X, arch, backend="torch", deduplicate=False)
    z, r = rng.standard_normal(dense.n_columns), rng.standard_normal(9)
    A = dense.to_dense()
    np.testing.assert_allclose(kernels.matvec(z), A @ z, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kernels.rmatvec(r), A.T @ r, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kernels.column_norms(), np.linalg.norm(A, axis=0), rtol=1e-12)
    np.testing.assert_allclose(torch_store.to_dense(), A, rtol=1e-14)
    with pytest.raises(GaconvexError, match="structured"):
        wedge_library(X, arch, storage="structured")


@pytest.mark.parametrize("p", [1, 2])
def test_d1_reduces_to_the_one_d_two_layer_library(rng, p):
    """d = 1: the wedge of no vectors is 1, so the biased library is 002's [A+, A-] = (s (x -
    x_j))_+ (001 Thm 1, row A) and convex_fit reaches the same optimum; bias-free: (+-x)_+."""
    x = rng.standard_normal(9)
    y = rng.standard_normal(9)
    wedge = gs.architecture("relu", 2, gs.WEDGE, dim=1, norm=p)
    assert _column_set(wedge_library(x, wedge, deduplicate=False).to_dense()) == \
        _column_set(two_layer_library(x, "relu", deduplicate=False).to_dense())
    for beta in (0.01, 0.2):
        one_d = gaconvex.convex_fit(x, y, gs.architecture("relu", 2), beta)
        fit = gaconvex.convex_fit(x, y, wedge, beta)
        np.testing.assert_allclose(fit.objective, one_d.objective, rtol=1e-9)
        assert fit.certificate.ok() and fit.certificate.globally_optimal()
    free = gs.architecture("relu", 2, gs.WEDGE, dim=1, bias=False)
    assert _column_set(wedge_library(x, free).to_dense()) == \
        _column_set(np.column_stack([np.maximum(x, 0), np.maximum(-x, 0)]))
    # the 1-D search assumes biases: no global claim for a bias-free network
    assert gaconvex.convex_fit(x, y, free, 0.1).certificate.globally_optimal() is None


def test_architecture_names_the_wedge_family_for_d_dimensional_inputs():
    arch = gs.architecture("relu", 2, dim=3)
    assert arch.family is gs.WEDGE and arch.norm == 1 and arch.bias and gs.is_wedge(arch)
    assert str(gs.architecture("relu", 2, dim=3, norm=2, bias=False)).endswith("p=2, no bias)")
    assert not gs.architecture("relu", 2, dim=3, bias=False).has_free_intercept
    with pytest.raises(GaconvexError, match="norm must be one of"):
        gs.architecture("relu", 2, dim=3, norm=3)
    with pytest.raises(GaconvexError, match="bias"):
        gs.architecture("relu", 2, bias=False)  # deep narrow has biases
    with pytest.raises(GaconvexError, match="norm must be one of"):
        gs.architecture("relu", 2, norm=1)  # deep narrow: weight decay only
    with pytest.raises(GaconvexError, match="ReLU"):
        gs.architecture("leaky_relu", 2, dim=2)  # (abs on R^d is the reflection-plane family)
    with pytest.raises(GaconvexError, match="depth 2"):
        gs.architecture("relu", 4, dim=2)
    assert gs.architecture("relu", 3, dim=2).family is gs.WEDGE_THREE_LAYER  # 001 Thms 12, 13
    with pytest.raises(GaconvexError, match="wedge_library builds"):
        wedge_library(np.zeros((3, 1)), gs.architecture("relu", 2))
    D = build_dictionary(np.eye(3), arch)
    assert D.dim == 3
    assert D.describe(0).startswith("relu(<x, w> + b") and "hyperplane through x[" in D.describe(0)


# -- bad input -----------------------------------------------------------------------------------
_finite = st.floats(-10, 10, allow_nan=False, width=64)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4), st.integers(1, 5), st.data())
def test_bad_input_gives_an_error_or_a_reported_reduction(d, n, data):
    """NaN: an error naming X; p = 2 on data of rank r < d (d > n, or points in a subspace):
    the library of the row space with the reduction reported (001 Lemma 23), or with
    rank_reduction=False an error naming it and norm=1; p = 1 (augmented, exact for any X): a
    dictionary whose report accounts for every anchor set, all columns finite."""
    X = np.array(data.draw(st.lists(st.lists(_finite, min_size=d, max_size=d), min_size=n,
                                    max_size=n)))
    bad = X.copy()
    bad[0, 0] = np.nan
    for p in (1, 2):
        with pytest.raises(GaconvexError, match="X"):
            wedge_library(bad, _arch(d, p, False))
    try:
        D = wedge_library(X, _arch(d, 1, data.draw(st.booleans())), deduplicate=False)
    except GaconvexError as error:
        assert "degenerate" in str(error)  # every set degenerate: only with repeated zero rows
    else:
        r = D.report
        assert r.n_enumerated == r.n_sets
        assert D.n_columns == 2 * (r.n_sets - r.degenerate - r.repeated)
        assert np.isfinite(D.to_dense()).all()
    if np.linalg.matrix_rank(X) < d:
        with pytest.raises(GaconvexError, match="rank_reduction=True|all 0"):
            wedge_library(X, _arch(d, 2, False), rank_reduction=False)
        try:
            D2 = wedge_library(X, _arch(d, 2, False))
        except GaconvexError as error:  # nothing to reduce to: the points are all 0
            assert "all 0" in str(error) or "degenerate" in str(error)
        else:
            V = D2.report.reduction.basis
            assert D2.report.reduction.rank == np.linalg.matrix_rank(X) == V.shape[1]
            assert "Lemma 23" in str(D2.report) and np.isfinite(D2.to_dense()).all()
            W = D2.blocks[0].weights
            np.testing.assert_allclose(W - (W @ V) @ V.T, 0, atol=1e-12)  # w in the row space


def test_rank_deficient_and_d_greater_than_n(rng):
    """Points in a plane of R^3: p = 2 refuses with rank_reduction=False (every normal is the
    plane's) and otherwise reports the Lemma 23 reduction, p = 1 solves the exact problem
    through e_k (Lemma 19); d > n likewise."""
    X = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 3))
    y = rng.standard_normal(6)
    with pytest.raises(GaconvexError, match="Lemma 23"):
        wedge_library(X, _arch(3, 2, False), rank_reduction=False)
    with pytest.raises(GaconvexError, match="affine rank"):
        wedge_library(X[:, :2] @ np.ones((2, 3)), _arch(3, 2, True), rank_reduction=False)
    assert wedge_library(X, _arch(3, 2, False)).report.reduction.rank == 2
    assert wedge_library(X[:, :2] @ np.ones((2, 3)), _arch(3, 2, True)).report.reduction.rank == 1
    fit = gaconvex.convex_fit(X, y, _arch(3, 1, False), 0.1)
    assert fit.certificate.ok()
    fit = gaconvex.convex_fit(rng.standard_normal((2, 4)), [1.0, -1.0], _arch(4, 1, True), 0.1)
    assert fit.certificate.ok()


def test_repeated_rows_are_merged_by_convex_fit(rng):
    """Tied inputs are merged before the library is built (no degenerate sets from them)."""
    X = rng.standard_normal((8, 3))
    X = np.vstack([X, X[:3]])
    y = rng.standard_normal(11)
    fit = gaconvex.convex_fit(X, y, _arch(3, 1, True), 0.05)
    assert fit.dictionary.report.degenerate == 0
    assert "3" in fit.data.report()
    assert fit.fitted.shape == (11,)
    np.testing.assert_allclose(fit.fitted[:3], fit.fitted[8:], rtol=0, atol=1e-12)


# -- maximum chamber diameter (001 Def. 3, spec Sec. 2.4, C23) ----------------------------------
def _monte_carlo_diameter(X, rng, samples=100_000):
    """Lower bound: unit w grouped by sign pattern, the largest distance within a group."""
    W = rng.standard_normal((samples, X.shape[1]))
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    packed = np.ascontiguousarray(np.packbits(W @ X.T > 0, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    order = np.argsort(keys, kind="stable")
    starts = np.flatnonzero(np.r_[True, keys[order][1:] != keys[order][:-1], True])
    best = 0.0
    for lo, hi in zip(starts[:-1], starts[1:]):
        if hi - lo > 1:
            Wg = W[order[lo:hi]]
            best = max(best, float(np.sqrt(max(0.0, 2 - 2 * (Wg @ Wg.T).min()))))
    return best


@pytest.mark.parametrize("n", [10, 40])
def test_chamber_diameter_closed_form_equals_vertex_pairs_and_bounds_monte_carlo(n):
    """C23, d = 2: 2 sin(largest angular gap / 2) == the vertex-pair computation >= Monte
    Carlo (spec values for these draws: 1.076513 at n = 10, 0.379116 at n = 40)."""
    from gaconvex.dictionaries import chamber_diameter

    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 2))
    if n == 40:  # the spec's second draw
        X = rng.standard_normal((40, 2))
    closed = chamber_diameter(X)
    np.testing.assert_allclose(closed, chamber_diameter(X, method="vertices"), rtol=1e-12)
    np.testing.assert_allclose(closed, {10: 1.076513, 40: 0.379116}[n], atol=1e-6)
    mc = _monte_carlo_diameter(X, rng)
    assert mc <= closed + 1e-12 and mc >= closed - 0.01


def test_chamber_diameter_in_3d_bounds_monte_carlo_and_shrinks_with_n(rng):
    """C23, d = 3: vertex pairs >= Monte Carlo (close to it), decreasing in n; a rank-deficient
    X has a chamber holding antipodal points (D = 2); local D adds the anchored copies."""
    from gaconvex.dictionaries import chamber_diameter, local_chamber_diameter

    values = []
    for n in (10, 30, 60):
        X = rng.standard_normal((n, 3))
        D = chamber_diameter(X)
        mc = _monte_carlo_diameter(X, rng)
        assert mc <= D + 1e-12 and mc >= D - 0.05
        values.append(D)
    assert values[0] > values[1] > values[2]
    assert chamber_diameter(rng.standard_normal((5, 2)) @ rng.standard_normal((2, 3))) == 2.0
    X = rng.standard_normal((12, 2))
    assert local_chamber_diameter(X) == max(chamber_diameter(X - x) for x in X)
    with pytest.raises(GaconvexError, match="d = 2"):
        chamber_diameter(rng.standard_normal((5, 3)), method="closed_form")
