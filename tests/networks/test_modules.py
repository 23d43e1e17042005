"""Parallel and standard networks (002 Sec. 2, eq. 2.2-2.3, App. A.1; claim C23)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gaconvex._validation import GaconvexError
from gaconvex.networks import (ParallelNetwork, penalty, to_standard, training_objective)

from conftest import torch_devices

X = np.linspace(-3, 3, 41)


def _random_nets(device="cpu"):
    g = torch.Generator().manual_seed(11)
    return {
        "relu-L2": ParallelNetwork.deep_narrow(5, 2, "relu", generator=g, device=device),
        "leaky-L3-skip": ParallelNetwork.deep_narrow(4, 3, ("leaky_relu", 0.3), skip=True,
                                                     generator=g, device=device),
        "abs-L4": ParallelNetwork.deep_narrow(3, 4, "abs", generator=g, device=device),
        "sign-L2": ParallelNetwork.deep_narrow(4, 2, "sign", generator=g, device=device),
        "threshold-L2": ParallelNetwork.deep_narrow(4, 2, "threshold", generator=g,
                                                    device=device),
        "symmetrized": ParallelNetwork.symmetrized(4, "relu", generator=g, device=device),
    }


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("name", list(_random_nets()))
def test_parallel_to_standard_gives_identical_outputs(name, device):
    """C23 (002 App. A.1, indices corrected to m_L): the standard net with W^(1) = [W^(i,1)],
    stacked biases and blockdiag W^(l) computes the same function; for L = 2 the penalty (1.1)
    is the same, for L >= 3 the whole-matrix norms make it differ."""
    net = _random_nets(device)[name]
    std = to_standard(net)
    np.testing.assert_allclose(std(X).detach().cpu().numpy(), net(X).detach().cpu().numpy(),
                               rtol=0, atol=1e-13)
    same_penalty = torch.isclose(penalty(std, 0.1), penalty(net, 0.1), rtol=1e-12)
    assert bool(same_penalty) == (net.effective_depth == 2)


@pytest.mark.parametrize("device", torch_devices())
def test_forward_shapes_and_batching(device):
    """Inputs (n,) or (n, 1) give (n,); a stack of R networks gives (R, n), row r equal to
    network r, and select(r) recovers it exactly."""
    nets = [ParallelNetwork.deep_narrow(3, 3, "abs", generator=torch.Generator().manual_seed(s),
                                        device=device) for s in range(4)]
    assert nets[0](X).shape == (X.size,) and nets[0](X[:, None]).shape == (X.size,)
    batch = ParallelNetwork.stack(nets)
    assert batch.batch_shape == (4,) and batch(X).shape == (4, X.size)
    for r, net in enumerate(nets):
        torch.testing.assert_close(batch(X)[r], net(X), rtol=0, atol=0)
        torch.testing.assert_close(batch.select(r)(X), net(X), rtol=0, atol=0)
    with pytest.raises(GaconvexError, match="shape"):
        nets[0](np.zeros((3, 2)))


def test_batched_objective_is_per_network():
    """Objective (1.1) of a stacked network is the vector of the members' objectives."""
    nets = list(_random_nets().values())[:1] * 2 + [ParallelNetwork.deep_narrow(
        5, 2, "relu", generator=torch.Generator().manual_seed(3))]
    y = np.cos(X)
    batch = ParallelNetwork.stack(nets)
    expected = torch.stack([training_objective(n, X, y, 0.2) for n in nets])
    torch.testing.assert_close(training_objective(batch, X, y, 0.2), expected, rtol=1e-14,
                               atol=0)


