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

from .library import Block, Dictionary, deduplicate_columns
from .storage import DenseColumns, KernelColumns, TorchColumns

__all__ = ["library_1d", "two_layer_library", "deep_narrow_library", "symmetrized_library",
           "merge_duplicate_points", "DEFAULT_MEMORY_LIMIT", "STORAGES"]

DEFAULT_MEMORY_LIMIT = 4 * 2**30  # bytes of dense float64 dictionary; raise with memory_limit=
#: Where a library's columns live (gaconvex.dictionaries.storage).
STORAGES = ("dense", "kernels")


def _anchor_tuples(n: int, k: int, max_columns: int | None, n_signs: int, rng):
    """All k-tuples of sorted ranks in [n]^k, or a uniform sample of them (002 Sec. 4, 6.3)."""
    total = n ** k
    if max_columns is None or total * n_signs <= max_columns:
        grids = np.indices((n,) * k).reshape(k, -1).T
        return grids, False
    count = max(1, max_columns // n_signs)
    return rng.integers(0, n, size=(count, k)), True


def _check_metadata(library, n: int, budget, limit) -> None:
    """Refuse libraries whose per-column metadata alone (anchor indices, values, ranks, signs:
    about 24 bytes per anchor) would not fit under ``limit`` bytes."""
    if limit is None:
        return
    need = sum(min(f.size(n), budget if budget is not None else f.size(n))
               * (24 * f.n_anchors + f.n_signs) for f in library)
    if need > limit:
        raise GaconvexError(
            f"the {library.architecture} library on {n} points has {library.size(n):,} raw "
            f"columns; their metadata alone needs {need / 2**30:.3g} GiB, above the memory limit "
            f"of {limit / 2**30:.3g} GiB. Sample the library (max_columns=...), use fewer points, "
            "or raise memory_limit.")


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
    matrix, products run matrix-free through the kernels (no deduplication, which needs the
    columns; the memory limit then applies to the metadata).
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
    blocks = []
    for family in library:
        signs = np.array(family.sign_choices, dtype=float).reshape(len(family.sign_choices), -1)
        ranks, sampled = _anchor_tuples(n, family.n_anchors, budget, len(signs), rng)
        ranks = np.repeat(ranks, len(signs), axis=0)
        sign_rows = np.tile(signs, (len(ranks) // len(signs), 1))
        blocks.append(Block(family, order[ranks], xs[order[ranks]], sign_rows.astype(np.int8),
                            sampled, ranks + 1))
    X = xs[:, None]
    unpenalized = X.copy() if architecture.skip else np.zeros((n, 0))
    if not dense:
        store = KernelColumns(X, blocks, backend, device)
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
