"""The k-means loop (Lloyd's algorithm): update_centers, kmeans with its history, and KMeans.

Taught in notebook 03 (Old Faithful); the estimator is used from notebook 04 on.
"""

import numbers
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

from ._validation import as_samples, check_k, check_labels, check_samples_and_centers
from .distances import _row_chunks, near_origin, pairwise_sq_dists
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

#: Up to this many features the work goes one feature at a time (scores built feature by feature,
#: sums by one weighted bincount per feature) instead of by matrix products: with d = 2 a matrix
#: product is nearly all call overhead.
_FEW_FEATURES = 8


# --- the update step -------------------------------------------------------------------------


def _cluster_sums(X, labels, k):
    """Per-cluster sums and sizes of X (n, d) with labels (n,): sums (k, d) float64, counts (k,)."""
    n, d = X.shape
    counts = np.bincount(labels, minlength=k)
    if d <= _FEW_FEATURES:
        # One weighted bincount per feature is a single fast pass each.
        sums = np.empty((k, d))
        for j in range(d):
            sums[:, j] = np.bincount(labels, weights=X[:, j], minlength=k)
        return sums, counts
    return _add_rows_to_clusters(X, np.arange(n), labels[:, np.newaxis], (1,), k), counts


def _add_rows_to_clusters(X, samples, clusters, signs, k):
    """sums (k, d) float64 with ``signs[j] * X[samples[i]]`` added to row ``clusters[i, j]``.

    samples : (m,) increasing row numbers of X; clusters : (m, w) int; signs : w numbers (+1/-1).

    The work is one product with a sparse one-hot matrix of shape (rows, k) holding w entries
    per sample: it reads each listed row of X once and touches no other row, whatever k is.
    Sparse products add in X's precision (float32 for float32 data), so the samples are taken
    about a thousand at a time and the partial sums are added up in float64. With many clusters
    the chunks grow to 4k samples, because every product writes a whole (k, d) result.
    """
    d = X.shape[1]
    m, w = clusters.shape
    sums = np.zeros((k, d))
    for part in _row_chunks(m, max(1024, 4 * k) // w):
        rows = samples[part]
        first, last = rows[0], rows[-1] + 1
        # Row r of the band X[first:last] holds w entries if r is listed, none otherwise.
        entries_per_row = np.zeros(last - first + 1, dtype=np.intp)
        entries_per_row[rows - first + 1] = w
        one_hot = scipy.sparse.csr_array(
            (np.tile(np.asarray(signs, dtype=X.dtype), len(rows)), clusters[part].ravel(),
             np.cumsum(entries_per_row)),
            shape=(last - first, k),
        )
        sums += one_hot.T @ X[first:last]
    return sums


def _means(sums, counts, previous):
    """Mean of each cluster; a cluster with no members keeps its previous centre."""
    centers = previous.copy()
    members = counts > 0
    centers[members] = sums[members] / counts[members, np.newaxis]
    return centers


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
    sums, counts = _cluster_sums(X, labels, k)
    return _means(sums, counts, centers).astype(X.dtype, copy=False)


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


def _assign_with_loss(X, C, X_sq_norms):
    """Nearest centre of every sample and the total loss J, in one pass over X.

    argmin_j ||x - c_j||^2 = argmin_j (||c_j||^2 - 2 x.c_j): ||x||^2 is the same for every
    centre, so it is added back only for the loss (and only for the winning centre).
    Returns labels (n,) and J as a float.
    """
    if X.shape[1] <= _FEW_FEATURES:
        return _assign_with_loss_few_features(X, C, X_sq_norms)
    n, k = X.shape[0], C.shape[0]
    labels = np.empty(n, dtype=np.intp)
    loss = 0.0
    minus_2C_T = -2 * C.T
    C_sq_norms = np.einsum("ij,ij->i", C, C)
    for rows in _row_chunks(n):
        scores = X[rows] @ minus_2C_T  # (chunk, k): one matrix product does the real work
        scores += C_sq_norms
        best = scores.argmin(axis=1)
        labels[rows] = best
        # scores[i, best[i]] for every i, picked from the flat array (the cheapest way to do it)
        nearest = scores.ravel()[best + np.arange(0, scores.size, k)]
        nearest += X_sq_norms[rows]
        loss += float(np.maximum(nearest, 0).sum(dtype=np.float64))
    return labels, loss


#: Scores kept at once on the few-features path: about 128k numbers (512 KB in float32) keeps
#: the temporaries in cache and below the size at which every allocation maps fresh pages.
_FEW_FEATURES_SCORES = 2**17


def _assign_with_loss_few_features(X, C, X_sq_norms):
    """Same result as :func:`_assign_with_loss`, organised for data with a handful of features.

    Scores are laid out as (k, chunk) so that the minimum over centres is a fast reduction over
    the first axis. The label is then the number of centres in front of the first one that
    reaches the minimum, counted with cheap one-byte comparisons (``argmin`` along a short axis
    costs far more per sample). Counting from the front sends ties to the lowest index.
    """
    n, d = X.shape
    k = C.shape[0]
    labels = np.empty(n, dtype=np.intp)
    loss = 0.0
    minus_2C = -2 * C
    C_sq_norms = np.einsum("ij,ij->i", C, C)[:, np.newaxis]
    count_type = np.min_scalar_type(k)
    for rows in _row_chunks(n, max(256, _FEW_FEATURES_SCORES // k)):
        X_T = X[rows].T  # (d, chunk); each feature is contiguous when X is column-major
        scores = C_sq_norms + minus_2C[:, :1] * X_T[0]
        for j in range(1, d):
            scores += minus_2C[:, j:j + 1] * X_T[j]
        nearest = np.minimum.reduce(scores, axis=0)
        not_reached = scores[0] != nearest
        in_front = not_reached.astype(count_type)
        for j in range(1, k - 1):
            not_reached &= scores[j] != nearest
            in_front += not_reached
        labels[rows] = in_front
        nearest += X_sq_norms[rows]
        loss += float(np.maximum(nearest, 0).sum(dtype=np.float64))
    return labels, loss


def _move_changed(X, old, new, sums, counts):
    """Update cluster sums for the samples whose label changed from ``old`` to ``new``.

    After the first few iterations only a few samples change cluster, so adjusting the sums
    costs far less than summing all of X again: each mover is subtracted from its old cluster
    and added to its new one.
    """
    changed = np.flatnonzero(old != new)
    k = counts.shape[0]
    if changed.size > X.shape[0] // 2:
        return _cluster_sums(X, new, k)  # cheaper than two entries for every mover
    old, new = old[changed], new[changed]
    counts = counts - np.bincount(old, minlength=k) + np.bincount(new, minlength=k)
    if X.shape[1] <= _FEW_FEATURES:
        movers = X[changed]
        leaving, _ = _cluster_sums(movers, old, k)
        arriving, _ = _cluster_sums(movers, new, k)
        return sums - leaving + arriving, counts
    moves = _add_rows_to_clusters(X, changed, np.column_stack([old, new]), (-1, 1), k)
    return sums + moves, counts


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


class _SummingSteps:
    """The assign and update steps :func:`kmeans` gives :func:`lloyd`, for X near the origin.

    assign finds the labels and J in one pass (:func:`_assign_with_loss`); update keeps the
    cluster sums of the labels it saw last and only moves the samples whose label changed
    (:func:`_move_changed`), which after the first iterations is a small fraction of X.
    """

    def __init__(self, X, X_sq_norms, k):
        self.X, self.X_sq_norms, self.k = X, X_sq_norms, k
        self.labels = self.sums = self.counts = None  # the labels the sums were taken with

    def assign(self, centers):
        return _assign_with_loss(self.X, centers, self.X_sq_norms)

    def update(self, labels, centers):
        if self.labels is None:
            self.sums, self.counts = _cluster_sums(self.X, labels, self.k)
        else:
            self.sums, self.counts = _move_changed(self.X, self.labels, labels, self.sums,
                                                   self.counts)
        self.labels = labels
        return _means(self.sums, self.counts, centers)


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

    X_shifted, offset, X_sq_norms = near_origin(X)
    if X.shape[1] <= _FEW_FEATURES:
        X_shifted = np.asfortranarray(X_shifted)  # the few-features path reads column by column
    steps = _SummingSteps(X_shifted, X_sq_norms, k)

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
