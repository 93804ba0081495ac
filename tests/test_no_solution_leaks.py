"""`kmeans-lessons release` never lets a solution line through (the reason otter is not needed).

otter assign, run on these notebooks, exits 0 and keeps every solution in its student folder
(README, "otter"); the release command is the supported way, and these tests pin that its output
holds no line of any solution region, of every shipped lesson and of random notebooks.
"""

import re
from pathlib import Path

import nbformat
from hypothesis import given, settings
from hypothesis import strategies as st

from kmeans_lessons.cli import main
from kmeans_lessons.grading.release import release_notebook, solution_regions

ROOT = Path(__file__).resolve().parents[1]
MARKERS = re.compile(r"#+\s*(BEGIN|END)\s+(SOLUTION|HIDDEN TESTS)")


def lines_inside_and_outside(nb):
    """(lines inside solution regions, lines anywhere else), stripped, blank lines left out."""
    inside, outside = set(), set()
    for cell in nb.cells:
        lines = cell.source.splitlines()
        hidden = set()
        for begin, end, _, _ in solution_regions(cell.source):
            hidden |= set(range(begin + 1, end))
        for number, line in enumerate(lines):
            if line.strip():
                (inside if number in hidden else outside).add(line.strip())
    return inside, outside


def released_lines(path):
    nb = nbformat.read(path, as_version=4)
    return {line.strip() for cell in nb.cells for line in cell.source.splitlines()}


def test_no_released_lesson_holds_a_line_of_its_solutions(tmp_path):
    sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert main(["release", str(ROOT / "notebooks"), "--out", str(tmp_path)]) == 0
    checked = 0
    for source in sources:
        inside, outside = lines_inside_and_outside(nbformat.read(source, as_version=4))
        released = released_lines(tmp_path / source.name)
        leaked = (inside - outside) & released
        assert not leaked, f"{source.name}: {sorted(leaked)[:3]}"
        assert not any(MARKERS.search(line) for line in released), source.name
        checked += len(inside - outside)
    assert checked > 50  # the lessons hold real solutions, so the check has something to find


line = st.text(st.characters(codec="ascii", categories=("L", "N", "P", "S", "Zs")),
               min_size=1, max_size=30).filter(lambda text: text.strip()
                                               and not MARKERS.search(text))


@settings(max_examples=60, deadline=None)
@given(secret=st.lists(line, min_size=1, max_size=6),
       hashes=st.sampled_from(["#", "##", "###"]),
       indent=st.sampled_from(["", "    ", "        "]))
def test_any_solution_region_is_gone_after_release(secret, hashes, indent):
    lines = [f"{indent}SECRET {text}" for text in secret]
    source = "\n".join(["def exercise(x):", f"{indent}{hashes} BEGIN SOLUTION", *lines,
                        f"{indent}{hashes} END SOLUTION", "check(exercise)"])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    released = release_notebook(nb).cells[0].source
    assert "SECRET" not in released and "BEGIN SOLUTION" not in released
