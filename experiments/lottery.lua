-- experiments/lottery.lua — lottery tickets on MNIST-1D (Frankle & Carbin, as in the paper).
--
-- Question: does iterative magnitude pruning with rewinding to the initial weights find
-- sparse subnetworks ("tickets") of the residual MLP 40→500→500→10 that train better than
-- random subnetworks of the same sparsity, and what makes them good?  Expect (paper):
-- the ticket beats random and dense at high sparsity; it keeps its edge on a new dataset
-- and with every signal reversed in time; permuting the 40 positions hurts it more; a
-- re-initialised ticket still beats the baselines; first-layer ticket masks keep
-- neighbouring input positions together more often than random masks (a spatial prior).
--
-- Stage 1 (one run per method and seed): for each sparsity p of the schedule
-- (linspace(0, 1, 100)), prune the int(p * size) lowest-scoring entries of every layer's
-- [weight, bias] vector (magnitude: |weights after the last retrain|, random: U(0,1)),
-- rewind the survivors to their initial values and retrain 1501 Adam steps (lr 2e-2,
-- batch 100, eval every 100).  As in the notebook, the weights used for the next pruning
-- round are the checkpoint at step 1000.  The masks at the level closest to 92 % are kept.
-- Stage 2 (ablations, one run per ablation × arm × seed; arms ticket / random / dense),
-- 6000 steps with batch 500 on a new dataset (seed 43): (a) as is, (b) every signal
-- reversed in time, (c) the 40 positions permuted, (d) masks kept, weights re-initialised
-- with another seed.  The merge computes (e), the adjacency statistic, and the mask heatmap.
--
-- Claims, decided on the means over seeds and reported per seed ("holds in k of n"); the
-- margins are the paper's words ("beats", "keeps its edge", "hurts more") made a little
-- stricter than a tie: 2 points for the sweep (a mean over the ~15 levels in 0.80-0.95,
-- whose noise averages out; the paper's gap is ~7 points) and 1 point for a single
-- 6000-step ablation run (its final test accuracy; its seed spread has not been measured
-- yet: with --seeds 3 the "holds in k of 3" says how firm each claim is); the adjacency of
-- kept first-layer weights must exceed the random mask's by 20 % (relative; the paper
-- shows ~1.8x).
--
--   ./m1d experiments/lottery.lua [--quick] [--seeds 2] [--list | --run N | --merge ...]
--   parallel:  ./m1d experiments/lottery.lua --list-commands --stage 1 | parallel -j 2
--              ./m1d experiments/lottery.lua --list-commands --stage 2 | parallel -j 2
--              ./m1d experiments/lottery.lua --merge
-- Cost: a retrain is ~60 % sgemm and ~20 % Adam: ~5 s with OpenBLAS's AVX-512 kernels,
-- ~7 s with AVX2, ~15 s with its generic ones (see m1d.blas_info() and the README's "BLAS
-- kernels").  Results change in the last bits with the kernels, not in substance.
local m1d = require "m1d"
local nn, train, util, plot, sweep = m1d.nn, m1d.train, m1d.util, m1d.plot, m1d.sweep

local ABLATIONS = {"a_new_data", "b_reversed", "c_permuted", "d_reinit"}
local ABL_TITLE = {a_new_data = "(a) new data", b_reversed = "(b) reversed", c_permuted = "(c) permuted",
                   d_reinit = "(d) re-init"}
local ARMS = {"ticket", "random", "dense"}
local N_LAYERS = 3                               -- l1, l2, l3, each with weight and bias

local function linspace(a, b, n)
  local t = {}
  for i = 0, n - 1 do t[i + 1] = n == 1 and a or a + (b - a) * i / (n - 1) end
  return t
end

local function schedule_of(cfg)
  if cfg.schedule ~= "" then
    local t = {}
    for v in cfg.schedule:gmatch("[^,]+") do t[#t + 1] = tonumber(v) end
    return t
  end
  return linspace(0, 1, cfg.levels)
end

local function closest(sched, v)
  local best = 1
  for i, p in ipairs(sched) do if math.abs(p - v) < math.abs(sched[best] - v) then best = i end end
  return best
end

-- Per layer: the [weight, bias] vector as one flat tensor.
local function layer_vecs(params)
  local v = {}
  for l = 1, N_LAYERS do
    v[l] = m1d.cat({params[2 * l - 1]:detach():reshape(-1), params[2 * l]:detach():reshape(-1)}, 1)
  end
  return v
end

-- 0/1 mask (float32, flat) that zeroes the k = int(p * n) lowest scores (as torch.sort + index):
-- topk's smallest k, whose sort is stable, so ties at the threshold are dropped in index order.
local function mask_of(scores, p)
  local n = scores:numel()
  local k = math.floor(p * n + 1e-9)
  if k <= 0 then return m1d.ones(n) end
  if k >= n then return m1d.zeros(n) end
  local _, lowest = scores:topk(k, 1, false)
  return m1d.ones(n):index_add(1, lowest, m1d.full({k}, -1))
end

-- Layer masks (flat) -> one mask per parameter, shaped like it.
local function param_masks(model, layer_masks)
  local ps, out = model:parameters(), {}
  for l = 1, N_LAYERS do
    local w, b = ps[2 * l - 1], ps[2 * l]
    local nw = w:numel()
    out[2 * l - 1] = layer_masks[l]:narrow(1, 1, nw):reshape(w:size()):type(w:dtype()):contiguous()
    out[2 * l] = layer_masks[l]:narrow(1, nw + 1, b:numel()):type(b:dtype()):contiguous()
  end
  return out
end

local function kept_fraction(masks)
  local kept, total = 0, 0
  for _, m in ipairs(masks) do kept = kept + m:sum():item(); total = total + m:numel() end
  return kept / total
end

-- Adjacency (e): among unmasked first-layer weights W[j, i] (i < 40), the fraction whose
-- right neighbour W[j, i+1] along the input axis is unmasked too.  rows: hidden x input.
local function adjacency(rows)
  local pairs_, kept = 0, 0
  for _, r in ipairs(rows) do
    for i = 1, #r - 1 do
      if r[i] ~= 0 then
        kept = kept + 1
        if r[i + 1] ~= 0 then pairs_ = pairs_ + 1 end
      end
    end
  end
  return kept > 0 and pairs_ / kept or 0 / 0
end

-- The same statistic after a random permutation of the input positions (mean over draws):
-- keeps each position's and each unit's number of kept weights, removes neighbourhood.
local function adjacency_permuted(rows, draws, seed)
  local n = #rows[1]
  local total = 0
  for d = 1, draws do
    local perm = m1d.core.mnist1d_permutation(n, seed + d):totable()
    local pr = {}
    for j, r in ipairs(rows) do
      local q = {}
      for i = 1, n do q[i] = r[perm[i] + 1] end
      pr[j] = q
    end
    total = total + adjacency(pr)
  end
  return total / draws
end

local function mean_of(list, f)
  local xs = {}
  for _, v in ipairs(list) do local x = f(v); if x then xs[#xs + 1] = x end end
  if #xs == 0 then return nil end
  return util.mean(xs), util.sd(xs), #xs
end

local function ablation_data(kind, cfg)
  local d = m1d.mnist1d.dataset{seed = cfg.new_data_seed}
  if kind == "b_reversed" then
    local r = setmetatable({}, getmetatable(d))
    for k, v in pairs(d) do r[k] = v end
    r.x, r.x_test = d.x:flip(2):contiguous(), d.x_test:flip(2):contiguous()
    return r
  elseif kind == "c_permuted" then
    return d:spatial_shuffle(cfg.perm_seed)
  end
  return d
end

-- Stage 1 per method, mean over seeds: sparsity, final test accuracy and loss (with their sd
-- and the number of trials), max test accuracy; and the dense network's (level 1) numbers.
local function sweep_curves(prune, sched)
  local curve = {}
  for _, method in ipairs{"magnitude", "random"} do
    local c = {sparsity = {}, test_acc = {}, test_loss = {}, max_test_acc = {}, test_acc_sd = {}, test_loss_sd = {},
               trials = {}}
    for i, p in ipairs(sched) do
      local a, asd, n = mean_of(prune[method], function(d) return d.result.levels[i] and d.result.levels[i].final_test_acc end)
      local l, lsd = mean_of(prune[method], function(d) return d.result.levels[i] and d.result.levels[i].final_test_loss end)
      local mx = mean_of(prune[method], function(d) return d.result.levels[i] and d.result.levels[i].max_test_acc end)
      if a then
        local k = #c.sparsity + 1
        c.sparsity[k], c.test_acc[k], c.test_loss[k], c.max_test_acc[k] = p, a, l, mx
        c.test_acc_sd[k], c.test_loss_sd[k], c.trials[k] = asd, lsd, n
      end
    end
    curve[method] = c
  end
  local dense_acc, dense_loss
  do
    local all = {}
    for _, m in ipairs{"magnitude", "random"} do for _, d in ipairs(prune[m]) do all[#all + 1] = d end end
    dense_acc = mean_of(all, function(d) return d.result.levels[1] and d.result.levels[1].final_test_acc end)
    dense_loss = mean_of(all, function(d) return d.result.levels[1] and d.result.levels[1].final_test_loss end)
  end
  return curve, dense_acc, dense_loss
end

-- (e) per seed: P(right neighbour kept | kept) of the first-layer ticket and random masks
-- (and of the ticket with positions permuted), their densities; the first seed's masks
-- (rows [hidden][40]) for the heatmaps.
local function mask_adjacency(cfg, ctx)
  local adj = {}
  local heat = {}
  for t = 1, cfg.seeds do
    local row = {trial = t, seed = cfg.seed + t - 1}
    for _, which in ipairs{{"ticket", "magnitude"}, {"random", "random"}} do
      local key = ("prune=%s,seed=%d"):format(which[2], cfg.seed + t - 1)
      local f = ctx.file(key, "mask1.npy")
      if ctx.by_key[key] and sweep.exists(f) then
        local rows_ = m1d.load_npy(f):totable()           -- [hidden, 40]
        row[which[1]] = adjacency(rows_)
        if which[1] == "ticket" then row.ticket_permuted_null = adjacency_permuted(rows_, 50, 1000) end
        local kept = 0
        for _, r in ipairs(rows_) do for _, v in ipairs(r) do kept = kept + v end end
        row[which[1] .. "_density"] = kept / (#rows_ * #rows_[1])
        if t == 1 then heat[which[1]] = rows_ end
      end
    end
    adj[t] = row
  end
  return adj, heat
end

-- A first-layer mask [hidden][input] as heatmap rows: input x hidden, the hidden units sorted
-- by their number of adjacent kept pairs (most first; ties keep the units' order).
local function mask_heatmap(m)
  local score = {}
  for j, r in ipairs(m) do
    local s = 0
    for i = 1, #r - 1 do if r[i] ~= 0 and r[i + 1] ~= 0 then s = s + 1 end end
    score[j] = s
  end
  local _, by_score = m1d.tensor(score, "int64"):sort(1, true)   -- stable: ties keep unit order
  local order = by_score:totable()
  local data = {}
  for i = 1, #m[1] do
    local row = {}
    for k, j in ipairs(order) do row[k] = m[j][i] end
    data[i] = row
  end
  return data
end

-- The 2x3 figure: the sweep's accuracy and loss, the ablations, the adjacency, two mask heatmaps.
local function draw_figure(cfg, sched, parts)
  local curve, dense_acc, dense_loss = parts.curve, parts.dense_acc, parts.dense_loss
  local abl_summary, adj, heat = parts.abl_summary, parts.adj, parts.heat
  local fig = plot.figure{layout = "2x3", size = {1800, 1100},
                          title = ("Lottery tickets: MLP 40-%d-%d-10, %s"):format(cfg.hidden, cfg.hidden,
                            cfg.seeds > 1 and ("mean ± sd of %d seeds"):format(cfg.seeds) or "1 seed")}
  local function sweep_series(field)
    local s = {}
    for _, m in ipairs{"magnitude", "random"} do
      local c = curve[m]
      if #c.sparsity > 0 then
        local lo, hi, spread = {}, {}, true
        for k = 1, #c.sparsity do
          local sd = c[field .. "_sd"][k]
          spread = spread and c.trials[k] > 1
          lo[k], hi[k] = c[field][k] - sd, c[field][k] + sd
        end
        s[#s + 1] = {x = c.sparsity, y = c[field], name = m == "magnitude" and "ticket" or "random",
                     band = spread and {lo, hi} or nil, color = m == "magnitude" and "#d62728" or "#1f77b4"}
      end
    end
    return s
  end
  fig:panel{title = "final test accuracy", xlabel = "sparsity", ylabel = "test accuracy (%)",
            series = sweep_series("test_acc"), hlines = {{y = dense_acc or 0, name = "dense"}}}
  fig:panel{title = "final test loss", xlabel = "sparsity", ylabel = "test loss", series = sweep_series("test_loss"),
            hlines = {{y = dense_loss or 0, name = "dense"}}}
  local aser = {}
  for j, arm in ipairs(ARMS) do
    local xs, ys = {}, {}
    for i, a in ipairs(ABLATIONS) do
      if abl_summary[a][arm] then xs[#xs + 1], ys[#ys + 1] = i, abl_summary[a][arm] end
    end
    if #xs > 0 then aser[#aser + 1] = {x = xs, y = ys, name = arm, marker = "circle", style = "points",
                                      marker_size = 2, color = ({"#d62728", "#1f77b4", "#2ca02c"})[j]} end
  end
  local xt = {}
  for i, a in ipairs(ABLATIONS) do xt[i] = ('"%s" %d'):format(ABL_TITLE[a], i) end
  fig:panel{title = ("ablations, sparsity %.2f"):format(sched[closest(sched, cfg.ticket_sparsity)]),
            ylabel = "final test accuracy (%)", xrange = {0.5, 4.5},
            series = #aser > 0 and aser or nil, hlines = #aser == 0 and {{y = 0}} or nil,
            extra = {"set xtics (" .. table.concat(xt, ", ") .. ")"}}
  local eser = {}
  for j, f in ipairs{"ticket", "random", "ticket_permuted_null"} do
    local xs, ys = {}, {}
    for _, r in ipairs(adj) do if r[f] then xs[#xs + 1], ys[#ys + 1] = j, r[f] end end
    if #xs > 0 then eser[#eser + 1] = {x = xs, y = ys, name = f:gsub("_", " "), style = "points", marker = "circle",
                                      marker_size = 2, color = plot.colors[j]} end
  end
  fig:panel{title = "(e) adjacency, first layer", ylabel = "P(neighbour kept | kept)", xrange = {0.5, 3.5},
            series = #eser > 0 and eser or nil, hlines = #eser == 0 and {{y = 0}} or nil,
            extra = {'set xtics ("ticket" 1, "random" 2, "ticket, perm." 3)'}, legend = false}
  for _, which in ipairs{"ticket", "random"} do
    local m = heat[which]
    if m then
      local data = mask_heatmap(m)
      fig:heatmap{data = data, title = ("first-layer %s mask"):format(which),
                  xlabel = "hidden unit (by adjacency)", ylabel = "input position", palette = "gray", colorbox = false}
    else
      fig:panel{title = which .. " mask: not available yet", hlines = {{y = 0}}}
    end
  end
  fig:save(cfg.figure, {pdf = true})
  fig:close()
  print("wrote " .. cfg.figure)
end

sweep.main{
  name = "lottery", argv = arg,
  usage = "lottery.lua: lottery tickets in the residual MLP, with the paper's ablations",
  options = {
    {"hidden", 500, "width of the residual MLP 40-H-H-10", min = 1},
    {"steps", 1501, "Adam steps of each retrain", min = 1},
    {"lr", 2e-2, "Adam learning rate"},
    {"batch", 100, "minibatch size of the retrains", min = 1},
    {"eval_every", 100, "evaluate every N steps of a retrain", min = 1},
    {"checkpoint_every", 1000, "the weights at this step of a retrain decide the next pruning"},
    {"levels", 100, "sparsity levels: linspace(0, 1, N)", min = 1},
    {"schedule", "", "explicit sparsity levels, comma-separated (overrides --levels)"},
    {"seeds", 0, "independent seeds (trials) per method and ablation (0: 2, or 1 with --quick)", min = 0},
    {"seed", 0, "the first seed; trial t has seed + t - 1"},
    {"ticket_sparsity", 0.92, "the ablations use the masks at the level closest to this"},
    {"abl_steps", 6000, "Adam steps of each ablation run", min = 1},
    {"abl_batch", 500, "minibatch size of the ablation runs", min = 1},
    {"abl_eval_every", 250, "evaluate every N steps of an ablation run", min = 1},
    {"new_data_seed", 43, "seed of the new dataset the ablations train on"},
    {"perm_seed", 42, "seed of the spatial permutation of ablation (c)"},
    {"reinit_offset", 1000, "ablation (d) re-initialises with seed + this"},
    {"quick", false, "a smoke test: hidden 100, 150 steps, 4 levels, 1 seed unless --seeds (--out *_quick.json)"},
    {"progress", false, "a live progress line per retrain"},
  },
  configure = function(cfg)
    if cfg.seeds == 0 then cfg.seeds = cfg.quick and 1 or 2 end   -- an explicit --seeds holds in --quick too
    if cfg.quick then
      cfg.hidden, cfg.steps, cfg.eval_every, cfg.checkpoint_every = 100, 150, 50, 150
      cfg.schedule = "0,0.5,0.75,0.92"
      cfg.abl_steps, cfg.abl_eval_every = 100, 50
      if cfg.out == "results/lottery.json" then cfg.out = "results/lottery_quick.json" end
    end
  end,

  runs = function(cfg)
    local runs = {}
    local common = {hidden = cfg.hidden, steps = cfg.steps, lr = cfg.lr, batch = cfg.batch,
                    eval_every = cfg.eval_every, checkpoint_every = cfg.checkpoint_every,
                    schedule = table.concat(schedule_of(cfg), ","), ticket_sparsity = cfg.ticket_sparsity}
    local function with(t) for k, v in pairs(common) do t[k] = v end return t end
    for t = 1, cfg.seeds do
      for _, method in ipairs{"magnitude", "random"} do
        runs[#runs + 1] = with{key = ("prune=%s,seed=%d"):format(method, cfg.seed + t - 1), stage = 1, method = method,
                               trial = t, seed = cfg.seed + t - 1}
      end
    end
    for t = 1, cfg.seeds do
      for _, abl in ipairs(ABLATIONS) do
        for _, arm in ipairs(ARMS) do
          runs[#runs + 1] = with{key = ("ablation=%s,arm=%s,seed=%d"):format(abl, arm, cfg.seed + t - 1), stage = 2,
                                 ablation = abl, arm = arm, trial = t, seed = cfg.seed + t - 1,
                                 abl_steps = cfg.abl_steps, abl_batch = cfg.abl_batch,
                                 abl_eval_every = cfg.abl_eval_every, new_data_seed = cfg.new_data_seed,
                                 perm_seed = cfg.perm_seed, reinit_offset = cfg.reinit_offset}
        end
      end
    end
    return runs
  end,

  run = function(r, cfg, ctx)
    if r.stage == 1 then
      local data = m1d.mnist1d.frozen()
      local sched = {}
      for v in r.schedule:gmatch("[^,]+") do sched[#sched + 1] = tonumber(v) end
      local keep_at = closest(sched, r.ticket_sparsity)
      m1d.manual_seed(r.seed)
      local model = nn.models.mlp(r.hidden)
      local init = model:state()
      local final = init
      local levels = {}
      for i, p in ipairs(sched) do
        local scores = {}
        for l, v in ipairs(layer_vecs(final)) do
          scores[l] = r.method == "magnitude" and v:abs() or m1d.rand(v:numel())
        end
        local lm = {}
        for l = 1, N_LAYERS do lm[l] = mask_of(scores[l], p) end
        local masks = param_masks(model, lm)
        model:set_parameters(init)
        model:set_masks(masks)
        local ckpt
        local res = train.fit{model = model, data = data, steps = r.steps, batch = r.batch, lr = r.lr,
                              eval_every = r.eval_every, label = ("%s %.3f"):format(r.method, p), progress = cfg.progress,
                              on_step = function(step, m) if step % r.checkpoint_every == 0 then ckpt = m:state() end end}
        final = ckpt
        local kept = kept_fraction(masks)
        levels[i] = {sparsity = p, kept = kept, final_test_acc = res.final_test_acc, final_train_acc = res.final_train_acc,
                     final_test_loss = res.test_loss[#res.test_loss], max_test_acc = math.max(table.unpack(res.test_acc)),
                     seconds = res.seconds}
        print(("%-9s trial %d  level %3d/%d  sparsity %.3f  kept %.3f  test %5.1f%%  loss %.3f  %.1f s"):format(
          r.method, r.trial, i, #sched, p, kept, res.final_test_acc, levels[i].final_test_loss, res.seconds))
        io.stdout:flush()
        if i == keep_at then
          for j, m in ipairs(masks) do m1d.save_npy(ctx.file(r.key, ("mask%d.npy"):format(j)), m:float()) end
        end
        model:set_masks(nil)
        collectgarbage()
      end
      return {method = r.method, trial = r.trial, levels = levels, ticket_level = keep_at,
              ticket_sparsity = sched[keep_at]}
    end
    -- stage 2: an ablation arm
    local data = ablation_data(r.ablation, r)
    local masks, ticket
    if r.arm ~= "dense" then
      local src = ("prune=%s,seed=%d"):format(r.arm == "ticket" and "magnitude" or "random", r.seed)
      ticket = ctx.load(src)
      masks = {}
      for j = 1, 2 * N_LAYERS do masks[j] = m1d.load_npy(ctx.file(src, ("mask%d.npy"):format(j))) end
    end
    m1d.manual_seed(r.ablation == "d_reinit" and r.seed + r.reinit_offset or r.seed)
    local model = nn.models.mlp(r.hidden)
    if masks then model:set_masks(masks) end
    local res = train.fit{model = model, data = data, steps = r.abl_steps, batch = r.abl_batch, lr = r.lr,
                          eval_every = r.abl_eval_every, label = r.key, progress = cfg.progress}
    print(("%-12s %-7s trial %d  test %5.1f%%  train %5.1f%%  %.1f s"):format(r.ablation, r.arm, r.trial,
          res.final_test_acc, res.final_train_acc, res.seconds))
    return {final_test_acc = res.final_test_acc, final_train_acc = res.final_train_acc,
            final_test_loss = res.test_loss[#res.test_loss], max_test_acc = math.max(table.unpack(res.test_acc)),
            sparsity = ticket and ticket.ticket_sparsity or 0, kept = masks and kept_fraction(masks) or 1,
            seconds = res.seconds, curves = {step = res.steps, test_acc = res.test_acc}}
  end,

  merge = function(done, cfg, ctx)
    local sched = schedule_of(cfg)
    local prune, abl = {magnitude = {}, random = {}}, {}
    for _, d in ipairs(done) do
      local p = d.params
      if p.stage == 1 then prune[p.method][#prune[p.method] + 1] = d
      else
        abl[p.ablation] = abl[p.ablation] or {}
        abl[p.ablation][p.arm] = abl[p.ablation][p.arm] or {}
        table.insert(abl[p.ablation][p.arm], d.result)
      end
    end
    -- the sparsity sweep, mean over seeds
    local curve, dense_acc, dense_loss = sweep_curves(prune, sched)
    print(("\nFinal test accuracy (%%) against sparsity, %s"):format(
          cfg.seeds > 1 and ("mean ± sd of %d seeds"):format(cfg.seeds) or "1 seed"))
    local rows = {}
    for i, p in ipairs(sched) do
      if i == 1 or i == #sched or #sched <= 12 or i % math.max(1, #sched // 10) == 0 then
        local function at(m)
          local c = curve[m]
          for k, s in ipairs(c.sparsity) do
            if s == p then
              return cfg.seeds > 1 and c.test_acc_sd and ("%.1f ± %.1f"):format(c.test_acc[k], c.test_acc_sd[k])
                     or c.test_acc[k]
            end
          end
        end
        rows[#rows + 1] = {("%.3f"):format(p), at("magnitude"), at("random")}
      end
    end
    sweep.print_table({"sparsity", "ticket", "random"}, rows)

    -- per seed, the numbers the claims compare (see the header for the margins)
    local per_seed, seed_index = {}, {}
    local function seed_values(seed)
      if not seed_index[seed] then per_seed[#per_seed + 1] = {}; seed_index[seed] = #per_seed end
      return per_seed[seed_index[seed]]
    end
    for _, m in ipairs{"magnitude", "random"} do
      for _, d in ipairs(prune[m]) do
        local v, hi = seed_values(d.params.seed), {}
        for i, p in ipairs(sched) do
          local l = d.result.levels[i]
          if l and p >= 0.8 and p <= 0.95 then hi[#hi + 1] = l.final_test_acc end
        end
        if #hi > 0 then v["hi/" .. m] = util.mean(hi) end
        if d.result.levels[1] then v["dense/" .. m] = d.result.levels[1].final_test_acc end
      end
    end
    for _, d in ipairs(done) do
      local p = d.params
      if p.stage == 2 then seed_values(p.seed)[("abl/%s/%s"):format(p.ablation, p.arm)] = d.result.final_test_acc end
    end

    local claims = {}
    claims.ticket_beats_random_and_dense = sweep.seed_claim{
      criterion = "over sparsity 0.80-0.95 the ticket's mean final test accuracy beats the random ticket's and " ..
                  "the dense network's by >= 2 points",
      per_seed = per_seed, keys = {"hi/magnitude", "hi/random", "dense/magnitude", "dense/random"},
      test = function(v)
        local t, r, dense = v["hi/magnitude"], v["hi/random"], (v["dense/magnitude"] + v["dense/random"]) / 2
        return t >= r + 2 and t >= dense + 2, ("mean final test accuracy over sparsity 0.80-0.95: ticket %.1f%%, " ..
          "random %.1f%%; dense %.1f%%"):format(t, r, dense)
      end}

    local abl_summary = {}
    local function arm_acc(a, arm)
      local l = abl[a] and abl[a][arm]
      if l and #l > 0 then return mean_of(l, function(r) return r.final_test_acc end) end
    end
    for _, a in ipairs(ABLATIONS) do
      abl_summary[a] = {ticket = arm_acc(a, "ticket"), random = arm_acc(a, "random"), dense = arm_acc(a, "dense")}
    end
    local function beats(a, name, what)
      local k = {ticket = ("abl/%s/ticket"):format(a), random = ("abl/%s/random"):format(a), dense = ("abl/%s/dense"):format(a)}
      claims[name] = sweep.seed_claim{
        criterion = what .. ": the ticket's final test accuracy beats the random ticket's and the dense network's " ..
                    "by >= 1 point",
        per_seed = per_seed, keys = {k.ticket, k.random, k.dense},
        test = function(v)
          local t, r, d = v[k.ticket], v[k.random], v[k.dense]
          return t >= r + 1 and t >= d + 1, ("%s: ticket %.1f%%, random ticket %.1f%%, dense %.1f%% (final test accuracy, " ..
            "%d steps, batch %d)"):format(what, t, r, d, cfg.abl_steps, cfg.abl_batch)
        end}
    end
    beats("a_new_data", "ticket_beats_baselines_new_data", "(a) new dataset (seed 43)")
    beats("b_reversed", "ticket_keeps_edge_reversed", "(b) signals reversed in time")
    beats("d_reinit", "reinit_ticket_beats_baselines", "(d) ticket mask, weights re-initialised")
    claims.permutation_hurts_ticket_more = sweep.seed_claim{
      criterion = "(c) permuting the input positions costs the ticket >= 1 point more than the random ticket",
      per_seed = per_seed, keys = {"abl/a_new_data/ticket", "abl/c_permuted/ticket", "abl/a_new_data/random", "abl/c_permuted/random"},
      test = function(v)
        local at, ct, ar, cr = v["abl/a_new_data/ticket"], v["abl/c_permuted/ticket"], v["abl/a_new_data/random"],
                               v["abl/c_permuted/random"]
        return at - ct >= ar - cr + 1, ("(c) permuting positions: ticket %.1f -> %.1f%% (drop %.1f), random ticket " ..
          "%.1f -> %.1f%% (drop %.1f)"):format(at, ct, at - ct, ar, cr, ar - cr)
      end}

    -- (e) adjacency of first-layer masks, and the heatmaps
    local adj, heat = mask_adjacency(cfg, ctx)
    local na = mean_of(adj, function(r) return r.ticket_permuted_null end)
    for _, row in ipairs(adj) do
      local v = seed_values(row.seed)
      v["adj/ticket"], v["adj/random"] = row.ticket, row.random
    end
    claims.ticket_masks_adjacent = sweep.seed_claim{
      criterion = "P(right neighbour kept | kept) in the first layer: the ticket's mask exceeds the random mask's by >= 20 %",
      per_seed = per_seed, keys = {"adj/ticket", "adj/random"},
      test = function(v)
        return v["adj/ticket"] >= 1.2 * v["adj/random"], ("P(right neighbour kept | kept), first layer: ticket %.3f vs " ..
          "random mask %.3f (density %.3f); ticket with input positions permuted %.3f"):format(v["adj/ticket"],
          v["adj/random"], adj[1] and adj[1].random_density or 0 / 0, na or 0 / 0)
      end}

    draw_figure(cfg, sched, {curve = curve, dense_acc = dense_acc, dense_loss = dense_loss, abl_summary = abl_summary,
                             adj = adj, heat = heat})
    local prune_runs = {}
    for _, m in ipairs{"magnitude", "random"} do
      for _, d in ipairs(prune[m]) do prune_runs[#prune_runs + 1] = {key = d.key, seconds = d.seconds, result = d.result} end
    end
    return {sweep = curve, dense = {test_acc = dense_acc, test_loss = dense_loss}, ablations = abl_summary,
            adjacency = adj, claims = claims, figure = cfg.figure, prune_runs = prune_runs,
            ticket_sparsity = sched[closest(sched, cfg.ticket_sparsity)]}
  end,
}
