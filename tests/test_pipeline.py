"""The one pipeline, ``gaconvex.convex_fit``: tied and weighted data, losses, scales, certificates.

Oracles: cvxpy + Clarabel on the *unmerged* problem (a dictionary evaluated at every raw point,
anchors at the distinct values), the exact KKT consequences of the pinball loss (the fitted
tau-quantile has a fraction tau of the targets below it), and exact rescaling identities.
Real tied data: scikit-learn's bundled diabetes data, BMI feature alone (442 points, 163
distinct values).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import gaconvex
import gaconvex.symbolic as gs
from gaconvex import GaconvexError, convex_fit
from gaconvex.networks import reconstruct
from lasso_oracles import cvxpy_lasso_value


def _diabetes_bmi():
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    return data.data[:, 2], data.target


def _tied_synthetic(seed=0, n=30, distinct=9):
    rng = np.random.default_rng(seed)
    values = np.sort(rng.uniform(-2, 2, distinct))
    x = rng.choice(values, n)
    return x, np.sin(2 * x) + 0.3 * rng.standard_normal(n)


def _relu_ramps(x, anchors):
    """2-layer ReLU dictionary written from 002 Cor. 3.15: (x_i - a_n)_+ and (a_n - x_i)_+."""
    diff = x[:, None] - anchors[None, :]
    return np.hstack([np.maximum(diff, 0), np.maximum(-diff, 0)])


# -- ties and weights ---------------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["squared", "quantile", "l1"])
def test_tied_synthetic_data_equal_the_unmerged_problem(loss):
    """Merging ties is exact: the objective of convex_fit on the raw points equals cvxpy on the
    unmerged problem (rows at every raw point, anchors at the distinct values) to 1e-7."""
    x, y = _tied_synthetic()
    beta = 0.02
    fit = convex_fit(x, y, gs.architecture("relu", 2), beta, loss=loss, tau=0.7)
    assert fit.data.n_tied > 0 and "share their input" in fit.summary()
    A_raw = _relu_ramps(x, np.unique(x))
    oracle = cvxpy_lasso_value(A_raw, y, beta, loss=loss, tau=0.7)
    assert fit.objective == pytest.approx(oracle, rel=1e-7)
    assert fit.certificate.ok(1e-6)
    np.testing.assert_allclose(fit.predict(x), fit.fitted, atol=1e-10)


def test_tied_deep_abs_library_equals_the_unmerged_problem():
    """The same for the 3-layer abs library (data + midpoint biases), evaluated at the raw
    points by the library's own columns."""
    x, y = _tied_synthetic(1, n=20, distinct=6)
    fit = convex_fit(x, y, gs.architecture("abs", 3), 0.02)
    A_raw = fit.dictionary.evaluate(x)
    assert fit.objective == pytest.approx(cvxpy_lasso_value(A_raw, y, 0.02), rel=1e-7)
    assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-9)


def test_sample_weights_equal_repeated_points():
    """Integer sample weights are the same problem as repeating the points."""
    x, y = _tied_synthetic(2, n=12, distinct=12)
    x, idx = np.unique(x, return_index=True)
    y = y[idx]
    w = np.arange(1, len(x) + 1)
    weighted = convex_fit(x, y, gs.architecture("abs", 3), 0.05, sample_weight=w)
    repeated = convex_fit(np.repeat(x, w), np.repeat(y, w), gs.architecture("abs", 3), 0.05)
    assert weighted.objective == pytest.approx(repeated.objective, rel=1e-8)
    np.testing.assert_allclose(weighted.predict(x), repeated.predict(x), atol=1e-6)
    A = weighted.dictionary.to_dense()
    assert weighted.objective == pytest.approx(cvxpy_lasso_value(A, y, 0.05, weights=w), rel=1e-7)


def test_real_tied_data_diabetes_bmi():
    """Real data with ties (scikit-learn's diabetes BMI: 442 points, 163 distinct values): the
    merged, weighted fit equals cvxpy on all 442 rows, and the network is certified on them."""
    x, y = _diabetes_bmi()
    assert np.unique(x).size == 163
    beta = 1.0
    fit = convex_fit(x, y, gs.architecture("relu", 2), beta)
    oracle = cvxpy_lasso_value(_relu_ramps(x, np.unique(x)), y, beta)
    assert fit.objective == pytest.approx(oracle, rel=1e-7)
    assert fit.certificate.ok(1e-6) and fit.certificate.globally_optimal()
    assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-9)
    assert fit.data.constant > 0  # within-tie variance, added back to the objective


