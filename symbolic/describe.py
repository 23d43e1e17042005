"""Human-readable descriptions of feature families and libraries (objects that explain themselves).

``describe(family)`` says which network a family of Lasso features stands for, the feature
formula f(x; a, s) as derived by :func:`gaconvex.symbolic.derive` (plain text via ``sympy.sstr``
or LaTeX via ``sympy.latex``), what each anchor does, the raw library size in N, and -- for given
anchor values and signs -- the substituted feature with its breakpoints and which reflections
they are (:func:`gaconvex.symbolic.breakpoints.breakpoints`; 002 Thm 3.2, Remark 3.14).
"""
from __future__ import annotations

import sympy as sp

from gaconvex._validation import GaconvexError

from .breakpoints import breakpoints
from .derivation import FeatureFamily, Library
from .families import OnArchitecture

__all__ = ["describe"]

_N = sp.Symbol("N")

_BIAS_KINDS = {
    "data": "data feature biases: every layer's pre-activation vanishes at its anchor (002 Def. 3.9)",
    "midpoint": "layer 1 breaks at the normalized midpoint of a1 and a2 (002 Def. 3.8), "
                "data feature biases after it (002 Def. 3.9)",
}


def _formula(expr, latex: bool) -> str:
    return sp.latex(expr) if latex else sp.sstr(expr)


def _sign_line(family: FeatureFamily) -> str:
    if not family.signs:
        return "none: the library uses inner weights +1 only (002 Table 3.1, Cor. 3.15)"
    names = ", ".join(map(str, family.signs))
    return f"{names} in {{+1, -1}}: the inner weights, {len(family.sign_choices)} sign patterns"


def _family_lines(family: FeatureFamily, latex: bool) -> list[str]:
    lines = [f"{family.architecture} [{family.bias_kind} biases]",
             f"  bias kind: {_BIAS_KINDS.get(family.bias_kind, family.bias_kind)}",
             f"  feature: f(x) = {_formula(family.expr, latex)}",
             "  anchors: " + "; ".join(f"{a}: {role}" for a, role in zip(family.anchors,
                                                                          family.anchor_roles)),
             f"  signs: {_sign_line(family)}",
             f"  library size: {_formula(family.size(_N), latex)} raw columns for N data points"]
    return lines


def _ddim_family_lines(family: OnArchitecture, latex: bool) -> list[str]:
    """A d-D family (wedge, three-layer wedge, reflection planes): its statement, the feature
    (a sympy expression for d <= 5, else the geometric-algebra formula as text), anchors,
    orientations and the raw library size in N."""
    expr = family.expr
    feature = expr if isinstance(expr, str) else _formula(expr, latex)
    signs = family.sign_choices
    orientations = ("none" if signs == ((),) else
                    f"{len(signs)} per anchor set: " + ", ".join(map(str, signs)))
    return [str(family),
            f"  feature: f(x) = {feature}",
            f"  anchors: {family.n_anchors} rows of R^{family.dim} per column "
            f"(anchor_values; dictionary.describe(i) names them)",
            f"  signs: {orientations}",
            f"  library size: {_formula(family.size(_N), latex)} raw columns for N data points"]


def _lines(family, latex: bool) -> list[str]:
    if isinstance(family, OnArchitecture):
        return _ddim_family_lines(family, latex)
    return _family_lines(family, latex)


def _instance_lines(family: FeatureFamily, anchor_values, signs, latex: bool) -> list[str]:
    """The feature at given anchors/signs and its breakpoints (labelled reflections)."""
    signs = () if signs is None else tuple(int(s) for s in signs)
    if len(anchor_values) != family.n_anchors or len(signs) != family.n_signs:
        raise GaconvexError(
            f"{family.architecture} [{family.bias_kind}] needs {family.n_anchors} anchor values "
            f"{family.anchors} and {family.n_signs} signs {family.signs}; got anchor_values="
            f"{tuple(anchor_values)}, signs={signs}.")
    values = ", ".join(f"{a} = {sp.sstr(sp.nsimplify(v))}" for a, v in zip(family.anchors, anchor_values))
    values += "".join(f", {s} = {v:+d}" for s, v in zip(family.signs, signs))
    lines = [f"  at {values}:",
             f"    f(x) = {_formula(family.substitute(anchor_values, signs), latex)}"]
    points = breakpoints(family, anchor_values, signs)
    if not points:
        lines.append("    breakpoints: none")
    for bp in points:
        order = "not an integer reflection" if bp.order is None else f"order {bp.order}"
        lines.append(f"    breakpoint: x = {_formula(bp.value, latex)} = {_formula(bp.expr, latex)}, "
                     f"{bp.label} ({order})")
    return lines


def describe(obj, anchor_values=None, signs=None, latex: bool = False) -> str:
    """A readable description of a :class:`FeatureFamily` or a whole :class:`Library`.

    Parameters
    ----------
    obj : FeatureFamily or Library
        From :func:`gaconvex.symbolic.derive`.
    anchor_values : sequence of numbers, optional
        Values of the anchors a1, a2, ... of one column (a family only): adds the substituted
        feature and its breakpoints with their reflection labels.
    signs : sequence of +-1, optional
        Values of the sign symbols s1, s2, ... (required with ``anchor_values`` when the family
        has signs).
    latex : bool
        Print formulas with ``sympy.latex`` instead of ``sympy.sstr``.
    """
    if isinstance(obj, Library):
        if anchor_values is not None or signs is not None:
            raise GaconvexError("anchor values describe one column: pass a family of the "
                                "library (library.families[k]), not the library.")
        arch = obj.architecture
        xi = "free (unpenalized)" if arch.has_free_intercept else "0 (no intercept)"
        lines = [f"Library of {arch}: {len(obj)} feature famil{'y' if len(obj) == 1 else 'ies'}, "
                 f"{_formula(obj.size(_N), latex)} raw columns (002 Def. 3.10)",
                 f"  intercept xi: {xi}; effective depth L~ = {arch.effective_depth}"]
        for family in obj:
            lines += ["  " + line for line in _lines(family, latex)]
        return "\n".join(lines)
    if isinstance(obj, OnArchitecture):
        if anchor_values is not None or signs is not None:
            raise GaconvexError(f"{obj.architecture}: one column of a d-dimensional family is "
                                "described by the dictionary that holds it, "
                                "dictionary.describe(i), not by anchor_values / signs.")
        return "\n".join(_ddim_family_lines(obj, latex))
    if not isinstance(obj, FeatureFamily):
        raise GaconvexError(f"describe takes a FeatureFamily or a Library from "
                            f"gaconvex.symbolic.derive(...), got {type(obj).__name__}.")
    lines = _family_lines(obj, latex)
    if anchor_values is not None:
        lines += _instance_lines(obj, tuple(anchor_values), signs, latex)
    elif signs is not None:
        raise GaconvexError("signs given without anchor_values; pass both to describe one column.")
    return "\n".join(lines)
