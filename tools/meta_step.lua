-- tools/meta_step.lua — what does one unrolled meta-learning step cost, in time and memory?
--
-- The loop: a learned learning rate `lr` (a float32 0-dim tensor requiring grad), K inner
-- SGD steps p <- p - lr * grad(loss(p), create_graph) through model:apply(p, x) at batch
-- 100, then the gradient of a final loss (after the K steps) with respect to lr.  One such
-- outer step is timed (wall and process CPU time); reported per inner step (outer step
-- time / K), median of repeats, next to the CPU time of a first-order training step
-- (plain grad, no graph) of the same model.
--
-- Also: user and system CPU time and minor page faults per inner step (from
-- /proc/self/stat, 10 ms ticks), for the repeats and for the first outer step of a fresh
-- process, whose memory is all new; live tensor bytes and resident memory at the end of
-- that first unroll; peak RSS.  Each (model, K) runs in a fresh child process, so resident
-- sizes do not inherit an earlier run's caches; "per unrolled step" is the difference
-- between K2 and K1 divided by K2 - K1.
--
--   ./m1d tools/meta_step.lua [--models mlp,cnn] [--ks 30,60] [--repeats 7]
--   (models: nn.models' mlp, cnn, gru, logistic, and mlp_tanh, metalearn_lr's 40-50-10 tanh MLP)
--   ./m1d tools/meta_step.lua --child mlp --k 30 --repeats 7      (one run, prints one line)
local m1d = require "m1d"
local nn, optim, util = m1d.nn, m1d.optim, m1d.util

local cfg = util.parse_args(arg, {models = "mlp,cnn", ks = "30,60", repeats = 7, child = "", k = 30,
                                  batch = 100, seed = 0, first_order = 200, collect = false},
                            "meta_step.lua: cost of an unrolled meta-learning step")

local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end

