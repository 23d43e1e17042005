"""gaconvex command line: deep networks trained exactly, as convex Lasso problems.

Commands
  gaconvex demo [--out DIR] [--beta B] [--restarts R] [--steps S] [--quiet] [--toy]
      Fits deep narrow absolute-value networks (L = 3 with its complete library, L = 4 with a
      sampled one) exactly, through gaconvex.convex_fit, to the autoregression x_t -> x_{t+1}
      of the yearly sunspot numbers 1700-1779 (shipped, public domain; ties merged), trains
      the same networks with Adam from several seeds on the same objective, writes demo.png
      (the fit with its kinks named as data points and reflections, the Adam restarts, the
      objective curves against the global optimum) and prints a short report.  --toy: the
      3-point example of Fig. 3.2 of Zeger et al., "A Library of Mirrors", printed in full.
  gaconvex fit DATA.csv --x COL [--x COL ...] --y COL --activation A --depth L --beta B
               [--loss LOSS] [--tau T] [--max-columns K] --out DIR
      Fits your CSV (columns by name) exactly; writes DIR/fit.json (objective, certificate,
      features with breakpoints, data report, timings) and DIR/fit.png (1-D inputs).
  gaconvex derive --activation A --depth L [--latex] [--anchors ...]
      (alias: gaconvex describe A L) prints the symbolic (sympy) derivation of an
      architecture's Lasso features: every feature family's formula f(x; a, s), what each
      anchor does and the library size in N; with --anchors, one column, substituted, with its
      breakpoints labelled as reflections.
  gaconvex verify --activation A --depth L [L ...] --n 8 --seed 0
      The Lasso-vs-Adam equivalence check on random data: the convex optimum J*, the rebuilt
      network's objective (equal to J*), Adam best / median over restarts (never below J*
      when the certificate proves global optimality) and the certificate, as a table.
  gaconvex bench [SCRIPT ...] [--list]
      Runs the benchmark scripts of a repository checkout (benchmarks/bench_*.py).

Errors are one sentence on stderr ("gaconvex: error: ...") with exit status 2 (1 for an
unexpected internal error, 130 when interrupted); `gaconvex --debug COMMAND ...` adds the
traceback.  Progress (a status line on stderr) is silenced by --quiet.
"""
from __future__ import annotations

import argparse
import ast
import inspect
import json
import math
import os
import subprocess
import sys
import textwrap
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

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


# -- progress ---------------------------------------------------------------------------------
@contextmanager
def _step(args, text: str):
    """A rich status spinner on stderr while a step runs, then one line with its time;
    nothing with --quiet."""
    if getattr(args, "quiet", False):
        yield
        return
    from rich.console import Console

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    start = time.perf_counter()
    with console.status(text):
        yield
    console.print(f"  {text}: done in {time.perf_counter() - start:.1f} s", style="dim")


# -- shared pieces of the commands ------------------------------------------------------------
def _architecture(args, dim: int = 1, depth=None):
    """The architecture of --activation/--slope/--depth/--family (slope checked by name)."""
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
    return gs.architecture(activation, args.depth if depth is None else depth, args.family,
                           dim=dim)


def _number(value, digits: int = 6) -> str:
    from gaconvex.plotting import format_number

    return format_number(value, digits)


def _adam(fit, x, y, *, restarts: int, steps: int, seed: int, lr: float, sample_weight=None,
          loss=None, tau: float = 0.5):
    """Adam restarts on the fit's own training objective (1.1): same data, weights, loss and
    beta, networks of the fit's architecture and width max(20, 2 m*) (wide enough to hold the
    global optimum, 002 Thm 3.11), biases drawn on the data's scale."""
    import functools

    from gaconvex.networks import ParallelNetwork, train_nonconvex

    arch = fit.architecture
    width = max(20, 2 * fit.support.size)
    scale = max(1.0, float(np.max(np.abs(x))))
    if any(arch.tied_layers):
        factory = functools.partial(ParallelNetwork.symmetrized, width, arch.activation,
                                    skip=arch.skip, bias_scale=scale)
    else:
        factory = functools.partial(ParallelNetwork.deep_narrow, width, arch.depth,
                                    arch.activation, skip=arch.skip, bias_scale=scale)
    options = {} if loss is None else {"loss": loss, "tau": tau}
    return train_nonconvex(factory, x, y, fit.beta, lr=lr, steps=steps, restarts=restarts,
                           seed=seed, sample_weight=sample_weight, **options)


