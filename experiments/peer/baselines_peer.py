#!/usr/bin/python3
"""baselines_peer.py -- the scikit-learn side of bench.lua's section `baselines`: the
pixel-space baselines of MNIST-1D on the frozen data (float64), timed as whole calls.

  10-NN:    KNeighborsClassifier(n_neighbors=10, metric=euclidean | cosine).fit(x, y)
            then .predict(x_test)  (m1d: knn.accuracy)
  logistic: StandardScaler().fit(x), transform both, LogisticRegression(C=1).fit, both
            accuracies  (m1d: probe.logistic, which fits to |gradient of objective/n| <= 1e-6 and
            reaches a slightly lower objective than sklearn at tol 1e-6)
            once at the notebook's setting (tol 1e-2, max_iter 100: it stops at 100
            iterations) and once converged like m1d (tol 1e-6, max_iter 10000)

Median wall time over REPS calls of each (default 7).  One thread (OMP/OpenBLAS, set before
numpy is imported).  Prints one JSON line.  Needs Debian's python3-sklearn (1.2.1).
    /usr/bin/python3 experiments/peer/baselines_peer.py [--reps N] [--data DIR]
"""
import argparse
import json
import os
import statistics
import time
import warnings

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def objective(coef, intercept, x, y, C=1.0):
    z = x @ coef.T + intercept
    zmax = z.max(axis=1, keepdims=True)
    lse = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
    return float((lse - z[np.arange(len(y)), y]).sum() + 0.5 * (coef ** 2).sum() / C)


def timed(fn, reps):
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--data", default=os.path.join(ROOT, "vendor", "mnist1d"))
    a = ap.parse_args()
    x, y, xt, yt = (np.load(os.path.join(a.data, n + ".npy")) for n in ("x", "y", "x_test", "y_test"))

    def knn(metric):
        pred = KNeighborsClassifier(n_neighbors=10, metric=metric).fit(x, y).predict(xt)
        return 100 * float((pred == yt).mean())

    def logistic(tol, max_iter):
        sc = StandardScaler().fit(x)
        xs, xts = sc.transform(x), sc.transform(xt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = LogisticRegression(C=1.0, tol=tol, max_iter=max_iter).fit(xs, y)
        return (100 * clf.score(xts, yt), 100 * clf.score(xs, y), objective(clf.coef_, clf.intercept_, xs, y),
                int(clf.n_iter_[0]))

    res = {"sklearn": sklearn.__version__, "reps": a.reps}
    res["knn_ms"], res["knn_test_acc"] = timed(lambda: knn("euclidean"), a.reps)
    res["knn_cosine_ms"], res["knn_cosine_test_acc"] = timed(lambda: knn("cosine"), a.reps)
    for name, tol, it in (("logistic_notebook", 1e-2, 100), ("logistic_converged", 1e-6, 10000)):
        ms, (te, tr, obj, n_iter) = timed(lambda: logistic(tol, it), a.reps)
        res[name] = {"ms": ms, "test_acc": te, "train_acc": tr, "objective": obj, "n_iter": n_iter, "tol": tol}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
