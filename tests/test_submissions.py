"""Submissions as instructors receive them, and a grades.csv an LMS takes as it is."""

import csv
import io

import nbformat
import pytest

from kmeans_lessons.cli import main
from kmeans_lessons.grading.autograde import (ExerciseGrade, SubmissionGrade, collect_submissions,
                                              grades_csv)
from kmeans_lessons.grading.autograde.batch import _summarise
from kmeans_lessons.grading.exercises import EXERCISES

LESSON_02 = [n for n, e in EXERCISES.items() if e.notebook == "02_distances"]
LESSON_03 = [n for n, e in EXERCISES.items() if e.notebook == "03_old_faithful"]
FULL_02 = sum(EXERCISES[n].points for n in LESSON_02)  # what lesson 02 is worth
FULL_03 = sum(EXERCISES[n].points for n in LESSON_03)


def touch(path, text="{}"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def named(submissions):
    return [(s.student, s.path, s.problem) for s in submissions]


# ---------------------------------------------------------------------------------------------
# Layouts


def test_loose_files_are_named_by_their_stem(tmp_path):
    a = touch(tmp_path / "alice.ipynb")
    b = touch(tmp_path / "bob.txt")  # not a notebook: still a row (graded as invalid)
    touch(tmp_path / ".ipynb_checkpoints" / "alice-checkpoint.ipynb")
    assert named(collect_submissions([tmp_path, b])) == [
        ("alice", a, None), ("bob", b, None)]


def test_lms_download_one_folder_per_student_same_file_name(tmp_path):
    for student in ("alice", "bob", "Carol Smith_4711"):
        touch(tmp_path / student / "02_distances.ipynb")
    touch(tmp_path / "dave" / "answers.pdf")  # a student who uploaded the wrong file
    touch(tmp_path / "erin" / "nested" / "deeper" / "02_distances.ipynb")
    found = named(collect_submissions([tmp_path]))
    assert [student for student, _, _ in found] == [
        "Carol Smith_4711", "alice", "bob", "dave", "erin"]
    assert found[4][1] == tmp_path / "erin" / "nested" / "deeper" / "02_distances.ipynb"
    student, path, problem = found[3]
    assert path == tmp_path / "dave" and "holds no notebook" in problem
    assert "answers.pdf" in problem


def test_nbgrader_submitted_folder_whichever_level_is_passed(tmp_path):
    submitted = tmp_path / "course" / "submitted"
    for student in ("alice", "bob"):
        touch(submitted / student / "02_distances" / "02_distances.ipynb")
        touch(submitted / student / "02_distances" / "timestamp.txt", "2026-12-01")
    expected = [("alice", submitted / "alice" / "02_distances" / "02_distances.ipynb", None),
                ("bob", submitted / "bob" / "02_distances" / "02_distances.ipynb", None)]
    assert named(collect_submissions([submitted])) == expected
    # what the shell makes of submitted/*/02_distances
    folders = [submitted / "alice" / "02_distances", submitted / "bob" / "02_distances"]
    assert named(collect_submissions(folders)) == expected
    files = [path for _, path, _ in expected]
    assert named(collect_submissions(files)) == expected


def test_two_notebooks_for_one_student_are_refused_with_a_way_out(tmp_path):
    submitted = tmp_path / "submitted"
    touch(submitted / "alice" / "02_distances" / "02_distances.ipynb")
    touch(submitted / "alice" / "03_old_faithful" / "03_old_faithful.ipynb")
    with pytest.raises(ValueError, match=r"2 notebooks would all be the row 'alice'.*"
                                         r"submitted/\*/02_distances"):
        collect_submissions([submitted])
    touch(tmp_path / "a" / "x.ipynb")
    touch(tmp_path / "b" / "x.ipynb")
    with pytest.raises(ValueError, match="row 'x'"):
        collect_submissions([tmp_path / "a", tmp_path / "b"])


def test_an_empty_folder_or_a_missing_path_is_an_error(tmp_path):
    touch(tmp_path / "only_text" / "readme.txt", "")
    (tmp_path / "empty").mkdir()
    for folder in ("empty", "only_text"):
        with pytest.raises(ValueError, match="holds no notebook"):
            collect_submissions([tmp_path / folder])
    with pytest.raises(FileNotFoundError):
        collect_submissions([tmp_path / "missing"])
    with pytest.raises(ValueError, match="no submissions"):
        collect_submissions([])


def test_cli_exits_non_zero_on_an_empty_folder_without_writing(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty"), "--out", str(tmp_path / "g.csv"),
                 "--key-file", str(tmp_path / "k")]) == 2
    assert "holds no notebook" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


# ---------------------------------------------------------------------------------------------
# grades.csv


def graded(student, lesson, points):
    exercises = {name: ExerciseGrade(name, value, EXERCISES[name].points)
                 for name, value in points.items()}
    return SubmissionGrade(student, f"{student}.ipynb", "graded", "", lesson, exercises)


def test_a_batch_mixing_lessons_leaves_other_lessons_blank_never_zero():
    rows = [graded("alice", "02_distances", {"pairwise_sq_dists": 10, "assign": 2.5}),
            graded("bob", "03_old_faithful", {name: 0 for name in LESSON_03}),
            SubmissionGrade("carol", "c.ipynb", "invalid", "the file is not a notebook")]
    table = list(csv.DictReader(io.StringIO(grades_csv(rows, LESSON_02 + LESSON_03))))
    alice, bob, carol = table
    assert (alice["lesson"], alice["total"], alice["max_total"]) == ("02_distances", "12.5",
                                                                     str(FULL_02))
    assert [alice[n] for n in LESSON_03] == [""] * len(LESSON_03)
    assert (alice["pairwise_sq_dists"], alice["assign"]) == ("10", "2.5")
    assert [bob[n] for n in LESSON_02] == [""] * len(LESSON_02)
    assert [bob[n] for n in LESSON_03] == ["0"] * len(LESSON_03)
    assert bob["max_total"] == str(FULL_03)
    # two lessons in the batch: an unreadable file belongs to neither
    assert (carol["lesson"], carol["max_total"], carol["total"]) == ("", "", "0")
    assert all(carol[n] == "" for n in LESSON_02 + LESSON_03)
    assert carol["message"] == "the file is not a notebook"


