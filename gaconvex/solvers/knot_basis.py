"""Row compression of 1-D Lasso problems: the knot basis of piecewise-linear columns.

Every feature of the 1-D libraries is a piecewise-linear function of x (002 Sec. 2-4: ramps,
capped ramps, reflections, jumps); sampled at the rows it is determined by its values at its
kinks.  Let S be a set of *nodes* (distinct data values, the first and last included) and
H (N x r) the hat functions of S sampled at the rows (row i: weights 1 - t and t on the two
nodes around x_i).  With the Cholesky factor L of the tridiagonal Gram matrix G = H^T W H,

    K = W^1/2 H L^-T   (N x r, orthonormal columns)

is an orthonormal basis of every weighted column W^1/2 f whose kinks lie in S.  The Lasso
1/2 ||M z - b||^2 + beta ||z||_1 with range(M) in range(K) is then the same problem on r rows:
M' = K^T M, b' = K^T b, and ||M z - b||^2 = ||M' z - b'||^2 + ||b_perp||^2 (b_perp = b - K b').
The working-set solver runs its inner active-set method on these r rows
(r ~ the number of distinct anchors of its working set, often N / 10 or less).  The nodes come
from the columns' knots (``at_breakpoints``, the structured store's piecewise-linear forms) or
from their values (``kinks``, checked by ``misfit``).

When S grows to S+ (new columns bring new kinks), coordinates move by
T = L+^T E L^-T (E: the old hats interpolated at the new nodes), and K = K+ T, so T is an
isometry: the active-set factors Q' <- T Q' and R stay valid.  Every product here is
O(N k) or O(r k) for k columns (H has two entries a row, L is bidiagonal), each a compiled
pass (numba, ``cache=True``).
"""
from __future__ import annotations

import numpy as np

__all__ = ["KnotBasis"]

#: A distinct point is a node when a column deviates from the chord of its neighbours by
#: more than this many eps of the column's scale (rounding of the evaluated features).
_KINK_EPS = 256


