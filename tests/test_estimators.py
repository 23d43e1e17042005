"""scikit-learn estimators over ``convex_fit`` (gaconvex.estimators).

Oracles: scikit-learn's own estimator checks (``parametrize_with_checks``); ``convex_fit``
called directly (the estimators are thin wrappers and must agree with it to the last bit);
cvxpy + Clarabel on the unmerged Lasso over the estimator's own dictionary, evaluated at every
raw point (squared loss, squared hinge and logistic: 002 Thm 3.11, Lemma D.16); duplicated
rows for integer sample weights; brute-force label checks for the classifiers.
Real tied data: scikit-learn's bundled diabetes data, BMI column alone (442 points, 163
distinct values).
"""
from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.estimator_checks import parametrize_with_checks

import gaconvex
import gaconvex.symbolic as gs
from gaconvex import GaconvexError, convex_fit
from gaconvex.estimators import (EXPECTED_FAILED_CHECKS, ConvexNetClassifier, ConvexNetRegressor,
                                 expected_failed_checks)
from gaconvex.solvers.datafits import LogisticLoss, SquaredHingeLoss
from lasso_oracles import cvxpy_lasso_value


def _diabetes_bmi():
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    return data.data[:, 2], data.target / 100.0


def _raw_dictionary(est, x):
    """The estimator's dictionary evaluated at every raw point (anchors at the distinct ones)."""
    return est.dictionary_.evaluate(np.asarray(x, dtype=float).reshape(-1, 1))


# -- scikit-learn's contract ----------------------------------------------------------------------

# Sampled libraries keep the d-D checks (up to 30 columns, 200 points) small; the squared hinge
# goes through cvxpy ("reference") because the first-order default takes seconds a fit.
_CHECKED = [ConvexNetRegressor(max_columns=500, random_state=0),
            ConvexNetClassifier(max_columns=100, random_state=0, solver="reference")]


@parametrize_with_checks(_CHECKED, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    """Every check of ``sklearn.utils.estimator_checks`` passes except the listed ones."""
    check(estimator)


# A 1-D-only network (the d-D families are ReLU or abs): the multi-column checks must fail, each one
# (strict: a listed check that passes fails this test), and every other check must pass.
_ONE_D_ONLY = [ConvexNetRegressor(activation="leaky_relu", depth=2),
               ConvexNetClassifier(activation="leaky_relu", depth=2, solver="reference")]


@pytest.mark.slow  # ~1 min in all; 68 strict xfails
@parametrize_with_checks(_ONE_D_ONLY, expected_failed_checks=expected_failed_checks,
                         xfail_strict=True)
def test_sklearn_checks_of_a_one_dimensional_network(estimator, check):
    check(estimator)


def test_expected_failed_checks_are_probed_and_explained():
    """EXPECTED_FAILED_CHECKS (the default estimators) is a dict of real check names ->
    reasons, empty exactly when the default network fits multi-column X; a 1-D-only network
    lists the multi-column checks with a reason naming it."""
    from sklearn.utils import estimator_checks

    one_d = expected_failed_checks(ConvexNetRegressor(activation="leaky_relu", depth=2))
    assert one_d and set(one_d) >= {"check_fit2d_predict1d", "check_estimators_pickle"}
    for name, reason in one_d.items():
        assert hasattr(estimator_checks, name), name
        assert "'leaky_relu' network of depth 2" in reason and "d > 1" in reason
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.5]])
    try:
        ConvexNetRegressor().fit(X, np.array([0.0, 1.0, 1.0, 0.0]))
        multi_column = True
    except GaconvexError:
        multi_column = False
    assert isinstance(EXPECTED_FAILED_CHECKS, dict)
    assert (EXPECTED_FAILED_CHECKS == {}) == multi_column
    assert expected_failed_checks(ConvexNetClassifier()) == EXPECTED_FAILED_CHECKS


# -- regression on real tied 1-D data -------------------------------------------------------------

