"""The processes of one submission: finding, stopping and killing them, watching their memory.

The worker makes itself a *child subreaper* (Linux ``prctl``), so even a process that detached
with ``setsid`` and a double fork is re-parented to the worker, and :func:`kill_descendants`
finds and kills it with the rest. :class:`MemoryWatch` adds up the memory of all of them, which
the per-process ``RLIMIT_AS`` of :mod:`.sandbox` cannot do.
"""

import ctypes
import os
import signal
import threading

import psutil

__all__ = ["become_subreaper", "kill_descendants", "MemoryWatch"]

#: How often the memory watchdog adds up the memory of the submission's processes.
WATCH_INTERVAL = 0.25

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Orphaned descendants get re-parented to this process (Linux); elsewhere a no-op."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def kill_descendants(root_pid=None):
    """Stop, then kill, every descendant of ``root_pid`` (default: this process); reap zombies.

    Stopping first keeps a fork loop from creating new processes while we kill.
    """
    try:
        root = psutil.Process(root_pid or os.getpid())
    except psutil.NoSuchProcess:
        return
    for _ in range(10):
        try:
            children = root.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        alive = [child for child in children if _is_alive(child)]
        if not alive:
            break
        for child in alive:
            _signal(child, signal.SIGSTOP)
        for child in alive:
            _signal(child, signal.SIGKILL)
        psutil.wait_procs(alive, timeout=2)
    if root.pid == os.getpid():
        _reap_zombies()


def _is_alive(process):
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal(process, signum):
    try:
        process.send_signal(signum)
    except psutil.Error:
        pass


def _reap_zombies():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class MemoryWatch(threading.Thread):
    """Kill the submission's processes if together they hold more than the memory cap.

    ``RLIMIT_AS`` caps each process; this catches a submission that spreads over many.
    """

    def __init__(self, cap_bytes):
        super().__init__(daemon=True)
        self.cap_bytes, self.tripped, self._stop = cap_bytes, False, threading.Event()

    def run(self):
        me = psutil.Process()
        while not self._stop.wait(WATCH_INTERVAL):
            total = 0
            try:
                for child in me.children(recursive=True):
                    try:
                        total += child.memory_info().rss
                    except psutil.Error:
                        continue
            except psutil.Error:
                continue
            if total > self.cap_bytes:
                self.tripped = True
                kill_descendants()

    def stop(self):
        self._stop.set()
