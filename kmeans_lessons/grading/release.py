"""Turn the solution notebooks into the student notebooks.

The lessons in ``notebooks/`` are complete: every exercise holds its solution between nbgrader's
markers, so instructors who use nbgrader can take the notebooks as they are::

    def pairwise_sq_dists(X, C):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

    check(pairwise_sq_dists)

:func:`release_notebook` replaces each marked region by one line, indented like the marker, that
raises ``NotImplementedError`` naming the exercise; the ``def`` line and the ``check(...)`` call
stay as they are, so a student running the released notebook top to bottom sees every unsolved
exercise reported as *pending* by ``check`` instead of a crash. Outputs, execution counts and the
metadata that only belongs to the solution version (nbgrader's cell metadata, execution timings,
saved widget state) are removed; everything else is copied unchanged. Regions between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` are dropped entirely, as nbgrader does.

The output is a pure function of the input: releasing twice, or releasing a released notebook,
gives byte-identical files.

Used by ``kmeans-lessons release notebooks/ --out release/`` (see :mod:`kmeans_lessons.cli`).
"""

import copy
import re
from pathlib import Path

import nbformat

from ._atomic import write_text_atomically

__all__ = [
    "ReleaseError",
    "release_notebook",
    "release_file",
    "release",
    "exercises_in_notebook",
    "solution_regions",
    "stub_line",
]

