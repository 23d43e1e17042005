"""Polishing on real data ("From Complexity to Clarity", Sec. 4.1.3, Figs. 9a and 10), with the
offline stand-ins of spec 001 Sec. 6.8:

* Boston Housing -> scikit-learn's ``load_diabetes`` (442 x 10, regression; inputs and target
  standardized with the training split's mean and standard deviation);
* binary CIFAR-10 -> scikit-learn's ``load_digits``, digits 3 vs 5 (labels +-1; the spec
  suggests 0 vs 8, which every network here separates perfectly), reduced to d = 10 by PCA
  fitted on the training split (the 64 pixels have rank < 64) and standardized.

Each data set is split 70 / 30 into training and validation points (seed 0).  A biased 2-layer
ReLU network of width m is trained by full-batch Adam (lr 1e-2) on the squared loss with weight
decay, (beta / 2) sum_j ||W1_j||_2^2 + W2_j^2 (p = 2, beta = 1e-2), then polished
(``gaconvex.polish``: first-layer neurons snapped to the hyperplanes through their nearest d
training points, the last layer refitted by the convex Lasso over them, 001 Sec. 4.1).  For
several widths and seeds (one ``run_grid`` task each, ``--scheduler`` runs them on a Dask
cluster) the figure shows mean +- std of the training objective and of the validation error
(diabetes: mean squared error; digits: accuracy of sign f(x)) before and after polishing, and
the distribution of |<w, x_i>| / (||w|| ||x_i||) of the trained neurons (Fig. 10b).  The
global optimum is out of reach here (C(309, 10) anchor sets), so none is drawn.

Run:  python examples/polishing_real_data.py [--out figures] [--smoke] [--scheduler ADDRESS]
"""
from __future__ import annotations

import argparse
import functools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from gaconvex import polish  # noqa: E402
from gaconvex.experiments import run_grid  # noqa: E402
from gaconvex.networks import ParallelNetwork, train_nonconvex  # noqa: E402
from gaconvex.plotting import save_figure  # noqa: E402

BETA = 1e-2
NORM = 2
DATASETS = ("diabetes", "digits 3 vs 5")


@functools.lru_cache(maxsize=None)
def load(name: str):
    """(X_train, y_train, X_val, y_val) of a stand-in data set (module docstring)."""
    from sklearn import datasets
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split

    if name == DATASETS[0]:
        X, y = datasets.load_diabetes(return_X_y=True)
    else:
        X, y = datasets.load_digits(return_X_y=True)
        keep = (y == 3) | (y == 5)
        X, y = X[keep], np.where(y[keep] == 3, 1.0, -1.0)
    Xt, Xv, yt, yv = train_test_split(X, y, test_size=0.3, random_state=0)
    if name != DATASETS[0]:
        pca = PCA(n_components=10, random_state=0).fit(Xt)
        Xt, Xv = pca.transform(Xt), pca.transform(Xv)
    mu, sd = Xt.mean(0), Xt.std(0)
    Xt, Xv = (Xt - mu) / sd, (Xv - mu) / sd
    if name == DATASETS[0]:
        ym, ys = yt.mean(), yt.std()
        yt, yv = (yt - ym) / ys, (yv - ym) / ys
    return Xt, yt, Xv, yv


def _predict(net, X):
    with torch.no_grad():
        return net(torch.as_tensor(X)).numpy()


def _error(name, f, y):
    """Validation metric: mean squared error (regression) or accuracy of sign f (classes)."""
    return float(np.mean((f - y) ** 2)) if name == DATASETS[0] else float(np.mean(np.sign(f) == y))


