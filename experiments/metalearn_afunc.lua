-- experiments/metalearn_afunc.lua — meta-learn an activation function by gradient descent
-- through 301 unrolled RMSprop steps (the paper's metalearn-activation-function notebook).
--
-- Question: can an activation f(x) = elu(x) + 0.2 g(x), with g a 1-100-1 tanh MLP applied
-- elementwise, be trained so that an MLP 40-128-10 using it learns faster?  Expect the
-- learned f to beat relu, elu and swish in final test accuracy after the same 301 inner
-- steps (paper), and a piecewise-linear fit of it to do about as well.
--
-- Protocol (as ../shared/peer/exp_metalearn_afunc.py): 10,000-sample MNIST-1D from the
-- generator (8000 train / 2000 test), float32.  Inner model h = f(W1 x + b1) + n,
-- logits = W2 h + b2, with n ~ 0.1 U(-1, 1) of shape [1, 128] drawn every step (the meta
-- MLP gets its own [1, 100] draw after its tanh, as in the peer); functional RMSprop
-- (mu 0.4, lr 1e-2, squared-gradient average starting at ones, eps 1e-8), 301 steps at
-- batch 100 in order; meta-loss = mean of the last 200 inner losses; meta-gradient
-- clamped to +-0.1; outer SGD with lr 0.3 for 301 steps.  As in the peer, the generator
-- is reseeded at the start of every inner loop (the noise sequence repeats) and the inner
-- network is re-initialised before it, from the generator state the previous loop left.
-- Test accuracy per outer step: the first 500 test examples after the inner loop.
-- Then relu, swish, elu, softplus, tanh, sigmoid, the learned f and a piecewise-linear
-- fit of it each train once per evaluation seed through the same inner loop.
--
-- Over seeds (--seeds N): the script is a sweep (m1d.sweep) with one run per seed, key
-- "seed=S": seed S meta-trains its own activation (its inner loops reseeded with S) and
-- evaluates it, its fit and the baselines on evaluation seeds S .. S+E-1 (E =
-- --eval_seeds).  The merge decides the claims on the means over the meta-training seeds
-- ("holds in k of n seeds"); the figure draws the curves' mean with a ±1 sd band and each
-- seed's learned activation, light, with their mean.  Seeds run in parallel on the cores
-- (--jobs), on a cluster (--list-commands) or resume after an interruption.
--
-- How it is computed:
--  * The meta MLP runs as one fused op, m1d.pointwise_mlp, which never stores the
--    [12800, 100] hidden layer; the [1, 100] noise after its tanh only adds the constant
--    0.2 W2 n.  Composed of ops, that hidden layer cost ~12 MB and two dozen [12800, 100]
--    ops per inner step (8.2 s per outer step).
--  * The inner gradient is m1d.grad(loss, params, {create_graph = true}).  The fused op's
--    differentiable backward is made of fused sums of tanh derivatives (m1d.tanh_hsum,
--    m1d.tanh_xsum), whose own gradients are fused again, so the meta-gradient through
--    301 inner gradients stores no hidden layer either.  It equals the hand-derived inner
--    gradient this script used before (tests/lua/metalearn_test.lua, against a fixture).
--  * Memory: the whole unrolled graph costs under 1 MB per inner step, so by default
--    nothing is recomputed.  --segment k wraps every k inner steps in an m1d.checkpoint.
--  * --grad_out FILE writes every outer step's meta-loss and meta-gradient (17 digits).
--   ./m1d experiments/metalearn_afunc.lua [--quick] [--seeds 3] [--outer 301] [--inner 301] [--eval_seeds 3]
--                                         [--list | --run N | --merge ...]   (m1d.sweep)
local m1d = require "m1d"
local nn, optim, util, plot, sweep = m1d.nn, m1d.optim, m1d.util, m1d.plot, m1d.sweep

local OPTIONS = {
  {"seeds", 1, "meta-training seeds: each meta-trains its own activation (one sweep run each)", min = 1},
  {"seed", 0, "the first seed (of the inner loops' noise and initialisation; seed s evaluates with seeds s..s+E-1)"},
  {"outer", 301, "outer (meta) steps", min = 1},
  {"inner", 301, "unrolled inner RMSprop steps per outer step", min = 1},
  {"batch", 100, "inner minibatch size", min = 1},
  {"lr", 1e-2, "inner RMSprop learning rate"},
  {"mu", 0.4, "inner RMSprop decay of the squared-gradient average"},
  {"eps", 1e-8, "inner RMSprop epsilon"},
  {"last", 200, "meta-loss: the mean of the last N inner losses", min = 1},
  {"meta_lr", 0.3, "outer SGD learning rate"},
  {"clamp", 0.1, "clamp every meta-gradient element to +-clamp"},
  {"noise", 0.1, "amplitude of the uniform noise added after each activation"},
  {"hidden", 128, "hidden units of the inner MLP 40-H-10", min = 1},
  {"meta_hidden", 100, "hidden units of the activation's MLP 1-H-1", min = 1},
  {"test_k", 500, "test accuracy per outer step: on the first K test examples", min = 1},
  {"eval_seeds", 3, "evaluation seeds E of the final comparison of the activations, per meta-training seed", min = 1},
  {"eval_inner", 0, "inner steps of the final comparison (0: --inner)"},
  {"segment", 0, "checkpoint every N inner steps (0: keep the whole graph; at most 56)"},
  {"dtype", "float32", "precision of everything", choices = {"float32", "float64"}},
  {"baselines", "relu,swish,elu,softplus,tanh,sigmoid", "activations compared with the learned one"},
  {"knots", 41, "knots of the piecewise-linear fit of the learned activation on [-5, 5]", min = 2},
  {"snapshots", 12, "snapshots of the learned activation drawn in the figure", min = 1},
  {"quick", false, "a smoke test: 6 outer x 12 inner steps, one evaluation seed (--out *_quick.json)"},
  {"threads", 1, "OpenBLAS threads", min = 1},
  {"out", "results/metalearn_afunc.json", "results file (JSON); run files go to OUT/runs/"},
  {"figure", "", "figure file (default: --out with .png; a .pdf beside it)"},
  {"grad_out", "", "write every outer step's meta-loss and meta-gradient (17 digits) to this file (one seed only)"},
}

-- The configuration and the data every function below reads; set by setup() in the
-- process that performs a run (sweep.main calls configure first, then run or merge).
local cfg, dtype, H, MH, data, x_test500, y_test500

local function configure(c)
  cfg = c
  if cfg.quick then
    cfg.outer, cfg.inner, cfg.last, cfg.eval_seeds, cfg.snapshots = 6, 12, 8, 1, 6
    if cfg.out == "results/metalearn_afunc.json" then cfg.out = "results/metalearn_afunc_quick.json" end
  end
  if cfg.eval_inner == 0 then cfg.eval_inner = cfg.inner end
  if cfg.segment < 0 or cfg.segment > 56 then
    error("--segment: 0 (no checkpoints) to 56 steps (m1d.checkpoint returns at most 64 tensors)", 0)
  end
  if cfg.grad_out ~= "" and cfg.seeds ~= 1 then
    error("--grad_out: the meta-gradients of one meta-training run; use it with --seeds 1", 0)
  end
  for name in cfg.baselines:gmatch("[^,]+") do
    if not ({relu = 1, swish = 1, elu = 1, softplus = 1, tanh = 1, sigmoid = 1})[name] then
      error(("--baselines: unknown baseline '%s'"):format(name), 0)
    end
  end
  dtype, H, MH = cfg.dtype, cfg.hidden, cfg.meta_hidden
end

local function load_data()
  m1d.set_num_threads(cfg.threads)
  data = m1d.mnist1d.dataset(m1d.mnist1d.args{num_samples = 10000}, {dtype = dtype})
  x_test500, y_test500 = data.x_test:narrow(1, 1, cfg.test_k), data.y_test:narrow(1, 1, cfg.test_k)
end


local function linear_params(n_in, n_out)     -- PyTorch's default init, in dtype
  local l = nn.Linear(n_in, n_out)
  local w, b = l.weight, l.bias
  if dtype == "float64" then w, b = w:detach():double():requires_grad(), b:detach():double():requires_grad() end
  return w, b
end

local function noise(n) return m1d.rand(1, n, dtype) * (2 * cfg.noise) - cfg.noise end

-- ---------------------------------------------------------------- activations

-- the learned one: f(a) = elu(a) + 0.2 (W2 (tanh(W1 a + b1) + n) + b2), elementwise.
-- mp = {W1 [100,1], b1 [100], W2 [1,100], b2 [1]}, mn = the meta noise [1, 100].
-- m1d.pointwise_mlp gives sum_j W2j tanh(W1j a + b1j), fused: the [12800, 100] hidden
-- layer of the meta MLP is never stored.
local function learned(a, mp, mn)
  local w1, b1, w2, b2 = mp[1], mp[2], mp[3], mp[4]
  local g = m1d.pointwise_mlp(a, w1, b1, w2):select(1, 1)
  local c = (b2 + m1d.linear(mn, w2)) * 0.2                         -- the noise and bias: constant in a
  return a:elu() + g * 0.2 + c
end

local BASELINES = {
  relu = function(a) return a:relu() end,
  swish = function(a) return a * a:sigmoid() end,
  elu = function(a) return a:elu() end,
  softplus = function(a) return a:softplus() end,
  tanh = function(a) return a:tanh() end,
  sigmoid = function(a) return a:sigmoid() end,
}

-- noise-free learned f at the points xs (a plain Lua list), for the figure and the fit
local function sample_learned(mp, xs)
  return m1d.no_grad(function()
    local x = m1d.tensor(xs, dtype):reshape(-1, 1)
    return learned(x, mp, m1d.zeros({1, MH}, dtype)):reshape(-1):totable()
  end)
end

-- the piecewise-linear interpolant of the learned f at `knots` points on [-5, 5], linear
-- beyond: f(a) = y1 + s1 (a - t1) + sum_k (s_k - s_{k-1}) relu(a - t_k)
local function pwl_fit(mp)
  local t = {}
  for k = 1, cfg.knots do t[k] = -5 + 10 * (k - 1) / (cfg.knots - 1) end
  local y = sample_learned(mp, t)
  local slope = {}
  for k = 1, cfg.knots - 1 do slope[k] = (y[k + 1] - y[k]) / (t[k + 1] - t[k]) end
  local act = function(a)
    local f = (a - t[1]) * slope[1] + y[1]
    for k = 2, cfg.knots - 1 do f = f + (a - t[k]):relu() * (slope[k] - slope[k - 1]) end
    return f
  end
  return act, {knots = t, values = y}
end

-- ---------------------------------------------------------------- the inner loop

-- One inner step on batch rows s*batch+1 ...: loss, then the RMSprop update.
-- create: keep the step differentiable (the inner gradient gets a graph, for the meta-gradient).
-- Returns the new params (4), the new squared-gradient averages (4) and the loss.
local function inner_step(act, s, p, sq, inoise, create)
  local xb, yb = data:batch(s * cfg.batch + 1, cfg.batch)
  local h = act(m1d.linear(xb, p[1], p[2])) + inoise
  local loss = m1d.cross_entropy(m1d.linear(h, p[3], p[4]), yb)
  local g = m1d.grad(loss, p, {create_graph = create})
  local np, st = optim.rmsprop_step(p, g, {sq = sq}, {lr = cfg.lr, mu = cfg.mu, eps = cfg.eps})
  return np, st.sq, loss
end

-- The start of every inner loop (the peer's protocol): reseed, then one meta-noise [1, 100]
-- and one hidden-noise [1, 128] draw per step, made up front so that a checkpointed step
-- recomputes with the same noise.  Also the RMSprop state, starting at ones.
local function start_inner(p0, steps, seed)
  m1d.manual_seed(seed)
  local mnoise, inoise, sq = {}, {}, {}
  for s = 1, steps do mnoise[s], inoise[s] = noise(MH), noise(H) end
  for i, q in ipairs(p0) do sq[i] = m1d.ones(q:size(), dtype) end
  return mnoise, inoise, sq
end

-- The differentiable inner run from p0 with the learned activation (meta params mp):
-- returns the list of losses (tensors) and the final params.  With --segment k > 0 each
-- segment of k steps is one m1d.checkpoint: its graph is dropped after the forward and
-- rebuilt in the outer backward, so only the segment boundaries stay in memory.
local function unrolled(p0, steps, seed, mp)
  local mnoise, inoise, sq = start_inner(p0, steps, seed)
  -- k steps from step s0 (0-based), differentiable in the params, state and m1..m4
  local function segment(s0, k, w1, b1, w2, b2, q1, q2, q3, q4, m1, m2, m3, m4)
    local p, q, mpp, out = {w1, b1, w2, b2}, {q1, q2, q3, q4}, {m1, m2, m3, m4}, {}
    for s = s0 + 1, s0 + k do
      local loss
      p, q, loss = inner_step(function(a) return learned(a, mpp, mnoise[s]) end, s - 1, p, q, inoise[s], true)
      out[#out + 1] = loss
    end
    return {p[1], p[2], p[3], p[4], q[1], q[2], q[3], q[4], table.unpack(out)}
  end
  local p, losses = p0, {}
  local k = cfg.segment > 0 and cfg.segment or steps
  for s0 = 0, steps - 1, k do
    local n = math.min(k, steps - s0)
    local run = cfg.segment > 0 and function(...) return m1d.checkpoint(segment, ...) end or segment
    local r = run(s0, n, p[1], p[2], p[3], p[4], sq[1], sq[2], sq[3], sq[4], mp[1], mp[2], mp[3], mp[4])
    p, sq = {r[1], r[2], r[3], r[4]}, {r[5], r[6], r[7], r[8]}
    for j = 9, 8 + n do losses[#losses + 1] = r[j] end
  end
  return losses, p
end

-- Accuracy (%) of the inner MLP with params p on (x, y), activation act, one noise draw
-- (in chunks of 500 rows: the learned f's hidden layer is 500 x 128 x 100 floats per chunk).
local function accuracy(p, act, x, y)
  local n = noise(H)
  return m1d.no_grad(function()
    local correct = 0
    for s = 1, x:size(1), 500 do
      local len = math.min(500, x:size(1) - s + 1)
      local h = act(m1d.linear(x:narrow(1, s, len), p[1]:detach(), p[2]:detach())) + n
      correct = correct + nn.accuracy(m1d.linear(h, p[3]:detach(), p[4]:detach()), y:narrow(1, s, len)) * len
    end
    return correct / x:size(1)
  end)
end

-- A plain (non-meta) run for evaluation: init from `seed`, train, test accuracies.
local function evaluate(act_fn, seed)
  m1d.manual_seed(seed)
  local w1, b1 = linear_params(40, H)
  local w2, b2 = linear_params(H, 10)
  local p, losses = {w1, b1, w2, b2}, {}
  local mnoise, inoise, sq = start_inner(p, cfg.eval_inner, seed)
  for s = 1, cfg.eval_inner do
    local loss
    p, sq, loss = inner_step(function(a) return act_fn(a, mnoise[s]) end, s - 1, p, sq, inoise[s], false)
    losses[s] = loss:item()
    for i = 1, 4 do p[i], sq[i] = p[i]:detach():requires_grad(), sq[i]:detach() end
  end
  local mn = noise(MH)
  local act = function(a) return act_fn(a, mn) end
  return {test_acc_500 = accuracy(p, act, x_test500, y_test500),
          test_acc = accuracy(p, act, data.x_test, data.y_test),
          final_loss = losses[#losses]}
end

-- ---------------------------------------------------------------- the outer loop

local GRID = {}                                        -- where the learned f is sampled
for i = 1, 201 do GRID[i] = -5 + (i - 1) * 0.05 end

-- Meta-train an activation from `seed` (inner loops reseeded with it), recording every
-- outer step; returns the final meta params and the record.
local function meta_train(seed)
  m1d.manual_seed(seed)
  local mw1, mb1 = linear_params(1, MH)
  local mw2, mb2 = linear_params(MH, 1)
  local mp = {mw1, mb1, mw2, mb2}
  local res = {meta_loss = {}, test_acc = {}, final_inner_loss = {}, grad_norm = {}, outer_seconds = {},
               outer_cpu_seconds = {}, snapshots = {}}
  local snap_every = math.max(1, cfg.outer // cfg.snapshots)
  res.snapshots[1] = {outer = 0, y = sample_learned(mp, GRID)}
  local grads_out = {}                                 -- --grad_out: every outer step's meta-gradient
  for k = 1, cfg.outer do
    local t0, c0 = m1d.clock(), os.clock()
    local w1, b1 = linear_params(40, H)                -- a fresh inner network
    local w2, b2 = linear_params(H, 10)
    local losses, p = unrolled({w1, b1, w2, b2}, cfg.inner, seed, mp)
    local first = math.max(1, #losses - cfg.last + 1)
    local total = losses[first]
    for s = first + 1, #losses do total = total + losses[s] end
    local meta_loss = total / (#losses - first + 1)
    local g = m1d.grad(meta_loss, mp)
    if cfg.grad_out ~= "" then
      grads_out[k] = {meta_loss = meta_loss:item()}
      for i, name in ipairs{"w1", "b1", "w2", "b2"} do grads_out[k][name] = g[i]:reshape(-1):totable() end
    end
    -- test accuracy of this inner run (first test_k test examples), with this step's meta params
    local mn = noise(MH)
    local acc = accuracy(p, function(a) return learned(a, mp, mn) end, x_test500, y_test500)
    local gn = 0
    for i = 1, 4 do
      gn = gn + (g[i] * g[i]):sum():item()
      mp[i] = (mp[i] - cfg.meta_lr * g[i]:clamp(-cfg.clamp, cfg.clamp)):detach():requires_grad()
    end
    local dt = m1d.clock() - t0
    res.meta_loss[k], res.test_acc[k], res.final_inner_loss[k] = meta_loss:item(), acc, losses[#losses]:item()
    res.grad_norm[k], res.outer_seconds[k], res.outer_cpu_seconds[k] = math.sqrt(gn), dt, os.clock() - c0
    if k % snap_every == 0 or k == cfg.outer then res.snapshots[#res.snapshots + 1] = {outer = k, y = sample_learned(mp, GRID)} end
    print(("seed %d outer %3d/%d  meta-loss %.4f  final inner loss %.4f  test acc %5.1f%%  |grad| %.3g  %.2f s (cpu %.2f)  RSS %.0f MB"):format(
      seed, k, cfg.outer, res.meta_loss[k], res.final_inner_loss[k], acc, res.grad_norm[k], dt, res.outer_cpu_seconds[k], m1d.rss_mb()))
    io.stdout:flush()
  end
  if cfg.grad_out ~= "" then                           -- JSON with every digit (write_json keeps 14)
    local rows = {}
    for k, r in ipairs(grads_out) do
      local f = {("\"meta_loss\": %.17g"):format(r.meta_loss)}
      for _, name in ipairs{"w1", "b1", "w2", "b2"} do
        local v = {}
        for i, x in ipairs(r[name]) do v[i] = ("%.17g"):format(x) end
        f[#f + 1] = ("\"%s\": [%s]"):format(name, table.concat(v, ", "))
      end
      rows[k] = "  {" .. table.concat(f, ",\n   ") .. "}"
    end
    util.write_atomic(cfg.grad_out, ("{\"dtype\": \"%s\", \"outer\": [\n%s\n]}\n"):format(cfg.dtype, table.concat(rows, ",\n")))
  end
  for i = 1, 4 do mp[i] = mp[i]:detach() end
  return mp, res
end

-- ---------------------------------------------------------------- evaluation

-- One activation trained afresh on the evaluation seeds seed .. seed + E - 1.
local function eval_all(name, act_fn, seed)
  local accs, accs500, losses, te = {}, {}, {}, m1d.clock()
  for s = 0, cfg.eval_seeds - 1 do
    local r = evaluate(act_fn, seed + s)
    accs[#accs + 1], accs500[#accs500 + 1], losses[#losses + 1] = r.test_acc, r.test_acc_500, r.final_loss
  end
  local e = {test_acc = util.mean(accs), test_acc_sd = util.sd(accs), test_acc_500 = util.mean(accs500),
             per_seed = accs, per_seed_500 = accs500, final_loss = losses, seconds = m1d.clock() - te}
  local spread = cfg.eval_seeds > 1 and (" ± %.1f"):format(e.test_acc_sd) or ""   -- none for one seed
  print(("seed %d eval %-9s test acc %5.1f%s %%  (first %d: %5.1f %%)  over %d evaluation seed(s)  %.1f s"):format(
    seed, name, e.test_acc, spread, cfg.test_k, e.test_acc_500, cfg.eval_seeds, e.seconds))
  return e
end

local function median(xs)
  local c = {}
  for i, v in ipairs(xs) do c[i] = v end
  table.sort(c)
  return c[(#c + 1) // 2]
end

-- One sweep run: meta-train from r.seed, then compare the learned activation, its
-- piecewise-linear fit and the baselines, each trained afresh on the evaluation seeds.
local function run(r)
  load_data()
  local t_all, c_all = m1d.clock(), os.clock()
  local mp, res = meta_train(r.seed)
  local meta_seconds, meta_cpu_seconds = m1d.clock() - t_all, os.clock() - c_all
  local t_eval = m1d.clock()
  local evals = {}
  evals.learned = eval_all("learned", function(a, mn) return learned(a, mp, mn) end, r.seed)
  local pwl, pwl_knots = pwl_fit(mp)
  evals.pwl = eval_all("pwl fit", pwl, r.seed)
  for name in cfg.baselines:gmatch("[^,]+") do evals[name] = eval_all(name, BASELINES[name], r.seed) end
  local per_outer = median(res.outer_seconds)
  res.evals, res.pwl = evals, pwl_knots
  res.learned_function = {x = GRID, y = res.snapshots[#res.snapshots].y}
  res.meta_seconds, res.meta_cpu_seconds, res.eval_seconds = meta_seconds, meta_cpu_seconds, m1d.clock() - t_eval
  res.seconds_per_outer_step, res.cpu_seconds_per_outer_step = per_outer, median(res.outer_cpu_seconds)
  res.paper_scale_seconds_estimate = per_outer * (301 / cfg.inner) * 301
  res.peak_rss_mb = m1d.peak_rss_mb()
  print(("seed %d: meta-training %.1f s (%.2f s per outer step of %d inner steps; 301 x 301 would take ~%.0f s), "
         .. "evaluation %.1f s, peak RSS %.0f MB"):format(r.seed, meta_seconds, per_outer, cfg.inner,
         res.paper_scale_seconds_estimate, res.eval_seconds, res.peak_rss_mb))
  return res
end

-- ---------------------------------------------------------------- merge: claims, results, figure

local function merge(done)
  local names = {}
  for name in cfg.baselines:gmatch("[^,]+") do names[#names + 1] = name end
  table.sort(done, function(a, b) return a.params.seed < b.params.seed end)
  local seeds, runs = {}, {}
  for i, d in ipairs(done) do seeds[i], runs[i] = d.params.seed, d.result end
  if #runs == 0 then
    return {claims = {learned_beats_relu_elu_swish = sweep.unmeasured("no meta-training run finished"),
                      pwl_fit_as_good = sweep.unmeasured("no meta-training run finished")}}
  end
  -- Claims over the meta-training seeds (each seed's value: the mean over its evaluation
  -- seeds of the final test accuracy, every activation trained afresh with it fixed);
  -- decided on the means over seeds, reported per seed:
  --  * learned_beats_relu_elu_swish: the learned activation's final test accuracy beats the
  --    best of relu, elu and swish by >= 2 points.  The paper: "learns faster" than them; its
  --    gap is ~10 points; 2 points is above the ~1.5-point sd of these accuracies over
  --    evaluation seeds.
  --  * pwl_fit_as_good: its piecewise-linear fit is within 2 points of it (the paper: "a
  --    piecewise-linear fit does about as well").
  local per_seed = {}
  for i, res in ipairs(runs) do
    local v = {}
    for name, e in pairs(res.evals) do v[name] = e.test_acc end
    per_seed[i] = v
  end
  local claims = {}
  local have = {}
  for _, n in ipairs(names) do have[n] = true end
  if have.relu and have.elu and have.swish then
    claims.learned_beats_relu_elu_swish = sweep.seed_claim{
      criterion = "the learned activation beats the best of relu, elu and swish by >= 2 points (final test accuracy)",
      per_seed = per_seed, keys = {"learned", "relu", "elu", "swish"},
      test = function(v)
        local best = math.max(v.relu, v.elu, v.swish)
        return v.learned >= best + 2, ("learned %.1f%%; relu %.1f, elu %.1f, swish %.1f"):format(v.learned, v.relu,
          v.elu, v.swish)
      end}
  else
    claims.learned_beats_relu_elu_swish = sweep.unmeasured("needs the relu, elu and swish baselines")
  end
  claims.pwl_fit_as_good = sweep.seed_claim{
    criterion = "the piecewise-linear fit of the learned activation is within 2 points of it",
    per_seed = per_seed, keys = {"learned", "pwl"},
    test = function(v)
      return math.abs(v.pwl - v.learned) <= 2, ("pwl fit %.1f%% vs learned %.1f%%"):format(v.pwl, v.learned)
    end}

  -- means over seeds of every curve and accuracy
  local function stats(key)
    local curves = {}
    for i, res in ipairs(runs) do curves[i] = res[key] end
    return util.curve_stats(curves)
  end
  local function mean_of(f)
    local xs = {}
    for i, res in ipairs(runs) do xs[i] = f(res) end
    return util.mean(xs), util.sd(xs)
  end
  local evals, baselines, baselines_500 = {}, {}, {}
  for name in pairs(runs[1].evals) do
    local m, sd = mean_of(function(res) return res.evals[name].test_acc end)
    local m500 = mean_of(function(res) return res.evals[name].test_acc_500 end)
    local each = {}
    for i, res in ipairs(runs) do each[i] = res.evals[name].test_acc end
    evals[name] = {test_acc = m, test_acc_sd_over_seeds = sd, test_acc_500 = m500, per_seed = each}
    if name ~= "learned" and name ~= "pwl" then baselines[name], baselines_500[name] = m, m500 end
  end
  local beats = {}
  for _, n in ipairs{"relu", "elu", "swish"} do
    if baselines[n] then beats[n] = evals.learned.test_acc > baselines[n] end
  end
  local ml, ta, lf = stats("meta_loss"), stats("test_acc"), nil
  do
    local ys = {}
    for i, res in ipairs(runs) do ys[i] = res.learned_function.y end
    lf = util.curve_stats(ys)
  end
  local seconds, cpu = 0, 0
  for _, d in ipairs(done) do seconds, cpu = seconds + (d.seconds or 0), cpu + (d.cpu_seconds or 0) end
  local peak = 0
  for _, res in ipairs(runs) do peak = math.max(peak, res.peak_rss_mb) end
  local per_outer = mean_of(function(res) return res.seconds_per_outer_step end)
  print(("\nlearned %.1f %%, pwl fit %.1f %%, %s  (mean test accuracy over %d meta-training seed(s) x %d evaluation seed(s))")
        :format(evals.learned.test_acc, evals.pwl.test_acc, table.concat((function()
          local s = {}
          for i, n in ipairs(names) do s[i] = ("%s %.1f"):format(n, baselines[n]) end
          return s end)(), ", "), #runs, cfg.eval_seeds))
  print(("runs: %.1f s (cpu %.1f s), %.2f s per outer step (mean of the seeds' medians), peak RSS %.0f MB"):format(
    seconds, cpu, per_outer, peak))

  -- figure: meta-loss and test accuracy per outer step (mean, band ±1 sd over seeds), the
  -- learned activation (one seed: its snapshots over the outer steps; several: each seed's
  -- final f, light, and their mean)
  local fig = plot.figure{layout = "1x3", size = {1700, 560},
                          title = ("Meta-learning an activation function (%d outer x %d inner steps, %s)"):format(
                            cfg.outer, cfg.inner, #runs > 1 and ("mean ± sd of %d seeds"):format(#runs) or "1 seed")}
  local steps = {}
  for k = 1, cfg.outer do steps[k] = k end
  fig:panel{title = ("meta-loss (mean of the last %d inner losses)"):format(math.min(cfg.last, cfg.inner)),
            xlabel = "outer step", ylabel = "loss", series = {{x = steps, y = ml.mean, band = ml.lo and {ml.lo, ml.hi}}}}
  local hl = {}
  for i, n in ipairs(names) do hl[i] = {y = baselines_500[n], name = n, color = plot.colors[(i % #plot.colors) + 1]} end
  fig:panel{title = ("test accuracy, first %d test examples"):format(cfg.test_k), xlabel = "outer step",
            ylabel = "accuracy (%)", series = {{x = steps, y = ta.mean, band = ta.lo and {ta.lo, ta.hi},
                                               name = "learned (meta-training)", color = "#000000"}},
            hlines = hl}
  local series = {}
  if #runs == 1 then
    local snaps = runs[1].snapshots
    for i, snap in ipairs(snaps) do
      local t = #snaps > 1 and (i - 1) / (#snaps - 1) or 1
      local color = ("#%02x%02x%02x"):format(math.floor(40 + 200 * t), 60, math.floor(220 - 180 * t))
      series[i] = {x = GRID, y = snap.y, color = color,
                   name = (i == 1 or i == #snaps) and ("outer step %d"):format(snap.outer) or nil}
    end
  else
    for i, res in ipairs(runs) do
      series[i] = {x = GRID, y = res.learned_function.y, color = "#e8a0a0", width = 1,
                   name = i == 1 and "each seed" or nil}
    end
    series[#series + 1] = {x = GRID, y = lf.mean, color = "#d62728", name = "mean of the seeds"}
  end
  local elu_y = {}
  for i, x in ipairs(GRID) do elu_y[i] = x > 0 and x or math.exp(x) - 1 end
  series[#series + 1] = {x = GRID, y = elu_y, name = "elu", color = "#888888", dash = true}
  fig:panel{title = #runs == 1 and "learned activation (blue: early, red: late)" or "learned activation, final",
            xlabel = "x", ylabel = "f(x)", series = series}
  fig:save(cfg.figure, {pdf = true})
  fig:close()
  print("wrote " .. cfg.figure)

  return {
    threads = cfg.threads, seeds = seeds, per_seed = runs,
    meta_loss = ml.mean, meta_loss_sd = ml.sd, test_acc = ta.mean, test_acc_sd = ta.sd,
    learned_test_acc = evals.learned.test_acc, pwl_test_acc = evals.pwl.test_acc,
    baselines = baselines, baselines_500 = baselines_500, evals = evals,
    eval_note = ("test_acc: mean over %d meta-training seed(s), each the mean over %d evaluation seed(s) of the "
                 .. "accuracy on all test examples after %d inner steps; *_500: the first %d test examples (as the peer)"):format(
                 #runs, cfg.eval_seeds, cfg.eval_inner, cfg.test_k),
    learned_beats = beats, claims = claims,
    learned_function = {x = GRID, y = lf.mean, sd = lf.sd},
    seconds = seconds, cpu_seconds = cpu, seconds_per_outer_step = per_outer, peak_rss_mb = peak,
    figure = cfg.figure,
  }
end

sweep.main{
  name = "metalearn_afunc", argv = arg, options = OPTIONS,
  usage = "metalearn_afunc.lua: meta-learn an activation function through unrolled RMSprop, one meta-training per seed",
  configure = configure,
  runs = function(c)
    local runs = {}
    for k = 0, c.seeds - 1 do
      local r = {key = ("seed=%d"):format(c.seed + k), seed = c.seed + k, grad_out = c.grad_out ~= "" and c.grad_out or nil}
      -- every option that changes a run's result, so a run file of other options is redone
      for _, o in ipairs{"outer", "inner", "batch", "lr", "mu", "eps", "last", "meta_lr", "clamp", "noise", "hidden",
                         "meta_hidden", "test_k", "eval_seeds", "eval_inner", "dtype", "baselines", "knots", "snapshots"} do
        r[o] = c[o]
      end
      runs[#runs + 1] = r
    end
    return runs
  end,
  run = function(r) return run(r) end,
  merge = function(done) return merge(done) end,
}
