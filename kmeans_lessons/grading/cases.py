"""The pieces a check is made of: calling student code safely, cases, and comparisons.

A *case* is one thing the grader tries: call the student's function on some inputs and compare
with the reference (:class:`OutputCase`), probe a property such as "uses the given rng"
(:class:`ProbeCase`), or time it against the reference on a large input (:class:`TimingCase`).
Every case returns a :class:`CaseResult`; the student's exceptions never escape from here.
"""

import copy
import os
import sysconfig
import time
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CaseResult",
    "StudentRaised",
    "StudentCall",
    "Case",
    "OutputCase",
    "ProbeCase",
    "TimingCase",
    "as_array_or_problem",
    "compare_array",
    "compare_labels",
    "compare_number",
    "short",
]


# --- results ---------------------------------------------------------------------------------


@dataclass
class CaseResult:
    """What one case found.

    label : what the case tries, in words ("k = 1", "an empty cluster")
    passed : bool
    message : what went wrong ("" when passed)
    hint : key of the recognised mistake in :mod:`kmeans_lessons.grading.hints`, or None
    hidden : whether the case belongs to the hidden (randomised) set
    pending : the function is still the released stub (it raised NotImplementedError)
    skipped : the case was not run (the timing case waits until the results are right)
    """

    label: str
    passed: bool
    message: str = ""
    hint: object = None
    hidden: bool = False
    pending: bool = False
    skipped: bool = False


# --- calling student code --------------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Frames in these folders are library code (NumPy, the standard library, this package), never
# the student's own lines.
_LIBRARY_DIRS = tuple(
    os.path.abspath(path) + os.sep
    for path in {_PACKAGE_DIR, *(sysconfig.get_paths().get(key) for key in
                                 ("stdlib", "platstdlib", "purelib", "platlib"))}
    if path
)


def _is_library_file(filename):
    return filename.startswith("<frozen") or os.path.abspath(filename).startswith(_LIBRARY_DIRS)


def student_frame(tb):
    """The last traceback frame that belongs to the student's code, or None.

    Library frames (NumPy, the standard library, kmeans_lessons itself) are skipped, so the line
    shown is the student's line that led to the error, e.g. a line of a notebook cell.
    """
    frames = traceback.extract_tb(tb)
    for frame in reversed(frames):
        if not _is_library_file(frame.filename):
            return frame
    return None


def short(text, limit=160):
    """``text`` on one line, cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class StudentRaised(Exception):
    """The student's function raised ``exc``; carries where in the student's code it happened."""

    def __init__(self, exc):
        super().__init__(str(exc))
        self.exc = exc
        self.frame = student_frame(exc.__traceback__)

    @property
    def not_implemented(self):
        return isinstance(self.exc, NotImplementedError)

    def describe(self):
        """'raised ValueError: ... (line 3: `return X - C`)', on one line."""
        name = type(self.exc).__name__
        message = short(self.exc, 200)
        text = f"your function raised {name}: {message}" if message else \
            f"your function raised {name}"
        if self.frame is not None:
            where = f"line {self.frame.lineno}"
            if self.frame.line:
                where += f": `{short(self.frame.line, 100)}`"
            text += f" ({where})"
        return text


def _copy_argument(value):
    """A private copy for the student; generators are shared on purpose (the rng contract)."""
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, np.ndarray):
        return value.copy()
    return copy.deepcopy(value)


def _same_value(a, b):
    """True when ``b`` still equals ``a`` exactly (shape, dtype and every entry)."""
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, np.random.Generator):
        return True
    try:
        return bool(a == b)
    except Exception:  # comparisons of exotic objects: assume unchanged
        return True


class StudentCall:
    """Calls the student's function the way every case should.

    Each call gets fresh copies of the inputs; afterwards the copies are compared with the
    originals and any argument changed in place is recorded in :attr:`mutated`. Exceptions from
    the student's code come out as :class:`StudentRaised`. NumPy warnings (division by zero in a
    naive mean, ...) are silenced: the check reports their consequences in plain words instead.
    :attr:`last_seconds` is the time of the last call, copies excluded.
    """

    def __init__(self, fn, params):
        self.fn = fn
        self.params = tuple(params)
        self.mutated = []
        self.last_seconds = 0.0

    def __call__(self, *args, **kwargs):
        given = [_copy_argument(a) for a in args]
        given_kw = {key: _copy_argument(v) for key, v in kwargs.items()}
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            try:
                out = self.fn(*given, **given_kw)
            except Exception as exc:  # the student's bug becomes feedback, never a crash
                self.last_seconds = time.perf_counter() - start
                raise StudentRaised(exc) from None
            self.last_seconds = time.perf_counter() - start
        for position, (original, seen) in enumerate(zip(args, given)):
            if not _same_value(original, seen):
                self._record(self.params[position] if position < len(self.params)
                             else f"argument {position + 1}")
        for key, original in kwargs.items():
            if not _same_value(original, given_kw[key]):
                self._record(key)
        return out

    def _record(self, name):
        if name not in self.mutated:
            self.mutated.append(name)


def mutation_message(names):
    quoted = " and ".join(f"`{name}`" for name in names)
    return f"your function changed its input {quoted} in place"


# --- comparisons -----------------------------------------------------------------------------
# Each returns None when the student's output is right, else a short description of the first
# thing that is wrong, e.g. "expected shape (5, 3), got (3, 5)".


def _fmt(value):
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return short(repr(value), 60)


def as_array_or_problem(out, expected_shape, what="a NumPy array"):
    """(array, None) if ``out`` can be compared as an array, else (None, problem)."""
    if out is None:
        return None, "returned None (is the `return` statement missing?)"
    if isinstance(out, (list, tuple)):
        return None, f"returned a Python {type(out).__name__}, not {what}"
    if not hasattr(out, "shape") and not isinstance(out, (int, float, np.generic)):
        return None, f"returned {type(out).__name__}, expected {what} of shape {expected_shape}"
    array = np.asarray(out)
    if array.dtype == object:
        return None, "returned an array of Python objects; it should hold numbers"
    if array.shape != tuple(expected_shape):
        return None, f"expected shape {tuple(expected_shape)}, got {array.shape}"
    if array.dtype.kind not in "biuf":
        return None, f"holds dtype {array.dtype}; it should hold numbers"
    return array, None


def compare_array(out, expected, *, rtol=1e-7, atol=0.0):
    """``out`` must be an array of ``expected``'s shape with values close to it."""
    expected = np.asarray(expected)
    array, problem = as_array_or_problem(out, expected.shape)
    if problem:
        return problem
    if array.dtype.kind == "f" and np.isnan(array).any() and not np.isnan(expected).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(array))[0])
        return f"holds NaN (first at index {where if len(where) > 1 else where[0]})"
    close = np.isclose(array.astype(float), expected.astype(float), rtol=rtol, atol=atol)
    if not close.all():
        where = tuple(int(i) for i in np.argwhere(~close)[0])
        index = where if len(where) != 1 else where[0]
        return (f"wrong values: at index {index} expected {_fmt(expected[where])}, "
                f"got {_fmt(array[where])}")
    return None


