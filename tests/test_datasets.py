"""Data loaders: Old Faithful, the IDX parser, MNIST's search order and digest handling, the
8x8 digits and the seeded simulated sets.

The MNIST download path is tested against small IDX files built here and served through
``file://`` URLs, so nothing touches the network.
"""

import gzip
import hashlib
import os
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from kmeans_lessons import datasets
from kmeans_lessons.datasets import (
    DatasetNotFoundError,
    load_digits,
    load_mnist,
    load_old_faithful,
    make_blobs,
    make_rings,
    make_uneven_blobs,
    read_idx,
)

# --- Old Faithful ------------------------------------------------------------------------------


def test_old_faithful_has_272_eruptions_in_minutes():
    frame = load_old_faithful()
    assert list(frame.columns) == ["eruptions", "waiting"]
    assert frame.shape == (272, 2)
    # First and last rows of R's `faithful`.
    assert frame.iloc[0].tolist() == [3.6, 79.0]
    assert frame.iloc[-1].tolist() == [4.467, 74.0]
    assert frame["waiting"].between(43, 96).all()


# --- the IDX format ----------------------------------------------------------------------------


def idx_bytes(array):
    """Encode a uint8 array in the IDX format (big-endian dimension sizes)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def test_read_idx_round_trips_images_and_labels():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(idx_bytes(images)), images)
    np.testing.assert_array_equal(read_idx(idx_bytes(labels)), labels)


@pytest.mark.parametrize("data, message", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x07", "magic"),
    (b"\x00\x00\x0d\x01\x00\x00\x00\x01\x07", "type code"),
    (b"\x00\x00\x08\x03\x00\x00", "header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x07\x07", "truncated"),
])
def test_read_idx_rejects_damaged_files(data, message):
    with pytest.raises(ValueError, match=message):
        read_idx(data)


# --- MNIST: search order and digests -----------------------------------------------------------

# A tiny stand-in for MNIST: 6 training and 4 test images.
RNG = np.random.default_rng(1)
FAKE = {
    "train-images-idx3-ubyte.gz": RNG.integers(0, 256, (6, 28, 28), dtype=np.uint8),
    "train-labels-idx1-ubyte.gz": np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8),
    "t10k-images-idx3-ubyte.gz": RNG.integers(0, 256, (4, 28, 28), dtype=np.uint8),
    "t10k-labels-idx1-ubyte.gz": np.array([7, 2, 1, 0], dtype=np.uint8),
}
FAKE_GZ = {name: gzip.compress(idx_bytes(array), mtime=0) for name, array in FAKE.items()}


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """Point the loader at the fake files: their digests become the published ones, a
    ``mirror/`` folder serves them as file:// URLs, the env folder and cache start empty."""
    monkeypatch.setattr(datasets, "MNIST_FILES",
                        {name: hashlib.sha256(raw).hexdigest() for name, raw in FAKE_GZ.items()})
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, raw in FAKE_GZ.items():
        (mirror / name).write_bytes(raw)
    monkeypatch.delenv("KMEANS_LESSONS_DATA", raising=False)
    return {"mirror": mirror.as_uri() + "/", "cache": tmp_path / "cache",
            "shared": tmp_path / "shared", "tmp": tmp_path}


def write_files(folder, names=FAKE_GZ, corrupt=()):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        raw = FAKE_GZ[name]
        (folder / name).write_bytes(raw[:-7] if name in corrupt else raw)


