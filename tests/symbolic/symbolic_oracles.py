"""Numeric oracles for the symbolic tests, independent of gaconvex.symbolic's PiecewiseLinear.

``missing_and_spurious(g, points, rng)``: whether a piecewise-linear g: R -> R (numpy-vectorised)
breaks exactly at ``points``: (a) at each point the left and right slopes differ or the value
jumps, and (b) g is affine on every gap between consecutive points and on both unbounded
ends (no missed kink).
"""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings

PROPERTY = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _affine_on(g, lo, hi, rng, scale) -> bool:
    """g is affine on (lo, hi): 7 points (near both ends and random) are collinear."""
    u = np.sort(np.concatenate([[lo + 1e-4 * (hi - lo), hi - 1e-4 * (hi - lo)],
                                rng.uniform(lo, hi, 5)]))
    v = g(u)
    line = v[0] + (v[-1] - v[0]) * (u - u[0]) / (u[-1] - u[0])
    return np.allclose(v, line, atol=1e-8 * scale, rtol=0)


def missing_and_spurious(g, points, rng, span: float = 50.0):
    """(gaps where g is not affine, points where g does not break); both empty = exact match.

    At a point p: left/right slopes from g(p - 2h), g(p - h) and g(p + h), g(p + 2h); the value
    jumps if g(p) differs from a one-sided linear extrapolation."""
    points = np.sort(np.asarray(points, dtype=float))
    scale = 1.0 + np.max(np.abs(points), initial=1.0)
    edges = np.concatenate([[points[0] - span * scale if points.size else -span],
                            points, [points[-1] + span * scale if points.size else span]])
    missing = [(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])
               if not _affine_on(g, lo, hi, rng, scale)]
    spurious, gaps = [], np.diff(edges)
    for i, p in enumerate(points):
        h = min(1e-3, gaps[i] / 4, gaps[i + 1] / 4)
        l2, l1, at, r1, r2 = g(p + h * np.arange(-2.0, 3.0))
        slope_jump = abs((r2 - r1) / h - (l1 - l2) / h)
        value_jump = max(abs((2 * l1 - l2) - at), abs((2 * r1 - r2) - at))
        if slope_jump < 1e-6 and value_jump < 1e-8 * scale:
            spurious.append(p)
    return missing, spurious
