"""Deep narrow abs networks of depth L = 2-5 on the yearly sunspots by Lasso over sampled
libraries: histograms of the training and test loss per depth over many sampled libraries
(Library of Mirrors, Sec. 4, Figs. 4.3, 4.5-4.7 and E.2).

The depth-L library of a deep narrow abs network with data feature biases and unit weights
(Def. 3.10, Thm 3.2) has N^{L-1} features f(x; x_{j_1}, ..., x_{j_{L-1}}) =
|...||x - x_{j_1}| - |x_{j_2} - x_{j_1}|| ... - h_{L-2}(x_{j_{L-1}})|.  As in the paper it is
sampled: K anchor tuples drawn uniformly (``convex_fit(..., max_columns=K, seed=s)``; the
paper draws j_1, j_2, ... one after the other, which gives each depth the same uniform tuples;
only the coupling between depths differs).  L = 2 has N <= K features and is not sampled
(as in the paper's Fig. 4.7).  Each fit minimizes objective (1.1) with the data term of (4.3),

    (1/T) sum_t (f(x_t) - x_{t+1})^2 + (beta / L) sum_i (|alpha_i|^L + sum_l |W^(i,l)|^L),

over the sampled library (the Lasso with beta~ = beta; the training loss of the figures is this
objective, the test loss the mean squared error on the test years).  Data as in
``autoregression_sunspots.py``: sunspot numbers / 100, train t = 1700-1904, test t = 1905-2007.

Sampled libraries of different depths are not nested, so the training loss need not fall with
depth.  Full libraries are nested (a depth-L feature with j_{L-1} = j_{L-2} is the depth-(L-1)
feature), so on a short window (the first 12 training years, N^4 = 20,736 features at L = 5)
the exact optimum does fall with depth; the script prints both.

The fits are a grid (depth x seed) run by ``gaconvex.experiments.run_grid``: serially here, or
with ``--scheduler ADDRESS`` on a Dask cluster, one fit per task.

Figures: ``fig4_6_4_7_depth_histograms.png`` (training objective, test MSE and solve time per
depth) and ``fig4_3_4_5_depths.png`` (the medians against depth with the nested full-library
optima, and the predictions over the test years of the median-test-loss fit of each depth).

Run:  python examples/depth_histograms.py [--out DIR] [--repeats 100] [--scheduler ADDR] [--smoke]
"""
from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gaconvex.symbolic as gs  # noqa: E402
from autoregression_sunspots import TEST, TRAIN, mean_weights, sunspot_split  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex.experiments import run_grid  # noqa: E402
from gaconvex.plotting import format_number, save_figure  # noqa: E402

DEPTHS = (2, 3, 4, 5)
BETA = 1e-3
FEATURES = 200  # sampled features per library (about T, as the paper's 10^3 for T = 10^3)
NESTED_POINTS = 12  # training pairs of the full-library (nested) check


def architecture(depth: int):
    """Deep narrow abs network of depth L with data feature biases only (no midpoints, as in
    the paper's Sec. 4)."""
    return gs.architecture("abs", depth, midpoints=False)


def depth_fit(*, depth: int, seed: int, x, y, weights, x_test, y_test, beta: float,
              max_columns: int | None, return_fit: bool = False) -> dict:
    """One convex fit of depth ``depth`` over a library sampled with ``seed``: training
    objective, training / test MSE, m*, library size and seconds (no completeness search:
    over a sampled library it is not a statement about the network).  Everything it needs
    comes in its arguments, so a Dask worker can run it without this folder on its path."""
    start = time.perf_counter()
    fit = convex_fit(x, y, architecture(depth), beta, sample_weight=weights,
                     max_columns=max_columns, seed=seed, certify=False)
    row = dict(train_objective=float(fit.objective),
               train_mse=float(np.mean((fit.fitted - y) ** 2)),
               test_mse=float(np.mean((fit.predict(x_test) - y_test) ** 2)),
               m_star=int(fit.support.size), n_columns=int(fit.dictionary.n_columns),
               sampled=bool(fit.dictionary.sampled), status=str(fit.solution.status),
               fit_seconds=time.perf_counter() - start, solve_seconds=fit.timings["solve"])
    if return_fit:
        row["fit"] = fit
    return row


