"""The architecture's rules, checked on the source: registries are the only place a family or
loss is named, data flows one way (dictionaries do not import the solvers they feed), and only
the column stores touch a dictionary's matrix."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gaconvex.symbolic as gs
from gaconvex.solvers.datafits import DATAFITS

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "gaconvex").rglob("*.py")) + sorted((ROOT / "symbolic").rglob("*.py"))


def _tree(path):
    return ast.parse(path.read_text(), filename=str(path))


def _docstrings(tree):
    """The docstring nodes of the module, classes and functions (not code literals)."""
    nodes = [tree, *(n for n in ast.walk(tree)
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))]
    return {id(n.body[0].value) for n in nodes
            if n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def _string_literals(path):
    tree = _tree(path)
    skip = _docstrings(tree)
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip]


@pytest.mark.parametrize("names, kind", [(sorted(gs.FAMILIES), "family"), (sorted(DATAFITS), "loss")])
def test_family_and_loss_names_are_spelled_in_their_registry_only(names, kind):
    """Adding a family or a loss is one module plus one registration: no other code compares
    its name (issue: 'symmetrized' was spelled at 8 sites in 6 files)."""
    for name in names:
        sites = [path.relative_to(ROOT).as_posix() for path in SOURCES
                 for literal in _string_literals(path) if literal == name]
        assert len(sites) == 1, f"{kind} name {name!r} appears as a literal in {sites}"


def _imports(path):
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            yield ".".join([*base, node.module] if node.module else base)


def test_dictionaries_do_not_import_the_solvers():
    """Data flows one way: data -> dictionary -> problem -> solver."""
    for path in sorted((ROOT / "gaconvex" / "dictionaries").glob("*.py")):
        bad = [name for name in _imports(path) if name.startswith("gaconvex.solvers")]
        assert not bad, f"{path.name} imports {bad}"


def test_only_the_column_stores_read_a_matrix_attribute():
    """Solvers, certificates and reconstruction use the operator (matvec, rmatvec, columns),
    never ``dictionary.matrix``."""
    for path in SOURCES:
        if path.name == "storage.py":
            continue
        hits = [n.lineno for n in ast.walk(_tree(path))
                if isinstance(n, ast.Attribute) and n.attr == "matrix"]
        assert not hits, f"{path.relative_to(ROOT)} reads .matrix at lines {hits}"
