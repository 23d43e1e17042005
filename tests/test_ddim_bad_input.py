"""Bad input for the d-D families (issue 9): ``convex_fit(X, y, architecture(..., dim=d), beta)``
and the d-D dictionary builders give a clear GaconvexError or an explicit, reported reduction.

Every d-D family is checked: the 2-layer wedge networks of 001 (p = 1, 2, with and without
biases), the three-layer wedge rows J and K (001 Thms 12, 13) and the deep narrow abs networks
of 000 (L = 2, 3).  Oracles: the exact Pilanci-Ergen program (tests/ddim_oracles.py) where the
family is exact, the cvxpy Lasso on the same columns (tests/lasso_oracles.py) elsewhere, and
positive homogeneity for the scale checks.

* NaN / inf in X (hypothesis over shapes and positions): an error naming X; NaN in y: naming y;
* shapes (hypothesis): arrays of the wrong number of dimensions or width, empty, ragged,
  non-numeric: an error, never another exception;
* d > n and rank-deficient X: p = 2 is solved in the row space with the reduction reported
  (001 Lemma 23); the p = 1 families are exact for any data (Lemma 19: augmentation) and need
  none;
* repeated rows: convex_fit merges them (reported) with the same optimum as the Lasso on all
  rows; a builder called directly reports them;
* a library above ``max_columns``: a seeded uniform sample, reported and certified as such;
  above ``memory_limit``: an error naming max_columns, storage='kernels' and memory_limit;
* extreme scales: columns of s X are s times those of X (p = 2 up to 1e150, where the squared
  cross products overflow); overflow and underflow of the cross products are errors that
  say so.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gaconvex
import gaconvex.symbolic as gs
from gaconvex import GaconvexError
from gaconvex.dictionaries import build_dictionary

from ddim_oracles import pilanci_ergen_value
from lasso_oracles import cvxpy_lasso_value

BETA = 0.1
#: name -> (activation, depth, options) of every d-D family
FAMILIES = {
    "wedge p=1": ("relu", 2, {}),
    "wedge p=1 bias-free": ("relu", 2, {"bias": False}),
    "wedge p=2": ("relu", 2, {"norm": 2}),
    "wedge p=2 bias-free": ("relu", 2, {"norm": 2, "bias": False}),
    "three-layer row J": ("relu", 3, {"bias": False}),
    "three-layer row K": ("relu", 3, {}),
    "abs L=2": ("abs", 2, {}),
    "abs L=3": ("abs", 3, {}),
}
P2 = ("wedge p=2", "wedge p=2 bias-free")
EXACT_P1 = {"wedge p=1": True, "wedge p=1 bias-free": False}  # name -> bias of the PE oracle


def _arch(name, d):
    activation, depth, options = FAMILIES[name]
    return gs.architecture(activation, depth, dim=d, **options)


def _lasso_on_columns(fit, arch, X, y):
    """The cvxpy Lasso on the columns of the family's dictionary of X (all rows, as given)."""
    A = build_dictionary(X, arch).to_dense()
    return cvxpy_lasso_value(A, y, arch.beta_tilde(BETA), intercept=arch.has_free_intercept)


# -- NaN, inf and shapes (hypothesis) ----------------------------------------------------------
_finite = st.floats(-5, 5, allow_nan=False, width=64)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(FAMILIES)), st.integers(2, 3), st.integers(1, 5), st.data())
def test_nan_and_inf_are_refused_naming_x_or_y(name, d, n, data):
    """A NaN or +-inf anywhere in X: GaconvexError naming X, from the builder and from
    convex_fit; a NaN in y: naming y."""
    arch = _arch(name, d)
    X = np.array(data.draw(st.lists(st.lists(_finite, min_size=d, max_size=d), min_size=n,
                                    max_size=n)))
    y = np.ones(n)
    bad = X.copy()
    i, j = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, d - 1))
    bad[i, j] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    with pytest.raises(GaconvexError, match="X has NaN or infinite"):
        build_dictionary(bad, arch)
    with pytest.raises(GaconvexError, match="X has NaN or infinite"):
        gaconvex.convex_fit(bad, y, arch, BETA)
    y_bad = y.copy()
    y_bad[i] = np.nan
    with pytest.raises(GaconvexError, match="y has NaN or infinite"):
        gaconvex.convex_fit(X, y_bad, arch, BETA)


