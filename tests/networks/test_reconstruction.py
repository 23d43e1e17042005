"""Reconstruction of networks from Lasso solutions: claims C3, C4 and C22 of spec seed-002 Sec. 7
(002 Def. B.3, Def. D.17 corrected, Lemma B.4, App. B.1, App. E)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gaconvex._validation import GaconvexError
from gaconvex.networks import penalty, reconstruct, split_neurons, training_objective
from network_standins import StandInDictionary, instance, lasso_objective, solve_lasso

from conftest import torch_devices

BETA = 0.05

CASES = [  # (activation, depth, family, skip, N)
    ("relu", 2, "deep_narrow", False, 6),
    (("leaky_relu", 0.2), 2, "deep_narrow", False, 6),
    ("abs", 2, "deep_narrow", False, 6),
    ("sign", 2, "deep_narrow", False, 6),
    ("threshold", 2, "deep_narrow", False, 6),
    ("relu", 2, "deep_narrow", True, 6),
    ("relu", 3, "deep_narrow", False, 5),
    ("abs", 3, "deep_narrow", False, 5),  # data + midpoint families
    ("relu", 4, "deep_narrow", False, 4),
    ("relu", 3, "symmetrized", False, 4),
]


def _case_id(case):
    act, depth, family, skip, _ = case
    name = act if isinstance(act, str) else f"{act[0]}{act[1]}"
    return f"{name}-L{depth}-{family}{'-skip' if skip else ''}"


@pytest.fixture(scope="module", params=CASES, ids=_case_id)
def solved(request):
    act, depth, family, skip, n = request.param
    arch, x, y = instance(act, depth, family, n=n, seed=3, skip=skip)
    d = StandInDictionary.build(arch, x)
    return d, y, solve_lasso(d, y, BETA)


@pytest.mark.parametrize("device", torch_devices())
def test_reconstructed_fit_equals_lasso_fit(solved, device):
    """C3 (002 Lemma B.4): f_L(X; theta) = A z* + xi* 1 + U omega* on the training points."""
    d, y, sol = solved
    net = reconstruct(d, sol, tol=0.0, device=device)
    expected = d.matrix @ sol.z + sol.xi + d.unpenalized @ sol.omega
    got = net(d.x).detach().cpu().numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-8 * max(1.0, np.abs(y).max()))
    assert net.n_units == np.count_nonzero(sol.z)


def test_reconstructed_objective_equals_lasso_objective(solved):
    """C3: objective (1.1) of the reconstructed net = Lasso objective with beta~ (rtol 1e-9);
    the symmetrized net needs beta~ = 2 beta (spec Sec. 0.1)."""
    d, y, sol = solved
    net = reconstruct(d, sol, tol=0.0)
    value = training_objective(net, d.x, y, BETA).item()
    assert sol.z.any()
    np.testing.assert_allclose(value, sol.objective, rtol=1e-9)


def test_reconstruction_matches_the_lasso_model_off_the_training_points(solved):
    """C3 (App. B.1): f_L(x) = sum_i z_i f_i(x) + xi* + omega* x at new points x."""
    d, _, sol = solved
    net = reconstruct(d, sol, tol=0.0)
    x_new = np.linspace(d.x.min() - 3, d.x.max() + 3, 257)
    expected = d.evaluate(x_new) @ sol.z + sol.xi
    if d.architecture.skip:
        expected = expected + sol.omega[0] * x_new
    np.testing.assert_allclose(net(x_new).detach().numpy(), expected, rtol=0,
                               atol=1e-8 * max(1.0, np.abs(expected).max()))


def test_sign_determined_networks_have_no_intercept():
    """002 Thm 3.11 / spec Sec. 0.3: sign and threshold Lassos have xi = 0, so the network has
    no trainable xi (it is a zero buffer)."""
    for act in ("sign", "threshold"):
        arch, x, y = instance(act, 2, n=5, seed=1)
        d = StandInDictionary.build(arch, x)
        net = reconstruct(d, solve_lasso(d, y, BETA))
        names = dict(net.named_parameters())
        assert "xi" not in names and net.xi.item() == 0.0
        assert "amplitude" in names


def test_symmetrized_penalty_is_two_beta_l1():
    """C4 (spec Sec. 0.1): the reconstructed symmetrized net's penalty / (beta ||z||_1) = 2
    exactly, so the paper's beta~ = beta/2 (Lemma D.5) is an erratum."""
    arch, x, y = instance("relu", 3, "symmetrized", n=4, seed=5)
    d = StandInDictionary.build(arch, x)
    sol = solve_lasso(d, y, BETA)
    ratio = penalty(reconstruct(d, sol, tol=0.0), BETA).item() / (BETA * np.abs(sol.z).sum())
    assert ratio == pytest.approx(2.0, rel=1e-12)


