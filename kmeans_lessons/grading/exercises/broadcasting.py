"""Lesson 01, broadcasting: difference_table, row_sums_outer, pick_per_row.

For each exercise: the cases it is checked on, the detectors of its usual mistakes, and its
registry entry (comparator, points and the mistakes with their hints), in that order.
"""

import numpy as np

from ... import broadcasting
from ..cases import OutputCase, TimingCase
from ..hints import Mistake, as_numbers, broadcast_error, case_args, close, shows
from . import Exercise
from ._common import case_rng, close_array, same_array


# --- difference_table(a, b) ------------------------------------------------------------------


def _difference_table_cases(seed, hidden):
    cases = [
        OutputCase("a = [1, 2, 3], b = [10, 20]", (np.array([1.0, 2, 3]), np.array([10.0, 20]))),
        OutputCase("a with one entry", (np.array([0.5]), np.array([1.0, 2.0, 3.0]))),
    ]
    if hidden:
        rng = case_rng(seed, 1)
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


def _table_transposed(out, case):
    a, b = case_args(case)
    table = a[:, np.newaxis] - b
    return shows(out, table.T, case) or shows(out, -table.T, case)


def _table_sign(out, case):
    a, b = case_args(case)
    return shows(out, b[np.newaxis, :] - a[:, np.newaxis], case)


def _table_elementwise(out, case):
    a, b = case_args(case)
    return a.shape == b.shape and (close(out, a - b) or close(out, b - a))


DIFFERENCE_TABLE = Exercise(
    name="difference_table",
    notebook="01_broadcasting",
    points=5,
    signature="difference_table(a, b)",
    summary="(n, m) table of a[i] - b[j]",
    params=("a", "b"),
    reference=broadcasting.difference_table,
    compare=same_array,
    build=_difference_table_cases,
    mistakes=(
        Mistake("swapped_axes",
                "Rows and columns are swapped: the table needs one row per entry of `a` and one "
                "column per entry of `b`, shape (n, m).", _table_transposed),
        Mistake("wrong_sign",
                "Every entry has the wrong sign: the table holds a[i] - b[j], not b[j] - a[i].",
                _table_sign),
        Mistake("elementwise",
                "You subtracted position by position, which pairs a[0] with b[0] only. The table "
                "pairs every entry of `a` with every entry of `b`: one of them has to become a "
                "column so that broadcasting can stretch both.",
                _table_elementwise, broadcast_error),
    ),
)


# --- row_sums_outer(A) -----------------------------------------------------------------------


def _row_sums_outer_cases(seed, hidden):
    cases = [
        OutputCase("A = [[1, 2], [3, 4], [0, 1]]", (np.array([[1.0, 2], [3, 4], [0, 1]]),)),
        OutputCase("one column (d = 1)", (np.array([[1.0], [2.0], [-1.0]]),)),
    ]
    if hidden:
        rng = case_rng(seed, 2)
        cases += [
            OutputCase("random A (6, 3)", (rng.normal(size=(6, 3)),), hidden=True),
            OutputCase("square A (4, 4)", (rng.normal(size=(4, 4)),), hidden=True),
            OutputCase("integer input", (rng.integers(-5, 6, size=(5, 2)),), hidden=True),
            OutputCase("one row (n = 1)", (rng.normal(size=(1, 3)),), hidden=True),
            OutputCase("values far from 0", (1e3 + rng.normal(size=(4, 2)),), hidden=True),
            TimingCase("speed on A (800, 10)", (rng.normal(size=(800, 10)),)),
        ]
    return cases


def _row_sums(case):
    A = as_numbers(case.args[0])
    return A.sum(axis=1)


def _outer_keepdims_lost(out, case):
    s = _row_sums(case)
    return np.ndim(out) < 2 and (close(out, s @ s) or close(out, s * s))


def _outer_wrong_axis(out, case):
    t = as_numbers(case.args[0]).sum(axis=0)
    return shows(out, np.outer(t, t), case) or (np.ndim(out) < 2 and close(out, t @ t))


def _outer_mean(out, case):
    A = as_numbers(case.args[0])
    means = A.mean(axis=1)
    return shows(out, np.outer(means, means), case)


def _outer_order(out, case):
    s = _row_sums(case)
    return (np.shape(out) == (1, 1) != np.shape(case.expected)
            and close(np.ravel(out), [s @ s]))


