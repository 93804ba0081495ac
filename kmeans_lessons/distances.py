"""Squared Euclidean distances between samples and centres, and what k-means builds on them.

The functions here are the reference students compare themselves with, so they stay short; the
chunking, shifting and tie handling that make them fast and exact live in
:mod:`kmeans_lessons._numerics`.

Taught in notebook 02 (Distances).
"""

import numpy as np

from ._numerics import CHUNK_ROWS, settle_close_calls, sq_dists
from ._validation import check_samples_and_centers

# CHUNK_ROWS is named here too because notebook 05 shows it: pairwise_sq_dists works through X
# that many rows at a time.
__all__ = ["pairwise_sq_dists", "assign", "inertia", "CHUNK_ROWS"]


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
    The expansion ||x - c||^2 = ||x||^2 + ||c||^2 - 2 x.c turns the work into one matrix
    product instead of an (k, n, d) array of differences. It subtracts large numbers from each
    other when the data sit far from the origin, so X and C are first shifted by the mean of the
    centres (which leaves every distance unchanged; the shift is rounded to a power-of-two step
    so that subtracting it is exact for coarsely spaced data such as integers). Rows are
    processed in chunks so the temporary arrays stay O(chunk * k).

    Taught in notebook 02 (Distances).
    """
    X, C = check_samples_and_centers(X, C)
    return sq_dists(X, C)


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
    # The expansion's rounding can break an exact tie either way: re-decide those rows exactly.
    return settle_close_calls(X, C, D, labels)


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
