"""The code that runs inside a submission's kernel, and the exchange format of a call.

This file has two users:

* the grading worker (:mod:`kmeans_lessons.grading.autograde.worker`) imports it to *encode*
  the hidden inputs it generated and to *decode* what the kernel sends back;
* the worker also reads this file's source and executes it inside the submission's kernel as a
  fresh module, where :func:`call_inline` (small inputs, one request) or :func:`prepare`,
  :func:`run` and :func:`collect` (large inputs, three requests, so that the grader can time the
  student's function without the transfer) run one student function and send back what it
  returned.

Nothing here is trusted inside the kernel: a student can replace any of it there. That is why the
worker decodes with :func:`decode`, which accepts only plain JSON values and ``.npy`` arrays read
with ``allow_pickle=False``, and compares the values in its own process. A tampered harness can
only make the student's own answers wrong, or report a call of the reference that did not
happen (which only costs the student points).

Format: a call or a result is a JSON document plus the arrays it refers to, either as one JSON
string with base64 ``.npy`` data (:func:`pack`, for small calls) or as a ``.json`` file and an
uncompressed ``.npz`` archive (:func:`save`, for large inputs). Arrays appear as
``{"t": "nd", "i": index}``; tuples, lists, dicts, NumPy scalars, random generators (their
``bit_generator.state``) and pandas tables have their own tags; anything else is sent back as
``{"t": "unsupported", ...}`` so the grader can say what came back.

Only the standard library and NumPy are imported at module level, so executing this source in a
kernel costs almost nothing. A speed case asks for a *counted* call (``count=True``): the
function runs under :func:`kmeans_lessons.grading.workcount.count_work`, whose source the worker
executes into this module's namespace in the kernel before this file's, and the result carries
the number of events. A student's exception comes back with the line of the student's code it
came from (``where``), so the grader can say when it happened in a helper the function calls.
"""

import base64
import hashlib
import importlib
import io
import json
import os
import stat
import sys
import sysconfig
import traceback
import types
import zipfile

import numpy as np

try:  # in this process; in the kernel the worker puts workcount's source in this namespace
    from .workcount import count_work, tracing_works
except ImportError:
    pass

#: Deepest nesting of lists/tuples/dicts accepted in either direction.
MAX_DEPTH = 24
#: Most items (list entries, dict pairs, arrays) one document may hold.
MAX_ITEMS = 100_000
#: Bit generators whose state can travel (the ones numpy.random provides).
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
#: Global injected into a reference module while its tripwire is armed.
TRIPWIRE_GLOBAL = "__kmeans_lessons_tripwire__"


class ExchangeError(ValueError):
    """A document that does not follow the exchange format (or exceeds its limits)."""


def _short_repr(value, limit=200):
    try:
        text = repr(value)
    except Exception:  # a student's __repr__ may raise anything
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _safe_str(value):
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__} object>"


def encode(value, arrays, depth=0):
    """Turn ``value`` into JSON-ready data, appending its arrays to ``arrays``."""
    if depth > MAX_DEPTH:
        raise ExchangeError(f"nesting deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return {"t": "unsupported", "type": "numpy.ndarray of Python objects",
                    "repr": _short_repr(value)}
        arrays.append(np.array(value, copy=True, order="C", subok=False))
        return {"t": "nd", "i": len(arrays) - 1}
    if isinstance(value, np.generic) and not isinstance(value, np.object_):
        arrays.append(np.asarray(value))
        return {"t": "np", "i": len(arrays) - 1}
    if isinstance(value, np.random.Generator):
        return {"t": "rng", "state": encode(value.bit_generator.state, arrays, depth + 1)}
    if isinstance(value, (tuple, list)):
        tag = "tuple" if isinstance(value, tuple) else "list"
        return {"t": tag, "v": [encode(item, arrays, depth + 1) for item in value]}
    if isinstance(value, dict):
        return {"t": "dict",
                "v": [[encode(k, arrays, depth + 1), encode(v, arrays, depth + 1)]
                      for k, v in value.items()]}
    kind = type(value).__name__
    if type(value).__module__.startswith("pandas") and kind in ("DataFrame", "Series"):
        encoded = {"t": kind.lower(), "values": encode(value.to_numpy(), arrays, depth + 1),
                   "index": encode(list(value.index), arrays, depth + 1)}
        if kind == "DataFrame":
            encoded["columns"] = encode(list(value.columns), arrays, depth + 1)
        return encoded
    return {"t": "unsupported", "type": f"{type(value).__module__}.{type(value).__qualname__}",
            "repr": _short_repr(value)}