ROW_SUMS_OUTER = Exercise(
    name="row_sums_outer",
    notebook="01_broadcasting",
    points=5,
    signature="row_sums_outer(A)",
    summary="(n, n) products s[i] * s[j] of the row sums s",
    params=("A",),
    reference=broadcasting.row_sums_outer,
    compare=close_array,
    build=_row_sums_outer_cases,
    mistakes=(
        Mistake("forgot_keepdims",
                "The row sums lost their second axis: a 1-D array of shape (n,) times its "
                "transpose is a single number (or a product entry by entry). Keep the sums as "
                "a column of shape (n, 1) -- look at the `keepdims` argument.",
                _outer_keepdims_lost),
        Mistake("product_order",
                "(1, n) @ (n, 1) is a single number: put the column first so that the product "
                "is (n, 1) @ (1, n).", _outer_order),
        Mistake("wrong_axis",
                "You reduced over the wrong axis: that adds up each column, but the exercise "
                "needs one sum per row.", _outer_wrong_axis),
        Mistake("mean_instead_of_sum",
                "You used the mean of each row; the exercise asks for the sum.", _outer_mean),
    ),
)


# --- pick_per_row(X, idx) --------------------------------------------------------------------


def _pick_per_row_cases(seed, hidden):
    cases = [
        OutputCase("X (2, 3), idx = [2, 0]",
                   (np.array([[1.0, 2, 3], [4, 5, 6]]), np.array([2, 0]))),
        OutputCase("square X (3, 3), idx = [0, 2, 1]",
                   (np.arange(9.0).reshape(3, 3), np.array([0, 2, 1]))),
    ]
    if hidden:
        rng = case_rng(seed, 3)
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


def _pick_table(out, case):
    X, idx = case_args(case)
    return np.shape(out) == (X.shape[0], X.shape[0]) and close(np.diagonal(as_numbers(out)),
                                                                case.expected)


def _pick_column(out, case):
    shape = np.shape(out)
    return len(shape) == 2 and 1 in shape and close(np.ravel(out), case.expected)


def _pick_index_shape_error(exc, case):
    text = str(exc)
    return isinstance(exc, (ValueError, IndexError)) and (
        "same number of dimensions" in text or "take_along_axis" in text
        or "broadcast" in text)


def _pick_flat(out, case):
    X, idx = case_args(case)
    return shows(out, X.ravel()[idx], case)


def _pick_wrong_axis(out, case):
    X, idx = case_args(case)
    n, d = X.shape
    if n != d:
        return False
    variant = X[idx, np.arange(n)]
    return shows(np.ravel(out), variant, case)


PICK_PER_ROW = Exercise(
    name="pick_per_row",
    notebook="01_broadcasting",
    points=5,
    signature="pick_per_row(X, idx)",
    summary="(n,) elements X[i, idx[i]]",
    params=("X", "idx"),
    reference=broadcasting.pick_per_row,
    compare=same_array,
    build=_pick_per_row_cases,
    mistakes=(
        Mistake("full_table",
                "X[:, idx] takes every listed column from every row and gives an (n, n) table. "
                "You want one element per row: row i paired with idx[i] only.", _pick_table),
        Mistake("index_shape",
                "np.take_along_axis wants an index array with as many dimensions as X: a column "
                "of shape (n, 1), not (n,) or (1, n). Its result is a column too, so flatten it "
                "to shape (n,) at the end.", _pick_column, _pick_index_shape_error),
        Mistake("flat_index",
                "np.take without an axis reads X as one flat list of numbers, so every index "
                "counts from the start of the first row.", _pick_flat),
        Mistake("wrong_axis",
                "You picked along the wrong axis (X[idx[j], j], down the columns); the exercise "
                "picks X[i, idx[i]], one element from each row.", _pick_wrong_axis),
    ),
)


# --- scale_each_image(images): the transfer exercise (a shape bug in three dimensions) -------


