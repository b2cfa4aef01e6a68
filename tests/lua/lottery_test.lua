-- lottery_test.lua — the kernels that dominate a lottery-ticket retrain, checked exactly.
-- The float32 Adam update has AVX-512 / AVX2 versions next to the scalar loop (optim.c);
-- they must round exactly like the scalar formula (double arithmetic, one rounding to
-- float per stored value), for every length (vector body plus scalar tail).  The
-- reference here is that formula in Lua doubles, rounded to float with string.pack.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

local function f32(x) return (string.unpack("f", string.pack("f", x))) end

local function adam_ref(P, G, M, V, step, lr, b1, b2, eps, wd, decoupled)
  local ss, bs = lr / (1 - b1 ^ step), math.sqrt(1 - b2 ^ step)
  for i = 1, #P do
    local pi, gi = P[i], G[i]
    if decoupled then pi = pi * (1 - lr * wd) else gi = gi + wd * pi end
    M[i] = f32(b1 * M[i] + (1 - b1) * gi)
    V[i] = f32(b2 * V[i] + (1 - b2) * gi * gi)
    P[i] = f32(pi - ss * M[i] / (math.sqrt(V[i]) / bs + eps))
  end
end

m1d.manual_seed(7)
for _, n in ipairs{1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 1003} do
  for _, case in ipairs{{false, 0}, {false, 0.01}, {true, 0.01}} do
    local decoupled, wd = case[1], case[2]
    local p, g = m1d.randn(n), m1d.randn(n)
    local m, v = m1d.randn(n) * 0.1, m1d.rand(n) * 0.01
    local P, M, V = p:totable(), m:totable(), v:totable()
    for step = 1, 3 do
      g = m1d.randn(n)
      m1d.adam_update(p, g, m, v, step, 2e-2, 0.9, 0.999, 1e-8, wd, decoupled)
      adam_ref(P, g:totable(), M, V, step, 2e-2, 0.9, 0.999, 1e-8, wd, decoupled)
    end
    local bad = 0
    local pt, mt, vt = p:totable(), m:totable(), v:totable()
    for i = 1, n do if pt[i] ~= P[i] or mt[i] ~= M[i] or vt[i] ~= V[i] then bad = bad + 1 end end
    T.is(bad, 0, ("adam float32 n=%d decoupled=%s wd=%g: bit-identical to the scalar formula"):format(
      n, tostring(decoupled), wd))
  end
end

-- Masked training (the lottery protocol): pruned weights stay exactly zero through
-- train.fit, and surviving weights move.
do
  m1d.manual_seed(0)
  local data = m1d.mnist1d.frozen()
  local model = m1d.nn.models.mlp(32)
  local masks = {}
  for i, p in ipairs(model:parameters()) do masks[i] = m1d.rand(table.unpack(p:size())):gt(0.7):float() end
  model:set_masks(masks)
  local before = model:state()
  m1d.train.fit{model = model, data = data, steps = 20, batch = 100, lr = 2e-2, eval_every = 10, progress = false}
  local leaked, moved = 0, 0
  for i, p in ipairs(model:parameters()) do
    leaked = leaked + ((p * (1 - masks[i])):abs():sum():item() > 0 and 1 or 0)
    moved = moved + ((p - before[i]):abs():sum():item() > 0 and 1 or 0)
  end
  T.is(leaked, 0, "masked training: pruned weights stay zero")
  T.is(moved, #masks, "masked training: every parameter's surviving entries are trained")
end

T.done()
