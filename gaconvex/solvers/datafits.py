"""Convex, weighted losses of the general-loss Lasso (002 Lemma D.16, (D.24); 002 Sec. 4).

A datafit is ``L_y(u) = sum_i w_i ell(y_i - u_i)`` for a fit u = y_hat, sample weights w_i > 0
and a convex ``ell`` of the error ``e = y - y_hat`` (the pinball loss of 002 Sec. 4 is written
in e).  Internally the solvers use the residual ``r = y_hat - y = -e``.  Each datafit is a small
object (skglm-style, STYLE.md Sec. 1) with the pieces the solver layer needs:

* ``pointwise(r)``: ell(-r) elementwise, unweighted, written with operators only so the same
  code runs on numpy arrays and torch tensors (the training objective reuses it);
* ``value(r)``: sum_i w_i ell(-r_i);
* ``gradient(r)`` for smooth losses (the dual vector lambda* = dL/du at the fit);
* the dual of 002 Sec. 2.8 / Lemma D.8,

      max_lambda  -L_y^*(lambda) = -lambda^T y - sum_i ell_i^*(lambda_i)
      s.t.        1^T lambda = 0 (free intercept),  U^T lambda = 0,  ||A^T lambda||_inf <= beta_t,

  through ``dual_value`` and ``dual_domain_scale`` (the largest s <= 1 keeping s lambda in the
  domain of ell^*);
* ``degree``: L_y(t u) with t y is t^degree L_y(u) (2 squared, 1 pinball / l1), which tells
  :func:`gaconvex.solvers.solve` how to rescale a badly scaled problem exactly;
* ``cvxpy_value`` for the reference solver;
* ``project_dual(lam, B)``: lambda moved onto {B^T lambda = 0} (the free columns B = [1, U])
  without leaving the domain of ell^* (the certificate's dual point);
* ``curvature``: sup ell'' per unit weight for smooth losses (the Lipschitz constant of the
  gradient, used by the first-order solver).

Classification losses (``SquaredHingeLoss``, ``LogisticLoss``, ``classification = True``) are
functions of the margin m_i = y_i y_hat_i with labels y_i in {-1, +1}, not of the residual
alone: the interface stays r = y_hat - y, and the labels are bound to the datafit by
``with_targets(y)`` (``LassoProblem`` does it; a regression loss returns itself).  Their
targets are never centred or rescaled (:mod:`.scaling`).

New losses cost one class and one entry in :data:`DATAFITS`.
"""
from __future__ import annotations

import copy
import numbers

import numpy as np

from .._validation import GaconvexError

__all__ = ["DATAFITS", "DEFAULT_LOSS", "Datafit", "SquaredLoss", "QuantileLoss", "L1Loss",
           "SquaredHingeLoss", "LogisticLoss", "make_datafit"]


class Datafit:
    """Base class: weights w (N,) > 0 (ones when None) and the shared weighted sums."""

    name: str
    smooth: bool = False
    quadratic: bool = False  # tied inputs merge exactly into weighted means (gaconvex.data)
    degree: int = 1
    classification: bool = False  # targets are labels in {-1, +1}, never rescaled
    curvature: float = 0.0  # sup ell'' per unit weight (smooth losses)

    def __init__(self, weights=None):
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)

    def _w(self, n: int) -> np.ndarray:
        return np.ones(n) if self.weights is None else self.weights

    def pointwise(self, r):
        """ell(-r) elementwise, unweighted (numpy arrays or torch tensors)."""
        raise NotImplementedError

    def value(self, r: np.ndarray) -> float:
        """L_y(y_hat) = sum_i w_i ell(y_i - y_hat_i), r = y_hat - y."""
        return float(np.sum(self._w(r.size) * self.pointwise(r)))

    def null_value(self, y: np.ndarray) -> float:
        """The loss of the zero fit, L_y(0): the data's own scale (certificate floors)."""
        return self.value(-np.asarray(y, dtype=np.float64))

    def cvxpy_value(self, r):
        import cvxpy as cp

        return cp.sum(cp.multiply(self._w(r.shape[0]), self._cvxpy_pointwise(r)))

    def with_targets(self, y) -> "Datafit":
        """The datafit for targets ``y``: a loss of the residual alone returns itself."""
        return self

    def project_dual(self, lam: np.ndarray, B: np.ndarray) -> np.ndarray:
        """lambda - B (B^+ lambda): the nearest point of {B^T lambda = 0} (1^T lambda = 0 for
        the intercept, U^T lambda = 0), the dual's equality constraints (002 Lemma D.8)."""
        if not B.shape[1]:
            return lam
        return lam - B @ np.linalg.lstsq(B, lam, rcond=None)[0]

    def with_weights(self, weights) -> "Datafit":
        """The same loss with sample weights ``weights`` (a new object)."""
        clone = copy.copy(self)
        clone.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        return clone

    def _repr_args(self) -> str:
        return "" if self.weights is None else "weighted"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._repr_args()})"


