"""The ``kmeans-lessons`` command: release student notebooks, grade a class.

::

    kmeans-lessons release notebooks/ --out release/
    kmeans-lessons grade submissions/ --out grades.csv --feedback feedback/ --timeout 60 --jobs 2
    kmeans-lessons grade submissions/ --out grades.csv --report report.html
    kmeans-lessons nbgrader source/ps02/02_distances.ipynb --key-file grading.key
    kmeans-lessons gradescope 02_distances --out autograder.zip --key-file grading.key

``release`` is :func:`kmeans_lessons.grading.release.release`; ``grade`` is
:func:`kmeans_lessons.grading.autograde.grade` (its module docstring explains the trust
boundary and the meaning of each status), its ``--report`` is
:func:`kmeans_lessons.grading.autograde.report.write_report`; ``nbgrader`` is
:func:`kmeans_lessons.grading.nbgrader.nbgrader_notebook_files`; ``gradescope`` is
:func:`kmeans_lessons.grading.autograde.gradescope.build_autograder`. ``main`` returns the exit
status: 0 on success, 1 when grading finished but a submission changed the package's files (the
grades after it are suspect; a warning says what to do), 2 for a usage error or bad input (the
message says what to change), 3 when the sandbox that every submission's kernel runs in cannot be
set up (the message says how to install bubblewrap; ``--no-sandbox`` grades without it,
unsafely). With ``--scheduler ADDRESS`` (or ``$KMEANS_LESSONS_SCHEDULER``) the submissions are
graded on a Dask cluster (:mod:`kmeans_lessons.grading.autograde.cluster`); no scheduler there is
a status 2.
"""

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

__all__ = ["main", "build_parser"]


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def build_parser():
    """The argument parser of ``kmeans-lessons`` (sub-commands ``release`` and ``grade``)."""
    parser = argparse.ArgumentParser(
        prog="kmeans-lessons",
        description="Tools for the kmeans-lessons course: release student notebooks, grade "
                    "submissions.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    release = commands.add_parser(
        "release", help="write student notebooks (solutions replaced by stubs)",
        description="Replace every region between '### BEGIN SOLUTION' and '### END SOLUTION' "
                    "by a stub that raises NotImplementedError naming the exercise; clear "
                    "outputs and execution counts. Releasing twice gives identical files.",
    )
    release.add_argument("source", help="a solution notebook, or a folder of them")
    release.add_argument("--out", required=True, help="output folder (or .ipynb file)")

    nbgrader = commands.add_parser(
        "nbgrader", help="give solution notebooks nbgrader's cell metadata and graded cells",
        description="In place and idempotently: mark every cell with a solution region as an "
                    "nbgrader solution cell, and add after each exercise's check cell a locked "
                    "nbgrader grade cell worth the exercise's points, whose hidden part gives "
                    "the points of `kmeans-lessons grade` (hidden cases, same scoring rule).",
    )
    nbgrader.add_argument("notebooks", nargs="+", metavar="NOTEBOOK",
                          help="solution notebooks, or folders of them (changed in place)")
    nbgrader.add_argument("--key-file", metavar="PATH",
                          help="the key file the grade cells read when nbgrader autogrades "
                               "(its path is written, not the key; default: "
                               "$KMEANS_LESSONS_GRADING_KEY or ~/.config/kmeans-lessons/"
                               "grading.key, as for grade)")

    gradescope = commands.add_parser(
        "gradescope", help="build a Gradescope autograder zip for one lesson",
        description="Write autograder.zip for a Gradescope programming assignment: setup.sh "
                    "(installs this package and bubblewrap), run_autograder (grades the "
                    "submitted notebook as `kmeans-lessons grade` does and writes "
                    "results.json, one test per exercise) and the lesson's hidden-case seeds "
                    "(from the key; the key itself is not in the zip).",
    )
    gradescope.add_argument("lesson", help="e.g. 02_distances")
    gradescope.add_argument("--out", required=True, help="the zip to write (autograder.zip)")
    gradescope.add_argument("--key-file", metavar="PATH",
                            help="grading key (default: the one `kmeans-lessons grade` uses)")
    gradescope.add_argument("--timeout", type=_positive_float, default=60.0, metavar="S",
                            help="seconds a cell may run (default 60)")

    grade = commands.add_parser(
        "grade", help="grade submitted notebooks into grades.csv",
        description="Run each submission in its own fresh kernel and grade each exercise "
                    "function it defines on hidden cases.",
    )
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="notebooks, or folders searched for *.ipynb")
    grade.add_argument("--out", required=True, help="the CSV file to write (e.g. grades.csv)")
    grade.add_argument("--feedback", metavar="DIR",
                       help="folder for one feedback file per student")
    grade.add_argument("--timeout", type=_positive_float, default=60.0, metavar="S",
                       help="seconds a cell (or one call of a graded function) may run before "
                            "it is interrupted (default 60)")
    grade.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                       help="submissions graded in parallel, one kernel each (default 1)")
    grade.add_argument("--max-time", type=_positive_float, metavar="S",
                       help="seconds one submission may take in all (default 10 x --timeout, "
                            "at least 60)")
    grade.add_argument("--memory", type=_positive_int, default=4096, metavar="MB",
                       help="memory cap per submission in MB (default 4096)")
    grade.add_argument("--lesson", metavar="NAME",
                       help="grade every submission as this lesson, e.g. 02_distances "
                            "(default: detected from the functions each notebook defines)")
    grade.add_argument("--key-file", metavar="PATH",
                       help="secret key for the hidden cases (default: "
                            "$KMEANS_LESSONS_GRADING_KEY or ~/.config/kmeans-lessons/"
                            "grading.key, created on first use)")
    grade.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on a Dask cluster, one task per submission, e.g. "
                            "tcp://10.0.0.5:8786 (default: $KMEANS_LESSONS_SCHEDULER if set; "
                            "the submissions must be at the same path on the workers)")
    grade.add_argument("--report", metavar="FILE",
                       help="also write the class report (points per exercise, share who "
                            "passed, mistakes by how many students made them): report.md or "
                            "report.html")
    grade.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="UNSAFE: run the kernels without the bubblewrap sandbox, as the "
                            "grader's own user; a submission can then read the key and change "
                            "other students' grades. Every row of grades.csv says so.")
    return parser


