"""plot_d2_probabilities: every sample drawn with its chance of becoming the next k-means++
centre, checked against hand-computed chances."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from kmeans_lessons.plotting import plot_d2_probabilities  # noqa: E402

X = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [4.0, 0.0]])


def test_the_chances_after_one_centre_by_hand():
    fig, ax = plt.subplots()
    # centre at 0: squared distances 0, 1, 9, 16 -> chances 0, 1/26, 9/26, 16/26
    p = plot_d2_probabilities(ax, X, X[[0, 3]], 1)
    np.testing.assert_allclose(p, np.array([0, 1, 9, 16]) / 26)
    points, stars = ax.collections
    np.testing.assert_allclose(np.sort(points.get_array()), np.sort(p))
    np.testing.assert_allclose(stars.get_offsets(), [[0.0, 0.0]])
    assert ax.get_xlabel() == "x₁" and len(fig.axes) == 2  # the panel and its colour bar
    plt.close(fig)


def test_each_sample_counts_its_nearest_chosen_centre():
    fig, ax = plt.subplots()
    # centres at 0 and 4: squared distances 0, 1, 1, 0
    p = plot_d2_probabilities(ax, X, X[[0, 3, 1]], 2, colorbar=False)
    np.testing.assert_allclose(p, [0.0, 0.5, 0.5, 0.0])
    assert len(fig.axes) == 1
    plt.close(fig)


def test_plot_refuses_data_that_is_not_two_dimensional_and_steps_out_of_range():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"X must be \(n, 2\)"):
        plot_d2_probabilities(ax, np.zeros((3, 3)), np.zeros((2, 3)), 1)
    with pytest.raises(ValueError, match="step must be a whole number from 1 to 1"):
        plot_d2_probabilities(ax, X, X[:2], 2)
    plt.close(fig)
