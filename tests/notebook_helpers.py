"""Shared helpers for the notebook tests: finding the lessons, reading their cells, and running
the released (student) version of each lesson once per test session.

Used by test_notebook_lint.py, test_released_notebooks.py and test_browser.py. Nothing here is a
test; the functions are small so that a failing assertion points at one rule.

Running a released lesson is the slow part (10-60 s each), so :func:`released_run` caches its
result for the whole pytest session: the lint test that reads figure titles and the tests of the
released notebooks share one execution per notebook.
"""

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"

#: Seconds any one cell of a released lesson may take (the MNIST lesson's longest cell is the
#: slowest; a hung widget or an endless loop fails after this instead of blocking CI).
CELL_TIMEOUT = 180

#: Notebooks that need the real MNIST files (KMEANS_LESSONS_DATA) to run as committed.
NEEDS_MNIST = {"05_mnist"}

#: Output MIME type of an ipywidgets view (the stepper).
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


# --- finding and reading the lessons ---------------------------------------------------------


def lesson_paths():
    """Every notebook under notebooks/, sorted (JupyterLab's checkpoint copies excluded)."""
    return sorted(path for path in NOTEBOOKS.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in path.parts)


def lesson_params():
    """``(argvalues, ids)`` for ``pytest.mark.parametrize`` over the lessons that exist now."""
    paths = lesson_paths()
    return paths, [path.stem for path in paths]


def read(path):
    """The notebook at ``path`` as an nbformat v4 node."""
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    """``(index, cell)`` for every code cell, index counting all cells from 0."""
    return [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]


def where(path, index):
    """How a message names one cell: ``02_distances.ipynb cell 7``."""
    return f"{Path(path).name} cell {index}"


def first_line(cell):
    return cell.source.split("\n", 1)[0]


def output_text(output):
    """All human-readable text of one output: stream text, text/plain, text/html, tracebacks."""
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join([output.get("ename", ""), output.get("evalue", "")]
                         + list(output.get("traceback", [])))
    data = output.get("data", {})
    return "\n".join(str(data[key]) for key in ("text/plain", "text/html", "text/markdown")
                     if key in data)


def count_outputs(nb, mime):
    """How many outputs of the notebook carry ``mime`` (e.g. ``image/png``)."""
    return sum(mime in output.get("data", {})
               for _, cell in code_cells(nb) for output in cell.get("outputs", []))


def is_progress_bar(text):
    """True for tqdm's text progress bar (it writes to stderr by design)."""
    lines = [line for line in re.split(r"[\r\n]+", text) if line.strip()]
    return bool(lines) and all(re.search(r"\d+%\|.*\|", line) for line in lines)


def error_or_warning(output):
    """What is wrong with a cell output that a student should never see, or None: an error, or
    text on stderr (a warning, usually) other than a progress bar."""
    if output.output_type == "error":
        return f"raised {output.ename}: {output.evalue}"
    text = output_text(output)
    if output.get("name") == "stderr" and not is_progress_bar(text):
        return f"wrote to stderr (a warning?): {text.strip()[:300]}"
    return None


# --- nbval markers ----------------------------------------------------------------------------

#: Cell tags nbval understands, and the comment spelling of each.
NBVAL_TAGS = {
    "nbval-ignore-output": "NBVAL_IGNORE_OUTPUT",
    "nbval-check-output": "NBVAL_CHECK_OUTPUT",
    "nbval-skip": "NBVAL_SKIP",
    "raises-exception": "NBVAL_RAISES_EXCEPTION",
}


def nbval_tags(cell):
    """The nbval tags in a cell's metadata."""
    return [tag for tag in cell.metadata.get("tags", []) if tag in NBVAL_TAGS]


def nbval_comments(cell):
    """The NBVAL_* markers written as comments anywhere in a cell."""
    return re.findall(r"#\s*(NBVAL_[A-Z_]+)", cell.source)


# --- running the released version -------------------------------------------------------------