class Unsupported:
    """Stands for a value the kernel could not send (e.g. an object of the student's class).

    Its repr says what it was, so a check that prints "expected an array, got ..." is helpful.
    """

    def __init__(self, type_name, text):
        self.type_name, self.text = type_name, text

    def __repr__(self):
        return f"<{self.type_name} that the grader cannot read: {self.text}>"


def _make_generator(state):
    if not isinstance(state, dict) or state.get("bit_generator") not in BIT_GENERATORS:
        raise ExchangeError("random generator state names no known bit generator")
    bit_generator = getattr(np.random, state["bit_generator"])()
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise ExchangeError(f"bad random generator state: {error}") from None
    return np.random.Generator(bit_generator)


class _Decoder:
    def __init__(self, arrays, allow_generators):
        self.arrays, self.allow_generators, self.items = arrays, allow_generators, 0

    def _count(self, n=1):
        self.items += n
        if self.items > MAX_ITEMS:
            raise ExchangeError(f"more than {MAX_ITEMS} items")

    def _array(self, data):
        index = data.get("i")
        if type(index) is not int or not 0 <= index < len(self.arrays):
            raise ExchangeError("array reference out of range")
        return self.arrays[index]

    def __call__(self, data, depth=0):
        if depth > MAX_DEPTH:
            raise ExchangeError(f"nesting deeper than {MAX_DEPTH} levels")
        self._count()
        if data is None or type(data) in (bool, int, float, str):
            return data
        if type(data) is not dict or type(data.get("t")) is not str:
            raise ExchangeError(f"unexpected {type(data).__name__} in document")
        tag = data["t"]
        if tag == "nd":
            return self._array(data).copy()
        if tag == "np":
            array = self._array(data)
            if array.ndim != 0:
                raise ExchangeError("a NumPy scalar must be a 0-d array")
            return array[()]
        if tag in ("tuple", "list"):
            items = data.get("v")
            if type(items) is not list:
                raise ExchangeError(f"{tag} without items")
            values = [self(item, depth + 1) for item in items]
            return tuple(values) if tag == "tuple" else values
        if tag == "dict":
            pairs = data.get("v")
            if type(pairs) is not list or any(type(p) is not list or len(p) != 2 for p in pairs):
                raise ExchangeError("dict without key/value pairs")
            result = {}
            for key, value in pairs:
                key = self(key, depth + 1)
                try:
                    result[key] = self(value, depth + 1)
                except TypeError:  # an unhashable key
                    raise ExchangeError("dict key is not hashable") from None
            return result
        if tag == "rng":
            if not self.allow_generators:
                return Unsupported("numpy.random.Generator", "a random generator")
            return _make_generator(self(data.get("state"), depth + 1))
        if tag in ("dataframe", "series"):
            import pandas as pd

            values = self(data.get("values"), depth + 1)
            index = self(data.get("index"), depth + 1)
            if not isinstance(values, np.ndarray) or type(index) is not list:
                raise ExchangeError("malformed table")
            try:
                if tag == "series":
                    return pd.Series(values, index=index)
                columns = self(data.get("columns"), depth + 1)
                return pd.DataFrame(values, index=index, columns=columns)
            except (TypeError, ValueError) as error:
                raise ExchangeError(f"malformed table: {error}") from None
        if tag == "unsupported":
            return Unsupported(str(data.get("type"))[:200], str(data.get("repr"))[:300])
        raise ExchangeError(f"unknown tag {tag!r}")


def decode(data, arrays, allow_generators=True):
    """Rebuild a value from :func:`encode`'s output, accepting nothing but the format itself."""
    return _Decoder(arrays, allow_generators)(data)


