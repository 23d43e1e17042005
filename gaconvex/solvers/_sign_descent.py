"""The sign-consistency phase of the active-set method (:mod:`.active_set`), compiled.

From the active set T with signs theta, each step moves z_T towards the signed optimum
z* = R^-1 (Q^T b - beta R^-T theta); when z* disagrees in sign with theta it stops at the first
zero and drops that coordinate (Givens rotations, :mod:`._qr_update`), else it takes z* and the
phase ends (the method then needs the correlations).  On coherent 1-D libraries about half of
all steps are such drops, thousands a fit, and as Python each one cost ~0.2 ms of interpreter
overhead around a few microseconds of arithmetic.  Imported on first use, ``cache=True``.
"""
from __future__ import annotations

import numba
import numpy as np

from ._qr_update import delete, upper, upper_transposed

#: A column that leaves before the objective has fallen by more than this relative amount
#: since it entered is barred (``ActiveSetLasso.solve``).
FALL = 64 * np.finfo(float).eps


@numba.njit(cache=True, nogil=True)
def residual(Q, R, b, zT, t):  # pragma: no cover - compiled
    """rho = Q (R z_T) - b in float64 (the method's residual in working precision)."""
    w = np.zeros(t)
    for j in range(t):
        for i in range(j + 1):
            w[i] += R[i, j] * zT[j]
    rho = -b.copy()
    for j in range(t):
        for row in range(b.size):
            rho[row] += Q[row, j] * w[j]
    return rho


@numba.njit(cache=True, nogil=True)
def value(rho, zT, t, beta):  # pragma: no cover - compiled
    """1/2 ||rho||^2 + beta ||z_T||_1, summed in index order."""
    total = 0.0
    for row in range(rho.size):
        total += rho[row] * rho[row]
    penalty = 0.0
    for j in range(t):
        penalty += abs(zT[j])
    return 0.5 * total + beta * penalty


@numba.njit(cache=True, nogil=True)
def objective(Q, R, b, zT, t, beta):  # pragma: no cover - compiled
    """1/2 ||Q R z_T - b||^2 + beta ||z_T||_1 by :func:`residual` and :func:`value`: the
    method compares objectives of different states to 64 eps (``FALL``), and near interpolation
    the residual's rounding (eps ||b||) is far above that, so every objective of a float64
    solve must come from the same arithmetic (``ActiveSetLasso.objective``)."""
    return value(residual(Q, R, b, zT, t), zT, t, beta)


@numba.njit(cache=True, nogil=True)
def signed_optimum(R, Qb, theta, t, beta):  # pragma: no cover - compiled
    """(z*, info): R z* = Q^T b - beta R^-T theta on the leading t x t block; info > 0 names a
    zero pivot (as ``upper``)."""
    x = np.empty((t, 1))
    x[:, 0] = theta[:t]
    info = upper_transposed(R, t, x)
    if info:
        return x[:, 0], info
    for i in range(t):
        x[i, 0] = Qb[i] - beta * x[i, 0]
    return x[:, 0], upper(R, t, x)


@numba.njit(cache=True, nogil=True)
def descend(Q, R, Qb, b, T, theta, zT, t, beta, entry, barred, budget):  # pragma: no cover
    """Steps of the sign-consistency phase in place, at most ``budget``; returns
    (t, steps, done, info): the new active size, the steps taken, whether a sign-consistent
    optimum was reached (z_T = z*), and a zero pivot (info > 0, the state as before the step).

    ``entry[j]``: the objective when column j entered in this call of ``solve`` (NaN: not
    entered); a column that leaves with the objective not below it by ``FALL`` (relative) is
    marked in ``barred`` (its violation was below what the factorization resolves)."""
    steps = 0
    while steps < budget:
        steps += 1
        if t == 0:
            return t, steps, True, 0
        target, info = signed_optimum(R, Qb, theta, t, beta)
        if info:
            return t, steps, False, info
        k, first = -1, np.inf  # the first sign change along z_T -> z*
        for i in range(t):
            if np.sign(target[i]) != theta[i]:
                delta = target[i] - zT[i]
                at = -zT[i] / delta if delta != 0 else 0.0
                if at < first:
                    k, first = i, at
        if k < 0:
            zT[:t] = target
            return t, steps, True, 0
        step = min(max(first, 0.0), 1.0)
        for i in range(t):
            zT[i] = zT[i] + step * (target[i] - zT[i])
        leaving = T[k]
        before = entry[leaving]
        if not np.isnan(before):
            entry[leaving] = np.nan
            if not objective(Q, R, b, zT, t, beta) < before - FALL * before:
                barred[leaving] = True
        delete(Q, R, Qb, k, t)
        for i in range(k, t - 1):
            T[i], theta[i], zT[i] = T[i + 1], theta[i + 1], zT[i + 1]
        t -= 1
    return t, steps, False, 0