class KnotBasis:
    """The orthonormal basis K = W^1/2 H L^-T of the piecewise-linear functions of x with kinks
    at the nodes, sampled at the rows (module docstring).

    x : (N,) the rows' points (ties allowed); weights : (N,) positive sample weights;
    nodes : boolean mask over the distinct sorted values of x (first and last are always
    nodes).
    """

    def __init__(self, x: np.ndarray, weights: np.ndarray, nodes: np.ndarray | None = None):
        self.x = np.asarray(x, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.values, self.first, self.inverse = np.unique(self.x, return_index=True,
                                                          return_inverse=True)
        self.inverse = self.inverse.reshape(-1)
        mask = np.zeros(self.values.size, dtype=bool) if nodes is None else nodes.copy()
        mask[[0, -1]] = True
        self.nodes = mask
        self.position = np.flatnonzero(mask)  # distinct indices of the nodes, increasing
        self._factor()

    @property
    def r(self) -> int:
        """The number of nodes (rows of the compressed problem)."""
        return self.position.size

    @property
    def n_rows(self) -> int:
        return self.x.size

    def _locate(self, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For distinct values ``at`` (indices into ``values``): the node segment s and the
        weight t with value = (1 - t) node_s + t node_{s+1}."""
        p = self.position
        if p.size == 1:
            return np.zeros(at.size, dtype=np.intp), np.zeros(at.size)
        seg = np.clip(np.searchsorted(p, at, side="right") - 1, 0, p.size - 2)
        left, right = self.values[p[seg]], self.values[p[seg + 1]]
        return seg, (self.values[at] - left) / (right - left)

    def _factor(self) -> None:
        """Per row its segment and weight (the two entries of its row of H), the tridiagonal
        G = H^T W H and its banded Cholesky factor L (``L[0]`` the diagonal, ``L[1, j]`` the
        entry (j + 1, j))."""
        import scipy.linalg

        seg, t = self._locate(self.inverse)
        r, w = self.r, self.weights
        self.seg, self.t, self.root = seg, t, np.sqrt(w)
        self.seg1 = np.minimum(seg + 1, r - 1)  # (r = 1: t = 0, the one node)
        diag = np.bincount(seg, w * (1 - t) ** 2, minlength=r) + np.bincount(
            self.seg1, w * t ** 2, minlength=r)
        off = np.bincount(seg, w * t * (1 - t), minlength=r) if r > 1 else np.zeros(1)
        self.L = scipy.linalg.cholesky_banded(np.vstack([diag, off]), lower=True)
        self.node_rows = self.first[self.position]  # a row at each node

    # -- the basis (compiled passes, one column at a time) -----------------------------------
    def _apply(self, kernel: str, V: np.ndarray, rows: int, *args) -> np.ndarray:
        if V.ndim == 2 and V.shape[1] == 0:
            return np.zeros((rows, 0))
        matrix = np.asfortranarray(np.asarray(V, dtype=np.float64).reshape(V.shape[0], -1))
        out = np.empty((rows, matrix.shape[1]), order="F")
        _kernels()[kernel](*args, matrix, out)
        return out.reshape((rows,) + V.shape[1:])

    def _solve(self, v: np.ndarray, trans: str) -> np.ndarray:
        """L^-1 v (trans 'N') or L^-T v (trans 'T'): bidiagonal substitution."""
        return self._apply("lower" if trans == "N" else "upper", v, self.r, self.L)

    def compress(self, V: np.ndarray) -> np.ndarray:
        """K^T V = L^-1 H^T W^1/2 V for a vector (N,) or columns (N, k)."""
        return self._apply("compress", V, self.r, self.seg, self.seg1, self.t, self.root,
                           self.L)

    def expand(self, v: np.ndarray) -> np.ndarray:
        """K v = W^1/2 H L^-T v for a vector (r,) or columns (r, k)."""
        return self._apply("expand", v, self.n_rows, self.seg, self.seg1, self.t, self.root,
                           self.L)

    def misfit(self, F: np.ndarray) -> np.ndarray:
        """||W^1/2 (f - H f(nodes))|| per column of F (N x k, values at the rows): the weighted
        distance of each f from its interpolant at the nodes, which bounds the distance of
        W^1/2 f (and of its projection, ``working_set``) from the span of K."""
        miss = np.empty(F.reshape(F.shape[0], -1).shape[1])
        _kernels()["misfit"](self.seg, self.seg1, self.t, self.root, self.node_rows,
                             np.asfortranarray(F.reshape(F.shape[0], -1), dtype=np.float64),
                             miss)
        return miss

    def residual(self, V: np.ndarray, compressed: np.ndarray) -> np.ndarray:
        """||V_j - K V'_j|| / ||V_j|| per column (0 for a zero column): how far each column is
        from the span of the basis (exact columns: rounding, ~1e-15)."""
        V = V.reshape(V.shape[0], -1)
        miss = np.linalg.norm(V - self.expand(compressed.reshape(self.r, -1)), axis=0)
        size = np.linalg.norm(V, axis=0)
        return np.where(size > 0, miss / np.where(size > 0, size, 1.0), 0.0)

    # -- the nodes ------------------------------------------------------------------------
    def kinks(self, F: np.ndarray) -> np.ndarray:
        """The distinct points where some column of F (N x k, unweighted values at the rows)
        bends (:func:`_bends`).  A jump between two points shows as two kinks, so it is
        represented exactly too."""
        bend = np.zeros(self.values.size, dtype=bool)
        if F.size and self.values.size >= 3:
            values = np.asfortranarray(F.reshape(F.shape[0], -1), dtype=np.float64)
            _kernels()["bends"](self.values, self.first, values,
                                _KINK_EPS * np.finfo(float).eps, bend)
        return bend

    def needed(self, V: np.ndarray) -> np.ndarray:
        """The nodes (mask over the distinct points) where some function K V_j bends: its
        values at the nodes are the hat coefficients L^-T V_j (divided by W^1/2, it is
        piecewise linear between the nodes)."""
        mask = np.zeros(self.values.size, dtype=bool)
        mask[self.position[_bends(self.values[self.position], self._solve(V, "T"))]] = True
        return mask

    def at_breakpoints(self, knots: np.ndarray, jumps: np.ndarray) -> np.ndarray:
        """The distinct points that hold piecewise-linear columns with these knots exactly
        (mask): a knot strictly between two data points needs both of them; a kink on a data
        point needs that point; a jump on a data point needs it and both neighbours (the
        value there is neither side's line)."""
        u, n = self.values, self.values.size
        at = np.searchsorted(u, knots, side="left")
        exact = (at < n) & (u[np.minimum(at, n - 1)] == knots)
        picks = [at[exact]]
        picks += [at[~exact] - 1, at[~exact]]
        wide = exact & jumps
        picks += [at[wide] - 1, at[wide] + 1]
        index = np.clip(np.concatenate(picks), 0, n - 1)
        mask = np.zeros(n, dtype=bool)
        mask[index] = True
        return mask

    def with_nodes(self, mask: np.ndarray) -> "KnotBasis":
        """The basis whose nodes add ``mask`` (self when it adds none)."""
        new = mask & ~self.nodes
        return self if not new.any() else KnotBasis(self.x, self.weights, self.nodes | new)

    def lift(self, G: np.ndarray) -> np.ndarray:
        """K^T (W^1/2 f) = L^T f(nodes) for functions f linear between the nodes, from their
        values G (r x k) at the nodes (O(r k), no row touched)."""
        G = G.reshape(self.r, -1)
        out = self.L[0][:, None] * G
        out[:-1] += self.L[1, :-1, None] * G[1:]
        return out

    def refined(self, F: np.ndarray) -> "KnotBasis":
        """The basis whose nodes add the kinks of the columns F (self when there are none)."""
        return self.with_nodes(self.kinks(F))

    def rebase(self, old: "KnotBasis", V: np.ndarray, out: np.ndarray | None = None):
        """Coordinates in this basis of K_old V: T V = L^T E L_old^-T V with E the old hats
        at these nodes.  When ``old``'s nodes are a subset of these, T is an isometry (module
        docstring); when these are a subset of ``old``'s, E selects, and T V is exact for the
        K_old V_j whose kinks are among these nodes.  Written into ``out`` (a Fortran-ordered
        r x k array) if given."""
        seg, t = old._locate(self.position)
        if out is None:
            return self._apply("rebase", V, self.r, old.L, self.L, seg, t)
        _kernels()["rebase"](old.L, self.L, seg, t, np.asfortranarray(V), out)
        return out

def _bends(u: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Mask over the increasing points u where some column of the values f (len(u) x k)
    deviates from the chord of its two neighbours by more than rounding (``_KINK_EPS`` eps of
    the column's scale, the translation of u included); the ends never bend."""
    bend = np.zeros(u.size, dtype=bool)
    if u.size < 3 or f.size == 0:
        return bend
    values = np.asfortranarray(f.reshape(u.size, -1), dtype=np.float64)
    _kernels()["bends"](np.asarray(u, dtype=np.float64), np.arange(u.size), values,
                        _KINK_EPS * np.finfo(float).eps, bend)
    return bend


def _kernels():
    """The compiled passes (:mod:`._knot_kernels`, numba, imported on first use)."""
    from . import _knot_kernels

    return _knot_kernels.KERNELS
