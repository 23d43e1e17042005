"""The convex Lasso problem that a deep network's training problem is equivalent to.

Squared loss (002, eq. (1.2); 000, eq. (4)), with a free intercept xi and unpenalized columns U:

    min_{z, xi, omega}  1/2 ||A z + xi 1 + U omega - y||_2^2 + beta_t ||z||_1.

- ``xi`` is the network's external bias: free and unpenalized for ReLU, leaky ReLU and abs;
  absent (``intercept=False``) for sign and threshold networks (002 Sec. 0.3, Thm 3.11).
- ``U`` holds extra unpenalized columns, e.g. the skip connection's column x (002 Sec. 1.6).
- ``beta_t`` is beta tilde, supplied by the caller (e.g. 2 beta for symmetrized nets, 002 Sec. 0.1).
- General convex losses (002, Lemma D.16, (D.24)): ``loss="quantile"`` uses
  sum_i rho_tau(r_i), rho_tau(r) = 0.5 |r| + (tau - 0.5) r; ``loss="l1"`` uses sum_i |r_i|,
  always with r = A z + xi 1 + U omega - y.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validation import GaconvexError, as_float_array, check_targets
from .datafits import make_datafit
from .operator import DictionaryOperator, as_operator

__all__ = ["LassoProblem"]


class LassoProblem:
    """A validated Lasso instance ``(A, y, beta_t)`` with intercept, unpenalized columns and loss.

    Parameters
    ----------
    A : array (N, P), scipy.sparse matrix, or ``DictionaryOperator``
        The dictionary; column A_j is the feature f_j evaluated at the N training inputs.
    y : array (N,)
        Targets (an (N, 1) column is accepted).
    beta_t : float >= 0
        Penalty weight beta tilde on ||z||_1.
    intercept : bool
        Whether the free, unpenalized bias xi is a variable (False for sign/threshold nets).
    unpenalized : array (N,) or (N, k), optional
        Extra unpenalized columns U (coefficients omega), e.g. ``x`` for a skip connection.
    loss : {"squared", "quantile", "l1"}
    tau : float in (0, 1)
        Quantile level of the pinball loss (used only when ``loss="quantile"``).
    """

    def __init__(
        self,
        A,
        y,
        beta_t: float,
        *,
        intercept: bool = True,
        unpenalized=None,
        loss: str = "squared",
        tau: float = 0.5,
    ):
        self.A: DictionaryOperator = as_operator(A)
        n, _ = self.A.shape
        self.y = _check_y(y, n)
        self.beta_t = _check_beta(beta_t)
        self.intercept = bool(intercept)
        self.U = _check_unpenalized(unpenalized, n)
        self.loss = loss
        self.datafit = make_datafit(loss, tau)
        self.tau = float(tau)

    # ------------------------------------------------------------------ sizes
    @property
    def n_samples(self) -> int:
        """N, the number of training points (rows of A)."""
        return self.A.shape[0]

    @property
    def n_features(self) -> int:
        """P, the number of dictionary columns."""
        return self.A.shape[1]

    @property
    def n_unpenalized(self) -> int:
        """k, the number of unpenalized columns U (0 when there are none)."""
        return self.U.shape[1]

    # ------------------------------------------------------------ evaluation
    def unpenalized_basis(self) -> np.ndarray:
        """B = [1, U] (or [U] without intercept): the columns whose coefficients are free."""
        ones = np.ones((self.n_samples, 1)) if self.intercept else np.empty((self.n_samples, 0))
        return np.hstack([ones, self.U])

    def dense_dictionary(self) -> np.ndarray:
        """A as a dense (N, P) array, for the reference and LP solvers."""
        try:
            return self.A.to_dense()
        except (NotImplementedError, MemoryError) as exc:
            raise GaconvexError(
                f"this solver needs the dictionary as a dense matrix, but "
                f"{type(self.A).__name__}.to_dense() failed ({exc!r}); use a matrix-free solver "
                "or a smaller dictionary."
            ) from exc

    def fitted(self, z, xi: float = 0.0, omega=None) -> np.ndarray:
        """The fit u = A z + xi 1 + U omega."""
        z, xi, omega = self._check_point(z, xi, omega)
        return self.A.matvec(z) + xi + self.U @ omega

    def residual(self, z, xi: float = 0.0, omega=None) -> np.ndarray:
        """r = A z + xi 1 + U omega - y."""
        return self.fitted(z, xi, omega) - self.y

    def objective(self, z, xi: float = 0.0, omega=None) -> float:
        """L_y(A z + xi 1 + U omega) + beta_t ||z||_1 (for squared loss: 1/2 ||r||^2 + beta_t ||z||_1)."""
        z = np.asarray(z, dtype=np.float64)
        return self.datafit.value(self.residual(z, xi, omega)) + self.beta_t * float(np.abs(z).sum())

    def beta_max(self) -> float:
        """Smallest beta_t with z* = 0 for the squared loss: ||A^T (y - P y)||_inf.

        P projects onto span{1, U} (the free columns), so y - P y is minus the residual of
        the best unpenalized fit; at z = 0 the KKT conditions read |A_j^T lambda| <= beta_t
        with lambda = P y - y (002 Sec. 4.4, "large beta"; the lambda_max of lasso paths).
        """
        if self.loss != "squared":
            raise GaconvexError(
                f"beta_max() is the zero-solution threshold of the squared loss; this problem uses "
                f"loss={self.loss!r}. Solve with a large beta_t and check z == 0 instead."
            )
        B = self.unpenalized_basis()
        r = self.y - B @ np.linalg.lstsq(B, self.y, rcond=None)[0] if B.shape[1] else self.y
        return float(np.max(np.abs(self.A.rmatvec(r))))

    def to_sklearn_alpha(self) -> float:
        """alpha = beta_t / N, so that scikit-learn's Lasso, minimizing
        1/(2N) ||A z + xi 1 - y||^2 + alpha ||z||_1, has the same solutions (objective / N)."""
        return self.beta_t / self.n_samples

    # -------------------------------------------------------------- helpers
    def _check_point(self, z, xi, omega):
        z = as_float_array(z, "z", ndim=1)
        if z.shape[0] != self.n_features:
            raise GaconvexError(
                f"z has {z.shape[0]} entries but the dictionary has {self.n_features} columns; "
                "pass one coefficient per column of A."
            )
        xi = float(xi)
        if xi != 0.0 and not self.intercept:
            raise GaconvexError(
                f"xi = {xi} was given but this problem has intercept=False (sign/threshold "
                "networks have no external bias); pass xi=0 or build the problem with intercept=True."
            )
        if omega is None:
            omega = np.zeros(self.n_unpenalized)
        omega = as_float_array(omega, "omega", ndim=1)
        if omega.shape[0] != self.n_unpenalized:
            raise GaconvexError(
                f"omega has {omega.shape[0]} entries but there are {self.n_unpenalized} "
                "unpenalized columns; pass one coefficient per column of U."
            )
        return z, xi, omega

    def __repr__(self) -> str:
        extra = f", unpenalized={self.n_unpenalized}" if self.n_unpenalized else ""
        tau = f", tau={self.tau:g}" if self.loss == "quantile" else ""
        return (
            f"LassoProblem(N={self.n_samples}, P={self.n_features}, beta_t={self.beta_t:g}, "
            f"intercept={self.intercept}{extra}, loss={self.loss!r}{tau})"
        )


def _check_y(y, n: int) -> np.ndarray:
    y = check_targets(y, n, "y")
    if y.ndim == 2:
        if y.shape[1] != 1:
            raise GaconvexError(
                f"y must be one target vector of shape (N,), got shape {y.shape}; "
                "solve one Lasso per output column."
            )
        y = y[:, 0]
    return y


def _check_beta(beta_t) -> float:
    if isinstance(beta_t, (bool, np.bool_)) or not isinstance(beta_t, numbers.Real):
        raise GaconvexError(
            f"beta_t must be a real number >= 0 (the Lasso penalty beta tilde), got "
            f"{type(beta_t).__name__} {beta_t!r}."
        )
    beta_t = float(beta_t)
    if not np.isfinite(beta_t) or beta_t < 0:
        raise GaconvexError(
            f"beta_t must be finite and >= 0 (the Lasso penalty beta tilde), got {beta_t}; "
            "use beta_t = 0 (or min_norm) for the interpolation limit, not a negative value."
        )
    return beta_t


def _check_unpenalized(U, n: int) -> np.ndarray:
    if U is None:
        return np.empty((n, 0))
    U = as_float_array(U, "unpenalized (U)", ndim=(1, 2))
    if U.ndim == 1:
        U = U[:, None]
    if U.shape[0] != n:
        raise GaconvexError(
            f"unpenalized (U) has {U.shape[0]} rows but A and y have {n}; pass an (N, k) array "
            "of unpenalized columns, e.g. x.reshape(-1, 1) for a skip connection."
        )
    return U
