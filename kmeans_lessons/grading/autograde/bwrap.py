"""The namespace sandbox a submission's kernel runs in, built with bubblewrap (``bwrap``).

Bubblewrap (Debian/Ubuntu package ``bubblewrap``, the tool Flatpak uses; no daemon, no root
needed) starts a command in new Linux namespaces. :func:`bwrap_command` gives the command that
wraps a kernel so that, inside:

* it is its own user: uid/gid 65534 in a new *user* namespace, every capability dropped, no
  further namespaces (``--disable-userns``), a new session (no terminal to inject input into);
* it sees only its own processes (*pid* namespace; the kernel is process 1, ``--as-pid-1``,
  because ipykernel shuts down when it believes its parent died): the grader, the workers and
  the other students' kernels cannot be listed, signalled, traced or read through ``/proc``;
* it has no network but its own loopback (*net* namespace; the kernel's ZMQ sockets are Unix
  sockets in the private folder, which the grader reaches from outside) and its own System V
  IPC (*ipc* namespace);
* its file system (*mount* namespace) is a fresh, empty root holding only: ``/usr`` and the few
  ``/etc`` files programs need, the Python interpreter, the environment and the
  ``kmeans_lessons`` package (with its data), all **read-only**; a size-capped RAM ``/tmp`` and
  ``/dev/shm``; and the submission's private folder, read-write, at the same path as outside
  (the kernel's working copy of the notebook, its HOME, its sockets, and the exchange files),
  in which the folder the grader writes inputs to is read-only again. The grading key, the
  grader's configuration, the instructor's home, grades.csv, the feedback folder and the other
  submissions are simply not there.

What it does not bound: memory and process counts (that is the cgroup's job, see
:mod:`.cgroup`) and CPU time (the worker's time limits). What it costs: measured on a
two-core VM, a kernel's first reply came after 0.50 s under bwrap against 0.51 s without
(``benchmarks/bench_sandbox.py`` measures it again on your machine).

This module is imported by the worker (to build the command and to check that the sandbox
works before a batch starts); it uses only the standard library.
"""

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["SANDBOX_UID", "SandboxUnavailable", "bwrap_command", "check_sandbox",
           "readonly_paths", "INSTALL_HELP"]

#: User and group id of the kernel inside its namespace (the conventional "nobody").
SANDBOX_UID = 65534
#: Size cap of the kernel's RAM-backed /tmp and /dev/shm (MB). Pages written there are also
#: charged to the submission's cgroup.
TMP_MB = 256
#: Files and folders of /etc that programs in the kernel read (dynamic loader, time zone, user
#: names, fonts for matplotlib). Bound read-only where present; nothing else of /etc is seen.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
             "nsswitch.conf", "passwd", "group", "hosts", "fonts", "mime.types", "matplotlibrc")
#: Top-level names that are symlinks into /usr on merged-/usr systems (recreated as links).
USR_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")