def test_regressor_equals_convex_fit_on_diabetes_bmi():
    """The regressor is convex_fit: same predictions, coefficients, objective and certificate;
    its objective equals cvxpy's on the unmerged Lasso over its dictionary (163 distinct of 442
    BMI values)."""
    x, y = _diabetes_bmi()
    beta = 0.05
    est = ConvexNetRegressor(beta=beta).fit(x[:, None], y)
    fit = convex_fit(x, y, gs.architecture("relu", 2), beta)
    grid = np.linspace(x.min() - 0.02, x.max() + 0.02, 301)
    np.testing.assert_array_equal(est.predict(grid[:, None]), fit.predict(grid))
    np.testing.assert_array_equal(est.coef_, fit.coef_)
    assert est.intercept_ == fit.intercept_
    assert est.fit_.objective == fit.objective
    assert est.n_features_in_ == 1 and est.architecture_ == fit.architecture
    assert est.certificate_.ok() and est.certificate_.globally_optimal()
    oracle = cvxpy_lasso_value(_raw_dictionary(est, x), y, est.fit_.problem.beta_t)
    assert est.fit_.objective == pytest.approx(oracle, rel=1e-8)
    assert est.score(x[:, None], y) == pytest.approx(
        1 - np.sum((y - fit.predict(x)) ** 2) / np.sum((y - y.mean()) ** 2), rel=1e-12)


def test_regressor_on_two_columns_is_the_wedge_fit():
    """Multi-column X builds the architecture with dim = X.shape[1] (the 2-layer ReLU wedge
    family of 001): the same fit as convex_fit, its objective equal to cvxpy's over the
    dictionary, and it survives pickling."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X, y = X[:60, 2:4], y[:60] / 100  # BMI and blood pressure
    est = ConvexNetRegressor(beta=0.05).fit(X, y)
    fit = convex_fit(X, y, gs.architecture("relu", 2, dim=2), 0.05)
    assert est.architecture_ == fit.architecture and est.n_features_in_ == 2
    np.testing.assert_array_equal(est.predict(X[::-1]), fit.predict(X[::-1]))
    assert est.certificate_.lasso_solved()
    oracle = cvxpy_lasso_value(est.dictionary_.evaluate(X), y, est.fit_.problem.beta_t)
    assert est.fit_.objective == pytest.approx(oracle, rel=1e-8)
    assert len(est.features_) == np.count_nonzero(est.coef_)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))
    with pytest.raises(GaconvexError, match="no 'leaky_relu' network of depth 2 for X with 2 col"):
        ConvexNetRegressor(activation="leaky_relu", depth=2).fit(X, y)


def test_deep_abs_features_carry_breakpoints_and_reflection_labels():
    """features_ lists the selected units (largest |z| first) with their exact breakpoints; a
    deep abs network's kinks include reflections of data points (002 Thm 3.6)."""
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(-3, 3, 14))
    y = np.abs(np.abs(x) - 1.5) + 0.1 * rng.standard_normal(14)
    est = ConvexNetRegressor(activation="abs", depth=3, beta=1e-3).fit(x[:, None], y)
    feats = est.features_
    assert len(feats) == np.count_nonzero(est.coef_)
    assert [abs(f.coefficient) for f in feats] == sorted((abs(f.coefficient) for f in feats),
                                                         reverse=True)
    for f in feats:
        assert est.coef_[f.index] == f.coefficient
        for b in f.breakpoints:  # each kink is a kink of the column: slopes differ across it
            h = 1e-6
            col = est.dictionary_.feature(f.index)
            left = (col(np.array([[float(b) - h]])) - col(np.array([[float(b) - 2 * h]]))) / h
            right = (col(np.array([[float(b) + 2 * h]])) - col(np.array([[float(b) + h]]))) / h
            assert abs(float(right[0]) - float(left[0])) > 1e-3
    labels = " ".join(b.label for f in feats for b in f.breakpoints)
    assert "reflection" in labels or "midpoint" in labels


