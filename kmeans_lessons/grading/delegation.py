"""One rule in ``check`` and in the autograder: handing the work to the package's reference of
the same exercise earns nothing, and both say so with the same words (:func:`message`).

Every notebook imports the reference right above the exercise (``from kmeans_lessons import
pairwise_sq_dists as reference_pairwise_sq_dists``) so that students can compare with it, which
makes ``return reference_pairwise_sq_dists(X, C)`` the tempting path. It used to pass ``check``
and score 0 in the grade; now ``check`` finds it the way the grader does:

* by name (:func:`names_reference`): the function's code refers, through the notebook's
  globals, to a reference of its exercise -- an imported alias, ``kl.assign``, the reference
  itself assigned to the exercise's name. The autograder reads the same from the notebook's
  source (:mod:`kmeans_lessons.grading.autograde.static`);
* at run time (:func:`watching`): while the student's function runs, the references' code
  objects are swapped for a tripwire that records the call (the autograder's kernel harness
  does the same), which catches every other alias.

Calling the reference of *another* exercise (``kmeans`` calling ``kl.update_centers``) is fine.
"""

import sys
import types
from contextlib import contextmanager

__all__ = ["message", "reference_functions", "names_reference", "watching"]


def message(name):
    """The feedback for an exercise function that calls the package's reference."""
    return (f"{name} calls the package's reference implementation (kmeans_lessons.{name}) "
            f"instead of computing the answer itself: 0 points")


def reference_functions(exercise):
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


def _names_used(code):
    """Global and attribute names used by ``code`` and the functions nested in it."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names_used(constant)
    return names


def _is_package_module(value):
    return isinstance(value, types.ModuleType) and (
        value.__name__ == "kmeans_lessons" or value.__name__.startswith("kmeans_lessons."))


def names_reference(fn, references):
    """Does ``fn`` refer to one of ``references``, directly or as ``module.name``?

    ``fn`` itself being a reference counts (``assign = kmeans_lessons.assign``). Names are looked
    up in ``fn``'s globals (the notebook's), as Python would when the function runs.
    """
    if any(fn is reference for reference in references):
        return True
    code = getattr(fn, "__code__", None)
    if not isinstance(code, types.CodeType):
        return False
    namespace = getattr(fn, "__globals__", {})
    used = _names_used(code)
    reference_names = {reference.__name__ for reference in references}
    for name in used:
        value = namespace.get(name)
        if any(value is reference for reference in references):
            return True
        if _is_package_module(value) and any(
                any(getattr(value, attr, None) is reference for reference in references)
                for attr in used & reference_names):
            return True
    return False


@contextmanager
def watching(references):
    """Record calls of ``references`` made inside the block; yields the list of hits.

    Uses the tripwire of the autograder's kernel harness
    (:func:`kmeans_lessons.grading.autograde.kernel._arm_tripwires`), here in this process: the
    student's function still gets the reference's answer, and the hits list says it asked.
    """
    from .autograde.kernel import _arm_tripwires

    hits = []
    locations = [(f.__module__, f.__name__, f.__code__.co_filename) for f in references]
    disarm = _arm_tripwires(locations, hits)
    try:
        yield hits
    finally:
        disarm()
