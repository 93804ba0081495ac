"""Lesson 04, elbow curves: elbow_sweep, calinski_harabasz.

Its cases, its comparator, the detectors of its usual mistakes and its registry entry. A sweep
is random, so the cases compare within a tolerance and a probe checks the seed contract; the
detectors recognise a mistake exactly where ``ks`` holds 1 (the centre is then the mean).
"""

import numpy as np

from ... import selection
from ..cases import OutputCase, ProbeCase, compare_array
from ..hints import Mistake, as_numbers, shows
from . import Exercise
from ._common import case_rng, same_number


# --- elbow_sweep(X_train, X_val, ks, n_init=5, seed=0) ---------------------------------------


def _elbow_data(rng, n):
    """Four tight groups on a line at 0, 2, 40 and 50: for k = 1..4 the best clustering is
    clear-cut, so every correct sweep (whatever its random starts) finds the same losses."""
    positions = np.array([0.0, 2.0, 40.0, 50.0])
    X = rng.normal(scale=0.3, size=(n, 2))
    X[:, 0] += positions[np.arange(n) % 4]
    return X


def _elbow_reproducible(X_train, X_val, ks):
    """Same seed, same losses -- on data without groups (uniform noise) and one start per k,
    where every start ends somewhere else, so a sweep that ignores ``seed`` shows it."""
    def check(call, case):
        first = call(X_train, X_val, ks, 1, 11)
        second = call(X_train, X_val, ks, 1, 11)
        try:
            same = all(np.array_equal(np.asarray(a), np.asarray(b))
                       for a, b in zip(first, second))
        except Exception:
            return None  # the output itself is judged by the other cases
        if not same:
            return "two sweeps with seed = 11 gave different losses", "ignores_seed"
        return None
    return check


def _elbow_cases(seed, hidden):
    rng = case_rng(0, 11)
    X = rng.normal(size=(12, 2))
    cases = [
        OutputCase("ks = [1]: the centre is the mean", (X[:8], X[8:], [1])),
        OutputCase("ks = [1, 2, 4] on four clear groups",
                   (_elbow_data(rng, 80), _elbow_data(rng, 40), [1, 2, 4])),
    ]
    if hidden:
        rng = case_rng(seed, 12)
        X_train, X_val = _elbow_data(rng, 160), _elbow_data(rng, 60)
        cases += [
            OutputCase("ks = [1, 2, 3, 4]", (X_train, X_val, [1, 2, 3, 4]), hidden=True),
            OutputCase("ks in another order, n_init = 3",
                       (X_train, X_val, np.array([4, 1, 3])), {"n_init": 3, "seed": 5},
                       hidden=True),
            OutputCase("one feature (d = 1)", (X_train[:, :1], X_val[:, :1], [1, 2]),
                       hidden=True),
            OutputCase("integer input", (np.round(X_train * 10).astype(int),
                                         np.round(X_val * 10).astype(int), [1, 4]),
                       hidden=True),
            OutputCase("data far from the origin", (X_train + 1e3, X_val + 1e3, [1, 2, 4]),
                       hidden=True),
            ProbeCase("the same seed gives the same losses",
                      _elbow_reproducible(rng.random((120, 2)), rng.random((40, 2)), [5, 8]),
                      hidden=True),
        ]
    return cases


def _compare_elbow(out, expected, case):
    """Exact for k = 1 (the centre is the mean); within 0.5% otherwise, because a correct
    sweep may stop its runs by another rule (scikit-learn's, say) a hair before the fixed
    point. Every catalogued mistake is off by far more, and shows exactly at k = 1."""
    try:
        train, val = out
    except Exception:
        return (f"returned {type(out).__name__}; elbow_sweep should return two arrays, "
                f"train_loss and val_loss")
    ks = np.asarray(case.args[2])
    for name, got, wanted in (("train_loss", train, expected[0]), ("val_loss", val, expected[1])):
        problem = compare_array(got, wanted, rtol=5e-3, atol=1e-12)
        if problem is None:
            ones = ks == 1
            problem = compare_array(np.asarray(got)[ones], wanted[ones], rtol=1e-6, atol=1e-12)
        if problem:
            return f"{name}: {problem}"
    return None


def _elbow_out(out):
    train, val = out
    if isinstance(train, (list, tuple)) or isinstance(val, (list, tuple)):
        raise TypeError("lists")
    return as_numbers(train), as_numbers(val)


