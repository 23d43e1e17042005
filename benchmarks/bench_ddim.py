"""d-D benchmark against pyscnn: 2-layer ReLU networks on X ~ N(0, 1), n = 1000, d = 3, no bias.

Same data and targets for every solver: X ~ N(0, I_3) (seed 0), y = relu(X w_1) - relu(X w_2)
+ 0.1 noise, w_1 = (1, -1, 0.5), w_2 = (-0.5, 1, 1).  Objectives are all on gaconvex's scale
(the lambda/2 convention of "From Complexity to Clarity", spec 001 Sec. 0.1):

    P_p(W) = 1/2 ||sum_j relu(X W1_j) W2_j - y||^2 + (beta / 2) sum_j (||W1_j||_p^2 + W2_j^2).

* pyscnn (the Pilanci lab's package): its augmented-Lagrangian solver ``AL`` (defaults) for the
  convex ReLU program over 500 sampled gate vectors (``sample_gate_vectors(seed, d, 500)``),
  regularizer ``NeuronGL1(lam)`` (the p = 2 weight decay), ``unitize_data=False`` (same data),
  float64.  pyscnn minimizes 1/(2n) ||.||^2 + lam R, i.e. P_2 / n: so lam = beta / n, and its
  network is scored here by P_2 of the non-convex network it returns, neurons balanced
  (||W1_j||_2 = |W2_j|, the same function): an upper bound of the p = 2 optimum p*_2 (its
  patterns are a sample).
* ours, p = 1 (001 Thm 4): the wedge Lasso over all C(n, 2) subsets of [X; I_3], both
  orientations (about 10^6 columns), matrix-free (``storage="kernels"``) through
  ``convex_fit`` and the working-set solver: the exact p = 1 training problem; time (data,
  dictionary, solve), objective, certified relative duality gap, nonzeros and the solver's
  correlation passes (over all columns, and restricted ones over its pool or its screened
  candidates).
* ours, p = 2 (001 Thm 5): the sandwich p^_((1-eps) beta) <= p*_2 <= p^_beta
  (:class:`gaconvex.wedge_bounds.P2Bounds`) with eps >= D(X).  D(X) itself needs all pairs of
  the 2 C(n, 2) candidate rays (``chamber_diameter`` is quadratic in them: infeasible at
  n = 1000), but chambers of X lie inside chambers of any subset of its rows, so
  D(X) <= D(X[:m]); eps = D(X[:m]) (``--eps-rows``, default 60) is a valid, looser, eps.

    python benchmarks/bench_ddim.py [--n 1000] [--beta 0.1] [--pyscnn-path DIR] [--skip-p2]

pyscnn 0.0.10 declares torchvision as a dependency (which would replace the pinned CPU torch);
it imports without it: ``pip install --no-deps --target DIR pyscnn linalg-backends
opt_einsum`` and pass ``--pyscnn-path DIR`` (added to sys.path of this process only).
"""
from __future__ import annotations

import argparse
import datetime
import sys
import time

import numpy as np

from _machine import machine


