"""The three-layer wedge dictionaries of 001 Thm 12 (row J) and Thm 13 (row K): every column
against a brute-force evaluation from its anchor indices alone (cofactor determinants with
numpy.linalg.det, no gaconvex algebra), the enumeration counts of the spec, the geometry of
the neurons, the symbolic expression, reports and bad input."""
from __future__ import annotations

from math import comb

import numpy as np
import pytest
import sympy as sp

import gaconvex.symbolic as gs
from gaconvex._validation import GaconvexError
from gaconvex.dictionaries import build_dictionary, three_layer_wedge_library


def _arch(d, bias=False):
    return gs.architecture("relu", 3, dim=d, bias=bias)


def _vector(X, i, j):
    """The direction (i, j) of the anchor encoding: x_i - x_j, x_i (j = -1), e_k (i = -k)."""
    n, d = X.shape
    v = np.eye(d)[-i - 1] if i < 0 else X[i].copy()
    return v - X[j] if j >= 0 else v


def _cofactor_cross(V):
    """cross(v_1..v_{d-1})_k = (-1)^k det(V without column k) (001 eq. (42)), by numpy.linalg."""
    d = V.shape[1]
    if d == 1:
        return np.ones(1)
    return np.array([(-1) ** k * np.linalg.det(np.delete(V, k, axis=1)) for k in range(d)])


def _brute_column(X, index, signs, affine):
    """relu(t (g(x_i) - g(x_j0))), g(x) = relu(s (<x, w> + b)) from the anchor indices."""
    n, d = X.shape
    j0, rest = index[0], list(index[1:])
    l = rest.pop(0) if affine else None
    V = np.array([_vector(X, i, j) for i, j in zip(rest[::2], rest[1::2])]).reshape(d - 1, d)
    w = _cofactor_cross(V)
    w = w / np.abs(w).sum()
    b = -X[l] @ w if affine else 0.0
    s, t = signs
    g = np.maximum(s * (X @ w + b), 0)
    return np.maximum(t * (g - g[j0]), 0), w, b, V


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("bias", [False, True])
def test_columns_equal_the_brute_force_formula(rng, d, bias):
    """001 eqs. (27)-(29) (row J) and its relabelled form (row K): each stored column equals
    relu(t (relu(s <x_i, w>) - relu(s <x_j0, w>))) with w the normalized cofactor cross product
    of the directions its anchor_index names; the neuron is orthogonal to those directions
    (001 eqs. (30)-(32), (35)-(38)) and for row K its hyperplane passes through x_l."""
    X = rng.standard_normal((5, d))
    D = three_layer_wedge_library(X, _arch(d, bias), deduplicate=False)
    A = D.to_dense()
    block = D.blocks[0]
    for c in range(D.n_columns):
        col, w, b, V = _brute_column(X, block.anchor_index[c], block.signs[c], bias)
        np.testing.assert_allclose(A[:, c], col, atol=1e-12)
        np.testing.assert_allclose(block.weights[c], block.signs[c][0] * w, atol=1e-12)
        np.testing.assert_allclose(V @ block.weights[c], 0, atol=1e-12)
        if bias:
            l = block.anchor_index[c][1]
            np.testing.assert_allclose(X[l] @ block.weights[c] + block.bias[c], 0, atol=1e-12)


