"""update_centers, kmeans and KMeans: hand cases, scikit-learn agreement, properties, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.exceptions import NotFittedError

from kmeans_lessons import (
    KMeans,
    assign,
    inertia,
    init_kmeans_pp,
    init_random,
    kmeans,
    update_centers,
)

# --- update_centers ---------------------------------------------------------------------------


def test_update_moves_each_centre_to_the_mean_of_its_members():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [12.0, 14.0]])
    new = update_centers(X, np.array([0, 0, 1, 1]), np.zeros((2, 2)))
    np.testing.assert_allclose(new, [[1.0, 0.0], [11.0, 12.0]])


def test_empty_cluster_keeps_its_centre():
    X = np.array([[0.0], [2.0]])
    centers = np.array([[1.0], [50.0], [-7.0]])
    new = update_centers(X, np.array([0, 0]), centers)
    np.testing.assert_array_equal(new, [[1.0], [50.0], [-7.0]])
    assert not np.isnan(new).any()


def test_update_never_mutates_its_inputs():
    X = np.random.default_rng(0).normal(size=(20, 3))
    labels = np.arange(20) % 4
    centers = np.zeros((4, 3))
    copies = X.copy(), labels.copy(), centers.copy()
    new = update_centers(X, labels, centers)
    for before, after in zip(copies, (X, labels, centers)):
        np.testing.assert_array_equal(before, after)
    assert new is not centers


@pytest.mark.parametrize("d, k", [(2, 3), (20, 5), (20, 100), (20, 300)])  # bincount, sparse
def test_update_agrees_with_masked_means(d, k):
    rng = np.random.default_rng(d + k)
    X = rng.normal(size=(5000, d))
    labels = rng.integers(k, size=5000)
    expected = np.array([X[labels == j].mean(axis=0) for j in range(k)])
    np.testing.assert_allclose(update_centers(X, labels, np.zeros((k, d))), expected, rtol=1e-12)


def test_float32_sums_keep_float32_precision():
    # 60 000 additions in float32 alone would lose about three digits; the chunked sums keep the
    # error of the means near float32's own resolution.
    rng = np.random.default_rng(7)
    X = rng.random((60000, 30), dtype=np.float32) + np.float32(100)
    labels = rng.integers(3, size=60000)
    exact = np.array([X[labels == j].astype(np.float64).mean(axis=0) for j in range(3)])
    new = update_centers(X, labels, np.zeros((3, 30), dtype=np.float32))
    np.testing.assert_allclose(new, exact, rtol=2e-7)


@pytest.mark.parametrize("d", [2, 30])
@pytest.mark.parametrize("moved", [0, 7, 3000, 9000])  # none, a few, many, most (a recount)
def test_moving_samples_updates_the_sums_like_a_recount(d, moved):
    from kmeans_lessons._numerics import cluster_sums, move_changed

    rng = np.random.default_rng(d + moved)
    X = rng.normal(size=(10000, d))
    old = rng.integers(6, size=10000)
    new = old.copy()
    movers = rng.choice(10000, size=moved, replace=False)
    new[movers] = (old[movers] + rng.integers(1, 6, size=moved)) % 6
    sums, counts = move_changed(X, old, new, *cluster_sums(X, old, 6))
    expected_sums, expected_counts = cluster_sums(X, new, 6)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_allclose(sums, expected_sums, rtol=1e-10, atol=1e-9)


def test_update_keeps_float32():
    X = np.ones((4, 2), dtype=np.float32)
    assert update_centers(X, np.zeros(4, int), X[:1]).dtype == np.float32


@pytest.mark.parametrize(
    "labels, error, words",
    [
        (np.array([0, 1, 3]), ValueError, "must lie in 0..2"),
        (np.array([0, -1, 1]), ValueError, "must lie in 0..2"),
        (np.array([0, 1]), ValueError, r"shape \(3,\)"),
        (np.array([[0, 1, 2]]), ValueError, r"shape \(3,\)"),
        (np.array([0.5, 1, 2]), TypeError, "whole numbers"),
    ],
)
def test_update_rejects_bad_labels(labels, error, words):
    with pytest.raises(error, match=words):
        update_centers(np.zeros((3, 2)), labels, np.zeros((3, 2)))


# --- kmeans: hand cases and the stopping rule ----------------------------------------------------


def test_two_obvious_groups_by_hand():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    centers, labels, losses = kmeans(X, np.array([[0.0], [1.0]]))
    np.testing.assert_allclose(centers, [[0.5], [10.5]])
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])
    # J(C0) = 0 + 0 + 81 + 100. Update 1: centres 0 and 22/3, the sample at 1 moves to centre 0:
    # J = 0 + 1 + (8/3)^2 + (11/3)^2. Update 2: centres 0.5 and 10.5, J = 4 * 0.25. Update 3
    # changes nothing, a relative decrease of 0 <= tol, so the loop stops.
    assert losses == pytest.approx([181.0, 1 + 64 / 9 + 121 / 9, 1.0, 1.0])


def test_losses_start_with_the_initial_centres_and_never_increase(faithful):
    C0 = init_random(faithful, 3, np.random.default_rng(3))
    result = kmeans(faithful, C0, tol=0)
    assert result.losses[0] == pytest.approx(inertia(faithful, C0))
    assert all(b <= a * (1 + 1e-12) for a, b in zip(result.losses, result.losses[1:]))
    assert len(result.losses) == result.n_iter + 1


def test_stops_after_the_first_small_relative_decrease(faithful):
    C0 = init_random(faithful, 2, np.random.default_rng(0))
    full = kmeans(faithful, C0, tol=0, max_iter=100).losses
    tol = 0.05
    result = kmeans(faithful, C0, tol=tol)
    decreases = [(a - b) / b for a, b in zip(full, full[1:])]
    first_small = next(i for i, r in enumerate(decreases) if r <= tol)
    assert result.n_iter == first_small + 1
    assert result.losses == pytest.approx(full[: first_small + 2])
    assert result.converged


def test_max_iter_caps_the_updates(faithful):
    C0 = init_random(faithful, 4, np.random.default_rng(1))
    result = kmeans(faithful, C0, max_iter=2, tol=0)
    assert result.n_iter == 2 and len(result.losses) == 3 and not result.converged


def test_max_iter_zero_returns_the_assignment_to_the_initial_centres(faithful):
    C0 = init_random(faithful, 3, np.random.default_rng(1))
    centers, labels, losses = kmeans(faithful, C0, max_iter=0)
    np.testing.assert_array_equal(centers, C0)
    np.testing.assert_array_equal(labels, assign(faithful, C0))


def test_returned_labels_belong_to_the_returned_centres(faithful):
    C0 = init_random(faithful, 5, np.random.default_rng(2))
    centers, labels, losses = kmeans(faithful, C0, max_iter=3, tol=0)
    np.testing.assert_array_equal(labels, assign(faithful, centers))
    assert losses[-1] == pytest.approx(inertia(faithful, centers))


def test_k_equal_one_gives_the_mean():
    X = np.random.default_rng(0).normal(size=(30, 2))
    centers, labels, losses = kmeans(X, X[:1])
    np.testing.assert_allclose(centers[0], X.mean(axis=0))
    assert (labels == 0).all()


def test_zero_loss_stops_after_the_first_update():
    X = np.array([[1.0, 1.0], [1.0, 1.0], [5.0, 5.0]])
    result = kmeans(X, np.array([[1.0, 1.0], [5.0, 5.0]]))
    assert result.losses == [0.0, 0.0] and result.n_iter == 1 and result.converged


def test_a_centre_that_loses_all_members_stays_put():
    X = np.array([[0.0], [1.0], [2.0]])
    C0 = np.array([[1.0], [100.0]])
    centers, labels, _ = kmeans(X, C0)
    assert centers[1, 0] == 100.0 and (labels == 0).all()


def test_float32_in_float32_out():
    X = np.random.default_rng(0).random((100, 5), dtype=np.float32)
    result = kmeans(X, X[:3])
    assert result.centers.dtype == np.float32
    assert result.center_history.dtype == np.float32


def test_far_from_origin_data_cluster_like_centred_data(faithful):
    C0 = init_random(faithful, 2, np.random.default_rng(0))
    near = kmeans(faithful, C0)
    far = kmeans(faithful + 1e7, C0 + 1e7)
    np.testing.assert_array_equal(near.labels, far.labels)
    np.testing.assert_allclose(far.centers - 1e7, near.centers, atol=1e-6)


@pytest.mark.parametrize("previous, loss, tol, expected", [
    (10.0, 9.0, 0.1, False),   # fell by 1/9 of the new J: more than 10 %
    (10.0, 9.1, 0.1, True),    # fell by 0.9/9.1, just under 10 %
    (5.0, 5.0, 0.0, True),     # no change stops even with tol = 0
    (5.0, 4.0, 0.0, False),
    (3.0, 0.0, 0.0, True),     # J = 0 cannot fall further (and is not divided by)
])
def test_has_converged_is_the_relative_decrease_rule(previous, loss, tol, expected):
    from kmeans_lessons.algorithm import has_converged

    assert has_converged(previous, loss, tol) is expected


def test_lloyd_with_plain_steps_runs_like_kmeans(faithful):
    # The loop knows nothing of the fast steps: plain assign/update_centers give the same run.
    from kmeans_lessons.algorithm import labelled_loss, lloyd

    C0 = init_random(faithful, 3, np.random.default_rng(4))
    seen = []

    def assign_step(C):
        labels = assign(faithful, C)
        return labels, labelled_loss(faithful, C, labels)

    def record(kind, centers, labels, loss, iteration):
        seen.append((kind, iteration, loss))

    run = lloyd(C0, assign_step, lambda labels, C: update_centers(faithful, labels, C),
                max_iter=100, tol=1e-4, on_half_step=record)
    reference = kmeans(faithful, C0)
    np.testing.assert_allclose(run.centers, reference.centers, rtol=1e-12)
    np.testing.assert_array_equal(run.labels, reference.labels)
    assert run.losses == pytest.approx(reference.losses, rel=1e-12)
    assert run.converged == reference.converged
    T = reference.n_iter
    assert [(kind, i) for kind, i, _ in seen] == \
        [("assign", 0)] + [pair for t in range(1, T + 1) for pair in (("update", t), ("assign", t))]
    assert [loss for kind, _, loss in seen if kind == "update"] == [None] * T


def test_lloyd_stops_where_a_step_raises():
    from kmeans_lessons.algorithm import lloyd

    seen = []

    def failing_update(labels, C):
        raise ArithmeticError("update broke")

    with pytest.raises(ArithmeticError, match="update broke"):
        lloyd(np.zeros((1, 1)), lambda C: (np.zeros(2, int), 1.0), failing_update,
              on_half_step=lambda kind, *rest: seen.append(kind))
    assert seen == ["assign"]


# --- history and half-steps ---------------------------------------------------------------------


def test_history_records_centres_and_labels_after_every_update(faithful):
    C0 = init_random(faithful, 3, np.random.default_rng(5))
    result = kmeans(faithful, C0, tol=0)
    T = result.n_iter
    assert result.center_history.shape == (T + 1, 3, 2)
    assert result.label_history.shape == (T + 1, 272)
    np.testing.assert_array_equal(result.center_history[0], C0)
    for t in range(T + 1):
        np.testing.assert_array_equal(result.label_history[t],
                                      assign(faithful, result.center_history[t]))
        assert result.losses[t] == pytest.approx(inertia(faithful, result.center_history[t]))
    for t in range(T):
        np.testing.assert_allclose(
            result.center_history[t + 1],
            update_centers(faithful, result.label_history[t], result.center_history[t]))


def test_half_steps_alternate_assign_and_update(faithful):
    C0 = init_random(faithful, 2, np.random.default_rng(0))
    result = kmeans(faithful, C0)
    steps = result.half_steps()
    kinds = [s.kind for s in steps]
    assert kinds[0] == "init" and steps[0].labels is None
    assert kinds[1:] == ["assign", "update"] * result.n_iter + ["assign"]
    for before, after in zip(steps[1::2], steps[2::2]):
        assert after.loss <= before.loss + 1e-9  # moving centres to the means never costs
        np.testing.assert_array_equal(after.labels, before.labels)


def test_history_can_be_skipped(faithful):
    result = kmeans(faithful, faithful[:2], record_history=False)
    assert result.center_history is None and result.label_history is None
    with pytest.raises(ValueError, match="record_history=True"):
        result.half_steps()


# --- agreement with scikit-learn -----------------------------------------------------------------


def sklearn_lloyd(X, C0, max_iter=300):
    return SklearnKMeans(len(C0), init=C0, n_init=1, algorithm="lloyd", tol=0,
                         max_iter=max_iter).fit(X)


@pytest.mark.parametrize("k", [2, 3, 6])
def test_matches_sklearn_on_old_faithful(faithful, k):
    C0 = init_kmeans_pp(faithful, k, np.random.default_rng(k))
    ours = kmeans(faithful, C0, max_iter=300, tol=0)
    theirs = sklearn_lloyd(faithful, C0)
    np.testing.assert_array_equal(ours.labels, theirs.labels_)
    np.testing.assert_allclose(ours.centers, theirs.cluster_centers_, rtol=0, atol=1e-8)
    assert ours.losses[-1] == pytest.approx(theirs.inertia_, rel=1e-10)


@pytest.mark.parametrize("k", [10, 30])
def test_matches_sklearn_on_the_8x8_digits(digits, k):
    C0 = init_kmeans_pp(digits, k, np.random.default_rng(0))
    ours = kmeans(digits, C0, max_iter=300, tol=0)
    theirs = sklearn_lloyd(digits, C0)
    np.testing.assert_array_equal(ours.labels, theirs.labels_)
    np.testing.assert_allclose(ours.centers, theirs.cluster_centers_, rtol=0, atol=1e-8)


def test_matches_sklearn_on_an_mnist_subset(mnist_subset):
    C0 = init_kmeans_pp(mnist_subset, 10, np.random.default_rng(0))
    ours = kmeans(mnist_subset, C0, max_iter=300, tol=0)
    theirs = sklearn_lloyd(mnist_subset, C0)
    np.testing.assert_array_equal(ours.labels, theirs.labels_)
    np.testing.assert_allclose(ours.centers, theirs.cluster_centers_, rtol=0, atol=1e-8)


def test_matches_sklearn_in_float32(digits, mnist_subset=None):
    X = digits.astype(np.float32) / 16
    C0 = init_kmeans_pp(X, 10, np.random.default_rng(1))
    ours = kmeans(X, C0, max_iter=300, tol=0)
    theirs = sklearn_lloyd(X, C0)
    assert ours.centers.dtype == np.float32 and ours.labels.shape == theirs.labels_.shape
    assert (ours.labels == theirs.labels_).mean() >= 0.99
    np.testing.assert_allclose(ours.centers, theirs.cluster_centers_, rtol=0, atol=1e-5)
    assert ours.losses[-1] == pytest.approx(theirs.inertia_, rel=1e-4)


def test_matches_sklearn_in_float32_on_mnist(mnist_subset):
    X = mnist_subset.astype(np.float32)
    C0 = init_kmeans_pp(X, 10, np.random.default_rng(2))
    ours = kmeans(X, C0, max_iter=300, tol=0)
    theirs = sklearn_lloyd(X, C0)
    assert (ours.labels == theirs.labels_).mean() >= 0.99
    np.testing.assert_allclose(ours.centers, theirs.cluster_centers_, rtol=0, atol=1e-5)


# --- properties ------------------------------------------------------------------------------


def small_problems():
    """Data (n, d) with 1 <= k <= n initial centres taken from its rows."""
    return st.integers(1, 4).flatmap(lambda d: st.integers(2, 40).flatmap(lambda n: st.tuples(
        arrays(np.float64, (n, d), elements=st.floats(-100, 100, allow_nan=False)),
        st.lists(st.integers(0, n - 1), min_size=1, max_size=min(n, 6), unique=True),
    )))


@given(small_problems())
def test_property_loss_never_increases(problem):
    X, rows = problem
    losses = kmeans(X, X[rows], tol=0).losses
    assert all(b <= a + 1e-9 * max(1.0, a) for a, b in zip(losses, losses[1:]))


@given(small_problems())
def test_property_converged_result_is_a_fixed_point(problem):
    X, rows = problem
    result = kmeans(X, X[rows], tol=0, max_iter=500)
    if result.converged:
        again = update_centers(X, result.labels, result.centers)
        np.testing.assert_allclose(again, result.centers, rtol=1e-9, atol=1e-9)
        # Every sample sits at a nearest centre (exact ties may be broken either way by rounding).
        D = ((X[:, None, :] - result.centers[None, :, :]) ** 2).sum(axis=2)
        chosen = D[np.arange(len(X)), result.labels]
        np.testing.assert_allclose(chosen, D.min(axis=1), rtol=1e-9, atol=1e-9)


@given(small_problems(), st.randoms(use_true_random=False))
def test_property_row_order_does_not_matter(problem, random):
    X, rows = problem
    order = list(range(len(X)))
    random.shuffle(order)
    order = np.array(order)
    a = kmeans(X, X[rows], tol=0)
    b = kmeans(X[order], X[rows], tol=0)
    np.testing.assert_allclose(b.centers, a.centers, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(b.labels, a.labels[order])


# --- kmeans errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(init_centers=np.zeros((2, 3))), ValueError, "C has 3 columns but X has 2"),
        (dict(init_centers=np.zeros((6, 2))), ValueError, "larger than the number of samples"),
        (dict(init_centers=np.zeros((2, 2)), max_iter=-1), ValueError, "max_iter"),
        # a wrong type is a TypeError, a value out of range a ValueError (_validation)
        (dict(init_centers=np.zeros((2, 2)), max_iter=2.5), TypeError, "max_iter"),
        (dict(init_centers=np.zeros((2, 2)), tol=-0.1), ValueError, "tol"),
        (dict(init_centers=np.zeros((2, 2)), tol=float("nan")), ValueError, "tol"),
        (dict(init_centers=np.array([[np.nan, 0], [0, 0]])), ValueError, "NaN"),
    ],
)
def test_kmeans_rejects_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        kmeans(np.zeros((5, 2)), **kwargs)


@pytest.mark.parametrize("bad, words", [
    (np.nan, r"NaN or infinity \(first at row 3, column 1\)"),
    (-np.inf, r"NaN or infinity \(first at row 3, column 1\)"),
    (1e200, "so large that their squares overflow"),
])
@pytest.mark.parametrize("d", [2, 12])
def test_kmeans_names_non_finite_or_overflowing_samples(bad, words, d):
    # kmeans checks X for NaN/inf from its row norms; the message must still name the culprit.
    X = np.ones((6, d))
    X[3, 1] = bad
    with pytest.raises(ValueError, match=words):
        kmeans(X, np.ones((2, d)))


# --- the KMeans estimator ---------------------------------------------------------------------


def test_estimator_keeps_the_best_of_its_restarts(faithful):
    model = KMeans(4, init="random", n_init=8, random_state=0).fit(faithful)
    singles = [KMeans(4, init="random", n_init=1, random_state=s).fit(faithful).inertia_
               for s in range(8)]
    assert model.inertia_ <= min(singles) + 1e-9 or model.inertia_ <= np.median(singles)
    rng = np.random.default_rng(0)
    runs = [kmeans(faithful, init_random(faithful, 4, rng), 300, 1e-4, record_history=False)
            for _ in range(8)]
    assert model.inertia_ == pytest.approx(min(r.losses[-1] for r in runs))


def test_estimator_attributes_and_methods(faithful):
    model = KMeans(2, random_state=1, n_init=3)
    labels = model.fit_predict(faithful)
    assert model.cluster_centers_.shape == (2, 2)
    np.testing.assert_array_equal(labels, model.labels_)
    np.testing.assert_array_equal(model.predict(faithful), labels)
    distances = model.transform(faithful)
    np.testing.assert_allclose(distances ** 2,
                               ((faithful[:, None] - model.cluster_centers_) ** 2).sum(-1))
    assert model.inertia_ == pytest.approx(inertia(faithful, model.cluster_centers_))
    assert model.score(faithful) == pytest.approx(-model.inertia_)
    assert model.n_iter_ >= 1


def test_estimator_is_reproducible_and_matches_sklearn_from_the_same_start(digits):
    a = KMeans(10, random_state=3, n_init=2).fit(digits)
    b = KMeans(10, random_state=3, n_init=2).fit(digits)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    C0 = init_kmeans_pp(digits, 10, np.random.default_rng(4))
    ours = KMeans(10, init=C0, n_init=1, tol=0).fit(digits)
    theirs = SklearnKMeans(10, init=C0, n_init=1, algorithm="lloyd", tol=0).fit(digits)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)


@pytest.mark.parametrize("init", ["k-means++", "random", "farthest"])
def test_every_named_init_runs(faithful, init):
    model = KMeans(3, init=init, n_init=2, random_state=0).fit(faithful)
    assert model.cluster_centers_.shape == (3, 2)


@pytest.mark.parametrize(
    "model, error, words",
    [
        (KMeans(3, init="kmeans++"), ValueError, "init must be one of"),
        (KMeans(3, init=np.zeros((2, 2)), n_init=1), ValueError, r"expected \(3, 2\)"),
        (KMeans(3, init=np.zeros((3, 2)), n_init=5), ValueError, "n_init=1"),
        (KMeans(3, n_init=0), ValueError, "n_init"),
        (KMeans(0), ValueError, "at least 1"),
        (KMeans(300), ValueError, "larger than the number of samples"),
    ],
)
def test_estimator_rejects_bad_settings(faithful, model, error, words):
    with pytest.raises(error, match=words):
        model.fit(faithful)


def test_estimator_must_be_fitted_and_fed_the_same_features(faithful):
    # scikit-learn's exception (a ValueError and AttributeError) and its wording for the features
    with pytest.raises(NotFittedError, match="call fit"):
        KMeans(2).predict(faithful)
    model = KMeans(2, n_init=1, random_state=0).fit(faithful)
    with pytest.raises(ValueError, match="X has 3 features, but KMeans is expecting 2 features"):
        model.predict(np.zeros((4, 3)))


@pytest.mark.parametrize("d", [2, 12])
def test_kmeans_labels_break_exact_ties_like_assign(d):
    # Integer data and centres give exact ties; the loop's own assignment (both the few-features
    # and the matrix-product path) must send them to the lower index, as assign does.
    rng = np.random.default_rng(5)
    X = rng.integers(-2, 3, size=(300, d)).astype(float)
    C0 = np.vstack([np.eye(d)[0], -np.eye(d)[0], np.eye(d)[1]])
    diffs = X[:, None, :] - C0[None]
    exact = (diffs**2).sum(axis=2).argmin(axis=1)
    np.testing.assert_array_equal(assign(X, C0), exact)
    np.testing.assert_array_equal(kmeans(X, C0, max_iter=0).labels, exact)
    # Far from the origin the loop centres the data first; the shift must not blur the ties.
    far = 2.0**20 + 0.5
    np.testing.assert_array_equal(kmeans(X + far, C0 + far, max_iter=0).labels, exact)


def test_result_indexes_like_the_tuple_it_unpacks_as():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    result = kmeans(X, np.array([[0.0], [10.0]]))
    assert len(result) == 3 and result[2][-1] == pytest.approx(1.0)
    np.testing.assert_array_equal(result[1], [0, 0, 1, 1])


# --- KMeans as a scikit-learn estimator --------------------------------------------------------

#: Checks of check_estimator that KMeans cannot pass, with the reason (keep this list short).
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "integer weights equal repeated rows only from the same initial centres, and the random "
        "initialisation draws differently from 15 rows than from 40 (scikit-learn's KMeans "
        "lists the same check; test_integer_weights_equal_repeated_samples pins the equivalence "
        "from one start)"
    ),
}


def test_estimator_passes_scikit_learns_estimator_checks():
    from sklearn.utils.estimator_checks import check_estimator

    results = check_estimator(KMeans(), expected_failed_checks=EXPECTED_FAILED_CHECKS,
                              on_skip=None)
    status = {r["check_name"]: r["status"] for r in results}
    assert {name for name, s in status.items() if s == "xfail"} == set(EXPECTED_FAILED_CHECKS)
    # Only the array-API check may be skipped (it needs SCIPY_ARRAY_API=1 before scipy loads).
    assert {name for name, s in status.items() if s == "skipped"} <= {"check_array_api_input"}
    assert sum(s == "passed" for s in status.values()) >= 50


def test_clone_gives_an_unfitted_copy_with_the_same_settings(faithful):
    from sklearn.base import clone

    model = KMeans(3, init="farthest", n_init=2, max_iter=50, tol=1e-3, random_state=4)
    model.fit(faithful)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "cluster_centers_")
    np.testing.assert_array_equal(copy.fit(faithful).labels_, model.labels_)
    assert repr(KMeans(3, random_state=0)) == "KMeans(n_clusters=3, random_state=0)"


def test_estimator_in_a_pipeline_clusters_the_scaled_data(faithful):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = make_pipeline(StandardScaler(), KMeans(2, random_state=0)).fit(faithful)
    scaled = StandardScaler().fit_transform(faithful)
    alone = KMeans(2, random_state=0).fit(scaled)
    np.testing.assert_array_equal(pipeline.predict(faithful), alone.labels_)
    np.testing.assert_allclose(pipeline.transform(faithful), alone.transform(scaled))
    assert pipeline.score(faithful) == pytest.approx(-alone.inertia_)


def test_grid_search_over_n_clusters_prefers_more_clusters(faithful):
    # The score is minus J, which only falls as k grows, so the largest k wins on every split.
    from sklearn.model_selection import GridSearchCV, KFold

    search = GridSearchCV(KMeans(n_init=3, random_state=0), {"n_clusters": [1, 2, 4]},
                          cv=KFold(3, shuffle=True, random_state=0)).fit(faithful)
    assert search.best_params_ == {"n_clusters": 4}
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] < scores[1] < scores[2] < 0
    assert search.best_estimator_.cluster_centers_.shape == (4, 2)


def test_weighted_fit_matches_sklearn_from_the_same_start(digits):
    C0 = init_kmeans_pp(digits, 10, np.random.default_rng(2))
    weights = np.random.default_rng(3).uniform(0.1, 5.0, size=len(digits))
    ours = KMeans(10, init=C0, n_init=1, tol=0).fit(digits, sample_weight=weights)
    theirs = SklearnKMeans(10, init=C0, n_init=1, algorithm="lloyd", tol=0).fit(
        digits, sample_weight=weights)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10,
                               atol=1e-10)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-10)
    assert ours.score(digits, sample_weight=weights) == pytest.approx(
        theirs.score(digits, sample_weight=weights), rel=1e-10)
    # Weights change the answer: the unweighted run from the same start ends elsewhere.
    plain = KMeans(10, init=C0, n_init=1, tol=0).fit(digits)
    assert plain.inertia_ != pytest.approx(ours.inertia_)


@pytest.mark.parametrize("d", [2, 30])  # the bincount and the sparse one-hot sums
def test_weighted_update_is_the_weighted_mean(d):
    rng = np.random.default_rng(d)
    X = rng.normal(size=(500, d))
    labels = rng.integers(4, size=500)
    weights = rng.uniform(0, 3, size=500)
    weights[labels == 3] = 0  # cluster 3 weighs nothing: it keeps its centre
    centers = rng.normal(size=(4, d))
    new = update_centers(X, labels, centers, sample_weight=weights)
    for j in range(3):
        np.testing.assert_allclose(new[j], np.average(X[labels == j], axis=0,
                                                      weights=weights[labels == j]))
    np.testing.assert_array_equal(new[3], centers[3])


@pytest.mark.parametrize("d", [2, 30])
def test_integer_weights_equal_repeated_samples(d):
    rng = np.random.default_rng(10 + d)
    X = np.repeat(rng.normal(size=(4, d)) * 5, 50, axis=0) + rng.normal(size=(200, d))
    counts = rng.integers(0, 4, size=200)
    C0 = X[[0, 60, 120, 180]]
    weighted = kmeans(X, C0, tol=0, sample_weight=counts)
    repeated = kmeans(np.repeat(X, counts, axis=0), C0, tol=0)
    np.testing.assert_allclose(weighted.centers, repeated.centers, rtol=1e-10)
    assert weighted.losses == pytest.approx(repeated.losses, rel=1e-10)
    np.testing.assert_array_equal(np.repeat(weighted.labels, counts), repeated.labels)
    # The half-steps price J with the same weights.
    assert weighted.half_steps()[-1].loss == pytest.approx(repeated.losses[-1], rel=1e-10)


@pytest.mark.parametrize("weights, error, words", [
    (np.ones(5), ValueError, r"shape \(272,\)"),
    (-np.ones(272), ValueError, ">= 0"),
    (np.zeros(272), ValueError, "zero for every sample"),
    (np.full(272, np.nan), ValueError, "finite"),
    (np.array(["a"] * 272), TypeError, "numbers"),
])
def test_bad_sample_weights_are_refused(faithful, weights, error, words):
    with pytest.raises(error, match=words):
        KMeans(2, n_init=1).fit(faithful, sample_weight=weights)


def test_predict_breaks_ties_like_assign():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [1.0, 5.0]])
    model = KMeans(2, init=np.array([[0.0, 0.0], [2.0, 0.0]]), n_init=1, max_iter=0).fit(X)
    # [1, 0] is exactly as far from both centres: the lower index wins, as in assign.
    np.testing.assert_array_equal(model.predict(X), assign(X, model.cluster_centers_))
    assert model.predict(np.array([[1.0, 0.0]]))[0] == 0


# --- update_medians (notebook 03's transfer exercise) ------------------------------------------

from kmeans_lessons.algorithm import update_medians  # noqa: E402


def test_update_medians_by_hand():
    X = np.array([[0.0, 0.0], [1.0, 10.0], [2.0, 1.0], [100.0, 2.0], [5.0, 5.0], [7.0, 9.0]])
    labels = np.array([0, 0, 0, 0, 1, 1])
    # cluster 0, feature 0: 0, 1, 2, 100 -> (1 + 2) / 2; feature 1: 0, 1, 2, 10 -> 1.5
    np.testing.assert_allclose(update_medians(X, labels, np.zeros((2, 2))),
                               [[1.5, 1.5], [6.0, 7.0]])


def test_a_far_outlier_barely_moves_the_median_but_drags_the_mean():
    X = np.array([[0.0], [1.0], [2.0], [1000.0]])
    labels = np.zeros(4, dtype=int)
    assert update_medians(X, labels, np.zeros((1, 1)))[0, 0] == pytest.approx(1.5)
    assert update_centers(X, labels, np.zeros((1, 1)))[0, 0] == pytest.approx(250.75)


def test_update_medians_keeps_the_centre_of_an_empty_cluster_and_the_inputs():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    centers = np.array([[0.0, 0.0], [9.0, 9.0]])
    new = update_medians(X, [0, 0], centers)
    np.testing.assert_allclose(new, [[2.0, 3.0], [9.0, 9.0]])
    np.testing.assert_array_equal(centers, [[0.0, 0.0], [9.0, 9.0]])


def test_the_median_minimises_the_sum_of_manhattan_distances():
    rng = np.random.default_rng(6)
    X = rng.standard_t(df=1, size=(31, 2))  # heavy tails
    median = update_medians(X, np.zeros(31, dtype=int), X[:1])[0]

    def manhattan_cost(c):
        return np.abs(X - c).sum()

    for step in rng.normal(scale=0.05, size=(20, 2)):
        assert manhattan_cost(median) <= manhattan_cost(median + step)
