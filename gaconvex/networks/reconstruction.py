"""From a Lasso solution back to a network (002 Def. B.3, Def. D.17 corrected; App. E).

Each column A_i with z_i != 0 becomes one unit: the +-1-weight unit that generated the column
(``FeatureFamily.unit``) with output weight z_i, then *unscaled*.  Unscaling is balancing
(:meth:`ParallelNetwork.balanced`): with P_i = |z_i| prod_l ||W_unit^(i,l)||_F and
gamma_i = P_i^(1/L), layer l gets the weight scale c_l = gamma_i / ||W_unit^(i,l)||, the bias of
layer l the scale c_1 ... c_l, and alpha_i = sign(z_i) gamma_i.  This is the corrected rule of the
spec (seed-002 Sec. 3.1):

* deep narrow (||W_unit|| = 1): gamma = |z|^(1/L), W = +-gamma, b_l scaled gamma^l;
  penalty (beta/L) L gamma^L = beta |z|;
* symmetrized (||W_unit^(l)|| = sqrt 2): gamma = |2z|^(1/3), c_l = gamma/sqrt 2, so b^(2) is
  scaled gamma^2/2 (002 Def. D.17 prints 1/sqrt 2, an erratum) and the penalty is 2 beta |z|:
  the Lasso beta~ is 2 beta, not the paper's beta/2 (spec Sec. 0.1, claim C4);
* sign/threshold: inner weights +-1 and biases unscaled (unpenalized, 002 Remark D.1),
  amplitude s = sqrt|z|, alpha = sign(z) sqrt|z|; penalty beta |z|.

The network reproduces the Lasso model everywhere: f(x) = sum_i z_i f_i(x) + xi* + omega* x
(002 Lemma B.4, App. B.1), and its objective (1.1) equals the Lasso objective with
beta~ = ``architecture.beta_tilde(beta)`` (claim C3).
"""
from __future__ import annotations

import numpy as np
import torch

from gaconvex._validation import GaconvexError
from gaconvex.solvers.solution import support as solution_support

from .modules import DTYPE, ParallelNetwork

__all__ = ["reconstruct", "split_neurons"]


def reconstruct(dictionary, solution, beta=None, *, tol: float | None = None,
                device="cpu") -> ParallelNetwork:
    """The parallel network of a Lasso solution (002 Def. B.3 with corrected unscaling).

    Parameters
    ----------
    dictionary : gaconvex.dictionaries.Dictionary
        Has ``architecture``, ``column_info(i)`` (with ``family``, ``anchor_values``,
        ``signs``), ``columns(idx)`` and ``unpenalized`` (N, q): the skip column x when
        ``architecture.skip``.
    solution : gaconvex.solvers.LassoSolution
        Has ``z`` (P,), ``xi`` (float) and ``omega`` (q,); with ``beta`` also ``dual`` (N,).
    beta : float, optional
        The training regularization the network is for.  When given, the solution is checked
        to be a Lasso solution for beta~ = ``architecture.beta_tilde(beta)`` by its KKT
        condition |A_i^T lambda| = beta~ on the support (002 Sec. 2.8; lambda = W (y_hat - y)
        for weighted data), which catches a solve with the paper's beta/2 for the symmetrized
        network (spec Sec. 0.1).  ``beta = 0`` checks a min-norm solution instead
        (|A_i^T mu| = 1 on the support, 002 (C.1)).
    tol : float, optional
        Columns with |z_i| <= tol * max|z| are dropped (0: keep every nonzero z_i); default
        ``solution.support_rtol`` when the solution has one (so the width is its m*), else 0.

    Returns
    -------
    ParallelNetwork with one unit per kept column, xi = xi*, omega = omega* (with a skip
    connection), and a trainable xi unless the architecture is sign-determined and xi* = 0.
    """
    arch = dictionary.architecture
    z = np.asarray(solution.z, dtype=float).reshape(-1)
    if z.size != dictionary.n_columns:
        raise GaconvexError(
            f"the solution has {z.size} coefficients but the dictionary has "
            f"{dictionary.n_columns} columns: it was solved on another dictionary. Pass the "
            "dictionary the Lasso was built from.")
    support = solution_support(z, getattr(solution, "support_rtol", 0.0) if tol is None else tol)
    if support.size == 0:
        raise GaconvexError("the Lasso solution is z = 0: the network is the constant xi* "
                            "(beta~ >= ||A^T(y - mean y)||_inf); lower beta to get units.")
    units = []
    for i in support:
        info = dictionary.column_info(int(i))
        units.append(info.family.unit(info.anchor_values, info.signs))
    if beta is not None:
        _check_beta_tilde(dictionary, solution, support, beta)
    omega = _skip_weight(dictionary, solution)
    xi = float(solution.xi)
    net = ParallelNetwork.from_units(units, z[support], arch.activation, xi=xi, omega=omega,
                                     tied=arch.tied_layers, device=device,
                                     intercept=arch.has_free_intercept or xi != 0)
    return net.balanced() if arch.norm == 2 else _balanced_in_norm(net, arch.norm)


