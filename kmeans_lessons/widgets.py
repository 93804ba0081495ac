"""Interactive widgets: step through k-means one half-step at a time.

:class:`KMeansStepper` puts ipywidgets controls (a step slider, a Play button, k, init and seed,
a restart button) above a figure drawn by :class:`kmeans_lessons.plotting.StepperPlot`. The run
is computed once, when the settings change; moving the slider only replays the stored history.
With ``assign=`` / ``update=`` it replays a student's own functions instead of the reference, and
says where they go wrong.

How it is displayed: the figure is rendered with Agg to PNG bytes and shown in an
``ipywidgets.Image`` (CSS class ``kmeans-stepper-figure``; the whole stepper is a ``VBox`` with
class ``kmeans-stepper``). No ipympl, no pyplot: the figure never prints itself, and executing a
notebook without a browser (nbclient, nbval, the autograder) cannot hang on it; Play is linked to
the slider in the browser (``jslink``), so it needs no kernel thread either.

Taught in notebook 03 (Old Faithful).
"""

import html
import numbers
import warnings
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np

from ._validation import as_samples, check_k, check_labels
from .algorithm import (
    HalfStep,
    _check_loop_settings,
    kmeans,
    labelled_loss,
    lloyd,
    update_centers,
)
from .distances import assign as reference_assign
from .initialisation import INITIALISERS
from .plotting import MAX_CLUSTERS, Projection, StepperPlot

__all__ = ["KMeansStepper", "Replay", "replay_kmeans", "INIT_NAMES"]

#: The initialisations the stepper offers, in the order of its dropdown.
INIT_NAMES = tuple(INITIALISERS)
#: Largest seed the seed box accepts (the browser's integer widgets are 32-bit).
MAX_SEED = 2**31 - 1
#: J may rise by this relative amount between half-steps before it counts as going up: sums of
#: squares in a different order differ in the last digits.
_RISE_TOLERANCE = 1e-9


# --- building the history ------------------------------------------------------------------


class StepperFunctionError(Exception):
    """A student's assign/update given to the stepper raised or returned something unusable; the
    message says which (and is shown under the stepper)."""


@dataclass
class Replay:
    """A run of k-means ready to be replayed.

    steps : list of HalfStep ("init", then "assign"/"update" alternating; see
        :meth:`kmeans_lessons.algorithm.KMeansResult.half_steps`)
    converged : True when the tolerance stopped the run (False: max_iter, or an error)
    error : None, or what went wrong in the student's code (the run stops there)
    rises : list of (step, text): half-steps where J went up, which correct code never does
    """

    steps: list
    converged: bool
    error: object = None
    rises: list = field(default_factory=list)

    @property
    def n_iter(self):
        """Number of update half-steps in the run."""
        return sum(s.kind == "update" for s in self.steps)


def _call_text(fn, role, arguments):
    """How a student's function is named in messages: "your my_assign(X, C)"."""
    name = getattr(fn, "__name__", None)
    if not name or not name.isidentifier():  # a lambda or a callable object
        return f"your {role} function, called as {role}({arguments}),"
    return f"your {name}({arguments})"


