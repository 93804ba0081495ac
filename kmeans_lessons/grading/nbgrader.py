"""nbgrader compatibility: the solution notebooks' cell metadata, and the points of its test cells.

nbgrader (https://nbgrader.readthedocs.io) needs two things the lessons do not carry by
themselves: metadata on every cell that holds a solution region, and locked *grade cells* with
points, whose output it reads as the score. :func:`add_nbgrader_cells` (the command
``kmeans-lessons nbgrader NOTEBOOK...``) gives a solution notebook both, in place and
idempotently:

* every cell with a ``### BEGIN SOLUTION`` region becomes a solution cell
  (``{"solution": true, "grade": false, "locked": false, "grade_id": "solution_<exercise>"}``);
* after the cell that runs ``check(<exercise>)`` comes a locked grade cell
  (``grade_id`` ``points_<exercise>``, the exercise's points from the registry) whose code,
  inside ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` (nbgrader removes it from the
  student version and puts it back when it autogrades), is one call of :func:`hidden_points`.

:func:`hidden_points` grades the student's function on the visible and hidden cases of the
grading key's seed with the one scoring rule of ``kmeans-lessons grade``
(:func:`.scoring.case_points`: hidden cases earn, visible ones can only cost, a different
algorithm earns 0), rescaled and rounded as the batch grader does, and shows it as the cell's
result, a number between 0 and the cell's points, which nbgrader takes as partial credit. With
the same key, a submission therefore gets the same points from ``nbgrader autograde`` as from
``kmeans-lessons grade``. The reference-copy rule holds too, with the code ``check`` uses for it
(:mod:`.delegation`): a function that names the package's reference of its exercise, or calls
it while it runs, scores 0.

Where the hidden cases come from
--------------------------------
Nothing secret is written into the notebook: nbgrader puts the hidden part of every grade cell
back into the autograded copy, and ``generate_feedback`` shows that copy to the student. When
nbgrader autogrades (it sets ``NBGRADER_EXECUTION=autograde``), the grade cell reads the grading
key -- from the key file named in the cell (``kmeans-lessons nbgrader NOTEBOOK --key-file K``
writes K's path, not its content), else ``$KMEANS_LESSONS_GRADING_KEY``, else the key file that
``kmeans-lessons grade`` creates (``~/.config/kmeans-lessons/grading.key``) -- and derives each
exercise's seed exactly as ``kmeans-lessons grade`` does (:func:`.autograde.batch.exercise_seed`,
salted with the student: nbgrader runs each notebook in ``submitted/<student>/<assignment>/``,
and ``kmeans-lessons grade submitted/`` names each row by that student).
If there is no key at all, the kernel stops with a message, so that nbgrader reports an error
instead of recording a zero for every student. Run anywhere else (the instructor's own run of
the solution notebook, ``nbgrader validate``), the cell shows a preview with the public cases of
``check``.

What nbgrader does not give
---------------------------
nbgrader runs the grade cells in the student's own kernel, after the student's code: a student
who deliberately patches the grader (``check``, NumPy, this module) inside the notebook can fake
the number, code that runs under nbgrader can read the key the grade cells read (give nbgrader a
key of its own), and a cell that kills the kernel makes nbgrader drop the whole submission. The
process boundary of ``kmeans-lessons grade`` (hidden cases computed outside the kernel, nothing
the kernel says trusted, a crashed kernel restarted) exists for exactly that: grade with it, or
cross-check nbgrader's points with it, when a class has reasons to try.
"""

import contextlib
import functools
import io
import os
import re
import sys
from pathlib import Path

import nbformat

from .release import solution_regions

__all__ = ["add_nbgrader_cells", "nbgrader_notebook_files", "hidden_points", "grade_cell_source",
           "nbgrader_student", "GRADE_ID_PREFIX", "SOLUTION_ID_PREFIX"]

#: grade_id of the grade cell of exercise NAME: ``points_NAME``; of its solution cell:
#: ``solution_NAME``.
GRADE_ID_PREFIX = "points_"
SOLUTION_ID_PREFIX = "solution_"
#: Exit status of a kernel that was asked to autograde without a grading key.
NO_KEY_EXIT = 3
_SCHEMA_VERSION = 3


# ---------------------------------------------------------------------------------------------
# The metadata


def _nbgrader_metadata(grade_id, *, solution, grade, locked, points=None):
    metadata = {"grade": grade, "grade_id": grade_id, "locked": locked,
                "schema_version": _SCHEMA_VERSION, "solution": solution, "task": False}
    if points is not None:
        metadata["points"] = points
    return metadata


