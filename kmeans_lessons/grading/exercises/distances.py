"""Lesson 02, distances: pairwise_sq_dists and assign.

For each exercise: its cases, its comparator, the detectors of its usual mistakes, and its
registry entry (points and the mistakes with their hints). The inputs both share (and that
inertia in lesson 03 reuses) are in :mod:`._common`.
"""

import numpy as np

from ... import distances
from ..._validation import check_samples_and_centers
from ..cases import OutputCase, ProbeCase, SpeedCase, compare_array
from ..hints import Mistake, as_numbers, broadcast_error, case_args, close, shows
from . import Exercise
from ._common import (blobs, case_rng, distance_inputs, distance_speed_input, distance_table,
                      same_labels, scaled_atol, tie_inputs)


# --- pairwise_sq_dists(X, C) -----------------------------------------------------------------


def _pairwise_cases(seed, hidden):
    cases = [
        OutputCase("X (3, 2), C (2, 2)",
                   (np.array([[0.0, 0], [1, 0], [0, 2]]), np.array([[0.0, 0], [1, 1]]))),
        OutputCase("one centre", (np.array([[1.0, 2], [3, 4]]), np.array([[1.0, 2]]))),
    ]
    if hidden:
        cases += [OutputCase(label, (X, C), hidden=True)
                  for label, X, C in distance_inputs(seed)]
        cases.append(SpeedCase("speed: X (400, 2), C (4, 2), then ten times the samples",
                               distance_speed_input(seed)))
    return cases


def _compare_dists(out, expected, case):
    problem = compare_array(out, expected, rtol=1e-6, atol=scaled_atol(*case.args))
    if problem is None and np.asarray(out).min() < 0:
        return f"holds negative squared distances (smallest {float(np.min(out)):.3g})"
    return problem


def _dists_swapped(out, case):
    return shows(out, np.asarray(case.expected).T, case)


def _dists_tolerance(case):
    X, C = case_args(case)
    scale = float(np.abs(as_numbers(X)).max() ** 2 + np.abs(as_numbers(C)).max() ** 2)
    return dict(rtol=1e-6, atol=1e-9 * max(scale, 1.0))


def _dists_sqrt(out, case):
    return shows(out, np.sqrt(case.expected), case, **_dists_tolerance(case))


def _dists_not_squared(out, case):
    X, C = case_args(case)
    diffs = as_numbers(X)[:, np.newaxis, :] - as_numbers(C)[np.newaxis, :, :]
    return any(shows(out, variant, case) for variant in
               (diffs.sum(axis=2), np.abs(diffs).sum(axis=2), -diffs.sum(axis=2)))


def _dists_sign(out, case):
    X, C = as_numbers(case.args[0]), as_numbers(case.args[1])
    xx = (X ** 2).sum(axis=1)[:, np.newaxis]
    cc = (C ** 2).sum(axis=1)[np.newaxis, :]
    xc = X @ C.T
    tolerance = _dists_tolerance(case)
    for sx in (1, -1):
        for sc in (1, -1):
            for sp in (-2, 2):
                if (sx, sc, sp) == (1, 1, -2):
                    continue
                if shows(out, sx * xx + sc * cc + sp * xc, case, **tolerance):
                    return True
    return False


def _dists_wrong_axis(out, case):
    X, C = as_numbers(case.args[0]), as_numbers(case.args[1])
    squares = (X[:, np.newaxis, :] - C[np.newaxis, :, :]) ** 2
    variants = [squares.sum(axis=0), squares.sum(axis=1), squares.sum()]
    if X.shape[0] == C.shape[0] or C.shape[0] == 1:
        variants.append(((X - C) ** 2).sum(axis=0))
        variants.append(((X - C) ** 2).sum())
    return any(shows(out, v, case) for v in variants)


def _dists_rows_paired(out, case):
    """X - C without new axes: runs when C has one row or as many as X, pairing rows."""
    X, C = as_numbers(case.args[0]), as_numbers(case.args[1])
    if C.shape[0] not in (1, X.shape[0]) or np.ndim(out) != 1:
        return False
    return close(out, ((X - C) ** 2).sum(axis=1))


def _dists_mean(out, case):
    X = as_numbers(case.args[0])
    return shows(out, np.asarray(case.expected) / X.shape[1], case, **_dists_tolerance(case))


def _dists_negative(out, case):
    values = as_numbers(out)
    return bool((values < 0).any()) and close(np.maximum(values, 0), case.expected,
                                               **_dists_tolerance(case))


