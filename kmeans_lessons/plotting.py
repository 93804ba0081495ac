"""The picture behind the k-means stepper: one matplotlib figure that replays a run frame by frame.

:class:`StepperPlot` owns a figure with two panels: on the left the samples coloured by cluster,
the region of every centre shaded and each centre with the trail it has moved along; on the right
the loss J after every half-step with the current one marked. ``show(step)`` only updates the
existing artists (line data, offsets, the region image, the title), and ``to_png()`` redraws
only those artists over a saved picture of everything else (axes, ticks, labels, the J curve),
so moving through a run of 10 000 points stays quick.

The figure is a plain :class:`matplotlib.figure.Figure`, never registered with pyplot, so
creating it inside a notebook does not print a second copy of it below the cell.

Taught in notebook 03 (Old Faithful), where :class:`kmeans_lessons.widgets.KMeansStepper` puts
controls around it.
"""

import io

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["Projection", "StepperPlot", "cluster_colors", "MAX_CLUSTERS"]

#: One colour-blind-safe tab10 colour per cluster, so at most ten clusters can be told apart.
MAX_CLUSTERS = 10
#: Colour of samples before the first assignment.
UNASSIGNED = (0.55, 0.55, 0.55, 1.0)
#: Opacity of the shaded regions: light enough that the samples stay readable on top.
REGION_ALPHA = 0.18
#: Grid cells per side of the region image; 200 x 200 looks smooth and costs ~1 ms per frame.
GRID_SIZE = 200

_KIND_TEXT = {
    "init": "init: the starting centres",
    "assign": "assign: every point joins its nearest centre",
    "update": "update: every centre moves to the mean of its points",
}


def cluster_colors(k, alpha=1.0):
    """RGBA colour of each of ``k`` <= 10 clusters: array of shape (k, 4) from ``tab10``."""
    colors = np.ones((k, 4))
    colors[:, :3] = matplotlib.colormaps["tab10"].colors[:k]
    colors[:, 3] = alpha
    return colors


class Projection:
    """The plane the samples are drawn in: the data's own two axes, or its first two principal
    components when it has more than two features.

    Parameters
    ----------
    X : float array of shape (n, d), d >= 2
        The samples.
    feature_names : sequence of str, optional
        Names of the d columns, used as axis labels when d == 2.

    Attributes
    ----------
    mean : (d,) mean of the samples (zeros when d == 2: nothing is moved)
    components : (2, d) orthonormal rows spanning the plane
    xlabel, ylabel : str
    note : str, "" for 2-D data, else a sentence saying the picture is a projection
    """

    def __init__(self, X, feature_names=None):
        n, d = X.shape
        if d == 2:
            self.mean = np.zeros(2)
            self.components = np.eye(2)
            names = list(feature_names) if feature_names is not None else ["feature 0", "feature 1"]
            self.xlabel, self.ylabel = str(names[0]), str(names[1])
            self.note = ""
            return
        self.mean = X.mean(axis=0, dtype=np.float64)
        centred = X - self.mean
        # The d x d covariance is small next to X for every data set of the course (d <= 784),
        # and eigh of it gives the components without an SVD of the whole (n, d) matrix.
        scatter = centred.T @ centred
        values, vectors = np.linalg.eigh(scatter.astype(np.float64))
        order = np.argsort(values)[::-1][:2]
        components = vectors[:, order].T
        # An eigenvector's sign is arbitrary; fix it so the same data always give the same picture.
        flip = np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])
        self.components = components * flip[:, np.newaxis]
        share = values[order] / max(values.sum(), np.finfo(float).tiny)
        self.xlabel = f"PC 1 ({share[0]:.0%} of variance)"
        self.ylabel = f"PC 2 ({share[1]:.0%} of variance)"
        self.note = f"{d} features projected to the first two principal components"

    def to_plane(self, A):
        """Coordinates of the rows of ``A`` (m, d) in the plane: (m, 2)."""
        return (np.asarray(A, dtype=np.float64) - self.mean) @ self.components.T

    def off_plane_sq(self, A):
        """Squared distance of each row of ``A`` (m, d) from the plane: (m,), zeros when d == 2."""
        centred = np.asarray(A, dtype=np.float64) - self.mean
        in_plane = centred @ self.components.T
        return np.maximum(np.einsum("ij,ij->i", centred, centred)
                          - np.einsum("ij,ij->i", in_plane, in_plane), 0.0)


