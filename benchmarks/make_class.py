"""Generate a class of synthetic submissions for one lesson and time grading them.

    python benchmarks/make_class.py --n 30 --out /tmp/class             # only generate
    python benchmarks/make_class.py --n 30 --out /tmp/class --jobs 1 2  # generate, then grade
                                                                         # once per --jobs value

Submissions start from the lesson's solution notebook (``notebooks/<lesson>.ipynb``; a small
built-in lesson 02 when the notebooks are not there yet) with solutions kept as a student would
write them. Most students are right; the rest leave one exercise unsolved (the released stub),
make a plausible mistake in one, or (one each) hand in a notebook that loops forever at the end
or a file that is not a notebook. The mix is fixed by ``--seed``, so two runs grade the same
class. Timing uses :func:`kmeans_lessons.grading.autograde.grade` with its progress bar, as the
``kmeans-lessons grade`` command does.
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from kmeans_lessons.grading.release import solution_regions, stub_line

ROOT = Path(__file__).resolve().parents[1]

BUILTIN_LESSON = [
    ("markdown", "# Distances\nSquared distances from every sample to every centre."),
    ("code", "import numpy as np\nfrom kmeans_lessons import check"),
    ("code", "def pairwise_sq_dists(X, C):\n    ### BEGIN SOLUTION\n"
             "    X_sq = (X ** 2).sum(axis=1, keepdims=True)\n"
             "    C_sq = (C ** 2).sum(axis=1)\n"
             "    return np.maximum(X_sq + C_sq - 2 * X @ C.T, 0)\n"
             "    ### END SOLUTION\n\ncheck(pairwise_sq_dists)"),
    ("code", "def assign(X, C):\n    ### BEGIN SOLUTION\n"
             "    return pairwise_sq_dists(X, C).argmin(axis=1)\n"
             "    ### END SOLUTION\n\ncheck(assign)"),
    ("code", "rng = np.random.default_rng(0)\nX = rng.normal(size=(500, 2))\n"
             "labels = assign(X, X[:3])\nnp.bincount(labels)"),
]

# Plausible mistakes, as replacement bodies of a solution region (one line each).
MISTAKES = {
    "pairwise_sq_dists": [
        "return np.sqrt(((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2))",  # not squared
        "return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=1)",  # wrong axis
    ],
    "assign": [
        "return pairwise_sq_dists(X, C).argmax(axis=1)",  # farthest instead of nearest
        "return pairwise_sq_dists(X, C).argmin(axis=0)",  # wrong axis
    ],
}
GENERIC_MISTAKE = "return None"


def solution_notebook(lesson):
    path = ROOT / "notebooks" / f"{lesson}.ipynb"
    if path.exists():
        return nbformat.read(path, as_version=4)
    if lesson != "02_distances":
        raise SystemExit(f"{path} does not exist; only 02_distances has a built-in version.")
    cells = [nbformat.v4.new_markdown_cell(text) if kind == "markdown"
             else nbformat.v4.new_code_cell(text) for kind, text in BUILTIN_LESSON]
    return nbformat.v4.new_notebook(cells=cells)


def exercises_of(nb):
    names = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            names += [name for *_, name in solution_regions(cell.source) if name]
    return names


def replace_solution(nb, exercise, body):
    """Replace the solution of ``exercise`` by ``body`` (one line, indented like the marker)."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        regions = [r for r in solution_regions(cell.source) if r[3] == exercise]
        if regions:
            lines = cell.source.split("\n")
            begin, end, indent, _ = regions[0]
            lines[begin:end + 1] = [indent + body]
            cell.source = "\n".join(lines)
            return


def as_handed_in(nb):
    """What a student's file looks like: no markers, no outputs from our run."""
    handed_in = nbformat.reads(nbformat.writes(nb), as_version=4)
    for cell in handed_in.cells:
        if cell.cell_type == "code":
            lines = [line for line in cell.source.split("\n")
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line]
            cell.source = "\n".join(lines)
            cell.outputs, cell.execution_count = [], None
    return handed_in


def make_class(n, out, lesson="02_distances", seed=0):
    """Write ``n`` submissions into ``out``; return {name: what was done to it}."""
    rng = random.Random(seed)
    solution = solution_notebook(lesson)
    exercises = exercises_of(solution)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plan = {}
    for number in range(n):
        name = f"student_{number + 1:02d}"
        nb = nbformat.reads(nbformat.writes(solution), as_version=4)
        roll = rng.random()
        if number == n - 1 and n >= 10:
            (out / f"{name}.ipynb").write_text("I could not upload my notebook, sorry!\n")
            plan[name] = "not a notebook"
            continue
        if number == n - 2 and n >= 10:
            nb.cells.append(nbformat.v4.new_code_cell("while True:\n    pass"))
            plan[name] = "correct, then an endless loop"
        elif roll < 0.6 or not exercises:
            plan[name] = "correct"
        elif roll < 0.8:
            exercise = rng.choice(exercises)
            replace_solution(nb, exercise, stub_line(exercise))
            plan[name] = f"{exercise} unsolved"
        else:
            exercise = rng.choice(exercises)
            replace_solution(nb, exercise, rng.choice(MISTAKES.get(exercise, [GENERIC_MISTAKE])))
            plan[name] = f"{exercise} wrong"
        nbformat.write(as_handed_in(nb), out / f"{name}.ipynb")
    return plan


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="number of students (default 30)")
    parser.add_argument("--out", help="folder for the submissions (default: a temporary one)")
    parser.add_argument("--lesson", default="02_distances")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, nargs="*", default=[],
                        help="grade once per value of --jobs and print the time")
    parser.add_argument("--timeout", type=float, default=20.0,
                        help="--timeout for grading (default 20 s)")
    args = parser.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="kmeans-lessons-class-"))
    plan = make_class(args.n, out / "submissions", args.lesson, args.seed)
    print(f"wrote {len(plan)} submissions for {args.lesson} into {out / 'submissions'}")
    for name, what in plan.items():
        print(f"  {name}: {what}")
    if not args.jobs:
        return 0
    from kmeans_lessons.grading.autograde import grade

    for jobs in args.jobs:
        start = time.perf_counter()
        grades = grade([out / "submissions"], out / f"grades-jobs{jobs}.csv",
                       feedback=out / f"feedback-jobs{jobs}", timeout=args.timeout, jobs=jobs,
                       key=b"benchmark key")
        seconds = time.perf_counter() - start
        statuses = {}
        for g in grades:
            statuses[g.status] = statuses.get(g.status, 0) + 1
        print(f"--jobs {jobs}: graded {len(grades)} submissions in {seconds:.1f} s "
              f"({seconds / len(grades):.2f} s each; {statuses})")
    first, *rest = [out / f"grades-jobs{jobs}.csv" for jobs in args.jobs]
    for other in rest:
        same = first.read_bytes() == other.read_bytes()
        print(f"{first.name} and {other.name} are {'identical' if same else 'DIFFERENT'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
