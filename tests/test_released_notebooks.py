"""The student version of every lesson runs top to bottom as a student first sees it.

Each lesson in notebooks/ is released (solutions replaced by ``raise NotImplementedError``) and
executed once in a fresh kernel (see notebook_helpers.released_run). A student who opens it and
chooses "Run All" must get: no error anywhere, every exercise reported as *pending* by ``check``,
and every plot of the lesson still drawn, because later cells use the package's reference
functions rather than the student's unfinished ones.
"""

import re

import pytest

import notebook_helpers as nh
from kmeans_lessons.grading.release import exercises_in_notebook

PATHS, IDS = nh.lesson_params()

#: check's headline for a stub, as CheckResult.headline() writes it: "… NAME: not attempted yet".
PENDING = "not attempted yet"


def pending_headline(name):
    return re.compile(rf"^… {re.escape(name)}: {PENDING} \(0/\d+ points\)", re.MULTILINE)


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_released_lesson_runs_top_to_bottom_without_errors(path):
    run = nh.released_run_or_skip(path)
    problems = []
    for index, cell in nh.code_cells(run.released):
        if cell.source.strip() and cell.execution_count is None:
            problems.append(f"{nh.where(path, index)} was never run")
        problems += [f"{nh.where(path, index)} {problem}" for problem in
                     map(nh.error_or_warning, cell.outputs) if problem]
    assert not problems, f"released {path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_exercise_is_reported_pending_by_check(path):
    run = nh.released_run_or_skip(path)
    names = exercises_in_notebook(nh.read(path), str(path))
    assert names, f"{path.name} has no exercise (no ### BEGIN SOLUTION inside a function)"
    for name in names:
        stub = f'raise NotImplementedError("Exercise {name}:'
        cells = [(i, c) for i, c in nh.code_cells(run.released) if stub in c.source]
        assert len(cells) == 1, f"released {path.name}: expected one stub of {name}, found {len(cells)}"
        index, cell = cells[0]
        texts = [o.data.get("text/plain", "") for o in cell.outputs
                 if o.output_type in ("execute_result", "display_data")]
        assert any(pending_headline(name).search(text) for text in texts), (
            f"released {nh.where(path, index)}: check({name}) should say '… {name}: {PENDING}';"
            f" the cell showed {texts or 'nothing'}")
        html = [o.data.get("text/html", "") for o in cell.outputs if "data" in o]
        assert any("kmeans-lessons-check" in h and PENDING in h for h in html), (
            f"released {nh.where(path, index)}: check's coloured block (text/html) is missing")
    shown = sum(PENDING in nh.output_text(o)
                for _, cell in nh.code_cells(run.released) for o in cell.outputs
                if o.output_type == "execute_result")
    assert shown == len(names), (
        f"released {path.name}: {shown} pending reports for {len(names)} exercises {names}")


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_released_lesson_still_draws_every_plot(path):
    run = nh.released_run_or_skip(path)
    solution = nh.read(path)
    for mime, what in (("image/png", "plots"), (nh.WIDGET_MIME, "widgets")):
        expected, got = nh.count_outputs(solution, mime), nh.count_outputs(run.released, mime)
        assert got == expected, (
            f"released {path.name} shows {got} {what} ({mime}), the solution notebook {expected}: "
            f"a cell after an exercise probably calls the student's function instead of the "
            f"package's reference")
    assert run.figures or not nh.count_outputs(solution, "image/png"), (
        "the figure recorder saw no figure although the lesson has plots")
