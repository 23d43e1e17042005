"""Two-layer networks with c outputs ("From Complexity to Clarity" 001 eq. (39), Thm 14).

    f(x) = sum_j sigma(<W1_j, x> + b1_j) W2_j + xi,    W1_j in R^d, W2_j in R^c, xi in R^c,

trained with the objective (the lambda/2 convention of spec 001 Sec. 0 item 1; l_p first
layer, l_2 output rows: the group norm of Thm 14, spec 001 Sec. 3.2 row L [AMBIGUOUS (39)])

    J = 1/2 sum_i w_i ||f(x_i) - y_i||_2^2 + (beta / 2) sum_j (||W1_j||_p^2 + ||W2_j||_2^2).

Balancing each unit (||W1_j||_p = ||W2_j||_2, 001 (98)) turns the penalty into
beta sum_j ||W1_j||_p ||W2_j||_2, so a group Lasso solution Z (rows Z_k, unit neurons
||w_k||_p = 1) gives the network W1_k = sqrt||Z_k|| w_k, b1_k = sqrt||Z_k|| b_k,
W2_k = Z_k / sqrt||Z_k|| with J equal to the group Lasso objective at
beta~ = ``architecture.beta_tilde(beta)`` (:func:`reconstruct_vector`).  Restarts are a batch
dimension, as in :mod:`.training` (:func:`train_vector_output`).
"""
from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from gaconvex._validation import GaconvexError

from .modules import DTYPE, _tensor, activation_function

__all__ = ["VectorOutputNetwork", "reconstruct_vector", "train_vector_output"]


class VectorOutputNetwork(nn.Module):
    """f(x) = sum_j sigma(x W1_j + b1_j) W2_j + xi (module docstring), batched over restarts.

    Parameters (shapes with an optional batch prefix B): W1 (*B, m, d), b1 (*B, m),
    W2 (*B, m, c), xi (*B, c).  ``bias`` / ``intercept`` False freeze b1 / xi at their given
    values (bias-free networks of 001 Thms 4, 14: zero).
    """

    def __init__(self, activation, W1, b1, W2, xi, *, bias: bool = True, intercept: bool = True,
                 device="cpu"):
        super().__init__()
        self.activation = activation
        self.W1 = nn.Parameter(_tensor(W1, device))
        self.b1 = nn.Parameter(_tensor(b1, device), requires_grad=bool(bias))
        self.W2 = nn.Parameter(_tensor(W2, device))
        self.xi = nn.Parameter(_tensor(xi, device), requires_grad=bool(intercept))
        if self.W1.shape[:-1] != self.b1.shape or self.W2.shape[:-1] != self.b1.shape:
            raise GaconvexError(f"W1 {tuple(self.W1.shape)}, b1 {tuple(self.b1.shape)} and W2 "
                                f"{tuple(self.W2.shape)} must share their (*batch, m) prefix.")
        self.bias, self.intercept = bool(bias), bool(intercept)

    @property
    def n_units(self) -> int:
        return self.W1.shape[-2]

    @property
    def n_outputs(self) -> int:
        return self.W2.shape[-1]

    @property
    def batch_shape(self) -> tuple:
        return tuple(self.W1.shape[:-2])

    @classmethod
    def random(cls, activation, m: int, d: int, c: int, *, restarts: int | None = None,
               bias: bool = True, intercept: bool = True, generator=None, device="cpu"):
        """PyTorch's default nn.Linear initialization, U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        for ``restarts`` networks (batch dimension) or one."""
        B = () if restarts is None else (int(restarts),)

        def uniform(*shape, fan_in):
            u = torch.rand(*B, *shape, dtype=DTYPE, generator=generator)
            return (2 * u - 1) / np.sqrt(fan_in)

        b1 = uniform(m, fan_in=d) if bias else torch.zeros(*B, m, dtype=DTYPE)
        xi = uniform(c, fan_in=m) if intercept else torch.zeros(*B, c, dtype=DTYPE)
        return cls(activation, uniform(m, d, fan_in=d), b1, uniform(m, c, fan_in=m), xi,
                   bias=bias, intercept=intercept, device=device)

    def forward(self, x) -> torch.Tensor:
        """f(X): (*batch, n, c) for points x (n, d)."""
        x = _tensor(x, self.W1.device)
        x = x[:, None] if x.ndim == 1 else x
        hidden = activation_function(self.activation,
                                     x @ self.W1.transpose(-1, -2) + self.b1[..., None, :])
        return hidden @ self.W2 + self.xi[..., None, :]

    def penalty(self, beta, *, norm: int = 1) -> torch.Tensor:
        """(beta / 2) sum_j ||W1_j||_p^2 + ||W2_j||_2^2 (module docstring): (*batch,)."""
        if norm not in (1, 2):
            raise GaconvexError(f"norm must be 1 or 2 (p of the first-layer penalty), got "
                                f"{norm!r}.")
        first = self.W1.abs().sum(-1) ** 2 if norm == 1 else (self.W1 ** 2).sum(-1)
        return beta / 2 * (first + (self.W2 ** 2).sum(-1)).sum(-1)

    def objective(self, x, Y, beta, *, sample_weight=None, norm: int = 1) -> torch.Tensor:
        """1/2 sum_i w_i ||f(x_i) - y_i||^2 + penalty: the training objective, (*batch,)."""
        Y = _tensor(Y, self.W1.device)
        R = self(x) - Y
        sq = (R * R).sum(-1)
        if sample_weight is not None:
            sq = sq * _tensor(sample_weight, self.W1.device)
        return 0.5 * sq.sum(-1) + self.penalty(beta, norm=norm)

    def select(self, index: int) -> "VectorOutputNetwork":
        """Restart ``index`` of a batched network, as an unbatched one."""
        return VectorOutputNetwork(self.activation, self.W1[index].detach(),
                                   self.b1[index].detach(), self.W2[index].detach(),
                                   self.xi[index].detach(), bias=self.bias,
                                   intercept=self.intercept, device=self.W1.device)

    def extra_repr(self) -> str:
        return (f"{self.activation.name}, m={self.n_units}, d={self.W1.shape[-1]}, "
                f"c={self.n_outputs}, bias={self.bias}, intercept={self.intercept}"
                + (f", batch={self.batch_shape}" if self.batch_shape else ""))