def _gap(adam: float, optimum: float) -> str:
    return f"{100 * (adam - optimum) / abs(optimum):+.2f}%" if optimum else f"{adam - optimum:+.3g}"


def _certificate_word(cert) -> str:
    """'global optimum', 'sampled library solved', 'library solved' or 'NOT certified'."""
    optimal = cert.globally_optimal()
    if not cert.lasso_solved():
        return "NOT certified"
    if optimal is None:
        return "sampled library solved" if cert.sampled else "library solved"
    return "global optimum" if optimal else "NOT global"


# -- demo -------------------------------------------------------------------------------------
DEMO_YEARS = (1700, 80)  # the autoregression pairs (x_t, x_{t+1}) of these years
DEMO_SCALE = 100.0  # sunspot numbers in hundreds: Adam's default scales then fit the data
DEMO_BETA = 0.1
DEMO_MAX_COLUMNS = 20_000  # L = 4: a uniform sample of the ~5e5-column library (002 Sec. 4)
TOY_BETA = 1e-3


def _demo(args) -> int:
    """The main demo: deep narrow abs networks L = 3, 4 on the sunspots, exact vs Adam."""
    if args.toy:
        return _demo_toy(args)
    import gaconvex.symbolic as gs
    from gaconvex import convex_fit
    from gaconvex.datasets import sunspot_autoregression
    from gaconvex.plotting import comparison_figure, save_figure

    started = time.perf_counter()
    out = _output_dir("." if args.out is None else args.out)
    beta = DEMO_BETA if args.beta is None else args.beta
    start, years = DEMO_YEARS
    x, y = sunspot_autoregression(start, years)
    x, y = x / DEMO_SCALE, y / DEMO_SCALE
    print(f"gaconvex demo: the yearly sunspot numbers (public domain; gaconvex.datasets), "
               f"autoregression x_t -> x_(t+1) for t = {start}-{start + years - 1} ({x.size} pairs), in "
               f"hundreds of sunspots; deep narrow abs networks, beta = {beta:g}")
    rows, lines, status = [], [], 0
    for depth, max_columns in ((3, None), (4, DEMO_MAX_COLUMNS)):
        arch = gs.architecture("abs", depth)
        with _step(args, f"L = {depth}: dictionary, Lasso and certificate (convex_fit)"):
            fit = convex_fit(x, y, arch, beta, max_columns=max_columns, seed=args.seed)
        with _step(args, f"L = {depth}: Adam, {args.restarts} restarts x {args.steps} steps"):
            training = _adam(fit, x, y, restarts=args.restarts, steps=args.steps,
                             seed=args.seed, lr=args.lr)
        rows.append((fit, training))
        status |= 0 if fit.certificate.ok() else 1
        lines.append((depth, fit, training))
    if lines[0][1].data.report():
        print(f"data: {lines[0][1].data.report()}")
    print()
    print(f"{'L':>2}  {'library':<26} {'J* (convex)':>12} {'m*':>4} {'certificate':<24} "
               f"{'Adam best':>10} {'Adam median':>12} {'best - J*':>10} {'fit s':>6} "
               f"{'Adam s':>7}")
    for depth, fit, training in lines:
        D = fit.dictionary
        library = f"{D.n_columns} columns" + (" (sampled)" if D.sampled else "")
        finite = training.objectives[np.isfinite(training.objectives)]
        print(f"{depth:>2}  {library:<26} {fit.objective:>12.6f} {fit.support.size:>4} "
                   f"{_certificate_word(fit.certificate):<24} {training.best_objective:>10.6f} "
                   f"{np.median(finite):>12.6f} {_gap(training.best_objective, fit.objective):>10} "
                   f"{sum(fit.timings.values()):>6.2f} {training.seconds:>7.2f}")
    print()
    for depth, fit, training in lines:
        print(f"L = {depth}: {fit.certificate.verdict()}")
        if training.best_objective < fit.objective * (1 - 1e-6):
            print(f"       Adam reached a lower objective than the convex fit: the "
                       f"{'sampled ' if fit.dictionary.sampled else ''}library misses units.")
    kinks = [f for f in lines[0][1].features() for b in f.breakpoints if b.order]
    print(f"L = 3: {len(kinks)} kink(s) of the optimum are reflections of the data "
               f"(R(a, b) = 2b - a), not data points (Library of Mirrors, Thm 3.2).")
    with _step(args, "figure"):
        fig = comparison_figure(rows, xlabel="sunspots in year t (hundreds)",
                                ylabel="sunspots in year t+1 (hundreds)",
                                suptitle="Deep narrow abs networks on the yearly sunspots: the "
                                         "convex fit (exact Lasso optimum) vs Adam restarts")
        path = save_figure(fig, out / "demo.png")
    print(f"\nfigure: {path}\ntotal: {time.perf_counter() - started:.1f} s (after imports)")
    return status


