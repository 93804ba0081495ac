"""Lesson 05, MNIST: contingency_matrix, purity, majority_labels, accuracy_by_k.

For each exercise: its cases, its comparator, the detectors of its usual mistakes, and its
registry entry (points and the mistakes with their hints).
"""

import numpy as np

from ... import classify, metrics
from ...algorithm import KMeans
from ..cases import OutputCase, compare_array
from ..hints import Mistake, as_numbers, close, shows
from . import Exercise
from ._common import case_rng, same_labels, same_number


# --- contingency_matrix(y_true, y_pred) ------------------------------------------------------


def _contingency_cases(seed, hidden):
    cases = [
        OutputCase("3 classes, 2 clusters",
                   (np.array([0, 0, 1, 1, 2]), np.array([1, 1, 0, 1, 0]))),
        OutputCase("labels that do not start at 0",
                   (np.array([3, 3, 7, 7, 7]), np.array([5, 2, 2, 2, 9]))),
    ]
    if hidden:
        rng = case_rng(seed, 13)
        y = rng.integers(10, size=80)
        cases += [
            OutputCase("10 classes, 4 clusters", (y, rng.integers(4, size=80)), hidden=True),
            OutputCase("one cluster (k = 1)", (y, np.zeros(80, dtype=int)), hidden=True),
            OutputCase("a cluster label that is never used",
                       (rng.integers(3, size=30), rng.choice([0, 2, 3], size=30)), hidden=True),
            OutputCase("as many clusters as classes",
                       (rng.integers(4, size=40), rng.integers(4, size=40)), hidden=True),
            OutputCase("a perfect clustering", (y, (y + 3) % 10), hidden=True),
        ]
    return cases


def _compare_counts(out, expected, case):
    return compare_array(out, expected, rtol=0, atol=0)


def _contingency_transposed(out, case):
    return shows(out, np.asarray(case.expected).T, case)


def _contingency_label_range(out, case):
    y_true, y_pred = np.asarray(case.args[0]), np.asarray(case.args[1])
    expected = np.asarray(case.expected)
    values = as_numbers(out)
    for rows, columns in ((np.unique(y_true), np.unique(y_pred)),
                          (np.unique(y_pred), np.unique(y_true))):
        if values.ndim == 2 and values.shape[0] > rows.max() and values.shape[1] > columns.max() \
                and values.shape != expected.shape and rows.min() >= 0 and columns.min() >= 0:
            inner = values[np.ix_(rows, columns)]
            if close(inner, expected) or close(inner, expected.T):
                return True
    return False


CONTINGENCY_MATRIX = Exercise(
    name="contingency_matrix",
    notebook="05_mnist",
    points=5,
    signature="contingency_matrix(y_true, y_pred)",
    summary="(n_classes, n_clusters) counts of every class in every cluster",
    params=("y_true", "y_pred"),
    reference=metrics.contingency_matrix,
    compare=_compare_counts,
    build=_contingency_cases,
    mistakes=(
        Mistake("transposed",
                "The table is transposed: rows are the true classes, columns the clusters.",
                _contingency_transposed),
        Mistake("label_range",
                "Your table has rows or columns for labels that never occur (or misses some): "
                "one row per class that appears, one column per cluster that appears, in sorted "
                "order.", _contingency_label_range),
    ),
)


# --- purity(y_true, y_pred) ------------------------------------------------------------------


def _purity_cases(seed, hidden):
    cases = [
        OutputCase("6 samples: purity 4/6",
                   (np.array([0, 0, 0, 1, 1, 2]), np.array([0, 0, 1, 1, 1, 1]))),
        OutputCase("a perfect clustering", (np.array([1, 1, 2, 2]), np.array([0, 0, 1, 1]))),
    ]
    if hidden:
        rng = case_rng(seed, 14)
        y = rng.integers(10, size=90)
        cases += [
            OutputCase("10 classes, 4 clusters", (y, rng.integers(4, size=90)), hidden=True),
            OutputCase("3 classes, 12 clusters", (rng.integers(3, size=90),
                                                  rng.integers(12, size=90)), hidden=True),
            OutputCase("one cluster (k = 1)", (y, np.zeros(90, dtype=int)), hidden=True),
            OutputCase("clusters of very different sizes",
                       (np.array([0] * 20 + [1] * 3 + [2] * 2), np.array([0] * 23 + [1] * 2))
                       , hidden=True),
        ]
    return cases


def _table(case):
    return metrics.contingency_matrix(case.args[0], case.args[1])


def _purity_values(case):
    table = _table(case)
    n = table.sum()
    return table, n


