"""Enumerating ~10^6 anchor subsets of a d-D wedge library (From Complexity to Clarity, Thm 4):
n = 200 points in d = 3 with biases and p = 1, so the subsets are the triples of the lifted,
augmented anchors [X, 1; I_3, 0] (about C(203, 3) = 1.37 M); each gives a neuron (the generalized
cross product of its three 4-D anchors, l1-normalized) and two columns (both orientations).

Times, over repeated runs (first a warm-up: numba compilation and caches):
* build: subset enumeration + batched cross products + degenerate / repeated detection
  (``build_dictionary(..., storage="kernels")``, the columns matrix-free);
* pass: one correlation pass A^T r over all 2.7 M columns (what a working-set iteration costs);
* columns: evaluating 10^4 columns densely (what entering a working set costs).

    python benchmarks/bench_wedge_enumeration.py [--n 200] [--repeat 3]
"""
from __future__ import annotations

import argparse
import datetime

import numpy as np

from _machine import machine, wall_times
import gaconvex.symbolic as gs
from gaconvex.dictionaries import build_dictionary


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, 3))
    arch = gs.architecture("relu", 2, dim=3)
    print(f"{machine()}, {datetime.date.today().isoformat()}")
    print(f"{arch}, n = {args.n}, d = 3, bias, p = 1")
    D = build_dictionary(X, arch, storage="kernels")
    print(f"library: {D.shape[1]:,} columns; {D.report}")
    r = rng.standard_normal(args.n)
    idx = rng.choice(D.shape[1], 10_000, replace=False)
    for name, fn in [("build (enumerate + cross products)",
                      lambda: build_dictionary(X, arch, storage="kernels")),
                     ("one pass A^T r over all columns", lambda: D.rmatvec(r)),
                     ("10^4 columns evaluated", lambda: D.columns(idx))]:
        t = wall_times(fn, args.repeat)
        print(f"  {name:<36} {min(t):7.3f} - {max(t):7.3f} s over {len(t)} runs")


if __name__ == "__main__":
    main()
