"""k-means on Dask (kmeans_lessons.scale): the map and the reduce, the loop against the in-memory
kmeans, k-means||, mini-batch, and where the work runs. One 2-worker LocalCluster serves the
whole module (it takes a couple of seconds to start)."""

import os

import dask.array as da
import numpy as np
import pytest
from distributed import get_task_stream
from hypothesis import given
from hypothesis import strategies as st
from sklearn.cluster import KMeans as SklearnKMeans

from kmeans_lessons import assign, inertia, kmeans, scale, update_centers


@pytest.fixture(scope="module")
def client():
    """The module's cluster, started by scale.local_cluster as the lesson starts it."""
    previous = os.environ.pop(scale.SCHEDULER_VARIABLE, None)  # a local cluster, whatever is set
    try:
        client = scale.local_cluster(n_workers=2, threads_per_worker=1, memory_limit="500MB")
    finally:
        if previous is not None:
            os.environ[scale.SCHEDULER_VARIABLE] = previous
    cluster = client.cluster
    yield client
    client.close()  # closes the client first, then the cluster it started
    assert cluster.status.name == "closed"


def blobs(n=3000, d=3, k=4, seed=0, spread=0.6):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.normal(scale=spread, size=(n, d))


def chunked(X, rows=700):
    return da.from_array(X, chunks=(rows, -1))


# --- the map and the reduce --------------------------------------------------------------------


def test_chunk_statistics_by_hand():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [0.0, 3.0]])
    C = np.array([[0.0, 0.0], [10.0, 1.0]])
    sums, counts, loss = scale.chunk_statistics(X, C)
    np.testing.assert_array_equal(sums, [[1.0, 3.0], [10.0, 0.0]])
    np.testing.assert_array_equal(counts, [3, 1])
    assert counts.dtype == np.int64
    assert loss == pytest.approx(0 + 1 + 1 + 9)


def test_chunk_statistics_of_an_empty_chunk_are_zeros():
    sums, counts, loss = scale.chunk_statistics(np.empty((0, 3)), np.ones((2, 3)))
    np.testing.assert_array_equal(sums, np.zeros((2, 3)))
    np.testing.assert_array_equal(counts, [0, 0])
    assert loss == 0


def test_combine_weights_chunks_by_their_counts_and_keeps_empty_clusters():
    C = np.array([[0.0], [5.0], [100.0]])
    # cluster 0 has 1 member in the first chunk and 3 in the second: averaging the two chunk
    # means would give 1.5, the mean of all four members is 1.75
    first = (np.array([[1.0], [0.0], [0.0]]), np.array([1, 0, 0]), 0.5)
    second = (np.array([[6.0], [4.0], [0.0]]), np.array([3, 1, 0]), 2.0)
    empty = (np.zeros((3, 1)), np.zeros(3, dtype=np.int64), 0.0)
    centers, loss = scale.combine([first, empty, second], C)
    np.testing.assert_array_equal(centers, [[1.75], [4.0], [100.0]])
    assert loss == 2.5


@given(st.lists(st.integers(0, 40), min_size=1, max_size=6), st.integers(1, 5),
       st.integers(0, 2**32 - 1))
def test_map_then_reduce_over_any_chunks_is_one_lloyd_update(sizes, k, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(sum(sizes) + k, 2))
    C = X[rng.choice(len(X), size=k, replace=False)]
    bounds = np.cumsum([0, *sizes, k])
    statistics = [scale.chunk_statistics(X[a:b], C) for a, b in zip(bounds[:-1], bounds[1:])]
    centers, loss = scale.combine(statistics, C)
    np.testing.assert_allclose(centers, update_centers(X, assign(X, C), C), rtol=1e-12,
                               atol=1e-12)
    assert loss == pytest.approx(inertia(X, C), rel=1e-10)


# --- the loop ------------------------------------------------------------------------------------


