"""Reflection planes of deep abs networks on 2-D data (Black Boxes and Looking Glasses, Figs. 2, 3).

Fig. 2: the 3-layer deep narrow abs feature f(x) = ||(x - x_1) W| - |(x_2 - x_1) W|| with W
orthogonal to x_3 - x_1 (000 Thm 4.1, Thm 4.3 corrected): it vanishes on the planes through x_2
and through its reflection R(x_2, x_1) = 2x_1 - x_2, and is mirror-symmetric about the ridge
through x_1.  Drawn from the reflection-plane family's own unit and breakplanes.

Fig. 3 (000 Sec. 5.1): on x_1 = (2, 0), x_2 = (0, 0), x_3 = (-1, 0), x_4 = (-1.75, 0) with the
paper's targets for L = 3, 4, 5, the data are projected onto the first axis and the minimum-norm
problem (14) (beta -> 0) is solved exactly with the 1-D deep abs library.  A 2-D deep narrow abs
network (000 eq. (3), m = 100 chains) is then trained with Adam (beta = 1e-7, lr 5e-3, weight
decay 1e-4, full batch, as in the paper); one chain is pre-initialized with the min-norm
solution's largest feature (its first-layer weight's second coordinate random), all others at
PyTorch's default initialization.  The paper trains its "standard" network (13); the deep narrow
network (3) is the one the theory and this library's reconstruction speak about, so it is used
here.  Figures: the trained networks over R^2 with their breaklines at the data points and at
predicted reflections of them (the min-norm solution's breakpoints), the 1-D slice x_2 = 0
against the Lasso model, and the printed breakpoints of each trained network with their
minimal reflection orders w.r.t. the data (chain and tree readings, gaconvex.symbolic),
each named when it lies within 0.1 of a data point or a reflection of order <= 4 (at L = 5
these candidates are dense on the data's scale, so the names there are suggestive only).

Run:  python examples/reflection_planes_2d.py [--out figures] [--steps 1000] [--smoke]
"""
from __future__ import annotations

import argparse
import dataclasses
from fractions import Fraction
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402
import torch  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

import gaconvex.symbolic as gs  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex.networks import (ParallelNetwork, breakpoints, reconstruct,  # noqa: E402
                               train_nonconvex)
from gaconvex.plotting import format_number, name_kinks, plot_fit, save_figure  # noqa: E402
from gaconvex.symbolic.reflections import reflection_order  # noqa: E402

BETA = 1e-7
LABEL_TOL = 0.1  # a trained kink is named by a data point or reflection within this distance
POINTS = np.array([[2.0, 0.0], [0.0, 0.0], [-1.0, 0.0], [-1.75, 0.0]])
TARGETS = {3: [2.0, 0.0], 4: [2.0, 0.0, -1.0], 5: [1.75, 0.25, 0.75, -1.75]}
PLANE_STYLE = {"data": dict(color="k", ls="-", lw=1.2),
               "reflection": dict(color="C3", ls="--", lw=1.4),
               "ridge": dict(color="C2", ls=":", lw=1.4)}
PLANE_TEXT = {"data": "plane through the data point", "reflection": "plane through the reflection",
              "ridge": "mirror plane (ridge) through"}


def _math(label: str) -> str:
    """'R(x[1], x[0]) = 2x[0] - x[1]' -> mathtext with 1-based subscripts."""
    import re

    return "$" + re.sub(r"x\[(\d+)\]", lambda m: f"x_{{{int(m.group(1)) + 1}}}", label) + "$"


def figure_2(out: Path, resolution: int) -> None:
    """The 3-layer feature of Fig. 2 with its three planes."""
    X = np.array([[-0.5, -0.8], [0.9, 0.6], [0.3, 1.2]])  # x_1, x_2, x_3 (the paper gives none)
    arch = gs.architecture("abs", 3, dim=2)
    family = gs.derive(arch).families[0]
    anchors = np.vstack([X[0], X[1], X[2] - X[0]])  # x' = x_1, x_j0 = x_2, Delta = x_3 - x_1
    index = (0, 1, 0, 3 * 2 + 0)  # j_-1, j_0, data x', direction code of x_3 - x'
    (W, b1), (_, b2) = family.unit(anchors.ravel())
    planes = family.breakplanes(anchors.ravel(), index)
    extent = (-3.0, 3.0, -3.0, 3.0)
    g = np.linspace(extent[0], extent[1], resolution)
    G1, G2 = np.meshgrid(g, g)
    P = np.column_stack([G1.ravel(), G2.ravel()])
    F = family.evaluate(P, W.T, b1[0], b2[0]).reshape(G1.shape)
    fig, ax = plt.subplots(figsize=(5.6, 5.4))
    image = ax.contourf(G1, G2, F, levels=30, cmap="viridis")
    fig.colorbar(image, ax=ax, shrink=0.8, label="$f(\\mathbf{x})$")
    handles = _draw_planes(ax, planes, extent)
    ax.scatter(*X.T, color="w", edgecolor="k", s=45, zorder=4)
    for k, p in enumerate(X):
        ax.annotate(f"$x_{k + 1}$", p, xytext=(5, 5), textcoords="offset points", color="w",
                    fontsize=11)
    _finish(ax, extent, handles, "3-layer abs feature: distance to two reflection planes")
    save_figure(fig, out / "fig2_three_layer_feature.png")


