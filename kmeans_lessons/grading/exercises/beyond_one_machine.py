"""Lesson 08, beyond one machine: the Lloyd step as map-reduce, chunk_statistics and combine.

For each exercise: its cases, its comparator, the detectors of its usual mistakes, and its
registry entry. The map's cases include chunks that miss a cluster and chunks with no rows at
all, which Dask hands out (after a filter, for example); the reduce's cases combine chunks of
very different sizes, where averaging the chunks' means goes wrong.
"""

import warnings

import numpy as np

from ... import scale
from ..cases import OutputCase, TimingCase, compare_array, compare_number
from ..hints import Mistake, as_numbers, case_args, close, shows
from . import Exercise
from ._common import blobs, case_rng, plain_sq_dists, scaled_atol


# --- chunk_statistics(X_chunk, centers) ------------------------------------------------------


def _statistics_cases(seed, hidden):
    X = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [0.0, 3.0]])
    C = np.array([[0.0, 0.0], [10.0, 1.0], [-20.0, 5.0]])
    cases = [
        OutputCase("a chunk of 4 rows, k = 3", (X, C[:2])),
        OutputCase("a cluster with no row in this chunk", (X, C)),
    ]
    if hidden:
        rng = case_rng(seed, 81)
        chunk = blobs(rng, 60, 3, 4)
        cases += [
            OutputCase("random chunk (60, 3), k = 4", (chunk, chunk[[0, 15, 30, 45]] + 0.1),
                       hidden=True),
            OutputCase("an empty chunk (0 rows)", (np.empty((0, 3)), rng.normal(size=(4, 3))),
                       hidden=True, extra={"empty": True}),
            OutputCase("one row", (rng.normal(size=(1, 2)), rng.normal(size=(3, 2))),
                       hidden=True),
            OutputCase("one centre (k = 1)", (rng.normal(size=(9, 2)), rng.normal(size=(1, 2))),
                       hidden=True),
            OutputCase("one feature (d = 1)", (rng.normal(size=(8, 1)), rng.normal(size=(3, 1))),
                       hidden=True),
            OutputCase("integer input", (rng.integers(-5, 6, size=(10, 2)),
                                         np.array([[-3, -3], [0, 0], [4, 4]])), hidden=True),
            OutputCase("centres nobody is nearest to", (chunk, np.concatenate(
                [chunk[:2], [[90.0, 90, 90], [-90.0, 0, 0]]])), hidden=True),
            TimingCase("speed on a chunk (40000, 2), k = 4",
                       (blobs(rng, 40_000, 2, 4), rng.normal(scale=4, size=(4, 2))),
                       baseline=_plain_statistics, factor=15),
        ]
    return cases


def _plain_statistics(X_chunk, centers):
    """The timing yardstick: the map written the plain way the notebook teaches."""
    X_chunk = np.asarray(X_chunk, dtype=float)
    k = len(centers)
    D = plain_sq_dists(X_chunk, centers)
    labels = D.argmin(axis=1)
    sums = np.stack([np.bincount(labels, weights=X_chunk[:, j], minlength=k)
                     for j in range(X_chunk.shape[1])], axis=1)
    return sums, np.bincount(labels, minlength=k), float(D.min(axis=1).sum())


def _unpack(out, count):
    """The parts of a returned tuple, or None when it does not unpack into ``count`` parts."""
    if isinstance(out, (str, bytes, np.ndarray)) or out is None:
        return None
    try:
        parts = tuple(out)
    except TypeError:
        return None
    return parts if len(parts) == count else None


def _compare_statistics(out, expected, case):
    parts = _unpack(out, 3)
    if parts is None:
        return (f"returned {type(out).__name__}; chunk_statistics should return three things: "
                f"sums (k, d), counts (k,) and the loss")
    sums, counts, loss = parts
    atol = scaled_atol(*(arg for arg in case.args if np.size(arg)))
    problem = compare_array(sums, expected.sums, rtol=1e-7, atol=atol)
    if problem:
        return f"sums: {problem}"
    problem = compare_array(counts, expected.counts)
    if problem:
        return f"counts: {problem}"
    if np.asarray(counts).dtype.kind not in "iu":
        return f"counts: should be whole numbers (an integer array), got dtype {counts.dtype}"
    problem = compare_number(loss, expected.loss, rtol=1e-7, atol=atol * (len(case.args[0]) + 1))
    return f"loss: {problem}" if problem else None


def _statistics_parts(out):
    parts = _unpack(out, 3)
    if parts is None:
        raise TypeError("not three parts")
    return parts


def _counts_as_floats(out, case):
    _, counts, _ = _statistics_parts(out)
    counts = np.asarray(counts)
    return counts.dtype.kind == "f" and close(counts, case.expected.counts)


