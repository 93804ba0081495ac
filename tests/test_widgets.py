"""KMeansStepper: the slider replays the history, the controls recompute it, student functions are
replayed and their mistakes shown, bad arguments are refused, and nothing needs a browser.

What the browser receives (the frames) is pinned in test_frames.py; the drawing itself, in a
real browser, in test_browser.py and test_site.py."""

import io

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from PIL import Image

from kmeans_lessons import init_farthest, init_kmeans_pp, init_random
from kmeans_lessons.algorithm import kmeans
from kmeans_lessons.distances import assign as reference_assign
from kmeans_lessons.plotting import GRID_SIZE, cluster_colors
from kmeans_lessons.widgets import KMeansStepper, replay_kmeans

# --- data and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def blobs():
    """Three well separated 2-D groups, 300 samples."""
    rng = np.random.default_rng(7)
    middles = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 5.0]])
    return np.repeat(middles, 100, axis=0) + rng.normal(size=(300, 2))


@pytest.fixture
def stepper(blobs):
    widget = KMeansStepper(blobs, k=3, init="k-means++", seed=0)
    yield widget
    widget.close()


def reference_steps(X, k, init, seed):
    start = {"k-means++": init_kmeans_pp, "random": init_random, "farthest": init_farthest}[init]
    return kmeans(X, start(X, k, np.random.default_rng(seed))).half_steps()


def assert_same_history(shown, expected):
    assert [s.kind for s in shown] == [s.kind for s in expected]
    for a, b in zip(shown, expected):
        np.testing.assert_allclose(a.centers, b.centers, rtol=1e-12, atol=1e-12)
        if b.labels is None:
            assert a.labels is None
        else:
            np.testing.assert_array_equal(a.labels, b.labels)
            assert a.loss == pytest.approx(b.loss, rel=1e-12)


def shown_labels(stepper):
    """The cluster each sample is drawn in, read back from the artists (-1: grey)."""
    plot = stepper.plot
    labels = np.full(len(plot.xy), -2)
    position = {tuple(p): i for i, p in enumerate(plot.xy)}  # the blobs have no duplicate rows
    for j, line in enumerate([plot.unassigned, *plot.point_lines]):
        for point in np.column_stack(line.get_data()):
            labels[position[tuple(point)]] = j - 1
    assert (labels > -2).all(), "every sample is drawn exactly once"
    return labels


def assert_frame_matches(stepper, step):
    """Centres, colours, trails, J marker and title equal history[step]."""
    plot, s = stepper.plot, stepper.history[step]
    np.testing.assert_allclose(plot.centers.get_offsets(), s.centers)
    expected = np.full(len(plot.xy), -1) if s.labels is None else s.labels
    np.testing.assert_array_equal(shown_labels(stepper), expected)
    for j, line in enumerate(plot.point_lines):
        assert to_rgba(line.get_color()) == tuple(cluster_colors(3)[j])
    x, y = plot.loss_marker.get_data()
    if s.loss is None:
        assert len(x) == 0
    else:
        assert (list(x), list(y)) == ([step], [s.loss])
    for j, trail in enumerate(plot.trails):
        np.testing.assert_allclose(np.column_stack(trail.get_data())[-1], s.centers[j])
    assert f"half-step {step}/" in plot.title.get_text()
    assert s.kind in plot.title.get_text()


def png_pixels(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(data)))


# --- replaying the history -----------------------------------------------------------------


def test_history_is_the_reference_run(stepper, blobs):
    assert_same_history(stepper.history, reference_steps(blobs, 3, "k-means++", 0))
    assert stepper.view.max == len(stepper.history) - 1
    assert "Converged" in stepper.view.message


def test_slider_shows_the_history_at_every_step(stepper):
    assert stepper.step == 0
    assert_frame_matches(stepper, 0)
    for step in [*range(1, len(stepper.history)), 2, 1]:  # forwards, then back
        stepper.step = step
        assert_frame_matches(stepper, step)


def test_steps_alternate_assign_and_update(stepper):
    kinds = [s.kind for s in stepper.history]
    assert kinds[0] == "init" and kinds[-1] == "assign"
    assert kinds[1::2] == ["assign"] * len(kinds[1::2])
    assert kinds[2::2] == ["update"] * len(kinds[2::2])


def test_init_step_draws_grey_points_and_no_loss(stepper):
    assert len(stepper.plot.unassigned.get_xdata()) == 300
    assert all(len(line.get_xdata()) == 0 for line in stepper.plot.point_lines)
    assert len(stepper.plot.loss_marker.get_xdata()) == 0


