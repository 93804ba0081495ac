"""elbow_sweep: per-sample losses, validation from training centres, reproducible."""

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans

from kmeans_lessons.selection import elbow_sweep


@pytest.fixture(scope="module")
def split():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    X = centres[rng.integers(3, size=300)] + rng.normal(scale=0.7, size=(300, 2))
    return X[:200], X[200:]


def test_k_equal_one_is_the_spread_around_the_training_mean(split):
    X_train, X_val = split
    train, val = elbow_sweep(X_train, X_val, [1])
    centre = X_train.mean(axis=0)
    assert train[0] == pytest.approx(((X_train - centre) ** 2).sum(axis=1).mean())
    assert val[0] == pytest.approx(((X_val - centre) ** 2).sum(axis=1).mean())


def test_the_results_follow_the_order_of_ks(split):
    X_train, X_val = split
    forward = elbow_sweep(X_train, X_val, [1, 2, 3])
    backward = elbow_sweep(X_train, X_val, [3, 2, 1])
    np.testing.assert_allclose(forward[0][::-1], backward[0], rtol=1e-9)


def test_training_loss_matches_scikit_learn_and_falls_with_k(split):
    X_train, X_val = split
    ks = [1, 2, 3, 4]
    train, val = elbow_sweep(X_train, X_val, ks, n_init=5, seed=1)
    assert np.all(np.diff(train) < 0)
    for k, loss in zip(ks, train):
        model = SklearnKMeans(n_clusters=k, n_init=10, random_state=0, tol=1e-8).fit(X_train)
        assert loss == pytest.approx(model.inertia_ / len(X_train), rel=1e-4)


def test_the_same_seed_gives_the_same_sweep(split):
    X_train, X_val = split
    first = elbow_sweep(X_train, X_val, [5, 7], n_init=1, seed=3)
    second = elbow_sweep(X_train, X_val, [5, 7], n_init=1, seed=3)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_elbow_sweep_explains_bad_arguments(split):
    X_train, X_val = split
    with pytest.raises(ValueError, match="X_val has 1 columns but X_train has 2"):
        elbow_sweep(X_train, X_val[:, :1], [1])
    with pytest.raises(ValueError, match="k=500 is larger than the number of samples"):
        elbow_sweep(X_train, X_val, [500])
    with pytest.raises(ValueError, match="n_init must be a whole number"):
        elbow_sweep(X_train, X_val, [2], n_init=0)
