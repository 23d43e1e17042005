"""PiecewiseLinear (002 eq. 2.1, 2.3): numeric and exact modes against direct numpy forward passes.

Numeric mode: random deep narrow and width-2 units, evaluated by PiecewiseLinear and by a plain
numpy forward pass; kinks checked by the slope/affinity oracle.  Exact mode: agrees with the
numeric mode at the witness, with sympy's own feature expression, and stays valid on the whole
chamber that its case conditions describe.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from gaconvex._validation import GaconvexError
from gaconvex.symbolic import (PiecewiseLinear, absolute, architecture, derive, leaky_relu, relu,
                               sign, threshold)
from gaconvex.symbolic.piecewise import LinearForm, linearize
from symbolic_oracles import PROPERTY, missing_and_spurious

ACTIVATIONS = {"relu": relu(), "leaky": leaky_relu("0.3"), "abs": absolute(),
               "leaky_neg": leaky_relu("-0.5")}
NUMPY = {"relu": lambda u: np.maximum(u, 0), "leaky": lambda u: np.where(u >= 0, u, 0.3 * u),
         "abs": np.abs, "leaky_neg": lambda u: np.where(u >= 0, u, -0.5 * u),
         "sign": lambda u: np.where(u >= 0, 1.0, -1.0), "threshold": lambda u: (u >= 0) * 1.0}


def numpy_forward(layers, act, x):
    h = x[:, None]
    for W, b in layers:
        h = act(h @ W + b)
    return h[:, 0]


@st.composite
def random_units(draw):
    """A random unit: activation name and 1..4 layers with widths 1 or 2 and a scalar output."""
    name = draw(st.sampled_from(sorted(ACTIVATIONS)))
    depth = draw(st.integers(1, 4))
    widths = [1] + [draw(st.integers(1, 2)) for _ in range(depth - 1)] + [1]
    vals = st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 3))
    layers = []
    for m_in, m_out in zip(widths[:-1], widths[1:]):
        W = np.array([[draw(vals) for _ in range(m_out)] for _ in range(m_in)])
        b = np.array([draw(vals) for _ in range(m_out)])
        layers.append((W, b))
    return name, layers


@PROPERTY
@given(random_units())
def test_numeric_unit_matches_numpy_forward_and_breaks_exactly_at_its_kinks(unit):
    """002 eq. (2.3): the unit x -> sigma(... sigma(x W1 + b1) ...) is piecewise linear."""
    name, layers = unit
    f = PiecewiseLinear.from_layers(layers, ACTIVATIONS[name])
    g = lambda x: numpy_forward(layers, NUMPY[name], np.asarray(x, float))  # noqa: E731
    xs = np.random.default_rng(0).uniform(-20, 20, 200)
    assert np.allclose(f(xs), g(xs), atol=1e-9)
    kinks = f.kinks(tol=1e-9)
    missing, spurious = missing_and_spurious(g, kinks, np.random.default_rng(1))
    assert not missing and not spurious


def test_operations_build_the_expected_function():
    """affine, +, compose: ||x - 1| - 0.5| + 0.25 relu(x) has kinks 0, 0.5, 1, 1.5."""
    x = PiecewiseLinear.identity()
    f = x.affine(1, -1).compose(absolute()).affine(1, -0.5).compose(absolute()) \
        + x.compose(relu()).affine(0.25, 0)
    assert np.allclose(f.kinks(), [0.0, 0.5, 1.0, 1.5])
    xs = np.linspace(-3, 3, 61)
    assert np.allclose(f(xs), np.abs(np.abs(xs - 1) - 0.5) + 0.25 * np.maximum(xs, 0))


def test_non_kinks_are_dropped():
    """Only true kinks: relu(x) - relu(-x) = x and relu(x) + relu(-x) - |x| = 0 have none."""
    x = PiecewiseLinear.identity()
    ident = x.compose(relu()) + x.affine(-1, 0).compose(relu()).affine(-1, 0)
    zero = x.compose(relu()) + x.affine(-1, 0).compose(relu()) + x.compose(absolute()).affine(-1, 0)
    assert ident.knots == () and zero.knots == ()
    assert ident(np.array([-2.0, 3.0])).tolist() == [-2.0, 3.0]


@pytest.mark.parametrize("act, values", [(sign(), [-1.0, 1.0, 1.0]),
                                         (threshold(), [0.0, 1.0, 1.0])])
def test_sign_and_threshold_take_the_nonnegative_branch_at_zero(act, values):
    """002 Sec. 1.2: sign(0) = 1, threshold(0) = 1; the jump at 0 is a breakpoint."""
    f = PiecewiseLinear.identity().compose(act)
    assert f(np.array([-1.0, 0.0, 1.0])).tolist() == values
    assert f.kinks().tolist() == [0.0]


def test_point_discontinuity_is_a_breakpoint():
    """sign(-|x|) = -1 except sign(0) = 1 at x = 0: no slope jump, but the value jumps."""
    f = PiecewiseLinear.identity().compose(absolute()).affine(-1, 0).compose(sign())
    assert f.kinks().tolist() == [0.0] and f(0.0) == 1.0 and f(1e-9) == -1.0


def test_kinks_tolerance_merges_round_off_pairs():
    """Numeric kinks closer than tol merge; jumps smaller than tol are dropped."""
    x = PiecewiseLinear.identity()
    f = x.affine(1, -1).compose(relu()) + x.affine(1, -(1 + 1e-12)).compose(relu()) \
        + x.affine(1e-12, 0).compose(absolute())
    assert len(f.knots) == 3
    assert np.allclose(f.kinks(tol=1e-9), [1.0])


def _exact_and_numeric(family, anchors, signs):
    witness = dict(zip(family.anchors, anchors))
    fixed = dict(zip(family.signs, signs))
    exact = PiecewiseLinear.from_layers(family.layers, family.activation, witness, fixed)
    numeric_layers = [(np.array(W, float), np.array(b, float)) for W, b in
                      family.unit([float(a) for a in anchors], signs)]
    numeric = PiecewiseLinear.from_layers(numeric_layers, family.activation)
    return exact, numeric


@pytest.mark.parametrize("act, L", [("abs", 4), ("relu", 4), (("leaky_relu", "0.2"), 3),
                                    ("threshold", 2)])
def test_exact_and_numeric_modes_agree(act, L):
    """One implementation, two modes: same knots and values at the witness."""
    family = derive(architecture(act, L)).families[0]
    rng = np.random.default_rng(7)
    for _ in range(10):
        anchors = [Fraction(int(v), 4) for v in rng.integers(-40, 40, family.n_anchors)]
        signs = family.sign_choices[rng.integers(len(family.sign_choices))]
        exact, numeric = _exact_and_numeric(family, anchors, signs)
        assert np.allclose(exact.kinks(), numeric.kinks(tol=1e-9))
        xs = rng.uniform(-30, 30, 50)
        assert np.allclose(exact(xs), numeric(xs))


@pytest.mark.parametrize("act, L, bias_kind", [("abs", 4, "data"), ("abs", 3, "midpoint"),
                                               ("relu", 3, "data"),
                                               (("leaky_relu", "-0.5"), 3, "midpoint")])
def test_exact_function_is_valid_on_its_whole_chamber(act, L, bias_kind):
    """The Piecewise expression of the witness's case equals the family's sympy feature at any
    anchor values satisfying the recorded case conditions (not only at the witness)."""
    family = [f for f in derive(architecture(act, L)).families if f.bias_kind == bias_kind][0]
    rng = np.random.default_rng(3)
    for _ in range(5):
        anchors = rng.integers(-50, 50, family.n_anchors)
        signs = family.sign_choices[rng.integers(len(family.sign_choices))]
        fixed = dict(zip(family.signs, signs))
        f = PiecewiseLinear.from_layers(family.layers, family.activation,
                                        dict(zip(family.anchors, anchors)), fixed)
        conditions = f.case_conditions()
        sides = sp.lambdify(family.anchors, [c.lhs for c in conditions], "numpy")
        wanted = np.array([{">": 1, "<": -1, "==": 0}[c.rel_op] for c in conditions])
        piecewise = sp.lambdify([family.x, *family.anchors], f.as_expr(family.x), "numpy")
        feature = sp.lambdify([family.x, *family.anchors], family.expr.xreplace(fixed), "numpy")
        moved = 0
        for _ in range(30):  # the chambers are cones: rescale, then perturb a little
            other = anchors * rng.uniform(0.3, 3) + rng.normal(0, 0.3, anchors.size)
            if np.array_equal(np.sign(sides(*other)), wanted):
                moved += 1
                xs = rng.uniform(-200, 200, 40)
                assert np.allclose(piecewise(xs, *other), feature(xs, *other))
        assert moved > 0


def test_case_conditions_of_fig_3_1():
    """abs L = 4 with (7, 4, 5): the chamber is the ordering a1 > a3 > a2."""
    family = derive(architecture("abs", 4)).families[0]
    f = PiecewiseLinear.from_layers(family.layers, family.activation,
                                    dict(zip(family.anchors, (7, 4, 5))))
    a1, a2, a3 = family.anchors
    assert set(map(str, f.case_conditions())) == {str(a1 - a2 > 0), str(a1 - a3 > 0),
                                                  str(a2 - a3 < 0)}


def test_linear_form_arithmetic_and_linearize():
    a, b = sp.symbols("a b", real=True)
    w = {a: Fraction(3), b: Fraction(1, 2)}
    form = linearize(sp.Abs(a - 4 * b) + sp.Max(a, b) / 2 - sp.Piecewise((1, a < b), (2, True)), w)
    assert isinstance(form, LinearForm)
    assert sp.expand(form.expr - (a - 4 * b + a / 2 - 2)) == 0
    assert form.value == Fraction(3 - 2 + Fraction(3, 2) - 2)


def test_errors_are_clear():
    a = sp.Symbol("a", real=True)
    with pytest.raises(GaconvexError, match="not linear"):
        linearize(a * a, {a: 1})
    with pytest.raises(GaconvexError, match="no witness value"):
        linearize(a + 1, {})
    x = PiecewiseLinear.identity({a: 2})
    with pytest.raises(GaconvexError, match="depends on the anchors"):
        x.affine(a, 0)
    with pytest.raises(GaconvexError, match="exact and a numeric"):
        x + PiecewiseLinear.identity()
    with pytest.raises(GaconvexError, match="shapes do not chain"):
        PiecewiseLinear.from_layers([(np.ones((2, 1)), np.zeros(1))], relu())
