"""The same Lloyd step on Dask: k-means for data split into row chunks over processes or machines.

A Lloyd iteration needs, for every cluster, only the sum and the number of its samples, and the
loss J is a sum over samples too. Sums split over chunks of rows: each chunk computes its own
(k, d) sums, (k,) counts and its part of J against the current centres (the *map*), and adding
those small pieces up gives the new centres exactly (the *reduce*). The rows never move; only
k x d numbers travel in each direction. That is how :func:`kmeans` runs on a Dask array, on the
cores of one laptop (:func:`local_cluster`) or on a cluster's scheduler, with the same code.

Computations go to the current Dask client when there is one (``dask.compute`` picks it up, as
everywhere in Dask) and to Dask's local threads otherwise.

Taught in notebook 08 (Beyond one machine).
"""

import logging
import numbers
import os
from dataclasses import dataclass, field
from typing import NamedTuple

import dask
import dask.array as da
import numpy as np

from . import algorithm
from ._validation import as_samples, check_k, check_rng
from ._numerics import _sq_dists_block, exact_shift
from ._numerics import assign_with_loss as _assign_with_loss
from ._numerics import cluster_sums as _cluster_sums
from ._numerics import means as _means
from ._numerics import row_chunks as _row_chunks
from .algorithm import KMeansResult, _check_loop_settings

__all__ = ["ChunkStatistics", "chunk_statistics", "combine", "kmeans", "inertia",
           "init_kmeans_parallel", "minibatch_kmeans", "MiniBatchResult", "local_cluster",
           "SCHEDULER_VARIABLE"]

#: Environment variable with a scheduler address: set it and :func:`local_cluster` connects there.
SCHEDULER_VARIABLE = "KMEANS_LESSONS_SCHEDULER"


# --- checking the input ----------------------------------------------------------------------


def check_dask_samples(X):
    """X must be a 2-D Dask array of real numbers, chunked by rows only, with known chunk sizes.

    Returns X as float32 (kept) or float64 (everything else), still lazy.
    """
    if not isinstance(X, da.Array):
        raise TypeError(
            f"X must be a Dask array (dask.array.Array), got {type(X).__module__}."
            f"{type(X).__name__}. For data that fits in memory use kmeans_lessons.kmeans; to "
            f"split it into row chunks use dask.array.from_array(X, chunks=(100_000, -1)).")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D with shape (n_samples, n_features), got {X.ndim}-D with "
                         f"shape {X.shape}.")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool) \
            or np.issubdtype(X.dtype, np.complexfloating):
        raise TypeError(f"X must hold real numbers, got dtype {X.dtype}.")
    if any(np.isnan(size) for sizes in X.chunks for size in sizes):
        raise ValueError("X has chunks of unknown size (after filtering, for example): call "
                         "X = X.compute_chunk_sizes() first.")
    if len(X.chunks[1]) > 1:
        raise ValueError(
            f"X is split along its features into {len(X.chunks[1])} column chunks "
            f"{X.chunks[1]}; every task needs whole rows to measure distances. Keep the "
            f"features together with X = X.rechunk({{1: -1}}).")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X is empty (shape {X.shape}): it needs at least one sample and one "
                         f"feature.")
    return X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)


def _check_centers(centers, X, name="init_centers"):
    """centers (k, d) as an array of X's dtype (float64 if either is float64), 1 <= k <= n."""
    centers = as_samples(centers, name)
    if centers.shape[1] != X.shape[1]:
        raise ValueError(f"{name} has {centers.shape[1]} columns but X has {X.shape[1]}: every "
                         f"centre needs one coordinate per feature of X.")
    check_k(centers.shape[0], X.shape[0])
    return centers.astype(np.result_type(X.dtype, centers.dtype), copy=False)


def _blocks(X):
    """The row chunks of X as a list of Dask delayed objects, one per chunk, in order."""
    return list(X.to_delayed().ravel())


def _shift_for(centers):
    """A shift that moves the centres (and so the data around them) near the origin: (d,).

    The expansion ||x||^2 + ||c||^2 - 2 x.c loses digits far from the origin (see
    :func:`kmeans_lessons._numerics.near_origin`). The in-memory kmeans shifts by the data's
    mean, which costs a pass here; the centres' mean is known for free and lies among the data.
    Zeros when the centres already sit near the origin, so the tasks skip the copy.
    """
    mean = centers.mean(axis=0)
    mean_sq_norm = float(mean @ mean)
    spread = float(np.mean(np.einsum("ij,ij->i", centers - mean, centers - mean)))
    if mean_sq_norm <= 16 * spread:
        return np.zeros_like(mean)
    return exact_shift(mean, max(spread, 1e-8 * mean_sq_norm))  # one centre has no spread