def _elbow_k1(case):
    """Per-sample squared distances for k = 1: train to its mean, val to the train mean, val to
    its own mean; and the positions of k = 1 in ks."""
    X_train, X_val = as_numbers(case.args[0]), as_numbers(case.args[1])
    ks = np.asarray(case.args[2])
    centre = X_train.mean(axis=0)
    return (np.flatnonzero(ks == 1), ((X_train - centre) ** 2).sum(axis=1),
            ((X_val - centre) ** 2).sum(axis=1), ((X_val - X_val.mean(axis=0)) ** 2).sum(axis=1))


def _elbow_shows(out, case, train_variants, val_variants):
    """At k = 1 the student's train (val) loss equals one of the variants and is wrong."""
    train, val = _elbow_out(out)
    ones, d_train, d_val, d_refit = _elbow_k1(case)
    if not ones.size or train.shape != np.shape(case.args[2]) or val.shape != train.shape:
        return False
    right_train, right_val = d_train.mean(), d_val.mean()
    got_train, got_val = train[ones], val[ones]
    train_hit = any(np.allclose(got_train, v, rtol=1e-6) and not np.isclose(v, right_train)
                    for v in train_variants(d_train, d_val, d_refit))
    val_hit = any(np.allclose(got_val, v, rtol=1e-6) and not np.isclose(v, right_val)
                  for v in val_variants(d_train, d_val, d_refit))
    return train_hit or val_hit


def _elbow_not_pair(out, case):
    try:
        train, val = out
        return False
    except Exception:
        return True


def _elbow_lists(out, case):
    train, val = out
    return isinstance(train, (list, tuple)) or isinstance(val, (list, tuple))


def _elbow_sum(out, case):
    return _elbow_shows(out, case, lambda t, v, r: [t.sum()], lambda t, v, r: [v.sum()])


def _elbow_refit(out, case):
    return _elbow_shows(out, case, lambda t, v, r: [], lambda t, v, r: [r.mean()])


def _elbow_swapped(out, case):
    train, val = _elbow_out(out)
    ones, d_train, d_val, d_refit = _elbow_k1(case)
    return (bool(ones.size) and not np.isclose(d_train.mean(), d_val.mean())
            and np.allclose(train[ones], d_val.mean()) and np.allclose(val[ones], d_train.mean()))


def _elbow_sqrt(out, case):
    return _elbow_shows(out, case, lambda t, v, r: [np.sqrt(t).mean()],
                        lambda t, v, r: [np.sqrt(v).mean()])


ELBOW_SWEEP = Exercise(
    name="elbow_sweep",
    notebook="04_elbow_curves",
    points=10,
    signature="elbow_sweep(X_train, X_val, ks, n_init=5, seed=0)",
    summary="mean loss per sample on train and validation data for every k",
    params=("X_train", "X_val", "ks", "n_init", "seed"),
    reference=selection.elbow_sweep,
    compare=_compare_elbow,
    build=_elbow_cases,
    mistakes=(
        Mistake("return_pair",
                "elbow_sweep should return two arrays: `return train_loss, val_loss`.",
                _elbow_not_pair),
        Mistake("list_not_array", None, _elbow_lists),
        Mistake("sum_instead_of_mean",
                "These are total losses; the curves use the mean loss per sample (J divided by "
                "the number of samples), so that training and validation compare.", _elbow_sum),
        Mistake("val_refit",
                "The validation loss comes from centres fitted to the validation data; it must "
                "use the centres learned on X_train.", _elbow_refit),
        Mistake("train_val_swapped",
                "The training and validation losses are swapped.", _elbow_swapped),
        Mistake("square_rooted",
                "The losses are mean distances, not mean squared distances.", _elbow_sqrt),
        Mistake("ignores_seed",
                "Two sweeps with the same seed gave different losses: draw every start from a "
                "generator made from `seed` (np.random.default_rng(seed))."),
    ),
)


# --- calinski_harabasz(X, labels) ------------------------------------------------------------
# The transfer exercise of lesson 04: a criterion for k that the student implements from its
# definition. The detectors rebuild each mistaken formula from the case's inputs.