def _output_dir(path) -> Path:
    from gaconvex import GaconvexError

    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GaconvexError(f"cannot create the output folder {out} ({exc.strerror}); pass "
                            "--out with a writable folder.") from None
    return out


def _demo_toy(args) -> int:
    """Fig. 3.2 of 002 through convex_fit: derive, fit, reconstruct, certify."""
    import gaconvex.symbolic as gs
    from gaconvex import convex_fit

    x = np.array([2.0, 0.0, -1.0])
    y = np.array([2.0, 0.0, 1.0])
    beta = TOY_BETA if args.beta is None else args.beta  # validated: finite and > 0
    arch = gs.architecture("abs", 3)  # the default (deep narrow) family, complete library
    print(f"gaconvex demo --toy: 3-layer deep narrow abs network ({arch}) on x = (2, 0, -1), "
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
        anchors = ", ".join(_number(a) for a in info.anchor_values)
        signs = f", signs {info.signs}" if info.signs else ""
        kinks = ", ".join(f"{_number(b)} ({b.label})" for b in feature.breakpoints) or "none"
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
    if args.out is not None:
        from gaconvex.plotting import plot_convex_fit, save_figure

        ax = plot_convex_fit(fit, title=f"{arch}: the global optimum on three points")
        print(f"figure: {save_figure(ax.figure, _output_dir(args.out) / 'demo.png')}")
    return 0 if cert.ok() else 1


# -- fit --------------------------------------------------------------------------------------
def _finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None


def _certificate_json(cert) -> dict:
    import dataclasses

    lasso = {k: (_finite_or_none(v) if isinstance(v, float) else v)
             for k, v in dataclasses.asdict(cert.lasso).items()}
    return {"ok": cert.ok(), "claim": cert.claim, "verdict": cert.verdict(),
            "globally_optimal": cert.globally_optimal(),
            "max_unit_correlation_over_beta_tilde": None if cert.ratio is None
            else _finite_or_none(cert.ratio),
            "sampled_library": bool(cert.sampled), "lasso": lasso}


def _features_json(fit) -> list:
    """The selected features, largest |z| first: coefficient, unit, and (1-D) the exact
    breakpoints with their labels; d-D features as ConvexFit.features() describes them."""
    out = []
    for f in fit.features():
        info = f.info
        item = {"index": f.index, "coefficient": f.coefficient, "bias_kind": info.bias_kind,
                "anchors": np.asarray(info.anchor_values, dtype=float).tolist(),
                "signs": [int(s) for s in np.ravel(info.signs)]}
        description = getattr(f, "description", "")
        if description:
            item["description"] = description
        if fit.dictionary.dim == 1:
            item["formula"] = str(info.family.substitute(info.anchor_values, info.signs))
            item["breakpoints"] = [{"value": float(b), "exact": str(b.value),
                                    "expression": str(b.expr), "label": b.label,
                                    "reflection_order": b.order} for b in f.breakpoints]
        out.append(item)
    return out


def _read_fit_data(args):
    """(X, y, weights) from the CSV; NaN refused with the file's line numbers."""
    from gaconvex import GaconvexError
    from gaconvex.datasets import read_csv

    names = [*args.x, args.y, *([args.weight] if args.weight else [])]
    data = read_csv(args.data, names)
    bad = data.nan_lines(names)
    if bad.size:
        shown = ", ".join(map(str, bad[:10])) + (" ..." if bad.size > 10 else "")
        raise GaconvexError(f"{args.data} has NaN, infinite or missing values in {bad.size} row(s) "
                            f"of the columns {', '.join(names)}: line(s) {shown}; drop or impute "
                            "those rows first.")
    X = np.column_stack([data[c] for c in args.x])
    return (X[:, 0] if X.shape[1] == 1 else X), data[args.y], (
        data[args.weight] if args.weight else None)


def _fit(args) -> int:
    """A CSV through convex_fit: the JSON report and the PNG of the fit."""
    from gaconvex import convex_fit
    from gaconvex.plotting import plot_convex_fit, save_figure

    X, y, weights = _read_fit_data(args)
    arch = _architecture(args, dim=1 if X.ndim == 1 else X.shape[1])
    out = _output_dir(args.out)
    options = {} if args.loss is None else {"loss": args.loss}
    with _step(args, f"fitting {arch} on {len(y)} points (dictionary, Lasso, certificate)"):
        fit = convex_fit(X, y, arch, args.beta, tau=args.tau, sample_weight=weights,
                         max_columns=args.max_columns, seed=args.seed, solver=args.solver,
                         **options)
    report = {
        "data": {"file": str(args.data), "x": list(args.x), "y": args.y, "weight": args.weight,
                 "points": int(len(fit.data.X)), "lasso_rows": int(len(fit.data.rows)),
                 "ties": fit.data.report() or "no tied inputs"},
        "architecture": str(arch), "beta": fit.beta, "beta_tilde": float(fit.problem.beta_t),
        "loss": fit.problem.datafit.name, "tau": args.tau,
        "objective": fit.objective, "lasso_objective": float(fit.solution.objective),
        "intercept": float(fit.intercept_), "active_features": int(fit.support.size),
        "dictionary": {"columns": int(fit.dictionary.n_columns),
                       "sampled": bool(fit.dictionary.sampled), "repr": repr(fit.dictionary)},
        "certificate": _certificate_json(fit.certificate),
        "features": _features_json(fit),
        "timings": {k: float(v) for k, v in fit.timings.items()},
    }
    json_path = out / "fit.json"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    print(fit.summary())
    print(f"\nreport: {json_path}")
    if fit.dictionary.dim == 1:
        with _step(args, "figure"):
            ax = plot_convex_fit(fit, xlabel=args.x[0], ylabel=args.y)
            print(f"figure: {save_figure(ax.figure, out / 'fit.png')}")
    else:
        print(f"figure: none ({fit.dictionary.dim}-D inputs; fit.png draws 1-D fits)")
    return 0 if fit.certificate.ok() else 1


# -- derive / describe ------------------------------------------------------------------------
def _describe(args) -> int:
    """The derivation of an architecture's library, or of one column of its first family."""
    import gaconvex.symbolic as gs
    from gaconvex import GaconvexError

    library = gs.derive(_architecture(args))
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


# -- verify -----------------------------------------------------------------------------------
VERIFY_RTOL = 1e-6


def verification_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The random data of ``gaconvex verify``: x_i ~ U(-2, 2) sorted descending, y_i ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.uniform(-2.0, 2.0, n))[::-1].copy(), rng.standard_normal(n)


