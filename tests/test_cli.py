"""The command line: `gaconvex demo` proves its optimum; `gaconvex describe` prints derivations."""
from __future__ import annotations

import argparse
import ast
import inspect
import os
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

import gaconvex.cli as cli
import gaconvex.symbolic as gs
from gaconvex.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_demo_reconstructs_and_certifies(capsys):
    assert main(["demo"]) == 0
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
    assert {p.prog for p in parsers} == {"gaconvex", "gaconvex demo", "gaconvex describe"}
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
    ([], ["demo", "describe", "Library of Mirrors", "--debug", "exit status"]),
    (["demo"], ["--beta", "Fig. 3.2", "Library of Mirrors", "convex_fit"]),
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


def test_the_demo_goes_through_convex_fit_only():
    source = inspect.getsource(cli._demo)
    assert "convex_fit(" in source
    for wiring in ("gaconvex.dictionaries", "gaconvex.solvers", "gaconvex.networks",
                   "gaconvex.certify", "LassoProblem", "solve(", "reconstruct(", "certify("):
        assert wiring not in source, wiring
