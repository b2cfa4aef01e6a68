-- elementwise_ops_test.lua — the elementwise ops added as rows of src/ops_elementwise_table.h
-- (sin, cos, log1p, expm1, floor, ceil, round): float64 first- and second-order gradient
-- checks against central differences, values and derivatives against PyTorch 1.13 (the
-- fixtures in tests/fixtures/elementwise/, made by tools/make_layer_fixtures.py; tolerance
-- max|a - b| <= 1e-9 (1 + max|b|)), float32 against float64, and bad input.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

local F = "float64"
local TOL = 1e-9
local DIR = "tests/fixtures/elementwise/"

local fixtures = dofile("tests/lua/fixtures.lua")(T, DIR)   -- every fixture must be compared
local load = fixtures.load

local function compare(got, want, name)
  if not m1d.is_tensor(got) then return T.ok(false, name, "result is " .. type(got)) end
  got = got:detach()
  local gs, ws = table.concat(got:size(), ","), table.concat(want:size(), ",")
  if gs ~= ws then return T.ok(false, name, ("shape [%s], want [%s]"):format(gs, ws)) end
  local diff, scale = (got - want):abs():max():item(), want:abs():max():item()
  return T.ok(diff <= TOL * (1 + scale), name, ("max|a-b| %.3g (max|b| %.3g)"):format(diff, scale))
end

-- out = x:<op>() against torch's out, grad_x (upstream gout) and the second-order terms
-- ggrad_x, ggrad_gout of s = sum(grad_x * v_x)
local function torch_case(op)
  local x = load(op, "x"):requires_grad()
  local out = x[op](x)
  compare(out, load(op, "out"), op .. ": value")
  local gout = load(op, "gout"):requires_grad()
  local gx = m1d.grad({out}, {x}, {grad_outputs = {gout}, create_graph = true})[1]
  compare(gx, load(op, "grad_x"), op .. ": gradient")
  local s = (gx * load(op, "v_x")):sum()
  local gg = m1d.grad(s, {x, gout})
  compare(gg[1], load(op, "ggrad_x"), op .. ": second order in x")
  compare(gg[2], load(op, "ggrad_gout"), op .. ": second order in the upstream gradient")
  return x
end

-- inputs for the central differences: away from where floor, ceil and round jump
local smooth = m1d.tensor({{-1.7, -0.3, 0.4}, {0.9, 1.6, 2.8}}, F)
local positive = m1d.tensor({{-0.6, 0.2, 0.7}, {1.3, 2.5, 4.0}}, F)     -- log1p: x > -1
local ops = {
  {"sin", smooth}, {"cos", smooth}, {"log1p", positive}, {"expm1", smooth},
  {"floor", smooth}, {"ceil", smooth}, {"round", smooth},
}
for _, case in ipairs(ops) do
  local op, x = case[1], case[2]
  torch_case(op)
  T.grad_orders(op, function(t) return t[op](t) end, {x})
  -- float32: the float libm functions, to float32's precision
  local x32 = x:float()
  local diff = (x32[op](x32):double() - x[op](x)):abs():max():item()
  T.ok(diff <= 1e-6 * (1 + x[op](x):abs():max():item()), op .. ": float32 agrees with float64", diff)
  T.raises(function() return m1d.tensor({1, 2}, "int64")[op](m1d.tensor({1, 2}, "int64")) end,
           op .. ": int64 raises, naming the op", op, "int64")
  -- a strided view is read in its own order
  local xt = x:t()
  T.is(table.concat(xt[op](xt):totable()[1], " "), table.concat(x[op](x):t():contiguous():totable()[1], " "),
       op .. ": a transposed view")
end

-- round: halves to even, as torch.round; floor and ceil of the same
local halves = m1d.tensor({-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5}, F)
T.is(table.concat(halves:round():totable(), " "), "-2.0 -2.0 -0.0 0.0 2.0 2.0 4.0", "round halves to even")
T.is(table.concat(halves:floor():totable(), " "), "-3.0 -2.0 -1.0 0.0 1.0 2.0 3.0", "floor")
T.is(table.concat(halves:ceil():totable(), " "), "-2.0 -1.0 -0.0 1.0 2.0 3.0 4.0", "ceil")
T.is(table.concat(halves:float():round():totable(), " "), "-2.0 -2.0 -0.0 0.0 2.0 2.0 4.0", "round in float32")
-- the zero gradient flows: the result requires grad and its gradient is zeros
local xr = m1d.tensor({0.3, 1.7}, F):requires_grad()
T.ok(xr:round():is_requiring_grad(), "round's result requires grad when its input does")
T.is(table.concat(m1d.grad((xr:floor() * xr):sum(), xr):totable(), " "), "0.0 1.0",
     "floor's gradient is zero: d(floor(x) x)/dx = floor(x)")
-- the precise forms: log1p and expm1 exact where log(1 + x) and exp(x) - 1 round
T.close(m1d.tensor({1e-12}, F):log1p():item(), 1e-12 - 5e-25, 1e-30, "log1p(1e-12)")
T.close(m1d.tensor({1e-12}, F):expm1():item(), 1e-12 + 5e-25, 1e-30, "expm1(1e-12)")
T.is(m1d.tensor({-1}, F):log1p():item(), -math.huge, "log1p(-1) = -inf")

-- every case directory and every .npy file in it was used above
fixtures.check_all_used()

T.done()
