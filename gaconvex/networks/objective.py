"""The non-convex training objective (002 eq. 1.1), with sample weights and general losses.

    J(theta) = sum_i w_i ell(y_i - f_L(x_i; theta)) + (beta / L~) sum_{q in theta_w} ||q||_2^L~

with ell(e) = e^2 / 2 by default (002 eq. 1.1; the pinball and l1 losses of 002 Lemma D.16 and
Sec. 4 through :mod:`gaconvex.solvers.datafits`), weights w_i = 1 unless given, L~ = L or 2 for
sign-determined activations (002 Remark D.1), and theta_w the output weights, the inner weight
tensors (whole, Frobenius) and, for sign/threshold, the amplitudes instead of the inner weights
(002 Def. D.2).  Biases, xi and omega are not penalized.
"""
from __future__ import annotations

import torch

from gaconvex._validation import GaconvexError
from gaconvex.solvers.datafits import DEFAULT_LOSS, make_datafit

from .modules import DTYPE

__all__ = ["penalty", "data_fit", "training_objective"]


def penalty(net, beta, *, norm: int = 2) -> torch.Tensor:
    """(beta / L~) sum_q ||q||_p^L~ over theta_w (002 eq. 1.1); shape ``net.batch_shape``.

    ``norm`` = p of each weight tensor W^(i,l) (entrywise; alpha is a scalar): 2 is weight
    decay; 1 is the l1 first layer of 001 eq. (2), (beta / 2) sum_j ||W1_j||_1^2 + alpha_j^2 at
    L = 2 (the Lasso with beta~ = beta, spec 001 Sec. 0 item 1), parallel networks only.
    """
    sq = _penalized_sq_norms(net, norm)
    per_net = sq.pow(net.effective_depth / 2).flatten(start_dim=len(net.batch_shape)).sum(-1)
    return beta / net.effective_depth * per_net


def _penalized_sq_norms(net, norm: int) -> torch.Tensor:
    """||q||_p^2 per unit and penalized tensor (*batch, m, Q): ``net.penalized_sq_norms()``
    for p = 2; for p = 1 the squared entrywise l1 norms of alpha_i and each W^(i,l)."""
    if norm == 2:
        return net.penalized_sq_norms()
    if norm != 1:
        raise GaconvexError(f"norm must be 1 or 2 (p of the weight penalty), got {norm!r}.")
    if getattr(net, "amplitude", None) is not None or not hasattr(net, "n_units"):
        raise GaconvexError("norm=1 penalizes the l1 norm of each unit's weights: it needs a "
                            "ParallelNetwork of a homogeneous activation (001 eq. (2)).")
    terms = [net.alpha ** 2] + [W.abs().sum((-2, -1)) ** 2 for W in net.weights]
    return torch.stack(terms, dim=-1)


def data_fit(net, x, y, *, sample_weight=None, loss=DEFAULT_LOSS, tau: float = 0.5) -> torch.Tensor:
    """sum_i w_i ell(y_i - f_L(x_i)) (1/2 ||f_L(X) - y||^2 by default); shape ``net.batch_shape``."""
    f = net(x)
    n = f.shape[-1]
    y = torch.as_tensor(y, dtype=DTYPE, device=f.device).reshape(-1)
    if y.shape[0] != n:
        raise GaconvexError(f"y has {y.shape[0]} entries but there are {n} inputs; pass one target "
                            "per input.")
    datafit = make_datafit(loss, tau).with_targets(y.detach().cpu().numpy())
    terms = datafit.pointwise(f - y)
    if sample_weight is not None:
        w = torch.as_tensor(sample_weight, dtype=DTYPE, device=f.device).reshape(-1)
        if w.shape[0] != n:
            raise GaconvexError(f"sample_weight has {w.shape[0]} entries for {n} inputs.")
        terms = terms * w
    return terms.sum(-1)


def training_objective(net, x, y, beta, *, sample_weight=None, loss=DEFAULT_LOSS,
                       tau: float = 0.5, norm: int = 2) -> torch.Tensor:
    """Objective (1.1) of ``net`` (a ParallelNetwork, batched or not, or a StandardNetwork) on
    data (x, y) with regularization ``beta`` >= 0, sample weights and loss as in
    :func:`data_fit` and the weight norm p = ``norm`` of :func:`penalty` (``architecture.norm``);
    differentiable, shape ``net.batch_shape``."""
    if not beta >= 0:
        raise GaconvexError(f"beta must be >= 0, got {beta!r}.")
    return (data_fit(net, x, y, sample_weight=sample_weight, loss=loss, tau=tau)
            + penalty(net, beta, norm=norm))
