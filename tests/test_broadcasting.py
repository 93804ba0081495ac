"""difference_table, row_sums_outer, pick_per_row: hand examples, properties, clear errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kmeans_lessons.broadcasting import difference_table, pick_per_row, row_sums_outer

finite = st.floats(-1e6, 1e6, allow_nan=False)


def test_difference_table_by_hand():
    np.testing.assert_array_equal(difference_table([1, 2, 3], [10, 20]),
                                  [[-9, -19], [-8, -18], [-7, -17]])


@given(arrays(float, st.integers(1, 6), elements=finite),
       arrays(float, st.integers(1, 6), elements=finite))
def test_difference_table_entry_i_j_is_a_i_minus_b_j(a, b):
    table = difference_table(a, b)
    assert table.shape == (a.size, b.size)
    for i in range(a.size):
        for j in range(b.size):
            assert table[i, j] == a[i] - b[j]


def test_difference_table_rejects_two_dimensional_input_with_a_fix():
    with pytest.raises(ValueError, match=r"a must be 1-D .* a\.ravel\(\)"):
        difference_table(np.ones((2, 2)), [1.0])


def test_difference_table_rejects_empty_and_non_numbers():
    with pytest.raises(ValueError, match="b is empty"):
        difference_table([1.0], [])
    with pytest.raises(TypeError, match="numbers"):
        difference_table(["x"], [1.0])


def test_row_sums_outer_by_hand():
    # row sums 3, 7, 1
    np.testing.assert_array_equal(row_sums_outer([[1, 2], [3, 4], [0, 1]]),
                                  [[9, 21, 3], [21, 49, 7], [3, 7, 1]])


@given(arrays(float, st.tuples(st.integers(1, 5), st.integers(1, 4)),
              elements=st.floats(-1e3, 1e3)))
def test_row_sums_outer_is_symmetric_with_squares_on_the_diagonal(A):
    P = row_sums_outer(A)
    s = A.sum(axis=1)
    np.testing.assert_allclose(P, P.T)
    np.testing.assert_allclose(np.diag(P), s ** 2, rtol=1e-12, atol=1e-9)


def test_row_sums_outer_needs_a_two_dimensional_array():
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        row_sums_outer([1.0, 2.0])


def test_pick_per_row_by_hand():
    np.testing.assert_array_equal(pick_per_row([[1, 2, 3], [4, 5, 6]], [2, 0]), [3.0, 4.0])


@given(st.integers(1, 6), st.integers(1, 5), st.data())
def test_pick_per_row_agrees_with_fancy_indexing(n, d, data):
    X = data.draw(arrays(float, (n, d), elements=finite))
    idx = data.draw(arrays(np.int64, n, elements=st.integers(0, d - 1)))
    np.testing.assert_array_equal(pick_per_row(X, idx), X[np.arange(n), idx])


def test_pick_per_row_explains_bad_indices():
    X = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"idx must lie in 0\.\.2"):
        pick_per_row(X, [0, 3])
    with pytest.raises(ValueError, match="one column index per row"):
        pick_per_row(X, [0, 1, 2])
    with pytest.raises(TypeError, match="whole numbers"):
        pick_per_row(X, [0.0, 1.0])


def test_boolean_vectors_count_as_ones_and_zeros():
    # NumPy refuses `-` on two boolean arrays; the reference treats True/False as 1/0 instead.
    np.testing.assert_array_equal(difference_table(np.array([True, False]), np.array([True])),
                                  [[0], [-1]])


# --- scale_each_image (notebook 01's transfer exercise) ----------------------------------------

from kmeans_lessons.broadcasting import scale_each_image  # noqa: E402


def test_scale_each_image_divides_every_image_by_its_own_maximum():
    images = np.array([[[0, 2], [1, 4]], [[5, 10], [0, 1]], [[3, 3], [3, 3]]])
    expected = [[[0, 0.5], [0.25, 1]], [[0.5, 1], [0, 0.1]], [[1, 1], [1, 1]]]
    np.testing.assert_allclose(scale_each_image(images), expected)


def test_an_all_black_image_stays_black_instead_of_nan():
    scaled = scale_each_image(np.array([[[0.0, 0.0]], [[2.0, 8.0]]]))
    np.testing.assert_array_equal(scaled, [[[0.0, 0.0]], [[0.25, 1.0]]])


def test_square_batches_scale_per_image_not_per_column():
    # n == w: dividing by the (n,) maxima would run without an error and be wrong
    images = np.arange(1.0, 19.0).reshape(2, 3, 3)
    scaled = scale_each_image(images)
    np.testing.assert_allclose(scaled[0], images[0] / 9)
    np.testing.assert_allclose(scaled[1], images[1] / 18)


def test_scale_each_image_explains_bad_input():
    with pytest.raises(ValueError, match=r"3-D with shape \(n_images, height, width\)"):
        scale_each_image(np.ones((4, 4)))
    with pytest.raises(ValueError, match=">= 0"):
        scale_each_image(-np.ones((1, 2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        scale_each_image(np.full((1, 2, 2), np.nan))
