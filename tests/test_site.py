"""The static course site: `make site` pages, and the stepper working on lesson 03's page in a real
browser with no Jupyter server, no kernel and no network.

The browser test builds the page of notebooks/03_old_faithful.ipynb from its stored outputs,
opens it from disk (file://) in Debian's Chromium through Playwright with every request that is
not a local file refused, moves the first stepper's slider with the keyboard and presses Play,
and checks at every frame that the title is the run's title for that frame and that centres,
samples and shaded regions sit where the saved run's frames put them, in their colours.
Screenshots go to test-artifacts/browser/site-*.png.
"""

import re

import numpy as np
import pytest

import browser_helpers as bh
import notebook_helpers as nh
from kmeans_lessons.frames import decode
from kmeans_lessons.site import STEPPER_ID, build_page, build_site, widget_states

LESSON = nh.NOTEBOOKS / "03_old_faithful.ipynb"
#: Milliseconds for the page to show its steppers, and for one slider step or Play tick.
TIMEOUT = 30_000
LOCAL = ("file:", "blob:", "data:", "about:")


def saved_steppers(path):
    """The saved state of every stepper view in the notebook, in the order of its outputs."""
    nb = nh.read(path)
    states = widget_states(nb)
    found = []
    for _, cell in nh.code_cells(nb):
        for output in cell.outputs:
            view = output.get("data", {}).get(nh.WIDGET_MIME)
            if view is None:
                continue
            todo = [view["model_id"]]
            while todo:
                model = states.get(todo.pop(0))
                if model is None:
                    continue
                state = model["state"]
                if state.get("_anywidget_id") == STEPPER_ID:
                    found.append(state)
                    break
                todo += [c[len("IPY_MODEL_"):] for c in state.get("children", [])]
    return found


# --- the pages ----------------------------------------------------------------------------------


def test_site_has_a_landing_page_and_a_page_per_lesson(tmp_path):
    lessons = nh.lesson_paths()
    pages = build_site(nh.NOTEBOOKS, tmp_path)
    assert pages[0].name == "index.html"
    assert [p.name for p in pages[1:]] == [f"{p.stem}.html" for p in lessons]
    index = pages[0].read_text(encoding="utf-8")
    for path in lessons:
        assert f'href="{path.stem}.html"' in index
        title = nh.read(path).cells[0].source.splitlines()[0].lstrip("#").strip()
        assert title.replace("&", "&amp;") in index
    for page in pages:
        text = page.read_text(encoding="utf-8")
        # nothing is fetched from elsewhere when the page is viewed
        assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", text), \
            page.name
        assert "application/vnd.jupyter.widget-state+json" not in text


