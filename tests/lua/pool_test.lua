-- pool_test.lua — the fused pools (ops_pool.c) against the op-composed ones they
-- replaced: forward values, first-order gradients, the rebuilt higher orders, odd shapes
-- and strides, non-contiguous input, NaN, ties and bad input.  (Gradient checks of both
-- orders: gradcheck_test.lua; values against PyTorch: torch_ref_test.lua.)
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

local function maxdiff(a, b) return (a - b):abs():max():item() end

local CASES = {
  {"max", function(x, k, s) return m1d.max_pool1d(x, k, s) end, function(x, k, s) return m1d.max_pool1d_composed(x, k, s) end},
  {"avg", function(x, k, s) return m1d.avg_pool1d(x, k, s) end, function(x, k, s) return m1d.avg_pool1d_composed(x, k, s) end},
  {"l2", function(x, k, s) return m1d.lp_pool1d(x, 2, k, s) end, function(x, k, s) return m1d.lp_pool1d_composed(x, 2, k, s) end},
  {"l3", function(x, k, s) return m1d.lp_pool1d(x:abs(), 3, k, s) end,
         function(x, k, s) return m1d.lp_pool1d_composed(x:abs(), 3, k, s) end},
}
local SHAPES = {{2, 2, 40, 2, 2}, {3, 4, 9, 3, 2}, {2, 3, 7, 3, 1}, {1, 2, 5, 5, 5}, {2, 1, 11, 2, 3}}

m1d.manual_seed(0)
for _, case in ipairs(CASES) do
  local name, fused, composed = case[1], case[2], case[3]
  for _, sh in ipairs(SHAPES) do
    local N, C, L, k, s = table.unpack(sh)
    local label = ("%s k %d s %d on [%d,%d,%d]"):format(name, k, s, N, C, L)
    for _, dt in ipairs{"float64", "float32"} do
      local tol = dt == "float64" and 1e-12 or 1e-5
      local x = m1d.randn(N, C, L, dt):requires_grad()
      local yf, yc = fused(x, k, s), composed(x, k, s)
      T.ok(maxdiff(yf, yc) <= tol, ("%s %s: fused forward = composed"):format(label, dt), maxdiff(yf, yc))
      local w = m1d.randn(yf:size(), dt)
      local gf = m1d.grad((yf * w):sum(), {x})[1]
      local gc = m1d.grad((yc * w):sum(), {x})[1]
      T.ok(maxdiff(gf, gc) <= tol, ("%s %s: fused gradient = composed"):format(label, dt), maxdiff(gf, gc))
    end
  end
  -- second and third order through the rebuild, against the composed pool (float64)
  local x = m1d.randn(2, 3, 9, "float64"):requires_grad()
  local function orders(f)
    local y = f(x, 3, 2)
    local g1 = m1d.grad((y * y):sum(), {x}, {create_graph = true})[1]
    local g2 = m1d.grad((g1 * g1):sum(), {x}, {create_graph = true})[1]
    local g3 = m1d.grad((g2 * x):sum(), {x})[1]
    return g1, g2, g3
  end
  local f1, f2, f3 = orders(fused)
  local c1, c2, c3 = orders(composed)
  T.ok(maxdiff(f1, c1) < 1e-12 and maxdiff(f2, c2) < 1e-10 and maxdiff(f3, c3) < 1e-9,
       name .. ": first, second and third order equal the composed pool's",
       ("%g %g %g"):format(maxdiff(f1, c1), maxdiff(f2, c2), maxdiff(f3, c3)))
end

-- non-contiguous input (a transposed view)
local xt = m1d.randn(2, 40, 3, "float64"):transpose(2, 3)
T.ok(not xt:is_contiguous() and maxdiff(m1d.max_pool1d(xt, 2), m1d.max_pool1d_composed(xt, 2)) == 0,
     "a non-contiguous input pools like its contiguous copy")
-- and its gradients of every order reach the input (the rebuild must stand in for the
-- recorded input, not a contiguous copy of it)
for _, case in ipairs(CASES) do
  local x0 = m1d.randn(2, 9, 3, "float64"):requires_grad()
  local function orders(f)
    local y = f(x0:transpose(2, 3), 3, 2)
    local g1 = m1d.grad((y * y):sum(), {x0}, {create_graph = true})[1]
    return g1, m1d.grad((g1 * g1):sum(), {x0})[1]
  end
  local ok, f1, f2 = pcall(orders, case[2])
  local c1, c2 = orders(case[3])
  T.ok(ok and maxdiff(f1, c1) < 1e-12 and maxdiff(f2, c2) < 1e-10,
       case[1] .. ": first and second order through a transposed input", ok and "" or f1)
end

