"""Gradescope: an autograder zip for one lesson, and what it runs for each submission.

``kmeans-lessons gradescope 02_distances --out autograder.zip [--key-file K]`` calls
:func:`build_autograder`, which writes the zip that Gradescope's "Programming Assignment" asks
for (its documented contract: ``setup.sh`` and ``run_autograder`` at the top of the zip):

``setup.sh``
    Run once when Gradescope builds the image (Ubuntu, as root): installs Python and
    bubblewrap (the sandbox the grader starts student kernels in, when it is available) with
    apt, then this package from ``package/`` into ``/autograder/venv``.
``run_autograder``
    Run for every submission: ``python -m kmeans_lessons.grading.autograde.gradescope
    /autograder/source/autograder.json``, i.e. :func:`main`.
``autograder.json``
    The lesson and the grader's options.
``grading.key``
    The key of this lesson's hidden cases: derived from your grading key and the lesson's name
    (:func:`lesson_key`), so that your own key never leaves your machine and a key that leaks
    from Gradescope's container reveals one lesson's hidden cases, not every lesson's. To
    regrade downloaded submissions with the same hidden cases, pass this file to
    ``kmeans-lessons grade --key-file``.
``package/``
    This package's source (with its data files) and a ``pyproject.toml`` naming its
    dependencies, so that the image runs exactly the grader that built the zip.

:func:`run_autograder` reads the submission from ``$AUTOGRADER_ROOT/submission`` (default
``/autograder``), names it by the student of ``submission_metadata.json`` (so that each student
gets hidden cases of their own where the grader salts them by student), grades it with :func:`.batch.grade_submissions` -- its own worker and kernel,
as always -- and writes ``$AUTOGRADER_ROOT/results/results.json``: one test per exercise
(``name``, ``score``, ``max_score``, ``output`` = the feedback the student would get from
``kmeans-lessons grade --feedback``), the total ``score``, and an ``output`` with the status.
"""

import hashlib
import hmac
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from .._atomic import write_text_atomically
from ..exercises import EXERCISES
from .batch import (NO_SANDBOX_NOTE, PACKAGE_DIR, SandboxUnavailable, grade_submissions,
                    load_key)
from .results import _number

__all__ = ["build_autograder", "run_autograder", "results_json", "lesson_key", "main",
           "CONFIG_NAME", "KEY_NAME"]

#: Names of the autograder's settings and key inside the zip (and in /autograder/source/).
CONFIG_NAME = "autograder.json"
KEY_NAME = "grading.key"
#: Where Gradescope puts everything, unless AUTOGRADER_ROOT says otherwise (tests).
DEFAULT_ROOT = "/autograder"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries' date: the same inputs give the same zip

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
# bubblewrap: the sandbox that the grader starts each student kernel in when it is available.
apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
/autograder/venv/bin/python -m pip install /autograder/source/package
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: the student's files are in
# $AUTOGRADER_ROOT/submission, the results go to $AUTOGRADER_ROOT/results/results.json.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${KMEANS_LESSONS_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT"
exec "$PYTHON" -m kmeans_lessons.grading.autograde.gradescope "$ROOT/source/autograder.json"
"""


# ---------------------------------------------------------------------------------------------
# Building the zip


def _dependencies():
    """The package's own requirements (no extras), from its installed metadata."""
    try:
        requires = metadata.requires("kmeans-lessons") or []
    except metadata.PackageNotFoundError:
        requires = []
    return sorted(r for r in requires if "extra ==" not in r)


def _version():
    try:
        return metadata.version("kmeans-lessons")
    except metadata.PackageNotFoundError:
        return "0"


def _pyproject():
    dependencies = "".join(f"    {json.dumps(r)},\n" for r in _dependencies())
    return (
        '[build-system]\nrequires = ["setuptools>=62.3"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "kmeans-lessons"\nversion = "{_version()}"\n'
        f'requires-python = ">=3.10"\ndependencies = [\n{dependencies}]\n\n'
        '[tool.setuptools.packages.find]\ninclude = ["kmeans_lessons*"]\n\n'
        '[tool.setuptools.package-data]\n"*" = ["*", "**/*"]\n'
    )


def _package_files(folder):
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder.parent)
        if path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".pyc":
            yield path, relative


def _add(archive, name, data, executable=False):
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    archive.writestr(info, data)


def lesson_key(key, lesson):
    """The grading key of one lesson on Gradescope: HMAC-SHA256(key, lesson), as hex text."""
    return hmac.new(key, b"kmeans-lessons gradescope\0" + lesson.encode(),
                    hashlib.sha256).hexdigest()


