"""Structured column store vs the kernel store: one A^T r and one sparse A z per library.

``storage="structured"`` (gaconvex.dictionaries.StructuredColumns) computes products from each
column's piecewise-linear form, O(K log N) a column; ``storage="kernels"``
(gaconvex.dictionaries.KernelColumns) evaluates every column on the N points, O(N) a column.
Both run in this process on the same libraries (002 Table 3.1, Def. 3.10):

* abs L = 3 with midpoints (002 Def. 3.8, Thm 3.11), 2 N^2 columns, at N = 300, 2,000
  (8 million columns) and 10,000 (2 x 10^8 columns);
* deep narrow ReLU L = 3, 4 N^2 columns, N = 200;
* two-layer ReLU, 2 N columns, N = 10^4 and 10^5.

Each product runs ``--repeat`` times after a first call (numba compilation or cache load
excluded); the range min-max is printed, and the kernel-store time divided by the structured
time.  The kernel store is timed on a sample of its columns first and skipped where one full
product would take longer than ``--kernel-limit`` seconds (its time is then extrapolated from
the sample and marked "~").  A sparse z has ``--nonzeros`` nonzero entries.  The first write to a
fresh length-P result costs page faults, which this script times separately.

Run:  python benchmarks/bench_structured.py [--repeat 3] [--kernel-limit 60] [--nonzeros 100]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import numpy as np

from _machine import cpu_model
import gaconvex.symbolic as gs
from gaconvex.dictionaries import library_1d

CASES = [
    ("abs L=3 + midpoints", ("abs", 3), 300),
    ("abs L=3 + midpoints", ("abs", 3), 2_000),
    ("abs L=3 + midpoints", ("abs", 3), 10_000),
    ("deep narrow ReLU L=3", ("relu", 3), 200),
    ("2-layer ReLU", ("relu", 2), 10_000),
    ("2-layer ReLU", ("relu", 2), 100_000),
]


def _times(fn, repeat: int) -> list[float]:
    fn()  # first call: compilation or cache load, excluded
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _span(times, mark: str = "") -> str:
    return f"{min(times):.3f}-{max(times):.3f}" if len(times) > 1 else f"{mark}{times[0]:.1f}"


def _ratio(theirs, ours, mark: str = "") -> str:
    ratio = min(theirs) / min(ours)
    return f"{mark}{ratio:.0f}x" if ratio >= 10 else f"{mark}{ratio:.1f}x"


def _kernel_estimate(store, r, rng) -> float:
    """Seconds of one full kernel-store A^T r, extrapolated from a sample of columns."""
    p = store.shape[1]
    sample = store.take(np.sort(rng.choice(p, min(p, 20_000), replace=False)))
    sample.rmatvec(r)
    start = time.perf_counter()
    sample.rmatvec(r)
    return (time.perf_counter() - start) * p / sample.shape[1]


def bench(label, spec, n, args, rng):
    x = rng.uniform(-1.0, 1.0, n)
    arch = gs.architecture(*spec)
    start = time.perf_counter()
    structured = library_1d(x, arch, storage="structured")
    built = time.perf_counter() - start
    p = structured.n_columns
    r = rng.standard_normal(n)
    z = np.zeros(p)
    z[rng.choice(p, min(args.nonzeros, p), replace=False)] = rng.standard_normal(min(args.nonzeros, p))
    kernels = library_1d(x, arch, storage="kernels")
    estimate = _kernel_estimate(kernels, r, rng)
    rows = {"A^T r": (lambda: structured.rmatvec(r), lambda: kernels.rmatvec(r)),
            f"A z ({min(args.nonzeros, p)} nonzeros)": (lambda: structured.matvec(z),
                                                        lambda: kernels.matvec(z))}
    print(f"\n== {label}, N = {n:,}: {p:,} columns (built in {built:.3f} s) ==")
    first = np.arange(min(p, 1000))
    correct = np.abs(structured.take(first).rmatvec(r) - kernels.columns(first).T @ r)
    print(f"max |structured - kernels| over the first 1000 correlations: {correct.max():.1e}")
    print(f"{'product':<24}{'structured [s]':>16}{'kernels [s]':>16}{'ratio':>10}")
    for product, (fast, slow) in rows.items():
        ours = _times(fast, args.repeat)
        if product == "A^T r" and estimate > args.kernel_limit:
            theirs, mark = [estimate], "~"
        else:
            theirs, mark = _times(slow, args.repeat), ""
        print(f"{product:<24}{_span(ours):>16}{_span(theirs, mark):>16}"
              f"{_ratio(theirs, ours, mark):>10}")
    if estimate > args.kernel_limit:
        print(f"  kernel-store A^T r skipped: one pass would take ~{estimate:.0f} s "
              f"(> --kernel-limit {args.kernel_limit:g} s), extrapolated from 20,000 columns")
    start = time.perf_counter()
    np.empty(p)[:] = 0.0
    print(f"  first touch of a fresh length-P vector ({p * 8 / 2**20:,.0f} MiB): "
          f"{time.perf_counter() - start:.3f} s of every A^T r above")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per product")
    parser.add_argument("--kernel-limit", type=float, default=60.0,
                        help="skip the kernel store where one A^T r takes longer (seconds)")
    parser.add_argument("--nonzeros", type=int, default=100, help="nonzeros of the sparse z")
    args = parser.parse_args()
    import numba

    print(f"date: {datetime.datetime.now():%Y-%m-%d %H:%M}; load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.platform()}; python "
          f"{platform.python_version()}, numpy {np.__version__}, numba {numba.__version__} "
          f"({numba.config.NUMBA_NUM_THREADS} threads)")
    rng = np.random.default_rng(2026)
    for label, spec, n in CASES:
        bench(label, spec, n, args, rng)


if __name__ == "__main__":
    main()
