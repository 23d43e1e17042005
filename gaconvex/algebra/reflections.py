"""Reflections of points and hyperplanes.

Sources: 000 Sec. 1, Sec. 2.4 and Thm 4.3; 002 Sec. 3.1; spec 001 §1.7.

Hyperplanes are written two ways, both as in the papers:
* H(p, w) = {x : (x - p) . w = 0}, through the point p with normal w (000 Sec. 4.1);
* {x : x . n = offset}, with normal n and offset (``reflect_across_hyperplane``).
H(p, w) is {x : x . w = p . w}.
"""
from __future__ import annotations

from .._validation import GaconvexError
from ._backend import as_points, backend_for

__all__ = [
    "reflect",
    "reflect_point",
    "generalized_reflection",
    "reflect_across_hyperplane",
    "reflect_hyperplane_across_hyperplane",
]


def _as_arrays(backend, **arrays):
    return [backend.asarray(a, name) for name, a in arrays.items()]


def _dot(backend, u, v):
    return backend.xp.einsum("...i,...i->...", u, v)


def _nonzero_normal(backend, n, name: str):
    if bool((_dot(backend, n, n) == 0).any()):
        raise GaconvexError(
            f"{name} must be a nonzero normal vector; got a zero vector (no hyperplane)."
        )


def reflect(a, b):
    """R(a, b) = 2b - a, the reflection of a about b (000 Sec. 1; 002 Sec. 1.2): the one place
    this formula is written; works on numbers, arrays, tensors and sympy expressions alike."""
    return 2 * b - a


def reflect_point(a, b):
    """Reflection of a about b: R_(a,b) = 2b - a (000 Sec. 1; 002 Sec. 3.1).

    The first argument is reflected, the second is the mirror point; R_(R_(a,b), b) = a.
    a, b : arrays (scalars for 1-D data, or (..., d)), broadcast. Returns their broadcast shape.
    """
    backend = backend_for(a, b)
    a, b = _as_arrays(backend, a=a, b=b)
    return reflect(a, b)


def generalized_reflection(a, c, b):
    """Generalized reflection of a and c about b: a + c - b = R_(b, (a+c)/2) (002 Sec. 3.1).

    It is the reflection of b about the midpoint of a and c. For a = c it is 2a - b = R_(b, a),
    the reflection of b about a. (002 Sec. 3.1 says "the reflection of a about b" here, which
    would be 2b - a: the roles are swapped in the paper's sentence.)
    a, c, b : arrays, broadcast. Returns their broadcast shape.
    """
    backend = backend_for(a, c, b)
    a, c, b = _as_arrays(backend, a=a, c=c, b=b)
    return a + c - b


def reflect_across_hyperplane(x, normal, offset=0.0):
    """Mirror image of x in the hyperplane {y : y . n = offset} (spec 001 §1.7; not in the papers).

    x' = x - 2 (x . n - offset) n / ||n||^2. For offset = 0 this is the versor form -n x n^{-1};
    the hyperplane of a (d-1)-blade B has normal n = star(B), and is the ReLU breakline
    {x : x ^ B = 0}.

    x : (..., d); normal : (..., d), nonzero; offset : (...,) or scalar. Returns (..., d).
    """
    backend = backend_for(x, normal, offset)
    normal = backend.asarray(normal, "normal")
    if normal.ndim < 1 or normal.shape[-1] < 1:
        raise GaconvexError(
            f"normal must be a vector of shape (..., d), got shape {tuple(normal.shape)}."
        )
    x = as_points(backend, x, "x", normal.shape[-1])
    offset = backend.asarray(offset, "offset")
    _nonzero_normal(backend, normal, "normal")
    scale = 2.0 * (_dot(backend, x, normal) - offset) / _dot(backend, normal, normal)
    return x - scale[..., None] * normal


def reflect_hyperplane_across_hyperplane(p, w, q, v=None):
    """Reflect the hyperplane H(p, w) across the mirror H(q, v); returns (point, normal).

    Parallel mirror (v=None, i.e. v = w; 000 Thm 4.3 and Sec. 2.4): reflecting H(p, w) across
    H(q, w) gives H(2q - p, w) = H(R_(p,q), w); returned as (2q - p, w).

    General mirror (v given): the image of H(p, w) under the mirror map M is H(M(p), M_0(w)),
    with M(p) = p - 2 ((p - q) . v) v / ||v||^2 (``reflect_across_hyperplane(p, v, q . v)``) and
    the reflected normal M_0(w) = w - 2 (w . v) v / ||v||^2 = -v w v^{-1}. For v parallel to w
    this is the same plane as the parallel formula, with normal -w and another base point.

    p, w, q, v : arrays (..., d), broadcast; w and v nonzero.
    """
    backend = backend_for(p, w, q, v)
    w = backend.asarray(w, "w")
    if w.ndim < 1 or w.shape[-1] < 1:
        raise GaconvexError(
            f"w must be a normal vector of shape (..., d), got shape {tuple(w.shape)}."
        )
    d = w.shape[-1]
    p, q = as_points(backend, p, "p", d), as_points(backend, q, "q", d)
    _nonzero_normal(backend, w, "w")
    if v is None:
        return 2.0 * q - p, w
    v = as_points(backend, v, "v", d)
    point = reflect_across_hyperplane(p, v, _dot(backend, q, v))
    return point, reflect_across_hyperplane(w, v)
