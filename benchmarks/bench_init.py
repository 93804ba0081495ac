"""k-means++ and farthest-first starts on MNIST-shaped data, against scikit-learn's k-means++.

    python benchmarks/bench_init.py [--repeats 3] [--k 10 64 200]

Both sides choose k centres from the same float32 data (real MNIST training images when
KMEANS_LESSONS_DATA points at them, otherwise uniform noise of the same shape). The baseline,
measured in the same run and alternated with ours, is ``sklearn.cluster.kmeans_plusplus`` with
``n_local_trials=1``: plain D^2 sampling, the algorithm ``init_kmeans_pp`` implements (by default
scikit-learn tries 2 + log k candidates per centre, which is more work and a different method).

Prints the median seconds of each and the ratio ours / scikit-learn. Target: ratio <= 1 for
k-means++ at every k. The exit status is 1 when it is missed.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
from sklearn.cluster import kmeans_plusplus

from bench_kmeans import mnist_like  # the same data as the k-means benchmark
from kmeans_lessons import init_farthest, init_kmeans_pp

TARGET = 1.0


def seconds(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--k", type=int, nargs="+", default=[10, 64, 200])
    args = parser.parse_args(argv)
    X, source = mnist_like(60000, 784, np.random.default_rng(0))
    print(f"X {X.shape[0]} x {X.shape[1]} float32 ({source}); OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE')}")
    met = True
    for k in args.k:
        ours, farthest, theirs = [], [], []
        for repeat in range(args.repeats):
            theirs.append(seconds(lambda: kmeans_plusplus(X, k, random_state=repeat,
                                                          n_local_trials=1)))
            ours.append(seconds(lambda: init_kmeans_pp(X, k, np.random.default_rng(repeat))))
            farthest.append(seconds(lambda: init_farthest(X, k, np.random.default_rng(repeat))))
        ratio = statistics.median(ours) / statistics.median(theirs)
        met &= ratio <= TARGET
        print(f"k={k:4d}: init_kmeans_pp {statistics.median(ours):6.2f} s   init_farthest "
              f"{statistics.median(farthest):6.2f} s   scikit-learn kmeans_plusplus "
              f"{statistics.median(theirs):6.2f} s   ratio {ratio:.2f} (target <= {TARGET})")
    print("\nall targets met" if met else "\nSOME TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
