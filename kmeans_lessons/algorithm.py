"""The k-means loop (Lloyd's algorithm): update_centers, kmeans with its history, and KMeans.

Taught in notebook 03 (Old Faithful); the estimator KMeans is used in notebook 06 (Embeddings).
"""

import numbers
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._numerics import SummingSteps, cluster_sums, means, near_origin
from ._validation import (
    as_samples,
    check_k,
    check_labels,
    check_sample_weight,
    check_samples_and_centers,
    check_whole_number,
)
from .distances import assign, pairwise_sq_dists
from .initialisation import INITIALISERS

__all__ = [
    "update_centers",
    "labelled_loss",
    "has_converged",
    "lloyd",
    "LloydRun",
    "kmeans",
    "KMeansResult",
    "HalfStep",
    "KMeans",
]


# --- the update step -------------------------------------------------------------------------


def update_centers(X, labels, centers, sample_weight=None):
    """Move every centre to the mean of the samples assigned to it.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row.
    labels : int array of shape (n,)
        Cluster of every sample, values in 0..k-1.
    centers : array of shape (k, d)
        The current centres; only used for clusters that have no members.
    sample_weight : array of shape (n,), optional
        Weight of every sample (>= 0): the means become weighted means
        ``sum_i w_i X[i] / sum_i w_i`` over each cluster. None weighs every sample 1.

    Returns
    -------
    new_centers : array of shape (k, d)
        A new array (the inputs are never modified). Row j is the mean of ``X[labels == j]``;
        an empty cluster (or one whose members all weigh 0) keeps its previous centre instead
        of becoming NaN.

    Taught in notebook 03 (Old Faithful).
    """
    X, centers = check_samples_and_centers(X, centers)
    k = centers.shape[0]
    labels = check_labels(labels, X.shape[0], k)
    weights = check_sample_weight(sample_weight, X.shape[0])
    sums, counts = cluster_sums(X, labels, k, weights)
    # Sums over counts; an empty cluster (count 0) keeps its previous centre.
    return means(sums, counts, centers).astype(X.dtype, copy=False)


# --- the loop --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HalfStep:
    """One frame of the algorithm for replay: what is drawn after an assign or update step.

    kind : "init", "assign" or "update"
    centers : (k, d) centres shown; labels : (n,) colours shown (None before the first assign)
    loss : J of these labels with these centres (None for "init"); iteration : updates so far
    """

    kind: str
    centers: np.ndarray
    labels: object
    loss: object
    iteration: int


@dataclass(frozen=True, eq=False)
class KMeansResult:
    """What :func:`kmeans` returns. Unpacks as ``centers, labels, losses``.

    centers : (k, d) final centres; labels : (n,) assignment to those centres;
    losses : list of n_iter + 1 floats, losses[t] = J after t updates;
    n_iter : number of updates; converged : stopped by the tolerance rather than max_iter;
    center_history : (n_iter + 1, k, d) centres after t updates (None without history);
    label_history : (n_iter + 1, n) assignment to center_history[t] (None without history).

    Taught in notebook 03 (Old Faithful).
    """

    centers: np.ndarray
    labels: np.ndarray
    losses: list
    n_iter: int
    converged: bool
    center_history: object = field(default=None, repr=False)
    label_history: object = field(default=None, repr=False)
    X: object = field(default=None, repr=False)  # the samples, to price the update half-steps
    sample_weight: object = field(default=None, repr=False)  # and their weights, if any

    def __iter__(self):
        return iter((self.centers, self.labels, self.losses))

    def __getitem__(self, index):
        # Behaves like the tuple it unpacks as: result[2][-1] is the final J.
        return (self.centers, self.labels, self.losses)[index]

    def __len__(self):
        return 3

    def half_steps(self):
        """The run as alternating half-steps, for replaying it one frame at a time.

        Returns a list of :class:`HalfStep`: "init" (initial centres, no colours), then for
        t = 0, 1, ...: "assign" (centres t, labels t, J(centres t)) and, unless it is the last
        assignment, "update" (centres t+1 still coloured by labels t, J of those labels with the
        moved centres — never above the assign step's J).
        """
        if self.center_history is None:
            raise ValueError("this result has no history: run kmeans(..., record_history=True).")
        steps = [HalfStep("init", self.center_history[0], None, None, 0)]
        for t in range(self.n_iter + 1):
            centers, labels = self.center_history[t], self.label_history[t]
            steps.append(HalfStep("assign", centers, labels, self.losses[t], t))
            if t < self.n_iter:
                moved = self.center_history[t + 1]
                loss = labelled_loss(self.X, moved, labels, self.sample_weight)
                steps.append(HalfStep("update", moved, labels, loss, t + 1))
        return steps


