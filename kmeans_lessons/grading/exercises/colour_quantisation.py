"""Lesson 07, colour quantisation: quantise_image, compression_ratio, quantise_blocks.

For each exercise: its cases, its comparator, the detectors of its usual mistakes, and its
registry entry (points and the mistakes with their hints). The detectors rebuild each mistaken
answer from the case's inputs with the plain helpers at the top of this module, written again
here rather than borrowed from :mod:`kmeans_lessons.quantisation`, so that a bug in the
reference cannot hide behind a detector or a timing yardstick that shares it.
"""

import math

import numpy as np

from ... import quantisation
from ..cases import OutputCase, TimingCase
from ..hints import Mistake, as_numbers, close, shows
from . import Exercise
from ._common import case_rng, close_array, direct_sq_dists, plain_assign, same_number


# --- plain helpers: the pixels of a picture, nearest rows, blocks ----------------------------


def _rows(image):
    image = np.asarray(image, dtype=float)
    return image.reshape(-1, image.shape[-1])


def _nearest(rows, codebook, farthest=False):
    D = direct_sq_dists(rows, codebook)
    return D.argmax(axis=1) if farthest else D.argmin(axis=1)


def _plain_quantise(image, palette):
    """Yardstick of the timing case: the vectorised solution the notebook teaches."""
    image = np.asarray(image, dtype=float)
    palette = np.asarray(palette, dtype=float)
    return palette[plain_assign(_rows(image), palette)].reshape(image.shape)


def _blocks(image, size):
    image = np.asarray(image, dtype=float)
    rows, cols, c = image.shape[0] // size, image.shape[1] // size, image.shape[2]
    grid = image[:rows * size, :cols * size].reshape(rows, size, cols, size, c)
    return grid.transpose(0, 2, 1, 3, 4).reshape(rows * cols, size * size * c)


def _plain_quantise_blocks(image, tiles):
    """Yardstick of the timing case for quantise_blocks."""
    image, tiles = np.asarray(image, dtype=float), np.asarray(tiles, dtype=float)
    k, size, _, c = tiles.shape
    rows, cols = image.shape[0] // size, image.shape[1] // size
    nearest = plain_assign(_blocks(image, size), tiles.reshape(k, -1))
    grid = tiles[nearest].reshape(rows, cols, size, size, c).transpose(0, 2, 1, 3, 4)
    return grid.reshape(rows * size, cols * size, c)


# --- quantise_image(image, palette) ----------------------------------------------------------

# a 2 x 3 picture: (red, near-red, blue), (black, near-blue, white); white is equally far from
# red and blue, so the tie goes to the lower palette row
_PICTURE = np.array([[[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 0.0, 1.0]],
                     [[0.0, 0.0, 0.0], [0.1, 0.0, 0.8], [1.0, 1.0, 1.0]]])
_PALETTE = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])


def _quantise_cases(seed, hidden):
    cases = [
        OutputCase("2 x 3 picture, palette of 3 colours (white: a tie)", (_PICTURE, _PALETTE)),
        OutputCase("a palette of one colour (k = 1)", (_PICTURE, _PALETTE[1:2])),
    ]
    if hidden:
        rng = case_rng(seed, 71)
        picture = rng.random((5, 7, 3))
        cases += [
            OutputCase("random 5 x 7 picture, 4 colours", (picture, rng.random((4, 3))),
                       hidden=True),
            OutputCase("a picture one pixel high", (rng.random((1, 6, 3)), rng.random((3, 3))),
                       hidden=True),
            OutputCase("grey picture (1 channel)", (rng.random((4, 4, 1)), rng.random((3, 1))),
                       hidden=True),
            OutputCase("colour values 0..255 as integers",
                       (rng.integers(0, 256, size=(6, 4, 3)), rng.integers(0, 256, size=(5, 3))),
                       hidden=True),
            OutputCase("every colour of the picture in the palette",
                       (picture, picture.reshape(-1, 3)[::-1].copy()), hidden=True),
            OutputCase("a palette colour no pixel is near",
                       (picture, np.concatenate([picture[0, :2], [[5.0, 5.0, 5.0]]])),
                       hidden=True),
            # few colours: a loop over the 200 000 pixels costs its per-pixel overhead whatever
            # k is, while a vectorised solution (or a loop over the colours) stays cheap
            TimingCase("speed on a 400 x 500 picture, 4 colours",
                       (rng.random((400, 500, 3)), rng.random((4, 3))),
                       baseline=_plain_quantise),
        ]
    return cases