@pytest.mark.parametrize("n, d", [(5, 2), (4, 3)])
def test_every_anchor_set_of_the_spec_is_enumerated(rng, n, d):
    """Spec 001 Sec. 3.2: row J has n C(2n - 1 + d, d - 1) anchor sets (the proof's j0
    differences), n C(n + C(n, 2) + d, d - 1) with the statement's all pairs; row K
    n (n - 1) C(2n - 2 + d, d - 1) + n C(n - 1 + d, d - 1); four columns each; and the stored
    (j0, directions) are exactly those sets (less the repeated neurons)."""
    X = rng.standard_normal((n, d))
    for vectors, sets in [("differences", n * comb(2 * n - 1 + d, d - 1)),
                          ("all_pairs", n * comb(n + comb(n, 2) + d, d - 1))]:
        D = three_layer_wedge_library(X, _arch(d), vectors=vectors, deduplicate=False)
        assert D.report.n_sets == D.report.n_enumerated == sets
        assert gs.derive(_arch(d)).families[0].size(n, vectors == "all_pairs") == 4 * sets
        assert D.n_columns == 4 * (sets - D.report.repeated - D.report.degenerate)
    K = three_layer_wedge_library(X, _arch(d, True), deduplicate=False)
    assert K.report.n_sets == n * (n - 1) * comb(2 * n - 2 + d, d - 1) + n * comb(n - 1 + d, d - 1)
    # the j0-difference sets of row J: every direction is x_i, x_i - x_j0 or e_k
    J = three_layer_wedge_library(X, _arch(d), deduplicate=False)
    idx = J.blocks[0].anchor_index
    j0, pairs = idx[:, 0], idx[:, 1:].reshape(len(idx), d - 1, 2)
    assert np.all((pairs[..., 1] == -1) | (pairs[..., 1] == j0[:, None]))
    assert np.all((pairs[..., 0] >= 0) | (pairs[..., 1] == -1))


def test_symbolic_expression_is_the_stored_column(rng):
    """The family's sympy statement Max(0, t (g(x) - g(x_j0))) (g: the 2-layer wedge feature)
    evaluated at data and anchors reproduces stored columns (d = 2, both rows)."""
    X = rng.standard_normal((4, 2))
    for bias in (False, True):
        D = three_layer_wedge_library(X, _arch(2, bias))
        family = D.blocks[0].family
        expr, A = family.expr, D.to_dense()
        for c in range(0, D.n_columns, 7):
            info = D.column_info(c)
            anchors = np.reshape(info.anchor_values, (family.n_anchors, 2))
            subs = {"s": info.signs[0], "t": info.signs[1], "a1": anchors[0, 0],
                    "a2": anchors[0, 1]}
            if bias:
                subs.update(u1=anchors[1, 0], u2=anchors[1, 1])
            V = anchors[family.n_points:]
            subs.update(v11=V[0, 0], v12=V[0, 1])
            for i in range(len(X)):
                value = expr.subs({sp.Symbol(k, real=True): v for k, v in
                                   {**subs, "x1": X[i, 0], "x2": X[i, 1]}.items()})
                assert float(value) == pytest.approx(A[i, c], abs=1e-12)


def test_storages_sampling_and_dispatch_agree(rng):
    """The matrix-free store has the dense columns; build_dictionary dispatches here; a
    max_columns sample is a flagged subset of the raw columns."""
    X = rng.standard_normal((6, 2))
    arch = _arch(2)
    dense = three_layer_wedge_library(X, arch, deduplicate=False)
    kernels = three_layer_wedge_library(X, arch, storage="kernels")
    np.testing.assert_allclose(kernels.to_dense(), dense.to_dense(), atol=1e-14)
    z, r = rng.standard_normal(dense.n_columns), rng.standard_normal(6)
    np.testing.assert_allclose(kernels.matvec(z), dense.matvec(z), atol=1e-12)
    np.testing.assert_allclose(kernels.rmatvec(r), dense.rmatvec(r), atol=1e-12)
    np.testing.assert_allclose(kernels.column_norms(),
                               np.linalg.norm(dense.to_dense(), axis=0), rtol=1e-12)
    torch_kernels = three_layer_wedge_library(X, arch, storage="kernels", backend="torch")
    np.testing.assert_allclose(torch_kernels.to_dense(), dense.to_dense(), atol=1e-14)
    assert build_dictionary(X, arch).n_columns == three_layer_wedge_library(X, arch).n_columns
    sample = three_layer_wedge_library(X, arch, max_columns=40, seed=1, deduplicate=False)
    assert sample.sampled and sample.report.sampled and sample.report.n_enumerated == 10
    raw = {tuple(r) + tuple(s) for r, s in zip(dense.blocks[0].anchor_index,
                                                dense.blocks[0].signs)}
    assert all(tuple(r) + tuple(s) in raw for r, s in zip(sample.blocks[0].anchor_index,
                                                           sample.blocks[0].signs))


