"""Colour quantisation: a picture redrawn with k colours, the palette found by k-means.

A colour picture of shape (height, width, 3) is a cloud of ``height * width`` points in the
3-D RGB cube. k-means on that cloud finds k colours, the **palette** (in the language of
compression: the codebook); every pixel is then stored as the index of its nearest palette
colour. The same idea works for small square blocks of pixels instead of single pixels.

Taught in notebook 07 (Colour quantisation).
"""

import numbers

import numpy as np

from ._validation import as_samples, check_k
from .algorithm import KMeans
from .distances import assign

__all__ = ["BITS_PER_COLOUR", "image_pixels", "quantise_image", "bits_per_pixel",
           "compression_ratio", "fit_codebook", "image_blocks", "quantise_blocks"]

#: Bits of one colour stored plainly: 8 bits (0..255) for each of red, green and blue.
BITS_PER_COLOUR = 24


def _as_image(image, name="image"):
    """``image`` as a float array of shape (height, width, channels), or a clear error."""
    array = np.asarray(image)
    if array.ndim != 3:
        raise ValueError(
            f"{name} has shape {array.shape}; expected (height, width, channels), e.g. "
            f"(427, 640, 3) for a colour picture. A flat (n, 3) array of pixels is not a "
            f"picture: reshape it to (height, width, 3) first.")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}.")
    if array.size == 0:
        raise ValueError(f"{name} has shape {array.shape}: it holds no pixel.")
    return array.astype(float)


def _check_whole(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}.")
    return int(value)


def image_pixels(image):
    """The pixels of a picture as rows, with colour values in [0, 1].

    Parameters
    ----------
    image : array of shape (height, width, 3)
        A picture; ``uint8`` values 0..255 (as image files store them) are divided by 255,
        floats are taken to be in [0, 1] already.

    Returns
    -------
    pixels : float array of shape (height * width, 3)
        One row per pixel, row by row from the top left corner.

    Taught in notebook 07 (Colour quantisation).
    """
    raw = np.asarray(image)
    array = _as_image(raw)
    if raw.dtype == np.uint8:
        array /= 255
    elif array.min() < 0 or array.max() > 1:
        raise ValueError(
            f"image values range over {array.min():g}..{array.max():g}; floats must lie in "
            f"[0, 1]. For 0..255 values pass the uint8 array, or divide by 255.")
    return array.reshape(-1, array.shape[2])


def quantise_image(image, palette):
    """Redraw a picture with the colours of a palette: every pixel becomes its nearest colour.

    Parameters
    ----------
    image : array of shape (height, width, c)
        The picture, on the same scale as ``palette`` (e.g. both in [0, 1]).
    palette : array of shape (k, c)
        The colours allowed, one per row.

    Returns
    -------
    quantised : float array of shape (height, width, c)
        ``quantised[i, j]`` is the row of ``palette`` closest (squared Euclidean distance) to
        ``image[i, j]``; ties go to the lower row.

    Taught in notebook 07 (Colour quantisation).
    """
    image = _as_image(image)
    palette = as_samples(palette, "palette")
    if palette.shape[1] != image.shape[2]:
        raise ValueError(
            f"palette has {palette.shape[1]} columns but image has {image.shape[2]} channels: "
            f"every palette colour needs one value per channel, shape (k, {image.shape[2]}).")
    pixels = image.reshape(-1, image.shape[2])  # (n, c): the picture as a cloud of points
    return palette[assign(pixels, palette)].reshape(image.shape)


def bits_per_pixel(k):
    """Bits needed to store one index into a palette of k colours: the smallest b with 2**b >= k.

    ``bits_per_pixel(1) == 0`` (one colour needs no index), ``bits_per_pixel(16) == 4``,
    ``bits_per_pixel(17) == 5``. Computed with integers, so no rounding of log2 can go wrong.

    Taught in notebook 07 (Colour quantisation).
    """
    k = _check_whole(k, "k", 1)
    return (k - 1).bit_length()


def compression_ratio(height, width, k):
    """How many times smaller a picture gets when it is stored as palette indices.

    Before: every pixel stores its colour, ``BITS_PER_COLOUR`` = 24 bits. After: every pixel
    stores the index of its palette colour (:func:`bits_per_pixel` of k bits), and the palette
    itself is stored once (k colours of 24 bits).

    Parameters
    ----------
    height, width : int
        Size of the picture in pixels.
    k : int
        Number of palette colours.

    Returns
    -------
    ratio : float
        ``bits before / bits after``; above 1 means the picture got smaller.

    Taught in notebook 07 (Colour quantisation).
    """
    n = _check_whole(height, "height", 1) * _check_whole(width, "width", 1)
    before = n * BITS_PER_COLOUR
    after = n * bits_per_pixel(k) + k * BITS_PER_COLOUR
    return before / after


