"""Closed forms of the beta -> 0 limit for 2-layer networks (002 App. C, App. D.5), corrected.

Everything assumes 1-D data sorted in DESCENDING order, x_1 > x_2 > ... > x_N (002 Sec. 1.2;
sort first and keep the permutation).  The 2-layer dictionaries are (002 Cor. 3.15)
(A+)_{i,n} = sigma(x_i - x_n), (A-)_{i,n} = sigma(x_n - x_i); A = A+ for abs and sign,
A = [A+, A-] for ReLU and threshold.  The min-norm problem (C.1) is
min ||z||_1 s.t. A z + xi 1 = y, with xi = 0 for sign and threshold.

Notation of 002 App. D.5: Delta is (N-1)x(N-1) with 1 on the diagonal and -1 above it;
F = [Delta | -e_{N-1}] is the forward difference (F v)_i = v_i - v_{i+1};
D = diag(1/(x_1 - x_2), ..., 1/(x_{N-1} - x_N), 1/(x_1 - x_N)).
Corrections follow seed-002-spec Sec. 4 (all verified numerically there and in the tests).
"""
from __future__ import annotations

import numpy as np

from gaconvex._validation import GaconvexError, check_points_1d, check_targets

__all__ = ["slopes", "min_norm_lower_bound", "relu_min_norm", "relu_min_norm_printed",
           "abs_solution_set", "sign_min_norm", "threshold_min_norm", "forward_difference",
           "interval_scaling", "sign_inverse", "abs_inverse", "threshold_inverse", "relu_inverse"]


def _descending(x) -> np.ndarray:
    x = check_points_1d(x)
    if np.any(np.diff(x) >= 0):
        raise GaconvexError("the closed forms of 002 App. C/D assume descending x_1 > x_2 > ... "
                            "> x_N; sort first: order = np.argsort(-x); x, y = x[order], y[order].")
    return x


def _data(x, y):
    x = _descending(x)
    return x, check_targets(y, x.size)


def slopes(x, y) -> np.ndarray:
    """mu_n = (y_n - y_{n+1}) / (x_n - x_{n+1}) for n < N and mu_N = 0 (002 App. C.1)."""
    x, y = _data(x, y)
    return np.append(np.diff(y) / np.diff(x), 0.0)


def min_norm_lower_bound(x, y) -> float:
    """Lemma C.5: for deep narrow ReLU or abs nets of any depth, min ||z||_1 >= max_{n<N} |mu_n|,
    since every feature has slopes in {0, +-1}."""
    return float(np.max(np.abs(slopes(x, y)[:-1])))


def _interior_kinks(x, y) -> tuple[np.ndarray, float]:
    mu = slopes(x, y)[:-1]
    return -np.diff(mu), float(mu[0])  # c_n = mu_n - mu_{n+1}, n = 1..N-2


def relu_min_norm(x, y) -> float:
    """Exact min-norm value of (C.1) for 2-layer ReLU, A = [A+, A-] with free xi.

    CORRECTED Lemma C.6 (seed-002-spec Sec. 4.2): with the interior kinks c_n = mu_n - mu_{n+1}
    (n = 1..N-2), S- = sum of the negative c_n and S+ = sum of the positive ones,

        min ||z||_1 = sum_n |c_n| + dist(mu_1, [S-, S+]).

    The printed Lemma C.6 value sum_{n<N} |mu_n - mu_{n+1}| (mu_N = 0) is only an upper bound
    (:func:`relu_min_norm_printed`).  For N = 2 the value is |mu_1|.
    """
    c, mu1 = _interior_kinks(x, y)
    lo, hi = c[c < 0].sum(), c[c > 0].sum()
    return float(np.abs(c).sum() + max(lo - mu1, 0.0, mu1 - hi))


def relu_min_norm_printed(x, y):
    """Lemma C.6 AS PRINTED: value sum_{n=1}^{N-1} |mu_n - mu_{n+1}| (mu_N = 0), attained by
    (z+)_{n+1} = mu_n - mu_{n+1} (n = 1..N-1), (z+)_1 = 0, z- = 0, xi = y_N.

    ERRATUM (seed-002-spec Sec. 0.5, 4.2): this z is feasible but generally not optimal; the
    value is an upper bound on :func:`relu_min_norm`.  Returns ``(value, z_plus, z_minus, xi)``.
    """
    x, y = _data(x, y)
    mu = slopes(x, y)
    z_plus = np.concatenate([[0.0], mu[:-1] - mu[1:]])
    return float(np.abs(z_plus).sum()), z_plus, np.zeros_like(z_plus), float(y[-1])


