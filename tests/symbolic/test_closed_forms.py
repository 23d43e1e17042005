"""Closed forms of 002 App. C / D.5 (corrected, seed-002-spec Sec. 4) against the min-norm LP
(C.1) solved by scipy's HiGHS, with the 2-layer dictionaries built here from their definition
(A+)_{i,n} = sigma(x_i - x_n), (A-)_{i,n} = sigma(x_n - x_i) (002 Cor. 3.15).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from gaconvex._validation import GaconvexError
from gaconvex.symbolic import closed_forms as cf

SIGMA = {"relu": lambda u: np.maximum(u, 0), "abs": np.abs,
         "sign": lambda u: np.where(u >= 0, 1.0, -1.0), "threshold": lambda u: (u >= 0) * 1.0}


def plus_minus(x, act):
    s = SIGMA[act]
    return s(x[:, None] - x[None, :]), s(x[None, :] - x[:, None])


def min_norm_lp(A, y, free_intercept=True):
    """min ||z||_1 s.t. A z + xi 1 = y (xi free, or 0): split z = z+ - z-, xi = xi+ - xi-."""
    n, p = A.shape
    cols = [A, -A] + ([np.ones((n, 1)), -np.ones((n, 1))] if free_intercept else [])
    cost = np.concatenate([np.ones(2 * p), np.zeros(2 if free_intercept else 0)])
    res = linprog(cost, A_eq=np.hstack(cols), b_eq=y, bounds=(0, None), method="highs")
    assert res.status == 0
    return res.fun


def random_data(rng, n=None):
    n = n or int(rng.integers(2, 9))
    return np.sort(rng.uniform(-2, 2, n))[::-1], rng.normal(size=n)


def test_relu_min_norm_corrected_lemma_c6_equals_lp(rng):
    """Corrected Lemma C.6 = LP value; the printed formula is an upper bound, its z feasible."""
    strict = 0
    for _ in range(60):
        x, y = random_data(rng)
        Ap, Am = plus_minus(x, "relu")
        lp = min_norm_lp(np.hstack([Ap, Am]), y)
        assert np.isclose(cf.relu_min_norm(x, y), lp, rtol=1e-7, atol=1e-9)
        value, zp, zm, xi = cf.relu_min_norm_printed(x, y)
        assert value >= lp - 1e-9
        assert np.isclose(np.abs(zp).sum() + np.abs(zm).sum(), value)
        assert np.allclose(Ap @ zp + Am @ zm + xi, y)
        strict += value > lp + 1e-7
    assert strict > 30  # the printed value is generally not optimal (spec: 6/200 optimal)


def test_relu_min_norm_two_points():
    x, y = np.array([1.0, -1.0]), np.array([3.0, 1.0])
    assert cf.relu_min_norm(x, y) == pytest.approx(1.0)


@pytest.mark.parametrize("act", ["relu", "abs"])
def test_lemma_c5_lower_bound(rng, act):
    for _ in range(20):
        x, y = random_data(rng)
        Ap, Am = plus_minus(x, act)
        A = np.hstack([Ap, Am]) if act == "relu" else Ap
        assert min_norm_lp(A, y) >= cf.min_norm_lower_bound(x, y) - 1e-9


def test_prop_c2_abs_solution_set(rng):
    """Along sign(z1)(e_1 + e_N) the residual stays 0 (xi absorbs it) and the norm is constant
    exactly on [-|z1|, |zN|]."""
    for _ in range(20):
        x, y = random_data(rng, n=6)
        A = plus_minus(x, "abs")[0]
        lp = min_norm_lp(A, y)
        res = linprog(np.concatenate([np.ones(12), [0, 0]]),
                      A_eq=np.hstack([A, -A, np.ones((6, 1)), -np.ones((6, 1))]), b_eq=y,
                      bounds=(0, None), method="highs")
        z = res.x[:6] - res.x[6:12]
        assert z[0] * z[-1] <= 1e-12
        direction, lo, hi = cf.abs_solution_set(z)
        assert np.allclose(np.abs(A @ direction), x[0] - x[-1])  # constant: absorbed by xi
        assert np.ptp(A @ direction) < 1e-12
        for t in np.linspace(lo, hi, 5):
            assert np.isclose(np.abs(z + t * direction).sum(), lp)
        for t in (lo - 0.1, hi + 0.1):
            assert np.abs(z + t * direction).sum() > lp + 1e-3


def test_prop_c3_sign_solution_is_unique_inverse(rng):
    for _ in range(20):
        x, y = random_data(rng)
        A = plus_minus(x, "sign")[0]
        z = cf.sign_min_norm(x, y)
        assert np.allclose(A @ z, y)
        assert np.isclose(np.abs(z).sum(), min_norm_lp(A, y, free_intercept=False))


def test_prop_c4_threshold_corrected(rng):
    """y_1 >= ... >= y_N >= 0: LP value y_1, attained by the corrected z (y_n - y_{n+1})."""
    for _ in range(20):
        x, _ = random_data(rng)
        y = np.sort(rng.uniform(0, 3, x.size))[::-1]
        Ap, Am = plus_minus(x, "threshold")
        zp, zm = cf.threshold_min_norm(y)
        assert np.allclose(Ap @ zp + Am @ zm, y)
        assert np.isclose(np.abs(zp).sum() + np.abs(zm).sum(), y[0])
        assert np.isclose(min_norm_lp(np.hstack([Ap, Am]), y, free_intercept=False), y[0])


@pytest.mark.parametrize("n", [2, 3, 6, 9])
def test_inverses_d25_to_d28(rng, n):
    x = np.sort(rng.normal(size=n))[::-1]
    eye = np.eye(n)
    assert np.allclose(plus_minus(x, "sign")[0] @ cf.sign_inverse(n), eye, atol=1e-10)
    assert np.allclose(cf.sign_inverse(n) @ plus_minus(x, "sign")[0], eye, atol=1e-10)
    assert np.allclose(cf.abs_inverse(x) @ plus_minus(x, "abs")[0], eye, atol=1e-10)
    assert np.allclose(cf.threshold_inverse(n) @ plus_minus(x, "threshold")[0], eye, atol=1e-10)
    Ap, Am = plus_minus(x, "relu")
    S = np.hstack([Ap[:, 1:], Am[:, :1]])
    for variant in ("a", "b"):
        assert np.allclose(cf.relu_inverse(x, variant) @ S, eye, atol=1e-10)
    assert not np.allclose(cf.relu_inverse(x, "printed") @ S, eye, atol=1e-3)


def test_relu_inverse_variant_a_intermediate():
    """Correction (a): D E- S = [[A^(t)_{N-1}, -1], [0, 1]] as displayed in 002 Lemma D.28."""
    x = np.array([3.0, 1.5, 0.2, -0.4, -2.0])
    n = x.size
    Ap, Am = plus_minus(x, "relu")
    S = np.hstack([Ap[:, 1:], Am[:, :1]])
    e_minus = np.vstack([cf.forward_difference(n), np.eye(n)[-1]])
    got = cf.interval_scaling(x) @ e_minus @ S
    expected = np.zeros((n, n))
    expected[:-1, :-1] = np.triu(np.ones((n - 1, n - 1)))
    expected[:-1, -1], expected[-1, -1] = -1.0, 1.0
    assert np.allclose(got, expected)


def test_errors_are_clear():
    with pytest.raises(GaconvexError, match="descending"):
        cf.slopes([0.0, 1.0], [1.0, 2.0])
    with pytest.raises(GaconvexError, match="rows"):
        cf.slopes([1.0, 0.0], [1.0, 2.0, 3.0])
    with pytest.raises(GaconvexError, match="y_1 >= y_2"):
        cf.threshold_min_norm([0.0, 1.0])
    with pytest.raises(GaconvexError, match="variant"):
        cf.relu_inverse([1.0, 0.0], "c")
