"""Parallel and standard networks on inputs in R^d (``in_features`` = d): the parallel network of
002 eq. (2.3) with W^(i,1) in R^{d x m_1} and the skip term omega^T x, against a numpy forward
pass written out unit by unit and point by point; the conversion of 002 App. A.1 for d = 3;
and the d = 1 networks unchanged (state shapes, random draws, inputs (n,))."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gaconvex._validation import GaconvexError
from gaconvex.networks import (ParallelNetwork, StandardNetwork, penalty, to_standard,
                               training_objective)

from conftest import torch_devices

D = 3
X3 = np.random.default_rng(5).uniform(-2, 2, size=(17, D))
SIGMAS = {"relu": lambda u: np.maximum(u, 0), "abs": np.abs,
          "leaky": lambda u: np.where(u >= 0, u, 0.3 * u),
          "sign": lambda u: np.where(u >= 0, 1.0, -1.0), "threshold": lambda u: (u >= 0) * 1.0}


def _np(t):
    return t.detach().cpu().numpy()


def _nets(device="cpu"):
    """name -> (network on R^3, numpy sigma)."""
    g = torch.Generator().manual_seed(4)
    dn = ParallelNetwork.deep_narrow
    return {
        "relu-L2": (dn(5, 2, "relu", in_features=D, generator=g, device=device), "relu"),
        "leaky-L3-skip": (dn(4, 3, ("leaky_relu", 0.3), skip=True, in_features=D, generator=g,
                             device=device), "leaky"),
        "abs-L4-skip": (dn(3, 4, "abs", skip=True, in_features=D, generator=g, device=device),
                        "abs"),
        "sign-L2": (dn(4, 2, "sign", in_features=D, generator=g, device=device), "sign"),
        "threshold-L2-skip": (dn(4, 2, "threshold", skip=True, in_features=D, generator=g,
                                 device=device), "threshold"),
        "symmetrized-skip": (ParallelNetwork.symmetrized(4, "relu", skip=True, in_features=D,
                                                         generator=g, device=device), "relu"),
    }


def _with_random_xi_omega(net, seed=0):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        if net.intercept:
            net.xi.fill_(float(rng.normal()))
        if net.omega is not None:
            net.omega.copy_(torch.as_tensor(rng.normal(size=net.omega.shape)))
    return net


def _hand_forward(net, X, sigma):
    """f(x) = xi + sum_i alpha_i s_i X^(i,L)(x) + sum_j omega_j x_j, one unit and point at a time:
    X^(i,1) = x (a 1 x d row), X^(i,l+1) = sigma(X^(i,l) W^(i,l) + b^(i,l))."""
    Ws, bs = [_np(W) for W in net.weights], [_np(b) for b in net.biases]
    s = np.ones(net.n_units) if net.amplitude is None else _np(net.amplitude)
    alpha = _np(net.alpha)
    out = np.empty(len(X))
    for n, x in enumerate(X):
        total = _np(net.xi).item()
        for i in range(net.n_units):
            h = x[None, :]
            for W, b in zip(Ws, bs):
                h = sigma(h @ W[i] + b[i])
            total += alpha[i] * s[i] * h[0, 0]
        if net.omega is not None:
            total += sum(_np(net.omega)[j] * x[j] for j in range(len(x)))
        out[n] = total
    return out


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("name", list(_nets()))
def test_d3_network_matches_a_hand_written_forward_pass(name, device):
    """002 eq. (2.3) on R^3: outputs, and objective (1.1) with W^(i,1) penalized as a whole
    (Frobenius norm of the 3 x m_1 matrix)."""
    net, sigma = _nets(device)[name]
    net = _with_random_xi_omega(net)
    assert net.weights[0].shape == (net.n_units, D, net.widths[0])
    expected = _hand_forward(net, X3, SIGMAS[sigma])
    np.testing.assert_allclose(_np(net(X3)), expected, rtol=1e-13, atol=1e-13)
    y, beta, L = np.sin(X3.sum(1)), 0.1, net.effective_depth
    norms = ([_np(net.alpha), _np(net.amplitude)] if net.amplitude is not None else
             [_np(net.alpha)] + [np.linalg.norm(_np(W).reshape(net.n_units, -1), axis=1)
                                 for W in net.weights])
    objective = 0.5 * np.sum((expected - y) ** 2) + beta / L * sum(
        np.sum(np.abs(q) ** L) for q in norms)
    assert training_objective(net, X3, y, beta).item() == pytest.approx(objective, rel=1e-12)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("name", list(_nets()))
def test_d3_parallel_to_standard_gives_identical_outputs(name, device):
    """002 App. A.1 for d = 3: W^(1) = [W^(1,1) ... W^(m,1)] is 3 x m m_1; same function, the
    same penalty for L~ = 2 only."""
    net = _with_random_xi_omega(_nets(device)[name][0], seed=1)
    std = to_standard(net)
    assert std.in_features == D and std.weights[0].shape == (D, net.n_units * net.widths[0])
    np.testing.assert_allclose(_np(std(X3)), _np(net(X3)), rtol=0, atol=1e-13)
    same_penalty = torch.isclose(penalty(std, 0.1), penalty(net, 0.1), rtol=1e-12)
    assert bool(same_penalty) == (net.effective_depth == 2)


def test_inputs_must_match_in_features():
    net3 = ParallelNetwork.deep_narrow(2, 2, "relu", in_features=3)
    net1 = ParallelNetwork.deep_narrow(2, 2, "relu")
    for bad in (np.zeros(5), np.zeros((5, 2)), np.zeros((5, 3, 1))):
        with pytest.raises(GaconvexError, match=r"shape \(n, 3\) for in_features = 3"):
            net3(bad)
    with pytest.raises(GaconvexError, match=r"\(n,\) or \(n, 1\) for in_features = 1.*\(5, 3\)"):
        net1(np.zeros((5, 3)))
    with pytest.raises(GaconvexError, match=r"\(n, 3\)"):
        to_standard(net3)(np.zeros(5))


def test_state_shapes_for_d1_are_unchanged_and_grow_with_d():
    """d = 1 keeps the state of the 1-D networks (W_1 (m, 1, m_1), omega a scalar per network),
    d = 3 gives W_1 (m, 3, m_1) and omega (3,), also stacked over a batch."""
    one = ParallelNetwork.deep_narrow(4, 3, "relu", skip=True).state_dict()
    three = ParallelNetwork.symmetrized(4, "relu", skip=True, in_features=3).state_dict()
    assert one["weight_1"].shape == (4, 1, 1) and one["omega"].shape == ()
    assert three["pattern_1"].shape == (4, 3, 2) and three["scale_1"].shape == (4,)
    assert three["omega"].shape == (3,) and three["bias_1"].shape == (4, 1, 2)
    batch = ParallelNetwork.stack([ParallelNetwork.deep_narrow(2, 2, "abs", skip=True,
                                                               in_features=3)] * 2)
    assert batch.omega.shape == (2, 3) and batch.weights[0].shape == (2, 2, 3, 1)


def test_d1_random_draws_are_unchanged():
    """deep_narrow with in_features = 1 draws exactly what it drew before d-dimensional inputs:
    per layer W U(-1, 1) then b U(-1, 1) * bias_scale, then alpha U(-1/sqrt m, 1/sqrt m)."""
    m, scale = 5, 2.0
    net = ParallelNetwork.deep_narrow(m, 3, "relu", bias_scale=scale,
                                      generator=torch.Generator().manual_seed(9))
    g = torch.Generator().manual_seed(9)

    def uniform(*shape):
        return 2 * torch.rand(*shape, generator=g, dtype=torch.float64) - 1

    for W, b in zip(net.weights, net.biases):
        torch.testing.assert_close(W, uniform(m, 1, 1), rtol=0, atol=0)
        torch.testing.assert_close(b, uniform(m, 1, 1) * scale, rtol=0, atol=0)
    torch.testing.assert_close(net.alpha.detach(), uniform(m) / math.sqrt(m), rtol=0, atol=0)


def test_first_layer_uses_the_fan_in_bound():
    """PyTorch's nn.Linear bound 1/sqrt(fan_in): W_1 and b_1 ~ U(-1/sqrt d, 1/sqrt d) (b_1 times
    bias_scale); later width-1 layers U(-1, 1). With 4000 units the extremes reach the bound."""
    d, m = 9, 4000
    net = ParallelNetwork.deep_narrow(m, 3, "relu", in_features=d, bias_scale=3.0,
                                      generator=torch.Generator().manual_seed(0))
    (W1, W2), (b1, _) = net.weights, net.biases
    for t, bound in ((W1, 1 / 3), (b1, 1.0), (W2, 1.0)):
        t = _np(t)
        assert np.abs(t).max() <= bound and np.abs(t).max() > 0.99 * bound
        assert np.mean(t ** 2) == pytest.approx(bound ** 2 / 3, rel=0.05)  # Var U(-c, c) = c^2/3


def test_from_units_infers_in_features_and_checks_omega():
    """from_units reads d from W_1's first dimension; omega needs d entries."""
    rng = np.random.default_rng(2)
    units = [[(rng.normal(size=(3, 2)), rng.normal(size=(1, 2))),
              (rng.normal(size=(2, 1)), rng.normal(size=(1, 1)))] for _ in range(4)]
    alpha, omega = rng.normal(size=4), rng.normal(size=3)
    net = ParallelNetwork.from_units(units, alpha, "relu", xi=0.5, omega=omega)
    assert net.in_features == 3 and net.widths == (2, 1) and net.omega.shape == (3,)
    expected = [0.5 + omega @ x + sum(a * np.maximum(np.maximum(x @ u[0][0] + u[0][1], 0)
                                                     @ u[1][0] + u[1][1], 0)[0, 0]
                                      for a, u in zip(alpha, units)) for x in X3]
    np.testing.assert_allclose(_np(net(X3)), expected, rtol=1e-13)
    with pytest.raises(GaconvexError, match=r"omega must hold one skip weight.*in_features = 3"):
        ParallelNetwork.from_units(units, alpha, "relu", omega=1.0)
    bad = units[:3] + [[(rng.normal(size=(2, 2)), np.zeros((1, 2))), units[0][1]]]
    with pytest.raises(GaconvexError, match=r"layer 1 of the units has \(W, b\) shapes"):
        ParallelNetwork.from_units(bad, alpha, "relu")
    with pytest.raises(GaconvexError, match="same number of layers"):
        ParallelNetwork.from_units(units[:3] + [units[0][:1]], alpha, "relu")
    with pytest.raises(GaconvexError, match="omega must hold"):
        StandardNetwork("relu", [np.ones((3, 1))], [np.zeros((1, 1))], np.ones(1), omega=[1, 2])