def labelled_loss(X, centers, labels, sample_weight=None):
    """J when sample i is charged to centre labels[i] (not necessarily its nearest).

    X : (n, d), centers : (k, d), labels : (n,) in 0..k-1, sample_weight : optional (n,).
    Returns ``sum_i w_i ||X[i] - centers[labels[i]]||^2`` as a float (summed in float64; every
    w_i is 1 without weights).
    """
    diffs = X - centers[labels]
    if sample_weight is None:
        return float(np.einsum("ij,ij->", diffs, diffs, dtype=np.float64))
    return float(np.einsum("ij,ij->i", diffs, diffs, dtype=np.float64) @ sample_weight)


def _check_loop_settings(max_iter, tol):
    check_whole_number(max_iter, "max_iter", minimum=0)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0 (a relative decrease of J), got {tol!r}.")


def has_converged(previous_loss, loss, tol):
    """The stopping rule of every k-means loop here: has J stopped falling?

    ``previous_loss`` and ``loss`` are J before and after one update step (each with the
    assignment to its centres). True when J reached 0, or when the update lowered it by at most
    ``tol`` relative to its new value: ``(previous_loss - loss) / loss <= tol``.
    """
    return loss == 0 or (previous_loss - loss) / loss <= tol


@dataclass(frozen=True, eq=False)
class LloydRun:
    """What :func:`lloyd` returns.

    centers : (k, d) final centres; labels : (n,) assignment to them; losses : list of
    n_iter + 1 floats, J after 0, 1, ... updates; converged : stopped by :func:`has_converged`
    rather than by max_iter.
    """

    centers: np.ndarray
    labels: np.ndarray
    losses: list
    converged: bool


def lloyd(init_centers, assign_step, update_step, max_iter=100, tol=1e-4, *, on_half_step=None):
    """Lloyd's algorithm: assign, update, assign, ... until :func:`has_converged` or max_iter.

    The one k-means loop of the package: :func:`kmeans` runs it with fast steps that share work
    between iterations, the stepper widget with a student's own assign/update functions.

    Parameters
    ----------
    init_centers : array of shape (k, d)
        Starting centres.
    assign_step : callable ``assign_step(C) -> (labels, J)``
        The nearest centre of every sample for centres C (k, d) as labels (n,), and J of those
        labels with C.
    update_step : callable ``update_step(labels, C) -> new_centers``
        New centres (k, d) for labels (n,); C are the current centres (for empty clusters).
    max_iter : int, default 100
        Largest number of update steps.
    tol : float, default 1e-4
        Passed to :func:`has_converged` after every update.
    on_half_step : callable ``on_half_step(kind, centers, labels, loss, iteration)``, optional
        Called after every half-step: ``"assign"`` with the centres, their labels and J;
        ``"update"`` with the moved centres, the labels they were computed from and loss None.
        ``iteration`` is the number of updates so far. An exception it (or a step) raises stops
        the loop and propagates.

    Returns
    -------
    run : LloydRun
    """
    notify = on_half_step or (lambda *half_step: None)
    centers = init_centers
    labels, loss = assign_step(centers)
    losses = [loss]
    notify("assign", centers, labels, loss, 0)
    for iteration in range(1, max_iter + 1):
        centers = update_step(labels, centers)
        notify("update", centers, labels, None, iteration)
        labels, loss = assign_step(centers)
        losses.append(loss)
        notify("assign", centers, labels, loss, iteration)
        if has_converged(losses[-2], loss, tol):
            return LloydRun(centers, labels, losses, converged=True)
    return LloydRun(centers, labels, losses, converged=False)


