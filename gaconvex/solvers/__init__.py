"""Lasso solvers for the convex reformulations of deep networks.

The problem (002, eq. (1.2), with unpenalized columns U and general losses, Lemma D.16):

    min_{z, xi, omega}  L_y(A z + xi 1 + U omega) + beta_t ||z||_1,

``LassoProblem`` validates it (``LassoProblem.from_dictionary`` takes beta~, the intercept and
U from a dictionary), ``solve`` rescales it, dispatches to a registered solver (``"reference"``:
cvxpy + Clarabel; ``"min_norm"``; ``"working_set"``; ``"fista"``: torch FISTA with an exact
finish; ``"auto"`` picks) and attaches a ``LassoCertificate``; ``GroupLassoProblem`` is the
group Lasso of vector outputs (001 Thm 14), solved by ``solve`` / ``solve_group``
(duality gap, KKT residual, m*);
``min_norm`` solves the beta -> 0 limit (002, (C.1)) and ``sparsify`` turns an
interior-point solution into a vertex with m* <= N, both as HiGHS LPs. Solvers reach the
dictionary only through a ``DictionaryOperator`` (``as_operator``). Importing this package
does not import cvxpy or scipy.optimize.
"""
from .certificates import LassoCertificate, certificate
from .datafits import (DATAFITS, Datafit, L1Loss, LogisticLoss, QuantileLoss, SquaredHingeLoss,
                       SquaredLoss)
from .first_order import fista, solve_fista
from .group_lasso import (GroupLassoCertificate, GroupLassoProblem, GroupLassoSolution,
                          group_certificate, solve_group)
from .linear_programs import min_norm, solve_min_norm, sparsify
from .operator import DictionaryOperator, MatrixOperator, ScaledOperator, as_operator
from .problem import LassoProblem
from .reference import solve_reference
from .registry import SOLVERS, choose_solver, register_solver, solve
from .scaling import ProblemScale, rescale
from .solution import LassoSolution, support
from .working_set import ActiveSetLasso, lasso_path, solve_working_set

__all__ = [
    "ActiveSetLasso",
    "GroupLassoCertificate",
    "GroupLassoProblem",
    "GroupLassoSolution",
    "LogisticLoss",
    "SquaredHingeLoss",
    "fista",
    "group_certificate",
    "solve_fista",
    "solve_group",
    "lasso_path",
    "solve_working_set",
    "DATAFITS",
    "Datafit",
    "ProblemScale",
    "ScaledOperator",
    "choose_solver",
    "rescale",
    "solve_min_norm",
    "support",
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
