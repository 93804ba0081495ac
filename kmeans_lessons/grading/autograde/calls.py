"""Calling a student's function in the submission's kernel, from the worker.

:class:`KernelFunction` stands for the student's function in the worker: ``grade_function``
calls it like any function, and each call sends the inputs to the kernel, runs the function
there through the harness (:mod:`.kernel`, installed in the kernel's globals as
:data:`HARNESS_NAME`) and decodes what came back. Speed is judged by counted work
(:meth:`KernelFunction.count_work`), never by a clock. A call that fails raises a
:class:`KernelCallError`.
"""

import ast
import builtins
import os
from pathlib import Path

import numpy as np

from . import kernel as harness

__all__ = ["KernelFunction", "KernelCallError", "KernelDiedError", "CallTimeoutError",
           "HARNESS_NAME"]

#: Name of the harness module inside the kernel's globals.
HARNESS_NAME = "__kmeans_lessons_grader__"
#: Seconds a kernel gets to answer a trivial request after being interrupted.
PROBE_TIMEOUT = 10
#: Largest result (JSON or arrays) a kernel may send back for one call.
MAX_RESULT_BYTES = 256 * 2**20
#: Inputs smaller than this go to the kernel in one request; larger ones in three (write the
#: inputs to files, run, read the result back), so no request carries a huge literal.
SMALL_INPUT_BYTES = 256 * 2**10


class KernelCallError(Exception):
    """The student's function raised an exception the grader cannot re-create exactly.

    The message names the original type, e.g. ``"LinAlgError: Singular matrix"``.
    """


class KernelDiedError(KernelCallError):
    """The kernel died while the student's function was running."""


class CallTimeoutError(KernelCallError, TimeoutError):
    """The student's function ran past the time limit (it was interrupted).

    ``did_not_finish`` makes the case runner report it as ``check`` reports a call stopped by
    its own time limit (see :class:`kmeans_lessons.grading.cases.StudentCall`).
    """

    did_not_finish = True

    def __init__(self, message, seconds=None):
        super().__init__(message)
        self.seconds = seconds