def data(n: int, d: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (np.maximum(X @ np.array([1.0, -1.0, 0.5]), 0)
         - np.maximum(X @ np.array([-0.5, 1.0, 1.0]), 0) + 0.1 * rng.normal(size=n))
    return X, y


def network_objective(W1: np.ndarray, W2: np.ndarray, X, y, beta: float, p: int) -> float:
    """P_p of the network x -> sum_j relu(x . W1_j) W2_j with every neuron balanced
    (penalty beta ||W1_j||_p |W2_j|, the minimum of (beta/2)(||W1_j||_p^2 + W2_j^2) over
    rescalings (W1_j t, W2_j / t), which leave the function unchanged)."""
    residual = np.maximum(X @ W1.T, 0.0) @ W2 - y
    return float(0.5 * residual @ residual
                 + beta * np.sum(np.linalg.norm(W1, ord=p, axis=1) * np.abs(W2)))


def run_pyscnn(X, y, beta: float, gates: int, seed: int):
    """(seconds, P_2 of pyscnn's network, neurons) or a string saying why not."""
    try:
        from scnn.activations import sample_gate_vectors
        from scnn.metrics import Metrics
        from scnn.models import ConvexReLU
        from scnn.optimize import optimize_model
        from scnn.regularizers import NeuronGL1
        from scnn.solvers import AL
    except ImportError as error:
        return f"pyscnn not importable ({error}); see the module docstring"
    n, d = X.shape
    G = sample_gate_vectors(seed, d, gates)
    model = ConvexReLU(G, c=1, bias=False)
    start = time.perf_counter()
    net, _ = optimize_model(model, AL(model), Metrics(), X, y[:, None],
                            regularizer=NeuronGL1(beta / n), unitize_data=False,
                            dtype="float64", seed=seed)
    seconds = time.perf_counter() - start
    W1, W2 = (np.asarray(a, dtype=np.float64) for a in net.parameters)
    W2 = W2.reshape(-1)
    live = (np.abs(W2) > 0) & (np.abs(W1).sum(1) > 0)
    return seconds, network_objective(W1[live], W2[live], X, y, beta, 2), int(live.sum())


def run_ours(X, y, beta: float, norm: int):
    """The wedge Lasso fit (matrix-free) and its wall time."""
    from gaconvex import convex_fit
    from gaconvex.symbolic import architecture

    arch = architecture("relu", 2, dim=X.shape[1], norm=norm, bias=False)
    start = time.perf_counter()
    fit = convex_fit(X, y, arch, beta, storage="kernels")
    return fit, time.perf_counter() - start


def describe(fit, seconds: float) -> str:
    """Time by phase, size, objective, certified gap, nonzeros and the working set's
    correlation passes (over all columns; restricted ones, with their columns in units of a
    full pass), besides the passes of beta_max, the column norms and the certificate."""
    cert = fit.solution.certificate
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in fit.timings.items())
    passes = fit.solution.info.get("passes")
    counted = "" if passes is None else (
        f"; passes: {passes['full']} full, {passes['restricted']} restricted "
        f"(= {passes['restricted_columns'] / fit.dictionary.n_columns:.1f} full)")
    return (f"{seconds:.1f} s ({phases}); {fit.dictionary.n_columns:,} columns; objective "
            f"{fit.objective:.10g}; relative gap {cert.relative_gap:.1e}; nnz "
            f"{int(np.count_nonzero(fit.solution.z))}{counted}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--beta", type=float, default=0.1)
    parser.add_argument("--gates", type=int, default=500, help="pyscnn's sampled gate vectors")
    parser.add_argument("--eps-rows", type=int, default=60,
                        help="rows m of the subset whose D(X[:m]) >= D(X) is Thm 5's eps")
    parser.add_argument("--pyscnn-path", default=None, help="folder with pyscnn (no-deps install)")
    parser.add_argument("--skip-pyscnn", action="store_true")
    parser.add_argument("--skip-p2", action="store_true")
    args = parser.parse_args()
    if args.pyscnn_path:
        sys.path.insert(0, args.pyscnn_path)
    X, y = data(args.n)
    for norm in (1, 2):  # warm-up: imports and numba compilation are not timed below
        run_ours(*data(30), args.beta, norm)
    print(f"# bench_ddim, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
          f"{machine()}")
    print(f"# X ~ N(0, 1), n = {args.n}, d = 3, no bias, beta = {args.beta} (pyscnn lam = "
          f"beta / n = {args.beta / args.n:.3g}); objectives P_p on gaconvex's scale "
          "(pyscnn's own objective is P_2 / n)")

    fit1, seconds = run_ours(X, y, args.beta, 1)
    print(f"ours p = 1 (exact, 001 Thm 4): {describe(fit1, seconds)}")

    if not args.skip_pyscnn:
        result = run_pyscnn(X, y, args.beta, args.gates, seed=778)
        if isinstance(result, str):
            print(f"pyscnn: {result}")
        else:
            seconds, value, neurons = result
            print(f"pyscnn AL, {args.gates} gate vectors, defaults: {seconds:.1f} s; P_2 of its "
                  f"network {value:.10g} ({neurons} neurons): an upper bound of p*_2")

    if not args.skip_p2:
        from gaconvex.dictionaries import chamber_diameter
        from gaconvex.wedge_bounds import P2Bounds

        start = time.perf_counter()
        eps = chamber_diameter(X[:args.eps_rows])
        print(f"eps = D(X[:{args.eps_rows}]) = {eps:.4g} >= D(X) ({time.perf_counter() - start:.1f} s)")
        fit2, seconds = run_ours(X, y, args.beta, 2)
        print(f"ours p = 2 at beta (upper bound p^_beta): {describe(fit2, seconds)}")
        shrunk = None
        if eps < 1:
            fit3, seconds = run_ours(X, y, (1 - eps) * args.beta, 2)
            print(f"ours p = 2 at (1 - eps) beta: {describe(fit3, seconds)}")
            shrunk = fit3.objective
        bounds = P2Bounds(args.beta, False, float(eps), float(fit2.objective), shrunk)
        print(f"Thm 5 (eps = D(X[:{args.eps_rows}])): {bounds}")


if __name__ == "__main__":
    main()
