"""The frames the stepper sends to the browser: the run as data, decoded and checked against
the history, the matplotlib figure and hand-computed k-means++ chances.

The browser draws only what these frames say (kmeans_lessons/static/stepper.js), so a wrong
number here is a wrong picture there; test_site.py checks the drawing itself in Chromium.
"""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex

from kmeans_lessons import init_kmeans_pp
from kmeans_lessons.frames import FORMAT_VERSION, d2_chances, decode, encode
from kmeans_lessons.plotting import GRID_SIZE, REGION_ALPHA, cluster_colors
from kmeans_lessons.widgets import KMeansStepper


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(11)
    middles = np.array([[0.0, 0.0], [5.0, 1.0], [2.0, 6.0]])
    return np.repeat(middles, 80, axis=0) + rng.normal(size=(240, 2))


@pytest.fixture(scope="module")
def stepper(blobs):
    widget = KMeansStepper(blobs, k=3, init="random", seed=3)
    yield widget
    widget.close()


def step_labels(frames, step):
    """The labels (n,) the browser colours the samples with at ``step``, or None (grey)."""
    which = frames["steps"][step]["labels"]
    return None if which < 0 else decode(frames["labels"][which], np.uint8)


def test_arrays_survive_the_trip_to_text():
    values = np.array([[1.5, -2.25], [3e-3, 7e5]])
    np.testing.assert_array_equal(decode(encode(values, np.float32), np.float32, (2, 2)),
                                  values.astype(np.float32))
    labels = np.array([0, 9, 3], dtype=np.int64)
    np.testing.assert_array_equal(decode(encode(labels, np.uint8), np.uint8), labels)


def test_frames_are_json_and_versioned(stepper):
    frames = stepper.view.frames
    assert json.loads(json.dumps(frames)) == frames
    assert frames["version"] == FORMAT_VERSION
    assert (frames["n"], frames["k"]) == (240, 3)


def test_samples_are_sent_in_the_plane(stepper, blobs):
    xy = decode(stepper.view.frames["xy"], np.float32, (240, 2))
    np.testing.assert_allclose(xy, blobs, rtol=1e-6)


def test_every_half_step_has_its_labels_loss_kind_and_title(stepper):
    frames, history = stepper.view.frames, stepper.history
    assert len(frames["steps"]) == len(history)
    for step, (sent, s) in enumerate(zip(frames["steps"], history)):
        assert (sent["kind"], sent["iteration"]) == (s.kind, s.iteration)
        assert sent["title"] == stepper._plot.title_for(step)
        if s.labels is None:
            assert step_labels(frames, step) is None and sent["loss"] is None
        else:
            np.testing.assert_array_equal(step_labels(frames, step), s.labels)
            assert sent["loss"] == s.loss


def test_each_label_array_is_sent_once(stepper):
    # An update half-step shows the labels of the assignment before it, and the last
    # assignment usually repeats the one before: only the changes are sent.
    frames = stepper.view.frames
    assigned = [s.labels for s in stepper.history if s.kind == "assign"]
    changes = 1 + sum(not np.array_equal(a, b) for a, b in zip(assigned, assigned[1:]))
    assert len(frames["labels"]) == changes < len(stepper.history) - 1


def test_centres_of_every_iteration_draw_the_centres_and_trails(stepper):
    centres = np.array(stepper.view.frames["centres"])
    assert centres.shape == (stepper.replay.n_iter + 1, 3, 2)
    for s in stepper.history:
        np.testing.assert_allclose(centres[s.iteration], s.centers, rtol=1e-12)
    np.testing.assert_array_equal(stepper.view.frames["off_plane"], np.zeros((len(centres), 3)))


def test_colours_labels_and_limits_are_the_matplotlib_figures(stepper):
    frames, plot = stepper.view.frames, stepper.plot
    assert frames["colors"] == [to_hex(c) for c in cluster_colors(3)]
    assert frames["colors"][0] == "#1f77b4"  # tab10's first colour
    assert frames["region_alpha"] == REGION_ALPHA
    data = frames["layout"]["data"]
    assert data["xlim"] == list(plot.ax_data.get_xlim())
    assert data["ylim"] == list(plot.ax_data.get_ylim())
    assert (data["xlabel"], data["ylabel"]) == ("feature 0", "feature 1")
    assert data["title"] == plot.ax_data.get_title()
    assert frames["layout"]["loss"]["xlabel"] == "half-step"
    assert frames["layout"]["loss"]["ylabel"] == "J (sum of squared distances)"
    assert frames["grid"] == {"size": GRID_SIZE, "extent": list(plot.regions.get_extent())}
    box = plot.ax_loss.get_position().bounds
    np.testing.assert_allclose(frames["layout"]["loss"]["box"], box)
    assert (frames["layout"]["width"], frames["layout"]["height"]) == (960, 408)