class StepperPlot:
    """A figure that replays a list of k-means half-steps, one frame per ``show(step)``.

    Parameters
    ----------
    X : float array of shape (n, d), d >= 2
        The samples.
    projection : Projection
        How to draw d-dimensional samples in the plane.
    figsize : (float, float), default (10, 4.25)
        Inches; with ``dpi`` this fixes the size of the PNG.
    dpi : float, default 96

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    xy : (n, 2) the samples in the plane
    point_lines : list of k Line2D; line j holds the samples labelled j at the current step, in
        the order of X, drawn in cluster colour j (markers only)
    unassigned : Line2D, every sample in grey before the first assignment, else empty
    centers : PathCollection, the k centres (offsets (k, 2) in the plane)
    trails : list of k Line2D, the path of each centre up to the current step
    regions : AxesImage, RGBA image of the nearest centre on a GRID_SIZE x GRID_SIZE grid
    loss_line : Line2D, J after every half-step that has one (x = half-step index)
    loss_marker : Line2D, one point (step, J) of the current step (empty for the "init" step)
    title : Text, the figure's title naming the current half-step
    step : int, the step shown last

    Call :meth:`set_history` before :meth:`show`. If you change the figure yourself (titles,
    limits), call :meth:`refresh` so the saved background is drawn again.

    Taught in notebook 03 (Old Faithful).
    """

    def __init__(self, X, projection, *, figsize=(10, 4.25), dpi=96):
        self.projection = projection
        self.xy = projection.to_plane(X)  # (n, 2), fixed: a step only regroups them by colour
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)  # attaches itself as figure.canvas
        # Fixed margins instead of a layout engine: a layout engine would re-measure every text
        # on every frame, which costs more than drawing the frame.
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.84, wspace=0.25)
        grid = self.figure.add_gridspec(1, 2, width_ratios=(3, 2))
        self.ax_data = self.figure.add_subplot(grid[0])
        self.ax_loss = self.figure.add_subplot(grid[1])
        self._build_data_panel()
        self._build_loss_panel()
        self.title = self.figure.suptitle("", fontsize=12)
        self.steps = []
        self.step = None
        self._background = None

    # --- building ------------------------------------------------------------------------------

    def _build_data_panel(self):
        ax = self.ax_data
        self.regions = ax.imshow(np.zeros((2, 2, 4)), origin="lower", extent=(0, 1, 0, 1),
                                 interpolation="nearest", aspect="auto", zorder=0)
        # Samples as marker-only lines, one per colour: Agg stamps one pre-rendered marker per
        # sample, several times faster than a scatter with a colour per sample.
        self._marker = dict(linestyle="none", marker="o", markersize=2.8, markeredgewidth=0,
                            zorder=1)
        (self.unassigned,) = ax.plot(self.xy[:, 0], self.xy[:, 1], color=UNASSIGNED,
                                     **self._marker)
        self.point_lines = []
        self.centers = ax.scatter([], [], s=170, marker="X", edgecolors="black", linewidths=1.2,
                                  zorder=4)
        self.trails = []
        ax.set_xlabel(self.projection.xlabel)
        ax.set_ylabel(self.projection.ylabel)
        note = self.projection.note
        ax.set_title(note if note else "points coloured by cluster, regions shaded", fontsize=9)

    def _build_loss_panel(self):
        ax = self.ax_loss
        (self.loss_line,) = ax.plot([], [], "-o", color="0.35", markersize=3, linewidth=1.2)
        (self.loss_marker,) = ax.plot([], [], "o", markersize=10, markerfacecolor="none",
                                      markeredgecolor="black", markeredgewidth=2)
        self.loss_cursor = ax.axvline(0, color="0.6", linewidth=1, linestyle=":")
        ax.set_xlabel("half-step")
        ax.set_ylabel("J (sum of squared distances)")
        ax.set_title("J after each half-step", fontsize=9)
        ax.grid(True, alpha=0.3)

    def set_history(self, steps, *, describe=None, messages=None):
        """Replace the run being replayed; the figure and its artists are kept.

        Parameters
        ----------
        steps : list of HalfStep
            ``kind`` ("init", "assign", "update"), ``centers`` (k, d), ``labels`` (n,) or None,
            ``loss`` float or None, ``iteration`` (see :meth:`KMeansResult.half_steps`).
        describe : str, optional
            Printed after the half-step in the title, e.g. "k=3, k-means++, seed 0".
        messages : dict step -> str, optional
            Extra text for the title of particular steps (e.g. where a student's function failed).
        """
        if not steps:
            raise ValueError("steps is empty: a run has at least its 'init' half-step.")
        self.steps = list(steps)
        self.describe = describe or ""
        self.messages = dict(messages or {})
        k = steps[0].centers.shape[0]
        self.k = k
        self.colors = cluster_colors(k)
        self.region_palette = cluster_colors(k, REGION_ALPHA)

        # Centres after t updates, drawn in the plane, for the trails; and their distance from
        # the plane, which shifts the region boundaries when d > 2 (see _region_labels).
        by_iteration = {}
        for s in self.steps:
            by_iteration.setdefault(s.iteration, s.centers)
        self.center_path = np.stack([self.projection.to_plane(by_iteration[t])
                                     for t in range(max(by_iteration) + 1)])
        self._off_plane = {t: self.projection.off_plane_sq(c) for t, c in by_iteration.items()}
        self._region_cache = {}

        self._set_limits()
        for line in self.trails + self.point_lines:
            line.remove()
        self.point_lines = [self.ax_data.plot([], [], color=self.colors[j], **self._marker)[0]
                            for j in range(k)]
        self.trails = [self.ax_data.plot([], [], "-", color=self.colors[j], linewidth=1.6,
                                         marker="o", markersize=3, zorder=3)[0]
                       for j in range(k)]
        self.centers.set_facecolor(self.colors)

        x = [i for i, s in enumerate(self.steps) if s.loss is not None]
        y = [self.steps[i].loss for i in x]
        self.loss_line.set_data(x, y)
        self.ax_loss.set_xlim(-0.5, max(len(self.steps) - 0.5, 1.5))
        if y:
            low, high = min(y), max(y)
            pad = 0.06 * (high - low) if high > low else 0.05 * max(abs(high), 1.0)
            self.ax_loss.set_ylim(low - pad, high + pad)
        self.step = None
        self._background = None  # limits and the J curve changed: draw the background again

    def _set_limits(self):
        """Fit the data panel to the samples and every centre of the run, with a margin."""
        finite = self.center_path.reshape(-1, 2)
        finite = finite[np.isfinite(finite).all(axis=1)]
        both = np.vstack([self.xy, finite])
        low, high = both.min(axis=0), both.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        low, high = low - 0.05 * span, high + 0.05 * span
        self.ax_data.set_xlim(low[0], high[0])
        self.ax_data.set_ylim(low[1], high[1])
        self.regions.set_extent((low[0], high[0], low[1], high[1]))
        # Cell centres of the region grid, as (GRID_SIZE**2, 2) points in the plane.
        gx = np.linspace(low[0], high[0], 2 * GRID_SIZE + 1)[1::2]
        gy = np.linspace(low[1], high[1], 2 * GRID_SIZE + 1)[1::2]
        self._grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)

    # --- one frame -----------------------------------------------------------------------------

    def _region_labels(self, iteration):
        """Nearest centre of every grid cell: (GRID_SIZE, GRID_SIZE) ints, cached per iteration.

        A grid point g of the plane lies at distance ||g - p_j||^2 + r_j from centre j, where
        p_j is the centre's projection and r_j its squared distance from the plane (0 for 2-D
        data), so for d > 2 the shading is the exact slice of the regions through the plane.
        """
        if iteration not in self._region_cache:
            p = self.center_path[iteration]
            g = self._grid
            scores = (np.einsum("ij,ij->i", p, p) + self._off_plane[iteration])[np.newaxis, :] \
                - 2 * g @ p.T
            self._region_cache[iteration] = scores.argmin(axis=1).reshape(GRID_SIZE, GRID_SIZE)
        return self._region_cache[iteration]

    def title_for(self, step):
        """The title text of half-step ``step``: its number, its kind and J."""
        s = self.steps[step]
        text = f"half-step {step}/{len(self.steps) - 1} · {_KIND_TEXT[s.kind]}"
        if s.kind != "init":
            text += f" (iteration {s.iteration})"
        second = [self.describe] if self.describe else []
        if s.loss is not None:
            second.append(f"J = {s.loss:.6g}")
        if step in self.messages:
            second.append(self.messages[step])
        return text + ("\n" + " · ".join(second) if second else "")

    def show(self, step):
        """Draw half-step ``step`` by updating the existing artists (nothing is recreated)."""
        if not 0 <= step < len(self.steps):
            raise IndexError(f"step must be in 0..{len(self.steps) - 1}, got {step}.")
        s = self.steps[step]
        t = s.iteration
        if s.labels is None:
            self.unassigned.set_data(self.xy[:, 0], self.xy[:, 1])
            for line in self.point_lines:
                line.set_data([], [])
        else:
            self.unassigned.set_data([], [])
            for j, line in enumerate(self.point_lines):
                members = s.labels == j
                line.set_data(self.xy[members, 0], self.xy[members, 1])
        self.centers.set_offsets(self.center_path[t])
        for j, line in enumerate(self.trails):
            line.set_data(self.center_path[:t + 1, j, 0], self.center_path[:t + 1, j, 1])
        self.regions.set_data(self.region_palette[self._region_labels(t)])
        if s.loss is None:
            self.loss_marker.set_data([], [])
        else:
            self.loss_marker.set_data([step], [s.loss])
        self.loss_cursor.set_xdata([step, step])
        self.title.set_text(self.title_for(step))
        self.step = step

    def _moving_artists(self):
        """Everything that changes from one step to the next, per axes, in the order a full draw
        would use (by zorder); the frame is included because the shaded regions cover it."""
        data = [self.regions, self.unassigned, *self.point_lines, *self.trails, self.centers,
                *self.ax_data.spines.values()]
        data.sort(key=lambda artist: artist.get_zorder())  # stable: ties keep this order
        return data, [self.loss_marker, self.loss_cursor], [self.title]

    def refresh(self):
        """Draw the still parts of the figure again at the next :meth:`to_png`."""
        self._background = None

    def _draw_background(self):
        """Draw the figure without the moving artists and keep the pixels."""
        moving = [a for group in self._moving_artists() for a in group]
        # Animated artists are skipped by a full draw; the flag is set only for this one draw,
        # so savefig and other full draws of the figure still show everything.
        for artist in moving:
            artist.set_animated(True)
        try:
            self.figure.canvas.draw()
        finally:
            for artist in moving:
                artist.set_animated(False)
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)

    def draw(self):
        """Render the current step into the Agg canvas: the saved background plus the moving
        artists (a full draw of every tick label and text would cost several times more)."""
        if self._background is None:
            self._draw_background()
        canvas = self.figure.canvas
        canvas.restore_region(self._background)
        data, loss, titles = self._moving_artists()
        for artist in data:
            self.ax_data.draw_artist(artist)
        for artist in loss:
            self.ax_loss.draw_artist(artist)
        for artist in titles:
            self.figure.draw_artist(artist)

    def to_png(self):
        """Render the current step (see :meth:`draw`) and return it as PNG bytes.

        The pixels are encoded with a low zlib level: a flat-coloured plot compresses well
        anyway, and level 1 is several times faster than the default.
        """
        self.draw()
        rgb = np.asarray(self.figure.canvas.buffer_rgba())[..., :3]
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


