"""A k-means run as data for the browser: every frame the stepper can show, computed once.

The stepper's slider, Play button and drawing run in JavaScript (``static/stepper.js``), in
JupyterLab and on the static course site alike, so nothing has to call back into Python when the
slider moves. This module turns a run into the one JSON-ready dict the browser needs:

- the samples in the plane, ``xy`` (n, 2), and the label arrays (n,) of the run, each sent once;
- per half-step: its kind, iteration, which label array colours the samples, J and the title;
- per iteration: the centres in the plane (k, 2), which also draw the trails, and each centre's
  squared distance from the plane (k,), which the browser needs to shade the regions exactly
  (see :meth:`kmeans_lessons.plotting.StepperPlot._region_labels`; same rule, same grid);
- the look of the matplotlib figure, read from :class:`~kmeans_lessons.plotting.StepperPlot`
  itself: figure size, the axes' boxes, ticks and tick labels, axis labels, panel titles, font
  sizes and colours, so the browser's picture matches the figure the course draws elsewhere;
- optionally the k-means++ seeding: for every pick, each sample's chance of becoming the next
  centre (its D^2 over the sum of all D^2).

Arrays travel as base64 of little-endian float32 / uint8 bytes: a third the size of JSON numbers,
and decoded in the browser without parsing. The regions are computed in the browser from the
centres (a 200 x 200 grid per iteration would make a saved notebook megabytes larger).

Taught in notebook 03 (Old Faithful), through :class:`kmeans_lessons.widgets.KMeansStepper`.
"""

import base64

import matplotlib
import numpy as np
from matplotlib.colors import to_hex

from .distances import pairwise_sq_dists
from .plotting import GRID_SIZE, REGION_ALPHA, UNASSIGNED

__all__ = ["FORMAT_VERSION", "encode", "decode", "run_frames", "d2_chances", "figure_layout"]

#: Bumped when the layout of the dict changes; the browser refuses data of another version.
FORMAT_VERSION = 1
#: The largest label value a uint8 array holds; the stepper allows at most 10 clusters.
_MAX_LABEL = 255


def encode(array, dtype):
    """Base64 text of ``array`` as little-endian ``dtype`` bytes (C order)."""
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    return base64.b64encode(data.tobytes()).decode("ascii")


def decode(text, dtype, shape=None):
    """The array :func:`encode` wrote: ``dtype``, optionally reshaped to ``shape``."""
    array = np.frombuffer(base64.b64decode(text), dtype=np.dtype(dtype).newbyteorder("<"))
    return array.reshape(shape) if shape is not None else array