PAIRWISE_SQ_DISTS = Exercise(
    name="pairwise_sq_dists",
    notebook="02_distances",
    points=10,
    signature="pairwise_sq_dists(X, C)",
    summary="(n, k) squared distances from every sample to every centre",
    params=("X", "C"),
    reference=distances.pairwise_sq_dists,
    compare=_compare_dists,
    build=_pairwise_cases,
    mistakes=(
        Mistake("swapped_xc",
                "Your result has shape (k, n), one row per centre. Did you swap X and C? Rows "
                "should follow the samples X and columns the centres C.", _dists_swapped),
        Mistake("square_rooted",
                "These are distances, square-rooted; the exercise asks for squared distances.",
                _dists_sqrt),
        Mistake("not_squared",
                "The coordinate differences were added up without squaring them first.",
                _dists_not_squared),
        Mistake("expansion_sign",
                "A sign is wrong in the expansion ||x||^2 + ||c||^2 - 2 x.c: check which terms "
                "are added and which subtracted.", _dists_sign),
        Mistake("wrong_axis",
                "You added up over the wrong axis: sum the squared differences over the d "
                "coordinates only, keeping one value per (sample, centre) pair.",
                _dists_wrong_axis),
        Mistake("mean_instead_of_sum",
                "You took the mean over the coordinates; a squared distance is their sum.",
                _dists_mean),
        Mistake("negative_distances",
                "Some distances come out slightly below zero: rounding in the expansion. A "
                "squared distance is never negative, so clip the result at zero.",
                _dists_negative),
        Mistake("broadcast_error",
                "X - C on the arrays as they are only runs when C has one row or as many rows "
                "as X, and then it pairs rows instead of comparing every sample with every "
                "centre: give them axes so that every sample meets every centre, or use the "
                "expansion with a matrix product.", _dists_rows_paired, broadcast_error),
    ),
)


# --- assign(X, C) ----------------------------------------------------------------------------


def _assign_cases(seed, hidden):
    X_tie, C_tie = tie_inputs()
    cases = [
        OutputCase("X (3, 2), C (2, 2)",
                   (np.array([[0.0, 0], [1, 0], [5, 5]]), np.array([[0.0, 0], [5, 5]]))),
        OutputCase("ties go to the lower index", (X_tie, C_tie)),
    ]
    if hidden:
        rng = case_rng(seed, 6)
        cases += [OutputCase(label, (X, C), hidden=True)
                  for label, X, C in distance_inputs(seed)]
        grid = rng.integers(-3, 4, size=(20, 2)).astype(float)
        # centres whose mean is exactly (0, 0): distances computed any sensible way come out
        # exactly equal, so the tie rule alone decides
        centres = np.array([[-1.0, 0], [1, 0], [0, 2], [0, -2]])
        cases.append(OutputCase("ties on a grid", (grid, centres), hidden=True))
        cases.append(SpeedCase("speed: X (400, 2), C (4, 2), then ten times the samples",
                               distance_speed_input(seed)))
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


def _assign_argmax(out, case):
    return shows(out, distance_table(case).argmax(axis=1), case)


def _assign_wrong_axis(out, case):
    D = distance_table(case)
    return any(shows(out, v, case) for v in
               (D.argmin(axis=0), D.argmax(axis=0), D.argmin(), D.argmax()))


def _assign_min_values(out, case):
    D = distance_table(case)
    return shows(out, D.min(axis=1), case) or shows(out, np.sqrt(D.min(axis=1)), case)


def _assign_keepdims(out, case):
    n = np.shape(case.expected)[0]
    return np.shape(out) == (n, 1) and close(np.ravel(out), case.expected)


def _assign_ties(out, case):
    D = distance_table(case)
    try:
        labels = as_numbers(out).astype(int)
        if labels.shape != D.shape[:1]:
            return False
        picked = D[np.arange(D.shape[0]), labels]
    except Exception:
        return False
    nearest = D.min(axis=1)
    wrong = labels != np.asarray(case.expected)
    return bool(wrong.any()) and bool(np.all(picked[wrong] == nearest[wrong]))


