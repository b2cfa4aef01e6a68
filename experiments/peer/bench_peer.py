#!/usr/bin/python3
"""m1d vs PyTorch, same machine, same run: per-step time of a batch-100 training step, and
per inner step of the unrolled meta-gradient step (K = 30 inner steps with create_graph,
then the gradient of a validation loss with respect to the learning rate).

    bench_peer.py [ROUNDS] [--only train|meta|baselines|pooling|extended|studies] [--quick]
                                                        (default 5 rounds, every part)

Each round runs, back to back, experiments/bench.lua (m1d) and exp_micro.py --worker
(PyTorch) for the training steps, then for each of the MLP, CNN and GRU one process of
bench.lua --only meta_NAME and one of meta_peer.py --models NAME (a fresh process per model,
so that its peak RSS and its user / system CPU time, taken from wait4, are its own).  Prints
the median over rounds of each one's median step time, the ratio m1d / PyTorch, and each
round's speed-up (PyTorch / m1d, measured back to back) with their median; for the
meta-steps also the CPU split and memory of both sides and the speed-up targets.  Both run
with 1 BLAS thread (OPENBLAS_NUM_THREADS=1) and the same OPENBLAS_CORETYPE (the caller's,
else the family m1d picked; printed), so the same sgemm kernels.  The part `baselines` runs bench.lua --only baselines
and baselines_peer.py (scikit-learn: 10-NN euclidean and cosine, the standardised logistic
regression at the notebook's tol 1e-2 and converged to tol 1e-6) each round and reports the
time of each whole call side by side (needs python3-sklearn; skipped without it).  Writes
results/bench_peer.json.  The part `pooling` runs bench.lua --only pooling and pool_peer.py
(the pooling study's five models, one training step each) back to back each round.  The part
`extended` runs bench.lua --only EXTENDED and extended_peer.py (the extended benchmark's models:
the transformer and the MLP with batch norm of extended_models.py, one training step each) back
to back each round.  The part `studies` (studies_peer.py) runs three studies as themselves
on both sides each round: one lottery retrain (experiments/lottery.lua / exp_lottery.py),
metalearn_lr at paper settings (metalearn_lr.lua --jobs 1 / exp_metalearn_lr.py) and three
outer steps of metalearn_afunc at 61 inner steps (metalearn_afunc.lua / exp_metalearn_afunc.py),
and reports the seconds, speed-ups, afunc's peak RSS and the results both reached; --quick
shortens them (a smoke run of that part).
"""
import json, os, shutil, statistics, subprocess, sys, tempfile

import studies_peer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = ["logistic", "mlp", "cnn", "gru", "lstm"]
TRAIN_TARGET = {"lstm": 5.0}   # wanted speed-up of a training step (issue #19: the LSTM against PyTorch)
META = ["mlp", "cnn", "gru"]
META_TARGET = {"mlp": 4.0, "cnn": 3.0, "gru": 8.0}   # wanted speed-up of m1d over PyTorch
POOL_KINDS = ["no_pool", "stride_2", "max_pool", "avg_pool", "l2_pool"]
POOL_TARGET = 3.0
# the extended benchmark's models: bench.lua sections of these names, models.EXTENDED on the
# PyTorch side (extended_peer.py); one more model is one more name here and there
EXTENDED = ["transformer", "mlp_bn"]
EXTENDED_TARGET = 5.0


def run_child(cmd, env):
    """Run cmd; return (stdout, rusage of that process alone: user/system CPU, peak RSS)."""
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit("bench-peer: %s exited with %d" % (" ".join(cmd), p.returncode))
    return out, {"user_s": ru.ru_utime, "sys_s": ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024.0}


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def meta_round(data, env, meta):
    """One m1d and one PyTorch process per meta model, back to back."""
    for m in META:
        out = os.path.join(data, "meta_%s.json" % m)
        _, ru = run_child([os.path.join(ROOT, "m1d"), os.path.join(ROOT, "experiments", "bench.lua"),
                           "--only", "meta_" + m, "--out", out], env)
        with open(out) as f:
            r = json.load(f)["meta"][m]
        r["process"] = ru
        meta["m1d"][m].append(r)
        stdout, ru = run_child([sys.executable, os.path.join(HERE, "meta_peer.py"), "--threads", "1",
                                "--data", data, "--models", m], env)
        r = json.loads(stdout.strip().splitlines()[-1])["meta"][m]
        r["process"] = ru
        meta["torch"][m].append(r)
    return "  ".join("meta_%s %.3f/%.3f" % (m, meta["m1d"][m][-1]["inner_step_ms"],
                                            meta["torch"][m][-1]["inner_step_ms"]) for m in META)


