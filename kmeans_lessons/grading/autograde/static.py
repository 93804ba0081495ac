"""What a notebook defines, read from its code without running it.

The batch grader's worker uses this to tell which lesson a submission is (the lesson whose
exercise functions it defines most of) and whether an exercise function hands its work to the
package's reference implementation of that same exercise, e.g.::

    from kmeans_lessons import assign as reference
    def assign(X, C):
        return reference(X, C)

Such a function scores zero. This static look catches the plain cases (imports under any alias,
``kmeans_lessons.distances.assign``, ``getattr(kmeans_lessons, "assign")``, an assignment
``assign = kl.assign``); the run-time tripwire of :mod:`kmeans_lessons.grading.autograde.kernel`
catches the rest while the function is graded.
"""

import ast

__all__ = ["analyse", "detect_lesson"]




def _python_sources(nb):
    """(cell index, Python source) of each code cell, with IPython syntax (magics) translated."""
    from IPython.core.inputtransformer2 import TransformerManager

    transformer = TransformerManager()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            yield index, transformer.transform_cell(cell.source)
        except Exception:  # IPython could not translate it; the kernel will say why
            yield index, cell.source


def _parse_cells(nb):
    trees = []
    for index, source in _python_sources(nb):
        candidates = [source]
        raw = nb.cells[index].source
        if raw.startswith("%%"):
            # A cell magic (%%time, %%capture...) runs its body as Python in the notebook.
            candidates.append(raw.partition("\n")[2])
        for candidate in candidates:
            try:
                trees.append((index, ast.parse(candidate)))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
    return trees


def _is_package(dotted):
    return dotted == "kmeans_lessons" or dotted.startswith("kmeans_lessons.")


class _Imports:
    """What names the notebook binds to the package: modules, and functions imported by name."""

    def __init__(self, trees):
        self.modules, self.functions = set(), {}
        for _, tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if _is_package(alias.name):
                            self.modules.add(alias.asname or alias.name.split(".")[0])
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    if _is_package(node.module):
                        for alias in node.names:
                            bound = alias.asname or alias.name
                            # `from kmeans_lessons import distances` binds a module; the same
                            # syntax binds a function: keep both readings.
                            self.modules.add(bound)
                            self.functions[bound] = alias.name

    def is_package(self, node):
        """Does the expression evaluate to the package or one of its modules?"""
        if isinstance(node, ast.Name):
            return node.id in self.modules
        if isinstance(node, ast.Attribute):
            return self.is_package(node.value)
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            target = node.args[0].value
            called = ast.unparse(node.func)
            return (called in ("__import__", "importlib.import_module", "import_module")
                    and isinstance(target, str) and _is_package(target))
        return False

    def names_reference(self, node, names, own_name):
        """Does this node name one of ``names`` (a reference function) inside the package?"""
        if isinstance(node, ast.Attribute):
            return node.attr in names and self.is_package(node.value)
        if isinstance(node, ast.Name) and node.id != own_name:
            return self.functions.get(node.id) in names
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "getattr" and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)):
            return node.args[1].value in names and self.is_package(node.args[0])
        return False


def analyse(nb, exercise_names, references):
    """Find the exercise functions a notebook defines, without running it.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The submission.
    exercise_names : iterable of str
        Every exercise name in the registry.
    references : dict
        Exercise name -> set of names the package's reference goes by (``{"assign"}``).

    Returns
    -------
    defined : dict
        Exercise name -> ``"def"`` (defined with ``def`` or by assignment) or ``"import"`` (only
        imported from the package, i.e. the reference itself).
    delegates : dict
        Exercise name -> True when the notebook's definition calls (or is) the package's
        reference of that same exercise.
    """
    trees = _parse_cells(nb)
    imports = _Imports(trees)
    wanted = set(exercise_names)
    definitions = {}
    for _, tree in trees:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in wanted:
                definitions[node.name] = node
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in wanted:
                        definitions[target.id] = node
    defined = {name: "def" for name in definitions}
    delegates = {}
    for name, node in definitions.items():
        names = references.get(name, {name})
        if isinstance(node, ast.Assign):
            # `assign = kmeans_lessons.assign` is the reference itself.
            value = node.value
            delegates[name] = imports.names_reference(value, names, own_name=None)
        else:
            delegates[name] = any(imports.names_reference(sub, names, own_name=name)
                                  for sub in ast.walk(node))
    for bound, original in imports.functions.items():
        if (bound in wanted and bound not in definitions
                and original in references.get(bound, {bound})):
            defined[bound] = "import"
            delegates[bound] = True
    return defined, delegates


def detect_lesson(defined, exercises):
    """The lesson whose exercises the notebook defines most of (ties: the earlier lesson)."""
    counts = {}
    for exercise in exercises.values():
        counts.setdefault(exercise.notebook, 0)
        if defined.get(exercise.name) == "def":
            counts[exercise.notebook] += 1
    best = max(counts.values(), default=0)
    if best == 0:
        return None
    return next(lesson for lesson, count in counts.items() if count == best)
