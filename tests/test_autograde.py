"""Batch autograder: each submission in its own kernel, nothing it does trusted, batch never stops.

The red-team submissions are graded together in one batch (``redteam`` fixture, --jobs 2) and
each test below checks one row of it.
"""

import csv
import hashlib
import inspect
import io
import json
import stat
import sys
import types

import nbformat
import numpy as np
import psutil
import pytest

from kmeans_lessons.grading.autograde import bwrap as _bwrap
from kmeans_lessons.grading.autograde import (
    ExerciseGrade,
    SubmissionGrade,
    exercise_seed,
    feedback_text,
    grade,
    grades_csv,
    load_key,
)
from kmeans_lessons.grading.autograde import kernel as _harness
from kmeans_lessons.grading.autograde.batch import _summarise
from kmeans_lessons.grading.autograde.static import analyse, detect_lesson

# ---------------------------------------------------------------------------------------------
# Submissions, written as a student would (lesson 02: pairwise_sq_dists and assign)

SETUP = "import numpy as np\nfrom kmeans_lessons import check"
PAIRWISE = '''\
def pairwise_sq_dists(X, C):
    X = np.asarray(X)
    C = np.asarray(C)
    diff = X[:, np.newaxis, :] - C[np.newaxis, :, :]
    return np.einsum("nkd,nkd->nk", diff, diff)'''
ASSIGN = '''\
def assign(X, C):
    return pairwise_sq_dists(X, C).argmin(axis=1)'''
# Wrong for every input (no case has an answer of all -1).
WRONG_PAIRWISE = "def pairwise_sq_dists(X, C):\n    return -np.ones((len(X), len(C)))"
WRONG_ASSIGN = "def assign(X, C):\n    return np.full(len(X), -1)"
STUB_PAIRWISE = ('def pairwise_sq_dists(X, C):\n    raise NotImplementedError('
                 '"Exercise pairwise_sq_dists: replace this line with your solution.")')
STUB_ASSIGN = ('def assign(X, C):\n    raise NotImplementedError('
               '"Exercise assign: replace this line with your solution.")')
# The rest of lesson 02 in one cell: assign and the transfer exercise weighted_sq_dists.
ASSIGN_AND_WEIGHTED = ASSIGN + '''


def weighted_sq_dists(X, C, w):
    X, C, w = (np.asarray(a, dtype=float) for a in (X, C, w))
    D = ((X ** 2) @ w)[:, np.newaxis] + (C ** 2) @ w - 2 * (X * w) @ C.T
    return np.maximum(D, 0)'''
SOLVED = [SETUP, PAIRWISE, "check(pairwise_sq_dists)", ASSIGN_AND_WEIGHTED,
          "check(assign)\ncheck(weighted_sq_dists)"]
MARKER = "kmeans-lessons-stray-child-marker"


def _sandbox_works():
    try:
        _bwrap.check_sandbox()
        return True
    except _bwrap.SandboxUnavailable:
        return False


#: The red-team batch below runs in the sandbox where it works (CI), else without it (the
#: OS-level attacks are in test_redteam_sandbox.py, which skips without it).
SANDBOXED = _sandbox_works()


def notebook(*cells):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])


def tampering():
    """Wrong answers dressed up: fake check, patched NumPy and package, fake saved outputs."""
    nb = notebook(
        SETUP,
        WRONG_PAIRWISE,
        WRONG_ASSIGN,
        "import kmeans_lessons, kmeans_lessons.distances\n"
        "check = lambda *args, **kwargs: print('All tests passed: 100%')\n"
        "np.allclose = lambda *args, **kwargs: True\n"
        "np.array_equal = lambda *args, **kwargs: True\n"
        "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
        "kmeans_lessons.pairwise_sq_dists = kmeans_lessons.distances.pairwise_sq_dists = "
        "pairwise_sq_dists\n"
        "kmeans_lessons.assign = kmeans_lessons.distances.assign = assign",
        "check(pairwise_sq_dists)\ncheck(assign)",
    )
    for cell in nb.cells:
        cell.execution_count = 1
        cell.outputs = [nbformat.v4.new_output(
            "stream", name="stdout", text="All tests passed: 100%\nScore: 3/3\n")]
    return nb


