"""The command line: `gaconvex demo` proves its optimum; `gaconvex describe` prints derivations."""
from __future__ import annotations

from gaconvex.cli import main


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
