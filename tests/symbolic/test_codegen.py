"""Generated dictionary kernels (symbolic/codegen.py): numpy, numba and torch kernels of every
derived feature family agree with ``sympy.lambdify`` of the same expression (002 Def. 3.9-3.10,
Table 3.1), reproduce the paper's worked values (002 Fig. 3.1, Lemma B.2), give matrix-free
products equal to the dense ones, and are cached on disk across processes."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaconvex._validation import GaconvexError
from gaconvex.symbolic import architecture, compile, derive
from gaconvex.symbolic.codegen import generate_source, straight_line

from conftest import torch_devices

ARCHITECTURES = {
    "relu-2": ("relu", 2), "leaky0.2-2": (("leaky_relu", 0.2), 2),
    "leaky-0.5-2": (("leaky_relu", -0.5), 2), "abs-2": ("abs", 2), "sign-2": ("sign", 2),
    "threshold-2": ("threshold", 2), "relu-3": ("relu", 3), "abs-3": ("abs", 3),
    "leaky0.2-3": (("leaky_relu", 0.2), 3), "leaky-0.5-3": (("leaky_relu", -0.5), 3),
    "relu-4": ("relu", 4), "abs-4": ("abs", 4), "leaky0.2-4": (("leaky_relu", 0.2), 4),
    "abs-5": ("abs", 5), "sym-relu": ("relu", 3, "symmetrized"),
    "sym-leaky0.3": (("leaky_relu", 0.3), 3, "symmetrized"),
}
FAMILIES = {f"{name}-{f.bias_kind}": f for name, spec in ARCHITECTURES.items()
            for f in derive(architecture(*spec))}
BACKENDS = ["numpy", "numba", "torch"]


@pytest.fixture(scope="module", autouse=True)
def kernel_cache(request, tmp_path_factory):
    """Generated kernels live in pytest's cache dir, so numba compiles them once per checkout."""
    cache = getattr(request.config, "cache", None)
    path = cache.mkdir("gaconvex_kernels") if cache else tmp_path_factory.mktemp("kernels")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GACONVEX_CACHE_DIR", str(path))
        yield path


_REFERENCES: dict = {}


def reference(family, x, anchors, signs):
    """sympy.lambdify((x, *anchors, *signs), expr, "numpy") evaluated on the (N, P) grid."""
    if family not in _REFERENCES:
        _REFERENCES[family] = sp.lambdify((family.x, *family.anchors, *family.signs),
                                          family.expr, "numpy")
    params = [col[None, :] for col in np.hstack([anchors, signs]).T]
    out = _REFERENCES[family](x[:, None], *params)
    return np.broadcast_to(np.asarray(out, dtype=float), (x.size, anchors.shape[0]))


def numpy_result(a):
    return a.cpu().numpy() if hasattr(a, "cpu") else np.asarray(a)


