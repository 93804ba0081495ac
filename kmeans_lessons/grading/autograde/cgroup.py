"""Memory and process-count caps for one submission, with a Linux control group (cgroup).

Why a cgroup: ``RLIMIT_AS`` caps the address space of each process, but shared memory
(``memfd_create``, files in ``/dev/shm`` or in a RAM-backed ``/tmp``) is not counted against it,
and there is no per-user process limit that a fork loop cannot exhaust for the whole machine.
A cgroup counts every page its processes own, shared memory and tmpfs files included, and
caps how many processes it holds. Where the ``cpu`` controller is available too, each
submission's cgroup gets an equal share of the processors, however many threads it runs, so a
submission that spins a hundred busy threads slows only itself, not its neighbours' timing
cases. Every process a submission starts is in its cgroup (the kernel launcher joins it before
it starts anything), so the cgroup is also the complete list of what must be killed when the
submission is done.

Two kinds exist and both are handled:

* **cgroup v2** (one unified tree; most current distributions): usable where the grader's own
  cgroup is *delegated* to its user (``systemd-run --user --scope -p Delegate=yes ...``) or
  the grader runs as root. Per-submission groups are children of the grader's own cgroup; the
  grader first moves itself into a leaf child, since v2 lets only leaves hold processes once
  their controllers are handed down.
* **cgroup v1** (a tree per controller; older systems and these course machines): the
  ``memory`` and ``pids`` trees (and ``cpu`` where writable), where the grader can write to its
  own place in them (as root).

:func:`open_cgroups` returns a :class:`CgroupParent` that makes one :class:`Cgroup` per
submission, or ``None`` and a sentence saying why no cgroup can be made (the batch then runs
with the per-process limits only and says so).
"""

import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cgroup", "CgroupParent", "open_cgroups"]

#: Name of the leaf cgroup the grader moves itself into under cgroup v2.
GRADER_LEAF = "kmeans-lessons-grader"
#: Prefix of every per-submission cgroup (so a leftover one is recognisable).
PREFIX = "kmeans-lessons-"
#: Most processes (threads included) one submission may hold at once.
DEFAULT_PIDS = 256


def _own_cgroups(proc_self="/proc/self/cgroup"):
    """{controller or "" (v2): path} of this process, from ``/proc/self/cgroup``."""
    found = {}
    for line in Path(proc_self).read_text().splitlines():
        number, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            found[controller] = path
    return found


def _mounts(mountinfo="/proc/self/mountinfo"):
    """[(fstype, mount point, super options)] of the cgroup file systems."""
    found = []
    for line in Path(mountinfo).read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, rest = left.split(), right.split()
        if len(fields) >= 5 and len(rest) >= 3 and rest[0] in ("cgroup", "cgroup2"):
            found.append((rest[0], fields[4], set(rest[2].split(","))))
    return found


def _write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


def _read(path, default=""):
    try:
        return Path(path).read_text()
    except OSError:
        return default


def _counter(text, key):
    """The number after ``key`` in a ``memory.events`` / ``memory.oom_control`` style file."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
            return int(parts[1])
    return 0


@dataclass
class Cgroup:
    """One submission's cgroup: a folder in each tree that holds it (one for v2, two for v1).

    ``procs_files`` are the ``cgroup.procs`` files a launcher writes its pid to, to join.
    """

    version: int
    folders: tuple

    @property
    def procs_files(self):
        return [str(Path(folder) / "cgroup.procs") for folder in self.folders]

    def pids(self):
        """Process ids in the group (as the grader sees them)."""
        found = set()
        for name in self.procs_files:
            found |= {int(pid) for pid in _read(name).split()}
        return found

    def oom_kills(self):
        """How many times the kernel's out-of-memory killer acted in this group."""
        if self.version == 2:
            return _counter(_read(Path(self.folders[0]) / "memory.events"), "oom_kill")
        return _counter(_read(Path(self.folders[0]) / "memory.oom_control"), "oom_kill")

    def kill(self, timeout=5.0):
        """Kill every process in the group; True once it is empty.

        ``pids.max`` keeps a fork loop from outrunning this: a killed process frees a slot that
        a survivor may take, so the loop repeats until the group is empty.
        """
        if self.version == 2 and (Path(self.folders[0]) / "cgroup.kill").exists():
            try:
                _write(Path(self.folders[0]) / "cgroup.kill", "1")
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids()
            if not pids:
                return True
            if time.monotonic() > deadline:
                return False
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def remove(self):
        """Kill what is left and delete the group's folders."""
        self.kill()
        for folder in self.folders:
            for _ in range(50):
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # busy for a moment while the last process is reaped
                    time.sleep(0.02)


