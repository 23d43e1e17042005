"""Reflection-plane dictionaries of deep narrow abs networks on R^d ("Black Boxes and Looking
Glasses", 000 Thm 4.1, Remark E.1; seed-000-spec Sec. 3.2-3.3, ``build_dict_L3``).

:func:`reflection_plane_library` enumerates the units of the architecture's feature family
(:class:`gaconvex.symbolic.ReflectionPlaneFamily`), evaluates all their first-layer weights in
one batched pass of :func:`gaconvex.algebra.generalized_cross` and stores the columns

    L = 3:  A[i, j] = | |(x_i - x'_j) W_j| - |(x_j0 - x'_j) W_j| |,
    L = 2:  A[i, j] = |(x_i - x'_j) W_j|,          W_j = cross(Delta_j) / ||cross(Delta_j)||_1.

L = 3 (Thm 4.1 with the safe superset of its proof, eq. (28)): for every j_-1, j_0 in [N] and
x' in {x_j-1, (x_j-1 + x_j0)/2} (the midpoint once per unordered pair: the feature is symmetric
in j_-1, j_0 then; it equals x_j0 when j_-1 = j_0), with R = 2x' - x_j0, the directions
Delta_1..Delta_{d-1} are every (d-1)-subset of the candidates

    X^(3) = {x_n - x'}_n u {x_n - x_j0}_n u {x_n - R}_n u {e_1, ..., e_d}

(the theorem statement omits the x_j0 candidates; adding valid units never changes the optimum,
claim C10, seed-000-spec Sec. 3.1).  L = 2 (Remark E.1, eq. (43)): x' = x_n and Delta from
{x_n' - x_n} u {e_l}.  The 2-layer features are the L = 3 columns with j_-1 = j_0.

L >= 4 (Thm 4.4, the *data feature sub-library*, seed-000-spec Sec. 3.5 "recommended
implementation"): x' in {x_n1, (x_n1 + x_n2)/2} as for L = 3, inner data biases at
x_n2, ..., x_n(L-1) (every tuple in [N]^(L-2)), and directions from the candidates

    {x_n - x'}_n u {x_n - x_nk}_n,k u {x_n - (2x' - x_nk)}_n,k u {e_1, ..., e_d},  k = 2..L-1,

the 3-layer set of (x', x_n2) extended as the spec's heuristic says.  **This library may be
incomplete**: the paper gives no complete dictionary for L >= 4, so the Lasso over it is an
upper bound on the training optimum (valid units), the report carries
:data:`SUBLIBRARY_NOTE` and the fit certificate says "sub-library".  A chain with n_l = n_(l-1)
is the depth-(l-1) feature, so the depth-L library contains every lower depth's; at d = 1 it
is exactly the deep narrow abs library of the *Library of Mirrors* (tested).

``first_biases=(..., "ties")`` (L >= 4, not in the spec) adds first-layer points found where
the sub-library fails the completeness diagnostic: midpoints (x_n1 + x_m)/2 whose partner m is
not the layer-2 anchor, and x_n2 + (x_n1 - x_m)/2, (2x_n2 + x_n1 + x_m)/4, where a tie
h_2(x_n1) = h_2(x_m) at layer 3 (with b^(2) = -h_1(x_n2)) puts the first-layer bias.  Still a
sub-library (inner-layer averages and double ties are not included).

Nothing disappears silently (:class:`ReflectionPlaneReport`): subsets with dependent
directions (w = 0) are counted and listed, a direction repeated within one (j_-1, j_0, x') (the
same column) is counted, zero and identical columns are removed by
:func:`~gaconvex.dictionaries.deduplicate_columns` with their own report.  Above ``max_columns``
the (x', subset) pairs are a uniform seeded sample and ``Dictionary.sampled`` is True (the fit
certificate then speaks about the sampled library only).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import comb

import numpy as np

from gaconvex._validation import GaconvexError, check_memory, repeated_rows_notes

from .library import DeduplicationReport, Dictionary, enumerated_dictionary
from .one_d import DEFAULT_MEMORY_LIMIT
from .reports import EnumerationReport
from .wedge import WEDGE_STORAGES, WedgeBlock, _all_subsets, _numpy_target, on_torch

__all__ = ["ReflectionPlaneBlock", "ReflectionPlaneReport", "reflection_plane_library",
           "FIRST_BIASES", "TIES", "SUBLIBRARY_NOTE", "candidate_codes", "raw_size"]

#: The two first-layer bias points x' of Thm 4.1: the data point x_j-1 and the midpoint.
FIRST_BIASES = ("data", "midpoint")
#: The optional first-layer points of ``first_biases`` for L >= 4 (not in the spec's
#: sub-library): midpoints whose partner is not the layer-2 anchor, and the points where a
#: tie h_2(x_a) = h_2(x_m) at layer 3 puts the first-layer bias (module doc).
TIES = "ties"
#: The report's note for L >= 4 (000 Thm 4.4 proves a finite dictionary exists, gives none).
SUBLIBRARY_NOTE = ("sub-library: for L >= 4 the paper gives no complete dictionary (000 Thm "
                   "4.4); these data-feature columns with heuristic directions may be "
                   "incomplete, so the Lasso is an upper bound on the training problem")
_REPORTED = 20  # degenerate subsets listed in the report


@dataclass(frozen=True)
class ReflectionPlaneBlock(WedgeBlock):
    """Columns of a reflection-plane family: one rescaled unit chain per column.

    Inherits the anchor metadata and the chunked products of :class:`WedgeBlock`; ``weights``
    (P, d) are W (||W||_1 = 1, canonical sign), ``bias`` (P,) b^(1) = -x' W and ``inner_bias``
    (P, L - 2) the data feature biases b^(2), ..., b^(L-1) (b^(2) = -|(x_j0 - x') W|; None for
    L = 2); ``signs`` is empty (P, 0): abs units need no inner signs.  :meth:`breakplanes`
    gives each column's planes.
    """

    inner_bias: np.ndarray | None = None

    def take(self, keep) -> "ReflectionPlaneBlock":
        keep = np.asarray(keep, dtype=np.intp)
        inner = None if self.inner_bias is None else self.inner_bias[keep]
        return ReflectionPlaneBlock(self.family, self.anchor_index[keep], self.anchor_values[keep],
                                    self.signs[keep], self.weights[keep], self.bias[keep],
                                    self.sampled, inner)

    def evaluate(self, X, backend: str = "numba", *, out=None, device=None):
        """The block's columns on points X (N, d): (N, P); a torch tensor for backend "torch"."""
        if backend == "torch":
            return on_torch(self.family.evaluate, (X, self.weights, self.bias, self.inner_bias),
                            out, device)
        X, out = _numpy_target(X, len(self), out)
        return self.family.evaluate(X, self.weights, self.bias, self.inner_bias, out=out)

    fused = False  # nested units: chunked products through evaluate

    def breakplanes(self, j: int, reading: str = "chain"):
        """The :class:`gaconvex.symbolic.ReflectionPlane` list of column j of the block, each
        with its reflection order under ``reading`` ("chain" or "tree", 000 App. F)."""
        return self.family.breakplanes(self.anchor_values[j], self.anchor_index[j], reading)

    def max_order(self, j: int, reading: str = "chain") -> int | None:
        """Largest minimal reflection order of column j's breakplanes (000 Thm 4.5: 0 for
        L = 2, 1 for L = 3, <= 2(L - 3) for data x' at L >= 4); None if one has no order."""
        orders = [p.order for p in self.breakplanes(j, reading)]
        return None if None in orders else max(orders)


@dataclass(frozen=True)
class ReflectionPlaneReport(EnumerationReport):
    """What :func:`reflection_plane_library` enumerated, skipped and removed.

    n_raw : (x', direction subset) pairs of the full library, <= the Lemma 4.2 count
        ``family.size(N)``; n_points : the (j_-1, j_0, x') choices; n_enumerated : pairs
        enumerated (a uniform sample when ``sampled``); degenerate : pairs whose directions are
        dependent (w = 0), ``degenerate_sets`` the first as ``anchor_index`` rows; repeated :
        pairs whose direction +-W repeats an earlier one of the same x' (the same column);
        columns : the :class:`DeduplicationReport` of zero / identical columns, or None;
        notes : e.g. :data:`SUBLIBRARY_NOTE` for L >= 4 (``sublibrary``).
    """

    n_raw: int
    n_points: int
    n_enumerated: int
    degenerate: int
    degenerate_sets: np.ndarray
    repeated: int
    sampled: bool = False
    columns: DeduplicationReport | None = None
    notes: tuple = field(default_factory=tuple)

    @property
    def sublibrary(self) -> bool:
        """Whether the library is the (possibly incomplete) L >= 4 sub-library."""
        return SUBLIBRARY_NOTE in self.notes

    def __str__(self) -> str:
        text = (f"{self.n_enumerated} of {self.n_raw} (x', directions) pairs"
                f"{' (uniform sample)' if self.sampled else ''} over {self.n_points} first-layer "
                f"bias choices: {self.degenerate} degenerate (w = 0), {self.repeated} repeated "
                "directions")
        return text + self.removals()


def _stride(depth: int) -> int:
    """Direction codes per data point: 3 up to L = 3 (x', x_j0, R), 2L - 3 beyond."""
    return max(3, 2 * depth - 3)


def candidate_codes(n: int, d: int, depth: int, j0_directions: bool = True) -> np.ndarray:
    """Direction codes of X^(3) (module doc): 3m + t for x_m minus x' (t = 0), x_j0 (t = 1),
    R (t = 2), and -l for e_l; L = 2 uses t = 0 and the e_l; L >= 4 (the heuristic of
    seed-000-spec Sec. 3.5) (2L - 3) m + t for x_m minus x' (t = 0), x_{n_k} (t = 2k - 3) and
    2x' - x_{n_k} (t = 2k - 2), k = 2..L-1.  ``j0_directions=False`` drops the data-point
    types t odd (x_j0, x_{n_k}: the theorem statement's set for L = 3)."""
    if depth == 2:
        kinds = np.array([0])
    else:
        kinds = np.arange(2 * depth - 3)
        kinds = kinds if j0_directions else kinds[kinds % 2 == 0]
    data = (_stride(depth) * np.arange(n)[:, None] + kinds).ravel()
    return np.concatenate([data, -np.arange(1, d + 1)])


def _first_layer_choices(n: int, depth: int, first_biases) -> np.ndarray:
    """Rows (n_1, n_2, kind, m) of the first-layer bias choices (T0, 4), x' from
    :data:`gaconvex.symbolic.reflection_planes.FIRST_LAYER_POINTS`: x' = x_n1 (kind 0) for every (n_1, n_2); the midpoint
    (x_n1 + x_m)/2 with partner m = n_2 (kind 1) once per pair n_1 < n_2 (the feature is
    symmetric in them); L = 2: (n, n, 0, n).  With "ties" (L >= 4): the midpoints with
    m != n_2, the points x_n2 + (x_n1 - x_m)/2 (kind 2, n_1 != m) and (2x_n2 + x_n1 + x_m)/4
    (kind 3, n_1 < m).  Deeper anchors n_3..n_{L-1} range over [N] independently."""
    i = np.arange(n)
    if depth == 2:
        return np.column_stack([i, i, np.zeros(n, dtype=np.int64), i])
    jm, j0 = (a.ravel() for a in np.meshgrid(i, i, indexing="ij"))
    parts = []
    if "data" in first_biases:
        parts.append(np.column_stack([jm, j0, np.full(jm.size, 0), jm]))
    if "midpoint" in first_biases:
        pair = jm < j0
        parts.append(np.column_stack([jm[pair], j0[pair], np.full(pair.sum(), 1), j0[pair]]))
    if TIES in first_biases:
        a, m, n2 = (v.ravel() for v in np.meshgrid(i, i, i, indexing="ij"))
        for kind, keep in ((1, (a < m) & (n2 != a) & (n2 != m)), (2, a != m), (3, a < m)):
            parts.append(np.column_stack([a[keep], n2[keep], np.full(keep.sum(), kind),
                                          m[keep]]))
    return np.vstack(parts).astype(np.int64)


def _anchor_points(X, depth: int, choices: np.ndarray, t: np.ndarray):
    """For the flat first-layer indices t (P,) into choices x [N]^(L-3): the index rows
    (P, L + 1) (n_1, n_2, kind, m, n_3, ..., n_{L-1}) for L >= 4, (n_1, n_2, kind) for
    L = 3, (n,) for L = 2; the chain's points (x', x_{n_2}, ..., x_{n_{L-1}}) (P, L - 1, d)
    and the candidate base points (x', x_{n_2}, 2x' - x_{n_2}, x_{n_3}, 2x' - x_{n_3}, ...)
    (P, 2L - 3, d)."""
    n = len(X)
    if depth == 2:
        index = choices[t, :1]
        return index, X[index], X[index]
    deep = max(depth - 3, 0)
    first, rest = np.divmod(t, n ** deep)
    inner = np.column_stack(np.unravel_index(rest, (n,) * deep)) if deep else \
        np.zeros((len(t), 0), dtype=np.int64)
    rows = choices[first]
    from fractions import Fraction

    from gaconvex.symbolic.reflection_planes import FIRST_LAYER_POINTS

    table = np.array([[float(Fraction(w)) for w in FIRST_LAYER_POINTS[kind]]
                      for kind in sorted(FIRST_LAYER_POINTS)])
    weights = table[rows[:, 2]]
    xp = np.einsum("pk,pkd->pd", weights, X[rows[:, [0, 3, 1]]])
    index = np.column_stack([rows if depth >= 4 else rows[:, :3], inner]).astype(np.int64)
    chain = np.concatenate([xp[:, None], X[rows[:, 1]][:, None], X[inner]], axis=1)
    base = np.empty((len(t), 2 * depth - 3, X.shape[1]))
    base[:, 0] = xp
    base[:, 1::2] = chain[:, 1:]
    base[:, 2::2] = 2 * xp[:, None] - chain[:, 1:]
    return index, chain, base


def _directions(X, base, codes, stride: int) -> np.ndarray:
    """Delta vectors (P, d-1, d) of the chosen candidate codes (P, d-1) with the base points
    (P, B, d) of each column."""
    n, d = X.shape
    data = codes >= 0
    safe = np.where(data, codes, 0)
    rows = np.arange(len(codes))[:, None]
    V = X[safe // stride] - base[rows, safe % stride]
    basis = np.eye(d)[np.where(data, 0, -codes - 1)]
    return np.where(data[..., None], V, basis)


def _repeated_directions(t: np.ndarray, W: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Mask of pairs whose (canonical, unit l1) W equals that of an earlier pair with the same
    first-layer points t (rounded to rtol): the same unit, so the same column."""
    key = np.column_stack([t, np.rint(W / rtol).astype(np.int64)])
    key = np.ascontiguousarray(key)
    rows = key.view(np.dtype((np.void, key.dtype.itemsize * key.shape[1]))).ravel()
    _, first = np.unique(rows, return_index=True)
    repeated = np.ones(len(t), dtype=bool)
    repeated[first] = False
    return repeated


def reflection_plane_library(X, architecture, *, backend: str = "numba", deduplicate: bool = True,
                             max_columns: int | None = None,
                             memory_limit: float | None = DEFAULT_MEMORY_LIMIT, seed=None,
                             device=None, storage: str = "dense", first_biases=FIRST_BIASES,
                             j0_directions: bool = True) -> Dictionary:
    """The Lasso dictionary of a deep narrow abs ``architecture`` (any depth L >= 2) on X (n, d).

    Columns as in the module doc (000 Thm 4.1 for L = 3, Remark E.1 for L = 2, the data feature
    sub-library of Thm 4.4 for L >= 4): the Lasso min 1/2 ||A z + xi 1 - y||^2 + beta ||z||_1
    equals the training problem (2) of 000 with penalty (beta / L) sum_i (|alpha_i|^L +
    ||W^(i,1)||_1^L + sum_l |w^(i,l)|^L), for widths m >= ||z*||_0, when L <= 3; for L >= 4 it
    is an upper bound (a sub-library, ``report.sublibrary``; the paper gives no complete one).

    ``max_columns``: above it, a uniform seeded (``seed``) sample of max_columns (x',
    directions) pairs (``Dictionary.sampled``); ``memory_limit`` (bytes) refuses a dense matrix
    or metadata larger than it; ``storage`` "dense" (BLAS; ``backend="torch"`` keeps a tensor on
    ``device``) or "kernels" (matrix-free chunked products); ``deduplicate`` (dense only)
    removes zero and identical columns (reported).  Ablations (claim C10): ``first_biases`` a
    subset of ("data", "midpoint") (L >= 3), ``j0_directions=False`` drops the x_n - x_j0
    (x_n - x_{n_k}) candidates (the theorem statement's set); ``first_biases`` may add
    :data:`TIES` for L >= 4 (module doc).
    """
    from gaconvex.data import as_points
    from gaconvex.symbolic import Architecture, derive, is_reflection_planes

    if not isinstance(architecture, Architecture) or not is_reflection_planes(architecture):
        raise GaconvexError(f"reflection_plane_library builds the d-D deep narrow abs "
                            f"dictionaries; got {architecture!r}. Build the architecture with "
                            "gaconvex.symbolic.architecture('abs', 3, dim=d).")
    if storage not in WEDGE_STORAGES:
        raise GaconvexError(f"storage must be one of {WEDGE_STORAGES} for a reflection-plane "
                            f"library (the structured store is 1-D only), got {storage!r}.")
    if max_columns is not None and (isinstance(max_columns, bool) or int(max_columns) < 1):
        raise GaconvexError(f"max_columns must be a positive integer, got {max_columns!r}.")
    first_biases = tuple(first_biases)
    if not first_biases or any(b not in FIRST_BIASES + (TIES,) for b in first_biases):
        raise GaconvexError(f"first_biases must be a non-empty subset of {FIRST_BIASES} (the "
                            f"first-layer bias points x' of 000 Thm 4.1), plus {TIES!r} for "
                            f"depth >= 4, got {first_biases!r}.")
    if TIES in first_biases and architecture.depth < 4:
        raise GaconvexError(f"first_biases={TIES!r} extends the L >= 4 sub-library; the depth "
                            f"{architecture.depth} library is complete without it (000 Thm 4.1, "
                            "Remark E.1). Drop it.")
    X = as_points(X, "X", dim=architecture.dim)
    n, d = X.shape
    L = architecture.depth
    if n < 1:
        raise GaconvexError("the reflection-plane library needs at least one data point.")
    (family,) = derive(architecture).families
    choices = _first_layer_choices(n, L, first_biases)
    codes = candidate_codes(n, d, L, j0_directions)
    subsets = _all_subsets(len(codes), d - 1)
    T, S = len(choices) * n ** max(L - 3, 0), len(subsets)
    total = T * S
    budget = total if max_columns is None else min(total, int(max_columns))
    what = f"the {architecture} library on {n} points ({total:,} raw columns)"
    if storage == "dense":
        check_memory(n, budget, memory_limit, what)
    k = family.n_anchors
    need = budget * 8 * (2 * k * d + (2 * L - 3 + 2) * d + 2 * L + 6)
    if memory_limit is not None and need > memory_limit:
        raise GaconvexError(
            f"{what}: building its units needs {need / 2**30:.3g} GiB, above the memory limit of "
            f"{memory_limit / 2**30:.3g} GiB. Sample them (max_columns=...), use fewer points, or "
            "raise memory_limit.")
    sampled = budget < total
    rng = np.random.default_rng(seed)
    flat = (np.sort(rng.choice(total, size=budget, replace=False)) if sampled
            else np.arange(total))
    t, s = np.divmod(flat, S)
    chosen = codes[subsets[s]]
    index, chain, base = _anchor_points(X, L, choices, t)
    V = _directions(X, base, chosen, _stride(L))
    anchors = np.concatenate([chain, V], axis=1)
    W, b1, inner, volume = family.neurons(anchors)
    degenerate = volume == 0
    repeated = _repeated_directions(t, W) & ~degenerate
    keep = ~degenerate & ~repeated
    index = np.column_stack([index, chosen])
    if not keep.any():
        raise GaconvexError(f"every direction subset of {what} is degenerate (w = 0): the data "
                            "span no direction; use distinct points.")
    block = ReflectionPlaneBlock(
        family, index[keep], anchors[keep].reshape(int(keep.sum()), k * d),
        np.zeros((int(keep.sum()), 0), dtype=np.int8), W[keep], b1[keep], sampled,
        None if inner is None else inner[keep])
    notes = (() if family.complete else (SUBLIBRARY_NOTE,)) + repeated_rows_notes(X)
    report = ReflectionPlaneReport(total, T, budget, int(degenerate.sum()),
                                   index[degenerate][:_REPORTED], int(repeated.sum()), sampled,
                                   notes=notes)
    return enumerated_dictionary(architecture, X, block, report, storage=storage, backend=backend,
                                 device=device, deduplicate=deduplicate)


def raw_size(n: int, d: int, depth: int, first_biases=FIRST_BIASES,
             j0_directions: bool = True) -> int:
    """Pairs (x', direction subset) the builder enumerates on n generic points (before
    removing anything): T C(|candidates|, d - 1) with T = (N^2 + N(N-1)/2) N^(L-3) first-layer
    and inner anchor choices (N for L = 2) and |X^(3)| = 3N + d candidates (2N + d without
    x_j0, N + d for L = 2; (2L - 3) N + d, or (L - 2) N + d without the x_{n_k}, for L >= 4)."""
    T = len(_first_layer_choices(n, depth, first_biases)) * n ** max(depth - 3, 0)
    return T * comb(len(candidate_codes(n, d, depth, j0_directions)), d - 1)