def _moved(block, shift):
    """The rows of a chunk in the shifted coordinates the tasks compute in."""
    return block - shift if shift.any() else block


# --- the map and the reduce ------------------------------------------------------------------


class ChunkStatistics(NamedTuple):
    """What one chunk of rows sends to the reduce step.

    sums : (k, d) float64, the sum of the chunk's rows nearest to each centre;
    counts : (k,) int64, how many of them; loss : float, their squared distances added up.
    """

    sums: np.ndarray
    counts: np.ndarray
    loss: float


def chunk_statistics(X_chunk, centers):
    """The map step: one chunk's contribution to the next Lloyd update.

    Parameters
    ----------
    X_chunk : array of shape (m, d)
        Some rows of X; m may be 0 (an empty chunk contributes zeros).
    centers : array of shape (k, d)
        The current centres.

    Returns
    -------
    stats : ChunkStatistics
        Unpacks as ``sums (k, d), counts (k,), loss``: per centre the sum and the number of the
        chunk's rows nearest to it (ties to the lower index), and J of the chunk, the sum of the
        squared distances of its rows to their nearest centres. Counts are integers: in float32
        a count stops growing at 2**24 = 16 777 216.

    Taught in notebook 08 (Beyond one machine).
    """
    X_chunk, centers = np.asarray(X_chunk), np.asarray(centers)
    if X_chunk.ndim != 2 or centers.ndim != 2 or X_chunk.shape[1] != centers.shape[1]:
        raise ValueError(f"X_chunk (m, d) and centers (k, d) need the same d, got shapes "
                         f"{X_chunk.shape} and {centers.shape}.")
    # float32 only when both are (as in the in-memory kmeans); integers are counted in float64
    dtype = np.float32 if X_chunk.dtype == centers.dtype == np.float32 else np.float64
    X_chunk, centers = X_chunk.astype(dtype, copy=False), centers.astype(dtype, copy=False)
    k = centers.shape[0]
    row_sq_norms = np.einsum("ij,ij->i", X_chunk, X_chunk)
    labels, loss = _assign_with_loss(X_chunk, centers, row_sq_norms)
    sums, counts = _cluster_sums(X_chunk, labels, k)
    return ChunkStatistics(sums, counts.astype(np.int64), loss)


def combine(statistics, centers):
    """The reduce step: add up the chunks' statistics and move every centre to its cluster mean.

    Parameters
    ----------
    statistics : list of (sums (k, d), counts (k,), loss)
        What :func:`chunk_statistics` returned for every chunk of X (at least one).
    centers : array of shape (k, d)
        The centres the statistics were measured against.

    Returns
    -------
    new_centers : array of shape (k, d)
        Row j is (sum of all chunks' sums[j]) / (sum of all chunks' counts[j]); a cluster with
        no member in any chunk keeps its centre, as in :func:`kmeans_lessons.update_centers`.
    loss : float
        J of ``centers`` over all of X: the chunks' losses added up.

    Means of chunks cannot be averaged: chunks hold different numbers of each cluster's samples.

    Taught in notebook 08 (Beyond one machine).
    """
    centers = np.asarray(centers)
    sums = np.zeros(centers.shape)
    counts = np.zeros(centers.shape[0], dtype=np.int64)
    loss = 0.0
    for chunk_sums, chunk_counts, chunk_loss in statistics:
        sums += chunk_sums
        counts += chunk_counts
        loss += chunk_loss
    return _means(sums, counts, centers), loss


def _moved_statistics(block, centers, shift):
    return chunk_statistics(_moved(block, shift), centers)


def _lloyd_pass(blocks, centers, shift):
    """One pass over X: the next centres and J of ``centers`` (both shifted), from the tasks.

    A map over the chunks and one reduce; only ``(new_centers, loss)`` comes back.
    """
    statistics = [dask.delayed(_moved_statistics)(block, centers, shift) for block in blocks]
    (new_centers, loss), = dask.compute(dask.delayed(combine)(statistics, centers))
    if not np.isfinite(loss):
        raise ValueError("X contains NaN or infinity (or values whose squares overflow): the "
                         "loss is not finite. Remove or impute those values, or rescale X.")
    return new_centers.astype(centers.dtype, copy=False), loss


