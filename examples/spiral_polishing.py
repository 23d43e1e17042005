"""Adam vs polishing vs the global optimum on a two-arm spiral ("From Complexity to Clarity",
Sec. 4.1.2, Fig. 8).

A biased 2-layer ReLU network (m = 40 units) is trained by full-batch Adam on the squared loss
of +-1 labels with the l1 first-layer penalty (beta / 2) sum_j ||W1_j||_1^2 + W2_j^2; every
``--every`` steps the current network is polished (``gaconvex.polish``: each neuron snapped to
the hyperplane through its nearest training points, the last layer refitted by the convex
Lasso over the snapped neurons, 001 Sec. 4.1).  The global optimum is the wedge Lasso of the
general-d Thm 16 (p = 1 is exact, so it is the training problem's optimum).  The paper uses
weight decay (p = 2) and SGD; for p = 2 the wedge Lasso is only an upper bound on the
optimum (Thm 5), which is why this example uses p = 1 (``--norm 2`` runs the p = 2 version,
whose "optimum" line is then that upper bound).  Adam restarts its moment estimates at every
checkpoint (constant lr between checkpoints).

Figures: spiral_polishing_objective.png (objective vs Adam step: Adam dashed, the polished
network at every checkpoint solid, the global optimum) and spiral_polishing_regions.png (the
data and the decision regions of the Adam, polished and optimal networks).

Run:  python examples/spiral_polishing.py [--out figures] [--smoke] [--steps 3000]
"""
from __future__ import annotations

import argparse
import copy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from gaconvex import polish  # noqa: E402
from gaconvex.datasets.synthetic import two_spirals  # noqa: E402
from gaconvex.networks import ParallelNetwork, training_objective  # noqa: E402
from gaconvex.plotting import format_number, plot_decision_map, save_figure  # noqa: E402

BETA = 1e-5
WIDTH = 40
OPTIMIZERS = {"SGD": (torch.optim.SGD, 1e-2), "Adam": (torch.optim.Adam, 5e-3)}


def train_with_checkpoints(net, X, y, beta, optimizer, lr, steps, every, norm):
    """Full-batch training of objective (2) (``training_objective`` with p = norm); returns
    the objective before every step and copies of the network after every ``every`` steps."""
    opt = optimizer(net.parameters(), lr=lr)
    x, t = torch.as_tensor(X), torch.as_tensor(y)
    history, snapshots = [], []
    for step in range(1, steps + 1):
        opt.zero_grad()
        value = training_objective(net, x, t, beta, norm=norm)
        history.append(value.item())
        value.backward()
        opt.step()
        if step % every == 0 or step == steps:
            snapshots.append((step, copy.deepcopy(net)))
    return np.array(history), snapshots


def run(n=60, steps=3000, every=250, norm=1, beta=BETA, width=WIDTH, seed=0):
    """Train by SGD and by Adam from the same start and polish every checkpoint; returns
    {optimizer name: (history, checkpoints (step, objective, polished objective), last
    PolishReport)}, the data and the optimum (a ConvexFit)."""
    X, y = two_spirals(n, turns=1.0)
    start = ParallelNetwork.deep_narrow(width, 2, "relu", in_features=2, intercept=True,
                                        generator=torch.Generator().manual_seed(seed))
    runs, optimum = {}, None
    for name, (optimizer, lr) in OPTIMIZERS.items():
        history, snapshots = train_with_checkpoints(copy.deepcopy(start), X, y, beta, optimizer,
                                                    lr, steps, every, norm)
        checkpoints = []
        for step, net in snapshots:
            report = polish(net, X, y, beta, norm=norm, optimum=optimum is None)
            optimum = report.optimum if optimum is None else optimum
            checkpoints.append((step, report.objective_before, report.objective_after))
        runs[name] = (history, np.array(checkpoints), report)
    return {"X": X, "y": y, "runs": runs, "optimum": optimum, "norm": norm, "beta": beta,
            "width": width}


def objective_figure(res, out: Path):
    fig, ax = plt.subplots(figsize=(7.4, 4.8))
    for color, (name, (history, cp, _)) in zip(("C1", "C2"), res["runs"].items()):
        ax.plot(np.arange(1, len(history) + 1), history, color=color, ls="--", lw=1.3,
                label=f"{name}")
        ax.plot(cp[:, 0], cp[:, 2], color=color, lw=1.8, marker="o", ms=4,
                label=f"{name}, then polished")
    value = res["optimum"].objective
    name = "global optimum (convex wedge Lasso)" if res["norm"] == 1 else \
        "wedge Lasso (upper bound on the p = 2 optimum)"
    ax.axhline(value, color="k", lw=1.2, label=f"{name}: {format_number(value, 4)}")
    ax.set_yscale("log")
    ax.set_xlabel("training step (full batch)")
    ax.set_ylabel("training objective J")
    ax.set_title(f"Spiral, {len(res['y'])} points, m = {res['width']} neurons, p = "
                 f"{res['norm']}, $\\beta$ = {format_number(res['beta'])}", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize=8)
    save_figure(fig, out / "spiral_polishing_objective.png")


def regions_figure(res, out: Path):
    X, y, opt = res["X"], res["y"], res["optimum"]
    models = []
    for name, (_, _, rep) in res["runs"].items():
        models += [(name, rep.original, rep.objective_before),
                   (f"{name}, then polished", rep.network, rep.objective_after)]
    models.append(("global optimum" if res["norm"] == 1 else "wedge Lasso", opt.network,
                   opt.objective))
    fig, axes = plt.subplots(1, len(models), figsize=(3.9 * len(models), 4.2))
    fig.subplots_adjust(wspace=0.3)
    for i, (ax, (name, net, value)) in enumerate(zip(axes, models)):
        def predict(P, net=net):
            with torch.no_grad():
                return net(P).numpy()
        plot_decision_map(predict, X, y, ax=ax, legend=i == len(models) // 2,
                          title=f"{name}\nJ = {format_number(value, 4)}")
    fig.suptitle("Decision regions before and after polishing, and of the global optimum",
                 fontsize=11)
    save_figure(fig, out / "spiral_polishing_regions.png")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--smoke", action="store_true", help="30 points, 300 steps, m = 20")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--every", type=int, default=250, help="steps between polishings")
    parser.add_argument("--norm", type=int, default=1, choices=(1, 2))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    if args.smoke:
        res = run(n=30, steps=300, every=100, norm=args.norm, width=20)
    else:
        res = run(steps=args.steps, every=args.every, norm=args.norm)
    objective_figure(res, args.out)
    regions_figure(res, args.out)
    for name, (_, cp, _) in res["runs"].items():
        print(f"{name}: final objective {cp[-1, 1]:.6g}, polished {cp[-1, 2]:.6g}; polishing "
              f"lowered the objective at {int(np.sum(cp[:, 2] < cp[:, 1]))} of {len(cp)} "
              "checkpoints")
    print(f"optimum {res['optimum'].objective:.6g}")
    return res


if __name__ == "__main__":
    main()
