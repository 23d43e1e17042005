"""scikit-learn estimators over :func:`gaconvex.convex_fit`: the exact convex training of a
deep network behind ``fit`` / ``predict`` / ``score``.

:class:`ConvexNetRegressor` and :class:`ConvexNetClassifier` are thin wrappers: ``fit``
validates the data in scikit-learn's way (``validate_data``), builds the
:class:`gaconvex.symbolic.Architecture` for X's number of columns and calls
:func:`gaconvex.convex_fit`, which solves the network's training problem (1.1),

    min_theta  sum_i w_i ell(y_i - f(x_i; theta)) + beta / L~ sum_l ||theta_l||^L~,

exactly as the Lasso  min_{z, xi} sum_i w_i ell(y_i - (A z + xi 1)_i) + beta~ ||z||_1  over the
architecture's dictionary A (002 Thm 3.11; beta~ = ``Architecture.beta_tilde(beta)``).  The
fitted model is the reconstructed network f(x) = sum_j z_j A_j(x) + xi (002 Def. B.3), the
certificate says whether it is the global training optimum (002 Lemma D.8, D.15).

Multi-column X needs a d-dimensional network family (the wedge families of 001: ReLU with 2
or 3 layers; the reflection-plane family of 000: abs, any depth); the architecture is built with ``dim = X.shape[1]`` and fails with a clear error where
no such family exists for the chosen activation.  The checks of
``sklearn.utils.estimator_checks`` that therefore cannot apply are listed, with their reasons,
by :func:`expected_failed_checks` (``EXPECTED_FAILED_CHECKS`` for the default estimators).

scikit-learn is imported here only; ``import gaconvex`` loads this module on first access to
``gaconvex.ConvexNetRegressor`` / ``ConvexNetClassifier``.
"""
from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._validation import GaconvexError

__all__ = ["ConvexNetRegressor", "ConvexNetClassifier", "EXPECTED_FAILED_CHECKS",
           "expected_failed_checks"]

#: The checks of ``sklearn.utils.estimator_checks`` that fit X with several columns (2 to 30).
_MULTI_COLUMN_CHECKS = (
    "check_classifier_data_not_an_array", "check_classifiers_classes",
    "check_classifiers_one_label_sample_weights", "check_classifiers_train",
    "check_dict_unchanged", "check_dont_overwrite_parameters", "check_dtype_object",
    "check_estimators_dtypes", "check_estimators_fit_returns_self", "check_estimators_nan_inf",
    "check_estimators_overwrite_params", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_fit2d_predict1d", "check_fit_check_is_fitted",
    "check_fit_idempotent", "check_fit_score_takes_y", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_n_features_in", "check_n_features_in_after_fitting",
    "check_pipeline_consistency", "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input", "check_regressor_data_not_an_array", "check_regressors_int",
    "check_regressors_no_decision_function", "check_regressors_train",
    "check_sample_weight_equivalence_on_dense_data", "check_sample_weights_list",
    "check_sample_weights_not_an_array", "check_sample_weights_not_overwritten",
    "check_sample_weights_pandas_series", "check_sample_weights_shape", "check_supervised_y_2d",
)
_MULTI_COLUMN_REASON = ("fits X with several columns, and {arch} has no dictionary for d > 1 "
                        "inputs (d-D: the ReLU wedge families of From Complexity to Clarity, "
                        "L = 2, 3, and the abs reflection-plane family of Black Boxes and "
                        "Looking Glasses)")


def expected_failed_checks(estimator=None) -> dict[str, str]:
    """The checks of ``sklearn.utils.estimator_checks`` that cannot apply to ``estimator``
    (default: ``ConvexNetRegressor()``), check name -> reason: those on multi-column X when its
    architecture cannot fit d > 1 inputs.  Probed, not assumed: a clone is fitted to four points
    in the plane, the path the checks take.  Usable as ``parametrize_with_checks(...,
    expected_failed_checks=expected_failed_checks)``."""
    from sklearn.base import clone, is_classifier

    probe = ConvexNetRegressor() if estimator is None else clone(estimator)
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.5]])
    y = np.array([0, 1, 1, 0]) if is_classifier(probe) else np.array([0.0, 1.0, 1.0, 0.0])
    try:
        probe.fit(X, y)
    except GaconvexError:
        arch = probe.architecture or f"the {probe.activation!r} network of depth {probe.depth}"
        return dict.fromkeys(_MULTI_COLUMN_CHECKS, _MULTI_COLUMN_REASON.format(arch=arch))
    return {}


