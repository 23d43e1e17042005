"""Certificates of a convex fit that cannot be misread (002 Lemma D.8, D.15; claim C8).

Two different statements, each with its own evidence:

1. **The Lasso is solved**: duality gap and KKT residual of the solution
   (:class:`gaconvex.solvers.LassoCertificate`).  This says nothing about networks.
2. **The network is a global training optimum**: additionally, no unit of the architecture
   with +-1 weights and *continuous* biases correlates with the dual vector lambda by more
   than beta~ (:func:`gaconvex.networks.completeness.max_unit_correlation`).  By weak duality
   the reconstructed network of width m >= m* is then globally optimal for the training
   problem (1.1), whatever library (sampled or not) produced it.  The search exists for
   L = 2, deep narrow L = 3 and the symmetrized network (002 Lemma D.15).

:class:`FitCertificate` keeps the two apart: ``claim`` says which statement it makes,
``ok()`` is true only if that statement is proven, and the summary says what was not checked
(a sampled library, an architecture without a completeness search).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaconvex.networks.completeness import UnitCorrelation
from gaconvex.solvers import LassoCertificate

__all__ = ["FitCertificate", "certify"]

LASSO_CLAIM = "the Lasso over this library is solved"
GLOBAL_CLAIM = "the reconstructed network is a global optimum of the training problem"


@dataclass(frozen=True)
class FitCertificate:
    """Lasso certificate plus, where it exists, the library-completeness search.

    lasso : LassoCertificate; unit : the best unit found with continuous biases, or None when
    no search was run (``unchecked`` says why); beta_tilde : the Lasso regularization;
    sampled : whether the library was a uniform sample (002 Sec. 4); sublibrary : whether the
    library is one the paper does not prove complete (deep abs L >= 4 on R^d, 000 Thm 4.4).
    """

    lasso: LassoCertificate
    unit: UnitCorrelation | None
    beta_tilde: float
    sampled: bool = False
    unchecked: str = ""
    sublibrary: bool = False

    @property
    def ratio(self) -> float | None:
        """max unit correlation / beta~ (<= 1: the library is complete for this dual vector)."""
        if self.unit is None:
            return None
        return float(self.unit.value) / self.beta_tilde if self.beta_tilde > 0 else np.inf

    @property
    def claim(self) -> str:
        return GLOBAL_CLAIM if self.unit is not None else LASSO_CLAIM

    def lasso_solved(self, tol: float = 1e-6) -> bool:
        return self.lasso.ok(tol)

    def globally_optimal(self, tol: float = 1e-6) -> bool | None:
        """True / False when the completeness search ran, None when nothing can be said."""
        if self.unit is None:
            return None
        return self.lasso.ok(tol) and self.ratio <= 1 + tol

    def ok(self, tol: float = 1e-6) -> bool:
        """Whether ``claim`` is proven (to ``tol``)."""
        optimal = self.globally_optimal(tol)
        return self.lasso.ok(tol) if optimal is None else optimal

    def verdict(self, tol: float = 1e-6) -> str:
        if not self.lasso.ok(tol):
            return "NOT certified: the Lasso is not solved accurately"
        if self.unit is None:
            scope = ("the sampled library" if self.sampled else "a sub-library (not proven "
                     "complete)" if self.sublibrary else "this library")
            return (f"the Lasso over {scope} is solved; global optimality of the network is not "
                    f"claimed ({self.unchecked})")
        if self.ratio > 1 + tol:
            return ("the Lasso is solved, but a unit outside the library correlates more than "
                    f"beta~ (ratio {self.ratio:.6f}): NOT a global training optimum")
        sampled = " (although the library was sampled)" if self.sampled else ""
        return f"the library is complete for this dual vector{sampled}: {GLOBAL_CLAIM}"

    def __repr__(self) -> str:
        ratio = "not checked" if self.ratio is None else f"{self.ratio:.8f}"
        return (f"FitCertificate(ok={self.ok()}, claim={self.claim!r}, max unit correlation / "
                f"beta~ = {ratio}, {self.lasso!r})")

    def summary(self) -> str:
        unit = (f"  best unit (continuous biases): {self.unit!r}" if self.unit is not None
                else f"  completeness search: not run ({self.unchecked})")
        return "\n".join([repr(self), self.lasso.summary("  "), unit, f"  => {self.verdict()}"])


#: Largest completeness search (unit values, :func:`~gaconvex.networks.completeness.search_size`)
#: that ``certify`` runs by default: about 5 s and 1.6 GB of candidates.  Abs L = 3 has
#: n (n - 1) / 2 midpoint biases, so at n = 2,000 the search would take 6 * 10^10 values.
SEARCH_LIMIT = 2 * 10**8


def certify(dictionary, problem, solution, *, grid: int | None = None,
            search_limit: float = SEARCH_LIMIT) -> FitCertificate:
    """Certify ``solution`` of ``problem`` (built on ``dictionary``) as a Lasso optimum and,
    where the completeness search exists, as a global training optimum.

    The dual point is the solution's lambda (lambda* = W (y_hat - y) for the squared loss, 002
    Sec. 2.8) made exactly dual feasible for the library (the point whose value the Lasso
    certificate reports); the search asks whether it is feasible for the training problem's
    dual too.  Rows of equal inputs add their lambda (their units agree there).  ``grid`` sets
    the first-layer bias grid of the unit search (exact for L = 2); a search of more than
    ``search_limit`` unit values is not run (the certificate says so and how to raise it).
    """
    from gaconvex.networks.completeness import (completeness_searchable, max_unit_correlation,
                                                search_size)
    from gaconvex.solvers.certificates import dual_feasible_point

    lasso = solution.certificate
    if lasso is None:
        from gaconvex.solvers import certificate

        lasso = certificate(problem, solution)
    arch = dictionary.architecture
    beta_tilde = float(problem.beta_t)
    sub = not all(getattr(block.family, "complete", True) for block in dictionary.blocks)
    if beta_tilde == 0:
        return FitCertificate(lasso, None, beta_tilde, dictionary.sampled,
                              "beta = 0: the min-norm interpolation limit has no training problem",
                              sub)
    if not completeness_searchable(arch):
        return FitCertificate(lasso, None, beta_tilde, dictionary.sampled,
                              f"no completeness search exists for {arch} (002 Lemma D.15 covers "
                              "L = 2, deep narrow L = 3 and symmetrized networks)", sub)
    points, inverse = np.unique(dictionary.x, return_inverse=True)
    size = search_size(arch, points.size, grid)
    if size > search_limit:
        return FitCertificate(lasso, None, beta_tilde, dictionary.sampled,
                              f"the completeness search over {points.size} points would evaluate "
                              f"{size:.2g} unit values, over search_limit = {search_limit:.2g} "
                              "(certify(..., search_limit=...) raises it, grid=... shrinks it)",
                              sub)
    lam, _ = dual_feasible_point(problem, _dual_vector(problem, solution))
    lam_points = np.bincount(inverse.reshape(-1), weights=lam, minlength=points.size)
    span = float(np.ptp(points)) or 1.0
    unit = max_unit_correlation(arch, points, lam_points, grid=grid,
                                sum_floor=1e-9 * beta_tilde / span)
    return FitCertificate(lasso, unit, beta_tilde, dictionary.sampled)


def _dual_vector(problem, solution) -> np.ndarray:
    if problem.datafit.smooth:
        fitted = np.asarray(solution.fitted, dtype=float)
        return problem.datafit.gradient(fitted - problem.y)
    return np.asarray(solution.dual, dtype=float)
