-- studies_peer_test.lua — the m1d side of bench-peer's group `studies`
-- (experiments/peer/studies_peer.py), without Python: the three study command lines it
-- runs, shortened, give the fields it reads, and the studies' settings are still the ones
-- the PyTorch peer scripts hard-code (exp_lottery.py: Adam lr 2e-2, batch 100, evaluation
-- every 100 steps, checkpoint at 1000; exp_metalearn_lr.py: batch 50, outer lr 0.3, starts
-- 1.5 and 0.15; exp_metalearn_afunc.py: MLP 40-128-10, meta MLP 1-100-1, RMSprop lr 1e-2
-- and mu 0.4, batch 100, the last 200 losses, outer lr 0.3, clamp 0.1, 500 test examples).
-- If a study changes its defaults or its results' fields, the side-by-side timing would
-- no longer compare the same work (or would fail at run time): this test says so first.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util

local bin = os.getenv("M1D_BIN") or "./m1d"
local dir = os.tmpname(); os.remove(dir)
m1d.makedirs(dir)

local function run(cmd, name)
  local ok = os.execute(("OPENBLAS_NUM_THREADS=1 %s > %s/%s.log 2>&1"):format(cmd, dir, name))
  local f = io.open(("%s/%s.log"):format(dir, name))
  local log = f and f:read("a") or ""
  if f then f:close() end
  T.ok(ok, name .. ": the command studies_peer.py runs exits 0", log:sub(-800))
  return ok
end

local function positive(x) return type(x) == "number" and x > 0 end

-- lottery: the first run of stage 1 at sparsity 0, one retrain (shortened to 20 steps here)
if run(("%s experiments/lottery.lua --schedule 0 --seeds 1 --steps 20 --run 1 --out %s/lottery_0.json"):format(bin, dir),
       "lottery") then
  local ok, r = pcall(util.read_json, dir .. "/lottery_0/runs/prune=magnitude,seed=0.json")
  if T.ok(ok, "lottery: the run file studies_peer.py reads exists", r) then
    local lv = r.result.levels[1]
    T.ok(positive(lv.seconds) and positive(lv.final_test_acc) and positive(lv.final_train_acc),
         "lottery: levels[1] has seconds, final_test_acc and final_train_acc")
    T.is(lv.sparsity, 0, "lottery: the retrain is at sparsity 0")
    local p = r.params
    T.ok(p.hidden == 500 and p.lr == 2e-2 and p.batch == 100 and p.eval_every == 100 and p.checkpoint_every == 1000
         and p.method == "magnitude" and p.seed == 0,
         "lottery: MLP 40-500-500-10, Adam lr 2e-2, batch 100, eval every 100, checkpoint 1000 (as exp_lottery.py)",
         util.json_encode and util.json_encode(p) or nil)
  end
  local ok2, defaults = pcall(function()
    local p = io.popen(bin .. " experiments/lottery.lua --help 2>&1"); local s = p:read("a"); p:close(); return s
  end)
  T.ok(ok2 and defaults:match("%-%-steps[^\n]*1501"), "lottery: 1501 steps by default (1,502 updates, as the peer's paper scale)")
end

-- metalearn_lr: both starts, one process (shortened to 2 outer x 5 inner steps here)
if run(("%s experiments/metalearn_lr.lua --jobs 1 --outer 2 --inner 5 --out %s/metalearn_lr.json"):format(bin, dir),
       "metalearn_lr") then
  local r = util.read_json(dir .. "/metalearn_lr.json")
  T.is(#r.trials, 2, "metalearn_lr: two trials")
  local starts = {}
  for _, t in ipairs(r.trials) do
    starts[#starts + 1] = t.init_lr
    T.ok(#t.outer_seconds == 2 and positive(t.outer_seconds[1]) and type(t.final_lr) == "number",
         ("metalearn_lr: trial from %g has outer_seconds and final_lr"):format(t.init_lr))
  end
  table.sort(starts)
  T.ok(starts[1] == 0.15 and starts[2] == 1.5, "metalearn_lr: starts 0.15 and 1.5 (as exp_metalearn_lr.py)")
  T.ok(r.args.batch == 50 and r.args.meta_lr == 0.3 and r.args.dtype == "float32",
       "metalearn_lr: batch 50, outer lr 0.3, float32 (as exp_metalearn_lr.py)")
end

-- metalearn_afunc: one meta-training seed, no baselines (shortened to 2 outer x 3 inner here)
if run(("%s experiments/metalearn_afunc.lua --jobs 1 --outer 2 --inner 3 --eval_seeds 1 --baselines '' --snapshots 1 "
        .. "--out %s/metalearn_afunc.json"):format(bin, dir), "metalearn_afunc") then
  local r = util.read_json(dir .. "/metalearn_afunc.json")
  local s = r.per_seed[1]
  T.ok(#s.outer_seconds == 2 and positive(s.outer_seconds[2]) and positive(s.peak_rss_mb) and #s.test_acc == 2,
       "metalearn_afunc: per_seed[1] has outer_seconds, peak_rss_mb and test_acc per outer step")
  local a = r.args
  T.ok(a.hidden == 128 and a.meta_hidden == 100 and a.lr == 1e-2 and a.mu == 0.4 and a.batch == 100 and a.last == 200
       and a.meta_lr == 0.3 and a.clamp == 0.1 and a.test_k == 500 and a.noise == 0.1 and a.dtype == "float32",
       "metalearn_afunc: the peer's settings (MLP 40-128-10, meta 1-100-1, RMSprop 1e-2 / 0.4, batch 100, last 200, "
       .. "outer lr 0.3, clamp 0.1, 500 test examples, noise 0.1)")
end

os.execute("rm -rf " .. dir)
T.done()
