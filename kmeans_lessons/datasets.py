"""The data the course clusters: Old Faithful, the sentence corpus, MNIST, the 8x8 digits and
seeded simulated sets.

Real data sets load from files; simulated ones are generated from a seed, so no binary blobs
live in git and every notebook draws the same points on every machine.

The course's own small files (Old Faithful, the sentences) ship inside the package, in
``kmeans_lessons/data/``, and are read through ``importlib.resources``: a plain
``pip install kmeans-lessons`` has them, with or without a clone of the repository beside it.
The repository's top-level ``datasets/`` folder holds the same files with their sources
(``tests/test_datasets.py`` checks that the two copies are byte for byte the same).

MNIST is too large (and not ours) to commit. :func:`load_mnist` looks for the four original IDX
files in this order:

1. the folder named by the environment variable ``KMEANS_LESSONS_DATA`` (it holds ``mnist/``;
   CI points it at a shared copy),
2. a per-user cache folder (``data_home``, default ``~/.cache/kmeans-lessons``),
3. a download of the original files into that cache, with a progress bar.

Every file is checked against its published SHA-256 before it is read, so a truncated or
tampered file is never parsed into silently wrong digits.
"""

import gzip
import hashlib
import importlib.resources
import os
import tempfile
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._validation import check_rng, check_whole_number

__all__ = [
    "DatasetNotFoundError",
    "load_old_faithful",
    "load_sentences",
    "load_mnist",
    "mnist_available",
    "load_digits",
    "read_idx",
    "make_blobs",
    "make_rings",
    "make_uneven_blobs",
    "DATA_ENV_VAR",
    "MNIST_FILES",
    "MNIST_MIRRORS",
]

#: Environment variable naming a folder that holds ``mnist/`` (checked before the cache).
DATA_ENV_VAR = "KMEANS_LESSONS_DATA"

#: The four original files and their SHA-256 digests (the published values of the original
#: distribution by LeCun, Cortes and Burges; also in ../shared/datasets/mnist/SHA256SUMS).
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

