"""The time limit that stops a student's call which would never return (every test bounded)."""

import signal
import subprocess
import sys
import threading
import time

import pytest

from kmeans_lessons.grading.timelimit import CallTimedOut, time_limit


def spin_forever():
    while True:
        pass


def spin_and_swallow():
    """A student loop that catches everything, even BaseException, and carries on."""
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass


def _elapsed(fn, seconds):
    started = time.monotonic()
    with pytest.raises(CallTimedOut) as info:
        with time_limit(seconds):
            fn()
    return time.monotonic() - started, info.value


def test_an_endless_loop_is_stopped_after_the_limit():
    elapsed, error = _elapsed(spin_forever, 0.3)
    assert 0.25 <= elapsed < 2.0
    assert "0.3 s" in str(error)


def test_except_exception_does_not_swallow_it():
    def student():
        while True:
            try:
                sum(range(100))
            except Exception:
                pass

    elapsed, _ = _elapsed(student, 0.3)
    assert elapsed < 2.0


def test_a_sleep_is_cut_short_in_the_main_thread():
    elapsed, _ = _elapsed(lambda: time.sleep(60), 0.3)
    assert elapsed < 2.0


def test_a_bare_except_only_delays_it_once_per_repeat():
    # The exception comes again every REPEAT_SECONDS; the second one lands outside the inner
    # try of this loop often enough... but the loop catches at every level, so only the
    # outer caller can end it: the block must still be left when the code gives up.
    calls = []

    def student():
        for _ in range(3):
            try:
                while True:
                    pass
            except BaseException:
                calls.append(1)
        while True:
            pass

    elapsed, _ = _elapsed(student, 0.2)
    assert len(calls) == 3 and elapsed < 3.0


def test_a_call_that_finishes_in_time_is_untouched_and_nothing_fires_later():
    with time_limit(0.3):
        value = sum(range(1000))
    assert value == 499500
    time.sleep(0.5)  # the alarm was cancelled: nothing is raised here
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_previous_alarm_handler_and_timer_are_put_back():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *args: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 5.0)
        with time_limit(1.0):
            pass
        delay, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 3.0 < delay <= 5.0
        assert signal.getsignal(signal.SIGALRM) is not previous
        signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert fired == []


def test_none_means_no_limit_and_nonpositive_is_refused():
    with time_limit(None):
        assert sum(range(10)) == 45
    with pytest.raises(ValueError, match="positive"):
        with time_limit(0):
            pass


def test_outside_the_main_thread_a_watchdog_stops_the_loop():
    outcome = {}

    def worker():
        started = time.monotonic()
        try:
            with time_limit(0.3):
                spin_forever()
        except CallTimedOut as error:
            outcome["error"] = error
        outcome["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert isinstance(outcome["error"], CallTimedOut)
    assert 0.25 <= outcome["elapsed"] < 2.0


def test_outside_the_main_thread_a_finished_block_is_not_hit_later():
    outcome = {}

    def worker():
        with time_limit(0.2):
            total = sum(range(100))
        try:
            time.sleep(0.1)
            deadline = time.monotonic() + 0.5
            while time.monotonic() < deadline:  # bytecodes running past the old deadline
                total += 1
            outcome["ok"] = True
        except BaseException as error:  # pragma: no cover - the failure being tested
            outcome["error"] = error

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    thread.join(10)
    assert outcome == {"ok": True}


def test_after_a_watchdog_fired_tracing_still_works_in_the_main_thread():
    # On Python 3.11 cancelling a scheduled exception leaves the interpreter's "async exception
    # pending" signal set for good, and a traced call (the work counter) then never returns.
    # Run in a child process with a timeout, so the failure is a failed test, not a hang.
    code = """
import threading
from kmeans_lessons.grading.timelimit import CallTimedOut, time_limit
from kmeans_lessons.grading.workcount import count_work

def worker():
    try:
        with time_limit(0.2):
            while True:
                pass
    except CallTimedOut:
        pass

thread = threading.Thread(target=worker)
thread.start()
thread.join()
print(count_work(lambda x: x + 1, (1,))[0])
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"