_shapes = st.one_of(
    st.tuples(st.just("ndim"), st.sampled_from([(), (3, 2, 2), (2, 1, 3, 1)])),
    st.tuples(st.just("width"), st.sampled_from([-1, 1, 2])),
    st.tuples(st.just("ragged"), st.just(None)),
    st.tuples(st.just("strings"), st.just(None)),
    st.tuples(st.just("complex"), st.just(None)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(FAMILIES)), st.integers(2, 3), _shapes)
def test_malformed_x_is_a_gaconvex_error(name, d, case):
    """X of the wrong number of dimensions, a point width other than the architecture's d,
    ragged rows, strings or complex numbers: a GaconvexError naming X (never an IndexError,
    TypeError or numpy error) from the builder and from convex_fit."""
    arch = _arch(name, d)
    kind, arg = case
    rng = np.random.default_rng(0)
    X = {"ndim": lambda: rng.standard_normal(arg) if arg else np.float64(1.0),
         "width": lambda: rng.standard_normal((5, d + arg)),
         "ragged": lambda: [[1.0] * d, [1.0] * (d + 1)],
         "strings": lambda: np.full((4, d), "1.5"),
         "complex": lambda: rng.standard_normal((4, d)) + 1j}[kind]()
    n = len(X) if hasattr(X, "__len__") else 1
    with pytest.raises(GaconvexError, match="X|point") as built:
        build_dictionary(X, arch)
    with pytest.raises(GaconvexError, match="X|point") as fitted:
        gaconvex.convex_fit(X, np.ones(n), arch, BETA)
    for error in (built, fitted):
        assert not str(error.value).startswith("y ")


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_no_points_is_refused_by_the_builders(name):
    """X of shape (0, d): every builder refuses it, naming the number of points needed."""
    with pytest.raises(GaconvexError, match="at least|no points|0 points"):
        build_dictionary(np.zeros((0, 2)), _arch(name, 2))


def test_no_points_is_refused_by_convex_fit():
    """convex_fit with no points is a GaconvexError naming X."""
    with pytest.raises(GaconvexError, match="X"):
        gaconvex.convex_fit(np.zeros((0, 2)), np.zeros(0), _arch("wedge p=1", 2), BETA)