def build_autograder(lesson, out, *, key=None, timeout=60.0, memory_mb=4096):
    """Write Gradescope's autograder zip for ``lesson`` to ``out``.

    Parameters
    ----------
    lesson : str
        e.g. ``"02_distances"``.
    out : path-like
        The zip to write.
    key : bytes, optional
        Grading key (default: :func:`.batch.load_key`, as ``kmeans-lessons grade`` uses); the
        zip holds the lesson's key derived from it (:func:`lesson_key`), not the key itself.
    timeout, memory_mb : as ``kmeans-lessons grade --timeout/--memory``.

    Returns
    -------
    out : pathlib.Path
    """
    names = [name for name, e in EXERCISES.items() if e.notebook == lesson]
    if not names:
        known = ", ".join(sorted({e.notebook for e in EXERCISES.values()}))
        raise ValueError(f"unknown lesson {lesson!r}; the lessons are: {known}.")
    key = load_key() if key is None else key
    config = {"lesson": lesson, "timeout": float(timeout), "memory_mb": int(memory_mb),
              "key_file": KEY_NAME}
    out = Path(out)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH, executable=True)
        _add(archive, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add(archive, CONFIG_NAME, json.dumps(config, indent=1, sort_keys=True) + "\n")
        _add(archive, KEY_NAME, lesson_key(key, lesson) + "\n")
        _add(archive, "package/pyproject.toml", _pyproject())
        for path, relative in _package_files(PACKAGE_DIR):
            _add(archive, f"package/{relative.as_posix()}", path.read_bytes())
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_bytes(buffer.getvalue())
    os.replace(temporary, out)
    return out


# ---------------------------------------------------------------------------------------------
# Running it for one submission


def _exercise_output(exercise):
    lines = []
    if exercise.note:
        lines.append(exercise.note)
    elif exercise.pending:
        lines.append("Not attempted yet: the function still raises NotImplementedError.")
    elif exercise.passed:
        return "Passed every case (visible and hidden)."
    lines += exercise.feedback
    return "\n".join(lines)


def results_json(grade, lesson):
    """Gradescope's results.json (as a dict) for one SubmissionGrade of ``lesson``."""
    tests = []
    for name, exercise in EXERCISES.items():
        if exercise.notebook != lesson:
            continue
        graded = grade.exercises.get(name)
        tests.append({
            "name": f"{name} ({exercise.signature})",
            "score": round(graded.points, 2) if graded else 0.0,
            "max_score": float(exercise.points),
            "output": _exercise_output(graded) if graded else grade.message,
            "visibility": "visible",
        })
    possible = sum(test["max_score"] for test in tests)
    summary = (f"Graded as lesson {lesson}: {_number(grade.total)} of {_number(possible)} "
               f"points (status: {grade.status}).")
    return {"score": round(grade.total, 2), "output": summary + (
        f"\n{grade.message}" if grade.message else ""), "tests": tests,
            "stdout_visibility": "hidden"}


def _no_notebook(lesson, text):
    tests = [{"name": f"{name} ({e.signature})", "score": 0.0, "max_score": float(e.points),
              "output": text, "visibility": "visible"}
             for name, e in EXERCISES.items() if e.notebook == lesson]
    return {"score": 0.0, "output": text, "tests": tests, "stdout_visibility": "hidden"}


def _submitted_notebook(folder, lesson):
    """The notebook to grade in ``folder``, or (None, the reason to tell the student)."""
    notebooks = sorted(p for p in Path(folder).rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)
    if len(notebooks) == 1:
        return notebooks[0], None
    named = [p for p in notebooks if p.name == f"{lesson}.ipynb"]
    if len(named) == 1:
        return named[0], None
    if not notebooks:
        return None, (f"No notebook (.ipynb) was found in your submission: upload your "
                      f"{lesson}.ipynb.")
    listing = ", ".join(str(p.relative_to(folder)) for p in notebooks[:5])
    return None, (f"Your submission holds {len(notebooks)} notebooks ({listing}): upload only "
                  f"{lesson}.ipynb.")


def _student(root, notebook):
    """Who submitted: the first user of Gradescope's ``submission_metadata.json`` (their
    Gradescope id), else the notebook's stem; made safe as a folder name."""
    try:
        users = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        user = users["users"][0]
        name = f"gradescope-{user.get('id') or user.get('sid') or user['email']}"
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        name = Path(notebook).stem
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", str(name)).strip("._") or "submission"


def run_autograder(config_path, root=None):
    """Grade ``$AUTOGRADER_ROOT/submission`` and write ``results/results.json``; return it."""
    root = Path(root or os.environ.get("AUTOGRADER_ROOT") or DEFAULT_ROOT)
    config_path = Path(config_path)
    config = json.loads(config_path.read_text(encoding="utf-8"))
    lesson = config["lesson"]
    notebook, problem = _submitted_notebook(root / "submission", lesson)
    if notebook is None:
        results = _no_notebook(lesson, problem)
    else:
        key = (config_path.parent / config["key_file"]).read_bytes().strip()
        with tempfile.TemporaryDirectory(prefix="kmeans-lessons-gradescope-") as folder:
            # One folder named by the student: the row (and the salt of its hidden cases).
            copy = Path(folder) / _student(root, notebook) / notebook.name
            copy.parent.mkdir()
            shutil.copyfile(notebook, copy)
            options = dict(lesson=lesson, key=key, timeout=config["timeout"],
                           memory_mb=config["memory_mb"], progress=False)
            try:
                (grade,) = grade_submissions([folder], sandbox=True, **options)
            except SandboxUnavailable as error:
                # Gradescope's containers may forbid the namespaces bubblewrap needs. Each
                # container holds this one submission and no key but its lesson's, which is
                # what the sandbox protects on a shared machine: grade without it, and say so
                # to the instructor (stdout) rather than to the student.
                print(f"kmeans-lessons: no sandbox in this container ({error}); grading "
                      f"without it.")
                (grade,) = grade_submissions([folder], sandbox=False, **options)
                grade.message = grade.message.removeprefix(NO_SANDBOX_NOTE).lstrip("; ")
        results = results_json(grade, lesson)
    write_text_atomically(root / "results" / "results.json",
                          json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    return results


def main(argv=None):
    """``python -m kmeans_lessons.grading.autograde.gradescope CONFIG`` (what run_autograder
    runs)."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m kmeans_lessons.grading.autograde.gradescope "
              "/autograder/source/autograder.json", file=sys.stderr)
        return 2
    results = run_autograder(argv[0])
    print(results["output"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
