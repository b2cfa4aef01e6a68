-- benchmark_test.lua — the main job's quick mode: runs end to end, writes its results
-- and figure, and shows the paper's qualitative ordering.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util

local dir = os.tmpname(); os.remove(dir)
local out = dir .. "/benchmark.json"
local bin = os.getenv("M1D_BIN") or "./m1d"      -- make check-asan: the sanitizer build
local cmd = ("%s experiments/benchmark.lua --quick --models logistic,mlp,cnn --no-progress --out %s > %s/log.txt 2>&1")
  :format(bin, out, dir)
m1d.makedirs(dir)
local ok = os.execute(cmd)
T.ok(ok, "benchmark --quick exits 0")
local res = util.read_json(out)
T.is(res.experiment, "benchmark", "results file names the experiment")
T.is(#res.runs, 6, "3 models x {normal, shuffled}")
local acc = {}
for _, r in ipairs(res.runs) do
  acc[r.model .. "/" .. r.data] = r.test_acc
  T.ok(r.seed and r.steps == 200 and r.seconds > 0 and r.train_acc, ("run %s/%s has seed, steps, seconds, train_acc"):format(r.model, r.data))
end
T.ok(acc["cnn/normal"] > acc["mlp/normal"], ("CNN beats MLP on normal data (%.1f > %.1f)"):format(acc["cnn/normal"], acc["mlp/normal"]))
T.ok(acc["mlp/normal"] > acc["logistic/normal"], ("MLP beats logistic (%.1f > %.1f)"):format(acc["mlp/normal"], acc["logistic/normal"]))
T.ok(acc["cnn/shuffled"] < acc["cnn/normal"] - 5, ("shuffling hurts the CNN (%.1f -> %.1f)"):format(acc["cnn/normal"], acc["cnn/shuffled"]))
T.ok(math.abs(acc["logistic/shuffled"] - acc["logistic/normal"]) < 4, "shuffling does not change logistic regression much")
T.ok(T.png_size(dir .. "/benchmark.png"), "figure written as PNG")
local log = io.open(dir .. "/log.txt"):read("a")
T.ok(log:find("paper", 1, true) and log:find("cnn", 1, true), "prints the table beside the paper's")
os.execute("rm -rf " .. dir)
T.done()
