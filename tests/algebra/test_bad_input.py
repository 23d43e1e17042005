"""Bad input raises GaconvexError (a ValueError) whose message says what was expected and what
was received: wrong shapes, wrong number of vectors for the cross product (000 eq. (5') needs
d-1 vectors in R^d), NaN/inf, d < 1, k > d, invalid options, and blades with too many
coefficients (C(d, k) grows combinatorially)."""
from __future__ import annotations

import re
import time

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import gaconvex.algebra as ga
from gaconvex._validation import GaconvexError
from ga_oracles import PROPERTY


def test_error_is_a_value_error():
    assert issubclass(GaconvexError, ValueError)


@PROPERTY
@given(st.integers(1, 7), st.integers(0, 7), st.integers(0, 2))
def test_cross_needs_d_minus_1_vectors(d, k, batch):
    """Any (k, d) with k != d-1 is rejected, and the message names both shapes."""
    if k == d - 1:
        return
    V = np.ones((batch, k, d)) if batch else np.ones((k, d))
    with pytest.raises(GaconvexError) as err:
        ga.generalized_cross(V)
    message = str(err.value)
    assert str(V.shape) in message
    assert ("d-1 vectors" in message) or ("k <= d" in message)


@PROPERTY
@given(st.integers(2, 6), st.sampled_from([np.nan, np.inf, -np.inf]), st.data())
def test_non_finite_values_are_located(d, bad, data):
    """NaN or inf anywhere is refused, with the index of the first one, numpy and torch alike."""
    V = np.ones((3, d - 1, d))
    index = tuple(data.draw(st.integers(0, n - 1)) for n in V.shape)
    V[index] = bad
    for arg in (V, torch.as_tensor(V)):
        with pytest.raises(GaconvexError, match=re.escape(f"first at index {index}")):
            ga.generalized_cross(arg)
    x = np.ones(d)
    x[index[-1]] = bad
    with pytest.raises(GaconvexError, match=r"x contains 1 non-finite"):
        ga.distance_to_span(x, np.eye(d)[1:])


@PROPERTY
@given(st.integers(0, 1))
def test_vectors_must_be_a_stack(ndim):
    with pytest.raises(GaconvexError, match=r"shape \(\.\.\., k, d\)"):
        ga.wedge(np.ones((3,) * ndim))


def test_dimension_must_be_positive():
    with pytest.raises(GaconvexError, match="d >= 1"):
        ga.wedge(np.ones((2, 0, 0)))
    with pytest.raises(GaconvexError, match="d >= 1"):
        ga.blade_order(0, 0)


def test_more_vectors_than_dimensions_hints_at_transposition():
    with pytest.raises(GaconvexError, match="transposed"):
        ga.wedge(np.ones((5, 3)))


def test_hodge_dual_checks_length_and_grade():
    with pytest.raises(GaconvexError, match=r"C\(4, 2\) = 6 coefficients.*got shape \(4,\)"):
        ga.hodge_dual(np.ones(4), 4, 2)
    with pytest.raises(GaconvexError, match="0 <= k <= d"):
        ga.hodge_dual(np.ones(1), 3, 4)


def test_invalid_options():
    V = np.ones((2, 3))
    with pytest.raises(GaconvexError, match="'cofactor' or 'qr', got 'svd'"):
        ga.generalized_cross(V, method="svd")
    with pytest.raises(GaconvexError, match="'laplace' or 'minors', got 'x'"):
        ga.wedge(V, method="x")
    with pytest.raises(GaconvexError, match="p must be 1 or 2.*got 3"):
        ga.blade_norm(V, 3)


