"""Grade one submission in a process of its own (started by the batch grader).

The batch grader (:mod:`kmeans_lessons.grading.autograde.batch`) starts one worker per submission,
writes a job (JSON) to its standard input and reads its reports (JSON lines) from its standard
output. Student code never runs in this process; it runs in a Jupyter kernel that the worker
starts and watches. What the worker does, in order:

1. Reads the notebook (anything nbformat cannot read is *invalid*) and analyses its code without
   running it: which exercise functions it defines, which lesson that makes it, and whether an
   exercise function hands its work to the package's reference implementation.
2. Starts a fresh kernel through ``sandbox.py`` (memory and file-size limits, own session, no
   standard streams, a private working folder and HOME), and executes every code cell with
   nbclient. A cell that raises is recorded and the run goes on. A cell that runs past the time
   limit is interrupted and the run goes on; if the kernel does not answer after the interrupt,
   or dies (``os._exit``, a crash, too much memory), the worker starts a new kernel, re-runs the
   cells that had run, skips the one that killed it and goes on (at most ``MAX_RESTARTS`` times).
   Outputs are not kept (only the names of errors), so a 100 MB print costs nothing after it
   arrives.
3. Grades each exercise of the lesson with ``grade_function`` from
   :mod:`kmeans_lessons.grading.check`, *in this process*: the expected answers come from this
   process's reference implementation and the hidden cases from a seed that only the batch
   grader and this process know. The student's function is represented here by
   :class:`.calls.KernelFunction`, which sends the inputs to the kernel, calls the function there
   through the harness (:mod:`.kernel`) and reads back only the return value (JSON plus
   ``.npy`` data, never pickles). Small inputs travel inside one request and its reply; large
   ones (the inputs of timing cases) through files, in three requests, so that only the call
   itself is timed. Whatever the submission printed, patched or computed is never
   read: a redefined ``check``, a patched NumPy or fake outputs in the file change nothing here.
   Points come from the hidden cases only (:func:`hidden_score`).
4. Kills every process the submission started (:mod:`.processes`). The worker makes itself a
   *child subreaper* (Linux ``prctl``), so even a child that detached with ``setsid`` and a
   double fork is re-parented to the worker and killed with the rest.

The job and the reports are the dataclasses of :mod:`.protocol` (JSON on the wire, one report a
line): ``invalid`` or ``lesson``, then ``cell`` (an error, a timeout, a dead or stuck kernel, a
skipped cell), ``exercise`` (score, max_score, passed, pending, feedback, note), ``budget`` (the
time budget ran out) and finally ``done``. The batch grader builds the row of ``grades.csv``
from them; reports arrive as each step finishes, so a worker killed for running out of time
has still reported what it graded.
"""

import asyncio
import json
import logging
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

import nbformat
import psutil
from jupyter_client import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from ..scoring import case_points
from . import kernel as harness
from .calls import (HARNESS_NAME, MAX_RESULT_BYTES, PROBE_TIMEOUT, CallTimeoutError,
                    KernelDiedError, KernelFunction, install_clock)
from .protocol import (BudgetReport, CellReport, DoneReport, ErrorReport, ExerciseReport,
                       InvalidReport, Job, LessonReport)
from .processes import MemoryWatch, become_subreaper, kill_descendants
from .static import analyse, detect_lesson

__all__ = ["Submission", "run_job", "grade_one", "hidden_score", "main"]

#: New kernels a submission may need (after deaths or hangs) before its remaining cells are
#: skipped.
MAX_RESTARTS = 3
#: Characters of an error message kept for the feedback.
ERROR_TEXT = 300
#: Seconds the worker keeps in hand so that it stops itself before the batch grader kills it.
BUDGET_MARGIN = 3.0
#: Most of one request's round-trip time that is subtracted from a timed call (see baseline).
MAX_BASELINE = 0.010
_SANDBOX = str(Path(__file__).with_name("sandbox.py"))


# ------------------------------------------------------------------------------------------
# Executing the notebook


