"""The L >= 4 data feature sub-library of deep narrow abs networks on R^d ("Black Boxes and
Looking Glasses", 000 Thm 4.4, eqs. (11), (12), (60); seed-000-spec Sec. 3.5, claims C11, C12,
C13).

Every column is checked against an evaluation written here from its ``anchor_index`` alone
(numpy determinants for W, the recursion h_l(x) = |h_(l-1)(x) - h_(l-1)(x_n_l)|), against the
family's sympy statement, and at d = 1 against the 1-D abs libraries of the *Library of
Mirrors*; the breakplanes against the kinks of the column along its normal, and their orders
against Thm 4.5's bound."""
from __future__ import annotations

from math import comb

import numpy as np
import pytest
import sympy as sp

import gaconvex.symbolic as gs
from gaconvex.dictionaries import build_dictionary, library_1d, reflection_plane_library
from gaconvex.dictionaries.reflection_planes import SUBLIBRARY_NOTE, raw_size

from lasso_oracles import cvxpy_lasso_value


def _arch(d, L):
    return gs.architecture("abs", L, dim=d)


def _column_set(A, decimals=9):
    return {tuple(np.round(c, decimals) + 0.0) for c in A.T if np.abs(c).max() > 1e-12}


def _column_from_index(X, L, row):
    """One column from (n_1, n_2, kind, m, n_3, .., n_(L-1), codes): x' = x_n1, (x_n1 + x_m)/2,
    x_n2 + (x_n1 - x_m)/2 or (2x_n2 + x_n1 + x_m)/4 (kind 0-3), candidate points (x', x_n2,
    2x' - x_n2, x_n3, 2x' - x_n3, ..), code c = (2L - 3) m + t -> x_m - point_t, c = -l ->
    e_l; W = cofactor vector / its l1 norm; f = h_(L-1)."""
    n, d = X.shape
    n1, n2, kind, m, *rest = (int(v) for v in row)
    inner, codes = rest[:L - 3], rest[L - 3:]
    xp = [X[n1], (X[n1] + X[m]) / 2, X[n2] + (X[n1] - X[m]) / 2,
          (2 * X[n2] + X[n1] + X[m]) / 4][kind]
    anchors = [X[n2]] + [X[k] for k in inner]
    points = [xp] + [q for a in anchors for q in (a, 2 * xp - a)]
    V = np.array([X[c // (2 * L - 3)] - points[c % (2 * L - 3)] if c >= 0 else np.eye(d)[-c - 1]
                  for c in codes]).reshape(d - 1, d)
    w = np.array([(-1) ** i * np.linalg.det(np.delete(V, i, axis=1)) for i in range(d)])
    W = w / np.abs(w).sum()

    def h(x, level):
        if level == 1:
            return np.abs((x - xp) @ W)
        return np.abs(h(x, level - 1) - h(anchors[level - 2], level - 1))

    return h(X, L - 1), W


@pytest.mark.parametrize("n, d, L, ties", [(5, 2, 4, False), (4, 2, 5, False), (4, 3, 4, False),
                                           (5, 2, 4, True)])
def test_columns_are_the_data_feature_chains_of_their_anchors(rng, n, d, L, ties):
    """Thm 4.4 / eq. (60): every column (200 random ones, not deduplicated) equals the chain
    rebuilt from its anchor_index alone (also the optional "ties" first-layer points); W is
    orthogonal to its directions, ||W||_1 = 1."""
    X = rng.standard_normal((n, d))
    first = ("data", "midpoint", "ties") if ties else ("data", "midpoint")
    D = reflection_plane_library(X, _arch(d, L), deduplicate=False, first_biases=first)
    block = D.blocks[0]
    A = D.to_dense()
    for j in rng.choice(len(block), size=min(200, len(block)), replace=False):
        column, W = _column_from_index(X, L, block.anchor_index[j])
        np.testing.assert_allclose(A[:, j], column, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(np.abs(block.weights[j]), np.abs(W), atol=1e-12)
        assert np.isclose(np.abs(block.weights[j]).sum(), 1.0)


def test_symbolic_statement_is_the_numeric_column(rng):
    """The family's sympy expression (nested volume forms, L = 4, d = 2) lambdified == the
    dictionary's columns."""
    X = rng.standard_normal((5, 2))
    D = reflection_plane_library(X, _arch(2, 4))
    block = D.blocks[0]
    expr = block.family.expr
    x = sp.symbols("x1:3", real=True)
    anchors = sorted(expr.free_symbols - set(x), key=str)
    f = sp.lambdify([*x, *anchors], expr, "numpy")
    names = ("xp", "xj0_", "xn3_")
    for j in rng.choice(len(block), size=20, replace=False):
        values = block.anchor_values[j].reshape(-1, 2)
        given = {f"{name}{i + 1}": values[k, i] for k, name in enumerate(names) for i in range(2)}
        given |= {f"v1{i + 1}": values[3, i] for i in range(2)}
        got = f(*X.T, *(given[s.name] for s in anchors))
        np.testing.assert_allclose(got, D.to_dense()[:, j], atol=1e-12)


@pytest.mark.parametrize("L", [4, 5])
def test_one_dimension_is_the_1d_deep_abs_library(rng, L):
    """C11 for L >= 4: at d = 1 the sub-library is exactly the 1-D deep narrow abs library
    (data and midpoint first-layer biases, 002 Def. 3.8-3.10) as a column set, so its Lasso
    optimum is the 1-D one (cvxpy on both)."""
    x = rng.standard_normal(7)
    y = rng.standard_normal(7)
    ours = build_dictionary(x[:, None], gs.architecture("abs", L, family=gs.DEEP_NARROW_DDIM,
                                                        dim=1)).to_dense()
    theirs = library_1d(x, gs.architecture("abs", L)).to_dense()
    assert _column_set(ours) == _column_set(theirs)
    np.testing.assert_allclose(cvxpy_lasso_value(ours, y, 0.02),
                               cvxpy_lasso_value(theirs, y, 0.02), rtol=1e-7)


def test_ties_extend_the_sub_library(rng):
    """The optional "ties" first-layer points only add columns: the default L = 4 library is a
    subset; raw count T C(5N + 2, 1) with T = (N^2 + N(N-1)/2 + N(N-1)(N-2)/2 + N^2(N-1)
    + N^2(N-1)/2) N."""
    n = 5
    X = rng.standard_normal((n, 2))
    plain = reflection_plane_library(X, _arch(2, 4))
    ties = reflection_plane_library(X, _arch(2, 4), first_biases=("data", "midpoint", "ties"))
    assert _column_set(plain.to_dense(), 8) < _column_set(ties.to_dense(), 8)
    T = (n * n + comb(n, 2) + n * (n - 1) * (n - 2) // 2 + n * n * (n - 1)
         + n * comb(n, 2)) * n
    assert ties.report.n_raw == T * (5 * n + 2) == raw_size(n, 2, 4, ("data", "midpoint", "ties"))


def test_deeper_libraries_contain_the_shallower_ones(rng):
    """Truncation (n_l = n_(l-1) makes layer l the identity on h_(l-1) >= 0): the L = 2 columns
    are L = 3 columns, those are L = 4 columns, those are L = 5 columns (d = 2); so p*_L is
    non-increasing in L (claim C9)."""
    X = rng.standard_normal((5, 2))
    sets = [_column_set(reflection_plane_library(X, _arch(2, L)).to_dense(), 8)
            for L in (2, 3, 4, 5)]
    for shallow, deep in zip(sets, sets[1:]):
        assert shallow < deep


@pytest.mark.parametrize("n, d, L", [(6, 2, 4), (5, 2, 5), (4, 3, 4)])
def test_c13_sizes(rng, n, d, L):
    """C13 for the sub-library: raw pairs == T C((2L - 3) N + d, d - 1) with T = (N^2 +
    N(N-1)/2) N^(L-3), <= the bound 2 N^(L+d-2) (2L - 3 + d)^(d-1) of ``family.size``;
    degenerate + repeated + kept add up; unique nonzero columns are fewer; the report says
    "sub-library"."""
    X = rng.standard_normal((n, d))
    D = reflection_plane_library(X, _arch(d, L))
    rep = D.report
    T = (n * n + comb(n, 2)) * n ** (L - 3)
    assert rep.n_raw == raw_size(n, d, L) == T * comb((2 * L - 3) * n + d, d - 1)
    assert rep.n_points == T
    assert rep.n_raw <= 2 * n ** (L + d - 2) * (2 * L - 3 + d) ** (d - 1) \
        == D.blocks[0].family.size(n)
    assert rep.columns.n_raw == rep.n_enumerated - rep.degenerate - rep.repeated
    assert D.n_columns == len(rep.columns.kept) < rep.n_raw
    assert D.n_columns == len(_column_set(D.to_dense(), decimals=8))
    assert rep.sublibrary and SUBLIBRARY_NOTE in str(rep)
    assert not D.blocks[0].family.complete
    assert reflection_plane_library(X, _arch(d, 3)).blocks[0].family.complete


def _kinks_along_normal(D, j, plane_offsets, W):
    """Slope changes of column j along x(s) = s W / ||W||^2 (x W = s): second differences of
    f on a fine grid around each offset, and linearity between consecutive offsets."""
    u = W / (W @ W)
    span = max(1.0, np.abs(plane_offsets).max())
    h = 1e-4 * span
    bent = []
    for s in plane_offsets:
        f = D.evaluate(np.outer([s - h, s, s + h], u), columns=[j])[:, 0]
        bent.append(abs(f[0] - 2 * f[1] + f[2]) > 1e-9 * span)
    edges = np.concatenate([[plane_offsets[0] - 2 * span], plane_offsets,
                            [plane_offsets[-1] + 2 * span]])
    straight = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi - lo < 1e-6 * span:
            continue
        s = lo + (hi - lo) * np.array([0.1, 0.5, 0.9])
        f = D.evaluate(np.outer(s, u), columns=[j])[:, 0]
        straight.append(abs((f[1] - f[0]) * 0.4 - (f[2] - f[1]) * 0.4) < 1e-9 * span)
    return bent, straight


@pytest.mark.parametrize("L", [4, 5])
def test_breakplanes_are_the_kinks_with_their_orders(rng, L):
    """Each column's planes are orthogonal to W and are exactly its kinks: f bends at every
    plane and is affine between consecutive ones (checked along the normal line); the planes
    through x' = x_n1 columns have chain orders <= 2(L - 3) (000 Thm 4.5, data x'), the
    tree order is never above the chain order, and some column attains 2(L - 3); also for the
    midpoint and "ties" first-layer points (kinds 1-3), whose kinks are half-integer
    combinations of data points."""
    X = rng.standard_normal((5, 2))
    D = reflection_plane_library(X, _arch(2, L), first_biases=("data", "midpoint", "ties"))
    block = D.blocks[0]
    kinds = block.anchor_index[:, 2]
    picks = np.concatenate([rng.choice(np.flatnonzero(kinds == 0), 25, replace=False)]
                           + [rng.choice(np.flatnonzero(kinds == k), 4, replace=False)
                              for k in (1, 2, 3)])
    top = 0
    for j in picks:
        chain = block.breakplanes(int(j))
        tree = block.breakplanes(int(j), reading="tree")
        W = block.weights[j]
        offsets = np.array([p.offset for p in chain])
        assert np.all(np.diff(offsets) >= -1e-12)
        for p in chain:
            np.testing.assert_array_equal(p.normal, W)
        keep = np.concatenate([[True], np.diff(offsets) > 1e-9])  # coinciding planes: one kink
        bent, straight = _kinks_along_normal(D, int(j), offsets[keep], W)
        assert all(bent) and all(straight), (j, [str(p) for p in chain])
        if block.anchor_index[j, 2] == 0:
            orders = [p.order for p in chain]
            assert None not in orders and max(orders) <= 2 * (L - 3)
            top = max(top, max(orders))
            for a, b in zip(chain, tree):
                assert b.order is not None and b.order <= a.order
        assert block.max_order(int(j)) == (None if None in [p.order for p in chain]
                                           else max(p.order for p in chain))
    assert top == 2 * (L - 3)


def test_sampling_storages_and_the_size_guard(rng):
    """L = 4: max_columns samples (x', directions) pairs uniformly, seeded and reported, columns
    from the full library; kernels (products, column norms) / torch stores == dense; a library
    far above the memory limit is refused before any work, naming max_columns."""
    X = rng.standard_normal((5, 2))
    full = reflection_plane_library(X, _arch(2, 4))
    a = reflection_plane_library(X, _arch(2, 4), max_columns=300, seed=1)
    assert a.sampled and a.report.n_enumerated == 300 and a.report.sublibrary
    assert _column_set(a.to_dense()) <= _column_set(full.to_dense())
    dense = reflection_plane_library(X, _arch(2, 4), deduplicate=False)
    kern = reflection_plane_library(X, _arch(2, 4), storage="kernels")
    tens = reflection_plane_library(X, _arch(2, 4), deduplicate=False, backend="torch")
    z, r = rng.standard_normal(dense.n_columns), rng.standard_normal(5)
    np.testing.assert_allclose(kern.matvec(z), dense.matvec(z), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kern.rmatvec(r), dense.rmatvec(r), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kern.column_norms(), np.linalg.norm(dense.to_dense(), axis=0),
                               rtol=1e-12)
    np.testing.assert_allclose(tens.to_dense(), dense.to_dense(), atol=1e-14)
    from gaconvex._validation import GaconvexError

    with pytest.raises(GaconvexError, match="max_columns=") as error:
        reflection_plane_library(rng.standard_normal((20, 2)), _arch(2, 6))
    assert "raw columns" in str(error.value)
