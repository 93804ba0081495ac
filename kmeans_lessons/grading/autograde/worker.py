"""Grade one submission in a process of its own (started by the batch grader).

The batch grader (:mod:`kmeans_lessons.grading.autograde.batch`) starts one worker per submission,
writes a job (JSON) to its standard input and reads its reports (JSON lines) from its standard
output. Student code never runs in this process; it runs in a Jupyter kernel that the worker
starts and watches. What the worker does, in order:

1. Reads the notebook (anything nbformat cannot read is *invalid*) and analyses its code without
   running it: which exercise functions it defines, which lesson that makes it, and whether an
   exercise function hands its work to the package's reference implementation.
2. Starts a fresh kernel through ``sandbox.py`` (memory and file-size limits, joining the
   submission's cgroup, :mod:`.cgroup`) inside the bubblewrap sandbox (:mod:`.bwrap`; own user,
   pid, network and mount namespaces, a private folder with a copy of the notebook, its HOME, an
   inbox it may only read and an outbox), with no standard streams, and executes every code
   cell with nbclient. A cell that raises is recorded and the run goes on. A cell that runs
   past the time limit is interrupted and the run goes on; if the kernel does not answer after
   the interrupt, or dies (``os._exit``, a crash, too much memory), the worker starts a new
   kernel, re-runs the cells that had run, skips the one that killed it and goes on (at most
   ``MAX_RESTARTS`` times).
   Outputs are not kept (only the names of errors), so a 100 MB print costs nothing after it
   arrives.
3. Grades each exercise of the lesson with ``grade_function`` from
   :mod:`kmeans_lessons.grading.check`, *in this process*: the expected answers come from this
   process's reference implementation and the hidden cases from a seed that only the batch
   grader and this process know. The student's function is represented here by
   :class:`.calls.KernelFunction`, which sends the inputs to the kernel, calls the function there
   through the harness (:mod:`.kernel`) and reads back only the return value (JSON plus
   ``.npy`` data, never pickles). Small inputs travel inside one request and its reply; large
   ones through files, in three requests. A speed case asks for a counted call: the harness
   counts the function's Python-level work in the kernel
   (:mod:`kmeans_lessons.grading.workcount`). Whatever the submission printed, patched or computed is never
   read: a redefined ``check``, a patched NumPy or fake outputs in the file change nothing here.
   Points come from :func:`kmeans_lessons.grading.scoring.case_points`, the rule ``check``
   applies too: hidden cases earn them, a failed visible case costs like a failed hidden one.
4. Kills every process the submission started: everything in its cgroup, and (without one)
   every descendant (:mod:`.processes`; the worker makes itself a *child subreaper*, Linux
   ``prctl``, so even a child that detached with ``setsid`` and a double fork is re-parented to
   the worker and killed with the rest). In the sandbox the kernel is process 1 of its pid
   namespace, and when it dies the system kills the rest of the namespace too.

The job and the reports are the dataclasses of :mod:`.protocol` (JSON on the wire, one report a
line): ``invalid`` or ``lesson``, then ``cell`` (an error, a timeout, a dead or stuck kernel, a
skipped cell), ``exercise`` (score, max_score, passed, pending, feedback, note), ``budget`` (the
time budget ran out) and finally ``done``. The batch grader builds the row of ``grades.csv``
from them; reports arrive as each step finishes, so a worker killed for running out of time
has still reported what it graded. Each line is signed with the job's report key
(:func:`.protocol.sign_report`).
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

from .. import workcount
from ..hints import wrong_algorithm_keys
from ..scoring import case_points
from ..delegation import message as delegation_message
from ..delegation import reference_functions
from . import bwrap
from . import kernel as harness
from .calls import (HARNESS_NAME, MAX_RESULT_BYTES, PROBE_TIMEOUT, CallTimeoutError,
                    KernelDiedError, KernelFunction)
from .cgroup import Cgroup
from .protocol import (BudgetReport, CellReport, DoneReport, ErrorReport, ExerciseReport,
                       InvalidReport, Job, LessonReport, sign_report)
from .processes import MemoryWatch, become_subreaper, kill_descendants
from .static import analyse, detect_lesson

__all__ = ["Submission", "run_job", "grade_one", "main"]

#: New kernels a submission may need (after deaths or hangs) before its remaining cells are
#: skipped.
MAX_RESTARTS = 3
#: Characters of an error message kept for the feedback.
ERROR_TEXT = 300
#: Seconds the worker keeps in hand so that it stops itself before the batch grader kills it.
BUDGET_MARGIN = 3.0
_SANDBOX = str(Path(__file__).with_name("sandbox.py"))


# ------------------------------------------------------------------------------------------
# Executing the notebook


class _SandboxedKernelManager(AsyncKernelManager):
    """Starts ``ipykernel`` from this interpreter under ``sandbox.py``'s limits (and, for a
    sandboxed submission, inside bwrap: ``sandbox_prefix`` holds both launchers).

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
        self.memory_death = False
        self.gave_up = False  # no kernel could be started any more
        self.out_of_time_reported = False
        self.watch = MemoryWatch(self.memory_mb * 2**20)
        # work: the kernel's working folder (a copy of the notebook); home: its HOME; inbox:
        # inputs the grader writes (read-only to a sandboxed kernel, so no link can be planted
        # there for the grader to write through); outbox: what the kernel sends back; ipc: the
        # kernel's connection file and sockets.
        for sub in ("work", "home", "inbox", "outbox", "ipc"):
            (self.folder / sub).mkdir()
        self.sandboxed = job.sandbox
        # every process of the submission, capped (cgroup.py); made and removed by the batch
        self.cgroup = (Cgroup(job.cgroup_version, tuple(job.cgroup_folders))
                       if job.cgroup_version else None)
        self.oom_kills = 0
        self.authored = set()  # fingerprints of the code the notebook's cells define

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
        if self.sandboxed:
            # The worker's pid means nothing in the kernel's pid namespace (ipykernel would
            # take it for a dead parent); bwrap --die-with-parent ends the kernel instead.
            del env["JPY_PARENT_PID"]
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
        joins = [arg for procs in (self.cgroup.procs_files if self.cgroup else [])
                 for arg in ("--cgroup-procs", procs)]
        km.sandbox_prefix = (sys.executable, _SANDBOX, "--memory-mb", str(self.memory_mb),
                             "--file-mb", str(self.job.file_mb), *joins, "--")
        if self.sandboxed:
            km.sandbox_prefix += tuple(bwrap.bwrap_command(
                self.folder, self.folder / "inbox", workdir=self.folder / "work"))
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
        """SIGINT to the kernel. In the sandbox the process started is bwrap, which does not
        forward signals: the kernel is its only child (process 1 of its namespace)."""
        pid = self._kernel_pid()
        if pid is not None and self.sandboxed:
            try:
                pid = psutil.Process(pid).children()[0].pid
            except (psutil.Error, IndexError):
                return
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
        if self.cgroup is not None:
            self.cgroup.kill()
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
        oom_kills = self.cgroup.oom_kills() if self.cgroup is not None else 0
        self.memory_death = self.watch.tripped or oom_kills > self.oom_kills
        self.oom_kills = oom_kills
        if self.memory_death:
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
        return self.harness_ready

    def _install_harness(self):
        # The work counter first: the harness's counted calls use it from its own namespace.
        counter = Path(workcount.__file__).read_text(encoding="utf-8")
        source = Path(harness.__file__).read_text(encoding="utf-8")
        # The last error's traceback (kept by sys and by IPython's traceback formatter) keeps
        # its frames alive: after a memory bomb that is nearly all the memory allowed, which
        # would leave none for the graded calls.
        code = (
            f"import sys as _kl_sys, gc as _kl_gc\n"
            f"_kl_sys.last_type = _kl_sys.last_value = _kl_sys.last_traceback = None\n"
            f"try:\n"
            f"    get_ipython().InteractiveTB.tb = None\n"
            f"except Exception:\n"
            f"    pass\n"
            f"_kl_gc.collect()\n"
            f"del _kl_sys, _kl_gc\n"
            f"import types as _kl_types\n"
            f"{HARNESS_NAME} = _kl_types.ModuleType({HARNESS_NAME!r})\n"
            f"exec(compile({counter!r}, {HARNESS_NAME!r}, 'exec'), {HARNESS_NAME}.__dict__)\n"
            f"exec(compile({source!r}, {HARNESS_NAME!r}, 'exec'), {HARNESS_NAME}.__dict__)\n"
            f"del _kl_types\n"
        )
        return self.run_code(code, self._limit(60)) == "ok"

    def defined_in_kernel(self, names):
        directory = str(self.folder / "outbox")
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
    return EXERCISES, grade_function


