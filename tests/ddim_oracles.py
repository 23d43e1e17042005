"""Independent oracles for the d-dimensional 2-layer ReLU tests (spec 001 Sec. 2.3, 2.5).

* :func:`sign_patterns`: the hyperplane arrangement {1[X~ w >= 0]} of the rows of X (or of
  [X, 1] with biases), by 2e5 Gaussian directions plus random perturbations of every candidate
  extreme ray +-null(X_S) (exhaustive for the small n, d of the tests);
* :func:`pilanci_ergen_value`: the exact convex program of Pilanci & Ergen (2020) over those
  patterns, written directly in cvxpy (Clarabel), with the penalty on the weight part only and
  a free output bias for biased networks:

    min 1/2 ||sum_k D_k X~ (v_k - u_k) + t 1 - y||^2 + beta sum_k ||v_k^w||_p + ||u_k^w||_p
    s.t. (2 D_k - I) X~ v_k >= 0, (2 D_k - I) X~ u_k >= 0,

  equal to the 2-layer ReLU training optimum with penalty (beta / 2) sum_j ||W1_j||_p^2 + W2_j^2
  for any p (spec 001 Sec. 0 item 1, Sec. 2.5).  Nothing here uses gaconvex.
"""
from __future__ import annotations

from itertools import combinations

import cvxpy as cp
import numpy as np
from scipy.linalg import null_space


def _lifted(X, bias):
    return np.hstack([X, np.ones((len(X), 1))]) if bias else X


def sign_patterns(X, *, bias: bool = False, samples: int = 200_000, seed: int = 0) -> np.ndarray:
    """All sign patterns 1[X~ w >= 0] (k, n) of full-dimensional chambers, X~ = X or [X, 1]."""
    rng = np.random.default_rng(seed)
    Xt = _lifted(np.asarray(X, float), bias)
    n, q = Xt.shape
    directions = [rng.standard_normal((samples, q))]
    for S in combinations(range(n), q - 1):  # candidate extreme rays, then their neighbourhood
        ray = null_space(Xt[list(S)])
        if ray.shape[1] == 1:
            ray = ray[:, 0] / np.linalg.norm(ray)
            for s in (1.0, -1.0):
                directions.append(s * ray + 1e-4 * rng.standard_normal((64, q)))
    W = np.vstack(directions)
    patterns = (Xt @ W.T >= 0).T
    return np.unique(patterns, axis=0).astype(float)


def pilanci_ergen_value(X, y, beta, *, p: int = 1, bias: bool = False,
                        patterns: np.ndarray | None = None, tol: float | None = None) -> float:
    """The exact 2-layer ReLU training optimum (lambda / 2 convention) by the convex program
    over all sign patterns (spec 001 Sec. 2.5); Clarabel to ``tol`` (1e-10 for p = 1, 1e-9 for
    the second-order cones of p = 2), refusing an inaccurate solve."""
    tol = (1e-10 if p == 1 else 1e-9) if tol is None else tol
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    Xt = _lifted(X, bias)
    d = X.shape[1]
    D = sign_patterns(X, bias=bias) if patterns is None else patterns
    k, q = len(D), Xt.shape[1]
    V, U = cp.Variable((q, k)), cp.Variable((q, k))
    fit = 0
    constraints = []
    for j in range(k):
        G = (2 * D[j] - 1)[:, None] * Xt
        constraints += [G @ V[:, j] >= 0, G @ U[:, j] >= 0]
        fit = fit + cp.multiply(D[j], Xt @ (V[:, j] - U[:, j]))
    if bias:
        fit = fit + cp.Variable()
    norms = cp.sum(cp.norm(V[:d], p, axis=0)) + cp.sum(cp.norm(U[:d], p, axis=0))
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(fit - y) + beta * norms), constraints)
    problem.solve(solver="CLARABEL", tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol, max_iter=500)
    if problem.status != cp.OPTIMAL:
        raise RuntimeError(f"the Pilanci-Ergen oracle ended {problem.status}")
    return float(problem.value)
