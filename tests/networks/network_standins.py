"""Stand-ins for the network tests, independent of gaconvex.dictionaries and gaconvex.solvers.

A tiny dictionary enumerates every column of every symbolic feature family (all anchor tuples
and sign choices, 002 Sec. 2.4), evaluating the feature by ``sympy.lambdify(family.expr)``; a
Lasso (002 eq. 1.2) is solved with a few lines of cvxpy + Clarabel at tight tolerances.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import cvxpy as cp
import numpy as np
import sympy as sp

from gaconvex.symbolic import architecture, derive


@dataclass(frozen=True)
class Column:
    family: object
    anchor_values: tuple
    signs: tuple


@lru_cache(maxsize=None)
def _kernel(family):
    return sp.lambdify((family.x, *family.anchors, *family.signs), family.expr, "numpy")


@dataclass
class StandInDictionary:
    """All raw columns of ``derive(architecture)`` on x (no deduplication)."""

    architecture: object
    x: np.ndarray
    entries: list

    @classmethod
    def build(cls, arch, x):
        x = np.asarray(x, dtype=float)
        entries = [Column(f, tuple(x[list(idx)]), signs)
                   for f in derive(arch)
                   for signs in f.sign_choices
                   for idx in product(range(x.size), repeat=f.n_anchors)]
        return cls(arch, x, entries)

    def column_info(self, i):
        return self.entries[i]

    def evaluate(self, x_new):
        x_new = np.asarray(x_new, dtype=float)
        return np.column_stack([
            np.broadcast_to(_kernel(c.family)(x_new, *c.anchor_values, *c.signs), x_new.shape)
            for c in self.entries]).astype(float)

    @property
    def matrix(self):
        return self.evaluate(self.x)

    @property
    def n_columns(self):
        return len(self.entries)

    def columns(self, idx):
        return self.matrix[:, idx]

    @property
    def unpenalized(self):
        return self.x[:, None] if self.architecture.skip else np.zeros((self.x.size, 0))


@dataclass
class Solution:
    z: np.ndarray
    xi: float
    omega: np.ndarray
    objective: float


def lasso_objective(A, U, y, z, xi, omega, beta_tilde):
    """1/2 ||A z + xi 1 + U omega - y||^2 + beta~ ||z||_1 (002 eq. 1.2 with the skip column)."""
    r = A @ z + xi + U @ omega - y
    return 0.5 * r @ r + beta_tilde * np.abs(z).sum()


def solve_lasso(dictionary, y, beta):
    """Lasso (1.2) for training regularization beta: beta~ = architecture.beta_tilde(beta),
    free xi unless the activation is sign-determined (002 Thm 3.11)."""
    arch = dictionary.architecture
    A, U = dictionary.matrix, dictionary.unpenalized
    bt = arch.beta_tilde(beta)
    z = cp.Variable(A.shape[1])
    xi = cp.Variable() if arch.has_free_intercept else cp.Constant(0.0)
    omega = cp.Variable(U.shape[1]) if U.shape[1] else None
    fit = A @ z + xi * np.ones(len(y)) + (U @ omega if omega is not None else 0)
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(fit - y) + bt * cp.norm1(z)))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12,
                  max_iter=500)
    zv = np.asarray(z.value)
    zv[np.abs(zv) < 1e-10 * np.abs(zv).max()] = 0.0
    om = np.zeros(0) if omega is None else np.asarray(omega.value)
    xv = float(xi.value)
    return Solution(zv, xv, om, lasso_objective(A, U, y, zv, xv, om, bt))


def instance(activation, depth, family="deep_narrow", *, n=5, seed=0, skip=False):
    """(architecture, descending distinct x ~ U(-2, 2), y ~ N(0, 1)) as in spec Sec. 7."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, n))[::-1]
    y = rng.standard_normal(n)
    return architecture(activation, depth, family, skip=skip), x, y
