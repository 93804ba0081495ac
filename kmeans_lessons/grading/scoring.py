"""The one scoring rule: how many points a set of case results earns.

An exercise's points times the share of its counted cases that passed, rounded to two decimals.
``check`` counts every case it ran (:func:`kmeans_lessons.grading.check.run_exercise`). The
autograder counts the hidden cases only, because the visible ones that ``check`` shows in the
notebook can be memorised (:func:`kmeans_lessons.grading.autograde.worker.hidden_score`); the
worker reports that score unrounded, and the batch grader puts it on the registry's points and
rounds once (``autograde.batch._points``).
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


def case_points(max_points, results, *, hidden_only=False, rounded=True):
    """The points of ``results`` (CaseResults): every case counts, or the hidden ones only.

    ``rounded=False`` leaves the value unrounded, for a score that is rescaled and rounded
    later (the worker's).
    """
    counted = [result for result in results if result.hidden or not hidden_only]
    passed = sum(bool(result.passed) for result in counted)
    if rounded:
        return points(max_points, passed, len(counted))
    return _earned(max_points, passed, len(counted))
