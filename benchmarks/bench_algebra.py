"""Benchmark of gaconvex.algebra.generalized_cross (001 eq. (42)) against its peers.

Times the cross product of 10^6 random (d-1)-subsets in d = 3 and d = 5 on the numpy/numba path
and the torch CPU path (and CUDA when present), against kingdon (symbolic codegen over numpy
arrays in coefficient-first layout (d, n): timed in its native layout, and with the conversion
from and to gaconvex's (n, d-1, d) / (n, d) layout counted), against a loop of clifford's
(v_1 ^ ... ^ v_{d-1}).dual() over a sample (extrapolated per item), and against the memory-
bandwidth limit: (bytes read + bytes written) / the bandwidth of a measured numpy copy.
Prints machine and date; ratios are "peer time / our time" (> 1: we are faster).

    python benchmarks/bench_algebra.py [--n 1000000] [--sample 2000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import datetime
import functools
import operator
import os
import platform

import clifford
import numba
import numpy as np
import torch

from _machine import cpu_model, wall_times
from gaconvex.algebra import generalized_cross
from gaconvex.algebra.clifford_bridge import clifford_layout, from_clifford, to_clifford


def best_time(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls after one warm-up call (numba compile, caches)."""
    return min(wall_times(fn, repeat))


def kingdon_cross(d: int):
    """(to_native, native_cross, from_native) for kingdon's Algebra(d), or None if missing."""
    try:
        from kingdon import Algebra
    except ImportError:
        return None
    algebra = Algebra(d, 0, 0)

    def to_native(V):
        return [algebra.vector(np.ascontiguousarray(V[:, i, :].T)) for i in range(V.shape[1])]

    def native_cross(vectors):
        return functools.reduce(operator.xor, vectors).dual()

    def from_native(mv):
        # kingdon keys are blade bitmaps; grade-1 keys 1, 2, 4, ... are e_1, e_2, e_3, ...
        order = np.argsort(mv.keys())
        return np.ascontiguousarray(np.asarray(mv.values())[order].T)

    return to_native, native_cross, from_native


def clifford_cross_loop(V: np.ndarray) -> np.ndarray:
    """cross of every (d-1, d) stack in V by clifford: (v_1 ^ ... ^ v_{d-1}).dual()."""
    return np.array([from_clifford(functools.reduce(operator.xor, map(to_clifford, item)).dual())
                     for item in V])


def machine() -> str:
    return (f"{platform.platform()}, {cpu_model()}, "
            f"{os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, "
            f"numba threads {numba.config.NUMBA_NUM_THREADS}; python {platform.python_version()}, "
            f"numpy {np.__version__}, numba {numba.__version__}, torch {torch.__version__}, "
            f"clifford {clifford.__version__}" + _kingdon_version())


def _kingdon_version() -> str:
    try:
        from importlib.metadata import version

        return f", kingdon {version('kingdon')}"
    except Exception:
        return ", kingdon not installed"


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
    print("| d | method | time for n (s) | ns / subset | peer time / ours |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for d in (3, 5):
        V = rng.normal(size=(args.n, d - 1, d))
        clifford_layout(d)
        sample = V[: args.sample]
        clifford_total = best_time(lambda: clifford_cross_loop(sample), 1) / len(sample) * args.n
        reference = clifford_cross_loop(sample)
        ours = best_time(lambda: generalized_cross(V), args.repeat)
        rows = {"gaconvex numpy/numba": ours}
        error = np.abs(generalized_cross(sample) - reference).max()
        for device in devices:
            T = torch.as_tensor(V, device=device)

            def run(T=T):
                out = generalized_cross(T)
                if out.is_cuda:
                    torch.cuda.synchronize()

            rows[f"gaconvex torch {device}"] = best_time(run, args.repeat)
            error = max(error, np.abs(generalized_cross(T[: args.sample]).cpu().numpy()
                                      - reference).max())
        king = kingdon_cross(d)
        if king is not None:
            to_native, native_cross, from_native = king
            native = to_native(V)
            rows["kingdon, native (d, n) layout"] = best_time(lambda: native_cross(native),
                                                              args.repeat)
            rows["kingdon, with layout conversion"] = best_time(
                lambda: from_native(native_cross(to_native(V))), args.repeat)
            error = max(error, np.abs(from_native(native_cross(to_native(sample)))
                                      - reference).max())
        rows["clifford loop (extrapolated)"] = clifford_total
        copy = best_time(lambda: V.copy(), args.repeat)
        bandwidth = 2 * V.nbytes / copy  # a copy reads and writes V
        rows["memory-bandwidth limit"] = (V.nbytes + args.n * d * 8) / bandwidth
        for name, seconds in rows.items():
            print(f"| {d} | {name} | {seconds:.4f} | {seconds / args.n * 1e9:.0f} | "
                  f"{seconds / ours:.2f} |")
        print(f"# d = {d}: copy bandwidth {bandwidth / 1e9:.1f} GB/s; max |method - clifford| "
              f"on the sample = {error:.1e}")


if __name__ == "__main__":
    main()
