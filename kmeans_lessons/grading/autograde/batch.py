"""The batch grader: run one worker per submission, turn its reports into grades.

:func:`grade` runs :func:`grade_submissions` and writes ``grades.csv`` (and one feedback file per
student, :mod:`.results`). The trust boundary and the statuses are described in
:mod:`kmeans_lessons.grading.autograde`. This process never reads a submission's notebook: it
lists the submissions, derives the secret seeds, starts the workers (``--jobs`` at a time, with
a tqdm progress bar), kills a worker that overruns its time budget together with everything it
started, and builds each row from the worker's reports (:mod:`.protocol`).
"""

import hashlib
import hmac
import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import psutil
from tqdm.auto import tqdm

from ..exercises import EXERCISES
from ..scoring import points
from .processes import kill_descendants
from .protocol import (BudgetReport, CellReport, DoneReport, ErrorReport, ExerciseReport,
                       InvalidReport, Job, LessonReport, report_from_json)
from .results import (ExerciseGrade, SubmissionGrade, exercise_columns, write_feedback,
                      write_grades)

__all__ = [
    "collect_submissions",
    "load_key",
    "exercise_seed",
    "grade_submissions",
    "grade",
    "STATUSES",
    "package_fingerprint",
    "PackageChangedWarning",
]

#: The values of the ``status`` column, from best to worst.
STATUSES = ("graded", "timeout", "crashed", "invalid")
#: Environment variable holding the grading key (any text), read by :func:`load_key`.
KEY_ENV = "KMEANS_LESSONS_GRADING_KEY"
#: Environment variable that marks every process started for one submission.
RUN_ENV = "KMEANS_LESSONS_GRADING_RUN"
#: Seconds the batch grader waits past a submission's budget before killing its worker.
KILL_GRACE = 10.0
#: Largest report stream read from one worker.
MAX_REPORT_BYTES = 16 * 2**20
#: How the batch grader starts a worker (one submission each). ``rfc3987_syntax`` is marked
#: absent first: jsonschema (under nbformat) builds a grammar for it on import, a second per
#: worker, for a format check that notebook validation never uses.
WORKER_COMMAND = (
    sys.executable, "-c",
    "import sys; sys.modules['rfc3987_syntax'] = None; "
    "from kmeans_lessons.grading.autograde.worker import main; sys.exit(main())",
)


# ------------------------------------------------------------------------------------------
# Inputs


def collect_submissions(paths):
    """The notebooks to grade, sorted by file stem.

    Parameters
    ----------
    paths : iterable of path-like
        Files (graded whatever their extension: a file that is not a notebook is reported as
        invalid) and folders (every ``*.ipynb`` inside, recursively, checkpoints skipped).

    Returns
    -------
    submissions : list of pathlib.Path

    Raises
    ------
    FileNotFoundError
        For a path that does not exist.
    ValueError
        If two submissions share a file stem (the stem names the row in ``grades.csv``).
    """
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += [p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path} does not exist; pass notebooks or folders of them.")
    by_stem = {}
    for path in found:
        other = by_stem.setdefault(path.stem, path)
        if other.resolve() != path.resolve():
            raise ValueError(
                f"{other} and {path} would both be the row {path.stem!r} of grades.csv; rename "
                f"one (each row is named by its file's stem)."
            )
    return [by_stem[stem] for stem in sorted(by_stem)]


def _default_key_file():
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "kmeans-lessons" / "grading.key"


def load_key(path=None):
    """The secret that the hidden-case seeds are derived from.

    Parameters
    ----------
    path : path-like, optional
        A key file. Default: ``$KMEANS_LESSONS_GRADING_KEY`` if set, else
        ``~/.config/kmeans-lessons/grading.key``, created (mode 0600, 32 random bytes) on first
        use.

    Returns
    -------
    key : bytes
    """
    if path is None and os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    path = Path(path) if path is not None else _default_key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    key = path.read_bytes().strip()
    if not key:
        raise ValueError(f"the key file {path} is empty; delete it to create a new key.")
    return key


