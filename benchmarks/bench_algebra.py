"""Benchmark of gaconvex.algebra.generalized_cross (001 eq. (42)) against a clifford loop.

Times the cross product of 10^6 random (d-1)-subsets in d = 3 and d = 5 on the numpy/numba path
and the torch CPU path (and CUDA when present), and a loop of clifford's
(v_1 ^ ... ^ v_{d-1}).dual() over a sample, extrapolated per item. Prints machine and date.

    python benchmarks/bench_algebra.py [--n 1000000] [--sample 2000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import datetime
import functools
import operator
import os
import platform
import time

import clifford
import numba
import numpy as np
import torch

from gaconvex.algebra import generalized_cross
from gaconvex.algebra.clifford_bridge import clifford_layout, from_clifford, to_clifford


def best_time(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls after one warm-up call (numba compile, caches)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def clifford_cross_loop(V: np.ndarray) -> np.ndarray:
    """cross of every (d-1, d) stack in V by clifford: (v_1 ^ ... ^ v_{d-1}).dual()."""
    return np.array([from_clifford(functools.reduce(operator.xor, map(to_clifford, item)).dual())
                     for item in V])


def cpu_model() -> str:
    """The CPU's model name (Linux), else the platform's processor string."""
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def machine() -> str:
    return (f"{platform.platform()}, {cpu_model()}, "
            f"{os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, "
            f"numba threads {numba.config.NUMBA_NUM_THREADS}; python {platform.python_version()}, "
            f"numpy {np.__version__}, numba {numba.__version__}, torch {torch.__version__}, "
            f"clifford {clifford.__version__}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6, help="subsets per batch")
    parser.add_argument("--sample", type=int, default=2000, help="subsets for the clifford loop")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (best is kept)")
    args = parser.parse_args()
    print(f"# generalized_cross benchmark, {datetime.date.today().isoformat()}")
    print(f"# {machine()}")
    print(f"# n = {args.n} subsets, clifford sample = {args.sample}, best of {args.repeat}\n")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print("| d | backend | time for n (s) | ns / subset | clifford extrapolated (s) | speed-up |")
    print("|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for d in (3, 5):
        V = rng.normal(size=(args.n, d - 1, d))
        clifford_layout(d)
        sample = V[: args.sample]
        per_item = best_time(lambda: clifford_cross_loop(sample), 1) / len(sample)
        reference = clifford_cross_loop(sample)
        timings = {"numpy/numba": best_time(lambda: generalized_cross(V), args.repeat)}
        error = np.abs(generalized_cross(sample) - reference).max()
        for device in devices:
            T = torch.as_tensor(V, device=device)

            def run(T=T):
                out = generalized_cross(T)
                if out.is_cuda:
                    torch.cuda.synchronize()

            timings[f"torch {device}"] = best_time(run, args.repeat)
            fast = generalized_cross(T[: args.sample]).cpu().numpy()
            error = max(error, np.abs(fast - reference).max())
        clifford_total = per_item * args.n
        print(f"| {d} | clifford loop | - | {per_item * 1e9:.0f} | {clifford_total:.1f} | 1 |")
        for name, seconds in timings.items():
            print(f"| {d} | {name} | {seconds:.3f} | {seconds / args.n * 1e9:.0f} | "
                  f"{clifford_total:.1f} | {clifford_total / seconds:.0f}x |")
        print(f"# d = {d}: max |fast - clifford| on the sample = {error:.1e}")


if __name__ == "__main__":
    main()
