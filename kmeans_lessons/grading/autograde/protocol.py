"""What the batch grader and a worker say to each other: one job in, reports out.

The batch grader (:mod:`.batch`) writes one :class:`Job` as JSON to a worker's standard input;
the worker (:mod:`.worker`) writes reports, one JSON object per line, to its standard output,
as each step finishes -- so a worker killed for running out of time has still reported what it
graded. Both sides use the dataclasses below and nothing else: ``to_json()`` gives the object
that goes on the wire (a report carries its kind as ``"event"``), :meth:`Job.from_json` and
:func:`report_from_json` read it back.

Reports, in the order a worker sends them: :class:`InvalidReport` (the file is not a notebook;
nothing else follows but done) or :class:`LessonReport`, then any number of :class:`CellReport`
(a cell that raised, timed out, killed or hung the kernel, or was skipped), one
:class:`ExerciseReport` per exercise of the lesson, :class:`BudgetReport` when the time budget
ran out, :class:`ErrorReport` for a bug of the grader, and finally :class:`DoneReport`.

Reading is lenient about what is missing (a field left out takes its default) and strict about
types (a value of the wrong type becomes the default too), because a worker that fails halfway
may write a truncated line; :func:`report_from_json` returns None for anything it cannot read.

Each line is signed (:func:`sign_report`) with a key that exists only in the job and in the two
processes: a line that anything else writes into the channel (without the sandbox, a kernel of
the grader's user can open another process's pipes through ``/proc``) is dropped unread.
"""

import hashlib
import hmac
from dataclasses import asdict, dataclass, field, fields
from typing import ClassVar, Optional

__all__ = ["Job", "InvalidReport", "LessonReport", "CellReport", "ExerciseReport",
           "BudgetReport", "ErrorReport", "DoneReport", "report_from_json", "CELL_OUTCOMES",
           "sign_report", "verify_report"]

#: What can happen to a cell, as a CellReport says: it raised, ran past the time limit and was
#: interrupted, ignored the interrupt, killed the kernel, or was not run.
CELL_OUTCOMES = ("error", "timeout", "stuck", "died", "skipped")


def _read(cls, data):
    """An instance of the dataclass ``cls`` from the JSON object ``data``, field by field."""
    values = {}
    for spec in fields(cls):
        if spec.name not in data:
            continue
        value = data[spec.name]
        expected = _TYPES.get((cls.__name__, spec.name))
        if expected is not None and not _fits(value, expected):
            continue  # the default stands in for a value of the wrong type
        values[spec.name] = value
    return cls(**values)


def _fits(value, expected):
    if expected is float:
        return type(value) in (int, float)
    if expected is bool:
        return type(value) is bool
    if expected == "optional int":
        return value is None or type(value) is int
    if expected == "optional str":
        return value is None or isinstance(value, str)
    return isinstance(value, expected)


@dataclass
class Job:
    """What one worker is asked to do: grade one notebook.

    notebook : absolute path of the submission; lesson : grade it as this lesson (None: the
    lesson whose exercises it defines most of); seeds : exercise name -> seed of its hidden
    cases; cell_timeout : seconds one cell or one graded call may run; max_time : seconds the
    whole submission may take; memory_mb, file_mb : limits of its processes; font_caches :
    matplotlib font lists to copy into the kernel's fresh config folder; kernel_env : extra
    environment variables for the kernel; sandbox : run the kernel under bubblewrap
    (:mod:`.bwrap`); cgroup_version, cgroup_folders : the submission's cgroup, made by the
    batch grader (:class:`.cgroup.Cgroup`; version 0: none); folder : its private folder, made
    by the batch grader ("": the worker makes one); report_key : hex key the worker signs its
    reports with.
    """

    notebook: str
    seeds: dict
    cell_timeout: float
    max_time: float
    memory_mb: int
    file_mb: int
    lesson: Optional[str] = None
    font_caches: list = field(default_factory=list)
    kernel_env: dict = field(default_factory=dict)
    sandbox: bool = False
    cgroup_version: int = 0
    cgroup_folders: list = field(default_factory=list)
    folder: str = ""
    report_key: str = ""

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        """The job from its JSON object (raises TypeError/ValueError if it is not one)."""
        if not isinstance(data, dict):
            raise ValueError("a job is a JSON object")
        job = cls(**{spec.name: data[spec.name] for spec in fields(cls) if spec.name in data})
        job.seeds = {str(name): int(seed) for name, seed in job.seeds.items()}
        job.cell_timeout, job.max_time = float(job.cell_timeout), float(job.max_time)
        job.memory_mb, job.file_mb = int(job.memory_mb), int(job.file_mb)
        return job


class _Report:
    """Base of the reports: ``event`` names the kind on the wire."""

    event: ClassVar[str] = ""

    def to_json(self):
        return {"event": self.event, **asdict(self)}

    @classmethod
    def from_json(cls, data):
        """The report of this kind from its JSON object (``event`` is not looked at)."""
        return _read(cls, data)


