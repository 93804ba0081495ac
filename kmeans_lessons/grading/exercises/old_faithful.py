"""Lesson 03, Old Faithful: init_random, update_centers, inertia, kmeans, init_kmeans_pp.

For each exercise: its cases, its comparator, the detectors of its usual mistakes, and its
registry entry (points and the mistakes with their hints). The two random initialisations are
checked by probes (properties, the rng contract, sampling frequencies) rather than by equality
with the reference; a probe names the mistake it recognises by its key, so their mistakes have
hint text and no detector. The kmeans detectors compare the student's run with runs that make
one mistake each, simulated by :func:`._common.trajectory`.
"""

from functools import lru_cache

import numpy as np

from ... import algorithm, distances, initialisation as init
from ..cases import (OutputCase, ProbeCase, SpeedCase, compare_array, compare_labels,
                     compare_number)
from ..hints import Mistake, as_numbers, close, shows
from . import Exercise
from ._common import (blobs, case_rng, close_array, distance_inputs, distance_speed_input,
                      distance_table, scaled_atol, stopping_step, tie_inputs, trajectory)


# --- init_random and init_kmeans_pp: drawing centres through the student's function ----------


def _centres_of(out, X, k):
    """(centres, None) if ``out`` is k rows of X; else (None, (message, hint key))."""
    n, d = X.shape
    if out is None:
        return None, ("returned None (is the `return` statement missing?)", "returned_none")
    if isinstance(out, (list, tuple)):
        return None, (f"returned a Python {type(out).__name__}, not a NumPy array",
                      "list_not_array")
    array = np.asarray(out)
    if array.shape == (k,) and array.dtype.kind in "iu" and k != d:
        return None, (f"returned shape ({k},) of whole numbers, expected the centres, shape "
                      f"({k}, {d})", "returned_indices")
    if array.shape != (k, d):
        return None, (f"expected shape ({k}, {d}), got {array.shape}", None)
    if array.dtype.kind not in "biuf":
        return None, (f"holds dtype {array.dtype}; centres are numbers", None)
    return array, None


def _row_numbers(C, X):
    """Row of X equal to every centre (the first such row), -1 where a centre is no row of X."""
    matches = (np.asarray(C, dtype=float)[:, np.newaxis, :] == X[np.newaxis, :, :]).all(axis=2)
    return np.where(matches.any(axis=1), matches.argmax(axis=1), -1)


def _draw(call, X, k, rng):
    """Call the student's init; return (centres, rows) or raise _Problem."""
    centres, problem = _centres_of(call(X, k, rng), X, k)
    if problem:
        raise _Problem(*problem)
    rows = _row_numbers(centres, X)
    if (rows < 0).any():
        raise _Problem("a centre is not a row of X", "not_rows_of_x")
    return centres, rows


class _Problem(Exception):
    def __init__(self, message, hint=None):
        super().__init__(message)
        self.message, self.hint = message, hint


def _probe(function):
    """Turn a probe that raises _Problem into one that returns (message, hint) or None."""
    def probe(call, case):
        try:
            return function(call, case)
        except _Problem as problem:
            return problem.message, problem.hint
    return probe


def _distinct_rows(X, k, seed, salt, duplicate_hint, draws=1):
    def check(call, case):
        for i in range(draws):
            centres, rows = _draw(call, X, k, case_rng(seed, salt, i))
            if len(set(rows.tolist())) < k:
                return (f"with k = {k} on {X.shape[0]} different samples the same sample was "
                        f"chosen more than once", duplicate_hint)
        return None
    return _probe(check)


def _same_seed_same_centres(X, k):
    def check(call, case):
        first, _ = _draw(call, X, k, np.random.default_rng(7))
        second, _ = _draw(call, X, k, np.random.default_rng(7))
        if not np.array_equal(first, second):
            return ("two calls with np.random.default_rng(7) gave different centres",
                    "ignores_rng")
        return None
    return _probe(check)


def _seeds_change_centres(X, k, seed, salt):
    def check(call, case):
        seen = [_draw(call, X, k, case_rng(seed, salt, i))[0] for i in range(8)]
        if all(np.array_equal(seen[0], other) for other in seen[1:]):
            if np.array_equal(seen[0], X[:k]):
                return "eight different seeds all gave the first k rows of X", "not_random"
            return "eight different seeds all gave the same centres", "ignores_rng"
        return None
    return _probe(check)


def _init_basic_cases(seed, salt, duplicate_hint):
    """Cases shared by init_random and init_kmeans_pp."""
    X_small = np.array([[0.0, 0], [1, 0], [0, 1], [5, 5], [6, 5], [5, 6]])
    return [
        ProbeCase("returns k distinct rows of X", _distinct_rows(X_small, 3, seed, salt,
                                                                 duplicate_hint)),
        ProbeCase("the same seed gives the same centres", _same_seed_same_centres(X_small, 3)),
    ]


def _init_hidden_cases(seed, salt, duplicate_hint):
    rng = case_rng(seed, salt)
    X = rng.normal(size=(30, 2))
    X_int = rng.integers(-20, 20, size=(12, 3))
    X_int = np.unique(X_int, axis=0)
    X_dup = np.repeat(rng.normal(size=(5, 2)), 2, axis=0)
    X_all = rng.normal(size=(8, 2))
    return [
        ProbeCase("different seeds give different centres",
                  _seeds_change_centres(X, 3, seed, salt + 1), hidden=True),
        ProbeCase("one centre (k = 1)", _distinct_rows(X, 1, seed, salt + 2, duplicate_hint),
                  hidden=True),
        ProbeCase("one feature (d = 1)",
                  _distinct_rows(X[:, :1], 4, seed, salt + 3, duplicate_hint), hidden=True),
        ProbeCase("integer input",
                  _distinct_rows(X_int, 4, seed, salt + 4, duplicate_hint), hidden=True),
        ProbeCase("duplicated points", _rows_only(X_dup, 3, seed, salt + 5), hidden=True),
        ProbeCase("k = n: every sample once",
                  _distinct_rows(X_all, 8, seed, salt + 6, duplicate_hint, draws=5), hidden=True),
    ]


