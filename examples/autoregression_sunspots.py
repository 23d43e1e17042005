"""Autoregression of the yearly sunspots by a 2-layer abs network: the exact convex fit vs 20
Adam trials vs AR(1) (Library of Mirrors, Sec. 4, Figs. 4.1 and 4.2).

The model is x_{t+1} = f(x_t) with f(x) = xi + sum_i alpha_i |x w_i + b_i| (the paper's (4.2)
with a free intercept xi), trained on objective (4.3)

    J(theta) = (1/T) sum_t (f(x_t) - x_{t+1})^2 + (beta / 2) sum_i (w_i^2 + alpha_i^2),

whose global optimum is the Lasso min (1/T) ||A z + xi 1 - y||^2 + beta ||z||_1 over the
features A_ij = |x_i - x_j| (Thm 3.11, Cor. 3.15); gaconvex writes it as its weighted squared
loss sum_t w_t (y_hat_t - y_t)^2 / 2 with w_t = 2/T.  The paper's series (minutely Bitcoin
prices) is not available here; the shipped yearly sunspot numbers 1700-2008
(``gaconvex.datasets``, public domain) stand in.  The series is divided by 100 (hundreds of
sunspots, values 0-1.9) and not centred; the first two thirds of the lag-1 pairs (t = 1700-1904)
train, the rest (t = 1905-2007) test.

Figures: ``fig4_1_losses.png`` (training objective and test mean squared error over the Adam
steps: every trial thin, their mean black with a one-standard-deviation band, the convex optimum
and the AR(1) fits as horizontal lines), ``fig4_2_wall_time.png`` (cumulative seconds of Adam
against the convex fit's) and ``sunspot_maps.png`` (the fitted maps x_t -> x_{t+1}).  Adam is
full batch (one step = one epoch) with learning rate 0.05 (the paper's SGD rate); the 20
trials run as one batched network, so their time per trial is the batch's time divided by 20.

Run:  python examples/autoregression_sunspots.py [--out figures] [--steps 1500] [--smoke]
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import gaconvex.symbolic as gs  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex.datasets import sunspot_autoregression  # noqa: E402
from gaconvex.networks import ParallelNetwork, TrainingResult, training_objective  # noqa: E402
from gaconvex.plotting import format_number, plot_fit_comparison, save_figure  # noqa: E402

SCALE = 100.0  # sunspot numbers in hundreds
TRAIN = (1700, 205)  # (first year t, number of pairs (x_t, x_{t+1})): the first two thirds
TEST = (1905, 103)  # the rest of the series
BETA = 1e-3
LR = 0.05  # the learning rate of the paper's SGD trials (App. E.2)


def sunspot_split():
    """(x_train, y_train, x_test, y_test): lag-1 pairs of the sunspot numbers / 100."""
    x, y = sunspot_autoregression(*TRAIN)
    xt, yt = sunspot_autoregression(*TEST)
    return x / SCALE, y / SCALE, xt / SCALE, yt / SCALE


def mean_weights(n: int) -> np.ndarray:
    """w_t = 2/T: gaconvex's sum_t w_t e_t^2 / 2 is then the paper's (1/T) sum_t e_t^2 (4.3)."""
    return np.full(n, 2.0 / n)


def ar1(x, y, bias: bool) -> np.ndarray:
    """Least-squares AR(1) coefficients: f = a x (bias=False) or a x + b (bias=True)."""
    design = np.column_stack([x, np.ones_like(x)]) if bias else x[:, None]
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coef if bias else np.append(coef, 0.0)


@dataclass
class AdamRun:
    """Adam trials recorded at every step: objective (4.3) on the training pairs, test mean
    squared error and cumulative seconds of the batch."""

    result: TrainingResult  # objectives, networks, history (R, steps), settings, seconds
    test_history: np.ndarray  # (R, steps) test MSE before each step
    seconds: np.ndarray  # (steps,) cumulative wall time of the batch after each step
    final_test: np.ndarray  # (R,) test MSE after the last step


def adam_trials(x, y, x_test, y_test, beta: float, *, trials: int, width: int, steps: int,
                lr: float = LR, seed: int = 0) -> AdamRun:
    """``trials`` random 2-layer abs networks of ``width`` neurons (PyTorch's default
    initialization, biases scaled to the data) trained by full-batch Adam on objective (4.3),
    all at once as one batched network; the test error is recorded at every step (what
    :func:`gaconvex.networks.train_nonconvex` does not record)."""
    seeds = np.random.SeedSequence(seed).generate_state(trials)
    scale = float(np.max(np.abs(x)))
    net = ParallelNetwork.stack([
        ParallelNetwork.deep_narrow(width, 2, "abs", bias_scale=scale,
                                    generator=torch.Generator().manual_seed(int(s)))
        for s in seeds])
    xt, yt, wt = (torch.as_tensor(a, dtype=torch.float64) for a in (x, y, mean_weights(len(x))))
    xe, ye = (torch.as_tensor(a, dtype=torch.float64) for a in (x_test, y_test))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    history = np.empty((trials, steps))
    test = np.empty((trials, steps))
    seconds = np.empty(steps)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        for t in range(steps):
            opt.zero_grad(set_to_none=True)
            value = training_objective(net, xt, yt, beta, sample_weight=wt)
            value.sum().backward()
            opt.step()
            seconds[t] = time.perf_counter() - start  # training only, not the test evaluation
            history[:, t] = value.detach().numpy()
            with torch.no_grad():
                test[:, t] = ((net(xe) - ye) ** 2).mean(-1).numpy()
        with torch.no_grad():
            final = training_objective(net, xt, yt, beta, sample_weight=wt).numpy()
            final_test = ((net(xe) - ye) ** 2).mean(-1).numpy()
    finally:
        torch.set_num_threads(threads)
    result = TrainingResult(final, net, history,
                            dict(optimizer="adam", lr=lr, steps=steps, seed=seed,
                                 schedule="constant", beta=beta, loss="squared", tau=0.5,
                                 weighted=True, device="cpu"), float(seconds[-1]))
    return AdamRun(result, test, seconds, final_test)


def run(*, steps: int = 1500, trials: int = 20, width: int = 50, beta: float = BETA,
        seed: int = 0) -> dict:
    """The experiment's numbers: the convex fit (ConvexFit), its objective, training and
    test MSE and seconds; the Adam run (AdamRun); the AR(1) baselines' MSEs."""
    x, y, xt, yt = sunspot_split()
    arch, w = gs.architecture("abs", 2), mean_weights(len(x))
    convex_fit(x[:10], y[:10], arch, beta)  # warm-up: the dictionary kernels load once
    fit = convex_fit(x, y, arch, beta, sample_weight=w)
    adam = adam_trials(x, y, xt, yt, beta, trials=trials, width=width, steps=steps, seed=seed)
    out = dict(fit=fit, adam=adam, data=(x, y, xt, yt), beta=beta,
               convex_objective=float(fit.objective),
               convex_train_mse=float(np.mean((fit.fitted - y) ** 2)),
               convex_test_mse=float(np.mean((fit.predict(xt) - yt) ** 2)),
               convex_seconds=float(sum(fit.timings.values())),
               adam_objectives=adam.result.objectives.copy(),
               adam_test_mse=adam.final_test.copy())
    for name, bias in (("ar1", False), ("ar1_bias", True)):
        a, b = ar1(x, y, bias)
        out[f"{name}_train_mse"] = float(np.mean((a * x + b - y) ** 2))
        out[f"{name}_test_mse"] = float(np.mean((a * xt + b - yt) ** 2))
    return out


