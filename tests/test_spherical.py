"""normalize_rows and central_members: unit rows, nearest members, ties, padding."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kmeans_lessons.spherical import central_members, normalize_rows


def test_normalize_rows_by_hand():
    np.testing.assert_allclose(normalize_rows([[3, 4], [0, -2]]), [[0.6, 0.8], [0, -1]])


def test_a_row_of_zeros_stays_zeros():
    U = normalize_rows([[0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(U[0], [0, 0])
    assert np.isfinite(U).all()


@given(arrays(float, st.tuples(st.integers(1, 6), st.integers(1, 5)),
              elements=st.floats(-1e6, 1e6)))
def test_normalised_rows_have_length_one_and_keep_their_direction(X):
    U = normalize_rows(X)
    lengths = np.linalg.norm(U, axis=1)
    nonzero = np.linalg.norm(X, axis=1) > 1e-300
    np.testing.assert_allclose(lengths[nonzero], 1.0, rtol=1e-12)
    # same direction: U[i] is a positive multiple of X[i]
    assert np.all((U * X).sum(axis=1)[nonzero] > 0)


def test_normalize_rows_does_not_change_its_input():
    X = np.array([[3.0, 4.0]])
    normalize_rows(X)
    np.testing.assert_array_equal(X, [[3.0, 4.0]])


def test_central_members_by_hand():
    X = np.array([[0.0], [1.0], [2.5], [10.0], [11.0], [9.5]])
    members = central_members(X, [[1.0], [10.0]], [0, 0, 0, 1, 1, 1], m=2)
    np.testing.assert_array_equal(members, [[1, 0], [3, 5]])


def test_small_and_empty_clusters_are_padded_with_minus_one():
    X = np.array([[0.0], [1.0], [5.0]])
    members = central_members(X, [[0.0], [5.0], [99.0]], [0, 0, 1], m=3)
    np.testing.assert_array_equal(members, [[0, 1, -1], [2, -1, -1], [-1, -1, -1]])


def test_equally_near_members_come_lower_row_first():
    X = np.array([[1.0], [-1.0], [1.0], [-1.0], [0.5]])
    members = central_members(X, [[0.0]], np.zeros(5, dtype=int), m=5)
    np.testing.assert_array_equal(members, [[4, 0, 1, 2, 3]])


@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_central_members_agree_with_a_full_sort(seed, m):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 2))
    centers = rng.normal(size=(3, 2))
    labels = rng.integers(3, size=30)
    members = central_members(X, centers, labels, m)
    for j in range(3):
        rows = np.flatnonzero(labels == j)
        order = rows[np.argsort(((X[rows] - centers[j]) ** 2).sum(axis=1), kind="stable")][:m]
        np.testing.assert_array_equal(members[j, :order.size], order)
        assert (members[j, order.size:] == -1).all()


def test_central_members_explains_bad_arguments():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="m must be a whole number >= 1"):
        central_members(X, np.zeros((1, 2)), [0, 0, 0], m=0)
    with pytest.raises(ValueError, match="labels must lie in 0..0"):
        central_members(X, np.zeros((1, 2)), [0, 1, 0])


# --- assignment_margin (notebook 06's transfer exercise) ---------------------------------------

from kmeans_lessons.spherical import assignment_margin  # noqa: E402


def test_assignment_margin_by_hand():
    # centres along x, y and the diagonal; lengths do not matter, only directions
    centers = np.array([[2.0, 0.0], [0.0, 5.0], [1.0, 1.0]])
    X = np.array([[3.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    # sample 0: cosines 1, 0, 0.7071 -> 1 - 0.7071; sample 1: 0, -1, -0.7071 -> 0 - (-0.7071)
    # sample 2: 0.7071, 0.7071, 1 -> 1 - 0.7071
    r = np.sqrt(0.5)
    np.testing.assert_allclose(assignment_margin(X, centers), [1 - r, r, 1 - r])


def test_a_sample_halfway_between_two_centres_has_margin_zero():
    X = np.array([[1.0, 1.0], [0.0, 0.0]])  # the zero row has no direction: margin 0
    np.testing.assert_allclose(assignment_margin(X, [[1.0, 0.0], [0.0, 1.0]]), [0.0, 0.0],
                               atol=1e-12)


def test_the_margin_agrees_with_sorting_all_cosines_one_sample_at_a_time():
    rng = np.random.default_rng(7)
    X, C = rng.normal(size=(25, 6)), rng.normal(size=(4, 6))
    expected = []
    for x in X:
        cosines = sorted(float(x @ c / np.linalg.norm(x) / np.linalg.norm(c)) for c in C)
        expected.append(cosines[-1] - cosines[-2])
    np.testing.assert_allclose(assignment_margin(X, C), expected, rtol=1e-10)


def test_assignment_margin_needs_two_centres():
    with pytest.raises(ValueError, match="at least two centres"):
        assignment_margin(np.ones((3, 2)), np.ones((1, 2)))
