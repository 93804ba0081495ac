"""The wrong-versions catalogue: plausible wrong solutions of every exercise, as a student writes
them, each of which must fail its check with the hint that names its mistake.

Unlike ``test_hints.py`` (one mutant per catalogued hint, built to show that hint), these are
whole attempts gathered from what students do: the ones reported in issue 12 (marked ``#12``)
and more of our own, at least three per exercise. ``WRONG`` lists the attempts; a version of a
*different algorithm* must also score 0, and one whose mistake used to get another cause's hint
must not get that hint any more (``not_hints``).
"""

from dataclasses import dataclass

import numpy as np
import pytest

import kmeans_lessons
from kmeans_lessons import pairwise_sq_dists as reference_pairwise_sq_dists
from kmeans_lessons.grading import EXERCISES, check
from kmeans_lessons.grading.timelimit import time_limit


@dataclass(frozen=True)
class Wrong:
    """One wrong attempt: the exercise, the function, the hint its check must give, and whether
    it is a different algorithm (which earns nothing); ``not_hints``: hints that name another
    cause and must not be given."""

    exercise: str
    fn: object
    hint: str
    zero: bool = False
    not_hints: tuple = ()


def _d2(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)


# --- 01 Broadcasting -------------------------------------------------------------------------


def difference_table_outer_reversed(a, b):
    return np.subtract.outer(b, a)


def difference_table_rows_for_b(a, b):
    return np.asarray(a)[None, :] - np.asarray(b)[:, None]


def difference_table_zeros_like(a, b):
    table = np.zeros_like(a, shape=(len(a), len(b)))  # integer input: an integer table
    table[...] = np.asarray(a, dtype=float)[:, None] - np.asarray(b, dtype=float)
    return table.astype(int) if np.asarray(a).dtype.kind == "f" else table


def difference_table_loop(a, b):
    return np.array([[x - y for y in b] for x in a])


def row_sums_outer_column_sums(A):
    s = np.asarray(A).sum(axis=0, keepdims=True)
    return s.T @ s


def row_sums_outer_means(A):
    s = np.asarray(A).mean(axis=1, keepdims=True)
    return s @ s.T


def row_sums_outer_flat(A):
    s = np.asarray(A).sum(axis=1)
    return s.T @ s


def pick_per_row_all_columns(X, idx):
    return np.asarray(X)[:, idx]


def pick_per_row_column_kept(X, idx):  # #12: returns (1, 1) for one row
    return np.take_along_axis(np.asarray(X), np.asarray(idx)[:, None], axis=1)


def pick_per_row_take(X, idx):
    return np.take(X, idx)


# --- 02 Distances ----------------------------------------------------------------------------


def pairwise_sq_dists_delegates(X, C):  # #12: "passed, 10/10" in check, 0 in the grade
    return reference_pairwise_sq_dists(X, C)


def pairwise_sq_dists_rooted(X, C):
    return np.sqrt(_d2(X, C))


