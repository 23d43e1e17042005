"""Pictures that say more than numbers: features with their labelled breakpoints, and fitted
functions (Lasso model vs trained network) with the reflections their kinks sit on.

matplotlib is imported when a function runs, never at ``import gaconvex``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["plot_feature", "plot_fit"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5, 3.5))
    return ax


def _mark(ax, points, color, y_text):
    """Vertical dashed lines at ``points`` [(value, text), ...], text rotated at the top."""
    for value, text in points:
        ax.axvline(float(value), color=color, ls="--", lw=0.8, alpha=0.7)
        ax.annotate(text, (float(value), y_text), rotation=90, fontsize=7, color=color,
                    ha="right", va="top", xycoords=("data", "axes fraction"))


def plot_feature(family, anchor_values, signs=(), *, x_range=None, ax=None, title=None):
    """One feature f(x; anchors, signs) with its exact breakpoints and their reflection labels
    (002 Fig. 3.1, 3.3, 3.4; labels from :func:`gaconvex.symbolic.breakpoints`)."""
    import gaconvex.symbolic as gs

    ax = _axes(ax)
    bps = gs.breakpoints(family, anchor_values, signs)
    values = [float(b) for b in bps] + [float(a) for a in anchor_values]
    lo, hi = x_range or (min(values) - 2, max(values) + 2)
    grid = np.linspace(lo, hi, 1001)
    kernel = gs.compile(family, "numpy")
    ax.plot(grid, kernel.column(grid, np.asarray(anchor_values, float), np.asarray(signs, float)),
            color="C0", lw=1.6)
    ax.plot(anchor_values, np.zeros(len(anchor_values)), "k^", ms=6, label="anchors (data)")
    _mark(ax, [(b.value, f"{b.expr}  [{b.label.split(' ')[0]}]") for b in bps], "C3", 0.98)
    ax.set_title(title or f"{family.architecture}: anchors {tuple(anchor_values)}", fontsize=9)
    ax.set_xlabel("x")
    ax.legend(fontsize=7, loc="lower right")
    return ax


def plot_fit(x, y, curves: dict, *, breakpoints=(), x_range=None, ax=None, title=None):
    """Data, fitted functions ``{name: callable}`` and labelled kinks [(value, label), ...]
    (002 Fig. 3.2, 3.5: Lasso model vs Adam-trained network)."""
    ax = _axes(ax)
    x = np.asarray(x, dtype=float)
    lo, hi = x_range or (x.min() - 2, x.max() + 2)
    grid = np.linspace(lo, hi, 1001)
    styles = ["-", "--", ":", "-."]
    for k, (name, f) in enumerate(curves.items()):
        ax.plot(grid, np.asarray(f(grid), dtype=float), styles[k % 4], lw=1.6, label=name)
    ax.plot(x, y, "ko", ms=5, label="training data")
    _mark(ax, breakpoints, "C3", 0.98)
    ax.set_title(title or "", fontsize=9)
    ax.set_xlabel("x")
    ax.legend(fontsize=7, loc="lower right")
    return ax
