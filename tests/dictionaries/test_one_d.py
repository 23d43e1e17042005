"""1-D libraries of the Library of Mirrors (002 Table 3.1, Cor. 3.15, Lemma 3.7, Thm 3.2,
Remark 3.12, Thm 3.13), checked against matrices written directly from the paper's definitions."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gaconvex.symbolic as gs
from gaconvex._validation import GaconvexError
from gaconvex.dictionaries import (deep_narrow_library, library_1d, merge_duplicate_points,
                                   symmetrized_library, two_layer_library)


def _points(rng, n):
    return rng.permutation(np.round(rng.uniform(-2, 2, n), 6))


def _column_set(A, decimals=9):
    """Columns as a set of rounded tuples, all-zero column excluded."""
    return {tuple(np.round(c, decimals) + 0.0) for c in A.T if np.abs(c).max() > 1e-12}


def _sigma(name):
    return {"relu": lambda u: np.maximum(u, 0), "abs": np.abs,
            "leaky": lambda u: np.where(u >= 0, u, 0.2 * u),
            "sign": lambda u: np.where(u >= 0, 1.0, -1.0),
            "threshold": lambda u: np.where(u >= 0, 1.0, 0.0)}[name]


@pytest.mark.parametrize("name, act, both", [("relu", "relu", True), ("leaky", ("leaky_relu", 0.2), True),
                                             ("abs", "abs", False), ("sign", "sign", False),
                                             ("threshold", "threshold", True)])
def test_two_layer_matrices_match_cor_3_15(rng, name, act, both):
    """002 Cor. 3.15: A+ = sigma(x_i - x_n) and A- = sigma(x_n - x_i); [A+, A-] or A+ only."""
    x = _points(rng, 7)
    D = two_layer_library(x, act, deduplicate=False)
    s = _sigma(name)
    plus = s(x[:, None] - x[None, :])
    expected = np.hstack([plus, s(x[None, :] - x[:, None])]) if both else plus
    assert D.to_dense().shape == expected.shape
    assert _column_set(D.to_dense()) == _column_set(expected)
    assert D.intercept == (name not in ("sign", "threshold"))


def test_sorted_two_layer_threshold_and_sign_are_triangular(rng):
    """002 Remark D.24: with descending x, threshold A+ is upper-triangular ones, sign A+ is
    +1 on/above the diagonal and -1 below; rows are returned in the caller's order."""
    x = _points(rng, 6)
    order = np.argsort(-x)
    for act, lower in (("threshold", 0.0), ("sign", -1.0)):
        D = two_layer_library(x, act, deduplicate=False)
        block = D.blocks[0]
        plus = D.to_dense()[:, :x.size] if act == "sign" else D.to_dense()[:, ::len(block.family.sign_choices)]
        sorted_plus = plus[order]
        expected = np.where(np.triu(np.ones((6, 6))) > 0, 1.0, lower)
        np.testing.assert_array_equal(sorted_plus, expected)


@pytest.mark.parametrize("act, depth, expected", [
    ("relu", 2, lambda n: 2 * n), ("abs", 2, lambda n: n), ("sign", 2, lambda n: n),
    ("threshold", 2, lambda n: 2 * n), ("relu", 3, lambda n: 4 * n**2), ("relu", 4, lambda n: 8 * n**3),
    ("abs", 3, lambda n: 2 * n**2), ("abs", 4, lambda n: 2 * n**3)])
def test_raw_library_sizes_table_3_1(rng, act, depth, expected):
    """002 Table 3.1: raw sizes 2N / N (L = 2), 2^(L-1) N^(L-1) (ReLU), N^(L-1) per bias kind (abs)."""
    x = _points(rng, 5)
    D = library_1d(x, gs.architecture(act, depth), deduplicate=False)
    assert D.n_columns == expected(5)
    assert gs.derive(gs.architecture(act, depth)).size(5) == expected(5)


def test_symmetrized_size_and_redundancy_c25():
    """002 Thm 3.13 / Fig. B.1 (claim C25): 16 N^3 raw columns, far fewer unique ones for N = 3."""
    x = np.array([2.0, 0.0, -1.0])
    raw = symmetrized_library(x, deduplicate=False)
    assert raw.n_columns == 16 * 27
    D = symmetrized_library(x)
    assert D.report.n_raw == 432
    assert len(D.report.kept) + len(D.report.zero) + len(D.report.duplicate_of) == 432
    assert D.n_columns < 432 // 8


