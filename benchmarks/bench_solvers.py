"""Lasso solvers on the papers' libraries: gaconvex's working set vs cvxpy + Clarabel,
scikit-learn, skglm and celer, run in one process on the same problems.

Each case builds a 1-D library (002 Table 3.1) and the Lasso of 002 eq. (1.2) at beta~ (the
peers minimise 1/(2N) ||.||^2 + alpha ||z||_1 with alpha = beta~ / N and a free intercept, the
same problem; their objectives are recomputed in gaconvex's scaling).  For every solver the
table gives the wall time, the objective minus the best objective any solver reached (relative),
nnz(z) and, for gaconvex, the certified relative duality gap.  A peer that does not finish
within ``--peer-timeout`` seconds is stopped (it runs in a forked process) and reported as such.

Cases (``--cases`` selects by name):
  relu3-100, relu3-200   deep narrow ReLU L = 3 (matrix-free, 4 N^2 raw columns; the peers
                         get the deduplicated dense matrix)
  abs3-300               abs L = 3 + midpoints (2 N^2 raw columns)
  abs3-2000              abs L = 3 + midpoints, N = 2,000 (8 M raw columns, matrix-free)
  relu2-1e4              2-layer ReLU, N = 10^4
  sunspots-abs3          yearly sunspots (statsmodels), x_t -> x_{t+1}, abs L = 3 (ties merged)
and then (``--path-n``, default 10^5) a 50-beta lasso_path of the 2-layer ReLU library.

Run:  python benchmarks/bench_solvers.py [--cases relu3-200 abs3-300] [--peer-timeout 300]
Peers need ``pip install scikit-learn skglm celer statsmodels`` (skipped when absent).
"""
from __future__ import annotations

import argparse
import datetime
import multiprocessing as mp
import os
import time

import numpy as np

from _machine import machine
import gaconvex.symbolic as gs
from gaconvex import convex_fit
from gaconvex.dictionaries import STORAGES, library_1d
from gaconvex.solvers import LassoProblem, solve

BETA = 1e-3


def _noisy(n, seed=0):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, n))
    return x, np.sin(3 * x) + 0.1 * rng.standard_normal(n)


def _sunspots():
    import statsmodels.api as sm

    series = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy()
    return series[:-1], series[1:]


CASES = {
    "relu3-100": (lambda: _noisy(100), gs.architecture("relu", 3), "structured"),
    "relu3-200": (lambda: _noisy(200), gs.architecture("relu", 3), "structured"),
    "abs3-300": (lambda: _noisy(300), gs.architecture("abs", 3), "dense"),
    "abs3-2000": (lambda: _noisy(2000), gs.architecture("abs", 3), "structured"),
    "relu2-1e4": (lambda: _noisy(10_000), gs.architecture("relu", 2), "structured"),
    "sunspots-abs3": (_sunspots, gs.architecture("abs", 3), "structured"),
}


def _machine() -> str:
    return f"{machine()}, {datetime.date.today().isoformat()}"


# -- peers ------------------------------------------------------------------------------------------
def _objective(A, y, beta_t, z, xi):
    r = A @ z + xi - y
    return 0.5 * float(r @ r) + beta_t * float(np.abs(z).sum())


def _sklearn(A, y, beta_t):
    from sklearn.linear_model import Lasso

    model = Lasso(alpha=beta_t / len(y), tol=1e-10, max_iter=100_000).fit(A, y)
    return model.coef_, float(model.intercept_)


def _skglm(A, y, beta_t):
    from skglm import Lasso

    model = Lasso(alpha=beta_t / len(y), tol=1e-10, max_iter=1000, fit_intercept=True).fit(A, y)
    return model.coef_, float(model.intercept_)


def _celer(A, y, beta_t):
    from celer import Lasso

    model = Lasso(alpha=beta_t / len(y), tol=1e-10, max_iter=1000, fit_intercept=True).fit(A, y)
    return model.coef_, float(model.intercept_)


def _clarabel(A, y, beta_t):
    problem = LassoProblem(A, y, beta_t)
    sol = solve(problem, "reference")
    return sol.z, sol.xi


PEERS = {"cvxpy+Clarabel": _clarabel, "scikit-learn": _sklearn, "skglm": _skglm,
         "celer": _celer}


def _in_child(name, queue, path, beta_t):
    import warnings

    warnings.simplefilter("ignore")  # convergence warnings: the table reports the objective
    data = np.load(path)
    A, y = np.load(path.replace(".y.npy", ".A.npy"), mmap_mode="r"), data
    A = np.ascontiguousarray(A)
    start = time.perf_counter()
    try:
        z, xi = PEERS[name](A, y, beta_t)
        queue.put(("ok", time.perf_counter() - start, z, xi))
    except Exception as exc:  # report the peer's failure in the table
        queue.put(("error", time.perf_counter() - start, repr(exc)[:60], None))


def _run_peer(name, A, y, beta_t, timeout):
    """Run a peer in a fresh (spawned) process that reads A and y from disk, stopped after
    ``timeout`` seconds; a forked child would inherit the parent's thread pools (numba, BLAS)
    and can hang in them.  The time excludes loading the data."""
    import tempfile

    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "p.A.npy"), A)
        np.save(os.path.join(tmp, "p.y.npy"), y)
        queue = ctx.Queue()
        child = ctx.Process(target=_in_child, args=(name, queue, os.path.join(tmp, "p.y.npy"),
                                                    beta_t))
        child.start()
        try:
            return queue.get(timeout=timeout + 60)
        except Exception:
            return ("timeout", float(timeout), None, None)
        finally:
            child.terminate()
            child.join()


