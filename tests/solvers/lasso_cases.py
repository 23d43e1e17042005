"""Test instances for the solver tests: random Lasso data and the 2-layer ReLU ramp
dictionary of 002 (Lemma D.28), built here directly with numpy (independent of
gaconvex.dictionaries). Plain functions, imported by the test modules."""
from __future__ import annotations

import numpy as np


def relu_ramps(x: np.ndarray) -> np.ndarray:
    """[A+, A-] with A+_{i,n} = (x_i - x_n)_+ and A-_{i,n} = (x_n - x_i)_+ (2-layer ReLU, 002 Sec. 2.6)."""
    diff = x[:, None] - x[None, :]
    return np.hstack([np.maximum(diff, 0.0), np.maximum(-diff, 0.0)])


def ramp_data():
    """(x, y, A): N = 8 sorted distinct points (descending, 002 Sec. 0.2), targets, ramps."""
    rng = np.random.default_rng(7)
    x = np.sort(rng.uniform(-2, 2, 8))[::-1]
    y = rng.standard_normal(8)
    return x, y, relu_ramps(x)


def random_lasso(n: int = 25, p: int = 60, seed: int = 0):
    """A random dense instance (A, y) with N = n rows and P = p columns."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, p)), rng.standard_normal(n) + 0.7