def _ramps(x):
    """Lemma 3.7 / Def. 3.3: ReLU^+-_{x_k} and Ramp^+-_{x_a, x_b} written with np.clip."""
    cols = []
    for a in x:
        cols += [np.maximum(x - a, 0), np.maximum(a - x, 0)]
        for b in x:
            if a < b:
                cols += [np.clip(x - a, 0, b - a), np.clip(b - x, 0, b - a)]
    return np.array(cols).T


@pytest.mark.parametrize("depth", [3, 4, 5])
def test_relu_deep_narrow_stagnates_c5(rng, depth):
    """002 Thm 3.4 / Lemma 3.7 (claim C5): the deep narrow ReLU library is ramps and capped
    ramps for every L >= 3, the same set as L = 3."""
    x = _points(rng, 5)
    D = deep_narrow_library(x, "relu", depth)
    assert _column_set(D.to_dense()) == _column_set(_ramps(x))


def test_abs_library_grows_and_nests_c6(rng):
    """002 Remark 3.12, Thm 3.2 (claim C6): abs libraries strictly grow and are nested with depth."""
    x = _points(rng, 6)
    sets = [_column_set(deep_narrow_library(x, "abs", L, midpoints=False).to_dense()) for L in (2, 3, 4)]
    assert len(sets[0]) < len(sets[1]) < len(sets[2])
    assert sets[0] <= sets[1] <= sets[2]


def test_abs_l3_reflection_feature_values():
    """002 Fig. 3.1 / Thm 3.2: the column anchored at (3, 2) is ||x - 3| - 1|: zero at 2 and at
    the reflection R(2, 3) = 4, not a training point."""
    x = np.array([3.0, 2.0, 0.0])
    D = deep_narrow_library(x, "abs", 3, midpoints=False, deduplicate=False)
    i = next(i for i in range(D.n_columns) if D.column_info(i).anchor_values == (3.0, 2.0))
    f = D.feature(i)
    np.testing.assert_allclose(f([2.0, 3.0, 4.0, 5.0]), [0.0, 1.0, 0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(f(x), D.to_dense()[:, i])


def test_rows_follow_the_callers_order(rng):
    """Data are sorted descending inside; the matrix rows and anchors follow the caller's order."""
    x = _points(rng, 6)
    perm = rng.permutation(6)
    D1 = deep_narrow_library(x, "relu", 3, deduplicate=False)
    D2 = deep_narrow_library(x[perm], "relu", 3, deduplicate=False)
    np.testing.assert_array_equal(D1.to_dense()[perm], D2.to_dense())
    info = D2.column_info(5)
    assert info.anchor_values == tuple(x[perm][list(info.anchor_index)])
    ranks = np.argsort(np.argsort(-x[perm])) + 1
    assert info.anchor_rank == tuple(int(ranks[j]) for j in info.anchor_index)


def test_deduplication_is_reported(rng):
    """Zero and duplicate columns are removed and listed, never dropped silently."""
    x = _points(rng, 5)
    raw = deep_narrow_library(x, "relu", 3, deduplicate=False)
    D = deep_narrow_library(x, "relu", 3)
    rep = D.report
    assert rep.n_raw == raw.n_columns
    assert len(rep.kept) == D.n_columns
    assert len(rep.kept) + len(rep.zero) + len(rep.duplicate_of) == rep.n_raw
    np.testing.assert_array_equal(D.to_dense(), raw.to_dense()[:, rep.kept])
    for dup, twin in rep.duplicate_of.items():
        np.testing.assert_allclose(raw.to_dense()[:, dup], raw.to_dense()[:, twin], atol=1e-12)
    assert np.all(np.abs(raw.to_dense()[:, rep.zero]).max(axis=0) == 0)
    # metadata of a kept column rebuilds its values
    for i in range(0, D.n_columns, 7):
        np.testing.assert_allclose(D.feature(i)(x), D.to_dense()[:, i], atol=1e-13)


def test_skip_connection_adds_an_unpenalized_column(rng):
    """002 Sec. 3.1: the skip connection is an extra unpenalized column x."""
    x = _points(rng, 5)
    D = two_layer_library(x, "relu", skip=True)
    np.testing.assert_array_equal(D.unpenalized[:, 0], x)


def test_symmetrized_beta_tilde_is_two_beta():
    """Spec erratum of 002 Lemma D.5: beta~ = 2 beta for the symmetrized family."""
    assert symmetrized_library([1.0, 0.0, -1.0]).architecture.beta_tilde(0.1) == pytest.approx(0.2)
    assert deep_narrow_library([1.0, 0.0, -1.0], "abs", 3).architecture.beta_tilde(0.1) == pytest.approx(0.1)


def test_sampling_beyond_max_columns(rng):
    """Libraries above max_columns are sampled uniformly over anchor tuples (002 Sec. 4)."""
    x = _points(rng, 8)
    D = deep_narrow_library(x, "abs", 4, midpoints=False, max_columns=100, seed=0, deduplicate=False)
    assert D.sampled and D.n_columns == 100
    assert not deep_narrow_library(x, "abs", 3, deduplicate=False).sampled


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("x, match", [
    ([1.0, np.nan, 0.0], "non-finite"), ([1.0, np.inf], "non-finite"), ([1.0], "at least 2"),
    ([1.0, 1.0, 0.0], "merge_duplicate_points"), (np.ones((3, 2)), "1-D data"),
    (["1", "2"], "got strings"), ([True, False], "got booleans"),
    (np.array([1.0, 2.0], dtype=object), "got Python objects")])
def test_bad_points_raise(x, match):
    with pytest.raises(GaconvexError, match=match):
        two_layer_library(x)


def test_memory_limit_names_the_fix(rng):
    x = _points(rng, 40)
    with pytest.raises(GaconvexError, match="memory_limit"):
        deep_narrow_library(x, "relu", 4, memory_limit=1e6)
    with pytest.raises(GaconvexError, match=r"max_columns=.*storage=.kernels."):  # 164 MB dense
        deep_narrow_library(x, "relu", 4, memory_limit=5e7)


def test_matrix_free_metadata_too_large_is_refused_early():
    """abs L = 4 on N = 2000 has 1.6e10 raw columns: matrix-free, the metadata alone would need
    hundreds of GiB; refused before any allocation, pointing to max_columns."""
    x = np.linspace(-1, 1, 2000)
    with pytest.raises(GaconvexError, match=r"metadata alone needs .* GiB.*max_columns"):
        deep_narrow_library(x, "abs", 4, storage="kernels")
    D = deep_narrow_library(x, "abs", 4, storage="kernels", max_columns=10_000, seed=0)
    assert D.sampled and D.n_columns == 10_000


@pytest.mark.parametrize("depth", [13, 100])
def test_depth_beyond_the_supported_maximum_is_refused(depth):
    with pytest.raises(GaconvexError, match="above the supported maximum 12"):
        deep_narrow_library([1.0, 0.0], "abs", depth)


def test_merge_duplicate_points_reports_counts():
    xu, ym, counts = merge_duplicate_points([1.0, 0.0, 1.0], [2.0, 5.0, 4.0])
    np.testing.assert_array_equal(xu, [0.0, 1.0])
    np.testing.assert_array_equal(ym, [5.0, 3.0])
    np.testing.assert_array_equal(counts, [1, 2])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=6, unique=True))
