"""Training objective (1.1) of 002 against hand computations with numpy loops."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gaconvex.networks import ParallelNetwork, training_objective

from conftest import torch_devices

BETA = 0.07


def _np(t):
    return t.detach().cpu().numpy()


def _hand_forward(net, x, sigma):
    """f(x) = xi + sum_i alpha_i s_i X^(i,L)(x) + omega x, one unit and one point at a time."""
    Ws, bs = [_np(W) for W in net.weights], [_np(b) for b in net.biases]
    s = np.ones(net.n_units) if net.amplitude is None else _np(net.amplitude)
    out = np.full(x.size, _np(net.xi).item())
    for n, xn in enumerate(x):
        for i in range(net.n_units):
            h = np.array([[xn]])
            for W, b in zip(Ws, bs):
                h = sigma(h @ W[i] + b[i])
            out[n] += _np(net.alpha)[i] * s[i] * h[0, 0]
    if net.omega is not None:
        out += _np(net.omega).item() * x
    return out


@pytest.mark.parametrize("device", torch_devices())
def test_deep_narrow_objective_by_hand(device):
    """Deep narrow L = 3 ReLU (spec Sec. 1.7): 1/2||f - y||^2 + (beta/3) sum_i (|alpha_i|^3 +
    |W^(i,1)|^3 + |W^(i,2)|^3); biases, xi, omega unpenalized."""
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, 7), rng.standard_normal(7)
    net = ParallelNetwork.deep_narrow(4, 3, "relu", skip=True, device=device,
                                      generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        net.xi.fill_(0.3)
        net.omega.fill_(-0.2)
    f = _hand_forward(net, x, lambda u: np.maximum(u, 0))
    W1, W2, a = (_np(t).ravel() for t in (net.weights[0], net.weights[1], net.alpha))
    expected = 0.5 * np.sum((f - y) ** 2) + BETA / 3 * np.sum(
        np.abs(a) ** 3 + np.abs(W1) ** 3 + np.abs(W2) ** 3)
    assert training_objective(net, x, y, BETA).item() == pytest.approx(expected, rel=1e-13)


def test_symmetrized_objective_by_hand():
    """Symmetrized (spec Sec. 1.7): (beta/3) sum_i (|alpha_i|^3 + ||W^(i,1)||_2^3 +
    ||W^(i,2)||_2^3) with whole-tensor Euclidean norms."""
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-2, 2, 6), rng.standard_normal(6)
    net = ParallelNetwork.symmetrized(3, "relu", generator=torch.Generator().manual_seed(2))
    f = _hand_forward(net, x, lambda u: np.maximum(u, 0))
    norms = [np.linalg.norm(_np(W).reshape(3, -1), axis=1) for W in net.weights]
    expected = 0.5 * np.sum((f - y) ** 2) + BETA / 3 * np.sum(
        np.abs(_np(net.alpha)) ** 3 + norms[0] ** 3 + norms[1] ** 3)
    assert training_objective(net, x, y, BETA).item() == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("activation", ["sign", "threshold"])
def test_sign_determined_objective_by_hand(activation):
    """Sign/threshold (002 Remark D.1, Def. D.2): L~ = 2 and only alpha and the amplitudes
    are penalized, (beta/2) sum_i (alpha_i^2 + s_i^2); inner weights are free."""
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-2, 2, 6), rng.standard_normal(6)
    net = ParallelNetwork.deep_narrow(5, 2, activation, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        net.amplitude.uniform_(0.5, 2.0)
        net.weight_1.mul_(100.0)  # inner weights must not change the objective
    low = 0.0 if activation == "threshold" else -1.0
    f = _hand_forward(net, x, lambda u: np.where(u >= 0, 1.0, low))
    expected = 0.5 * np.sum((f - y) ** 2) + BETA / 2 * np.sum(
        _np(net.alpha) ** 2 + _np(net.amplitude) ** 2)
    assert training_objective(net, x, y, BETA).item() == pytest.approx(expected, rel=1e-13)


def test_classification_losses_bind_the_labels_and_match_the_lasso():
    """A classification fit (squared hinge of the margin y y_hat, labels -1/+1) on tied inputs:
    the rebuilt network's training objective on the user's points equals ConvexFit.objective,
    so data_fit binds the labels it is given instead of refusing the loss."""
    import gaconvex.symbolic as gs
    from gaconvex import convex_fit
    from gaconvex.solvers.datafits import SquaredHingeLoss

    rng = np.random.default_rng(5)
    x = np.round(rng.uniform(-2, 2, 30), 1)  # ties, some with both labels
    t = np.where(np.abs(x) < 1, 1.0, -1.0)
    t[:3] = -t[:3]
    fit = convex_fit(x, t, gs.architecture("relu", 2), 1e-2, loss=SquaredHingeLoss.name,
                     solver="reference")
    assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-8)