def test_geometry_specific_errors():
    with pytest.raises(GaconvexError, match="signed=False"):
        ga.distance_to_span(np.ones(4), np.eye(4)[:2])
    with pytest.raises(GaconvexError, match=r"d = 3 points in R\^3, got 2"):
        ga.distance_to_affine_hull(np.ones(3), np.eye(3)[:2])
    with pytest.raises(GaconvexError, match=r"shape \(\.\.\., 3\), got shape \(2,\)"):
        ga.distance_to_span(np.ones(2), np.eye(3)[:2])
    with pytest.raises(GaconvexError, match="nonzero normal"):
        ga.reflect_across_hyperplane(np.ones(3), np.zeros(3))
    with pytest.raises(GaconvexError, match="nonzero normal"):
        ga.reflect_hyperplane_across_hyperplane(np.ones(2), np.zeros(2), np.ones(2))
    with pytest.raises(GaconvexError, match=r"d\+1"):
        ga.simplex_volume(np.ones((4, 2)))
    with pytest.raises(GaconvexError, match="signed_volume needs d vectors"):
        ga.signed_volume(np.ones((2, 3)))
    with pytest.raises(GaconvexError, match="same grade"):
        ga.blade_inner(np.ones((2, 3)), np.ones((1, 3)))
    with pytest.raises(GaconvexError, match="numeric"):
        ga.wedge([["a", "b"]])


def test_too_many_blade_coefficients_are_refused_at_once():
    """wedge of 15 vectors in R^30 would need C(30, 15) = 155,117,520 coefficients per blade
    (it used to hang): refused before any work, with the count and the way out; the same for
    blade_norm, blade_order, explicit Laplace schedules and empty batches."""
    V = np.ones((15, 30))
    start = time.perf_counter()
    for call in (lambda: ga.wedge(V), lambda: ga.wedge(V, method="minors"),
                 lambda: ga.blade_norm(V), lambda: ga.blade_norm(V, 1),
                 lambda: ga.wedge(np.ones((0, 15, 30))), lambda: ga.blade_order(30, 15)):
        with pytest.raises(GaconvexError, match=r"C\(30, 15\) = 155,117,520 coefficients.*"
                                                r"minors you need.*smaller d or k"):
            call()
    with pytest.raises(GaconvexError, match=r"method='laplace'.*multiply-adds.*'minors'"):
        ga.wedge(V, method="laplace")
    assert time.perf_counter() - start < 5.0


def test_size_limit_counts_batch_times_blades_times_work(monkeypatch):
    """The call limit is on batch * C(d, k) * (entries per coefficient: 1 for the Laplace
    expansion, k^2 for k x k minors; hodge_dual counts its table of C(d, k) x d): exactly at the
    limit passes, one blade more is refused (a separate per-blade limit catches C(30, 15))."""
    from gaconvex.algebra import exterior

    monkeypatch.setattr(exterior, "_MAX_ENTRIES", 100)
    V = np.random.default_rng(0).normal(size=(11, 2, 5))  # C(5, 2) = 10 coefficients each
    ga.wedge(V[:10], method="laplace")
    with pytest.raises(GaconvexError, match=r"11 blades of 10 entries each need 110 .*split the batch"):
        ga.wedge(V, method="laplace")
    ga.wedge(V[:2], method="minors")  # 2 x 10 x 4 = 80
    with pytest.raises(GaconvexError, match=r"3 blades of 40 entries each need 120"):
        ga.wedge(V[:3], method="minors")
    ga.hodge_dual(np.ones((5, 10)), 5, 2)  # (5 + 5) x 10 = 100
    with pytest.raises(GaconvexError, match="hodge_dual"):
        ga.hodge_dual(np.ones((6, 10)), 5, 2)


def test_large_d_cross_products_stay_available():
    """k = d - 1 has only C(d, d-1) = d coefficients: d = 30 is no problem, and
    x . cross(V) = det[x; V] (001 App. 6.1 property 5)."""
    rng = np.random.default_rng(1)
    V, x = rng.normal(size=(29, 30)), rng.normal(size=30)
    w = ga.generalized_cross(V)
    det = np.linalg.det(np.vstack([x, V]))
    assert x @ w == pytest.approx(det, rel=1e-9)
    np.testing.assert_allclose(V @ w, 0.0, atol=1e-9 * np.abs(w).max())
