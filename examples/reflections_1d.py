"""Reflections in deep networks on 1-D data (Library of Mirrors, Fig. 3.1, 3.2 and 3.5).

Fig. 3.1: 3- and 4-layer deep narrow abs features and their breakpoints: data points,
reflections R(a, b) = 2b - a, and a reflection of a reflection, derived exactly.
Fig. 3.2: on x = (2, 0, -1), y = (2, 0, 1) the minimum-norm Lasso (beta -> 0) picks one
feature; a network whose first unit starts at the reconstructed optimum and whose other units
start at random is trained with Adam (beta = 1e-7, lr 5e-3, weight decay 1e-4, as in the
paper) and keeps kinks at the reflections 4 = R(0, 2) (L = 3) and 6 = R(R(0, -1), 2) (L = 4), which are not data points.
Fig. 3.5: symmetrized 3-layer ReLU on x = (4, 3, 1, 0, -1), y = (2, 1, 0, 0, 1): a kink at
2 = R(0, 1), which is also the midpoint (4 + 0)/2; the figure says both.

All figures go through gaconvex.plotting (kinks named by the data, labels above the axes,
legends below, the Adam curve dashed with markers on top of the Lasso curve).

Run:  python examples/reflections_1d.py [--out figures] [--steps 3000] [--smoke]
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import gaconvex.symbolic as gs  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex.networks import ParallelNetwork, breakpoints, reconstruct, train_nonconvex  # noqa: E402
from gaconvex.plotting import format_number, name_kinks, plot_feature, plot_fit, save_figure  # noqa: E402

BETA = 1e-7


def figure_3_1(out: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    fig.subplots_adjust(wspace=0.3, top=0.78)
    abs3 = gs.derive(gs.architecture("abs", 3, midpoints=False)).families[0]
    abs4 = gs.derive(gs.architecture("abs", 4, midpoints=False)).families[0]
    plot_feature(abs3, (3, 2), ax=axes[0], x_range=(0, 6))
    plot_feature(abs3, (8, 4), ax=axes[1], x_range=(2, 14))
    plot_feature(abs4, (7, 4, 5), ax=axes[2], x_range=(1, 13))
    fig.suptitle("Deep narrow abs features: their breakpoints are data points, reflections "
                 "and reflections of reflections", y=1.02)
    save_figure(fig, out / "fig3_1_abs_features.png")


def deepest_single_feature(fit):
    """The minimum-norm problem (C.1) on these data (``convex_fit`` with beta = 0) is attained
    by single features with z = 1, xi = 0 (002 Lemmas C.5, C.7); among them take the one with
    the highest reflection order."""
    D, sol = fit.dictionary, fit.solution
    A = D.to_dense()
    # D is not deduplicated: equal columns of different depth are different features off the data
    exact = [i for i in range(D.n_columns) if np.allclose(A[:, i], fit.data.y, atol=1e-12)]
    if not exact:
        return sol

    def depth_of(i):
        info = D.column_info(i)
        orders = [b.order or 0 for b in gs.breakpoints(info.family, info.anchor_values, info.signs)]
        return max(orders)
    # the LP's optimal value must equal ||e_best||_1 = 1 for the single feature to be min-norm
    assert abs(sol.objective - 1.0) < 1e-9, "a single feature with z = 1 is not min-norm here"
    z = np.zeros(D.n_columns)
    z[max(exact, key=depth_of)] = 1.0
    return dataclasses.replace(sol, z=z, xi=0.0, fitted=A @ z)


def trained_network(D, sol, x, y, steps, seed=0, width=20):
    """Adam on objective (1.1) from a network whose first unit is the reconstructed optimum."""
    optimum = reconstruct(D, sol)
    arch = D.architecture

    def factory(generator):
        if any(arch.tied_layers):  # symmetrized units
            rand = ParallelNetwork.symmetrized(width - optimum.n_units, arch.activation,
                                               generator=generator, bias_scale=4.0)
        else:
            rand = ParallelNetwork.deep_narrow(width - optimum.n_units, arch.depth, arch.activation,
                                               generator=generator, bias_scale=4.0)
        with torch.no_grad():
            rand.alpha.mul_(1e-2)
        return ParallelNetwork.concatenate([optimum, rand])

    # Adam with lr 5e-3 and weight decay 1e-4 as in the paper (002 Sec. 6.4 / App. D)
    return train_nonconvex(factory, x, y, BETA, lr=5e-3, steps=steps, restarts=4, seed=seed,
                           optimizer_options={"weight_decay": 1e-4})


def figure_fit(arch, x, y, name, out: Path, steps: int) -> list:
    fit = convex_fit(x, y, arch, 0.0, deduplicate=False)  # beta -> 0: the min-norm LP (C.1)
    D, sol = fit.dictionary, deepest_single_feature(fit)
    result = trained_network(D, sol, x, y, steps)
    net = result.best_network
    lo, hi = x.min() - 2, x.max() + 5
    # kinks where the slope changes by more than 5% of the data's slope scale, in the plotted range
    found = [k for k in breakpoints(net, np.sort(x)[::-1], tol=0.05).kinks if lo <= k.position <= hi]
    lasso = lambda g: D.evaluate(g) @ sol.z + sol.xi  # noqa: E731
    adam = lambda g: net(torch.as_tensor(g)).detach().numpy()  # noqa: E731
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    plot_fit(x, y, {"Lasso (minimum norm)": lasso, f"Adam (best of {len(result.objectives)})": adam},
             breakpoints=name_kinks([k.position for k in found], x), ax=ax, x_range=(lo, hi),
             title=f"{arch}: Lasso vs Adam-trained network")
    save_figure(fig, out / name)
    return found


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--smoke", action="store_true",
                        help="few Adam steps: exercises the same code in seconds (CI)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.steps = 200
    args.out.mkdir(parents=True, exist_ok=True)
    figure_3_1(args.out)
    x, y = np.array([2.0, 0.0, -1.0]), np.array([2.0, 0.0, 1.0])
    for L in (3, 4):
        found = figure_fit(gs.architecture("abs", L), x, y, f"fig3_2_abs_L{L}.png", args.out, args.steps)
        print(f"abs L={L}: kinks of the Adam-trained network:")
        for k in found:
            print(f"   {format_number(k.position, 5):>8}  {k.label}")
    x5, y5 = np.array([4.0, 3.0, 1.0, 0.0, -1.0]), np.array([2.0, 1.0, 0.0, 0.0, 1.0])
    found = figure_fit(gs.architecture("relu", 3, "symmetrized"), x5, y5, "fig3_5_symmetrized.png",
                       args.out, args.steps)
    print("symmetrized ReLU: kinks of the Adam-trained network:")
    for k in found:
        print(f"   {format_number(k.position, 5):>8}  {k.label}")
    print(f"figures written to {args.out}/")


if __name__ == "__main__":
    main()
