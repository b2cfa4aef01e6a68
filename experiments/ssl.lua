-- experiments/ssl.lua — self-supervised contrastive learning (SimCLR) on MNIST-1D, the
-- official repository's notebook: the benchmark's CNN encoder (1→25 k5 s2 p1, 25→25 k3 s2 p1
-- twice, ReLU, flattened to 125) trained without labels on two augmentations of every batch
-- (m1d.ssl.augment: detrend, circular shift in [0, 10), random slope sd 0.04 and offset sd
-- 0.3) with the InfoNCE loss (m1d.ssl.info_nce, temperature 0.5, the batch as negatives),
-- Adam lr 1e-2, batch 100, 200 epochs of the 4,000 frozen training signals.  Three variants:
--   projector  the encoder, then a projector 125→125 (ReLU) →16; the loss on its output
--   none       no projector: the loss on conv3's 125 features
--   deep       a deeper projector: three hidden layers 125→125 (ReLU), then →16
-- Evaluation, labels used only here: a linear probe (m1d.probe.logistic: standardise, then
-- scikit-learn's logistic regression; fit on the training split, accuracy on the test split)
-- on every layer's output, and a 10-NN classifier with cosine distance (m1d.knn) on the
-- layer the loss sees.  The input layer's numbers are the pixel-space baselines (logistic
-- 32.8 %, 10-NN 59.6 %).
--
-- Question: does contrastive training learn a linearly decodable representation, and where
-- does it sit?  The notebook's linear-probe test accuracy by layer (input, conv1, conv2,
-- conv3, projector hidden(s), projector output):
--   projector 32.8 75.1 80.9 82.1 76.1 75.0;  none 32.8 82.2 79.5 53.4;
--   deep      32.8 75.9 82.4 79.5 77.3 72.8 65.0 61.1.
-- Claims, decided on the means over seeds (and reported per seed, "holds in k of n"):
--  * probe_lifted: the best encoder layer (conv1..conv3) of the projector variant reaches
--    >= 75 % while the input reaches < 40 %.  (Notebook: 82.1 vs 32.8; 75 leaves 7 points
--    for seed noise and the ~2-point target, far above the input's 33.)
--  * best_before_projector: in the projector and deep variants the best encoder layer beats
--    every projector layer by >= 2 points (notebook: 82.1 vs 76.1, 82.4 vs 77.3).
--  * collapse_without_projector: without a projector, conv3 (the loss's layer) is >= 10
--    points below the best of conv1/conv2 (notebook: 53.4 vs 82.2).
--  * deep_projector_decays: along the deep projector (conv3, hidden 1..3, output) no step
--    rises by more than 1 point and the output is >= 8 points below conv3 (notebook: 79.5
--    falling to 61.1).
-- The figure: t-SNE (m1d.tsne) of the projector variant's conv3 features of the test set
-- before and after training, coloured by class; linear-probe accuracy by layer for the
-- three variants beside the notebook's (dashed).
--
--   ./m1d experiments/ssl.lua [--seeds 1] [--seed 0] [--epochs 200] [--quick] [--threads 0]
--                             [--variants projector,none,deep] [--out results/ssl.json]
-- --quick: 1,000 training and 500 test signals, 3 epochs, a 300-iteration t-SNE (the tests).
local m1d = require "m1d"
local nn, util, plot, sweep, ssl = m1d.nn, m1d.util, m1d.plot, m1d.sweep, m1d.ssl

local NOTEBOOK = {
  projector = {32.8, 75.1, 80.9, 82.1, 76.1, 75.0},
  none = {32.8, 82.2, 79.5, 53.4},
  deep = {32.8, 75.9, 82.4, 79.5, 77.3, 72.8, 65.0, 61.1},
}
local HIDDEN = {projector = 1, none = 0, deep = 3}         -- hidden layers of the projector
local VARIANT_SEED = {projector = 1, none = 2, deep = 3}   -- a run's generator seed: seed * 1000 + this
local COLORS = {projector = "#1f77b4", none = "#d62728", deep = "#2ca02c"}
local LEGEND = {projector = "projector 125-125-16", none = "no projector", deep = "deep projector 125-125-125-125-16"}

local cfg = util.parse_args(arg, {
  {"seeds", 1, "independent seeds per variant (the table shows mean ± sd)", min = 1},
  {"seed", 0, "the first seed; seeds are seed, seed+1, ..."},
  {"epochs", 200, "training epochs (passes over the training signals)", min = 1},
  {"batch", 100, "minibatch size (the negatives of each row: batch - 1)", min = 2},
  {"lr", 1e-2, "Adam learning rate"},
  {"temperature", 0.5, "InfoNCE temperature"},
  {"max_shift", 10, "circular shifts of the augmentation are uniform in [0, max_shift)", min = 1},
  {"variants", "projector,none,deep", "comma-separated variants: projector, none, deep"},
  {"k", 10, "neighbours of the cosine kNN classifier", min = 1},
  {"print_every", 10, "print the mean loss every this many epochs", min = 1},
  {"threads", 0, "BLAS threads (0: leave as is; 1 for the side-by-side timing with PyTorch)", min = 0},
  {"tsne_iter", 1000, "t-SNE iterations for the figure", min = 1},
  {"quick", false, "1,000 + 500 signals, 3 epochs, a 300-iteration t-SNE"},
  {"train_only", false, "train and time the variants only: no probes, claims or figure " ..
                        "(experiments/peer/ssl_peer.py's m1d side)"},
  {"out", "results/ssl.json", "results file (JSON; --quick: results/ssl_quick.json)"},
  {"figure", "", "figure file (default: --out with .png; a .pdf beside it)"},
}, "ssl.lua: SimCLR on MNIST-1D, linear probes by layer for three projector variants")
local n_train, n_test = 4000, 1000
if cfg.quick then
  n_train, n_test, cfg.epochs, cfg.tsne_iter = 1000, 500, math.min(cfg.epochs, 3), math.min(cfg.tsne_iter, 300)
  if cfg.out == "results/ssl.json" then cfg.out = "results/ssl_quick.json" end
end
if cfg.figure == "" then cfg.figure = cfg.out:gsub("%.json$", "") .. ".png" end
if cfg.threads > 0 then m1d.set_num_threads(cfg.threads) end
local variants = {}
for v in cfg.variants:gmatch("[^,]+") do
  if not HIDDEN[v] then error(("ssl.lua: unknown variant '%s' (projector, none, deep)"):format(v), 0) end
  variants[#variants + 1] = v
end

local data = m1d.mnist1d.frozen()
local xtr, ytr = data.x:narrow(1, 1, n_train), data.y:narrow(1, 1, n_train)
local xte, yte = data.x_test:narrow(1, 1, n_test), data.y_test:narrow(1, 1, n_test)

-- The encoder and the variant's projector; forward returns every layer's output, flattened,
-- in order: conv1, conv2, conv3, the projector's hidden layers, its output.  The
-- convolutions run batch-last, as nn.models.cnn's (see there why).
local function make_model(variant)
  local conv = function(n_in, k) return nn.Conv1d(n_in, 25, k, {stride = 2, padding = 1, layout = "CLN"}) end
  local fields = {_name = "simclr_" .. variant, _order = {"c1", "c2", "c3"},
    c1 = conv(1, 5), c2 = conv(25, 3), c3 = conv(25, 3)}
  local n_hidden = HIDDEN[variant]
  if variant ~= "none" then
    for i = 1, n_hidden do
      fields["h" .. i] = nn.Linear(125, 125); fields._order[#fields._order + 1] = "h" .. i
    end
    fields.out = nn.Linear(125, 16); fields._order[#fields._order + 1] = "out"
  end
  fields.forward = function(self, x)
    local n = x:size(1)
    local h1 = self.c1(x:reshape(n, -1):t():reshape(1, -1, n)):relu()   -- [channels, length, batch]
    local h2 = self.c2(h1):relu()
    local h3 = self.c3(h2):relu()
    local function flat(h) return h:reshape(-1, n):t() end              -- [batch, channels * length]
    local layers = {flat(h1), flat(h2), flat(h3)}
    if variant ~= "none" then
      local h = layers[3]
      for i = 1, n_hidden do h = self["h" .. i](h):relu(); layers[#layers + 1] = h end
      layers[#layers + 1] = self.out(h)
    end
    return layers
  end
  return nn.Module(fields)
end

local function layer_names(variant)
  local names = {"input", "conv1", "conv2", "conv3"}
  if variant ~= "none" then
    for i = 1, HIDDEN[variant] do names[#names + 1] = HIDDEN[variant] == 1 and "hidden" or "hidden" .. i end
    names[#names + 1] = "output"
  end
  return names
end

local function features(model, x)
  return m1d.no_grad(function() return model(x) end)
end

-- SimCLR: every epoch a fresh permutation; both views of a batch go through the model
-- together (one forward of 2 * batch rows), the loss on the last layer.
local function train_simclr(model)
  local opt = m1d.optim.Adam(model:parameters(), {lr = cfg.lr})
  local B = cfg.batch
  local steps_per_epoch = n_train // B
  local losses = {}
  local t0, c0 = m1d.clock(), os.clock()     -- wall and process CPU seconds
  for epoch = 1, cfg.epochs do
    local perm, total = m1d.randperm(n_train), 0
    for s = 0, steps_per_epoch - 1 do
      local xb = xtr:index_select(1, perm:narrow(1, s * B + 1, B))
      local views = m1d.cat({ssl.augment(xb, {max_shift = cfg.max_shift}), ssl.augment(xb, {max_shift = cfg.max_shift})}, 1)
      local layers = model(views)
      local z = layers[#layers]
      local loss = ssl.info_nce(z:narrow(1, 1, B), z:narrow(1, B + 1, B), cfg.temperature)
      opt:zero_grad()
      loss:backward()
      opt:step()
      total = total + loss:item()
    end
    losses[epoch] = total / steps_per_epoch
    if epoch % cfg.print_every == 0 or epoch == 1 or epoch == cfg.epochs then
      print(("  epoch %3d/%d  InfoNCE %.4f  (%.1f s)"):format(epoch, cfg.epochs, losses[epoch], m1d.clock() - t0))
      io.stdout:flush()
    end
  end
  return losses, m1d.clock() - t0, os.clock() - c0
end

-- the pixel-space baselines: the input layer's numbers in every variant
local pixel_probe, pixel_knn
if not cfg.train_only then
  local t_base = m1d.clock()
  pixel_probe = m1d.probe.logistic(xtr, ytr, xte, yte).test_acc
  pixel_knn = m1d.knn.accuracy(xtr, ytr, xte, yte, {k = cfg.k})
  print(("pixel-space baselines: linear probe %.1f %%, %d-NN %.1f %% (%.1f s)")
    :format(pixel_probe, cfg.k, pixel_knn, m1d.clock() - t_base))
end

local runs, tsne_feats = {}, {}
for si = 0, cfg.seeds - 1 do
  local seed = cfg.seed + si
  for _, variant in ipairs(variants) do
    -- each run seeds the generator itself: its numbers do not depend on which runs precede it
    -- (nor on --variants)
    m1d.manual_seed(seed * 1000 + VARIANT_SEED[variant])
    local model = make_model(variant)
    if si == 0 and variant == "projector" then tsne_feats.before = features(model, xte)[3] end
    print(("seed %d, variant %s: %d parameters, %d epochs of %d steps"):format(seed, variant, model:n_params(),
          cfg.epochs, n_train // cfg.batch))
    local losses, seconds, cpu_seconds = train_simclr(model)
    if cfg.train_only then
      print(("  trained in %.2f s (%.3f ms/step; CPU %.2f s), final InfoNCE %.4f"):format(seconds,
            1000 * seconds / (cfg.epochs * (n_train // cfg.batch)), cpu_seconds, losses[#losses]))
      runs[#runs + 1] = {seed = seed, variant = variant, train_seconds = seconds, train_cpu_seconds = cpu_seconds,
                         final_loss = losses[#losses],
                         losses = losses, steps = cfg.epochs * (n_train // cfg.batch)}
      goto next_run
    end
    local ftr, fte = features(model, xtr), features(model, xte)
    if si == 0 and variant == "projector" then tsne_feats.after = fte[3] end
    local acc, t_eval = {pixel_probe}, m1d.clock()
    for l = 1, #ftr do acc[l + 1] = m1d.probe.logistic(ftr[l], ytr, fte[l], yte).test_acc end
    local knn_acc = m1d.knn.accuracy(ftr[#ftr], ytr, fte[#fte], yte, {k = cfg.k, metric = "cosine"})
    local names = layer_names(variant)
    local cells = {}
    for l, a in ipairs(acc) do cells[l] = ("%s %.1f"):format(names[l], a) end
    print(("  trained in %.1f s (%.2f ms/step); linear probe: %s; %d-NN (cosine) on %s %.1f %% (eval %.1f s)")
      :format(seconds, 1000 * seconds / (cfg.epochs * (n_train // cfg.batch)), table.concat(cells, ", "),
              cfg.k, names[#names], knn_acc, m1d.clock() - t_eval))
    runs[#runs + 1] = {seed = seed, variant = variant, layers = names, probe_acc = acc, knn_acc = knn_acc,
                       train_seconds = seconds, train_cpu_seconds = cpu_seconds, final_loss = losses[#losses],
                       losses = losses}
    ::next_run::
  end
end
if cfg.train_only then
  util.write_json(cfg.out, {experiment = "ssl", version = m1d.version, args = cfg, complete = true, train_only = true,
                            runs_done = #runs, runs_total = cfg.seeds * #variants, runs = runs, claims = {},
                            blas_threads = m1d.get_num_threads()})
  print("wrote " .. cfg.out)
  return
end

-- per variant: mean and sd over seeds of every layer's accuracy, beside the notebook's
local summary = {}
print(("\nLinear-probe test accuracy (%%) by layer, %d seed(s), %d epochs — m1d vs the notebook")
  :format(cfg.seeds, cfg.epochs))
for _, variant in ipairs(variants) do
  local per_layer, knns, secs = {}, {}, {}
  for _, r in ipairs(runs) do
    if r.variant == variant then
      for l, a in ipairs(r.probe_acc) do per_layer[l] = per_layer[l] or {}; table.insert(per_layer[l], a) end
      knns[#knns + 1], secs[#secs + 1] = r.knn_acc, r.train_seconds
    end
  end
  local s = {variant = variant, layers = layer_names(variant), mean = {}, sd = {}, notebook = NOTEBOOK[variant],
             knn_mean = util.mean(knns), knn_sd = util.sd(knns), train_seconds_mean = util.mean(secs)}
  local cells = {}
  for l, xs in ipairs(per_layer) do
    s.mean[l], s.sd[l] = util.mean(xs), util.sd(xs)
    cells[l] = cfg.seeds > 1 and ("%s %.1f±%.1f (%.1f)"):format(s.layers[l], s.mean[l], s.sd[l], NOTEBOOK[variant][l])
               or ("%s %.1f (%.1f)"):format(s.layers[l], s.mean[l], NOTEBOOK[variant][l])
  end
  print(("%-9s %s; %d-NN cosine %.1f %%; training %.1f s"):format(variant, table.concat(cells, ", "), cfg.k,
        s.knn_mean, s.train_seconds_mean))
  summary[variant] = s
end

-- the claims, on the seed means (values per seed: the accuracies the claim reads)
local function per_seed(fn)
  local out = {}
  for si = 0, cfg.seeds - 1 do
    local acc = {}
    for _, r in ipairs(runs) do if r.seed == cfg.seed + si then acc[r.variant] = r.probe_acc end end
    out[#out + 1] = fn(acc)
  end
  return out
end
local function max_of(t, i, j) local m = -math.huge; for l = i, j do m = math.max(m, t[l]) end; return m end
local claims = {}
if summary.projector then
  claims.probe_lifted = sweep.seed_claim{
    criterion = "projector variant: best encoder layer (conv1..conv3) >= 75 % and input < 40 % (notebook 82.1 vs 32.8)",
    per_seed = per_seed(function(a) return {best = max_of(a.projector, 2, 4), input = a.projector[1]} end),
    test = function(v) return v.best >= 75 and v.input < 40,
      ("best encoder layer %.1f %%, input %.1f %%"):format(v.best, v.input) end}
end
if summary.projector and summary.deep then
  claims.best_before_projector = sweep.seed_claim{
    criterion = "projector and deep variants: the best encoder layer beats every projector layer by >= 2 points",
    per_seed = per_seed(function(a)
      return {enc_p = max_of(a.projector, 2, 4), proj_p = max_of(a.projector, 5, #a.projector),
              enc_d = max_of(a.deep, 2, 4), proj_d = max_of(a.deep, 5, #a.deep)} end),
    test = function(v) return v.enc_p >= v.proj_p + 2 and v.enc_d >= v.proj_d + 2,
      ("projector: encoder %.1f vs projector %.1f; deep: encoder %.1f vs projector %.1f")
        :format(v.enc_p, v.proj_p, v.enc_d, v.proj_d) end}
end
if summary.none then
  claims.collapse_without_projector = sweep.seed_claim{
    criterion = "no projector: conv3 (the loss's layer) >= 10 points below the best of conv1/conv2 (notebook 53.4 vs 82.2)",
    per_seed = per_seed(function(a) return {conv3 = a.none[4], best = max_of(a.none, 2, 3)} end),
    test = function(v) return v.conv3 <= v.best - 10,
      ("conv3 %.1f %% vs best earlier layer %.1f %%"):format(v.conv3, v.best) end}
end
if summary.deep then
  claims.deep_projector_decays = sweep.seed_claim{
    criterion = "deep projector: from conv3 to the output no step rises > 1 point, and the output is >= 8 points " ..
                "below conv3 (notebook 79.5 -> 61.1)",
    per_seed = per_seed(function(a) local t = {}; for l = 4, #a.deep do t["l" .. l] = a.deep[l] end; return t end),
    test = function(v)
      local ok, path = true, {}
      for l = 4, 8 do
        path[#path + 1] = ("%.1f"):format(v["l" .. l])
        if l > 4 and v["l" .. l] > v["l" .. (l - 1)] + 1 then ok = false end
      end
      return ok and v.l8 <= v.l4 - 8, "conv3 -> hidden 1..3 -> output: " .. table.concat(path, " -> ") end}
end
for name, c in pairs(claims) do print(("claim %-27s %s: %s"):format(name, c.holds and "holds" or "FAILS", c.evidence)) end

-- the figure: t-SNE of conv3 (test set) before and after training, accuracy by layer
local fig = plot.figure{layout = "1x3", size = {1950, 600}, title = ("SimCLR on MNIST-1D (%d epochs, %s)")
  :format(cfg.epochs, cfg.seeds > 1 and ("mean ± sd of %d seeds"):format(cfg.seeds) or "1 seed")}
local tsne_info = {}
for _, which in ipairs{"before", "after"} do
  local f = tsne_feats[which]
  if f then
    local y, info = m1d.tsne(f, {perplexity = 30, n_iter = cfg.tsne_iter, seed = cfg.seed})
    tsne_info[which] = {kl = info.kl, seconds = info.seconds}
    local pts, labels, series = y:totable(), yte:totable(), {}
    local by = {}
    for c = 0, 9 do by[c] = {x = {}, y = {}} end
    for i, c in ipairs(labels) do table.insert(by[c].x, pts[i][1]); table.insert(by[c].y, pts[i][2]) end
    for c = 0, 9 do
      series[#series + 1] = {x = by[c].x, y = by[c].y, name = tostring(c), color = plot.colors[c + 1], marker_size = 0.6}
    end
    fig:scatter{series = series, title = ("t-SNE of conv3 (test set), %s training"):format(which),
                xlabel = "t-SNE 1", ylabel = "t-SNE 2", legend = which == "after" and "outside right top" or false}
  end
end
-- the x axis: input, conv1..conv3, then the projector's layers (proj 1 .. its output)
local series, longest = {}, {}
for _, variant in ipairs(variants) do
  local s = summary[variant]
  if #s.layers > #longest then longest = s.layers end
  local xs = {}
  for l = 1, #s.mean do xs[l] = l end
  local lo, hi
  if cfg.seeds > 1 then
    lo, hi = {}, {}
    for l = 1, #s.mean do lo[l], hi[l] = s.mean[l] - s.sd[l], s.mean[l] + s.sd[l] end
  end
  series[#series + 1] = {x = xs, y = s.mean, band = lo and {lo, hi}, color = COLORS[variant], name = LEGEND[variant]}
  series[#series + 1] = {x = xs, y = NOTEBOOK[variant], color = COLORS[variant], dash = true}
end
local tics = {}
for l in ipairs(longest) do tics[l] = ("\"%s\" %d"):format(l <= 4 and longest[l] or "proj " .. (l - 4), l) end
fig:panel{title = "linear-probe test accuracy by layer (dashed: the notebook)", xlabel = "layer",
          ylabel = "accuracy (%)", yrange = {0, 100}, series = series, legend = "bottom left",
          extra = {("set xtics (%s) rotate by -30"):format(table.concat(tics, ", "))}}
fig:save(cfg.figure, {pdf = true})
fig:close()
print("wrote " .. cfg.figure)

util.write_json(cfg.out, {
  experiment = "ssl", version = m1d.version, args = cfg, complete = true,
  runs_done = #runs, runs_total = cfg.seeds * #variants, n_train = n_train, n_test = n_test,
  pixel_probe_acc = pixel_probe, pixel_knn_acc = pixel_knn, notebook = NOTEBOOK,
  summary = summary, runs = runs, tsne = tsne_info, claims = claims, figure = cfg.figure,
  blas_threads = m1d.get_num_threads(), peak_rss_mb = m1d.peak_rss_mb(),
})
print("wrote " .. cfg.out)
