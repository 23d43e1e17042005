"""1-D Lasso dictionaries of the Library of Mirrors (002 Table 3.1), one generic builder.

Every library is the union of the symbolic feature families that :func:`gaconvex.symbolic.derive`
returns for an architecture; a family's columns are all anchor tuples of training points
(002 Def. 3.10) times the sign patterns it enumerates, evaluated by the kernel that
:func:`gaconvex.symbolic.compile` generates from the family's expression.  Nothing here knows a
feature formula: two-layer ramps, capped ramps, reflection features and the symmetrized
family all come out of the same loop.
"""
from __future__ import annotations

import numpy as np

from gaconvex._validation import GaconvexError, check_memory, check_points_1d
from gaconvex.data import merge_duplicate_points

from .library import Block, Dictionary, GridBlock, deduplicate_columns
from .storage import DenseColumns, KernelColumns, TorchColumns
from .structured import StructuredColumns

__all__ = ["library_1d", "two_layer_library", "deep_narrow_library", "symmetrized_library",
           "merge_duplicate_points", "DEFAULT_MEMORY_LIMIT", "STORAGES"]

DEFAULT_MEMORY_LIMIT = 4 * 2**30  # bytes of dense float64 dictionary; raise with memory_limit=
#: Where a library's columns live (gaconvex.dictionaries.storage, .structured).
STORAGES = ("dense", "kernels", "structured")
_MATRIX_FREE = {"kernels": KernelColumns, "structured": StructuredColumns}


def _family_block(family, n: int, budget: int | None, order, xs, rng):
    """All anchor tuples of sorted ranks in [n]^k times the sign patterns, as an implicit
    :class:`GridBlock`; or, above ``budget`` columns, a uniform sample of anchor tuples
    (002 Sec. 4, 6.3), each with every sign pattern, as an explicit :class:`Block`."""
    patterns = np.array(family.sign_choices, dtype=np.int8).reshape(len(family.sign_choices), -1)
    columns = _sampled_columns(family, n, budget)
    if not columns:
        return GridBlock(family, order, xs[order], patterns)
    count = columns // len(patterns)
    ranks = np.repeat(rng.integers(0, n, size=(count, family.n_anchors)), len(patterns), axis=0)
    signs = np.tile(patterns, (count, 1))
    return Block(family, order[ranks], xs[order[ranks]], signs, True, ranks + 1)