def test_moving_the_slider_sends_only_the_step_and_updates_the_same_artists(stepper):
    plot = stepper.plot
    artists = (stepper.figure, plot.centers, plot.regions, plot.loss_marker,
               *plot.point_lines, *plot.trails)
    frames = stepper.view.frames
    stepper.step = 2
    assert stepper.view.value == 2
    assert stepper.view.frames is frames, "the run went to the browser once"
    assert (stepper.figure, plot.centers, plot.regions, plot.loss_marker,
            *plot.point_lines, *plot.trails) == artists
    width, height = stepper.figure.canvas.get_width_height()
    assert png_pixels(stepper.plot.to_png()).shape == (height, width, 3)


def test_a_step_chosen_in_the_browser_is_known_in_python(stepper):
    stepper.view.value = 4  # what the browser's slider sends back
    assert stepper.step == 4
    assert_frame_matches(stepper, 4)


def test_the_view_refuses_a_frame_outside_the_run(stepper):
    import traitlets

    with pytest.raises(traitlets.TraitError, match="value must be in 0.."):
        stepper.view.value = stepper.view.max + 1
    with pytest.raises(ValueError, match="step must be a half-step from 0 to"):
        stepper.step = len(stepper.history)


def test_the_matplotlib_png_is_the_figure_as_a_full_draw_would_show_it(stepper):
    # The fast path redraws only the moving artists over a saved background; it must give
    # the same picture as drawing the whole figure.
    stepper.step = 3
    fast = png_pixels(stepper.plot.to_png()).astype(int)
    stepper.figure.canvas.draw()
    full = np.asarray(stepper.figure.canvas.buffer_rgba())[..., :3].astype(int)
    differing = np.abs(fast - full).max(axis=-1) > 8
    assert differing.mean() < 1e-4


def test_regions_are_coloured_by_the_nearest_centre(stepper):
    stepper.step = 2
    plot = stepper.plot
    rgba = plot.regions.get_array()
    assert rgba.shape == (GRID_SIZE, GRID_SIZE, 4)
    left, right, bottom, top = plot.regions.get_extent()
    rng = np.random.default_rng(1)
    rows, cols = rng.integers(GRID_SIZE, size=(2, 200))
    points = np.column_stack([left + (cols + 0.5) * (right - left) / GRID_SIZE,
                              bottom + (rows + 0.5) * (top - bottom) / GRID_SIZE])
    expected = reference_assign(points, stepper.history[2].centers)
    palette = cluster_colors(3)[:, :3]
    drawn = np.abs(rgba[rows, cols, np.newaxis, :3] - palette).sum(axis=-1).argmin(axis=1)
    np.testing.assert_array_equal(drawn, expected)


# --- the controls --------------------------------------------------------------------------


def test_changing_k_computes_a_new_history(stepper, blobs):
    stepper.step = 3
    stepper.k_input.value = 4
    assert_same_history(stepper.history, reference_steps(blobs, 4, "k-means++", 0))
    assert stepper.step == 0
    assert stepper.view.max == len(stepper.history) - 1
    assert len(stepper.plot.trails) == len(stepper.plot.point_lines) == 4
    stepper.step = stepper.view.max
    np.testing.assert_allclose(stepper.plot.centers.get_offsets(), stepper.history[-1].centers)


@pytest.mark.parametrize("init", ["random", "farthest"])
def test_changing_init_computes_a_new_history(stepper, blobs, init):
    stepper.init_dropdown.value = init
    assert_same_history(stepper.history, reference_steps(blobs, 3, init, 0))


def test_changing_seed_computes_a_new_history(stepper, blobs):
    first = stepper.history[0].centers
    stepper.seed_input.value = 5
    assert_same_history(stepper.history, reference_steps(blobs, 3, "k-means++", 5))
    assert not np.array_equal(stepper.history[0].centers, first)


def test_restart_starts_from_the_next_seed(stepper, blobs):
    stepper.restart_button.click()
    assert stepper.seed == 1
    assert_same_history(stepper.history, reference_steps(blobs, 3, "k-means++", 1))
    assert "seed 1" in stepper.plot.title.get_text()


def test_message_counts_half_steps_as_the_title_does(stepper):
    # The title says "half-step s/last"; the message must name the same last half-step.
    last = len(stepper.history) - 1
    stepper.step = last
    assert f"half-step {last}/{last}" in stepper.plot.title.get_text()
    assert f"at half-step {last} (half-step 0 is the start)" in stepper.view.message
    assert repr(stepper).endswith(f"half-steps 0..{last})")


