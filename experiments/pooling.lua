-- experiments/pooling.lua — does pooling help a small conv net, and when?
--
-- Question (paper, "benchmark-pooling"): two conv layers (1→20→20 channels, k3 p1), each
-- followed by no pooling, stride 2, max pool 2, average pool 2 or L2 pool 2, then ReLU
-- and a linear layer; trained 6000 Adam steps (lr 1e-2, batch 100) on MNIST-1D sets of
-- 2,000 .. 51,000 samples, always 1,000 of them test.  Expect: pooling helps in the
-- low-data regime and the advantage shrinks as the training set grows.
--
--   ./m1d experiments/pooling.lua [--quick] [--list | --run N | --merge ...]   (m1d.sweep)
local m1d = require "m1d"
local nn, train, util, plot, sweep = m1d.nn, m1d.train, m1d.util, m1d.plot, m1d.sweep

local KINDS = {"no_pool", "stride_2", "max_pool", "avg_pool", "l2_pool"}
local POOLED = {max_pool = true, avg_pool = true, l2_pool = true}

-- The notebook's ConvPool: pool(relu(conv(x))) twice, then Linear.
local function conv_pool(kind, channels)
  channels = channels or 20
  local stride = kind == "stride_2" and 2 or 1
  local pool
  if kind == "max_pool" then pool = nn.MaxPool1d(2)
  elseif kind == "avg_pool" then pool = nn.AvgPool1d(2)
  elseif kind == "l2_pool" then pool = nn.LPPool1d(2, 2)
  elseif kind ~= "no_pool" and kind ~= "stride_2" then error("unknown pooling kind " .. kind, 2) end
  local linear_in = channels * (kind == "no_pool" and 40 or 10)
  return nn.Module{
    _name = kind, _order = {"c1", "c2", "fc"},
    c1 = nn.Conv1d(1, channels, 3, {stride = stride, padding = 1}),
    c2 = nn.Conv1d(channels, channels, 3, {stride = stride, padding = 1}),
    fc = nn.Linear(linear_in, 10),
    forward = function(self, x)
      local h = x:reshape(x:size(1), 1, -1)
      h = self.c1(h):relu()
      if pool then h = pool(h) end
      h = self.c2(h):relu()
      if pool then h = pool(h) end
      return self.fc(h:flatten(2))
    end,
  }
end

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
    for n in cfg.sizes:gmatch("%d+") do
      for kind in cfg.models:gmatch("[^,]+") do
        runs[#runs + 1] = {key = ("n=%s,model=%s"):format(n, kind), n = tonumber(n), model = kind,
                           steps = cfg.steps, lr = cfg.lr, batch = cfg.batch, eval_every = cfg.eval_every,
                           test = cfg.test, seed = 0}
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
    local at, sizes, kinds = {}, {}, {}
    for _, d in ipairs(done) do
      local n = math.tointeger(d.params.n)
      if not at[n] then at[n] = {}; sizes[#sizes + 1] = n end
      at[n][d.params.model] = d.result
    end
    table.sort(sizes)
    for k in cfg.models:gmatch("[^,]+") do kinds[#kinds + 1] = k end
    -- table: tail test accuracy per regime and model, and pooling's advantage
    local rows, summary, adv = {}, {}, {}
    for _, n in ipairs(sizes) do
      local row, pooled = {n - cfg.test}, {}
      for j, k in ipairs(kinds) do
        local r = at[n][k]
        row[j + 1] = r and r.tail_test_acc
        if r and POOLED[k] then pooled[#pooled + 1] = r.tail_test_acc end
      end
      local np = at[n].no_pool
      if np and #pooled > 0 then adv[n] = util.mean(pooled) - np.tail_test_acc end
      row[#kinds + 2] = adv[n]
      rows[#rows + 1] = row
      summary[#summary + 1] = {n = n, n_train = n - cfg.test, pool_advantage = adv[n]}
      for _, k in ipairs(kinds) do if at[n][k] then summary[#summary][k] = at[n][k].tail_test_acc end end
    end
    local header = {"n_train"}
    for _, k in ipairs(kinds) do header[#header + 1] = k end
    header[#header + 1] = "pool-adv"
    print(("\nTest accuracy (%%, mean of the last 5 evaluations), %d steps"):format(cfg.steps))
    sweep.print_table(header, rows)

    local claims = {}
    local lo, hi = sizes[1], sizes[#sizes]
    if lo and adv[lo] then
      claims.pooling_helps_low_data = sweep.claim(adv[lo] > 0,
        "n_train %d: mean(max, avg, L2 pool) %.1f%% vs no pooling %.1f%% (advantage %+.1f points)",
        lo - cfg.test, at[lo].no_pool.tail_test_acc + adv[lo], at[lo].no_pool.tail_test_acc, adv[lo])
    else
      claims.pooling_helps_low_data = sweep.unmeasured("no complete regime")
    end
    if lo and hi and lo ~= hi and adv[lo] and adv[hi] then
      claims.advantage_shrinks = sweep.claim(adv[hi] < adv[lo],
        "pooling advantage %+.1f points at n_train %d, %+.1f at n_train %d", adv[lo], lo - cfg.test, adv[hi], hi - cfg.test)
    else
      claims.advantage_shrinks = sweep.unmeasured("needs the smallest and largest regime")
    end

    -- figure: smoothed test-accuracy curves, one panel per regime
    local ncol = math.min(3, math.max(1, #sizes))
    local nrow = math.max(1, math.ceil(#sizes / ncol))
    local fig = plot.figure{layout = ("%dx%d"):format(nrow, ncol), size = {520 * ncol, 400 * nrow},
                            title = ("Pooling vs training-set size (%d steps; test accuracy, smoothed over %d evaluations)")
                                    :format(cfg.steps, cfg.smooth)}
    for _, n in ipairs(sizes) do
      local series = {}
      for j, k in ipairs(kinds) do
        local r = at[n][k]
        if r then
          series[#series + 1] = {x = r.curves.step, y = sweep.smooth(r.curves.test_acc, cfg.smooth), name = k,
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