@dataclass
class CgroupParent:
    """Where per-submission cgroups are made: the grader's own place in the tree(s)."""

    version: int
    folders: tuple  # v2: (grader's cgroup,); v1: (memory folder, pids folder[, cpu folder])

    def create(self, memory_bytes, pids=DEFAULT_PIDS):
        """A new, empty cgroup capped at ``memory_bytes`` of memory and ``pids`` processes."""
        name = f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        made = []
        try:
            if self.version == 2:
                folder = Path(self.folders[0]) / name
                folder.mkdir()
                made.append(folder)
                _write(folder / "memory.max", str(int(memory_bytes)))
                if (folder / "memory.swap.max").exists():
                    _write(folder / "memory.swap.max", "0")
                _write(folder / "pids.max", str(int(pids)))
            else:
                memory, pids_root, *cpu = (Path(folder) / name for folder in self.folders)
                for folder in (memory, pids_root, *cpu):  # cpu: default weight, a fair share
                    folder.mkdir()
                    made.append(folder)
                _write(memory / "memory.limit_in_bytes", str(int(memory_bytes)))
                if (memory / "memory.memsw.limit_in_bytes").exists():
                    try:  # memory plus swap: swap cannot stretch the cap
                        _write(memory / "memory.memsw.limit_in_bytes", str(int(memory_bytes)))
                    except OSError:
                        pass
                _write(pids_root / "pids.max", str(int(pids)))
        except OSError:
            for folder in reversed(made):
                try:
                    os.rmdir(folder)
                except OSError:
                    pass
            raise
        return Cgroup(self.version, tuple(str(folder) for folder in made))


def _try_v2(own, mounts):
    path = own.get("")
    mount = next((point for kind, point, _ in mounts if kind == "cgroup2"), None)
    if path is None or mount is None:
        return None, "no cgroup v2 tree is mounted"
    folder = Path(mount + path.rstrip("/")) if path != "/" else Path(mount)
    available = set(_read(folder / "cgroup.controllers").split())
    if not {"memory", "pids"} <= available:
        return None, (f"cgroup v2 at {folder} does not offer the memory and pids controllers "
                      f"(it offers: {', '.join(sorted(available)) or 'none'})")
    if not os.access(folder, os.W_OK):
        return None, (f"the grader cannot write to its cgroup {folder}; run it in a delegated "
                      f"scope: systemd-run --user --scope -p Delegate=yes kmeans-lessons grade ...")
    enabled = set(_read(folder / "cgroup.subtree_control").split())
    if not {"memory", "pids"} <= enabled:
        try:
            # Only leaves may hold processes once controllers are handed down: move the
            # grader (all of its threads) into a leaf of its own first.
            leaf = folder / GRADER_LEAF
            leaf.mkdir(exist_ok=True)
            _write(leaf / "cgroup.procs", str(os.getpid()))
            _write(folder / "cgroup.subtree_control", "+memory +pids")
            if "cpu" in available:
                try:  # a fair share of the processors per submission, where allowed
                    _write(folder / "cgroup.subtree_control", "+cpu")
                except OSError:
                    pass
        except OSError as error:
            return None, (f"could not enable the memory and pids controllers in {folder} "
                          f"({error.strerror}); other processes share the grader's cgroup: run "
                          f"it in a scope of its own: systemd-run --user --scope -p "
                          f"Delegate=yes kmeans-lessons grade ...")
    return CgroupParent(2, (str(folder),)), ""


def _v1_folder(controller, own, mounts):
    """This process's folder in the cgroup v1 tree of ``controller``, or None."""
    mount = next((point for kind, point, options in mounts
                  if kind == "cgroup" and controller in options), None)
    if mount is None or controller not in own:
        return None
    return Path(mount + own[controller].rstrip("/")) if own[controller] != "/" else Path(mount)


def _try_v1(own, mounts):
    folders = []
    for controller in ("memory", "pids"):
        folder = _v1_folder(controller, own, mounts)
        if folder is None:
            return None, f"no cgroup v1 {controller} tree is mounted"
        if not os.access(folder, os.W_OK):
            return None, f"the grader cannot write to its cgroup v1 {controller} folder {folder}"
        folders.append(str(folder))
    cpu = _v1_folder("cpu", own, mounts)
    if cpu is not None and os.access(cpu, os.W_OK):
        folders.append(str(cpu))
    return CgroupParent(1, tuple(folders)), ""


def open_cgroups(proc_self="/proc/self/cgroup", mountinfo="/proc/self/mountinfo"):
    """(parent, "") where per-submission cgroups can be made, else (None, why not).

    cgroup v2 is preferred where its memory and pids controllers are available; then v1.
    """
    try:
        own, mounts = _own_cgroups(proc_self), _mounts(mountinfo)
    except (OSError, ValueError):
        return None, "this system has no Linux control groups"
    reasons = []
    for attempt in (_try_v2, _try_v1):
        parent, reason = attempt(own, mounts)
        if parent is not None:
            try:  # a real check: make and delete one group
                parent.create(2**30).remove()
            except OSError as error:
                reasons.append(f"cgroup v{parent.version}: cannot create a group "
                               f"({error.strerror})")
                continue
            return parent, ""
        reasons.append(reason)
    return None, "; ".join(reasons)
