"""Preparing features and judging clusters against known labels.

standardize is taught in notebook 03 (Old Faithful); contingency_matrix and purity in 05 (MNIST).
"""

import numpy as np
import pandas as pd

from ._validation import as_samples

__all__ = ["standardize", "contingency_matrix", "purity"]


def standardize(X):
    """Shift every column to mean 0 and scale it to standard deviation 1.

    Parameters
    ----------
    X : array of shape (n, d)

    Returns
    -------
    Z : float array of shape (n, d)
        ``(X - mean) / std`` per column. A constant column has no spread to scale, so it becomes
        all zeros instead of NaN.

    Notes
    -----
    Minutes of eruption and minutes of waiting (Old Faithful) have very different spreads, and
    without this the wider one would decide every distance.

    Taught in notebook 03 (Old Faithful).
    """
    X = as_samples(X)
    std = X.std(axis=0)
    std[std == 0] = 1
    return (X - X.mean(axis=0)) / std


def _check_label_pair(y_true, y_pred):
    """Both label vectors 1-D, equally long and non-empty; returns them as arrays."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.ndim != 1:
            raise ValueError(f"{name} must be 1-D (one label per sample), got shape {y.shape}.")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError(f"{name} contains NaN or infinity; every sample needs a label.")
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"y_true has {y_true.shape[0]} labels but y_pred has {y_pred.shape[0]}: both must "
            f"label the same samples in the same order."
        )
    if y_true.shape[0] == 0:
        raise ValueError("y_true and y_pred are empty: there is nothing to compare.")
    return y_true, y_pred


def contingency_matrix(y_true, y_pred, as_frame=False):
    """Count how many samples of each true class fall in each cluster.

    Parameters
    ----------
    y_true : array of shape (n,)
        Known classes (any sortable labels, e.g. digits 0-9).
    y_pred : array of shape (n,)
        Cluster labels.
    as_frame : bool, default False
        Return a pandas DataFrame labelled with the class and cluster names.

    Returns
    -------
    table : int array of shape (n_classes, n_clusters), or DataFrame
        ``table[i, j]`` = number of samples of the i-th smallest class in the j-th smallest
        cluster. Rows sum to class sizes, columns to cluster sizes.

    Taught in notebook 05 (MNIST).
    """
    y_true, y_pred = _check_label_pair(y_true, y_pred)
    classes, class_index = np.unique(y_true, return_inverse=True)
    clusters, cluster_index = np.unique(y_pred, return_inverse=True)
    table = np.zeros((classes.size, clusters.size), dtype=np.int64)
    np.add.at(table, (class_index.ravel(), cluster_index.ravel()), 1)
    if not as_frame:
        return table
    return pd.DataFrame(
        table,
        index=pd.Index(classes, name="true label"),
        columns=pd.Index(clusters, name="cluster"),
    )


def purity(y_true, y_pred, per_cluster=False):
    """Share of samples whose cluster's most common true class is their own class.

    Parameters
    ----------
    y_true : array of shape (n,)
    y_pred : array of shape (n,)
    per_cluster : bool, default False
        Return the purity of each cluster instead of the overall value.

    Returns
    -------
    purity : float in (0, 1], or array of shape (n_clusters,)
        Overall: sum over clusters of the largest class count, divided by n. Per cluster (in the
        order of the sorted cluster labels): largest class count / cluster size. Purity reaches 1
        when every sample has its own cluster, so compare it only between equal k.

    Taught in notebook 05 (MNIST).
    """
    table = contingency_matrix(y_true, y_pred)
    majority = table.max(axis=0)
    if per_cluster:
        return majority / table.sum(axis=0)
    return float(majority.sum() / table.sum())