def test_sample_weight_equals_duplicated_rows():
    """Integer weights w_i are w_i copies of row i (zero: the row is dropped), in any row
    order: same objective to 1e-8 and same predictions, for the squared loss, the pinball
    loss and a sampled library (the sample does not depend on the order of the rows)."""
    rng = np.random.default_rng(7)
    x = rng.uniform(-2, 2, 18)
    y = np.sin(2 * x) + 0.2 * rng.standard_normal(18)
    w = rng.integers(0, 4, 18)
    w[:2] = (0, 3)
    grid = np.linspace(-2.5, 2.5, 101)[:, None]
    order = rng.permutation(18)
    for kwargs in [dict(activation="abs", depth=3, beta=1e-2),
                   dict(activation="relu", depth=2, beta=1e-2, loss="quantile", tau=0.3),
                   dict(activation="abs", depth=3, beta=1e-2, max_columns=50, random_state=0)]:
        weighted = ConvexNetRegressor(**kwargs).fit(x[order, None], y[order],
                                                    sample_weight=w[order])
        repeated = ConvexNetRegressor(**kwargs).fit(np.repeat(x, w)[:, None], np.repeat(y, w))
        assert weighted.dictionary_.sampled == ("max_columns" in kwargs)
        assert weighted.fit_.objective == pytest.approx(repeated.fit_.objective, rel=1e-8)
        np.testing.assert_allclose(weighted.predict(grid), repeated.predict(grid), atol=1e-6)


def test_grid_search_over_beta_matches_manual_cross_validation():
    """GridSearchCV clones and refits the estimator; each beta's mean R^2 equals the folds
    refitted by convex_fit directly."""
    x, y = _diabetes_bmi()
    x, y = x[:120], y[:120]
    betas = [1e-3, 1e-1, 3.0]
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(ConvexNetRegressor(), {"beta": betas}, cv=cv).fit(x[:, None], y)
    for k, beta in enumerate(betas):
        scores = []
        for train, test in cv.split(x):
            pred = convex_fit(x[train], y[train], gs.architecture("relu", 2), beta).predict(x[test])
            resid, spread = y[test] - pred, y[test] - y[test].mean()
            scores.append(1 - np.sum(resid ** 2) / np.sum(spread ** 2))
        assert search.cv_results_["mean_test_score"][k] == pytest.approx(np.mean(scores), rel=1e-9)
    best = int(np.argmax(search.cv_results_["mean_test_score"]))
    assert search.best_params_["beta"] == betas[best]
    assert search.best_estimator_.certificate_.ok()


def test_pickle_round_trip_with_the_torch_network():
    """fit, access network_, pickle, unpickle: same predictions, and the unpickled torch
    network computes them too (002 Def. B.3)."""
    import torch

    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(-2, 2, 12))
    y = np.abs(x) + 0.1 * rng.standard_normal(12)
    est = ConvexNetRegressor(activation="abs", depth=3, beta=1e-2).fit(x[:, None], y)
    net = est.network_
    clone = pickle.loads(pickle.dumps(est))
    grid = np.linspace(-2.5, 2.5, 57)
    np.testing.assert_array_equal(clone.predict(grid[:, None]), est.predict(grid[:, None]))
    with torch.no_grad():
        out = clone.network_(torch.as_tensor(grid, dtype=next(net.parameters()).dtype))
    np.testing.assert_allclose(out.numpy().reshape(-1), est.predict(grid[:, None]), atol=1e-9)
    assert clone.fit_.network_objective() == pytest.approx(est.fit_.objective, rel=1e-9)
    clf = ConvexNetClassifier(solver="reference").fit(x[:, None], np.digitize(x, [-1, 1]))
    clf_clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clf_clone.decision_function(grid[:, None]),
                                  clf.decision_function(grid[:, None]))
    np.testing.assert_array_equal(clf_clone.classes_, clf.classes_)


