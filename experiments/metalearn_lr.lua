-- experiments/metalearn_lr.lua — learn the SGD learning rate by gradient descent through
-- 200 unrolled training steps (the paper's metalearn-learn-rate notebook).
--
-- Question: if d(mean training loss)/d(lr) is taken through the whole inner training run,
-- where does plain gradient descent on lr go?  Expect both trials, started at lr 1.5 and
-- 0.15, to meet at the same learning rate, about 0.62 (paper; the PyTorch peer script
-- ../shared/peer/exp_metalearn_lr.py gets 0.624 / 0.620).
--
-- Protocol (as the peer script): a functional tanh MLP 40-50-10 in float32 with PyTorch's
-- default initialisation, seeded identically in every outer step; 200 SGD steps at batch
-- 50 taken in order from the frozen training set; gradients with create_graph, so
-- p <- p - lr * g stays differentiable in lr; meta-loss = mean of the 200 inner losses;
-- 50 outer steps of plain SGD on lr with meta learning rate 0.3.
--
--   ./m1d experiments/metalearn_lr.lua [--quick] [--seeds 3] [--lrs 1.5,0.15] [--checkpoint]
--                                      [--out results/metalearn_lr.json] [--list | --run N | --merge ...]
--
-- Over seeds (--seeds N): the script is a sweep (m1d.sweep) with one run per start and
-- seed, key "lr0=1.5,seed=S"; seed S initialises the inner MLP.  The merge decides the
-- claims on the means over seeds ("holds in k of n seeds") and draws each curve's mean
-- with a ±1 sd band.  Runs spread over the cores (--jobs), a cluster (--list-commands)
-- or resume after an interruption, like every study's.
local m1d = require "m1d"
local nn, util, plot, sweep = m1d.nn, m1d.util, m1d.plot, m1d.sweep

local OPTIONS = {
  {"seeds", 1, "inner initialisations, one per seed (runs: every lr0 with every seed)", min = 1},
  {"seed", 0, "the first seed of the inner MLP's initialisation (the same in every outer step)"},
  {"lrs", "1.5,0.15", "starting learning rates, one run each per seed, comma-separated"},
  {"inner", 200, "unrolled inner SGD steps per outer step", min = 1},
  {"batch", 50, "inner minibatch size", min = 1},
  {"outer", 50, "outer (meta) steps", min = 1},
  {"meta_lr", 0.3, "outer SGD learning rate on lr"},
  {"dtype", "float32", "precision of everything", choices = {"float32", "float64"}},
  {"checkpoint", false, "recompute each inner step in the outer backward (less memory, ~60% more time)"},
  {"quick", false, "a smoke test: 6 outer x 40 inner steps (--out *_quick.json)"},
  {"threads", 1, "OpenBLAS threads", min = 1},
  {"out", "results/metalearn_lr.json", "results file (JSON); run files go to OUT/runs/"},
  {"figure", "", "figure file (default: --out with .png; a .pdf beside it)"},
}

-- The configuration and the starting rates; set by configure (sweep.main calls it in
-- every process, before run or merge).  The data is loaded by the first run.
local cfg, lr0s, data

local function configure(c)
  cfg = c
  if cfg.quick then
    cfg.outer, cfg.inner = 6, 40
    if cfg.out == "results/metalearn_lr.json" then cfg.out = "results/metalearn_lr_quick.json" end
  end
  lr0s = {}
  for s in cfg.lrs:gmatch("[^,]+") do
    lr0s[#lr0s + 1] = tonumber(s) or error(("--lrs: '%s' is not a number"):format(s), 0)
  end
  if #lr0s == 0 then error("--lrs: expected at least one learning rate, e.g. 1.5,0.15", 0) end
end

-- Memory: the whole unrolled graph (200 steps of a 2,510-parameter MLP at batch 50) is
-- small: peak RSS 27 MB.  m1d.checkpoint per inner step lowers the peak to 13 MB but
-- recomputes every step in the outer backward, ~60 % more time (measured side by side:
-- 42 ms vs 69 ms per outer step, 4.9 s vs 7.5 s for both trials).  14 MB is not worth
-- that, so the plain graph is the default; --checkpoint switches (same learned lr).

-- one inner step of the functional MLP: loss at p, then p - lr * grad (differentiable in lr)
local function inner_step(w1, b1, w2, b2, lr, xb, yb)
  local loss = m1d.cross_entropy(m1d.linear(m1d.linear(xb, w1, b1):tanh(), w2, b2), yb)
  local g = m1d.grad(loss, {w1, b1, w2, b2}, {create_graph = true})
  return {w1 - lr * g[1], b1 - lr * g[2], w2 - lr * g[3], b2 - lr * g[4], loss}
end

-- the unrolled inner run from p0 with learning rate lr: meta-loss and the last inner loss
local function unroll(p0, lr)
  local p, total, last = p0, nil, nil
  for s = 1, cfg.inner do
    local xb, yb = data:batch((s - 1) * cfg.batch + 1, cfg.batch)
    local r
    if cfg.checkpoint then r = m1d.checkpoint(inner_step, p[1], p[2], p[3], p[4], lr, xb, yb)
    else r = inner_step(p[1], p[2], p[3], p[4], lr, xb, yb) end
    p = {r[1], r[2], r[3], r[4]}
    last = r[5]
    total = total and total + last or last
  end
  return total / cfg.inner, last
end

local function run_trial(init_lr, seed)
  m1d.manual_seed(seed)                              -- the same inner initialisation in every outer step
  local l1, l2 = nn.Linear(40, 50), nn.Linear(50, 10)
  local p0 = {l1.weight, l1.bias, l2.weight, l2.bias}
  if cfg.dtype == "float64" then
    for i, p in ipairs(p0) do p0[i] = p:detach():double():requires_grad() end
  end
  local lr = m1d.tensor(init_lr, cfg.dtype):requires_grad()   -- 0-dim
  local tr = {init_lr = init_lr, seed = seed, meta_loss = {}, final_inner_loss = {}, lr = {}, outer_seconds = {},
              meta_grad = {}}
  for k = 1, cfg.outer do
    local t0 = m1d.clock()
    local meta_loss, last = unroll(p0, lr)           -- p0 is reused unchanged: identical init every step
    local g = m1d.grad(meta_loss, lr)
    lr = (lr - cfg.meta_lr * g):detach():requires_grad()
    local dt = m1d.clock() - t0
    tr.meta_loss[k], tr.final_inner_loss[k], tr.lr[k] = meta_loss:item(), last:item(), lr:item()
    tr.meta_grad[k], tr.outer_seconds[k] = g:item(), dt
    print(("lr0 %-5g seed %d outer %3d/%d  meta-loss %.4f  final inner loss %.4f  lr %.4f  %.3f s"):format(
      init_lr, seed, k, cfg.outer, tr.meta_loss[k], tr.final_inner_loss[k], tr.lr[k], dt))
  end
  tr.final_lr = tr.lr[#tr.lr]
  return tr
end

-- Claims, decided on the means over seeds and reported per seed (sweep.seed_claim):
--  * starts_converge: every start ends within 2 % (relative) of the others.  The paper's
--    point is that gradient descent on lr finds the same value from both sides; 2 % is
--    about the step the last outer updates still make.
--  * learned_lr_near_paper: the mean final lr lies within 10 % of the paper's ~0.62 (read
--    off the notebook's figure; the PyTorch peer gets 0.624 / 0.620): "about" 0.62.
local function claims_of(trials)
  local per_seed = sweep.by_seed(trials, function(tr) return "lr0=" .. tr.init_lr, tr.final_lr end)
  local function finals(v)
    local xs = {}
    for _, lr0 in ipairs(lr0s) do xs[#xs + 1] = v["lr0=" .. lr0] end
    return xs
  end
  return {
    starts_converge = sweep.seed_claim{
      criterion = "the final lrs of all starts lie within 2 % (relative) of each other",
      per_seed = per_seed,
      test = function(v)
        local xs = finals(v)
        local lo, hi = math.min(table.unpack(xs)), math.max(table.unpack(xs))
        local parts = {}
        for i, lr0 in ipairs(lr0s) do parts[i] = ("%.4f from %g"):format(xs[i], lr0) end
        return hi <= lo * 1.02, "final lr " .. table.concat(parts, ", ")
      end},
    learned_lr_near_paper = sweep.seed_claim{
      criterion = "the mean final lr lies within 10 % of the paper's ~0.62",
      per_seed = per_seed,
      test = function(v)
        local m = util.mean(finals(v))
        return math.abs(m - 0.62) <= 0.062, ("mean final lr %.4f (paper ~0.62)"):format(m)
      end},
  }
end

-- the paper's figure: meta-loss, final inner loss and the learned lr per outer step, each
-- start's mean over seeds with a ±1 sd band
local function draw(trials, n_seeds)
  local fig = plot.figure{layout = "1x3", size = {1600, 520},
                          title = ("Meta-learning the SGD learning rate (%d inner steps, %s)"):format(cfg.inner,
                            n_seeds > 1 and ("mean ± sd of %d seeds"):format(n_seeds) or "1 seed")}
  local function series(key, with_init)
    local out = {}
    for _, lr0 in ipairs(lr0s) do
      local curves = {}
      for _, tr in ipairs(trials) do
        if tr.init_lr == lr0 then
          local c = {}
          if with_init then c[1] = lr0 end
          for _, v in ipairs(tr[key]) do c[#c + 1] = v end
          curves[#curves + 1] = c
        end
      end
      if #curves > 0 then
        local st = util.curve_stats(curves)
        local x = {}
        for k = 1, #st.mean do x[k] = with_init and k - 1 or k end
        out[#out + 1] = {x = x, y = st.mean, band = st.lo and {st.lo, st.hi}, name = ("lr0 = %g"):format(lr0)}
      end
    end
    return out
  end
  fig:panel{title = "meta-loss (mean inner loss)", xlabel = "outer step", ylabel = "loss", series = series("meta_loss")}
  fig:panel{title = "final inner training loss", xlabel = "outer step", ylabel = "loss",
            series = series("final_inner_loss")}
  fig:panel{title = "learned learning rate", xlabel = "outer step", ylabel = "lr", series = series("lr", true),
            hlines = {{y = 0.62, name = "paper ~0.62"}}}
  fig:save(cfg.figure, {pdf = true})
  fig:close()
  print("wrote " .. cfg.figure)
end

-- The finished runs (one trial each) into the results: trials, timing, claims, figure.
local function merge(done)
  local trials, steps, seconds, cpu_seconds, peak, n_seeds, seen = {}, {}, 0, 0, 0, 0, {}
  for _, d in ipairs(done) do
    local tr = d.result
    trials[#trials + 1] = tr
    for _, t in ipairs(tr.outer_seconds) do steps[#steps + 1] = t end
    seconds, cpu_seconds = seconds + d.seconds, cpu_seconds + d.cpu_seconds
    peak = math.max(peak, tr.peak_rss_mb)
    if not seen[tr.seed] then seen[tr.seed] = true; n_seeds = n_seeds + 1 end
  end
  table.sort(steps)
  local median_step = steps[(#steps + 1) // 2]
  local learned = {}
  for i, tr in ipairs(trials) do learned[i] = ("%.4f (from %g, seed %d)"):format(tr.final_lr, tr.init_lr, tr.seed) end
  print(("\nlearned lr: %s  (paper ~0.62; PyTorch peer 0.624 / 0.620)"):format(table.concat(learned, ", ")))
  if median_step then
    print(("runs %.2f s (cpu %.2f s), %.1f ms per outer step (median; %d inner steps), peak RSS %.0f MB"):format(
      seconds, cpu_seconds, 1000 * median_step, cfg.inner, peak))
    draw(trials, n_seeds)
  end
  return {
    experiment = "metalearn_lr", threads = cfg.threads, seeds = n_seeds, trials = trials, seconds = seconds,
    cpu_seconds = cpu_seconds,
    seconds_per_outer_step = median_step, seconds_per_outer_step_min = steps[1], peak_rss_mb = peak,
    paper_lr = 0.62, claims = claims_of(trials),
  }
end

sweep.main{
  name = "metalearn_lr", argv = arg, options = OPTIONS,
  usage = "metalearn_lr.lua: meta-learn the SGD learning rate through unrolled inner training, one run per start and seed",
  configure = configure,
  runs = function(c)
    local runs = {}
    for k = 0, c.seeds - 1 do
      for _, lr0 in ipairs(lr0s) do
        runs[#runs + 1] = {key = ("lr0=%g,seed=%d"):format(lr0, c.seed + k), lr0 = lr0, seed = c.seed + k,
                           inner = c.inner, batch = c.batch, outer = c.outer, meta_lr = c.meta_lr, dtype = c.dtype,
                           checkpoint = c.checkpoint}
      end
    end
    return runs
  end,
  run = function(r)
    m1d.set_num_threads(cfg.threads)
    data = data or m1d.mnist1d.frozen{dtype = cfg.dtype}     -- the paper's 4000/1000 split
    local tr = run_trial(r.lr0, r.seed)
    tr.peak_rss_mb = m1d.peak_rss_mb()
    return tr
  end,
  merge = function(done) return merge(done) end,
}