def _trial_lines(ax, steps, values, color="C1"):
    """Every trial thin, the mean black with a +-1 standard deviation band."""
    for row in values:
        ax.plot(steps, row, color=color, lw=0.6, alpha=0.35)
    mean, std = values.mean(0), values.std(0)
    lo, hi = np.maximum(mean - std, values.min(0)), np.minimum(mean + std, values.max(0))
    ax.fill_between(steps, lo, hi, color="0.3", alpha=0.18, lw=0,
                    label=r"Adam mean $\pm$ 1 std (within the trials' range)")
    ax.plot(steps, mean, color="k", lw=1.4, label=f"Adam, mean of {len(values)} trials")
    ax.plot([], [], color=color, lw=0.6, alpha=0.6, label="Adam, single trials")


def _end_game(ax, values, lines):
    """y limits on the last 90% of the steps and the horizontal lines (not the first steps)."""
    tail = values[:, values.shape[1] // 10:]
    lo = min(float(np.min(tail)), *lines)
    hi = max(float(np.percentile(tail, 97)), *lines)
    span = hi - lo
    ax.set_ylim(lo - 0.15 * span, hi + 0.25 * span)


def figure_losses(res: dict, path: Path) -> None:
    adam = res["adam"]
    steps = np.arange(1, adam.seconds.size + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6))
    fig.subplots_adjust(wspace=0.25)
    panels = ((left, adam.result.history, res["convex_objective"],
               r"training objective (4.3): MSE + $(\beta/2)\,\|\theta_w\|_2^2$",
               "training loss", "train_mse"),
              (right, adam.test_history, res["convex_test_mse"], "test mean squared error",
               "test loss", "test_mse"))
    for ax, values, convex, ylabel, title, key in panels:
        _trial_lines(ax, steps, values)
        ax.axhline(convex, color="C0", lw=2.2,
                   label=f"convex fit (global optimum): {format_number(convex, 5)}")
        extra = ()
        if key == "train_mse":  # the baselines below are not regularized: compare MSE to MSE
            mse = res["convex_train_mse"]
            ax.axhline(mse, color="C0", lw=1.0, ls="-.",
                       label=f"convex fit, its MSE alone: {format_number(mse, 5)}")
            extra = (mse,)
        ar, arb = res[f"ar1_{key}"], res[f"ar1_bias_{key}"]
        ax.axhline(ar, color="C3", ls="--", lw=1.3, label=f"AR(1), a x: {format_number(ar, 5)}")
        ax.axhline(arb, color="C2", ls=":", lw=1.6,
                   label=f"AR(1) + bias, a x + b: {format_number(arb, 5)}")
        _end_game(ax, values, (convex, ar, arb, *extra))
        ax.set_xscale("log")
        ax.set_xlabel("Adam step (full batch: one epoch)")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{title}, $\\beta$ = {format_number(res['beta'])}", fontsize=9)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=7)
    fig.suptitle("Sunspot autoregression by a 2-layer abs network: the convex fit vs Adam "
                 "(Library of Mirrors, Fig. 4.1)", y=1.0)
    save_figure(fig, path)


