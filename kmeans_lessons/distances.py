"""Squared Euclidean distances between samples and centres, and what k-means builds on them.

Taught in notebook 02 (Distances).
"""

import numpy as np

from ._validation import as_samples, check_samples_and_centers

__all__ = ["pairwise_sq_dists", "assign", "inertia", "exact_shift", "near_origin", "CHUNK_ROWS"]

#: Rows of X processed at once. Extra memory is CHUNK_ROWS * k numbers whatever n is. On MNIST,
#: 1024-2048 rows were about 5 % faster per k-means iteration than 4096 and 8192 at k = 10 and 64
#: (see benchmarks/bench_kmeans.py); much smaller chunks pay NumPy's per-call overhead instead.
CHUNK_ROWS = 2048


def _row_chunks(n, chunk_rows=None):
    """Slices that cover range(n) in blocks of at most ``chunk_rows`` (default CHUNK_ROWS) rows."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    for start in range(0, n, chunk_rows):
        yield slice(start, min(start + chunk_rows, n))


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


def tie_slack(X_sq_norms, C_sq_norms, d, dtype):
    """How far apart two expanded distances of a row may be and still be a tie in disguise: (b,).

    The expansion adds and subtracts numbers of size ||x||^2 + ||c||^2, so its rounding error is
    a few units in the last place of that size (growing like sqrt(d) with the dot product).
    Two centres whose computed distances differ by less than this may really be equally far.
    """
    scale = X_sq_norms + float(np.max(C_sq_norms))
    return (4 * np.sqrt(d) * np.finfo(dtype).eps) * scale


def settle_close_calls(X_rows, C, labels):
    """Re-decide the nearest centre of rows whose two best centres were too close to call.

    The expansion's rounding can turn an exact tie into a win for either centre. For the few
    rows where that can have happened, the distances are computed directly from the differences
    x - c (in float64), which keeps exact ties exact, and ``argmin`` then gives the tie to the
    lower index as promised. X_rows: (m, d), C: (k, d), labels: (m,) updated in place.
    """
    k, d = C.shape
    C64 = C.astype(np.float64, copy=False)
    # (m, k, d) differences, a bounded number at a time.
    for rows in _row_chunks(len(X_rows), max(1, 2**16 // (k * d))):
        diffs = X_rows[rows, np.newaxis, :].astype(np.float64) - C64
        labels[rows] = np.einsum("mkd,mkd->mk", diffs, diffs).argmin(axis=1)
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
    for rows in _row_chunks(n):
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


def pairwise_sq_dists(X, C):
    """Squared Euclidean distance from every sample to every centre.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row.
    C : array of shape (k, d)
        Centres, one per row.

    Returns
    -------
    D : array of shape (n, k)
        ``D[i, j] = ||X[i] - C[j]||^2``, never negative. float32 when both inputs are float32,
        float64 otherwise.

    Notes
    -----
    The expansion ||x||^2 + ||c||^2 - 2 x.c turns the work into one matrix product, but it
    subtracts large numbers from each other when the data sit far from the origin. Shifting both
    X and C by the mean of the centres first leaves every distance unchanged and keeps the
    numbers small (the shift is rounded to a power-of-two step so that subtracting it is exact
    for coarsely spaced data such as integers). Rows are processed in chunks so the temporary
    arrays stay O(chunk * k).

    Taught in notebook 02 (Distances).
    """
    X, C = check_samples_and_centers(X, C)
    centre = C.mean(axis=0)
    spread = float(np.mean(np.einsum("ij,ij->i", C - centre, C - centre)))
    shift = exact_shift(centre, spread if spread > 0 else 1.0)
    C_shifted = C - shift
    C_sq_norms = np.einsum("ij,ij->i", C_shifted, C_shifted)
    D = np.empty((X.shape[0], C.shape[0]), dtype=X.dtype)
    for rows in _row_chunks(X.shape[0]):
        D[rows] = _sq_dists_block(X[rows] - shift, C_shifted, C_sq_norms)
    return D


def assign(X, C):
    """Index of the nearest centre for every sample.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row.
    C : array of shape (k, d)
        Centres, one per row.

    Returns
    -------
    labels : int array of shape (n,)
        ``labels[i]`` is the row of ``C`` closest to ``X[i]``; ties go to the lower index
        (``argmin`` returns the first minimum). Rows whose two best centres are within rounding
        error of each other are decided by direct differences, so exact ties stay ties.

    Taught in notebook 02 (Distances).
    """
    X, C = check_samples_and_centers(X, C)
    D = pairwise_sq_dists(X, C)
    labels = D.argmin(axis=1)
    nearest = D[np.arange(len(D)), labels]
    X_sq_norms = np.einsum("ij,ij->i", X, X)
    # pairwise_sq_dists shifts X and C by the centres' mean s; ||x - s||^2 <= 2||x||^2 + 2||s||^2
    # and ||c - s||^2 <= 4 max||c||^2 bound the sizes it worked with, so the slack is enough.
    slack = tie_slack(2 * X_sq_norms, 6 * np.einsum("ij,ij->i", C, C), C.shape[1], D.dtype)
    close = np.count_nonzero(D <= (nearest + slack)[:, np.newaxis], axis=1) > 1
    if close.any():
        labels[close] = settle_close_calls(X[close], C, labels[close])
    return labels


def inertia(X, C):
    """The k-means objective J: the sum over samples of the squared distance to the nearest centre.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row.
    C : array of shape (k, d)
        Centres, one per row.

    Returns
    -------
    J : float
        ``sum_i min_j ||X[i] - C[j]||^2``. Divide by n for the mean per sample, which compares
        across data sets of different sizes.

    Taught in notebook 03 (Old Faithful).
    """
    return float(pairwise_sq_dists(X, C).min(axis=1).sum(dtype=np.float64))


# --- transfer exercise of notebook 02: the expansion under a weighted metric -------------------

__all__ += ["weighted_sq_dists"]


def weighted_sq_dists(X, C, w):
    """Weighted squared distances from every sample to every centre.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row.
    C : array of shape (k, d)
        Centres, one per row.
    w : array of shape (d,)
        One weight >= 0 per feature.

    Returns
    -------
    D : float array of shape (n, k)
        ``D[i, j] = sum_f w[f] * (X[i, f] - C[j, f]) ** 2``, never negative.

    Notes
    -----
    Multiplying out each term gives ||x||_w^2 + ||c||_w^2 - 2 (x * w) . c, so the table is one
    matrix product plus a column and a row, with memory n * k, as for the plain distances. With
    ``w = 1 / X.var(axis=0)`` this is the squared distance between the standardised samples,
    without making a standardised copy of X.

    Taught in notebook 02 (Distances).
    """
    X, C = check_samples_and_centers(X, C)
    w = np.asarray(w)
    if w.dtype == object or not np.issubdtype(w.dtype, np.number) or w.shape != (X.shape[1],):
        raise ValueError(
            f"w must hold one number per feature, shape ({X.shape[1]},), got shape {w.shape} "
            f"and dtype {w.dtype}."
        )
    w = w.astype(X.dtype)
    if not np.isfinite(w).all() or w.min() < 0:
        raise ValueError("w must hold finite weights >= 0: a negative weight is not a distance.")
    # Shift both by the mean of the centres: the distances stay the same, the rounding shrinks.
    shift = C.mean(axis=0)
    X, C = X - shift, C - shift
    x_part = (X ** 2) @ w                   # (n,): ||x||_w^2
    c_part = (C ** 2) @ w                   # (k,): ||c||_w^2
    D = x_part[:, np.newaxis] + c_part - 2 * (X * w) @ C.T  # (n, 1) + (k,) - (n, k)
    return np.maximum(D, 0)                 # rounding can dip just below zero
