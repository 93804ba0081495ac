"""Gradescope: the autograder zip, and run_autograder on a temporary /autograder tree."""

import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile

import nbformat
import pytest

from kmeans_lessons.cli import main
from kmeans_lessons.grading.autograde import grade
from kmeans_lessons.grading.autograde.gradescope import (_student, build_autograder, lesson_key,
                                                         run_autograder)
from kmeans_lessons.grading.exercises import EXERCISES

KEY = b"gradescope key"
LESSON_02 = [n for n, e in EXERCISES.items() if e.notebook == "02_distances"]
PAIRWISE = ("def pairwise_sq_dists(X, C):\n"
            "    return ((X[:, None, :] - C[None]) ** 2).sum(-1)")
ARGMAX = "def assign(X, C):\n    return pairwise_sq_dists(X, C).argmax(axis=1)"


def student_notebook(path, *cells):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in ("import numpy as np", *cells)]), path)
    return path


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gradescope")
    return build_autograder("02_distances", folder / "autograder.zip", key=KEY, timeout=30)


def test_zip_holds_setup_run_autograder_seeds_and_the_package(autograder):
    with zipfile.ZipFile(autograder) as archive:
        names = archive.namelist()
        config = json.loads(archive.read("autograder.json"))
        setup = archive.read("setup.sh").decode()
        modes = {n: (archive.getinfo(n).external_attr >> 16) & 0o777 for n in names}
        pyproject = archive.read("package/pyproject.toml").decode()
        key = archive.read("grading.key").decode().strip()
    assert {"setup.sh", "run_autograder", "autograder.json", "grading.key",
            "package/kmeans_lessons/grading/autograde/gradescope.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert "apt-get install" in setup and "bubblewrap" in setup
    assert "pip install /autograder/source/package" in setup
    project = tomllib.loads(pyproject)
    assert "numpy>=1.24" in project["project"]["dependencies"]
    assert "pytest" not in pyproject  # no test extra on the image
    assert project["tool"]["setuptools"]["package-data"] == {"*": ["*", "**/*"]}  # data files
    assert config["lesson"] == "02_distances" and config["timeout"] == 30
    assert config["key_file"] == "grading.key"
    # the lesson's own key: the grading key itself stays home
    assert key == lesson_key(KEY, "02_distances") != lesson_key(KEY, "03_old_faithful")
    assert KEY.decode() not in key


def test_building_twice_gives_the_same_zip(autograder, tmp_path):
    again = build_autograder("02_distances", tmp_path / "again.zip", key=KEY, timeout=30)
    assert again.read_bytes() == autograder.read_bytes()


def test_unknown_lesson_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown lesson '02'.*02_distances"):
        build_autograder("02", tmp_path / "a.zip", key=KEY)


def gradescope_tree(root, autograder):
    """The tree Gradescope builds: the zip unpacked in source/, run_autograder beside it."""
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    return root


def test_run_autograder_writes_gradescopes_results(autograder, tmp_path):
    root = gradescope_tree(tmp_path / "autograder", autograder)
    notebook = student_notebook(root / "submission" / "02_distances.ipynb", PAIRWISE, ARGMAX)
    # the script Gradescope runs, with this interpreter instead of the image's venv
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), KMEANS_LESSONS_PYTHON=sys.executable)
    env.pop("KMEANS_LESSONS_GRADING_KEY", None)
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((root / "results" / "results.json").read_text())
    tests = {test["name"].split(" ")[0]: test for test in results["tests"]}
    assert list(tests) == LESSON_02
    assert tests["pairwise_sq_dists"]["score"] == tests["pairwise_sq_dists"]["max_score"] == 10
    assert tests["pairwise_sq_dists"]["output"] == "Passed every case (visible and hidden)."
    assert tests["assign"]["max_score"] == 5 and tests["assign"]["score"] < 5
    assert "argmax" in tests["assign"]["output"]
    assert all(t["visibility"] == "visible" for t in results["tests"])
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    assert results["output"].startswith("Graded as lesson 02_distances:")
    # the same points as kmeans-lessons grade with the zip's key
    (ours,) = grade([notebook], tmp_path / "g.csv", key=lesson_key(KEY, "02_distances").encode(),
                    timeout=30, progress=False)
    assert {name: ours.exercises[name].points for name in LESSON_02} == {
        name: tests[name]["score"] for name in LESSON_02}