def memorised():
    """Answers to every case ``check`` shows in the notebook, looked up by the inputs' bytes.

    A student can collect these by running check on instrumented code; they are public.
    """
    from kmeans_lessons.grading.check import CHECK_SEED
    from kmeans_lessons.grading.exercises import EXERCISES

    tables = {}
    for name in ("pairwise_sq_dists", "assign"):
        exercise = EXERCISES[name]
        table = {}
        for case in exercise.cases(CHECK_SEED, hidden=True):
            if case.speed:
                continue
            args = [np.asarray(a) for a in case.args]
            answer = np.asarray(exercise.reference(*args))
            table[_fingerprint(args)] = (answer.tolist(), str(answer.dtype))
        tables[name] = table
    lookup = (
        "import hashlib\n"
        f"TABLES = {tables!r}\n"
        f"{inspect.getsource(_fingerprint)}\n"
        "def answer(name, *args):\n"
        "    found = TABLES[name].get(_fingerprint([np.asarray(a) for a in args]))\n"
        "    if found is None:\n"
        "        return -np.ones(len(args[0]))\n"
        "    return np.array(found[0], dtype=found[1])"
    )
    return notebook(SETUP, lookup,
                    "def pairwise_sq_dists(X, C):\n    return answer('pairwise_sq_dists', X, C)",
                    "def assign(X, C):\n    return answer('assign', X, C)",
                    "check(pairwise_sq_dists)\ncheck(assign)")