def meta_report(meta, rounds):
    print("\nUnrolled meta-step, K = %d inner steps (create_graph), then d(val loss)/d(lr); ms per inner step"
          % meta["m1d"][META[0]][0]["K"])
    print("%-9s %10s %12s %12s %10s %26s" % ("meta", "m1d ms", "PyTorch ms", "m1d/PyTorch", "target",
                                              "speed-up, per round"))
    summary = {}
    for m in META:
        a = med([r["inner_step_ms"] for r in meta["m1d"][m]])
        b = med([r["inner_step_ms"] for r in meta["torch"][m]])
        per_round = [t["inner_step_ms"] / x["inner_step_ms"] for x, t in zip(meta["m1d"][m], meta["torch"][m])]
        sp = statistics.median(per_round)
        ok = sp >= META_TARGET[m]
        summary[m] = {"m1d_ms": a, "torch_ms": b, "ratio": a / b, "speedup_per_round": per_round,
                      "speedup_median_of_rounds": sp, "target_speedup": META_TARGET[m], "target_met": ok}
        # CPU time (user + system) of the timed meta-steps: a steadier figure than wall time
        # when other processes share the cores (it leaves out time spent waiting for a core).
        cpu = lambda r: r["user_ms_per_step"] + r["sys_ms_per_step"]  # noqa: E731
        cpu_round = [cpu(t) / cpu(x) if cpu(x) > 0 else float("nan")
                     for x, t in zip(meta["m1d"][m], meta["torch"][m])]
        summary[m]["cpu_speedup_per_round"] = cpu_round
        summary[m]["cpu_speedup_median_of_rounds"] = med(cpu_round)
        print("%-9s %10.3f %12.3f %12.3f %6s %s   %.1fx (median of rounds %.2fx: %s)" % (
            m, a, b, a / b, ">=%gx" % META_TARGET[m], "\u2713" if ok else "\u2717", b / a, sp,
            " ".join("%.2f" % r for r in per_round)))
        print("%-9s %49s by CPU time: median of rounds %.2fx: %s" % (
            "", "", med(cpu_round), " ".join("%.2f" % r for r in cpu_round)))
    print("CPU per inner step (ms; warm = the timed meta-steps, cold = the first one), whole process CPU (s),")
    print("peak RSS (MB) of a meta-step of K and of 2K inner steps and their difference per step (medians of rounds):")
    print("%-9s %-7s %7s %7s %7s %7s %8s %8s %8s %8s %8s %8s" % (
        "meta", "side", "user", "sys", "user1", "sys1", "proc u", "proc s", "maxrss", "peak K", "peak 2K",
        "MB/step"))
    for m in META:
        for side, label in (("m1d", "m1d"), ("torch", "PyTorch")):
            rs = meta[side][m]
            g = lambda k: med([r.get(k) for r in rs])  # noqa: E731
            p = lambda k: med([r["process"][k] for r in rs])  # noqa: E731
            row = {k: g(k) for k in ("user_ms_per_step", "sys_ms_per_step", "cold_user_ms_per_step",
                                     "cold_sys_ms_per_step", "cold_minflt_per_step", "peak_rss_mb_K", "peak_rss_mb_2K",
                                     "rss_mb_per_step", "minflt_per_step")}
            row.update(process_user_s=p("user_s"), process_sys_s=p("sys_s"), process_maxrss_mb=p("maxrss_mb"))
            summary[m][side] = row
            print("%-9s %-7s %7.3f %7.3f %7.3f %7.3f %8.2f %8.2f %8.1f %8.1f %8.1f %8.3f" % (
                m, label, row["user_ms_per_step"], row["sys_ms_per_step"], row["cold_user_ms_per_step"],
                row["cold_sys_ms_per_step"], row["process_user_s"], row["process_sys_s"],
                row["process_maxrss_mb"], row["peak_rss_mb_K"], row["peak_rss_mb_2K"], row["rss_mb_per_step"]))
    return summary


def baselines_round(env, base, out):
    """bench.lua --only baselines, then baselines_peer.py, back to back."""
    run_child([os.path.join(ROOT, "m1d"), os.path.join(ROOT, "experiments", "bench.lua"),
               "--only", "baselines", "--out", out], env)
    with open(out) as f:
        base["m1d"].append(json.load(f)["baselines"])
    stdout, _ = run_child([sys.executable, os.path.join(HERE, "baselines_peer.py"), "--reps", "3"], env)
    base["sklearn"].append(json.loads(stdout.strip().splitlines()[-1]))
    m, k = base["m1d"][-1], base["sklearn"][-1]
    return "knn %.1f/%.1f  knn_cos %.1f/%.1f  logistic %.1f/%.1f (tol 1e-5 %.1f, sklearn tol 1e-6: %.1f) ms" % (
        m["knn_ms"], k["knn_ms"], m["knn_cosine_ms"], k["knn_cosine_ms"], m["logistic_ms"],
        k["logistic_notebook"]["ms"], m["logistic_tol1e5_ms"], k["logistic_converged"]["ms"])


