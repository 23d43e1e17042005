"""Geometric (Clifford) algebra on stacks of vectors: the features of the convex reformulations.

Every function takes arrays with leading batch axes (vectors as rows, shape (..., k, d)) and
returns arrays: numpy float64 in -> numpy out (numba kernels), torch tensors in -> torch out on
the same device. ``clifford_bridge`` holds the exact clifford reference path (imported lazily).
Conventions: docs/algebra.md.
"""
from .distances import (
    distance_to_affine_hull,
    distance_to_span,
    project_onto_blade,
    reject_from_blade,
)
from .exterior import blade_inner, blade_norm, blade_order, generalized_cross, hodge_dual, wedge
from .reflections import (
    generalized_reflection,
    reflect_across_hyperplane,
    reflect_hyperplane_across_hyperplane,
    reflect_point,
)
from .volumes import parallelotope_volume, signed_volume, simplex_volume, triangle_area_2d

__all__ = [
    "blade_order",
    "wedge",
    "hodge_dual",
    "generalized_cross",
    "blade_norm",
    "blade_inner",
    "signed_volume",
    "parallelotope_volume",
    "simplex_volume",
    "triangle_area_2d",
    "distance_to_span",
    "distance_to_affine_hull",
    "project_onto_blade",
    "reject_from_blade",
    "reflect_point",
    "generalized_reflection",
    "reflect_across_hyperplane",
    "reflect_hyperplane_across_hyperplane",
]
