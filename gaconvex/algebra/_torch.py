"""torch implementation of the Laplace expansion of a wedge product (any device, autograd-safe).

Same schedule as the numba kernel (``exterior._laplace_schedule``); each coefficient of grade j
is a (N,) tensor built with out-of-place ``addcmul`` so that gradients flow.
"""
from __future__ import annotations

import torch


def wedge_laplace(V: torch.Tensor, schedule) -> torch.Tensor:
    """Grade-k coefficients of V[n, 0] ^ ... ^ V[n, k-1] for V of shape (N, k, d): (N, C(d, k))."""
    d = V.shape[-1]
    vt = V.permute(1, 2, 0).contiguous()  # (k, d, N): one contiguous row per coordinate
    coef = [vt[0, c] for c in range(d)]
    for o, i, v, c, s in zip(schedule.out.tolist(), schedule.inn.tolist(), schedule.vec.tolist(),
                             schedule.col.tolist(), schedule.sign.tolist()):
        if o == len(coef):
            coef.append(s * coef[i] * vt[v, c])
        else:
            coef[o] = torch.addcmul(coef[o], coef[i], vt[v, c], value=s)
    return torch.stack(coef[schedule.first:], dim=-1)
