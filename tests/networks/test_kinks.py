"""Kinks of 1-D networks and their reflection labels (002 Remark 3.14, Fig. 3.1, Fig. 3.2)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gaconvex.networks import ParallelNetwork, breakpoints
from gaconvex.symbolic import architecture, derive


def _abs_unit_net(anchors, alpha=1.0):
    """One deep narrow abs unit with data feature biases at ``anchors`` (002 Def. 3.9)."""
    family = derive(architecture("abs", len(anchors) + 1, midpoints=False)).families[0]
    return ParallelNetwork.from_units([family.unit(anchors, ())], [alpha], "abs")


def test_fig_3_2_three_layer_abs_kink_is_a_reflection():
    """002 Fig. 3.2 (spec Sec. 6.4): the 3-layer abs feature ||x - 2| - 2| on x = (2, 0, -1)
    breaks at 0, 2 and 4 = R(0, 2), the reflection of x2 about x1."""
    found = breakpoints(_abs_unit_net((2.0, 0.0)), x_data=[2.0, 0.0, -1.0])
    np.testing.assert_allclose(found.positions, [0.0, 2.0, 4.0], atol=1e-12)
    label, order, expr = found.kinks[2].label, found.kinks[2].order, found.kinks[2].expression
    assert label.startswith("reflection R(x2, x1)") and order == 1
    assert str(expr) == "2*x1 - x2"
    assert [k.order for k in found.kinks[:2]] == [0, 0]


def test_fig_3_1_four_layer_abs_double_reflection():
    """002 Fig. 3.1 / spec Sec. 2.6: |||x - 7| - 3| - 1| (anchors 7, 4, 5) breaks at
    {3, 4, 5, 7, 9, 10, 11}; 11 = R(R(5, 4), 7) is a reflection of a reflection."""
    found = breakpoints(_abs_unit_net((7.0, 4.0, 5.0)), x_data=[7.0, 4.0, 5.0])
    np.testing.assert_allclose(found.positions, [3, 4, 5, 7, 9, 10, 11], atol=1e-12)
    eleven = found.kinks[-1]
    assert eleven.order == 2 and eleven.label.startswith("reflection of a reflection")


@pytest.mark.parametrize("kind", ["relu-L2", "leaky-L3-skip", "abs-L4", "sign-L2",
                                  "symmetrized"])
def test_network_function_is_exact(kind):
    """The PiecewiseLinear built from the units equals the torch network everywhere, and every
    reported kink is a real slope or value change of the network."""
    g = torch.Generator().manual_seed(4)
    net = {"relu-L2": lambda: ParallelNetwork.deep_narrow(6, 2, "relu", generator=g),
           "leaky-L3-skip": lambda: ParallelNetwork.deep_narrow(
               4, 3, ("leaky_relu", 0.3), skip=True, generator=g),
           "abs-L4": lambda: ParallelNetwork.deep_narrow(3, 4, "abs", generator=g),
           "sign-L2": lambda: ParallelNetwork.deep_narrow(5, 2, "sign", generator=g),
           "symmetrized": lambda: ParallelNetwork.symmetrized(4, "relu", generator=g)}[kind]()
    with torch.no_grad():
        net.xi.fill_(0.25)
        if net.omega is not None:
            net.omega.fill_(-0.5)
    found = breakpoints(net, weight_tol=0.0)
    x = np.linspace(-6, 6, 2001)
    np.testing.assert_allclose(found.function(x), net(x).detach().numpy(), rtol=0, atol=1e-12)
    assert len(found) > 0 and found.n_units_used == net.n_units
    f = lambda t: net(np.array([t])).item()  # noqa: E731
    for t in found.positions:
        h = 1e-5
        second_difference = f(t - h) - 2 * f(t) + f(t + h)
        jump = abs(f(t + h) - f(t - h))
        assert abs(second_difference) > 1e-9 or jump > 1e-6


def test_two_layer_relu_kinks_are_unit_breakpoints_of_significant_units():
    """For f = sum_i alpha_i (w_i x + b_i)_+ the kinks are -b_i / w_i, over the units whose
    output weight is not negligible (the others are dropped by weight_tol)."""
    W = np.array([1.0, -2.0, 0.5])
    b = np.array([-1.0, 1.0, 1.0])
    alpha = np.array([1.0, 0.7, 1e-9])
    units = [[(np.array([[w]]), np.array([[c]]))] for w, c in zip(W, b)]
    net = ParallelNetwork.from_units(units, alpha, "relu")
    np.testing.assert_allclose(breakpoints(net).positions, [0.5, 1.0], atol=1e-12)
    np.testing.assert_allclose(breakpoints(net, tol=1e-12, weight_tol=0.0).positions,
                               [-2.0, 0.5, 1.0], atol=1e-12)


def test_unlabelled_points_say_neither_and_summary_reads():
    net = _abs_unit_net((2.0, 0.0))
    found = breakpoints(net, x_data=[2.0, 0.0, -1.0])
    assert "reflection" in found.summary() and "3 kinks" in repr(found)
    lone = breakpoints(_abs_unit_net((np.pi, 0.0)), x_data=[2.0, 0.0, -1.0], label_tol=1e-6)
    assert lone.kinks[1].label == "neither" and lone.kinks[1].order is None