class _SandboxedKernelManager(AsyncKernelManager):
    """Starts ``ipykernel`` from this interpreter under ``sandbox.py``'s limits.

    The submission's kernelspec is ignored: every submission runs the same Python.
    """

    sandbox_prefix = ()

    def format_kernel_cmd(self, extra_arguments=None):
        return [*self.sandbox_prefix, sys.executable, "-m", "ipykernel_launcher",
                "-f", os.path.realpath(self.connection_file), *(extra_arguments or [])]


class _QuietClient(NotebookClient):
    """nbclient, keeping only the name and message of errors from a cell's outputs."""

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] != "error":
            return None
        content = msg["content"]
        out = nbformat.v4.new_output(
            "error",
            ename=str(content.get("ename", "Error"))[:100],
            evalue=str(content.get("evalue", ""))[:ERROR_TEXT],
            traceback=[],
        )
        outs.append(out)
        return out

    def handle_comm_msg(self, outs, msg, cell_index):
        return None  # widget state is output too; the grader has no use for it


class Submission:
    """One submission's kernel(s), run and graded by this worker."""

    def __init__(self, job, folder, report):
        self.job, self.folder, self.report = job, Path(folder), report
        self.deadline = time.monotonic() + job.max_time - BUDGET_MARGIN
        self.cell_timeout = job.cell_timeout
        self.memory_mb = job.memory_mb
        self.nb = None
        self.kernels_started = 0
        self.ran = []  # cells whose effects the current kernel holds, in order
        self.client = None
        self.kc = None
        self.last_reply = {}
        self.calls = 0
        self.last_error = None
        self.harness_ready = False
        self.baseline = 0.0  # seconds of one empty request to the kernel
        self.memory_death = False
        self.gave_up = False  # no kernel could be started any more
        self.out_of_time_reported = False
        self.watch = MemoryWatch(self.memory_mb * 2**20)
        for sub in ("work", "home", "exchange", "ipc"):
            (self.folder / sub).mkdir()

    # -- time ------------------------------------------------------------------------------

    def remaining(self):
        return self.deadline - time.monotonic()

    def out_of_time(self):
        if self.remaining() > 0:
            return False
        if not self.out_of_time_reported:
            self.report(BudgetReport())
            self.out_of_time_reported = True
        return True

    def _limit(self, seconds):
        return max(1.0, min(seconds, self.remaining()))

    # -- kernels ---------------------------------------------------------------------------

    def _kernel_env(self):
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("KMEANS_LESSONS_GRADING_KEY")}
        home = self.folder / "home"
        env.update(
            HOME=str(home),
            IPYTHONDIR=str(home / ".ipython"),
            MPLCONFIGDIR=str(home / ".matplotlib"),
            MPLBACKEND="Agg",
            # One thread each: kernels run side by side with --jobs, and glibc's per-thread
            # arenas would otherwise eat the address-space cap without using memory.
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            MALLOC_ARENA_MAX="2",
            PYTHONDONTWRITEBYTECODE="1",
            JPY_PARENT_PID=str(os.getpid()),
        )
        env.update(self.job.kernel_env)
        return env

    def _prepare_home(self):
        mpl = self.folder / "home" / ".matplotlib"
        mpl.mkdir(parents=True, exist_ok=True)
        for cache in self.job.font_caches:
            try:
                shutil.copy(cache, mpl)
            except OSError:
                pass

    async def _start_kernel(self):
        self.kernels_started += 1
        number = self.kernels_started
        km = _SandboxedKernelManager(
            kernel_name="python3",
            transport="ipc",
            ip=str(self.folder / "ipc" / f"k{number}"),
            connection_file=str(self.folder / "ipc" / f"kernel-{number}.json"),
        )
        km.sandbox_prefix = (sys.executable, _SANDBOX, "--memory-mb", str(self.memory_mb),
                             "--file-mb", str(self.job.file_mb), "--")
        client = _QuietClient(
            self.nb,
            km=km,
            kernel_name="python3",
            timeout=int(math.ceil(self.cell_timeout)),
            allow_errors=True,
            interrupt_on_timeout=False,
            iopub_timeout=2,
            startup_timeout=60,
            record_timing=False,
            shutdown_kernel="immediate",
        )
        await client.async_start_new_kernel(
            cwd=str(self.folder / "work"),
            env=self._kernel_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await client.async_start_new_kernel_client()
        self.client = client
        self.ran = []

    def _kernel_pid(self):
        try:
            return self.client.km.provisioner.process.pid
        except AttributeError:
            return None

    def kernel_alive(self):
        pid = self._kernel_pid()
        if pid is None:
            return False
        try:
            process = psutil.Process(pid)
            return process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def interrupt(self):
        pid = self._kernel_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGINT)
            except OSError:
                pass

    def _stop_clients(self):
        for kc in (self.kc, getattr(self.client, "kc", None)):
            if kc is not None:
                try:
                    kc.stop_channels()
                except Exception:
                    pass
        self.kc = None

    def kill_kernel(self):
        """Kill the kernel and everything the submission started so far."""
        self._stop_clients()
        kill_descendants()
        pid = self._kernel_pid()
        if pid is not None:
            try:
                self.client.km.provisioner.process.wait(timeout=5)
            except Exception:
                pass

    async def _probe_async(self, timeout):
        kc = self.client.kc
        msg_id = kc.execute("pass", silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = await kc.get_shell_msg(timeout=max(0.05, deadline - time.monotonic()))
            except (queue.Empty, asyncio.TimeoutError):
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return True
        return False

    async def _run_cell(self, index):
        """Run one cell; return "ok", "error", "timeout", "died" or "stuck"."""
        cell = self.nb.cells[index]
        self.client.timeout = int(math.ceil(self._limit(self.cell_timeout)))
        try:
            await self.client.async_execute_cell(cell, index, store_history=True)
        except CellTimeoutError:
            self.interrupt()
            if await self._probe_async(PROBE_TIMEOUT):
                return "timeout", f"ran past {self.client.timeout} s and was interrupted"
            return "stuck", (f"ran past {self.client.timeout} s and did not stop when "
                             f"interrupted")
        except DeadKernelError:
            return "died", self._death_reason()
        errors = [out for out in cell.outputs if out.get("output_type") == "error"]
        if errors:
            self.last_error = errors[0].ename
            return "error", f"{errors[0].ename}: {errors[0].evalue}".rstrip(": ")
        return "ok", ""

    def _death_reason(self):
        self.memory_death = self.watch.tripped
        if self.watch.tripped:
            self.watch.tripped = False
            return f"the kernel was killed: the submission used more than {self.memory_mb} MB"
        return "the kernel died"

    async def _replay(self, cells):
        """Re-run ``cells`` in a fresh kernel; False if that kernel dies or hangs as well."""
        for index in cells:
            if self.out_of_time():
                return False
            outcome, _ = await self._run_cell(index)
            if outcome in ("died", "stuck"):
                return False
            if outcome in ("ok", "error"):
                self.ran.append(index)
        return True

    async def _restart(self, cells):
        """Start a new kernel and bring it to the state after ``cells``; False if impossible."""
        self.kill_kernel()
        while self.kernels_started <= MAX_RESTARTS:
            if self.out_of_time():
                return False
            await self._start_kernel()
            if await self._replay(cells):
                return True
            self.kill_kernel()
        return False

    async def execute(self):
        """Run every code cell once, reporting errors, timeouts and deaths as they happen."""
        await self._start_kernel()
        cells = [index for index, cell in enumerate(self.nb.cells)
                 if cell.cell_type == "code" and cell.source.strip()]
        for position, index in enumerate(cells):
            if self.out_of_time():
                for rest in cells[position:]:
                    self.report(CellReport(cell=rest, outcome="skipped",
                                           detail="not run: the time budget ran out"))
                break
            outcome, detail = await self._run_cell(index)
            if outcome != "ok":
                self.report(CellReport(cell=index, outcome=outcome, detail=detail,
                                       ename=self.last_error if outcome == "error" else None,
                                       memory=outcome == "died" and self.memory_death))
            if outcome in ("died", "stuck"):
                # Skip the cell that killed the kernel; rebuild the state of the cells before.
                if not await self._restart(list(self.ran)):
                    self.gave_up = True
                    for rest in cells[position + 1:]:
                        self.report(CellReport(cell=rest, outcome="skipped",
                                               detail="not run: the kernel kept dying"))
                    break
                continue
            if outcome in ("ok", "error"):
                # Replayed if the kernel has to be rebuilt; an interrupted loop is not.
                self.ran.append(index)
        self._detach()

    async def rebuild(self):
        """After a death during grading: a new kernel holding the same cells' state."""
        ok = await self._restart(list(self.ran))
        self._detach()
        return ok

    def _detach(self):
        """Stop nbclient's channels; the kernel keeps running for the grading calls."""
        if self.client is not None and self.client.kc is not None:
            self.client.kc.stop_channels()

    # -- grading calls ---------------------------------------------------------------------

    def connect(self):
        if self.kc is None:
            kc = BlockingKernelClient()
            kc.load_connection_info(self.client.km.get_connection_info())
            kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
            self.kc = kc
        return self.kc

    def run_code(self, code, timeout, user_expressions=None):
        """Execute ``code`` in the kernel; return "ok", "error", "timeout" or "died".

        The reply's content is kept in :attr:`last_reply` (for ``user_expressions``).
        """
        self.last_reply = {}
        if not self.kernel_alive():
            return "died"
        kc = self.connect()
        msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False,
                            stop_on_error=False, user_expressions=user_expressions or {})
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            try:
                msg = kc.get_shell_msg(timeout=min(0.5, left))
            except queue.Empty:
                if not self.kernel_alive():
                    return "died"
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                self.last_reply = msg["content"]
                return "ok" if msg["content"].get("status") == "ok" else "error"

    def ensure_kernel(self):
        """A live kernel holding the notebook's state and the harness; restart if needed."""
        if self.gave_up:
            return False
        if not (self.kernel_alive() and self.run_code("pass", PROBE_TIMEOUT) == "ok"):
            self.report(CellReport(
                cell=None, outcome="died",
                detail=self._death_reason() + " while a function was being graded"))
            self._stop_clients()
            self.harness_ready = False
            if not asyncio.run(self.rebuild()):
                self.gave_up = True
                return False
        if not self.harness_ready:
            self.harness_ready = self._install_harness()
            if self.harness_ready:
                self.measure_baseline()
        return self.harness_ready

    def measure_baseline(self):
        """Time an empty request to the kernel (the least of seven), for timed calls.

        A timed call is one request; its round trip through IPython (a few milliseconds) is
        not the student's time, so it is subtracted. The subtraction is capped at MAX_BASELINE:
        a notebook that slows every request down cannot buy itself more than that.
        """
        times = []
        for _ in range(7):
            started = time.perf_counter()
            if self.run_code(f"{HARNESS_NAME}.idle()", PROBE_TIMEOUT) != "ok":
                break
            times.append(time.perf_counter() - started)
        self.baseline = min(min(times, default=0.0), MAX_BASELINE)

    def _install_harness(self):
        source = Path(harness.__file__).read_text(encoding="utf-8")
        code = (
            f"import types as _kl_types\n"
            f"{HARNESS_NAME} = _kl_types.ModuleType({HARNESS_NAME!r})\n"
            f"exec(compile({source!r}, {HARNESS_NAME!r}, 'exec'), {HARNESS_NAME}.__dict__)\n"
            f"del _kl_types\n"
        )
        return self.run_code(code, self._limit(60)) == "ok"

    def defined_in_kernel(self, names):
        directory = str(self.folder / "exchange")
        stem = os.path.join(directory, "defined")
        for suffix in (".json", ".npz"):
            Path(stem + suffix).unlink(missing_ok=True)
        code = f"{HARNESS_NAME}.defined(globals(), {list(names)!r}, {directory!r})"
        if self.run_code(code, self._limit(30)) != "ok":
            return {}
        try:
            document, _ = harness.load(stem, MAX_RESULT_BYTES)
            found = document["defined"]
            return {name: found.get(name) is True for name in names}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}


