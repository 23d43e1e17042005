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

from gaconvex._validation import GaconvexError, check_memory

from .library import DeduplicationReport, Dictionary, deduplicate_columns
from .one_d import DEFAULT_MEMORY_LIMIT
from .storage import DenseColumns, KernelColumns, TorchColumns
from .wedge import WEDGE_STORAGES, WedgeBlock, _all_subsets

__all__ = ["ReflectionPlaneBlock", "ReflectionPlaneReport", "reflection_plane_library",
           "FIRST_BIASES", "candidate_codes", "raw_size"]

#: The two first-layer bias points x' of Thm 4.1: the data point x_j-1 and the midpoint.
FIRST_BIASES = ("data", "midpoint")
_REPORTED = 20  # degenerate subsets listed in the report


@dataclass(frozen=True)
class ReflectionPlaneBlock(WedgeBlock):
    """Columns of a reflection-plane family: one rescaled unit chain per column.

    Inherits the anchor metadata and the chunked products of :class:`WedgeBlock`; ``weights``
    (P, d) are W (||W||_1 = 1, canonical sign), ``bias`` (P,) b^(1) = -x' W and ``inner_bias``
    (P,) b^(2) = -|(x_j0 - x') W| (None for L = 2); ``signs`` is empty (P, 0): abs units need
    no inner signs.  :meth:`breakplanes` gives each column's planes.
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
            import torch

            t = dict(dtype=torch.float64, device=device or "cpu")
            as_t = lambda a: None if a is None else torch.as_tensor(a, **t)  # noqa: E731
            cols = self.family.evaluate(as_t(np.asarray(X)), as_t(self.weights), as_t(self.bias),
                                        as_t(self.inner_bias))
            if out is not None:
                out[...] = cols.cpu().numpy()
                return out
            return cols
        X = np.asarray(X, dtype=np.float64)
        if out is None:
            out = np.empty((X.shape[0], len(self)), order="F")
        return self.family.evaluate(X, self.weights, self.bias, self.inner_bias, out=out)

    def breakplanes(self, j: int):
        """The :class:`gaconvex.symbolic.ReflectionPlane` list of column j of the block."""
        return self.family.breakplanes(self.anchor_values[j], self.anchor_index[j])


@dataclass(frozen=True)
class ReflectionPlaneReport:
    """What :func:`reflection_plane_library` enumerated, skipped and removed.

    n_raw : (x', direction subset) pairs of the full library, <= the Lemma 4.2 count
        ``family.size(N)``; n_points : the (j_-1, j_0, x') choices; n_enumerated : pairs
        enumerated (a uniform sample when ``sampled``); degenerate : pairs whose directions are
        dependent (w = 0), ``degenerate_sets`` the first as ``anchor_index`` rows; repeated :
        pairs whose direction +-W repeats an earlier one of the same x' (the same column);
        columns : the :class:`DeduplicationReport` of zero / identical columns, or None.
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

    def __str__(self) -> str:
        text = (f"{self.n_enumerated} of {self.n_raw} (x', directions) pairs"
                f"{' (uniform sample)' if self.sampled else ''} over {self.n_points} first-layer "
                f"bias choices: {self.degenerate} degenerate (w = 0), {self.repeated} repeated "
                "directions")
        if self.degenerate:
            text += f" [first: {self.degenerate_sets[:3].tolist()}]"
        if self.columns is not None:
            text += f"; {self.columns}"
        return text + "".join(f"; {note}" for note in self.notes)


def candidate_codes(n: int, d: int, depth: int, j0_directions: bool = True) -> np.ndarray:
    """Direction codes of X^(3) (module doc): 3m + t for x_m minus x' (t = 0), x_j0 (t = 1),
    R (t = 2), and -l for e_l; L = 2 uses t = 0 and the e_l."""
    kinds = [0] if depth == 2 else [0, 2] if not j0_directions else [0, 1, 2]
    data = (3 * np.arange(n)[:, None] + np.array(kinds)).ravel()
    return np.concatenate([data, -np.arange(1, d + 1)])


def _first_layer_points(X, depth: int, first_biases) -> tuple[np.ndarray, np.ndarray]:
    """(index (T, 3) rows (j_-1, j_0, kind), base points (T, 3, d): x', x_j0, 2x' - x_j0)."""
    n = len(X)
    if depth == 2:
        idx = np.column_stack([np.arange(n), np.arange(n), np.zeros(n, dtype=np.int64)])
    else:
        jm, j0 = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
        parts = []
        if "data" in first_biases:
            parts.append(np.column_stack([jm, j0, np.full(jm.size, 0)]))
        if "midpoint" in first_biases:
            pair = jm < j0
            parts.append(np.column_stack([jm[pair], j0[pair], np.full(pair.sum(), 1)]))
        idx = np.vstack(parts).astype(np.int64)
    xm, x0 = X[idx[:, 0]], X[idx[:, 1]]
    xp = np.where((idx[:, 2] == 1)[:, None], (xm + x0) / 2, xm)
    return idx, np.stack([xp, x0, 2 * xp - x0], axis=1)


def _directions(X, base, t, codes) -> np.ndarray:
    """Delta vectors (P, d-1, d) of the chosen candidate codes (P, d-1) of points t (P,)."""
    n, d = X.shape
    data = codes >= 0
    safe = np.where(data, codes, 0)
    V = X[safe // 3] - base[t[:, None], safe % 3]
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
    """The Lasso dictionary of a deep narrow abs ``architecture`` (L = 2, 3) on X (n, d).

    Columns as in the module doc (000 Thm 4.1 for L = 3, Remark E.1 for L = 2): the Lasso
    min 1/2 ||A z + xi 1 - y||^2 + beta ||z||_1 equals the training problem (2) of 000 with
    penalty (beta / L) sum_i (|alpha_i|^L + ||W^(i,1)||_1^L + sum_l |w^(i,l)|^L), for widths
    m >= ||z*||_0.

    ``max_columns``: above it, a uniform seeded (``seed``) sample of max_columns (x',
    directions) pairs (``Dictionary.sampled``); ``memory_limit`` (bytes) refuses a dense matrix
    or metadata larger than it; ``storage`` "dense" (BLAS; ``backend="torch"`` keeps a tensor on
    ``device``) or "kernels" (matrix-free chunked products); ``deduplicate`` (dense only)
    removes zero and identical columns (reported).  Ablations (claim C10): ``first_biases`` a
    subset of ("data", "midpoint") (L = 3), ``j0_directions=False`` drops the x_n - x_j0
    candidates (the theorem statement's set).
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
    if not first_biases or any(b not in FIRST_BIASES for b in first_biases):
        raise GaconvexError(f"first_biases must be a non-empty subset of {FIRST_BIASES} (the "
                            f"first-layer bias points x' of 000 Thm 4.1), got {first_biases!r}.")
    X = as_points(X, "X", dim=architecture.dim)
    n, d = X.shape
    L = architecture.depth
    if n < 1:
        raise GaconvexError("the reflection-plane library needs at least one data point.")
    (family,) = derive(architecture).families
    idx, base = _first_layer_points(X, L, first_biases)
    codes = candidate_codes(n, d, L, j0_directions)
    subsets = _all_subsets(len(codes), d - 1)
    T, S = len(idx), len(subsets)
    total = T * S
    budget = total if max_columns is None else min(total, int(max_columns))
    what = f"the {architecture} library on {n} points ({total:,} raw columns)"
    if storage == "dense":
        check_memory(n, budget, memory_limit, what)
    k = family.n_anchors
    need = budget * 8 * (2 * k * d + 3 * d + 8)
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
    V = _directions(X, base, t, chosen)
    anchors = np.concatenate([base[t, :family.n_points], V], axis=1)
    W, b1, b2, volume = family.neurons(anchors)
    degenerate = volume == 0
    repeated = _repeated_directions(t, W) & ~degenerate
    keep = ~degenerate & ~repeated
    index = np.column_stack([idx[t] if L == 3 else idx[t, :1], chosen])
    if not keep.any():
        raise GaconvexError(f"every direction subset of {what} is degenerate (w = 0): the data "
                            "span no direction; use distinct points.")
    block = ReflectionPlaneBlock(
        family, index[keep], anchors[keep].reshape(int(keep.sum()), k * d),
        np.zeros((int(keep.sum()), 0), dtype=np.int8), W[keep], b1[keep], sampled,
        None if b2 is None else b2[keep])
    report = ReflectionPlaneReport(total, T, budget, int(degenerate.sum()),
                                   index[degenerate][:_REPORTED], int(repeated.sum()), sampled)
    unpenalized = np.zeros((n, 0))
    if storage == "kernels":
        return Dictionary(architecture, X, (block,), KernelColumns(X, [block], backend, device),
                          unpenalized, report)
    dictionary = Dictionary(architecture, X, (block,), DenseColumns(block.evaluate(X)),
                            unpenalized, report)
    if deduplicate:
        dictionary = deduplicate_columns(dictionary)
        report = ReflectionPlaneReport(report.n_raw, report.n_points, report.n_enumerated,
                                       report.degenerate, report.degenerate_sets,
                                       report.repeated, sampled, dictionary.report)
        dictionary = Dictionary(architecture, X, dictionary.blocks, dictionary.store,
                                unpenalized, report)
    if backend == "torch":
        import torch

        tensor = torch.as_tensor(dictionary.to_dense(), device=device or "cpu")
        dictionary = Dictionary(architecture, X, dictionary.blocks, TorchColumns(tensor),
                                unpenalized, report)
    return dictionary


def raw_size(n: int, d: int, depth: int, first_biases=FIRST_BIASES,
             j0_directions: bool = True) -> int:
    """Pairs (x', direction subset) the builder enumerates on n generic points (before
    removing anything): T C(|X^(3)|, d - 1) with T = N^2 + N(N-1)/2 first-layer choices (N for
    L = 2) and |X^(3)| = 3N + d candidates (2N + d without x_j0, N + d for L = 2)."""
    T = n if depth == 2 else (n * n * ("data" in first_biases)
                              + n * (n - 1) // 2 * ("midpoint" in first_biases))
    return T * comb(len(candidate_codes(n, d, depth, j0_directions)), d - 1)
