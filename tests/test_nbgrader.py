"""nbgrader round trip with the real nbgrader, and the grade cells that make it agree with us.

The round trip builds a throwaway nbgrader course from lesson 02 (after ``kmeans-lessons
nbgrader`` on a copy), runs ``generate_assignment``, ``autograde`` on two submissions (one right,
one with a known mistake), ``generate_feedback`` and ``export``, and compares nbgrader's points
with ``kmeans-lessons grade``'s for the same files and the same key.
"""

import copy
import csv
import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader import api as nbgrader_api  # the test extra installs nbgrader

from kmeans_lessons.cli import main
from kmeans_lessons.grading.autograde import exercise_seed, grade
from kmeans_lessons.grading.exercises import EXERCISES
from kmeans_lessons.grading.nbgrader import add_nbgrader_cells, hidden_points
from kmeans_lessons.grading.release import release_notebook, solution_regions

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "02_distances.ipynb"
KEY = b"nbgrader round trip key"
ASSIGNMENT = "ps02"
LESSON_02 = [n for n, e in EXERCISES.items() if e.notebook == "02_distances"]
FULL_02 = sum(EXERCISES[n].points for n in LESSON_02)



def lesson():
    return nbformat.read(LESSON, as_version=4)


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


# ---------------------------------------------------------------------------------------------
# The metadata


def test_every_solution_cell_is_marked_and_every_exercise_gets_a_locked_grade_cell(tmp_path):
    nb = lesson()
    assert add_nbgrader_cells(nb, tmp_path / "grading.key") == LESSON_02
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        if "BEGIN SOLUTION" in cell.source:
            assert meta["solution"] and not meta["grade"] and not meta["locked"]
        if meta.get("grade"):
            name = meta["grade_id"].removeprefix("points_")
            assert meta["locked"] and meta["points"] == EXERCISES[name].points
            assert f"check({name})" in nb.cells[index - 1].source  # right after its check
            assert (f"hidden_points({name}, key_file={str(tmp_path / 'grading.key')!r})"
                    in cell.source)
    grade_ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c)]
    assert len(grade_ids) == len(set(grade_ids)) == 2 * len(LESSON_02)


def test_applying_twice_changes_nothing_and_a_new_key_file_updates_in_place():
    once = lesson()
    add_nbgrader_cells(once)
    twice = copy.deepcopy(once)
    add_nbgrader_cells(twice)
    assert nbformat.writes(twice) == nbformat.writes(once)
    add_nbgrader_cells(twice, "/keys/k")
    assert len(twice.cells) == len(once.cells)
    assert sum("hidden_points(assign, key_file='/keys/k')" in c.source for c in twice.cells) == 1


def test_the_student_version_has_no_solution_and_no_grading_code(tmp_path):
    nb = lesson()
    add_nbgrader_cells(nb, "/secret/place/grading.key")
    released = nbformat.writes(release_notebook(nb))
    assert "secret/place" not in released and "hidden_points" not in released
    assert "BEGIN SOLUTION" not in released and "HIDDEN TESTS" not in released


def test_cli_writes_in_place(tmp_path, capsys):
    target = tmp_path / "02_distances.ipynb"
    target.write_bytes(LESSON.read_bytes())
    key = tmp_path / "grading.key"
    key.write_text("cli key\n")
    assert main(["nbgrader", str(tmp_path), "--key-file", str(key)]) == 0
    assert (f"{len(LESSON_02)} grade cell(s) ({', '.join(LESSON_02)}); they read the key in"
            in capsys.readouterr().out)
    text = target.read_text()
    assert str(key) in text and "cli key" not in text  # the path, never the key
    assert main(["nbgrader", str(target), "--key-file", str(tmp_path / "new.key")]) == 0
    assert (tmp_path / "new.key").stat().st_size > 0  # made, as `grade --key-file` would
    assert str(tmp_path / "new.key") in target.read_text()


# ---------------------------------------------------------------------------------------------
# The grade cell's code


