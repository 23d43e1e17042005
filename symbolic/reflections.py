"""Reflections of data points and their minimal orders (000 Sec. 1, Sec. 4.2, App. F; 002 Sec. 1.2).

Reflection of a about b: R(a, b) = 2b - a.  Order 0: a generator (a data point / anchor) itself;
order k: R_k in {R(R_{k-1}, g), R(g, R_{k-1})} for a generator g.  Points may repeat, so an
order-k reflection is also of every order j >= k (R(g, g) = g).

A point is an integer coefficient vector over the generators.  Its *minimal order* is found by
the memoized backward search of seed-000-spec Sec. 2.4: p has order <= k iff p is a generator,
or k > 0 and for some generator g, 2g - p (p = R(2g - p, g)) or, when integral, (p + g)/2
(p = R(g, (p + g)/2)) has order <= k - 1.  Two prunings keep it fast up to order 8 over five
generators: an order-k point has l1 norm <= (2^(k+1) - 1) max_g |g|_1, and reflections keep
the parity class, R(a, b) = a (mod 2), so p mod 2 must be some g mod 2.  In particular a
generalized reflection a + c - b (three odd coefficients) and a midpoint are never reflections.

Two readings of "order" (``reading=``), both from the definition of 000 Sec. 1 / App. F:

* ``"chain"`` (the default; 000 App. F as printed, seed-000-spec Sec. 2.4): R_k is R_{k-1}
  reflected about a generator, or a generator reflected about R_{k-1}; a reflection tree whose
  every internal node has a generator child, and the order is its number of reflections.
* ``"tree"``: any two points already built may be reflected, one about the other.  With
  T_0 = the generators and T_k = T_{k-1} u {R(a, b) = 2b - a : a, b in T_{k-1}}, the tree order
  of p is the least k with p in T_k, i.e. the least height of a binary reflection tree with
  generator leaves: ord(g) = 0 and ord(R(a, b)) = 1 + max(ord(a), ord(b)), minimized over all
  trees for p.  Chains are trees, so tree order <= chain order (e.g. the chain-order-7 point
  10a1 - 6a2 - 2a3 - 2a4 + a5 has tree order 4).  Parity and the affine sum are kept by both
  readings, so midpoints and generalized reflections have no order in either.  The tree search
  materializes T_0..T_m while |T_{m-1}|^2 n <= ``_TREE_ENTRIES`` (n generators; m = 3 up to
  n = 6) and decides T_{m+1} by p = 2b - a with a = p (mod 2) in T_m and b = (p + a)/2 in T_m:
  exact up to order m + 1 (:func:`tree_search_limit`); above it :func:`tree_order_bounds`
  gives bounds (the minimal chain, folded into a tree, is an upper bound).
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy as sp

from gaconvex._validation import GaconvexError, as_float_array
from gaconvex.algebra.reflections import reflect

__all__ = ["reflect", "reflection_order", "reflection_construction", "format_construction",
           "describe_combination", "label_point", "READINGS", "tree_order_bounds",
           "tree_search_limit", "breakpoint_order_statistics"]

DEFAULT_MAX_ORDER = 8
#: The two readings of a reflection's order (module doc).
READINGS = ("chain", "tree")
_TREE_ENTRIES = 12_000_000  # largest |T_(m-1)|^2 n coefficients reflected to materialize T_m


class _OrderSearch:
    """Memoized search 'does p have order <= k' over one fixed generator set."""

    def __init__(self, gens: tuple):
        self.gens = gens
        self.index = {g: i for i, g in enumerate(gens)}
        self.max_norm = max(sum(map(abs, g)) for g in gens)
        self.parities = {tuple(c & 1 for c in g) for g in gens}
        sums = {sum(g) for g in gens}
        self.total = sums.pop() if len(sums) == 1 else None  # reflections keep an affine sum
        self.memo: dict = {}

    def construct(self, p: tuple, k: int):
        """A construction of p of order <= k (see :func:`reflection_construction`), or None."""
        key = (p, k)
        if key in self.memo:
            return self.memo[key]
        found = self.index.get(p)
        if (found is None and k > 0 and sum(map(abs, p)) <= (2 ** (k + 1) - 1) * self.max_norm
                and tuple(c & 1 for c in p) in self.parities):
            found = self._step(p, k)
        self.memo[key] = found
        return found

    def _step(self, p, k):
        for gi, g in enumerate(self.gens):
            inner = self.construct(tuple(reflect(a, b) for a, b in zip(p, g)), k - 1)
            if inner is not None:
                return ("R", inner, gi)  # p = R(inner, g)
            s = tuple(a + b for a, b in zip(p, g))
            if all(c % 2 == 0 for c in s):
                inner = self.construct(tuple(c // 2 for c in s), k - 1)
                if inner is not None:
                    return ("R*", gi, inner)  # p = R(g, inner)
        return None

    def minimal(self, p: tuple, max_order: int):
        if self.total is not None and sum(p) != self.total:
            return None
        for k in range(max_order + 1):
            c = self.construct(p, k)
            if c is not None:
                return k, c
        return None


@lru_cache(maxsize=32)
def _search(gens: tuple) -> _OrderSearch:
    return _OrderSearch(gens)


class _TreeLevels:
    """The levels T_0 c T_1 c ... c T_m of the tree reading (module doc) over fixed generators,
    as integer coefficient arrays with the parents (a, b) of each new point (p = 2b - a)."""

    def __init__(self, gens: tuple):
        self.n = len(gens[0])
        points = np.array(gens, dtype=np.int64).reshape(len(gens), self.n)
        self.points, self.parents, self.level = points, np.full((len(gens), 2), -1), [0] * len(gens)
        self.depth, self.memo = 0, {}
        self.complete = False  # True when a level adds nothing: T_m is then all reflections
        while len(self.points) ** 2 * self.n <= _TREE_ENTRIES and not self.complete:
            self.complete = not self._grow()
        self._index()

    def _keys(self, P: np.ndarray):
        """Rows of P as void scalars (exact, any coefficient size) for sorting and lookup."""
        P = np.ascontiguousarray(P, dtype=np.int64)
        return P.view(np.dtype((np.void, 8 * self.n))).ravel()

    def _grow(self) -> None:
        M = len(self.points)
        a, b = (g.ravel() for g in np.meshgrid(np.arange(M), np.arange(M), indexing="ij"))
        new = 2 * self.points[b] - self.points[a]
        _, first = np.unique(self._keys(new), return_index=True)
        first = np.sort(first)
        known = np.isin(self._keys(new[first]), self._keys(self.points))
        first = first[~known]
        if not first.size:
            return False
        self.depth += 1
        self.points = np.vstack([self.points, new[first]])
        self.parents = np.vstack([self.parents, np.column_stack([a[first], b[first]])])
        self.level += [self.depth] * len(first)
        return True

    def _index(self) -> None:
        keys = self._keys(self.points)
        self.order = np.argsort(keys)
        self.sorted_keys = keys[self.order]
        self.level = np.asarray(self.level)
        parity = self.points & 1
        self.by_parity: dict = {}
        for i, key in enumerate(map(tuple, parity)):
            self.by_parity.setdefault(key, []).append(i)
        self.by_parity = {k: np.asarray(v) for k, v in self.by_parity.items()}

    def find(self, P: np.ndarray) -> np.ndarray:
        """Index into ``points`` of each row of P (n_rows, n), or -1."""
        keys = self._keys(P)
        pos = np.minimum(np.searchsorted(self.sorted_keys, keys), len(self.sorted_keys) - 1)
        hit = self.sorted_keys[pos] == keys
        return np.where(hit, self.order[pos], -1)

    def construct(self, i: int):
        """Construction of point i: a generator index or ("T", a, b) for R(a, b) = 2b - a."""
        a, b = self.parents[i]
        return int(i) if a < 0 else ("T", self.construct(a), self.construct(b))

    def minimal(self, p: tuple):
        """(order, construction) if p has tree order <= depth + 1, else None (memoized)."""
        if p not in self.memo:
            self.memo[p] = self._minimal(p)
        return self.memo[p]

    def _minimal(self, p: tuple):
        P = np.asarray(p, dtype=np.int64)[None]
        i = self.find(P)[0]
        if i >= 0:
            return int(self.level[i]), self.construct(i)
        if self.complete:
            return None
        cand = self.by_parity.get(tuple(int(c) & 1 for c in p))
        if cand is None:
            return None
        mids = (P + self.points[cand]) // 2  # exact: same parity
        j = self.find(mids)
        hit = np.flatnonzero(j >= 0)
        if not hit.size:
            return None
        levels = np.maximum(self.level[cand[hit]], self.level[j[hit]])
        k = hit[np.argmin(levels)]
        return self.depth + 1, ("T", self.construct(cand[k]), self.construct(j[k]))


@lru_cache(maxsize=8)
def _tree(gens: tuple) -> _TreeLevels:
    return _TreeLevels(gens)


def _check_reading(reading: str) -> None:
    if reading not in READINGS:
        raise GaconvexError(f"reading must be one of {READINGS} (chain: reflect the last point "
                            f"about a generator or vice versa; tree: any two built points), "
                            f"got {reading!r}.")


def tree_search_limit(n_generators: int) -> int:
    """Largest tree order decided exactly over ``n_generators`` generators (module doc)."""
    return _tree(_generators(n_generators, None)).depth + 1


def tree_order_bounds(coeffs, generators=None, max_order: int = DEFAULT_MAX_ORDER):
    """(lower, upper) bounds of the tree order of the point ``coeffs``: equal when exact.  Above
    :func:`tree_search_limit` the lower bound is that limit + 1 and the upper bound the height
    of the point's minimal chain folded into a tree (each intermediate point replaced by its
    exact tree where that is lower; None without a chain of order <= max_order); (None, None)
    for a point of no order (non-integral, wrong parity or coefficient sum)."""
    p = _integer_vector(coeffs)
    if p is None or not p:
        return None, None
    gens = _generators(len(p), generators)
    search = _search(gens)
    if search.total is not None and sum(p) != search.total or \
            tuple(c & 1 for c in p) not in search.parities:
        return None, None
    found = _tree(gens).minimal(p)
    if found is not None:
        return found[0], found[0]
    if _tree(gens).complete:
        return None, None
    folded = _folded_chain(p, gens, max_order)
    return _tree(gens).depth + 2, None if folded is None else folded[0]


def _folded_chain(p, gens, max_order):
    """(height, tree construction) from p's minimal chain with every intermediate point
    replaced by its exact tree when that is lower: ord(p_k) <= 1 + ord(p_(k-1)) along the chain,
    and = the exact tree order where the search decides it.  None without a chain."""
    chain = _search(gens).minimal(p, max_order)
    if chain is None:
        return None
    tree = _tree(gens)

    def fold(c):
        if isinstance(c, int):
            return 0, c, np.asarray(gens[c], dtype=np.int64)
        kind, first, second = c
        inner, g = (first, second) if kind == "R" else (second, first)
        height, built, point = fold(inner)
        gen = np.asarray(gens[g], dtype=np.int64)
        point = 2 * gen - point if kind == "R" else 2 * point - gen
        best = (height + 1, ("T", built, g) if kind == "R" else ("T", g, built))
        exact = tree.minimal(tuple(int(v) for v in point))
        if exact is not None and exact[0] < best[0]:
            best = exact
        return best[0], best[1], point

    height, construction, _ = fold(chain[1])
    return height, construction


def _integer_vector(coeffs):
    """Coefficients as a tuple of ints, or None if one is not an integer."""
    out = []
    for c in coeffs:
        c = Fraction(str(c)) if not isinstance(c, (int, Fraction)) else Fraction(c)
        if c.denominator != 1:
            return None
        out.append(int(c))
    return tuple(out)


def _generators(n, generators):
    if generators is None:
        return tuple(tuple(int(i == j) for j in range(n)) for i in range(n))
    gens = tuple(_integer_vector(g) for g in generators)
    if any(g is None or len(g) != n for g in gens):
        raise GaconvexError(f"generators must be integer vectors of length {n} (that of coeffs).")
    return gens


def reflection_construction(coeffs, generators=None, max_order: int = DEFAULT_MAX_ORDER,
                            reading: str = "chain"):
    """(minimal order, construction) of the point ``coeffs`` (over ``generators``), or None.

    ``generators`` default to the unit vectors, i.e. ``coeffs`` are the coefficients of the point
    over the anchors.  A construction is a generator index (order 0), ``("R", c, g)`` for
    R(c, g_g) = 2 g_g - c, or ``("R*", g, c)`` for R(g_g, c) = 2c - g_g (chain reading), or
    ``("T", a, b)`` for R(a, b) = 2b - a of two constructions (tree reading, module doc).  None:
    no construction of order <= max_order exists (non-integral points, e.g. midpoints, never
    have one), or, for the tree reading, the order is not decided (:func:`tree_order_bounds`).
    """
    _check_reading(reading)
    p = _integer_vector(coeffs)
    if p is None or not p:
        return None
    gens = _generators(len(p), generators)
    if reading == "chain":
        return _search(gens).minimal(p, max_order)
    lower, upper = tree_order_bounds(p, gens, max_order)
    if lower is None or lower != upper or lower > max_order:
        return None
    found = _tree(gens).minimal(p)
    return found if found is not None else _folded_chain(p, gens, max_order)


def reflection_order(coeffs, generators=None, max_order: int = DEFAULT_MAX_ORDER,
                     reading: str = "chain") -> int | None:
    """Minimal reflection order of a point given by integer ``coeffs`` over ``generators``
    (000 Sec. 4.2, App. F; seed-000-spec Sec. 2.4): 0 for a generator, 1 for 2b - a, 2 for
    R(R(a, b), c) = a - 2b + 2c or R(c, R(a, b)) = 4b - 2a - c, ...; None if not a reflection of
    order <= ``max_order`` (e.g. midpoints (a + b)/2 or generalized reflections a + c - b).
    ``reading``: "chain" (default) or "tree" (any two built points, module doc; None also when
    the tree order is above :func:`tree_search_limit` and not pinned by the chain order).
    """
    found = reflection_construction(coeffs, generators, max_order, reading)
    return None if found is None else found[0]


def format_construction(construction, names) -> str:
    """'R(R(a3, a2), a1)' for a construction of :func:`reflection_construction`."""
    if isinstance(construction, int):
        return str(names[construction])
    _, first, second = construction  # R(first, second) = 2 second - first, for R, R* and T
    return f"R({format_construction(first, names)}, {format_construction(second, names)})"


def _format_combination(coeffs, names) -> str:
    """'2a1 - a2', '(a1 + a2)/2' or 'a1/2 + 3a2/4'; positive terms first."""
    terms = [(c, n) for c, n in zip(coeffs, names) if c != 0]
    if len(terms) == 2 and all(c == Fraction(1, 2) for c, _ in terms):
        return f"({terms[0][1]} + {terms[1][1]})/2"
    terms.sort(key=lambda t: t[0] < 0)
    out = ""
    for c, n in terms:
        mag = abs(c)
        num = "" if mag.numerator == 1 else str(mag.numerator)
        body = f"{num}{n}" + (f"/{mag.denominator}" if mag.denominator != 1 else "")
        out += (" - " if c < 0 else " + ") + body if out else ("-" if c < 0 else "") + body
    return out or "0"


def describe_combination(coeffs, names, constant=0, max_order: int = DEFAULT_MAX_ORDER,
                         reading: str = "chain"):
    """(label, minimal order) of the point sum_i coeffs[i] * names[i] + constant.

    Labels: "data point a1", "midpoint (a1 + a2)/2", "reflection R(a2, a1) = 2a1 - a2",
    "generalized reflection a1 + a3 - a2" (a reflection of a2 about (a1 + a3)/2, 002 Sec. 1.2),
    "reflection of a reflection R(R(a3, a2), a1) = 2a1 + a3 - 2a2", "order-k reflection ...",
    else "integer combination ..." / "combination ...".  Order as in :func:`reflection_order`
    under ``reading``.
    """
    coeffs = [Fraction(c) if isinstance(c, (int, Fraction)) else Fraction(str(c)) for c in coeffs]
    expr = _format_combination(coeffs, names)
    if constant != 0 or sum(coeffs) != 1:
        return f"combination {expr}{' + ' + str(constant) if constant else ''}", None
    nonzero = sorted(c for c in coeffs if c != 0)
    if nonzero == [Fraction(1, 2)] * 2:
        return f"midpoint {expr}", None
    if nonzero == [-1, 1, 1]:  # three odd coefficients: never a reflection (parity)
        return f"generalized reflection {expr}", None
    found = reflection_construction(coeffs, None, max_order, reading)
    if found is None:
        integral = all(c.denominator == 1 for c in coeffs)
        return f"{'integer ' if integral else ''}combination {expr}", None
    order, construction = found
    if order == 0:
        return f"data point {expr}", 0
    shape = format_construction(construction, names)
    kind = {1: "reflection", 2: "reflection of a reflection"}.get(order,
                                                                 f"order-{order} reflection")
    return f"{kind} {shape} = {expr}", order


# -- numeric labelling of kinks of trained networks ---------------------------------------------
@lru_cache(maxsize=8)
def _templates(max_order: int) -> tuple:
    """Coefficient patterns (over distinct data points) to try, simplest first: data point,
    midpoint, order-1 reflection, generalized reflection, then reflections of orders 2..max_order
    generated from the recursion R_k in {R(R_{k-1}, g), R(g, R_{k-1})} over abstract slots."""
    out = [(Fraction(1),), (Fraction(1, 2), Fraction(1, 2))]
    if max_order >= 1:
        out += [(Fraction(-1), Fraction(2)), (Fraction(-1), Fraction(1), Fraction(1))]
    level = {((0, 1),)}  # expressions as sorted ((slot, coeff), ...)
    seen = {(1,)}
    for k in range(1, max_order + 1):
        nxt = set()
        for e in level:
            d = dict(e)
            for g in (*d, max(d) + 1):  # an existing slot or a new one
                for p in (_reflect_slots(d, {g: 1}), _reflect_slots({g: 1}, d)):
                    nxt.add(tuple(sorted(p.items())))
        level = nxt
        for e in sorted(level):
            pattern = tuple(sorted(c for _, c in e))
            if pattern not in seen and reflection_order(pattern) == k:
                seen.add(pattern)
                if k >= 2:
                    out.append(tuple(map(Fraction, pattern)))
    return tuple(out)


def _reflect_slots(a: dict, b: dict) -> dict:
    """R(a, b) = 2b - a on slot -> coefficient dicts (zeros dropped)."""
    out = {s: 2 * c for s, c in b.items()}
    for s, c in a.items():
        out[s] = out.get(s, 0) - c
    return {s: c for s, c in out.items() if c != 0}


@lru_cache(maxsize=16)
def _ordered_tuples(n: int, k: int) -> np.ndarray:
    """All ordered k-tuples of distinct indices in range(n), shape (n!/(n-k)!, k) (cached)."""
    if k == 0:
        return np.zeros((1, 0), dtype=int)
    grid = np.indices((n,) * k).reshape(k, -1).T
    clash = (grid[:, :, None] == grid[:, None, :]) & ~np.eye(k, dtype=bool)
    out = grid[~clash.any(axis=(1, 2))]
    out.setflags(write=False)
    return out


def _solve(coeffs, value: float, data: np.ndarray, tol: float):
    """Distinct indices (i_1..i_r) with |sum_k coeffs[k] data[i_k] - value| <= tol (closest one),
    or None.  Meet in the middle: O(N^ceil(r/2) log N)."""
    r, n = len(coeffs), len(data)
    if r > n:
        return None
    c = np.array([float(v) for v in coeffs])
    h = (r + 1) // 2
    ia, ib = _ordered_tuples(n, h), _ordered_tuples(n, r - h)
    sa, sb = data[ia] @ c[:h], data[ib] @ c[h:]
    order = np.argsort(sb)
    sb_sorted = sb[order]
    lo = np.searchsorted(sb_sorted, value - sa - tol, side="left")
    hi = np.searchsorted(sb_sorted, value - sa + tol, side="right")
    best, best_err = None, np.inf
    for a in np.flatnonzero(hi > lo):
        for b in order[lo[a]:hi[a]]:
            idx = (*ia[a], *ib[b])
            err = abs(sa[a] + sb[b] - value)
            if len(set(idx)) == r and err < best_err:
                best, best_err = idx, err
    return best


def label_point(value: float, data, tol: float = 1e-6, max_order: int = 2,
                reading: str = "chain"):
    """Name a numeric point (e.g. a kink of a trained network) in terms of the training data.

    Tries, in this order, a data point x_i, a midpoint (x_i + x_j)/2, a reflection 2x_j - x_i,
    a generalized reflection x_i + x_k - x_j, then reflections of order 2..``max_order``
    (002 Sec. 1.2; 000 Thm 4.5), each within absolute tolerance ``tol``.

    Returns ``(label, order, expression)``: the label of :func:`describe_combination` in the
    names x1..xN (1-based positions in ``data``), the minimal reflection order (None for
    midpoints and generalized reflections) and a sympy expression in those symbols; or
    ``("neither", None, None)``.  The patterns tried are the chain reflections of order
    <= max_order; ``reading`` chooses how the order of the one found is counted.
    """
    _check_reading(reading)
    data = as_float_array(data, "data", ndim=1)
    if max_order < 0:
        raise GaconvexError(f"max_order must be >= 0, got {max_order}.")
    for coeffs in _templates(max_order):
        idx = _solve(coeffs, float(value), data, tol)
        if idx is None:
            continue
        used = sorted(set(idx))
        names = [f"x{i + 1}" for i in used]
        vec = [sum((c for c, i in zip(coeffs, idx) if i == j), Fraction(0)) for j in used]
        label, order = describe_combination(vec, names, max_order=max(max_order, 1),
                                            reading=reading)
        expr = sp.Add(*(sp.Rational(c.numerator, c.denominator) * sp.Symbol(n)
                        for c, n in zip(vec, names)))
        return label, order, expr
    return "neither", None, None


# -- 000 Thm 4.5 under both readings -----------------------------------------------------------
def breakpoint_order_statistics(depth: int, n_configs: int = 200, seed: int = 0,
                                readings=READINGS) -> dict:
    """Minimal reflection orders of the breakpoints of deep narrow abs features with data
    biases (000 Thm 4.5, App. F; claim C12) over ``n_configs`` generic anchor configurations
    (distinct random integers < 10^6, ``numpy.random.default_rng(seed)``), per reading.

    Returns {"bound": the Thm 4.5 bound (0, 1, 2(L - 3)), "configurations": n_configs, reading:
    {"max": largest order found (tree: largest lower bound), "above": configurations with a
    breakpoint provably above the bound, "undecided": configurations where the tree order of
    some breakpoint could not be pinned to <= bound, "example": (anchors, coefficients, order)
    of a largest one, "non-reflections": breakpoints of no order}}.
    """
    from .architecture import architecture
    from .breakpoints import breakpoints
    from .derivation import derive

    for reading in readings:
        _check_reading(reading)
    L = depth
    bound = {2: 0, 3: 1}.get(L, 2 * (L - 3))
    family = derive(architecture("abs", L, midpoints=False)).families[0]
    rng = np.random.default_rng(seed)
    stats = {r: {"max": -1, "above": 0, "undecided": 0, "example": None, "non-reflections": 0}
             for r in readings}
    for _ in range(n_configs):
        anchors = tuple(int(a) for a in rng.choice(10 ** 6, size=L - 1, replace=False))
        points = [b for b in breakpoints(family, anchors, max_order=bound + 6)]
        flags = {r: {"above": False, "undecided": False} for r in readings}
        for b in points:
            coeffs = tuple(int(b.expr.coeff(a)) for a in family.anchors)
            for r in readings:
                if r == "chain":
                    lower = upper = b.order
                else:
                    lower, upper = tree_order_bounds(coeffs, max_order=bound + 6)
                entry = stats[r]
                if lower is None:
                    entry["non-reflections"] += 1
                    continue
                if lower > entry["max"]:
                    entry["max"], entry["example"] = lower, (anchors, coeffs, (lower, upper))
                flags[r]["above"] |= lower > bound
                flags[r]["undecided"] |= lower <= bound and (upper is None or upper > bound)
        for r in readings:
            stats[r]["above"] += flags[r]["above"]
            stats[r]["undecided"] += flags[r]["undecided"] and not flags[r]["above"]
    return {"bound": bound, "configurations": n_configs, **stats}
