"""breakpoints(family, witness) (002 Thm 3.2, Remark 3.14; 000 Thm 4.5) against an independent
numeric oracle: the family's own sympy expression, lambdified, must break exactly at the returned
values (true kinks there, affine in between), for random anchors, random orderings (ties
included) and every family; the expressions must hold on the whole chamber of the witness.
Also: unsupported architectures fail clearly, and derivation / breakpoints are fast.
"""
from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from gaconvex._validation import GaconvexError
from gaconvex.symbolic import Breakpoint, architecture, breakpoints, derive
from gaconvex.symbolic.breakpoints import case_conditions
from symbolic_oracles import PROPERTY, missing_and_spurious

ARCHITECTURES = [
    ("relu", 2, {}), (("leaky_relu", "0.2"), 2, {}), ("abs", 2, {}), ("sign", 2, {}),
    ("threshold", 2, {}),
    *[(act, L, {}) for act in ("relu", "abs", ("leaky_relu", "0.2")) for L in (3, 4, 5)],
    ("abs", 3, {"midpoints": True}), ("abs", 4, {"midpoints": True}),
    (("leaky_relu", "-0.5"), 3, {}),  # non-monotone: data + midpoint families
    ("relu", 3, {"family": "symmetrized"}),
]
FAMILIES = [fam for act, L, kw in ARCHITECTURES for fam in derive(architecture(act, L, **kw))]
_LAMBDAS: dict = {}


def _feature(family, anchors, signs):
    """x -> f(x; anchors, signs) by sympy.lambdify of family.expr (independent of piecewise)."""
    if id(family) not in _LAMBDAS:
        _LAMBDAS[id(family)] = sp.lambdify([family.x, *family.anchors, *family.signs],
                                           family.expr, "numpy")
    fn = _LAMBDAS[id(family)]
    return lambda x: np.broadcast_to(fn(np.asarray(x, float), *map(float, anchors), *signs),
                                     np.shape(x)).astype(float)


anchor_values = st.integers(-32, 32).map(lambda k: Fraction(k, 4))  # ties and orderings at random


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f"{f.architecture}-{f.bias_kind}")
@PROPERTY
@given(data=st.data())
def test_breakpoints_are_exactly_the_kinks_of_the_feature(family, data):
    anchors = data.draw(st.lists(anchor_values, min_size=family.n_anchors,
                                 max_size=family.n_anchors))
    signs = data.draw(st.sampled_from(family.sign_choices))
    bps = breakpoints(family, anchors, signs)
    values = [float(b.value) for b in bps]
    assert values == sorted(values) and len(set(values)) == len(values)
    subs = dict(zip(family.anchors, map(sp.Rational, map(str, anchors))))
    assert all(b.expr.xreplace(subs) == b.value for b in bps)
    missing, spurious = missing_and_spurious(_feature(family, anchors, signs), values,
                                             np.random.default_rng(0))
    assert not missing, f"kinks missed in {missing}"
    assert not spurious, f"not kinks: {spurious}"


@pytest.mark.parametrize("act, L, kw", [("abs", 4, {}), ("abs", 5, {"midpoints": False}),
                                        ("relu", 4, {}), ("relu", 3, {"family": "symmetrized"}),
                                        (("leaky_relu", "-0.5"), 3, {})])
def test_expressions_hold_on_the_whole_chamber(act, L, kw):
    """Breakpoint expressions of one witness = breakpoints of any other witness in its chamber."""
    rng = np.random.default_rng(11)
    for family in derive(architecture(act, L, **kw)):
        moved = 0
        for _ in range(4):
            anchors = rng.integers(-60, 60, family.n_anchors)
            signs = family.sign_choices[rng.integers(len(family.sign_choices))]
            bps = breakpoints(family, anchors, signs)
            conditions = case_conditions(family, anchors, signs)
            for _ in range(20):  # chambers are cones: rescale and perturb
                other = [int(v) for v in np.round(anchors * rng.uniform(0.5, 2)
                                                  + rng.integers(-2, 3, anchors.size))]
                subs = dict(zip(family.anchors, other))
                if all(bool(c.xreplace(subs)) for c in conditions):
                    moved += 1
                    assert [b.expr.xreplace(subs) for b in bps] == \
                        [b.value for b in breakpoints(family, other, signs)]
        assert moved >= 10