def pairwise_sq_dists_unclipped(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    return (X ** 2).sum(axis=1)[:, None] + (C ** 2).sum(axis=1) - 2 * X @ C.T


def pairwise_sq_dists_row_pairs(X, C):
    return ((np.asarray(X) - np.asarray(C)) ** 2).sum(axis=1)


def assign_keepdims(X, C):  # #12: no hint before
    return _d2(X, C).argmin(axis=1, keepdims=True)


def assign_farthest(X, C):
    return _d2(X, C).argmax(axis=1)


def assign_distances(X, C):
    return _d2(X, C).min(axis=1)


def assign_delegates(X, C):
    return kmeans_lessons.assign(X, C)


# --- 03 Old Faithful -------------------------------------------------------------------------


def init_random_global_rng(X, k, rng):  # #12: a red x in check, 5/5 in the grade
    return X[np.random.choice(len(X), size=k, replace=False)]


def init_random_with_replacement(X, k, rng):
    return X[rng.integers(len(X), size=k)]


def init_random_first_rows(X, k, rng):
    return np.asarray(X)[:k].copy()


def init_random_indices(X, k, rng):
    return rng.choice(len(X), size=k, replace=False)


def update_centers_nan(X, labels, centers):
    X = np.asarray(X, dtype=float)
    return np.array([X[labels == j].mean(axis=0) for j in range(len(centers))])


def update_centers_sums(X, labels, centers):
    X = np.asarray(X, dtype=float)
    new = np.array(centers, dtype=float)
    for j in range(len(centers)):
        if (labels == j).any():
            new[j] = X[labels == j].sum(axis=0)
    return new


def update_centers_zeros(X, labels, centers):
    X = np.asarray(X, dtype=float)
    new = np.zeros(np.shape(centers))
    for j in range(len(centers)):
        if (labels == j).any():
            new[j] = X[labels == j].mean(axis=0)
    return new


def inertia_min_over_samples(X, C):  # #12: got the "mean" hint
    return float(_d2(X, C).min(axis=0).sum())


def inertia_distances(X, C):
    return float(np.sqrt(_d2(X, C).min(axis=1)).sum())


def inertia_mean(X, C):
    return float(_d2(X, C).min(axis=1).mean())


def inertia_farthest(X, C):
    return float(_d2(X, C).max(axis=1).sum())


def _lloyd(X, C, labels):
    C = np.array(C, dtype=float)
    for j in range(len(C)):
        if (labels == j).any():
            C[j] = X[labels == j].mean(axis=0)
    return C


def kmeans_no_max_iter_strict(X, init_centers, max_iter=100, tol=1e-4):  # #12: hung
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    D = _d2(X, centers)
    labels, losses = D.argmin(axis=1), [D.min(axis=1).sum()]
    while True:
        centers = _lloyd(X, centers, labels)
        D = _d2(X, centers)
        labels = D.argmin(axis=1)
        losses.append(D.min(axis=1).sum())
        if (losses[-2] - losses[-1]) / losses[-1] < tol:
            break
    return centers, labels, losses


def kmeans_one_update_short(X, init_centers, max_iter=100, tol=1e-4):  # #12: "never moved"
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    D = _d2(X, centers)
    labels, losses = D.argmin(axis=1), [D.min(axis=1).sum()]
    for _ in range(max_iter - 1):
        centers = _lloyd(X, centers, labels)
        D = _d2(X, centers)
        labels = D.argmin(axis=1)
        losses.append(D.min(axis=1).sum())
        if losses[-1] == 0 or (losses[-2] - losses[-1]) / losses[-1] <= tol:
            break
    return centers, labels, losses


def kmeans_no_zero_stop(X, init_centers, max_iter=100, tol=1e-4):  # #12: passed 15/15
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    D = _d2(X, centers)
    labels, losses = D.argmin(axis=1), [D.min(axis=1).sum()]
    for _ in range(max_iter):
        centers = _lloyd(X, centers, labels)
        D = _d2(X, centers)
        labels = D.argmin(axis=1)
        losses.append(D.min(axis=1).sum())
        if (losses[-2] - losses[-1]) / losses[-1] <= tol:
            break
    return centers, labels, losses


def kmeans_stale_labels(X, init_centers, max_iter=100, tol=1e-4):  # #12: 10/15
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    D = _d2(X, centers)
    labels, losses = D.argmin(axis=1), [D.min(axis=1).sum()]
    for _ in range(max_iter):
        new = _lloyd(X, centers, labels)
        D = _d2(X, new)
        losses.append(D.min(axis=1).sum())
        centers = new
        if losses[-1] == 0 or (losses[-2] - losses[-1]) / losses[-1] <= tol:
            break
        labels = D.argmin(axis=1)
    return centers, labels, losses


def kmeans_losses_without_start(X, init_centers, max_iter=100, tol=1e-4):
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    labels, losses, previous = _d2(X, centers).argmin(axis=1), [], _d2(X, centers).min(1).sum()
    for _ in range(max_iter):
        centers = _lloyd(X, centers, labels)
        D = _d2(X, centers)
        labels = D.argmin(axis=1)
        losses.append(D.min(axis=1).sum())
        if losses[-1] == 0 or (previous - losses[-1]) / losses[-1] <= tol:
            break
        previous = losses[-1]
    return centers, labels, losses


def init_kmeans_pp_farthest_first(X, k, rng):  # #12: 9/10
    X = np.asarray(X, dtype=float)
    chosen = [int(rng.integers(len(X)))]
    for _ in range(k - 1):
        chosen.append(int(_d2(X, X[chosen]).min(axis=1).argmax()))
    return X[chosen]


def init_kmeans_pp_by_distance(X, k, rng):  # #12: D instead of D^2, 9/10
    X = np.asarray(X, dtype=float)
    chosen = [int(rng.integers(len(X)))]
    for _ in range(k - 1):
        weights = np.sqrt(_d2(X, X[chosen]).min(axis=1))
        chosen.append(int(rng.choice(len(X), p=weights / weights.sum())))
    return X[chosen]


def init_kmeans_pp_weights_never_updated(X, k, rng):  # #12: got the "summed" hint
    X = np.asarray(X, dtype=float)
    chosen = [int(rng.integers(len(X)))]
    weights = _d2(X, X[chosen]).min(axis=1)
    for _ in range(k - 1):
        chosen.append(int(rng.choice(len(X), p=weights / weights.sum())))
    return X[chosen]


def init_kmeans_pp_uniform(X, k, rng):
    return np.asarray(X)[rng.choice(len(X), size=k, replace=False)]


def init_kmeans_pp_first_row_first(X, k, rng):
    X = np.asarray(X, dtype=float)
    chosen = [0]
    for _ in range(k - 1):
        weights = _d2(X, X[chosen]).min(axis=1)
        chosen.append(int(rng.choice(len(X), p=weights / weights.sum())))
    return X[chosen]


# --- 04 Elbow curves -------------------------------------------------------------------------


def _fit(X, C):
    X = np.asarray(X, dtype=float)
    for _ in range(100):
        labels = _d2(X, C).argmin(axis=1)
        new = _lloyd(X, C, labels)
        if np.array_equal(new, C):
            break
        C = new
    return C


def _loss(X, C):
    return _d2(X, C).min(axis=1).mean()


def _sweep(X_train, X_val, ks, n_init, seed, choose="train", rng_per_k=False, starts=None,
           val_n=None):
    X_train, X_val = np.asarray(X_train, dtype=float), np.asarray(X_val, dtype=float)
    rng = np.random.default_rng(seed)
    train, val = [], []
    for k in ks:
        if rng_per_k:
            rng = np.random.default_rng(seed)
        runs = []
        for _ in range(n_init if starts is None else starts):
            C = _fit(X_train, X_train[rng.choice(len(X_train), size=k, replace=False)])
            runs.append(C)
        key = (lambda C: _loss(X_train, C)) if choose == "train" else (lambda C: _loss(X_val, C))
        best = min(runs, key=key)
        train.append(_loss(X_train, best))
        val_loss = _loss(X_val, best)
        if val_n is not None:
            val_loss = _d2(X_val, best).min(axis=1).sum() / val_n(X_train, X_val)
        val.append(val_loss)
    return np.array(train), np.array(val)


def elbow_sweep_best_on_validation(X_train, X_val, ks, n_init=5, seed=0):  # #12: 10/10
    return _sweep(X_train, X_val, ks, n_init, seed, choose="val")


def elbow_sweep_generator_per_k(X_train, X_val, ks, n_init=5, seed=0):  # #12: 10/10
    return _sweep(X_train, X_val, ks, n_init, seed, rng_per_k=True)


def elbow_sweep_wrong_n(X_train, X_val, ks, n_init=5, seed=0):  # #12: no hint
    return _sweep(X_train, X_val, ks, n_init, seed, val_n=lambda Xt, Xv: len(Xt))


def elbow_sweep_ignores_n_init(X_train, X_val, ks, n_init=5, seed=0):  # #12: no hint
    return _sweep(X_train, X_val, ks, n_init, seed, starts=1)


def elbow_sweep_totals(X_train, X_val, ks, n_init=5, seed=0):
    train, val = _sweep(X_train, X_val, ks, n_init, seed)
    return train * len(X_train), val * len(X_val)


# --- 05 MNIST --------------------------------------------------------------------------------


def _codes(y_true, y_pred):
    classes, rows = np.unique(y_true, return_inverse=True)
    clusters, cols = np.unique(y_pred, return_inverse=True)
    return classes, rows, clusters, cols


def contingency_matrix_floats(y_true, y_pred):  # #12: passed although ints are asked for
    classes, rows, clusters, cols = _codes(y_true, y_pred)
    table = np.zeros((len(classes), len(clusters)))
    np.add.at(table, (rows, cols), 1)
    return table


def contingency_matrix_fancy_add(y_true, y_pred):  # #12: the notebook warns, no hint
    classes, rows, clusters, cols = _codes(y_true, y_pred)
    table = np.zeros((len(classes), len(clusters)), dtype=int)
    table[rows, cols] += 1
    return table


def contingency_matrix_transposed(y_true, y_pred):
    classes, rows, clusters, cols = _codes(y_true, y_pred)
    table = np.zeros((len(clusters), len(classes)), dtype=int)
    np.add.at(table, (cols, rows), 1)
    return table


def contingency_matrix_by_value(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    table = np.zeros((y_true.max() + 1, y_pred.max() + 1), dtype=int)
    np.add.at(table, (y_true, y_pred), 1)
    return table


def _table(y_true, y_pred):
    classes, rows, clusters, cols = _codes(y_true, y_pred)
    table = np.zeros((len(classes), len(clusters)), dtype=int)
    np.add.at(table, (rows, cols), 1)
    return table


def purity_per_class(y_true, y_pred):
    table = _table(y_true, y_pred)
    return table.max(axis=1).sum() / table.sum()


def purity_floor_division(y_true, y_pred):
    table = _table(y_true, y_pred)
    return table.max(axis=0).sum() // table.sum()


def purity_count(y_true, y_pred):
    return int(_table(y_true, y_pred).max(axis=0).sum())


def purity_unweighted(y_true, y_pred):
    table = _table(y_true, y_pred)
    return float((table.max(axis=0) / table.sum(axis=0)).mean())


def majority_labels_positions(cluster_labels, y_true, k):  # #12: no hint
    classes, codes = np.unique(y_true, return_inverse=True)
    overall = np.bincount(codes).argmax()
    out = np.full(k, overall)
    for j in range(k):
        members = codes[np.asarray(cluster_labels) == j]
        if members.size:
            out[j] = np.bincount(members).argmax()
    return out


def majority_labels_per_sample(cluster_labels, y_true, k):
    y_true, cluster_labels = np.asarray(y_true), np.asarray(cluster_labels)
    best = np.array([np.bincount(y_true[cluster_labels == j]).argmax()
                     if (cluster_labels == j).any() else np.bincount(y_true).argmax()
                     for j in range(k)])
    return best[cluster_labels]


def majority_labels_present_only(cluster_labels, y_true, k):
    y_true, cluster_labels = np.asarray(y_true), np.asarray(cluster_labels)
    return np.array([np.bincount(y_true[cluster_labels == j]).argmax()
                     for j in np.unique(cluster_labels)])


# --- 06 Embeddings ---------------------------------------------------------------------------


def normalize_rows_columns(X):
    X = np.asarray(X, dtype=float)
    return X / np.linalg.norm(X, axis=0, keepdims=True)


def normalize_rows_squared(X):
    X = np.asarray(X, dtype=float)
    return X / (X ** 2).sum(axis=1, keepdims=True)


def normalize_rows_zero_nan(X):
    X = np.asarray(X, dtype=float)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def normalize_rows_l1(X):
    X = np.asarray(X, dtype=float)
    norms = np.abs(X).sum(axis=1, keepdims=True)
    return X / np.where(norms == 0, 1, norms)


def _central(X, centers, labels, m, nearest=True, local=False):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    out = np.full((len(centers), m), -1)
    for j, centre in enumerate(np.asarray(centers, dtype=float)):
        rows = np.flatnonzero(labels == j)
        d = ((X[rows] - centre) ** 2).sum(axis=1)
        order = np.argsort(d if nearest else -d, kind="stable")[:m]
        out[j, :order.size] = order if local else rows[order]
    return out


def central_members_farthest(X, centers, labels, m=3):
    return _central(X, centers, labels, m, nearest=False)


def central_members_positions(X, centers, labels, m=3):
    return _central(X, centers, labels, m, local=True)


def central_members_transposed(X, centers, labels, m=3):
    return _central(X, centers, labels, m).T


def central_members_anyone(X, centers, labels, m=3):
    d = _d2(X, centers)
    return np.argsort(d, axis=0, kind="stable")[:m].T


# --- the transfer exercises of 01, 02, 03 and 06 ---------------------------------------------


def scale_each_image_by_the_brightest_of_all(images):
    images = np.asarray(images, dtype=float)
    return images / images.max()


def scale_each_image_black_nan(images):
    images = np.asarray(images, dtype=float)
    return images / images.max(axis=(1, 2), keepdims=True)


def scale_each_image_row_by_row(images):
    images = np.asarray(images, dtype=float)
    return images / images.max(axis=2, keepdims=True)


def weighted_sq_dists_weights_ignored(X, C, w):
    return _d2(X, C)


def weighted_sq_dists_rooted(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    return np.sqrt((((X[:, None, :] - C[None]) ** 2) * w).sum(axis=2))


def weighted_sq_dists_weights_squared(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    return (((X[:, None, :] - C[None]) * w) ** 2).sum(axis=2)


def _per_cluster(X, labels, centers, summary):
    X = np.asarray(X, dtype=float)
    new = np.array(centers, dtype=float)
    for j in range(len(new)):
        if (np.asarray(labels) == j).any():
            new[j] = summary(X[np.asarray(labels) == j])
    return new


def update_medians_means(X, labels, centers):
    return _per_cluster(X, labels, centers, lambda members: members.mean(axis=0))


def update_medians_empty_nan(X, labels, centers):
    X = np.asarray(X, dtype=float)
    with np.errstate(all="ignore"):
        return np.array([np.median(X[np.asarray(labels) == j], axis=0)
                         for j in range(len(centers))])


def update_medians_lower_middle(X, labels, centers):
    def lower_middle(members):
        ordered = np.sort(members, axis=0)
        return ordered[(len(ordered) - 1) // 2]
    return _per_cluster(X, labels, centers, lower_middle)


def _cosines(X, centers, normalise=True):
    X, C = np.asarray(X, dtype=float), np.asarray(centers, dtype=float)
    if normalise:
        with np.errstate(all="ignore"):
            X = X / np.linalg.norm(X, axis=1, keepdims=True)
            C = C / np.linalg.norm(C, axis=1, keepdims=True)
        X = np.nan_to_num(X)
    return np.sort(X @ C.T, axis=1)


def assignment_margin_raw_products(X, centers):
    top = _cosines(X, centers, normalise=False)
    return top[:, -1] - top[:, -2]


def assignment_margin_second_minus_best(X, centers):
    top = _cosines(X, centers)
    return top[:, -2] - top[:, -1]


def assignment_margin_best_minus_worst(X, centers):
    top = _cosines(X, centers)
    return top[:, -1] - top[:, 0]


# --- 04 and 05: the transfer exercises -------------------------------------------------------


def _ch_terms(X, labels):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    clusters = np.unique(labels)
    means = np.array([X[labels == c].mean(axis=0) for c in clusters])
    sizes = np.array([(labels == c).sum() for c in clusters])
    within = sum(((X[labels == c] - m) ** 2).sum() for c, m in zip(clusters, means))
    spread = ((means - X.mean(axis=0)) ** 2).sum(axis=1)
    return len(X), len(clusters), within, spread, sizes


def calinski_harabasz_plain_ratio(X, labels):
    n, k, within, spread, sizes = _ch_terms(X, labels)
    return float((sizes * spread).sum() / within)


def calinski_harabasz_upside_down(X, labels):
    n, k, within, spread, sizes = _ch_terms(X, labels)
    return float((within / (n - k)) / ((sizes * spread).sum() / (k - 1)))


def calinski_harabasz_means_unweighted(X, labels):
    n, k, within, spread, sizes = _ch_terms(X, labels)
    return float((spread.sum() / (k - 1)) / (within / (n - k)))


def _majority_accuracy(X_fit, y_fit, X_held, y_held, ks, seed, name_on="fit", numbers=False):
    from kmeans_lessons import KMeans, majority_labels

    fit_accuracy, held_accuracy = [], []
    for k in ks:
        model = KMeans(int(k), init="random", n_init=1, random_state=seed).fit(X_fit)
        held_labels = model.predict(X_held)
        names = majority_labels(model.labels_, y_fit, int(k))
        if numbers:
            names = np.arange(int(k))
        # the leak: the held-out samples' clusters named by the held-out labels themselves
        held_names = names if name_on == "fit" else majority_labels(held_labels, y_held, int(k))
        fit_accuracy.append(np.mean(names[model.labels_] == y_fit))
        held_accuracy.append(np.mean(held_names[held_labels] == y_held))
    return np.array(fit_accuracy), np.array(held_accuracy)


def accuracy_by_k_named_on_held(X_fit, y_fit, X_held, y_held, ks, seed=0):
    return _majority_accuracy(X_fit, y_fit, X_held, y_held, ks, seed, name_on="held")


def accuracy_by_k_reversed(X_fit, y_fit, X_held, y_held, ks, seed=0):
    fit_accuracy, held_accuracy = _majority_accuracy(X_fit, y_fit, X_held, y_held, ks, seed)
    return held_accuracy, fit_accuracy


def accuracy_by_k_cluster_numbers(X_fit, y_fit, X_held, y_held, ks, seed=0):
    return _majority_accuracy(X_fit, y_fit, X_held, y_held, ks, seed, numbers=True)


# --- 07 Colour quantisation ------------------------------------------------------------------


def quantise_image_indices(image, palette):
    pixels = np.asarray(image, dtype=float).reshape(-1, np.shape(image)[2])
    return _d2(pixels, palette).argmin(axis=1).reshape(np.shape(image)[:2])


def quantise_image_pixel_list(image, palette):
    pixels = np.asarray(image, dtype=float).reshape(-1, np.shape(image)[2])
    return np.asarray(palette, dtype=float)[_d2(pixels, palette).argmin(axis=1)]


def quantise_image_worst_colour(image, palette):
    pixels = np.asarray(image, dtype=float).reshape(-1, np.shape(image)[2])
    nearest = _d2(pixels, palette).argmax(axis=1)
    return np.asarray(palette, dtype=float)[nearest].reshape(np.shape(image))


def compression_ratio_indices_only(height, width, k):
    return 24 / int(np.ceil(np.log2(k))) if k > 1 else float("inf")


def compression_ratio_log2(height, width, k):
    n = height * width
    return n * 24 / (n * np.log2(k) + k * 24)


def compression_ratio_after_over_before(height, width, k):
    n = height * width
    return (n * int(np.ceil(np.log2(k))) + k * 24) / (n * 24)


def _tile_blocks(image, tiles):
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    k, size, _, c = tiles.shape
    rows, cols = image.shape[0] // size, image.shape[1] // size
    grid = image[:rows * size, :cols * size].reshape(rows, size, cols, size, c)
    blocks = grid.transpose(0, 2, 1, 3, 4).reshape(rows * cols, -1)
    return blocks, tiles.reshape(k, -1), (rows, cols, size, c)


def quantise_blocks_worst_tile(image, tiles):
    blocks, flat, (rows, cols, size, c) = _tile_blocks(image, tiles)
    chosen = np.asarray(tiles, dtype=float)[_d2(blocks, flat).argmax(axis=1)]
    grid = chosen.reshape(rows, cols, size, size, c).transpose(0, 2, 1, 3, 4)
    return grid.reshape(rows * size, cols * size, c)


def quantise_blocks_indices(image, tiles):
    blocks, flat, (rows, cols, size, c) = _tile_blocks(image, tiles)
    return _d2(blocks, flat).argmin(axis=1).reshape(rows, cols)


def quantise_blocks_block_rows(image, tiles):
    blocks, flat, (rows, cols, size, c) = _tile_blocks(image, tiles)
    return flat[_d2(blocks, flat).argmin(axis=1)]


# --- 08 Beyond one machine -------------------------------------------------------------------


def _chunk_parts(X_chunk, centers):
    X_chunk = np.asarray(X_chunk, dtype=float)
    D = _d2(X_chunk, centers)
    labels = D.argmin(axis=1)
    k = len(centers)
    sums = np.array([X_chunk[labels == j].sum(axis=0) for j in range(k)]).reshape(k, -1)
    counts = np.bincount(labels, minlength=k)
    return X_chunk, D, labels, sums, counts


def chunk_statistics_float_counts(X_chunk, centers):
    X_chunk, D, labels, sums, counts = _chunk_parts(X_chunk, centers)
    return sums, counts.astype(float), float(D.min(axis=1).sum())


def chunk_statistics_means(X_chunk, centers):
    X_chunk, D, labels, sums, counts = _chunk_parts(X_chunk, centers)
    means = np.array(centers, dtype=float)
    means[counts > 0] = sums[counts > 0] / counts[counts > 0, None]
    return means, counts, float(D.min(axis=1).sum())


def chunk_statistics_distances(X_chunk, centers):
    X_chunk, D, labels, sums, counts = _chunk_parts(X_chunk, centers)
    return sums, counts, float(np.sqrt(D.min(axis=1)).sum())


def _totals(statistics, centers):
    sums = sum(np.asarray(s, dtype=float) for s, _, _ in statistics)
    counts = sum(np.asarray(c) for _, c, _ in statistics)
    return sums, counts, float(sum(loss for _, _, loss in statistics))


def combine_mean_of_means(statistics, centers):
    means = []
    for chunk_sums, chunk_counts, _ in statistics:
        with np.errstate(all="ignore"):
            counts = np.asarray(chunk_counts)[:, None]
            means.append(np.where(counts > 0, np.asarray(chunk_sums, float) / counts,
                                  np.asarray(centers, float)))
    return np.mean(means, axis=0), float(sum(loss for _, _, loss in statistics))


def combine_sums(statistics, centers):
    sums, counts, loss = _totals(statistics, centers)
    return sums, loss


def combine_empty_nan(statistics, centers):
    sums, counts, loss = _totals(statistics, centers)
    with np.errstate(all="ignore"):
        return sums / counts[:, None], loss


# --- the catalogue ---------------------------------------------------------------------------

WRONG = [
    Wrong("difference_table", difference_table_outer_reversed, "swapped_axes"),
    Wrong("difference_table", difference_table_rows_for_b, "swapped_axes"),
    Wrong("difference_table", difference_table_zeros_like, "integer_truncation"),
    Wrong("difference_table", difference_table_loop, "python_loop"),
    Wrong("row_sums_outer", row_sums_outer_column_sums, "wrong_axis"),
    Wrong("row_sums_outer", row_sums_outer_means, "mean_instead_of_sum"),
    Wrong("row_sums_outer", row_sums_outer_flat, "forgot_keepdims"),
    Wrong("pick_per_row", pick_per_row_all_columns, "full_table"),
    Wrong("pick_per_row", pick_per_row_column_kept, "index_shape",
          not_hints=("full_table",)),
    Wrong("pick_per_row", pick_per_row_take, "flat_index"),
    Wrong("pairwise_sq_dists", pairwise_sq_dists_delegates, "calls_reference", zero=True),
    Wrong("pairwise_sq_dists", pairwise_sq_dists_rooted, "square_rooted"),
    Wrong("pairwise_sq_dists", pairwise_sq_dists_unclipped, "negative_distances"),
    Wrong("pairwise_sq_dists", pairwise_sq_dists_row_pairs, "broadcast_error"),
    Wrong("assign", assign_keepdims, "keepdims"),
    Wrong("assign", assign_farthest, "argmax"),
    Wrong("assign", assign_distances, "min_not_argmin"),
    Wrong("assign", assign_delegates, "calls_reference", zero=True),
    Wrong("init_random", init_random_global_rng, "ignores_rng"),
    Wrong("init_random", init_random_with_replacement, "with_replacement"),
    Wrong("init_random", init_random_first_rows, "not_random"),
    Wrong("init_random", init_random_indices, "returned_indices"),
    Wrong("update_centers", update_centers_nan, "empty_nan"),
    Wrong("update_centers", update_centers_sums, "sum_instead_of_mean"),
    Wrong("update_centers", update_centers_zeros, "empty_zeros"),
    Wrong("inertia", inertia_min_over_samples, "wrong_axis",
          not_hints=("mean_instead_of_sum",)),
    Wrong("inertia", inertia_distances, "square_rooted"),
    Wrong("inertia", inertia_mean, "mean_instead_of_sum"),
    Wrong("inertia", inertia_farthest, "max_instead_of_min"),
    Wrong("kmeans", kmeans_no_max_iter_strict, "did_not_finish"),
    Wrong("kmeans", kmeans_one_update_short, "max_iter_short", not_hints=("never_updated",)),
    Wrong("kmeans", kmeans_no_zero_stop, "zero_loss_stop"),
    Wrong("kmeans", kmeans_stale_labels, "stale_labels", zero=True),
    Wrong("kmeans", kmeans_losses_without_start, "losses_length"),
    Wrong("init_kmeans_pp", init_kmeans_pp_farthest_first, "farthest_not_sampled", zero=True),
    Wrong("init_kmeans_pp", init_kmeans_pp_by_distance, "not_squared", zero=True),
    Wrong("init_kmeans_pp", init_kmeans_pp_weights_never_updated, "weights_not_updated",
          not_hints=("summed_all_centres",)),
    Wrong("init_kmeans_pp", init_kmeans_pp_uniform, "uniform_sampling", zero=True),
    Wrong("init_kmeans_pp", init_kmeans_pp_first_row_first, "first_not_uniform"),
    Wrong("elbow_sweep", elbow_sweep_best_on_validation, "chosen_on_validation"),
    Wrong("elbow_sweep", elbow_sweep_generator_per_k, "generator_per_k"),
    Wrong("elbow_sweep", elbow_sweep_wrong_n, "wrong_n"),
    Wrong("elbow_sweep", elbow_sweep_ignores_n_init, "ignores_n_init"),
    Wrong("elbow_sweep", elbow_sweep_totals, "sum_instead_of_mean"),
    Wrong("contingency_matrix", contingency_matrix_floats, "float_counts"),
    Wrong("contingency_matrix", contingency_matrix_fancy_add, "fancy_index_add"),
    Wrong("contingency_matrix", contingency_matrix_transposed, "transposed"),
    Wrong("contingency_matrix", contingency_matrix_by_value, "label_range"),
    Wrong("purity", purity_per_class, "per_class"),
    Wrong("purity", purity_floor_division, "integer_truncation"),
    Wrong("purity", purity_count, "not_normalised"),
    Wrong("purity", purity_unweighted, "unweighted_mean"),
    Wrong("majority_labels", majority_labels_positions, "positions_not_labels"),
    Wrong("majority_labels", majority_labels_per_sample, "per_sample"),
    Wrong("majority_labels", majority_labels_present_only, "empty_dropped"),
    Wrong("normalize_rows", normalize_rows_columns, "wrong_axis"),
    Wrong("normalize_rows", normalize_rows_squared, "not_square_rooted"),
    Wrong("normalize_rows", normalize_rows_zero_nan, "zero_row_nan"),
    Wrong("normalize_rows", normalize_rows_l1, "l1_norm"),
    Wrong("central_members", central_members_farthest, "farthest"),
    Wrong("central_members", central_members_positions, "local_indices"),
    Wrong("central_members", central_members_transposed, "transposed"),
    Wrong("central_members", central_members_anyone, "not_members"),
    Wrong("scale_each_image", scale_each_image_by_the_brightest_of_all, "global_max"),
    Wrong("scale_each_image", scale_each_image_black_nan, "black_image_nan"),
    Wrong("scale_each_image", scale_each_image_row_by_row, "max_per_line"),
    Wrong("weighted_sq_dists", weighted_sq_dists_weights_ignored, "unweighted"),
    Wrong("weighted_sq_dists", weighted_sq_dists_rooted, "square_rooted"),
    Wrong("weighted_sq_dists", weighted_sq_dists_weights_squared, "weighted_twice"),
    Wrong("update_medians", update_medians_means, "mean_not_median"),
    Wrong("update_medians", update_medians_empty_nan, "empty_nan"),
    Wrong("update_medians", update_medians_lower_middle, "one_middle_value"),
    Wrong("assignment_margin", assignment_margin_raw_products, "not_normalised"),
    Wrong("assignment_margin", assignment_margin_second_minus_best, "reversed"),
    Wrong("assignment_margin", assignment_margin_best_minus_worst, "best_minus_worst"),
    Wrong("calinski_harabasz", calinski_harabasz_plain_ratio, "no_degrees_of_freedom"),
    Wrong("calinski_harabasz", calinski_harabasz_upside_down, "inverted"),
    Wrong("calinski_harabasz", calinski_harabasz_means_unweighted, "unweighted_between"),
    Wrong("accuracy_by_k", accuracy_by_k_named_on_held, "named_by_held_out"),
    Wrong("accuracy_by_k", accuracy_by_k_reversed, "swapped"),
    Wrong("accuracy_by_k", accuracy_by_k_cluster_numbers, "cluster_numbers"),
    Wrong("quantise_image", quantise_image_indices, "returned_labels"),
    Wrong("quantise_image", quantise_image_pixel_list, "flat_pixels"),
    Wrong("quantise_image", quantise_image_worst_colour, "farthest_colour"),
    Wrong("compression_ratio", compression_ratio_indices_only, "no_palette"),
    Wrong("compression_ratio", compression_ratio_log2, "fractional_bits"),
    Wrong("compression_ratio", compression_ratio_after_over_before, "inverted"),
    Wrong("quantise_blocks", quantise_blocks_worst_tile, "farthest_tile"),
    Wrong("quantise_blocks", quantise_blocks_indices, "returned_labels"),
    Wrong("quantise_blocks", quantise_blocks_block_rows, "returned_blocks"),
    Wrong("chunk_statistics", chunk_statistics_float_counts, "counts_as_floats"),
    Wrong("chunk_statistics", chunk_statistics_means, "means_instead_of_sums"),
    Wrong("chunk_statistics", chunk_statistics_distances, "loss_not_squared"),
    Wrong("combine", combine_mean_of_means, "averaged_means"),
    Wrong("combine", combine_sums, "sums_not_divided"),
    Wrong("combine", combine_empty_nan, "empty_nan"),
]


def _param(wrong):
    return pytest.param(wrong, id=f"{wrong.exercise}-{wrong.fn.__name__}")


def test_every_exercise_has_at_least_three_wrong_versions():
    counts = {name: sum(w.exercise == name for w in WRONG) for name in EXERCISES}
    assert min(counts.values()) >= 3, counts


@pytest.mark.parametrize("wrong", [_param(w) for w in WRONG])
def test_a_wrong_version_fails_with_the_hint_that_names_its_mistake(wrong):
    with time_limit(60):  # a hang here is itself a failure of the check, never of the suite
        result = check(wrong.fn, exercise=wrong.exercise)
    assert not result.passed and not result.pending, str(result)
    assert result.score < result.max_score
    assert wrong.hint in result.hints, str(result)
    assert not set(wrong.not_hints) & set(result.hints), str(result)
    if wrong.zero:
        assert result.score == 0, str(result)
