"""Piecewise-linear functions of one variable with exact breakpoints.

A unit of a deep network on 1-D data is a composition of affine maps, sums and piecewise-linear
activations (002 eq. 2.1, 2.3), so it is itself piecewise linear; :class:`PiecewiseLinear`
carries such a function through those three operations and reports where it breaks.

One implementation, two number modes:

* **numeric** (``witness=None``): positions, slopes and values are floats.  Used to read the
  kinks off trained networks (``gaconvex.networks``).
* **exact** (``witness`` = a mapping anchor symbol -> exact rational value): slopes are
  :class:`~fractions.Fraction` constants and every position / intercept / value is a
  :class:`LinearForm`, an affine expression in the anchor symbols that also carries its exact
  value at the witness.  Every comparison of the case analysis (which side of a kink, which
  branch of ``Abs``/``Max``, where a zero crossing lies) is decided on the witness and recorded
  as a sign condition.  The breakpoint expressions are then valid throughout the chamber of
  anchor space cut out by those conditions (:meth:`PiecewiseLinear.case_conditions`): the
  region that contains the witness.  A generic witness (no accidental ties) gives an open
  chamber; a tie (e.g. two equal anchors) gives the face through the witness.

Only true kinks are kept: a knot where neither the slope nor the value jumps is dropped.
"""
from __future__ import annotations

from bisect import bisect_left
from fractions import Fraction
from numbers import Rational as _RationalABC
from typing import Mapping

import numpy as np
import sympy as sp

from gaconvex._validation import GaconvexError

__all__ = ["LinearForm", "PiecewiseLinear", "linearize", "to_rational"]


def _canonical(q):
    """An exact rational as an int when integral (int arithmetic is ~10x faster than Fraction)."""
    return q.numerator if type(q) is Fraction and q.denominator == 1 else q


