"""check / grade_function: correct solutions in several styles pass, and the report is right.

The solutions below are written the ways students write them: loops over the k centres,
broadcasting, the expansion with a matrix product, the package's own helpers, scikit-learn.
Every one must pass with full marks, including the timing case (loops over k are fine).
"""

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kmeans_lessons
from kmeans_lessons.grading import CHECK_SEED, EXERCISES, CheckResult, check, grade_function
from kmeans_lessons.grading.exercises import CATALOGUE

# --- correct solutions, several styles per exercise ------------------------------------------


def difference_table_broadcast(a, b):
    return np.asarray(a)[:, np.newaxis] - np.asarray(b)


def difference_table_ufunc_outer(a, b):
    return np.subtract.outer(a, b)


def difference_table_loop_over_b(a, b):
    a, b = np.asarray(a), np.asarray(b)
    table = np.empty((a.size, b.size), dtype=np.result_type(a, b))
    for j in range(b.size):
        table[:, j] = a - b[j]
    return table


def difference_table_tiled(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.tile(a, (b.size, 1)).T - np.tile(b, (a.size, 1))


def row_sums_outer_keepdims(A):
    s = np.asarray(A).sum(axis=1, keepdims=True)
    return s @ s.T


def row_sums_outer_np_outer(A):
    s = np.asarray(A, dtype=float).sum(axis=1)
    return np.outer(s, s)


def row_sums_outer_loop_for_sums(A):
    A = np.asarray(A, dtype=float)
    s = np.array([row.sum() for row in A])  # a loop over rows for the sums only: cheap
    return s[:, None] * s[None, :]


def pick_per_row_take_along(X, idx):
    return np.take_along_axis(np.asarray(X), np.asarray(idx)[:, None], axis=1).ravel()


def pick_per_row_fancy(X, idx):
    X = np.asarray(X)
    return X[np.arange(X.shape[0]), idx]


def pick_per_row_loop_over_columns(X, idx):
    X = np.asarray(X, dtype=float)
    picked = np.zeros(X.shape[0])
    for j in range(X.shape[1]):
        picked = np.where(idx == j, X[:, j], picked)
    return picked


def pairwise_broadcast(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)


def pairwise_expansion(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    D = (X ** 2).sum(axis=1)[:, None] + (C ** 2).sum(axis=1)[None, :] - 2 * X @ C.T
    return np.maximum(D, 0)


def pairwise_loop_over_k(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    D = np.empty((X.shape[0], C.shape[0]))
    for j in range(C.shape[0]):
        D[:, j] = ((X - C[j]) ** 2).sum(axis=1)
    return D


def pairwise_einsum(X, C):
    diff = np.asarray(X, dtype=float)[:, None, :] - np.asarray(C, dtype=float)[None]
    return np.einsum("nkd,nkd->nk", diff, diff)


def assign_broadcast(X, C):
    return pairwise_broadcast(X, C).argmin(axis=1)


def assign_expansion(X, C):
    return np.argmin(pairwise_expansion(X, C), axis=1)


def assign_loop_over_k(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    best = np.full(X.shape[0], np.inf)
    labels = np.zeros(X.shape[0], dtype=int)
    for j in range(C.shape[0]):
        d = ((X - C[j]) ** 2).sum(axis=1)
        closer = d < best
        labels[closer], best[closer] = j, d[closer]
    return labels


def init_random_choice(X, k, rng):
    X = np.asarray(X)
    return X[rng.choice(X.shape[0], size=k, replace=False)]


def init_random_permutation(X, k, rng):
    X = np.asarray(X)
    return X[rng.permutation(X.shape[0])[:k]].copy()


def init_random_rows_directly(X, k, rng):
    return rng.choice(np.asarray(X), size=k, replace=False, axis=0)


def update_loop_over_k(X, labels, centers):
    X = np.asarray(X, dtype=float)
    new = np.array(centers, dtype=float)
    for j in range(new.shape[0]):
        members = X[labels == j]
        if len(members) > 0:
            new[j] = members.mean(axis=0)
    return new


def update_add_at(X, labels, centers):
    X = np.asarray(X, dtype=float)
    k = np.shape(centers)[0]
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, X)
    counts = np.bincount(labels, minlength=k)
    return np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centers)


def update_one_hot(X, labels, centers):
    X = np.asarray(X, dtype=float)
    k = np.shape(centers)[0]
    one_hot = (np.asarray(labels)[None, :] == np.arange(k)[:, None]).astype(float)
    counts = one_hot.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = one_hot @ X / counts
    return np.where(counts > 0, means, centers)


def inertia_broadcast(X, C):
    return pairwise_broadcast(X, C).min(axis=1).sum()


def inertia_take_along(X, C):
    D = pairwise_expansion(X, C)
    labels = D.argmin(axis=1)
    return float(np.take_along_axis(D, labels[:, None], axis=1).sum())


def inertia_loop_over_k(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    nearest = np.full(X.shape[0], np.inf)
    for c in C:
        nearest = np.minimum(nearest, ((X - c) ** 2).sum(axis=1))
    return nearest.sum()


def kmeans_own_loop(X, init_centers, max_iter=100, tol=1e-4):
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    D = pairwise_loop_over_k(X, centers)
    labels = D.argmin(axis=1)
    losses = [D.min(axis=1).sum()]
    for _ in range(max_iter):
        centers = update_loop_over_k(X, labels, centers)
        D = pairwise_loop_over_k(X, centers)
        labels = D.argmin(axis=1)
        losses.append(D.min(axis=1).sum())
        if losses[-1] == 0 or (losses[-2] - losses[-1]) / losses[-1] <= tol:
            break
    return centers, labels, losses


def kmeans_package_helpers(X, init_centers, max_iter=100, tol=1e-4):
    from kmeans_lessons import assign, inertia, update_centers

    centers = np.asarray(init_centers, dtype=float)
    labels = assign(X, centers)
    losses = [inertia(X, centers)]
    iteration = 0
    while iteration < max_iter:
        centers = update_centers(X, labels, centers)
        labels = assign(X, centers)
        losses.append(inertia(X, centers))
        iteration += 1
        if losses[-1] == 0 or losses[-2] - losses[-1] <= tol * losses[-1]:
            break
    return centers, labels, losses


def kmeans_broadcast_while(X, init_centers, max_iter=100, tol=1e-4):
    X = np.asarray(X, dtype=float)
    centers = np.asarray(init_centers, dtype=float).copy()
    labels = assign_broadcast(X, centers)
    losses = [inertia_broadcast(X, centers)]
    done = max_iter == 0
    while not done:
        centers = update_one_hot(X, labels, centers)
        labels = assign_broadcast(X, centers)
        losses.append(inertia_broadcast(X, centers))
        decrease = losses[-2] - losses[-1]
        done = (losses[-1] == 0 or decrease / losses[-1] <= tol or len(losses) - 1 >= max_iter)
    return centers, labels, losses


def init_kmeans_pp_choice(X, k, rng):
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    chosen = [rng.integers(n)]
    for _ in range(1, k):
        d2 = pairwise_broadcast(X, X[chosen]).min(axis=1)
        chosen.append(rng.choice(n, p=d2 / d2.sum()))
    return X[chosen]


def init_kmeans_pp_cumsum(X, k, rng):
    X = np.asarray(X, dtype=float)
    centers = [X[rng.integers(X.shape[0])]]
    closest = ((X - centers[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        cumulative = np.cumsum(closest)
        row = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
        centers.append(X[row])
        closest = np.minimum(closest, ((X - X[row]) ** 2).sum(axis=1))
    return np.array(centers)


def init_kmeans_pp_loop(X, k, rng):
    X = np.asarray(X, dtype=float)
    centers = X[rng.choice(X.shape[0], size=1)]
    while centers.shape[0] < k:
        weights = pairwise_expansion(X, centers).min(axis=1)
        pick = rng.choice(X.shape[0], p=weights / weights.sum())
        centers = np.vstack([centers, X[pick]])
    return centers


def elbow_with_package(X_train, X_val, ks, n_init=5, seed=0):
    from kmeans_lessons import inertia, init_kmeans_pp, kmeans

    rng = np.random.default_rng(seed)
    train, val = [], []
    for k in ks:
        best = None
        for _ in range(n_init):
            centers, labels, losses = kmeans(X_train, init_kmeans_pp(X_train, k, rng))
            if best is None or losses[-1] < best[1]:
                best = (centers, losses[-1])
        train.append(best[1] / len(X_train))
        val.append(inertia(X_val, best[0]) / len(X_val))
    return np.array(train), np.array(val)


def elbow_with_sklearn(X_train, X_val, ks, n_init=5, seed=0):
    from sklearn.cluster import KMeans

    train, val = np.zeros(len(ks)), np.zeros(len(ks))
    for i, k in enumerate(ks):
        model = KMeans(n_clusters=int(k), n_init=n_init, random_state=seed).fit(X_train)
        train[i] = model.inertia_ / len(X_train)
        val[i] = -model.score(X_val) / len(X_val)
    return train, val


def elbow_own_functions(X_train, X_val, ks, n_init=5, seed=0):
    rng = np.random.default_rng(seed)
    X_train = np.asarray(X_train, dtype=float)
    train, val = np.empty(len(ks)), np.empty(len(ks))
    for i, k in enumerate(ks):
        runs = [kmeans_own_loop(X_train, init_kmeans_pp_cumsum(X_train, k, rng))
                for _ in range(n_init)]
        centers, labels, losses = min(runs, key=lambda run: run[2][-1])
        train[i] = losses[-1] / X_train.shape[0]
        val[i] = inertia_loop_over_k(X_val, centers) / len(X_val)
    return train, val


def contingency_unique(y_true, y_pred):
    classes, rows = np.unique(y_true, return_inverse=True)
    clusters, cols = np.unique(y_pred, return_inverse=True)
    table = np.zeros((classes.size, clusters.size), dtype=int)
    np.add.at(table, (rows, cols), 1)
    return table


def contingency_loops(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return np.array([[np.sum((y_true == c) & (y_pred == p)) for p in np.unique(y_pred)]
                     for c in np.unique(y_true)])


def contingency_pandas(y_true, y_pred):
    import pandas as pd

    return pd.crosstab(np.asarray(y_true), np.asarray(y_pred)).to_numpy()


def purity_table(y_true, y_pred):
    table = contingency_unique(y_true, y_pred)
    return table.max(axis=0).sum() / table.sum()


def purity_counter(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    majority = 0
    for cluster in np.unique(y_pred):
        majority += Counter(y_true[y_pred == cluster].tolist()).most_common(1)[0][1]
    return majority / len(y_true)


def majority_bincount(cluster_labels, y_true, k):
    y_true = np.asarray(y_true)
    fallback = np.bincount(y_true).argmax()
    return np.array([np.bincount(y_true[cluster_labels == j]).argmax()
                     if np.any(cluster_labels == j) else fallback for j in range(k)])


def majority_unique(cluster_labels, y_true, k):
    classes, index = np.unique(y_true, return_inverse=True)
    counts = np.zeros((k, classes.size), dtype=int)
    np.add.at(counts, (np.asarray(cluster_labels), index), 1)
    result = classes[counts.argmax(axis=1)]
    result[counts.sum(axis=1) == 0] = classes[np.bincount(index).argmax()]
    return result


def normalize_linalg(X):
    X = np.asarray(X, dtype=float)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)


def normalize_maximum(X):
    X = np.asarray(X, dtype=float)
    norms = np.sqrt((X ** 2).sum(axis=1))[:, None]
    return X / np.maximum(norms, 1e-300)


def central_loop_over_k(X, centers, labels, m=3):
    X = np.asarray(X, dtype=float)
    result = -np.ones((len(centers), m), dtype=int)
    for j, centre in enumerate(np.asarray(centers, dtype=float)):
        members = np.flatnonzero(labels == j)
        order = np.argsort(((X[members] - centre) ** 2).sum(axis=1))[:m]
        result[j, :len(order)] = members[order]
    return result


def central_masked_table(X, centers, labels, m=3):
    D = pairwise_expansion(X, centers)
    D[np.asarray(labels)[:, None] != np.arange(len(centers))[None, :]] = np.inf
    order = np.argsort(D, axis=0, kind="stable")[:m].T  # (k, m) nearest rows per centre
    counts = np.bincount(labels, minlength=len(centers))
    padded = np.arange(order.shape[1])[None, :] >= counts[:, None]
    order = np.pad(order, ((0, 0), (0, m - order.shape[1])))
    padded = np.pad(padded, ((0, 0), (0, m - padded.shape[1])), constant_values=True)
    return np.where(padded, -1, order)


# --- 04 calinski_harabasz, 05 accuracy_by_k, 07 colour quantisation (lessons-a) --------------


def calinski_means_loop(X, labels):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    clusters = np.unique(labels)
    overall = X.mean(axis=0)
    within = between = 0.0
    for c in clusters:
        members = X[labels == c]
        mean = members.mean(axis=0)
        within += ((members - mean) ** 2).sum()
        between += len(members) * ((mean - overall) ** 2).sum()
    n, k = len(X), len(clusters)
    return (between / (k - 1)) / (within / (n - k))


def calinski_total_minus_within(X, labels):
    X = np.asarray(X, dtype=float)
    clusters, index = np.unique(labels, return_inverse=True)
    index = index.ravel()
    n, k = len(X), len(clusters)
    one_hot = np.eye(k)[index]  # (n, k)
    means = (one_hot.T @ X) / one_hot.sum(axis=0)[:, None]
    within = ((X - means[index]) ** 2).sum()
    between = ((X - X.mean(axis=0)) ** 2).sum() - within  # total = between + within
    return float((between / (k - 1)) / (within / (n - k)))


def calinski_sklearn(X, labels):
    from sklearn.metrics import calinski_harabasz_score

    return calinski_harabasz_score(np.asarray(X, dtype=float), labels)


def accuracy_with_predict(X_fit, y_fit, X_held, y_held, ks, seed=0):
    from kmeans_lessons import KMeans, majority_labels

    fit, held = np.empty(len(ks)), np.empty(len(ks))
    for i, k in enumerate(ks):
        model = KMeans(n_clusters=int(k), init="random", n_init=1, random_state=seed).fit(X_fit)
        names = majority_labels(model.labels_, y_fit, int(k))
        fit[i] = np.mean(names[model.labels_] == y_fit)
        held[i] = np.mean(names[model.predict(X_held)] == y_held)
    return fit, held


def accuracy_own_majority_and_assign(X_fit, y_fit, X_held, y_held, ks, seed=0):
    from collections import Counter

    from kmeans_lessons import KMeans, assign

    fit, held = [], []
    for k in ks:
        model = KMeans(int(k), init="random", n_init=1, random_state=seed).fit(X_fit)
        names = []
        for j in range(int(k)):
            votes = Counter(np.asarray(y_fit)[model.labels_ == j].tolist())
            best = max(votes.values())
            names.append(min(label for label, count in votes.items() if count == best))
        names = np.array(names)
        fit.append(np.mean(names[model.labels_] == y_fit))
        held.append(np.mean(names[assign(X_held, model.cluster_centers_)] == y_held))
    return np.array(fit), np.array(held)


def quantise_with_assign(image, palette):
    image = np.asarray(image)
    rows = image.reshape(-1, image.shape[-1])
    return np.asarray(palette)[kmeans_lessons.assign(rows, palette)].reshape(image.shape)


def quantise_loop_over_colours(image, palette):
    image, palette = np.asarray(image, dtype=float), np.asarray(palette, dtype=float)
    best = np.full(image.shape[:2], np.inf)
    out = np.empty_like(image)
    for colour in palette:
        distance = ((image - colour) ** 2).sum(axis=2)  # (height, width)
        closer = distance < best
        best[closer] = distance[closer]
        out[closer] = colour
    return out


def quantise_sklearn(image, palette):
    from sklearn.metrics import pairwise_distances_argmin

    image = np.asarray(image, dtype=float)
    rows = image.reshape(-1, image.shape[-1])
    return np.asarray(palette, dtype=float)[pairwise_distances_argmin(rows, palette)].reshape(
        image.shape)


def ratio_ceil_log2(height, width, k):
    import math

    n = height * width
    return 24 * n / (math.ceil(math.log2(k)) * n + 24 * k)


def ratio_bit_length_in_bytes(height, width, k):
    n = height * width
    index_bits = (k - 1).bit_length()
    return (3 * n) / (index_bits * n / 8 + 3 * k)  # the same ratio, counted in bytes


def blocks_transpose(image, tiles):
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    k, size, _, c = tiles.shape
    rows, cols = image.shape[0] // size, image.shape[1] // size
    nearest = kmeans_lessons.assign(kmeans_lessons.image_blocks(image, size), tiles.reshape(k, -1))
    grid = tiles[nearest].reshape(rows, cols, size, size, c)
    return grid.transpose(0, 2, 1, 3, 4).reshape(rows * size, cols * size, c)


def blocks_swapaxes_own_cut(image, tiles):
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    k, s, _, c = tiles.shape
    h, w = image.shape[0] // s * s, image.shape[1] // s * s
    blocks = image[:h, :w].reshape(h // s, s, w // s, s, c).swapaxes(1, 2).reshape(-1, s * s * c)
    flat = tiles.reshape(k, -1)
    nearest = ((blocks[:, None, :] - flat[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    return tiles[nearest].reshape(h // s, w // s, s, s, c).swapaxes(1, 2).reshape(h, w, c)


def blocks_loop_over_tiles(image, tiles):
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    k, s, _, c = tiles.shape
    rows, cols = image.shape[0] // s, image.shape[1] // s
    blocks = kmeans_lessons.image_blocks(image, s)  # (rows * cols, s * s * c)
    distance = np.empty((len(blocks), k))
    for j, tile in enumerate(tiles.reshape(k, -1)):  # a loop over the k tiles is fine
        distance[:, j] = ((blocks - tile) ** 2).sum(axis=1)
    grid = tiles[distance.argmin(axis=1)].reshape(rows, cols, s, s, c)
    return np.concatenate(np.concatenate(grid, axis=1), axis=1)  # rows of tiles, then across

# --- 08 Beyond one machine: the map and the reduce, several correct styles --------------------


def chunk_statistics_broadcast(X_chunk, centers):
    X_chunk, centers = np.asarray(X_chunk, dtype=float), np.asarray(centers, dtype=float)
    D = ((X_chunk[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    labels = D.argmin(axis=1)
    sums = np.stack([X_chunk[labels == j].sum(axis=0) for j in range(len(centers))])
    return sums, np.bincount(labels, minlength=len(centers)), float(D.min(axis=1).sum())


def chunk_statistics_one_hot(X_chunk, centers):
    X_chunk, centers = np.asarray(X_chunk, dtype=float), np.asarray(centers, dtype=float)
    D = (X_chunk ** 2).sum(1)[:, None] + (centers ** 2).sum(1) - 2 * X_chunk @ centers.T
    labels = D.argmin(axis=1)
    one_hot = np.eye(len(centers))[labels]                   # (m, k)
    counts = one_hot.sum(axis=0).astype(int)
    return one_hot.T @ X_chunk, counts, float(np.maximum(D.min(axis=1), 0).sum())


def combine_loop(statistics, centers):
    sums = sum(np.asarray(s, dtype=float) for s, _, _ in statistics)
    counts = sum(np.asarray(c) for _, c, _ in statistics)
    new = np.array(centers, dtype=float)
    new[counts > 0] = sums[counts > 0] / counts[counts > 0][:, None]
    return new, float(sum(loss for _, _, loss in statistics))


def combine_stacked(statistics, centers):
    sums = np.sum([s for s, _, _ in statistics], axis=0)
    counts = np.sum([c for _, c, _ in statistics], axis=0)
    safe = np.maximum(counts, 1)[:, None]
    new = np.where(counts[:, None] > 0, sums / safe, np.asarray(centers, dtype=float))
    return new, float(np.sum([loss for _, _, loss in statistics]))


SOLUTIONS = {
    "difference_table": [difference_table_broadcast, difference_table_ufunc_outer,
                         difference_table_loop_over_b, difference_table_tiled],
    "row_sums_outer": [row_sums_outer_keepdims, row_sums_outer_np_outer,
                       row_sums_outer_loop_for_sums],
    "pick_per_row": [pick_per_row_take_along, pick_per_row_fancy, pick_per_row_loop_over_columns],
    "pairwise_sq_dists": [pairwise_broadcast, pairwise_expansion, pairwise_loop_over_k,
                          pairwise_einsum],
    "assign": [assign_broadcast, assign_expansion, assign_loop_over_k],
    "init_random": [init_random_choice, init_random_permutation, init_random_rows_directly],
    "update_centers": [update_loop_over_k, update_add_at, update_one_hot],
    "inertia": [inertia_broadcast, inertia_take_along, inertia_loop_over_k],
    "kmeans": [kmeans_own_loop, kmeans_package_helpers, kmeans_broadcast_while],
    "init_kmeans_pp": [init_kmeans_pp_choice, init_kmeans_pp_cumsum, init_kmeans_pp_loop],
    "elbow_sweep": [elbow_with_package, elbow_with_sklearn, elbow_own_functions],
    "contingency_matrix": [contingency_unique, contingency_loops, contingency_pandas],
    "purity": [purity_table, purity_counter],
    "majority_labels": [majority_bincount, majority_unique],
    "normalize_rows": [normalize_linalg, normalize_maximum],
    "central_members": [central_loop_over_k, central_masked_table],
    "calinski_harabasz": [calinski_means_loop, calinski_total_minus_within, calinski_sklearn],
    "accuracy_by_k": [accuracy_with_predict, accuracy_own_majority_and_assign],
    "quantise_image": [quantise_with_assign, quantise_loop_over_colours, quantise_sklearn],
    "compression_ratio": [ratio_ceil_log2, ratio_bit_length_in_bytes],
    "quantise_blocks": [blocks_transpose, blocks_swapaxes_own_cut, blocks_loop_over_tiles],
    "chunk_statistics": [chunk_statistics_broadcast, chunk_statistics_one_hot],
    "combine": [combine_loop, combine_stacked],
}


# --- correct styles of the transfer exercises (lessons 01, 02, 03, 06) -----------------------


def scale_keepdims_divide(images):
    images = np.asarray(images, dtype=float)
    brightest = images.max(axis=(1, 2), keepdims=True)
    return np.divide(images, brightest, out=np.zeros_like(images), where=brightest > 0)


def scale_new_axes_where(images):
    images = np.asarray(images, dtype=float)
    brightest = images.reshape(len(images), -1).max(axis=1)[:, None, None]
    return images / np.where(brightest > 0, brightest, 1.0)


def scale_loop_over_images(images):
    scaled = np.zeros(np.shape(images))
    for i, image in enumerate(np.asarray(images, dtype=float)):
        if image.max() > 0:
            scaled[i] = image / image.max()
    return scaled


def weighted_expansion(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    D = ((X ** 2) @ w)[:, None] + (C ** 2) @ w - 2 * (X * w) @ C.T
    return np.maximum(D, 0)


def weighted_rescaled_features(X, C, w):
    scale = np.sqrt(np.asarray(w, dtype=float))  # sqrt(w) * (x - c), squared, is w (x - c)^2
    Xs, Cs = np.asarray(X, dtype=float) * scale, np.asarray(C, dtype=float) * scale
    D = (Xs ** 2).sum(axis=1)[:, None] + (Cs ** 2).sum(axis=1) - 2 * Xs @ Cs.T
    return np.clip(D, 0, None)


def weighted_loop_over_k(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    return np.stack([((X - c) ** 2) @ w for c in C], axis=1)


def medians_loop_over_k(X, labels, centers):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    new = np.array(centers, dtype=float)
    for j in range(len(new)):
        if np.any(labels == j):
            new[j] = np.median(X[labels == j], axis=0)
    return new


def medians_nan_masked(X, labels, centers):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    k = len(centers)
    masked = np.where((labels == np.arange(k)[:, None])[:, :, None], X[None], np.nan)  # (k, n, d)
    has_members = np.any(labels == np.arange(k)[:, None], axis=1)
    new = np.array(centers, dtype=float)
    new[has_members] = np.nanmedian(masked[has_members], axis=1)
    return new


def medians_pandas_groupby(X, labels, centers):
    import pandas as pd

    new = np.array(centers, dtype=float)
    medians = pd.DataFrame(np.asarray(X, dtype=float)).groupby(np.asarray(labels)).median()
    new[medians.index.to_numpy()] = medians.to_numpy()
    return new


def _unit(A):
    A = np.asarray(A, dtype=float)
    lengths = np.linalg.norm(A, axis=1, keepdims=True)
    return np.divide(A, lengths, out=np.zeros_like(A), where=lengths > 0)


def margin_sorted(X, centers):
    top = np.sort(_unit(X) @ _unit(centers).T, axis=1)
    return top[:, -1] - top[:, -2]


def margin_partition(X, centers):
    cosines = _unit(X) @ _unit(centers).T
    k = cosines.shape[1]
    top = np.partition(cosines, (k - 2, k - 1), axis=1)
    return top[:, k - 1] - top[:, k - 2]


def margin_mask_the_best(X, centers):
    cosines = _unit(X) @ _unit(centers).T
    best = cosines.argmax(axis=1)
    runner_up = cosines.copy()
    runner_up[np.arange(len(cosines)), best] = -np.inf
    return cosines.max(axis=1) - runner_up.max(axis=1)


SOLUTIONS.update({
    "scale_each_image": [scale_keepdims_divide, scale_new_axes_where, scale_loop_over_images],
    "weighted_sq_dists": [weighted_expansion, weighted_rescaled_features, weighted_loop_over_k],
    "update_medians": [medians_loop_over_k, medians_nan_masked, medians_pandas_groupby],
    "assignment_margin": [margin_sorted, margin_partition, margin_mask_the_best],
})

CORRECT = [(name, fn) for name, fns in SOLUTIONS.items() for fn in fns]


def test_every_exercise_has_several_correct_styles_here():
    assert set(SOLUTIONS) == set(EXERCISES)
    assert all(len(fns) >= 2 for fns in SOLUTIONS.values())


@pytest.mark.parametrize("name, fn", CORRECT, ids=[fn.__name__ for _, fn in CORRECT])
def test_correct_solutions_pass_with_full_score(name, fn):
    result = check(fn, exercise=name)
    assert result.passed, str(result)
    assert result.score == result.max_score == EXERCISES[name].points
    assert not result.pending and result.hints == []
    assert result.feedback == [f"All {result.n_cases} checks passed."]


@pytest.mark.parametrize("name", list(EXERCISES))
def test_the_reference_passes_its_own_check_under_another_seed(name):
    result = grade_function(name, EXERCISES[name].reference, seed=987654321)
    assert result.passed, str(result)


# --- the registry ----------------------------------------------------------------------------


def test_registry_follows_the_curriculum_and_the_contract():
    assert list(EXERCISES) == [
        "difference_table", "row_sums_outer", "pick_per_row", "scale_each_image",
        "pairwise_sq_dists", "assign", "weighted_sq_dists",
        "init_random", "update_centers", "inertia", "kmeans", "init_kmeans_pp", "update_medians",
        "elbow_sweep", "calinski_harabasz", "contingency_matrix", "purity", "majority_labels",
        "accuracy_by_k", "normalize_rows", "central_members", "assignment_margin",
        "quantise_image", "compression_ratio", "quantise_blocks", "chunk_statistics", "combine"]
    notebooks = [e.notebook for e in EXERCISES.values()]
    assert notebooks == sorted(notebooks)
    for name, exercise in EXERCISES.items():
        assert exercise.name == name and exercise.signature.startswith(name + "(")
        assert exercise.points > 0 and callable(exercise.reference)
    assert sum(e.points for e in EXERCISES.values()) == 205  # with the transfer exercises


@pytest.mark.parametrize("name", list(EXERCISES))
def test_every_exercise_has_visible_and_hidden_cases(name):
    exercise = EXERCISES[name]
    visible = exercise.cases(0, hidden=False)
    everything = exercise.cases(0, hidden=True)
    assert len(visible) >= 2 and not any(case.hidden for case in visible)
    assert len(everything) >= len(visible) + 4
    assert [case.label for case in everything[:len(visible)]] == [c.label for c in visible]
    timing = [case for case in everything if case.timing]
    assert not timing or everything[-1] is timing[0]


def test_hidden_cases_depend_on_the_seed_and_only_on_it():
    exercise = EXERCISES["pairwise_sq_dists"]
    first = [case.args for case in exercise.cases(1, True) if case.hidden]
    again = [case.args for case in exercise.cases(1, True) if case.hidden]
    other = [case.args for case in exercise.cases(2, True) if case.hidden]
    same = [all(np.array_equal(a, b) for a, b in zip(x, y)) for x, y in zip(first, again)]
    assert all(same)
    assert not all(all(np.array_equal(a, b) for a, b in zip(x, y))
                   for x, y in zip(first, other))


@pytest.mark.parametrize("name", ["pairwise_sq_dists", "assign", "update_centers", "inertia",
                                  "kmeans", "normalize_rows", "central_members",
                                  "difference_table", "row_sums_outer", "pick_per_row",
                                  "chunk_statistics",
                                  "weighted_sq_dists", "update_medians", "assignment_margin"])
def test_exercises_with_a_loop_over_samples_risk_have_a_timing_case(name):
    assert any(case.timing for case in EXERCISES[name].cases(0, True))


@pytest.mark.parametrize("name", ["pairwise_sq_dists", "assign", "inertia", "update_centers",
                                  "kmeans"])
def test_edge_cases_are_covered(name):
    labels = " ".join(case.label for case in EXERCISES[name].cases(0, True))
    for words in ["k = 1", "d = 1", "duplicated", "integer", "far from the origin", "speed"]:
        assert words in labels, (name, words)


# --- what a result says ----------------------------------------------------------------------


def test_a_failing_check_lists_one_line_per_failing_case_with_a_hint():
    def pairwise_sq_dists(X, C):
        return np.sqrt(pairwise_broadcast(X, C))

    result = check(pairwise_sq_dists)
    assert not result.passed and not result.pending
    failing = [case for case in result.cases if not case.passed]
    assert len(result.feedback) == len(failing)
    assert result.score == pytest.approx(10 * (result.n_passed / result.n_cases), abs=0.01)
    assert "square_rooted" in result.hints
    assert "Hint:" in result.feedback[0] and "squared distances" in result.feedback[0]
    assert any("(same hint as above)" in line for line in result.feedback[1:])


def test_plain_text_and_html_show_the_same_result():
    result = check(assign_broadcast, exercise="assign")
    text = str(result)
    assert text.startswith("✓ assign: passed, 5/5 points")
    assert repr(result) == text
    html = result._repr_html_()
    assert "assign: passed" in html and "#1a7f37" in html


def test_html_escapes_what_the_student_wrote():
    def assign(X, C):
        raise ValueError("<script>alert('hi')</script> & more")

    html = check(assign)._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&amp; more" in html


def test_student_exceptions_become_feedback_with_the_students_line():
    def update_centers(X, labels, centers):
        means = [X[labels == j].mean(axis=0) for j in range(len(centers))]
        return np.vstack(means) + undefined_name  # noqa: F821 -- the bug under test

    result = check(update_centers)
    assert not result.passed and not result.pending
    line = result.feedback[0]
    assert "NameError" in line and "undefined_name" in line
    assert "return np.vstack(means) + undefined_name" in line
    assert "line " in line


def test_the_line_shown_is_the_students_not_numpys():
    def pick_per_row(X, idx):
        return np.take_along_axis(X, idx, axis=1)

    line = check(pick_per_row).feedback[0]
    assert "np.take_along_axis(X, idx, axis=1)" in line
    assert "same number of dimensions" in line


def test_a_released_stub_is_pending_not_a_failure():
    def kmeans(X, init_centers, max_iter=100, tol=1e-4):
        raise NotImplementedError("Exercise kmeans: replace this line with your solution.")

    result = check(kmeans)
    assert result.pending and not result.passed
    assert result.score == 0 and result.max_score == 15
    assert len(result.feedback) == 1 and "NotImplementedError" in result.feedback[0]
    assert "not attempted yet" in str(result)
    assert "#8a6100" in result._repr_html_()


def test_stubs_of_every_exercise_are_pending():
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise: replace this line with your solution.")

    for name in EXERCISES:
        result = check(stub, exercise=name)
        assert result.pending and result.score == 0, name


def test_mutating_an_input_is_reported_even_when_the_result_is_right():
    def update_centers(X, labels, centers):
        for j in range(len(centers)):
            if np.any(labels == j):
                centers[j] = X[labels == j].mean(axis=0)
        return centers.copy()

    result = check(update_centers)
    assert not result.passed
    assert "mutates_input" in result.hints
    assert any("changed its input `centers` in place" in line for line in result.feedback)


def test_the_callers_arrays_are_never_changed_by_a_check():
    exercise = EXERCISES["normalize_rows"]
    case = exercise.cases(0, False)[0]
    before = case.args[0].copy()

    def normalize_rows(X):
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        return X

    check(normalize_rows)
    np.testing.assert_array_equal(exercise.cases(0, False)[0].args[0], before)


def test_unknown_names_give_an_error_listing_the_exercises():
    def my_distances(X, C):
        return pairwise_broadcast(X, C)

    with pytest.raises(ValueError) as error:
        check(my_distances)
    message = str(error.value)
    assert "'my_distances'" in message and "exercise=" in message
    for name in EXERCISES:
        assert name in message
    assert check(my_distances, exercise="pairwise_sq_dists").passed


def test_passing_a_result_instead_of_the_function_is_explained():
    with pytest.raises(TypeError, match="without calling it"):
        check(np.zeros((3, 2)))


def test_check_is_reachable_from_the_package_top_level():
    assert kmeans_lessons.check is check


def test_the_global_random_state_of_the_session_is_left_alone():
    np.random.seed(5)
    expected = np.random.random()
    np.random.seed(5)
    check(init_random_choice, exercise="init_random")
    assert np.random.random() == expected


def test_the_same_code_gets_the_same_verdict_every_time():
    def init_random(X, k, rng):  # uses the global generator: wrong, but deterministically so
        return np.asarray(X)[np.random.choice(len(X), k, replace=False)]

    first, second = check(init_random), check(init_random)
    assert first.feedback == second.feedback and first.score == second.score


def test_grade_function_uses_the_given_seed_and_can_skip_hidden_cases():
    def inertia(X, C):
        return inertia_broadcast(X, C) if len(X) > 3 else -1.0  # wrong on small inputs only

    visible = grade_function("inertia", inertia, seed=1, hidden=False)
    assert visible.n_cases == len(EXERCISES["inertia"].cases(1, False))
    full = grade_function("inertia", inertia, seed=1)
    assert full.n_cases > visible.n_cases
    assert isinstance(full, CheckResult) and 0 < full.score < full.max_score
    assert full.to_dict()["exercise"] == "inertia"
    assert grade_function("inertia", inertia, seed=1).to_dict() == full.to_dict()


def test_grade_function_reports_a_missing_function_as_pending():
    result = grade_function("assign", None, seed=3)
    assert result.pending and result.score == 0 and "No function named assign" in \
        result.feedback[0]


def test_check_uses_the_fixed_check_seed_by_default():
    result = check(assign_broadcast, exercise="assign")
    assert result.to_dict() == grade_function("assign", assign_broadcast,
                                              seed=CHECK_SEED).to_dict()


def test_every_catalogued_exercise_is_a_registered_exercise():
    assert set(CATALOGUE) == set(EXERCISES)


# --- the timing case -------------------------------------------------------------------------


def test_a_python_loop_over_samples_is_caught_and_a_loop_over_k_is_not():
    def assign(X, C):
        X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
        return np.array([int(((C - x) ** 2).sum(axis=1).argmin()) for x in X])

    slow = check(assign)
    assert not slow.passed
    assert slow.hints == ["python_loop"]
    assert slow.n_passed == slow.n_cases - 1
    assert "too slow" in slow.feedback[0] and "Python loop over the samples" in slow.feedback[0]
    assert check(assign_loop_over_k, exercise="assign").passed


def test_the_timing_case_waits_until_the_results_are_right():
    def assign(X, C):
        return pairwise_broadcast(X, C).argmax(axis=1)

    result = check(assign)
    timing = [case for case in result.cases if case.skipped]
    assert len(timing) == 1 and not timing[0].passed
    assert "not measured until the other checks pass" in result.feedback[-1]


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=2**40))
def test_any_seed_gives_a_correct_solution_full_marks(seed):
    for name, fn in [("pairwise_sq_dists", pairwise_expansion), ("assign", assign_loop_over_k),
                     ("update_centers", update_add_at), ("purity", purity_counter)]:
        result = grade_function(name, fn, seed=seed)
        assert result.passed, (seed, str(result))


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=2**40))
def test_any_seed_gives_a_correct_kmeans_full_marks(seed):
    result = grade_function("kmeans", kmeans_own_loop, seed=seed)
    assert result.passed, (seed, str(result))


def test_the_one_scoring_rule():
    from kmeans_lessons.grading.cases import CaseResult
    from kmeans_lessons.grading.scoring import case_points, points

    assert points(10, 1, 3) == 3.33
    assert points(5, 7, 4) == 5.0 and points(5, -1, 4) == 0.0 and points(5, 1, 0) == 0.0
    assert points(15, 0.5) == 7.5  # a share of 1
    results = [CaseResult("visible", True), CaseResult("hidden", True, hidden=True),
               CaseResult("hidden 2", False, hidden=True)]
    assert case_points(6, results) == 4.0
    assert case_points(6, results, hidden_only=True) == 3.0
    assert case_points(10, results[:2] + results[1:], hidden_only=True, rounded=False) == 20 / 3
