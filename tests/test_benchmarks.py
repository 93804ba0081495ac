"""The benchmark scripts run and print their comparison (their timings are not asserted here:
speed targets are judged by running the scripts, never by a timed unit test)."""

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(autouse=True)
def benchmarks_on_path(monkeypatch):
    # The scripts run as `python benchmarks/NAME.py`, which puts their folder on sys.path.
    monkeypatch.syspath_prepend(str(BENCHMARKS))


def load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_kmeans_compares_with_scikit_learn_on_the_2d_case(capsys):
    status = load("bench_kmeans").main(["--only", "2-D", "--repeats", "1", "--iters", "3"])
    out = capsys.readouterr().out
    assert status in (0, 1)
    for words in ["ratio ours/scikit-learn", "matrix product alone", "peak extra memory",
                  "label agreement with scikit-learn: 1.00000"]:
        assert words in out, out


def test_bench_init_compares_with_scikit_learn(capsys, monkeypatch):
    monkeypatch.delenv("KMEANS_LESSONS_DATA", raising=False)  # noise: no 190 MB MNIST read
    status = load("bench_init").main(["--k", "2", "--repeats", "1"])
    out = capsys.readouterr().out
    assert status in (0, 1)
    assert "(noise)" in out and "k=   2: init_kmeans_pp" in out and "ratio" in out, out


def test_bench_stepper_times_slider_steps_in_a_browser(capsys):
    status = load("bench_stepper").main(["--n", "400", "--k", "3", "--moves", "12"])
    out = capsys.readouterr().out
    if status == 2:  # no Chromium or Playwright here: the script says which
        pytest.skip(out.strip())
    assert status in (0, 1)
    for words in ["slider step, frame seen before", "baseline full redraw from scratch",
                  "step / full redraw:", "budget: 90th percentile"]:
        assert words in out, out


def test_bench_scale_compares_dask_with_in_memory_kmeans(capsys):
    status = load("bench_scale").main(["--small"])
    out = capsys.readouterr().out
    assert status in (0, 1)
    for words in ["ratio Dask/in-memory", "one BLAS thread", "iterations 3 and 3",
                  "s per pass over the data", "peak worker memory"]:
        assert words in out, out


@pytest.mark.parametrize("name", ["bench_kmeans", "bench_init", "bench_stepper",
                                  "bench_embeddings", "make_class", "bench_scale"])
def test_every_benchmark_documents_how_to_run_it(name):
    doc = load(name).__doc__
    assert doc and f"benchmarks/{name}.py" in doc, f"{name}.py should say how to run it"