def compare_labels(out, expected):
    """``out`` must be an integer array equal to ``expected`` entry for entry."""
    expected = np.asarray(expected)
    array, problem = as_array_or_problem(out, expected.shape)
    if problem:
        return problem
    if array.dtype.kind not in "iu":
        return (f"should hold whole numbers (an integer array), got dtype {array.dtype}; "
                f"indices are used to index arrays")
    wrong = array != expected
    if wrong.any():
        where = tuple(int(i) for i in np.argwhere(wrong)[0])
        index = where if len(where) != 1 else where[0]
        return (f"wrong values: at index {index} expected {_fmt(expected[where])}, "
                f"got {_fmt(array[where])} ({int(wrong.sum())} of {wrong.size} differ)")
    return None


def compare_number(out, expected, *, rtol=1e-7, atol=0.0):
    """``out`` must be one number close to ``expected``."""
    if out is None:
        return "returned None (is the `return` statement missing?)"
    if isinstance(out, (list, tuple)):
        return f"returned a Python {type(out).__name__}; it should return one number"
    if isinstance(out, (bool, np.bool_)) or not (
            isinstance(out, (int, float, np.number)) or (hasattr(out, "shape")
                                                         and np.ndim(out) == 0)):
        shape = getattr(out, "shape", None)
        if shape is not None:
            return f"returned an array of shape {shape}; it should return one number"
        return f"returned {type(out).__name__}; it should return one number"
    value = float(np.asarray(out))
    if np.isnan(value):
        return "returned NaN"
    if not np.isclose(value, expected, rtol=rtol, atol=atol):
        return f"expected {_fmt(expected)}, got {_fmt(value)}"
    return None


# --- cases -----------------------------------------------------------------------------------


class Case:
    """One check of an exercise. Subclasses implement :meth:`_run`.

    label : shown to the student; hidden : part of the randomised hidden set;
    extra : anything the mistake detectors may want (see hints.py).
    """

    timing = False
    args = ()
    kwargs = {}
    expected = None

    def __init__(self, label, *, hidden=False, extra=None):
        self.label = label
        self.hidden = hidden
        self.extra = dict(extra or {})

    def run(self, call, exercise):
        """Run against ``call`` (a :class:`StudentCall`); never raises for student errors."""
        from . import hints

        mutated_before = len(call.mutated)
        try:
            result = self._run(call, exercise)
        except StudentRaised as err:
            result = CaseResult(self.label, False, err.describe(),
                                hints.diagnose_exception(exercise, err.exc, self),
                                pending=err.not_implemented)
        if len(call.mutated) > mutated_before:
            # Changing the caller's arrays is reported even when the output is right.
            message = mutation_message(call.mutated[mutated_before:])
            if not result.passed:
                message += f"; also {result.message}"
            result = CaseResult(self.label, False, message, "mutates_input")
        result.hidden = self.hidden
        return result

    def _run(self, call, exercise):
        raise NotImplementedError


