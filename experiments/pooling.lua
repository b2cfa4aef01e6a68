-- experiments/pooling.lua — does pooling help a small conv net, and when?
--
-- Question (paper, "benchmark-pooling"): two conv layers (1→20→20 channels, k3 p1), each
-- followed by no pooling, stride 2, max pool 2, average pool 2 or L2 pool 2, then ReLU
-- and a linear layer; trained 6000 Adam steps (lr 1e-2, batch 100) on MNIST-1D sets of
-- 2,000 .. 51,000 samples, always 1,000 of them test.  Expect: pooling helps in the
-- low-data regime and the advantage shrinks as the training set grows.
--
-- Claims, decided on the means over seeds (--seeds) and reported per seed: the pooled
-- models (max, avg, L2) beat no pooling by >= 3 points at the smallest training set, and
-- that advantage is >= 3 points smaller at the largest.  3 points: at 1,000 training
-- examples a model's tail test accuracy (mean of the last 5 evaluations) has a seed sd of
-- 0.6-2.4 points with pooling and 4.7 without (3 seeds, measured), so the advantage's sd
-- over single seeds is ~5 points and that of a 3-seed mean ~3: one standard error, far
-- below the measured 17 points (mean of 3 seeds); at 50,000 examples every sd is <= 0.4.
--
--   ./m1d experiments/pooling.lua [--quick] [--seeds 3] [--list | --run N | --merge ...]   (m1d.sweep)
local m1d = require "m1d"
local nn, train, util, plot, sweep = m1d.nn, m1d.train, m1d.util, m1d.plot, m1d.sweep

local KINDS = nn.models.POOL_KINDS
local POOLED = {max_pool = true, avg_pool = true, l2_pool = true}

local conv_pool = nn.models.conv_pool   -- the notebook's ConvPool

