"""The catalogue of usual mistakes, each recognised from the student's output.

For every exercise there is a list of :class:`Mistake`: a key, a hint in plain words that names
the mistake without giving the solution away, and a detector. A detector looks at what the
student's function returned for a failed case (or the exception it raised) and says whether that
is exactly what this mistake produces -- usually by computing the mistaken answer from the same
inputs and comparing. A variant that happens to equal the right answer never counts, so a
detector cannot fire on a correct result.

The random exercises (init_random, init_kmeans_pp, elbow_sweep) are checked by probes in
:mod:`kmeans_lessons.grading.exercises`; their mistakes are listed here with the hint text and no
detector, and the probes name them by key.

``tests/test_hints.py`` holds one small wrong solution per catalogued mistake and asserts that
its check fails with this hint.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional

import numpy as np

__all__ = ["Mistake", "CATALOGUE", "COMMON", "diagnose", "diagnose_exception", "hint_text",
           "mistakes_for"]


@dataclass(frozen=True)
class Mistake:
    """One usual mistake.

    key : short name, e.g. "swapped_xc"; text : the hint shown to the student (None: the text of
    the common mistake with the same key); detect(out, case) -> bool; on_exception(exc, case)
    -> bool.
    """

    key: str
    text: Optional[str] = None
    detect: Optional[Callable] = None
    on_exception: Optional[Callable] = None


# --- helpers for detectors -------------------------------------------------------------------


def _arr(value):
    """``value`` as a float array (raises for things that are not numbers)."""
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError("not numbers")
    return array.astype(float)


def _close(a, b, rtol=1e-6, atol=1e-9):
    """Same shape and close values; False for anything that cannot be compared."""
    try:
        a, b = _arr(a), _arr(b)
    except Exception:
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _shows(out, variant, case, **tolerance):
    """``out`` equals what the mistake gives, and the mistake does not give the right answer."""
    return _close(out, variant, **tolerance) and not _close(variant, case.expected, **tolerance)


def _args(case):
    return [np.asarray(a) if isinstance(a, (list, tuple, np.ndarray)) else a for a in case.args]


def _sq_dists(X, C):
    """Squared distances by direct differences (n, k), exact enough for recognising variants."""
    X, C = np.asarray(X, float), np.asarray(C, float)
    return ((X[:, np.newaxis, :] - C[np.newaxis, :, :]) ** 2).sum(axis=2)


def _broadcast_error(exc, case):
    return isinstance(exc, ValueError) and "broadcast" in str(exc)


def _is_list(out, case):
    return isinstance(out, (list, tuple)) and isinstance(case.expected, np.ndarray)


def _integer_truncated(out, case):
    """An integer result equal to the expected fractions with their decimals cut off."""
    expected = np.asarray(case.expected, dtype=float)
    if not isinstance(out, (np.ndarray, np.integer, int)) or isinstance(out, bool):
        return False
    out = np.asarray(out)
    if out.dtype.kind not in "iu" or np.all(expected == np.round(expected)):
        return False
    return _close(out, np.trunc(expected)) or _close(out, np.floor(expected))


def _has_nan(out, case):
    try:
        return bool(np.isnan(_arr(out)).any()) and not np.isnan(_arr(case.expected)).any()
    except Exception:
        return False


# --- common mistakes: checked for every exercise ---------------------------------------------

COMMON = (
    Mistake("returned_none",
            "Your function returned None: its last step needs a `return` statement.",
            lambda out, case: out is None),
    Mistake("list_not_array",
            "It returned a Python list. Build the result with NumPy operations (or turn it into "
            "an array with np.asarray) so that it has a shape and a dtype.",
            _is_list),
    # the two below are tried after the exercise's own mistakes
    Mistake("integer_truncation",
            "The result holds whole numbers where fractions were expected: an integer array cut "
            "the decimals off (for example an array made with np.zeros_like of integer input, or "
            "the // operator). Compute in floats.",
            _integer_truncated),
    Mistake("nan_output",
            "Your result contains NaN: somewhere a division by zero or a mean of no numbers "
            "happened.",
            _has_nan),
    # recognised by the case machinery, not from the output
    Mistake("mutates_input",
            "Your function changed one of its input arrays in place (for example `X -= ...` or "
            "`centers[j] = ...` on an argument). The caller still needs the original: work on a "
            "new array or a copy."),
    Mistake("python_loop",
            "This looks like a Python loop over the samples: the answer is right but it takes "
            "many times longer than a vectorised version. Let NumPy work on whole arrays; a loop "
            "over the k centres is fine, a loop over every sample is not."),
)
_EARLY = ("returned_none", "list_not_array")


# --- 01 Broadcasting -------------------------------------------------------------------------


def _table_transposed(out, case):
    a, b = _args(case)
    table = a[:, np.newaxis] - b
    return _shows(out, table.T, case) or _shows(out, -table.T, case)


def _table_sign(out, case):
    a, b = _args(case)
    return _shows(out, b[np.newaxis, :] - a[:, np.newaxis], case)


def _table_elementwise(out, case):
    a, b = _args(case)
    return a.shape == b.shape and (_close(out, a - b) or _close(out, b - a))


def _row_sums(case):
    A = _arr(case.args[0])
    return A.sum(axis=1)


def _outer_keepdims_lost(out, case):
    s = _row_sums(case)
    return np.ndim(out) < 2 and (_close(out, s @ s) or _close(out, s * s))


def _outer_wrong_axis(out, case):
    t = _arr(case.args[0]).sum(axis=0)
    return _shows(out, np.outer(t, t), case) or (np.ndim(out) < 2 and _close(out, t @ t))


def _outer_mean(out, case):
    A = _arr(case.args[0])
    means = A.mean(axis=1)
    return _shows(out, np.outer(means, means), case)


def _outer_order(out, case):
    s = _row_sums(case)
    return (np.shape(out) == (1, 1) != np.shape(case.expected)
            and _close(np.ravel(out), [s @ s]))


def _pick_table(out, case):
    X, idx = _args(case)
    return np.shape(out) == (X.shape[0], X.shape[0]) and _close(np.diagonal(_arr(out)),
                                                                case.expected)


def _pick_column(out, case):
    shape = np.shape(out)
    return len(shape) == 2 and 1 in shape and _close(np.ravel(out), case.expected)


def _pick_index_shape_error(exc, case):
    text = str(exc)
    return isinstance(exc, (ValueError, IndexError)) and (
        "same number of dimensions" in text or "take_along_axis" in text
        or "broadcast" in text)


def _pick_flat(out, case):
    X, idx = _args(case)
    return _shows(out, X.ravel()[idx], case)


def _pick_wrong_axis(out, case):
    X, idx = _args(case)
    n, d = X.shape
    if n != d:
        return False
    variant = X[idx, np.arange(n)]
    return _shows(np.ravel(out), variant, case)


# --- 02 Distances ----------------------------------------------------------------------------


def _dists_swapped(out, case):
    return _shows(out, np.asarray(case.expected).T, case)


def _dists_tolerance(case):
    X, C = _args(case)
    scale = float(np.abs(_arr(X)).max() ** 2 + np.abs(_arr(C)).max() ** 2)
    return dict(rtol=1e-6, atol=1e-9 * max(scale, 1.0))


def _dists_sqrt(out, case):
    return _shows(out, np.sqrt(case.expected), case, **_dists_tolerance(case))


def _dists_not_squared(out, case):
    X, C = _args(case)
    diffs = _arr(X)[:, np.newaxis, :] - _arr(C)[np.newaxis, :, :]
    return any(_shows(out, variant, case) for variant in
               (diffs.sum(axis=2), np.abs(diffs).sum(axis=2), -diffs.sum(axis=2)))


def _dists_sign(out, case):
    X, C = _arr(case.args[0]), _arr(case.args[1])
    xx = (X ** 2).sum(axis=1)[:, np.newaxis]
    cc = (C ** 2).sum(axis=1)[np.newaxis, :]
    xc = X @ C.T
    tolerance = _dists_tolerance(case)
    for sx in (1, -1):
        for sc in (1, -1):
            for sp in (-2, 2):
                if (sx, sc, sp) == (1, 1, -2):
                    continue
                if _shows(out, sx * xx + sc * cc + sp * xc, case, **tolerance):
                    return True
    return False


def _dists_wrong_axis(out, case):
    X, C = _arr(case.args[0]), _arr(case.args[1])
    squares = (X[:, np.newaxis, :] - C[np.newaxis, :, :]) ** 2
    variants = [squares.sum(axis=0), squares.sum(axis=1), squares.sum()]
    if X.shape[0] == C.shape[0] or C.shape[0] == 1:
        variants.append(((X - C) ** 2).sum(axis=0))
        variants.append(((X - C) ** 2).sum())
    return any(_shows(out, v, case) for v in variants)


def _dists_rows_paired(out, case):
    """X - C without new axes: runs when C has one row or as many as X, pairing rows."""
    X, C = _arr(case.args[0]), _arr(case.args[1])
    if C.shape[0] not in (1, X.shape[0]) or np.ndim(out) != 1:
        return False
    return _close(out, ((X - C) ** 2).sum(axis=1))


def _dists_mean(out, case):
    X = _arr(case.args[0])
    return _shows(out, np.asarray(case.expected) / X.shape[1], case, **_dists_tolerance(case))


def _dists_negative(out, case):
    try:
        values = _arr(out)
    except Exception:
        return False
    return bool((values < 0).any()) and _close(np.maximum(values, 0), case.expected,
                                               **_dists_tolerance(case))


def _distance_table(case):
    return _sq_dists(case.args[0], case.args[1])


def _assign_argmax(out, case):
    return _shows(out, _distance_table(case).argmax(axis=1), case)


def _assign_wrong_axis(out, case):
    D = _distance_table(case)
    return any(_shows(out, v, case) for v in
               (D.argmin(axis=0), D.argmax(axis=0), D.argmin(), D.argmax()))


def _assign_min_values(out, case):
    D = _distance_table(case)
    return _shows(out, D.min(axis=1), case) or _shows(out, np.sqrt(D.min(axis=1)), case)


def _assign_ties(out, case):
    D = _distance_table(case)
    try:
        labels = _arr(out).astype(int)
        if labels.shape != D.shape[:1]:
            return False
        picked = D[np.arange(D.shape[0]), labels]
    except Exception:
        return False
    nearest = D.min(axis=1)
    wrong = labels != np.asarray(case.expected)
    return bool(wrong.any()) and bool(np.all(picked[wrong] == nearest[wrong]))


# --- 03 Old Faithful -------------------------------------------------------------------------


def _members(case):
    X, labels, centers = _arr(case.args[0]), np.asarray(case.args[1]), _arr(case.args[2])
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
        values = _arr(out)
        return bool(empty) and values.shape == np.shape(case.expected) and bool(
            np.isnan(values[empty]).all())
    except Exception:
        return False


def _update_zeros(out, case):
    variant = _update_with(case, _mean, lambda j, previous: np.zeros_like(previous))
    return bool(_empty_clusters(case)) and _shows(out, variant, case)


def _update_dropped(out, case):
    empty = _empty_clusters(case)
    kept = np.delete(np.asarray(case.expected, dtype=float), empty, axis=0)
    return bool(empty) and _close(out, kept)


def _update_median(out, case):
    variant = _update_with(case, lambda m: np.median(m, axis=0), lambda j, previous: previous)
    return _shows(out, variant, case)


def _update_sum(out, case):
    variant = _update_with(case, lambda m: m.sum(axis=0), lambda j, previous: previous)
    return _shows(out, variant, case)


def _update_never(out, case):
    return _shows(out, case.args[2], case)


def _update_wrong_axis(out, case):
    X, labels, centers, masks = _members(case)
    everything = _update_with(case, lambda m: np.full(X.shape[1], m.mean()),
                              lambda j, previous: previous)
    return _shows(out, everything, case) or np.shape(out) in {(centers.shape[0],),
                                                              (centers.shape[0], X.shape[0])}


def _inertia_parts(case):
    D = _distance_table(case)
    return D, D.min(axis=1)


def _inertia_sqrt(out, case):
    D, nearest = _inertia_parts(case)
    return _shows(out, np.sqrt(nearest).sum(), case)


def _inertia_mean(out, case):
    D, nearest = _inertia_parts(case)
    return _shows(out, nearest.mean(), case)


def _inertia_all(out, case):
    D, nearest = _inertia_parts(case)
    return _shows(out, D.sum(), case)


def _inertia_max(out, case):
    D, nearest = _inertia_parts(case)
    return _shows(out, D.max(axis=1).sum(), case)


def _inertia_wrong_axis(out, case):
    D, nearest = _inertia_parts(case)
    return _shows(out, D.min(axis=0).sum(), case) or (
        np.shape(out) == D.shape[1:] and D.shape[1] > 1 and _close(out, D.min(axis=0)))


def _inertia_not_summed(out, case):
    D, nearest = _inertia_parts(case)
    return np.ndim(out) == 1 and (_close(out, nearest) or _close(out, np.sqrt(nearest)))


# --- kmeans: the student's run compared with runs that make one mistake ----------------------


def _unpack3(out):
    centers, labels, losses = out
    return _arr(centers), np.asarray(labels), [float(v) for v in losses]


def _kmeans_inputs(case):
    X, C0 = _arr(case.args[0]), _arr(case.args[1])
    params = dict(max_iter=100, tol=1e-4)
    params.update(zip(("max_iter", "tol"), case.args[2:]))
    params.update(case.kwargs)
    return X, C0, params["max_iter"], params["tol"]


def _trajectory(X, C0, steps, empty="keep", integer=False):
    """Centres, labels and J after t = 0..steps updates, with the given empty-cluster rule."""
    centers, all_centers, all_labels, all_losses = C0.copy(), [], [], []
    for t in range(steps + 1):
        if t >= 2 and np.array_equal(centers, all_centers[-1], equal_nan=True):
            # a fixed point: every later step is the same, no need to compute it
            all_centers.append(centers)
            all_labels.append(all_labels[-1])
            all_losses.append(all_losses[-1])
            continue
        D = _sq_dists(X, centers)
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


def _stop(losses, max_iter, tol, rule):
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


@lru_cache(maxsize=64)
def _kmeans_runs_cached(key):
    return _kmeans_runs_uncached(*key)


def _kmeans_runs(case):
    X, C0, max_iter, tol = _kmeans_inputs(case)
    key = (X.tobytes(), X.shape, C0.tobytes(), C0.shape, int(max_iter), float(tol))
    return _kmeans_runs_cached(key)


def _kmeans_runs_uncached(X_bytes, X_shape, C0_bytes, C0_shape, max_iter, tol):
    X = np.frombuffer(X_bytes).reshape(X_shape)
    C0 = np.frombuffer(C0_bytes).reshape(C0_shape)
    steps = max_iter + 2
    centers, labels, losses = _trajectory(X, C0, steps)
    stops = {rule: _stop(losses, max_iter, tol, rule)
             for rule in ("relative", "absolute", "strict")}
    stops["never"] = max_iter
    stops["one_more"] = min(stops["relative"] + 1, max_iter + 1)
    stops["max_iter_plus_one"] = stops["relative"] if stops["relative"] < max_iter \
        else max_iter + 1
    return dict(X=X, C0=C0, centers=centers, labels=labels, losses=losses, stops=stops,
                max_iter=max_iter, tol=tol)


def _run_at(runs, t):
    return runs["centers"][t], runs["labels"][t], runs["losses"][: t + 1]


def _same_run(out, run, losses=True):
    try:
        centers, labels, out_losses = _unpack3(out)
    except Exception:
        return False
    ok = _close(centers, run[0]) and np.array_equal(labels, run[1])
    if losses:
        ok = ok and len(out_losses) == len(run[2]) and _close(out_losses, run[2])
    return ok


def _expected_run(case):
    expected = case.expected
    return expected.centers, expected.labels, list(expected.losses)


def _kmeans_not_three(out, case):
    try:
        centers, labels, losses = out
        return False
    except Exception:
        return True


def _kmeans_never_updated(out, case):
    runs = _kmeans_runs(case)
    try:
        centers, labels, losses = _unpack3(out)
    except Exception:
        return False
    moved = not _close(runs["C0"], case.expected.centers)
    return moved and _close(centers, runs["C0"])


def _kmeans_one_iteration(out, case):
    runs = _kmeans_runs(case)
    if case.expected.n_iter <= 1:
        return False
    try:
        centers, labels, losses = _unpack3(out)
    except Exception:
        return False
    return _close(centers, runs["centers"][1]) and not _close(runs["centers"][1],
                                                               case.expected.centers)


def _kmeans_stale_labels(out, case):
    runs = _kmeans_runs(case)
    t = case.expected.n_iter
    if t < 1:
        return False
    try:
        centers, labels, losses = _unpack3(out)
    except Exception:
        return False
    stale = runs["labels"][t - 1]
    return (_close(centers, case.expected.centers) and np.array_equal(labels, stale)
            and not np.array_equal(stale, case.expected.labels))


def _kmeans_losses_length(out, case):
    try:
        centers, labels, losses = _unpack3(out)
    except Exception:
        return False
    expected = list(case.expected.losses)
    if not (_close(centers, case.expected.centers)
            and np.array_equal(labels, case.expected.labels)):
        return False
    # J of the initial centres missing, the last J missing, or a made-up first value
    return len(losses) != len(expected) and (
        _close(losses, expected[1:]) or _close(losses, expected[:-1])
        or _close(losses[1:], expected))


def _kmeans_stopping_rule(out, case):
    runs = _kmeans_runs(case)
    try:
        centers, labels, losses = _unpack3(out)
    except Exception:
        return False
    expected_t = case.expected.n_iter
    for t in set(runs["stops"].values()) | {len(losses) - 1}:
        if t == expected_t or not 0 <= t < len(runs["centers"]):
            continue
        if _close(centers, runs["centers"][t]) and (
                len(losses) != expected_t + 1
                or not _close(runs["centers"][t], case.expected.centers)):
            return True
    return False


def _kmeans_mean_losses(out, case):
    try:
        centers, labels, losses = _unpack3(out)
    except Exception:
        return False
    n = np.shape(case.args[0])[0]
    expected = np.asarray(case.expected.losses)
    return n > 1 and len(losses) == len(expected) and _close(losses, expected / n)


def _kmeans_nan(out, case):
    try:
        centers, labels, losses = _unpack3(out)
        return bool(np.isnan(centers).any()) or bool(np.isnan(losses).any())
    except Exception:
        return False


def _kmeans_variant(case, **options):
    runs = _kmeans_runs(case)
    steps = runs["max_iter"]
    centers, labels, losses = _trajectory(runs["X"], runs["C0"], steps, **options)
    t = _stop(losses, steps, runs["tol"], "relative")
    return centers[t], labels[t], losses[: t + 1]


def _kmeans_zeros(out, case):
    variant = _kmeans_variant(case, empty="zeros")
    return _same_run(out, variant, losses=False) and not _close(variant[0],
                                                                case.expected.centers)


def _kmeans_integer(out, case):
    try:
        centers, labels, losses = out
        if np.asarray(centers).dtype.kind in "iu" and np.asarray(case.args[0]).dtype.kind in "iu":
            return not _close(centers, case.expected.centers)
    except Exception:
        return False
    variant = _kmeans_variant(case, integer=True)
    return _same_run(out, variant, losses=False) and not _close(variant[0],
                                                                case.expected.centers)


# --- 05 MNIST --------------------------------------------------------------------------------


def _table(case):
    from ..metrics import contingency_matrix

    return contingency_matrix(case.args[0], case.args[1])


def _contingency_transposed(out, case):
    return _shows(out, np.asarray(case.expected).T, case)


def _contingency_label_range(out, case):
    y_true, y_pred = np.asarray(case.args[0]), np.asarray(case.args[1])
    expected = np.asarray(case.expected)
    try:
        values = _arr(out)
    except Exception:
        return False
    for rows, columns in ((np.unique(y_true), np.unique(y_pred)),
                          (np.unique(y_pred), np.unique(y_true))):
        if values.ndim == 2 and values.shape[0] > rows.max() and values.shape[1] > columns.max() \
                and values.shape != expected.shape and rows.min() >= 0 and columns.min() >= 0:
            inner = values[np.ix_(rows, columns)]
            if _close(inner, expected) or _close(inner, expected.T):
                return True
    return False


def _purity_values(case):
    table = _table(case)
    n = table.sum()
    return table, n


def _purity_per_class(out, case):
    table, n = _purity_values(case)
    return _shows(out, table.max(axis=1).sum() / n, case)


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
    return n > 1 and _shows(out, table.max(axis=0).sum(), case)


def _purity_unweighted(out, case):
    table, n = _purity_values(case)
    return _shows(out, (table.max(axis=0) / table.sum(axis=0)).mean(), case)


def _purity_array(out, case):
    table, n = _purity_values(case)
    per_cluster = table.max(axis=0) / table.sum(axis=0)
    per_class = table.max(axis=1) / table.sum(axis=1)
    return np.ndim(out) == 1 and (_close(out, per_cluster) or _close(out, per_class))


def _majority_inputs(case):
    cluster_labels, y_true, k = case.args
    return np.asarray(cluster_labels).astype(int), np.asarray(y_true), int(k)


def _majority_wrong_axis(out, case):
    from ..metrics import contingency_matrix

    cluster_labels, y_true, k = _majority_inputs(case)
    table = contingency_matrix(y_true, cluster_labels)
    clusters = np.unique(cluster_labels)
    per_class = clusters[table.argmax(axis=1)]
    return np.shape(out) != (k,) and _close(out, per_class)


def _majority_empty_dropped(out, case):
    cluster_labels, y_true, k = _majority_inputs(case)
    present = np.unique(cluster_labels)
    return present.size < k and _close(out, np.asarray(case.expected)[present])


def _majority_empty(out, case):
    cluster_labels, y_true, k = _majority_inputs(case)
    empty = np.setdiff1d(np.arange(k), cluster_labels)
    try:
        values = _arr(out)
    except Exception:
        return False
    if not empty.size or values.shape != (k,):
        return False
    wrong = values != np.asarray(case.expected)
    return bool(wrong.any()) and bool(np.isin(np.flatnonzero(wrong), empty).all())


def _majority_ties(out, case):
    cluster_labels, y_true, k = _majority_inputs(case)
    try:
        values = _arr(out)
    except Exception:
        return False
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
    return np.shape(out) == cluster_labels.shape and _close(
        out, np.asarray(case.expected)[cluster_labels])


# --- 06 Embeddings ---------------------------------------------------------------------------


def _rows(case):
    return _arr(case.args[0])


def _normalize_wrong_axis(out, case):
    X = _rows(case)
    norms = np.sqrt((X ** 2).sum(axis=0, keepdims=True))
    with np.errstate(all="ignore"):
        return _shows(out, X / norms, case)


def _normalize_keepdims(out, case):
    X = _rows(case)
    norms = np.sqrt((X ** 2).sum(axis=1))
    with np.errstate(all="ignore"):
        return X.shape[0] == X.shape[1] and _shows(out, X / norms[np.newaxis, :], case)


def _normalize_squared(out, case):
    X = _rows(case)
    with np.errstate(all="ignore"):
        return _shows(out, X / (X ** 2).sum(axis=1, keepdims=True), case)


def _normalize_l1(out, case):
    X = _rows(case)
    with np.errstate(all="ignore"):
        return _shows(out, X / np.abs(X).sum(axis=1, keepdims=True), case)


def _normalize_zero_nan(out, case):
    X = _rows(case)
    zero = ~X.any(axis=1)
    try:
        values = _arr(out)
    except Exception:
        return False
    return (bool(zero.any()) and values.shape == X.shape and bool(np.isnan(values[zero]).all())
            and _close(values[~zero], np.asarray(case.expected)[~zero]))


def _central_inputs(case):
    X, centers, labels = (_arr(case.args[0]), _arr(case.args[1]),
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
    return _shows(out, np.asarray(case.expected).T, case)


def _central_farthest(out, case):
    return _shows(out, _central_by(case, lambda d: -d), case)


def _central_not_members(out, case):
    variant = _central_by(case, lambda d: d, members_only=False)
    try:
        values = _arr(out)
    except Exception:
        return False
    if values.shape != variant.shape or _close(variant, case.expected) or _close(
            values, case.expected):
        return False
    # the nearest samples overall, in that order or another
    return _close(values, variant) or bool(np.all(np.sort(values, axis=1)
                                                  == np.sort(variant, axis=1)))


def _central_local(out, case):
    return _shows(out, _central_by(case, lambda d: d, local=True), case)


def _central_order(out, case):
    try:
        values = _arr(out)
    except Exception:
        return False
    expected = np.asarray(case.expected)
    return values.shape == expected.shape and bool(
        np.all(np.sort(values, axis=1) == np.sort(expected, axis=1))) and not _close(
        values, expected)


def _central_padding(out, case):
    expected = np.asarray(case.expected)
    try:
        values = _arr(out)
    except Exception:
        return False
    padded = expected == -1
    return (values.shape == expected.shape and bool(padded.any())
            and bool(np.all(values[~padded] == expected[~padded]))
            and not bool(np.all(values[padded] == -1)))


def _central_padding_error(exc, case):
    expected = np.asarray(case.expected) if case.expected is not None else None
    return expected is not None and bool((expected == -1).any()) and isinstance(
        exc, (ValueError, IndexError))


# --- 04 Elbow curves: recognisable exactly where ks holds 1 (the centre is the mean) -------


def _elbow_out(out):
    train, val = out
    if isinstance(train, (list, tuple)) or isinstance(val, (list, tuple)):
        raise TypeError("lists")
    return _arr(train), _arr(val)


def _elbow_k1(case):
    """Per-sample squared distances for k = 1: train to its mean, val to the train mean, val to
    its own mean; and the positions of k = 1 in ks."""
    X_train, X_val = _arr(case.args[0]), _arr(case.args[1])
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


# --- the catalogue ---------------------------------------------------------------------------

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

CATALOGUE = {
    "difference_table": (
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
                _table_elementwise, _broadcast_error),
    ),
    "row_sums_outer": (
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
    "pick_per_row": (
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
    "pairwise_sq_dists": (
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
                "expansion with a matrix product.", _dists_rows_paired, _broadcast_error),
    ),
    "assign": (
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
    "init_random": _RNG_MISTAKES + (
        Mistake("with_replacement",
                "The same sample was chosen twice: draw without replacement, so that the k "
                "centres are k different samples."),
        Mistake("biased_sampling",
                "Some samples are chosen far more or less often than others (for example the "
                "last sample never). Every sample should be equally likely."),
    ),
    "update_centers": (
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
    "inertia": (
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
    "kmeans": (
        Mistake("return_three",
                "kmeans should return three things: `return centers, labels, losses`.",
                _kmeans_not_three),
        Mistake("never_updated",
                "The centres never moved: they are still the initial centres. Each iteration "
                "must replace them with the updated ones.", _kmeans_never_updated),
        Mistake("one_iteration",
                "Your loop stopped after a single update although the loss was still going "
                "down: check the loop and when it stops.", _kmeans_one_iteration),
        Mistake("stale_labels",
                "The labels belong to the centres before the last update: after the final "
                "update, assign the samples to the final centres again.", _kmeans_stale_labels),
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
    ),
    "init_kmeans_pp": _RNG_MISTAKES + (
        Mistake("not_squared",
                "Samples were picked with probability proportional to their distance; k-means++ "
                "uses the squared distance to the nearest centre chosen so far."),
        Mistake("uniform_sampling",
                "Every sample was equally likely; k-means++ favours samples far from the centres "
                "chosen so far (probability proportional to the squared distance)."),
        Mistake("farthest_not_sampled",
                "Each new centre is always the farthest sample: that is farthest-first, not "
                "k-means++, which draws the next centre at random, weighted by squared "
                "distance."),
        Mistake("summed_all_centres",
                "The weights add up the squared distances to every chosen centre, so a chosen "
                "sample can be picked again; use the distance to the nearest chosen centre."),
        Mistake("first_not_uniform",
                "The first centre is always the same sample; it should be drawn uniformly at "
                "random."),
    ),
    "elbow_sweep": (
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
    "contingency_matrix": (
        Mistake("transposed",
                "The table is transposed: rows are the true classes, columns the clusters.",
                _contingency_transposed),
        Mistake("label_range",
                "Your table has rows or columns for labels that never occur (or misses some): "
                "one row per class that appears, one column per cluster that appears, in sorted "
                "order.", _contingency_label_range),
    ),
    "purity": (
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
    "majority_labels": (
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
    "normalize_rows": (
        Mistake("wrong_axis",
                "You divided by the length of each column; each row is divided by its own "
                "length.", _normalize_wrong_axis),
        Mistake("forgot_keepdims",
                "The row lengths lost their second axis: an array of shape (n,) lines up with "
                "the columns, not the rows. Keep the lengths as a column (n, 1).",
                _normalize_keepdims, _broadcast_error),
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
    "central_members": (
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
}


def mistakes_for(exercise):
    """The exercise's own mistakes followed by the common ones, without duplicate keys."""
    own = CATALOGUE.get(exercise, ())
    keys = {m.key for m in own}
    return list(own) + [m for m in COMMON if m.key not in keys]


def hint_text(exercise, key):
    """The hint for ``key``: the exercise's own text, else the common mistake's text."""
    for mistake in CATALOGUE.get(exercise, ()):
        if mistake.key == key and mistake.text:
            return mistake.text
    for mistake in COMMON:
        if mistake.key == key:
            return mistake.text
    return None


def _first(mistakes, test):
    for mistake in mistakes:
        try:
            if test(mistake):
                return mistake.key
        except Exception:  # a detector that cannot read the output simply does not apply
            continue
    return None


def diagnose(exercise, out, case):
    """Key of the first catalogued mistake that explains ``out`` for ``case``, or None."""
    common = {m.key: m for m in COMMON}
    order = ([common[key] for key in _EARLY] + list(CATALOGUE.get(exercise, ()))
             + [m for m in COMMON if m.key not in _EARLY])
    return _first(order, lambda m: m.detect is not None and m.detect(out, case))


def diagnose_exception(exercise, exc, case):
    """Key of the first catalogued mistake that explains the exception ``exc``, or None."""
    return _first(CATALOGUE.get(exercise, ()),
                  lambda m: m.on_exception is not None and m.on_exception(exc, case))
