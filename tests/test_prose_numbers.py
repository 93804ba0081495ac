"""Every number quoted in a lesson's prose is a number its code or its output shows.

House rule: "every number quoted in prose must match the output". Prose that quotes a result
(0.911, 38.2 %, 1505 GB) goes stale when the data change; this test reads every number in the
markdown cells and looks for it among the numbers of the code cells (constants the lesson
chose) and of the outputs, rounded to the digits the prose gives (0.59 matches 0.589; 95.3 %
matches 0.953 or 95.3).

Checked are numbers with a decimal point or a per cent sign, and whole numbers of 100 or more.
Smaller whole numbers are mostly structure (section 8, k = 10, 2 × 2 blocks) and match anything.

Notebook 05 runs on MNIST when the files are there and on scikit-learn's 8 × 8 digits when
they are not, with the same prose. Its stored outputs are the MNIST run (nbval keeps them
current); the fallback is run here in a fresh kernel with MNIST hidden, and its prose numbers
must match that run's outputs too. Numbers that depend on the data therefore have to be printed
by the code, not written into the prose.
"""

import math
import os
import re

import nbformat
import pytest

import notebook_helpers as nh

#: Lessons whose prose is checked against their stored outputs.
CHECKED = ["04_elbow_curves", "05_mnist", "07_colour_quantisation"]

#: Numbers a lesson states as facts about the world rather than results of its code, each with
#: the reason it cannot go stale. Keep this list short: a result belongs in an output.
FACTS = {
    "05_mnist": {"70 000": "MNIST's size: 60 000 training and 10 000 test images",
                 "256": "uint8 arithmetic wraps around at 2**8 = 256"},
}

_GROUPED = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d|\.\d)"  # 60 000, 273 280
_PLAIN = r"\d+(?:\.\d+)?"
PROSE_NUMBER = re.compile(rf"(?<![\w.])({_GROUPED}|{_PLAIN})(\s?%)?")
CODE_NUMBER = re.compile(r"(?<![\w.])(\d[\d_]*(?:\.\d+)?(?:[eE][-+]?\d+)?)")


def prose_numbers(nb):
    """``(cell index, text, value, decimals, is_percent)`` for every checked number of the
    markdown cells."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for match in PROSE_NUMBER.finditer(cell.source):
            text = re.sub(r"[ \u00a0\u202f]", "", match.group(1))
            decimals = len(text.split(".")[1]) if "." in text else 0
            value, percent = float(text), bool(match.group(2))
            if decimals == 0 and not percent and value < 100:
                continue
            found.append((index, match.group(0).strip(), value, decimals, percent))
    return found


def shown_numbers(nb):
    """Every number in the code and in the text outputs of the notebook."""
    texts = []
    for _, cell in nh.code_cells(nb):
        texts.append(cell.source)
        texts += [nh.output_text(output) for output in cell.get("outputs", [])]
    values = set()
    for text in texts:
        for token in CODE_NUMBER.findall(text):
            try:
                values.add(float(token.replace("_", "")))
            except ValueError:
                pass
    return values


def matches(value, decimals, percent, shown):
    half = 0.5 * 10.0 ** -decimals + 1e-9
    candidates = [value, value / 100] if percent else [value]
    for candidate in candidates:
        step = half if candidate == value else half / 100
        if any(math.isclose(s, candidate, abs_tol=step) or abs(s - candidate) <= step
               for s in shown):
            return True
    return False


def unmatched(nb, lesson):
    shown, facts = shown_numbers(nb), FACTS.get(lesson, {})
    return [f"cell {index}: {text!r}" for index, text, value, decimals, percent
            in prose_numbers(nb) if text not in facts
            and not matches(value, decimals, percent, shown)]


# --- the rule itself -----------------------------------------------------------------------------


def test_a_rounded_quote_matches_and_a_stale_one_does_not():
    shown = {0.5873, 0.911, 1505.28, 18.6}
    assert matches(0.587, 3, False, shown)
    assert matches(0.59, 2, False, shown)
    assert matches(91.1, 1, True, shown)  # "91.1 %" quotes 0.911
    assert matches(18.6, 1, True, shown)  # "18.6 %" quotes 18.6%
    assert matches(1505, 0, False, shown)
    assert not matches(0.588, 3, False, shown)
    assert not matches(0.92, 2, False, shown)


def test_grouped_thousands_and_percentages_are_read_as_one_number():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "n = 273 280 pixels, 38.6 % worse, k = 10, section 8, 0.0055 per pixel, 95 % in 2 s")])
    assert [(t, v, d, p) for _, t, v, d, p in prose_numbers(nb)] == [
        ("273 280", 273280.0, 0, False), ("38.6 %", 38.6, 1, True),
        ("0.0055", 0.0055, 4, False), ("95 %", 95.0, 0, True)]


# --- the lessons ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lesson", CHECKED)
def test_prose_numbers_match_the_stored_outputs(lesson):
    path = nh.NOTEBOOKS / f"{lesson}.ipynb"
    problems = unmatched(nh.read(path), lesson)
    assert not problems, (f"{path.name}: numbers in the prose that no code or output shows "
                          f"(print them from the computed values, or fix them):\n"
                          + "\n".join(problems))


def _run_without_mnist(path, tmp_path):
    """Run the solution notebook in a fresh kernel that cannot find MNIST."""
    from nbclient import NotebookClient
    from jupyter_client.manager import KernelManager

    nb = nh.read(path)
    empty = tmp_path / "no-data"
    empty.mkdir()
    env = {"KMEANS_LESSONS_DATA": str(empty), "XDG_CACHE_HOME": str(empty)}
    manager = KernelManager(kernel_name="python3")
    client = NotebookClient(nb, km=manager, timeout=nh.CELL_TIMEOUT, allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb


def test_mnist_prose_numbers_match_the_8x8_fallback_run(tmp_path):
    path = nh.NOTEBOOKS / "05_mnist.ipynb"
    nb = _run_without_mnist(path, tmp_path)
    outputs = "\n".join(nh.output_text(o) for _, c in nh.code_cells(nb) for o in c.outputs)
    assert "continues on the 8x8 digits" in outputs, "the fallback path was not taken"
    errors = [f"cell {i}: {nh.error_or_warning(o)}" for i, c in nh.code_cells(nb)
              for o in c.outputs if o.output_type == "error"]
    assert not errors, "the 8x8 fallback run failed:\n" + "\n".join(errors)
    problems = unmatched(nb, path.stem)
    assert not problems, (f"{path.name} on the 8x8 fallback: numbers in the prose that "
                          f"this run does not show (print data-dependent numbers from the "
                          f"computed values instead of writing them):\n" + "\n".join(problems))
