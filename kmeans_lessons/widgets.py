"""Interactive widgets: step through k-means one half-step at a time.

:class:`KMeansStepper` computes a run in Python (the reference, or a student's own ``assign`` /
``update``, with a message saying where they go wrong) and hands the whole run to the browser
at once, as data (:mod:`kmeans_lessons.frames`). The slider, Play and the drawing then run in
JavaScript, in :class:`StepperView`, an anywidget whose ES module ships inside the package
(``static/stepper.js``): stepping costs the kernel nothing and works where no kernel runs at all
(the static course site built by :mod:`kmeans_lessons.site`, a saved notebook). The settings
(k, init, seed, restart, the k-means++ picks) are ordinary ipywidgets that recompute the run in
Python, so they need a running kernel.

Layout: a ``VBox`` with class ``kmeans-stepper`` holding the settings row and the view. No
pyplot, no PNG per frame: executing a notebook without a browser (nbclient, nbval, the
autograder) cannot hang on it.

Taught in notebook 03 (Old Faithful).
"""

import html
import numbers
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets

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
from .frames import d2_chances, run_frames
from .plotting import MAX_CLUSTERS, Projection, StepperPlot

__all__ = ["KMeansStepper", "StepperView", "Replay", "replay_kmeans", "INIT_NAMES"]

#: The stepper's JavaScript and CSS, shipped inside the package (nothing is downloaded).
STATIC = Path(__file__).resolve().parent / "static"

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


class StepperView(anywidget.AnyWidget):
    """The part of the stepper that lives in the browser: slider, Play, message and picture.

    Drawn by ``static/stepper.js`` (an ES module shipped in the package, no build step) from
    ``frames``, the whole run as data (see :func:`kmeans_lessons.frames.run_frames`). Moving the
    slider or playing never calls Python; only ``value`` travels back, so the kernel knows
    which frame is shown. The same module draws the stepper on the static course site from the
    notebook's saved widget state (see :mod:`kmeans_lessons.site`).

    Traits (synced with the browser)
    --------------------------------
    frames : dict, the run (seeding picks first, if any, then the half-steps)
    value : int, the frame shown, 0 .. max
    max : int, the last frame
    interval : int, milliseconds between frames when playing
    message : str, HTML said above the picture (how the run ended, what went wrong)
    """

    _esm = STATIC / "stepper.js"
    _css = STATIC / "stepper.css"
    frames = traitlets.Dict().tag(sync=True)
    value = traitlets.Int(0).tag(sync=True)
    max = traitlets.Int(0).tag(sync=True)
    interval = traitlets.Int(700).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)

    @traitlets.validate("value")
    def _valid_value(self, proposal):
        value = proposal["value"]
        if not 0 <= value <= self.max:
            raise traitlets.TraitError(f"value must be in 0..{self.max}, got {value}.")
        return value


