"""Grades do not depend on the machine's load: one batch graded quiet and busy, points compared.

    python benchmarks/bench_fairness.py [--copies 2] [--busy-jobs 4] [--hogs 2] [--limit N]

Writes a small class of lesson-02 submissions (``pairwise_sq_dists`` and ``assign``): vectorised
solutions in several styles, a loop over the k centres (fine), loops over the samples (too slow),
a wrong answer and an ``assign`` built on the student's own ``pairwise_sq_dists``; ``--copies``
of each (``--limit N``: only the first N kinds, for a quick run). Grades the batch twice with
the same key:

* quiet: ``--jobs 1`` and nothing else started by this script;
* busy: ``--jobs 4`` (``--busy-jobs``) while ``--hogs`` CPU-bound processes spin beside it.

Prints every submission's points in both runs, the seconds each run took (the busy/quiet ratio
shows how loaded the busy run was) and whether the points are identical. Target: identical
points for every exercise of every submission. The exit status is 1 when they differ.
"""

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import nbformat

SETUP = "import numpy as np"
PAIRWISE = {
    "broadcast": '''\
def pairwise_sq_dists(X, C):
    diff = np.asarray(X, dtype=float)[:, None, :] - np.asarray(C, dtype=float)[None, :, :]
    return (diff ** 2).sum(axis=2)''',
    "expansion": '''\
def pairwise_sq_dists(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    D = (X ** 2).sum(axis=1)[:, None] + (C ** 2).sum(axis=1)[None, :] - 2 * X @ C.T
    return np.maximum(D, 0)''',
    "loop_over_k": '''\
def pairwise_sq_dists(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    D = np.empty((X.shape[0], C.shape[0]))
    for j in range(C.shape[0]):
        D[:, j] = ((X - C[j]) ** 2).sum(axis=1)
    return D''',
    "loop_over_samples": '''\
def pairwise_sq_dists(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    D = np.empty((X.shape[0], C.shape[0]))
    for i in range(X.shape[0]):
        D[i] = ((X[i] - C) ** 2).sum(axis=1)
    return D''',
    "wrong": '''\
def pairwise_sq_dists(X, C):
    diff = np.asarray(X, dtype=float)[:, None, :] - np.asarray(C, dtype=float)[None, :, :]
    return np.sqrt((diff ** 2).sum(axis=2))''',
}
ASSIGN = {
    "own_helper": '''\
def assign(X, C):
    return pairwise_sq_dists(X, C).argmin(axis=1)''',
    "broadcast": '''\
def assign(X, C):
    diff = np.asarray(X, dtype=float)[:, None, :] - np.asarray(C, dtype=float)[None, :, :]
    return (diff ** 2).sum(axis=2).argmin(axis=1)''',
    "comprehension": '''\
def assign(X, C):
    C = np.asarray(C, dtype=float)
    return np.array([((C - x) ** 2).sum(axis=1).argmin() for x in np.asarray(X, float)])''',
}
#: (name, pairwise style, assign style) of each submission in the class.
CLASS = [
    ("vectorised", "broadcast", "own_helper"),
    ("expansion", "expansion", "broadcast"),
    ("loop_over_k", "loop_over_k", "own_helper"),
    ("slow_loops", "loop_over_samples", "comprehension"),
    ("wrong_helper", "wrong", "own_helper"),
]


def write_class(folder, copies, limit=None):
    """One notebook per (submission, copy) in ``folder``; returns their paths."""
    paths = []
    for copy in range(copies):
        for name, pairwise, assign in CLASS[:limit]:
            nb = nbformat.v4.new_notebook(cells=[
                nbformat.v4.new_code_cell(source) for source in
                (SETUP, PAIRWISE[pairwise], ASSIGN[assign])])
            path = Path(folder) / f"{name}_{copy + 1}.ipynb"
            nbformat.write(nb, path)
            paths.append(path)
    return paths


def spin(stop):
    """A CPU-bound neighbour: count until told to stop."""
    count = 0
    while not stop.is_set():
        count += 1


def points(grades):
    """{submission: {exercise: score}} of a list of SubmissionGrade."""
    return {grade.submission: {name: e.points for name, e in grade.exercises.items()}
            for grade in grades}


def run(paths, jobs, key):
    from kmeans_lessons.grading.autograde import grade_submissions

    started = time.perf_counter()
    grades = grade_submissions(paths, jobs=jobs, lesson="02_distances", key=key,
                               progress=False, timeout=60)
    return points(grades), time.perf_counter() - started, grades


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--busy-jobs", type=int, default=4)
    parser.add_argument("--hogs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    key = b"bench-fairness-key"
    with tempfile.TemporaryDirectory(prefix="bench-fairness-") as folder:
        paths = write_class(folder, args.copies, args.limit)
        print(f"{len(paths)} submissions of lesson 02, graded twice with the same key")
        quiet, quiet_seconds, grades = run(paths, 1, key)
        stop = multiprocessing.Event()
        hogs = [multiprocessing.Process(target=spin, args=(stop,), daemon=True)
                for _ in range(args.hogs)]
        for hog in hogs:
            hog.start()
        try:
            busy, busy_seconds, _ = run(paths, args.busy_jobs, key)
        finally:
            stop.set()
            for hog in hogs:
                hog.join(10)
    exercises = ["pairwise_sq_dists", "assign"]
    print(f"\n{'submission':<16}" + "".join(f"{e + ' quiet':>24}{e + ' busy':>23}"
                                             for e in exercises))
    differ = []
    for submission in sorted(quiet):
        row = f"{submission:<16}"
        for exercise in exercises:
            a = quiet[submission].get(exercise)
            b = busy.get(submission, {}).get(exercise)
            row += f"{_fmt(a):>24}{_fmt(b):>23}"
            if a != b:
                differ.append((submission, exercise, a, b))
        print(row)
    print(f"\nquiet: --jobs 1, {quiet_seconds:.1f} s; busy: --jobs {args.busy_jobs} beside "
          f"{args.hogs} CPU-bound processes, {busy_seconds:.1f} s "
          f"(ratio busy/quiet {busy_seconds / quiet_seconds:.2f})")
    for grade in grades:
        if grade.status != "graded":
            print(f"note: {grade.submission} was {grade.status}: {grade.message}")
    if differ:
        print(f"points DIFFER in {len(differ)} places: "
              + "; ".join(f"{s} {e}: {a} vs {b}" for s, e, a, b in differ))
        return 1
    print("points identical: yes (every exercise of every submission)")
    return 0


def _fmt(value):
    return "-" if value is None else f"{value:g}"


if __name__ == "__main__":
    sys.exit(main())
