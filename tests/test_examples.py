"""The examples reproduce what they claim (002 Fig. 3.2 / 3.5, spec claim C24).

Slow and statistical (Adam), so marked ``slow``: CI runs them in its bounded ``-m slow`` step.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import gaconvex.symbolic as gs

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("depth, reflection", [(3, 4.0), (4, 6.0)])
def test_adam_keeps_reflection_kinks_fig_3_2(tmp_path, depth, reflection):
    """002 Fig. 3.2 (C24): on x = (2, 0, -1), y = (2, 0, 1) the Adam-trained abs network keeps
    a kink at the reflection 4 = R(0, 2) (L = 3) / 6 = R(R(0, -1), 2) (L = 4), not a data point."""
    ex = _load("reflections_1d")
    x, y = np.array([2.0, 0.0, -1.0]), np.array([2.0, 0.0, 1.0])
    found = ex.figure_fit(gs.architecture("abs", depth), x, y, "fit.png", tmp_path, steps=3000)
    positions = np.array([k.position for k in found])
    assert np.min(np.abs(positions - reflection)) < 1e-2, positions
    assert (tmp_path / "fit.png").stat().st_size > 10_000


@pytest.mark.slow
def test_symmetrized_relu_kink_at_reflection_fig_3_5(tmp_path):
    """002 Fig. 3.5 (C24): symmetrized ReLU on x = (4, 3, 1, 0, -1), y = (2, 1, 0, 0, 1) has a
    kink at 2 = R(0, 1), which is not a training point."""
    ex = _load("reflections_1d")
    x, y = np.array([4.0, 3.0, 1.0, 0.0, -1.0]), np.array([2.0, 1.0, 0.0, 0.0, 1.0])
    found = ex.figure_fit(gs.architecture("relu", 3, "symmetrized"), x, y, "fit.png", tmp_path,
                          steps=3000)
    positions = np.array([k.position for k in found])
    assert np.min(np.abs(positions - 2.0)) < 1e-2, positions
    assert not np.any(np.isclose(x, 2.0))


def test_reflections_example_smoke_writes_its_figures(tmp_path):
    """Fast variant (few Adam steps) of the example's code path: the figures are valid PNGs,
    their titles carry no internal codes, and the kinks are named by the data."""
    import matplotlib.pyplot as plt

    ex = _load("reflections_1d")
    ex.figure_3_1(tmp_path)
    x, y = np.array([4.0, 3.0, 1.0, 0.0, -1.0]), np.array([2.0, 1.0, 0.0, 0.0, 1.0])
    found = ex.figure_fit(gs.architecture("relu", 3, "symmetrized"), x, y, "fit.png", tmp_path,
                          steps=30)
    assert found  # the trained network has kinks in the plotted range
    for name in ("fig3_1_abs_features.png", "fit.png"):
        path = tmp_path / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
        assert plt.imread(path).shape[0] > 100
    source = (EXAMPLES / "reflections_1d.py").read_text()
    assert "002 Fig" not in source and "suptitle(\"002" not in source
