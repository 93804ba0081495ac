"""The k-means loop (Lloyd's algorithm): update_centers, kmeans with its history, and KMeans.

Taught in notebook 03 (Old Faithful); the estimator is used from notebook 04 on.
"""

import numbers
from dataclasses import dataclass, field

import numpy as np

from ._numerics import SummingSteps, cluster_sums, means, near_origin
from ._validation import as_samples, check_k, check_labels, check_samples_and_centers
from .distances import pairwise_sq_dists
from .init import INITIALISERS

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


def update_centers(X, labels, centers):
    """Move every centre to the mean of the samples assigned to it.

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
    new_centers : array of shape (k, d)
        A new array (the inputs are never modified). Row j is the mean of ``X[labels == j]``;
        an empty cluster keeps its previous centre instead of becoming NaN.

    Taught in notebook 03 (Old Faithful).
    """
    X, centers = check_samples_and_centers(X, centers)
    k = centers.shape[0]
    labels = check_labels(labels, X.shape[0], k)
    sums, counts = cluster_sums(X, labels, k)
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
    """

    centers: np.ndarray
    labels: np.ndarray
    losses: list
    n_iter: int
    converged: bool
    center_history: object = field(default=None, repr=False)
    label_history: object = field(default=None, repr=False)
    X: object = field(default=None, repr=False)  # the samples, to price the update half-steps

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
                loss = labelled_loss(self.X, moved, labels)
                steps.append(HalfStep("update", moved, labels, loss, t + 1))
        return steps


def labelled_loss(X, centers, labels):
    """J when sample i is charged to centre labels[i] (not necessarily its nearest).

    X : (n, d), centers : (k, d), labels : (n,) in 0..k-1. Returns
    ``sum_i ||X[i] - centers[labels[i]]||^2`` as a float (summed in float64).
    """
    diffs = X - centers[labels]
    return float(np.einsum("ij,ij->", diffs, diffs, dtype=np.float64))


def _check_loop_settings(max_iter, tol):
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 0:
        raise ValueError(f"max_iter must be a whole number >= 0, got {max_iter!r}.")
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


def kmeans(X, init_centers, max_iter=100, tol=1e-4, *, record_history=True):
    """Lloyd's algorithm from given initial centres.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row. float32 input is computed and returned in float32.
    init_centers : array of shape (k, d)
        Starting centres, 1 <= k <= n (see :mod:`kmeans_lessons.init`).
    max_iter : int, default 100
        Largest number of update steps.
    tol : float, default 1e-4
        Stop after the first update whose relative decrease of J, (J_prev - J) / J, is at most
        ``tol`` (or when J reaches 0); see :func:`has_converged`.
    record_history : bool, default True
        Keep the centres and labels after every step (for plots and the stepper widget).

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

    # Distances do not change when X and C move together; near the origin they are accurate.
    X_shifted, offset, X_sq_norms = near_origin(X)
    steps = SummingSteps(X_shifted, X_sq_norms, k)

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


class KMeans:
    """k-means with restarts, with scikit-learn's names so the two can be swapped.

    Parameters
    ----------
    n_clusters : int, default 8
    init : {"k-means++", "random", "farthest"} or array of shape (n_clusters, d)
    n_init : int, default 10
        Runs from different initial centres; the one with the lowest J is kept. Must be 1 when
        ``init`` is an array.
    max_iter : int, default 300
    tol : float, default 1e-4
        Relative decrease of J at which a run stops (see :func:`kmeans`).
    random_state : None, int or numpy.random.Generator

    Attributes (after fit)
    ----------------------
    cluster_centers_ : (n_clusters, d); labels_ : (n,); inertia_ : float; n_iter_ : int

    Taught in notebook 04 (Elbow curves).
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init=10, max_iter=300, tol=1e-4,
                 random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def __repr__(self):
        init = "array" if not isinstance(self.init, str) else repr(self.init)
        return (f"KMeans(n_clusters={self.n_clusters}, init={init}, n_init={self.n_init}, "
                f"max_iter={self.max_iter}, tol={self.tol}, random_state={self.random_state!r})")

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
        centers = as_samples(self.init, "init")
        if centers.shape != (k, X.shape[1]):
            raise ValueError(
                f"init array has shape {centers.shape}, expected ({k}, {X.shape[1]}): one row "
                f"per cluster, one column per feature of X."
            )
        if self.n_init != 1:
            raise ValueError(f"init is an array, so every run would be the same: set n_init=1 "
                             f"(got n_init={self.n_init}).")
        return lambda rng: centers

    def fit(self, X, y=None):
        """Run k-means ``n_init`` times on X (n, d) and keep the run with the lowest J."""
        X = as_samples(X)
        if isinstance(self.n_init, bool) or not isinstance(self.n_init, numbers.Integral) \
                or self.n_init < 1:
            raise ValueError(f"n_init must be a whole number >= 1, got {self.n_init!r}.")
        initial_centers = self._initial_centers(X)
        rng = np.random.default_rng(self.random_state)
        best = None
        for _ in range(self.n_init):
            run = kmeans(X, initial_centers(rng), self.max_iter, self.tol, record_history=False)
            if best is None or run.losses[-1] < best.losses[-1]:
                best = run
        self.cluster_centers_ = best.centers
        self.labels_ = best.labels
        self.inertia_ = best.losses[-1]
        self.n_iter_ = best.n_iter
        self.n_features_in_ = X.shape[1]
        return self

    def _check_fitted(self, X):
        if not hasattr(self, "cluster_centers_"):
            raise RuntimeError("This KMeans is not fitted yet: call fit(X) first.")
        X = as_samples(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features but this KMeans was fitted on "
                             f"{self.n_features_in_}: pass data with the same columns.")
        return X

    def predict(self, X):
        """Nearest fitted centre for every row of X (n, d): labels (n,)."""
        X = self._check_fitted(X)
        return pairwise_sq_dists(X, self.cluster_centers_).argmin(axis=1)

    def fit_predict(self, X, y=None):
        """Fit on X (n, d) and return labels_ (n,)."""
        return self.fit(X).labels_

    def transform(self, X):
        """Euclidean (not squared) distance of every row of X (n, d) to every centre: (n, k)."""
        X = self._check_fitted(X)
        return np.sqrt(pairwise_sq_dists(X, self.cluster_centers_))

    def score(self, X, y=None):
        """Minus J of X (n, d) with the fitted centres (higher is better, as in scikit-learn)."""
        X = self._check_fitted(X)
        return -float(pairwise_sq_dists(X, self.cluster_centers_).min(axis=1).sum())
