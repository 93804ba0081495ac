"""What the grading sandbox costs: kernel start, and a whole class, with and without it.

    python benchmarks/bench_sandbox.py                       # 30 lesson-03 students, --jobs 2
    python benchmarks/bench_sandbox.py --n 8 --lesson 02_distances --repeats 3

1. Kernel start: the time from launching a kernel to its first reply (``kernel_info``), the
   median of ``--repeats`` starts, launched exactly as the grader launches one: through
   ``sandbox.py`` (resource limits) alone, and through ``sandbox.py`` plus bubblewrap
   (``bwrap.py``) with the submission's cgroup.
2. A class: ``make_class.py``'s synthetic class of ``--n`` students graded twice in the same
   run (after one untimed student each way), with ``sandbox=False`` and with the sandbox (the
   default), same key, same ``--jobs``.
   Prints both times and their ratio (target: at most 1.15), and checks that every student got
   the same points both ways.

Exit status 1 when the class ratio is above the target, 2 when the sandbox cannot run here.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.15


def kernel_start_seconds(sandboxed, repeats):
    """Median seconds from launch to the first kernel_info reply, over ``repeats`` kernels."""
    from jupyter_client import BlockingKernelClient
    from jupyter_client.connect import write_connection_file

    from kmeans_lessons.grading.autograde import bwrap, cgroup

    launcher = str(Path(bwrap.__file__).with_name("sandbox.py"))
    parent, _ = cgroup.open_cgroups() if sandboxed else (None, "")
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="kmeans-lessons-bench-") as folder:
            inbox = Path(folder) / "inbox"
            inbox.mkdir()
            connection, _ = write_connection_file(str(Path(folder) / "kernel.json"),
                                                  transport="ipc", ip=str(Path(folder) / "k"))
            group = parent.create(2**31) if parent is not None else None
            joins = [arg for procs in (group.procs_files if group else [])
                     for arg in ("--cgroup-procs", procs)]
            command = [sys.executable, launcher, "--memory-mb", "2048", "--file-mb", "64",
                       *joins, "--"]
            if sandboxed:
                command += bwrap.bwrap_command(folder, inbox)
            command += [sys.executable, "-m", "ipykernel_launcher", "-f", connection]
            started = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, cwd=folder)
            client = BlockingKernelClient(connection_file=connection)
            client.load_connection_file()
            client.start_channels()
            try:
                client.wait_for_ready(timeout=60)
                times.append(time.perf_counter() - started)
            finally:
                client.stop_channels()
                process.kill()
                process.wait()
                if group is not None:
                    group.remove()
    return statistics.median(times)


def grade_class(submissions, out, sandboxed, jobs, timeout):
    from kmeans_lessons.grading.autograde import grade

    started = time.perf_counter()
    grades = grade([submissions], out / f"grades-{'sandbox' if sandboxed else 'plain'}.csv",
                   timeout=timeout, jobs=jobs, key=b"benchmark key", progress=False,
                   sandbox=sandboxed)
    return time.perf_counter() - started, {g.submission: (g.total, g.status) for g in grades}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="students in the class (default 30)")
    parser.add_argument("--lesson", default="03_old_faithful")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=5, help="kernel starts timed each way")
    args = parser.parse_args(argv)

    from kmeans_lessons.grading.autograde import bwrap

    try:
        bwrap.check_sandbox()
    except bwrap.SandboxUnavailable as error:
        print(f"the sandbox cannot run here: {error}")
        return 2

    plain = kernel_start_seconds(False, args.repeats)
    boxed = kernel_start_seconds(True, args.repeats)
    print(f"kernel start (median of {args.repeats}): {plain:.3f} s without the sandbox, "
          f"{boxed:.3f} s with it; ratio {boxed / plain:.2f}")

    from make_class import make_class

    out = Path(tempfile.mkdtemp(prefix="kmeans-lessons-bench-class-"))
    make_class(args.n, out / "submissions", args.lesson)
    # One student each way first, untimed: the first batch of a run also fills caches
    # (bytecode, fonts, the page cache) that the second would otherwise get for free.
    make_class(1, out / "warm-up", args.lesson)
    for sandboxed in (False, True):
        grade_class(out / "warm-up", out, sandboxed, args.jobs, args.timeout)
    plain_seconds, plain_rows = grade_class(out / "submissions", out, False, args.jobs,
                                            args.timeout)
    boxed_seconds, boxed_rows = grade_class(out / "submissions", out, True, args.jobs,
                                            args.timeout)
    ratio = boxed_seconds / plain_seconds
    print(f"class of {args.n} {args.lesson} submissions, --jobs {args.jobs}: "
          f"{plain_seconds:.1f} s without the sandbox, {boxed_seconds:.1f} s with it; "
          f"ratio sandbox/plain {ratio:.3f} (target <= {TARGET})")
    differ = sorted(name for name in plain_rows if plain_rows[name] != boxed_rows.get(name))
    print("same points and status for every student both ways" if not differ
          else f"DIFFERENT results for: {', '.join(differ)}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