INSTALL_HELP = (
    "Grading runs every submission's kernel in a sandbox made with bubblewrap (Linux only). "
    "Install it with your package manager: `sudo apt-get install bubblewrap` (Debian, "
    "Ubuntu), `sudo dnf install bubblewrap` (Fedora), `sudo pacman -S bubblewrap` (Arch); it "
    "needs unprivileged user namespaces (on Ubuntu 24.04 and later, install the distribution's "
    "bubblewrap package, whose AppArmor profile allows them). On macOS or Windows grade inside "
    "a Linux virtual machine or WSL2. --no-sandbox grades without it, which lets a submission "
    "read the grading key and change other students' grades: use it only for notebooks you "
    "trust."
)


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up here; the message says why and how to install it."""


def find_bwrap():
    """Path of the ``bwrap`` executable, or None."""
    return shutil.which("bwrap")


def _package_dir():
    return Path(__file__).resolve().parents[2]  # kmeans_lessons/


def readonly_paths(extra=()):
    """Folders bound read-only into every sandbox, outermost only, in a stable order.

    The interpreter's installation and the environment (``sys.base_prefix``, ``sys.prefix``),
    the ``kmeans_lessons`` package (wherever it is imported from, e.g. an editable checkout)
    and its data folder, the shared data folder named by ``KMEANS_LESSONS_DATA``, the
    sentence model's folder named by ``KMEANS_LESSONS_MINILM`` (lesson 06; the model installed
    as a package is in the environment already), plus ``extra``. Folders under ``/usr`` are
    already there.
    """
    package = _package_dir()
    candidates = [sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix,
                  Path(os.path.realpath(sys.executable)).parents[1], package,
                  package.parent / "datasets", os.environ.get("KMEANS_LESSONS_DATA"),
                  os.environ.get("KMEANS_LESSONS_MINILM"), *extra]
    found = []
    for candidate in candidates:
        if not candidate:
            continue
        path = Path(os.path.realpath(candidate))
        if path.is_dir() and path != Path("/") and path not in found:
            found.append(path)
    outermost = [p for p in found
                 if not any(q != p and q in p.parents for q in found + [Path("/usr")])]
    return sorted(outermost)


def bwrap_command(folder, inbox, *, workdir=None, tmp_mb=TMP_MB, extra_readonly=(), bwrap=None):
    """The command prefix that runs a program in the sandbox (ends with ``--``).

    Parameters
    ----------
    folder : path-like
        The submission's private folder: bound read-write at the same path, and the working
        directory inside.
    inbox : path-like
        A folder inside ``folder`` that the grader writes to and the kernel may only read
        (bound read-only over the read-write folder), so nothing in it can be a planted link.
    workdir : path-like, optional
        Working directory inside (default ``folder``).
    tmp_mb : int
        Size cap of ``/tmp`` and ``/dev/shm`` inside.
    extra_readonly : iterable of path-like
        More folders to show read-only (e.g. a data folder outside the usual places).
    bwrap : str, optional
        The executable; default :func:`find_bwrap`.

    Returns
    -------
    list of str
    """
    bwrap = bwrap or find_bwrap()
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed. " + INSTALL_HELP)
    folder, inbox = os.path.realpath(folder), os.path.realpath(inbox)
    command = [
        bwrap,
        "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try",
        "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--disable-userns",
        "--cap-drop", "ALL", "--hostname", "sandbox",
        "--die-with-parent", "--new-session", "--as-pid-1",
        "--ro-bind", "/usr", "/usr",
    ]
    for name in USR_LINKS:
        top = Path("/") / name
        if top.is_symlink():
            command += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            command += ["--ro-bind", str(top), str(top)]
    for name in ETC_FILES:
        command += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    command += ["--proc", "/proc", "--dev", "/dev"]
    size = str(int(tmp_mb) * 2**20)
    command += ["--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/dev/shm"]
    for path in readonly_paths(extra_readonly):
        command += ["--ro-bind", str(path), str(path)]
    workdir = os.path.realpath(workdir or folder)
    command += ["--bind", folder, folder, "--ro-bind", inbox, inbox, "--chdir", workdir, "--"]
    return command


@functools.lru_cache(maxsize=None)
def _probe(bwrap, platform):
    if platform != "linux":
        return (f"the sandbox needs Linux namespaces and this system is {platform}. "
                + INSTALL_HELP)
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed. " + INSTALL_HELP
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kmeans-lessons-probe-") as folder:
        inbox = Path(folder) / "inbox"
        inbox.mkdir()
        command = bwrap_command(folder, inbox, bwrap=bwrap) + [
            sys.executable, "-c", "import os, kmeans_lessons; assert os.getuid() == "
            f"{SANDBOX_UID} and os.getpid() == 1"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap could not be started ({error}). " + INSTALL_HELP
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1][:300]
        return (f"bubblewrap is installed but could not start a sandbox ({detail}). "
                + INSTALL_HELP)
    return None


def check_sandbox():
    """Raise :class:`SandboxUnavailable` (saying how to fix it) unless the sandbox works here.

    Starts Python once in the sandbox (about 0.1 s; the answer is cached per process).
    """
    problem = _probe(find_bwrap(), sys.platform)
    if problem:
        raise SandboxUnavailable(problem)