def _verify(args) -> int:
    """Lasso vs Adam on random data: J* = rebuilt network <= every Adam restart."""
    from gaconvex import GaconvexError, convex_fit

    if args.n < 2:
        raise GaconvexError(f"--n must be >= 2 (a fit needs two distinct points), got {args.n}.")
    x, y = verification_data(args.n, args.seed)
    print(f"gaconvex verify: N = {args.n} random points (seed {args.seed}), beta = {args.beta:g}, "
          f"Adam {args.restarts} restarts x {args.steps} steps (lr {args.lr:g})\n")
    print(f"{'architecture':<34} {'J* (Lasso)':>12} {'J(network)':>12} {'Adam best':>12} "
          f"{'Adam median':>12} {'best - J*':>10}  certificate")
    failures = []
    for depth in args.depth:
        arch = _architecture(args, depth=depth)
        with _step(args, f"{arch}: convex_fit"):
            fit = convex_fit(x, y, arch, args.beta, max_columns=args.max_columns, seed=args.seed)
        network = fit.network_objective()
        with _step(args, f"{arch}: Adam"):
            training = _adam(fit, x, y, restarts=args.restarts, steps=args.steps, seed=args.seed,
                             lr=args.lr)
        finite = training.objectives[np.isfinite(training.objectives)]
        best = training.best_objective
        cert = fit.certificate
        print(f"{str(arch):<34} {fit.objective:>12.8f} {network:>12.8f} {best:>12.8f} "
              f"{np.median(finite):>12.8f} {_gap(best, fit.objective):>10}  "
              f"{_certificate_word(cert)}")
        scale = max(abs(fit.objective), 1e-12)
        if abs(network - fit.objective) > VERIFY_RTOL * scale:
            failures.append(f"{arch}: the rebuilt network's objective {network:.10g} differs from "
                            f"the Lasso objective {fit.objective:.10g}")
        if not cert.ok():
            failures.append(f"{arch}: {cert.verdict()}")
        elif cert.globally_optimal() and best < fit.objective - VERIFY_RTOL * scale:
            failures.append(f"{arch}: Adam reached {best:.10g} below the certified global "
                            f"optimum {fit.objective:.10g}")
    print()
    for failure in failures:
        print(f"FAILED {failure}")
    if not failures:
        print("equivalence holds: every rebuilt network attains its Lasso objective J*, and no "
              "Adam restart goes below a certified global optimum.")
    return 1 if failures else 0