def test_symmetrized_constraint_survives_training():
    """002 Sec. 3: |W_1^(i,l)| = |W_2^(i,l)| is enforced by the tied parametrization (fixed
    +-1 pattern times one trainable scalar per unit), also after gradient steps."""
    net = ParallelNetwork.symmetrized(6, "relu", generator=torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(20):
        opt.zero_grad()
        training_objective(net, X, np.abs(X), 0.01).backward()
        opt.step()
    for W in net.weights:
        mags = W.detach().abs().flatten(-2)
        torch.testing.assert_close(mags, mags[:, :1].expand_as(mags), rtol=0, atol=0)
    assert "weight_1" not in dict(net.named_parameters())


def test_sign_determined_networks_have_fixed_zero_intercept():
    """Spec Sec. 0.3 / 002 Thm 3.11: sign and threshold networks have no trainable xi; all
    others do.  Amplitudes exist only for sign-determined activations (002 Def. D.2)."""
    for name, net in _random_nets().items():
        params = dict(net.named_parameters())
        sign_determined = name.startswith(("sign", "threshold"))
        assert ("xi" in params) != sign_determined
        assert ("amplitude" in params) == sign_determined
    with pytest.raises(GaconvexError, match="amplitudes"):
        ParallelNetwork.from_units([[(np.ones((1, 1)), np.zeros((1, 1)))]], [1.0], "relu",
                                   amplitudes=[1.0])


def test_balancing_keeps_function_and_minimizes_penalty():
    """AM-GM (002 Def. D.17, Lemma D.4): balancing each unit keeps f and gives the smallest
    penalty among positive rescalings; rescaling away from balance costs more."""
    for name, net in _random_nets().items():
        bal = net.balanced()
        torch.testing.assert_close(bal(X), net(X), rtol=0, atol=1e-12)
        assert penalty(bal, 1.0) <= penalty(net, 1.0) + 1e-12, name
        ones = np.ones(net.n_units)
        if net.amplitude is None:
            c = np.full((net.n_units, net.depth - 1), 1.3)
            off = bal.rescale_units(ones * 1.3 ** -(net.depth - 1), layer_scales=c)
        else:
            off = bal.rescale_units(2 * ones, amplitude_scale=ones / 2)
        torch.testing.assert_close(off(X), net(X), rtol=0, atol=1e-12)
        assert penalty(off, 1.0) > penalty(bal, 1.0), name


def test_from_units_rejects_untied_symmetrized_weights():
    unit = [(np.array([[1.0, -2.0]]), np.zeros((1, 2))), (np.ones((2, 1)), np.zeros((1, 1)))]
    with pytest.raises(GaconvexError, match="magnitude"):
        ParallelNetwork.from_units([unit], [1.0], "relu", tied=(True, True))


def test_concatenate_adds_the_functions():
    """Concatenating units gives f = sum_k f_k (xi and omega add up)."""
    nets = _random_nets()
    a, b = nets["leaky-L3-skip"], nets["leaky-L3-skip"].balanced()
    joined = ParallelNetwork.concatenate([a, b])
    assert joined.n_units == a.n_units + b.n_units
    torch.testing.assert_close(joined(X), a(X) + b(X), rtol=0, atol=1e-12)
    with pytest.raises(GaconvexError, match="same activation"):
        ParallelNetwork.concatenate([a, nets["relu-L2"]])


@pytest.mark.parametrize("build, message", [
    (lambda: ParallelNetwork.deep_narrow(0, 2, "relu"), r"m must be an integer >= 1.*got 0"),
    (lambda: ParallelNetwork.deep_narrow(-3, 2, "relu"), r"m must be an integer >= 1.*got -3"),
    (lambda: ParallelNetwork.deep_narrow(2.5, 2, "relu"), r"m must be an integer >= 1.*got 2.5"),
    (lambda: ParallelNetwork.symmetrized(0), r"m must be an integer >= 1.*pass m >= 1"),
    (lambda: ParallelNetwork("relu", (1,), 0), r"m must be an integer >= 1"),
    (lambda: ParallelNetwork.deep_narrow(3, 1, "relu"), r"depth must be an integer >= 2.*got 1"),
    (lambda: ParallelNetwork.deep_narrow(3, 0, "relu"), r"depth must be an integer >= 2.*got 0"),
    (lambda: ParallelNetwork.deep_narrow(3, 3.0, "relu"), r"depth must be an integer >= 2"),
    (lambda: ParallelNetwork("relu", (), 3), r"depth L >= 2.*widths=\(1,\)"),
    (lambda: ParallelNetwork("relu", (0, 1), 3), r"every hidden width must be an integer >= 1"),
    (lambda: ParallelNetwork("relu", (2,), 3), r"end with m_\(L-1\) = 1"),
    (lambda: ParallelNetwork.deep_narrow(3, 2, "relu", in_features=0),
     r"in_features must be an integer >= 1 \(the input dimension d\)"),
    (lambda: ParallelNetwork.from_units([], [], "relu"), r"at least one unit"),
])
def test_constructors_reject_empty_or_shallow_networks(build, message):
    """m_L >= 1 units and L >= 2 layers (002 eq. 2.3); deep_narrow(m = 0) used to fail with a
    ZeroDivisionError in the alpha bound 1/sqrt(m)."""
    with pytest.raises(GaconvexError, match=message):
        build()


def test_smallest_networks_are_fine():
    """m = 1 and L = 2: one unit sigma(x w + b) with output weight alpha."""
    net = ParallelNetwork.deep_narrow(1, 2, "relu", generator=torch.Generator().manual_seed(0))
    w, b, a = (t.item() for t in (net.weights[0], net.biases[0], net.alpha))
    np.testing.assert_allclose(net(X).detach().numpy(), a * np.maximum(w * X + b, 0), rtol=1e-15)
