"""Polishing a trained 2-layer ReLU network with the generalized cross product ("From
Complexity to Clarity", 001 Sec. 4.1; spec 001 Sec. 6.1).

Every optimal neuron of the p = 1 training problem is, up to scale, the Hodge dual of a wedge
of d - 1 (augmented) training points (001 Thm 4, Lemma 19; biased: d points of the lifting
[x, 1], Thm 16 / 5), w = cross(x_{j_1}, ..., x_{j_{d-1}}).  Polishing guesses the points from
a network trained by Adam and then refits the last layer convexly:

1. for every neuron (w_j, b_j) score each candidate row r_i by |<r_i, w^_j>|, with the lifting
   r_i = [x_i, 1], w^_j = [w_j, b_j] when the network has biases (r_i = x_i, w^_j = w_j
   without); for p = 1 the candidates include the standard basis e_1..e_d (lifted [e_k, 0]),
   exactly as the wedge family augments (spec 001 Sec. 0 item 3).  The score is the distance
   of the point to the neuron's hyperplane times ||w_j||_2, so the smallest scores are the
   points closest to the hyperplane;
2. take the k = d - 1 (biased: d) candidates of smallest score, skipping one that is linearly
   dependent on those already taken (the rank-deficient case the paper leaves open, spec
   001 Sec. 6.1 [AMBIGUOUS]; biased: at least one data point, as in the wedge family);
3. snap: w_j <- s cross(anchors) / ||cross(anchors)||_p, b_j <- -s <u, w_j> (u the first
   anchor point), the wedge family's unit neuron (:meth:`WedgeFeatureFamily.neurons`), with
   the orientation s = +-1 of <w^_new, w^_old> >= 0;
4. refit the last layer: the Lasso 1/2 ||K z + xi 1 - y||^2 + beta~ ||z||_1 over the snapped
   neurons' columns K = relu(X W^T + b) (free intercept exactly with biases;
   ``LassoProblem.from_dictionary`` and ``gaconvex.solvers.solve``, the pipeline's own);
5. rescale each unit to balance its two layers (001 eq. (98)) by reconstructing the network
   from the Lasso solution (:func:`gaconvex.networks.reconstruct`).

What holds exactly (tested):

* the refit is optimal over the snapped dictionary: objective_after = min over every network
  whose first-layer directions are the snapped neurons (any scales, any last layer);
* hence objective_after <= objective_snapped, the objective of the network that keeps the
  trained output weights and first-layer norms and only swaps in the snapped directions
  (dead units, w = 0, are the constants alpha_j relu(b_j), moved into the intercept);
* the snapped columns are columns of the full wedge library, so the full wedge Lasso value
  (:attr:`PolishReport.optimum`; the global training optimum for p = 1, 001 Thm 4 / 16, an
  upper bound on it for p = 2, Thm 5) is <= objective_after;
* objective_after <= objective_before is *not* guaranteed (snapping moves the neurons); the
  report states it, never assumes it (spec claim C26).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from ._validation import GaconvexError, as_float_array, check_targets

__all__ = ["polish", "PolishReport", "SnappedNeuron"]

#: Relative singular-value tolerance for a new anchor to count as independent of the others.
_RANK_RTOL = 1e-9
#: Largest full wedge library (columns) solved for the global optimum when ``optimum=None``.
DEFAULT_MAX_OPTIMUM_COLUMNS = 60_000


@dataclass(frozen=True)
class SnappedNeuron:
    """One trained neuron and what polishing made of it.

    index : the unit of the trained network; anchor_index : its anchors in the wedge encoding
    (j >= 0 the data row x_j, -k the basis vector e_k), empty for a dead unit;
    scores : |<r, w^>| of the anchors (their distance to the trained hyperplane times
    ||w||_2); weight, bias : the snapped unit neuron (||w||_p = 1; None for a dead unit);
    column : its column of :attr:`PolishReport.dictionary` (two units may share one).
    """

    index: int
    anchor_index: tuple
    scores: tuple
    weight: np.ndarray | None
    bias: float | None
    column: int | None

    @property
    def dead(self) -> bool:
        """A unit with w = 0: a constant, with no hyperplane to snap (dropped)."""
        return self.column is None

    def __str__(self) -> str:
        if self.dead:
            return f"unit {self.index}: dead (w = 0), dropped"
        names = ", ".join(f"x[{j}]" if j >= 0 else f"e{-j}" for j in self.anchor_index) or "0"
        w = np.array2string(np.round(self.weight, 6), separator=", ")
        bias = f", b = {self.bias:+.6g}" if self.bias else ""
        return (f"unit {self.index}: w = {w}{bias}, hyperplane through {names} "
                f"(scores {', '.join(f'{s:.3g}' for s in self.scores)})")


@dataclass
class PolishReport:
    """The outcome of :func:`polish`.

    Attributes
    ----------
    network : the polished network (snapped first layer, refitted and balanced last layer).
    original : the network that was polished.
    objective_before, objective_after : the training objective (torch,
        :func:`gaconvex.networks.training_objective` with the architecture's norm) of the
        original and of the polished network, on the same data and beta.
    objective_snapped : the objective of the original network with only its directions
        snapped (trained output weights and first-layer norms kept); >= objective_after.
    lasso_objective : the refit's Lasso value (== objective_after to rounding).
    snapped : one :class:`SnappedNeuron` per unit of the original network.
    dictionary, problem, solution : the snapped dictionary, its Lasso and solution.
    optimum : the full wedge Lasso fit (:class:`gaconvex.ConvexFit`) when it was affordable,
        else None: the global optimum for p = 1, an upper bound on it for p = 2.
    """

    network: object
    original: object
    architecture: object
    beta: float
    objective_before: float
    objective_after: float
    objective_snapped: float
    lasso_objective: float
    snapped: list
    dictionary: object
    problem: object
    solution: object
    optimum: object | None = None
    notes: tuple = field(default_factory=tuple)

    @property
    def improvement(self) -> float:
        """objective_before - objective_after (negative when polishing made it worse)."""
        return self.objective_before - self.objective_after

    @property
    def optimum_objective(self) -> float | None:
        return None if self.optimum is None else float(self.optimum.objective)

    @property
    def n_dead(self) -> int:
        return sum(s.dead for s in self.snapped)

    def __repr__(self) -> str:
        opt = "" if self.optimum is None else f", optimum={self.optimum_objective:.8g}"
        return (f"PolishReport({self.architecture}, beta={self.beta:g}, "
                f"before={self.objective_before:.8g}, after={self.objective_after:.8g}"
                f"{opt}, m={len(self.snapped)} -> {self.network.n_units})")

    def summary(self) -> str:
        p = self.architecture.norm
        name = "global optimum" if p == 1 else "wedge Lasso (upper bound on the p = 2 optimum)"
        lines = [repr(self),
                 f"  objective before polishing: {self.objective_before:.10g}",
                 f"  directions snapped, trained scales kept: {self.objective_snapped:.10g}",
                 f"  after the convex refit: {self.objective_after:.10g} "
                 f"({'better' if self.improvement > 0 else 'not better'} by "
                 f"{self.improvement:+.3g})"]
        if self.optimum is not None:
            lines.append(f"  {name}: {self.optimum_objective:.10g} "
                         f"({self.optimum.dictionary.n_columns} columns)")
        lines.append(f"  {len(self.snapped)} units: {self.n_dead} dead, "
                     f"{self.dictionary.n_columns} distinct snapped neurons, "
                     f"{self.network.n_units} with a nonzero output weight")
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"  {s}" for s in self.snapped]
        return "\n".join(lines)

    def plot(self, axes=None):
        """For d = 2: the decision maps sign f(x) of the original and of the polished network
        (:func:`gaconvex.plotting.plot_decision_map`), the polished one with the breaklines of
        its active neurons (each through its anchors); returns the two axes."""
        import matplotlib.pyplot as plt
        import torch

        from .plotting import format_number, neuron_lines, plot_decision_map

        X, y = self.dictionary.X, self.problem.y
        if X.shape[1] != 2:
            raise GaconvexError(f"PolishReport.plot draws decision maps on R^2; these data are "
                                f"{X.shape[1]}-dimensional. Use summary() instead.")
        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(9.5, 5.0))
        for ax, net, name, value, lines in (
                (axes[0], self.original, "before polishing", self.objective_before, ()),
                (axes[1], self.network, "after polishing", self.objective_after,
                 neuron_lines(self.network))):
            def predict(P, net=net):
                with torch.no_grad():
                    return net(torch.as_tensor(P)).cpu().numpy()
            plot_decision_map(predict, X, y, ax=ax, breaklines=lines,
                              title=f"{name}: J = {format_number(value, 5)}")
        return axes


def _check_network(network, d: int):
    from .networks import ParallelNetwork

    if not isinstance(network, ParallelNetwork):
        raise GaconvexError(f"polish needs a gaconvex.networks.ParallelNetwork, got "
                            f"{type(network).__name__}; a TrainingResult's best_network is one.")
    if network.batch_shape:
        raise GaconvexError(f"polish polishes one network, got batch_shape "
                            f"{network.batch_shape}; pick one with network.select(r) (or "
                            "TrainingResult.best_network).")
    act = network.activation
    relu = (act.a_plus, act.a_minus, act.b_plus, act.b_minus) == (1, 0, 0, 0)
    if network.depth != 2 or not relu or network.amplitude is not None or any(network.tied):
        raise GaconvexError(f"polishing is defined for 2-layer ReLU networks (001 Sec. 4.1); got "
                            f"{network.extra_repr()}.")
    if network.skip:
        raise GaconvexError("polish does not handle the skip connection omega^T x; train the "
                            "network without skip=True.")
    if network.in_features != d:
        raise GaconvexError(f"the network takes inputs of dimension {network.in_features} but X "
                            f"has {d} columns; pass the data it was trained on.")


def _snap_one(R: np.ndarray, lengths: np.ndarray, w_hat: np.ndarray, k: int, n: int,
              affine: bool):
    """Rows of R (candidates, data rows first, then basis rows; ``lengths`` their norms) for
    one neuron: the k of smallest |<r, w^>| that are linearly independent (biased: at most
    k - 1 basis rows); returns (row indices sorted increasingly, their scores) or None when
    there are not k.  The nearest 8 k + 8 candidates are tried first (a partial sort, O(n)),
    all of them only when those do not suffice."""
    scores = np.abs(R @ w_hat)
    if k == 0:  # d = 1 without bias: the neuron is +-1, no anchors
        return np.zeros(0, dtype=np.int64), scores[:0]
    near = min(len(R), 8 * k + 8)
    first = np.argpartition(scores, near - 1)[:near] if near < len(R) else np.arange(len(R))
    for pool in (first, np.arange(len(R))):
        order = pool[np.argsort(scores[pool], kind="stable")]
        chosen: list[int] = []
        basis_rows = 0
        for i in order:
            if (affine and i >= n and basis_rows == k - 1) or lengths[i] == 0:
                continue  # biased: keep a data point; a zero point defines no hyperplane
            trial = R[chosen + [i]] / lengths[chosen + [i], None]
            if np.linalg.svd(trial, compute_uv=False)[-1] > _RANK_RTOL:
                chosen.append(int(i))
                basis_rows += i >= n
                if len(chosen) == k:
                    chosen.sort()
                    return np.array(chosen), scores[chosen]
        if len(pool) == len(R):
            break
    return None


def polish(network, X, y, beta, *, norm: int = 1, bias: bool | None = None,
           augment: bool | None = None, loss=None, solver: str = "auto", optimum=None,
           max_optimum_columns: int = DEFAULT_MAX_OPTIMUM_COLUMNS) -> PolishReport:
    """Polish a trained 2-layer ReLU network (001 Sec. 4.1; steps in the module docstring).

    Parameters
    ----------
    network : gaconvex.networks.ParallelNetwork, unbatched, 2 layers, ReLU, on R^d.
    X : (n, d) training points; y : (n,) targets; beta > 0 the training regularization of
        sum_i ell(y_i - f(x_i)) + (beta / 2) sum_j (||W1_j||_p^2 + W2_j^2) (the Lasso's beta~ =
        ``architecture.beta_tilde(beta)``).
    norm : p of the first-layer penalty (1: the exact case of 001 Thm 4 / 16; 2: weight decay).
    bias : whether the network has first-layer biases (default: it has them when its xi is
        trainable or any b_j != 0); a bias-free polish of a network with b != 0 is refused.
    augment : include e_1..e_d among the candidate anchors (default: for p = 1, as the wedge
        family does; Lemma 19).
    loss : the datafit name (default squared), for both the objective and the refit.
    solver : the Lasso solver of the refit (``gaconvex.solvers.solve``).
    optimum : also solve the full wedge Lasso (``convex_fit``): True, False, or None (when it
        has at most ``max_optimum_columns`` raw columns).

    Returns a :class:`PolishReport`: objectives before / after / with snapped directions only,
    the snapped neurons with their anchors, and the optimum when computed.
    """
    import torch

    from .fit import convex_fit
    from .networks import reconstruct, training_objective
    from .networks.modules import ParallelNetwork
    from .solvers import LassoProblem, solve
    from .solvers.datafits import make_datafit
    from .symbolic import WEDGE, derive
    from .symbolic import architecture as make_architecture

    X = as_float_array(X, "X", ndim=(1, 2))
    if X.ndim == 1:
        X = X[:, None]
    n, d = X.shape
    y = check_targets(y, n).reshape(-1)
    if y.shape[0] != n:
        raise GaconvexError(f"y must hold one target per point ({n}), got shape {y.shape}.")
    if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, numbers.Real) \
            or not np.isfinite(beta) or beta <= 0:
        raise GaconvexError(f"beta must be a finite number > 0 (the training regularization), "
                            f"got {beta!r}.")
    if norm not in (1, 2) or isinstance(norm, bool):
        raise GaconvexError(f"norm must be 1 or 2 (p of the first-layer penalty), got {norm!r}.")
    _check_network(network, d)
    beta = float(beta)
    W_old = network.weights[0].detach().cpu().numpy()[:, :, 0]  # (m, d)
    b_old = network.biases[0].detach().cpu().numpy()[:, 0, 0]  # (m,)
    has_bias = bool(network.intercept or np.any(b_old != 0))
    if bias is None:
        bias = has_bias
    elif not bias and np.any(b_old != 0):
        raise GaconvexError(f"bias=False polishes a bias-free network, but "
                            f"{int(np.sum(b_old != 0))} units have a first-layer bias b != 0; "
                            "pass bias=True (or None).")
    if augment is None:
        augment = norm == 1
    if not augment and d > 1 and np.linalg.matrix_rank(X - X[0] if bias else X) < d:
        raise GaconvexError(  # every snapped neuron would be the normal of the data's span
            f"polishing without the e_k augmentation needs data of {'affine ' if bias else ''}"
            f"rank d = {d}; these points span less, so every cross product of them is normal to "
            "their span. Use norm=1 (or augment=True; Lemma 19), or project the data onto their "
            "span first (001 Lemma 23: X V from the compact SVD X = U S V^T).")
    arch = make_architecture("relu", 2, WEDGE, dim=d, norm=norm, bias=bool(bias))
    (family,) = derive(arch).families
    datafit = make_datafit(*((loss,) if loss is not None else ()))
    dev = network.device

    # steps 1-3: score, choose, snap
    rows = np.vstack([X, np.eye(d)]) if augment else X
    R = np.hstack([rows, np.r_[np.ones(n), np.zeros(len(rows) - n)][:, None]]) if bias else rows
    W_hat = np.column_stack([W_old, b_old]) if bias else W_old
    lengths = np.linalg.norm(R, axis=1)
    k = family.n_anchors
    subsets, sources, snapped = [], [], []
    for j in range(len(W_old)):
        if not np.any(W_old[j]):
            snapped.append((j, None))
            continue
        found = _snap_one(R, lengths, W_hat[j], k, n, bias)
        if found is None:
            raise GaconvexError(
                f"unit {j}: fewer than {k} linearly independent training points; the data have "
                f"{'affine ' if bias else ''}rank below d = {d}. Project them onto their span "
                "first (001 Lemma 23) or use norm=1, whose e_k augmentation always suffices.")
        snapped.append((j, found))
        subsets.append(found[0])
        sources.append(j)
    notes = []
    if not subsets:
        raise GaconvexError("every unit of the network is dead (w = 0): there is no hyperplane to "
                            "snap; train the network first.")
    subsets = np.array(subsets, dtype=np.int64).reshape(len(subsets), k)
    anchors = family.anchor_vectors(X, subsets)
    w_new, b_new, volume = family.neurons(anchors)
    assert np.all(volume > 0), "independent anchors give a nonzero cross product"
    lifted_new = np.column_stack([w_new, b_new]) if bias else w_new
    s = np.where(np.einsum("sd,sd->s", lifted_new, W_hat[sources]) >= 0, 1, -1)
    w_new, b_new = w_new * s[:, None], b_new * s
    index = family.public_index(subsets, n)
    # one column per distinct oriented neuron (two units may snap to the same one)
    keys = [tuple(ix) + (int(si),) for ix, si in zip(index.tolist(), s)]
    first = {}
    for row, key in enumerate(keys):
        first.setdefault(key, row)
    keep = np.array(sorted(first.values()))
    column_of = {key: int(np.searchsorted(keep, row)) for key, row in first.items()}
    if len(keep) < len(keys):
        notes.append(f"{len(keys) - len(keep)} units snapped onto the neuron of another unit")
    dictionary = _snapped_dictionary(arch, family, X, index[keep], anchors[keep], s[keep],
                                     w_new[keep], b_new[keep])
    report_rows, at = [], 0
    for j, found in snapped:
        if found is None:
            report_rows.append(SnappedNeuron(j, (), (), None, None, None))
            continue
        report_rows.append(SnappedNeuron(j, tuple(int(v) for v in index[at]),
                                         tuple(float(v) for v in found[1]), w_new[at].copy(),
                                         float(b_new[at]), column_of[keys[at]]))
        at += 1
    if any(r.dead for r in report_rows):
        notes.append(f"{sum(r.dead for r in report_rows)} dead units (w = 0) dropped")

    # step 4-5: convex refit of the last layer, balanced reconstruction
    problem = LassoProblem.from_dictionary(dictionary, y, beta, loss=datafit)
    solution = solve(problem, solver)
    if solution.support.size:
        polished = reconstruct(dictionary, solution, beta, device=dev)
    else:
        notes.append("the refit is z = 0 (beta~ >= ||K^T (y - y_hat)||_inf): a constant network")
        polished = ParallelNetwork.from_units([[(np.zeros((d, 1)), np.zeros((1, 1)))]], [0.0],
                                              "relu", xi=float(solution.xi), intercept=bool(bias),
                                              device=dev)

    def objective(net) -> float:
        with torch.no_grad():
            return float(training_objective(net, X, y, beta, loss=datafit, norm=norm).item())

    live = [r for r in report_rows if not r.dead]
    norms = np.linalg.norm(W_old[[r.index for r in live]], ord=norm, axis=1)
    units = [[(norms[i] * r.weight[:, None], np.array([[norms[i] * r.bias]]))]
             for i, r in enumerate(live)]
    alpha_all = network.alpha.detach().cpu().numpy()
    alpha = alpha_all[[r.index for r in live]]
    dead = [r.index for r in report_rows if r.dead]  # constants alpha_j relu(b_j): into xi
    xi = float(network.xi.detach().cpu()) + float(alpha_all[dead] @ np.maximum(b_old[dead], 0))
    swapped = ParallelNetwork.from_units(units, alpha, "relu", xi=xi,
                                         intercept=network.intercept or xi != 0, device=dev)
    fit = None
    if optimum or (optimum is None and family.size(n) <= max_optimum_columns):
        fit = convex_fit(X, y, arch, beta, loss=loss)
    return PolishReport(polished, network, arch, beta, objective(network), objective(polished),
                        objective(swapped), float(solution.objective), report_rows, dictionary,
                        problem, solution, fit, tuple(notes))


def _snapped_dictionary(arch, family, X, anchor_index, anchors, signs, w, b):
    """The Lasso dictionary of the snapped neurons: one wedge column relu(<x, w> + b) per
    neuron, with its anchors, so reconstruction and ``describe`` work as for the library."""
    from .dictionaries import DenseColumns, Dictionary, WedgeBlock

    k, d = family.n_anchors, family.dim
    block = WedgeBlock(family, np.asarray(anchor_index), anchors.reshape(len(w), k * d),
                       np.asarray(signs).reshape(-1, 1), np.asarray(w), np.asarray(b))
    return Dictionary(arch, X, (block,), DenseColumns(block.evaluate(X)), np.zeros((len(X), 0)))
