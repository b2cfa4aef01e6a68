-- tools/meta_gru.lua — time the meta-learning loop through the paper's bidirectional GRU.
--
-- The loop: nn.models.gru (hidden 6, 40 steps), batch 100 of the frozen MNIST-1D training
-- set, STEPS unrolled SGD steps p <- p - lr * dL/dp through model:apply(p, x), each
-- gradient taken with create_graph, then d(mean inner loss)/d(lr).  Every GRU direction's
-- first-order backward is then itself differentiated once (a second-order backward).
-- Prints ms per inner step (the whole repeat, unroll and meta-gradient, divided by
-- STEPS; median and range over the repeats), user and system CPU, peak RSS, and the
-- meta-gradient (so that two builds can be checked to compute the same thing).
--
--   ./m1d tools/meta_gru.lua [--steps 30] [--batch 100] [--repeats 5] [--dtype float32] [--threads 1]
-- The PyTorch peer of the same loop: /usr/bin/python3 tools/meta_gru_torch.py (same options).
local m1d = require "m1d"
local nn, util = m1d.nn, m1d.util

local cfg = util.parse_args(arg, {steps = 30, batch = 100, repeats = 5, dtype = "float32", threads = 1,
                                  lr = 0.1, seed = 0},
                            "meta_gru.lua: time unrolled meta-learning steps through the bidirectional GRU")
m1d.set_num_threads(cfg.threads)

-- user and system CPU seconds of this process (/proc/self/stat fields 14 and 15, in ticks of
-- 1/100 s on Linux)
local function cpu()
  local f = io.open("/proc/self/stat")
  if not f then return 0, 0 end
  local s = f:read("a"); f:close()
  local rest = s:match("%) (.*)$")
  local fields = {}
  for w in rest:gmatch("%S+") do fields[#fields + 1] = w end
  return tonumber(fields[12]) / 100, tonumber(fields[13]) / 100   -- fields 14, 15 counted from 3
end

local data = m1d.mnist1d.frozen{dtype = cfg.dtype}
m1d.manual_seed(cfg.seed)
local model = nn.models.gru()
local p0 = model:parameters()
if cfg.dtype == "float64" then for i, p in ipairs(p0) do p0[i] = p:detach():double():requires_grad() end end

local function repeat_once()
  local lr = m1d.tensor(cfg.lr, cfg.dtype):requires_grad()
  local p, total = p0, nil
  for s = 1, cfg.steps do
    local xb, yb = data:batch((s - 1) * cfg.batch + 1, cfg.batch)
    local loss = m1d.cross_entropy(model:apply(p, xb), yb)
    local g = m1d.grad(loss, p, {create_graph = true})
    local q = {}
    for i = 1, #p do q[i] = p[i] - lr * g[i] end
    p = q
    total = total and total + loss or loss
  end
  local meta = total / cfg.steps
  return meta:item(), m1d.grad(meta, lr):item()
end

local times, u0, s0 = {}, cpu()
local meta, dlr
for r = 0, cfg.repeats do                          -- repeat 0 warms up, untimed
  collectgarbage(); collectgarbage()
  local t0 = m1d.clock()
  meta, dlr = repeat_once()
  if r > 0 then times[#times + 1] = (m1d.clock() - t0) * 1e3 / cfg.steps end
end
local u1, s1 = cpu()
table.sort(times)
local n = #times
print(("meta_gru %s batch %d, %d inner steps, %d repeats: %.2f ms per inner step (median; min %.2f, max %.2f)"):format(
  cfg.dtype, cfg.batch, cfg.steps, n, times[(n + 1) // 2], times[1], times[n]))
print(("cpu user %.2f s, system %.2f s (all %d repeats and the warm-up: %.2f ms CPU per inner step), peak RSS %.0f MB"):format(
  u1 - u0, s1 - s0, n + 1, (u1 - u0 + s1 - s0) * 1e3 / ((n + 1) * cfg.steps), m1d.peak_rss_mb()))
print(("meta-loss %.9g, d meta-loss / d lr %.9g"):format(meta, dlr))