def _rows_only(X, k, seed, salt):
    def check(call, case):
        _draw(call, X, k, case_rng(seed, salt))
        return None
    return _probe(check)


def _init_compare(out, expected, case):  # random exercises are judged by their probes
    return None


_RNG_MISTAKES = (
    Mistake("ignores_rng",
            "The result does not follow the `rng` you were given: calling the function twice "
            "with np.random.default_rng(7) must give the same centres, and other seeds other "
            "centres. Draw every random number from `rng` (not from np.random.* or a generator "
            "you make yourself)."),
    Mistake("not_random",
            "It returns the same centres whatever the rng: taking the first k rows is not a "
            "random choice."),
    Mistake("returned_indices",
            "You returned row numbers; the exercise wants the centres themselves, the chosen "
            "rows of X (shape (k, d))."),
    Mistake("not_rows_of_x",
            "Every centre must be one of the samples, a row of X, not a new random point."),
)


# --- init_random(X, k, rng) ------------------------------------------------------------------


#: Pearson chi-square with 4 degrees of freedom exceeds this with probability 1e-9.
_CHI2_4_1E9 = 47.9


def _uniform_frequencies(seed, salt, n=5, k=2, draws=200):
    """Each sample should be chosen about draws * k / n times."""
    X = np.arange(float(n))[:, np.newaxis]

    def check(call, case):
        counts = np.zeros(n)
        for i in range(draws):
            centres, rows = _draw(call, X, k, case_rng(seed, salt, i))
            np.add.at(counts, rows, 1)
        expected = draws * k / n
        statistic = float(((counts - expected) ** 2 / expected).sum())
        if statistic > _CHI2_4_1E9:
            return (f"over {draws} draws of {k} from {n} samples the counts per sample were "
                    f"{counts.astype(int).tolist()}, about {expected:.0f} each expected",
                    "biased_sampling")
        return None
    return _probe(check)


def _init_random_cases(seed, hidden):
    cases = _init_basic_cases(seed, 10, "with_replacement")
    if hidden:
        cases += _init_hidden_cases(seed, 20, "with_replacement")
        cases.append(ProbeCase("every sample equally likely", _uniform_frequencies(seed, 30),
                               hidden=True))
    return cases


INIT_RANDOM = Exercise(
    name="init_random",
    notebook="03_old_faithful",
    points=5,
    signature="init_random(X, k, rng)",
    summary="(k, d) distinct random samples as initial centres",
    params=("X", "k", "rng"),
    reference=init.init_random,
    compare=_init_compare,
    build=_init_random_cases,
    mistakes=_RNG_MISTAKES + (
        Mistake("with_replacement",
                "The same sample was chosen twice: draw without replacement, so that the k "
                "centres are k different samples."),
        Mistake("biased_sampling",
                "Some samples are chosen far more or less often than others (for example the "
                "last sample never). Every sample should be equally likely."),
    ),
)


# --- update_centers(X, labels, centers) ------------------------------------------------------


def _update_inputs(seed):
    rng = case_rng(seed, 7)
    X = blobs(rng, 30, 2, 3)
    C = rng.normal(scale=4, size=(3, 2))
    labels = distances.assign(X, C)
    X_int = rng.integers(-9, 10, size=(11, 2))
    labels_int = np.array([0, 1, 2] * 3 + [0, 1])
    far = 1e4 + X
    X_dup = np.repeat(rng.normal(size=(6, 3)), 2, axis=0)
    return [
        ("random blobs", X, labels, C),
        ("one cluster (k = 1)", X, np.zeros(30, dtype=int), C[:1]),
        ("one feature (d = 1)", X[:, :1], labels, C[:, :1]),
        ("an empty cluster", X, np.where(labels == 1, 0, labels), C + 1.0),
        ("integer input", X_int, labels_int, rng.integers(-3, 4, size=(3, 2))),
        ("data far from the origin", far, labels, C + 1e4),
        ("duplicated points", X_dup, np.arange(12) % 4, rng.normal(size=(4, 3))),
        ("many clusters, two of them empty", X, rng.integers(6, size=30) % 4,
         rng.normal(size=(6, 2)) + 1.0),
    ]


def _update_cases(seed, hidden):
    cases = [
        OutputCase("two clusters of two",
                   (np.array([[0.0, 0], [2, 0], [10, 10], [12, 10]]), np.array([0, 0, 1, 1]),
                    np.array([[0.0, 0], [1, 1]]))),
        OutputCase("cluster 1 empty: keeps its centre",
                   (np.array([[0.0, 0], [2, 0], [10, 10], [12, 10]]), np.array([0, 0, 0, 0]),
                    np.array([[0.0, 0], [5, 5]]))),
    ]
    if hidden:
        cases += [OutputCase(label, (X, labels, C), hidden=True)
                  for label, X, labels, C in _update_inputs(seed)]
        rng = case_rng(seed, 8)
        X = blobs(rng, 500, 2, 5)
        cases.append(SpeedCase("speed: X (500, 2), k = 5, then ten times the samples",
                               (X, rng.integers(5, size=500), rng.normal(size=(5, 2))),
                               sample_args=(0, 1)))
    return cases


def _members(case):
    X, labels = as_numbers(case.args[0]), np.asarray(case.args[1])
    centers = as_numbers(case.args[2])
    return X, labels.astype(int), centers, [labels == j for j in range(centers.shape[0])]


