"""gaconvex command line: deep networks trained exactly, as convex Lasso problems.

Commands
  gaconvex demo [--beta B]
      Fits the 3-layer deep narrow absolute-value network to x = (2, 0, -1), y = (2, 0, 1)
      (Fig. 3.2 of Zeger et al., "A Library of Mirrors") with gaconvex.convex_fit, the one
      pipeline (data -> dictionary -> Lasso -> solver -> certificate -> network), and prints:
      the derived feature families, the dictionary, the Lasso objective and the certificate,
      every active feature with its coefficient, its formula f(x) and its breakpoints
      labelled as reflections of the data, the training objective of the reconstructed torch
      network against the Lasso objective, and the certificate's verdict.  Exit status 0 if
      and only if the certificate proves its claim, 1 otherwise.
  gaconvex describe ACTIVATION DEPTH [--family F] [--slope A] [--anchors ...] [--signs ...]
                    [--latex]
      Prints the symbolic (sympy) derivation of an architecture's Lasso features: every
      feature family's formula f(x; a, s), what each anchor does and the raw library size in
      N; with --anchors, one column of the first family, substituted, with its breakpoints
      labelled as reflections; --latex writes the formulas in LaTeX.

Errors are one sentence on stderr ("gaconvex: error: ...") with exit status 2 (1 for an
unexpected internal error, 130 when interrupted); `gaconvex --debug COMMAND ...` adds the
traceback.
"""
from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
import textwrap
import traceback

import numpy as np

__all__ = ["main", "build_parser"]

_EPILOG = """\
papers: Zeger et al., "A Library of Mirrors" (1-D data; 002 in the derivations' references),
Pilanci, "From Complexity to Clarity" (d-D data, Clifford algebra; 001) and Zeger & Pilanci,
"Black Boxes and Looking Glasses" (deep absolute-value networks; 000).

exit status: 0 success, 1 demo not certified or an unexpected internal error, 2 bad input
(one sentence on stderr; --debug adds the traceback), 130 interrupted."""


class _UsageError(Exception):
    """A command line that argparse rejects (reported like every other error, exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one sentence instead of usage + exit."""

    def error(self, message):
        raise _UsageError(f"{message.rstrip('.')}; see '{self.prog} --help'.")


# -- argument types: each rejects a bad value with a message that says what it must be ----------
def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _positive_beta(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"beta must be a finite number > 0 (the training regularization), got {text!r}")
    return value


