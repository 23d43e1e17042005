"""Grids of independent fits, serially or as Dask tasks, into one tidy table (issue 11).

The papers' experiments repeat a fit over sampled libraries, depths, seeds and betas (002
Figs. 4.6-4.7: 200 sampled libraries per depth) or over Adam restarts.  :func:`run_grid` runs
``fn(**point)`` for every point of a grid: with a ``distributed.Client`` as one task per point
(``client.map``, Dask's progress bar, retries when a worker dies), otherwise serially in this
process with a rich progress bar.  Each row of the returned pandas table holds the point's
parameters, the numbers ``fn`` returned and the task's wall time; rows follow the grid's order
whatever order the tasks ran in, so a serial and a distributed run give the same table (up to
the timing columns, :data:`TIMING_COLUMNS`).

:func:`convex_fit_task` is the ready-made ``fn`` for convex fits (use ``functools.partial``
to bind the data); :func:`fit_record` turns a :class:`~gaconvex.fit.ConvexFit` into a row.
pandas and dask are imported only when called.
"""
from __future__ import annotations

import itertools
import numbers
import time
from collections.abc import Mapping, Sequence

import numpy as np

from ._validation import GaconvexError

__all__ = ["run_grid", "grid_points", "fit_record", "convex_fit_task", "TIMING_COLUMNS"]

#: Columns of wall times: they differ between runs, everything else is reproducible.
TIMING_COLUMNS = ("seconds", "t_data", "t_dictionary", "t_solve", "t_certify")


def grid_points(grid) -> list[dict]:
    """The points of ``grid``: a mapping name -> values is the Cartesian product (the last
    name varies fastest); a sequence of mappings is taken as the list of points."""
    if isinstance(grid, Mapping):
        names = list(grid)
        for name in names:
            if not isinstance(name, str):
                raise GaconvexError(f"grid parameter names must be strings, got {name!r}.")
            if isinstance(grid[name], (str, bytes)) or not isinstance(grid[name], Sequence):
                raise GaconvexError(f"grid[{name!r}] must be a list of values, got "
                                    f"{type(grid[name]).__name__}; wrap one value as [value].")
        return [dict(zip(names, values)) for values in itertools.product(*grid.values())]
    if isinstance(grid, Sequence) and not isinstance(grid, (str, bytes)) and all(
            isinstance(p, Mapping) for p in grid):
        return [dict(p) for p in grid]
    raise GaconvexError("grid must be a mapping name -> list of values (a product grid) or a "
                        f"list of mappings (the points), got {type(grid).__name__}.")


def fit_record(fit, tol: float = 1e-6) -> dict:
    """One row for a :class:`~gaconvex.fit.ConvexFit`: training objective (1.1), the Lasso
    objective, certificate verdict and relative duality gap, m* (nonzero coefficients),
    library size, solver status and the step timings."""
    cert = fit.certificate
    record = {
        "objective": float(fit.objective),
        "lasso_objective": float(fit.solution.objective),
        "m_star": int(fit.support.size),
        "n_columns": int(fit.dictionary.n_columns),
        "status": str(fit.solution.status),
        "certified": None if cert is None else bool(cert.ok(tol)),
        "verdict": None if cert is None else cert.verdict(tol),
        "relative_gap": None if cert is None else float(cert.lasso.relative_gap),
    }
    for step in ("data", "dictionary", "solve", "certify"):
        record[f"t_{step}"] = float(fit.timings.get(step, np.nan))
    return record


def convex_fit_task(X, y, *, activation: str, depth: int, beta: float, seed=None,
                    architecture_options: Mapping | None = None, **options) -> dict:
    """``fit_record(convex_fit(X, y, architecture(activation, depth, **architecture_options),
    beta, seed=seed, **options))``: bind X, y (and fixed options) with functools.partial and
    put activation, depth, beta, seed, max_columns, ... in the grid."""
    from .fit import convex_fit
    from .symbolic import architecture

    arch = architecture(activation, depth, **dict(architecture_options or {}))
    return fit_record(convex_fit(X, y, arch, beta, seed=seed, **options))


def _evaluate(point: dict, fn) -> dict:
    """fn(**point) as a row: the point, fn's numbers, and the wall time."""
    start = time.perf_counter()
    result = fn(**point)
    if hasattr(result, "certificate") and hasattr(result, "solution"):
        result = fit_record(result)
    if not isinstance(result, Mapping):
        raise GaconvexError(f"the grid function must return a mapping of results (or a "
                            f"ConvexFit), got {type(result).__name__}.")
    clash = sorted(set(result) & set(point))
    if clash:
        raise GaconvexError(f"the grid function returned keys {clash} that are grid parameters; "
                            "rename them.")
    return {**point, **result, "seconds": time.perf_counter() - start}


def run_grid(fn, grid, *, client=None, progress: bool = True, retries: int = 2):
    """Run ``fn(**point)`` for every point of ``grid`` (:func:`grid_points`) and return a
    pandas DataFrame, one row per point in grid order: the parameters, ``fn``'s results (a
    mapping, or a ConvexFit through :func:`fit_record`) and ``seconds``.

    With ``client`` (a ``distributed.Client``) every point is one task (``client.map``; a
    task whose worker dies is rerun elsewhere, ``retries`` more times if it raises; an error
    is raised, never a row dropped) and ``progress`` shows ``distributed.progress``;
    otherwise the points run here in order under a rich progress bar.  ``fn`` must be
    picklable for Dask (a module-level function or a functools.partial of one).
    """
    import pandas as pd

    points = grid_points(grid)
    if not callable(fn):
        raise GaconvexError(f"fn must be callable, got {type(fn).__name__}.")
    if isinstance(retries, (bool, np.bool_)) or not isinstance(retries, numbers.Integral) \
            or retries < 0:
        raise GaconvexError(f"retries must be an integer >= 0, got {retries!r}.")
    if client is None:
        if progress:
            from rich.progress import track

            rows = [_evaluate(p, fn) for p in track(points, description="fits")]
        else:
            rows = [_evaluate(p, fn) for p in points]
    else:
        from .distributed import _check_client

        _check_client(client)
        futures = client.map(_evaluate, points, fn=fn, pure=False, retries=int(retries))
        if progress:
            from distributed import progress as dask_progress

            dask_progress(futures)
        rows = client.gather(futures)
    return pd.DataFrame(rows)