def test_d2_option_shows_the_kmeans_pp_picks_before_the_run(blobs):
    stepper = KMeansStepper(blobs, k=3, show_d2=True)
    assert stepper.n_picks == 3 and stepper.chances.shape == (3, 300)
    assert stepper.view.max == 3 + len(stepper.history) - 1
    assert stepper.view.frames["seeding"]["titles"][1].startswith("k-means++ pick 2/3")
    assert "how k-means++ picked the start" in stepper.view.message
    stepper.view.value = 1  # a pick: the half-step is still the start
    assert stepper.step == 0
    stepper.step = 2
    assert stepper.view.value == 5
    assert_same_history(stepper.history, reference_steps(blobs, 3, "k-means++", 0))


def test_d2_option_follows_the_checkbox_and_only_for_kmeans_pp(stepper):
    assert stepper.n_picks == 0 and stepper.view.frames["seeding"] is None
    stepper.d2_checkbox.value = True
    assert stepper.n_picks == 3 and stepper.view.frames["seeding"] is not None
    stepper.init_dropdown.value = "random"
    assert stepper.n_picks == 0 and stepper.d2_checkbox.disabled


# --- student functions ---------------------------------------------------------------------


def loop_assign(X, C):
    """A correct but differently written assignment."""
    distances = np.array([[np.sum((x - c) ** 2) for c in C] for x in X])
    return np.argmin(distances, axis=1)


def loop_update(X, labels, C):
    """A correct update that keeps the centre of an empty cluster."""
    new = C.copy()
    for j in range(len(C)):
        if np.any(labels == j):
            new[j] = X[labels == j].mean(axis=0)
    return new


def farthest_assign(X, C):
    """The classic slip: argmax instead of argmin."""
    return ((X[:, np.newaxis, :] - C) ** 2).sum(axis=2).argmax(axis=1)


def test_correct_student_functions_replay_like_the_reference(blobs):
    stepper = KMeansStepper(blobs, k=3, assign=loop_assign, update=loop_update)
    expected = reference_steps(blobs, 3, "k-means++", 0)
    assert [s.kind for s in stepper.history] == [s.kind for s in expected]
    for shown, ref in zip(stepper.history, expected):
        np.testing.assert_allclose(shown.centers, ref.centers, rtol=1e-10)
        if ref.labels is not None:
            np.testing.assert_array_equal(shown.labels, ref.labels)
            assert shown.loss == pytest.approx(ref.loss, rel=1e-10)
    assert stepper.replay.error is None and stepper.replay.rises == []
    assert "Converged" in stepper.view.message
    assert "your assign + update" in stepper.plot.title.get_text()
    stepper.step = 3
    assert_frame_matches(stepper, 3)


def test_buggy_assign_is_replayed_and_flagged(blobs):
    stepper = KMeansStepper(blobs, k=3, assign=farthest_assign)
    stepper.step = 1
    assign_step = stepper.history[1]
    np.testing.assert_array_equal(assign_step.labels,
                                  farthest_assign(blobs, stepper.history[0].centers))
    np.testing.assert_array_equal(shown_labels(stepper), assign_step.labels)
    diffs = blobs - assign_step.centers[assign_step.labels]
    assert stepper.plot.loss_marker.get_ydata()[0] == pytest.approx(np.sum(diffs**2))
    step, text = stepper.replay.rises[0]
    assert stepper.history[step].kind == "assign" and "NEAREST" in text
    assert "J went up" in stepper.view.message
    stepper.step = step
    assert "J WENT UP" in stepper.plot.title.get_text()


def test_student_exception_is_shown_not_raised(blobs):
    def broken(X, labels, C):
        raise ZeroDivisionError("division by zero")

    stepper = KMeansStepper(blobs, k=3, update=broken)
    assert [s.kind for s in stepper.history] == ["init", "assign"]
    assert "your broken(X, labels, C) raised ZeroDivisionError: division by zero." \
        in stepper.view.message
    assert stepper.view.max == 1
    stepper.step = 1
    assert "failed after this step" in stepper.plot.title.get_text()


@pytest.mark.parametrize("update, expected", [
    (lambda X, labels, C: loop_update(X, labels, C).T, "expected (3, 2)"),
    (lambda X, labels, C: None, "did you forget `return`"),
    (lambda X, labels, C: "centres", "not an array of numbers"),
])
def test_unusable_update_results_are_named(blobs, update, expected):
    replay = replay_kmeans(blobs, blobs[:3], update=update)
    assert expected in replay.error
    assert "your update function" in replay.error
    assert [s.kind for s in replay.steps] == ["init", "assign"]


