"""Non-convex training of the objective (1.1) with restarts run as one batched network.

R restarts are R networks stacked along a batch dimension (``ParallelNetwork.stack``): one
forward pass evaluates all of them, and the sum of their objectives is minimized.  Because
the objectives share no parameters and Adam / SGD update every coordinate from its own
gradient, this is exactly R independent runs, at the per-step cost of one.
"""
from __future__ import annotations

import copy
import numbers
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch

from gaconvex._validation import GaconvexError, GaconvexWarning, as_float_array, check_targets
from gaconvex.data import as_sample_weight
from gaconvex.solvers.datafits import DEFAULT_LOSS, make_datafit

from .modules import DTYPE, ParallelNetwork, _tensor
from .objective import training_objective

__all__ = ["TrainingResult", "train_nonconvex"]

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
SCHEDULES = ("cosine", "constant")
DEFAULT_RESTARTS = 8
# Relative increase of a restart's objective over training that counts as divergence.
_DIVERGENCE_RTOL = 1e-6


@dataclass
class TrainingResult:
    """Outcome of :func:`train_nonconvex`.

    Attributes
    ----------
    objectives : (R,) objective (1.1) of every restart after the last step.
    networks : the R trained networks as one ParallelNetwork with batch_shape (R,).
    history : (R, steps) objective of every restart before each step.
    settings : the optimizer, lr, steps, seed, schedule, beta, loss, tau, whether sample
        weights were given, and the device used.
    seconds : wall-clock training time.
    """

    objectives: np.ndarray
    networks: ParallelNetwork
    history: np.ndarray
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def all_diverged(self) -> bool:
        """True when every restart ended with a NaN objective (there is no best network)."""
        return bool(np.isnan(self.objectives).all())

    @property
    def best_index(self) -> int:
        """Restart with the smallest final objective (NaN restarts never win)."""
        if self.all_diverged:
            raise GaconvexError("every restart ended with a NaN objective (all diverged), so "
                                "there is no best network; train again with a smaller lr.")
        return int(np.nanargmin(self.objectives))

    @property
    def best_objective(self) -> float:
        return float(self.objectives[self.best_index])

    @property
    def best_network(self) -> ParallelNetwork:
        return self.networks.select(self.best_index)

    def __repr__(self) -> str:
        s = self.settings
        best = ("all restarts diverged (NaN)" if self.all_diverged else
                f"best objective {self.best_objective:.6g} (restart {self.best_index})")
        return (f"TrainingResult({len(self.objectives)} restarts x {s.get('steps')} "
                f"{s.get('optimizer')} steps, {best}, {self.seconds:.2f} s)")

    def summary(self) -> str:
        obj = self.objectives
        if self.all_diverged:
            return "\n".join([repr(self), f"  settings: {self.settings}"])
        lines = [repr(self), f"  network: {self.best_network.extra_repr()}",
                 f"  settings: {self.settings}",
                 f"  final objectives: min {np.nanmin(obj):.6g}, median {np.nanmedian(obj):.6g}, "
                 f"max {np.nanmax(obj):.6g}"]
        if np.isnan(obj).any():
            lines.append(f"  {int(np.isnan(obj).sum())} restart(s) diverged (NaN)")
        return "\n".join(lines)


@contextmanager
def _threads_for(device: torch.device):
    """One intra-op thread on the CPU: the tensors are tiny, so threads only add overhead."""
    if device.type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _initial_networks(factory_or_net, restarts, seed) -> ParallelNetwork:
    """A batched copy of the given network, or ``restarts`` factory draws stacked."""
    if isinstance(factory_or_net, ParallelNetwork):
        net = copy.deepcopy(factory_or_net)
        if net.batch_shape == ():
            net = ParallelNetwork.stack([net])
        if restarts not in (None, net.batch_shape[0]):
            raise GaconvexError(
                f"a network was given, so its batch size ({net.batch_shape[0]}) is the number "
                f"of restarts; got restarts={restarts}. Pass a factory to draw restarts.")
        return net
    if not callable(factory_or_net):
        raise GaconvexError("train_nonconvex needs a ParallelNetwork or a factory "
                            "generator -> ParallelNetwork (e.g. functools.partial("
                            "ParallelNetwork.deep_narrow, m, depth, activation)).")
    count = DEFAULT_RESTARTS if restarts is None else restarts
    seeds = np.random.SeedSequence(seed).generate_state(count)
    nets = [factory_or_net(generator=torch.Generator().manual_seed(int(s))) for s in seeds]
    return ParallelNetwork.stack(nets)


