"""Which notebooks to grade, and which student each one belongs to.

Instructors receive notebooks in three shapes; :func:`collect_submissions` accepts all of them,
also mixed, and names each row of ``grades.csv`` by its student:

loose files
    ``alice.ipynb``, ``bob.ipynb`` passed as files or lying directly in a folder passed: the
    student is the file's stem (as an LMS that renames uploads gives them).
one folder per student (the usual LMS download)
    ``downloads/alice/02_distances.ipynb``, ``downloads/bob/02_distances.ipynb`` with
    ``downloads/`` passed: the student is the name of the folder directly under the one passed,
    however deep the notebook lies inside it.
nbgrader's course folder
    ``submitted/<student>/<assignment>/<notebook>.ipynb``: the student is the folder under
    ``submitted``, whichever folder was passed (``submitted/``, ``submitted/alice`` or the
    shell's ``submitted/*/02_distances``).

A student folder with two notebooks is ambiguous (which one is the submission?) and so are two
submissions that would get the same name: both stop before anything runs, with a message that
says which paths clash and how to pass them instead. In a folder of student folders, a student
folder holding no notebook becomes a row of its own (status ``invalid``) so that nobody drops
out of ``grades.csv`` unnoticed; a folder passed that holds no notebook at all, and a path that
does not exist, are errors.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

__all__ = ["Submission", "collect_submissions", "NBGRADER_SUBMITTED"]

#: The folder of an nbgrader course that holds ``<student>/<assignment>/`` folders.
NBGRADER_SUBMITTED = "submitted"


@dataclass(frozen=True)
class Submission:
    """One student's submission.

    student : names the row of grades.csv; path : the notebook (or, with ``problem`` set, the
    student's folder); problem : why there is nothing to grade (e.g. the folder holds no
    notebook), None for a notebook to grade.
    """

    student: str
    path: Path
    problem: Optional[str] = None


def _hidden(path, root):
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _notebooks(folder):
    """The ``*.ipynb`` files under ``folder`` (hidden folders and checkpoints skipped)."""
    return sorted(p for p in folder.rglob("*.ipynb") if p.is_file() and not _hidden(p, folder))


def _nbgrader_student(path):
    """The student of ``.../submitted/<student>/<assignment>/<file>``, else None."""
    parts = path.resolve().parts
    if len(parts) >= 4 and parts[-4] == NBGRADER_SUBMITTED:
        return parts[-3]
    return None


def _from_folder(folder):
    """(student, notebook) pairs and the empty student folders of a folder passed."""
    found = []
    for notebook in _notebooks(folder):
        relative = notebook.relative_to(folder).parts
        student = _nbgrader_student(notebook) or (relative[0] if len(relative) > 1
                                                  else notebook.stem)
        found.append((student, notebook))
    loose = any(len(nb.relative_to(folder).parts) == 1 for _, nb in found)
    empty = []
    if found and not loose:
        # A folder of student folders: one without a notebook is a student without a grade.
        students = {student for student, _ in found}
        for child in sorted(folder.iterdir()):
            if child.is_dir() and not child.name.startswith(".") and child.name not in students:
                files = sorted(p.name for p in child.rglob("*") if p.is_file())
                shown = ", ".join(files[:5]) + (", ..." if len(files) > 5 else "")
                problem = (f"the folder {child.name} holds no notebook (.ipynb)"
                           + (f"; it holds {shown}" if files else "; it is empty"))
                empty.append(Submission(child.name, child, problem))
    return found, empty


def collect_submissions(paths):
    """The submissions to grade, one per student, sorted by student.

    Parameters
    ----------
    paths : iterable of path-like
        Notebook files (graded whatever their extension: a file that is not a notebook is
        reported as invalid) and folders in any of the layouts of the module docstring.

    Returns
    -------
    submissions : list of Submission

    Raises
    ------
    FileNotFoundError
        For a path that does not exist.
    ValueError
        If nothing was passed, a folder holds no notebook, a student folder holds several
        notebooks, or two submissions would be the same student's.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("no submissions given; pass notebooks or folders of them.")
    pairs, empty = [], []
    for path in paths:
        if path.is_dir():
            found, missing = _from_folder(path)
            if not found:
                raise ValueError(
                    f"{path} holds no notebook (*.ipynb); pass the folder that holds the "
                    f"students' notebooks or their folders.")
            pairs += found
            empty += missing
        elif path.exists():
            pairs.append((_nbgrader_student(path) or path.stem, path))
        else:
            raise FileNotFoundError(f"{path} does not exist; pass notebooks or folders of them.")

    by_student = {}
    for student, notebook in pairs:
        by_student.setdefault(student, [])
        if all(notebook.resolve() != other.resolve() for other in by_student[student]):
            by_student[student].append(notebook)
    for student, notebooks in by_student.items():
        if len(notebooks) > 1:
            listing = ", ".join(str(nb) for nb in notebooks[:4])
            raise ValueError(
                f"{len(notebooks)} notebooks would all be the row {student!r} of grades.csv: "
                f"{listing}. Grade one notebook per student: pass one assignment's folders "
                f"(e.g. submitted/*/02_distances for nbgrader), or rename the files if they "
                f"are different students'.")
    submissions = [Submission(student, notebooks[0]) for student, notebooks in by_student.items()]
    for submission in empty:
        if submission.student not in by_student:
            submissions.append(submission)
            by_student[submission.student] = [submission.path]
    return sorted(submissions, key=lambda s: s.student)