def abs_solution_set(z):
    """Prop. C.2 (abs, L = 2): if z* solves (C.1) then z*_1 z*_N <= 0 and all solutions are
    z* + t sign(z*_1) (e_1 + e_N) for -|z*_1| <= t <= |z*_N|, because
    A (e_1 + e_N) = (x_1 - x_N) 1 is absorbed by xi.

    Returns ``(direction, t_min, t_max)`` with direction = sign(z*_1) (e_1 + e_N).
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 1 or z.size < 2:
        raise GaconvexError(f"z must be a vector of N >= 2 coefficients, got shape {z.shape}.")
    direction = np.zeros_like(z)
    direction[[0, -1]] = np.sign(z[0]) if z[0] != 0 else (-np.sign(z[-1]) or 1.0)
    return direction, -abs(z[0]), abs(z[-1])


def sign_min_norm(x, y) -> np.ndarray:
    """Prop. C.3 (sign, L = 2, xi = 0): A+ is invertible, the Lasso solution is unique for every
    beta >= 0 and the min-norm solution is z* = A^{-1} y (with the inverse of Lemma D.25)."""
    x, y = _data(x, y)
    return sign_inverse(x.size) @ y


def threshold_min_norm(y):
    """CORRECTED Prop. C.4 (threshold, L = 2, xi = 0, y_1 >= ... >= y_N >= 0):
    z+_n = y_n - y_{n+1} (n < N), z+_N = y_N, z- = 0, ||z*||_1 = y_1.

    ERRATA (seed-002-spec Sec. 4.2): printed y_n - y_{n-1}; and the solution is unique only up to
    splitting y_N between the identical all-ones columns (A+)_{:,N} = (A-)_{:,1}.
    Returns ``(z_plus, z_minus)``.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or np.any(np.diff(y) > 0) or y[-1] < 0:
        raise GaconvexError("Prop. C.4 needs y_1 >= y_2 >= ... >= y_N >= 0 (with x descending).")
    return np.append(-np.diff(y), y[-1]), np.zeros_like(y)


# -- explicit inverses (002 App. D.5) ------------------------------------------------------
def forward_difference(n: int) -> np.ndarray:
    """F = [Delta | -e_{N-1}] in R^{(N-1) x N}: (F v)_i = v_i - v_{i+1}."""
    return np.eye(n - 1, n) - np.eye(n - 1, n, k=1)


def interval_scaling(x) -> np.ndarray:
    """D = diag(1/(x_1 - x_2), ..., 1/(x_{N-1} - x_N), 1/(x_1 - x_N))."""
    x = _descending(x)
    return np.diag(1.0 / np.append(-np.diff(x), x[0] - x[-1]))


def _unit(n: int, k: int) -> np.ndarray:
    return np.eye(n)[k]


def sign_inverse(n: int) -> np.ndarray:
    """Lemma D.25: for sign, A+ = (+1 on/above the diagonal, -1 below) has
    A^{-1} = 1/2 [F ; (1, 0, ..., 0, 1)]."""
    last = _unit(n, 0) + _unit(n, n - 1)
    return 0.5 * np.vstack([forward_difference(n), last])


def abs_inverse(x) -> np.ndarray:
    """Lemma D.26: for abs, A = |x_i - x_n| has A^{-1} = 1/2 P E D E with
    E = [F ; (-1, 0, ..., 0, -1)] and the cyclic shift P v = (v_N, v_1, ..., v_{N-1}).
    (The proof's case split "i <= j" should read "i < j".)"""
    D = interval_scaling(x)
    n = D.shape[0]
    E = np.vstack([forward_difference(n), -(_unit(n, 0) + _unit(n, n - 1))])
    P = np.roll(np.eye(n), 1, axis=0)
    return 0.5 * P @ E @ D @ E


def threshold_inverse(n: int) -> np.ndarray:
    """Lemma D.27: for threshold, A+ = 1{x_i >= x_n} (upper-triangular ones) has
    A+^{-1} = [F ; e_N^T], the upper-bidiagonal (1, -1) matrix."""
    return np.vstack([forward_difference(n), _unit(n, n - 1)])


def relu_inverse(x, variant: str = "a") -> np.ndarray:
    """Lemma D.28: S = [(A+)_{:,2:N}, (A-)_{:,1}] (ReLU) has S^{-1} = E+ D E-.

    ERRATUM (seed-002-spec Sec. 4.3): the printed pair E+ = [Delta | +e_{N-1} ; e_N^T],
    E- = [F ; -e_N^T] does NOT invert S (``variant="printed"``, kept to show it).  Two verified
    corrections: ``"a"``: the same E+ with E- = [F ; +e_N^T] (then D E- S =
    [[A^(t)_{N-1}, -1], [0, 1]] as displayed in the paper); ``"b"``: E+ = E- = [F ; -e_N^T].
    """
    D = interval_scaling(x)
    n = D.shape[0]
    F, e_last = forward_difference(n), _unit(n, n - 1)
    plus = np.vstack([np.hstack([np.eye(n - 1) - np.eye(n - 1, k=1), _unit(n - 1, n - 2)[:, None]]),
                      e_last])
    pairs = {"a": (plus, np.vstack([F, e_last])),
             "b": (np.vstack([F, -e_last]), np.vstack([F, -e_last])),
             "printed": (plus, np.vstack([F, -e_last]))}
    if variant not in pairs:
        raise GaconvexError(f"variant must be one of {sorted(pairs)}, got {variant!r}.")
    e_plus, e_minus = pairs[variant]
    return e_plus @ D @ e_minus