def _update_with(case, summary, empty):
    """update_centers with ``summary(members)`` per cluster and ``empty(j, previous)`` for none."""
    X, labels, centers, masks = _members(case)
    rows = []
    for j, mask in enumerate(masks):
        rows.append(summary(X[mask]) if mask.any() else empty(j, centers[j]))
    return np.array(rows, dtype=float)


def _mean(members):
    return members.mean(axis=0)


def _empty_clusters(case):
    X, labels, centers, masks = _members(case)
    return [j for j, mask in enumerate(masks) if not mask.any()]


def _update_nan(out, case):
    empty = _empty_clusters(case)
    try:
        values = as_numbers(out)
        return bool(empty) and values.shape == np.shape(case.expected) and bool(
            np.isnan(values[empty]).all())
    except Exception:
        return False


def _update_zeros(out, case):
    variant = _update_with(case, _mean, lambda j, previous: np.zeros_like(previous))
    return bool(_empty_clusters(case)) and shows(out, variant, case)


def _update_dropped(out, case):
    empty = _empty_clusters(case)
    kept = np.delete(np.asarray(case.expected, dtype=float), empty, axis=0)
    return bool(empty) and close(out, kept)


def _update_median(out, case):
    variant = _update_with(case, lambda m: np.median(m, axis=0), lambda j, previous: previous)
    return shows(out, variant, case)


def _update_sum(out, case):
    variant = _update_with(case, lambda m: m.sum(axis=0), lambda j, previous: previous)
    return shows(out, variant, case)


def _update_never(out, case):
    return shows(out, case.args[2], case)


def _update_wrong_axis(out, case):
    X, labels, centers, masks = _members(case)
    everything = _update_with(case, lambda m: np.full(X.shape[1], m.mean()),
                              lambda j, previous: previous)
    return shows(out, everything, case) or np.shape(out) in {(centers.shape[0],),
                                                              (centers.shape[0], X.shape[0])}


UPDATE_CENTERS = Exercise(
    name="update_centers",
    notebook="03_old_faithful",
    points=10,
    signature="update_centers(X, labels, centers)",
    summary="(k, d) mean of every cluster; an empty cluster keeps its centre",
    params=("X", "labels", "centers"),
    reference=algorithm.update_centers,
    compare=close_array,
    build=_update_cases,
    mistakes=(
        Mistake("empty_nan",
                "An empty cluster gives NaN: the mean of no samples is 0 / 0. Leave that centre "
                "where it was (its row of `centers`).", _update_nan),
        Mistake("empty_zeros",
                "An empty cluster's centre jumped to zeros; it should keep its previous "
                "position.", _update_zeros),
        Mistake("empty_dropped",
                "A centre disappeared: an empty cluster still needs its row (its previous "
                "centre), so the result stays (k, d).", _update_dropped),
        Mistake("median",
                "That is the median of each cluster; the centre is the mean.", _update_median),
        Mistake("sum_instead_of_mean",
                "These are the sums of the members; the centre is their mean.", _update_sum),
        Mistake("never_updated",
                "The centres did not move: the result equals the `centers` you were given. Each "
                "centre moves to the mean of its members.", _update_never),
        Mistake("wrong_axis",
                "You averaged over the wrong axis: average over the samples (rows) of a "
                "cluster, keeping one value per feature.", _update_wrong_axis),
    ),
)


# --- inertia(X, C) ---------------------------------------------------------------------------


def _inertia_cases(seed, hidden):
    cases = [
        OutputCase("X (3, 2), C (2, 2): J = 3",
                   (np.array([[0.0, 0], [1, 0], [0, 2]]), np.array([[0.0, 0], [1, 1]]))),
        OutputCase("one centre", (np.array([[1.0, 2], [3, 4], [5, 6]]), np.array([[3.0, 4]]))),
    ]
    if hidden:
        X_tie, C_tie = tie_inputs()
        cases += [OutputCase(label, (X, C), hidden=True)
                  for label, X, C in distance_inputs(seed)]
        cases.append(OutputCase("ties", (X_tie, C_tie), hidden=True))
        cases.append(SpeedCase("speed: X (400, 2), C (4, 2), then ten times the samples",
                               distance_speed_input(seed)))
    return cases


def _compare_inertia(out, expected, case):
    return compare_number(out, expected, rtol=1e-6,
                          atol=scaled_atol(*case.args) * np.shape(case.args[0])[0])


def _inertia_parts(case):
    D = distance_table(case)
    return D, D.min(axis=1)


def _inertia_sqrt(out, case):
    D, nearest = _inertia_parts(case)
    return shows(out, np.sqrt(nearest).sum(), case)


def _inertia_mean(out, case):
    D, nearest = _inertia_parts(case)
    # where the minimum over the wrong axis gives the same number, the output cannot tell
    # which mistake it was: no hint from this case (the others tell)
    return shows(out, nearest.mean(), case) and not close(nearest.mean(), D.min(axis=0).sum())


def _inertia_all(out, case):
    D, nearest = _inertia_parts(case)
    return shows(out, D.sum(), case)


def _inertia_max(out, case):
    D, nearest = _inertia_parts(case)
    return shows(out, D.max(axis=1).sum(), case)


def _inertia_wrong_axis(out, case):
    D, nearest = _inertia_parts(case)
    return (shows(out, D.min(axis=0).sum(), case)
            and not close(nearest.mean(), D.min(axis=0).sum())) or (
        np.shape(out) == D.shape[1:] and D.shape[1] > 1 and close(out, D.min(axis=0)))


def _inertia_not_summed(out, case):
    D, nearest = _inertia_parts(case)
    return np.ndim(out) == 1 and (close(out, nearest) or close(out, np.sqrt(nearest)))