# -- bench ------------------------------------------------------------------------------------
def benchmarks_folder() -> Path:
    """benchmarks/ of the repository checkout this package runs from (may not exist)."""
    return Path(__file__).resolve().parents[1] / "benchmarks"


def _bench(args) -> int:
    from gaconvex import GaconvexError

    folder = benchmarks_folder()
    scripts = sorted(folder.glob("bench_*.py")) if folder.is_dir() else []
    if not scripts:
        raise GaconvexError(f"the benchmark scripts live in the repository's benchmarks/ folder "
                            f"(looked in {folder}); they need a checkout: git clone the "
                            "gaconvex repository and pip install -e '.[bench]'.")
    by_name = {p.stem.removeprefix("bench_"): p for p in scripts}
    if args.list:
        for name, path in by_name.items():
            doc = (ast.get_docstring(ast.parse(path.read_text())) or "").split("\n")[0]
            print(f"{name:<12} {path}  {doc}")
        return 0
    unknown = [s for s in args.scripts if s not in by_name]
    if unknown:
        raise GaconvexError(f"no benchmark {unknown[0]!r}; the benchmarks are "
                            f"{', '.join(by_name)} (see 'gaconvex bench --list').")
    status = 0
    for name in args.scripts or list(by_name):
        print(f"== {name}: {by_name[name]}", flush=True)
        status |= subprocess.run([sys.executable, str(by_name[name])], check=False).returncode
    return 1 if status else 0