def fit_codebook(rows, k, n_sample=10_000, seed=0):
    """k centres for ``rows``, learned by k-means on a random subsample of them.

    Parameters
    ----------
    rows : array of shape (n, d)
        Pixels (d = 3) or flattened blocks of pixels.
    k : int
        Size of the codebook, 1 <= k <= min(n, n_sample).
    n_sample : int, default 10 000
        Rows drawn (without replacement) to fit on; all rows when n <= n_sample. A centre is a
        mean, and a mean of thousands of random members is already within a fraction of a grey
        level of the mean of all of them, at a fraction of the cost.
    seed : int, default 0
        Seeds both the subsample and the k-means++ start.

    Returns
    -------
    codebook : float array of shape (k, d)
        The centres of one k-means run (k-means++ start) on the subsample.

    Taught in notebook 07 (Colour quantisation).
    """
    rows = as_samples(rows, "rows")
    n_sample = _check_whole(n_sample, "n_sample", 1)
    rng = np.random.default_rng(seed)
    if len(rows) > n_sample:
        rows = rows[rng.choice(len(rows), size=n_sample, replace=False)]
    check_k(k, len(rows))
    return KMeans(k, n_init=1, random_state=rng).fit(rows).cluster_centers_


def image_blocks(image, size):
    """Cut a picture into square blocks of ``size`` x ``size`` pixels, one flattened block a row.

    Parameters
    ----------
    image : array of shape (height, width, c)
    size : int
        Side of a block in pixels. Rows and columns beyond the last whole block are dropped.

    Returns
    -------
    blocks : float array of shape (height // size * width // size, size * size * c)
        Blocks row by row from the top left; inside a block the values are in the order of
        ``image[i:i + size, j:j + size].ravel()``.

    Taught in notebook 07 (Colour quantisation).
    """
    image = _as_image(image)
    size = _check_whole(size, "size", 1)
    rows, cols = image.shape[0] // size, image.shape[1] // size
    if rows == 0 or cols == 0:
        raise ValueError(f"image of {image.shape[0]} x {image.shape[1]} pixels holds no whole "
                         f"block of {size} x {size}: choose a smaller size.")
    c = image.shape[2]
    cropped = image[:rows * size, :cols * size]
    # (rows, size, cols, size, c): block (r, q) is [r, :, q, :]; bring the two block axes first
    grid = cropped.reshape(rows, size, cols, size, c).transpose(0, 2, 1, 3, 4)
    return grid.reshape(rows * cols, size * size * c)


def quantise_blocks(image, tiles):
    """Redraw a picture from a codebook of tiles: every block becomes its nearest tile.

    Parameters
    ----------
    image : array of shape (height, width, c)
    tiles : array of shape (k, size, size, c)
        The codebook: k small pictures of ``size`` x ``size`` pixels.

    Returns
    -------
    quantised : float array of shape (height // size * size, width // size * size, c)
        The picture cropped to whole blocks, each block replaced by the tile closest to it
        (squared Euclidean distance over all its values; ties go to the lower tile).

    Taught in notebook 07 (Colour quantisation).
    """
    image, tiles = _as_image(image), np.asarray(tiles, dtype=float)
    if tiles.ndim != 4 or tiles.shape[1] != tiles.shape[2] or tiles.shape[3] != image.shape[2]:
        raise ValueError(
            f"tiles has shape {tiles.shape}; expected (k, size, size, {image.shape[2]}): k "
            f"square tiles with as many channels as the image.")
    k, size, _, c = tiles.shape
    blocks = image_blocks(image, size)  # (n_blocks, size * size * c)
    nearest = assign(blocks, tiles.reshape(k, -1))
    rows, cols = image.shape[0] // size, image.shape[1] // size
    # the inverse of image_blocks: tiles on a (rows, cols) grid, then pixel rows interleaved
    grid = tiles[nearest].reshape(rows, cols, size, size, c).transpose(0, 2, 1, 3, 4)
    return grid.reshape(rows * size, cols * size, c)
