-- benchmark_test.lua — the main job's quick mode: runs end to end, writes its results
-- and figure, and shows the paper's qualitative ordering.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util

local dir = os.tmpname(); os.remove(dir)
local out = dir .. "/benchmark.json"
local bin = os.getenv("M1D_BIN") or "./m1d"      -- make check-asan: the sanitizer build
local cmd = ("%s experiments/benchmark.lua --quick --seeds 2 --models logistic,mlp,cnn --no-progress --out %s > %s/log.txt 2>&1")
  :format(bin, out, dir)
m1d.makedirs(dir)
local ok = os.execute(cmd)
T.ok(ok, "benchmark --quick exits 0")
local res = util.read_json(out)
T.is(res.experiment, "benchmark", "results file names the experiment")
T.is(#res.runs, 12, "3 models x {normal, shuffled} x 2 seeds")
local acc = {}
for _, r in ipairs(res.runs) do
  if r.seed == 0 then acc[r.model .. "/" .. r.data] = r.test_acc end
  T.ok(r.seed and r.steps == 200 and r.seconds > 0 and r.train_acc, ("run %s/%s has seed, steps, seconds, train_acc"):format(r.model, r.data))
end
T.ok(acc["cnn/normal"] > acc["mlp/normal"], ("CNN beats MLP on normal data (%.1f > %.1f)"):format(acc["cnn/normal"], acc["mlp/normal"]))
T.ok(acc["mlp/normal"] > acc["logistic/normal"], ("MLP beats logistic (%.1f > %.1f)"):format(acc["mlp/normal"], acc["logistic/normal"]))
T.ok(acc["cnn/shuffled"] < acc["cnn/normal"] - 5, ("shuffling hurts the CNN (%.1f -> %.1f)"):format(acc["cnn/normal"], acc["cnn/shuffled"]))
T.ok(math.abs(acc["logistic/shuffled"] - acc["logistic/normal"]) < 4, "shuffling does not change logistic regression much")
T.ok(T.png_size(dir .. "/benchmark.png"), "figure written as PNG")
-- claims over seeds: decided on the means, each seed's outcome reported; one that needs the
-- GRU (not run) is unmeasured
local c = res.claims.cnn_beats_mlp_beats_logistic
T.ok(c and c.measured and c.seeds == 2 and #c.per_seed == 2 and c.criterion:find(">= 5 points", 1, true)
     and c.evidence:find("of 2 seeds", 1, true), "a claim over 2 seeds: criterion, per-seed outcomes, count", c and c.evidence)
T.ok(res.claims.shuffle_hurts_cnn_gru.measured == false, "a claim whose runs are missing is unmeasured")
local sw = require "m1d.sweep"
local part = sw.seed_claim{criterion = "a > b", per_seed = {{a = 2, b = 1}, {a = 0, b = 1}, {a = 5}},
                           test = function(v) return v.a > v.b, "" end}
T.ok(part.holds == false and part.seeds == 2 and part.holds_in == 1 and part.means.a == 1,
     "seed_claim: decided on the means of the complete seeds (1 of 2 holds, the mean fails)")
local picked = sw.seed_claim{criterion = "a > b", per_seed = {{a = 2, b = 1, c = 9}, {a = 0, c = 1}, {a = 3, b = 1}},
                             keys = {"a", "b"}, test = function(v) return v.c == nil and v.a > v.b, "" end}
T.ok(picked.seeds == 2 and picked.holds_in == 2 and picked.means.a == 2.5 and picked.means.c == nil,
     "seed_claim with keys: the test sees only those keys, and a seed lacking one is left out")
T.raises(function() sw.seed_claim{criterion = "x", per_seed = {}, tests = function() end} end,
         "seed_claim: an unknown key is an error", "unknown option 'tests'")
T.is(sw.seed_claim{criterion = "x", per_seed = {}, test = function() return true, "" end}.measured, false,
     "seed_claim with no seeds is unmeasured")
local log = io.open(dir .. "/log.txt"):read("a")
T.ok(log:find("paper", 1, true) and log:find("cnn", 1, true), "prints the table beside the paper's")
os.execute("rm -rf " .. dir)
T.done()
