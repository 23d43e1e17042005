"""Batched generalized cross products in both layouts (001 Def. 4, eq. (42)): the generated
straight-line kernels (``gaconvex.algebra._codegen``, d <= 6) and the block kernel (d = 7).

Oracles: np.linalg.det cofactors (``ga_oracles.cofactor_cross``) with the Hadamard bound as
tolerance scale, and the exact multilinear rescaling cross(2^e V) = 2^(sum e) cross(V) (powers
of two are exact). The layouts "rows" (N, d-1, d) and "soa" (d-1, d, N) must give the same bits,
and the same bits as the block kernel that rescales every row (``_kernels.cross_laplace``),
which the generated kernels replace on rows of moderate size."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from gaconvex._validation import GaconvexError
from gaconvex.algebra import generalized_cross
from gaconvex.algebra._codegen import MAX_GENERATED_D, cross_module, cross_source
from gaconvex.algebra._kernels import cross_laplace
from gaconvex.algebra.exterior import _hodge_table, _laplace_schedule
from ga_oracles import PROPERTY, cofactor_cross, scale


@st.composite
def batches(draw, dims=st.integers(2, MAX_GENERATED_D + 1)):
    """(N, d-1, d) batches with rows scaled by 2^e, e in [-200, 150] (some outside the kernels'
    unscaled range [2^-60, 2^60]; products stay below the float64 range), some rows copied from
    another row (dependent) or zero."""
    d = draw(dims)
    n = draw(st.integers(1, 40))
    V = draw(arrays(np.float64, (n, d - 1, d), elements=st.floats(-4, 4, allow_subnormal=False)))
    exponents = draw(arrays(np.int64, (n, d - 1), elements=st.sampled_from([0, 0, 0, -200, -70,
                                                                            70, 150])))
    V = np.ldexp(V, exponents[..., None].astype(np.intc))
    if d > 2:
        copies = draw(arrays(np.bool_, n))
        V[copies, 1] = V[copies, 0]
    return V


def block_kernel(V, rtol=1e-10):
    """The block kernel that rescales every row exactly (serial), for (N, d-1, d)."""
    d = V.shape[-1]
    return cross_laplace(V, _laplace_schedule(d, d - 1), *_hodge_table(d, d - 1), rtol,
                         parallel=False)[0]


@PROPERTY
@given(batches())
def test_both_layouts_give_the_block_kernels_bits(V):
    rows = generalized_cross(V)
    soa = generalized_cross(np.ascontiguousarray(V.transpose(1, 2, 0)), layout="soa")
    reference = block_kernel(V)
    assert soa.shape == (V.shape[2], V.shape[0])
    np.testing.assert_array_equal(rows, reference)
    np.testing.assert_array_equal(soa.T, reference)


@PROPERTY
@given(batches(), st.integers(-40, 40))
def test_layouts_against_cofactor_determinants_and_exact_rescaling(V, shift):
    """w_i = (-1)^(i-1) det(V without column i) (np.linalg.det on rows normalized by powers of
    two, then scaled back); and cross(2^s V) = 2^(s (d-1)) cross(V) exactly."""
    d = V.shape[-1]
    soa = generalized_cross(np.ascontiguousarray(V.transpose(1, 2, 0)), layout="soa", rtol=0.0).T
    e = np.frexp(np.abs(V).max(axis=-1))[1]  # exact normalization of each row
    U = np.ldexp(V, -e[..., None])
    total = e.sum(-1)
    normal = (total > -700) & (total < 700)  # results far from under- and overflow
    got = np.ldexp(soa[normal], -total[normal, None])  # exact: powers of two
    tolerance = 1e-12 * np.array([scale(u) for u in U[normal]])[:, None]
    error = np.abs(got - cofactor_cross(U[normal]))
    assert (error <= tolerance).all(), (error.max(), tolerance.min())
    tiny = np.finfo(float).tiny
    # scaling by 2^k is exact for normal numbers only: rows whose entries stay zero or normal
    # (2^-1 of a subnormal entry drops its last bit), and of their results the entries that
    # stay normal (a tiny cross product of nearly dependent rows can be subnormal although
    # total is not)
    moved = np.ldexp(V, shift)
    exact_in = np.all(((np.abs(V) >= tiny) & (np.abs(moved) >= tiny)) | (V == 0), axis=(1, 2))
    normal &= exact_in
    shifted = generalized_cross(moved[normal].transpose(1, 2, 0).copy(),
                                layout="soa", rtol=0.0).T
    expected = np.ldexp(soa[normal], shift * (d - 1))
    exact = ((np.abs(soa[normal]) >= tiny) & (np.abs(expected) >= tiny)) | (soa[normal] == 0)
    np.testing.assert_array_equal(shifted[exact], expected[exact])


@pytest.mark.parametrize("d", range(2, MAX_GENERATED_D + 2))
def test_large_batch_layouts_agree_and_match_determinants(d, rng):
    V = rng.normal(size=(20_000, d - 1, d))
    V[::9] *= 2.0 ** 90  # rescaled items in the middle of vectorized runs
    V[4::13, -1] = 2.5 * V[4::13, 0]  # dependent: exactly 0
    soa = generalized_cross(np.ascontiguousarray(V.transpose(1, 2, 0)), layout="soa")
    rows = generalized_cross(V)
    np.testing.assert_array_equal(soa.T, rows)
    np.testing.assert_array_equal(rows, block_kernel(V))
    assert (rows[4::13] == 0).all() if d > 2 else True
    normal = np.ones(len(V), bool)
    normal[::9] = normal[4::13] = False
    np.testing.assert_allclose(rows[normal], cofactor_cross(V[normal]), rtol=1e-9, atol=1e-12)


def test_soa_keeps_extra_batch_axes_and_strided_input(rng):
    V = rng.normal(size=(3, 4, 2, 3))  # (batch 3 x 4, d-1 = 2, d = 3)
    soa_input = np.moveaxis(V, (2, 3), (0, 1))  # (2, 3, 3, 4), a non-contiguous view
    out = generalized_cross(soa_input, layout="soa")
    assert out.shape == (3, 3, 4)
    np.testing.assert_array_equal(np.moveaxis(out, 0, -1), generalized_cross(V))
    np.testing.assert_allclose(np.moveaxis(out, 0, -1), np.cross(V[..., 0, :], V[..., 1, :]),
                               rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("method", ["cofactor", "qr"])
def test_soa_on_torch_and_with_qr_equals_rows(method, rng):
    V = rng.normal(size=(50, 3, 4))
    soa = np.ascontiguousarray(V.transpose(1, 2, 0))
    expected = generalized_cross(V, method=method)
    np.testing.assert_allclose(generalized_cross(soa, layout="soa", method=method).T, expected,
                               rtol=1e-12, atol=1e-12)
    got = generalized_cross(torch.as_tensor(soa), layout="soa", method=method)
    assert isinstance(got, torch.Tensor) and tuple(got.shape) == (4, 50)
    np.testing.assert_allclose(got.numpy().T, expected, rtol=1e-12, atol=1e-12)


def test_non_finite_and_overflowing_items_in_large_batches_raise(rng):
    V = rng.normal(size=(5000, 2, 3))
    V[1234, 1, 2] = np.nan
    for layout, data in (("rows", V), ("soa", np.ascontiguousarray(V.transpose(1, 2, 0)))):
        with pytest.raises(GaconvexError, match="NaN|finite"):
            generalized_cross(data, layout=layout)
    V[1234, 1, 2] = 1.0
    V[77] *= 1e160
    for layout, data in (("rows", V), ("soa", np.ascontiguousarray(V.transpose(1, 2, 0)))):
        with pytest.raises(GaconvexError, match="overflows float64"):
            generalized_cross(data, layout=layout)


@pytest.mark.parametrize("shape", [(3, 3, 10), (3,), (2, 4, 5), (0, 2, 5)])
def test_soa_shape_errors_name_the_layout(shape):
    with pytest.raises(GaconvexError, match="layout='soa'"):
        generalized_cross(np.ones(shape), layout="soa")


def test_unknown_layout_is_refused():
    with pytest.raises(GaconvexError, match="layout must be"):
        generalized_cross(np.ones((2, 3)), layout="columns")


def test_d1_in_soa_layout_is_one():
    np.testing.assert_array_equal(generalized_cross(np.ones((0, 1, 4)), layout="soa"),
                                  np.ones((1, 4)))


def test_generated_module_is_cached_text_per_dimension():
    """The source is deterministic (the cache key is its hash) and unrolls the whole schedule:
    one statement per Laplace term, no index tables."""
    for d in range(2, MAX_GENERATED_D + 1):
        text = cross_source(d)
        assert text == cross_source(d)
        assert text.count("\n        c") == 2 * len(_laplace_schedule(d, d - 1).out)
    assert cross_module(3) is cross_module(3)
    assert hasattr(cross_module(3), "soa") and hasattr(cross_module(3), "rows")
