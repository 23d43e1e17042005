"""Dask scale-out (issue 11): the distributed dictionary operator against the dense matrix and
the single-process fit, the experiment grid serial vs on a LocalCluster, and killed workers.

One LocalCluster (2 worker processes, 1 thread each) is started by a module fixture and closed
at the end.  Oracles: the dense matrix (products), cvxpy + Clarabel (the Lasso optimum), the
single-process pipeline (objective to 1e-8 relative, same support), the serial grid run.
"""
from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from lasso_oracles import cvxpy_lasso_value  # noqa: E402

import gaconvex.symbolic as gs  # noqa: E402
from gaconvex import convex_fit  # noqa: E402
from gaconvex._validation import GaconvexError  # noqa: E402
from gaconvex.dictionaries import build_dictionary, library_1d  # noqa: E402
from gaconvex.distributed import DaskColumns, distribute, shard_ranges  # noqa: E402
from gaconvex.experiments import TIMING_COLUMNS, convex_fit_task, grid_points, run_grid  # noqa: E402


@pytest.fixture(scope="module")
def client():
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 2}):
        cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    try:
        client.wait_for_workers(2, timeout=120)
        yield client
    finally:
        client.close()
        cluster.close()


def _data(n, seed=0, dim=1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, dim)) if dim > 1 else np.sort(rng.uniform(-1, 1, n))
    y = (np.sin(3 * X[:, 0]) + X[:, 1] ** 2 if dim > 1 else np.sin(3 * X)) \
        + 0.1 * rng.standard_normal(n)
    return X, y


def _workers_of(stream, prefix):
    """The workers that ran tasks whose key starts with ``prefix`` (the function's name)."""
    return {t["worker"] for t in stream if str(t["key"]).startswith(prefix)}


def test_shard_ranges_cover_the_columns_once():
    for p, s in [(10, 3), (7, 7), (5, 9), (1, 4), (10**9, 64)]:
        ranges = shard_ranges(p, s)
        assert ranges[0][0] == 0 and ranges[-1][1] == p
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        sizes = [hi - lo for lo, hi in ranges]
        assert min(sizes) >= 1 and max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("storage", ["structured", "kernels"])
