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

from gaconvex._validation import GaconvexError, check_memory, check_points_1d, check_targets

from .library import Block, Dictionary, deduplicate_columns

__all__ = ["library_1d", "two_layer_library", "deep_narrow_library", "symmetrized_library",
           "merge_duplicate_points", "DEFAULT_MEMORY_LIMIT"]

DEFAULT_MEMORY_LIMIT = 4 * 2**30  # bytes of dense float64 dictionary; raise with memory_limit=


def merge_duplicate_points(x, y):
    """Merge equal inputs by averaging their targets; returns (x_unique, y_mean, counts).

    The 1-D libraries need distinct points (002 Sec. 1.2).  For the squared loss, replacing the
    k targets of one input by their mean changes the objective by a constant only when the fit
    is weighted by k; ``counts`` is returned so the caller can see (and weight) what was merged.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = check_targets(y, x.size)
    xu, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ym = np.zeros((xu.size,) + y.shape[1:])
    np.add.at(ym, inverse, y)
    ym /= counts.reshape((-1,) + (1,) * (y.ndim - 1))
    return xu, ym, counts


def _anchor_tuples(n: int, k: int, max_columns: int | None, n_signs: int, rng):
    """All k-tuples of sorted ranks in [n]^k, or a uniform sample of them (002 Sec. 4, 6.3)."""
    total = n ** k
    if max_columns is None or total * n_signs <= max_columns:
        grids = np.indices((n,) * k).reshape(k, -1).T
        return grids, False
    count = max(1, max_columns // n_signs)
    return rng.integers(0, n, size=(count, k)), True


def library_1d(x, architecture, *, backend: str = "numba", deduplicate: bool = True,
               max_columns: int | None = None, memory_limit: float | None = DEFAULT_MEMORY_LIMIT,
               seed=None, device=None, dense: bool = True) -> Dictionary:
    """The Lasso dictionary of ``architecture`` on 1-D points ``x`` (002 Table 3.1, Def. 3.10).

    Columns: for each family of ``derive(architecture)``, every anchor tuple (j_1, ..., j_k) of
    training points (ranks in the descending order x_1 > ... > x_N of 002) and every sign
    pattern of the family; column values are f(x_i; x_{j_1}, ..., x_{j_k}, s) with rows in the
    caller's order.  Libraries larger than ``max_columns`` are sampled uniformly over anchor
    tuples (002 Sec. 4); a dense matrix above ``memory_limit`` bytes is refused.  With
    ``deduplicate`` the zero and repeated columns are removed and reported in
    ``dictionary.report`` (nothing is dropped silently).  ``dense=False`` stores no matrix: the
    dictionary's products then run matrix-free through :meth:`Dictionary.operator` (no
    deduplication, which needs the columns; no memory limit on the never-built matrix).
    """
    from gaconvex.symbolic import compile as compile_kernel
    from gaconvex.symbolic import derive

    if not hasattr(architecture, "family"):
        raise GaconvexError(
            f"architecture must be a gaconvex.symbolic.Architecture, got {type(architecture).__name__};"
            " build one with gaconvex.symbolic.architecture('relu', 3).")
    xs = check_points_1d(x, "x")
    n = xs.size
    order = np.argsort(-xs, kind="stable")  # descending: x[order[0]] is x_1 of the paper
    rng = np.random.default_rng(seed)
    library = derive(architecture)
    raw = library.size(n)
    budget = None if max_columns is None else max_columns // len(library)
    if dense:
        check_memory(n, raw if budget is None else min(raw, max_columns), memory_limit,
                     f"the {architecture} library on {n} points")
    plans = []
    for family in library:
        signs = np.array(family.sign_choices, dtype=float).reshape(len(family.sign_choices), -1)
        ranks, sampled = _anchor_tuples(n, family.n_anchors, budget, len(signs), rng)
        ranks = np.repeat(ranks, len(signs), axis=0)
        sign_rows = np.tile(signs, (len(ranks) // len(signs), 1))
        plans.append(Block(family, order[ranks], xs[order[ranks]], sign_rows.astype(np.int8),
                           sampled))
    unpenalized = xs[:, None].copy() if architecture.skip else np.zeros((n, 0))
    if not dense:
        return Dictionary(architecture, xs, order, None, tuple(plans), unpenalized)
    # one column-major allocation; each family's kernel writes its block in place
    matrix = np.empty((n, sum(len(b) for b in plans)), order="F")
    start = 0
    for block in plans:
        kernel = compile_kernel(block.family, backend)
        stop = start + len(block)
        if backend == "torch":
            matrix[:, start:stop] = kernel(xs, block.anchor_values, block.signs.astype(float),
                                           device=device).cpu().numpy()
        else:
            kernel(xs, block.anchor_values, block.signs.astype(float), out=matrix[:, start:stop])
        start = stop
    dictionary = Dictionary(architecture, xs, order, matrix, tuple(plans), unpenalized)
    return deduplicate_columns(dictionary) if deduplicate else dictionary


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
    from gaconvex.symbolic import architecture

    return library_1d(x, architecture(activation, 3, "symmetrized"), **kwargs)
