"""Reference solutions of the transfer exercises of notebooks 04 and 05.

calinski_harabasz (04: a criterion for k the student implements) and accuracy_by_k (05: the
majority-label classifier's accuracy against k on held-out data), checked against scikit-learn
and against values computed by hand.
"""

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.metrics import calinski_harabasz_score

from kmeans_lessons import accuracy_by_k, calinski_harabasz, load_digits, majority_labels


def test_calinski_harabasz_by_hand():
    # clusters {0, 2} and {10, 12} on a line: means 1 and 11, overall mean 6
    # W = 4 * 1 = 4, B = 2 * 25 + 2 * 25 = 100, score = (100 / 1) / (4 / 2) = 50
    X = np.array([[0.0], [2.0], [10.0], [12.0]])
    assert calinski_harabasz(X, [0, 0, 1, 1]) == pytest.approx(50.0)


@pytest.mark.parametrize("seed", range(5))
def test_calinski_harabasz_matches_scikit_learn_for_any_label_values(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 3)) + rng.integers(0, 3, size=(60, 1)) * 4
    labels = rng.choice([-2, 5, 9, 40], size=60)  # not 0..k-1
    assert calinski_harabasz(X, labels) == pytest.approx(calinski_harabasz_score(X, labels),
                                                         rel=1e-12)


def test_calinski_harabasz_picks_the_true_number_of_well_separated_groups():
    rng = np.random.default_rng(3)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]])
    X = centres[rng.integers(4, size=400)] + rng.normal(size=(400, 2))
    scores = {k: calinski_harabasz(X, SklearnKMeans(k, n_init=5, random_state=0).fit(X).labels_)
              for k in range(2, 8)}
    assert max(scores, key=scores.get) == 4


def test_calinski_harabasz_says_what_is_wrong_with_one_cluster():
    with pytest.raises(ValueError, match="2 <= k <= n - 1"):
        calinski_harabasz(np.zeros((5, 2)), np.zeros(5, dtype=int))


def test_calinski_harabasz_wants_one_label_per_row():
    with pytest.raises(ValueError, match=r"expected \(4,\)"):
        calinski_harabasz(np.zeros((4, 2)), [0, 1, 0])


def test_accuracy_by_k_by_hand_on_two_far_apart_groups():
    # two samples far apart: with k = 2 each is its own cluster, named by its own label, and
    # each held-out sample is nearest to the one of its own label
    X_fit = np.array([[0.0, 0.0], [20.0, 0.0]])
    X_held = np.array([[0.5, 0.5], [19.0, 0.0]])
    fit, held = accuracy_by_k(X_fit, [7, 3], X_held, [7, 3], [1, 2])
    # k = 1: one cluster named by the majority (a tie between 3 and 7 goes to 3)
    np.testing.assert_allclose(fit, [0.5, 1.0])
    np.testing.assert_allclose(held, [0.5, 1.0])


def test_accuracy_by_k_follows_its_recipe_with_scikit_learn_as_the_oracle_of_the_names():
    images, digits = load_digits()
    X = images.reshape(len(images), -1) / 16
    X_fit, y_fit, X_held, y_held = X[:600], digits[:600], X[600:900], digits[600:900]
    fit, held = accuracy_by_k(X_fit, y_fit, X_held, y_held, [10, 600], seed=1)
    # k = n_fit: every sample is its own cluster, named by its own label, so the fit accuracy is
    # 1 and the held-out prediction is the label of the nearest training image (1-NN)
    nearest = ((X_held[:, None, :] - X_fit[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    assert fit[1] == 1.0
    assert held[1] == pytest.approx(np.mean(y_fit[nearest] == y_held))
    # k = 10: the purity of the fitted clustering, computed independently
    model = SklearnKMeans(10, init="random", n_init=1, random_state=1).fit(X_fit)
    names = majority_labels(model.labels_, y_fit, 10)
    assert 0.6 < fit[0] < 0.95 and 0.6 < held[0] < 0.95
    assert abs(fit[0] - np.mean(names[model.labels_] == y_fit)) < 0.1


def test_accuracy_by_k_says_when_labels_do_not_match_the_samples():
    with pytest.raises(ValueError, match="one label per sample"):
        accuracy_by_k(np.zeros((4, 2)), [0, 1, 0], np.zeros((2, 2)), [0, 1], [2])
