"""Reflection-plane dictionaries of deep narrow abs networks on R^d (000 Thm 4.1, Thm 4.3
corrected (10c), Remark E.1, Lemma 4.2; seed-000-spec Sec. 3.2-3.4, claims C2, C11, C13).

Every column is checked against forms computed here independently: the volume form (9) with
numpy determinants, the wedge form (10a) with clifford (wedge, Hodge star by I^-1), the
distance form (10c) from the plane distances, and the 1-D libraries of 002 at d = 1."""
from __future__ import annotations

from functools import lru_cache
from math import comb

import clifford
import numpy as np
import pytest
import sympy as sp

import gaconvex.symbolic as gs
from gaconvex._validation import GaconvexError
from gaconvex.dictionaries import build_dictionary, library_1d, reflection_plane_library
from gaconvex.dictionaries.reflection_planes import raw_size
from gaconvex.symbolic import ReflectionPlane


def _arch(d, L=3):
    return gs.architecture("abs", L, dim=d)


def _column_set(A, decimals=9):
    return {tuple(np.round(c, decimals) + 0.0) for c in A.T if np.abs(c).max() > 1e-12}


def _anchors(block, j):
    k, d = block.family.n_anchors, block.family.dim
    return block.anchor_values[j].reshape(k, d)


@lru_cache(maxsize=None)
def _algebra(d):
    layout, blades = clifford.Cl(d)
    return layout, [blades[f"e{i + 1}"] for i in range(d)], layout.pseudoScalar.inv()


def _wedge_form(x, xp, x0, deltas):
    """(10a): | |star((x - x') ^ B)| - |star((x_j0 - x') ^ B)| | / ||B||_1 by clifford."""
    layout, E, I_inv = _algebra(len(x))
    mv = lambda v: sum(float(c) * e for c, e in zip(v, E))  # noqa: E731
    B = layout.scalar
    for v in deltas:
        B = B ^ mv(v)
    star = lambda A: (A * I_inv).value[0]  # noqa: E731  (a pseudoscalar: its star is a scalar)
    return abs(abs(star(mv(x - xp) ^ B)) - abs(star(mv(x0 - xp) ^ B))) / np.abs(B.value).sum()


def _volume_form(x, xp, x0, deltas):
    """(9): |Vol(x - x', Delta..) - Vol(x_j0 - x', Delta..)| / ||cross(Delta)||_1 by numpy."""
    D = np.asarray(deltas).reshape(-1, len(x))
    w = np.array([(-1) ** i * np.linalg.det(np.delete(D, i, axis=1)) for i in range(len(x))])
    vol = lambda u: abs(np.linalg.det(np.vstack([u - xp, D])))  # noqa: E731
    return abs(vol(x) - vol(x0)) / np.abs(w).sum(), w


@pytest.mark.parametrize("n, d", [(6, 2), (5, 3)])
def test_c2_feature_identities(rng, n, d):
    """Seed-000-spec C2 on 60 random columns x 6 points: (9) == (10a) == the column (33) ==
    (10c) to 1e-9; W orthogonal to every generating Delta; f unchanged by W -> -W; mirror
    symmetric about the plane through x'; exactly zero on the planes through x_j0 and
    2x' - x_j0."""
    X = rng.standard_normal((n, d))
    D = reflection_plane_library(X, _arch(d), deduplicate=False)
    block = D.blocks[0]
    cols = rng.choice(len(block), size=min(60, len(block)), replace=False)
    P = rng.standard_normal((6, d))
    F = D.evaluate(P, columns=cols)
    for c, j in enumerate(cols):
        xp, x0, *deltas = _anchors(block, j)
        W = block.weights[j]
        vol, w = _volume_form(P[0], xp, x0, deltas)
        np.testing.assert_allclose(np.abs(W), np.abs(w) / np.abs(w).sum(), atol=1e-12)
        np.testing.assert_allclose(np.asarray(deltas) @ W, 0, atol=1e-12)
        r = np.linalg.norm(w) / np.abs(w).sum()
        u = w / np.linalg.norm(w)
        for i, x in enumerate(P):
            expected = _volume_form(x, xp, x0, deltas)[0]
            dist = min(abs((x - x0) @ u), abs((x - (2 * xp - x0)) @ u))
            np.testing.assert_allclose([F[i, c], _wedge_form(x, xp, x0, deltas), r * dist],
                                       expected, rtol=1e-9, atol=1e-12)
        family = block.family
        flipped = family.evaluate(P, -W[None], -block.bias[j:j + 1], block.inner_bias[j:j + 1])
        np.testing.assert_allclose(flipped[:, 0], F[:, c], atol=1e-12)
        mirror = P - 2 * ((P - xp) @ W / (W @ W))[:, None] * W
        np.testing.assert_allclose(D.evaluate(mirror, columns=[j])[:, 0], F[:, c], atol=1e-11)
        along = rng.standard_normal((4, d))
        along -= np.outer(along @ u, u)  # directions inside the planes
        on_planes = np.vstack([x0 + along, 2 * xp - x0 + along])
        np.testing.assert_allclose(D.evaluate(on_planes, columns=[j])[:, 0], 0, atol=1e-12)


