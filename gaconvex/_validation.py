"""Input validation shared by every layer of gaconvex.

One place for the checks that turn bad input into a clear exception: each message says
what was received, what was expected, and how to fix it.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "GaconvexError",
    "GaconvexWarning",
    "as_float_array",
    "as_real",
    "check_finite",
    "check_points_1d",
    "check_targets",
    "check_memory",
    "repeated_rows_notes",
]


class GaconvexError(ValueError):
    """Base class of gaconvex's input errors (a ``ValueError``)."""


class GaconvexWarning(UserWarning):
    """A result that was computed but deserves attention (divergence, a reported reduction)."""


_KINDS = {"b": "booleans", "U": "strings", "S": "bytes", "O": "Python objects", "M": "dates",
          "m": "time deltas", "c": "complex numbers", "V": "records"}


def as_real(a, name: str) -> np.ndarray:
    """``a`` as a float64 array; strings, booleans, objects and complex numbers are refused
    (numpy would silently turn "1" and True into 1.0)."""
    try:
        raw = np.asarray(a)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise GaconvexError(f"{name} must be numeric, got {type(a).__name__}: {exc}") from exc
    if raw.dtype.kind not in "iuf":
        kind = _KINDS.get(raw.dtype.kind, str(raw.dtype))
        raise GaconvexError(f"{name} must be numeric (real numbers), got {kind} (dtype "
                            f"{raw.dtype}); convert it to floats first (e.g. pandas.to_numeric).")
    return raw.astype(np.float64)


def as_float_array(a, name: str, *, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Convert ``a`` to a float64 array, checking its type, number of dimensions and finiteness."""
    arr = as_real(a, name)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise GaconvexError(
                f"{name} must have {' or '.join(map(str, allowed))} dimension(s), "
                f"got shape {arr.shape}."
            )
    check_finite(arr, name)
    return arr


def check_finite(arr, name: str) -> None:
    """Raise if ``arr`` holds NaN or infinity, naming how many and where the first is."""
    arr = np.asarray(arr)
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))
        raise GaconvexError(
            f"{name} contains {len(bad)} non-finite value(s) (NaN or inf), first at index "
            f"{tuple(int(i) for i in bad[0])}; remove or impute them before calling gaconvex."
        )


def check_points_1d(x, name: str = "x", *, min_points: int = 2) -> np.ndarray:
    """Validate 1-D training inputs: a vector (or an (N, 1) column) of distinct finite numbers.

    Duplicated values are an error, because every 1-D library of the Library of Mirrors
    (002, Sec. 1.2) assumes x_1 > x_2 > ... > x_N; the message lists the duplicates and
    says how to merge them.
    """
    arr = as_real(x, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise GaconvexError(
            f"{name} must be 1-D data (shape (N,) or (N, 1)), got shape {arr.shape}; "
            "the 1-D libraries (Library of Mirrors) need scalar inputs, use the d-D "
            "dictionaries for multivariate data."
        )
    check_finite(arr, name)
    if arr.size < min_points:
        raise GaconvexError(f"{name} needs at least {min_points} points, got {arr.size}.")
    values, counts = np.unique(arr, return_counts=True)
    if np.any(counts > 1):
        dup = values[counts > 1]
        raise GaconvexError(
            f"{name} has duplicated values {dup[:5].tolist()}"
            f"{' ...' if dup.size > 5 else ''} ({int(np.sum(counts[counts > 1]))} points); "
            "1-D libraries need distinct points: average the targets of equal inputs "
            "(gaconvex.dictionaries.merge_duplicate_points) before building the library."
        )
    return arr


def check_targets(y, n: int, name: str = "y") -> np.ndarray:
    """Validate a target vector (N,) or matrix (N, c) against N inputs."""
    arr = as_float_array(y, name, ndim=(1, 2))
    if arr.shape[0] != n:
        raise GaconvexError(
            f"{name} has {arr.shape[0]} rows but there are {n} inputs; pass one target per input."
        )
    return arr


def check_memory(n_rows: int, n_cols: int, limit_bytes: float | None, what: str) -> None:
    """Refuse to allocate a dense float64 (n_rows, n_cols) array larger than ``limit_bytes``."""
    if limit_bytes is None:
        return
    need = 8.0 * n_rows * n_cols
    if need > limit_bytes:
        raise GaconvexError(
            f"{what} would need {need / 2**30:.3g} GiB as a dense float64 matrix "
            f"({n_rows} x {n_cols}), above the memory limit of {limit_bytes / 2**30:.3g} GiB. "
            "Raise memory_limit, sample columns (max_columns=...), use the matrix-free "
            "dictionary (storage='kernels'), or use fewer points."
        )


def repeated_rows_notes(X: np.ndarray) -> tuple[str, ...]:
    """For the d-D dictionary builders' report notes: one line when rows of the points X
    (n, d) repeat, none if they are distinct.  The builders keep the rows (a column is f(x_i)
    for every given row); the anchor sets through two equal rows are degenerate and reported
    as such, and ``convex_fit`` merges tied inputs into weighted rows before it builds a
    library."""
    X = np.asarray(X)
    if len(X) < 2:
        return ()
    _, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    later = np.flatnonzero(first[inverse] != np.arange(len(X)))
    if not later.size:
        return ()
    pairs = ", ".join(f"row {int(i)} = row {int(first[inverse[i]])}" for i in later[:3])
    return (f"{later.size} of {len(X)} rows repeat an earlier row ({pairs}"
            f"{', ...' if later.size > 3 else ''}): the anchor sets holding two copies are degenerate; "
            "convex_fit merges tied inputs into weighted rows",)
