"""The regularization path of a 2-layer abs network on a planted-neuron series: the planted
breakpoints are recovered (Library of Mirrors, Sec. 4, Fig. 4.4).

A planted network f(x) = xi + sum_{p=1}^5 alpha_p |x - b_p| with breakpoints b = (-1.2, -0.6,
0, 0.6, 1.2), alpha = (2, -4, 4, -4, 2) and xi = -1.2 (slopes 0, +-4, 0: f is constant
outside [-1.2, 1.2] and takes values in [-1.2, 1.2], so the recursion stays bounded although
it is chaotic inside) generates x_1 ~ N(0, 1), x_{t+1} = f(x_t) + eps_t with eps_t ~ N(0,
0.1^2), T = 1000 steps, and an independent test series the same way.  The paper leaves the
planted weights open (its caption says p = 5, its text p = 10); these are our choice.

Along beta the 2-layer abs Lasso (Cor. 3.15: features |x - x_j|, beta~ = beta,
objective (1/T) ||A z + xi 1 - y||^2 + beta ||z||_1 as in (4.3)) is solved from beta_max = ||A^T
W (y - ybar 1)||_inf (z* = 0 at and above it) down to 1e-4 beta_max by
``gaconvex.solvers.lasso_path`` (warm-started working sets) on the problem that
``convex_fit`` builds.  Each selected feature |x - x_j| has its breakpoint at the data point
x_j; the figure colours each coefficient path by that breakpoint.

At every eighth beta, 5 Adam trials of the same network (width 40, full batch, lr 0.05, 500
steps, as in ``autoregression_sunspots.py``) train on the same objective: their final
objectives are the paper's jagged estimates above the convex curve.

Figure ``fig4_4_regularization_path.png``: the coefficients against beta (single features
thin, their sums near each planted breakpoint thick, the planted alpha_p marked); the training
objective and test mean squared error of the optimal network and of the Adam trials against
beta; and the optimal network at the largest beta that finds every planted breakpoint vs the
planted one.

Run:  python examples/regularization_path.py [--out figures] [--smoke]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import gaconvex.symbolic as gs  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex.plotting import format_number, save_figure  # noqa: E402
from gaconvex.solvers import lasso_path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from autoregression_sunspots import adam_trials as adam_trials_at  # noqa: E402

PLANTED_B = np.array([-1.2, -0.6, 0.0, 0.6, 1.2])
PLANTED_ALPHA = np.array([2.0, -4.0, 4.0, -4.0, 2.0])
PLANTED_XI = -1.2
NOISE = 0.1
RECOVERY_TOL = 0.1  # a planted breakpoint counts as recovered by a selected one this close


def planted_map(x) -> np.ndarray:
    """f(x) = xi + sum_p alpha_p |x - b_p| (the planted 2-layer abs network)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    return PLANTED_XI + np.abs(x[:, None] - PLANTED_B) @ PLANTED_ALPHA


def planted_series(T: int, rng) -> np.ndarray:
    """x_1 ~ N(0, 1), x_{t+1} = f(x_t) + N(0, NOISE^2): T + 1 values."""
    s = np.empty(T + 1)
    s[0] = rng.normal()
    for t in range(T):
        s[t + 1] = planted_map(s[t])[0] + NOISE * rng.normal()
    return s


def _shifted(name: str, b: float) -> str:
    """"x_j - 0.6", "x_j + 1.2" or "x_j" (mathtext body of x_j - b)."""
    if b == 0:
        return name
    return f"{name} {'-' if b > 0 else '+'} {format_number(abs(b))}"


def recovery(selected, planted=PLANTED_B) -> np.ndarray:
    """Distance from each planted breakpoint to the nearest selected one (inf if none)."""
    selected = np.asarray(selected, dtype=float)
    if selected.size == 0:
        return np.full(len(planted), np.inf)
    return np.min(np.abs(np.asarray(planted)[:, None] - selected[None, :]), axis=1)


