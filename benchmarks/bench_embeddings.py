"""Embedding 200 short sentences with the NumPy MiniLM, against the bare matrix products it needs.

    python benchmarks/bench_embeddings.py [--repeats 5] [--n 200] [--batch-size 64]

Target (issue: embeddings): embedding 200 short sentences takes < 5 s on 2 cores.

The sentences are the course corpus (datasets/sentences.csv) repeated to 200. The script prints
  * the one-off cost of loading the model (read 90 MB, SHA-256 check, tokenizer) in this process;
  * the median time of ``embed_sentences`` (model already loaded), and the first call including
    the load, both against the 5 s budget;
  * the baseline, measured in the same run: the matrix products the encoder cannot avoid (the
    same shapes and FLOPs, done with np.matmul on random float32 arrays, batch by batch exactly
    as ``embed_sentences`` batches these sentences). The ratio ours / baseline is the overhead of
    everything else: tokenizing, embedding lookup, LayerNorm, softmax, GELU, reshapes.
The exit status is 1 when the budget is missed.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info

from kmeans_lessons import embeddings
from kmeans_lessons.datasets import load_sentences
from kmeans_lessons.embeddings import embed_sentences, load_model

BUDGET_SECONDS = 5.0


def corpus_sentences(n):
    """``n`` short sentences: the course corpus, repeated as often as needed."""
    sentences = load_sentences()["sentence"].tolist()
    return [sentences[i % len(sentences)] for i in range(n)]


def batch_shapes(sentences, batch_size, model):
    """(b, t) of every batch ``embed_sentences`` runs for these sentences, in the same way."""
    encodings = model.tokenizer.encode_batch(sentences, add_special_tokens=False)
    lengths = sorted((len(embeddings._ids_with_specials(e.ids, model)) for e in encodings),
                     reverse=True)
    return [(len(chunk), max(chunk)) for chunk in
            (lengths[i : i + batch_size] for i in range(0, len(lengths), batch_size))]


def make_baseline(shapes, config):
    """A function doing only the encoder's matrix products for these batch shapes.

    Per layer and batch (n = b*t rows, d = 384, f = 1536, h = 12 heads of 32): four (n, d) @ (d, d)
    (query, key, value, attention output), (n, d) @ (d, f), (n, f) @ (f, d), and the two
    attention products (b, h, t, 32) @ (b, h, 32, t) and (b, h, t, t) @ (b, h, t, 32).
    """
    rng = np.random.default_rng(0)
    d, f = config["hidden_size"], config["intermediate_size"]
    h, layers = config["num_attention_heads"], config["num_hidden_layers"]
    W_dd = rng.standard_normal((d, d), dtype=np.float32)
    W_df = rng.standard_normal((f, d), dtype=np.float32)  # stored (out, in) like the model
    W_fd = rng.standard_normal((d, f), dtype=np.float32)
    inputs = []
    for b, t in shapes:
        inputs.append((
            rng.standard_normal((b, t, d), dtype=np.float32),
            rng.standard_normal((b, t, f), dtype=np.float32),
            rng.standard_normal((b, h, t, d // h), dtype=np.float32),
            rng.standard_normal((b, h, t, t), dtype=np.float32),
        ))

    def run():
        for x, wide, heads, probs in inputs:
            for _ in range(layers):
                for _ in range(4):
                    x @ W_dd.T
                x @ W_df.T
                wide @ W_fd.T
                heads @ heads.transpose(0, 1, 3, 2)
                probs @ heads

    flops = sum(layers * (2 * b * t * (4 * d * d + 2 * d * f) + 2 * 2 * b * h * t * t * (d // h))
                for b, t in shapes)
    return run, flops


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n", type=int, default=200, help="number of sentences")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)

    blas = [(i.get("internal_api"), i.get("num_threads")) for i in threadpool_info()
            if i.get("user_api") == "blas"]
    print(f"numpy {np.__version__}; BLAS (library, threads): {blas}; cores: {os.cpu_count()}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")

    sentences = corpus_sentences(args.n)
    start = time.perf_counter()
    model = load_model()
    load_seconds = time.perf_counter() - start
    first_call = time.perf_counter()
    embed_sentences(sentences, batch_size=args.batch_size)
    first_call = time.perf_counter() - first_call + load_seconds

    shapes = batch_shapes(sentences, args.batch_size, model)
    baseline, flops = make_baseline(shapes, model.config)
    baseline()  # warm up BLAS threads

    ours, base = [], []
    for _ in range(args.repeats):  # alternate, so both see the same machine state
        ours.append(median_time(lambda: embed_sentences(sentences, batch_size=args.batch_size), 1))
        base.append(median_time(baseline, 1))
    ours, base = statistics.median(ours), statistics.median(base)
    tokens = sum(b * t for b, t in shapes)

    print(f"\n{args.n} sentences, batch_size {args.batch_size}: {len(shapes)} batches, "
          f"{tokens} token slots (padded), longest text {max(t for _, t in shapes)} tokens")
    print(f"  model load (read, SHA-256, tokenizer), once per process: {load_seconds:.3f} s")
    print(f"  embed_sentences, median of {args.repeats}:  {ours:.3f} s   "
          f"({ours / BUDGET_SECONDS:.1%} of the {BUDGET_SECONDS:.0f} s budget)")
    print(f"  first call including the load:       {first_call:.3f} s   "
          f"({first_call / BUDGET_SECONDS:.1%} of the budget)")
    print(f"  baseline, bare matmuls of the same shapes: {base:.3f} s "
          f"({flops / 1e9:.1f} GFLOP, {flops / base / 1e9:.1f} GFLOP/s)")
    print(f"  ratio ours / baseline: {ours / base:.2f}  (1.0 = nothing but the unavoidable GEMMs)")
    met = first_call < BUDGET_SECONDS
    print("\ntarget met: < 5 s including the load" if met else "\nTARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