-- ties go to the first maximum, NaN propagates (as in torch), an all-zero Lp window gets 0
local tie = m1d.tensor({{{1, 1, 0, 2}}}, "float64"):requires_grad()
m1d.max_pool1d(tie, 2):sum():backward()
T.is(table.concat(tie.grad:flatten():totable(), " "), "1.0 0.0 0.0 1.0", "max pool: a tie's gradient goes to the first")
local nan = m1d.tensor({{{1, 0 / 0, 3, 2}}}, "float64")
local y = m1d.max_pool1d(nan, 2):flatten():totable()
T.ok(y[1] ~= y[1] and y[2] == 3, "max pool: a NaN in a window wins it", tostring(y[1]))
local z = m1d.tensor({{{0, 0, 1, 2}}}, "float64"):requires_grad()
m1d.lp_pool1d(z, 2, 2):sum():backward()
local gz = z.grad:flatten():totable()
T.ok(gz[1] == 0 and gz[2] == 0 and math.abs(gz[4] - 2 / math.sqrt(5)) < 1e-15, "lp pool: an all-zero window gets gradient 0")

-- the batch-last layout ("CLN", [C, L, N]): the same bits as NCL permuted, forward and
-- first-order backward (the same arithmetic per element), NaN and ties included; the
-- rebuilt second order against NCL's; gradient checks of both orders in float64
local CLN_CASES = {
  {"max", function(x, k, s, l) return m1d.max_pool1d(x, k, s, l) end},
  {"avg", function(x, k, s, l) return m1d.avg_pool1d(x, k, s, l) end},
  {"l2", function(x, k, s, l) return m1d.lp_pool1d(x, 2, k, s, l) end},
  {"l3", function(x, k, s, l) return m1d.lp_pool1d(x:abs(), 3, k, s, l) end},
}
local function to_cln(t) return t:permute(2, 3, 1) end
local function same_bits(a, b)           -- equal elements, NaN equal to NaN
  local ta, tb = a:contiguous():flatten():totable(), b:contiguous():flatten():totable()
  if #ta ~= #tb then return false end
  for i = 1, #ta do if ta[i] ~= tb[i] and (ta[i] == ta[i] or tb[i] == tb[i]) then return false end end
  return true
end
for _, case in ipairs(CLN_CASES) do
  local name, f = case[1], case[2]
  for _, sh in ipairs(SHAPES) do
    local N, C, L, k, s = table.unpack(sh)
    local label = ("CLN %s k %d s %d on [%d,%d,%d]"):format(name, k, s, C, L, N)
    for _, dt in ipairs{"float32", "float64"} do
      local x = m1d.randn(N, C, L, dt)
      if name == "max" then x[1][1][1] = 0 / 0; x[N][C][L] = x[N][C][L - 1] end   -- a NaN and a tie
      local xa, xb = x:clone():requires_grad(), to_cln(x):contiguous():requires_grad()
      local ya, yb = f(xa, k, s), f(xb, k, s, "CLN")
      local w = m1d.randn(ya:size(), dt)
      w[1][1][1] = 1
      local ga = m1d.grad((ya * w):sum(), {xa})[1]
      local gb = m1d.grad((yb * to_cln(w)):sum(), {xb})[1]
      local same = same_bits(ya, yb:permute(3, 1, 2)) and same_bits(ga, gb:permute(3, 1, 2))
      T.ok(same, ("%s %s: forward and gradient are NCL's, permuted, to the bit"):format(label, dt))
    end
  end
  local x = m1d.randn(3, 2, 9, "float64")
  local function second(xx, layout)
    local y = f(xx, 3, 2, layout)
    local g1 = m1d.grad((y * y):sum(), {xx}, {create_graph = true})[1]
    return m1d.grad((g1 * g1):sum(), {xx})[1]
  end
  local xa, xb = x:clone():requires_grad(), to_cln(x):contiguous():requires_grad()
  local d = maxdiff(second(xa), second(xb, "CLN"):permute(3, 1, 2))
  T.ok(d < 1e-12, ("CLN %s: the rebuilt second order is NCL's permuted (%.2g)"):format(name, d))
  T.grad_orders("CLN " .. name .. " pool", function(xx) return f(xx, 3, 2, "CLN") end,
                {to_cln(m1d.randn(2, 3, 9, "float64")):contiguous()})
end
T.raises(function() m1d.max_pool1d(m1d.zeros(2, 40), 2, 2, "CLN") end, "CLN max_pool1d of 2-D input names the layout",
         "max_pool1d: input must be [channels, length, batch]")
T.raises(function() m1d.avg_pool1d(m1d.zeros(2, 3, 4), 2, 2, "NLC") end, "an unknown layout", "invalid option 'NLC'")

-- bad input
T.raises(function() m1d.max_pool1d(m1d.zeros(2, 40), 2) end, "max_pool1d of 2-D input", "max_pool1d: input must be [batch, channels, length]")
T.raises(function() m1d.avg_pool1d(m1d.zeros(1, 1, 3), 4) end, "avg_pool1d kernel longer than the input", "avg_pool1d: kernel 4 stride 4 do not fit")
T.raises(function() m1d.lp_pool1d(m1d.zeros(1, 1, 4), 0, 2) end, "lp_pool1d with p = 0", "norm p must be positive")
T.raises(function() m1d.max_pool1d(m1d.zeros({1, 1, 4}, "int64"), 2) end, "max_pool1d of int64", "max_pool1d")
T.raises(function() m1d.max_pool1d(m1d.zeros(1, 1, 4), 2, 0) end, "stride 0", "stride 0")
T.done()
