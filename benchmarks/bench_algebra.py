"""Benchmark of gaconvex.algebra.generalized_cross (001 eq. (42)) against its peers.

Times the cross product (the Hodge dual of the wedge) of 10^6 random (d-1)-subsets in d = 3, 4,
5, all methods on the same data:

* gaconvex in both of its layouts: "rows" (N, d-1, d) -> (N, d), the default, and "soa"
  (d-1, d, N) -> (d, N), coefficient-first like kingdon (generated single-threaded numba
  kernels, ``gaconvex.algebra._codegen``), and the torch CPU path (CUDA too when present);
* kingdon (symbolic codegen over numpy arrays, coefficient-first): in its native layout (the
  d input arrays of each vector in, the d coefficient arrays out), and with the conversion from
  and to gaconvex's row layout counted;
* a loop of clifford's (v_1 ^ ... ^ v_{d-1}).dual() over a sample (extrapolated per item);
* the memory-bandwidth limit: (bytes read + bytes written) / the bandwidth of a measured copy
  (np.copyto of the input into a preallocated array: reads and writes its bytes once).

Every method is timed ``--repeat`` times (after one warm-up call: numba compilation, kingdon's
codegen), the repeats of all methods interleaved so that load on the machine hits them alike;
the table gives min-median-max, "vs ours" = median peer time / median time of gaconvex "soa"
(> 1: we are faster; the kingdon rows compare like with like: native with "soa", conversion
counted with "rows"), and "x limit" = median time / the bandwidth limit.

    python benchmarks/bench_algebra.py [--n 1000000] [--sample 2000] [--repeat 7] [--dims 3 4 5]
"""
from __future__ import annotations

import argparse
import datetime
import functools
import operator
import statistics
import time

import clifford
import numba
import numpy as np
import torch

from _machine import machine
from gaconvex.algebra import generalized_cross
from gaconvex.algebra.clifford_bridge import clifford_layout, from_clifford, to_clifford


def kingdon_cross(d: int):
    """(to_native, native_cross, from_native) for kingdon's Algebra(d), or None if missing.

    Native layout: a vector is kingdon's ``algebra.vector`` of a (d, N) array (one row per
    coefficient); the result's values are the d coefficient arrays, keyed by blade bitmap."""
    try:
        from kingdon import Algebra
    except ImportError:
        return None
    algebra = Algebra(d, 0, 0)

    def to_native(V):  # (N, d-1, d) -> d-1 kingdon vectors
        return [algebra.vector(np.ascontiguousarray(V[:, i, :].T)) for i in range(V.shape[1])]

    def from_soa(S):  # (d-1, d, N) -> d-1 kingdon vectors (no copy)
        return [algebra.vector(S[i]) for i in range(S.shape[0])]

    def native_cross(vectors):
        return functools.reduce(operator.xor, vectors).dual()

    def from_native(mv):  # -> (N, d); grade-1 keys 1, 2, 4, ... are e_1, e_2, e_3, ...
        order = np.argsort(mv.keys())
        return np.ascontiguousarray(np.asarray(mv.values())[order].T)

    return to_native, from_soa, native_cross, from_native


def clifford_cross_loop(V: np.ndarray) -> np.ndarray:
    """cross of every (d-1, d) stack in V by clifford: (v_1 ^ ... ^ v_{d-1}).dual()."""
    return np.array([from_clifford(functools.reduce(operator.xor, map(to_clifford, item)).dual())
                     for item in V])


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        king = f"kingdon {version('kingdon')}"
    except PackageNotFoundError:
        king = "kingdon not installed (pip install kingdon: its rows are skipped)"
    return (f"numpy {np.__version__}, numba {numba.__version__} ({numba.get_num_threads()} "
            f"threads), torch {torch.__version__} ({torch.get_num_threads()} threads), clifford "
            f"{clifford.__version__}, {king}")


