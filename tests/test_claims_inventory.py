"""The claims inventory of docs/ddim.md ("Claims and the tests that check them") cannot rot:
one row per claim of spec 001 Sec. 7 (C10-C27) and seed-000-spec Sec. 6 (C1-C17); every test it
names exists as a module-level function of the named file; "(slow)" stands exactly after the
tests marked ``pytest.mark.slow``; a status that mentions "strict xfail" names a test marked
``xfail(strict=True)`` and any other status names none; "not yet tested" names no test.  The test files
are read with ``ast``, not imported."""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ddim.md"
HEADING = "## Claims and the tests that check them"
CLAIMS = [f"001 C{k}" for k in range(10, 28)] + [f"000 C{k}" for k in range(1, 18)]
REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`( \(slow\))?")


def _rows() -> dict[str, tuple[str, str]]:
    """Claim -> (tests cell, status cell) of the inventory table."""
    text = DOC.read_text()
    assert HEADING in text, f"{DOC} lost its section {HEADING!r}"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| Claim") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        assert len(cells) == 4, f"inventory row without 4 cells: {line}"
        claim, _, tests, status = cells
        assert claim not in rows, f"{claim} has two rows"
        rows[claim] = (tests, status)
    return rows


@lru_cache(maxsize=None)
def _functions(path: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse((ROOT / path).read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _marks(node: ast.FunctionDef) -> dict[str, ast.expr]:
    """pytest.mark.<name> decorators of a test function, by name."""
    marks = {}
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        parts = ast.unparse(target).split(".")
        if parts[:2] == ["pytest", "mark"] and len(parts) == 3:
            marks[parts[2]] = dec
    return marks


def _strict_xfail(node: ast.FunctionDef) -> bool:
    dec = _marks(node).get("xfail")
    return isinstance(dec, ast.Call) and any(
        k.arg == "strict" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in dec.keywords)


def test_every_claim_has_exactly_one_row():
    rows = _rows()
    assert sorted(rows) == sorted(CLAIMS), (set(CLAIMS) ^ set(rows))


@pytest.mark.parametrize("claim", CLAIMS)
def test_named_tests_exist_with_their_marks_and_status(claim):
    tests, status = _rows()[claim]
    refs = REF.findall(tests)
    if status.startswith("not yet tested"):
        assert tests == "-" and not refs, f"{claim}: untested but names tests"
        return
    assert status.startswith(("passes", "strict xfail")), f"{claim}: unknown status {status!r}"
    assert refs, f"{claim}: no test named in {tests!r}"
    assert len(refs) == tests.count("`") // 2, f"{claim}: a test reference is malformed"
    xfails = []
    for path, name, slow in refs:
        assert (ROOT / path).is_file(), f"{claim}: {path} does not exist"
        functions = _functions(path)
        assert name in functions, f"{claim}: {path} has no function {name}"
        node = functions[name]
        assert ("slow" in _marks(node)) == bool(slow), \
            f"{claim}: {path}::{name} is {'' if slow else 'not '}marked slow in the table"
        xfails.append(_strict_xfail(node))
    if "strict xfail" in status:
        assert any(xfails), f"{claim}: status names a strict xfail but no test is one"
    else:
        assert not any(xfails), f"{claim}: status {status!r} but a named test is an xfail"
