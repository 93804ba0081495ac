"""Colour quantisation (notebook 07): pixels, palettes, the bits they save, blocks of pixels."""

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans

from kmeans_lessons import (bits_per_pixel, compression_ratio, fit_codebook, image_blocks,
                            image_pixels, quantise_blocks, quantise_image)
from kmeans_lessons.quantisation import BITS_PER_COLOUR

# a 2 x 3 picture with values in [0, 1]; rows: (red, near-red, blue), (black, near-blue, white)
PICTURE = np.array([[[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 0.0, 1.0]],
                    [[0.0, 0.0, 0.0], [0.1, 0.0, 0.8], [1.0, 1.0, 1.0]]])
PALETTE = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])


def test_image_pixels_scales_uint8_and_keeps_row_order():
    image = np.array([[[0, 0, 0], [255, 51, 102]], [[255, 255, 255], [0, 0, 255]]], np.uint8)
    expected = np.array([[0, 0, 0], [1, 0.2, 0.4], [1, 1, 1], [0, 0, 1]])
    np.testing.assert_allclose(image_pixels(image), expected)


def test_image_pixels_rejects_floats_outside_the_unit_range():
    with pytest.raises(ValueError, match=r"\[0, 1\].*divide by 255"):
        image_pixels(np.full((2, 2, 3), 200.0))


def test_quantise_image_replaces_every_pixel_by_its_nearest_palette_colour():
    # by hand: near-red -> red, near-blue -> blue, white is nearest to red and blue equally
    # (distance 2) and black too far (3), so the tie goes to the lower row: red
    expected = PALETTE[[[0, 0, 1], [2, 1, 0]]]
    np.testing.assert_array_equal(quantise_image(PICTURE, PALETTE), expected)


def test_quantise_image_with_every_colour_in_the_palette_changes_nothing():
    rng = np.random.default_rng(0)
    image = rng.random((4, 5, 3))
    np.testing.assert_array_equal(quantise_image(image, image.reshape(-1, 3)), image)


def test_quantise_image_says_when_palette_and_channels_disagree():
    with pytest.raises(ValueError, match="palette has 2 columns but image has 3 channels"):
        quantise_image(PICTURE, PALETTE[:, :2])


def test_quantise_image_asks_for_a_picture_not_a_list_of_pixels():
    with pytest.raises(ValueError, match=r"reshape it to \(height, width, 3\)"):
        quantise_image(PICTURE.reshape(-1, 3), PALETTE)


@pytest.mark.parametrize("k, bits", [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (16, 4), (17, 5),
                                     (64, 6), (65, 7), (256, 8), (2**40 + 1, 41)])
def test_bits_per_pixel_is_the_smallest_power_of_two_that_fits(k, bits):
    assert bits_per_pixel(k) == bits


@pytest.mark.parametrize("k", [0, -3, 2.5, True])
def test_bits_per_pixel_rejects_what_is_not_a_palette_size(k):
    with pytest.raises(ValueError, match="k must be a whole number >= 1"):
        bits_per_pixel(k)


def test_compression_ratio_of_the_china_picture_with_16_colours():
    # 273 280 pixels: 24 bits each before; 4 bits each plus a palette of 16 x 24 bits after
    before, after = 273_280 * 24, 273_280 * 4 + 16 * 24
    assert compression_ratio(427, 640, 16) == pytest.approx(before / after, rel=1e-15)
    assert compression_ratio(427, 640, 16) == pytest.approx(5.997893, rel=1e-6)


def test_compression_ratio_counts_the_palette_which_matters_for_small_pictures():
    # 4 x 4 pixels, 16 colours: 384 bits before, 16 * 4 + 16 * 24 = 448 after: it grows
    assert compression_ratio(4, 4, 16) == pytest.approx(384 / 448)
    # one colour: no index at all, only the palette is stored
    assert compression_ratio(10, 10, 1) == pytest.approx(100 * BITS_PER_COLOUR / BITS_PER_COLOUR)


