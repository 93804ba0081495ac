"""The speed and accuracy machinery behind the reference functions, kept out of the students' way.

Why this module exists: students compare their own ``pairwise_sq_dists``, ``assign``,
``update_centers`` and ``kmeans`` with the reference in :mod:`kmeans_lessons.distances` and
:mod:`kmeans_lessons.algorithm`, so those stay short and read like the lesson. Yet the same
functions must also match scikit-learn's Lloyd iteration in speed on MNIST (60000 x 784,
``benchmarks/bench_kmeans.py``), never allocate an (k, n, d) array, and keep exact ties exact.
Everything that serves only those three goals lives here:

- row chunks, so temporaries stay O(chunk * k) whatever n is;
- the expansion ||x||^2 + ||c||^2 - 2 x.c as one matrix product per chunk, after moving the data
  near the origin by a power-of-two step (exact for integer-like data, so ties survive);
- the tie slack: rows whose two best centres are closer than the rounding error are re-decided
  from direct differences, so ties still go to the lower index as ``argmin`` promises;
- a few-features path (d <= FEW_FEATURES), where a matrix product would be mostly call overhead;
- cluster sums by products with a sparse one-hot matrix, added up in float64;
- the k-means iteration's steps: labels and J in one pass over X, and sums that move only the
  samples whose label changed.

Every function takes arrays that are already validated (see :mod:`kmeans_lessons._validation`).
Optional ``weights`` (n,) are per-sample weights (``KMeans.fit(..., sample_weight=...)``): sums
become weighted sums, counts the total weight of each cluster, J the weighted sum of squares.
"""

import numpy as np
import scipy.sparse

from ._validation import as_samples

#: Rows of X processed at once. Extra memory is CHUNK_ROWS * k numbers whatever n is. On MNIST,
#: 1024-2048 rows were about 5 % faster per k-means iteration than 4096 and 8192 at k = 10 and 64
#: (see benchmarks/bench_kmeans.py); much smaller chunks pay NumPy's per-call overhead instead.
CHUNK_ROWS = 2048

#: Up to this many features the work goes one feature at a time (scores built feature by feature,
#: sums by one weighted bincount per feature) instead of by matrix products: with d = 2 a matrix
#: product is nearly all call overhead.
FEW_FEATURES = 8

#: Scores kept at once on the few-features path: about 128k numbers (512 KB in float32) keeps
#: the temporaries in cache and below the size at which every allocation maps fresh pages.
FEW_FEATURES_SCORES = 2**17


