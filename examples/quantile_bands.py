"""Quantile regression of the yearly sunspots by 2-layer abs networks: bands of the 10%, 50%
and 90% quantiles of x_{t+1} given x_t (Library of Mirrors, Sec. 4, quantile regression).

For each tau the network f(x) = xi + sum_i alpha_i |x w_i + b_i| is trained on

    J(theta) = (1/T) sum_t L_tau(x_{t+1} - f(x_t)) + (beta / 2) sum_i (w_i^2 + alpha_i^2),

with the pinball loss L_tau(e) = 0.5 |e| + (tau - 0.5) e of (4.3); its global optimum is the
Lasso with the same loss over the features |x - x_j| (Thm 3.11 with a convex loss, Lemma
D.16), solved exactly as a linear program by ``convex_fit(..., loss="quantile", tau=tau)``.
Same data as ``autoregression_sunspots.py``: sunspot numbers / 100, train t = 1700-1904, test
t = 1905-2007.

Coverage: at the optimum the free intercept xi makes the subgradient of the loss sum to zero,
so the fraction of training targets strictly below the curve is in [tau - n_0/T, tau] and the
fraction at or below it in [tau, tau + n_0/T] (n_0 the targets on the curve, the interpolated
points).  The script prints both and the test coverage (not guaranteed: the test decades have
larger cycles).

Figures: ``quantile_bands_series.png`` (the series over the years with the 10-90% band and the
median prediction) and ``quantile_maps.png`` (the three quantile curves x_t -> x_{t+1}).

Run:  python examples/quantile_bands.py [--out figures] [--smoke]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gaconvex.symbolic as gs  # noqa: E402
from autoregression_sunspots import TEST, TRAIN, sunspot_split  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex.plotting import format_number, plot_fit, save_figure  # noqa: E402

TAUS = (0.1, 0.5, 0.9)
BETA = 1e-3
ZERO = 1e-8  # |residual| below this (hundreds of sunspots) counts as on the curve


def coverage(y, fitted, zero: float = ZERO) -> dict:
    """Fractions of targets strictly below / on (|y - f| <= zero) / at or below the curve."""
    below = float(np.mean(y < fitted - zero))
    on = float(np.mean(np.abs(y - fitted) <= zero))
    return dict(below=below, on=on, at_or_below=below + on)


def run(*, taus=TAUS, beta: float = BETA, train_pairs: int | None = None) -> dict:
    """One exact quantile fit per tau on the training pairs (the first ``train_pairs`` of them,
    all by default): {"fits": {tau: ConvexFit}, "train": {tau: coverage}, "test": {tau:
    coverage}, "data": (x, y, x_test, y_test)}."""
    x, y, xt, yt = sunspot_split()
    if train_pairs is not None:
        x, y = x[:train_pairs], y[:train_pairs]
    arch = gs.architecture("abs", 2)
    w = np.full(len(x), 1.0 / len(x))  # sum_t w_t L_tau(e_t) = (1/T) sum_t L_tau(e_t)
    fits = {tau: convex_fit(x, y, arch, beta, loss="quantile", tau=tau, sample_weight=w)
            for tau in taus}
    years = (TRAIN[0] + 1 + np.arange(len(y)), TEST[0] + 1 + np.arange(len(yt)))  # of x_{t+1}
    return dict(fits=fits, data=(x, y, xt, yt), beta=beta, years=years,
                train={tau: coverage(y, f.fitted) for tau, f in fits.items()},
                test={tau: coverage(yt, f.predict(xt)) for tau, f in fits.items()})


def figure_series(res: dict, path: Path) -> None:
    x, y, xt, yt = res["data"]
    fits = res["fits"]
    lo_tau, mid_tau, hi_tau = min(fits), sorted(fits)[len(fits) // 2], max(fits)
    fig, ax = plt.subplots(figsize=(13, 4.4))
    for k, (inputs, targets, years) in enumerate(zip((x, xt), (y, yt), res["years"])):
        first = k == 0  # one legend entry per curve
        ax.fill_between(years, fits[lo_tau].predict(inputs), fits[hi_tau].predict(inputs),
                        color="C0", alpha=0.25, lw=0, step="mid",
                        label=f"band between the {format_number(100 * lo_tau)}% and "
                              f"{format_number(100 * hi_tau)}% quantile predictions"
                        if first else None)
        ax.plot(years, fits[mid_tau].predict(inputs), color="C0", lw=1.0, drawstyle="steps-mid",
                label=f"{format_number(100 * mid_tau)}% quantile (median) prediction"
                if first else None)
        ax.plot(years, targets, "k.-", ms=2.5, lw=0.6,
                label="sunspots $x_{t+1}$" if first else None)
    split = res["years"][1][0] - 0.5
    ax.axvline(split, color="0.4", ls="--", lw=1.0)
    top = ax.get_ylim()[1]
    ax.text(split - 1, top * 0.97, "training  ", ha="right", va="top", fontsize=8)
    ax.text(split + 1, top * 0.97, "  test", ha="left", va="top", fontsize=8)
    ax.set_xlim(res["years"][0][0] - 1, res["years"][1][-1] + 1)
    ax.set_xlabel("year t + 1")
    ax.set_ylabel("sunspots (hundreds)")
    ax.set_title("One-year-ahead quantile predictions of the yearly sunspots by 2-layer abs "
                 f"networks (exact convex fits, $\\beta$ = {format_number(res['beta'])})",
                 fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=7)
    save_figure(fig, path)


def figure_maps(res: dict, path: Path) -> None:
    x, y, _, _ = res["data"]
    curves = {f"{format_number(100 * tau)}% quantile curve (training coverage "
              f"{format_number(100 * res['train'][tau]['below'], 3)}% below)": fit.predict
              for tau, fit in sorted(res["fits"].items())}
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    plot_fit(x, y, curves, ax=ax, xlabel="sunspots in year t (hundreds)",
             ylabel="sunspots in year t+1 (hundreds)",
             title="Quantile curves $x_t \\to x_{t+1}$ of 2-layer abs networks (pinball loss)")
    save_figure(fig, path)


def table(res: dict) -> str:
    lines = [f"{'tau':>5} {'m*':>4} {'objective':>10} {'train below':>12} {'on curve':>9} "
             f"{'train <=':>9} {'test below':>11}"]
    for tau, fit in sorted(res["fits"].items()):
        tr, te = res["train"][tau], res["test"][tau]
        lines.append(f"{tau:>5g} {fit.support.size:>4} {fit.objective:>10.6f} {tr['below']:>12.4f} "
                     f"{tr['on']:>9.4f} {tr['at_or_below']:>9.4f} {te['below']:>11.4f}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--smoke", action="store_true",
                        help="the first 80 training pairs only: the same code in seconds (CI)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    res = run(train_pairs=80 if args.smoke else None)
    T = len(res["data"][0])
    print(f"sunspots / 100: train t = {TRAIN[0]}-{TRAIN[0] + T - 1} ({T} pairs), test t = "
          f"{TEST[0]}-{TEST[0] + TEST[1] - 1}; pinball loss, beta = {res['beta']:g}")
    print(table(res))
    print("exact at the optimum: train below in [tau - on, tau], train <= in [tau, tau + on]")
    figure_series(res, args.out / "quantile_bands_series.png")
    figure_maps(res, args.out / "quantile_maps.png")
    print(f"figures written to {args.out}/")
    return res


if __name__ == "__main__":
    main()