@pytest.mark.parametrize("d", [2, 3])
def test_symbolic_volume_form_is_the_numeric_column(rng, d):
    """The family's sympy expression (the volume form (9)) lambdified == the dictionary."""
    X = rng.standard_normal((5, d))
    D = reflection_plane_library(X, _arch(d))
    family, block = D.blocks[0].family, D.blocks[0]
    expr = family.expr
    x = sp.symbols(f"x1:{d + 1}", real=True)
    anchors = sorted(expr.free_symbols - set(x), key=str)
    names = {s.name: s for s in anchors}
    f = sp.lambdify([*x, *anchors], expr, "numpy")
    for j in rng.choice(len(block), size=20, replace=False):
        xp, x0, *deltas = _anchors(block, j)
        values = {f"xp{i + 1}": xp[i] for i in range(d)} | {f"xj0_{i + 1}": x0[i]
                                                          for i in range(d)}
        values |= {f"v{a + 1}{b + 1}": deltas[a][b] for a in range(d - 1) for b in range(d)}
        got = f(*X.T, *(values[s.name] for s in anchors))
        np.testing.assert_allclose(got, D.to_dense()[:, j], atol=1e-12)
    assert set(names) == set(values)


@pytest.mark.parametrize("L", [2, 3])
def test_c11_one_dimension_is_the_1d_abs_library(rng, L):
    """Seed-000-spec C11: at d = 1 the builder gives exactly the 1-D abs libraries of 002
    (|x_i - x_j| for L = 2; ||x - x'| - |x_j0 - x'|| with data and midpoint x' for L = 3) as
    column sets."""
    x = rng.standard_normal(7)
    arch = gs.architecture("abs", L, family=gs.DEEP_NARROW_DDIM, dim=1)
    ours = build_dictionary(x[:, None], arch)
    theirs = library_1d(x, gs.architecture("abs", L))
    assert _column_set(ours.to_dense()) == _column_set(theirs.to_dense())
    if L == 2:
        assert _column_set(ours.to_dense()) == _column_set(np.abs(x[:, None] - x[None]))


@pytest.mark.parametrize("n, d", [(6, 2), (7, 2), (5, 3), (4, 4)])
def test_c13_size_bound_and_reported_removals(rng, n, d):
    """Lemma 4.2 with the x_j0 fix: raw pairs <= 2 N^(d+1) (3 + d)^(d-1) and equal to the
    closed count T C(3N + d, d - 1); degenerate + repeated + kept columns add up; the unique
    nonzero columns are fewer than the raw count."""
    X = rng.standard_normal((n, d))
    D = reflection_plane_library(X, _arch(d))
    rep = D.report
    assert rep.n_raw == raw_size(n, d, 3) == (n * n + comb(n, 2)) * comb(3 * n + d, d - 1)
    assert rep.n_raw <= 2 * n ** (d + 1) * (3 + d) ** (d - 1) == D.blocks[0].family.size(n)
    assert rep.columns.n_raw == rep.n_enumerated - rep.degenerate - rep.repeated
    assert D.n_columns == len(rep.columns.kept) < rep.n_raw
    assert D.n_columns == len(_column_set(D.to_dense(), decimals=8))


