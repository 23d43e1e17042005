"""The front door ``solve``: pick a solver by name, attach a certificate.

Solvers are functions ``solver(problem, **options) -> LassoSolution`` registered under a
name; fast solvers (working-set coordinate descent, FISTA) plug in with ``register_solver``
and are then reachable as ``solve(problem, solver="name")``.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from .._validation import GaconvexError
from .certificates import certificate
from .min_norm import sparsify
from .problem import LassoProblem
from .reference import solve_reference
from .solution import LassoSolution

__all__ = ["SOLVERS", "register_solver", "solve"]

SolverFunction = Callable[..., LassoSolution]

SOLVERS: dict[str, SolverFunction] = {"reference": solve_reference}


def register_solver(name: str, function: SolverFunction, *, overwrite: bool = False) -> None:
    """Make ``function(problem, **options) -> LassoSolution`` available as ``solve(..., solver=name)``."""
    if name in SOLVERS and not overwrite:
        raise GaconvexError(
            f"a solver named {name!r} is already registered; pass overwrite=True to replace it."
        )
    SOLVERS[name] = function


def solve(problem: LassoProblem, solver: str = "reference", *, sparse: bool = False, **options) -> LassoSolution:
    """Solve ``problem`` with the named solver and attach its ``LassoCertificate``.

    ``sparse=True`` post-processes with ``sparsify`` (a vertex solution, m* <= N), as needed
    before reconstructing a network of width m* (002 Thm 3.11). ``options`` go to the solver.
    """
    if not isinstance(problem, LassoProblem):
        raise GaconvexError(
            f"solve expects a LassoProblem, got {type(problem).__name__}; build one with "
            "LassoProblem(A, y, beta_t)."
        )
    if solver not in SOLVERS:
        raise GaconvexError(
            f"unknown solver {solver!r}; available: {sorted(SOLVERS)} "
            "(add one with gaconvex.solvers.register_solver)."
        )
    solution = SOLVERS[solver](problem, **options)
    if sparse:
        solution = sparsify(problem, solution)
    return dataclasses.replace(solution, certificate=certificate(problem, solution))