def test_zero_weight_points_are_dropped_and_reported():
    x, y = _tied_synthetic(3, n=10, distinct=10)
    w = np.ones(10)
    w[[2, 5]] = 0.0
    fit = convex_fit(x, y, gs.architecture("relu", 2), 0.05, sample_weight=w)
    keep = w > 0
    ref = convex_fit(x[keep], y[keep], gs.architecture("relu", 2), 0.05)
    assert fit.objective == pytest.approx(ref.objective, rel=1e-9)
    assert "dropped 2 point(s) of zero weight" in fit.summary()
    np.testing.assert_allclose(fit.fitted[~keep], ref.predict(x[~keep]), atol=1e-8)


# -- the quantile convention (002 Sec. 4) --------------------------------------------------------

@pytest.mark.parametrize("tau", [0.1, 0.5, 0.9])
def test_fitted_quantile_has_a_fraction_tau_below_it(tau):
    """The pinball loss of e = y - y_hat models the tau-quantile: with a free intercept the KKT
    condition 1^T lambda = 0, lambda in [-tau, 1 - tau], gives #{y < y_hat} <= tau N <=
    #{y <= y_hat} (real data: diabetes BMI -> disease progression)."""
    x, y = _diabetes_bmi()
    fit = convex_fit(x, y, gs.architecture("relu", 2), 50.0, loss="quantile", tau=tau)
    e = y - fit.fitted
    tol = 1e-7 * np.abs(y).max()
    below, at_or_below = np.mean(e < -tol), np.mean(e <= tol)
    assert below <= tau + 1e-9 and at_or_below >= tau - 1e-9, (below, at_or_below)
    assert abs(np.mean(e < 0) - tau) < 0.05


def test_constant_quantile_model_of_gaussian_targets():
    """The issue's check: a constant fit (z = 0) of 200 Gaussian targets with tau = 0.9 puts
    90 % (not 10 %) of them at or below the fit."""
    from gaconvex.solvers import LassoProblem, solve

    y = np.random.default_rng(0).standard_normal(200)
    A = np.random.default_rng(1).standard_normal((200, 3))
    sol = solve(LassoProblem(A, y, 1e6, loss="quantile", tau=0.9))
    assert sol.m_star == 0
    assert np.mean(y <= sol.xi + 1e-12) == pytest.approx(0.9, abs=0.006)


# -- scales, constant targets, beta = 0 ---------------------------------------------------------