def _purity_per_class(out, case):
    table, n = _purity_values(case)
    return shows(out, table.max(axis=1).sum() / n, case)


def _purity_truncated(out, case):
    value = case.expected
    try:
        got = float(np.asarray(out))
    except Exception:
        return False
    return (isinstance(out, (int, np.integer)) or np.asarray(out).dtype.kind in "iu") and \
        got == np.floor(value) != value


def _purity_count(out, case):
    table, n = _purity_values(case)
    return n > 1 and shows(out, table.max(axis=0).sum(), case)


def _purity_unweighted(out, case):
    table, n = _purity_values(case)
    return shows(out, (table.max(axis=0) / table.sum(axis=0)).mean(), case)


def _purity_array(out, case):
    table, n = _purity_values(case)
    per_cluster = table.max(axis=0) / table.sum(axis=0)
    per_class = table.max(axis=1) / table.sum(axis=1)
    return np.ndim(out) == 1 and (close(out, per_cluster) or close(out, per_class))


PURITY = Exercise(
    name="purity",
    notebook="05_mnist",
    points=5,
    signature="purity(y_true, y_pred)",
    summary="share of samples in their cluster's majority class",
    params=("y_true", "y_pred"),
    reference=metrics.purity,
    compare=same_number,
    build=_purity_cases,
    mistakes=(
        Mistake("per_class",
                "Purity was computed per class (the largest count in each row); it is computed "
                "per cluster: the largest count in each cluster's column.", _purity_per_class),
        Mistake("integer_truncation",
                "The answer was cut to a whole number (integer division?); purity is a fraction "
                "between 0 and 1.", _purity_truncated),
        Mistake("not_normalised",
                "That is a count of samples; purity is a share of the samples, between 0 and 1.",
                _purity_count),
        Mistake("unweighted_mean",
                "You averaged the clusters' purities as if every cluster were the same size; "
                "purity counts samples, so big clusters weigh more.", _purity_unweighted),
        Mistake("per_cluster_array",
                "You returned one value per cluster (or class); the exercise asks for one "
                "number for the whole clustering.", _purity_array),
    ),
)


# --- majority_labels(cluster_labels, y_true, k) ----------------------------------------------


def _majority_cases(seed, hidden):
    cases = [
        OutputCase("two clusters", (np.array([0, 0, 1, 1, 1]), np.array([7, 7, 3, 3, 9]), 2)),
        OutputCase("cluster 1 empty: the most common label overall",
                   (np.array([0, 0, 0, 2]), np.array([1, 1, 5, 4]), 3)),
    ]
    if hidden:
        rng = case_rng(seed, 15)
        clusters = rng.integers(5, size=60)
        digits = (clusters * 2 + (rng.random(60) < 0.3) * rng.integers(10, size=60)) % 10
        cases += [
            OutputCase("5 clusters, 10 digits", (clusters, digits, 5), hidden=True),
            OutputCase("one cluster (k = 1)", (np.zeros(60, dtype=int), digits, 1), hidden=True),
            OutputCase("ties go to the smallest label",
                       (np.array([0, 0, 0, 0, 1, 1]), np.array([8, 3, 8, 3, 6, 2]), 2),
                       hidden=True),
            OutputCase("two empty clusters", (np.where(clusters > 2, 0, clusters), digits + 1, 5),
                       hidden=True),
            OutputCase("labels stored as uint8", (clusters, digits.astype(np.uint8), 5),
                       hidden=True),
        ]
    return cases


def _majority_inputs(case):
    cluster_labels, y_true, k = case.args
    return np.asarray(cluster_labels).astype(int), np.asarray(y_true), int(k)


def _majority_wrong_axis(out, case):
    cluster_labels, y_true, k = _majority_inputs(case)
    table = metrics.contingency_matrix(y_true, cluster_labels)
    clusters = np.unique(cluster_labels)
    per_class = clusters[table.argmax(axis=1)]
    return np.shape(out) != (k,) and close(out, per_class)


def _majority_empty_dropped(out, case):
    cluster_labels, y_true, k = _majority_inputs(case)
    present = np.unique(cluster_labels)
    return present.size < k and close(out, np.asarray(case.expected)[present])


def _majority_empty(out, case):
    cluster_labels, y_true, k = _majority_inputs(case)
    empty = np.setdiff1d(np.arange(k), cluster_labels)
    values = as_numbers(out)
    if not empty.size or values.shape != (k,):
        return False
    wrong = values != np.asarray(case.expected)
    return bool(wrong.any()) and bool(np.isin(np.flatnonzero(wrong), empty).all())