def to_rational(v):
    """Exact rational value of ``v`` (int if integral, else Fraction), read through its decimal
    string: 0.1 -> 1/10, as ``sympy.Rational(str(v))``."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, Fraction):
        return _canonical(v)
    if isinstance(v, sp.Rational):
        return _canonical(Fraction(int(v.p), int(v.q)))
    try:
        return _canonical(Fraction(str(v)))
    except (ValueError, TypeError) as exc:
        raise GaconvexError(f"cannot convert {v!r} to an exact rational: {exc}") from exc


def _reciprocal(m):
    """1/m, exact for an exact m."""
    return 1.0 / m if isinstance(m, float) else _canonical(Fraction(1) / m)


def _sympy(q) -> sp.Rational:
    return sp.Rational(q.numerator, q.denominator)


class LinearForm:
    """c0 + sum_i c_i a_i with exact rational coefficients, plus its exact value at the witness.

    Arithmetic (``+``, ``-``, multiplication by a rational constant) keeps the value in step, so
    comparisons never need the witness again.  ``expr`` is the sympy expression.  Coefficients
    are ints or Fractions; zero coefficients are not stored.
    """

    __slots__ = ("const", "coeffs", "value")

    def __init__(self, const, coeffs: dict, value):
        self.const = const
        self.coeffs = coeffs
        self.value = value

    @classmethod
    def constant(cls, c) -> "LinearForm":
        c = to_rational(c)
        return cls(c, {}, c)

    @classmethod
    def variable(cls, symbol: sp.Symbol, value) -> "LinearForm":
        return cls(0, {symbol: 1}, to_rational(value))

    @property
    def is_constant(self) -> bool:
        return not self.coeffs

    @property
    def expr(self) -> sp.Expr:
        return sp.Add(_sympy(self.const), *(_sympy(c) * s for s, c in self.coeffs.items()))

    def coefficient(self, symbol):
        return self.coeffs.get(symbol, 0)

    def _combine(self, other, sign):
        if not isinstance(other, LinearForm):
            other = to_rational(other)
            return LinearForm(self.const + sign * other, self.coeffs, self.value + sign * other)
        coeffs = dict(self.coeffs)
        for s, c in other.coeffs.items():
            new = _canonical(coeffs.get(s, 0) + sign * c)
            if new:
                coeffs[s] = new
            else:
                coeffs.pop(s, None)
        return LinearForm(_canonical(self.const + sign * other.const), coeffs,
                          _canonical(self.value + sign * other.value))

    def __add__(self, other):
        return self._combine(other, 1)

    __radd__ = __add__

    def __sub__(self, other):
        return self._combine(other, -1)

    def __rsub__(self, other):
        return (-self)._combine(other, 1)

    def __neg__(self):
        return LinearForm(-self.const, {s: -c for s, c in self.coeffs.items()}, -self.value)

    def __mul__(self, k):
        if isinstance(k, LinearForm):
            if not k.is_constant:
                raise GaconvexError("a product of two anchor-dependent quantities is not linear.")
            k = k.const
        if k == 1:
            return self
        k = to_rational(k)
        if k == 0:
            return LinearForm(0, {}, 0)
        return LinearForm(_canonical(self.const * k),
                          {s: _canonical(c * k) for s, c in self.coeffs.items()},
                          _canonical(self.value * k))

    __rmul__ = __mul__

    def __repr__(self):
        return f"LinearForm({self.expr} = {self.value} at witness)"


def _value(q):
    """The number a comparison looks at: the witness value of a form, or the float itself."""
    return q.value if isinstance(q, LinearForm) else q


def _sign(v) -> int:
    return (v > 0) - (v < 0)


def _condition_key(q: LinearForm, sign: int):
    """Canonical (hyperplane, side) of ``sign(q) = sign``: q scaled to first coefficient 1."""
    first = min(q.coeffs, key=lambda s: s.name)
    lead = q.coeffs[first]
    inv = _reciprocal(lead)
    terms = tuple(sorted(((s, _canonical(c * inv)) for s, c in q.coeffs.items()),
                         key=lambda t: t[0].name))
    return (_canonical(q.const * inv), terms), sign * _sign(lead)


def _record(q, conds: list) -> int:
    """sign(q) at the witness; remembers it when q depends on the anchors (exact mode)."""
    s = _sign(_value(q))
    if isinstance(q, LinearForm) and not q.is_constant:
        conds.append((q, s))
    return s


def _compare(a, b, conds: list) -> int:
    """sign(a - b) at the witness, recorded as a case condition."""
    return _record(a - b, conds)


def linearize(expr, witness: Mapping, conds: list | None = None) -> LinearForm:
    """The affine form that ``expr`` equals in the chamber of the witness.

    ``expr`` is built from numbers, the witness's symbols, ``+``, products with constants,
    ``Abs``, ``Max``, ``Min`` and ``Piecewise`` with relational conditions; each branch is
    chosen by the witness (ties take the first / non-negative branch) and recorded in ``conds``.
    """
    conds = [] if conds is None else conds

    def lin(e) -> LinearForm:
        if isinstance(e, LinearForm):
            return e
        if not isinstance(e, sp.Basic):
            return LinearForm.constant(e)
        if e.is_Rational:
            return LinearForm.constant(e)
        if e.is_Symbol:
            if e not in witness:
                raise GaconvexError(f"symbol {e} has no witness value; give a value for every "
                                    "anchor and substitute the signs first.")
            return LinearForm.variable(e, witness[e])
        if e.is_Add:
            return sum((lin(a) for a in e.args), LinearForm.constant(0))
        if e.is_Mul:
            out = LinearForm.constant(1)
            for a in e.args:
                f = lin(a)
                if not out.is_constant and not f.is_constant:
                    raise GaconvexError(f"{e} is not linear in the anchors.")
                out = f * out.const if out.is_constant else out * f
            return out
        if isinstance(e, sp.Abs):
            u = lin(e.args[0])
            return -u if _record(u, conds) < 0 else u
        if isinstance(e, (sp.Max, sp.Min)):
            best = lin(e.args[0])
            for a in e.args[1:]:
                f = lin(a)
                s = _compare(f, best, conds)
                if (s > 0) if isinstance(e, sp.Max) else (s < 0):
                    best = f
            return best
        if isinstance(e, sp.Piecewise):
            for value, cond in e.args:
                if _holds(cond):
                    return lin(value)
            raise GaconvexError(f"no branch of {e} holds at the witness.")
        raise GaconvexError(f"cannot linearize {type(e).__name__} {e}: only +, constant *, Abs, "
                            "Max, Min and Piecewise of affine expressions are supported.")

    def _holds(cond) -> bool:
        if cond is sp.true:
            return True
        if isinstance(cond, sp.core.relational.Relational):
            s = _compare(lin(cond.lhs), lin(cond.rhs), conds)
            return {"<": s < 0, "<=": s <= 0, ">": s > 0, ">=": s >= 0, "==": s == 0,
                    "!=": s != 0}[cond.rel_op]
        raise GaconvexError(f"unsupported Piecewise condition {cond}.")

    return lin(expr)


class PiecewiseLinear:
    """A piecewise-linear, possibly discontinuous, function f: R -> R with exact breakpoints.

    Stored as knots t_1 < ... < t_k, the affine pieces m_i x + c_i on the open intervals
    (t_i, t_{i+1}) (t_0 = -inf, t_{k+1} = +inf; ``len(pieces) == k + 1``) and the values
    f(t_i) at the knots themselves (which matter for sign / threshold, sigma(0) = sigma(0+)).

    Build with :meth:`identity` (or :meth:`from_layers`), then ``affine(w, b)`` = w f + b,
    ``f + g``, ``compose(activation)`` = sigma o f; read with ``f(x)``, :meth:`kinks`,
    :meth:`breakpoints`, :meth:`case_conditions` and :meth:`as_expr`.
    """

    __slots__ = ("knots", "pieces", "values", "witness", "_conds")

    def __init__(self, knots, pieces, values, witness=None, conds=()):
        if len(pieces) != len(knots) + 1 or len(values) != len(knots):
            raise GaconvexError("a PiecewiseLinear needs len(pieces) = len(knots) + 1 = "
                                "len(values) + 1.")
        self.knots = tuple(knots)
        self.pieces = tuple(pieces)
        self.values = tuple(values)
        self.witness = witness
        self._conds = tuple(conds)  # (LinearForm q, sign of q at the witness), canonicalized lazily

    # -- construction --------------------------------------------------------------------
    @classmethod
    def identity(cls, witness: Mapping | None = None) -> "PiecewiseLinear":
        """f(x) = x.  ``witness`` (symbol -> value) switches to exact mode; None is numeric."""
        if witness is not None:
            witness = {s: to_rational(v) for s, v in witness.items()}
            return cls((), ((1, LinearForm.constant(0)),), (), witness)
        return cls((), ((1.0, 0.0),), ())

    @classmethod
    def from_layers(cls, layers, activation, witness: Mapping | None = None,
                    fixed: Mapping | None = None) -> "PiecewiseLinear":
        """The unit x -> h, h <- sigma(h W + b) layer by layer, with a scalar output (002 eq. 2.3).

        ``layers``: :class:`~gaconvex.symbolic.Layer` objects (sympy) or ``(W, b)`` array pairs
        with W of shape (m_in, m_out).  ``fixed`` substitutes symbols by constants first (the +-1
        inner weights of a family); ``witness`` gives the anchors (exact mode).
        """
        h = [cls.identity(witness)]
        for layer in layers:
            W, b = (layer.weight, layer.bias) if hasattr(layer, "weight") else layer
            if fixed and isinstance(W, sp.MatrixBase):
                W, b = W.xreplace(dict(fixed)), b.xreplace(dict(fixed))
            W, b = (np.asarray(M.tolist() if isinstance(M, sp.MatrixBase) else M, dtype=object)
                    for M in (W, b))
            b = b.reshape(-1)
            if W.ndim != 2 or W.shape != (len(h), b.size):
                raise GaconvexError(f"layer shapes do not chain: input width {len(h)}, weight "
                                    f"{W.shape}, bias {b.shape}.")
            h = [sum((h[i].affine(W[i, j], 0) for i in range(len(h))), h[0].constant(b[j]))
                 .compose(activation) for j in range(b.size)]
        if len(h) != 1:
            raise GaconvexError(f"the unit has {len(h)} outputs; a feature has exactly one.")
        return h[0]

    def constant(self, c) -> "PiecewiseLinear":
        """The constant c in this function's mode (a sympy c is linearized on the witness)."""
        conds = []
        c = self._scalar(c, conds)
        return PiecewiseLinear((), ((self._zero(), c),), (), self.witness, conds)

    @property
    def exact(self) -> bool:
        return self.witness is not None

    def _zero(self):
        return 0 if self.exact else 0.0

    def _scalar(self, v, conds: list):
        """A number or sympy expression as this mode's scalar (float; LinearForm if exact)."""
        if not self.exact:
            if isinstance(v, sp.Basic) and v.free_symbols:
                raise GaconvexError(f"{v} depends on {sorted(map(str, v.free_symbols))}: pass "
                                    "witness= (exact mode) or fixed= values for those symbols.")
            return float(v)
        if isinstance(v, LinearForm):
            return v
        if isinstance(v, sp.Basic):
            return linearize(v, self.witness, conds)
        return LinearForm.constant(v)

    def _slope(self, w):
        """A constant multiplier: float, or exact rational (anchor-dependent: rejected)."""
        if not self.exact:
            return self._scalar(w, [])
        f = self._scalar(w, [])
        if not f.is_constant:
            raise GaconvexError(f"weight {w} depends on the anchors; only biases may.")
        return f.const

    # -- the three operations ------------------------------------------------------------
    def affine(self, w, b) -> "PiecewiseLinear":
        """x -> w f(x) + b."""
        conds = list(self._conds)
        w, b = self._slope(w), self._scalar(b, conds)
        pieces = [(w * m, c * w + b) for m, c in self.pieces]
        return self._build(self.knots, pieces, [v * w + b for v in self.values], conds)

    def __add__(self, other: "PiecewiseLinear") -> "PiecewiseLinear":
        if not isinstance(other, PiecewiseLinear):
            return self.affine(1, other)
        if self.exact != other.exact:
            raise GaconvexError("cannot add an exact and a numeric PiecewiseLinear.")
        conds = [*self._conds, *other._conds]
        knots, pieces, values = [], [], []
        i = j = 0
        while i < len(self.knots) or j < len(other.knots):
            if j == len(other.knots):
                s = -1
            elif i == len(self.knots):
                s = 1
            else:
                s = _compare(self.knots[i], other.knots[j], conds)
            t = self.knots[i] if s <= 0 else other.knots[j]
            pieces.append(_add_pieces(self.pieces[i], other.pieces[j]))
            fv = self.values[i] if s <= 0 else _at(self.pieces[i], t)
            gv = other.values[j] if s >= 0 else _at(other.pieces[j], t)
            knots.append(t)
            values.append(fv + gv)
            i += s <= 0
            j += s >= 0
        pieces.append(_add_pieces(self.pieces[-1], other.pieces[-1]))
        return self._build(knots, pieces, values, conds)

    __radd__ = __add__

    def compose(self, activation) -> "PiecewiseLinear":
        """x -> sigma(f(x)) for sigma(u) = a- u + b- (u < 0), a+ u + b+ (u >= 0) (002 eq. 2.1).

        On each piece m x + c the zero crossing z = -c/m splits the piece if it lies strictly
        inside; the new knot has value sigma(0) = b+.  Old knots get sigma(f(t_i)).
        """
        conds = list(self._conds)
        conv = self._slope
        ap, am, bp, bm = (conv(activation.a_plus), conv(activation.a_minus),
                          conv(activation.b_plus), conv(activation.b_minus))

        def branch(s, m, c):  # sigma on a region where sign(f) = s (s = 0: f == 0 -> u >= 0 branch)
            return (ap * m, c * ap + bp) if s >= 0 else (am * m, c * am + bm)

        sigma_zero = LinearForm.constant(bp) if self.exact else bp
        knots, pieces, values = [], [], []
        for i, (m, c) in enumerate(self.pieces):
            lo = self.knots[i - 1] if i > 0 else None
            hi = self.knots[i] if i < len(self.knots) else None
            if m == 0:
                pieces.append(branch(_record(c, conds), m, c))
            else:
                z = self._zero() - c * _reciprocal(m)  # 0 - c/m: no -0.0 in numeric mode
                after_lo = lo is None or _compare(z, lo, conds) > 0
                before_hi = hi is None or _compare(z, hi, conds) < 0
                if after_lo and before_hi:
                    pieces += [branch(-_sign(m), m, c), branch(_sign(m), m, c)]
                    knots.append(z)
                    values.append(sigma_zero)
                else:  # zero at/left of the piece: f has the sign of m on it; at/right: of -m
                    pieces.append(branch(_sign(m) if not after_lo else -_sign(m), m, c))
            if hi is not None:
                v = self.values[i]
                knots.append(hi)
                values.append(branch(_record(v, conds), 0, v)[1])
        return self._build(knots, pieces, values, conds)

    def _build(self, knots, pieces, values, conds) -> "PiecewiseLinear":
        """Drop knots where neither the slope nor the value jumps (decided on the witness)."""
        keep_k, keep_p, keep_v = [], [pieces[0]], []
        for t, v, right in zip(knots, values, pieces[1:]):
            left = keep_p[-1]
            if (left[0] == right[0] and _compare(left[1], right[1], conds) == 0
                    and _compare(v, _at(left, t), conds) == 0):
                continue
            keep_k.append(t)
            keep_v.append(v)
            keep_p.append(right)
        return PiecewiseLinear(keep_k, keep_p, keep_v, self.witness, conds)

    # -- reading -------------------------------------------------------------------------
    def knot_values(self) -> np.ndarray:
        """Positions of the knots as floats (the witness values in exact mode)."""
        return np.array([float(_value(t)) for t in self.knots], dtype=float)

    def __call__(self, x):
        """f(x) for a float or array (exact mode evaluates at the witness)."""
        x = np.asarray(x, dtype=float)
        t = self.knot_values()
        slopes = np.array([float(m) for m, _ in self.pieces])
        icpts = np.array([float(_value(c)) for _, c in self.pieces])
        vals = np.array([float(_value(v)) for v in self.values])
        idx = np.searchsorted(t, x, side="left")
        out = slopes[idx] * x + icpts[idx]
        if len(t):
            on = np.minimum(idx, len(t) - 1)
            out = np.where(t[on] == x, vals[on], out)
        return out if out.ndim else float(out)

    def kinks(self, tol: float = 0.0) -> np.ndarray:
        """Breakpoint positions (floats) whose slope or value jumps by more than ``tol``.

        Knots closer than ``tol`` are merged first (a group counts as one kink at its mean
        position, judged by the slope / value change across the whole group), so float round-off
        in numeric mode cannot split one kink into two.  ``tol = 0`` returns every knot.
        """
        pos = self.knot_values()
        if tol <= 0 or len(pos) == 0:
            return pos
        out, start = [], 0
        for k in range(1, len(pos) + 1):
            if k == len(pos) or pos[k] - pos[k - 1] > tol:
                if self._group_jumps(start, k) > tol:
                    out.append(float(np.mean(pos[start:k])))
                start = k
        return np.array(out, dtype=float)

    def _group_jumps(self, start, stop) -> float:
        """Largest slope change, value jump or point deviation across knots start..stop-1."""
        (ml, cl), (mr, cr) = self.pieces[start], self.pieces[stop]
        ts = [float(_value(self.knots[k])) for k in range(start, stop)]
        left = float(ml) * ts[0] + float(_value(cl))
        right = float(mr) * ts[-1] + float(_value(cr))
        inner = [float(_value(v)) for v in self.values[start:stop]]
        inner += [float(m) * t + float(_value(c)) for (m, c), t in
                  zip(self.pieces[start + 1:stop], ts[1:])]
        dev = max(abs(v - left) for v in inner) if inner else 0.0
        return max(abs(float(mr) - float(ml)), abs(right - left), dev)

    def breakpoints(self) -> list[tuple]:
        """(value, expr) per knot: the exact witness value and the sympy expression valid in
        the witness's chamber; numeric mode gives (float, None)."""
        if not self.exact:
            return [(float(t), None) for t in self.knots]
        return [(t.value, t.expr) for t in self.knots]

    def case_conditions(self) -> list:
        """The sign conditions on the anchors that the witness decided (exact mode).

        Each is a sympy relational ``q > 0``, ``q < 0`` or ``Eq(q, 0)`` with q affine in the
        anchors; the breakpoint expressions hold on the region where all of them hold.
        """
        rel = {1: sp.StrictGreaterThan, -1: sp.StrictLessThan, 0: sp.Eq}
        out = []
        keys = {_condition_key(q, s) for q, s in self._conds}
        for (const, terms), s in sorted(keys, key=str):
            q = sp.Add(_sympy(const), *(_sympy(c) * sym for sym, c in terms))
            out.append(rel[s](q, 0))
        return out

    def as_expr(self, x: sp.Symbol) -> sp.Piecewise:
        """The function as a sympy Piecewise in ``x`` (valid in the witness's chamber)."""
        def sym(q):
            if isinstance(q, LinearForm):
                return q.expr
            return sp.Float(q) if isinstance(q, float) else _sympy(q)
        args = []
        for k, t in enumerate(self.knots):
            m, c = self.pieces[k]
            args.append((sym(m) * x + sym(c), x < sym(t)))
            args.append((sym(self.values[k]), sp.Eq(x, sym(t))))
        m, c = self.pieces[-1]
        args.append((sym(m) * x + sym(c), True))
        return sp.Piecewise(*args, evaluate=False)

    def __repr__(self):
        mode = "exact" if self.exact else "numeric"
        pts = ", ".join(str(t.expr if isinstance(t, LinearForm) else t) for t in self.knots)
        return f"PiecewiseLinear({mode}, {len(self.knots)} breakpoints: [{pts}])"


def _at(piece, t):
    """m t + c for a piece (m, c) at a position t."""
    m, c = piece
    return t * m + c


def _add_pieces(p, q):
    return (p[0] + q[0], p[1] + q[1])