def _fingerprint(arrays):
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(str((array.shape, array.dtype.str)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def redteam_submissions(folder, out, feedback):
    """Write every red-team submission into ``folder``; return their names."""
    subs = {
        "good": notebook(*SOLVED),
        "infinite_loop": notebook(*SOLVED, "while True:\n    pass"),
        "ignores_interrupt": notebook(
            *SOLVED, "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n"
                     "    except KeyboardInterrupt:\n        pass"),
        "os_exit": notebook(SETUP, PAIRWISE, "import os\nos._exit(1)", ASSIGN_AND_WEIGHTED),
        "sys_exit": notebook(SETUP, PAIRWISE, "import sys\nsys.exit(0)", ASSIGN_AND_WEIGHTED),
        "print_100mb": notebook(*SOLVED, "print('x' * 100_000_000)"),
        "memory_bomb": notebook(
            *SOLVED, "def bomb():\n    hog = []\n    while True:\n"
                     "        hog.append(bytearray(2**26))\n\nbomb()"),
        "stray_child": notebook(
            *SOLVED,
            "import subprocess, sys\n"
            "code = ('import os, time\\nif os.fork() == 0:\\n'\n"
            "        '    os.setsid()\\n    time.sleep(600)')\n"
            f"subprocess.run([sys.executable, '-c', code, {MARKER!r}], env={{}})\n"
            f"subprocess.Popen(['sleep', '600'], start_new_session=True)"),
        "kills_grader": notebook(
            *SOLVED, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"),
        "writes_output": notebook(
            *SOLVED,
            f"open({str(out)!r}, 'w').write('submission,total\\nwrites_output,999\\n')\n"
            f"import os\nos.makedirs({str(feedback)!r}, exist_ok=True)\n"
            f"open(os.path.join({str(feedback)!r}, 'good.txt'), 'w').write('FAKE 100 points')"),
        "tampering": tampering(),
        "calls_reference": notebook(
            SETUP,
            "from kmeans_lessons import pairwise_sq_dists as reference\n\n"
            "def pairwise_sq_dists(X, C):\n    return reference(X, C)",
            "import kmeans_lessons\nhidden = getattr(kmeans_lessons, 'as' + 'sign')\n\n"
            "def assign(X, C):\n    return hidden(X, C)"),
        "memorised": memorised(),
        "broken_helper": notebook(SETUP, "def pairwise_sq_dists(X, C):\n    return Dist", ASSIGN),
        "loops_over_samples": notebook(
            SETUP, PAIRWISE,
            "def assign(X, C):\n    C = np.asarray(C, dtype=float)\n"
            "    return np.array([((C - x) ** 2).sum(axis=1).argmin() "
            "for x in np.asarray(X, dtype=float)])"),
        "unsolved": notebook(SETUP, STUB_PAIRWISE, "check(pairwise_sq_dists)", STUB_ASSIGN,
                             "check(assign)"),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in subs.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / "not_a_notebook.ipynb").write_text("this is not a notebook {", encoding="utf-8")
    (folder / "json_not_notebook.ipynb").write_text('{"cells": 3}', encoding="utf-8")
    return sorted([*subs, "not_a_notebook", "json_not_notebook"])


def stray_processes():
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if MARKER in (process.info["cmdline"] or []):
            found.append(process)
    return found


@pytest.fixture(scope="module")
def redteam(tmp_path_factory):
    """Grade every red-team submission in one batch; return (rows by name, paths)."""
    from kmeans_lessons.grading.exercises import EXERCISES

    root = tmp_path_factory.mktemp("redteam")
    out, feedback = root / "grades.csv", root / "feedback"
    names = redteam_submissions(root / "submissions", out, feedback)
    grades = grade([root / "submissions"], out, feedback=feedback, timeout=8, jobs=2,
                   memory_mb=1536, key=b"test key", progress=False, sandbox=SANDBOXED)
    with open(out, newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    full = sum(e.points for e in EXERCISES.values() if e.notebook == "02_distances")
    return types.SimpleNamespace(rows=rows, names=names, grades=grades, out=out,
                                 feedback=feedback, full=full, exercises=EXERCISES)


def points(row):
    return float(row["total"])


# ---------------------------------------------------------------------------------------------
# The red-team batch


def test_batch_completes_with_one_row_per_submission(redteam):
    assert sorted(redteam.rows) == redteam.names
    header = next(csv.reader(io.StringIO(redteam.out.read_text())))
    lesson = [n for n, e in redteam.exercises.items() if e.notebook == "02_distances"]
    assert header == ["student", "lesson", *lesson, "total", "max_total", "status", "message"]


def test_correct_submission_gets_full_marks(redteam):
    row = redteam.rows["good"]
    assert (row["status"], points(row), row["message"]) == ("graded", redteam.full, "")


def test_infinite_loop_after_correct_work_is_interrupted_and_the_work_counts(redteam):
    row = redteam.rows["infinite_loop"]
    assert (row["status"], points(row)) == ("timeout", redteam.full)
    assert "cell 6 ran past the time limit" in row["message"]


def test_loop_that_ignores_the_interrupt_gets_a_new_kernel_and_the_work_counts(redteam):
    row = redteam.rows["ignores_interrupt"]
    assert (row["status"], points(row)) == ("timeout", redteam.full)
    assert "ignored the interrupt" in row["message"]


def test_os_exit_is_a_crash_and_the_other_cells_still_count(redteam):
    row = redteam.rows["os_exit"]
    assert (row["status"], points(row)) == ("crashed", redteam.full)
    assert "cell 3 killed the kernel" in row["message"]


def test_sys_exit_is_an_ordinary_error(redteam):
    row = redteam.rows["sys_exit"]
    assert (row["status"], points(row)) == ("graded", redteam.full)
    assert "3 (SystemExit)" in row["message"]


def test_a_100mb_print_costs_nothing(redteam):
    row = redteam.rows["print_100mb"]
    assert (row["status"], points(row), row["message"]) == ("graded", redteam.full, "")


def test_memory_bomb_hits_the_cap_as_a_memory_error(redteam):
    row = redteam.rows["memory_bomb"]
    assert (row["status"], points(row)) == ("graded", redteam.full)
    assert "6 (MemoryError)" in row["message"]


def test_stray_child_processes_are_killed(redteam):
    row = redteam.rows["stray_child"]
    assert (row["status"], points(row)) == ("graded", redteam.full)
    assert stray_processes() == []
    sleepers = [p for p in psutil.process_iter(["cmdline"])
                if p.info["cmdline"] == ["sleep", "600"]]
    assert sleepers == []


def test_a_submission_that_kills_its_grader_only_fails_itself(redteam):
    row = redteam.rows["kills_grader"]
    if SANDBOXED:  # the grader is not in the kernel's pid namespace: the signal goes nowhere
        assert (row["status"], points(row)) == ("graded", redteam.full)
    else:  # a worker killed by a signal is crashed and nothing it reported is graded
        assert (row["status"], points(row)) == ("crashed", 0)
        assert "stopped unexpectedly" in row["message"]


def test_files_that_are_not_notebooks_are_invalid(redteam):
    for name in ("not_a_notebook", "json_not_notebook"):
        row = redteam.rows[name]
        assert (row["status"], points(row)) == ("invalid", 0)
    assert "not valid JSON" in redteam.rows["not_a_notebook"]["message"]
    assert "not a valid notebook" in redteam.rows["json_not_notebook"]["message"]


def test_writing_to_the_output_paths_changes_nothing(redteam):
    row = redteam.rows["writes_output"]
    assert (row["status"], points(row)) == ("graded", redteam.full)
    good_feedback = (redteam.feedback / "good.txt").read_text()
    assert "FAKE" not in good_feedback and "Status: graded" in good_feedback


def test_tampering_with_check_numpy_the_package_and_outputs_earns_nothing(redteam):
    row = redteam.rows["tampering"]
    assert (row["status"], points(row)) == ("graded", 0)
    assert "reference" not in row["message"]


def test_calling_the_reference_scores_zero_with_a_message(redteam):
    row = redteam.rows["calls_reference"]
    assert (row["status"], points(row)) == ("graded", 0)
    message = row["message"]
    assert "pairwise_sq_dists calls the package's reference implementation" in message
    assert "assign calls the package's reference implementation" in message  # found at run time


def test_memorising_the_cases_check_shows_earns_nothing(redteam):
    row = redteam.rows["memorised"]
    assert (row["status"], points(row)) == ("graded", 0)
    # the memorised answers are right: the visible cases pass, they just earn no points
    text = (redteam.feedback / "memorised.txt").read_text()
    assert "✗ X (3, 2), C (2, 2)" not in text and "✗ hidden case: random X (7, 3)" in text


def _exercise_grade(redteam, submission, name):
    return next(g for g in redteam.grades if g.submission == submission).exercises[name]


def test_an_error_in_a_helper_is_named_with_its_line_in_the_kernel(redteam):
    assign = _exercise_grade(redteam, "broken_helper", "assign")
    assert assign.points == 0
    line = assign.feedback[0]
    assert "NameError: name 'Dist' is not defined in your function pairwise_sq_dists, which " \
           "assign calls (line 2: `return Dist`)" in line, line


def test_a_loop_over_the_samples_is_counted_in_the_kernel_and_costs_the_speed_case(redteam):
    assign = _exercise_grade(redteam, "loops_over_samples", "assign")
    assert assign.points < assign.max_points and not assign.passed
    assert len(assign.feedback) == 1 and "the work grows with the samples" in assign.feedback[0]
    assert "per extra sample" in assign.feedback[0]
    assert _exercise_grade(redteam, "loops_over_samples", "pairwise_sq_dists").passed


def test_unsolved_exercises_are_pending(redteam):
    row = redteam.rows["unsolved"]
    assert (row["status"], points(row)) == ("graded", 0)
    assert "pairwise_sq_dists: not attempted" in row["message"]


def test_one_feedback_file_per_student(redteam):
    files = sorted(p.stem for p in redteam.feedback.glob("*.txt"))
    assert files == redteam.names
    text = (redteam.feedback / "calls_reference.txt").read_text()
    assert "pairwise_sq_dists: 0 of" in text and "reference implementation" in text


def test_regrading_gives_the_same_file(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(notebook(*SOLVED), folder / "alice.ipynb")
    nbformat.write(notebook(SETUP, PAIRWISE, WRONG_ASSIGN), folder / "bob.ipynb")
    (folder / "carol.ipynb").write_text("{", encoding="utf-8")
    options = dict(timeout=20, jobs=2, key=b"same key", progress=False, sandbox=SANDBOXED)
    grade([folder], tmp_path / "first.csv", **options)
    grade([folder], tmp_path / "second.csv", **options)
    first = (tmp_path / "first.csv").read_bytes()
    assert first == (tmp_path / "second.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(first.decode())))
    assert [r["student"] for r in rows] == ["alice", "bob", "carol"]
    assert float(rows[0]["total"]) > float(rows[1]["total"]) > 0


def test_a_slow_notebook_runs_out_of_its_time_budget(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(notebook(SETUP, *["import time\ntime.sleep(2)"] * 8, PAIRWISE, ASSIGN),
                   folder / "slow.ipynb")
    (grade_,) = grade([folder], tmp_path / "g.csv", timeout=5, max_time=9, key=b"k",
                      progress=False, sandbox=SANDBOXED)
    assert grade_.status == "timeout" and grade_.total == 0
    assert "the time budget of 9 s ran out" in grade_.message
    assert "not run" in grade_.message
    assert all("time budget" in e.note for e in grade_.exercises.values())


def test_a_worker_past_its_budget_is_killed_and_the_batch_goes_on(tmp_path, monkeypatch):
    from kmeans_lessons.grading.autograde import batch as autograde

    marker = "kmeans-lessons-hung-worker"
    monkeypatch.setattr(autograde, "WORKER_COMMAND",
                        (sys.executable, "-c", "import time; time.sleep(600)", marker))
    monkeypatch.setattr(autograde, "KILL_GRACE", 0.5)
    private = tmp_path / "private"  # where the batch makes the submission's private folder
    private.mkdir()
    monkeypatch.setattr(autograde, "_private_base", lambda *args: str(private))
    nbformat.write(notebook(SETUP), tmp_path / "hung.ipynb")
    (grade_,) = grade([tmp_path / "hung.ipynb"], tmp_path / "g.csv", timeout=1, max_time=1,
                      key=b"k", progress=False, sandbox=SANDBOXED)
    assert grade_.status == "timeout"
    assert grade_.message.startswith("stopped after the time budget of 1 s")
    assert not [p for p in psutil.process_iter(["cmdline"])
                if marker in (p.info["cmdline"] or [])]
    assert list(private.iterdir()) == []  # removed although the worker could not clean up


@pytest.mark.parametrize("sabotage", ["source", "bytecode"])
def test_a_submission_that_edits_the_package_is_flagged(tmp_path, monkeypatch, sabotage):
    """Without the sandbox (in it the package is read-only) an edited source or a planted
    ``.pyc`` is noticed."""
    from kmeans_lessons.grading.autograde import batch as autograde

    package = tmp_path / "package"  # stands in for kmeans_lessons/ so the real one stays intact
    (package / "__pycache__").mkdir(parents=True)
    (package / "distances.py").write_text("def pairwise_sq_dists(X, C): ...\n")
    monkeypatch.setattr(autograde, "PACKAGE_DIR", package)
    target = (package / "distances.py" if sabotage == "source"
              else package / "__pycache__" / "distances.cpython-311.pyc")
    code = f"open({str(target)!r}, 'a').write('pairwise_sq_dists = lambda X, C: 0\\n')"
    nbformat.write(notebook(*SOLVED, code), tmp_path / "saboteur.ipynb")
    with pytest.warns(autograde.PackageChangedWarning, match="saboteur"):
        (grade_,) = grade([tmp_path / "saboteur.ipynb"], tmp_path / "g.csv", timeout=20,
                          key=b"k", progress=False, sandbox=False)
    assert "package files changed while this submission ran" in grade_.message
    assert grade_.message.startswith("graded without the sandbox (--no-sandbox)")


# ---------------------------------------------------------------------------------------------
# Pieces


def test_seeds_depend_on_key_exercise_and_submission_only():
    seed = exercise_seed(b"key", "assign", "alice")
    assert seed == exercise_seed(b"key", "assign", "alice")
    assert seed != exercise_seed(b"other", "assign", "alice")
    assert seed != exercise_seed(b"key", "inertia", "alice")
    assert seed != exercise_seed(b"key", "assign", "bob")  # a leaked set fits no one else
    assert 0 <= seed < 2**63


def test_key_is_created_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("KMEANS_LESSONS_GRADING_KEY", raising=False)
    path = tmp_path / "config" / "grading.key"
    key = load_key(path)
    assert load_key(path) == key and len(key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("KMEANS_LESSONS_GRADING_KEY", "from the environment")
    assert load_key() == b"from the environment"


REGISTRY = {
    "pairwise_sq_dists": types.SimpleNamespace(name="pairwise_sq_dists", notebook="02", points=2),
    "assign": types.SimpleNamespace(name="assign", notebook="02", points=1),
    "inertia": types.SimpleNamespace(name="inertia", notebook="03", points=1),
}
LESSON = {"event": "lesson", "lesson": "02", "exercises": ["pairwise_sq_dists", "assign"]}


def exercise_report(name, score, max_score=4, **extra):
    return {"event": "exercise", "name": name, "score": score, "max_score": max_score,
            "passed": score == max_score, "pending": False, "feedback": [], "note": "", **extra}


def summarise(reports, killed=False):
    return _summarise("x/alice.ipynb", reports, killed, 0, "", REGISTRY, 60)


def test_points_are_scaled_to_the_exercise_points():
    grade_ = summarise([LESSON, exercise_report("pairwise_sq_dists", 3),
                        exercise_report("assign", 4), {"event": "done"}])
    assert grade_.status == "graded"
    assert grade_.exercises["pairwise_sq_dists"].points == 1.5
    assert grade_.total == 2.5


@pytest.mark.parametrize("reports, killed, status", [
    ([{"event": "invalid", "message": "nope"}, {"event": "done"}], False, "invalid"),
    ([LESSON, {"event": "cell", "cell": 2, "outcome": "died"}, {"event": "done"}], False,
     "crashed"),
    ([LESSON, {"event": "cell", "cell": 2, "outcome": "timeout"}, {"event": "done"}], False,
     "timeout"),
    ([LESSON, exercise_report("assign", 0, timed_out=True), {"event": "done"}], False, "timeout"),
    ([LESSON, {"event": "budget"}, {"event": "done"}], False, "timeout"),
    ([LESSON, exercise_report("assign", 4)], True, "timeout"),
    ([LESSON, exercise_report("assign", 4)], False, "crashed"),
    ([LESSON, {"event": "cell", "cell": 2, "outcome": "error", "ename": "NameError"},
      {"event": "done"}], False, "graded"),
])
def test_status_of_a_submission(reports, killed, status):
    assert summarise(reports, killed).status == status


def test_exercises_not_reached_score_zero_with_a_reason():
    grade_ = summarise([LESSON, exercise_report("pairwise_sq_dists", 4)], killed=True)
    assert grade_.exercises["pairwise_sq_dists"].points == 2
    assert grade_.exercises["assign"].points == 0
    assert "time budget" in grade_.exercises["assign"].note
    assert grade_.message.startswith("stopped after the time budget of 60 s")


def test_grades_csv_is_sorted_and_plain():
    rows = [
        SubmissionGrade("bob", "b", "invalid", "the file is not a notebook"),
        SubmissionGrade("alice", "a", "graded", "", "02_distances", {
            "pairwise_sq_dists": ExerciseGrade("pairwise_sq_dists", 1.5, 2),
            "assign": ExerciseGrade("assign", 1.0, 1)}),
    ]
    from kmeans_lessons.grading.exercises import EXERCISES

    full = sum(e.points for e in EXERCISES.values() if e.notebook == "02_distances")
    assert grades_csv(rows, ["pairwise_sq_dists", "assign"]) == (
        "student,lesson,pairwise_sq_dists,assign,total,max_total,status,message\n"
        f"alice,02_distances,1.5,1,2.5,{full},graded,\n"
        f"bob,02_distances,0,0,0,{full},invalid,the file is not a notebook\n")


def test_grades_csv_cannot_smuggle_a_spreadsheet_formula():
    text = grades_csv([SubmissionGrade("=HYPERLINK(1)", "x", "invalid", "-x")], [])
    assert text.splitlines()[1] == "'=HYPERLINK(1),,0,,invalid,'-x"


def test_feedback_lists_points_hints_and_notes():
    grade_ = SubmissionGrade("alice", "a", "timeout", "", "02", {
        "pairwise_sq_dists": ExerciseGrade("pairwise_sq_dists", 1.5, 2,
                                           feedback=["D[0, 1] should be 2.0, got -0.0"]),
        "assign": ExerciseGrade("assign", 0, 1, pending=True)},
        cells=[{"cell": 4, "outcome": "timeout", "detail": "ran past 8 s and was interrupted"}])
    text = feedback_text(grade_)
    assert "Total: 1.5 of 3 points" in text
    assert "pairwise_sq_dists: 1.5 of 2 points\n  - D[0, 1] should be 2.0, got -0.0" in text
    assert "assign: 0 of 1 points\n  - not attempted yet" in text
    assert "Cell 5: timeout: ran past 8 s" in text


def test_points_follow_the_one_scoring_rule():
    """The worker reports CheckResult.score, computed by kmeans_lessons.grading.scoring (tested
    in test_scoring.py): hidden cases earn, a failed visible case costs like a hidden one."""
    from kmeans_lessons.grading.cases import CaseResult
    from kmeans_lessons.grading.scoring import case_points

    cases = [CaseResult("visible", True), CaseResult("visible 2", True),
             CaseResult("hidden", True, hidden=True), CaseResult("hidden 2", False, hidden=True),
             CaseResult("hidden 3", False, hidden=True), CaseResult("hidden 4", False, hidden=True)]
    assert case_points(5, cases) == 5 * 1 / 4
    cases[0].passed = False
    assert case_points(5, cases) == 5 * 1 / 5


# Static analysis: which functions delegate to the reference


REFERENCES = {"pairwise_sq_dists": {"pairwise_sq_dists"}, "assign": {"assign"},
              "inertia": {"inertia"}}


def delegation(*cells):
    return analyse(notebook(*cells), REFERENCES, REFERENCES)


@pytest.mark.parametrize("cells", [
    ["import kmeans_lessons as kl\ndef assign(X, C):\n    return kl.assign(X, C)"],
    ["import kmeans_lessons\ndef assign(X, C):\n    return kmeans_lessons.distances.assign(X, C)"],
    ["from kmeans_lessons import assign as a\n", "def assign(X, C):\n    return a(X, C)"],
    ["from kmeans_lessons import distances\ndef assign(X, C):\n    return distances.assign(X, C)"],
    ["import kmeans_lessons as kl\ndef assign(X, C):\n    return getattr(kl, 'assign')(X, C)"],
    ["import kmeans_lessons as kl\nassign = kl.assign"],
    ["def assign(X, C):\n    return __import__('kmeans_lessons').assign(X, C)"],
])
def test_delegating_to_the_reference_is_found_without_running(cells):
    defined, delegates = delegation(*cells)
    assert defined["assign"] in ("def", "import") and delegates["assign"] is True


def test_importing_the_reference_instead_of_defining_counts_as_delegating():
    defined, delegates = delegation("from kmeans_lessons import assign")
    assert defined == {"assign": "import"} and delegates == {"assign": True}


@pytest.mark.parametrize("cells", [
    ["from kmeans_lessons import pairwise_sq_dists\n"
     "def assign(X, C):\n    return pairwise_sq_dists(X, C).argmin(axis=1)"],
    ["import kmeans_lessons as kl\ndef assign(X, C):\n    return kl.inertia(X, C)"],
    ["from sklearn.metrics import pairwise_distances as pd\n"
     "def assign(X, C):\n    return pd(X, C).argmin(1)"],
    ["%%time\ndef assign(X, C):\n    return assign(X[:1], C)"],  # a magic and recursion
])
def test_using_other_functions_is_not_delegating(cells):
    defined, delegates = delegation(*cells)
    assert defined["assign"] == "def" and delegates["assign"] is False


def test_lesson_is_the_one_with_most_defined_exercises():
    exercises = {name: types.SimpleNamespace(name=name, notebook=e.notebook)
                 for name, e in REGISTRY.items()}
    assert detect_lesson({"pairwise_sq_dists": "def", "assign": "def", "inertia": "def"},
                         exercises) == "02"
    assert detect_lesson({"inertia": "def", "assign": "import"}, exercises) == "03"
    assert detect_lesson({}, exercises) is None


# Exchange format and the run-time tripwire


def round_trip(value):
    arrays = []
    document = _harness.encode(value, arrays)
    return _harness.decode(document, arrays)


def test_exchange_round_trip_keeps_types_and_values():
    rng = np.random.default_rng(3)
    value = (np.arange(6.0).reshape(2, 3), [1, 2.5, None, True, "k"], {"a": np.float32(2)},
             np.int64(7), rng)
    back = round_trip(value)
    assert isinstance(back, tuple) and isinstance(back[1], list)
    np.testing.assert_array_equal(back[0], value[0])
    assert back[1] == [1, 2.5, None, True, "k"]
    assert back[2]["a"].dtype == np.float32 and back[3] == 7
    assert back[4].integers(10**9) == np.random.default_rng(3).integers(10**9)


@pytest.mark.parametrize("document", [
    {"t": "pickle", "v": "..."},
    {"t": "nd", "i": 5},
    {"t": "list", "v": "not a list"},
    {"t": "rng", "state": {"bit_generator": "os.system"}},
    [1, 2],
])
def test_exchange_refuses_anything_but_the_format(document):
    with pytest.raises(_harness.ExchangeError):
        _harness.decode(document, [np.zeros(1)])


def test_exchange_refuses_deep_nesting():
    document = 1
    for _ in range(_harness.MAX_DEPTH + 2):
        document = {"t": "list", "v": [document]}
    with pytest.raises(_harness.ExchangeError, match="nesting"):
        _harness.decode(document, [])


def test_exchange_never_unpickles(tmp_path):
    stem = str(tmp_path / "result")
    np.savez(stem + ".npz", a0=np.array([{"evil": 1}], dtype=object))
    (tmp_path / "result.json").write_text('{"t": "nd", "i": 0}')
    with pytest.raises(ValueError):
        _harness.load(stem, 2**20)


def test_inline_exchange_round_trip():
    arrays = []
    document = _harness.encode((np.arange(4).reshape(2, 2), "k"), arrays)
    back_document, back_arrays = _harness.unpack(_harness.pack(document, arrays), 2**20)
    value = _harness.decode(back_document, back_arrays)
    np.testing.assert_array_equal(value[0], [[0, 1], [2, 3]])
    assert value[1] == "k"


def test_inline_exchange_refuses_a_header_that_promises_more_than_it_sends():
    import base64
    import json

    buffer = io.BytesIO()
    np.save(buffer, np.zeros(10**6))
    truncated = base64.b64encode(buffer.getvalue()[:200]).decode()
    with pytest.raises(_harness.ExchangeError, match="promises more"):
        _harness.unpack(json.dumps({"d": None, "a": [truncated]}), 2**20)
    with pytest.raises(_harness.ExchangeError, match="larger"):
        _harness.unpack(_harness.pack(None, [np.zeros(1000)]), 100)


def test_exchange_refuses_compressed_and_oversized_arrays(tmp_path):
    stem = str(tmp_path / "result")
    (tmp_path / "result.json").write_text('{"t": "nd", "i": 0}')
    np.savez_compressed(stem + ".npz", a0=np.zeros(10))
    with pytest.raises(_harness.ExchangeError, match="compressed"):
        _harness.load(stem, 2**20)
    np.savez(stem + ".npz", a0=np.zeros(1000))
    with pytest.raises(_harness.ExchangeError, match="larger"):
        _harness.load(stem, 4000)
    document, arrays = _harness.load(stem, 8000)
    assert arrays[0].shape == (1000,)


def test_tripwire_sees_every_alias_of_the_reference_and_is_removed_after():
    import kmeans_lessons
    from kmeans_lessons import distances

    alias = kmeans_lessons.assign
    X, C = np.array([[0.0], [3.0]]), np.array([[0.0], [2.0]])
    hits = []
    disarm = _harness._arm_tripwires(
        [["kmeans_lessons.distances", "assign", distances.__file__]], hits)
    try:
        assert list(alias(X, C)) == [0, 1]
        assert list(getattr(kmeans_lessons, "ass" + "ign")(X, C)) == [0, 1]
    finally:
        disarm()
    assert hits == ["assign", "assign"]
    alias(X, C)
    assert hits == ["assign", "assign"]


def test_tripwire_leaves_a_replaced_module_attribute_alone(monkeypatch):
    from kmeans_lessons import distances

    def student_assign(X, C):
        return "student"

    monkeypatch.setattr(distances, "assign", student_assign)
    hits = []
    disarm = _harness._arm_tripwires(
        [["kmeans_lessons.distances", "assign", distances.__file__]], hits)
    try:
        assert student_assign(None, None) == "student"
    finally:
        disarm()
    assert hits == []


# The protocol between the batch grader and a worker


def test_every_report_survives_the_trip_through_json():
    from kmeans_lessons.grading.autograde import protocol

    reports = [
        protocol.InvalidReport("the file is not a notebook (not valid JSON)"),
        protocol.LessonReport("02_distances", ["pairwise_sq_dists", "assign"], "03_old_faithful",
                              ["inertia"]),
        protocol.CellReport(cell=3, outcome="error", detail="NameError: x", ename="NameError"),
        protocol.CellReport(cell=None, outcome="died", detail="the kernel died", memory=True),
        protocol.ExerciseReport(name="assign", score=2.5, max_score=5.0, feedback=["✗ ties"],
                                note="", timed_out=True, calls=7, mistakes=["ties"]),
        protocol.BudgetReport(),
        protocol.ErrorReport("KeyError: 'x'"),
        protocol.DoneReport(),
    ]
    for report in reports:
        wire = json.loads(json.dumps(report.to_json()))
        assert wire["event"] == report.event
        assert protocol.report_from_json(wire) == report


def test_a_report_of_the_wrong_shape_is_read_with_defaults_or_dropped():
    from kmeans_lessons.grading.autograde.protocol import ExerciseReport, report_from_json

    assert report_from_json({"event": "nonsense"}) is None
    assert report_from_json(["exercise", "assign"]) is None
    read = report_from_json({"event": "exercise", "name": "assign", "score": "5", "passed": 1,
                             "feedback": ["fine"]})
    assert read == ExerciseReport(name="assign", score=0.0, passed=False, feedback=["fine"])


def test_the_job_survives_the_trip_through_json():
    from kmeans_lessons.grading.autograde.protocol import Job

    job = Job(notebook="/submissions/alice.ipynb", seeds={"assign": 2**62 + 1}, cell_timeout=5.0,
              max_time=60.0, memory_mb=4096, file_mb=1024, lesson="02_distances",
              font_caches=["/cache/fontlist-v390.json"])
    assert Job.from_json(json.loads(json.dumps(job.to_json()))) == job
