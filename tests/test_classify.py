"""majority_labels: the most common label per cluster, ties and empty clusters."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmeans_lessons.classify import majority_labels


def test_majority_labels_by_hand():
    np.testing.assert_array_equal(majority_labels([0, 0, 1, 1, 1], [7, 7, 3, 3, 9], 2), [7, 3])


def test_a_tie_goes_to_the_smallest_label():
    np.testing.assert_array_equal(majority_labels([0, 0, 0, 0], [8, 3, 8, 3], 1), [3])


def test_an_empty_cluster_gets_the_most_common_label_overall():
    np.testing.assert_array_equal(majority_labels([0, 0, 0, 2], [1, 1, 5, 4], 3), [1, 1, 4])


def test_the_labels_keep_their_dtype():
    result = majority_labels([0, 1], np.array([3, 4], dtype=np.uint8), 2)
    assert result.dtype == np.uint8


@given(st.integers(0, 2**32 - 1))
def test_majority_labels_agree_with_counting_by_hand(seed):
    rng = np.random.default_rng(seed)
    clusters = rng.integers(4, size=40)
    digits = rng.integers(10, size=40)
    result = majority_labels(clusters, digits, 4)
    for j in range(4):
        members = digits[clusters == j]
        if members.size:
            counts = np.bincount(members, minlength=10)
            assert result[j] == np.flatnonzero(counts == counts.max())[0]


def test_majority_labels_explains_bad_arguments():
    with pytest.raises(ValueError, match="cluster_labels must have shape"):
        majority_labels([0, 1, 0], [1, 2], 2)
    with pytest.raises(ValueError, match="cluster_labels must lie in 0..1"):
        majority_labels([0, 2], [1, 2], 2)
    with pytest.raises(ValueError, match="k must be a whole number"):
        majority_labels([0, 0], [1, 2], 0)
