"""The non-convex training objective (002 eq. 1.1).

    J(theta) = 1/2 ||f_L(X; theta) - y||_2^2 + (beta / L~) sum_{q in theta_w} ||q||_2^L~

with L~ = L, or 2 for sign-determined activations (002 Remark D.1), theta_w the output weights,
the inner weight tensors (whole, Frobenius) and, for sign/threshold, the amplitudes instead of
the inner weights (002 Def. D.2).  Biases, xi and omega are not penalized.
"""
from __future__ import annotations

import torch

from .modules import DTYPE

__all__ = ["penalty", "data_fit", "training_objective"]


def penalty(net, beta) -> torch.Tensor:
    """(beta / L~) sum_q ||q||_2^L~ over theta_w (002 eq. 1.1); shape ``net.batch_shape``."""
    sq = net.penalized_sq_norms()
    per_net = sq.pow(net.effective_depth / 2).flatten(start_dim=len(net.batch_shape)).sum(-1)
    return beta / net.effective_depth * per_net


def data_fit(net, x, y) -> torch.Tensor:
    """1/2 ||f_L(X) - y||_2^2; shape ``net.batch_shape``."""
    f = net(x)
    y = torch.as_tensor(y, dtype=DTYPE, device=f.device).reshape(-1)
    return 0.5 * ((f - y) ** 2).sum(-1)


def training_objective(net, x, y, beta) -> torch.Tensor:
    """Objective (1.1) of ``net`` (a ParallelNetwork, batched or not, or a StandardNetwork) on
    data (x, y) with regularization ``beta`` > 0; differentiable, shape ``net.batch_shape``."""
    return data_fit(net, x, y) + penalty(net, beta)
