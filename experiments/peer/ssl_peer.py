"""SimCLR on MNIST-1D (experiments/ssl.lua's protocol) in PyTorch, timed side by side with m1d.

The protocol, as experiments/ssl.lua runs it: the frozen 4,000 training signals
(vendor/mnist1d), the benchmark's CNN encoder (1->25 k5 s2 p1, 25->25 k3 s2 p1 twice, ReLU,
flattened to 125) and the projector 125->125 (ReLU) ->16; every epoch a fresh permutation,
batches of 100, two views of each batch through the model in one forward (200 rows), the
InfoNCE loss (rows L2-normalised, cosine similarities / 0.5 as a [100, 100] matrix, row i's
positive column i, cross_entropy), Adam lr 1e-2.  The augmentation per signal: subtract its
mean and least-squares linear trend, roll circularly by a uniform integer shift in [0, 10)
(a gather with a per-row index), add a random slope (sd 0.04, around the centre position)
and a random offset (sd 0.3).  Everything as batched tensor ops, as m1d does it.

Each round runs one m1d process (`./m1d experiments/ssl.lua --train_only --variants
projector --threads 1`) and one PyTorch process (this script with --worker), back to back,
in alternating order, both on one thread (OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = 1,
torch.set_num_threads(1)); reported per round: each side's own training time (the loop
only: data already loaded, model built) in wall and in CPU seconds of the process during
the loop, the whole process's CPU, and the final epoch's mean loss; then the medians and
the speed-ups (PyTorch / m1d) in wall and in CPU time (on a loaded machine the CPU ratio
is the steadier one).  Target (issue #17): m1d >= 5x faster.

--eval (worker only) also fits the linear probes of the notebook after training
(scikit-learn's StandardScaler + LogisticRegression(C=1), python3-sklearn) on every layer,
to compare accuracies with m1d's by hand.

    /usr/bin/python3 experiments/peer/ssl_peer.py [ROUNDS] [--epochs 200] [--json results/ssl_peer.json]
    /usr/bin/python3 experiments/peer/ssl_peer.py --worker OUT.json [--epochs 200] [--eval]
    make bench-peer-ssl                                  (3 rounds of 200 epochs)

Needs Debian's python3-torch (1.13 here) and python3-numpy; --eval also python3-sklearn.
"""
import json, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def worker(out_json, epochs, do_eval, seed=0):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy as np
    import torch
    import torch.nn as tnn
    import torch.nn.functional as F
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    vendor = os.path.join(ROOT, "vendor", "mnist1d")
    x = torch.from_numpy(np.load(os.path.join(vendor, "x.npy"))).float()
    L = x.shape[1]

    class SimCLR(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = tnn.Conv1d(1, 25, 5, stride=2, padding=1)
            self.c2 = tnn.Conv1d(25, 25, 3, stride=2, padding=1)
            self.c3 = tnn.Conv1d(25, 25, 3, stride=2, padding=1)
            self.h1 = tnn.Linear(125, 125)
            self.out = tnn.Linear(125, 16)

        def forward(self, v):
            a1 = F.relu(self.c1(v.unsqueeze(1)))
            a2 = F.relu(self.c2(a1))
            a3 = F.relu(self.c3(a2))
            h = F.relu(self.h1(a3.flatten(1)))
            return [a1.flatten(1), a2.flatten(1), a3.flatten(1), h, self.out(h)]

    u = torch.arange(L, dtype=torch.float32) - (L - 1) / 2
    uu = float((u * u).sum())
    pos = torch.arange(L).unsqueeze(0)

    def augment(xb, max_shift=10, slope_sd=0.04, offset_sd=0.3):
        B = xb.shape[0]
        d = xb - xb.mean(1, keepdim=True) - (xb @ u / uu).unsqueeze(1) * u
        shift = torch.randint(0, max_shift, (B, 1))
        rolled = torch.cat([d, d], 1).gather(1, pos - shift + L)
        return rolled + torch.randn(B, 1) * slope_sd * u + torch.randn(B, 1) * offset_sd

    def info_nce(z1, z2, temperature=0.5):
        s = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).t() / temperature
        return F.cross_entropy(s, torch.arange(z1.shape[0]))

    model = SimCLR()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    n, B = x.shape[0], 100
    steps = n // B
    losses = []
    t0, c0 = time.perf_counter(), time.process_time()
    for epoch in range(epochs):
        perm, total = torch.randperm(n), 0.0
        for s in range(steps):
            xb = x[perm[s * B:(s + 1) * B]]
            z = model(torch.cat([augment(xb), augment(xb)], 0))[-1]
            loss = info_nce(z[:B], z[B:])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        losses.append(total / steps)
        if (epoch + 1) % 10 == 0 or epoch == 0:
            print("  epoch %3d/%d  InfoNCE %.4f  (%.1f s)" % (epoch + 1, epochs, losses[-1], time.perf_counter() - t0),
                  file=sys.stderr, flush=True)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    res = {"seconds": seconds, "cpu_seconds": cpu, "steps": epochs * steps, "final_loss": losses[-1],
           "torch": torch.__version__, "threads": torch.get_num_threads()}
    if do_eval:
        from sklearn.linear_model import LogisticRegression
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.preprocessing import StandardScaler
        y = np.load(os.path.join(vendor, "y.npy"))
        xt = torch.from_numpy(np.load(os.path.join(vendor, "x_test.npy"))).float()
        yt = np.load(os.path.join(vendor, "y_test.npy"))
        with torch.no_grad():
            ftr = [x] + model(x)
            fte = [xt] + model(xt)
        accs = []
        for a, b in zip(ftr, fte):
            sc = StandardScaler().fit(a.numpy())
            clf = LogisticRegression(C=1, max_iter=1000).fit(sc.transform(a.numpy()), y)
            accs.append(100 * clf.score(sc.transform(b.numpy()), yt))
        knn = KNeighborsClassifier(10, metric="cosine").fit(ftr[-1].numpy(), y)
        res.update(probe_acc=accs, knn_acc=100 * knn.score(fte[-1].numpy(), yt))
        print("  linear probe by layer: " + ", ".join("%.1f" % a for a in accs) + "; 10-NN cosine %.1f" % res["knn_acc"],
              file=sys.stderr)
    with open(out_json, "w") as f:
        json.dump(res, f)


