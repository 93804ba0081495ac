"""The registry of exercises: what each one is, what it is worth, and how it is checked.

``EXERCISES`` maps every exercise name (the name of the function a student writes in the
notebook) to an :class:`Exercise`, in curriculum order. ``exercise.cases(seed, hidden)`` builds
its checks:

* visible cases: small fixed examples, the same for everyone, shown in the notebook's feedback;
* hidden cases (``hidden=True``): randomised from ``seed`` and covering the edge cases -- k = 1,
  d = 1, duplicated points, ties, an empty cluster, integer input, data far from the origin --
  and, where a Python loop over samples is the usual slip, a timing case on a large input that
  runs last.

Random exercises (init_random, init_kmeans_pp, elbow_sweep) are checked by properties and by the
rng contract instead of by equality with the reference. All randomness in a check comes from
``seed``, so a check gives the same verdict every time it runs on the same code.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import algorithm, broadcasting, classify, distances, metrics, selection, spherical, initialisation as init
from .._validation import check_samples_and_centers
from .cases import (OutputCase, ProbeCase, TimingCase, as_array_or_problem, compare_array,
                    compare_labels, compare_number)

__all__ = ["Exercise", "EXERCISES", "get_exercise"]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    name : the function's name in the notebook; notebook : e.g. "02_distances";
    points : what a full pass is worth; signature : e.g. "pairwise_sq_dists(X, C)";
    summary : one line on what it computes; params : argument names (for mutation reports);
    reference : the reference solution; compare(out, expected, case) -> problem or None;
    build(seed, hidden) -> list of cases.
    """

    name: str
    notebook: str
    points: int
    signature: str
    summary: str
    params: tuple
    reference: Callable
    compare: Callable
    build: Callable

    def cases(self, seed=0, hidden=True):
        """The checks for this exercise: the visible ones, then (if ``hidden``) the hidden ones
        randomised from ``seed``, a timing case (if any) always last."""
        return self.build(int(seed), bool(hidden))


def _rng(seed, *salt):
    """A generator determined by the grading seed and a per-case salt."""
    return np.random.default_rng([int(seed) % 2**63, *salt])


