"""Torch models of the networks that the Lasso libraries stand for (002 Sec. 2).

:class:`ParallelNetwork` is the parallel network of 002 eq. (2.3) (d = 1): m units, unit i a
chain ``h <- sigma(h W^(i,l) + b^(i,l))`` of L - 1 hidden layers with a scalar last layer
(m_{L-1} = 1), and

    f_L(x) = xi + sum_i alpha_i s_i X^(i,L)(x) + omega x,

with amplitudes s_i only for sign-determined activations (simplified network, 002 Def. D.2)
and the skip term omega x only when asked for (002 Sec. 3.1).  Per-layer parameters are stacked
over units, ``W_l`` of shape (m, m_{l-1}, m_l) and ``b_l`` of shape (m, 1, m_l), and every
tensor may carry leading *batch* dimensions: a network with ``batch_shape == (R,)`` is R
independent networks evaluated in one forward pass (how :func:`train_nonconvex` runs restarts).

:class:`StandardNetwork` is the fully connected network of 002 eq. (2.2); :func:`to_standard`
converts a parallel network into it (002 App. A.1, with the index m_L corrected).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from gaconvex._validation import GaconvexError
from gaconvex.symbolic import Activation, get_activation

__all__ = ["ParallelNetwork", "StandardNetwork", "to_standard", "activation_function"]

DTYPE = torch.float64
_GLOBAL = ("xi", "omega")  # state entries shared by all units (no unit dimension)


def activation_function(activation: Activation, u):
    """sigma(u) = a- u + b- (u < 0), a+ u + b+ (u >= 0) (002 eq. 2.1) on a tensor or an array.

    The value at u = 0 is the u >= 0 branch (sign(0) = threshold(0) = 1).
    """
    ap, am, bp, bm = (float(c) for c in (activation.a_plus, activation.a_minus,
                                         activation.b_plus, activation.b_minus))
    if isinstance(u, torch.Tensor):
        if bp == bm == 0.0 and am == 0.0:
            return ap * torch.relu(u)
        return torch.where(u >= 0, ap * u + bp, am * u + bm)
    u = np.asarray(u, dtype=float)
    return np.where(u >= 0, ap * u + bp, am * u + bm)


def _tensor(a, device=None) -> torch.Tensor:
    if isinstance(a, np.ndarray):
        a = np.ascontiguousarray(a)  # torch refuses negative strides (e.g. x[::-1])
    return torch.as_tensor(a, dtype=DTYPE, device=device)


def _as_input(x, device) -> torch.Tensor:
    """Inputs of shape (n,) or (n, 1) as a float64 vector (n,) on ``device``."""
    x = _tensor(x, device)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise GaconvexError(f"network inputs must have shape (n,) or (n, 1), got {tuple(x.shape)}.")
    return x


class ParallelNetwork(nn.Module):
    """Parallel network of 002 eq. (2.3) with m units, stacked over units (and over a batch).

    Parameters
    ----------
    activation : Activation or name
        sigma of 002 eq. (2.1).
    widths : sequence of int
        Hidden widths (m_1, ..., m_{L-1}); the last must be 1 (002 Sec. 2.2).  Deep narrow:
        all 1 (002 Sec. 3); symmetrized: (2, 1) (002 Sec. 1.5 of the spec).
    m : int
        Number of units m_L.
    batch_shape : tuple
        ``()`` for one network, ``(R,)`` for R networks evaluated together.
    tied : sequence of bool, optional
        Per hidden layer: whether all entries of W^(i,l) share one magnitude.  A tied layer is
        parametrized as a fixed +-1 pattern (buffer ``pattern_l``) times a trainable scalar per
        unit (``scale_l``), which enforces |W_1^(i,l)| = |W_2^(i,l)| of the symmetrized network.
    intercept : bool, optional
        Whether xi is trainable; default: not for sign-determined activations (002 Thm 3.11),
        where xi is a buffer fixed at 0.
    skip : bool
        Add the unpenalized skip term omega x (002 Sec. 3.1).

    All parameters start at zero (ones for amplitudes and tied patterns); use the named
    constructors :meth:`deep_narrow`, :meth:`symmetrized` and :meth:`from_units`.
    """

    def __init__(self, activation, widths: Sequence[int], m: int, *, batch_shape=(),
                 tied: Sequence[bool] | None = None, intercept: bool | None = None,
                 skip: bool = False, device="cpu"):
        super().__init__()
        self.activation = get_activation(activation)
        self.widths = tuple(int(w) for w in widths)
        if not self.widths or self.widths[-1] != 1:
            raise GaconvexError(f"hidden widths must end with m_(L-1) = 1 (002 Sec. 2.2), "
                                f"got {self.widths}.")
        self.tied = tuple(bool(t) for t in (tied or (False,) * len(self.widths)))
        if len(self.tied) != len(self.widths):
            raise GaconvexError(f"tied needs one flag per hidden layer ({len(self.widths)}), "
                                f"got {len(self.tied)}.")
        self.batch_shape = tuple(batch_shape)
        self.intercept = (self.activation.has_free_intercept if intercept is None
                          else bool(intercept))
        self.skip = bool(skip)
        B, kw = self.batch_shape, dict(dtype=DTYPE, device=device)
        fan_in = 1
        for l, width in enumerate(self.widths, start=1):
            if self.tied[l - 1]:
                self.register_buffer(f"pattern_{l}", torch.ones(*B, m, fan_in, width, **kw))
                self.register_parameter(f"scale_{l}", nn.Parameter(torch.zeros(*B, m, **kw)))
            else:
                self.register_parameter(f"weight_{l}",
                                        nn.Parameter(torch.zeros(*B, m, fan_in, width, **kw)))
            self.register_parameter(f"bias_{l}", nn.Parameter(torch.zeros(*B, m, 1, width, **kw)))
            fan_in = width
        self.alpha = nn.Parameter(torch.zeros(*B, m, **kw))
        self.amplitude = (nn.Parameter(torch.ones(*B, m, **kw))
                          if self.activation.is_sign_determined else None)
        if self.intercept:
            self.xi = nn.Parameter(torch.zeros(B, **kw))
        else:
            self.register_buffer("xi", torch.zeros(B, **kw))
        self.omega = nn.Parameter(torch.zeros(B, **kw)) if self.skip else None

    # -- structure ------------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """L: hidden layers plus the output layer."""
        return len(self.widths) + 1

    @property
    def effective_depth(self) -> int:
        """L~ of objective (1.1): L, or 2 for sign-determined activations (002 Remark D.1)."""
        return 2 if self.activation.is_sign_determined else self.depth

    @property
    def n_units(self) -> int:
        return self.alpha.shape[-1]

    @property
    def device(self) -> torch.device:
        return self.alpha.device

    @property
    def family(self) -> str:
        if all(w == 1 for w in self.widths):
            return "deep_narrow"
        if self.widths == (2, 1) and all(self.tied):
            return "symmetrized"
        return "parallel"

    def _config(self) -> dict:
        return dict(activation=self.activation, widths=self.widths, tied=self.tied,
                    intercept=self.intercept, skip=self.skip)

    # -- parameters -----------------------------------------------------------------------------
    @property
    def weights(self) -> list[torch.Tensor]:
        """W^(i,l) stacked over units: shapes (*batch, m, m_{l-1}, m_l), l = 1..L-1."""
        out = []
        for l in range(1, self.depth):
            if self.tied[l - 1]:
                out.append(getattr(self, f"pattern_{l}")
                           * getattr(self, f"scale_{l}")[..., None, None])
            else:
                out.append(getattr(self, f"weight_{l}"))
        return out

    @property
    def biases(self) -> list[torch.Tensor]:
        """b^(i,l) stacked over units: shapes (*batch, m, 1, m_l)."""
        return [getattr(self, f"bias_{l}") for l in range(1, self.depth)]

    @property
    def output_weights(self) -> torch.Tensor:
        """alpha_i s_i (002 Def. D.2), or alpha_i when there are no amplitudes: (*batch, m)."""
        return self.alpha if self.amplitude is None else self.alpha * self.amplitude

    def penalized_sq_norms(self) -> torch.Tensor:
        """Squared norms ||q||_2^2 of the penalized parameters q in theta_w, per unit (002 (1.1)).

        Shape (*batch, m, Q).  Homogeneous sigma: q = alpha_i and each W^(i,l) as a whole
        (Frobenius).  Sign-determined sigma: q = alpha_i and the amplitude s_i only; inner
        weights are not penalized (002 Remark D.1, Def. D.2).  Biases, xi, omega never are.
        """
        if self.amplitude is not None:
            return torch.stack([self.alpha ** 2, self.amplitude ** 2], dim=-1)
        terms = [self.alpha ** 2] + [(W ** 2).sum((-2, -1)) for W in self.weights]
        return torch.stack(terms, dim=-1)

    # -- evaluation -----------------------------------------------------------------------------
    def unit_outputs(self, x) -> torch.Tensor:
        """X^(i,L)(x) for every unit: (*batch, m, n) (002 eq. 2.3, before the output weights)."""
        h = _as_input(x, self.device).reshape(-1, 1)
        for W, b in zip(self.weights, self.biases):
            h = activation_function(self.activation, h @ W + b)
        return h[..., 0]

    def forward(self, x) -> torch.Tensor:
        """f_L(x) = xi + sum_i alpha_i s_i X^(i,L)(x) [+ omega x]: shape (*batch, n)."""
        x = _as_input(x, self.device)
        out = (self.unit_outputs(x) * self.output_weights[..., None]).sum(-2)
        out = out + self.xi[..., None]
        if self.omega is not None:
            out = out + self.omega[..., None] * x
        return out

    # -- constructors -----------------------------------------------------------------------------
    @classmethod
    def deep_narrow(cls, m: int, depth: int, activation, *, skip: bool = False,
                    intercept: bool | None = None, bias_scale: float = 1.0,
                    generator: torch.Generator | None = None, device="cpu") -> "ParallelNetwork":
        """Random deep narrow network (002 Sec. 3): m units of width-1 layers, ``depth`` = L.

        PyTorch's default ``nn.Linear`` initialization: inner weights U(-1, 1) (fan-in 1),
        biases U(-1, 1) * ``bias_scale`` (match it to the data range), alpha U(-1/sqrt(m),
        1/sqrt(m)); xi = omega = 0, amplitudes 1.  Draws use ``generator`` on the CPU.
        """
        return cls._random(activation, (1,) * (depth - 1), m, (False,) * (depth - 1), skip,
                           intercept, bias_scale, generator, device)

    @classmethod
    def symmetrized(cls, m: int, activation="relu", *, skip: bool = False,
                    intercept: bool | None = None, bias_scale: float = 1.0,
                    generator: torch.Generator | None = None,
                    device="cpu") -> "ParallelNetwork":
        """Random symmetrized 3-layer network (002 Sec. 3): W^(i,1) in R^{1x2}, W^(i,2) in R^{2x1},
        |W_1^(i,l)| = |W_2^(i,l)| enforced by tied layers (random +-1 pattern times a scalar)."""
        return cls._random(activation, (2, 1), m, (True, True), skip, intercept, bias_scale,
                           generator, device)

    @classmethod
    def _random(cls, activation, widths, m, tied, skip, intercept, bias_scale, generator, device):
        net = cls(activation, widths, m, tied=tied, intercept=intercept, skip=skip)

        def uniform(*shape, bound=1.0):
            return (2 * torch.rand(*shape, generator=generator, dtype=DTYPE) - 1) * bound

        state = {}
        fan_in = 1
        for l, width in enumerate(widths, start=1):
            bound = 1 / math.sqrt(fan_in)
            if tied[l - 1]:
                state[f"pattern_{l}"] = torch.where(uniform(m, fan_in, width) < 0, -1.0, 1.0)
                state[f"scale_{l}"] = uniform(m, bound=bound)
            else:
                state[f"weight_{l}"] = uniform(m, fan_in, width, bound=bound)
            state[f"bias_{l}"] = uniform(m, 1, width, bound=bound * bias_scale)
            fan_in = width
        state["alpha"] = uniform(m, bound=1 / math.sqrt(m))
        net._load(state)
        return net.to(device)

    @classmethod
    def from_units(cls, units, alpha, activation, *, xi: float = 0.0, omega: float | None = None,
                   amplitudes=None, tied: Sequence[bool] | None = None,
                   intercept: bool | None = None, device="cpu") -> "ParallelNetwork":
        """Network whose unit i has layers ``units[i] = [(W_1, b_1), ..., (W_{L-1}, b_{L-1})]``
        (W_l of shape (m_{l-1}, m_l), b_l of shape (1, m_l), as ``FeatureFamily.unit`` returns)
        and output weight ``alpha[i]``.  ``omega`` not None adds the skip term; a tied layer's
        entries must share one magnitude per unit.  ``intercept`` defaults to a trainable xi
        unless sigma is sign-determined and ``xi == 0``.
        """
        if len(units) == 0:
            raise GaconvexError("from_units needs at least one unit; a network with no units is "
                                "the constant xi.")
        act = get_activation(activation)
        weights = [torch.stack([_tensor(u[l][0]) for u in units]) for l in range(len(units[0]))]
        biases = [torch.stack([_tensor(u[l][1]) for u in units]) for l in range(len(units[0]))]
        widths = [W.shape[-1] for W in weights]
        if intercept is None:
            intercept = act.has_free_intercept or xi != 0
        net = cls(act, widths, len(units), tied=tied, intercept=intercept, skip=omega is not None)
        state = {f"bias_{l}": b for l, b in enumerate(biases, start=1)}
        for l, W in enumerate(weights, start=1):
            if net.tied[l - 1]:
                scale = W.abs().amax((-2, -1))
                if not torch.allclose(W.abs(), scale[:, None, None].expand_as(W), rtol=1e-12):
                    raise GaconvexError(f"layer {l} is tied but its entries differ in magnitude "
                                        "within a unit (002 Sec. 3: |W_1| = |W_2|).")
                state[f"pattern_{l}"] = torch.where(W < 0, -1.0, 1.0).to(DTYPE)
                state[f"scale_{l}"] = scale
            else:
                state[f"weight_{l}"] = W
        state["alpha"] = _tensor(alpha).reshape(-1)
        state["xi"] = _tensor(xi)
        if omega is not None:
            state["omega"] = _tensor(omega)
        if amplitudes is not None:
            if net.amplitude is None:
                raise GaconvexError(f"amplitudes exist for sign-determined activations only "
                                    f"(002 Def. D.2); {act.name} has none.")
            state["amplitude"] = _tensor(amplitudes).reshape(-1)
        net._load(state)
        return net.to(device)

    # -- state surgery ----------------------------------------------------------------------------
    def _load(self, state: dict) -> None:
        """Copy ``state`` (name -> tensor of matching shape) into parameters and buffers."""
        own = dict(self.named_parameters()) | dict(self.named_buffers())
        with torch.no_grad():
            for name, value in state.items():
                own[name].copy_(_tensor(value).expand_as(own[name]))

    def _state(self) -> dict:
        return {k: v.detach() for k, v in self.state_dict().items()}

    def _rebuilt(self, state: dict, batch_shape) -> "ParallelNetwork":
        m = state["alpha"].shape[-1]
        net = type(self)(**self._config(), m=m, batch_shape=batch_shape, device=self.device)
        net._load(state)
        return net

    def _map_units(self, fn) -> "ParallelNetwork":
        """New network with ``fn(tensor, unit_dim)`` applied to every per-unit tensor."""
        dim = len(self.batch_shape)
        state = {k: (v.clone() if k in _GLOBAL else fn(v, dim)) for k, v in self._state().items()}
        return self._rebuilt(state, self.batch_shape)

    def select(self, index: int) -> "ParallelNetwork":
        """Network ``index`` of a batched network (batch_shape (R,)) as an unbatched one."""
        if len(self.batch_shape) != 1:
            raise GaconvexError(f"select needs a network with batch_shape (R,), "
                                f"got {self.batch_shape}.")
        return self._rebuilt({k: v[index].clone() for k, v in self._state().items()}, ())

    @classmethod
    def stack(cls, networks: Sequence["ParallelNetwork"]) -> "ParallelNetwork":
        """R unbatched networks of the same structure as one network with batch_shape (R,)."""
        first = networks[0]
        if any(n._config() != first._config() or n.n_units != first.n_units
               or n.batch_shape != () for n in networks):
            raise GaconvexError("stack needs unbatched networks with the same activation, "
                                "widths, tied layers, intercept, skip and number of units.")
        states = [n._state() for n in networks]
        stacked = {k: torch.stack([s[k] for s in states]) for k in states[0]}
        return first._rebuilt(stacked, (len(networks),))

    @classmethod
    def concatenate(cls, networks: Sequence["ParallelNetwork"]) -> "ParallelNetwork":
        """One network with the units of all ``networks`` (same structure and batch shape):
        f = sum_k f_k, so xi and omega add up.  E.g. a reconstructed Lasso network plus random
        units as a training start (002 Sec. 4, Fig. 3.2 setup)."""
        first = networks[0]
        if any(n._config() != first._config() or n.batch_shape != first.batch_shape
               for n in networks):
            raise GaconvexError("concatenate needs networks with the same activation, widths, "
                                "tied layers, intercept, skip and batch shape.")
        states = [n._state() for n in networks]
        dim = len(first.batch_shape)
        joined = {k: (sum(s[k] for s in states) if k in _GLOBAL
                      else torch.cat([s[k] for s in states], dim=dim)) for k in states[0]}
        return first._rebuilt(joined, first.batch_shape)

    def units(self, index) -> "ParallelNetwork":
        """Network with the units ``index`` (any integer index; repeats allowed), same xi, omega."""
        index = torch.as_tensor(index, dtype=torch.long, device=self.device)
        return self._map_units(lambda v, dim: v.index_select(dim, index))

    def rescale_units(self, alpha_scale, layer_scales=None,
                      amplitude_scale=None) -> "ParallelNetwork":
        """Positive rescaling of each unit (002 Def. D.17): alpha_i <- a_i alpha_i,
        W^(i,l) <- c_il W^(i,l), b^(i,l) <- (c_i1 ... c_il) b^(i,l), s_i <- t_i s_i.

        ``layer_scales`` (*batch, m, L-1), positive, is for homogeneous sigma only, where it
        multiplies unit i's output by prod_l c_il; ``amplitude_scale`` for sign-determined
        sigma only.  Shapes of ``alpha_scale`` and ``amplitude_scale``: (*batch, m).
        """
        act = self.activation
        if layer_scales is not None and not act.is_homogeneous:
            raise GaconvexError(f"scaling inner layers keeps the unit's shape only for homogeneous "
                                f"activations (relu, leaky relu, abs); {act.name} is not.")
        if (amplitude_scale is None) != (self.amplitude is None):
            raise GaconvexError("amplitude_scale is required for sign-determined activations "
                                "(002 Def. D.2) and not allowed otherwise.")
        state = self._state()
        if layer_scales is not None:
            c = _tensor(layer_scales, self.device)
            cumulative = torch.cumprod(c, dim=-1)
            for l in range(1, self.depth):
                key = f"scale_{l}" if self.tied[l - 1] else f"weight_{l}"
                cl = c[..., l - 1] if self.tied[l - 1] else c[..., l - 1, None, None]
                state[key] = state[key] * cl
                state[f"bias_{l}"] = state[f"bias_{l}"] * cumulative[..., l - 1, None, None]
        state["alpha"] = state["alpha"] * _tensor(alpha_scale, self.device)
        if amplitude_scale is not None:
            state["amplitude"] = state["amplitude"] * _tensor(amplitude_scale, self.device)
        return self._rebuilt(state, self.batch_shape)

    def balanced(self) -> "ParallelNetwork":
        """The same function with the smallest penalty: every unit's penalized norms made equal.

        By AM-GM, (1/L~) sum_q ||q||^L~ >= prod_q ||q|| with equality iff all ||q|| are equal,
        and positive rescaling (:meth:`rescale_units`) keeps the function.  Homogeneous sigma:
        with P_i = |alpha_i| prod_l ||W^(i,l)||_F, set ||W^(i,l)|| = |alpha_i| = P_i^(1/L).
        Sign-determined sigma: |alpha_i| = |s_i| = sqrt(|alpha_i s_i|) (002 Def. D.17).
        Units with a zero norm are left unchanged.
        """
        norms = self.penalized_sq_norms().detach().sqrt()  # (*batch, m, Q)
        product = norms.prod(-1)
        live = product > 0
        target = product.pow(1.0 / norms.shape[-1])
        factors = torch.where(live[..., None], target[..., None] / norms.clamp_min(1e-300),
                              torch.ones_like(norms))
        if self.amplitude is not None:
            return self.rescale_units(factors[..., 0], amplitude_scale=factors[..., 1])
        return self.rescale_units(factors[..., 0], layer_scales=factors[..., 1:])

    def extra_repr(self) -> str:
        batch = f", batch_shape={self.batch_shape}" if self.batch_shape else ""
        extras = [f"xi {'trainable' if self.intercept else 'fixed 0'}"]
        if self.skip:
            extras.append("skip omega x")
        if self.amplitude is not None:
            extras.append("amplitudes")
        return (f"{self.family}, activation={self.activation.name}, L={self.depth}, "
                f"widths={self.widths}, m={self.n_units}{batch}, " + ", ".join(extras))


class StandardNetwork(nn.Module):
    """Fully connected network of 002 eq. (2.2) (d = 1, unbatched).

    X^(1) = x, X^(l+1) = sigma(X^(l) W^(l) + b^(l)), and f_L(x) = xi + X^(L) (s * alpha) +
    omega x, with the amplitude vector s of the last hidden layer for sign-determined sigma.
    """

    def __init__(self, activation, weights, biases, alpha, *, xi=0.0, omega=None,
                 amplitude=None, intercept: bool | None = None):
        super().__init__()
        self.activation = get_activation(activation)
        self.weights = nn.ParameterList([nn.Parameter(_tensor(W)) for W in weights])
        self.biases = nn.ParameterList([nn.Parameter(_tensor(b)) for b in biases])
        device = self.weights[0].device
        self.alpha = nn.Parameter(_tensor(alpha, device))
        self.amplitude = None if amplitude is None else nn.Parameter(_tensor(amplitude, device))
        if intercept is None:
            intercept = self.activation.has_free_intercept
        if intercept:
            self.xi = nn.Parameter(_tensor(xi, device))
        else:
            self.register_buffer("xi", _tensor(xi, device))
        self.omega = None if omega is None else nn.Parameter(_tensor(omega, device))

    @property
    def depth(self) -> int:
        return len(self.weights) + 1

    @property
    def effective_depth(self) -> int:
        return 2 if self.activation.is_sign_determined else self.depth

    @property
    def batch_shape(self) -> tuple:
        return ()

    def penalized_sq_norms(self) -> torch.Tensor:
        """||q||_2^2 for q in theta_w = {alpha, W^(l)} (whole matrices), or {alpha, s} for
        sign-determined sigma (002 Sec. 2.1, Remark D.1); not separable per unit for L >= 3."""
        if self.amplitude is not None:
            return torch.stack([(self.alpha ** 2).sum(), (self.amplitude ** 2).sum()])
        return torch.stack([(self.alpha ** 2).sum()] + [(W ** 2).sum() for W in self.weights])

    def forward(self, x) -> torch.Tensor:
        x = _as_input(x, self.alpha.device)
        h = x[:, None]
        for W, b in zip(self.weights, self.biases):
            h = activation_function(self.activation, h @ W + b)
        weights = self.alpha if self.amplitude is None else self.alpha * self.amplitude
        out = h @ weights + self.xi
        return out if self.omega is None else out + self.omega * x


def to_standard(net: ParallelNetwork) -> StandardNetwork:
    """Parallel -> standard conversion (002 App. A.1, indices m_1, m_l corrected to m_L):
    W^(1) = [W^(1,1) ... W^(m,1)], b^(l) = (b^(1,l), ..., b^(m,l)), W^(l) = blockdiag(W^(i,l))
    for l > 1; alpha, amplitudes, xi and omega unchanged.  Outputs are identical; the
    penalties differ for L >= 3 (whole-matrix norms)."""
    if net.batch_shape:
        raise GaconvexError("to_standard converts one network; select(r) a batch entry first.")
    Ws = [W.detach() for W in net.weights]
    weights = [torch.cat(list(Ws[0]), dim=1)] + [torch.block_diag(*W) for W in Ws[1:]]
    biases = [torch.cat(list(b.detach()), dim=1) for b in net.biases]
    return StandardNetwork(
        net.activation, weights, biases, net.alpha.detach(), xi=net.xi.detach(),
        omega=None if net.omega is None else net.omega.detach(),
        amplitude=None if net.amplitude is None else net.amplitude.detach(),
        intercept=net.intercept)
