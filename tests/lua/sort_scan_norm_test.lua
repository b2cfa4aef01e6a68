-- sort_scan_norm_test.lua — cumsum, sort, topk and norm: values, indices and gradients
-- against PyTorch 1.13 (tests/fixtures/torch_ops, made by tools/make_torch_fixtures_ops.py,
-- which also holds torch's answers for the tie and edge cases: maximum/minimum, max()/min(),
-- max(dim), logsumexp over infinite slices, std/var at a zero deviation); float64 first-
-- and second-order checks against central differences; stability and NaN order; a long
-- sort against Lua's table.sort; bad input.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

local F = "float64"
local DIR = "tests/fixtures/torch_ops/"
local TOL = 1e-9
m1d.manual_seed(18)

-- ---------------------------------------------------------------- against PyTorch

local used = {}
local function load(case, name)
  used[case] = used[case] or {}
  used[case][name] = true
  local ok, t = pcall(m1d.load_npy, DIR .. case .. "/" .. name .. ".npy")
  if not ok then error(("missing or unreadable fixture %s/%s: %s"):format(case, name, t), 2) end
  return t
end

local function shape_str(t) return "[" .. table.concat(t:size(), ",") .. "]" end

-- same shape (a 0-dim result matches a stored [1]) and dtype, NaN where want has NaN,
-- infinities equal, else max|a-b| <= TOL (1 + max|b|).  zero_for_nan: where torch's result is
-- NaN, m1d's must be 0 (a chosen difference, see the calls).
local function compare(got, want, name, zero_for_nan)
  got = got:detach()
  if got:dim() == 0 and want:dim() == 1 and want:numel() == 1 then got = got:reshape(1) end
  if shape_str(got) ~= shape_str(want) or got:dtype() ~= want:dtype() then
    return T.ok(false, name, ("got %s %s, want %s %s"):format(got:dtype(), shape_str(got), want:dtype(), shape_str(want)))
  end
  local worst, scale, bad = 0, 0, nil
  for i = 1, want:numel() do
    local a, b = got:getflat(i), want:getflat(i)
    if b ~= b and zero_for_nan then
      if a ~= 0 then bad = ("element %d: %s, want 0 where torch gives NaN"):format(i, a) end
    elseif b ~= b or b == math.huge or b == -math.huge then
      if not (a ~= a and b ~= b or a == b) then bad = ("element %d: %s, want %s"):format(i, a, b) end
    else
      worst, scale = math.max(worst, math.abs(a - b)), math.max(scale, math.abs(b))
    end
  end
  if bad then return T.ok(false, name, bad) end
  return T.ok(worst <= TOL * (1 + scale), name, ("max|a-b| %.3g (max|b| %.3g)"):format(worst, scale))
end

-- fn(inputs...) -> out [, 1-based indices]; checks out, indices, grad_* and ggrad_*.
-- second_order_zero_for_nan: where torch's second-order result is NaN, m1d gives 0.
local function case(name, ninputs, fn, second_order_zero_for_nan)
  local names, ins = {"x0", "x1"}, {}
  for i = 1, ninputs do ins[i] = load(name, names[i]):requires_grad() end
  local out, idx = fn(table.unpack(ins, 1, ninputs))
  compare(out, load(name, "out"), name .. ": out")
  if idx then compare(idx - 1, load(name, "indices"), name .. ": indices") end
  local gout = load(name, "gout"):requires_grad()
  local grads = m1d.grad((out * gout):sum(), ins, {create_graph = true})
  local s
  for i = 1, ninputs do
    compare(grads[i], load(name, "grad_" .. names[i]), name .. ": grad_" .. names[i])
    local term = (grads[i] * load(name, "v_" .. names[i])):sum()
    s = s and s + term or term
  end
  local targets = {table.unpack(ins, 1, ninputs)}
  targets[ninputs + 1] = gout
  local gg = m1d.grad(s, targets)
  local z = second_order_zero_for_nan
  for i = 1, ninputs do compare(gg[i], load(name, "ggrad_" .. names[i]), name .. ": ggrad_" .. names[i], z) end
  compare(gg[ninputs + 1], load(name, "ggrad_gout"), name .. ": ggrad_gout", z)
end