def _depth(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer (the number of weight layers L >= 2), got {text!r}") from None


def _sign(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value not in (1, -1):
        raise argparse.ArgumentTypeError(f"each sign must be +1 or -1, got {text!r}")
    return value


def _slope_parameter(factory):
    """The slope parameter of an activation factory (leaky_relu's a), or None."""
    params = list(inspect.signature(factory).parameters.values())
    return params[0] if params else None


def _paragraphs(*texts: str) -> str:
    """Help text paragraphs, each filled to the width of the module docstring."""
    return "\n\n".join(textwrap.fill(text, 92) for text in texts)


def _error(message: str) -> None:
    print(f"gaconvex: error: {message}", file=sys.stderr)


def _sentence(exc: BaseException) -> str:
    """An exception's message on one line (its type name when it has none)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


# -- commands ---------------------------------------------------------------------------------
def _demo(args) -> int:
    """Fig. 3.2 of 002 through convex_fit: derive, fit, reconstruct, certify."""
    import gaconvex.symbolic as gs
    from gaconvex import convex_fit

    x = np.array([2.0, 0.0, -1.0])
    y = np.array([2.0, 0.0, 1.0])
    beta = args.beta  # validated by the parser: finite and > 0
    arch = gs.architecture("abs", 3)  # the default (deep narrow) family, complete library
    print(f"gaconvex demo: 3-layer deep narrow abs network ({arch}) on x = (2, 0, -1), "
          "y = (2, 0, 1) (Library of Mirrors, Fig. 3.2)\n")
    print(gs.describe(gs.derive(arch)))
    fit = convex_fit(x, y, arch, beta)
    cert = fit.certificate
    print(f"\n{fit.dictionary!r}")
    print(f"\nLasso (beta = {beta:g}, beta~ = {fit.problem.beta_t:g}): objective "
          f"{fit.objective:.10f}, {fit.support.size} active feature(s)")
    print(f"certificate: {cert!r}")
    for feature in fit.features():
        info = feature.info
        anchors = ", ".join(f"{a:g}" for a in info.anchor_values)
        signs = f", signs {info.signs}" if info.signs else ""
        kinks = ", ".join(f"{float(b):g} ({b.label})" for b in feature.breakpoints) or "none"
        print(f"  z = {feature.coefficient:+.6f}  {info.bias_kind} feature, anchors ({anchors})"
              f"{signs}: f(x) = {info.family.substitute(info.anchor_values, info.signs)}\n"
              f"      breakpoints: {kinks}")
    value = fit.network_objective()
    print(f"\nreconstructed torch network: training objective {value:.10f} "
          f"(Lasso {fit.objective:.10f}, difference {abs(value - fit.objective):.1e})")
    optimal = cert.globally_optimal()
    if optimal is None:
        print(f"dual certificate: {cert.claim} = {cert.ok()}")
    else:
        print(f"dual certificate: max correlation of a unit with continuous biases / beta~ = "
              f"{cert.ratio:.8f} (<= 1 proves the library complete): "
              f"global training optimum = {optimal}")
    print(f"verdict: {cert.verdict()}")
    return 0 if cert.ok() else 1


def _describe(args) -> int:
    """The derivation of an architecture's library, or of one column of its first family."""
    import gaconvex.symbolic as gs
    from gaconvex import GaconvexError

    factory = gs.ACTIVATIONS[args.activation]
    if args.slope is None:
        activation = args.activation
    elif _slope_parameter(factory) is None:
        sloped = [name for name in sorted(gs.ACTIVATIONS)
                  if _slope_parameter(gs.ACTIVATIONS[name]) is not None]
        raise GaconvexError(f"--slope applies to {', '.join(sloped)} only; "
                            f"{args.activation} has no slope to set.")
    else:
        activation = (args.activation, args.slope)
    arch = gs.architecture(activation, args.depth, args.family)
    library = gs.derive(arch)
    if args.anchors is None:
        if args.signs is not None:
            raise GaconvexError("--signs describes one column and needs --anchors; "
                                "add --anchors with the column's anchor values.")
        print(gs.describe(library, latex=args.latex))
        return 0
    family = library.families[0]
    where = f"{family.architecture} [{family.bias_kind} biases]"
    if len(args.anchors) != family.n_anchors:
        names = ", ".join(map(str, family.anchors))
        raise GaconvexError(f"--anchors takes {family.n_anchors} value(s) ({names}) for {where}, "
                            f"got {len(args.anchors)}.")
    if args.signs is not None and len(args.signs) != family.n_signs:
        if family.n_signs == 0:
            raise GaconvexError(f"--signs takes no values for {where}: its inner weights are +1 "
                                f"only; got {len(args.signs)} sign(s).")
        names = ", ".join(map(str, family.signs))
        raise GaconvexError(f"--signs takes {family.n_signs} value(s) ({names}) for {where}, "
                            f"got {len(args.signs)}.")
    signs = tuple(args.signs) if args.signs is not None else tuple(family.sign_choices[0])
    print(gs.describe(family, anchor_values=tuple(args.anchors), signs=signs, latex=args.latex))
    return 0


# -- the parser -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    import gaconvex.symbolic as gs
    from gaconvex.symbolic.families import default_family

    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="gaconvex", description=__doc__, epilog=_EPILOG,
                     formatter_class=formatter)
    debug_help = "on an error, also print the Python traceback (for bug reports)"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                title="commands", parser_class=_Parser)

    demo_help = ("fit the 3-layer deep narrow abs network of Fig. 3.2 (Library of Mirrors) "
                 "exactly and prove its global optimality")
    demo = sub.add_parser(
        "demo", help=demo_help, formatter_class=formatter, epilog=_EPILOG,
        description=_paragraphs(
            f"{demo_help[0].upper()}{demo_help[1:]}.",
            "Runs x = (2, 0, -1), y = (2, 0, 1) through gaconvex.convex_fit and prints the "
            "derived features, the dictionary, the Lasso objective and certificate, each active "
            "feature (coefficient, formula f(x), breakpoints labelled as reflections), the "
            "reconstructed torch network's training objective against the Lasso objective, and "
            "the certificate's verdict.  Exit status 0 if and only if the certificate proves "
            "its claim."))
    demo.add_argument("--beta", type=_positive_beta, default=1e-3, metavar="B",
                      help="training regularization beta of the weight decay (finite, > 0; "
                           "default %(default)g)")
    demo.set_defaults(func=_demo)

    families = "; ".join(f"{name}: {gs.FAMILIES[name].summary}" for name in sorted(gs.FAMILIES))
    sloped = [name for name in sorted(gs.ACTIVATIONS)
              if _slope_parameter(gs.ACTIVATIONS[name]) is not None]
    slope_default = ", ".join(f"{_slope_parameter(gs.ACTIVATIONS[name]).default}"
                              + (f" for {name}" if len(sloped) > 1 else "") for name in sloped)
    describe_help = "print the symbolic derivation of an architecture's Lasso features"
    desc = sub.add_parser(
        "describe", help=describe_help, formatter_class=formatter, epilog=_EPILOG,
        description=_paragraphs(
            f"{describe_help[0].upper()}{describe_help[1:]} (sympy): every feature family's "
            "formula f(x; a, s), what each anchor does and the raw library size in N.  With "
            "--anchors, one column of the first family, substituted, with its breakpoints "
            "labelled as reflections of the data (Library of Mirrors).",
            "example: gaconvex describe abs 4 --anchors 7 4 5"))
    desc.add_argument("activation", choices=sorted(gs.ACTIVATIONS), metavar="ACTIVATION",
                      help=f"the activation, one of {', '.join(sorted(gs.ACTIVATIONS))} "
                           f"({', '.join(sloped)} takes --slope)")
    desc.add_argument("depth", type=_depth, metavar="DEPTH",
                      help="number of weight layers L, output layer included (L = 2: one "
                           "hidden layer)")
    desc.add_argument("--family", choices=sorted(gs.FAMILIES), default=None, metavar="F",
                      help=f"network family (default {default_family().name}): {families}")
    desc.add_argument("--slope", type=_finite_float, default=None, metavar="SLOPE",
                      help=f"slope for u < 0 of {', '.join(sloped)} (a finite number != 1; "
                           f"default {slope_default})")
    desc.add_argument("--anchors", type=_finite_float, nargs="+", metavar="A",
                      help="anchor values a1, a2, ... of one column of the first feature "
                           "family: prints that feature and its labelled breakpoints")
    desc.add_argument("--signs", type=_sign, nargs="+", metavar="S",
                      help="inner-weight signs s1, s2, ... (+1 or -1, as many as the family "
                           "has) of that column; needs --anchors (default: the first sign "
                           "pattern)")
    desc.add_argument("--latex", action="store_true",
                      help="write the formulas in LaTeX (sympy.latex) instead of plain text")
    desc.set_defaults(func=_describe)
    for command in (demo, desc):  # --debug also works after the command
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help=debug_help)
    return parser


def main(argv=None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        try:
            status = _run(argv)
        except KeyboardInterrupt:
            if "--debug" in argv:
                traceback.print_exc()
            print("gaconvex: interrupted", file=sys.stderr)
            status = 130
        sys.stdout.flush()  # inside the try: a closed pipe shows up here at the latest
    except BrokenPipeError:  # the reader went away (`gaconvex describe abs 3 | head`)
        _discard_stdout()
        return 1
    return status


def _run(argv) -> int:
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as exc:
        _error(str(exc))
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    try:
        return args.func(args)
    except (BrokenPipeError, KeyboardInterrupt):
        raise
    except ValueError as exc:  # GaconvexError: a message that says what to fix
        if args.debug:
            traceback.print_exc()
        _error(_sentence(exc))
        return 2
    except Exception as exc:  # a bug: one sentence, the traceback on request
        if args.debug:
            traceback.print_exc()
        _error(f"unexpected {type(exc).__name__}: {_sentence(exc)} (rerun as 'gaconvex --debug "
               f"{args.command} ...' for the traceback and report it)")
        return 1


def _discard_stdout() -> None:
    """Point stdout at devnull, so that the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (e.g. captured)
        pass


if __name__ == "__main__":
    raise SystemExit(main())
