"""Lesson 06, embeddings: normalize_rows and central_members.

For each exercise: its cases, its comparator, the detectors of its usual mistakes, and its
registry entry (points and the mistakes with their hints).
"""

import numpy as np

from ... import distances, spherical
from ..cases import OutputCase, TimingCase, as_array_or_problem
from ..hints import Mistake, as_numbers, broadcast_error, close, shows
from . import Exercise
from ._common import blobs, case_rng, close_array


# --- normalize_rows(X) -----------------------------------------------------------------------


def _normalize_cases(seed, hidden):
    cases = [
        OutputCase("X = [[3, 4], [1, 0], [0, -2]]", (np.array([[3.0, 4], [1, 0], [0, -2]]),)),
        OutputCase("one feature (d = 1)", (np.array([[2.0], [-0.5], [3.0]]),)),
    ]
    if hidden:
        rng = case_rng(seed, 16)
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


def _rows(case):
    return as_numbers(case.args[0])


def _normalize_wrong_axis(out, case):
    X = _rows(case)
    norms = np.sqrt((X ** 2).sum(axis=0, keepdims=True))
    with np.errstate(all="ignore"):
        return shows(out, X / norms, case)


def _normalize_keepdims(out, case):
    X = _rows(case)
    norms = np.sqrt((X ** 2).sum(axis=1))
    with np.errstate(all="ignore"):
        return X.shape[0] == X.shape[1] and shows(out, X / norms[np.newaxis, :], case)


def _normalize_squared(out, case):
    X = _rows(case)
    with np.errstate(all="ignore"):
        return shows(out, X / (X ** 2).sum(axis=1, keepdims=True), case)


def _normalize_l1(out, case):
    X = _rows(case)
    with np.errstate(all="ignore"):
        return shows(out, X / np.abs(X).sum(axis=1, keepdims=True), case)


def _normalize_zero_nan(out, case):
    X = _rows(case)
    zero = ~X.any(axis=1)
    values = as_numbers(out)
    return (bool(zero.any()) and values.shape == X.shape and bool(np.isnan(values[zero]).all())
            and close(values[~zero], np.asarray(case.expected)[~zero]))


NORMALIZE_ROWS = Exercise(
    name="normalize_rows",
    notebook="06_embeddings",
    points=5,
    signature="normalize_rows(X)",
    summary="(n, d) rows scaled to length 1",
    params=("X",),
    reference=spherical.normalize_rows,
    compare=close_array,
    build=_normalize_cases,
    mistakes=(
        Mistake("wrong_axis",
                "You divided by the length of each column; each row is divided by its own "
                "length.", _normalize_wrong_axis),
        Mistake("forgot_keepdims",
                "The row lengths lost their second axis: an array of shape (n,) lines up with "
                "the columns, not the rows. Keep the lengths as a column (n, 1).",
                _normalize_keepdims, broadcast_error),
        Mistake("not_square_rooted",
                "You divided by the squared length; the length is its square root.",
                _normalize_squared),
        Mistake("l1_norm",
                "You divided by the sum of absolute values; a unit row has Euclidean length 1.",
                _normalize_l1),
        Mistake("zero_row_nan",
                "A row of zeros became NaN (0 / 0). It has no direction: leave it as zeros.",
                _normalize_zero_nan),
    ),
)


# --- central_members(X, centers, labels, m=3) ------------------------------------------------


def _central_cases(seed, hidden):
    X = np.array([[0.0], [1.0], [2.5], [10.0], [11.0], [9.5]])
    cases = [
        OutputCase("two clusters on a line, m = 2",
                   (X, np.array([[1.0], [10.0]]), np.array([0, 0, 0, 1, 1, 1]), 2)),
        OutputCase("a cluster with fewer than m members",
                   (X, np.array([[1.0], [10.0]]), np.array([0, 0, 0, 0, 0, 1]), 3)),
    ]
    if hidden:
        rng = case_rng(seed, 17)
        Xb = blobs(rng, 40, 3, 4)
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


def _central_inputs(case):
    X, centers, labels = (as_numbers(case.args[0]), as_numbers(case.args[1]),
                          np.asarray(case.args[2]).astype(int))
    m = case.args[3] if len(case.args) > 3 else case.kwargs.get("m", 3)
    return X, centers, labels, int(m)


def _central_by(case, key, members_only=True, local=False):
    """central_members with another ordering ``key(dists)`` or candidate set."""
    X, centers, labels, m = _central_inputs(case)
    out = np.full((centers.shape[0], m), -1)
    for j, centre in enumerate(centers):
        rows = np.flatnonzero(labels == j) if members_only else np.arange(X.shape[0])
        dists = ((X[rows] - centre) ** 2).sum(axis=1)
        order = np.argsort(key(dists), kind="stable")[:m]
        out[j, :order.size] = order if local else rows[order]
    return out


