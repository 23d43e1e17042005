"""Lasso dictionaries: 1-D libraries of the Library of Mirrors (002 Table 3.1)."""
from .library import Block, ColumnInfo, DeduplicationReport, Dictionary, deduplicate_columns
from .operator import LibraryOperator
from .one_d import (DEFAULT_MEMORY_LIMIT, deep_narrow_library, library_1d, merge_duplicate_points,
                    symmetrized_library, two_layer_library)

__all__ = ["Block", "ColumnInfo", "DeduplicationReport", "Dictionary", "deduplicate_columns",
           "DEFAULT_MEMORY_LIMIT", "LibraryOperator", "deep_narrow_library", "library_1d", "merge_duplicate_points",
           "symmetrized_library", "two_layer_library"]