_BEGIN_SOLUTION = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
_END_SOLUTION = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
_BEGIN_HIDDEN = re.compile(r"^\s*#+\s*BEGIN HIDDEN TESTS\s*$")
_END_HIDDEN = re.compile(r"^\s*#+\s*END HIDDEN TESTS\s*$")
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(")

#: Text that replaces a solution region in a markdown cell (nbgrader's wording).
MARKDOWN_STUB = "YOUR ANSWER HERE"

# Cell metadata that describes the solution version, not the lesson.
_SOLUTION_CELL_METADATA = ("nbgrader", "execution", "ExecuteTime")
# Notebook metadata that is saved output (widget views refer to outputs we clear).
_OUTPUT_NOTEBOOK_METADATA = ("widgets",)


class ReleaseError(ValueError):
    """A solution notebook whose markers cannot be released (unclosed, nested or stray)."""


def stub_line(exercise, indent=""):
    """The line that stands in for the solution of ``exercise`` in a student notebook.

    Parameters
    ----------
    exercise : str or None
        Name of the exercise function the region belongs to; ``None`` for a region outside any
        function.
    indent : str
        Leading whitespace, copied from the ``### BEGIN SOLUTION`` marker.

    Returns
    -------
    line : str
        ``raise NotImplementedError("Exercise NAME: replace this line with your solution.")``.
    """
    if exercise:
        message = f"Exercise {exercise}: replace this line with your solution."
    else:
        message = "Replace this line with your solution."
    return f'{indent}raise NotImplementedError("{message}")'


def _where(label, index, cell):
    cell_id = cell.get("id")
    return f"{label}, cell {index}" + (f" (id {cell_id})" if cell_id else "")


def _enclosing_function(lines, marker_index, marker_indent):
    """Name of the innermost ``def`` above ``marker_index`` that the marker is indented inside."""
    for line in reversed(lines[:marker_index]):
        match = _DEF.match(line)
        if match and len(match.group(1)) < len(marker_indent):
            return match.group(2)
    return None


def solution_regions(source, where="cell"):
    """Find the solution regions of one cell's source.

    Parameters
    ----------
    source : str
        The cell's text.
    where : str
        Names the cell in error messages, e.g. ``"notebooks/02_distances.ipynb, cell 7"``.

    Returns
    -------
    regions : list of (begin, end, indent, exercise)
        Line numbers (0-based) of the two markers, the marker's indentation and the name of the
        enclosing function (``None`` outside a function), in order.

    Raises
    ------
    ReleaseError
        If a marker is left open, an END has no BEGIN, or regions are nested.
    """
    lines = source.split("\n")
    regions, open_at = [], None
    for number, line in enumerate(lines):
        begin = _BEGIN_SOLUTION.match(line)
        if begin:
            if open_at is not None:
                raise ReleaseError(
                    f"{where}: '### BEGIN SOLUTION' on line {number + 1} comes before the region "
                    f"opened on line {open_at[0] + 1} is closed; add '### END SOLUTION' after "
                    f"the first solution."
                )
            open_at = (number, begin.group(1))
        elif _END_SOLUTION.match(line):
            if open_at is None:
                raise ReleaseError(
                    f"{where}: '### END SOLUTION' on line {number + 1} has no '### BEGIN "
                    f"SOLUTION' before it; add the BEGIN marker where the solution starts."
                )
            start, indent = open_at
            regions.append((start, number, indent, _enclosing_function(lines, start, indent)))
            open_at = None
    if open_at is not None:
        raise ReleaseError(
            f"{where}: '### BEGIN SOLUTION' on line {open_at[0] + 1} has no matching "
            f"'### END SOLUTION'; add one on the line after the solution ends."
        )
    return regions


def _drop_hidden_tests(source, where):
    kept, hidden_from = [], None
    for number, line in enumerate(source.split("\n")):
        if _BEGIN_HIDDEN.match(line):
            if hidden_from is not None:
                raise ReleaseError(
                    f"{where}: nested '### BEGIN HIDDEN TESTS' on line {number + 1}.")
            hidden_from = number
        elif _END_HIDDEN.match(line):
            if hidden_from is None:
                raise ReleaseError(
                    f"{where}: '### END HIDDEN TESTS' on line {number + 1} has no BEGIN marker."
                )
            hidden_from = None
        elif hidden_from is None:
            kept.append(line)
    if hidden_from is not None:
        raise ReleaseError(
            f"{where}: '### BEGIN HIDDEN TESTS' on line {hidden_from + 1} has no matching "
            f"'### END HIDDEN TESTS'."
        )
    return "\n".join(kept)


def _release_source(source, where, markdown=False):
    source = _drop_hidden_tests(source, where)
    lines = source.split("\n")
    out, previous_end = [], -1
    for begin, end, indent, exercise in solution_regions(source, where):
        out.extend(lines[previous_end + 1:begin])
        out.append(indent + MARKDOWN_STUB if markdown else stub_line(exercise, indent))
        previous_end = end
    out.extend(lines[previous_end + 1:])
    return "\n".join(out)


def release_notebook(nb, label="notebook"):
    """The student version of one solution notebook.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A solution notebook (nbformat 4). It is not modified.
    label : str
        How error messages name the notebook (usually its path).

    Returns
    -------
    released : nbformat.NotebookNode
        A copy with every solution region replaced by a stub (see :func:`stub_line`), hidden-test
        regions removed, outputs and execution counts cleared and solution-only metadata dropped.

    Raises
    ------
    ReleaseError
        If a marker is unclosed, nested or stray; the message names the notebook and the cell.
    """
    released = copy.deepcopy(nb)
    for key in _OUTPUT_NOTEBOOK_METADATA:
        released.metadata.pop(key, None)
    for index, cell in enumerate(released.cells):
        where = _where(label, index, cell)
        if cell.cell_type in ("code", "markdown"):
            cell.source = _release_source(cell.source, where, markdown=cell.cell_type == "markdown")
        for key in _SOLUTION_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return released


def exercises_in_notebook(nb, label="notebook"):
    """Names of the functions whose bodies hold a solution region, in notebook order.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A solution notebook.
    label : str
        How error messages name the notebook.

    Returns
    -------
    names : list of str
        One entry per function with a solution region (a name appears twice if two cells solve
        a function of that name).
    """
    names = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for _, _, _, exercise in solution_regions(cell.source, _where(label, index, cell)):
            if exercise and exercise not in names[-1:]:
                names.append(exercise)
    return names


def _notebook_text(nb):
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def release_file(source, destination):
    """Release one notebook file.

    Parameters
    ----------
    source : path-like
        A solution notebook.
    destination : path-like
        Where the student notebook is written (atomically; parent folders are created).

    Returns
    -------
    destination : pathlib.Path
    """
    source, destination = Path(source), Path(destination)
    if source.resolve() == destination.resolve():
        raise ReleaseError(
            f"{source}: the student version would overwrite the solution notebook; choose an "
            f"output folder other than the notebooks folder."
        )
    nb = nbformat.read(source, as_version=4)
    write_text_atomically(destination, _notebook_text(release_notebook(nb, label=str(source))))
    return destination


def _solution_notebooks(folder):
    return sorted(
        path
        for path in Path(folder).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts
    )


def release(source, out):
    """Release a notebook file, or every notebook under a folder.

    Parameters
    ----------
    source : path-like
        A solution notebook, or a folder searched recursively for ``*.ipynb`` (checkpoints are
        skipped).
    out : path-like
        Output folder; sub-folders mirror ``source``. For a single notebook, ``out`` may also be
        a file name ending in ``.ipynb``.

    Returns
    -------
    written : list of pathlib.Path
        The student notebooks, in sorted order.

    Raises
    ------
    ReleaseError
        On a bad marker, or when ``out`` is the solutions folder itself. Every notebook is checked
        before anything is written, so a bad marker leaves ``out`` untouched.
    FileNotFoundError
        If ``source`` does not exist.
    """
    source, out = Path(source), Path(out)
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist; pass a notebook or a folder of them.")
    if source.is_file():
        destination = out if out.suffix == ".ipynb" else out / source.name
        return [release_file(source, destination)]
    if out.resolve() == source.resolve():
        raise ReleaseError(
            f"--out {out} is the solutions folder itself; releasing there would overwrite the "
            f"solutions. Choose another folder, e.g. release/."
        )
    notebooks = _solution_notebooks(source)
    # Release everything in memory first so one bad marker writes nothing at all.
    texts = {}
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        texts[out / path.relative_to(source)] = _notebook_text(release_notebook(nb, str(path)))
    for destination, text in texts.items():
        write_text_atomically(destination, text)
    return list(texts)