def _create(path):
    """A new file at ``path`` for writing, never through a link or into something planted
    there: whatever is at ``path`` is removed first and the file is created exclusively."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    return os.fdopen(fd, "wb")


def _open_regular(path):
    """``path`` opened for reading if it is a regular file (not a link, FIFO or device)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise ExchangeError(f"cannot open {os.path.basename(path)} ({error.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ExchangeError(f"{os.path.basename(path)} is not a regular file")
    return os.fdopen(fd, "rb")


def save(path_stem, document, arrays):
    """Write ``document`` to ``path_stem + '.json'`` and its arrays to ``path_stem + '.npz'``.

    The JSON file is renamed into place last, so a reader that sees it sees both files whole.
    Files are created afresh (see :func:`_create`), so a link planted at one of these names
    cannot redirect the write.
    """
    with _create(path_stem + ".npz") as handle:
        np.savez(handle, **{f"a{i}": array for i, array in enumerate(arrays)})
    with _create(path_stem + ".json.tmp") as handle:
        handle.write(json.dumps(document).encode("utf-8"))
    os.replace(path_stem + ".json.tmp", path_stem + ".json")


def _npy_header(handle):
    """(shape, dtype) from the header of the ``.npy`` data at ``handle``; object arrays (which
    would need pickles) are refused before any data is read."""
    version = np.lib.format.read_magic(handle)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, _, dtype = read_header(handle)
    if dtype.hasobject:
        raise ExchangeError("object arrays are not accepted")
    return shape, dtype


def _check_archive(handle, max_bytes):
    """Refuse an .npz whose arrays would be large, compressed or hold Python objects.

    Sizes come from the zip directory and each .npy header, before anything is read, so a
    compressed "zip bomb" or a header that declares a huge shape costs nothing.
    """
    total = 0
    with zipfile.ZipFile(handle) as archive:
        members = archive.infolist()
        if len(members) > MAX_ITEMS:
            raise ExchangeError("too many arrays")
        for info in members:
            if info.compress_type != zipfile.ZIP_STORED:
                raise ExchangeError("compressed arrays are not accepted")
            with archive.open(info) as handle:
                shape, dtype = _npy_header(handle)
            total += int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
            if total > max_bytes:
                raise ExchangeError(f"arrays larger than {max_bytes} bytes")


def load(path_stem, max_bytes, max_json_bytes=4 * 2**20):
    """Read what :func:`save` wrote, refusing pickles and anything past the size limits.

    ``max_bytes`` bounds the arrays, ``max_json_bytes`` the JSON document. Only regular files
    are read (a link or a FIFO planted at one of the names is refused, see
    :func:`_open_regular`).
    """
    with _open_regular(path_stem + ".json") as text, _open_regular(path_stem + ".npz") as data:
        if os.fstat(text.fileno()).st_size > max_json_bytes:
            raise ExchangeError(f"JSON document larger than {max_json_bytes} bytes")
        if os.fstat(data.fileno()).st_size > max_bytes + 2**20:
            raise ExchangeError(f"arrays larger than {max_bytes} bytes")
        try:
            _check_archive(data, max_bytes)
        except (zipfile.BadZipFile, EOFError) as error:
            raise ExchangeError(f"unreadable arrays ({error})") from None
        document = json.loads(text.read().decode("utf-8"))
        data.seek(0)
        with np.load(data, allow_pickle=False) as archive:
            arrays = [archive[f"a{i}"] for i in range(len(archive.files))]
    return document, arrays


def pack(document, arrays):
    """``document`` and its arrays as one JSON string (arrays as base64 ``.npy``), for small
    calls that travel inside the request and the reply instead of through files."""
    encoded = []
    for array in arrays:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        encoded.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    return json.dumps({"d": document, "a": encoded})


def _npy_from_bytes(raw):
    """One array from ``.npy`` bytes; its header must fit the bytes given (no pickles)."""
    handle = io.BytesIO(raw)
    shape, dtype = _npy_header(handle)
    if int(np.prod(shape, dtype=np.float64)) * dtype.itemsize > len(raw):
        raise ExchangeError("array header promises more data than was sent")
    handle.seek(0)
    return np.load(handle, allow_pickle=False)


def unpack(text, max_bytes):
    """Inverse of :func:`pack`, refusing anything larger than ``max_bytes`` or malformed."""
    if type(text) is not str or len(text) > max_bytes:
        raise ExchangeError(f"payload larger than {max_bytes} characters")
    payload = json.loads(text)
    if type(payload) is not dict or type(payload.get("a")) is not list:
        raise ExchangeError("malformed payload")
    if len(payload["a"]) > MAX_ITEMS:
        raise ExchangeError("too many arrays")
    arrays = []
    for item in payload["a"]:
        if type(item) is not str:
            raise ExchangeError("malformed array")
        try:
            raw = base64.b64decode(item, validate=True)
        except ValueError:
            raise ExchangeError("malformed array") from None
        arrays.append(_npy_from_bytes(raw))
    return payload.get("d"), arrays


# --------------------------------------------------------------------------------------------
# Kernel side: everything below runs in the submission's kernel.


def _arm_tripwires(references, hits):
    """Make every call of the listed reference functions land in ``hits``.

    The reference's ``__code__`` is swapped for a stub that records the call and then runs a copy
    of the original, so the student's function still gets the right answer from it (we only want
    to know it asked). Swapping the code object catches every alias the student may hold:
    ``from kmeans_lessons import assign``, ``getattr(kl, "as" + "sign")``, a functools.partial...
    Returns the function that undoes it.
    """
    undo = []
    for module_name, name, filename in references:
        try:
            function = getattr(importlib.import_module(module_name), name)
        except Exception:
            continue
        if not isinstance(function, types.FunctionType) or function.__closure__:
            continue
        # Only the genuine reference: if the notebook put its own function in the package's
        # place, calls to that name run the student's code, not the reference.
        if os.path.realpath(function.__code__.co_filename) != os.path.realpath(filename):
            continue
        original = function.__code__
        copy = types.FunctionType(original, function.__globals__, name, function.__defaults__)
        copy.__kwdefaults__ = function.__kwdefaults__
        dispatch = function.__globals__.setdefault(TRIPWIRE_GLOBAL, {})

        def record(_name, _args, _kwargs, _copy=copy):
            hits.append(_name)
            return _copy(*_args, **_kwargs)

        dispatch[name] = record
        namespace = {}
        exec(  # a stub with no free variables, so it can replace the reference's code object
            f"def {name}(*args, **kwargs):\n"
            f"    return {TRIPWIRE_GLOBAL}[{name!r}]({name!r}, args, kwargs)\n",
            namespace,
        )
        function.__code__ = namespace[name].__code__
        undo.append((function, original))

    def disarm():
        for function, original in undo:
            function.__code__ = original

    return disarm


def code_fingerprint(code):
    """SHA-256 of what a code object does, whatever it is called and wherever it came from.

    Built from its instructions (operation and argument: names, constants, nested code),
    leaving out the file name, line numbers, jump offsets and the function's own name, and
    writing ``LOAD_METHOD`` as ``LOAD_ATTR`` (Python 3.11 compiles ``np.f(...)`` either way
    depending on whether the compiled text itself imports ``np``). So the reference's code
    object itself, a ``marshal`` or ``code.replace`` copy of it and its source compiled again
    all have the reference's fingerprint. Nested code objects (inner functions, lambdas,
    comprehensions) count as part of it.
    """
    import dis

    jumps = set(dis.hasjrel) | set(dis.hasjabs)
    digest = hashlib.sha256()

    def feed(code):
        digest.update(repr((code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
                            code.co_varnames[:code.co_argcount + code.co_kwonlyargcount],
                            code.co_flags & 0x0F)).encode())
        for instruction in dis.get_instructions(code):
            name = "LOAD_ATTR" if instruction.opname == "LOAD_METHOD" else instruction.opname
            if name in ("CACHE", "EXTENDED_ARG", "NOP", "RESUME"):
                continue
            argument = instruction.argval
            if instruction.opcode in jumps:
                argument = None
            if isinstance(argument, types.CodeType):
                digest.update(name.encode() + b"\0code\0")
                feed(argument)
                continue
            digest.update(f"{name}\0{argument!r}\0".encode())

    feed(code)
    return digest.hexdigest()


#: id(code) -> (code, fingerprint), kept across calls (the code object is held so that its id
#: is not reused).
_FINGERPRINTS = {}


def _arm_copy_watch(fingerprints, hits):
    """Record in ``hits`` every Python function run during the call whose code has one of
    ``fingerprints`` (the reference's, minus any the notebook's own source defines).

    A student function built on a *copy* of the reference's code object never calls the
    reference, so the tripwire cannot see it; this profile hook sees the copy run, however the
    student obtained it. Each code object is fingerprinted once. Removing the hook during the
    call is recorded too. Returns the function that removes it.
    """
    wanted = frozenset(fingerprints)
    if not wanted:
        return lambda: None
    state = {"armed": True}
    set_profile = sys.setprofile

    def watch(frame, event, arg):
        if event == "call":
            code = frame.f_code
            known = _FINGERPRINTS.get(id(code))
            if known is None or known[0] is not code:
                known = _FINGERPRINTS[id(code)] = (code, code_fingerprint(code))
            if known[1] in wanted:
                hits.append(code.co_name)
        elif event == "c_call" and state["armed"] and arg is set_profile:
            hits.append("the grader's profile hook was removed")

    set_profile(watch)

    def disarm():
        state["armed"] = False
        set_profile(None)

    return disarm


_inputs = {}
_outcomes = {}


def prepare(directory, number):
    """Read the inputs of call ``number`` (first of the three steps of a call)."""
    document, arrays = load(os.path.join(directory, f"call-{number}"), 1 << 30)
    _inputs[number] = (decode(document["args"], arrays), decode(document["kwargs"], arrays))


def _library_dirs():
    paths = {os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if sysconfig.get_paths().get(key):
            paths.add(sysconfig.get_paths()[key])
    try:
        import kmeans_lessons

        paths.add(os.path.dirname(os.path.abspath(kmeans_lessons.__file__)))
    except Exception:  # a notebook that broke the package: every frame is then the student's
        pass
    return tuple(os.path.abspath(path) + os.sep for path in paths)


def _student_line(tb):
    """[function, line number, line] of the last frame outside NumPy, the standard library and
    the package -- the student's line that led to the error -- or None."""
    library = _library_dirs()
    for frame in reversed(traceback.extract_tb(tb)):
        filename = frame.filename
        if filename.startswith("<frozen") or os.path.abspath(filename).startswith(library):
            continue
        if filename in (globals().get("__file__"), __name__):
            continue  # this harness's own frames (in the kernel its file name is its name)
        return [str(frame.name)[:100], int(frame.lineno or 0), str(frame.line or "")[:300]]
    return None


def run(namespace, number, name, references, count=False, copies=()):
    """Call ``namespace[name]`` on the prepared inputs (the step the grader times).

    Parameters
    ----------
    namespace : dict
        The notebook's globals.
    number : int
        Call number given to :func:`prepare`.
    name : str
        Exercise function to call.
    references : list of [module, name, source file]
        The package's reference implementation(s) of this exercise, to notice delegation.
    count : bool
        Count the call's Python-level events (a speed case); if the tracing hooks do not work
        in this kernel, say so instead of calling.
    copies : list of str
        Fingerprints (:func:`code_fingerprint`) of the reference's code that the notebook does
        not itself define; running such code is delegation too (not watched in a counted call,
        whose hooks take the profiler's place; the same function runs watched in every other
        case).
    """
    args, kwargs = _inputs.pop(number)
    function = namespace.get(name)
    hits = []
    outcome = {"args": args, "kwargs": kwargs, "hits": hits, "value": None}
    _outcomes[number] = outcome
    if not callable(function):
        outcome["status"] = "missing"
        return
    if count and not tracing_works():
        outcome["status"] = "untraceable"
        return
    disarm = _arm_tripwires(references, hits)
    # A counted call installs its own hooks in the profiler's place (workcount.count_work).
    unwatch = _arm_copy_watch(() if count else copies, hits)
    try:
        if count:
            outcome["value"], outcome["events"] = count_work(function, args, kwargs)
        else:
            outcome["value"] = function(*args, **kwargs)
        outcome["status"] = "ok"
    except BaseException as error:  # KeyboardInterrupt on timeout and SystemExit included
        outcome.update(status="raised", type=type(error).__name__,
                       builtin=type(error).__module__ == "builtins",
                       message=_safe_str(error)[:2000], where=_student_line(error.__traceback__))
    finally:
        unwatch()
        disarm()


def collect(directory, number):
    """Save the outcome of call ``number`` to ``directory/result-NUMBER`` (last step)."""
    result, out_arrays = _result(number)
    save(os.path.join(directory, f"result-{number}"), result, out_arrays)


def call_inline(namespace, text, number, name, references, count=False, copies=()):
    """One small call in one request: inputs in ``text`` (see :func:`pack`), result returned."""
    document, arrays = unpack(text, 1 << 30)
    _inputs[number] = (decode(document["args"], arrays), decode(document["kwargs"], arrays))
    run(namespace, number, name, references, count, copies)
    return pack(*_result(number))


def _result(number):
    """The result document of call ``number`` and the arrays it refers to."""
    outcome = _outcomes.pop(number)
    result = {key: outcome[key] for key in ("status", "type", "builtin", "message", "events",
                                            "where") if key in outcome}
    value = outcome["value"]
    out_arrays = []
    try:
        result["value"] = encode(value, out_arrays)
    except Exception as error:  # e.g. nesting too deep: report, do not crash the call
        result["value"] = {"t": "unsupported", "type": type(value).__name__,
                           "repr": f"could not be sent back ({error})"}
    # Inputs as the function left them, so the grader can tell whether it changed them.
    after = []
    for argument in list(outcome["args"]) + list(outcome["kwargs"].values()):
        if isinstance(argument, (np.ndarray, np.random.Generator)):
            after.append(encode(argument, out_arrays))
        else:
            after.append(None)
    result["inputs_after"] = after
    result["reference_called"] = bool(outcome["hits"])
    return result, out_arrays


def seed_globals(seed):
    """Seed NumPy's and Python's global generators as ``check`` does before an exercise."""
    import random

    np.random.seed(seed % 2**32)
    random.seed(seed)


def defined(namespace, names, directory):
    """Record which of ``names`` are callables in the notebook's globals."""
    save(os.path.join(directory, "defined"),
         {"defined": {name: callable(namespace.get(name)) for name in names}}, [])