def interleaved(functions: dict, repeat: int) -> dict:
    """name -> list of ``repeat`` wall times, the repeats of all functions interleaved."""
    for fn in functions.values():
        fn()  # warm-up: numba compilation, kingdon codegen, page faults of first allocations
    times = {name: [] for name in functions}
    for _ in range(repeat):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def run(d: int, n: int, sample: int, repeat: int, rng) -> None:
    V = rng.normal(size=(n, d - 1, d))
    S = np.ascontiguousarray(V.transpose(1, 2, 0))  # the same data, coefficient-first
    clifford_layout(d)
    reference = clifford_cross_loop(V[:sample])
    start = time.perf_counter()
    clifford_cross_loop(V[:sample])
    clifford_total = (time.perf_counter() - start) / sample * n

    functions = {"gaconvex soa (d-1, d, N) -> (d, N)": lambda: generalized_cross(S, layout="soa"),
                 "gaconvex rows (N, d-1, d) -> (N, d)": lambda: generalized_cross(V)}
    errors = {"gaconvex soa (d-1, d, N) -> (d, N)": generalized_cross(S[..., :sample],
                                                                      layout="soa").T,
              "gaconvex rows (N, d-1, d) -> (N, d)": generalized_cross(V[:sample])}
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        T = torch.as_tensor(V, device=device)

        def on_device(T=T):
            out = generalized_cross(T)
            if out.is_cuda:
                torch.cuda.synchronize()

        functions[f"gaconvex torch {device}, rows"] = on_device
        errors[f"gaconvex torch {device}, rows"] = generalized_cross(T[:sample]).cpu().numpy()
    king = kingdon_cross(d)
    if king is None:
        print(f"# d = {d}: kingdon is not installed (pip install kingdon); its rows are skipped")
    else:
        to_native, from_soa, native_cross, from_native = king
        native = from_soa(S)
        functions["kingdon native (d, N) -> d arrays"] = lambda: native_cross(native)
        functions["kingdon, conversion from/to rows counted"] = (
            lambda: from_native(native_cross(to_native(V))))
        errors["kingdon native (d, N) -> d arrays"] = from_native(native_cross(
            from_soa(np.ascontiguousarray(S[..., :sample]))))
        errors["kingdon, conversion from/to rows counted"] = from_native(
            native_cross(to_native(V[:sample])))
    target = np.empty_like(V)
    functions["numpy copy of the input (bandwidth probe)"] = lambda: np.copyto(target, V)
    times = interleaved(functions, repeat)
    copy = statistics.median(times.pop("numpy copy of the input (bandwidth probe)"))
    bandwidth = 2 * V.nbytes / copy
    limit = (V.nbytes + n * d * 8) / bandwidth
    times["clifford loop (extrapolated from the sample)"] = [clifford_total]
    errors["clifford loop (extrapolated from the sample)"] = reference
    ours = {"soa": statistics.median(times["gaconvex soa (d-1, d, N) -> (d, N)"]),
            "rows": statistics.median(times["gaconvex rows (N, d-1, d) -> (N, d)"])}
    for name, values in times.items():
        mid = statistics.median(values)
        base = ours["rows"] if "rows counted" in name else ours["soa"]
        print(f"| {d} | {name} | {min(values) * 1e3:.1f} - {mid * 1e3:.1f} - "
              f"{max(values) * 1e3:.1f} | {mid / n * 1e9:.1f} | {mid / base:.2f} | "
              f"{mid / limit:.1f} | {np.abs(errors[name] - reference).max():.0e} |")
    print(f"| {d} | memory-bandwidth limit ({(V.nbytes + n * d * 8) / 1e6:.0f} MB at "
          f"{bandwidth / 1e9:.1f} GB/s) | {limit * 1e3:.1f} | {limit / n * 1e9:.1f} | "
          f"{limit / ours['soa']:.2f} | 1.0 | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6, help="subsets per batch")
    parser.add_argument("--sample", type=int, default=2000, help="subsets for the clifford loop")
    parser.add_argument("--repeat", type=int, default=7, help="timed repetitions (>= 5)")
    parser.add_argument("--dims", type=int, nargs="+", default=[3, 4, 5])
    args = parser.parse_args()
    print(f"# generalized_cross benchmark, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"# {machine()}")
    print(f"# {versions()}")
    print(f"# N = {args.n} subsets per d, clifford sample = {args.sample}, {args.repeat} "
          "interleaved repeats; vs ours = median / median of gaconvex soa (rows for the "
          "conversion-counted kingdon row); x limit = median / bandwidth limit\n")
    print("| d | method | time (ms) min - median - max | ns / subset | vs ours | x limit | "
          "max abs error vs clifford |")
    print("|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for d in args.dims:
        run(d, args.n, args.sample, args.repeat, rng)


if __name__ == "__main__":
    main()
