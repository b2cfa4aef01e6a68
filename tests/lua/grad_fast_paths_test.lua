-- grad_fast_paths_test.lua — the first-order shortcuts of the backward engine that a
-- meta-learning step's outer backward takes (issue 23), against the composed ops they
-- replace: mul's gradient for a one-element factor (the learning rate of p - lr * g) as one
-- dot product, and the in-place sums of gradients.  Each must give the same bits as the
-- path it replaces (the create_graph backward still takes that path), keep float64 first-
-- and second-order gradient checks, and fall back where it does not apply.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

m1d.manual_seed(23)
local function bits_equal(a, b)
  if a:dtype() ~= b:dtype() or a:numel() ~= b:numel() then return false end
  local x, y = a:reshape(-1):totable(), b:reshape(-1):totable()
  for i = 1, #x do if x[i] ~= y[i] and not (x[i] ~= x[i] and y[i] ~= y[i]) then return false end end
  return true
end

-- ---------------------------------------------------------------- mul's one-element factor

-- d/d lr of sum(w * (p - lr * g)): first order takes the dot path, create_graph the ops
for _, dt in ipairs({"float32", "float64"}) do
  for _, lshape in ipairs({{}, {1}, {1, 1}}) do
    local n = #lshape == 0 and "0-dim" or ("[" .. table.concat(lshape, ",") .. "]")
    for _, size in ipairs({{100, 100}, {37}, {3, 5, 7}}) do
      local p, g, w = m1d.randn(size, dt), m1d.randn(size, dt), m1d.randn(size, dt)
      local lr = (#lshape == 0 and m1d.tensor(0.1, dt) or m1d.full(lshape, 0.1, dt)):requires_grad()
      local fast = m1d.grad((w * (p - lr * g)):sum(), {lr})[1]
      local composed = m1d.grad((w * (p - lr * g)):sum(), {lr}, {create_graph = true})[1]
      local by_ops = (-(w * g)):sum()          -- what the rule computes, as ops: -sum(w g)
      T.ok(bits_equal(fast, composed:detach()) and fast:numel() == 1 and bits_equal(fast:reshape(-1), by_ops:reshape(-1)),
           ("mul, one-element factor %s %s, input %s: the dot equals mul then sum to the bit"):format(
             n, dt, table.concat(size, "x")),
           ("%.17g vs %.17g vs %.17g"):format(fast:reshape(-1):totable()[1], composed:reshape(-1):totable()[1],
                                               by_ops:item()))
      T.is(table.concat(fast:size(), ","), table.concat(lshape, ","), "  and the gradient has the factor's shape")
    end
  end
end

do  -- where the dot does not apply: the other operand broadcast, or strided, or of another dtype
  local lr = m1d.tensor(0.5, "float64"):requires_grad()
  local g = m1d.randn({4, 1}, "float64")
  local w = m1d.randn({4, 6}, "float64")
  local d = m1d.grad((w * (lr * g)):sum(), {lr})[1]
  T.close(d:item(), (w * g):sum():item(), 1e-12, "mul, one-element factor times a broadcast operand: the ops' path")
  local gt = m1d.randn({6, 4}, "float64"):t()
  d = m1d.grad((w * (lr * gt)):sum(), {lr})[1]
  T.close(d:item(), (w * gt):sum():item(), 1e-12, "mul, one-element factor times a transposed operand")
  local lr32 = m1d.tensor(0.5, "float32"):requires_grad()
  local w2 = m1d.randn({4, 6}, "float64")
  d = m1d.grad((w2 * (lr32 * w:float())):sum(), {lr32})[1]
  T.ok(d:dtype() == "float32" and math.abs(d:item() - (w2 * w:float():double()):sum():item()) < 1e-4,
       "mul, float32 factor in a float64 product: gradient cast back to float32")
  local a, b = m1d.tensor({3}, "float64"):requires_grad(), m1d.tensor({5}, "float64"):requires_grad()
  local ga = m1d.grad((a * b):sum(), {a, b})
  T.ok(ga[1]:item() == 5 and ga[2]:item() == 3, "mul of two one-element tensors: both gradients")
end

-- float64 gradient checks through p - lr * g (the update of an unrolled loop), first and
-- second order, in every input
T.grad_orders("p - lr * g", function(p, lr, g) return (p - lr * g) ^ 2 end,
              {m1d.randn({3, 4}, "float64"), m1d.tensor(0.3, "float64"), m1d.randn({3, 4}, "float64")})
T.grad_orders("lr * x with lr [1, 1]", function(lr, x) return (lr * x):tanh() end,
              {m1d.full({1, 1}, 0.7, "float64"), m1d.randn({2, 5}, "float64")})

-- ---------------------------------------------------------------- in-place sums of gradients

do  -- a tensor feeding several ops (a residual block): its gradient is a sum of several
  local x = m1d.randn({8, 6}, "float64"):requires_grad()
  local w = m1d.randn({6, 6}, "float64"):requires_grad()
  local b = m1d.randn({6}, "float64"):requires_grad()
  local function f()
    local h = m1d.linear(x, w, b):relu()
    local z = h + m1d.linear(h, w, b):tanh() + h * 2 + b   -- h used three times, b three, w twice
    return (z * z):sum()
  end
  local fast = m1d.grad(f(), {x, w, b})
  local composed = m1d.grad(f(), {x, w, b}, {create_graph = true})
  local same = true
  for i = 1, 3 do same = same and bits_equal(fast[i], composed[i]:detach()) end
  T.ok(same, "gradients summed in place equal the out-of-place sums of a create_graph backward, to the bit")
  T.grad_orders("a residual block (gradients summed)", function(x_, w_, b_)
    local h = m1d.linear(x_, w_, b_):relu()
    return h + m1d.linear(h, w_, b_):tanh() + h * 2 + b_
  end, {x:detach(), w:detach(), b:detach()})
end

do  -- sums into a transposed gradient (of a transposed operand) and into a fresh gradient
    -- when the first is an expanded bias gradient: the same bits as out of place
  local a = m1d.randn({6, 6}, "float32"):requires_grad()
  local b = m1d.randn({6}, "float32"):requires_grad()
  local function f()
    local y = m1d.matmul(a:t(), a) + a + b + m1d.matmul(a, a:t()):t() + a:t() * b
    return (y * y):sum()
  end
  local fast = m1d.grad(f(), {a, b})
  local composed = m1d.grad(f(), {a, b}, {create_graph = true})
  T.ok(bits_equal(fast[1], composed[1]:detach()) and bits_equal(fast[2], composed[2]:detach()),
       "gradients summed in place into transposed and expanded layouts equal the out-of-place sums")
  T.grad_orders("transposed operands (gradients summed)", function(a_, b_)
    return m1d.matmul(a_:t(), a_) + a_ + b_ + m1d.matmul(a_, a_:t()):t() + a_:t() * b_
  end, {a:detach():double(), b:detach():double()})
end

do  -- a gradient somebody holds is not changed by a later sum
  local x = m1d.randn({5, 5}, "float64"):requires_grad()
  ;(x * 3):sum():backward()
  local held = x.grad
  local before = held:clone()
  ;(x * x):sum():backward()
  T.ok(bits_equal(held, before), "backward() again: a .grad held from Lua keeps its values")
  T.close((x.grad - (x:detach() * 2 + 3)):abs():max():item(), 0, 1e-12, "  and .grad is the sum of both")
  held = nil
  ;(x * 5):sum():backward()
  T.close((x.grad - (x:detach() * 2 + 8)):abs():max():item(), 0, 1e-12, "  and a third backward adds to it")
end

do  -- a sum whose first gradient is a broadcast view (the gradient of a sum, expanded)
  local x = m1d.randn({4, 3, 5}, "float32"):requires_grad()
  local y = x:sum() + (x * x):sum() + x:sum(3):sum()
  local g = m1d.grad(y, {x})[1]
  T.close((g - (x:detach() * 2 + 2)):abs():max():item(), 0, 1e-5, "gradients summed into an expanded view's place")
end

-- ---------------------------------------------------------------- binary ops, two dims a call

do  -- broadcast patterns of the kernel's rows (every element against a scalar loop over tables)
  local function ref(op, a, b, shape)
    local out, A, B = {}, a:expand(table.unpack(shape)):contiguous():reshape(-1):totable(),
                      b:expand(table.unpack(shape)):contiguous():reshape(-1):totable()
    for i = 1, #A do out[i] = op(A[i], B[i]) end
    return out
  end
  local cases = {
    {{4, 3, 5}, {1, 3, 1}}, {{4, 3, 5}, {4, 1, 5}}, {{4, 3, 5}, {5}}, {{2, 3, 4, 5}, {3, 1, 1}},
    {{2, 3, 4, 5}, {2, 1, 4, 1}}, {{6, 7}, {6, 1}}, {{6, 7}, {7}}, {{3, 1, 5}, {1, 4, 1}}, {{9}, {1}},
  }
  local ok, bad = true, ""
  for _, c in ipairs(cases) do
    for _, dt in ipairs({"float32", "float64"}) do
      local a, b = m1d.randn(c[1], dt), m1d.randn(c[2], dt)
      local y = a + b
      local shape = y:size()
      for name, pair in pairs({add = {a + b, function(u, v) return u + v end},
                               mul = {a * b, function(u, v) return u * v end}}) do
        local got, want = pair[1]:reshape(-1):totable(), ref(pair[2], a, b, shape)
        if dt == "float32" then   -- the reference in double, rounded once as the kernel rounds
          local w = m1d.tensor(want, "float64"):float():totable(); want = w
        end
        for i = 1, #want do
          if got[i] ~= want[i] then ok = false; bad = ("%s %s %s"):format(name, dt, table.concat(c[1], "x")) end
        end
      end
      local t = m1d.randn({c[1][#c[1]], c[1][1]}, dt)   -- a transposed operand: strided rows
      if #c[1] == 2 then
        local got, want = (t:t() + b):reshape(-1):totable(), ref(function(u, v) return u + v end, t:t(), b, shape)
        if dt == "float32" then want = m1d.tensor(want, "float64"):float():totable() end
        for i = 1, #want do if got[i] ~= want[i] then ok = false; bad = "transposed " .. dt end end
      end
    end
  end
  T.ok(ok, "add and mul with broadcasting, two dims per kernel call: every element", bad)
  local i1, i2 = m1d.tensor({{1, 2, 3}, {4, 5, 6}}, "int64"), m1d.tensor({{10}, {20}}, "int64")
  T.is(table.concat((i1 + i2):reshape(-1):totable(), ","), "11,12,13,24,25,26", "int64 add with a broadcast column")
end

T.done()
