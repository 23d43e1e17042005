"""The pipeline, wired once: data -> dictionary -> Lasso problem -> solver -> certificate ->
network.

:func:`convex_fit` is the one place where the steps meet; the command line, the examples and
the estimators call it.  It validates the data (:mod:`gaconvex.data`), merges tied inputs
exactly (weights, so the certificate speaks about the user's data), builds the architecture's
dictionary on the distinct points, forms the Lasso with beta~ from the architecture, solves
it (``solve``, exactly rescaled), certifies the solution (:func:`gaconvex.certify.certify`)
and hands back a :class:`ConvexFit` that predicts every original point and rebuilds the torch
network on demand.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ._validation import GaconvexError
from .data import TiedData, as_points, as_sample_weight, as_targets, merge_ties, unique_rows

if TYPE_CHECKING:
    from .certify import FitCertificate
    from .dictionaries import ColumnInfo, Dictionary
    from .solvers import LassoProblem, LassoSolution
    from .symbolic import Architecture, Breakpoint

__all__ = ["convex_fit", "ConvexFit", "VectorConvexFit", "ActiveFeature"]


@dataclass(frozen=True)
class ActiveFeature:
    """One selected column: its coefficient, the unit behind it and its exact breakpoints."""

    index: int
    coefficient: float
    info: ColumnInfo
    breakpoints: tuple[Breakpoint, ...]
    description: str = ""  # d-D features: the neuron and its anchors (no 1-D breakpoints)

    def __str__(self) -> str:
        if self.description:
            return f"z = {self.coefficient:+.6g}: {self.description}"
        kinks = ", ".join(f"{float(b):.6g} ({b.label})" for b in self.breakpoints)
        anchors = ", ".join(f"{a:.6g}" for a in self.info.anchor_values)
        signs = f", signs {self.info.signs}" if self.info.signs else ""
        return (f"z = {self.coefficient:+.6g}: {self.info.bias_kind} feature, anchors "
                f"({anchors}){signs}; breakpoints {kinks or 'none'}")


@dataclass
class ConvexFit:
    """The globally optimal network of a convex fit, with everything that proves it.

    Attributes
    ----------
    architecture, beta : the network and the training regularization (beta~ =
        ``architecture.beta_tilde(beta)``).
    data : :class:`gaconvex.data.TiedData`, the user's points and the merged Lasso rows.
    dictionary : the Lasso dictionary on the rows (:class:`gaconvex.dictionaries.Dictionary`).
    problem, solution : the Lasso and its solution (rows of ``data.rows``).
    certificate : :class:`gaconvex.certify.FitCertificate` (None with ``certify=False``).
    timings : seconds per step.
    """

    architecture: Architecture
    beta: float
    data: TiedData
    dictionary: Dictionary
    problem: LassoProblem
    solution: LassoSolution
    certificate: FitCertificate | None
    timings: dict = field(default_factory=dict)

    # -- the model --------------------------------------------------------------------------------
    @property
    def coef_(self) -> np.ndarray:
        return self.solution.z

    @property
    def intercept_(self) -> float:
        return self.solution.xi

    @property
    def support(self) -> np.ndarray:
        return self.solution.support

    def predict(self, X) -> np.ndarray:
        """The fitted function sum_i z_i f_i(x) + xi + omega^T x on new points (numpy)."""
        D, sol = self.dictionary, self.solution
        X = as_points(X, "X", dim=D.dim)
        idx = self.support
        out = np.full(X.shape[0], float(sol.xi))
        if idx.size:
            out += D.evaluate(X, columns=idx) @ sol.z[idx]
        if D.unpenalized.shape[1]:
            out += D.unpenalized_at(X) @ sol.omega
        return out

    @property
    def fitted(self) -> np.ndarray:
        """Predictions at the user's points, in the user's order ((n,), or (n, c) for vector
        outputs)."""
        data = self.data
        out = np.empty((len(data.X),) + np.shape(self.solution.fitted)[1:])
        live = data.inverse >= 0
        out[live] = self.solution.fitted[data.inverse[live]]
        if not live.all():
            out[~live] = self.predict(data.X[~live])
        return out

    @property
    def objective(self) -> float:
        """The training objective on the user's data: sum_i w_i ell(y_i - y_hat_i) +
        beta~ ||z||_1 (= the network's objective (1.1)); ||z||_1 for beta = 0."""
        penalty = float(np.abs(self.solution.z).sum())
        if self.beta == 0:
            return penalty
        data = self.data
        datafit = self.problem.datafit.with_weights(data.weights).with_targets(data.y)
        loss = datafit.value(self.fitted - data.y)
        return loss + self.problem.beta_t * penalty

    @cached_property
    def network(self):
        """The reconstructed torch network (002 Def. B.3), checked against beta~ by KKT."""
        from .networks import reconstruct

        return reconstruct(self.dictionary, self.solution, self.beta)

    def network_objective(self) -> float:
        """Objective (1.1) of :attr:`network` on the user's data (equals :attr:`objective`)."""
        from .networks import training_objective

        if self.beta == 0:
            raise GaconvexError("beta = 0 has no training objective; objective is ||z||_1.")
        data = self.data
        X = data.X[:, 0] if data.X.shape[1] == 1 else data.X
        return float(training_objective(self.network, X, data.y, self.beta,
                                        sample_weight=data.weights,
                                        loss=self.problem.datafit, tau=self.problem.tau,
                                        norm=self.architecture.norm).item())

    def features(self) -> list[ActiveFeature]:
        """The selected columns, largest |z| first, with their labelled breakpoints (d-D
        wedge features: the neuron w, b and the anchors its hyperplane passes through)."""
        from .symbolic import breakpoints

        idx = self.support[np.argsort(-np.abs(self.solution.z[self.support]))]
        out = []
        for i in idx:
            info = self.dictionary.column_info(int(i))
            describe = getattr(info.family, "describe_column", None)
            if describe is not None:
                out.append(ActiveFeature(int(i), float(self.solution.z[i]), info, (),
                                         describe(info)))
                continue
            kinks = tuple(breakpoints(info.family, info.anchor_values, info.signs))
            out.append(ActiveFeature(int(i), float(self.solution.z[i]), info, kinks))
        return out

    # -- reports ----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        ok = "not certified" if self.certificate is None else f"certified={self.certificate.ok()}"
        return (f"ConvexFit({self.architecture}, beta={self.beta:g}, N={len(self.data.X)}, "
                f"objective={self.objective:.10g}, m*={self.support.size}, {ok})")

    def summary(self) -> str:
        lines = [repr(self), f"  data: {len(self.data.X)} points"
                 + (f"; {self.data.report()}" if self.data.report() else "")]
        lines.append(f"  dictionary: {self.dictionary!r}")
        lines.append(f"  Lasso: {self.problem!r}")
        lines.append(f"  solution: {self._solution_line()}")
        lines.append(f"  training objective on the user's data: {self.objective:.12g}"
                     + (f" (Lasso rows {self.solution.objective:.12g} + tie constant "
                        f"{self.data.constant:.6g})" if self.data.constant else ""))
        if self.certificate is not None:
            lines.append("  " + self.certificate.summary().replace("\n", "\n  "))
        if self.timings:
            lines.append("  timings: " + ", ".join(f"{k} {v:.3g} s" for k, v in self.timings.items()))
        return "\n".join(lines)

    def _solution_line(self) -> str:
        return repr(self.solution)

    def plot(self, ax=None, *, title: str | None = None, **options):
        """The fitted function (1-D) over the data with the kinks of its features named by the
        data (:func:`gaconvex.plotting.plot_convex_fit`; ``options``: x_range, xlabel, ylabel)."""
        from .plotting import plot_convex_fit

        return plot_convex_fit(self, ax=ax, title=title, **options)


@dataclass
class VectorConvexFit(ConvexFit):
    """A convex fit of c > 1 outputs (001 Thm 14): the group Lasso

        min_{Z, xi} 1/2 sum_i w_i ||(A Z + 1 xi^T - Y)_i||_2^2 + beta~ sum_k ||Z_k,:||_2

    over the rows Z_k (all c outputs of the neuron of column k), beta~ =
    ``architecture.beta_tilde(beta)``.  It is the training problem of the c-output network
    with penalty (beta / 2) sum_j ||W1_j||_p^2 + ||W2_j||_2^2 (exact for p = 1, an upper bound
    for p = 2, Thm 14).  ``problem`` is a :class:`gaconvex.solvers.GroupLassoProblem`,
    ``solution`` a :class:`gaconvex.solvers.GroupLassoSolution`; :meth:`predict` returns
    (n, c) and :attr:`network` is a :class:`gaconvex.networks.vector_output.VectorOutputNetwork`.
    """

    @property
    def coef_(self) -> np.ndarray:
        return self.solution.Z

    @property
    def intercept_(self) -> np.ndarray:
        return self.solution.xi

    @property
    def n_outputs(self) -> int:
        return self.problem.n_outputs

    def predict(self, X) -> np.ndarray:
        """sum_k relu(<x, w_k> + b_k) Z_k + xi on new points: (n, c)."""
        D, sol = self.dictionary, self.solution
        X = as_points(X, "X", dim=D.dim)
        idx = self.support
        out = np.tile(np.asarray(sol.xi, dtype=float), (X.shape[0], 1))
        if idx.size:
            out += D.evaluate(X, columns=idx) @ sol.Z[idx]
        return out

    @property
    def objective(self) -> float:
        """1/2 sum_i w_i ||y_hat_i - y_i||^2 + beta~ sum_k ||Z_k||_2 on the user's data."""
        R = self.fitted - self.data.y
        loss = 0.5 * float(np.sum(self.data.weights[:, None] * R * R))
        return loss + self.problem.beta_t * float(np.linalg.norm(self.solution.Z, axis=1).sum())

    @cached_property
    def network(self):
        """The c-output torch network of the solution (balanced units, 001 (98), Thm 14)."""
        from .networks.vector_output import reconstruct_vector

        return reconstruct_vector(self.dictionary, self.solution)

    def network_objective(self) -> float:
        """The training objective of :attr:`network` on the user's data (equals
        :attr:`objective`): 1/2 sum_i w_i ||f(x_i) - y_i||^2 + (beta / 2) sum_j ||W1_j||_p^2 +
        ||W2_j||_2^2."""
        data = self.data
        return float(self.network.objective(data.X, data.y, self.beta, sample_weight=data.weights,
                                            norm=self.architecture.norm).item())

    def features(self) -> list[ActiveFeature]:
        """The units (rows Z_k != 0), largest ||Z_k|| first; ``coefficient`` is ||Z_k||_2 and
        the description names Z_k and the neuron."""
        Z = self.solution.Z
        norms = np.linalg.norm(Z, axis=1)
        out = []
        for i in self.support[np.argsort(-norms[self.support])]:
            info = self.dictionary.column_info(int(i))
            describe = getattr(info.family, "describe_column", None)
            neuron = describe(info) if describe is not None else self.dictionary.describe(int(i))
            out.append(ActiveFeature(int(i), float(norms[i]), info, (),
                                     f"Z_k = {np.round(Z[i], 6).tolist()}; {neuron}"))
        return out

    def __repr__(self) -> str:
        return super().__repr__().replace("ConvexFit(", f"VectorConvexFit(c={self.n_outputs}, ", 1)

    def _solution_line(self) -> str:
        sol = self.solution
        return (f"group Lasso {sol.solver} ({sol.status}), objective {sol.objective:.12g}, "
                f"{sol.m_star} nonzero rows of Z ({sol.Z.shape[0]} x {sol.Z.shape[1]}), "
                f"{sol.solve_time:.3g} s")


def convex_fit(X, y, architecture, beta, *, loss=None, tau: float = 0.5, sample_weight=None,
               solver: str = "auto", max_columns: int | None = None, seed=None,
               storage: str = "auto", backend: str = "numba", device=None,
               deduplicate: bool = True,
               memory_limit: float | None = None, sparse: bool = False, certify: bool = True,
               solver_options: dict | None = None, client=None) -> ConvexFit:
    """Fit ``architecture`` to (X, y) exactly, by its convex Lasso (002 Thm 3.11; the one
    pipeline of gaconvex).

    Parameters
    ----------
    X : (n,) or (n, d) inputs; y : (n,) targets; beta >= 0 the training regularization of
        (1.1) (beta = 0: the minimum-norm interpolation limit, 002 (C.1)).
    architecture : gaconvex.symbolic.Architecture, e.g. ``architecture("abs", 3)``.
    loss, tau : the datafit (default squared; "quantile" with tau models the tau-quantile).
    sample_weight : (n,) weights >= 0 (zero-weight points are dropped and reported).
    solver : "auto", "reference", "min_norm" or any registered solver; ``solver_options`` go to it.
    max_columns, seed : sample the library uniformly when it is larger (002 Sec. 4).
    storage, backend, device, deduplicate, memory_limit : how the dictionary is built and stored
        (:func:`gaconvex.dictionaries.library_1d`); "auto": matrix-free "structured" products
        for the 1-D libraries on the numba backend (the columns' piecewise-linear forms: no
        matrix, no deduplication pass; the solver keeps one of each set of copies), "dense"
        for the others.
    sparse : post-process to a vertex solution (m* <= N).
    certify : run the certificates (Lasso gap and KKT; completeness search where it exists).
    client : a ``distributed.Client``: the matrix-free dictionary's column shards live on its
        workers and the correlation passes run there (:func:`gaconvex.distributed.distribute`;
        needs storage="structured" or "kernels"); without one nothing imports dask.

    Notes
    -----
    Tied inputs are merged with weights (squared loss: weighted mean targets, exact up to a
    constant the objective adds back; other losses: equal input-target pairs), so
    :attr:`ConvexFit.objective` is the objective on the user's points.
    """
    from .dictionaries import DEFAULT_MEMORY_LIMIT, build_dictionary, default_storage
    from .solvers import GroupLassoProblem, LassoProblem, solve
    from .solvers.datafits import make_datafit
    from .symbolic import Architecture

    if not isinstance(architecture, Architecture):
        raise GaconvexError(
            f"architecture must be a gaconvex.symbolic.Architecture, got "
            f"{type(architecture).__name__}; build one with gaconvex.symbolic.architecture('abs', 3).")
    beta = _check_beta(beta)
    timings = {}
    start = time.perf_counter()
    datafit = make_datafit(*((loss,) if loss is not None else ()), tau=tau)
    points = as_points(X, "X", dim=architecture.dim)
    targets = _as_target_columns(y, len(points))
    vector = targets.ndim == 2  # c > 1 outputs: the group Lasso of 001 Thm 14
    if vector:
        _check_vector_request(architecture, datafit, beta, sparse)
    weights = as_sample_weight(sample_weight, len(points))
    data = merge_ties(points, targets, weights, quadratic=datafit.quadratic)
    distinct, to_distinct = unique_rows(data.rows)
    if len(distinct) < 2:
        raise GaconvexError(f"the data have {len(distinct)} distinct input(s) of positive weight; "
                            "a network fit needs at least 2.")
    timings["data"] = time.perf_counter() - start
    start = time.perf_counter()
    if storage == "auto":
        storage = default_storage(architecture, backend)
    dictionary = build_dictionary(
        distinct, architecture, backend=backend, device=device, storage=storage,
        deduplicate=deduplicate and storage == "dense", max_columns=max_columns, seed=seed,
        memory_limit=DEFAULT_MEMORY_LIMIT if memory_limit is None else memory_limit)
    if len(distinct) < len(data.rows):  # rows repeat an input (ties with other targets)
        dictionary = dictionary.rows(to_distinct)
    if client is not None:
        from .distributed import distribute

        dictionary = distribute(dictionary, client)
    timings["dictionary"] = time.perf_counter() - start
    start = time.perf_counter()
    uniform = np.all(data.w_rows == 1.0)
    if vector:
        problem = GroupLassoProblem.from_dictionary(dictionary, data.y_rows, beta,
                                                    sample_weight=None if uniform else data.w_rows)
        solution = solve(problem, solver, **(solver_options or {}))
    else:
        problem = LassoProblem.from_dictionary(dictionary, data.y_rows, beta, loss=datafit,
                                               sample_weight=None if uniform else data.w_rows)
        solution = solve(problem, solver, sparse=sparse, **(solver_options or {}))
    timings["solve"] = time.perf_counter() - start
    certificate = None
    if vector:
        if certify:  # the group Lasso's own gap / KKT certificate (attached by solve_group)
            from .certify import FitCertificate

            certificate = FitCertificate(
                solution.certificate, None, float(problem.beta_t), dictionary.sampled,
                "vector outputs: the group Lasso of 001 Thm 14 is certified by its duality gap; "
                "no completeness search exists for it")
        return VectorConvexFit(architecture, beta, data, dictionary, problem, solution,
                               certificate, timings)
    if certify:
        from .certify import certify as certify_fit

        start = time.perf_counter()
        certificate = certify_fit(dictionary, problem, solution)
        timings["certify"] = time.perf_counter() - start
    return ConvexFit(architecture, beta, data, dictionary, problem, solution, certificate, timings)


def _as_target_columns(y, n: int) -> np.ndarray:
    """Targets: (n,) (an (n, 1) column too, exactly as y) by :func:`gaconvex.data.as_targets`,
    or a finite (n, c) matrix Y with c > 1 outputs (001 Thm 14)."""
    from ._validation import as_real
    from .data import _check_rows_finite

    arr = as_real(y, "y")
    if arr.ndim != 2 or arr.shape[1] < 2:
        return as_targets(arr, n)
    if arr.shape[0] != n:
        raise GaconvexError(f"Y has {arr.shape[0]} rows but there are {n} points; pass one row "
                            "of c targets per point (Y of shape (n, c)).")
    _check_rows_finite(arr, "Y")
    return arr


def _check_vector_request(architecture, datafit, beta: float, sparse: bool) -> None:
    """The combinations the group Lasso of vector outputs (001 Thm 14) covers."""
    if architecture.depth != 2 or architecture.skip or not architecture.activation.is_homogeneous:
        raise GaconvexError(
            f"vector outputs Y (n, c) are fitted for 2-layer networks of a positively homogeneous "
            f"activation without skip connection (001 Thm 14: the group Lasso over rows of Z); "
            f"got {architecture}. Fit one output column at a time (y = Y[:, k]).")
    if not datafit.quadratic:
        raise GaconvexError(f"vector outputs are fitted with the squared loss (the group Lasso "
                            f"of 001 Thm 14); got loss {datafit.name!r}. Drop loss= or fit one "
                            "output column at a time.")
    if beta == 0:
        raise GaconvexError("beta = 0 (minimum-norm interpolation) is not available for vector "
                            "outputs; pass a small beta > 0 (e.g. 1e-6) for the limit (001 "
                            "Cor 18).")
    if sparse:
        raise GaconvexError("sparse=True (a vertex solution) is for one output; the group Lasso "
                            "of vector outputs keeps whole rows of Z (drop sparse=True).")


def _check_beta(beta) -> float:
    import numbers

    if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, numbers.Real):
        raise GaconvexError(f"beta must be a real number >= 0, got {type(beta).__name__} {beta!r}.")
    beta = float(beta)
    if not np.isfinite(beta) or beta < 0:
        raise GaconvexError(f"beta must be finite and >= 0, got {beta}; beta = 0 gives the "
                            "minimum-norm interpolation limit (002 (C.1)).")
    return beta
