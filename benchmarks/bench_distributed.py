"""Correlation-pass throughput, one process vs a Dask LocalCluster with 1 and 2 workers.

The working-set solver's outer iteration needs c = A^T r over all P columns (issue 11).  This
script times that pass on the full (unsampled, matrix-free, structured) library of deep
narrow abs L = 4 networks with data biases (002 Def. 3.10, Table 3.1: N^3 columns, an implicit
anchor grid) at N = 470 points: 103,823,000 columns.  It runs, in one go:

* **1 process**: ``StructuredColumns.rmatvec`` in this process, one numba thread;
* **LocalCluster, 1 worker** and **2 workers** (processes, 1 thread each):
  :class:`gaconvex.distributed.DaskColumns` with 2 shards per worker; ``rmatvec`` (every c_j
  comes back: 8 P bytes) and ``top_violators`` (each shard returns its k = 100 largest
  |c_j|: 16 k + 8 bytes).

Columns per second = P / wall time of one pass (after a warm-up pass on a small library that
loads the numba cache in every process).  Communication per pass: the vectors and index
arrays the driver sends and receives (counted by DaskColumns) and the pickled size of the
tasks.  A smaller case (``--iterations-n``) counts how many full passes one exact fit
(``convex_fit``, working set, gap 1e-6) makes, for the projection in docs/benchmarks.md.
NUMBA_NUM_THREADS is set to 1 before numba loads (inherited by the workers), so every
process computes on one core.

Run:  python benchmarks/bench_distributed.py [--n 470] [--repeat 1] [--iterations-n 40 60 80]
"""
from __future__ import annotations

import os

os.environ["NUMBA_NUM_THREADS"] = "1"  # one core per process (the workers inherit it)

import argparse  # noqa: E402
import datetime  # noqa: E402
import pickle  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from _machine import cpu_model
import gaconvex.symbolic as gs  # noqa: E402
from gaconvex.dictionaries import library_1d  # noqa: E402


def _library(n: int, seed: int = 0):
    x = np.random.default_rng(seed).uniform(-1, 1, n)
    return library_1d(x, gs.architecture("abs", 4, midpoints=False), storage="structured",
                      memory_limit=None)


def _timed(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _row(label: str, p: int, seconds: float, sent: int, received: int, tasks: int) -> None:
    print(f"{label:<46}{seconds:>9.1f}{p / seconds / 1e6:>9.2f}{sent / 1024:>12.1f}"
          f"{received / 1024:>16,.1f}{tasks:>7d}")


def _where(stream, cpu_before: dict, cpu_after: dict, columns: int) -> None:
    """Per worker: shard tasks run (task stream) and CPU seconds used (process time, all its
    threads); columns per CPU second is what a core gives when it is not shared."""
    tasks = {}
    for task in stream:
        tasks[task["worker"]] = tasks.get(task["worker"], 0) + 1
    cpu = {w: cpu_after[w] - cpu_before[w] for w in cpu_after}
    for worker in sorted(cpu):
        print(f"    {worker}: {tasks.get(worker, 0)} shard task(s), {cpu[worker]:.1f} CPU s")
    print(f"    {columns / sum(cpu.values()) / 1e6:.2f} Mcol per CPU second (all workers)")


def _cluster_rows(D, r, workers: int, repeat: int, k: int) -> None:
    from distributed import Client, LocalCluster, get_task_stream

    from gaconvex.distributed import distribute

    with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        warm = distribute(_library(20), client).store
        warm.rmatvec(np.ones(20))  # numba cache loaded in every worker
        store = distribute(D, client).store
        store.top_violators(np.ones(D.shape[0]), 1)  # the shard stores are built
        n = len(store.shards)
        task = len(pickle.dumps((r, k, None)))  # a task's arguments besides the shard
        for name, call in [("rmatvec", lambda: store.rmatvec(r)),
                           (f"top_violators(k={k})", lambda: store.top_violators(r, k))]:
            store.bytes_sent = store.bytes_received = 0
            before = client.run(time.process_time)
            with get_task_stream(client=client) as stream:
                seconds = _timed(call, repeat)
            after = client.run(time.process_time)
            _row(f"LocalCluster {workers} worker(s), {name}", D.shape[1], seconds,
                 (store.bytes_sent // repeat) + task * n, store.bytes_received // repeat, n)
            _where(stream.data, before, after, D.shape[1] * repeat)


def _passes_per_fit(n: int, beta: float) -> tuple[int, int, float]:
    """Full passes (A^T r and column norms) of one exact convex_fit on the N = n library."""
    from gaconvex import convex_fit
    from gaconvex.dictionaries import StructuredColumns

    counts = {"rmatvec": 0, "column_norms": 0}
    originals = {name: getattr(StructuredColumns, name) for name in counts}

    def counting(name):
        def call(self, *args):
            counts[name] += 1
            return originals[name](self, *args)
        return call

    x = np.random.default_rng(1).uniform(-1, 1, n)
    y = np.sin(4 * x) + 0.1 * np.random.default_rng(2).standard_normal(n)
    try:
        for name in counts:
            setattr(StructuredColumns, name, counting(name))
        fit = convex_fit(x, y, gs.architecture("abs", 4, midpoints=False), beta,
                         storage="structured", memory_limit=None,
                         solver_options={"tol": 1e-6})
    finally:
        for name, method in originals.items():
            setattr(StructuredColumns, name, method)
    return counts["rmatvec"], counts["column_norms"], fit.certificate.lasso.relative_gap


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=470, help="points (N^3 columns)")
    parser.add_argument("--repeat", type=int, default=1, help="timed passes per row (best)")
    parser.add_argument("--k", type=int, default=100, help="top violators per shard")
    parser.add_argument("--iterations-n", type=int, nargs="*", default=[40, 60, 80],
                        help="N of the fits whose passes are counted")
    parser.add_argument("--beta", type=float, default=1e-3, help="beta of those fits")
    args = parser.parse_args()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print(f"date: {datetime.datetime.now():%Y-%m-%d %H:%M}; load average {load[0]:.2f} "
          f"(other jobs share the cores)")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.platform()}; python "
          f"{platform.python_version()}; NUMBA_NUM_THREADS={os.environ['NUMBA_NUM_THREADS']}")
    D = _library(args.n)
    p = D.shape[1]
    print(f"\nabs L = 4 (data biases), N = {args.n}: {p:,} raw columns (structured, implicit grid)")
    r = np.random.default_rng(3).standard_normal(args.n)
    _library(20).rmatvec(np.ones(20))  # numba cache loaded here
    print(f"{'':<46}{'pass [s]':>9}{'Mcol/s':>9}{'sent [KiB]':>12}{'received [KiB]':>16}"
          f"{'tasks':>7}")
    cpu = time.process_time()
    _row("1 process (1 thread), rmatvec", p, _timed(lambda: D.rmatvec(r), args.repeat), 0, 0, 0)
    print(f"    {p * args.repeat / (time.process_time() - cpu) / 1e6:.2f} Mcol per CPU second")
    for workers in (1, 2):
        _cluster_rows(D, r, workers, args.repeat, args.k)
    print(f"\nfull passes of one exact fit (abs L = 4, beta = {args.beta:g}, gap 1e-6):")
    print(f"{'N':>6}{'columns':>14}{'A^T r':>8}{'norms':>8}{'rel. gap':>12}")
    for n in args.iterations_n:
        passes, norms, gap = _passes_per_fit(n, args.beta)
        print(f"{n:>6}{n ** 3:>14,}{passes:>8}{norms:>8}{gap:>12.1e}")


if __name__ == "__main__":
    main()