def random_columns(rng, family, x, n_cols):
    """Anchors drawn from the data points (data feature biases) and off them; random sign rows."""
    anchors = rng.choice(x, size=(n_cols, family.n_anchors))
    anchors[: n_cols // 3] = rng.normal(0, 2, size=(n_cols // 3, family.n_anchors))
    choices = np.array(family.sign_choices, dtype=float).reshape(len(family.sign_choices), -1)
    return anchors, choices[rng.integers(len(choices), size=n_cols)]


@st.composite
def problems(draw, family):
    """Data with repeated and negated values and columns anchored exactly at data points."""
    grid = st.floats(-4, 4, allow_nan=False).map(lambda v: round(v * 4) / 4)
    x = np.array(draw(st.lists(grid | st.floats(-4, 4, allow_nan=False), min_size=1, max_size=9)))
    n_cols = draw(st.integers(1, 6))
    anchors = np.array([[draw(st.sampled_from(list(x)) | grid) for _ in range(family.n_anchors)]
                        for _ in range(n_cols)]).reshape(n_cols, family.n_anchors)
    signs = np.array([draw(st.sampled_from(family.sign_choices)) for _ in range(n_cols)],
                     dtype=float).reshape(n_cols, family.n_signs)
    return x, anchors, signs


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_kernel_equals_lambdify(name, backend):
    """A[i, p] = f(x_i; anchors[p], signs[p]) equals sympy.lambdify of the derived feature to
    1e-12, on random data including points exactly at the anchors (002 Def. 3.9)."""
    family = FAMILIES[name]
    kernel = compile(family, backend)

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(problems(family))
    def check(problem):
        x, anchors, signs = problem
        got = numpy_result(kernel(x, anchors, signs))
        assert got.shape == (x.size, anchors.shape[0]) and got.dtype == np.float64
        np.testing.assert_allclose(got, reference(family, x, anchors, signs), rtol=0, atol=1e-12)

    check()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_column_matvec_rmatvec_agree_with_dense(name, backend, rng):
    """column(x, a_p, s_p) = A[:, p], matvec = A @ z and rmatvec = A.T @ r (matrix-free)."""
    family = FAMILIES[name]
    kernel = compile(family, backend)
    x = rng.normal(size=23)
    anchors, signs = random_columns(rng, family, x, 41)
    dense = numpy_result(kernel(x, anchors, signs))
    z, r = rng.normal(size=41), rng.normal(size=23)
    z[::3] = 0.0  # matvec skips zero coefficients
    for p in (0, 17, 40):
        np.testing.assert_array_equal(numpy_result(kernel.column(x, anchors[p], signs[p])), dense[:, p])
    np.testing.assert_allclose(numpy_result(kernel.matvec(x, anchors, signs, z)), dense @ z,
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(numpy_result(kernel.rmatvec(x, anchors, signs, r)), dense.T @ r,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_dense_block_written_into_a_column_block_of_a_dictionary(backend, rng):
    """out=: A lands in a column block of a preallocated column-major dictionary matrix."""
    family = FAMILIES["abs-3-midpoint"]
    kernel = compile(family, backend)
    x = rng.normal(size=9)
    anchors, signs = random_columns(rng, family, x, 12)
    whole = np.full((9, 20), np.nan, order="F")
    if backend == "torch":
        import torch

        whole = torch.from_numpy(whole)
    returned = kernel(x, anchors, signs, out=whole[:, 5:17])
    assert returned.shape == (9, 12)
    whole = numpy_result(whole)
    np.testing.assert_array_equal(whole[:, 5:17], numpy_result(kernel(x, anchors, signs)))
    assert np.isnan(whole[:, :5]).all() and np.isnan(whole[:, 17:]).all()
    with pytest.raises(GaconvexError, match=r"out must be a float64 array of shape \(9, 12\)"):
        kernel(x, anchors, signs, out=np.empty((9, 11)))
    if backend == "numba":
        with pytest.raises(GaconvexError, match="column-major"):
            kernel(x, anchors, signs, out=np.empty((9, 12)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_sign_and_threshold_are_one_at_zero(backend):
    """sign(0) = threshold(0) = 1 (002 Sec. 1.2): the column is 1 at its own anchor."""
    x = np.array([-1.5, 0.25, 2.0])
    for name in ("sign-2-data", "threshold-2-data"):
        family = FAMILIES[name]
        for signs in family.sign_choices:
            col = numpy_result(compile(family, backend).column(x, [0.25], signs))
            assert col[1] == 1.0, (name, signs)
    sign_col = numpy_result(compile(FAMILIES["sign-2-data"], backend).column(x, [0.25]))
    np.testing.assert_array_equal(sign_col, [-1.0, 1.0, 1.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_abs_worked_values_of_fig_3_1(backend):
    """002 Fig. 3.1: ||x - 3| - 1| (anchors (3, 2)) is 0, 1, 0 at x = 2, 3, 4; the 4-layer
    |||x - 7| - 3| - 1| (anchors (7, 4, 5)) vanishes at 3, 5, 9, 11, is 1 at 4 and 10, 2 at 7."""
    three = compile(FAMILIES["abs-3-data"], backend)
    np.testing.assert_array_equal(numpy_result(three.column(np.array([2.0, 3.0, 4.0]), [3.0, 2.0])),
                                  [0.0, 1.0, 0.0])
    four = compile(FAMILIES["abs-4-data"], backend)
    x = np.array([3.0, 5.0, 9.0, 11.0, 4.0, 7.0, 10.0])
    np.testing.assert_array_equal(numpy_result(four.column(x, [7.0, 4.0, 5.0])),
                                  np.abs(np.abs(np.abs(x - 7) - 3) - 1))
    np.testing.assert_array_equal(numpy_result(four.column(x, [7.0, 4.0, 5.0])), [0, 0, 0, 0, 1, 2, 1])


def _ramp_plus(x, a1, a2):
    return np.clip(x - a1, 0, a2 - a1) if a1 <= a2 else np.zeros_like(x)


def _ramp_minus(x, a1, a2):
    return np.clip(a2 - x, 0, a2 - a1) if a1 <= a2 else np.zeros_like(x)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("anchors", [(1.0, -0.5), (-0.5, 1.0), (0.3, 0.3)])
def test_relu_three_layer_capped_ramps_of_lemma_b2(backend, anchors):
    """002 Lemma B.2 (L = 3, ReLU), for anchors (x_j1, x_j2) and weights (W1, W2):
    (+1, +1) ReLU+_{max}; (-1, +1) ReLU-_{min}; (-1, -1) Ramp+_{x_j2, x_j1}; (+1, -1) Ramp-_{x_j1, x_j2}."""
    a1, a2 = anchors
    x = np.linspace(-2, 2, 41)
    expected = {(1, 1): np.maximum(x - max(a1, a2), 0), (-1, 1): np.maximum(min(a1, a2) - x, 0),
                (-1, -1): _ramp_plus(x, a2, a1), (1, -1): _ramp_minus(x, a1, a2)}
    kernel = compile(FAMILIES["relu-3-data"], backend)
    for signs, want in expected.items():
        np.testing.assert_allclose(numpy_result(kernel.column(x, anchors, signs)), want,
                                   rtol=0, atol=1e-15)


@pytest.mark.parametrize("device", torch_devices())
def test_torch_kernel_on_device(device, rng):
    """The torch kernel runs where its inputs live (or on device=...), returns float64 tensors
    there, and matches the numpy kernel."""
    import torch

    family = FAMILIES["leaky-0.5-3-midpoint"]
    kernel = compile(family, "torch")
    x = rng.normal(size=15)
    anchors, signs = random_columns(rng, family, x, 30)
    want = compile(family, "numpy")(x, anchors, signs)
    from_arrays = kernel(x, anchors, signs, device=device)
    tensors = [torch.as_tensor(v, device=device) for v in (x, anchors, signs)]
    from_tensors = kernel(*tensors)
    for got in (from_arrays, from_tensors):
        assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
        assert got.device.type == device
        np.testing.assert_allclose(got.cpu().numpy(), want, rtol=0, atol=1e-12)
    r = torch.as_tensor(rng.normal(size=15), device=device)
    np.testing.assert_allclose(kernel.rmatvec(*tensors, r).cpu().numpy(), want.T @ r.cpu().numpy(),
                               rtol=0, atol=1e-12)
    assert kernel.column(x, anchors[0], signs[0], device=device).device.type == device


def test_x_free_code_is_hoisted_out_of_the_row_loop():
    """Every x-free compound subexpression is computed once per column: the row code only
    combines x with symbols and numbers (the data-feature biases are anchor-only, 002 Def. 3.9)."""
    for name, family in FAMILIES.items():
        program = straight_line(family)
        dependent = {program.x} | {s for s, _ in program.row}
        for symbol, value in program.column:
            assert not value.free_symbols & dependent, (name, symbol, value)
        for expr in [value for _, value in program.row] + [program.result]:
            for node in sp.preorder_traversal(expr):
                if node.free_symbols & dependent and isinstance(node, sp.Expr):
                    free = [a for a in node.args
                            if isinstance(a, sp.Expr) and not a.free_symbols & dependent]
                    assert all(a.is_Atom for a in free), (name, node)
                    if isinstance(node, (sp.Add, sp.Mul)):
                        assert len(free) <= 1, (name, node)
    relu3 = straight_line(FAMILIES["relu-3-data"])
    assert any(relu3.x not in v.free_symbols and sp.Symbol("a2", real=True) in v.free_symbols
               for _, v in relu3.column)  # the layer-2 bias -s2 (a2 s1 - a1 s1)_+


def test_rationals_print_as_float_literals():
    """Rational constants become float literals (1/5 -> 0.2), never integer division."""
    family = FAMILIES["leaky0.2-3-data"]  # slopes 3/5 and 2/5 of (1 + a)/2 and (1 - a)/2
    for backend in BACKENDS:
        code = generate_source(family, backend).split('"""', 2)[2]  # skip the header docstring
        assert not re.search(r"\d\s*/\s*\d", code), backend
        assert "0.6" in code and "0.4" in code


@pytest.mark.parametrize("backend", BACKENDS)
def test_kernel_attributes_and_memory_cache(backend):
    """kernel.source is the generated module (on disk), kernel.backend/family are set, and a
    second compile reuses the imported module."""
    family = FAMILIES["relu-3-data"]
    k1, k2 = compile(family, backend), compile(family, backend)
    assert k1.module is k2.module and k1.family is family and k1.backend == backend
    assert k1.path.name.startswith(backend) and k1.source == k1.path.read_text()
    assert "def constants(" in k1.source and "def row(" in k1.source


def test_input_validation_says_what_to_pass():
    """Wrong shapes and backends raise GaconvexError naming the expected shape."""
    family = FAMILIES["relu-3-data"]
    kernel = compile(family, "numpy")
    x = np.zeros(4)
    with pytest.raises(GaconvexError, match=r"anchors must have shape \(P, 2\)"):
        kernel(x, np.zeros((3, 1)), np.ones((3, 2)))
    with pytest.raises(GaconvexError, match=r"signs must have shape \(3, 2\)"):
        kernel(x, np.zeros((3, 2)), None)
    with pytest.raises(GaconvexError, match="x must be a vector"):
        kernel(np.zeros((4, 2)), np.zeros((3, 2)), np.ones((3, 2)))
    with pytest.raises(GaconvexError, match=r"z must have shape \(3,\)"):
        kernel.matvec(x, np.zeros((3, 2)), np.ones((3, 2)), np.ones(4))
    with pytest.raises(GaconvexError, match="backend must be one of"):
        compile(family, "jax")
    with pytest.raises(GaconvexError, match="backend='torch'"):
        kernel(x, np.zeros((3, 2)), np.ones((3, 2)), device="cuda")
    no_signs = compile(FAMILIES["abs-3-data"], "numpy")
    assert no_signs(x, np.zeros((3, 2)), None).shape == no_signs(x, np.zeros((3, 2)), np.ones((3, 0))).shape


def _run(code: str, env=None) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True,
                         capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_disk_cache_is_reused_by_a_fresh_process(tmp_path):
    """A second process loads the generated module from GACONVEX_CACHE_DIR without
    regenerating it, and numba loads its compiled code from its own cache (cache=True)."""
    code = """
        import json, numpy as np
        from gaconvex.symbolic import architecture, compile, derive, codegen
        kernel = compile(derive(architecture("abs", 2)).families[0], "numba")
        kernel(np.arange(3.0), np.ones((2, 1)), None)
        print(json.dumps({"path": str(kernel.path), "mtime": kernel.path.stat().st_mtime_ns,
                          "stats": dict(codegen.stats),
                          "numba_hits": sum(kernel.module.dense.stats.cache_hits.values())}))
    """
    env = dict(os.environ, GACONVEX_CACHE_DIR=str(tmp_path))
    first, second = _run(code, env), _run(code, env)
    assert first["stats"] == {"generated": 1} and second["stats"] == {"disk": 1}
    assert second["path"] == first["path"] and second["mtime"] == first["mtime"]
    assert first["numba_hits"] == 0 and second["numba_hits"] >= 1
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_import_symbolic_does_not_load_numba_or_torch():
    """`import gaconvex.symbolic` (and a numpy kernel) neither generates code nor imports
    numba or torch; those load only when their backend is requested."""
    report = _run("""
        import json, sys, numpy as np
        import gaconvex.symbolic as gs
        before = [m for m in ("numba", "torch", "gaconvex.symbolic.codegen") if m in sys.modules]
        kernel = gs.compile(gs.derive(gs.architecture("relu", 2)).families[0], "numpy")
        kernel(np.zeros(2), np.zeros((1, 1)), np.ones((1, 1)))
        print(json.dumps({"before": before,
                          "after": [m for m in ("numba", "torch") if m in sys.modules]}))
    """)
    assert report == {"before": [], "after": []}
