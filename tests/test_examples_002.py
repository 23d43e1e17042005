"""The Library of Mirrors Sec. 4 examples (issue 10): each runs in smoke mode, writes real
figures, and its own numbers satisfy the mathematics they illustrate, checked against
independent oracles (the Lasso in cvxpy + Clarabel on the user's unmerged points, the pinball
optimality condition of the free intercept, the Lasso's zero threshold computed in numpy,
nested libraries).

Each example's smoke run happens once per module (fixtures); the runner's subprocess path
(examples/run_all.py) for all four is the ``slow`` test, as is the full-length Adam check.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from lasso_oracles import cvxpy_lasso_value

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = ("autoregression_sunspots", "quantile_bands", "regularization_path", "depth_histograms")
FIGURES = {
    "autoregression_sunspots": ("fig4_1_losses.png", "fig4_2_wall_time.png", "sunspot_maps.png"),
    "quantile_bands": ("quantile_bands_series.png", "quantile_maps.png"),
    "regularization_path": ("fig4_4_regularization_path.png",),
    "depth_histograms": ("fig4_6_4_7_depth_histograms.png", "fig4_3_4_5_depths.png"),
}


def _load(name):
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))  # the examples import autoregression_sunspots
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _smoke(name, tmp_path_factory):
    out = tmp_path_factory.mktemp(name)
    module = _load(name)
    return module, module.main(["--smoke", "--out", str(out)]), out


@pytest.fixture(scope="module")
def autoregression(tmp_path_factory):
    return _smoke("autoregression_sunspots", tmp_path_factory)


@pytest.fixture(scope="module")
def quantiles(tmp_path_factory):
    return _smoke("quantile_bands", tmp_path_factory)


@pytest.fixture(scope="module")
def path_run(tmp_path_factory):
    return _smoke("regularization_path", tmp_path_factory)


@pytest.fixture(scope="module")
def depths(tmp_path_factory):
    return _smoke("depth_histograms", tmp_path_factory)


def _check_pngs(out: Path, names) -> None:
    import matplotlib.pyplot as plt

    for name in names:
        path = out / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert path.stat().st_size > 20_000, name  # a real figure, not an empty canvas
        image = plt.imread(path)
        assert image.shape[0] > 300 and image.shape[1] > 500, (name, image.shape)
        assert image[..., :3].std() > 0.05, name  # not blank


def _user_rows_oracle(fit, x, y, weights, **loss):
    """The Lasso value on the user's points (ties not merged) by cvxpy + Clarabel."""
    A = fit.dictionary.evaluate(np.asarray(x, float)[:, None])
    return cvxpy_lasso_value(A, y, fit.problem.beta_t, weights=weights, **loss)


# -- 1. autoregression: convex optimum vs Adam vs AR(1) (Figs. 4.1, 4.2) ------------------------
def test_autoregression_figures(autoregression):
    _, _, out = autoregression
    _check_pngs(out, FIGURES["autoregression_sunspots"])


def test_autoregression_convex_optimum_bounds_every_adam_iterate(autoregression):
    """002 Thm 3.11: the Lasso optimum is the global minimum of objective (4.3), so no Adam
    iterate of any trial lies below it (1e-6 relative), and the rebuilt network attains it."""
    module, res, _ = autoregression
    fit, adam = res["fit"], res["adam"]
    J = res["convex_objective"]
    assert np.all(adam.result.history >= J * (1 - 1e-6))
    assert np.all(res["adam_objectives"] >= J * (1 - 1e-6))
    assert fit.network_objective() == pytest.approx(J, rel=1e-9)
    x, y, _, _ = res["data"]
    oracle = _user_rows_oracle(fit, x, y, module.mean_weights(len(x)))
    assert J == pytest.approx(oracle, rel=1e-6)


def test_autoregression_recorded_losses_are_the_objective(autoregression):
    """The curves are objective (4.3) and the test MSE: the final recorded values match an
    independent evaluation of the trained networks (numpy, from their parameters)."""
    import torch

    module, res, _ = autoregression
    x, y, xt, yt = res["data"]
    net = res["adam"].result.networks
    with torch.no_grad():
        f_train = net(torch.as_tensor(x)).numpy()
        f_test = net(torch.as_tensor(xt)).numpy()
        sq = sum(p.pow(2).flatten(1).sum(1) for p in (net.alpha, *net.weights)).numpy()
    J = np.mean((f_train - y) ** 2, axis=1) + res["beta"] / 2 * sq
    np.testing.assert_allclose(res["adam_objectives"], J, rtol=1e-10)
    np.testing.assert_allclose(res["adam_test_mse"], np.mean((f_test - yt) ** 2, axis=1),
                               rtol=1e-10)
    a, b = module.ar1(x, y, bias=True)
    np.testing.assert_allclose([a, b], np.polyfit(x, y, 1), rtol=1e-10)


