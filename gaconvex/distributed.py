"""A matrix-free dictionary whose column ranges live on Dask workers (issue 11).

The working-set solver needs the full correlations c = A^T r once per outer iteration
(:mod:`gaconvex.solvers.working_set`); they are independent over columns, so the columns
1 .. P of a matrix-free :class:`~gaconvex.dictionaries.Dictionary` are cut into contiguous
*shards* of about P / n_shards columns.  A shard is metadata only: explicit blocks are cut
to the shard's rows (:meth:`Block.take`), an implicit anchor grid
(:class:`~gaconvex.dictionaries.GridBlock`, 002 Def. 3.10) travels whole (its points and sign
patterns, a few KiB) with the shard's column range.  Each shard is sent once, in the task
that builds its worker-side store; the store then stays in that worker's memory, and

* ``rmatvec(r)``: one task per shard computes A_s^T r on the worker holding the shard and
  returns its P_s numbers; the driver concatenates them (8 P bytes per pass);
* ``top_violators(r, k, beta)``: the same pass, but each shard returns only its k largest
  |A_s^T r| (with global column indices) and max_j |A_j^T r|: 16 k + 8 bytes per shard;
* ``matvec(z)``: only shards holding nonzero z_j get a task, with those (j, z_j) pairs; each
  returns A_s z_s (N numbers), summed on the driver;
* ``column_norms()``: one task per shard; ``columns(idx)``, ``to_dense()``, ``take`` are
  evaluated locally from the metadata (the families' compiled kernels).

Worker-side stores are the same column stores as in one process: the structured store's
piecewise-linear products (:class:`~gaconvex.dictionaries.StructuredColumns`, 1-D) on a
column range, or the fused kernels (:class:`~gaconvex.dictionaries.KernelColumns`, any d,
e.g. the wedge libraries of 001).  A shard's pass runs in one thread; Dask's worker threads
run shards in parallel.  The shard stores are built by ordinary tasks (not ``scatter``), so
when a worker dies the scheduler rebuilds its shards on the remaining workers from the task
definitions and reruns the lost passes: a pass either returns the exact numbers or raises
(:class:`distributed.KilledWorker` after ``allowed-failures``), never a partial result.

Use :func:`distribute` on a dictionary, or ``gaconvex.convex_fit(..., client=client)``.
Nothing here imports dask before it is called.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import GaconvexError
from .dictionaries.structured import _BATCH_ENTRIES, _MIN_CHUNK, StructuredColumns, _workspace

__all__ = ["DaskColumns", "Violators", "distribute", "shard_ranges"]


def _check_client(client):
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise GaconvexError("client= needs dask.distributed; install the extra: "
                            "pip install -e \".[distributed]\".") from exc
    if not isinstance(client, Client):
        raise GaconvexError(f"client must be a distributed.Client, got {type(client).__name__}; "
                            "start one with distributed.Client(distributed.LocalCluster()).")
    return client


def shard_ranges(n_columns: int, n_shards: int) -> list[tuple[int, int]]:
    """Contiguous column ranges [lo, hi) of sizes differing by at most one (empty ones dropped)."""
    bounds = np.linspace(0, n_columns, max(1, min(n_shards, n_columns)) + 1).astype(np.int64)
    return [(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:]) if hi > lo]


# ------------------------------------------------------------------------------------------
# worker side: the shard stores
# ------------------------------------------------------------------------------------------
class StructuredRange(StructuredColumns):
    """The structured products of the columns first .. last - 1 of each block, for the pieces
    (block, first, last): the parent's ``rmatvec``, ``matvec`` and ``column_norms``
    unchanged, with a sweep that starts at the range (an implicit grid is walked from column
    ``first`` on, never materialised) and runs in the calling thread (Dask's threads run the
    shards in parallel).  Pickles (a work-stealing worker may fetch it).  Products only: the
    inherited ``columns``, ``to_dense`` and ``take`` see whole blocks, not the ranges (the
    driver evaluates columns from the metadata)."""

    def __init__(self, X, pieces):
        super().__init__(X, [block for block, _, _ in pieces])
        self._first = [first for _, first, _ in pieces]
        sizes = [last - first for _, first, last in pieces]
        self._bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def _sweep(self, block, work, columns=None):
        from gaconvex.symbolic.piecewise_program import unit_program

        position = next(i for i, b in enumerate(self.blocks) if b is block)
        first = self._first[position]
        program = unit_program(block.family)
        step = max(_MIN_CHUNK, _BATCH_ENTRIES // (program.max_knots + 1))
        size = int(self._bounds[position + 1] - self._bounds[position])
        total = size if columns is None else len(columns)
        if columns is not None:
            columns = np.asarray(columns, dtype=np.int64) + first
        workspace = _workspace(program, min(step, max(total, 1)))
        for start in range(0, total, step):
            count = min(step, total - start)
            workspace.fill(block, start + (first if columns is None else 0), count, columns)
            work(0, slice(start, start + count), workspace.arrays(program, count, self._points))


class _Shard:
    """A worker's columns lo .. hi - 1 of the dictionary: a column store built from the
    metadata pieces (block, first, last) in the worker's memory."""

    def __init__(self, kind: str, X, pieces, backend: str):
        from gaconvex.dictionaries import KernelColumns

        if kind == "structured":
            self.store = StructuredRange(X, pieces)
        else:  # the kernels evaluate explicit blocks: a grid range is taken here, on the worker
            blocks = [block if (first, last) == (0, len(block))
                      else block.take(np.arange(first, last)) for block, first, last in pieces]
            self.store = KernelColumns(X, blocks, backend)

    def top(self, r, k: int, beta) -> tuple:
        """The k largest |A_s^T r| above beta (local indices, values) and max |A_s^T r|."""
        c = self.store.rmatvec(r)
        magnitude = np.abs(c)
        biggest = float(magnitude.max(initial=0.0))
        idx = np.flatnonzero(magnitude > beta) if beta is not None else np.arange(c.size)
        if idx.size > k:
            idx = idx[np.argpartition(-magnitude[idx], k - 1)[:k]]
        return idx, c[idx], biggest