def _scale_cases(seed, hidden):
    cases = [
        OutputCase("two 2 x 2 images, one all black",
                   (np.array([[[0.0, 2], [1, 4]], [[0, 0], [0, 0]]]),)),
        OutputCase("as many images as columns: (3, 2, 3)",
                   (np.arange(1.0, 19.0).reshape(3, 2, 3),)),
    ]
    if hidden:
        rng = case_rng(seed, 141)
        with_black = rng.uniform(0, 1, size=(4, 3, 5))
        with_black[1] = 0
        cases += [
            OutputCase("random batch (5, 4, 3)", (rng.uniform(0, 1, size=(5, 4, 3)),),
                       hidden=True),
            OutputCase("integer pixels (4, 3, 5)", (rng.integers(0, 256, size=(4, 3, 5)),),
                       hidden=True),
            OutputCase("as many images as rows: (4, 4, 2)", (rng.uniform(0, 9, size=(4, 4, 2)),),
                       hidden=True),
            OutputCase("square batch (3, 3, 3)", (rng.uniform(0, 9, size=(3, 3, 3)),),
                       hidden=True),
            OutputCase("an all-black image in the batch", (with_black,), hidden=True),
            OutputCase("one image (1, 4, 4)", (rng.uniform(0, 5, size=(1, 4, 4)),), hidden=True),
            OutputCase("images of one pixel (6, 1, 1)", (rng.uniform(0.5, 2, size=(6, 1, 1)),),
                       hidden=True),
            OutputCase("large values", (1e6 * rng.uniform(0, 1, size=(3, 5, 4)),), hidden=True),
        ]
    return cases


def _scale_by(case, maxima):
    """images / maxima with 0 / 0 left as it comes out (NaN), for comparing with variants."""
    with np.errstate(all="ignore"):
        return as_numbers(case.args[0]) / maxima


def _scale_global(out, case):
    images = as_numbers(case.args[0])
    return shows(out, _scale_by(case, images.max()), case)


def _scale_per_pixel(out, case):
    images = as_numbers(case.args[0])
    return shows(out, _scale_by(case, images.max(axis=0)), case)


def _scale_per_line(out, case):
    images = as_numbers(case.args[0])
    return any(shows(out, _scale_by(case, images.max(axis=a, keepdims=True)), case)
               for a in (1, 2))


def _scale_misaligned(out, case):
    """One maximum per image, broadcast against the columns (n == w) or the rows (n == h)."""
    images = as_numbers(case.args[0])
    n, h, w = images.shape
    maxima = images.max(axis=(1, 2))
    variants = []
    if n == w:
        variants.append(_scale_by(case, maxima))
    if n == h:
        variants.append(_scale_by(case, maxima[:, np.newaxis]))
    return any(shows(out, v, case) for v in variants)


def _scale_black_nan(out, case):
    images = as_numbers(case.args[0])
    black = ~images.reshape(len(images), -1).any(axis=1)
    values = as_numbers(out)
    return (bool(black.any()) and values.shape == images.shape
            and bool(np.isnan(values[black]).all())
            and close(values[~black], np.asarray(case.expected)[~black]))


SCALE_EACH_IMAGE = Exercise(
    name="scale_each_image",
    notebook="01_broadcasting",
    points=10,
    signature="scale_each_image(images)",
    summary="(n, h, w) every image divided by its own brightest pixel",
    params=("images",),
    reference=broadcasting.scale_each_image,
    compare=close_array,
    build=_scale_cases,
    mistakes=(
        Mistake("global_max",
                "Every image was divided by the brightest pixel of the whole batch. Each image "
                "needs its own maximum: one number per image.", _scale_global),
        Mistake("max_over_images",
                "You took the maximum over the images, one per pixel position. Each image needs "
                "the maximum over its own rows and columns together.", _scale_per_pixel),
        Mistake("max_per_line",
                "Each row (or column) of every image was scaled by its own maximum. The maximum "
                "is taken over the whole image, rows and columns together.", _scale_per_line),
        Mistake("maxima_misaligned",
                "The maxima, one per image, were lined up with the wrong axis of the batch: "
                "broadcasting pairs shapes from the right, so n numbers meet the last axis "
                "first (and only run without an error when its length happens to be n). Give "
                "the maxima a shape that puts their n along the first axis, with length 1 on "
                "the other two.", _scale_misaligned, broadcast_error),
        Mistake("black_image_nan",
                "An all-black image became NaN (0 / 0): its maximum is 0, so there is nothing to "
                "scale. Leave it as zeros.", _scale_black_nan),
    ),
)



EXERCISES = (DIFFERENCE_TABLE, ROW_SUMS_OUTER, PICK_PER_ROW, SCALE_EACH_IMAGE)