def _nearest(block, centers, shift):
    """Labels (m,) of the rows of one chunk: the index of their nearest centre."""
    block = _moved(block, shift)
    labels, _ = _assign_with_loss(block, centers, np.einsum("ij,ij->i", block, block))
    return labels


def _labels(X, centers, shift):
    """A lazy Dask array (n,) of nearest-centre labels, chunked like X's rows."""
    return X.map_blocks(_nearest, centers, shift, dtype=np.intp, drop_axis=1)


# --- the loop --------------------------------------------------------------------------------


class _MapReduceSteps:
    """The assign and update steps :func:`kmeans` gives :func:`kmeans_lessons.algorithm.lloyd`,
    the package's one k-means loop (so the stopping rule is the in-memory kmeans's).

    One map-reduce pass over X yields both J of the centres and the means of their clusters, so
    ``assign`` makes the pass and keeps the new centres, and ``update`` just hands them over:
    one pass per iteration. The labels ``assign`` returns are a lazy Dask array, never computed
    here (each would be a pass of its own).
    """

    def __init__(self, X, shift):
        self.X, self.blocks, self.shift = X, _blocks(X), shift
        self.next_centers = None

    def assign(self, centers):
        self.next_centers, loss = _lloyd_pass(self.blocks, centers, self.shift)
        return _labels(self.X, centers, self.shift), loss

    def update(self, labels, centers):
        return self.next_centers


def kmeans(X, init_centers, max_iter=100, tol=1e-4):
    """Lloyd's algorithm on a Dask array, one map-reduce per iteration.

    Parameters
    ----------
    X : dask.array.Array of shape (n, d)
        Samples, chunked by rows only (``chunks=(rows, -1)``). Persist it first
        (``X = X.persist()``) when it fits in the workers' memory: every iteration reads all of
        it, and a lazy X is recomputed on each pass.
    init_centers : array of shape (k, d)
        Starting centres, 1 <= k <= n (e.g. from :func:`init_kmeans_parallel`).
    max_iter : int, default 100
        Largest number of update steps.
    tol : float, default 1e-4
        Stop after the first update whose relative decrease of J is at most ``tol``: the same
        loop and rule as :func:`kmeans_lessons.kmeans` (``algorithm.lloyd``,
        ``algorithm.has_converged``).

    Returns
    -------
    result : KMeansResult
        As from :func:`kmeans_lessons.kmeans`, without history: ``centers`` (k, d), ``losses``
        (n_iter + 1 floats, losses[t] = J after t updates), ``n_iter``, ``converged``; and
        ``labels``, a lazy Dask array (n,) of the assignment to the returned centres (call
        ``.compute()`` to get it).

    Notes
    -----
    Each pass sends the k centres to every chunk, which returns per-centre sums, counts and its
    part of J (:func:`chunk_statistics`); one task adds them up (:func:`combine`), and only
    the new centres and J come back. From the same initial centres the centres and losses equal
    those of the in-memory :func:`kmeans_lessons.kmeans` up to the order of summation.

    Taught in notebook 08 (Beyond one machine).
    """
    X = check_dask_samples(X)
    centers = _check_centers(init_centers, X)
    _check_loop_settings(max_iter, tol)
    shift = _shift_for(centers).astype(centers.dtype)
    steps = _MapReduceSteps(X, shift)
    run = algorithm.lloyd(centers - shift, steps.assign, steps.update, max_iter, tol)
    return KMeansResult(centers=run.centers + shift, labels=run.labels, losses=run.losses,
                        n_iter=len(run.losses) - 1, converged=run.converged)


def inertia(X, centers):
    """J: the sum over the rows of X (a Dask array (n, d)) of the squared distance to the
    nearest of ``centers`` (k, d). One pass over X; returns a float."""
    X = check_dask_samples(X)
    centers = _check_centers(centers, X, "centers")
    shift = _shift_for(centers).astype(centers.dtype)
    _, loss = _lloyd_pass(_blocks(X), centers - shift, shift)
    return loss


# --- k-means|| -------------------------------------------------------------------------------


