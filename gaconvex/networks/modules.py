"""Torch models of the networks that the Lasso libraries stand for (002 Sec. 2).

:class:`ParallelNetwork` is the parallel network of 002 eq. (2.3) on inputs x in R^d
(``in_features`` = d, default 1): m units, unit i a chain ``h <- sigma(h W^(i,l) + b^(i,l))`` of
L - 1 hidden layers with a scalar last layer (m_{L-1} = 1), and

    f_L(x) = xi + sum_i alpha_i s_i X^(i,L)(x) + omega^T x,

with amplitudes s_i only for sign-determined activations (simplified network, 002 Def. D.2)
and the skip term omega^T x only when asked for (002 Sec. 3.1).  Per-layer parameters are
stacked over units, ``W_l`` of shape (m, m_{l-1}, m_l) with m_0 = d and ``b_l`` of shape
(m, 1, m_l), and every tensor may carry leading *batch* dimensions: a network with
``batch_shape == (R,)`` is R independent networks evaluated in one forward pass (how
:func:`train_nonconvex` runs restarts).  omega has shape (*batch, d), or (*batch,) for d = 1
(the 1-D networks of 002, whose state is unchanged by the d-dimensional extension).

:class:`StandardNetwork` is the fully connected network of 002 eq. (2.2); :func:`to_standard`
converts a parallel network into it (002 App. A.1, with the index m_L corrected).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from gaconvex._validation import GaconvexError
from gaconvex.symbolic import FAMILIES, Activation, get_activation

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


def _count(value, name: str, minimum: int, meaning: str) -> int:
    """``value`` as an int >= ``minimum``, or a GaconvexError naming ``meaning`` and the fix."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise GaconvexError(f"{name} must be an integer >= {minimum} ({meaning}), got {value!r}; "
                            f"pass {name} >= {minimum}.")
    return int(value)


def _as_input(x, device, in_features: int = 1) -> torch.Tensor:
    """Inputs as float64 on ``device``: a vector (n,) for d = 1 (from shape (n,) or (n, 1)),
    a matrix (n, d) for d = ``in_features`` > 1 (one point per row)."""
    x = _tensor(x, device)
    if in_features == 1 and x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    expected_shape = x.ndim == 1 if in_features == 1 else x.shape[1:] == (in_features,)
    if expected_shape:
        return x
    expected = "(n,) or (n, 1)" if in_features == 1 else f"(n, {in_features})"
    raise GaconvexError(f"network inputs must have shape {expected} for in_features = "
                        f"{in_features}, got {tuple(x.shape)}; pass one point per row, or build "
                        "the network with in_features equal to the input dimension.")


def _omega_shape(in_features: int) -> tuple:
    """Shape of omega per network: () for d = 1 (the 1-D networks of 002), (d,) otherwise."""
    return () if in_features == 1 else (in_features,)


def _skip_weight(omega, in_features: int, device=None) -> torch.Tensor:
    """``omega`` (d entries; a scalar for d = 1) as stored, shape :func:`_omega_shape`."""
    w = _tensor(omega, device)
    if w.numel() != in_features:
        raise GaconvexError(f"omega must hold one skip weight per input coordinate "
                            f"(in_features = {in_features}), got shape {tuple(w.shape)}; pass "
                            f"an array of {in_features} entries.")
    return w.reshape(_omega_shape(in_features))