def _draw_planes(ax, planes, extent):
    t = np.linspace(-20, 20, 2)
    handles, seen = [], set()
    for plane in planes:
        line = plane.line_2d(t)
        ax.plot(*line.T, **PLANE_STYLE[plane.kind])
        if plane.kind not in seen:
            seen.add(plane.kind)
        handles.append(Line2D([], [], **PLANE_STYLE[plane.kind],
                              label=f"{PLANE_TEXT[plane.kind]} {_math(plane.label)}"))
    return handles


def _finish(ax, extent, handles, title):
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$ (first coordinate)")
    ax.set_ylabel("$x_2$ (second coordinate)")
    ax.set_title(title, fontsize=10)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8,
              ncol=1, frameon=True)


def min_norm_fit(L: int):
    """Exact min-norm fit (14) of the 1-D projected data with the depth-L abs library (not
    deduplicated: equal columns of different depth are different features off the data), and
    the min-norm solution to pre-initialize from: the single feature a f_i + c (|a| = the
    min-norm value) with the highest reflection order when one exists (000 Sec. 5.1: the L = 3
    data are fitted both by 2 - |x - 2| and by the reflection solution 2 - ||x| - 2|), else
    the LP's vertex solution."""
    y = np.array(TARGETS[L])
    x = POINTS[:len(y), 0]
    fit = convex_fit(x, y, gs.architecture("abs", L), 0.0, deduplicate=False)
    D, sol = fit.dictionary, fit.solution
    A = D.to_dense()
    best, best_order = None, -1
    for i in range(D.n_columns):
        M = np.column_stack([A[:, i], np.ones_like(y)])
        (a, c), *_ = np.linalg.lstsq(M, y, rcond=None)
        if np.abs(M @ [a, c] - y).max() > 1e-9 or abs(abs(a) - sol.objective) > 1e-9:
            continue
        info = D.column_info(i)
        order = max(b.order or 0 for b in gs.breakpoints(info.family, info.anchor_values,
                                                         info.signs))
        if order > best_order:
            z = np.zeros(D.n_columns)
            z[i] = a
            best, best_order = dataclasses.replace(sol, z=z, xi=float(c), fitted=A @ z + c), order
    return x, y, fit, best or sol


def lift_to_2d(net1d: ParallelNetwork, generator: torch.Generator) -> ParallelNetwork:
    """The units of a 1-D network as units on R^2: W^(1) = (w, random second coordinate)."""
    W = [w.detach().numpy() for w in net1d.weights]
    b = [c.detach().numpy() for c in net1d.biases]
    second = (2 * torch.rand(net1d.n_units, generator=generator, dtype=torch.float64) - 1) / 2**0.5
    units = []
    for i in range(net1d.n_units):
        first = np.array([[W[0][i, 0, 0]], [float(second[i])]])
        units.append([(first, b[0][i])] + [(W[l][i], b[l][i]) for l in range(1, len(W))])
    return ParallelNetwork.from_units(units, net1d.alpha.detach().numpy(), "abs",
                                      xi=float(net1d.xi.detach()))


def slice_network(net: ParallelNetwork) -> ParallelNetwork:
    """The 2-D network restricted to the line x_2 = 0, as a 1-D network (first coordinate)."""
    W = [w.detach().numpy() for w in net.weights]
    b = [c.detach().numpy() for c in net.biases]
    units = [[(W[0][i, :1], b[0][i])] + [(W[l][i], b[l][i]) for l in range(1, len(W))]
             for i in range(net.n_units)]
    return ParallelNetwork.from_units(units, net.alpha.detach().numpy(), "abs",
                                      xi=float(net.xi.detach()))


def train(L: int, fit, sol, x, y, steps: int, width: int, seed: int = 0):
    """Adam on objective (2) from one pre-initialized chain plus width - 1 default ones."""
    best = int(np.argmax(np.abs(sol.z)))
    z = np.zeros_like(sol.z)
    z[best] = sol.z[best]
    one = reconstruct(fit.dictionary, dataclasses.replace(sol, z=z))

    def factory(generator):
        rand = ParallelNetwork.deep_narrow(width - 1, L, "abs", in_features=2,
                                           generator=generator)
        with torch.no_grad():  # small random units: their kinks start (and mostly stay) faint
            rand.alpha.mul_(1e-2)
        return ParallelNetwork.concatenate([lift_to_2d(one, generator), rand])

    X2 = np.column_stack([x, np.zeros_like(x)])
    result = train_nonconvex(factory, X2, y, BETA, lr=5e-3, steps=steps, restarts=1, seed=seed,
                             optimizer_options={"weight_decay": 1e-4}, norm=1)
    return result.best_network


