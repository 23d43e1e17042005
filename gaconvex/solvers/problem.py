"""The convex Lasso problem that a deep network's training problem is equivalent to.

Squared loss (002, eq. (1.2); 000, eq. (4)), with a free intercept xi, unpenalized columns U and
sample weights w (all ones unless given):

    min_{z, xi, omega}  1/2 sum_i w_i (A z + xi 1 + U omega - y)_i^2 + beta_t ||z||_1.

- ``xi`` is the network's external bias: free and unpenalized for ReLU, leaky ReLU and abs;
  absent (``intercept=False``) for sign and threshold networks (002 Sec. 0.3, Thm 3.11).
- ``U`` holds extra unpenalized columns, e.g. the skip connection's column x (002 Sec. 1.6).
- ``beta_t`` is beta tilde; :meth:`LassoProblem.from_dictionary` takes it from the
  architecture (``Architecture.beta_tilde``: 2 beta for symmetrized nets, 002 Sec. 0.1).
- General convex losses (002, Lemma D.16, (D.24); :mod:`.datafits`): ``loss="quantile"`` is
  sum_i w_i rho_tau(y_i - y_hat_i), rho_tau(e) = 0.5 |e| + (tau - 0.5) e, which models the
  tau-quantile (002 Sec. 4); ``loss="l1"`` is sum_i w_i |y_i - y_hat_i|.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validation import GaconvexError, as_float_array, check_targets
from .datafits import DEFAULT_LOSS, make_datafit
from .operator import DictionaryOperator, as_operator

__all__ = ["LassoProblem"]


class FreeColumnsProblem:
    """What the Lasso and the group Lasso share: an operator A (N, P), a free intercept, free
    columns U and sample weights w, and how a Dictionary becomes one (beta~ from its
    architecture)."""

    A: DictionaryOperator
    intercept: bool
    U: np.ndarray
    sample_weight: np.ndarray | None

    @classmethod
    def from_dictionary(cls, dictionary, y, beta, **options):
        """The problem (002 eq. 1.2; 001 Thm 14 for targets of several columns) of a
        :class:`gaconvex.dictionaries.Dictionary` for targets ``y`` (the dictionary's row
        order) and *training* regularization ``beta``: beta~ =
        ``dictionary.architecture.beta_tilde(beta)``, a free intercept unless sign/threshold,
        the skip column unpenalized; ``options``: loss, tau, sample_weight."""
        if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, numbers.Real) or beta < 0:
            raise GaconvexError(f"beta must be a real number >= 0, got {beta!r}.")
        unpenalized = dictionary.unpenalized if dictionary.unpenalized.shape[1] else None
        return cls(dictionary, y, dictionary.architecture.beta_tilde(float(beta)),
                   intercept=dictionary.intercept, unpenalized=unpenalized, **options)

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

    @property
    def weights(self) -> np.ndarray:
        """The sample weights w (all ones when none were given)."""
        return np.ones(self.n_samples) if self.sample_weight is None else self.sample_weight

    def unpenalized_basis(self) -> np.ndarray:
        """B = [1, U] (or [U] without intercept): the columns whose coefficients are free."""
        ones = np.ones((self.n_samples, 1)) if self.intercept else np.empty((self.n_samples, 0))
        return np.hstack([ones, self.U])


class LassoProblem(FreeColumnsProblem):
    """A validated Lasso instance ``(A, y, beta_t)`` with intercept, unpenalized columns, loss
    and sample weights.

    Parameters
    ----------
    A : array (N, P), scipy.sparse matrix, or ``DictionaryOperator`` (e.g. a Dictionary)
        The dictionary; column A_j is the feature f_j evaluated at the N training inputs.
    y : array (N,)
        Targets (an (N, 1) column is accepted).
    beta_t : float >= 0
        Penalty weight beta tilde on ||z||_1.
    intercept : bool
        Whether the free, unpenalized bias xi is a variable (False for sign/threshold nets).
    unpenalized : array (N,) or (N, k), optional
        Extra unpenalized columns U (coefficients omega), e.g. ``x`` for a skip connection.
    loss : a name in :data:`gaconvex.solvers.datafits.DATAFITS` or a ``Datafit``
    tau : float in (0, 1)
        Quantile level of the pinball loss (used only by the quantile loss).
    sample_weight : array (N,) of positive weights, optional
        The loss is sum_i w_i ell(y_i - y_hat_i); merged tied inputs carry their counts.
    """

    def __init__(self, A, y, beta_t: float, *, intercept: bool = True, unpenalized=None,
                 loss=DEFAULT_LOSS, tau: float = 0.5, sample_weight=None):
        self.A: DictionaryOperator = as_operator(A)
        n, _ = self.A.shape
        self.y = _check_y(y, n)
        self.beta_t = _check_beta(beta_t)
        self.intercept = bool(intercept)
        self.U = _check_unpenalized(unpenalized, n)
        self.sample_weight = _check_weights(sample_weight, n)
        self.datafit = make_datafit(loss, tau, self.sample_weight).with_targets(self.y)
        self.loss = self.datafit.name
        self.tau = float(getattr(self.datafit, "tau", tau))

    def free_fit(self, target: np.ndarray) -> np.ndarray:
        """The coefficients c of the weighted least-squares fit of ``target`` by B = [1, U]."""
        B = self.unpenalized_basis()
        if not B.shape[1]:
            return np.zeros(0)
        root = np.sqrt(self.weights)
        return np.linalg.lstsq(root[:, None] * B, root * target, rcond=None)[0]

    def dense_dictionary(self, memory_limit: float | None = None) -> np.ndarray:
        """A as a dense (N, P) array, for the reference and LP solvers."""
        from .._validation import check_memory

        check_memory(*self.A.shape, memory_limit, "this solver's dense copy of the dictionary")
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
        """L_y(A z + xi 1 + U omega) + beta_t ||z||_1 (squared: 1/2 sum w r^2 + beta_t ||z||_1)."""
        z = np.asarray(z, dtype=np.float64)
        return self.datafit.value(self.residual(z, xi, omega)) + self.beta_t * float(np.abs(z).sum())

    def beta_max(self) -> float:
        """Smallest beta_t with z* = 0 for the squared loss: ||A^T W (y - P y)||_inf.

        P is the weighted projection onto span{1, U} (the free columns), so y - P y is minus
        the residual of the best unpenalized fit; at z = 0 the KKT conditions read
        |A_j^T lambda| <= beta_t with lambda = W (P y - y) (002 Sec. 4.4, "large beta"; the
        lambda_max of lasso paths).
        """
        if not self.datafit.smooth:
            raise GaconvexError(
                f"beta_max() is the zero-solution threshold of a smooth loss (the squared loss); this "
                f"problem uses "
                f"loss={self.loss!r}. Solve with a large beta_t and check z == 0 instead."
            )
        if not self.datafit.quadratic:  # other smooth losses: lambda = dL/du at the free fit
            from .first_order import free_newton

            c = free_newton(self, np.zeros(self.n_samples), np.zeros(self.unpenalized_basis().shape[1]))
            lam = self.datafit.gradient(self.unpenalized_basis() @ c - self.y)
            return float(np.max(np.abs(self.A.rmatvec(lam))))
        r = self.y - self.unpenalized_basis() @ self.free_fit(self.y)
        return float(np.max(np.abs(self.A.rmatvec(self.weights * r))))

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
        return (
            f"LassoProblem(N={self.n_samples}, P={self.n_features}, beta_t={self.beta_t:g}, "
            f"intercept={self.intercept}{extra}, {self.datafit!r})"
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


def _check_weights(w, n: int):
    if w is None:
        return None
    w = as_float_array(w, "sample_weight", ndim=1)
    if w.shape[0] != n:
        raise GaconvexError(f"sample_weight has {w.shape[0]} entries for {n} rows; pass one "
                            "weight per row.")
    if np.any(w <= 0):
        raise GaconvexError(
            f"sample_weight must be > 0 ({int(np.sum(w <= 0))} entries are not); drop the rows "
            "of zero weight from A and y (gaconvex.convex_fit does this and reports it).")
    return w