# -- one case ----------------------------------------------------------------------------------------
def run_case(name, peer_timeout, peers, dense_limit):
    make, arch, storage = CASES[name]
    x, y = make()
    if storage not in STORAGES:
        storage = "kernels"
    warm = time.perf_counter()  # the process's first fit loads the numba kernels from the cache
    convex_fit(x[:20], y[:20], arch, BETA, storage=storage, certify=False)
    warm = time.perf_counter() - warm
    start = time.perf_counter()
    fit = convex_fit(x, y, arch, BETA, storage=storage, certify=False)
    ours_total = time.perf_counter() - start
    sol, D = fit.solution, fit.dictionary
    print(f"\n{name}: {arch}, N = {len(x)} ({len(fit.data.rows)} distinct), P = {D.n_columns:,} "
          f"columns ({storage}), beta = {BETA:g}; end to end {ours_total:.2f} s "
          f"(dictionary {fit.timings['dictionary']:.2f} s, solve {fit.timings['solve']:.2f} s; "
          f"warm-up fit on 20 points before it {warm:.2f} s)")
    results = [("gaconvex (working set)", fit.timings["solve"], sol.objective, sol.m_star,
                sol.certificate.relative_gap)]
    yw, w = fit.problem.y, fit.problem.weights
    if storage != "dense" and peers and D.n_samples * D.n_columns <= dense_limit:
        D = convex_fit(x, y, arch, 1e30, storage="dense", certify=False).dictionary  # the peers
        # get the deduplicated dense library (fewer columns than the raw matrix-free one)
    if D.n_samples * D.n_columns <= dense_limit and np.all(w == 1):
        A = D.to_dense()
        for peer in peers:
            status, seconds, z, xi = _run_peer(peer, A, yw, fit.problem.beta_t, peer_timeout)
            if status == "ok":
                value = _objective(A, yw, fit.problem.beta_t, z, xi)
                results.append((peer, seconds, value, int(np.sum(np.abs(z) > 1e-6 * np.abs(z).max(initial=1e-300))), None))
            else:
                results.append((peer, seconds, np.nan, status, None))
    else:
        why = "weighted rows (ties)" if not np.all(w == 1) else "dense matrix too large"
        print(f"  peers skipped: {why}")
    best = np.nanmin([r[2] for r in results])
    ours = results[0][1]
    print(f"  {'solver':<24}{'time (s)':>10}{'vs ours':>9}{'(obj - best)/best':>19}{'nnz':>7}"
          f"{'cert. gap':>11}")
    for solver, seconds, value, nnz, gap in results:
        diff = "" if not np.isfinite(value) else f"{(value - best) / abs(best):.1e}"
        gap = "" if gap is None else f"{gap:.1e}"
        print(f"  {solver:<24}{seconds:>10.3f}{seconds / ours:>8.1f}x{diff:>19}{str(nnz):>7}{gap:>11}")
    return results


def run_path(n, time_limit):
    """A 50-beta ``lasso_path`` (beta_max down to 1e-4 beta_max) of the 2-layer ReLU library on
    N noisy points (structured, 2 N columns), warm-started beta to beta, with peak RSS."""
    import resource

    from gaconvex.solvers import lasso_path

    x, y = _noisy(n)
    arch = gs.architecture("relu", 2)
    convex_fit(x[:20], y[:20], arch, BETA, storage="structured", certify=False)  # warm-up
    problem = convex_fit(x, y, arch, 1e30, storage="structured", certify=False).problem
    start = time.perf_counter()
    path = lasso_path(problem, n_betas=50, time_limit=time_limit)
    seconds = time.perf_counter() - start
    done = sum(s.status == "optimal" for s in path)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20  # KiB -> GiB (Linux)
    print(f"\npath-relu2-{n}: 50-beta lasso_path, N = {n:,}, P = {problem.n_features:,}: "
          f"{done} of 50 betas optimal in {seconds:.1f} s (time limit {time_limit:g} s), "
          f"last inner rows {path[-1].info.get('inner_rows')}, peak RSS {rss:.2f} GiB")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--peer-timeout", type=float, default=300.0)
    parser.add_argument("--peers", nargs="*", default=list(PEERS), choices=list(PEERS))
    parser.add_argument("--dense-limit", type=float, default=6e7,
                        help="largest N x P for which the peers get a dense matrix")
    parser.add_argument("--path-n", type=int, nargs="*", default=[100_000],
                        help="N of the 50-beta 2-layer ReLU paths (none: skip)")
    parser.add_argument("--path-time-limit", type=float, default=300.0)
    args = parser.parse_args(argv)
    print(f"machine: {_machine()}")
    available = []
    for peer in args.peers:
        module = {"cvxpy+Clarabel": "cvxpy", "scikit-learn": "sklearn"}.get(peer, peer)
        try:
            __import__(module)
            available.append(peer)
        except ImportError:
            print(f"  ({peer} is not installed: skipped)")
    for name in args.cases:
        run_case(name, args.peer_timeout, available, args.dense_limit)
    for n in args.path_n:
        run_path(n, args.path_time_limit)


if __name__ == "__main__":
    main()
