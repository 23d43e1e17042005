"""Breakpoints of a feature family and what they are: data points, midpoints, reflections.

A feature's breakpoints depend on how its anchors are ordered (and on finer comparisons such as
a3 versus 2a2 - a1).  :func:`breakpoints` fixes that case by a *witness*: exact values of the
anchors (and the +-1 signs).  It propagates the family's layers through an exact
:class:`~gaconvex.symbolic.piecewise.PiecewiseLinear` and returns every true kink as an
expression in the anchors, valid in the whole chamber of anchor space that contains the
witness (:func:`case_conditions` lists the chamber's defining sign conditions), labelled by its
structure and its minimal reflection order (000 Thm 4.5, App. F; 002 Thm 3.2, Remark 3.14).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from gaconvex._validation import GaconvexError

from .piecewise import PiecewiseLinear, to_rational
from .reflections import DEFAULT_MAX_ORDER, describe_combination

__all__ = ["Breakpoint", "breakpoints", "case_conditions", "feature_function"]


@dataclass(frozen=True)
class Breakpoint:
    """One kink (or jump) of a feature.

    Attributes
    ----------
    expr : sympy expression
        Affine in the anchor symbols, valid in the witness's chamber.
    value : sympy Rational
        Its exact value at the witness.
    label : str
        Its structure, e.g. "data point a1", "midpoint (a1 + a2)/2",
        "reflection R(a2, a1) = 2a1 - a2", "generalized reflection a2 + a3 - a1",
        "reflection of a reflection R(R(a3, a2), a1) = 2a1 + a3 - 2a2".
    order : int or None
        Minimal reflection order (0 = an anchor itself); None if it is no integer reflection
        (midpoints, generalized reflections).
    """

    expr: sp.Expr
    value: sp.Rational
    label: str
    order: int | None

    def __float__(self) -> float:
        return float(self.value)

    def __str__(self) -> str:
        order = "-" if self.order is None else self.order
        return f"{self.value} = {self.expr}  [{self.label}; order {order}]"


def _witness(family, anchor_values, signs):
    if len(anchor_values) != family.n_anchors:
        raise GaconvexError(f"{family.architecture} has {family.n_anchors} anchors "
                            f"{family.anchors}; got {len(anchor_values)} values.")
    if len(signs) != family.n_signs:
        raise GaconvexError(f"{family.architecture} has {family.n_signs} sign symbols "
                            f"{family.signs}; pass signs= a tuple of {family.n_signs} values +-1.")
    if any(s not in (1, -1) for s in signs):
        raise GaconvexError(f"signs must be +1 or -1, got {tuple(signs)}.")
    witness = {a: to_rational(v) for a, v in zip(family.anchors, anchor_values)}
    return witness, {s: sp.Integer(v) for s, v in zip(family.signs, signs)}


def feature_function(family, anchor_values, signs=()) -> PiecewiseLinear:
    """The family's feature for the case of the witness, as an exact :class:`PiecewiseLinear`.

    Anchor values are read exactly (``0.1`` is 1/10, via its decimal string).
    """
    witness, fixed = _witness(family, tuple(anchor_values), tuple(signs))
    return PiecewiseLinear.from_layers(family.layers, family.activation, witness, fixed)


def breakpoints(family, anchor_values, signs=(),
                max_order: int = DEFAULT_MAX_ORDER) -> list[Breakpoint]:
    """Breakpoints of ``family`` in the case fixed by the witness, sorted by value.

    Parameters
    ----------
    family : FeatureFamily
        From :func:`~gaconvex.symbolic.derive`.
    anchor_values : sequence of numbers
        The witness: one exact (or decimal) value per anchor a1, a2, ...; ties are allowed
        and then select the face of the chamber through them.
    signs : sequence of +-1
        Values of the family's sign symbols s1, s2, ... (empty for abs and sign).
    max_order : int
        Largest reflection order searched for the labels.
    """
    f = feature_function(family, anchor_values, signs)
    names = [str(a) for a in family.anchors]
    out = []
    for t in f.knots:
        label, order = describe_combination([t.coefficient(a) for a in family.anchors], names,
                                            t.const, max_order)
        out.append(Breakpoint(t.expr, sp.Rational(t.value.numerator, t.value.denominator),
                              label, order))
    return out


def case_conditions(family, anchor_values, signs=()) -> list:
    """The sign conditions (sympy relationals, affine in the anchors) that the witness decided.

    Together they define the chamber on which :func:`breakpoints` gives the same expressions;
    e.g. abs L = 3 with anchors (3, 2): ``[a1 - a2 > 0]``.
    """
    return feature_function(family, anchor_values, signs).case_conditions()