def _missing_clusters(out, case):
    sums, counts, _ = _statistics_parts(out)
    k = len(case.expected.counts)
    short = [len(np.atleast_1d(part)) < k for part in (sums, counts)]
    return any(short)


def _means_not_sums(out, case):
    sums, _, _ = _statistics_parts(out)
    members = case.expected.counts > 0
    means = np.zeros_like(case.expected.sums)
    means[members] = case.expected.sums[members] / case.expected.counts[members, np.newaxis]
    sums = as_numbers(sums)
    return (sums.shape == means.shape and close(sums[members], means[members])
            and not close(means, case.expected.sums))


def _loss_variants(case):
    X, C = case_args(case)
    nearest = plain_sq_dists(X, C).min(axis=1) if len(X) else np.zeros(0)
    return nearest, max(len(X), 1)


def _loss_not_squared(out, case):
    _, _, loss = _statistics_parts(out)
    nearest, _ = _loss_variants(case)
    return shows(loss, np.sqrt(nearest).sum(), _Expected(case.expected.loss))


def _loss_mean(out, case):
    _, _, loss = _statistics_parts(out)
    nearest, rows = _loss_variants(case)
    return shows(loss, nearest.sum() / rows, _Expected(case.expected.loss))


class _Expected:
    """Stands in for a case whose expected output is one part of the reference's tuple."""

    def __init__(self, expected):
        self.expected = expected


def _fails_on_empty_chunk(exc, case):
    return bool(case.extra.get("empty"))


CHUNK_STATISTICS = Exercise(
    name="chunk_statistics",
    notebook="08_beyond_one_machine",
    points=10,
    signature="chunk_statistics(X_chunk, centers)",
    summary="the map: per-centre sums (k, d), counts (k,) and the loss of one chunk of rows",
    params=("X_chunk", "centers"),
    reference=scale.chunk_statistics,
    compare=_compare_statistics,
    build=_statistics_cases,
    mistakes=(
        Mistake("missing_clusters",
                "Your sums or counts have fewer than k entries when a cluster has no row in this "
                "chunk. Every chunk must report all k clusters, with zeros for the absent ones, "
                "so that the reduce can add the chunks up position by position.",
                _missing_clusters),
        Mistake("counts_as_floats",
                "Your counts are floats. Counts are whole numbers: in float32 a running count "
                "stops growing at 16 777 216, and with integers 'is this cluster empty?' is an "
                "exact question. Keep them in an integer array.", _counts_as_floats),
        Mistake("means_instead_of_sums",
                "You returned each cluster's mean within the chunk instead of its sum. Means of "
                "chunks of different sizes cannot simply be combined; sums and counts can be "
                "added up.", _means_not_sums),
        Mistake("loss_not_squared",
                "Your loss adds up distances; the k-means loss J adds up squared distances.",
                _loss_not_squared),
        Mistake("loss_mean",
                "Your loss is an average over the chunk's rows. J is a sum, so that the chunks' "
                "parts add up to J of the whole data set.", _loss_mean),
        Mistake("empty_chunk",
                "Your function fails on a chunk with no rows. Dask can hand out empty chunks "
                "(after a filter, for example); such a chunk contributes zero sums, zero counts "
                "and a loss of 0.", None, _fails_on_empty_chunk),
    ),
)


# --- combine(statistics, centers) ------------------------------------------------------------


def _statistics_of(X, C, sizes):
    """The reference map's output for X cut into chunks of the given sizes (plain tuples)."""
    bounds = np.cumsum([0, *sizes])
    assert bounds[-1] == len(X)
    return [tuple(scale.chunk_statistics(X[a:b], C)) for a, b in zip(bounds[:-1], bounds[1:])]


def _combine_cases(seed, hidden):
    C = np.array([[0.0], [5.0], [100.0]])
    # cluster 0: 1 member in the first chunk, 3 in the second (mean 1.75, not (1 + 2) / 2)
    uneven = [(np.array([[1.0], [0.0], [0.0]]), np.array([1, 0, 0]), 0.5),
              (np.array([[6.0], [4.0], [0.0]]), np.array([3, 1, 0]), 2.0)]
    cases = [
        OutputCase("two chunks of different sizes, one empty cluster", (uneven, C)),
        OutputCase("one chunk", (uneven[:1], C)),
    ]
    if hidden:
        rng = case_rng(seed, 82)
        X = blobs(rng, 90, 2, 4)
        start = X[[0, 1, 2, 3]] + 0.2
        far = np.concatenate([start[:3], [[80.0, -80.0]]])
        cases += [
            OutputCase("five chunks of random sizes", (_statistics_of(X, start, [5, 40, 10, 30, 5]),
                                                       start), hidden=True),
            OutputCase("an empty chunk among them", (_statistics_of(X, start, [30, 0, 60]),
                                                     start), hidden=True),
            OutputCase("a cluster empty in every chunk", (_statistics_of(X, far, [45, 45]), far),
                       hidden=True),
            OutputCase("one centre (k = 1)", (_statistics_of(X, X[:1], [20, 70]), X[:1]),
                       hidden=True),
            OutputCase("many small chunks", (_statistics_of(X, start, [9] * 10), start),
                       hidden=True),
        ]
    return cases