def run_child(cmd, env):
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit("ssl_peer: %s failed:\n%s" % (" ".join(cmd), err[-2000:]))
    return {"user_s": ru.ru_utime, "sys_s": ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024.0}


def take(args, flag, default, has_value=True):
    if flag not in args:
        return default
    i = args.index(flag)
    v = args[i + 1] if has_value else True
    del args[i:i + (2 if has_value else 1)]
    return v


def main():
    args = sys.argv[1:]
    epochs = int(take(args, "--epochs", "200"))
    if args[:1] == ["--worker"]:
        do_eval = take(args, "--eval", False, has_value=False)
        return worker(args[1], epochs, do_eval)
    out = take(args, "--json", os.path.join(ROOT, "results", "ssl_peer.json"))
    rounds = int(args[0]) if args else 3
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    tmp = tempfile.mkdtemp(prefix="ssl_peer")
    m1d_cmd = [os.path.join(ROOT, "m1d"), os.path.join(ROOT, "experiments", "ssl.lua"), "--train_only",
               "--variants", "projector", "--threads", "1", "--epochs", str(epochs), "--out", os.path.join(tmp, "m1d.json")]
    pt_cmd = [sys.executable, os.path.abspath(__file__), "--worker", os.path.join(tmp, "pt.json"), "--epochs", str(epochs)]
    rows = []
    for r in range(rounds):
        row = {}
        for side in (["m1d", "torch"] if r % 2 == 0 else ["torch", "m1d"]):
            if side == "m1d":
                proc = run_child(m1d_cmd, env)
                with open(os.path.join(tmp, "m1d.json")) as f:
                    run = json.load(f)["runs"][0]
                res = {"seconds": run["train_seconds"], "cpu_seconds": run["train_cpu_seconds"],
                       "final_loss": run["final_loss"], "steps": run["steps"]}
            else:
                proc = run_child(pt_cmd, env)
                with open(os.path.join(tmp, "pt.json")) as f:
                    res = json.load(f)
            res.update(process_cpu_s=proc["user_s"] + proc["sys_s"], process_maxrss_mb=proc["maxrss_mb"])
            row[side] = res
        row["speedup"] = row["torch"]["seconds"] / row["m1d"]["seconds"]
        row["speedup_cpu"] = row["torch"]["cpu_seconds"] / row["m1d"]["cpu_seconds"]
        rows.append(row)
        print("round %d: %d steps: m1d %.2f s (%.2f ms/step; loop CPU %.1f s, process %.1f s; loss %.4f)   "
              "PyTorch %.2f s (%.2f ms/step; loop CPU %.1f s, process %.1f s; loss %.4f)   speed-up %.1fx (CPU %.1fx)" % (
                  r + 1, row["m1d"]["steps"], row["m1d"]["seconds"], 1000 * row["m1d"]["seconds"] / row["m1d"]["steps"],
                  row["m1d"]["cpu_seconds"], row["m1d"]["process_cpu_s"], row["m1d"]["final_loss"],
                  row["torch"]["seconds"], 1000 * row["torch"]["seconds"] / row["torch"]["steps"],
                  row["torch"]["cpu_seconds"], row["torch"]["process_cpu_s"], row["torch"]["final_loss"],
                  row["speedup"], row["speedup_cpu"]), flush=True)
    med = lambda side, k: statistics.median(r[side][k] for r in rows)
    summary = {"epochs": epochs, "steps": rows[0]["m1d"]["steps"], "m1d_seconds": med("m1d", "seconds"),
               "torch_seconds": med("torch", "seconds"),
               "m1d_cpu_seconds": med("m1d", "cpu_seconds"), "torch_cpu_seconds": med("torch", "cpu_seconds"),
               "speedup": statistics.median(r["speedup"] for r in rows),
               "speedup_cpu": statistics.median(r["speedup_cpu"] for r in rows),
               "m1d_final_loss": med("m1d", "final_loss"), "torch_final_loss": med("torch", "final_loss")}
    targets = {"at_least_5x_faster": summary["speedup"] >= 5}
    print("median of %d rounds, %d epochs: m1d %.2f s (CPU %.2f s), PyTorch %.2f s (CPU %.2f s): %.1fx (CPU %.1fx); "
          "final InfoNCE m1d %.4f, PyTorch %.4f"
          % (rounds, epochs, summary["m1d_seconds"], summary["m1d_cpu_seconds"], summary["torch_seconds"],
             summary["torch_cpu_seconds"], summary["speedup"], summary["speedup_cpu"],
             summary["m1d_final_loss"], summary["torch_final_loss"]))
    print("targets: " + ", ".join("%s %s" % (k, "yes" if v else "NO") for k, v in targets.items()))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"rounds": rows, "summary": summary, "targets": targets}, f, indent=1)
    print("wrote " + out)


if __name__ == "__main__":
    main()
