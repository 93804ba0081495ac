"""``check(fn)``: run an exercise's cases against a student's function and report.

In a notebook::

    def pairwise_sq_dists(X, C):
        ...

    check(pairwise_sq_dists)

shows a compact coloured block: one line per failing case with a hint when the mistake is a
known one, or a single pass line. In a terminal the same result prints as plain text. The
student's exceptions become feedback; a function that is still the released stub (it raises
NotImplementedError) is reported as *pending*; a call that runs past the time limit
(:data:`~.cases.CASE_TIME_LIMIT`, ``check(fn, time_limit=...)``) is stopped and fails as "did
not finish", with the likely causes for that exercise.

The autograder calls :func:`grade_function` with a secret seed, in a child process. Both apply
the same rules: a function that calls the package's reference of its exercise earns 0 with the
same message (:mod:`.delegation`), and points come from :func:`.scoring.case_points`.
"""

import html
import random
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from . import delegation, hints
from .cases import CASE_TIME_LIMIT, CaseResult, StudentCall, short
from .exercises import EXERCISES, Exercise, get_exercise
from .scoring import case_points

__all__ = ["CheckResult", "check", "grade_function", "run_exercise", "delegation_result",
           "CHECK_SEED"]

#: Seed of the hidden cases that ``check`` runs in the notebooks. The autograder uses its own.
CHECK_SEED = 20240611


@dataclass
class CheckResult:
    """The outcome of checking one function against one exercise.

    exercise : exercise name; passed : every case passed; score / max_score : points;
    feedback : one line per failing case (or one pass / pending line); pending : the function
    is still the stub of the released notebook; hints : keys of the recognised mistakes, in the
    order first seen (see :mod:`kmeans_lessons.grading.hints`); cases : one CaseResult per case.

    Taught in notebook 01 (Broadcasting).
    """

    exercise: str
    passed: bool
    score: float
    max_score: float
    feedback: list = field(default_factory=list)
    pending: bool = False
    hints: list = field(default_factory=list)
    cases: list = field(default_factory=list, repr=False)

    @property
    def n_cases(self):
        return len(self.cases)

    @property
    def n_passed(self):
        return sum(case.passed for case in self.cases)

    def headline(self):
        """One line: status, exercise, points."""
        points = f"{_fmt_points(self.score)}/{_fmt_points(self.max_score)} points"
        if self.pending:
            return f"… {self.exercise}: not attempted yet ({points})"
        if self.passed:
            return f"✓ {self.exercise}: passed, {points}"
        if not self.cases:
            return f"✗ {self.exercise}: not checked, {points}"
        failed = self.n_cases - self.n_passed
        return (f"✗ {self.exercise}: {failed} of {self.n_cases} checks failed, {points}")

    def __str__(self):
        lines = [self.headline()]
        lines += [f"  {line}" for line in self.feedback]
        return "\n".join(lines)

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        if self.pending:
            colour, background = "#8a6100", "#fff8e1"
        elif self.passed:
            colour, background = "#1a7f37", "#eaf6ec"
        else:
            colour, background = "#c62828", "#fdecea"
        items = "".join(f"<li>{_html_line(line)}</li>" for line in self.feedback)
        return (
            f'<div class="kmeans-lessons-check" style="border-left:5px solid {colour};'
            f"background:{background};padding:4px 10px;margin:4px 0;font-size:13px;"
            f'line-height:1.45;color:#1f2328">'
            f'<div style="font-weight:600;color:{colour}">{html.escape(self.headline())}</div>'
            f'<ul style="margin:2px 0 2px 0;padding-left:18px">{items}</ul></div>'
        )

    def to_dict(self):
        """Plain data for JSON reports (what the autograder stores)."""
        return {
            "exercise": self.exercise,
            "passed": self.passed,
            "pending": self.pending,
            "score": self.score,
            "max_score": self.max_score,
            "feedback": list(self.feedback),
            "hints": list(self.hints),
        }


def _fmt_points(value):
    return f"{value:g}"


def _html_line(line):
    """Escape a feedback line; show the hint part in its own style."""
    message, sep, hint = line.partition(" Hint: ")
    text = html.escape(message)
    if sep:
        text += f'<br><span style="color:#57606a">Hint: {html.escape(hint)}</span>'
    return text


@contextmanager
def _seeded_global_random(seed):
    """Seed NumPy's and Python's global generators for the check, then put them back.

    A student's function that (wrongly) uses np.random.* then behaves the same in every run of
    the check, and the student's own session is left exactly as it was.
    """
    numpy_state, python_state = np.random.get_state(), random.getstate()
    np.random.seed(seed % 2**32)
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def _feedback(results, exercise):
    """One line per failing case; a hint's text is written out the first time it appears."""
    lines, shown, messages = [], set(), set()
    for result in results:
        if result.passed:
            continue
        where = "hidden case: " if result.hidden else ""
        # the same error in many cases is written out once, so the block stays short
        message = "the same as above" if result.message in messages else result.message
        messages.add(result.message)
        line = f"✗ {where}{result.label}: {message}"
        if result.hint is not None:
            if result.hint in shown:
                line += " (same hint as above)"
            else:
                text = hints.hint_text(exercise, result.hint)
                if text:
                    line += f" Hint: {text}"
                shown.add(result.hint)
        lines.append(line)
    return lines


def _pending_result(exercise, result):
    return CheckResult(
        exercise=exercise.name, passed=False, score=0.0, max_score=float(exercise.points),
        feedback=[f"Replace the `raise NotImplementedError` line in {exercise.name} with your "
                  f"solution, run that cell, then run this check again."],
        pending=True, cases=[result],
    )


