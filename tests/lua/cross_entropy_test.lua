-- cross_entropy_test.lua — cross_entropy's gradient as one differentiable op,
-- cross_entropy_backward(x, labels, g) = (softmax(x) - onehot) * g / N, and softmax_jvp(x, v)
-- = p * (v - rowsum(v * p)) that its derivatives are made of: float64 checks against central
-- differences to first, second and third order; the fused loops (a backward without a graph)
-- against the recorded ops (create_graph) and against the same derivatives composed from
-- log_softmax; the graph a create_graph gradient records; bad input.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local check = require "m1d.check"

m1d.manual_seed(17)
local F = "float64"
local function randn(...) return m1d.randn({...}, F) end
local labels = m1d.tensor({0, 3, 1, 1, 4, 2}, "int64")

local both = T.grad_orders

-- ---------------------------------------------------------------- against central differences

both("softmax_jvp(x, v)", function(x, v) return m1d.softmax_jvp(x, v) end, {randn(6, 5), randn(6, 5)})
both("softmax_jvp of large logits", function(x, v) return m1d.softmax_jvp(x * 6, v) end,
     {randn(4, 7), randn(4, 7)}, {atol = 1e-4})
both("cross_entropy_backward(x, labels, g) in x and g",
     function(x, g) return m1d.cross_entropy_backward(x, labels, g) end, {randn(6, 5), m1d.tensor(1.7, F)})
both("cross_entropy_backward with a one-element [1] g",
     function(x, g) return m1d.cross_entropy_backward(x, labels, g) end, {randn(6, 5), randn(1)})