def test_any_distinct_points_build(values):
    """Any distinct finite points give a library whose columns match their features."""
    D = two_layer_library(np.array(values), "relu")
    assert D.to_dense().shape[0] == len(values)
    for i in range(D.n_columns):
        np.testing.assert_allclose(D.feature(i)(values), D.to_dense()[:, i], atol=1e-9)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_backends_build_the_same_library(rng, backend):
    """The numba, numpy and torch kernels of the symbolic layer give the same dictionary."""
    x = _points(rng, 6)
    arch = gs.architecture("abs", 3)
    reference = library_1d(x, arch, deduplicate=False).to_dense()
    other = library_1d(x, arch, backend=backend, deduplicate=False).to_dense()
    np.testing.assert_allclose(other, reference, rtol=0, atol=1e-12)


def test_hash_collisions_never_merge_different_columns(rng, monkeypatch):
    """Deduplication groups columns by a hash, then compares each with its representative
    exactly: with a hash that collides for every column the report is unchanged."""
    import gaconvex.dictionaries.library as library

    x = _points(rng, 6)
    honest = deep_narrow_library(x, "relu", 3)
    monkeypatch.setattr(library, "_hash_weights", lambda n: np.zeros(n))
    colliding = deep_narrow_library(x, "relu", 3)
    np.testing.assert_array_equal(colliding.report.kept, honest.report.kept)
    np.testing.assert_array_equal(colliding.report.zero, honest.report.zero)
    assert len(colliding.report.duplicate_of) == len(honest.report.duplicate_of)