@dataclass
class InvalidReport(_Report):
    """The file is not a notebook (message says why); every exercise scores 0."""

    event: ClassVar[str] = "invalid"
    message: str = ""


@dataclass
class LessonReport(_Report):
    """The lesson the notebook is graded as, and that lesson's exercises (None: no lesson).

    detected : the lesson whose exercises the notebook defines most of (differs from
    ``lesson`` when the grader was told another one); defines : the exercise functions the
    notebook defines with ``def`` or by assignment.
    """

    event: ClassVar[str] = "lesson"
    lesson: Optional[str] = None
    exercises: list = field(default_factory=list)
    detected: Optional[str] = None
    defines: list = field(default_factory=list)


@dataclass
class CellReport(_Report):
    """Something went wrong in a cell (``cell`` is its 0-based index among all cells) or, with
    ``cell`` None, in the kernel while a function was being graded.

    outcome : one of CELL_OUTCOMES; detail : what happened, in words; ename : the exception's
    name for "error"; memory : for "died", the memory watchdog killed the kernel.
    """

    event: ClassVar[str] = "cell"
    cell: Optional[int] = None
    outcome: str = ""
    detail: str = ""
    ename: Optional[str] = None
    memory: bool = False


@dataclass
class ExerciseReport(_Report):
    """How one exercise was graded in the worker.

    score / max_score : points on the hidden cases, on the scale of ``check``'s result (the
    batch grader rescales them to the registry's points); passed, pending : as in CheckResult;
    feedback : the feedback lines of the hidden cases; note : why it could not earn points;
    timed_out, kernel_died : a call of the function ran past the limit / killed the kernel;
    calls : calls of the student's function made in the kernel; mistakes : keys of the named
    mistakes recognised in the failed cases (CheckResult.hints), for the class report.
    """

    event: ClassVar[str] = "exercise"
    name: str = ""
    score: float = 0.0
    max_score: float = 0.0
    passed: bool = False
    pending: bool = False
    feedback: list = field(default_factory=list)
    note: str = ""
    timed_out: bool = False
    kernel_died: bool = False
    calls: int = 0
    mistakes: list = field(default_factory=list)

    def __post_init__(self):
        self.feedback = [str(line) for line in self.feedback]
        self.mistakes = [str(key) for key in self.mistakes]


@dataclass
class BudgetReport(_Report):
    """The submission's time budget ran out; what follows was not (fully) graded."""

    event: ClassVar[str] = "budget"


@dataclass
class ErrorReport(_Report):
    """The worker failed (a bug of the grader, not of the submission)."""

    event: ClassVar[str] = "error"
    message: str = ""


@dataclass
class DoneReport(_Report):
    """The worker finished normally; a worker without it stopped unexpectedly."""

    event: ClassVar[str] = "done"


_KINDS = {kind.event: kind for kind in (InvalidReport, LessonReport, CellReport, ExerciseReport,
                                        BudgetReport, ErrorReport, DoneReport)}
_TYPES = {
    ("InvalidReport", "message"): str,
    ("LessonReport", "lesson"): "optional str",
    ("LessonReport", "exercises"): list,
    ("LessonReport", "detected"): "optional str",
    ("LessonReport", "defines"): list,
    ("CellReport", "cell"): "optional int",
    ("CellReport", "outcome"): str,
    ("CellReport", "detail"): str,
    ("CellReport", "ename"): "optional str",
    ("CellReport", "memory"): bool,
    ("ExerciseReport", "name"): str,
    ("ExerciseReport", "score"): float,
    ("ExerciseReport", "max_score"): float,
    ("ExerciseReport", "passed"): bool,
    ("ExerciseReport", "pending"): bool,
    ("ExerciseReport", "feedback"): list,
    ("ExerciseReport", "note"): str,
    ("ExerciseReport", "timed_out"): bool,
    ("ExerciseReport", "kernel_died"): bool,
    ("ExerciseReport", "calls"): int,
    ("ExerciseReport", "mistakes"): list,
    ("ErrorReport", "message"): str,
}


def report_from_json(data):
    """The report that ``data`` (one decoded line of a worker's output) holds, or None."""
    if not isinstance(data, dict) or data.get("event") not in _KINDS:
        return None
    return _KINDS[data["event"]].from_json(data)


def sign_report(key, line):
    """``line`` prefixed with its HMAC-SHA256 under ``key`` (hex) and a space."""
    return hmac.new(key, line.encode(), hashlib.sha256).hexdigest() + " " + line


def verify_report(key, signed):
    """The report line inside ``signed`` if its signature under ``key`` is right, else None."""
    mac, _, line = signed.partition(" ")
    expected = hmac.new(key, line.encode(), hashlib.sha256).hexdigest()
    return line if hmac.compare_digest(mac, expected) else None
