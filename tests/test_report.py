"""The class report: points distribution, share who passed, mistakes by frequency."""

import base64
import re
import xml.etree.ElementTree as ET

import pytest

from kmeans_lessons.cli import main
from kmeans_lessons.grading.autograde import ExerciseGrade, SubmissionGrade
from kmeans_lessons.grading.autograde.report import (bar_chart_svg, report_html,
                                                     report_markdown, summarise_class,
                                                     write_report)
from kmeans_lessons.grading.hints import hint_text


def row(student, pairwise, assign, pairwise_mistakes=(), assign_mistakes=(), **assign_extra):
    """A lesson-02 row: points 0..10 for pairwise_sq_dists, 0..5 for assign."""
    return SubmissionGrade(student, f"{student}.ipynb", "graded", "", "02_distances", {
        "pairwise_sq_dists": ExerciseGrade("pairwise_sq_dists", pairwise, 10,
                                           passed=pairwise == 10,
                                           mistakes=list(pairwise_mistakes)),
        "assign": ExerciseGrade("assign", assign, 5, passed=assign == 5,
                                mistakes=list(assign_mistakes), **assign_extra),
    })


@pytest.fixture
def klass():
    return [
        row("ann", 10, 5),
        row("ben", 10, 0, assign_mistakes=["argmax"]),
        row("cat", 0, 0, ["swapped_xc"], ["argmax"]),
        row("dan", 3, 2.5, ["swapped_xc", "not_squared"], ["ties"]),
        row("eve", 6, 0, ["swapped_xc"], pending=True),
        row("fay", 10, 0, note="assign calls the package's reference implementation "
                               "(kmeans_lessons.assign) instead of computing the answer itself"),
        SubmissionGrade("gus", "gus.ipynb", "invalid", "the file is not a notebook"),
    ]


def test_counts_per_exercise(klass):
    pairwise, assign = summarise_class(klass)
    assert (pairwise.name, pairwise.students, pairwise.passed) == ("pairwise_sq_dists", 6, 3)
    assert pairwise.mean == pytest.approx((10 + 10 + 0 + 3 + 6 + 10) / 6)
    assert pairwise.distribution == [("0", 1), ("0–2.5", 0), ("2.5–5", 1), ("5–7.5", 1),
                                     ("7.5–10", 0), ("10 (full)", 3)]
    assert [(key, count) for key, count, _ in pairwise.mistakes] == [
        ("swapped_xc", 3), ("not_squared", 1)]  # most frequent first
    assert pairwise.mistakes[0][2] == hint_text("pairwise_sq_dists", "swapped_xc")
    assert (assign.passed, assign.pass_share) == (1, pytest.approx(1 / 6))
    assert [(key, count) for key, count, _ in assign.mistakes] == [("argmax", 2), ("ties", 1)]
    assert assign.reasons == [("calls the package's reference", 1),
                              ("not attempted (still the stub)", 1)]


def test_a_mistake_seen_twice_in_one_submission_counts_one_student():
    pairwise, _ = summarise_class([row("ann", 0, 0, ["swapped_xc", "swapped_xc"])])
    assert pairwise.mistakes[0][:2] == ("swapped_xc", 1)


def test_markdown_report(klass):
    text = report_markdown(klass)
    assert "7 submissions (6 graded, 1 invalid); lessons: 02_distances." in text
    assert "## pairwise_sq_dists (02_distances, 10 points)" in text
    assert "6 students graded; 3 passed every case (50%); mean 6.5 of 10 points." in text
    assert "| 10 (full) | 3 |" in text
    assert text.index("| `swapped_xc` | 3 |") < text.index("| `not_squared` | 1 |")
    assert text.index("| `argmax` | 2 |") < text.index("| `ties` | 1 |")
    assert "calls the package's reference: 1; not attempted (still the stub): 1." in text
    for name in ("ann", "ben", "gus"):  # students are counted, never named
        assert name not in text
    image = re.search(r"\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", text).group(1)
    ET.fromstring(base64.b64decode(image))  # a well-formed SVG


def test_html_report_is_self_contained_with_one_chart_per_exercise(klass):
    page = report_html(klass)
    assert page.count("<svg") == 2 and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "<code>swapped_xc</code></td><td>3</td>" in page


def test_bar_lengths_follow_the_counts(klass):
    pairwise, _ = summarise_class(klass)
    svg = ET.fromstring(bar_chart_svg(pairwise))
    widths = [float(r.get("width")) for r in svg.iter("{http://www.w3.org/2000/svg}rect")]
    counts = [count for _, count in pairwise.distribution]
    assert widths == pytest.approx([220 * c / max(counts) for c in counts], abs=0.1)
    assert svg.find("{http://www.w3.org/2000/svg}title").text == (
        "Points of pairwise_sq_dists (6 students)")


def test_write_report_picks_the_format_by_suffix(klass, tmp_path):
    assert write_report(klass, tmp_path / "r.md").read_text().startswith("# Class report")
    assert write_report(klass, tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError, match=r"\.md"):
        write_report(klass, tmp_path / "r.pdf")


def test_cli_refuses_a_report_format_before_grading(tmp_path, capsys):
    (tmp_path / "alice.ipynb").write_text("{}")
    assert main(["grade", str(tmp_path / "alice.ipynb"), "--out", str(tmp_path / "g.csv"),
                 "--report", str(tmp_path / "report.pdf"), "--key-file",
                 str(tmp_path / "k")]) == 2
    assert "name the file .md or .html" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()
