-- bad_input_test.lua — hundreds of wrong calls at the Lua API.  Each must raise a Lua
-- error whose message names the operation (and, where it matters, the shapes or the
-- argument), and the process must survive all of them: wrong types, shapes and dtypes,
-- negative sizes and sizes that overflow size_t, NaN hyperparameters, empty tensors,
-- out-of-range dims and indices, released tensors, bad .npy and model files, bad
-- generator arguments, wrong arguments to nn layers and optimizers, and lists whose
-- metamethods misbehave.  At the end: the runtime still works, grad mode is on, and the
-- tensors made by failed calls have all been freed (memstats), so no error path leaks.
-- Closes the Lua state on exit, so `make valgrind` can run it for definite leaks too.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn, optim, mnist1d = m1d.nn, m1d.optim, m1d.mnist1d

local cases = 0

-- f() must raise an error containing every substring; each case runs in a fresh pcall
local function bad(name, f, ...)
  cases = cases + 1
  return T.raises(f, name, ...)
end

-- the value of a Lua expression, for names
local function show(v)
  if type(v) == "number" then
    if v ~= v then return "nan" end
    if math.type(v) == "integer" then return tostring(v) end
    return ("%.17g"):format(v)
  end
  if type(v) == "table" then
    local parts = {}
    for i = 1, #v do parts[i] = show(v[i]) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return tostring(v)
end

local NaN, INF = 0 / 0, math.huge
local BIG, MIN, MAX = 1 << 40, math.mininteger, math.maxinteger

m1d.manual_seed(1)
local base_live = m1d.memstats().bytes_live

---------------------------------------------------------------- released tensors

