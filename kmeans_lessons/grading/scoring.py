"""The one scoring rule: how many points a set of case results earns.

``check`` in the notebook and the autograder both score an exercise with :func:`case_points`,
each on the cases it ran: ``check`` on the visible cases and the hidden cases of its public
seed, the autograder on the *same visible cases* and the hidden cases of a secret seed
(:func:`kmeans_lessons.grading.check.run_exercise` in both). So the points ``check`` shows are
computed exactly as the grade is. The worker reports that score, and the batch grader puts it
on the registry's points and rounds once (``autograde.batch._points``, with :func:`points`).

The rule, in order:

1. a function that is still the released stub (pending) earns 0;
2. a function that calls the package's reference of its exercise earns 0
   (:mod:`kmeans_lessons.grading.delegation`; decided before any case counts);
3. a failed case whose recognised mistake makes it a *different algorithm* (farthest-first or
   uniform sampling passed off as k-means++, Lloyd's loop with stale labels...) earns 0: a
   different algorithm is not a partly correct one (``Mistake.wrong_algorithm``);
4. otherwise hidden cases earn the points and visible cases can only cost them::

       points = exercise points x hidden passed / (hidden cases + visible cases failed)

   The visible cases are the fixed examples shown in the notebook; their answers are public
   and could be memorised, so passing them earns nothing by itself -- but each one that fails
   counts against the student like a failed hidden case. A red check in the notebook
   therefore never becomes full points in the grade (the visible inputs are the same there),
   and a function that only knows the visible answers earns nothing. A case that was not run
   counts as failed: the speed case waits until every other case passes, and nothing runs
   after a call that did not finish within the time limit. Without hidden cases
   (``grade_function(..., hidden=False)``) points are the share of visible cases passed.
"""

__all__ = ["points", "case_points"]


def _earned(max_points, passed, counted):
    if not counted or counted <= 0:
        return 0.0
    return float(max_points) * min(max(passed, 0), counted) / counted


def points(max_points, passed, counted=1):
    """``max_points * passed / counted`` rounded to two decimals.

    ``passed`` cases of ``counted`` (or, with ``counted`` left at 1, a share of 1); it is
    clamped to [0, ``counted``], and nothing counted (``counted`` 0 or less) earns 0.
    """
    return round(_earned(max_points, passed, counted), 2)


def case_points(max_points, results, *, wrong_algorithm=frozenset(), rounded=True):
    """The points of ``results`` (CaseResults, ``.hidden`` saying which set each is from).

    ``wrong_algorithm``: hint keys of the exercise's mistakes that make it a different
    algorithm. ``rounded=False`` leaves the value unrounded.
    """
    results = list(results)
    if not results or any(result.pending for result in results):
        return 0.0
    if any(not result.passed and result.hint in wrong_algorithm for result in results):
        return 0.0
    hidden = [result for result in results if result.hidden]
    visible = [result for result in results if not result.hidden]
    if hidden:
        passed = sum(bool(result.passed) for result in hidden)
        counted = len(hidden) + sum(not result.passed for result in visible)
    else:
        passed, counted = sum(bool(result.passed) for result in visible), len(visible)
    if rounded:
        return points(max_points, passed, counted)
    return _earned(max_points, passed, counted)
