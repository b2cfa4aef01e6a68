-- checkpoint_test.lua — m1d.checkpoint: same gradients (first and second order) as the
-- plain graph, and the 200-step meta-gradient of a learning rate equal to PyTorch's with
-- less peak memory.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

local function maxdiff(a, b) return (a - b):abs():max():item() end

m1d.manual_seed(1)
local x = m1d.randn(5, 3, "float64"):requires_grad()
local w = m1d.randn(3, 3, "float64"):requires_grad()
local function f(a, b) return a:matmul(b):tanh():matmul(b):sigmoid() end

local g1 = m1d.grad(f(x, w):pow(2):sum(), {x, w}, {create_graph = true})
local g2 = m1d.grad(m1d.checkpoint(f, x, w):pow(2):sum(), {x, w}, {create_graph = true})
T.ok(maxdiff(g1[1], g2[1]) < 1e-14 and maxdiff(g1[2], g2[2]) < 1e-14, "first-order gradients equal the plain graph's")
local h1 = m1d.grad((g1[1] * g1[1]):sum() + g1[2]:sum(), {x, w})
local h2 = m1d.grad((g2[1] * g2[1]):sum() + g2[2]:sum(), {x, w})
T.ok(maxdiff(h1[1], h2[1]) < 1e-12 and maxdiff(h1[2], h2[2]) < 1e-12, "second-order gradients through a checkpoint")

local ok, msg = m1d.gradgradcheck(function(a, b) return m1d.checkpoint(f, a, b) end, {x:detach():requires_grad(), w:detach():requires_grad()})
T.ok(ok, "gradgradcheck through a checkpoint", msg)

-- chained segments, list returns, y:backward()
local z = m1d.checkpoint(function(a, b) return a:matmul(b) end, x, w)
local z2 = m1d.checkpoint(function(a, b) return {a:matmul(b):tanh(), a:sum()} end, z, w)
local gz = m1d.grad(z2[1]:sum() + z2[2], w)
local gref = m1d.grad(x:matmul(w):matmul(w):tanh():sum() + x:matmul(w):sum(), w)
T.ok(maxdiff(gz, gref) < 1e-13, "chained checkpoints with list outputs")
local w2 = w:detach():requires_grad()
m1d.checkpoint(f, x:detach(), w2):sum():backward()
local w3 = w:detach():requires_grad()
f(x:detach(), w3):sum():backward()
T.ok(maxdiff(w2.grad, w3.grad) < 1e-14, "backward() through a checkpoint accumulates .grad")
T.raises(function()
  local y = m1d.checkpoint(function(a) if m1d.is_grad_enabled() and a.grad == nil and _G.__flip then error("boom") end
                           return a * 2 end, w)
  _G.__flip = true
  return m1d.grad(y:sum(), w)
end, "an error while recomputing is reported", "checkpoint", "boom")
_G.__flip = nil
T.raises(function() return m1d.checkpoint(function() return 1 end, w) end, "fn must return tensors", "checkpoint")

-- a chain of checkpointed segments is freed as soon as its graph dies: the payload of
-- segment k held segment k-1's outputs through Lua handles, so each collector cycle
-- released one link only, and repeated unrolls kept piling up memory and time
do
  local v = m1d.randn(64, 64, "float64"):requires_grad()
  local function seg(a, b) return (a:matmul(b) * 0.1):tanh() end
  local function unroll()
    local h = m1d.randn(8, 64, "float64")
    for _ = 1, 50 do h = m1d.checkpoint(seg, h, v) end
    return m1d.grad(h:sum(), v)
  end
  unroll(); collectgarbage(); collectgarbage()
  local live0 = m1d.memstats().bytes_live
  for _ = 1, 5 do unroll() end
  collectgarbage(); collectgarbage()
  local grown = m1d.memstats().bytes_live - live0
  T.ok(grown < 64 * 64 * 8 * 4, ("unrolled checkpoint chains are freed with their graph (live bytes grew by %d)"):format(grown))
end

-- the meta-gradient through 200 inner SGD steps, against the PyTorch fixture
local want_meta = m1d.load_npy("tests/fixtures/torch/meta_lr/steps200_lr0p5_meta_loss.npy"):item()
local want_d = m1d.load_npy("tests/fixtures/torch/meta_lr/steps200_lr0p5_dmeta_dlr.npy"):item()
local res = {}
for _, mode in ipairs{"plain", "checkpoint"} do
  local p = io.popen("lua5.4 tests/lua/meta_lr_probe.lua " .. mode)
  local out = p:read("a")
  p:close()
  local meta, d, rss = out:match("(%S+) (%S+) (%S+)")
  res[mode] = {meta = tonumber(meta), d = tonumber(d), rss = tonumber(rss)}
  T.ok(res[mode].d and math.abs(res[mode].d - want_d) <= 1e-8 * math.abs(want_d),
       ("%s: d meta / d lr through 200 steps matches PyTorch (%s vs %.12g)"):format(mode, tostring(d), want_d))
  T.ok(res[mode].meta and math.abs(res[mode].meta - want_meta) <= 1e-10, mode .. ": meta loss matches")
end
T.diag(("peak RSS: plain %.1f MB, checkpointed %.1f MB"):format(res.plain.rss or -1, res.checkpoint.rss or -1))
T.ok(res.checkpoint.rss < res.plain.rss, "checkpointing lowers peak memory")
T.done()
