"""Three-layer wedge dictionaries ("From Complexity to Clarity", 001 Thm 12 row J; Thm 13 row K).

:func:`three_layer_wedge_library` enumerates, for every second-layer anchor x_j0 (and, for
row K, every first-layer anchor x_l), the (d - 1)-subsets V of the family's direction set
(:class:`gaconvex.symbolic.ThreeLayerWedgeFamily`), evaluates all first-layer neurons in one
batched pass of the 2-layer family's formula (:meth:`WedgeFeatureFamily.neurons`, i.e.
:func:`gaconvex.algebra.generalized_cross`), and stores the columns

    A[i, (j0, [l,] V, s, t)] = relu(t (g(x_i) - g(x_j0))),  g(x) = relu(s (<x, w_V> + b)),

4 per anchor set (s, t = +-1; rows = the n data points).  Direction sets (module doc of the
family): row J, ``vectors="differences"`` (the proof of Thm 12, Sec. 9.13.2):
{x_i} u {x_i - x_j0}_{i != j0} u {e_k} per j0; ``vectors="all_pairs"`` (the statement):
{x_i} u {x_i - x_j}_{i < j} u {e_k} for every j0.  Row K (experimental, Thm 13 relabelled):
{x_i - x_l}_{i != l} u {x_i - x_j0}_{i != j0} u {e_k} per (l, j0), b1 = -<x_l, w>.

Nothing disappears silently (:class:`ThreeLayerWedgeReport`): anchor sets with dependent
directions (zero cross product) are counted and listed, a neuron +-w repeated for the same
anchors (x_j0, [x_l]) is counted, zero and identical columns are removed by
:func:`~gaconvex.dictionaries.deduplicate_columns` with their own report.  Above
``max_columns`` the anchor sets are a uniform seeded sample and ``Dictionary.sampled`` is True.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaconvex._validation import GaconvexError, check_memory, repeated_rows_notes

from .library import DeduplicationReport, enumerated_dictionary
from .one_d import DEFAULT_MEMORY_LIMIT
from .reports import EnumerationReport
from .reflection_planes import _repeated_directions
from .wedge import WEDGE_STORAGES, WedgeBlock, _all_subsets, _numpy_target, on_torch

__all__ = ["ThreeLayerWedgeBlock", "ThreeLayerWedgeReport", "three_layer_wedge_library",
           "VECTOR_SETS"]

#: Direction sets of row J: the proof's j0-differences and the statement's all pairs.
VECTOR_SETS = ("differences", "all_pairs")
_REPORTED = 20
_EXPERIMENTAL = ("row K is experimental: every column is a network, so its value bounds the "
                 "biased training optimum from above; exactness is not proven (the proof of "
                 "001 Thm 13 is truncated)")


@dataclass(frozen=True)
class ThreeLayerWedgeBlock(WedgeBlock):
    """Columns of a three-layer wedge family: one rescaled unit per column.

    Inherits the anchor metadata and the chunked products of :class:`WedgeBlock`; ``weights``
    (P, d) and ``bias`` (P,) are the oriented first layer s (w, b) (||w||_1 = 1), ``outer``
    (P,) the second-layer weight t and ``inner_bias`` (P,) its bias -t g(x_j0).
    """

    outer: np.ndarray | None = None
    inner_bias: np.ndarray | None = None

    def take(self, keep) -> "ThreeLayerWedgeBlock":
        keep = np.asarray(keep, dtype=np.intp)
        return ThreeLayerWedgeBlock(self.family, self.anchor_index[keep],
                                    self.anchor_values[keep], self.signs[keep],
                                    self.weights[keep], self.bias[keep], self.sampled,
                                    self.outer[keep], self.inner_bias[keep])

    def evaluate(self, X, backend: str = "numba", *, out=None, device=None):
        """The block's columns on points X (N, d): (N, P); a torch tensor for backend "torch"."""
        arrays = (X, self.weights, self.bias, self.outer, self.inner_bias)
        if backend == "torch":
            return on_torch(self.family.evaluate, arrays, out, device)
        X, out = _numpy_target(X, len(self), out)
        return self.family.evaluate(X, *arrays[1:], out=out)

    fused = False  # nested units: chunked products through evaluate