def _central_transposed(out, case):
    return shows(out, np.asarray(case.expected).T, case)


def _central_farthest(out, case):
    return shows(out, _central_by(case, lambda d: -d), case)


def _central_not_members(out, case):
    variant = _central_by(case, lambda d: d, members_only=False)
    values = as_numbers(out)
    if values.shape != variant.shape or close(variant, case.expected) or close(
            values, case.expected):
        return False
    # the nearest samples overall, in that order or another
    return close(values, variant) or bool(np.all(np.sort(values, axis=1)
                                                  == np.sort(variant, axis=1)))


def _central_local(out, case):
    return shows(out, _central_by(case, lambda d: d, local=True), case)


def _central_order(out, case):
    values = as_numbers(out)
    expected = np.asarray(case.expected)
    return values.shape == expected.shape and bool(
        np.all(np.sort(values, axis=1) == np.sort(expected, axis=1))) and not close(
        values, expected)


def _central_padding(out, case):
    expected = np.asarray(case.expected)
    values = as_numbers(out)
    padded = expected == -1
    return (values.shape == expected.shape and bool(padded.any())
            and bool(np.all(values[~padded] == expected[~padded]))
            and not bool(np.all(values[padded] == -1)))


def _central_padding_error(exc, case):
    expected = np.asarray(case.expected) if case.expected is not None else None
    return expected is not None and bool((expected == -1).any()) and isinstance(
        exc, (ValueError, IndexError))


CENTRAL_MEMBERS = Exercise(
    name="central_members",
    notebook="06_embeddings",
    points=10,
    signature="central_members(X, centers, labels, m=3)",
    summary="(k, m) rows of the m members nearest each centre",
    params=("X", "centers", "labels", "m"),
    reference=spherical.central_members,
    compare=_compare_central,
    build=_central_cases,
    mistakes=(
        Mistake("transposed",
                "The result is transposed: one row per cluster, m columns.",
                _central_transposed),
        Mistake("farthest",
                "Those are the members farthest from the centre; the exercise wants the nearest "
                "ones.", _central_farthest),
        Mistake("not_members",
                "Some indices belong to other clusters: look only among the members of each "
                "cluster.", _central_not_members),
        Mistake("local_indices",
                "Those are positions within the cluster's own list of members, not rows of X: "
                "map them back to row numbers of X.", _central_local),
        Mistake("wrong_order",
                "Right members, wrong order: nearest to the centre first.", _central_order),
        Mistake("no_padding",
                "A cluster with fewer than m members (or none) must fill its remaining places "
                "with -1.", _central_padding, _central_padding_error),
    ),
)


# --- assignment_margin(X, centers): the transfer exercise (how sure is each assignment?) ------


def _margin_cases(seed, hidden):
    cases = [
        OutputCase("X = [[3, 0], [0, -1]], three centres",
                   (np.array([[3.0, 0], [0, -1]]), np.array([[2.0, 0], [0, 5], [1, 1]]))),
        OutputCase("halfway between two centres, and a row of zeros",
                   (np.array([[1.0, 1], [0, 0], [2, 1]]), np.array([[1.0, 0], [0, 1]]))),
    ]
    if hidden:
        rng = case_rng(seed, 146)
        Xb = blobs(rng, 30, 5, 4)
        C = rng.normal(size=(4, 5)) * np.array([[0.3], [1.0], [5.0], [2.0]])  # mixed lengths
        with_zero = Xb[:8].copy()
        with_zero[3] = 0
        twins = np.concatenate([C[:2], C[:1] * 3.0])  # two centres in the same direction
        cases += [
            OutputCase("random blobs (30, 5), centres of different lengths", (Xb, C),
                       hidden=True),
            OutputCase("two centres (k = 2)", (Xb, C[:2]), hidden=True),
            OutputCase("a row of zeros among the samples", (with_zero, C), hidden=True),
            OutputCase("two centres with the same direction", (Xb, twins), hidden=True),
            OutputCase("integer input", (rng.integers(-5, 6, size=(10, 3)),
                                         rng.integers(1, 6, size=(3, 3))), hidden=True),
            OutputCase("one feature (d = 1)", (rng.normal(size=(6, 1)), np.array([[2.0], [-0.5]])),
                       hidden=True),
            OutputCase("samples far from the origin", (1e4 * rng.normal(size=(7, 3)),
                                                       rng.normal(size=(3, 3))), hidden=True),
            TimingCase("speed on X (40000, 8), k = 4",
                       (rng.normal(size=(40_000, 8)), rng.normal(size=(4, 8))),
                       baseline=_plain_margin, factor=15),
        ]
    return cases


