-- fixtures.lua — a directory of PyTorch fixtures (tests/fixtures/<dir>/<case>/<name>.npy,
-- written by the scripts in tools/), for the tests that compare against them:
--   local fx = dofile("tests/lua/fixtures.lua")(T, DIR)
--   fx.load(case, name)  reads a fixture and records that it was read;
--   fx.check_all_used()  (at the end) fails unless every .npy under DIR was read, so that
--                        a fixture no test compares against cannot go unnoticed;
--   fx.compare(got, want, name [, tol = 1e-9])   a test line: same shape and
--                        max|got - want| <= tol (1 + max|want|);
--   fx.torch_case(case, names, fn [, {second = "when present"}])   the layout the
--                        fixture scripts write (see below).
local m1d = require "m1d"

local function shape_str(t) return "[" .. table.concat(t:size(), ",") .. "]" end

return function(T, dir)
  local used = {}          -- used[case][file] = true once loaded
  local fx = {}
  function fx.load(case, name)
    used[case] = used[case] or {}
    used[case][name .. ".npy"] = true
    return m1d.load_npy(dir .. case .. "/" .. name .. ".npy")
  end
  function fx.check_all_used()
    local missing = {}
    local p = io.popen("cd " .. dir .. " && ls */*.npy")
    for path in p:lines() do
      local case, file = path:match("^([^/]+)/(.+)$")
      if not (used[case] and used[case][file]) then missing[#missing + 1] = path end
    end
    p:close()
    T.is(table.concat(missing, " "), "", "every fixture file in " .. dir .. " is compared or used")
  end
  function fx.compare(got, want, name, tol)
    tol = tol or 1e-9
    if not m1d.is_tensor(got) then return T.ok(false, name, "result is " .. type(got)) end
    got = got:detach()
    if shape_str(got) ~= shape_str(want) then
      return T.ok(false, name, ("shape %s, want %s"):format(shape_str(got), shape_str(want)))
    end
    local diff, scale = (got:double() - want:double()):abs():max():item(), want:abs():max():item()
    return T.ok(diff <= tol * (1 + scale), name, ("max|a-b| %.3g (max|b| %.3g)"):format(diff, scale))
  end

  -- A fixture case: fn(inputs...) against out, grad_<input> for upstream gout, and the
  -- second order ggrad_<input>, ggrad_gout of s = sum_i sum(grad_i * v_i) (with
  -- opts.second = "when present", only for cases that have ggrad_gout).  Returns the inputs.
  function fx.torch_case(case, names, fn, opts)
    local second = true
    if opts and opts.second == "when present" then
      local f = io.open(dir .. case .. "/ggrad_gout.npy")
      if f then f:close() end
      second = f ~= nil
    end
    local ins = {}
    for i, nm in ipairs(names) do ins[i] = fx.load(case, nm):requires_grad() end
    local out = fn(table.unpack(ins))
    fx.compare(out, fx.load(case, "out"), case .. ": out")
    local gout = fx.load(case, "gout"):requires_grad()
    local grads = m1d.grad({out}, ins, {grad_outputs = {gout}, create_graph = second})
    local s
    for i, nm in ipairs(names) do
      fx.compare(grads[i], fx.load(case, "grad_" .. nm), case .. ": grad_" .. nm)
      if second then
        local term = (grads[i] * fx.load(case, "v_" .. nm)):sum()
        s = s and s + term or term
      end
    end
    if not second then return ins end
    local targets = {table.unpack(ins)}
    targets[#targets + 1] = gout
    local gg = m1d.grad(s, targets)
    for i, nm in ipairs(names) do
      local want = fx.load(case, "ggrad_" .. nm)
      fx.compare(gg[i] or m1d.zeros(want:size(), want:dtype()), want, case .. ": ggrad_" .. nm)
    end
    fx.compare(gg[#targets], fx.load(case, "ggrad_gout"), case .. ": ggrad_gout")
    return ins
  end
  return fx
end