def _release(args):
    from .grading.release import release

    written = release(args.source, args.out)
    stubs = sum(path.read_text(encoding="utf-8").count('NotImplementedError(\\"Exercise ')
                for path in written)
    print(f"released {len(written)} notebook(s) with {stubs} exercise stub(s) into {args.out}")
    for path in written:
        print(f"  {path}")
    return 0


def _nbgrader(args):
    from .grading.nbgrader import nbgrader_notebook_files

    for path, names in nbgrader_notebook_files(args.notebooks, args.key_file):
        print(f"{path}: {len(names)} grade cell(s) ({', '.join(names) or 'no exercise'})"
              + (f"; they read the key in {args.key_file}" if args.key_file else ""))
    return 0


def _gradescope(args):
    from .grading.autograde import load_key
    from .grading.autograde.gradescope import build_autograder

    key = load_key(args.key_file) if args.key_file else None
    out = build_autograder(args.lesson, args.out, key=key, timeout=args.timeout)
    print(f"wrote {out} for lesson {args.lesson}: upload it as the autograder of a Gradescope "
          f"programming assignment")
    return 0


def _grade(args):
    from .grading.autograde import (NoCgroupWarning, PackageChangedWarning, SandboxUnavailable,
                                    grade, load_key)

    key = load_key(args.key_file) if args.key_file else None
    if args.report:
        from .grading.autograde.report import REPORT_FORMATS

        if Path(args.report).suffix.lower() not in REPORT_FORMATS:  # before minutes of grading
            raise ValueError(f"--report {args.report}: name the file .md or .html.")
    start = time.perf_counter()
    if args.no_sandbox:
        print("kmeans-lessons grade: WARNING: --no-sandbox: the kernels run as your own user "
              "with no sandbox; a submission can read the grading key, change other students' "
              "grades and leave processes behind. Every row of grades.csv says so.",
              file=sys.stderr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PackageChangedWarning)
        warnings.simplefilter("always", NoCgroupWarning)
        try:
            grades = grade(
                args.submissions, args.out, feedback=args.feedback, timeout=args.timeout,
                max_time=args.max_time, memory_mb=args.memory, jobs=args.jobs,
                lesson=args.lesson, key=key, progress=not args.no_progress,
                sandbox=not args.no_sandbox, scheduler=args.scheduler,
            )
        except SandboxUnavailable as error:
            print(f"kmeans-lessons grade: error: {error}", file=sys.stderr)
            return 3
    for notice in caught:
        if issubclass(notice.category, NoCgroupWarning):
            print(f"kmeans-lessons grade: WARNING: {notice.message}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    if args.report:
        from .grading.autograde.report import write_report

        write_report(grades, args.report)
    counts = Counter(g.status for g in grades)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("graded", "timeout", "crashed", "invalid")
                        if counts[s])
    print(f"graded {len(grades)} submission(s) in {elapsed:.1f} s ({summary or 'none'}); "
          f"wrote {args.out}" + (f" and feedback in {args.feedback}" if args.feedback else "")
          + (f"; class report in {args.report}" if args.report else ""))
    problems = [w for w in caught if issubclass(w.category, PackageChangedWarning)]
    for problem in problems:
        print(f"kmeans-lessons grade: WARNING: {problem.message}", file=sys.stderr)
    return 1 if problems else 0


def main(argv=None):
    """Entry point of the ``kmeans-lessons`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = {"release": _release, "grade": _grade, "nbgrader": _nbgrader,
               "gradescope": _gradescope}[args.command]
    try:
        return handler(args)
    except (ValueError, FileNotFoundError, OSError) as error:
        print(f"kmeans-lessons {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