def right_assign(X, C):
    return ((X[:, None, :] - C[None]) ** 2).sum(-1).argmin(axis=1)


def argmax_assign(X, C):
    return ((X[:, None, :] - C[None]) ** 2).sum(-1).argmax(axis=1)


def test_hidden_points_give_partial_credit_as_a_plain_float(capsys):
    seed = exercise_seed(KEY, "assign")
    full = hidden_points(right_assign, seed=seed, exercise="assign")
    assert type(full) is float and full == EXERCISES["assign"].points
    wrong = hidden_points(argmax_assign, seed=seed, exercise="assign")
    assert 0 <= wrong < full
    out = capsys.readouterr().out
    assert "assign: 5 of 5 points (on the hidden cases)" in out and "argmax" in out


def test_hidden_points_without_a_seed_outside_autograde_is_a_preview(capsys, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert hidden_points(right_assign, exercise="assign") == 5
    assert "a preview with the cases of check()" in capsys.readouterr().out


def test_hidden_points_follow_the_reference_copy_rule():
    from kmeans_lessons import assign as reference

    def assign(X, C):
        return reference(X, C)

    assert hidden_points(assign, exercise="assign", seed=1) == 0


@pytest.mark.parametrize("key_file, says", [
    (None, "there is no grading key"),
    ("/nowhere/grading.key", "the key file /nowhere/grading.key named in the grade cell does not"),
])
def test_autograding_without_a_key_stops_the_kernel_instead_of_recording_zeros(tmp_path,
                                                                             key_file, says):
    code = ("from kmeans_lessons.grading.nbgrader import hidden_points\n"
            f"hidden_points(lambda X, C: X, {key_file!r}, exercise='assign')\n"
            "print('not reached')")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KMEANS_LESSONS_GRADING_KEY")}
    env.update(NBGRADER_EXECUTION="autograde", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 3 and "not reached" not in result.stdout
    assert says in result.stderr and "no zero is recorded" in result.stderr


# ---------------------------------------------------------------------------------------------
# The round trip


def _solution_bodies(source_nb):
    return {nbgrader_meta(c)["grade_id"]: c.source for c in source_nb.cells
            if nbgrader_meta(c).get("solution")}


def _submission(released, bodies, replace=None):
    """The student version with each solution written back; ``replace`` maps a grade_id to
    the code that stands in that solution's place instead (a known mistake)."""
    nb = copy.deepcopy(released)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id not in bodies:
            continue
        lines = bodies[grade_id].splitlines()
        for begin, end, indent, _ in reversed(solution_regions(bodies[grade_id])):
            body = lines[begin + 1:end]
            if replace and grade_id in replace:
                body = [indent + replace[grade_id]]
            lines[begin:end + 1] = body
        cell.source = "\n".join(lines)
    return nb


def _nbgrader(course, *arguments):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KMEANS_LESSONS_GRADING_KEY")}
    # nbgrader runs the `alembic` script of its environment by name: put it on PATH, as an
    # activated environment would.
    env.update(JUPYTER_CONFIG_DIR=str(course / ".jupyter"), MPLBACKEND="Agg",
               OPENBLAS_NUM_THREADS="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *arguments], cwd=course, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    root = tmp_path_factory.mktemp("nbgrader")
    course = root / "course"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "kmeans-lessons-test"\n'
        'c.Execute.timeout = 120\n')
    key_file = root / "grading.key"
    key_file.write_bytes(KEY + b"\n")
    source = lesson()
    add_nbgrader_cells(source, key_file)
    nbformat.write(source, course / "source" / ASSIGNMENT / "02_distances.ipynb")

    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / "02_distances.ipynb", 4)
    bodies = _solution_bodies(source)
    submissions = {
        "alice": _submission(released, bodies),
        "bob": _submission(released, bodies, {
            "solution_assign": "return pairwise_sq_dists(X, C).argmax(axis=1)"}),
    }
    for student, nb in submissions.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "02_distances.ipynb")
    _nbgrader(course, "autograde", ASSIGNMENT, "--create")
    _nbgrader(course, "generate_feedback", ASSIGNMENT)
    _nbgrader(course, "export")

    with open(course / "grades.csv", newline="") as handle:
        exported = {row["student_id"]: row for row in csv.DictReader(handle)}
    cells = {}
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in submissions:
            for name in LESSON_02:
                found = gradebook.find_grade(f"points_{name}", "02_distances", ASSIGNMENT,
                                             student)
                cells[student, name] = found.score
    ours = {g.submission: g for g in grade([course / "submitted"], root / "grades.csv", key=KEY,
                                           timeout=60, progress=False)}
    return dict(course=course, exported=exported, cells=cells, ours=ours)


