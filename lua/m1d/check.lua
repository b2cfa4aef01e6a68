-- check.lua — gradient checks by finite differences, in float64.
--
--   local check = require "m1d.check"
--   local ok, msg = check.gradcheck(function(x, w) return x:matmul(w):tanh() end, {x, w})
--   local ok, msg = check.gradgradcheck(function(x) return x:pow(3) end, {x})
--
-- gradcheck compares the autograd gradient of L = sum(fn(inputs) * v) with central
-- differences (f(x + eps) - f(x - eps)) / (2 eps), one input element at a time.  v is a
-- fixed random direction; when the output has at most `full_outputs` elements every
-- output element is checked on its own instead (the full Jacobian).
-- gradgradcheck differentiates the first-order gradient: with random directions u_i
-- (one per checked input) and v (for the output), S = sum_i sum(grad_i * u_i) where
-- grad_i = d sum(fn * v) / d input_i is computed with create_graph = true; the
-- autograd dS/d input_i (a Hessian-vector product) and dS/dv (= J u) are compared with
-- central differences of S, whose first-order gradients autograd computes afresh.
--
-- Both return ok, message.  On failure the message names the input, the element (flat
-- 1-based index and its multi-index), both values and the tolerance; on success it
-- summarises what was checked.  An element passes when
-- |analytical - numerical| <= atol + rtol * |numerical|.
--
-- inputs: a list (or one tensor).  Checked are the float64 tensors that require grad,
-- or, if none does, every float64 tensor; opts.wrt = {i, ...} picks them explicitly.
-- Other entries (int64 labels, masks, numbers) are passed through unchanged.  The
-- caller's tensors are never modified: the checks work on copies.
--
-- opts: eps (1e-6), atol (1e-5), rtol (1e-3), seed (for the random directions),
-- full_outputs (1: full Jacobian only for one-element outputs), wrt, raise (error()
-- instead of returning false), skip_grad_outputs (gradgradcheck); any other key is an error.  The directions come from a private generator, so a
-- check never moves m1d's global random stream.
local m1d = require "m1d"

local check = {}

local DEFAULTS = {eps = 1e-6, atol = 1e-5, rtol = 1e-3, seed = 20240601, full_outputs = 1}

-- ---------------------------------------------------------------- helpers

-- xorshift64* with Box-Muller: deterministic normals, independent of m1d.manual_seed
local function normal_source(seed)
  local s = seed ~ 0x2545F4914F6CDD1D
  if s == 0 then s = 1 end
  local spare
  local function uniform()
    s = s ~ (s >> 12); s = s ~ (s << 25); s = s ~ (s >> 27)
    local r = (s * 0x2545F4914F6CDD1D) >> 11          -- 53 random bits
    return (r + 0.5) / 9007199254740992.0              -- in (0, 1)
  end
  return function()
    if spare then local v = spare; spare = nil; return v end
    local r, a = math.sqrt(-2 * math.log(uniform())), 2 * math.pi * uniform()
    spare = r * math.sin(a)
    return r * math.cos(a)
  end
end

local function random_like(t, normal)
  local r = m1d.zeros(t:size(), "float64")
  for i = 1, r:numel() do r:setflat(i, normal()) end
  return r
end

local function shape_str(t)
  return "[" .. table.concat(t:size(), ",") .. "]"
end

-- "(2,3)" for flat index k of a tensor of the given shape (1-based, row-major)
local function multi_index(shape, k)
  if #shape == 0 then return "()" end
  local idx, r = {}, k - 1
  for d = #shape, 1, -1 do
    idx[d] = r % shape[d] + 1
    r = r // shape[d]
  end
  return "(" .. table.concat(idx, ",") .. ")"
end

local function fmt(x) return ("%.10g"):format(x) end

