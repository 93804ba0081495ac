"""The pieces a check is made of: calling student code safely, cases, and comparisons.

A *case* is one thing the grader tries: call the student's function on some inputs and compare
with the reference (:class:`OutputCase`), probe a property such as "uses the given rng"
(:class:`ProbeCase`), or judge its speed by how its Python-level work grows with the number of
samples (:class:`SpeedCase`). Every case returns a :class:`CaseResult`; the student's exceptions
never escape from here, and a case whose calls run past the time limit fails as "did not
finish" instead of hanging.
"""

import copy
import os
import sysconfig
import traceback
import types
import warnings
from dataclasses import dataclass

import numpy as np

from .delegation import watching
from .timelimit import CallTimedOut, time_limit
from .workcount import Growth, count_work, tracing_works

__all__ = [
    "CaseResult",
    "StudentRaised",
    "StudentTimedOut",
    "StudentCall",
    "Case",
    "OutputCase",
    "ProbeCase",
    "SpeedCase",
    "CASE_TIME_LIMIT",
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
    skipped : the case was not run (the speed case waits until the results are right, and
    nothing runs after a call that did not finish)
    timed_out : a call of this case ran past the time limit and was stopped
    """

    label: str
    passed: bool
    message: str = ""
    hint: object = None
    hidden: bool = False
    pending: bool = False
    skipped: bool = False
    timed_out: bool = False


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


@dataclass(frozen=True)
class Where:
    """The student's line an error came from: the function it is in, its number and text."""

    function: str
    lineno: int
    line: str = ""


def where_in_student_code(tb):
    """:class:`Where` of the last traceback frame in the student's code, or None."""
    frame = student_frame(tb)
    if frame is None:
        return None
    return Where(frame.name, frame.lineno, frame.line or "")


class StudentRaised(Exception):
    """The student's function raised ``exc``; carries where in the student's code it happened.

    ``where`` is a :class:`Where` (found from the traceback here; sent back by the kernel's
    harness when the function ran in a submission's kernel), or None.
    """

    def __init__(self, exc, function_name=None):
        super().__init__(str(exc))
        self.exc = exc
        self.function_name = function_name
        self.where = getattr(exc, "where", None) or where_in_student_code(exc.__traceback__)

    @property
    def not_implemented(self):
        return isinstance(self.exc, NotImplementedError)

    @property
    def in_helper(self):
        """Name of the student's other function the error happened in, or None."""
        where = self.where
        if where is None or not self.function_name or where.function in (
                self.function_name, "<module>", "<lambda>", "<listcomp>", "<genexpr>"):
            return None
        return where.function

    def describe(self):
        """'raised ValueError: ... (line 3: `return X - C`)', on one line.

        When the error happened inside another function of the student's that this one calls
        (a helper, often another exercise), the line says so: the exercise itself may be right
        and the helper is the thing to fix.
        """
        name = type(self.exc).__name__
        message = short(self.exc, 200)
        text = f"your function raised {name}: {message}" if message else \
            f"your function raised {name}"
        where = self.where
        if where is not None:
            place = f"line {where.lineno}"
            if where.line:
                place += f": `{short(where.line, 100)}`"
            helper = self.in_helper
            if helper:
                text += (f" in your function {helper}, which {self.function_name} calls "
                         f"({place}); fix {helper} first (check it on its own)")
            else:
                text += f" ({place})"
        return text


class StudentTimedOut(Exception):
    """A call of the student's function ran past the time limit and was stopped."""

    def __init__(self, seconds):
        super().__init__(f"did not finish within {seconds:g} s")
        self.seconds = seconds


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


#: Seconds one call of the student's function may take in ``check`` before it is stopped. A
#: correct solution needs milliseconds; even a loop over the samples needs well under a second.
CASE_TIME_LIMIT = 5.0


class StudentCall:
    """Calls the student's function the way every case should.

    Each call gets fresh copies of the inputs; afterwards the copies are compared with the
    originals and any argument changed in place is recorded in :attr:`mutated`. Exceptions from
    the student's code come out as :class:`StudentRaised`. NumPy warnings (division by zero in a
    naive mean, ...) are silenced: the check reports their consequences in plain words instead.

    ``time_limit`` (seconds, None for none) bounds every call: a call still running after it is
    stopped and comes out as :class:`StudentTimedOut`. The autograder passes None and its own
    function object, which enforces its own limit in the submission's kernel and reports a call that ran
    past it the same way (an exception with ``did_not_finish`` set).

    ``references`` are watched during every call (:func:`.delegation.watching`): a call of one
    of them sets :attr:`called_reference`.
    """

    def __init__(self, fn, params, *, name=None, time_limit=None, references=()):
        self.fn = fn
        self.params = tuple(params)
        self.name = name or getattr(fn, "__name__", None)
        self.time_limit = time_limit
        self.references = list(references)
        self.mutated = []
        self.timed_out = False
        self.called_reference = False

    def __call__(self, *args, **kwargs):
        return self._invoke(self.fn, args, kwargs)

    def count_work(self, *args, **kwargs):
        """Call the function and count its Python-level work: returns (value, events).

        In ``check`` the counting happens here (:func:`~.workcount.count_work`); the
        autograder's function object counts in the kernel where the function runs.
        """
        counted = getattr(self.fn, "count_work", None)
        if counted is not None and not isinstance(self.fn, types.FunctionType):
            return self._invoke(counted, args, kwargs)
        if not tracing_works():
            raise StudentRaised(RuntimeError(
                "the Python-level work of the function could not be counted: sys.settrace "
                "does not report events (was it replaced?)"), self.name)
        return self._invoke(lambda *a, **k: count_work(self.fn, a, k), args, kwargs)

    def _invoke(self, function, args, kwargs):
        given = [_copy_argument(a) for a in args]
        given_kw = {key: _copy_argument(v) for key, v in kwargs.items()}
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                with time_limit(self.time_limit), watching(self.references) as hits:
                    try:
                        out = function(*given, **given_kw)
                    finally:
                        self.called_reference |= bool(hits)
            except CallTimedOut:
                self.timed_out = True
                raise StudentTimedOut(self.time_limit) from None
            except Exception as exc:  # the student's bug becomes feedback, never a crash
                if getattr(exc, "did_not_finish", False):  # the autograder's limit
                    self.timed_out = True
                    raise StudentTimedOut(getattr(exc, "seconds", None) or 0) from None
                raise StudentRaised(exc, self.name) from None
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

    speed = False
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
        except StudentTimedOut as err:
            result = CaseResult(self.label, False, f"{err} and was stopped", "did_not_finish",
                                timed_out=True)
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


def tile_samples(args, positions, repeat):
    """``args`` with the arguments at ``positions`` repeated ``repeat`` times along axis 0."""
    return tuple(np.concatenate([np.asarray(a)] * repeat) if i in positions else a
                 for i, a in enumerate(args))


class SpeedCase(OutputCase):
    """Is the work done by a loop over the samples? Judged by counting, never by a clock.

    The student's function runs on ``args`` and on the same data repeated ``repeat`` times (the
    arguments at ``sample_args`` repeated along their first axis: the samples, and per-sample
    labels with them), and :func:`~.workcount.count_work` counts the Python-level events of each
    call. Repeating the data keeps every decision the same (the means, the number of k-means
    iterations, the empty clusters), so a vectorised solution does exactly the same Python-level
    work at both sizes, while a loop over the samples does ``repeat`` times as much. The verdict
    (:class:`~.workcount.Growth`) therefore depends on the code alone: it is the same on a quiet
    and on a busy machine, in the notebook and in the autograder. The answer on the larger input
    is compared with the reference too.

    ``unit`` names what the work is counted per and ``size(args)`` says how many of them an
    input holds: by default samples, the length of the first repeated argument. Where the
    answer is an (n, n) table the unit is a table entry (NumPy computes n^2 of them, while a
    loop over the n rows to add up each row is a small share of the work and allowed); for a
    picture it is a pixel (a loop over blocks of pixels, as the library's chunked distances
    make, stays far below one step per pixel).
    """

    speed = True

    def __init__(self, label, args, kwargs=None, *, sample_args=(0,), repeat=10, unit="sample",
                 size=None, hidden=True, extra=None):
        super().__init__(label, args, kwargs, hidden=hidden, extra=extra)
        self.sample_args = tuple(sample_args)
        self.repeat = int(repeat)
        self.unit = unit
        self.size = size or (lambda args: len(args[self.sample_args[0]]))

    def _run(self, call, exercise):
        from . import hints

        small_args = self.args
        large_args = tile_samples(small_args, self.sample_args, self.repeat)
        # twice on the small input: the first call may pay for something done once (a lazy
        # import, a cache), which must not be mistaken for work that grows
        small_events = min(call.count_work(*small_args, **self.kwargs)[1] for _ in range(2))
        self.args = large_args
        try:
            expected = self.expected_from(exercise.reference)
            self.expected = expected
            out, large_events = call.count_work(*large_args, **self.kwargs)
            problem = exercise.compare(out, expected, self)
            if problem is not None:
                return CaseResult(self.label, False, f"on the larger input: {problem}",
                                  hints.diagnose(exercise, out, self))
        finally:
            self._reference = None  # expected_from caches by reference; inputs changed back
            self.args = small_args
        growth = Growth(int(self.size(small_args)), int(self.size(large_args)), small_events,
                        large_events, unit=self.unit)
        self.extra["growth"] = growth
        if growth.loops_over_samples:
            return CaseResult(self.label, False, f"the work grows with the {self.unit}s: "
                              f"{growth.describe()}", "python_loop")
        return CaseResult(self.label, True)
