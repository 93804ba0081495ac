"""The class report: after a batch, which exercises went well and which mistakes the class made.

``kmeans-lessons grade submissions/ --out grades.csv --report report.html`` (or ``report.md``)
writes, for every exercise of the lessons graded:

* the distribution of its points over the students (a small bar chart and a table),
* the share of students who passed every case,
* the named mistakes (``Exercise.mistakes`` and the common ones of :mod:`..hints`) with how many
  students made each, most frequent first, with the hint the students were shown,
* how many did not attempt it, called the reference, or lost it for another reason.

Everything comes from what the grader records for each submission (:class:`.results.
SubmissionGrade`: points, passed, mistake keys, notes); nothing is re-run. The charts are inline
SVG (in Markdown, an SVG image as a data URI), so the report is one self-contained file that
opens offline. Students are counted, not named: the report can be shown to the class.
"""

import base64
import html
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .._atomic import write_text_atomically
from ..exercises import EXERCISES
from ..hints import hint_text

__all__ = ["ExerciseSummary", "summarise_class", "report_markdown", "report_html",
           "write_report", "REPORT_FORMATS"]

#: File suffix -> format of :func:`write_report`.
REPORT_FORMATS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
#: Bar colour of the charts (Okabe-Ito blue, safe for colour-blind readers).
BAR_COLOUR = "#0072B2"
#: Shares of the points that bound the bars of the distribution (0 and full have bars of their
#: own).
BIN_EDGES = (0.25, 0.5, 0.75)


@dataclass
class ExerciseSummary:
    """What the class did on one exercise.

    students : submissions graded on it; passed : those that passed every case;
    distribution : [(label, count)] bars from 0 points to full points; mistakes :
    [(key, students, hint)] most frequent first; reasons : [(reason, students)] for points
    lost without a named mistake (not attempted, calls the reference, ...); mean : mean points.
    """

    name: str
    lesson: str
    points: float
    students: int = 0
    passed: int = 0
    mean: float = 0.0
    distribution: list = field(default_factory=list)
    mistakes: list = field(default_factory=list)
    reasons: list = field(default_factory=list)

    @property
    def pass_share(self):
        return self.passed / self.students if self.students else 0.0


def _fmt(value):
    value = round(float(value), 2)
    return str(int(value)) if value == int(value) else f"{value:g}"


def _bar_labels(points):
    """Labels of the distribution's bars: 0, the ranges between BIN_EDGES, full points."""
    edges = (0.0, *BIN_EDGES, 1.0)
    middle = [f"{_fmt(low * points)}–{_fmt(high * points)}"
              for low, high in zip(edges[:-1], edges[1:])]
    return ["0", *middle, f"{_fmt(points)} (full)"]


def _bar_index(value, points):
    """The bar a score falls in (0 and full points have bars of their own)."""
    if value <= 1e-9:
        return 0
    if value >= points - 1e-9:
        return len(BIN_EDGES) + 2
    return 1 + sum(value / points >= edge for edge in BIN_EDGES)


def _distribution(values, points):
    counts = Counter(_bar_index(value, points) for value in values)
    return [(label, counts[index]) for index, label in enumerate(_bar_labels(points))]


def _reason(grade):
    """Why an exercise earned nothing without a named mistake, in a few words (None: none)."""
    note = grade.note or ""
    if grade.pending:
        return "not attempted (still the stub)"
    if "reference implementation" in note:
        return "calls the package's reference"
    if "does not define" in note or "did not exist" in note or "not part of" in note:
        return "function missing"
    if "time" in note and ("limit" in note or "budget" in note or "past" in note):
        return "ran out of time"
    if note:
        return "not graded: " + note.split(":")[0]
    return None


def summarise_class(grades):
    """One :class:`ExerciseSummary` per exercise of the lessons graded, in curriculum order.

    Parameters
    ----------
    grades : list of SubmissionGrade
        The batch (rows without a lesson, e.g. files that are not notebooks, are not counted).
    """
    lessons = {g.lesson for g in grades if g.lesson}
    summaries = []
    for name, exercise in EXERCISES.items():
        if exercise.notebook not in lessons:
            continue
        rows = [g.exercises[name] for g in grades
                if g.lesson == exercise.notebook and name in g.exercises]
        if not rows:
            continue  # nobody was graded on it (e.g. every notebook of its lesson was invalid)
        points = float(exercise.points)
        values = [float(r.points) for r in rows]
        mistakes = Counter(key for r in rows for key in dict.fromkeys(r.mistakes))
        reasons = Counter(reason for r in rows if (reason := _reason(r)))
        summaries.append(ExerciseSummary(
            name=name, lesson=exercise.notebook, points=points, students=len(rows),
            passed=sum(1 for r in rows if r.passed), mean=sum(values) / len(values) if values
            else 0.0,
            distribution=_distribution(values, points),
            mistakes=[(key, count, hint_text(name, key) or "")
                      for key, count in sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0]))],
            reasons=sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
        ))
    return summaries


# ---------------------------------------------------------------------------------------------
# Charts and text