def test_labels_and_orders_of_fig_3_1():
    """002 Fig. 3.1, abs L = 4, (x_j1, x_j2, x_j3) = (7, 4, 5)."""
    family = derive(architecture("abs", 4)).families[0]
    a1, a2, a3 = family.anchors
    got = {int(b.value): (b.expr, b.order, b.label) for b in breakpoints(family, (7, 4, 5))}
    assert got[4] == (a2, 0, "data point a2")
    assert got[10][:2] == (2 * a1 - a2, 1) and got[10][2].startswith("reflection R(a2, a1)")
    assert got[11][:2] == (2 * a1 - 2 * a2 + a3, 2)
    assert "reflection of a reflection R(R(a3, a2), a1)" in got[11][2]


def test_midpoint_family_labels():
    """002 Sec. 2.6: the abs L = 3 midpoint feature breaks at x_j1, x_j2 and their midpoint."""
    family = derive(architecture("abs", 3, midpoints=True)).families[1]
    bps = breakpoints(family, (1, 5))
    assert [b.value for b in bps] == [1, 3, 5]
    assert bps[1].label == "midpoint (a1 + a2)/2" and bps[1].order is None
    assert isinstance(bps[0], Breakpoint) and str(bps[0]).startswith("1 = a1")


def test_decimal_anchors_are_read_exactly():
    family = derive(architecture("abs", 3)).families[0]
    assert [b.value for b in breakpoints(family, (0.3, 0.1))] == \
        [sp.Rational(1, 10), sp.Rational(3, 10), sp.Rational(1, 2)]


def test_witness_errors_are_clear():
    relu3 = derive(architecture("relu", 3)).families[0]
    with pytest.raises(GaconvexError, match="2 anchors"):
        breakpoints(relu3, (1,), (1, 1))
    with pytest.raises(GaconvexError, match="sign symbols"):
        breakpoints(relu3, (1, 2))
    with pytest.raises(GaconvexError, match=r"\+1 or -1"):
        breakpoints(relu3, (1, 2), (1, 2))


@pytest.mark.parametrize("args, kwargs, match", [
    (("relu", 3), {"midpoints": True}, "non-monotone"),
    (("sign", 3), {}, "depth 2 only"),
    (("threshold", 4), {}, "depth 2 only"),
    (("abs", 3), {"family": "symmetrized"}, "monotone continuous"),
    (("relu", 4), {"family": "symmetrized"}, "depth 3 only"),
    (("relu", 1), {}, "depth must be an integer >= 2"),
    (("abs", 2), {"midpoints": True}, "depth >= 3"),
    (("softplus", 2), {}, "unknown activation"),
])
def test_unsupported_architectures_fail_clearly(args, kwargs, match):
    with pytest.raises(GaconvexError, match=match):
        architecture(*args, **kwargs)


def test_numpy_integer_depth_and_dim_are_integers():
    """np.int64 from a loop over np.arange is a depth like any other; floats and bools are not."""
    import numpy as np

    arch = architecture("abs", np.int64(3), dim=np.int32(1))
    assert arch == architecture("abs", 3) and type(arch.depth) is int and type(arch.dim) is int
    for bad in (3.0, np.float64(3.0), True, np.bool_(True)):
        with pytest.raises(GaconvexError, match="depth must be an integer"):
            architecture("abs", bad)


def test_derivation_and_breakpoints_are_fast():
    """Every 1-D family up to L = 5 derives in < 5 s; breakpoints of abs L = 5 in < 2 s."""
    derive.cache_clear()
    for act in ("relu", "abs", ("leaky_relu", "0.2"), ("leaky_relu", "-0.5")):
        for L in range(2, 6):
            start = time.perf_counter()
            derive(architecture(act, L))
            assert time.perf_counter() - start < 5.0, (act, L)
    for act in ("sign", "threshold"):
        derive(architecture(act, 2))
    derive(architecture("relu", 3, family="symmetrized"))
    start = time.perf_counter()
    for family in derive(architecture("abs", 5)):
        breakpoints(family, (11, -7, 3, 29))
    assert time.perf_counter() - start < 2.0
