"""The result of a Lasso (or min-norm) solve, with the quantities reconstruction needs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .certificates import LassoCertificate

__all__ = ["LassoSolution", "support"]


def support(z, rtol: float = 1e-6) -> np.ndarray:
    """Indices j with |z_j| > rtol * max|z|: the active units of a Lasso solution (the one
    support rule of gaconvex; rtol = 0 keeps every nonzero)."""
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    scale = float(np.max(np.abs(z), initial=0.0))
    if scale == 0.0:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(np.abs(z) > rtol * scale)


@dataclass
class LassoSolution:
    """A primal-dual point of the Lasso: coefficients, fit, dual vector and solver report.

    Attributes
    ----------
    z : (P,) dictionary coefficients; the network has one unit per nonzero (002, Thm 3.11).
    xi : the free intercept xi* (0.0 when the problem has none).
    omega : (k,) coefficients of the unpenalized columns U (empty when there are none).
    objective : the primal objective at (z, xi, omega); ||z||_1 for ``min_norm``.
    fitted : (N,) the fit y_hat = A z + xi 1 + U omega (unique over all solutions, 002 Lemma E.2).
    dual : (N,) the dual vector. Squared loss: lambda = W (y_hat - y) (002 Sec. 2.8); other
        losses: a subgradient of the loss at the fit; ``min_norm``: the limit of lambda/beta_t.
    status, solver, solve_time : what the back end reported, its name, wall time in seconds.
    support_rtol : |z_j| > support_rtol * max|z| defines the support.
    certificate : the ``LassoCertificate`` attached by ``solve`` (None otherwise).
    info : solver statistics (iterations, working-set size, ...).
    """

    z: np.ndarray
    xi: float
    omega: np.ndarray
    objective: float
    fitted: np.ndarray
    dual: np.ndarray
    status: str
    solver: str
    solve_time: float
    support_rtol: float = 1e-6
    certificate: LassoCertificate | None = field(default=None, repr=False)
    info: dict = field(default_factory=dict, repr=False)

    @property
    def support(self) -> np.ndarray:
        """Indices j with |z_j| > support_rtol * max|z| (the active units, :func:`support`)."""
        return support(self.z, self.support_rtol)

    @property
    def m_star(self) -> int:
        """m* = ||z*||_0 on the support: the width a network needs to realize this solution."""
        return int(self.support.size)

    def __repr__(self) -> str:
        return (
            f"LassoSolution(solver={self.solver!r}, status={self.status!r}, "
            f"objective={self.objective:.10g}, m*={self.m_star} of P={self.z.size}, "
            f"xi={self.xi:.6g}, time={self.solve_time:.3g}s)"
        )

    def summary(self, max_terms: int = 10) -> str:
        """Multi-line report: objective, intercept, active columns (largest first), certificate."""
        lines = [
            f"LassoSolution from {self.solver} ({self.status}, {self.solve_time:.3g} s)",
            f"  objective      {self.objective:.12g}",
            f"  intercept xi   {self.xi:.10g}",
        ]
        if self.omega.size:
            lines.append(f"  unpenalized w  {np.array2string(self.omega, precision=6)}")
        lines.append(f"  active m*      {self.m_star} of {self.z.size} columns, ||z||_1 = {np.abs(self.z).sum():.10g}")
        order = self.support[np.argsort(-np.abs(self.z[self.support]))]
        for j in order[:max_terms]:
            lines.append(f"    z[{j}] = {self.z[j]: .8g}")
        if order.size > max_terms:
            lines.append(f"    ... {order.size - max_terms} more")
        if self.certificate is not None:
            lines.append(self.certificate.summary(indent="  "))
        return "\n".join(lines)
