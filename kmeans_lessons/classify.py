"""k-means as the first step of a classifier: name every cluster by its most common label.

Taught in notebook 05 (MNIST).
"""

import numpy as np

from ._validation import check_labels, check_whole_number

__all__ = ["majority_labels"]


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