def nested_objectives(x, y, beta: float, depths=DEPTHS) -> dict:
    """Exact optima over the full (nested) libraries of each depth: {L: objective}."""
    return {L: float(convex_fit(x, y, architecture(L), beta, sample_weight=mean_weights(len(x)),
                                certify=False).objective) for L in depths}


def run(*, repeats: int = 100, depths=DEPTHS, beta: float = BETA, max_columns: int = FEATURES,
        nested_points: int = NESTED_POINTS, client=None, progress: bool = True) -> dict:
    """The grid (depth x seed) of sampled-library fits as a pandas table ("table"), the nested
    full-library optima on the first ``nested_points`` pairs ("nested") and the data."""
    x, y, xt, yt = sunspot_split()
    fn = functools.partial(depth_fit, x=x, y=y, weights=mean_weights(len(x)), x_test=xt,
                           y_test=yt, beta=beta, max_columns=max_columns)
    convex_fit(x[:10], y[:10], architecture(max(depths)), beta, certify=False)  # load kernels
    table = run_grid(fn, {"depth": list(depths), "seed": list(range(repeats))}, client=client,
                     progress=progress)
    nested = nested_objectives(x[:nested_points], y[:nested_points], beta, depths)
    return dict(table=table, nested=nested, data=(x, y, xt, yt), beta=beta,
                max_columns=max_columns, nested_points=nested_points)


def _histograms(ax, table, column, depths, xlabel, title, keep: float | None = None):
    """Overlaid step histograms per depth on common bins (``keep``: the bins cover that
    quantile of every depth's values, the rest is counted in the legend)."""
    values = {L: table.loc[table.depth == L, column].to_numpy() for L in depths}
    allv = np.concatenate(list(values.values()))
    hi = max(np.quantile(v, keep) for v in values.values()) if keep else allv.max()
    bins = np.linspace(allv.min(), hi, 30)
    for k, (L, v) in enumerate(values.items()):
        out = int(np.sum(v > hi))
        extra = f", {out} above the axis" if out else ""
        ax.hist(v[v <= hi], bins=bins, histtype="step", lw=1.6, color=f"C{k}",
                label=f"L = {L} (median {format_number(np.median(v), 5)}{extra})")
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("number of sampled libraries")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, fontsize=7)


def figure_histograms(res: dict, path: Path) -> None:
    table, depths = res["table"], sorted(int(L) for L in res["table"].depth.unique())
    repeats = int((table.depth == depths[0]).sum())
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    fig.subplots_adjust(wspace=0.28)
    _histograms(axes[0], table, "train_objective", depths, "training objective (1.1)",
                "training loss (Fig. 4.6)")
    _histograms(axes[1], table, "test_mse", depths, "test mean squared error",
                "test loss (Fig. 4.7; bins up to each depth's 90% quantile)", keep=0.9)
    _histograms(axes[2], table, "solve_seconds", depths, "Lasso solve time (s)",
                "training time (Fig. E.2)")
    fig.suptitle(f"Deep narrow abs networks on the yearly sunspots: {repeats} sampled libraries "
                 f"of {res['max_columns']} features per depth, $\\beta$ = "
                 f"{format_number(res['beta'])} (Library of Mirrors, Figs. 4.6, 4.7)", y=1.02)
    save_figure(fig, path)


