"""Squared Euclidean distances between samples and centres, and what k-means builds on them.

Taught in notebook 02 (Distances).
"""

import numpy as np

from ._validation import check_samples_and_centers

__all__ = ["pairwise_sq_dists", "assign", "inertia", "CHUNK_ROWS"]

#: Rows of X processed at once. Extra memory is CHUNK_ROWS * k numbers whatever n is; about 4096
#: rows keeps a chunk of MNIST in the CPU cache (see benchmarks/bench_kmeans.py).
CHUNK_ROWS = 4096


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
    numbers small. Rows are processed in chunks so the temporary arrays stay O(chunk * k).

    Taught in notebook 02 (Distances).
    """
    X, C = check_samples_and_centers(X, C)
    shift = C.mean(axis=0)
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
        (``argmin`` returns the first minimum).

    Taught in notebook 02 (Distances).
    """
    return pairwise_sq_dists(X, C).argmin(axis=1)


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
