"""The Old Faithful lesson in a real browser: JupyterLab, Chromium, the stepper widget.

nbval and nbclient never render a widget; this test does what a student does. It serves a copy
of notebooks/03_old_faithful.ipynb with JupyterLab on 127.0.0.1, opens it in Debian's Chromium
driven by Playwright (the system browser, through ``executable_path``; nothing downloads a
browser), runs all cells, moves the stepper's slider two half-steps with the keyboard, presses
Play, and checks that the picture changes at every step (drawn in the browser from the run the
kernel sent once), that changing k makes the kernel send a new run, and that no cell shows an
error. Screenshots go to test-artifacts/browser/. The same stepper on the static site, with no
kernel at all: test_site.py.

Needs the ``playwright`` Python package and a Chromium binary (``apt-get install chromium``);
without them the test is skipped with the reason, unless KMEANS_LESSONS_REQUIRE_BROWSER=1 (set by
.ci/run), which turns the skip into a failure. KMEANS_LESSONS_CHROMIUM names another binary.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

import browser_helpers as bh
import notebook_helpers as nh

LESSON = nh.NOTEBOOKS / "03_old_faithful.ipynb"
SHOTS = bh.SHOTS
#: Milliseconds allowed for Run All on the lesson (about 10 s when run by nbclient).
RUN_ALL_TIMEOUT = 180_000
#: Milliseconds for one slider step or one Play tick to be drawn (in the browser, no kernel).
STEP_TIMEOUT = 30_000

STDERR = 'application/vnd.jupyter.stderr'


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_settings(settings):
    """JupyterLab user settings: no news popup, every cell in the DOM (no windowing)."""
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for name, values in files.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@pytest.fixture
def lab_url():
    """A JupyterLab server on 127.0.0.1 serving a copy of the lesson without outputs, as a student
    first opens it (every prompt and widget on the page then comes from this run, not from the
    saved file); yields the lesson's URL."""
    nb = _lesson()
    for _, cell in nh.code_cells(nb):
        cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    yield from _serve(nb)


@pytest.fixture
def saved_lab_url():
    """The same server with the lesson as committed: its stored outputs and widget state, the
    notebook trusted (JupyterLab renders widget and HTML outputs of trusted notebooks only; a
    student's own run is trusted, a downloaded file needs File > Trust Notebook)."""
    yield from _serve(_lesson(), trust=True)


def _lesson():
    if not LESSON.exists():
        pytest.skip(f"{LESSON.name} does not exist yet")
    return nh.read(LESSON)


