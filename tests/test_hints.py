"""Every catalogued mistake, written as a small wrong solution, fails and gets its named hint.

Each mutant below is a correct solution with one usual mistake put in. ``MUTANTS`` maps
(exercise, hint key) to mutants; the check of every mutant must fail and list that key in
``result.hints``, and the catalogue may hold no mistake without a mutant here.
"""

from collections import Counter

import numpy as np
import pytest

from kmeans_lessons.grading import EXERCISES, check
from kmeans_lessons.grading.exercises import CATALOGUE
from kmeans_lessons.grading.hints import COMMON, hint_text, mistakes_for


def _dists(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)


# --- 01 Broadcasting -------------------------------------------------------------------------


def table_swapped(a, b):
    return np.asarray(b)[:, None] - np.asarray(a)


def table_sign(a, b):
    return np.asarray(b)[None, :] - np.asarray(a)[:, None]


def table_elementwise(a, b):
    return np.asarray(a) - np.asarray(b)


def table_list(a, b):
    return [[x - y for y in b] for x in a]


def table_no_return(a, b):
    table = np.asarray(a)[:, None] - np.asarray(b)  # noqa: F841 -- the missing return is the bug


def table_loop_over_samples(a, b):
    a, b = np.asarray(a), np.asarray(b)
    table = np.empty((len(a), len(b)))
    for i in range(len(a)):
        table[i] = a[i] - b
    return table


def table_changes_a(a, b):
    table = a[:, None] - b
    a[:] = 0
    return table


def outer_forgot_keepdims(A):
    s = np.asarray(A).sum(axis=1)
    return s @ s.T


def outer_product_order(A):
    s = np.asarray(A).sum(axis=1, keepdims=True)
    return s.T @ s


def outer_double_loop(A):
    A = np.asarray(A, dtype=float)
    n = A.shape[0]
    s = A.sum(axis=1)
    P = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            P[i, j] = s[i] * s[j]
    return P


def pick_table(X, idx):
    return np.asarray(X)[:, idx]


def pick_index_not_column(X, idx):
    return np.take_along_axis(X, idx, axis=1)


def pick_not_flattened(X, idx):
    return np.take_along_axis(X, idx[:, None], axis=1)


def pick_flat(X, idx):
    return np.take(X, idx)


def pick_wrong_axis(X, idx):
    return np.take_along_axis(X, idx[None, :], axis=0)[0]


def pick_loop(X, idx):
    return np.array([X[i, idx[i]] for i in range(len(X))])


# --- 02 Distances ----------------------------------------------------------------------------


def dists_swapped(X, C):
    return _dists(C, X)


def dists_sqrt(X, C):
    return np.sqrt(_dists(X, C))


def dists_not_squared(X, C):
    return np.abs(np.asarray(X)[:, None, :] - np.asarray(C)[None, :, :]).sum(axis=2)