@pytest.mark.parametrize("assign, expected", [
    (lambda X, C: loop_assign(X, C)[:, np.newaxis], "expected (300,)"),
    (lambda X, C: loop_assign(X, C) + 5, "must lie in 0..2"),
    (lambda X, C: loop_assign(X, C) / 2, "whole numbers"),
])
def test_unusable_assign_results_are_named(blobs, assign, expected):
    replay = replay_kmeans(blobs, blobs[:3], assign=assign)
    assert expected in replay.error
    assert [s.kind for s in replay.steps] == ["init"]


def test_nan_from_an_empty_cluster_is_explained(blobs):
    def naive_update(X, labels, C):
        return np.array([X[labels == j].mean(axis=0) for j in range(len(C))])

    far_away = np.array([[0.0, 0.0], [6.0, 0.0], [100.0, 100.0]])
    replay = replay_kmeans(blobs, far_away, update=naive_update)
    assert "NaN" in replay.error and "Cluster(s) [2] had no members" in replay.error
    assert replay.steps[-1].kind == "assign"


def test_student_code_cannot_change_the_recorded_history(blobs):
    def in_place(X, labels, C):
        C += 1.0  # changes the copy it was given
        return C

    replay = replay_kmeans(blobs, blobs[:3], update=in_place, max_iter=3, tol=0)
    np.testing.assert_array_equal(replay.steps[0].centers, blobs[:3])
    np.testing.assert_allclose(replay.steps[2].centers, blobs[:3] + 1.0)

    def moves_X(X, labels, C):
        X -= 1.0
        return C

    replay = replay_kmeans(blobs, blobs[:3], update=moves_X)
    assert "change X in place" in replay.error


def test_student_run_uses_the_reference_stopping_rule(blobs):
    # tol=0: both stop at the first update that leaves J unchanged, not at max_iter.
    reference = kmeans(blobs, blobs[:3], tol=0)
    replay = replay_kmeans(blobs, blobs[:3], update=loop_update, tol=0)
    assert replay.converged and replay.n_iter == reference.n_iter < 100
    replay = replay_kmeans(blobs, blobs[:3], update=loop_update, max_iter=2, tol=0)
    assert replay.n_iter == 2 and not replay.converged
    stepper = KMeansStepper(blobs, update=loop_update, max_iter=2, tol=0)
    assert "max_iter=2" in stepper.view.message


# --- data the stepper draws ----------------------------------------------------------------


def test_more_than_two_features_are_projected_to_principal_components():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 5)) * [5.0, 3.0, 1.0, 0.5, 0.2] @ np.linalg.qr(
        rng.normal(size=(5, 5)))[0]
    stepper = KMeansStepper(X, k=3)
    ax = stepper.plot.ax_data
    assert ax.get_xlabel().startswith("PC 1") and ax.get_ylabel().startswith("PC 2")
    assert "principal components" in ax.get_title()
    pca = PCA(2).fit(X)
    stepper.step = 2
    expected = pca.transform(stepper.history[2].centers)
    # Principal components are defined up to sign.
    np.testing.assert_allclose(np.abs(stepper.plot.centers.get_offsets()), np.abs(expected),
                               atol=1e-8)
    np.testing.assert_allclose(np.abs(stepper.plot.xy), np.abs(pca.transform(X)), atol=1e-8)


def test_regions_of_projected_data_are_the_slice_through_the_plane():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(150, 4))
    stepper = KMeansStepper(X, k=4, seed=2)
    plot, proj = stepper.plot, stepper.plot.projection
    left, right, bottom, top = plot.regions.get_extent()
    rows, cols = rng.integers(GRID_SIZE, size=(2, 100))
    plane = np.column_stack([left + (cols + 0.5) * (right - left) / GRID_SIZE,
                             bottom + (rows + 0.5) * (top - bottom) / GRID_SIZE])
    lifted = proj.mean + plane @ proj.components  # the same points in the 4-D space
    expected = reference_assign(lifted, stepper.history[0].centers)
    palette = cluster_colors(4)[:, :3]
    rgba = plot.regions.get_array()
    drawn = np.abs(rgba[rows, cols, np.newaxis, :3] - palette).sum(axis=-1).argmin(axis=1)
    np.testing.assert_array_equal(drawn, expected)