def _min_sq_dists(block, centers, shift):
    """Squared distance (m,) from every row of a chunk to its nearest centre, in blocks of rows."""
    block = _moved(block, shift)
    centers_sq_norms = np.einsum("ij,ij->i", centers, centers)
    nearest = np.empty(len(block))
    for rows in _row_chunks(len(block)):
        nearest[rows] = _sq_dists_block(block[rows], centers, centers_sq_norms).min(axis=1)
    return nearest


def _chunk_cost(block, centers, shift):
    return float(_min_sq_dists(block, centers, shift).sum())


def _chunk_sample(block, centers, shift, rate, seed, first_row):
    """Rows of one chunk drawn independently, row i with probability min(1, rate * d_i^2).

    Returns (global row numbers (s,), the rows (s, d)). The chunk's own generator comes from a
    seed the caller drew, so the same seed gives the same draw on any worker.
    """
    probabilities = np.minimum(1.0, rate * _min_sq_dists(block, centers, shift))
    drawn = np.random.default_rng(seed).random(len(block)) < probabilities
    return first_row + np.flatnonzero(drawn), np.asarray(block)[drawn]


def _chunk_counts(block, centers, shift):
    """How many rows of one chunk are nearest to each centre: (k,) int64."""
    return np.bincount(_nearest(block, centers, shift), minlength=len(centers)).astype(np.int64)


def _weighted_kmeans_pp(points, weights, k, rng):
    """k-means++ on a few weighted points: point i counts as weights[i] samples. Returns rows."""
    chosen = [int(rng.choice(len(points), p=weights / weights.sum()))]
    shift = np.zeros(points.shape[1], dtype=points.dtype)
    closest = _min_sq_dists(points, points[chosen], shift)
    for _ in range(1, k):
        mass = weights * closest
        if mass.sum() > 0:
            row = int(rng.choice(len(points), p=mass / mass.sum()))
        else:  # fewer distinct points than k: any point not chosen yet
            row = int(np.setdiff1d(np.arange(len(points)), chosen)[0])
        chosen.append(row)
        np.minimum(closest, _min_sq_dists(points, points[[row]], shift), out=closest)
    return chosen


def _weighted_lloyd(points, weights, centers, max_iter=100, tol=1e-4):
    """Lloyd's algorithm on a few weighted points (in this process): the centres (k, d)."""
    k = len(centers)
    losses = []
    for _ in range(max_iter):
        labels, _ = _assign_with_loss(points, centers, np.einsum("ij,ij->i", points, points))
        loss = float(weights @ np.einsum("ij,ij->i", points - centers[labels],
                                         points - centers[labels]))
        if losses and algorithm.has_converged(losses[-1], loss, tol):
            break
        losses.append(loss)
        sums = np.stack([np.bincount(labels, weights=weights * points[:, j], minlength=k)
                         for j in range(points.shape[1])], axis=1)
        centers = _means(sums, np.bincount(labels, weights=weights, minlength=k), centers)
    return centers