# ------------------------------------------------------------------------------------------
# The job


def _registry():
    """The exercise registry and grader (imported late: a broken registry is a grader bug)."""
    from ..check import grade_function
    from ..exercises import EXERCISES

    install_clock()
    return EXERCISES, grade_function


def _reference_functions(exercise):
    """Every function of the package that is the reference of ``exercise``.

    The registry's ``reference`` may be a thin wrapper (e.g. one that fixes a dtype), while
    students would call the public function of the same name (``kmeans_lessons.assign``), defined
    in one of the package's topic modules. All of them count.
    """
    import kmeans_lessons

    found = [getattr(exercise, "reference", None), vars(kmeans_lessons).get(exercise.name)]
    for module_name, module in sorted(sys.modules.items()):
        if (module_name.startswith("kmeans_lessons.")
                and not module_name.startswith("kmeans_lessons.grading") and module is not None):
            function = vars(module).get(exercise.name)
            if getattr(function, "__module__", None) == module_name:
                found.append(function)
    unique = []
    for function in found:
        if isinstance(function, types.FunctionType) and all(function is not f for f in unique):
            unique.append(function)
    return unique


def _reference_names(exercise):
    """Names under which the package offers the exercise's reference."""
    return {exercise.name} | {f.__name__ for f in _reference_functions(exercise)}