def test_grades_csv_columns_are_what_an_lms_import_needs():
    full = {name: EXERCISES[name].points for name in LESSON_02}
    text = grades_csv([graded("alice", "02_distances", full)], LESSON_02)
    assert text.splitlines() == [
        ",".join(["student", "lesson", *LESSON_02, "total", "max_total", "status", "message"]),
        ",".join(["alice", "02_distances", *map(str, full.values()), str(FULL_02),
                  str(FULL_02), "graded", ""])]


def test_wrong_lesson_says_so_instead_of_accusing():
    # A lesson-03 notebook graded with --lesson 02_distances: it imports the lesson-02
    # functions from the package (as lesson 03 does), which alone would read as copying.
    reports = [
        {"event": "lesson", "lesson": "02_distances", "exercises": LESSON_02,
         "detected": "03_old_faithful", "defines": ["init_random", "update_centers"]},
        *({"event": "exercise", "name": name, "score": 0, "max_score": 1,
           "note": f"{name} calls the package's reference implementation"} for name in LESSON_02),
        {"event": "done"},
    ]
    row = _summarise("x/alice.ipynb", reports, False, 0, "", EXERCISES, 60)
    assert row.message.startswith(
        "this notebook is lesson 03_old_faithful (it defines init_random, update_centers), not "
        "02_distances: grade it with --lesson 03_old_faithful, or without --lesson")
    assert "reference" not in row.message
    assert all("reference" not in g.note and "03_old_faithful" in g.note
               for g in row.exercises.values())
    assert row.total == 0 and row.status == "graded"


def test_the_right_lesson_keeps_the_copying_note():
    reports = [
        {"event": "lesson", "lesson": "02_distances", "exercises": LESSON_02,
         "detected": "02_distances", "defines": LESSON_02},
        {"event": "exercise", "name": "assign", "score": 0, "max_score": 1,
         "note": "assign calls the package's reference implementation"},
        {"event": "done"},
    ]
    row = _summarise("x/alice.ipynb", reports, False, 0, "", EXERCISES, 60)
    assert "assign calls the package's reference implementation" in row.message
    assert "this notebook is lesson" not in row.message


def test_student_folders_name_the_rows_of_a_real_batch(tmp_path):
    """End to end: an LMS download with one good notebook and one folder without a notebook."""
    downloads = tmp_path / "downloads"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in (
        "import numpy as np",
        "def pairwise_sq_dists(X, C):\n    return ((X[:, None, :] - C[None]) ** 2).sum(-1)",
        "def assign(X, C):\n    return pairwise_sq_dists(X, C).argmax(axis=1)",  # a mistake
    )])
    (downloads / "alice").mkdir(parents=True)
    nbformat.write(nb, downloads / "alice" / "02_distances.ipynb")
    touch(downloads / "bob" / "02_distances.py", "print('oops')")
    assert main(["grade", str(downloads), "--out", str(tmp_path / "grades.csv"),
                 "--key-file", str(tmp_path / "k"), "--timeout", "20", "--no-progress",
                 "--report", str(tmp_path / "report.md")]) == 0
    with open(tmp_path / "grades.csv", newline="") as handle:
        alice, bob = csv.DictReader(handle)
    assert (alice["student"], alice["lesson"], alice["status"]) == ("alice", "02_distances",
                                                                   "graded")
    assert (alice["pairwise_sq_dists"], alice["max_total"]) == ("10", str(FULL_02))
    assert float(alice["assign"]) < 5
    assert (bob["student"], bob["status"], bob["lesson"]) == ("bob", "invalid", "02_distances")
    assert [bob[name] for name in LESSON_02] == ["0"] * len(LESSON_02) and bob["total"] == "0"
    assert "holds no notebook" in bob["message"] and "02_distances.py" in bob["message"]
    # the worker's reports carry the mistake keys all the way to the class report
    report = (tmp_path / "report.md").read_text()
    assert "| `argmax` | 1 |" in report
    assert "1 student graded; 1 passed every case (100%)" in report


def test_a_real_lesson_03_notebook_graded_as_lesson_02_is_told_so(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in (
        "import numpy as np\nfrom kmeans_lessons import assign, pairwise_sq_dists",
        "def update_centers(X, labels, k):\n"
        "    return np.stack([X[labels == j].mean(axis=0) for j in range(k)])",
        "def inertia(X, C, labels):\n    return float(((X - C[labels]) ** 2).sum())",
    )])
    nbformat.write(nb, tmp_path / "alice.ipynb")
    assert main(["grade", str(tmp_path / "alice.ipynb"), "--out", str(tmp_path / "g.csv"),
                 "--lesson", "02_distances", "--key-file", str(tmp_path / "k"), "--timeout",
                 "20", "--no-progress"]) == 0
    with open(tmp_path / "g.csv", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["message"] == ("this notebook is lesson 03_old_faithful (it defines "
                              "update_centers, inertia), not 02_distances: grade it with "
                              "--lesson 03_old_faithful, or without --lesson")
    assert (row["lesson"], row["total"], row["pairwise_sq_dists"]) == ("02_distances", "0", "0")