@dataclass(frozen=True)
class ThreeLayerWedgeReport(EnumerationReport):
    """What :func:`three_layer_wedge_library` enumerated, skipped and removed.

    vectors : the direction set ("differences", "all_pairs"; row K: "differences");
    n_sets : anchor sets (j0, [l,] V) of the full library (4 columns each); n_enumerated :
    those enumerated (a uniform sample when ``sampled``); degenerate : sets with dependent
    directions (zero cross product), ``degenerate_sets`` the first as ``anchor_index`` rows;
    repeated : sets whose neuron +-w repeats an earlier one with the same anchors; columns :
    the :class:`DeduplicationReport` of zero / identical columns, or None.
    """

    vectors: str
    n_sets: int
    n_enumerated: int
    degenerate: int
    degenerate_sets: np.ndarray
    repeated: int
    sampled: bool = False
    columns: DeduplicationReport | None = None
    notes: tuple = field(default_factory=tuple)

    def __str__(self) -> str:
        text = (f"{self.n_enumerated} of {self.n_sets} anchor sets ({self.vectors} directions"
                f"{', uniform sample' if self.sampled else ''}): {self.degenerate} degenerate "
                f"(zero cross product), {self.repeated} repeated neurons")
        return text + self.removals()


def _candidates(n: int, d: int, points: tuple, vectors: str) -> np.ndarray:
    """Direction pairs (m, 2) (i, j) of one anchor tuple: x_i - x_j, (i, -1) x_i, (-k, -1) e_k
    (module doc).  ``points`` = (j0,) for row J, (j0, l) for row K."""
    i = np.arange(n)
    basis = np.column_stack([-np.arange(1, d + 1), np.full(d, -1)])
    parts = []
    if len(points) == 1 and vectors == "all_pairs":
        a, b = np.triu_indices(n, 1)
        parts = [np.column_stack([i, np.full(n, -1)]), np.column_stack([a, b])]
    elif len(points) == 1:
        (j0,) = points
        parts = [np.column_stack([i, np.full(n, -1)]), np.column_stack([i[i != j0],
                                                                       np.full(n - 1, j0)])]
    else:
        for anchor in dict.fromkeys(points[::-1]):  # x_i - x_l, then x_i - x_j0 (once if l = j0)
            parts.append(np.column_stack([i[i != anchor], np.full(n - 1, anchor)]))
    return np.vstack(parts + [basis]).astype(np.int64)


