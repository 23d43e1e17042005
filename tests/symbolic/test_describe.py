"""describe (symbolic/describe.py): families and libraries explain themselves -- architecture,
bias kind (002 Def. 3.8-3.9), feature formula, anchor roles, library size (002 Table 3.1) and,
for one column, the substituted feature with its breakpoints and reflection labels (002 Fig. 3.1,
Thm 3.2) -- and docs/symbolic.md shows exactly what the code prints."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sympy as sp

from gaconvex._validation import GaconvexError
from gaconvex.symbolic import architecture, derive, describe

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _family(*spec, kind=0):
    return derive(architecture(*spec)).families[kind]


def test_family_description_names_architecture_formula_roles_and_size():
    """Architecture, data feature biases (002 Def. 3.9), sstr formula, anchor roles, 4 N^2 columns."""
    family = _family("relu", 3)
    text = describe(family)
    assert text.splitlines()[0] == "relu L=3 (deep_narrow) [data biases]"
    assert "002 Def. 3.9" in text
    assert f"f(x) = {sp.sstr(family.expr)}" in text
    assert "a1: layer 1 data bias; a2: layer 2 data bias" in text
    assert "s1, s2 in {+1, -1}" in text and "4 sign patterns" in text
    assert "library size: 4*N**2 raw columns" in text


def test_latex_formulas():
    """latex=True prints the feature and the size with sympy.latex."""
    family = _family("abs", 3, kind=1)
    text = describe(family, latex=True)
    assert f"f(x) = {sp.latex(family.expr)}" in text and "library size: N^{2}" in text
    assert "normalized midpoint" in text and "002 Def. 3.8" in text


def test_fig_3_1_three_layer_column_and_its_reflection_breakpoint():
    """002 Fig. 3.1: anchors (3, 2) give ||x - 3| - 1| with breakpoints 2, 3 and 4 = R(2, 3)."""
    text = describe(_family("abs", 3), anchor_values=(3, 2))
    assert "at a1 = 3, a2 = 2:" in text
    assert "f(x) = Abs(Abs(x - 3) - 1)" in text
    assert "breakpoint: x = 2 = a2, data point a2 (order 0)" in text
    assert "breakpoint: x = 4 = 2*a1 - a2, reflection R(a2, a1) = 2a1 - a2 (order 1)" in text


def test_fig_3_1_four_layer_double_reflection():
    """002 Fig. 3.1: anchors (7, 4, 5) give |||x - 7| - 3| - 1| with seven breakpoints, among
    them the double reflection 11 = R(R(5, 4), 7) of order 2."""
    text = describe(_family("abs", 4), anchor_values=(7, 4, 5))
    points = [line for line in text.splitlines() if "breakpoint:" in line]
    assert [int(line.split("x = ")[1].split()[0]) for line in points] == [3, 4, 5, 7, 9, 10, 11]
    assert "R(R(a3, a2), a1)" in points[-1] and points[-1].endswith("(order 2)")


def test_signs_are_substituted_for_families_with_signs():
    """ReLU L = 3 with W = (-1, -1) is the capped ramp Ramp+_{x_j2, x_j1} (002 Lemma B.2)."""
    text = describe(_family("relu", 3), anchor_values=(3, 2), signs=(-1, -1))
    assert "at a1 = 3, a2 = 2, s1 = -1, s2 = -1:" in text
    assert "f(x) = Max(0, 1 - Max(0, 3 - x))" in text
    assert "x = 2 = a2" in text and "x = 3 = a1" in text


def test_library_description_lists_every_family():
    """describe(library): the architecture, total size 2 N^2 and both abs L = 3 families."""
    text = describe(derive(architecture("abs", 3)))
    assert text.startswith("Library of abs L=3 (deep_narrow, midpoints): 2 feature families, "
                           "2*N**2 raw columns")
    assert "[data biases]" in text and "[midpoint biases]" in text
    assert "intercept xi: free" in text
    assert "intercept xi: 0" in describe(derive(architecture("sign", 2)))


def test_describe_rejects_what_it_cannot_describe():
    """Helpful errors: wrong number of anchors/signs, anchors for a library, other objects."""
    with pytest.raises(GaconvexError, match="needs 2 anchor values"):
        describe(_family("abs", 3), anchor_values=(1,))
    with pytest.raises(GaconvexError, match="2 signs"):
        describe(_family("relu", 3), anchor_values=(1, 2))
    with pytest.raises(GaconvexError, match="not the library"):
        describe(derive(architecture("abs", 3)), anchor_values=(1, 2))
    with pytest.raises(GaconvexError, match="FeatureFamily or a Library"):
        describe("relu")


def test_docs_show_what_the_code_prints():
    """docs/symbolic.md's generated section equals docs/_generate_symbolic.py's output today."""
    spec = importlib.util.spec_from_file_location("_generate_symbolic", DOCS / "_generate_symbolic.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    text = (DOCS / "symbolic.md").read_text()
    section = text.split(generator.BEGIN, 1)[1].split(generator.END, 1)[0]
    assert section.strip("\n") == generator.derived_features_section(), \
        "docs/symbolic.md is stale: run python docs/_generate_symbolic.py"
    assert "## Breakpoints and reflection orders" in text
