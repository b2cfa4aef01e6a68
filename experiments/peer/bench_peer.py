#!/usr/bin/python3
"""m1d vs PyTorch, same machine, same run: per-step time of a batch-100 training step.

Runs experiments/bench.lua (m1d) and exp_micro.py --worker (PyTorch 1 thread) alternately,
--rounds times (default 5), and prints the median over rounds of each one's median step time
and the ratio m1d / PyTorch.  Both run with 1 BLAS thread (OPENBLAS_NUM_THREADS=1) and the same
OPENBLAS_CORETYPE (the caller's, else the family m1d picked; printed), so the same sgemm kernels.
"""
import json, os, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = ["logistic", "mlp", "cnn", "gru"]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    try:
        import torch  # noqa: F401
    except ImportError:
        print("bench-peer: python3-torch is not installed (apt-get install python3-torch python3-numpy); skipped")
        return 0
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
    for r in range(rounds):
        out = os.path.join(data, "m1d_%d.json" % r)
        subprocess.run([os.path.join(ROOT, "m1d"), os.path.join(ROOT, "experiments", "bench.lua"),
                        "--only", ",".join(MODELS), "--json", out], check=True, env=env,
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
        print("round %d: " % (r + 1) + "  ".join("%s %.3f/%.3f" % (m, m1d_ms[m][-1], torch_ms[m][-1])
                                                  for m in MODELS), flush=True)
    print("\nm1d vs PyTorch %s, 1 thread, OPENBLAS_CORETYPE=%s, median of %d interleaved rounds"
          % (torch.__version__, env["OPENBLAS_CORETYPE"], rounds))
    # The host's speed drifts between rounds, so the ratio of each round (the two measured
    # back to back) is also given; its median is the steadier figure.
    print("%-9s %10s %12s %12s %22s" % ("model", "m1d ms", "PyTorch ms", "m1d/PyTorch", "speed-up, per round"))
    summary = {}
    for m in MODELS:
        a, b = statistics.median(m1d_ms[m]), statistics.median(torch_ms[m])
        per_round = [t / x for x, t in zip(m1d_ms[m], torch_ms[m])]
        summary[m] = {"m1d_ms": a, "torch_ms": b, "ratio": a / b, "speedup_per_round": per_round,
                      "speedup_median_of_rounds": statistics.median(per_round)}
        print("%-9s %10.4f %12.4f %12.3f   %.1fx (median of rounds %.1fx: %s)" % (
            m, a, b, a / b, b / a, statistics.median(per_round), " ".join("%.1f" % r for r in per_round)))
    os.makedirs(os.path.join(ROOT, "results"), exist_ok=True)
    with open(os.path.join(ROOT, "results", "bench_peer.json"), "w") as f:
        json.dump({"rounds": rounds, "coretype": env["OPENBLAS_CORETYPE"], "models": summary,
                   "m1d_ms": m1d_ms, "torch_ms": torch_ms}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