def _direction_vectors(X: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Vectors (..., d) of direction pairs (..., 2): [X; I_d][i] - (x_j or 0)."""
    n, d = X.shape
    rows = np.vstack([X, np.eye(d), np.zeros((1, d))])
    i, j = pairs[..., 0], pairs[..., 1]
    return rows[np.where(i >= 0, i, n - 1 - i)] - rows[np.where(j >= 0, j, n + d)]


def three_layer_wedge_library(X, architecture, *, vectors: str = "differences",
                              backend: str = "numba", deduplicate: bool = True,
                              max_columns: int | None = None,
                              memory_limit: float | None = DEFAULT_MEMORY_LIMIT, seed=None,
                              device=None, storage: str = "dense") -> Dictionary:
    """The Lasso dictionary of a three-layer ReLU ``architecture`` (wedge_three_layer family)
    on X (n, d): columns relu(t (g(x_i) - g(x_j0))) of the module doc.

    With a free intercept, min 1/2 ||A z + xi 1 - y||^2 + beta ||z||_1 equals (001 Thm 12, row J,
    ``bias=False``: first layer bias-free) the training problem with penalty
    (beta / 3) sum_j (||W1_j||_1^3 + |W2_j|^3 + |W3_j|^3) for widths m >= ||z*||_0 (Lemma 27:
    beta~ = beta).  ``bias=True`` is row K (all layers biased), an experimental library whose
    value is an upper bound of that training problem (every column is a network); its
    exactness is not proven (the proof of Thm 13 is truncated).

    ``vectors``: "differences" (the proof's set, the default) or "all_pairs" (the statement's;
    row J only).  ``max_columns``: above it, a uniform seeded (``seed``) sample of
    max_columns // 4 anchor sets; ``memory_limit`` (bytes) refuses a dense matrix or metadata
    larger than it; ``storage`` "dense" (``backend="torch"`` keeps a tensor on ``device``) or
    "kernels" (matrix-free chunked products); ``deduplicate`` (dense only) removes zero and
    identical columns (reported).
    """
    from gaconvex.data import as_points
    from gaconvex.symbolic import Architecture, derive, is_wedge_three_layer
    from gaconvex.symbolic.reflection_planes import canonical_sign

    if not isinstance(architecture, Architecture) or not is_wedge_three_layer(architecture):
        raise GaconvexError(f"three_layer_wedge_library builds the three-layer wedge dictionaries "
                            f"of 001 Thms 12-13; got {architecture!r}. Build the architecture "
                            "with gaconvex.symbolic.architecture('relu', 3, dim=d, bias=False).")
    if storage not in WEDGE_STORAGES:
        raise GaconvexError(f"storage must be one of {WEDGE_STORAGES} for a three-layer wedge "
                            f"library (the structured store is 1-D only), got {storage!r}.")
    if vectors not in VECTOR_SETS:
        raise GaconvexError(f"vectors must be one of {VECTOR_SETS}, got {vectors!r}.")
    if max_columns is not None and (isinstance(max_columns, bool) or int(max_columns) < 4):
        raise GaconvexError(f"max_columns must be an integer >= 4 (four sign choices per anchor "
                            f"set), got {max_columns!r}.")
    X = as_points(X, "X", dim=architecture.dim)
    n, d = X.shape
    (family,) = derive(architecture).families
    if family.affine and vectors != "differences":
        raise GaconvexError("row K (bias=True) is built from the differences of Thm 13 only; "
                            "use vectors='differences'.")
    if n < 2:
        raise GaconvexError("the three-layer wedge library needs at least two data points.")
    tuples = ([(j0,) for j0 in range(n)] if not family.affine
              else [(j0, l) for j0 in range(n) for l in range(n)])
    candidates = [_candidates(n, d, t, vectors) for t in tuples]
    subsets = {m: _all_subsets(m, d - 1) for m in {len(c) for c in candidates}}
    counts = np.array([len(subsets[len(c)]) for c in candidates])
    total = int(counts.sum())
    budget = total if max_columns is None else min(total, int(max_columns) // 4)
    what = f"the {architecture} library on {n} points ({4 * total:,} raw columns)"
    if storage == "dense":
        check_memory(n, 4 * budget, memory_limit, what)
    k = family.n_anchors
    need = 4 * budget * 8 * (2 * k * d + d + 6)
    if memory_limit is not None and need > memory_limit:
        raise GaconvexError(
            f"{what}: its per-column metadata needs {need / 2**30:.3g} GiB, above the memory "
            f"limit of {memory_limit / 2**30:.3g} GiB. Sample it (max_columns=...), use fewer "
            "points, or raise memory_limit.")
    sampled = budget < total
    flat = (np.sort(np.random.default_rng(seed).choice(total, size=budget, replace=False))
            if sampled else np.arange(total))
    group = np.searchsorted(np.cumsum(counts), flat, side="right")
    within = flat - np.concatenate([[0], np.cumsum(counts)])[group]
    width = max(len(c) for c in candidates)
    table = np.stack([np.pad(c, ((0, width - len(c)), (0, 0))) for c in candidates])
    sizes = np.array([len(c) for c in candidates])[group]
    rows = np.zeros((budget, d - 1), dtype=np.int64)
    for m, table_m in subsets.items():  # one gather per candidate-list length
        mask = sizes == m
        rows[mask] = table_m[within[mask]]
    pairs = table[group[:, None], rows]  # (P, d - 1, 2)
    points = np.array(tuples, dtype=np.int64)[group]  # (P, n_points)
    anchors = np.concatenate([X[points], _direction_vectors(X, pairs)], axis=1)
    w, _, volume = family.neurons(anchors)
    degenerate = volume == 0
    canon = w * (canonical_sign(w)[:, None] if len(w) else 1.0)
    repeated = _repeated_directions(group, canon) & ~degenerate
    keep = ~degenerate & ~repeated
    index = np.column_stack([points, pairs.reshape(len(pairs), -1)])
    if not keep.any():
        raise GaconvexError(f"every anchor set of {what} is degenerate (zero cross product): "
                            "the data span no direction; use distinct points.")
    choices = np.array(family.sign_choices, dtype=np.int8)
    kept = np.repeat(np.flatnonzero(keep), len(choices))
    signs = np.tile(choices, (int(keep.sum()), 1))
    W, b1, t, b2, _ = family.layers(anchors[kept], signs)
    block = ThreeLayerWedgeBlock(family, index[kept], anchors[kept].reshape(len(kept), k * d),
                                 signs, W, b1, sampled, t, b2)
    notes = ((_EXPERIMENTAL,) if family.affine else ()) + repeated_rows_notes(X)
    report = ThreeLayerWedgeReport(vectors, total, budget, int(degenerate.sum()),
                                   index[degenerate][:_REPORTED], int(repeated.sum()), sampled,
                                   notes=notes)
    return enumerated_dictionary(architecture, X, block, report, storage=storage, backend=backend,
                                 device=device, deduplicate=deduplicate)
