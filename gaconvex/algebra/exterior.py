"""Exterior algebra of stacks of vectors: blades, Hodge dual, generalized cross product.

Conventions (001 Sec. 2.2 and App. 6.1; 000 Sec. 2 and App. B):

* Vectors are rows. A stack of k vectors in R^d has shape (..., k, d): batch axes first.
* A grade-k blade is stored as its C(d, k) coefficients on the basis blades e_{i_1...i_k}
  (i_1 < ... < i_k), blade axis last, in ``blade_order(d, k)``: lexicographic combinations of
  1-based indices, which is clifford's ``layout.bladeTupList`` restricted to grade k.
* Hodge dual: star(M) = M I^{-1} with I = e_1 e_2 ... e_d (001 Sec. 2.2; clifford ``M.dual()``).
  With it, x . cross(v_1, ..., v_{d-1}) = det[x; v_1; ...; v_{d-1}] with x as the FIRST row.
"""
from __future__ import annotations

import math
from functools import lru_cache
from itertools import chain, combinations
from math import comb
from typing import NamedTuple

import numpy as np

from .._validation import GaconvexError, check_finite
from ._backend import as_vectors, backend_for

__all__ = [
    "blade_order",
    "wedge",
    "hodge_dual",
    "generalized_cross",
    "blade_norm",
    "blade_inner",
]

# Above this many multiply-adds per item, the Laplace expansion's intermediate grades (2^d
# coefficients) cost more than one LU determinant per minor; ``wedge`` then switches to minors.
_MAX_LAPLACE_TERMS = 4096
# C(d, k) grows combinatorially (C(30, 15) = 155 M coefficients per blade): one blade of more
# than _MAX_BLADE_ENTRIES entries (coefficients, k x k minors, index tables) is refused before any
# work instead of hanging, and so is a call of more than _MAX_ENTRIES float64 entries (4 GB).
_MAX_BLADE_ENTRIES = 5 * 10**7
_MAX_ENTRIES = 5 * 10**8
# The longest Laplace schedule (multiply-adds per item) that method="laplace" may build.
_MAX_LAPLACE_SCHEDULE = 1 << 17


def _check_size(d: int, k: int, batch: int, per_blade: int, what: str) -> None:
    """Refuse C(d, k) * per_blade entries per blade above ``_MAX_BLADE_ENTRIES``, or batch times
    that above ``_MAX_ENTRIES``."""
    n_blades = comb(d, k)
    per_item = n_blades * per_blade
    entries = max(batch, 1) * per_item
    if per_item > _MAX_BLADE_ENTRIES:
        raise GaconvexError(
            f"{what}: a grade-{k} blade in R^{d} has C({d}, {k}) = {n_blades:,} coefficients, so "
            f"one blade needs {per_item:,} entries ({per_blade} per coefficient), above the limit "
            f"of {_MAX_BLADE_ENTRIES:,}. Compute only the minors you need (numpy.linalg.det of "
            "V[..., :, columns]) or use a smaller d or k.")
    if entries > _MAX_ENTRIES:
        raise GaconvexError(
            f"{what}: {batch:,} blades of {per_item:,} entries each need {entries:,} float64 "
            f"entries, above the limit of {_MAX_ENTRIES:,} (4 GB); split the batch.")


def _check_grade(d, k) -> tuple[int, int]:
    if int(d) != d or int(k) != k or not (d >= 1 and 0 <= k <= d):
        raise GaconvexError(
            f"a grade-k blade in R^d needs integers d >= 1 and 0 <= k <= d, got d = {d}, k = {k}."
        )
    return int(d), int(k)


@lru_cache(maxsize=None)
def blade_order(d: int, k: int) -> tuple[tuple[int, ...], ...]:
    """Basis blades of grade k in R^d, as 1-based index tuples, in coefficient order.

    Lexicographic k-combinations of (1, ..., d), i.e. clifford's ``layout.bladeTupList``
    restricted to grade k. Example: ``blade_order(3, 2) == ((1, 2), (1, 3), (2, 3))``.
    """
    d, k = _check_grade(d, k)
    _check_size(d, k, 1, max(k, 1), "blade_order")
    return tuple(tuple(i + 1 for i in c) for c in combinations(range(d), k))


