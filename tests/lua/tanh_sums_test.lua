-- tanh_sums_test.lua — the fused sums of tanh derivatives (m1d.tanh_hsum, m1d.tanh_xsum)
-- and the pointwise MLP's higher-order gradients built on them: values against the same
-- sums composed of ops, float64 gradient checks to first, second and third order, fused
-- against composed gradients of orders 1 to 3, float32 against float64, no [N, H] layer
-- allocated at second order, bad input.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local check = require "m1d.check"

m1d.manual_seed(11)
local F = "float64"
local function randn(...) return m1d.randn({...}, F) end

-- P_m(t) = tanh^(m) as a polynomial in t: P_0 = t, P_{m+1} = P_m'(t) (1 - t^2)
local function poly_coefs(m)
  local c = {[0] = 0, 1}
  for _ = 1, m do
    local n = {}
    for d = 0, #c + 2 do n[d] = 0 end
    for d = 1, #c do
      n[d - 1] = n[d - 1] + d * c[d]
      n[d + 1] = n[d + 1] - d * c[d]
    end
    c = n
  end
  return c
end
-- tanh^(m)(z) of a tensor, composed of ops
local function dtanh(z, m)
  local t, c = z:tanh(), poly_coefs(m)
  local p = t * 0
  for d = #c, 0, -1 do p = p * t + c[d] end
  return p
end
-- the [N, H] composed references (differentiable at every order)
local function hsum_ref(x, a, b, c, orders)
  local N, H = x:numel(), a:numel()
  local z = x:reshape(N, 1) * a:reshape(1, H) + b:reshape(1, H)
  local rows = {}
  for r, m in ipairs(orders) do rows[r] = (dtanh(z, m) * c:select(1, r):reshape(1, H)):sum(2):reshape(N) end
  return m1d.stack(rows, 1)
end
local function xsum_ref(x, a, b, w, orders)
  local N, H = x:numel(), a:numel()
  local z = x:reshape(N, 1) * a:reshape(1, H) + b:reshape(1, H)
  local rows = {}
  for r, m in ipairs(orders) do rows[r] = (dtanh(z, m) * w:select(1, r):reshape(N, 1)):sum(1):reshape(H) end
  return m1d.stack(rows, 1)
end
local function maxdiff(a, b) return (a - b):abs():max():item() end

-- ---------------------------------------------------------------- values