ASSIGN = Exercise(
    name="assign",
    notebook="02_distances",
    points=5,
    signature="assign(X, C)",
    summary="(n,) index of the nearest centre, ties to the lower index",
    params=("X", "C"),
    reference=_assign_reference,
    compare=same_labels,
    build=_assign_cases,
    mistakes=(
        Mistake("keepdims",
                "Your labels have shape (n, 1): keeping the dimensions in the reduction kept the "
                "centres' axis. assign returns one label per sample, a 1-D array of shape (n,).",
                _assign_keepdims),
        Mistake("argmax",
                "argmax finds the farthest centre; the nearest centre has the smallest "
                "distance.", _assign_argmax),
        Mistake("wrong_axis",
                "You took the minimum over the wrong axis (or over the whole table): that gives "
                "one value per centre. Look across the centres to get one label per sample.",
                _assign_wrong_axis),
        Mistake("min_not_argmin",
                "You returned the smallest distances themselves; the exercise wants the index of "
                "the nearest centre.", _assign_min_values),
        Mistake("ties",
                "When two centres are equally near, your function picks the later one; ties must "
                "go to the lower index (the first minimum).", _assign_ties),
    ),
)


# --- weighted_sq_dists(X, C, w): the transfer exercise (the expansion, weighted) --------------

#: The memory probe's input: n x k x d = 10 000 x 20 x 50 numbers would be 80 MB at once.
_WEIGHTED_PROBE_SHAPE = (10_000, 20, 50)


def _weighted_inputs(seed):
    rng = case_rng(seed, 142)
    X = rng.normal(size=(9, 3))
    far = 1e3 + blobs(rng, 10, 2, 3)
    old_faithful_like = rng.normal(loc=[3.5, 70.0], scale=[1.1, 13.6], size=(12, 2))
    return [
        ("random X (7, 3), C (4, 3), w (3,)", rng.normal(size=(7, 3)), rng.normal(size=(4, 3)),
         rng.uniform(0.1, 3, size=3)),
        ("a weight of 0: that feature is ignored", X, X[[0, 4]] + 1.0, np.array([1.0, 0, 2])),
        ("one feature (d = 1)", rng.normal(size=(6, 1)), rng.normal(size=(3, 1)),
         np.array([2.5])),
        ("one centre (k = 1)", X, X[:1] - 0.5, rng.uniform(0.1, 3, size=3)),
        ("integer input", rng.integers(-5, 6, size=(6, 2)), rng.integers(-5, 6, size=(3, 2)),
         np.array([3, 1])),
        ("weights 1 / variance", old_faithful_like, old_faithful_like[[0, 5, 9]],
         1 / old_faithful_like.var(axis=0)),
        ("data far from the origin, centres on samples", far, far[[0, 4, 7]],
         rng.uniform(0.5, 2, size=2)),
        ("many features (d = 30)", rng.normal(size=(8, 30)), rng.normal(size=(3, 30)),
         rng.uniform(0, 2, size=30)),
    ]


def _weighted_cases(seed, hidden):
    cases = [
        OutputCase("X (2, 2), C (1, 2), w = [2, 0.5]",
                   (np.array([[0.0, 0], [1, 2]]), np.array([[1.0, 1]]), np.array([2.0, 0.5]))),
        OutputCase("equal weights of 1: the plain squared distances",
                   (np.array([[0.0, 0], [1, 0], [0, 2]]), np.array([[0.0, 0], [1, 1]]),
                    np.array([1.0, 1.0]))),
    ]
    if hidden:
        cases += [OutputCase(label, (X, C, w), hidden=True)
                  for label, X, C, w in _weighted_inputs(seed)]
        cases.append(ProbeCase(f"memory on X {_WEIGHTED_PROBE_SHAPE[0::2]}, "
                               f"C {_WEIGHTED_PROBE_SHAPE[1:]}", _weighted_memory_probe(seed),
                               hidden=True))
        rng = case_rng(seed, 143)
        cases.append(SpeedCase("speed: X (400, 2), C (4, 2), then ten times the samples",
                               (blobs(rng, 400, 2, 4), rng.normal(scale=4, size=(4, 2)),
                                rng.uniform(0.5, 2, size=2))))
    return cases


def _plain_weighted_sq_dists(X, C, w):
    """The weighted expansion written the plain way (the memory probe's expected answer)."""
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    D = ((X ** 2) @ w)[:, np.newaxis] + (C ** 2) @ w - 2 * (X * w) @ C.T
    return np.maximum(D, 0)


