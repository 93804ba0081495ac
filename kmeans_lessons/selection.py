"""Choosing k: the elbow sweep over training and validation data.

Taught in notebook 04 (Elbow curves).
"""

import numpy as np

from ._validation import as_samples, check_k, check_whole_number
from .algorithm import kmeans
from .distances import inertia
from .initialisation import init_kmeans_pp

__all__ = ["elbow_sweep", "calinski_harabasz"]


def _check_ks(ks, n):
    """``ks`` as a list of whole numbers, each a valid number of clusters for n samples."""
    values = np.asarray(ks)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"ks must be a non-empty list of numbers of clusters, got {ks!r}.")
    return [check_k(k.item() if isinstance(k, np.generic) else k, n) for k in values.tolist()]


def elbow_sweep(X_train, X_val, ks, n_init=5, seed=0):
    """Mean loss per sample on training and validation data for every k in ``ks``.

    Parameters
    ----------
    X_train : array of shape (n_train, d)
        Data the centres are learned from.
    X_val : array of shape (n_val, d)
        Held-out data, only ever measured against centres learned on ``X_train``.
    ks : sequence of int
        Numbers of clusters to try, each in 1..n_train, in any order.
    n_init : int, default 5
        k-means runs per k, each from its own k-means++ start; the run with the lowest training
        loss is kept.
    seed : int, default 0
        Seeds the one ``numpy.random.Generator`` that draws every start, so a sweep can be
        repeated exactly.

    Returns
    -------
    train_loss : float array of shape (len(ks),)
        ``train_loss[i]`` = J(X_train) / n_train of the best run with ``ks[i]`` clusters.
    val_loss : float array of shape (len(ks),)
        ``val_loss[i]`` = J(X_val) / n_val with those same centres.

    Notes
    -----
    Dividing by the number of samples makes the two curves comparable although the two sets
    differ in size. The training loss keeps falling as k grows; the validation loss tells
    whether the extra centres describe the data or only the training sample.

    Taught in notebook 04 (Elbow curves).
    """
    X_train = as_samples(X_train, "X_train")
    X_val = as_samples(X_val, "X_val")
    if X_val.shape[1] != X_train.shape[1]:
        raise ValueError(
            f"X_val has {X_val.shape[1]} columns but X_train has {X_train.shape[1]}: both must "
            f"describe the samples with the same features."
        )
    ks = _check_ks(ks, X_train.shape[0])
    check_whole_number(n_init, "n_init", minimum=1)
    rng = np.random.default_rng(seed)
    train_loss = np.empty(len(ks))
    val_loss = np.empty(len(ks))
    for i, k in enumerate(ks):
        runs = [kmeans(X_train, init_kmeans_pp(X_train, k, rng), record_history=False)
                for _ in range(n_init)]
        best = min(runs, key=lambda run: run.losses[-1])
        train_loss[i] = best.losses[-1] / X_train.shape[0]
        val_loss[i] = inertia(X_val, best.centers) / X_val.shape[0]
    return train_loss, val_loss


# --- a criterion for k: Calinski-Harabasz (notebook 04, exercise 2) ---------------------------


def calinski_harabasz(X, labels):
    """The Calinski-Harabasz score of a clustering: spread between clusters against spread within.

    With W = J, the sum of squared distances of the samples to their cluster means, and
    B = sum over clusters of n_j * ||mean_j - mean of all||^2, the score is

        (B / (k - 1)) / (W / (n - k)).

    Both sums are divided by their degrees of freedom, so that more clusters are not rewarded
    just for being more; a higher score means tighter clusters that lie farther apart.

    Parameters
    ----------
    X : array of shape (n, d)
        The samples.
    labels : int array of shape (n,)
        Cluster of every sample (any integers); k, the number of distinct labels, must satisfy
        2 <= k <= n - 1.

    Returns
    -------
    score : float
        Agrees with ``sklearn.metrics.calinski_harabasz_score``; ``inf`` when every cluster is
        a single point repeated (W = 0).

    Taught in notebook 04 (Elbow curves).
    """
    X = as_samples(X)
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],):
        raise ValueError(f"labels has shape {labels.shape}, expected ({X.shape[0]},): one "
                         f"cluster label per row of X.")
    clusters, index = np.unique(labels, return_inverse=True)
    n, k = X.shape[0], clusters.size
    if not 2 <= k <= n - 1:
        raise ValueError(f"labels name {k} cluster(s) for {n} samples; the score needs "
                         f"2 <= k <= n - 1 (with one cluster there is no spread between).")
    index = index.ravel()
    counts = np.bincount(index, minlength=k)  # (k,)
    means = np.stack([np.bincount(index, weights=X[:, j], minlength=k) for j in
                      range(X.shape[1])], axis=1) / counts[:, np.newaxis]  # (k, d)
    within = float(((X - means[index]) ** 2).sum())
    between = float((counts * ((means - X.mean(axis=0)) ** 2).sum(axis=1)).sum())
    if within == 0:
        return float("inf")
    return (between / (k - 1)) / (within / (n - k))