@pytest.mark.parametrize("files, says", [
    ({}, "No notebook (.ipynb) was found in your submission: upload your 02_distances.ipynb."),
    ({"a.ipynb": 1, "b.ipynb": 1}, "holds 2 notebooks (a.ipynb, b.ipynb): upload only"),
])
def test_a_submission_without_one_notebook_is_told_what_to_upload(autograder, tmp_path, files,
                                                                  says):
    root = gradescope_tree(tmp_path / "autograder", autograder)
    for name in files:
        student_notebook(root / "submission" / name, PAIRWISE)
    results = run_autograder(root / "source" / "autograder.json", root)
    assert says in results["output"] and results["score"] == 0
    assert [t["max_score"] for t in results["tests"]] == [EXERCISES[n].points for n in LESSON_02]
    assert json.loads((root / "results" / "results.json").read_text()) == results


def test_cli_builds_the_zip(tmp_path, capsys):
    key = tmp_path / "k"
    key.write_text("from a file\n")
    assert main(["gradescope", "02_distances", "--out", str(tmp_path / "autograder.zip"),
                 "--key-file", str(key)]) == 0
    assert "wrote" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        written = archive.read("grading.key").decode().strip()
    assert written == lesson_key(b"from a file", "02_distances")
    assert stat.S_IMODE((tmp_path / "autograder.zip").stat().st_mode) & 0o044


def test_the_submission_is_named_by_its_gradescope_student(tmp_path):
    notebook = tmp_path / "submission" / "02_distances.ipynb"
    assert _student(tmp_path, notebook) == "02_distances"  # no metadata: the file's stem
    (tmp_path / "submission_metadata.json").write_text(json.dumps(
        {"id": 99, "users": [{"email": "ann@uni.edu", "id": 4711, "name": "Ann / Lee"}]}))
    assert _student(tmp_path, notebook) == "gradescope-4711"
    (tmp_path / "submission_metadata.json").write_text(json.dumps(
        {"users": [{"email": "ann@uni.edu"}]}))
    assert _student(tmp_path, notebook) == "gradescope-ann@uni.edu"


def test_without_a_sandbox_in_the_container_it_grades_without_one(autograder, tmp_path,
                                                                 monkeypatch, capsys):
    from kmeans_lessons.grading.autograde import NO_SANDBOX_NOTE, SandboxUnavailable, gradescope
    from kmeans_lessons.grading.autograde.results import ExerciseGrade, SubmissionGrade

    asked = []

    def grade_submissions(paths, *, sandbox, **options):
        asked.append(sandbox)
        if sandbox:
            raise SandboxUnavailable("bwrap: No permissions to create new namespace")
        return [SubmissionGrade("s", "s.ipynb", "graded", NO_SANDBOX_NOTE, "02_distances", {
            name: ExerciseGrade(name, EXERCISES[name].points, EXERCISES[name].points,
                                passed=True) for name in LESSON_02})]

    monkeypatch.setattr(gradescope, "grade_submissions", grade_submissions)
    root = gradescope_tree(tmp_path / "autograder", autograder)
    student_notebook(root / "submission" / "02_distances.ipynb", PAIRWISE)
    results = run_autograder(root / "source" / "autograder.json", root)
    assert asked == [True, False]
    assert results["score"] == sum(EXERCISES[n].points for n in LESSON_02)
    assert "sandbox" not in results["output"]  # the student is not told about our machinery
    assert "no sandbox in this container" in capsys.readouterr().out  # the instructor is
