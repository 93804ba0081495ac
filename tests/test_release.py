"""Student release: solution regions become stubs, outputs go, everything else stays."""

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from kmeans_lessons.grading.release import (
    ReleaseError,
    exercises_in_notebook,
    release,
    release_notebook,
    solution_regions,
    stub_line,
)

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb"))

SOLVED_CELL = """\
def pairwise_sq_dists(X, C):
    \"\"\"Squared distances, (n, k).\"\"\"
    ### BEGIN SOLUTION
    diff = X[:, None, :] - C[None, :, :]
    return (diff ** 2).sum(axis=2)
    ### END SOLUTION

check(pairwise_sq_dists)"""

RELEASED_CELL = """\
def pairwise_sq_dists(X, C):
    \"\"\"Squared distances, (n, k).\"\"\"
    raise NotImplementedError("Exercise pairwise_sq_dists: replace this line with your solution.")

check(pairwise_sq_dists)"""


def solution_notebook():
    """A small lesson: prose, setup with output, one exercise with nbgrader metadata."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    setup = nbformat.v4.new_code_cell("import numpy as np\nnp.arange(3)", execution_count=1)
    setup.outputs = [nbformat.v4.new_output(
        "execute_result", data={"text/plain": "array([0, 1, 2])"}, execution_count=1)]
    exercise = nbformat.v4.new_code_cell(SOLVED_CELL, execution_count=2)
    exercise.metadata["nbgrader"] = {"solution": True, "grade_id": "pairwise"}
    exercise.metadata["execution"] = {"iopub.status.busy": "2024-01-01T00:00:00Z"}
    exercise.metadata["tags"] = ["exercise"]
    exercise.outputs = [nbformat.v4.new_output("stream", name="stdout", text="all passed\n")]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Distances\nOne idea per cell."),
        setup,
        exercise,
        nbformat.v4.new_markdown_cell("The end."),
    ]
    return nb


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# ---------------------------------------------------------------------------------------------
# One notebook


def test_solution_region_becomes_a_stub_naming_the_exercise():
    released = release_notebook(solution_notebook())
    assert released.cells[2].source == RELEASED_CELL


def test_stub_keeps_the_indentation_of_the_marker():
    source = ("def outer(x):\n    if x:\n        ### BEGIN SOLUTION\n        return 1\n"
              "        ### END SOLUTION\n    return 0")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    lines = release_notebook(nb).cells[0].source.split("\n")
    assert lines[2] == stub_line("outer", " " * 8)
    assert lines[3] == "    return 0"


def test_region_outside_a_function_gets_a_generic_stub():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "### BEGIN SOLUTION\nk = 3\n### END SOLUTION\nprint(k)")])
    assert release_notebook(nb).cells[0].source == (
        'raise NotImplementedError("Replace this line with your solution.")\nprint(k)')


def test_outputs_and_execution_counts_are_cleared():
    released = release_notebook(solution_notebook())
    code = [cell for cell in released.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_solution_only_metadata_is_dropped_and_the_rest_kept():
    released = release_notebook(solution_notebook())
    assert released.cells[2].metadata == {"tags": ["exercise"]}
    assert "widgets" not in released.metadata
    assert released.metadata["kernelspec"]["name"] == "python3"


def test_everything_else_is_unchanged():
    original = solution_notebook()
    released = release_notebook(original)
    assert [c.id for c in released.cells] == [c.id for c in original.cells]
    for index in (0, 1, 3):
        assert released.cells[index].source == original.cells[index].source
    assert released.nbformat == original.nbformat
    assert released.nbformat_minor == original.nbformat_minor


def test_the_solution_notebook_is_not_modified():
    original = solution_notebook()
    before = nbformat.writes(original)
    release_notebook(original)
    assert nbformat.writes(original) == before


def test_hidden_tests_are_removed():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS")])
    assert release_notebook(nb).cells[0].source == "assert f(1) == 1"


def test_markdown_solution_becomes_your_answer_here():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "Why does J fall?\n### BEGIN SOLUTION\nEach step lowers it.\n### END SOLUTION")])
    assert release_notebook(nb).cells[0].source == "Why does J fall?\nYOUR ANSWER HERE"


def test_two_exercises_in_one_notebook_are_listed_in_order():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(SOLVED_CELL),
        nbformat.v4.new_code_cell("def assign(X, C):\n    ### BEGIN SOLUTION\n    return 0\n"
                                  "    ### END SOLUTION"),
    ])
    assert exercises_in_notebook(nb) == ["pairwise_sq_dists", "assign"]
    sources = [cell.source for cell in release_notebook(nb).cells]
    assert 'NotImplementedError("Exercise assign: ' in sources[1]


@pytest.mark.parametrize("source, problem", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1", "has no matching '### END SOLUTION'"),
    ("def f():\n    return 1\n    ### END SOLUTION", "has no '### BEGIN SOLUTION' before it"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "before the region opened"),
])
def test_bad_markers_are_errors_naming_notebook_cell_and_line(source, problem):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("intro"),
                                         nbformat.v4.new_code_cell(source)])
    with pytest.raises(ReleaseError, match="lesson.ipynb, cell 1") as error:
        release_notebook(nb, label="lesson.ipynb")
    assert problem in str(error.value)
    assert re.search(r"line \d", str(error.value))


def test_solution_regions_reports_lines_indent_and_function():
    assert solution_regions(SOLVED_CELL) == [(2, 5, "    ", "pairwise_sq_dists")]


# ---------------------------------------------------------------------------------------------
# Files and folders


def test_releasing_twice_gives_identical_files(tmp_path):
    write(solution_notebook(), tmp_path / "src" / "02_distances.ipynb")
    first = release(tmp_path / "src", tmp_path / "out1")
    second = release(tmp_path / "src", tmp_path / "out2")
    again = release(tmp_path / "out1", tmp_path / "out3")  # releasing a release changes nothing
    texts = {p.read_bytes() for p in first + second + again}
    assert len(first) == 1 and len(texts) == 1


def test_notebooks_without_cell_ids_are_released_without_inventing_them(tmp_path):
    old_format = {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": SOLVED_CELL}]}
    (tmp_path / "old.ipynb").write_text(json.dumps(old_format))
    first = release(tmp_path / "old.ipynb", tmp_path / "a")[0].read_text()
    assert first == release(tmp_path / "old.ipynb", tmp_path / "b")[0].read_text()
    assert '"id"' not in first and '"nbformat_minor": 4' in first


def test_release_writes_valid_notebooks_mirroring_the_folder(tmp_path):
    write(solution_notebook(), tmp_path / "src" / "02_distances.ipynb")
    write(solution_notebook(), tmp_path / "src" / "extra" / "03.ipynb")
    write(solution_notebook(), tmp_path / "src" / ".ipynb_checkpoints" / "02-checkpoint.ipynb")
    written = release(tmp_path / "src", tmp_path / "out")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == [
        "02_distances.ipynb", "extra/03.ipynb"]
    for path in written:
        nbformat.validate(nbformat.read(path, as_version=4))


def test_release_of_a_single_notebook(tmp_path):
    source = write(solution_notebook(), tmp_path / "02_distances.ipynb")
    assert release(source, tmp_path / "out") == [tmp_path / "out" / "02_distances.ipynb"]
    assert release(source, tmp_path / "student.ipynb") == [tmp_path / "student.ipynb"]


def test_a_bad_marker_writes_nothing(tmp_path):
    write(solution_notebook(), tmp_path / "src" / "01_good.ipynb")
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("### BEGIN SOLUTION")])
    write(bad, tmp_path / "src" / "02_bad.ipynb")
    with pytest.raises(ReleaseError, match="02_bad.ipynb, cell 0"):
        release(tmp_path / "src", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_release_refuses_to_overwrite_the_solutions(tmp_path):
    source = write(solution_notebook(), tmp_path / "src" / "02_distances.ipynb")
    with pytest.raises(ReleaseError, match="overwrite"):
        release(tmp_path / "src", tmp_path / "src")
    with pytest.raises(ReleaseError, match="overwrite"):
        release(source, source)


# ---------------------------------------------------------------------------------------------
# The course's own notebooks


def solution_lines(nb):
    """Lines inside solution regions that appear nowhere outside them in the notebook."""
    inside, outside = set(), set()
    for cell in nb.cells:
        lines = cell.source.split("\n")
        regions = solution_regions(cell.source)
        covered = {n for begin, end, _, _ in regions for n in range(begin, end + 1)}
        for number, line in enumerate(lines):
            (inside if number in covered else outside).add(line.strip())
    return {line for line in inside - outside if line and not line.startswith("#")}


def test_lessons_exist():
    if not LESSONS:
        pytest.skip("notebooks/ has no lessons yet")
    assert len(LESSONS) >= 6


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_no_solution_line_survives_release(path, tmp_path):
    (released,) = release(path, tmp_path)
    text = released.read_text(encoding="utf-8")
    nb = nbformat.read(released, as_version=4)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    student_lines = {line.strip() for cell in nb.cells for line in cell.source.split("\n")}
    leaked = solution_lines(nbformat.read(path, as_version=4)) & student_lines
    assert not leaked, f"solution lines left in {path.name}: {sorted(leaked)[:5]}"
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")


def test_every_exercise_appears_in_exactly_one_notebook():
    if not LESSONS:
        pytest.skip("notebooks/ has no lessons yet")
    from kmeans_lessons.grading.exercises import EXERCISES

    found = {}
    for path in LESSONS:
        for name in exercises_in_notebook(nbformat.read(path, as_version=4), str(path)):
            found.setdefault(name, []).append(path.stem)
    for name, exercise in EXERCISES.items():
        assert found.get(name) == [exercise.notebook], (
            f"{name} should be solved once, in {exercise.notebook}; found in {found.get(name)}")


RECORD_CHECKS = """\
import kmeans_lessons as _kl, kmeans_lessons.grading as _grading
_checked = []
def _recording_check(*args, _real=_grading.check, **kwargs):
    result = _real(*args, **kwargs)
    _checked.append(result)
    return result
_kl.check = _grading.check = _recording_check
"""

REPORT_CHECKS = """\
import json
print(json.dumps([[r.exercise, bool(r.pending), bool(r.passed)] for r in _checked]))
"""


def run_released(path, cwd):
    """Execute a released notebook top to bottom (any error fails); return check's results."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(RECORD_CHECKS))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT_CHECKS))
    NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=False,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return json.loads(nb.cells[-1].outputs[0]["text"])


# Every real lesson is released and executed once, in test_released_notebooks.py; here only a
# small synthetic lesson checks that release and check work together.


def test_released_synthetic_lesson_reports_pending_instead_of_crashing(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\nfrom kmeans_lessons import check"),
        nbformat.v4.new_code_cell(SOLVED_CELL),
        nbformat.v4.new_code_cell("def assign(X, C):\n    ### BEGIN SOLUTION\n"
                                  "    return pairwise_sq_dists(X, C).argmin(axis=1)\n"
                                  "    ### END SOLUTION\n\ncheck(assign)"),
    ])
    (released,) = release(write(nb, tmp_path / "src" / "02_distances.ipynb"), tmp_path / "out")
    results = run_released(released, tmp_path)
    assert results == [["pairwise_sq_dists", True, False], ["assign", True, False]]
