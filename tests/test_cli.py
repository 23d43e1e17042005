"""The command line: `demo` fits the sunspots exactly and against Adam (and proves the toy's
optimum), `fit` reads a CSV, `derive` / `describe` print derivations, `verify` checks the
Lasso-vs-Adam equivalence, `bench` runs the benchmark scripts.

Oracles: the CLI's numbers are recomputed with convex_fit and, for `fit`, with the Lasso
written directly in cvxpy + Clarabel on the user's (unmerged) rows (tests/lasso_oracles.py)."""
from __future__ import annotations

import argparse
import ast
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tokenize
from pathlib import Path

import numpy as np
import pytest

import gaconvex.cli as cli
import gaconvex.symbolic as gs
from gaconvex import convex_fit
from gaconvex.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_toy_demo_reconstructs_and_certifies(capsys):
    assert main(["demo", "--toy"]) == 0
    out = capsys.readouterr().out
    assert "reflection R(a2, a1) = 2a1 - a2" in out
    assert "global training optimum = True" in out


def test_describe_prints_the_family_and_breakpoints(capsys):
    assert main(["describe", "abs", "4", "--anchors", "7", "4", "5"]) == 0
    out = capsys.readouterr().out
    assert "11" in out and "reflection of a reflection" in out


def test_unsupported_architecture_is_a_clear_error(capsys):
    assert main(["describe", "sign", "3"]) == 2
    assert "depth 2 only" in capsys.readouterr().err


# -- bad input: one sentence on stderr, exit status 2, nothing derived first -------------------
def _one_sentence_error(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gaconvex: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], err


