"""Cost of one slider step of the k-means stepper on 10 000 points, against a full redraw.

    python benchmarks/bench_stepper.py [--n 10000] [--k 5] [--moves 120]

A slider step is what a student's click costs in the kernel: ``step_slider.value = s`` updates the
existing artists, renders the figure with Agg and encodes the PNG that the Image widget sends to
the browser. The baseline, measured in the same run and interleaved with the steps, is a full
redraw from scratch: a new figure with the same content (same run, same step) rendered to PNG.
A second reference is a full draw of the existing figure (artists updated, then every tick label
and text drawn again instead of the saved background).

Prints the median (and 90th percentile) milliseconds per step, the ratios "update / full redraw"
and "update / full draw", and the budget check: median slider step < 150 ms. The exit status is 1
when the budget is missed.
"""

import argparse
import io
import statistics
import sys
import time

import numpy as np
from PIL import Image

from kmeans_lessons.plotting import Projection, StepperPlot
from kmeans_lessons.widgets import KMeansStepper

BUDGET_MS = 150.0


def overlapping_blobs(n, k, rng):
    """n samples in k overlapping 2-D groups: enough overlap that k-means needs many steps."""
    middles = rng.uniform(-6, 6, size=(k, 2))
    return middles[rng.integers(k, size=n)] + rng.normal(scale=1.6, size=(n, 2))


def step_sequence(last, moves, rng):
    """Slider positions: forwards through the run, then back, then random jumps."""
    path = [*range(1, last + 1), *range(last - 1, -1, -1)]
    while len(path) < moves:
        path.append(int(rng.integers(last + 1)))
    # Never "move" to the step already shown: that would not trigger a frame.
    return [s for i, s in enumerate(path[:moves]) if i == 0 or s != path[i - 1]]


def timed(fn):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def full_redraw(stepper, step):
    """A new figure with the same content as the stepper at ``step``, rendered to PNG."""
    plot = StepperPlot(stepper.X, Projection(stepper.X))
    plot.set_history(stepper.history, describe=stepper._describe())
    plot.show(step)
    return plot.to_png()


def full_draw(stepper, step):
    """The existing figure, artists updated, but drawn completely (no saved background)."""
    plot = stepper.plot
    plot.show(step)
    plot.figure.canvas.draw()
    rgb = np.asarray(plot.figure.canvas.buffer_rgba())[..., :3]
    Image.fromarray(rgb).save(io.BytesIO(), format="png", compress_level=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--moves", type=int, default=120, help="slider steps to time")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = overlapping_blobs(args.n, args.k, rng)

    start = time.perf_counter()
    stepper = KMeansStepper(X, k=args.k, init="random", seed=0)
    build_ms = (time.perf_counter() - start) * 1e3
    last = len(stepper.history) - 1

    steps, redraws, draws, renders = [], [], [], []
    for i, s in enumerate(step_sequence(last, args.moves, rng)):
        steps.append(timed(lambda: setattr(stepper.step_slider, "value", s)))
        renders.append(timed(stepper.plot.to_png))  # the render part of that step, again
        if i % 4 == 0:  # the baselines are slower; interleave a quarter as many
            redraws.append(timed(lambda: full_redraw(stepper, s)))
            draws.append(timed(lambda: full_draw(stepper, s)))
            stepper.plot.show(s)  # leave the stepper as the slider says

    median = statistics.median(steps)
    p90 = statistics.quantiles(steps, n=10)[-1]
    redraw, draw = statistics.median(redraws), statistics.median(draws)
    width, height = stepper.figure.canvas.get_width_height()
    print(f"stepper on {args.n} points, k={args.k}: {last + 1} half-steps, figure {width}x{height}"
          f" px; building it (run + first frame) took {build_ms:.0f} ms")
    print(f"slider step (update artists + render + PNG), {len(steps)} moves: median "
          f"{median:.1f} ms, 90th percentile {p90:.1f} ms, max {max(steps):.1f} ms")
    print(f"  of which render + PNG: median {statistics.median(renders):.1f} ms")
    print(f"baseline full redraw from scratch (new figure, same content), {len(redraws)} runs: "
          f"median {redraw:.1f} ms")
    print(f"reference full draw of the existing figure: median {draw:.1f} ms")
    print(f"update / full redraw: {median / redraw:.2f}    update / full draw: {median / draw:.2f}")
    met = median < BUDGET_MS
    print(f"budget: median slider step {median:.1f} ms vs {BUDGET_MS:.0f} ms -> "
          f"{'met' if met else 'MISSED'}")
    stepper.close()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
