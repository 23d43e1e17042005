"""Command line: ``gaconvex demo`` and ``gaconvex describe``."""
from __future__ import annotations

import argparse
import sys

import numpy as np

__all__ = ["main"]


def _demo(args) -> int:
    """Fig. 3.2 of 002 end to end: derive, build, solve, reconstruct, compare objectives."""
    import gaconvex.symbolic as gs
    from gaconvex.certify import certify
    from gaconvex.dictionaries import deep_narrow_library
    from gaconvex.networks import reconstruct, training_objective
    from gaconvex.solvers import LassoProblem, solve

    x = np.array([2.0, 0.0, -1.0])
    y = np.array([2.0, 0.0, 1.0])
    beta = args.beta
    print("gaconvex demo: 3-layer deep narrow abs network on x = (2, 0, -1), y = (2, 0, 1)"
          " (Library of Mirrors, Fig. 3.2)\n")
    arch = gs.architecture("abs", 3)
    print(gs.describe(gs.derive(arch)))
    D = deep_narrow_library(x, "abs", 3)
    print(f"\n{D!r}")
    problem = LassoProblem(D.matrix, y, D.beta_tilde(beta), intercept=D.intercept)
    sol = solve(problem)
    print(f"\nLasso (beta = {beta:g}): objective {sol.objective:.10f}, "
          f"{len(sol.support)} active feature(s), certificate: {sol.certificate}")
    for i in sol.support:
        info = D.column_info(int(i))
        kinks = ", ".join(f"{float(b):g} ({b.label})"
                          for b in gs.breakpoints(info.family, info.anchor_values, info.signs))
        print(f"  z = {sol.z[i]:+.6f}  {info.bias_kind} feature, anchors {info.anchor_values}: "
              f"f(x) = {info.family.substitute(info.anchor_values, info.signs)}\n"
              f"      breakpoints: {kinks}")
    net = reconstruct(D, sol, beta)
    value = training_objective(net, x, y, beta).item()
    print(f"\nreconstructed torch network: training objective {value:.10f} "
          f"(Lasso {sol.objective:.10f}, difference {abs(value - sol.objective):.1e})")
    cert = certify(D, sol, y, beta)
    print(f"dual certificate: no unit with continuous biases correlates above beta~ "
          f"(max / beta~ = {cert.ratio:.8f}): global training optimum = {cert.ok()}")
    return 0 if cert.ok() else 1


def _describe(args) -> int:
    import gaconvex.symbolic as gs

    activation = (args.activation, args.slope) if args.activation == "leaky_relu" else args.activation
    arch = gs.architecture(activation, args.depth, args.family)
    library = gs.derive(arch)
    if args.anchors:
        fam = library.families[0]
        signs = tuple(args.signs) if args.signs else tuple(fam.sign_choices[0])
        print(gs.describe(fam, anchor_values=tuple(args.anchors), signs=signs, latex=args.latex))
    else:
        print(gs.describe(library))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gaconvex", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="derive, solve and reconstruct a 3-layer abs network")
    demo.add_argument("--beta", type=float, default=1e-3)
    demo.set_defaults(func=_demo)
    desc = sub.add_parser("describe", help="print a derived feature family")
    desc.add_argument("activation", choices=["relu", "leaky_relu", "abs", "sign", "threshold"])
    desc.add_argument("depth", type=int)
    desc.add_argument("--family", default="deep_narrow", choices=["deep_narrow", "symmetrized"])
    desc.add_argument("--slope", type=float, default=0.1, help="leaky_relu slope for u < 0")
    desc.add_argument("--anchors", type=float, nargs="*")
    desc.add_argument("--signs", type=int, nargs="*")
    desc.add_argument("--latex", action="store_true")
    desc.set_defaults(func=_describe)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:  # GaconvexError: a message that says what to fix
        print(f"gaconvex: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
