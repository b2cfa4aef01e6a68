-- experiments_test.lua — the science experiments' quick modes (lottery, double descent, tsne,
-- ssl, pooling, spatial priors) end to end through ./m1d into a temporary directory: results
-- files with the documented fields and claims, figures, the qualitative claims that are
-- robust at quick scale, and the sweep options (list, count, list-commands, resume, merge).
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util

local bin = os.getenv("M1D_BIN") or "./m1d"
local dir = os.tmpname(); os.remove(dir)
m1d.makedirs(dir)

local function sh(cmd)
  local ok = os.execute(cmd)
  return ok
end

local function capture(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local s = p:read("a")
  p:close()
  return s
end

-- run one script's quick mode, check the common fields, return the results table
local function quick(name, extra)
  local out = ("%s/%s.json"):format(dir, name)
  local t0 = m1d.clock()
  local ok = sh(("%s experiments/%s.lua --quick --out %s %s > %s/%s.log 2>&1"):format(bin, name, out, extra or "", dir, name))
  local dt = m1d.clock() - t0
  T.ok(ok, ("%s --quick exits 0 (%.1f s)"):format(name, dt),
       ok or capture(("tail -20 %s/%s.log"):format(dir, name)))
  local okr, res = pcall(util.read_json, out)
  if not T.ok(okr, name .. ": results file is valid JSON", res) then return {claims = {}} end
  T.is(res.experiment, name, name .. ": results name the experiment")
  T.ok(res.complete and res.runs_done == res.runs_total and res.runs_total > 0,
       ("%s: every run merged (%s/%s)"):format(name, tostring(res.runs_done), tostring(res.runs_total)))
  local nclaims, good = 0, true
  for k, c in pairs(res.claims or {}) do
    nclaims = nclaims + 1
    if type(c.holds) ~= "boolean" or type(c.evidence) ~= "string" or c.evidence == "" then good = false; T.diag(k) end
  end
  T.ok(nclaims > 0 and good, ("%s: %d claims, each {holds = bool, evidence = string}"):format(name, nclaims))
  T.ok(T.png_size(out:gsub("%.json$", ".png")), name .. ": figure written as PNG")
  return res, out
end

-- pooling: pooling beats no pooling at 1,000 training examples
local pool = quick("pooling")
T.ok(pool.claims.pooling_helps_low_data and pool.claims.pooling_helps_low_data.holds,
     "pooling: pooled nets beat no pooling at 1,000 examples", pool.claims.pooling_helps_low_data and pool.claims.pooling_helps_low_data.evidence)
T.ok(pool.summary and pool.summary[1] and pool.summary[1].n_train == 1000 and pool.summary[1].no_pool and pool.summary[1].l2_pool,
     "pooling: summary per regime with every model")

-- lottery: ticket masks are more adjacent than random masks; ablations all present
local lot = quick("lottery")
T.ok(lot.claims.ticket_masks_adjacent and lot.claims.ticket_masks_adjacent.holds,
     "lottery: first-layer ticket masks more adjacent than random", lot.claims.ticket_masks_adjacent and lot.claims.ticket_masks_adjacent.evidence)
local names = {"ticket_beats_random_and_dense", "ticket_beats_baselines_new_data", "ticket_keeps_edge_reversed",
               "permutation_hurts_ticket_more", "reinit_ticket_beats_baselines", "ticket_masks_adjacent"}
local all = true
for _, k in ipairs(names) do if not (lot.claims[k] and lot.claims[k].measured ~= false) then all = false; T.diag("missing " .. k) end end
T.ok(all, "lottery: every claim of the issue measured")
T.ok(lot.sweep and #lot.sweep.magnitude.sparsity == 4 and lot.ablations and lot.ablations.c_permuted.dense,
     "lottery: sparsity sweep and ablation table")

-- spatial priors: shuffling hurts the CNN, not logistic regression
local sp, sp_out = quick("spatial_priors")
local acc = {}
for _, s in ipairs(sp.summary or {}) do acc[s.model] = s.mean end
T.ok(acc.cnn and acc.cnn[1] > acc.cnn[#acc.cnn] + 3, ("spatial_priors: the full shuffle hurts the CNN (%s)")
     :format(acc.cnn and table.concat(acc.cnn, " / ") or "?"))
T.ok(acc.logistic and math.abs(acc.logistic[1] - acc.logistic[#acc.logistic]) < 4,
     "spatial_priors: logistic regression does not care about the shuffle")

-- tsne: the embedding's kNN accuracy beside the raw signals, both claims, the history
local ts = quick("tsne")
T.ok(ts.n == 1000 and ts.n_iter == 300 and ts.kl > 0 and #ts.kl_history.kl == 6,
     ("tsne: 1,000 signals, 300 iterations, KL %s every 50"):format(tostring(ts.kl)))
T.ok(ts.knn_accuracy_embedding and ts.knn_accuracy_embedding > 20 and ts.knn_accuracy_pixels > 20,
     ("tsne: 10-NN accuracy in the embedding %s %%, on the signals %s %%"):format(tostring(ts.knn_accuracy_embedding),
                                                                              tostring(ts.knn_accuracy_pixels)))
T.ok(ts.claims.local_structure_kept and ts.claims.classes_not_well_separated and #ts.class_medians == 10,
     "tsne: both claims and the ten class medians")

-- ssl: the three variants' probes by layer, the pixel baselines as the input layer, the
-- four claims, the t-SNE before and after (the findings need paper scale: claims not asserted)
local sl = quick("ssl")
local nl = {}
for _, v in ipairs{"projector", "none", "deep"} do nl[#nl + 1] = sl.summary and sl.summary[v] and #sl.summary[v].mean end
T.is(table.concat(nl, ","), "6,4,8", "ssl: probe accuracies for 6, 4 and 8 layers (projector, none, deep)")
T.ok(sl.summary and sl.summary.projector.mean[1] == sl.pixel_probe_acc and sl.pixel_knn_acc > 20
     and sl.summary.projector.mean[2] > sl.pixel_probe_acc and sl.n_train == 1000 and sl.args.epochs == 3,
     ("ssl: input layer = the pixel probe (%s %%), conv1 above it after 3 epochs (%s %%)")
       :format(tostring(sl.pixel_probe_acc), tostring(sl.summary and sl.summary.projector.mean[2])))
local want_claims = {"probe_lifted", "best_before_projector", "collapse_without_projector", "deep_projector_decays"}
local have = 0
for _, k in ipairs(want_claims) do if sl.claims[k] and sl.claims[k].measured then have = have + 1 end end
T.is(have, 4, "ssl: the four claims measured")
T.ok(sl.tsne and sl.tsne.before and sl.tsne.after and #sl.runs == 3 and #sl.runs[1].losses == 3
     and sl.runs[1].losses[3] < sl.runs[1].losses[1],
     "ssl: t-SNE before and after, a loss per epoch, and the InfoNCE falls")

-- double descent: fields (the curve needs paper scale)
local dd = quick("double_descent")
T.ok(dd.summary and dd.summary.mlp_noisy and dd.summary.mlp_noisy_mse and dd.summary.cnn_noisy and dd.n == 1000,
     "double_descent: summaries for the MLP (clean, noisy, MSE) and CNN sweeps, n recorded")
T.ok(dd.claims.double_descent and dd.claims.mse_peak_at_more_params_than_ce, "double_descent: both claims present")

-- sweep mechanics on the spatial-priors results (all done): list, count, resume, merge
local base = ("%s experiments/spatial_priors.lua --quick --out %s"):format(bin, sp_out)
local list = capture(base .. " --list")
local n = 0
for _ in list:gmatch("done") do n = n + 1 end
T.is(n, 12, "--list shows 12 runs, all done")
T.is(capture(base .. " --count"):match("%d+"), "12", "--count prints the number of runs")
T.is(capture(base .. " --list-commands"), "", "--list-commands lists nothing when every run is done")
T.ok(capture(base .. " --run 2"):find("done already", 1, true), "--run N skips a finished run (resume)")
os.remove(dir .. "/spatial_priors/runs/model=logistic,w=4,seed=0.json")
local cmds = capture(base .. " --list-commands")
T.ok(cmds:find("--run 2 --quick --out", 1, true) and select(2, cmds:gsub("\n", "")) == 1,
     "--list-commands prints the one pending run with the script's options", cmds)
T.ok(capture(base .. " --only model=logistic,w=4"):find("model=logistic,w=4,seed=0: ", 1, true), "--only key=value runs it")
local merged = capture(base .. " --merge")
T.ok(merged:find("12/12 runs", 1, true), "--merge reads every run file again")
T.ok(capture(base .. " --run 99"):find("runs are numbered 1..12", 1, true), "--run out of range is an error")

os.execute("rm -rf " .. dir)
T.done()
