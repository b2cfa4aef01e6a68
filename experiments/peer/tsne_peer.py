"""t-SNE of MNIST-1D: m1d.tsne against scikit-learn's Barnes-Hut TSNE, side by side.

Both embed the 5,000 frozen MNIST-1D signals (train + test, 40-D, vendor/mnist1d) with
sklearn's settings TSNE(perplexity=30, init="pca", method="barnes_hut", angle=0.5,
n_iter=1000, learning_rate="auto", early_exaggeration=12), on one thread
(OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = 1).  Each round runs one m1d process
(`./m1d experiments/bench.lua --only tsne`, the `make bench` section) and one sklearn
process (this script with --worker), back to back, in alternating order, so that
each process's CPU time and peak RSS (wait4) are its own and both see the same machine
load.  Reported per round: wall seconds of the fit (as each side times it), process CPU,
final KL divergence (each side's own report: the optimiser's KL with Q normalised by
the Barnes-Hut Z), peak RSS; then the medians, the speed-up (sklearn / m1d) and whether
the targets hold: KL no worse than 2 % above sklearn's, >= 10x faster, m1d under 200 MB.

    /usr/bin/python3 experiments/peer/tsne_peer.py [ROUNDS] [--json results/tsne_peer.json]
    make bench-peer-tsne                                  (3 rounds)

Needs Debian's python3-sklearn (1.2.1 here) and python3-numpy.
"""
import json, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SETTINGS = dict(perplexity=30.0, init="pca", method="barnes_hut", angle=0.5, n_iter=1000,
                learning_rate="auto", early_exaggeration=12.0)


def worker(out_json):
    import numpy as np
    from sklearn.manifold import TSNE
    import sklearn
    vendor = os.path.join(ROOT, "vendor", "mnist1d")
    x = np.concatenate([np.load(os.path.join(vendor, "x.npy")), np.load(os.path.join(vendor, "x_test.npy"))])
    t0, c0 = time.perf_counter(), time.process_time()
    ts = TSNE(random_state=0, **SETTINGS)
    ts.fit_transform(x)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    with open(out_json, "w") as f:
        json.dump({"n": int(x.shape[0]), "seconds": seconds, "cpu_seconds": cpu, "kl": float(ts.kl_divergence_),
                   "n_iter": int(ts.n_iter_) + 1, "sklearn": sklearn.__version__}, f)


def run_child(cmd, env):
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit("tsne_peer: %s failed:\n%s" % (" ".join(cmd), err[-2000:]))
    return {"user_s": ru.ru_utime, "sys_s": ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024.0}


def main():
    args = sys.argv[1:]
    if args[:1] == ["--worker"]:
        return worker(args[1])
    out = os.path.join(ROOT, "results", "tsne_peer.json")
    if "--json" in args:
        i = args.index("--json")
        out = args[i + 1]
        del args[i:i + 2]
    rounds = int(args[0]) if args else 3
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    tmp = tempfile.mkdtemp(prefix="tsne_peer")
    m1d_cmd = [os.path.join(ROOT, "m1d"), os.path.join(ROOT, "experiments", "bench.lua"), "--only", "tsne",
               "--out", os.path.join(tmp, "m1d.json")]
    sk_cmd = [sys.executable, os.path.abspath(__file__), "--worker", os.path.join(tmp, "sk.json")]
    rows = []
    for r in range(rounds):
        row = {}
        for side in (["m1d", "sklearn"] if r % 2 == 0 else ["sklearn", "m1d"]):
            if side == "m1d":
                proc = run_child(m1d_cmd, env)
                with open(os.path.join(tmp, "m1d.json")) as f:
                    res = json.load(f)["tsne"]
            else:
                proc = run_child(sk_cmd, env)
                with open(os.path.join(tmp, "sk.json")) as f:
                    res = json.load(f)
            res.update(process_cpu_s=proc["user_s"] + proc["sys_s"], process_maxrss_mb=proc["maxrss_mb"])
            row[side] = res
        row["speedup_wall"] = row["sklearn"]["seconds"] / row["m1d"]["seconds"]
        row["speedup_cpu"] = row["sklearn"]["process_cpu_s"] / row["m1d"]["process_cpu_s"]
        rows.append(row)
        print("round %d: m1d %.2f s (cpu %.2f, KL %.4f, %.0f MB)   sklearn %.2f s (cpu %.2f, KL %.4f, %.0f MB)   "
              "speed-up %.1fx wall, %.1fx cpu" % (
                  r + 1, row["m1d"]["seconds"], row["m1d"]["process_cpu_s"], row["m1d"]["kl"],
                  row["m1d"]["process_maxrss_mb"], row["sklearn"]["seconds"], row["sklearn"]["process_cpu_s"],
                  row["sklearn"]["kl"], row["sklearn"]["process_maxrss_mb"], row["speedup_wall"], row["speedup_cpu"]),
              flush=True)
    med = lambda side, k: statistics.median(r[side][k] for r in rows)
    summary = {
        "m1d_seconds": med("m1d", "seconds"), "sklearn_seconds": med("sklearn", "seconds"),
        "m1d_kl": med("m1d", "kl"), "sklearn_kl": med("sklearn", "kl"),
        "m1d_kl_exact": med("m1d", "kl_exact"),
        "m1d_peak_rss_mb": max(r["m1d"]["process_maxrss_mb"] for r in rows),
        "speedup_wall": statistics.median(r["speedup_wall"] for r in rows),
        "speedup_cpu": statistics.median(r["speedup_cpu"] for r in rows),
    }
    summary["kl_ratio"] = summary["m1d_kl"] / summary["sklearn_kl"]
    targets = {"kl_within_2_percent": summary["kl_ratio"] <= 1.02, "at_least_10x_faster": summary["speedup_wall"] >= 10,
               "under_200_mb": summary["m1d_peak_rss_mb"] < 200}
    print("median of %d rounds: m1d %.2f s, sklearn %.2f s: %.1fx (cpu %.1fx); KL m1d %.4f vs sklearn %.4f (%+.2f %%); "
          "m1d peak RSS %.0f MB" % (rounds, summary["m1d_seconds"], summary["sklearn_seconds"], summary["speedup_wall"],
                                    summary["speedup_cpu"], summary["m1d_kl"], summary["sklearn_kl"],
                                    100 * (summary["kl_ratio"] - 1), summary["m1d_peak_rss_mb"]))
    print("targets: " + ", ".join("%s %s" % (k, "yes" if v else "NO") for k, v in targets.items()))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"settings": SETTINGS, "rounds": rows, "summary": summary, "targets": targets}, f, indent=1)
    print("wrote " + out)


if __name__ == "__main__":
    main()
