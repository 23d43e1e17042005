"""The package contract: fast, side-effect-free import (brief: import < 1.5 s, heavy
libraries lazily), the symbolic subpackage installed as ``gaconvex.symbolic``."""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "clifford", "cvxpy", "numba", "sympy", "matplotlib")


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True).stdout


def test_import_is_fast_and_lazy():
    """`import gaconvex` takes < 1.5 s and imports none of torch/clifford/cvxpy/numba."""
    out = _run(
        "import time, sys, json\n"
        "t = time.perf_counter(); import gaconvex; dt = time.perf_counter() - t\n"
        f"print(json.dumps({{'dt': dt, 'loaded': [m for m in {HEAVY!r} if m in sys.modules]}}))"
    )
    report = json.loads(out)
    assert report["loaded"] == [], f"import gaconvex pulled in {report['loaded']}"
    assert report["dt"] < 1.5, f"import gaconvex took {report['dt']:.2f} s"


def test_symbolic_is_a_subpackage():
    """`symbolic/` is installed as `gaconvex.symbolic` (pyproject package-dir)."""
    out = _run("import gaconvex.symbolic as s, gaconvex; print(s.__name__, gaconvex.symbolic is s)")
    assert out.split() == ["gaconvex.symbolic", "True"]


def test_unknown_attribute_raises():
    import gaconvex
    import pytest

    with pytest.raises(AttributeError):
        gaconvex.no_such_module  # noqa: B018
