"""Grading on a Dask cluster (``--scheduler``): the same grades.csv as on one machine.

A two-worker LocalCluster grades a small class of lesson-02 submissions (right, wrong,
crashing, empty) and the file must equal the one ``--jobs 2`` writes with the same key.
"""

import os
import warnings

import nbformat
import pytest
from test_autograde import (ASSIGN_AND_WEIGHTED, PAIRWISE, SANDBOXED, SETUP, SOLVED, WRONG_ASSIGN,
                            WRONG_PAIRWISE, notebook)

from kmeans_lessons.cli import main
from kmeans_lessons.grading.autograde import grade
from kmeans_lessons.grading.autograde.batch import submission_seeds
from kmeans_lessons.grading.exercises import EXERCISES

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's notes about ports and the dashboard
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                         dashboard_address=":0", memory_limit="2GB",
                                         silence_logs=40)
    yield local
    local.close()


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    nbformat.write(notebook(*SOLVED), folder / "right.ipynb")
    nbformat.write(notebook(SETUP, WRONG_PAIRWISE, WRONG_ASSIGN), folder / "wrong.ipynb")
    nbformat.write(notebook(SETUP, PAIRWISE, "import os\nos._exit(3)", ASSIGN_AND_WEIGHTED),
                   folder / "crashing.ipynb")
    nbformat.write(notebook(), folder / "empty.ipynb")
    return folder


OPTIONS = dict(timeout=20, key=b"cluster key", progress=False, sandbox=SANDBOXED)


def test_the_cluster_writes_the_same_grades_as_two_jobs(cluster, class_folder, tmp_path):
    here = grade([class_folder], tmp_path / "jobs.csv", feedback=tmp_path / "jobs", jobs=2,
                 **OPTIONS)
    there = grade([class_folder], tmp_path / "dask.csv", feedback=tmp_path / "dask",
                  scheduler=cluster.scheduler_address, **OPTIONS)
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "jobs.csv").read_bytes()
    assert {g.submission: g.status for g in there} == {
        "crashing": "crashed", "empty": "graded", "right": "graded", "wrong": "graded"}
    assert [g.path for g in there] == [g.path for g in here]
    for name in ("right", "wrong", "crashing", "empty"):
        assert (tmp_path / "dask" / f"{name}.txt").read_text() == \
            (tmp_path / "jobs" / f"{name}.txt").read_text()
    right = next(g for g in there if g.submission == "right")
    assert right.total == sum(e.max_points for e in right.exercises.values()) > 0


def test_the_scheduler_comes_from_the_environment_variable(cluster, class_folder, tmp_path,
                                                           monkeypatch, capsys):
    monkeypatch.setenv("KMEANS_LESSONS_SCHEDULER", cluster.scheduler_address)
    monkeypatch.setenv("KMEANS_LESSONS_GRADING_KEY", "cluster key")
    args = ["grade", str(class_folder / "right.ipynb"), "--out", str(tmp_path / "g.csv"),
            "--timeout", "20", "--no-progress"] + ([] if SANDBOXED else ["--no-sandbox"])
    assert main(args) == 0
    assert "graded 1 submission(s)" in capsys.readouterr().out
    assert (tmp_path / "g.csv").read_text().splitlines()[1].startswith("right,")


def test_a_bad_scheduler_address_is_a_clear_error(class_folder, tmp_path, capsys, monkeypatch):
    from kmeans_lessons.grading.autograde import cluster as on_cluster

    monkeypatch.setattr(on_cluster, "CONNECT_TIMEOUT", 2)
    code = main(["grade", str(class_folder), "--out", str(tmp_path / "g.csv"), "--no-progress",
                 "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no Dask scheduler answered at tcp://127.0.0.1:9 (from --scheduler) within 2 s" in err
    assert "Traceback" not in err and not (tmp_path / "g.csv").exists()


@pytest.fixture
def fragile_cluster():
    """A cluster whose scheduler gives up on a task at its first lost worker (KilledWorker), so
    that the grader's own second attempt is what is tested."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                         dashboard_address=":0", memory_limit="2GB",
                                         silence_logs=50)
    yield local
    local.close()


def lose_workers(address, count_file, losses):
    """Make the first ``losses`` grading tasks on the cluster kill their own Dask worker
    process (as a machine that goes down would), whichever worker, restarted or not, runs them.
    """

    class LoseWorkers(distributed.WorkerPlugin):
        name = "lose-workers"

        def setup(self, worker):
            from kmeans_lessons.grading.autograde import cluster as on_cluster

            real = on_cluster.grade_one

            def grade_one(*args, **kwargs):
                lost = int(open(count_file).read() or 0)
                if lost < losses:
                    open(count_file, "w").write(str(lost + 1))
                    os._exit(1)
                return real(*args, **kwargs)

            on_cluster.grade_one = grade_one

    open(count_file, "w").close()
    with distributed.Client(address) as client:
        client.register_plugin(LoseWorkers())


@pytest.mark.parametrize("losses, status", [(1, "graded"), (2, "crashed")])
def test_a_lost_worker_is_retried_once_then_the_row_is_crashed(fragile_cluster, class_folder,
                                                               tmp_path, losses, status):
    lose_workers(fragile_cluster.scheduler_address, str(tmp_path / "lost"), losses)
    (row,) = grade([class_folder / "right.ipynb"], tmp_path / "g.csv",
                   scheduler=fragile_cluster.scheduler_address, **OPTIONS)
    assert (tmp_path / "lost").read_text() == str(losses)
    assert row.status == status
    if status == "graded":
        assert row.total == sum(e.max_points for e in row.exercises.values()) > 0
    else:
        assert row.message.startswith("the Dask worker grading it was lost 2 times (KilledWorker")
        assert row.message.endswith("grade this submission again") and row.total == 0


def test_only_the_seeds_travel_never_the_key(cluster, class_folder, tmp_path, monkeypatch):
    import pickle

    sent = []
    submit = distributed.Client.submit

    def recording_submit(self, function, *args, **kwargs):
        sent.append(pickle.dumps(args))
        return submit(self, function, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "submit", recording_submit)
    key = b"a key that must stay here"
    grade([class_folder / "right.ipynb"], tmp_path / "g.csv", timeout=20, key=key,
          progress=False, sandbox=SANDBOXED, scheduler=cluster.scheduler_address)
    assert len(sent) == 1 and key not in sent[0] and key.hex().encode() not in sent[0]
    path, seeds, settings = pickle.loads(sent[0])
    assert path == str((class_folder / "right.ipynb").resolve())
    assert seeds == submission_seeds(key, EXERCISES, "right")  # salted with the row's student
    assert set(settings) == {"lesson", "sandbox", "cell_timeout", "max_time", "memory_mb",
                             "file_mb", "font_caches"}