#: Where the original files are served, tried in order. The first is the original home, which
#: often refuses scripted downloads; the others are long-lived mirrors of the same bytes (the
#: digests above make the source irrelevant to correctness).
MNIST_MIRRORS = (
    "https://yann.lecun.com/exdb/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

_SPLIT_PREFIX = {"train": "train", "test": "t10k"}
#: The folder of the course's own data files inside the installed package.
_COURSE_DATA = importlib.resources.files(__package__) / "data"


class DatasetNotFoundError(FileNotFoundError):
    """The files of a data set are neither on disk nor downloadable; the message says where to
    put them."""


# --- the course's own files --------------------------------------------------------------------


def course_file(name):
    """The packaged data file ``kmeans_lessons/data/<name>``, as an ``importlib.resources``
    Traversable (open it with ``.open()``), with a clear error if it is absent."""
    resource = _COURSE_DATA / name
    if not resource.is_file():
        raise DatasetNotFoundError(
            f"kmeans_lessons/data/{name} is missing from the installed package ({_COURSE_DATA}): "
            f"the installation is incomplete. Reinstall it: pip install --force-reinstall "
            f"kmeans-lessons (or make install inside a clone of the repository).")
    return resource


def _read_course_csv(name, **options):
    """A packaged CSV file as a DataFrame (read through the resource, so a zipped install works)."""
    with course_file(name).open("rb") as file:
        return pd.read_csv(file, **options)


# --- Old Faithful ------------------------------------------------------------------------------


def load_old_faithful():
    """The Old Faithful geyser eruptions (Yellowstone): 272 rows.

    Columns ``eruptions`` (duration of the eruption, minutes) and ``waiting`` (time to the next
    eruption, minutes). Source: R's ``faithful`` data set (Azzalini & Bowman 1990, Applied
    Statistics 39; Härdle 1991, Smoothing Techniques), public domain.

    Returns
    -------
    pandas.DataFrame of shape (272, 2)

    Taught in notebook 03 (Old Faithful).
    """
    return _read_course_csv("old_faithful.csv")


# --- the sentence corpus -----------------------------------------------------------------------


def load_sentences():
    """The course corpus: short sentences written for the course, each labelled with its topic.

    Returns
    -------
    corpus : pandas.DataFrame
        Columns ``topic`` and ``sentence`` (both str), one row per sentence.

    Taught in notebook 06 (Embeddings).
    """
    return _read_course_csv("sentences.csv", dtype=str, keep_default_na=False)


# --- MNIST -------------------------------------------------------------------------------------


def read_idx(data):
    """Parse one IDX file (the MNIST container format) into an array.

    The format: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions,
    then one big-endian uint32 per dimension, then the values in C order.

    Parameters
    ----------
    data : bytes
        The uncompressed file contents.

    Returns
    -------
    numpy.ndarray of dtype uint8 and the shape the header states, e.g. (n, 28, 28) or (n,).
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError("not an IDX file: it must start with two zero bytes (magic number).")
    if data[2] != 0x08:
        raise ValueError(
            f"IDX type code 0x{data[2]:02x} is not supported; MNIST uses 0x08 (unsigned bytes).")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"IDX header promises {ndim} dimensions but the file ends at byte "
                         f"{len(data)}.")
    shape = tuple(int(v) for v in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64))
    if len(data) - header != expected:
        raise ValueError(
            f"IDX header says shape {shape} ({expected} values) but the file holds "
            f"{len(data) - header} values: the file is truncated or damaged.")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _default_cache():
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kmeans-lessons"


def _download(name, folder, mirrors):
    """Fetch ``name`` into ``folder``: write a temporary file, rename it only if the digest
    matches, so an interrupted or corrupt download never looks like a good file."""
    from tqdm.auto import tqdm

    folder.mkdir(parents=True, exist_ok=True)
    problems = []
    for mirror in mirrors:
        url = mirror + name
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=name, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=30) as resp:
                total = int(resp.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc=name, leave=False) as bar:
                    for block in iter(lambda: resp.read(1 << 16), b""):
                        out.write(block)
                        bar.update(len(block))
            if _sha256(tmp) != MNIST_FILES[name]:
                problems.append(f"{url}: downloaded file has the wrong SHA-256")
                continue
            os.replace(tmp, folder / name)
            return folder / name
        except (OSError, urllib.error.URLError) as error:
            problems.append(f"{url}: {error}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise DatasetNotFoundError(
        f"Could not download {name}:\n  " + "\n  ".join(problems) + "\n" + _where_to_put(folder))


def _where_to_put(folder):
    """How to install the files by hand; ``folder`` is the cache's mnist/ folder."""
    return (
        "To use MNIST without a network, copy the four original files\n  "
        + ", ".join(MNIST_FILES)
        + f"\ninto {folder}  (the per-user cache), or into a folder DIR/mnist/ and set "
        f"the environment variable {DATA_ENV_VAR}=DIR.")


def _find_file(name, cache, download, mirrors):
    """Path of a verified copy of ``name``: the shared folder first, then the cache, then a
    download into the cache. Raises DatasetNotFoundError when none works."""
    shared = os.environ.get(DATA_ENV_VAR)
    if shared:
        candidate = Path(shared) / "mnist" / name
        if candidate.is_file():
            if _sha256(candidate) == MNIST_FILES[name]:
                return candidate
            # Never delete from a folder the user pointed us at; fall back to the cache.
            warnings.warn(f"{candidate} does not match the published SHA-256 of {name} and "
                          f"is ignored; replace it with the original file.", stacklevel=3)
    cached = cache / "mnist" / name
    if cached.is_file():
        if _sha256(cached) == MNIST_FILES[name]:
            return cached
        warnings.warn(f"The cached {cached} is corrupt (SHA-256 mismatch); fetching it again.",
                      stacklevel=3)
        cached.unlink()
    if not download:
        raise DatasetNotFoundError(f"{name} was not found and download=False.\n"
                                   + _where_to_put(cache / "mnist"))
    return _download(name, cache / "mnist", mirrors)


def mnist_available(*, data_home=None):
    """True when all four MNIST files are on disk with the right digests (nothing downloads)."""
    cache = Path(data_home) if data_home is not None else _default_cache()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in MNIST_FILES:
                _find_file(name, cache, download=False, mirrors=())
    except DatasetNotFoundError:
        return False
    return True


def load_mnist(split="train", *, data_home=None, download=True, mirrors=MNIST_MIRRORS):
    """The MNIST handwritten digits (LeCun, Cortes and Burges), read from the original files.

    Parameters
    ----------
    split : {"train", "test"}
        60 000 training or 10 000 test images.
    data_home : str or Path, optional
        The per-user cache folder (default ``~/.cache/kmeans-lessons``); files live in its
        ``mnist/`` subfolder. The folder named by ``KMEANS_LESSONS_DATA`` is searched first.
    download : bool, default True
        Fetch missing files from the original distribution (with a progress bar).
    mirrors : sequence of str
        Base URLs tried in order (the file name is appended).

    Returns
    -------
    images : ndarray of uint8, shape (n, 28, 28)
        Grey levels 0 (background) .. 255 (ink).
    labels : ndarray of uint8, shape (n,)
        The digit 0..9 of each image.

    Raises
    ------
    DatasetNotFoundError
        The files are missing and could not be downloaded; the message says where to put them.

    Taught in notebook 05 (MNIST).
    """
    if split not in _SPLIT_PREFIX:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    cache = Path(data_home) if data_home is not None else _default_cache()
    prefix = _SPLIT_PREFIX[split]
    arrays = []
    for kind in ("images-idx3", "labels-idx1"):
        path = _find_file(f"{prefix}-{kind}-ubyte.gz", cache, download, mirrors)
        with gzip.open(path, "rb") as handle:
            arrays.append(read_idx(handle.read()))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"MNIST files disagree: images {images.shape}, labels {labels.shape}.")
    return images, labels