class SquaredLoss(Datafit):
    """ell(e) = e^2 / 2: L_y(u) = 1/2 sum_i w_i (u_i - y_i)^2 (002 eq. (1.2) with weights).

    ell_i^*(l) = l^2 / (2 w_i); at the optimum lambda* = w * (y_hat - y) (002 Sec. 2.8).
    """

    name = "squared"
    smooth = True
    quadratic = True
    degree = 2
    curvature = 1.0

    def pointwise(self, r):
        return 0.5 * r * r

    def gradient(self, r: np.ndarray) -> np.ndarray:
        """dL/du = w * r: the dual vector lambda of a fit with residual r."""
        return self._w(r.size) * r

    def hessian(self, r: np.ndarray) -> np.ndarray:
        """d^2 L / du_i^2 = w_i (the Hessian is diagonal)."""
        return self._w(r.size).copy()

    def dual_value(self, lam: np.ndarray, y: np.ndarray) -> float:
        """-L_y^*(lambda) = -1/2 sum_i lambda_i^2 / w_i - lambda^T y."""
        return -0.5 * float(np.sum(lam * lam / self._w(lam.size))) - float(lam @ y)

    def dual_domain_scale(self, lam: np.ndarray) -> float:
        """ell^* is finite everywhere: no rescaling needed."""
        return 1.0

    def _cvxpy_pointwise(self, r):
        import cvxpy as cp

        return 0.5 * cp.square(r)