def pooling_round(data, env, pool, out):
    """bench.lua --only pooling, then pool_peer.py, back to back."""
    run_child([os.path.join(ROOT, "m1d"), os.path.join(ROOT, "experiments", "bench.lua"),
               "--only", "pooling", "--out", out], env)
    with open(out) as f:
        res = json.load(f)["models"]
    pool["m1d"].append({k: res[k]["ms"] for k in POOL_KINDS})
    stdout, _ = run_child([sys.executable, os.path.join(HERE, "pool_peer.py"), "--data", data], env)
    pool["torch"].append(json.loads(stdout.strip().splitlines()[-1]))
    return "pooling " + "  ".join("%s %.3f/%.3f" % (k, pool["m1d"][-1][k], pool["torch"][-1][k]) for k in POOL_KINDS)


def extended_round(data, env, ext, out):
    """bench.lua --only EXTENDED, then extended_peer.py, back to back."""
    run_child([os.path.join(ROOT, "m1d"), os.path.join(ROOT, "experiments", "bench.lua"),
               "--only", ",".join(EXTENDED), "--out", out], env)
    with open(out) as f:
        res = json.load(f)["models"]
    ext["m1d"].append({k: res[k]["ms"] for k in EXTENDED})
    stdout, _ = run_child([sys.executable, os.path.join(HERE, "extended_peer.py"), "--data", data,
                           "--models", ",".join(EXTENDED)], env)
    ext["torch"].append(json.loads(stdout.strip().splitlines()[-1]))
    return "extended " + "  ".join("%s %.3f/%.3f" % (k, ext["m1d"][-1][k], ext["torch"][-1][k]) for k in EXTENDED)


def group_report(title, names, runs, target, width):
    """Per model of a group (runs["m1d"], runs["torch"]: one {name: ms} per round): the
    medians, the speed-up of each round and their median, printed and returned."""
    print("\n" + title + ", ms per training step, median of rounds")
    print("%-*s %9s %11s %9s %8s %26s" % (width, "model", "m1d ms", "PyTorch ms", "speed-up", "target", "per round"))
    summary = {}
    for k in names:
        a, b = med([r[k] for r in runs["m1d"]]), med([r[k] for r in runs["torch"]])
        per_round = [t[k] / m[k] for m, t in zip(runs["m1d"], runs["torch"])]
        summary[k] = {"m1d_ms": a, "torch_ms": b, "speedup_per_round": per_round,
                      "speedup_median_of_rounds": med(per_round), "target": target}
        print("%-*s %9.3f %11.3f %8.1fx %7.1fx %26s" % (width, k, a, b, med(per_round), target,
                                                       " ".join("%.1f" % r for r in per_round)))
    return summary


def extended_report(ext):
    return group_report("Extended benchmark's models (nn.models.transformer, mlp_bn / models.EXTENDED)",
                        EXTENDED, ext, EXTENDED_TARGET, 12)


def pooling_report(pool):
    return group_report("Pooling study's models (nn.models.conv_pool / models.ConvPool)", POOL_KINDS, pool,
                        POOL_TARGET, 9)


