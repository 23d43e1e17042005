"""Compile a feature family into numpy, numba or torch kernels: symbolic once, compiled forever.

A feature family (:func:`gaconvex.symbolic.derive`) is one sympy expression f(x; a, s) in the
input ``x``, the anchors ``a1..ak`` and the signs ``s1..sm`` (002 Def. 3.9-3.10).  A dictionary
column is f evaluated on the data for one anchor/sign tuple, A[i, p] = f(x_i; a_p, s_p)
(002 eq. 1.2).  :func:`compile` turns the expression into straight-line code, once:

1. ``sympy.cse`` names the common subexpressions;
2. every statement that does not depend on x is *hoisted*: it runs once per column in
   ``constants(a, s)``, and every Add/Mul node keeps its x-free operands in one hoisted value
   (for data feature biases b_l = -X^(l)(a_l) W_l depends on the anchors only);
3. the x-dependent rest, ``row(x, hoisted...)``, runs once per data point and column.

Both functions are printed by one printer hierarchy -- scalar Python for numba (``abs``,
``max``, conditional expressions), array code for numpy (``np.maximum``, ``np.where``) and
torch (``torch.maximum``, ``torch.clamp``, ``torch.where``) -- with rational constants as float
literals.  The numba module adds fused ``nogil`` loops for the dense block, ``A.T @ r`` and
``A @ z``, run in parallel on column chunks by a thread pool; numpy and torch evaluate blocks
of columns by broadcasting, chunked so that ``A`` is never needed for the products.  Generated modules are written to an
on-disk cache (``$GACONVEX_CACHE_DIR``, default ``~/.cache/gaconvex/kernels``) under a hash
of the expression, backend and generator version, and imported from there, so numba's
``cache=True`` holds across processes.  numba and torch are imported only when their backend
is asked for.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache, reduce
from pathlib import Path

import numpy as np
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from gaconvex._validation import GaconvexError, as_float_array

from .derivation import FeatureFamily

__all__ = ["compile", "Kernel", "Program", "straight_line", "generate_source", "cache_dir",
           "BACKENDS", "CODEGEN_VERSION", "stats"]

#: Bumped whenever generated code changes; part of every cache key.
CODEGEN_VERSION = "1"
BACKENDS = ("numpy", "numba", "torch")
#: How kernels were obtained in this process: "generated" (source written), "disk" (loaded
#: from the on-disk cache), "memory" (module already imported).
stats: Counter = Counter()

_VECTOR_CHUNK = 1 << 18  # entries of one (columns x rows) block evaluated at once (numpy, torch CPU)
_VECTOR_CHUNK_ACCELERATOR = 1 << 24
_PARALLEL_MIN_ENTRIES = 1 << 15  # below this many matrix entries numba runs in the calling thread


# ---------------------------------------------------------------------------------------------
# straight-line program
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Program:
    """Straight-line code for f(x; params): ``constants(params) -> carried``, then ``row``.

    Attributes
    ----------
    params : tuple of Symbol
        Anchors then signs, the arguments of ``constants``.
    column : tuple of (Symbol, Expr)
        x-free statements, evaluated once per column.
    row : tuple of (Symbol, Expr)
        x-dependent statements, evaluated per data point.
    carried : tuple of Symbol
        Parameters and column values the row code reads (returned by ``constants``).
    result : Expr
        The feature value, in terms of ``x``, ``carried`` and ``row`` symbols.
    """

    x: sp.Symbol
    params: tuple
    column: tuple
    row: tuple
    carried: tuple
    result: sp.Expr


def _hoist_free_operands(expr, dependent, memo, column):
    """Move every compound x-free operand of an x-dependent node into a per-column value.

    ``dependent`` holds the symbols that depend on x.  The x-free operands of an Add/Mul are
    first combined (``a1/2 + a2/2 - x`` -> ``h0 - x`` with ``h0 = a1/2 + a2/2``); any other
    x-free operand that is not a symbol or number (``-s2*Max(0, a2*s1 - t0)`` inside an Add,
    an argument of Max or Abs) becomes its own value.  Each part gets a symbol ``h<k>``
    (``memo``, shared between statements) and a statement appended to ``column``.
    """
    if not expr.args or not (expr.free_symbols & dependent):
        return expr
    args = [_hoist_free_operands(arg, dependent, memo, column) for arg in expr.args]
    free = [a for a in args if not (a.free_symbols & dependent)]
    if isinstance(expr, (sp.Add, sp.Mul)) and len(free) >= 2:
        args = [expr.func(*free)] + [a for a in args if a.free_symbols & dependent]
    return expr.func(*(_hoisted(a, dependent, memo, column) for a in args))


def _hoisted(arg, dependent, memo, column):
    """``arg`` itself if it is an atom or depends on x, else the symbol of its column value."""
    if arg.is_Atom or arg.free_symbols & dependent or not isinstance(arg, sp.Expr):
        return arg
    if arg not in memo:
        memo[arg] = sp.Symbol(f"h{len(memo)}", real=True)
        column.append((memo[arg], arg))
    return memo[arg]


_RESERVED = re.compile(r"^([th]\d+|p|i|acc|out|r|z|anchors|signs|constants|row|dense|matvec|rmatvec"
                       r"|math|np|numba|torch)$")


def straight_line(family: FeatureFamily) -> Program:
    """CSE the feature and split it into per-column (x-free) and per-row statements."""
    x = family.x
    params = (*family.anchors, *family.signs)
    clashes = [s.name for s in (x, *params) if _RESERVED.match(s.name)]
    if clashes:
        raise GaconvexError(f"family symbols {clashes} clash with names used in generated code.")
    replacements, (result,) = sp.cse(family.expr, symbols=sp.numbered_symbols("t", real=True))
    dependent, memo, column, row = {x}, {}, [], []
    for name, value in replacements:
        value = _hoist_free_operands(value, dependent, memo, column)
        if value.free_symbols & dependent:
            dependent.add(name)
            row.append((name, value))
        else:
            column.append((name, value))
    result = _hoist_free_operands(result, dependent, memo, column)
    used = set().union(result.free_symbols, *(v.free_symbols for _, v in row)) - dependent
    defined = [*params, *(name for name, _ in column)]
    carried = tuple(s for s in defined if s in used)
    return Program(x, params, tuple(column), tuple(row), carried, result)


# ---------------------------------------------------------------------------------------------
# printers: one hierarchy, scalar (numba) -> array (numpy) -> torch
# ---------------------------------------------------------------------------------------------
class _ScalarPrinter(PythonCodePrinter):
    """Scalar Python for numba: float literals, ``abs``, binary ``max``/``min``, ``a if c else b``."""

    module = ""

    def __init__(self):
        super().__init__({"strict": True})

    def _print_Integer(self, expr):
        """Every constant is a float literal (1/5 -> 0.2), never integer division."""
        return repr(float(expr))

    _print_Rational = _print_Integer

    def _print_NaN(self, expr):
        return "math.nan"

    def _function(self, name):
        return f"{self.module}.{name}" if self.module else name

    def _print_Abs(self, expr):
        return f"{self._function('abs')}({self._print(expr.args[0])})"

    def _fold(self, name, args):
        """Nest a binary function over args: f(f(a, b), c)."""
        return reduce(lambda acc, arg: f"{name}({acc}, {arg})", (self._print(a) for a in args))

    def _print_Max(self, expr):
        return self._fold("max", expr.args)

    def _print_Min(self, expr):
        return self._fold("min", expr.args)

    def _select(self, condition, value, otherwise):
        return f"({self._print(value)} if {self._print(condition)} else {otherwise})"

    def _print_Piecewise(self, expr):
        """Piecewise((v1, c1), ..., (vk, True)) as nested selections; no True branch -> nan."""
        *pieces, (last, cond) = expr.args
        text = self._print(last if cond == sp.true else sp.nan)
        for value, condition in reversed(pieces):
            text = self._select(condition, value, text)
        return text


class _ArrayPrinter(_ScalarPrinter):
    """Broadcasting numpy code: ``np.abs``, ``np.maximum``, ``np.where``."""

    module = "np"

    def _print_Max(self, expr):
        return self._fold(self._function("maximum"), expr.args)

    def _print_Min(self, expr):
        return self._fold(self._function("minimum"), expr.args)

    def _select(self, condition, value, otherwise):
        return f"{self._function('where')}({self._print(condition)}, {self._print(value)}, {otherwise})"


class _TorchPrinter(_ArrayPrinter):
    """torch code on float64 tensors of any device.

    torch wants tensors, not Python numbers, in ``maximum`` and in ``where`` when both branches
    are numbers, so a number bound of Max/Min becomes ``torch.clamp(..., min=c)`` and a number
    branch ``like.new_tensor(c)`` (same dtype and device as the in-scope tensor ``like``).
    """

    module = "torch"

    def __init__(self, like: str):
        super().__init__()
        self.like = like

    def _clamped(self, expr, fold, bound):
        numbers = [a for a in expr.args if a.is_Number]
        text = self._fold(self._function(fold), [a for a in expr.args if not a.is_Number])
        return f"torch.clamp({text}, {bound}={self._print(numbers[0])})" if numbers else text

    def _print_Max(self, expr):
        return self._clamped(expr, "maximum", "min")

    def _print_Min(self, expr):
        return self._clamped(expr, "minimum", "max")

    def _print_NaN(self, expr):
        return f"{self.like}.new_tensor(math.nan)"

    def _select(self, condition, value, otherwise):
        branch = f"{self.like}.new_tensor({self._print(value)})" if value.is_Number else self._print(value)
        return f"torch.where({self._print(condition)}, {branch}, {otherwise})"


def _printer(backend: str, like: str):
    """The printer of ``backend``; ``like`` names an in-scope tensor (used by torch only)."""
    if backend == "torch":
        return _TorchPrinter(like)
    return _ArrayPrinter() if backend == "numpy" else _ScalarPrinter()


# ---------------------------------------------------------------------------------------------
# templates: one per backend
# ---------------------------------------------------------------------------------------------
_HEADER = '''\
"""Generated by gaconvex.symbolic.codegen {version} ({backend} backend); do not edit.

