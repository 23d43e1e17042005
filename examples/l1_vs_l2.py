"""l1 vs l2 regularized ReLU networks on XOR and a spiral ("From Complexity to Clarity",
Sec. 4.2, Figs. 11 and 12).

The globally optimal biased 2-layer ReLU networks with the l1 first-layer penalty (p = 1, the
exact wedge Lasso of the general-d Thm 16) and with weight decay (p = 2, the wedge Lasso of
Thm 3 / 5, an upper bound on the p = 2 optimum), both through ``convex_fit``:

* XOR, the corners (+-1, +-1) with labels x_1 x_2, beta = 0.1: the two decision maps agree
  (the paper's claim; printed as the agreeing fraction of a 200 x 200 grid) and every active
  breakline passes through two data points (a diagonal of the square);
* a two-arm spiral of 30 points (24 with --smoke): the decision maps of p = 1 and p = 2 for
  several beta; they differ for large beta and nearly coincide for small beta, where both
  must interpolate (the agreeing fraction is printed in each title).

Run:  python examples/l1_vs_l2.py [--out figures] [--smoke]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import gaconvex.symbolic as gs  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex.datasets.synthetic import two_spirals, xor_points  # noqa: E402
from gaconvex.plotting import (format_number, neuron_lines, plot_decision_map,  # noqa: E402
                               save_figure)

XOR_BETA = 0.1
SPIRAL_BETAS = (1e-3, 3e-2, 0.3)


def fit_pair(X, y, beta):
    """The optimal biased networks for p = 1 and p = 2: {p: ConvexFit}."""
    return {p: convex_fit(X, y, gs.architecture("relu", 2, dim=2, norm=p), beta) for p in (1, 2)}


def _name(p):
    return r"$\ell_1$ (p = 1)" if p == 1 else r"$\ell_2$ (p = 2, weight decay)"


def xor_figure(out: Path) -> dict:
    """Fig. 11: decision maps of p = 1 and p = 2 on XOR; returns the agreement and the
    number of data points on each active breakline."""
    X, y = xor_points()
    fits = fit_pair(X, y, XOR_BETA)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 5.2))
    maps, through = {}, {}
    extent = (-1.6, 1.6, -1.6, 1.6)
    for ax, (p, fit) in zip(axes, fits.items()):
        lines = neuron_lines(fit.network)
        maps[p] = plot_decision_map(fit.predict, X, y, ax=ax, breaklines=lines, extent=extent,
                                    title=f"{_name(p)}: J* = {format_number(fit.objective, 5)}")
        through[p] = [int(np.sum(np.abs(X @ w + b) < 1e-9)) for w, b in lines]
    agree = float(np.mean(np.sign(maps[1]) == np.sign(maps[2])))
    fig.suptitle(f"XOR, optimal biased ReLU networks at $\\beta$ = {format_number(XOR_BETA)}: the "
                 f"decision maps agree on {100 * agree:.1f} % of the grid", fontsize=10)
    save_figure(fig, out / "l1_vs_l2_xor.png")
    print(f"XOR: decision maps agree on {100 * agree:.2f} % of the grid; data points on each "
          f"active breakline: p = 1 {through[1]}, p = 2 {through[2]}")
    return {"agreement": agree, "points_on_lines": through}


def spiral_figure(out: Path, n: int, betas=SPIRAL_BETAS) -> dict:
    """Fig. 12: decision maps of p = 1 (top) and p = 2 (bottom) on a spiral for each beta;
    returns {beta: agreeing fraction of the grid}."""
    X, y = two_spirals(n, turns=1.0)
    fig, axes = plt.subplots(2, len(betas), figsize=(4.4 * len(betas), 10.0), squeeze=False)
    fig.subplots_adjust(hspace=0.62, wspace=0.32)
    agreement = {}
    for col, beta in enumerate(betas):
        fits = fit_pair(X, y, beta)
        maps = {}
        for row, (p, fit) in enumerate(fits.items()):
            maps[p] = plot_decision_map(
                fit.predict, X, y, ax=axes[row, col], legend=row == 1 and col == len(betas) // 2,
                title=f"{_name(p)}, $\\beta$ = {format_number(beta)}\n"
                      f"J* = {format_number(fit.objective, 5)}, {fit.support.size} neurons")
        agreement[beta] = float(np.mean(np.sign(maps[1]) == np.sign(maps[2])))
        axes[0, col].text(0.5, 1.28, f"maps agree on {100 * agreement[beta]:.1f} % of the grid",
                          transform=axes[0, col].transAxes, ha="center", fontsize=9)
    fig.suptitle(f"Spiral ({n} points): optimal $\\ell_1$ and $\\ell_2$ regularized ReLU "
                 "networks", fontsize=11, y=0.98)
    save_figure(fig, out / "l1_vs_l2_spiral.png")
    print("spiral: agreement of the p = 1 and p = 2 decision maps: "
          + ", ".join(f"beta {b:g}: {100 * a:.1f} %" for b, a in agreement.items()))
    return agreement


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--smoke", action="store_true", help="a 24-point spiral, two betas")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    xor = xor_figure(args.out)
    spiral = spiral_figure(args.out, 24 if args.smoke else 30,
                           SPIRAL_BETAS[::2] if args.smoke else SPIRAL_BETAS)
    return {"xor": xor, "spiral": spiral}


if __name__ == "__main__":
    main()