@lru_cache(maxsize=32)
def _blade_columns(d: int, k: int) -> np.ndarray:
    """0-based columns of every grade-k basis blade, (C(d, k), k), in ``blade_order``."""
    flat = chain.from_iterable(combinations(range(d), k))
    return np.fromiter(flat, dtype=np.intp, count=comb(d, k) * k).reshape(comb(d, k), k)


class _LaplaceSchedule(NamedTuple):
    n_slots: int  # coefficients of grades 1..k, stored one grade after the other
    first: int  # slot of the first grade-k coefficient
    n_out: int  # C(d, k)
    out: np.ndarray  # term t adds sign[t] * coef[inn[t]] * V[vec[t], col[t]] to coef[out[t]]
    inn: np.ndarray
    vec: np.ndarray
    col: np.ndarray
    sign: np.ndarray


def _laplace_terms(d: int, k: int) -> int:
    return sum(j * comb(d, j) for j in range(2, k + 1))


@lru_cache(maxsize=None)
def _laplace_schedule(d: int, k: int) -> _LaplaceSchedule:
    """Terms of the grade-by-grade expansion B_j = B_{j-1} ^ v_j, for 1 <= k <= d.

    On a basis blade e_S, S = (s_1 < ... < s_j): [B_j]_S = sum_p (-1)^(j-p) [B_{j-1}]_{S minus s_p}
    * v_j[s_p] (moving e_{s_p} from the end to position p passes j - p vectors). Unrolled, it
    gives every k x k minor of V (001 Sec. 2.2 coefficient formula) with each smaller minor
    computed once. Terms are sorted by output slot, and slots by grade, then blade order.
    """
    slot = {}
    for j in range(1, k + 1):
        for c in combinations(range(d), j):
            slot[c] = len(slot)
    terms = [
        (slot[c], slot[c[:p] + c[p + 1:]], j - 1, c[p], (-1.0) ** (j - 1 - p))
        for j in range(2, k + 1)
        for c in combinations(range(d), j)
        for p in range(j)
    ]
    columns = list(zip(*terms)) if terms else [()] * 5
    out, inn, vec, col = (np.asarray(a, dtype=np.int64) for a in columns[:4])
    return _LaplaceSchedule(
        n_slots=len(slot),
        first=len(slot) - comb(d, k),
        n_out=comb(d, k),
        out=out,
        inn=inn,
        vec=vec,
        col=col,
        sign=np.asarray(columns[4], dtype=np.float64),
    )


def _wedge_minors(V, backend):
    """All k x k minors det(V[..., :, S]) by batched LU determinants, S in blade order."""
    k, d = V.shape[-2:]
    cols = backend.index(_blade_columns(d, k))  # (m, k)
    minors = V[..., cols].swapaxes(-3, -2)  # (..., k, m, k) -> (..., m, k, k)
    return backend.xp.linalg.det(minors)


def _wedge(V, backend, method: str):
    if method not in ("auto", "laplace", "minors"):
        raise GaconvexError(f"method must be 'auto', 'laplace' or 'minors', got {method!r}.")
    k, d = V.shape[-2:]
    if k == 0:  # the empty wedge is the scalar 1 (000 Sec. 2.1, d = 1 convention)
        return backend.xp.ones_like(V.sum((-2, -1)))[..., None]
    terms = _laplace_terms(d, k)
    if method == "auto":
        method = "laplace" if terms <= _MAX_LAPLACE_TERMS else "minors"
    batch = math.prod(V.shape[:-2])
    if method == "laplace":
        if terms > _MAX_LAPLACE_SCHEDULE:
            raise GaconvexError(
                f"method='laplace' for {k} vectors in R^{d} needs {terms:,} multiply-adds per "
                f"item (limit {_MAX_LAPLACE_SCHEDULE:,}); use method='minors' or 'auto'.")
        _check_size(d, k, batch, 1, "wedge")
        return backend.wedge_laplace(V, _laplace_schedule(d, k))
    _check_size(d, k, batch, k * k, "wedge (k x k minors)")
    return _wedge_minors(V, backend)


