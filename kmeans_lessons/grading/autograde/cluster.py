"""Grading on a Dask cluster: one task per submission, each graded as on one machine.

``kmeans-lessons grade ... --scheduler tcp://HOST:8786`` (or ``$KMEANS_LESSONS_SCHEDULER``, the
variable :func:`kmeans_lessons.scale.local_cluster` reads) makes :func:`.batch.grade_submissions`
call :func:`grade_on_cluster` instead of its thread pool. Each task runs
:func:`.batch.grade_one`, the batch's own unit, on a Dask worker: the submission's cgroup,
private folder and sandboxed worker process are made and removed on that worker's machine, so
everything in the trust boundary of :mod:`kmeans_lessons.grading.autograde` holds there.

What travels to a Dask worker is what the per-submission worker already receives in its Job:
the notebook's path (the submissions must be on a file system the workers share, e.g. NFS, at
the same path), the submission's seeds (derived here from the key; the key itself stays in this
process) and the grading settings. The report key is made on the Dask worker, per submission,
as on one machine. The progress bar, the rows, ``grades.csv`` and the feedback are the batch's.

A submission whose Dask worker is lost (its machine or process dies) is sent once more; lost
twice, its row is *crashed* with a message saying to grade it again. (The scheduler first
re-runs a task whose worker died by itself, up to its ``distributed.scheduler.allowed-failures``
times, default 3, before it reports ``KilledWorker``: that report is what the grader counts.)
The per-submission worker runs in a session of its own, as on one machine: when its Dask worker
dies it runs on until its own time budget stops it (its kernel dies with it), and its private
folder and emptied cgroup are left for the machine's temporary-file cleanup.
"""

import os
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .batch import (NoCgroupWarning, SandboxUnavailable, _compile_package,
                    _font_caches, _no_cgroup_message, _note_package_changed, grade_one,
                    package_fingerprint, submission_seeds)
from .bwrap import check_sandbox
from .cgroup import open_cgroups
from .results import SubmissionGrade

__all__ = ["grade_on_cluster", "CONNECT_TIMEOUT", "ATTEMPTS"]

#: Seconds to wait for the scheduler to answer.
CONNECT_TIMEOUT = 10
#: Times one submission is sent to a Dask worker before its row says the workers were lost.
ATTEMPTS = 2


# ------------------------------------------------------------------------------------------
# On the Dask worker's machine


@dataclass
class _Machine:
    """What a Dask worker process finds out once about the machine it grades on."""

    problem: str  # why the sandbox cannot run here, or ""
    cgroups: object  # the parent from open_cgroups(), or None
    cgroup_reason: str  # why there is no cgroup, or ""
    font_caches: list
    fingerprint: str  # of the package as this process first saw it
    changed: bool = False  # a row of this process already says the package changed


_machine = None  # one per Dask worker process (a restarted worker finds out again)


def _this_machine(sandbox):
    global _machine
    if _machine is None:
        problem, cgroups, reason = "", None, ""
        if sandbox:
            try:
                check_sandbox()
                cgroups, reason = open_cgroups()
            except SandboxUnavailable as error:
                problem = str(error)
        _compile_package()
        _machine = _Machine(problem, cgroups, reason, _font_caches(), package_fingerprint())
    return _machine


def _prepare(sandbox):
    """Run on every Dask worker before the first task: (host, sandbox problem, cgroup reason)."""
    machine = _this_machine(sandbox)
    return socket.gethostname(), machine.problem, machine.cgroup_reason


def _grade_task(path, seeds, settings):
    """One Dask task: the row of the submission at ``path`` (an absolute path)."""
    machine = _this_machine(settings["sandbox"])
    stem, host = Path(path).stem, socket.gethostname()
    if machine.problem:
        return SubmissionGrade(stem, path, "crashed",
                               f"grader error: the sandbox cannot run on {host}: "
                               f"{machine.problem}")
    if not os.path.exists(path):
        return SubmissionGrade(
            stem, path, "crashed",
            f"grader error: {path} is not on the Dask worker's machine {host}; the submissions "
            f"must be on a file system the workers share, at the same path")
    result = grade_one(path, seeds, dict(settings, font_caches=machine.font_caches),
                       cgroups=machine.cgroups)
    if not machine.changed and package_fingerprint() != machine.fingerprint:
        machine.changed = True
        _note_package_changed(result)
    return result


# ------------------------------------------------------------------------------------------
# In the batch grader's process


def _connect(scheduler):
    from distributed import Client

    from ... import scale

    source = "--scheduler" if scheduler != os.environ.get(scale.SCHEDULER_VARIABLE) \
        else f"${scale.SCHEDULER_VARIABLE}"
    return scale._connect(Client, scheduler, source, CONNECT_TIMEOUT)


def _check_workers(client, sandbox):
    """Refuse to grade when a worker cannot sandbox; warn once when one has no cgroup."""
    found = client.run(_prepare, sandbox)
    if not found:
        raise ConnectionError(
            f"the Dask scheduler at {client.scheduler.address} has no workers; start some "
            f"with `dask worker {client.scheduler.address}` and grade again.")
    for address, (host, problem, reason) in sorted(found.items()):
        if problem:
            raise SandboxUnavailable(f"on the Dask worker {address} ({host}): {problem}")
    for address, (host, problem, reason) in sorted(found.items()):
        if reason:
            warnings.warn(f"on the Dask worker {address} ({host}): {_no_cgroup_message(reason)}",
                          NoCgroupWarning, stacklevel=4)
            break


def _lost_row(path, error):
    return SubmissionGrade(
        Path(path).stem, str(path), "crashed",
        f"the Dask worker grading it was lost {ATTEMPTS} times ({type(error).__name__}: "
        f"{error}); grade this submission again")


def grade_on_cluster(paths, scheduler, key, registry, settings, progress):
    """The rows of ``paths`` (:class:`.submissions.Submission`), each graded by one task on the
    Dask cluster at ``scheduler`` and named by its student.

    Called by :func:`.batch.grade_submissions` with its checked inputs; returns the rows in
    the order they finished (rows whose message ends with ``PACKAGE_CHANGED_NOTE`` saw the
    package on their machine change).
    """
    from distributed import as_completed

    client = _connect(scheduler)
    try:
        _check_workers(client, settings["sandbox"])
        attempts, path_of = {}, {}  # submission path -> tasks sent; task key -> path

        student_of = {submission.path: submission.student for submission in paths}
        paths = list(student_of)

        def send(path):
            attempts[path] = attempts.get(path, 0) + 1
            # Only the path, the seeds (never the key) and the settings travel.
            future = client.submit(_grade_task, str(Path(path).resolve()),
                                   submission_seeds(key, registry, student_of[path]), settings,
                                   pure=False)
            path_of[future.key] = path
            return future

        results = []
        bar = tqdm(total=len(paths), desc="grading", unit="notebook", disable=not progress)
        running = as_completed([send(path) for path in paths], with_results=False)
        for future in running:
            path = path_of.pop(future.key)
            try:
                result = future.result()
            except Exception as error:  # the worker was lost (KilledWorker) or the task failed
                if attempts[path] < ATTEMPTS:
                    running.add(send(path))
                    continue
                result = _lost_row(path, error)
            finally:
                future.release()
            result.path = str(path)  # as given, as on one machine
            result.submission = student_of[path]  # the row is named by the student
            results.append(result)
            bar.set_postfix_str(f"{result.submission}: {result.status}", refresh=False)
            bar.update()
        bar.close()
        return results
    finally:
        client.close()