def bar_chart_svg(summary):
    """A small horizontal bar chart (SVG text) of the points distribution of one exercise."""
    rows = summary.distribution
    top = max((count for _, count in rows), default=0) or 1
    label_width, bar_width, row_height, pad = 110, 220, 20, 28
    height = pad + row_height * len(rows) + 24
    width = label_width + bar_width + 50
    title = f"Points of {summary.name} ({summary.students} students)"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}" '
        f'font-family="sans-serif" font-size="12">',
        f"<title>{html.escape(title)}</title>",
        f'<text x="{width / 2:g}" y="16" text-anchor="middle" font-weight="bold">'
        f"{html.escape(title)}</text>",
    ]
    for index, (label, count) in enumerate(rows):
        y = pad + index * row_height
        length = bar_width * count / top
        parts += [
            f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end">{html.escape(label)}'
            f"</text>",
            f'<rect x="{label_width}" y="{y + 2}" width="{length:.1f}" height="{row_height - 6}"'
            f' fill="{BAR_COLOUR}"/>',
            f'<text x="{label_width + length + 4:.1f}" y="{y + 13}">{count}</text>',
        ]
    axis_y = pad + row_height * len(rows) + 16
    parts += [
        f'<text x="{label_width + bar_width / 2:g}" y="{axis_y}" text-anchor="middle">'
        f"rows: points · bar length: students</text>",
        "</svg>",
    ]
    return "".join(parts)


def _headline(summary):
    if not summary.students:
        return "No submission was graded on this exercise."
    students = f"{summary.students} student" + ("s" if summary.students != 1 else "")
    return (f"{students} graded; {summary.passed} passed every case "
            f"({summary.pass_share:.0%}); mean {summary.mean:.1f} of {_fmt(summary.points)} "
            f"points.")


def _md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _counts_line(grades):
    statuses = Counter(g.status for g in grades)
    listing = ", ".join(f"{statuses[s]} {s}" for s in ("graded", "timeout", "crashed", "invalid")
                        if statuses[s])
    lessons = sorted({g.lesson for g in grades if g.lesson})
    return (f"{len(grades)} submissions ({listing or 'none'}); lessons: "
            f"{', '.join(lessons) or 'none'}.")


def report_markdown(grades):
    """The class report as Markdown (charts as SVG images in data URIs)."""
    lines = ["# Class report", "", _counts_line(grades), ""]
    for summary in summarise_class(grades):
        svg = base64.b64encode(bar_chart_svg(summary).encode()).decode()
        lines += [f"## {summary.name} ({summary.lesson}, {_fmt(summary.points)} points)", "",
                  _headline(summary), "",
                  f"![Points of {summary.name}](data:image/svg+xml;base64,{svg})", "",
                  "| points | students |", "|---|---:|"]
        lines += [f"| {label} | {count} |" for label, count in summary.distribution]
        lines.append("")
        if summary.mistakes:
            lines += ["| mistake | students | hint shown |", "|---|---:|---|"]
            lines += [f"| `{key}` | {count} | {_md_cell(hint)} |"
                      for key, count, hint in summary.mistakes]
        else:
            lines.append("No named mistake was recognised.")
        if summary.reasons:
            lines += ["", "Points lost without a named mistake: " + "; ".join(
                f"{reason}: {count}" for reason, count in summary.reasons) + "."]
        lines.append("")
    return "\n".join(lines)


def report_html(grades):
    """The class report as one self-contained HTML page (inline SVG charts)."""
    esc = html.escape
    body = [f"<h1>Class report</h1><p>{esc(_counts_line(grades))}</p>"]
    for summary in summarise_class(grades):
        body.append(f"<section><h2>{esc(summary.name)} <small>({esc(summary.lesson)}, "
                    f"{_fmt(summary.points)} points)</small></h2><p>{esc(_headline(summary))}"
                    f"</p>{bar_chart_svg(summary)}")
        if summary.mistakes:
            rows = "".join(f"<tr><td><code>{esc(key)}</code></td><td>{count}</td>"
                           f"<td>{esc(hint)}</td></tr>" for key, count, hint in summary.mistakes)
            body.append("<table><thead><tr><th>mistake</th><th>students</th><th>hint shown"
                        f"</th></tr></thead><tbody>{rows}</tbody></table>")
        else:
            body.append("<p>No named mistake was recognised.</p>")
        if summary.reasons:
            body.append("<p>Points lost without a named mistake: " + esc("; ".join(
                f"{reason}: {count}" for reason, count in summary.reasons)) + ".</p>")
        body.append("</section>")
    style = ("body{font-family:sans-serif;max-width:52em;margin:2em auto;color:#1f2328}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d0d7de;"
             "padding:3px 8px;text-align:left;vertical-align:top}td:nth-child(2){text-align:"
             "right}section{margin-bottom:2em}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Class report</title><style>{style}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_report(grades, path):
    """Write the class report to ``path`` (atomically); its suffix picks the format."""
    path = Path(path)
    kind = REPORT_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"the report {path} needs a suffix saying its format: "
                         f"{', '.join(REPORT_FORMATS)}.")
    text = report_markdown(grades) if kind == "markdown" else report_html(grades)
    write_text_atomically(path, text)
    return path