def _reference_locations(exercise):
    """[(module, name, source file)] of the exercise's references, for the run-time tripwire."""
    return [(f.__module__, f.__name__, f.__code__.co_filename)
            for f in _reference_functions(exercise)]


def _read_notebook(path):
    """The submission as a notebook, or an explanation of why it is not one."""
    try:
        size = os.path.getsize(path)
    except OSError as error:
        return None, f"cannot be read ({error.strerror})"
    if size > 64 * 2**20:
        return None, f"is {size // 2**20} MB, too large to be a lesson notebook"
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        return None, "is not a notebook (not UTF-8 text)"
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return None, "is not a notebook (not valid JSON)"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises several kinds
        first = str(error).strip().splitlines()[0][:150] if str(error).strip() else ""
        detail = f"{type(error).__name__}: {first}" if first else type(error).__name__
        return None, f"is not a valid notebook ({detail})"
    return nb, None


def run_job(job, folder, report):
    """Grade the notebook of ``job`` (a protocol.Job) in ``folder``; ``report(message)`` sends
    each protocol report to the batch grader."""
    nb, problem = _read_notebook(job.notebook)
    if nb is None:
        report(InvalidReport(message=f"the file {problem}"))
        return
    exercises, grade_function = _registry()
    references = {name: _reference_names(exercise) for name, exercise in exercises.items()}
    defined, delegates = analyse(nb, exercises, references)
    lesson = job.lesson or detect_lesson(defined, exercises)
    names = [name for name, exercise in exercises.items() if exercise.notebook == lesson]
    report(LessonReport(lesson=lesson, exercises=names))
    # Nothing the kernel runs is needed from the file's stored outputs; drop them so a fake
    # "all checks passed" output cannot end up anywhere.
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None

    submission = Submission(job, folder, report)
    submission.nb = nb
    submission._prepare_home()
    submission.watch.start()
    try:
        try:
            asyncio.run(submission.execute())
        except Exception as error:  # the kernel did not start, or nbclient gave up
            report(CellReport(cell=None, outcome="died",
                              detail=f"the kernel could not be run ({type(error).__name__})"))
            for name in names:
                report(ExerciseReport(name=name, score=0.0, max_score=1.0,
                                      note="not graded: the notebook could not be run"))
            return
        for name in names:
            grade_one(submission, exercises[name], grade_function, job.seeds[name],
                      defined.get(name), delegates.get(name, False))
    finally:
        submission.watch.stop()
        submission.kill_kernel()


