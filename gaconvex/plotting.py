"""Figures: features with their labelled breakpoints, fitted functions (the global optimum of
a convex fit vs networks trained by Adam) and objective curves of training.

The one plotting module of gaconvex: :meth:`gaconvex.ConvexFit.plot`, the command line
(``gaconvex demo``, ``gaconvex fit``) and the examples draw through it.  Conventions:

* breakpoints (kinks) are named mathematically: in a feature's anchors as mathtext
  (``2a_1 - a_2``), in a fit by the data values (``R(R(0, -1), 2)``, R(a, b) = 2b - a, Library
  of Mirrors Sec. 1.2); a kink with two names (a midpoint that is also R(0, 1)) shows both;
* kink labels sit above the axes, horizontal, on as many rows as needed so none overlap, and
  never cross a curve; legends sit below the axes;
* curves that may coincide (the global optimum and a trained network) are drawn with
  different dashes, markers at offset positions and the later curve on top, so neither hides;
* numbers are written with ``:g`` and never as "-0".

matplotlib is imported when a function runs, never at ``import gaconvex``.
"""
from __future__ import annotations

import re

import numpy as np

__all__ = ["format_number", "math_label", "point_names", "breakpoint_text", "name_kinks", "fit_kinks",
           "label_kinks", "plot_feature", "plot_fit", "plot_convex_fit", "plot_fit_comparison",
           "plot_objective_curves", "comparison_figure", "plot_decision_map", "distinct_lines",
           "neuron_lines", "draw_lines", "save_figure"]

#: Kink kinds and how their vertical lines are drawn.
_KIND_STYLE = {"data point": dict(color="0.55", ls=":", lw=0.9),
               "reflection": dict(color="C3", ls="--", lw=0.9),
               "other": dict(color="C2", ls="-.", lw=0.9)}
_KIND_LEGEND = {"data point": "kink at a data point", "reflection": "kink at a reflection",
                "other": "kink at a midpoint / other point"}