def exercise_seed(key, exercise):
    """Seed of the hidden cases of ``exercise``: HMAC-SHA256(key, name), 63 bits.

    The same key gives the same cases (so re-grading gives the same file); without the key the
    cases cannot be predicted.
    """
    digest = hmac.new(key, b"kmeans-lessons hidden cases\0" + exercise.encode(), hashlib.sha256)
    return int.from_bytes(digest.digest()[:8], "big") >> 1


#: The package whose files every worker imports (references, cases, the worker itself).
PACKAGE_DIR = Path(__file__).resolve().parents[2]


def package_fingerprint(folder=None):
    """SHA-256 over the package's ``.py`` files (paths and contents).

    A kernel runs as the grader's user, so a submission could edit these files and make the
    workers that start after it compute wrong expected answers. Each worker imports everything
    it needs before its kernel starts, so a submission cannot reach its own grading this way;
    comparing this fingerprint before and after each submission catches it reaching others'.
    """
    folder = Path(folder or PACKAGE_DIR)
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


class PackageChangedWarning(UserWarning):
    """The package's files changed during a batch: grades after that may be wrong."""


# ------------------------------------------------------------------------------------------
# Running one worker


def _font_caches():
    """matplotlib's font list, copied into each kernel's fresh config folder (saves ~0.4 s)."""
    try:
        import matplotlib

        return sorted(str(p) for p in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))
    except Exception:
        return []


def _kill_marked(token):
    """Kill any process still carrying this submission's mark (one that escaped its worker)."""
    for process in psutil.process_iter():
        try:
            if process.environ().get(RUN_ENV) == token:
                process.kill()
        except psutil.Error:
            continue


def _run_worker(job, budget):
    """Run one worker on ``job`` (a protocol.Job); return (reports, killed, returncode, stderr
    tail), the reports as the JSON objects the worker wrote (read by :func:`_summarise`)."""
    token = secrets.token_hex(16)
    env = {key: value for key, value in os.environ.items() if not key.startswith(KEY_ENV)}
    env[RUN_ENV] = token
    # One BLAS thread for the worker too: the reference timings that timing cases compare
    # with should run like the student's kernel does, and --jobs kernels share the cores.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    reports, size = [], [0]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            list(WORKER_COMMAND), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
            start_new_session=True, env=env, cwd=tempfile.gettempdir(),
        )

        def read():
            for line in process.stdout:
                size[0] += len(line)
                if size[0] > MAX_REPORT_BYTES:
                    break
                try:
                    report = json.loads(line)
                except ValueError:
                    continue
                if isinstance(report, dict):
                    reports.append(report)
            process.stdout.close()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            process.stdin.write(json.dumps(job.to_json()).encode())
            process.stdin.close()
        except OSError:
            pass
        killed = False
        try:
            process.wait(timeout=budget + KILL_GRACE)
        except subprocess.TimeoutExpired:
            killed = True
            kill_descendants(process.pid)
            process.kill()
            process.wait()
        reader.join(timeout=10)
        _kill_marked(token)
        errors.seek(0, io.SEEK_END)
        errors.seek(max(0, errors.tell() - 4000))
        tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return reports, killed, process.returncode, tail[0]


# ------------------------------------------------------------------------------------------
# Turning reports into a row


def _points(exercise, score, max_score):
    """The worker's ``score`` out of ``max_score``, on the registry's points of ``exercise``."""
    if not max_score or max_score <= 0:
        return 0.0
    return points(exercise.points, float(score) / float(max_score))  # a share of 1


def _cell_phrase(report):
    number = report.cell
    where = f"cell {number + 1}" if isinstance(number, int) else "the kernel"
    if report.outcome == "timeout":
        return f"{where} ran past the time limit and was interrupted"
    if report.outcome == "stuck":
        return f"{where} ran past the time limit and ignored the interrupt (kernel restarted)"
    if report.outcome == "died":
        if isinstance(number, int) and report.memory:
            return f"{where} used more memory than allowed (kernel restarted, cell skipped)"
        if isinstance(number, int):
            return f"{where} killed the kernel (restarted, cell skipped)"
        return "the kernel died while a function was being graded (restarted)"
    return None  # errors and skipped cells are summarised once, in _summarise