def _blobs(rng, n, d, k, spread=0.5, scale=4.0):
    """n samples around k random centres in d dimensions."""
    centres = rng.normal(scale=scale, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.normal(scale=spread, size=(n, d))


def _scaled_atol(*arrays):
    """Absolute tolerance for squared distances: rounding grows with the squared magnitude."""
    scale = max(float(np.abs(np.asarray(a, dtype=float)).max()) for a in arrays) ** 2
    return 1e-11 * max(scale, 1.0)


# --- timing yardsticks -----------------------------------------------------------------------
# Plain vectorised solutions, written the way the notebooks teach them. The timing cases measure
# students against these rather than against the library's tuned code, so that a correct,
# straightforward solution passes however much faster the library becomes.


def _plain_sq_dists(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    D = (X ** 2).sum(axis=1)[:, np.newaxis] + (C ** 2).sum(axis=1)[np.newaxis, :] - 2 * X @ C.T
    return np.maximum(D, 0)


def _plain_assign(X, C):
    return _plain_sq_dists(X, C).argmin(axis=1)


def _plain_inertia(X, C):
    return float(_plain_sq_dists(X, C).min(axis=1).sum())


def _plain_update(X, labels, centers):
    X = np.asarray(X, dtype=float)
    k = len(centers)
    counts = np.bincount(labels, minlength=k)
    sums = np.stack([np.bincount(labels, weights=X[:, j], minlength=k)
                     for j in range(X.shape[1])], axis=1)
    new = np.array(centers, dtype=float)
    members = counts > 0
    new[members] = sums[members] / counts[members, np.newaxis]
    return new


def _plain_kmeans(X, init_centers, max_iter=100, tol=1e-4):
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    D = _plain_sq_dists(X, centers)
    labels, losses = D.argmin(axis=1), [D.min(axis=1).sum()]
    for _ in range(max_iter):
        centers = _plain_update(X, labels, centers)
        D = _plain_sq_dists(X, centers)
        labels = D.argmin(axis=1)
        losses.append(D.min(axis=1).sum())
        if losses[-1] == 0 or (losses[-2] - losses[-1]) / losses[-1] <= tol:
            break
    return centers, labels, losses


# --- 01 Broadcasting -------------------------------------------------------------------------


def _difference_table_cases(seed, hidden):
    cases = [
        OutputCase("a = [1, 2, 3], b = [10, 20]", (np.array([1.0, 2, 3]), np.array([10.0, 20]))),
        OutputCase("a with one entry", (np.array([0.5]), np.array([1.0, 2.0, 3.0]))),
    ]
    if hidden:
        rng = _rng(seed, 1)
        cases += [
            OutputCase("random a (7,), b (4,)", (rng.normal(size=7), rng.normal(size=4)),
                       hidden=True),
            OutputCase("a and b of equal length", (rng.normal(size=5), rng.normal(size=5)),
                       hidden=True),
            OutputCase("integer input", (rng.integers(-9, 9, size=6), rng.integers(-9, 9, size=3)),
                       hidden=True),
            OutputCase("b with one entry", (rng.normal(size=4), rng.normal(size=1)), hidden=True),
            OutputCase("repeated values", (np.array([2.0, 2, 5, 2]), np.array([5.0, 5, 2])),
                       hidden=True),
            OutputCase("values far from 0", (1e6 + rng.normal(size=5), 1e6 + rng.normal(size=3)),
                       hidden=True),
            TimingCase("speed on a (100000,), b (8,)",
                       (rng.normal(size=100_000), rng.normal(size=8))),
        ]
    return cases


def _row_sums_outer_cases(seed, hidden):
    cases = [
        OutputCase("A = [[1, 2], [3, 4], [0, 1]]", (np.array([[1.0, 2], [3, 4], [0, 1]]),)),
        OutputCase("one column (d = 1)", (np.array([[1.0], [2.0], [-1.0]]),)),
    ]
    if hidden:
        rng = _rng(seed, 2)
        cases += [
            OutputCase("random A (6, 3)", (rng.normal(size=(6, 3)),), hidden=True),
            OutputCase("square A (4, 4)", (rng.normal(size=(4, 4)),), hidden=True),
            OutputCase("integer input", (rng.integers(-5, 6, size=(5, 2)),), hidden=True),
            OutputCase("one row (n = 1)", (rng.normal(size=(1, 3)),), hidden=True),
            OutputCase("values far from 0", (1e3 + rng.normal(size=(4, 2)),), hidden=True),
            TimingCase("speed on A (800, 10)", (rng.normal(size=(800, 10)),)),
        ]
    return cases


def _pick_per_row_cases(seed, hidden):
    cases = [
        OutputCase("X (2, 3), idx = [2, 0]",
                   (np.array([[1.0, 2, 3], [4, 5, 6]]), np.array([2, 0]))),
        OutputCase("square X (3, 3), idx = [0, 2, 1]",
                   (np.arange(9.0).reshape(3, 3), np.array([0, 2, 1]))),
    ]
    if hidden:
        rng = _rng(seed, 3)
        cases += [
            OutputCase("random X (8, 5)", (rng.normal(size=(8, 5)), rng.integers(5, size=8)),
                       hidden=True),
            OutputCase("square X (6, 6)", (rng.normal(size=(6, 6)), rng.integers(6, size=6)),
                       hidden=True),
            OutputCase("one column (d = 1)", (rng.normal(size=(4, 1)), np.zeros(4, dtype=int)),
                       hidden=True),
            OutputCase("one row (n = 1)", (rng.normal(size=(1, 4)), np.array([3])), hidden=True),
            OutputCase("integer X", (rng.integers(-9, 9, size=(5, 3)), rng.integers(3, size=5)),
                       hidden=True),
            OutputCase("the same index in every row",
                       (rng.normal(size=(5, 3)), np.full(5, 1)), hidden=True),
            # picking one number per row costs NumPy a few nanoseconds and a Python loop a
            # few hundred, so the margin is narrower here than elsewhere
            TimingCase("speed on X (200000, 3)",
                       (rng.normal(size=(200_000, 3)), rng.integers(3, size=200_000)),
                       factor=10),
        ]
    return cases


# --- 02 Distances ----------------------------------------------------------------------------


def _compare_dists(out, expected, case):
    problem = compare_array(out, expected, rtol=1e-6, atol=_scaled_atol(*case.args))
    if problem is None and np.asarray(out).min() < 0:
        return f"holds negative squared distances (smallest {float(np.min(out)):.3g})"
    return problem


def _distance_inputs(seed):
    """Inputs shared by pairwise_sq_dists, assign and inertia: (label, X, C) triples."""
    rng = _rng(seed, 4)
    X = rng.normal(size=(12, 3))
    dup = rng.normal(size=(4, 2))
    X_dup = np.concatenate([dup, dup[:2], dup[:1]])
    far = 1e3 + _blobs(rng, 10, 2, 3)
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


def _distance_timing_input(seed):
    rng = _rng(seed, 5)
    return _blobs(rng, 40_000, 2, 4), rng.normal(scale=4, size=(4, 2))


def _pairwise_cases(seed, hidden):
    cases = [
        OutputCase("X (3, 2), C (2, 2)",
                   (np.array([[0.0, 0], [1, 0], [0, 2]]), np.array([[0.0, 0], [1, 1]]))),
        OutputCase("one centre", (np.array([[1.0, 2], [3, 4]]), np.array([[1.0, 2]]))),
    ]
    if hidden:
        cases += [OutputCase(label, (X, C), hidden=True)
                  for label, X, C in _distance_inputs(seed)]
        cases.append(TimingCase("speed on X (40000, 2), C (4, 2)",
                                _distance_timing_input(seed), baseline=_plain_sq_dists,
                                factor=15))
    return cases


def _assign_reference(X, C):
    """The nearest centre of every sample, with exact ties going to the lower index.

    Same inputs, checks and answer as :func:`kmeans_lessons.distances.assign`, except that the
    distances come from direct differences, one centre at a time: when two centres are exactly
    equally near (integer data, grids), rounding in the expansion can otherwise prefer the
    later one, while a student's direct computation rightly picks the first.
    """
    X, C = check_samples_and_centers(X, C)
    X, C = X.astype(np.float64), C.astype(np.float64)
    best = np.full(X.shape[0], np.inf)
    labels = np.zeros(X.shape[0], dtype=np.intp)
    for j in range(C.shape[0]):
        diffs = X - C[j]
        dists = np.einsum("ij,ij->i", diffs, diffs)
        closer = dists < best  # strict: an equal distance keeps the earlier centre
        labels[closer], best[closer] = j, dists[closer]
    return labels


def _tie_inputs():
    """Samples exactly halfway between two centres, and two identical centres."""
    X = np.array([[1.0], [3.0], [4.0]])
    C = np.array([[0.0], [2.0], [4.0], [4.0]])
    return X, C


def _assign_cases(seed, hidden):
    X_tie, C_tie = _tie_inputs()
    cases = [
        OutputCase("X (3, 2), C (2, 2)",
                   (np.array([[0.0, 0], [1, 0], [5, 5]]), np.array([[0.0, 0], [5, 5]]))),
        OutputCase("ties go to the lower index", (X_tie, C_tie)),
    ]
    if hidden:
        rng = _rng(seed, 6)
        cases += [OutputCase(label, (X, C), hidden=True)
                  for label, X, C in _distance_inputs(seed)]
        grid = rng.integers(-3, 4, size=(20, 2)).astype(float)
        # centres whose mean is exactly (0, 0): distances computed any sensible way come out
        # exactly equal, so the tie rule alone decides
        centres = np.array([[-1.0, 0], [1, 0], [0, 2], [0, -2]])
        cases.append(OutputCase("ties on a grid", (grid, centres), hidden=True))
        cases.append(TimingCase("speed on X (40000, 2), C (4, 2)",
                                _distance_timing_input(seed), baseline=_plain_assign,
                                factor=15))
    return cases


# --- 03 Old Faithful -------------------------------------------------------------------------


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
            centres, rows = _draw(call, X, k, _rng(seed, salt, i))
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
        seen = [_draw(call, X, k, _rng(seed, salt, i))[0] for i in range(8)]
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
    rng = _rng(seed, salt)
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
        _draw(call, X, k, _rng(seed, salt))
        return None
    return _probe(check)


#: Pearson chi-square with 4 degrees of freedom exceeds this with probability 1e-9.
_CHI2_4_1E9 = 47.9


def _uniform_frequencies(seed, salt, n=5, k=2, draws=200):
    """Each sample should be chosen about draws * k / n times."""
    X = np.arange(float(n))[:, np.newaxis]

    def check(call, case):
        counts = np.zeros(n)
        for i in range(draws):
            centres, rows = _draw(call, X, k, _rng(seed, salt, i))
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


def _update_inputs(seed):
    rng = _rng(seed, 7)
    X = _blobs(rng, 30, 2, 3)
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
        rng = _rng(seed, 8)
        X = _blobs(rng, 50_000, 2, 5)
        cases.append(TimingCase("speed on X (50000, 2), k = 5",
                                (X, rng.integers(5, size=50_000), rng.normal(size=(5, 2))),
                                baseline=_plain_update, factor=30))
    return cases


def _compare_inertia(out, expected, case):
    return compare_number(out, expected, rtol=1e-6,
                          atol=_scaled_atol(*case.args) * np.shape(case.args[0])[0])


def _inertia_cases(seed, hidden):
    cases = [
        OutputCase("X (3, 2), C (2, 2): J = 3",
                   (np.array([[0.0, 0], [1, 0], [0, 2]]), np.array([[0.0, 0], [1, 1]]))),
        OutputCase("one centre", (np.array([[1.0, 2], [3, 4], [5, 6]]), np.array([[3.0, 4]]))),
    ]
    if hidden:
        X_tie, C_tie = _tie_inputs()
        cases += [OutputCase(label, (X, C), hidden=True)
                  for label, X, C in _distance_inputs(seed)]
        cases.append(OutputCase("ties", (X_tie, C_tie), hidden=True))
        cases.append(TimingCase("speed on X (40000, 2), C (4, 2)",
                                _distance_timing_input(seed), baseline=_plain_inertia,
                                factor=15))
    return cases


def _compare_kmeans(out, expected, case):
    try:
        centers, labels, losses = out
    except Exception:
        return (f"returned {type(out).__name__}; kmeans should return three things: centers, "
                f"labels, losses")
    atol = _scaled_atol(case.args[0]) * 10
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


def _kmeans_inputs(seed):
    rng = _rng(seed, 9)
    X = _blobs(rng, 60, 2, 3, spread=0.8)
    C0 = _bad_start(X, 3, rng)
    # Thousands of points in overlapping groups, on a scale where J is in the tens of
    # thousands: late iterations move a few points and lower J by far less than tol relative
    # to J, but by far more than tol in absolute terms, so the two stopping rules differ.
    overlapping = 10 * _blobs(rng, 2000, 2, 4, spread=1.5, scale=2.0)
    X_int, C_int = _tie_free_integer_start(rng)
    X_dup = np.repeat(_blobs(rng, 15, 2, 3), 3, axis=0)
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
    ]


def _kmeans_cases(seed, hidden):
    X = np.array([[0.0, 0], [0, 1], [1, 0], [9, 9], [9, 10], [10, 9], [0, 9], [1, 10]])
    cases = [
        OutputCase("three corners of a square", (X, X[[0, 1, 3]].copy())),
        OutputCase("max_iter = 1", (X, X[[0, 1, 3]].copy()), {"max_iter": 1}),
    ]
    if hidden:
        cases += [OutputCase(label, args, kwargs, hidden=True)
                  for label, args, kwargs in _kmeans_inputs(seed)]
        rng = _rng(seed, 10)
        X = _blobs(rng, 20_000, 2, 4, scale=6.0)
        cases.append(TimingCase("speed on X (20000, 2), k = 4", (X, _bad_start(X, 4, rng)),
                                baseline=_plain_kmeans, factor=12))
    return cases


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
            centres, rows = _draw(call, X, k, _rng(seed, salt, i))
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


def _pp_no_repeats(seed, salt, draws=60):
    """Adding up the squared distances to every chosen centre picks a chosen sample again in
    about 40% of draws of 3 from these 4 points; a correct sampler never does."""
    def check(call, case):
        for i in range(draws):
            centres, rows = _draw(call, _PP_REPEAT_POINTS, 3, _rng(seed, salt, i))
            if len(set(rows.tolist())) < 3:
                return ("3 centres from 4 different points: a sample already chosen was chosen "
                        "again", "summed_all_centres")
        return None
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


# --- 04 Elbow curves -------------------------------------------------------------------------


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
    rng = _rng(0, 11)
    X = rng.normal(size=(12, 2))
    cases = [
        OutputCase("ks = [1]: the centre is the mean", (X[:8], X[8:], [1])),
        OutputCase("ks = [1, 2, 4] on four clear groups",
                   (_elbow_data(rng, 80), _elbow_data(rng, 40), [1, 2, 4])),
    ]
    if hidden:
        rng = _rng(seed, 12)
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


# --- 05 MNIST --------------------------------------------------------------------------------


def _compare_counts(out, expected, case):
    return compare_array(out, expected, rtol=0, atol=0)


def _contingency_cases(seed, hidden):
    cases = [
        OutputCase("3 classes, 2 clusters",
                   (np.array([0, 0, 1, 1, 2]), np.array([1, 1, 0, 1, 0]))),
        OutputCase("labels that do not start at 0",
                   (np.array([3, 3, 7, 7, 7]), np.array([5, 2, 2, 2, 9]))),
    ]
    if hidden:
        rng = _rng(seed, 13)
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


def _purity_cases(seed, hidden):
    cases = [
        OutputCase("6 samples: purity 4/6",
                   (np.array([0, 0, 0, 1, 1, 2]), np.array([0, 0, 1, 1, 1, 1]))),
        OutputCase("a perfect clustering", (np.array([1, 1, 2, 2]), np.array([0, 0, 1, 1]))),
    ]
    if hidden:
        rng = _rng(seed, 14)
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


def _majority_cases(seed, hidden):
    cases = [
        OutputCase("two clusters", (np.array([0, 0, 1, 1, 1]), np.array([7, 7, 3, 3, 9]), 2)),
        OutputCase("cluster 1 empty: the most common label overall",
                   (np.array([0, 0, 0, 2]), np.array([1, 1, 5, 4]), 3)),
    ]
    if hidden:
        rng = _rng(seed, 15)
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


# --- 06 Embeddings ---------------------------------------------------------------------------


def _normalize_cases(seed, hidden):
    cases = [
        OutputCase("X = [[3, 4], [1, 0], [0, -2]]", (np.array([[3.0, 4], [1, 0], [0, -2]]),)),
        OutputCase("one feature (d = 1)", (np.array([[2.0], [-0.5], [3.0]]),)),
    ]
    if hidden:
        rng = _rng(seed, 16)
        with_zero = rng.normal(size=(5, 3))
        with_zero[2] = 0
        cases += [
            OutputCase("random X (6, 3)", (rng.normal(size=(6, 3)),), hidden=True),
            OutputCase("square X (4, 4)", (rng.normal(size=(4, 4)),), hidden=True),
            OutputCase("integer input", (rng.integers(-9, 10, size=(5, 3)),), hidden=True),
            OutputCase("a row of zeros", (with_zero,), hidden=True),
            OutputCase("large values", (1e6 * rng.normal(size=(4, 3)),), hidden=True),
            OutputCase("one sample (n = 1)", (rng.normal(size=(1, 5)),), hidden=True),
            TimingCase("speed on X (40000, 8)", (rng.normal(size=(40_000, 8)),)),
        ]
    return cases


def _compare_central(out, expected, case):
    """Right members at the right distances, nearest first; equally near ones in any order."""
    expected = np.asarray(expected)
    array, problem = as_array_or_problem(out, expected.shape)
    if problem:
        return problem
    if array.dtype.kind not in "iu":
        return f"should hold whole numbers (row indices), got dtype {array.dtype}"
    X, centers = np.asarray(case.args[0], dtype=float), np.asarray(case.args[1], dtype=float)
    labels = np.asarray(case.args[2])
    for j in range(expected.shape[0]):
        want, got = expected[j], array[j]
        if not np.array_equal(got == -1, want == -1):
            return (f"cluster {j}: expected {_listed(want)}, got {_listed(got)} "
                    f"(-1 fills the places of missing members)")
        rows = got[got != -1]
        if rows.size and (rows.max() >= X.shape[0] or rows.min() < 0):
            return f"cluster {j}: {_listed(got)} are not all rows of X"
        if np.unique(rows).size != rows.size:
            return f"cluster {j}: {_listed(got)} repeats a sample"
        if (labels[rows] != j).any():
            return f"cluster {j}: {_listed(got)} includes samples of other clusters"
        got_d = ((X[rows] - centers[j]) ** 2).sum(axis=1)
        want_d = ((X[want[want != -1]] - centers[j]) ** 2).sum(axis=1)
        if not np.allclose(got_d, want_d, rtol=1e-9, atol=0):
            return f"cluster {j}: expected {_listed(want)}, got {_listed(got)}"
    return None


def _listed(row):
    return "[" + ", ".join(str(int(v)) for v in row) + "]"


def _central_cases(seed, hidden):
    X = np.array([[0.0], [1.0], [2.5], [10.0], [11.0], [9.5]])
    cases = [
        OutputCase("two clusters on a line, m = 2",
                   (X, np.array([[1.0], [10.0]]), np.array([0, 0, 0, 1, 1, 1]), 2)),
        OutputCase("a cluster with fewer than m members",
                   (X, np.array([[1.0], [10.0]]), np.array([0, 0, 0, 0, 0, 1]), 3)),
    ]
    if hidden:
        rng = _rng(seed, 17)
        Xb = _blobs(rng, 40, 3, 4)
        C = rng.normal(scale=4, size=(4, 3))
        labels = distances.assign(Xb, C)
        X_dup = np.repeat(rng.normal(size=(6, 2)), 2, axis=0)
        C_dup = X_dup[[0, 6]] + 0.1
        cases += [
            OutputCase("random blobs, m = 3", (Xb, C, labels, 3), hidden=True),
            OutputCase("m = 1", (Xb, C, labels, 1), hidden=True),
            OutputCase("one cluster (k = 1)", (Xb, C[:1], np.zeros(40, dtype=int), 5),
                       hidden=True),
            OutputCase("an empty cluster", (Xb, np.concatenate([C, [[99.0, 99, 99]]]), labels,
                                            3), hidden=True),
            OutputCase("ties: duplicated points", (X_dup, C_dup,
                                                   distances.assign(X_dup, C_dup), 4),
                       hidden=True),
            OutputCase("integer input", (np.round(Xb).astype(int), np.round(C).astype(int),
                                         labels, 2), hidden=True),
            TimingCase("speed on X (40000, 8), k = 3", _central_timing_input(rng),
                       factor=25),
        ]
    return cases


def _central_timing_input(rng):
    X = rng.normal(size=(40_000, 8))
    C = rng.normal(size=(3, 8))
    return X, C, distances.assign(X, C), 3


# --- the registry ----------------------------------------------------------------------------


def _exercise(name, notebook, points, signature, summary, params, reference, compare, build):
    return Exercise(name, notebook, points, signature, summary, tuple(params), reference,
                    compare, build)


def _same_array(out, expected, case):
    return compare_array(out, expected)


def _same_labels(out, expected, case):
    return compare_labels(out, expected)


def _same_number(out, expected, case):
    return compare_number(out, expected)


def _close_array(out, expected, case):
    return compare_array(out, expected, rtol=1e-7, atol=1e-12)


def _init_compare(out, expected, case):  # random exercises are judged by their probes
    return None


EXERCISES = {e.name: e for e in [
    _exercise("difference_table", "01_broadcasting", 5, "difference_table(a, b)",
              "(n, m) table of a[i] - b[j]", ("a", "b"), broadcasting.difference_table,
              _same_array, _difference_table_cases),
    _exercise("row_sums_outer", "01_broadcasting", 5, "row_sums_outer(A)",
              "(n, n) products s[i] * s[j] of the row sums s", ("A",),
              broadcasting.row_sums_outer, _close_array, _row_sums_outer_cases),
    _exercise("pick_per_row", "01_broadcasting", 5, "pick_per_row(X, idx)",
              "(n,) elements X[i, idx[i]]", ("X", "idx"), broadcasting.pick_per_row,
              _same_array, _pick_per_row_cases),
    _exercise("pairwise_sq_dists", "02_distances", 10, "pairwise_sq_dists(X, C)",
              "(n, k) squared distances from every sample to every centre", ("X", "C"),
              distances.pairwise_sq_dists, _compare_dists, _pairwise_cases),
    _exercise("assign", "02_distances", 5, "assign(X, C)",
              "(n,) index of the nearest centre, ties to the lower index", ("X", "C"),
              _assign_reference, _same_labels, _assign_cases),
    _exercise("init_random", "03_old_faithful", 5, "init_random(X, k, rng)",
              "(k, d) distinct random samples as initial centres", ("X", "k", "rng"),
              init.init_random, _init_compare, _init_random_cases),
    _exercise("update_centers", "03_old_faithful", 10, "update_centers(X, labels, centers)",
              "(k, d) mean of every cluster; an empty cluster keeps its centre",
              ("X", "labels", "centers"), algorithm.update_centers, _close_array,
              _update_cases),
    _exercise("inertia", "03_old_faithful", 5, "inertia(X, C)",
              "J: sum of squared distances to the nearest centre", ("X", "C"),
              distances.inertia, _compare_inertia, _inertia_cases),
    _exercise("kmeans", "03_old_faithful", 15, "kmeans(X, init_centers, max_iter=100, tol=1e-4)",
              "Lloyd's algorithm: returns centers, labels, losses",
              ("X", "init_centers", "max_iter", "tol"), _kmeans_reference, _compare_kmeans,
              _kmeans_cases),
    _exercise("init_kmeans_pp", "03_old_faithful", 10, "init_kmeans_pp(X, k, rng)",
              "(k, d) k-means++ initial centres (D^2 sampling)", ("X", "k", "rng"),
              init.init_kmeans_pp, _init_compare, _init_kmeans_pp_cases),
    _exercise("elbow_sweep", "04_elbow_curves", 10,
              "elbow_sweep(X_train, X_val, ks, n_init=5, seed=0)",
              "mean loss per sample on train and validation data for every k",
              ("X_train", "X_val", "ks", "n_init", "seed"), selection.elbow_sweep,
              _compare_elbow, _elbow_cases),
    _exercise("contingency_matrix", "05_mnist", 5, "contingency_matrix(y_true, y_pred)",
              "(n_classes, n_clusters) counts of every class in every cluster",
              ("y_true", "y_pred"), metrics.contingency_matrix, _compare_counts,
              _contingency_cases),
    _exercise("purity", "05_mnist", 5, "purity(y_true, y_pred)",
              "share of samples in their cluster's majority class", ("y_true", "y_pred"),
              metrics.purity, _same_number, _purity_cases),
    _exercise("majority_labels", "05_mnist", 5, "majority_labels(cluster_labels, y_true, k)",
              "(k,) most common true label in every cluster", ("cluster_labels", "y_true", "k"),
              classify.majority_labels, _same_labels, _majority_cases),
    _exercise("normalize_rows", "06_embeddings", 5, "normalize_rows(X)",
              "(n, d) rows scaled to length 1", ("X",), spherical.normalize_rows, _close_array,
              _normalize_cases),
    _exercise("central_members", "06_embeddings", 10,
              "central_members(X, centers, labels, m=3)",
              "(k, m) rows of the m members nearest each centre", ("X", "centers", "labels", "m"),
              spherical.central_members, _compare_central, _central_cases),
]}


def get_exercise(name):
    """The exercise called ``name``; a ValueError listing the exercises otherwise."""
    if name in EXERCISES:
        return EXERCISES[name]
    by_notebook = {}
    for exercise in EXERCISES.values():
        by_notebook.setdefault(exercise.notebook, []).append(exercise.name)
    listing = "; ".join(f"{nb}: {', '.join(names)}" for nb, names in by_notebook.items())
    raise ValueError(
        f"There is no exercise called {name!r}. Name your function like the exercise, or pass "
        f"exercise=... to check. The exercises are: {listing}."
    )