# -- text ---------------------------------------------------------------------------------------
def format_number(value, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits (``:g``), never "-0" (negative zero and
    values that round to zero print as "0")."""
    text = f"{float(value):.{digits}g}"
    return "0" if float(text) == 0 else text


_NAME = re.compile(r"(?<![A-Za-z_])([a-z])(\d+)")


def math_label(text: str) -> str:
    """An expression in anchor or data names as mathtext: "2a1 - a2" -> "$2a_{1} - a_{2}$"."""
    return "$" + _NAME.sub(r"\1_{\2}", text) + "$"


_LABEL = re.compile(r"^(?P<kind>.*?)\s(?P<body>(?:R\(|\(|-?\d*[a-z]\d).*)$")


def _split_label(label: str) -> tuple[str, str, str]:
    """(kind, construction, combination) of a breakpoint label of
    :func:`gaconvex.symbolic.describe_combination`, e.g. "reflection R(a2, a1) = 2a1 - a2" ->
    ("reflection", "R(a2, a1)", "2a1 - a2")."""
    match = _LABEL.match(label)
    if match is None:  # "neither"
        return label, "", ""
    parts = match["body"].split(" = ")
    return match["kind"], parts[0], parts[-1]


def _category(kind: str) -> str:
    if kind.startswith("data point"):
        return "data point"
    if kind.endswith("reflection") and not kind.startswith("generalized"):
        return "reflection"
    return "other"


def _with_values(construction: str, values) -> str:
    """The construction "R(R(x2, x3), x1)" with the names replaced by the values they stand
    for ("R(R(0, -1), 2)"); negative values in sums get parentheses ("4 + (-1) - 3")."""
    in_sum = not construction.startswith("R(")
    pair = re.fullmatch(r"\(([a-z]\d+) \+ ([a-z]\d+)\)/2", construction)
    if pair:  # a midpoint, the larger value first
        a, b = sorted((values[int(n[1:]) - 1] for n in pair.groups()), reverse=True)
        return f"({format_number(a, 6)} + {format_number(b, 6)})/2"

    def value(match):
        text = format_number(values[int(match[2]) - 1], 6)
        return f"({text})" if in_sum and text.startswith("-") else text

    return _NAME.sub(value, construction)


def point_names(value, data, tol: float = 1e-9, max_order: int = 2,
                max_reflections: int = 2) -> list[tuple[str, str]]:
    """All simple names of the point ``value`` in terms of the data, with the data values:
    [(kind, name), ...], e.g. [("midpoint", "(4 + 0)/2"), ("reflection", "R(0, 1)")].

    The first name is :func:`gaconvex.symbolic.label_point`'s (data point, midpoint,
    reflection R(a, b) = 2b - a, generalized reflection, reflection of a reflection; 002 Sec.
    1.2, 000 Thm 4.5).  When it is a midpoint, the order-1 reflections 2x_j - x_i = value
    (i != j) are searched as well and up to ``max_reflections`` of them added (mirror point
    x_j increasing): the paper explains such kinks (002 Fig. 3.5) as reflections although they
    are also midpoints.  [] if the point has no name within ``tol``.
    """
    from .symbolic import label_point

    data = np.asarray(data, dtype=float).ravel()
    label, _, _ = label_point(float(value), data, tol, max_order)
    kind, construction, _ = _split_label(label)
    if not construction:
        return []
    names = [(kind, _with_values(construction, data))]
    if kind.startswith("midpoint"):
        diff = np.abs(2 * data[None, :] - data[:, None] - float(value))  # [i, j]: 2x_j - x_i
        np.fill_diagonal(diff, np.inf)
        hits = sorted(zip(*np.nonzero(diff <= tol)), key=lambda ij: (data[ij[1]], data[ij[0]]))
        for i, j in hits[:max_reflections]:  # mirror points b in increasing order
            names.append(("reflection",
                          f"R({format_number(data[i], 6)}, {format_number(data[j], 6)})"))
    return names


def breakpoint_text(value, names) -> str:
    """"4 = R(0, 2)", "2 = (4 + 0)/2 = R(0, 1)" or "3 (data point)" for a kink at ``value``
    with ``names`` [(kind, name), ...]."""
    number = format_number(value)
    if any(_category(kind) == "data point" for kind, _ in names):
        return f"{number} (data point)"
    shown = [name for _, name in names]
    if not shown:
        return number
    return " = ".join([number, *dict.fromkeys(shown)])


def name_kinks(positions, data, tol: float = 1e-3) -> list[tuple[float, str, str]]:
    """Kinks at numeric ``positions`` (e.g. of an Adam-trained network,
    :func:`gaconvex.networks.breakpoints`) named by the data within ``tol``:
    [(value, category, text), ...] for :func:`plot_fit` / :func:`label_kinks`; the text gives
    the named point's value (0 for a kink found at 1e-4 next to the data point 0)."""
    import sympy as sp

    from .symbolic import label_point

    data = np.asarray(data, dtype=float).ravel()
    symbols = {sp.Symbol(f"x{k + 1}"): sp.Float(v) for k, v in enumerate(data)}
    out = []
    for value in positions:
        names = point_names(value, data, tol)
        category = _category(names[0][0]) if names else "other"
        if category == "other" and any(_category(k) == "reflection" for k, _ in names):
            category = "reflection"
        expr = label_point(float(value), data, tol)[2]  # the named point, written exactly
        named = float(expr.subs(symbols)) if expr is not None else value
        out.append((float(value), category, breakpoint_text(named, names)))
    return out