def task(dataset: str, width: int, seed: int, steps: int) -> dict:
    """Train one network, polish it; the objectives and validation metrics before and after."""
    torch.set_num_threads(1)
    Xt, yt, Xv, yv = load(dataset)
    d = Xt.shape[1]
    result = train_nonconvex(lambda generator: ParallelNetwork.deep_narrow(
        width, 2, "relu", in_features=d, intercept=True, generator=generator), Xt, yt, BETA,
        lr=1e-2, steps=steps, restarts=1, seed=seed, norm=NORM)
    net = result.best_network
    rep = polish(net, Xt, yt, BETA, norm=NORM, optimum=False)
    W = net.weights[0].detach().numpy()[:, :, 0]
    cosines = np.abs(Xt @ W.T) / np.outer(np.linalg.norm(Xt, axis=1), np.linalg.norm(W, axis=1))
    return {"objective_before": rep.objective_before, "objective_after": rep.objective_after,
            "objective_snapped": rep.objective_snapped,
            "val_before": _error(dataset, _predict(net, Xv), yv),
            "val_after": _error(dataset, _predict(rep.network, Xv), yv),
            "train_before": _error(dataset, _predict(net, Xt), yt),
            "train_after": _error(dataset, _predict(rep.network, Xt), yt),
            "smallest_cosines": np.sort(cosines, axis=0)[:d].ravel().tolist()}


def figure(table, out: Path):
    """Mean +- std over seeds vs width: training objective and validation metric, per data
    set, before (Adam) and after polishing; histogram of the trained neurons' cosines."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.6))
    fig.subplots_adjust(hspace=0.55, wspace=0.3)
    for row, name in enumerate(DATASETS):
        part = table[table.dataset == name]
        numbers = [c for c in part.columns if c.endswith(("_before", "_after"))]
        stats = part.groupby("width")[numbers].agg(["mean", "std"])
        widths = stats.index.to_numpy()
        for ax, key, label in ((axes[row, 0], "objective", "training objective J"),
                               (axes[row, 1], "val", "validation MSE" if row == 0
                                else "validation accuracy")):
            for suffix, color, text in (("before", "C1", "Adam"), ("after", "C0", "Adam, then "
                                                                   "polished")):
                col = f"{key}_{suffix}"
                ax.errorbar(widths, stats[col]["mean"], yerr=stats[col]["std"].fillna(0),
                            color=color, marker="o", capsize=3, label=text)
            ax.set_xscale("log", base=2)
            ax.set_xlabel("hidden neurons m")
            ax.set_ylabel(label)
            ax.set_title(f"{name}: {label} (mean $\\pm$ std over "
                         f"{part.seed.nunique()} seeds)", fontsize=9)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8)
        cos = np.concatenate(part[part.width == widths.max()].smallest_cosines.map(np.array).values)
        ax = axes[row, 2]
        ax.hist(np.log10(np.maximum(cos, 1e-12)), bins=30, color="C2")
        ax.set_xlabel(r"$\log_{10}\ |\langle w, x_i\rangle| / (\|w\|\,\|x_i\|)$")
        ax.set_ylabel("count")
        ax.set_title(f"{name}: the d smallest cosines of each trained neuron (m = "
                     f"{widths.max()})", fontsize=9)
    fig.suptitle("Polishing Adam-trained ReLU networks on scikit-learn data (stand-ins for "
                 "Boston Housing and binary CIFAR-10)", fontsize=11)
    save_figure(fig, out / "polishing_real_data.png")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--smoke", action="store_true", help="two widths, two seeds, 150 steps")
    parser.add_argument("--scheduler", default=None, help="address of a Dask scheduler")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.smoke:
        widths, seeds, steps = (8, 16), (0, 1), 150
    else:
        widths, seeds, steps = (8, 32, 128), range(4), 600
    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
    grid = {"dataset": list(DATASETS), "width": list(widths), "seed": list(seeds)}
    table = run_grid(functools.partial(task, steps=steps), grid, client=client, progress=False)
    figure(table, args.out)
    numbers = [c for c in table.columns if c.endswith(("_before", "_after"))]
    summary = table.groupby(["dataset", "width"])[numbers].agg(["mean", "std"])
    print(summary.to_string(float_format=lambda v: f"{v:.4g}"))
    return table


if __name__ == "__main__":
    main()
