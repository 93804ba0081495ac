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
import shutil
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
from .bwrap import SandboxUnavailable, check_sandbox
from .cgroup import open_cgroups
from .processes import kill_descendants
from .protocol import (BudgetReport, CellReport, DoneReport, ErrorReport, ExerciseReport,
                       InvalidReport, Job, LessonReport, report_from_json, verify_report)
from .results import (ExerciseGrade, SubmissionGrade, exercise_columns, write_feedback,
                      write_grades)
from .submissions import collect_submissions

__all__ = [
    "collect_submissions",
    "load_key",
    "exercise_seed",
    "grade_submissions",
    "grade",
    "STATUSES",
    "package_fingerprint",
    "PackageChangedWarning",
    "NoCgroupWarning",
    "SandboxUnavailable",
    "NO_SANDBOX_NOTE",
]

#: The values of the ``status`` column, from best to worst.
STATUSES = ("graded", "timeout", "crashed", "invalid")
#: Environment variable holding the grading key (any text), read by :func:`load_key`.
KEY_ENV = "KMEANS_LESSONS_GRADING_KEY"
#: Environment variable with a Dask scheduler's address (the one ``scale.local_cluster`` reads).
SCHEDULER_ENV = "KMEANS_LESSONS_SCHEDULER"
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


def exercise_seed(key, exercise, submission=""):
    """Seed of the hidden cases of ``exercise`` for one submission: HMAC-SHA256 of the
    exercise's name and the submission's name under ``key``, 63 bits.

    The same key gives the same cases (so re-grading gives the same file); without the key the
    cases cannot be predicted; and each submission (named by its student, see
    :mod:`.submissions`) gets cases of its own, so a set of answers that leaked from one run does not fit another student's.
    """
    message = b"kmeans-lessons hidden cases\0" + exercise.encode()
    if submission:
        message += b"\0" + submission.encode()
    digest = hmac.new(key, message, hashlib.sha256)
    return int.from_bytes(digest.digest()[:8], "big") >> 1


#: The package whose files every worker imports (references, cases, the worker itself).
PACKAGE_DIR = Path(__file__).resolve().parents[2]


#: Files of the package that decide what a worker imports: sources, bytecode caches (Python
#: loads a ``.pyc`` whose header matches the source's mtime and size without reading the
#: source) and compiled extensions.
IMPORTED_SUFFIXES = (".py", ".pyc", ".so", ".pth")


def package_fingerprint(folder=None):
    """SHA-256 over the package's imported files (paths and contents, bytecode caches too).

    In the sandbox the package is read-only to the kernel. Without it (``--no-sandbox``) a
    kernel runs as the grader's user and could edit these files, or plant a ``.pyc`` in a
    ``__pycache__`` folder, and make the workers that start after it compute wrong expected
    answers. Each worker imports everything it needs before its kernel starts, so a submission
    cannot reach its own grading this way; comparing this fingerprint before and after each
    submission catches it reaching others'.
    """
    folder = Path(folder or PACKAGE_DIR)
    digest = hashlib.sha256()
    paths = [p for p in folder.rglob("*") if p.suffix in IMPORTED_SUFFIXES]
    for path in sorted(paths):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def _compile_package(folder=None):
    """Bring the package's bytecode caches up to date before the first fingerprint, so that
    the workers find them current and write none during the batch (a ``.pyc`` written by
    Python itself would otherwise look like a planted one). Does nothing where the package
    cannot be written to (an installed, precompiled package)."""
    import compileall

    try:
        compileall.compile_dir(str(folder or PACKAGE_DIR), quiet=2, force=False)
    except OSError:
        pass


class PackageChangedWarning(UserWarning):
    """The package's files changed during a batch: grades after that may be wrong."""


class NoCgroupWarning(UserWarning):
    """No cgroup could be made: memory is capped per process only (shared memory is not)."""


#: First words of every row's message when a batch ran with ``--no-sandbox``.
NO_SANDBOX_NOTE = "graded without the sandbox (--no-sandbox): this grade is not protected"


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


#: RAM-backed folder for a sandboxed submission's private folder (see _private_base).
SHARED_MEMORY = "/dev/shm"


def _private_base(with_cgroup, memory_mb):
    """Where a submission's private folder goes: RAM-backed when it has a cgroup.

    Pages of a RAM-backed (tmpfs) file are charged to the cgroup of the process that wrote
    them, so there everything the kernel writes into its folder counts against the
    submission's memory cap: the private folder is size-capped without a quota. Elsewhere
    (no cgroup, or a small /dev/shm as in a default Docker container) the usual temporary
    folder, where only the per-file cap (``file_mb``) applies.
    """
    if not with_cgroup:
        return None
    try:
        free = os.statvfs(SHARED_MEMORY)
    except OSError:
        return None
    if free.f_bavail * free.f_frsize < 2 * memory_mb * 2**20 or not os.access(
            SHARED_MEMORY, os.W_OK):
        return None
    return SHARED_MEMORY