local INF = math.huge
case("cumsum_dim1", 1, function(x) return x:cumsum(2) end)
case("cumsum_dim0_3d", 1, function(x) return m1d.cumsum(x, 1) end)
case("sort_dim1", 1, function(x) return x:sort(2) end)
case("sort_dim0_desc", 1, function(x) return x:sort(1, true) end)
case("sort_long", 1, function(x) return x:sort() end)
case("topk_dim1", 1, function(x) return x:topk(3, 2) end)
case("topk_dim0_smallest", 1, function(x) return x:topk(2, 1, false) end)
case("norm2_all", 1, function(x) return x:norm() end)
-- Where the norm or the standard deviation is 0, torch 1.13's first-order gradient is 0 and
-- m1d's is too, but torch's second order there is NaN (its masked_fill of 1/norm is
-- differentiated through the unmasked inf); m1d's stays 0 at every order (a where around the root).
local ZERO_FOR_NAN = true
case("norm2_dim1_zero_row", 1, function(x) return x:norm(2, 2) end, ZERO_FOR_NAN)
case("norm1_dim0", 1, function(x) return x:norm(1, 1) end)
case("norminf_dim1_ties", 1, function(x) return x:norm(INF, 2) end)
case("norm3_all", 1, function(x) return x:norm(3) end)
case("norm1_5_dim1_keepdim", 1, function(x) return x:norm(1.5, 2, true) end)
case("norm0_5_dim1_zeros", 1, function(x) return x:norm(0.5, -1) end, ZERO_FOR_NAN)
case("maximum_ties", 2, function(a, b) return m1d.maximum(a, b) end)
case("minimum_ties", 2, function(a, b) return a:minimum(b) end)
case("max_all_ties", 1, function(x) return x:max() end)
case("min_all_ties", 1, function(x) return x:min() end)
case("max_dim1_ties", 1, function(x) return x:max(2) end)
case("min_dim0_ties", 1, function(x) return x:min(1) end)
case("logsumexp_inf", 1, function(x) return x:logsumexp(2) end)
case("std_dim1_zero", 1, function(x) return x:std(2) end, ZERO_FOR_NAN)
case("std_all_zero", 1, function(x) return x:std() end, ZERO_FOR_NAN)
case("var_dim1_zero", 1, function(x) return x:var(2, false, false) end)