def __getattr__(name: str):
    """``EXPECTED_FAILED_CHECKS``: :func:`expected_failed_checks` of the default estimators
    (the same for both), for ``check_estimator(..., expected_failed_checks=...)``; computed on
    first access (it probes what this installation's dictionaries support)."""
    if name == "EXPECTED_FAILED_CHECKS":
        value = globals()[name] = expected_failed_checks()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _ConvexNet(BaseEstimator):
    """Hyper-parameters and the shared ``fit`` of both estimators.

    Parameters
    ----------
    architecture : gaconvex.symbolic.Architecture or None
        The network; None builds ``architecture(activation, depth, family, dim=X.shape[1])``.
    activation, depth, family : used when ``architecture`` is None (a name of
        ``gaconvex.symbolic.ACTIVATIONS``, the number of weight layers L >= 2, a registered
        family or None for the registry's default at X's dimension: deep narrow in 1-D; for
        d > 1 the wedge families of 001 (ReLU) and the reflection planes of 000 (abs)).
    beta : float >= 0
        Training regularization of (1.1); beta = 0 is the minimum-norm interpolation limit
        (002 (C.1)).  It is not normalized by the number of samples.
    loss, tau : the datafit (a name of ``gaconvex.solvers.datafits.DATAFITS`` or a ``Datafit``;
        tau for the quantile loss).
    solver : a registered solver name ("auto": exact working set, min-norm LP at beta = 0).
    max_columns : sample the library uniformly when it has more columns (002 Sec. 4).
    storage : how the dictionary holds its columns ("dense", "kernels", "structured").
    random_state : int, numpy Generator / RandomState or None; seeds the sampled library.
    client : None, a scheduler address (str, e.g. "tcp://10.0.0.5:8786") or a
        ``distributed.Client``: the dictionary's column shards live on the cluster's workers
        and the solver's correlation passes run there (:func:`gaconvex.distributed.distribute`;
        needs storage="structured" or "kernels").  An address is connected for each ``fit``
        and closed after it; unlike a live Client it survives ``clone`` (GridSearchCV).  The
        fitted model never needs the cluster again: it pickles as a local one (a live Client
        is left out, loading as None).
    """

    def __init__(self, architecture=None, *, activation="relu", depth=2, family=None,
                 beta=1e-2, loss=None, tau=0.5, solver="auto", max_columns=None,
                 storage="auto", random_state=None, client=None):
        self.architecture = architecture
        self.activation = activation
        self.depth = depth
        self.family = family
        self.beta = beta
        self.loss = loss
        self.tau = tau
        self.solver = solver
        self.max_columns = max_columns
        self.storage = storage
        self.random_state = random_state
        self.client = client

    # -- pieces of fit ----------------------------------------------------------------------------
    def _build_architecture(self, dim: int):
        """The architecture for inputs with ``dim`` columns."""
        from gaconvex.symbolic import Architecture, architecture

        if self.architecture is not None:
            if not isinstance(self.architecture, Architecture):
                raise GaconvexError(
                    f"architecture must be a gaconvex.symbolic.Architecture or None, got "
                    f"{type(self.architecture).__name__}; build one with "
                    "gaconvex.symbolic.architecture('abs', 3).")
            if self.architecture.dim != dim:
                raise GaconvexError(
                    f"X has {dim} column(s) but the architecture {self.architecture} takes "
                    f"{self.architecture.dim}-dimensional inputs; pass X with "
                    f"{self.architecture.dim} column(s) or an architecture with dim={dim}.")
            return self.architecture
        try:
            return architecture(self.activation, self.depth, self.family, dim=dim)
        except GaconvexError as exc:
            raise GaconvexError(
                f"{type(self).__name__}: no {self.activation!r} network of depth {self.depth} for "
                f"X with {dim} column(s): {exc}") from exc

    def _seed(self):
        """``random_state`` as a seed of numpy's default_rng (ints pass unchanged, so
        ``random_state=s`` samples the library of ``convex_fit(..., seed=s)``)."""
        rs = self.random_state
        if rs is None or isinstance(rs, np.random.Generator) or (
                isinstance(rs, numbers.Integral) and not isinstance(rs, bool)):
            return rs
        return int(check_random_state(rs).randint(np.iinfo(np.int32).max))

    def _convex_fit(self, X, y, sample_weight, loss, arch, seed):
        from .fit import convex_fit

        def run(client):
            return convex_fit(X, y, arch, self.beta, loss=loss, tau=self.tau,
                              sample_weight=sample_weight, solver=self.solver,
                              max_columns=self.max_columns, seed=seed, storage=self.storage,
                              client=client)

        if not isinstance(self.client, str):
            return run(self.client)
        from distributed import Client

        with Client(self.client, set_as_default=False) as client:
            return run(client)

    def _validate_fit_data(self, X, y, sample_weight, *, y_numeric: bool):
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=y_numeric,
                             ensure_min_samples=2)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        return X, y, sample_weight

    def _check_X(self, X) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def _set_fitted(self, fits, arch):
        """Fitted attributes from one ConvexFit (regression, binary) or one per class."""
        first = fits[0]
        self.architecture_ = arch
        self.dictionary_ = first.dictionary
        if len(fits) == 1:
            self.fit_ = first
            self.coef_ = first.coef_
            self.intercept_ = first.intercept_
            self.certificate_ = first.certificate
        else:
            self.fit_ = tuple(fits)
            self.coef_ = np.stack([f.coef_ for f in fits])
            self.intercept_ = np.array([f.intercept_ for f in fits])
            self.certificate_ = tuple(f.certificate for f in fits)

    # -- the model --------------------------------------------------------------------------------
    @property
    def network_(self):
        """The reconstructed torch network (002 Def. B.3; a tuple per class one-vs-rest), built
        on first access (torch is imported then)."""
        check_is_fitted(self)
        if isinstance(self.fit_, tuple):
            return tuple(f.network for f in self.fit_)
        return self.fit_.network

    @property
    def features_(self):
        """The selected units, largest |z| first, each with its exact breakpoints and their
        labels (:meth:`gaconvex.ConvexFit.features`; a tuple per class one-vs-rest), derived on
        first access."""
        check_is_fitted(self)
        if isinstance(self.fit_, tuple):
            return tuple(f.features() for f in self.fit_)
        return self.fit_.features()

    def __getstate__(self):
        """A live ``client`` is left out of the pickle (it holds sockets and event-loop tasks;
        the fitted model needs no cluster): it loads as ``client=None``."""
        state = super().__getstate__()
        if self.client is not None and not isinstance(self.client, str):
            state = dict(state, client=None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags


class ConvexNetRegressor(RegressorMixin, _ConvexNet):
    """The globally optimal network of an architecture, as a scikit-learn regressor.

    ``fit`` solves the training problem (1.1) exactly by its convex Lasso (002 Thm 3.11,
    :func:`gaconvex.convex_fit`); ``predict`` evaluates sum_j z_j A_j(x) + xi, the
    reconstructed network (002 Def. B.3).  Parameters: see the module docs and
    :func:`gaconvex.convex_fit` (default: two-layer ReLU, beta = 1e-2, squared loss).

    Attributes
    ----------
    fit_ : gaconvex.ConvexFit, the fit with everything that proves it.
    dictionary_ : gaconvex.dictionaries.Dictionary, the Lasso dictionary A (columns = units).
    coef_ : (n_columns,) Lasso coefficients z (one per dictionary column; sparse).
    intercept_ : float, xi.
    certificate_ : gaconvex.certify.FitCertificate (Lasso gap and KKT; global optimality where
        the completeness search exists, 002 Lemma D.15).
    features_ : list of gaconvex.fit.ActiveFeature, the selected units largest |z| first, each
        with its exact breakpoints and their labels (data point / midpoint / reflection).
    network_ : the torch network (built on first access).
    architecture_ : the Architecture that was fitted.
    n_features_in_ : number of columns of X.
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the network exactly to (X, y) with optional ``sample_weight`` (>= 0)."""
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, y_numeric=True)
        arch = self._build_architecture(X.shape[1])
        self._set_fitted([self._convex_fit(X, y, sample_weight, self.loss, arch, self._seed())],
                         arch)
        return self

    def predict(self, X) -> np.ndarray:
        """f(x) = sum_j z_j A_j(x) + xi at the rows of X (numpy (n,))."""
        X = self._check_X(X)
        return self.fit_.predict(X)

    def plot(self, ax=None, *, title: str | None = None):
        """The fitted function over the training data with the labelled breakpoints of its
        features (1-D inputs; :meth:`gaconvex.ConvexFit.plot`)."""
        check_is_fitted(self)
        return self.fit_.plot(ax=ax, title=title)