def test_ticks_are_matplotlibs_inside_the_limits(stepper):
    plot = stepper.plot
    plot.figure.canvas.draw()  # a full draw settles matplotlib's own tick labels
    for axis, sent in [(plot.ax_data.xaxis, stepper.view.frames["layout"]["data"]["xticks"]),
                       (plot.ax_loss.yaxis, stepper.view.frames["layout"]["loss"]["yticks"])]:
        low, high = sorted(axis.get_view_interval())
        drawn = [(t.get_loc(), t.label1.get_text()) for t in axis.get_major_ticks()
                 if low <= t.get_loc() <= high]
        assert list(zip(sent["at"], sent["labels"])) == drawn


def test_projected_data_send_the_distance_of_each_centre_from_the_plane():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 4))
    stepper = KMeansStepper(X, k=3, seed=1)
    frames, proj = stepper.view.frames, stepper.plot.projection
    for t, centres in enumerate(stepper.plot.center_path):
        original = next(s.centers for s in stepper.history if s.iteration == t)
        np.testing.assert_allclose(frames["off_plane"][t], proj.off_plane_sq(original),
                                   atol=1e-12)
        np.testing.assert_allclose(frames["centres"][t], centres)
    assert frames["layout"]["data"]["xlabel"].startswith("PC 1")


# --- k-means++ chances --------------------------------------------------------------------


def test_d2_chances_by_hand():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [0.0, 2.0]])
    centers = X[[0, 2]]
    chances = d2_chances(X, centers)
    np.testing.assert_allclose(chances[0], [0.25] * 4)
    # D^2 to the first centre (0, 0): 0, 1, 9, 4 -> divided by 14
    np.testing.assert_allclose(chances[1], [0, 1 / 14, 9 / 14, 4 / 14])


def test_d2_chances_use_the_nearest_centre_so_far():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [0.0, 2.0]])
    chances = d2_chances(X, X[[0, 2, 3]])
    # Third pick: nearest of (0, 0) and (3, 0): 0, 1, 0, 4 -> divided by 5
    np.testing.assert_allclose(chances[2], [0, 0.2, 0, 0.8])


def test_d2_chances_are_probabilities_and_zero_on_chosen_centres(blobs):
    centers = init_kmeans_pp(blobs, 5, np.random.default_rng(2))
    chances = d2_chances(blobs, centers)
    assert chances.shape == (5, 240)
    np.testing.assert_allclose(chances.sum(axis=1), 1.0)
    for j in range(1, 5):
        chosen = (blobs[:, None, :] == centers[None, :j, :]).all(axis=2).any(axis=1)
        assert np.all(chances[j][chosen] == 0)
        # the centre picked next had a chance above zero
        picked = (blobs == centers[j]).all(axis=1)
        assert np.all(chances[j][picked] > 0)


def test_d2_chances_fall_back_to_uniform_when_every_sample_is_a_centre():
    X = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]])
    chances = d2_chances(X, X[[0, 2, 1]])
    np.testing.assert_allclose(chances[2], [1 / 3] * 3)


def test_seeding_frames_carry_the_chances_and_the_picked_centres(blobs):
    stepper = KMeansStepper(blobs, k=4, show_d2=True, seed=6)
    seeding = stepper.view.frames["seeding"]
    expected = d2_chances(blobs, stepper.history[0].centers)
    for row, sent in zip(expected, seeding["chances"]):
        np.testing.assert_allclose(decode(sent, np.float32), row, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(seeding["picked"], stepper.history[0].centers)
    assert len(seeding["colormap"]) == 256 and seeding["colormap"][0] == "#440154"  # viridis
    assert [t.split(" · ")[0] for t in seeding["titles"]] == [
        f"k-means++ pick {j}/4" for j in range(1, 5)]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 30), k=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_d2_chances_are_the_squared_distance_to_the_nearest_earlier_centre(n, k, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)).round(1)  # rounded: duplicate samples happen
    k = min(k, n)
    centers = init_kmeans_pp(X, k, rng)
    chances = d2_chances(X, centers)
    for j in range(1, k):
        d2 = np.array([min(np.sum((x - c) ** 2) for c in centers[:j]) for x in X])
        expected = d2 / d2.sum() if d2.sum() > 0 else np.full(n, 1 / n)
        np.testing.assert_allclose(chances[j], expected, atol=1e-12)
