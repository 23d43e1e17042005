"""Non-convex training of the objective (1.1) with restarts run as one batched network.

R restarts are R networks stacked along a batch dimension (``ParallelNetwork.stack``): one
forward pass evaluates all of them, and the sum of their objectives is minimized.  Because
the objectives share no parameters and Adam / SGD update every coordinate from its own
gradient, this is exactly R independent runs, at the per-step cost of one.
"""
from __future__ import annotations

import copy
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch

from gaconvex._validation import GaconvexError, as_float_array, check_targets

from .modules import DTYPE, ParallelNetwork, _tensor
from .objective import training_objective

__all__ = ["TrainingResult", "train_nonconvex"]

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
SCHEDULES = ("cosine", "constant")


@dataclass
class TrainingResult:
    """Outcome of :func:`train_nonconvex`.

    Attributes
    ----------
    objectives : (R,) objective (1.1) of every restart after the last step.
    networks : the R trained networks as one ParallelNetwork with batch_shape (R,).
    history : (R, steps) objective of every restart before each step.
    settings : the optimizer, lr, steps, seed, schedule, beta and device used.
    seconds : wall-clock training time.
    """

    objectives: np.ndarray
    networks: ParallelNetwork
    history: np.ndarray
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def best_index(self) -> int:
        """Restart with the smallest final objective (NaN restarts never win)."""
        return int(np.nanargmin(self.objectives))

    @property
    def best_objective(self) -> float:
        return float(self.objectives[self.best_index])

    @property
    def best_network(self) -> ParallelNetwork:
        return self.networks.select(self.best_index)

    def __repr__(self) -> str:
        s = self.settings
        return (f"TrainingResult({len(self.objectives)} restarts x {s.get('steps')} "
                f"{s.get('optimizer')} steps, best objective {self.best_objective:.6g} "
                f"(restart {self.best_index}), {self.seconds:.2f} s)")

    def summary(self) -> str:
        obj = self.objectives
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
    seeds = np.random.SeedSequence(seed).generate_state(restarts or 8)
    nets = [factory_or_net(generator=torch.Generator().manual_seed(int(s))) for s in seeds]
    return ParallelNetwork.stack(nets)


def train_nonconvex(factory_or_net, x, y, beta, *, optimizer: str = "adam", lr: float = 1e-2,
                    steps: int = 2000, restarts: int | None = None, seed: int = 0,
                    device="cpu", schedule: str = "cosine",
                    optimizer_options: dict | None = None) -> TrainingResult:
    """Minimize objective (1.1) from several random starts, full batch, float64.

    Parameters
    ----------
    factory_or_net
        A callable ``factory(generator=torch.Generator) -> ParallelNetwork`` (restart r uses
        the r-th seed of ``numpy.random.SeedSequence(seed)``), or a ParallelNetwork to train
        from (unbatched: one restart; batched (R,): R restarts).
    x, y : (N,) data; beta > 0: regularization of (1.1).
    optimizer : ``"adam"`` or ``"sgd"``: per-coordinate updates keep restarts independent.
    lr, steps, schedule : step size, number of steps, ``"cosine"`` (annealed to 0) or
        ``"constant"``.
    restarts : number of factory draws (default 8).
    device : where to train ("cpu", "cuda", ...).
    optimizer_options : extra keyword arguments of the torch optimizer (e.g. momentum).

    The result is deterministic given ``seed`` (on the CPU).
    """
    if optimizer not in OPTIMIZERS:
        raise GaconvexError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}.")
    if schedule not in SCHEDULES:
        raise GaconvexError(f"schedule must be one of {SCHEDULES}, got {schedule!r}.")
    if not beta > 0 or steps < 1:
        raise GaconvexError(f"need beta > 0 and steps >= 1, got beta={beta}, steps={steps}.")
    x = as_float_array(x, "x", ndim=(1, 2)).reshape(-1)
    y = check_targets(y, x.size).reshape(-1)
    device = torch.device(device)
    net = _initial_networks(factory_or_net, restarts, seed).to(device)
    xt, yt = _tensor(x, device), _tensor(y, device)
    opt = OPTIMIZERS[optimizer](net.parameters(), lr=lr, **(optimizer_options or {}))
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
             if schedule == "cosine" else None)
    history = torch.empty(steps, *net.batch_shape, dtype=DTYPE, device=device)
    start = time.perf_counter()
    with _threads_for(device):
        for t in range(steps):
            opt.zero_grad(set_to_none=True)
            objective = training_objective(net, xt, yt, beta)
            history[t] = objective.detach()
            objective.sum().backward()
            opt.step()
            if sched is not None:
                sched.step()
        with torch.no_grad():
            final = training_objective(net, xt, yt, beta)
    settings = dict(optimizer=optimizer, lr=lr, steps=steps, seed=seed, schedule=schedule,
                    beta=beta, device=str(device), **(optimizer_options or {}))
    return TrainingResult(final.cpu().numpy(), net, history.T.cpu().numpy(), settings,
                          time.perf_counter() - start)