def _positive_int(value, name: str, example: str) -> int:
    """``value`` as an int >= 1 (bools and non-integral numbers such as 2.5 are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise GaconvexError(f"{name} must be an integer >= 1, got {value!r}; pass e.g. {example}.")
    return int(value)


def _check_options(optimizer, schedule, beta, lr, steps, restarts) -> int:
    """Validate the scalar options of :func:`train_nonconvex`; returns ``steps`` as an int."""
    if optimizer not in OPTIMIZERS:
        raise GaconvexError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}.")
    if schedule not in SCHEDULES:
        raise GaconvexError(f"schedule must be one of {SCHEDULES}, got {schedule!r}.")
    if not beta > 0:
        raise GaconvexError(f"need beta > 0 (the regularization of (1.1)), got beta={beta!r}.")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr < np.inf:
        raise GaconvexError(f"lr must be a finite number > 0, got {lr!r}; e.g. lr=1e-2.")
    if restarts is not None:
        _positive_int(restarts, "restarts", f"restarts={DEFAULT_RESTARTS} (the default, None)")
    return _positive_int(steps, "steps", "steps=2000")


def _check_data(x, y, sample_weight) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """x (n,) or (n, d), y one target per point, sample weights w >= 0 with sum w > 0."""
    x = as_float_array(x, "x", ndim=(1, 2))
    if x.shape[0] == 0:
        raise GaconvexError("x is empty: training needs at least one point (x of shape (n,) or "
                            "(n, d) with n >= 1).")
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]  # (n, 1) is 1-D data, exactly as (n,)
    y = check_targets(y, x.shape[0])
    if y.ndim == 2 and y.shape[1] != 1:
        raise GaconvexError(f"y must hold one scalar target per point, shape (n,) or (n, 1); got "
                            f"shape {y.shape}. Train one network per output column.")
    if sample_weight is None:
        return x, y.reshape(-1), None
    return x, y.reshape(-1), as_sample_weight(sample_weight, x.shape[0])


def _check_initial(initial: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Refuse to train when the objective (1.1) at the start is not finite (float64 overflow)."""
    bad = ~np.isfinite(initial)
    if bad.any():
        raise GaconvexError(
            f"the initial objective (1.1) of {int(bad.sum())} of {initial.size} restart(s) is not "
            f"finite: the data scale (max |x| = {np.abs(x).max():.3g}, max |y| = "
            f"{np.abs(y).max():.3g}) overflows float64. Rescale x and y (e.g. standardize them to "
            "mean 0 and standard deviation 1, with beta scaled to match) before training.")


def _warn_divergence(initial: np.ndarray, final: np.ndarray, lr: float) -> None:
    """GaconvexWarning when a restart diverged: its final objective J_T is non-finite or
    J_T > J_0 (1 + rtol), J_0 its initial objective and rtol = 1e-6 (a start at a minimum ends
    a few ulps above it, which is not divergence)."""
    with np.errstate(invalid="ignore", over="ignore"):
        diverged = ~np.isfinite(final) | (final > initial * (1 + _DIVERGENCE_RTOL))
    if diverged.any():
        warnings.warn(
            f"{int(diverged.sum())} of {final.size} restart(s) diverged: their final objective "
            f"is non-finite or larger than their initial one. Use a smaller lr (got "
            f"lr={lr:g}; try lr={lr / 10:g}) or more steps with the cosine schedule.",
            GaconvexWarning, stacklevel=3)


