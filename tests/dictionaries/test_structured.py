"""The structured column store (products from each column's piecewise-linear form) against the
dense matrix of the same library, and implicit anchor grids against the explicit grid.

Oracles: ``library_1d(..., deduplicate=False)`` evaluates every column by the families' compiled
kernels (002 Table 3.1, Def. 3.10); :func:`gaconvex.symbolic.breakpoints` gives each feature's
kinks exactly (002 Thm 3.2).  Data are integer-valued where coincidences matter: anchors are data
points and reflections 2 a1 - a2 land on data points, so knots meet data exactly.
"""
from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gaconvex.symbolic as gs
from gaconvex._validation import GaconvexError
from gaconvex.dictionaries import (Block, GridBlock, GridRows, StructuredColumns,
                                   deduplicate_columns, library_1d, piecewise_batch)
from gaconvex.symbolic.piecewise_program import unit_program

TWO_LAYER = [gs.architecture(act, 2, skip=skip) for act in
             ("relu", ("leaky_relu", 0.2), "abs", "sign", "threshold") for skip in (False, True)]
DEEP = [gs.architecture(act, L) for act in ("relu", ("leaky_relu", 0.2), ("leaky_relu", -0.5))
        for L in (3, 4)]
ABS = [gs.architecture("abs", L, midpoints=mid) for L in (3, 4) for mid in (True, False)]
SYMMETRIZED = [gs.architecture(act, 3, "symmetrized") for act in ("relu", ("leaky_relu", 0.2))]
ARCHITECTURES = TWO_LAYER + DEEP + ABS + SYMMETRIZED


