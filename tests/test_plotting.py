"""gaconvex.plotting: every figure function renders a valid PNG with axis labels, a legend
below the axes, kink labels above it that do not overlap, and kink names that are true.

Oracles: kink names are evaluated as arithmetic (R(a, b) = 2b - a) and compared with the kink;
the kinks of a fit are compared with the slope changes of its predictions on a fine grid;
PNG files are checked by signature and decoded by matplotlib.
"""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gaconvex.symbolic as gs  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex import plotting as P  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INTERNAL_CODE = re.compile(r"\b00[0-2]\b|spec|C\d+\b")


def assert_png(path, min_bytes: int = 5_000) -> None:
    """A valid, non-empty PNG: signature, size, decodable, not one flat colour."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert len(data) > min_bytes, (path, len(data))
    image = plt.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert np.ptp(image[..., :3]) > 0.5  # something is drawn


def _evaluate_name(name: str) -> float:
    """A kink name with data values, e.g. "R(R(0, -1), 2)" or "(4 + 0)/2", as a number."""
    return float(eval(name, {"__builtins__": {}}, {"R": lambda a, b: 2 * b - a}))  # noqa: S307


def _names_of(text: str) -> list[str]:
    """The names in a kink text "2 = (4 + 0)/2 = R(0, 1)" (the value first)."""
    return [] if "(data point)" in text else text.split(" = ")[1:]


def _check_axes(ax, *, kink_texts_above: bool = True, draw: bool = True) -> None:
    fig = ax.figure
    if draw:
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert ax.get_xlabel() and ax.get_ylabel()
    assert not INTERNAL_CODE.search(ax.get_title()), ax.get_title()
    legend = ax.get_legend()
    assert legend is not None and legend.get_texts()
    frame = ax.get_window_extent(renderer)
    assert legend.get_window_extent(renderer).y1 <= frame.y0  # below the axes, not on the data
    texts = [t for t in ax.texts if t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    for box in boxes:
        if kink_texts_above:
            assert box.y0 >= frame.y1 - 1  # above the axes: no label crosses a curve
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            overlap = min(a.x1, b.x1) - max(a.x0, b.x0) > 1 and min(a.y1, b.y1) - max(a.y0, b.y0) > 1
            assert not overlap, (texts[i].get_text(), texts[j].get_text())
    for text in [ax.get_title(), *(t.get_text() for t in texts), *(t.get_text() for t in legend.get_texts())]:
        assert "-0 " not in text + " " and "-0.000" not in text, text


# -- text ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, text", [(-0.0, "0"), (0.0, "0"), (0.1 + 0.2, "0.3"),
                                         (-2.5, "-2.5"), (1234567.0, "1.235e+06")])
def test_format_number_never_writes_negative_zero(value, text):
    assert P.format_number(value) == text


def test_math_label_writes_subscripts():
    assert P.math_label("2a1 - a2") == "$2a_{1} - a_{2}$"
    assert P.math_label("R(R(a3, a2), a1)") == "$R(R(a_{3}, a_{2}), a_{1})$"


@pytest.mark.parametrize("value, data, expected", [
    (6.0, [2.0, 0.0, -1.0], ["R(R(0, -1), 2)"]),  # Library of Mirrors Fig. 3.2, L = 4
    (4.0, [2.0, 0.0, -1.0], ["R(0, 2)"]),
    (2.0, [4.0, 3.0, 1.0, 0.0, -1.0], ["(4 + 0)/2", "R(0, 1)", "R(4, 3)"]),  # Fig. 3.5: both
    (3.0, [4.0, 3.0, 1.0, 0.0, -1.0], ["3"]),
])
def test_point_names_are_true_and_complete(value, data, expected):
    names = [name for _, name in P.point_names(value, data, tol=1e-9)]
    assert names == expected
    for name in names:
        assert _evaluate_name(name) == pytest.approx(value, abs=1e-12)


def test_point_names_brute_force_on_random_integers():
    """Every name is true, and a midpoint gets a reflection name whenever a brute-force search
    over all ordered pairs finds one."""
    rng = np.random.default_rng(3)
    data = rng.choice(np.arange(-9, 10), size=6, replace=False).astype(float)
    for value in np.arange(-20, 21, 0.5):
        names = P.point_names(value, data, tol=1e-9)
        for _, name in names:
            assert _evaluate_name(name) == pytest.approx(value)
        if names and names[0][0].startswith("midpoint"):
            brute = any(2 * b - a == value for a in data for b in data if a != b)
            assert brute == any(kind == "reflection" for kind, _ in names)


def test_name_kinks_writes_the_named_value():
    kinks = P.name_kinks([1.9996, 1e-4], [4.0, 3.0, 1.0, 0.0, -1.0], tol=1e-3)
    assert kinks[0][1:] == ("reflection", "2 = (4 + 0)/2 = R(0, 1) = R(4, 3)")
    assert kinks[1][1:] == ("data point", "0 (data point)")


# -- fits -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_fit():
    rng = np.random.default_rng(0)
    x = np.round(rng.uniform(-2, 2, 9), 2)
    y = np.sin(2 * x) + 0.1 * rng.standard_normal(9)
    return convex_fit(x, y, gs.architecture("abs", 3), 0.02)


@pytest.fixture(scope="module")
def small_training(small_fit):
    from gaconvex.networks import ParallelNetwork, train_nonconvex

    def factory(generator):
        return ParallelNetwork.deep_narrow(8, 3, "abs", generator=generator, bias_scale=2.0)

    return train_nonconvex(factory, small_fit.data.X[:, 0], small_fit.data.y, small_fit.beta,
                           lr=2e-2, steps=60, restarts=3, seed=0)


def test_fit_kinks_are_the_slope_changes_of_the_fit(small_fit):
    """Oracle: the slope changes of fit.predict on a fine grid all sit at named kinks, and
    every named reflection evaluates to its kink."""
    kinks = P.fit_kinks(small_fit)
    values = np.array([k[0] for k in kinks])
    grid = np.linspace(-4, 4, 80_001)
    slope = np.diff(small_fit.predict(grid)) / np.diff(grid)
    changes = np.flatnonzero(np.abs(np.diff(slope)) > 1e-6)
    assert changes.size
    for c in changes:
        assert np.min(np.abs(values - grid[c + 1])) <= 2 * (grid[1] - grid[0]), grid[c + 1]
    for value, category, text in kinks:
        assert category in ("data point", "reflection", "other")
        for name in _names_of(text):
            assert _evaluate_name(name) == pytest.approx(value, abs=1e-9), text
    assert any(k[1] == "reflection" for k in kinks)  # deep abs: kinks off the data


def test_plot_convex_fit_and_convex_fit_plot(small_fit, tmp_path):
    for k, ax in enumerate([P.plot_convex_fit(small_fit, xlabel="x", ylabel="y"),
                            small_fit.plot()]):
        _check_axes(ax)
        assert any("convex fit" in t.get_text() for t in ax.get_legend().get_texts())
        path = P.save_figure(ax.figure, tmp_path / f"fit{k}.png")
        assert_png(path)


def test_plot_fit_comparison_keeps_adam_visible(small_fit, small_training, tmp_path):
    ax = P.plot_fit_comparison(small_fit, small_training, xlabel="x", ylabel="y")
    _check_axes(ax)
    lines = {line.get_label(): line for line in ax.get_lines()}
    convex = next(v for k, v in lines.items() if k.startswith("convex fit"))
    adam = next(v for k, v in lines.items() if k.startswith("Adam, best of 3"))
    assert adam.get_zorder() > convex.get_zorder()  # drawn on top
    assert adam.get_linestyle() != convex.get_linestyle() and adam.get_marker() not in ("", "None")
    assert adam.get_linewidth() < convex.get_linewidth()  # the optimum shows around it
    assert_png(P.save_figure(ax.figure, tmp_path / "comparison.png"))


def test_plot_objective_curves(small_fit, small_training, tmp_path):
    ax = P.plot_objective_curves(small_training, small_fit.objective)
    _check_axes(ax)
    optimum = [line for line in ax.get_lines() if line.get_label().startswith("global optimum")]
    assert optimum and np.allclose(optimum[0].get_ydata(), small_fit.objective)
    assert len(ax.get_lines()) >= small_training.history.shape[0] + 1
    assert_png(P.save_figure(ax.figure, tmp_path / "objective.png"))


def test_comparison_figure(small_fit, small_training, tmp_path):
    fig = P.comparison_figure([(small_fit, small_training)] * 2, suptitle="two rows",
                              xlabel="x", ylabel="y")
    assert len(fig.axes) == 4
    fig.canvas.draw()
    for ax in fig.axes:
        _check_axes(ax, draw=False)
    assert_png(P.save_figure(fig, tmp_path / "figure.png"), min_bytes=20_000)


def test_plot_feature_labels_in_the_anchors(tmp_path):
    family = gs.derive(gs.architecture("abs", 4, midpoints=False)).families[0]
    ax = P.plot_feature(family, (7, 4, 5), x_range=(1, 13))
    _check_axes(ax)
    texts = {t.get_text() for t in ax.texts}
    assert "$2a_{1} + a_{3} - 2a_{2}$ = 11" in texts  # the reflection of a reflection
    assert "$2a_{1} - a_{2}$ = 10" in texts and "$a_{1}$ = 7" in texts
    assert_png(P.save_figure(ax.figure, tmp_path / "feature.png"))


def test_plot_fit_with_callables_and_named_kinks(tmp_path):
    x, y = np.array([4.0, 3.0, 1.0, 0.0, -1.0]), np.array([2.0, 1.0, 0.0, 0.0, 1.0])
    f = lambda g: np.maximum(g - 2, 0) + np.maximum(-g, 0)  # noqa: E731
    ax = P.plot_fit(x, y, {"model": f, "same model": f}, breakpoints=P.name_kinks([2.0, 0.0], x),
                    title="two equal curves")
    _check_axes(ax)
    assert "2 = (4 + 0)/2 = R(0, 1) = R(4, 3)" in {t.get_text() for t in ax.texts}
    first, second = ax.get_lines()[:2]
    assert second.get_zorder() > first.get_zorder() and second.get_marker() not in ("", "None")
    assert_png(P.save_figure(ax.figure, tmp_path / "plot_fit.png"))


def test_label_kinks_avoids_collisions_and_reports_what_it_dropped():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_xlim(0, 1)
    kinks = [(v, "reflection", f"{v:.3f} = a long reflection name") for v in np.linspace(0.1, 0.9, 30)]
    dropped = P.label_kinks(ax, kinks, max_rows=3)
    kept = [t for t in ax.texts if t.get_text()]
    assert dropped == 30 - len(kept) and 0 < len(kept) < 30
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in kept]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j])
    plt.close(fig)


def test_one_dimensional_figures_refuse_d_dimensional_fits():
    from types import SimpleNamespace

    from gaconvex import GaconvexError

    fake = SimpleNamespace(dictionary=SimpleNamespace(dim=2))
    with pytest.raises(GaconvexError, match="1-D inputs"):
        P.plot_convex_fit(fake)


def test_plot_decision_map_regions_points_and_breaklines(tmp_path):
    """001 Figs. 7, 8, 11, 12: the map's returned values are f on its grid (sign regions), the
    breaklines drawn are the distinct neuron lines (both orientations of a line count once, a
    dead neuron has none), each drawn line lies on <w, x> + b = 0, and the figure is a valid PNG
    with axis labels and no internal codes."""
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    y = np.array([1.0, 1.0, -1.0, -1.0])
    W = np.array([[1.0, -1.0], [-2.0, 2.0], [0.0, 0.0], [0.0, 1.0]])
    b = np.array([0.0, 0.0, 3.0, -0.5])
    lines = P.distinct_lines(W, b)
    assert len(lines) == 2  # rows 0 and 1 are one line, row 2 is dead
    fig, ax = plt.subplots()
    F = P.plot_decision_map(lambda Z: Z[:, 0] * Z[:, 1], X, y, ax=ax, breaklines=lines,
                            title="XOR", extent=(-2, 2, -2, 2), resolution=41)
    g = np.linspace(-2, 2, 41)
    np.testing.assert_allclose(F, np.outer(g, g))
    drawn = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(drawn) == 2
    for line, (w, c) in zip(drawn, lines):
        pts = np.column_stack(line.get_data())
        np.testing.assert_allclose(pts @ w + c, 0.0, atol=1e-12)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
    assert not INTERNAL_CODE.search(ax.get_title())
    path = P.save_figure(fig, tmp_path / "map.png")
    assert_png(path)
