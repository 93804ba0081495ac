"""What grading a class produces: a grade per submission, ``grades.csv`` and feedback files.

:class:`SubmissionGrade` is one row of ``grades.csv`` with the details behind it
(:class:`ExerciseGrade` per exercise, the cells that went wrong); :func:`grades_csv` and
:func:`feedback_text` turn grades into text, :func:`write_grades` and :func:`write_feedback`
write it, each file atomically.
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .._atomic import PlantedPathError, write_text_atomically
from ..exercises import EXERCISES
from .protocol import CellReport

__all__ = ["ExerciseGrade", "SubmissionGrade", "grades_csv", "write_grades", "feedback_text",
           "write_feedback"]


@dataclass
class ExerciseGrade:
    """How one exercise of one submission was graded.

    ``points`` are out of ``max_points`` (the exercise's points in the registry); ``feedback``
    holds the hints of ``check`` for the hidden cases; ``note`` says why the exercise could not
    earn points (not defined, calls the reference, timed out...), empty otherwise;
    ``mistakes`` the keys of the named mistakes recognised (``Exercise.mistakes``), for the
    class report.
    """

    name: str
    points: float
    max_points: float
    passed: bool = False
    pending: bool = False
    feedback: list = field(default_factory=list)
    note: str = ""
    mistakes: list = field(default_factory=list)


@dataclass
class SubmissionGrade:
    """One row of ``grades.csv`` with the details behind it (for the feedback file).

    submission : the student the row is named by (their folder's name, or the file's stem; see
    :mod:`.submissions`); path : the notebook graded; lesson : the lesson it was graded as
    (None: not known, e.g. an invalid file); cells : the worker's CellReports (JSON objects of
    that report are read into them).
    """

    submission: str
    path: str
    status: str
    message: str
    lesson: str = None
    exercises: dict = field(default_factory=dict)
    cells: list = field(default_factory=list)

    def __post_init__(self):
        self.cells = [CellReport.from_json(cell) if isinstance(cell, dict) else cell
                      for cell in self.cells]

    @property
    def total(self):
        """Sum of the exercise points, rounded to two decimals."""
        return round(sum(grade.points for grade in self.exercises.values()), 2)


def lesson_points(lesson):
    """The points a full pass of every exercise of ``lesson`` is worth (None: no lesson)."""
    if lesson is None:
        return None
    return float(sum(e.points for e in EXERCISES.values() if e.notebook == lesson))


def exercise_columns(grades, lesson=None):
    """The exercise columns of ``grades.csv``: every exercise of ``lesson`` (default: of the
    lessons the submissions were graded as), in curriculum order."""
    lessons = {lesson} if lesson else {g.lesson for g in grades if g.lesson}
    return [name for name, exercise in EXERCISES.items() if exercise.notebook in lessons]


def _number(value):
    value = round(float(value), 2)
    return str(int(value)) if value == int(value) else f"{value:.2f}".rstrip("0")


def _text_cell(text):
    """Text a spreadsheet will not run as a formula (file names are chosen by students)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row_lesson(grade, batch_lessons):
    """The lesson of a row: its own, or the batch's only lesson for a row without one (a file
    that is not a notebook, a folder without a notebook), so that it counts 0 of that lesson."""
    if grade.lesson:
        return grade.lesson
    return next(iter(batch_lessons)) if len(batch_lessons) == 1 else None


def grades_csv(grades, exercises):
    """The text of ``grades.csv`` for these grades and exercise columns.

    One row per student: ``student``, ``lesson``, the points of each exercise column,
    ``total``, ``max_total`` (what the lesson is worth), ``status``, ``message``. A column that
    is not an exercise of the row's lesson is left blank, never 0, so a batch that mixes lessons
    can be imported into a gradebook as it is; a row whose lesson is not known has blank
    exercise columns and ``max_total``, and its message says why.
    """
    lessons = {EXERCISES[name].notebook for name in exercises if name in EXERCISES}
    lessons |= {g.lesson for g in grades if g.lesson}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "lesson", *exercises, "total", "max_total", "status", "message"])
    for grade in sorted(grades, key=lambda g: g.submission):
        lesson = _row_lesson(grade, lessons)
        points = []
        for name in exercises:
            if name in grade.exercises:
                points.append(_number(grade.exercises[name].points))
            elif lesson is not None and EXERCISES[name].notebook == lesson:
                points.append("0")  # an exercise of this row's lesson that earned nothing
            else:
                points.append("")
        possible = lesson_points(lesson)
        writer.writerow([_text_cell(grade.submission), lesson or "", *points,
                         _number(grade.total), "" if possible is None else _number(possible),
                         grade.status, _text_cell(grade.message)])
    return buffer.getvalue()


def write_grades(grades, path, exercises=None):
    """Write ``grades.csv`` atomically (a temporary file renamed over ``path``).

    Columns: see :func:`grades_csv`; one row per student, sorted. No timestamps, so equal
    grades give an equal file.
    """
    exercises = exercise_columns(grades) if exercises is None else list(exercises)
    write_text_atomically(path, grades_csv(grades, exercises))


def feedback_text(grade):
    """A student's feedback file: status, points per exercise, the hints, notes on the run."""
    lines = [f"Feedback for {grade.submission}" + (f" ({grade.lesson})" if grade.lesson else "")]
    lines.append("=" * len(lines[0]))
    possible = sum(g.max_points for g in grade.exercises.values())
    lines.append(f"Status: {grade.status}. Total: {_number(grade.total)} of {_number(possible)} "
                 f"points.")
    if grade.status == "invalid":
        lines += ["", f"Your file could not be graded: {grade.message}."]
    for exercise in grade.exercises.values():
        lines += ["", f"{exercise.name}: {_number(exercise.points)} of "
                      f"{_number(exercise.max_points)} points"]
        if exercise.note:
            lines.append(f"  - {exercise.note}")
        elif exercise.pending:
            lines.append("  - not attempted yet: the function still raises NotImplementedError")
        elif exercise.passed:
            lines.append("  - passed every hidden case")
        lines += [f"  - {line}" for line in exercise.feedback]
    notes = []
    for cell in grade.cells:
        where = f"Cell {cell.cell + 1}" if isinstance(cell.cell, int) else "The kernel"
        notes.append(f"  - {where}: {cell.outcome}: {cell.detail}".rstrip(": "))
    if notes:
        lines += ["", "Running your notebook:"] + notes
    return "\n".join(lines) + "\n"


def write_feedback(grades, folder):
    """One ``<submission>.txt`` per student in ``folder`` (each written atomically).

    A feedback path that holds a directory or a link is not written (see
    :func:`write_text_atomically`); the row's message says so and the other files are written.
    """
    folder = Path(folder)
    for grade in grades:
        try:
            write_text_atomically(folder / f"{grade.submission}.txt", feedback_text(grade))
        except PlantedPathError as error:
            grade.message = "; ".join(filter(None, [grade.message,
                                                    f"feedback file not written: {error}"]))