def _quantise_labels(out, case):
    image, palette = np.asarray(case.args[0], float), np.asarray(case.args[1], float)
    labels = _nearest(_rows(image), palette)
    return (close(out, labels) or close(out, labels.reshape(image.shape[:2]))) and \
        np.shape(out) != np.shape(case.expected)


def _quantise_flat(out, case):
    expected = np.asarray(case.expected)
    return np.shape(out) != expected.shape and close(out, expected.reshape(-1, expected.shape[-1]))


def _quantise_farthest(out, case):
    image, palette = np.asarray(case.args[0], float), np.asarray(case.args[1], float)
    variant = palette[_nearest(_rows(image), palette, farthest=True)].reshape(image.shape)
    return shows(out, variant, case)


def _quantise_swapped_sides(out, case):
    expected = np.asarray(case.expected)
    height, width, c = expected.shape
    return height != width and np.shape(out) == (width, height, c) and \
        close(out, expected.reshape(width, height, c))


QUANTISE_IMAGE = Exercise(
    name="quantise_image",
    notebook="07_colour_quantisation",
    points=5,
    signature="quantise_image(image, palette)",
    summary="(height, width, c) picture with every pixel replaced by its nearest palette colour",
    params=("image", "palette"),
    reference=quantisation.quantise_image,
    compare=close_array,
    build=_quantise_cases,
    mistakes=(
        Mistake("returned_labels",
                "You returned which palette colour each pixel gets (the labels); return the "
                "colours themselves, as a picture of the same shape as the input.",
                _quantise_labels),
        Mistake("flat_pixels",
                "The colours are right but come as one row per pixel: give the result the "
                "shape of the picture again, (height, width, channels).", _quantise_flat),
        Mistake("farthest_colour",
                "Every pixel got the palette colour farthest from it: pick the smallest "
                "distance, not the largest.", _quantise_farthest),
        Mistake("height_width_swapped",
                "The result has the picture's width and height swapped: the first axis of a "
                "picture counts its rows (the height).", _quantise_swapped_sides),
    ),
)


# --- compression_ratio(height, width, k) -----------------------------------------------------


def _ratio_cases(seed, hidden):
    cases = [
        OutputCase("the china photo, 427 x 640, k = 16", (427, 640, 16)),
        OutputCase("a tiny 4 x 4 picture, k = 16", (4, 4, 16)),
    ]
    if hidden:
        rng = case_rng(seed, 72)
        height, width = (int(v) for v in rng.integers(20, 300, size=2))
        cases += [
            OutputCase("two colours (k = 2)", (height, width, 2), hidden=True),
            OutputCase("one colour (k = 1): no index at all", (10, 10, 1), hidden=True),
            OutputCase("k = 5, not a power of two", (height, width, 5), hidden=True),
            OutputCase("k = 17, just above a power of two", (64, 64, 17), hidden=True),
            OutputCase("one pixel, 256 colours", (1, 1, 256), hidden=True),
            OutputCase("a million pixels, 64 colours", (1000, 1000, 64), hidden=True),
        ]
    return cases


def _ratio_parts(case):
    height, width, k = (int(v) for v in case.args)
    n = height * width
    return n, k, (k - 1).bit_length()


def _ratio_no_palette(out, case):
    n, k, bits = _ratio_parts(case)
    return bits > 0 and shows(out, 24 * n / (bits * n), case)


def _ratio_fractional_bits(out, case):
    n, k, bits = _ratio_parts(case)
    return k > 1 and shows(out, 24 * n / (math.log2(k) * n + 24 * k), case)