def _balanced_in_norm(net: ParallelNetwork, p: int) -> ParallelNetwork:
    """:meth:`ParallelNetwork.balanced` for the entrywise l_p norm of the weights (001 eq. (2),
    (98)): with P_i = |alpha_i| prod_l ||W^(i,l)||_p, every norm becomes P_i^(1/L), so a unit
    of ||w||_p = 1 and output weight z gets W1 = sqrt|z| w, alpha = sign(z) sqrt|z| at L = 2,
    penalty (beta / 2)(||W1||_p^2 + alpha^2) = beta |z| (spec 001 Sec. 3.1)."""
    if net.amplitude is not None or any(net.tied):
        raise GaconvexError(f"l_{p} balancing is defined for untied homogeneous units only.")
    norms = torch.stack([net.alpha.detach().abs()]
                        + [W.detach().abs().pow(p).sum((-2, -1)).pow(1.0 / p)
                           for W in net.weights], dim=-1)
    product = norms.prod(-1)
    live = product > 0
    target = product.pow(1.0 / norms.shape[-1])
    factors = torch.where(live[..., None], target[..., None] / norms.clamp_min(1e-300),
                          torch.ones_like(norms))
    return net.rescale_units(factors[..., 0], layer_scales=factors[..., 1:])


def _check_beta_tilde(dictionary, solution, support, beta, rtol=1e-4) -> None:
    """KKT on the support: |A_i^T lambda| = beta~ (any convex loss, lambda its gradient), or
    |A_i^T mu| = 1 for a min-norm solution (beta = 0)."""
    if isinstance(beta, bool) or not np.isfinite(beta) or beta < 0:
        raise GaconvexError(f"beta must be a finite number >= 0 (the training regularization), "
                            f"got {beta!r}.")
    dual = getattr(solution, "dual", None)
    if dual is None:
        raise GaconvexError("checking beta~ needs the solution's dual vector (solution.dual); "
                            "pass beta=None to skip the check.")
    target = dictionary.architecture.beta_tilde(beta) if beta > 0 else 1.0
    correlations = np.abs(dictionary.columns(support).T @ np.asarray(dual, dtype=float))
    if np.max(np.abs(correlations - target)) <= rtol * target:
        return
    if beta == 0:
        raise GaconvexError(
            "beta = 0 reconstructs the minimum-norm interpolation limit (002 (C.1)), but this "
            "solution is not a min-norm solution (|A_i^T mu| != 1 on its support); solve it "
            "with gaconvex.solvers.min_norm (or convex_fit(..., beta=0)).")
    raise GaconvexError(
        f"the solution is not a Lasso solution for beta~ = {target:g} (the "
        f"{dictionary.architecture} value for beta = {beta:g}): on its support |A_i^T lambda| "
        f"ranges over [{correlations.min():.6g}, {correlations.max():.6g}].  Solve with "
        "LassoProblem.from_dictionary(D, y, beta) (beta~ = architecture.beta_tilde(beta); "
        "symmetrized: 2 beta, not the paper's beta/2), or pass the beta it was solved for.")


def _skip_weight(dictionary, solution) -> float | None:
    """omega* of the skip column (002 Sec. 3.1), or None without a skip connection."""
    q = dictionary.unpenalized.shape[1]
    expected = 1 if dictionary.architecture.skip else 0
    if q != expected:
        raise GaconvexError(f"the dictionary has {q} unpenalized columns; a network has "
                            f"{expected} (the skip column x when architecture.skip).")
    return float(np.asarray(solution.omega).reshape(-1)[0]) if expected else None


def split_neurons(net: ParallelNetwork, parts: int, seed=None) -> ParallelNetwork:
    """Split every unit into ``parts`` units with random shares gamma_k (sum_k gamma_k = 1).

    Unit i with output weight alpha becomes ``parts`` copies rescaled by gamma_k^(1/L~) in every
    penalized parameter (biases of layer l by gamma_k^(l/L)); each copy outputs gamma_k times
    the unit and costs gamma_k times its penalty, so output and objective (1.1) are unchanged
    (002 App. E: {sqrt(gamma_k) alpha sigma(sqrt(gamma_k) w x + sqrt(gamma_k) b)} for L = 2;
    claim C22).  Shares are Dirichlet(1, ..., 1) draws from ``numpy.random.default_rng(seed)``.
    """
    if net.batch_shape:
        raise GaconvexError("split_neurons splits one network; select(r) a batch entry first.")
    if parts < 1:
        raise GaconvexError(f"parts must be a positive integer, got {parts}.")
    m = net.n_units
    gamma = np.random.default_rng(seed).dirichlet(np.ones(parts), size=m).reshape(-1)
    copies = net.units(np.repeat(np.arange(m), parts))
    factor = torch.as_tensor(gamma, dtype=DTYPE, device=net.device) ** (1 / net.effective_depth)
    if net.amplitude is not None:
        return copies.rescale_units(factor, amplitude_scale=factor)
    return copies.rescale_units(factor, layer_scales=factor[:, None].expand(-1, net.depth - 1))
