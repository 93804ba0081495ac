"""The three broadcasting exercises of notebook 01, as graded reference solutions.

Each one is a single line of NumPy once the shapes are right; the docstrings say which shapes
meet and why.

Taught in notebook 01 (Broadcasting).
"""

import numpy as np

from ._validation import as_samples

__all__ = ["difference_table", "row_sums_outer", "pick_per_row"]


def _as_vector(a, name):
    """Return ``a`` as a non-empty, finite 1-D array of numbers, or say what is wrong with it."""
    array = np.asarray(a)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be a 1-D array of numbers, got dtype {array.dtype}.")
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D with shape (n,), got shape {array.shape}; flatten it with "
            f"{name}.ravel() if it holds one number per entry."
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty: it needs at least one number.")
    if array.dtype == bool:
        array = array.astype(np.int64)  # True/False count as 1/0 (NumPy cannot subtract bools)
    if np.issubdtype(array.dtype, np.inexact) and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return array


def difference_table(a, b):
    """Every difference ``a[i] - b[j]`` in one table.

    Parameters
    ----------
    a : array of shape (n,)
    b : array of shape (m,)

    Returns
    -------
    table : array of shape (n, m)
        ``table[i, j] = a[i] - b[j]``: rows follow ``a``, columns follow ``b``.

    Notes
    -----
    ``a[:, np.newaxis]`` has shape (n, 1) and ``b`` has shape (m,), read as (1, m); broadcasting
    stretches both to (n, m) without copying either.

    Taught in notebook 01 (Broadcasting).
    """
    a, b = _as_vector(a, "a"), _as_vector(b, "b")
    return a[:, np.newaxis] - b


def row_sums_outer(A):
    """The product of every pair of row sums.

    Parameters
    ----------
    A : array of shape (n, d)

    Returns
    -------
    P : float array of shape (n, n)
        ``P[i, j] = s[i] * s[j]`` where ``s[i] = A[i].sum()``.

    Notes
    -----
    ``A.sum(axis=1)`` has shape (n,), and ``s @ s.T`` of a 1-D array is a single number.
    ``keepdims=True`` keeps the sums as a column (n, 1), so ``s @ s.T`` is (n, 1) @ (1, n).

    Taught in notebook 01 (Broadcasting).
    """
    A = as_samples(A, "A")
    s = A.sum(axis=1, keepdims=True)
    return s @ s.T


def pick_per_row(X, idx):
    """One element from every row: ``X[i, idx[i]]``.

    Parameters
    ----------
    X : array of shape (n, d)
    idx : int array of shape (n,)
        Column to take from each row, values in 0..d-1.

    Returns
    -------
    picked : float array of shape (n,)
        ``picked[i] = X[i, idx[i]]``.

    Notes
    -----
    ``np.take_along_axis`` wants an index array with as many dimensions as ``X``: a column
    (n, 1), one index per row. The result is a column too, so it is flattened at the end.

    Taught in notebook 01 (Broadcasting).
    """
    X = as_samples(X, "X")
    idx = _as_vector(idx, "idx")
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"idx must hold whole numbers (column indices), got dtype {idx.dtype}.")
    if idx.shape[0] != X.shape[0]:
        raise ValueError(
            f"idx has {idx.shape[0]} entries but X has {X.shape[0]} rows: give one column "
            f"index per row of X."
        )
    if idx.min() < 0 or idx.max() >= X.shape[1]:
        raise ValueError(
            f"idx must lie in 0..{X.shape[1] - 1} (X has {X.shape[1]} columns), got values "
            f"from {idx.min()} to {idx.max()}."
        )
    return np.take_along_axis(X, idx.astype(np.intp)[:, np.newaxis], axis=1)[:, 0]


# --- transfer exercise of notebook 01: a shape bug in three dimensions -------------------------

__all__ += ["scale_each_image"]


def scale_each_image(images):
    """Divide every image of a batch by its own brightest pixel.

    Parameters
    ----------
    images : array of shape (n, h, w)
        ``n`` greyscale images of ``h`` rows and ``w`` columns, brightness >= 0.

    Returns
    -------
    scaled : float array of shape (n, h, w)
        ``scaled[i] = images[i] / images[i].max()``, so the brightest pixel of every image is 1.
        An all-black image (maximum 0) has nothing to scale and stays all zeros (not NaN).

    Notes
    -----
    ``images.max(axis=(1, 2))`` has shape (n,), which broadcasting lines up with the *last* axis
    (w), not the first: "operands could not be broadcast together with shapes (n,h,w) (n,)".
    With ``keepdims=True`` the maxima keep the shape (n, 1, 1) and stretch over each image.

    Taught in notebook 01 (Broadcasting).
    """
    if isinstance(images, (str, bytes)) or images is None:
        raise TypeError(f"images must be a 3-D array of numbers, got {type(images).__name__}.")
    array = np.asarray(images)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == bool):
        raise TypeError(f"images must hold numbers, got dtype {array.dtype}.")
    if array.ndim != 3:
        raise ValueError(
            f"images must be 3-D with shape (n_images, height, width), got shape {array.shape}; "
            f"a single image of shape (h, w) becomes a batch of one with images[np.newaxis]."
        )
    if array.size == 0:
        raise ValueError(f"images is empty (shape {array.shape}).")
    array = array.astype(float)
    if not np.isfinite(array).all():
        raise ValueError("images contains NaN or infinity.")
    if array.min() < 0:
        raise ValueError(
            f"images must hold brightness values >= 0, found {array.min():g}; shift the data "
            f"first if it was centred."
        )
    brightest = array.max(axis=(1, 2), keepdims=True)  # (n, 1, 1): one maximum per image
    return np.divide(array, brightest, out=np.zeros_like(array), where=brightest > 0)