def test_reads_from_the_folder_named_by_the_environment(fake_mnist, monkeypatch):
    write_files(fake_mnist["shared"] / "mnist")
    monkeypatch.setenv("KMEANS_LESSONS_DATA", str(fake_mnist["shared"]))
    images, labels = load_mnist("test", data_home=fake_mnist["cache"], download=False)
    assert images.dtype == np.uint8 and images.shape == (4, 28, 28)
    np.testing.assert_array_equal(images, FAKE["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(labels, [7, 2, 1, 0])
    assert not fake_mnist["cache"].exists(), "nothing is copied into the cache"


def test_the_environment_folder_comes_before_the_cache(fake_mnist, monkeypatch):
    write_files(fake_mnist["shared"] / "mnist")
    # A cache holding a damaged copy is never consulted when the shared copy is good.
    write_files(fake_mnist["cache"] / "mnist", corrupt=FAKE_GZ)
    monkeypatch.setenv("KMEANS_LESSONS_DATA", str(fake_mnist["shared"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images, labels = load_mnist("train", data_home=fake_mnist["cache"], download=False)
    np.testing.assert_array_equal(labels, FAKE["train-labels-idx1-ubyte.gz"])


def test_a_corrupt_shared_file_is_reported_and_left_alone(fake_mnist, monkeypatch):
    name = "train-labels-idx1-ubyte.gz"
    write_files(fake_mnist["shared"] / "mnist", corrupt={name})
    write_files(fake_mnist["cache"] / "mnist")
    monkeypatch.setenv("KMEANS_LESSONS_DATA", str(fake_mnist["shared"]))
    with pytest.warns(UserWarning, match="does not match the published SHA-256"):
        _, labels = load_mnist("train", data_home=fake_mnist["cache"], download=False)
    np.testing.assert_array_equal(labels, FAKE[name])
    assert (fake_mnist["shared"] / "mnist" / name).read_bytes() == FAKE_GZ[name][:-7]


def test_a_corrupt_cached_file_is_fetched_again(fake_mnist):
    name = "t10k-images-idx3-ubyte.gz"
    write_files(fake_mnist["cache"] / "mnist", corrupt={name})
    with pytest.warns(UserWarning, match="corrupt"):
        images, _ = load_mnist("test", data_home=fake_mnist["cache"],
                               mirrors=[fake_mnist["mirror"]])
    np.testing.assert_array_equal(images, FAKE[name])
    assert (fake_mnist["cache"] / "mnist" / name).read_bytes() == FAKE_GZ[name]


def test_download_fills_the_cache_and_leaves_no_partial_files(fake_mnist):
    images, labels = load_mnist("train", data_home=fake_mnist["cache"],
                                mirrors=[fake_mnist["mirror"]])
    np.testing.assert_array_equal(labels, FAKE["train-labels-idx1-ubyte.gz"])
    stored = sorted(os.listdir(fake_mnist["cache"] / "mnist"))
    assert stored == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def test_a_mirror_serving_wrong_bytes_is_skipped(fake_mnist):
    bad = fake_mnist["tmp"] / "bad"
    bad.mkdir()
    for name, raw in FAKE_GZ.items():
        (bad / name).write_bytes(raw[::-1])
    _, labels = load_mnist("test", data_home=fake_mnist["cache"],
                           mirrors=[bad.as_uri() + "/", fake_mnist["mirror"]])
    np.testing.assert_array_equal(labels, [7, 2, 1, 0])


def test_a_download_with_the_wrong_digest_is_never_kept(fake_mnist):
    bad = fake_mnist["tmp"] / "bad"
    bad.mkdir()
    for name, raw in FAKE_GZ.items():
        (bad / name).write_bytes(raw + b"tampered")
    with pytest.raises(DatasetNotFoundError, match="wrong SHA-256"):
        load_mnist("test", data_home=fake_mnist["cache"], mirrors=[bad.as_uri() + "/"])
    assert os.listdir(fake_mnist["cache"] / "mnist") == []


def test_offline_error_says_where_to_put_the_files(fake_mnist):
    # Port 9 (discard) on loopback refuses the connection at once: an offline machine.
    with pytest.raises(DatasetNotFoundError) as caught:
        load_mnist("train", data_home=fake_mnist["cache"], mirrors=["http://127.0.0.1:9/"])
    message = str(caught.value)
    assert f"into {fake_mnist['cache'] / 'mnist'}  (the per-user cache)" in message
    assert "KMEANS_LESSONS_DATA" in message and "train-images-idx3-ubyte.gz" in message


def test_download_false_raises_a_file_not_found_error(fake_mnist):
    with pytest.raises(FileNotFoundError, match="download=False"):
        load_mnist("test", data_home=fake_mnist["cache"], download=False)


def test_split_must_be_train_or_test():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")


def test_the_published_digests_are_the_shared_ones():
    folder = os.environ.get("KMEANS_LESSONS_DATA")
    sums = os.path.join(folder or "", "mnist", "SHA256SUMS")
    if not folder or not os.path.exists(sums):
        pytest.skip("KMEANS_LESSONS_DATA does not lead to mnist/SHA256SUMS (CI: ../shared/datasets)")
    listed = dict(line.split()[::-1] for line in open(sums) if line.strip())
    assert listed == datasets.MNIST_FILES


def test_real_mnist_when_available():
    if not os.environ.get("KMEANS_LESSONS_DATA"):
        pytest.skip("KMEANS_LESSONS_DATA is not set, so the MNIST files cannot be found")
    images, labels = load_mnist("train", download=False)
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels[:5].tolist() == [5, 0, 4, 1, 9]
    # Class sizes of the training set (the published counts: 5923 zeros ... 5949 nines).
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                            5851, 5949]
    test_images, test_labels = load_mnist("test", download=False)
    assert test_images.shape == (10000, 28, 28) and test_labels[:3].tolist() == [7, 2, 1]


# --- 8x8 digits --------------------------------------------------------------------------------


def test_digits_are_8x8_images_with_16_grey_levels():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert images.max() == 16 and set(np.unique(labels)) == set(range(10))


# --- simulated data ----------------------------------------------------------------------------


def test_blobs_are_seeded_and_split_evenly():
    X, y = make_blobs(n_samples=103, centers=4, seed=3)
    assert X.shape == (103, 2) and np.bincount(y).tolist() == [26, 26, 26, 25]
    X2, y2 = make_blobs(n_samples=103, centers=4, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, make_blobs(n_samples=103, centers=4, seed=4)[0])


def test_blobs_gather_around_the_given_centres_with_the_given_spread():
    centres = np.array([[0.0, 0.0, 0.0], [50.0, 0.0, 0.0]])
    X, y = make_blobs(4000, centres, cluster_std=[1.0, 3.0], seed=0)
    for j, spread in enumerate([1.0, 3.0]):
        members = X[y == j]
        np.testing.assert_allclose(members.mean(axis=0), centres[j], atol=0.3)
        np.testing.assert_allclose(members.std(axis=0), spread, rtol=0.1)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_samples": 0}, "n_samples"),
    ({"n_samples": 3, "centers": 5}, "fewer than"),
    ({"centers": [[0, np.nan]]}, "finite"),
    ({"cluster_std": [1, 2]}, "one per group"),
    ({"cluster_std": -1}, "non-negative"),
    ({"box": (3, 3)}, "low < high"),
])
def test_blobs_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_blobs(**kwargs)


def test_rings_have_their_radii():
    X, y = make_rings(600, radii=(1.0, 4.0), noise=0.05, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert np.bincount(y).tolist() == [300, 300]
    np.testing.assert_allclose([radius[y == 0].mean(), radius[y == 1].mean()], [1, 4], atol=0.02)
    with pytest.raises(ValueError, match="radii"):
        make_rings(radii=(1.0, -2.0))


def test_uneven_blobs_have_the_requested_sizes():
    X, y = make_uneven_blobs(seed=0)
    assert X.shape == (680, 2) and np.bincount(y).tolist() == [600, 40, 40]
    np.testing.assert_array_equal(X, make_uneven_blobs(seed=0)[0])
    with pytest.raises(ValueError, match="one row per size"):
        make_uneven_blobs(sizes=(10, 10))


def test_mnist_available_reports_without_downloading(fake_mnist, monkeypatch):
    assert not datasets.mnist_available(data_home=fake_mnist["cache"])
    write_files(fake_mnist["shared"] / "mnist", corrupt={"t10k-labels-idx1-ubyte.gz"})
    monkeypatch.setenv("KMEANS_LESSONS_DATA", str(fake_mnist["shared"]))
    assert not datasets.mnist_available(data_home=fake_mnist["cache"])
    write_files(fake_mnist["shared"] / "mnist")
    assert datasets.mnist_available(data_home=fake_mnist["cache"])
    assert not fake_mnist["cache"].exists()


def test_uneven_blobs_defaults_make_the_true_groups_the_best_clustering():
    # The lesson relies on it: from the true means k-means stays put, with a lower J than a
    # run that splits the big group.
    from kmeans_lessons import KMeans, kmeans

    X, y = make_uneven_blobs(seed=0)
    true_means = np.array([X[y == j].mean(axis=0) for j in range(3)])
    truth = kmeans(X, true_means)
    assert (truth.labels == y).mean() > 0.99
    best = KMeans(3, init="k-means++", n_init=10, random_state=0).fit(X)
    assert best.inertia_ == pytest.approx(truth.losses[-1], rel=1e-6)


def test_a_missing_course_file_says_how_to_reinstall(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "_COURSE_DATA", tmp_path)
    with pytest.raises(DatasetNotFoundError, match="old_faithful.csv is missing from the installed"):
        load_old_faithful()
    from kmeans_lessons import load_sentences

    with pytest.raises(FileNotFoundError, match="pip install --force-reinstall kmeans-lessons"):
        load_sentences()


@pytest.mark.parametrize("name", ["old_faithful.csv", "sentences.csv"])
def test_packaged_data_is_the_repositorys_datasets_file(name):
    # datasets/ (with its README of sources) and the package's copy, which the loaders read and
    # the wheel ships, must not drift apart. Git stores identical files once.
    repository = Path(__file__).resolve().parents[1]
    packaged = repository / "kmeans_lessons" / "data" / name
    canonical = repository / "datasets" / name
    assert packaged.read_bytes() == canonical.read_bytes(), (
        f"kmeans_lessons/data/{name} differs from datasets/{name}: change both together "
        f"(cp datasets/{name} kmeans_lessons/data/{name})")
    assert datasets.course_file(name).read_bytes() == canonical.read_bytes()


def test_the_packaged_files_are_exactly_the_course_files():
    repository = Path(__file__).resolve().parents[1]
    packaged = {p.name for p in (repository / "kmeans_lessons" / "data").iterdir()}
    shipped = {p.name for p in (repository / "datasets").iterdir()} - {"README.md"}
    assert packaged == shipped == {"old_faithful.csv", "sentences.csv"}
