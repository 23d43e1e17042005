"""The exact inner solver of the working-set Lasso: a primal active-set method.

min_z 1/2 ||M z - b||^2 + beta ||z||_1 on a small dense M (feature-sign search, Lee et al.
2007; Osborne et al. 2000) with QR updates: on the active set T with signs theta the optimum
solves R z = Q^T b - beta R^-T theta (M_T = Q R, never the Gram matrix); a step that would flip
a sign stops at the first zero and drops it; at a sign-consistent optimum the worst KKT
violator enters with theta_j = -sign(c_j), and a column in the span of the active ones enters by
a simplex-like pivot along the null direction, which lowers the penalty.  Every step decreases
the objective, so the method ends at an exact (vertex) solution.
"""
from __future__ import annotations

import numpy as np

from .._validation import GaconvexError
from ._compensated import compensated_residual

__all__ = ["ActiveSetLasso", "rounding_factor", "rounding_level", "EXTENDED", "probes"]


#: Relative precision of the residual sums in ``precise`` mode: the residual's error is below
#: eps (||rho|| + EXTENDED ||b||).  The compensated sums (Dot2) give about N^2 eps in place of
#: EXTENDED; 2^-11 (the x86 long double's eps over float64's) is a conservative bound.
EXTENDED = 2.0 ** -11


def _triangular(R: np.ndarray, t: int, b: np.ndarray, transpose: bool = False) -> np.ndarray:
    """R^-1 b (or R^-T b) for the upper-triangular R[:t, :t] of the preallocated buffer ``R``,
    solved in place by compiled substitution (:mod:`._qr_update`): the active-set method makes
    thousands of small solves, and copying the block (scipy's wrapper) costs more than the
    solve."""
    from ._qr_update import solve_triangular

    if t == 0:
        return np.zeros_like(b)
    x, info = solve_triangular(R, t, b, transpose)
    if info != 0:
        _zero_pivot(info)
    return x


def _zero_pivot(info: int):
    raise GaconvexError(f"active-set triangular solve failed (zero pivot R[{info - 1}, "
                        f"{info - 1}]): the working set is numerically degenerate.")


def probes(n: int) -> np.ndarray:
    """Two fixed random unit vectors of length n (the copy hashes of ``add_columns``; in
    compressed coordinates, their compression, ``replace_rows``)."""
    probe = np.random.default_rng(0).standard_normal((2, n))
    return probe / np.maximum(np.linalg.norm(probe, axis=1), np.finfo(float).tiny)[:, None]


def rounding_factor(n: int) -> float:
    """64 sqrt(N) eps, the factor of :func:`rounding_level`."""
    return 64 * np.sqrt(n) * np.finfo(float).eps


def rounding_level(n: int, column_norms, scale: float):
    """64 sqrt(N) eps ||A_j|| scale: how well a correlation A_j^T r with ||r|| ~ scale is known."""
    return rounding_factor(n) * np.asarray(column_norms) * scale


