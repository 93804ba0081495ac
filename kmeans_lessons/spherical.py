"""Spherical k-means on embeddings: unit-length rows, and the members that speak for a cluster.

Taught in notebook 06 (Embeddings).
"""

import numpy as np

from ._validation import (
    as_samples,
    check_labels,
    check_samples_and_centers,
    check_whole_number,
)

__all__ = ["normalize_rows", "central_members"]


def normalize_rows(X):
    """Scale every row to length 1.

    Parameters
    ----------
    X : array of shape (n, d)

    Returns
    -------
    U : float array of shape (n, d)
        ``U[i] = X[i] / ||X[i]||``. A row of zeros has no direction and stays a row of zeros
        (instead of becoming NaN).

    Notes
    -----
    For unit vectors ||u - v||^2 = 2 - 2 u.v, so Euclidean k-means on normalised rows ranks
    neighbours exactly as cosine similarity does: that is spherical k-means. The norms are kept
    as a column (n, 1) so that dividing by them scales rows, not columns.

    Taught in notebook 06 (Embeddings).
    """
    X = as_samples(X)
    # Divide by each row's largest entry first: the squares of tiny (or huge) entries would
    # underflow (or overflow) before the square root could bring them back.
    largest = np.abs(X).max(axis=1, keepdims=True)
    X = np.divide(X, largest, out=np.zeros_like(X), where=largest > 0)
    norms = np.sqrt(np.einsum("ij,ij->i", X, X))[:, np.newaxis]
    return np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)


def central_members(X, centers, labels, m=3):
    """The m members of every cluster that lie nearest its centre, nearest first.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row.
    centers : array of shape (k, d)
        Cluster centres.
    labels : int array of shape (n,)
        Cluster of every sample, values in 0..k-1.
    m : int, default 3
        Members to report per cluster.

    Returns
    -------
    members : int array of shape (k, m)
        ``members[j]`` are row indices of ``X`` with ``labels == j``, in order of increasing
        distance to ``centers[j]`` (equal distances: lower row first). A cluster with fewer than
        m members is padded with -1, so an empty cluster is a row of -1.

    Notes
    -----
    Printing the sentences (or tokens) at these rows is a quick way to name a cluster.

    Taught in notebook 06 (Embeddings).
    """
    X, centers = check_samples_and_centers(X, centers)
    k = centers.shape[0]
    labels = check_labels(labels, X.shape[0], k)
    m = check_whole_number(m, "m", minimum=1)
    members = np.full((k, int(m)), -1, dtype=np.intp)
    for j in range(k):  # one pass per cluster: k is small, each pass is vectorised
        rows = np.flatnonzero(labels == j)
        # direct differences, not the expansion: equal distances must come out exactly equal
        # for the tie rule to hold
        diffs = X[rows] - centers[j]
        dists = np.einsum("ij,ij->i", diffs, diffs)
        if dists.size > m:
            # Only the m smallest matter: keep those at most the m-th smallest distance (all
            # of them, ties included) before sorting, which saves sorting the whole cluster.
            cutoff = np.partition(dists, m - 1)[m - 1]
            candidates = np.flatnonzero(dists <= cutoff)
        else:
            candidates = np.arange(dists.size)
        # a stable sort of candidates listed in row order: equal distances keep the lower row
        order = candidates[np.argsort(dists[candidates], kind="stable")[:m]]
        nearest = rows[order]
        members[j, :nearest.size] = nearest
    return members


# --- transfer exercise of notebook 06: how sure is each assignment? ----------------------------

__all__ += ["assignment_margin"]


def assignment_margin(X, centers):
    """For every sample, how much closer in direction its best centre is than the runner-up.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row (any lengths: only their directions count).
    centers : array of shape (k, d), k >= 2
        Cluster centres (any lengths: only their directions count).

    Returns
    -------
    margin : float array of shape (n,)
        ``margin[i]`` = largest cosine between ``X[i]`` and a centre minus the second largest,
        between 0 and 2. Near 0: the sample sits on the border between two clusters. A row of
        zeros has no direction; its cosines are all 0 and so is its margin.

    Notes
    -----
    The cosines are one matrix product of the normalised rows, (n, d) @ (d, k). Sorting each row
    (axis 1) puts the best and second-best centre in the last two columns.

    Taught in notebook 06 (Embeddings).
    """
    X, centers = check_samples_and_centers(X, centers)
    if centers.shape[0] < 2:
        raise ValueError(
            f"a margin needs at least two centres to compare, got {centers.shape[0]}."
        )
    cosines = normalize_rows(X) @ normalize_rows(centers).T  # (n, k)
    top_two = np.sort(cosines, axis=1)[:, -2:]               # (n, 2): second best, best
    return top_two[:, 1] - top_two[:, 0]