def init_kmeans_parallel(X, k, rng, rounds=5, oversampling=None):
    """k-means|| (Bahmani et al., 2012): a k-means++-like start in a few passes over the data.

    Parameters
    ----------
    X : dask.array.Array of shape (n, d)
        Samples chunked by rows only.
    k : int
        Number of centres, 1 <= k <= n.
    rng : numpy.random.Generator
        Every random number comes from it (each chunk draws from a seed taken from it), so a
        seed gives the same centres on any number of workers.
    rounds : int, default 5
        Sampling rounds; each costs two passes over X (one to total the cost, one to draw).
    oversampling : float, default 2 * k
        ℓ, the expected number of samples drawn per round.

    Returns
    -------
    centers : array of shape (k, d)
        Means of groups of candidates (samples of X), not necessarily samples themselves.

    Notes
    -----
    k-means++ is sequential: its j-th centre is drawn with probabilities that depend on the
    distances to all j - 1 centres before it, so k centres need k passes over X, each waiting
    for the previous one -- k passes over a terabyte. k-means|| starts from one uniform sample
    and, in each round, draws every sample independently with probability
    min(1, ℓ d^2(x) / φ), where d^2(x) is the squared distance to the nearest candidate so far
    and φ their sum: about ℓ new candidates per round, all chunks at once. After a few rounds
    (the paper: about 5) each candidate is weighted by how many samples are nearest to it (one
    more pass), and the weighted candidates -- a few times k points, in memory -- are clustered
    into k by k-means++ followed by Lloyd, as Spark's k-means|| does.

    Taught in notebook 08 (Beyond one machine).
    """
    X = check_dask_samples(X)
    n = X.shape[0]
    k = check_k(k, n)
    rng = check_rng(rng)
    if isinstance(rounds, bool) or not isinstance(rounds, numbers.Integral) or rounds < 1:
        raise ValueError(f"rounds must be a whole number >= 1, got {rounds!r}.")
    oversampling = 2 * k if oversampling is None else oversampling
    if isinstance(oversampling, bool) or not isinstance(oversampling, numbers.Real) \
            or not oversampling > 0:
        raise ValueError(f"oversampling must be a number > 0 (samples per round), got "
                         f"{oversampling!r}.")
    blocks = _blocks(X)
    first_rows = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]])

    chosen = [int(rng.integers(n))]
    candidates = X[chosen].compute()
    shift = _shift_for(candidates).astype(candidates.dtype)
    for _ in range(rounds):
        costs = [dask.delayed(_chunk_cost)(block, candidates - shift, shift) for block in blocks]
        phi = float(dask.compute(dask.delayed(sum)(costs))[0])
        if not np.isfinite(phi):
            raise ValueError("X contains NaN or infinity: remove or impute those values first.")
        if phi == 0:  # every sample sits on a candidate
            break
        seeds = rng.integers(2**63, size=len(blocks))
        draws = dask.compute(*[
            dask.delayed(_chunk_sample)(block, candidates - shift, shift, oversampling / phi,
                                        seed, first)
            for block, seed, first in zip(blocks, seeds, first_rows)])
        for rows, values in draws:
            chosen += rows.tolist()
            candidates = np.concatenate([candidates, values])
    if len(candidates) < k:  # too few distinct samples were drawn: add unchosen rows
        extra = rng.choice(np.setdiff1d(np.arange(n), chosen), size=k - len(candidates),
                           replace=False)
        candidates = np.concatenate([candidates, X[np.sort(extra)].compute()])

    counts = dask.compute(*[dask.delayed(_chunk_counts)(block, candidates - shift, shift)
                            for block in blocks])
    weights = np.sum(counts, axis=0).astype(np.float64)
    weights[weights == 0] = 1e-12  # a candidate no sample is nearest to (a duplicate) is a tie
    start = candidates[_weighted_kmeans_pp(candidates - shift, weights, k, rng)] - shift
    return _weighted_lloyd(candidates - shift, weights, start) + shift


# --- mini-batch ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MiniBatchResult:
    """What :func:`minibatch_kmeans` returns.

    centers : (k, d); labels : lazy Dask array (n,) of the nearest of those centres;
    batch_losses : one float per step, the mean squared distance of that batch's samples to
    the centres before the step (a noisy, cheap estimate of J / n); n_steps : steps taken.
    """

    centers: np.ndarray
    labels: object
    batch_losses: list = field(repr=False)
    n_steps: int


def _batch_statistics(block, rows, centers, shift):
    return chunk_statistics(_moved(block, shift)[rows], centers)