def figure_wall_time(res: dict, path: Path) -> None:
    adam = res["adam"]
    steps = np.arange(1, adam.seconds.size + 1)
    trials = adam.result.history.shape[0]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(steps, adam.seconds, color="C1", lw=1.6,
            label=f"Adam, all {trials} trials as one batched network")
    ax.plot(steps, adam.seconds / trials, color="C1", lw=1.2, ls="--",
            label=f"Adam, per trial (batch time / {trials})")
    ax.axhline(res["convex_seconds"], color="C0", lw=2.2,
               label=f"convex fit (dictionary, Lasso, certificate): "
                     f"{format_number(res['convex_seconds'], 3)} s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Adam step (full batch: one epoch)")
    ax.set_ylabel("cumulative wall time (s)")
    ax.set_title("Training time: Adam vs the convex fit (Library of Mirrors, Fig. 4.2)",
                 fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, fontsize=7)
    save_figure(fig, path)


def figure_maps(res: dict, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    plot_fit_comparison(res["fit"], res["adam"].result, ax=ax,
                        xlabel="sunspots in year t (hundreds)",
                        ylabel="sunspots in year t+1 (hundreds)",
                        title="The fitted maps $x_t \\to x_{t+1}$ on the training years 1700-1904")
    save_figure(fig, path)


def table(res: dict) -> str:
    adam = res["adam"]
    obj, test = res["adam_objectives"], res["adam_test_mse"]
    rows = [("model", "train objective", "train MSE", "test MSE", "seconds"),
            ("convex fit (global optimum)", f"{res['convex_objective']:.6f}",
             f"{res['convex_train_mse']:.6f}", f"{res['convex_test_mse']:.6f}",
             f"{res['convex_seconds']:.3f}"),
            (f"Adam best of {obj.size}", f"{obj.min():.6f}", "",
             f"{test[np.argmin(obj)]:.6f}", f"{adam.seconds[-1] / obj.size:.3f} per trial"),
            (f"Adam median of {obj.size}", f"{np.median(obj):.6f}", "", f"{np.median(test):.6f}",
             ""),
            ("AR(1), a x", "", f"{res['ar1_train_mse']:.6f}", f"{res['ar1_test_mse']:.6f}", ""),
            ("AR(1) + bias", "", f"{res['ar1_bias_train_mse']:.6f}",
             f"{res['ar1_bias_test_mse']:.6f}", "")]
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    return "\n".join("  ".join(c.ljust(w) if k == 0 else c.rjust(w)
                               for k, (c, w) in enumerate(zip(r, widths))) for r in rows)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--steps", type=int, default=1500, help="Adam steps per trial")
    parser.add_argument("--trials", type=int, default=20, help="Adam trials (random inits)")
    parser.add_argument("--width", type=int, default=50, help="neurons of the Adam networks")
    parser.add_argument("--smoke", action="store_true",
                        help="few Adam steps and trials: the same code in seconds (CI)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.steps, args.trials, args.width = 60, 4, 20
    args.out.mkdir(parents=True, exist_ok=True)
    res = run(steps=args.steps, trials=args.trials, width=args.width)
    print(f"sunspots / {SCALE:g}, x_(t+1) = f(x_t): train t = {TRAIN[0]}-{TRAIN[0] + TRAIN[1] - 1}"
          f" ({TRAIN[1]} pairs), test t = {TEST[0]}-{TEST[0] + TEST[1] - 1} ({TEST[1]} pairs); "
          f"2-layer abs network, beta = {res['beta']:g}, Adam lr {LR:g}, {args.steps} steps, "
          f"width {args.width}")
    print(res["fit"].certificate.verdict())
    print(table(res))
    figure_losses(res, args.out / "fig4_1_losses.png")
    figure_wall_time(res, args.out / "fig4_2_wall_time.png")
    figure_maps(res, args.out / "sunspot_maps.png")
    print(f"figures written to {args.out}/")
    return res


if __name__ == "__main__":
    main()