def _is_logistic(loss) -> bool:
    """Whether ``loss`` (a name or a Datafit) is the logistic loss, whose fit is a log-odds."""
    from gaconvex.solvers.datafits import DATAFITS, Datafit, LogisticLoss

    if isinstance(loss, Datafit):
        return isinstance(loss, LogisticLoss)
    return isinstance(loss, str) and DATAFITS.get(loss) is LogisticLoss


def _default_classification_loss() -> str:
    from gaconvex.solvers.datafits import SquaredHingeLoss

    return SquaredHingeLoss.name


class ConvexNetClassifier(ClassifierMixin, _ConvexNet):
    """The globally optimal network of an architecture, as a scikit-learn classifier.

    Labels are mapped to t_i in {-1, +1} and the network f is fitted exactly with a
    classification loss of the margin (default: the squared hinge ell = max(0, 1 - t f)^2 / 2;
    the logistic loss log(1 + exp(-t f)) gives ``predict_proba`` = sigmoid(f)) by the convex
    Lasso of :func:`gaconvex.convex_fit`; ``predict`` is the class of sign f(x).  More than two
    classes: one network per class, one-vs-rest (argmax of the decision functions).

    Attributes: as :class:`ConvexNetRegressor` (for K > 2 classes ``fit_``, ``certificate_``,
    ``features_`` and ``network_`` are tuples per class, ``coef_`` is (K, n_columns) and
    ``intercept_`` (K,)), plus ``classes_``.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit one exact network (two classes) or one per class (one-vs-rest)."""
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, y_numeric=False)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise GaconvexError(f"y has only one class ({self.classes_[0]!r}); a classifier needs "
                                "at least 2 classes.")
        loss = self.loss if self.loss is not None else _default_classification_loss()
        arch = self._build_architecture(X.shape[1])
        seed = self._seed()  # one seed: every one-vs-rest fit samples the same library
        targets = ([codes] if self.classes_.size == 2
                   else [codes == k for k in range(self.classes_.size)])
        self._set_fitted([self._convex_fit(X, np.where(t, 1.0, -1.0), sample_weight, loss, arch,
                                           seed) for t in targets], arch)
        return self

    def decision_function(self, X) -> np.ndarray:
        """f(x) (two classes: > 0 means ``classes_[1]``), or (n, K) one-vs-rest scores."""
        X = self._check_X(X)
        if isinstance(self.fit_, tuple):
            return np.column_stack([f.predict(X) for f in self.fit_])
        return self.fit_.predict(X)

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        index = scores.argmax(axis=1) if scores.ndim == 2 else (scores > 0).astype(int)
        return self.classes_[index]

    @available_if(lambda self: _is_logistic(self.loss))
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities sigmoid(f(x)) of the logistic loss (one-vs-rest: normalized)."""
        from scipy.special import expit

        p = expit(self.decision_function(X))
        if p.ndim == 1:
            return np.column_stack([1.0 - p, p])
        return p / p.sum(axis=1, keepdims=True)

    @available_if(lambda self: _is_logistic(self.loss))
    def predict_log_proba(self, X) -> np.ndarray:
        return np.log(self.predict_proba(X))

    def plot(self, ax=None, *, label=None, title: str | None = None):
        """The decision function f over the training data coded +-1, with the labelled
        breakpoints (1-D inputs); with more than two classes ``label`` picks the
        one-vs-rest network."""
        check_is_fitted(self)
        if not isinstance(self.fit_, tuple):
            return self.fit_.plot(ax=ax, title=title)
        hits = np.flatnonzero(self.classes_ == label)
        if hits.size != 1:
            raise GaconvexError(f"plot(label=...) needs one of the classes "
                                f"{self.classes_.tolist()} with {self.classes_.size} classes, "
                                f"got {label!r}.")
        return self.fit_[hits[0]].plot(ax=ax, title=title)
