"""Lasso dictionaries: the solver's operators, with per-column metadata.

:class:`Dictionary` is dimension-free (points X of shape (N, d), blocks of columns per symbolic
feature family, a dense / torch / matrix-free column store); :func:`library_1d` builds the
1-D libraries of the Library of Mirrors (002 Table 3.1), whose products the structured store
computes from each column's piecewise-linear form.  This package does not import the
solvers it feeds.
"""
from gaconvex.data import merge_duplicate_points

from .library import (Block, ColumnInfo, DeduplicationReport, Dictionary, GridBlock, GridRows,
                      deduplicate_columns)
from .one_d import (DEFAULT_MEMORY_LIMIT, STORAGES, deep_narrow_library, library_1d,
                    symmetrized_library, two_layer_library)
from .storage import DenseColumns, KernelColumns, TorchColumns
from .structured import PiecewiseBatch, StructuredColumns, piecewise_batch
from .reflection_planes import (ReflectionPlaneBlock, ReflectionPlaneReport,
                                reflection_plane_library)
from .wedge import (WEDGE_STORAGES, WedgeBlock, WedgeReport, chamber_diameter,
                    local_chamber_diameter, wedge_library)
from .wedge_three_layer import (ThreeLayerWedgeBlock, ThreeLayerWedgeReport,
                                three_layer_wedge_library)

__all__ = ["Block", "ColumnInfo", "DeduplicationReport", "Dictionary", "GridBlock", "GridRows",
           "deduplicate_columns", "DEFAULT_MEMORY_LIMIT", "STORAGES", "DenseColumns",
           "KernelColumns", "TorchColumns", "StructuredColumns", "PiecewiseBatch",
           "piecewise_batch", "build_dictionary", "deep_narrow_library", "library_1d",
           "merge_duplicate_points", "symmetrized_library", "two_layer_library",
           "WEDGE_STORAGES", "WedgeBlock", "WedgeReport", "wedge_library", "chamber_diameter",
           "local_chamber_diameter", "ReflectionPlaneBlock", "ReflectionPlaneReport",
           "reflection_plane_library", "ThreeLayerWedgeBlock", "ThreeLayerWedgeReport",
           "three_layer_wedge_library", "default_storage"]


def build_dictionary(X, architecture, **options) -> Dictionary:
    """The Lasso dictionary of ``architecture`` on the points X (N, d): the builder of its
    family (wedge networks of 001, any d: :func:`wedge_library`; deep narrow abs of 000:
    :func:`reflection_plane_library`) or of its input dimension
    (1-D: :func:`library_1d`); ``options`` go to the builder."""
    return _builder(architecture)(X, architecture, **options)


def default_storage(architecture, backend: str = "numba") -> str:
    """The storage ``convex_fit(..., storage="auto")`` picks: "structured" for the 1-D
    libraries (:func:`library_1d`) on the numba backend (products from the columns'
    piecewise-linear forms: no matrix, no deduplication pass), else "dense"."""
    one_d = _builder(architecture) is library_1d
    return "structured" if one_d and backend == "numba" else "dense"


def _builder(architecture):
    """The dictionary builder of ``architecture`` (the dispatch of :func:`build_dictionary`)."""
    from gaconvex._validation import GaconvexError
    from gaconvex.symbolic import is_reflection_planes, is_wedge, is_wedge_three_layer

    if is_wedge(architecture):
        return wedge_library
    if is_wedge_three_layer(architecture):  # 3-layer ReLU on R^d (001 Thms 12, 13)
        return three_layer_wedge_library
    if is_reflection_planes(architecture):  # deep narrow abs on R^d (000), also for d = 1
        return reflection_plane_library
    if architecture.dim == 1:
        return library_1d
    raise GaconvexError(f"no dictionary builder for {architecture} (input dimension "
                        f"{architecture.dim}) yet; the 1-D libraries need dim=1.")