# -- the parser -------------------------------------------------------------------------------
def _add_architecture_options(parser, *, depth_nargs=None) -> None:
    import gaconvex.symbolic as gs
    from gaconvex.symbolic.families import default_family

    families = "; ".join(f"{name}: {gs.FAMILIES[name].summary}" for name in sorted(gs.FAMILIES))
    sloped = [name for name in sorted(gs.ACTIVATIONS)
              if _slope_parameter(gs.ACTIVATIONS[name]) is not None]
    slope_default = ", ".join(f"{_slope_parameter(gs.ACTIVATIONS[name]).default}"
                              + (f" for {name}" if len(sloped) > 1 else "") for name in sloped)
    parser.add_argument("--activation", required=True, choices=sorted(gs.ACTIVATIONS),
                        metavar="ACTIVATION",
                        help=f"the activation, one of {', '.join(sorted(gs.ACTIVATIONS))} "
                             f"({', '.join(sloped)} takes --slope)")
    parser.add_argument("--depth", required=True, type=_depth, metavar="L", nargs=depth_nargs,
                        help="number of weight layers L, output layer included (L = 2: one "
                             "hidden layer)" + ("; several depths give one row each"
                                                if depth_nargs else ""))
    parser.add_argument("--family", choices=sorted(gs.FAMILIES), default=None, metavar="F",
                        help=f"network family (default {default_family().name}): {families}")
    parser.add_argument("--slope", type=_finite_float, default=None, metavar="SLOPE",
                        help=f"slope for u < 0 of {', '.join(sloped)} (a finite number != 1; "
                             f"default {slope_default})")


def _add_describe_options(parser) -> None:
    parser.add_argument("--anchors", type=_finite_float, nargs="+", metavar="A",
                        help="anchor values a1, a2, ... of one column of the first feature "
                             "family: prints that feature and its labelled breakpoints")
    parser.add_argument("--signs", type=_sign, nargs="+", metavar="S",
                        help="inner-weight signs s1, s2, ... (+1 or -1, as many as the family "
                             "has) of that column; needs --anchors (default: the first sign "
                             "pattern)")
    parser.add_argument("--latex", action="store_true",
                        help="write the formulas in LaTeX (sympy.latex) instead of plain text")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _quantile_level(text: str) -> float:
    value = _finite_float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"tau must be in (0, 1) (the quantile level), got {text!r}")
    return value


def _add_training_options(parser, restarts: int, steps: int) -> None:
    parser.add_argument("--restarts", type=_positive_int, default=restarts, metavar="R",
                        help="Adam restarts (random initializations; default %(default)s)")
    parser.add_argument("--steps", type=_positive_int, default=steps, metavar="S",
                        help="Adam steps per restart, cosine-annealed (default %(default)s)")
    parser.add_argument("--lr", type=_positive_number("lr"), default=3e-2, metavar="LR",
                        help="Adam learning rate (default %(default)g)")
    parser.add_argument("--seed", type=int, default=0, metavar="SEED",
                        help="seed of the Adam initializations (and of library sampling; "
                             "default %(default)s)")