def row_chunks(n, chunk_rows=None):
    """Slices that cover range(n) in blocks of at most ``chunk_rows`` (default CHUNK_ROWS) rows."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    for start in range(0, n, chunk_rows):
        yield slice(start, min(start + chunk_rows, n))


# --- distances ---------------------------------------------------------------------------------


def exact_shift(mean, spread):
    """A shift close to ``mean`` (d,) that moves data without rounding: a multiple of a power of
    two no larger than the data's standard deviation sqrt(spread).

    Subtracting it keeps integer (or other coarsely spaced) data exact, so points that are
    equally far from two centres stay exactly equally far and ties still go to the lower index;
    being within half a standard deviation of the mean, it removes the offset just as well.
    """
    mean = np.asarray(mean)
    std = float(np.sqrt(max(float(spread), 0.0)))
    if not std > 0:
        return np.zeros_like(mean)
    step = 2.0 ** np.floor(np.log2(std))
    return (np.round(mean / step) * step).astype(mean.dtype)


def _sq_dists_block(X_block, C, C_sq_norms):
    """Squared distances of a block of (already shifted) rows to every centre: (b, k).

    Uses ||x - c||^2 = ||x||^2 + ||c||^2 - 2 x.c, so the only large operation is one matrix
    product; rounding can make an exact zero come out slightly negative, hence the clip.
    """
    X_sq_norms = np.einsum("ij,ij->i", X_block, X_block)
    D = X_block @ C.T
    D *= -2
    D += X_sq_norms[:, np.newaxis]
    D += C_sq_norms[np.newaxis, :]
    return np.maximum(D, 0, out=D)


def sq_dists(X, C):
    """Squared distances (n, k) from X (n, d) to C (k, d), by the expansion, chunk by chunk.

    Both are shifted by the mean of the centres first (rounded by :func:`exact_shift`), which
    leaves every distance unchanged and keeps the numbers the expansion subtracts small.
    """
    centre = C.mean(axis=0)
    spread = float(np.mean(np.einsum("ij,ij->i", C - centre, C - centre)))
    shift = exact_shift(centre, spread if spread > 0 else 1.0)
    C_shifted = C - shift
    C_sq_norms = np.einsum("ij,ij->i", C_shifted, C_shifted)
    D = np.empty((X.shape[0], C.shape[0]), dtype=X.dtype)
    for rows in row_chunks(X.shape[0]):
        D[rows] = _sq_dists_block(X[rows] - shift, C_shifted, C_sq_norms)
    return D


def tie_slack(X_sq_norms, C_sq_norms, d, dtype):
    """How far apart two expanded distances of a row may be and still be a tie in disguise: (b,).

    The expansion adds and subtracts numbers of size ||x||^2 + ||c||^2, so its rounding error is
    a few units in the last place of that size (growing like sqrt(d) with the dot product).
    Two centres whose computed distances differ by less than this may really be equally far.
    """
    scale = X_sq_norms + float(np.max(C_sq_norms))
    return (4 * np.sqrt(d) * np.finfo(dtype).eps) * scale


def _nearest_by_differences(X_rows, C):
    """Nearest centre of each row of X_rows (m, d) from the differences x - c in float64: (m,).

    Exact ties stay exact this way, and ``argmin`` gives them to the lower index.
    """
    k, d = C.shape
    C64 = C.astype(np.float64, copy=False)
    labels = np.empty(len(X_rows), dtype=np.intp)
    # (m, k, d) differences, a bounded number at a time.
    for rows in row_chunks(len(X_rows), max(1, 2**16 // (k * d))):
        diffs = X_rows[rows, np.newaxis, :].astype(np.float64) - C64
        labels[rows] = np.einsum("mkd,mkd->mk", diffs, diffs).argmin(axis=1)
    return labels


def settle_close_calls(X, C, D, labels):
    """``labels`` (n,) = D.argmin(axis=1), with the rows that were too close to call re-decided.

    D (n, k) are the distances :func:`sq_dists` computed for X (n, d) and C (k, d). Its rounding
    can turn an exact tie into a win for either centre; only the rows whose two best centres are
    within :func:`tie_slack` of each other are recomputed, from the differences themselves.
    Modifies and returns ``labels``.
    """
    nearest = D[np.arange(len(D)), labels]
    X_sq_norms = np.einsum("ij,ij->i", X, X)
    # sq_dists shifts X and C by the centres' mean s; ||x - s||^2 <= 2||x||^2 + 2||s||^2 and
    # ||c - s||^2 <= 4 max||c||^2 bound the sizes it worked with, so the slack is enough.
    slack = tie_slack(2 * X_sq_norms, 6 * np.einsum("ij,ij->i", C, C), C.shape[1], D.dtype)
    close = np.count_nonzero(D <= (nearest + slack)[:, np.newaxis], axis=1) > 1
    if close.any():
        labels[close] = _nearest_by_differences(X[close], C)
    return labels


def _norms_and_mean(X):
    """Squared row norms (n,) and the mean row (d,) in one pass over X, chunk by chunk.

    Both read every number of X; reading each chunk once while it is in cache halves the
    memory traffic. Also checks that X is finite: a NaN or infinity makes its row's norm
    non-finite, so only then is X searched for the culprit (to name it in the error).
    """
    n, d = X.shape
    X_sq_norms = np.empty(n, dtype=X.dtype)
    total = np.zeros(d)
    for rows in row_chunks(n):
        block = X[rows]
        X_sq_norms[rows] = np.einsum("ij,ij->i", block, block)
        # Column sums as a product with a row of ones: far faster than .sum(axis=0) in float64,
        # and each chunk's sum is added up in float64.
        total += np.ones(len(block), dtype=X.dtype) @ block
    if not np.isfinite(X_sq_norms).all():
        as_samples(X, "X")  # raises, naming the first NaN or infinity
        raise ValueError(
            f"X has values up to {np.abs(X).max():.3g}, so large that their squares overflow "
            f"{X.dtype}; rescale X (e.g. standardize it) before clustering.")
    return X_sq_norms, (total / n).astype(X.dtype)


def near_origin(X):
    """X (n, d) moved near the origin if need be: returns (X - offset, offset (d,), row norms (n,)).

    X must already be a 2-D float array; whether it is finite is checked here, in the same pass
    that computes the norms (a NaN or infinity raises ValueError naming it).

    The expansion ||x||^2 + ||c||^2 - 2 x.c loses digits when the data sit far from the origin
    compared with their spread, so then the mean is subtracted (which costs a copy of X).
    Data already within a few standard deviations of the origin are used as they are.
    """
    offset = np.zeros(X.shape[1], dtype=X.dtype)
    X_sq_norms, mean = _norms_and_mean(X)
    mean_sq_norm = float(mean @ mean)
    spread = float(X_sq_norms.mean(dtype=np.float64)) - mean_sq_norm  # mean sq. distance to mean
    if mean_sq_norm > 16 * spread:
        offset = exact_shift(mean, spread)
        X = X - offset
        X_sq_norms = np.einsum("ij,ij->i", X, X)
    return X, offset, X_sq_norms


# --- cluster sums ------------------------------------------------------------------------------


def cluster_sums(X, labels, k, weights=None):
    """Per-cluster sums and sizes of X (n, d) with labels (n,): sums (k, d) float64, counts (k,).

    With ``weights`` (n,) the sums are of w_i x_i and the counts are the clusters' total weights.
    """
    n, d = X.shape
    counts = np.bincount(labels, weights=weights, minlength=k)
    if d <= FEW_FEATURES:
        # One weighted bincount per feature is a single fast pass each.
        sums = np.empty((k, d))
        for j in range(d):
            column = X[:, j] if weights is None else X[:, j] * weights
            sums[:, j] = np.bincount(labels, weights=column, minlength=k)
        return sums, counts
    return add_rows_to_clusters(X, np.arange(n), labels[:, np.newaxis], (1,), k, weights), counts


def add_rows_to_clusters(X, samples, clusters, signs, k, weights=None):
    """sums (k, d) float64 with ``signs[j] * X[samples[i]]`` added to row ``clusters[i, j]``.

    samples : (m,) increasing row numbers of X; clusters : (m, w) int; signs : w numbers (+1/-1);
    weights : optional (n,) per-sample weights that multiply each added row.

    The work is one product with a sparse one-hot matrix of shape (rows, k) holding w entries
    per sample: it reads each listed row of X once and touches no other row, whatever k is.
    Sparse products add in X's precision (float32 for float32 data), so the samples are taken
    about a thousand at a time and the partial sums are added up in float64. With many clusters
    the chunks grow to 4k samples, because every product writes a whole (k, d) result.
    """
    d = X.shape[1]
    m, w = clusters.shape
    signs = np.asarray(signs, dtype=X.dtype)
    sums = np.zeros((k, d))
    for part in row_chunks(m, max(1024, 4 * k) // w):
        rows = samples[part]
        first, last = rows[0], rows[-1] + 1
        # Row r of the band X[first:last] holds w entries if r is listed, none otherwise.
        entries_per_row = np.zeros(last - first + 1, dtype=np.intp)
        entries_per_row[rows - first + 1] = w
        if weights is None:
            values = np.tile(signs, len(rows))
        else:
            values = (weights[rows, np.newaxis] * signs).astype(X.dtype).ravel()
        one_hot = scipy.sparse.csr_array(
            (values, clusters[part].ravel(), np.cumsum(entries_per_row)),
            shape=(last - first, k),
        )
        sums += one_hot.T @ X[first:last]
    return sums


def means(sums, counts, previous):
    """Mean of each cluster from its sums (k, d) and counts (k,); a cluster with no members (or
    no weight) keeps its previous centre, a row of ``previous`` (k, d), whose dtype is kept."""
    centers = previous.copy()
    members = counts > 0
    centers[members] = sums[members] / counts[members, np.newaxis]
    return centers


def move_changed(X, old, new, sums, counts, weights=None):
    """Update cluster sums for the samples whose label changed from ``old`` to ``new``.

    After the first few iterations only a few samples change cluster, so adjusting the sums
    costs far less than summing all of X again: each mover is subtracted from its old cluster
    and added to its new one.
    """
    changed = np.flatnonzero(old != new)
    k = counts.shape[0]
    if changed.size > X.shape[0] // 2:
        return cluster_sums(X, new, k, weights)  # cheaper than two entries for every mover
    old, new = old[changed], new[changed]
    mover_weights = None if weights is None else weights[changed]
    counts = (counts - np.bincount(old, weights=mover_weights, minlength=k)
              + np.bincount(new, weights=mover_weights, minlength=k))
    if X.shape[1] <= FEW_FEATURES:
        movers = X[changed]
        leaving, _ = cluster_sums(movers, old, k, mover_weights)
        arriving, _ = cluster_sums(movers, new, k, mover_weights)
        return sums - leaving + arriving, counts
    moves = add_rows_to_clusters(X, changed, np.column_stack([old, new]), (-1, 1), k, weights)
    return sums + moves, counts


# --- the k-means iteration ---------------------------------------------------------------------


def assign_with_loss(X, C, X_sq_norms, weights=None):
    """Nearest centre of every sample and the total loss J, in one pass over X.

    argmin_j ||x - c_j||^2 = argmin_j (||c_j||^2 - 2 x.c_j): ||x||^2 is the same for every
    centre, so it is added back only for the loss (and only for the winning centre).
    Returns labels (n,) and J as a float (weighted by ``weights`` (n,) if given).
    """
    if X.shape[1] <= FEW_FEATURES:
        return _assign_with_loss_few_features(X, C, X_sq_norms, weights)
    n, k = X.shape[0], C.shape[0]
    labels = np.empty(n, dtype=np.intp)
    loss = 0.0
    minus_2C_T = -2 * C.T
    C_sq_norms = np.einsum("ij,ij->i", C, C)
    for rows in row_chunks(n):
        scores = X[rows] @ minus_2C_T  # (chunk, k): one matrix product does the real work
        scores += C_sq_norms
        best = scores.argmin(axis=1)
        labels[rows] = best
        # scores[i, best[i]] for every i, picked from the flat array (the cheapest way to do it)
        nearest = scores.ravel()[best + np.arange(0, scores.size, k)]
        nearest += X_sq_norms[rows]
        loss += _chunk_loss(nearest, weights, rows)
    return labels, loss


def _chunk_loss(nearest, weights, rows):
    """J of one chunk from its squared distances to the nearest centre (clipped at zero)."""
    nearest = np.maximum(nearest, 0)
    if weights is None:
        return float(nearest.sum(dtype=np.float64))
    return float(nearest.astype(np.float64) @ weights[rows])


def _assign_with_loss_few_features(X, C, X_sq_norms, weights=None):
    """Same result as :func:`assign_with_loss`, organised for data with a handful of features.

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
    for rows in row_chunks(n, max(256, FEW_FEATURES_SCORES // k)):
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
        loss += _chunk_loss(nearest, weights, rows)
    return labels, loss


class SummingSteps:
    """The assign and update steps :func:`kmeans_lessons.algorithm.kmeans` gives the loop.

    X (n, d) must come from :func:`near_origin` (with its row norms X_sq_norms (n,)). assign
    finds the labels and J in one pass (:func:`assign_with_loss`); update keeps the cluster sums
    of the labels it saw last and only moves the samples whose label changed
    (:func:`move_changed`), which after the first iterations is a small fraction of X.
    """

    def __init__(self, X, X_sq_norms, k, weights=None):
        if X.shape[1] <= FEW_FEATURES:
            X = np.asfortranarray(X)  # the few-features path reads column by column
        self.X, self.X_sq_norms, self.k, self.weights = X, X_sq_norms, k, weights
        self.labels = self.sums = self.counts = None  # the labels the sums were taken with

    def assign(self, centers):
        """labels (n,) and J for centres (k, d)."""
        return assign_with_loss(self.X, centers, self.X_sq_norms, self.weights)

    def update(self, labels, centers):
        """The (weighted) means (k, d) of the clusters given by labels (n,)."""
        if self.labels is None:
            self.sums, self.counts = cluster_sums(self.X, labels, self.k, self.weights)
        else:
            self.sums, self.counts = move_changed(self.X, self.labels, labels, self.sums,
                                                  self.counts, self.weights)
        self.labels = labels
        return means(self.sums, self.counts, centers)
