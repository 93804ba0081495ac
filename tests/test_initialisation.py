"""init_random, init_kmeans_pp, init_farthest: rows of X, distinct, seeded, and bad input."""

import numpy as np
import pytest

from kmeans_lessons import init_farthest, init_kmeans_pp, init_random

INITS = [init_random, init_kmeans_pp, init_farthest]


def rows_of(centers, X):
    """Row index in X of every centre (each centre must be an exact row of X)."""
    matches = (centers[:, np.newaxis, :] == X[np.newaxis, :, :]).all(axis=2)
    assert matches.any(axis=1).all(), "a centre is not a row of X"
    return matches.argmax(axis=1)


@pytest.mark.parametrize("init", INITS)
def test_centres_are_distinct_rows_of_X(init):
    X = np.random.default_rng(0).normal(size=(40, 3))
    C = init(X, 40, np.random.default_rng(1))
    assert C.shape == (40, 3)
    assert len(set(rows_of(C, X))) == 40


@pytest.mark.parametrize("init", INITS)
def test_same_seed_same_centres(init):
    X = np.random.default_rng(0).normal(size=(100, 2))
    a = init(X, 5, np.random.default_rng(7))
    b = init(X, 5, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("init", [init_random, init_kmeans_pp])
def test_different_seeds_give_different_centres(init):
    X = np.random.default_rng(0).normal(size=(100, 2))
    draws = {init(X, 3, np.random.default_rng(seed)).tobytes() for seed in range(10)}
    assert len(draws) > 5


@pytest.mark.parametrize("init", INITS)
def test_returns_a_copy_not_a_view(init):
    X = np.random.default_rng(0).normal(size=(10, 2))
    before = X.copy()
    C = init(X, 3, np.random.default_rng(0))
    C += 100
    np.testing.assert_array_equal(X, before)


def test_random_init_is_uniform_over_rows():
    X = np.arange(4.0).reshape(4, 1)
    rng = np.random.default_rng(0)
    counts = np.bincount([int(init_random(X, 1, rng)[0, 0]) for _ in range(4000)], minlength=4)
    assert (np.abs(counts - 1000) < 120).all()


def test_kmeans_pp_samples_in_proportion_to_squared_distance():
    # First centre: whichever row; with the first at 0, the second is drawn with probability
    # proportional to D^2 = 0, 1, 4, 9 ... check the frequencies when the first lands on row 0.
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    rng = np.random.default_rng(0)
    second = []
    for _ in range(6000):
        C = init_kmeans_pp(X, 2, rng)
        if C[0, 0] == 0.0:
            second.append(int(C[1, 0]))
    counts = np.bincount(second, minlength=4)
    expected = np.array([0, 1, 4, 9]) / 14 * len(second)
    assert counts[0] == 0
    assert (np.abs(counts[1:] - expected[1:]) < 5 * np.sqrt(expected[1:])).all()


def test_kmeans_pp_falls_back_to_unused_rows_when_all_points_coincide():
    X = np.zeros((5, 2))
    C = init_kmeans_pp(X, 3, np.random.default_rng(0))
    assert C.shape == (3, 2)


def test_farthest_first_takes_the_farthest_sample_each_time():
    X = np.array([[0.0], [1.0], [10.0], [4.0]])
    rng = np.random.default_rng(0)
    C = init_farthest(X, 3, rng)
    first = C[0, 0]
    rest = [c for c in X[:, 0] if c != first]
    far = max(rest, key=lambda x: abs(x - first))
    assert C[1, 0] == far
    # the third maximises the distance to the nearer of the first two
    remaining = [x for x in X[:, 0] if x not in (first, far)]
    assert C[2, 0] == max(remaining, key=lambda x: min(abs(x - first), abs(x - far)))


def test_farthest_first_keeps_rows_distinct_with_duplicates():
    X = np.zeros((4, 2))
    C = init_farthest(X, 4, np.random.default_rng(0))
    assert C.shape == (4, 2)


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize(
    "k, rng, error, words",
    [
        (0, np.random.default_rng(0), ValueError, "at least 1"),
        (11, np.random.default_rng(0), ValueError, "larger than the number of samples"),
        (2.5, np.random.default_rng(0), TypeError, "whole number"),
        (2, 42, TypeError, "default_rng"),
        (2, np.random.RandomState(0), TypeError, "numpy.random.Generator"),
    ],
)
def test_bad_arguments_get_clear_errors(init, k, rng, error, words):
    X = np.zeros((10, 2))
    with pytest.raises(error, match=words):
        init(X, k, rng)