def fit_kinks(fit, x_range=None, tol: float = 1e-9) -> list[tuple[float, str, str]]:
    """The kinks of a 1-D convex fit's selected features as [(value, category, text), ...],
    sorted, one entry per position (names from several features are merged).

    Each breakpoint's structure comes from its feature (``ConvexFit.features()``, exact, in the
    feature's anchors) and is written with the anchors' data values; a midpoint that is also
    an order-1 reflection of the data gets both names (:func:`point_names`).  category is
    "data point", "reflection" or "other".  ``x_range`` = (lo, hi) keeps the kinks inside.
    """
    data = np.unique(fit.data.X[:, 0])
    merged: dict[float, list] = {}
    for feature in fit.features():
        anchors = feature.info.anchor_values
        for b in feature.breakpoints:
            value = float(b)
            if x_range is not None and not x_range[0] <= value <= x_range[1]:
                continue
            kind, construction, _ = _split_label(b.label)
            names = [(kind, _with_values(construction, anchors))] if construction else []
            if kind.startswith("midpoint"):
                names += [n for n in point_names(value, data, tol) if _category(n[0]) != "other"]
            key = next((k for k in merged if abs(k - value) <= tol * max(1.0, abs(value))), value)
            merged.setdefault(key, []).extend(names)
    out = []
    for value in sorted(merged):
        names = list(dict.fromkeys(merged[value]))
        category = min((_category(k) for k, _ in names), default="other",
                       key=["data point", "reflection", "other"].index)
        out.append((value, category, breakpoint_text(value, names)))
    return out


# -- drawing helpers ------------------------------------------------------------------------------
def _axes(ax, figsize=(6.4, 4.2)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def label_kinks(ax, kinks, *, max_rows: int = 4, fontsize: float = 7.0,
                label_data_points: bool = False, rug_above: int = 16) -> int:
    """Mark kinks [(value, category, text), ...] by vertical lines and write their texts above
    the axes, horizontally, each on the lowest of ``max_rows`` rows where it overlaps no other
    text (greedy interval placement in display coordinates).  Kinks at data points get a line
    and, only with ``label_data_points``, a text.  Texts that find no free row are dropped;
    returns their number (the lines stay).  With more than ``rug_above`` kinks the lines
    shrink to ticks at the top of the axes.  Also sets the title padding above the rows.
    """
    import matplotlib.transforms as mtransforms

    lo, hi = ax.get_xlim()
    shown = [k for k in kinks if lo <= k[0] <= hi]
    rug = len(shown) > rug_above  # many kinks: ticks above the axes, not lines across
    for value, category, _ in shown:
        if rug:
            ax.axvline(value, ymin=1.0, ymax=1.04, clip_on=False, **_KIND_STYLE[category])
        else:
            ax.axvline(value, zorder=1, **_KIND_STYLE[category])
    fig = ax.figure
    get_renderer = getattr(fig.canvas, "get_renderer", None)
    renderer = get_renderer() if get_renderer is not None else fig._get_renderer()
    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    row_height = fontsize * 1.5 * fig.dpi / 72  # pixels
    frame = ax.get_window_extent(renderer)
    axes_height = frame.height
    rows: list[list[tuple[float, float]]] = [[] for _ in range(max_rows)]
    dropped = used = 0
    for value, category, text in shown:
        if category == "data point" and not label_data_points:
            continue
        artist = ax.text(value, 1.0, text, transform=trans, ha="center", va="bottom",
                         fontsize=fontsize, color=_KIND_STYLE[category]["color"], clip_on=False)
        box = artist.get_window_extent(renderer)
        if box.x0 < frame.x0:  # keep the text above the axes
            artist.set_ha("left")
        elif box.x1 > frame.x1:
            artist.set_ha("right")
        box = artist.get_window_extent(renderer)
        span = (box.x0 - 3, box.x1 + 3)
        row = next((r for r in range(max_rows)
                    if all(span[1] < a or span[0] > b for a, b in rows[r])), None)
        if row is None:
            artist.remove()
            dropped += 1
            continue
        rows[row].append(span)
        used = max(used, row + 1)
        artist.set_y((1.04 if rug else 1.0) + (3 + row * row_height) / axes_height)
    ax.set_title(ax.get_title(), pad=6 + (0.04 * axes_height if rug else 0)
                 + used * row_height * 72 / fig.dpi)
    return dropped


def _kink_legend_handles(kinks, dropped: int):
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], **_KIND_STYLE[c], label=_KIND_LEGEND[c])
               for c in _KIND_LEGEND if any(k[1] == c for k in kinks)]
    if dropped:
        handles.append(Line2D([], [], ls="none",
                              label=f"{dropped} more kink label(s) left out (no room)"))
    return handles


