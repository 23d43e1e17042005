"""Independent oracles for the algebra tests: clifford built from its ``blades`` dict, and plain
linear algebra (np.linalg.det, lstsq). Nothing here calls gaconvex.algebra.

clifford JIT-compiles every operator separately for every algebra G^d (1-2 s each, not cached
across processes), so the oracles below use only the geometric product ``*``, reversion and
grade projection; ``^``, ``.dual()`` and ``|`` appear only in the tests of the claims that name
them."""
from __future__ import annotations

import functools
from itertools import combinations

import clifford
import numpy as np
import torch
from hypothesis import settings, strategies as st
from hypothesis.extra.numpy import arrays

PROPERTY = settings(max_examples=50, deadline=None)
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@functools.lru_cache(maxsize=None)
def cl(d):
    """(layout, blades) of G^d, cached: clifford compiles its products on first use."""
    return clifford.Cl(d)


def basis_blade(d, combo):
    """e_{i_1...i_k} as a clifford MultiVector (combo of 1-based indices; () is the scalar 1)."""
    layout, blades = cl(d)
    return layout.scalar if not combo else blades["e" + "".join(map(str, combo))]


def pseudoscalar_inv(d):
    """I^{-1} = ~I = e_d ... e_1 (reversion; avoids compiling clifford's general inverse)."""
    return ~cl(d)[0].pseudoScalar


def mv(v):
    """The clifford vector sum_i v_i e_i."""
    d = len(v)
    return sum(float(c) * basis_blade(d, (i + 1,)) for i, c in enumerate(v))


def mv_blade(coeffs, d, k):
    """The clifford grade-k multivector with coefficients in lexicographic blade order."""
    return sum(float(c) * basis_blade(d, combo)
               for c, combo in zip(coeffs, combinations(range(1, d + 1), k)))


def cl_wedge(V, d):
    """v_1 ^ ... ^ v_k in clifford, as B_j = <B_{j-1} v_j>_j (geometric product, grade j part)."""
    B = cl(d)[0].scalar
    for j, v in enumerate(V, start=1):
        B = (B * mv(v))(j)
    return B


def cl_inv(B):
    """B^{-1} = ~B / <B ~B>_0 for a blade B != 0."""
    return ~B * (1.0 / (B * ~B)[()])


def grade_coeffs(M, d, k):
    """Grade-k coefficients of a clifford multivector, lexicographic blade order."""
    return np.array([M[combo] for combo in combinations(range(1, d + 1), k)])


def cofactor_cross(V):
    """001 eq. (42) / 000 eq. (5'): w_i = (-1)^(i-1) det(V without column i), by np.linalg.det."""
    d = V.shape[-1]
    if d == 1:
        return np.ones(V.shape[:-2] + (1,))
    return np.stack([(-1) ** i * np.linalg.det(np.delete(V, i, axis=-1)) for i in range(d)], -1)


def lstsq_residual(x, V):
    """x minus its least-squares fit by the rows of V (lstsq, rank-deficient safe).

    Rows are normalized first (same span), so lstsq's relative cutoff sees only dependence."""
    norms = np.abs(V).max(axis=1, initial=0.0)
    U = V[norms > 0] / norms[norms > 0, None]
    if U.shape[0] == 0:
        return x
    coef = np.linalg.lstsq(U.T, x, rcond=None)[0]
    return x - U.T @ coef


def vector_stacks(k, d, bound=10.0):
    """hypothesis: a (k, d) float64 array with entries in [-bound, bound]."""
    return arrays(np.float64, (k, d), elements=st.floats(-bound, bound, allow_subnormal=False))


def integer_stacks(k, d, bound=6):
    """hypothesis: a (k, d) integer-valued float64 array (exact minors in float64)."""
    return arrays(np.float64, (k, d), elements=st.integers(-bound, bound).map(float))


def scale(V):
    """prod_i sqrt(d) max|v_i| >= prod_i ||v_i||_2 (Hadamard bound on every minor of V), for
    relative tolerances; max-norms so that tiny rows do not underflow to 0 when squared."""
    return float(np.prod(np.abs(V).max(axis=-1, initial=0.0) * np.sqrt(V.shape[-1])))