@pytest.mark.slow
def test_autoregression_full_adam_reaches_but_never_beats_the_optimum():
    """Full length (1500 Adam steps, 20 trials): the best trial is within 0.1% of the convex
    optimum (Fig. 4.1's lower bound is attained in the limit), none is below it."""
    res = _load("autoregression_sunspots").run(steps=1500, trials=20, width=50)
    J, adam = res["convex_objective"], res["adam_objectives"]
    assert adam.min() >= J * (1 - 1e-6)
    assert adam.min() <= J * (1 + 1e-3)


# -- 2. quantile bands ------------------------------------------------------------------------
def test_quantile_figures(quantiles):
    _, _, out = quantiles
    _check_pngs(out, FIGURES["quantile_bands"])


def test_quantile_coverage_is_exact_at_the_pinball_optimum(quantiles):
    """With the free intercept, 0 is in the subdifferential sum_i w_i d ell_tau(e_i): the
    fraction of training targets strictly below the tau-curve is in [tau - n_0/T, tau] and at or
    below it in [tau, tau + n_0/T] (n_0: targets on the curve)."""
    _, res, _ = quantiles
    x, y, _, _ = res["data"]
    for tau, fit in res["fits"].items():
        below = np.mean(y < fit.fitted - 1e-8)
        on = np.mean(np.abs(y - fit.fitted) <= 1e-8)
        assert res["train"][tau] == pytest.approx(dict(below=below, on=on,
                                                       at_or_below=below + on))
        assert tau - on - 1e-12 <= below <= tau + 1e-12, (tau, below, on)
        assert tau - 1e-12 <= below + on <= tau + on + 1e-12, (tau, below, on)
        assert on < 0.2  # the bound says something: few targets on the curve


def test_quantile_fits_are_the_pinball_lasso_optimum(quantiles):
    """Each tau: the convex fit's objective equals the pinball-loss Lasso solved by cvxpy on the
    user's points, and the quantile curves are ordered at the data (0.1 <= 0.5 <= 0.9 is not
    guaranteed in general, but the objective identity is)."""
    _, res, _ = quantiles
    x, y, _, _ = res["data"]
    w = np.full(len(x), 1.0 / len(x))
    for tau, fit in res["fits"].items():
        oracle = _user_rows_oracle(fit, x, y, w, loss="quantile", tau=tau)
        assert fit.objective == pytest.approx(oracle, rel=1e-6, abs=1e-9), tau


# -- 3. regularization path -------------------------------------------------------------------
def test_path_figure(path_run):
    _, _, out = path_run
    _check_pngs(out, FIGURES["regularization_path"])


def test_path_starts_at_beta_max_with_z_zero(path_run):
    """beta_max = ||A^T W (y - ybar 1)||_inf (computed here in numpy from the dense features
    |x_i - x_j|): z* = 0 at beta_max and z* != 0 just below it (002 Sec. 4.4)."""
    _, res, _ = path_run
    x, y, _, _ = res["data"]
    A = np.abs(x[:, None] - x[None, :])
    w = 2.0 / len(x)
    assert res["beta_max"] == pytest.approx(np.max(np.abs(A.T @ (w * (y - y.mean())))),
                                            rel=1e-10)
    np.testing.assert_array_equal(res["coefficients"][0], 0.0)
    assert res["m_star"][0] == 0 and res["m_star"][1] > 0
    import gaconvex.symbolic as gs
    from gaconvex import convex_fit

    below = convex_fit(x, y, gs.architecture("abs", 2), 0.999 * res["beta_max"],
                       sample_weight=np.full(len(x), w), certify=False)
    assert below.support.size > 0


