"""A time limit for the student's code that ``check`` runs in the student's own process.

A ``kmeans`` whose loop never ends used to freeze the notebook's kernel without a word. Inside
:func:`time_limit`, code that runs past the limit is stopped by a :class:`CallTimedOut` raised
in it, which ``check`` turns into a failed case that says what probably went on.

How the exception gets into the running code:

* in the main thread (a notebook cell, a script, pytest) a ``SIGALRM`` timer: its handler runs
  between two bytecodes of the student's loop, and it also cuts short a ``time.sleep``;
* in any other thread (or where there is no ``SIGALRM``, e.g. Windows) a watchdog thread asks
  the interpreter to raise the exception in the running thread
  (``PyThreadState_SetAsyncExc``).

Either way the exception arrives while Python code runs; one long call into C (a huge matrix
product) finishes first. :class:`CallTimedOut` derives from BaseException so that a student's
``except Exception:`` does not swallow it, and it is raised again every
:data:`REPEAT_SECONDS` until the block ends, in case a bare ``except:`` did.
"""

import ctypes
import signal
import threading
import time
from contextlib import contextmanager

__all__ = ["CallTimedOut", "REPEAT_SECONDS", "time_limit"]

#: After the limit, the exception is raised again this often until the block has ended.
REPEAT_SECONDS = 0.1


class CallTimedOut(BaseException):
    """Raised inside code that ran past its :func:`time_limit`."""

    def __init__(self, seconds=None):
        super().__init__(f"did not finish within {seconds:g} s" if seconds else
                         "did not finish in time")
        self.seconds = seconds


@contextmanager
def time_limit(seconds):
    """Stop the code of the ``with`` block after ``seconds`` by raising :class:`CallTimedOut`.

    ``seconds=None`` (or ``inf``) means no limit. Limits may nest: the inner one is enforced,
    and an outer alarm is put back, with the time it has left, when the inner block ends.
    """
    if seconds is None or seconds == float("inf"):
        yield
        return
    if seconds <= 0:
        raise ValueError(f"a time limit must be positive, got {seconds!r}")
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(float(seconds)):
            yield
    else:
        with _watchdog(float(seconds)):
            yield


@contextmanager
def _alarm(seconds):
    state = {"active": True}

    def on_alarm(signum, frame):
        if state["active"]:
            raise CallTimedOut(seconds)

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds,
                                                         REPEAT_SECONDS)
    started = time.monotonic()
    try:
        yield
    finally:
        # The handler may still run once between these lines; `active` makes it do nothing.
        state["active"] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), previous_interval)


def _raise_in(thread_id, exception_type):
    """Schedule ``exception_type`` in the thread (None cancels a scheduled one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception_type) if exception_type else None)


#: Bytecodes the ending block runs to take delivery of an exception still scheduled for it.
_ABSORB_STEPS = 1_000_000


@contextmanager
def _watchdog(seconds):
    target = threading.get_ident()
    lock = threading.Lock()
    done = threading.Event()
    state = {"active": True, "fired": 0, "delivered": 0}

    class Expired(CallTimedOut):  # the interpreter makes the instance, without arguments
        def __init__(self):
            super().__init__(seconds)
            state["delivered"] += 1

    def watch():
        if done.wait(seconds):
            return
        while True:
            with lock:
                if not state["active"]:
                    return
                _raise_in(target, Expired)
                state["fired"] += 1
            if done.wait(REPEAT_SECONDS):
                return

    watcher = threading.Thread(target=watch, name="kmeans-lessons-time-limit", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        while True:  # a late exception may land in these lines too: finish them regardless
            try:
                with lock:
                    state["active"] = False
                done.set()
                watcher.join()
                break
            except Expired:
                pass
        # One exception may have been scheduled after the last one arrived. Take delivery of it
        # here rather than cancel it: on Python 3.11, cancelling (SetAsyncExc with NULL) leaves
        # the interpreter's "async exception pending" signal set for good, and a thread that
        # later runs under sys.settrace (the work counter) then never gets past its next line.
        steps = 0
        while state["delivered"] < state["fired"] and steps < _ABSORB_STEPS:
            try:
                while state["delivered"] < state["fired"] and steps < _ABSORB_STEPS:
                    steps += 1
            except Expired:
                pass
        if state["delivered"] < state["fired"]:  # never seen: cancel it after all
            _raise_in(target, None)
