"""Certificate that a Lasso solution is a *training* optimum (002 Lemma D.8, D.15; claim C8).

Two checks, each a number: the Lasso is solved (duality gap, KKT residual, 1^T lambda = 0;
:func:`gaconvex.solvers.certificate`), and the library is complete for this dual vector: no
unit of the architecture, with +-1 weights and *continuous* biases, correlates with
lambda* = y_hat - y by more than beta~ (:func:`gaconvex.networks.completeness.max_unit_correlation`).
Together they prove, by weak duality, that the reconstructed network of width m >= m* is
globally optimal for the training problem (1.1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TrainingCertificate", "certify"]


@dataclass(frozen=True)
class TrainingCertificate:
    """Lasso certificate plus the library-completeness search.

    lasso : LassoCertificate; unit : UnitCorrelation (the best unit found, continuous biases);
    beta_tilde : the Lasso regularization; ratio : unit.value / beta_tilde (<= 1: complete).
    """

    lasso: object
    unit: object
    beta_tilde: float

    @property
    def ratio(self) -> float:
        return float(self.unit.value) / self.beta_tilde

    def ok(self, tol: float = 1e-6) -> bool:
        """Lasso solved to ``tol`` and no unit beats beta~ by more than a factor 1 + tol."""
        return self.lasso.ok(tol) and self.ratio <= 1 + tol

    def __repr__(self) -> str:
        return (f"TrainingCertificate(ok={self.ok()}, max unit correlation / beta~ = "
                f"{self.ratio:.8f}, {self.lasso!r})")

    def summary(self) -> str:
        verdict = ("the library is complete for this dual vector: the reconstructed network is a "
                   "global training optimum" if self.ok() else
                   "NOT certified: a unit outside the library correlates more than beta~"
                   if self.ratio > 1 + 1e-6 else "NOT certified: the Lasso is not solved accurately")
        return "\n".join([repr(self), self.lasso.summary("  "),
                          f"  best unit (continuous biases): {self.unit!r}", f"  => {verdict}"])


def certify(dictionary, solution, y, beta, *, grid: int | None = None) -> TrainingCertificate:
    """Certify ``solution`` of ``dictionary.lasso_problem(y, beta)`` as a training optimum.

    The dual vector is lambda* = y_hat - y (002 Sec. 2.8) with y_hat = A z* + xi* 1 + U omega*;
    ``grid`` sets the first-layer bias grid of the unit search (exact for L = 2).
    """
    from gaconvex.networks.completeness import max_unit_correlation
    from gaconvex.solvers import certificate

    problem = dictionary.lasso_problem(y, beta)
    lam = np.asarray(solution.fitted, dtype=float) - problem.y
    unit = max_unit_correlation(dictionary.architecture, dictionary.x, lam, grid=grid)
    return TrainingCertificate(certificate(problem, solution), unit, float(problem.beta_t))
