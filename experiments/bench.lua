-- experiments/bench.lua — how fast is one training step, and how close to the limits?
-- Per-step median (after warm-up) of a batch-100 training step (forward, cross-entropy,
-- backward, Adam) for the paper's logistic, MLP, CNN and GRU models, the GRU baseline with
-- an LSTM in its place (section lstm: nn.models.lstm), and the lottery MLP
-- (40-500-500-10); the lottery step's GFLOP/s against raw cblas_sgemm on the same GEMM
-- shapes in the same run; ops/s of a tiny add from Lua; storage mallocs per step in
-- steady state; peak RSS; and an outer step of each meta-learning experiment (run as the
-- experiment scripts themselves, in a child process); and the unrolled meta-gradient step
-- of the MLP, CNN and GRU (sections meta_mlp, meta_cnn, meta_gru; defined below, run
-- identically by peer/meta_peer.py), the MLP's and CNN's against raw sgemm on the GEMMs an
-- unrolled step must do (meta_step_gemms); and the pixel-space baselines (section baselines:
-- 10-NN and the standardised logistic-regression probe on the frozen data, as
-- peer/baselines_peer.py runs them in scikit-learn); and section tsne: m1d.tsne of the
-- 5,000 frozen signals with scikit-learn's TSNE defaults (perplexity 30, PCA init,
-- Barnes-Hut angle 0.5, 1000 iterations; peer/tsne_peer.py runs it beside sklearn).
-- Prints a table and writes results/bench.json.
--   ./m1d experiments/bench.lua [--quick] [--only logistic,mlp,metalearn,meta_gru] [--out FILE]
--        [--meta_k 30] [--meta_lr 0.1] [--meta_reps N] [--dtype float32|float64] [--meta_init DIR]
-- (--meta_* and --dtype apply to the meta sections only; --meta_init starts from the
-- parameters in DIR/NAME/p1.npy .. pN.npy, as meta_peer.py --save writes them, so that both
-- sides' meta-gradients can be compared; tests/lua/meta_bench_test.lua does, in float64,
-- and checks against a finite difference.)
-- Expect the small models to be bound by per-op overhead and the lottery MLP by GEMM.
local m1d = require "m1d"
local nn, optim, util = m1d.nn, m1d.optim, m1d.util

local SECTIONS = {"logistic", "mlp", "cnn", "gru", "lstm", "lottery", "metalearn", "meta_mlp", "meta_cnn", "meta_gru",
                  "baselines", "pooling", "tsne", "transformer", "mlp_bn"}
local cfg = util.parse_args(arg, {
  {"quick", false, "short runs (the tests use it)"},
  {"only", "", "sections, comma-separated: " .. table.concat(SECTIONS, ",") ..
                " (default: all; the tiny-add timing always runs)"},
  {"out", "results/bench.json", "results file (JSON)"},
  {"meta_k", 30, "inner steps of an unrolled meta-step", min = 1},
  {"meta_lr", 0.1, "the inner SGD learning rate of the meta sections"},
  {"meta_reps", nil, "timed meta-steps per section (default: 15 / 7 / 3 for MLP / CNN / GRU)", type = "integer",
   min = 1},
  {"dtype", "float32", "precision of the meta sections", choices = {"float32", "float64"}},
  {"meta_init", nil, "start the meta sections from DIR/NAME/p1.npy .. (as meta_peer.py --save writes)",
   type = "string"},
}, "bench.lua: m1d's step times, GEMM efficiency, tiny-op cost, allocations and memory")
cfg.seed, cfg.batch, cfg.lr, cfg.warmup, cfg.tiny_ops = 0, 100, 1e-2, 50, 200000
cfg.steps = {logistic = 2000, mlp = 2000, cnn = 1000, gru = 200, lstm = 200, lottery = 300, transformer = 100,
             mlp_bn = 1000}
for _, kind in ipairs(nn.models.POOL_KINDS) do cfg.steps[kind] = 500 end   -- section pooling
local only
if cfg.only ~= "" then
  only = {}
  local known = {}
  for _, n in ipairs(SECTIONS) do known[n] = true end
  for n in cfg.only:gmatch("[^,]+") do
    if not known[n] then error(("bench.lua: --only: unknown section '%s' (see --help)"):format(n), 0) end
    only[n] = true
  end