def _base():
    x = np.array([1.7, 0.9, 0.1, -0.4, -1.3, -2.0])
    return x, np.array([0.5, -1.0, 0.3, 1.2, -0.2, 0.8])


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_input_scale_is_exact(scale):
    """Features are 1-homogeneous in (x, anchors): A(s x) = s A(x), so (s x, y, s beta) has
    z / s, the same fit and objective.  At s = 1e-300 and 1e300 the result is right (no
    warnings, a vertex of at most N units) because the solver works on the exactly rescaled
    problem."""
    x, y = _base()
    arch = gs.architecture("relu", 3)
    ref = convex_fit(x, y, arch, 0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = convex_fit(x * scale, y, arch, 0.05 * scale)
    assert fit.certificate.ok(1e-6)
    # the fit and the objective are unique (002 Lemma E.2); the support of a vertex need not be
    assert fit.support.size <= len(x) and ref.support.size <= len(x)
    np.testing.assert_allclose(fit.fitted, ref.fitted, rtol=1e-7, atol=1e-9)
    assert fit.objective == pytest.approx(ref.objective, rel=1e-7)


def test_tiny_targets_are_exact():
    """y of size 1e-300 with beta 1e-302: the same fit as (y, 1e-2) scaled by 1e-300 (z ~ 1e-298
    is not noise), same support, certificate ok."""
    x, y = _base()
    arch = gs.architecture("abs", 3)
    ref = convex_fit(x, y, arch, 1e-2)
    fit = convex_fit(x, y * 1e-300, arch, 1e-302)
    np.testing.assert_array_equal(fit.support, ref.support)
    np.testing.assert_allclose(fit.fitted / 1e-300, ref.fitted, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit.solution.z / 1e-300, ref.solution.z, rtol=1e-6, atol=1e-9)
    assert fit.certificate.lasso.relative_gap < 1e-9 and fit.certificate.ok(1e-6)


def test_constant_targets_are_solved_exactly():
    """Constant y: z = 0 and xi = y is exact, and the certificate says so (it used to report a
    relative gap of 1)."""
    x = np.linspace(-1, 1, 8)
    fit = convex_fit(x, np.full(8, 3.25), gs.architecture("abs", 3), 1e-3)
    assert fit.support.size == 0 and fit.intercept_ == pytest.approx(3.25, abs=1e-12)
    assert fit.certificate.lasso.ok(1e-9), fit.certificate.summary()


def test_beta_zero_is_the_min_norm_limit():
    """beta = 0 solves the minimum-norm interpolation LP (002 (C.1)): certified, interpolating,
    and the network rebuilds the interpolant."""
    x, y = _base()
    fit = convex_fit(x, y, gs.architecture("relu", 2), 0.0)
    assert fit.solution.solver == "min_norm/highs"
    assert fit.certificate.lasso.ok(1e-8) and fit.certificate.globally_optimal() is None
    np.testing.assert_allclose(fit.fitted, y, atol=1e-9)
    np.testing.assert_allclose(fit.network(x).detach().numpy(), y, atol=1e-9)


# -- certificates that cannot be misread --------------------------------------------------------

def test_sampled_library_certifies_the_sampled_lasso_only():
    """A sampled deep library (no completeness search for L = 4): the claim is the Lasso over
    the sample, global optimality is neither claimed nor denied."""
    x, y = _base()
    fit = convex_fit(x, y, gs.architecture("abs", 4), 0.05, max_columns=60, seed=0)
    cert = fit.certificate
    assert fit.dictionary.sampled and cert.sampled
    assert cert.globally_optimal() is None and cert.ok() == cert.lasso.ok()
    assert "sampled library" in cert.verdict() and "not claimed" in cert.verdict()


def test_global_claim_needs_the_completeness_search():
    x, y = _base()
    full = convex_fit(x, y, gs.architecture("abs", 3), 0.05).certificate
    assert full.claim.startswith("the reconstructed network is a global optimum")
    assert full.ok() and full.globally_optimal() and full.ratio == pytest.approx(1, abs=1e-6)


def test_completeness_search_over_the_limit_is_not_run_and_says_so():
    """A search larger than ``search_limit`` unit values is skipped: no global claim, the Lasso
    certificate alone decides, and the note names the size and the knob; its size is the
    number of candidate rows times points that the search builds."""
    from gaconvex.certify import certify
    from gaconvex.networks import completeness

    x, y = _base()
    arch = gs.architecture("abs", 3)
    fit = convex_fit(x, y, arch, 0.05)
    points = np.unique(fit.dictionary.x)
    H, _ = completeness._inner_candidates(arch, points, 2000)
    size = completeness.search_size(arch, points.size)
    assert len(H) * points.size <= size <= 2 * len(H) * points.size  # merged repeats only
    capped = certify(fit.dictionary, fit.problem, fit.solution, search_limit=size - 1)
    assert capped.globally_optimal() is None and capped.ok() == capped.lasso.ok()
    assert "search_limit" in capped.verdict() and f"{size:.2g}" in capped.verdict()
    assert certify(fit.dictionary, fit.problem, fit.solution,
                   search_limit=size).globally_optimal()


# -- storage is interchangeable ------------------------------------------------------------------

@pytest.mark.parametrize("options", [{"storage": "kernels"}, {"backend": "torch"},
                                     {"backend": "numpy", "deduplicate": False}], ids=str)
def test_column_stores_give_the_same_fit(options):
    x, y = _base()
    arch = gs.architecture("abs", 3)
    ref = convex_fit(x, y, arch, 0.05)
    other = convex_fit(x, y, arch, 0.05, **options)
    assert other.objective == pytest.approx(ref.objective, rel=1e-8)
    np.testing.assert_allclose(other.fitted, ref.fitted, atol=1e-7)
    assert other.certificate.ok(1e-6)
    assert other.network_objective() == pytest.approx(other.objective, rel=1e-8)


def test_results_come_back_in_the_users_order():
    x, y = _base()
    perm = np.array([3, 0, 5, 1, 4, 2])
    arch = gs.architecture("relu", 3)
    a, b = convex_fit(x, y, arch, 0.05), convex_fit(x[perm], y[perm], arch, 0.05)
    np.testing.assert_allclose(b.fitted, a.fitted[perm], atol=1e-8)
    assert isinstance(b.predict(x), np.ndarray)


# -- bad input: one clear sentence naming the problem and the fix --------------------------------

@pytest.mark.parametrize("x, message", [
    (np.array(["1", "2", "3"]), r"real numbers\), got strings"),
    (np.array([True, False, True]), r"real numbers\), got booleans"),
    (np.array([1.0, np.nan, 2.0]), r"NaN or infinite values in 1 row\(s\), rows \[1\]"),
    (np.ones((3, 2)), "dimension 2, expected 1"),
    (np.array([1.0, 1.0, 1.0]), "1 distinct input"),
])
def test_bad_inputs_are_refused(x, message):
    with pytest.raises(GaconvexError, match=message):
        convex_fit(x, [1.0, 2.0, 3.0], gs.architecture("relu", 2), 0.1)


@pytest.mark.parametrize("kwargs, message", [
    ({"beta": -1.0}, "beta must be finite and >= 0"),
    ({"beta": True}, "beta must be a real number"),
    ({"sample_weight": [1.0, -1.0, 1.0]}, "sample_weight must be >= 0"),
    ({"sample_weight": [1.0, 1.0]}, "sample_weight has 2 entries for 3 points"),
    ({"y": [1.0, 2.0]}, "y has 2 entries but there are 3 points"),
    ({"architecture": "relu"}, "architecture must be a gaconvex.symbolic.Architecture"),
    ({"loss": "hinge"}, "loss must be one of"),
])
def test_bad_arguments_are_refused(kwargs, message):
    args = {"X": [0.0, 1.0, 2.0], "y": [1.0, 2.0, 0.0], "architecture": gs.architecture("relu", 2),
            "beta": 0.1, **kwargs}
    with pytest.raises(GaconvexError, match=message):
        convex_fit(args.pop("X"), args.pop("y"), args.pop("architecture"), args.pop("beta"), **args)


def test_reconstruct_names_the_real_problem():
    x, y = _base()
    fit = convex_fit(x, y, gs.architecture("abs", 3), 0.05)
    other = convex_fit(x, y, gs.architecture("relu", 2), 0.05)
    with pytest.raises(GaconvexError, match="solved on another dictionary"):
        reconstruct(other.dictionary, fit.solution, 0.05)
    with pytest.raises(GaconvexError, match="beta must be a finite number >= 0"):
        reconstruct(fit.dictionary, fit.solution, -1.0)
    with pytest.raises(GaconvexError, match="min_norm"):
        reconstruct(fit.dictionary, fit.solution, 0.0)


def test_public_names():
    assert gaconvex.GaconvexError is GaconvexError and issubclass(GaconvexError, ValueError)
    for name in gaconvex.__all__:
        assert getattr(gaconvex, name) is not None


def test_summary_features_and_plot(tmp_path):
    """The fit explains itself: a summary, the selected features with their labelled
    breakpoints, and a figure of the fitted function (rendered to a file)."""
    import matplotlib

    matplotlib.use("Agg")
    x, y = _base()
    fit = convex_fit(x, y, gs.architecture("abs", 3), 0.05)
    features = fit.features()
    assert len(features) == fit.support.size and all(f.breakpoints for f in features)
    assert "breakpoints" in str(features[0]) and "timings" in fit.summary()
    ax = fit.plot()
    ax.figure.savefig(tmp_path / "fit.png")
    assert (tmp_path / "fit.png").stat().st_size > 5_000
    with pytest.raises(GaconvexError, match="y has 5 entries but there are 6 inputs"):
        from gaconvex.networks import training_objective

        training_objective(fit.network, x, y[:5], 0.05)


@pytest.mark.parametrize("arch, backend, storage", [
    (gs.architecture("abs", 3), "numba", "structured"),
    (gs.architecture("relu", 2), "torch", "dense"),
    (gs.architecture("relu", 2, dim=2), "numba", "dense"),
    (gs.architecture("abs", 3, dim=2), "numba", "dense")], ids=str)
def test_auto_storage_is_structured_for_the_1d_libraries_only(arch, backend, storage):
    """storage='auto' (the default): matrix-free structured products for the 1-D libraries on
    the numba backend, dense for the d-D families and the torch backend; the fit is the one
    of the explicit storage."""
    from gaconvex.dictionaries import default_storage

    assert default_storage(arch, backend) == storage
    rng = np.random.default_rng(0)
    X = rng.standard_normal((9, arch.dim)) if arch.dim > 1 else np.sort(rng.standard_normal(9))
    y = rng.standard_normal(9)
    auto = convex_fit(X, y, arch, 0.05, backend=backend)
    explicit = convex_fit(X, y, arch, 0.05, backend=backend, storage=storage)
    assert auto.dictionary.store.__class__ is explicit.dictionary.store.__class__
    assert auto.objective == pytest.approx(explicit.objective, rel=1e-12)