def _majority_ties(out, case):
    cluster_labels, y_true, k = _majority_inputs(case)
    values = as_numbers(out)
    if values.shape != (k,):
        return False
    wrong = np.flatnonzero(values != np.asarray(case.expected))
    if not wrong.size:
        return False
    for j in wrong:
        members = y_true[cluster_labels == j]
        if not members.size:
            return False
        labels, counts = np.unique(members, return_counts=True)
        tied = labels[counts == counts.max()]
        if tied.size < 2 or values[j] not in tied:
            return False
    return True


def _majority_per_sample(out, case):
    cluster_labels, y_true, k = _majority_inputs(case)
    return np.shape(out) == cluster_labels.shape and close(
        out, np.asarray(case.expected)[cluster_labels])


MAJORITY_LABELS = Exercise(
    name="majority_labels",
    notebook="05_mnist",
    points=5,
    signature="majority_labels(cluster_labels, y_true, k)",
    summary="(k,) most common true label in every cluster",
    params=("cluster_labels", "y_true", "k"),
    reference=classify.majority_labels,
    compare=same_labels,
    build=_majority_cases,
    mistakes=(
        Mistake("wrong_axis",
                "You found the most common cluster of each label; the exercise wants the most "
                "common label in each cluster.", _majority_wrong_axis),
        Mistake("per_sample",
                "You returned a label for every sample; return one label per cluster (the "
                "prediction for sample i is then majority[cluster_labels[i]]).",
                _majority_per_sample),
        Mistake("empty_dropped",
                "A cluster without members is missing from the result: return k labels, one per "
                "cluster, even for empty ones.", _majority_empty_dropped),
        Mistake("empty_cluster",
                "A cluster without members should get the most common label of all the samples.",
                _majority_empty),
        Mistake("ties",
                "On a tie between labels, pick the smallest label.", _majority_ties),
    ),
)


# --- accuracy_by_k(X_fit, y_fit, X_held, y_held, ks, seed=0) ---------------------------------
# The transfer exercise of lesson 05: the majority-label classifier measured on held-out data
# against k. The fits are the package's KMeans with a fixed seed, so a correct answer is exact;
# the detectors rebuild each mistaken pipeline with the same fits.


def _accuracy_data(rng, n, groups=4, d=2):
    centres = rng.normal(scale=5, size=(groups, d))
    labels = rng.integers(groups, size=n)
    return centres[labels] + rng.normal(size=(n, d)), labels


def _accuracy_cases(seed, hidden):
    far = np.array([[0.0, 0.0], [20.0, 0.0]])
    rng = case_rng(0, 75)
    X, y = _accuracy_data(rng, 60, groups=3)
    cases = [
        OutputCase("two samples far apart, ks = [1, 2]",
                   (far, np.array([7, 3]), np.array([[0.5, 0.5], [19.0, 0.0]]), np.array([7, 3]),
                    [1, 2])),
        OutputCase("three groups, ks = [1, 3, 6]", (X[:40], y[:40], X[40:], y[40:], [1, 3, 6])),
    ]
    if hidden:
        rng = case_rng(seed, 76)
        X, y = _accuracy_data(rng, 150)
        X_fit, y_fit, X_held, y_held = X[:100], y[:100], X[100:], y[100:]
        cases += [
            OutputCase("four groups, ks = [2, 4, 8]", (X_fit, y_fit, X_held, y_held, [2, 4, 8]),
                       hidden=True),
            OutputCase("k = n_fit: every sample its own cluster",
                       (X_fit, y_fit, X_held, y_held, [100]), hidden=True),
            OutputCase("labels 3, 7, 11 and 20", (X_fit, np.array([3, 7, 11, 20])[y_fit], X_held,
                                                  np.array([3, 7, 11, 20])[y_held], [4, 10]),
                       hidden=True),
            OutputCase("ks as an array, seed = 3", (X_fit, y_fit, X_held, y_held,
                                                    np.array([5, 3])), {"seed": 3}, hidden=True),
            OutputCase("one feature (d = 1)", (X_fit[:, :1], y_fit, X_held[:, :1], y_held, [3]),
                       hidden=True),
        ]
    return cases


def _compare_accuracies(out, expected, case):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return (f"expected two arrays (fit_accuracy, held_accuracy), got "
                f"{type(out).__name__}" + (f" of length {len(out)}" if hasattr(out, "__len__")
                                           else ""))
    for name, got, want in zip(("fit_accuracy", "held_accuracy"), out, expected):
        problem = compare_array(got, want, rtol=1e-12, atol=1e-12)
        if problem:
            return f"{name}: {problem}"
    return None


