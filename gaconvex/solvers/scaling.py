"""Exact rescaling of a Lasso to unit size before it is solved.

Data of scale 1e-300 or 1e300 break interior-point tolerances and float64 objectives long
before they break the mathematics.  With a free intercept the targets are first centred by
c = their weighted mean (xi absorbs it; otherwise c = 0): a float64 intercept near mean(y)
carries an error eps |mean y| into every residual, which at a small beta swamps the KKT test.
With s_A = max_j ||A_j||_2, s_y = max_i |y_i - c|, s_U the column scales of U, and a loss of
degree p (L_y(t u) for targets t y equals t^p L_y(u): 2 for the squared loss, 1 for pinball and
l1), the problem

    A' = A / s_A,  y' = (y - c) / s_y,  U' = U / s_U,  beta' = beta_t s_y^(1 - p) / s_A

has the solutions z = z' s_y / s_A, xi = xi' s_y + c, omega = omega' s_y / s_U, the fit
y_hat = s_y y_hat' + c, the dual lambda = s_y^(p - 1) lambda' and the objective s_y^p times the
rescaled one.  For beta_t = 0 (min-norm interpolation) ||z||_1 = ||z'||_1 s_y / s_A and
mu = mu' / s_A.  Every quantity of the rescaled problem is of order one, and relative
certificates (gap, KKT) are unchanged by the map.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .operator import ScaledOperator
from .problem import LassoProblem
from .solution import LassoSolution

__all__ = ["ProblemScale", "rescale"]


@dataclass(frozen=True)
class ProblemScale:
    """The centre c, the factors s_A, s_y, s_U (per column) and the loss degree p of
    :func:`rescale`."""

    s_A: float
    s_y: float
    s_U: np.ndarray
    degree: int
    min_norm: bool
    centre: float = 0.0

    @property
    def objective(self) -> float:
        """Original objective / rescaled objective."""
        return self.s_y / self.s_A if self.min_norm else self.s_y ** self.degree

    @property
    def dual(self) -> float:
        """Original dual vector / rescaled dual vector."""
        return 1.0 / self.s_A if self.min_norm else self.s_y ** (self.degree - 1)

    def solution(self, sol: LassoSolution) -> LassoSolution:
        """The rescaled problem's solution (and certificate) mapped back to the original."""
        cert = sol.certificate
        return replace(
            sol,
            z=sol.z * (self.s_y / self.s_A),
            xi=sol.xi * self.s_y + self.centre,
            omega=sol.omega * (self.s_y / self.s_U),
            objective=sol.objective * self.objective,
            fitted=sol.fitted * self.s_y + self.centre,
            dual=np.asarray(sol.dual) * self.dual,
            certificate=None if cert is None else cert.scaled(self.objective, self.dual),
        )


def _scale(values) -> float:
    """max |values|, kept in the normal float64 range (a subnormal scale's reciprocal would
    overflow; the map stays exact for any positive factor)."""
    s = float(np.max(np.abs(values), initial=0.0))
    return max(s, np.finfo(float).tiny) if np.isfinite(s) and s > 0 else 1.0


def rescale(problem: LassoProblem) -> tuple[LassoProblem, ProblemScale]:
    """The unit-size problem of the module docstring and the factors that undo it."""
    s_A = _scale(problem.A.column_norms())
    labels = problem.datafit.classification  # labels -1 / +1 are not rescaled (not homogeneous)
    centre = (float(np.average(problem.y, weights=problem.weights))
              if problem.intercept and not labels else 0.0)
    s_y = 1.0 if labels else _scale(problem.y - centre)
    s_U = np.array([_scale(u) for u in problem.U.T])
    degree = problem.datafit.degree
    min_norm = problem.beta_t == 0
    beta = 0.0 if min_norm else problem.beta_t * s_y ** (1 - degree) / s_A
    beta = min(beta, np.finfo(float).max)  # overflow means far above beta_max: z* = 0 either way
    scaled = LassoProblem(ScaledOperator(problem.A, 1.0 / s_A), (problem.y - centre) / s_y, beta,
                          intercept=problem.intercept,
                          unpenalized=problem.U / s_U if problem.n_unpenalized else None,
                          loss=problem.datafit, sample_weight=problem.sample_weight)
    return scaled, ProblemScale(s_A, s_y, s_U, degree, min_norm, centre)
