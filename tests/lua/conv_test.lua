-- conv_test.lua — the three products of a 1-D convolution: conv1d, conv_transpose1d (the
-- input gradient) and conv1d_weight_grad (the weight gradient), each fused at every order
-- of derivative.  Float64 gradcheck and gradgradcheck of each over strides 1-3, paddings
-- 0-2, output paddings and odd sizes, with and without bias; third order through each;
-- the gradients of conv1d at orders 1-3 against conv1d_composed (unfold1d + matmul, the
-- op-composed reference) with and without create_graph, and with inputs frozen; the
-- graph the create_graph gradients build (fused nodes, no unfold1d); float32 against
-- float64.  Values against PyTorch are in torch_ref_test.lua, bad input in bad_input_test.lua.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local check = require "m1d.check"

m1d.manual_seed(17)
local F = "float64"
local function randn(...) return m1d.randn({...}, F) end

local both = T.grad_orders

-- fn's first-order gradients (create_graph), flattened and joined: gradgradcheck of this
-- checks the third derivatives of fn
local function first_grads(fn, n)
  return function(...)
    local ins = {...}
    local out = fn(...)
    m1d.manual_seed(5)
    local v = m1d.randn(out:size(), F)
    local g = m1d.grad((out * v):sum(), {table.unpack(ins, 1, n)}, {create_graph = true})
    local flat = {}
    for i, t in ipairs(g) do flat[i] = t:reshape(-1) end
    return m1d.cat(flat, 1)
  end
end

local function lout(L, k, s, p) return (L + 2 * p - k) // s + 1 end

-- ---------------------------------------------------------------- gradcheck of each op

-- {stride, padding, kernel, input length}: odd sizes; every padding 0..2 at strides 1 and 2
local grid = {{1, 0, 3, 7}, {1, 1, 2, 5}, {1, 2, 3, 6}, {2, 0, 3, 9}, {2, 1, 3, 8}, {2, 2, 5, 7},
              {3, 1, 4, 11}, {2, 1, 1, 6}}