def _accuracy_variants(case, *, init="random", n_init=1):
    """Per k: the fitted model and the names given by the fitting labels."""
    X_fit, y_fit, X_held, y_held, ks = case.args
    seed = case.kwargs.get("seed", 0)
    for k in np.asarray(ks).ravel():
        model = KMeans(int(k), init=init, n_init=n_init, random_state=seed).fit(X_fit)
        yield int(k), model, classify.majority_labels(model.labels_, y_fit, int(k))


def _accuracy_pair(out):
    fit, held = out
    return as_numbers(fit), as_numbers(held)


def _accuracy_shows(out, variant, case):
    fit, held = _accuracy_pair(out)
    expected_fit, expected_held = (np.asarray(a) for a in case.expected)
    variant_fit, variant_held = (np.asarray(a) for a in variant)
    return close(fit, variant_fit) and close(held, variant_held) and not (
        close(variant_fit, expected_fit) and close(variant_held, expected_held))


def _accuracy_named_by_held(out, case):
    X_fit, y_fit, X_held, y_held, ks = case.args
    fit, held = [], []
    for k, model, names in _accuracy_variants(case):
        predicted = model.predict(X_held)
        fit.append(np.mean(names[model.labels_] == y_fit))
        held_names = classify.majority_labels(predicted, y_held, k)  # the held-out labels leak
        held.append(np.mean(held_names[predicted] == y_held))
    return _accuracy_shows(out, (fit, held), case)


def _accuracy_swapped(out, case):
    expected_fit, expected_held = case.expected
    return _accuracy_shows(out, (expected_held, expected_fit), case)


def _accuracy_cluster_numbers(out, case):
    X_fit, y_fit, X_held, y_held, ks = case.args
    fit, held = [], []
    for k, model, names in _accuracy_variants(case):
        fit.append(np.mean(model.labels_ == y_fit))
        held.append(np.mean(model.predict(X_held) == y_held))
    return _accuracy_shows(out, (fit, held), case)


def _accuracy_refit(out, case):
    X_fit, y_fit, X_held, y_held, ks = case.args
    seed = case.kwargs.get("seed", 0)
    fit, held = [], []
    for k, model, names in _accuracy_variants(case):
        fit.append(np.mean(names[model.labels_] == y_fit))
        k_held = min(k, len(X_held))
        again = KMeans(k_held, init="random", n_init=1, random_state=seed).fit(X_held)
        held.append(np.mean(classify.majority_labels(again.labels_, y_held, k_held)
                            [again.labels_] == y_held))
    return _accuracy_shows(out, (fit, held), case)


def _accuracy_other_start(out, case):
    X_fit, y_fit, X_held, y_held, ks = case.args
    for options in ({"init": "k-means++"}, {"n_init": 10}, {"init": "k-means++", "n_init": 10}):
        fit, held = [], []
        for k, model, names in _accuracy_variants(case, **options):
            fit.append(np.mean(names[model.labels_] == y_fit))
            held.append(np.mean(names[model.predict(X_held)] == y_held))
        if _accuracy_shows(out, (fit, held), case):
            return True
    return False


ACCURACY_BY_K = Exercise(
    name="accuracy_by_k",
    notebook="05_mnist",
    points=5,
    signature="accuracy_by_k(X_fit, y_fit, X_held, y_held, ks, seed=0)",
    summary="(fit_accuracy, held_accuracy), each (len(ks),), of the majority-label classifier",
    params=("X_fit", "y_fit", "X_held", "y_held", "ks", "seed"),
    reference=classify.accuracy_by_k,
    compare=_compare_accuracies,
    build=_accuracy_cases,
    mistakes=(
        Mistake("named_by_held_out",
                "The clusters were named with the held-out labels: those may only be used to "
                "score. Name every cluster by the majority of its fitting samples, then predict "
                "the held-out samples with those names.", _accuracy_named_by_held),
        Mistake("swapped",
                "The two arrays are swapped: return the accuracy on the fitting data first, "
                "then the one on the held-out data.", _accuracy_swapped),
        Mistake("cluster_numbers",
                "Cluster numbers were compared with the true labels directly; a cluster's "
                "number is arbitrary, so name every cluster by its majority label first.",
                _accuracy_cluster_numbers),
        Mistake("refit_on_held_out",
                "k-means was run again on the held-out data: the held-out samples must be "
                "predicted with the clusters learned from the fitting data (their nearest "
                "fitted centre).", _accuracy_refit),
        Mistake("other_start",
                "The fits differ from the ones asked for: use one start from random samples "
                "(init=\"random\", n_init=1) and random_state=seed for every k.",
                _accuracy_other_start),
    ),
)


EXERCISES = (CONTINGENCY_MATRIX, PURITY, MAJORITY_LABELS, ACCURACY_BY_K)
