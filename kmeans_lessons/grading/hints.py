"""The engine of the hints: a usual mistake, recognised from the student's output.

A :class:`Mistake` is a key, a hint in plain words that names the mistake without giving the
solution away, and a detector. A detector looks at what the student's function returned for a
failed case (or the exception it raised) and says whether that is exactly what this mistake
produces -- usually by computing the mistaken answer from the same inputs and comparing. A
variant that happens to equal the right answer never counts (:func:`shows`), so a detector
cannot fire on a correct result.

Each exercise's own mistakes sit beside its cases in its lesson module under
:mod:`kmeans_lessons.grading.exercises` (``Exercise.mistakes``); this module holds the mistakes
common to every exercise (:data:`COMMON`), the helpers detectors use, and :func:`diagnose`,
which finds the mistake that explains a failed case. The random exercises (init_random,
init_kmeans_pp, elbow_sweep) are checked by probes, which name the mistake they recognise by its
key; those mistakes have hint text and no detector.

``tests/test_hints.py`` holds one small wrong solution per named mistake and asserts that its
check fails with this hint.
"""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

__all__ = ["Mistake", "COMMON", "diagnose", "diagnose_exception", "hint_text", "mistakes_for",
           "as_numbers", "close", "shows", "case_args", "broadcast_error"]


@dataclass(frozen=True)
class Mistake:
    """One usual mistake.

    key : short name, e.g. "swapped_xc"; text : the hint shown to the student (None: the text of
    the common mistake with the same key); detect(out, case) -> bool; on_exception(exc, case)
    -> bool. A detector that raises (it cannot read the output) simply does not apply, so a
    detector need not guard its reading of ``out``.
    """

    key: str
    text: Optional[str] = None
    detect: Optional[Callable] = None
    on_exception: Optional[Callable] = None


# --- helpers for detectors (the lesson modules use them too) --------------------------------


def as_numbers(value):
    """``value`` as a float array (raises for things that are not numbers)."""
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError("not numbers")
    return array.astype(float)


def close(a, b, rtol=1e-6, atol=1e-9):
    """Same shape and close values; False for anything that cannot be compared."""
    try:
        a, b = as_numbers(a), as_numbers(b)
    except Exception:
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def shows(out, variant, case, **tolerance):
    """``out`` equals what the mistake gives, and the mistake does not give the right answer."""
    return close(out, variant, **tolerance) and not close(variant, case.expected, **tolerance)


def case_args(case):
    return [np.asarray(a) if isinstance(a, (list, tuple, np.ndarray)) else a for a in case.args]


def broadcast_error(exc, case):
    return isinstance(exc, ValueError) and "broadcast" in str(exc)


def _is_list(out, case):
    return isinstance(out, (list, tuple)) and isinstance(case.expected, np.ndarray)


def _integer_truncated(out, case):
    """An integer result equal to the expected fractions with their decimals cut off."""
    expected = np.asarray(case.expected, dtype=float)
    if not isinstance(out, (np.ndarray, np.integer, int)) or isinstance(out, bool):
        return False
    out = np.asarray(out)
    if out.dtype.kind not in "iu" or np.all(expected == np.round(expected)):
        return False
    return close(out, np.trunc(expected)) or close(out, np.floor(expected))


def _has_nan(out, case):
    try:
        return (bool(np.isnan(as_numbers(out)).any())
                and not np.isnan(as_numbers(case.expected)).any())
    except Exception:
        return False


# --- common mistakes: checked for every exercise ---------------------------------------------

COMMON = (
    Mistake("returned_none",
            "Your function returned None: its last step needs a `return` statement.",
            lambda out, case: out is None),
    Mistake("list_not_array",
            "It returned a Python list. Build the result with NumPy operations (or turn it into "
            "an array with np.asarray) so that it has a shape and a dtype.",
            _is_list),
    # the two below are tried after the exercise's own mistakes
    Mistake("integer_truncation",
            "The result holds whole numbers where fractions were expected: an integer array cut "
            "the decimals off (for example an array made with np.zeros_like of integer input, or "
            "the // operator). Compute in floats.",
            _integer_truncated),
    Mistake("nan_output",
            "Your result contains NaN: somewhere a division by zero or a mean of no numbers "
            "happened.",
            _has_nan),
    # recognised by the case machinery, not from the output
    Mistake("mutates_input",
            "Your function changed one of its input arrays in place (for example `X -= ...` or "
            "`centers[j] = ...` on an argument). The caller still needs the original: work on a "
            "new array or a copy."),
    Mistake("python_loop",
            "This looks like a Python loop over the samples: the answer is right but it takes "
            "many times longer than a vectorised version. Let NumPy work on whole arrays; a loop "
            "over the k centres is fine, a loop over every sample is not."),
)
_EARLY = ("returned_none", "list_not_array")


def _own_mistakes(exercise):
    """The named mistakes of ``exercise`` (an Exercise, or its name: none for an unknown name)."""
    if isinstance(exercise, str):
        from .exercises import EXERCISES  # imported late: the lesson modules import this engine

        exercise = EXERCISES.get(exercise)
    return tuple(exercise.mistakes) if exercise is not None else ()


def mistakes_for(exercise):
    """The exercise's own mistakes followed by the common ones, without duplicate keys."""
    own = _own_mistakes(exercise)
    keys = {m.key for m in own}
    return list(own) + [m for m in COMMON if m.key not in keys]


def hint_text(exercise, key):
    """The hint for ``key``: the exercise's own text, else the common mistake's text."""
    for mistake in _own_mistakes(exercise):
        if mistake.key == key and mistake.text:
            return mistake.text
    for mistake in COMMON:
        if mistake.key == key:
            return mistake.text
    return None


def _first(mistakes, test):
    for mistake in mistakes:
        try:
            if test(mistake):
                return mistake.key
        except Exception:  # a detector that cannot read the output simply does not apply
            continue
    return None


def diagnose(exercise, out, case):
    """Key of the first catalogued mistake that explains ``out`` for ``case``, or None."""
    common = {m.key: m for m in COMMON}
    order = ([common[key] for key in _EARLY] + list(_own_mistakes(exercise))
             + [m for m in COMMON if m.key not in _EARLY])
    return _first(order, lambda m: m.detect is not None and m.detect(out, case))


def diagnose_exception(exercise, exc, case):
    """Key of the first catalogued mistake that explains the exception ``exc``, or None."""
    return _first(_own_mistakes(exercise),
                  lambda m: m.on_exception is not None and m.on_exception(exc, case))