def _sampled_columns(family, n: int, budget: int | None) -> int:
    """Columns of the explicit (sampled) block of ``family``: 0 for an implicit grid."""
    if budget is None or family.size(n) <= budget:
        return 0
    patterns = len(family.sign_choices)
    return max(1, budget // patterns) * patterns


def _check_metadata(library, n: int, budget, limit) -> None:
    """Refuse libraries whose per-column data alone would not fit under ``limit`` bytes: 8
    bytes per column for each length-P vector (A^T r, column norms), plus about 24 bytes per
    anchor for the explicit metadata of sampled columns (implicit grids hold none)."""
    if limit is None:
        return
    columns = sum(_sampled_columns(f, n, budget) or f.size(n) for f in library)
    need = 8 * columns + sum(_sampled_columns(f, n, budget) * (24 * f.n_anchors + f.n_signs)
                             for f in library)
    if need > limit:
        raise GaconvexError(
            f"the {library.architecture} library on {n} points has {library.size(n):,} raw "
            f"columns; their per-column metadata alone needs {need / 2**30:.3g} GiB (8 bytes a "
            f"column for every length-P vector such as A^T r, 24 bytes an anchor for sampled "
            f"columns), above the memory limit of {limit / 2**30:.3g} GiB. Sample the library "
            "(max_columns=...), use fewer points, or raise memory_limit.")


def library_1d(x, architecture, *, backend: str = "numba", deduplicate: bool = True,
               max_columns: int | None = None, memory_limit: float | None = DEFAULT_MEMORY_LIMIT,
               seed=None, device=None, storage: str = "dense") -> Dictionary:
    """The Lasso dictionary of ``architecture`` on 1-D points ``x`` (002 Table 3.1, Def. 3.10).

    Columns: for each family of ``derive(architecture)``, every anchor tuple (j_1, ..., j_k) of
    training points (ranks in the descending order x_1 > ... > x_N of 002) and every sign
    pattern of the family; column values are f(x_i; x_{j_1}, ..., x_{j_k}, s) with rows in the
    caller's order.  Libraries larger than ``max_columns`` are sampled uniformly over anchor
    tuples (002 Sec. 4); a dense matrix above ``memory_limit`` bytes is refused.  With
    ``deduplicate`` the zero and repeated columns are removed and reported in
    ``dictionary.report`` (nothing is dropped silently).  ``backend`` is the kernel backend
    ("numba", "numpy" or "torch"); with "torch" a dense dictionary stays a tensor on ``device``.
    ``storage`` (one of :data:`STORAGES`): "dense" evaluates the matrix once; "kernels" stores no
    matrix, products run matrix-free through the kernels; "structured" stores none either, its
    products come from each column's piecewise-linear form in O(K log N) a column
    (:class:`StructuredColumns`).  Matrix-free libraries are not deduplicated (that needs the
    columns); the memory limit then applies to the per-column data.  Unsampled families are
    held as implicit anchor grids (:class:`GridBlock`), which cost nothing per column.
    """
    from gaconvex.symbolic import Architecture, derive

    if not isinstance(architecture, Architecture):
        raise GaconvexError(
            f"architecture must be a gaconvex.symbolic.Architecture, got {type(architecture).__name__};"
            " build one with gaconvex.symbolic.architecture('relu', 3).")
    if architecture.dim != 1:
        raise GaconvexError(f"library_1d builds 1-D libraries; the architecture has dim="
                            f"{architecture.dim}.")
    if storage not in STORAGES:
        raise GaconvexError(f"storage must be one of {STORAGES}, got {storage!r}.")
    dense = storage == "dense"
    xs = check_points_1d(x, "x")
    n = xs.size
    order = np.argsort(-xs, kind="stable")  # descending: x[order[0]] is x_1 of the paper
    rng = np.random.default_rng(seed)
    library = derive(architecture)
    raw = library.size(n)
    budget = None if max_columns is None else max_columns // len(library)
    _check_metadata(library, n, budget, memory_limit)
    if dense:
        check_memory(n, raw if budget is None else min(raw, max_columns), memory_limit,
                     f"the {architecture} library on {n} points")
    blocks = [_family_block(family, n, budget, order, xs, rng) for family in library]
    X = xs[:, None]
    unpenalized = X.copy() if architecture.skip else np.zeros((n, 0))
    if not dense:
        store = _MATRIX_FREE[storage](X, blocks, backend, device)
        return Dictionary(architecture, X, tuple(blocks), store, unpenalized)
    # one column-major allocation; each family's kernel writes its block in place
    matrix = np.empty((n, sum(len(b) for b in blocks)), order="F")
    start = 0
    for block in blocks:
        stop = start + len(block)
        if backend == "torch":
            matrix[:, start:stop] = block.evaluate(X, backend, device=device).cpu().numpy()
        else:
            block.evaluate(X, backend, out=matrix[:, start:stop])
        start = stop
    dictionary = Dictionary(architecture, X, tuple(blocks), DenseColumns(matrix), unpenalized)
    if deduplicate:
        dictionary = deduplicate_columns(dictionary)
    if backend == "torch":
        import torch

        tensor = torch.as_tensor(dictionary.to_dense(), device=device or "cpu")
        dictionary = Dictionary(architecture, X, dictionary.blocks, TorchColumns(tensor),
                                unpenalized, dictionary.report)
    return dictionary


def two_layer_library(x, activation="relu", **kwargs) -> Dictionary:
    """2-layer dictionary A = [A+, A-] (ReLU, leaky, threshold) or A+ (abs, sign) (002 Cor. 3.15)."""
    from gaconvex.symbolic import architecture

    skip = kwargs.pop("skip", False)
    return library_1d(x, architecture(activation, 2, skip=skip), **kwargs)


def deep_narrow_library(x, activation="relu", depth=3, *, midpoints=None, **kwargs) -> Dictionary:
    """Deep narrow library with data (and midpoint) feature biases (002 Lemma 3.7, Thm 3.2, 3.11)."""
    from gaconvex.symbolic import architecture

    return library_1d(x, architecture(activation, depth, midpoints=midpoints), **kwargs)


def symmetrized_library(x, activation="relu", **kwargs) -> Dictionary:
    """Symmetrized 3-layer library, 16 N^3 raw columns (002 Thm 3.5, 3.13)."""
    from gaconvex.symbolic import SYMMETRIZED, architecture

    return library_1d(x, architecture(activation, 3, SYMMETRIZED), **kwargs)