class KMeansStepper:
    """Step through k-means one half-step (assign, update) at a time.

    Shows a row of settings (k, init, seed, restart, k-means++ picks) above the stepper proper:
    a step slider with Play, a message, and a picture of the samples coloured by cluster, the
    region of each centre shaded, each centre with its trail, and the loss J after every
    half-step with the current one marked. The run is computed in Python when the settings
    change (your functions included); the slider, Play and the drawing run in the browser, so
    the stepper also works on a page with no kernel (the course site).

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
    show_d2 : bool, default False
        With ``init="k-means++"``, first show how the start was chosen: one frame per pick with
        every sample coloured by its chance of becoming the next centre (D^2 / sum D^2).
    max_iter : int, default 100
    tol : float, default 1e-4
        The stopping rule of :func:`kmeans_lessons.kmeans`.

    Attributes
    ----------
    view : StepperView
        The browser part; ``view.value`` is the frame shown (set it to move), ``view.message``
        what the message line says, ``view.frames`` the run as sent to the browser.
    step : int
        The half-step shown, 0 .. len(history) - 1 (0 while a k-means++ pick is shown); set it
        to move.
    history : list of HalfStep
        The run being replayed; ``replay`` also holds ``converged``, ``error`` and ``rises``.
    chances : (k, n) array or None
        With ``show_d2``: each sample's chance of being picked at every k-means++ pick.
    plot, figure : StepperPlot, matplotlib.figure.Figure
        The same picture in matplotlib, at the half-step shown (for saving or printing); the
        browser's drawing takes its layout, colours and texts from it.
    k_input, init_dropdown, seed_input, restart_button, d2_checkbox : ipywidgets
        The settings; changing one recomputes the run (needs a running kernel).
        ``restart_button`` starts again from the next seed.
    widget : ipywidgets.VBox
        Everything together; displaying the stepper displays this.

    Examples
    --------
    >>> stepper = KMeansStepper(X, k=2)                  # doctest: +SKIP
    >>> stepper.step = 3                                 # doctest: +SKIP
    >>> KMeansStepper(X, k=2, assign=my_assign)          # doctest: +SKIP
    >>> KMeansStepper(X, k=3, show_d2=True)              # doctest: +SKIP

    Taught in notebook 03 (Old Faithful).
    """

    def __init__(self, X, k=3, init="k-means++", seed=0, assign=None, update=None, *,
                 show_d2=False, max_iter=100, tol=1e-4):
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
        if not isinstance(show_d2, bool):
            raise TypeError(f"show_d2 must be True or False, got {show_d2!r}.")
        _check_loop_settings(max_iter, tol)
        self.assign, self.update = assign, update
        self.max_iter, self.tol = max_iter, tol

        self._plot = StepperPlot(self.X, Projection(self.X, names))
        self._build_controls(k, init, seed, n, show_d2)
        self._run()

    # --- controls ----------------------------------------------------------------------------

    def _build_controls(self, k, init, seed, n, show_d2):
        short = {"description_width": "initial"}
        self.k_input = widgets.BoundedIntText(value=k, min=1, max=min(MAX_CLUSTERS, n),
                                              description="k", style=short,
                                              layout=widgets.Layout(width="90px"))
        self.init_dropdown = widgets.Dropdown(options=INIT_NAMES, value=init, description="init",
                                              style=short, layout=widgets.Layout(width="170px"))
        self.seed_input = widgets.BoundedIntText(value=seed, min=0, max=MAX_SEED,
                                                 description="seed", style=short,
                                                 layout=widgets.Layout(width="130px"))
        self.restart_button = widgets.Button(description="restart (next seed)", icon="refresh",
                                             tooltip="Start again from new initial centres",
                                             layout=widgets.Layout(width="auto"))
        self.d2_checkbox = widgets.Checkbox(
            value=show_d2, description="show the k-means++ picks (D² chances)", indent=False,
            layout=widgets.Layout(width="auto"))
        self.view = StepperView()

        for control in (self.k_input, self.init_dropdown, self.seed_input, self.d2_checkbox):
            control.observe(self._on_settings, names="value")
        self.restart_button.on_click(self._on_restart)

        self.widget = widgets.VBox([
            widgets.HBox([self.k_input, self.init_dropdown, self.seed_input,
                          self.restart_button, self.d2_checkbox]),
            self.view,
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

    @property
    def show_d2(self):
        """True when the k-means++ picks are shown before the run."""
        return self.d2_checkbox.value and self.init == "k-means++"

    @property
    def n_picks(self):
        """Frames before the half-steps: the k-means++ picks when shown, else 0."""
        return 0 if self.chances is None else len(self.chances)

    @property
    def step(self):
        """The half-step shown (0, the start, while a k-means++ pick is shown)."""
        return max(self.view.value - self.n_picks, 0)

    @step.setter
    def step(self, step):
        last = len(self.history) - 1
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) \
                or not 0 <= step <= last:
            raise ValueError(f"step must be a half-step from 0 to {last}, got {step!r}.")
        self.view.value = int(step) + self.n_picks

    @property
    def plot(self):
        """The matplotlib picture of the half-step shown (updated when asked for)."""
        if self._plot.step != self.step:
            self._plot.show(self.step)
        return self._plot

    @property
    def figure(self):
        """The matplotlib figure of the half-step shown."""
        return self.plot.figure

    def _on_settings(self, change):
        self._run()

    def _on_restart(self, button=None):
        # Changing the seed triggers _on_settings, which recomputes the run.
        self.seed_input.value = self.seed + 1 if self.seed < MAX_SEED else 0

    # --- the run -----------------------------------------------------------------------------

    def _run(self):
        """Recompute the run for the current settings, send it to the browser, show frame 0."""
        k = _check_settings(self.k, self.init, self.seed, self.X.shape[0])
        self.d2_checkbox.disabled = self.init != "k-means++"
        rng = np.random.default_rng(self.seed)
        init_centers = INITIALISERS[self.init](self.X, k, rng)
        self.replay = replay_kmeans(self.X, init_centers, self.assign, self.update,
                                    self.max_iter, self.tol)
        self.history = self.replay.steps
        self.chances = d2_chances(self.X, init_centers) if self.show_d2 else None
        plot = self._plot
        plot.set_history(self.history, describe=self._describe(),
                         messages=self._title_messages())
        titles = [plot.title_for(step) for step in range(len(self.history))]
        seeding = None
        if self.chances is not None:
            seeding = {"chances": self.chances,
                       "picked": plot.projection.to_plane(init_centers),
                       "titles": [self._pick_title(j) for j in range(k)]}
        frames = run_frames(plot, titles=titles, seeding=seeding)
        # One message to the browser: the new run, starting at frame 0.
        with self.view.hold_sync():
            self.view.value = 0
            self.view.max = self.n_picks + len(self.history) - 1
            self.view.frames = frames
            self.view.message = self._message_html()

    def _describe(self):
        parts = [f"k={self.k}", self.init, f"seed {self.seed}"]
        mine = [name for name, fn in (("assign", self.assign), ("update", self.update))
                if fn is not None]
        if mine:
            parts.append("your " + " + ".join(mine))
        return ", ".join(parts)

    def _pick_title(self, j):
        """Title of the frame before k-means++ picks centre j (0-based) of k."""
        k = self.k
        if j == 0:
            how = f"any sample, each with chance 1/{self.X.shape[0]}"
        else:
            how = ("chance of each sample = D² / ΣD², D = distance to the nearest centre "
                   "chosen so far")
        return (f"k-means++ pick {j + 1}/{k} · {how}\n{self._describe()} · "
                f"the ringed sample is picked")

    def _title_messages(self):
        messages = {}
        for step, _ in self.replay.rises:
            messages[step] = "J WENT UP"
        if self.replay.error:
            last = len(self.history) - 1
            messages[last] = "your code failed after this step (see the message above)"
        return messages

    def _message_html(self):
        # Half-steps are counted as the title counts them: 0 is the start, the last one is
        # len(history) - 1 (the title says "half-step 3/11" in a run of 11 after the start).
        replay, last = self.replay, len(self.history) - 1
        if replay.error:
            lines = [f"<b style='color:#b00'>Stopped after half-step {last}:"
                     f"</b> {html.escape(replay.error)}"]
        elif replay.converged:
            lines = [f"Converged after {replay.n_iter} update(s), at half-step {last} "
                     f"(half-step 0 is the start)."]
        else:
            lines = [f"Stopped at max_iter={self.max_iter} updates before converging, at "
                     f"half-step {last}."]
        if self.chances is not None:
            lines.append(f"The {self.k} frames before half-step 0 show how k-means++ picked the "
                         f"start: the brighter a sample, the likelier it was to be picked next.")
        lines += [f"<b style='color:#b00'>Warning:</b> {html.escape(text)}"
                  for _, text in replay.rises[:3]]
        return "<br>".join(lines)

    # --- display -----------------------------------------------------------------------------

    def __repr__(self):
        n, d = self.X.shape
        return (f"KMeansStepper(n={n}, d={d}, k={self.k}, init={self.init!r}, seed={self.seed}, "
                f"half-steps 0..{len(self.history) - 1})")

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # The box's own text would list every child widget; this one is short and stable.
        bundle["text/plain"] = repr(self)
        return bundle

    def close(self):
        """Close every widget of the stepper (frees them in the kernel and the browser)."""
        for box in self.widget.children:
            box.close()
        self.widget.close()
        for control in (self.k_input, self.init_dropdown, self.seed_input, self.restart_button,
                        self.d2_checkbox, self.view):
            control.close()