def baselines_report(base):
    print("\nPixel-space baselines on the frozen data (float64, 1 thread), ms per whole call, median of rounds")
    print("(m1d's logistic probe at its default tol 1e-6 and at tol 1e-5, where its objective is sklearn's;")
    print(" sklearn at the notebook's tol 1e-2 and max_iter 100, and at tol 1e-6, where it stops by its")
    print(" relative-decrease test after 148 iterations: the same from tol 1e-3 to 1e-8 on this data)")
    print("%-30s %9s %11s %9s %26s" % ("", "m1d ms", "sklearn ms", "speed-up", "per round"))
    rows = [("10-NN euclidean", "knn_ms", lambda k: k["knn_ms"]),
            ("10-NN cosine", "knn_cosine_ms", lambda k: k["knn_cosine_ms"]),
            ("logistic vs sklearn tol 1e-2", "logistic_ms", lambda k: k["logistic_notebook"]["ms"]),
            ("logistic vs sklearn tol 1e-6", "logistic_ms", lambda k: k["logistic_converged"]["ms"]),
            ("logistic tol 1e-5 vs tol 1e-6", "logistic_tol1e5_ms", lambda k: k["logistic_converged"]["ms"])]
    summary = {}
    for label, key, peer in rows:
        a = med([m[key] for m in base["m1d"]])
        b = med([peer(k) for k in base["sklearn"]])
        per_round = [peer(k) / m[key] for m, k in zip(base["m1d"], base["sklearn"])]
        summary[label] = {"m1d_ms": a, "sklearn_ms": b, "speedup_per_round": per_round,
                          "speedup_median_of_rounds": med(per_round)}
        print("%-30s %9.1f %11.1f %8.1fx %26s" % (label, a, b, med(per_round), " ".join("%.1f" % r for r in per_round)))
    m, k = base["m1d"][-1], base["sklearn"][-1]
    print("accuracy (test %%): 10-NN %.1f / %.1f, cosine %.1f / %.1f, logistic %.1f / %.1f (tol 1e-2) / %.1f (tol 1e-6)" % (
        m["knn_test_acc"], k["knn_test_acc"], m["knn_cosine_test_acc"], k["knn_cosine_test_acc"],
        m["logistic_test_acc"], k["logistic_notebook"]["test_acc"], k["logistic_converged"]["test_acc"]))
    print("logistic objective: m1d %.6f (%d iterations; tol 1e-5: %.6f, %d), sklearn %.6f (tol 1e-2, %d), %.6f (tol 1e-6, %d)" % (
        m["logistic_loss"], m["logistic_iterations"], m["logistic_tol1e5_loss"], m["logistic_tol1e5_iterations"],
        k["logistic_notebook"]["objective"],
        k["logistic_notebook"]["n_iter"], k["logistic_converged"]["objective"], k["logistic_converged"]["n_iter"]))
    summary["accuracy_and_objective"] = {"m1d": m, "sklearn": k}
    return summary