INERTIA = Exercise(
    name="inertia",
    notebook="03_old_faithful",
    points=5,
    signature="inertia(X, C)",
    summary="J: sum of squared distances to the nearest centre",
    params=("X", "C"),
    reference=distances.inertia,
    compare=_compare_inertia,
    build=_inertia_cases,
    mistakes=(
        Mistake("square_rooted",
                "You added up distances, not squared distances.", _inertia_sqrt),
        Mistake("mean_instead_of_sum",
                "That is the mean over the samples; J is the sum (divide by n only when you "
                "want the loss per sample).", _inertia_mean),
        Mistake("summed_all_centres",
                "You added the distances to every centre; each sample counts only its nearest "
                "centre.", _inertia_all),
        Mistake("max_instead_of_min",
                "Each sample counted its farthest centre; it should count the nearest one.",
                _inertia_max),
        Mistake("wrong_axis",
                "You took the minimum over the wrong axis: for each sample, the smallest of its "
                "distances to the centres.", _inertia_wrong_axis),
        Mistake("not_summed",
                "You returned one value per sample; J is their sum, a single number.",
                _inertia_not_summed),
    ),
)


# --- kmeans(X, init_centers, max_iter=100, tol=1e-4) -----------------------------------------


def _kmeans_reference(X, init_centers, max_iter=100, tol=1e-4):
    return algorithm.kmeans(X, init_centers, max_iter, tol)