def test_matches_in_memory_kmeans_from_the_same_start(client):
    X = blobs(k=5, spread=1.5)
    start = X[:5]
    ours, reference = scale.kmeans(chunked(X), start), kmeans(X, start)
    assert ours.n_iter == reference.n_iter > 2 and ours.converged and reference.converged
    np.testing.assert_allclose(ours.losses, reference.losses, rtol=1e-12)
    np.testing.assert_allclose(ours.centers, reference.centers, rtol=1e-12, atol=1e-12)
    assert isinstance(ours.labels, da.Array)
    np.testing.assert_array_equal(ours.labels.compute(), reference.labels)


def test_float32_data_stays_float32_and_matches(client):
    X = blobs().astype(np.float32)
    ours, reference = scale.kmeans(chunked(X), X[:4]), kmeans(X, X[:4])
    assert ours.centers.dtype == np.float32
    np.testing.assert_allclose(ours.losses, reference.losses, rtol=1e-5)
    np.testing.assert_allclose(ours.centers, reference.centers, rtol=1e-5, atol=1e-5)


def test_data_far_from_the_origin_matches(client):
    X = blobs() + 1e6
    ours, reference = scale.kmeans(chunked(X), X[:4]), kmeans(X, X[:4])
    np.testing.assert_allclose(ours.losses, reference.losses, rtol=1e-9)
    np.testing.assert_allclose(ours.centers, reference.centers, rtol=1e-12)


def test_empty_cluster_keeps_its_centre(client):
    X = blobs()
    start = np.vstack([X[:3], [[500.0, 500.0, 500.0]]])
    ours = scale.kmeans(chunked(X), start)
    np.testing.assert_array_equal(ours.centers[3], [500.0, 500.0, 500.0])
    np.testing.assert_allclose(ours.centers, kmeans(X, start).centers, rtol=1e-12)


def test_max_iter_and_tol_stop_as_in_memory(client):
    X = blobs(spread=2.0)
    none = scale.kmeans(chunked(X), X[:4], max_iter=0)
    assert none.n_iter == 0 and len(none.losses) == 1 and not none.converged
    np.testing.assert_array_equal(none.centers, X[:4])
    loose = scale.kmeans(chunked(X), X[:4], tol=10.0)
    assert loose.n_iter == 1 and loose.converged


def test_the_work_runs_on_the_current_client_and_only_centres_come_back(client):
    X = chunked(blobs()).persist()
    with get_task_stream(client) as stream:
        result = scale.kmeans(X, blobs()[:4], max_iter=2, tol=0)
    names = [task["key"] if isinstance(task["key"], str) else task["key"][0]
             for task in stream.data]
    passes = result.n_iter + 1
    assert sum(name.startswith("_moved_statistics") for name in names) == passes * X.npartitions
    assert sum(name.startswith("combine") for name in names) == passes


def test_inertia_is_one_pass_of_the_loss(client):
    X = blobs()
    assert scale.inertia(chunked(X), X[:4]) == pytest.approx(inertia(X, X[:4]), rel=1e-12)


# --- k-means|| and mini-batch --------------------------------------------------------------------


def test_kmeans_parallel_puts_one_centre_in_each_separated_group(client):
    X = blobs(n=4000, k=6, spread=0.3, seed=3)
    centers = scale.init_kmeans_parallel(chunked(X), 6, np.random.default_rng(0))
    assert centers.shape == (6, 3)
    groups = SklearnKMeans(6, n_init=10, random_state=0).fit(X)
    assert sorted(groups.predict(centers)) == list(range(6))


def test_kmeans_parallel_is_reproducible_from_its_seed(client):
    X = chunked(blobs(seed=4))
    first = scale.init_kmeans_parallel(X, 4, np.random.default_rng(7))
    np.testing.assert_array_equal(first, scale.init_kmeans_parallel(X, 4, np.random.default_rng(7)))


def test_kmeans_parallel_with_fewer_distinct_samples_than_k(client):
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), 20, axis=0)
    centers = scale.init_kmeans_parallel(chunked(X, 25), 5, np.random.default_rng(0))
    assert centers.shape == (5, 2)
    assert {tuple(row) for row in np.round(centers, 9)} == {(0.0, 0.0), (1.0, 1.0), (5.0, 5.0)}


