#!/usr/bin/python3
"""make_tsne_fixtures.py -- scikit-learn reference values for m1d.tsne (tests/lua/tsne_test.lua).

Needs Debian's python3-sklearn (1.2.1 made the committed files; installed by hand:
`apt-get install python3-sklearn`, it is not a build dependency) and python3-numpy.
The data: the first N = 200 signals of the frozen MNIST-1D training set
(vendor/mnist1d/x.npy, float64 [200, 40]); the test takes the same rows from
m1d.mnist1d.frozen.  Written to tests/fixtures/tsne/:

  P_euclidean.npy  [N, N] sklearn's joint P of the Barnes-Hut path, perplexity 30:
                   k = min(N - 1, 3 * 30 + 1) = 91 nearest neighbours, squared euclidean
                   distances, _joint_probabilities_nn (float32 inside sklearn)
  P_cosine.npy     the same with cosine distances (NearestNeighbors(metric="cosine"))
  pca.npy          [N, 2] sklearn's PCA initialisation: PCA(2, svd_solver="full")
                   scores (svd_flip signs), divided by their first column's std, * 1e-4
  Y_sklearn.npy    [N, 2] TSNE(perplexity=30, init="pca", method="barnes_hut",
                   angle=0.5, n_iter=1000, learning_rate="auto", random_state=0)
  values.json      kl_sklearn (that run's kl_divergence_), kl_exact_sklearn (the exact
                   KL(P || Q) of Y_sklearn with P_euclidean, float64 here), n_iter, and
                   kl_random: kl_divergence_ of the same settings with init="random" for
                   random_state = 0 .. 9 (a t-SNE run's final KL varies by several % with
                   its start at this size: the test compares means over starts)

Run from the repository root:  /usr/bin/python3 tools/make_tsne_fixtures.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.manifold._t_sne import _joint_probabilities_nn
from sklearn.neighbors import NearestNeighbors

N, PERPLEXITY = 200, 30.0
OUT = "tests/fixtures/tsne"


def joint_p(x, metric):
    k = min(N - 1, int(3.0 * PERPLEXITY + 1))
    nn = NearestNeighbors(n_neighbors=k, metric=metric).fit(x)
    d = nn.kneighbors_graph(mode="distance")
    if metric == "euclidean":
        d.data **= 2                     # sklearn's TSNE squares euclidean distances
    return np.asarray(_joint_probabilities_nn(d, PERPLEXITY, 0).todense(), dtype=np.float64)


def exact_kl(p, y):
    d2 = ((y[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    w = 1.0 / (1.0 + d2)
    np.fill_diagonal(w, 0.0)
    q = w / w.sum()
    m = p > 0
    return float((p[m] * np.log(p[m] / q[m])).sum())


def main():
    x = np.load("vendor/mnist1d/x.npy")[:N].astype(np.float64)
    os.makedirs(OUT, exist_ok=True)
    p = joint_p(x, "euclidean")
    np.save(os.path.join(OUT, "P_euclidean.npy"), p)
    np.save(os.path.join(OUT, "P_cosine.npy"), joint_p(x, "cosine"))
    scores = PCA(n_components=2, svd_solver="full").fit_transform(x)
    np.save(os.path.join(OUT, "pca.npy"), scores / np.std(scores[:, 0]) * 1e-4)
    ts = TSNE(perplexity=PERPLEXITY, init="pca", method="barnes_hut", angle=0.5, n_iter=1000,
              learning_rate="auto", random_state=0)
    y = ts.fit_transform(x).astype(np.float64)
    np.save(os.path.join(OUT, "Y_sklearn.npy"), y)
    kl_random = [float(TSNE(perplexity=PERPLEXITY, init="random", method="barnes_hut", angle=0.5, n_iter=1000,
                            learning_rate="auto", random_state=s).fit(x).kl_divergence_) for s in range(10)]
    values = {"kl_random": kl_random, "n": N, "perplexity": PERPLEXITY, "kl_sklearn": float(ts.kl_divergence_),
              "kl_exact_sklearn": exact_kl(p, y), "n_iter": int(ts.n_iter_) + 1, "sklearn": sklearn.__version__}
    with open(os.path.join(OUT, "values.json"), "w") as f:
        json.dump(values, f, indent=1)
    print(values)


if __name__ == "__main__":
    main()