def test_fit_codebook_on_all_rows_matches_scikit_learn():
    rng = np.random.default_rng(1)
    centres = np.array([[0.1, 0.1, 0.1], [0.9, 0.2, 0.1], [0.2, 0.3, 0.9]])
    rows = centres[rng.integers(3, size=600)] + rng.normal(scale=0.03, size=(600, 3))
    ours = fit_codebook(rows, 3, n_sample=1000, seed=0)
    theirs = SklearnKMeans(3, n_init=10, random_state=0).fit(rows).cluster_centers_
    order = lambda C: C[np.lexsort(C.T[::-1])]  # noqa: E731 -- compare as sets of centres
    np.testing.assert_allclose(order(ours), order(theirs), atol=1e-12)


def test_fit_codebook_on_a_subsample_lands_close_to_the_full_fit():
    rng = np.random.default_rng(2)
    centres = np.array([[0.2, 0.2, 0.2], [0.8, 0.8, 0.2]])
    rows = centres[rng.integers(2, size=50_000)] + rng.normal(scale=0.05, size=(50_000, 3))
    sample_fit = fit_codebook(rows, 2, n_sample=2000, seed=3)
    full_fit = fit_codebook(rows, 2, n_sample=50_000, seed=3)
    order = lambda C: C[np.argsort(C[:, 0])]  # noqa: E731
    # each centre is a mean of ~1000 sampled rows of spread 0.05: error ~ 0.05 / sqrt(1000)
    np.testing.assert_allclose(order(sample_fit), order(full_fit), atol=0.01)
    assert not np.allclose(order(sample_fit), order(full_fit), atol=1e-6)


def test_fit_codebook_is_repeatable_from_its_seed():
    rows = np.random.default_rng(4).random((5000, 3))
    np.testing.assert_array_equal(fit_codebook(rows, 5, 1000, seed=7),
                                  fit_codebook(rows, 5, 1000, seed=7))


def test_fit_codebook_says_when_k_exceeds_the_sample():
    with pytest.raises(ValueError, match="k"):
        fit_codebook(np.random.default_rng(5).random((50, 3)), 20, n_sample=10)


def test_image_blocks_cuts_squares_not_runs_of_a_row():
    image = np.arange(4 * 4 * 1, dtype=float).reshape(4, 4, 1)  # values 0..15 row by row
    expected = np.array([[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]])
    np.testing.assert_array_equal(image_blocks(image, 2), expected)


def test_image_blocks_drops_the_rows_and_columns_beyond_the_last_whole_block():
    image = np.random.default_rng(6).random((5, 7, 3))
    blocks = image_blocks(image, 2)
    assert blocks.shape == (2 * 3, 2 * 2 * 3)
    np.testing.assert_array_equal(blocks[4], image[2:4, 2:4].ravel())


def test_image_blocks_says_when_no_block_fits():
    with pytest.raises(ValueError, match="no whole block of 4 x 4"):
        image_blocks(np.zeros((3, 8, 3)), 4)


def test_quantise_blocks_with_the_blocks_themselves_as_tiles_gives_the_cropped_picture():
    image = np.random.default_rng(7).random((7, 9, 3))
    tiles = image_blocks(image, 3).reshape(-1, 3, 3, 3)
    np.testing.assert_array_equal(quantise_blocks(image, tiles), image[:6, :9])


def test_quantise_blocks_puts_the_nearest_tile_in_every_block():
    image = np.zeros((2, 4, 1))
    image[:, 2:] = 0.9  # left block dark, right block bright
    tiles = np.stack([np.full((2, 2, 1), 1.0), np.full((2, 2, 1), 0.2)])
    expected = np.concatenate([np.full((2, 2, 1), 0.2), np.full((2, 2, 1), 1.0)], axis=1)
    np.testing.assert_array_equal(quantise_blocks(image, tiles), expected)


def test_quantise_blocks_says_what_shape_the_tiles_need():
    with pytest.raises(ValueError, match=r"expected \(k, size, size, 3\)"):
        quantise_blocks(np.zeros((4, 4, 3)), np.zeros((5, 12)))