# Runs first, in the kernel, before the lesson's own cells. It records every figure matplotlib
# draws (inline plots and the stepper's Agg figure alike): its suptitle and super-labels, and for
# every Axes its title, labels and which axes share its x / y axis. Names start with _kl_ so they
# cannot clash with a lesson's own variables.
_RECORD_FIGURES = r'''
import json as _kl_json
from IPython import get_ipython as _kl_get_ipython
import matplotlib.figure as _kl_mpl_figure

_kl_state = {"count": 0, "figures": {}}

def _kl_pre_run_cell(info=None):
    # counts the cells run after this one: the n-th is the lesson's n-th non-empty code cell
    _kl_state["count"] += 1

_kl_get_ipython().events.register("pre_run_cell", _kl_pre_run_cell)

def _kl_text(artist):
    return artist.get_text().strip() if artist is not None else ""

def _kl_describe(fig):
    axes = list(fig.axes)
    def siblings(group, ax):
        return sorted(axes.index(a) for a in group.get_siblings(ax) if a in axes)
    return {
        "suptitle": fig.get_suptitle().strip(),
        "supxlabel": fig.get_supxlabel().strip(),
        "supylabel": fig.get_supylabel().strip(),
        "axes": [{
            "title": " ".join(ax.get_title(loc).strip() for loc in ("left", "center", "right")).strip(),
            "xlabel": ax.get_xlabel().strip(),
            "ylabel": ax.get_ylabel().strip(),
            "visible": bool(ax.get_visible()),
            "axis_on": bool(ax.axison),
            "has_data": bool(ax.has_data() or ax.images or ax.collections or ax.patches),
            "colorbar": hasattr(ax, "_colorbar"),
            "position": [round(v, 3) for v in ax.get_position().bounds],
            "share_x": siblings(ax.get_shared_x_axes(), ax),
            "share_y": siblings(ax.get_shared_y_axes(), ax),
        } for ax in axes],
    }

_kl_figure_draw = _kl_mpl_figure.Figure.draw

def _kl_recording_draw(self, renderer):
    result = _kl_figure_draw(self, renderer)
    try:
        _kl_state["figures"][(_kl_state["count"], id(self))] = _kl_describe(self)
    except Exception as error:  # a recording problem must be reported, not hidden
        _kl_state["figures"][(_kl_state["count"], id(self))] = {"error": repr(error)}
    return result

_kl_mpl_figure.Figure.draw = _kl_recording_draw
'''

_REPORT_FIGURES = r'''
print(_kl_json.dumps([dict(record, run_number=count)
                      for (count, _), record in _kl_state["figures"].items()]))
'''


@dataclass
class ReleasedRun:
    """The released version of one lesson after running it top to bottom.

    path : the solution notebook; released : the executed student notebook (the lesson's cells
    only, in order); figures : one dict per figure drawn (see _RECORD_FIGURES) with ``cell``, the
    index of the lesson cell that drew it; seconds : wall time of the run; problem : why the run
    stopped early (a timeout or a dead kernel), or None.
    """

    path: Path
    released: object = None
    figures: list = field(default_factory=list)
    seconds: float = 0.0
    problem: str = None


_RUNS = {}


def mnist_skip_reason(path):
    """Why ``path`` cannot run here (it needs MNIST and the files are missing), else None."""
    if Path(path).stem not in NEEDS_MNIST:
        return None
    from kmeans_lessons.datasets import mnist_available

    if not os.environ.get("KMEANS_LESSONS_DATA"):
        return (f"{Path(path).name} needs the MNIST files: KMEANS_LESSONS_DATA is not set (point "
                f"it at a folder holding mnist/, e.g. ../shared/datasets as .ci/run does)")
    if not mnist_available():
        return (f"{Path(path).name} needs the MNIST files, which are not in "
                f"$KMEANS_LESSONS_DATA/mnist ({os.environ['KMEANS_LESSONS_DATA']})")
    return None


def released_run_or_skip(path):
    """The released run of ``path`` (see released_run), which must reach the end; skips the test
    with the reason when the lesson cannot run here (MNIST missing)."""
    import pytest

    reason = mnist_skip_reason(path)
    if reason:
        pytest.skip(reason)
    run = released_run(path)
    assert run.problem is None, f"released {path.name} did not run to the end: {run.problem}"
    return run