def _skip_term(omega: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """omega^T x for every point: omega * x for inputs (n,), x @ omega for inputs (n, d)."""
    return omega[..., None] * x if x.ndim == 1 else (x @ omega[..., None])[..., 0]


def _stack_units(units) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Per layer l, W^(i,l) and b^(i,l) stacked over units: (m, m_{l-1}, m_l) and (m, 1, m_l)."""
    depth = len(units[0])
    if any(len(u) != depth for u in units):
        raise GaconvexError(f"all units must have the same number of layers, got "
                            f"{sorted({len(u) for u in units})}; build every unit with the same "
                            "architecture.")
    weights, biases = [], []
    for l in range(depth):
        Ws, bs = [_tensor(u[l][0]) for u in units], [_tensor(u[l][1]) for u in units]
        shapes = sorted({(tuple(W.shape), tuple(b.shape)) for W, b in zip(Ws, bs)})
        W_shape, b_shape = shapes[0] if len(shapes) == 1 else (None, None)
        fan_in = weights[-1].shape[-1] if weights else None
        if (W_shape is None or len(W_shape) != 2 or b_shape != (1, W_shape[1])
                or fan_in not in (None, W_shape[0])):
            raise GaconvexError(
                f"layer {l + 1} of the units has (W, b) shapes {shapes}; every unit needs W_l of "
                f"shape (m_(l-1), m_l) (m_0 = d, m_(l-1) the previous width) and b_l of shape "
                "(1, m_l), the same for all units.")
        weights.append(torch.stack(Ws))
        biases.append(torch.stack(bs))
    return weights, biases


class ParallelNetwork(nn.Module):
    """Parallel network of 002 eq. (2.3) with m units, stacked over units (and over a batch).

    Parameters
    ----------
    activation : Activation or name
        sigma of 002 eq. (2.1).
    widths : sequence of int
        Hidden widths (m_1, ..., m_{L-1}), L >= 2; the last must be 1 (002 Sec. 2.2).  Deep
        narrow: all 1 (002 Sec. 3); symmetrized: (2, 1) (002 Sec. 1.5 of the spec).
    m : int
        Number of units m_L >= 1.
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
        Add the unpenalized skip term omega^T x (002 Sec. 3.1).
    in_features : int
        Input dimension d = m_0: inputs (n,) or (n, 1) for d = 1, (n, d) otherwise; W_1 has
        shape (*batch, m, d, m_1) and omega (*batch, d), or (*batch,) for d = 1.

    Notes
    -----
    All parameters start at zero (ones for amplitudes and tied patterns); use the named
    constructors :meth:`deep_narrow`, :meth:`symmetrized` and :meth:`from_units`.
    """

    def __init__(self, activation, widths: Sequence[int], m: int, *, batch_shape=(),
                 tied: Sequence[bool] | None = None, intercept: bool | None = None,
                 skip: bool = False, in_features: int = 1, device="cpu"):
        super().__init__()
        self.activation = get_activation(activation)
        m = _count(m, "m", 1, "the number of units m_L; a network with no units is the "
                   "constant xi")
        self.in_features = _count(in_features, "in_features", 1, "the input dimension d")
        self.widths = tuple(_count(w, "every hidden width", 1, "m_l") for w in widths)
        if not self.widths:
            raise GaconvexError("a parallel network needs depth L >= 2, i.e. at least one hidden "
                                "layer; got widths=(); pass widths=(1,) for a 2-layer network.")
        if self.widths[-1] != 1:
            raise GaconvexError(f"hidden widths must end with m_(L-1) = 1 (002 Sec. 2.2), "
                                f"got {self.widths}; append a width-1 layer.")
        self.tied = tuple(bool(t) for t in (tied or (False,) * len(self.widths)))
        if len(self.tied) != len(self.widths):
            raise GaconvexError(f"tied needs one flag per hidden layer ({len(self.widths)}), "
                                f"got {len(self.tied)}.")
        self.batch_shape = tuple(batch_shape)
        self.intercept = (self.activation.has_free_intercept if intercept is None
                          else bool(intercept))
        self.skip = bool(skip)
        B, kw = self.batch_shape, dict(dtype=DTYPE, device=device)
        fan_in = self.in_features
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
        self.omega = (nn.Parameter(torch.zeros(B + _omega_shape(self.in_features), **kw))
                      if self.skip else None)

    # -- structure ------------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """L: hidden layers plus the output layer."""
        return len(self.widths) + 1

    @property
    def effective_depth(self) -> int:
        """L~ of objective (1.1): L, or 2 for sign-determined activations (002 Remark D.1)."""
        return self.activation.effective_depth(self.depth)

    @property
    def n_units(self) -> int:
        return self.alpha.shape[-1]

    @property
    def device(self) -> torch.device:
        return self.alpha.device

    @property
    def family(self) -> str:
        """Name of the registered network family (``gaconvex.symbolic.FAMILIES``) with these
        hidden widths and tied layers, or "parallel" for any other unit."""
        for family in FAMILIES.values():
            if (family.hidden_widths(self.depth) == self.widths
                    and family.tied_layers(self.depth) == self.tied):
                return family.name
        return "parallel"

    def _config(self) -> dict:
        return dict(activation=self.activation, widths=self.widths, tied=self.tied,
                    intercept=self.intercept, skip=self.skip, in_features=self.in_features)

    # -- parameters -----------------------------------------------------------------------------
    @property
    def weights(self) -> list[torch.Tensor]:
        """W^(i,l) stacked over units: shapes (*batch, m, m_{l-1}, m_l), l = 1..L-1, m_0 = d."""
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
        x = _as_input(x, self.device, self.in_features)
        h = x[:, None] if x.ndim == 1 else x
        for W, b in zip(self.weights, self.biases):
            h = activation_function(self.activation, h @ W + b)
        return h[..., 0]

    def forward(self, x) -> torch.Tensor:
        """f_L(x) = xi + sum_i alpha_i s_i X^(i,L)(x) [+ omega^T x]: shape (*batch, n)."""
        x = _as_input(x, self.device, self.in_features)
        out = (self.unit_outputs(x) * self.output_weights[..., None]).sum(-2)
        out = out + self.xi[..., None]
        if self.omega is not None:
            out = out + _skip_term(self.omega, x)
        return out

    # -- constructors -----------------------------------------------------------------------------
    @classmethod
    def deep_narrow(cls, m: int, depth: int, activation, *, skip: bool = False,
                    intercept: bool | None = None, bias_scale: float = 1.0,
                    in_features: int = 1, generator: torch.Generator | None = None,
                    device="cpu") -> "ParallelNetwork":
        """Random deep narrow network (002 Sec. 3): m >= 1 units of width-1 layers, ``depth`` =
        L >= 2, on inputs in R^d (d = ``in_features``).

        PyTorch's default ``nn.Linear`` initialization: weights of layer l U(-1/sqrt(m_{l-1}),
        1/sqrt(m_{l-1})) (so W_1 ~ U(-1/sqrt(d), 1/sqrt(d)), the rest U(-1, 1)), biases the same
        bound times ``bias_scale`` (match it to the data range), alpha U(-1/sqrt(m),
        1/sqrt(m)); xi = omega = 0, amplitudes 1.  Draws use ``generator`` on the CPU.
        """
        depth = _count(depth, "depth", 2, "L, the hidden layers plus the output layer")
        return cls._random(activation, (1,) * (depth - 1), m, (False,) * (depth - 1), skip,
                           intercept, bias_scale, in_features, generator, device)

    @classmethod
    def symmetrized(cls, m: int, activation="relu", *, skip: bool = False,
                    intercept: bool | None = None, bias_scale: float = 1.0,
                    in_features: int = 1, generator: torch.Generator | None = None,
                    device="cpu") -> "ParallelNetwork":
        """Random symmetrized 3-layer network (002 Sec. 3) with m >= 1 units: W^(i,1) in
        R^{d x 2}, W^(i,2) in R^{2x1}, all entries of each W^(i,l) of one magnitude
        (|W_1^(i,l)| = |W_2^(i,l)| for d = 1) by tied layers (random +-1 pattern times a
        scalar)."""
        return cls._random(activation, (2, 1), m, (True, True), skip, intercept, bias_scale,
                           in_features, generator, device)

    @classmethod
    def _random(cls, activation, widths, m, tied, skip, intercept, bias_scale, in_features,
                generator, device):
        net = cls(activation, widths, m, tied=tied, intercept=intercept, skip=skip,
                  in_features=in_features)

        def uniform(*shape, bound=1.0):
            return (2 * torch.rand(*shape, generator=generator, dtype=DTYPE) - 1) * bound

        state = {}
        fan_in = net.in_features
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
    def from_units(cls, units, alpha, activation, *, xi: float = 0.0, omega=None,
                   amplitudes=None, tied: Sequence[bool] | None = None,
                   intercept: bool | None = None, device="cpu") -> "ParallelNetwork":
        """Network whose unit i has layers ``units[i] = [(W_1, b_1), ..., (W_{L-1}, b_{L-1})]``
        (W_l of shape (m_{l-1}, m_l), b_l of shape (1, m_l), as ``FeatureFamily.unit`` returns)
        and output weight ``alpha[i]``.  The input dimension d = m_0 is W_1's first dimension.
        ``omega`` not None (d entries; a scalar for d = 1) adds the skip term; a tied layer's
        entries must share one magnitude per unit.  ``intercept`` defaults to a trainable xi
        unless sigma is sign-determined and ``xi == 0``.
        """
        if len(units) == 0:
            raise GaconvexError("from_units needs at least one unit; a network with no units is "
                                "the constant xi.")
        act = get_activation(activation)
        weights, biases = _stack_units(units)
        widths = [W.shape[-1] for W in weights]
        if intercept is None:
            intercept = act.has_free_intercept or xi != 0
        in_features = weights[0].shape[-2]
        net = cls(act, widths, len(units), tied=tied, intercept=intercept,
                  skip=omega is not None, in_features=in_features)
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
            state["omega"] = _skip_weight(omega, in_features)
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
                                "widths, tied layers, intercept, skip, in_features and number "
                                "of units.")
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
                                "tied layers, intercept, skip, in_features and batch shape.")
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
            extras.append("skip omega x" if self.in_features == 1 else "skip omega^T x")
        if self.amplitude is not None:
            extras.append("amplitudes")
        inputs = f", in_features={self.in_features}" if self.in_features > 1 else ""
        return (f"{self.family}, activation={self.activation.name}, L={self.depth}, "
                f"widths={self.widths}, m={self.n_units}{inputs}{batch}, " + ", ".join(extras))


class StandardNetwork(nn.Module):
    """Fully connected network of 002 eq. (2.2) (unbatched), on inputs in R^d.

    X^(1) = x, X^(l+1) = sigma(X^(l) W^(l) + b^(l)), and f_L(x) = xi + X^(L) (s * alpha) +
    omega^T x, with the amplitude vector s of the last hidden layer for sign-determined sigma.
    d = ``in_features`` is W^(1)'s first dimension; inputs are (n,) or (n, 1) for d = 1, (n, d)
    otherwise; omega has d entries (a scalar for d = 1).
    """

    def __init__(self, activation, weights, biases, alpha, *, xi=0.0, omega=None,
                 amplitude=None, intercept: bool | None = None):
        super().__init__()
        self.activation = get_activation(activation)
        self.weights = nn.ParameterList([nn.Parameter(_tensor(W)) for W in weights])
        self.biases = nn.ParameterList([nn.Parameter(_tensor(b)) for b in biases])
        device = self.weights[0].device
        self.in_features = int(self.weights[0].shape[0])
        self.alpha = nn.Parameter(_tensor(alpha, device))
        self.amplitude = None if amplitude is None else nn.Parameter(_tensor(amplitude, device))
        if intercept is None:
            intercept = self.activation.has_free_intercept
        if intercept:
            self.xi = nn.Parameter(_tensor(xi, device))
        else:
            self.register_buffer("xi", _tensor(xi, device))
        self.omega = (None if omega is None
                      else nn.Parameter(_skip_weight(omega, self.in_features, device)))

    @property
    def depth(self) -> int:
        return len(self.weights) + 1

    @property
    def effective_depth(self) -> int:
        return self.activation.effective_depth(self.depth)

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
        x = _as_input(x, self.alpha.device, self.in_features)
        h = x[:, None] if x.ndim == 1 else x
        for W, b in zip(self.weights, self.biases):
            h = activation_function(self.activation, h @ W + b)
        weights = self.alpha if self.amplitude is None else self.alpha * self.amplitude
        out = h @ weights + self.xi
        return out if self.omega is None else out + _skip_term(self.omega, x)


def to_standard(net: ParallelNetwork) -> StandardNetwork:
    """Parallel -> standard conversion (002 App. A.1, indices m_1, m_l corrected to m_L):
    W^(1) = [W^(1,1) ... W^(m,1)] (d x m m_1), b^(l) = (b^(1,l), ..., b^(m,l)), W^(l) =
    blockdiag(W^(i,l)) for l > 1; alpha, amplitudes, xi and omega unchanged.  Outputs are
    identical; the penalties differ for L >= 3 (whole-matrix norms)."""
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
