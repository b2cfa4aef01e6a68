-- tools/time_cnn_meta.lua — how fast is one unrolled meta-learning step of the paper's CNN?
--
-- nn.models.cnn (Conv1d 1->25 k5 s2 p1, 25->25 k3 s2 p1 twice, Linear 125->10), float32,
-- batch 100 from the frozen training set: `inner` SGD steps through model:apply(params, x)
-- with m1d.grad(loss, params, {create_graph = true}) and p <- p - lr * g, then the
-- gradient of the final inner loss w.r.t. the 0-dim lr.  Prints, per inner step, the
-- best of `reps` runs of: the unrolled loop, the final backward, and the two together;
-- the same in process CPU time (os.clock: steadier than wall time when other processes
-- share the cores); the tensor memory the unrolled graph holds before the final backward;
-- and d loss/d lr (the same value in every build, so two builds can be compared run for run).
--   ./m1d tools/time_cnn_meta.lua [--inner 30] [--reps 3] [--batch 100] [--dtype float32]
local m1d = require "m1d"
local nn, util = m1d.nn, m1d.util

local cfg = util.parse_args(arg, {inner = 30, reps = 3, batch = 100, dtype = "float32", seed = 0, threads = 1},
                            "time_cnn_meta.lua: time the unrolled CNN meta-step")
m1d.set_num_threads(cfg.threads)
local data = m1d.mnist1d.frozen{dtype = cfg.dtype}
m1d.manual_seed(cfg.seed)
local model = nn.models.cnn()
local p0 = {}
for i, p in ipairs(model:parameters()) do
  p0[i] = cfg.dtype == "float64" and p:detach():double():requires_grad() or p
end

local function meta_step()
  local lr = m1d.tensor(0.05, cfg.dtype):requires_grad()
  local c0, t0 = os.clock(), m1d.clock()
  local p, loss = p0, nil
  for s = 1, cfg.inner do
    local xb, yb = data:batch(((s - 1) * cfg.batch) % 4000 + 1, cfg.batch)
    loss = m1d.cross_entropy(model:apply(p, xb), yb)
    local g = m1d.grad(loss, p, {create_graph = true})
    local q = {}
    for i = 1, #p do q[i] = p[i] - lr * g[i] end
    p = q
  end
  local t1, c1 = m1d.clock(), os.clock()
  collectgarbage(); collectgarbage()
  local held = m1d.memstats().bytes_live
  local c2, t2 = os.clock(), m1d.clock()
  local d = m1d.grad(loss, lr)
  local t3, c3 = m1d.clock(), os.clock()
  return t1 - t0, t3 - t2, held, d:item(), loss:item(), c1 - c0, c3 - c2
end

meta_step()                                           -- warm-up (allocator, kernels)
local best_f, best_b, best_t, held, d, loss = math.huge, math.huge, math.huge
local cpu_f, cpu_b, cpu_t = math.huge, math.huge, math.huge
for _ = 1, cfg.reps do
  local f, b, cf, cb
  f, b, held, d, loss, cf, cb = meta_step()
  best_f, best_b, best_t = math.min(best_f, f), math.min(best_b, b), math.min(best_t, f + b)
  cpu_f, cpu_b, cpu_t = math.min(cpu_f, cf), math.min(cpu_b, cb), math.min(cpu_t, cf + cb)
  collectgarbage(); collectgarbage()
end
local n = cfg.inner
print(("cnn meta-step, %d inner steps, batch %d, %s, best of %d"):format(n, cfg.batch, cfg.dtype, cfg.reps))
print(("  per inner step: unrolled loop %.2f ms + final backward %.2f ms = %.2f ms (best total)"):format(
  1e3 * best_f / n, 1e3 * best_b / n, 1e3 * best_t / n))
print(("  CPU time:       unrolled loop %.2f ms + final backward %.2f ms = %.2f ms (best total)"):format(
  1e3 * cpu_f / n, 1e3 * cpu_b / n, 1e3 * cpu_t / n))
print(("  graph held before the final backward: %.1f MB; final loss %.6f; d loss/d lr %.6g"):format(
  held / 2^20, loss, d))
