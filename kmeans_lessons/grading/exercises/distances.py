"""Lesson 02, distances: pairwise_sq_dists and assign.

For each exercise: its cases, its comparator, the detectors of its usual mistakes, and its
registry entry (points and the mistakes with their hints). The inputs both share (and that
inertia in lesson 03 reuses) are in :mod:`._common`.
"""

import numpy as np

from ... import distances
from ..._validation import check_samples_and_centers
from ..cases import OutputCase, TimingCase, compare_array
from ..hints import Mistake, as_numbers, broadcast_error, case_args, close, shows
from . import Exercise
from ._common import (case_rng, distance_inputs, distance_table, distance_timing_input,
                      plain_assign, plain_sq_dists, same_labels, scaled_atol, tie_inputs)


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
        cases.append(TimingCase("speed on X (40000, 2), C (4, 2)",
                                distance_timing_input(seed), baseline=plain_sq_dists,
                                factor=15))
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
        cases.append(TimingCase("speed on X (40000, 2), C (4, 2)",
                                distance_timing_input(seed), baseline=plain_assign,
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


def _assign_argmax(out, case):
    return shows(out, distance_table(case).argmax(axis=1), case)


def _assign_wrong_axis(out, case):
    D = distance_table(case)
    return any(shows(out, v, case) for v in
               (D.argmin(axis=0), D.argmax(axis=0), D.argmin(), D.argmax()))


def _assign_min_values(out, case):
    D = distance_table(case)
    return shows(out, D.min(axis=1), case) or shows(out, np.sqrt(D.min(axis=1)), case)


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


EXERCISES = (PAIRWISE_SQ_DISTS, ASSIGN)