def dists_sign(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    return (X ** 2).sum(axis=1)[:, None] + (C ** 2).sum(axis=1)[None, :] + 2 * X @ C.T


def dists_wrong_axis(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=1)


def dists_mean(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    return ((X[:, None, :] - C[None, :, :]) ** 2).mean(axis=2)


def dists_no_clip(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    return (X ** 2).sum(axis=1)[:, None] + (C ** 2).sum(axis=1)[None, :] - 2 * X @ C.T


def dists_no_new_axis(X, C):
    return ((np.asarray(X) - np.asarray(C)) ** 2).sum(axis=1)


def dists_list(X, C):
    return [[float(((x - c) ** 2).sum()) for c in C] for x in X]


def dists_loop_over_samples(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    D = np.empty((X.shape[0], C.shape[0]))
    for i in range(X.shape[0]):
        D[i] = ((X[i] - C) ** 2).sum(axis=1)
    return D


def dists_zero_over_zero(X, C):
    diff = np.asarray(X, dtype=float)[:, None, :] - np.asarray(C, dtype=float)[None]
    D = (diff ** 2).sum(axis=2)
    return D * (D / D)  # "normalising" by itself: NaN wherever a distance is 0


def assign_argmax(X, C):
    return _dists(X, C).argmax(axis=1)


def assign_wrong_axis(X, C):
    return _dists(X, C).argmin(axis=0)


def assign_min_values(X, C):
    return _dists(X, C).min(axis=1)


def assign_ties_to_last(X, C):
    D = _dists(X, C)
    best, labels = np.full(D.shape[0], np.inf), np.zeros(D.shape[0], dtype=int)
    for j in range(D.shape[1]):
        closer = D[:, j] <= best
        labels[closer], best[closer] = j, D[closer, j]
    return labels


def assign_list(X, C):
    return [int(row.argmin()) for row in _dists(X, C)]


def assign_loop_over_samples(X, C):
    C = np.asarray(C, dtype=float)
    return np.array([((C - x) ** 2).sum(axis=1).argmin() for x in np.asarray(X, dtype=float)])


# --- 03 Old Faithful -------------------------------------------------------------------------


def init_random_global(X, k, rng):
    return np.asarray(X)[np.random.choice(len(X), k, replace=False)]


def init_random_own_seed(X, k, rng):
    rng = np.random.default_rng(0)
    return np.asarray(X)[rng.choice(len(X), k, replace=False)]


def init_random_first_rows(X, k, rng):
    return np.asarray(X)[:k].copy()


def init_random_indices(X, k, rng):
    return rng.choice(len(X), k, replace=False)


def init_random_new_points(X, k, rng):
    X = np.asarray(X, dtype=float)
    return rng.uniform(X.min(axis=0), X.max(axis=0), size=(k, X.shape[1]))


def init_random_with_replacement(X, k, rng):
    return np.asarray(X)[rng.integers(len(X), size=k)]


def init_random_never_last(X, k, rng):
    rows = rng.permutation(len(X) - 1)[:k]
    if len(rows) < k:
        rows = np.append(rows, len(X) - 1)
    return np.asarray(X)[rows]


def init_random_list(X, k, rng):
    return [row for row in np.asarray(X)[rng.choice(len(X), k, replace=False)]]


def init_random_shuffles_x(X, k, rng):
    rng.shuffle(X)
    return X[:k].copy()


def update_nan(X, labels, centers):
    return np.array([X[labels == j].mean(axis=0) for j in range(len(centers))])


def update_zeros(X, labels, centers):
    new = np.zeros(np.shape(centers))
    for j in range(len(centers)):
        if np.any(labels == j):
            new[j] = X[labels == j].mean(axis=0)
    return new


def update_dropped(X, labels, centers):
    return np.array([X[labels == j].mean(axis=0) for j in np.unique(labels)])


def update_median(X, labels, centers):
    new = np.array(centers, dtype=float)
    for j in range(len(centers)):
        if np.any(labels == j):
            new[j] = np.median(X[labels == j], axis=0)
    return new


def update_sums(X, labels, centers):
    new = np.array(centers, dtype=float)
    for j in range(len(centers)):
        if np.any(labels == j):
            new[j] = X[labels == j].sum(axis=0)
    return new


def update_never(X, labels, centers):
    return np.array(centers, dtype=float)


def update_wrong_axis(X, labels, centers):
    new = np.array(centers, dtype=float)
    for j in range(len(centers)):
        if np.any(labels == j):
            new[j] = X[labels == j].mean()
    return new


def update_integer(X, labels, centers):
    new = np.zeros_like(centers)
    for j in range(len(centers)):
        new[j] = X[labels == j].mean(axis=0) if np.any(labels == j) else centers[j]
    return new


def update_in_place(X, labels, centers):
    for j in range(len(centers)):
        if np.any(labels == j):
            centers[j] = X[labels == j].mean(axis=0)
    return centers


def update_loop_over_samples(X, labels, centers):
    X = np.asarray(X, dtype=float)
    sums, counts = np.zeros(np.shape(centers)), np.zeros(len(centers))
    for i in range(X.shape[0]):
        sums[labels[i]] += X[i]
        counts[labels[i]] += 1
    new = np.array(centers, dtype=float)
    new[counts > 0] = sums[counts > 0] / counts[counts > 0, None]
    return new


def inertia_sqrt(X, C):
    return np.sqrt(_dists(X, C).min(axis=1)).sum()


def inertia_mean(X, C):
    return _dists(X, C).min(axis=1).mean()


def inertia_all_centres(X, C):
    return _dists(X, C).sum()


def inertia_max(X, C):
    return _dists(X, C).max(axis=1).sum()


def inertia_wrong_axis(X, C):
    return _dists(X, C).min(axis=0).sum()


def inertia_not_summed(X, C):
    return _dists(X, C).min(axis=1)


def inertia_loop_over_samples(X, C):
    C = np.asarray(C, dtype=float)
    return sum(((C - x) ** 2).sum(axis=1).min() for x in np.asarray(X, dtype=float))


def _kmeans(X, init_centers, max_iter=100, tol=1e-4, *, empty="keep", rule="relative",
            stale=False, skip_first_loss=False, mean_loss=False, one_step=False,
            no_update=False, extra_iteration=False, integer=False, in_place=False,
            loop_assign=False, return_two=False):
    """A plain k-means with switches that each put one usual mistake in."""
    X = np.asarray(X) if integer else np.asarray(X, dtype=float)
    centers = init_centers if in_place else (
        np.zeros_like(init_centers) + init_centers if integer
        else np.array(init_centers, dtype=float))

    def assign(C):
        if loop_assign:
            return np.array([((C - x) ** 2).sum(axis=1).argmin() for x in X])
        return _dists(X, C).argmin(axis=1)

    def loss(C):
        value = _dists(X, C).min(axis=1).sum()
        return value / len(X) if mean_loss else value

    labels = assign(centers)
    losses = [] if skip_first_loss else [loss(centers)]
    previous = loss(centers)
    for _ in range(max_iter + (1 if extra_iteration else 0)):
        new = centers if in_place else (np.zeros_like(centers) if integer
                                        else np.array(centers, dtype=float))
        for j in range(len(new)):
            members = X[labels == j]
            if len(members):
                new[j] = members.mean(axis=0)
            elif empty == "nan":
                new[j] = np.nan
            elif empty == "zeros":
                new[j] = 0
            else:
                new[j] = centers[j]
        if not no_update:
            centers = new
        old_labels = labels
        labels = assign(centers)
        current = loss(centers)
        losses.append(current)
        if one_step:
            break
        if rule == "absolute":
            stop = previous - current <= tol
        elif rule == "strict":
            stop = current == 0 or (previous - current) / current < tol
        else:
            stop = current == 0 or (previous - current) / current <= tol
        previous = current
        if stop:
            break
    if stale:
        labels = old_labels if max_iter > 0 else labels
    if return_two:
        return centers, labels
    return centers, labels, losses


def kmeans_variant(**mistake):
    def kmeans(X, init_centers, max_iter=100, tol=1e-4):
        return _kmeans(X, init_centers, max_iter, tol, **mistake)
    return kmeans


def pp_sampler(weights_of):
    """k-means++ with the weights of the next pick computed by ``weights_of(sq_dists)``,
    where sq_dists is (n, number chosen) squared distances to the centres chosen so far."""
    def init_kmeans_pp(X, k, rng):
        X = np.asarray(X, dtype=float)
        chosen = [int(rng.integers(len(X)))]
        for _ in range(1, k):
            weights = weights_of(_dists(X, X[chosen]))
            chosen.append(int(rng.choice(len(X), p=weights / weights.sum())))
        return X[chosen]
    return init_kmeans_pp


def pp_farthest(X, k, rng):
    X = np.asarray(X, dtype=float)
    chosen = [int(rng.integers(len(X)))]
    for _ in range(1, k):
        chosen.append(int(_dists(X, X[chosen]).min(axis=1).argmax()))
    return X[chosen]


def pp_first_fixed(X, k, rng):
    X = np.asarray(X, dtype=float)
    chosen = [0]
    for _ in range(1, k):
        weights = _dists(X, X[chosen]).min(axis=1)
        chosen.append(int(rng.choice(len(X), p=weights / weights.sum())))
    return X[chosen]


def pp_global(X, k, rng):
    return pp_sampler(lambda d: d.min(axis=1))(X, k, np.random.default_rng())


def pp_first_rows(X, k, rng):
    return np.asarray(X, dtype=float)[:k]


def pp_indices(X, k, rng):
    X = np.asarray(X, dtype=float)
    chosen = [int(rng.integers(len(X)))]
    for _ in range(1, k):
        weights = _dists(X, X[chosen]).min(axis=1)
        chosen.append(int(rng.choice(len(X), p=weights / weights.sum())))
    return np.array(chosen)


def pp_averaged_centres(X, k, rng):
    centres = pp_sampler(lambda d: d.min(axis=1))(X, k, rng)
    return centres + 0.01  # "nudged" centres are no longer samples


# --- 04 Elbow curves -------------------------------------------------------------------------


def _sweep(X_train, X_val, ks, n_init, seed, *, rng=None, refit_val=False):
    from kmeans_lessons import inertia, init_kmeans_pp, kmeans

    rng = np.random.default_rng(seed) if rng is None else rng
    train, val = [], []
    for k in ks:
        runs = [kmeans(X_train, init_kmeans_pp(X_train, k, rng)) for _ in range(n_init)]
        centers, labels, losses = min(runs, key=lambda run: run.losses[-1])
        train.append(losses[-1])
        if refit_val:
            val_runs = [kmeans(X_val, init_kmeans_pp(X_val, k, rng)) for _ in range(n_init)]
            val.append(min(run.losses[-1] for run in val_runs))
        else:
            val.append(inertia(X_val, centers))
    return np.array(train), np.array(val)


def elbow_only_train(X_train, X_val, ks, n_init=5, seed=0):
    train, val = _sweep(X_train, X_val, ks, n_init, seed)
    return train / len(X_train)


def elbow_lists(X_train, X_val, ks, n_init=5, seed=0):
    train, val = _sweep(X_train, X_val, ks, n_init, seed)
    return list(train / len(X_train)), list(val / len(X_val))


def elbow_totals(X_train, X_val, ks, n_init=5, seed=0):
    return _sweep(X_train, X_val, ks, n_init, seed)


def elbow_refit(X_train, X_val, ks, n_init=5, seed=0):
    train, val = _sweep(X_train, X_val, ks, n_init, seed, refit_val=True)
    return train / len(X_train), val / len(X_val)


def elbow_swapped(X_train, X_val, ks, n_init=5, seed=0):
    train, val = _sweep(X_train, X_val, ks, n_init, seed)
    return val / len(X_val), train / len(X_train)


def elbow_sqrt(X_train, X_val, ks, n_init=5, seed=0):
    from kmeans_lessons import init_kmeans_pp, kmeans, pairwise_sq_dists

    rng = np.random.default_rng(seed)
    train, val = [], []
    for k in ks:
        runs = [kmeans(X_train, init_kmeans_pp(X_train, k, rng)) for _ in range(n_init)]
        best = min(runs, key=lambda run: run.losses[-1])
        train.append(np.sqrt(pairwise_sq_dists(X_train, best.centers).min(axis=1)).mean())
        val.append(np.sqrt(pairwise_sq_dists(X_val, best.centers).min(axis=1)).mean())
    return np.array(train), np.array(val)


def elbow_unseeded(X_train, X_val, ks, n_init=5, seed=0):
    train, val = _sweep(X_train, X_val, ks, n_init, seed, rng=np.random.default_rng())
    return train / len(X_train), val / len(X_val)


# --- 05 MNIST --------------------------------------------------------------------------------


def _table(y_true, y_pred):
    classes, rows = np.unique(y_true, return_inverse=True)
    clusters, cols = np.unique(y_pred, return_inverse=True)
    table = np.zeros((classes.size, clusters.size), dtype=int)
    np.add.at(table, (rows, cols), 1)
    return table


def contingency_transposed(y_true, y_pred):
    return _table(y_pred, y_true)


def contingency_dense_range(y_true, y_pred):
    table = np.zeros((np.max(y_true) + 1, np.max(y_pred) + 1), dtype=int)
    np.add.at(table, (y_true, y_pred), 1)
    return table


def contingency_list(y_true, y_pred):
    return _table(y_true, y_pred).tolist()


def purity_per_class(y_true, y_pred):
    table = _table(y_true, y_pred)
    return table.max(axis=1).sum() / table.sum()


def purity_floor_division(y_true, y_pred):
    table = _table(y_true, y_pred)
    return table.max(axis=0).sum() // table.sum()


def purity_count(y_true, y_pred):
    return _table(y_true, y_pred).max(axis=0).sum()


def purity_unweighted(y_true, y_pred):
    table = _table(y_true, y_pred)
    return (table.max(axis=0) / table.sum(axis=0)).mean()


def purity_per_cluster(y_true, y_pred):
    table = _table(y_true, y_pred)
    return table.max(axis=0) / table.sum(axis=0)


def majority_per_class(cluster_labels, y_true, k):
    table = _table(y_true, cluster_labels)
    return np.unique(cluster_labels)[table.argmax(axis=1)]


def majority_per_sample(cluster_labels, y_true, k):
    y_true = np.asarray(y_true).astype(int)
    fallback = np.bincount(y_true).argmax()
    majority = np.array([np.bincount(y_true[cluster_labels == j]).argmax()
                         if np.any(cluster_labels == j) else fallback for j in range(k)])
    return majority[cluster_labels]


def majority_dropped(cluster_labels, y_true, k):
    y_true = np.asarray(y_true).astype(int)
    return np.array([np.bincount(y_true[cluster_labels == j]).argmax()
                     for j in np.unique(cluster_labels)])


def majority_empty_zero(cluster_labels, y_true, k):
    y_true = np.asarray(y_true).astype(int)
    return np.array([np.bincount(y_true[cluster_labels == j]).argmax()
                     if np.any(cluster_labels == j) else 0 for j in range(k)])


def majority_counter(cluster_labels, y_true, k):
    y_true = np.asarray(y_true).astype(int)
    fallback = np.bincount(y_true).argmax()
    return np.array([Counter(y_true[cluster_labels == j].tolist()).most_common(1)[0][0]
                     if np.any(cluster_labels == j) else fallback for j in range(k)])


# --- 06 Embeddings ---------------------------------------------------------------------------


def normalize_columns(X):
    X = np.asarray(X, dtype=float)
    return X / np.linalg.norm(X, axis=0, keepdims=True)


def normalize_no_keepdims(X):
    X = np.asarray(X, dtype=float)
    return X / np.linalg.norm(X, axis=1)


def normalize_squared(X):
    X = np.asarray(X, dtype=float)
    return X / (X ** 2).sum(axis=1, keepdims=True)


def normalize_l1(X):
    X = np.asarray(X, dtype=float)
    return X / np.abs(X).sum(axis=1, keepdims=True)


def normalize_zero_rows_nan(X):
    X = np.asarray(X, dtype=float)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def normalize_integer(X):
    out = np.zeros_like(X)
    norms = np.linalg.norm(X, axis=1)
    for i in np.flatnonzero(norms > 0):
        out[i] = X[i] / norms[i]
    return out


def normalize_in_place(X):
    X = np.asarray(X, dtype=float)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    np.divide(X, norms, out=X, where=norms > 0)
    return X


def normalize_loop(X):
    X = np.asarray(X, dtype=float)
    out = np.zeros_like(X)
    for i in range(X.shape[0]):
        norm = np.sqrt((X[i] ** 2).sum())
        if norm > 0:
            out[i] = X[i] / norm
    return out


def _central(X, centers, labels, m, *, order=1, members_only=True, local=False, fill=-1,
             sort_rows=False):
    X = np.asarray(X, dtype=float)
    result = np.full((len(centers), m), fill)
    for j, centre in enumerate(np.asarray(centers, dtype=float)):
        rows = np.flatnonzero(labels == j) if members_only else np.arange(len(X))
        nearest = np.argsort(order * ((X[rows] - centre) ** 2).sum(axis=1), kind="stable")[:m]
        picked = nearest if local else rows[nearest]
        result[j, :len(picked)] = np.sort(picked) if sort_rows else picked
    return result


def central_transposed(X, centers, labels, m=3):
    return _central(X, centers, labels, m).T


def central_farthest(X, centers, labels, m=3):
    return _central(X, centers, labels, m, order=-1)


def central_all_samples(X, centers, labels, m=3):
    return _central(X, centers, labels, m, members_only=False)


def central_local(X, centers, labels, m=3):
    return _central(X, centers, labels, m, local=True)


def central_by_row_number(X, centers, labels, m=3):
    return _central(X, centers, labels, m, sort_rows=True)


def central_zero_padding(X, centers, labels, m=3):
    return _central(X, centers, labels, m, fill=0)


def central_loop_over_samples(X, centers, labels, m=3):
    X, centers = np.asarray(X, dtype=float), np.asarray(centers, dtype=float)
    dists = np.array([((X[i] - centers[labels[i]]) ** 2).sum() for i in range(len(X))])
    result = np.full((len(centers), m), -1)
    for j in range(len(centers)):
        rows = np.flatnonzero(labels == j)
        picked = rows[np.argsort(dists[rows], kind="stable")[:m]]
        result[j, :len(picked)] = picked
    return result


# --- 04 Elbow curves: calinski_harabasz (transfer) -------------------------------------------


def _ch_parts(X, labels):
    X = np.asarray(X, dtype=float)
    clusters, index = np.unique(labels, return_inverse=True)
    index = index.ravel()
    n, k = len(X), len(clusters)
    means = np.array([X[index == j].mean(axis=0) for j in range(k)])
    sizes = np.bincount(index, minlength=k)
    within = ((X - means[index]) ** 2).sum()
    spread = ((means - X.mean(axis=0)) ** 2).sum(axis=1)
    return X, n, k, within, spread, sizes


def ch_no_dof(X, labels):
    X, n, k, within, spread, sizes = _ch_parts(X, labels)
    return float((sizes * spread).sum() / within)


def ch_dof_swapped(X, labels):
    X, n, k, within, spread, sizes = _ch_parts(X, labels)
    return float(((sizes * spread).sum() / (n - k)) / (within / (k - 1)))


def ch_inverted(X, labels):
    X, n, k, within, spread, sizes = _ch_parts(X, labels)
    return float((within / (n - k)) / ((sizes * spread).sum() / (k - 1)))


def ch_unweighted(X, labels):
    X, n, k, within, spread, sizes = _ch_parts(X, labels)
    return float((spread.sum() / (k - 1)) / (within / (n - k)))


def ch_total_spread(X, labels):
    X, n, k, within, spread, sizes = _ch_parts(X, labels)
    total = ((X - X.mean(axis=0)) ** 2).sum()
    return float((total / (k - 1)) / (within / (n - k)))


def ch_labels_as_rows(X, labels):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    k = labels.max() + 1  # assumes the labels are 0..k-1
    means = np.array([X[labels == j].mean(axis=0) for j in range(k)])
    sizes = np.bincount(labels, minlength=k)
    within = ((X - means[labels]) ** 2).sum()
    between = (sizes * ((means - X.mean(axis=0)) ** 2).sum(axis=1)).sum()
    return float((between / (k - 1)) / (within / (len(X) - k)))


# --- 05 MNIST: accuracy_by_k (transfer) --------------------------------------------------------


def _fits(X_fit, y_fit, ks, seed, **options):
    from kmeans_lessons import KMeans, majority_labels

    settings = {"init": "random", "n_init": 1, **options}
    for k in ks:
        model = KMeans(int(k), random_state=seed, **settings).fit(X_fit)
        yield int(k), model, majority_labels(model.labels_, y_fit, int(k))


def accuracy_named_by_held(X_fit, y_fit, X_held, y_held, ks, seed=0):
    from kmeans_lessons import majority_labels

    fit, held = [], []
    for k, model, names in _fits(X_fit, y_fit, ks, seed):
        fit.append(np.mean(names[model.labels_] == y_fit))
        predicted = model.predict(X_held)
        held_names = majority_labels(predicted, y_held, k)
        held.append(np.mean(held_names[predicted] == y_held))
    return np.array(fit), np.array(held)


def accuracy_swapped(X_fit, y_fit, X_held, y_held, ks, seed=0):
    fit, held = [], []
    for k, model, names in _fits(X_fit, y_fit, ks, seed):
        fit.append(np.mean(names[model.labels_] == y_fit))
        held.append(np.mean(names[model.predict(X_held)] == y_held))
    return np.array(held), np.array(fit)


def accuracy_cluster_numbers(X_fit, y_fit, X_held, y_held, ks, seed=0):
    fit, held = [], []
    for k, model, names in _fits(X_fit, y_fit, ks, seed):
        fit.append(np.mean(model.labels_ == y_fit))
        held.append(np.mean(model.predict(X_held) == y_held))
    return np.array(fit), np.array(held)


def accuracy_refit_held(X_fit, y_fit, X_held, y_held, ks, seed=0):
    from kmeans_lessons import KMeans, majority_labels

    fit, held = [], []
    for k, model, names in _fits(X_fit, y_fit, ks, seed):
        fit.append(np.mean(names[model.labels_] == y_fit))
        k_held = min(k, len(X_held))
        again = KMeans(k_held, init="random", n_init=1, random_state=seed).fit(X_held)
        held.append(np.mean(majority_labels(again.labels_, y_held, k_held)[again.labels_]
                            == y_held))
    return np.array(fit), np.array(held)


def accuracy_default_start(X_fit, y_fit, X_held, y_held, ks, seed=0):
    fit, held = [], []
    for k, model, names in _fits(X_fit, y_fit, ks, seed, init="k-means++", n_init=10):
        fit.append(np.mean(names[model.labels_] == y_fit))
        held.append(np.mean(names[model.predict(X_held)] == y_held))
    return np.array(fit), np.array(held)


# --- 07 Colour quantisation ------------------------------------------------------------------


def _nearest_rows(rows, codebook, farthest=False):
    D = _dists(rows, codebook)
    return D.argmax(axis=1) if farthest else D.argmin(axis=1)


def quantise_labels(image, palette):
    image = np.asarray(image, dtype=float)
    return _nearest_rows(image.reshape(-1, image.shape[-1]), palette).reshape(image.shape[:2])


def quantise_flat(image, palette):
    image = np.asarray(image, dtype=float)
    return np.asarray(palette)[_nearest_rows(image.reshape(-1, image.shape[-1]), palette)]


def quantise_farthest(image, palette):
    image = np.asarray(image, dtype=float)
    rows = image.reshape(-1, image.shape[-1])
    return np.asarray(palette)[_nearest_rows(rows, palette, farthest=True)].reshape(image.shape)


def quantise_width_first(image, palette):
    image = np.asarray(image, dtype=float)
    height, width, c = image.shape
    return quantise_flat(image, palette).reshape(width, height, c)


def quantise_loop_over_pixels(image, palette):
    image, palette = np.asarray(image, dtype=float), np.asarray(palette, dtype=float)
    out = np.empty_like(image)
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            out[i, j] = palette[((palette - image[i, j]) ** 2).sum(axis=1).argmin()]
    return out


def ratio_no_palette(height, width, k):
    return 24 / max(1, int(np.ceil(np.log2(k))))


def ratio_log2(height, width, k):
    n = height * width
    return 24 * n / (np.log2(k) * n + 24 * k)


def ratio_inverted(height, width, k):
    n = height * width
    return (int(np.ceil(np.log2(k))) * n + 24 * k) / (24 * n)


def ratio_palette_bytes(height, width, k):
    n = height * width
    return 24 * n / (int(np.ceil(np.log2(k))) * n + 3 * k)


def ratio_eight_bits(height, width, k):
    n = height * width
    return 8 * n / (int(np.ceil(np.log2(k))) * n + 24 * k)


def ratio_floor_division(height, width, k):
    n = height * width
    return 24 * n // (int(np.ceil(np.log2(k))) * n + 24 * k)


def _cut(image, size):
    rows, cols, c = image.shape[0] // size, image.shape[1] // size, image.shape[2]
    grid = image[:rows * size, :cols * size].reshape(rows, size, cols, size, c)
    return grid.transpose(0, 2, 1, 3, 4).reshape(rows * cols, -1), rows, cols


def blocks_plain_reshape(image, tiles):
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    k, size, _, c = tiles.shape
    blocks, rows, cols = _cut(image, size)
    return tiles[_nearest_rows(blocks, tiles.reshape(k, -1))].reshape(rows * size, cols * size, c)


def blocks_unassembled(image, tiles):
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    k = len(tiles)
    blocks, rows, cols = _cut(image, tiles.shape[1])
    return tiles[_nearest_rows(blocks, tiles.reshape(k, -1))]


def blocks_labels(image, tiles):
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    blocks, rows, cols = _cut(image, tiles.shape[1])
    return _nearest_rows(blocks, tiles.reshape(len(tiles), -1)).reshape(rows, cols)


def blocks_farthest(image, tiles):
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    k, size, _, c = tiles.shape
    blocks, rows, cols = _cut(image, size)
    chosen = tiles[_nearest_rows(blocks, tiles.reshape(k, -1), farthest=True)]
    grid = chosen.reshape(rows, cols, size, size, c).transpose(0, 2, 1, 3, 4)
    return grid.reshape(rows * size, cols * size, c)


def blocks_uncropped(image, tiles):
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    k, size, _, c = tiles.shape
    blocks, rows, cols = _cut(image, size)
    out = image.copy()  # the rows and columns beyond the last whole block stay as they were
    grid = tiles[_nearest_rows(blocks, tiles.reshape(k, -1))].reshape(rows, cols, size, size, c)
    out[:rows * size, :cols * size] = grid.transpose(0, 2, 1, 3, 4).reshape(
        rows * size, cols * size, c)
    return out


def blocks_loop_over_blocks(image, tiles):
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    k, size, _, c = tiles.shape
    rows, cols = image.shape[0] // size, image.shape[1] // size
    out = np.empty((rows * size, cols * size, c))
    for r in range(rows):
        for q in range(cols):
            block = image[r * size:(r + 1) * size, q * size:(q + 1) * size]
            best = ((tiles - block) ** 2).sum(axis=(1, 2, 3)).argmin()
            out[r * size:(r + 1) * size, q * size:(q + 1) * size] = tiles[best]
    return out

# The mistakes reported in issue 12 have their wrong versions in the wrong-versions catalogue.
from test_wrong_versions import (  # noqa: E402
    assign_keepdims,
    contingency_matrix_fancy_add,
    contingency_matrix_floats,
    elbow_sweep_best_on_validation,
    elbow_sweep_generator_per_k,
    elbow_sweep_ignores_n_init,
    elbow_sweep_wrong_n,
    init_kmeans_pp_weights_never_updated,
    kmeans_no_max_iter_strict,
    kmeans_no_zero_stop,
    kmeans_one_update_short,
    majority_labels_positions,
    pairwise_sq_dists_delegates,
    row_sums_outer_column_sums,
    row_sums_outer_means,
)

MUTANTS = {
    ("difference_table", "swapped_axes"): [table_swapped],
    ("difference_table", "wrong_sign"): [table_sign],
    ("difference_table", "elementwise"): [table_elementwise],
    ("difference_table", "list_not_array"): [table_list],
    ("difference_table", "returned_none"): [table_no_return],
    ("difference_table", "python_loop"): [table_loop_over_samples],
    ("difference_table", "mutates_input"): [table_changes_a],
    ("row_sums_outer", "forgot_keepdims"): [outer_forgot_keepdims],
    ("row_sums_outer", "product_order"): [outer_product_order],
    ("row_sums_outer", "wrong_axis"): [row_sums_outer_column_sums],
    ("row_sums_outer", "mean_instead_of_sum"): [row_sums_outer_means],
    ("row_sums_outer", "python_loop"): [outer_double_loop],
    ("pick_per_row", "full_table"): [pick_table],
    ("pick_per_row", "index_shape"): [pick_index_not_column, pick_not_flattened],
    ("pick_per_row", "flat_index"): [pick_flat],
    ("pick_per_row", "wrong_axis"): [pick_wrong_axis],
    ("pick_per_row", "python_loop"): [pick_loop],
    ("pairwise_sq_dists", "swapped_xc"): [dists_swapped],
    ("pairwise_sq_dists", "square_rooted"): [dists_sqrt],
    ("pairwise_sq_dists", "not_squared"): [dists_not_squared],
    ("pairwise_sq_dists", "expansion_sign"): [dists_sign],
    ("pairwise_sq_dists", "wrong_axis"): [dists_wrong_axis],
    ("pairwise_sq_dists", "mean_instead_of_sum"): [dists_mean],
    ("pairwise_sq_dists", "negative_distances"): [dists_no_clip],
    ("pairwise_sq_dists", "broadcast_error"): [dists_no_new_axis],
    ("pairwise_sq_dists", "list_not_array"): [dists_list],
    ("pairwise_sq_dists", "python_loop"): [dists_loop_over_samples],
    ("pairwise_sq_dists", "nan_output"): [dists_zero_over_zero],
    ("pairwise_sq_dists", "calls_reference"): [pairwise_sq_dists_delegates],
    ("assign", "keepdims"): [assign_keepdims],
    ("assign", "argmax"): [assign_argmax],
    ("assign", "wrong_axis"): [assign_wrong_axis],
    ("assign", "min_not_argmin"): [assign_min_values],
    ("assign", "ties"): [assign_ties_to_last],
    ("assign", "list_not_array"): [assign_list],
    ("assign", "python_loop"): [assign_loop_over_samples],
    ("init_random", "ignores_rng"): [init_random_global, init_random_own_seed],
    ("init_random", "not_random"): [init_random_first_rows],
    ("init_random", "returned_indices"): [init_random_indices],
    ("init_random", "not_rows_of_x"): [init_random_new_points],
    ("init_random", "with_replacement"): [init_random_with_replacement],
    ("init_random", "biased_sampling"): [init_random_never_last],
    ("init_random", "list_not_array"): [init_random_list],
    ("init_random", "mutates_input"): [init_random_shuffles_x],
    ("update_centers", "empty_nan"): [update_nan],
    ("update_centers", "empty_zeros"): [update_zeros],
    ("update_centers", "empty_dropped"): [update_dropped],
    ("update_centers", "median"): [update_median],
    ("update_centers", "sum_instead_of_mean"): [update_sums],
    ("update_centers", "never_updated"): [update_never],
    ("update_centers", "wrong_axis"): [update_wrong_axis],
    ("update_centers", "integer_truncation"): [update_integer],
    ("update_centers", "mutates_input"): [update_in_place],
    ("update_centers", "python_loop"): [update_loop_over_samples],
    ("inertia", "square_rooted"): [inertia_sqrt],
    ("inertia", "mean_instead_of_sum"): [inertia_mean],
    ("inertia", "summed_all_centres"): [inertia_all_centres],
    ("inertia", "max_instead_of_min"): [inertia_max],
    ("inertia", "wrong_axis"): [inertia_wrong_axis],
    ("inertia", "not_summed"): [inertia_not_summed],
    ("inertia", "python_loop"): [inertia_loop_over_samples],
    ("kmeans", "return_three"): [kmeans_variant(return_two=True)],
    ("kmeans", "never_updated"): [kmeans_variant(no_update=True)],
    ("kmeans", "one_iteration"): [kmeans_variant(one_step=True)],
    ("kmeans", "stale_labels"): [kmeans_variant(stale=True)],
    ("kmeans", "losses_length"): [kmeans_variant(skip_first_loss=True)],
    ("kmeans", "stopping_rule"): [kmeans_variant(rule="absolute"), kmeans_variant(rule="strict"),
                                  kmeans_variant(extra_iteration=True)],
    ("kmeans", "mean_instead_of_sum"): [kmeans_variant(mean_loss=True)],
    ("kmeans", "empty_nan"): [kmeans_variant(empty="nan")],
    ("kmeans", "empty_zeros"): [kmeans_variant(empty="zeros")],
    ("kmeans", "integer_truncation"): [kmeans_variant(integer=True)],
    ("kmeans", "mutates_input"): [kmeans_variant(in_place=True)],
    ("kmeans", "python_loop"): [kmeans_variant(loop_assign=True)],
    ("kmeans", "max_iter_short"): [kmeans_one_update_short],
    ("kmeans", "zero_loss_stop"): [kmeans_no_zero_stop],
    ("kmeans", "did_not_finish"): [kmeans_no_max_iter_strict],
    ("init_kmeans_pp", "weights_not_updated"): [init_kmeans_pp_weights_never_updated],
    ("init_kmeans_pp", "not_squared"): [pp_sampler(lambda d: np.sqrt(d.min(axis=1)))],
    ("init_kmeans_pp", "uniform_sampling"): [
        lambda X, k, rng: np.asarray(X)[rng.choice(len(X), k, replace=False)]],
    ("init_kmeans_pp", "farthest_not_sampled"): [pp_farthest],
    ("init_kmeans_pp", "summed_all_centres"): [pp_sampler(lambda d: d.sum(axis=1))],
    ("init_kmeans_pp", "first_not_uniform"): [pp_first_fixed],
    ("init_kmeans_pp", "ignores_rng"): [pp_global],
    ("init_kmeans_pp", "not_random"): [pp_first_rows],
    ("init_kmeans_pp", "returned_indices"): [pp_indices],
    ("init_kmeans_pp", "not_rows_of_x"): [pp_averaged_centres],
    ("elbow_sweep", "return_pair"): [elbow_only_train],
    ("elbow_sweep", "list_not_array"): [elbow_lists],
    ("elbow_sweep", "sum_instead_of_mean"): [elbow_totals],
    ("elbow_sweep", "val_refit"): [elbow_refit],
    ("elbow_sweep", "train_val_swapped"): [elbow_swapped],
    ("elbow_sweep", "square_rooted"): [elbow_sqrt],
    ("elbow_sweep", "ignores_seed"): [elbow_unseeded],
    ("elbow_sweep", "wrong_n"): [elbow_sweep_wrong_n],
    ("elbow_sweep", "chosen_on_validation"): [elbow_sweep_best_on_validation],
    ("elbow_sweep", "generator_per_k"): [elbow_sweep_generator_per_k],
    ("elbow_sweep", "ignores_n_init"): [elbow_sweep_ignores_n_init],
    ("contingency_matrix", "float_counts"): [contingency_matrix_floats],
    ("contingency_matrix", "fancy_index_add"): [contingency_matrix_fancy_add],
    ("majority_labels", "positions_not_labels"): [majority_labels_positions],
    ("contingency_matrix", "transposed"): [contingency_transposed],
    ("contingency_matrix", "label_range"): [contingency_dense_range],
    ("contingency_matrix", "list_not_array"): [contingency_list],
    ("purity", "per_class"): [purity_per_class],
    ("purity", "integer_truncation"): [purity_floor_division],
    ("purity", "not_normalised"): [purity_count],
    ("purity", "unweighted_mean"): [purity_unweighted],
    ("purity", "per_cluster_array"): [purity_per_cluster],
    ("majority_labels", "wrong_axis"): [majority_per_class],
    ("majority_labels", "per_sample"): [majority_per_sample],
    ("majority_labels", "empty_dropped"): [majority_dropped],
    ("majority_labels", "empty_cluster"): [majority_empty_zero],
    ("majority_labels", "ties"): [majority_counter],
    ("normalize_rows", "wrong_axis"): [normalize_columns],
    ("normalize_rows", "forgot_keepdims"): [normalize_no_keepdims],
    ("normalize_rows", "not_square_rooted"): [normalize_squared],
    ("normalize_rows", "l1_norm"): [normalize_l1],
    ("normalize_rows", "zero_row_nan"): [normalize_zero_rows_nan],
    ("normalize_rows", "integer_truncation"): [normalize_integer],
    ("normalize_rows", "mutates_input"): [normalize_in_place],
    ("normalize_rows", "python_loop"): [normalize_loop],
    ("central_members", "transposed"): [central_transposed],
    ("central_members", "farthest"): [central_farthest],
    ("central_members", "not_members"): [central_all_samples],
    ("central_members", "local_indices"): [central_local],
    ("central_members", "wrong_order"): [central_by_row_number],
    ("central_members", "no_padding"): [central_zero_padding],
    ("central_members", "python_loop"): [central_loop_over_samples],
    ("calinski_harabasz", "no_degrees_of_freedom"): [ch_no_dof],
    ("calinski_harabasz", "degrees_of_freedom_swapped"): [ch_dof_swapped],
    ("calinski_harabasz", "inverted"): [ch_inverted],
    ("calinski_harabasz", "unweighted_between"): [ch_unweighted],
    ("calinski_harabasz", "between_from_samples"): [ch_total_spread],
    ("calinski_harabasz", "label_values"): [ch_labels_as_rows],
    ("accuracy_by_k", "named_by_held_out"): [accuracy_named_by_held],
    ("accuracy_by_k", "swapped"): [accuracy_swapped],
    ("accuracy_by_k", "cluster_numbers"): [accuracy_cluster_numbers],
    ("accuracy_by_k", "refit_on_held_out"): [accuracy_refit_held],
    ("accuracy_by_k", "other_start"): [accuracy_default_start],
    ("quantise_image", "returned_labels"): [quantise_labels],
    ("quantise_image", "flat_pixels"): [quantise_flat],
    ("quantise_image", "farthest_colour"): [quantise_farthest],
    ("quantise_image", "height_width_swapped"): [quantise_width_first],
    ("quantise_image", "python_loop"): [quantise_loop_over_pixels],
    ("compression_ratio", "no_palette"): [ratio_no_palette],
    ("compression_ratio", "fractional_bits"): [ratio_log2],
    ("compression_ratio", "inverted"): [ratio_inverted],
    ("compression_ratio", "palette_in_bytes"): [ratio_palette_bytes],
    ("compression_ratio", "eight_bits_per_pixel"): [ratio_eight_bits],
    ("compression_ratio", "integer_truncation"): [ratio_floor_division],
    ("quantise_blocks", "rows_not_squares"): [blocks_plain_reshape],
    ("quantise_blocks", "returned_blocks"): [blocks_unassembled],
    ("quantise_blocks", "returned_labels"): [blocks_labels],
    ("quantise_blocks", "farthest_tile"): [blocks_farthest],
    ("quantise_blocks", "not_cropped"): [blocks_uncropped],
    ("quantise_blocks", "python_loop"): [blocks_loop_over_blocks],
}


# --- 08 Beyond one machine -------------------------------------------------------------------


def statistics_variant(*, minlength=True, float_counts=False, means=False, loss="sum",
                       package_distances=False):
    """A map (chunk_statistics) written plainly, with at most one usual mistake put in."""
    def chunk_statistics(X_chunk, centers):
        X_chunk, centers = np.asarray(X_chunk, dtype=float), np.asarray(centers, dtype=float)
        if package_distances:  # the package's pairwise_sq_dists refuses a chunk with no rows
            from kmeans_lessons import pairwise_sq_dists
            D = pairwise_sq_dists(X_chunk, centers)
        else:
            D = _dists(X_chunk, centers)
        labels = D.argmin(axis=1)
        k = len(centers) if minlength else 0
        counts = np.bincount(labels, minlength=k)
        sums = np.stack([np.bincount(labels, weights=X_chunk[:, j], minlength=k)
                         for j in range(X_chunk.shape[1])], axis=1)
        if means:
            sums = sums / np.maximum(counts, 1)[:, None]
        nearest = D.min(axis=1)
        value = {"sum": nearest.sum(), "sqrt": np.sqrt(nearest).sum(),
                 "mean": nearest.sum() / max(len(X_chunk), 1)}[loss]
        return sums, counts.astype(float) if float_counts else counts, float(value)
    return chunk_statistics


def combine_variant(*, average_means=False, divide=True, empty="keep", loss="sum"):
    """A reduce (combine) written plainly, with at most one usual mistake put in."""
    def combine(statistics, centers):
        centers = np.asarray(centers, dtype=float)
        sums = sum(np.asarray(s, dtype=float) for s, _, _ in statistics)
        counts = sum(np.asarray(c) for _, c, _ in statistics)
        losses = [value for _, _, value in statistics]
        total = sum(losses) if loss == "sum" else sum(losses) / len(losses)
        if average_means:
            chunk_means = [np.asarray(s) / np.asarray(c)[:, None] for s, c, _ in statistics]
            new = np.nanmean(chunk_means, axis=0)
            return np.where(np.isnan(new), centers, new), total
        if not divide:
            return sums, total
        new = centers.copy()
        members = counts > 0
        new[members] = sums[members] / counts[members, None]
        if empty == "nan":
            new[~members] = np.nan
        elif empty == "zeros":
            new[~members] = 0.0
        return new, total
    return combine


MUTANTS.update({
    ("chunk_statistics", "missing_clusters"): [statistics_variant(minlength=False)],
    ("chunk_statistics", "counts_as_floats"): [statistics_variant(float_counts=True)],
    ("chunk_statistics", "means_instead_of_sums"): [statistics_variant(means=True)],
    ("chunk_statistics", "loss_not_squared"): [statistics_variant(loss="sqrt")],
    ("chunk_statistics", "loss_mean"): [statistics_variant(loss="mean")],
    ("chunk_statistics", "empty_chunk"): [statistics_variant(package_distances=True)],
    ("combine", "averaged_means"): [combine_variant(average_means=True)],
    ("combine", "sums_not_divided"): [combine_variant(divide=False)],
    ("combine", "empty_nan"): [combine_variant(empty="nan")],
    ("combine", "empty_zeros"): [combine_variant(empty="zeros")],
    ("combine", "loss_averaged"): [combine_variant(loss="mean")],
})


def test_the_plain_map_and_reduce_pass():
    assert check(statistics_variant(), exercise="chunk_statistics").passed
    assert check(combine_variant(), exercise="combine").passed


# --- transfer exercises of lessons 01, 02, 03, 06 --------------------------------------------


def _unit_rows(A):
    A = np.asarray(A, dtype=float)
    lengths = np.linalg.norm(A, axis=1, keepdims=True)
    return np.divide(A, lengths, out=np.zeros_like(A), where=lengths > 0)


def scale_global_max(images):
    images = np.asarray(images, dtype=float)
    return images / images.max()


def scale_max_over_images(images):
    images = np.asarray(images, dtype=float)
    with np.errstate(all="ignore"):
        return np.nan_to_num(images / images.max(axis=0))


def scale_max_per_row(images):
    images = np.asarray(images, dtype=float)
    brightest = images.max(axis=2, keepdims=True)
    return np.divide(images, brightest, out=np.zeros_like(images), where=brightest > 0)


def scale_the_bug_itself(images):
    images = np.asarray(images, dtype=float)
    return images / images.max(axis=(1, 2))


def scale_black_nan(images):
    images = np.asarray(images, dtype=float)
    with np.errstate(all="ignore"):
        return images / images.max(axis=(1, 2), keepdims=True)


def scale_in_place(images):
    brightest = images.max(axis=(1, 2), keepdims=True)
    np.divide(images, np.where(brightest > 0, brightest, 1), out=images, casting="unsafe")
    return images.astype(float)


def weighted_plain(X, C, w):
    return np.maximum(_dists(X, C), 0)


def weighted_cross_term_plain(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    return np.maximum(((X ** 2) @ w)[:, None] + (C ** 2) @ w - 2 * X @ C.T, 0)


def weighted_scaled_by_w(X, C, w):
    w = np.asarray(w, dtype=float)
    return _dists(np.asarray(X) * w, np.asarray(C) * w)


def weighted_transposed(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    return (w * (X[None, :, :] - C[:, None, :]) ** 2).sum(axis=2)


def weighted_rooted(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    return np.sqrt((w * (X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2))


def weighted_unclipped(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    return ((X ** 2) @ w)[:, None] + (C ** 2) @ w - 2 * (X * w) @ C.T


def weighted_3d(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    return (w * (X[np.newaxis, :, :] - C[:, np.newaxis, :]) ** 2).sum(axis=2).T


def weighted_loop_over_samples(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    return np.array([(w * (x - C) ** 2).sum(axis=1) for x in X])


def _medians_with(summary, empty="keep"):
    def update_medians(X, labels, centers):
        X, labels = np.asarray(X, dtype=float), np.asarray(labels)
        new = np.array(centers, dtype=float)
        for j in range(len(new)):
            members = X[labels == j]
            if len(members):
                new[j] = summary(members, X)
            elif empty == "zeros":
                new[j] = 0.0
            elif empty == "nan":
                with np.errstate(all="ignore"):
                    new[j] = np.nanmedian(np.full((1, X.shape[1]), np.nan), axis=0)
        return new
    return update_medians


medians_mean = _medians_with(lambda m, X: m.mean(axis=0))
medians_nan = _medians_with(lambda m, X: np.median(m, axis=0), empty="nan")
medians_zeros = _medians_with(lambda m, X: np.median(m, axis=0), empty="zeros")
medians_wrong_axis = _medians_with(lambda m, X: np.median(m))
medians_upper_middle = _medians_with(lambda m, X: np.sort(m, axis=0)[len(m) // 2])
medians_of_everything = _medians_with(lambda m, X: np.median(X, axis=0))


def medians_never(X, labels, centers):
    return np.array(centers, dtype=float)


def medians_loop_over_samples(X, labels, centers):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    new = np.array(centers, dtype=float)
    members = [[] for _ in range(len(new))]
    for x, label in zip(X, labels):
        members[label].append(list(x))
    for j, rows in enumerate(members):
        if rows:
            new[j] = np.median(np.array(rows), axis=0)
    return new


def margin_raw_centres(X, centers):
    scores = np.sort(_unit_rows(X) @ np.asarray(centers, dtype=float).T, axis=1)
    return scores[:, -1] - scores[:, -2]


def margin_reversed(X, centers):
    scores = np.sort(_unit_rows(X) @ _unit_rows(centers).T, axis=1)
    return scores[:, -2] - scores[:, -1]


def margin_best_minus_worst(X, centers):
    scores = _unit_rows(X) @ _unit_rows(centers).T
    return scores.max(axis=1) - scores.min(axis=1)


def margin_best_only(X, centers):
    return (_unit_rows(X) @ _unit_rows(centers).T).max(axis=1)


def margin_in_distances(X, centers):
    D = np.sort(_dists(X, centers), axis=1)
    return D[:, 1] - D[:, 0]


def margin_wrong_axis(X, centers):
    scores = np.sort(_unit_rows(X) @ _unit_rows(centers).T, axis=0)
    return scores[-1] - scores[-2]


def margin_zero_nan(X, centers):
    X = np.asarray(X, dtype=float)
    with np.errstate(all="ignore"):
        U = X / np.linalg.norm(X, axis=1, keepdims=True)
    scores = np.sort(U @ _unit_rows(centers).T, axis=1)
    return scores[:, -1] - scores[:, -2]


def margin_loop_over_samples(X, centers):
    V = _unit_rows(centers)
    margins = []
    for x in _unit_rows(X):
        scores = sorted(V @ x)
        margins.append(scores[-1] - scores[-2])
    return np.array(margins)


MUTANTS.update({
    ("scale_each_image", "global_max"): [scale_global_max],
    ("scale_each_image", "max_over_images"): [scale_max_over_images],
    ("scale_each_image", "max_per_line"): [scale_max_per_row],
    ("scale_each_image", "maxima_misaligned"): [scale_the_bug_itself],
    ("scale_each_image", "black_image_nan"): [scale_black_nan],
    ("scale_each_image", "mutates_input"): [scale_in_place],
    ("weighted_sq_dists", "unweighted"): [weighted_plain],
    ("weighted_sq_dists", "cross_term_unweighted"): [weighted_cross_term_plain],
    ("weighted_sq_dists", "weighted_twice"): [weighted_scaled_by_w],
    ("weighted_sq_dists", "swapped_xc"): [weighted_transposed],
    ("weighted_sq_dists", "square_rooted"): [weighted_rooted],
    ("weighted_sq_dists", "negative_distances"): [weighted_unclipped],
    ("weighted_sq_dists", "three_d_broadcast"): [weighted_3d],
    ("weighted_sq_dists", "python_loop"): [weighted_loop_over_samples],
    ("update_medians", "mean_not_median"): [medians_mean],
    ("update_medians", "empty_nan"): [medians_nan],
    ("update_medians", "empty_zeros"): [medians_zeros],
    ("update_medians", "wrong_axis"): [medians_wrong_axis],
    ("update_medians", "one_middle_value"): [medians_upper_middle],
    ("update_medians", "all_samples"): [medians_of_everything],
    ("update_medians", "never_updated"): [medians_never],
    ("update_medians", "python_loop"): [medians_loop_over_samples],
    ("assignment_margin", "not_normalised"): [margin_raw_centres],
    ("assignment_margin", "reversed"): [margin_reversed],
    ("assignment_margin", "best_minus_worst"): [margin_best_minus_worst],
    ("assignment_margin", "best_only"): [margin_best_only],
    ("assignment_margin", "distance_margin"): [margin_in_distances],
    ("assignment_margin", "wrong_axis"): [margin_wrong_axis],
    ("assignment_margin", "zero_row_nan"): [margin_zero_nan],
    ("assignment_margin", "python_loop"): [margin_loop_over_samples],
})


CASES = [(name, key, fn) for (name, key), fns in MUTANTS.items() for fn in fns]


@pytest.mark.parametrize("name, key, mutant", CASES,
                         ids=[f"{name}-{key}-{i}" for i, (name, key, _) in enumerate(CASES)])
def test_mutant_fails_and_gets_its_hint(name, key, mutant):
    result = check(mutant, exercise=name)
    assert not result.passed and not result.pending, str(result)
    assert result.score < result.max_score
    assert key in result.hints, str(result)
    text = hint_text(name, key)
    assert any(text in line for line in result.feedback)


def test_every_catalogued_mistake_has_a_mutant():
    tested = {(name, key) for name, key in MUTANTS}
    for name, mistakes in CATALOGUE.items():
        for mistake in mistakes:
            assert (name, mistake.key) in tested, (name, mistake.key)
    common_tested = {key for _, key in MUTANTS}
    for mistake in COMMON:
        assert mistake.key in common_tested, mistake.key


def test_the_required_mistakes_are_all_catalogued():
    keys = {(name, m.key) for name in EXERCISES for m in mistakes_for(name)}
    required = [
        ("pairwise_sq_dists", "swapped_xc"), ("pairwise_sq_dists", "square_rooted"),
        ("pairwise_sq_dists", "not_squared"), ("pairwise_sq_dists", "expansion_sign"),
        ("assign", "argmax"), ("pairwise_sq_dists", "wrong_axis"),
        ("row_sums_outer", "forgot_keepdims"), ("normalize_rows", "forgot_keepdims"),
        ("inertia", "mean_instead_of_sum"), ("inertia", "summed_all_centres"),
        ("init_random", "with_replacement"), ("init_random", "ignores_rng"),
        ("init_random", "not_random"), ("update_centers", "empty_nan"),
        ("update_centers", "empty_zeros"), ("update_centers", "empty_dropped"),
        ("update_centers", "mutates_input"), ("update_centers", "median"),
        ("kmeans", "never_updated"), ("kmeans", "one_iteration"), ("kmeans", "stale_labels"),
        ("kmeans", "stopping_rule"), ("kmeans", "losses_length"),
        ("assign", "list_not_array"), ("update_centers", "integer_truncation"),
        ("contingency_matrix", "transposed"), ("purity", "per_class"),
        ("pairwise_sq_dists", "python_loop"),
    ]
    for pair in required:
        assert pair in keys, pair


#: Pieces of the reference solutions that a hint must not hand out.
SOLUTION_SNIPPETS = ["[:, np.newaxis]", "[:, None]", "np.newaxis", "keepdims=True", "axis=1",
                     "axis=0", "argmin(", "replace=False", "p=", "np.maximum(", "np.unique(",
                     "np.add.at", "bincount", "take_along_axis(X, idx"]


@pytest.mark.parametrize("name", list(EXERCISES))
def test_hints_name_the_mistake_without_code_from_the_solution(name):
    for mistake in mistakes_for(name):
        text = hint_text(name, mistake.key)
        assert text and len(text) > 30 and text.endswith("."), (name, mistake.key)
        for snippet in SOLUTION_SNIPPETS:
            assert snippet not in text, (name, mistake.key, snippet)


def test_a_correct_result_is_never_explained_by_a_mistake():
    from kmeans_lessons.grading.hints import diagnose

    for name, exercise in EXERCISES.items():
        for case in exercise.cases(3, hidden=True):
            if not hasattr(case, "expected_from") or case.speed:
                continue
            expected = case.expected_from(exercise.reference)
            case.expected = expected
            assert diagnose(name, expected, case) is None, (name, case.label)