def grade_cell_source(exercise, key_file=None):
    """The source of the grade cell of ``exercise`` (its name); ``key_file``: the path of the key
    file the cell reads when nbgrader autogrades (written as a path, never the key)."""
    where = f", key_file={str(key_file)!r}" if key_file is not None else ""
    return (f"# nbgrader's points for {exercise}: its hidden cases, scored as `kmeans-lessons "
            f"grade` scores them\n"
            f"# (this cell is locked; its hidden part is put back when nbgrader grades).\n"
            f"### BEGIN HIDDEN TESTS\n"
            f"from kmeans_lessons.grading.nbgrader import hidden_points\n"
            f"hidden_points({exercise}{where})\n"
            f"### END HIDDEN TESTS")


def _check_cell(nb, start, exercise):
    """Index of the first cell from ``start`` on that calls ``check(exercise)``, else start."""
    pattern = re.compile(rf"^\s*check\(\s*{re.escape(exercise)}\b", re.M)
    for index in range(start, len(nb.cells)):
        cell = nb.cells[index]
        if cell.cell_type == "code" and pattern.search(cell.source):
            return index
    return start


def add_nbgrader_cells(nb, key_file=None, where="notebook"):
    """Give a solution notebook nbgrader's solution cells and one grade cell per exercise.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A solution notebook (changed in place).
    key_file : path-like, optional
        The key file the grade cells read when nbgrader autogrades (its absolute path is
        written, not the key); default: the key ``kmeans-lessons grade`` uses.
    where : str
        Names the notebook in error messages.

    Returns
    -------
    exercises : list of str
        The exercises that have a grade cell, in notebook order.

    Applying it twice gives the same notebook: existing grade cells (found by ``grade_id``) are
    updated, not added again.
    """
    from .exercises import EXERCISES

    key_file = str(Path(key_file).resolve()) if key_file is not None else None
    graded = []
    index = 0
    while index < len(nb.cells):
        cell = nb.cells[index]
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if str(nbgrader.get("grade_id", "")).startswith(GRADE_ID_PREFIX):
            index += 1
            continue
        regions = solution_regions(cell.source, f"{where}, cell {index}")
        if not regions:
            index += 1
            continue
        names = [name for *_, name in regions if name in EXERCISES]
        label = names[0] if names else (cell.get("id") or f"cell{index}")
        cell.metadata["nbgrader"] = _nbgrader_metadata(
            SOLUTION_ID_PREFIX + label, solution=True, grade=False, locked=False)
        for name in dict.fromkeys(names):
            graded.append(name)
            grade_id = GRADE_ID_PREFIX + name
            source = grade_cell_source(name, key_file)
            metadata = _nbgrader_metadata(grade_id, solution=False, grade=True, locked=True,
                                          points=EXERCISES[name].points)
            existing = [i for i, c in enumerate(nb.cells)
                        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
            if existing:
                target = nb.cells[existing[0]]
                target.source = source
                target.metadata["nbgrader"] = metadata
                continue
            new = nbformat.v4.new_code_cell(source, metadata={"nbgrader": metadata})
            new["id"] = f"points-{name}"[:64]
            nb.cells.insert(_check_cell(nb, index, name) + 1, new)
        index += 1
    return graded


def nbgrader_notebook_files(notebooks, key_file=None):
    """Apply :func:`add_nbgrader_cells` to notebook files in place (``kmeans-lessons nbgrader``).

    Parameters
    ----------
    notebooks : iterable of path-like
        Solution notebooks, or folders of them.
    key_file : path-like, optional
        The key file the grade cells read when nbgrader autogrades (see
        :func:`add_nbgrader_cells`); created if missing.

    Returns
    -------
    done : list of (pathlib.Path, list of exercise names)
    """
    from ._atomic import write_text_atomically

    files = []
    for path in map(Path, notebooks):
        if path.is_dir():
            files += sorted(p for p in path.glob("*.ipynb"))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path} does not exist; pass solution notebooks.")
    if key_file is not None:
        from .autograde.batch import load_key

        load_key(key_file)  # created (mode 0600) if missing, as `kmeans-lessons grade` does
    done = []
    for path in files:
        nb = nbformat.read(path, as_version=4)
        names = add_nbgrader_cells(nb, key_file, where=str(path))
        text = nbformat.writes(nb)
        write_text_atomically(path, text if text.endswith("\n") else text + "\n")
        done.append((path, names))
    return done


# ---------------------------------------------------------------------------------------------
# The grade cell's code (runs in the student's kernel under nbgrader)


def nbgrader_student(folder=None):
    """The student whose notebook nbgrader is running: it runs it in
    ``submitted/<student>/<assignment>/`` (or ``autograded/...``), the kernel's working folder.
    The empty string elsewhere (the seeds are then the unsalted ones)."""
    parts = Path(folder or os.getcwd()).resolve().parts
    if len(parts) >= 3 and parts[-3] in ("submitted", "autograded"):
        return parts[-2]
    return ""


