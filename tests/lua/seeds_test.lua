-- seeds_test.lua — the sweep studies over seeds (issue: claims that survive another seed):
-- a --quick run with --seeds 2 of pooling, spatial_priors, double_descent and the lottery
-- has twice the runs of one seed, each with the seed in its key; tables carry a sd over the
-- seeds (the figures' bands); every measured claim is decided over the 2 seeds ("holds in k
-- of 2 seeds"); and with one of seed 1's runs missing the merge lists it and leaves that
-- seed out of the claims that need the run.  sweep.seed_claim itself is checked on
-- hand-made values first.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util, sweep = m1d.util, m1d.sweep

local bin = os.getenv("M1D_BIN") or "./m1d"
local dir = os.tmpname(); os.remove(dir)
m1d.makedirs(dir)

-- ---------------------------------------------------------------- sweep.seed_claim
do
  local per_seed = {{a = 3, b = 1}, {a = 5, b = 2}, {a = 1}}        -- the third seed lacks b
  local c = sweep.seed_claim{criterion = "a > b", per_seed = per_seed,
                             test = function(v) return v.a > v.b, ("a %.1f, b %.1f"):format(v.a, v.b) end}
  T.ok(c.measured and c.holds and c.seeds == 2 and c.holds_in == 2, "a seed lacking a value is left out", c.evidence)
  T.is(c.evidence, "a 4.0, b 1.5; holds in 2 of 2 seeds", "evidence: the seed means, then k of n")
  T.is(c.criterion, "a > b", "the criterion is kept")
  local d = sweep.seed_claim{criterion = "a > 4", per_seed = per_seed, keys = {"a"},
                             test = function(v) return v.a > 4, "" end}
  T.ok(d.seeds == 3 and d.holds == false and d.holds_in == 1 and #d.per_seed == 3
       and d.per_seed[2] == true and d.per_seed[1] == false,
       "with keys, only those are needed; decided on the mean (3.0), one seed of three holds")
  local none = sweep.seed_claim{criterion = "c", per_seed = {{a = 1}, {b = 2}}, keys = {"c"}, test = function() return true, "" end}
  T.ok(none.measured == false and none.holds == false and none.criterion == "c",
       "no seed has the values: not measured", none.evidence)
end

-- ---------------------------------------------------------------- the studies
local function run_json(name, extra)
  local out = ("%s/%s.json"):format(dir, name)
  local cmd = ("%s experiments/%s.lua --quick --out %s %s"):format(bin, name, out, extra)
  local _, log = T.sh(cmd)
  local ok, res = pcall(util.read_json, out)
  return ok and res or nil, log, out
end

local function count(name, seeds)
  local _, out = T.sh(("%s experiments/%s.lua --quick --seeds %d --count"):format(bin, name, seeds))
  return tonumber(out)
end

-- per study: a check that its tables carry the sd over seeds, and a seed-1 run to remove
local STUDIES = {
  {name = "pooling", missing = "n=2000,model=max_pool,seed=1",
   sd = function(r) return type(r.summary[1].max_pool_sd) == "number" and r.summary[1].max_pool_sd >= 0 end},
  {name = "spatial_priors", missing = "model=cnn,w=40,seed=1",
   sd = function(r) local s = r.summary[1]; return #s.sd == #s.mean and #s.sd > 0 and s.sd[1] == s.sd[1] end},
  {name = "double_descent", missing = "variant=mlp_noisy,size=32,seed=1",
   sd = function(r) local s = r.summary.mlp_noisy.sizes[1]; return type(s.test_err_sd) == "number" end},
  {name = "lottery", missing = "ablation=a_new_data,arm=ticket,seed=1",
   sd = function(r) return #r.sweep.random.test_acc_sd == #r.sweep.random.test_acc and #r.sweep.random.test_acc > 0 end},
}

for _, st in ipairs(STUDIES) do
  local name = st.name
  local one, two = count(name, 1), count(name, 2)
  T.ok(one and two == 2 * one, ("%s: --seeds 2 has twice the runs of one seed (%s, %s)"):format(name, one, two))
  local res, log = run_json(name, "--seeds 2")
  if not T.ok(res and res.complete, name .. " --quick --seeds 2 runs and merges", log:sub(-1500)) then
    res = {claims = {}, summary = {}}
  else
    local keys = {}
    for _, d in ipairs(res.runs or {}) do keys[d.key or d.params.key] = true end
    T.ok(st.sd(res), name .. ": the results carry the sd over seeds")
    local n_measured, all_two = 0, true
    for k, c in pairs(res.claims) do
      if c.measured then
        n_measured = n_measured + 1
        if not (c.seeds == 2 and (c.evidence or ""):find("of 2 seeds$")) then all_two = false; T.diag(k .. ": " .. tostring(c.evidence)) end
      end
    end
    T.ok(n_measured > 0 and all_two, ("%s: its %d measured claims are decided over the 2 seeds"):format(name, n_measured))
    -- one of seed 1's runs missing
    local runs_dir = ("%s/%s/runs"):format(dir, name)
    T.ok(os.remove(("%s/%s.json"):format(runs_dir, st.missing)), name .. ": run file " .. st.missing .. " exists")
    local part = run_json(name, "--seeds 2 --merge")
    part = part or {claims = {}, missing = {}}
    T.ok(part.complete == false and part.missing[1] == st.missing and #part.missing == 1,
         name .. ": --merge lists the missing run")
    local left_out = false
    for _, c in pairs(part.claims) do
      if c.measured and c.seeds == 1 and (c.evidence or ""):find("of 1 seed$") then left_out = true end
    end
    T.ok(left_out, name .. ": a claim that needs the missing run is decided on seed 0 alone")
  end
end

os.execute("rm -rf " .. dir)
T.done()