class QuantileLoss(Datafit):
    """Pinball loss of the error e = y - y_hat: ell(e) = 0.5 |e| + (tau - 0.5) e (002 Sec. 4).

    The fit models the tau-quantile: a constant fit has a fraction tau of the targets at or
    below it.  In the residual r = -e, ell = 0.5 |r| - (tau - 0.5) r, whose subdifferential is
    {1 - tau} for r > 0, {-tau} for r < 0 and [-tau, 1 - tau] at 0; so ell_i^* is the
    indicator of the box w_i [-tau, 1 - tau] and -L_y^*(lambda) = -lambda^T y there.
    """

    name = "quantile"

    def __init__(self, tau: float = 0.5, weights=None):
        super().__init__(weights)
        self.tau = _check_tau(tau)

    def pointwise(self, r):
        return 0.5 * abs(r) - (self.tau - 0.5) * r

    @property
    def _box(self) -> tuple[float, float]:
        """Per unit weight, the subdifferential range [low, high] of ell at r = 0."""
        return -self.tau, 1.0 - self.tau

    def low(self, n: int) -> np.ndarray:
        return self._box[0] * self._w(n)

    def high(self, n: int) -> np.ndarray:
        return self._box[1] * self._w(n)

    def dual_value(self, lam: np.ndarray, y: np.ndarray) -> float:
        """-L_y^*(lambda) = -lambda^T y, valid for lambda in the box."""
        return -float(lam @ y)

    def dual_domain_scale(self, lam: np.ndarray) -> float:
        """Largest s in [0, 1] with s * lambda in the box (which contains 0 in its interior)."""
        low, high = self.low(lam.size), self.high(lam.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.concatenate([np.where(lam > high, high / lam, 1.0),
                                     np.where(lam < low, low / lam, 1.0)])
        return float(min(1.0, ratios.min(initial=1.0)))

    def clip(self, lam: np.ndarray) -> np.ndarray:
        """lambda clipped into the box (a subgradient of the loss)."""
        return np.clip(lam, self.low(lam.size), self.high(lam.size))

    def _cvxpy_pointwise(self, r):
        import cvxpy as cp

        return 0.5 * cp.abs(r) - (self.tau - 0.5) * r

    def _repr_args(self) -> str:
        return ", ".join(filter(None, [f"tau={self.tau:g}", super()._repr_args()]))


class L1Loss(QuantileLoss):
    """Least absolute deviations ell(e) = |e| = 2 rho_{1/2}(e); ell^* = indicator of w [-1, 1]."""

    name = "l1"

    def __init__(self, weights=None):
        super().__init__(0.5, weights)

    @property
    def _box(self) -> tuple[float, float]:
        return -1.0, 1.0

    def pointwise(self, r):
        return abs(r)

    def _cvxpy_pointwise(self, r):
        import cvxpy as cp

        return cp.abs(r)

    def _repr_args(self) -> str:
        return Datafit._repr_args(self)


class _MarginLoss(Datafit):
    """A classification loss ell_i(u) = phi(y_i u) of the margin m = y u, labels y in {-1, +1}.

    With r = u - y the margin is m = y (r + y).  The conjugate of w phi(y u) in u is
    w phi^*(y l / w), so the dual of 002 Lemma D.16 reads

        max_lambda  -sum_i w_i phi^*(t_i),   t_i = y_i lambda_i / w_i in dom phi^*  (t <= 0),

    with the same constraints 1^T lambda = 0, U^T lambda = 0, ||A^T lambda||_inf <= beta_t
    (002 Sec. 2.8); at the optimum lambda* = dL/du = w y phi'(m).  ``dual_value`` takes the
    labels from its ``y``; the other methods need the labels bound by :meth:`with_targets`.
    """

    smooth = True
    classification = True
    _t_low = -np.inf  # dom phi^* = [_t_low, 0]
    attains_zero = True  # phi(m) = 0 for m large enough (else one class has no finite optimum)

    def __init__(self, weights=None, labels=None):
        super().__init__(weights)
        self.labels = None if labels is None else _check_labels(labels, self.name)

    def with_targets(self, y) -> "Datafit":
        """A copy bound to the labels ``y`` (checked to be -1 or +1)."""
        clone = copy.copy(self)
        clone.labels = _check_labels(y, self.name)
        return clone

    def _y(self, r):
        return _like(self._labels_for(r.shape[-1]), r)

    def _labels_for(self, n: int) -> np.ndarray:
        if self.labels is None:
            raise GaconvexError(
                f"the {self.name} loss depends on the labels, not only on the residual; bind "
                "them first with datafit.with_targets(y) (LassoProblem does this).")
        if self.labels.shape[0] != n:
            raise GaconvexError(f"the {self.name} loss is bound to {self.labels.shape[0]} labels "
                                f"but got {n} residuals; bind the labels of these data.")
        return self.labels

    def margin(self, r):
        """m = y (r + y) = y y_hat (numpy arrays or torch tensors)."""
        y = self._y(r)
        return y * (r + y)

    def pointwise(self, r):
        return self.phi(self.margin(r))

    def gradient(self, r: np.ndarray) -> np.ndarray:
        """dL/du = w y phi'(m): the dual vector lambda of a fit with residual r."""
        return self._w(r.size) * self.labels * self.phi_prime(self.margin(r))

    def hessian(self, r: np.ndarray) -> np.ndarray:
        """d^2 L / du_i^2 = w_i phi''(m_i) (y_i^2 = 1; a generalized Hessian at the hinge's kink)."""
        return self._w(r.size) * self.phi_second(self.margin(r))

    def _t(self, lam: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(y) * lam / self._w(lam.size)

    def dual_value(self, lam: np.ndarray, y: np.ndarray) -> float:
        """-L_y^*(lambda) = -sum_i w_i phi^*(y_i lambda_i / w_i) (-inf outside the domain)."""
        t = self._t(lam, y)
        if np.any(t > 0) or np.any(t < self._t_low):
            return -np.inf
        return -float(np.sum(self._w(lam.size) * self.phi_conjugate(t)))

    def dual_domain_scale(self, lam: np.ndarray) -> float:
        """Largest s in [0, 1] with s t in [_t_low, 0] (0 if some t_i > 0: a cone, scaling
        cannot repair a wrong sign)."""
        t = self._t(lam, self.labels)
        if np.any(t > 0):
            return 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(t < self._t_low, self._t_low / t, 1.0)
        return float(min(1.0, ratios.min(initial=1.0)))

    def project_dual(self, lam: np.ndarray, B: np.ndarray) -> np.ndarray:
        """The minimum-norm change of lambda, on the entries strictly inside dom phi^* only
        (t_i < 0: the samples that pay a loss), that makes B^T lambda = 0; entries with t_i = 0
        (margin beyond the hinge) stay 0, so a solution's small rounding in 1^T lambda never
        pushes lambda out of the cone {y lambda <= 0}."""
        if not B.shape[1]:
            return lam
        t = self._t(lam, self.labels)
        inner = (t < 0) & (t > self._t_low)
        out = lam
        for _ in range(20):  # entries the correction would push out of the domain stay fixed
            if not inner.any():
                return lam
            out = lam.copy()
            out[inner] -= np.linalg.lstsq(B[inner].T, B.T @ lam, rcond=None)[0]
            t_out = self._t(out, self.labels)
            outside = inner & ((t_out > 0) | (t_out < self._t_low))
            if not outside.any():
                return out
            inner &= ~outside
        return out

    def _cvxpy_pointwise(self, r):
        import cvxpy as cp

        return self._cvxpy_phi(cp.multiply(self._labels_for(r.shape[0]), r) + 1.0)

    def _repr_args(self) -> str:
        bound = "" if self.labels is None else f"{self.labels.shape[0]} labels"
        return ", ".join(filter(None, [bound, super()._repr_args()]))


class SquaredHingeLoss(_MarginLoss):
    """Squared hinge phi(m) = 1/2 max(0, 1 - m)^2 of the margin m = y y_hat, y in {-1, +1}.

    phi'(m) = -max(0, 1 - m) (curvature 1); phi^*(t) = t + t^2 / 2 for t <= 0 (+inf for t > 0),
    the general-loss dual of 002 Lemma D.16.
    """

    name = "squared_hinge"
    curvature = 1.0

    @staticmethod
    def phi(m):
        gap = 1.0 - m
        positive = 0.5 * (gap + abs(gap))  # max(0, 1 - m) with operators only (numpy and torch)
        return 0.5 * positive * positive

    @staticmethod
    def phi_prime(m):
        return -np.maximum(1.0 - m, 0.0)

    @staticmethod
    def phi_second(m):
        return (m < 1.0).astype(np.float64)

    @staticmethod
    def phi_conjugate(t):
        return t + 0.5 * t * t

    @staticmethod
    def _cvxpy_phi(m):
        import cvxpy as cp

        return 0.5 * cp.square(cp.pos(1.0 - m))


class LogisticLoss(_MarginLoss):
    """Logistic loss phi(m) = log(1 + exp(-m)) of the margin m = y y_hat, y in {-1, +1}.

    phi'(m) = -1 / (1 + e^m) (curvature 1/4); phi^*(t) = -t log(-t) + (1 + t) log(1 + t) for
    t in [-1, 0] (the negative binary entropy of p = -t), 002 Lemma D.16's general-loss dual.
    """

    name = "logistic"
    curvature = 0.25
    _t_low = -1.0
    attains_zero = False

    @staticmethod
    def phi(m):
        if _is_torch(m):
            import torch

            return torch.nn.functional.softplus(-m)
        return np.logaddexp(0.0, -m)

    @staticmethod
    def phi_prime(m):
        from scipy.special import expit

        return -expit(-m)

    @staticmethod
    def phi_second(m):
        from scipy.special import expit

        return expit(m) * expit(-m)

    @staticmethod
    def phi_conjugate(t):
        from scipy.special import entr

        return -(entr(-t) + entr(1.0 + t))

    @staticmethod
    def _cvxpy_phi(m):
        import cvxpy as cp

        return cp.logistic(-m)


#: name -> datafit class; the one place where loss names are spelled.
DATAFITS = {cls.name: cls for cls in (SquaredLoss, QuantileLoss, L1Loss, SquaredHingeLoss,
                                      LogisticLoss)}
#: The paper's loss (002 eq. (1.2)).
DEFAULT_LOSS = SquaredLoss.name


def _check_tau(tau) -> float:
    if isinstance(tau, bool) or not isinstance(tau, numbers.Real) or not 0.0 < float(tau) < 1.0:
        raise GaconvexError(
            f"tau must be a number strictly between 0 and 1 for the quantile (pinball) loss, got "
            f"{tau!r}; use tau=0.5 for the median (half the l1 loss).")
    return float(tau)


def make_datafit(loss=DEFAULT_LOSS, tau: float = 0.5, weights=None) -> Datafit:
    """The datafit named ``loss`` (a key of :data:`DATAFITS`, or a :class:`Datafit`), with
    ``tau`` for the quantile loss and sample ``weights``."""
    if isinstance(loss, Datafit):
        return loss.with_weights(weights) if weights is not None else loss
    cls = DATAFITS.get(loss) if isinstance(loss, str) else None
    if cls is None:
        raise GaconvexError(
            f"loss must be one of {list(DATAFITS)} (or a Datafit), got {loss!r}; the squared loss "
            "is the paper's default (002 eq. (1.2)), quantile and l1 are the general convex "
            "losses of 002 Lemma D.16, and the classification losses take labels -1 / +1.")
    return cls(tau, weights) if cls is QuantileLoss else cls(weights)


def _check_labels(y, name: str) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    bad = ~np.isin(y, (-1.0, 1.0))
    if bad.any():
        raise GaconvexError(
            f"the {name} loss is a classification loss: targets must be labels -1 or +1, but "
            f"{int(bad.sum())} of {y.size} are not (e.g. {y[bad][0]!r}); map two classes c in "
            "{0, 1} to y = 2 c - 1.")
    return y


def _is_torch(v) -> bool:
    return type(v).__module__.startswith("torch")


def _like(values: np.ndarray, r):
    """``values`` as a tensor on r's device when r is a torch tensor (numpy otherwise)."""
    if _is_torch(r):
        import torch

        return torch.as_tensor(values, dtype=r.dtype, device=r.device)
    return values
