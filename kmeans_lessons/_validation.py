"""Input checks shared by every reference function.

Each check either returns a clean NumPy array or raises a ValueError/TypeError whose message
says what was received, what was expected and the likely fix. The reference functions call
these first so that a student never meets a broadcasting error from deep inside NumPy.
"""

import numbers

import numpy as np

__all__ = [
    "as_samples",
    "check_samples_and_centers",
    "check_k",
    "check_labels",
    "check_rng",
    "check_whole_number",
    "check_sample_weight",
]


def _float_dtype(array):
    """float32 stays float32 (MNIST-sized data); everything else computes in float64."""
    return np.float32 if array.dtype == np.float32 else np.float64


def as_samples(X, name="X", *, finite=True):
    """Return ``X`` as a finite 2-D float array of shape (n, d) with n >= 1 and d >= 1.

    Lists and integer arrays are accepted and converted; float32 is kept as float32.
    """
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be a 2-D array of numbers, got {type(X).__name__}.")
    try:
        array = np.asarray(X)
    except (ValueError, TypeError):
        raise TypeError(
            f"{name} could not be turned into an array: its rows have different lengths or it "
            f"holds things that are not numbers. Pass a 2-D array, or a list of rows of the "
            f"same length."
        ) from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(
            f"{name} must hold numbers, got dtype {array.dtype}; check that every row has the "
            f"same length and holds only numbers."
        )
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} holds complex numbers; k-means needs real coordinates.")
    if array.ndim != 2:
        hint = (
            f" For one feature use {name}.reshape(-1, 1); for one sample use {name}.reshape(1, -1)."
            if array.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features), got {array.ndim}-D with "
            f"shape {array.shape}.{hint}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"{name} is empty (shape {array.shape}): it needs at least one sample and one feature."
        )
    array = array.astype(_float_dtype(array), copy=False)
    # finite=False: the caller checks finiteness itself from numbers it computes anyway.
    if finite and not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} contains NaN or infinity (first at row {bad[0]}, column {bad[1]}); remove "
            f"or impute those values before clustering."
        )
    return array


def check_samples_and_centers(X, C, *, finite_X=True):
    """Validate samples ``X: (n, d)`` and centres ``C: (k, d)``; return both as float arrays.

    If either is float64 both are computed in float64, so float32 is kept only when both are.
    ``finite_X=False`` leaves the NaN/infinity check of X to the caller.
    """
    X = as_samples(X, "X", finite=finite_X)
    C = as_samples(C, "C")
    if C.shape[1] != X.shape[1]:
        raise ValueError(
            f"C has {C.shape[1]} columns but X has {X.shape[1]}: every centre needs one "
            f"coordinate per feature of X (C should have shape (k, {X.shape[1]})). If you passed "
            f"them the other way round, swap X and C."
        )
    dtype = np.result_type(X.dtype, C.dtype)
    return X.astype(dtype, copy=False), C.astype(dtype, copy=False)


def check_whole_number(value, name, minimum=None, maximum=None):
    """``value`` must be a whole number (not a bool, not a float) with minimum <= value <= maximum.

    Raises TypeError for a value of the wrong type and ValueError for one out of range, so the
    same mistake always gets the same exception. Returns the value as an int.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a whole number, got {value!r} of type {type(value).__name__}.")
    value = int(value)
    too_small = minimum is not None and value < minimum
    too_large = maximum is not None and value > maximum
    if too_small or too_large:
        if maximum is None:
            wanted = f">= {minimum}"
        elif minimum is None:
            wanted = f"<= {maximum}"
        else:
            wanted = f"from {minimum} to {maximum}"
        raise ValueError(f"{name} must be a whole number {wanted}, got {value}.")
    return value


def check_k(k, n):
    """``k`` must be a whole number with 1 <= k <= n (one distinct sample per centre)."""
    k = check_whole_number(k, "k")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    if k > n:
        raise ValueError(
            f"k={k} is larger than the number of samples (n_samples={n}): each centre starts on a "
            f"distinct sample, so choose k <= {n}."
        )
    return k


def check_labels(labels, n, k=None, name="labels"):
    """Validate cluster labels: an integer array of shape (n,) with values in [0, k)."""
    array = np.asarray(labels)
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(
            f"{name} must have shape ({n},), one label per sample of X, got shape {array.shape}."
        )
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and n and np.all(array == np.round(array)):
            array = array.astype(np.intp)
        elif n:
            raise TypeError(
                f"{name} must be whole numbers (cluster indices), got dtype {array.dtype}."
            )
        else:
            array = array.astype(np.intp)
    if k is not None and n and (array.min() < 0 or array.max() >= k):
        raise ValueError(
            f"{name} must lie in 0..{k - 1} for {k} centres, got values from {array.min()} to "
            f"{array.max()}."
        )
    return array.astype(np.intp, copy=False)


def check_rng(rng):
    """``rng`` must be a ``numpy.random.Generator`` (use ``np.random.default_rng(seed)``)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, got {type(rng).__name__}; create one with "
            f"np.random.default_rng(seed)."
        )
    return rng


def check_sample_weight(sample_weight, n):
    """Per-sample weights: None (every sample weighs 1), a number, or an array of shape (n,).

    Returns None or a float64 array (n,) of finite weights >= 0 that are not all zero (a copy,
    so the caller's array is never changed).
    """
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight)
    if weights.dtype == object or not (np.issubdtype(weights.dtype, np.number)
                                        or weights.dtype == bool):
        raise TypeError(f"sample_weight must hold numbers, got dtype {weights.dtype}.")
    if weights.ndim == 0:
        weights = np.full(n, weights, dtype=np.float64)
    if weights.shape != (n,):
        raise ValueError(
            f"sample_weight must have shape ({n},), one weight per sample of X, got shape "
            f"{weights.shape}.")
    weights = weights.astype(np.float64)  # always a copy
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("sample_weight must be finite and >= 0 (a NaN, infinite or negative "
                         "weight has no meaning as a number of copies of a sample).")
    if not weights.any():
        raise ValueError("sample_weight is zero for every sample: at least one sample must "
                         "count.")
    return weights
