"""The inner active-set method's column intake (gaconvex.solvers.active_set), against brute force."""
from __future__ import annotations

import numpy as np
import pytest

from gaconvex.solvers.active_set import ActiveSetLasso


def _brute_force_copies(held: np.ndarray, new: np.ndarray, rtol: float) -> np.ndarray:
    """The mask of new columns that are +-copies (|u_i^T u_j| >= 1 - rtol, norms equal to
    rtol) of a held column or of an earlier new column that is not itself a copy: every pair
    compared."""
    kept = [held[:, j] for j in range(held.shape[1])]
    copy = np.zeros(new.shape[1], dtype=bool)
    for i in range(new.shape[1]):
        v = new[:, i]
        for u in kept:
            overlap = abs(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v))
            if overlap >= 1 - rtol and abs(np.linalg.norm(u) - np.linalg.norm(v)) <= rtol * np.linalg.norm(v):
                copy[i] = True
                break
        if not copy[i]:
            kept.append(v)
    return copy


@pytest.mark.parametrize("n", [7, 300, 5000])
def test_copies_among_new_columns_equal_brute_force(rng, n):
    """add_columns drops exactly the +-copies (of held columns and of earlier new ones, chains
    included), keeps parallel columns of other lengths and near neighbours (distance 1e-4 and
    1e-7, whose hashes collide at large N), and appends the rest in order."""
    base = rng.standard_normal((n, 6))
    inner = ActiveSetLasso(rng.standard_normal(n))
    assert inner.add_columns(base[:, :4]).all()
    nudge = rng.standard_normal(n)
    nudge /= np.linalg.norm(nudge)
    candidates = [base[:, 0], -base[:, 1],  # copies of held columns
                  2.0 * base[:, 2],  # parallel, another length: not a copy
                  base[:, 3] + 1e-4 * np.linalg.norm(base[:, 3]) * nudge,  # near neighbours
                  base[:, 3] + 1e-7 * np.linalg.norm(base[:, 3]) * nudge,
                  base[:, 4], -base[:, 4],  # a new column and its copy
                  base[:, 5], base[:, 5] * (1 + 1e-15), -base[:, 5], np.zeros(n)]
    new = np.column_stack(candidates)
    expected = ~_brute_force_copies(base[:, :4], new[:, :-1], 1e-12)
    keep = inner.add_columns(new)
    np.testing.assert_array_equal(keep, np.append(expected, False))  # the zero column too
    np.testing.assert_array_equal(inner.M, np.column_stack([base[:, :4], new[:, keep]]))


def test_in_place_triangular_solves_match_lapack_on_the_block(rng):
    """R^-1 b and R^-T b on the leading t x t block of a larger buffer (read in place with the
    buffer's leading dimension) agree with scipy's dtrtrs on the copied block and are backward
    stable (residual at rounding of ||R|| ||x||), for vectors and matrices; a zero pivot is
    reported, not divided by."""
    from scipy.linalg.lapack import dtrtrs

    from gaconvex.solvers._qr_update import solve_triangular

    eps = np.finfo(float).eps
    buffer = np.asfortranarray(np.triu(rng.standard_normal((240, 240))) + 16 * np.eye(240))
    for t in (1, 7, 29, 230):
        block = buffer[:t, :t]
        for b in (rng.standard_normal(t), rng.standard_normal((t, 3))):
            for transpose in (False, True):
                expected, info = dtrtrs(block, b, lower=0, trans=int(transpose))
                x, code = solve_triangular(buffer, t, b, transpose)
                assert code == info == 0 and x.shape == b.shape
                np.testing.assert_allclose(x, expected, rtol=0, atol=1e3 * eps * np.abs(expected).max())
                lhs = (block.T if transpose else block) @ x
                scale = np.linalg.norm(block, 1) * np.abs(x).max()
                assert np.abs(lhs - b).max() <= 4 * t * eps * scale
    singular = buffer.copy(order="F")
    singular[3, 3] = 0.0
    assert solve_triangular(singular, 7, np.ones(7))[1] == 4
    assert solve_triangular(singular, 7, np.ones(7), transpose=True)[1] == 4
    with pytest.raises(ValueError, match="Fortran"):
        solve_triangular(np.ascontiguousarray(buffer), 7, np.ones(7))


@pytest.mark.parametrize("seed", range(6))
def test_compiled_sign_descent_matches_the_python_steps(seed):
    """The compiled sign-consistency phase (``_descend``: step to the first sign change of the
    signed optimum, drop it, repeat) against the same steps in numpy (``_descend_precise`` in
    float64): the same drops in the same order, the same bars (a column that leaves without
    the objective below its entry value), coefficients to rounding; afterwards the signs agree,
    z_T solves M_T^T (M_T z - b) + beta theta = 0, and Q R is still M_T with Q orthonormal."""
    import copy

    rng = np.random.default_rng(seed)
    n, s, beta = 40, 30, 0.5
    inner = ActiveSetLasso(rng.standard_normal(n))
    inner.add_columns(rng.standard_normal((n, s)))
    for j in rng.permutation(s)[:14]:
        assert inner._insert(int(j), float(rng.choice([-1.0, 1.0])))
    inner.zT = inner.theta * rng.uniform(0.1, 1.0, len(inner.T))  # sign-consistent start
    inner._refresh_Qb()
    entry = np.full(s, np.nan)
    entry[inner.T[::2]] = 1e300  # entered far above: leaving them is a descent
    entry[inner.T[1::2]] = 0.0  # entered below any objective: leaving bars them
    oracle, start = copy.deepcopy(inner), copy.deepcopy(inner)
    barred, barred_oracle = np.zeros(s, dtype=bool), np.zeros(s, dtype=bool)
    entry_oracle = entry.copy()
    assert inner._descend(beta, barred, entry, 10_000)
    assert oracle._descend_precise(beta, barred_oracle, entry_oracle, 10_000)
    assert inner.steps == oracle.steps and inner.T == oracle.T and len(inner.T) < 14
    np.testing.assert_array_equal(barred, barred_oracle)
    np.testing.assert_array_equal(np.isnan(entry), np.isnan(entry_oracle))
    np.testing.assert_allclose(inner.zT, oracle.zT, rtol=1e-10, atol=1e-12)
    M = inner.M[:, inner.T]
    assert np.all(np.sign(inner.zT) == inner.theta)
    np.testing.assert_allclose(M.T @ (M @ inner.zT - inner.b) + beta * inner.theta, 0, atol=1e-10)
    np.testing.assert_allclose(inner.Q @ inner.R, M, atol=1e-12)
    np.testing.assert_allclose(inner.Q.T @ inner.Q, np.eye(len(inner.T)), atol=1e-12)
    assert not start._descend(beta, np.zeros(s, dtype=bool), np.full(s, np.nan), 1)
    assert start.steps == 1 and len(start.T) == 13  # a budget of one step: one drop, not done
