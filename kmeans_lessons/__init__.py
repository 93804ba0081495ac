"""kmeans-lessons: the helper package of an interactive course on k-means clustering.

The public names below are what the notebooks import. Each says in its docstring which notebook
teaches it. The reference library is imported at once; the heavier parts (grading, data loaders,
widgets, the text model) load on first use, so ``import kmeans_lessons`` stays quick.
"""

import importlib

from .algorithm import KMeans, KMeansResult, kmeans, update_centers
from .distances import assign, inertia, pairwise_sq_dists
from .initialisation import init_farthest, init_kmeans_pp, init_random
from .metrics import contingency_matrix, purity, standardize

__version__ = "0.1.0"

# name -> submodule that defines it, imported when the name is first used
_LAZY = {
    "check": "grading",
    "CheckResult": "grading",
    "difference_table": "broadcasting",
    "row_sums_outer": "broadcasting",
    "pick_per_row": "broadcasting",
    "elbow_sweep": "selection",
    "majority_labels": "classify",
    "normalize_rows": "spherical",
    "central_members": "spherical",
    "load_old_faithful": "datasets",
    "load_mnist": "datasets",
    "load_digits": "datasets",
    "make_blobs": "datasets",
    "make_rings": "datasets",
    "make_uneven_blobs": "datasets",
    "KMeansStepper": "widgets",
    "calinski_harabasz": "selection",
    "accuracy_by_k": "classify",
    "image_pixels": "quantisation",
    "quantise_image": "quantisation",
    "bits_per_pixel": "quantisation",
    "compression_ratio": "quantisation",
    "fit_codebook": "quantisation",
    "image_blocks": "quantisation",
    "quantise_blocks": "quantisation",
    "embed_sentences": "embeddings",
    "token_embeddings": "embeddings",
    "load_sentences": "datasets",
    # transfer exercises of notebooks 01, 02, 03, 06 and the D² picture of notebook 03
    "scale_each_image": "broadcasting",
    "weighted_sq_dists": "distances",
    "update_medians": "algorithm",
    "assignment_margin": "spherical",
    "plot_d2_probabilities": "plotting",
}

__all__ = [
    "pairwise_sq_dists",
    "assign",
    "inertia",
    "init_random",
    "init_kmeans_pp",
    "init_farthest",
    "update_centers",
    "kmeans",
    "KMeansResult",
    "KMeans",
    "standardize",
    "contingency_matrix",
    "purity",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kmeans_lessons' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
