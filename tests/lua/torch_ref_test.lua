-- torch_ref_test.lua — m1d against PyTorch 1.13 float64 results: every case in
-- tests/fixtures/torch/ (a copy of shared/reference/torch; its README.md says what each
-- case computes).  Groups 1-2: forward, gradients with an upstream gradient, and the
-- second-order ggrad_* terms; 3: Hessian-vector products of small nets; 4: the
-- meta-gradient of a learning rate through unrolled SGD; 5: the meta-gradient of a
-- learned activation through unrolled RMSprop (its tanh net composed of ops, and as the
-- fused m1d.pointwise_mlp); 6: optimizer trajectories with the in-place kernels;
-- 8 (made by tools/make_conv_fixtures.py): conv_transpose1d to second order and conv1d
-- then tanh to third order; 9: cross_entropy to third order (tools/make_torch_fixtures_ce.py).
-- Tolerance (the README's): max|a - b| <= tol * (1 + max|b|), tol 1e-9 for groups 1-3, 6, 8
-- and 9, 1e-8 for the deep unrolled groups 4-5 (there relative to max|b|).
-- At the end every case of the README and every file each case.txt lists must have
-- been compared (or used as an input), so a fixture cannot be silently skipped.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn = require "m1d.nn"

local DIR = "tests/fixtures/torch/"
local F = "float64"
local TOL, TOL_DEEP = 1e-9, 1e-8

-- ---------------------------------------------------------------- fixtures

local used = {}          -- used[case][file] = true once loaded
local function load(case, name)
  used[case] = used[case] or {}
  used[case][name] = true
  local path = DIR .. case .. "/" .. name .. ".npy"
  local ok, t = pcall(m1d.load_npy, path)
  if not ok then error(("missing or unreadable fixture %s: %s"):format(path, t), 2) end
  return t
end

local function shape_str(t) return "[" .. table.concat(t:size(), ",") .. "]" end

-- got vs want: same shape (a 0-dim result matches a stored [1]), max|a-b| <= tol (1 + max|b|);
-- with `relative`, max|a-b| <= tol max|b| (the meta-gradients of group 5 are ~1e-3)
local function compare(got, want, tol, name, relative)
  if not m1d.is_tensor(got) then return T.ok(false, name, "result is " .. type(got)) end
  got = got:detach()
  if got:dim() == 0 and want:dim() == 1 and want:numel() == 1 then got = got:reshape(1) end
  if shape_str(got) ~= shape_str(want) then
    return T.ok(false, name, ("shape %s, want %s"):format(shape_str(got), shape_str(want)))
  end
  if got:dtype() ~= "float64" then
    return T.ok(false, name, ("dtype %s, want float64"):format(got:dtype()))
  end
  local diff = (got - want):abs():max():item()
  local scale = want:abs():max():item()
  local bound = relative and tol * scale or tol * (1 + scale)
  return T.ok(diff <= bound, name, ("max|a-b| %.3g > %.3g (max|b| %.3g)"):format(diff, bound, scale))
end

local function flat_cat(list)
  local f = {}
  for i, t in ipairs(list) do f[i] = t:reshape(-1) end
  return m1d.cat(f, 1)
end

-- ---------------------------------------------------------------- groups 1-2

-- Inputs by file name (int64 ones are constants); fn returns the output(s) named in
-- outs (default {"out"}); the upstream gradients are gout (first output) and
-- gout_<name> (others).  Checks out, grad_<input>, ggrad_<input> and ggrad_<gout>.
local function op_case(case, names, fn, outs)
  outs = outs or {"out"}
  local args, leaves, lnames = {}, {}, {}
  for i, nm in ipairs(names) do
    local t = load(case, nm)
    if t:dtype() ~= "int64" then
      t:requires_grad()
      leaves[#leaves + 1], lnames[#lnames + 1] = t, nm
    end
    args[i] = t
  end
  local results = table.pack(fn(table.unpack(args, 1, #names)))
  local gouts, gnames = {}, {}
  for k, on in ipairs(outs) do
    compare(results[k], load(case, on), TOL, case .. ": " .. on)
    gnames[k] = k == 1 and "gout" or "gout_" .. on
    local g = load(case, gnames[k])
    if results[k]:dim() == 0 then g = g:reshape({}) end
    gouts[k] = g:requires_grad()
  end
  local outs_t = {}
  for k = 1, #outs do outs_t[k] = results[k] end
  local grads = m1d.grad(outs_t, leaves, {grad_outputs = gouts, create_graph = true})
  local s
  for i, nm in ipairs(lnames) do
    compare(grads[i], load(case, "grad_" .. nm), TOL, case .. ": grad_" .. nm)
    local term = (grads[i] * load(case, "v_" .. nm)):sum()
    s = s and s + term or term
  end
  local targets = {}
  for i, x in ipairs(leaves) do targets[i] = x end
  for k, g in ipairs(gouts) do targets[#leaves + k] = g end
  local gg = m1d.grad(s, targets)
  for i, nm in ipairs(lnames) do
    compare(gg[i], load(case, "ggrad_" .. nm), TOL, case .. ": ggrad_" .. nm)
  end
  for k, gn in ipairs(gnames) do
    compare(gg[#leaves + k], load(case, "ggrad_" .. gn), TOL, case .. ": ggrad_" .. gn)
  end
end

local function unary(case, f) op_case(case, {"x0"}, f) end
local function binary(case, f) op_case(case, {"x0", "x1"}, f) end

binary("op_add", function(a, b) return a + b end)
binary("op_add_bcast2", function(a, b) return a + b end)
binary("op_sub", function(a, b) return a - b end)
binary("op_mul", function(a, b) return a * b end)
binary("op_mul_scalar", function(a, b) return a * b end)
binary("op_div", function(a, b) return a / b end)
unary("op_exp", function(a) return a:exp() end)
unary("op_log", function(a) return a:log() end)
unary("op_tanh", function(a) return a:tanh() end)
unary("op_sigmoid", function(a) return a:sigmoid() end)
unary("op_relu", function(a) return a:relu() end)
unary("op_elu", function(a) return a:elu(1.0) end)
unary("op_softplus", function(a) return a:softplus(1, 20) end)
unary("op_silu", function(a) return a:silu() end)
unary("op_sqrt", function(a) return a:sqrt() end)
unary("op_pow_scalar", function(a) return a ^ 2.5 end)
unary("op_pow_int", function(a) return a ^ 3 end)
binary("op_pow_tensor", function(a, b) return a ^ b end)
unary("op_abs", function(a) return a:abs() end)
unary("op_neg", function(a) return -a end)
unary("op_sum_dim1", function(a) return a:sum(2) end)
unary("op_sum_dim0_keepdim", function(a) return a:sum(1, true) end)
unary("op_sum_all", function(a) return a:sum() end)
unary("op_mean_dim2", function(a) return a:mean(3) end)
unary("op_mean_all", function(a) return a:mean() end)
binary("op_matmul", function(a, b) return a:matmul(b) end)
binary("op_matmul_batched", function(a, b) return a:matmul(b) end)
binary("op_matmul_bcast", function(a, b) return a:matmul(b) end)
unary("op_transpose2d", function(a) return a:t() end)
unary("op_transpose3d_12", function(a) return a:transpose(2, 3) end)
unary("op_reshape", function(a) return a:reshape(4, 6) end)
unary("op_reshape_after_transpose", function(a) return a:transpose(1, 2):reshape(12) end)
unary("op_narrow_dim1", function(a) return a:narrow(2, 2, 3) end)     -- torch start 1, 0-based
unary("op_narrow_dim0", function(a) return a:narrow(1, 3, 2) end)     -- torch start 2, 0-based
binary("op_cat_dim0", function(a, b) return m1d.cat({a, b}, 1) end)
binary("op_cat_dim1", function(a, b) return m1d.cat({a, b}, 2) end)
unary("op_log_softmax", function(a) return a:log_softmax(2) end)
unary("op_softmax", function(a) return a:softmax(2) end)
op_case("op_cross_entropy", {"x0", "labels"}, function(x, y) return m1d.cross_entropy(x, y) end)
binary("op_mse_loss", function(a, b) return m1d.mse(a, b) end)

local layer = op_case
layer("layer_linear", {"x", "weight", "bias"}, function(x, w, b) return m1d.linear(x, w, b) end)
layer("layer_conv1d_a", {"x", "weight", "bias"}, function(x, w, b) return m1d.conv1d(x, w, b, 2, 1) end)
layer("layer_conv1d_b", {"x", "weight", "bias"}, function(x, w, b) return m1d.conv1d(x, w, b, 1, 1) end)
layer("layer_conv1d_c", {"x", "weight", "bias"}, function(x, w, b) return m1d.conv1d(x, w, b, 2, 1) end)
-- group 8 (tools/make_conv_fixtures.py): the transposed convolution, conv1d without bias
op_case("op_conv_transpose1d_a", {"x", "weight", "bias"}, function(x, w, b) return m1d.conv_transpose1d(x, w, b, 2, 1, 1) end)
op_case("op_conv_transpose1d_b", {"x", "weight"}, function(x, w) return m1d.conv_transpose1d(x, w, nil, 1, 2, 0) end)
op_case("op_conv_transpose1d_c", {"x", "weight", "bias"}, function(x, w, b) return m1d.conv_transpose1d(x, w, b, 3, 0, 2) end)
op_case("op_conv1d_nobias", {"x", "weight"}, function(x, w) return m1d.conv1d(x, w, nil, 2, 2) end)
layer("layer_maxpool1d", {"x"}, function(x) return m1d.max_pool1d(x, 2) end)
layer("layer_avgpool1d", {"x"}, function(x) return m1d.avg_pool1d(x, 2) end)
layer("layer_lppool1d", {"x"}, function(x) return m1d.lp_pool1d(x, 2, 2, 2) end)
layer("layer_flatten", {"x"}, function(x) return x:flatten(2) end)

-- GRU: nn.GRU run functionally (apply) with the fixture's parameters, in the order
-- of its parameter list (weight_ih, weight_hh, bias_ih, bias_hh; then *_reverse).
local GRU_PARAMS = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
local GRU_REVERSE = {"weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                     "bias_hh_l0_reverse"}
local function gru_case(case, n_in, H, bidir, with_h0)
  local gru = nn.GRU(n_in, H, {bidirectional = bidir, batch_first = true})
  local _, pnames = gru:named_parameters()
  local want = {table.unpack(GRU_PARAMS)}
  if bidir then for _, nm in ipairs(GRU_REVERSE) do want[#want + 1] = nm end end
  T.is(table.concat(pnames, " "), table.concat(want, " "), case .. ": nn.GRU parameter names and order")
  local names = {"x"}
  if with_h0 then names[2] = "h0" end
  for _, nm in ipairs(want) do names[#names + 1] = nm end
  op_case(case, names, function(x, ...)
    local rest = {...}
    local h0
    if with_h0 then h0 = table.remove(rest, 1) end
    return gru:apply(rest, x, h0)
  end, {"out", "h_n"})
end
gru_case("layer_gru_uni", 1, 6, false, false)
gru_case("layer_gru_bi", 1, 6, true, false)
gru_case("layer_gru_in3_h0", 3, 4, false, true)

-- conv1d then tanh to third order: s = sum_i sum(grad_i * v_i) as a function of the inputs
-- and gout, s3 = sum_i sum(ggrad_i * u_i) as a function of the inputs
do
  local case, names = "op_conv1d_tanh_third", {"x", "weight", "bias"}
  local ins = {}
  for i, nm in ipairs(names) do ins[i] = load(case, nm):requires_grad() end
  local gout = load(case, "gout"):requires_grad()
  local out = m1d.conv1d(ins[1], ins[2], ins[3], 2, 1):tanh()
  compare(out, load(case, "out"), TOL, case .. ": out")
  local g = m1d.grad((out * gout):sum(), ins, {create_graph = true})
  local s2
  for i, nm in ipairs(names) do
    compare(g[i], load(case, "grad_" .. nm), TOL, case .. ": grad_" .. nm)
    local term = (g[i] * load(case, "v_" .. nm)):sum()
    s2 = s2 and s2 + term or term
  end
  local gg = m1d.grad(s2, {ins[1], ins[2], ins[3], gout}, {create_graph = true})
  local s3
  for i, nm in ipairs(names) do
    compare(gg[i], load(case, "ggrad_" .. nm), TOL, case .. ": ggrad_" .. nm)
    local term = (gg[i] * load(case, "u_" .. nm)):sum()
    s3 = s3 and s3 + term or term
  end
  compare(gg[4], load(case, "ggrad_gout"), TOL, case .. ": ggrad_gout")
  local ggg = m1d.grad(s3, ins)
  for i, nm in ipairs(names) do compare(ggg[i], load(case, "gggrad_" .. nm), TOL, case .. ": gggrad_" .. nm) end
end

-- ---------------------------------------------------------------- group 3: HVPs

local function hvp_case(case, pnames, loss_fn)
  local x, y = load(case, "x"), load(case, "y")
  local params = {}
  for i, nm in ipairs(pnames) do params[i] = load(case, nm):requires_grad() end
  compare(flat_cat(params), load(case, "theta"), 0, case .. ": parameters flatten to theta")
  local loss = loss_fn(x, y, table.unpack(params))
  compare(loss, load(case, "loss"), TOL, case .. ": loss")
  local g = m1d.grad(loss, params, {create_graph = true})
  local gflat = flat_cat(g)
  compare(gflat, load(case, "grad"), TOL, case .. ": grad")
  for k = 1, 2 do
    local v = load(case, "v" .. k)
    local hv = m1d.grad((gflat * v):sum(), params, {retain_graph = true})
    compare(flat_cat(hv), load(case, "hv" .. k), TOL, case .. ": hv" .. k)
  end
end

hvp_case("hvp_mlp_tanh", {"W1", "b1", "W2", "b2"}, function(x, y, W1, b1, W2, b2)
  return m1d.cross_entropy(m1d.linear(m1d.linear(x, W1, b1):tanh(), W2, b2), y)
end)
hvp_case("hvp_mlp_relu_elu", {"W1", "b1", "W2", "b2", "W3", "b3"}, function(x, y, W1, b1, W2, b2, W3, b3)
  local h1 = m1d.linear(x, W1, b1):relu()
  local h2 = m1d.linear(h1, W2, b2):elu(1)
  return m1d.cross_entropy(m1d.linear(h2, W3, b3), y)
end)
hvp_case("hvp_conv", {"Wc", "bc", "W", "b"}, function(x, y, Wc, bc, W, b)
  local h = m1d.conv1d(x:reshape(x:size(1), 1, 40), Wc, bc, 2, 1):tanh()
  return m1d.cross_entropy(m1d.linear(h:flatten(2), W, b), y)
end)

-- ---------------------------------------------------------------- group 4: meta_lr

do
  local case = "meta_lr"
  local xs, ys = load(case, "x_train"), load(case, "y_train")
  local init = {load(case, "W1"), load(case, "b1"), load(case, "W2"), load(case, "b2")}
  -- the unrolled loop: returns the list of inner losses and their mean; first_order
  -- detaches the inner gradients (the first-order approximation of the meta-gradient)
  local function unroll(lr, steps, first_order)
    local p = {}
    for i, t in ipairs(init) do p[i] = t:clone():requires_grad() end
    local losses, total = {}, nil
    for i = 0, steps - 1 do
      local s = (i * 50) % 1000
      local xb, yb = xs:narrow(1, s + 1, 50), ys:narrow(1, s + 1, 50)
      local loss = m1d.cross_entropy(m1d.linear(m1d.linear(xb, p[1], p[2]):tanh(), p[3], p[4]), yb)
      local g = m1d.grad(loss, p, {create_graph = not first_order, retain_graph = true})
      for k = 1, 4 do p[k] = p[k] - lr * g[k] end
      losses[i + 1] = loss
      total = total and total + loss or loss
    end
    return losses, total / steps
  end
  for _, run in ipairs{{"steps20_lr0p5", 20}, {"steps20_lr1p5", 20}, {"steps200_lr0p5", 200}} do
    local prefix, steps = run[1], run[2]
    local lr = load(case, prefix .. "_lr"):reshape({}):requires_grad()
    local losses, meta = unroll(lr, steps)
    local dlr = m1d.grad(meta, lr)
    local name = case .. " " .. prefix
    compare(m1d.stack(losses), load(case, prefix .. "_losses"), TOL_DEEP, name .. ": inner losses", true)
    compare(meta, load(case, prefix .. "_meta_loss"), TOL_DEEP, name .. ": meta loss", true)
    compare(dlr, load(case, prefix .. "_dmeta_dlr"), TOL_DEEP, name .. ": d meta / d lr", true)
    if steps == 20 then
      -- the same meta-gradient by a central difference in lr, and unlike the first-order one
      local h, lr0 = 1e-5, lr:item()
      local _, mp = unroll(lr0 + h, steps, true)
      local _, mm = unroll(lr0 - h, steps, true)
      local fd = (mp:item() - mm:item()) / (2 * h)
      T.ok(math.abs(fd - dlr:item()) <= 1e-6 * math.abs(fd), name .. ": d meta / d lr matches a finite difference",
           ("autograd %.12g, finite difference %.12g"):format(dlr:item(), fd))
      local lr1 = lr:detach():requires_grad()
      local _, meta1 = unroll(lr1, steps, true)
      local d1 = m1d.grad(meta1, lr1):item()
      T.ok(math.abs(d1 - dlr:item()) > 0.01 * math.abs(dlr:item()),
           name .. ": the first-order (detached) meta-gradient differs",
           ("unrolled %.6g, first-order %.6g"):format(dlr:item(), d1))
    end
  end
end

-- ---------------------------------------------------------------- group 5: meta_act

-- twice: g composed of ops, and g as the fused m1d.pointwise_mlp (whose gradients of
-- every order are fused: the meta-gradient differentiates its differentiable backward)
for _, fused in ipairs{false, true} do
  local case = "meta_act"
  local xs, ys = load(case, "x_train"), load(case, "y_train")
  local gnames, pnames = {"gV1", "gc1", "gV2", "gc2"}, {"W1", "b1", "W2", "b2"}
  local gp, p0 = {}, {}
  for i, nm in ipairs(gnames) do gp[i] = load(case, nm):requires_grad() end
  for i, nm in ipairs(pnames) do p0[i] = load(case, nm):requires_grad() end
  -- f(u) = elu(u) + 0.2 g(u), g the 1-8-1 tanh net applied to every scalar
  local function act(u)
    if fused then
      return u:elu(1) + (m1d.pointwise_mlp(u, gp[1], gp[2], gp[3]):select(1, 1) + gp[4]) * 0.2
    end
    local col = u:reshape(-1, 1)
    local g = m1d.linear(m1d.linear(col, gp[1], gp[2]):tanh(), gp[3], gp[4])
    return u:elu(1) + g:reshape(u:size()) * 0.2
  end
  local label = fused and "meta_act, fused pointwise_mlp" or case
  local p, avg = {}, {}
  for i = 1, 4 do p[i] = p0[i]; avg[i] = m1d.ones(p0[i]:size(), F) end
  local losses, total = {}, nil
  for i = 0, 9 do
    local s = (i * 25) % 250
    local xb, yb = xs:narrow(1, s + 1, 25), ys:narrow(1, s + 1, 25)
    local loss = m1d.cross_entropy(m1d.linear(act(m1d.linear(xb, p[1], p[2])), p[3], p[4]), yb)
    local g = m1d.grad(loss, p, {create_graph = true})
    for k = 1, 4 do
      avg[k] = avg[k] * 0.4 + g[k] * g[k] * 0.6
      p[k] = p[k] - g[k] * 0.01 / (avg[k]:sqrt() + 1e-8)
    end
    losses[i + 1] = loss
    total = total and total + loss or loss
  end
  local meta = total / 10
  compare(m1d.stack(losses), load(case, "losses"), TOL_DEEP, label .. ": inner losses", true)
  compare(meta, load(case, "meta_loss"), TOL_DEEP, label .. ": meta loss", true)
  local targets = {}
  for i = 1, 4 do targets[i] = gp[i]; targets[4 + i] = p0[i] end
  local grads = m1d.grad(meta, targets)
  for i, nm in ipairs(gnames) do compare(grads[i], load(case, "grad_" .. nm), TOL_DEEP, label .. ": grad_" .. nm, true) end
  for i, nm in ipairs(pnames) do
    compare(grads[4 + i], load(case, "grad_" .. nm), TOL_DEEP, label .. ": grad_" .. nm .. " (initial)", true)
  end
end

-- ---------------------------------------------------------------- group 6: optimizers

-- loss(w, b) = 0.5 sum(Q (w - C)^2) + sum(tanh(x w + b)); gradients by autograd, the
-- update by the in-place kernel `step(param, grad, state, k)` (k counts from 1).
local function optim_case(case, make_state, step)
  local x, C, Q = load(case, "x"), load(case, "C"), load(case, "Q")
  local w, b = load(case, "w0"):requires_grad(), load(case, "b0"):requires_grad()
  local gw_ref, gb_ref, loss_ref = load(case, "grads_w"), load(case, "grads_b"), load(case, "losses")
  local wt_ref, bt_ref = load(case, "w_traj"), load(case, "b_traj")
  local sw, sb = make_state(w), make_state(b)
  local losses, gws, gbs, wt, bt = {}, {}, {}, {}, {}
  for k = 1, 5 do
    local d = w - C
    local loss = (Q * d * d):sum() * 0.5 + (x:matmul(w) + b):tanh():sum()
    local g = m1d.grad(loss, {w, b})
    losses[k], gws[k], gbs[k] = loss, g[1], g[2]
    m1d.no_grad(function()
      step(w, g[1], sw, k)
      step(b, g[2], sb, k)
    end)
    wt[k], bt[k] = w:detach():clone(), b:detach():clone()
  end
  compare(m1d.stack(losses), loss_ref, TOL, case .. ": losses")
  compare(m1d.stack(gws), gw_ref, TOL, case .. ": gradients of w")
  compare(m1d.stack(gbs), gb_ref, TOL, case .. ": gradients of b")
  compare(m1d.stack(wt), wt_ref, TOL, case .. ": w trajectory")
  compare(m1d.stack(bt), bt_ref, TOL, case .. ": b trajectory")
end

local function no_state() return nil end
local function one_buffer(p) return m1d.zeros(p:size(), F) end
local function two_buffers(p) return {m1d.zeros(p:size(), F), m1d.zeros(p:size(), F)} end

optim_case("optim_sgd", no_state, function(p, g) m1d.core.sgd_update(p, g, nil, 0.1, 0, 0, 0, false, false) end)
optim_case("optim_sgd_momentum", one_buffer, function(p, g, buf, k)
  m1d.core.sgd_update(p, g, buf, 0.1, 0.9, 0, 0, false, k == 1)
end)
optim_case("optim_sgd_momentum_wd", one_buffer, function(p, g, buf, k)
  m1d.core.sgd_update(p, g, buf, 0.1, 0.9, 0, 0.01, false, k == 1)
end)
optim_case("optim_adam", two_buffers, function(p, g, s, k)
  m1d.core.adam_update(p, g, s[1], s[2], k, 1e-2, 0.9, 0.999, 1e-8, 0, false)
end)
optim_case("optim_adam_wd", two_buffers, function(p, g, s, k)
  m1d.core.adam_update(p, g, s[1], s[2], k, 1e-2, 0.9, 0.999, 1e-8, 1e-3, false)
end)
optim_case("optim_adamw", two_buffers, function(p, g, s, k)
  m1d.core.adam_update(p, g, s[1], s[2], k, 1e-2, 0.9, 0.999, 1e-8, 1e-2, true)
end)
optim_case("optim_rmsprop", one_buffer, function(p, g, sq)
  m1d.core.rmsprop_update(p, g, sq, 1e-2, 0.99, 1e-8, 0)
end)

-- ---------------------------------------------------------------- group 9: cross_entropy to third order

-- (tools/make_torch_fixtures_ce.py) the fused cross_entropy_backward and softmax_jvp: the
-- derivatives of out * gout to third order, in the logits and in the upstream gradient
do
  local case = "op_cross_entropy_3rd"
  local x, y = load(case, "x0"):requires_grad(), load(case, "labels")
  local gout = load(case, "gout"):reshape({}):requires_grad()
  local out = m1d.cross_entropy(x, y)
  compare(out, load(case, "out"), TOL, case .. ": out")
  local g = m1d.grad(out, {x}, {grad_outputs = {gout}, create_graph = true})[1]
  compare(g, load(case, "grad_x0"), TOL, case .. ": grad_x0")
  local gg = m1d.grad((g * load(case, "v_x0")):sum(), {x, gout}, {create_graph = true})
  compare(gg[1], load(case, "ggrad_x0"), TOL, case .. ": ggrad_x0")
  compare(gg[2], load(case, "ggrad_gout"), TOL, case .. ": ggrad_gout")
  local ggg = m1d.grad((gg[1] * load(case, "w_x0")):sum(), {x, gout})
  compare(ggg[1], load(case, "gggrad_x0"), TOL, case .. ": gggrad_x0 (third order)")
  compare(ggg[2], load(case, "gggrad_gout"), TOL, case .. ": gggrad_gout (third order)")
end

-- ---------------------------------------------------------------- coverage of the fixtures

do
  local readme = assert(io.open(DIR .. "README.md")):read("a")
  local cases = {}
  for name in readme:gmatch("\n| `([%w_]+)` |") do cases[#cases + 1] = name end
  T.is(#cases, 69, "the README lists 69 cases")
  local missing_cases, missing_files = {}, {}
  for _, case in ipairs(cases) do
    if not used[case] then
      missing_cases[#missing_cases + 1] = case
    else
      local txt = assert(io.open(DIR .. case .. "/case.txt")):read("a")
      for file in txt:gmatch("\n  ([%w_]+)%.npy ") do
        if not used[case][file] then missing_files[#missing_files + 1] = case .. "/" .. file end
      end
    end
  end
  T.ok(#missing_cases == 0, "every case is tested", "untested: " .. table.concat(missing_cases, " "))
  T.ok(#missing_files == 0, "every fixture file is used", "unused: " .. table.concat(missing_files, " "))
end

T.done()
