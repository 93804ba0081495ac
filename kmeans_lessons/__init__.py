"""kmeans-lessons: the helper package of an interactive course on k-means clustering.

The public names below are what the notebooks import. Each says in its docstring which notebook
teaches it.
"""

from .algorithm import KMeans, KMeansResult, kmeans, update_centers
from .distances import assign, inertia, pairwise_sq_dists
from .init import init_farthest, init_kmeans_pp, init_random
from .metrics import contingency_matrix, purity, standardize

__version__ = "0.1.0"

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
]