def _bad_start(X, k, rng):
    """k initial centres all drawn from one corner of the data, so k-means needs a few steps."""
    corner = np.argsort(X[:, 0], kind="stable")[: max(k, X.shape[0] // 4)]
    return X[rng.choice(corner, size=k, replace=False)].copy()


def _has_exact_ties(X, C0, max_iter=100):
    """Whether some sample is exactly equally near two centres at some step of the run.

    Where that happens the answer hangs on how a tie is broken after rounding, which is not
    what the integer case is about, so such data are redrawn.
    """
    centers = np.asarray(C0, dtype=float)
    X = np.asarray(X, dtype=float)
    for _ in range(max_iter + 1):
        D = ((X[:, np.newaxis, :] - centers[np.newaxis]) ** 2).sum(axis=2)
        smallest = np.sort(D, axis=1)[:, :2]
        if D.shape[1] > 1 and np.any(smallest[:, 0] == smallest[:, 1]):
            return True
        new = algorithm.update_centers(X, D.argmin(axis=1), centers)
        if np.array_equal(new, centers):
            return False
        centers = new
    return False


def _tie_free_integer_start(rng):
    """Integer samples and integer initial centres (rows of X) without exact ties."""
    for _ in range(100):
        X = rng.integers(0, 30, size=(40, 2))
        C0 = _bad_start(X, 3, rng)
        if not _has_exact_ties(X, C0):
            return X, C0
    raise RuntimeError("could not draw integer data without ties")  # pragma: no cover


def _kmeans_case_inputs(seed):
    rng = case_rng(seed, 9)
    X = blobs(rng, 60, 2, 3, spread=0.8)
    C0 = _bad_start(X, 3, rng)
    # Thousands of points in overlapping groups, on a scale where J is in the tens of
    # thousands: late iterations move a few points and lower J by far less than tol relative
    # to J, but by far more than tol in absolute terms, so the two stopping rules differ.
    overlapping = 10 * blobs(rng, 2000, 2, 4, spread=1.5, scale=2.0)
    X_int, C_int = _tie_free_integer_start(rng)
    X_dup = np.repeat(blobs(rng, 15, 2, 3), 3, axis=0)
    # three points, four copies of each: after one update every sample sits on a centre. Whole
    # numbers and offsets of 1/4 keep every distance exact, so J is exactly 0 however it is
    # computed (with rounding, a J of 1e-14 would make the J == 0 stop a matter of luck).
    X_zero = np.repeat(rng.choice(np.arange(-9.0, 10.0), size=(3, 2), replace=False), 4, axis=0)
    return [
        ("random blobs, a poor start", (X, C0), {}),
        ("one cluster (k = 1)", (X, X[:1].copy()), {}),
        ("one feature (d = 1)", (X[:, :1], C0[:, :1]), {}),
        ("an empty cluster (a centre far away)",
         (X, np.concatenate([C0[:2], [[40.0, 40.0]]])), {}),
        ("integer input", (X_int, C_int), {}),
        ("data far from the origin", (X + 1e3, C0 + 1e3), {}),
        ("duplicated points", (X_dup, X_dup[[0, 3, 6]].copy()), {}),
        ("tiny coordinates (J much smaller than tol)", (X * 1e-5, C0 * 1e-5), {}),
        ("overlapping groups, slow convergence",
         (overlapping, _bad_start(overlapping, 4, rng)), {"max_iter": 500}),
        ("tol = 0: run until nothing changes", (X, C0), {"tol": 0.0, "max_iter": 50}),
        ("max_iter = 2", (overlapping, _bad_start(overlapping, 4, rng)), {"max_iter": 2}),
        ("max_iter = 0", (X, C0), {"max_iter": 0}),
        ("samples that repeat: J reaches 0", (X_zero, X_zero[::4] + 0.25), {}),
        ("as many centres as samples (k = n): J reaches 0",
         (X_zero[::4], X_zero[::4] + [0.25, -0.125]), {}),
    ]


def _kmeans_cases(seed, hidden):
    X = np.array([[0.0, 0], [0, 1], [1, 0], [9, 9], [9, 10], [10, 9], [0, 9], [1, 10]])
    cases = [
        OutputCase("three corners of a square", (X, X[[0, 1, 3]].copy())),
        OutputCase("max_iter = 1", (X, X[[0, 1, 3]].copy()), {"max_iter": 1}),
    ]
    if hidden:
        cases += [OutputCase(label, args, kwargs, hidden=True)
                  for label, args, kwargs in _kmeans_case_inputs(seed)]
        rng = case_rng(seed, 10)
        X = blobs(rng, 300, 2, 4, scale=6.0)
        cases.append(SpeedCase("speed: X (300, 2), k = 4, then ten times the samples",
                               (X, _bad_start(X, 4, rng))))
    return cases


def _compare_kmeans(out, expected, case):
    try:
        centers, labels, losses = out
    except Exception:
        return (f"returned {type(out).__name__}; kmeans should return three things: centers, "
                f"labels, losses")
    atol = scaled_atol(case.args[0]) * 10
    problem = compare_array(centers, expected.centers, rtol=1e-6, atol=atol)
    if problem:
        return f"centers: {problem}"
    problem = compare_labels(labels, expected.labels)
    if problem:
        return f"labels: {problem}"
    try:
        losses = np.asarray([float(v) for v in losses])
    except Exception:
        return "losses: should be a list of numbers, one per step"
    if losses.shape != (len(expected.losses),):
        return (f"losses: expected {len(expected.losses)} values (J of the initial centres and "
                f"one after each of {expected.n_iter} updates), got {losses.shape[0]}")
    problem = compare_array(losses, np.asarray(expected.losses), rtol=1e-6,
                            atol=atol * np.shape(case.args[0])[0])
    return f"losses: {problem}" if problem else None


def _unpack3(out):
    centers, labels, losses = out
    return as_numbers(centers), np.asarray(labels), [float(v) for v in losses]


def _kmeans_call_args(case):
    X, C0 = as_numbers(case.args[0]), as_numbers(case.args[1])
    params = dict(max_iter=100, tol=1e-4)
    params.update(zip(("max_iter", "tol"), case.args[2:]))
    params.update(case.kwargs)
    return X, C0, params["max_iter"], params["tol"]


@lru_cache(maxsize=64)
def _kmeans_runs_cached(key):
    return _kmeans_runs_uncached(*key)


def _kmeans_runs(case):
    X, C0, max_iter, tol = _kmeans_call_args(case)
    key = (X.tobytes(), X.shape, C0.tobytes(), C0.shape, int(max_iter), float(tol))
    return _kmeans_runs_cached(key)


def _kmeans_runs_uncached(X_bytes, X_shape, C0_bytes, C0_shape, max_iter, tol):
    X = np.frombuffer(X_bytes).reshape(X_shape)
    C0 = np.frombuffer(C0_bytes).reshape(C0_shape)
    steps = max_iter + 2
    centers, labels, losses = trajectory(X, C0, steps)
    stops = {rule: stopping_step(losses, max_iter, tol, rule)
             for rule in ("relative", "absolute", "strict")}
    stops["never"] = max_iter
    stops["one_more"] = min(stops["relative"] + 1, max_iter + 1)
    stops["max_iter_plus_one"] = stops["relative"] if stops["relative"] < max_iter \
        else max_iter + 1
    return dict(X=X, C0=C0, centers=centers, labels=labels, losses=losses, stops=stops,
                max_iter=max_iter, tol=tol)


def _same_run(out, run, losses=True):
    try:
        centers, labels, out_losses = _unpack3(out)
    except Exception:
        return False
    ok = close(centers, run[0]) and np.array_equal(labels, run[1])
    if losses:
        ok = ok and len(out_losses) == len(run[2]) and close(out_losses, run[2])
    return ok


def _kmeans_not_three(out, case):
    try:
        centers, labels, losses = out
        return False
    except Exception:
        return True


def _kmeans_max_iter_short(out, case):
    """One update fewer than max_iter where the run should have used all of them."""
    runs = _kmeans_runs(case)
    max_iter, t = runs["max_iter"], case.expected.n_iter
    if t != max_iter or t < 1:
        return False
    centers, labels, losses = _unpack3(out)
    short = runs["centers"][t - 1]
    return (close(centers, short) and not close(short, case.expected.centers)
            and len(losses) in (t, t + 1))


def _kmeans_zero_loss(out, case):
    """J reached 0 and the loop went on (dividing by J = 0 gives inf or NaN, never <= tol)."""
    expected = list(case.expected.losses)
    if expected[-1] != 0:
        return False
    centers, labels, losses = _unpack3(out)
    tail = np.asarray(losses[len(expected) - 1:])
    return len(losses) > len(expected) and bool(np.all((tail == 0) | np.isnan(tail)))


def _kmeans_zero_division(exc, case):
    expected = getattr(case.expected, "losses", None)
    return isinstance(exc, (ZeroDivisionError, FloatingPointError)) or (
        expected is not None and expected[-1] == 0 and "division by zero" in str(exc))


def _kmeans_never_updated(out, case):
    runs = _kmeans_runs(case)
    centers, labels, losses = _unpack3(out)
    moved = not close(runs["C0"], case.expected.centers)
    return moved and close(centers, runs["C0"])


def _kmeans_one_iteration(out, case):
    runs = _kmeans_runs(case)
    if case.expected.n_iter <= 1:
        return False
    centers, labels, losses = _unpack3(out)
    return close(centers, runs["centers"][1]) and not close(runs["centers"][1],
                                                               case.expected.centers)


def _kmeans_stale_labels(out, case):
    runs = _kmeans_runs(case)
    t = case.expected.n_iter
    if t < 1:
        return False
    centers, labels, losses = _unpack3(out)
    stale = runs["labels"][t - 1]
    return (close(centers, case.expected.centers) and np.array_equal(labels, stale)
            and not np.array_equal(stale, case.expected.labels))


def _kmeans_losses_length(out, case):
    centers, labels, losses = _unpack3(out)
    expected = list(case.expected.losses)
    if not (close(centers, case.expected.centers)
            and np.array_equal(labels, case.expected.labels)):
        return False
    # J of the initial centres missing, the last J missing, or a made-up first value
    return len(losses) != len(expected) and (
        close(losses, expected[1:]) or close(losses, expected[:-1])
        or close(losses[1:], expected))


def _kmeans_stopping_rule(out, case):
    runs = _kmeans_runs(case)
    centers, labels, losses = _unpack3(out)
    expected_t = case.expected.n_iter
    for t in set(runs["stops"].values()) | {len(losses) - 1}:
        if t == expected_t or not 0 <= t < len(runs["centers"]):
            continue
        if close(centers, runs["centers"][t]) and (
                len(losses) != expected_t + 1
                or not close(runs["centers"][t], case.expected.centers)):
            return True
    return False


def _kmeans_mean_losses(out, case):
    centers, labels, losses = _unpack3(out)
    n = np.shape(case.args[0])[0]
    expected = np.asarray(case.expected.losses)
    return n > 1 and len(losses) == len(expected) and close(losses, expected / n)


def _kmeans_nan(out, case):
    try:
        centers, labels, losses = _unpack3(out)
        return bool(np.isnan(centers).any()) or bool(np.isnan(losses).any())
    except Exception:
        return False


def _kmeans_variant(case, **options):
    runs = _kmeans_runs(case)
    steps = runs["max_iter"]
    centers, labels, losses = trajectory(runs["X"], runs["C0"], steps, **options)
    t = stopping_step(losses, steps, runs["tol"], "relative")
    return centers[t], labels[t], losses[: t + 1]


def _kmeans_zeros(out, case):
    variant = _kmeans_variant(case, empty="zeros")
    return _same_run(out, variant, losses=False) and not close(variant[0],
                                                                case.expected.centers)


def _kmeans_integer(out, case):
    try:
        centers, labels, losses = out
        if np.asarray(centers).dtype.kind in "iu" and np.asarray(case.args[0]).dtype.kind in "iu":
            return not close(centers, case.expected.centers)
    except Exception:
        return False
    variant = _kmeans_variant(case, integer=True)
    return _same_run(out, variant, losses=False) and not close(variant[0],
                                                                case.expected.centers)


KMEANS = Exercise(
    name="kmeans",
    notebook="03_old_faithful",
    points=15,
    signature="kmeans(X, init_centers, max_iter=100, tol=1e-4)",
    summary="Lloyd's algorithm: returns centers, labels, losses",
    params=("X", "init_centers", "max_iter", "tol"),
    reference=_kmeans_reference,
    compare=_compare_kmeans,
    build=_kmeans_cases,
    mistakes=(
        Mistake("return_three",
                "kmeans should return three things: `return centers, labels, losses`.",
                _kmeans_not_three),
        Mistake("max_iter_short",
                "Your loop made one update fewer than max_iter allows: when the loss keeps "
                "going down, kmeans makes exactly max_iter updates (with max_iter = 1, one "
                "update). Count how many times your loop body runs.", _kmeans_max_iter_short),
        Mistake("zero_loss_stop",
                "When every sample sits on a centre J becomes 0, and (J_prev - J) / J divides by "
                "zero. Stop as soon as J is 0, before computing the relative decrease.",
                _kmeans_zero_loss, _kmeans_zero_division),
        Mistake("never_updated",
                "The centres never moved: they are still the initial centres. Each iteration "
                "must replace them with the updated ones.", _kmeans_never_updated),
        Mistake("one_iteration",
                "Your loop stopped after a single update although the loss was still going "
                "down: check the loop and when it stops.", _kmeans_one_iteration),
        Mistake("stale_labels",
                "The labels belong to the centres before the last update: after the final "
                "update, assign the samples to the final centres again. Returning labels that "
                "do not go with the centres is not Lloyd's algorithm, so it earns no points.",
                _kmeans_stale_labels, wrong_algorithm=True),
        Mistake("losses_length",
                "The list of losses has the wrong length: losses[0] is J of the initial centres, "
                "then one value after every update, so len(losses) is the number of updates + "
                "1.", _kmeans_losses_length),
        Mistake("stopping_rule",
                "Your loop stopped at a different iteration. The rule: after each update stop "
                "when the relative decrease (J_prev - J) / J is at most tol (or J is 0), and "
                "never do more than max_iter updates.", _kmeans_stopping_rule),
        Mistake("mean_instead_of_sum",
                "The losses are means per sample; J is the sum over the samples.",
                _kmeans_mean_losses),
        Mistake("empty_nan",
                "A cluster lost all its members and its centre became NaN (a mean of nothing); "
                "an empty cluster keeps its previous centre.", _kmeans_nan),
        Mistake("empty_zeros",
                "A cluster lost all its members and its centre jumped to zeros; an empty cluster "
                "keeps its previous centre.", _kmeans_zeros),
        Mistake("integer_truncation", None, _kmeans_integer),
        Mistake("did_not_finish",
                "kmeans was stopped because it did not finish in time. Likely causes: a loop "
                "that never ends -- it must stop after max_iter updates whatever the losses do, "
                "and as soon as J is 0 or its relative decrease is at most tol (with tol = 0 a "
                "strict `<` never holds) -- or a Python loop over the samples."),
    ),
)


# --- init_kmeans_pp(X, k, rng) ---------------------------------------------------------------


#: The statistical check of D^2 sampling draws 2 centres from three points on a line, where
#: the probability of each of the 6 ordered pairs is known exactly. These points separate
#: "squared distance" from "distance" best among small sets, so few draws suffice (each draw is
#: a call of the student's function, which costs a round trip to the kernel when autograding).
_PP_POINTS = np.array([[0.0], [1.0], [6.0]])
_PP_DRAWS = 800


#: The G statistic of a correct sampler is about chi-square with 5 degrees of freedom and
#: exceeds this with probability about 1e-8; in simulation a correct sampler's largest G in
#: 200 000 runs was 34. Sampling proportional to the distance instead of its square gives 140
#: on average (never below 55 in 20 000 runs), the other usual mistakes far more.
_PP_G_LIMIT = 45.0


#: Four points for the check that no sample is picked twice when 3 centres are drawn.
_PP_REPEAT_POINTS = np.array([[0.0], [2.0], [3.0], [5.0]])


def _pp_step(model, chosen, X):
    """Probability of each sample being picked next under one way of sampling."""
    n = X.shape[0]
    if not chosen:
        first = np.full(n, 1.0 / n)
        if model == "first_fixed":
            first = np.eye(n)[0]
        return first
    sq = ((X[:, np.newaxis, :] - X[chosen][np.newaxis, :, :]) ** 2).sum(axis=2)
    if model in ("d2", "first_fixed"):
        weights = sq.min(axis=1)
    elif model == "d":
        weights = np.sqrt(sq.min(axis=1))
    elif model == "sum":
        weights = sq.sum(axis=1)
    elif model == "first_only":
        weights = sq[:, 0]
    elif model == "uniform":
        weights = np.ones(n)
        weights[chosen] = 0
    else:  # "farthest"
        weights = np.eye(n)[sq.min(axis=1).argmax()]
    return weights / weights.sum()


def _pp_probability(model, sequence, X):
    p = 1.0
    for step in range(len(sequence)):
        p *= _pp_step(model, list(sequence[:step]), X)[sequence[step]]
    return p


_PP_MODELS = {
    "d2": None,
    "d": "not_squared",
    "uniform": "uniform_sampling",
    "farthest": "farthest_not_sampled",
    "sum": "summed_all_centres",
    "first_fixed": "first_not_uniform",
}


def _pp_frequencies(seed, salt):
    X = _PP_POINTS
    k = 2

    def check(call, case):
        counts = {}
        for i in range(_PP_DRAWS):
            centres, rows = _draw(call, X, k, case_rng(seed, salt, i))
            counts[tuple(rows.tolist())] = counts.get(tuple(rows.tolist()), 0) + 1
        # log-likelihood of the observed picks under each way of sampling
        scores = {}
        for model in _PP_MODELS:
            score = 0.0
            for sequence, count in counts.items():
                p = _pp_probability(model, sequence, X)
                score += count * np.log(p) if p > 0 else -np.inf
            scores[model] = score
        g = 0.0
        for sequence, count in counts.items():
            expected = _PP_DRAWS * _pp_probability("d2", sequence, X)
            g = np.inf if expected == 0 else g + 2 * count * np.log(count / expected)
        if g <= _PP_G_LIMIT:
            return None
        best = max(scores, key=scores.get)
        hint = _PP_MODELS[best] if np.isfinite(scores[best]) else None
        return (f"over {_PP_DRAWS} draws of 2 centres from the points 0, 1, 6 the pairs were "
                f"not picked with probability proportional to the squared distance "
                f"(G = {g:.0f}, a correct sampler stays below {_PP_G_LIMIT:.0f})", hint)
    return _probe(check)


#: Ways of sampling that can pick a chosen sample again, and the mistake each one is.
_PP_REPEAT_MODELS = {"sum": "summed_all_centres", "first_only": "weights_not_updated"}


def _pp_no_repeats(seed, salt, draws=60):
    """Adding up the squared distances to every chosen centre, or keeping the weights of the
    first centre, picks a chosen sample again in a large share of draws of 3 from these 4
    points; a correct sampler never does. Which of the two it was is the one under which the
    draws seen are the more likely."""
    def check(call, case):
        sequences = [tuple(_draw(call, _PP_REPEAT_POINTS, 3,
                                 case_rng(seed, salt, i))[1].tolist()) for i in range(draws)]
        if all(len(set(sequence)) == 3 for sequence in sequences):
            return None
        likelihood = {model: sum(np.log(max(_pp_probability(model, sequence,
                                                             _PP_REPEAT_POINTS), 1e-300))
                                 for sequence in sequences)
                      for model in _PP_REPEAT_MODELS}
        return ("3 centres from 4 different points: a sample already chosen was chosen again",
                _PP_REPEAT_MODELS[max(likelihood, key=likelihood.get)])
    return _probe(check)


def _init_kmeans_pp_cases(seed, hidden):
    cases = _init_basic_cases(seed, 40, None)
    if hidden:
        cases += _init_hidden_cases(seed, 50, None)
        cases.append(ProbeCase("D^2 sampling: a chosen sample is never chosen again",
                               _pp_no_repeats(seed, 60), hidden=True))
        cases.append(ProbeCase("D^2 sampling: frequencies", _pp_frequencies(seed, 70),
                               hidden=True))
    return cases


INIT_KMEANS_PP = Exercise(
    name="init_kmeans_pp",
    notebook="03_old_faithful",
    points=10,
    signature="init_kmeans_pp(X, k, rng)",
    summary="(k, d) k-means++ initial centres (D^2 sampling)",
    params=("X", "k", "rng"),
    reference=init.init_kmeans_pp,
    compare=_init_compare,
    build=_init_kmeans_pp_cases,
    mistakes=_RNG_MISTAKES + (
        Mistake("not_squared",
                "Samples were picked with probability proportional to their distance; k-means++ "
                "uses the squared distance to the nearest centre chosen so far. Sampling by "
                "distance is another method, so it earns no points.", wrong_algorithm=True),
        Mistake("uniform_sampling",
                "Every sample was equally likely: that is a random start, not k-means++, which "
                "favours samples far from the centres chosen so far (probability proportional "
                "to the squared distance). Another method earns no points.",
                wrong_algorithm=True),
        Mistake("farthest_not_sampled",
                "Each new centre is always the farthest sample: that is farthest-first, not "
                "k-means++, which draws the next centre at random, weighted by squared "
                "distance. Another method earns no points.", wrong_algorithm=True),
        Mistake("summed_all_centres",
                "The weights add up the squared distances to every chosen centre, so a chosen "
                "sample can be picked again; use the distance to the nearest chosen centre."),
        Mistake("weights_not_updated",
                "The weights stay the squared distances to the first centre, so a centre "
                "already chosen can be picked again: after each pick, every sample's weight "
                "becomes its squared distance to the nearest centre chosen so far."),
        Mistake("first_not_uniform",
                "The first centre is always the same sample; it should be drawn uniformly at "
                "random."),
    ),
)


# --- update_medians(X, labels, centers): the transfer exercise (k-medians) --------------------


def _medians_cases(seed, hidden):
    cases = [
        OutputCase("one cluster with a far sample",
                   (np.array([[0.0, 0], [1, 10], [2, 1], [100, 2]]), np.array([0, 0, 0, 0]),
                    np.array([[0.0, 0]]))),
        OutputCase("cluster 1 empty: keeps its centre",
                   (np.array([[0.0, 0], [2, 0], [10, 10], [12, 10], [11, 50]]),
                    np.array([0, 0, 0, 0, 0]), np.array([[0.0, 0], [5, 5]]))),
    ]
    if hidden:
        rng = case_rng(seed, 145)
        X_odd_even = rng.normal(size=(9, 3))
        cases += [OutputCase(label, (X, labels, C), hidden=True)
                  for label, X, labels, C in _update_inputs(seed)]
        cases += [
            OutputCase("clusters of odd and even sizes",
                       (X_odd_even, np.array([0, 0, 0, 1, 1, 1, 1, 2, 2]), rng.normal(size=(3, 3))),
                       hidden=True),
            OutputCase("outliers far away", (np.vstack([X_odd_even, [[1e3, -1e3, 1e3]]]),
                                             np.array([0, 1] * 5), rng.normal(size=(2, 3))),
                       hidden=True),
        ]
        X = blobs(rng, 500, 1, 5)
        cases.append(SpeedCase("speed: X (500, 1), k = 5, then ten times the samples",
                               (X, rng.integers(5, size=500), rng.normal(size=(5, 1))),
                               sample_args=(0, 1)))
    return cases


def _median(members):
    return np.median(members, axis=0)


def _keep(j, previous):
    return previous


def _medians_mean(out, case):
    return shows(out, _update_with(case, _mean, _keep), case)


def _medians_zeros(out, case):
    variant = _update_with(case, _median, lambda j, previous: np.zeros_like(previous))
    return bool(_empty_clusters(case)) and shows(out, variant, case)


def _medians_wrong_axis(out, case):
    X, labels, centers, masks = _members(case)
    everything = _update_with(case, lambda m: np.full(X.shape[1], np.median(m)), _keep)
    return shows(out, everything, case) or np.shape(out) in {(centers.shape[0],),
                                                              (centers.shape[0], X.shape[0])}


def _middle_value(members, pick):
    ordered = np.sort(members, axis=0)
    return ordered[pick(len(ordered))]


def _medians_one_middle(out, case):
    variants = [_update_with(case, lambda m: _middle_value(m, lambda size: size // 2), _keep),
                _update_with(case, lambda m: _middle_value(m, lambda size: (size - 1) // 2),
                             _keep)]
    return any(shows(out, v, case) for v in variants)


def _medians_all_samples(out, case):
    X, labels, centers, masks = _members(case)
    overall = np.median(X, axis=0)
    return (shows(out, _update_with(case, lambda m: overall, _keep), case)
            or shows(out, np.tile(overall, (centers.shape[0], 1)), case))


UPDATE_MEDIANS = Exercise(
    name="update_medians",
    notebook="03_old_faithful",
    points=10,
    signature="update_medians(X, labels, centers)",
    summary="(k, d) coordinate-wise median of every cluster; an empty cluster keeps its centre",
    params=("X", "labels", "centers"),
    reference=algorithm.update_medians,
    compare=close_array,
    build=_medians_cases,
    mistakes=(
        Mistake("mean_not_median",
                "These are the means of the clusters, as in update_centers; k-medians moves "
                "each centre to the median of its members, feature by feature.", _medians_mean),
        Mistake("empty_nan",
                "An empty cluster gives NaN: the median of no samples is undefined (NumPy warns "
                "and returns NaN). Leave that centre where it was.", _update_nan),
        Mistake("empty_zeros",
                "An empty cluster's centre jumped to zeros; it should keep its previous "
                "position.", _medians_zeros),
        Mistake("wrong_axis",
                "You took the median over the wrong axis: over the samples (rows) of a cluster, "
                "keeping one value per feature.", _medians_wrong_axis),
        Mistake("one_middle_value",
                "For a cluster with an even number of members you picked one of the two middle "
                "values; the median is the mean of the two middle values.", _medians_one_middle),
        Mistake("all_samples",
                "Every centre got the median of all the samples; each centre takes the median "
                "of its own cluster's members only.", _medians_all_samples),
        Mistake("never_updated",
                "The centres did not move: the result equals the `centers` you were given. Each "
                "centre moves to the median of its members.", _update_never),
    ),
)



EXERCISES = (INIT_RANDOM, UPDATE_CENTERS, INERTIA, KMEANS, INIT_KMEANS_PP, UPDATE_MEDIANS)
