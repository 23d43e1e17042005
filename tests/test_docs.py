"""The documentation tells the truth: every test that docs/errata.md cites exists, and the
README's tour runs and prints what it says."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _cited_tests():
    text = (ROOT / "docs" / "errata.md").read_text()
    return sorted(set(re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?", text)))


@pytest.mark.parametrize("path, name", _cited_tests())
def test_errata_cite_existing_tests(path, name):
    source = (ROOT / path)
    assert source.exists(), f"docs/errata.md cites missing file {path}"
    if name:
        assert re.search(rf"^def {name}\(", source.read_text(), re.M), f"{path} has no {name}"


def test_readme_tour_runs():
    """The Python block of README's tour runs as written and reports equal objectives."""
    text = (ROOT / "README.md").read_text()
    code = re.search(r"## A short tour\s+```python\n(.*?)```", text, re.S).group(1)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    lasso, network = map(float, lines[-1].split())
    assert network == pytest.approx(lasso, rel=1e-9)