def run(*, T: int = 1000, n_betas: int = 40, ratio: float = 1e-4, seed: int = 0,
        adam_every: int = 8, adam_trials: int = 5, adam_steps: int = 500,
        adam_width: int = 40) -> dict:
    """The path: betas (training beta, decreasing from beta_max), coefficients (n_betas, P),
    intercepts, training / test MSE, m*, the selected breakpoints at each beta, the beta of least
    test error, the ConvexFit there and the recovery distances of the planted breakpoints; and
    at every ``adam_every``-th beta below beta_max, ``adam_trials`` Adam trials of the same
    network and objective ("adam": {path index: AdamRun})."""
    rng = np.random.default_rng(seed)
    train, test = planted_series(T, rng), planted_series(T, rng)
    x, y, xt, yt = train[:-1], train[1:], test[:-1], test[1:]
    arch = gs.architecture("abs", 2)
    w = np.full(T, 2.0 / T)  # sum_t w_t e_t^2 / 2 = (1/T) sum_t e_t^2
    per_beta = arch.beta_tilde(1.0)  # beta~ / beta
    # the problem of convex_fit; at a beta this large z* = 0, so the solve costs nothing
    start = convex_fit(x, y, arch, 1e6, sample_weight=w, certify=False)
    problem, D = start.problem, start.dictionary
    beta_max = problem.beta_max() / per_beta
    betas = beta_max * np.geomspace(1.0, ratio, n_betas)
    path = lasso_path(problem, arch.beta_tilde(betas), tol=1e-10)
    Z = np.array([sol.z for sol in path])
    xi = np.array([sol.xi for sol in path])
    At, A = D.evaluate(xt), D.to_dense()
    train_mse = np.array([np.mean((sol.fitted - y) ** 2) for sol in path])
    test_mse = np.array([np.mean((At @ sol.z + sol.xi - yt) ** 2) for sol in path])
    anchors = np.array([D.column_info(j).anchor_values[0] for j in range(D.n_columns)])
    selected = [np.sort(anchors[sol.support]) for sol in path]
    distances = np.array([recovery(sel) for sel in selected])  # (n_betas, p)
    found = np.flatnonzero(distances.max(axis=1) <= RECOVERY_TOL)
    recovered = int(found[0]) if found.size else None  # the largest beta that recovers all
    spurious = (None if recovered is None else
                [float(v) for v in selected[recovered]
                 if np.min(np.abs(v - PLANTED_B)) > RECOVERY_TOL])
    shown = recovered if recovered is not None else int(np.argmin(test_mse))
    fit = convex_fit(x, y, arch, float(betas[shown]), sample_weight=w)
    adam = {int(k): adam_trials_at(x, y, xt, yt, float(betas[k]), trials=adam_trials,
                                   width=adam_width, steps=adam_steps, seed=seed + int(k))
            for k in range(1, n_betas, adam_every)} if adam_trials else {}
    return dict(adam=adam, betas=betas, beta_max=beta_max, coefficients=Z, intercepts=xi, A=A,
                data=(x, y, xt, yt), train_mse=train_mse, test_mse=test_mse,
                m_star=np.array([sol.support.size for sol in path]), anchors=anchors,
                selected=selected, distances=distances, recovered=recovered,
                spurious=spurious, best=int(np.argmin(test_mse)), shown=shown, fit=fit,
                objectives=np.array([sol.objective for sol in path]), path=path)


