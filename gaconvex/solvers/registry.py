"""The front door ``solve``: rescale, pick a solver by name, attach a certificate.

Solvers are functions ``solver(problem, **options) -> LassoSolution`` registered under a
name; more solvers plug in with ``register_solver`` and are then reachable as
``solve(problem, solver="name")``.  ``solver="auto"`` picks one: the minimum-norm LP for
beta_t = 0, the exact working-set solver otherwise (``"reference"``: cvxpy + Clarabel).  Every solve runs on the
exactly rescaled unit-size problem (:mod:`.scaling`) and is mapped back.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from .._validation import GaconvexError
from .certificates import certificate
from .first_order import solve_fista, solve_newton
from .group_lasso import GroupLassoProblem, solve_group
from .linear_programs import solve_min_norm, sparsify
from .problem import LassoProblem
from .reference import solve_reference
from .scaling import rescale
from .solution import LassoSolution
from .working_set import solve_working_set

__all__ = ["SOLVERS", "choose_solver", "register_solver", "solve"]

SolverFunction = Callable[..., LassoSolution]

SOLVERS: dict[str, SolverFunction] = {"reference": solve_reference, "min_norm": solve_min_norm,
                                      "working_set": solve_working_set, "fista": solve_fista,
                                      "newton": solve_newton}


#: Solvers whose inner solve is exact only for the squared loss or the piecewise-linear losses.
_SQUARED_OR_LP = ("working_set",)


def choose_solver(problem: LassoProblem) -> str:
    """The solver ``"auto"`` stands for: the min-norm LP at beta_t = 0; the exact working-set
    solver for the squared loss and the piecewise-linear losses; the working-set Newton method
    (``"newton"``: FISTA's exact finish started from z = 0) for the other smooth losses (squared
    hinge, logistic); ``"fista"`` (torch, any device) is available by name."""
    if problem.beta_t == 0:
        return "min_norm"
    if problem.datafit.smooth and not problem.datafit.quadratic:
        return "newton"
    return "working_set"


def register_solver(name: str, function: SolverFunction, *, overwrite: bool = False) -> None:
    """Make ``function(problem, **options) -> LassoSolution`` available as ``solve(..., solver=name)``."""
    if name in SOLVERS and not overwrite:
        raise GaconvexError(
            f"a solver named {name!r} is already registered; pass overwrite=True to replace it."
        )
    SOLVERS[name] = function


def solve(problem: LassoProblem, solver: str = "auto", *, sparse: bool = False,
          **options) -> LassoSolution:
    """Solve ``problem`` with the named solver and attach its ``LassoCertificate``.

    The solver sees the rescaled unit-size problem (:func:`.scaling.rescale`); the solution
    and its certificate (computed on the rescaled problem, where float64 has room) are mapped
    back.  ``sparse=True`` post-processes with ``sparsify`` (a vertex solution, m* <= N), as
    needed before reconstructing a network of width m* (002 Thm 3.11).  ``options`` go to the
    solver.  A :class:`GroupLassoProblem` (vector outputs, 001 Thm 14) goes to
    :func:`.group_lasso.solve_group` (solvers "auto", "working_set", "reference").
    """
    if isinstance(problem, GroupLassoProblem):
        if sparse:
            raise GaconvexError("sparse=True (a vertex solution) is not available for the group "
                                "Lasso; solve without it.")
        return solve_group(problem, solver, **options)
    if not isinstance(problem, LassoProblem):
        raise GaconvexError(
            f"solve expects a LassoProblem or a GroupLassoProblem, got {type(problem).__name__}; "
            "build one with LassoProblem(A, y, beta_t) or LassoProblem.from_dictionary(D, y, beta)."
        )
    name = choose_solver(problem) if solver == "auto" else solver
    if name not in SOLVERS:
        raise GaconvexError(
            f"unknown solver {solver!r}; available: {sorted(SOLVERS) + ['auto']} "
            "(add one with gaconvex.solvers.register_solver)."
        )
    if problem.beta_t == 0 and name != "min_norm":
        raise GaconvexError(
            f"beta_t = 0 asks for the minimum-norm interpolation limit (002 (C.1)), which the "
            f"{name!r} solver does not solve; use solver='min_norm' or 'auto'.")
    if name in _SQUARED_OR_LP and problem.datafit.smooth and not problem.datafit.quadratic:
        raise GaconvexError(
            f"the {name!r} solver is exact for the squared and piecewise-linear losses only, "
            f"not {problem.datafit!r}; use solver='auto' (or {choose_solver(problem)!r}).")
    scaled, scale = rescale(problem)
    solution = SOLVERS[name](scaled, **options)
    if sparse and problem.beta_t > 0:
        solution = sparsify(scaled, solution)
    solution = dataclasses.replace(solution, certificate=certificate(scaled, solution))
    return scale.solution(solution)
