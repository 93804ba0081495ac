"""Cost of one slider step of the k-means stepper on 10 000 points, in a real browser.

    python benchmarks/bench_stepper.py [--n 10000] [--k 5] [--moves 120]

The stepper draws in the browser (kmeans_lessons/static/stepper.js) from a run Python computed
once. This script computes such a run, writes the page the course site would show for it
(kmeans_lessons.site.stepper_page), opens it from disk in Debian's Chromium through Playwright
(no Jupyter, no kernel, no network) and times, inside the page:

- a slider step: the slider's ``input`` event, the drawing of the new frame, and a one-pixel
  read of the canvas, which makes the browser finish rasterising it (canvas drawing is deferred
  until then). The first visit of a frame also builds its caches (the region image of its
  iteration, the sample paths of its labels); those cold steps are reported apart;
- the baseline, interleaved with the steps in the same run: a full redraw from scratch of the
  same frame (new canvases, axes, ticks, labels, J curve, and no caches), as a step would cost
  without the still/moving split and the caches.

For reference it also times what a step cost when the kernel drew every frame: matplotlib
updating the artists and encoding the PNG the old stepper sent to the browser
(kmeans_lessons.plotting.StepperPlot; the network and the browser's decoding not counted).

Prints medians and 90th percentiles in milliseconds, the ratio "step / full redraw", and the
budget check: the 90th percentile of all slider steps (cold ones included) under 50 ms. The exit
status is 1 when the budget is missed, 2 when no browser is available.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kmeans_lessons.site import stepper_page
from kmeans_lessons.widgets import KMeansStepper

BUDGET_MS = 50.0
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Runs inside the page: every move is one slider step; every fourth also a full redraw.
_TIME_STEPS = """async ([root, moves]) => {
    const slider = root.querySelector("input.kmeans-stepper-slider");
    const canvas = root.querySelector("canvas.kmeans-stepper-moving");
    const flush = () => canvas.getContext("2d").getImageData(0, 0, 1, 1);
    const seen = new Set([Number(root.dataset.frame)]);
    const steps = [], cold = [], redraws = [];
    for (let i = 0; i < moves.length; i++) {
        const frame = moves[i];
        let start = performance.now();
        slider.value = String(frame);
        slider.dispatchEvent(new Event("input"));
        flush();
        const ms = performance.now() - start;
        if (root.dataset.frame !== String(frame)) throw new Error(`frame ${frame} not drawn`);
        (seen.has(frame) ? steps : cold).push(ms);
        seen.add(frame);
        if (i % 4 === 0) {
            start = performance.now();
            root.kmeansStepper.redrawFromScratch(frame);
            flush();
            redraws.push(performance.now() - start);
        }
        // let the browser paint between moves, as between a student's key presses
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    }
    return { steps, cold, redraws };
}"""


def overlapping_blobs(n, k, rng):
    """n samples in k overlapping 2-D groups: enough overlap that k-means needs many steps."""
    middles = rng.uniform(-6, 6, size=(k, 2))
    return middles[rng.integers(k, size=n)] + rng.normal(scale=1.6, size=(n, 2))


def step_sequence(last, moves, rng):
    """Slider positions: forwards through the run, then back, then random jumps."""
    path = [*range(1, last + 1), *range(last - 1, -1, -1)]
    while len(path) < moves:
        path.append(int(rng.integers(last + 1)))
    # Never "move" to the step already shown: that would not draw a frame.
    return [s for i, s in enumerate(path[:moves]) if i == 0 or s != path[i - 1]]


def browser():
    """(sync_playwright, chromium path), or None with a message saying what is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright is not installed: pip install playwright (never `playwright install`)")
        return None
    path = shutil.which(os.environ.get("KMEANS_LESSONS_CHROMIUM", "chromium"))
    if path is None:
        print("no Chromium binary on PATH: apt-get install -y chromium")
        return None
    return sync_playwright, path


def summary(values):
    """'median X ms, 90th percentile Y ms' of a list of milliseconds."""
    if len(values) < 2:
        return f"{values[0]:.2f} ms" if values else "none measured"
    p90 = statistics.quantiles(values, n=10)[-1]
    return f"median {statistics.median(values):.2f} ms, 90th percentile {p90:.2f} ms"


def time_matplotlib(stepper, moves):
    """Milliseconds per step when the kernel drew the frame: artists updated, PNG encoded."""
    plot, times = stepper._plot, []
    for s in moves:
        start = time.perf_counter()
        plot.show(s)
        plot.to_png()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--moves", type=int, default=120, help="slider steps to time")
    args = parser.parse_args(argv)
    found = browser()
    if found is None:
        return 2
    sync_playwright, chromium = found

    rng = np.random.default_rng(0)
    X = overlapping_blobs(args.n, args.k, rng)
    start = time.perf_counter()
    stepper = KMeansStepper(X, k=args.k, init="random", seed=0)
    build_ms = (time.perf_counter() - start) * 1e3
    last = len(stepper.history) - 1
    moves = step_sequence(last, args.moves, rng)

    with tempfile.TemporaryDirectory(prefix="bench-stepper-") as folder:
        page_path = Path(folder) / "stepper.html"
        page_path.write_text(stepper_page(stepper.view), encoding="utf-8")
        size_kb = page_path.stat().st_size / 1024
        with sync_playwright() as playwright:
            chrome = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                page = chrome.new_page(viewport={"width": 1200, "height": 800})
                start = time.perf_counter()
                page.goto(page_path.as_uri())
                page.wait_for_selector(".kmeans-stepper-static[data-rendered='true']")
                load_ms = (time.perf_counter() - start) * 1e3
                root = page.locator(".kmeans-stepper-view").element_handle()
                timed = page.evaluate(_TIME_STEPS, [root, moves])
                version = chrome.version
            finally:
                chrome.close()
    matplotlib_ms = time_matplotlib(stepper, moves[: max(8, len(moves) // 4)])
    stepper.close()

    steps, cold, redraws = timed["steps"], timed["cold"], timed["redraws"]
    every = steps + cold
    p90 = statistics.quantiles(every, n=10)[-1] if len(every) > 1 else every[0]
    redraw = statistics.median(redraws)
    print(f"stepper on {args.n} points, k={args.k}: {last + 1} half-steps; run + frames computed "
          f"in Python in {build_ms:.0f} ms; page {size_kb:.0f} kB, shown in {load_ms:.0f} ms "
          f"(Chromium {version}, headless, software rendering)")
    print(f"slider step, frame seen before ({len(steps)} moves): {summary(steps)}")
    print(f"slider step, first visit of a frame, caches built ({len(cold)} moves): "
          f"{summary(cold)}, max {max(cold):.2f} ms" if cold else "no first visits")
    print(f"baseline full redraw from scratch, same frames ({len(redraws)} runs): "
          f"{summary(redraws)}")
    print(f"reference: the kernel drawing the frame with matplotlib + PNG "
          f"({len(matplotlib_ms)} runs): {summary(matplotlib_ms)}")
    typical = statistics.median(steps or cold)  # a short run may visit every frame once only
    print(f"step / full redraw: {typical / redraw:.3f}    "
          f"step / matplotlib PNG: {typical / statistics.median(matplotlib_ms):.3f}")
    met = p90 < BUDGET_MS
    print(f"budget: 90th percentile of all slider steps {p90:.2f} ms vs {BUDGET_MS:.0f} ms -> "
          f"{'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
