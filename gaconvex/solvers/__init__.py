"""Lasso solvers for the convex reformulations of deep networks.

The problem (002, eq. (1.2), with unpenalized columns U and general losses, Lemma D.16):

    min_{z, xi, omega}  L_y(A z + xi 1 + U omega) + beta_t ||z||_1,

``LassoProblem`` validates it, ``solve`` dispatches to a registered solver (``"reference"``:
cvxpy + Clarabel) and attaches a ``LassoCertificate`` (duality gap, KKT residual, m*);
``min_norm`` solves the beta -> 0 limit (002, (C.1)) and ``sparsify`` turns an
interior-point solution into a vertex with m* <= N, both as HiGHS LPs. Solvers reach the
dictionary only through a ``DictionaryOperator`` (``as_operator``). Importing this package
does not import cvxpy or scipy.optimize.
"""
from .certificates import LassoCertificate, certificate
from .datafits import L1Loss, QuantileLoss, SquaredLoss
from .min_norm import min_norm, sparsify
from .operator import DictionaryOperator, MatrixOperator, as_operator
from .problem import LassoProblem
from .reference import solve_reference
from .registry import SOLVERS, register_solver, solve
from .solution import LassoSolution

__all__ = [
    "DictionaryOperator",
    "L1Loss",
    "LassoCertificate",
    "LassoProblem",
    "LassoSolution",
    "MatrixOperator",
    "QuantileLoss",
    "SOLVERS",
    "SquaredLoss",
    "as_operator",
    "certificate",
    "min_norm",
    "register_solver",
    "solve",
    "solve_reference",
    "sparsify",
]
