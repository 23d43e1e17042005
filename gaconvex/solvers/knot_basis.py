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
(r ~ the number of distinct anchors of its working set, often N / 10 or less) and checks each
compressed column exactly (``residual``).

When S grows to S+ (new columns bring new kinks), coordinates move by
T = L+^T E L^-T (E: the old hats interpolated at the new nodes), and K = K+ T, so T is an
isometry: the active-set factors Q' <- T Q' and R stay valid.  Every product here is
O(N k) or O(r k) for k columns (sparse H, banded L).
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
        """H (sparse, 2 entries a row), G = H^T W H (tridiagonal) and its banded Cholesky L."""
        import scipy.linalg
        import scipy.sparse

        seg, t = self._locate(self.inverse)
        n, r, w = self.n_rows, self.r, self.weights
        rows = np.arange(n)
        if r == 1:
            self.H = scipy.sparse.csr_array((np.ones(n), (rows, np.zeros(n, dtype=np.intp))),
                                            shape=(n, 1))
            band = np.array([[w.sum()], [0.0]])
        else:
            self.H = scipy.sparse.csr_array(
                (np.concatenate([1 - t, t]), (np.tile(rows, 2), np.concatenate([seg, seg + 1]))),
                shape=(n, r))
            diag = (np.bincount(seg, w * (1 - t) ** 2, minlength=r)
                    + np.bincount(seg + 1, w * t ** 2, minlength=r))
            off = np.bincount(seg, w * t * (1 - t), minlength=r)
            band = np.vstack([diag, off])
        self.L = scipy.linalg.cholesky_banded(band, lower=True)
        self.HT = self.H.T.tocsr()
        self.root = np.sqrt(w)

    # -- the basis ------------------------------------------------------------------------
    def _solve(self, v: np.ndarray, trans: str) -> np.ndarray:
        """L^-1 v (trans 'N') or L^-T v (trans 'T'), banded (LAPACK dtbtrs)."""
        from scipy.linalg.lapack import dtbtrs

        matrix = np.asarray(v, dtype=np.float64)
        x, info = dtbtrs(self.L, matrix.reshape(matrix.shape[0], -1), uplo="L", trans=trans)
        if info != 0:
            raise ArithmeticError(f"knot basis: singular Cholesky factor (dtbtrs info {info}).")
        return x.reshape(matrix.shape)

    def compress(self, V: np.ndarray) -> np.ndarray:
        """K^T V = L^-1 H^T W^1/2 V for a vector (N,) or columns (N, k)."""
        weighted = self.root * V if V.ndim == 1 else self.root[:, None] * V
        return self._solve(self.HT @ weighted, "N")

    def expand(self, v: np.ndarray) -> np.ndarray:
        """K v = W^1/2 H L^-T v for a vector (r,) or columns (r, k)."""
        full = self.H @ self._solve(v, "T")
        return self.root * full if full.ndim == 1 else self.root[:, None] * full

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
        if F.size == 0:
            return np.zeros(self.values.size, dtype=bool)
        return _bends(self.values, F.reshape(F.shape[0], -1)[self.first])

    def needed(self, V: np.ndarray) -> np.ndarray:
        """The nodes (mask over the distinct points) where some function K V_j bends: its
        values at the nodes are the hat coefficients L^-T V_j (divided by W^1/2, it is
        piecewise linear between the nodes)."""
        mask = np.zeros(self.values.size, dtype=bool)
        mask[self.position[_bends(self.values[self.position], self._solve(V, "T"))]] = True
        return mask

    def restricted(self, nodes: np.ndarray, V: np.ndarray) -> tuple["KnotBasis", np.ndarray]:
        """The basis on the subset ``nodes`` of these nodes and the coordinates in it of K V
        (exact when every K V_j has its kinks in ``nodes``): K_small^T K V, O(N k)."""
        small = KnotBasis(self.x, self.weights, nodes & self.nodes)
        return small, small.compress(self.expand(V))

    def refined(self, F: np.ndarray) -> "KnotBasis":
        """The basis whose nodes add the kinks of the columns F (self when there are none)."""
        new = self.kinks(F) & ~self.nodes
        if not new.any():
            return self
        return KnotBasis(self.x, self.weights, self.nodes | new)

    def rebase(self, old: "KnotBasis", V: np.ndarray) -> np.ndarray:
        """Coordinates in this basis of K_old V (``old``'s nodes a subset of these):
        T V = L^T E L_old^-T V, an isometry (module docstring); one compiled pass a column."""
        seg, t = old._locate(self.position)
        matrix = np.asfortranarray(V.reshape(V.shape[0], -1), dtype=np.float64)
        out = np.empty((self.r, matrix.shape[1]), order="F")
        _kernels()["rebase"](old.L, self.L, seg, t, matrix, out)
        return out.reshape((self.r,) + V.shape[1:])

def _bends(u: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Mask over the increasing points u where some column of the values f (len(u) x k)
    deviates from the chord of its two neighbours by more than rounding (``_KINK_EPS`` eps of
    the column's scale, the translation of u included); the ends never bend."""
    bend = np.zeros(u.size, dtype=bool)
    if u.size < 3 or f.size == 0:
        return bend
    values = np.asfortranarray(f.reshape(u.size, -1), dtype=np.float64)
    _kernels()["bends"](np.asarray(u, dtype=np.float64), values,
                        _KINK_EPS * np.finfo(float).eps, bend)
    return bend


_KERNELS: dict = {}


def _kernels() -> dict:
    """The compiled passes (numba, ``cache=True``, compiled on first use)."""
    if _KERNELS:
        return _KERNELS
    import numba

    @numba.njit(cache=True, nogil=True)
    def bends(u, f, level, out):  # pragma: no cover - compiled
        n, k = f.shape
        reach = max(abs(u[0]), abs(u[n - 1])) / (u[n - 1] - u[0])
        for c in range(k):
            lo, hi, big = f[0, c], f[0, c], 0.0
            for i in range(n):
                lo, hi, big = min(lo, f[i, c]), max(hi, f[i, c]), max(big, abs(f[i, c]))
            threshold = level * (big + reach * (hi - lo))
            for i in range(1, n - 1):
                left, right = u[i] - u[i - 1], u[i + 1] - u[i]
                chord = (right * f[i - 1, c] + left * f[i + 1, c]) / (left + right)
                if abs(f[i, c] - chord) > threshold:
                    out[i] = True

    @numba.njit(cache=True, nogil=True)
    def rebase(L_old, L_new, seg, t, V, out):  # pragma: no cover - compiled
        r_old, k = V.shape
        r_new = out.shape[0]
        g, h = np.empty(r_old), np.empty(r_new)
        for c in range(k):
            g[r_old - 1] = V[r_old - 1, c] / L_old[0, r_old - 1]  # g = L_old^-T V_c
            for j in range(r_old - 2, -1, -1):
                g[j] = (V[j, c] - L_old[1, j] * g[j + 1]) / L_old[0, j]
            for i in range(r_new):  # h = E g: the old hats at the new nodes
                s = seg[i]
                h[i] = (1.0 - t[i]) * g[s] + t[i] * g[min(s + 1, r_old - 1)]
            for i in range(r_new - 1):  # L_new^T h
                out[i, c] = L_new[0, i] * h[i] + L_new[1, i] * h[i + 1]
            out[r_new - 1, c] = L_new[0, r_new - 1] * h[r_new - 1]

    _KERNELS.update(bends=bends, rebase=rebase)
    return _KERNELS