@pytest.mark.parametrize("beta", ["-1", "nan", "0", "inf"])
def test_demo_rejects_a_bad_beta_before_deriving_anything(beta, capsys):
    assert main(["demo", "--beta", beta]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # not one line of the derivation
    _one_sentence_error(err, "--beta", "finite", "> 0", repr(beta))


def test_describe_rejects_a_nan_slope(capsys):
    assert main(["describe", "leaky_relu", "3", "--slope", "nan"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _one_sentence_error(err, "--slope", "finite")


def test_describe_rejects_a_slope_for_an_activation_without_one(capsys):
    assert main(["describe", "abs", "3", "--slope", "0.2"]) == 2
    _one_sentence_error(capsys.readouterr().err, "--slope", "leaky_relu")


def test_describe_uses_the_slope(capsys):
    assert main(["describe", "leaky_relu", "2", "--slope", "0.25"]) == 0
    assert "leaky_relu(1/4)" in capsys.readouterr().out


def test_describe_rejects_a_non_integer_depth(capsys):
    assert main(["describe", "abs", "2.5"]) == 2
    _one_sentence_error(capsys.readouterr().err, "DEPTH", "integer")


@pytest.mark.parametrize("argv, expected", [
    (["relu", "2", "--anchors", "1", "--signs", "1", "-1"], "--signs takes 1 value(s) (s1)"),
    (["abs", "3", "--anchors", "1", "2", "--signs", "1"], "--signs takes no values"),
    (["relu", "2", "--signs", "1"], "needs --anchors"),
])
def test_describe_rejects_a_wrong_number_of_signs(argv, expected, capsys):
    assert main(["describe", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _one_sentence_error(err, expected)


def test_describe_rejects_a_wrong_number_of_anchors(capsys):
    assert main(["describe", "abs", "3", "--anchors", "1"]) == 2
    _one_sentence_error(capsys.readouterr().err, "--anchors takes 2 value(s) (a1, a2)")


def test_describe_takes_matching_signs(capsys):
    assert main(["describe", "relu", "2", "--anchors", "1", "--signs", "-1"]) == 0
    assert "s1 = -1" in capsys.readouterr().out


def test_latex_with_anchors_writes_the_column_in_latex(capsys):
    assert main(["describe", "abs", "4", "--anchors", "7", "4", "5", "--latex"]) == 0
    out = capsys.readouterr().out
    assert r"\left|" in out and "Abs(" not in out
    assert "reflection of a reflection" in out


def test_latex_without_anchors_writes_the_library_in_latex(capsys):
    assert main(["describe", "abs", "3"]) == 0
    plain = capsys.readouterr().out
    assert main(["describe", "abs", "3", "--latex"]) == 0
    latex = capsys.readouterr().out
    assert latex.startswith("Library of abs L=3")
    assert "Abs(" in plain and "Abs(" not in latex
    assert r"\left|" in latex and "N^{2}" in latex


@pytest.mark.parametrize("argv", [["--debug", "describe", "sign", "3"],
                                  ["describe", "sign", "3", "--debug"]])
def test_debug_adds_the_traceback(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("gaconvex: error: ")
    assert "depth 2 only" in err


def test_no_traceback_without_debug(capsys):
    assert main(["describe", "sign", "3"]) == 2
    _one_sentence_error(capsys.readouterr().err, "depth 2 only")


def test_an_unexpected_exception_is_one_sentence_with_a_hint(monkeypatch, capsys):
    def broken(arch):
        raise RuntimeError("kernel\nexploded")

    monkeypatch.setattr(gs, "derive", broken)
    assert main(["describe", "abs", "3"]) == 1
    _one_sentence_error(capsys.readouterr().err, "RuntimeError", "kernel exploded", "--debug")
    assert main(["--debug", "describe", "abs", "3"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_keyboard_interrupt_is_not_swallowed(monkeypatch, capsys):
    def interrupted(arch):
        raise KeyboardInterrupt

    monkeypatch.setattr(gs, "derive", interrupted)
    assert main(["describe", "abs", "3"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err


# -- a closed pipe (`gaconvex describe abs 4 | head`) ends quietly ------------------------------
def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def test_a_closed_pipe_ends_quietly():
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command writes anything
    try:
        proc = subprocess.run([sys.executable, "-m", "gaconvex.cli", "describe", "abs", "4"],
                              stdout=write, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              env=_env(), timeout=120)
    finally:
        os.close(write)
    assert proc.returncode == 1
    assert proc.stderr == ""  # no Traceback, no "Exception ignored ... BrokenPipeError"


@pytest.mark.skipif(shutil.which("head") is None, reason="needs head(1)")
def test_piping_into_head_shows_no_traceback():
    script = Path(sys.executable).with_name("gaconvex")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gaconvex.cli"]
    producer = subprocess.Popen([*command, "describe", "abs", "4"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=ROOT, env=_env())
    head = subprocess.run(["head", "-n", "1"], stdin=producer.stdout, capture_output=True,
                          text=True, timeout=120)
    producer.stdout.close()
    err = producer.stderr.read().decode()
    producer.stderr.close()
    assert producer.wait(timeout=120) in (0, 1)  # 1: the pipe closed before we wrote
    assert head.stdout.startswith("Library of abs L=4")
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


# -- help -------------------------------------------------------------------------------------
def _parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_and_command_has_help():
    parsers = list(_parsers(cli.build_parser()))
    assert {p.prog for p in parsers} == {f"gaconvex{c}" for c in (
        "", " demo", " fit", " derive", " describe", " verify", " bench")}
    for parser in parsers:
        assert parser.description and parser.description.strip(), parser.prog
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                actions = action._choices_actions  # one per command
                assert {a.dest for a in actions} == set(action.choices)
            else:
                actions = [action]
            for a in actions:
                assert a.help and a.help.strip() and a.help != argparse.SUPPRESS, \
                    f"{parser.prog}: {a.option_strings or a.dest} has no help"


@pytest.mark.parametrize("argv, words", [
    ([], ["demo", "fit", "derive", "describe", "verify", "bench", "Library of Mirrors",
          "--debug", "exit status"]),
    (["demo"], ["--beta", "--out", "--quiet", "--toy", "--restarts", "--steps", "sunspot",
                "Fig. 3.2", "Library of Mirrors", "convex_fit", "example:"]),
    (["fit"], ["DATA.csv", "--x", "--y", "--activation", "--depth", "--beta", "--loss", "--tau",
               "--max-columns", "--out", "--quiet", "fit.json", "fit.png", "example:"]),
    (["derive"], ["--activation", "--depth", "--latex", "--anchors", "example:"]),
    (["verify"], ["--activation", "--depth", "--n", "--seed", "--restarts", "Adam", "example:"]),
    (["bench"], ["SCRIPT", "--list", "checkout", "example:"]),
    (["describe"], ["ACTIVATION", "DEPTH", "--family", "--slope", "--anchors", "--signs",
                    "--latex", "Library of Mirrors", *sorted(gs.FAMILIES)]),
])
def test_help_texts(argv, words, capsys):
    assert main([*argv, "--help"]) == 0
    out = capsys.readouterr().out
    for word in words:
        assert word in out, word


def test_choices_come_from_the_registries():
    parser = cli.build_parser()
    describe = next(a for a in parser._actions
                    if isinstance(a, argparse._SubParsersAction)).choices["describe"]
    options = {a.dest: a for a in describe._actions}
    assert list(options["activation"].choices) == sorted(gs.ACTIVATIONS)
    assert list(options["family"].choices) == sorted(gs.FAMILIES)


def test_the_cli_spells_no_family_or_loss_name():
    from gaconvex.solvers.datafits import DATAFITS

    names = set(gs.FAMILIES) | set(DATAFITS)
    with tokenize.open(inspect.getsourcefile(cli)) as source:
        tokens = list(tokenize.generate_tokens(source.readline))
    literals = {ast.literal_eval(tok.string) for tok in tokens if tok.type == tokenize.STRING
                and not tok.string.lstrip("rbuRBU").startswith(("f", "F"))}  # f-strings: 3.11
    assert not names & {s for s in literals if isinstance(s, str)}


@pytest.mark.parametrize("command", [cli._demo, cli._demo_toy, cli._fit, cli._verify])
def test_the_commands_go_through_convex_fit_only(command):
    """No command wires the pipeline by hand; Adam training (the comparison, not the
    pipeline) lives in cli._adam, which calls train_nonconvex only."""
    source = inspect.getsource(command)
    assert "convex_fit(" in source
    for wiring in ("gaconvex.dictionaries", "gaconvex.solvers", "gaconvex.networks",
                   "gaconvex.certify", "LassoProblem", "solve(", "reconstruct(", "certify("):
        assert wiring not in source, wiring
    adam = inspect.getsource(cli._adam)
    assert "train_nonconvex(" in adam and "reconstruct(" not in adam and "solve(" not in adam


# -- demo -------------------------------------------------------------------------------------
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_png(path, min_bytes=10_000):
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > min_bytes, path


def _demo_rows(out: str) -> dict:
    """{L: (J*, m*, Adam best, Adam median)} from the demo's table."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r"\s*([34])\s+\d+ columns.*?\s([\d.]+)\s+(\d+)\s+\D+?\s([\d.]+)\s+([\d.]+)\s", line)
        if m:
            rows[int(m[1])] = (float(m[2]), int(m[3]), float(m[4]), float(m[5]))
    return rows


def _demo_fits():
    from gaconvex.datasets import sunspot_autoregression

    x, y = sunspot_autoregression(*cli.DEMO_YEARS)
    x, y = x / cli.DEMO_SCALE, y / cli.DEMO_SCALE
    return {3: convex_fit(x, y, gs.architecture("abs", 3), cli.DEMO_BETA),
            4: convex_fit(x, y, gs.architecture("abs", 4), cli.DEMO_BETA,
                          max_columns=cli.DEMO_MAX_COLUMNS, seed=0)}


def _check_demo(out, tmp_path, fits):
    rows = _demo_rows(out)
    assert set(rows) == {3, 4}, out
    for depth, fit in fits.items():
        optimum, m_star, best, median = rows[depth]
        assert optimum == pytest.approx(fit.objective, abs=1e-6)
        assert m_star == fit.support.size
        assert best <= median
    assert fits[3].certificate.globally_optimal()  # L = 3: proven, so Adam cannot beat it
    assert rows[3][2] >= rows[3][0] - 1e-6
    assert "the reconstructed network is a global optimum" in out
    assert "merged" in out  # the sunspot counts repeat: ties merged
    _assert_png(tmp_path / "demo.png", 50_000)


def test_demo_smoke_fits_the_sunspots_and_writes_the_figure(tmp_path, capsys):
    """Fewer Adam restarts and steps: the same code path as the default demo."""
    status = main(["demo", "--out", str(tmp_path), "--restarts", "2", "--steps", "40", "--quiet"])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert err == ""  # --quiet: no progress
    _check_demo(out, tmp_path, _demo_fits())


@pytest.mark.slow
def test_demo_with_defaults_in_under_a_minute(tmp_path):
    """The default demo needs < 60 s of CPU (user + system, of the child process, all its
    threads): a measure that other processes on a shared machine do not inflate, unlike the
    wall time, which is reported in the message."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "gaconvex.cli", "demo", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "done in" in proc.stderr  # progress without --quiet
    _check_demo(proc.stdout, tmp_path, _demo_fits())
    assert cpu < 60, f"{cpu:.1f} s of CPU ({wall:.1f} s wall)"


def test_toy_demo_writes_a_figure_with_out(tmp_path, capsys):
    assert main(["demo", "--toy", "--out", str(tmp_path)]) == 0
    assert "figure:" in capsys.readouterr().out
    _assert_png(tmp_path / "demo.png")


# -- fit --------------------------------------------------------------------------------------
def _diabetes_csv(path, rows=None, nan_row=None):
    """BMI (standardized, with ties) and the disease progression of sklearn's load_diabetes."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    bmi, sex, target = data.data[:, 2], data.data[:, 1], data.target
    n = len(target) if rows is None else rows
    lines = ["# sklearn.datasets.load_diabetes: bmi, sex (standardized) and the target", "bmi,sex,target"]
    for i in range(n):
        b = "nan" if i == nan_row else repr(float(bmi[i]))
        lines.append(f"{b},{float(sex[i])!r},{float(target[i])!r}")
    path.write_text("\n".join(lines) + "\n")
    return bmi[:n], sex[:n], target[:n]


def test_fit_writes_the_json_and_png_of_a_real_data_set(tmp_path, capsys):
    from lasso_oracles import cvxpy_lasso_value

    csv_path = tmp_path / "diabetes.csv"
    bmi, _, target = _diabetes_csv(csv_path)
    out = tmp_path / "out"
    argv = ["fit", str(csv_path), "--x", "bmi", "--y", "target", "--activation", "relu",
            "--depth", "2", "--beta", "50", "--out", str(out)]
    assert main(argv) == 0
    _, err = capsys.readouterr()
    assert "done in" in err  # progress on stderr
    report = json.loads((out / "fit.json").read_text())
    fit = convex_fit(bmi, target, gs.architecture("relu", 2), 50.0)
    assert report["objective"] == pytest.approx(fit.objective, rel=1e-10)
    # the independent oracle: the Lasso on all 442 user rows (ties not merged), in cvxpy
    A = fit.dictionary.evaluate(bmi[:, None])
    assert report["objective"] == pytest.approx(cvxpy_lasso_value(A, target, 50.0), rel=1e-7)
    assert report["data"]["points"] == 442 and report["data"]["lasso_rows"] < 442
    assert "merged" in report["data"]["ties"]
    assert report["certificate"]["ok"] and report["certificate"]["globally_optimal"]
    assert report["active_features"] == fit.support.size == len(report["features"])
    expected = [[float(b) for b in f.breakpoints] for f in fit.features()]
    assert [[b["value"] for b in f["breakpoints"]] for f in report["features"]] == expected
    assert set(report["timings"]) >= {"dictionary", "solve", "certify"}
    _assert_png(out / "fit.png")


def test_fit_deep_abs_features_carry_reflection_labels(tmp_path, capsys):
    csv_path = tmp_path / "diabetes.csv"
    bmi, _, target = _diabetes_csv(csv_path, rows=40)
    assert main(["fit", str(csv_path), "--x", "bmi", "--y", "target", "--activation", "abs",
                 "--depth", "3", "--beta", "20", "--out", str(tmp_path), "--quiet"]) == 0
    report = json.loads((tmp_path / "fit.json").read_text())
    fit = convex_fit(bmi, target, gs.architecture("abs", 3), 20.0)
    assert report["objective"] == pytest.approx(fit.objective, rel=1e-10)
    labels = [b["label"] for f in report["features"] for b in f["breakpoints"]]
    assert labels == [b.label for f in fit.features() for b in f.breakpoints]
    assert any(label.startswith("reflection") for label in labels)
    assert capsys.readouterr().err == ""


def test_fit_refuses_nan_naming_the_line(tmp_path, capsys):
    csv_path = tmp_path / "diabetes.csv"
    _diabetes_csv(csv_path, rows=30, nan_row=4)  # data row 5 = line 7 (comment, header)
    assert main(["fit", str(csv_path), "--x", "bmi", "--y", "target", "--activation", "relu",
                 "--depth", "2", "--beta", "1", "--out", str(tmp_path / "o")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _one_sentence_error(err, "NaN", "line(s) 7;", "bmi")
    assert not (tmp_path / "o").exists()  # refused before anything was written


@pytest.mark.parametrize("argv, words", [
    (["--x", "weight"], ["no column 'weight'", "bmi, sex, target"]),
    (["--x", "bmi", "--beta", "-1"], ["--beta", "> 0"]),
    (["--x", "bmi", "--tau", "1.5"], ["tau", "(0, 1)"]),
])
def test_fit_bad_input_is_one_sentence(tmp_path, capsys, argv, words):
    csv_path = tmp_path / "d.csv"
    _diabetes_csv(csv_path, rows=10)
    base = ["fit", str(csv_path), "--y", "target", "--activation", "relu", "--depth", "2",
            "--beta", "1", "--out", str(tmp_path)]
    assert main(base + argv) == 2
    _one_sentence_error(capsys.readouterr().err, *words)


def test_fit_with_several_x_columns_passes_d_dimensional_inputs(tmp_path, capsys):
    """Two --x columns are 2-D inputs: either a fit (JSON with both columns, the objective of
    convex_fit on the (n, 2) points) or one sentence saying what is unsupported."""
    csv_path = tmp_path / "d.csv"
    bmi, sex, target = _diabetes_csv(csv_path, rows=25)
    status = main(["fit", str(csv_path), "--x", "bmi", "--x", "sex", "--y", "target",
                   "--activation", "relu", "--depth", "2", "--beta", "5", "--out",
                   str(tmp_path), "--quiet"])
    out, err = capsys.readouterr()
    if status == 2:
        _one_sentence_error(err)
        return
    assert status == 0, err
    report = json.loads((tmp_path / "fit.json").read_text())
    assert report["data"]["x"] == ["bmi", "sex"]
    X = np.column_stack([bmi, sex])
    fit = convex_fit(X, target, gs.architecture("relu", 2, dim=2), 5.0)
    assert report["objective"] == pytest.approx(fit.objective, rel=1e-9)
    assert "1-D" in out and not (tmp_path / "fit.png").exists()


def test_read_csv_reads_columns_by_name(tmp_path):
    from gaconvex import GaconvexError
    from gaconvex.datasets import read_csv

    path = tmp_path / "t.csv"
    path.write_text("# comment\na, b ,c\n1,2,3\n\n4,,6\n")
    data = read_csv(path, ["c", "b"])
    assert data["c"].tolist() == [3.0, 6.0] and np.isnan(data["b"][1])
    assert data.lines.tolist() == [3, 5] and data.nan_lines(["b"]).tolist() == [5]
    path.write_text("a,b\n1,x\n")
    with pytest.raises(GaconvexError, match="line 2, column 'b' holds 'x'"):
        read_csv(path, ["b"])


def test_load_sunspots_is_the_statsmodels_series():
    from gaconvex.datasets import load_sunspots

    years, counts = load_sunspots()
    assert years[0] == 1700 and years[-1] == 2008 and len(counts) == 309
    sm = pytest.importorskip("statsmodels.datasets.sunspots").load_pandas().data
    assert np.array_equal(years, sm["YEAR"].to_numpy().astype(int))
    assert np.array_equal(counts, sm["SUNACTIVITY"].to_numpy())


# -- derive -----------------------------------------------------------------------------------
def test_derive_prints_the_symbolic_features(capsys):
    assert main(["derive", "--activation", "abs", "--depth", "4"]) == 0
    out = capsys.readouterr().out
    assert out == gs.describe(gs.derive(gs.architecture("abs", 4))) + "\n"
    assert main(["derive", "--activation", "abs", "--depth", "4", "--latex"]) == 0
    assert r"\left|" in capsys.readouterr().out
    assert main(["derive", "--activation", "abs", "--depth", "4", "--anchors", "7", "4", "5"]) == 0
    derived = capsys.readouterr().out
    assert main(["describe", "abs", "4", "--anchors", "7", "4", "5"]) == 0  # the alias
    assert capsys.readouterr().out == derived and "reflection of a reflection" in derived


# -- verify -----------------------------------------------------------------------------------
def test_verify_prints_the_equivalence_table(capsys):
    status = main(["verify", "--activation", "abs", "--depth", "2", "3", "--n", "6", "--seed", "0",
                   "--restarts", "3", "--steps", "300", "--quiet"])
    out = capsys.readouterr().out
    assert status == 0, out
    x, y = cli.verification_data(6, 0)
    rows = [line.split() for line in out.splitlines() if line.startswith("abs L=")]
    assert len(rows) == 2
    for depth, row in zip((2, 3), rows):
        numbers = [float(v) for v in row if re.fullmatch(r"-?\d+\.\d+", v)]
        optimum, network, best, median = numbers[:4]
        fit = convex_fit(x, y, gs.architecture("abs", depth), 0.05)
        assert optimum == pytest.approx(fit.objective, abs=1e-8)
        assert network == pytest.approx(optimum, abs=1e-7)
        assert best <= median and best >= optimum - 1e-7  # certified: Adam cannot go below
        assert "global optimum" in " ".join(row)
    assert "equivalence holds" in out


def test_verify_fails_when_adam_beats_a_certified_optimum(monkeypatch, capsys):
    """The check can fail: a training result below J* is reported and exits with 1."""
    real = cli._adam

    def too_good(fit, *args, **kwargs):
        result = real(fit, *args, **kwargs)
        result.objectives[:] = fit.objective * 0.5
        return result

    monkeypatch.setattr(cli, "_adam", too_good)
    assert main(["verify", "--activation", "relu", "--depth", "2", "--n", "5", "--restarts", "1",
                 "--steps", "5", "--quiet"]) == 1
    assert "FAILED" in capsys.readouterr().out


# -- bench ------------------------------------------------------------------------------------
def test_bench_lists_the_scripts_of_the_checkout(capsys):
    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    for path in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        assert path.stem.removeprefix("bench_") in out


def test_bench_runs_a_script(monkeypatch, tmp_path, capfd):
    (tmp_path / "bench_tiny.py").write_text('"""A tiny benchmark."""\nprint("tiny ran")\n')
    monkeypatch.setattr(cli, "benchmarks_folder", lambda: tmp_path)
    assert main(["bench", "tiny"]) == 0
    assert "tiny ran" in capfd.readouterr().out
    assert main(["bench", "nope"]) == 2
    _one_sentence_error(capfd.readouterr().err, "no benchmark 'nope'", "tiny")


def test_bench_without_a_checkout_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "benchmarks_folder", lambda: tmp_path / "missing")
    assert main(["bench"]) == 2
    _one_sentence_error(capsys.readouterr().err, "need a checkout")


@pytest.mark.parametrize("command", ["demo", "fit", "derive", "describe", "verify", "bench"])
def test_every_subcommand_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: gaconvex {command}") and "example:" in out