def figure(res: dict, path: Path) -> None:
    betas, Z, anchors = res["betas"], res["coefficients"], res["anchors"]
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    fig.subplots_adjust(wspace=0.28)
    beta_best, beta_shown = betas[res["best"]], betas[res["shown"]]
    ax = axes[0]
    ever = np.flatnonzero(np.any(Z != 0, axis=0))
    near = np.argmin(np.abs(anchors[:, None] - PLANTED_B[None, :]), axis=1)
    close = np.abs(anchors - PLANTED_B[near]) <= RECOVERY_TOL
    for j in ever:
        if close[j]:
            ax.plot(betas, Z[:, j], color=f"C{near[j]}", lw=0.7, alpha=0.55, zorder=3)
        else:
            ax.plot(betas, Z[:, j], color="0.6", lw=0.6, alpha=0.6, zorder=2)
    for p, (b, a) in enumerate(zip(PLANTED_B, PLANTED_ALPHA)):
        group = close & (near == p)
        ax.plot(betas, Z[:, group].sum(axis=1), color=f"C{p}", lw=2.2, zorder=4,
                label=f"sum of $z_j$ over $|{_shifted('x_j', b)}| \\leq "
                      f"{format_number(RECOVERY_TOL)}$ (planted $\\alpha$ = {format_number(a)})")
        ax.plot(betas[-1], a, "<", color=f"C{p}", ms=7, zorder=5)
    ax.plot([], [], color="0.4", lw=0.7, label="single features (coloured: near a planted "
                                               "breakpoint)")
    ax.plot([], [], "<", color="0.4", label=r"planted $\alpha_p$")
    ax.axvline(res["beta_max"], color="k", ls=":", lw=1.0,
               label=rf"$\beta_{{max}}$ = {format_number(res['beta_max'], 3)} (z = 0 above)")
    ax.axvline(beta_shown, color="k", ls="--", lw=1.0,
               label=rf"$\beta$ = {format_number(beta_shown, 3)}: all planted breakpoints found"
               if res["recovered"] is not None else
               rf"least test error at $\beta$ = {format_number(beta_shown, 3)}")
    keep = betas >= beta_best  # coefficients grow without bound once the noise is fitted
    top = max(float(np.abs(Z[keep]).max()) if keep.any() else 1.0, np.abs(PLANTED_ALPHA).max())
    ax.set_ylim(-1.3 * top, 1.3 * top)
    ax.set_xscale("log")
    ax.set_xlabel(r"$\beta$")
    ax.set_ylabel(r"coefficient $z_j$ of the feature $|x - x_j|$ (2-layer abs)")
    ax.set_title(f"regularization path ({ever.size} features ever selected)", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, fontsize=7)

    ax = axes[1]
    ax.plot(betas, res["objectives"], color="C0", lw=1.8,
            label="training objective (4.3) of the optimal network")
    ax.plot(betas, res["test_mse"], color="C1", lw=1.6, ls="--",
            label="test MSE of the optimal network (new series)")
    if res["adam"]:
        ks = np.array(sorted(res["adam"]))
        trials = res["adam"][ks[0]].result.objectives.size
        spread = np.linspace(0.94, 1.06, trials)  # side by side at each beta
        for k in ks:
            run_k = res["adam"][k]
            ax.plot(betas[k] * spread, run_k.result.objectives, "o", color="C0", ms=3.5,
                    mfc="none")
            ax.plot(betas[k] * spread, run_k.final_test, "x", color="C1", ms=4)
        ax.plot([], [], "o", color="C0", ms=3.5, mfc="none",
                label=f"Adam, {trials} trials per marked beta: training objective")
        ax.plot([], [], "x", color="C1", ms=4, label="Adam trials: test MSE")
    ax.axhline(NOISE ** 2, color="0.4", ls=":", lw=1.0,
               label=rf"noise variance $\sigma^2$ = {format_number(NOISE ** 2)}")
    ax.axvline(beta_shown, color="k", ls="--", lw=1.0,
               label=rf"$\beta$ = {format_number(beta_shown, 3)} (the network on the right)")
    ax.axvline(beta_best, color="C1", ls=":", lw=1.0,
               label=rf"least test error at $\beta$ = {format_number(beta_best, 3)}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\beta$")
    ax.set_ylabel("loss")
    ax.set_title("the optimal network and Adam along the path", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, fontsize=7)

    ax = axes[2]
    x, y, _, _ = res["data"]
    fit = res["fit"]
    grid = np.linspace(x.min() - 0.1, x.max() + 0.1, 1001)
    ax.plot(x, y, "o", color="k", ms=2.5, zorder=4, label="training pairs $(x_t, x_{t+1})$")
    ax.plot(grid, planted_map(grid), color="C1", lw=2.4, label="planted network f")
    ax.plot(grid, fit.predict(grid), color="C0", lw=1.3, ls="--", zorder=5,
            label=rf"optimal network at $\beta$ = {format_number(beta_shown, 3)} "
                  f"(m* = {fit.support.size})")
    for b in PLANTED_B:
        ax.axvline(b, color="C1", ls=":", lw=1.0)
    ax.plot([], [], color="C1", ls=":", lw=1.0, label="planted breakpoints")
    kinks = [float(k) for f in fit.features() for k in f.breakpoints]
    ax.plot(kinks, np.full(len(kinks), y.min() - 0.15), "|", color="C0", ms=12, mew=1.5,
            label="breakpoints of the optimal network")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel("$x_t$")
    ax.set_ylabel("$x_{t+1}$")
    ax.set_title("the optimal network vs the planted one", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, fontsize=7)
    fig.suptitle("A planted 2-layer abs network: the Lasso path recovers its breakpoints "
                 "(Library of Mirrors, Fig. 4.4)", y=1.0)
    save_figure(fig, path)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--smoke", action="store_true",
                        help="T = 300 and 15 betas: the same code in seconds (CI)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    res = (run(T=300, n_betas=15, adam_every=7, adam_trials=2, adam_steps=40, adam_width=15)
           if args.smoke else run())
    best, rec = res["best"], res["recovered"]
    print(f"planted breakpoints {PLANTED_B.tolist()}, T = {len(res['data'][0])}, noise "
          f"{NOISE:g}; beta_max = {res['beta_max']:.6g}")
    print(f"{'beta':>10} {'m*':>4} {'train MSE':>10} {'test MSE':>10}  selected breakpoints")
    for k, b in enumerate(res["betas"]):
        picks = ", ".join(format_number(v, 3) for v in res["selected"][k][:10])
        more = " ..." if len(res["selected"][k]) > 10 else ""
        print(f"{b:>10.3e} {res['m_star'][k]:>4} {res['train_mse'][k]:>10.5f} "
              f"{res['test_mse'][k]:>10.5f}  {picks}{more}"
              f"{'   <- least test error' if k == best else ''}"
              f"{'   <- all planted found' if k == rec else ''}")
    if res["recovered"] is None:
        print(f"no beta of the path has every planted breakpoint within {RECOVERY_TOL:g} of a "
              "selected one")
    else:
        k = res["recovered"]
        print(f"largest beta with every planted breakpoint within {RECOVERY_TOL:g} of a selected "
              f"one: {res['betas'][k]:.4g} (m* = {res['m_star'][k]}; distances "
              + ", ".join(format_number(d, 3) for d in res["distances"][k])
              + f"; selected breakpoints farther from all planted ones: {res['spurious']})")
    print(res["fit"].certificate.verdict())
    figure(res, args.out / "fig4_4_regularization_path.png")
    print(f"figures written to {args.out}/")
    return res


if __name__ == "__main__":
    main()
