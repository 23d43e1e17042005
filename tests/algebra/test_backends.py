"""One API, two implementations: numpy/numba and torch agree to 1e-12 on the same float64
inputs (001 spec Sec. 1.8), on every available torch device; tensors come back on the input's
device, and torch gradients flow (d det[x; V] / dx = cross(V), 001 App. 6.1 property 5)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import gaconvex.algebra as ga
from ga_oracles import DEVICES


def _cases(rng):
    """(name, function, numpy arguments) for every public function of the algebra layer."""
    V5, V3 = rng.normal(size=(64, 4, 5)), rng.normal(size=(64, 2, 3))
    x5, x3 = rng.normal(size=(64, 5)), rng.normal(size=(64, 3))
    S = rng.normal(size=(64, 5, 5))
    return [
        ("wedge", ga.wedge, (rng.normal(size=(64, 3, 5)),)),
        ("wedge_minors", lambda V: ga.wedge(V, method="minors"), (rng.normal(size=(64, 3, 5)),)),
        ("hodge_dual", lambda B: ga.hodge_dual(B, 5, 2), (rng.normal(size=(64, 10)),)),
        ("cross5", ga.generalized_cross, (V5,)),
        ("cross3", ga.generalized_cross, (V3,)),
        ("cross_qr", lambda V: ga.generalized_cross(V, method="qr"), (V5,)),
        ("cross_large_d", ga.generalized_cross, (rng.normal(size=(8, 10, 11)),)),
        ("blade_norm1", lambda V: ga.blade_norm(V, 1), (V5,)),
        ("blade_norm2", ga.blade_norm, (V5,)),
        ("blade_inner", ga.blade_inner, (V5, rng.normal(size=(64, 4, 5)))),
        ("signed_volume", ga.signed_volume, (S,)),
        ("parallelotope_volume", ga.parallelotope_volume, (V5,)),
        ("simplex_volume", ga.simplex_volume, (S,)),
        ("triangle_area_2d", ga.triangle_area_2d, tuple(rng.normal(size=(3, 64, 2)))),
        ("distance_to_span", ga.distance_to_span, (x5, V5)),
        ("distance_unsigned", lambda x, V: ga.distance_to_span(x, V, signed=False),
         (x5, V5[:, :2])),
        ("distance_to_affine_hull", ga.distance_to_affine_hull, (x5, S)),
        ("project_onto_blade", ga.project_onto_blade, (x5, V5[:, :3])),
        ("reject_from_blade", ga.reject_from_blade, (x3, V3[:, :1])),
        ("reflect_point", ga.reflect_point, (x5, V5[:, 0])),
        ("generalized_reflection", ga.generalized_reflection, (x5, V5[:, 0], V5[:, 1])),
        ("reflect_across_hyperplane", ga.reflect_across_hyperplane, (x5, V5[:, 0], x3[:, 0])),
        ("reflect_hyperplane",
         lambda p, w, q, v: ga.reflect_hyperplane_across_hyperplane(p, w, q, v)[0],
         (x5, V5[:, 0], V5[:, 1], V5[:, 2])),
    ]


@pytest.mark.parametrize("device", DEVICES)
def test_torch_matches_numpy(device, rng):
    for name, fn, args in _cases(rng):
        expected = fn(*args)
        got = fn(*(torch.as_tensor(a, device=device) for a in args))
        assert isinstance(got, torch.Tensor) and got.device.type == device, name
        assert got.dtype == torch.float64, name
        assert isinstance(expected, np.ndarray) and expected.dtype == np.float64, name
        np.testing.assert_allclose(got.cpu().numpy(), expected, rtol=1e-12, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("device", DEVICES)
def test_mixed_inputs_follow_the_tensor_and_keep_float32(device, rng):
    """A numpy argument next to a tensor is moved to the tensor's device; float32 stays float32."""
    x, V = rng.normal(size=(10, 3)), rng.normal(size=(10, 2, 3))
    out = ga.distance_to_span(x, torch.as_tensor(V, device=device))
    assert out.device.type == device
    np.testing.assert_allclose(out.cpu().numpy(), ga.distance_to_span(x, V), rtol=1e-12)
    single = ga.generalized_cross(torch.as_tensor(V, dtype=torch.float32, device=device))
    assert single.dtype == torch.float32
    np.testing.assert_allclose(single.cpu().numpy(), np.cross(V[:, 0], V[:, 1]),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_of_signed_volume_is_the_cross_product(device, rng):
    """d/dx det[x; v_1; ...; v_{d-1}] = cross(V): autograd through the torch Laplace expansion."""
    x = torch.tensor(rng.normal(size=(6, 5)), device=device, requires_grad=True)
    V = torch.tensor(rng.normal(size=(6, 4, 5)), device=device)
    ga.signed_volume(torch.cat([x[:, None], V], 1)).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), ga.generalized_cross(V.cpu().numpy()),
                               rtol=1e-12, atol=1e-12)


def test_integer_and_list_inputs_become_float64():
    assert ga.generalized_cross([[1, 2, 3], [4, 5, 6]]).dtype == np.float64
    out = ga.generalized_cross(torch.tensor([[1, 2, 3], [4, 5, 6]]))
    assert out.dtype == torch.float64
    np.testing.assert_array_equal(out.numpy(), [-3.0, 6.0, -3.0])


def test_empty_batches():
    assert ga.generalized_cross(np.zeros((0, 2, 3))).shape == (0, 3)
    assert ga.generalized_cross(torch.zeros(0, 4, 5, dtype=torch.float64)).shape == (0, 5)
    assert ga.wedge(np.zeros((2, 0, 3, 4))).shape == (2, 0, 4)