-- Every method of m1d.Tensor on a released tensor: "tensor was released", never a crash.
do
  local names = {}
  for k, v in pairs(m1d.Tensor) do
    if type(v) == "function" and k ~= "release" then names[#names + 1] = k end
  end
  table.sort(names)
  local other = m1d.ones(2, 3)
  local extra = {matmul = {m1d.ones(3, 2)}, bmm = {m1d.ones(1, 3, 2)}}   -- (C may check argument 2 first)
  for _, name in ipairs(names) do
    local r = m1d.ones(2, 3)
    r:release()
    local args = extra[name] or {1, 1, 1}
    local call = assert(load(("local r = ...; local _ = r:%s(select(2, ...))"):format(name)))
    bad("released tensor: t:" .. name .. "()", function() call(r, table.unpack(args)) end, "released", name)
  end
  -- a released tensor as another argument
  local r = m1d.ones(2, 3)
  r:release()
  for _, f in ipairs{
    {"add", function() local _ = other + r end}, {"sub", function() local _ = other - r end},
    {"mul", function() local _ = r * other end}, {"div", function() local _ = other / r end},
    {"pow", function() local _ = other ^ r end}, {"unm", function() local _ = -r end},
    {"len", function() local _ = #r end}, {"index", function() local _ = r[1] end},
    {"newindex", function() r[1] = 0 end}, {"grad", function() local _ = r.grad end},
    {"matmul", function() local _ = m1d.matmul(other, r) end}, {"cat", function() local _ = m1d.cat({other, r}) end},
    {"stack", function() local _ = m1d.stack({r}) end}, {"where", function() local _ = m1d.where(r, other, other) end},
    {"copy_", function() other:copy_(r) end}, {"linear", function() local _ = m1d.linear(other, r) end},
    {"grad()", function() local _ = m1d.grad(r, {other}) end}, {"save_npy", function() m1d.save_npy("/tmp/x.npy", r) end},
    {"mse", function() local _ = m1d.mse(r, other) end}, {"index_select", function() local _ = other:index_select(1, r) end},
  } do
    bad("released tensor in " .. f[1], f[2], "released")
  end
  T.is(tostring(r), "tensor(released)", "a released tensor prints as released")
  r:release()
  T.ok(true, "release twice is fine")
  do local c <close> = m1d.ones(3) end
  T.ok(true, "a to-be-closed tensor is released at scope end")
end

---------------------------------------------------------------- wrong self and argument types

do
  local selfs = {5, "abc", {}, true, false, print}
  local methods = {"sum", "mean", "exp", "reshape", "narrow", "size", "item", "totable", "matmul",
                   "add", "index_select", "max", "argmax", "softmax", "transpose", "clone", "backward",
                   "requires_grad", "detach", "fill_", "copy_", "t", "float", "flip", "expand"}
  local arith = {add = true}
  for _, name in ipairs(methods) do
    -- m1d.Tensor.<name>(s, 1, 1) written out, so the error can name the function (the
    -- binary ops take two operands: (s, 1))
    local call = assert(load(("local m1d, s = ...; local _ = m1d.Tensor.%s(s, 1%s)"):format(name,
                                                                                           arith[name] and "" or ", 1")))
    local want = arith[name] and "expected tensors or numbers" or "m1d.Tensor expected"
    for _, s in ipairs(selfs) do
      bad(("%s on a %s self"):format(name, type(s)), function() call(m1d, s) end, name, want)
    end
    bad(name .. " with no self", function() call(m1d, nil) end, name, want)
  end
  local x = m1d.ones(2, 3)
  -- torch's t.add(u, alpha) must not become a silently ignored argument
  for _, name in ipairs{"add", "sub", "mul", "div", "maximum"} do
    bad(("t:%s(u, 2)"):format(name), function() local _ = x[name](x, x, 2) end, name, "expected two operands")
  end
  for _, v in ipairs{"abc", {}, true, print} do
    local tv = type(v)
    bad("tensor + " .. tv, function() local _ = x + v end, "add", tv)
    bad(tv .. " - tensor", function() local _ = v - x end, "sub", tv)
    bad("tensor * " .. tv, function() local _ = x * v end, "mul", tv)
    bad("tensor / " .. tv, function() local _ = x / v end, "div", tv)
    bad("tensor ^ " .. tv, function() local _ = x ^ v end, "pow", tv)
    bad("maximum(tensor, " .. tv .. ")", function() local _ = m1d.maximum(x, v) end, "maximum", tv)
    bad("x:eq(" .. tv .. ")", function() local _ = x:eq(v) end, "eq")
    bad("matmul(x, " .. tv .. ")", function() local _ = m1d.matmul(x, v) end, "matmul")
    bad("where(" .. tv .. ", x, x)", function() local _ = m1d.where(v, x, x) end, "where")
    bad("x:fill_(" .. tv .. ")", function() x:fill_(v) end, "fill_")
    bad("x[1] = " .. tv, function() x[1] = v end, "number or tensor")
    bad("x:copy_(" .. tv .. ")", function() x:copy_(v) end, "copy_")
    bad("x:add_(" .. tv .. ")", function() x:add_(v) end, "add_")
    bad("x:mul_(" .. tv .. ")", function() x:mul_(v) end, "mul_")
  end
  T.ok(m1d.is_grad_enabled(), "failed add_/mul_ calls leave grad mode on")
  bad("x.foo = 1", function() x.foo = 1 end, "cannot set field")
  bad("x.grad = 5", function() x.grad = 5 end, "m1d.Tensor expected")
  bad("x.grad of another shape", function() x.grad = m1d.ones(3, 2) end, "grad", "[3,2]", "[2,3]")
  bad("x[{}]", function() local _ = x[{}] end, "index")
  bad("x[1.5]", function() local _ = x[1.5] end, "integer representation")
  T.is(x.no_such_method, nil, "an unknown method name is nil, not an error")
end

---------------------------------------------------------------- dims

do
  local x = m1d.randn(2, 3)
  local idx = m1d.tensor({1, 2}, "int64")
  local idx2 = m1d.tensor({{1, 1, 1}, {2, 2, 2}}, "int64")
  -- name, call(d), what an integer out of range says
  local dim_ops = {
    {"size", function(d) return x:size(d) end},
    {"sum", function(d) return x:sum(d) end},
    {"mean", function(d) return x:mean(d) end},
    {"var", function(d) return x:var(d) end},
    {"std", function(d) return x:std(d) end},
    {"max", function(d) return x:max(d) end},
    {"min", function(d) return x:min(d) end},
    {"argmax", function(d) return x:argmax(d) end},
    {"argmin", function(d) return x:argmin(d) end},
    {"logsumexp", function(d) return x:logsumexp(d) end},
    {"log_softmax", function(d) return x:log_softmax(d) end},
    {"softmax", function(d) return x:softmax(d) end},
    {"narrow", function(d) return x:narrow(d, 1, 1) end},
    {"select", function(d) return x:select(d, 1) end},
    {"transpose", function(d) return x:transpose(d, 1) end},
    {"transpose", function(d) return x:transpose(1, d) end},
    {"flip", function(d) return x:flip(d) end},
    {"squeeze", function(d) return x:squeeze(d) end},
    {"unsqueeze", function(d) return x:unsqueeze(d) end},
    {"flatten", function(d) return x:flatten(d) end},
    {"permute", function(d) return x:permute(d, 1) end},
    {"index_select", function(d) return x:index_select(d, idx) end},
    {"gather", function(d) return x:gather(d, idx2) end},
    {"index_add", function(d) return x:index_add(d, idx, m1d.ones(2, 3)) end},
    {"scatter_add", function(d) return x:scatter_add(d, idx2, m1d.ones(2, 3)) end},
    {"cat", function(d) return m1d.cat({x, x}, d) end},
    {"stack", function(d) return m1d.stack({x, x}, d) end},
  }
  local bad_dims = {0, 4, -4, 99, -99, BIG, MIN, MAX}
  local not_integers = {1.5, NaN, INF, -INF}
  local not_numbers = {"abc", {}, true}
  for _, op in ipairs(dim_ops) do
    local nn_ = op[1] == "permute" and {"abc", true} or not_numbers     -- permute({...}) takes a list
    local name, f = op[1], op[2]
    for _, d in ipairs(bad_dims) do
      bad(("%s with dim %s"):format(name, show(d)), function() local _ = f(d) end, name, "out of range")
    end
    for _, d in ipairs(not_integers) do
      bad(("%s with dim %s"):format(name, show(d)), function() local _ = f(d) end, name, "integer representation")
    end
    for _, d in ipairs(nn_) do
      bad(("%s with a %s dim"):format(name, type(d)), function() local _ = f(d) end, name, "number expected")
    end
  end
  T.is(x:size(-1), 3, "negative dims still count from the end")
end

---------------------------------------------------------------- sizes and shapes

do
  -- Creation ops with wrong sizes, as varargs and as a table.
  local creators = {
    {"zeros", function(...) return m1d.zeros(...) end},
    {"ones", function(...) return m1d.ones(...) end},
    {"empty", function(...) return m1d.empty(...) end},
    {"rand", function(...) return m1d.rand(...) end},
    {"randn", function(...) return m1d.randn(...) end},
  }
  local shapes = {
    {{-1}, "negative size"}, {{2, -3}, "negative size"}, {{MIN}, "negative size"},
    {{1 << 62, 1 << 62}, "too large"}, {{BIG, BIG, BIG}, "too large"}, {{0, 1 << 62, 1 << 62}, "too large"},
    {{1 << 50}, "too large"}, {{MAX}, "too large"}, {{1.5}, "not an integer"}, {{NaN}, "not an integer"},
    {{INF}, "not an integer"}, {{1, 1, 1, 1, 1, 1, 1, 1, 1}, "at most 8"},
  }
  for _, c in ipairs(creators) do
    local name, f = c[1], c[2]
    for _, s in ipairs(shapes) do
      bad(("%s(%s)"):format(name, show(s[1])), function() local _ = f(table.unpack(s[1])) end, name, s[2])
      bad(("%s{%s}"):format(name, show(s[1])), function() local _ = f(s[1]) end, name, s[2])
    end
    bad(name .. " with a string size in a table", function() local _ = f({2, "x"}) end, name, "integers")
    bad(name .. " with dtype float16", function() local _ = f(2, "float16") end, "invalid option 'float16'")
    bad(name .. " with options {dtype = 5}", function() local _ = f(2, {dtype = 5}) end, name, "invalid option '5'")
    bad(name .. " with a boolean option", function() local _ = f(2, true) end, "dtype name or an options table")
  end
  -- allocations that cannot succeed (1.2e14 float64s: more than any address space)
  for _, f in ipairs{m1d.zeros, m1d.ones, m1d.empty, m1d.randn} do
    bad("out of memory is an error", function() local _ = f(120000000000000, "float64") end, "out of memory")
  end
  bad("randperm(2^45): out of memory", function() local _ = m1d.randperm(1 << 45) end, "out of memory")
  bad("arange(0, 1e13): out of memory", function() local _ = m1d.arange(0, 1e13) end, "out of memory")
  bad("rand of int64", function() local _ = m1d.rand(2, "int64") end, "rand", "float32 or float64")
  bad("randn of int64", function() local _ = m1d.randn(2, "int64") end, "randn", "float32 or float64")
  bad("full without a table", function() local _ = m1d.full(2, 3) end, "full")
  bad("full{-1}", function() local _ = m1d.full({-1}, 3) end, "full", "negative size")
  bad("full with a string value", function() local _ = m1d.full({2}, "x") end, "full", "number expected")
  bad("randperm(-1)", function() local _ = m1d.randperm(-1) end, "randperm", "negative")
  bad("randperm(1.5)", function() local _ = m1d.randperm(1.5) end, "randperm", "not an integer")
  bad("randint(5, 5)", function() local _ = m1d.randint(5, 5, 3) end, "randint", "empty range [5, 5)")
  bad("randint(5, 1)", function() local _ = m1d.randint(5, 1, 3) end, "randint", "empty range")
  bad("randint with a bad shape", function() local _ = m1d.randint(0, 5, -2) end, "randint", "negative size")
  bad("randint(1.5, 3)", function() local _ = m1d.randint(1.5, 3, 2) end, "randint", "integer representation")
  T.ok(m1d.randint(MIN, MAX, 4):numel() == 4, "randint over the whole int64 range works")
  bad("linspace(0, 1, -1)", function() local _ = m1d.linspace(0, 1, -1) end, "linspace", "negative")
  bad("linspace(0, 1, 2^50)", function() local _ = m1d.linspace(0, 1, 1 << 50) end, "too large")
  bad("linspace(0, 1, 1.5)", function() local _ = m1d.linspace(0, 1, 1.5) end, "linspace", "not an integer")
  bad("arange(0, 1, 0)", function() local _ = m1d.arange(0, 1, 0) end, "arange", "invalid range")
  bad("arange(0, nan)", function() local _ = m1d.arange(0, NaN) end, "arange", "invalid range")
  bad("arange(0, inf)", function() local _ = m1d.arange(0, INF) end, "arange", "too many")
  bad("arange('a')", function() local _ = m1d.arange("a") end, "arange", "number expected")
  bad("manual_seed(-1)", function() m1d.manual_seed(-1) end, "manual_seed", "0..2^32-1")
  bad("manual_seed(2^32)", function() m1d.manual_seed(1 << 32) end, "manual_seed", "0..2^32-1")
  bad("manual_seed(1.5)", function() m1d.manual_seed(1.5) end, "manual_seed", "integer representation")
  bad("manual_seed(nan)", function() m1d.manual_seed(NaN) end, "manual_seed", "integer representation")

  -- shape arguments of view ops
  local x = m1d.randn(3, 4)
  local reshapes = {{7}, {-1, -1}, {-2, -6}, {0, -1}, {1 << 62, 0}, {5, 5}, {MIN}, {BIG, BIG}}
  for _, s in ipairs(reshapes) do
    bad(("reshape to %s"):format(show(s)), function() local _ = x:reshape(table.unpack(s)) end, "reshape", "[3,4]")
    bad(("view as %s"):format(show(s)), function() local _ = x:view(s) end, "reshape", "[3,4]")
  end
  bad("reshape with 9 dims", function() local _ = x:reshape(1, 1, 1, 1, 1, 1, 1, 3, 4) end, "reshape", "at most 8")
  bad("reshape(1.5)", function() local _ = x:reshape(1.5) end, "reshape", "not an integer")
  local expands = {{-2, 4}, {3, 5}, {2, 4}, {4}, {1 << 62, 3, 4}, {BIG, BIG, 4}}
  for _, s in ipairs(expands) do
    bad(("expand to %s"):format(show(s)), function() local _ = x:expand(table.unpack(s)) end, "expand")
  end
  bad("expand(2^40, 2^40) of [1,1]", function() local _ = m1d.ones(1, 1):expand(BIG, BIG) end, "expand", "too large")
  bad("permute with a repeated dim", function() local _ = x:permute(1, 1) end, "permute", "[3,4]")
  bad("permute with too few dims", function() local _ = x:permute(1) end, "permute", "1 dims given")
  bad("t() of a 3-D tensor", function() local _ = m1d.ones(2, 2, 2):t() end, "t: expects a 2-D tensor", "[2,2,2]")
  bad("unsqueeze past 8 dims", function() local _ = m1d.ones(1, 1, 1, 1, 1, 1, 1, 1):unsqueeze(1) end, "unsqueeze")
  bad("stack of 8-dim tensors", function() local z = m1d.ones(1, 1, 1, 1, 1, 1, 1, 1); local _ = m1d.stack({z, z}) end,
      "stack", "more than 8 dims")
end

---------------------------------------------------------------- tables to tensors

do
  bad("ragged table", function() local _ = m1d.tensor({{1, 2}, {3}}) end, "tensor", "ragged")
  bad("table with a nested element", function() local _ = m1d.tensor({1, {2}}) end, "tensor", "not a number")
  bad("table with a string", function() local _ = m1d.tensor({1, "x"}) end, "tensor", "not a number")
  bad("table with a boolean", function() local _ = m1d.tensor({{1, true}}) end, "tensor", "not a number")
  bad("table nested 9 deep", function() local _ = m1d.tensor({{{{{{{{{1}}}}}}}}}) end, "tensor", "deeper than 8")
  bad("a string", function() local _ = m1d.tensor("abc") end, "tensor", "tensor, number or table expected")
  bad("nil", function() local _ = m1d.tensor() end, "tensor", "tensor, number or table expected")
  bad("bad dtype", function() local _ = m1d.tensor({1}, "int32") end, "invalid option 'int32'")
  for _, v in ipairs{NaN, INF, -INF, 1e300, 2 ^ 63, -2 ^ 64} do
    bad("int64 tensor from " .. show(v), function() local _ = m1d.tensor({1, v}, "int64") end, "tensor", "int64")
    bad("int64 scalar from " .. show(v), function() local _ = m1d.tensor(v, "int64") end, "tensor", "int64")
    local i = m1d.zeros(3, "int64")
    bad("int64 fill_ with " .. show(v), function() i:fill_(v) end, "fill_", "int64")
    bad("int64 setflat with " .. show(v), function() i:setflat(1, v) end, "setflat", "int64")
    bad("int64 index assignment of " .. show(v), function() i[2] = v end, "index assignment", "int64")
  end
  local big = (1 << 62) + 1
  T.is(m1d.tensor({big}, "int64")[1], big, "int64 values beyond 2^53 stay exact")
end

---------------------------------------------------------------- dtypes

do
  local i = m1d.tensor({{1, 2, 3}, {4, 5, 6}}, "int64")
  local f = m1d.randn(2, 3)
  for _, name in ipairs{"exp", "log", "tanh", "sigmoid", "relu", "sqrt", "erf", "silu", "gelu", "elu",
                        "softplus", "mean", "var", "std", "softmax", "log_softmax"} do
    bad(name .. " of an int64 tensor", function() local _ = m1d.Tensor[name](i) end, "float32 or float64", "[2,3]")
  end
  bad("requires_grad on int64", function() i:requires_grad() end, "requires_grad", "int64")
  bad("pow of int64", function() local _ = i ^ 2 end, "pow", "int64")
  bad("logsumexp of int64", function() local _ = i:logsumexp(1) end, "float32 or float64")
  bad("matmul of int64", function() local _ = m1d.matmul(i, i:t()) end, "matmul")
  bad("linear with int64 input", function() local _ = m1d.linear(i, f) end, "linear", "int64")
  bad("linear float32 x float64", function() local _ = m1d.linear(f, f:double()) end, "linear", "dtypes differ")
  bad("conv1d of int64", function() local _ = m1d.conv1d(i:reshape(1, 2, 3), m1d.ones(1, 2, 2, "int64")) end, "int64")
  bad("max_pool1d of int64", function() local _ = m1d.max_pool1d(i:reshape(1, 2, 3), 2) end, "int64")
  bad("mse of int64", function() local _ = m1d.mse(i, i) end, "mse", "int64")
  bad("cross_entropy with float labels", function() local _ = m1d.cross_entropy(f, m1d.tensor({0, 1})) end,
      "cross_entropy", "labels must be int64")
  bad("nll with float labels", function() local _ = m1d.nll(f, m1d.tensor({0, 1})) end, "nll", "int64")
  bad("cross_entropy of int64 logits", function() local _ = m1d.cross_entropy(i, m1d.tensor({0, 1}, "int64")) end,
      "cross_entropy")
  bad("index_select with float indices", function() local _ = f:index_select(1, m1d.tensor({1})) end,
      "index_select", "int64")
  bad("gather with float indices", function() local _ = f:gather(2, m1d.ones(2, 1)) end, "gather", "int64")
  bad("onehot of float labels", function() local _ = m1d.onehot(m1d.tensor({1}), 3) end, "onehot")
  bad("onehot with a bad dtype", function() local _ = m1d.onehot(m1d.tensor({1}, "int64"), 3, "half") end,
      "invalid option 'half'")
  bad("type('complex')", function() local _ = f:type("complex") end, "invalid option 'complex'")
  bad("int64 / int64 zero", function() local _ = i / m1d.zeros(1, "int64") end, "div", "division by zero")
  bad("int64 / int64 with a zero inside", function() local _ = i / m1d.tensor({1, 0, 1}, "int64") end, "div", "zero")
  T.is((i / m1d.tensor({2}, "int64"))[2][1], 2, "int64 division still truncates")
end

---------------------------------------------------------------- shapes that do not fit

do
  local a, b = m1d.randn(2, 3), m1d.randn(4, 5)
  local binops = {
    {"add", function() return a + b end}, {"sub", function() return a - b end},
    {"mul", function() return a * b end}, {"div", function() return a / b end},
    {"pow", function() return a:abs() ^ b end}, {"maximum", function() return m1d.maximum(a, b) end},
    {"minimum", function() return m1d.minimum(a, b) end}, {"compare", function() return a:eq(b) end},
    {"compare", function() return a:ne(b) end}, {"compare", function() return a:lt(b) end},
    {"compare", function() return a:le(b) end}, {"compare", function() return a:gt(b) end},
    {"compare", function() return a:ge(b) end}, {"matmul", function() return m1d.matmul(a, b) end},
    {"mse", function() return m1d.mse(a, b) end}, {"linear", function() return m1d.linear(a, b) end},
    {"where", function() return m1d.where(a:gt(0), a, b) end}, {"copy_", function() return a:clone():copy_(b) end},
    {"add", function() return a:clone():add_(b) end}, {"mul", function() return a:clone():mul_(b) end},
  }
  for _, op in ipairs(binops) do
    bad(op[1] .. " of [2,3] and [4,5]", function() local _ = op[2]() end, op[1], "[2,3]", "[4,5]")
  end
  bad("add_ that would broadcast the target", function() m1d.ones(3):add_(m1d.ones(2, 3)) end, "add_")
  bad("cat of [2,3] and [2,4] on dim 1", function() local _ = m1d.cat({a, m1d.ones(2, 4)}) end, "cat", "[2,4]", "[2,3]")
  bad("cat of 2-D and 1-D", function() local _ = m1d.cat({a, m1d.ones(3)}) end, "cat")
  bad("cat of 0-dim tensors", function() local _ = m1d.cat({m1d.tensor(1), m1d.tensor(2)}) end, "cat", "out of range")
  bad("stack of [2,3] and [3,2]", function() local _ = m1d.stack({a, m1d.ones(3, 2)}) end, "stack")
  bad("cat of an empty list", function() local _ = m1d.cat({}) end, "cat", "non-empty list")
  bad("stack of an empty list", function() local _ = m1d.stack({}) end, "stack", "non-empty list")
  bad("cat of a number list", function() local _ = m1d.cat({a, 5}) end, "cat", "element 2", "number")
  bad("cat of a non-table", function() local _ = m1d.cat(a) end, "table expected")
  bad("matmul of a 1-D tensor", function() local _ = m1d.matmul(m1d.ones(3), m1d.ones(3)) end, "matmul")
  bad("matmul batched mismatch", function() local _ = m1d.matmul(m1d.ones(2, 2, 3), m1d.ones(3, 2, 4)) end, "matmul")
  bad("linear with a bad bias", function() local _ = m1d.linear(a, m1d.ones(5, 3), m1d.ones(4)) end, "linear", "[4]")
  bad("conv1d channels differ", function() local _ = m1d.conv1d(m1d.ones(1, 2, 5), m1d.ones(3, 4, 2)) end,
      "conv1d", "[1,2,5]", "[3,4,2]")
  bad("conv1d with a bad bias", function() local _ = m1d.conv1d(m1d.ones(1, 2, 5), m1d.ones(3, 2, 2), m1d.ones(2)) end,
      "conv1d")
  bad("conv1d on a 2-D input", function() local _ = m1d.conv1d(m1d.ones(2, 5), m1d.ones(3, 2, 2)) end, "conv1d", "[2,5]")
  bad("cross_entropy rows differ", function() local _ = m1d.cross_entropy(a, m1d.tensor({0, 1, 2}, "int64")) end,
      "cross_entropy")
  bad("cross_entropy of 1-D logits", function() local _ = m1d.cross_entropy(m1d.ones(3), m1d.tensor({0}, "int64")) end,
      "cross_entropy")
  bad("gru with a 2-D input", function()
    local _ = m1d.gru(m1d.ones(2, 5), nil, m1d.ones(9, 1), m1d.ones(9, 3), m1d.ones(9), m1d.ones(9))
  end, "gru", "[2,5]")
  bad("gru with mismatched weights", function()
    local _ = m1d.gru(m1d.ones(2, 5, 1), nil, m1d.ones(9, 2), m1d.ones(9, 3), m1d.ones(9), m1d.ones(9))
  end, "gru")
  bad("gru with a bad h0", function()
    local _ = m1d.gru(m1d.ones(2, 5, 1), m1d.ones(2, 4), m1d.ones(9, 1), m1d.ones(9, 3), m1d.ones(9), m1d.ones(9))
  end, "gru", "h0")
  bad("lstm with a 2-D input", function()
    local _ = m1d.lstm(m1d.ones(2, 5), nil, nil, m1d.ones(12, 1), m1d.ones(12, 3))
  end, "lstm", "[2,5]")
  bad("lstm with mismatched weights", function()
    local _ = m1d.lstm(m1d.ones(2, 5, 1), nil, nil, m1d.ones(12, 2), m1d.ones(12, 3))
  end, "lstm", "[12,2]")
  bad("lstm with a bad c0", function()
    local _ = m1d.lstm(m1d.ones(2, 5, 1), nil, m1d.ones(2, 4), m1d.ones(12, 1), m1d.ones(12, 3))
  end, "lstm", "c0")
  bad("lstm with a bad bias", function()
    local _ = m1d.lstm(m1d.ones(2, 5, 1), nil, nil, m1d.ones(12, 1), m1d.ones(12, 3), m1d.ones(9))
  end, "lstm", "bias_ih")
  bad("lstm with an int64 input", function()
    local _ = m1d.lstm(m1d.ones(2, 5, 1, "int64"), nil, nil, m1d.ones(12, 1), m1d.ones(12, 3))
  end, "lstm")
  bad("rnn with a 2-D input", function()
    local _ = m1d.rnn(m1d.ones(2, 5), nil, m1d.ones(3, 1), m1d.ones(3, 3))
  end, "rnn", "[2,5]")
  bad("rnn with a bad h0", function()
    local _ = m1d.rnn(m1d.ones(2, 5, 1), m1d.ones(2, 4), m1d.ones(3, 1), m1d.ones(3, 3))
  end, "rnn", "h0")
  bad("rnn with an unknown nonlinearity", function()
    local _ = m1d.rnn(m1d.ones(2, 5, 1), nil, m1d.ones(3, 1), m1d.ones(3, 3), nil, nil, "gelu")
  end, "rnn", "nonlinearity", "gelu")
  bad("pointwise_mlp with an int64 input", function()
    local _ = m1d.pointwise_mlp(m1d.tensor({1, 2}, "int64"), m1d.ones(3, 1), m1d.ones(3), m1d.ones(1, 3))
  end, "pointwise_mlp", "int64")
  bad("pointwise_mlp with mixed dtypes", function()
    local _ = m1d.pointwise_mlp(m1d.ones(2), m1d.ones({3, 1}, "float64"), m1d.ones(3), m1d.ones(1, 3))
  end, "pointwise_mlp", "float64")
  bad("pointwise_mlp with 4 derivatives", function()
    local _ = m1d.pointwise_mlp(m1d.ones(2), m1d.ones(3, 1), m1d.ones(3), m1d.ones(1, 3), 4)
  end, "pointwise_mlp", "derivatives")
  bad("pointwise_mlp with 2^32 derivatives", function()
    local _ = m1d.pointwise_mlp(m1d.ones(2), m1d.ones(3, 1), m1d.ones(3), m1d.ones(1, 3), 1 << 32)
  end, "pointwise_mlp", "derivatives")
  bad("pointwise_mlp with empty weights", function()
    local _ = m1d.pointwise_mlp(m1d.ones(2), m1d.ones(0), m1d.ones(0), m1d.ones(0))
  end, "pointwise_mlp", "hidden width")
  bad("tanh_hsum with a 2-D x", function()
    local _ = m1d.tanh_hsum(m1d.ones(2, 1), m1d.ones(3), m1d.ones(3), m1d.ones(1, 3), {0})
  end, "tanh_hsum", "1-D")
  bad("tanh_xsum with w of the wrong width", function()
    local _ = m1d.tanh_xsum(m1d.ones(2), m1d.ones(3), m1d.ones(3), m1d.ones(1, 3), {0})
  end, "tanh_xsum", "[R, N]")
  bad("tanh_hsum with an order of 2^32", function()
    local _ = m1d.tanh_hsum(m1d.ones(2), m1d.ones(3), m1d.ones(3), m1d.ones(1, 3), {1 << 32})
  end, "tanh_hsum", "orders")
  bad("tanh_xsum with orders a string", function()
    local _ = m1d.tanh_xsum(m1d.ones(2), m1d.ones(3), m1d.ones(3), m1d.ones(1, 2), "1")
  end, "tanh_xsum", "orders")
  bad("pointwise_mlp without weights", function() local _ = m1d.pointwise_mlp(m1d.ones(2)) end, "pointwise_mlp", "Tensor expected")
  bad("where with a bad mask", function() local _ = m1d.where(m1d.ones(4, 5), a, a) end, "where", "[4,5]")
  bad("index assignment of a wrong row", function() local y = m1d.ones(2, 3); y[1] = m1d.ones(4) end,
      "index assignment", "[4]")
end

---------------------------------------------------------------- windows: pools, conv, unfold

do
  local x = m1d.randn(1, 2, 6)
  local w = m1d.randn(3, 2, 2)
  local windows = {
    {"max_pool1d", function(k, s) return m1d.max_pool1d(x, k, s) end},
    {"avg_pool1d", function(k, s) return m1d.avg_pool1d(x, k, s) end},
    {"lp_pool1d", function(k, s) return m1d.lp_pool1d(x, 2, k, s) end},
    {"unfold1d", function(k, s) return m1d.unfold1d(x, k, s) end},
  }
  local bad_windows = {{0, 1}, {-1, 1}, {2, 0}, {2, -1}, {7, 1}, {1 << 62, 1}, {2, MIN}, {MIN, 1}}
  for _, op in ipairs(windows) do
    for _, ks in ipairs(bad_windows) do
      bad(("%s kernel %s stride %s"):format(op[1], show(ks[1]), show(ks[2])), function()
        local _ = op[2](ks[1], ks[2])
      end, op[1])
    end
    local args = op[1] == "lp_pool1d" and {2, 2} or {2}     -- lp_pool1d(x, p, k)
    bad(op[1] .. " of a 2-D input", function() local _ = m1d[op[1]](m1d.ones(2, 6), table.unpack(args)) end, op[1], "[2,6]")
    bad(op[1] .. " with kernel 1.5", function() local _ = op[2](1.5, 1) end, "integer representation")
    T.is(op[2](2, 1 << 62):size(3), 1, op[1] .. " with a huge stride gives one window")
  end
  for _, p in ipairs{0, -1, NaN} do
    bad("lp_pool1d with p = " .. show(p), function() local _ = m1d.lp_pool1d(x, p, 2, 2) end, "lp_pool1d", "norm p")
  end
  for _, sp in ipairs{{0, 0}, {-1, 0}, {MIN, 0}, {1, -1}, {1, 1 << 62}, {1, 1 << 41}, {1, MIN}} do
    bad(("conv1d stride %s padding %s"):format(show(sp[1]), show(sp[2])), function()
      local _ = m1d.conv1d(x, w, nil, sp[1], sp[2])
    end, "conv1d", "stride " .. show(sp[1]))
  end
  bad("unfold1d padding 2^61", function() local _ = m1d.unfold1d(x, 2, 1, 1 << 61) end, "unfold1d", "too large")
  bad("conv1d kernel longer than the input", function() local _ = m1d.conv1d(x, m1d.ones(3, 2, 9)) end,
      "conv1d", "shorter than")
  bad("conv1d with a float64 bias", function() local _ = m1d.conv1d(x, w, m1d.zeros(3):double()) end,
      "conv1d", "float64")
  -- conv_transpose1d: x [1,2,6] with weight [in 2, out 3, k 2]
  local tw = m1d.randn(2, 3, 2)
  local tconv = {
    {"channels differ", function() return m1d.conv_transpose1d(x, m1d.ones(3, 2, 2)) end, "[1,2,6]", "[3,2,2]"},
    {"2-D input", function() return m1d.conv_transpose1d(m1d.ones(2, 6), tw) end, "[2,6]"},
    {"2-D weight", function() return m1d.conv_transpose1d(x, m1d.ones(2, 3)) end, "[2,3]"},
    {"bias of the input channels", function() return m1d.conv_transpose1d(x, tw, m1d.ones(2)) end, "bias [2]", "[3]"},
    {"float64 weight", function() return m1d.conv_transpose1d(x, tw:double()) end, "float64"},
    {"int64 input", function() return m1d.conv_transpose1d(m1d.ones(1, 2, 6, "int64"), tw) end, "int64"},
    {"output_padding = stride", function() return m1d.conv_transpose1d(x, tw, nil, 2, 0, 2) end,
     "output_padding 2", "stride 2"},
    {"output_padding -1", function() return m1d.conv_transpose1d(x, tw, nil, 2, 0, -1) end, "output_padding -1"},
    {"stride 0", function() return m1d.conv_transpose1d(x, tw, nil, 0) end, "stride 0"},
    {"padding -1", function() return m1d.conv_transpose1d(x, tw, nil, 1, -1) end, "padding -1"},
    {"padding 2^62", function() return m1d.conv_transpose1d(x, tw, nil, 1, 1 << 62) end, "padding"},
    {"stride 2^62", function() return m1d.conv_transpose1d(x, tw, nil, 1 << 62) end, "stride"},
    {"stride MIN", function() return m1d.conv_transpose1d(x, tw, nil, MIN) end, "stride"},
    {"output length not positive", function() return m1d.conv_transpose1d(x, tw, nil, 1, 4) end,
     "output length", "not positive"},
    {"empty length", function() return m1d.conv_transpose1d(m1d.ones(1, 2, 0), tw) end, "length"},
    {"stride 1.5", function() return m1d.conv_transpose1d(x, tw, nil, 1.5) end, "integer representation"},
  }
  for _, c in ipairs(tconv) do
    bad("conv_transpose1d: " .. c[1], function() local _ = c[2]() end, "conv_transpose1d",
        table.unpack(c, 3))
  end
  -- conv1d_weight_grad: x [1,2,6], g [1,3,Lout] with Lout = conv1d's output length
  local g5 = m1d.randn(1, 3, 5)
  local wgrad = {
    {"gradient length", function() return m1d.conv1d_weight_grad(x, m1d.ones(1, 3, 4), 2) end, "[1,3,4]", "length 5"},
    {"batch differs", function() return m1d.conv1d_weight_grad(x, m1d.ones(2, 3, 5), 2) end, "[1,2,6]", "[2,3,5]"},
    {"2-D gradient", function() return m1d.conv1d_weight_grad(x, m1d.ones(3, 5), 2) end, "[3,5]"},
    {"kernel 0", function() return m1d.conv1d_weight_grad(x, g5, 0) end, "kernel 0"},
    {"kernel 9", function() return m1d.conv1d_weight_grad(x, g5, 9) end, "shorter than"},
    {"stride 0", function() return m1d.conv1d_weight_grad(x, g5, 2, 0) end, "stride 0"},
    {"padding -1", function() return m1d.conv1d_weight_grad(x, g5, 2, 1, -1) end, "padding -1"},
    {"float64 gradient", function() return m1d.conv1d_weight_grad(x, g5:double(), 2) end, "float64"},
    {"no kernel", function() return m1d.conv1d_weight_grad(x, g5) end, "number expected"},
  }
  for _, c in ipairs(wgrad) do
    bad("conv1d_weight_grad: " .. c[1], function() local _ = c[2]() end, "conv1d_weight_grad", table.unpack(c, 3))
  end
  bad("conv1d_composed channels differ", function() local _ = m1d.conv1d_composed(x, m1d.ones(3, 4, 2)) end,
      "conv1d_composed", "[1,2,6]", "[3,4,2]")
  bad("conv1d_composed stride 0", function() local _ = m1d.conv1d_composed(x, w, nil, 0) end, "stride 0")
end

---------------------------------------------------------------- empty tensors

do
  local e, e2 = m1d.zeros(0), m1d.zeros(0, 3)
  bad("max of an empty tensor", function() local _ = e:max() end, "max", "empty", "[0]")
  bad("min of an empty tensor", function() local _ = e:min() end, "min", "empty")
  bad("argmax of an empty tensor", function() local _ = e:argmax() end, "argmax", "empty")
  bad("argmin of an empty tensor", function() local _ = e:argmin() end, "argmin", "empty")
  bad("max over an empty dim", function() local _ = e2:max(1) end, "max", "[0,3]")
  bad("argmax over an empty dim", function() local _ = e2:argmax(1) end, "argmax", "[0,3]")
  bad("logsumexp over an empty dim", function() local _ = m1d.zeros(3, 0):logsumexp(2) end, "empty")
  bad("item of an empty tensor", function() local _ = e:item() end, "item", "0 elements")
  bad("item of 2 elements", function() local _ = m1d.ones(2):item() end, "item", "2 elements")
  bad("var of one element", function() local _ = m1d.ones(1):var() end, "var", "at least 2")
  bad("var of none", function() local _ = e:var() end, "var", "[0]")
  bad("cross_entropy of an empty batch", function() local _ = m1d.cross_entropy(e2, m1d.zeros(0, "int64")) end,
      "cross_entropy", "empty")
  bad("index 1 of an empty tensor", function() local _ = e[1] end, "index 1 out of range")
  bad("select in an empty dim", function() local _ = e2:select(1, 1) end, "select")
  bad("narrow past an empty dim", function() local _ = e2:narrow(1, 1, 1) end, "narrow")
  bad("max_pool1d of an empty length", function() local _ = m1d.max_pool1d(m1d.zeros(1, 1, 0), 1) end, "max_pool1d")
  bad("index a 0-dim tensor", function() local _ = m1d.tensor(3)[1] end, "0-dim")
  bad("log_softmax of a 0-dim tensor", function() local _ = m1d.tensor(3):log_softmax() end, "log_softmax")
  T.is(e:sum():item(), 0, "the sum of an empty tensor is 0")
  T.is(m1d.matmul(m1d.zeros(2, 0), m1d.zeros(0, 2)):sum():item(), 0, "an empty matmul gives zeros")
end

---------------------------------------------------------------- indices out of range

do
  local x = m1d.randn(3, 4)
  for _, i in ipairs{0, 4, -4, BIG, MIN, MAX} do
    bad("x[" .. show(i) .. "]", function() local _ = x[i] end, "index " .. show(i) .. " out of range", "[3,4]")
    bad("x[" .. show(i) .. "] = 0", function() x[i] = 0 end, "index " .. show(i) .. " out of range")
    bad("select(1, " .. show(i) .. ")", function() local _ = x:select(1, i) end, "select", "out of range")
    bad("narrow(1, " .. show(i) .. ", 1)", function() local _ = x:narrow(1, i, 1) end, "narrow", "out of range")
    if i ~= 0 then     -- length 0 is a valid (empty) narrow
      bad("narrow(1, 1, " .. show(i) .. ")", function() local _ = x:narrow(1, 1, i) end, "narrow", "out of range")
    end
  end
  for _, i in ipairs{0, 13, -1, BIG, MIN, MAX} do
    bad("getflat(" .. show(i) .. ")", function() local _ = x:getflat(i) end, "flat index", "out of range")
    bad("setflat(" .. show(i) .. ")", function() x:setflat(i, 0) end, "flat index", "out of range")
  end
  for _, i in ipairs{0, 4, -1, BIG, MIN, MAX} do
    local idx = m1d.tensor({1, i}, "int64")
    bad("index_select index " .. show(i), function() local _ = x:index_select(1, idx) end, "index_select", "out of range")
    bad("index_add index " .. show(i), function() local _ = x:index_add(1, idx, m1d.ones(2, 4)) end,
        "index_add", "out of range")
    local gidx = m1d.tensor({{1}, {i}, {1}}, "int64")
    local ok_col = i >= 1 and i <= 4
    if not ok_col then
      bad("gather index " .. show(i), function() local _ = x:gather(2, gidx) end, "gather", "out of range")
      bad("scatter_add index " .. show(i), function() local _ = x:scatter_add(2, gidx, m1d.ones(3, 1)) end,
          "scatter_add", "out of range")
    end
  end
  local logits = m1d.randn(2, 3)
  for _, y in ipairs{3, -1, 100, MIN, MAX} do
    local labels = m1d.tensor({0, y}, "int64")
    bad("cross_entropy label " .. show(y), function() local _ = m1d.cross_entropy(logits, labels) end,
        "cross_entropy", "label", "outside 0..2")
    bad("nll label " .. show(y), function() local _ = m1d.nll(logits, labels) end, "nll", "outside 0..2")
    bad("onehot label " .. show(y), function() local _ = m1d.onehot(labels, 3) end, "onehot", "outside 0..2")
  end
  bad("onehot with 0 classes", function() local _ = m1d.onehot(m1d.tensor({0}, "int64"), 0) end, "onehot", ">= 1")
  bad("onehot with 2^50 classes", function() local _ = m1d.onehot(m1d.tensor({0}, "int64"), 1 << 50) end, "too large")
  bad("label_noise of float labels", function() local _ = m1d.core.mnist1d_label_noise(m1d.ones(3), 0.1, 1) end,
      "label_noise", "int64")
end

---------------------------------------------------------------- autograd misuse

do
  local a = m1d.randn(3):requires_grad()
  bad("backward of a non-scalar", function() (a * 2):backward() end, "backward", "not a scalar")
  bad("backward of a tensor that needs no grad", function() m1d.randn(1):sum():backward() end,
      "backward", "does not require grad")
  bad("backward(5)", function() (a * a):sum():backward(5) end, "tensor (the gradient) or an options table")
  bad("backward(g, 7)", function() (a * a):sum():backward(m1d.tensor(1), 7) end, "options table")
  bad("backward with a gradient of the wrong shape", function() (a * 2):backward(m1d.ones(4)) end, "backward", "[4]")
  local y = (a:exp() * a):sum()
  y:backward()
  bad("backward twice", function() y:backward() end, "backward", "second time")
  bad("requires_grad(false) on a non-leaf", function() (a * 2):requires_grad(false) end, "requires_grad", "non-leaf")
  for _, op in ipairs{
    {"fill_", function() a:fill_(1) end}, {"zero_", function() a:zero_() end},
    {"copy_", function() a:copy_(m1d.ones(3)) end}, {"add_", function() a:add_(1) end},
    {"mul_", function() a:mul_(2) end}, {"index assignment", function() a[1] = 0 end},
  } do
    bad(op[1] .. " on a leaf that requires grad", op[2], op[1], "requires grad")
  end
  bad("grad of a non-tensor output", function() local _ = m1d.grad("x", {a}) end, "grad", "outputs")
  bad("grad with a non-tensor input", function() local _ = m1d.grad((a * a):sum(), {a, 5}) end, "grad", "inputs[2]")
  bad("grad with grad_outputs of the wrong count", function()
    local _ = m1d.grad({(a * a):sum()}, {a}, {grad_outputs = {m1d.ones(1), m1d.ones(1)}})
  end, "grad", "2 grad_outputs for 1 outputs")
  bad("grad with grad_outputs of the wrong shape", function()
    local _ = m1d.grad(a * 2, {a}, {grad_outputs = {m1d.ones(4)}})
  end, "[4]")
  bad("grad of a list with a bad length", function()
    local _ = m1d.grad(setmetatable({}, {__len = function() return -5 end}), {a})
  end, "grad", "bad length")
  bad("no_grad(5)", function() m1d.no_grad(5) end, "no_grad", "function expected")
  bad("enable_grad('x')", function() m1d.enable_grad("x") end, "enable_grad", "function expected")
  bad("an error inside no_grad", function() m1d.no_grad(function() error("inner boom") end) end, "inner boom")
  T.ok(m1d.is_grad_enabled(), "grad mode is restored after an error inside no_grad")
  bad("checkpoint of a non-function", function() local _ = m1d.checkpoint(5, a) end, "function expected")
  bad("checkpoint fn returning nothing", function() local _ = m1d.checkpoint(function() end, a) end,
      "checkpoint", "must return tensors")
  bad("checkpoint fn returning a released tensor", function()
    local _ = m1d.checkpoint(function(v) local r = v * 2; r:release(); return r end, a)
  end, "checkpoint")
end

---------------------------------------------------------------- lists whose metamethods misbehave

do
  local function proxy(n, make)
    return setmetatable({}, {__len = function() return n end,
                             __index = function(_, i) collectgarbage(); return make(i) end})
  end
  local x = m1d.randn(2):requires_grad()
  local c = m1d.cat(proxy(3, function(i) return m1d.full({2}, i) end))
  T.is(c:sum():item(), 12, "cat of a list whose __index makes fresh tensors")
  T.is(m1d.stack(proxy(2, function() return m1d.ones(2) end)):numel(), 4, "stack of such a list")
  T.is(#m1d.grad(proxy(1, function() return (x * x):sum() end), proxy(1, function() return x end)), 1,
       "grad over such lists")
  local grows = 0
  local growing = setmetatable({}, {__len = function() grows = grows + 1; return grows * 1000 end,
                                    __index = function() return m1d.ones(1) end})
  T.is(m1d.cat(growing):numel(), 1000, "cat asks __len once (a growing answer cannot overflow)")
  bad("cat of a list whose __index raises", function()
    local _ = m1d.cat(setmetatable({}, {__len = function() return 2 end, __index = function() error("idx boom") end}))
  end, "idx boom")
  bad("cat of a list whose __len raises", function()
    local _ = m1d.cat(setmetatable({}, {__len = function() error("len boom") end}))
  end, "len boom")
  bad("cat of a list of 10^6 (too many)", function()
    local _ = m1d.cat(setmetatable({}, {__len = function() return 1000000 end}))
  end, "cat", "at most")
  local tmp = os.tmpname()
  bad("save_tensors with a numeric name", function()
    m1d.core.save_tensors(tmp, {1}, {m1d.ones(1)})
  end, "save", "name 1 is not a string")
  os.remove(tmp)
end

---------------------------------------------------------------- NaN and out-of-range hyperparameters

do
  local x = m1d.randn(3)
  for _, v in ipairs{NaN, INF, -INF} do
    bad("elu alpha " .. show(v), function() local _ = x:elu(v) end, "elu", "alpha")
  end
  for _, v in ipairs{NaN, 0, -1, INF} do
    bad("softplus beta " .. show(v), function() local _ = x:softplus(v) end, "softplus", "beta")
  end
  bad("softplus threshold nan", function() local _ = x:softplus(1, NaN) end, "softplus", "threshold")
  bad("clamp(nan, 1)", function() local _ = x:clamp(NaN, 1) end, "clamp", "NaN")
  bad("clamp(0, nan)", function() local _ = x:clamp(0, NaN) end, "clamp", "NaN")
  bad("clamp(1, -1)", function() local _ = x:clamp(1, -1) end, "clamp", "greater than max")
  bad("clamp('a')", function() local _ = x:clamp("a") end, "number expected")
  local p, g = m1d.zeros(3), m1d.ones(3)
  local sgd = {{"lr", {NaN}}, {"lr", {-1}}, {"lr", {INF}}, {"momentum", {0.1, NaN}}, {"momentum", {0.1, -1}},
               {"dampening", {0.1, 0, NaN}}, {"weight_decay", {0.1, 0, 0, NaN}}, {"weight_decay", {0.1, 0, 0, -1}}}
  for _, c in ipairs(sgd) do
    bad("sgd_update " .. c[1] .. " " .. show(c[2][#c[2]]), function()
      m1d.core.sgd_update(p, g, m1d.zeros(3), table.unpack(c[2]))
    end, "sgd", c[1])
  end
  local adam = {{"lr", {NaN}}, {"lr", {-1}}, {"beta1", {0.1, NaN}}, {"beta1", {0.1, 1}}, {"beta1", {0.1, -0.5}},
                {"beta2", {0.1, 0.9, NaN}}, {"beta2", {0.1, 0.9, 1.5}}, {"eps", {0.1, 0.9, 0.99, NaN}},
                {"eps", {0.1, 0.9, 0.99, -1}}, {"weight_decay", {0.1, 0.9, 0.99, 1e-8, NaN}}}
  for _, c in ipairs(adam) do
    bad("adam_update " .. c[1] .. " " .. show(c[2][#c[2]]), function()
      m1d.core.adam_update(p, g, m1d.zeros(3), m1d.zeros(3), 1, table.unpack(c[2]))
    end, "adam", c[1])
  end
  bad("adam_update step 0", function() m1d.core.adam_update(p, g, m1d.zeros(3), m1d.zeros(3), 0, 0.1) end, "adam", "step")
  local rms = {{"lr", {NaN}}, {"alpha", {0.1, NaN}}, {"alpha", {0.1, -1}}, {"eps", {0.1, 0.9, NaN}},
               {"weight_decay", {0.1, 0.9, 1e-8, NaN}}}
  for _, c in ipairs(rms) do
    bad("rmsprop_update " .. c[1] .. " " .. show(c[2][#c[2]]), function()
      m1d.core.rmsprop_update(p, g, m1d.zeros(3), table.unpack(c[2]))
    end, "rmsprop", c[1])
  end
  bad("sgd_update of int64", function() local i = m1d.zeros(3, "int64"); m1d.core.sgd_update(i, i, nil, 0.1) end,
      "sgd", "int64")
  bad("sgd_update with a gradient of another shape", function() m1d.core.sgd_update(p, m1d.ones(4), nil, 0.1) end,
      "sgd", "[3]", "[4]")
  bad("sgd_update with momentum but no buffer", function() m1d.core.sgd_update(p, g, nil, 0.1, 0.9) end, "sgd", "buffer")
  bad("sgd_update of a non-contiguous parameter", function()
    local q = m1d.zeros(3, 2):t()
    m1d.core.sgd_update(q, m1d.ones(2, 3), nil, 0.1)
  end, "sgd", "contiguous")
  T.is(p:sum():item(), 0, "no failed update touched the parameter")
  bad("set_num_threads(0)", function() m1d.set_num_threads(0) end, "set_num_threads")
  bad("set_num_threads(2^40)", function() m1d.set_num_threads(BIG) end, "set_num_threads", "1099511627776")
  bad("label_noise fraction nan", function() m1d.core.mnist1d_label_noise(m1d.zeros(3, "int64"), NaN, 1) end,
      "label_noise", "fraction")
  bad("label_noise fraction 2", function() m1d.core.mnist1d_label_noise(m1d.zeros(3, "int64"), 2, 1) end,
      "label_noise", "fraction")
  bad("label_noise seed -1", function() m1d.core.mnist1d_label_noise(m1d.zeros(3, "int64"), 0.1, -1) end, "seed")
end

---------------------------------------------------------------- nn layers

do
  local sizes = {0, -1, 2.5, NaN, "a", true}
  local layers = {
    {"Linear", function(v) return nn.Linear(v, 3) end}, {"Linear", function(v) return nn.Linear(3, v) end},
    {"Conv1d", function(v) return nn.Conv1d(v, 2, 3) end}, {"Conv1d", function(v) return nn.Conv1d(1, v, 3) end},
    {"Conv1d", function(v) return nn.Conv1d(1, 2, v) end},
    {"Conv1d", function(v) return nn.Conv1d(1, 2, 3, {stride = v}) end},
    {"MaxPool1d", function(v) return nn.MaxPool1d(v) end}, {"MaxPool1d", function(v) return nn.MaxPool1d(2, v) end},
    {"AvgPool1d", function(v) return nn.AvgPool1d(v) end}, {"LPPool1d", function(v) return nn.LPPool1d(2, v) end},
    {"GRU", function(v) return nn.GRU(v, 3) end}, {"GRU", function(v) return nn.GRU(1, v) end},
  }
  for _, l in ipairs(layers) do
    for _, v in ipairs(sizes) do
      bad(("nn.%s with size %s"):format(l[1], show(v)), function() local _ = l[2](v) end, l[1], "integer")
    end
  end
  bad("nn.Linear()", function() local _ = nn.Linear() end, "Linear", "nil")
  bad("nn.Conv1d padding -1", function() local _ = nn.Conv1d(1, 2, 3, {padding = -1}) end, "Conv1d", "padding")
  bad("nn.LPPool1d p = 0", function() local _ = nn.LPPool1d(0, 2) end, "LPPool1d", "norm p")
  bad("nn.LPPool1d p = nan", function() local _ = nn.LPPool1d(NaN, 2) end, "LPPool1d", "norm p")
  bad("nn.ELU(nan) forward", function() local _ = nn.ELU(NaN)(m1d.ones(3)) end, "elu", "alpha")
  bad("nn.Linear(2^40, 2^40)", function() local _ = nn.Linear(BIG, BIG) end, "too large")
  bad("nn.Sequential(5)", function() local _ = nn.Sequential(5) end, "Sequential", "argument 1")
  bad("nn.Sequential(a, nil, b)", function() local _ = nn.Sequential(nn.ReLU(), nil, nn.ReLU()) end,
      "Sequential", "argument 2")
  bad("nn.Sequential{a, 'x'}", function() local _ = nn.Sequential({nn.ReLU(), "x"}) end, "Sequential", "argument 2")
  local lin = nn.Linear(4, 3)
  bad("Linear on [2,5]", function() local _ = lin(m1d.randn(2, 5)) end, "linear", "[2,5]", "[3,4]")
  bad("Linear on int64", function() local _ = lin(m1d.zeros(2, 4, "int64")) end, "linear", "int64")
  bad("Linear on float64", function() local _ = lin(m1d.zeros(2, 4, "float64")) end, "linear", "dtypes differ")
  bad("Linear on nil", function() local _ = lin(nil) end, "linear", "m1d.Tensor expected")
  local conv = nn.Conv1d(1, 2, 5)
  bad("Conv1d on [2,3,10]", function() local _ = conv(m1d.zeros(2, 3, 10)) end, "conv1d", "[2,3,10]")
  bad("Conv1d on too short an input", function() local _ = conv(m1d.zeros(2, 1, 3)) end, "shorter than the kernel")
  bad("MaxPool1d on a 2-D input", function() local _ = nn.MaxPool1d(2)(m1d.zeros(2, 4)) end, "max_pool1d", "[2,4]")
  bad("GRU on a [batch, time] input (2-D is one unbatched sequence)", function() local _ = nn.GRU(1, 3)(m1d.zeros(2, 5)) end,
      "GRU: input has 5 features, the layer takes input_size = 1", "unbatched sequence [time, features]",
      "3-D [batch, time, features]", "unsqueeze(3)")
  bad("GRU with 3 features for 2", function() local _ = nn.GRU(2, 3)(m1d.zeros(2, 5, 3)) end, "GRU",
      "3 features", "input_size = 2", "given [2,5,3]")
  bad("GRU with a bad h0", function() local _ = nn.GRU(1, 3)(m1d.zeros(2, 5, 1), m1d.zeros(1, 2, 4)) end, "GRU",
      "h0 must be a [1, 2, 3] tensor", "[1,2,4]")
  bad("LSTM on a [batch, time] input (2-D is one unbatched sequence)", function() local _ = nn.LSTM(1, 3)(m1d.zeros(2, 5)) end,
      "LSTM: input has 5 features, the layer takes input_size = 1", "unbatched sequence [time, features]",
      "3-D [batch, time, features]", "unsqueeze(3)")
  bad("LSTM with 3 features for 2", function() local _ = nn.LSTM(2, 3)(m1d.zeros(2, 5, 3)) end, "LSTM",
      "3 features", "input_size = 2")
  bad("LSTM with a bad state", function() local _ = nn.LSTM(1, 3)(m1d.zeros(2, 5, 1), {m1d.zeros(1, 2, 4)}) end,
      "LSTM", "h0", "[1,2,4]")
  bad("RNN on a [batch, time] input (2-D is one unbatched sequence)", function() local _ = nn.RNN(1, 3)(m1d.zeros(2, 5)) end,
      "RNN: input has 5 features, the layer takes input_size = 1", "unbatched sequence [time, features]",
      "3-D [batch, time, features]", "unsqueeze(3)")
  bad("RNN with a bad h0", function() local _ = nn.RNN(1, 3)(m1d.zeros(2, 5, 1), m1d.zeros(2, 2, 3)) end, "RNN",
      "h0", "[2,2,3]")
  bad("Flatten of a 1-D input", function() local _ = nn.Flatten()(m1d.zeros(3)) end, "flatten", "out of range")
  bad("apply with no parameters", function() local _ = lin:apply({}, m1d.zeros(1, 4)) end, "apply", "0 parameters")
  bad("apply with numbers", function() local _ = lin:apply({1, 2}, m1d.zeros(1, 4)) end, "linear", "m1d.Tensor expected")
  bad("set_parameters of wrong shapes", function() lin:set_parameters({m1d.zeros(5, 5), m1d.zeros(3)}) end,
      "copy_", "[5,5]", "[3,4]")
  bad("set_parameters of a wrong count", function() lin:set_parameters({}) end, "set_parameters", "0 given")
  bad("unflatten of too short a vector", function() local _ = lin:unflatten(m1d.zeros(5)) end, "narrow")
  bad("unflatten of too long a vector", function() local _ = lin:unflatten(m1d.zeros(99)) end, "unflatten", "99")
  bad("set_masks of a wrong shape", function() lin:set_masks({m1d.zeros(7)}) end, "mul", "[7]")
  bad("accuracy of mismatched rows", function() local _ = nn.accuracy(m1d.zeros(2, 3), m1d.tensor({1, 2, 3}, "int64")) end,
      "compare", "[2]", "[3]")
  bad("mse_onehot label out of range", function() local _ = nn.mse_onehot(m1d.zeros(2, 3), m1d.tensor({1, 5}, "int64")) end,
      "onehot", "outside 0..2")
  bad("models.mlp(-5)", function() local _ = nn.models.mlp(-5) end, "Linear", "-5")
  bad("models.cnn(0)", function() local _ = nn.models.cnn(0) end, "Conv1d", "0")
  bad("models.gru on a wrong length", function() local _ = nn.models.gru(3, 40)(m1d.zeros(2, 30)) end, "linear")
  T.is(lin(m1d.ones(2, 4)):size(2), 3, "the layers still work after all that")
end

---------------------------------------------------------------- optimizers

do
  local ps = nn.Linear(2, 2):parameters()
  local ctors = {{"SGD", optim.SGD}, {"Adam", optim.Adam}, {"AdamW", optim.AdamW}, {"RMSprop", optim.RMSprop}}
  for _, c in ipairs(ctors) do
    local name, ctor = c[1], c[2]
    bad(name .. " of no parameters", function() local _ = ctor({}) end, name, "non-empty list")
    bad(name .. " of nil", function() local _ = ctor() end, name, "non-empty list")
    bad(name .. " of numbers", function() local _ = ctor({1, 2}) end, name, "parameter 1 is not a tensor")
    bad(name .. " with options 5", function() local _ = ctor(ps, 5) end, name, "options must be a table")
    bad(name .. " with an unknown option", function() local _ = ctor(ps, {lrr = 1}) end, name, "unknown option 'lrr'")
    for _, v in ipairs{NaN, -1, "x", true} do
      bad(("%s lr = %s"):format(name, show(v)), function() local _ = ctor(ps, {lr = v}) end, "lr")
    end
  end
  for _, o in ipairs{{"momentum", NaN}, {"momentum", -1}, {"weight_decay", NaN}, {"dampening", NaN},
                     {"nesterov", "yes"}} do
    bad(("SGD %s = %s"):format(o[1], show(o[2])), function() local _ = optim.SGD(ps, {[o[1]] = o[2]}) end, o[1])
  end
  for _, betas in ipairs{0.9, {NaN, 0.9}, {0.9, NaN}, {1, 0.9}, {0.9, 1.5}, {-0.1, 0.9}, {"a", 0.9}} do
    bad("Adam betas = " .. show(betas), function() local _ = optim.Adam(ps, {betas = betas}) end, "beta")
    bad("AdamW betas = " .. show(betas), function() local _ = optim.AdamW(ps, {betas = betas}) end, "beta")
  end
  for _, o in ipairs{{"eps", NaN}, {"eps", -1}, {"weight_decay", NaN}, {"weight_decay", -1}} do
    bad(("Adam %s = %s"):format(o[1], show(o[2])), function() local _ = optim.Adam(ps, {[o[1]] = o[2]}) end, o[1])
    bad(("RMSprop %s = %s"):format(o[1], show(o[2])), function() local _ = optim.RMSprop(ps, {[o[1]] = o[2]}) end, o[1])
  end
  bad("RMSprop alpha = nan", function() local _ = optim.RMSprop(ps, {alpha = NaN}) end, "alpha")
  bad("optim.make('foo')", function() local _ = optim.make("foo", ps) end, "optim.make", "unknown optimizer 'foo'")
  bad("optim.make(5)", function() local _ = optim.make(5, ps) end, "optim.make", "string")
  bad("step with a released parameter", function()
    local q = {m1d.zeros(2):requires_grad()}
    local o = optim.SGD(q)
    q[1].grad = m1d.ones(2)
    q[1]:release()
    o:step()
  end, "released")
  T.ok(m1d.is_grad_enabled(), "a failed step leaves grad mode on")
  bad("sgd_step with fewer grads", function() local _ = optim.sgd_step({m1d.zeros(2)}, {}, 0.1) end,
      "sgd_step", "same length")
  bad("sgd_step with lr = nan", function() local _ = optim.sgd_step({m1d.zeros(2)}, {m1d.ones(2)}, NaN) end,
      "sgd_step", "NaN")
  bad("rmsprop_step with fewer grads", function() local _ = optim.rmsprop_step({m1d.zeros(2)}, {}) end,
      "rmsprop_step", "same length")
  bad("rmsprop_step of mismatched shapes", function() local _ = optim.rmsprop_step({m1d.zeros(2)}, {m1d.ones(3)}) end,
      "[2]", "[3]")
  bad("adam_step with a bad state", function() local _ = optim.adam_step({m1d.zeros(2)}, {m1d.ones(2)}, {}) end,
      "adam_step", "state")
  bad("adam_step with fewer grads", function() local _ = optim.adam_step({m1d.zeros(2)}, {}) end,
      "adam_step", "same length")
end

---------------------------------------------------------------- .npy files

do
  local dir = os.tmpname()
  os.remove(dir)
  m1d.makedirs(dir)
  local path = dir .. "/a.npy"
  m1d.save_npy(path, m1d.arange(12, "float64"):reshape(3, 4))
  local f = assert(io.open(path, "rb"))
  local good = f:read("a")
  f:close()
  local function write(name, content)
    local p = dir .. "/" .. name
    local g = assert(io.open(p, "wb"))
    g:write(content)
    g:close()
    return p
  end
  local header_end = good:find("\n", 1, true)
  -- replace text inside the header, keeping its length (padding spaces absorb the change)
  local function patch(from, to)
    local head, data = good:sub(1, header_end), good:sub(header_end + 1)
    local i, j = head:find(from, 1, true)
    head = head:sub(1, i - 1) .. to .. head:sub(j + 1)
    local d = #to - #from
    if d > 0 then head = head:gsub((" "):rep(d) .. "\n$", "\n")
    elseif d < 0 then head = head:sub(1, -2) .. (" "):rep(-d) .. "\n" end
    assert(#head == header_end, "patch keeps the header length")
    return head .. data
  end
  local files = {
    {"empty", "", "empty file"},
    {"magic", "\x93NUMPX" .. good:sub(7), "bad magic"},
    {"text", "hello, world\n", "not a .npy file"},
    {"truncated data", good:sub(1, #good - 1), "truncated"},
    {"truncated header", good:sub(1, 40), "truncated"},
    {"only the magic", good:sub(1, 8), "truncated"},
    {"version 9", good:sub(1, 6) .. "\9\0" .. good:sub(9), "unsupported format version 9.0"},
    {"version 1.1", good:sub(1, 6) .. "\1\1" .. good:sub(9), "unsupported format version 1.1"},
    {"complex", patch("<f8", "<c8"), "load_npy"},
    {"object", patch("<f8", "|O8"), "load_npy"},
    {"float16", patch("<f8", "<f2"), "load_npy"},
    {"big-endian", patch("<f8", ">f8"), "big-endian"},
    {"negative dim", patch("(3, 4)", "(-3, 4)"), "negative dimension"},
    {"huge shape", patch("(3, 4)", "(99999999999, 4)"), "truncated"},
    {"overflowing shape", patch("(3, 4)", "(4294967296, 4294967296, 4294967296)"), "too large"},
    {"empty shape with huge dims", patch("(3, 4)", "(0, 4611686018427387904, 4611686018427387904)"),
     "too large"},
    {"9 dims", patch("(3, 4)", "(1, 1, 1, 1, 1, 1, 1, 3, 4)"), "more than 8 dimensions"},
    {"missing key", patch("'fortran_order': False, ", ""), "missing key"},
    {"extra key", patch("'descr'", "'extra': 1, 'descr'"), "unexpected key"},
    {"not a dict", good:sub(1, 10) .. ("x"):rep(header_end - 11) .. good:sub(header_end), "bad header dict"},
    {"header length past the end", good:sub(1, 8) .. "\255\255" .. good:sub(11), "truncated"},
    {"bad shape text", patch("(3, 4)", "(3, x)"), "shape"},
  }
  for _, c in ipairs(files) do
    local p = write(c[1]:gsub(" ", "_") .. ".npy", c[2])
    bad("load_npy of a file with " .. c[1], function() local _ = m1d.load_npy(p) end, "load_npy", p, c[3])
  end
  bad("load_npy of a missing file", function() local _ = m1d.load_npy(dir .. "/missing.npy") end,
      "load_npy", "missing.npy", "No such file")
  bad("load_npy of a directory", function() local _ = m1d.load_npy(dir) end, "load_npy", "is a directory")
  bad("load_npy of a table", function() local _ = m1d.load_npy({}) end, "load_npy", "string expected")
  bad("load_npy()", function() local _ = m1d.load_npy() end, "load_npy", "string expected")
  bad("save_npy into a missing directory", function() m1d.save_npy(dir .. "/no/such/x.npy", m1d.ones(2)) end,
      "save_npy", "no/such")
  bad("save_npy onto a directory", function() m1d.save_npy(dir, m1d.ones(2)) end, "save_npy", dir)
  bad("save_npy of a number", function() m1d.save_npy(path, 5) end, "save_npy", "m1d.Tensor expected")
  bad("save_npy without a path", function() m1d.save_npy(nil, m1d.ones(2)) end, "save_npy", "string expected")
  bad("makedirs through a file", function() m1d.makedirs(path .. "/sub") end, "makedirs", path)
  bad("makedirs('')", function() m1d.makedirs("") end, "makedirs")
  T.is(m1d.load_npy(path):sum():item(), 66, "the good file still loads")

  -- model files (save_tensors / load_tensors)
  local mpath = dir .. "/m.m1d"
  m1d.core.save_tensors(mpath, {"w", "b"}, {m1d.ones(2, 3), m1d.zeros(3)})
  local mf = assert(io.open(mpath, "rb"))
  local model = mf:read("a")
  mf:close()
  local models = {
    {"empty", "", "not an m1d model file"},
    {"truncated", model:sub(1, #model - 5), "checksum mismatch"},
    {"one flipped byte", model:sub(1, 30) .. string.char((model:byte(31) + 1) % 256) .. model:sub(32), "checksum"},
    {"bad magic", "X" .. model:sub(2), "bad magic"},
    {"version 2", model:sub(1, 8) .. "\2" .. model:sub(10), "format version 2"},
    {"a .npy file", good, "not an m1d model file"},
  }
  for _, c in ipairs(models) do
    local p = write(c[1]:gsub(" ", "_") .. ".m1d", c[2])
    bad("load_tensors of a model file: " .. c[1], function() local _ = m1d.core.load_tensors(p) end, "load", p, c[3])
  end
  bad("load_tensors of a missing file", function() local _ = m1d.core.load_tensors(dir .. "/none.m1d") end,
      "load", "cannot open")
  bad("save_tensors of mismatched lists", function() m1d.core.save_tensors(mpath, {"a"}, {}) end, "save", "1 names for 0")
  bad("save_tensors of a number", function() m1d.core.save_tensors(mpath, {"a"}, {5}) end, "save", "not a tensor")
  bad("save_tensors into a missing directory", function()
    m1d.core.save_tensors(dir .. "/no/m.m1d", {"a"}, {m1d.ones(1)})
  end, "save", "no/m.m1d")
  local names = m1d.core.load_tensors(mpath)
  T.is(names[1], "w", "the good model file still loads")
  for _, n in ipairs{"a.npy", "m.m1d"} do os.remove(dir .. "/" .. n) end
  for _, c in ipairs(files) do os.remove(dir .. "/" .. c[1]:gsub(" ", "_") .. ".npy") end
  for _, c in ipairs(models) do os.remove(dir .. "/" .. c[1]:gsub(" ", "_") .. ".m1d") end
  os.remove(dir)
end

---------------------------------------------------------------- generator arguments

do
  -- argument, bad values, what the message must say (besides the name)
  local args = {
    {"num_samples", {-1, 0, 9, 1.5, "x", true, 1 << 60}},
    {"train_split", {-0.1, 1.1, NaN, INF, "x"}},
    {"template_len", {-1, 1.5, 1 << 41, "x"}},
    {"padding", {{1}, {5, 1}, {-1, 3}, {1.5, 2}, {"a", 3}, "x", 5}},
    {"scale_coeff", {NaN, INF, "x"}},
    {"max_translation", {0, -1, 1.5}},
    {"corr_noise_scale", {NaN, -INF, "x"}},
    {"iid_noise_scale", {NaN, INF}},
    {"shear_scale", {NaN, INF, {}}},
    {"shuffle_seq", {1, "yes", 0}},
    {"final_seq_length", {0, -1, 1 << 50, 2.5}},
    {"seed", {-1, 1 << 32, 1.5, "x"}},
  }
  for _, a in ipairs(args) do
    local name = a[1]
    for _, v in ipairs(a[2]) do
      bad(("mnist1d.dataset{%s = %s}"):format(name, show(v)), function()
        local _ = mnist1d.dataset{[name] = v}
      end, "mnist1d", (name == "num_samples" and v == 1 << 60) and "examples"
                      or (name == "final_seq_length" and v == 1 << 50) and "length" or name)
      bad(("core.mnist1d_check{%s = %s}"):format(name, show(v)), function()
        m1d.core.mnist1d_check{[name] = v}
      end, "mnist1d")
    end
  end
  bad("mnist1d.dataset{template_len = 0, padding = {0, 1}}", function()
    local _ = mnist1d.dataset{template_len = 0, padding = {0, 1}}
  end, "mnist1d", "at least 2")
  bad("mnist1d.dataset{bogus = 1}", function() local _ = mnist1d.dataset{bogus = 1} end, "unknown argument 'bogus'")
  bad("mnist1d.dataset(5)", function() local _ = mnist1d.dataset(5) end, "mnist1d", "table")
  bad("mnist1d.dataset with dtype int64", function() local _ = mnist1d.dataset({}, {dtype = "int64"}) end,
      "mnist1d", "dtype")
  bad("core.mnist1d_check with a numeric key", function() m1d.core.mnist1d_check{[1] = 2} end, "mnist1d", "strings")
  bad("core.mnist1d_check(5)", function() m1d.core.mnist1d_check(5) end, "table expected")
  bad("core.mnist1d_generate of 2^40 long rows", function()
    local _ = m1d.core.mnist1d_generate{final_seq_length = BIG}
  end, "mnist1d")
  bad("mnist1d_permutation(-1)", function() local _ = m1d.core.mnist1d_permutation(-1, 0) end, "permutation")
  bad("mnist1d_permutation(2^41)", function() local _ = m1d.core.mnist1d_permutation(1 << 41, 0) end, "permutation")
  bad("mnist1d_permutation seed -1", function() local _ = m1d.core.mnist1d_permutation(5, -1) end, "seed")
  local d = mnist1d.dataset{num_samples = 20, seed = 1}
  bad("batch size 0", function() local _ = d:batch(1, 0) end, "batch", "size >= 1")
  bad("batch start 1.5", function() local _ = d:batch(1.5, 2) end, "batch", "integers")
  bad("label_noise(2)", function() local _ = d:label_noise(2) end, "label_noise", "fraction")
  bad("subset(-3)", function() local _ = d:subset(-3) end, "subset")
  bad("spatial_shuffle(-1)", function() local _ = d:spatial_shuffle(-1) end, "seed")
  bad("mnist1d.load of a missing directory", function() local _ = mnist1d.load("/nonexistent-m1d") end,
      "load_npy", "/nonexistent-m1d")
  T.is(d.x:size(2), 40, "the generator still works")
end

---------------------------------------------------------------- the process survived

do
  T.ok(m1d.is_grad_enabled(), "grad mode is on after every failure")
  local x = m1d.randn(5, 4):requires_grad()
  local loss = nn.cross_entropy(m1d.linear(x, m1d.randn(3, 4)), m1d.tensor({0, 1, 2, 0, 1}, "int64"))
  loss:backward()
  T.ok(x.grad ~= nil and x.grad:size(1) == 5, "autograd works after every failure")
  x, loss = nil, nil
  collectgarbage()
  collectgarbage()
  local leaked = m1d.memstats().bytes_live - base_live
  T.ok(leaked <= 4096, ("tensor memory back to where it started (%d bytes more)"):format(leaked),
       "a failed call left tensor storage alive")
end

T.diag(("%d bad-input cases"):format(cases))
io.write("1..", T.n, "\n")
os.exit(T.failed == 0 and 0 or 1, true)   -- close the state: valgrind sees every finalizer run