def _run_worker(job, budget):
    """Run one worker on ``job`` (a protocol.Job); return (reports, killed, returncode, stderr
    tail), the reports as the JSON objects the worker wrote (read by :func:`_summarise`).

    Only report lines signed with this run's report key count (see ``protocol.sign_report``):
    the key goes to the worker in the job, on its standard input, and nowhere else.
    """
    token = secrets.token_hex(16)
    report_key = secrets.token_bytes(32)
    job.report_key = report_key.hex()
    env = {key: value for key, value in os.environ.items() if not key.startswith(KEY_ENV)}
    env[RUN_ENV] = token
    # One BLAS thread for the worker too: the worker computes the expected answers the way the
    # student's kernel runs, and --jobs kernels share the cores.
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
                text = verify_report(report_key, line.decode("utf-8", "replace").rstrip("\n"))
                if text is None:
                    continue
                try:
                    report = json.loads(text)
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


def submission_seeds(key, registry, student):
    """The seeds of one submission's hidden cases, salted with its student, the name of its row
    (see exercise_seed and :mod:`.submissions`). These, not the key, are what its worker
    receives."""
    return {name: exercise_seed(key, name, student) for name in registry}


def grade_one(path, seeds, settings, *, cgroups=None):
    """Grade one submission: its cgroup, its private folder, its worker; its row.

    The unit of the batch, run in a thread of this process or in a Dask task (:mod:`.cluster`).
    ``seeds`` come from :func:`submission_seeds`; ``settings`` are the Job's other fields
    (made by :func:`grade_submissions`); ``cgroups`` is the parent from ``open_cgroups()``, or
    None for none. Never raises: a failure of the grader becomes a *crashed* row.
    """
    memory_mb, budget = settings["memory_mb"], settings["max_time"]
    # The submission's cgroup and private folder are made here and removed here once its
    # worker has exited, however it exited: nothing it started outlives its row.
    group = folder = None
    try:
        group = cgroups.create(int(memory_mb) * 2**20) if cgroups is not None else None
        folder = tempfile.mkdtemp(prefix="kmeans-lessons-grade-",
                                  dir=_private_base(group is not None, memory_mb))
        cgroup = dict(cgroup_version=group.version, cgroup_folders=list(group.folders)) \
            if group is not None else {}
        reports, killed, code, tail = _run_worker(
            Job(notebook=str(Path(path).resolve()), seeds=seeds, folder=folder,
                **cgroup, **settings), budget)
        result = _summarise(path, reports, killed, code, tail, EXERCISES, budget)
    except Exception as error:  # never let one submission stop the batch
        result = SubmissionGrade(Path(path).stem, str(path), "crashed",
                                 f"grader error: {type(error).__name__}: {error}")
    finally:
        if group is not None:
            group.remove()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    if not settings["sandbox"]:
        result.message = "; ".join(filter(None, [NO_SANDBOX_NOTE, result.message]))
    return result


#: The end of the message of the row during whose grading the package's files changed.
PACKAGE_CHANGED_NOTE = "the kmeans_lessons package files changed while this submission ran"


def _note_package_changed(result):
    note = PACKAGE_CHANGED_NOTE
    result.message = f"{result.message}; {note}" if result.message else note


def _no_cgroup_message(reason):
    return (f"no cgroup can be made for the submissions ({reason}): each kernel's memory is "
            f"capped per process only, so shared memory and the number of processes are not "
            f"bounded.")


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
            mistakes=report.mistakes,
        )
    out_of_time = killed or BudgetReport in by_kind
    for name in names:
        if name not in grades:
            grades[name] = ExerciseGrade(
                name, 0.0, float(registry[name].points),
                note="not graded: " + ("the time budget ran out" if out_of_time
                                       else "the grader stopped before reaching it"))

    signalled = returncode is not None and returncode < 0 and not killed
    if signalled:
        # Something killed the grading process itself: what it reported before may be
        # incomplete or forged, so nothing of it is graded.
        for grade in grades.values():
            grade.points, grade.passed, grade.feedback = 0.0, False, []
            grade.note = "not graded: the grading process was killed"
    died = any(c.outcome == "died" for c in cells) or any(r.kernel_died for r in exercise_reports)
    timed_out = out_of_time or any(c.outcome in ("timeout", "stuck") for c in cells) or any(
        r.timed_out for r in exercise_reports)
    worker_failed = DoneReport not in by_kind and not killed
    if worker_failed or died or signalled:
        status = "crashed"
    elif timed_out:
        status = "timeout"
    else:
        status = "graded"

    parts = []
    if signalled:
        parts.append(f"the grading process stopped unexpectedly (killed by signal "
                     f"{-returncode}); grade this submission again")
    elif worker_failed:
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
    wrong_lesson = lesson_report.detected not in (None, lesson)
    if wrong_lesson:
        # Told to grade it as another lesson: say so, instead of reporting the other lesson's
        # functions as missing or (when the notebook imports them) as copied.
        mine = [n for n, e in registry.items()  # in curriculum order
                if n in lesson_report.defines and e.notebook == lesson_report.detected]
        parts.insert(0, (
            f"this notebook is lesson {lesson_report.detected} (it defines "
            f"{', '.join(mine[:4])}), not {lesson}: grade it with --lesson "
            f"{lesson_report.detected}, or without --lesson"))
        for name in names:
            if name not in lesson_report.defines:
                grades[name].note = f"not part of this notebook (it is {lesson_report.detected})"
    for name in names:
        grade = grades[name]
        if wrong_lesson and name not in lesson_report.defines:
            continue  # said once above
        if grade.note:
            parts.append(grade.note if grade.note.startswith(name) else f"{name}: {grade.note}")
        elif grade.pending:
            parts.append(f"{name}: not attempted (still raises NotImplementedError)")
    return SubmissionGrade(stem, str(path), status, "; ".join(parts), lesson, grades, cells)