{family}
f(x) = {formula}
"""
import math

'''

_VECTOR_TEMPLATE = '''\
import {module_import}


def constants({params}):
    """Per-column values (arguments of shape (P, 1)): everything in f that does not depend on x."""
{column}    return ({carried_tuple})


def row({row_args}):
    """f(x; column) for x of shape (1, N) and column values of shape (P, 1) -> (P, N)."""
{row}    return {result}
'''

_NUMBA_TEMPLATE = '''\
import numba


@numba.njit(cache=True)
def constants({params}):
    """Per-column values: everything in f that does not depend on x."""
{column}    return ({carried_tuple})


@numba.njit(cache=True)
def row({row_args}):
    """f(x; column) for one data point."""
{row}    return {result}


@numba.njit(cache=True, nogil=True)
def dense(x, anchors, signs, out):
    """out[p, i] = f(x[i]; anchors[p], signs[p])."""
    for p in range(anchors.shape[0]):
        {carried_tuple} = constants({param_items})
        for i in range(x.shape[0]):
            out[p, i] = row(x[i], {carried})


@numba.njit(cache=True, nogil=True, fastmath={{"reassoc"}})
def rmatvec(x, anchors, signs, r, out):
    """out[p] = sum_i f(x[i]; anchors[p], signs[p]) r[i]: A.T @ r without forming A.

    ``reassoc`` lets the sum over i be vectorised (reordered, so exact only to rounding).
    """
    for p in range(anchors.shape[0]):
        {carried_tuple} = constants({param_items})
        acc = 0.0
        for i in range(x.shape[0]):
            acc += row(x[i], {carried}) * r[i]
        out[p] = acc


@numba.njit(cache=True, nogil=True)
def matvec(x, anchors, signs, z, out):
    """out += sum over the columns p with z[p] != 0 of f(x; anchors[p], signs[p]) z[p] (A @ z)."""
    for p in range(anchors.shape[0]):
        if z[p] != 0.0:
            {carried_tuple} = constants({param_items})
            for i in range(x.shape[0]):
                out[i] += row(x[i], {carried}) * z[p]
'''

_TEMPLATES = {"numpy": _VECTOR_TEMPLATE, "torch": _VECTOR_TEMPLATE, "numba": _NUMBA_TEMPLATE}
_IMPORTS = {"numpy": "numpy as np", "torch": "torch"}


def _statements(statements, printer) -> str:
    return "".join(f"    {name} = {printer.doprint(value)}\n" for name, value in statements)


def generate_source(family: FeatureFamily, backend: str) -> str:
    """The Python module text of ``family``'s kernel for ``backend`` (see module docstring)."""
    _check_backend(backend)
    program = straight_line(family)
    params = [s.name for s in program.params]
    carried = [s.name for s in program.carried]
    like = params[0] if params else "x"
    anchors = [f"anchors[p, {k}]" for k in range(family.n_anchors)]
    signs = [f"signs[p, {k}]" for k in range(family.n_signs)]
    header = _HEADER.format(version=CODEGEN_VERSION, backend=backend, family=str(family.architecture)
                            + f" [{family.bias_kind} biases]", formula=sp.sstr(family.expr))
    return header + _TEMPLATES[backend].format(
        module_import=_IMPORTS.get(backend, ""),
        params=", ".join(params),
        column=_statements(program.column, _printer(backend, like)),
        carried_tuple="".join(f"{c}, " for c in carried).rstrip(" "),
        carried=", ".join(carried),
        row_args=", ".join([program.x.name, *carried]),
        row=_statements(program.row, _printer(backend, program.x.name)),
        result=_printer(backend, program.x.name).doprint(program.result),
        param_items=", ".join(anchors + signs),
    )