def reconstruct_vector(dictionary, solution, *, device="cpu") -> VectorOutputNetwork:
    """The c-output network of a group Lasso solution (module docstring; 001 Thm 14).

    Each row k with Z_k != 0 becomes one unit: the column's unit neuron (w_k, b_k)
    (``family.unit``: one layer, ||w_k||_p = 1) scaled by sqrt(||Z_k|| ||w_k||_p) / ||w_k||_p
    and output weights Z_k scaled to the same norm, so both halves of the penalty are equal
    (001 (98)); xi = the solution's intercept.  Needs a 2-layer architecture of a positively
    homogeneous activation without skip connection.
    """
    arch = dictionary.architecture
    if arch.depth != 2 or arch.skip or not arch.activation.is_homogeneous:
        raise GaconvexError(
            f"vector-output networks are rebuilt for 2-layer networks of a positively "
            f"homogeneous activation without skip connection (001 Thm 14); got {arch}. Fit one "
            "output column at a time for this architecture.")
    Z = np.asarray(solution.Z, dtype=np.float64)
    support = np.flatnonzero(np.linalg.norm(Z, axis=1) > 0)
    if support.size == 0:
        raise GaconvexError("the group Lasso solution is Z = 0: the network is the constant xi* "
                            "(beta~ >= beta_max); lower beta to get units.")
    W1, b1 = [], []
    for k in support:
        info = dictionary.column_info(int(k))
        (layer,) = info.family.unit(info.anchor_values, info.signs)
        W, b = (np.asarray(a, dtype=np.float64).reshape(-1) for a in layer)
        W1.append(W)
        b1.append(b[0])
    W1, b1 = np.array(W1), np.array(b1)
    in_norm = np.linalg.norm(W1, ord=arch.norm, axis=1)
    out_norm = np.linalg.norm(Z[support], axis=1)
    gamma = np.sqrt(in_norm * out_norm)
    scale = gamma / in_norm
    W2 = Z[support] * (gamma / out_norm)[:, None]
    xi = np.asarray(solution.xi, dtype=np.float64).reshape(-1)
    return VectorOutputNetwork(arch.activation, W1 * scale[:, None], b1 * scale, W2, xi,
                               bias=arch.bias, intercept=arch.has_free_intercept, device=device)


def train_vector_output(X, Y, beta, *, activation="relu", m: int = 24, restarts: int = 6,
                        steps: int = 6000, lr: float = 1e-2, seed: int = 0, norm: int = 1,
                        bias: bool = True, schedule: str = "cosine", device="cpu"):
    """Full-batch Adam on the vector-output objective (module docstring) from ``restarts``
    random starts at once (a batch dimension; the restarts share no parameters, so this is
    ``restarts`` independent runs).  Returns (objectives (R,), the batched network, seconds).
    """
    from gaconvex.symbolic import get_activation

    from .training import _check_options, _optimize

    steps = _check_options("adam", schedule, beta, lr, steps, restarts)
    act = get_activation(activation) if isinstance(activation, str) else activation
    X = np.asarray(X, dtype=np.float64)
    X = X[:, None] if X.ndim == 1 else X
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise GaconvexError(f"Y must be (n, c) with n = {X.shape[0]} rows, got {Y.shape}.")
    device = torch.device(device)
    gen = torch.Generator().manual_seed(int(seed))
    net = VectorOutputNetwork.random(act, m, X.shape[1], Y.shape[1], restarts=restarts,
                                     bias=bias, intercept=bias, generator=gen, device=device)
    xt, yt = _tensor(X, device), _tensor(Y, device)
    params = [q for q in net.parameters() if q.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    start = time.perf_counter()
    _, final = _optimize(lambda: net.objective(xt, yt, beta, norm=norm), opt, steps, schedule,
                         net.batch_shape, device)  # (one intra-op thread on the CPU)
    return final, net, time.perf_counter() - start