class KernelFunction:
    """Stands for the student's function in the grader's process.

    Calling it runs the student's function in the kernel on copies of the arguments and returns
    the decoded result; an exception in the kernel is raised here again (builtin exception
    types as themselves, anything else as :class:`KernelCallError`). Arrays the function
    changed in place are changed here too, and a random generator passed in advances exactly as
    it did in the kernel, so checks about mutation and reproducibility work as on a local
    function.

    After a timeout or a kernel death every further call fails at once, so a hanging function
    costs one time limit, not one per hidden case.
    """

    def __init__(self, submission, name, references, timeout, copies=()):
        self.submission, self.name, self.timeout = submission, name, timeout
        self.references = [list(reference) for reference in references]
        # fingerprints of the reference's code the notebook does not define (kernel.run)
        self.copies = sorted(copies)
        self.__name__ = self.__qualname__ = name
        self.reference_called = False
        self.failure = None  # exception raised by every call after a timeout or death
        self.calls = 0

    def __repr__(self):
        return f"<student function {self.name}>"

    def __call__(self, *args, **kwargs):
        return self._checked_call(args, kwargs, count=False)

    def count_work(self, *args, **kwargs):
        """Call the function in the kernel under the harness's work counter: (value, events).

        What a speed case asks for (see :class:`kmeans_lessons.grading.cases.SpeedCase`).
        """
        return self._checked_call(args, kwargs, count=True)

    def _checked_call(self, args, kwargs, count):
        if self.failure is not None:
            raise self.failure
        return self._call(args, kwargs, count)

    def _call(self, args, kwargs, count=False):
        submission = self.submission
        submission.calls += 1
        self.calls += 1
        number = submission.calls
        arrays = []
        document = {"args": harness.encode(tuple(args), arrays),
                    "kwargs": harness.encode(dict(kwargs), arrays)}
        small = sum(array.nbytes for array in arrays) < SMALL_INPUT_BYTES
        try:
            if small:
                status, received = self._call_inline(number, document, arrays, count)
            else:
                status, received = self._call_with_files(number, document, arrays, count)
            if status == "ok":
                kind, payload = self._unpack(*received, args, kwargs, count)
        except (OSError, ValueError, KeyError, TypeError, RecursionError, SyntaxError):
            raise KernelCallError(
                f"the grader could not call {self.name} in your notebook or read what it "
                f"returned; did the notebook replace NumPy, json or os?"
            ) from None
        if status in ("timeout", "died"):
            raise self._fail(status)
        if kind == "raise":
            raise payload
        return payload

    def _run_step(self, code, limit, user_expressions=None):
        """One request to the kernel, within the call's time limit."""
        return self.submission.run_code(code, self.submission._limit(limit), user_expressions)

    def _call_inline(self, number, document, arrays, count=False):
        """Small inputs: one request carries them in, its reply carries the result out."""
        expression = (f"{HARNESS_NAME}.call_inline(globals(), {harness.pack(document, arrays)!r}, "
                      f"{number}, {self.name!r}, {self.references!r}, {bool(count)!r}, "
                      f"{self.copies!r})")
        status = self._run_step("", self.timeout, {"result": expression})
        if status != "ok":
            return status, None
        reply = self.submission.last_reply.get("user_expressions", {}).get("result", {})
        if reply.get("status") != "ok":
            raise OSError("the call could not be made")
        text = reply.get("data", {}).get("text/plain", "")
        if not isinstance(text, str) or len(text) > MAX_RESULT_BYTES or text[:1] not in "'\"":
            raise ValueError("unexpected reply")
        return status, harness.unpack(ast.literal_eval(text), MAX_RESULT_BYTES)

    def _call_with_files(self, number, document, arrays, count=False):
        """Large inputs: read in, run, write out as three requests (see SMALL_INPUT_BYTES)."""
        submission = self.submission
        inbox, outbox = str(submission.folder / "inbox"), str(submission.folder / "outbox")
        try:
            harness.save(os.path.join(inbox, f"call-{number}"), document, arrays)
            status = submission.run_code(f"{HARNESS_NAME}.prepare({inbox!r}, {number})",
                                         submission._limit(60.0))
            if status == "ok":
                status = self._run_step(f"{HARNESS_NAME}.run(globals(), {number}, "
                                        f"{self.name!r}, {self.references!r}, {bool(count)!r}, "
                                        f"{self.copies!r})", self.timeout)
            if status == "ok":
                status = submission.run_code(
                    f"{HARNESS_NAME}.collect({outbox!r}, {number})",
                    submission._limit(self.timeout))
            if status in ("timeout", "died"):
                return status, None
            if status != "ok":
                raise OSError("the call could not be made")
            return status, harness.load(os.path.join(outbox, f"result-{number}"),
                                         MAX_RESULT_BYTES)
        finally:
            self._cleanup(inbox, number)
            self._cleanup(outbox, number)

    def _fail(self, status):
        submission = self.submission
        if status == "timeout":
            submission.interrupt()
            if submission.run_code("pass", PROBE_TIMEOUT) != "ok":
                submission.kill_kernel()
            self.failure = CallTimeoutError(
                f"{self.name} did not return within {self.timeout:g} s and was interrupted "
                f"(an endless loop?)", self.timeout
            )
        else:
            self.failure = KernelDiedError(
                f"the kernel died while {self.name} was running (os._exit, a crash, or more "
                f"memory than allowed)"
            )
        return self.failure

    @staticmethod
    def _cleanup(directory, number):
        for stem in (f"call-{number}", f"result-{number}"):
            for suffix in (".json", ".npz", ".json.tmp"):
                Path(directory, stem + suffix).unlink(missing_ok=True)

    def _unpack(self, result, arrays, args, kwargs, count=False):
        """("return", value) or ("raise", exception) from a result document; a counted call
        returns (value, events)."""
        if type(result) is not dict:
            raise TypeError("result is not an object")
        if result.get("reference_called") is True:
            self.reference_called = True
        after = result.get("inputs_after")
        if type(after) is list:
            self._apply_changes(list(args) + list(kwargs.values()), after, arrays)
        status = result.get("status")
        if status == "ok":
            value = harness.decode(result.get("value"), arrays, allow_generators=False)
            if not count:
                return "return", value
            events = result.get("events")
            if type(events) is not int or events < 0:
                raise TypeError("a counted call without its count")
            return "return", (value, events)
        if status == "untraceable":
            return "raise", KernelCallError(
                "the grader could not count the Python-level work of your function: "
                "sys.settrace does not report events in your notebook (was it replaced?)")
        if status == "missing":
            return "raise", NameError(f"name '{self.name}' is not defined in the notebook")
        if status == "raised":
            return "raise", _rebuild_exception(result)
        raise TypeError("unknown call status")

    @staticmethod
    def _apply_changes(originals, after, arrays):
        if len(after) != len(originals):
            return
        for original, encoded in zip(originals, after):
            if encoded is None:
                continue
            changed = harness.decode(encoded, arrays)
            if isinstance(original, np.ndarray) and isinstance(changed, np.ndarray):
                if (changed.shape == original.shape and changed.dtype == original.dtype
                        and not np.array_equal(changed, original, equal_nan=True)
                        and original.flags.writeable):
                    original[...] = changed
            elif isinstance(original, np.random.Generator) and isinstance(
                    changed, np.random.Generator):
                if type(changed.bit_generator) is type(original.bit_generator):
                    original.bit_generator.state = changed.bit_generator.state


def _rebuild_exception(result):
    """The student's exception as an exception here, with ``where`` (the student's line it came
    from, see :class:`kmeans_lessons.grading.cases.Where`) when the kernel sent it."""
    name = str(result.get("type", "Exception"))[:100]
    message = str(result.get("message", ""))[:2000]
    error = None
    if result.get("builtin") is True:
        cls = getattr(builtins, name, None)
        if (isinstance(cls, type) and issubclass(cls, Exception)
                and not issubclass(cls, (StopIteration, StopAsyncIteration))):
            try:
                error = cls(message)
            except TypeError:  # e.g. UnicodeDecodeError needs five arguments
                pass
    if error is None:
        error = KernelCallError(f"{name}: {message}" if message else name)
    where = result.get("where")
    if (type(where) is list and len(where) == 3 and type(where[0]) is str
            and type(where[1]) is int and type(where[2]) is str):
        from ..cases import Where

        error.where = Where(where[0][:100], where[1], where[2][:300])
    return error
