"""gaconvex: deep neural network training as convex Lasso problems with geometric-algebra features.

The pipeline is one function, :func:`gaconvex.convex_fit` (data -> dictionary -> Lasso ->
solver -> certificate -> network).  Importing ``gaconvex`` is cheap: subpackages
(``algebra``, ``symbolic``, ``dictionaries``, ``solvers``, ``networks``) are loaded on first
attribute access, and clifford, torch and cvxpy only when a function that needs them runs.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

from ._validation import GaconvexError, GaconvexWarning

_SUBMODULES = {
    "algebra",
    "symbolic",
    "data",
    "dictionaries",
    "solvers",
    "networks",
    "plotting",
    "certify",
    "fit",
    "cli",
    "estimators",
    "polishing",
}
# public name -> submodule that defines it, imported on first access
_LAZY = {"convex_fit": "fit", "ConvexFit": "fit", "ConvexNetRegressor": "estimators",
         "ConvexNetClassifier": "estimators", "polish": "polishing"}

__all__ = sorted(_SUBMODULES | set(_LAZY)) + ["GaconvexError", "GaconvexWarning", "__version__"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'gaconvex' has no attribute {name!r}")


def __dir__():
    return __all__