def main():
    args, rounds, only, quick = sys.argv[1:], 5, None, False
    groups = ("train", "meta", "baselines", "pooling", "extended", "studies")
    while args:
        a = args.pop(0)
        if a == "--only" and args and args[0] in groups:
            only = args.pop(0)
        elif a == "--quick":
            quick = True
        elif a.isdigit() and int(a) > 0:
            rounds = int(a)
        else:
            print("usage: bench_peer.py [ROUNDS] [--only %s] [--quick]  (--quick: shortened studies)"
                  % "|".join(groups), file=sys.stderr)
            return 2
    do_train, do_meta = only in (None, "train"), only in (None, "meta")
    do_base = only in (None, "baselines")
    do_pool = only in (None, "pooling")
    do_ext = only in (None, "extended")
    do_studies = only in (None, "studies")
    pool = {"m1d": [], "torch": []}
    ext = {"m1d": [], "torch": []}
    # torch is imported in a child only: a parent holding libtorch (~220 MB) would show in
    # every child's peak RSS as wait4 reports it (the high-water mark survives exec).
    probe = subprocess.run([sys.executable, "-c", "import numpy, torch; print(torch.__version__)"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if probe.returncode != 0:
        print("bench-peer: python3-torch is not installed (apt-get install python3-torch python3-numpy); skipped")
        return 0
    torch_version = probe.stdout.strip()
    if do_base and subprocess.run([sys.executable, "-c", "import sklearn"], stderr=subprocess.DEVNULL).returncode != 0:
        print("bench-peer: python3-sklearn is not installed (apt-get install python3-sklearn); baselines skipped")
        do_base = False
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env.pop("M1D_NUM_THREADS", None)
    # Same kernels for both: m1d switches OpenBLAS off its generic fallback on CPUs it does
    # not know (src/blas_kernels.c), PyTorch does not, so hand PyTorch m1d's choice.
    if "OPENBLAS_CORETYPE" not in env:
        env["OPENBLAS_CORETYPE"] = subprocess.run(
            [os.path.join(ROOT, "m1d"), "-e", 'io.write(require("m1d").blas_info().core)'],
            check=True, env=env, stdout=subprocess.PIPE, text=True).stdout.strip()
    data = tempfile.mkdtemp(prefix="m1d-peer-")
    os.symlink(os.path.join(ROOT, "vendor", "mnist1d"), os.path.join(data, "frozen"))
    m1d_ms = {m: [] for m in MODELS}
    torch_ms = {m: [] for m in MODELS}
    meta = {"m1d": {m: [] for m in META}, "torch": {m: [] for m in META}}
    base = {"m1d": [], "sklearn": []}
    studies = {side: {k: [] for k in studies_peer.STUDIES} for side in ("m1d", "torch")}
    if do_studies:
        studies_peer.prepare(data, env)
    for r in range(rounds):
        line = []
        if do_train:
            out = os.path.join(data, "m1d_%d.json" % r)
            subprocess.run([os.path.join(ROOT, "m1d"), os.path.join(ROOT, "experiments", "bench.lua"),
                            "--only", ",".join(MODELS), "--out", out], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            with open(out) as f:
                res = json.load(f)
            for m in MODELS:
                m1d_ms[m].append(res["models"][m]["ms"])
            p = subprocess.run([sys.executable, os.path.join(HERE, "exp_micro.py"), "--worker", "--scale", "paper",
                                "--threads", "1", "--data", data, "--reps", "3"],
                               check=True, env=env, stdout=subprocess.PIPE, text=True)
            tr = json.loads(p.stdout.strip().splitlines()[-1])
            for m in MODELS:
                torch_ms[m].append(tr["models"][m]["step_ms_median"])
            line.append("  ".join("%s %.3f/%.3f" % (m, m1d_ms[m][-1], torch_ms[m][-1]) for m in MODELS))
        if do_meta:
            line.append(meta_round(data, env, meta))
        if do_pool:
            line.append(pooling_round(data, env, pool, os.path.join(data, "pool_%d.json" % r)))
        if do_ext:
            line.append(extended_round(data, env, ext, os.path.join(data, "ext_%d.json" % r)))
        if do_base:
            line.append(baselines_round(env, base, os.path.join(data, "base_%d.json" % r)))
        if do_studies:
            line.append(studies_peer.studies_round(data, env, studies, run_child, quick, r))
        print("round %d: " % (r + 1) + "  ".join(line), flush=True)
    print("\nm1d vs PyTorch %s, 1 thread, OPENBLAS_CORETYPE=%s, median of %d interleaved rounds"
          % (torch_version, env["OPENBLAS_CORETYPE"], rounds))
    summary = {}
    if do_train:
        # The host's speed drifts between rounds, so the ratio of each round (the two measured
        # back to back) is also given; its median is the steadier figure.
        print("%-9s %10s %12s %12s %22s" % ("model", "m1d ms", "PyTorch ms", "m1d/PyTorch", "speed-up, per round"))
        for m in MODELS:
            a, b = statistics.median(m1d_ms[m]), statistics.median(torch_ms[m])
            per_round = [t / x for x, t in zip(m1d_ms[m], torch_ms[m])]
            summary[m] = {"m1d_ms": a, "torch_ms": b, "ratio": a / b, "speedup_per_round": per_round,
                          "speedup_median_of_rounds": statistics.median(per_round)}
            target = ""
            if m in TRAIN_TARGET:
                ok = statistics.median(per_round) >= TRAIN_TARGET[m]
                summary[m].update(target_speedup=TRAIN_TARGET[m], target_met=ok)
                target = "  target >=%gx %s" % (TRAIN_TARGET[m], "\u2713" if ok else "\u2717")
            print("%-9s %10.4f %12.4f %12.3f   %.1fx (median of rounds %.1fx: %s)%s" % (
                m, a, b, a / b, b / a, statistics.median(per_round), " ".join("%.1f" % r for r in per_round), target))
    meta_summary = meta_report(meta, rounds) if do_meta else None
    base_summary = baselines_report(base) if do_base else None
    pool_summary = pooling_report(pool) if do_pool else None
    ext_summary = extended_report(ext) if do_ext else None
    studies_summary = studies_peer.studies_report(studies, quick) if do_studies else None
    os.makedirs(os.path.join(ROOT, "results"), exist_ok=True)
    name = "bench_peer.json" if only is None else "bench_peer_%s.json" % only
    if quick:
        name = name.replace(".json", "_quick.json")
    with open(os.path.join(ROOT, "results", name), "w") as f:
        json.dump({"rounds": rounds, "torch": torch_version, "coretype": env["OPENBLAS_CORETYPE"], "models": summary,
                   "m1d_ms": m1d_ms, "torch_ms": torch_ms, "meta": meta_summary, "meta_rounds": meta,
                   "baselines": base_summary, "baselines_rounds": base,
                   "pooling": pool_summary, "pooling_rounds": pool,
                   "extended": ext_summary, "extended_rounds": ext,
                   "studies": studies_summary, "studies_rounds": studies, "quick": quick},
                  f, indent=1)
    shutil.rmtree(data)
    print("wrote results/" + name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