local function last_mean(xs, k)
  local s, n = 0, 0
  for i = math.max(1, #xs - k + 1), #xs do s = s + xs[i]; n = n + 1 end
  return s / n
end

sweep.main{
  name = "pooling", argv = arg,
  usage = "pooling.lua: conv nets with/without pooling against training-set size",
  options = {
    {"steps", 6000, "Adam steps per run", min = 1},
    {"lr", 1e-2, "Adam learning rate"},
    {"batch", 100, "minibatch size", min = 1},
    {"eval_every", 100, "evaluate every N steps", min = 1},
    {"sizes", "2000,3000,6000,11000,21000,51000", "dataset sizes (train + test), comma-separated"},
    {"test", 1000, "test examples taken from each dataset"},
    {"models", table.concat(KINDS, ","), "pooling kinds, comma-separated"},
    {"smooth", 5, "the figure smooths test accuracy over N evaluations"},
    {"seeds", 1, "seeds per model and size (tables and curves: mean over seeds, bands: ±1 sd)", min = 1},
    {"seed", 0, "the first seed (the notebook seeds each model with 0)"},
    {"quick", false, "a smoke test: 300 steps, sizes 2000 and 3000 (--out *_quick.json)"},
    {"progress", false, "a live progress line per run"},
  },
  configure = function(cfg)
    if cfg.quick then
      cfg.steps, cfg.eval_every, cfg.sizes = 300, 50, "2000,3000"
      if cfg.out == "results/pooling.json" then cfg.out = "results/pooling_quick.json" end
    end
  end,

  runs = function(cfg)
    local runs = {}
    for s = 0, cfg.seeds - 1 do
      for n in cfg.sizes:gmatch("%d+") do
        for kind in cfg.models:gmatch("[^,]+") do
          runs[#runs + 1] = {key = ("n=%s,model=%s,seed=%d"):format(n, kind, cfg.seed + s), n = tonumber(n),
                             model = kind, steps = cfg.steps, lr = cfg.lr, batch = cfg.batch,
                             eval_every = cfg.eval_every, test = cfg.test, seed = cfg.seed + s}
        end
      end
    end
    return runs
  end,

  run = function(r, cfg)
    local data = m1d.mnist1d.dataset{num_samples = r.n, train_split = 1 - r.test / r.n}
    m1d.manual_seed(r.seed)                       -- the notebook seeds 0 in each model's constructor
    local model = conv_pool(r.model)
    local res = train.fit{model = model, data = data, steps = r.steps, batch = r.batch, lr = r.lr,
                          eval_every = r.eval_every, label = r.key, progress = cfg.progress}
    print(("n_train %-6d %-9s test %5.1f%% (last-5 mean %5.1f%%)  train %5.1f%%  %.2f ms/step  %.1f s")
      :format(data.x:size(1), r.model, res.final_test_acc, last_mean(res.test_acc, 5), res.final_train_acc,
              res.ms_per_step, res.seconds))
    return {n_train = data.x:size(1), n_test = data.x_test:size(1), params = model:n_params(),
            final_test_acc = res.final_test_acc, final_train_acc = res.final_train_acc,
            tail_test_acc = last_mean(res.test_acc, 5), max_test_acc = math.max(table.unpack(res.test_acc)),
            seconds = res.seconds, train_seconds = res.train_seconds, ms_per_step = res.ms_per_step,
            curves = {step = res.steps, test_acc = res.test_acc, train_acc = res.train_acc, test_loss = res.test_loss}}
  end,

  merge = function(done, cfg, ctx)
    local at, sizes, kinds = {}, {}, {}         -- at[n][kind] = {result per seed}
    for _, d in ipairs(done) do
      local n, p = math.tointeger(d.params.n), d.params
      if not at[n] then at[n] = {}; sizes[#sizes + 1] = n end
      at[n][p.model] = at[n][p.model] or {}
      table.insert(at[n][p.model], d.result)
    end
    -- per_seed[i]["n/kind"] = tail test accuracy
    local per_seed = sweep.by_seed(done, function(d)
      return math.tointeger(d.params.n) .. "/" .. d.params.model, d.result.tail_test_acc
    end)
    table.sort(sizes)
    for k in cfg.models:gmatch("[^,]+") do kinds[#kinds + 1] = k end
    local function tail(n, k)                    -- tail test accuracy: mean and sd over seeds
      local rs = at[n][k]
      if not rs then return nil end
      local xs = {}
      for i, r in ipairs(rs) do xs[i] = r.tail_test_acc end
      return util.mean(xs), util.sd(xs)
    end
    -- pooling's advantage: mean of the pooled models minus no pooling, from one seed's values
    local function advantage(v, n)
      local pooled = {}
      for _, k in ipairs(kinds) do
        if POOLED[k] and v[n .. "/" .. k] then pooled[#pooled + 1] = v[n .. "/" .. k] end
      end
      if #pooled == 0 or not v[n .. "/no_pool"] then return nil end
      return util.mean(pooled) - v[n .. "/no_pool"]
    end
    -- table: tail test accuracy per regime and model (mean ± sd over seeds), and pooling's advantage
    local rows, summary, means = {}, {}, {}
    for _, n in ipairs(sizes) do
      local row, entry = {n - cfg.test}, {n = n, n_train = n - cfg.test}
      for j, k in ipairs(kinds) do
        local mu, sd = tail(n, k)
        means[n .. "/" .. k], entry[k], entry[k .. "_sd"] = mu, mu, sd
        row[j + 1] = mu and (cfg.seeds > 1 and ("%.1f ± %.1f"):format(mu, sd) or mu)
      end
      entry.pool_advantage = advantage(means, n)
      row[#kinds + 2] = entry.pool_advantage
      rows[#rows + 1], summary[#summary + 1] = row, entry
    end
    local header = {"n_train"}
    for _, k in ipairs(kinds) do header[#header + 1] = k end
    header[#header + 1] = "pool-adv"
    print(("\nTest accuracy (%%, mean of the last 5 evaluations), %d steps, %s"):format(cfg.steps,
          cfg.seeds > 1 and ("mean ± sd of %d seeds"):format(cfg.seeds) or "1 seed"))
    sweep.print_table(header, rows)

    -- claims over seeds (tolerances: see the header)
    local claims = {}
    local lo, hi = sizes[1], sizes[#sizes]
    local function keys_of(ns)                   -- the regimes' kinds that have runs
      local keys = {}
      for _, n in ipairs(ns) do for _, k in ipairs(kinds) do if at[n][k] then keys[#keys + 1] = n .. "/" .. k end end end
      return keys
    end
    if lo then
      claims.pooling_helps_low_data = sweep.seed_claim{
        criterion = "at the smallest training set, the pooled models beat no pooling by >= 3 points on average",
        per_seed = per_seed, keys = keys_of{lo},
        test = function(v)
          local adv = advantage(v, lo)
          if not adv then return false, "no pooled or no_pool run" end
          return adv >= 3, ("n_train %d: mean(max, avg, L2 pool) %.1f%% vs no pooling %.1f%% (advantage %+.1f points)")
            :format(lo - cfg.test, v[lo .. "/no_pool"] + adv, v[lo .. "/no_pool"], adv)
        end}
    else
      claims.pooling_helps_low_data = sweep.unmeasured("no complete regime")
    end
    if lo and hi and lo ~= hi then
      claims.advantage_shrinks = sweep.seed_claim{
        criterion = "pooling's advantage at the largest training set is >= 3 points below that at the smallest",
        per_seed = per_seed, keys = keys_of{lo, hi},
        test = function(v)
          local a, b = advantage(v, lo), advantage(v, hi)
          if not (a and b) then return false, "no pooled or no_pool run" end
          return b <= a - 3, ("pooling advantage %+.1f points at n_train %d, %+.1f at n_train %d")
            :format(a, lo - cfg.test, b, hi - cfg.test)
        end}
    else
      claims.advantage_shrinks = sweep.unmeasured("needs the smallest and largest regime")
    end

    -- figure: smoothed test-accuracy curves, one panel per regime
    local ncol = math.min(3, math.max(1, #sizes))
    local nrow = math.max(1, math.ceil(#sizes / ncol))
    local fig = plot.figure{layout = ("%dx%d"):format(nrow, ncol), size = {520 * ncol, 400 * nrow},
                            title = ("Pooling vs training-set size (%d steps; test accuracy, smoothed over %d evaluations; %s)")
                                    :format(cfg.steps, cfg.smooth, cfg.seeds > 1 and ("mean ± sd of %d seeds"):format(cfg.seeds)
                                            or "1 seed")}
    for _, n in ipairs(sizes) do
      local series = {}
      for j, k in ipairs(kinds) do
        local rs = at[n][k]
        if rs then
          local curves = {}
          for i, r in ipairs(rs) do curves[i] = sweep.smooth(r.curves.test_acc, cfg.smooth) end
          local st = util.curve_stats(curves)
          series[#series + 1] = {x = rs[1].curves.step, y = st.mean, band = st.lo and {st.lo, st.hi}, name = k,
                                 color = plot.colors[j]}
        end
      end
      fig:panel{title = ("%d training examples"):format(n - cfg.test), xlabel = "step", ylabel = "test accuracy (%)",
                series = series, yrange = {40, 100}}
    end
    if #sizes == 0 then fig:panel{title = "no runs finished yet", hlines = {{y = 0}}} end
    fig:save(cfg.figure, {pdf = true})
    fig:close()
    print("wrote " .. cfg.figure)
    return {summary = summary, claims = claims, figure = cfg.figure, runs = done}
  end,
}
