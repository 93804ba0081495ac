"""Three ways to choose the k initial centres.

Taught in notebook 03 (Old Faithful). Each function draws every random number from the
``numpy.random.Generator`` it is given, so a seed reproduces the same centres.
"""

import numpy as np

from ._validation import as_samples, check_k, check_rng
from ._numerics import near_origin

__all__ = ["init_random", "init_kmeans_pp", "init_farthest", "INITIALISERS"]


def _validate(X, k, rng, finite=True):
    X = as_samples(X, finite=finite)
    return X, check_k(k, X.shape[0]), check_rng(rng)


def _distances_to_samples(X):
    """A function ``row -> (n,)``: squared distances from every sample of X (n, d) to X[row].

    The next centre of k-means++ and farthest-first depends on the distances to the last one
    chosen, so k centres cost k passes over X. Checking X and moving it near the origin happen
    once here, leaving one matrix-vector product per centre.
    """
    X_near, _, X_sq_norms = near_origin(X)

    def distances_to(row):
        dists = X_near @ (-2 * X_near[row])
        dists += X_sq_norms
        dists += X_sq_norms[row]
        np.maximum(dists, 0, out=dists)  # rounding can dip just below zero
        dists[row] = 0  # exactly, so a chosen sample is never drawn again
        return dists.astype(np.float64, copy=False)

    return distances_to


def init_random(X, k, rng):
    """k distinct samples chosen uniformly at random as the initial centres.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row.
    k : int
        Number of centres, 1 <= k <= n.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    centers : array of shape (k, d)
        A copy of k different rows of ``X`` (different row indices; duplicated samples in X can
        still give equal centres).

    Taught in notebook 03 (Old Faithful).
    """
    X, k, rng = _validate(X, k, rng)
    rows = rng.choice(X.shape[0], size=k, replace=False)
    return X[rows].copy()


def init_kmeans_pp(X, k, rng):
    """k-means++ (D^2 sampling): each new centre is a sample drawn with probability
    proportional to its squared distance to the nearest centre chosen so far.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row.
    k : int
        Number of centres, 1 <= k <= n.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    centers : array of shape (k, d)
        Rows of ``X``. The first is uniform; later ones favour samples far from every centre so
        far, which spreads the start over the groups. If every sample already coincides with a
        centre (fewer than k distinct points), the rest are drawn uniformly among the samples not
        yet chosen.

    Taught in notebook 03 (Old Faithful).
    """
    X, k, rng = _validate(X, k, rng, finite=False)
    distances_to = _distances_to_samples(X)
    n = X.shape[0]
    chosen = [int(rng.integers(n))]
    closest = distances_to(chosen[0])
    for _ in range(1, k):
        total = closest.sum()
        if total > 0:
            row = int(rng.choice(n, p=closest / total))
        else:
            unused = np.setdiff1d(np.arange(n), chosen)
            row = int(rng.choice(unused))
        chosen.append(row)
        np.minimum(closest, distances_to(row), out=closest)
    return X[chosen].copy()


def init_farthest(X, k, rng):
    """Farthest-first traversal: a random first centre, then each next centre is the sample
    farthest from all centres chosen so far.

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row.
    k : int
        Number of centres, 1 <= k <= n.
    rng : numpy.random.Generator
        Chooses the first centre only; the rest follow deterministically.

    Returns
    -------
    centers : array of shape (k, d)
        Rows of ``X``. Ties for the farthest sample go to the lowest row index. Spreads the
        centres as far as possible, which also makes it chase outliers.

    Taught in notebook 03 (Old Faithful).
    """
    X, k, rng = _validate(X, k, rng, finite=False)
    distances_to = _distances_to_samples(X)
    chosen = [int(rng.integers(X.shape[0]))]
    closest = distances_to(chosen[0])
    for _ in range(1, k):
        row = int(closest.argmax())
        if closest[row] == 0:
            # Every sample sits on a centre already: take the first row not chosen yet so the
            # centres stay distinct rows, as for the other initialisations.
            row = int(np.setdiff1d(np.arange(X.shape[0]), chosen)[0])
        chosen.append(row)
        np.minimum(closest, distances_to(row), out=closest)
    return X[chosen].copy()


#: The initialisations by the names the KMeans estimator and the widgets accept.
INITIALISERS = {
    "k-means++": init_kmeans_pp,
    "random": init_random,
    "farthest": init_farthest,
}