class _StudentFunctions:
    """Calls a student's ``assign(X, C)`` / ``update(X, labels, C)`` and checks what comes back.

    Each call gets fresh copies of the centres and labels, and a read-only X, so a function that
    modifies its inputs cannot change the history already recorded.
    """

    def __init__(self, X, assign, update):
        self.X = X.copy()
        self.X.flags.writeable = False
        self.assign, self.update = assign, update
        self.assign_name = _call_text(assign, "assign", "X, C")
        self.update_name = _call_text(update, "update", "X, labels, C")

    def _call(self, fn, name, *args):
        try:
            with warnings.catch_warnings():
                # The NaN a mean of no samples gives is reported below; the warning adds nothing.
                warnings.simplefilter("ignore", RuntimeWarning)
                return fn(*args)
        except Exception as error:
            hint = ""
            if isinstance(error, ValueError) and "read-only" in str(error):
                hint = " It tried to change X in place; compute a new array instead."
            raise StepperFunctionError(f"{name} raised {type(error).__name__}: {str(error).rstrip('.')}.{hint}") \
                from error

    def labels_for(self, C):
        """Labels (n,) of the samples for centres C (k, d)."""
        n, k = self.X.shape[0], C.shape[0]
        if self.assign is None:
            return reference_assign(self.X, C)
        name = self.assign_name
        out = self._call(self.assign, name, self.X, C.copy())
        if out is None:
            raise StepperFunctionError(f"{name} returned None: did you forget `return`?")
        out = np.asarray(out)
        if out.shape != (n,):
            hint = (" It looks like a column or row of labels: flatten it with .ravel() or take "
                    "argmin without keepdims." if out.size == n else
                    " Take argmin over the axis of the centres (axis=1 of an (n, k) table).")
            raise StepperFunctionError(
                f"{name} returned shape {out.shape}, expected ({n},): one label per "
                f"sample of X.{hint}")
        try:
            return check_labels(out, n, k)
        except (TypeError, ValueError) as error:
            raise StepperFunctionError(f"{name} returned unusable labels: {error}") from None

    def centers_for(self, labels, C):
        """New centres (k, d) from labels (n,) and the current centres C (k, d)."""
        if self.update is None:
            return update_centers(self.X, labels, C)
        name = self.update_name
        k, d = C.shape
        out = self._call(self.update, name, self.X, labels.copy(), C.copy())
        if out is None:
            raise StepperFunctionError(f"{name} returned None: did you forget `return`?")
        try:
            out = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise StepperFunctionError(
                f"{name} returned something that is not an array of numbers "
                f"({type(out).__name__}); return a ({k}, {d}) array.") from None
        if out.shape != (k, d):
            hint = " It looks transposed." if out.shape == (d, k) else ""
            raise StepperFunctionError(
                f"{name} returned shape {out.shape}, expected ({k}, {d}): one row "
                f"per centre, one column per feature.{hint}")
        bad = np.flatnonzero(~np.isfinite(out).all(axis=1))
        if bad.size:
            empty = [int(j) for j in bad if not np.any(labels == j)]
            hint = (f" Cluster(s) {empty} had no members: the mean of no samples is NaN. Keep "
                    f"the previous centre of an empty cluster." if empty else "")
            raise StepperFunctionError(
                f"{name} returned NaN or infinity for centre(s) "
                f"{bad.tolist()}.{hint}")
        return out


def _find_rises(steps):
    """(step, text) for every half-step whose J is above the previous half-step's J."""
    rises = []
    previous = None
    for i, s in enumerate(steps):
        if s.loss is None:
            continue
        if previous is not None and s.loss > previous * (1 + _RISE_TOLERANCE) + 1e-300:
            what = ("each point must join its NEAREST centre" if s.kind == "assign"
                    else "each centre must move to the MEAN of its points")
            rises.append((i, f"J went up at half-step {i} ({s.kind}: {previous:.6g} -> "
                             f"{s.loss:.6g}); a correct {s.kind} never increases J: {what}."))
        previous = s.loss
    return rises


def replay_kmeans(X, init_centers, assign=None, update=None, max_iter=100, tol=1e-4):
    """Run k-means and record it half-step by half-step, with the reference or a student's code.

    Parameters
    ----------
    X : float array of shape (n, d)
        Samples, already validated (see :func:`kmeans_lessons._validation.as_samples`).
    init_centers : array of shape (k, d)
        Starting centres.
    assign : callable ``assign(X, C) -> labels (n,)``, optional
        Replaces the reference assignment step.
    update : callable ``update(X, labels, C) -> centers (k, d)``, optional
        Replaces the reference update step.
    max_iter, tol
        The reference stopping rule: stop after the first update whose relative decrease of J,
        (J_prev - J) / J, is at most ``tol`` (or J == 0), or after ``max_iter`` updates.

    Returns
    -------
    replay : Replay
        With neither function given, exactly ``kmeans(X, init_centers, max_iter, tol)
        .half_steps()``. Otherwise the same structure built from the student's functions; if one
        raises or returns something unusable, the steps so far are kept and ``error`` says what
        happened. J is always computed here, from the labels and centres shown.

    Taught in notebook 03 (Old Faithful).
    """
    if assign is None and update is None:
        result = kmeans(X, init_centers, max_iter=max_iter, tol=tol)
        return Replay(result.half_steps(), result.converged)

    code = _StudentFunctions(X, assign, update)
    steps = [HalfStep("init", np.array(init_centers, dtype=np.float64), None, None, 0)]

    def assign_step(C):
        labels = code.labels_for(C)
        return labels, labelled_loss(X, C, labels)

    def record(kind, centers, labels, loss, iteration):
        if kind == "update":  # J of the moved centres with the labels they came from
            loss = labelled_loss(X, centers, labels)
        steps.append(HalfStep(kind, centers, labels, loss, iteration))

    converged, error = False, None
    try:
        run = lloyd(steps[0].centers, assign_step, code.centers_for, max_iter, tol,
                    on_half_step=record)
        converged = run.converged
    except StepperFunctionError as problem:
        error = str(problem)
    return Replay(steps, converged, error, _find_rises(steps))


# --- the widget ----------------------------------------------------------------------------


def _feature_names(X):
    """Column names of a DataFrame (for the axis labels), else None."""
    columns = getattr(X, "columns", None)
    return [str(c) for c in columns] if columns is not None else None


