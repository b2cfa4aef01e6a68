-- gru_grad_test.lua — the GRU's higher-order gradients (src/ops_gru.c).
--
-- Under create_graph the GRU's backward is one op, m1d.gru_backward, whose own backward
-- (the GRU's second order) is a fused tangent pass plus a reverse pass; third and higher
-- orders rebuild it from ops.  Checked here, in float64: gru_backward against central
-- differences to first order (the GRU's second) and second order (the GRU's third, through
-- the rebuild); its values and its gradients against the same GRU composed of ops in Lua
-- (linear, sigmoid, tanh) and differentiated by autograd, to ~1e-12; the fused second order
-- against the rebuilt one; float32 against float64; bad inputs; and a learning-rate
-- meta-gradient through nn.models.gru against a finite difference.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local check = require "m1d.check"

m1d.manual_seed(5)
local function randn(...) return m1d.randn({...}, "float64") end
local B, S, F, H = 3, 5, 2, 4                  -- batch, sequence, features, hidden
local x, h0 = randn(B, S, F), randn(B, H)
local wi, wh = randn(3 * H, F) * 0.5, randn(3 * H, H) * 0.5
local bi, bh, gy = randn(3 * H), randn(3 * H), randn(B, S, H)

-- the GRU composed of ops (PyTorch's equations), one direction
local function gru_ops(xx, hh, wi_, wh_, bi_, bh_, rev)
  local n_, hid = xx:size(2), wh_:size(2)
  local h = hh or m1d.zeros({xx:size(1), hid}, xx:dtype())
  local outs = {}
  for s = 1, n_ do
    local t = rev and n_ + 1 - s or s
    local gi, gh = m1d.linear(xx:select(2, t), wi_, bi_), m1d.linear(h, wh_, bh_)
    local r = (gi:narrow(2, 1, hid) + gh:narrow(2, 1, hid)):sigmoid()
    local z = (gi:narrow(2, hid + 1, hid) + gh:narrow(2, hid + 1, hid)):sigmoid()
    local n = (gi:narrow(2, 2 * hid + 1, hid) + r * gh:narrow(2, 2 * hid + 1, hid)):tanh()
    h = n + z * (h - n)
    outs[t] = h
  end
  return m1d.stack(outs, 2)
end

-- gru_backward's gradients as one flat tensor (for the checkers)
local function flat(...)
  local parts = {}
  for i = 1, select("#", ...) do
    local g = select(i, ...)
    if g then parts[#parts + 1] = g:reshape(-1) end
  end
  return m1d.cat(parts, 1)
end

local function maxdiff(a, b) return (a - b):abs():max():item() end

-- ---------------------------------------------------------------- against central differences

for _, rev in ipairs{false, true} do
  local tag = rev and "reverse" or "forward"
  local fn = function(a, b, c, d, e, f, g) return flat(m1d.gru_backward(a, b, c, d, e, f, g, rev)) end
  local ok, msg = check.gradcheck(fn, {x, h0, wi, wh, bi, bh, gy})
  T.ok(ok, "gru_backward " .. tag .. " with h0: gradient (the GRU's second order, fused)", msg)
  ok, msg = check.gradgradcheck(fn, {x, h0, wi, wh, bi, bh, gy})
  T.ok(ok, "gru_backward " .. tag .. " with h0: second order (the GRU's third, rebuilt)", msg)
  -- the GRU itself to second order (its create_graph backward is gru_backward)
  ok, msg = check.gradgradcheck(function(a, b, c, d, e, f) return m1d.gru(a, b, c, d, e, f, rev) end,
                                {x, h0, wi, wh, bi, bh})
  T.ok(ok, "gru " .. tag .. ": second order through gru_backward", msg)
end
do
  local fn = function(a, c, d, e, f, g) return flat(m1d.gru_backward(a, nil, c, d, e, f, g)) end
  local ok, msg = check.gradcheck(fn, {x, wi, wh, bi, bh, gy})
  T.ok(ok, "gru_backward without h0: gradient", msg)
  -- only the weights need gradients (the meta-learning case: x is data, h0 absent)
  ok, msg = check.gradgradcheck(function(c, d, e, f) return m1d.gru(x, nil, c, d, e, f, true) end, {wi, wh, bi, bh})
  T.ok(ok, "gru reverse, weights only: second order", msg)
  -- a batch of 9 (16 lanes: the pad lanes must add nothing) and a strided input
  local x9 = randn(9, F, S)
  ok, msg = check.gradcheck(function(a, c, d, e, f, g)
    return flat(m1d.gru_backward(a:transpose(2, 3), nil, c, d, e, f, g, true))
  end, {x9, wi, wh, bi, bh, randn(9, S, H)})
  T.ok(ok, "gru_backward batch 9, strided input, reverse: gradient", msg)
end

-- ---------------------------------------------------------------- against the GRU composed of ops

for _, rev in ipairs{false, true} do
  local tag = rev and "reverse" or "forward"
  local ins = {x, h0, wi, wh, bi, bh, gy}
  for i, t in ipairs(ins) do ins[i] = t:detach():requires_grad() end
  local gx, gh0, gwi, gwh, gbi, gbh = m1d.gru_backward(ins[1], ins[2], ins[3], ins[4], ins[5], ins[6], ins[7], rev)
  local fused = flat(gx, gh0, gwi, gwh, gbi, gbh)
  local out = gru_ops(ins[1], ins[2], ins[3], ins[4], ins[5], ins[6], rev)
  local g = m1d.grad((out * ins[7]):sum(), {ins[1], ins[2], ins[3], ins[4], ins[5], ins[6]}, {create_graph = true})
  local composed = flat(table.unpack(g))
  T.ok(maxdiff(fused, composed) < 1e-12,
       ("gru_backward %s: equals autograd through the composed GRU (%.2g)"):format(tag, maxdiff(fused, composed)))
  -- second order: d<v, P>/d(every input and gy), fused (no create_graph) vs composed
  local v = m1d.randn(fused:size(), "float64")
  local want = m1d.grad((composed * v):sum(), ins)
  local got = m1d.grad((fused * v):sum(), ins, {retain_graph = true})
  -- the same with create_graph: gru_backward's backward rebuilt from ops (third order's path)
  local rebuilt = m1d.grad((fused * v):sum(), ins, {create_graph = true})
  local worst, worst_rb = 0, 0
  for i = 1, #ins do
    worst = math.max(worst, maxdiff(got[i], want[i]))
    worst_rb = math.max(worst_rb, maxdiff(rebuilt[i], got[i]))
  end
  T.ok(worst < 1e-12, ("gru_backward %s: second order, fused, equals the composed GRU's (%.2g)"):format(tag, worst))
  T.ok(worst_rb < 1e-12 and rebuilt[3]:grad_fn() ~= nil and got[3]:grad_fn() == nil,
       ("gru_backward %s: its rebuilt backward (a graph of its own) equals the fused one (%.2g)"):format(tag, worst_rb))
end

-- ---------------------------------------------------------------- float32

do
  local function second(dtype)
    local ins = {x, h0, wi, wh, bi, bh, gy}
    for i, t in ipairs(ins) do ins[i] = (dtype == "float32" and t:float() or t:detach()):requires_grad() end
    local fused = flat(m1d.gru_backward(table.unpack(ins, 1, 7)))
    m1d.manual_seed(21)
    local v = m1d.randn(fused:size(), dtype)
    local g = m1d.grad((fused * v):sum(), ins)
    return fused, g
  end
  local p64, g64 = second("float64")
  local p32, g32 = second("float32")
  local function rel(a, b) return (a:double() - b):abs():max():item() / (1 + b:abs():max():item()) end
  local worst = 0
  for i = 1, #g64 do
    worst = math.max(worst, rel(g32[i], g64[i]))
    T.is(g32[i]:dtype(), "float32", "gru_backward float32: gradient " .. i .. " is float32")
  end
  T.ok(rel(p32, p64) < 1e-5, ("gru_backward float32: values within %.2g of float64"):format(rel(p32, p64)))
  T.ok(worst < 1e-5, ("gru_backward float32: second order within %.2g of float64"):format(worst))
end

-- ---------------------------------------------------------------- bad input

T.raises(function() return m1d.gru_backward(x, h0, wi, wh, bi, bh, randn(B, S, H + 1)) end,
         "gru_backward: a grad_output of the wrong shape", "gru_backward", "grad_output", "[3,5,5]", "[3, 5, 4]")
T.raises(function() return m1d.gru_backward(x, h0, wi, wh, bi, bh, gy:float()) end,
         "gru_backward: a grad_output of another dtype", "gru_backward", "grad_output", "float32")
T.raises(function() return m1d.gru_backward(x, h0, randn(3 * H, F + 1), wh, bi, bh, gy) end,
         "gru_backward: mismatched weights", "gru_backward", "weight_ih", "[12,3]")
T.raises(function() return m1d.gru_backward(x, randn(B, H + 1), wi, wh, bi, bh, gy) end,
         "gru_backward: a bad h0", "gru_backward", "h0", "[3,5]")
T.raises(function() return m1d.gru_backward(x, h0, wi, wh, randn(H), bh, gy) end,
         "gru_backward: a bad bias", "gru_backward", "biases", "[12]")
T.raises(function() return m1d.gru_backward(x:float(), h0, wi, wh, bi, bh, gy) end,
         "gru_backward: mixed dtypes", "gru_backward", "one dtype")
T.raises(function() return m1d.gru_backward(x, h0, wi, wh, bi, bh) end,
         "gru_backward: no grad_output", "bad argument #7", "gru_backward")

-- empty and one-element extents: second order runs and gives gradients of the inputs' shapes
for _, c in ipairs{{2, 0, 1, 3}, {0, 4, 1, 3}, {2, 3, 0, 3}, {1, 1, 1, 1}} do
  local b_, s_, f_, h_ = table.unpack(c)
  local ins = {randn(b_, s_, f_), randn(b_, h_), randn(3 * h_, f_), randn(3 * h_, h_), randn(3 * h_), randn(3 * h_)}
  for i, t in ipairs(ins) do ins[i] = t:requires_grad() end
  local ok, err = pcall(function()
    local y = m1d.gru(ins[1], ins[2], ins[3], ins[4], ins[5], ins[6], true)
    local g = m1d.grad((y * y):sum(), ins, {create_graph = true})
    local sq = (g[1] * g[1]):sum()
    for i = 2, #g do sq = sq + (g[i] * g[i]):sum() end
    local gg = m1d.grad(sq, ins)
    for i = 1, #ins do
      if table.concat(gg[i]:size(), ",") ~= table.concat(ins[i]:size(), ",") then error("shape of " .. i) end
    end
  end)
  T.ok(ok, ("gru second order with batch %d, sequence %d, features %d, hidden %d"):format(b_, s_, f_, h_), err)
end

-- ---------------------------------------------------------------- a meta-gradient end to end

-- d(mean inner loss)/d(lr) through three unrolled SGD steps of a small nn.models.gru, in
-- float64, against a central difference in lr
do
  m1d.manual_seed(2)
  local model = m1d.nn.models.gru(3, 8)
  local p0 = model:parameters()
  for i, p in ipairs(p0) do p0[i] = p:detach():double():requires_grad() end
  local xs, ys = randn(12, 8), m1d.randint(0, 10, {12})
  local function meta(lr)
    local p, total = p0, nil
    for s = 1, 3 do
      local xb, yb = xs:narrow(1, 4 * s - 3, 4), ys:narrow(1, 4 * s - 3, 4)
      local loss = m1d.cross_entropy(model:apply(p, xb), yb)
      local g = m1d.grad(loss, p, {create_graph = true})
      local q = {}
      for i = 1, #p do q[i] = p[i] - lr * g[i] end
      p, total = q, total and total + loss or loss
    end
    return total / 3
  end
  local lr = m1d.tensor(0.5, "float64"):requires_grad()
  local d = m1d.grad(meta(lr), lr):item()
  local e = 1e-5
  local fd = (meta(m1d.tensor(0.5 + e, "float64")):item() - meta(m1d.tensor(0.5 - e, "float64")):item()) / (2 * e)
  T.ok(math.abs(d - fd) < 1e-7 * (1 + math.abs(fd)),
       ("meta-gradient through nn.models.gru: %.10g, central difference %.10g"):format(d, fd))
end

T.done()