def _seed_when_autograding(name, key_file):
    """The seed of ``name`` from the grading key, or None when nbgrader is not autograding.

    Under ``nbgrader autograde`` without any key, the kernel stops (see the module docstring).
    """
    if os.environ.get("NBGRADER_EXECUTION") != "autograde":
        return None
    from .autograde.batch import KEY_ENV, _default_key_file, exercise_seed, load_key

    student = nbgrader_student()
    if key_file is not None and Path(key_file).is_file():
        return exercise_seed(load_key(key_file), name, student)
    if key_file is None and (os.environ.get(KEY_ENV) or _default_key_file().exists()):
        return exercise_seed(load_key(), name, student)
    missing = (f"the key file {key_file} named in the grade cell does not exist"
               if key_file is not None else "there is no grading key")
    sys.__stderr__.write(
        f"kmeans-lessons: nbgrader is autograding, but {missing}, so the hidden cases of "
        f"{name} cannot be made: set {KEY_ENV}, or create the key file (`kmeans-lessons "
        f"grade` does), or name one with `kmeans-lessons nbgrader NOTEBOOK --key-file K`. "
        f"Stopping the kernel so that no zero is recorded.\n")
    sys.__stderr__.flush()
    os._exit(NO_KEY_EXIT)


def _globals_seeded_like_the_grader(fn):
    """``fn``, with NumPy's and Python's global generators seeded by the public seed of
    ``check`` just before its first call, as the grader's worker seeds them in the kernel (never
    with the hidden seed), so a function that wrongly uses them draws what it draws there."""
    import random

    import numpy as np

    from .check import CHECK_SEED

    first = [True]

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if first[0]:
            first[0] = False
            np.random.seed(CHECK_SEED % 2**32)
            random.seed(CHECK_SEED)
        return fn(*args, **kwargs)

    return call


def hidden_points(fn, key_file=None, *, seed=None, exercise=None, time_limit=20.0):
    """The points ``fn`` earns on its exercise's cases, as ``kmeans-lessons grade`` counts them.

    Parameters
    ----------
    fn : callable
        The student's function (its name names the exercise).
    key_file : path-like, optional
        Where the grading key is when nbgrader autogrades (default: as ``kmeans-lessons
        grade``: ``$KMEANS_LESSONS_GRADING_KEY`` or its key file).
    seed : int, optional
        Seed of the hidden cases, instead of the key's (for tests); without either, outside
        ``nbgrader autograde``, the public seed of ``check`` (a preview).
    exercise : str, optional
        The exercise, if ``fn`` is named otherwise.
    time_limit : float
        Seconds one call may run (as ``kmeans-lessons grade --timeout``); below nbgrader's own
        30 s per cell, so that a function that never returns loses its cases here, with
        feedback, rather than the whole cell.

    Returns
    -------
    points : float
        Between 0 and the exercise's points, rounded to two decimals; a plain float, so the
        cell's result reads as a number (nbgrader's partial credit). The feedback lines are
        printed above it. Nothing goes to stderr, which nbgrader would take for a failure.
    """
    from . import delegation
    from .check import CHECK_SEED, delegation_result, run_exercise
    from .exercises import EXERCISES
    from .hints import wrong_algorithm_keys
    from .scoring import case_points, points

    name = exercise or getattr(fn, "__name__", None)
    entry = EXERCISES[name]
    if seed is None:
        seed = _seed_when_autograding(name, key_file)
    preview = seed is None
    seed = CHECK_SEED if preview else int(seed)

    # The rules of `kmeans-lessons grade`, run here the way `check` runs them in the notebook:
    # a function that names or calls its exercise's reference earns 0 (delegation), and the
    # score is the worker's (autograde/worker.py, grade_one): case_points, rescaled and
    # rounded once, as the batch grader does.
    references = delegation.reference_functions(entry)
    with contextlib.redirect_stderr(io.StringIO()):
        if not callable(fn):
            raise TypeError(f"{name} is a {type(fn).__name__}, not a function")
        if delegation.names_reference(fn, references):
            result = delegation_result(entry)
        else:
            result = run_exercise(entry, _globals_seeded_like_the_grader(fn), seed=seed,
                                  hidden=True, time_limit=time_limit, references=references)
    score = case_points(result.max_score, result.cases,
                        wrong_algorithm=wrong_algorithm_keys(entry), rounded=False)
    earned = points(entry.points, score / result.max_score) if result.max_score else 0.0
    student = nbgrader_student()
    how = ("a preview with the cases of check(); nbgrader's autograde uses the hidden cases"
           if preview else f"on {student}'s hidden cases" if student else "on the hidden cases")
    print(f"{name}: {earned:g} of {entry.points:g} points ({how})")
    for line in result.feedback:
        print(f"  {line}")
    return float(earned)