def released_run(path):
    """Release ``path`` and run the student version once per session (cached).

    The student notebook is written by :func:`kmeans_lessons.grading.release.release_file`, run
    with nbclient in a fresh kernel (this interpreter's, like nbval's --nbval-current-env) from an
    empty temporary folder, with :data:`CELL_TIMEOUT` per cell. Errors do not stop the run: they
    stay in the outputs for the tests to report. The executed notebook is also saved under
    test-artifacts/released/ for inspection.
    """
    path = Path(path)
    if path not in _RUNS:
        _RUNS[path] = _run_released(path)
    return _RUNS[path]


def _run_released(path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from kmeans_lessons.grading.release import release_file

    run = ReleasedRun(path)
    workdir = Path(tempfile.mkdtemp(prefix=f"released-{path.stem}-"))
    try:
        student = release_file(path, workdir / path.name)
        nb = read(student)
        nb.cells.insert(0, nbformat.v4.new_code_cell(_RECORD_FIGURES))
        nb.cells.append(nbformat.v4.new_code_cell(_REPORT_FIGURES))
        client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                                allow_errors=True, record_timing=False,
                                resources={"metadata": {"path": str(workdir)}})
        start = time.perf_counter()
        try:
            client.execute()
        except (CellTimeoutError, DeadKernelError) as error:
            run.problem = f"{type(error).__name__}: {str(error).strip()[:500]}"
        run.seconds = time.perf_counter() - start
        hook, report = nb.cells[0], nb.cells[-1]
        nb.cells = nb.cells[1:-1]
        run.released = nb
        run.problem = run.problem or _hook_problem(hook, "recording hook")
        run.figures = _figures_by_cell(nb, report)
        _save_artifact(nb, path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return run


def _hook_problem(cell, what):
    errors = [output for output in cell.get("outputs", []) if output.output_type == "error"]
    if errors:
        return f"the test's {what} failed: {output_text(errors[0])[:500]}"
    return None


def _figures_by_cell(nb, report):
    """The recorded figures, each tagged with the index of the lesson cell that drew it."""
    streams = [o.get("text", "") for o in report.get("outputs", []) if o.get("name") == "stdout"]
    if not streams:
        return []
    # nbclient runs every code cell except empty ones, in order
    run_cells = [index for index, cell in code_cells(nb) if cell.source.strip()]
    figures = json.loads("".join(streams))
    for figure in figures:
        number = figure.pop("run_number")
        figure["cell"] = run_cells[number - 1] if 1 <= number <= len(run_cells) else None
    return figures


def _save_artifact(nb, path):
    folder = ARTIFACTS / "released"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / path.name)


# --- figure rules -----------------------------------------------------------------------------


def figure_problems(figure):
    """What a recorded figure lacks: a title, or a label on an axis that shows a scale.

    A figure is titled by its suptitle, or by a title on every panel. Every panel with visible
    axes needs an x and a y label; a label on another panel that shares that axis, or the
    figure's supxlabel / supylabel, counts (shared axes are usually labelled once, on the outer
    panels). Colour bars, hidden panels and panels with the axes switched off (pictures such as
    digit images) need no axis labels.
    """
    if "error" in figure:
        return [f"could not be inspected: {figure['error']}"]
    axes = figure["axes"]
    panels = [i for i, ax in enumerate(axes)
              if ax["visible"] and not ax["colorbar"] and (ax["has_data"] or ax["axis_on"])]
    problems = []
    if not figure["suptitle"]:
        # a twin (twinx / twiny) sits exactly on its panel: one title serves both
        titled = {tuple(ax["position"]) for ax in axes if ax["title"]}
        untitled = [i for i in panels if tuple(axes[i]["position"]) not in titled]
        if untitled:
            problems.append(f"no suptitle and panel(s) {untitled} of {len(panels)} have no title")
    for i in panels:
        ax = axes[i]
        if not ax["axis_on"]:
            continue
        for axis in ("x", "y"):
            own = ax[f"{axis}label"]
            shared = any(axes[j][f"{axis}label"] for j in ax[f"share_{axis}"])
            if not (own or shared or figure[f"sup{axis}label"]):
                problems.append(f"panel {i} ({ax['title'] or 'untitled'!r}) has no {axis} label")
    return problems
