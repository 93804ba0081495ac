"""Shared pieces of the real-browser tests (test_browser.py: JupyterLab; test_site.py: the static
site): finding Debian's Chromium and Playwright, and comparing screenshots.

Chromium runs through Playwright's ``executable_path`` (never ``playwright install``, which
downloads a browser). Without Chromium or Playwright the tests skip with the reason, unless
KMEANS_LESSONS_REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure.
KMEANS_LESSONS_CHROMIUM names another binary.
"""

import os
import shutil

import numpy as np
import pytest
from PIL import Image

import notebook_helpers as nh

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SHOTS = nh.ARTIFACTS / "browser"
#: Two frames count as different when more than this fraction of the pixels of their panels
#: differ (measured on 03: 1.6 % from half-step 0 to 1, 4 % from 1 to 2).
MIN_CHANGED_FRACTION = 0.005
#: The top of the figure holds the title, which names the half-step: it changes on every step
#: even if the drawing does not, so the comparison leaves it out.
TITLE_BAND = 0.2


def unavailable(reason):
    if os.environ.get("KMEANS_LESSONS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (KMEANS_LESSONS_REQUIRE_BROWSER=1 forbids skipping)")
    pytest.skip(reason)


def chromium():
    """Path of the Chromium binary, or skip saying how to get one."""
    named = os.environ.get("KMEANS_LESSONS_CHROMIUM")
    candidates = [named] if named else ["chromium", "chromium-browser"]
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    unavailable(f"no Chromium binary ({named or 'chromium'}) on PATH: install it with "
                f"`apt-get install -y chromium` (.ci/run does so when it runs as root)")


def playwright():
    """Playwright's ``sync_playwright``, or skip saying how to install it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python package is not installed: `pip install playwright` "
                    "(never `playwright install`; the test uses the system Chromium)")
    return sync_playwright


def changed_fraction(first, second):
    """Fraction of the panels' pixels (below the title band) that differ between two screenshots
    (1.0 if their sizes differ)."""
    a = np.asarray(Image.open(first).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(second).convert("RGB"), dtype=np.int16)
    if a.shape != b.shape:
        return 1.0
    below_title = int(a.shape[0] * TITLE_BAND)
    return float((np.abs(a - b).max(axis=2) > 16)[below_title:].mean())


def assert_all_different(shots):
    for first, second in zip(shots, shots[1:]):
        changed = changed_fraction(first, second)
        assert changed > MIN_CHANGED_FRACTION, (
            f"{second.name} looks like {first.name} ({changed:.4%} of pixels differ)")
