"""The batch autograder: grade a class's submitted notebooks in one command.

``kmeans-lessons grade SUBMISSIONS... --out grades.csv [--feedback DIR] [--timeout S] [--jobs N]``
(see :mod:`kmeans_lessons.cli`) calls :func:`grade`, which runs :func:`grade_submissions` and
writes ``grades.csv`` (and one feedback file per student).

The parts: :mod:`.batch` (the batch grader), :mod:`.results` (grades, CSV, feedback),
:mod:`.protocol` (the typed job and reports between batch and worker), :mod:`.worker` (one
submission: running its notebook, grading its exercises), :mod:`.calls` (calling its functions
in the kernel), :mod:`.processes` (its processes and their memory), :mod:`.kernel` (the code
the worker runs inside the kernel, and the exchange format), :mod:`.sandbox` (the kernel's
launcher) and :mod:`.static` (reading a notebook's code without running it).

Trust boundary
--------------
Three kinds of process take part, and student code runs only in the last one:

batch grader (:mod:`.batch`), this process
    Lists the submissions, derives the secret seeds, starts one worker per submission (``--jobs``
    at a time, with a tqdm progress bar), kills a worker that overruns its time budget together
    with everything it started, and writes the results. It never reads a submission's notebook.
worker (:mod:`.worker`), one per submission
    Our code only. Reads the notebook, runs it in a kernel and grades each exercise with
    ``grade_function``: the hidden cases and the expected answers are computed *in the worker*,
    from the reference implementation the worker imported, with a seed derived here. The
    student's function is called in the kernel on those inputs; only its return value comes
    back, as JSON and ``.npy`` data read with ``allow_pickle=False``, and it is compared in the
    worker. Nothing the kernel prints, displays, stores in the file or patches is read: a
    student who redefines ``check``, monkeypatches NumPy or the package inside the notebook, or
    saves fake outputs gains nothing. A function that delegates to the package's reference of
    the same exercise scores zero, found two ways: statically (the function's code refers to
    ``kmeans_lessons....<exercise>``) and at run time (the reference's code object is swapped for
    a tripwire during the call, which catches every alias).
kernel, started through ``sandbox.py``
    Runs the student's notebook: own session, ``RLIMIT_AS`` memory cap (a memory bomb becomes a
    ``MemoryError`` in the student's cell), file-size cap, no standard streams, a private working
    folder and HOME, one BLAS thread. A watchdog in the worker kills the submission's processes
    if together they exceed the cap; the worker is a child subreaper, so processes that detach
    are still found and killed when the submission is done.

The hidden cases are drawn with a seed derived from a secret key (``--key-file``, the
``KMEANS_LESSONS_GRADING_KEY`` environment variable, or a key created once in the grader's
config folder) and the exercise name, so grading the same files twice gives the same
``grades.csv``. The key never reaches the kernel's environment. ``grade_function`` also runs the
fixed visible cases that ``check`` shows in the notebook; their answers can be memorised, so
points come from the hidden cases only (the exercise's points times the share of hidden cases
passed). Memorising every case ``check`` shows therefore earns nothing.

Timing cases compare the student's function with the reference on a large input. The time of
the student's call is measured here, in the worker, around the one request that runs it in the
kernel, minus the round trip of an empty request (at most 10 ms); moving the inputs and the
result is not counted (see ``GraderClock`` in the worker).

Not covered: a kernel runs as the same operating-system user as the grader, so a submission
that deliberately attacks the grader's processes or files at the operating-system level (reading
the key file, ptrace, /proc/<pid>/mem, connecting to another kernel) is outside what this design
stops. For that, run ``kmeans-lessons grade`` as a dedicated user or inside a container.

Status of a submission
----------------------
``graded``   the notebook ran (cells that raised included) and every exercise was graded;
``timeout``  a cell or a graded call ran past ``--timeout`` and was interrupted, or the
             submission's whole time budget ran out; what could be graded is graded;
``crashed``  the kernel died (``os._exit``, a crash, the memory watchdog) and had to be replaced,
             or the worker itself stopped; what could be graded is graded;
``invalid``  the file is not a notebook; every exercise scores 0.
"""

from .batch import (STATUSES, PackageChangedWarning, collect_submissions, exercise_seed, grade,
                    grade_submissions, load_key, package_fingerprint)
from .results import (ExerciseGrade, SubmissionGrade, feedback_text, grades_csv, write_feedback,
                      write_grades)

__all__ = [
    "ExerciseGrade",
    "SubmissionGrade",
    "collect_submissions",
    "load_key",
    "exercise_seed",
    "grade_submissions",
    "grade",
    "grades_csv",
    "feedback_text",
    "write_grades",
    "write_feedback",
    "STATUSES",
    "package_fingerprint",
    "PackageChangedWarning",
]