def _positive_number(name: str):
    def parse(text: str) -> float:
        value = _finite_float(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{name} must be a finite number > 0, got {text!r}")
        return value

    return parse


def _quiet(parser) -> None:
    parser.add_argument("--quiet", action="store_true",
                        help="no progress output on stderr (the report on stdout stays)")


def build_parser() -> argparse.ArgumentParser:
    import gaconvex.symbolic as gs
    from gaconvex.solvers.datafits import DATAFITS, DEFAULT_LOSS

    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="gaconvex", description=__doc__, epilog=_EPILOG,
                     formatter_class=formatter)
    debug_help = "on an error, also print the Python traceback (for bug reports)"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                title="commands", parser_class=_Parser)

    def command(name, help_text, *paragraphs, func):
        p = sub.add_parser(name, help=help_text, formatter_class=formatter, epilog=_EPILOG,
                           description=_paragraphs(f"{help_text[0].upper()}{help_text[1:]}.",
                                                   *paragraphs))
        p.set_defaults(func=func)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help=debug_help)  # --debug also works after the command
        return p

    demo = command(
        "demo", "fit deep narrow abs networks (L = 3, 4) exactly to the yearly sunspots and "
        "compare them with Adam restarts",
        "Fits the autoregression x_t -> x_(t+1) of the yearly sunspot numbers "
        f"{DEMO_YEARS[0]}-{sum(DEMO_YEARS)} (shipped with gaconvex, public domain; ties merged "
        "exactly) with gaconvex.convex_fit for deep narrow abs networks of depth 3 (complete "
        "library, global optimality proved by the dual certificate) and 4 (a sampled library, "
        "002 Sec. 4), trains the same networks with Adam on the same objective, prints the "
        "objectives, certificates, Adam best / median and timings, and writes demo.png: the "
        "fits with their kinks named as data points and reflections R(a, b) = 2b - a (Library "
        "of Mirrors), the Adam restarts and the objective curves against the global optimum.",
        "--toy runs the 3-point example of Fig. 3.2 (Library of Mirrors) instead and prints its "
        "derivation in full.  Exit status 0 if and only if every certificate proves its claim.",
        "example: gaconvex demo --out figures", func=_demo)
    demo.add_argument("--out", default=None, metavar="DIR",
                      help="folder for demo.png (created; default: the current folder; with "
                           "--toy no figure unless --out is given)")
    demo.add_argument("--beta", type=_positive_beta, default=None, metavar="B",
                      help=f"training regularization beta of the weight decay (finite, > 0; "
                           f"default {DEMO_BETA:g}, {TOY_BETA:g} with --toy)")
    demo.add_argument("--toy", action="store_true",
                      help="the 3-point example x = (2, 0, -1), y = (2, 0, 1) of Fig. 3.2 "
                           "(Library of Mirrors), printed in full")
    _add_training_options(demo, restarts=8, steps=1000)
    _quiet(demo)

    fit = command(
        "fit", "fit a network exactly to the columns of a CSV file",
        "Reads DATA.csv (a header line, then rows; '#' lines are comments; columns by name), "
        "runs gaconvex.convex_fit (tied inputs merged exactly, NaN refused with the line "
        "numbers) and writes DIR/fit.json (objective, certificate, features with their "
        "breakpoints, data report, timings) and DIR/fit.png (the fit, for 1-D inputs).  "
        "Several --x columns are d-D inputs.  Exit status 0 if the certificate proves its claim.",
        "example: gaconvex fit data.csv --x bmi --y target --activation abs --depth 3 "
        "--beta 0.1 --out results", func=_fit)
    fit.add_argument("data", metavar="DATA.csv", help="the CSV file (header line with the "
                                                      "column names)")
    fit.add_argument("--x", action="append", required=True, metavar="COL",
                     help="input column (repeat for d-D inputs: --x a --x b)")
    fit.add_argument("--y", required=True, metavar="COL", help="target column")
    fit.add_argument("--weight", default=None, metavar="COL",
                     help="optional column of sample weights >= 0")
    _add_architecture_options(fit)
    fit.add_argument("--beta", type=_positive_beta, required=True, metavar="B",
                     help="training regularization beta of the weight decay (finite, > 0)")
    fit.add_argument("--loss", choices=list(DATAFITS), default=None, metavar="LOSS",
                     help=f"the loss, one of {', '.join(DATAFITS)} (default {DEFAULT_LOSS})")
    fit.add_argument("--tau", type=_quantile_level, default=0.5, metavar="T",
                     help="quantile level of the quantile (pinball) loss, in (0, 1) "
                          "(default %(default)g)")
    fit.add_argument("--max-columns", type=_positive_int, default=None, metavar="K",
                     help="sample the library uniformly down to K columns when it is larger "
                          "(deep libraries, 002 Sec. 4; default: the complete library)")
    fit.add_argument("--seed", type=int, default=0, metavar="SEED",
                     help="seed of the library sample (default %(default)s)")
    fit.add_argument("--solver", default="auto", metavar="SOLVER",
                     help="Lasso solver: auto (default), reference (cvxpy + Clarabel), "
                          "min_norm or any registered solver")
    fit.add_argument("--out", required=True, metavar="DIR",
                     help="folder for fit.json and fit.png (created)")
    _quiet(fit)

    derive_help = "print the symbolic derivation of an architecture's Lasso features"
    derive_text = (
        "(sympy): every feature family's formula f(x; a, s), what each anchor does and the raw "
        "library size in N.  With --anchors, one column of the first family, substituted, with "
        "its breakpoints labelled as reflections of the data (Library of Mirrors).")
    derive = command("derive", derive_help, f"The derivation {derive_text}",
                     "example: gaconvex derive --activation abs --depth 4 --anchors 7 4 5",
                     func=_describe)
    _add_architecture_options(derive)
    _add_describe_options(derive)

    families = "; ".join(f"{name}: {gs.FAMILIES[name].summary}" for name in sorted(gs.FAMILIES))
    desc = command("describe", f"{derive_help} (positional form of derive)",
                   f"The derivation {derive_text}",
                   "example: gaconvex describe abs 4 --anchors 7 4 5", func=_describe)
    desc.add_argument("activation", choices=sorted(gs.ACTIVATIONS), metavar="ACTIVATION",
                      help=f"the activation, one of {', '.join(sorted(gs.ACTIVATIONS))}")
    desc.add_argument("depth", type=_depth, metavar="DEPTH",
                      help="number of weight layers L, output layer included (L = 2: one "
                           "hidden layer)")
    desc.add_argument("--family", choices=sorted(gs.FAMILIES), default=None, metavar="F",
                      help=f"network family: {families}")
    desc.add_argument("--slope", type=_finite_float, default=None, metavar="SLOPE",
                      help="slope for u < 0 of a sloped activation (a finite number != 1)")
    _add_describe_options(desc)

    verify = command(
        "verify", "check the Lasso-vs-Adam equivalence on random data and print the table",
        "Draws N random points (x ~ U(-2, 2), y ~ N(0, 1)), fits each architecture exactly "
        "with gaconvex.convex_fit, evaluates the rebuilt torch network's training objective "
        "(equal to the Lasso objective J*: the convex program and the network agree), trains "
        "the same network with Adam restarts on the same objective and prints J*, the "
        "network's objective, Adam best / median, the gap and the certificate.  Exit status 1 "
        "if the rebuilt network misses J*, a certificate fails, or Adam goes below a certified "
        "global optimum.",
        "example: gaconvex verify --activation abs --depth 2 3 --n 8 --seed 0", func=_verify)
    _add_architecture_options(verify, depth_nargs="+")
    verify.add_argument("--n", type=int, default=8, metavar="N",
                        help="number of random points (default %(default)s)")
    verify.add_argument("--beta", type=_positive_beta, default=0.05, metavar="B",
                        help="training regularization beta (finite, > 0; default %(default)g)")
    verify.add_argument("--max-columns", type=_positive_int, default=None, metavar="K",
                        help="sample deep libraries down to K columns (default: complete)")
    _add_training_options(verify, restarts=8, steps=2000)
    _quiet(verify)

    bench = command(
        "bench", "run the benchmark scripts of a repository checkout",
        "Runs benchmarks/bench_*.py (algebra, dictionaries, solvers, structured store) one "
        "after another with this Python; each prints its machine, date and ratios against its "
        "peers.  They are part of the repository, not of the installed package.",
        "example: gaconvex bench solvers", func=_bench)
    bench.add_argument("scripts", nargs="*", metavar="SCRIPT",
                       help="names of the benchmarks to run (bench_NAME.py; default: all)")
    bench.add_argument("--list", action="store_true", help="list the benchmarks and exit")
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