-- third order of cross_entropy: the second order of its gradient, in x and in the upstream g
-- (the checker's differences run fn on plain copies under no_grad: `leaf` makes them
-- differentiable there, and leaves the checker's own leaves as they are)
local function leaf(t) return t:is_requiring_grad() and t or t:detach():requires_grad() end
both("the gradient of cross_entropy (its second and third order)", function(x, g)
  return m1d.enable_grad(function()
    local xl = leaf(x)
    return m1d.grad(m1d.cross_entropy(xl, labels), {xl}, {grad_outputs = {g}, create_graph = true})[1]
  end)
end, {randn(6, 5), m1d.tensor(0.8, F)})
both("the gradient of cross_entropy of a transposed view (second and third order)", function(x)
  return m1d.enable_grad(function()
    local xl = leaf(x)
    return m1d.grad(m1d.cross_entropy(xl:t(), labels), {xl}, {create_graph = true})[1]
  end)
end, {randn(5, 6)})
local xin = randn(6, 4)
both("cross_entropy through a linear layer, third order in the weight", function(w)
  return m1d.enable_grad(function()
    local wl = leaf(w)
    return m1d.grad(m1d.cross_entropy(xin:matmul(wl), labels), {wl}, {create_graph = true})[1]
  end)
end, {randn(4, 5)})

-- strided (transposed) logits and directions take the same paths as contiguous ones
both("softmax_jvp of transposed views", function(x, v) return m1d.softmax_jvp(x:t(), v:t()) end,
     {randn(5, 6), randn(5, 6)})
both("cross_entropy_backward of a transposed view",
     function(x, g) return m1d.cross_entropy_backward(x:t(), labels, g) end, {randn(5, 6), m1d.tensor(0.7, F)})

-- ---------------------------------------------------------------- fused vs composed

-- d^k/dx^k of the loss contracted with directions, k = 1..3, three ways: the fused op with
-- plain gradients at the last order (fused loops), the fused op with create_graph
-- throughout (recorded ops), and the loss written as -mean(log_softmax(x)[labels]).
do
  m1d.manual_seed(5)
  local N, K = 40, 10
  local x0 = m1d.randn(N, K, F) * 2
  local y = m1d.randint(0, K, {N})
  local onehot = m1d.onehot(y, K, F)
  local u, w = m1d.randn(N, K, F), m1d.randn(N, K, F)
  -- orders 1..3; `plain`: each order k taken without a graph (the fused loops at k), else
  -- every order recorded
  local function derivs(loss_fn, plain)
    local out = {}
    for k = 1, 3 do
      local x = x0:clone():requires_grad()
      local g = m1d.grad(loss_fn(x), {x}, {create_graph = not (plain and k == 1)})[1]
      if k >= 2 then g = m1d.grad((g * u):sum(), {x}, {create_graph = not (plain and k == 2)})[1] end
      if k >= 3 then g = m1d.grad((g * w):sum(), {x}, {create_graph = not plain})[1] end
      out[k] = g
    end
    return out
  end
  local fused = derivs(function(x) return m1d.cross_entropy(x, y) end, true)
  local recorded = derivs(function(x) return m1d.cross_entropy(x, y) end, false)
  local composed = derivs(function(x) return -(x:log_softmax(2) * onehot):sum() / N end, false)
  for k = 1, 3 do
    local a, b, c = fused[k]:detach(), recorded[k]:detach(), composed[k]:detach()
    local scale = 1 + c:abs():max():item()
    T.ok(fused[k]:grad_fn() == nil and recorded[k]:grad_fn() ~= nil and (a - b):abs():max():item() <= 1e-14 * scale,
         ("order %d: fused loops (plain) and recorded ops agree"):format(k), (a - b):abs():max():item())
    T.ok((b - c):abs():max():item() <= 1e-13 * scale,
         ("order %d: cross_entropy and -mean(log_softmax[labels]) agree"):format(k), (b - c):abs():max():item())
  end

  -- float32 (fast exp): within float32 accuracy of float64, at every order
  local x32 = x0:float():requires_grad()
  local g1 = m1d.grad(m1d.cross_entropy(x32, y), {x32}, {create_graph = true})[1]
  local g2 = m1d.grad((g1 * u:float()):sum(), {x32}, {create_graph = true})[1]
  local g3 = m1d.grad((g2 * w:float()):sum(), {x32})[1]
  for k, g in ipairs({g1, g2, g3}) do
    local ref = recorded[k]:detach()
    local err = (g:double() - ref):abs():max():item() / (1 + ref:abs():max():item())
    T.ok(err < 1e-5, ("float32 order %d within %.2g of float64"):format(k, err))
  end
end

-- the meta-gradient case: a gradient taken with create_graph is one cross_entropy_backward
-- node (not softmax, onehot, sub, affine, mul), and differentiating it in the upstream
-- gradient too (a learned loss scale) matches the composed loss
do
  local x = randn(6, 5):requires_grad()
  local g = m1d.grad(m1d.cross_entropy(x, labels), {x}, {create_graph = true})[1]
  T.is(g:grad_fn(), "cross_entropy_backward", "create_graph: the gradient is one cross_entropy_backward node")
  local s = m1d.tensor(1.3, F):requires_grad()
  local function meta(loss_fn)
    local p = randn(5, 5)
    local xx = x:detach():requires_grad()
    local gx = m1d.grad(loss_fn(xx:matmul(p)) * s, {xx}, {create_graph = true})[1]
    local x1 = xx - gx * 0.5
    return m1d.grad(loss_fn(x1:matmul(p)), {s, xx})
  end
  m1d.manual_seed(2)
  local a = meta(function(z) return m1d.cross_entropy(z, labels) end)
  m1d.manual_seed(2)
  local onehot = m1d.onehot(labels, 5, F)
  local b = meta(function(z) return -(z:log_softmax(2) * onehot):sum() / 6 end)
  for i = 1, 2 do
    T.ok((a[i] - b[i]):abs():max():item() <= 1e-13 * (1 + b[i]:abs():max():item()),
         ("meta-gradient through one SGD step: %s agrees with the composed loss"):format(i == 1 and "d/dscale" or "d/dx"))
  end
end

-- an upstream gradient of another dtype (grad_outputs are passed as given) is cast, not read
-- as raw data of x's dtype: float32 x, float32 or float64 G, plain and recorded
do
  m1d.manual_seed(1)
  local x0, G = m1d.randn({4, 3}), m1d.randn({4, 3})
  local l = m1d.tensor({0, 1, 2, 1}, "int64")
  for _, cg in ipairs({false, true}) do
    local function run(Gin)
      local xx = x0:clone():requires_grad()
      local o = m1d.cross_entropy_backward(xx, l, m1d.tensor(1.5, "float32"))
      local gx = m1d.grad(o, {xx}, {grad_outputs = {Gin}, create_graph = cg})[1]
      local o2 = m1d.softmax_jvp(xx, G)
      return gx, m1d.grad(o2, {xx}, {grad_outputs = {Gin}, create_graph = cg})[1]
    end
    local a1, a2 = run(G)
    local b1, b2 = run(G:double())
    T.ok((a1:double() - b1:double()):abs():max():item() < 1e-6 and (a2:double() - b2:double()):abs():max():item() < 1e-6,
         ("float64 upstream gradient of float32 ops (%s)"):format(cg and "recorded" or "fused"))
  end
end

-- ---------------------------------------------------------------- bad input

local x = randn(6, 5)
local function raises(fn, name, ...)
  local ok, err = pcall(fn)
  local good = not ok
  for _, want in ipairs({...}) do good = good and tostring(err):find(want, 1, true) ~= nil end
  T.ok(good, name, tostring(err))
end
raises(function() return m1d.cross_entropy_backward(x, labels, m1d.tensor({1, 2}, F)) end,
       "cross_entropy_backward: g with two elements", "cross_entropy_backward", "g must be a one-element", "[2]")
raises(function() return m1d.cross_entropy_backward(x, labels, m1d.tensor(1, "float32")) end,
       "cross_entropy_backward: g of another dtype", "cross_entropy_backward", "float64", "float32")
raises(function() return m1d.cross_entropy_backward(x, m1d.tensor({0, 1}, "int64"), m1d.tensor(1, F)) end,
       "cross_entropy_backward: labels of the wrong length", "cross_entropy_backward", "labels", "[6]")
raises(function() return m1d.cross_entropy_backward(x, labels:double(), m1d.tensor(1, F)) end,
       "cross_entropy_backward: float labels", "cross_entropy_backward", "int64")
raises(function() return m1d.cross_entropy_backward(randn(6), labels, m1d.tensor(1, F)) end,
       "cross_entropy_backward: 1-D x", "cross_entropy_backward", "[batch, classes]")
raises(function() return m1d.softmax_jvp(x, randn(5, 6)) end, "softmax_jvp: v of another shape",
       "softmax_jvp", "v must be", "[6,5]", "[5,6]")
raises(function() return m1d.softmax_jvp(randn(2, 3, 4), randn(2, 3, 4)) end, "softmax_jvp: 3-D x",
       "softmax_jvp", "[batch, classes]")
raises(function() return m1d.softmax_jvp(x, x:float()) end, "softmax_jvp: v of another dtype",
       "softmax_jvp", "float32")
raises(function() return m1d.softmax_jvp(x, "v") end, "softmax_jvp: not a tensor", "softmax_jvp")

T.done()
