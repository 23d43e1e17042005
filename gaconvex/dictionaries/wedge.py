"""Wedge-product dictionaries of 2-layer ReLU networks on R^d ("From Complexity to Clarity", 001).

:func:`wedge_library` enumerates the anchor sets of the architecture's feature family
(:class:`gaconvex.symbolic.WedgeFeatureFamily`: (d-1)-subsets of [X; I_d] for bias-free
networks, d-point hyperplanes for biased ones; spec 001 Sec. 3.2 rows A-I), evaluates all
their neurons in one batched pass (the family's formula over
:func:`gaconvex.algebra.generalized_cross`), and stores the columns relu(X W^T + b) (BLAS):

    K[i, (S, s)] = relu(s (<x_i, w_S> + b_S)),  ||w_S||_p = 1,  s = +-1,

rows = the n data points only (spec 001 Sec. 0 item 5).  Degenerate anchor sets (zero cross
product: repeated or affinely dependent points) and repeated neurons (more than d - 1 anchors
on one hyperplane) are detected, reported in :class:`WedgeReport` and never become columns;
with ``deduplicate`` the zero and identical columns are removed and reported as well
(:func:`deduplicate_columns`).  Above ``max_columns`` the anchor sets are a uniform seeded
sample and ``Dictionary.sampled`` is True.  For p = 2 on data of rank r < d (affine rank with
biases) the library is built in r dimensions and mapped back (001 Lemma 23,
:class:`RankReduction`, reported in ``WedgeReport.reduction``).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, combinations

import numpy as np

from gaconvex._validation import GaconvexError, check_memory, repeated_rows_notes

from .library import Dictionary, enumerated_dictionary
from .one_d import DEFAULT_MEMORY_LIMIT
from .reports import WedgeReport
from .storage import KernelColumns

__all__ = ["WedgeBlock", "WedgeReport", "RankReduction", "RowSpaceFamily", "wedge_library",
           "WEDGE_STORAGES", "chamber_diameter", "local_chamber_diameter"]

#: Column stores a wedge library supports (the structured store is 1-D only).
WEDGE_STORAGES = ("dense", "kernels")
_CHUNK_ENTRIES = 1 << 22  # matrix entries evaluated at once by the matrix-free products
_REPORTED = 20  # degenerate anchor sets listed by index in the report


@dataclass(frozen=True)
class WedgeBlock:
    """Columns of a wedge feature family: one neuron (w, b) and its anchors per column.

    ``anchor_index`` (P, k): data rows j >= 0, -k for e_k; ``anchor_values`` (P, k d) the
    anchors the family's formula takes; ``signs`` (P, 1) the orientation s; ``weights``
    (P, d) and ``bias`` (P,) the oriented unit neurons, s (w, b) (||w||_p = 1).
    """

    family: object
    anchor_index: np.ndarray
    anchor_values: np.ndarray
    signs: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    sampled: bool = False
    anchor_rank = None

    def __len__(self) -> int:
        return len(self.weights)

    def take(self, keep) -> "WedgeBlock":
        keep = np.asarray(keep, dtype=np.intp)
        return WedgeBlock(self.family, self.anchor_index[keep], self.anchor_values[keep],
                          self.signs[keep], self.weights[keep], self.bias[keep], self.sampled)

    # -- evaluation: relu(X W^T + b) by BLAS (numpy) or on a torch device ----------------------
    def evaluate(self, X, backend: str = "numba", *, out=None, device=None):
        """The block's columns on points X (N, d): (N, P); torch tensor for backend "torch"."""
        if backend == "torch":
            return on_torch(lambda X, W, b: self.family.apply(X @ W.T + b),
                            (X, self.weights, self.bias), out, device)
        X, out = _numpy_target(X, len(self), out)
        np.matmul(X, self.weights.T, out=out)
        out += self.bias
        np.maximum(out, 0.0, out=out)
        return out

    def _chunks(self, n_rows: int):
        step = max(1, _CHUNK_ENTRIES // max(n_rows, 1))
        for lo in range(0, len(self), step):
            yield lo, min(lo + step, len(self))

    def matvec(self, X, z, backend: str = "numba", *, device=None):
        """A_b z, chunk by chunk over the nonzero z (numpy)."""
        z = np.asarray(z, dtype=np.float64)
        live = np.flatnonzero(z)
        out = np.zeros(np.shape(X)[0])
        if live.size:
            part = self.take(live)
            for lo, hi in part._chunks(out.size):
                cols = part.take(np.arange(lo, hi)).evaluate(X, backend, device=device)
                out += _numpy(cols) @ z[live[lo:hi]]
        return out

    #: The columns are relu(X W^T + b) (fused numba passes apply); subclasses whose units have
    #: more layers set False and get the chunked products through their own ``evaluate``.
    fused = True

    def rmatvec(self, X, r, backend: str = "numba", *, device=None):
        """A_b^T r: one fused numba pass over the columns (never stored; numpy backends, plain
        wedge columns), else chunk by chunk through :meth:`evaluate`."""
        r = np.asarray(r, dtype=np.float64)
        if self.fused and backend != "torch":
            from ._relu_kernels import correlations

            return correlations(np.asarray(X, dtype=np.float64), self.weights, self.bias, r)
        parts = [_numpy(self.take(np.arange(lo, hi)).evaluate(X, backend, device=device)).T @ r
                 for lo, hi in self._chunks(r.size)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def column_norms(self, X, backend: str = "numba", *, device=None):
        """||A_j||_2 of the block's columns by one fused pass (numpy backends, plain wedge
        columns), else None (the store computes them from evaluated chunks)."""
        if backend == "torch" or not self.fused:
            return None
        from ._relu_kernels import column_norms

        X = np.asarray(X, dtype=np.float64)
        return column_norms(X, self.weights, self.bias, lambda idx: self.take(idx).evaluate(X))


def on_torch(columns, arrays, out, device):
    """``columns(*tensors)`` on ``device`` for the numpy ``arrays`` (None stays None), copied
    into ``out`` when given: the torch branch of every d-D block's ``evaluate``."""
    import torch

    t = dict(dtype=torch.float64, device=device or "cpu")
    cols = columns(*(None if a is None else torch.as_tensor(np.asarray(a), **t) for a in arrays))
    if out is None:
        return cols
    out[...] = cols.cpu().numpy()
    return out


def _numpy_target(X, n_columns: int, out):
    """(X as float64, ``out`` or a fresh column-major (N, n_columns) array)."""
    X = np.asarray(X, dtype=np.float64)
    return X, (np.empty((X.shape[0], n_columns), order="F") if out is None else out)


def _numpy(a) -> np.ndarray:
    return a.cpu().numpy() if hasattr(a, "cpu") else np.asarray(a)


@dataclass(frozen=True)
class RankReduction:
    """001 Lemma 23 as a reported reduction: data of rank r < d (bias-free; affine rank, the
    rank of X - 1 x_1^T, with biases) have the compact SVD X = U S V^T (centred with biases),
    V (d, r) orthonormal ([ERRATUM] the paper writes R^{r x d}).  A first-layer weight w only
    acts through X w = X V V^T w, and ||V V^T w||_2 <= ||w||_2, so for p = 2 some optimal w
    lies in the row space, w = V w~: the p = 2 wedge library is built on the points X V in R^r
    and every neuron is mapped back, w = V w~ (b unchanged).  (With biases the component of w
    orthogonal to the centred rows only shifts the bias, so the same holds.)  The p = 1
    library needs no reduction: its e_k augmentation is exact for any data (Lemma 19), and
    the l1 norm is not rotation invariant (spec 001 Sec. 2.6).

    dim, rank : d and r; affine : whether r is the affine rank (biased networks);
    basis : V (d, r); singular_values : all singular values of X (centred with biases).
    """

    dim: int
    rank: int
    affine: bool
    basis: np.ndarray
    singular_values: np.ndarray

    def __str__(self) -> str:
        kind = "affine rank" if self.affine else "rank"
        return (f"rank reduction (001 Lemma 23): the points have {kind} {self.rank} < d = "
                f"{self.dim} (singular values {np.array2string(self.singular_values, precision=3)})"
                f", so the library is built on X V in R^{self.rank} (V: {self.dim} x {self.rank} "
                f"orthonormal, compact SVD) and every neuron is w = V w~, in the row space")


def _rank_reduction(family, X: np.ndarray) -> RankReduction | None:
    """The reduction of :class:`RankReduction` for X, or None when X has full (affine) rank."""
    centred = X - X[0] if family.affine else X
    _, S, Vt = np.linalg.svd(centred, full_matrices=False)
    tol = S.max(initial=0.0) * max(X.shape) * np.finfo(float).eps
    rank = int(np.sum(S > tol))
    if rank >= X.shape[1]:
        return None
    return RankReduction(X.shape[1], rank, family.affine, Vt[:rank].T.copy(), S)


@dataclass(frozen=True, eq=False)
class RowSpaceFamily:
    """The wedge family of a rank-reduced library (:class:`RankReduction`): ``inner`` is the
    family in r dimensions (anchors in the coordinates X V), and every neuron it builds is
    mapped back to R^d as w = V w~ (``unit``).  Everything else is the inner family's."""

    inner: object
    basis: np.ndarray

    def __getattr__(self, name):
        if name in ("inner", "basis"):
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def dim(self) -> int:
        return self.basis.shape[0]

    def unit(self, anchor_values, signs=(1,)):
        """[(V W~ (d, 1), b)] of the inner unit [(W~ (r, 1), b)] (||V W~||_2 = ||W~||_2 = 1)."""
        (W, b), = self.inner.unit(anchor_values, signs)
        return [(self.basis @ W, b)]

    def describe_column(self, info) -> str:
        (W, _), = self.unit(info.anchor_values, info.signs)
        text = self.inner.describe_column(info)
        head, _, rest = text.partition(" (||w||")
        return (f"{head.split(', w = ')[0]}, w = V w~ = {np.round(W[:, 0], 6).tolist()} (||w||"
                f"{rest}; anchors in the reduced coordinates X V (001 Lemma 23)")

    def __str__(self) -> str:
        return f"{self.inner} mapped to R^{self.dim} by w = V w~ (001 Lemma 23)"


def _all_subsets(m: int, k: int) -> np.ndarray:
    """Every k-subset of range(m), increasing rows, lexicographic order: (C(m, k), k)."""
    from math import comb

    if k == 0:
        return np.zeros((1, 0), dtype=np.int64)
    total = comb(m, k)
    flat = np.fromiter(chain.from_iterable(combinations(range(m), k)), dtype=np.int64,
                       count=total * k)
    return flat.reshape(total, k)


def _sample_subsets(m: int, k: int, count: int, first_below: int | None, rng) -> np.ndarray:
    """``count`` distinct uniformly random k-subsets of range(m) (increasing rows), drawn as
    k iid indices with repeats rejected (uniform over subsets), optionally only those whose
    smallest element is < ``first_below``; in order of first draw, so a seed fixes them."""
    found, seen = [], set()
    # iid draws have no repeat with probability prod_i (1 - i/m); when that is small (k near m,
    # e.g. d > n) draw each row as the k smallest of m uniforms instead (uniform, no rejection)
    iid = np.prod(1.0 - np.arange(k) / m) > 0.25
    while len(found) < count:
        rows = max(2 * (count - len(found)), 64)
        draw = np.sort(rng.integers(0, m, size=(rows, k)) if iid else
                       np.argpartition(rng.random((rows, m)), k - 1, axis=1)[:, :k], axis=1)
        ok = np.all(np.diff(draw, axis=1) > 0, axis=1)
        if first_below is not None:
            ok &= draw[:, 0] < first_below
        for row in map(tuple, draw[ok]):
            if row not in seen:
                seen.add(row)
                found.append(row)
                if len(found) == count:
                    break
    return np.array(found, dtype=np.int64).reshape(count, k)


def _anchor_sets(family, n: int, budget: int | None, rng) -> tuple[np.ndarray, bool]:
    """The anchor sets (rows of [X; I_d]) to enumerate, and whether they are a sample."""
    m, k = family.n_rows(n), family.n_anchors
    total = family.n_subsets(n)
    if budget is None or total <= budget:
        sets = _all_subsets(m, k)
        if family.affine:
            sets = sets[sets[:, 0] < n]
        return sets, False
    if budget >= total // 4:  # dense sample: enumerate and choose
        sets, _ = _anchor_sets(family, n, None, rng)
        return sets[np.sort(rng.choice(len(sets), size=budget, replace=False))], True
    return _sample_subsets(m, k, budget, n if family.affine else None, rng), True


def _check_rank(family, X: np.ndarray, rank_reduction: bool) -> RankReduction | None:
    """p = 2 uses no augmentation, so its hyperplanes need rank(X) = d (bias-free) or
    affinely independent points (biased); otherwise every anchor set is degenerate and the
    library is built in the row space (:class:`RankReduction`), or refused when
    ``rank_reduction`` is False or nothing is left (all points 0)."""
    if family.augmented or family.dim == 1:
        return None
    reduction = _rank_reduction(family, X)
    if reduction is None:
        return None
    n, d = X.shape
    kind = "affine rank" if family.affine else "rank"
    if reduction.rank == 0:
        raise GaconvexError(f"the {n} points are all 0: they define no hyperplane through the "
                            "origin; a bias-free network of them is 0. Use bias=True.")
    if not rank_reduction:
        raise GaconvexError(
            f"the p = 2 wedge library needs data of {kind} d = {d} (hyperplanes through "
            f"{'d' if family.affine else 'd - 1 and the origin'} data points); these {n} points "
            f"have {kind} {reduction.rank}, so every cross product vanishes. Pass "
            "rank_reduction=True (001 Lemma 23: the library on X V, V from the compact SVD "
            "X = U S V^T, neurons w = V w~), or use norm=1, whose augmentation with e_1..e_d is "
            "exact for any data (Lemma 19).")
    return reduction


def _underflow_hint(X: np.ndarray) -> str:
    """When cross products of d - 1 rows of X, of size about max|x|^(d-1), underflow float64
    (and so look degenerate): the fix."""
    scale, d = float(np.abs(X).max()), X.shape[1]
    if scale == 0 or (d - 1) * np.log10(scale) > -290:
        return ""
    return (f" The points are tiny (largest |entry| {scale:.3g}): cross products of {d - 1} of "
            f"them, about {scale:.3g}^{d - 1}, underflow float64 to 0; rescale X (e.g. "
            "standardize its columns) or use norm=1 (augmented with e_1..e_d).")


def _repeated_neurons(w: np.ndarray, b: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """Mask of neurons (w, b) equal to an earlier one up to orientation (both orientations are
    columns, so (w, b) and -(w, b) are one column pair), w rounded to rtol of the largest |w|
    entry and b to rtol of the largest |b| (b has the data's units: on data of scale 1e-18,
    parallel hyperplanes differ in b by ~1e-18 and must stay apart).

    Candidates are rows whose hash (a fixed random combination of the rounded entries) occurs
    more than once (equal rows hash equally); only those are compared exactly."""
    if len(w) < 2:
        return np.zeros(len(w), dtype=bool)
    key = np.column_stack([w, b])
    scale = np.array([float(np.abs(w).max()) or 1.0] * w.shape[1]
                     + [float(np.abs(b).max()) or 1.0])
    rounded = np.rint(key / (scale * rtol)).astype(np.int64)
    lead = rounded[np.arange(len(rounded)), np.argmax(rounded != 0, axis=1)]
    rounded *= np.where(lead < 0, -1, 1)[:, None]
    h = rounded.astype(np.float64) @ np.random.default_rng(0).uniform(0.5, 1.5, key.shape[1])
    order = np.argsort(h, kind="stable")
    tied = np.zeros(len(h), dtype=bool)
    same = h[order][1:] == h[order][:-1]
    tied[order[1:][same]] = tied[order[:-1][same]] = True
    candidates = np.flatnonzero(tied)
    repeated = np.zeros(len(w), dtype=bool)
    if candidates.size:
        rows = np.ascontiguousarray(rounded[candidates])
        rows = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
        _, first = np.unique(rows, return_index=True)
        repeated[candidates] = True
        repeated[candidates[first]] = False
    return repeated


def wedge_library(X, architecture, *, backend: str = "numba", deduplicate: bool = True,
                  max_columns: int | None = None,
                  memory_limit: float | None = DEFAULT_MEMORY_LIMIT, seed=None, device=None,
                  storage: str = "dense", rank_reduction: bool = True) -> Dictionary:
    """The wedge Lasso dictionary of a 2-layer ReLU ``architecture`` (wedge family) on X (n, d).

    Columns relu(s (<x_i, w_S> + b_S)) for every anchor set S of the family and s = +-1
    (001 Thm 4: S a (d-1)-subset of [X; I_d] for p = 1, of X for p = 2 (Thm 5 / 17); biased:
    S a hyperplane through d anchors, Thm 5 (p = 2) and the general-d Thm 16 (p = 1)), with
    w_S = cross(V_S) / ||cross(V_S)||_p.  The Lasso over it (with a free intercept exactly
    when the network has biases) is the training problem for p = 1 and an upper bound for
    p = 2 (001 Thm 5).  Degenerate sets and repeated neurons are reported, never columns.

    ``max_columns``: above it, a uniform seeded (``seed``) sample of max_columns // 2 anchor
    sets; ``memory_limit`` (bytes) refuses a dense matrix or per-column metadata larger than
    it; ``storage``: "dense" (BLAS; ``backend="torch"`` keeps it as a tensor on ``device``) or
    "kernels" (matrix-free, chunked BLAS products); ``deduplicate`` (dense only) removes zero
    and identical columns, reported in ``dictionary.report.columns``.  ``rank_reduction``
    (p = 2): on data of rank r < d (affine rank with biases) build the library in the row
    space and map the neurons back (001 Lemma 23, :class:`RankReduction`, reported in
    ``dictionary.report.reduction``); False refuses such data.
    """
    from gaconvex.data import as_points
    from gaconvex.symbolic import Architecture, derive, is_wedge

    if not isinstance(architecture, Architecture) or not is_wedge(architecture):
        raise GaconvexError(f"wedge_library builds the wedge family's dictionaries; got "
                            f"{architecture!r}. Build it with gaconvex.symbolic.architecture("
                            "'relu', 2, dim=d).")
    if storage not in WEDGE_STORAGES:
        raise GaconvexError(f"storage must be one of {WEDGE_STORAGES} for a wedge library (the "
                            f"structured store is 1-D only), got {storage!r}.")
    if max_columns is not None and (isinstance(max_columns, bool) or int(max_columns) < 2):
        raise GaconvexError(f"max_columns must be an integer >= 2 (two orientations per anchor "
                            f"set), got {max_columns!r}.")
    X = as_points(X, "X", dim=architecture.dim)
    n, d = X.shape
    (family,) = derive(architecture).families
    if n < 1:
        raise GaconvexError("the wedge library needs at least one data point.")
    reduction = _check_rank(family, X, rank_reduction)
    if reduction is not None:
        return _reduced_library(X, architecture, reduction, backend=backend,
                                deduplicate=deduplicate, max_columns=max_columns,
                                memory_limit=memory_limit, seed=seed, device=device,
                                storage=storage)
    total = family.n_subsets(n)
    if total == 0:
        raise GaconvexError(f"no anchor sets: {family.n_anchors} anchors are needed from "
                            f"{family.n_rows(n)} rows (n = {n}, d = {d}); use more points or "
                            "norm=1 (augmentation with e_1..e_d).")
    budget = None if max_columns is None else int(max_columns) // 2
    sets_kept = total if budget is None else min(total, budget)
    what = f"the {architecture} library on {n} points ({2 * total:,} raw columns)"
    if storage == "dense":
        check_memory(n, 2 * sets_kept, memory_limit, what)
    k = family.n_anchors
    need = 2 * sets_kept * 8 * (d + 1 + k * d + k + 1)
    if memory_limit is not None and need > memory_limit:
        raise GaconvexError(
            f"{what}: its per-column metadata (neuron, anchors) needs {need / 2**30:.3g} GiB, "
            f"above the memory limit of {memory_limit / 2**30:.3g} GiB. Sample the anchor sets "
            "(max_columns=...), use fewer points, or raise memory_limit.")
    rng = np.random.default_rng(seed)
    sets, sampled = _anchor_sets(family, n, budget, rng)
    if sampled:  # sample over the points in lexicographic order: independent of the row order
        canon = np.lexsort(X.T[::-1])
        sets = np.sort(np.where(sets < n, canon[np.minimum(sets, n - 1)], sets), axis=1)
    anchors = family.anchor_vectors(X, sets)
    w, b, volume = family.neurons(anchors)
    degenerate = volume == 0
    repeated = _repeated_neurons(w, b) & ~degenerate
    keep = ~degenerate & ~repeated
    index = family.public_index(sets, n)
    if not keep.any():
        raise GaconvexError(f"all {len(sets)} anchor sets of {what} are degenerate (zero cross "
                            "product: repeated or dependent points); no hyperplane is defined."
                            + _underflow_hint(X))
    w, b = w[keep], b[keep]
    signs = np.tile(np.array([[1], [-1]], dtype=np.int8), (len(w), 1))
    block = WedgeBlock(family, np.repeat(index[keep], 2, axis=0),
                       np.repeat(anchors[keep].reshape(len(w), k * d), 2, axis=0), signs,
                       np.repeat(w, 2, axis=0) * signs, np.repeat(b, 2) * signs[:, 0], sampled)
    report = WedgeReport(total, len(sets), int(degenerate.sum()), index[degenerate][:_REPORTED],
                         int(repeated.sum()), sampled, notes=repeated_rows_notes(X))
    return enumerated_dictionary(architecture, X, block, report, storage=storage, backend=backend,
                                 device=device, deduplicate=deduplicate)


def _reduced_library(X, architecture, reduction: RankReduction, **options) -> Dictionary:
    """The library of X (n, d) under ``reduction``: built on X V in R^r by
    :func:`wedge_library`, its neurons mapped back to w = V w~ (columns unchanged: X V w~ =
    X w), the reduction added to the report."""
    from dataclasses import replace

    V = reduction.basis
    inner = wedge_library(X @ V, replace(architecture, dim=reduction.rank), **options)
    blocks = tuple(WedgeBlock(RowSpaceFamily(b.family, V), b.anchor_index, b.anchor_values,
                              b.signs, b.weights @ V.T, b.bias, b.sampled) for b in inner.blocks)
    store = inner.store
    if isinstance(store, KernelColumns):  # the matrix-free products evaluate the mapped neurons
        store = KernelColumns(X, list(blocks), store.backend, store.device)
    return Dictionary(architecture, X, blocks, store, inner.unpenalized,
                      replace(inner.report, reduction=reduction))


def chamber_diameter(X, *, method: str = "auto") -> float:
    """The maximum chamber diameter D(X) of 001 Def. 3 (eq. (16)):
    max ||w - v||_2 over unit w, v with sign(X w) = sign(X v).

    ``method="closed_form"`` (d = 2, spec 001 Sec. 2.4): D = 2 sin(g / 2), g the largest cyclic
    gap of the angles of the x_i mod pi.  ``"vertices"`` (any d, full rank): the candidate
    extreme rays +-cross(X_S) / ||cross(X_S)||_2 over (d-1)-subsets S, two rays in a common
    closed chamber when no x_i separates them ((x_i . r_a)(x_i . r_b) < 0 for none), D the largest
    distance of such a pair; exact whenever that is <= sqrt 2 (the chamber sections are then
    within a hemisphere, where the distance is maximized at vertices).  ``"auto"``: the closed
    form for d = 2, else the vertices.  Zero rows are ignored (they cut nothing).
    """
    from gaconvex.algebra import generalized_cross
    from gaconvex.data import as_points

    X = as_points(X, "X")
    X = X[np.abs(X).max(axis=1) > 0]
    n, d = X.shape
    if method == "auto":
        method = "closed_form" if d == 2 else "vertices"
    if method not in ("closed_form", "vertices"):
        raise GaconvexError(f"method must be 'auto', 'closed_form' or 'vertices', got {method!r}.")
    if n == 0 or np.linalg.matrix_rank(X) < d:
        return 2.0  # a chamber contains a great circle through +-w: antipodal points
    if method == "closed_form":
        if d != 2:
            raise GaconvexError(f"the closed form of D(X) is for d = 2; got d = {d}. Use "
                                "method='vertices'.")
        theta = np.sort(np.mod(np.arctan2(X[:, 1], X[:, 0]), np.pi))
        gaps = np.diff(np.concatenate([theta, [theta[0] + np.pi]]))
        return float(2 * np.sin(gaps.max() / 2))
    cross = generalized_cross(X[_all_subsets(n, d - 1)])
    norms = np.linalg.norm(cross, axis=1)
    rays = cross[norms > 0] / norms[norms > 0, None]
    rays = np.vstack([rays, -rays])
    side = rays @ X.T
    tol = 1e-12 * np.abs(X).max()
    pos, neg = (side > tol).astype(float), (side < -tol).astype(float)
    separated = (pos @ neg.T + neg @ pos.T) > 0
    gram = np.clip(rays @ rays.T, -1.0, 1.0)
    distance = np.sqrt(np.maximum(2 - 2 * gram, 0.0))
    return float(np.where(separated, 0.0, distance).max())


def local_chamber_diameter(X, *, method: str = "auto") -> float:
    """max_j D(X - 1 x_j^T) (001 Def. 2 / 3, "locally eps-dispersed"): the epsilon of the
    biased p = 2 bounds of Thm 5 (the row x_j - x_j = 0 cuts nothing)."""
    from gaconvex.data import as_points

    X = as_points(X, "X")
    return max(chamber_diameter(X - X[j], method=method) for j in range(len(X)))
