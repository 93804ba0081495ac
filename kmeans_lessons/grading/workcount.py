"""How much Python-level work a call does: the grader's clock-free measure of speed.

Why a count and not a clock: a stopwatch on a shared machine measures the neighbours as much as
the student. With eight gradings on two cores a vectorised solution took several times its
quiet-machine time and lost points for "a Python loop over the samples". What a call *does*
does not depend on the load: the number of Python lines it executes and of functions it calls.

How a loop over the samples shows: NumPy runs its loops in C, where nothing is counted, so a
vectorised solution does the same Python-level work for 300 samples as for 3000 -- a loop over
the k centres or the d features too. A loop over the samples (``for i in range(n)``, a list
comprehension over rows, ``np.vectorize``, ``np.apply_along_axis``) runs at least one line or
call per sample, so its count grows in proportion to n. :func:`count_work` counts one call;
:class:`Growth` compares two calls on the same data at two sizes and judges the growth, with a
margin of several-fold on both sides (see :data:`LOOP_EVENTS_PER_SAMPLE`).

What is counted (``sys.settrace`` and ``sys.setprofile``; Python 3.11 has no ``sys.monitoring``):
every line event and every call of a Python function (library code included, so the loop inside
``np.apply_along_axis`` counts), and every call of a built-in function from Python code
(``row.argmin()`` in a comprehension). Tracing makes the call slower but not different.

This module uses the standard library only: the autograder executes its source inside the
submission's kernel, next to its harness, because that is where the student's function runs.
"""

import gc
import sys
from dataclasses import dataclass

__all__ = ["LOOP_EVENTS_PER_SAMPLE", "Growth", "TracingUnavailable", "count_work",
           "tracing_works"]

#: Extra events per extra sample at or above which the work "grows with the samples". A loop
#: over the samples costs at least two (the loop's line and its body's line, or a line and a
#: call in a comprehension); a vectorised solution costs none (its count is the same at both
#: sizes, give or take a few events of a size-dependent branch in NumPy's Python code).
LOOP_EVENTS_PER_SAMPLE = 0.5


class TracingUnavailable(RuntimeError):
    """The interpreter's tracing hooks do not report events (replaced or disabled), so the
    work of a call cannot be counted."""


def count_work(fn, args=(), kwargs=None):
    """Call ``fn(*args, **kwargs)`` and count the Python-level events the call triggers.

    Returns ``(value, events)``. An exception from ``fn`` propagates (with the hooks removed).
    Whatever tracer or profiler was installed before (a debugger, coverage) is put back after.
    The cyclic garbage collector is paused during the call: a collection runs finalizers of
    unrelated objects, whose lines would otherwise be counted as the call's.
    """
    kwargs = {} if kwargs is None else kwargs
    counter = [0]

    def on_line(frame, event, arg):
        if event == "line":
            counter[0] += 1
        return on_line

    def on_call(frame, event, arg):  # settrace's global hook: one event per Python call
        counter[0] += 1
        return on_line

    def on_builtin(frame, event, arg):  # setprofile's hook: calls of built-in functions
        if event == "c_call":
            counter[0] += 1

    previous_trace, previous_profile = sys.gettrace(), sys.getprofile()
    collecting = gc.isenabled()
    gc.disable()
    sys.setprofile(on_builtin)
    sys.settrace(on_call)
    try:
        value = fn(*args, **kwargs)
    finally:
        sys.settrace(previous_trace)
        sys.setprofile(previous_profile)
        if collecting:
            gc.enable()
    return value, counter[0]


def _known_loop(n):
    total = 0
    for i in range(n):
        total += i
    return total


def tracing_works():
    """Whether :func:`count_work` sees a known loop: 100 more iterations, at least 100 more events
    (a correct count gives 200 more; the least of two counts each, so that a stray event from
    elsewhere in the process cannot decide).

    A notebook can replace ``sys.settrace`` with a function that does nothing; every count would
    then be 0 and a loop over the samples would look vectorised. The grader asks this first.
    """
    try:
        small = min(count_work(_known_loop, (10,))[1] for _ in range(2))
        large = min(count_work(_known_loop, (110,))[1] for _ in range(2))
    except Exception:
        return False
    return large - small >= 100


@dataclass(frozen=True)
class Growth:
    """The work of one function on the same data at two sizes.

    small_n, large_n : size of the two inputs in ``unit``s, usually samples (the large input is
    the small one repeated, so every data-dependent decision -- iterations, empty clusters -- is
    the same); small_events, large_events : what :func:`count_work` counted for each.
    """

    small_n: int
    large_n: int
    small_events: int
    large_events: int
    unit: str = "sample"

    @property
    def events_per_sample(self):
        """Extra events per extra unit (about 0 when vectorised, 2 or more for a loop)."""
        return (self.large_events - self.small_events) / (self.large_n - self.small_n)

    @property
    def loops_over_samples(self):
        return self.events_per_sample >= LOOP_EVENTS_PER_SAMPLE

    def describe(self):
        """What was measured, in words, for the feedback."""
        return (f"{self.small_events} Python steps for {self.small_n} {self.unit}s, "
                f"{self.large_events} for {self.large_n}: about {self.events_per_sample:.1f} "
                f"more per extra {self.unit} (a vectorised solution needs the same number at "
                f"both sizes)")
