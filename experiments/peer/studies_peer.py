"""The group `studies` of bench_peer.py (`make bench-peer PEER_ARGS="--only studies"`): three
studies run as themselves on both sides, back to back in each round, one thread each, and
timed the same way (process start-up and data loading left out):

  lottery          one retrain of experiments/lottery.lua's MLP 40-500-500-10 (the first run
                   of its stage 1: magnitude pruning, seed 0, sparsity 0 through the masks;
                   Adam lr 2e-2, batch 100, steps 0..1501 = 1,502 updates, evaluation (test
                   loss and accuracy, training-set accuracy) every 100 steps = 16 times, the
                   step-1000 checkpoint): `lottery.lua --schedule 0 --seeds 1 --run 1`
                   against exp_lottery.py `--retrains 1 --methods magnitude`; the wall time
                   of the retrain, evaluation included, as each script reports it.
  metalearn_lr     experiments/metalearn_lr.lua at paper settings (starts 1.5 and 0.15, 50
                   outer x 200 inner steps, batch 50) with --jobs 1 against
                   exp_metalearn_lr.py --scale paper; the sum of the 100 outer steps' times.
  metalearn_afunc  experiments/metalearn_afunc.lua --outer 3 --inner 61 (no baselines, one
                   evaluation seed) against exp_metalearn_afunc.py --outer-steps 3
                   --inner-steps 61 --no-baselines --test-eval outer (the test accuracy on
                   the first 500 test examples once per outer step, as the m1d study does
                   it); the median of the outer steps after the first (which carries the
                   allocator's warm-up on both sides) and the peak RSS each process reports
                   of itself.  The 10,000-sample dataset of the study is written once by
                   m1d's generator for the peer to read (<data>/afunc10k).

--quick: 151 retrain steps, 3 outer steps of metalearn_lr, 2 x 11 steps of metalearn_afunc
(a smoke run of the group, ~20 s a round).  Only the parent's side lives here: torch is
imported by the peer scripts, in their own processes.
"""
import json, os, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
M1D = os.path.join(ROOT, "m1d")
STUDIES = ["lottery", "metalearn_lr", "metalearn_afunc"]
TARGET = {"lottery": 2.5, "metalearn_lr": 8.0}   # issue #20; metalearn_afunc: measured, no target


def settings(quick):
    """Steps of each study: the paper's (the afunc one at 61 inner steps), or a smoke run."""
    if quick:
        return {"lottery_steps": 151, "lr_outer": 3, "afunc_outer": 2, "afunc_inner": 11}
    return {"lottery_steps": 1501, "lr_outer": 50, "afunc_outer": 3, "afunc_inner": 61}


def prepare(data, env):
    """Write the afunc study's dataset (10,000 samples from m1d's generator, float32: what
    metalearn_afunc.lua trains on) to <data>/afunc10k/{x,y,x_test,y_test}.npy for the peer."""
    out = os.path.join(data, "afunc10k")
    os.makedirs(out, exist_ok=True)
    code = ('local m1d = require "m1d"; local d = m1d.mnist1d.dataset(m1d.mnist1d.args{num_samples = 10000}); '
            'for _, k in ipairs{"x", "y", "x_test", "y_test"} do m1d.save_npy(%r .. "/" .. k .. ".npy", d[k]) end'
            % out)
    subprocess.run([M1D, "-e", code], check=True, env=env)