local function merge(opts, who)
  local known = {"wrt", "raise", "skip_grad_outputs"}
  for k in pairs(DEFAULTS) do known[#known + 1] = k end
  require("m1d.util").check_options(who, opts, known, 3)
  local o = {}
  for k, v in pairs(DEFAULTS) do o[k] = v end
  for k, v in pairs(opts or {}) do o[k] = v end
  return o
end

-- Which inputs to differentiate, as a set of positions; errors on bad requests.
local function select_inputs(inputs, opts, who)
  local wrt = {}
  if opts.wrt then
    for _, i in ipairs(opts.wrt) do
      local x = inputs[i]
      if not m1d.is_tensor(x) then error(("%s: wrt input %d is not a tensor"):format(who, i), 3) end
      wrt[#wrt + 1] = i
    end
  else
    for i = 1, #inputs do
      local x = inputs[i]
      if m1d.is_tensor(x) and x:dtype() ~= "int64" and x:is_requiring_grad() then wrt[#wrt + 1] = i end
    end
    if #wrt == 0 then
      for i = 1, #inputs do
        local x = inputs[i]
        if m1d.is_tensor(x) and x:dtype() ~= "int64" then wrt[#wrt + 1] = i end
      end
    end
  end
  if #wrt == 0 then error(who .. ": no float64 tensor among the inputs to check", 3) end
  for _, i in ipairs(wrt) do
    if inputs[i]:dtype() ~= "float64" then
      error(("%s: input %d is %s %s; finite differences need float64 (use :double())")
            :format(who, i, inputs[i]:dtype(), shape_str(inputs[i])), 3)
    end
  end
  return wrt
end

-- Fresh leaves for the checked inputs (copies: the caller's tensors stay untouched).
local function make_args(inputs, wrt)
  local args, leaves = {}, {}
  for i = 1, #inputs do args[i] = inputs[i] end
  for k, i in ipairs(wrt) do
    local c = m1d.no_grad(function() return inputs[i]:detach():clone() end)
    leaves[k] = c:requires_grad()
    args[i] = leaves[k]
  end
  return args, leaves
end

local function call(fn, args, n, who)
  local out = fn(table.unpack(args, 1, n))
  if not m1d.is_tensor(out) then
    error(("%s: fn must return a tensor, got %s"):format(who, type(out)), 3)
  end
  if out:dtype() ~= "float64" then
    error(("%s: fn returned %s %s; the check needs float64"):format(who, out:dtype(), shape_str(out)), 3)
  end
  return out
end

local function close_enough(a, n, o)
  return math.abs(a - n) <= o.atol + o.rtol * math.abs(n)   -- false for NaN
end

local function dot(a, b) return (a * b):sum():item() end

-- d(args)/d(leaves) of a root with upstream gradient gout; zeros when the root is
-- constant.  create_graph records the backward pass.
local function grads_of(root, leaves, gout, create)
  if not root:is_requiring_grad() then
    local z = {}
    for k, x in ipairs(leaves) do z[k] = m1d.zeros(x:size(), "float64") end
    return z
  end
  return m1d.grad(root, leaves, {grad_outputs = gout and {gout} or nil, create_graph = create,
                                 retain_graph = true})
end

local function finish(ok, msg, o)
  if not ok and o.raise then error(msg, 3) end
  return ok, msg
end

-- ---------------------------------------------------------------- gradcheck

function check.gradcheck(fn, inputs, opts)
  local who = "gradcheck"
  if m1d.is_tensor(inputs) then inputs = {inputs} end
  local o = merge(opts, who)
  local n = #inputs
  local wrt = select_inputs(inputs, o, who)
  local normal = normal_source(o.seed)
  local args, leaves = make_args(inputs, wrt)

  -- analytical: one backward per direction
  local out = call(fn, args, n, who)
  local numel = out:numel()
  local dirs = {}
  if numel <= o.full_outputs then
    for j = 1, numel do
      local e = m1d.zeros(out:size(), "float64")
      e:setflat(j, 1)
      dirs[j] = e
    end
  else
    dirs[1] = random_like(out, normal)
  end
  local analytic = {}
  for d, v in ipairs(dirs) do analytic[d] = grads_of(out, leaves, v, false) end
  for d = 1, #dirs do
    for k, g in ipairs(analytic[d]) do
      if shape_str(g) ~= shape_str(leaves[k]) then
        return finish(false, ("%s: gradient of input %d has shape %s, the input %s")
                      :format(who, wrt[k], shape_str(g), shape_str(leaves[k])), o)
      end
    end
  end

  -- numerical: central differences on plain copies, no graph
  local plain = {}
  for i = 1, n do plain[i] = inputs[i] end
  for k, i in ipairs(wrt) do plain[i] = m1d.no_grad(function() return leaves[k]:detach():clone() end) end
  local worst, count = 0, 0
  for k, i in ipairs(wrt) do
    local x = plain[i]
    for e = 1, x:numel() do
      local x0 = x:getflat(e)
      local plus, minus
      m1d.no_grad(function()
        -- clone: a view op's output shares the input's storage
        x:setflat(e, x0 + o.eps); plus = call(fn, plain, n, who):clone()
        x:setflat(e, x0 - o.eps); minus = call(fn, plain, n, who):clone()
      end)
      x:setflat(e, x0)
      local col = (plus - minus) / (2 * o.eps)
      for d, v in ipairs(dirs) do
        local num = dot(col, v)
        local ana = analytic[d][k]:getflat(e)
        count = count + 1
        if not close_enough(ana, num, o) then
          local where = #dirs > 1 and (" (output element %d)"):format(d) or ""
          return finish(false, ("%s: input %d %s element %d %s%s: analytical %s, numerical %s "
                                .. "(|diff| %.3g > atol %g + rtol %g * |numerical|)")
                        :format(who, i, shape_str(x), e, multi_index(x:size(), e), where,
                                fmt(ana), fmt(num), math.abs(ana - num), o.atol, o.rtol), o)
        end
        worst = math.max(worst, math.abs(ana - num))
      end
    end
  end
  return true, ("%s: %d inputs, %d comparisons, max |diff| %.3g"):format(who, #wrt, count, worst)
end

-- ---------------------------------------------------------------- gradgradcheck

function check.gradgradcheck(fn, inputs, opts)
  local who = "gradgradcheck"
  if m1d.is_tensor(inputs) then inputs = {inputs} end
  local o = merge(opts, who)
  local n = #inputs
  local wrt = select_inputs(inputs, o, who)
  local normal = normal_source(o.seed + 1)
  local args, leaves = make_args(inputs, wrt)

  local out0 = call(fn, args, n, who)
  local v = random_like(out0, normal):requires_grad()
  local u = {}
  for k, x in ipairs(leaves) do u[k] = random_like(x, normal) end

  -- S = sum_k sum(grad_k * u_k), the first-order gradients taken with or without a graph
  local function S(create)
    local out = call(fn, args, n, who)
    if not out:is_requiring_grad() then return nil end
    local g = m1d.grad(out, leaves, {grad_outputs = {v}, create_graph = create, retain_graph = create})
    local s
    for k = 1, #leaves do
      local term = (g[k] * u[k]):sum()
      s = s and s + term or term
    end
    return s
  end

  -- analytical second order: dS/dx_k and dS/dv
  local targets = {}
  for k, x in ipairs(leaves) do targets[k] = x end
  targets[#leaves + 1] = v
  local s = S(true)
  local analytic
  if s == nil then
    return true, who .. ": fn does not depend on the inputs (no gradients to differentiate)"
  end
  analytic = grads_of(s, targets, nil, false)

  -- numerical: central differences of S (first-order gradients only)
  local worst, count = 0, 0
  local function compare(name, t, ana)
    for e = 1, t:numel() do
      local t0 = t:getflat(e)
      t:setflat(e, t0 + o.eps); local sp = S(false)
      t:setflat(e, t0 - o.eps); local sm = S(false)
      t:setflat(e, t0)
      local num = ((sp and sp:item() or 0) - (sm and sm:item() or 0)) / (2 * o.eps)
      local a = ana:getflat(e)
      count = count + 1
      if not close_enough(a, num, o) then
        return false, ("%s: %s %s element %d %s: analytical %s, numerical %s "
                       .. "(|diff| %.3g > atol %g + rtol %g * |numerical|)")
                      :format(who, name, shape_str(t), e, multi_index(t:size(), e), fmt(a),
                              fmt(num), math.abs(a - num), o.atol, o.rtol)
      end
      worst = math.max(worst, math.abs(a - num))
    end
    return true
  end
  for k, i in ipairs(wrt) do
    local ok, msg = compare(("input %d"):format(i), leaves[k], analytic[k])
    if not ok then return finish(false, msg, o) end
  end
  if not o.skip_grad_outputs then
    local ok, msg = compare("grad_output", v, analytic[#leaves + 1])
    if not ok then return finish(false, msg, o) end
  end
  return true, ("%s: %d inputs, %d comparisons, max |diff| %.3g"):format(who, #wrt, count, worst)
end

return check