def test_dataframe_columns_label_the_axes(blobs):
    import pandas as pd

    frame = pd.DataFrame(blobs, columns=["eruptions", "waiting"])
    stepper = KMeansStepper(frame, k=2)
    assert stepper.plot.ax_data.get_xlabel() == "eruptions"
    assert stepper.plot.ax_data.get_ylabel() == "waiting"


def test_float32_data_work(blobs):
    stepper = KMeansStepper(blobs.astype(np.float32), k=3)
    stepper.step = stepper.view.max
    assert stepper.replay.converged


# --- bad arguments -------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(k=0), ValueError, "at least 1"),
    (dict(k=11), ValueError, "k <= 10"),
    (dict(k=2.5), TypeError, "whole number"),
    (dict(init="kmeans++"), ValueError, "init must be one of"),
    (dict(seed=-1), ValueError, "seed must be a whole number from 0"),
    (dict(seed="0"), ValueError, "seed must be a whole number"),
    (dict(assign=42), TypeError, "assign must be a function"),
    (dict(update=loop_update(np.zeros((2, 2)), np.zeros(2, int), np.zeros((1, 2)))),
     TypeError, "without calling it"),
    (dict(max_iter=-1), ValueError, "max_iter"),
    (dict(show_d2="yes"), TypeError, "show_d2 must be True or False"),
])
def test_bad_settings_are_refused_with_a_clear_error(blobs, kwargs, error, words):
    with pytest.raises(error, match=words):
        KMeansStepper(blobs, **kwargs)


@pytest.mark.parametrize("X, error, words", [
    (np.arange(10.0), ValueError, "reshape"),
    (np.arange(10.0).reshape(-1, 1), ValueError, "at least 2 columns"),
    (np.array([[0.0, np.nan], [1.0, 1.0]]), ValueError, "NaN"),
    (np.zeros((2, 2)), ValueError, "k=3 is larger than the number of samples"),
])
def test_bad_data_are_refused_with_a_clear_error(X, error, words):
    with pytest.raises(error, match=words):
        KMeansStepper(X, k=3)


# --- display and headless safety -----------------------------------------------------------


def test_creating_a_stepper_does_not_open_a_pyplot_figure(blobs):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    KMeansStepper(blobs).close()
    assert plt.get_fignums() == before


def test_displays_as_one_widget_with_a_short_text(stepper):
    bundle = stepper._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == \
        stepper.widget.model_id
    assert bundle["text/plain"] == repr(stepper)
    assert repr(stepper).startswith("KMeansStepper(n=300, d=2, k=3, init='k-means++', seed=0,")
    assert "image/png" not in bundle
    assert "kmeans-stepper" in stepper.widget._dom_classes
    assert stepper.view in stepper.widget.children


def test_the_javascript_and_css_are_package_data():
    import tomllib
    from pathlib import Path

    from kmeans_lessons.widgets import STATIC

    root = Path(__file__).resolve().parents[1]
    listed = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["kmeans_lessons"]
    for path in STATIC.iterdir():
        assert any(path.match(pattern) for pattern in listed), f"{path.name} is not package data"


def test_the_view_ships_its_javascript_inside_the_package(stepper):
    from kmeans_lessons.widgets import STATIC

    state = stepper.view.get_state()
    assert state["_esm"] == (STATIC / "stepper.js").read_text(encoding="utf-8")
    assert "export default" in state["_esm"] and "import " not in state["_esm"]
    assert state["_css"] == (STATIC / "stepper.css").read_text(encoding="utf-8")


def test_executing_a_notebook_with_the_stepper_finishes(tmp_path):
    """nbclient (as nbval and the autograder use it) runs a stepper cell without a browser."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\n"
            "from kmeans_lessons.widgets import KMeansStepper\n"
            "X = np.random.default_rng(0).normal(size=(200, 2))\n"
            "stepper = KMeansStepper(X, k=3)\n"
            "stepper"),
        nbformat.v4.new_code_cell(
            "stepper.step = len(stepper.history) - 1\n"
            "print(stepper.history[stepper.step].kind)"),
    ]
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = nb.cells[0].outputs
    assert len(shown) == 1, "the stepper shows once: no second copy of the figure"
    data = shown[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data and "image/png" not in data
    assert data["text/plain"].startswith("KMeansStepper(")
    assert nb.cells[1].outputs[0]["text"] == "assign\n"
    # The run is saved with the notebook, so a page without a kernel can replay it.
    saved = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    views = [m["state"] for m in saved.values()
             if m["state"].get("_anywidget_id") == "kmeans_lessons.widgets.StepperView"]
    assert len(views) == 1 and views[0]["frames"]["n"] == 200 and views[0]["_esm"]