def test_random_state_makes_sampled_libraries_reproducible():
    """max_columns samples the library (002 Sec. 4): the same random_state gives the same
    columns and fit (and the one of convex_fit(seed=random_state)), another one other columns."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-2, 2, 25)
    y = np.cos(x) + 0.1 * rng.standard_normal(25)
    kwargs = dict(activation="abs", depth=3, max_columns=60, beta=1e-2)
    a = ConvexNetRegressor(random_state=5, **kwargs).fit(x[:, None], y)
    b = ConvexNetRegressor(random_state=5, **kwargs).fit(x[:, None], y)
    c = ConvexNetRegressor(random_state=6, **kwargs).fit(x[:, None], y)
    assert a.dictionary_.sampled and a.dictionary_.n_columns <= 60
    np.testing.assert_array_equal(a.dictionary_.to_dense(), b.dictionary_.to_dense())
    np.testing.assert_array_equal(a.coef_, b.coef_)
    direct = convex_fit(x, y, gs.architecture("abs", 3), 1e-2, max_columns=60, seed=5)
    np.testing.assert_array_equal(a.dictionary_.to_dense(), direct.dictionary.to_dense())
    assert a.dictionary_.shape != c.dictionary_.shape or not np.array_equal(
        a.dictionary_.to_dense(), c.dictionary_.to_dense())
    seeded = ConvexNetRegressor(random_state=np.random.RandomState(0), **kwargs).fit(x[:, None], y)
    assert seeded.dictionary_.sampled


# -- classification -------------------------------------------------------------------------------

def _two_intervals(n=24, seed=0):
    """1-D labels separable by two thresholds: 'in' on |x| < 1, 'out' outside (not linear)."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-0.8, 0.8, n // 2), rng.uniform(1.2, 2.5, n // 4),
                        -rng.uniform(1.2, 2.5, n // 4)])
    return x, np.where(np.abs(x) < 1, "in", "out")


@pytest.mark.parametrize("loss", [SquaredHingeLoss.name, LogisticLoss.name])
def test_binary_classifier_separates_and_matches_cvxpy(loss):
    """A separable two-class problem is classified exactly; the objective equals cvxpy's
    squared hinge 1/2 sum max(0, 1 - t_i f_i)^2 (or logistic sum log(1 + exp(-t_i f_i))) +
    beta ||z||_1 over the same dictionary, labels t = +-1 (classes_[1] -> +1)."""
    x, labels = _two_intervals()
    beta = 1e-2
    est = ConvexNetClassifier(beta=beta, loss=loss).fit(x[:, None], labels)
    assert list(est.classes_) == ["in", "out"]
    assert est.score(x[:, None], labels) == 1.0
    t = np.where(labels == "out", 1.0, -1.0)
    np.testing.assert_array_equal(np.sign(est.decision_function(x[:, None])), t)
    oracle = cvxpy_lasso_value(_raw_dictionary(est, x), t, beta, loss=loss)
    assert est.fit_.objective == pytest.approx(oracle, rel=1e-7)
    assert est.certificate_.lasso_solved()


def test_classifier_objective_on_tied_inputs_matches_cvxpy():
    """Tied inputs (some with both labels) merge into weighted rows; the objective on the
    user's points equals cvxpy's squared hinge over the dictionary at every raw point."""
    rng = np.random.default_rng(5)
    x = np.round(rng.uniform(-2, 2, 30), 1)
    t = np.where(np.abs(x) < 1, 1.0, -1.0)
    t[:3] = -t[:3]
    est = ConvexNetClassifier(beta=1e-2, solver="reference").fit(x[:, None], t)
    oracle = cvxpy_lasso_value(_raw_dictionary(est, x), t, 1e-2, loss=SquaredHingeLoss.name)
    assert est.fit_.objective == pytest.approx(oracle, rel=1e-7)


def test_classifier_default_loss_and_predict_proba():
    """The default loss is the squared hinge, which has no probabilities: predict_proba is not
    even an attribute; with the logistic loss it is sigmoid(f), rows summing to 1."""
    x, labels = _two_intervals()
    hinge = ConvexNetClassifier().fit(x[:, None], labels)
    assert hinge.fit_.problem.datafit.name == SquaredHingeLoss.name
    assert not hasattr(hinge, "predict_proba")
    logistic = ConvexNetClassifier(loss=LogisticLoss.name, beta=0.1).fit(x[:, None], labels)
    p = logistic.predict_proba(x[:, None])
    f = logistic.decision_function(x[:, None])
    np.testing.assert_allclose(p[:, 1], 1 / (1 + np.exp(-f)), rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_array_equal(logistic.classes_[p.argmax(axis=1)], logistic.predict(x[:, None]))


def test_one_vs_rest_three_classes():
    """Three classes on three intervals: one network per class, argmax of the decision
    functions; each one-vs-rest fit equals convex_fit on its +-1 labels."""
    rng = np.random.default_rng(4)
    x = np.sort(rng.uniform(-3, 3, 30))
    y = np.digitize(x, [-1.0, 1.0])
    est = ConvexNetClassifier(beta=1e-2, solver="reference").fit(x[:, None], y)
    assert est.score(x[:, None], y) == 1.0
    assert est.coef_.shape == (3, est.dictionary_.n_columns) and len(est.fit_) == 3
    for k in range(3):
        direct = convex_fit(x, np.where(y == k, 1.0, -1.0), gs.architecture("relu", 2), 1e-2,
                            loss=SquaredHingeLoss.name, solver="reference")
        np.testing.assert_allclose(est.decision_function(x[:, None])[:, k], direct.fitted,
                                   atol=1e-9)


# -- errors, plots, packaging ---------------------------------------------------------------------

def test_bad_input_gets_clear_errors():
    x = np.linspace(-1, 1, 8)
    y = x ** 2
    with pytest.raises(NotFittedError):
        ConvexNetRegressor().predict(x[:, None])
    with pytest.raises(ValueError, match="NaN"):
        ConvexNetRegressor().fit(np.where(x > 0.5, np.nan, x)[:, None], y)
    est = ConvexNetRegressor().fit(x[:, None], y)
    with pytest.raises(ValueError, match="features"):
        est.predict(np.ones((3, 2)))
    with pytest.raises(GaconvexError, match="X has 2 column.*1-dimensional inputs"):
        ConvexNetRegressor(architecture=gs.architecture("relu", 2)).fit(np.ones((8, 2)), y)
    with pytest.raises(GaconvexError, match="architecture must be"):
        ConvexNetRegressor(architecture="relu").fit(x[:, None], y)
    with pytest.raises(GaconvexError, match="beta"):
        ConvexNetRegressor(beta=-1.0).fit(x[:, None], y)
    with pytest.raises(GaconvexError, match="depth"):
        ConvexNetRegressor(depth=1).fit(x[:, None], y)
    with pytest.raises(ValueError, match="class"):
        ConvexNetClassifier().fit(x[:, None], np.zeros(8))


def test_plot_renders_the_fit():
    import matplotlib

    matplotlib.use("Agg")
    x, labels = _two_intervals()
    reg = ConvexNetRegressor(activation="abs", depth=3).fit(x[:, None], np.abs(x))
    ax = reg.plot()
    assert ax.lines and ax.get_xlabel() == "x"
    clf = ConvexNetClassifier(solver="reference").fit(x[:, None], labels)
    assert clf.plot().lines
    three = ConvexNetClassifier(solver="reference").fit(x[:, None], np.digitize(x, [-1, 1]))
    assert three.plot(label=2).lines
    with pytest.raises(GaconvexError, match="classes"):
        three.plot()


def test_estimators_are_lazy_attributes_of_gaconvex():
    """``import gaconvex`` does not import scikit-learn; the estimators load on access."""
    out = subprocess.run(
        [sys.executable, "-c",
         "import sys, json, gaconvex\n"
         "before = 'sklearn' in sys.modules\n"
         "cls = gaconvex.ConvexNetRegressor\n"
         "print(json.dumps([before, cls.__module__, 'sklearn' in sys.modules]))"],
        check=True, capture_output=True, text=True).stdout
    assert json.loads(out) == [False, "gaconvex.estimators", True]
    assert gaconvex.ConvexNetClassifier is ConvexNetClassifier