def test_one_minibatch_of_all_samples_is_one_lloyd_update(client):
    X = blobs(n=500)
    result = scale.minibatch_kmeans(chunked(X, 500), X[:4], np.random.default_rng(0),
                                    batch_size=500, n_steps=1)
    np.testing.assert_allclose(result.centers, update_centers(X, assign(X, X[:4]), X[:4]),
                               rtol=1e-12)
    assert result.batch_losses == [pytest.approx(inertia(X, X[:4]) / 500)]


def test_minibatch_ends_close_to_lloyd(client):
    X = blobs(n=6000, k=5, seed=5)
    start = scale.init_kmeans_parallel(chunked(X), 5, np.random.default_rng(1))
    result = scale.minibatch_kmeans(chunked(X), start, np.random.default_rng(2), batch_size=256,
                                    n_steps=60)
    assert result.n_steps == 60 and len(result.batch_losses) == 60
    assert inertia(X, result.centers) <= 1.05 * kmeans(X, start).losses[-1]


# --- clear errors ----------------------------------------------------------------------------


def test_numpy_input_is_refused_with_the_way_out():
    with pytest.raises(TypeError, match=r"Dask array.*kmeans_lessons\.kmeans.*from_array"):
        scale.kmeans(blobs(), blobs()[:3])


def test_chunks_along_features_are_refused():
    X = da.from_array(blobs(), chunks=(1000, 2))
    with pytest.raises(ValueError, match=r"features into 2 column chunks.*rechunk\(\{1: -1\}\)"):
        scale.kmeans(X, blobs()[:3])


def test_more_centres_than_samples_is_refused():
    X = chunked(blobs(n=5))
    with pytest.raises(ValueError, match="k=6 is larger than the number of samples"):
        scale.kmeans(X, np.zeros((6, 3)))
    with pytest.raises(ValueError, match="k=6 is larger than the number of samples"):
        scale.init_kmeans_parallel(X, 6, np.random.default_rng(0))


def test_unknown_chunk_sizes_and_wrong_columns_are_refused():
    X = chunked(blobs())
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        scale.kmeans(X[X[:, 0] > 0], blobs()[:3])
    with pytest.raises(ValueError, match="init_centers has 2 columns but X has 3"):
        scale.kmeans(X, np.zeros((3, 2)))


def test_nan_in_the_data_is_named(client):
    X = blobs()
    X[10, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        scale.kmeans(chunked(X), blobs()[:3])


# --- where the work runs -----------------------------------------------------------------------


def test_local_cluster_connects_to_the_scheduler_in_the_environment(client, monkeypatch):
    monkeypatch.setenv(scale.SCHEDULER_VARIABLE, client.scheduler.address)
    other = scale.local_cluster(n_workers=5)
    try:
        assert other.scheduler.address == client.scheduler.address
        assert len(other.scheduler_info()["workers"]) == 2  # the existing cluster, not 5 new
    finally:
        other.close()


def test_an_address_nobody_answers_says_what_to_check(monkeypatch):
    monkeypatch.setenv(scale.SCHEDULER_VARIABLE, "tcp://127.0.0.1:9")
    with pytest.raises(ConnectionError, match=r"no Dask scheduler answered at tcp://127\.0\.0\.1:9 "
                                              r"\(from \$KMEANS_LESSONS_SCHEDULER\) within 1 s"):
        scale.local_cluster(timeout=1)


def test_a_malformed_address_is_refused():
    with pytest.raises(ValueError, match="is not a scheduler address"):
        scale.local_cluster(address="nowhere at all", timeout=1)


def test_local_cluster_starts_the_workers_asked_for(client):
    # The fixture's client: a second local cluster in one test process is slow to start here.
    workers = client.scheduler_info()["workers"].values()
    assert [(w["nthreads"], w["memory_limit"]) for w in workers] == [(1, 500_000_000)] * 2


def test_local_cluster_refuses_no_workers(monkeypatch):
    monkeypatch.delenv(scale.SCHEDULER_VARIABLE, raising=False)
    with pytest.raises(ValueError, match="n_workers must be a whole number >= 1, got 0"):
        scale.local_cluster(n_workers=0)
