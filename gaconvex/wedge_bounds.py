"""The p = 2 sandwich of "From Complexity to Clarity" Thm 5 (eqs. (18)-(19)) as a report.

For 2-layer ReLU networks with weight decay (p = 2) the wedge Lasso (rows G / H of spec 001
Sec. 3.2) is realized by a network, so its value p^_beta is an upper bound of the training
optimum p*; if the data are eps-dispersed, eps >= D(X) < 1 (bias-free; biased: eps >=
max_j D(X - 1 x_j^T), locally dispersed), then

    p^_{(1 - eps) beta} <= p* <= p^_beta <= p* / (1 - eps),

so both p^_{(1 - eps) beta} and (1 - eps) p^_beta are lower bounds of p*.  :func:`p2_bounds`
computes D by :func:`gaconvex.dictionaries.chamber_diameter` (or takes a known eps >= D, e.g.
D(X[S]) of a row subset S: every chamber of X lies inside a chamber of X[S], so D(X) <= D(X[S]))
and both Lassos by :func:`gaconvex.convex_fit`.
"""
from __future__ import annotations

from dataclasses import dataclass

from ._validation import GaconvexError

__all__ = ["P2Bounds", "p2_bounds"]


@dataclass(frozen=True)
class P2Bounds:
    """Thm 5's bounds on the p = 2 training optimum p* (lambda / 2 convention, beta~ = beta).

    epsilon : the eps used: the (local) maximum chamber diameter, or the caller's eps >= it;
    epsilon_given : whether eps was the caller's (then it is only known to be >= D);
    upper : p^_beta;
    shrunk : p^_{(1 - eps) beta} (None when eps >= 1); lower : the larger of the two lower
    bounds (None when eps >= 1: Thm 5 then says nothing below p^_beta).
    """

    beta: float
    bias: bool
    epsilon: float
    upper: float
    shrunk: float | None
    epsilon_given: bool = False

    @property
    def lower(self) -> float | None:
        if self.shrunk is None:
            return None
        return max(self.shrunk, (1 - self.epsilon) * self.upper)

    @property
    def relative_gap(self) -> float | None:
        """(upper - lower) / upper: how far the Lasso can be from the optimum at most."""
        return None if self.lower is None else (self.upper - self.lower) / self.upper

    def __str__(self) -> str:
        kind = "max_j D(X - 1 x_j^T)" if self.bias else "D(X)"
        if self.epsilon_given:
            kind = f"the given value >= {kind}"
        if self.lower is None:
            return (f"p* <= {self.upper:.10g} (wedge Lasso, p = 2); eps = {kind} = "
                    f"{self.epsilon:.6g} >= 1, so 001 Thm 5 gives no lower bound")
        return (f"{self.lower:.10g} <= p* <= {self.upper:.10g} (001 Thm 5, eps = {kind} = "
                f"{self.epsilon:.6g}; p^_((1-eps) beta) = {self.shrunk:.10g}, "
                f"(1 - eps) p^_beta = {(1 - self.epsilon) * self.upper:.10g}; relative gap "
                f"{self.relative_gap:.3g})")


def p2_bounds(X, y, beta, *, bias: bool = False, epsilon: float | None = None,
              **fit_options) -> P2Bounds:
    """Bounds of 001 Thm 5 (18)-(19) on the p = 2 2-layer ReLU optimum on (X, y) at ``beta``
    (penalty (beta / 2) sum ||W1_j||_2^2 + W2_j^2); ``fit_options`` go to convex_fit.

    ``epsilon``: a known eps in (0, 1) with eps >= D(X) (biased: >= max_j D(X - 1 x_j^T)),
    used instead of computing D (quadratic in the 2 C(n, d - 1) candidate rays); e.g.
    ``chamber_diameter(X[:m])``, since D(X) <= D(X[S]) for any row subset S.  It is not
    checked against D(X): a value below D(X) gives no valid lower bound."""
    from .data import as_points
    from .dictionaries import chamber_diameter, local_chamber_diameter
    from .fit import convex_fit
    from .symbolic import architecture

    X = as_points(X, "X")
    if not beta > 0:
        raise GaconvexError(f"beta must be > 0 for the Thm 5 bounds, got {beta!r}.")
    arch = architecture("relu", 2, dim=X.shape[1], norm=2, bias=bias)
    given = epsilon is not None
    if given:
        epsilon = _given_epsilon(epsilon)
    else:
        epsilon = local_chamber_diameter(X) if bias else chamber_diameter(X)
    upper = convex_fit(X, y, arch, beta, **fit_options).objective
    shrunk = (convex_fit(X, y, arch, (1 - epsilon) * beta, **fit_options).objective
              if epsilon < 1 else None)
    return P2Bounds(float(beta), bias, float(epsilon), float(upper), shrunk, given)


def _given_epsilon(epsilon) -> float:
    """A caller's eps of Thm 5 as a float in (0, 1), else a GaconvexError naming the fix."""
    try:
        value = float(epsilon)
    except (TypeError, ValueError):
        raise GaconvexError(f"epsilon must be a number in (0, 1) (an upper bound on the chamber "
                            f"diameter D(X)), got {epsilon!r}.") from None
    if not 0 < value < 1:
        raise GaconvexError(
            f"epsilon must lie in (0, 1) for the Thm 5 lower bounds, got {epsilon!r}: pass "
            f"eps >= D(X) (e.g. chamber_diameter(X[:m]) of a row subset), or omit epsilon to "
            f"compute D(X); if D(X) >= 1 Thm 5 gives no lower bound.")
    return value