# --- 8x8 digits --------------------------------------------------------------------------------


def load_digits():
    """The small 8x8 handwritten digits (UCI optical digits, as shipped with scikit-learn).

    An offline, fast companion to MNIST: 1797 images, 16 grey levels.

    Returns
    -------
    images : ndarray of uint8, shape (1797, 8, 8), values 0..16
    labels : ndarray of uint8, shape (1797,)

    Taught in notebook 05 (MNIST).
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    return bunch.images.astype(np.uint8), bunch.target.astype(np.uint8)


# --- simulated data ----------------------------------------------------------------------------


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(seed)
    return check_rng(seed)


def _split_evenly(n, k):
    """Sizes of k groups that add up to n and differ by at most one."""
    return np.full(k, n // k) + (np.arange(k) < n % k)


def _gaussian_groups(centers, sizes, stds, rng):
    """Points around each centre: ``sizes[j]`` samples with standard deviation ``stds[j]``."""
    parts = [c + s * rng.standard_normal((m, len(c))) for c, m, s in zip(centers, sizes, stds)]
    labels = np.repeat(np.arange(len(sizes)), sizes)
    return np.vstack(parts), labels


def _per_group(values, k, name):
    values = np.broadcast_to(np.asarray(values, dtype=float), (k,)) if np.ndim(values) == 0 \
        else np.asarray(values, dtype=float)
    if values.shape != (k,) or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{name} must be one non-negative number or one per group ({k}), got "
                         f"{np.asarray(values).tolist()!r}.")
    return values


def make_blobs(n_samples=500, centers=4, *, cluster_std=1.0, n_features=2, box=(-10, 10),
               seed=0):
    """Gaussian groups around known centres: data with a known number of clusters.

    Parameters
    ----------
    n_samples : int
        Total number of samples, split as evenly as possible over the groups.
    centers : int or array of shape (k, d)
        The number of groups (centres drawn uniformly in ``box``) or the centres themselves.
    cluster_std : float or sequence of k floats
        Spread of each group; larger values make neighbouring groups overlap.
    n_features : int
        d, when ``centers`` is a number.
    box : (low, high)
        Range of the drawn centres in every coordinate.
    seed : int or numpy.random.Generator

    Returns
    -------
    X : ndarray (n, d), y : ndarray (n,) of group indices 0..k-1
        Rows come grouped (all of group 0, then group 1, ...): shuffle them before splitting
        into training and validation sets.

    Taught in notebook 02 (Distances).
    """
    n = check_whole_number(n_samples, "n_samples", minimum=1)
    rng = _rng(seed)
    if np.ndim(centers) == 0:
        k = check_whole_number(centers, "centers", minimum=1)
        d = check_whole_number(n_features, "n_features", minimum=1)
        low, high = box
        if not low < high:
            raise ValueError(f"box must be (low, high) with low < high, got {box!r}.")
        centres = rng.uniform(low, high, size=(k, d))
    else:
        centres = np.asarray(centers, dtype=float)
        if centres.ndim != 2 or len(centres) < 1 or not np.all(np.isfinite(centres)):
            raise ValueError(f"centers must be a number or a finite (k, d) array, got shape "
                             f"{centres.shape}.")
        k = len(centres)
    if n < k:
        raise ValueError(f"n_samples={n} is fewer than the {k} groups; every group needs a "
                         f"sample.")
    stds = _per_group(cluster_std, k, "cluster_std")
    return _gaussian_groups(centres, _split_evenly(n, k), stds, rng)


def make_rings(n_samples=400, *, radii=(1.0, 4.0), noise=0.15, seed=0):
    """Concentric rings: groups that k-means cannot separate, because no ring is a ball.

    Parameters
    ----------
    n_samples : int
        Total number of samples, split as evenly as possible over the rings.
    radii : sequence of floats
        One radius per ring.
    noise : float
        Standard deviation of the radial jitter.
    seed : int or numpy.random.Generator

    Returns
    -------
    X : ndarray (n, 2), y : ndarray (n,) of ring indices

    Taught in notebook 03 (Old Faithful).
    """
    n = check_whole_number(n_samples, "n_samples", minimum=1)
    radii = np.asarray(radii, dtype=float)
    if radii.ndim != 1 or len(radii) < 1 or np.any(radii <= 0) or n < len(radii):
        raise ValueError(f"radii must be positive numbers, at most n_samples of them; got "
                         f"{radii.tolist()!r}.")
    if not noise >= 0:
        raise ValueError(f"noise must be a non-negative number, got {noise!r}.")
    rng = _rng(seed)
    y = np.repeat(np.arange(len(radii)), _split_evenly(n, len(radii)))
    angle = rng.uniform(0, 2 * np.pi, size=n)
    radius = radii[y] + noise * rng.standard_normal(n)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]), y


def make_uneven_blobs(sizes=(600, 40, 40), *, centers=((0.0, 0.0), (6.0, 0.0), (0.0, 6.0)),
                      cluster_std=(1.0, 0.4, 0.4), seed=0):
    """One large group beside small tight ones.

    With the defaults the three true groups are the best k = 3 clustering, but random starts
    often put two centres in the big group and merge the small ones; k-means++ and
    farthest-first rarely do. Add a few far outliers (an extra tiny group) and farthest-first
    spends a centre on them. (Spread the big group much more, e.g. cluster_std=(2, .4, .4),
    and splitting it beats the true groups: k-means then never finds them.)

    Parameters
    ----------
    sizes : sequence of k ints
        Samples per group.
    centers : array of shape (k, d)
    cluster_std : float or sequence of k floats
    seed : int or numpy.random.Generator

    Returns
    -------
    X : ndarray (sum(sizes), d), y : ndarray of group indices

    Taught in notebook 03 (Old Faithful).
    """
    sizes = np.asarray(sizes)
    centres = np.asarray(centers, dtype=float)
    if sizes.ndim != 1 or not np.issubdtype(sizes.dtype, np.integer) or np.any(sizes < 1):
        raise ValueError(f"sizes must be positive whole numbers, got {sizes.tolist()!r}.")
    if centres.ndim != 2 or len(centres) != len(sizes):
        raise ValueError(f"centers must be a (k, d) array with one row per size; got shape "
                         f"{centres.shape} for {len(sizes)} sizes.")
    stds = _per_group(cluster_std, len(sizes), "cluster_std")
    return _gaussian_groups(centres, sizes, stds, _rng(seed))