def test_operator_products_equal_the_dense_matrix(client, storage):
    """rmatvec, sparse matvec, column norms and columns of the sharded operator against the
    evaluated matrix; 7 shards cut both families' anchor grids mid-block."""
    x, _ = _data(23, seed=1)
    D = library_1d(x, gs.architecture("abs", 3, midpoints=True), storage=storage)
    A = D.to_dense()
    DD = distribute(D, client, n_shards=7)
    assert isinstance(DD.store, DaskColumns) and DD.shape == A.shape
    rng = np.random.default_rng(2)
    r = rng.standard_normal(A.shape[0])
    scale = np.abs(A).sum(0) * np.abs(r).max()
    np.testing.assert_allclose(DD.rmatvec(r), A.T @ r, rtol=0, atol=1e-12 * scale.max())
    z = np.zeros(A.shape[1])
    z[rng.choice(A.shape[1], 15, replace=False)] = rng.standard_normal(15)
    np.testing.assert_allclose(DD.matvec(z), A @ z, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(DD.column_norms(), np.linalg.norm(A, axis=0), rtol=1e-12)
    idx = [0, 5, A.shape[1] - 1, 700]
    np.testing.assert_array_equal(DD.columns(idx), A[:, idx])
    assert DD.store.bytes_received >= 8 * A.shape[1]


def test_top_violators_are_the_largest_correlations(client):
    x, _ = _data(31, seed=3)
    D = library_1d(x, gs.architecture("abs", 3, midpoints=True), storage="structured")
    A = D.to_dense()
    store = distribute(D, client, n_shards=5).store
    r = np.random.default_rng(4).standard_normal(A.shape[0])
    c = A.T @ r
    top = store.top_violators(r, 12)
    assert top.index.size == 12 and top.max_abs == pytest.approx(np.abs(c).max(), rel=1e-12)
    np.testing.assert_allclose(top.value, c[top.index], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.abs(top.value), np.sort(np.abs(c))[::-1][:12], rtol=1e-12)
    ranked = np.sort(np.abs(c))[::-1]
    cut = 5 + int(np.argmax(ranked[5:-1] - ranked[6:] > 1e-6 * ranked[0]))  # a clear gap
    beta = 0.5 * (ranked[cut] + ranked[cut + 1])  # cut + 1 columns exceed it
    above = store.top_violators(r, 50, beta)
    assert set(above.index.tolist()) == set(np.flatnonzero(np.abs(c) > beta).tolist())
    assert above.index.size == cut + 1
    with pytest.raises(GaconvexError, match="k must be a positive integer"):
        store.top_violators(r, 0)


def test_dense_dictionaries_and_non_clients_are_refused(client):
    x, y = _data(12)
    arch = gs.architecture("abs", 3)
    with pytest.raises(GaconvexError, match="storage='structured'"):
        distribute(library_1d(x, arch), client)
    with pytest.raises(GaconvexError, match="distributed.Client"):
        distribute(library_1d(x, arch, storage="kernels"), "localhost:8786")
    with pytest.raises(GaconvexError, match="storage='structured'"):
        convex_fit(x, y, arch, 1e-2, client=client, storage="dense")


def _assert_same_fit(fit, ref):
    assert fit.objective == pytest.approx(ref.objective, rel=1e-8)
    np.testing.assert_array_equal(fit.support, ref.support)
    np.testing.assert_allclose(fit.coef_, ref.coef_, rtol=1e-6, atol=1e-9)
    assert fit.certificate.ok() == ref.certificate.ok()


def test_distributed_fit_equals_the_single_process_fit_1d(client):
    """abs L = 3 with midpoints (002 Thm 3.11), structured store: the Dask fit is the
    single-process fit, whose optimum is cvxpy's, and its passes ran on both workers."""
    x, y = _data(24, seed=5)
    arch = gs.architecture("abs", 3, midpoints=True)
    ref = convex_fit(x, y, arch, 1e-3, storage="structured")
    with distributed.get_task_stream(client=client) as ts:
        fit = convex_fit(x, y, arch, 1e-3, storage="structured", client=client)
    _assert_same_fit(fit, ref)
    assert isinstance(fit.dictionary.store, DaskColumns)
    A = ref.dictionary.to_dense()
    oracle = cvxpy_lasso_value(A, y, ref.problem.beta_t)
    assert fit.solution.objective == pytest.approx(oracle, rel=1e-7)
    workers = _workers_of(ts.data, "_rmatvec")
    assert len(workers) == 2, f"correlation passes ran on {workers}"
    np.testing.assert_allclose(fit.predict(x), ref.predict(x), rtol=1e-9, atol=1e-12)


def test_distributed_fit_equals_the_single_process_fit_kernels(client):
    x, y = _data(30, seed=6)
    arch = gs.architecture("relu", 3)
    ref = convex_fit(x, y, arch, 1e-2, storage="kernels")
    fit = convex_fit(x, y, arch, 1e-2, storage="kernels", client=client)
    _assert_same_fit(fit, ref)


def _wedge_architecture():
    try:
        return gs.architecture("relu", 2, dim=2)
    except (GaconvexError, TypeError) as exc:  # pragma: no cover - d-D not merged yet
        pytest.skip(f"d-D wedge architectures unavailable: {exc}")


def test_distributed_fit_equals_the_single_process_fit_wedge_2d(client):
    """A d-D library (001 wedge features, d = 2, kernel store): same optimum and support."""
    arch = _wedge_architecture()
    X, y = _data(16, seed=7, dim=2)
    ref = convex_fit(X, y, arch, 1e-2, storage="kernels")
    with distributed.get_task_stream(client=client) as ts:
        fit = convex_fit(X, y, arch, 1e-2, storage="kernels", client=client)
    _assert_same_fit(fit, ref)
    dictionary = build_dictionary(X, arch, storage="kernels")
    oracle = cvxpy_lasso_value(dictionary.to_dense(), y, ref.problem.beta_t)
    assert ref.solution.objective == pytest.approx(oracle, rel=1e-7)
    assert len(_workers_of(ts.data, "_rmatvec")) == 2


GRID = {"activation": ["abs"], "depth": [3, 4, 5, 6], "beta": [1e-2], "max_columns": [40],
        "seed": list(range(50))}


def _grid_fn():
    x, y = _data(8, seed=8)
    return functools.partial(convex_fit_task, x, y)


@pytest.mark.parametrize("by_address", [False, True])
def test_estimator_client_fits_on_the_cluster_and_pickles_without_it(client, by_address):
    """ConvexNetRegressor(client=...) (a live Client or the scheduler's address): the same
    coefficients as the local estimator, the passes ran on the workers, and the fitted model
    pickles to a local one that predicts identically (no cluster needed after fit)."""
    import pickle

    from sklearn.base import clone

    from gaconvex import ConvexNetRegressor

    x, y = _data(20, seed=9)
    X = x.reshape(-1, 1)
    local = ConvexNetRegressor(activation="abs", depth=3, beta=1e-3, storage="structured").fit(X, y)
    remote = ConvexNetRegressor(activation="abs", depth=3, beta=1e-3, storage="structured",
                                client=client.scheduler.address if by_address else client)
    if by_address:
        remote = clone(remote)  # an address survives clone (GridSearchCV)
    with distributed.get_task_stream(client=client) as ts:
        remote.fit(X, y)
    assert _workers_of(ts.data, "_rmatvec"), "no correlation pass ran on the cluster"
    assert remote.fit_.objective == pytest.approx(local.fit_.objective, rel=1e-8)
    np.testing.assert_array_equal(np.flatnonzero(remote.coef_), np.flatnonzero(local.coef_))
    restored = pickle.loads(pickle.dumps(remote))
    assert not isinstance(restored.dictionary_.store, DaskColumns)
    np.testing.assert_allclose(restored.predict(X), remote.predict(X), rtol=0, atol=0)
    np.testing.assert_allclose(restored.predict(X), local.predict(X), rtol=1e-9, atol=1e-12)


def test_top_violator_passes_reach_the_optimum_without_gathering_correlations(client):
    """solver_options={"top_violators": True}: every outer correlation pass is reduced on the
    workers ('_top' tasks; full '_rmatvec' gathers only for beta_max and the certificate), and
    the fit is the gathering fit's optimum
    (objective to 1e-8, the same fitted values: the fit is unique, 002 Lemma E.2)."""
    x, y = _data(24, seed=5)
    arch = gs.architecture("abs", 3, midpoints=True)
    ref = convex_fit(x, y, arch, 1e-3, storage="structured")
    with distributed.get_task_stream(client=client) as ts:
        fit = convex_fit(x, y, arch, 1e-3, storage="structured", client=client,
                         solver_options={"top_violators": True})
    store = fit.dictionary.store
    def passes(name):
        return sum(str(t["key"]).startswith(name) for t in ts.data) / len(store.shards)
    assert len(_workers_of(ts.data, "_top")) == 2
    assert passes("_top") >= fit.solution.info["iterations"]
    assert passes("_rmatvec") <= 4  # only beta_max (of y) and the certificate (KKT, dual point)
    assert fit.objective == pytest.approx(ref.objective, rel=1e-8)
    np.testing.assert_allclose(fit.solution.fitted, ref.solution.fitted, rtol=1e-7, atol=1e-9)
    assert fit.certificate.lasso.ok(1e-6)


def test_grid_points_and_refusals():
    assert grid_points({"a": [1, 2], "b": ["u", "v"]}) == [
        {"a": 1, "b": "u"}, {"a": 1, "b": "v"}, {"a": 2, "b": "u"}, {"a": 2, "b": "v"}]
    assert grid_points([{"a": 1}, {"a": 3}]) == [{"a": 1}, {"a": 3}]
    with pytest.raises(GaconvexError, match="list of values"):
        grid_points({"a": 3})
    with pytest.raises(GaconvexError, match="mapping"):
        run_grid(lambda a: 1.0, {"a": [1]}, progress=False)


def _same_table_serially_and_on_dask(client, grid):
    fn = _grid_fn()
    serial = run_grid(fn, grid, progress=False)
    with distributed.get_task_stream(client=client) as ts:
        dask = run_grid(fn, grid, client=client, progress=True)
    n = len(grid["depth"]) * len(grid["seed"])
    assert len(serial) == n and serial["depth"].nunique() == len(grid["depth"])
    assert serial["n_columns"].le(grid["max_columns"][0]).all()
    assert serial["status"].eq("optimal").all()
    keep = [c for c in serial.columns if c not in TIMING_COLUMNS]
    pd.testing.assert_frame_equal(dask[keep], serial[keep], check_exact=False, rtol=1e-10)
    assert (dask["seconds"] > 0).all()
    assert len(_workers_of(ts.data, "_evaluate")) == 2
    # different seeds sample different libraries: the objectives are not all one number
    assert serial.groupby("depth")["objective"].nunique().gt(1).all()


def test_fit_grid_is_the_same_table_serially_and_on_dask(client):
    """Sampled libraries x 4 depths, 5 seeds each (20 fits)."""
    _same_table_serially_and_on_dask(client, {**GRID, "seed": list(range(5))})


@pytest.mark.slow
def test_200_fit_grid_is_the_same_table_serially_and_on_dask(client):
    """Sampled libraries x 4 depths (002 Figs. 4.6-4.7 in small): 200 fits."""
    _same_table_serially_and_on_dask(client, GRID)


def _worker_pids(client):
    return client.run(os.getpid)


def _kill_one_worker_when(client, started, delay):
    """SIGKILL one worker process (the cluster is this module's) ``delay`` seconds after
    ``started`` is set."""
    pid = sorted(_worker_pids(client).values())[0]

    def kill():
        started.wait(60)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


def _slow_fit(seed, x, y):
    time.sleep(0.25)  # long enough that the kill lands while tasks are running
    return convex_fit_task(x, y, activation="abs", depth=4, beta=1e-2, max_columns=40, seed=seed)


def test_killing_a_worker_mid_map_gives_the_right_table(client):
    x, y = _data(8, seed=9)
    fn = functools.partial(_slow_fit, x=x, y=y)
    grid = {"seed": list(range(8))}
    serial = run_grid(fn, grid, progress=False)
    before = set(_worker_pids(client).values())
    started = threading.Event()
    killer = _kill_one_worker_when(client, started, 1.0)
    started.set()
    dask = run_grid(fn, grid, client=client, progress=False)
    killer.join(30)
    keep = [c for c in serial.columns if c not in TIMING_COLUMNS]
    pd.testing.assert_frame_equal(dask[keep], serial[keep], check_exact=False, rtol=1e-10)
    client.wait_for_workers(2, timeout=120)  # the nanny restarts the killed worker
    assert set(_worker_pids(client).values()) != before, "no worker was killed"


def test_killing_a_worker_between_passes_rebuilds_its_shards(client):
    """The shard stores are tasks, not scattered data: a dead worker's shards are rebuilt on
    the survivors and the next pass gives the same numbers; a distributed fit after the kill
    still equals the single-process one."""
    client.wait_for_workers(2, timeout=120)
    x, y = _data(30, seed=10)
    arch = gs.architecture("abs", 3, midpoints=True)
    D = library_1d(x, arch, storage="structured")
    store = distribute(D, client, n_shards=4).store
    r = np.random.default_rng(11).standard_normal(30)
    first = store.rmatvec(r)
    os.kill(sorted(_worker_pids(client).values())[-1], signal.SIGKILL)
    np.testing.assert_array_equal(store.rmatvec(r), first)
    np.testing.assert_allclose(first, D.rmatvec(r), rtol=0, atol=1e-12 * np.abs(first).max())
    client.wait_for_workers(2, timeout=120)


@pytest.mark.slow
def test_a_task_that_always_kills_its_worker_raises(client):
    """No silent wrong answer: after allowed-failures dead workers the grid raises."""
    with pytest.raises(distributed.KilledWorker):
        run_grid(_exit, {"code": [3]}, client=client, progress=False, retries=0)
    client.wait_for_workers(2, timeout=120)


def _exit(code):
    os._exit(code)


def test_import_and_fit_without_a_client_never_import_dask():
    code = ("import sys, numpy as np\n"
            "import gaconvex\n"
            "from gaconvex import convex_fit\n"
            "from gaconvex.symbolic import architecture\n"
            "x = np.linspace(-1, 1, 9)\n"
            "fit = convex_fit(x, x ** 2, architecture('abs', 3), 1e-2, backend='numpy')\n"
            "import gaconvex.distributed, gaconvex.experiments\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'pandas')]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
