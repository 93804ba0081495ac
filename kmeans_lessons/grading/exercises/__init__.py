"""The registry of exercises: what each one is, what it is worth, how it is checked.

``EXERCISES`` maps every exercise name (the name of the function a student writes in the
notebook) to an :class:`Exercise`, in curriculum order. ``exercise.cases(seed, hidden)`` builds
its checks:

* visible cases: small fixed examples, the same for everyone, shown in the notebook's feedback;
* hidden cases (``hidden=True``): randomised from ``seed`` and covering the edge cases -- k = 1,
  d = 1, duplicated points, ties, an empty cluster, integer input, data far from the origin --
  and, where a Python loop over samples is the usual slip, a timing case on a large input that
  runs last.

Random exercises (init_random, init_kmeans_pp, elbow_sweep) are checked by properties and by the
rng contract instead of by equality with the reference. All randomness in a check comes from
``seed``, so a check gives the same verdict every time it runs on the same code.

One module per lesson holds, for each of its exercises, the case builder, the comparator and the
named mistakes (detector + hint text) side by side, ending with a tuple ``EXERCISES`` of its
:class:`Exercise` entries. Helpers several lessons share, and the grader's independent
yardsticks, are in ``_common.py``.

Adding a lesson's exercises
---------------------------
1. Write ``grading/exercises/<topic>.py`` after the pattern of ``distances.py``: per exercise
   ``_<name>_cases(seed, hidden)`` (visible cases, then hidden ones drawn from
   ``_common.case_rng(seed, salt)`` with a salt no other exercise uses, a ``TimingCase`` last),
   a comparator ``(out, expected, case) -> problem or None`` (or one of ``_common``'s), the
   mistake detectors ``(out, case) -> bool`` (helpers in :mod:`..hints`: ``shows``, ``close``,
   ``as_numbers``), and ``NAME = Exercise(..., mistakes=(Mistake(key, hint, detector), ...))``;
   end the module with ``EXERCISES = (NAME, ...)`` in the order the notebook teaches them.
2. Add the module to ``LESSONS`` below, in curriculum order (one line).
``tests/test_hints.py`` then wants one wrong solution per named mistake, and
``tests/test_notebook_lint.py`` a notebook ``notebooks/<lesson>.ipynb`` with these functions.
"""

from dataclasses import dataclass
from typing import Callable

__all__ = ["Exercise", "EXERCISES", "CATALOGUE", "get_exercise"]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    name : the function's name in the notebook; notebook : e.g. "02_distances";
    points : what a full pass is worth; signature : e.g. "pairwise_sq_dists(X, C)";
    summary : one line on what it computes; params : argument names (for mutation reports);
    reference : the reference solution; compare(out, expected, case) -> problem or None;
    build(seed, hidden) -> list of cases; mistakes : its usual mistakes
    (:class:`kmeans_lessons.grading.hints.Mistake`), tried in this order after the common ones
    that come first (see :func:`kmeans_lessons.grading.hints.diagnose`).
    """

    name: str
    notebook: str
    points: int
    signature: str
    summary: str
    params: tuple
    reference: Callable
    compare: Callable
    build: Callable
    mistakes: tuple = ()

    def cases(self, seed=0, hidden=True):
        """The checks for this exercise: the visible ones, then (if ``hidden``) the hidden ones
        randomised from ``seed``, a timing case (if any) always last."""
        return self.build(int(seed), bool(hidden))


# The lesson modules build their Exercise entries from the class above, so they are imported
# after it.
from . import broadcasting, distances, elbow_curves, embeddings, mnist, old_faithful  # noqa: E402
from . import colour_quantisation  # noqa: E402
from . import beyond_one_machine  # noqa: E402

#: The lessons with graded exercises, in curriculum order: one line per lesson module.
LESSONS = (
    broadcasting,   # 01_broadcasting
    distances,      # 02_distances
    old_faithful,   # 03_old_faithful
    elbow_curves,   # 04_elbow_curves
    mnist,          # 05_mnist
    embeddings,     # 06_embeddings
    colour_quantisation,  # 07_colour_quantisation
    beyond_one_machine,  # 08_beyond_one_machine
)

EXERCISES = {exercise.name: exercise for lesson in LESSONS for exercise in lesson.EXERCISES}

#: Every exercise's named mistakes, by exercise name.
CATALOGUE = {name: exercise.mistakes for name, exercise in EXERCISES.items()}


def get_exercise(name):
    """The exercise called ``name``; a ValueError listing the exercises otherwise."""
    if name in EXERCISES:
        return EXERCISES[name]
    by_notebook = {}
    for exercise in EXERCISES.values():
        by_notebook.setdefault(exercise.notebook, []).append(exercise.name)
    listing = "; ".join(f"{nb}: {', '.join(names)}" for nb, names in by_notebook.items())
    raise ValueError(
        f"There is no exercise called {name!r}. Name your function like the exercise, or pass "
        f"exercise=... to check. The exercises are: {listing}."
    )
