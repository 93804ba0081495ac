"""The ``kmeans-lessons`` command: release and grade from the shell."""

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from kmeans_lessons.cli import main

SOLVED_CELL = """\
def pairwise_sq_dists(X, C):
    ### BEGIN SOLUTION
    diff = X[:, None, :] - C[None, :, :]
    return (diff ** 2).sum(axis=2)
    ### END SOLUTION"""

STUDENT_CODE = [
    "import numpy as np",
    "def pairwise_sq_dists(X, C):\n    diff = X[:, None, :] - C[None, :, :]\n"
    "    return np.einsum('nkd,nkd->nk', diff, diff)",
    "def assign(X, C):\n    return pairwise_sq_dists(X, C).argmin(axis=1)",
]


def write_notebook(path, *cells):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


def test_release_writes_student_notebooks(tmp_path, capsys):
    write_notebook(tmp_path / "notebooks" / "02_distances.ipynb", "import numpy as np",
                   SOLVED_CELL)
    assert main(["release", str(tmp_path / "notebooks"), "--out", str(tmp_path / "release")]) == 0
    released = nbformat.read(tmp_path / "release" / "02_distances.ipynb", as_version=4)
    assert "Exercise pairwise_sq_dists: replace this line" in released.cells[1].source
    assert "diff" not in released.cells[1].source
    assert "released 1 notebook(s) with 1 exercise stub(s)" in capsys.readouterr().out


def test_release_of_one_notebook_file(tmp_path):
    source = write_notebook(tmp_path / "02_distances.ipynb", SOLVED_CELL)
    assert main(["release", str(source), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "02_distances.ipynb").exists()


def test_release_reports_a_bad_marker_and_exits_2(tmp_path, capsys):
    write_notebook(tmp_path / "notebooks" / "bad.ipynb", "def f():\n    ### BEGIN SOLUTION")
    assert main(["release", str(tmp_path / "notebooks"), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "bad.ipynb, cell 0" in error and "no matching '### END SOLUTION'" in error


def test_grade_writes_grades_and_feedback_with_a_progress_bar(tmp_path, capsys):
    submissions = tmp_path / "submissions"
    write_notebook(submissions / "alice.ipynb", *STUDENT_CODE)
    (submissions / "bob.ipynb").write_text("not json", encoding="utf-8")
    from kmeans_lessons.grading.autograde import bwrap as _bwrap

    try:  # sandboxed where bubblewrap works (CI); tests/test_sandbox.py covers the refusal
        _bwrap.check_sandbox()
        unsafe = []
    except _bwrap.SandboxUnavailable:
        unsafe = ["--no-sandbox"]
    code = main(["grade", str(submissions), "--out", str(tmp_path / "grades.csv"),
                 "--feedback", str(tmp_path / "feedback"), "--timeout", "20", "--jobs", "2",
                 "--key-file", str(tmp_path / "grading.key"), *unsafe])
    assert code == 0
    with open(tmp_path / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["student"], r["status"]) for r in rows] == [("alice", "graded"),
                                                            ("bob", "invalid")]
    assert float(rows[0]["total"]) > 0 and rows[1]["total"] == "0"
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == ["alice.txt", "bob.txt"]
    captured = capsys.readouterr()
    assert "2/2" in captured.err  # the tqdm bar
    assert "graded 2 submission(s)" in captured.out and "1 graded, 1 invalid" in captured.out


@pytest.mark.parametrize("arguments", [
    ["grade", "x.ipynb", "--out", "g.csv", "--jobs", "0"],
    ["grade", "x.ipynb", "--out", "g.csv", "--timeout", "-1"],
    ["grade", "x.ipynb"],
    ["release", "notebooks"],
])
def test_bad_options_are_usage_errors(arguments):
    with pytest.raises(SystemExit) as exit_:
        main(arguments)
    assert exit_.value.code == 2


def test_missing_submission_is_an_error_not_a_traceback(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "missing.ipynb"), "--out", str(tmp_path / "g.csv"),
                 "--key-file", str(tmp_path / "k")]) == 2
    assert "missing.ipynb does not exist" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


def test_console_script_is_installed():
    script = shutil.which("kmeans-lessons", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the package is not installed in this interpreter's environment")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "release" in result.stdout and "grade" in result.stdout