def train_nonconvex(factory_or_net, x, y, beta, *, optimizer: str = "adam", lr: float = 1e-2,
                    steps: int = 2000, restarts: int | None = None, seed: int = 0,
                    device="cpu", schedule: str = "cosine",
                    optimizer_options: dict | None = None, sample_weight=None,
                    loss=DEFAULT_LOSS, tau: float = 0.5, norm: int = 2) -> TrainingResult:
    """Minimize objective (1.1) from several random starts, full batch, float64:

        J(theta) = sum_i w_i ell(y_i - f_L(x_i; theta)) + (beta / L~) sum_q ||q||_2^L~

    (:func:`~gaconvex.networks.training_objective`; ell(e) = e^2 / 2 and w = 1 by default).

    Parameters
    ----------
    factory_or_net
        A callable ``factory(generator=torch.Generator) -> ParallelNetwork`` (restart r uses
        the r-th seed of ``numpy.random.SeedSequence(seed)``), or a ParallelNetwork to train
        from (unbatched: one restart; batched (R,): R restarts).
    x : (n,) or (n, 1) data in R, or (n, d) points in R^d for networks with in_features = d;
        n >= 1.
    y : (n,) targets; beta > 0: regularization of (1.1).
    optimizer : ``"adam"`` or ``"sgd"``: per-coordinate updates keep restarts independent.
    lr, steps, schedule : step size > 0, number of steps (an integer >= 1), ``"cosine"``
        (annealed to 0) or ``"constant"``.
    restarts : number of factory draws, an integer >= 1 (default None: 8).
    device : where to train ("cpu", "cuda", ...).
    optimizer_options : extra keyword arguments of the torch optimizer (e.g. momentum).
    sample_weight : (n,) weights w_i >= 0 with a positive sum (default: all 1).
    loss, tau : the loss ell (a name of :data:`gaconvex.solvers.datafits.DATAFITS`) and the
        quantile level of the pinball loss.
    norm : p of the weight penalty (:func:`~gaconvex.networks.penalty`): 2 is weight decay, 1
        the l1 first layer of 001 eq. (2) (the exact wedge Lasso, 001 Thm 4).

    Raises
    ------
    GaconvexError
        On bad input, and when the initial objective is not finite (data too large for
        float64: rescale it).

    Warns
    -----
    GaconvexWarning
        When some restarts diverge (final objective non-finite or above the initial one); the
        result is still returned and NaN restarts never win :attr:`TrainingResult.best_index`.

    Notes
    -----
    The result is deterministic given ``seed`` (on the CPU).
    """
    steps = _check_options(optimizer, schedule, beta, lr, steps, restarts)
    make_datafit(loss, tau)  # a bad loss name or tau fails here, before any network is drawn
    x, y, w = _check_data(x, y, sample_weight)
    device = torch.device(device)
    net = _initial_networks(factory_or_net, restarts, seed).to(device)
    xt, yt = _tensor(x, device), _tensor(y, device)
    fit = dict(sample_weight=None if w is None else _tensor(w, device), loss=loss, tau=tau,
               norm=norm)

    def objective():
        return training_objective(net, xt, yt, beta, **fit)

    with torch.no_grad():
        initial = objective().cpu().numpy()
    _check_initial(initial, x, y)
    opt = OPTIMIZERS[optimizer](net.parameters(), lr=lr, **(optimizer_options or {}))
    start = time.perf_counter()
    history, final = _optimize(objective, opt, steps, schedule, net.batch_shape, device)
    seconds = time.perf_counter() - start
    _warn_divergence(initial, final, lr)
    settings = dict(optimizer=optimizer, lr=lr, steps=steps, seed=seed, schedule=schedule,
                    beta=beta, loss=loss, tau=tau, norm=norm, weighted=w is not None,
                    device=str(device),
                    **(optimizer_options or {}))
    return TrainingResult(final, net, history, settings, seconds)


def _optimize(objective, opt, steps: int, schedule: str, batch_shape, device):
    """``steps`` optimizer steps on objective().sum(); returns the (R, steps) history of the
    objectives before each step and the (R,) objectives after the last, as numpy arrays."""
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
             if schedule == "cosine" else None)
    history = torch.empty(steps, *batch_shape, dtype=DTYPE, device=device)
    with _threads_for(device):
        for t in range(steps):
            opt.zero_grad(set_to_none=True)
            value = objective()
            history[t] = value.detach()
            value.sum().backward()
            opt.step()
            if sched is not None:
                sched.step()
        with torch.no_grad():
            final = objective()
    return history.T.cpu().numpy(), final.cpu().numpy()