def _legend_below(ax, handles=None, ncol: int = 3, fontsize: float = 7.0):
    """The legend in a frame below the axes (never over the data)."""
    kwargs = dict(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=ncol, fontsize=fontsize,
                  frameon=True)
    if handles is None:
        return ax.legend(**kwargs)
    return ax.legend(handles=handles, **kwargs)


def _curve_style(k: int, n_points: int) -> dict:
    """Curve k of several that may coincide: the first solid and wide, the others dashed,
    narrower, drawn on top, with markers at offsets that differ from curve to curve."""
    if k == 0:
        return dict(ls="-", lw=2.4, color="C0", zorder=3)
    every = max(n_points // 24, 1)
    return dict(ls=["--", ":", "-."][(k - 1) % 3], lw=1.5, color=f"C{k}", zorder=3 + k,
                marker="ox^s"[(k - 1) % 4], ms=3.5, mfc="none",
                markevery=(every * k // 3 % every, every))


def _grid(x, x_range, margin: float = 0.08):
    x = np.asarray(x, dtype=float)
    if x_range is None:
        span = float(np.ptp(x)) or 1.0
        x_range = (x.min() - margin * span, x.max() + margin * span)
    return np.linspace(*x_range, 1001)


def _draw_fit(ax, x, y, curves, kinks, *, grid, title, xlabel, ylabel, legend=True,
              extra_handles=()):
    """Data, curves {name: values on grid}, labelled kinks, axis labels, legend below."""
    for k, (name, values) in enumerate(curves.items()):
        ax.plot(grid, np.asarray(values, dtype=float), label=name, **_curve_style(k, grid.size))
    ax.plot(x, y, "o", color="k", ms=3.5, zorder=10, label="training data")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    dropped = label_kinks(ax, kinks)
    if legend:
        handles, _ = ax.get_legend_handles_labels()
        _legend_below(ax, [*handles, *extra_handles, *_kink_legend_handles(kinks, dropped)])
    return dropped


# -- figure functions ------------------------------------------------------------------------------
def plot_feature(family, anchor_values, signs=(), *, x_range=None, ax=None, title=None):
    """One feature f(x; anchors, signs) with its exact breakpoints labelled in the anchors
    (mathtext, e.g. 2a_1 - a_2 = 10) and the anchors marked on the axis (Library of Mirrors
    Fig. 3.1, 3.3, 3.4; labels from :func:`gaconvex.symbolic.breakpoints`)."""
    import gaconvex.symbolic as gs

    ax = _axes(ax)
    bps = gs.breakpoints(family, anchor_values, signs)
    values = [float(b) for b in bps] + [float(a) for a in anchor_values]
    grid = _grid(values, x_range, margin=0.2)
    kernel = gs.compile(family, "numpy")
    ax.plot(grid, kernel.column(grid, np.asarray(anchor_values, float), np.asarray(signs, float)),
            color="C0", lw=1.8, label="feature f(x)")
    ax.plot(np.asarray(anchor_values, float), np.zeros(len(anchor_values)), "k^", ms=6,
            zorder=10, label="anchors (data points)")
    kinks = []
    for b in bps:
        kind, _, combination = _split_label(b.label)
        kinks.append((float(b), _category(kind),
                      f"{math_label(combination)} = {format_number(float(b))}"))
    anchors = ", ".join(f"{math_label(f'a{i + 1}')} = {format_number(a)}"
                        for i, a in enumerate(anchor_values))
    ax.set_xlim(grid[0], grid[-1])
    ax.set_title(title or f"{family.architecture}: {anchors}", fontsize=9)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    dropped = label_kinks(ax, kinks, label_data_points=True)
    handles, _ = ax.get_legend_handles_labels()
    _legend_below(ax, [*handles, *_kink_legend_handles(kinks, dropped)], ncol=2)
    return ax


def plot_fit(x, y, curves: dict, *, breakpoints=(), x_range=None, ax=None, title=None,
             xlabel: str = "x", ylabel: str = "y"):
    """Data, fitted functions ``{name: callable grid -> values}`` and kinks, either
    [(value, text), ...] (text names the kink; its line style follows the words "data point"
    / "R(" in it) or [(value, category, text), ...] as from :func:`fit_kinks` (Library of
    Mirrors Fig. 3.2, 3.5: the minimum-norm Lasso model vs an Adam-trained network)."""
    ax = _axes(ax)
    grid = _grid(x, x_range)
    kinks = []
    for item in breakpoints:
        if len(item) == 3:
            kinks.append((float(item[0]), item[1], item[2]))
            continue
        value, text = item
        category = ("data point" if "data point" in text else
                    "reflection" if "R(" in text else "other")
        kinks.append((float(value), category, text))
    _draw_fit(ax, x, y, {name: f(grid) for name, f in curves.items()}, kinks, grid=grid,
              title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def _optimum_name(fit) -> str:
    """What the convex fit is: the proven global optimum of training, or the Lasso optimum
    over its (sampled) library."""
    cert = fit.certificate
    if cert is not None and cert.globally_optimal():
        return "global optimum"
    return "optimum over the sampled library" if fit.dictionary.sampled else "Lasso optimum"


def _fit_curves(fit, grid):
    return {f"convex fit ({_optimum_name(fit)})": fit.predict(grid)}


def _check_1d(fit):
    from ._validation import GaconvexError

    if fit.dictionary.dim != 1:
        raise GaconvexError(f"this figure draws fits of 1-D inputs; the fit has "
                            f"{fit.dictionary.dim}-dimensional inputs.")


def plot_convex_fit(fit, *, ax=None, title=None, x_range=None, xlabel: str = "x",
                    ylabel: str = "y"):
    """A 1-D :class:`gaconvex.ConvexFit`: data, the fitted function and the kinks of its
    selected features, named by the data values (:func:`fit_kinks`)."""
    _check_1d(fit)
    ax = _axes(ax)
    x = fit.data.X[:, 0]
    grid = _grid(x, x_range)
    kinks = fit_kinks(fit, (grid[0], grid[-1]))
    _draw_fit(ax, x, fit.data.y, _fit_curves(fit, grid), kinks, grid=grid,
              title=title if title is not None else f"{fit.architecture}, beta = "
                                                   f"{format_number(fit.beta)}",
              xlabel=xlabel, ylabel=ylabel)
    return ax


def _network_values(networks, grid) -> np.ndarray:
    """Outputs (R, n) of a batched (or (1, n) of an unbatched) torch network on the grid."""
    import torch

    with torch.no_grad():
        out = networks(torch.as_tensor(grid, dtype=torch.float64))
    return np.atleast_2d(out.detach().cpu().numpy())


def plot_fit_comparison(fit, training, *, ax=None, title=None, x_range=None,
                        xlabel: str = "x", ylabel: str = "y", legend: bool = True):
    """The convex fit (the global optimum) vs networks trained by Adam on the same objective:
    the best restart dashed with markers on top of the optimum, the other restarts thin, and
    the optimum's kinks labelled by the data.  ``training`` is a
    :class:`gaconvex.networks.TrainingResult` (any number of restarts)."""
    from matplotlib.lines import Line2D

    _check_1d(fit)
    ax = _axes(ax)
    x = fit.data.X[:, 0]
    grid = _grid(x, x_range)
    values = _network_values(training.networks, grid)
    finite = np.isfinite(training.objectives)
    best = training.best_index
    for r in np.flatnonzero(finite):
        if r != best:
            ax.plot(grid, values[r], color="C1", lw=0.7, alpha=0.45, zorder=2)
    curves = _fit_curves(fit, grid)
    curves[f"Adam, best of {finite.sum()} restarts (J = "
           f"{format_number(training.best_objective, 6)})"] = values[best]
    others = [Line2D([], [], color="C1", lw=0.7, alpha=0.45, label="Adam, other restarts")]
    _draw_fit(ax, x, fit.data.y, curves, fit_kinks(fit, (grid[0], grid[-1])), grid=grid,
              title=title if title is not None else
              f"{fit.architecture}: {_optimum_name(fit)} J* = {format_number(fit.objective, 6)}",
              xlabel=xlabel, ylabel=ylabel, legend=legend,
              extra_handles=others if finite.sum() > 1 else ())
    return ax


def plot_objective_curves(training, optimum=None, *, ax=None, title=None,
                          optimum_label: str = "global optimum (convex fit)"):
    """Training objective (1.1) of every restart against the step (log-scaled steps, the
    objective axis cut to the end game), the best restart highlighted, and the global optimum
    J* as a horizontal line: the gap that Adam leaves is visible at a glance."""
    ax = _axes(ax)
    history = np.asarray(training.history, dtype=float)
    steps = np.arange(1, history.shape[1] + 1)
    best = training.best_index
    for r in range(history.shape[0]):
        if r != best:
            ax.plot(steps, history[r], color="C1", lw=0.7, alpha=0.45)
    ax.plot(steps, history[best], color="C1", lw=1.6,
            label=f"Adam, best restart (final J = {format_number(training.best_objective, 6)})")
    if history.shape[0] > 1:
        ax.plot([], [], color="C1", lw=0.7, alpha=0.45, label="Adam, other restarts")
    if optimum is not None:
        ax.axhline(optimum, color="C0", lw=2.0, ls="-",
                   label=f"{optimum_label}: J* = {format_number(optimum, 6)}")
    final = np.asarray(training.objectives, dtype=float)
    final = final[np.isfinite(final)]
    lo = float(np.nanmin([np.nanmin(history), *([] if optimum is None else [optimum])]))
    hi = float(final.max()) if final.size else float(np.nanmax(history))
    span = max(hi - lo, 1e-3 * max(abs(lo), 1e-12))
    ax.set_ylim(lo - 0.3 * span, hi + 2.5 * span)  # the end game, not the first steps
    ax.set_xscale("log")
    ax.set_xlabel("Adam step")
    ax.set_ylabel("training objective J")
    ax.set_title(title or "training objective of the Adam restarts", fontsize=9)
    _legend_below(ax, ncol=1)
    return ax


def comparison_figure(rows, *, suptitle=None, xlabel: str = "x", ylabel: str = "y"):
    """One row per (fit, training) pair: the fit vs the Adam restarts vs the global optimum
    (:func:`plot_fit_comparison`) and the objective curves (:func:`plot_objective_curves`).
    The figure of ``gaconvex demo``."""
    import matplotlib.pyplot as plt

    rows = list(rows)
    fig, axes = plt.subplots(len(rows), 2, figsize=(13, 5.6 * len(rows)), squeeze=False,
                             gridspec_kw=dict(width_ratios=(1.6, 1)))
    fig.subplots_adjust(hspace=0.85, wspace=0.22, top=0.86, bottom=0.12)
    for (fit, training), (left, right) in zip(rows, axes):
        plot_fit_comparison(fit, training, ax=left, xlabel=xlabel, ylabel=ylabel)
        plot_objective_curves(training, fit.objective, ax=right,
                              title=f"{fit.architecture}: objective during training",
                              optimum_label=f"convex fit ({_optimum_name(fit)})")
    if suptitle:
        fig.suptitle(suptitle, fontsize=11, y=0.995)
    return fig


def plot_decision_map(predict, X, y, *, ax=None, title=None, breaklines=(), extent=None,
                      resolution: int = 200, legend: bool = True):
    """Decision regions {f > 0} and {f < 0} of a model f on R^2 (``predict``: (N, 2) points ->
    (N,) values), the training points by the sign of their label, and optional breaklines:
    pairs (w, b), each the line <w, x> + b = 0 of a ReLU neuron (001 Figs. 7, 8, 11, 12).
    Returns the (resolution, resolution) values of f on the grid, rows along x_2."""
    from matplotlib.lines import Line2D

    ax = _axes(ax, figsize=(4.6, 4.6))
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if extent is None:
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.15 * np.maximum(hi - lo, 1e-9)
        extent = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
    g1 = np.linspace(extent[0], extent[1], resolution)
    g2 = np.linspace(extent[2], extent[3], resolution)
    G1, G2 = np.meshgrid(g1, g2)
    F = np.asarray(predict(np.column_stack([G1.ravel(), G2.ravel()])), dtype=float)
    F = F.reshape(G1.shape)
    ax.contourf(G1, G2, np.sign(F), levels=[-1.5, 0, 1.5], colors=["#f4c7c3", "#c6dbef"])
    ax.contour(G1, G2, F, levels=[0], colors="0.25", linewidths=0.8)
    handles = []
    draw_lines(ax, breaklines, extent, color="C2", lw=0.9, ls="--")
    if len(breaklines):
        handles.append(Line2D([], [], color="C2", lw=0.9, ls="--",
                              label=f"breaklines of the active neurons ({len(breaklines)} "
                                    f"line{'s' if len(breaklines) > 1 else ''})"))
    pos = y > 0
    ax.scatter(*X[pos].T, marker="+", s=40, color="C0", lw=1.4, zorder=3)
    ax.scatter(*X[~pos].T, marker="x", s=30, color="C3", lw=1.4, zorder=3)
    handles += [Line2D([], [], marker="+", ls="", color="C0", label="label y > 0"),
                Line2D([], [], marker="x", ls="", color="C3", label="label y <= 0"),
                Line2D([], [], color="0.25", lw=0.8, label="decision boundary f(x) = 0")]
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title, fontsize=9)
    if legend:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2,
                  fontsize=7.0, frameon=True)
    return F


def distinct_lines(W, b, rtol: float = 1e-9) -> list:
    """The distinct lines <w, x> + b = 0 of neurons (W (m, 2), b (m,)), as (w, b) pairs with
    ||w||_2 = 1 and the largest |w_i| positive (both orientations of one line count once);
    neurons with w = 0 have no line."""
    lines = []
    for w, c in zip(np.asarray(W, dtype=float), np.asarray(b, dtype=float)):
        norm = np.linalg.norm(w)
        if norm == 0:
            continue
        w, c = w / norm, c / norm
        if w[np.argmax(np.abs(w))] < 0:
            w, c = -w, -c
        if not any(np.allclose(np.r_[w, c], np.r_[v, e], rtol=0, atol=10 * rtol)
                   for v, e in lines):
            lines.append((w, c))
    return lines


def neuron_lines(network, rtol: float = 1e-9) -> list:
    """:func:`distinct_lines` of a 2-layer network's units with a nonzero output weight (the
    breaklines of its active neurons), for :func:`plot_decision_map`."""
    W = network.weights[0].detach().cpu().numpy()[:, :, 0]
    b = network.biases[0].detach().cpu().numpy()[:, 0, 0]
    live = network.output_weights.detach().cpu().numpy() != 0
    return distinct_lines(W[live], b[live], rtol)


def draw_lines(ax, lines, extent, **style):
    """Draw the lines <w, x> + b = 0 across the box ``extent`` = (x1 min, x1 max, x2 min,
    x2 max)."""
    g1 = np.linspace(extent[0], extent[1], 2)
    g2 = np.linspace(extent[2], extent[3], 2)
    for w, b in lines:
        if abs(w[1]) >= abs(w[0]):
            ax.plot(g1, -(b + w[0] * g1) / w[1], **style)
        else:
            ax.plot(-(b + w[1] * g2) / w[0], g2, **style)


def save_figure(fig, path, dpi: int = 130):
    """Write ``fig`` to ``path`` (PNG by its suffix), with everything outside the axes (kink
    labels, legends) inside the picture, and close it.  Returns the path."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
