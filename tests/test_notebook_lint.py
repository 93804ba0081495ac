"""House rules for the lesson notebooks, checked on the committed (solution) notebooks.

Coverage: every notebook is run by nbval in strict mode, and the notebooks and the grading
registry agree. Shape: learning goals first, a summary with things to try at the end, cells of at
most MAX_LINES lines, code cells run once each in order. Hygiene: no absolute paths, no leftover
debugging output or stray reprs, nbval markers that give their reason. Exercises: one per cell,
followed by ``check`` in the same cell. Figures: every figure drawn has a title and labelled axes,
read from the figure objects while the released lesson runs (see notebook_helpers).
"""

import ast
import io
import os
import re
import subprocess
import sys
import tokenize

import pytest

import notebook_helpers as nh
from kmeans_lessons.grading import EXERCISES
from kmeans_lessons.grading.release import exercises_in_notebook, solution_regions

PATHS, IDS = nh.lesson_paths(), [p.stem for p in nh.lesson_paths()]
per_lesson = pytest.mark.parametrize("path", PATHS, ids=IDS)

#: Longest cell, in lines of source (/tmp/notebooks.md: code cells never more than 25 lines).
MAX_LINES = 25
#: The "Try this" list asks for 3-5 concrete experiments.
TRY_THIS_ITEMS = range(3, 6)


# --- coverage ---------------------------------------------------------------------------------


def test_lessons_exist():
    assert PATHS, "notebooks/ holds no lesson notebook"


def test_every_notebook_in_the_repository_is_under_notebooks():
    # nbval only runs what testpaths reaches; a notebook elsewhere would never be tested.
    skip = {".git", ".venv", "release", "build", "dist", "test-artifacts", ".ipynb_checkpoints",
            "node_modules"}
    stray = []
    for folder, subfolders, files in os.walk(nh.ROOT):
        subfolders[:] = [d for d in subfolders if d not in skip and not d.startswith(".")]
        stray += [os.path.join(folder, f) for f in files if f.endswith(".ipynb")]
    stray = [p for p in stray if not p.startswith(str(nh.NOTEBOOKS) + os.sep)]
    assert not stray, f"notebooks outside notebooks/ are not run by nbval: {stray}"


def test_make_test_runs_nbval_strictly_over_the_notebooks():
    makefile = (nh.ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"--nbval(\s|$)", recipe) and "--nbval-lax" not in recipe, recipe
    assert "--nbval-sanitize-with tests/nbval_sanitize.cfg" in recipe, recipe
    pyproject = (nh.ROOT / "pyproject.toml").read_text(encoding="utf-8")
    testpaths = re.search(r"testpaths\s*=\s*\[([^\]]*)\]", pyproject)
    assert testpaths and '"notebooks"' in testpaths.group(1), "testpaths must include notebooks"


def _collected_by_this_session(request):
    """nbval items of this run, when it is a full `make test` run; None otherwise."""
    config = request.config
    full_run = getattr(config, "args_source", None) == type(config).ArgsSource.TESTPATHS
    if not (full_run and config.getoption("nbval", default=False)):
        return None
    found = {}
    for item in request.session.items:
        if type(item).__name__ == "IPyNbCell":
            found.setdefault(item.path.resolve(), []).append(item)
    return {path: len(items) for path, items in found.items()}


