"""The one scoring rule (used by check and the autograder alike), with hand-computed points."""

import pytest

from kmeans_lessons.grading.cases import CaseResult
from kmeans_lessons.grading.scoring import case_points


def results(visible, hidden, hints=()):
    """CaseResults: ``visible``/``hidden`` are strings of 'p' (passed) and 'f' (failed)."""
    hints = list(hints) + [None] * (len(visible) + len(hidden))
    made = [CaseResult(f"v{i}", c == "p", hint=hints[i]) for i, c in enumerate(visible)]
    made += [CaseResult(f"h{i}", c == "p", hidden=True, hint=hints[len(visible) + i])
             for i, c in enumerate(hidden)]
    return made


@pytest.mark.parametrize("visible, hidden, points", [
    ("pp", "pppp", 5.0),        # everything right: full points
    ("pp", "pfff", 1.25),       # 5 x 1/4: visible passes earn nothing by themselves
    ("pp", "ffff", 0.0),        # memorised visible answers: nothing
    ("fp", "pppp", 4.0),        # 5 x 4/5: a failed visible case costs like a hidden one
    ("ff", "pppp", 3.33),       # 5 x 4/6
    ("ff", "", 0.0),            # visible cases only: the share of them passed
    ("pf", "", 2.5),
])
def test_hidden_cases_earn_points_and_visible_ones_can_only_cost_them(visible, hidden, points):
    assert case_points(5, results(visible, hidden)) == points


def test_a_failed_visible_case_never_leaves_full_points():
    for hidden in ("p" * 3, "p" * 30, "p" * 300):
        assert case_points(10, results("pf", hidden)) < 10


def test_a_different_algorithm_earns_nothing_and_another_mistake_does_not_zero():
    wrong = results("pp", "ppppf", hints=[None] * 6 + ["farthest_not_sampled"])
    assert case_points(10, wrong, wrong_algorithm=frozenset({"farthest_not_sampled"})) == 0
    assert case_points(10, wrong, wrong_algorithm=frozenset({"not_squared"})) == 8


def test_pending_and_nothing_run_earn_nothing():
    pending = results("p", "p")
    pending[0].pending = True
    assert case_points(5, pending) == 0
    assert case_points(5, []) == 0


def test_a_red_visible_check_is_never_full_points_in_the_grade():
    """Issue 12: an init_random that ignores rng showed a red check and scored 5 of 5."""
    from kmeans_lessons.grading import check, grade_function
    from test_wrong_versions import init_random_global_rng

    in_notebook = check(init_random_global_rng, exercise="init_random")
    graded = grade_function("init_random", init_random_global_rng, seed=987654321)
    for result in (in_notebook, graded):
        visible = [case for case in result.cases if not case.hidden]
        assert not all(case.passed for case in visible)
        assert result.score < result.max_score and "ignores_rng" in result.hints