class ActiveSetLasso:
    """min_z 1/2 ||M z - b||^2 + beta ||z||_1 on a dense M (N x s) whose columns can grow.

    State: the active set ``T`` (column indices of M), its signs ``theta``, the coefficients
    ``z_T`` and the economic QR factors of M[:, T], updated in place (a column enters by two
    Gram-Schmidt passes, one leaves by Givens rotations).  ``solve(beta)`` runs the active-set
    method from the current state (a warm start across betas and working sets).  ``rcond``: a
    column within this relative distance of span(M_T) is dependent (it enters by a pivot).
    """

    def __init__(self, b: np.ndarray, rcond: float = 1e-14, rank: int | None = None,
                 probe: np.ndarray | None = None):
        self.b = b
        self._store = np.empty((b.size, 0), order="F")  # columns 0..s-1 are M (grows x2)
        self.s = 0
        self._norms = np.zeros(0)
        self.T: list[int] = []
        self.theta = np.zeros(0)
        self.zT = np.zeros(0)
        self._Q = np.empty((b.size, 0), order="F")  # Q = _Q[:, :t], R = _R[:t, :t] (grow x2)
        self._R = np.empty((0, 0), order="F")
        self._Qb = np.empty(0)  # Q^T b (its first |T| entries), kept with Q
        self.rcond = rcond
        self.steps = 0
        self.rank = b.size if rank is None else rank  # dimension of the column space
        self.precise = False  # residuals in extended precision (switched on when needed)
        self._probe = probes(b.size) if probe is None else probe
        self._hash = np.zeros((2, 0))  # |probe_k^T M_j| / ||M_j||: candidates for copies
        self.correlate = None  # optional rho -> M^T rho (see _correlations)

    @property
    def M(self) -> np.ndarray:
        return self._store[:, :self.s]

    @property
    def Q(self) -> np.ndarray:
        """The orthonormal factor of M_T = Q R (N x |T|, a view of the preallocated buffer)."""
        return self._Q[:, :len(self.T)]

    @property
    def R(self) -> np.ndarray:
        """The upper-triangular factor of M_T = Q R (|T| x |T|)."""
        return self._R[:len(self.T), :len(self.T)]

    def _correlations(self, rho: np.ndarray) -> np.ndarray:
        """M^T rho; through ``self.correlate`` (a structured pass over the whole library, set by
        the working set when that is cheaper than reading the N x s matrix) unless residuals
        are in doubled precision (the dense product is then the accurate one)."""
        if self.correlate is not None and not self.precise:
            return self.correlate(rho)
        return self.M.T @ rho

    def add_columns(self, columns: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
        """Append the columns that are not zero and not (+-) copies of a column already held
        (after the free columns are projected out, features that differ by a constant become
        copies: one of them carries the Lasso; parallel columns of different norms are not
        copies, the longer one is cheaper); returns the mask of appended columns.  Three passes
        over the new columns (norms, hashes, the copy into the store): at N = 10^4 a batch is
        tens of MB and every pass is memory-bound."""
        norms = np.sqrt(np.einsum("ij,ij->j", columns, columns))
        scale = max(float(norms.max(initial=0.0)), np.linalg.norm(self.b), np.finfo(float).tiny)
        keep = norms > rtol * scale
        hashes = np.abs(self._probe @ columns) / np.maximum(norms, np.finfo(float).tiny)
        live = np.flatnonzero(keep)
        copy = self._copies(columns, live, norms, hashes, rtol)
        keep[live[copy]] = False
        k = int(keep.sum())
        if k:
            if self.s + k > self._store.shape[1]:
                grown = np.empty((self.b.size, max(2 * self._store.shape[1], self.s + k)), order="F")
                grown[:, :self.s] = self.M
                self._store = grown
            self._store[:, self.s:self.s + k] = columns if k == keep.size else columns[:, keep]
            self._norms = np.concatenate([self._norms, norms[keep]])
            self._hash = np.concatenate([self._hash, hashes[:, keep]], axis=1)
            self.s += k
        return keep

    def _copies(self, columns, live, norms, hashes, rtol: float) -> np.ndarray:
        """Mask over ``live`` of the new columns that are +-copies (|u_i^T u_j| >= 1 - rtol for
        the unit columns, norms equal to rtol) of a held column or of an earlier new one.
        Copies are within sqrt(2 rtol) of each other, so both their hashes |probe_k^T u| differ
        by at most that: only pairs whose two hashes fall in that window are compared (found by
        a sort on the first hash; O(N k), not O(N s k)), by dot products in chunks of pairs."""
        k = live.size
        copy = np.zeros(k, dtype=bool)
        if k == 0:
            return copy
        size = norms[live]
        pool = np.concatenate([self._hash, hashes[:, live]], axis=1)  # held, then new
        order = np.argsort(pool[0], kind="stable")
        ranked = pool[0, order]
        window = np.sqrt(2 * rtol) + 8 * np.finfo(float).eps
        lo = np.searchsorted(ranked, pool[0, self.s:] - window, side="left")
        hi = np.searchsorted(ranked, pool[0, self.s:] + window, side="right")
        new = np.repeat(np.arange(k), hi - lo)  # pairs (new column, pool column) in the window
        other = order[np.arange(new.size) - np.repeat(np.cumsum(hi - lo) - hi, hi - lo)]
        close = (other < self.s + new) & (np.abs(pool[1, other] - pool[1, self.s + new]) <= window)
        new, other = new[close], other[close]
        lengths = np.concatenate([self._norms, size])[other]
        step = max(1, (1 << 22) // max(self.b.size, 1))  # pairs per chunk (2 x 32 MiB at most)
        match = np.zeros(new.size, dtype=bool)  # the pair's columns are copies
        for at in range(0, new.size, step):
            part = slice(at, at + step)
            i, o, length = new[part], other[part], lengths[part]
            held = o < self.s
            partner = np.empty((self.b.size, i.size), order="F")
            partner[:, held] = self.M[:, o[held]]
            partner[:, ~held] = columns[:, live[o[~held] - self.s]]
            overlap = np.abs(np.einsum("ij,ij->j", columns[:, live[i]], partner))
            match[part] = ((overlap >= (1 - rtol) * size[i] * length)
                           & (np.abs(length - size[i]) <= rtol * size[i]))
        of_held = other < self.s
        copy[new[match & of_held]] = True
        # a copy of an earlier new column that is itself kept: copy_i = any over the pairs
        # (i, o), o < i, of not copy_o, solved in index order, i.e. as the fixed point of that
        # recurrence (reached after as many sweeps as the longest chain of copies: 2 for groups)
        i, o = new[match & ~of_held], other[match & ~of_held] - self.s
        held_copy = copy.copy()
        while i.size:
            updated = held_copy | (np.bincount(i, weights=~copy[o], minlength=k) > 0)
            if np.array_equal(updated, copy):
                break
            copy = updated
        return copy

    def replace_rows(self, b: np.ndarray, M: np.ndarray, Q: np.ndarray,
                     rank: int | None = None, probe: np.ndarray | None = None) -> None:
        """Carry the state over to other coordinates of the same problem: ``b``, the held
        columns ``M`` and the orthonormal factor ``Q`` of M_T in the new rows (an isometry of
        the column space, e.g. :class:`gaconvex.solvers.knot_basis.KnotBasis`: R, T, the signs,
        z_T and the column norms stay; the copy hashes are recomputed unless ``probe`` is
        given).  ``M`` may be a whole
        Fortran-ordered buffer (its first s columns the held ones): it becomes the store without
        a copy, its width the store's capacity.  ``probe``: the copy-hash probes in the
        new coordinates (K^T p for the old probes p when the old coordinates are K of the
        new: the hashes p^T m = (K^T p)^T m' stay valid and are not recomputed)."""
        self.b = b
        if M.flags.f_contiguous and M.shape[1] >= self.s:
            self._store = M
        else:
            self._store = np.empty((b.size, self._store.shape[1]), order="F")
            self._store[:, :self.s] = M
        Q_buffer = np.empty((b.size, self._Q.shape[1]), order="F")
        Q_buffer[:, :len(self.T)] = Q
        self._Q = Q_buffer
        self._refresh_Qb()
        if probe is None:
            self._probe = probes(b.size)
            self._hash = np.abs(self._probe @ self.M) / np.maximum(self._norms,
                                                                  np.finfo(float).tiny)
        else:
            self._probe = probe
        self.rank = b.size if rank is None else rank

    def keep_columns(self, keep: np.ndarray) -> None:
        """Forget the held columns outside the boolean mask ``keep`` (which must cover the
        active set); active indices are renumbered."""
        index = np.flatnonzero(keep)
        renumber = np.full(self.s, -1)
        renumber[index] = np.arange(index.size)
        self.T = [int(renumber[j]) for j in self.T]
        if min(self.T, default=0) < 0:
            raise GaconvexError("keep_columns must keep every active column.")
        # columns before the first gap stay; the others move down in place (the store keeps
        # its capacity), one slice per run of consecutive columns (a gather copies twice)
        moved = index[index != np.arange(index.size)]
        first = index.size - moved.size
        runs = np.flatnonzero(np.diff(moved, prepend=-2) != 1)
        for a, b in zip(runs, np.append(runs[1:], moved.size)):
            self._store[:, first + a:first + b] = self._store[:, moved[a]:moved[a] + b - a]
        self._norms = self._norms[index]
        self._hash = self._hash[:, index]
        self.s = index.size

    def noise(self, rho_norm: float) -> np.ndarray:
        """Rounding level of the correlations M_j^T rho: rho = M_T z - b is computed with an
        error of about eps (||rho|| + ||b||), or eps (||rho|| + EXTENDED ||b||) in doubled
        precision, so |M_j^T rho| is known to ``rounding_level`` of that; an 'excess' over beta
        below it is no violation (at a small beta, pivoting on it cycles)."""
        factor = EXTENDED if self.precise else 1.0
        return rounding_level(self.b.size, self._norms,
                              factor * float(np.linalg.norm(self.b)) + rho_norm)

    @property
    def z(self) -> np.ndarray:
        z = np.zeros(self.s)
        z[self.T] = self.zT
        return z

    def residual(self) -> np.ndarray:
        """rho = M_T z_T - b."""
        return self._residual_of(self.zT)

    def _residual_of(self, zT: np.ndarray) -> np.ndarray:
        """M_T z - b; in ``precise`` mode summed in doubled precision (compensated Dot2: near
        interpolation, at a small beta, rho is many orders below b and a float64 sum buries it
        in rounding)."""
        if not self.T:
            return -self.b
        if not self.precise:  # compiled, as the objectives of the sign phase (``_value``)
            from ._sign_descent import residual

            return residual(self._Q, self._R, self.b, np.ascontiguousarray(zT, dtype=float),
                            len(self.T))
        return compensated_residual(self.M, self.T, zT, self.b)

    def _value(self, rho: np.ndarray, beta: float) -> float:
        """1/2 ||rho||^2 + beta ||z_T||_1 for the residual rho of the current z_T; in float64
        mode by the compiled sum that the sign phase compares with (:mod:`._sign_descent`)."""
        if self.precise:
            return 0.5 * float(rho @ rho) + beta * float(np.abs(self.zT).sum())
        from ._sign_descent import value

        return float(value(rho, np.ascontiguousarray(self.zT, dtype=float), len(self.T), beta))

    def _refresh_Qb(self) -> None:
        """Q^T b recomputed (steps keep it up to date: an insert appends q^T b, a deletion
        rotates it with Q; each call of ``solve`` starts from a fresh product)."""
        self._Qb[:len(self.T)] = self.Q.T @ self.b

    # -- the QP on the active set with fixed signs ------------------------------------------
    def _signed_optimum(self, beta: float) -> np.ndarray:
        """argmin 1/2 ||M_T z - b||^2 + beta theta^T z: R z = Q^T b - beta R^-T theta; in
        ``precise`` mode one step of iterative refinement on M_T^T (M_T z - b) + beta theta = 0
        with the residual in extended precision (the coefficients then err by eps ||z||, not
        cond(R) eps ||z||, so the KKT test at a small beta is not drowned by the solve)."""
        t = len(self.T)
        rhs = self._Qb[:t] - beta * _triangular(self._R, t, self.theta, transpose=True)
        z = _triangular(self._R, t, rhs)
        if not self.precise:
            return z
        grad = self.R.T @ (self.Q.T @ self._residual_of(z)) + beta * self.theta
        return z - _triangular(self._R, t, _triangular(self._R, t, grad, transpose=True))

    def _drop(self, k: int) -> None:
        """Remove the k-th active column: Givens rotations in place (:mod:`._qr_update`)."""
        from ._qr_update import delete_column

        delete_column(self._Q, self._R, self._Qb, k, len(self.T))
        del self.T[k]
        self.theta = np.delete(self.theta, k)
        self.zT = np.delete(self.zT, k)

    def _insert(self, j: int, sign: float, projection=None) -> bool:
        """Add column j with sign ``sign``: M_j = Q p + w with w orthogonal to Q (``projection``
        = (p, w) if already known, else two passes of classical Gram-Schmidt) gives the new
        column w / ||w|| of Q and (p, ||w||) of R, written into the buffers; False if M_j lies
        within ``rcond`` (relative distance) of the span of the active columns."""
        t = len(self.T)
        if t >= self.rank:
            return False
        p, w = self._split(self.M[:, j]) if projection is None else projection
        norm = float(np.linalg.norm(w))
        if not norm > self.rcond * self._norms[j]:
            return False
        if t == self._Q.shape[1]:
            self._grow(max(2 * t, 8))
        self._Q[:, t] = w / norm
        self._Qb[t] = self._Q[:, t] @ self.b
        self._R[:t, t] = p
        self._R[t, :t] = 0.0
        self._R[t, t] = norm
        self.T.append(j)
        self.theta = np.append(self.theta, sign)
        self.zT = np.append(self.zT, 0.0)
        return True

    def _split(self, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(p, w) with m = Q p + w, w orthogonal to range(Q): two passes of classical
        Gram-Schmidt (one pass loses orthogonality for nearly dependent m)."""
        Q = self.Q
        p = Q.T @ m
        w = m - Q @ p
        p2 = Q.T @ w
        return p + p2, w - Q @ p2

    def _grow(self, capacity: int) -> None:
        t = len(self.T)
        Q = np.empty((self.b.size, capacity), order="F")
        R = np.zeros((capacity, capacity), order="F")
        Q[:, :t], R[:t, :t] = self.Q, self.R
        Qb = np.empty(capacity)
        Qb[:t] = self._Qb[:t]
        self._Q, self._R, self._Qb = Q, R, Qb

    def _projections(self, V: np.ndarray):
        """For the columns V at once: M_V = Q P + W (:meth:`_split`), alpha = R^-1 P
        (|T| x |V|, M_T alpha is the projection of M_V onto span(M_T)) and the relative
        distance ||W_j|| / ||M_j||."""
        P, W = self._split(self.M[:, V])
        distance = np.linalg.norm(W, axis=0) / np.maximum(self._norms[V], np.finfo(float).tiny)
        return P, W, _triangular(self._R, len(self.T), P), distance

    def _blocking(self, rate: np.ndarray) -> np.ndarray:
        """Ratio test of the pivot along z_T -= tau rate (rate: |T| or |T| x v): per active
        coefficient the tau at which it reaches 0 (inf if it moves away; 0 if it is at 0 and
        moves), so the pivot's step is the minimum."""
        zT = self.zT if rate.ndim == 1 else self.zT[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            hits = np.where(rate * zT > 0, zT / rate, np.inf)
        return np.where((rate != 0) & (zT == 0), 0.0, hits)

    def _attempts(self, violating: np.ndarray, correlations: np.ndarray, bland: bool):
        """The violators in order (largest |c_j| first, ties to the smaller index; under Bland's
        rule the smallest index first), each as (j, sign, alpha, dependent, (p, w)) with
        sign = -sign(c_j), M_j = Q p + w (:meth:`_split`) and alpha = R^-1 p.  A column within
        rounding of span(M_T) (relative distance <= ``rcond``) cannot be inserted; its alpha
        decides at once whether it is a tie or a pivot whose gain is below rounding.  The
        projections are computed for growing chunks (1, 16, 256, ... columns) in BLAS-3: near
        interpolation thousands of violators are such rounding-level ties, and a failing insert
        apiece costs 0.1 ms of Python.  Usually the first violator enters, so the order is
        sorted only when a second one is asked for.  The state must not change while the
        generator is consumed (the caller stops at the first step it takes)."""
        magnitude = np.abs(correlations[violating])
        first = 0 if bland else int(np.argmax(magnitude))  # argmax: the first of the ties
        order = np.array([first])
        size, done = 1, 0
        while done < violating.size:
            if done == 1:  # the rest, in order
                rest = np.delete(np.arange(violating.size), first)
                if not bland:
                    rest = rest[np.argsort(-magnitude[rest], kind="stable")]
                order = np.concatenate([order, rest])
            chunk = violating[order[done:done + size]]
            P, W, alpha, distance = self._projections(chunk)
            signs = -np.sign(correlations[chunk])
            for i, j in enumerate(chunk):
                yield (int(j), float(signs[i]), alpha[:, i], bool(distance[i] <= self.rcond),
                       (P[:, i], W[:, i]))
            done += chunk.size
            size *= 16

    def _pivot(self, j: int, sign: float, bland: bool, alpha: np.ndarray) -> tuple[float, float]:
        """Column j = M_T alpha (dependent): move along z_T -= tau sign alpha, z_j = tau sign,
        which keeps the fit and lowers the penalty (|alpha^T theta| > 1 for a violator), until
        an active coefficient reaches 0; swap it for j.  Ties of the ratio test go to the
        smallest column index under Bland's rule.  Returns tau (0: a degenerate pivot) and the
        excess |alpha^T theta| - 1 (<= 0: a tie, no descent; -inf: j stayed numerically
        dependent after the swap, so the state is inconsistent and must be undone)."""
        rate = sign * alpha  # d z_T / d tau
        hits = self._blocking(rate)
        tau = float(hits.min(initial=np.inf))
        if not np.isfinite(tau):
            raise GaconvexError("active-set pivot found no blocking coefficient (numerically "
                                "degenerate working set); rescale the dictionary.")
        ties = np.flatnonzero(hits <= tau * (1 + 1e-12) + 1e-300)
        k = int(ties[np.argmin(np.asarray(self.T)[ties])]) if bland else int(np.argmin(hits))
        excess = abs(float(alpha @ self.theta)) - 1.0  # the penalty falls at rate beta * excess
        self.zT = self.zT - tau * rate
        self._drop(k)
        if not self._insert(j, sign):  # dropping k made j independent in exact arithmetic,
            return tau, -np.inf  # but not to rounding (``rcond``): the caller undoes it
        self.zT[-1] = sign * tau
        return tau, excess

    def objective(self, beta: float) -> float:
        return self._value(self.residual(), beta)

    def _state(self):
        return (self.Q.copy(), self.R.copy(), self._Qb[:len(self.T)].copy(), list(self.T),
                self.theta.copy(), self.zT.copy())

    def _restore(self, state) -> None:
        Q, R, Qb, self.T, self.theta, self.zT = state
        t = len(self.T)
        self._Q[:, :t], self._R[:t, :t], self._Qb[:t] = Q, R, Qb

    def _fallen(self, before: float, beta: float) -> bool:
        """Whether the objective is now below ``before`` by more than its rounding."""
        return self.objective(beta) < before - 64 * np.finfo(float).eps * before

    def _descend(self, beta: float, barred: np.ndarray, entry: np.ndarray, budget: int) -> bool:
        """The sign-consistency phase, at most ``budget`` steps: while the signed optimum z*
        disagrees in sign with theta, step to its first sign change and drop that coordinate
        (barring a column that leaves without descent since it entered, ``entry``); then take
        z*.  False if the budget ran out first.  Compiled (:mod:`._sign_descent`) on float64
        residuals; in ``precise`` mode by :meth:`_descend_precise`."""
        if self.precise:
            return self._descend_precise(beta, barred, entry, budget)
        from ._sign_descent import descend

        T = np.array(self.T, dtype=np.intp)
        theta, zT = np.array(self.theta, dtype=float), np.array(self.zT, dtype=float)
        t, steps, done, info = descend(self._Q, self._R, self._Qb, self.b, T, theta, zT,
                                       T.size, beta, entry, barred, max(budget, 0))
        self.steps += steps
        self.T, self.theta, self.zT = T[:t].tolist(), theta[:t], zT[:t]
        if info:
            _zero_pivot(info)
        return done

    def _descend_precise(self, beta: float, barred, entry, budget: int) -> bool:
        """:meth:`_descend` with the extended-precision signed optimum and objective."""
        for _ in range(max(budget, 0)):
            self.steps += 1
            if not self.T:
                return True
            target = self._signed_optimum(beta)
            flips = np.flatnonzero(np.sign(target) != self.theta)
            if not flips.size:
                self.zT = target
                return True
            delta = target - self.zT
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(delta[flips] != 0, -self.zT[flips] / delta[flips], 0.0)
            k = int(flips[int(np.argmin(t))])
            self.zT = self.zT + float(np.clip(t.min(), 0.0, 1.0)) * delta
            leaving = self.T[k]
            if not np.isnan(entry[leaving]):
                if not self._fallen(entry[leaving], beta):
                    barred[leaving] = True  # in and out without descent (``solve``)
                entry[leaving] = np.nan
            self._drop(k)
        return False

    def solve(self, beta: float, *, tol: float = 1e-10, max_steps: int | None = None) -> int:
        """Run the active-set method at ``beta`` to an exact KKT point (violations above
        beta (1 + tol) plus the rounding level enter); returns the steps.

        Degenerate pivots (tau ~ 0, a zero coefficient at a vertex) switch to Bland's rule
        (smallest index enters and leaves) until a step makes progress, which rules out
        cycling; a pivot that cannot descend (a tie |alpha^T theta| = 1 that rounding reads as
        a violation, or one that rounding turns into an ascent) is undone and its column
        barred until the next call (the next violator is then tried on the same correlations,
        without a new pass), and so is a column that leaves again before the objective has
        fallen by more than its rounding since it entered (in exact arithmetic every entry
        descends; near interpolation a violation at the rounding level can enter, and two such
        columns entering and leaving in turn cycle).
        """
        max_steps = max_steps or 50 * (self.s + 10)
        self._refresh_Qb()
        start, bland = self.steps, False
        barred = np.zeros(self.s, dtype=bool)
        entry = np.full(self.s, np.nan)  # objective when each column entered in this call
        while True:
            if not self._descend(beta, barred, entry, start + max_steps - self.steps):
                break
            rho = self.residual()
            correlations = self._correlations(rho)
            correlations[self.T] = 0.0
            correlations[barred] = 0.0
            violating = np.flatnonzero(np.abs(correlations) > beta * (1 + tol)
                                       + self.noise(float(np.linalg.norm(rho))))
            if not violating.size:
                return self.steps - start
            before = self._value(rho, beta)
            rounding = 64 * np.finfo(float).eps * before
            for j, sign, alpha, dependent, projection in self._attempts(violating, correlations,
                                                                        bland):
                # the first violator that changes the state; the others are barred without
                # a new correlation pass (the state, hence c, is unchanged)
                if not dependent:
                    if self._insert(j, sign, projection):
                        bland = False
                        entry[j] = before
                        break  # (an insert fails only at full rank: alpha is still valid)
                excess = abs(float(alpha @ self.theta)) - 1.0
                if excess <= 1e-12:  # a tie |alpha^T theta| = 1 that rounding read as a
                    barred[j] = True  # violation: no descent
                    continue
                tau = float(self._blocking(sign * alpha).min(initial=np.inf))
                if 0 < tau < np.inf and beta * tau * excess <= rounding:
                    barred[j] = True  # the pivot's gain would be below rounding
                    continue
                snapshot = self._state()
                tau, excess = self._pivot(j, sign, bland, alpha)
                if excess == -np.inf or self.objective(beta) > before + rounding:
                    self._restore(snapshot)  # the swap left j dependent, or rounding made
                    barred[j] = True  # the pivot ascend
                    continue
                bland = tau <= 1e-9 * max(1.0, float(np.abs(self.zT).max(initial=0.0)))
                break
            else:
                return self.steps - start  # every violator is barred
        raise GaconvexError(f"the active-set method did not finish in {max_steps} steps; the "
                            "working set may be numerically degenerate (duplicate columns?).")
