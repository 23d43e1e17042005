"""gaconvex.symbolic: the single source of truth for every feature formula in gaconvex.

Derives, with sympy, what an architecture's Lasso features are (:func:`derive`), where they
break and which reflections those breaks are, closed forms of the beta -> 0 limit, and
compiles features into numpy / numba / torch kernels.  Submodules load on first use.
"""
from __future__ import annotations

import importlib

from .activations import (ACTIVATIONS, Activation, absolute, get_activation, leaky_relu,
                          piecewise_linear, relu, sign, threshold)
from .architecture import MAX_DEPTH, Architecture, architecture
from .derivation import FeatureFamily, Layer, Library, derive, forward, propagate
from .families import FAMILIES, NetworkFamily, get_family, register_family
# The built-in network families register themselves on import.
from .deep_narrow import DEEP_NARROW
from .symmetrized import SYMMETRIZED
from .wedge import WEDGE, WedgeFeatureFamily, is_wedge
from .wedge_three_layer import WEDGE_THREE_LAYER, ThreeLayerWedgeFamily, is_wedge_three_layer
from .reflection_planes import (DEEP_NARROW_DDIM, ReflectionPlane, ReflectionPlaneFamily,
                                is_reflection_planes)
# Eager: the function `breakpoints` shares its name with its submodule, and importing a
# submodule binds the package attribute to the module, which a lazy name cannot win against.
from .breakpoints import Breakpoint, breakpoints
from .describe import describe  # same reason: `describe` is also its submodule's name

# name -> submodule, imported on first access (keeps `import gaconvex.symbolic` light).
_LAZY = {
    "compile": "codegen",
    "Kernel": "codegen",
    "PiecewiseLinear": "piecewise",
    "UnitProgram": "piecewise_program",
    "unit_program": "piecewise_program",
    "reflection_order": "reflections",
    "label_point": "reflections",
    "closed_forms": None,
    "theorems": None,
}

__all__ = ["ACTIVATIONS", "Activation", "absolute", "get_activation", "leaky_relu",
           "piecewise_linear", "relu", "sign", "threshold", "FAMILIES", "NetworkFamily",
           "get_family", "register_family", "DEEP_NARROW", "SYMMETRIZED", "WEDGE",
           "WedgeFeatureFamily", "is_wedge", "WEDGE_THREE_LAYER", "ThreeLayerWedgeFamily",
           "is_wedge_three_layer", "DEEP_NARROW_DDIM", "ReflectionPlane",
           "ReflectionPlaneFamily", "is_reflection_planes", "MAX_DEPTH",
           "Architecture", "architecture", "FeatureFamily", "Layer", "Library", "derive", "forward",
           "propagate", "Breakpoint", "breakpoints", "describe", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name] or name}")
        return module if _LAZY[name] is None else getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