def _orders(expr, n):
    """(chain, tree) minimal reflection orders of a label's expression in x1..xN."""
    if expr is None:
        return None, None
    coeffs = [Fraction(str(sp.nsimplify(expr.coeff(sp.Symbol(f"x{k + 1}"))))) for k in range(n)]
    return tuple(reflection_order(coeffs, max_order=8, reading=r) for r in ("chain", "tree"))


def figure_3(out: Path, steps: int, width: int, resolution: int) -> None:
    extent = (-4.5, 4.5, -3.0, 3.0)
    g1, g2 = np.linspace(*extent[:2], resolution), np.linspace(*extent[2:], resolution)
    G1, G2 = np.meshgrid(g1, g2)
    P = np.column_stack([G1.ravel(), G2.ravel()])
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.6))
    fig.subplots_adjust(wspace=0.35)
    slices = []
    for ax, L in zip(axes, (3, 4, 5)):
        x, y, fit, sol = min_norm_fit(L)
        net = train(L, fit, sol, x, y, steps, width)
        with torch.no_grad():
            F = net(P).numpy().reshape(G1.shape)
        image = ax.contourf(G1, G2, F, levels=30, cmap="viridis")
        fig.colorbar(image, ax=ax, shrink=0.7, pad=0.03, label="network output")
        lasso_kinks = _solution_kinks(fit, sol)
        predicted = [v for v in lasso_kinks if not np.any(np.isclose(v, x))]
        for v in x:
            ax.axvline(v, **PLANE_STYLE["data"])
        for v in predicted:
            ax.axvline(v, **PLANE_STYLE["reflection"])
        ax.scatter(x, np.zeros_like(x), c=y, cmap="viridis", edgecolor="w", s=60, zorder=4)
        handles = [Line2D([], [], **PLANE_STYLE["data"], label="data points"),
                   Line2D([], [], **PLANE_STYLE["reflection"],
                          label=f"predicted reflections ({len(predicted)}, min-norm solution)")]
        _finish(ax, extent, handles, f"{L}-layer abs network trained by Adam")
        kinks = breakpoints(slice_network(net), x, tol=0.05, label_tol=LABEL_TOL, max_order=4)
        kinks = [k for k in kinks if extent[0] <= k.position <= extent[1]]
        slices.append((L, x, y, fit, sol, net, kinks))
    fig.suptitle("Deep abs networks on 2-D data break at data points and at reflections of "
                 "them (Black Boxes and Looking Glasses, Fig. 3)", y=0.93)
    save_figure(fig, out / "fig3_trained_networks_2d.png")
    fig, axes = plt.subplots(3, 1, figsize=(7.5, 15))
    fig.subplots_adjust(hspace=0.75)
    for ax, (L, x, y, fit, sol, net, kinks) in zip(axes, slices):
        lo, hi = extent[:2]
        found = [k.position for k in kinks]
        lasso = lambda g, D=fit.dictionary, s=sol: D.evaluate(g) @ s.z + s.xi  # noqa: E731
        def adam(g, net=net):
            return net(np.column_stack([g, np.zeros_like(g)])).detach().numpy()
        plot_fit(x, y, {"minimum-norm Lasso (1-D)": lasso, "Adam-trained network": adam},
                 breakpoints=name_kinks(found, x, tol=LABEL_TOL), ax=ax, x_range=(lo, hi),
                 title=f"{L} layers: slice $x_2 = 0$", xlabel="$x_1$", ylabel="$f(x_1, 0)$")
    save_figure(fig, out / "fig3_slices.png")
    for L, x, y, fit, sol, net, kinks in slices:
        lasso_kinks = _solution_kinks(fit, sol)
        print(f"{L}-layer network: min-norm value {fit.objective:.6g}; min-norm breakpoints "
              f"{[format_number(v) for v in lasso_kinks]}; breakpoints of the trained network "
              "on x_2 = 0 (chain / tree reflection order w.r.t. the data):")
        for k in kinks:
            chain, tree = _orders(k.expression, len(x))
            orders = "-" if chain is None and tree is None else f"{chain} / {tree}"
            print(f"   x_1 = {format_number(k.position, 5):>8}  {k.label or 'neither'}"
                  f"  [order {orders}]")
        print(f"   ({len(kinks)} breakpoints in the plotted range)")


def _solution_kinks(fit, sol):
    """Sorted breakpoints of the features a min-norm solution uses (exact, from their family)."""
    D = fit.dictionary
    out = set()
    for i in np.flatnonzero(sol.z):
        info = D.column_info(int(i))
        out |= {float(b) for b in gs.breakpoints(info.family, info.anchor_values, info.signs)}
    return sorted(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--smoke", action="store_true",
                        help="fewer Adam steps, chains and grid points: the same code in seconds")
    args = parser.parse_args(argv)
    resolution = 200
    if args.smoke:
        args.steps, args.width, resolution = 60, 12, 60
    args.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    figure_2(args.out, resolution)
    figure_3(args.out, args.steps, args.width, resolution)
    print(f"figures written to {args.out}/")


if __name__ == "__main__":
    main()