-- /proc/self/stat: utime, stime (clock ticks), minflt, majflt
local TICK = 100    -- USER_HZ on Linux
local function procstat()
  local f = assert(io.open("/proc/self/stat", "r"))
  local s = f:read("a")
  f:close()
  local rest = s:match("%) (.*)$")
  local v = {}
  for w in rest:gmatch("%S+") do v[#v + 1] = w end
  -- proc(5) numbers fields from 1 (pid); `rest` starts at field 3 (state)
  local function field(i) return tonumber(v[i - 2]) end
  return {utime = field(14) / TICK, stime = field(15) / TICK, minflt = field(10), majflt = field(12)}
end

if cfg.child ~= "" then
  local name, K, B = cfg.child, cfg.k, cfg.batch
  local data = m1d.mnist1d.frozen()
  m1d.manual_seed(cfg.seed)
  -- mlp_tanh: the metalearn_lr experiment's 40-50-10 tanh MLP
  local extra = {mlp_tanh = function() return nn.Sequential(nn.Linear(40, 50), nn.Tanh(), nn.Linear(50, 10)) end}
  local model = assert(nn.models[name] or extra[name], "unknown model " .. name)()
  local init = model:parameters()
  local n = data.x:size(1)
  local function batch(s)
    local st = (s * B) % (n - B)
    return data.x:narrow(1, st + 1, B), data.y:narrow(1, st + 1, B)
  end

  -- first-order step, for the ratio: loss, plain gradients, p - 0.01 g (no graph kept)
  local fo = {}
  do
    local p = {}
    for i, t in ipairs(init) do p[i] = t:detach():clone():requires_grad() end
    for s = 1, cfg.first_order + 20 do
      local t0 = os.clock()
      local x, y = batch(s)
      local loss = nn.cross_entropy(model:apply(p, x), y)
      local g = m1d.grad(loss, p)
      m1d.no_grad(function() for i = 1, #p do p[i] = (p[i] - 0.01 * g[i]):requires_grad() end end)
      if s > 20 then fo[#fo + 1] = (os.clock() - t0) * 1e3 end
    end
  end
  collectgarbage(); collectgarbage()

  local lr = m1d.tensor(0.05, "float32"):requires_grad()
  local times, cpu, unroll_ms, back_ms, live, rss = {}, {}, {}, {}, {}, {}
  local st0, st1, stw, warm
  stw = procstat()
  for r = 0, cfg.repeats do              -- repeat 0 is a warm-up (fresh memory: page faults)
    if r == 1 then st0 = procstat() end
    local c0, t0 = os.clock(), m1d.clock()
    local p = init
    for s = 1, K do
      local x, y = batch(s)
      local loss = nn.cross_entropy(model:apply(p, x), y)
      p = optim.sgd_step(p, m1d.grad(loss, p, {create_graph = true}), lr)
    end
    local x, y = batch(K + 1)
    local final = nn.cross_entropy(model:apply(p, x), y)
    local t1 = m1d.clock()
    local ms = m1d.memstats()
    local rss_now = m1d.rss_mb()
    local t2 = m1d.clock()
    local glr = m1d.grad(final, lr)
    assert(glr:item() == glr:item(), "meta-gradient is NaN")
    local t3, c3 = m1d.clock(), os.clock()
    if r == 0 then
      local sw = procstat()
      warm = {ms = ((t1 - t0) + (t3 - t2)) * 1e3 / K, rss_mb = rss_now, live_mb = ms.bytes_live / 2^20, sys_ms = (sw.stime - stw.stime) * 1e3 / K,
              user_ms = (sw.utime - stw.utime) * 1e3 / K, minflt = (sw.minflt - stw.minflt) / K}
    else
      times[r] = ((t1 - t0) + (t3 - t2)) * 1e3 / K
      cpu[r] = (c3 - c0) * 1e3 / K
      unroll_ms[r], back_ms[r] = (t1 - t0) * 1e3 / K, (t3 - t2) * 1e3 / K
      live[r], rss[r] = ms.bytes_live / 2^20, rss_now
    end
    p, final, glr = nil, nil, nil
    if cfg.collect then collectgarbage() end   -- --collect: free each outer step's graph at once
  end
  st1 = procstat()
  local steps = cfg.repeats * K
  local out = {model = name, K = K, ms = median(times), cpu_ms = median(cpu), unroll_ms = median(unroll_ms), back_ms = median(back_ms),
               first_order_ms = median(fo),
               user_ms = (st1.utime - st0.utime) * 1e3 / steps, sys_ms = (st1.stime - st0.stime) * 1e3 / steps,
               minflt = (st1.minflt - st0.minflt) / steps, majflt = (st1.majflt - st0.majflt) / steps,
               warm_ms = warm.ms, warm_sys_ms = warm.sys_ms, warm_user_ms = warm.user_ms, warm_minflt = warm.minflt,
               warm_rss_mb = warm.rss_mb, warm_live_mb = warm.live_mb,
               live_mb = median(live), rss_mb = median(rss), peak_rss_mb = m1d.peak_rss_mb()}
  print(util.json_encode(out))
  return
end

-- driver: one child per (model, K)
local exe = arg[-1] or "./m1d"
local script = arg[0]
print(("%-5s %4s %8s %8s %8s %8s %8s %6s %8s %8s %8s | %8s %8s %8s %8s | %8s %8s %8s"):format("model", "K", "ms/step",
  "cpu ms", "unroll", "outer-bw", "1st-ord", "ratio", "user ms", "sys ms", "minflt", "1st ms", "1st user", "1st sys", "1st flt",
  "live MB", "RSS MB", "peak MB"))
for name in cfg.models:gmatch("[^,]+") do
  local rs = {}
  for k in cfg.ks:gmatch("[^,]+") do
    local cmd = ("%s %s --child %s --k %s --repeats %d --batch %d --seed %d%s"):format(exe, script, name, k,
      cfg.repeats, cfg.batch, cfg.seed, cfg.collect and " --collect" or "")
    local f = assert(io.popen(cmd, "r"))
    local text = f:read("a")
    f:close()
    local line = text:match("(%b{})%s*$")
    if not line then error("meta_step: child failed: " .. cmd .. "\n" .. text, 0) end
    local r = util.json_decode(line)
    rs[#rs + 1] = r
    print(("%-5s %4d %8.3f %8.3f %8.3f %8.3f %8.3f %6.1f %8.3f %8.3f %8.1f | %8.3f %8.3f %8.3f %8.0f | %8.1f %8.1f %8.1f"):format(
      name, r.K, r.ms, r.cpu_ms, r.unroll_ms, r.back_ms, r.first_order_ms, r.cpu_ms / r.first_order_ms, r.user_ms, r.sys_ms,
      r.minflt, r.warm_ms, r.warm_user_ms, r.warm_sys_ms, r.warm_minflt, r.warm_live_mb, r.warm_rss_mb, r.peak_rss_mb))
  end
  if #rs >= 2 then
    local a, b = rs[1], rs[#rs]
    local d = b.K - a.K
    print(("%-5s per unrolled step (K %d -> %d): %.3f MB live, %.3f MB RSS at the end of the unroll, %.3f MB peak RSS"):format(
      name, a.K, b.K, (b.warm_live_mb - a.warm_live_mb) / d, (b.warm_rss_mb - a.warm_rss_mb) / d,
      (b.peak_rss_mb - a.peak_rss_mb) / d))
  end
end
print("ms/step: wall time of an outer step / K (median of repeats), split into the unroll and the outer backward;")
print("cpu ms: the same in process CPU time (os.clock; steadier on a shared machine); 1st-ord: CPU time of a plain")
print("training step, ratio = cpu ms / 1st-ord; user/sys/minflt per inner step over the repeats; '1st': the first outer step of a fresh")
print("process (fresh memory: page faults); live/RSS: tensor bytes and resident size at the end of the first unroll.")
