"""The examples of "From Complexity to Clarity" (001) run in smoke mode, write their figures and
reproduce one mathematical statement each: XOR's l1 and l2 decision maps agree (C27), the
diamond's candidate breaklines are the lines through the data the theorems name (brute force),
the global optimum bounds every trained and polished network (001 Thm 16), and polishing's
refit beats the snapped network with the trained scales."""
from __future__ import annotations

import importlib.util
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG = b"\x89PNG\r\n\x1a\n"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pngs(folder, names):
    for name in names:
        path = folder / name
        assert path.read_bytes()[:8] == PNG and path.stat().st_size > 10_000, name


def _same_lines(a, b):
    key = lambda lines: sorted(tuple(np.round(np.r_[w, c], 9)) for w, c in lines)  # noqa: E731
    return key(a) == key(b)


def test_l1_vs_l2_xor_decision_maps_agree(tmp_path):
    """001 Sec. 4.2, Fig. 11 (C27): on XOR at beta = 0.1 the p = 1 and p = 2 optimal decision
    maps agree on the whole grid and every active breakline passes through two data points."""
    ex = _load("l1_vs_l2")
    xor = ex.xor_figure(tmp_path)
    _pngs(tmp_path, ["l1_vs_l2_xor.png"])
    assert xor["agreement"] == 1.0
    assert all(k == 2 for p in (1, 2) for k in xor["points_on_lines"][p])


@pytest.mark.slow
def test_l1_vs_l2_smoke_spiral_maps_agree_more_for_small_beta(tmp_path):
    """001 Fig. 12: on the spiral the p = 1 and p = 2 maps agree more for small beta than for
    large beta (both must nearly interpolate); the smoke run writes both figures."""
    ex = _load("l1_vs_l2")
    result = ex.main(["--out", str(tmp_path), "--smoke"])
    _pngs(tmp_path, ["l1_vs_l2_xor.png", "l1_vs_l2_spiral.png"])
    spiral = result["spiral"]
    assert spiral[min(spiral)] > spiral[max(spiral)]


def test_diamond_breaklines_are_the_lines_the_theorems_name(tmp_path):
    """001 Sec. 3.7, Fig. 7: the candidate breaklines are, by brute force, (a) the lines
    through 0 and a data point (Thm 2), (b) the lines through 0 parallel to a difference of
    data points (Thm 12), (c) the lines through two data points (Thm 3), (d) the lines through
    a data point parallel to a difference or an axis (Thm 13), and for biased p = 1 the pair
    lines plus the axis-parallel lines through a data point (Thm 16); the optimal neurons use
    candidate lines only and interpolate (beta -> 0)."""
    from gaconvex.datasets.synthetic import diamond_points
    from gaconvex.plotting import distinct_lines

    ex = _load("diamond_breaklines")
    result = ex.main(["--out", str(tmp_path), "--smoke"])
    _pngs(tmp_path, ["diamond_breaklines.png"])
    X = diamond_points()

    def through(P, Q):  # the line through two points as a neuron (w, b)
        w = np.array([P[1] - Q[1], Q[0] - P[0]])
        return w, -w @ P

    origin = [through(np.zeros(2), x) for x in X]
    pairs = [through(X[i], X[j]) for i, j in combinations(range(4), 2)]
    parallel = [through(x, x + e) for x in X for e in np.eye(2)]
    differences = [X[i] - X[j] for i, j in combinations(range(4), 2)]
    shifted = [through(np.zeros(2), v) for v in differences]
    translated = [through(x, x + v) for x in X for v in differences + list(np.eye(2))]
    expected = {(2, 1, False): origin, (3, 1, False): shifted, (2, 2, True): pairs,
                (3, 1, True): translated, (2, 1, True): pairs + parallel}
    for key, lines in expected.items():
        W, b = np.array([w for w, _ in lines]), np.array([c for _, c in lines])
        got = result[key]
        assert _same_lines(got["candidates"], distinct_lines(W, b)), key
        assert all(any(np.allclose(np.r_[w, c], np.r_[v, e]) for v, e in got["candidates"])
                   for w, c in got["active"])
        np.testing.assert_allclose(got["fit"].fitted, ex.TARGETS, atol=1e-8)
    assert [len(result[k]["candidates"]) for k in expected] == [2, 4, 6, 10, 10]


def _check_bounds(res):
    optimum = res["optimum"].objective
    assert res["optimum"].certificate.ok()
    for history, checkpoints, report in res["runs"].values():
        assert optimum <= checkpoints[:, 1:].min() * (1 + 1e-7)
        assert optimum <= history.min() * (1 + 1e-7)
        assert report.objective_after <= report.objective_snapped * (1 + 1e-7)


def test_spiral_polishing_global_optimum_bounds_every_network(tmp_path):
    """001 Sec. 4.1.2, Fig. 8: p = 1 is exact (Thm 16), so the wedge Lasso value is <= the
    objective of every SGD / Adam network and of every polished one, at every checkpoint
    (a small run of the example's code: 16 points, 8 neurons, 40 steps)."""
    ex = _load("spiral_polishing")
    res = ex.run(n=16, steps=40, every=20, width=8)
    ex.objective_figure(res, tmp_path)
    ex.regions_figure(res, tmp_path)
    _pngs(tmp_path, ["spiral_polishing_objective.png", "spiral_polishing_regions.png"])
    _check_bounds(res)


@pytest.mark.slow
def test_spiral_polishing_smoke(tmp_path):
    """The example's smoke mode: same bounds, both figures."""
    ex = _load("spiral_polishing")
    res = ex.main(["--out", str(tmp_path), "--smoke"])
    _pngs(tmp_path, ["spiral_polishing_objective.png", "spiral_polishing_regions.png"])
    _check_bounds(res)


@pytest.mark.slow
def test_polishing_real_data_refit_beats_the_snapped_network(tmp_path):
    """001 Sec. 4.1.3 (scikit-learn stand-ins): for every width and seed the refit's objective
    is <= that of the snapped network with the trained scales (the refit is the optimum over
    the snapped neurons); the figure is written."""
    ex = _load("polishing_real_data")
    table = ex.main(["--out", str(tmp_path), "--smoke"])
    _pngs(tmp_path, ["polishing_real_data.png"])
    assert (table.objective_after <= table.objective_snapped * (1 + 1e-7)).all()
    assert set(table.dataset) == set(ex.DATASETS) and len(table) == 8