def minibatch_kmeans(X, init_centers, rng, batch_size=1024, n_steps=100):
    """Mini-batch k-means (Sculley, 2010): each step moves the centres using a small random batch.

    Parameters
    ----------
    X : dask.array.Array of shape (n, d)
        Samples chunked by rows only; persist it first if it fits in memory.
    init_centers : array of shape (k, d)
    rng : numpy.random.Generator
        Chooses the batches.
    batch_size : int, default 1024
        Samples per batch, drawn without replacement from one random chunk (chunks are chosen
        in proportion to their sizes); at most the chunk's size.
    n_steps : int, default 100

    Returns
    -------
    result : MiniBatchResult

    Notes
    -----
    A step assigns the batch to its nearest centres (one task, where the chunk lives) and moves
    centre j towards the mean of its batch members with step size (members this batch) /
    (members in all batches so far): centre j stays the mean of every sample ever assigned to
    it, the update scikit-learn's MiniBatchKMeans makes. A step reads ``batch_size`` rows
    instead of n, so many steps cost less than one Lloyd pass; the centres end close to,
    rarely as good as, Lloyd's.

    Taught in notebook 08 (Beyond one machine).
    """
    X = check_dask_samples(X)
    centers = _check_centers(init_centers, X)
    rng = check_rng(rng)
    for name, value in (("batch_size", batch_size), ("n_steps", n_steps)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    shift = _shift_for(centers).astype(centers.dtype)
    centers = (centers - shift).astype(np.float64)
    blocks, sizes = _blocks(X), np.array(X.chunks[0])
    seen = np.zeros(len(centers), dtype=np.int64)
    batch_losses = []
    for _ in range(n_steps):
        chunk = int(rng.choice(len(blocks), p=sizes / sizes.sum()))
        rows = np.sort(rng.choice(sizes[chunk], size=min(batch_size, sizes[chunk]), replace=False))
        task = dask.delayed(_batch_statistics)(blocks[chunk], rows, centers, shift)
        sums, counts, loss = dask.compute(task)[0]
        seen += counts
        members = counts > 0
        centers[members] += (sums[members] - counts[members, np.newaxis] * centers[members]) \
            / seen[members, np.newaxis]
        batch_losses.append(loss / len(rows))
    centers = centers.astype(X.dtype, copy=False)
    return MiniBatchResult(centers=centers + shift, labels=_labels(X, centers, shift),
                           batch_losses=batch_losses, n_steps=n_steps)


# --- where the work runs ---------------------------------------------------------------------


def local_cluster(n_workers=2, threads_per_worker=1, memory_limit="1GB", *, address=None,
                  dashboard_address=":0", silence_logs=logging.WARNING, timeout=10):
    """A Dask client: on a new cluster on this machine, or on a running scheduler.

    Parameters
    ----------
    n_workers, threads_per_worker, memory_limit :
        The local cluster: that many worker processes, each with that many threads and that
        much memory (bytes or a string like "700MB"; a worker spills to disk near the limit and
        is restarted if it goes over). Ignored when connecting to a scheduler.
    address : str, optional
        A scheduler's address, e.g. "tcp://10.0.0.5:8786" (``dask scheduler`` prints it). If
        omitted, the environment variable ``KMEANS_LESSONS_SCHEDULER`` is used when set, and a
        local cluster is started otherwise.
    dashboard_address : str, default ":0"
        Where the local cluster serves its dashboard (with the bokeh package installed; the
        link is ``client.dashboard_link``). ":0" takes a free port; ":8787" is Dask's usual one.
        (None turns the dashboard off but still serves metrics on port 8787, and warns when
        another cluster holds that port.)
    silence_logs : int, default logging.WARNING
        The least important log messages the local workers print (on the terminal, or in the
        cell's output in a notebook): logging.ERROR also hides their memory warnings.
    timeout : float, default 10
        Seconds to wait for the scheduler to answer.

    Returns
    -------
    client : distributed.Client
        Now Dask's current client: every ``compute`` goes to it. ``client.close()`` also shuts
        down a local cluster it started.

    Taught in notebook 08 (Beyond one machine).
    """
    from distributed import Client

    source = "the address argument"
    if address is None and os.environ.get(SCHEDULER_VARIABLE):
        address, source = os.environ[SCHEDULER_VARIABLE], f"${SCHEDULER_VARIABLE}"
    if address is not None:
        return _connect(Client, address, source, timeout)
    for name, value in (("n_workers", n_workers), ("threads_per_worker", threads_per_worker)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    return Client(n_workers=n_workers, threads_per_worker=threads_per_worker,
                  memory_limit=memory_limit, dashboard_address=dashboard_address,
                  silence_logs=silence_logs, processes=True)


def _connect(Client, address, source, timeout):
    """A client of the scheduler at ``address``, or an error that says what to check."""
    if not isinstance(address, str) or not address.strip():
        raise ValueError(f"the scheduler address from {source} must be a string like "
                         f"'tcp://10.0.0.5:8786', got {address!r}.")
    try:
        return Client(address, timeout=timeout)
    except ValueError as error:
        raise ValueError(f"{address!r} (from {source}) is not a scheduler address ({error}); "
                         f"it looks like 'tcp://10.0.0.5:8786'.") from None
    except OSError:  # includes timeouts and refused connections
        raise ConnectionError(
            f"no Dask scheduler answered at {address} (from {source}) within {timeout} s. Check "
            f"that `dask scheduler` is running there and the address and port are right; unset "
            f"{SCHEDULER_VARIABLE} to start a local cluster instead.") from None