end
if cfg.quick then
  for k, v in pairs(cfg.steps) do cfg.steps[k] = math.max(5, v // 20) end
  cfg.warmup, cfg.tiny_ops = 5, 20000
  cfg.meta_k, cfg.meta_reps = math.min(cfg.meta_k, 3), cfg.meta_reps or 1
end

local clock = m1d.clock or os.clock
local data = m1d.mnist1d.frozen()

local function median(t)
  local s = {}
  for k, v in ipairs(t) do s[k] = v end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end

local function lottery_mlp()
  local m = nn.Sequential(nn.Linear(40, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 10))
  m._name = "lottery"
  return m
end

-- sections transformer and mlp_bn: the extended benchmark's models (nn.models.transformer,
-- 2 encoder layers of width 32 over the 40 positions; nn.models.mlp_bn)
local builders = {logistic = nn.models.logistic, mlp = nn.models.mlp, cnn = nn.models.cnn,
                  gru = nn.models.gru, lstm = nn.models.lstm, lottery = lottery_mlp,
                  transformer = nn.models.transformer, mlp_bn = nn.models.mlp_bn}
local order = {"logistic", "mlp", "cnn", "gru", "lstm", "lottery", "transformer", "mlp_bn"}
-- section pooling: the pooling study's five models (nn.models.conv_pool)
for _, kind in ipairs(nn.models.POOL_KINDS) do
  builders[kind] = function() return nn.models.conv_pool(kind) end
  order[#order + 1] = kind
end
local section_of = {}
for _, kind in ipairs(nn.models.POOL_KINDS) do section_of[kind] = "pooling" end

-- Median ms per training step, storage mallocs per step, and the last loss (determinism).
local function time_steps(name)
  m1d.manual_seed(cfg.seed)
  local model = builders[name]()
  local opt = optim.Adam(model:parameters(), {lr = cfg.lr})
  local B, n = cfg.batch, data.x:size(1)
  local loss
  local function step(s)
    local st = (s * B) % n
    local x, y = data.x:narrow(1, st + 1, B), data.y:narrow(1, st + 1, B)
    loss = nn.cross_entropy(model(x), y)
    opt:zero_grad(); loss:backward(); opt:step()
  end
  -- Timed: after a short warm-up, as the PyTorch peer (50 steps, then its timed ones), so
  -- both measure the same phase of training.  Later phases can be slower for reasons of
  -- the CPU, not of either framework: once the MLP has fit its data, or from ~step 600 of
  -- the lottery MLP, Adam's state turns subnormal (see m1d.set_flush_denormal).
  for s = 0, cfg.warmup - 1 do step(s) end
  local times, steps = {}, cfg.steps[name]
  for s = 1, steps do times[s] = 0 end      -- allocated before: the Lua heap stays the size it was
  for s = 0, steps - 1 do
    local t0 = clock()
    step(cfg.warmup + s)
    times[s + 1] = (clock() - t0) * 1e3
  end
  -- System allocations per step in steady state: counted over as many steps again, once the
  -- collector has freed a few batches of garbage and the pools hold a steady population.
  local m0 = m1d.memstats().mallocs
  for s = 0, steps - 1 do step(cfg.warmup + steps + s) end
  local mallocs = (m1d.memstats().mallocs - m0) / steps
  return {ms = median(times), min_ms = math.min(table.unpack(times)), mallocs_per_step = mallocs,
          loss = loss:item(), steps = steps, params = model:n_params()}
end

-- The GEMMs of one training step: the machine's limit for a model is raw cblas_sgemm on
-- exactly these shapes.  A layer {rows, fin, fout} is a GEMM [rows, fin] x [fin, fout]
-- (Linear: rows = B; Conv1d as im2col: rows = B * L_out, fin = C_in * k); each gives a
-- forward, a weight-gradient and (but for the first layer: the data needs no gradient) an
-- input-gradient GEMM.  {m, n, k} for C[m,n] = A[m,k] B[k,n].
local function step_gemms(layers)
  local g = {}
  for l, d in ipairs(layers) do
    local rows, fin, fout = d[1], d[2], d[3]
    g[#g + 1] = {rows, fout, fin}                   -- forward
    g[#g + 1] = {fout, fin, rows}                   -- weight gradient
    if l > 1 then g[#g + 1] = {rows, fin, fout} end -- input gradient
  end
  return g
end
-- Per model, its layers at batch B ("of limit" in the table: sgemm time / step time; the
-- GRU is left out: its GEMMs are a 40-step recurrence
-- of [B, 6] x [6, 18] products, bound by the loops around them, not by sgemm).
local MODEL_LAYERS = {
  logistic = function(B) return {{B, 40, 10}} end,
  mlp = function(B) return {{B, 40, 100}, {B, 100, 100}, {B, 100, 10}} end,
  cnn = function(B) return {{B * 19, 5, 25}, {B * 10, 75, 25}, {B * 5, 75, 25}, {B, 125, 10}} end,
  lottery = function(B) return {{B, 40, 500}, {B, 500, 500}, {B, 500, 10}} end,
  -- the pooling study's ConvPool: conv k3 p1 (1 -> 20, 20 -> 20), a pool of 2 after each
  no_pool = function(B) return {{B * 40, 3, 20}, {B * 40, 60, 20}, {B, 800, 10}} end,
  stride_2 = function(B) return {{B * 20, 3, 20}, {B * 10, 60, 20}, {B, 200, 10}} end,
}
for _, kind in ipairs{"max_pool", "avg_pool", "l2_pool"} do
  MODEL_LAYERS[kind] = function(B) return {{B * 40, 3, 20}, {B * 20, 60, 20}, {B, 200, 10}} end
end
-- nn.models.transformer (width 32, 4 heads of 8, feed-forward 64, 2 layers) over B * 40
-- tokens: the token embedding, per layer q, k, v, the output projection and the two
-- feed-forward products, the head; and its batched attention products ({m, n, k, count}:
-- per layer and head q k^T and, backward, g v^T, [40, 40, 8]; a v and, backward, a^T g,
-- g k and g^T q, [40, 8, 40])
MODEL_LAYERS.transformer = function(B)
  local T, layers = B * 40, {{B * 40, 1, 32}}
  for _ = 1, 2 do
    for _ = 1, 4 do layers[#layers + 1] = {T, 32, 32} end
    layers[#layers + 1] = {T, 32, 64}
    layers[#layers + 1] = {T, 64, 32}
  end
  layers[#layers + 1] = {B, 32, 10}
  return layers
end
-- The GEMMs of one unrolled inner step of the meta sections (below): the forward and the
-- inner gradient (with create_graph) of every layer are recorded GEMMs, and the outer
-- backward differentiates each one with respect to both of its operands that need it (the
-- data x does not; the weights, activations and gradients do).  A layer other than the
-- first: forward, weight and input gradient (3), then 2 each in the outer backward (6);
-- the first layer: forward and weight gradient, then 1 each (4).  The shapes are the
-- layer's three GEMM shapes (step_gemms), each product's derivatives having the other two.
local function meta_step_gemms(layers)
  local g = {}
  for l, d in ipairs(layers) do
    local rows, fin, fout = d[1], d[2], d[3]
    local fwd, wgrad, igrad = {rows, fout, fin}, {fout, fin, rows}, {rows, fin, fout}
    if l == 1 then
      for _, s in ipairs{fwd, wgrad, wgrad, fwd} do g[#g + 1] = s end   -- x needs no gradient
    else
      for _, s in ipairs{fwd, wgrad, igrad, fwd, wgrad, igrad, fwd, wgrad, igrad} do g[#g + 1] = s end
    end
  end
  return g
end

local MODEL_BATCHED = {transformer = function(B) return {{40, 40, 8, 2 * 2 * 4 * B}, {40, 8, 40, 4 * 2 * 4 * B}} end}

local blas = m1d.blas_info()
local results = {models = {}, env = {
  openblas_threads = blas.threads, openblas_core = blas.core, openblas_core_chosen_by = blas.chosen_by,
  lua = _VERSION, quick = cfg.quick}}

for _, name in ipairs(order) do
  if not only or only[name] or only[section_of[name]] then
    results.models[name] = time_steps(name)
  end
end

-- each model's step against the machine's limit: raw sgemm on the step's GEMM shapes
for name, layers in pairs(MODEL_LAYERS) do
  local r = results.models[name]
  if r then
    local flop, sgemm_s = 0, 0
    local gemms = step_gemms(layers(cfg.batch))
    for _, g in ipairs(MODEL_BATCHED[name] and MODEL_BATCHED[name](cfg.batch) or {}) do gemms[#gemms + 1] = g end
    for _, g in ipairs(gemms) do
      local count = g[4] or 1
      flop = flop + 2 * g[1] * g[2] * g[3] * count
      sgemm_s = sgemm_s + count * m1d.core.bench_sgemm(g[1], g[2], g[3], cfg.quick and 20 or 200)
    end
    r.gemm_mflop = flop / 1e6
    r.gflops = flop / (r.ms * 1e-3) / 1e9
    r.sgemm_gflops = flop / sgemm_s / 1e9
    r.sgemm_ms = sgemm_s * 1e3
    r.fraction_of_sgemm = r.gflops / r.sgemm_gflops   -- = sgemm_ms / ms: 1 is the machine's limit
  end
end

do  -- tiny op from Lua: add of two 10-element tensors (result dropped, GC included)
  local a, b = m1d.rand(10), m1d.rand(10)
  for _ = 1, 1000 do local _ = a + b end
  local t0 = clock()
  for _ = 1, cfg.tiny_ops do local _ = a + b end
  local dt = clock() - t0
  results.tiny_add_us = dt / cfg.tiny_ops * 1e6
  results.tiny_add_ops_per_s = cfg.tiny_ops / dt
end
results.peak_rss_mb = m1d.peak_rss_mb and m1d.peak_rss_mb() or nil

-- ---------------------------------------------------------------- the unrolled meta-step
-- Defined identically in peer/meta_peer.py (PyTorch).  From the model's initial parameters
-- p (a list) and a learning rate lr (a 0-dim tensor requiring grad), K inner steps on the
-- frozen training set in order (batch t = rows t*B .. t*B+B-1, wrapping):
--   loss = cross_entropy(model:apply(p, x_t), y_t); g = grad(loss, p, create_graph)
--   p = {p[i] - lr * g[i]}
-- then meta = cross_entropy(model:apply(p, x_K), y_K) on the next batch, and grad(meta, lr).
-- Reported: the whole meta-step / K ("per inner step": forward, inner gradient and that
-- step's share of the outer backward), median over repeats that follow two untimed
-- meta-steps (K, then 2K inner steps, which measure memory); the user and system CPU time
-- per inner step of the timed repeats and of the first (cold) meta-step (/proc/self/stat,
-- as meta_peer.py reads it), and minor page faults per inner step; the peak RSS of the
-- meta-step of K and of 2K inner steps (the high-water mark is reset to the current RSS
-- before each, /proc/self/clear_refs), whose difference / K is the memory one unrolled
-- step costs.  The garbage collector runs as it does in a real loop (no collect between
-- timed repeats); a full collect precedes each memory measurement.
local meta_models = {"mlp", "cnn", "gru"}
local meta_reps = {mlp = 15, cnn = 7, gru = 3}   -- >= ~0.2 s of timed CPU each: /proc counts 10 ms ticks

local function proc_stat()   -- user and system CPU seconds and minor faults of this process
  local f = io.open("/proc/self/stat")
  if not f then return nil end
  local line = f:read("l"); f:close()
  local t = {}
  for w in line:match("%) (.*)$"):gmatch("%S+") do t[#t + 1] = w end
  -- fields 10, 14, 15 of proc(5), counted from the state (field 3)
  return {minflt = tonumber(t[8]), utime = tonumber(t[12]), stime = tonumber(t[13])}
end
local clk_tck = 100
do
  local p = io.popen("getconf CLK_TCK 2>/dev/null")
  if p then clk_tck = tonumber(p:read("a")) or clk_tck; p:close() end
end

local function reset_peak_rss()   -- VmHWM := VmRSS (Linux >= 4.0); false if not allowed
  local f = io.open("/proc/self/clear_refs", "w")
  if not f then return false end
  local ok = f:write("5"); f:close()
  return ok and true or false
end

local function meta_step(model, p0, lr, K, data_)
  local B, p = cfg.batch, p0
  for t = 0, K - 1 do
    local x, y = data_:batch(t * B + 1, B)
    local loss = nn.cross_entropy(model:apply(p, x), y)
    local g = m1d.grad(loss, p, {create_graph = true})
    local q = {}
    for j = 1, #p do q[j] = p[j] - lr * g[j] end
    p = q
  end
  local xv, yv = data_:batch(K * B + 1, B)
  local meta = nn.cross_entropy(model:apply(p, xv), yv)
  return m1d.grad(meta, lr), meta
end

local meta_data
local function time_meta(name)
  if not meta_data then
    meta_data = cfg.dtype == "float32" and data or m1d.mnist1d.frozen{dtype = cfg.dtype}
  end
  m1d.manual_seed(cfg.seed)
  local model = builders[name]()
  local p0 = model:parameters()
  if cfg.meta_init then
    for j, p in ipairs(p0) do
      local file = ("%s/%s/p%d.npy"):format(cfg.meta_init, name, j)
      local ok, v = pcall(m1d.load_npy, file)
      if not ok then error(("bench.lua: --meta_init: %s"):format(v), 0) end
      if v:numel() ~= p:numel() then
        error(("bench.lua: --meta_init: %s has %d elements, parameter %d of %s has %d"):format(
          file, v:numel(), j, name, p:numel()), 0)
      end
      p0[j] = v:reshape(p:size())
    end
  end
  for j, p in ipairs(p0) do
    p = p:detach()
    p0[j] = (cfg.dtype == "float64" and p:double() or p:float()):requires_grad()
  end
  local lr = m1d.tensor(cfg.meta_lr, cfg.dtype):requires_grad()
  local K, reps = cfg.meta_k, cfg.meta_reps or meta_reps[name]
  local res = {K = K, reps = reps, dtype = cfg.dtype, lr = cfg.meta_lr, params = model:n_params()}
  local d, meta
  -- Memory first, from a heap that has held no meta-step yet (later the allocator keeps
  -- freed memory resident, which would hide the K-step peak): one meta-step of K inner
  -- steps, which is also the warm-up and is the cold start's CPU split, then one of 2K.
  local function peak_of(k)
    d, meta = nil, nil
    collectgarbage("collect"); collectgarbage("collect")
    local ok = reset_peak_rss()
    local base = m1d.rss_mb()
    d, meta = meta_step(model, p0, lr, k, meta_data)
    return ok and m1d.peak_rss_mb() or nil, base
  end
  local c0 = proc_stat()
  local pk, base = peak_of(K)
  local c1 = proc_stat()
  local p2k = peak_of(2 * K)
  if pk and p2k then
    res.rss_base_mb, res.peak_rss_mb_K, res.peak_rss_mb_2K = base, pk, p2k
    res.rss_mb_per_step = (p2k - pk) / K
  end
  if c0 and c1 then
    res.cold_user_ms_per_step = (c1.utime - c0.utime) / clk_tck * 1e3 / K
    res.cold_sys_ms_per_step = (c1.stime - c0.stime) / clk_tck * 1e3 / K
    res.cold_minflt_per_step = (c1.minflt - c0.minflt) / K
  end
  local times = {}
  for r = 1, reps do times[r] = 0 end
  local s0 = proc_stat()
  for r = 1, reps do
    local t0 = clock()
    d, meta = meta_step(model, p0, lr, K, meta_data)
    times[r] = (clock() - t0) * 1e3
  end
  local s1 = proc_stat()
  res.meta_step_ms, res.inner_step_ms = times, median(times) / K
  res.dmeta_dlr, res.meta_loss = d:item(), meta:item()
  if s0 and s1 then
    local n = reps * K
    res.user_ms_per_step = (s1.utime - s0.utime) / clk_tck * 1e3 / n
    res.sys_ms_per_step = (s1.stime - s0.stime) / clk_tck * 1e3 / n
    res.minflt_per_step = (s1.minflt - s0.minflt) / n
  end
  d, meta = nil, nil
  collectgarbage("collect")
  return res
end

for _, name in ipairs(meta_models) do
  if not only or only["meta_" .. name] then
    results.meta = results.meta or {}
    local r = time_meta(name)
    results.meta[name] = r
    if MODEL_LAYERS[name] and cfg.dtype == "float32" then   -- the limit: raw sgemm on the inner step's GEMMs
      local flop, sgemm_s = 0, 0
      for _, g in ipairs(meta_step_gemms(MODEL_LAYERS[name](cfg.batch))) do
        flop = flop + 2 * g[1] * g[2] * g[3]
        sgemm_s = sgemm_s + m1d.core.bench_sgemm(g[1], g[2], g[3], cfg.quick and 20 or 200)
      end
      r.gemm_mflop, r.sgemm_ms = flop / 1e6, sgemm_s * 1e3
      r.fraction_of_sgemm = r.sgemm_ms / r.inner_step_ms   -- 1 is the machine's limit
    end
  end
end

-- The pixel-space baselines on the frozen data (float64, as scikit-learn gets it):
-- knn.accuracy with k = 10, euclidean (the notebook's 59.6 %) and cosine, and
-- probe.logistic with C = 1 (32.8 %); the median wall time over reps of each whole call
-- (for the probe: standardising, the LBFGS fit, both accuracies), the probe at its default
-- tol 1e-6 and at tol 1e-5, where its objective is that of scikit-learn's fit (which stops
-- after 148 iterations at any tol from 1e-3 to 1e-8 on this data).
if not only or only.baselines then
  local d = m1d.mnist1d.frozen{dtype = "float64"}
  local reps = cfg.quick and 1 or 7
  local function timed(fn)
    local times, a, b = {}, nil, nil
    for r = 1, reps do
      local t0 = clock()
      a, b = fn()
      times[r] = (clock() - t0) * 1e3
    end
    return median(times), a, b
  end
  local knn_ms, knn_acc = timed(function() return m1d.knn.accuracy(d.x, d.y, d.x_test, d.y_test, {k = 10}) end)
  local cos_ms, cos_acc = timed(function()
    return m1d.knn.accuracy(d.x, d.y, d.x_test, d.y_test, {k = 10, metric = "cosine"})
  end)
  local lr_ms, r = timed(function() return m1d.probe.logistic(d.x, d.y, d.x_test, d.y_test) end)
  local lr5_ms, r5 = timed(function() return m1d.probe.logistic(d.x, d.y, d.x_test, d.y_test, {tol = 1e-5}) end)
  results.baselines = {reps = reps, knn_ms = knn_ms, knn_test_acc = knn_acc, knn_cosine_ms = cos_ms,
                       knn_cosine_test_acc = cos_acc, logistic_ms = lr_ms, logistic_test_acc = r.test_acc,
                       logistic_train_acc = r.train_acc, logistic_loss = r.loss,
                       logistic_iterations = r.iterations, logistic_evaluations = r.evaluations,
                       logistic_tol1e5_ms = lr5_ms, logistic_tol1e5_test_acc = r5.test_acc,
                       logistic_tol1e5_loss = r5.loss, logistic_tol1e5_iterations = r5.iterations}
end

-- Meta-learning: the experiment scripts at their paper settings for a few outer steps
-- (--quick: shorter inner loops), their own median time per outer step and peak RSS.
if not only or only.metalearn then
  local exe = arg and arg[-1] or "./m1d"
  local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."   -- from any working directory
  local tmp = os.tmpname()
  os.remove(tmp)              -- metalearn_afunc is a sweep: its run files go to <tmp>/runs/
  local function run(script, opts)
    local cmd = ("%s %s/%s.lua %s --out %s.json > %s.log 2>&1"):format(exe, here, script, opts, tmp, tmp)
    if not os.execute(cmd) then error(("bench: %s failed (see %s.log)"):format(script, tmp), 0) end
    local r = util.read_json(tmp .. ".json")
    os.remove(tmp .. ".json"); os.remove(tmp .. ".png"); os.remove(tmp .. ".pdf"); os.remove(tmp .. ".log")
    os.execute("rm -rf '" .. tmp .. "'")
    return r
  end
  local lr = run("metalearn_lr", (cfg.quick and "--quick" or "") .. " --jobs 1")   -- both starts in this process
  results.metalearn_lr = {seconds = lr.seconds, outer_step_ms = 1e3 * lr.seconds_per_outer_step,
                          inner_steps = lr.args.inner, outer_steps = 2 * lr.args.outer, peak_rss_mb = lr.peak_rss_mb}
  local af = run("metalearn_afunc", (cfg.quick and "--outer 2 --inner 31" or "--outer 3 --inner 301")
                 .. " --eval_seeds 1 --baselines '' --snapshots 1")
  results.metalearn_afunc = {outer_step_s = af.seconds_per_outer_step, inner_steps = af.args.inner,
                             peak_rss_mb = af.peak_rss_mb}
  os.remove(tmp)
end

-- t-SNE of the frozen train + test signals (5,000 x 40) as sklearn's TSNE(perplexity=30,
-- init="pca", method="barnes_hut", angle=0.5, n_iter=1000, learning_rate="auto"); --quick:
-- the first 1,000 signals, 300 iterations.  kl is the optimiser's (Q normalised by the
-- Barnes-Hut Z, as sklearn reports it), kl_exact the same embedding's exact KL(P || Q).
if not only or only.tsne then
  local x = m1d.cat({data.x, data.x_test}, 1)
  local n_iter = 1000
  if cfg.quick then x, n_iter = x:narrow(1, 1, 1000), 300 end
  collectgarbage("collect")
  local t0, c0 = clock(), os.clock()
  local y, info = m1d.tsne(x, {perplexity = 30, init = "pca", theta = 0.5, n_iter = n_iter, seed = 0})
  local seconds, cpu = clock() - t0, os.clock() - c0
  local P = info.P
  local _, kl_exact = m1d.core.tsne_gradient(P.rowptr, P.col, P.val, y:double(), 1, 0, true)
  results.tsne = {n = x:size(1), n_iter = info.n_iter, seconds = seconds, cpu_seconds = cpu,
                  seconds_affinities = info.seconds_affinities, kl = info.kl, kl_exact = kl_exact,
                  ms_per_iteration = 1e3 * (seconds - info.seconds_affinities) / info.n_iter,
                  peak_rss_mb = m1d.peak_rss_mb()}
end

-- table
print(("m1d bench  (OpenBLAS %s kernels, chosen by %s; %d thread(s); batch %d)"):format(
  blas.core, blas.chosen_by, blas.threads, cfg.batch))
print(("%-11s %8s %10s %10s %9s %12s %10s %9s"):format("model", "params", "median ms", "min ms", "mallocs", "last loss",
                                                     "sgemm ms", "of limit"))
for _, name in ipairs(order) do
  local r = results.models[name]
  if r then
    print(("%-11s %8d %10.4f %10.4f %9.2f %12.6f %10s %9s"):format(name, r.params, r.ms, r.min_ms, r.mallocs_per_step,
      r.loss, r.sgemm_ms and ("%.4f"):format(r.sgemm_ms) or "-",
      r.fraction_of_sgemm and ("%.0f%%"):format(100 * r.fraction_of_sgemm) or "-"))
  end
end
local lt = results.models.lottery
if lt then
  print(("lottery GEMMs %.1f MFLOP/step: %.1f GFLOP/s achieved, raw sgemm %.1f GFLOP/s (%.2f ms) -> %.0f%%"):format(
    lt.gemm_mflop, lt.gflops, lt.sgemm_gflops, lt.sgemm_ms, 100 * lt.fraction_of_sgemm))
end
print(("tiny add (10 elements) from Lua: %.3f us/op, %.0f ops/s"):format(results.tiny_add_us, results.tiny_add_ops_per_s))
if results.peak_rss_mb then print(("peak RSS %.1f MB"):format(results.peak_rss_mb)) end
if results.meta then
  print(("unrolled meta-step (%s, lr %g, batch %d): per inner step = meta-step / K; CPU over the timed repeats;"):format(
    cfg.dtype, cfg.meta_lr, cfg.batch))
  print("  (user/sys ms per inner step: warm repeats, then the first meta-step; RSS in MB, the process's:")
  print("   memory earlier sections kept counts too, --only meta_NAME gives a section's own; MB/step does not)")
  print(("%-5s %4s %8s %8s %7s %7s %6s %8s %7s %7s %7s %8s %12s %9s %9s"):format("meta", "K", "ms/step", "user",
    "sys", "user1", "sys1", "minflt", "base", "peak K", "pk 2K", "MB/step", "dmeta/dlr", "sgemm ms", "of limit"))
  for _, name in ipairs(meta_models) do
    local r = results.meta[name]
    if r then
      print(("%-5s %4d %8.3f %8.3f %7.3f %7.3f %6.3f %8.0f %7.1f %7.1f %7.1f %8.3f %12.6g %9s %9s"):format(name, r.K,
        r.inner_step_ms, r.user_ms_per_step or -1, r.sys_ms_per_step or -1, r.cold_user_ms_per_step or -1,
        r.cold_sys_ms_per_step or -1, r.minflt_per_step or -1, r.rss_base_mb or -1, r.peak_rss_mb_K or -1,
        r.peak_rss_mb_2K or -1, r.rss_mb_per_step or -1, r.dmeta_dlr,
        r.sgemm_ms and ("%.4f"):format(r.sgemm_ms) or "-",
        r.fraction_of_sgemm and ("%.0f%%"):format(100 * r.fraction_of_sgemm) or "-"))
    end
  end
end
local bl = results.baselines
if bl then
  print(("baselines (frozen data, float64, median of %d): 10-NN euclidean %.1f %% in %.1f ms, cosine %.1f %% in %.1f ms;"):format(
    bl.reps, bl.knn_test_acc, bl.knn_ms, bl.knn_cosine_test_acc, bl.knn_cosine_ms))
  print(("  logistic probe (C = 1, tol 1e-6) test %.1f %% train %.2f %%, objective %.4f, %d iterations, %d evaluations, %.1f ms"):format(
    bl.logistic_test_acc, bl.logistic_train_acc, bl.logistic_loss, bl.logistic_iterations, bl.logistic_evaluations,
    bl.logistic_ms))
  print(("  at tol 1e-5: test %.1f %%, objective %.4f, %d iterations, %.1f ms"):format(bl.logistic_tol1e5_test_acc,
    bl.logistic_tol1e5_loss, bl.logistic_tol1e5_iterations, bl.logistic_tol1e5_ms))
end
local ml, ma = results.metalearn_lr, results.metalearn_afunc
if ml then
  print(("metalearn_lr: %.1f ms per outer step of %d inner steps, %d outer steps in %.2f s, peak RSS %.0f MB"):format(
    ml.outer_step_ms, ml.inner_steps, ml.outer_steps, ml.seconds, ml.peak_rss_mb))
  print(("metalearn_afunc: %.2f s per outer step of %d inner steps, peak RSS %.0f MB"):format(
    ma.outer_step_s, ma.inner_steps, ma.peak_rss_mb))
end

local ts = results.tsne
if ts then
  print(("t-SNE %d x 40, %d iterations: %.2f s (cpu %.2f s; P %.2f s, %.2f ms/iteration), KL %.4f (exact %.4f), peak RSS %.0f MB")
    :format(ts.n, ts.n_iter, ts.seconds, ts.cpu_seconds, ts.seconds_affinities, ts.ms_per_iteration, ts.kl,
            ts.kl_exact, ts.peak_rss_mb))
end

if cfg.out ~= "" then
  util.write_json(cfg.out, results)
  print("wrote " .. cfg.out)
end
