"""The batch autograder: grade a class's submitted notebooks in one command.

``kmeans-lessons grade SUBMISSIONS... --out grades.csv [--feedback DIR] [--timeout S] [--jobs N]``
(see :mod:`kmeans_lessons.cli`) calls :func:`grade`, which runs :func:`grade_submissions` and
writes ``grades.csv`` (and one feedback file per student).

The parts: :mod:`.batch` (the batch grader), :mod:`.submissions` (which notebooks, which
student each belongs to), :mod:`.results` (grades, CSV, feedback), :mod:`.report` (the class
report), :mod:`.gradescope` (the Gradescope autograder),
:mod:`.protocol` (the typed job and reports between batch and worker), :mod:`.worker` (one
submission: running its notebook, grading its exercises), :mod:`.calls` (calling its functions
in the kernel), :mod:`.processes` (its processes and their memory), :mod:`.kernel` (the code
the worker runs inside the kernel, and the exchange format), :mod:`.sandbox` (the kernel's
launcher: limits, cgroup), :mod:`.bwrap` (the namespace sandbox around the kernel),
:mod:`.cgroup` (the submission's memory and process caps), :mod:`.static` (reading a
notebook's code without running it) and :mod:`.cluster` (the same, one Dask task per
submission: ``--scheduler``).

Trust boundary
--------------
Three kinds of process take part, and student code runs only in the last one:

batch grader (:mod:`.batch`), this process
    Lists the submissions, derives each one's secret seeds, starts one worker per submission
    (``--jobs`` at a time, with a tqdm progress bar), kills a worker that overruns its time
    budget together with everything it started, and writes the results. It never reads a
    submission's notebook, and it refuses to run (:class:`SandboxUnavailable`, saying how to
    install bubblewrap) when the sandbox cannot be set up, unless told ``sandbox=False``
    (``--no-sandbox``), which every row's message then records.
worker (:mod:`.worker`), one per submission
    Our code only. Reads the notebook, runs it in a kernel and grades each exercise with
    ``grade_function``: the hidden cases and the expected answers are computed *in the worker*,
    from the reference implementation the worker imported, with this submission's seeds. The
    student's function is called in the kernel on those inputs; only its return value comes
    back, as JSON and ``.npy`` data read with ``allow_pickle=False`` (from regular files only,
    never through a link), and it is compared in the worker. Nothing the kernel prints,
    displays, stores in the file or patches is read. A function that delegates to the package's
    reference of the same exercise scores zero, found three ways: statically (its code refers
    to ``kmeans_lessons....<exercise>``), by a tripwire (the reference's code object is swapped
    during the call, which catches every alias) and by a copy watch (a profile hook that sees any
    code with the reference's fingerprint run, so a copied code object is caught however it was
    made; code the notebook itself writes out is the student's own). Reports are signed with a
    key from the job; a worker killed by a signal is *crashed* and nothing it reported counts.
kernel, started through ``sandbox.py`` inside bubblewrap (:mod:`.bwrap`)
    Runs the student's notebook as uid 65534 with no capabilities, process 1 of its own pid
    namespace, with no network but its loopback, seeing only ``/usr``, the interpreter, the
    environment and the package (read-only), size-capped ``/tmp`` and ``/dev/shm``, and its
    private folder (where the folder the worker writes inputs to is read-only). The grader, the
    workers, the other kernels, the key, grades.csv, the feedback folder and the other
    submissions are not in its world. Its cgroup (:mod:`.cgroup`) caps the memory of all its
    processes, shared memory and the files it writes included, and their number, and gives it
    an equal share of the processors however many processes it runs. The batch grader makes
    the cgroup and the private folder, and removes both (killing whatever is left in the
    cgroup) once the worker has exited, however it exited, before the row is written. Also:
    ``RLIMIT_AS`` (a memory bomb becomes a ``MemoryError`` in the student's cell), a
    file-size cap, no standard streams, one BLAS thread, and a memory watchdog in the worker.

The hidden cases are drawn with a seed derived from a secret key (``--key-file``, the
``KMEANS_LESSONS_GRADING_KEY`` environment variable, or a key created once in the grader's
config folder), the exercise name and the submission's name, so grading the same files twice
gives the same ``grades.csv``, and answers that leaked for one student fit no other. Neither
the key nor a seed reaches the kernel: before the calls the kernel's global generators are
seeded with ``check``'s public seed. ``grade_function`` also runs the fixed visible cases that
``check`` shows in the notebook. Points follow the one scoring rule
(:mod:`kmeans_lessons.grading.scoring`), the same ``check`` applies: the hidden cases earn them,
and a visible case can only cost them (its answer is public and could be memorised, but a red
check in the notebook never becomes full points). Memorising every case ``check`` shows
therefore earns nothing.

Speed cases do not use a clock: the kernel's harness counts the Python-level work of the
student's call at two input sizes (:mod:`kmeans_lessons.grading.workcount`), so the verdict is
the same with ``--jobs 1`` on a quiet machine and with ``--jobs 8`` on a busy one.

Not covered: a student who rewrites the harness inside their own kernel can hide a call of the
reference from the run-time checks (the static check remains); identical source text is not a
copied object; the copy watch steps aside during a speed case's counted call (whose hooks take
the profiler's place; the same function runs watched in every other case). Without the sandbox
(``--no-sandbox``) a kernel runs as the grader's user and the OS-level attacks the sandbox stops
(reading the key, signalling or reading other processes, editing the package) are possible
again; the package fingerprint (sources and bytecode) then flags a changed package.

Status of a submission
----------------------
``graded``   the notebook ran (cells that raised included) and every exercise was graded;
``timeout``  a cell or a graded call ran past ``--timeout`` and was interrupted, or the
             submission's whole time budget ran out; what could be graded is graded;
``crashed``  the kernel died (``os._exit``, a crash, the memory watchdog) and had to be replaced,
             or the worker itself stopped; what could be graded is graded;
``invalid``  the file is not a notebook; every exercise scores 0.
"""

from .batch import (NO_SANDBOX_NOTE, STATUSES, NoCgroupWarning, PackageChangedWarning,
                    SandboxUnavailable, exercise_seed, grade, grade_submissions, load_key,
                    package_fingerprint)
from .submissions import Submission, collect_submissions
from .results import (ExerciseGrade, SubmissionGrade, feedback_text, grades_csv, write_feedback,
                      write_grades)

__all__ = [
    "ExerciseGrade",
    "SubmissionGrade",
    "Submission",
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
    "NoCgroupWarning",
    "SandboxUnavailable",
    "NO_SANDBOX_NOTE",
]
