-- metalearn_test.lua — the meta-learning experiments' quick modes run end to end, write
-- their documented results and figures, and move the right way: the two learned
-- learning rates approach each other, the activation's meta-loss goes down; both studies
-- over 2 seeds (a sweep run per seed, claims over seeds, a missing seed left out).  Also: the
-- activation experiment's meta-gradient (its inner gradient is m1d.grad with create_graph,
-- through the fused pointwise MLP) equals, in float64, the one its earlier hand-derived
-- inner gradient gave (tests/fixtures/metalearn_afunc, made by make.sh there).
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util

local bin = os.getenv("M1D_BIN") or "./m1d"
local dir = os.tmpname(); os.remove(dir)
m1d.makedirs(dir)

local function run(script, args, name)
  local out = ("%s/%s.json"):format(dir, name)
  local cmd = ("%s experiments/%s.lua %s --out %s > %s/%s.log 2>&1"):format(bin, script, args, out, dir, name)
  local ok = os.execute(cmd)
  local res
  if ok then res = util.read_json(out) end
  return ok, res, out
end

local function numbers(t, n)
  if type(t) ~= "table" or #t ~= n then return false end
  for _, v in ipairs(t) do if type(v) ~= "number" or v ~= v then return false end end
  return true
end

-- ---------------------------------------------------------------- metalearn_lr
local ok, res = run("metalearn_lr", "--quick", "metalearn_lr")
T.ok(ok, "metalearn_lr --quick exits 0")
res = res or {trials = {}}
T.is(res.experiment, "metalearn_lr", "results name the experiment")
T.is(#res.trials, 2, "two trials")
for _, tr in ipairs(res.trials) do
  local n = res.args and res.args.outer
  T.ok(type(tr.init_lr) == "number" and type(tr.final_lr) == "number" and numbers(tr.meta_loss, n)
       and numbers(tr.final_inner_loss, n) and numbers(tr.lr, n),
       ("trial from lr %s has init_lr, final_lr and per-step meta_loss, final_inner_loss, lr"):format(tostring(tr.init_lr)))
end
T.ok(type(res.seconds) == "number" and res.seconds > 0 and type(res.peak_rss_mb) == "number" and res.peak_rss_mb > 0,
     "seconds and peak_rss_mb recorded")
local a, b = res.trials[1], res.trials[2]
if a and b then
  local gap0, gap1 = math.abs(a.init_lr - b.init_lr), math.abs(a.final_lr - b.final_lr)
  T.ok(gap1 < 0.6 * gap0, ("the learned rates approach each other: |%.3f - %.3f| = %.3f < |%.2f - %.2f|"):format(
       a.final_lr, b.final_lr, gap1, a.init_lr, b.init_lr))
  T.ok(a.final_lr < a.init_lr and b.final_lr > b.init_lr, "the high start goes down, the low start goes up")
  T.ok(a.meta_loss[#a.meta_loss] < a.meta_loss[1] and b.meta_loss[#b.meta_loss] < b.meta_loss[1],
       "meta-loss decreases in both trials")
end
T.ok(T.png_size(dir .. "/metalearn_lr.png"), "metalearn_lr figure written as PNG")
-- over seeds: one sweep run per start and seed (the seed in its key); claims over seeds;
-- a missing run leaves its seed out of the claims
ok, res = run("metalearn_lr", "--quick --seeds 2", "metalearn_lr2")
T.ok(ok, "metalearn_lr --quick --seeds 2 exits 0")
res = res or {trials = {}, claims = {}}
local keys = {}
for _, tr in ipairs(res.trials) do keys[#keys + 1] = ("%g/%d"):format(tr.init_lr, tr.seed) end
T.is(table.concat(keys, " "), "1.5/0 0.15/0 1.5/1 0.15/1", "four runs: each start with seeds 0 and 1")
T.is(res.seeds, 2, "the results (and the figure's title) count 2 seeds")
T.ok(res.trials[1] and res.trials[3] and res.trials[1].final_lr ~= res.trials[3].final_lr,
     "the two seeds initialise differently")
local sc = res.claims.starts_converge or {}
T.ok(sc.measured and sc.seeds == 2 and #sc.per_seed == 2 and (sc.evidence or ""):find("of 2 seeds$"),
     "starts_converge decided over the 2 seeds", sc.evidence)
os.remove(dir .. "/metalearn_lr2/runs/lr0=0.15,seed=1.json")
T.ok(os.execute(("%s experiments/metalearn_lr.lua --quick --seeds 2 --out %s/metalearn_lr2.json --merge > %s/m.log 2>&1")
                :format(bin, dir, dir)), "--merge with one run of seed 1 missing exits 0")
local part = util.read_json(dir .. "/metalearn_lr2.json")
T.ok(part.complete == false and part.missing[1] == "lr0=0.15,seed=1" and part.claims.starts_converge.seeds == 1
     and part.claims.learned_lr_near_paper.evidence:find("of 1 seed$"),
     "the missing run is listed and its seed left out of the claims", part.claims.starts_converge.evidence)

-- ---------------------------------------------------------------- metalearn_afunc
ok, res = run("metalearn_afunc", "--quick --seeds 2", "metalearn_afunc")
T.ok(ok, "metalearn_afunc --quick --seeds 2 exits 0")
res = res or {}
T.is(res.experiment, "metalearn_afunc", "results name the experiment")
local n = res.args and res.args.outer
T.ok(numbers(res.meta_loss, n) and numbers(res.test_acc, n), "per outer step meta_loss and test_acc")
T.ok(type(res.learned_test_acc) == "number" and type(res.pwl_test_acc) == "number", "learned_test_acc and pwl_test_acc")
local names = {"relu", "swish", "elu", "softplus", "tanh", "sigmoid"}
local all = type(res.baselines) == "table"
for _, k in ipairs(names) do all = all and type(res.baselines[k]) == "number" end
T.ok(all, "baselines map relu, swish, elu, softplus, tanh, sigmoid to a test accuracy")
local lf = res.learned_function or {}
T.ok(numbers(lf.x, 201) and numbers(lf.y, 201) and lf.x[1] == -5 and math.abs(lf.x[201] - 5) < 1e-9,
     "the learned function sampled on [-5, 5]")
T.ok(type(res.seconds) == "number" and type(res.peak_rss_mb) == "number", "seconds and peak_rss_mb recorded")
if numbers(res.meta_loss, n) and n >= 3 then
  local ml = res.meta_loss
  T.ok(ml[n] < ml[1] and ml[n] < ml[2], ("meta-loss decreases (%.4f, %.4f ... %.4f)"):format(ml[1], ml[2], ml[n]))
else
  T.ok(false, "meta-loss decreases")
end
T.ok(T.png_size(dir .. "/metalearn_afunc.png"), "metalearn_afunc figure written as PNG")
-- over seeds: each seed meta-trains its own activation (a sweep run with the seed in its
-- key), the curves carry their sd (the figure's band), the claims say in how many seeds
-- they hold, and a missing seed is left out of them (none left: not measured)
local per = res.per_seed or {}
T.ok(#per == 2 and numbers(per[1].meta_loss, n) and numbers(per[2].meta_loss, n) and
     numbers((per[1].learned_function or {}).y, 201) and numbers((per[2].learned_function or {}).y, 201),
     "two meta-training seeds, each with its own meta-loss curve and learned activation")
T.ok(per[1] and per[2] and per[1].meta_loss[1] ~= per[2].meta_loss[1], "the two seeds meta-train differently")
T.ok(math.abs(util.mean({per[1] and per[1].meta_loss[n] or 0, per[2] and per[2].meta_loss[n] or 0})
            - ((res.meta_loss or {})[n] or math.huge)) < 1e-12, "the results' meta-loss is the mean over the seeds")
T.ok(numbers(res.meta_loss_sd, n) and numbers(res.test_acc_sd, n) and res.meta_loss_sd[n] > 0,
     "the curves' sd over seeds (the figure's band)")
local c1, c2 = (res.claims or {}).learned_beats_relu_elu_swish or {}, (res.claims or {}).pwl_fit_as_good or {}
T.ok(c1.measured and c2.measured and c1.seeds == 2 and c2.seeds == 2 and #c1.per_seed == 2
     and (c1.evidence or ""):find("of 2 seeds$") and (c2.evidence or ""):find("of 2 seeds$"),
     "both claims decided over the 2 seeds", c1.evidence)
local runs_dir = dir .. "/metalearn_afunc/runs"
os.remove(runs_dir .. "/seed=1.json")
local merge = ("%s experiments/metalearn_afunc.lua --quick --seeds 2 --out %s/metalearn_afunc.json --merge > %s/m.log 2>&1")
  :format(bin, dir, dir)
T.ok(os.execute(merge), "--merge with seed 1's run missing exits 0")
local part = util.read_json(dir .. "/metalearn_afunc.json")
T.ok(part.complete == false and part.missing[1] == "seed=1" and part.claims.pwl_fit_as_good.seeds == 1
     and part.claims.pwl_fit_as_good.evidence:find("of 1 seed$"),
     "the missing seed is listed and left out of the claims", part.claims.pwl_fit_as_good.evidence)
os.remove(runs_dir .. "/seed=0.json")
T.ok(os.execute(merge), "--merge with no run finished exits 0")
part = util.read_json(dir .. "/metalearn_afunc.json")
T.ok(part.claims.pwl_fit_as_good.measured == false and part.claims.learned_beats_relu_elu_swish.measured == false,
     "with no seed left, both claims are not measured")

-- the meta-gradient against the fixture, in the configuration make.sh recorded it with:
-- every meta-loss and meta-gradient entry to float64 rounding
do
  local fixdir = "tests/fixtures/metalearn_afunc"
  local mk = assert(io.open(fixdir .. "/make.sh")):read("a")
  local args = assert(mk:match('\nARGS="([^"]*)"'), "make.sh sets ARGS")
  local fix = util.read_json(fixdir .. "/meta_grad_f64.json")
  local out = dir .. "/meta_grad.json"
  local ok1 = run("metalearn_afunc", args .. " --grad_out " .. out .. " --figure " .. dir .. "/g.png", "grads")
  T.ok(ok1, "metalearn_afunc in the fixture's configuration exits 0")
  local new = ok1 and util.read_json(out) or {outer = {}}
  T.is(#new.outer, #fix.outer, "one meta-gradient per outer step")
  local worst, scale = 0, 0
  for k, r in ipairs(fix.outer) do
    local q = new.outer[k] or {}
    worst = math.max(worst, math.abs(r.meta_loss - (q.meta_loss or math.huge)))
    for _, name in ipairs{"w1", "b1", "w2", "b2"} do
      for i, v in ipairs(r[name]) do
        worst = math.max(worst, math.abs(v - ((q[name] or {})[i] or math.huge)))
        scale = math.max(scale, math.abs(v))
      end
    end
  end
  T.ok(worst < 1e-14, ("meta-losses and meta-gradients equal the fixture's (max difference %.3g; entries up to %.3g)")
       :format(worst, scale))
end

os.execute("rm -rf " .. dir)
T.done()
