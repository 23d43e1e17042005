"""Convex losses L_y(u) = sum_i ell(r_i), r = u - y, of the general-loss Lasso (002, Lemma D.16, (D.24)).

Each datafit is a small object (skglm-style, STYLE.md Sec. 1) with the pieces the solver layer
needs: its value, its convex conjugate as it enters the dual (002 Sec. 2.8, Lemma D.8)

    max_lambda  -L_y^*(lambda) = -lambda^T y - sum_i ell^*(lambda_i)
    s.t.        1^T lambda = 0 (free intercept),  U^T lambda = 0,  ||A^T lambda||_inf <= beta_t,

the largest step ``s <= 1`` keeping ``s * lambda`` in the domain of ell^*, and the cvxpy
expression used by the reference solver.
"""
from __future__ import annotations

import numpy as np

from .._validation import GaconvexError

__all__ = ["LOSSES", "SquaredLoss", "QuantileLoss", "L1Loss", "make_datafit"]

LOSSES = ("squared", "quantile", "l1")


class SquaredLoss:
    """ell(r) = r^2 / 2, so L_y(u) = 1/2 ||u - y||^2; ell^*(l) = l^2 / 2; at the optimum lambda* = r."""

    name = "squared"

    def value(self, r: np.ndarray) -> float:
        return 0.5 * float(r @ r)

    def dual_value(self, lam: np.ndarray, y: np.ndarray) -> float:
        """-L_y^*(lambda) = -1/2 ||lambda||^2 - lambda^T y."""
        return -0.5 * float(lam @ lam) - float(lam @ y)

    def dual_domain_scale(self, lam: np.ndarray) -> float:
        """ell^* is finite everywhere: no rescaling needed."""
        return 1.0

    def cvxpy_value(self, r):
        import cvxpy as cp

        return 0.5 * cp.sum_squares(r)

    def __repr__(self) -> str:
        return "SquaredLoss()"


class QuantileLoss:
    """Pinball loss rho_tau(r) = 0.5 |r| + (tau - 0.5) r, tau in (0, 1).

    Its subdifferential is {tau} for r > 0, {tau - 1} for r < 0 and [tau - 1, tau] at 0, so
    ell^* is the indicator of the box [tau - 1, tau] and -L_y^*(lambda) = -lambda^T y there.
    """

    name = "quantile"

    def __init__(self, tau: float = 0.5):
        self.tau = float(tau)
        self.low, self.high = self.tau - 1.0, self.tau

    def value(self, r: np.ndarray) -> float:
        return float(np.sum(0.5 * np.abs(r) + (self.tau - 0.5) * r))

    def dual_value(self, lam: np.ndarray, y: np.ndarray) -> float:
        """-L_y^*(lambda) = -lambda^T y, valid for lambda in the box [low, high]^N."""
        return -float(lam @ y)

    def dual_domain_scale(self, lam: np.ndarray) -> float:
        """Largest s in [0, 1] with s * lambda in the box (the box contains 0 in its interior)."""
        s = 1.0
        if np.any(lam > self.high):
            s = min(s, self.high / float(np.max(lam)))
        if np.any(lam < self.low):
            s = min(s, self.low / float(np.min(lam)))
        return s

    def cvxpy_value(self, r):
        import cvxpy as cp

        return cp.sum(0.5 * cp.abs(r) + (self.tau - 0.5) * r)

    def __repr__(self) -> str:
        return f"QuantileLoss(tau={self.tau:g})"


class L1Loss(QuantileLoss):
    """Least absolute deviations ell(r) = |r| = 2 rho_{1/2}(r); ell^* = indicator of [-1, 1]."""

    name = "l1"

    def __init__(self):
        self.tau = 0.5
        self.low, self.high = -1.0, 1.0

    def value(self, r: np.ndarray) -> float:
        return float(np.sum(np.abs(r)))

    def cvxpy_value(self, r):
        import cvxpy as cp

        return cp.norm1(r)

    def __repr__(self) -> str:
        return "L1Loss()"


def make_datafit(loss: str, tau: float = 0.5):
    """Map ``loss`` in {"squared", "quantile", "l1"} (and ``tau`` for "quantile") to its datafit."""
    if loss == "squared":
        return SquaredLoss()
    if loss == "l1":
        return L1Loss()
    if loss == "quantile":
        tau = float(tau)
        if not 0.0 < tau < 1.0:
            raise GaconvexError(
                f"tau must lie strictly between 0 and 1 for the quantile (pinball) loss, got {tau}; "
                "use tau=0.5 for the median (half the l1 loss)."
            )
        return QuantileLoss(tau)
    raise GaconvexError(
        f"loss must be one of {list(LOSSES)}, got {loss!r}; the squared loss is the paper's default "
        "(002, eq. (1.2)), quantile and l1 are the general convex losses of Lemma D.16."
    )
