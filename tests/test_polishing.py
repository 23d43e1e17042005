"""Polishing (001 Sec. 4.1, spec 001 Sec. 6.1, claim C26): the snapped neurons are the cross
products of their nearest training points (checked against scipy's null space and a brute-force
sort), the refit is the Lasso optimum over the snapped dictionary (cvxpy + Clarabel,
tests/lasso_oracles.py), and the exact chain full wedge Lasso <= polished <= snapped directions
with trained scales holds."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.linalg import null_space

import gaconvex
import gaconvex.symbolic as gs
from gaconvex import GaconvexError, polish
from gaconvex.networks import ParallelNetwork, train_nonconvex, training_objective

from lasso_oracles import cvxpy_lasso_value

BETA = 0.05
CASES = [(2, True, 1), (3, False, 1), (3, True, 1), (2, True, 2), (3, False, 2)]


def _random_network(d, bias, m=8, seed=0):
    net = ParallelNetwork.deep_narrow(m, 2, "relu", in_features=d, intercept=bias,
                                      generator=torch.Generator().manual_seed(seed))
    if not bias:
        with torch.no_grad():
            net.bias_1.zero_()
    return net


def _lifted_candidates(X, bias, augment):
    n, d = X.shape
    rows = np.vstack([X, np.eye(d)]) if augment else X
    if bias:
        rows = np.hstack([rows, np.r_[np.ones(n), np.zeros(len(rows) - n)][:, None]])
    return rows


def _row(j, n):
    return j if j >= 0 else n - 1 - j


def _nearest_independent(R, w_hat, k, n, bias):
    """Brute force: among all k-subsets of candidate rows that are linearly independent (and,
    biased, hold a data point), the one whose sorted scores |<r, w^>| are lexicographically
    smallest, i.e. the k points closest to the hyperplane that define one."""
    from itertools import combinations

    scores = np.abs(R @ w_hat)
    best = None
    for S in combinations(range(len(R)), k):
        if (bias and min(S) >= n) or np.linalg.matrix_rank(R[list(S)]) < k:
            continue
        key = tuple(sorted(scores[list(S)]))
        if best is None or key < best[0]:
            best = (key, set(S))
    return best[1]


@pytest.mark.parametrize("d, bias, p", CASES)
def test_refit_is_the_lasso_optimum_over_the_snapped_dictionary(rng, d, bias, p):
    """Step 4: the refit value == cvxpy on the snapped dictionary (rtol 1e-6), the polished
    torch network attains it (rtol 1e-8), and full wedge Lasso <= polished <= snapped
    directions with the trained scales (exact inequalities, 001 Thm 4 / superset principle)."""
    X, y = rng.standard_normal((10, d)), rng.standard_normal(10)
    rep = polish(_random_network(d, bias), X, y, BETA, norm=p)
    A = rep.dictionary.to_dense()
    beta_t = rep.architecture.beta_tilde(BETA)
    exact = cvxpy_lasso_value(A, y, beta_t, intercept=bias)
    np.testing.assert_allclose(rep.lasso_objective, exact, rtol=1e-6)
    np.testing.assert_allclose(rep.objective_after, rep.lasso_objective, rtol=1e-8)
    with torch.no_grad():
        direct = training_objective(rep.network, X, y, BETA, norm=p).item()
    np.testing.assert_allclose(direct, rep.objective_after, rtol=1e-12)
    assert rep.optimum is not None
    assert rep.optimum_objective <= rep.objective_after * (1 + 1e-7)
    assert rep.objective_after <= rep.objective_snapped * (1 + 1e-7)
    assert rep.network.intercept == bias


@pytest.mark.parametrize("d, bias, p", CASES)
def test_snapped_neurons_are_cross_products_of_their_nearest_points(rng, d, bias, p):
    """Steps 1-3: each snapped neuron is orthogonal to its d - 1 (biased: d, lifted [x, 1])
    anchors, which are the candidates of smallest |<r, w^>| that define a hyperplane (brute
    force over all subsets; e_k included for p = 1), its direction is scipy's null space of
    the anchors, ||w||_p = 1, and its orientation keeps <w^_new, w^_old> >= 0."""
    X, y = rng.standard_normal((9, d)), rng.standard_normal(9)
    net = _random_network(d, bias, m=6, seed=1)
    rep = polish(net, X, y, BETA, norm=p, optimum=False)
    R = _lifted_candidates(X, bias, p == 1)
    W = net.weights[0].detach().numpy()[:, :, 0]
    b = net.biases[0].detach().numpy()[:, 0, 0]
    k = d - 1 + bias
    for s in rep.snapped:
        old = np.r_[W[s.index], b[s.index]] if bias else W[s.index]
        new = np.r_[s.weight, s.bias] if bias else s.weight
        anchors = R[[_row(j, len(X)) for j in s.anchor_index]]
        assert len(anchors) == k
        np.testing.assert_allclose(anchors @ new, 0, atol=1e-12)
        chosen = {_row(j, len(X)) for j in s.anchor_index}
        assert chosen == _nearest_independent(R, old, k, len(X), bias)
        ns = null_space(anchors)
        assert ns.shape[1] == 1
        np.testing.assert_allclose(np.abs(ns[:, 0] @ new) / np.linalg.norm(new), 1, rtol=1e-10)
        np.testing.assert_allclose(np.linalg.norm(s.weight, ord=p), 1, rtol=1e-12)
        assert new @ old >= 0
        np.testing.assert_allclose(np.sort(s.scores), np.sort(np.abs(anchors @ old)), rtol=1e-12)


@pytest.mark.parametrize("d, bias, p", CASES)
def test_polishing_the_exact_optimum_changes_nothing(rng, d, bias, p):
    """A network reconstructed from the wedge Lasso already has every neuron on its anchors:
    polishing keeps each direction (rtol 1e-9), the objective (rtol 1e-7; == the optimum for
    the Lasso over the snapped columns, a subset of the library) and the function."""
    X, y = rng.standard_normal((8, d)), rng.standard_normal(8)
    fit = gaconvex.convex_fit(X, y, gs.architecture("relu", 2, dim=d, norm=p, bias=bias), BETA)
    net = fit.network
    rep = polish(net, X, y, BETA, norm=p)
    np.testing.assert_allclose(rep.objective_before, fit.objective, rtol=1e-8)
    np.testing.assert_allclose(rep.objective_after, fit.objective, rtol=1e-7)
    np.testing.assert_allclose(rep.optimum_objective, fit.objective, rtol=1e-7)
    W = net.weights[0].detach().numpy()[:, :, 0]
    for s in rep.snapped:
        np.testing.assert_allclose(s.weight, W[s.index] / np.linalg.norm(W[s.index], ord=p),
                                   rtol=1e-9, atol=1e-12)
    X_new = rng.standard_normal((30, d))
    np.testing.assert_allclose(rep.network(X_new).detach().numpy(), fit.predict(X_new),
                               rtol=1e-5, atol=1e-5)


def test_polishing_depends_on_directions_only(rng):
    """Positive rescaling of a unit, (w, b, alpha) -> (c w, c b, alpha / c), keeps its function
    and its hyperplane: the snapped neurons and the polished objective are unchanged, and so
    is polishing under a permutation of the units."""
    X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    net = _random_network(3, True, m=6, seed=5)
    c = torch.as_tensor(rng.uniform(0.2, 5.0, 6))
    scaled = net.rescale_units(1 / c, layer_scales=c[:, None])
    permuted = net.units([5, 4, 3, 2, 1, 0])
    base = polish(net, X, y, BETA, optimum=False)
    for other, order in ((polish(scaled, X, y, BETA, optimum=False), range(6)),
                         (polish(permuted, X, y, BETA, optimum=False), range(5, -1, -1))):
        np.testing.assert_allclose(other.objective_after, base.objective_after, rtol=1e-8)
        for s, j in zip(other.snapped, order):
            assert s.anchor_index == base.snapped[j].anchor_index
            np.testing.assert_allclose(s.weight, base.snapped[j].weight, rtol=1e-12)


def test_classification_loss_refit_is_the_logistic_lasso_optimum(rng):
    """loss="logistic" on labels +-1: the refit == cvxpy's logistic Lasso on the snapped
    dictionary (rtol 1e-6) and the polished network's logistic training objective equals it."""
    X = rng.standard_normal((12, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    rep = polish(_random_network(2, True, seed=4), X, y, BETA, loss="logistic", optimum=False)
    A = rep.dictionary.to_dense()
    exact = cvxpy_lasso_value(A, y, BETA, loss="logistic")
    np.testing.assert_allclose(rep.lasso_objective, exact, rtol=1e-6)
    np.testing.assert_allclose(rep.objective_after, exact, rtol=1e-6)
    assert rep.objective_after <= rep.objective_snapped * (1 + 1e-7)


def test_one_dimensional_kinks_snap_to_the_nearest_data_point(rng):
    """d = 1 with biases (001 Thm 1): each unit's kink -b / w moves to the data point nearest
    to it (brute force), the direction keeps its sign; the refit == cvxpy."""
    x, y = rng.standard_normal(10), rng.standard_normal(10)
    net = _random_network(1, True, m=5, seed=3)
    rep = polish(net, x, y, BETA)
    w = net.weights[0].detach().numpy()[:, 0, 0]
    b = net.biases[0].detach().numpy()[:, 0, 0]
    for s in rep.snapped:
        kink = -b[s.index] / w[s.index]
        assert s.anchor_index == (int(np.argmin(np.abs(x - kink))),)
        np.testing.assert_allclose(-s.bias / s.weight[0], x[s.anchor_index[0]], rtol=1e-12)
        assert np.sign(s.weight[0]) == np.sign(w[s.index])
    A = rep.dictionary.to_dense()
    np.testing.assert_allclose(rep.lasso_objective, cvxpy_lasso_value(A, y, BETA), rtol=1e-6)


def test_polishing_an_adam_network_reports_and_attains_its_objective(rng):
    """An Adam-trained network (p = 1, biased, d = 2): objective_before is the training
    objective of that network, objective_after that of the polished one; the improvement is
    reported (its sign is not guaranteed, claim C26) and the optimum bounds both."""
    X, y = rng.standard_normal((12, 2)), rng.standard_normal(12)
    res = train_nonconvex(lambda generator: ParallelNetwork.deep_narrow(
        10, 2, "relu", in_features=2, intercept=True, generator=generator), X, y, BETA,
        steps=400, restarts=2, norm=1)
    net = res.best_network
    rep = polish(net, X, y, BETA)
    np.testing.assert_allclose(rep.objective_before, res.best_objective, rtol=1e-10)
    assert rep.optimum_objective <= min(rep.objective_before, rep.objective_after) * (1 + 1e-7)
    assert rep.improvement == pytest.approx(rep.objective_before - rep.objective_after)
    text = rep.summary()
    assert "objective before polishing" in text and "global optimum" in text


def test_dead_units_are_dropped_and_rank_deficient_data_need_the_augmentation(rng):
    """Units with w = 0 are reported dead and get no column; on data of rank 2 in R^3, p = 1
    snaps through e_k (Lemma 19) while p = 2 (no augmentation) is refused with Lemma 23."""
    X = np.column_stack([rng.standard_normal((8, 2)), np.zeros(8)])
    y = rng.standard_normal(8)
    net = _random_network(3, False, m=5, seed=2)
    with torch.no_grad():
        net.weight_1[1].zero_()
    rep = polish(net, X, y, BETA, norm=1)
    assert rep.snapped[1].dead and rep.n_dead == 1 and "dead" in rep.summary()
    assert all(not s.dead for i, s in enumerate(rep.snapped) if i != 1)
    A = rep.dictionary.to_dense()
    np.testing.assert_allclose(rep.lasso_objective,
                               cvxpy_lasso_value(A, y, BETA, intercept=False), rtol=1e-6)
    with pytest.raises(GaconvexError, match="Lemma 23"):
        polish(net, X, y, BETA, norm=2)


def test_report_plot_draws_both_decision_maps(rng, tmp_path):
    """PolishReport.plot (d = 2): two decision maps, the polished one with the breaklines of
    its active neurons, each through its anchors (two data points, or one and parallel to an
    e_k); d = 3 is refused."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gaconvex.plotting import save_figure

    X, y = rng.standard_normal((10, 2)), np.sign(rng.standard_normal(10))
    rep = polish(_random_network(2, True, seed=6), X, y, BETA, optimum=False)
    axes = rep.plot()
    assert len(axes) == 2 and "after polishing" in axes[1].get_title()
    path = save_figure(axes[0].figure, tmp_path / "polish.png")
    assert path.stat().st_size > 10_000
    W = rep.network.weights[0].detach().numpy()[:, :, 0]
    b = rep.network.biases[0].detach().numpy()[:, 0, 0]
    on_line = np.sum(np.abs(X @ W.T + b) < 1e-10, axis=0) + np.sum(np.abs(W) < 1e-12, axis=1)
    assert np.all(on_line >= 2)  # through 2 points, or 1 point and parallel to e_k (p = 1)
    X3 = rng.standard_normal((10, 3))
    with pytest.raises(GaconvexError, match="R\\^2"):
        polish(_random_network(3, True), X3, y, BETA, optimum=False).plot()
    plt.close("all")


def test_bad_input_is_refused_with_the_fix(rng):
    X, y = rng.standard_normal((6, 2)), rng.standard_normal(6)
    net = _random_network(2, True)
    with pytest.raises(GaconvexError, match="select"):
        polish(ParallelNetwork.stack([net, net]), X, y, BETA)
    with pytest.raises(GaconvexError, match="dimension"):
        polish(net, rng.standard_normal((6, 3)), y, BETA)
    with pytest.raises(GaconvexError, match="beta"):
        polish(net, X, y, 0.0)
    with pytest.raises(GaconvexError, match="norm"):
        polish(net, X, y, BETA, norm=3)
    with pytest.raises(GaconvexError, match="bias=True"):
        polish(net, X, y, BETA, bias=False)
    with pytest.raises(GaconvexError, match="ParallelNetwork"):
        polish("net", X, y, BETA)
    with pytest.raises(GaconvexError, match="2-layer ReLU"):
        polish(ParallelNetwork.deep_narrow(3, 3, "relu", in_features=2), X, y, BETA)
    with pytest.raises(GaconvexError, match="2-layer ReLU"):
        polish(ParallelNetwork.deep_narrow(3, 2, "abs", in_features=2), X, y, BETA)
    with pytest.raises(GaconvexError):
        polish(net, X, y[:4], BETA)
    with pytest.raises(GaconvexError, match="numeric"):
        polish(net, X.astype(str), y, BETA)
    dead = _random_network(2, True)
    with torch.no_grad():
        dead.weight_1.zero_()
    with pytest.raises(GaconvexError, match="dead"):
        polish(dead, X, y, BETA)


def test_polish_is_exported_lazily():
    import subprocess
    import sys

    code = ("import sys, gaconvex; assert 'gaconvex.polishing' not in sys.modules; "
            "assert 'polish' in dir(gaconvex); gaconvex.polish; "
            "assert 'gaconvex.polishing' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