def _compare_combine(out, expected, case):
    parts = _unpack(out, 2)
    if parts is None:
        return (f"returned {type(out).__name__}; combine should return two things: the new "
                f"centres (k, d) and the loss")
    centers, loss = parts
    expected_centers, expected_loss = expected
    problem = compare_array(centers, expected_centers, rtol=1e-9, atol=1e-12)
    if problem:
        return f"new centres: {problem}"
    problem = compare_number(loss, expected_loss, rtol=1e-9)
    return f"loss: {problem}" if problem else None


def _totals(case):
    statistics, C = case.args
    sums = sum(np.asarray(s, dtype=float) for s, _, _ in statistics)
    counts = sum(np.asarray(c, dtype=float) for _, c, _ in statistics)
    losses = [float(loss) for _, _, loss in statistics]
    return statistics, np.asarray(C, dtype=float), sums, counts, losses


def _combined_centers(out):
    parts = _unpack(out, 2)
    if parts is None:
        raise TypeError("not two parts")
    return parts


def _shows_centers(out, variant, case):
    centers, _ = _combined_centers(out)
    return shows(centers, variant, _Expected(case.expected[0]))


def _averaged_means(out, case):
    statistics, C, _, _, _ = _totals(case)
    means = []
    for sums, counts, _ in statistics:
        counts = np.asarray(counts, dtype=float)
        with np.errstate(all="ignore"):
            means.append(np.asarray(sums, dtype=float) / counts[:, np.newaxis])
    means = np.stack(means)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "mean of empty slice" for a cluster in no chunk
        # over the chunks that hold the cluster, and over all chunks (0/0 = NaN kept or not)
        present = np.nanmean(means, axis=0)
        everywhere = means.mean(axis=0)
    variants = [np.where(np.isnan(present), C, present), everywhere,
                np.where(np.isnan(everywhere), C, everywhere)]
    return any(_shows_centers(out, v, case) for v in variants)


def _sums_not_divided(out, case):
    _, _, sums, _, _ = _totals(case)
    return _shows_centers(out, sums, case)


def _empty_variant(case, fill):
    _, C, sums, counts, _ = _totals(case)
    empty = counts == 0
    if not empty.any():
        return None
    with np.errstate(all="ignore"):
        centers = sums / counts[:, np.newaxis]
    centers[empty] = fill
    return centers


def _empty_nan(out, case):
    variant = _empty_variant(case, np.nan)
    return variant is not None and _shows_centers(out, variant, case)


def _empty_zeros(out, case):
    variant = _empty_variant(case, 0.0)
    return variant is not None and _shows_centers(out, variant, case)


def _loss_averaged(out, case):
    _, loss = _combined_centers(out)
    _, _, _, _, losses = _totals(case)
    return shows(loss, np.mean(losses), _Expected(case.expected[1]))


COMBINE = Exercise(
    name="combine",
    notebook="08_beyond_one_machine",
    points=10,
    signature="combine(statistics, centers)",
    summary="the reduce: add the chunks' sums, counts and losses; new centres (k, d) and J",
    params=("statistics", "centers"),
    reference=scale.combine,
    compare=_compare_combine,
    build=_combine_cases,
    mistakes=(
        Mistake("averaged_means",
                "You averaged the chunks' means. Chunks hold different numbers of each "
                "cluster's samples, so a plain average weighs a chunk with one member like one "
                "with a thousand: add up all the sums and all the counts first, and divide once "
                "at the end.", _averaged_means),
        Mistake("sums_not_divided",
                "Your new centres are the clusters' total sums: divide them by the clusters' "
                "total counts to get means.", _sums_not_divided),
        Mistake("empty_nan",
                "A cluster with no member in any chunk became NaN (zero divided by zero). As in "
                "update_centers, an empty cluster keeps its current centre.", _empty_nan),
        Mistake("empty_zeros",
                "A cluster with no member in any chunk moved to the origin. As in "
                "update_centers, an empty cluster keeps its current centre.", _empty_zeros),
        Mistake("loss_averaged",
                "You averaged the chunks' losses. J of the whole data set is the sum of the "
                "chunks' parts.", _loss_averaged),
    ),
)


EXERCISES = (CHUNK_STATISTICS, COMBINE)