def test_repeated_points_are_reported_not_nan(rng):
    """A repeated data point makes x_i - x_j = 0: those sets are degenerate, reported with
    their anchors, and no column is NaN or zero after deduplication."""
    X = rng.standard_normal((5, 2))
    X[4] = X[1]
    D = three_layer_wedge_library(X, _arch(2))
    assert D.report.degenerate > 0 and "degenerate" in str(D.report)
    for bad in D.report.degenerate_sets:  # d = 2: the one direction is x_1 - x_4 = 0
        np.testing.assert_array_equal(_vector(X, *bad[1:]), 0)
    A = D.to_dense()
    assert np.isfinite(A).all() and (np.abs(A).max(axis=0) > 0).all()


def test_bad_input_is_refused(rng):
    X = rng.standard_normal((5, 2))
    with pytest.raises(GaconvexError, match="vectors"):
        three_layer_wedge_library(X, _arch(2), vectors="triples")
    with pytest.raises(GaconvexError, match="differences"):
        three_layer_wedge_library(X, _arch(2, True), vectors="all_pairs")
    with pytest.raises(GaconvexError, match="two data points"):
        three_layer_wedge_library(X[:1], _arch(2))
    with pytest.raises(GaconvexError, match="three-layer wedge"):
        three_layer_wedge_library(X, gs.architecture("relu", 2, dim=2))
    with pytest.raises(GaconvexError, match="depth 3"):
        gs.architecture("relu", 4, gs.WEDGE_THREE_LAYER, dim=2)
    with pytest.raises(GaconvexError, match="relu"):
        gs.architecture("abs", 3, gs.WEDGE_THREE_LAYER, dim=2)
    with pytest.raises(GaconvexError, match="memory limit"):
        three_layer_wedge_library(rng.standard_normal((12, 3)), _arch(3), memory_limit=1e4)


def test_column_descriptions_name_the_anchors(rng):
    """describe(i) says the unit, the directions its neuron is orthogonal to and the anchor of
    the second-layer breakpoint (row K also the point of the first-layer hyperplane)."""
    X = rng.standard_normal((4, 3))
    for bias in (False, True):
        D = three_layer_wedge_library(X, _arch(3, bias), deduplicate=False)
        idx = D.blocks[0].anchor_index[5]
        text = D.describe(5)
        assert f"second-layer breakpoint at x[{idx[0]}]" in text
        assert ("first-layer hyperplane through x[%d]" % idx[1] in text) == bias
        assert "orthogonal to" in text and "||W||_1 = 1" in text


def _distinct_lines(W, b):
    """Distinct lines <w, x> + b = 0 of neurons (W (P, 2), b (P,)): unit normal, sign fixed."""
    key = np.column_stack([W, b]) / np.linalg.norm(W, axis=1, keepdims=True)
    lead = key[np.arange(len(key)), np.argmax(np.abs(key[:, :2]) > 1e-9, axis=1)]
    key *= np.where(lead < 0, -1, 1)[:, None]
    return np.unique(np.round(key, 9), axis=0)


def test_diamond_candidate_breaklines_are_those_of_fig_7():
    """001 Sec. 3.7, Fig. 7 (b), (d) on the diamond (+-1, 0), (0, +-1): the bias-free first
    layer of Thm 12 has 4 candidate lines, the axes and the diagonals y = +-x (translations of
    Aff(x_1, x_2), Aff(x_2, x_3) to the origin); row K's lines are the pair directions and the
    axes translated to every data point: 10 distinct lines (spec 001 Sec. 5: the paper's
    "12 neurons" counts 10 distinct lines)."""
    from gaconvex.datasets.synthetic import diamond_points

    X = diamond_points()
    J = three_layer_wedge_library(X, _arch(2), deduplicate=False).blocks[0]
    lines = _distinct_lines(J.weights, J.bias)
    expected = np.array([[0, 1, 0], [1, 0, 0], [1, -1, 0], [1, 1, 0]], dtype=float)
    expected[:, :2] /= np.linalg.norm(expected[:, :2], axis=1, keepdims=True)
    np.testing.assert_allclose(lines[np.lexsort(lines.T[::-1])],
                               expected[np.lexsort(expected.T[::-1])], atol=1e-9)
    K = three_layer_wedge_library(X, _arch(2, True), deduplicate=False).blocks[0]
    assert len(_distinct_lines(K.weights, K.bias)) == 10