def test_structure_operations_work_in_d3():
    """select / stack, concatenate (f = f_1 + f_2, omega adds), units, rescale_units and
    balanced keep the function in R^3; stack refuses mixed input dimensions."""
    nets = _nets()
    a = _with_random_xi_omega(nets["leaky-L3-skip"][0], seed=3)
    b = _with_random_xi_omega(ParallelNetwork.deep_narrow(
        2, 3, ("leaky_relu", 0.3), skip=True, in_features=D,
        generator=torch.Generator().manual_seed(8)), seed=4)
    batch = ParallelNetwork.stack([a, a.balanced()])
    torch.testing.assert_close(batch(X3)[1], a(X3), rtol=0, atol=1e-12)
    torch.testing.assert_close(batch.select(0)(X3), a(X3), rtol=0, atol=0)
    joined = ParallelNetwork.concatenate([a, b])
    torch.testing.assert_close(joined(X3), a(X3) + b(X3), rtol=0, atol=1e-12)
    assert joined.in_features == D
    twice = a.units([0, 0])
    torch.testing.assert_close(twice(X3) - _np_tensor(_skip_and_xi(a)),
                               2 * (a.units([0])(X3) - _np_tensor(_skip_and_xi(a))),
                               rtol=0, atol=1e-12)
    c = np.full((a.n_units, a.depth - 1), 1.7)
    scaled = a.rescale_units(np.ones(a.n_units) / 1.7 ** (a.depth - 1), layer_scales=c)
    torch.testing.assert_close(scaled(X3), a(X3), rtol=0, atol=1e-12)
    assert penalty(a.balanced(), 1.0) <= penalty(a, 1.0) + 1e-12
    with pytest.raises(GaconvexError, match="in_features"):
        ParallelNetwork.stack([a, ParallelNetwork.deep_narrow(4, 3, ("leaky_relu", 0.3),
                                                              skip=True)])


def _skip_and_xi(net):
    """xi + omega^T x on X3, by numpy."""
    return _np(net.xi).item() + X3 @ _np(net.omega)


def _np_tensor(a):
    return torch.as_tensor(a, dtype=torch.float64)