def _build(kind, X, pieces, backend):
    return _Shard(kind, X, pieces, backend)


def _rmatvec(shard, r):
    return shard.store.rmatvec(r)


def _top(shard, r, k, beta):
    return shard.top(r, k, beta)


def _matvec(shard, local, values):
    z = np.zeros(shard.store.shape[1])
    z[local] = values
    return shard.store.matvec(z)


def _norms(shard):
    return shard.store.column_norms()


# ------------------------------------------------------------------------------------------
# driver side
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Violators:
    """The result of :meth:`DaskColumns.top_violators`: global column indices, their
    correlations A_j^T r (largest |.| first) and max_j |A_j^T r| over all P columns."""

    index: np.ndarray
    value: np.ndarray
    max_abs: float


class DaskColumns:
    """A matrix-free column store whose shards live on the workers of a Dask ``client``
    (module docstring); the same interface as the local stores (``shape``, ``backend``,
    ``device``, ``matvec``, ``rmatvec``, ``columns``, ``column_norms``, ``to_dense``,
    ``take``, ``rows``), so a :class:`~gaconvex.dictionaries.Dictionary` holding it is the
    solvers' operator unchanged.

    ``local`` is the matrix-free store being distributed (:class:`StructuredColumns` or
    :class:`KernelColumns`); ``n_shards`` defaults to twice the client's worker threads.
    ``retries`` is passed to every task (on top of the scheduler's rescheduling of the tasks
    of a dead worker).
    """

    backend, device = "dask", "cpu"
    remote = True  # solvers may ask for top_violators rather than gather all P correlations

    def __init__(self, local, client, *, n_shards: int | None = None, retries: int = 1):
        from gaconvex.dictionaries import KernelColumns, StructuredColumns

        self.client = _check_client(client)
        if isinstance(local, StructuredColumns):
            kind = "structured"
        elif isinstance(local, KernelColumns):
            kind = "kernels"
        else:
            raise GaconvexError(
                f"only matrix-free dictionaries are distributed (their columns are metadata); "
                f"this one is stored as {type(local).__name__}. Build it with "
                "storage='structured' (1-D) or storage='kernels'.")
        self.local, self.kind, self.retries = local, kind, int(retries)
        if n_shards is None:
            n_shards = 2 * max(1, sum(self.client.nthreads().values()))
        if isinstance(n_shards, (bool, np.bool_)) or int(n_shards) != n_shards or n_shards < 1:
            raise GaconvexError(f"n_shards must be a positive integer, got {n_shards!r}.")
        self.ranges = shard_ranges(local.shape[1], int(n_shards))
        self.offsets = np.array([lo for lo, _ in self.ranges] + [local.shape[1]], dtype=np.int64)
        workers = sorted(self.client.scheduler_info()["workers"])
        self.shards = [
            self.client.submit(_build, kind, local.X, self._pieces(lo, hi), local.backend,
                               pure=False, retries=self.retries,
                               workers=[workers[i % len(workers)]] if workers else None,
                               allow_other_workers=True)
            for i, (lo, hi) in enumerate(self.ranges)]
        self.bytes_sent = self.bytes_received = 0  # driver <-> workers, vectors only

    def _pieces(self, lo: int, hi: int) -> list:
        """The metadata of the columns lo .. hi - 1: (block, first, last) per block touched;
        explicit blocks are cut to their rows here, a grid travels whole with its range."""
        from gaconvex.dictionaries import GridBlock

        pieces, start = [], 0
        for block in self.local.blocks:
            first, last = max(lo - start, 0), min(hi - start, len(block))
            if first < last:
                if isinstance(block, GridBlock):  # a few KiB: the worker walks its range
                    pieces.append((block, first, last))
                else:
                    cut = block if (first, last) == (0, len(block)) else block.take(
                        np.arange(first, last))
                    pieces.append((cut, 0, last - first))
            start += len(block)
        return pieces

    def __reduce__(self):
        """Pickled (and deep-copied) as the local matrix-free store: the columns are metadata,
        so a fitted model saved from a cluster loads and predicts without one."""
        return _local_store, (self.local,)

    @property
    def shape(self) -> tuple[int, int]:
        return self.local.shape

    @property
    def X(self):
        return self.local.X

    @property
    def blocks(self):
        return self.local.blocks

    def _run(self, function, *args_per_shard) -> list:
        futures = [self.client.submit(function, shard, *args, pure=False, retries=self.retries)
                   for shard, *args in zip(self.shards, *args_per_shard)]
        return self.client.gather(futures)

    def _vector(self, v, n: int, name: str) -> np.ndarray:
        from gaconvex.dictionaries.storage import _vector

        return _vector(v, n, name)

    def rmatvec(self, r) -> np.ndarray:
        """A^T r: one pass per shard on its worker, concatenated (8 P bytes come back)."""
        r = self._vector(r, self.shape[0], "r")
        parts = self._run(_rmatvec, [r] * len(self.shards))
        self.bytes_sent += r.nbytes * len(self.shards)
        self.bytes_received += 8 * self.shape[1]
        return np.concatenate(parts) if parts else np.zeros(0)

    def top_violators(self, r, k: int, beta: float | None = None) -> Violators:
        """The k largest |A_j^T r| (over all P columns; with ``beta`` only those > beta) and
        max_j |A_j^T r|, from each shard's k largest: the driver receives <= 16 k + 8 bytes a
        shard instead of 8 P.  The screening/KKT quantities of a working-set outer iteration
        (002 Sec. 2.8: the dual point is feasible iff max |A_j^T lambda| <= beta~) need only
        these.  The working-set solver uses it with ``solver_options={"top_violators": True}``
        (it then skips gap-safe screening, which reads every c_j, and takes the held columns'
        correlations from its own working set)."""
        if isinstance(k, (bool, np.bool_)) or int(k) != k or k < 1:
            raise GaconvexError(f"k must be a positive integer, got {k!r}.")
        r = self._vector(r, self.shape[0], "r")
        beta = None if beta is None else float(beta)
        n = len(self.shards)
        parts = self._run(_top, [r] * n, [int(k)] * n, [beta] * n)
        index = np.concatenate([idx + off for (idx, _, _), off in zip(parts, self.offsets)])
        value = np.concatenate([val for _, val, _ in parts])
        order = np.argsort(-np.abs(value), kind="stable")[:int(k)]
        self.bytes_sent += r.nbytes * n
        self.bytes_received += 16 * sum(len(p[0]) for p in parts) + 8 * n
        return Violators(index[order], value[order], max((p[2] for p in parts), default=0.0))

    def matvec(self, z) -> np.ndarray:
        """A z: only the shards holding nonzero z_j get a task, with their (j, z_j) pairs."""
        z = self._vector(z, self.shape[1], "z")
        nonzero = np.flatnonzero(z)
        owner = np.searchsorted(self.offsets, nonzero, side="right") - 1
        futures = []
        for s in np.unique(owner):
            local = nonzero[owner == s] - self.offsets[s]
            values = z[nonzero[owner == s]]
            futures.append(self.client.submit(_matvec, self.shards[s], local, values,
                                              pure=False, retries=self.retries))
            self.bytes_sent += local.nbytes + values.nbytes
        out = np.zeros(self.shape[0])
        for part in self.client.gather(futures):
            out += part
        self.bytes_received += 8 * self.shape[0] * len(futures)
        return out

    def column_norms(self) -> np.ndarray:
        """||A_j||_2 for every column, one pass per shard on its worker."""
        parts = self._run(_norms)
        self.bytes_received += 8 * self.shape[1]
        return np.concatenate(parts) if parts else np.zeros(0)

    def columns(self, idx) -> np.ndarray:
        """The columns ``idx``, evaluated here from the metadata (the families' kernels)."""
        return self.local.columns(idx)

    def to_dense(self) -> np.ndarray:
        return self.local.to_dense()

    def take(self, keep):
        """A subset of the columns, as a local store (subsets are working sets: small)."""
        return self.local.take(keep)

    def rows(self, points, index) -> "DaskColumns":
        return DaskColumns(self.local.rows(points, index), self.client,
                           n_shards=len(self.shards), retries=self.retries)

    def close(self) -> None:
        """Release the shards from the workers' memory."""
        self.client.cancel(self.shards)
        self.shards = []

    def __repr__(self) -> str:
        return (f"DaskColumns({self.kind}, shape={self.shape}, {len(self.shards)} shards on "
                f"{len(self.client.scheduler_info()['workers'])} workers)")


def _local_store(local):
    """The unpickling of a :class:`DaskColumns`: its local store (see ``__reduce__``)."""
    return local


def distribute(dictionary, client, *, n_shards: int | None = None, retries: int = 1):
    """The same :class:`~gaconvex.dictionaries.Dictionary` (architecture, points, blocks,
    unpenalized columns, report) with its matrix-free store replaced by a
    :class:`DaskColumns` on ``client``'s workers; the solvers use it unchanged."""
    from gaconvex.dictionaries import Dictionary

    if not isinstance(dictionary, Dictionary):
        raise GaconvexError(f"distribute takes a gaconvex Dictionary, got "
                            f"{type(dictionary).__name__}.")
    if isinstance(dictionary.store, DaskColumns):
        return dictionary
    store = DaskColumns(dictionary.store, client, n_shards=n_shards, retries=retries)
    return Dictionary(dictionary.architecture, dictionary.X, dictionary.blocks, store,
                      dictionary.unpenalized, dictionary.report)