def _serve(nb, trust=False):
    home = Path(tempfile.mkdtemp(prefix="kmeans-lab-"))
    root = home / "root"
    root.mkdir()
    nbformat.write(nb, root / LESSON.name)  # a copy: JupyterLab autosaves
    _write_settings(home / "settings")
    # Its own data folder too: the trust database of the test is not the user's.
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    if trust:
        subprocess.run([sys.executable, "-m", "jupyter", "trust", str(root / LESSON.name)],
                       env=env, check=True, capture_output=True)
    port = _free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--port-retries=0", f"--ServerApp.root_dir={root}",
               "--IdentityProvider.token=", "--ServerApp.password=", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = open(SHOTS / "jupyterlab.log", "w", encoding="utf-8")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_server(port, server)
        yield f"http://127.0.0.1:{port}/lab/tree/{LESSON.name}"
    finally:
        server.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def _wait_for_server(port, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}; see {SHOTS / 'jupyterlab.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer on port {port} within {timeout} s")


def _errors_on_page(page):
    """Text of every error output and every widget that failed to render."""
    errors = page.locator(f'.jp-OutputArea-output[data-mime-type="{STDERR}"]').all_inner_texts()
    broken = page.locator(".jp-OutputArea-output:has-text('Error displaying widget')")
    return [text.strip()[:300] for text in errors + broken.all_inner_texts()]


def _run_all(page, n_code):
    """Run > Run All Cells, then wait until every code cell shows its execution count."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item:visible .lm-Menu-itemLabel:text-is('Run All Cells')").click()
    page.wait_for_function(
        """n => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            return prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", arg=n_code, timeout=RUN_ALL_TIMEOUT)


def _wait_for_frame(page, view, frame):
    """Wait until the stepper's picture shows ``frame`` (the view says which frame it drew)."""
    page.wait_for_function("([el, f]) => el.dataset.frame === f",
                           arg=[view.element_handle(), str(frame)], timeout=STEP_TIMEOUT)


def _shot(view, name):
    path = SHOTS / f"{name}.png"
    view.locator(".kmeans-stepper-figure").screenshot(path=str(path))
    return path


def test_stepper_plot_changes_with_slider_and_play_in_jupyterlab(lab_url):
    executable = bh.chromium()
    sync_playwright = bh.playwright()
    n_code = len(nh.code_cells(nh.read(LESSON)))
    for old in SHOTS.glob("*.png"):
        if not old.name.startswith("site-"):
            old.unlink()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=bh.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(lab_url)
            # The toolbar says idle before the kernel is attached; the status bar does not.
            page.locator("#jp-main-statusbar", has_text=re.compile(r"\|\s*Idle")).wait_for(
                timeout=60_000)
            _run_all(page, n_code)
            assert not _errors_on_page(page), f"cells show errors: {_errors_on_page(page)}"

            stepper = page.locator(".kmeans-stepper").first
            stepper.scroll_into_view_if_needed()
            view = stepper.locator(".kmeans-stepper-view")
            view.wait_for(timeout=STEP_TIMEOUT)
            _wait_for_frame(page, view, 0)
            readout = view.locator(".kmeans-stepper-readout")
            last = int(readout.inner_text().split("/")[1])
            assert readout.inner_text() == f"0/{last}"
            # The settings are ipywidgets beside the view, live with the kernel.
            assert stepper.locator(".widget-dropdown select").input_value() == "random"
            shots = [_shot(view, "step-0")]

            slider = view.locator("input.kmeans-stepper-slider")
            for step in (1, 2):
                # one key at a time: wait for the readout and the new frame before the next
                slider.focus()
                slider.press("ArrowRight")
                _wait_for_frame(page, view, step)
                assert readout.inner_text() == f"{step}/{last}"
                assert view.get_attribute("data-title").startswith(f"half-step {step}/{last} ")
                shots.append(_shot(view, f"step-{step}"))

            play = view.locator("button.kmeans-stepper-play")
            play.click()
            page.wait_for_function(
                "el => Number(el.dataset.frame) >= 4", arg=view.element_handle(),
                timeout=STEP_TIMEOUT)
            play.click()  # pause
            played = int(view.get_attribute("data-frame"))
            page.wait_for_timeout(1500)
            assert int(view.get_attribute("data-frame")) == played, "Play did not pause"
            shots.append(_shot(view, f"played-to-step-{played}"))
            bh.assert_all_different(shots)

            # k is a setting: the kernel computes a new run and the view starts it at frame 0.
            title = view.get_attribute("data-title")
            k_box = stepper.locator(".widget-inline-hbox", has_text="k").locator("input").first
            k_box.fill("3")
            k_box.press("Enter")
            page.wait_for_function(
                "([el, t]) => el.dataset.frame === '0' && el.dataset.title !== t "
                "&& el.dataset.title.includes('k=3')",
                arg=[view.element_handle(), title], timeout=STEP_TIMEOUT)
            shots.append(_shot(view, "k-3-step-0"))
            assert not _errors_on_page(page), f"cells show errors: {_errors_on_page(page)}"
        finally:
            page.screenshot(path=str(SHOTS / "page.png"), full_page=False)
            browser.close()


def test_stored_outputs_show_the_stepper_in_jupyterlab_without_running(saved_lab_url):
    """The committed notebook, opened and not run: the stepper is drawn from the saved widget
    state (as on the static site) and its slider works without the kernel."""
    executable = bh.chromium()
    sync_playwright = bh.playwright()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=bh.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(saved_lab_url)
            view = page.locator(".kmeans-stepper-view").first
            view.wait_for(timeout=60_000)
            view.scroll_into_view_if_needed()
            _wait_for_frame(page, view, 0)
            title = view.get_attribute("data-title")
            assert title.startswith("half-step 0/") and "k=2, random, seed 4" in title
            shots = [_shot(view, "saved-step-0")]
            slider = view.locator("input.kmeans-stepper-slider")
            slider.focus()
            slider.press("ArrowRight")
            _wait_for_frame(page, view, 1)
            assert view.get_attribute("data-title").startswith("half-step 1/")
            shots.append(_shot(view, "saved-step-1"))
            bh.assert_all_different(shots)
            # no cell was run: the prompts still show the stored execution counts
            assert not page.locator(".jp-InputArea-prompt", has_text="[*]").count()
        finally:
            page.screenshot(path=str(SHOTS / "saved-page.png"), full_page=False)
            browser.close()