def _weighted_memory_probe(seed):
    """Fails a correct answer that held an (k, n, d)-sized array at some moment: the 3-D
    broadcast the exercise asks to avoid. tracemalloc sees NumPy's allocations, so the verdict
    is the same on every machine."""
    n, k, d = _WEIGHTED_PROBE_SHAPE
    rng = case_rng(seed, 144)
    X, C, w = rng.normal(size=(n, d)), rng.normal(size=(k, d)), rng.uniform(0.5, 2, size=d)
    budget = n * k * d * 8 // 2  # half the 3-D array; the expansion needs a few (n, d) arrays

    def probe(call, case):
        import tracemalloc

        started = not tracemalloc.is_tracing()
        if started:
            tracemalloc.start()
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        try:
            out = call(X, C, w)
        finally:
            peak = tracemalloc.get_traced_memory()[1] - before
            if started:
                tracemalloc.stop()
        problem = compare_array(out, _plain_weighted_sq_dists(X, C, w), rtol=1e-6, atol=1e-9)
        if problem is not None:
            return f"on a large input: {problem}", None
        if peak > budget:
            return (f"needed {peak / 1e6:.0f} MB at once for an answer of "
                    f"{n * k * 8 / 1e6:.1f} MB", "three_d_broadcast")
        return None

    return probe


def _weighted_tolerance(case):
    X, C, w = (as_numbers(a) for a in case.args)
    scale = float((np.abs(X).max() ** 2 + np.abs(C).max() ** 2) * max(np.abs(w).max(), 1.0))
    return dict(rtol=1e-6, atol=1e-9 * max(scale, 1.0))


def _weighted_negative(out, case):
    values = as_numbers(out)
    return bool((values < 0).any()) and close(np.maximum(values, 0), case.expected,
                                               **_weighted_tolerance(case))


def _weighted_parts(case):
    X, C, w = (as_numbers(a) for a in case.args)
    return X, C, w, X[:, np.newaxis, :] - C[np.newaxis, :, :]


def _weighted_unweighted(out, case):
    X, C, w, diffs = _weighted_parts(case)
    return shows(out, (diffs ** 2).sum(axis=2), case, **_weighted_tolerance(case))


def _weighted_cross_term(out, case):
    X, C, w, diffs = _weighted_parts(case)
    variants = [((X ** 2) @ w)[:, np.newaxis] + (C ** 2) @ w - 2 * X @ C.T,
                (X ** 2).sum(axis=1)[:, np.newaxis] + (C ** 2).sum(axis=1) - 2 * (X * w) @ C.T]
    tolerance = _weighted_tolerance(case)
    return any(shows(out, v, case, **tolerance) or shows(out, np.maximum(v, 0), case, **tolerance)
               for v in variants)


def _weighted_twice(out, case):
    X, C, w, diffs = _weighted_parts(case)
    return shows(out, (w ** 2 * diffs ** 2).sum(axis=2), case, **_weighted_tolerance(case))


def _weighted_swapped(out, case):
    return shows(out, np.asarray(case.expected).T, case)


def _weighted_sqrt(out, case):
    return shows(out, np.sqrt(case.expected), case, **_weighted_tolerance(case))


WEIGHTED_SQ_DISTS = Exercise(
    name="weighted_sq_dists",
    notebook="02_distances",
    points=10,
    signature="weighted_sq_dists(X, C, w)",
    summary="(n, k) weighted squared distances, sum of w[f] * (X[i, f] - C[j, f]) ** 2",
    params=("X", "C", "w"),
    reference=distances.weighted_sq_dists,
    compare=_compare_dists,
    build=_weighted_cases,
    mistakes=(
        Mistake("unweighted",
                "These are the plain squared distances: the weights are missing. Each feature's "
                "squared difference is multiplied by its own weight before the sum.",
                _weighted_unweighted),
        Mistake("cross_term_unweighted",
                "One piece of the expansion lost its weight. Multiply out w (x - c) squared on "
                "paper: every one of the three pieces carries the weight.", _weighted_cross_term),
        Mistake("weighted_twice",
                "Each squared difference was multiplied by the square of its weight: scaling "
                "the features by w before squaring counts the weight twice.", _weighted_twice),
        Mistake("swapped_xc",
                "Your result has shape (k, n), one row per centre: rows should follow the "
                "samples X and columns the centres C.", _weighted_swapped),
        Mistake("square_rooted",
                "These are weighted distances, square-rooted; the exercise asks for squared "
                "distances.", _weighted_sqrt),
        Mistake("negative_distances",
                "Some distances come out slightly below zero: rounding in the expansion. A "
                "squared distance is never negative, so clip the result at zero.",
                _weighted_negative),
        Mistake("three_d_broadcast",
                "The answer is right, but your function held an array with one number for every "
                "sample, centre and feature at once (a 3-D broadcast), whose memory grows as "
                "n * k * d. Multiply the weighted square out, as in section 4, so that nothing "
                "bigger than (n, k) is ever needed."),
    ),
)



EXERCISES = (PAIRWISE_SQ_DISTS, ASSIGN, WEIGHTED_SQ_DISTS)