def _ratio_inverted(out, case):
    return shows(out, 1 / float(case.expected), case)


def _ratio_palette_bytes(out, case):
    n, k, bits = _ratio_parts(case)
    return shows(out, 24 * n / (bits * n + 3 * k), case)


def _ratio_eight_bits(out, case):
    n, k, bits = _ratio_parts(case)
    return shows(out, 8 * n / (bits * n + 24 * k), case) or \
        shows(out, 8 * n / (bits * n + 8 * k), case)


COMPRESSION_RATIO = Exercise(
    name="compression_ratio",
    notebook="07_colour_quantisation",
    points=5,
    signature="compression_ratio(height, width, k)",
    summary="bits of the plain picture / bits of palette plus one index per pixel",
    params=("height", "width", "k"),
    reference=quantisation.compression_ratio,
    compare=same_number,
    build=_ratio_cases,
    mistakes=(
        Mistake("no_palette",
                "The palette itself is missing from the compressed size: whoever redraws the "
                "picture needs the k colours too, 24 bits each.", _ratio_no_palette),
        Mistake("fractional_bits",
                "An index takes a whole number of bits: with 5 colours you need 3 bits, not "
                "log2(5) = 2.32. Round the bits per pixel up.", _ratio_fractional_bits),
        Mistake("inverted",
                "The ratio is upside down: divide the size before by the size after, so that "
                "a picture that got smaller gives a number above 1.", _ratio_inverted),
        Mistake("palette_in_bytes",
                "The palette was counted in bytes (3 per colour) while the indices were counted "
                "in bits: count everything in bits.", _ratio_palette_bytes),
        Mistake("eight_bits_per_pixel",
                "A plain colour pixel takes 24 bits, 8 for each of red, green and blue, not 8.",
                _ratio_eight_bits),
    ),
)


# --- quantise_blocks(image, tiles) -----------------------------------------------------------


def _blocks_cases(seed, hidden):
    counting = np.arange(16.0).reshape(4, 4, 1)
    halves = np.zeros((2, 4, 1))
    halves[:, 2:] = 0.9
    cases = [
        OutputCase("4 x 4 picture, its own blocks as tiles: the picture again",
                   (counting, _blocks(counting, 2).reshape(4, 2, 2, 1))),
        OutputCase("a dark and a bright block, two tiles",
                   (halves, np.stack([np.full((2, 2, 1), 1.0), np.full((2, 2, 1), 0.2)]))),
    ]
    if hidden:
        rng = case_rng(seed, 73)
        picture = rng.random((6, 8, 3))
        cases += [
            OutputCase("6 x 8 colour picture, 5 tiles of 2 x 2",
                       (picture, rng.random((5, 2, 2, 3))), hidden=True),
            OutputCase("7 x 9 picture: the last row and column are dropped",
                       (rng.random((7, 9, 3)), rng.random((4, 2, 2, 3))), hidden=True),
            OutputCase("tiles of 3 x 3 on a 9 x 6 picture",
                       (rng.random((9, 6, 3)), rng.random((6, 3, 3, 3))), hidden=True),
            OutputCase("tiles of 1 x 1: single pixels",
                       (picture, rng.random((4, 1, 1, 3))), hidden=True),
            OutputCase("one tile (k = 1)", (picture, rng.random((1, 2, 2, 3))), hidden=True),
            OutputCase("grey picture (1 channel), tiles of 2 x 2",
                       (rng.random((8, 6, 1)), rng.random((3, 2, 2, 1))), hidden=True),
            # few tiles: a loop over the 30 000 blocks costs its per-block overhead whatever
            # k is, while vectorised styles (the 3-D broadcast, a loop over the tiles) stay cheap
            TimingCase("speed on a 300 x 400 picture, 4 tiles of 2 x 2",
                       (rng.random((300, 400, 3)), rng.random((4, 2, 2, 3))),
                       baseline=_plain_quantise_blocks),
        ]
    return cases


