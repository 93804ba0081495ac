"""The OS sandbox of a submission's kernel: what a process inside can and cannot see and do.

Each test runs a few lines of Python in the sandbox exactly as the grader starts a kernel
(``sandbox.py`` limits, optionally a cgroup, then ``bwrap``) and checks what it could reach.
Without bubblewrap (or without a writable cgroup) the tests skip with the reason; CI installs
bubblewrap and sets ``KMEANS_LESSONS_REQUIRE_SANDBOX=1``, which turns those skips into failures.
"""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from kmeans_lessons.grading.autograde import bwrap, cgroup

LAUNCHER = str(Path(bwrap.__file__).with_name("sandbox.py"))
REQUIRED = os.environ.get("KMEANS_LESSONS_REQUIRE_SANDBOX") == "1"


def _skip_or_fail(reason):
    if REQUIRED:
        pytest.fail(f"KMEANS_LESSONS_REQUIRE_SANDBOX=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sandbox_works():
    try:
        bwrap.check_sandbox()
    except bwrap.SandboxUnavailable as error:
        _skip_or_fail(str(error))


@pytest.fixture(scope="module")
def cgroups(sandbox_works):
    parent, reason = cgroup.open_cgroups()
    if parent is None:
        _skip_or_fail(f"no cgroup can be made here: {reason}")
    return parent


@pytest.fixture
def private(tmp_path):
    """A submission's private folder (with its read-only inbox) and a neighbour's."""
    folder = tmp_path / "submission"
    (folder / "inbox").mkdir(parents=True)
    (folder / "inbox" / "call-1.json").write_text("{}")
    neighbour = tmp_path / "neighbour"
    neighbour.mkdir()
    (neighbour / "answers.txt").write_text("someone else's work")
    return folder


def run_inside(folder, code, *, cgroup=None, memory_mb=2048, timeout=60, tmp_mb=64):
    """Run ``code`` in the sandbox as the grader starts a kernel; return the CompletedProcess."""
    joins = [arg for procs in (cgroup.procs_files if cgroup else [])
             for arg in ("--cgroup-procs", procs)]
    command = [sys.executable, LAUNCHER, "--memory-mb", str(memory_mb), "--file-mb", "64",
               *joins, "--", *bwrap.bwrap_command(folder, Path(folder) / "inbox", tmp_mb=tmp_mb),
               sys.executable, "-c", textwrap.dedent(code)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          cwd=folder)


def lines(result):
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_kernel_is_its_own_user_and_process_1_and_sees_no_other_process(private):
    out = lines(run_inside(private, """
        import os
        print(os.getuid(), os.getgid(), os.getpid())
        print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()) == [1])
        status = open('/proc/self/status').read()
        print(os.getuid() != 0 and status.count('CapEff:\\t0000000000000000'))
    """))
    assert out == ["65534", "65534", "1", "True", "1"]


def test_the_grading_key_grader_files_and_other_submissions_are_not_there(private, tmp_path):
    key = Path.home() / ".config" / "kmeans-lessons"
    out = lines(run_inside(private, f"""
        import os
        for path in [{str(key)!r}, {str(tmp_path / 'neighbour')!r}, {str(Path.cwd())!r} + '/tests',
                     '/etc/shadow', '/root/.bash_history', '/var', '/home', '/sys', '/run']:
            print(os.path.exists(path))
        print(sorted(os.listdir({str(private)!r})))
    """))
    assert out == ["False"] * 9 + ["['inbox']"]


def test_the_package_interpreter_and_environment_are_read_only(private):
    import kmeans_lessons

    package = Path(kmeans_lessons.__file__).parent
    out = lines(run_inside(private, f"""
        import errno, os, sys
        for folder in [{str(package)!r}, {str(package / '__pycache__')!r}, sys.prefix,
                       sys.base_prefix, '/usr/lib', {str(private / 'inbox')!r}]:
            try:
                open(os.path.join(folder, 'planted.pyc'), 'wb').write(b'x')
                print('written')
            except OSError as error:
                print(errno.errorcode[error.errno])
        open('mine.txt', 'w').write('the private folder is writable')
        print(open('mine.txt').read().split()[-1])
    """))
    assert out[:6] == ["EROFS"] * 6 or set(out[:6]) <= {"EROFS", "ENOENT"}
    assert "written" not in out and out[-1] == "writable"
    assert not (package / "planted.pyc").exists()


def test_no_network_but_loopback_and_the_hosts_loopback_is_unreachable(private):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        out = lines(run_inside(private, f"""
            import socket
            print(sorted(name for _, name in socket.if_nameindex()))
            for host in ['127.0.0.1', '10.0.0.1', '1.1.1.1']:
                try:
                    socket.create_connection((host, {port}), timeout=2).close()
                    print('connected')
                except OSError as error:
                    print(type(error).__name__)
        """))
    finally:
        server.close()
    assert out[0] == "['lo']"
    assert "connected" not in out[1:]


def test_tmp_and_dev_shm_are_size_capped(private):
    out = lines(run_inside(private, """
        import errno
        for folder in ['/tmp', '/dev/shm']:
            try:
                with open(folder + '/fill', 'wb') as handle:
                    for _ in range(40):
                        handle.write(bytes(2**20))
                print('unbounded')
            except OSError as error:
                print(errno.errorcode[error.errno])
    """, tmp_mb=16))
    assert out == ["ENOSPC", "ENOSPC"]


def test_a_signal_to_bwrap_does_not_reach_the_kernel_but_one_to_its_child_does(private):
    code = """
        import signal, sys, time
        def stop(*_):
            print('interrupted', flush=True)
            sys.exit(0)
        signal.signal(signal.SIGINT, stop)
        print('ready', flush=True)
        time.sleep(60)
    """
    command = [sys.executable, LAUNCHER, "--memory-mb", "2048", "--file-mb", "64", "--",
               *bwrap.bwrap_command(private, private / "inbox"),
               sys.executable, "-c", textwrap.dedent(code)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        (kernel,) = psutil.Process(process.pid).children()
        kernel.send_signal(signal.SIGINT)
        assert process.stdout.readline().strip() == "interrupted"
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()


# ---------------------------------------------------------------------------------------------
# The cgroup


def test_shared_memory_counts_against_the_cgroup(private, cgroups):
    group = cgroups.create(200 * 2**20)
    try:
        # 400 MB in memfds (each under the file-size cap): RLIMIT_AS (2 GB here) does not see
        # them, the cgroup does.
        result = run_inside(private, """
            import os
            hoard = [os.memfd_create('hoard') for _ in range(8)]
            for fd in hoard:
                for _ in range(50):
                    os.write(fd, bytes(2**20))
            print('held 400 MB')
        """, cgroup=group, memory_mb=2048)
        assert "held 400 MB" not in result.stdout
        assert result.returncode != 0
        assert group.oom_kills() >= 1
    finally:
        group.remove()


def test_the_cgroup_caps_the_number_of_processes(private, cgroups):
    group = cgroups.create(2**30, pids=40)
    try:
        out = lines(run_inside(private, """
            import os, time
            children = 0
            try:
                for _ in range(200):
                    pid = os.fork()
                    if pid == 0:
                        time.sleep(30)
                        os._exit(0)
                    children += 1
            except OSError as error:
                print('refused', children < 40)
        """, cgroup=group, timeout=60))
        assert out == ["refused", "True"]
    finally:
        group.remove()
    assert group.pids() == set()


def test_killing_the_cgroup_ends_detached_processes(private, cgroups):
    group = cgroups.create(2**30)
    done = threading.Event()
    try:
        code = """
            import os, subprocess, sys, time
            subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],
                             start_new_session=True)
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(600)
                os._exit(0)
            print('started', flush=True)
            time.sleep(600)
        """
        threading.Thread(target=lambda: (run_inside(private, code, cgroup=group, timeout=120),
                                         done.set()), daemon=True).start()
        deadline = time.monotonic() + 30
        while len(group.pids()) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(group.pids()) >= 4  # launcher/bwrap, the kernel, two sleepers (+ forks)
        assert group.kill()
        assert done.wait(10)
        assert group.pids() == set()
    finally:
        group.remove()
    assert not any(Path(folder).exists() for folder in group.folders)


def test_open_cgroups_explains_when_there_is_no_cgroup(tmp_path):
    (tmp_path / "cgroup").write_text("0::/user.slice/session-1.scope\n")
    (tmp_path / "mountinfo").write_text(
        "25 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n")
    parent, reason = cgroup.open_cgroups(tmp_path / "cgroup", tmp_path / "mountinfo")
    assert parent is None
    assert "memory and pids controllers" in reason and "no cgroup v1 memory tree" in reason


def test_install_help_names_the_package_and_the_unsafe_switch():
    assert "apt-get install bubblewrap" in bwrap.INSTALL_HELP
    assert "--no-sandbox" in bwrap.INSTALL_HELP
    assert "macOS or Windows" in bwrap._probe(None, "darwin")
    assert "not installed" in bwrap._probe(None, "linux")


# ---------------------------------------------------------------------------------------------
# Refusing to grade unsafely, and --no-sandbox


def _one_submission(folder):
    import nbformat

    folder.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np\n\ndef assign(X, C):\n    return np.full(len(X), -1)")]),
        folder / "alice.ipynb")
    return folder


def test_grading_without_bubblewrap_is_refused_with_how_to_install(tmp_path, monkeypatch,
                                                                    capsys):
    from kmeans_lessons.cli import main

    monkeypatch.setattr(bwrap, "find_bwrap", lambda: None)
    code = main(["grade", str(_one_submission(tmp_path / "subs")), "--out",
                 str(tmp_path / "g.csv"), "--key-file", str(tmp_path / "k")])
    error = capsys.readouterr().err
    assert code == 3
    assert "bubblewrap (bwrap) is not installed" in error and "apt-get install bubblewrap" in error
    assert not (tmp_path / "g.csv").exists()


def test_no_sandbox_warns_in_the_output_and_in_every_row(tmp_path, capsys):
    import csv

    from kmeans_lessons.cli import main
    from kmeans_lessons.grading.autograde import NO_SANDBOX_NOTE

    code = main(["grade", str(_one_submission(tmp_path / "subs")), "--out",
                 str(tmp_path / "g.csv"), "--key-file", str(tmp_path / "k"), "--no-sandbox",
                 "--lesson", "02_distances", "--no-progress", "--timeout", "20"])
    assert code == 0
    assert "WARNING: --no-sandbox" in capsys.readouterr().err
    with open(tmp_path / "g.csv", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["message"].startswith(NO_SANDBOX_NOTE)


# ---------------------------------------------------------------------------------------------
# Protocol pieces that no sandbox gives


def test_a_copy_of_the_references_code_has_its_fingerprint_however_made():
    import inspect
    import marshal
    import types

    import kmeans_lessons
    from kmeans_lessons.grading.autograde.kernel import code_fingerprint

    reference = kmeans_lessons.pairwise_sq_dists
    mine = reference.__code__.replace(co_filename="<mine>", co_name="mine", co_firstlineno=7)
    namespace = dict(reference.__globals__)
    exec(compile(inspect.getsource(reference), "<pasted>", "exec"), namespace)
    copies = [reference.__code__, marshal.loads(marshal.dumps(reference.__code__)), mine,
              namespace["pairwise_sq_dists"].__code__,
              types.FunctionType(reference.__code__, {}).__code__]
    assert {code_fingerprint(code) for code in copies} == {code_fingerprint(reference.__code__)}
    own = compile("def pairwise_sq_dists(X, C):\n    d = X[:, None] - C[None]\n"
                  "    return (d ** 2).sum(-1)\n", "<cell>", "exec").co_consts[0]
    assert code_fingerprint(own) != code_fingerprint(reference.__code__)
    assert code_fingerprint(kmeans_lessons.assign.__code__) != code_fingerprint(reference.__code__)


def test_code_the_notebook_writes_out_is_its_own():
    """A one-line exercise may be typed exactly as the reference is: not a copied object."""
    import nbformat

    from kmeans_lessons.grading.autograde.kernel import code_fingerprint
    from kmeans_lessons.grading.autograde.worker import authored_fingerprints

    source = "def double(x):\n    return 2 * x\n"
    cell = nbformat.v4.new_code_cell("%matplotlib inline\n" + source)
    nb = nbformat.v4.new_notebook(cells=[cell])
    namespace = {}
    exec(source, namespace)
    assert code_fingerprint(namespace["double"].__code__) in authored_fingerprints(nb)


def test_only_signed_reports_count():
    from kmeans_lessons.grading.autograde.protocol import sign_report, verify_report

    key = b"k" * 32
    line = '{"event": "done"}'
    assert verify_report(key, sign_report(key, line)) == line
    assert verify_report(key, sign_report(b"x" * 32, line)) is None
    assert verify_report(key, line) is None
    assert verify_report(key, sign_report(key, line).replace("done", "exercise")) is None


def test_a_worker_killed_by_a_signal_is_crashed_and_nothing_it_reported_counts():
    from kmeans_lessons.grading.autograde.batch import _summarise
    from kmeans_lessons.grading.exercises import EXERCISES

    reports = [{"event": "lesson", "lesson": "02_distances", "exercises": ["assign"]},
               {"event": "exercise", "name": "assign", "score": 1, "max_score": 1,
                "passed": True}]
    grade = _summarise("alice.ipynb", reports, False, -9, "", EXERCISES, 60)
    assert (grade.status, grade.total) == ("crashed", 0)
    assert "killed by signal 9" in grade.message


@pytest.mark.parametrize("planted", ["directory", "link", "linked folder"])
def test_planted_output_paths_are_never_followed(tmp_path, planted):
    from kmeans_lessons.grading._atomic import PlantedPathError
    from kmeans_lessons.grading.autograde import SubmissionGrade, write_feedback, write_grades

    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    feedback = tmp_path / "feedback"
    if planted == "linked folder":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        feedback.symlink_to(elsewhere)
    else:
        feedback.mkdir()
        if planted == "directory":
            (feedback / "alice.txt").mkdir()
        else:
            (feedback / "alice.txt").symlink_to(victim)
    grades = [SubmissionGrade("alice", "alice.ipynb", "graded", ""),
              SubmissionGrade("bob", "bob.ipynb", "graded", "")]
    write_feedback(grades, feedback)
    assert "feedback file not written" in grades[0].message
    assert victim.read_text() == "untouched"
    if planted != "linked folder":
        assert (feedback / "bob.txt").is_file() and grades[1].message == ""
    out = tmp_path / "grades.csv"
    out.symlink_to(victim)
    with pytest.raises(PlantedPathError, match="not a regular file"):
        write_grades(grades, out, exercises=[])
    assert victim.read_text() == "untouched"


def test_cgroup_v2_groups_get_memory_process_and_swap_limits(tmp_path):
    """cgroup v2 as on a systemd machine with a delegated scope (a fake tree: the files the
    kernel would offer are plain files here)."""
    scope = tmp_path / "fs" / "user.slice" / "grader.scope"
    scope.mkdir(parents=True)
    (scope / "cgroup.controllers").write_text("cpu memory pids\n")
    (scope / "cgroup.subtree_control").write_text("cpu memory pids\n")
    (tmp_path / "cgroup").write_text("0::/user.slice/grader.scope\n")
    (tmp_path / "mountinfo").write_text(
        f"25 1 0:22 / {tmp_path / 'fs'} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n")
    parent, reason = cgroup._try_v2(cgroup._own_cgroups(tmp_path / "cgroup"),
                                    cgroup._mounts(tmp_path / "mountinfo"))
    assert (parent.version, parent.folders, reason) == (2, (str(scope),), "")
    group = parent.create(300 * 2**20, pids=40)
    (folder,) = map(Path, group.folders)
    assert folder.parent == scope and folder.name.startswith("kmeans-lessons-")
    assert (folder / "memory.max").read_text() == str(300 * 2**20)
    assert (folder / "pids.max").read_text() == "40"
    assert group.procs_files == [str(folder / "cgroup.procs")]
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert group.oom_kills() == 1
