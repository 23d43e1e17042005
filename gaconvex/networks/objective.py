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


def penalty(net, beta) -> torch.Tensor:
    """(beta / L~) sum_q ||q||_2^L~ over theta_w (002 eq. 1.1); shape ``net.batch_shape``."""
    sq = net.penalized_sq_norms()
    per_net = sq.pow(net.effective_depth / 2).flatten(start_dim=len(net.batch_shape)).sum(-1)
    return beta / net.effective_depth * per_net


def data_fit(net, x, y, *, sample_weight=None, loss=DEFAULT_LOSS, tau: float = 0.5) -> torch.Tensor:
    """sum_i w_i ell(y_i - f_L(x_i)) (1/2 ||f_L(X) - y||^2 by default); shape ``net.batch_shape``."""
    f = net(x)
    n = f.shape[-1]
    y = torch.as_tensor(y, dtype=DTYPE, device=f.device).reshape(-1)
    if y.shape[0] != n:
        raise GaconvexError(f"y has {y.shape[0]} entries but there are {n} inputs; pass one target "
                            "per input.")
    datafit = make_datafit(loss, tau)
    terms = datafit.pointwise(f - y)
    if sample_weight is not None:
        w = torch.as_tensor(sample_weight, dtype=DTYPE, device=f.device).reshape(-1)
        if w.shape[0] != n:
            raise GaconvexError(f"sample_weight has {w.shape[0]} entries for {n} inputs.")
        terms = terms * w
    return terms.sum(-1)


def training_objective(net, x, y, beta, *, sample_weight=None, loss=DEFAULT_LOSS,
                       tau: float = 0.5) -> torch.Tensor:
    """Objective (1.1) of ``net`` (a ParallelNetwork, batched or not, or a StandardNetwork) on
    data (x, y) with regularization ``beta`` >= 0, sample weights and loss as in
    :func:`data_fit`; differentiable, shape ``net.batch_shape``."""
    if not beta >= 0:
        raise GaconvexError(f"beta must be >= 0, got {beta!r}.")
    return data_fit(net, x, y, sample_weight=sample_weight, loss=loss, tau=tau) + penalty(net, beta)
