"""Breaklines of the optimal neurons on the diamond ("From Complexity to Clarity", Sec. 3.7,
Fig. 7, panels a-d, plus the biased l1 network).

Data x_1 = (1, 0), x_2 = (0, 1), x_3 = (-1, 0), x_4 = (0, -1) with targets y = (1, 2, 3, 4),
beta -> 0 (the minimum-norm interpolation limit, ``convex_fit(..., beta=0)``).  Each panel shows
every candidate neuron of the theorem's dictionary as a dashed line <w, x> + b = 0 (two
orientations of a neuron are one line), the breaklines of the neurons the optimum uses as
solid lines, and the fitted function as the background:

* (a) 2-layer ReLU without biases, p = 1 (Thm 2): neurons are Hodge duals of data points and
  of e_1, e_2, so every breakline passes through the origin and a data point (2 lines);
* (c) 2-layer ReLU with biases, p = 2 (Thm 3): one breakline through each pair of data points
  (6 lines);
* the biased p = 1 network (Thm 16): the pair lines and the lines through each data point
  parallel to e_1 or e_2 (10 lines);
* (b) 3-layer ReLU, bias-free first layer (Thm 12): first-layer neurons are duals of the
  differences of data points, lines through the origin parallel to a pair of data points
  (4 lines: the axes and the diagonals);
* (d) 3-layer ReLU with biases (Thm 13, experimental in gaconvex: not proven exact): the pair
  directions and the axes translated to every data point (10 distinct lines).

For the 3-layer networks the lines are the first layer's breaklines <w, x> + b = 0 (the
second layer adds a parallel kink through the anchor x_j0).

Run:  python examples/diamond_breaklines.py [--out figures] [--smoke]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

import gaconvex.symbolic as gs  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex.datasets.synthetic import diamond_points  # noqa: E402
from gaconvex.dictionaries import build_dictionary  # noqa: E402
from gaconvex.plotting import distinct_lines, draw_lines, neuron_lines, save_figure  # noqa: E402

TARGETS = np.array([1.0, 2.0, 3.0, 4.0])
PANELS = (("(a) 2 layers, no biases, p = 1 (Thm 2)", 2, 1, False),
          ("(b) 3 layers, bias-free first layer (Thm 12)", 3, 1, False),
          ("(c) 2 layers, biases, p = 2 (Thm 3)", 2, 2, True),
          ("(d) 3 layers, biases (Thm 13)", 3, 1, True),
          ("2 layers, biases, p = 1 (Thm 16)", 2, 1, True))
EXTENT = (-1.8, 1.8, -1.8, 1.8)


def panel(ax, title, depth, p, bias, resolution):
    """One panel; returns (candidate lines, active lines, the fit)."""
    X = diamond_points()
    arch = gs.architecture("relu", depth, dim=2, norm=p, bias=bias)
    fit = convex_fit(X, TARGETS, arch, 0.0)
    block = build_dictionary(X, arch, deduplicate=False).blocks[0]  # every candidate neuron,
    candidates = distinct_lines(block.weights, block.bias)  # also those equal on the data
    active = neuron_lines(fit.network)
    g = np.linspace(EXTENT[0], EXTENT[1], resolution)
    G1, G2 = np.meshgrid(g, g)
    F = fit.predict(np.column_stack([G1.ravel(), G2.ravel()])).reshape(G1.shape)
    image = ax.contourf(G1, G2, F, levels=20, cmap="Greys", alpha=0.55)
    draw_lines(ax, candidates, EXTENT, color="C0", lw=0.8, ls="--", alpha=0.7)
    draw_lines(ax, active, EXTENT, color="C0", lw=2.0)
    ax.scatter(*X.T, color="C3", s=40, zorder=3)
    for i, x in enumerate(X):
        ax.annotate(f"$x_{i + 1}$", x, textcoords="offset points", xytext=(6, 6), fontsize=9,
                    color="C3")
    ax.set_xlim(EXTENT[:2])
    ax.set_ylim(EXTENT[2:])
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"{title}\n{len(candidates)} candidate lines, {len(active)} used by the optimum",
                 fontsize=9)
    plt.colorbar(image, ax=ax, shrink=0.7, label="fitted f(x)")
    return candidates, active, fit


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--smoke", action="store_true", help="a coarser background grid")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(2, 3, figsize=(15.6, 9.6))
    fig.subplots_adjust(wspace=0.35, hspace=0.4)
    axes = axes.ravel()
    axes[-1].set_axis_off()
    result = {}
    for ax, (title, depth, p, bias) in zip(axes, PANELS):
        candidates, active, fit = panel(ax, title, depth, p, bias, 60 if args.smoke else 240)
        result[(depth, p, bias)] = {"candidates": candidates, "active": active, "fit": fit}
        print(f"{title}: {len(candidates)} candidate breaklines, {len(active)} active; "
              f"min-norm value {fit.objective:.6g}")
    handles = [Line2D([], [], color="C0", lw=0.8, ls="--", label="breakline of a candidate neuron"),
               Line2D([], [], color="C0", lw=2.0, label="breakline of an optimal neuron"),
               Line2D([], [], color="C3", marker="o", ls="", label="training points")]
    fig.legend(handles=handles, loc="lower center", ncol=3, bbox_to_anchor=(0.5, 0.0),
               fontsize=9)
    fig.suptitle(r"Diamond, $\beta \to 0$: the optimal (first-layer) neurons' breaklines pass through the "
                 "data (targets y = (1, 2, 3, 4))", fontsize=11)
    save_figure(fig, args.out / "diamond_breaklines.png")
    return result


if __name__ == "__main__":
    main()