# ---------------------------------------------------------------------------------------------
# caches
# ---------------------------------------------------------------------------------------------
_MODULES: dict = {}


def cache_dir() -> Path:
    """``$GACONVEX_CACHE_DIR`` or ``~/.cache/gaconvex/kernels`` (read at every call)."""
    return Path(os.environ.get("GACONVEX_CACHE_DIR") or Path.home() / ".cache" / "gaconvex" / "kernels")


@lru_cache(maxsize=None)
def _cache_key(family: FeatureFamily, backend: str) -> str:
    """sha256 of (srepr of the signature and expression, backend, generator version, template)."""
    signature = sp.srepr((family.x, tuple(family.anchors), tuple(family.signs), family.expr))
    text = "\n".join([signature, backend, CODEGEN_VERSION, _TEMPLATES[backend]])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then ``os.replace`` (safe across processes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _import(path: Path):
    """Import a generated module from its file, so numba's ``cache=True`` can locate it."""
    spec = importlib.util.spec_from_file_location(f"gaconvex_kernel_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _load_module(family: FeatureFamily, backend: str):
    """The generated module: from memory, else from the disk cache, else generated and written."""
    key = _cache_key(family, backend)
    if key in _MODULES:
        stats["memory"] += 1
        return _MODULES[key]
    path = cache_dir() / f"{backend}_{key}.py"
    if path.exists():
        stats["disk"] += 1
    else:
        _write_atomic(path, generate_source(family, backend))
        stats["generated"] += 1
    _MODULES[key] = _import(path)
    return _MODULES[key]


def _check_backend(backend):
    if backend not in BACKENDS:
        raise GaconvexError(f"backend must be one of {BACKENDS}, got {backend!r}.")


def compile(family: FeatureFamily, backend: str = "numba") -> "Kernel":  # noqa: A001 (public name)
    """Compile ``family`` (a :class:`FeatureFamily`) into a :class:`Kernel` for ``backend``.

    ``backend`` is ``"numba"`` (fused loops run in parallel threads, machine code cached on
    disk), ``"numpy"`` or ``"torch"`` (any device).  Nothing is generated twice: the module is looked up in memory,
    then in :func:`cache_dir`, and only then generated (``stats`` counts which happened).
    """
    _check_backend(backend)
    if not isinstance(family, FeatureFamily):
        raise GaconvexError(
            f"compile needs a FeatureFamily, got {type(family).__name__}; take one from "
            "gaconvex.symbolic.derive(architecture(...)).families.")
    return _KERNELS[backend](family, backend, _load_module(family, backend))


# ---------------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------------
class Kernel:
    """All columns of a feature family on data: ``kernel(x, anchors, signs) -> A``.

    ``A[i, p] = f(x_i; anchors[p], signs[p])`` with x of shape (N,), anchors (P, n_anchors),
    signs (P, n_signs) of +-1 (``None`` or shape (P, 0) for a family without signs); A has
    shape (N, P), float64, column-major (each column contiguous, as coordinate descent wants).
    numpy and numba kernels take and return numpy arrays; the torch kernel takes arrays or
    tensors and returns a tensor on ``device`` (default: the inputs' device, else CPU).

    Attributes: ``family``, ``backend``, ``source`` (the generated code), ``path`` (its file).
    """

    def __init__(self, family: FeatureFamily, backend: str, module):
        self.family, self.backend, self.module = family, backend, module
        self.path = Path(module.__file__)

    @property
    def source(self) -> str:
        return self.path.read_text()

    def __repr__(self) -> str:
        f = self.family
        return (f"Kernel({self.backend}, {f.architecture} [{f.bias_kind} biases], "
                f"{f.n_anchors} anchors, {f.n_signs} signs)")

    # -- public API ----------------------------------------------------------------------------
    def __call__(self, x, anchors, signs=None, *, device=None, out=None):
        """Dense dictionary block A (N, P), A[i, p] = f(x_i; anchors[p], signs[p]).

        ``out``: an (N, P) float64 array (tensor for torch) to write A into, e.g. a column block
        ``M[:, j:j + P]`` of a whole dictionary ``M = np.empty((N, P_total), order="F")``;
        saves allocating A and copying it into M.  The numba kernel needs it column-major.
        """
        x, anchors, signs = self._inputs(x, anchors, signs, device)
        shape = (x.shape[0], anchors.shape[0])
        if out is None:
            out = self._empty(shape[::-1], x).T
        elif tuple(out.shape) != shape or not str(out.dtype).endswith("float64"):
            raise GaconvexError(f"out must be a float64 array of shape {shape}, got "
                                f"{out.dtype} of shape {tuple(out.shape)}.")
        self._dense(x, anchors, signs, out.T)
        return out

    def column(self, x, anchor_row, sign_row=None, *, device=None):
        """One column f(x; anchor_row, sign_row), shape (N,)."""
        rows = [v.reshape(1, -1) if hasattr(v, "reshape") else np.asarray(v, dtype=float).reshape(1, -1)
                for v in (anchor_row, () if sign_row is None else sign_row)]
        return self(x, *rows, device=device)[:, 0]

    def rmatvec(self, x, anchors, signs, r, *, device=None):
        """A.T @ r, shape (P,), without materialising A."""
        x, anchors, signs = self._inputs(x, anchors, signs, device)
        return self._rmatvec(x, anchors, signs, self._vector(r, x.shape[0], "r", x))

    def matvec(self, x, anchors, signs, z, *, device=None):
        """A @ z, shape (N,), without materialising A."""
        x, anchors, signs = self._inputs(x, anchors, signs, device)
        return self._matvec(x, anchors, signs, self._vector(z, anchors.shape[0], "z", x))

    # -- input checks shared by all backends ---------------------------------------------------
    def _check_shapes(self, x, anchors, signs):
        f = self.family
        if x.ndim != 1:
            raise GaconvexError(f"x must be a vector of shape (N,) or (N, 1), got shape "
                                f"{tuple(x.shape)}.")
        if anchors.ndim != 2 or anchors.shape[1] != f.n_anchors:
            raise GaconvexError(
                f"anchors must have shape (P, {f.n_anchors}) (anchor values a1..a{f.n_anchors} "
                f"per column), got shape {tuple(anchors.shape)}.")
        if signs.ndim != 2 or tuple(signs.shape) != (anchors.shape[0], f.n_signs):
            raise GaconvexError(
                f"signs must have shape ({anchors.shape[0]}, {f.n_signs}) (one row of +-1 per "
                f"column, e.g. from family.sign_choices; None when the family has no signs), "
                f"got shape {tuple(signs.shape)}.")

    def _vector(self, v, n, name, like):
        v = self._convert(v, name, like)
        if tuple(v.shape) != (n,):
            raise GaconvexError(f"{name} must have shape ({n},), got shape {tuple(v.shape)}.")
        return v

    def _inputs(self, x, anchors, signs, device):
        x = self._convert(x, "x", None, device)
        if x.ndim == 2 and x.shape[1] == 1:  # (N, 1) points of a dimension-free dictionary
            x = x[:, 0]
        anchors = self._convert(anchors, "anchors", x)
        n_cols = anchors.shape[0] if anchors.ndim == 2 else 0
        signs = self._convert(np.zeros((n_cols, 0)) if signs is None else signs, "signs", x)
        self._check_shapes(x, anchors, signs)
        return x, anchors, signs

    @staticmethod
    def _empty(shape, like):
        return np.empty(shape)

    def _convert(self, v, name, like, device=None):
        """numpy float64 (numpy and numba backends); the torch kernel overrides this."""
        if device not in (None, "cpu"):
            raise GaconvexError(f"the {self.backend} backend runs on the CPU; use backend='torch' "
                                f"for device={device!r}.")
        return np.ascontiguousarray(as_float_array(v, name))


def _column_chunks(n_rows: int, n_cols: int) -> list:
    """Column slices for the thread pool: one for small problems, else 4 per numba thread."""
    import numba

    threads = numba.config.NUMBA_NUM_THREADS
    if threads == 1 or n_rows * n_cols < _PARALLEL_MIN_ENTRIES:
        return [slice(0, n_cols)]
    bounds = np.linspace(0, n_cols, min(n_cols, 4 * threads) + 1).astype(int)
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


@lru_cache(maxsize=None)
def _thread_pool():
    import numba

    return ThreadPoolExecutor(numba.config.NUMBA_NUM_THREADS, thread_name_prefix="gaconvex-kernel")


def _in_parallel(task, chunks) -> None:
    """Run ``task(k, chunks[k])`` for every chunk, in the thread pool if there are several."""
    if len(chunks) == 1:
        task(0, chunks[0])
    else:
        list(_thread_pool().map(task, range(len(chunks)), chunks))


class _NumbaKernel(Kernel):
    """The generated ``nogil`` numba loops, run on column chunks in parallel threads.

    Threads over ``nogil`` loops rather than ``parallel=True``/``prange``: as fast here, and each
    loop compiles several times faster (first use of a family, test suites).
    """

    def _dense(self, x, anchors, signs, out):
        """Fill ``out`` of shape (P, N), which must be C-contiguous (A column-major)."""
        if not out.flags.c_contiguous:
            raise GaconvexError("the numba kernel writes columns contiguously: pass out= as a "
                                "column-major array, e.g. np.empty((N, P), order='F') or a column "
                                "block of one.")
        _in_parallel(lambda k, c: self.module.dense(x, anchors[c], signs[c], out[c]),
                     _column_chunks(*out.shape[::-1]))

    def _rmatvec(self, x, anchors, signs, r):
        out = np.empty(anchors.shape[0])
        _in_parallel(lambda k, c: self.module.rmatvec(x, anchors[c], signs[c], r, out[c]),
                     _column_chunks(x.shape[0], anchors.shape[0]))
        return out

    def _matvec(self, x, anchors, signs, z):
        chunks = _column_chunks(x.shape[0], anchors.shape[0])
        parts = np.zeros((len(chunks), x.shape[0]))  # one partial sum per chunk
        _in_parallel(lambda k, c: self.module.matvec(x, anchors[c], signs[c], z[c], parts[k]), chunks)
        return parts.sum(axis=0)


class _VectorKernel(Kernel):
    """Blocks of columns by broadcasting: ``row(x[None, :], *constants(params[:, None]))``."""

    def _blocks(self, x, anchors, signs):
        """Yield (columns slice, f on that block, shape (columns, N))."""
        n_rows, n_cols = x.shape[0], anchors.shape[0]
        params = [anchors[:, k:k + 1] for k in range(anchors.shape[1])] + \
                 [signs[:, k:k + 1] for k in range(signs.shape[1])]
        step = max(1, self._chunk_for(x) // max(1, n_rows))
        for start in range(0, n_cols, step):
            cols = slice(start, min(start + step, n_cols))
            values = self.module.constants(*(p[cols] for p in params))
            block = self.module.row(x.reshape(1, -1), *values)
            yield cols, self._broadcast(block, (cols.stop - cols.start, n_rows))

    def _dense(self, x, anchors, signs, out):
        for cols, block in self._blocks(x, anchors, signs):
            out[cols] = block

    def _rmatvec(self, x, anchors, signs, r):
        out = self._empty((anchors.shape[0],), x)
        for cols, block in self._blocks(x, anchors, signs):
            out[cols] = block @ r
        return out

    def _matvec(self, x, anchors, signs, z):
        out = self._empty((x.shape[0],), x)
        out[...] = 0.0
        for cols, block in self._blocks(x, anchors, signs):
            out += z[cols] @ block
        return out

    def _chunk_for(self, x):
        return _VECTOR_CHUNK


class _NumpyKernel(_VectorKernel):
    @staticmethod
    def _broadcast(block, shape):
        return np.broadcast_to(block, shape)


class _TorchKernel(_VectorKernel):
    """torch tensors on any device; inputs may be numpy arrays or tensors."""

    def _convert(self, v, name, like, device=None):
        import torch

        if like is not None:
            device = like.device
        elif device is None:
            device = v.device if isinstance(v, torch.Tensor) else "cpu"
        if not isinstance(v, torch.Tensor):
            v = as_float_array(v, name)
        return torch.as_tensor(v, dtype=torch.float64, device=device)

    @staticmethod
    def _empty(shape, like):
        import torch

        return torch.empty(shape, dtype=torch.float64, device=like.device)

    @staticmethod
    def _broadcast(block, shape):
        return block.expand(shape)

    def _chunk_for(self, x):
        return _VECTOR_CHUNK if x.device.type == "cpu" else _VECTOR_CHUNK_ACCELERATOR


_KERNELS = {"numba": _NumbaKernel, "numpy": _NumpyKernel, "torch": _TorchKernel}