def _points(rng, arch, kind):
    """Unsorted distinct points: integers (knots meet data), or two clusters at 1e-3 and 1e3."""
    n = 12 if arch.depth == 2 or arch.family is gs.DEEP_NARROW and arch.depth == 3 else 7
    if kind == "integers":
        return rng.permutation(rng.choice(np.arange(-20, 21), n, replace=False)).astype(float)
    small = rng.choice(np.arange(1, 40), n // 2, replace=False) * 1e-3
    large = rng.choice(np.r_[-40:0, 1:41], n - n // 2, replace=False) * 1e3
    return rng.permutation(np.concatenate([small, large]))


def _scale(A, x) -> float:
    """The magnitude products are exact to: |f| plus |slope| * spread (slopes are at most 1)."""
    return float(np.abs(A).max(initial=0.0) + np.ptp(x))


def _assert_products(S, A, x, rng):
    """rmatvec, matvec (sparse and dense z), columns and column norms against A."""
    n, p = A.shape
    assert S.shape == (n, p)
    scale = _scale(A, x)
    r = rng.standard_normal(n)
    np.testing.assert_allclose(S.rmatvec(r), A.T @ r, rtol=0, atol=1e-10 * scale * np.abs(r).sum())
    for z in (np.where(rng.random(p) < 0.05, rng.standard_normal(p), 0.0), rng.standard_normal(p)):
        np.testing.assert_allclose(S.matvec(z), A @ z, rtol=0,
                                   atol=1e-10 * scale * np.abs(z).sum())
    np.testing.assert_allclose(S.column_norms(), np.linalg.norm(A, axis=0), rtol=1e-10,
                               atol=1e-14 * scale)
    idx = rng.integers(0, p, 20)
    np.testing.assert_array_equal(S.columns(idx), A[:, idx])
    r = rng.standard_normal(n)  # a second pass reads the kept descriptions
    np.testing.assert_allclose(S.rmatvec(r), A.T @ r, rtol=0, atol=1e-10 * scale * np.abs(r).sum())
    np.testing.assert_allclose(S.rmatvec_columns(r, idx), A[:, idx].T @ r, rtol=0,
                               atol=1e-10 * scale * np.abs(r).sum())


@pytest.mark.parametrize("kind", ["integers", "scales"])
@pytest.mark.parametrize("arch", ARCHITECTURES, ids=str)
def test_products_equal_the_dense_matrix(rng, arch, kind):
    x = _points(rng, arch, kind)
    A = library_1d(x, arch, deduplicate=False).to_dense()
    D = library_1d(x, arch, storage="structured")
    assert isinstance(D.store, StructuredColumns) and D.matrix_free
    _assert_products(D.store, A, x, rng)
    np.testing.assert_array_equal(D.unpenalized, x[:, None][:, :int(arch.skip)])


@pytest.mark.parametrize("arch", [gs.architecture("abs", 3), gs.architecture("threshold", 2),
                                  gs.architecture("relu", 3, "symmetrized")], ids=str)
def test_repeated_rows_and_column_subsets(rng, arch):
    """rows(): the same columns on repeated points (tied data); take(): a subset of columns."""
    x = _points(rng, arch, "integers")
    dense = library_1d(x, arch, deduplicate=False)
    D = library_1d(x, arch, storage="structured")
    index = rng.integers(0, x.size, 3 * x.size)
    _assert_products(D.rows(index).store, dense.rows(index).to_dense(), x[index], rng)
    keep = np.sort(rng.choice(D.n_columns, D.n_columns // 3, replace=False))
    _assert_products(D.take(keep).store, dense.to_dense()[:, keep], x, rng)


def test_kept_descriptions_give_the_same_products(rng, monkeypatch):
    """Descriptions kept between passes (under the cache budget; in one thread or, for big
    passes, in chunk groups per thread) and recomputed ones (budget 0) give the same products,
    pass after pass, for blocks of several families."""
    from gaconvex.dictionaries import structured

    x = _points(rng, gs.architecture("abs", 3), "scales")
    rs = [rng.standard_normal(x.size) for _ in range(3)]
    for arch in (gs.architecture("abs", 3), gs.architecture("relu", 3, "symmetrized")):
        for serial in (structured._SERIAL_KNOTS, 0):
            monkeypatch.setattr(structured, "_SERIAL_KNOTS", serial)
            monkeypatch.setattr(structured, "_MIN_PARALLEL_COLUMNS", 1)
            kept = library_1d(x, arch, storage="structured").store
            first = [kept.rmatvec(r) for r in rs]
            assert kept._cache  # the first pass kept the descriptions
            monkeypatch.setattr(structured, "_CACHE_BYTES", 0)
            fresh = library_1d(x, arch, storage="structured").store
            for r, value in zip(rs, first):
                np.testing.assert_allclose(fresh.rmatvec(r), value, rtol=1e-13,
                                           atol=1e-13 * np.abs(value).max())
                np.testing.assert_array_equal(kept.rmatvec(r), value)
            assert not fresh._cache
            monkeypatch.undo()


def test_restricted_passes_keep_the_subset_store(rng):
    """rmatvec_columns keeps the stores of the last two index sets (a working set's members,
    asked for at every inner step, and a pool of candidates): unsorted indices with repeats, a
    changed set and the first set again give A[:, idx]^T r, and a kept set reuses its store."""
    x = _points(rng, gs.architecture("abs", 3), "scales")
    D = library_1d(x, gs.architecture("abs", 3), storage="structured")
    A, S = D.to_dense(), D.store
    scale = _scale(A, x)
    first = rng.integers(0, D.n_columns, 40)
    second = rng.permutation(D.n_columns)[:25]
    for idx in (first, first.copy(), second, first):
        r = rng.standard_normal(x.size)
        np.testing.assert_allclose(S.rmatvec_columns(r, idx), A[:, idx].T @ r, rtol=0,
                                   atol=1e-10 * scale * np.abs(r).sum())
    kept = {len(entry[0]): entry[2] for entry in S._subsets}
    for idx in (second, first, second):
        S.rmatvec_columns(r, idx)
        assert S._subsets[0][2] is kept[idx.size]
    S.rmatvec_columns(r, first[:3])  # a third set evicts the oldest
    assert [len(entry[0]) for entry in S._subsets] == [3, second.size]


def test_a_single_repeated_point():
    """All rows equal: no spread, every knot lands on or off the one value."""
    x = np.array([3.0, 1.0, -2.0])
    dense = library_1d(x, gs.architecture("abs", 3), deduplicate=False).rows([1] * 5)
    D = library_1d(x, gs.architecture("abs", 3), storage="structured").rows([1] * 5)
    _assert_products(D.store, dense.to_dense(), x[[1] * 5], np.random.default_rng(0))


@pytest.mark.parametrize("unit", [1e-310, 1e-300, 1e300])
def test_extreme_scales(rng, unit):
    """Data of size 1e-300 or 1e300 (and subnormal): no overflow, underflow or warning."""
    from gaconvex.dictionaries.storage import stable_norms

    x = rng.permutation(np.arange(-5, 6.0)) * unit
    for arch in (gs.architecture("abs", 3), gs.architecture("relu", 2), gs.architecture("sign", 2)):
        A = library_1d(x, arch, deduplicate=False).to_dense()
        S = library_1d(x, arch, storage="structured")
        r = rng.standard_normal(x.size)
        big = np.abs(A).max() * np.abs(r).sum()
        np.testing.assert_allclose(S.rmatvec(r), A.T @ r, rtol=0, atol=1e-12 * big)
        np.testing.assert_allclose(S.column_norms(), stable_norms(A), rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-60, 60), min_size=2, max_size=9, unique=True),
       st.sampled_from([gs.architecture("abs", 3), gs.architecture(("leaky_relu", -0.5), 3),
                        gs.architecture("relu", 4), gs.architecture("sign", 2),
                        gs.architecture(("leaky_relu", 0.2), 3, "symmetrized")]),
       st.sampled_from([1.0, 0.25, 1e-3, 1e3]))
def test_property_random_point_sets(values, arch, unit):
    x = np.array(values, dtype=float) * unit
    A = library_1d(x, arch, deduplicate=False).to_dense()
    _assert_products(library_1d(x, arch, storage="structured").store, A, x,
                     np.random.default_rng(len(values)))


def test_structured_lasso_and_fit_equal_the_dense_ones(rng):
    """The solvers and convex_fit (tied rows included) see the same operator."""
    from gaconvex import convex_fit
    from gaconvex.solvers import LassoProblem, solve

    x, y = rng.uniform(-2, 2, 8), rng.standard_normal(8)
    arch = gs.architecture("abs", 3)
    dense = solve(LassoProblem.from_dictionary(library_1d(x, arch, deduplicate=False), y, 0.05))
    free = solve(LassoProblem.from_dictionary(library_1d(x, arch, storage="structured"), y, 0.05))
    assert free.objective == pytest.approx(dense.objective, rel=1e-9)
    assert free.certificate.ok(1e-6)
    tied_x, tied_y = np.r_[x, x[:2]], np.r_[y, y[:2] + 0.1]
    fit = convex_fit(tied_x, tied_y, arch, 0.05, storage="structured")
    assert fit.objective == pytest.approx(convex_fit(tied_x, tied_y, arch, 0.05).objective, rel=1e-9)


# -- the piecewise-linear description --------------------------------------------------------
DESCRIBED = [fam for arch in (gs.architecture("relu", 2), gs.architecture("threshold", 2),
                              gs.architecture("sign", 2), gs.architecture("abs", 4),
                              gs.architecture(("leaky_relu", -0.5), 3),
                              gs.architecture(("leaky_relu", 0.2), 3, "symmetrized"))
             for fam in gs.derive(arch)]


@pytest.mark.parametrize("family", DESCRIBED, ids=lambda f: f"{f.architecture}-{f.bias_kind}")
def test_description_breaks_exactly_at_the_breakpoints(rng, family):
    """The batch's knots where f bends or jumps are the exact breakpoints (002 Thm 3.2), within
    the bound K_max, and f's values at its knots follow sigma(0) = 1 for sign / threshold."""
    anchors = rng.integers(-8, 9, (40, family.n_anchors)) / 2.0
    signs = np.array(family.sign_choices, dtype=float).reshape(len(family.sign_choices), -1)
    signs = signs[rng.integers(0, len(signs), 40)]
    batch = piecewise_batch(family, anchors, signs)
    assert batch.counts.max() <= unit_program(family).max_knots
    for p in range(len(batch)):
        K = batch.counts[p]
        bends = np.abs(np.diff(batch.slopes[p, :K + 1])) > 1e-12
        jumps = (batch.left[p, :K] != batch.right[p, :K]) | (batch.left[p, :K] != batch.values[p, :K])
        kinks = batch.knots[p, :K][bends | jumps]
        kinks = kinks[np.r_[True, np.diff(kinks) > 1e-12]]  # a zero of u rounded next to a knot
        exact = [float(b.value) for b in gs.breakpoints(family, anchors[p], signs[p].astype(int))]
        np.testing.assert_allclose(kinks, exact, atol=1e-12)
        if not family.activation.is_continuous:
            np.testing.assert_array_equal(batch.values[p, :K], 1.0)


def test_unit_program_layout_and_bounds():
    """Deep narrow: K_l = 2 K_{l-1} + 1 (1, 3, 7); symmetrized: 2 knots in u, 5 in f."""
    for depth, bound in ((2, 1), (3, 3), (4, 7)):
        assert unit_program(gs.derive(gs.architecture("abs", depth)).families[0]).max_knots == bound
    program = unit_program(gs.derive(gs.architecture("relu", 3, "symmetrized")).families[0])
    assert program.max_knots == 5
    np.testing.assert_array_equal(program.layout, [[1, 2, 0, 2], [2, 1, 4, 6]])
    params = program.parameters([[1.0, 2.0, 3.0]], [[1, -1, 1, 1]])
    np.testing.assert_array_equal(params, [[1, -1, -1, 2, 1, 1, -2]])


# -- implicit anchor grids ---------------------------------------------------------------------
def _explicit_grid(family, x):
    """The explicit grid as library_1d built it before implicit grids: C-order rank tuples, each
    repeated over the sign patterns."""
    order = np.argsort(-x, kind="stable")
    signs = np.array(family.sign_choices, dtype=np.int8).reshape(len(family.sign_choices), -1)
    ranks = np.indices((x.size,) * family.n_anchors).reshape(family.n_anchors, -1).T
    ranks = np.repeat(ranks, len(signs), axis=0)
    return Block(family, order[ranks], x[order[ranks]], np.tile(signs, (len(ranks) // len(signs), 1)),
                 False, ranks + 1)


@pytest.mark.parametrize("arch", [gs.architecture("relu", 3), gs.architecture("abs", 4),
                                  gs.architecture("relu", 3, "symmetrized")], ids=str)
def test_implicit_grid_equals_the_explicit_grid(rng, arch):
    x = rng.permutation(np.arange(6.0))
    D = library_1d(x, arch, deduplicate=False)
    for block in D.blocks:
        assert isinstance(block, GridBlock)
        explicit = _explicit_grid(block.family, x)
        assert len(block) == len(explicit)
        every = block.take(np.arange(len(block)))
        for field in ("anchor_index", "anchor_values", "signs", "anchor_rank"):
            np.testing.assert_array_equal(getattr(every, field), getattr(explicit, field))
            rows = getattr(block, field)
            assert isinstance(rows, GridRows) and len(rows) == len(block)
            np.testing.assert_array_equal(rows[5], getattr(explicit, field)[5])
            np.testing.assert_array_equal(rows[-1], getattr(explicit, field)[-1])
            np.testing.assert_array_equal(rows[3:40:7], getattr(explicit, field)[3:40:7])
            np.testing.assert_array_equal(np.asarray(rows), getattr(explicit, field))
        np.testing.assert_array_equal(block.evaluate(D.X, out=np.empty((6, len(block)), order="F")),
                                      explicit.evaluate(D.X))
    kernels = library_1d(x, arch, storage="kernels")
    z, r = rng.standard_normal(D.n_columns), rng.standard_normal(6)
    np.testing.assert_allclose(kernels.matvec(z), D.to_dense() @ z, atol=1e-12)
    np.testing.assert_allclose(kernels.rmatvec(r), D.to_dense().T @ r, atol=1e-12)


def test_metadata_of_implicit_columns(rng):
    """column_info, feature, describe and deduplication read implicit grids as before."""
    x = np.array([3.0, 2.0, 0.0])
    D = library_1d(x, gs.architecture("abs", 3, midpoints=False), storage="structured")
    i = next(i for i in range(D.n_columns) if D.column_info(i).anchor_values == (3.0, 2.0))
    info = D.column_info(i)
    assert info.anchor_rank == (1, 2) and info.anchor_index == (0, 1) and info.signs == ()
    np.testing.assert_allclose(D.feature(i)([2.0, 3.0, 4.0]), [0.0, 1.0, 0.0])
    assert "2*a1 - a2" in D.describe(i)
    with pytest.raises(GaconvexError, match="deduplication compares evaluated columns"):
        deduplicate_columns(D)
    dense = library_1d(x, gs.architecture("abs", 3, midpoints=False))
    assert all(isinstance(b, Block) for b in dense.blocks)  # deduplication kept explicit columns
    np.testing.assert_allclose(dense.to_dense(), D.to_dense()[:, dense.report.kept])


def test_hundred_million_columns_build_fast_and_small(rng):
    """abs L = 3 on 10,000 points: 2 x 10^8 raw columns, built in well under a second; the
    library holds O(N) numbers, and its columns agree with their kernels."""
    x = rng.permutation(np.linspace(-1, 1, 10_000))
    arch = gs.architecture("abs", 3)
    gs.derive(arch)
    start = time.perf_counter()
    D = library_1d(x, arch, storage="structured")
    assert time.perf_counter() - start < 0.5
    assert D.shape == (10_000, 2 * 10**8)
    held = sum(a.nbytes for b in D.blocks for a in (b.order, b.values, b.patterns))
    held += sum(a.nbytes for a in vars(D.store._points).values() if isinstance(a, np.ndarray))
    assert held < 2**21  # against 1.6 GB for one float64 number per column
    sample = np.sort(rng.choice(D.n_columns, 300, replace=False))
    r = rng.standard_normal(10_000)
    sub = D.take(sample)
    np.testing.assert_allclose(sub.rmatvec(r), sub.columns(np.arange(300)).T @ r, rtol=0,
                               atol=1e-10 * 4 * np.abs(r).sum())


@pytest.mark.slow
def test_one_rmatvec_over_hundred_million_columns(rng):
    x = rng.permutation(np.linspace(-1, 1, 10_000))
    D = library_1d(x, gs.architecture("abs", 3), storage="structured")
    r = rng.standard_normal(10_000)
    correlations = D.rmatvec(r)
    sample = rng.choice(D.n_columns, 200, replace=False)
    np.testing.assert_allclose(correlations[sample], D.columns(sample).T @ r, rtol=0,
                               atol=1e-10 * 4 * np.abs(r).sum())


def test_metadata_limits(rng):
    """Implicit grids cost 8 bytes a column (one length-P vector); explicit sampled metadata is
    still refused above the limit."""
    x = np.linspace(-1, 1, 2000)
    with pytest.raises(GaconvexError, match="metadata alone needs"):
        library_1d(x, gs.architecture("abs", 4), storage="structured")
    library_1d(x, gs.architecture("abs", 4), storage="structured", memory_limit=None)
    with pytest.raises(GaconvexError, match="metadata alone needs"):
        library_1d(x, gs.architecture("abs", 4), storage="structured", max_columns=10**8,
                   memory_limit=2**30)


# -- bad input ---------------------------------------------------------------------------------
def test_bad_input_names_the_problem():
    family = gs.derive(gs.architecture("relu", 3)).families[0]
    D = library_1d([1.0, 0.0, 2.0], gs.architecture("relu", 3), storage="structured")
    with pytest.raises(GaconvexError, match="1-D points of shape"):
        StructuredColumns(np.ones((3, 2)), D.blocks)
    with pytest.raises(GaconvexError, match="r has 2 entries"):
        D.rmatvec([1.0, 2.0])
    with pytest.raises(GaconvexError, match="z has 1 entries"):
        D.matvec([1.0])
    with pytest.raises(GaconvexError, match="needs a FeatureFamily"):
        unit_program("relu")
    with pytest.raises(GaconvexError, match=r"anchors must have shape \(P, 2\)"):
        piecewise_batch(family, np.ones((3, 1)), np.ones((3, 2)))
    with pytest.raises(GaconvexError, match=r"signs must have shape \(3, 2\)"):
        piecewise_batch(family, np.ones((3, 2)))
    with pytest.raises(GaconvexError, match="column indices must lie in"):
        D.blocks[0].take([10**6])
    with pytest.raises(GaconvexError, match="storage must be one of"):
        library_1d([1.0, 0.0], gs.architecture("relu", 2), storage="sparse")