def d2_chances(X, centers):
    """Each sample's chance of being picked next at every step of k-means++ seeding.

    Parameters
    ----------
    X : float array of shape (n, d)
        Samples.
    centers : array of shape (k, d)
        The centres k-means++ chose, in the order it chose them (rows of X).

    Returns
    -------
    chances : float array of shape (k, n)
        ``chances[0]`` is uniform (the first centre is any sample, 1/n each);
        ``chances[j][i] = D_j(x_i)^2 / sum_m D_j(x_m)^2`` where ``D_j(x)`` is the distance from
        x to the nearest of the first j centres. Every row sums to 1. When every sample sits on
        a centre already (all D^2 are 0) the row is uniform over the samples, as
        :func:`kmeans_lessons.init_kmeans_pp` then draws.

    Taught in notebook 03 (Old Faithful).
    """
    X = np.asarray(X, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    n, k = X.shape[0], centers.shape[0]
    chances = np.full((k, n), 1.0 / n)
    # d2[:, j]: squared distance of every sample to centre j; the running minimum is D_j^2.
    d2 = pairwise_sq_dists(X, centers)
    nearest = np.full(n, np.inf)
    for j in range(1, k):
        nearest = np.minimum(nearest, d2[:, j - 1])
        total = nearest.sum()
        if total > 0:
            chances[j] = nearest / total
    return chances


def _ticks(axis, low, high):
    """Tick positions inside [low, high] and their labels, as matplotlib would draw them."""
    locations = [float(t) for t in axis.get_major_locator()() if low <= t <= high]
    formatter = axis.get_major_formatter()
    labels = formatter.format_ticks(locations)
    offset = formatter.get_offset() if hasattr(formatter, "get_offset") else ""
    # matplotlib writes minus signs as U+2212; keep it, the browser draws it the same way.
    return {"at": locations, "labels": [str(label) for label in labels], "offset": str(offset)}


def _axes_layout(ax):
    """Box (in figure fractions), limits, ticks, labels and title of one matplotlib Axes."""
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    return {
        "box": [float(v) for v in ax.get_position().bounds],  # x0, y0, width, height
        "xlim": [float(v) for v in xlim],
        "ylim": [float(v) for v in ylim],
        "xticks": _ticks(ax.xaxis, min(xlim), max(xlim)),
        "yticks": _ticks(ax.yaxis, min(ylim), max(ylim)),
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "title": ax.get_title(),
    }


def _points_to_pixels(points, dpi):
    return float(points) * dpi / 72.0


def figure_layout(plot):
    """The look of a :class:`~kmeans_lessons.plotting.StepperPlot` as plain numbers and text.

    Sizes are in CSS pixels of the figure (its dpi), boxes in fractions of the figure as
    matplotlib gives them (origin bottom left). Read after ``plot.set_history``: the limits,
    ticks and trails depend on the run.
    """
    figure, dpi = plot.figure, plot.figure.dpi
    width, height = figure.get_size_inches() * dpi
    rc = matplotlib.rcParams
    font = rc["font.size"]

    def size(value):  # matplotlib font sizes are points, possibly named ("medium")
        return _points_to_pixels(matplotlib.font_manager.FontProperties(size=value)
                                 .get_size_in_points(), dpi)

    marker = plot.unassigned
    return {
        "width": float(width),
        "height": float(height),
        "font_family": list(rc["font.family"]) + list(rc["font.sans-serif"]),
        "font_px": {
            "title": size(plot.title.get_fontsize()),
            "panel_title": size(plot.ax_data.title.get_fontsize()),
            "label": size(rc["axes.labelsize"]),
            "tick": size(rc["xtick.labelsize"]),
            "default": _points_to_pixels(font, dpi),
        },
        "title_y": float(plot.title.get_position()[1]),
        "data": _axes_layout(plot.ax_data),
        "loss": _axes_layout(plot.ax_loss),
        "marker_px": _points_to_pixels(marker.get_markersize(), dpi),
        "centre_px": _points_to_pixels(np.sqrt(plot.centers.get_sizes()[0]), dpi),
        "centre_edge_px": _points_to_pixels(plot.centers.get_linewidths()[0], dpi),
        "trail_px": _points_to_pixels(plot.trails[0].get_linewidth(), dpi),
        "trail_marker_px": _points_to_pixels(plot.trails[0].get_markersize(), dpi),
        "loss_line_px": _points_to_pixels(plot.loss_line.get_linewidth(), dpi),
        "loss_marker_px": _points_to_pixels(plot.loss_line.get_markersize(), dpi),
        "current_px": _points_to_pixels(plot.loss_marker.get_markersize(), dpi),
        "current_edge_px": _points_to_pixels(plot.loss_marker.get_markeredgewidth(), dpi),
        "cursor_px": _points_to_pixels(plot.loss_cursor.get_linewidth(), dpi),
        # ":" is rcParams' dotted pattern, in multiples of the line width (lines.scale_dashes)
        "cursor_dash": [_points_to_pixels(v * plot.loss_cursor.get_linewidth(), dpi)
                        for v in rc["lines.dotted_pattern"]],
        "tick_px": _points_to_pixels(rc["xtick.major.size"], dpi),
        "tick_pad_px": _points_to_pixels(rc["xtick.major.pad"], dpi),
        "label_pad_px": _points_to_pixels(rc["axes.labelpad"], dpi),
        "title_pad_px": _points_to_pixels(rc["axes.titlepad"], dpi),
        "spine_px": _points_to_pixels(rc["axes.linewidth"], dpi),
        "grid_alpha": float(plot.ax_loss.xaxis.get_gridlines()[0].get_alpha()),
        "colors": {
            "text": to_hex(rc["text.color"]),
            "axes": to_hex(rc["axes.edgecolor"]),
            "grid": to_hex(rc["grid.color"]),
            "loss_line": to_hex(plot.loss_line.get_color()),
            "cursor": to_hex(plot.loss_cursor.get_color()),
            "current": to_hex(plot.loss_marker.get_markeredgecolor()),
            "centre_edge": to_hex(plot.centers.get_edgecolors()[0]),
            "unassigned": to_hex(UNASSIGNED),
        },
    }


def _label_table(steps):
    """The distinct label arrays of a run, in order, and each step's index into them (-1: none).

    An update half-step shows the labels of the assignment before it, so a run of t updates has
    t + 1 label arrays, not 2t + 1.
    """
    arrays, index = [], []
    for s in steps:
        if s.labels is None:
            index.append(-1)
            continue
        labels = np.asarray(s.labels)
        if not arrays or not np.array_equal(arrays[-1], labels):
            arrays.append(labels)
        index.append(len(arrays) - 1)
    return arrays, index


def run_frames(plot, *, titles, seeding=None):
    """Everything the browser needs to replay the run held by ``plot``.

    Parameters
    ----------
    plot : StepperPlot
        After :meth:`~kmeans_lessons.plotting.StepperPlot.set_history`: its ``steps``,
        ``center_path`` (iterations, k, 2), projection and axes are read.
    titles : list of str
        The title of every half-step (``plot.title_for(step)``, passed in so the caller decides).
    seeding : dict, optional
        The k-means++ picks to show before the run: ``chances`` (k, n) from :func:`d2_chances`,
        ``picked`` (k, 2) the chosen centres in the plane, ``titles`` (k,) str.

    Returns
    -------
    dict
        JSON-ready; arrays as base64 (see :func:`encode`). Keys: ``version``, ``n``, ``k``,
        ``xy``, ``labels`` (list of uint8 arrays), ``steps`` (kind, iteration, labels index,
        loss, title), ``centres`` / ``off_plane`` (per iteration, lists of floats), ``colors``,
        ``region_colors``, ``grid`` (size and extent), ``loss_limits``, ``layout``, ``seeding``.
    """
    steps, k = plot.steps, plot.k
    if k > _MAX_LABEL:
        raise ValueError(f"k={k} does not fit the browser's uint8 labels (at most {_MAX_LABEL}).")
    arrays, index = _label_table(steps)
    left, right, bottom, top = plot.regions.get_extent()
    off_plane = [plot._off_plane[t].tolist() for t in range(len(plot.center_path))]
    frames = {
        "version": FORMAT_VERSION,
        "n": int(plot.xy.shape[0]),
        "k": int(k),
        "xy": encode(plot.xy, np.float32),
        "labels": [encode(a, np.uint8) for a in arrays],
        "steps": [{"kind": s.kind, "iteration": int(s.iteration), "labels": i,
                   "loss": None if s.loss is None else float(s.loss), "title": title}
                  for s, i, title in zip(steps, index, titles)],
        "centres": plot.center_path.tolist(),
        "off_plane": off_plane,
        "colors": [to_hex(c) for c in plot.colors],
        "region_alpha": REGION_ALPHA,
        "grid": {"size": GRID_SIZE, "extent": [float(left), float(right), float(bottom),
                                               float(top)]},
        "layout": figure_layout(plot),
        "seeding": None,
    }
    if seeding is not None:
        viridis = matplotlib.colormaps["viridis"]
        frames["seeding"] = {
            "chances": [encode(row, np.float32) for row in seeding["chances"]],
            "picked": np.asarray(seeding["picked"], dtype=float).tolist(),
            "titles": list(seeding["titles"]),
            "colormap": [to_hex(viridis(i / 255)) for i in range(256)],
        }
    return frames