def figure_depths(res: dict, path: Path) -> None:
    table, depths = res["table"], sorted(int(L) for L in res["table"].depth.unique())
    x, y, xt, yt = res["data"]
    fig = plt.figure(figsize=(15, 9.5))
    grid = fig.add_gridspec(2, 3, hspace=0.62, wspace=0.3)
    panels = [fig.add_subplot(grid[0, k]) for k in range(3)]
    for ax, column, label in ((panels[0], "train_objective", "training objective (1.1)"),
                              (panels[1], "test_mse", "test mean squared error")):
        groups = [table.loc[table.depth == L, column].to_numpy() for L in depths]
        q = np.array([np.quantile(g, (0.25, 0.5, 0.75)) for g in groups])
        ax.errorbar(depths, q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]], fmt="o-",
                    color="C0", capsize=4, label="sampled libraries: median and quartiles")
        ax.set_ylabel(label)
        ax.set_title(f"sampled libraries: {label} (Fig. 4.3)", fontsize=9)
    nested = res["nested"]
    panels[2].plot(list(nested), list(nested.values()), "s--", color="C3",
                   label=f"full libraries on the first {res['nested_points']} years")
    panels[2].set_ylabel("exact optimum of (1.1)")
    panels[2].set_title("full libraries are nested: the optimum falls with depth", fontsize=9)
    for ax in panels:
        ax.set_xticks(depths)
        ax.set_xlabel("depth L")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7)
    right = fig.add_subplot(grid[1, :])
    years = TEST[0] + 1 + np.arange(len(yt))
    right.plot(years, yt, "k.-", ms=3, lw=0.7, label="sunspots $x_{t+1}$ (test years)")
    for k, L in enumerate(depths):
        rows = table[table.depth == L]
        seed = int(rows.iloc[np.argsort(rows.test_mse.to_numpy())[len(rows) // 2]].seed)
        row = depth_fit(depth=L, seed=seed, x=x, y=y, weights=mean_weights(len(x)), x_test=xt,
                        y_test=yt, beta=res["beta"], max_columns=res["max_columns"],
                        return_fit=True)
        right.plot(years, row["fit"].predict(xt), color=f"C{k}", lw=1.0,
                   label=f"L = {L}, the library of median test loss (test MSE "
                         f"{format_number(row['test_mse'], 4)})")
    right.set_xlabel("year t + 1")
    right.set_ylabel("sunspots (hundreds)")
    right.set_title("one-year-ahead predictions on the test years (Fig. 4.5)", fontsize=9)
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=7)
    fig.suptitle("Depth and the Lasso over deep abs libraries on the yearly sunspots (Library of "
                 "Mirrors, Figs. 4.3, 4.5)", y=0.95)
    save_figure(fig, path)


def summary(res: dict) -> str:
    table = res["table"]
    lines = [f"{'L':>2} {'fits':>5} {'columns':>8} {'train obj median':>17} {'min':>9} "
             f"{'test MSE median':>16} {'min':>9} {'m* median':>10} {'solve s median':>15}"]
    for L, g in table.groupby("depth"):
        lines.append(f"{L:>2} {len(g):>5} {int(g.n_columns.median()):>8} "
                     f"{g.train_objective.median():>17.6f} {g.train_objective.min():>9.6f} "
                     f"{g.test_mse.median():>16.6f} {g.test_mse.min():>9.6f} "
                     f"{g.m_star.median():>10g} {g.solve_seconds.median():>15.4f}")
    lines.append(f"full libraries on the first {res['nested_points']} pairs (nested, exact): "
                 + ", ".join(f"L = {L}: {v:.8f}" for L, v in res["nested"].items()))
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--repeats", type=int, default=100, help="sampled libraries per depth")
    parser.add_argument("--scheduler", default=None,
                        help="address of a Dask scheduler: one fit per task on its workers")
    parser.add_argument("--smoke", action="store_true",
                        help="6 libraries per depth, nested check on 8 pairs (CI)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
    try:
        res = run(repeats=6 if args.smoke else args.repeats, client=client, progress=False,
                  nested_points=8 if args.smoke else NESTED_POINTS)
    finally:
        if client is not None:
            client.close()
    T = len(res["data"][0])
    print(f"sunspots / 100: train t = {TRAIN[0]}-{TRAIN[0] + T - 1} ({T} pairs), test t = "
          f"{TEST[0]}-{TEST[0] + TEST[1] - 1}; deep narrow abs, beta = {res['beta']:g}, "
          f"libraries of {res['max_columns']} sampled features")
    print(summary(res))
    figure_histograms(res, args.out / "fig4_6_4_7_depth_histograms.png")
    figure_depths(res, args.out / "fig4_3_4_5_depths.png")
    print(f"figures written to {args.out}/")
    return res


if __name__ == "__main__":
    main()
