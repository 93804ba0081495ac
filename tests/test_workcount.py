"""The clock-free speed measure: counted work, its growth with n, and its indifference to load."""

import multiprocessing
import sys

import numpy as np
import pytest

from kmeans_lessons.grading.workcount import (LOOP_EVENTS_PER_SAMPLE, Growth, count_work,
                                              tracing_works)


def assign_vectorised(X, C):
    return ((X[:, None, :] - C[None]) ** 2).sum(axis=2).argmin(axis=1)


def assign_loop_over_centres(X, C):
    best = np.full(len(X), np.inf)
    labels = np.zeros(len(X), dtype=int)
    for j in range(len(C)):
        d = ((X - C[j]) ** 2).sum(axis=1)
        closer = d < best
        labels[closer], best[closer] = j, d[closer]
    return labels


def assign_loop_over_samples(X, C):
    labels = np.empty(len(X), dtype=int)
    for i in range(len(X)):
        labels[i] = ((C - X[i]) ** 2).sum(axis=1).argmin()
    return labels


def assign_comprehension(X, C):
    D = ((X[:, None, :] - C[None]) ** 2).sum(axis=2)
    return np.array([row.argmin() for row in D])


def assign_apply_along_axis(X, C):
    D = ((X[:, None, :] - C[None]) ** 2).sum(axis=2)
    return np.apply_along_axis(np.argmin, 1, D)


def assign_vectorize(X, C):
    nearest = np.vectorize(lambda i: int(((C - X[i]) ** 2).sum(axis=1).argmin()))
    return nearest(np.arange(len(X)))


VECTORISED = [assign_vectorised, assign_loop_over_centres]
LOOPS = [assign_loop_over_samples, assign_comprehension, assign_apply_along_axis,
         assign_vectorize]


def _growth(fn, n=300, repeat=10, seed=0):
    rng = np.random.default_rng(seed)
    X, C = rng.normal(size=(n, 2)), rng.normal(size=(4, 2))
    small_value, small = count_work(fn, (X, C))
    large_value, large = count_work(fn, (np.tile(X, (repeat, 1)), C))
    np.testing.assert_array_equal(large_value, np.tile(small_value, repeat))
    return Growth(n, n * repeat, small, large)


def test_count_work_returns_the_value_and_counts_lines_and_calls():
    def three_lines(x):
        y = x + 1
        z = y * 2
        return z

    def one_line(x):
        return x

    value, events = count_work(three_lines, (1,))
    assert value == 4
    assert events - count_work(one_line, (1,))[1] == 2  # two more lines, nothing else


def test_builtin_calls_count_too():
    def calls_len(items):
        return [len(item) for item in items]

    _, few = count_work(calls_len, ([[1]] * 10,))
    _, many = count_work(calls_len, ([[1]] * 20,))
    assert many - few >= 20  # per item: the comprehension's line and the call of len


@pytest.mark.parametrize("fn", VECTORISED, ids=lambda f: f.__name__)
def test_vectorised_work_does_not_grow_with_the_samples(fn):
    growth = _growth(fn)
    assert growth.large_events == growth.small_events
    assert not growth.loops_over_samples


@pytest.mark.parametrize("fn", LOOPS, ids=lambda f: f.__name__)
def test_every_kind_of_loop_over_the_samples_grows_with_them(fn):
    growth = _growth(fn)
    assert growth.events_per_sample >= 4 * LOOP_EVENTS_PER_SAMPLE  # a wide margin
    assert growth.loops_over_samples
    assert "per extra sample" in growth.describe()


def test_an_exception_propagates_and_the_previous_hooks_come_back():
    seen = []

    def outer_tracer(frame, event, arg):
        seen.append(event)

    def broken(x):
        raise ValueError("student bug")

    sys.settrace(outer_tracer)
    try:
        with pytest.raises(ValueError, match="student bug"):
            count_work(broken, (1,))
        assert sys.gettrace() is outer_tracer
    finally:
        sys.settrace(None)
    assert sys.getprofile() is None


def test_tracing_works_here_and_fails_when_a_notebook_disables_it(monkeypatch):
    assert tracing_works()
    monkeypatch.setattr(sys, "settrace", lambda function: None)
    monkeypatch.setattr(sys, "setprofile", lambda function: None)
    assert not tracing_works()


def _busy(stop):
    x = 0
    while not stop.is_set():
        x += 1


def _verdicts():
    return [(fn.__name__, _growth(fn)) for fn in VECTORISED + LOOPS]


def test_the_same_counts_on_a_quiet_and_a_busy_machine():
    quiet = _verdicts()
    stop = multiprocessing.Event()
    hogs = [multiprocessing.Process(target=_busy, args=(stop,), daemon=True) for _ in range(3)]
    for hog in hogs:
        hog.start()
    try:
        busy = _verdicts()
    finally:
        stop.set()
        for hog in hogs:
            hog.join(10)
    # The verdicts are identical; a count can differ by a few events where a library warms a
    # cache on first use, thousands of times less than what decides the verdict.
    assert [g.loops_over_samples for _, g in busy] == [g.loops_over_samples for _, g in quiet]
    assert [g.loops_over_samples for _, g in quiet] == [False] * len(VECTORISED) + [True] * len(
        LOOPS)
    for (name, g_quiet), (_, g_busy) in zip(quiet, busy):
        assert abs(g_quiet.large_events - g_busy.large_events) <= 50, name
        assert abs(g_quiet.small_events - g_busy.small_events) <= 50, name