def grade_one(submission, exercise, grade_function, seed, defined, delegates):
    """Grade one exercise and report it."""
    name = exercise.name

    def report(score=0.0, max_score=1.0, passed=False, pending=False, feedback=(), note="",
               failure=None, calls=0):
        submission.report(ExerciseReport(
            name=name, score=float(score), max_score=float(max_score), passed=bool(passed),
            pending=bool(pending), feedback=list(feedback), note=note,
            timed_out=isinstance(failure, CallTimeoutError),
            kernel_died=isinstance(failure, KernelDiedError), calls=calls))

    if delegates:
        return report(note=(f"{name} calls the package's reference implementation "
                            f"(kmeans_lessons.{name}) instead of computing the answer itself: "
                            f"0 points"))
    if submission.out_of_time():
        return report(note="not graded: the time budget ran out")
    if not submission.ensure_kernel():
        return report(note="not graded: no working kernel was left to call it in")
    if not submission.defined_in_kernel([name]).get(name):
        if defined:
            return report(note=(f"{name} is defined in the notebook but did not exist when the "
                                f"notebook finished running (did its cell raise an error?)"))
        return report(note=f"the notebook does not define {name}")
    function = KernelFunction(submission, name, _reference_locations(exercise),
                              submission.cell_timeout)
    # check() seeds NumPy's and Python's global generators so that a function that (wrongly)
    # uses them behaves the same on every run; do the same where the function runs.
    submission.run_code(f"{HARNESS_NAME}.seed_globals({int(seed)})", submission._limit(30))
    try:
        result = grade_function(name, function, seed=seed, hidden=True)
    except Exception as error:
        return report(note=f"not graded: the grader failed ({type(error).__name__}: "
                           f"{str(error)[:200]})")
    if function.reference_called:
        return report(max_score=result.max_score,
                      note=(f"{name} calls the package's reference implementation "
                            f"(kmeans_lessons.{name}) instead of computing the answer itself: "
                            f"0 points"))
    failure = function.failure
    note = str(failure) if isinstance(failure, (CallTimeoutError, KernelDiedError)) else ""
    return report(hidden_score(result), result.max_score, result.passed, result.pending,
                  result.feedback, note, failure, function.calls)