def kmeans(X, init_centers, max_iter=100, tol=1e-4, *, record_history=True, sample_weight=None):
    """Lloyd's algorithm from given initial centres.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row. float32 input is computed and returned in float32.
    init_centers : array of shape (k, d)
        Starting centres, 1 <= k <= n (see :mod:`kmeans_lessons.initialisation`).
    max_iter : int, default 100
        Largest number of update steps.
    tol : float, default 1e-4
        Stop after the first update whose relative decrease of J, (J_prev - J) / J, is at most
        ``tol`` (or when J reaches 0); see :func:`has_converged`.
    record_history : bool, default True
        Keep the centres and labels after every step (for plots and the stepper widget).
    sample_weight : array of shape (n,), optional
        Weight of every sample (>= 0, not all 0): centres become weighted means and J the
        weighted sum of squared distances. None weighs every sample 1.

    Returns
    -------
    result : KMeansResult
        Unpacks as ``centers (k, d), labels (n,), losses``: ``losses[0]`` is J of the initial
        centres and one value follows each update; ``labels`` are the assignment to the returned
        centres. Also carries ``n_iter``, ``converged`` and the history.

    Notes
    -----
    The data are shifted to have mean zero first (distances do not change), which keeps the
    expansion ||x||^2 + ||c||^2 - 2 x.c accurate for data far from the origin. Each iteration
    makes one pass over X: the assignment of the new centres also yields their loss J.

    Taught in notebook 03 (Old Faithful).
    """
    X, C = check_samples_and_centers(X, init_centers, finite_X=False)  # see near_origin
    n, k = X.shape[0], C.shape[0]
    check_k(k, n)
    _check_loop_settings(max_iter, tol)
    weights = check_sample_weight(sample_weight, n)

    # Distances do not change when X and C move together; near the origin they are accurate.
    X_shifted, offset, X_sq_norms = near_origin(X)
    steps = SummingSteps(X_shifted, X_sq_norms, k, weights)

    centers_seen, labels_seen = [], []

    def record(kind, centers, labels, loss, iteration):
        if kind == "assign":
            centers_seen.append(centers)
            labels_seen.append(labels)

    run = lloyd(C - offset, steps.assign, steps.update, max_iter, tol,
                on_half_step=record if record_history else None)
    history = {}
    if record_history:
        history = dict(
            center_history=np.stack(centers_seen) + offset,
            label_history=np.stack(labels_seen),
            X=X,
            sample_weight=weights,
        )
    return KMeansResult(
        centers=run.centers + offset,
        labels=run.labels,
        losses=run.losses,
        n_iter=len(run.losses) - 1,
        converged=run.converged,
        **history,
    )


# --- the estimator ---------------------------------------------------------------------------


class KMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """k-means with restarts, as a scikit-learn estimator (``clone``, ``Pipeline``,
    ``GridSearchCV`` and scikit-learn's ``KMeans`` names all work).

    Each of the ``n_init`` runs is :func:`kmeans` from its own initial centres; the run with
    the lowest J (the inertia) is kept.

    Parameters
    ----------
    n_clusters : int, default 8
        Number of clusters k, 1 <= k <= n_samples.
    init : {"k-means++", "random", "farthest"} or array of shape (n_clusters, n_features), \
default "k-means++"
        How each run chooses its initial centres: :func:`~kmeans_lessons.init_kmeans_pp`,
        :func:`~kmeans_lessons.init_random`, :func:`~kmeans_lessons.init_farthest`, or these
        centres themselves (then ``n_init`` must be 1).
    n_init : int, default 10
        Number of runs from different initial centres, >= 1.
    max_iter : int, default 300
        Largest number of update steps of one run, >= 0.
    tol : float, default 1e-4
        A run stops after the first update that lowers J by at most ``tol`` relative to J (see
        :func:`kmeans_lessons.algorithm.has_converged`); scikit-learn's ``tol`` measures how far
        the centres moved instead.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState, default None
        Seed of the initial centres. None gives different centres on every fit; an int the same
        ones; a Generator (or RandomState) is drawn from, so repeated fits differ.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centres of the best run (float32 when X is float32, float64 otherwise).
    labels_ : ndarray of shape (n_samples,)
        Cluster of every training sample: its nearest centre, ties to the lower index.
    inertia_ : float
        J of the training data with ``cluster_centers_``: the sum of squared distances of the
        samples to their nearest centre, weighted by ``sample_weight`` if one was given.
    n_iter_ : int
        Number of update steps of the best run.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit``, set only when X was a DataFrame with string column names.

    Notes
    -----
    ``sample_weight`` weights the means and J as in scikit-learn; the initial centres are
    chosen without it (scikit-learn's k-means++ also weights its random draws).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> model = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> model.cluster_centers_[np.argsort(model.cluster_centers_[:, 0])]
    array([[ 0. ,  0.5],
           [10. ,  0.5]])
    >>> float(model.inertia_)
    1.0

    Taught in notebook 06 (Embeddings).
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init=10, max_iter=300, tol=1e-4,
                 random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # transform keeps float32 float32, like scikit-learn's KMeans
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _initial_centers(self, X):
        """A function rng -> (k, d) initial centres, checked once before any run."""
        k = check_k(self.n_clusters, X.shape[0])
        if isinstance(self.init, str):
            if self.init not in INITIALISERS:
                raise ValueError(
                    f"init must be one of {sorted(INITIALISERS)} or an array of shape "
                    f"({k}, {X.shape[1]}), got {self.init!r}."
                )
            chooser = INITIALISERS[self.init]
            return lambda rng: chooser(X, k, rng)
        centers = as_samples(self.init, "init").astype(X.dtype, copy=False)
        if centers.shape != (k, X.shape[1]):
            raise ValueError(
                f"init array has shape {centers.shape}, expected ({k}, {X.shape[1]}): one row "
                f"per cluster, one column per feature of X."
            )
        if self.n_init != 1:
            raise ValueError(f"init is an array, so every run would be the same: set n_init=1 "
                             f"(got n_init={self.n_init}).")
        return lambda rng: centers

    def _generator(self):
        """The numpy Generator for the initial centres, from random_state."""
        if isinstance(self.random_state, np.random.RandomState):
            return np.random.default_rng(self.random_state.randint(2**31))
        return np.random.default_rng(self.random_state)

    def fit(self, X, y=None, sample_weight=None):
        """Run k-means ``n_init`` times and keep the run with the lowest J.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples; float32 stays float32, anything else becomes float64.
        y : ignored
            Present so that the estimator fits into scikit-learn pipelines.
        sample_weight : array-like of shape (n_samples,) or float, default None
            Weight of every sample (non-negative, not all zero); None weighs every sample 1.
            Centres become weighted means and J a weighted sum of squared distances.

        Returns
        -------
        self : KMeans
            The fitted estimator.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], copy=False)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        check_whole_number(self.n_init, "n_init", minimum=1)
        initial_centers = self._initial_centers(X)
        rng = self._generator()
        best = None
        for _ in range(self.n_init):
            run = kmeans(X, initial_centers(rng), self.max_iter, self.tol, record_history=False,
                         sample_weight=sample_weight)
            if best is None or run.losses[-1] < best.losses[-1]:
                best = run
        self.cluster_centers_ = best.centers
        self.labels_ = best.labels
        self.inertia_ = best.losses[-1]
        self.n_iter_ = best.n_iter
        return self

    def _check_fitted(self, X):
        """X as a float array with the fitted number of features (NotFittedError before fit)."""
        check_is_fitted(self, "cluster_centers_",
                        msg="This %(name)s is not fitted yet: call fit(X) first.")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False, copy=False)
        return X.astype(self.cluster_centers_.dtype, copy=False)

    def predict(self, X):
        """Nearest fitted centre of every sample, as :func:`~kmeans_lessons.assign` decides it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the nearest centre; ties go to the lower index.
        """
        return assign(self._check_fitted(X), self.cluster_centers_)

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit on X and return ``labels_``: ndarray of shape (n_samples,).

        Parameters are those of :meth:`fit`.
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X):
        """Euclidean (not squared) distance of every sample to every centre.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
        """
        X = self._check_fitted(X)
        return np.sqrt(pairwise_sq_dists(X, self.cluster_centers_))

    def score(self, X, y=None, sample_weight=None):
        """Minus J of X with the fitted centres (higher is better, as in scikit-learn).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,) or float, default None
            Weights of the squared distances, as in :meth:`fit`.

        Returns
        -------
        score : float
            ``-sum_i w_i min_j ||X[i] - C[j]||^2``.
        """
        X = self._check_fitted(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        nearest = pairwise_sq_dists(X, self.cluster_centers_).min(axis=1).astype(np.float64)
        if sample_weight is None:
            return -float(nearest.sum())
        return -float(nearest @ sample_weight)


# --- transfer exercise of notebook 03: the update step of k-medians ---------------------------

__all__ += ["update_medians"]


def update_medians(X, labels, centers):
    """Move every centre to the coordinate-wise median of the samples assigned to it.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row.
    labels : int array of shape (n,)
        Cluster of every sample, values in 0..k-1.
    centers : array of shape (k, d)
        The current centres; only used for clusters that have no members.

    Returns
    -------
    new_centers : float array of shape (k, d)
        A new array. Row j holds, feature by feature, the median of ``X[labels == j]`` (for an
        even number of members the mean of the two middle values, as ``np.median``); an empty
        cluster keeps its previous centre.

    Notes
    -----
    This is the update of **k-medians**. The mean minimises the sum of *squared* Euclidean
    distances to the members; the median of each feature minimises the sum of *absolute*
    differences, so the sum of Manhattan distances. A few far outliers move a mean a long way
    and a median hardly at all.

    Taught in notebook 03 (Old Faithful).
    """
    X, centers = check_samples_and_centers(X, centers)
    k = centers.shape[0]
    labels = check_labels(labels, X.shape[0], k)
    new_centers = centers.astype(float)  # a copy: empty clusters keep their centre
    for j in range(k):  # np.median has no grouped form; k is small, each pass is vectorised
        members = X[labels == j]
        if len(members):
            new_centers[j] = np.median(members, axis=0)
    return new_centers