def _collected_by_a_fresh_pytest():
    """Ask pytest, as `make test` calls it, which notebook cells it collects under testpaths."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "--nbval",
               "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
               "--ignore=tests", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=nh.ROOT, capture_output=True, text=True, timeout=120)
    found = {}
    for line in done.stdout.splitlines():
        if ".ipynb::" in line:
            path = (nh.ROOT / line.split("::", 1)[0]).resolve()
            found[path] = found.get(path, 0) + 1
    assert found or not nh.lesson_paths(), f"collection failed:\n{done.stdout}\n{done.stderr}"
    return found


def test_every_notebook_is_collected_by_nbval_cell_by_cell(request):
    collected = _collected_by_this_session(request)
    if collected is None:
        collected = _collected_by_a_fresh_pytest()
    for path in nh.lesson_paths():
        n_code = len(nh.code_cells(nh.read(path)))
        assert collected.get(path.resolve()) == n_code, (
            f"{path.name}: nbval collected {collected.get(path.resolve(), 0)} cells, the notebook "
            f"has {n_code} code cells")


REGISTERED = sorted({exercise.notebook for exercise in EXERCISES.values()})


@pytest.mark.parametrize("lesson", REGISTERED)
def test_every_lesson_of_the_grading_registry_has_its_notebook(lesson):
    names = [n for n, e in EXERCISES.items() if e.notebook == lesson]
    assert (nh.NOTEBOOKS / f"{lesson}.ipynb").exists(), (
        f"the grading registry has exercises {names} in {lesson}, but notebooks/{lesson}.ipynb "
        f"does not exist")


@per_lesson
def test_notebook_exercises_match_the_grading_registry(path):
    expected = [n for n, e in EXERCISES.items() if e.notebook == path.stem]
    assert expected, f"{path.name} is not a lesson of the grading registry (EXERCISES)"
    found = exercises_in_notebook(nh.read(path), str(path))
    assert found == expected, (
        f"{path.name} solves {found}; the registry lists {expected} for it, in that order")


# --- shape ------------------------------------------------------------------------------------


def _bullets(text):
    return re.findall(r"^\s*(?:[-*+]|\d+[.)])\s+\S", text, re.MULTILINE)


@per_lesson
def test_first_cell_is_the_title_with_learning_goals(path):
    first = nh.read(path).cells[0]
    assert first.cell_type == "markdown", f"{path.name}: the first cell should be markdown"
    assert re.match(r"#\s+\S", first.source), f"{path.name}: the first cell should start with a # title"
    goals = re.split(r"learning goals", first.source, flags=re.IGNORECASE)
    assert len(goals) == 2, f"{path.name}: the first cell has no 'Learning goals'"
    assert len(_bullets(goals[1])) >= 2, f"{path.name}: list the learning goals as bullets"


@per_lesson
def test_notebook_ends_with_a_summary_and_things_to_try(path):
    cells = nh.read(path).cells
    last_code = max((i for i, c in enumerate(cells) if c.cell_type == "code"), default=-1)
    tail = "\n\n".join(c.source for c in cells[last_code + 1:] if c.cell_type == "markdown")
    assert cells[-1].cell_type == "markdown", f"{path.name}: the last cell should be markdown"
    summary = re.search(r"^#+\s*Summary\b(.*)", tail, re.MULTILINE | re.DOTALL)
    assert summary, f"{path.name}: no '## Summary' after the last code cell"
    try_this = re.search(r"^#+\s*Try this\b(.*)", summary.group(1), re.MULTILINE | re.DOTALL)
    assert try_this, f"{path.name}: no '## Try this' after the summary"
    items = re.findall(r"^\s*(?:[-*+]|\d+[.)])\s+\S", try_this.group(1), re.MULTILINE)
    assert len(items) in TRY_THIS_ITEMS, f"{path.name}: 'Try this' has {len(items)} prompts"


@per_lesson
def test_no_cell_is_longer_than_the_limit(path):
    long = [f"cell {i} ({c.cell_type}, {len(c.source.splitlines())} lines)"
            for i, c in enumerate(nh.read(path).cells) if len(c.source.splitlines()) > MAX_LINES]
    assert not long, f"{path.name}: cells over {MAX_LINES} lines, split them: {long}"


@per_lesson
def test_code_cells_were_run_once_each_in_order(path):
    cells = nh.code_cells(nh.read(path))
    counts = [cell.execution_count for _, cell in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts}; re-run the notebook top to bottom in a fresh "
        f"kernel")
    for index, cell in cells:
        for output in cell.outputs:
            if output.output_type == "execute_result":
                assert output.execution_count == cell.execution_count, nh.where(path, index)


# --- hygiene ----------------------------------------------------------------------------------

# A path that only exists on the author's machine: a system folder or a drive letter.
MACHINE_PATH = re.compile(r"(?<![\w.~/:-])(?:/(?:home|work|tmp|root|Users|usr|opt|var|mnt|srv|"
                          r"private|etc|media|scratch)/|[A-Za-z]:\\\\?[\w.]|file://|~/)")
ABSOLUTE_LITERAL = re.compile(r"""^[rbfuRBFU]*(['"]{1,3})(?:/[\w.-]|~/|[A-Za-z]:[\\/]|\\\\)""")


def _absolute_literals(source):
    """String literals in code that start with an absolute path."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return MACHINE_PATH.findall(source)
    return [t.string for t in tokens
            if t.type == tokenize.STRING and ABSOLUTE_LITERAL.match(t.string)]


@per_lesson
def test_no_absolute_paths(path):
    problems = []
    for index, cell in enumerate(nh.read(path).cells):
        found = (_absolute_literals(cell.source) if cell.cell_type == "code" else [])
        found += MACHINE_PATH.findall(cell.source)
        found += [m for o in cell.get("outputs", []) for m in MACHINE_PATH.findall(nh.output_text(o))]
        if found:
            problems.append(f"{nh.where(path, index)}: {sorted(set(found))}")
    assert not problems, "absolute paths (load data through kmeans_lessons):\n" + "\n".join(problems)


DEBUG_CODE = re.compile(r"\bbreakpoint\(|\bpdb\b|\bipdb\b|^\s*%%?(?:debug|pdb)\b|#\s*(?:TODO|FIXME|XXX|HACK)\b"
                        r"|print\(\s*f?['\"]debug", re.IGNORECASE | re.MULTILINE)
# What a forgotten `;` or a stray last expression shows instead of (or beside) a plot.
STRAY_REPR = re.compile(r"^\[?<matplotlib\.|^\[?Text\(|^<Figure size|^\[?<Axes[:>]|"
                        r"^<IPython\.core\.display|^\[?<mpl_toolkits", re.MULTILINE)


@per_lesson
def test_no_debugging_leftovers(path):
    problems = []
    for index, cell in nh.code_cells(nh.read(path)):
        here = nh.where(path, index)
        if not cell.source.strip():
            problems.append(f"{here} is empty")
        problems += [f"{here}: {m!r}" for m in DEBUG_CODE.findall(cell.source)]
        for output in cell.outputs:
            problem = nh.error_or_warning(output)
            if problem:
                problems.append(f"{here} {problem}")
            elif output.output_type in ("execute_result", "display_data"):
                data = output.get("data", {})
                plain = data.get("text/plain", "")
                # a displayed figure carries "<Figure size ...>" beside its PNG: that one is fine
                if STRAY_REPR.search(plain) and not (output.output_type == "display_data"
                                                      and "image/png" in data):
                    problems.append(f"{here} shows a stray repr {plain[:80]!r}: end the line "
                                    f"with ; or finish the cell with plt.show()")
    assert not problems, "\n".join(problems)


@per_lesson
def test_nbval_markers_are_tags_with_a_reason(path):
    problems = []
    for index, cell in nh.code_cells(nh.read(path)):
        here = nh.where(path, index)
        tags, comments = nh.nbval_tags(cell), nh.nbval_comments(cell)
        for tag in tags:
            marker = nh.NBVAL_TAGS[tag]
            reason = re.match(rf"#\s*{marker}\s*:\s*(.*\w.*)$", nh.first_line(cell))
            if not reason or len(reason.group(1).split()) < 3:
                problems.append(f"{here}: tag {tag} needs a first line '# {marker}: <why>'")
        for marker in comments:
            if marker not in [nh.NBVAL_TAGS[t] for t in tags]:
                problems.append(f"{here}: comment {marker} without its cell tag")
        if "raises-exception" in tags and not any(o.output_type == "error" for o in cell.outputs):
            problems.append(f"{here}: tagged raises-exception but shows no error")
        widget = any(nh.WIDGET_MIME in o.get("data", {}) for o in cell.outputs)
        if widget and not {"nbval-ignore-output", "nbval-skip"} & set(tags):
            problems.append(f"{here} displays a widget: tag it nbval-ignore-output")
        timed = re.search(r"perf_counter|%%?timeit|%%?time\b|time\.time\(", cell.source)
        texty = any(o.output_type == "stream" or "text/plain" in o.get("data", {})
                    for o in cell.outputs if "image/png" not in o.get("data", {}))
        if timed and texty and not {"nbval-ignore-output", "nbval-skip"} & set(tags):
            problems.append(f"{here} prints timings: tag it nbval-ignore-output")
    assert not problems, "\n".join(problems)


# --- exercises --------------------------------------------------------------------------------


def _last_statement_checks(source, name):
    """True if the cell's last statement is the expression ``check(name, ...)``."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    if not body or not isinstance(body[-1], ast.Expr):
        return False
    call = body[-1].value
    return (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id == "check" and bool(call.args)
            and isinstance(call.args[0], ast.Name) and call.args[0].id == name)


@per_lesson
def test_every_exercise_is_followed_by_check_in_the_same_cell(path):
    problems = []
    for index, cell in nh.code_cells(nh.read(path)):
        here = nh.where(path, index)
        names = {exercise for *_, exercise in solution_regions(cell.source, here)}
        if not names:
            continue
        if None in names or len(names) != 1:
            problems.append(f"{here}: one exercise per cell, each solution inside its function "
                            f"(found {sorted(map(str, names))})")
            continue
        (name,) = names
        if not _last_statement_checks(cell.source, name):
            problems.append(f"{here}: end the cell with check({name})")
        shown = [o.data.get("text/plain", "") for o in cell.outputs
                 if o.output_type == "execute_result"]
        if not any(t.startswith(f"✓ {name}: passed") for t in shown):
            problems.append(f"{here}: the stored check({name}) output does not say passed: {shown}")
    assert not problems, "\n".join(problems)


# --- figures ----------------------------------------------------------------------------------


@per_lesson
def test_every_figure_has_a_title_and_labelled_axes(path):
    run = nh.released_run_or_skip(path)
    problems = [f"{nh.where(path, figure['cell'])}: {problem}"
                for figure in run.figures for problem in nh.figure_problems(figure)]
    drawn = {figure["cell"] for figure in run.figures}
    for index, cell in nh.code_cells(run.released):
        images = sum("image/png" in o.get("data", {}) for o in cell.outputs)
        if images and index not in drawn:
            problems.append(f"{nh.where(path, index)} shows {images} image(s) not drawn by "
                            f"matplotlib, so their titles cannot be checked")
    assert not problems, "\n".join(problems)