class OutputCase(Case):
    """Call with ``args``/``kwargs`` and compare with the reference on the same inputs."""

    def __init__(self, label, args, kwargs=None, *, hidden=False, extra=None):
        super().__init__(label, hidden=hidden, extra=extra)
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self._expected = None
        self._reference = None

    def expected_from(self, reference):
        if self._reference is not reference:
            given = [_copy_argument(a) for a in self.args]
            self._expected = reference(*given, **{k: _copy_argument(v)
                                                  for k, v in self.kwargs.items()})
            self._reference = reference
        return self._expected

    def _run(self, call, exercise):
        from . import hints

        expected = self.expected_from(exercise.reference)
        self.expected = expected
        out = call(*self.args, **self.kwargs)
        problem = exercise.compare(out, expected, self)
        if problem is None:
            return CaseResult(self.label, True)
        return CaseResult(self.label, False, problem, hints.diagnose(exercise, out, self))


class ProbeCase(Case):
    """A property check: ``probe(call, case)`` returns None when fine, else (message, hint)."""

    def __init__(self, label, probe, *, hidden=False, extra=None):
        super().__init__(label, hidden=hidden, extra=extra)
        self.probe = probe

    def _run(self, call, exercise):
        problem = self.probe(call, self)
        if problem is None:
            return CaseResult(self.label, True)
        message, hint = problem
        return CaseResult(self.label, False, message, hint)


class TimingCase(OutputCase):
    """Time the student against a yardstick on a large input, both in this call.

    The yardstick is ``baseline`` -- a plain vectorised solution, the kind the notebook
    teaches -- or else the exercise's reference. It runs several times and its best time sets
    the budget: ``factor`` times it. A vectorised solution, even one that loops over the k
    centres, needs a few times the yardstick; a Python loop over tens of thousands of samples
    needs thirty to two hundred times. Measuring both in the same call keeps the verdict
    independent of the machine. A first attempt just over the budget is repeated, so that one
    pause of the machine does not fail anyone, and ``floor`` seconds are always allowed, so
    sub-millisecond noise cannot decide either.
    """

    timing = True

    def __init__(self, label, args, kwargs=None, *, baseline=None, factor=20.0, floor=0.005,
                 reference_runs=5, attempts=3, hidden=True, extra=None):
        super().__init__(label, args, kwargs, hidden=hidden, extra=extra)
        self.baseline = baseline
        self.factor = factor
        self.floor = floor
        self.reference_runs = reference_runs
        self.attempts = attempts

    def _reference_seconds(self, reference):
        best = float("inf")
        for _ in range(self.reference_runs):
            given = [_copy_argument(a) for a in self.args]
            start = time.perf_counter()
            reference(*given, **self.kwargs)
            best = min(best, time.perf_counter() - start)
        return best

    def _run(self, call, exercise):
        from threadpoolctl import threadpool_limits

        # One BLAS thread for the yardstick and the student alike (the autograder's kernels
        # already have one): multi-threaded BLAS on a busy machine varies several-fold from
        # call to call, which would make the verdict depend on the machine's load.
        with threadpool_limits(limits=1):
            return self._timed_run(call, exercise)

    def _timed_run(self, call, exercise):
        from . import hints

        expected = self.expected_from(exercise.reference)
        self.expected = expected
        reference_seconds = self._reference_seconds(self.baseline or exercise.reference)
        budget = max(self.factor * reference_seconds, self.floor)
        out = call(*self.args, **self.kwargs)
        seconds = call.last_seconds
        problem = exercise.compare(out, expected, self)
        if problem is not None:
            return CaseResult(self.label, False, f"on a large input: {problem}",
                              hints.diagnose(exercise, out, self))
        for _ in range(self.attempts - 1):
            if seconds <= budget or seconds > 3 * budget:
                break  # clearly fast enough, or clearly too slow for a pause to explain
            call(*self.args, **self.kwargs)
            seconds = min(seconds, call.last_seconds)
        self.extra["seconds"], self.extra["reference_seconds"] = seconds, reference_seconds
        if seconds > budget:
            ratio = seconds / max(reference_seconds, 1e-9)
            return CaseResult(
                self.label, False,
                f"too slow: {seconds * 1000:.0f} ms, about {ratio:.0f}x a plain vectorised "
                f"solution ({reference_seconds * 1000:.1f} ms) on the same input",
                "python_loop",
            )
        return CaseResult(self.label, True)
