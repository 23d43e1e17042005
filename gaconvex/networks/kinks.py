"""Kinks of a trained 1-D network and what they are (002 Remark 3.14, Sec. 6.4; claim C24).

A parallel network on scalar inputs is piecewise linear: every unit is a composition of affine
maps and sigma, so :class:`gaconvex.symbolic.PiecewiseLinear` (numeric mode) carries each unit
exactly, and their weighted sum is the network function with its exact breakpoints.  Each kink
is then named in terms of the training data by :func:`gaconvex.symbolic.label_point`: a data
point, a midpoint, a reflection 2x_j - x_i, a generalized reflection, a reflection of a
reflection, ... or "neither".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gaconvex._validation import GaconvexError, as_float_array
from gaconvex.symbolic import PiecewiseLinear, label_point

from .modules import ParallelNetwork

if TYPE_CHECKING:
    import sympy

__all__ = ["Kink", "NetworkKinks", "network_function", "breakpoints"]


@dataclass(frozen=True)
class Kink:
    """One breakpoint of the network function: its position and data label (label, minimal
    reflection order, sympy expression in x1..xN; None without data)."""

    position: float
    label: str | None = None
    order: int | None = None
    expression: sympy.Expr | None = None

    def __str__(self) -> str:
        name = "" if self.label is None else f"  {self.label}"
        return f"x = {self.position:.6g}{name}"


@dataclass
class NetworkKinks:
    """The kinks of a network (sorted by position) and its exact piecewise-linear function."""

    kinks: list
    function: PiecewiseLinear
    n_units_used: int

    @property
    def positions(self) -> np.ndarray:
        return np.array([k.position for k in self.kinks])

    def __len__(self) -> int:
        return len(self.kinks)

    def __iter__(self):
        return iter(self.kinks)

    def __repr__(self) -> str:
        return (f"NetworkKinks({len(self.kinks)} kinks at "
                f"{np.round(self.positions, 6).tolist()}, {self.n_units_used} units)")

    def summary(self) -> str:
        return "\n".join([repr(self)] + [f"  {k}" for k in self.kinks])


def _unit_layers(net: ParallelNetwork, i: int) -> list:
    return [(W[i].detach().cpu().numpy(), b[i].detach().cpu().numpy())
            for W, b in zip(net.weights, net.biases)]


def network_function(net: ParallelNetwork, weight_tol: float = 1e-6):
    """f(x) = xi + sum_i alpha_i s_i X^(i,L)(x) + omega x as a numeric PiecewiseLinear, over the
    units with |alpha_i s_i| > weight_tol * max_j |alpha_j s_j| (the others are dropped).

    Returns (function, number of units used).
    """
    if net.batch_shape:
        raise GaconvexError("network_function reads one network; select(r) a batch entry first.")
    if net.in_features != 1:
        raise GaconvexError(f"kinks are breakpoints of a function of one input; this network has "
                            f"{net.in_features} inputs (its breaklines are planes).")
    out = net.output_weights.detach().cpu().numpy()
    keep = np.flatnonzero(np.abs(out) > weight_tol * np.abs(out).max(initial=0.0))
    f = PiecewiseLinear.identity().affine(0.0 if net.omega is None else net.omega.item(),
                                          net.xi.item())
    for i in keep:
        unit = PiecewiseLinear.from_layers(_unit_layers(net, int(i)), net.activation)
        f = f + unit.affine(float(out[i]), 0.0)
    return f, int(keep.size)


def breakpoints(net: ParallelNetwork, x_data=None, tol: float = 1e-6, *,
                label_tol: float = 1e-3, max_order: int = 2,
                weight_tol: float = 1e-6) -> NetworkKinks:
    """Exact kinks of a (trained) network and, given the training inputs, their labels.

    Parameters
    ----------
    net : an unbatched ParallelNetwork.
    x_data : (N,) training inputs; each kink is labelled by
        ``label_point(position, x_data, label_tol, max_order)``, with names x1..xN the
        1-based positions in ``x_data`` as given (pass it sorted descending for the paper's
        x_1 > ... > x_N).
    tol : kinks whose slope or value jumps by at most ``tol`` are ignored, and knots closer
        than ``tol`` are merged (``PiecewiseLinear.kinks``).
    weight_tol : units with |alpha_i s_i| <= weight_tol * max |alpha s| are ignored.
    """
    f, used = network_function(net, weight_tol)
    data = None if x_data is None else as_float_array(x_data, "x_data", ndim=(1, 2)).ravel()
    labels = (lambda t: (None, None, None)) if data is None else (
        lambda t: label_point(t, data, label_tol, max_order))
    return NetworkKinks([Kink(float(t), *labels(t)) for t in f.kinks(tol)], f, used)