do
  local N, H = 600, 7                        -- three kernel blocks, the last one partial
  local x, a, b = randn(N) * 1.5, randn(H), randn(H) * 0.5
  local orders = {0, 1, 2, 3, 4, 5, 6, 1}
  local c, w = randn(#orders, H), randn(#orders, N)
  local e1 = maxdiff(m1d.tanh_hsum(x, a, b, c, orders), hsum_ref(x, a, b, c, orders))
  local e2 = maxdiff(m1d.tanh_xsum(x, a, b, w, orders), xsum_ref(x, a, b, w, orders))
  T.ok(e1 < 1e-11, ("tanh_hsum orders 0..6 equals the composed sum (max difference %.3g)"):format(e1))
  T.ok(e2 < 1e-10, ("tanh_xsum orders 0..6 equals the composed sum (max difference %.3g)"):format(e2))
  -- order 15, the highest: against the recursion in Lua.  The coefficients of tanh^(15)
  -- and tanh^(16) reach 1.9e13 and 3.7e14 with alternating signs, so both evaluations lose
  -- digits to cancellation: 1e-8 of the largest value
  local xs, as, bs = randn(40) * 0.3, randn(3) * 0.5, randn(3) * 0.3
  local c15 = randn(1, 3)
  local e3 = maxdiff(m1d.tanh_hsum(xs, as, bs, c15, {15}), hsum_ref(xs, as, bs, c15, {15}))
  local scale = hsum_ref(xs, as, bs, c15, {15}):abs():max():item()
  T.ok(e3 <= 1e-8 * scale, ("tanh_hsum order 15 (max difference %.3g of %.3g)"):format(e3, scale))
  -- float32 (fast tanh) against float64
  local f1 = maxdiff(m1d.tanh_hsum(x:float(), a:float(), b:float(), c:float(), orders):double(),
                     m1d.tanh_hsum(x, a, b, c, orders))
  local f2 = maxdiff(m1d.tanh_xsum(x:float(), a:float(), b:float(), w:float(), orders):double(),
                     m1d.tanh_xsum(x, a, b, w, orders))
  local s1 = m1d.tanh_hsum(x, a, b, c, orders):abs():max():item()
  local s2 = m1d.tanh_xsum(x, a, b, w, orders):abs():max():item()
  T.ok(f1 < 1e-5 * s1 and f2 < 1e-5 * s2,
       ("float32 within 1e-5 of float64, relative to the largest value (%.3g, %.3g)"):format(f1 / s1, f2 / s2))
  -- an empty x: [R, 0] and zeros per hidden unit
  local e = m1d.tanh_hsum(m1d.zeros({0}, F), a, b, c, orders)
  local s = m1d.tanh_xsum(m1d.zeros({0}, F), a, b, m1d.zeros({#orders, 0}, F), orders)
  T.ok(e:size(1) == #orders and e:size(2) == 0 and s:abs():sum():item() == 0, "empty x: [R, 0] and zero sums")
end

-- ---------------------------------------------------------------- gradients, float64

do
  local x, a, b = randn(9) * 1.2, randn(4), randn(4) * 0.5
  local orders = {0, 2, 1}
  local c, w = randn(3, 4), randn(3, 9)
  local both = T.grad_orders
  both("tanh_hsum", function(x_, a_, b_, c_) return m1d.tanh_hsum(x_, a_, b_, c_, orders) end, {x, a, b, c})
  both("tanh_xsum", function(x_, a_, b_, w_) return m1d.tanh_xsum(x_, a_, b_, w_, orders) end, {x, a, b, w})
  both("tanh_hsum one row, order 1", function(x_, a_, b_, c_) return m1d.tanh_hsum(x_, a_, b_, c_, {1}) end,
       {x, a, b, randn(1, 4)})
  both("tanh_xsum one row, order 0", function(x_, a_, b_, w_) return m1d.tanh_xsum(x_, a_, b_, w_, {0}) end,
       {x, a, b, randn(1, 9)})
  -- over several kernel blocks (the fused first-order backward)
  local ok, msg = check.gradcheck(function(x_, a_, b_, w_) return m1d.tanh_xsum(x_, a_, b_, w_, {1, 3}) end,
                                  {randn(530), a, b, randn(2, 530)})
  T.ok(ok, "tanh_xsum over three kernel blocks: gradient", msg)
  -- one input at a time (the others constant): each gradient on its own
  for i, name in ipairs{"x", "a", "b", "c"} do
    ok, msg = check.gradgradcheck(function(x_, a_, b_, c_) return m1d.tanh_hsum(x_, a_, b_, c_, orders) end,
                                  {x, a, b, c}, {wrt = {i}})
    T.ok(ok, "tanh_hsum, second order in " .. name .. " alone", msg)
  end
  -- third order of both: gradgradcheck of the create_graph gradient
  local function grad_of(op)
    return function(x_, a_, b_, cw)
      local g = m1d.grad((op(x_, a_, b_, cw, orders) * op(x_, a_, b_, cw, orders)):sum(), {x_, a_, b_, cw},
                         {create_graph = true})
      return m1d.cat({g[1]:reshape(-1), g[2]:reshape(-1), g[3]:reshape(-1), g[4]:reshape(-1)}, 1)
    end
  end
  ok, msg = check.gradgradcheck(grad_of(m1d.tanh_hsum), {x, a, b, c})
  T.ok(ok, "tanh_hsum: third order", msg)
  ok, msg = check.gradgradcheck(grad_of(m1d.tanh_xsum), {x, a, b, w})
  T.ok(ok, "tanh_xsum: third order", msg)
end

-- ---------------------------------------------------------------- the pointwise MLP, orders 1 to 3

-- composed of ops: g(x) and its derivatives by autograd
local function pmlp_ref(x, w1, b1, w2, nder)
  local z = m1d.linear(x:reshape(-1, 1), w1, b1)
  local rows = {}
  for k = 0, nder do
    local wk = w2:reshape(-1)
    for _ = 1, k do wk = wk * w1:reshape(-1) end
    rows[k + 1] = (dtanh(z, k) * wk:reshape(1, -1)):sum(2):reshape(x:size())
  end
  return m1d.stack(rows, 1)
end

do
  local x, w1, b1, w2 = randn(3, 5) * 1.3, randn(6, 1), randn(6) * 0.5, randn(1, 6)
  for nder = 0, 3 do
    local ok, msg = check.gradgradcheck(function(a, b, c, d)
      local g = m1d.grad((m1d.pointwise_mlp(a, b, c, d, nder) ^ 2):sum(), {a, b, c, d}, {create_graph = true})
      return m1d.cat({g[1]:reshape(-1), g[2]:reshape(-1), g[3]:reshape(-1), g[4]:reshape(-1)}, 1)
    end, {x, w1, b1, w2})
    T.ok(ok, ("pointwise_mlp nder=%d: third order"):format(nder), msg)
  end
  -- fused against composed: gradients of order 1, 2 and 3 of a scalar in every input
  local function derivs(f, nder)
    local xs = {x:clone():requires_grad(), w1:clone():requires_grad(), b1:clone():requires_grad(),
                w2:clone():requires_grad()}
    local out = f(xs[1], xs[2], xs[3], xs[4], nder)
    local u = m1d.linspace(-1, 1, out:numel(), F):reshape(out:size())
    local l1 = (out * out * u):sum()
    local g1 = m1d.grad(l1, xs, {create_graph = true})
    local l2 = (g1[1] * g1[1]):sum() + (g1[2] * g1[3]):sum() + (g1[4] * g1[4]):sum()
    local g2 = m1d.grad(l2, xs, {create_graph = true})
    local l3 = (g2[1] * g2[1]):sum() + (g2[2] * g2[2]):sum() + (g2[3] * g2[4]):sum()
    local g3 = m1d.grad(l3, xs)
    return {g1, g2, g3}
  end
  for nder = 0, 3 do
    local a, b = derivs(m1d.pointwise_mlp, nder), derivs(pmlp_ref, nder)
    local worst = 0
    for o = 1, 3 do
      for i = 1, 4 do
        local scale = math.max(1, b[o][i]:abs():max():item())
        worst = math.max(worst, maxdiff(a[o][i], b[o][i]) / scale)
      end
    end
    T.ok(worst < 1e-12, ("pointwise_mlp nder=%d: orders 1-3 in every input equal the composed MLP's (%.3g)"):format(
         nder, worst))
  end
  -- a gradient in x alone (parameters requiring grad but not wanted) and in the parameters alone
  local xr, a, b, c = x:clone():requires_grad(), w1:clone():requires_grad(), b1:clone():requires_grad(),
                      w2:clone():requires_grad()
  local full = m1d.grad((m1d.pointwise_mlp(xr, a, b, c, 1) ^ 2):sum(), {xr, a, b, c}, {create_graph = true})
  local gx = m1d.grad((m1d.pointwise_mlp(xr, a, b, c, 1) ^ 2):sum(), {xr}, {create_graph = true})[1]
  local gp = m1d.grad((m1d.pointwise_mlp(xr, a, b, c, 1) ^ 2):sum(), {a, c}, {create_graph = true})
  T.ok(maxdiff(gx, full[1]) == 0 and maxdiff(gp[1], full[2]) == 0 and maxdiff(gp[2], full[4]) == 0,
       "pointwise_mlp create_graph: gradients of a subset of inputs equal those of all")
  local h = m1d.grad(gx:sum(), {c})[1]
  local href = m1d.grad(full[1]:sum(), {c})[1]
  T.ok(maxdiff(h, href) == 0, "... and so do their own gradients")
end

-- ---------------------------------------------------------------- no [N, H] layer, at any order

-- every tensor a second-order gradient allocates, counted (m1d.memstats counts every
-- request): together less than one [N, H] float64 layer
do
  local N, H = 20000, 200
  local xs = {randn(N):requires_grad(), randn(H, 1):requires_grad(), randn(H):requires_grad(),
              randn(1, H):requires_grad()}
  local before = m1d.memstats().bytes_allocated
  local out = m1d.pointwise_mlp(xs[1], xs[2], xs[3], xs[4], 1)
  local g = m1d.grad((out * out):sum(), xs, {create_graph = true})
  local l2 = (g[1] * g[1]):sum() + g[2]:sum() + g[3]:sum() + g[4]:sum()
  local _ = m1d.grad(l2, xs)
  local bytes = m1d.memstats().bytes_allocated - before
  T.ok(bytes < N * H * 8, ("pointwise_mlp, forward and two orders of gradient: %.1f MB allocated in all, " ..
       "less than one [%d, %d] layer (%.1f MB)"):format(bytes / 2^20, N, H, N * H * 8 / 2^20))
end

-- ---------------------------------------------------------------- bad input

local x, a, b = randn(5), randn(3), randn(3)
T.raises(function() return m1d.tanh_hsum(randn(5, 1), a, b, randn(1, 3), {0}) end,
         "tanh_hsum: x must be 1-D", "tanh_hsum", "x must be 1-D", "[5,1]")
T.raises(function() return m1d.tanh_hsum(x, randn(3, 1), b, randn(1, 3), {0}) end,
         "tanh_hsum: a must be 1-D", "tanh_hsum", "a must be 1-D", "[3,1]")
T.raises(function() return m1d.tanh_xsum(x, a, randn(4), randn(1, 5), {0}) end,
         "tanh_xsum: b's shape", "tanh_xsum", "b [4]", "[3]")
T.raises(function() return m1d.tanh_hsum(x, a, b, randn(2, 3), {0}) end,
         "tanh_hsum: c's rows must match the orders", "tanh_hsum", "c must be [R, H] = [1, 3]", "[2,3]")
T.raises(function() return m1d.tanh_xsum(x, a, b, randn(1, 4), {0}) end,
         "tanh_xsum: w must be [R, N]", "tanh_xsum", "w must be [R, N] = [1, 5]", "[1,4]")
T.raises(function() return m1d.tanh_hsum(x, m1d.zeros({0}, F), m1d.zeros({0}, F), m1d.zeros({1, 0}, F), {0}) end,
         "tanh_hsum: empty hidden layer", "tanh_hsum", "H >= 1")
T.raises(function() return m1d.tanh_hsum(x, a:float(), b, randn(1, 3), {0}) end,
         "tanh_hsum: mixed dtypes", "tanh_hsum", "one dtype", "float32")
T.raises(function() return m1d.tanh_hsum(m1d.tensor({1, 2}, "int64"), a, b, randn(1, 3), {0}) end,
         "tanh_hsum: an integer x", "tanh_hsum", "int64")
T.raises(function() return m1d.tanh_hsum(x, a, b, randn(1, 3), {16}) end,
         "tanh_hsum: order above 15", "tanh_hsum", "orders must be integers 0 to 15", "position 1")
T.raises(function() return m1d.tanh_xsum(x, a, b, randn(2, 5), {0, 1.5}) end,
         "tanh_xsum: a fractional order", "tanh_xsum", "non-integer", "position 2")
T.raises(function() return m1d.tanh_hsum(x, a, b, randn(1, 3), 1) end,
         "tanh_hsum: orders not a list", "tanh_hsum", "orders (argument 5)", "number")
T.raises(function() return m1d.tanh_hsum(x, a, b, randn(1, 3), {}) end,
         "tanh_hsum: no orders", "tanh_hsum", "1 to 4096")
-- the gradient of order 15 is order 16: a plain backward computes it, a differentiable one
-- (which would record an order-16 call) fails with a clear error, no abort
do
  local xr, c1 = (x * 0.2):requires_grad(), randn(1, 3)
  local y = m1d.tanh_hsum(xr, a, b, c1, {15})
  local g = m1d.grad(y:sum(), {xr}, {retain_graph = true})[1]
  local ref = m1d.grad(hsum_ref(xr, a, b, c1, {15}):sum(), {xr})[1]
  local scale = ref:abs():max():item()
  T.ok(maxdiff(g, ref) <= 1e-8 * scale, ("order 15: a plain gradient, order 16 values (%.3g of %.3g; 1e-8 as above)"):format(
       maxdiff(g, ref), scale))
  T.raises(function() return m1d.grad(y:sum(), {xr}, {create_graph = true}) end,
           "order 15 under create_graph: an error naming the op", "tanh_hsum", "orders must be 0 to 15")
end
T.done()
