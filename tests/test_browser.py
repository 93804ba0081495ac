"""The Old Faithful lesson in a real browser: JupyterLab, Chromium, the stepper widget.

nbval and nbclient never render a widget; this test does what a student does. It serves a copy
of notebooks/03_old_faithful.ipynb with JupyterLab on 127.0.0.1, opens it in Debian's Chromium
driven by Playwright (the system browser, through ``executable_path``; nothing downloads a
browser), runs all cells, moves the stepper's slider two half-steps with the keyboard, presses
Play, and checks that the plot changes at every step and that no cell shows an error.
Screenshots go to test-artifacts/browser/.

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

import notebook_helpers as nh

LESSON = nh.NOTEBOOKS / "03_old_faithful.ipynb"
SHOTS = nh.ARTIFACTS / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: Milliseconds allowed for Run All on the lesson (about 10 s when run by nbclient).
RUN_ALL_TIMEOUT = 180_000
#: Milliseconds for one slider step or one Play tick to reach the kernel and come back as a frame.
STEP_TIMEOUT = 30_000
#: Two frames count as different when more than this fraction of the pixels of their panels
#: differ (measured on 03: 1.6 % from half-step 0 to 1, 4 % from 1 to 2).
MIN_CHANGED_FRACTION = 0.005
#: The top of the figure holds the title, which names the half-step: it changes on every step
#: even if the drawing does not, so the comparison leaves it out.
TITLE_BAND = 0.2

STDERR = 'application/vnd.jupyter.stderr'


def _unavailable(reason):
    if os.environ.get("KMEANS_LESSONS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (KMEANS_LESSONS_REQUIRE_BROWSER=1 forbids skipping)")
    pytest.skip(reason)


def _chromium():
    """Path of the Chromium binary, or skip saying how to get one."""
    named = os.environ.get("KMEANS_LESSONS_CHROMIUM")
    candidates = [named] if named else ["chromium", "chromium-browser"]
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    _unavailable(f"no Chromium binary ({named or 'chromium'}) on PATH: install it with "
                 f"`apt-get install -y chromium` (.ci/run does so when it runs as root)")


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed: `pip install playwright` "
                     "(never `playwright install`; the test uses the system Chromium)")
    return sync_playwright


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
    """A JupyterLab server on 127.0.0.1 serving a copy of the lesson; yields the lesson's URL."""
    if not LESSON.exists():
        pytest.skip(f"{LESSON.name} does not exist yet")
    home = Path(tempfile.mkdtemp(prefix="kmeans-lab-"))
    root = home / "root"
    root.mkdir()
    # A copy (JupyterLab autosaves) without outputs, as a student first opens it: every prompt and
    # every widget on the page then comes from this run, not from the saved file.
    nb = nh.read(LESSON)
    for _, cell in nh.code_cells(nb):
        cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, root / LESSON.name)
    _write_settings(home / "settings")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
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


def _changed_fraction(first, second):
    """Fraction of the panels' pixels (below the title band) that differ between two screenshots
    (1.0 if their sizes differ)."""
    import numpy as np
    from PIL import Image

    a = np.asarray(Image.open(first).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(second).convert("RGB"), dtype=np.int16)
    if a.shape != b.shape:
        return 1.0
    below_title = int(a.shape[0] * TITLE_BAND)
    return float((np.abs(a - b).max(axis=2) > 16)[below_title:].mean())


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


def _frame(stepper):
    """The stepper's current image source (a blob: URL that changes with every new frame)."""
    return stepper.locator("img").first.get_attribute("src") or ""


def _wait_for_new_frame(page, stepper, old_src, readout=None):
    page.wait_for_function(
        """([img, old]) => img.src && img.src !== old && img.complete""",
        arg=[stepper.locator("img").first.element_handle(), old_src], timeout=STEP_TIMEOUT)
    if readout is not None:
        assert stepper.locator(".widget-slider .widget-readout").inner_text().strip() == readout


def _wait_until_steady(page, stepper, settle_ms=1500):
    """Wait until the readout and the frame stop changing; return the readout."""
    deadline = time.monotonic() + STEP_TIMEOUT / 1000
    readout = stepper.locator(".widget-slider .widget-readout")
    last = None
    while time.monotonic() < deadline:
        now = (readout.inner_text().strip(), _frame(stepper))
        if now == last:
            return now[0]
        last = now
        page.wait_for_timeout(settle_ms)
    pytest.fail("the stepper kept changing after Play was paused")


def _shot(stepper, name):
    path = SHOTS / f"{name}.png"
    stepper.locator("img").first.screenshot(path=str(path))
    return path


def test_stepper_plot_changes_with_slider_and_play_in_jupyterlab(lab_url):
    executable = _chromium()
    sync_playwright = _playwright()
    n_code = len(nh.code_cells(nh.read(LESSON)))
    for old in SHOTS.glob("*.png"):
        old.unlink()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
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
            stepper.locator("img").first.wait_for(timeout=STEP_TIMEOUT)
            readout = stepper.locator(".widget-slider .widget-readout")
            assert readout.inner_text().strip() == "0"
            shots = [_shot(stepper, "step-0")]

            handle = stepper.locator(".widget-slider .noUi-handle")
            for step in (1, 2):
                # one key at a time: wait for the readout and the new frame before the next
                before = _frame(stepper)
                handle.focus()
                handle.press("ArrowRight")
                _wait_for_new_frame(page, stepper, before, readout=str(step))
                shots.append(_shot(stepper, f"step-{step}"))

            # Play's first button toggles play / pause (the others are stop and repeat).
            play_pause = stepper.locator(".widget-play button").first
            play_pause.click()
            page.wait_for_function(
                "el => Number(el.textContent) >= 4", arg=readout.element_handle(),
                timeout=STEP_TIMEOUT)
            play_pause.click()
            played_step = _wait_until_steady(page, stepper)
            assert int(played_step) >= 4, f"Play stopped at half-step {played_step}"
            shots.append(_shot(stepper, f"played-to-step-{played_step}"))

            for first, second in zip(shots, shots[1:]):
                changed = _changed_fraction(first, second)
                assert changed > MIN_CHANGED_FRACTION, (
                    f"{second.name} looks like {first.name} ({changed:.4%} of pixels differ)")
            assert not _errors_on_page(page), f"cells show errors: {_errors_on_page(page)}"
        finally:
            page.screenshot(path=str(SHOTS / "page.png"), full_page=False)
            browser.close()
