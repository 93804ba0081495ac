"""Shared fixtures: small real data sets used by several test files."""

import os

import pytest
from hypothesis import settings

# Keep property tests quick on the 2-core CI machine; they are examples, not a fuzzing campaign.
settings.register_profile("course", max_examples=60, deadline=None)
settings.load_profile("course")


@pytest.fixture(scope="session")
def faithful():
    """Old Faithful as a (272, 2) float64 array: eruption minutes, waiting minutes."""
    from kmeans_lessons.datasets import load_old_faithful

    return load_old_faithful().to_numpy(dtype=float)


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits as (1797, 64) float64."""
    from sklearn.datasets import load_digits

    return load_digits().data.astype(float)


@pytest.fixture(scope="session")
def mnist_subset():
    """The first 5000 MNIST training images as (5000, 784) floats in [0, 1].

    Needs KMEANS_LESSONS_DATA (CI sets it to ../shared/datasets); skipped otherwise.
    """
    if not os.environ.get("KMEANS_LESSONS_DATA"):
        pytest.skip("KMEANS_LESSONS_DATA is not set, so the MNIST files cannot be found")
    from kmeans_lessons.datasets import load_mnist

    images, _ = load_mnist("train")
    return images[:5000].reshape(5000, -1) / 255.0


def pytest_collection_modifyitems(config, items):
    """The MNIST lesson's stored outputs come from the real MNIST files; without them the
    notebook falls back to the 8x8 digits, so comparing outputs would fail for the wrong reason."""
    from kmeans_lessons.datasets import mnist_available

    needs_mnist = [item for item in items if item.path.name == "05_mnist.ipynb"]
    if needs_mnist and not mnist_available():
        reason = ("notebooks/05_mnist.ipynb was executed on MNIST, which is not on this machine: "
                  "set KMEANS_LESSONS_DATA to a folder holding mnist/ (CI uses ../shared/datasets)"
                  " or run load_mnist() once to download it")
        for item in needs_mnist:
            item.add_marker(pytest.mark.skip(reason=reason))
