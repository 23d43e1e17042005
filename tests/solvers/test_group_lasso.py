"""The group Lasso of vector outputs (001 Thm 14): min 1/2 ||A Z + 1 xi^T - Y||_F^2 +
beta_t sum_j ||Z_j||_2.  Oracles: cvxpy + Clarabel (tests/lasso_oracles.py), the scalar Lasso's
exact working-set solver for c = 1, and the KKT conditions at beta_max."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gaconvex.symbolic as gs
from gaconvex._validation import GaconvexError
from gaconvex.dictionaries import library_1d
from gaconvex.solvers import GroupLassoProblem, LassoProblem, solve, solve_group
from lasso_oracles import cvxpy_group_lasso_value

ARCHITECTURES = [gs.architecture("relu", 2), gs.architecture("abs", 2),
                 gs.architecture(("leaky_relu", 0.2), 3), gs.architecture("sign", 2),
                 gs.architecture("relu", 2, skip=True)]


def _data(seed, n, c=3):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, n))
    Y = np.column_stack([np.sin(3 * x), np.cos(2 * x), x * x][:c]) + 0.1 * rng.standard_normal((n, c))
    return x, Y


def _oracle(D, Y, problem, **kw):
    U = D.unpenalized if D.unpenalized.shape[1] else None
    return cvxpy_group_lasso_value(D.to_dense(), Y, problem.beta_t, intercept=D.intercept, U=U, **kw)


@pytest.mark.parametrize("arch", ARCHITECTURES, ids=str)
def test_same_optimum_as_cvxpy(arch):
    x, Y = _data(1, 12)
    D = library_1d(x, arch)
    problem = GroupLassoProblem.from_dictionary(D, Y, 1e-2)
    sol = solve(problem)
    assert sol.certificate.ok(1e-9), sol.certificate
    assert sol.objective == pytest.approx(_oracle(D, Y, problem), rel=1e-6)
    assert sol.Z.shape == (D.shape[1], 3) and sol.xi.shape == (3,)
    # exact zeros: whole rows vanish (a unit is kept for every output or for none)
    vanished = np.linalg.norm(sol.Z, axis=1) == 0
    assert vanished.any() or D.shape[1] <= x.size


def test_weights_and_unpenalized_columns_without_intercept():
    rng = np.random.default_rng(2)
    A, U, Y = rng.standard_normal((15, 30)), rng.standard_normal((15, 2)), rng.standard_normal((15, 2))
    w = rng.uniform(0.2, 3.0, 15)
    problem = GroupLassoProblem(A, Y, 0.5, intercept=False, unpenalized=U, sample_weight=w)
    sol = solve_group(problem)
    assert not sol.xi.any() and sol.Omega.shape == (2, 2)
    oracle = cvxpy_group_lasso_value(A, Y, 0.5, weights=w, intercept=False, U=U)
    assert sol.objective == pytest.approx(oracle, rel=1e-7)
    assert sol.certificate.ok(1e-9)


def test_one_output_is_the_plain_lasso():
    x, Y = _data(3, 14, c=1)
    D = library_1d(x, gs.architecture("abs", 3))
    group = solve(GroupLassoProblem.from_dictionary(D, Y, 1e-2))
    plain = solve(LassoProblem.from_dictionary(D, Y[:, 0], 1e-2), "working_set")
    assert group.objective == pytest.approx(plain.objective, rel=1e-10)
    np.testing.assert_allclose(group.fitted[:, 0], plain.fitted, atol=1e-8)  # the fit is unique


def test_beta_max_is_the_zero_threshold():
    x, Y = _data(4, 10)
    D = library_1d(x, gs.architecture("relu", 2))
    top = GroupLassoProblem.from_dictionary(D, Y, 1.0).beta_max()
    above = solve_group(GroupLassoProblem(D, Y, 1.01 * top))
    below = solve_group(GroupLassoProblem(D, Y, 0.99 * top))
    assert not above.Z.any() and below.Z.any()
    np.testing.assert_allclose(above.xi, Y.mean(axis=0), rtol=1e-13)
    assert above.certificate.ok(1e-12)


def test_constant_targets_and_the_reference_solver():
    x, _ = _data(5, 9)
    D = library_1d(x, gs.architecture("relu", 2))
    sol = solve_group(GroupLassoProblem(D, np.tile([1.0, -2.0], (9, 1)), 1e-3))
    assert not sol.Z.any() and np.allclose(sol.xi, [1.0, -2.0], rtol=1e-14)
    x, Y = _data(6, 10, c=2)
    D = library_1d(x, gs.architecture("abs", 2))
    problem = GroupLassoProblem(D, Y, 0.05)
    ours, reference = solve_group(problem), solve_group(problem, "reference")
    assert ours.objective <= reference.objective * (1 + 1e-9)
    assert reference.certificate.relative_gap <= 1e-6


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), zeros=st.integers(0, 2), copies=st.integers(0, 3),
       c=st.integers(1, 3), beta=st.sampled_from([1e-3, 1e-1, 1.0]))
def test_zero_and_duplicate_columns(seed, zeros, copies, c, beta):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((10, 12))
    A = np.hstack([A, np.zeros((10, zeros)), A[:, rng.integers(0, 12, copies)]])
    Y = rng.standard_normal((10, c))
    sol = solve_group(GroupLassoProblem(A, Y, beta))
    assert sol.objective == pytest.approx(cvxpy_group_lasso_value(A, Y, beta), rel=1e-6)
    assert not sol.Z[12:12 + zeros].any()
    assert sol.certificate.relative_gap <= 1e-8


def test_refusals_and_verbose(capsys):
    A, Y = np.eye(4), np.ones((4, 2))
    with pytest.raises(GaconvexError, match="beta_t > 0"):
        GroupLassoProblem(A, Y, 0.0)
    with pytest.raises(GaconvexError, match="sparse=True"):
        solve(GroupLassoProblem(A, Y, 0.1), sparse=True)
    with pytest.raises(GaconvexError, match="unknown group Lasso solver"):
        solve_group(GroupLassoProblem(A, Y, 0.1), "fista")
    rng = np.random.default_rng(7)
    solve_group(GroupLassoProblem(rng.standard_normal((8, 12)), rng.standard_normal((8, 2)), 0.1),
                verbose=True)
    assert "group Lasso" in capsys.readouterr().err