def test_lesson_page_carries_each_stepper_with_its_module(tmp_path):
    steppers = saved_steppers(LESSON)
    assert len(steppers) >= 1, "lesson 03 shows the stepper; execute it so its state is saved"
    page, _, _ = build_page(LESSON, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert text.count('class="kmeans-stepper-static"') == len(steppers)
    assert "showSavedSteppers" in text and "export default" in text


def test_a_page_needs_an_executed_notebook(tmp_path):
    nb = nh.read(LESSON)
    for _, cell in nh.code_cells(nb):
        cell.outputs = []
    import nbformat

    bare = tmp_path / "bare.ipynb"
    nbformat.write(nb, bare)
    with pytest.raises(ValueError, match="has no outputs"):
        build_page(bare, tmp_path / "out")


def test_saved_stepper_module_is_the_packages(tmp_path):
    # A notebook executed before the module changed would show the old drawing on the site.
    from kmeans_lessons.widgets import STATIC

    module = (STATIC / "stepper.js").read_text(encoding="utf-8")
    for state in saved_steppers(LESSON):
        assert state["_esm"] == module, (
            "notebooks/03_old_faithful.ipynb holds an older stepper.js: execute it again "
            "(see the README, 'The course site')")


# --- the stepper on the page, in Chromium -------------------------------------------------------


class Picture:
    """Where the saved run's frame puts things on the canvas, in CSS pixels."""

    def __init__(self, state):
        self.frames = frames = state["frames"]
        self.layout = layout = frames["layout"]
        self.xy = decode(frames["xy"], np.float32, (frames["n"], 2)).astype(float)
        self.width, self.height = layout["width"], layout["height"]
        spec = layout["data"]
        x0, y0, w, h = spec["box"]
        self.left, self.right = x0 * self.width, (x0 + w) * self.width
        self.top, self.bottom = self.height * (1 - y0 - h), self.height * (1 - y0)
        self.xlim, self.ylim = spec["xlim"], spec["ylim"]

    def px(self, points):
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        x = self.left + (points[:, 0] - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) \
            * (self.right - self.left)
        y = self.bottom - (points[:, 1] - self.ylim[0]) / (self.ylim[1] - self.ylim[0]) \
            * (self.bottom - self.top)
        return np.column_stack([x, y])

    def to_data(self, pixels):
        pixels = np.asarray(pixels, dtype=float)
        x = self.xlim[0] + (pixels[:, 0] - self.left) / (self.right - self.left) \
            * (self.xlim[1] - self.xlim[0])
        y = self.ylim[0] + (self.bottom - pixels[:, 1]) / (self.bottom - self.top) \
            * (self.ylim[1] - self.ylim[0])
        return np.column_stack([x, y])

    def step(self, frame):
        return self.frames["steps"][frame]

    def labels(self, frame):
        which = self.step(frame)["labels"]
        return None if which < 0 else decode(self.frames["labels"][which], np.uint8)

    def centres(self, frame):
        return np.asarray(self.frames["centres"][self.step(frame)["iteration"]])

    def clear_spots(self, frame, rng, count=40):
        """Pixels inside the data panel far from every sample, centre and trail point."""
        t = self.step(frame)["iteration"]
        busy = np.vstack([self.px(self.xy),
                          self.px(np.asarray(self.frames["centres"][:t + 1]).reshape(-1, 2))])
        spots = np.column_stack([rng.uniform(self.left + 4, self.right - 4, 4000),
                                 rng.uniform(self.top + 4, self.bottom - 4, 4000)])
        far = np.min(np.linalg.norm(spots[:, None, :] - busy[None, :, :], axis=2), axis=1) > 14
        # and away from the trails (segments between a centre's successive positions)
        path = self.px(np.asarray(self.frames["centres"][:t + 1]).reshape(-1, 2)).reshape(
            t + 1, -1, 2)
        for a, b in zip(path[:-1].reshape(-1, 2), path[1:].reshape(-1, 2)):
            ab = b - a
            along = np.clip(((spots - a) @ ab) / max(ab @ ab, 1e-9), 0, 1)
            far &= np.linalg.norm(spots - (a + along[:, None] * ab), axis=1) > 6
        return spots[far][:count]

    def region_of(self, pixels, frame):
        """Nearest centre of the grid cell each pixel falls in (2-D data: no off-plane term)."""
        size, (x0, x1, y0, y1) = self.frames["grid"]["size"], self.frames["grid"]["extent"]
        data = self.to_data(pixels)
        col = np.clip(((data[:, 0] - x0) / (x1 - x0) * size).astype(int), 0, size - 1)
        row = np.clip(((data[:, 1] - y0) / (y1 - y0) * size).astype(int), 0, size - 1)
        cells = np.column_stack([x0 + (col + 0.5) * (x1 - x0) / size,
                                 y0 + (row + 0.5) * (y1 - y0) / size])
        centres = self.centres(frame)
        return ((cells[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)

    def isolated_samples(self, count=30):
        """Samples with no other sample within 6 px (their pixel shows their own colour)."""
        pixels = self.px(self.xy)
        gaps = np.linalg.norm(pixels[:, None, :] - pixels[None, :, :], axis=2)
        np.fill_diagonal(gaps, np.inf)
        return np.flatnonzero(gaps.min(axis=1) > 6)[:count]


def rgb(hex_colour):
    value = int(hex_colour[1:], 16)
    return np.array([(value >> 16) & 255, (value >> 8) & 255, value & 255])


def read_pixels(view, pixels):
    """RGBA (m, 4) of the moving canvas at CSS pixel positions."""
    return np.array(view.evaluate(
        """(root, points) => {
            const canvas = root.querySelector("canvas.kmeans-stepper-moving");
            const ctx = canvas.getContext("2d");
            // canvas pixels per CSS pixel of the figure (the device pixel ratio)
            const scale = canvas.width / parseFloat(
                root.querySelector(".kmeans-stepper-figure").style.width);
            return points.map(([x, y]) => Array.from(
                ctx.getImageData(Math.floor(x * scale), Math.floor(y * scale), 1, 1).data));
        }""", [list(map(float, p)) for p in pixels]))


def assert_frame_drawn(view, picture, frame, rng):
    """Title, centres, samples and regions of ``frame`` are on the canvas."""
    step = picture.step(frame)
    assert view.get_attribute("data-frame") == str(frame)
    assert view.get_attribute("data-title") == step["title"]
    colours = [rgb(c) for c in picture.frames["colors"]]
    # every centre, in its colour (the middle of the X marker)
    centres = picture.centres(frame)
    drawn = read_pixels(view, picture.px(centres))
    others = np.linalg.norm(centres[:, None] - centres[None], axis=2) + np.eye(len(centres)) * 1e9
    for j, pixel in enumerate(drawn):
        if others[j].min() > 0:
            np.testing.assert_allclose(pixel[:3], colours[j], atol=3, err_msg=f"centre {j}")
    # isolated samples, in the colour of their cluster (grey before the first assignment)
    samples = picture.isolated_samples()
    drawn = read_pixels(view, picture.px(picture.xy[samples]))
    labels = picture.labels(frame)
    for i, pixel in zip(samples, drawn):
        expected = rgb(picture.layout["colors"]["unassigned"]) if labels is None \
            else colours[labels[i]]
        np.testing.assert_allclose(pixel[:3], expected, atol=40, err_msg=f"sample {i}")
        assert pixel[3] > 200
    # the shaded regions: light, in the colour of the nearest centre
    spots = picture.clear_spots(frame, rng)
    assert len(spots) >= 10
    drawn = read_pixels(view, spots)
    alpha = round(picture.frames["region_alpha"] * 255)
    assert np.all(np.abs(drawn[:, 3] - alpha) <= 2), drawn[:, 3]
    nearest_colour = np.abs(drawn[:, None, :3] - np.array(colours)[None]).sum(axis=2).argmin(1)
    np.testing.assert_array_equal(nearest_colour, picture.region_of(spots, frame))


def shot(view, name):
    path = bh.SHOTS / f"site-{name}.png"
    view.locator(".kmeans-stepper-figure").screenshot(path=str(path))
    return path


def test_stepper_steps_and_plays_on_the_static_page_without_a_kernel(tmp_path):
    executable = bh.chromium()
    sync_playwright = bh.playwright()
    steppers = saved_steppers(LESSON)
    assert steppers, "lesson 03 has no saved stepper: execute it (see the README)"
    page_path, _, _ = build_page(LESSON, tmp_path)
    picture = Picture(steppers[0])
    last = len(picture.frames["steps"]) - 1
    rng = np.random.default_rng(0)
    bh.SHOTS.mkdir(parents=True, exist_ok=True)
    for old in bh.SHOTS.glob("site-*.png"):
        old.unlink()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=bh.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        outside, errors = [], []

        def only_local(route):
            if route.request.url.startswith(LOCAL):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto(page_path.as_uri())
            holders = page.locator(".kmeans-stepper-static")
            page.wait_for_function(
                "n => document.querySelectorAll('.kmeans-stepper-static[data-rendered]').length"
                " === n", arg=len(steppers), timeout=TIMEOUT)
            assert [h.get_attribute("data-rendered") for h in holders.all()] == \
                ["true"] * len(steppers)
            view = holders.first.locator(".kmeans-stepper-view")
            view.scroll_into_view_if_needed()
            readout = view.locator(".kmeans-stepper-readout")
            assert readout.inner_text() == f"0/{last}"
            assert "running kernel" in view.locator(".kmeans-stepper-note").inner_text()
            assert "Converged" in view.locator(".kmeans-stepper-message").inner_text()
            assert_frame_drawn(view, picture, 0, rng)
            shots = [shot(view, "step-0")]

            slider = view.locator("input.kmeans-stepper-slider")
            for frame in (1, 2):
                slider.focus()
                slider.press("ArrowRight")
                page.wait_for_function("([el, f]) => el.dataset.frame === f",
                                       arg=[view.element_handle(), str(frame)], timeout=TIMEOUT)
                assert readout.inner_text() == f"{frame}/{last}"
                assert_frame_drawn(view, picture, frame, rng)
                shots.append(shot(view, f"step-{frame}"))

            play = view.locator("button.kmeans-stepper-play")
            play.click()
            page.wait_for_function("el => Number(el.dataset.frame) >= 5",
                                   arg=view.element_handle(), timeout=TIMEOUT)
            play.click()  # pause
            assert "play" in play.inner_text()
            played = int(view.get_attribute("data-frame"))
            page.wait_for_timeout(1500)
            assert int(view.get_attribute("data-frame")) == played, "Play did not pause"
            assert_frame_drawn(view, picture, played, rng)
            shots.append(shot(view, f"played-to-step-{played}"))
            bh.assert_all_different(shots)

            # Play from the end starts again from the start and runs to the end.
            slider.focus()
            slider.press("End")
            page.wait_for_function("([el, f]) => el.dataset.frame === f",
                                   arg=[view.element_handle(), str(last)], timeout=TIMEOUT)
            assert_frame_drawn(view, picture, last, rng)
            shots.append(shot(view, f"step-{last}"))
            assert not outside, f"the page tried to fetch {outside}"
            assert not errors, f"errors on the page: {errors}"
        finally:
            page.screenshot(path=str(bh.SHOTS / "site-page.png"))
            browser.close()