def wedge(V, *, method: str = "auto"):
    """Blade coefficients of v_1 ^ ... ^ v_k (001 Sec. 2.2; 000 Sec. 2.1).

    The coefficient on e_{i_1...i_k} is the k x k minor det(V[..., :, (i_1, ..., i_k)]) (001 Sec.
    1.2, "coefficient formula"); coefficients are in ``blade_order(d, k)``. For k = d the single
    coefficient is det V, the signed volume; for k = 0 it is the scalar 1.

    Parameters
    ----------
    V : array (..., k, d) or torch tensor
        k row vectors in R^d per batch item, 0 <= k <= d.
    method : {"auto", "laplace", "minors"}
        "laplace": grade-by-grade expansion (numba kernel, or torch ops), exact sums of
        products, fastest for small d. "minors": one LU determinant per k x k minor, for large d.
        "auto" picks "laplace" unless it needs more than 4096 multiply-adds per item.

    Returns
    -------
    array (..., C(d, k)), same backend (and torch device) as ``V``.
    """
    backend = backend_for(V)
    return _wedge(as_vectors(backend, V, "V"), backend, method)


@lru_cache(maxsize=None)
def _hodge_table(d: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(src, sign): star(B)[j] = sign[j] * B[src[j]] for a grade-k blade B in R^d.

    star(e_A) = e_A I^{-1} = (-1)^(d(d-1)/2 + sum_{a in A}(a - 1)) e_{complement of A}, since
    I^{-1} = (-1)^(d(d-1)/2) I and e_A I = (-1)^(sum_{a in A}(a - 1)) e_{complement of A}.
    """
    position = {blade: i for i, blade in enumerate(blade_order(d, k))}
    everything = set(range(1, d + 1))
    src = [position[tuple(sorted(everything - set(c)))] for c in blade_order(d, d - k)]
    sign = [(-1.0) ** (d * (d - 1) // 2 + sum(a - 1 for a in blade_order(d, k)[s])) for s in src]
    return np.asarray(src, dtype=np.intp), np.asarray(sign)


def hodge_dual(blade, d: int, k: int):
    """Hodge dual star(M) = M I^{-1} of a grade-k blade in R^d: a grade-(d-k) blade (001 Sec. 2.2).

    I = e_1 ... e_d and I^{-1} = e_d ... e_1, so star is clifford's ``M.dual()``. Examples (001
    App. 6.1, 000 Sec. 2.1): in R^3, star(e_1) = -e_23 and star(e_12) = e_3; in R^2,
    star(a e_1 + b e_2) = b e_1 - a e_2; star(alpha I) = alpha. The map permutes coefficients up
    to sign, so it preserves the l1 and l2 norms of the coefficient vector.

    Parameters
    ----------
    blade : array (..., C(d, k))
        Coefficients in ``blade_order(d, k)``.
    d, k : int
        Dimension and grade (C(d, k) = C(d, d - k), so the length alone cannot tell k).

    Returns
    -------
    array (..., C(d, d - k)) in ``blade_order(d, d - k)``.
    """
    d, k = _check_grade(d, k)
    backend = backend_for(blade)
    blade = backend.asarray(blade, "blade")
    if blade.ndim < 1 or blade.shape[-1] != comb(d, k):
        raise GaconvexError(
            f"blade must hold the C({d}, {k}) = {comb(d, k)} coefficients of a grade-{k} blade in "
            f"R^{d} on its last axis, got shape {tuple(blade.shape)}."
        )
    _check_size(d, k, math.prod(blade.shape[:-1]) + d, 1, "hodge_dual (blades and sign table)")
    return _hodge(blade, d, k, backend)


def _hodge(blade, d: int, k: int, backend):
    src, sign = _hodge_table(d, k)
    return blade[..., backend.index(src)] * backend.constant(sign)


def _cross_qr(V, backend):
    """Null vector of V scaled by sqrt(det V V^T), oriented so that det[n; V] > 0.

    With V^T = Q R (complete QR), q = Q[:, -1] spans the null space of V, and
    det[q; V] = det(Q) (-1)^(d-1) prod(diag R), so n = det(Q) (-1)^(d-1) prod(diag R) q.
    """
    d = V.shape[-1]
    xp = backend.xp
    Q, R = xp.linalg.qr(V.swapaxes(-1, -2), mode="complete")
    scale = xp.linalg.det(Q) * R.diagonal(0, -2, -1).prod(-1) * (-1.0) ** (d - 1)
    return scale[..., None] * Q[..., :, -1]


def _safe_row_exponent(k: int, max_exponent: int) -> float:
    """Rows whose max-abs is about 2^e with |e| at most this need no rescaling: every j x j
    minor of j <= k rows is then at most j! 2^(sum |e_i|) <= 2^(max_exponent - 64), and a
    product of row maxima is at least 2^-(max_exponent - 64), so a cross product that is not
    declared dependent (rtol >= 1e-10 ~ 2^-33) stays a normal number."""
    return (max_exponent - 64 - math.lgamma(k + 1) / math.log(2)) / max(k, 1)


def _scaled_cross(V, backend, method: str, rtol: float):
    """(c, E) with cross(V) = c 2^E exactly (E None when 0), c computed without overflow.

    Row i of V is v_i = 2^(e_i) u_i with max_j |u_ij| in [0.5, 1) (frexp; exact), so by
    multilinearity cross(V) = 2^E cross(U), E = sum_i e_i; rows of moderate size (all |e_i|
    below ``_safe_row_exponent``) are used as they are, which gives the same result. c is 0
    where the rows are dependent: ||c||_inf <= rtol * prod_i ||u_i||_inf.
    """
    if method not in ("cofactor", "qr"):
        raise GaconvexError(f"method must be 'cofactor' or 'qr', got {method!r}.")
    k, d = V.shape[-2:]
    e = backend.frexp(backend.abs_max(V))[1]  # (..., k)
    largest = int(backend.xp.abs(e).max()) if math.prod(e.shape) else 0
    if largest <= _safe_row_exponent(k, math.frexp(backend.finfo().max)[1]):
        U, E = V, None
    else:
        U, E = backend.ldexp(V, -e[..., None]), e.sum(-1)
    if method == "cofactor":
        cross = _hodge(_wedge(U, backend, "auto"), d, k, backend)
    else:
        cross = _cross_qr(U, backend)
    dependent = backend.abs_max(cross) <= rtol * backend.row_scale(U)
    return backend.xp.where(dependent[..., None], 0.0, cross), E


def _unscaled_cross(c, E, backend):
    """cross(V) = c 2^E, or a GaconvexError when its largest entry overflows the float type."""
    if E is None:
        return c
    xp = backend.xp
    largest = backend.abs_max(c)
    live = largest > 0
    t = backend.frexp(largest)[1] + E  # largest entry = f 2^t with f in [0.5, 1)
    info = backend.finfo()
    over = live & (t > math.frexp(info.max)[1])
    if bool(over.any()):
        exponents = [int(v) for v in t[over].reshape(-1)]
        raise _overflow_error(len(exponents), math.prod(over.shape), max(exponents), info)
    return backend.ldexp(c, xp.where(live, E, 0)[..., None])


def _overflow_error(n_over: int, n_total: int, exponent: int, info) -> GaconvexError:
    """The error for cross products whose largest entry is about 2^exponent, beyond the float type."""
    return GaconvexError(
        f"the result of generalized_cross overflows {info.dtype}: {n_over} of {n_total} cross "
        f"product(s) have a largest entry of about 1e{round(exponent * math.log10(2))}, beyond "
        f"the largest {info.dtype} {info.max:.3g}. The cross product is multilinear, cross(s_1 "
        "v_1, ..., s_(d-1) v_(d-1)) = s_1 ... s_(d-1) cross(v_1, ..., v_(d-1)): normalize the "
        "inputs (e.g. divide each vector by its largest |entry|) and keep the scales s_i "
        "separately (in logs).")


def _fused_cross(V, rtol: float, layout: str):
    """cross(V) for a float64 numpy V in one numba pass (the same numbers as the general path),
    or None where that path does not apply (other types, d = 1, too many Laplace terms).

    ``layout`` "rows": V (..., d-1, d) -> (..., d); "soa": V (d-1, d, ...) -> (d, ...). For
    d <= 6, a generated straight-line kernel per layout (``_codegen``, single-threaded; items
    that need exact rescaling go to the block kernel); above, the block kernel
    (``_kernels.cross_laplace``) on the rows layout."""
    if not (isinstance(V, np.ndarray) and V.dtype == np.float64 and V.ndim >= 2):
        return None
    k, d = V.shape[-2:] if layout == "rows" else V.shape[:2]
    if k != d - 1 or k == 0 or _laplace_terms(d, k) > _MAX_LAPLACE_TERMS:
        return None
    batch_shape = V.shape[:-2] if layout == "rows" else V.shape[2:]
    batch = math.prod(batch_shape)
    _check_size(d, k, batch, 1, "generalized_cross")
    from ._codegen import MAX_GENERATED_D, generated_cross
    from ._kernels import cross_laplace

    if layout == "rows":
        flat = np.ascontiguousarray(V.reshape(batch, k, d))
    else:
        flat = np.ascontiguousarray(V.reshape(k, d, batch))
    if d <= MAX_GENERATED_D:
        result, flags = generated_cross(flat, layout, rtol)
    else:
        rows = flat if layout == "rows" else np.moveaxis(flat, 2, 0)
        result, flags = cross_laplace(rows, _laplace_schedule(d, k), *_hodge_table(d, k),
                                      float(rtol))
        result = result if layout == "rows" else np.ascontiguousarray(result.T)
    if flags[0]:
        check_finite(V, "V")
    if flags[1]:
        raise _overflow_error(int(flags[1]), batch, int(flags[2]), np.finfo(np.float64))
    if layout == "rows":
        return result.reshape(batch_shape + (d,))
    return result.reshape((d,) + batch_shape)


def _soa_operand(V) -> None:
    """Check the shape (d-1, d, ...) of a coefficient-first stack V before any conversion."""
    shape = tuple(getattr(V, "shape", np.shape(V)))
    if len(shape) < 2 or shape[1] < 1 or shape[0] != shape[1] - 1:
        raise GaconvexError(
            f"generalized_cross(layout='soa') needs V of shape (d-1, d, ...), coordinate c of "
            f"vector i of item n at V[i, c, n]; got shape {shape}. For one vector per row "
            "(shape (..., d-1, d)) use layout='rows'.")


def generalized_cross(V, *, method: str = "cofactor", rtol: float = 1e-10, layout: str = "rows"):
    """Generalized cross product of d-1 vectors in R^d (001 Def. 4, eq. (42); 000 eq. (5'), (6)).

    cross(v_1, ..., v_{d-1}) = sum_i (-1)^(i-1) det(V without column i) e_i
                             = star(v_1 ^ ... ^ v_{d-1}),
    so that x . cross = det[x; v_1; ...; v_{d-1}] (x as the first row), cross . v_i = 0, and
    ||cross||_2 = sqrt(det V V^T), the (d-1)-volume. For d = 3 it is ``numpy.cross``; for d = 2,
    cross((a, b)) = (b, -a); for d = 1 (no vectors) it is 1 (000 Sec. 2.1).

    Scale: row i is first divided by 2^(e_i), the power of two with max_j |v_ij| 2^(-e_i) in
    [0.5, 1) (exact), the product computed on these rows and multiplied back by 2^(sum_i e_i)
    (multilinearity), so vectors of any size give the result to working precision wherever it
    is representable. A result whose largest entry exceeds the float range (1.8e308 in
    float64) raises a GaconvexError (normalize the inputs) instead of returning inf. Below the
    normal range (2.2e-308) the result underflows as float64 arithmetic does: entries become
    subnormal (fewer significant digits) and, below 2^-1075 ~ 2.5e-324, exactly 0; the
    signed distances of ``gaconvex.algebra`` use the rescaled rows and are unaffected.

    Dependent vectors give exactly 0: the result is set to 0 where
    ||cross||_inf <= rtol * prod_i ||v_i||_inf (spec 001 §1.5, "numerics"; max-norms rather than
    2-norms, and tested on the rescaled rows, so that tiny vectors are still judged relatively).

    Parameters
    ----------
    V : array (..., d-1, d) or torch tensor
    method : {"cofactor", "qr"}
        "cofactor": Hodge dual of the wedge (exact minors, fastest for small d). "qr": null
        vector of V from a complete QR of V^T, scaled by |prod diag R| = sqrt(det V V^T) with the
        sign that makes det[n; V] > 0; more stable for large d. Both agree in sign and scale.
    rtol : float
        Relative tolerance of the dependence test (0 keeps every nonzero result).
    layout : {"rows", "soa"}
        "rows" (default): V (..., d-1, d), one vector per row; result (..., d). "soa"
        (structure of arrays, coefficient-first, kingdon's layout): V (d-1, d, ...) with
        coordinate c of vector i of item n at V[i, c, n]; result (d, ...) with coordinate c of
        item n at [c, n]. Same numbers either way. For float64 numpy input and "cofactor" with
        d <= 6, each layout has its own generated single-threaded numba kernel (memory-bound;
        "soa" loads and stores contiguous rows and vectorizes across items: the faster layout
        for large batches, see docs/benchmarks.md); otherwise (torch, "qr", d > 6) "soa" is
        computed as "rows" on a transposed copy.

    Returns
    -------
    array (..., d) for layout "rows", (d, ...) for "soa"; same backend (and torch device) as
    ``V``.
    """
    if layout not in ("rows", "soa"):
        raise GaconvexError(f"layout must be 'rows' or 'soa', got {layout!r}.")
    if layout == "soa":
        _soa_operand(V)
    if method == "cofactor":
        fused = _fused_cross(V, rtol, layout)
        if fused is not None:
            return fused
    backend = backend_for(V)
    if layout == "soa":
        rows = backend.xp.moveaxis(backend.asarray(V, "V"), (0, 1), (-2, -1))
        return backend.xp.moveaxis(generalized_cross(rows, method=method, rtol=rtol), -1, 0)
    V = _cross_operand(backend, V)
    return _unscaled_cross(*_scaled_cross(V, backend, method, rtol), backend)


def _cross_operand(backend, V):
    """``V`` validated as d-1 vectors in R^d, shape (..., d-1, d)."""
    V = as_vectors(backend, V, "V")
    k, d = V.shape[-2:]
    if k != d - 1:
        raise GaconvexError(
            f"generalized_cross needs d-1 vectors in R^d, shape (..., d-1, d); got {k} vectors of "
            f"dimension {d} (shape {tuple(V.shape)}): pass {d - 1} vectors of dimension {d}, or "
            f"{k} vectors of dimension {k + 1}."
        )
    return V


def blade_norm(V, p: int = 2):
    """l_p norm of the coefficients of v_1 ^ ... ^ v_k, p in {1, 2} (001 Sec. 2.2, eq. (15)).

    ||B||_2 = sqrt(det V V^T) (Cauchy-Binet, 001 Sec. 2.2), the k-volume of the parallelotope;
    ||B||_1 = sum of |k x k minors|. For k = d-1 these equal ||cross(V)||_p (000 Sec. 2.2 item 4),
    the normalizations of the p = 2 and p = 1 dictionaries (001 Sec. 0 item 4).

    V : array (..., k, d). Returns an array (...,).
    """
    if p not in (1, 2):
        raise GaconvexError(f"p must be 1 or 2 (the l1 or l2 norm of the blade), got {p!r}.")
    backend = backend_for(V)
    coef = _wedge(as_vectors(backend, V, "V"), backend, "auto")
    if p == 1:
        return backend.xp.abs(coef).sum(-1)
    return backend.xp.sqrt(backend.xp.einsum("...i,...i->...", coef, coef))


def blade_inner(M, N):
    """Inner product of k-blades M = m_1 ^ ... ^ m_k and N = n_1 ^ ... ^ n_k (001 Sec. 2.2).

    M . N = det(<m_i, n_j>)_{i,j} = sum over blades of M_S N_S (Cauchy-Binet) = clifford
    ``(M * ~N)[()]``. Not clifford's ``M | N``, which is (-1)^(k(k-1)/2) M . N (spec 001 §1.3).

    M, N : arrays (..., k, d) of spanning vectors (batch axes broadcast). Returns (...,).
    """
    backend = backend_for(M, N)
    M = as_vectors(backend, M, "M")
    N = as_vectors(backend, N, "N")
    if M.shape[-2:] != N.shape[-2:]:
        raise GaconvexError(
            f"M and N must be blades of the same grade in the same R^d, shapes (..., k, d); got "
            f"M {tuple(M.shape)} and N {tuple(N.shape)}."
        )
    return backend.xp.linalg.det(M @ N.swapaxes(-1, -2))