def hidden_score(result):
    """Points earned on the hidden cases only (the one rule of :mod:`..scoring`).

    ``grade_function`` also runs the fixed visible cases that ``check`` shows in the notebook;
    a student could hard-code their answers, so they earn nothing here: the score is the
    exercise's points times the share of *hidden* cases passed (drawn from the secret seed).
    """
    if result.pending:
        return 0.0
    if not any(getattr(case, "hidden", False) for case in result.cases):
        return float(result.score)  # e.g. "not a function": no case ran
    # unrounded: the batch grader rescales it to the registry's points and rounds once
    return case_points(result.max_score, result.cases, hidden_only=True, rounded=False)


def main():
    # Reports go to a private copy of stdout; fd 1 itself is pointed at stderr so that nothing
    # a library prints can be mistaken for a report.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    lock = threading.Lock()

    def report(message):
        line = json.dumps(message.to_json(), sort_keys=True)
        with lock:
            channel.write(line + "\n")
            channel.flush()

    job = Job.from_json(json.loads(sys.stdin.read()))
    sys.stdin.close()
    become_subreaper()
    folder = tempfile.mkdtemp(prefix="kmeans-lessons-grade-")
    try:
        run_job(job, folder, report)
    except Exception as error:  # a grader bug: say so rather than die silently
        report(ErrorReport(message=f"{type(error).__name__}: {str(error)[:300]}"))
        raise
    finally:
        kill_descendants()
        shutil.rmtree(folder, ignore_errors=True)
    report(DoneReport())
    return 0


if __name__ == "__main__":
    sys.exit(main())