# ------------------------------------------------------------------------------------------
# The batch


def grade_submissions(submissions, *, timeout=60.0, max_time=None, memory_mb=4096, file_mb=1024,
                      jobs=1, lesson=None, key=None, progress=True, sandbox=True,
                      scheduler=None):
    """Run and grade every submission, each in its own worker and kernel.

    Parameters
    ----------
    submissions : iterable of path-like
        Notebooks and folders of notebooks, or of students' folders (see
        :func:`.submissions.collect_submissions`).
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
    sandbox : bool
        Run each kernel in the bubblewrap sandbox with a cgroup of its own (see
        :mod:`kmeans_lessons.grading.autograde`). ``False`` grades without it: every row's
        message then starts with :data:`NO_SANDBOX_NOTE`.
    scheduler : str, optional
        Address of a Dask scheduler (default ``$KMEANS_LESSONS_SCHEDULER``): one task per
        submission runs :func:`grade_one` on a Dask worker, sandboxed there as here, and
        ``jobs`` is ignored (the workers' threads set the pace). See :mod:`.cluster`.

    Returns
    -------
    grades : list of SubmissionGrade
        Sorted by submission name. One broken submission never stops the batch.

    Raises
    ------
    SandboxUnavailable
        If ``sandbox`` is true and the sandbox cannot be set up here (or on a Dask worker);
        the message says how to install bubblewrap. Nothing is graded.
    ConnectionError
        If no Dask scheduler answers at ``scheduler``.
    NoCgroupWarning
        (a warning) If the sandbox works but no cgroup can be made: the batch runs with the
        per-process memory cap only.
    """
    paths = collect_submissions(submissions)
    registry = EXERCISES
    if lesson is not None and lesson not in {e.notebook for e in registry.values()}:
        known = ", ".join(sorted({e.notebook for e in registry.values()}))
        raise ValueError(f"unknown lesson {lesson!r}; the lessons are: {known}.")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}.")
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    cgroups = None
    if sandbox and scheduler is None:  # on a cluster each worker's machine is checked there
        check_sandbox()
        cgroups, reason = open_cgroups()
        if cgroups is None:
            warnings.warn(_no_cgroup_message(reason), NoCgroupWarning, stacklevel=2)
    key = load_key() if key is None else key
    budget = float(max_time) if max_time is not None else max(60.0, 10.0 * float(timeout))
    settings = dict(
        lesson=lesson,
        sandbox=bool(sandbox),
        cell_timeout=float(timeout),
        max_time=budget,
        memory_mb=int(memory_mb),
        file_mb=int(file_mb),
        font_caches=_font_caches(),
    )
    if scheduler is not None:
        # The sandbox, the cgroups, the font caches and the package belong to the machines of
        # the Dask workers: .cluster checks and finds them there.
        from .cluster import grade_on_cluster

        results = grade_on_cluster([s for s in paths if not s.problem], scheduler, key,
                                   registry, settings, progress)
        results += [SubmissionGrade(s.student, str(s.path), "invalid", s.problem, lesson)
                    for s in paths if s.problem]
        return _finish([r for r in results if r.message.endswith(PACKAGE_CHANGED_NOTE)],
                       results)

    _compile_package()
    fingerprint = package_fingerprint()
    changed = []

    def one(submission):
        if submission.problem:  # a student folder without a notebook
            return SubmissionGrade(submission.student, str(submission.path), "invalid",
                                   submission.problem, lesson)
        result = grade_one(submission.path, submission_seeds(key, registry, submission.student),
                           settings, cgroups=cgroups)
        result.submission = submission.student  # the row is named by the student
        if not changed and package_fingerprint() != fingerprint:
            changed.append(result)
            _note_package_changed(result)
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
    return _finish(changed, results)


def _finish(changed, results):
    """The rows sorted by submission, after warning if the package changed while one of the
    ``changed`` rows was graded."""
    if changed:
        warnings.warn(
            f"the files of the kmeans_lessons package ({PACKAGE_DIR}) changed while "
            f"{changed[0].submission} was graded; the submissions graded after it may have "
            f"been compared with altered answers. Restore the files (git diff shows what "
            f"changed) and grade again, in the sandbox (without --no-sandbox), where the package "
            f"is read-only.",
            PackageChangedWarning,
            stacklevel=3)
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