def delegation_result(exercise):
    """The result of a function that calls the package's reference of its own exercise."""
    return CheckResult(exercise=exercise.name, passed=False, score=0.0,
                       max_score=float(exercise.points),
                       feedback=[f"✗ {delegation.message(exercise.name)}. Hint: "
                                 f"{hints.hint_text(exercise, 'calls_reference')}"],
                       hints=["calls_reference"])


def run_exercise(exercise, fn, *, seed, hidden=True, time_limit=None, references=()):
    """Run every case of ``exercise`` against ``fn``; the core of check and grade_function.

    ``time_limit`` bounds each call of ``fn`` (None: no limit here); ``references`` are
    functions ``fn`` must not call (a call makes the result :func:`delegation_result`).
    """
    cases = exercise.cases(seed, hidden)
    call = StudentCall(fn, exercise.params, name=exercise.name, time_limit=time_limit,
                       references=references)
    results = []
    with _seeded_global_random(seed):
        for case in cases:
            if call.timed_out:
                results.append(CaseResult(case.label, False,
                                          "not run: an earlier call did not finish",
                                          hidden=case.hidden, skipped=True))
                continue
            if case.speed and any(not r.passed for r in results):
                results.append(CaseResult(case.label, False,
                                          "not measured until the other checks pass",
                                          hidden=case.hidden, skipped=True))
                continue
            try:
                result = case.run(call, exercise)
            except Exception as exc:  # output so odd that a comparison failed: still feedback
                result = CaseResult(case.label, False,
                                    f"the result could not be checked ({type(exc).__name__}: "
                                    f"{short(exc, 120)})", hidden=case.hidden)
            if call.called_reference:
                return delegation_result(exercise)
            if result.pending and not results:
                return _pending_result(exercise, result)
            results.append(result)
    all_passed = all(r.passed for r in results)
    hint_keys = list(dict.fromkeys(r.hint for r in results if r.hint is not None))
    feedback = ([f"All {len(results)} checks passed."] if all_passed
                else _feedback(results, exercise))
    score = case_points(exercise.points, results,
                        wrong_algorithm=hints.wrong_algorithm_keys(exercise))
    return CheckResult(exercise=exercise.name, passed=all_passed, score=score,
                       max_score=float(exercise.points), feedback=feedback, hints=hint_keys,
                       cases=results)


def _resolve(fn, exercise):
    if isinstance(exercise, Exercise):
        return exercise
    if exercise is None:
        exercise = getattr(fn, "__name__", None)
        if exercise is None:
            raise ValueError(
                "check could not tell which exercise this is: pass its name, e.g. "
                "check(my_function, exercise=\"assign\"). The exercises are: "
                f"{', '.join(EXERCISES)}."
            )
    return get_exercise(exercise)


def check(fn, exercise=None, *, seed=None, time_limit=CASE_TIME_LIMIT):
    """Check a function written for one of the course's exercises.

    Parameters
    ----------
    fn : callable
        Your function, e.g. ``check(pairwise_sq_dists)`` -- the function itself, without
        calling it.
    exercise : str, optional
        The exercise's name; by default the function's own name.
    seed : int, optional
        Seed of the hidden randomised cases; by default a fixed one, so the check says the same
        thing every time you run it on the same code.
    time_limit : float or None, optional
        Seconds one call of your function may take before it is stopped (default 5; None: no
        limit). The case of a stopped call fails as "did not finish" and the cases after it
        are not run.

    Returns
    -------
    result : CheckResult
        ``.passed``, ``.score``, ``.max_score``, ``.feedback`` (list of str), ``.pending``,
        ``.hints``. Shown as a coloured block in a notebook, as text in a terminal.

    Raises
    ------
    TypeError
        If ``fn`` is not a function (e.g. ``check(assign(X, C))`` passes a result).
    ValueError
        If there is no exercise by that name; the message lists them.

    Notes
    -----
    Exceptions raised by your function never escape: they become feedback naming your line.
    A function that calls the package's reference of the same exercise (the ``reference_...``
    the notebook imports for comparison) fails with 0 points, as it would in the grade.

    Used after every exercise of every notebook.

    Taught in notebook 01 (Broadcasting).
    """
    if not callable(fn):
        raise TypeError(
            f"check needs your function itself, got {type(fn).__name__}. Write "
            f"check(my_function), without calling it (no parentheses after its name)."
        )
    chosen = _resolve(fn, exercise)
    references = delegation.reference_functions(chosen)
    if delegation.names_reference(fn, references):
        return delegation_result(chosen)
    return run_exercise(chosen, fn, seed=CHECK_SEED if seed is None else int(seed), hidden=True,
                        time_limit=time_limit, references=references)


def grade_function(exercise_name, fn, *, seed, hidden=True):
    """Grade ``fn`` for the exercise ``exercise_name`` with the given ``seed``.

    Used by the autograder (in a child process, with a seed the students do not know).
    ``hidden=False`` runs the visible cases only. ``fn=None`` (the notebook never defined the
    function) is reported as pending with a score of 0. Returns a :class:`CheckResult`.
    """
    exercise = get_exercise(exercise_name)
    if fn is None:
        return CheckResult(exercise=exercise.name, passed=False, score=0.0,
                           max_score=float(exercise.points),
                           feedback=[f"No function named {exercise.name} was defined."],
                           pending=True)
    if not callable(fn):
        return CheckResult(exercise=exercise.name, passed=False, score=0.0,
                           max_score=float(exercise.points),
                           feedback=[f"{exercise.name} is a {type(fn).__name__}, not a "
                                     f"function."])
    return run_exercise(exercise, fn, seed=int(seed), hidden=hidden)
