-- double_descent_mse_test.lua — experiments/double_descent_mse.lua's quick mode over 2
-- seeds: every protocol's runs carry their settings (loss, noise, target scale), the
-- merge gives per-seed outcomes and the seed-mean curves with their bands, every claim is
-- decided over the 2 seeds, and a claim whose runs are missing in every seed is marked
-- not measured while the others stay measured.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util

local bin = os.getenv("M1D_BIN") or "./m1d"
local dir = os.tmpname(); os.remove(dir)
m1d.makedirs(dir)
local out = dir .. "/dd_mse.json"
local base = ("%s experiments/double_descent_mse.lua --quick --seeds 2 --out %s"):format(bin, out)
local PROTOCOLS = {"ce_sgd", "mse_sgd", "mse_sgd_lr", "mse_adam", "mse_adam_scaled", "mse_adam_clean", "ce_sgd_clean"}
local WIDTHS = {4, 16, 64}

local ok = os.execute(base .. " > " .. dir .. "/log 2>&1")
T.ok(ok, "double_descent_mse --quick --seeds 2 exits 0", not ok and io.open(dir .. "/log"):read("a"):sub(-1500) or nil)
local okr, res = pcall(util.read_json, out)
if not T.ok(okr, "results file is valid JSON", res) then res = {summary = {}, claims = {}} end
T.is(res.experiment, "double_descent_mse", "results name the experiment")
T.ok(res.complete and res.runs_done == #PROTOCOLS * #WIDTHS * 2, ("every run merged (%s of %d)"):format(
     tostring(res.runs_done), #PROTOCOLS * #WIDTHS * 2))
T.ok(res.n == 400 and res.nK == 4000, "n and nK recorded (quick: n = 400)")
T.ok(T.png_size(out:gsub("%.json$", ".png")), "figure written as PNG")

-- the run files carry each protocol's settings
local function params_of(key) return util.read_json(("%s/dd_mse/runs/%s.json"):format(dir, key)).params end
local pa, ps, pc = params_of("protocol=mse_adam,width=16,seed=1"), params_of("protocol=mse_adam_scaled,width=16,seed=1"),
                   params_of("protocol=mse_adam_clean,width=16,seed=1")
T.ok(pa.target_scale == 1 and ps.target_scale == 10 and pa.noise == 0.15 and pc.noise == 0 and pa.seed == 1,
     "run parameters: target scale 1 / 10, noise 0.15 / 0 (clean), the seed in the key")

-- per protocol: the seed-mean curve, its band, and each seed's outcome
local all = true
for _, p in ipairs(PROTOCOLS) do
  local s = res.summary[p]
  local good = s and #s.rows == #WIDTHS and s.seeds == 2 and #s.band.lo == #WIDTHS and #s.band.hi == #WIDTHS
               and #s.per_seed == 2 and s.per_seed[1].seed == 0 and s.per_seed[2].seed == 1
  if good then
    for i, r in ipairs(s.rows) do
      good = good and type(r.test_err_sd) == "number" and r.test_err_sd >= 0
             and math.abs(s.band.hi[i] - s.band.lo[i] - 2 * r.test_err_sd) < 1e-9
             and r.size == WIDTHS[i] and (p:match("^mse") and type(r.train_mse_rel) == "number" or
                                          p:match("^ce") and r.train_mse_rel == nil)
    end
    for _, o in ipairs(s.per_seed) do
      good = good and type(o.peak_height) == "number" and type(o.interpolates) == "boolean"
             and type(o.widest_train_err) == "number"
    end
  end
  if not good then T.diag("protocol " .. p) end
  all = all and good
end
T.ok(all, "every protocol: the seed-mean rows with sd, the band (mean ± sd), two per-seed outcomes; train MSE for MSE only")
local sd_seen = false
for _, p in ipairs(PROTOCOLS) do
  for _, r in ipairs((res.summary[p] or {rows = {}}).rows) do sd_seen = sd_seen or r.test_err_sd > 0 end
end
T.ok(sd_seen, "the two seeds differ somewhere (a band wider than nothing)")

-- claims: one per protocol and the overall one, each over the 2 seeds
local names = {"mse_threshold_at_nK", "peak_near_n_ce_sgd", "peak_near_n_ce_sgd_clean"}
for _, p in ipairs(PROTOCOLS) do if p:match("^mse") then names[#names + 1] = "peak_near_nK_" .. p end end
local over2 = true
for _, k in ipairs(names) do
  local c = res.claims[k]
  local good = c and c.measured == true and c.seeds == 2 and type(c.holds) == "boolean" and #c.per_seed == 2
               and type(c.criterion) == "string" and (c.evidence or ""):find("holds in %d of 2 seeds$")
  if not good then T.diag("claim " .. k) end
  over2 = over2 and good
end
T.ok(over2, ("%d claims, each decided over 2 seeds with its criterion"):format(#names))
T.ok(res.claims.peak_near_nK_mse_adam and res.claims.peak_near_nK_mse_adam.criterion:find("factor 2 of nK = 4000", 1, true),
     "the MSE claims measure against nK", res.claims.peak_near_nK_mse_adam and res.claims.peak_near_nK_mse_adam.criterion)

-- missing runs: one seed lacking a width leaves that seed out; both lacking it: not measured
local runs = dir .. "/dd_mse/runs/"
os.remove(runs .. "protocol=mse_adam,width=16,seed=1.json")
T.ok(os.execute(base .. " --merge > /dev/null 2>&1"), "--merge with a run missing exits 0")
local part = util.read_json(out)
local c = part.claims.peak_near_nK_mse_adam
T.ok(part.complete == false and c.measured and c.seeds == 1 and c.evidence:find("of 1 seed$"),
     "a seed with a missing run is left out of its protocol's claim", c.evidence)
os.remove(runs .. "protocol=mse_adam,width=16,seed=0.json")
T.ok(os.execute(base .. " --merge > /dev/null 2>&1"), "--merge with the width missing in both seeds exits 0")
part = util.read_json(out)
T.ok(part.claims.peak_near_nK_mse_adam.measured == false and part.claims.mse_threshold_at_nK.measured == false,
     "with no complete seed, the protocol's claim and the overall claim are not measured",
     part.claims.peak_near_nK_mse_adam.evidence)
T.ok(part.claims.peak_near_n_ce_sgd.measured and part.claims.peak_near_n_ce_sgd.seeds == 2,
     "the other protocols' claims stay measured over both seeds")
T.ok(part.summary.mse_adam == nil or part.summary.mse_adam.seeds < 2, "the incomplete protocol has no two-seed curve")

os.execute("rm -rf " .. dir)
T.done()
