"""Synthetic 2-D classification data of "From Complexity to Clarity" (001 Sec. 3.7, 4.1.2, 4.2):
the two-arm spiral, XOR and the diamond.  Labels are +-1 (squared loss on +-1 targets, the
decision is the sign of the fitted function)."""
from __future__ import annotations

import numpy as np

from gaconvex._validation import GaconvexError

__all__ = ["two_spirals", "xor_points", "diamond_points"]


def two_spirals(n: int, *, turns: float = 1.0, noise: float = 0.0, seed=0):
    """n points on two interleaved spiral arms (n // 2 and n - n // 2): arm c in {0, 1} has
    x(t) = t (cos(2 pi turns t + c pi), sin(2 pi turns t + c pi)) at t evenly spaced in
    [0.2, 1], plus N(0, noise^2) per coordinate; label +1 for arm 0, -1 for arm 1.
    Returns (X (n, 2), y (n,))."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise GaconvexError(f"n must be an integer >= 2 (one point per arm at least), got {n!r}.")
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c, count in enumerate((n // 2, n - n // 2)):
        t = np.linspace(0.2, 1.0, count)
        angle = 2 * np.pi * turns * t + c * np.pi
        X.append(t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]))
        y.append(np.full(count, 1.0 if c == 0 else -1.0))
    X = np.vstack(X)
    return X + noise * rng.standard_normal(X.shape), np.concatenate(y)


def xor_points():
    """XOR (001 Sec. 4.2, Fig. 11): the corners (+-1, +-1) with labels y = x_1 x_2."""
    X = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    return X, X[:, 0] * X[:, 1]


def diamond_points():
    """The diamond of 001 Sec. 3.7 (Fig. 7): x_1 = (1, 0), x_2 = (0, 1), x_3 = (-1, 0),
    x_4 = (0, -1)."""
    return np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