def _check_settings(k, init, seed, n):
    """Validate the three settings the controls can change; return k as an int."""
    k = check_k(k, n)
    if k > MAX_CLUSTERS:
        raise ValueError(
            f"k={k} is too many for the stepper: it has {MAX_CLUSTERS} colours that can be told "
            f"apart, so choose k <= {MAX_CLUSTERS} (kmeans() itself has no such limit).")
    if init not in INIT_NAMES:
        raise ValueError(f"init must be one of {list(INIT_NAMES)}, got {init!r}.")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) \
            or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}.")
    return k


def _check_function(fn, name, signature):
    if fn is not None and not callable(fn):
        raise TypeError(
            f"{name} must be a function {signature} (or None for the reference), got "
            f"{type(fn).__name__}. Pass the function itself, without calling it: "
            f"{name}={name}, not {name}={name}(...).")


class KMeansStepper:
    """Step through k-means one half-step (assign, update) at a time.

    Shows a control row (step slider, Play, k, init, seed, restart) above a figure: the samples
    coloured by cluster, the region of each centre shaded, each centre with its trail, and the
    loss J after every half-step with the current one marked. The run is computed when the
    settings change; the slider replays it.

    Parameters
    ----------
    X : array of shape (n, d) or DataFrame, d >= 2
        Samples. With d > 2 the picture is the projection onto the first two principal
        components (the axes say so). A DataFrame's column names label the axes.
    k : int, default 3
        Number of clusters, 1 <= k <= min(10, n).
    init : {"k-means++", "random", "farthest"}, default "k-means++"
        How the starting centres are chosen (see :mod:`kmeans_lessons.initialisation`).
    seed : int, default 0
        Seed of ``np.random.default_rng`` for the starting centres, 0 <= seed < 2**31.
    assign : callable ``assign(X, C) -> labels (n,)``, optional
        Your own assignment step, replayed instead of the reference.
    update : callable ``update(X, labels, C) -> centers (k, d)``, optional
        Your own update step, replayed instead of the reference.
    max_iter : int, default 100
    tol : float, default 1e-4
        The stopping rule of :func:`kmeans_lessons.kmeans`.

    Attributes
    ----------
    step_slider : ipywidgets.IntSlider
        The half-step shown, 0 .. len(history) - 1; set its ``value`` to move.
    figure : matplotlib.figure.Figure
        The figure (its artists are on ``plot``: points, centres, trails, regions, loss_marker).
    history : list of HalfStep
        The run being replayed; ``replay`` also holds ``converged``, ``error`` and ``rises``.
    play, k_input, init_dropdown, seed_input, restart_button, message, image : widgets
        ``restart_button`` starts again from the next seed; ``message`` says how the run ended
        and what went wrong in your code; ``image`` holds the PNG of the figure.
    widget : ipywidgets.VBox
        Everything together; displaying the stepper displays this.

    Examples
    --------
    >>> stepper = KMeansStepper(X, k=2)                  # doctest: +SKIP
    >>> stepper.step_slider.value = 3                    # doctest: +SKIP
    >>> KMeansStepper(X, k=2, assign=my_assign)          # doctest: +SKIP

    Taught in notebook 03 (Old Faithful).
    """

    def __init__(self, X, k=3, init="k-means++", seed=0, assign=None, update=None, *,
                 max_iter=100, tol=1e-4):
        names = _feature_names(X)
        self.X = as_samples(X)
        n, d = self.X.shape
        if d < 2:
            raise ValueError(
                f"X has {d} feature; the stepper draws samples in a plane, so it needs at least "
                f"2 columns (for 1-D data add a second column, e.g. np.c_[x, np.zeros_like(x)]).")
        k = _check_settings(k, init, seed, n)
        _check_function(assign, "assign", "assign(X, C) -> labels")
        _check_function(update, "update", "update(X, labels, C) -> centers")
        _check_loop_settings(max_iter, tol)
        self.assign, self.update = assign, update
        self.max_iter, self.tol = max_iter, tol

        self.plot = StepperPlot(self.X, Projection(self.X, names))
        self.figure = self.plot.figure
        self._build_controls(k, init, seed, n)
        self._run()

    # --- controls ----------------------------------------------------------------------------

    def _build_controls(self, k, init, seed, n):
        short = {"description_width": "initial"}
        self.step_slider = widgets.IntSlider(value=0, min=0, max=1, description="half-step",
                                             style=short, layout=widgets.Layout(width="420px"))
        self.play = widgets.Play(value=0, min=0, max=1, interval=700, description="play")
        # Linked in the browser: Play ticks without any thread in the kernel.
        self._play_link = widgets.jslink((self.play, "value"), (self.step_slider, "value"))
        self.k_input = widgets.BoundedIntText(value=k, min=1, max=min(MAX_CLUSTERS, n),
                                              description="k", style=short,
                                              layout=widgets.Layout(width="90px"))
        self.init_dropdown = widgets.Dropdown(options=INIT_NAMES, value=init, description="init",
                                              style=short, layout=widgets.Layout(width="170px"))
        self.seed_input = widgets.BoundedIntText(value=seed, min=0, max=MAX_SEED,
                                                 description="seed", style=short,
                                                 layout=widgets.Layout(width="130px"))
        self.restart_button = widgets.Button(description="restart (next seed)", icon="refresh",
                                             tooltip="Start again from new initial centres")
        self.message = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.image.add_class("kmeans-stepper-figure")

        self.step_slider.observe(self._on_step, names="value")
        for control in (self.k_input, self.init_dropdown, self.seed_input):
            control.observe(self._on_settings, names="value")
        self.restart_button.on_click(self._on_restart)

        self.widget = widgets.VBox([
            widgets.HBox([self.play, self.step_slider]),
            widgets.HBox([self.k_input, self.init_dropdown, self.seed_input,
                          self.restart_button]),
            self.message,
            self.image,
        ])
        self.widget.add_class("kmeans-stepper")

    @property
    def k(self):
        """Number of clusters of the run shown."""
        return self.k_input.value

    @property
    def init(self):
        """Initialisation of the run shown."""
        return self.init_dropdown.value

    @property
    def seed(self):
        """Seed of the run shown."""
        return self.seed_input.value

    def _on_step(self, change):
        self._show(change["new"])

    def _on_settings(self, change):
        self._run()

    def _on_restart(self, button=None):
        # Changing the seed triggers _on_settings, which recomputes the run.
        self.seed_input.value = self.seed + 1 if self.seed < MAX_SEED else 0

    # --- the run -----------------------------------------------------------------------------

    def _run(self):
        """Recompute the history for the current settings and show its first half-step."""
        k = _check_settings(self.k, self.init, self.seed, self.X.shape[0])
        rng = np.random.default_rng(self.seed)
        init_centers = INITIALISERS[self.init](self.X, k, rng)
        self.replay = replay_kmeans(self.X, init_centers, self.assign, self.update,
                                    self.max_iter, self.tol)
        self.history = self.replay.steps
        self.plot.set_history(self.history, describe=self._describe(),
                              messages=self._title_messages())
        last = len(self.history) - 1
        # Widen the slider before moving it, and move it without triggering a second frame.
        self.step_slider.unobserve(self._on_step, names="value")
        try:
            self.step_slider.value = 0
            self.step_slider.max = last
            self.step_slider.disabled = last == 0
            self.play.value = 0
            self.play.max = last
        finally:
            self.step_slider.observe(self._on_step, names="value")
        self.message.value = self._message_html()
        self._show(0)

    def _describe(self):
        parts = [f"k={self.k}", self.init, f"seed {self.seed}"]
        mine = [name for name, fn in (("assign", self.assign), ("update", self.update))
                if fn is not None]
        if mine:
            parts.append("your " + " + ".join(mine))
        return ", ".join(parts)

    def _title_messages(self):
        messages = {}
        for step, _ in self.replay.rises:
            messages[step] = "J WENT UP"
        if self.replay.error:
            last = len(self.history) - 1
            messages[last] = "your code failed after this step (see the message above)"
        return messages

    def _message_html(self):
        replay = self.replay
        updates = replay.n_iter
        if replay.error:
            lines = [f"<b style='color:#b00'>Stopped after half-step {len(self.history) - 1}:"
                     f"</b> {html.escape(replay.error)}"]
        elif replay.converged:
            lines = [f"Converged after {updates} update(s): {len(self.history)} half-steps."]
        else:
            lines = [f"Stopped at max_iter={self.max_iter} updates before converging: "
                     f"{len(self.history)} half-steps."]
        lines += [f"<b style='color:#b00'>Warning:</b> {html.escape(text)}"
                  for _, text in replay.rises[:3]]
        return "<br>".join(lines)

    def _show(self, step):
        self.plot.show(step)
        self.image.value = self.plot.to_png()

    # --- display -----------------------------------------------------------------------------

    def __repr__(self):
        n, d = self.X.shape
        return (f"KMeansStepper(n={n}, d={d}, k={self.k}, init={self.init!r}, seed={self.seed}, "
                f"{len(self.history)} half-steps)")

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # The box's own text would list every child widget; this one is short and stable.
        bundle["text/plain"] = repr(self)
        return bundle

    def close(self):
        """Close every widget of the stepper (frees them in the kernel and the browser)."""
        self.widget.close()
        for control in (self.play, self.step_slider, self.k_input, self.init_dropdown,
                        self.seed_input, self.restart_button, self.message, self.image,
                        self._play_link):
            control.close()
