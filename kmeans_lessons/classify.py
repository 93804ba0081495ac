"""k-means as the first step of a classifier: name every cluster by its most common label.

Taught in notebook 05 (MNIST).
"""

import numpy as np

from ._validation import as_samples, check_labels, check_whole_number
from .algorithm import KMeans  # for accuracy_by_k (notebook 05, exercise 4)

__all__ = ["majority_labels", "accuracy_by_k"]


def majority_labels(cluster_labels, y_true, k):
    """The most common true label in every cluster.

    Parameters
    ----------
    cluster_labels : int array of shape (n,)
        Cluster of every sample, values in 0..k-1.
    y_true : int array of shape (n,)
        Known label of every sample (e.g. the digit).
    k : int
        Number of clusters; clusters without members still get a label.

    Returns
    -------
    majority : array of shape (k,), same dtype as ``y_true``
        ``majority[j]`` is the label seen most often among the members of cluster j; a tie goes
        to the smallest label. An empty cluster gets the most common label of all samples, the
        best guess when nothing is known.

    Notes
    -----
    ``majority[cluster_labels]`` then predicts a label for every sample, and
    ``majority[assign(X_test, centers)]`` for unseen ones.

    Taught in notebook 05 (MNIST).
    """
    y_true = np.asarray(y_true)
    if y_true.ndim != 1 or y_true.size == 0:
        raise ValueError(f"y_true must be a non-empty 1-D array of labels, got shape "
                         f"{y_true.shape}.")
    k = check_whole_number(k, "k", minimum=1)
    labels = check_labels(cluster_labels, y_true.shape[0], k, name="cluster_labels")
    classes, class_index = np.unique(y_true, return_inverse=True)
    class_index = class_index.ravel()
    # counts[j, c]: members of cluster j with the c-th smallest label
    counts = np.zeros((int(k), classes.size), dtype=np.int64)
    np.add.at(counts, (labels, class_index), 1)
    # argmax returns the first maximum, and classes are sorted, so ties go to the smallest label
    majority = classes[counts.argmax(axis=1)]
    empty = counts.sum(axis=1) == 0
    majority[empty] = classes[np.bincount(class_index).argmax()]
    return majority


# --- accuracy against k on held-out data (notebook 05, exercise 4) ----------------------------


def accuracy_by_k(X_fit, y_fit, X_held, y_held, ks, seed=0):
    """Accuracy of the majority-label classifier on its own data and on held-out data, per k.

    For every k: ``KMeans(k, init="random", n_init=1, random_state=seed)`` is fitted on
    ``X_fit``, every cluster is named by the majority of ``y_fit`` among its members
    (:func:`majority_labels`), and every sample is predicted as the name of its nearest centre.

    Parameters
    ----------
    X_fit : array of shape (n_fit, d)
    y_fit : array of shape (n_fit,)
        Samples and labels the clusters are learned and named from.
    X_held : array of shape (n_held, d)
    y_held : array of shape (n_held,)
        Samples and labels used only to measure.
    ks : sequence of int
        Numbers of clusters, each in 1..n_fit.
    seed : int, default 0
        ``random_state`` of every fit (the same seed for every k).

    Returns
    -------
    fit_accuracy : float array of shape (len(ks),)
        Share of the ``X_fit`` samples predicted right (the purity of the clustering).
    held_accuracy : float array of shape (len(ks),)
        Share of the ``X_held`` samples predicted right.

    Taught in notebook 05 (MNIST).
    """
    X_fit, X_held = as_samples(X_fit, "X_fit"), as_samples(X_held, "X_held")
    y_fit, y_held = np.asarray(y_fit), np.asarray(y_held)
    if y_fit.shape != (len(X_fit),) or y_held.shape != (len(X_held),):
        raise ValueError(f"y_fit has shape {y_fit.shape} and y_held {y_held.shape}; expected "
                         f"({len(X_fit)},) and ({len(X_held)},): one label per sample.")
    ks = list(np.asarray(ks).ravel())
    fit_accuracy, held_accuracy = np.empty(len(ks)), np.empty(len(ks))
    for i, k in enumerate(ks):
        model = KMeans(int(k), init="random", n_init=1, random_state=seed).fit(X_fit)
        names = majority_labels(model.labels_, y_fit, int(k))  # (k,) a label per cluster
        fit_accuracy[i] = np.mean(names[model.labels_] == y_fit)
        held_accuracy[i] = np.mean(names[model.predict(X_held)] == y_held)
    return fit_accuracy, held_accuracy
