"""Helpers shared by the lesson modules, and the grader's independent yardsticks.

* the randomness and data of the cases (every random number of a check comes from its seed);
* comparators and inputs that exercises of more than one lesson use;
* the yardsticks: plain vectorised solutions that timing cases measure students against, and
  a simulator of k-means runs that make one mistake each, for the kmeans detectors.
"""

import numpy as np

from ..cases import compare_array, compare_labels, compare_number

# --- randomness and data of the cases --------------------------------------------------------


def case_rng(seed, *salt):
    """A generator determined by the grading seed and a per-case salt."""
    return np.random.default_rng([int(seed) % 2**63, *salt])


def blobs(rng, n, d, k, spread=0.5, scale=4.0):
    """n samples around k random centres in d dimensions."""
    centres = rng.normal(scale=scale, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.normal(scale=spread, size=(n, d))


def scaled_atol(*arrays):
    """Absolute tolerance for squared distances: rounding grows with the squared magnitude."""
    scale = max(float(np.abs(np.asarray(a, dtype=float)).max()) for a in arrays) ** 2
    return 1e-11 * max(scale, 1.0)


# --- comparators that several exercises use --------------------------------------------------


def same_array(out, expected, case):
    return compare_array(out, expected)


def same_labels(out, expected, case):
    return compare_labels(out, expected)


def same_number(out, expected, case):
    return compare_number(out, expected)


def close_array(out, expected, case):
    return compare_array(out, expected, rtol=1e-7, atol=1e-12)


# --- inputs shared by pairwise_sq_dists, assign (lesson 02) and inertia (lesson 03) ----------


def distance_inputs(seed):
    """Inputs shared by pairwise_sq_dists, assign and inertia: (label, X, C) triples."""
    rng = case_rng(seed, 4)
    X = rng.normal(size=(12, 3))
    dup = rng.normal(size=(4, 2))
    X_dup = np.concatenate([dup, dup[:2], dup[:1]])
    far = 1e3 + blobs(rng, 10, 2, 3)
    far_wide = 1e3 + rng.normal(size=(30, 20))
    return [
        ("random X (7, 3), C (4, 3)", rng.normal(size=(7, 3)), rng.normal(size=(4, 3))),
        ("as many centres as samples", rng.normal(size=(5, 2)), rng.normal(size=(5, 2))),
        ("one centre (k = 1)", rng.normal(size=(6, 3)), rng.normal(size=(1, 3))),
        ("one feature (d = 1)", rng.normal(size=(6, 1)), rng.normal(size=(3, 1))),
        ("duplicated points, centres on samples", X_dup, X_dup[[0, 1, 2]]),
        ("integer input", rng.integers(-5, 6, size=(6, 2)), rng.integers(-5, 6, size=(3, 2))),
        ("data far from the origin", far, far[[0, 4, 7]] + 0.5),
        # many exact zeros far from the origin, in enough dimensions that a matrix product
        # and a sum round differently: where the expansion's rounding shows
        ("far from the origin, centres on samples", far_wide, far_wide[::-1].copy()),
        ("many features (d = 30)", rng.normal(size=(8, 30)), rng.normal(size=(3, 30))),
        ("a centre nobody is nearest to", X, np.concatenate([X[:2], [[50.0, 50, 50]]])),
    ]


def distance_timing_input(seed):
    rng = case_rng(seed, 5)
    return blobs(rng, 40_000, 2, 4), rng.normal(scale=4, size=(4, 2))


def tie_inputs():
    """Samples exactly halfway between two centres, and two identical centres."""
    X = np.array([[1.0], [3.0], [4.0]])
    C = np.array([[0.0], [2.0], [4.0], [4.0]])
    return X, C


# --- yardsticks: plain solutions for the timing cases ----------------------------------------
# The yardsticks here and the simulator below are deliberately separate from the reference
# library (kmeans_lessons.distances, algorithm, ...), written again the plain way the notebooks
# teach: the grader measures students against them and rebuilds mistaken runs with them, so a
# bug in the reference cannot hide itself behind a yardstick that shares it. Timing cases also
# stay fair however much faster the library's tuned code becomes.


def plain_sq_dists(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    D = (X ** 2).sum(axis=1)[:, np.newaxis] + (C ** 2).sum(axis=1)[np.newaxis, :] - 2 * X @ C.T
    return np.maximum(D, 0)


def plain_assign(X, C):
    return plain_sq_dists(X, C).argmin(axis=1)


def plain_inertia(X, C):
    return float(plain_sq_dists(X, C).min(axis=1).sum())


def plain_update(X, labels, centers):
    X = np.asarray(X, dtype=float)
    k = len(centers)
    counts = np.bincount(labels, minlength=k)
    sums = np.stack([np.bincount(labels, weights=X[:, j], minlength=k)
                     for j in range(X.shape[1])], axis=1)
    new = np.array(centers, dtype=float)
    members = counts > 0
    new[members] = sums[members] / counts[members, np.newaxis]
    return new


def plain_kmeans(X, init_centers, max_iter=100, tol=1e-4):
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    D = plain_sq_dists(X, centers)
    labels, losses = D.argmin(axis=1), [D.min(axis=1).sum()]
    for _ in range(max_iter):
        centers = plain_update(X, labels, centers)
        D = plain_sq_dists(X, centers)
        labels = D.argmin(axis=1)
        losses.append(D.min(axis=1).sum())
        if losses[-1] == 0 or (losses[-2] - losses[-1]) / losses[-1] <= tol:
            break
    return centers, labels, losses


# --- for the detectors: distances by direct differences, and the mistaken-run simulator
# (k-means runs with one rule changed) ----------------------------------------------------


def direct_sq_dists(X, C):
    """Squared distances by direct differences (n, k), exact enough for recognising variants."""
    X, C = np.asarray(X, float), np.asarray(C, float)
    return ((X[:, np.newaxis, :] - C[np.newaxis, :, :]) ** 2).sum(axis=2)


def distance_table(case):
    return direct_sq_dists(case.args[0], case.args[1])


def trajectory(X, C0, steps, empty="keep", integer=False):
    """Centres, labels and J after t = 0..steps updates, with the given empty-cluster rule."""
    centers, all_centers, all_labels, all_losses = C0.copy(), [], [], []
    for t in range(steps + 1):
        if t >= 2 and np.array_equal(centers, all_centers[-1], equal_nan=True):
            # a fixed point: every later step is the same, no need to compute it
            all_centers.append(centers)
            all_labels.append(all_labels[-1])
            all_losses.append(all_losses[-1])
            continue
        D = direct_sq_dists(X, centers)
        labels = D.argmin(axis=1)
        all_centers.append(centers)
        all_labels.append(labels)
        all_losses.append(float(D.min(axis=1).sum()))
        new = centers.copy()
        for j in range(centers.shape[0]):
            mask = labels == j
            if mask.any():
                new[j] = X[mask].mean(axis=0)
            elif empty == "zeros":
                new[j] = 0.0
            elif empty == "nan":
                new[j] = np.nan
        if integer:
            new = np.trunc(new)
        centers = new
    return all_centers, all_labels, all_losses


def stopping_step(losses, max_iter, tol, rule):
    """Number of updates after which a loop with the given stopping rule ends."""
    for t in range(1, max_iter + 1):
        previous, current = losses[t - 1], losses[t]
        if rule == "relative" and (current == 0 or (previous - current) / current <= tol):
            return t
        if rule == "absolute" and previous - current <= tol:
            return t
        if rule == "strict" and current != 0 and (previous - current) / current < tol:
            return t
    return max_iter