for i, c in ipairs(grid) do
  local s, p, k, L = c[1], c[2], c[3], c[4]
  local bias = i % 2 == 1
  local tag = ("stride %d pad %d k %d L %d%s"):format(s, p, k, L, bias and "" or ", no bias")
  local Lo = lout(L, k, s, p)
  -- conv1d: x [2,3,L], w [2,3,k]
  both("conv1d " .. tag, function(x, w, b) return m1d.conv1d(x, w, b, s, p) end,
       {randn(2, 3, L), randn(2, 3, k), bias and randn(2) or nil})
  -- conv_transpose1d: x [2,3,Lo] -> [2,2,L'], every output padding below the stride
  for op = 0, s - 1 do
    both(("conv_transpose1d %s output_padding %d"):format(tag, op),
         function(x, w, b) return m1d.conv_transpose1d(x, w, b, s, p, op) end,
         {randn(2, 3, Lo), randn(3, 2, k), bias and randn(2) or nil})
  end
  -- conv1d_weight_grad: x [2,3,L], g [2,2,Lo] -> [2,3,k]
  both("conv1d_weight_grad " .. tag, function(x, g) return m1d.conv1d_weight_grad(x, g, k, s, p) end,
       {randn(2, 3, L), randn(2, 2, Lo)})
end

-- ---------------------------------------------------------------- third order

do
  local x, w, b = randn(2, 2, 9), randn(3, 2, 3), randn(3)
  local ok, msg = check.gradgradcheck(first_grads(function(a, c, d) return m1d.conv1d(a, c, d, 2, 1):tanh() end, 3),
                                      {x, w, b})
  T.ok(ok, "conv1d stride 2 pad 1 then tanh: third order", msg)
  ok, msg = check.gradgradcheck(first_grads(function(a, c)
    return m1d.conv1d(m1d.conv1d(a, c, nil, 1, 2):tanh(), c:transpose(1, 2):narrow(1, 1, 2), nil, 2, 0)
  end, 2), {randn(2, 2, 7), randn(2, 2, 3)})
  T.ok(ok, "two conv1d sharing a weight (stride 1 pad 2, stride 2 pad 0): third order", msg)
  ok, msg = check.gradgradcheck(first_grads(function(a, c, d)
    return m1d.conv_transpose1d(a, c, d, 2, 1, 1):tanh()
  end, 3), {randn(2, 3, 4), randn(3, 2, 3), randn(2)})
  T.ok(ok, "conv_transpose1d stride 2 pad 1 output_padding 1 then tanh: third order", msg)
  ok, msg = check.gradgradcheck(first_grads(function(a, g)
    return m1d.conv1d_weight_grad(a, g, 3, 2, 1):tanh()
  end, 2), {randn(2, 2, 9), randn(2, 3, 5)})
  T.ok(ok, "conv1d_weight_grad stride 2 pad 1 then tanh: third order", msg)
end

-- ---------------------------------------------------------------- the gradients are the ops

do
  local x, w, b = randn(3, 4, 13):requires_grad(), randn(5, 4, 3):requires_grad(), randn(5):requires_grad()
  local y = m1d.conv1d(x, w, b, 2, 2)
  local g = randn(table.unpack(y:size()))
  local gr = m1d.grad((y * g):sum(), {x, w, b})
  -- L = 13 = (Lo - 1) * 2 - 4 + 3 + output_padding with Lo = 8: output_padding 0
  local dx = m1d.conv_transpose1d(g, w:detach(), nil, 2, 2, 0)
  local dw = m1d.conv1d_weight_grad(x:detach(), g, 3, 2, 2)
  T.ok((gr[1] - dx):abs():max():item() < 1e-13, "conv1d's input gradient is conv_transpose1d of the output gradient")
  T.ok((gr[2] - dw):abs():max():item() < 1e-13, "conv1d's weight gradient is conv1d_weight_grad")
  T.ok((gr[3] - g:sum(3):sum(1)):abs():max():item() < 1e-13, "conv1d's bias gradient is the sum of the output gradient")
  T.ok(gr[1]:grad_fn() == nil and gr[2]:grad_fn() == nil, "first-order gradients without create_graph have no graph")
  local gc = m1d.grad((m1d.conv1d(x, w, b, 2, 2) * g:clone():requires_grad()):sum(), {x, w, b}, {create_graph = true})
  T.is(gc[1]:grad_fn(), "conv_transpose1d", "under create_graph the input gradient is a conv_transpose1d node")
  T.is(gc[2]:grad_fn(), "conv1d_weight_grad", "under create_graph the weight gradient is a conv1d_weight_grad node")
  -- second order: d/dw sum(conv_transpose1d(g, w) * u) = conv1d_weight_grad(u, g), and
  -- d/dx sum(conv1d_weight_grad(x, g) * U) = conv_transpose1d(g, U): fused nodes again
  local u, U = randn(3, 4, 13), randn(5, 4, 3)
  local gw2 = m1d.grad((gc[1] * u):sum(), {w}, {create_graph = true})[1]
  local gx2 = m1d.grad((gc[2] * U):sum(), {x}, {create_graph = true})[1]
  T.is(gw2:grad_fn(), "conv1d_weight_grad", "second order: the weight gradient of conv_transpose1d is fused")
  T.is(gx2:grad_fn(), "conv_transpose1d", "second order: the input gradient of conv1d_weight_grad is fused")
end

-- ---------------------------------------------------------------- fused against composed

-- d/d inputs at orders 1-3 of a scalar built on conv1d (fused) or conv1d_composed
-- (unfold1d + matmul): S1 = sum(tanh(conv) * v), S2 = sum of squared first gradients,
-- S3 = sum of squared second gradients; returns every gradient of S3 plus S1's and S2's.
local function orders(conv, x, w, b, s, p, create_last)
  local ins = {x:clone():requires_grad(), w:clone():requires_grad(), b and b:clone():requires_grad() or nil}
  local targets = {}
  for i = 1, 3 do if ins[i] then targets[#targets + 1] = ins[i] end end
  local y = conv(ins[1], ins[2], ins[3], s, p):tanh()
  m1d.manual_seed(23)
  local v = m1d.randn(y:size(), F)
  local g1 = m1d.grad((y * v):sum(), targets, {create_graph = true})
  local s2
  for _, t in ipairs(g1) do s2 = s2 and s2 + (t * t):sum() or (t * t):sum() end
  local g2 = m1d.grad(s2, targets, {create_graph = true})
  local s3
  for _, t in ipairs(g2) do s3 = s3 and s3 + (t * t):sum() or (t * t):sum() end
  local g3 = m1d.grad(s3, targets, {create_graph = create_last})
  local all = {}
  for _, list in ipairs{g1, g2, g3} do for _, t in ipairs(list) do all[#all + 1] = t end end
  return all
end

local function max_rel(a, b)
  local worst = 0
  for i = 1, #a do
    local d = (a[i]:detach() - b[i]:detach()):abs():max():item() / (1 + b[i]:detach():abs():max():item())
    worst = math.max(worst, d)
  end
  return worst
end

for _, c in ipairs{{2, 1, 3, 11, true}, {1, 0, 3, 8, false}, {1, 2, 2, 7, true}, {3, 2, 5, 14, false}} do
  local s, p, k, L, bias = table.unpack(c)
  local x, w, b = randn(3, 2, L), randn(4, 2, k), bias and randn(4) or nil
  for _, create_last in ipairs{false, true} do
    local fused = orders(m1d.conv1d, x, w, b, s, p, create_last)
    local composed = orders(m1d.conv1d_composed, x, w, b, s, p, create_last)
    local worst = max_rel(fused, composed)
    T.ok(#fused == #composed and worst < 1e-12,
         ("stride %d pad %d k %d%s: orders 1-3 fused and composed agree, last create_graph %s (%.2g)"):format(
           s, p, k, bias and "" or " no bias", tostring(create_last), worst))
  end
end

-- a frozen input (the data of a CNN's first layer, a frozen weight): the same
do
  local x, w, b = randn(3, 1, 12), randn(4, 1, 5), randn(4)
  local function run(conv, frozen)
    local ins = {x:clone(), w:clone(), b:clone()}
    local targets = {}
    for i = 1, 3 do if i ~= frozen then ins[i]:requires_grad(); targets[#targets + 1] = ins[i] end end
    local y = conv(ins[1], ins[2], ins[3], 2, 1):tanh()
    local g1 = m1d.grad((y * y):sum(), targets, {create_graph = true})
    local s2 = (g1[1] * g1[1]):sum() + (g1[2] * g1[2]):sum()
    local g2 = m1d.grad(s2, targets, {create_graph = true})
    local g3 = m1d.grad((g2[1] ^ 2):sum() + (g2[2] ^ 2):sum(), targets)
    return {g1[1], g1[2], g2[1], g2[2], g3[1], g3[2]}
  end
  for frozen = 1, 3 do
    local fused = run(m1d.conv1d, frozen)
    local worst, small = max_rel(fused, run(m1d.conv1d_composed, frozen)), math.huge
    for _, t in ipairs(fused) do small = math.min(small, t:abs():max():item()) end
    T.ok(worst < 1e-12 and small > 0.01,
         ("input %d frozen: orders 1-3 fused and composed agree (%.2g; every gradient non-zero)"):format(frozen, worst))
  end
end

-- the gradient of the transposed convolution and of the correlation against the same ops
-- composed from conv1d_composed's own gradients (orders 1 and 2)
do
  local g, w, x = randn(2, 3, 5), randn(3, 2, 3), randn(2, 2, 10)
  -- conv_transpose1d(g, w) is the gradient of sum(conv1d(x, w) * g) in x, for any x of length 10
  local function via_composed(gg, ww)
    local xx = x:clone():requires_grad()
    return m1d.grad((m1d.conv1d_composed(xx, ww, nil, 2, 1) * gg):sum(), {xx}, {create_graph = true})[1]
  end
  local function second(fn)
    local a, c = g:clone():requires_grad(), w:clone():requires_grad()
    local y = fn(a, c):tanh()
    local g1 = m1d.grad((y * y):sum(), {a, c}, {create_graph = true})
    local g2 = m1d.grad((g1[1] ^ 2):sum() + (g1[2] ^ 2):sum(), {a, c})
    return {y, g1[1], g1[2], g2[1], g2[2]}
  end
  local worst = max_rel(second(function(a, c) return m1d.conv_transpose1d(a, c, nil, 2, 1, 1) end),
                        second(via_composed))
  T.ok(worst < 1e-12, ("conv_transpose1d: value and orders 1-2 against the composed input gradient (%.2g)"):format(worst))
  local function wsecond(fn)
    local a, c = x:clone():requires_grad(), g:clone():requires_grad()
    local y = fn(a, c):tanh()
    local g1 = m1d.grad((y * y):sum(), {a, c}, {create_graph = true})
    local g2 = m1d.grad((g1[1] ^ 2):sum() + (g1[2] ^ 2):sum(), {a, c})
    return {y, g1[1], g1[2], g2[1], g2[2]}
  end
  worst = max_rel(wsecond(function(a, c) return m1d.conv1d_weight_grad(a, c, 3, 2, 1) end),
                  wsecond(function(a, c)
                    local ww = m1d.zeros(3, 2, 3, F):requires_grad()
                    return m1d.grad((m1d.conv1d_composed(a, ww, nil, 2, 1) * c):sum(), {ww}, {create_graph = true})[1]
                  end))
  T.ok(worst < 1e-12, ("conv1d_weight_grad: value and orders 1-2 against the composed weight gradient (%.2g)"):format(worst))
end

-- ---------------------------------------------------------------- a meta-gradient through a CNN

-- d(final loss)/d(lr) through 3 unrolled SGD steps of a small two-layer tanh CNN: fused
-- and composed agree, and a central difference in lr
-- (with first-order inner gradients: the loss itself does not need a graph) matches.
do
  m1d.manual_seed(31)
  local xs, ys = randn(6, 1, 16), m1d.tensor({0, 2, 1, 3, 2, 0}, "int64")
  local p0 = {randn(3, 1, 5) * 0.5, randn(3) * 0.1, randn(3, 3, 3) * 0.5, randn(3) * 0.1, randn(4, 12) * 0.3, randn(4) * 0.1}
  local function unroll(conv, lr, graph)
    local p = {}
    for i, t in ipairs(p0) do p[i] = t:clone():requires_grad() end
    local loss
    for _ = 1, 3 do
      local h = conv(xs, p[1], p[2], 2, 1):tanh()
      h = conv(h, p[3], p[4], 2, 1):tanh()
      loss = m1d.cross_entropy(m1d.linear(h:flatten(2), p[5], p[6]), ys)
      local g = m1d.grad(loss, p, {create_graph = graph})
      for i = 1, #p do p[i] = p[i] - lr * g[i] end
    end
    local h = conv(conv(xs, p[1], p[2], 2, 1):tanh(), p[3], p[4], 2, 1):tanh()
    return m1d.cross_entropy(m1d.linear(h:flatten(2), p[5], p[6]), ys)
  end
  local lr = m1d.tensor(0.7, F):requires_grad()
  local d_fused = m1d.grad(unroll(m1d.conv1d, lr, true), lr):item()
  local d_comp = m1d.grad(unroll(m1d.conv1d_composed, lr, true), lr):item()
  local eps = 1e-5
  local fd = (unroll(m1d.conv1d, 0.7 + eps, false):item() - unroll(m1d.conv1d, 0.7 - eps, false):item()) / (2 * eps)
  T.ok(math.abs(d_fused - d_comp) <= 1e-12 * math.abs(d_comp) and math.abs(d_fused - fd) <= 1e-6 * math.abs(fd)
       and math.abs(fd) > 1e-3,
       ("CNN meta-gradient through 3 unrolled steps: fused %.12g, composed %.12g, central difference %.12g"):format(
         d_fused, d_comp, fd))
end

-- ---------------------------------------------------------------- the batch-last layout

-- "CLN" takes and gives [channels, length, batch]: the same numbers as "NCL" permuted, at
-- every order, over the gradcheck grid (strides 1-3, paddings 0-2, odd sizes)
local function to_cln(t) return t:permute(2, 3, 1):contiguous() end
local function to_ncl(t) return t:permute(3, 1, 2) end
for i, c in ipairs(grid) do
  local s, p, k, L = c[1], c[2], c[3], c[4]
  local bias = i % 2 == 1
  local tag = ("CLN stride %d pad %d k %d L %d%s"):format(s, p, k, L, bias and "" or ", no bias")
  local Lo = lout(L, k, s, p)
  local x, w, b = randn(2, 3, L), randn(2, 3, k), bias and randn(2) or nil
  local g, wt, xo = randn(2, 3, Lo), randn(3, 2, k), randn(2, 2, Lo)
  local d1 = (to_ncl(m1d.conv1d(to_cln(x), w, b, s, p, "CLN")) - m1d.conv1d(x, w, b, s, p)):abs():max():item()
  local d2 = (to_ncl(m1d.conv_transpose1d(to_cln(g), wt, b, s, p, s - 1, "CLN")) -
              m1d.conv_transpose1d(g, wt, b, s, p, s - 1)):abs():max():item()
  local d3 = (m1d.conv1d_weight_grad(to_cln(x), to_cln(xo), k, s, p, "CLN") -
              m1d.conv1d_weight_grad(x, xo, k, s, p)):abs():max():item()
  T.ok(math.max(d1, d2, d3) < 1e-13, ("%s: the three products equal NCL's permuted (%.2g)"):format(tag, math.max(d1, d2, d3)))
  both("conv1d " .. tag, function(a, c, d) return m1d.conv1d(a, c, d, s, p, "CLN") end,
       {to_cln(x), w, b})
  both("conv_transpose1d " .. tag, function(a, c, d) return m1d.conv_transpose1d(a, c, d, s, p, s - 1, "CLN") end,
       {to_cln(g), wt, b})
  both("conv1d_weight_grad " .. tag, function(a, c) return m1d.conv1d_weight_grad(a, c, k, s, p, "CLN") end,
       {to_cln(x), to_cln(xo)})
end

-- orders 1-3 through CLN against the composed NCL reference, a non-contiguous input, and
-- third order by gradgradcheck
do
  local x, w, b = randn(3, 2, 11), randn(4, 2, 3), randn(4)
  local function via_cln(a, c, d, s, p) return to_ncl(m1d.conv1d(a:permute(2, 3, 1), c, d, s, p, "CLN")) end
  for _, create_last in ipairs{false, true} do
    local worst = max_rel(orders(via_cln, x, w, b, 2, 1, create_last), orders(m1d.conv1d_composed, x, w, b, 2, 1, create_last))
    T.ok(worst < 1e-12, ("CLN from a permuted view: orders 1-3 agree with the composed NCL reference, last create_graph %s (%.2g)"):format(
      tostring(create_last), worst))
  end
  local ok, msg = check.gradgradcheck(first_grads(function(a, c, d) return m1d.conv1d(a, c, d, 2, 1, "CLN"):tanh() end, 3),
                                      {to_cln(x), w, b})
  T.ok(ok, "CLN conv1d stride 2 pad 1 then tanh: third order", msg)
  local xc, wc = to_cln(x):requires_grad(), w:clone():requires_grad()
  local gc = m1d.grad((m1d.conv1d(xc, wc, b, 2, 1, "CLN") ^ 2):sum(), {xc, wc}, {create_graph = true})
  T.is(gc[1]:grad_fn() .. " " .. gc[2]:grad_fn(), "conv_transpose1d conv1d_weight_grad",
       "CLN under create_graph: the gradients are the fused ops")
  T.raises(function() m1d.conv1d(to_cln(x), w, b, 2, 1, "NLC") end, "an unknown layout is an error",
           "#6 to 'conv1d'", "invalid option 'NLC'")
  T.raises(function() m1d.conv1d(x, w, b, 2, 1, "CLN") end, "CLN conv1d of an NCL input names the layout it wants",
           "want input [channels, length, batch]")
end

-- nn.models.cnn runs batch-last: the same function and gradients as the [N, C, L] network
-- with its parameters
do
  m1d.manual_seed(3)
  local model = m1d.nn.models.cnn():double()
  local x, y = randn(7, 40), m1d.tensor({0, 1, 2, 3, 4, 5, 9}, "int64")
  local p = model:parameters()
  local function ncl(xx)
    local h = xx:reshape(7, 1, 40)
    for i = 1, 5, 2 do h = m1d.conv1d(h, p[i], p[i + 1], 2, 1):relu() end
    return m1d.linear(h:flatten(2), p[7], p[8])
  end
  local a, b = model(x), ncl(x)
  local ga, gb = m1d.grad(m1d.cross_entropy(a, y), p), m1d.grad(m1d.cross_entropy(b, y), p)
  local worst = (a - b):abs():max():item()
  for i = 1, #ga do worst = math.max(worst, (ga[i] - gb[i]):abs():max():item()) end
  T.ok(#ga == 8 and worst < 1e-14, ("nn.models.cnn (batch-last) equals the NCL network: logits and gradients (%.2g)"):format(worst))
end

-- ---------------------------------------------------------------- float32

do
  m1d.manual_seed(29)
  local x, w, b = m1d.randn(8, 3, 19), m1d.randn(5, 3, 3), m1d.randn(5)
  local f64 = orders(m1d.conv1d, x:double(), w:double(), b:double(), 2, 1, false)
  local f32 = orders(m1d.conv1d, x, w, b, 2, 1, false)
  local worst, dtypes = max_rel(f32, f64), true
  for _, t in ipairs(f32) do dtypes = dtypes and t:dtype() == "float32" end
  T.ok(dtypes and worst < 1e-4, ("float32 orders 1-3 within %.2g of float64, and float32"):format(worst))
  local y = m1d.conv_transpose1d(m1d.randn(2, 3, 4), m1d.randn(3, 2, 3), m1d.randn(2), 2, 1, 1)
  T.ok(y:dtype() == "float32" and table.concat(y:size(), ",") == "2,2,8",
       "conv_transpose1d float32: shape (4 - 1) * 2 - 2 + 3 + 1 = 8")
end

-- empty batches and a length-1 input
do
  local e = m1d.conv_transpose1d(m1d.zeros(0, 3, 4, F), randn(3, 2, 3), nil, 2, 0, 0)
  T.is(table.concat(e:size(), ","), "0,2,9", "conv_transpose1d of an empty batch")
  local one = m1d.conv_transpose1d(m1d.ones(1, 1, 1, F), m1d.tensor({{{1, 2, 3}}}, F), m1d.tensor({0.5}, F))
  T.is(table.concat(one:reshape(-1):totable(), ","), "1.5,2.5,3.5", "conv_transpose1d of one element is the kernel plus bias")
  local wg = m1d.conv1d_weight_grad(m1d.zeros(0, 2, 5, F), m1d.zeros(0, 3, 3, F), 3)
  T.ok(wg:abs():sum():item() == 0 and table.concat(wg:size(), ",") == "3,2,3", "conv1d_weight_grad of an empty batch is zeros")
end

T.done()