# -- d > n, rank-deficient X -------------------------------------------------------------------
def _assert_fit_is_the_lasso(fit, name, arch, X, y):
    """The fit is the exact program (p = 1 wedge families), the Lasso on its columns (cvxpy)
    and its rebuilt network attains it."""
    if name in EXACT_P1:
        np.testing.assert_allclose(
            fit.objective, pilanci_ergen_value(X, y, BETA, p=1, bias=EXACT_P1[name]), rtol=1e-6)
    np.testing.assert_allclose(fit.objective, _lasso_on_columns(fit, arch, X, y), rtol=1e-6)
    np.testing.assert_allclose(fit.network_objective(), fit.objective, rtol=1e-7)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_more_dimensions_than_points(name):
    """n = 3 points in R^5: p = 2 is reduced to the data's row space (reported, Lemma 23);
    the p = 1 wedge Lasso is the exact program (augmentation, Lemma 19; no reduction); every
    family's fit is the Lasso on its columns (cvxpy, rtol 1e-6) and its rebuilt network
    attains it."""
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((3, 5)), rng.standard_normal(3)
    arch = _arch(name, 5)
    fit = gaconvex.convex_fit(X, y, arch, BETA)
    assert fit.certificate.lasso_solved()
    reduction = getattr(fit.dictionary.report, "reduction", None)
    assert (reduction is not None) == (name in P2)
    if reduction is not None:
        assert reduction.rank < 5 and "Lemma 23" in fit.summary()
    _assert_fit_is_the_lasso(fit, name, arch, X, y)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_points_in_a_plane_of_r3(name):
    """6 points on a plane through 0 in R^3 (rank 2): p = 2 reports the reduction to the row
    space, p = 1 needs none and the wedge Lasso is still the exact program; every fit is the
    Lasso on its columns and its network attains it."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 3))
    y = rng.standard_normal(6)
    arch = _arch(name, 3)
    fit = gaconvex.convex_fit(X, y, arch, BETA)
    reduction = getattr(fit.dictionary.report, "reduction", None)
    assert (reduction is not None) == (name in P2)
    if reduction is not None:
        assert reduction.rank == 2 and "rank" in fit.summary()
        with pytest.raises(GaconvexError, match="rank_reduction"):
            build_dictionary(X, arch, rank_reduction=False)
    _assert_fit_is_the_lasso(fit, name, arch, X, y)


# -- repeated rows -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_repeated_rows_are_merged_by_convex_fit_and_reported_by_the_builders(name):
    """7 rows in R^2, two of them copies (with other targets): convex_fit merges them into
    weighted rows (reported) and reaches the Lasso over all 7 rows (cvxpy on the columns of
    the unmerged points, rtol 1e-6); the builder keeps the 7 rows and its report names the
    copies."""
    rng = np.random.default_rng(5)
    base = rng.standard_normal((5, 2))
    X, y = np.vstack([base, base[[1, 3]]]), rng.standard_normal(7)
    arch = _arch(name, 2)
    fit = gaconvex.convex_fit(X, y, arch, BETA)
    assert "merged" in fit.data.report()
    np.testing.assert_allclose(fit.objective, _lasso_on_columns(fit, arch, X, y), rtol=1e-6)
    D = build_dictionary(X, arch)
    assert D.to_dense().shape[0] == 7
    assert "2 of 7 rows repeat an earlier row (row 5 = row 1, row 6 = row 3)" in str(D.report)
    assert "repeat an earlier row" not in str(build_dictionary(base, arch).report)


# -- column and memory limits ------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_libraries_above_the_column_limit_are_sampled_and_above_memory_refused(name):
    """max_columns below the library's size: a seeded uniform sample of at most max_columns
    raw columns, flagged sampled in the dictionary, its report and the fit's certificate;
    memory_limit below the dense matrix: an error naming max_columns, storage='kernels' and
    memory_limit."""
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((7, 2)), rng.standard_normal(7)
    arch = _arch(name, 2)
    full = build_dictionary(X, arch, deduplicate=False).n_columns
    limit = max(8, full // 3)
    D = build_dictionary(X, arch, max_columns=limit, seed=0, deduplicate=False)
    assert D.sampled and "sample" in str(D.report) and D.n_columns <= limit < full
    again = build_dictionary(X, arch, max_columns=limit, seed=0, deduplicate=False)
    np.testing.assert_array_equal(again.to_dense(), D.to_dense())
    fit = gaconvex.convex_fit(X, y, arch, BETA, max_columns=limit, seed=0)
    assert fit.certificate.sampled and "sampled" in fit.certificate.verdict()
    assert fit.objective >= gaconvex.convex_fit(X, y, arch, BETA).objective * (1 - 1e-9)
    with pytest.raises(GaconvexError, match=r"max_columns.*memory_limit|memory_limit.*max_col"):
        build_dictionary(X, arch, memory_limit=8.0 * 7)
    with pytest.raises(GaconvexError, match=r"memory limit"):
        gaconvex.convex_fit(X, y, arch, BETA, memory_limit=8.0 * 7)


# -- extreme scales ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["wedge p=1", "wedge p=2 bias-free", "wedge p=2",
                                  "three-layer row J", "abs L=3"])
@pytest.mark.parametrize("scale", [2.0 ** -332, 2.0 ** 332, 2.0 ** 498])  # ~1e-100 .. 1e150
def test_columns_of_scaled_points_are_scaled_columns(name, scale):
    """Every column is positively homogeneous of degree 1 in the data: scaling the data
    directions (not e_k) by s > 0 scales each cross product and keeps its unit neuron, and
    biases -<x_j, w> scale with s, so K(s X) = s K(X) (rtol 1e-12), also where ||cross||_2^2
    of d - 1 points over- or underflows float64 (the p = 2 norm is computed scaled).  Powers
    of two scale exactly, so every tie decision (degenerate sets, repeated neurons) is the
    same at both scales."""
    X = np.random.default_rng(7).standard_normal((5, 3))
    arch = _arch(name, 3)
    A = build_dictionary(X, arch, deduplicate=False).to_dense()
    As = build_dictionary(scale * X, arch, deduplicate=False).to_dense()
    np.testing.assert_allclose(As / scale, A, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["wedge p=2 bias-free", "three-layer row J", "abs L=3"])
def test_overflowing_and_underflowing_cross_products_are_errors_that_say_so(name):
    """|x| ~ 1e200 in R^3: cross products ~ 1e400 overflow, an error naming float64; p = 2 on
    |x| ~ 1e-200 (no augmentation): every cross product underflows to 0, the error says the
    points are tiny and how to fix it, instead of calling them dependent only."""
    X = np.random.default_rng(8).standard_normal((5, 3))
    arch = _arch(name, 3)
    with pytest.raises(GaconvexError, match="overflows float64"):
        build_dictionary(1e200 * X, arch)
    if name in P2:
        with pytest.raises(GaconvexError, match="tiny.*underflow float64.*rescale X"):
            build_dictionary(1e-200 * X, arch)
