"""d2_probabilities and plot_d2_probabilities: the chance of each sample becoming the next
k-means++ centre, computed by hand and drawn."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from kmeans_lessons.plotting import d2_probabilities, plot_d2_probabilities  # noqa: E402


def test_d2_probabilities_by_hand():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    # squared distances to the centre at 0: 0, 1, 9 -> probabilities 0, 0.1, 0.9
    np.testing.assert_allclose(d2_probabilities(X, X[:1]), [0.0, 0.1, 0.9])


def test_each_sample_counts_its_nearest_chosen_centre():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [4.0, 0.0]])
    # centres at 0 and 4: D2 = 0, 1, 1, 0
    np.testing.assert_allclose(d2_probabilities(X, X[[0, 3]]), [0.0, 0.5, 0.5, 0.0])


def test_d2_probabilities_refuse_when_every_sample_is_a_centre():
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="D2 is 0 everywhere"):
        d2_probabilities(X, X)


def test_plot_draws_the_samples_coloured_by_probability_and_the_centres():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    fig, ax = plt.subplots()
    p = plot_d2_probabilities(ax, X, X[:1])
    points, stars = ax.collections
    np.testing.assert_allclose(np.sort(points.get_array()), [0.0, 0.1, 0.9])
    np.testing.assert_allclose(stars.get_offsets(), [[0.0, 0.0]])
    assert ax.get_xlabel() == "x₁" and len(fig.axes) == 2  # the panel and its colour bar
    np.testing.assert_allclose(p, [0.0, 0.1, 0.9])
    plt.close(fig)


def test_plot_refuses_data_that_is_not_two_dimensional():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"X must be \(n, 2\)"):
        plot_d2_probabilities(ax, np.zeros((3, 3)), np.zeros((1, 3)))
    plt.close(fig)