def _summarise(path, reports, killed, returncode, stderr_tail, registry, budget):
    """The SubmissionGrade of ``path`` from its worker's reports (the JSON objects it wrote,
    read with :func:`protocol.report_from_json`; what cannot be read is ignored)."""
    stem = Path(path).stem
    by_kind = {}
    for report in filter(None, map(report_from_json, reports)):
        by_kind.setdefault(type(report), []).append(report)
    invalid = by_kind.get(InvalidReport)
    if invalid:
        return SubmissionGrade(stem, str(path), "invalid", invalid[0].message)
    lesson_report = (by_kind.get(LessonReport) or [LessonReport()])[0]
    lesson = lesson_report.lesson
    names = [name for name in lesson_report.exercises if name in registry]
    cells = by_kind.get(CellReport, [])
    exercise_reports = by_kind.get(ExerciseReport, [])
    grades = {}
    for report in exercise_reports:
        name = report.name
        if name not in registry or name not in names:
            continue
        grades[name] = ExerciseGrade(
            name=name,
            points=_points(registry[name], report.score, report.max_score),
            max_points=float(registry[name].points),
            passed=report.passed,
            pending=report.pending,
            feedback=report.feedback[:50],
            note=report.note,
        )
    out_of_time = killed or BudgetReport in by_kind
    for name in names:
        if name not in grades:
            grades[name] = ExerciseGrade(
                name, 0.0, float(registry[name].points),
                note="not graded: " + ("the time budget ran out" if out_of_time
                                       else "the grader stopped before reaching it"))

    died = any(c.outcome == "died" for c in cells) or any(r.kernel_died for r in exercise_reports)
    timed_out = out_of_time or any(c.outcome in ("timeout", "stuck") for c in cells) or any(
        r.timed_out for r in exercise_reports)
    worker_failed = DoneReport not in by_kind and not killed
    if worker_failed or died:
        status = "crashed"
    elif timed_out:
        status = "timeout"
    else:
        status = "graded"

    parts = []
    if worker_failed:
        error = (by_kind.get(ErrorReport) or [ErrorReport()])[0].message
        parts.append(f"grader error: {error}" if error
                     else f"the grading process stopped unexpectedly (exit code {returncode})")
    if killed:
        parts.append(f"stopped after the time budget of {budget:g} s")
    elif BudgetReport in by_kind:
        parts.append(f"the time budget of {budget:g} s ran out")
    parts += [phrase for phrase in map(_cell_phrase, cells) if phrase]
    raised = [c for c in cells if c.outcome == "error"]
    if raised:
        listing = ", ".join(f"{c.cell + 1} ({c.ename or 'error'})" for c in raised[:5])
        more = f" and {len(raised) - 5} more" if len(raised) > 5 else ""
        parts.append(f"cells that raised: {listing}{more}")
    skipped = [c for c in cells if c.outcome == "skipped"]
    if skipped:
        parts.append(f"{len(skipped)} cell(s) not run")
    if lesson is None:
        parts.append("defines none of the exercise functions")
    for name in names:
        grade = grades[name]
        if grade.note:
            parts.append(grade.note if grade.note.startswith(name) else f"{name}: {grade.note}")
        elif grade.pending:
            parts.append(f"{name}: not attempted (still raises NotImplementedError)")
    return SubmissionGrade(stem, str(path), status, "; ".join(parts), lesson, grades, cells)


# ------------------------------------------------------------------------------------------
# The batch


