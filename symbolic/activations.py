"""Piecewise-linear activations sigma(u) = a- u + b- (u < 0), a+ u + b+ (u >= 0)  (002 eq. 2.1).

Each activation is a small immutable object that builds its sympy expression; every property the
theorems need (homogeneous, sign-determined, monotone, even) is read off the four numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from gaconvex._validation import GaconvexError

__all__ = ["Activation", "relu", "leaky_relu", "absolute", "sign", "threshold",
           "piecewise_linear", "get_activation", "ACTIVATIONS"]


def _rational(v) -> sp.Rational:
    return sp.Rational(str(v)) if not isinstance(v, sp.Basic) else sp.nsimplify(v)


@dataclass(frozen=True)
class Activation:
    """sigma(u) = a_minus*u + b_minus for u < 0 and a_plus*u + b_plus for u >= 0 (002 eq. 2.1).

    ``sign(0) = 1`` and ``threshold(0) = 1``: the value at 0 belongs to the u >= 0 branch.
    """

    name: str
    a_plus: sp.Rational
    a_minus: sp.Rational
    b_plus: sp.Rational = sp.Integer(0)
    b_minus: sp.Rational = sp.Integer(0)

    def __call__(self, u):
        """The sympy expression sigma(u), written with Max/Abs/Piecewise so it prints cleanly."""
        ap, am, bp, bm = self.a_plus, self.a_minus, self.b_plus, self.b_minus
        if self.is_even and bp == 0:
            return ap * sp.Abs(u)
        expr = sp.Integer(0)
        if ap == am:
            expr += ap * u
        elif am == 0:
            expr += ap * sp.Max(u, 0)
        else:  # a+ max(u,0) + a- min(u,0) = (a+ + a-)/2 u + (a+ - a-)/2 |u|: cheaper for sympy than Max/Min
            expr += (ap + am) / 2 * u + (ap - am) / 2 * sp.Abs(u)
        if bp != 0 or bm != 0:
            expr += sp.Piecewise((bp, u >= 0), (bm, True))
        return expr

    # -- properties used by the theorems (002 Sec. 1.2) -------------------------------------
    @property
    def is_homogeneous(self) -> bool:
        """sigma(a u) = a sigma(u) for a >= 0: ReLU, leaky ReLU, abs."""
        return self.b_plus == 0 and self.b_minus == 0

    @property
    def is_continuous(self) -> bool:
        return self.b_plus == self.b_minus

    @property
    def is_sign_determined(self) -> bool:
        """sigma(u) depends on sign(u) only: sign and threshold (002 Remark D.1)."""
        return self.a_plus == 0 and self.a_minus == 0

    @property
    def is_monotone(self) -> bool:
        """sign(a+) = sign(a-) (002 Sec. 1.2); sign-determined ones: b+ >= b-."""
        if self.is_sign_determined:
            return self.b_plus >= self.b_minus
        return self.a_plus * self.a_minus >= 0

    @property
    def is_even(self) -> bool:
        """sigma(-u) = sigma(u) for u != 0 (abs): inner signs of a unit are irrelevant."""
        return self.a_plus == -self.a_minus and self.b_plus == self.b_minus

    @property
    def inner_sign_redundant(self) -> bool:
        """A +-1 inner weight adds no column (002 Table 3.1, Cor. 3.15): sigma is even (abs), so
        sigma(-u) = sigma(u), or odd and sign-determined (sign), so the flip is the output sign."""
        return self.is_even or (self.is_sign_determined and self.b_plus == -self.b_minus)

    def effective_depth(self, depth: int) -> int:
        """L~ of the training objective (1.1): L, or 2 for sign-determined sigma, whose inner
        weights are not penalized (002 Remark D.1)."""
        return 2 if self.is_sign_determined else depth

    @property
    def has_free_intercept(self) -> bool:
        """xi is a free Lasso variable unless sigma is sign-determined (002 Thm 3.11, Lemma D.16)."""
        return not self.is_sign_determined

    def __str__(self) -> str:
        return self.name


def relu() -> Activation:
    return Activation("relu", sp.Integer(1), sp.Integer(0))


def leaky_relu(a=sp.Rational(1, 10)) -> Activation:
    a = _rational(a)
    if a == 1:
        raise GaconvexError("leaky_relu needs a slope a != 1 for u < 0 (a = 1 is linear).")
    return Activation(f"leaky_relu({a})", sp.Integer(1), a)


def absolute() -> Activation:
    return Activation("abs", sp.Integer(1), sp.Integer(-1))


def sign() -> Activation:
    return Activation("sign", sp.Integer(0), sp.Integer(0), sp.Integer(1), sp.Integer(-1))


def threshold() -> Activation:
    return Activation("threshold", sp.Integer(0), sp.Integer(0), sp.Integer(1), sp.Integer(0))


def piecewise_linear(a_plus, a_minus, b_plus=0, b_minus=0, name: str | None = None) -> Activation:
    """General sigma of 002 eq. (2.1) with rational coefficients."""
    ap, am, bp, bm = map(_rational, (a_plus, a_minus, b_plus, b_minus))
    return Activation(name or f"pwl({ap},{am},{bp},{bm})", ap, am, bp, bm)


ACTIVATIONS = {"relu": relu, "leaky_relu": leaky_relu, "abs": absolute, "sign": sign,
               "threshold": threshold}


def get_activation(spec) -> Activation:
    """Accept an :class:`Activation`, a name in ``ACTIVATIONS``, or ``("leaky_relu", a)``."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, tuple) and spec and spec[0] in ACTIVATIONS:
        return ACTIVATIONS[spec[0]](*spec[1:])
    if isinstance(spec, str) and spec in ACTIVATIONS:
        return ACTIVATIONS[spec]()
    raise GaconvexError(
        f"unknown activation {spec!r}; supported: {sorted(ACTIVATIONS)}, ('leaky_relu', a), "
        "or symbolic.piecewise_linear(a_plus, a_minus, b_plus, b_minus)."
    )
