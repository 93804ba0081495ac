"""pairwise_sq_dists, assign and inertia: hand-computed values, accuracy, memory, bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kmeans_lessons import assign, inertia, pairwise_sq_dists
from kmeans_lessons import _numerics


def test_distances_match_a_hand_computed_table():
    X = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    C = np.array([[0.0, 0.0], [3.0, 0.0]])
    expected = np.array([[0.0, 9.0], [25.0, 16.0], [2.0, 5.0]])
    np.testing.assert_allclose(pairwise_sq_dists(X, C), expected, atol=1e-12)


def test_distances_have_shape_n_by_k():
    X = np.zeros((7, 3))
    C = np.ones((2, 3))
    assert pairwise_sq_dists(X, C).shape == (7, 2)


def test_distances_stay_accurate_far_from_the_origin():
    # ||x||^2 is about 1e16 here; the naive expansion would lose every digit of a distance of 1.
    X = np.array([[1e8, 1e8], [1e8 + 1, 1e8]])
    C = np.array([[1e8, 1e8]])
    np.testing.assert_allclose(pairwise_sq_dists(X, C), [[0.0], [1.0]], atol=1e-6)


def test_distances_of_identical_points_are_zero_never_negative():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 30)) * 1e3
    D = pairwise_sq_dists(X, X)
    assert (D >= 0).all()
    np.testing.assert_allclose(np.diag(D), 0, atol=1e-6)


def test_float32_stays_float32_and_float64_wins_when_mixed():
    X = np.ones((3, 2), dtype=np.float32)
    assert pairwise_sq_dists(X, X[:1]).dtype == np.float32
    assert pairwise_sq_dists(X, X[:1].astype(np.float64)).dtype == np.float64


def test_integer_and_list_input_are_accepted():
    D = pairwise_sq_dists([[0, 0], [2, 0]], [[1, 0]])
    np.testing.assert_array_equal(D, [[1.0], [1.0]])


def test_rows_are_processed_in_chunks_with_the_same_result(monkeypatch):
    rng = np.random.default_rng(1)
    X, C = rng.normal(size=(50, 4)), rng.normal(size=(3, 4))
    whole = pairwise_sq_dists(X, C)
    seen = []
    real_block = _numerics._sq_dists_block

    def spy(block, *args):
        seen.append(block.shape[0])
        return real_block(block, *args)

    monkeypatch.setattr(_numerics, "CHUNK_ROWS", 8)
    monkeypatch.setattr(_numerics, "_sq_dists_block", spy)
    np.testing.assert_allclose(pairwise_sq_dists(X, C), whole)
    assert max(seen) == 8 and sum(seen) == 50


finite = st.floats(-1e3, 1e3, allow_nan=False, width=64)


@given(
    arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 4)), elements=finite),
    st.integers(1, 5),
    st.data(),
)
def test_distances_equal_the_direct_definition(X, k, data):
    C = data.draw(arrays(np.float64, (k, X.shape[1]), elements=finite))
    direct = ((X[:, np.newaxis, :] - C[np.newaxis, :, :]) ** 2).sum(axis=2)
    np.testing.assert_allclose(pairwise_sq_dists(X, C), direct, rtol=1e-9, atol=1e-6)


def test_assign_picks_the_nearest_centre():
    X = np.array([[0.0], [0.9], [2.2], [10.0]])
    C = np.array([[0.0], [2.0], [9.0]])
    np.testing.assert_array_equal(assign(X, C), [0, 0, 1, 2])


def test_assign_breaks_ties_towards_the_lower_index():
    X = np.array([[1.0, 0.0]])
    C = np.array([[2.0, 0.0], [0.0, 0.0], [1.0, 1.0]])  # all three at distance 1
    assert assign(X, C)[0] == 0


def brute_force_labels(X, C):
    """Nearest centre from direct differences: exact for small integers, ties to the first."""
    diffs = np.asarray(X, float)[:, None, :] - np.asarray(C, float)[None, :, :]
    return (diffs**2).sum(axis=2).argmin(axis=1)


def test_exact_ties_survive_the_expansion_on_a_grid():
    # Shifting by the centres' mean (0, 1/3) and expanding rounds these equal distances
    # differently; the close calls must still go to the lower index.
    grid = np.stack(np.meshgrid(np.arange(-4, 5), np.arange(-4, 5)), axis=-1).reshape(-1, 2)
    C = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(assign(grid, C), brute_force_labels(grid, C))


@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_assign_matches_brute_force_on_integer_data(k, d, seed):
    # Small integers make many exact ties; direct differences of them are exact.
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, size=(40, d)).astype(float)
    C = rng.integers(-3, 4, size=(k, d)).astype(float)
    np.testing.assert_array_equal(assign(X, C), brute_force_labels(X, C))
    np.testing.assert_array_equal(assign(X + 1e6, C + 1e6), brute_force_labels(X, C))


def test_assign_returns_integers():
    assert np.issubdtype(assign(np.zeros((3, 2)), np.zeros((1, 2))).dtype, np.integer)


def test_inertia_is_the_sum_of_nearest_squared_distances():
    X = np.array([[0.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
    C = np.array([[0.0, 1.0], [5.0, 6.0]])
    assert inertia(X, C) == pytest.approx(1.0 + 1.0 + 1.0)
    assert isinstance(inertia(X, C), float)


def test_inertia_is_zero_when_every_sample_is_a_centre():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert inertia(X, X) == 0.0


@pytest.mark.parametrize("fn", [pairwise_sq_dists, assign, inertia])
@pytest.mark.parametrize(
    "X, C, error, words",
    [
        (np.zeros((4, 2)), np.zeros((3, 3)), ValueError, "C has 3 columns but X has 2"),
        (np.zeros(4), np.zeros((3, 1)), ValueError, "reshape(-1, 1)"),
        (np.zeros((4, 2, 1)), np.zeros((3, 2)), ValueError, "must be 2-D"),
        (np.zeros((0, 2)), np.zeros((3, 2)), ValueError, "empty"),
        (np.array([[0.0, np.nan]]), np.zeros((1, 2)), ValueError, "NaN or infinity"),
        (np.zeros((2, 2)), np.array([[np.inf, 0.0]]), ValueError, "NaN or infinity"),
        ([[1, 2], [3]], np.zeros((1, 2)), TypeError, "rows of the same length"),
        (np.array([["a", "b"]]), np.zeros((1, 2)), TypeError, "must hold numbers"),
        (None, np.zeros((1, 2)), TypeError, "2-D array of numbers"),
    ],
)
def test_bad_input_gets_a_clear_error(fn, X, C, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        fn(X, C)


# --- weighted_sq_dists (notebook 02's transfer exercise) ---------------------------------------

from scipy.spatial.distance import cdist  # noqa: E402

from kmeans_lessons.distances import weighted_sq_dists  # noqa: E402


def test_weighted_distances_by_hand():
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    C = np.array([[1.0, 1.0]])
    # sample 0: 2 * 1 + 0.5 * 1 = 2.5; sample 1: 2 * 0 + 0.5 * 1 = 0.5
    np.testing.assert_allclose(weighted_sq_dists(X, C, [2.0, 0.5]), [[2.5], [0.5]])


def test_weighted_distances_agree_with_scipy():
    rng = np.random.default_rng(3)
    X, C, w = rng.normal(size=(40, 5)), rng.normal(size=(6, 5)), rng.uniform(0, 3, size=5)
    np.testing.assert_allclose(weighted_sq_dists(X, C, w), cdist(X, C, "sqeuclidean", w=w),
                               rtol=1e-10, atol=1e-12)


def test_inverse_variance_weights_are_distances_between_standardised_samples():
    rng = np.random.default_rng(4)
    X = rng.normal(loc=[3.0, 70.0], scale=[1.1, 13.6], size=(50, 2))
    mean, std = X.mean(axis=0), X.std(axis=0)
    np.testing.assert_allclose(weighted_sq_dists(X, X[:3], 1 / std ** 2),
                               pairwise_sq_dists((X - mean) / std, (X[:3] - mean) / std),
                               rtol=1e-9, atol=1e-12)


def test_weighted_distances_are_never_negative_far_from_the_origin():
    X = 1e6 + np.random.default_rng(5).normal(size=(20, 3))
    D = weighted_sq_dists(X, X[:4], [1.0, 2.0, 3.0])
    assert D.min() >= 0
    np.testing.assert_allclose(np.diag(D[:4]), 0, atol=1e-6)


def test_weighted_distances_explain_bad_weights():
    with pytest.raises(ValueError, match=r"one number per feature, shape \(2,\)"):
        weighted_sq_dists(np.zeros((3, 2)), np.zeros((1, 2)), [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="weights >= 0"):
        weighted_sq_dists(np.zeros((3, 2)), np.zeros((1, 2)), [1.0, -1.0])