def test_path_points_are_lasso_optima(path_run):
    """Two points of the warm-started path against cvxpy + Clarabel on the features
    |x_i - x_j| built here (002 Cor. 3.15)."""
    _, res, _ = path_run
    x, y, _, _ = res["data"]
    A = np.abs(x[:, None] - x[None, :])
    w = np.full(len(x), 2.0 / len(x))
    for k in (len(res["betas"]) // 3, res["shown"]):
        oracle = cvxpy_lasso_value(A, y, res["betas"][k], weights=w)
        assert res["objectives"][k] == pytest.approx(oracle, rel=1e-6), k


def test_path_optimum_bounds_the_adam_trials(path_run):
    """At each beta with Adam trials, no trial's final objective (4.3) is below the path's
    Lasso optimum there (002 Thm 3.11), 1e-6 relative."""
    _, res, _ = path_run
    assert res["adam"]
    for k, run in res["adam"].items():
        assert np.all(run.result.objectives >= res["objectives"][k] * (1 - 1e-6)), k
        assert np.all(run.result.history >= res["objectives"][k] * (1 - 1e-6)), k


def test_path_recovers_the_planted_breakpoints(path_run):
    """Seeded series (T = 300 in smoke mode): some beta of the path selects, for each of the
    five planted breakpoints, a feature within 0.1 of it, and no feature farther from all of
    them; the fit shown there is certified globally optimal."""
    module, res, _ = path_run
    assert res["recovered"] is not None
    assert np.all(res["distances"][res["recovered"]] <= module.RECOVERY_TOL)
    assert res["spurious"] == []
    assert res["fit"].certificate.globally_optimal()


# -- 4. depth histograms ----------------------------------------------------------------------
def test_depth_figures(depths):
    _, _, out = depths
    _check_pngs(out, FIGURES["depth_histograms"])


def test_depth_full_libraries_are_nested_so_the_optimum_falls(depths):
    """Full deep narrow abs libraries are nested in depth (a depth-L feature with j_{L-1} =
    j_{L-2} is the depth-(L-1) feature, 002 Thm 3.2 / Remark 3.12) with the same beta~ = beta,
    so the exact optimum is non-increasing in L; the L = 3 value is checked by cvxpy."""
    module, res, _ = depths
    values = [res["nested"][L] for L in sorted(res["nested"])]
    assert all(b <= a * (1 + 1e-8) for a, b in zip(values, values[1:])), values
    assert values[-1] < values[0]  # depth does help on these data
    import gaconvex.symbolic as gs
    from gaconvex.dictionaries import library_1d

    x, y, _, _ = res["data"]
    n = res["nested_points"]
    A = library_1d(x[:n], gs.architecture("abs", 3, midpoints=False)).to_dense()
    oracle = cvxpy_lasso_value(A, y[:n], res["beta"], weights=module.mean_weights(n))
    assert res["nested"][3] == pytest.approx(oracle, rel=1e-6)


def test_depth_grid_rows(depths):
    """One row per (depth, seed); L = 2 is the full library (N <= K columns, identical over
    seeds, the same optimum as the 2-layer autoregression example), deeper ones are sampled
    with K columns; every objective is at least its training MSE."""
    module, res, _ = depths
    table = res["table"]
    assert sorted(table.depth.unique()) == [2, 3, 4, 5]
    assert (table.groupby("depth").size() == 6).all()
    two = table[table.depth == 2]
    assert not two.sampled.any() and two.train_objective.nunique() == 1
    auto = _load("autoregression_sunspots")
    x, y, _, _ = res["data"]
    import gaconvex.symbolic as gs
    from gaconvex import convex_fit

    ref = convex_fit(x, y, gs.architecture("abs", 2), res["beta"],
                     sample_weight=auto.mean_weights(len(x)), certify=False)
    assert two.train_objective.iloc[0] == pytest.approx(ref.objective, rel=1e-9)
    deep = table[table.depth > 2]
    assert deep.sampled.all() and (deep.n_columns <= res["max_columns"]).all()
    assert (table.train_objective >= table.train_mse - 1e-12).all()
    assert (table.status == "optimal").all()


@pytest.mark.slow
def test_depth_grid_on_a_dask_cluster_matches_the_serial_grid(depths, tmp_path):
    """``--scheduler ADDRESS``: the script's grid runs as Dask tasks on a worker process that
    does not have examples/ on its path, and prints the same numbers as the serial run (all
    but the timing column)."""
    import subprocess

    distributed = pytest.importorskip("distributed")
    module, res, _ = depths
    cluster = distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                       dashboard_address=None)
    try:
        done = subprocess.run([sys.executable, str(EXAMPLES / "depth_histograms.py"), "--smoke",
                               "--out", str(tmp_path), "--scheduler", cluster.scheduler_address],
                              capture_output=True, text=True, timeout=600, cwd=tmp_path)
    finally:
        cluster.close()
    assert done.returncode == 0, done.stderr[-3000:]

    def rows(text):
        lines = text.splitlines()
        table = [line.split()[:-1] for line in lines if line[:2].strip() in {"2", "3", "4", "5"}]
        return table, [line for line in lines if line.startswith("full libraries")]

    serial = rows(module.summary(res))
    assert len(serial[0]) == 4 and len(serial[1]) == 1  # one row per depth, the nested line
    assert rows(done.stdout) == serial
    _check_pngs(tmp_path, FIGURES["depth_histograms"])


# -- the runner ---------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_examples_run_through_the_runner(tmp_path, name):
    """examples/run_all.py runs each in smoke mode in its own process and finds its PNGs."""
    runner = _load("run_all")
    ok, seconds, message = runner.run(EXAMPLES / f"{name}.py", tmp_path, smoke=True, timeout=300)
    assert ok, message
    assert set(FIGURES[name]) <= set(message.split(", "))
    _check_pngs(tmp_path, FIGURES[name])