# --- notebook 03: k-means++'s D² sampling as a picture ------------------------------------------

__all__ += ["plot_d2_probabilities"]


def plot_d2_probabilities(ax, X, centers, step, *, xlabel="x₁", ylabel="x₂", colorbar=True):
    """Draw 2-D samples coloured and sized by their chance of becoming k-means++'s next centre.

    Parameters
    ----------
    ax : matplotlib Axes
    X : array of shape (n, 2)
        Samples.
    centers : array of shape (k, 2)
        The centres k-means++ chose, in the order it chose them.
    step : int, 1 <= step < k
        How many of them are chosen so far: those are drawn as black stars, and the colours show
        the chances for centre number ``step + 1``.
    xlabel, ylabel : str
        Axis labels.
    colorbar : bool, default True
        Add a colour bar for the probability scale next to ``ax``.

    Returns
    -------
    p : float array of shape (n,)
        The chances drawn, ``D2 / D2.sum()`` with ``D2`` the squared distance of every sample to
        its nearest chosen centre (:func:`kmeans_lessons.frames.d2_chances`, which the stepper's
        D² view uses too). They add up to 1.

    Notes
    -----
    The most likely samples are drawn last, so they sit on top. Colour and area both follow the
    chance (viridis, colour-blind safe), so a lone far sample and a crowd of middling ones can be
    compared by eye: what matters for the draw is the sum over a group.

    Taught in notebook 03 (Old Faithful).
    """
    from .frames import d2_chances  # frames imports this module: imported when first drawn

    X = np.asarray(X, dtype=float)
    centers = np.atleast_2d(np.asarray(centers, dtype=float))
    if X.ndim != 2 or X.shape[1] != 2 or centers.shape[1] != 2:
        raise ValueError(f"plot_d2_probabilities draws 2-D data: X must be (n, 2) and centers "
                         f"(k, 2), got {X.shape} and {centers.shape}.")
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not (
            1 <= step < len(centers)):
        raise ValueError(f"step must be a whole number from 1 to {len(centers) - 1} (the centres "
                         f"chosen so far), got {step!r}.")
    p = d2_chances(X, centers)[step]
    order = np.argsort(p, kind="stable")  # most likely on top
    points = ax.scatter(X[order, 0], X[order, 1], c=p[order], cmap="viridis", vmin=0,
                        s=4 + 200 * p[order] / p.max(), edgecolors="none")
    ax.scatter(centers[:step, 0], centers[:step, 1], marker="*", s=350, color="black",
               edgecolors="white", label="centres chosen so far")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if colorbar:
        ax.figure.colorbar(points, ax=ax, label="chance of becoming the next centre")
    return p