def _tile_inputs(case):
    image, tiles = np.asarray(case.args[0], float), np.asarray(case.args[1], float)
    k, size, _, c = tiles.shape
    rows, cols = image.shape[0] // size, image.shape[1] // size
    return image, tiles, k, size, c, rows, cols


def _blocks_rows_not_squares(out, case):
    image, tiles, k, size, c, rows, cols = _tile_inputs(case)
    flat_tiles = tiles.reshape(k, -1)
    cropped = image[:rows * size, :cols * size]
    # putting the tiles back with a plain reshape, after cutting right or cutting the same way
    right = tiles[_nearest(_blocks(image, size), flat_tiles)]
    strips = tiles[_nearest(cropped.reshape(-1, size * size * c), flat_tiles)]
    shape = (rows * size, cols * size, c)
    return any(shows(out, chosen.reshape(shape), case) for chosen in (right, strips))


def _blocks_returned_blocks(out, case):
    image, tiles, k, size, c, rows, cols = _tile_inputs(case)
    chosen = tiles[_nearest(_blocks(image, size), tiles.reshape(k, -1))]
    return np.shape(out) != np.shape(case.expected) and (
        close(out, chosen) or close(out, chosen.reshape(rows * cols, -1))
        or close(out, chosen.reshape(rows, cols, -1)))


def _blocks_returned_labels(out, case):
    image, tiles, k, size, c, rows, cols = _tile_inputs(case)
    labels = _nearest(_blocks(image, size), tiles.reshape(k, -1))
    return np.shape(out) != np.shape(case.expected) and (
        close(out, labels) or close(out, labels.reshape(rows, cols)))


def _blocks_farthest(out, case):
    image, tiles, k, size, c, rows, cols = _tile_inputs(case)
    chosen = tiles[_nearest(_blocks(image, size), tiles.reshape(k, -1), farthest=True)]
    grid = chosen.reshape(rows, cols, size, size, c).transpose(0, 2, 1, 3, 4)
    return shows(out, grid.reshape(rows * size, cols * size, c), case)


def _blocks_not_cropped(out, case):
    expected = np.asarray(case.expected)
    values = as_numbers(out)
    height, width = values.shape[:2] if values.ndim == 3 else (0, 0)
    return values.ndim == 3 and values.shape != expected.shape and \
        height >= expected.shape[0] and width >= expected.shape[1] and \
        close(values[:expected.shape[0], :expected.shape[1]], expected)


QUANTISE_BLOCKS = Exercise(
    name="quantise_blocks",
    notebook="07_colour_quantisation",
    points=10,
    signature="quantise_blocks(image, tiles)",
    summary="picture cropped to whole blocks, every block replaced by its nearest tile",
    params=("image", "tiles"),
    reference=quantisation.quantise_blocks,
    compare=close_array,
    build=_blocks_cases,
    mistakes=(
        Mistake("rows_not_squares",
                "The tiles went back as runs along a row instead of as squares: a plain reshape "
                "to the picture's shape lays the pixels of a tile side by side in one row. "
                "Bring the axes of the tile grid and of the pixels inside a tile back in the "
                "picture's order first.", _blocks_rows_not_squares),
        Mistake("returned_blocks",
                "You returned the chosen tiles one block per row; put them back together into "
                "a picture of shape (height, width, channels).", _blocks_returned_blocks),
        Mistake("returned_labels",
                "You returned which tile each block gets; return the picture drawn with those "
                "tiles.", _blocks_returned_labels),
        Mistake("farthest_tile",
                "Every block got the tile farthest from it: pick the smallest distance, not the "
                "largest.", _blocks_farthest),
        Mistake("not_cropped",
                "Rows or columns beyond the last whole block are still there: the result covers "
                "only whole blocks, (height // size * size, width // size * size).",
                _blocks_not_cropped),
    ),
)


EXERCISES = (QUANTISE_IMAGE, COMPRESSION_RATIO, QUANTISE_BLOCKS)
