"""standardize, contingency_matrix and purity: hand-computed tables, pandas output, errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics.cluster import contingency_matrix as sklearn_contingency

from kmeans_lessons import contingency_matrix, purity, standardize


def test_standardize_gives_mean_zero_and_unit_spread():
    X = np.array([[1.0, 100.0], [2.0, 300.0], [3.0, 500.0]])
    Z = standardize(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1)
    np.testing.assert_allclose(Z[:, 0], Z[:, 1])


def test_standardize_leaves_a_constant_column_at_zero():
    Z = standardize(np.array([[1.0, 5.0], [2.0, 5.0]]))
    np.testing.assert_array_equal(Z[:, 1], [0.0, 0.0])


def test_standardize_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        standardize(np.array([[1.0], [np.nan]]))


Y_TRUE = np.array([0, 0, 0, 1, 1, 2, 2, 2])
Y_PRED = np.array([5, 5, 7, 7, 7, 9, 9, 5])


def test_contingency_matrix_by_hand():
    expected = np.array([
        [2, 1, 0],  # class 0: two in cluster 5, one in 7
        [0, 2, 0],  # class 1: both in cluster 7
        [1, 0, 2],  # class 2: one in 5, two in 9
    ])
    np.testing.assert_array_equal(contingency_matrix(Y_TRUE, Y_PRED), expected)


def test_contingency_matrix_agrees_with_sklearn():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(10, size=500), rng.integers(7, size=500)
    np.testing.assert_array_equal(contingency_matrix(y_true, y_pred),
                                  sklearn_contingency(y_true, y_pred))


def test_contingency_matrix_as_a_labelled_table():
    table = contingency_matrix(["cat", "dog", "cat"], [1, 0, 1], as_frame=True)
    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == ["cat", "dog"] and list(table.columns) == [0, 1]
    assert table.index.name == "true label" and table.columns.name == "cluster"
    assert table.loc["cat", 1] == 2 and table.loc["dog", 0] == 1


def test_purity_by_hand():
    # clusters 5, 7, 9 have majorities 2, 2, 2 out of 8 samples
    assert purity(Y_TRUE, Y_PRED) == pytest.approx(6 / 8)
    np.testing.assert_allclose(purity(Y_TRUE, Y_PRED, per_cluster=True), [2 / 3, 2 / 3, 1.0])


def test_purity_is_one_when_every_sample_has_its_own_cluster():
    assert purity([0, 1, 0, 1], [0, 1, 2, 3]) == 1.0


def test_purity_is_computed_per_cluster_not_per_class():
    # One cluster holds everything: per-cluster purity is the largest class share, 3/5;
    # a per-class computation would give 1.
    assert purity([0, 0, 0, 1, 1], [0, 0, 0, 0, 0]) == pytest.approx(3 / 5)


@pytest.mark.parametrize("fn", [contingency_matrix, purity])
@pytest.mark.parametrize(
    "y_true, y_pred, words",
    [
        ([0, 1], [0, 1, 1], "y_true has 2 labels but y_pred has 3"),
        ([], [], "empty"),
        ([[0, 1]], [[0, 1]], "must be 1-D"),
        ([0.0, np.nan], [0, 1], "NaN"),
    ],
)
def test_label_errors(fn, y_true, y_pred, words):
    with pytest.raises(ValueError, match=words):
        fn(y_true, y_pred)
