"""Interop with clifford (001 spec Sec. 1.8 reference path): to_clifford / from_clifford round
trips, blade order = clifford's bladeTupList, and the clifford reference cross product equals
the cofactor formula 001 eq. (42) computed with np.linalg.det."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from gaconvex._validation import GaconvexError
from gaconvex.algebra.clifford_bridge import (clifford_blade, from_clifford,
                                              reference_generalized_cross, to_clifford)
from ga_oracles import basis_blade, cofactor_cross


@pytest.mark.parametrize("d", [3, 5])
def test_round_trip_and_coefficient_placement(d, rng):
    for k in range(d + 1):
        combos = list(combinations(range(1, d + 1), k))
        coeffs = rng.normal(size=len(combos))
        M = to_clifford(coeffs, k, d)
        np.testing.assert_array_equal(from_clifford(M, k), coeffs)
        expected = sum(float(c) * basis_blade(d, combo) for c, combo in zip(coeffs, combos))
        assert abs(M - expected) < 1e-15


def test_vector_and_blade(rng):
    v = rng.normal(size=3)
    assert to_clifford(v)[(2,)] == v[1]
    V = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(from_clifford(clifford_blade(V), 2), [0.0, 2.0, 0.0])  # 2 e13


@pytest.mark.parametrize("d", [3, 5])
def test_reference_cross_is_cofactor_formula(d, rng):
    V = rng.normal(size=(2, 3, d - 1, d))
    np.testing.assert_allclose(reference_generalized_cross(V), cofactor_cross(V), rtol=1e-12)


def test_bridge_errors():
    with pytest.raises(GaconvexError, match="d is needed"):
        to_clifford(np.ones(3), 2)
    with pytest.raises(GaconvexError, match="has 3 coefficients, got 2"):
        to_clifford(np.ones(2), 2, 3)
    with pytest.raises(GaconvexError, match=r"\(\.\.\., d-1, d\)"):
        reference_generalized_cross(np.ones((3, 3)))
