"""Dictionary evaluation: generated kernels vs a per-column Python loop (002 spec Sec. 2.4).

Builds, in one run,

* the deep narrow ReLU L = 3 library on N = 200 points: all 4 N^2 = 160,000 columns
  (anchors (x_j1, x_j2), signs in {+-1}^2; 002 Def. 3.10, Lemma 3.7), and
* the abs L = 3 library with midpoints on N = 500 points: the data family and the midpoint
  family, N^2 = 250,000 columns each (002 Def. 3.8-3.10, Thm 3.11),

with the numba, numpy and torch (CPU) kernels of :func:`gaconvex.symbolic.compile`, and compares
them with the straightforward evaluation of the recursive definition, algorithm (a)/(b) of the
002 spec Sec. 2.4: loop over columns and, per column, over layers with numpy on the N points.
That loop is timed on a random sample of columns and extrapolated per column.

Kernel rows: "dense A" allocates A; "A, out=" writes each family's block into one preallocated
column-major dictionary (what a dictionary builder does, without page faults on fresh memory);
"A.T @ r" and "A @ z" are the matrix-free products, which never form A ("vs loop" still
compares with building A column by column).  Every time is the best of ``--repeat`` runs and
excludes the first call; code generation + numba compilation (empty cache) and loading from the
disk cache (fresh process) are reported separately.

Run:  python benchmarks/bench_dictionary.py [--sample 2000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

from _machine import wall_times
from gaconvex.symbolic import architecture, compile, derive

ACTIVATIONS = {"relu": lambda u: np.maximum(u, 0.0), "abs": np.abs}


def reference_columns(x, activation, anchors, signs, bias_kind):
    """002 spec Sec. 2.4 (a)/(b), one column at a time.

    h = x, hanchor = anchors; for each layer l: b = -hanchor[l] w_l (data feature bias, 002
    Def. 3.9) or, at layer 1 of a midpoint column, b = -w_1 (a1 + a2)/2 (002 Def. 3.8, abs);
    h <- sigma(w_l h + b), hanchor <- sigma(w_l hanchor + b).
    """
    sigma = ACTIVATIONS[activation]
    out = np.empty((x.size, len(anchors)))
    for p, (a, w) in enumerate(zip(anchors, signs)):
        w = w if len(w) else np.ones(len(a))
        h, hanchor = x.copy(), np.array(a, dtype=float)
        for layer in range(len(a)):
            if layer == 0 and bias_kind == "midpoint":
                b = -w[0] * (a[0] + a[1]) / 2
            else:
                b = -hanchor[layer] * w[layer]
            h = sigma(w[layer] * h + b)
            hanchor = sigma(w[layer] * hanchor + b)
        out[:, p] = h
    return out


def all_columns(x, family):
    """Every anchor tuple (x_j1, ..., x_jk) of data points times every sign choice."""
    k = family.n_anchors
    grid = np.stack(np.meshgrid(*[np.arange(x.size)] * k, indexing="ij"), -1).reshape(-1, k)
    choices = np.array(family.sign_choices, dtype=float).reshape(len(family.sign_choices), -1)
    anchors = np.repeat(x[grid], len(choices), axis=0)
    signs = np.tile(choices, (len(grid), 1))
    return anchors, signs


def best_time(fn, repeat):
    """Best wall time of ``repeat`` calls (no warm-up: the callers compile first)."""
    return min(wall_times(fn, repeat, warmup=False))


def cache_load_time(spec, depth, cache):
    """Seconds for compile(family, 'numba') + a first tiny call in a fresh process (disk cache)."""
    code = (
        "import time, numpy as np\nt = time.perf_counter()\n"
        "from gaconvex.symbolic import architecture, compile, derive, codegen\n"
        f"for f in derive(architecture({spec!r}, {depth})):\n"
        "    k = compile(f, 'numba'); k(np.zeros(2), np.zeros((1, f.n_anchors)), np.ones((1, f.n_signs)))\n"
        "print(time.perf_counter() - t, dict(codegen.stats))")
    env = dict(os.environ, GACONVEX_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split(maxsplit=1)
    return float(out[0]), out[1].strip()


def bench_library(name, spec, depth, n, args, rng, cache):
    print(f"\n== {name}: N = {n} ==")
    x = np.sort(rng.uniform(-1.0, 1.0, n))[::-1].copy()  # x_1 > ... > x_N (002 Sec. 1.2)
    library = derive(architecture(spec, depth))
    t = time.perf_counter()
    kernels = {f: {b: compile(f, b) for b in ("numba", "numpy", "torch")} for f in library}
    for f in library:  # first call: numba compilation (empty cache dir)
        kernels[f]["numba"](x[:2], np.zeros((1, f.n_anchors)), np.ones((1, f.n_signs)))
    cold = time.perf_counter() - t
    warm, how = cache_load_time(spec, depth, cache)
    print(f"code generation + numba compile (empty cache): {cold:.2f} s; "
          f"fresh-process load from disk cache: {warm:.2f} s ({how})")
    columns = {f: all_columns(x, f) for f in library}
    total = sum(a.shape[0] for a, _ in columns.values())
    print(f"columns: {total:,} ({' + '.join(f'{a.shape[0]:,} {f.bias_kind}' for f, (a, _) in columns.items())}),"
          f" dense size {total * n * 8 / 2**30:.2f} GiB")

    ref_per_col, max_err = 0.0, 0.0
    for f, (anchors, signs) in columns.items():
        pick = rng.choice(anchors.shape[0], size=min(args.sample, anchors.shape[0]), replace=False)
        ref = reference_columns(x, spec, anchors[pick], signs[pick], f.bias_kind)
        seconds = best_time(lambda: reference_columns(x, spec, anchors[pick], signs[pick], f.bias_kind),
                            args.repeat)
        ref_per_col += seconds / len(pick) * anchors.shape[0] / total
        got = kernels[f]["numba"](x, anchors[pick], signs[pick])
        max_err = max(max_err, float(np.abs(got - ref).max()))
    ref_total = ref_per_col * total
    print(f"python per-column loop (002 spec 2.4 (a)/(b)), {args.sample} sampled columns/family: "
          f"{ref_per_col * 1e6:.2f} us/column -> {ref_total:.2f} s extrapolated; "
          f"max |kernel - loop| = {max_err:.1e}")

    r = rng.normal(size=n)
    z = {f: rng.normal(size=a.shape[0]) for f, (a, _) in columns.items()}
    whole = np.empty((n, total), order="F")  # the whole dictionary, one column block per family
    offsets = dict(zip(library, np.cumsum([0] + [a.shape[0] for a, _ in columns.values()])))
    products = {
        "dense A": lambda k, f: k(x, *columns[f]),
        "A, out=": lambda k, f: k(x, *columns[f], out=_block(k, whole, offsets[f], columns[f][0])),
        "A.T @ r": lambda k, f: k.rmatvec(x, *columns[f], r),
        "A @ z": lambda k, f: k.matvec(x, *columns[f], z[f]),
    }
    print(f"{'backend':<8}{'product':<10}{'time [s]':>10}{'us/column':>12}{'vs loop':>10}")
    for backend in ("numba", "numpy", "torch"):
        for product, call in products.items():
            def run(backend=backend, call=call):
                return [call(kernels[f][backend], f) for f in library]
            run()  # first call excluded
            seconds = best_time(run, args.repeat)
            print(f"{backend:<8}{product:<10}{seconds:>10.3f}{seconds / total * 1e6:>12.4f}"
                  f"{ref_total / seconds:>9.0f}x")
    bench_builder(x, spec, depth, args, ref_total)


def bench_builder(x, spec, depth, args, ref_total):
    """The whole dictionary object through gaconvex.dictionaries.library_1d (numba kernels):
    enumeration, evaluation, and the reported removal of zero and duplicate columns."""
    from gaconvex.dictionaries import library_1d

    arch = architecture(spec, depth)
    for label, options in (("library_1d (no dedup)", {"deduplicate": False}),
                           ("library_1d + dedup", {}),
                           ("library_1d, matrix-free", {"dense": False})):
        seconds = best_time(lambda options=options: library_1d(x, arch, **options), args.repeat)
        print(f"{label:<26}{seconds:>10.3f} s{ref_total / seconds:>9.0f}x vs loop")
    print(f"  -> {library_1d(x, arch)!r}")


def _block(kernel, whole, start, anchors):
    """Column block of the preallocated dictionary for ``out=`` (a tensor view for torch)."""
    if kernel.backend == "torch":
        import torch

        whole = torch.from_numpy(whole)
    return whole[:, start:start + anchors.shape[0]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=2000, help="columns per family for the Python loop")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many kernel runs")
    args = parser.parse_args()
    import numba
    import torch

    print(f"date: {datetime.datetime.now():%Y-%m-%d %H:%M}; load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; python {platform.python_version()}, numpy {np.__version__}, "
          f"numba {numba.__version__} ({numba.get_num_threads()} threads), torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["GACONVEX_CACHE_DIR"] = cache
        bench_library("deep narrow ReLU L = 3", "relu", 3, 200, args, rng, cache)
        bench_library("deep narrow abs L = 3 with midpoints", "abs", 3, 500, args, rng, cache)


if __name__ == "__main__":
    main()