def _calinski_cases(seed, hidden):
    cases = [
        OutputCase("clusters {0, 2} and {10, 12} on a line: score 50",
                   (np.array([[0.0], [2.0], [10.0], [12.0]]), np.array([0, 0, 1, 1]))),
        OutputCase("three clusters in the plane",
                   (np.array([[0.0, 0], [1, 0], [0, 1], [5, 5], [6, 5], [9, 0], [9, 1], [8, 0]]),
                    np.array([0, 0, 0, 1, 1, 2, 2, 2]))),
    ]
    if hidden:
        rng = case_rng(seed, 74)
        groups = rng.integers(4, size=60)
        X = rng.normal(scale=4, size=(4, 3))[groups] + rng.normal(size=(60, 3))
        pair = rng.normal(size=(6, 2))
        cases += [
            OutputCase("four groups, labels 0..3", (X, groups), hidden=True),
            OutputCase("labels -2, 5, 9 and 40 (not 0..k-1)",
                       (X, np.array([-2, 5, 9, 40])[groups]), hidden=True),
            OutputCase("one feature (d = 1)", (X[:, :1], groups), hidden=True),
            OutputCase("integer input", (np.round(X).astype(int), groups), hidden=True),
            OutputCase("a cluster of one sample",
                       (X, np.where(np.arange(60) == 7, 9, groups)), hidden=True),
            OutputCase("k = n - 1: every sample alone but two",
                       (pair, np.array([0, 0, 1, 2, 3, 4])), hidden=True),
            OutputCase("data far from the origin", (X + 1e4, groups), hidden=True),
        ]
    return cases


def _calinski_parts(case):
    """(n, k, within, between, between without the sizes, total scatter) of the case."""
    X, labels = np.asarray(case.args[0], dtype=float), np.asarray(case.args[1])
    clusters, index = np.unique(labels, return_inverse=True)
    index = index.ravel()
    n, k = len(X), len(clusters)
    means = np.array([X[index == j].mean(axis=0) for j in range(k)])
    sizes = np.bincount(index, minlength=k)
    spread = ((means - X.mean(axis=0)) ** 2).sum(axis=1)
    within = ((X - means[index]) ** 2).sum()
    total = ((X - X.mean(axis=0)) ** 2).sum()
    return n, k, within, (sizes * spread).sum(), spread.sum(), total


def _calinski_no_dof(out, case):
    n, k, within, between, _, _ = _calinski_parts(case)
    return shows(out, between / within, case)


def _calinski_dof_swapped(out, case):
    n, k, within, between, _, _ = _calinski_parts(case)
    return shows(out, (between / (n - k)) / (within / (k - 1)), case)


def _calinski_inverted(out, case):
    return shows(out, 1 / float(case.expected), case)


def _calinski_unweighted(out, case):
    n, k, within, _, unweighted, _ = _calinski_parts(case)
    return shows(out, (unweighted / (k - 1)) / (within / (n - k)), case)


def _calinski_total(out, case):
    n, k, within, _, _, total = _calinski_parts(case)
    return shows(out, (total / (k - 1)) / (within / (n - k)), case)


def _gappy_labels(case):
    labels = np.asarray(case.args[1])
    return not np.array_equal(np.unique(labels), np.arange(labels.max() + 1))


def _calinski_label_values(out, case):
    return _gappy_labels(case) and bool(np.isnan(as_numbers(out)).any())


def _calinski_label_values_error(exc, case):
    return _gappy_labels(case) and isinstance(exc, (IndexError, ValueError, ZeroDivisionError))


CALINSKI_HARABASZ = Exercise(
    name="calinski_harabasz",
    notebook="04_elbow_curves",
    points=5,
    signature="calinski_harabasz(X, labels)",
    summary="(between-cluster spread / (k - 1)) / (within-cluster spread / (n - k))",
    params=("X", "labels"),
    reference=selection.calinski_harabasz,
    compare=same_number,
    build=_calinski_cases,
    mistakes=(
        Mistake("no_degrees_of_freedom",
                "That is B / W without the divisions by k - 1 and n - k: without them the "
                "score grows with every extra cluster.", _calinski_no_dof),
        Mistake("degrees_of_freedom_swapped",
                "The two divisions are swapped: the spread between clusters is divided by "
                "k - 1, the spread within by n - k.", _calinski_dof_swapped),
        Mistake("inverted",
                "The score is upside down: the spread between clusters goes on top, the spread "
                "within below.", _calinski_inverted),
        Mistake("unweighted_between",
                "Every cluster mean counts once in your B; it should count once per member, "
                "so that a big cluster far from the overall mean weighs more.",
                _calinski_unweighted),
        Mistake("between_from_samples",
                "Your B measures every sample's distance to the overall mean (the total "
                "spread); B uses the cluster means instead, each counted once per member.",
                _calinski_total),
        Mistake("label_values",
                "The labels were used as row numbers, but they can be any integers (e.g. -2, 5, "
                "9, 40): number the distinct labels 0..k-1 first.",
                _calinski_label_values, _calinski_label_values_error),
    ),
)


EXERCISES = (ELBOW_SWEEP, CALINSKI_HARABASZ)
