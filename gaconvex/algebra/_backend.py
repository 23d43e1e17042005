"""Array backends behind one API: numpy in -> numpy out, torch in -> torch out (same device).

torch is never imported here: a tensor can only have been passed if torch is already in
``sys.modules``, so ``import gaconvex.algebra`` stays free of torch. The numpy backend works in
float64; the torch backend keeps a floating input's dtype (float64 for integer input).
"""
from __future__ import annotations

import math
import sys

import numpy as np

from .._validation import GaconvexError, as_float_array, check_finite

# Batch rows per torch call of the Laplace expansion: small enough to stay in CPU caches.
_TORCH_CPU_CHUNK = 1 << 16
_TORCH_DEVICE_CHUNK = 1 << 22


def _flatten_batch(V):
    """(..., k, d) -> (N, k, d), N the product of the batch axes (explicit: k may be 0)."""
    return V.reshape((math.prod(V.shape[:-2]),) + tuple(V.shape[-2:]))


def is_tensor(a) -> bool:
    """True if ``a`` is a torch tensor (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(a, torch.Tensor)


class NumpyBackend:
    """float64 numpy arrays; the Laplace expansion runs in a numba kernel."""

    name = "numpy"
    xp = np

    def asarray(self, a, name: str):
        return as_float_array(a, name)

    def index(self, values):
        return np.asarray(values, dtype=np.intp)

    def constant(self, values):
        return np.asarray(values, dtype=np.float64)

    def pinv(self, a, rtol: float):
        return np.linalg.pinv(a, rcond=rtol)

    def finfo(self):
        return np.finfo(np.float64)

    def frexp(self, a):
        """(f, e) with a = f 2^e, |f| in [0.5, 1) (f = e = 0 for a = 0); e as int64."""
        f, e = np.frexp(a)
        return f, e.astype(np.int64)

    def ldexp(self, a, n):
        """a 2^n elementwise (n integers), exact unless the result is subnormal."""
        with np.errstate(under="ignore"):
            return np.ldexp(a, np.asarray(n, dtype=np.int64).astype(np.intc))

    def wedge_laplace(self, V, schedule):
        from ._kernels import wedge_laplace

        flat = np.ascontiguousarray(_flatten_batch(V))
        out = np.empty((flat.shape[0], schedule.n_out))
        wedge_laplace(flat, schedule.n_slots, schedule.first, schedule.out, schedule.inn,
                      schedule.vec, schedule.col, schedule.sign, out)
        return out.reshape(V.shape[:-2] + (schedule.n_out,))

    def abs_max(self, a):
        """max_j |a[..., j]| (a numba loop: numpy reduces short last axes slowly)."""
        from ._kernels import abs_max

        flat = np.ascontiguousarray(a.reshape(-1, a.shape[-1]))
        out = np.empty(flat.shape[0])
        abs_max(flat, out)
        return out.reshape(a.shape[:-1])

    def row_scale(self, V):
        """prod_i max_j |V[..., i, j]| (a numba loop: numpy reduces short last axes slowly)."""
        from ._kernels import row_scale

        flat = np.ascontiguousarray(_flatten_batch(V))
        out = np.empty(flat.shape[0])
        row_scale(flat, out)
        return out.reshape(V.shape[:-2])


class TorchBackend:
    """torch tensors on one device, in one floating dtype."""

    name = "torch"

    def __init__(self, torch, device, dtype):
        self.xp = torch
        self.device = device
        self.dtype = dtype

    def asarray(self, a, name: str):
        torch = self.xp
        if not is_tensor(a):
            a = torch.as_tensor(as_float_array(a, name))
        elif a.is_complex():
            raise GaconvexError(f"{name} must be real, got a tensor of dtype {a.dtype}.")
        a = a.to(device=self.device, dtype=self.dtype)
        if not bool(torch.isfinite(a).all()):
            check_finite(a.detach().cpu().numpy(), name)
        return a

    def index(self, values):
        return self.xp.as_tensor(np.asarray(values), dtype=self.xp.long, device=self.device)

    def constant(self, values):
        return self.xp.as_tensor(np.asarray(values), dtype=self.dtype, device=self.device)

    def pinv(self, a, rtol: float):
        return self.xp.linalg.pinv(a, rtol=rtol)

    def finfo(self):
        return self.xp.finfo(self.dtype)

    def frexp(self, a):
        """(f, e) with a = f 2^e, |f| in [0.5, 1) (f = e = 0 for a = 0), no gradient; e int64."""
        f, e = self.xp.frexp(a.detach())
        return f, e.to(self.xp.int64)

    def _pow2(self, n):
        """2^n in self.dtype for integers n in the normal range, exact (built from the bits
        (n + bias) << mantissa for float64 / float32)."""
        torch = self.xp
        layout = {torch.float64: (52, 1023, torch.int64), torch.float32: (23, 127, torch.int32)}
        if self.dtype not in layout:
            return torch.pow(2.0, n.to(self.dtype))
        mantissa, bias, itype = layout[self.dtype]
        return ((n + bias) << mantissa).to(itype).view(self.dtype)

    def ldexp(self, a, n):
        """a 2^n elementwise (n integers), exact unless the result is subnormal; differentiable
        in a.  Applied in factors 2^piece, |piece| <= maxexp - 2, that are normal numbers
        (torch.ldexp's own gradient underflows for large |n|)."""
        step = math.frexp(self.finfo().max)[1] - 2
        n = n.to(self.xp.int64)
        while bool((n != 0).any()):
            piece = n.clamp(-step, step)
            a = a * self._pow2(piece)
            n = n - piece
        return a

    def abs_max(self, a):
        """max_j |a[..., j]|."""
        return self.xp.amax(self.xp.abs(a), -1)

    def row_scale(self, V):
        """prod_i max_j |V[..., i, j]|."""
        return self.xp.amax(self.xp.abs(V), -1).prod(-1)

    def wedge_laplace(self, V, schedule):
        from ._torch import wedge_laplace

        flat = _flatten_batch(V)
        chunk = _TORCH_CPU_CHUNK if self.device.type == "cpu" else _TORCH_DEVICE_CHUNK
        parts = [wedge_laplace(flat[s:s + chunk], schedule) for s in range(0, flat.shape[0], chunk)]
        out = self.xp.cat(parts) if parts else flat.new_empty((0, schedule.n_out))
        return out.reshape(tuple(V.shape[:-2]) + (schedule.n_out,))


NUMPY = NumpyBackend()


def backend_for(*arrays):
    """The backend for a call: torch if any argument is a tensor, else numpy."""
    tensors = [a for a in arrays if is_tensor(a)]
    if not tensors:
        return NUMPY
    torch = sys.modules["torch"]
    devices = sorted({str(t.device) for t in tensors})
    if len(devices) > 1:
        raise GaconvexError(
            f"the tensors are on different devices {devices}; move them to one device first."
        )
    floating = [t.dtype for t in tensors if t.is_floating_point()]
    dtype = floating[0] if floating else torch.float64
    for other in floating[1:]:
        dtype = torch.promote_types(dtype, other)
    return TorchBackend(torch, tensors[0].device, dtype)


def as_vectors(backend, V, name: str):
    """``V`` as a stack of k row vectors in R^d, shape (..., k, d), with d >= 1 and k <= d."""
    V = backend.asarray(V, name)
    if V.ndim < 2:
        raise GaconvexError(
            f"{name} must be a stack of row vectors of shape (..., k, d), got shape "
            f"{tuple(V.shape)}; put one vector per row (a single vector v is V = [v])."
        )
    k, d = V.shape[-2:]
    if d < 1:
        raise GaconvexError(
            f"{name} must hold vectors of dimension d >= 1, got shape {tuple(V.shape)} (d = {d})."
        )
    if k > d:
        raise GaconvexError(
            f"{name} has {k} vectors of dimension {d} (shape {tuple(V.shape)}), but a k-blade in "
            f"R^d needs k <= d; vectors are rows (axis -2) and coordinates columns (axis -1): "
            "did you pass them transposed?"
        )
    return V


def as_points(backend, x, name: str, d: int):
    """``x`` as a stack of points in R^d, shape (..., d)."""
    x = backend.asarray(x, name)
    if x.ndim < 1 or x.shape[-1] != d:
        raise GaconvexError(
            f"{name} must be a point (or a stack of points) in R^{d}, shape (..., {d}), "
            f"got shape {tuple(x.shape)}."
        )
    return x