def last_json(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


def steady(times):
    """Median of the outer steps after the first (the first one warms the allocator up)."""
    return statistics.median(times[1:] if len(times) > 1 else times)


def lottery_round(data, env, run_child, s, r):
    out = os.path.join(data, "lottery_%d.json" % r)
    run_child([M1D, os.path.join(ROOT, "experiments", "lottery.lua"), "--schedule", "0", "--seeds", "1",
               "--steps", str(s["lottery_steps"]), "--run", "1", "--out", out], env)
    with open(os.path.join(data, "lottery_%d" % r, "runs", "prune=magnitude,seed=0.json")) as f:
        lv = json.load(f)["result"]["levels"][0]
    stdout, _ = run_child([sys.executable, os.path.join(HERE, "exp_lottery.py"), "--scale", "paper", "--threads", "1",
                           "--data", data, "--retrains", "1", "--methods", "magnitude", "--seed", "0",
                           "--steps", str(s["lottery_steps"])], env)
    pv = last_json(stdout)["results"]["magnitude/trial0"][0]
    return ({"s": lv["seconds"], "test_acc": lv["final_test_acc"], "train_acc": lv["final_train_acc"]},
            {"s": pv["retrain_s"], "test_acc": pv["final_test_acc"], "train_acc": pv["final_train_acc"]})


def metalearn_lr_round(data, env, run_child, s, r):
    out = os.path.join(data, "metalearn_lr_%d.json" % r)
    run_child([M1D, os.path.join(ROOT, "experiments", "metalearn_lr.lua"), "--jobs", "1",
               "--outer", str(s["lr_outer"]), "--out", out], env)
    with open(out) as f:
        trials = json.load(f)["trials"]
    m = {"s": sum(sum(t["outer_seconds"]) for t in trials),
         "final_lr": {str(t["init_lr"]): t["final_lr"] for t in trials}}
    stdout, _ = run_child([sys.executable, os.path.join(HERE, "exp_metalearn_lr.py"), "--scale", "paper",
                           "--threads", "1", "--data", data, "--outer-steps", str(s["lr_outer"])], env)
    trials = last_json(stdout)["trials"]
    t = {"s": sum(sum(t["outer_step_s"]) for t in trials),
         "final_lr": {str(t["init_lr"]): t["final_lr"] for t in trials}}
    return m, t


def metalearn_afunc_round(data, env, run_child, s, r):
    out = os.path.join(data, "metalearn_afunc_%d.json" % r)
    _, ru = run_child([M1D, os.path.join(ROOT, "experiments", "metalearn_afunc.lua"), "--jobs", "1",
                       "--outer", str(s["afunc_outer"]), "--inner", str(s["afunc_inner"]), "--eval_seeds", "1",
                       "--baselines", "", "--snapshots", "1", "--out", out], env)
    with open(out) as f:
        run = json.load(f)["per_seed"][0]
    m = {"s": steady(run["outer_seconds"]), "outer_s": run["outer_seconds"], "peak_rss_mb": run["peak_rss_mb"],
         "test_acc": run["test_acc"][-1], "process_maxrss_mb": ru["maxrss_mb"]}
    stdout, ru = run_child([sys.executable, os.path.join(HERE, "exp_metalearn_afunc.py"), "--scale", "paper",
                            "--threads", "1", "--data", data, "--outer-steps", str(s["afunc_outer"]),
                            "--inner-steps", str(s["afunc_inner"]), "--no-baselines", "--test-eval", "outer"], env)
    res = last_json(stdout)
    t = {"s": steady(res["outer_step_s"]), "outer_s": res["outer_step_s"], "peak_rss_mb": res["peak_rss_mib"],
         "test_acc": res["history"][-1]["test_acc"], "process_maxrss_mb": ru["maxrss_mb"]}
    return m, t


ROUND = {"lottery": lottery_round, "metalearn_lr": metalearn_lr_round, "metalearn_afunc": metalearn_afunc_round}


def studies_round(data, env, runs, run_child, quick, r):
    """One round: each study on m1d, then on PyTorch; appends to runs[side][study]."""
    s = settings(quick)
    line = []
    for name in STUDIES:
        m, t = ROUND[name](data, env, run_child, s, r)
        runs["m1d"][name].append(m)
        runs["torch"][name].append(t)
        line.append("%s %.2f/%.2f s" % (name, m["s"], t["s"]))
    return "studies " + "  ".join(line)


def studies_report(runs, quick):
    """Median of each side's seconds, each round's speed-up (PyTorch / m1d) and their median,
    against the targets; then the results both sides reached, to show they did the same work."""
    s = settings(quick)
    what = {"lottery": "s per retrain (%d steps + evaluations)" % (s["lottery_steps"] + 1),
            "metalearn_lr": "s for 2 starts x %d outer x 200 inner" % s["lr_outer"],
            "metalearn_afunc": "s per outer step (%d inner)" % s["afunc_inner"]}
    print("\nStudies run as themselves (experiments/*.lua vs the peer's exp_*.py), median of rounds%s"
          % (" (--quick: shortened)" if quick else ""))
    print("%-16s %-40s %9s %11s %9s %8s   %s" % ("study", "measure", "m1d", "PyTorch", "speed-up", "target",
                                                 "per round"))
    summary = {}
    for name in STUDIES:
        ms, ts = runs["m1d"][name], runs["torch"][name]
        per_round = [t["s"] / m["s"] for m, t in zip(ms, ts)]
        sp = statistics.median(per_round)
        row = {"m1d_s": statistics.median([m["s"] for m in ms]), "torch_s": statistics.median([t["s"] for t in ts]),
               "speedup_per_round": per_round, "speedup_median_of_rounds": sp}
        target = "-"
        if name in TARGET:
            row.update(target_speedup=TARGET[name], target_met=sp >= TARGET[name])
            target = ">=%gx %s" % (TARGET[name], "\u2713" if sp >= TARGET[name] else "\u2717")
        summary[name] = row
        print("%-16s %-40s %9.3f %11.3f %8.1fx %8s   %s" % (name, what[name], row["m1d_s"], row["torch_s"], sp, target,
                                                          " ".join("%.2f" % x for x in per_round)))
    af_m, af_t = runs["m1d"]["metalearn_afunc"], runs["torch"]["metalearn_afunc"]
    rss_m = statistics.median([m["peak_rss_mb"] for m in af_m])
    rss_t = statistics.median([t["peak_rss_mb"] for t in af_t])
    summary["metalearn_afunc"].update(m1d_peak_rss_mb=rss_m, torch_peak_rss_mb=rss_t)
    print("metalearn_afunc peak RSS: m1d %.0f MB, PyTorch %.0f MB (each process's own high-water mark)" % (rss_m, rss_t))
    lm, lt = runs["m1d"]["lottery"][-1], runs["torch"]["lottery"][-1]
    print("same work, last round (m1d / PyTorch):")
    print("  lottery retrain: final test accuracy %.1f / %.1f %%, training-set accuracy %.1f / %.1f %%"
          % (lm["test_acc"], lt["test_acc"], lm["train_acc"], lt["train_acc"]))
    mm, mt = runs["m1d"]["metalearn_lr"][-1], runs["torch"]["metalearn_lr"][-1]
    print("  metalearn_lr learned lr from 1.5 / 0.15: %.4f, %.4f / %.4f, %.4f (paper ~0.62)"
          % (mm["final_lr"]["1.5"], mm["final_lr"]["0.15"], mt["final_lr"]["1.5"], mt["final_lr"]["0.15"]))
    print("  metalearn_afunc test accuracy after the last outer step (first 500 test examples): %.1f / %.1f %%"
          % (af_m[-1]["test_acc"], af_t[-1]["test_acc"]))
    return summary
