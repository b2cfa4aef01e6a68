-- lottery_test.lua — the kernels that dominate a lottery-ticket retrain, checked exactly.
-- The float32 Adam update (optim.c) computes in float32 in torch.optim.Adam's order of
-- operations, as a loop GCC vectorises and builds for AVX-512, AVX2 and the baseline.
-- Every version must round exactly like that formula, for every length (vector body plus
-- scalar tail).  The reference emulates each float32 operation in Lua: computed in double,
-- then rounded to float with string.pack.  For +, -, *, / and sqrt of floats that double
-- rounding is innocuous (53 >= 2*24 + 2), so the result is the correctly rounded float one.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

local function f32(x) return (string.unpack("f", string.pack("f", x))) end

-- torch.optim.Adam/AdamW's single-tensor step on float32 tensors: each scalar computed in
-- double and rounded to float once, each tensor operation one float32 operation.
local function adam_ref(P, G, M, V, step, lr, b1, b2, eps, wd, decoupled)
  local neg_ss = f32(-(lr / (1 - b1 ^ step)))
  local bc2_sqrt = f32(math.sqrt(1 - b2 ^ step))
  local decay, wd32 = f32(1 - lr * wd), f32(wd)
  local b1f, b1c, b2f, b2c, eps32 = f32(b1), f32(1 - b1), f32(b2), f32(1 - b2), f32(eps)
  for i = 1, #P do
    local p, g = P[i], G[i]
    if decoupled then p = f32(p * decay)                      -- param.mul_(1 - lr*wd)
    elseif wd ~= 0 then g = f32(g + f32(wd32 * p)) end        -- grad.add(param, alpha=wd)
    M[i] = f32(f32(M[i] * b1f) + f32(b1c * g))                 -- mul_(b1).add_(g, alpha=1-b1)
    V[i] = f32(f32(V[i] * b2f) + f32(f32(b2c * g) * g))        -- mul_(b2).addcmul_(g, g, value=1-b2)
    local denom = f32(f32(f32(math.sqrt(V[i])) / bc2_sqrt) + eps32)
    P[i] = f32(p + f32(f32(neg_ss * M[i]) / denom))            -- addcdiv_(m, denom, value=-ss)
  end
end

-- "dead": every third weight gets gradients of exactly 0 and a subnormal first moment, as
-- a dead ReLU unit's weights do after some 800 steps (some of them at 0, so that the
-- subnormal quotient itself is the new weight): the float products with subnormals must
-- round like everything else.
m1d.manual_seed(7)
for _, n in ipairs{1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 1003} do
  for _, case in ipairs{{false, 0}, {false, 0.01}, {true, 0.01}, {false, 0, true}, {true, 0.01, true}} do
    local decoupled, wd, dead = case[1], case[2], case[3]
    local p, g = m1d.randn(n), m1d.randn(n)
    local m, v = m1d.randn(n) * 0.1, m1d.rand(n) * 0.01
    if dead then
      local pt, mt = p:totable(), m:totable()
      for i = 1, n, 3 do
        if i % 2 == 1 then mt[i] = 4e-45 else mt[i], pt[i] = -3e-39, 0 end
      end
      p, m = m1d.tensor(pt), m1d.tensor(mt)
    end
    local P, M, V = p:totable(), m:totable(), v:totable()
    for step = 1, 3 do
      g = m1d.randn(n)
      if dead then
        local gt = g:totable()
        for i = 1, n, 3 do gt[i] = 0 end
        g = m1d.tensor(gt)
      end
      m1d.core.adam_update(p, g, m, v, step, 2e-2, 0.9, 0.999, 1e-8, wd, decoupled)
      adam_ref(P, g:totable(), M, V, step, 2e-2, 0.9, 0.999, 1e-8, wd, decoupled)
    end
    local bad = 0
    local pt, mt, vt = p:totable(), m:totable(), v:totable()
    for i = 1, n do if pt[i] ~= P[i] or mt[i] ~= M[i] or vt[i] ~= V[i] then bad = bad + 1 end end
    T.is(bad, 0, ("adam float32 n=%d decoupled=%s wd=%g%s: bit-identical to the float32 formula"):format(
      n, tostring(decoupled), wd, dead and " dead" or ""))
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
