"""Grading: the exercise registry, ``check`` for students, and the autograder's entry point.

``check(fn)`` runs in the notebooks after every exercise; ``grade_function(name, fn, seed=...)``
is what the autograder calls. ``EXERCISES`` lists every exercise in curriculum order. Turning the
solution notebooks into student notebooks lives in :mod:`kmeans_lessons.grading.release`.
"""

from .check import CHECK_SEED, CheckResult, check, grade_function
from .exercises import EXERCISES, Exercise, get_exercise

__all__ = ["check", "CheckResult", "grade_function", "EXERCISES", "Exercise", "get_exercise",
           "CHECK_SEED"]
