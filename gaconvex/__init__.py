"""gaconvex: deep neural network training as convex Lasso problems with geometric-algebra features.

Importing ``gaconvex`` is cheap: subpackages (``algebra``, ``symbolic``, ``dictionaries``,
``solvers``, ``networks``) are loaded on first attribute access, and clifford, torch and
cvxpy only when a function that needs them runs.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "algebra",
    "symbolic",
    "dictionaries",
    "solvers",
    "networks",
    "estimators",
    "plotting",
    "certify",
    "cli",
}

__all__ = sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'gaconvex' has no attribute {name!r}")


def __dir__():
    return __all__