do  -- every case of the README and every file each case.txt lists was compared
  local readme = assert(io.open(DIR .. "README.md")):read("a")
  local missing = {}
  local n = 0
  for c in readme:gmatch("\n| `([%w_]+)` |") do
    n = n + 1
    if not used[c] then missing[#missing + 1] = c
    else
      local txt = assert(io.open(DIR .. c .. "/case.txt")):read("a")
      for file in txt:gmatch("\n  ([%w_]+)%.npy ") do
        if not used[c][file] then missing[#missing + 1] = c .. "/" .. file end
      end
    end
  end
  T.ok(n == 24 and #missing == 0, "every torch_ops fixture (24 cases) is compared",
       ("%d cases; unused: %s"):format(n, table.concat(missing, " ")))
end

-- ---------------------------------------------------------------- gradients of any order

local function randn(...) return m1d.randn({...}, F) end
local both = T.grad_orders
both("cumsum dim 2, squared", function(x) return x:cumsum(2) ^ 2 end, {randn(3, 4)})
both("cumsum dim 1 of 3-D, squared", function(x) return m1d.cumsum(x, 1) ^ 2 end, {randn(3, 2, 2)})
both("sort values, squared", function(x) return x:sort(2) ^ 2 end, {randn(3, 5)})
both("sort descending dim 1, times a ramp", function(x)
  return x:sort(1, true):tanh() * m1d.arange(1, 5, 1, F):reshape(4, 1) end, {randn(4, 3)})
both("topk(2), squared", function(x) return x:topk(2) ^ 2 end, {randn(3, 5)})
both("topk smallest, dim 1", function(x) return x:topk(2, 1, false):tanh() end, {randn(4, 3)})
both("norm() (2, all)", function(x) return x:norm() end, {randn(3, 4)})
both("norm(2, 2) * norm", function(x) return x:norm(2, 2) ^ 2 * x:norm(1, 2) end, {randn(3, 4)})
both("norm(1, 1)", function(x) return x:norm(1, 1):tanh() end, {randn(4, 3)})
both("norm(inf, 2)", function(x) return x:norm(INF, 2) ^ 2 end, {randn(3, 4)})
both("norm(3)", function(x) return x:norm(3) end, {randn(2, 5)})
both("norm(0.5, 2, keepdim)", function(x) return x:norm(0.5, 2, true) end, {randn(3, 4)})
both("norm(1.5, 1)", function(x) return x:norm(1.5, 1) end, {randn(3, 4)})
both("max() and min(), squared", function(x) return x:max() ^ 2 + x:min() ^ 2 end, {randn(3, 4)})
both("maximum and minimum", function(a, b) return m1d.maximum(a, b) * m1d.minimum(a, b) end, {randn(3, 4), randn(3, 4)})

-- ---------------------------------------------------------------- order, stability, dtypes

local function list(t) return table.concat(t:reshape(-1):totable(), " ") end

do
  local x = m1d.tensor({2, 1, 2, 1, 2}, F)
  local v, i = x:sort()
  T.is(list(i), "2 4 1 3 5", "sort: ties keep index order (ascending)")
  v, i = x:sort(1, true)
  T.is(list(i), "1 3 5 2 4", "sort: ties keep index order (descending, earlier first)")
  T.is(list(v), "2.0 2.0 2.0 1.0 1.0", "sort: descending values")
  local _, ti = x:topk(3)
  T.is(list(ti), "1 3 5", "topk: the first k of the stable descending sort")
  local n = m1d.tensor({1, 0 / 0, -1, 0 / 0}, F)
  _, i = n:sort()
  T.is(list(i), "3 1 2 4", "sort: NaN sorts last ascending (in index order)")
  _, i = n:sort(1, true)
  T.is(list(i), "2 4 1 3", "sort: NaN sorts first descending")
  local l = m1d.tensor({5, -2, (1 << 53) + 1, 1 << 53}, "int64")
  local lv, li = l:sort()
  T.is(lv:dtype() .. " " .. list(li), "int64 2 1 4 3", "sort: int64 keys compared exactly (2^53 + 1 > 2^53)")
  local f = m1d.tensor({0.5, -3, 2}, "float32")
  local fv, fi = f:sort(1, true)
  T.is(fv:dtype() .. " " .. list(fi), "float32 3 1 2", "sort: float32 keeps its dtype")
  T.is(list(m1d.tensor({1, 2, 3}, "int64"):cumsum(1)), "1 3 6", "cumsum: int64 stays exact")
  T.is(m1d.tensor({1, 2}, "int64"):cumsum(1):dtype(), "int64", "cumsum: int64 result")
  local e = m1d.zeros({2, 0}, F)
  T.is(shape_str(e:sort(2)), "[2,0]", "sort: an empty dim gives empty results")
  T.is(shape_str(x:topk(0)), "[0]", "topk: k = 0 gives empty results")
  T.is(x:norm(2, 1):dim(), 0, "norm over dim 1 of a vector is 0-dim")
  T.is(shape_str(randn(2, 3):norm(2, nil, true)), "[]", "norm: keepdim without dim is ignored")
end

do  -- long sorts (many merge passes, ties everywhere) equal Lua's table.sort with an index tiebreak
  local n = 5000
  local x = (m1d.randn({2, n}, F) * 8):long():double()     -- truncated: many ties
  local v = x:totable()
  for row = 1, 2 do
    for _, desc in ipairs({false, true}) do
      local idx = {}
      for j = 1, n do idx[j] = j end
      local r = v[row]
      table.sort(idx, function(a, b)
        if r[a] ~= r[b] then if desc then return r[a] > r[b] end return r[a] < r[b] end
        return a < b
      end)
      local _, got = x:sort(2, desc)
      T.is(table.concat(got[row]:totable(), " "), table.concat(idx, " "),
           ("sort of %d values with ties, row %d, %s"):format(n, row, desc and "descending" or "ascending"))
    end
  end
  local c, want = x[1]:cumsum(1), 0
  for j = 1, n do want = want + v[1][j] end
  T.is(c:getflat(n), want, "cumsum: the last element is the total")
end

do  -- topk selects before it sorts: the same values and indices as the first k of sort, for
    -- ties, NaN, int64, sorted and organ-pipe inputs (quickselect's bad cases) and every k class
  local n = 3000
  local inputs = {
    ties = (m1d.randn({3, n}, F) * 6):long():double(),
    nan = m1d.randn({2, n}, F):index_add(2, m1d.randperm(n):narrow(1, 1, 50), m1d.full({2, 50}, 0 / 0, F)),
    int64 = (m1d.randn({2, n}, F) * 20):long(),
    sorted = m1d.arange(0, n, 1, F):reshape(1, n),
    organ = m1d.cat({m1d.arange(0, n / 2, 1, F), m1d.arange(n / 2, 0, -1, F)}, 1):reshape(1, n),
    equal = m1d.zeros({1, n}, F),
  }
  local bad = {}
  for name, x in pairs(inputs) do
    for _, k in ipairs{0, 1, 7, 17, 100, n // 2, n - 1, n} do
      for _, largest in ipairs{true, false} do
        local v, i = x:topk(k, 2, largest)
        local sv, si = x:sort(2, largest)
        local same = table.concat(i:reshape(-1):totable(), " ") == table.concat(si:narrow(2, 1, k):reshape(-1):totable(), " ")
        local vs, svs = v:reshape(-1):totable(), sv:narrow(2, 1, k):reshape(-1):totable()
        for j = 1, #vs do if not (vs[j] == svs[j] or (vs[j] ~= vs[j] and svs[j] ~= svs[j])) then same = false end end
        if not same then bad[#bad + 1] = ("%s k=%d largest=%s"):format(name, k, tostring(largest)) end
      end
    end
  end
  T.ok(#bad == 0, "topk equals the first k of the stable sort (96 cases)", table.concat(bad, ", "))
end

-- ---------------------------------------------------------------- bad input

do
  local x = randn(2, 3)
  T.raises(function() return x:cumsum() end, "cumsum without dim", "cumsum", "dim is required")
  T.raises(function() return x:cumsum(3) end, "cumsum dim out of range", "cumsum", "dim 3 out of range")
  T.raises(function() return x:cumsum(1.5) end, "cumsum fractional dim", "cumsum", "dim must be an integer")
  T.raises(function() return m1d.cumsum(nil, 1) end, "m1d.cumsum of nil", "cumsum", "m1d.Tensor expected")
  T.raises(function() return x:sort(1, 1) end, "sort descending not a boolean", "sort", "descending must be a boolean")
  T.raises(function() return x:sort("2") end, "sort dim a string", "sort", "dim must be an integer")
  T.raises(function() return x:sort(-3) end, "sort dim out of range", "sort", "out of range")
  T.raises(function() return m1d.tensor(1.5):sort() end, "sort of a 0-dim tensor", "sort", "at least 1 dim")
  T.raises(function() return x:topk(4) end, "topk k too large", "topk", "k = 4", "0..3")
  T.raises(function() return x:topk(-1) end, "topk k negative", "topk", "k = -1")
  T.raises(function() return x:topk(1.5) end, "topk k fractional", "topk", "k must be an integer")
  T.raises(function() return x:topk() end, "topk without k", "topk", "k must be an integer")
  T.raises(function() return x:topk(1, 1, "yes") end, "topk largest not a boolean", "topk", "largest must be a boolean")
  T.raises(function() return x:norm(0) end, "norm p = 0", "norm", "p must be a number > 0")
  T.raises(function() return x:norm(-1) end, "norm p < 0", "norm", "p must be a number > 0")
  T.raises(function() return x:norm(0 / 0) end, "norm p NaN", "norm", "p must be a number > 0")
  T.raises(function() return x:norm("fro") end, "norm p a string", "norm", "p must be a number > 0", "string")
  T.raises(function() return x:norm(2, 3) end, "norm dim out of range", "norm", "out of range")
  T.raises(function() return x:norm(2, 1, 1) end, "norm keepdim not a boolean", "norm", "keepdim must be a boolean")
  T.raises(function() return m1d.tensor({1, 2}, "int64"):norm() end, "norm of int64", "norm", "float32 or float64")
  T.raises(function() return m1d.zeros({0}, F):norm(INF) end, "inf-norm of an empty tensor", "norm", "empty")
  T.is(m1d.zeros({0}, F):norm():item(), 0.0, "norm of an empty tensor is 0 (as torch)")
end

T.done()