def grade_submissions(submissions, *, timeout=60.0, max_time=None, memory_mb=4096, file_mb=1024,
                      jobs=1, lesson=None, key=None, progress=True):
    """Run and grade every submission, each in its own worker and kernel.

    Parameters
    ----------
    submissions : iterable of path-like
        Notebooks and folders of notebooks (see :func:`collect_submissions`).
    timeout : float
        Seconds one cell, or one call of a student's function during grading, may run before it
        is interrupted (and the run goes on).
    max_time : float, optional
        Seconds one submission may take in all (running plus grading); default ``10 * timeout``
        and at least 60. A worker past it is killed with everything it started.
    memory_mb : int
        Address-space cap of each process of a submission, and of all of them together.
    file_mb : int
        Largest file a submission may write.
    jobs : int
        Submissions graded at the same time (one kernel each).
    lesson : str, optional
        Grade every submission as this lesson (e.g. ``"02_distances"``); default: the lesson
        whose exercises each notebook defines most of.
    key : bytes, optional
        Secret for the hidden-case seeds; default :func:`load_key`.
    progress : bool
        Show a tqdm progress bar over submissions.

    Returns
    -------
    grades : list of SubmissionGrade
        Sorted by submission name. One broken submission never stops the batch.
    """
    paths = collect_submissions(submissions)
    registry = EXERCISES
    if lesson is not None and lesson not in {e.notebook for e in registry.values()}:
        known = ", ".join(sorted({e.notebook for e in registry.values()}))
        raise ValueError(f"unknown lesson {lesson!r}; the lessons are: {known}.")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}.")
    key = load_key() if key is None else key
    budget = float(max_time) if max_time is not None else max(60.0, 10.0 * float(timeout))
    settings = dict(
        lesson=lesson,
        seeds={name: exercise_seed(key, name) for name in registry},
        cell_timeout=float(timeout),
        max_time=budget,
        memory_mb=int(memory_mb),
        file_mb=int(file_mb),
        font_caches=_font_caches(),
    )

    fingerprint = package_fingerprint()
    changed = []

    def one(path):
        try:
            reports, killed, code, tail = _run_worker(
                Job(notebook=str(Path(path).resolve()), **settings), budget)
            result = _summarise(path, reports, killed, code, tail, registry, budget)
        except Exception as error:  # never let one submission stop the batch
            result = SubmissionGrade(Path(path).stem, str(path), "crashed",
                                     f"grader error: {type(error).__name__}: {error}")
        if not changed and package_fingerprint() != fingerprint:
            changed.append(result.submission)
            note = "the kmeans_lessons package files changed while this submission ran"
            result.message = f"{result.message}; {note}" if result.message else note
        return result

    results = []
    bar = tqdm(total=len(paths), desc="grading", unit="notebook", disable=not progress)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(one, path): path for path in paths}
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            bar.set_postfix_str(f"{result.submission}: {result.status}", refresh=False)
            bar.update()
    bar.close()
    if changed:
        warnings.warn(
            f"the files of the kmeans_lessons package ({PACKAGE_DIR}) changed while "
            f"{changed[0]} was graded; the submissions graded after it may have been compared "
            f"with altered answers. Restore the files (git diff shows what changed) and grade "
            f"again, as a user that cannot write to the package.", PackageChangedWarning,
            stacklevel=2)
    return sorted(results, key=lambda r: r.submission)


def grade(submissions, out, *, feedback=None, **options):
    """Grade submissions and write ``out`` (grades.csv) and, optionally, feedback files.

    Parameters
    ----------
    submissions : iterable of path-like
        Notebooks and folders of notebooks.
    out : path-like
        The CSV file, written once at the very end, atomically: whatever a submission wrote to
        that path while it ran is replaced.
    feedback : path-like, optional
        Folder for one feedback file per student.
    **options
        Passed to :func:`grade_submissions`.

    Returns
    -------
    grades : list of SubmissionGrade
    """
    grades = grade_submissions(submissions, **options)
    exercises = exercise_columns(grades, options.get("lesson"))
    if feedback is not None:
        write_feedback(grades, feedback)
    write_grades(grades, out, exercises)
    return grades