def test_nbgrader_points_equal_kmeans_lessons_grade_points(round_trip):
    ours, cells, exported = round_trip["ours"], round_trip["cells"], round_trip["exported"]
    assert sorted(ours) == sorted(exported) == ["alice", "bob"]
    for student, row in ours.items():  # shown with pytest -s
        print(student, *(f"{name}: nbgrader {cells[student, name]:g} / kmeans-lessons "
                          f"{row.exercises[name].points:g}" for name in LESSON_02),
              f"total: nbgrader {exported[student]['raw_score']} / kmeans-lessons {row.total:g}",
              sep="; ")
    for student, row in ours.items():
        assert row.status == "graded", row.message
        for name in LESSON_02:
            assert cells[student, name] == pytest.approx(row.exercises[name].points), (
                student, name)
        assert float(exported[student]["raw_score"]) == pytest.approx(row.total)
        assert float(exported[student]["max_score"]) == FULL_02
    assert ours["alice"].total == FULL_02
    assert ours["bob"].exercises["pairwise_sq_dists"].points == 10
    assert ours["bob"].exercises["assign"].points < 5
    assert "argmax" in ours["bob"].exercises["assign"].mistakes


def test_feedback_shows_the_hidden_case_lines(round_trip):
    page = (round_trip["course"] / "feedback" / "bob" / ASSIGNMENT / "02_distances.html")
    text = page.read_text()
    assert "assign:" in text
    assert re.search(r"points \(on bob(&#39;|&#x27;|')s hidden cases\)", text)  # salted by student
    assert KEY.decode() not in text  # the feedback shows the grade cells, never the key


def test_a_function_that_names_the_reference_scores_zero_like_kmeans_lessons_grade(tmp_path,
                                                                                  monkeypatch):
    """The static half of the rule reads the cells the kernel ran (IPython's history)."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    shell = InteractiveShell.instance()
    run = functools.partial(shell.run_cell, store_history=True)  # as nbclient runs cells
    try:
        run("import numpy as np\nfrom kmeans_lessons import assign as reference")
        run("def assign(X, C):\n    if X is None:\n        return reference(X, C)\n"
                       "    return ((X[:, None, :] - C[None]) ** 2).sum(-1).argmin(axis=1)")
        graded = run("from kmeans_lessons.grading.nbgrader import hidden_points\n"
                                "hidden_points(assign, seed=1)")
        assert graded.result == 0.0
        run("def assign(X, C):\n"
                       "    return ((X[:, None, :] - C[None]) ** 2).sum(-1).argmin(axis=1)")
        # the earlier definition is still in the history: the rule reads the last one, as
        # kmeans-lessons grade reads the notebook's last definition
        assert run("hidden_points(assign, seed=1)").result == 5.0
    finally:
        InteractiveShell.clear_instance()


def test_the_student_is_read_from_the_folder_nbgrader_runs_the_notebook_in(tmp_path):
    from kmeans_lessons.grading.nbgrader import nbgrader_student

    for stage in ("submitted", "autograded"):
        folder = tmp_path / "course" / stage / "alice" / "ps02"
        folder.mkdir(parents=True)
        assert nbgrader_student(folder) == "alice"
    assert nbgrader_student(tmp_path) == ""