def _plain_margin(X, centers):
    """The yardstick: unit rows, one matrix product, a sort of every row."""
    top = np.sort(_unit(X) @ _unit(centers).T, axis=1)
    return top[:, -1] - top[:, -2]


def _unit(A):
    A = as_numbers(A)
    lengths = np.sqrt((A ** 2).sum(axis=1, keepdims=True))
    with np.errstate(all="ignore"):
        return np.where(lengths > 0, A / np.where(lengths > 0, lengths, 1), 0.0)


def _top_two(scores, largest=True):
    ordered = np.sort(scores, axis=1)
    return (ordered[:, -1], ordered[:, -2]) if largest else (ordered[:, 0], ordered[:, 1])


def _margin_not_normalised(out, case):
    X, C = as_numbers(case.args[0]), as_numbers(case.args[1])
    variants = []
    for left, right in ((X, _unit(C)), (_unit(X), C), (X, C)):
        best, second = _top_two(left @ right.T)
        variants.append(best - second)
    return any(shows(out, v, case) for v in variants)


def _margin_reversed(out, case):
    return shows(out, -np.asarray(case.expected, dtype=float), case)


def _margin_worst(out, case):
    cosines = _unit(case.args[0]) @ _unit(case.args[1]).T
    return shows(out, cosines.max(axis=1) - cosines.min(axis=1), case)


def _margin_best_only(out, case):
    cosines = _unit(case.args[0]) @ _unit(case.args[1]).T
    return shows(out, cosines.max(axis=1), case)


def _margin_in_distances(out, case):
    X, C = as_numbers(case.args[0]), as_numbers(case.args[1])
    D = ((X[:, np.newaxis, :] - C[np.newaxis, :, :]) ** 2).sum(axis=2)
    U, V = _unit(X), _unit(C)
    D_unit = ((U[:, np.newaxis, :] - V[np.newaxis, :, :]) ** 2).sum(axis=2)
    variants = []
    for table in (D, D_unit):
        nearest, second = _top_two(table, largest=False)
        variants.append(second - nearest)
    return any(shows(out, v, case) for v in variants)


def _margin_wrong_axis(out, case):
    cosines = _unit(case.args[0]) @ _unit(case.args[1]).T
    ordered = np.sort(cosines, axis=0)
    return shows(out, ordered[-1] - ordered[-2], case) or (
        np.shape(out) == (cosines.shape[1],) and cosines.shape[0] != cosines.shape[1])


def _margin_zero_nan(out, case):
    X = as_numbers(case.args[0])
    zero = ~X.any(axis=1)
    values = as_numbers(out)
    return (bool(zero.any()) and values.shape == zero.shape and bool(np.isnan(values[zero]).all())
            and close(values[~zero], np.asarray(case.expected)[~zero]))


ASSIGNMENT_MARGIN = Exercise(
    name="assignment_margin",
    notebook="06_embeddings",
    points=10,
    signature="assignment_margin(X, centers)",
    summary="(n,) best minus second-best cosine between each sample and the centres",
    params=("X", "centers"),
    reference=spherical.assignment_margin,
    compare=close_array,
    build=_margin_cases,
    mistakes=(
        Mistake("not_normalised",
                "These are differences of dot products, not of cosines: a cosine divides by the "
                "lengths of both vectors, so give the samples and the centres length 1 first.",
                _margin_not_normalised),
        Mistake("reversed",
                "Your margins are negative: the best cosine minus the second best, not the "
                "other way round.", _margin_reversed),
        Mistake("best_minus_worst",
                "You subtracted the smallest cosine; the margin compares the best centre with "
                "the runner-up, the second largest cosine.", _margin_worst),
        Mistake("best_only",
                "That is the cosine with the best centre; the margin is how much it beats the "
                "second best.", _margin_best_only),
        Mistake("distance_margin",
                "That margin is measured in squared distances; this exercise measures it in "
                "cosines, so that only directions count.", _margin_in_distances),
        Mistake("wrong_axis",
                "You sorted along the wrong axis: for every sample, compare its cosines with the "
                "k centres, giving one margin per sample.", _margin_wrong_axis),
        Mistake("zero_row_nan",
                "A row of zeros became NaN (0 / 0 when normalising). It has no direction: its "
                "cosines are all 0, and so is its margin.", _margin_zero_nan),
    ),
)



EXERCISES = (NORMALIZE_ROWS, CENTRAL_MEMBERS, ASSIGNMENT_MARGIN)
