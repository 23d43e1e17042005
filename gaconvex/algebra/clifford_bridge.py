"""Exact reference path and interop with the ``clifford`` package (imported on first use).

clifford stores a multivector as 2^d coefficients in ``layout.bladeTupList`` order; grade k is
the slice in ``blade_order(d, k)``. Conversions here are for one multivector at a time: batches
stay in gaconvex's arrays (never numpy object arrays of multivectors). Use this path to check
the fast one for small d (2^d coefficients), not in production.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._validation import GaconvexError, as_float_array
from .exterior import blade_order

__all__ = [
    "clifford_layout",
    "to_clifford",
    "from_clifford",
    "clifford_blade",
    "reference_generalized_cross",
]


@lru_cache(maxsize=None)
def clifford_layout(d: int):
    """(layout, blades) of the Euclidean algebra G^d, clifford's ``Cl(d)``, cached per d."""
    import clifford

    return clifford.Cl(d)


@lru_cache(maxsize=None)
def _grade_positions(d: int, k: int) -> np.ndarray:
    tuples = clifford_layout(d)[0].bladeTupList
    return np.asarray([tuples.index(blade) for blade in blade_order(d, k)], dtype=np.intp)


def to_clifford(coeffs, k: int = 1, d: int | None = None):
    """The clifford MultiVector of the grade-k blade with coefficients in ``blade_order(d, k)``.

    coeffs : 1-D array of C(d, k) coefficients (for k = 1, a vector of R^d and d may be omitted).
    """
    coeffs = as_float_array(coeffs, "coeffs", ndim=1)
    if d is None:
        if k != 1:
            raise GaconvexError(
                f"d is needed for a grade-{k} blade (C(d, k) does not determine d)."
            )
        d = coeffs.shape[0]
    positions = _grade_positions(d, k)
    if coeffs.shape[0] != positions.shape[0]:
        raise GaconvexError(
            f"a grade-{k} blade in R^{d} has {positions.shape[0]} coefficients, "
            f"got {coeffs.shape[0]}."
        )
    layout = clifford_layout(d)[0]
    value = np.zeros(layout.gaDims)
    value[positions] = coeffs
    return layout.MultiVector(value=value)


def from_clifford(mv, k: int = 1) -> np.ndarray:
    """The grade-k coefficients of a clifford MultiVector, in ``blade_order(d, k)``."""
    return np.array(mv.value[_grade_positions(mv.layout.dims, k)], dtype=np.float64)


def clifford_blade(V):
    """v_1 ^ ... ^ v_k as a clifford MultiVector, for one stack V of shape (k, d)."""
    V = as_float_array(V, "V", ndim=2)
    layout = clifford_layout(V.shape[1])[0]
    blade = layout.scalar
    for v in V:
        blade = blade ^ to_clifford(v)
    return blade


def reference_generalized_cross(V) -> np.ndarray:
    """cross(V) = (v_1 ^ ... ^ v_{d-1}).dual() via clifford, looping over the batch (001 eq. (42)).

    V : array (..., d-1, d). Returns (..., d). Slow (tens of microseconds per item): a reference.
    """
    V = as_float_array(V, "V")
    if V.ndim < 2 or V.shape[-2] != V.shape[-1] - 1:
        raise GaconvexError(f"V must have shape (..., d-1, d), got {V.shape}.")
    flat = V.reshape((-1,) + V.shape[-2:])
    out = np.array([from_clifford(clifford_blade(item).dual()) for item in flat])
    return out.reshape(V.shape[:-2] + (V.shape[-1],))