def test_degenerate_subsets_are_reported_with_zero_cross_products(rng):
    """w = 0 subsets (x_n - x' with n = j_-1 is the zero vector; collinear data) are counted
    and listed; the listed direction codes really give a zero cross product."""
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.0, 1.0]])  # three collinear points
    D = reflection_plane_library(X, _arch(2))
    rep = D.report
    assert rep.degenerate > 0 and len(rep.degenerate_sets) == min(rep.degenerate, 20)
    for jm, j0, kind, code in rep.degenerate_sets:
        xp = X[jm] if kind == 0 else (X[jm] + X[j0]) / 2
        base = [xp, X[j0], 2 * xp - X[j0]]
        delta = X[code // 3] - base[code % 3] if code >= 0 else np.eye(2)[-code - 1]
        assert np.allclose(delta, 0)
    assert "degenerate" in str(rep)


def test_sampling_is_reported_seeded_and_a_subset(rng):
    """max_columns: a uniform seeded sample of (x', directions) pairs, flagged sampled, whose
    columns all belong to the full library."""
    X = rng.standard_normal((6, 2))
    full = reflection_plane_library(X, _arch(2))
    a = reflection_plane_library(X, _arch(2), max_columns=200, seed=3)
    b = reflection_plane_library(X, _arch(2), max_columns=200, seed=3)
    assert a.sampled and a.report.sampled and not full.sampled
    assert a.report.n_enumerated == 200 and "sample" in str(a.report)
    np.testing.assert_array_equal(a.to_dense(), b.to_dense())
    assert _column_set(a.to_dense()) <= _column_set(full.to_dense())


def test_metadata_rebuilds_units_and_breakplanes(rng):
    """Each column's metadata (j_-1, j_0, x', W, planes) rebuilds it: the unit's forward pass
    is the column; the planes are orthogonal to W and pass through x_j0, R(x_j0, x_j-1) =
    2x_j-1 - x_j0 (data x') or x_j-1 (midpoint x'), and x' (the ridge)."""
    X = rng.standard_normal((6, 2))
    D = reflection_plane_library(X, _arch(2))
    block = D.blocks[0]
    for j in rng.choice(len(block), size=40, replace=False):
        info = D.column_info(int(j))
        (W1, b1), (w2, b2) = info.unit()
        h = np.abs(np.abs(X @ W1 + b1) * w2 + b2)[:, 0]
        np.testing.assert_allclose(h, D.column(int(j)), atol=1e-12)
        jm, j0, kind = info.anchor_index[:3]
        xp = X[jm] if kind == 0 else (X[jm] + X[j0]) / 2
        planes = block.breakplanes(int(j))
        if len(planes) == 1:  # (x_j0 - x') W = 0: one plane
            assert abs((X[j0] - xp) @ W1[:, 0]) < 1e-12
            continue
        kinds = [p.kind for p in planes]
        assert kinds == ["data", "data" if kind == 1 else "reflection", "ridge"]
        expected = [X[j0], X[jm] if kind == 1 else 2 * X[jm] - X[j0], xp]
        for plane, point in zip(planes, expected):
            np.testing.assert_allclose(plane.point, point, atol=1e-12)
            np.testing.assert_allclose(plane.normal, W1[:, 0], atol=1e-15)
        assert D.evaluate(planes[0].point[None], columns=[int(j)])[0, 0] < 1e-12
        assert "through" in D.describe(int(j))


def test_two_layer_columns_are_contained_in_the_three_layer_library(rng):
    """Remark E.1: every L = 2 column |(x - x_n) W| is an L = 3 column (j_-1 = j_0 = n)."""
    X = rng.standard_normal((6, 2))
    two = reflection_plane_library(X, _arch(2, 2)).to_dense()
    three = reflection_plane_library(X, _arch(2, 3)).to_dense()
    assert _column_set(two) <= _column_set(three)


def test_kernel_and_torch_stores_match_the_dense_one(rng):
    X = rng.standard_normal((6, 3))
    dense = reflection_plane_library(X, _arch(3), deduplicate=False)
    kern = reflection_plane_library(X, _arch(3), storage="kernels")
    tens = reflection_plane_library(X, _arch(3), deduplicate=False, backend="torch")
    z, r = rng.standard_normal(dense.n_columns), rng.standard_normal(6)
    np.testing.assert_allclose(kern.matvec(z), dense.matvec(z), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kern.rmatvec(r), dense.rmatvec(r), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tens.to_dense(), dense.to_dense(), atol=1e-14)


def test_reflection_plane_object(rng):
    W = np.array([0.25, -0.75])
    plane = ReflectionPlane(np.array([1.0, 2.0]), W, "reflection", "R(x[0], x[1])")
    line = plane.line_2d(np.linspace(-1, 1, 5))
    np.testing.assert_allclose(plane.signed_distance(line), 0, atol=1e-15)
    np.testing.assert_allclose(plane.offset, 1.0 * 0.25 - 2.0 * 0.75)
    assert "reflection plane through R(x[0], x[1])" in str(plane)
    with pytest.raises(GaconvexError, match="kind must be one of"):
        ReflectionPlane(np.zeros(2), W, "mirror")
    with pytest.raises(GaconvexError, match="R\\^2"):
        ReflectionPlane(np.zeros(3), np.ones(3), "data").line_2d([0.0])


def test_bad_requests_name_the_fix(rng):
    X = rng.standard_normal((5, 2))
    with pytest.raises(GaconvexError, match="architecture\\('abs', 3, dim=d\\)"):
        reflection_plane_library(X, gs.architecture("relu", 2, dim=2))
    with pytest.raises(GaconvexError, match="storage must be one of"):
        reflection_plane_library(X, _arch(2), storage="structured")
    with pytest.raises(GaconvexError, match="first_biases"):
        reflection_plane_library(X, _arch(2), first_biases=("ridge",))
    with pytest.raises(GaconvexError, match="max_columns"):  # 4e7 raw columns: refused first
        reflection_plane_library(rng.standard_normal((12, 2)), _arch(2, 6))
    with pytest.raises(GaconvexError, match="'abs'"):
        gs.architecture("leaky_relu", 3, family=gs.DEEP_NARROW_DDIM, dim=2)
    with pytest.raises(GaconvexError, match="memory limit"):
        reflection_plane_library(rng.standard_normal((30, 3)), _arch(3), memory_limit=1e5)