def test_unscaling_follows_the_corrected_rule():
    """Spec Sec. 3.1: symmetrized gamma = |2z|^(1/3), |W| = gamma/sqrt 2 per entry, b2 scaled
    gamma^2/2 (002 Def. D.17 prints 1/sqrt 2); deep narrow L = 3: gamma = |z|^(1/3), b_l
    scaled gamma^l; sign: amplitude = sqrt|z|, inner weights +-1."""
    for act, depth, family in [("relu", 3, "symmetrized"), ("abs", 3, "deep_narrow"),
                               ("threshold", 2, "deep_narrow")]:
        arch, x, y = instance(act, depth, family, n=4, seed=2)
        d = StandInDictionary.build(arch, x)
        sol = solve_lasso(d, y, BETA)
        net = reconstruct(d, sol, tol=0.0)
        support = np.flatnonzero(sol.z)
        z = sol.z[support]
        units = [d.column_info(i).family.unit(d.column_info(i).anchor_values,
                                              d.column_info(i).signs) for i in support]
        alpha = net.alpha.detach().numpy()
        if act == "threshold":
            np.testing.assert_allclose(net.amplitude.detach().numpy(), np.sqrt(np.abs(z)))
            np.testing.assert_allclose(alpha, np.sign(z) * np.sqrt(np.abs(z)))
            np.testing.assert_array_equal(net.weights[0].detach().numpy()[:, 0, 0],
                                          [u[0][0][0, 0] for u in units])
            continue
        gamma = np.abs(2 * z if family == "symmetrized" else z) ** (1 / 3)
        c = gamma / np.sqrt(2) if family == "symmetrized" else gamma
        np.testing.assert_allclose(alpha, np.sign(z) * gamma, rtol=1e-12)
        for l, (W, b) in enumerate(zip(net.weights, net.biases)):
            W_unit = np.stack([u[l][0] for u in units])
            b_unit = np.stack([u[l][1] for u in units])
            np.testing.assert_allclose(W.detach().numpy(), W_unit * c[:, None, None], rtol=1e-12)
            np.testing.assert_allclose(b.detach().numpy(), b_unit * c[:, None, None] ** (l + 1),
                                       rtol=1e-12, atol=1e-15)


def test_support_tolerance_drops_small_columns():
    """Only columns with |z_i| > tol max|z| become units; z = 0 is refused with a message."""
    arch, x, y = instance("relu", 2, n=5, seed=4)
    d = StandInDictionary.build(arch, x)
    sol = solve_lasso(d, y, BETA)
    ratios = np.sort(np.abs(sol.z[sol.z != 0]) / np.abs(sol.z).max())
    tol = ratios[:2].mean()  # between the two smallest: drops exactly one unit
    assert reconstruct(d, sol, tol=tol).n_units == ratios.size - 1
    sol.z = np.zeros_like(sol.z)
    with pytest.raises(GaconvexError, match="z = 0"):
        reconstruct(d, sol)


@pytest.mark.parametrize("case", [("relu", 2), ("abs", 2), ("threshold", 2), ("relu", 3)])
def test_neuron_splitting_keeps_outputs_and_objective(case):
    """C22 (002 App. E): splitting each unit into parts with shares gamma_k (sum 1), weights
    scaled gamma_k^(1/L~), keeps the output and the objective (1.1)."""
    arch, x, y = instance(*case, n=5, seed=6)
    d = StandInDictionary.build(arch, x)
    net = reconstruct(d, solve_lasso(d, y, BETA), tol=0.0)
    split = split_neurons(net, parts=3, seed=0)
    assert split.n_units == 3 * net.n_units
    x_new = np.linspace(-4, 4, 101)
    np.testing.assert_allclose(split(x_new).detach().numpy(), net(x_new).detach().numpy(),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(training_objective(split, x, y, BETA).item(),
                               training_objective(net, x, y, BETA).item(), rtol=1e-12)
    shares = split.alpha.detach().abs().reshape(net.n_units, 3) ** arch.effective_depth
    assert torch.all(shares.std(-1) > 0)  # the parts really differ


def test_beta_check_catches_the_papers_symmetrized_beta():
    """With ``beta`` given, reconstruct checks the KKT condition |A_i^T lambda| = beta~ on the
    support: a symmetrized Lasso solved with beta~ = 2 beta passes, one solved with the
    paper's beta/2 (002 Lemma D.5, an erratum) is refused."""
    arch, x, y = instance("relu", 3, "symmetrized", n=4, seed=5)
    d = StandInDictionary.build(arch, x)
    for beta_solved, ok in [(BETA, True), (BETA / 4, False)]:  # beta~ = 2 beta_solved
        sol = solve_lasso(d, y, beta_solved)
        sol.dual = d.matrix @ sol.z + sol.xi - y
        if ok:
            assert reconstruct(d, sol, BETA).n_units == np.count_nonzero(sol.z)
        else:
            with pytest.raises(GaconvexError, match="beta/2"):
                reconstruct(d, sol, BETA)
