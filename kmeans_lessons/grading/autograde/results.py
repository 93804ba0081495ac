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

from .._atomic import write_text_atomically
from ..exercises import EXERCISES
from .protocol import CellReport

__all__ = ["ExerciseGrade", "SubmissionGrade", "grades_csv", "write_grades", "feedback_text",
           "write_feedback"]


@dataclass
class ExerciseGrade:
    """How one exercise of one submission was graded.

    ``points`` are out of ``max_points`` (the exercise's points in the registry); ``feedback``
    holds the hints of ``check`` for the hidden cases; ``note`` says why the exercise could not
    earn points (not defined, calls the reference, timed out...), empty otherwise.
    """

    name: str
    points: float
    max_points: float
    passed: bool = False
    pending: bool = False
    feedback: list = field(default_factory=list)
    note: str = ""


@dataclass
class SubmissionGrade:
    """One row of ``grades.csv`` with the details behind it (for the feedback file).

    cells : the worker's CellReports (JSON objects of that report are read into them).
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


def grades_csv(grades, exercises):
    """The text of ``grades.csv`` for these grades and exercise columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", *exercises, "total", "status", "message"])
    for grade in sorted(grades, key=lambda g: g.submission):
        points = [_number(grade.exercises[name].points) if name in grade.exercises else "0"
                  for name in exercises]
        writer.writerow([_text_cell(grade.submission), *points, _number(grade.total),
                         grade.status, _text_cell(grade.message)])
    return buffer.getvalue()


def write_grades(grades, path, exercises=None):
    """Write ``grades.csv`` atomically (a temporary file renamed over ``path``).

    Columns: ``submission`` (file stem), one per exercise (points), ``total``, ``status``,
    ``message``; one row per submission, sorted. No timestamps, so equal grades give an equal
    file.
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
    """One ``<submission>.txt`` per student in ``folder`` (each written atomically)."""
    folder = Path(folder)
    for grade in grades:
        write_text_atomically(folder / f"{grade.submission}.txt", feedback_text(grade))
