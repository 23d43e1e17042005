"""Library completeness search of the dual certificate (002 Lemma D.8, D.15; claims C8, C9)."""
from __future__ import annotations

import numpy as np
import pytest

from gaconvex._validation import GaconvexError
from gaconvex.networks.completeness import max_unit_correlation, unit_values
from gaconvex.symbolic import architecture
from network_standins import StandInDictionary, instance, solve_lasso

BETA = 0.05

CASES = [("relu", 2, "deep_narrow", 6), ("abs", 2, "deep_narrow", 6),
         ("sign", 2, "deep_narrow", 6), ("threshold", 2, "deep_narrow", 6),
         (("leaky_relu", 0.2), 3, "deep_narrow", 5), ("relu", 3, "deep_narrow", 5),
         ("abs", 3, "deep_narrow", 5), ("relu", 3, "symmetrized", 5)]


def _id(case):
    act, depth, family, _ = case
    return f"{act if isinstance(act, str) else act[0]}-L{depth}-{family}"


def _dual(d, sol, y):
    """lambda* = A z* + xi* 1 - y (002 Sec. 2.8, squared loss)."""
    return d.matrix @ sol.z + sol.xi - y


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_lasso_dual_is_feasible_over_all_units(case):
    """C8 (002 Lemma D.15): for a Lasso over the complete library, no unit with +-1 weights and
    continuous biases correlates with lambda* above beta~ (beta~ = 2 beta symmetrized); the
    returned unit attains the reported value."""
    act, depth, family, n = case
    arch, x, y = instance(act, depth, family, n=n, seed=1)
    d = StandInDictionary.build(arch, x)
    lam = _dual(d, solve_lasso(d, y, BETA), y)
    found = max_unit_correlation(arch, x, lam)
    assert found.value <= arch.beta_tilde(BETA) * (1 + 1e-6)
    assert found.value >= arch.beta_tilde(BETA) * (1 - 1e-6)  # the active columns reach beta~
    attained = abs(lam @ unit_values(found.layers, arch.activation, x))
    assert attained == pytest.approx(found.value, rel=1e-12)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_search_dominates_the_finite_library(case):
    """The searched unit set contains the library (002 Def. 3.10), so for any lambda with
    1^T lambda = 0 the search value is >= max_i |A_i^T lambda|."""
    act, depth, family, n = case
    arch, x, _ = instance(act, depth, family, n=n, seed=2)
    d = StandInDictionary.build(arch, x)
    lam = np.random.default_rng(3).standard_normal(n)
    lam -= lam.mean()
    library = np.abs(d.matrix.T @ lam).max()
    assert max_unit_correlation(arch, x, lam).value >= library * (1 - 1e-12)


def test_data_only_abs_library_fails_the_certificate():
    """C9 negative control (spec Sec. 0.4): without midpoint biases the 3-layer abs library is
    incomplete; on this instance its Lasso value is larger than with midpoints (prototype:
    0.3746 vs 0.3238) and the search finds a unit violating the dual bound (0.0702 > 0.05)."""
    arch, x, y = instance("abs", 3, n=5, seed=11)
    data_only = architecture("abs", 3, midpoints=False)
    d = StandInDictionary.build(data_only, x)
    sol = solve_lasso(d, y, BETA)
    full = solve_lasso(StandInDictionary.build(arch, x), y, BETA)
    assert sol.objective == pytest.approx(0.37456, abs=1e-4)
    assert full.objective == pytest.approx(0.32381, abs=1e-4)
    assert max_unit_correlation(data_only, x, _dual(d, sol, y)).value == pytest.approx(
        0.07026, abs=1e-4)


def test_unbounded_without_zero_sum():
    """002 Remark D.9: with a^+ or a^- != 0 and 1^T lambda != 0 the correlation is unbounded
    (b -> inf); sign-determined units stay bounded."""
    x = np.array([1.0, 0.2, -0.5, -1.3])
    lam = np.array([0.3, -0.1, 0.2, 0.1])
    assert max_unit_correlation(architecture("relu", 2), x, lam).value == np.inf
    assert max_unit_correlation(architecture("sign", 2), x, lam).value == pytest.approx(0.5)


def test_unsupported_architecture_is_refused():
    with pytest.raises(GaconvexError, match="Lemma D.15"):
        max_unit_correlation(architecture("relu", 4), np.arange(4.0), np.zeros(4))


def _brute_force_last_layer(H, lam, activation):
    """max over rows h, w = +-1 and the candidate biases (the breakpoints -w h_n and one bias
    beyond each end) of |lambda^T sigma(w h + b)|, every unit evaluated on every point."""
    from gaconvex.networks.modules import activation_function

    best = -np.inf
    scale = float(np.abs(H).max(initial=0.0)) or 1.0
    for w in (1.0, -1.0):
        for h in w * H:
            lo, hi = h.min(), h.max()
            pad = hi - lo if hi > lo else scale
            for b in np.concatenate([-h, [-lo + pad, -hi - pad]]):
                best = max(best, abs(activation_function(activation, h + b) @ lam))
    return best


@pytest.mark.parametrize("act", ["relu", "abs", "sign", "threshold", ("leaky_relu", 0.2)],
                         ids=str)
def test_last_layer_search_equals_brute_force(rng, act):
    """The sorted suffix-sum search of the last layer's bias (O(N log N) a row) equals the
    brute-force evaluation of every candidate unit, ties in the rows included; the unit it
    returns attains the value."""
    from gaconvex.networks.completeness import _best_last_layer
    from gaconvex.networks.modules import activation_function
    from gaconvex.symbolic import get_activation

    activation = get_activation(act)
    H = np.round(rng.standard_normal((40, 9)) * 3) / 2  # many ties
    H[0] = 1.5  # a constant row
    lam = rng.standard_normal(9)
    value, k, w, b = _best_last_layer(H, lam, activation)
    expected = _brute_force_last_layer(H, lam, activation)
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert abs(activation_function(activation, w * H[k] + b) @ lam) == pytest.approx(
        value, rel=1e-12, abs=1e-12)
