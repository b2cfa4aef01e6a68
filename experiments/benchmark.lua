-- experiments/benchmark.lua — the paper's model benchmark and spatial-prior ablation.
--
-- Question: how well do a linear model, an MLP, a CNN and a GRU classify MNIST-1D,
-- and how much of that rests on spatial structure?  Expect (paper, Table 1):
-- logistic 32% / MLP 68% / CNN 94% / GRU 91% test accuracy; with the 40 positions
-- shuffled by one fixed permutation: 32 / 68 / 56 / 57.  Human: 96%.
--
--   ./m1d experiments/benchmark.lua [--seeds 3] [--quick] [--out results/benchmark.json]
local m1d = require "m1d"
local nn, train, util, plot = m1d.nn, m1d.train, m1d.util, m1d.plot

local cfg = util.parse_args(arg, {
  {"seeds", 1, "independent seeds per model and dataset (the table shows mean ± sd)", min = 1},
  {"seed", 0, "the first seed; seeds are seed, seed+1, ..."},
  {"steps", 6000, "Adam steps per run", min = 1},
  {"batch", 100, "minibatch size", min = 1},
  {"lr", 1e-2, "Adam learning rate"},
  {"eval_every", 250, "evaluate train and test accuracy every N steps", min = 1},
  {"models", "logistic,mlp,cnn,gru", "models to train, comma-separated (names in m1d.nn.models)"},
  {"quick", false, "a smoke test: 200 steps, evaluated every 100"},
  {"out", "results/benchmark.json", "results file (JSON)"},
  {"figure", "", "figure file (default: --out with .png; a .pdf beside it)"},
  {"threads", 1, "OpenBLAS threads", min = 1},
  {"progress", true, "a live progress line per run on a terminal"},
}, "benchmark.lua: the paper's logistic/MLP/CNN/GRU benchmark on normal and shuffled MNIST-1D")
if cfg.quick then cfg.steps, cfg.eval_every = 200, 100 end
if cfg.figure == "" then cfg.figure = cfg.out:gsub("%.json$", "") .. ".png" end
m1d.set_num_threads(cfg.threads)

local PAPER = {normal = {logistic = 32, mlp = 68, cnn = 94, gru = 91},
               shuffled = {logistic = 32, mlp = 68, cnn = 56, gru = 57}, human = 96}

local data = {normal = m1d.mnist1d.frozen()}
data.shuffled = data.normal:spatial_shuffle(42)      -- one fixed permutation of the 40 positions

local models = {}
for name in cfg.models:gmatch("[^,]+") do
  if not nn.models[name] then error(("unknown model '%s' (logistic, mlp, cnn, gru)"):format(name), 0) end
  models[#models + 1] = name
end

local runs, t_all = {}, m1d.clock()
for s = 0, cfg.seeds - 1 do
  local seed = cfg.seed + s
  for _, kind in ipairs{"normal", "shuffled"} do
    for _, name in ipairs(models) do
      m1d.manual_seed(seed)
      local model = nn.models[name]()
      local r = train.fit{model = model, data = data[kind], steps = cfg.steps, batch = cfg.batch, lr = cfg.lr,
                          eval_every = cfg.eval_every, label = ("%s/%s"):format(name, kind),
                          progress = cfg.progress}
      print(("%-8s %-8s seed %d  test %5.1f%%  train %5.1f%%  %.3f ms/step  %.1f s"):format(
        name, kind, seed, r.final_test_acc, r.final_train_acc, r.ms_per_step, r.seconds))
      runs[#runs + 1] = {model = name, data = kind, seed = seed, test_acc = r.final_test_acc,
                         train_acc = r.final_train_acc, steps = cfg.steps, seconds = r.seconds,
                         ms_per_step = r.ms_per_step, params = model:n_params(),
                         curves = {step = r.steps, train_acc = r.train_acc, test_acc = r.test_acc,
                                   test_loss = r.test_loss, train_loss = r.train_loss}}
    end
  end
end

-- the table, beside the paper's
local function summary(name, kind)
  local accs = {}
  for _, r in ipairs(runs) do if r.model == name and r.data == kind then accs[#accs + 1] = r.test_acc end end
  return util.mean(accs), util.sd(accs)
end
print(("\nTest accuracy (%%), %d seed(s), %d steps — m1d vs the paper"):format(cfg.seeds, cfg.steps))
print(("%-9s %16s %6s %18s %6s"):format("model", "normal", "paper", "shuffled", "paper"))
local table_rows = {}
for _, name in ipairs(models) do
  local mn, sn = summary(name, "normal")
  local ms, ss = summary(name, "shuffled")
  -- with one seed there is no spread to show: "68.0", not "68.0 ± 0.0"
  local function cell(m, sd, w) return cfg.seeds > 1 and ("%" .. w .. ".1f ± %4.1f"):format(m, sd) or ("%" .. (w + 7) .. ".1f"):format(m) end
  print(("%-9s %s %6d %s %6d"):format(name, cell(mn, sn, 9), PAPER.normal[name], cell(ms, ss, 11), PAPER.shuffled[name]))
  table_rows[#table_rows + 1] = {model = name, normal_mean = mn, normal_sd = sn, shuffled_mean = ms, shuffled_sd = ss,
                                 paper_normal = PAPER.normal[name], paper_shuffled = PAPER.shuffled[name]}
end
print(("%-9s %16s %6d"):format("human", "", PAPER.human))
local seconds = m1d.clock() - t_all
print(("total %.1f s"):format(seconds))

util.write_json(cfg.out, {
  experiment = "benchmark", version = m1d.version, args = cfg, threads = m1d.get_num_threads(),
  seconds = seconds, runs = runs, summary = table_rows, paper = PAPER,
})
print("wrote " .. cfg.out)

-- the paper-style figure: accuracy against step (mean over seeds, band ±1 sd with more
-- than one), solid normal, dashed shuffled, the human baseline
local colors = {logistic = "#1f77b4", mlp = "#ff7f0e", cnn = "#2ca02c", gru = "#d62728"}
local fig = plot.figure{layout = "1x2", size = {1300, 640},
                        title = ("MNIST-1D benchmark, %s (dashed: shuffled)"):format(
                          cfg.seeds > 1 and ("mean ± sd of %d seeds"):format(cfg.seeds) or "1 seed")}
for _, which in ipairs{"train_acc", "test_acc"} do
  local series = {}
  for _, kind in ipairs{"normal", "shuffled"} do
    for _, name in ipairs(models) do
      local curves, steps = {}, nil
      for _, r in ipairs(runs) do
        if r.model == name and r.data == kind then curves[#curves + 1] = r.curves[which]; steps = r.curves.step end
      end
      local st = util.curve_stats(curves)
      series[#series + 1] = {x = steps, y = st.mean, band = st.lo and {st.lo, st.hi}, color = colors[name],
                             dash = kind == "shuffled", name = kind == "normal" and name or nil}
    end
  end
  fig:panel{title = which == "train_acc" and "train accuracy" or "test accuracy", xlabel = "step",
            ylabel = "accuracy (%)", yrange = {0, 100}, series = series,
            hlines = {{y = PAPER.human, name = "human"}}}
end
fig:save(cfg.figure, {pdf = true})
fig:close()
print("wrote " .. cfg.figure)