def _reference_names(exercise):
    """Names under which the package offers the exercise's reference."""
    return {exercise.name} | {f.__name__ for f in reference_functions(exercise)}


def _reference_fingerprints(exercise):
    """Fingerprints of the code of the exercise's references, from this process's own imports
    (a kernel may have changed its copy of the package)."""
    return {harness.code_fingerprint(f.__code__) for f in reference_functions(exercise)}


def authored_fingerprints(nb):
    """Fingerprints of every code object the notebook's own cells define.

    A function that matches the reference's code but is written out in the notebook is the
    student's own text (identical to the reference, perhaps, for a one-line exercise), not a
    copied code object; it is left to the static check and to the human reader.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    transformer = TransformerManager()
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            code = compile(transformer.transform_cell(cell.source), "<cell>", "exec")
        except (SyntaxError, ValueError, TypeError, RecursionError):
            continue
        stack = [code]
        while stack:
            code = stack.pop()
            found.add(harness.code_fingerprint(code))
            stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return found


def _reference_locations(exercise):
    """[(module, name, source file)] of the exercise's references, for the run-time tripwire."""
    return [(f.__module__, f.__name__, f.__code__.co_filename)
            for f in reference_functions(exercise)]


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
    detected = detect_lesson(defined, exercises)
    lesson = job.lesson or detected
    names = [name for name, exercise in exercises.items() if exercise.notebook == lesson]
    report(LessonReport(lesson=lesson, exercises=names, detected=detected,
                        defines=sorted(n for n, how in defined.items() if how == "def")))
    # Nothing the kernel runs is needed from the file's stored outputs; drop them so a fake
    # "all checks passed" output cannot end up anywhere.
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None

    submission = Submission(job, folder, report)
    submission.nb = nb
    submission.authored = authored_fingerprints(nb)
    try:  # the kernel's working copy of the notebook (students may read their own file)
        shutil.copyfile(job.notebook, submission.folder / "work" / Path(job.notebook).name)
    except OSError:
        pass
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
    from ..check import CHECK_SEED

    name = exercise.name

    def report(score=0.0, max_score=1.0, passed=False, pending=False, feedback=(), note="",
               failure=None, calls=0, mistakes=()):
        submission.report(ExerciseReport(
            name=name, score=float(score), max_score=float(max_score), passed=bool(passed),
            pending=bool(pending), feedback=list(feedback), note=note,
            timed_out=isinstance(failure, CallTimeoutError),
            kernel_died=isinstance(failure, KernelDiedError), calls=calls,
            mistakes=list(mistakes)))

    if delegates:
        return report(max_score=exercise.points, note=delegation_message(name))
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
                              submission.cell_timeout,
                              _reference_fingerprints(exercise) - submission.authored)
    # check() seeds NumPy's and Python's global generators so that a function that (wrongly)
    # uses them behaves the same on every run; do the same where the function runs, with the
    # seed check() uses in the notebook: never the hidden seed or anything derived from it,
    # which a patched seed function would catch and rebuild the hidden cases from.
    submission.run_code(f"{HARNESS_NAME}.seed_globals({int(CHECK_SEED)})",
                        submission._limit(30))
    try:
        result = grade_function(name, function, seed=seed, hidden=True)
    except Exception as error:
        return report(note=f"not graded: the grader failed ({type(error).__name__}: "
                           f"{str(error)[:200]})")
    if function.reference_called:  # the tripwire or the copy watch (kernel.py) saw it
        return report(max_score=result.max_score, note=delegation_message(name))
    failure = function.failure
    note = str(failure) if isinstance(failure, (CallTimeoutError, KernelDiedError)) else ""
    # The one scoring rule, as check applies it in the notebook (hidden cases earn, visible
    # ones can only cost); unrounded: the batch grader rescales it to the registry's points
    # and rounds once.
    score = case_points(result.max_score, result.cases,
                        wrong_algorithm=wrong_algorithm_keys(exercise), rounded=False)
    return report(score, result.max_score, result.passed, result.pending, result.feedback, note,
                  failure, function.calls, result.hints)


def main():
    # Reports go to a private copy of stdout; fd 1 itself is pointed at stderr so that nothing
    # a library prints can be mistaken for a report.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    lock = threading.Lock()
    job = Job.from_json(json.loads(sys.stdin.read()))
    sys.stdin.close()
    # Each report is signed with the job's key, known only to the batch grader and this
    # process: lines that anything else writes into the channel are dropped (protocol.py).
    report_key = bytes.fromhex(job.report_key)
    job.report_key = ""

    def report(message):
        line = sign_report(report_key, json.dumps(message.to_json(), sort_keys=True))
        with lock:
            channel.write(line + "\n")
            channel.flush()

    become_subreaper()
    # The batch grader makes the private folder (and removes it, even if this process is
    # killed); run by hand, the worker makes its own.
    folder = job.folder or tempfile.mkdtemp(prefix="kmeans-lessons-grade-")
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
