"""The Lasso written directly in cvxpy (Clarabel, tight tolerances): the independent oracle of the
solver and pipeline tests.  A plain module imported by the test modules."""
from __future__ import annotations

import cvxpy as cp
import numpy as np


def cvxpy_lasso_value(A, y, beta_t, *, weights=None, loss="squared", tau=0.5, intercept=True,
                      U=None, tol=1e-12):
    """min sum_i w_i ell(y_i - (A z + xi + U omega)_i) + beta_t ||z||_1, ell the squared loss
    e^2 / 2, the pinball loss max(tau e, (tau - 1) e) of the error e = y - y_hat, or |e|; for
    labels y in {-1, +1} the squared hinge 1/2 max(0, 1 - y y_hat)^2 or the logistic loss
    log(1 + exp(-y y_hat)) of the margin."""
    w = np.ones(len(y)) if weights is None else weights
    z = cp.Variable(A.shape[1])
    fit = A @ z
    if intercept:
        fit = fit + cp.Variable()
    if U is not None:
        fit = fit + U @ cp.Variable(U.shape[1])
    e = y - fit
    margin = cp.multiply(y, fit)
    value = {"squared_hinge": 0.5 * cp.sum(cp.multiply(w, cp.square(cp.pos(1 - margin)))),
             "logistic": cp.sum(cp.multiply(w, cp.logistic(-margin))),
             "squared": 0.5 * cp.sum(cp.multiply(w, cp.square(e))),
             "quantile": cp.sum(cp.multiply(w, cp.maximum(tau * e, (tau - 1) * e))),
             "l1": cp.sum(cp.multiply(w, cp.abs(e)))}[loss]
    problem = cp.Problem(cp.Minimize(value + beta_t * cp.norm1(z)))
    problem.solve(solver="CLARABEL", tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol, max_iter=500)
    return problem.value


def cvxpy_group_lasso_value(A, Y, beta_t, *, weights=None, intercept=True, U=None, tol=1e-12):
    """min 1/2 sum_i w_i ||(A Z + 1 xi^T + U Omega - Y)_i||^2 + beta_t sum_j ||Z_j,:||_2
    (001 Thm 14), Y of shape (N, c)."""
    w = np.ones(len(Y)) if weights is None else weights
    Z = cp.Variable((A.shape[1], Y.shape[1]))
    fit = A @ Z
    if intercept:
        fit = fit + np.ones((len(Y), 1)) @ cp.Variable((1, Y.shape[1]))
    if U is not None:
        fit = fit + U @ cp.Variable((U.shape[1], Y.shape[1]))
    value = 0.5 * cp.sum(cp.multiply(w[:, None], cp.square(fit - Y)))
    problem = cp.Problem(cp.Minimize(value + beta_t * cp.sum(cp.norm(Z, 2, axis=1))))
    problem.solve(solver="CLARABEL", tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol, max_iter=500)
    return problem.value
