-- tensor_test.lua — forward results of tensor ops on small known inputs, broadcasting,
-- views sharing storage, dtypes, printing, error messages, and GC-bounded memory.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

local function same(a, b, tol)
  tol = tol or 1e-6
  if type(a) == "number" then return type(b) == "number" and math.abs(a - b) <= tol end
  if type(a) ~= type(b) or #a ~= #b then return false end
  for i = 1, #a do if not same(a[i], b[i], tol) then return false end end
  return true
end
local function check(t, want, name, tol)
  local got = t:totable()
  T.ok(same(got, want, tol), name, "got " .. tostring(t))
end

-- creation
check(m1d.zeros(2, 3), {{0, 0, 0}, {0, 0, 0}}, "zeros")
check(m1d.ones({2}), {1, 1}, "ones from a shape table")
check(m1d.full({2, 2}, 7), {{7, 7}, {7, 7}}, "full")
check(m1d.arange(5), {0, 1, 2, 3, 4}, "arange(n)")
check(m1d.arange(1, 2, 0.25), {1, 1.25, 1.5, 1.75}, "arange with step")
check(m1d.linspace(0, 1, 5), {0, 0.25, 0.5, 0.75, 1}, "linspace")
T.is(m1d.linspace(0, 1, 50, "float64"):getflat(50), 1.0, "linspace forces the last point like numpy")
T.is(m1d.tensor({{1, 2}, {3, 4}}):dtype(), "float32", "float32 by default")
T.is(m1d.tensor({1, 2}, "float64"):dtype(), "float64", "float64 on request")
T.is(m1d.tensor({1, 2}, "int64"):dtype(), "int64", "int64 on request")
T.is(m1d.tensor({1, 2}, "int64"):numel(), 2, "int64 tensors have methods")
T.is(m1d.tensor(3.5):item(), 3.5, "0-dim tensor from a number")
T.ok(same(m1d.tensor({{1, 2}, {3, 4}}):size(), {2, 2}), "size()")
T.is(m1d.zeros(4, 5):size(2), 5, "size(dim)")
T.is(m1d.zeros(4, 5):size(-1), 5, "size(-1)")
T.is(#m1d.zeros(4, 5), 4, "#t is the size of dim 1")
T.is(m1d.zeros(2, 3, 4):dim(), 3, "dim()")
T.is(m1d.zeros(2, 3, 4):numel(), 24, "numel()")

-- seeded RNG
m1d.manual_seed(42)
local a = m1d.rand(5, "float64"):totable()
m1d.manual_seed(42)
local b = m1d.rand(5, "float64"):totable()
T.ok(same(a, b, 0), "manual_seed: same seed, same numbers")
-- np.random.seed(42); np.random.rand() = 0.3745401188473625
T.close(a[1], 0.3745401188473625, 1e-16, "rand matches numpy's legacy stream")
m1d.manual_seed(0)
local r = m1d.randn(10000, "float64")
T.close(r:mean():item(), 0, 0.03, "randn mean ~ 0")
T.close(r:std():item(), 1, 0.03, "randn std ~ 1")
local perm = m1d.randperm(10):totable()
table.sort(perm)
T.ok(same(perm, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), "randperm is a permutation of 1..n")
T.lives(function() local _ = m1d.arange(10):index_select(1, m1d.randperm(10)) end, "randperm indexes index_select directly")

-- logsumexp of a row that is all -inf is -inf, of a row holding +inf is +inf (PyTorch), not NaN
do
  local l = m1d.tensor({{0.3, -1.2}, {-math.huge, -math.huge}, {1, math.huge}}, "float64"):logsumexp(2):totable()
  T.ok(math.abs(l[1] - 0.50141327798275) < 1e-12 and l[2] == -math.huge and l[3] == math.huge,
       "logsumexp: finite row, all -inf row -> -inf, row with +inf -> +inf", table.concat(l, " "))
  local f = m1d.tensor({-math.huge, -math.huge}):logsumexp(1):item()
  T.is(f, -math.huge, "logsumexp float32 over all -inf is -inf")
end

-- .npy files NumPy writes in Fortran order (a transposed array) load in C order
do
  local t = m1d.load_npy("tests/fixtures/npy/transposed_f8_4x3.npy")
  T.is(table.concat(t:shape(), "x"), "4x3", "load_npy of np.save(a.T): shape [4,3]")
  T.ok(t:eq(m1d.arange(12, "float64"):reshape(3, 4):t() / 4):sum():item() == 12, "and the values of a.T")
  local f = m1d.load_npy("tests/fixtures/npy/fortran_f4_2x3x4.npy")
  T.ok(f:dtype() == "float32" and f:eq(m1d.arange(24):reshape(2, 3, 4)):sum():item() == 24,
       "np.asfortranarray 3-D float32 loads in C order")
end

-- index_add with a source of another dtype: values converted, not reinterpreted
do
  local r = m1d.zeros(3, "float64"):index_add(1, m1d.tensor({1, 3}, "int64"), m1d.tensor({1, 2}))
  T.is(table.concat(r:totable(), " "), "1.0 0.0 2.0", "index_add: float64 base, float32 source")
  local q = m1d.zeros(2):index_add(1, m1d.tensor({2, 1}, "int64"), m1d.tensor({5, 7}, "int64"))
  T.is(q:dtype() .. " " .. table.concat(q:totable(), " "), "float32 7.0 5.0", "index_add: float32 base, int64 source")
end

-- view never copies: a view of a transposed tensor is an error that points to reshape
local base = m1d.arange(12):reshape(3, 4)
T.raises(function() local _ = base:t():view(12) end, "view of a transposed tensor is an error", "view", "reshape")
local v = base:view(4, 3)
v:fill_(7)
T.is(base:sum():item(), 84, "a view shares storage: writes through it are seen")
T.is(base:t():reshape(12):storage_id() == base:storage_id(), false, "reshape of a transposed tensor copies")

-- elementwise
local x = m1d.tensor({{1, -2}, {3, -4}}, "float64")
check(x + 1, {{2, -1}, {4, -3}}, "tensor + number")
check(1 - x, {{0, 3}, {-2, 5}}, "number - tensor")
check(2 * x, {{2, -4}, {6, -8}}, "number * tensor")
check(x / 2, {{0.5, -1}, {1.5, -2}}, "tensor / number")
check(8 / m1d.tensor({2, 4}), {4, 2}, "number / tensor")
check(-x, {{-1, 2}, {-3, 4}}, "unary minus")
check(x ^ 2, {{1, 4}, {9, 16}}, "tensor ^ number")
check(2 ^ m1d.tensor({1, 3}), {2, 8}, "number ^ tensor")
check(x:abs(), {{1, 2}, {3, 4}}, "abs")
check(x:relu(), {{1, 0}, {3, 0}}, "relu")
check(x:sign(), {{1, -1}, {1, -1}}, "sign")
check(x:clamp(-2, 2), {{1, -2}, {2, -2}}, "clamp")
check(m1d.tensor({0}, "float64"):exp(), {1}, "exp")
check(m1d.tensor({1}, "float64"):log(), {0}, "log")
check(m1d.tensor({4}, "float64"):sqrt(), {2}, "sqrt")
do  -- float32 exp is a vectorised polynomial: within 1.5 ulp of exp over its whole range
  local xf = m1d.linspace(-87, 88, 200001, "float64"):float()
  local rel = ((xf:exp():double() - xf:double():exp()):abs() / xf:double():exp()):max():item()
  T.ok(rel < 1.5 * 2 ^ -23, ("float32 exp within 1.5 ulp (max relative error %.3g)"):format(rel))
  local sat = m1d.tensor({-1000, 1000, -math.huge}):exp():totable()
  T.ok(sat[1] == 0 and sat[2] == math.huge and sat[3] == 0, "float32 exp saturates to 0 and inf")
  local nan = m1d.tensor({0 / 0}):exp():item()
  T.ok(nan ~= nan, "float32 exp keeps NaN")
  local xt = m1d.linspace(-20, 20, 400001, "float64"):float()
  local ref = xt:double():tanh()
  local terr = ((xt:tanh():double() - ref):abs() / (ref:abs() + 1e-30)):max():item()
  T.ok(terr < 2.5 * 2 ^ -23, ("float32 tanh within 2.5 ulp (max relative error %.3g)"):format(terr))
  local tiny = m1d.tensor({1e-30, -1e-20, 1e-6}):tanh():totable()
  T.ok(math.abs(tiny[1] - 1e-30) < 1e-36 and math.abs(tiny[3] - 1e-6) < 1e-12, "float32 tanh keeps tiny values")
  local th = m1d.tensor({math.huge, -math.huge, 0 / 0}):tanh():totable()
  T.ok(th[1] == 1 and th[2] == -1 and th[3] ~= th[3], "float32 tanh of +-inf and NaN")
end
check(m1d.tensor({0}, "float64"):tanh(), {0}, "tanh")
check(m1d.tensor({0}, "float64"):sigmoid(), {0.5}, "sigmoid")
check(m1d.tensor({-1, 2}, "float64"):elu(), {math.exp(-1) - 1, 2}, "elu")
check(m1d.tensor({0, 30}, "float64"):softplus(), {math.log(2), 30}, "softplus (threshold 20)")
check(m1d.tensor({1}, "float64"):silu(), {1 / (1 + math.exp(-1))}, "silu")
check(m1d.tensor({1}, "float64"):gelu(), {0.8413447460685429}, "gelu (erf form)", 1e-12)
check(m1d.tensor({1, 2}) * m1d.tensor({3, 4}), {3, 8}, "mul")
check(m1d.tensor({1, 2}) - m1d.tensor({3, 4}), {-2, -2}, "sub")
check(m1d.tensor({1, 5}):maximum(m1d.tensor({3, 4})), {3, 5}, "maximum")
check(m1d.tensor({1, 5}):minimum(2), {1, 2}, "minimum with a number")

-- broadcasting (NumPy rules)
check(m1d.tensor({{1}, {2}, {3}}) + m1d.tensor({{10, 20}}), {{11, 21}, {12, 22}, {13, 23}}, "[3,1] + [1,2]")
check(m1d.tensor({{1, 2}, {3, 4}}) + m1d.tensor({10, 20}), {{11, 22}, {13, 24}}, "[2,2] + [2]")
check(m1d.ones(2, 1, 3) * m1d.tensor({{1}, {2}}), {{{1, 1, 1}, {2, 2, 2}}, {{1, 1, 1}, {2, 2, 2}}}, "[2,1,3] * [2,1]")
T.ok(same(m1d.zeros(5, 1, 4):add(m1d.zeros(3, 1)):size(), {5, 3, 4}), "broadcast shape [5,1,4]+[3,1] = [5,3,4]")
T.raises(function() return m1d.zeros(2, 3) + m1d.zeros(4) end, "broadcast error names both shapes",
         "add", "[2,3]", "[4]")
check(m1d.tensor({1.0, 2.0}) + m1d.tensor({1.0}, "float64"), {2, 3}, "float32 + float64 promotes")
T.is((m1d.tensor({1.0}) + m1d.tensor({1.0}, "float64")):dtype(), "float64", "promotion to float64")

-- comparisons and masks
check(m1d.tensor({1, 2, 3}):gt(2), {0, 0, 1}, "gt with a number")
check(m1d.tensor({1, 2, 3}):le(m1d.tensor({3, 2, 1})), {1, 1, 0}, "le with a tensor")
check(m1d.tensor({1, 2, 3}):eq(2), {0, 1, 0}, "eq")
check(m1d.where(m1d.tensor({1, 0}), m1d.tensor({5, 6}), m1d.tensor({7, 8})), {5, 8}, "where")

-- reductions
local y = m1d.tensor({{1, 2, 3}, {4, 5, 6}}, "float64")
T.is(y:sum():item(), 21, "sum all")
check(y:sum(1), {5, 7, 9}, "sum over dim 1")
check(y:sum(2), {6, 15}, "sum over dim 2")
check(y:sum(2, true), {{6}, {15}}, "sum keepdim")
check(y:sum(-1), {6, 15}, "sum over dim -1")
T.is(y:mean():item(), 3.5, "mean")
check(y:mean(1), {2.5, 3.5, 4.5}, "mean over dim")
T.close(y:var():item(), 3.5, 1e-12, "var (unbiased)")
check(y:var(2), {1, 1}, "var over dim")
check(y:std(1, false, false), {1.5, 1.5, 1.5}, "std biased over dim")
local mx, idx = y:max(2)
check(mx, {3, 6}, "max over dim: values")
check(idx, {3, 3}, "max over dim: 1-based indices")
local mn, imn = y:min(1)
check(mn, {1, 2, 3}, "min over dim: values")
check(imn, {1, 1, 1}, "min over dim: indices")
T.is(y:max():item(), 6, "max of all")
T.is(y:argmax():item(), 6, "argmax of all (1-based flat)")
check(y:argmax(2), {3, 3}, "argmax over dim")
check(y:logsumexp(2), {math.log(math.exp(1) + math.exp(2) + math.exp(3)),
                       math.log(math.exp(4) + math.exp(5) + math.exp(6))}, "logsumexp", 1e-12)
local sm = y:softmax(2):sum(2)
check(sm, {1, 1}, "softmax rows sum to 1", 1e-12)
check(y:log_softmax(2):exp(), y:softmax(2):totable(), "exp(log_softmax) = softmax", 1e-12)

-- matmul
local A = m1d.tensor({{1, 2}, {3, 4}, {5, 6}})
local B = m1d.tensor({{1, 0, 2}, {0, 1, 3}})
check(A:matmul(B), {{1, 2, 8}, {3, 4, 18}, {5, 6, 28}}, "matmul 2-D")
check(A:t():matmul(A), {{35, 44}, {44, 56}}, "matmul with a transposed view")
check(m1d.ones(2, 3, 2):matmul(m1d.ones(2, 4)), {{{2, 2, 2, 2}, {2, 2, 2, 2}, {2, 2, 2, 2}},
                                               {{2, 2, 2, 2}, {2, 2, 2, 2}, {2, 2, 2, 2}}}, "batched @ 2-D")
check(m1d.ones(2, 1, 3):matmul(m1d.ones(2, 3, 1)), {{{3}}, {{3}}}, "batched @ batched")
check(m1d.linear(m1d.tensor({{1, 2}}), m1d.tensor({{1, 1}, {2, 0}, {0, 3}}), m1d.tensor({1, 2, 3})),
      {{4, 4, 9}}, "linear = x W^T + b")
do  -- degenerate shapes take the outer-product and GEMV paths; every layout against a naive product
  local function naive(a, b)
    local A, B, C = a:totable(), b:totable(), {}
    for i = 1, #A do C[i] = {} for j = 1, #B[1] do
      local s = 0 for q = 1, #B do s = s + A[i][q] * B[q][j] end C[i][j] = s end end
    return m1d.tensor(C, "float64")
  end
  local worst = 0
  for _, sh in ipairs{{5, 1, 7}, {5, 4, 1}, {1, 4, 7}, {1, 1, 1}, {1, 3, 1}, {6, 1, 1}, {3, 5, 4}} do
    for _, ta in ipairs{false, true} do for _, tb in ipairs{false, true} do
      local a = ta and m1d.randn(sh[2], sh[1], "float64"):t() or m1d.randn(sh[1], sh[2], "float64")
      local b = tb and m1d.randn(sh[3], sh[2], "float64"):t() or m1d.randn(sh[2], sh[3], "float64")
      worst = math.max(worst, (a:matmul(b) - naive(a, b)):abs():max():item())
    end end
  end
  T.ok(worst < 1e-12, ("matmul of k=1, n=1, m=1 shapes, transposed or not (max error %.2g)"):format(worst))
end
T.raises(function() return m1d.randn(100, 40):matmul(m1d.randn(50, 10)) end,
         "matmul shape error names both shapes", "matmul", "[100,40]", "[50,10]")
T.raises(function() return m1d.zeros(2, 3):matmul(m1d.zeros(2, 3, "float64")) end,
         "matmul dtype mismatch", "matmul", "float32", "float64")

-- views share storage
local base = m1d.arange(12):reshape(3, 4)
T.ok(base:storage_id() ~= m1d.arange(12):storage_id(), "different tensors have different storage")
local v = base:narrow(2, 2, 2)
T.is(v:storage_id(), base:storage_id(), "narrow is a view")
T.is(base:t():storage_id(), base:storage_id(), "transpose is a view")
T.is(base:reshape(12):storage_id(), base:storage_id(), "reshape of contiguous is a view")
T.is(base:reshape(2, 6):storage_id(), base:storage_id(), "reshape is a view")
T.is(base:unsqueeze(1):storage_id(), base:storage_id(), "unsqueeze is a view")
T.is(base:select(1, 2):storage_id(), base:storage_id(), "select is a view")
local row = m1d.ones(1, 4)
T.is(row:expand(3, 4):storage_id(), row:storage_id(), "expand is a view")
v:fill_(-1)
check(base, {{0, -1, -1, 3}, {4, -1, -1, 7}, {8, -1, -1, 11}}, "writing through a narrow view changes the base")
T.ok(not base:t():is_contiguous(), "transposed view is not contiguous")
T.ok(base:t():contiguous():is_contiguous(), "contiguous() copies")
check(base:t():reshape(12), {0, 4, 8, -1, -1, -1, -1, -1, -1, 3, 7, 11}, "reshape of a transposed view copies in its own order")
check(m1d.arange(6):reshape(2, -1), {{0, 1, 2}, {3, 4, 5}}, "reshape with -1")
check(m1d.arange(6):reshape(2, 3):permute(2, 1), {{0, 3}, {1, 4}, {2, 5}}, "permute")
check(m1d.arange(6):reshape(1, 2, 3):squeeze(), {{0, 1, 2}, {3, 4, 5}}, "squeeze")
check(m1d.arange(3):unsqueeze(2), {{0}, {1}, {2}}, "unsqueeze")
check(m1d.tensor({{1}, {2}}):expand(2, 3), {{1, 1, 1}, {2, 2, 2}}, "expand")
check(m1d.arange(4):flip(1), {3, 2, 1, 0}, "flip")
check(m1d.arange(6):reshape(2, 3):flatten(), {0, 1, 2, 3, 4, 5}, "flatten")

-- indexing
local M = m1d.tensor({{1, 2}, {3, 4}, {5, 6}})
T.is(M[2][1], 3, "t[i][j] reads a number")
check(M[3], {5, 6}, "t[i] of a matrix is a row view")
M[1] = 0
check(M, {{0, 0}, {3, 4}, {5, 6}}, "t[i] = number fills a row")
M[2] = m1d.tensor({7, 8})
check(M, {{0, 0}, {7, 8}, {5, 6}}, "t[i] = tensor copies a row")
T.is(M[-1][2], 6, "negative index counts from the end")
T.raises(function() return M[4] end, "out-of-range index", "out of range", "[3,2]")
check(M:index_select(1, m1d.tensor({3, 1}, "int64")), {{5, 6}, {0, 0}}, "index_select (1-based)")
check(M:gather(2, m1d.tensor({{2}, {1}, {2}}, "int64")), {{0}, {7}, {6}}, "gather (1-based)")
-- gather's contiguous fast path (input and index contiguous, same shape outside dim) against
-- the general path on a transposed copy of the same values, and against Lua loops, in 3-D
do
  m1d.manual_seed(4)
  local a = m1d.randn(3, 4, 5, "float64")
  local a_strided = a:transpose(1, 3):contiguous():transpose(1, 3)     -- same values, not contiguous
  local at = a:totable()
  for dim, shape in ipairs{{6, 4, 5}, {3, 7, 5}, {3, 4, 9}} do
    local idx = m1d.randint(1, ({3, 4, 5})[dim] + 1, shape)
    local fast, general = a:gather(dim, idx), a_strided:gather(dim, idx)
    local it, ft, worst = idx:totable(), fast:totable(), 0
    for i = 1, shape[1] do for j = 1, shape[2] do for k = 1, shape[3] do
      local p = {i, j, k}; p[dim] = it[i][j][k]
      worst = math.max(worst, math.abs(ft[i][j][k] - at[p[1]][p[2]][p[3]]))
    end end end
    T.ok(worst == 0 and (fast - general):abs():max():item() == 0,
         ("gather along dim %d: the contiguous path equals the loops and the strided path"):format(dim))
  end
  local off = a:narrow(1, 2, 2)                                         -- contiguous, with an offset
  T.ok((off:gather(3, m1d.ones(2, 4, 3, "int64")) - off:narrow(3, 1, 1):expand(2, 4, 3)):abs():max():item() == 0,
       "gather on a contiguous view with an offset")
  T.raises(function() return a:gather(2, m1d.full({3, 4, 5}, 5, "int64")) end, "gather: index out of range (fast path)",
           "out of range")
end
T.raises(function() return M:index_select(1, m1d.tensor({4}, "int64")) end, "index_select out of range",
         "index_select", "out of range")
T.raises(function() return M:index_select(1, m1d.tensor({1.0})) end, "index must be int64", "int64")
check(m1d.cat({m1d.ones(1, 2), m1d.zeros(2, 2)}, 1), {{1, 1}, {0, 0}, {0, 0}}, "cat dim 1")
check(m1d.cat({m1d.ones(2, 1), m1d.zeros(2, 2)}, 2), {{1, 0, 0}, {1, 0, 0}}, "cat dim 2")
check(m1d.stack({m1d.ones(2), m1d.zeros(2)}), {{1, 1}, {0, 0}}, "stack")
check(m1d.stack({m1d.ones(2), m1d.zeros(2)}, 2), {{1, 0}, {1, 0}}, "stack on dim 2")
-- copies into windows (cat along the last dim) from every layout and dtype: transposed,
-- sliced, broadcast, float32 into float64 and back, int64 (m1d_copy_into's row path)
do
  local at = m1d.arange(1, 13):reshape(3, 4):t()     -- [4,3] with strided rows: at[i][j] = 4(j-1) + i
  local function as (t, dtype) return t[dtype](t) end
  for _, dts in ipairs({{"float", "float"}, {"double", "double"}, {"float", "double"},
                        {"double", "float"}, {"long", "long"}}) do
    local x, y = as(at, dts[1]), as(m1d.full({4, 2}, -1), dts[2])
    local c = m1d.cat({y, x, y:narrow(2, 1, 1)}, 2)                  -- [4, 2+3+1]
    local rows, ok = c:totable(), true
    for i = 1, 4 do
      ok = ok and rows[i][1] == -1 and rows[i][2] == -1 and rows[i][6] == -1
      for j = 1, 3 do ok = ok and rows[i][2 + j] == 4 * (j - 1) + i end
    end
    T.ok(ok, ("cat of a transposed %s and a %s into windows of the result"):format(dts[1], dts[2]))
  end
  local dst = m1d.zeros(3, 5):double()
  dst:narrow(2, 2, 3):copy_(m1d.tensor({7, 8, 9}))                   -- broadcast row, float32 -> float64 window
  T.is(dst:sum():item(), 3 * 24, "copy_ of a broadcast float32 row into a float64 window")
  T.is(dst:narrow(2, 1, 1):abs():sum():item() + dst:narrow(2, 5, 1):abs():sum():item(), 0,
       "copy_ into a window leaves the columns beside it alone")
end
T.raises(function() return m1d.cat({m1d.ones(1, 2), m1d.zeros(2, 3)}, 1) end, "cat shape error",
         "cat", "[2,3]", "[1,2]")

-- layer ops (forward values)
check(m1d.conv1d(m1d.tensor({{{1, 2, 3, 4}}}), m1d.tensor({{{1, 0, -1}}}), m1d.tensor({0.5}), 1, 1),
      {{{-1.5, -1.5, -1.5, 3.5}}}, "conv1d with padding 1 (cross-correlation)")
check(m1d.max_pool1d(m1d.tensor({{{1, 3, 2, 5, 4}}}), 2), {{{3, 5}}}, "max_pool1d drops the tail")
check(m1d.avg_pool1d(m1d.tensor({{{1, 3, 2, 6}}}), 2), {{{2, 4}}}, "avg_pool1d")
check(m1d.lp_pool1d(m1d.tensor({{{3, 4, 6, 8}}}), 2, 2), {{{5, 10}}}, "lp_pool1d p=2 k=2")
check(m1d.lp_pool1d(m1d.tensor({{{3, 4, 6, 8}}}), 1, 4), {{{21}}}, "lp_pool1d p=1 k=4: the norm comes first")
local logits = m1d.tensor({{2, 0}, {0, 2}}, "float64")
local labels = m1d.tensor({0, 0}, "int64")
T.close(m1d.cross_entropy(logits, labels):item(),
        (-math.log(math.exp(2) / (math.exp(2) + 1)) - math.log(1 / (1 + math.exp(2)))) / 2, 1e-12, "cross_entropy (mean)")
T.close(m1d.mse(m1d.tensor({1, 2}), m1d.tensor({3, 2})):item(), 2, 1e-6, "mse (mean over elements)")
check(m1d.onehot(m1d.tensor({2, 0}, "int64"), 3), {{0, 0, 1}, {1, 0, 0}}, "onehot")
T.raises(function() return m1d.cross_entropy(m1d.zeros(2, 3), m1d.tensor({0, 3}, "int64")) end,
         "label out of range", "cross_entropy", "label 3")
T.raises(function() return m1d.cross_entropy(m1d.zeros(2, 3), m1d.tensor({0}, "int64")) end,
         "labels of the wrong size", "cross_entropy", "[2,3]", "[1]")

-- printing
local s = tostring(m1d.tensor({{1, 2}, {3, 4}}))
T.ok(s:find("float32", 1, true) and s:find("[2,2]", 1, true) and s:find("4.0000", 1, true), "tostring shows values, dtype and shape", s)
local big = tostring(m1d.zeros(100, 100))
T.ok(big:find("...", 1, true) and #big < 2000, "big tensors print truncated", #big)
T.ok(tostring(m1d.tensor({1}, "int64")):find("int64", 1, true), "int64 prints")

-- errors
T.raises(function() return m1d.zeros(-1) end, "negative size", "negative size")
T.raises(function() return m1d.zeros(1e9, 1e9) end, "huge size", "too large")
T.raises(function() return m1d.zeros(2, 3):reshape(4, 2) end, "reshape element count", "reshape", "[2,3]")
T.raises(function() return m1d.zeros(2, 3):sum(3) end, "dim out of range", "sum", "dim 3")
T.raises(function() return m1d.zeros(2, 3):narrow(2, 3, 2) end, "narrow out of range", "narrow", "[2,3]")
T.raises(function() return m1d.zeros(2):item() end, "item on 2 elements", "item", "[2]")
T.raises(function() return m1d.zeros(2) + "x" end, "adding a string", "add")
T.raises(function() return m1d.tensor({{1, 2}, {3}}) end, "ragged table", "ragged")
T.raises(function() return m1d.zeros(2):matmul(3) end, "matmul with a number", "m1d.Tensor expected")
T.raises(function() return m1d.tensor({1}, "int64"):exp() end, "exp of int64", "exp", "int64")
local rel = m1d.zeros(3)
rel:release()
T.raises(function() return rel + 1 end, "use after release", "released")
do
  local c <close> = m1d.zeros(3)
  T.is(c:numel(), 3, "to-be-closed tensor usable in scope")
end

-- garbage collection sees tensor memory: 100,000 fresh 100x100 tensors, no collectgarbage()
local function rss_mb()
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local s = f:read("a"); f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)")) / 1024
end
local peak = 0
for i = 1, 100000 do
  local t = m1d.ones(100, 100)
  if i % 5000 == 0 then peak = math.max(peak, rss_mb()) end
end
T.ok(peak > 0 and peak < 200, ("GC loop of 100,000 x 100x100 tensors stays under 200 MB (peak %.0f MB)"):format(peak))

-- in-place mul_/add_: the same bits as the out-of-place ops, through views, on either path
do
  for _, dt in ipairs{"float32", "float64"} do
    local a, b = m1d.randn({5, 7}, dt), m1d.randn({5, 7}, dt)
    local want_mul, want_add = a * b, a + b
    local am, aa = a:clone(), a:clone()
    local view = am:reshape(35)
    am:mul_(b); aa:add_(b)
    T.is((am - want_mul):abs():max():item() + (aa - want_add):abs():max():item(), 0,
         dt .. " mul_/add_ (contiguous, same shape) equal a * b and a + b exactly")
    T.is((view:reshape(5, 7) - want_mul):abs():max():item(), 0, dt .. " mul_ writes the tensor's own storage")
    local at = a:t():clone():t()                     -- a non-contiguous target: the copy-back path
    at:mul_(b)
    T.is((at - want_mul):abs():max():item(), 0, dt .. " mul_ on a non-contiguous view")
    local sq = a:clone()
    sq:mul_(sq)
    T.is((sq - a * a):abs():max():item(), 0, dt .. " x:mul_(x)")
  end
end

-- flush-to-zero of subnormal floats: off by default (IEEE), on and off again on request
do
  local tiny = m1d.tensor({1e-39, 1.1754944e-38})            -- a subnormal and the smallest normal
  local half = (tiny * 0.5):totable()
  T.ok(half[1] > 0 and half[2] > 0, "subnormal results by default (IEEE)")
  T.is(m1d.set_flush_denormal(true), false, "set_flush_denormal returns the previous setting (off)")
  half = (tiny * 0.5):totable()
  T.ok(half[1] == 0 and half[2] == 0, "flush_denormal: subnormal inputs and results become 0")
  T.is(m1d.set_flush_denormal(false), true, "set_flush_denormal returns the previous setting (on)")
  T.ok((tiny * 0.5):totable()[1] > 0, "flush_denormal off again: IEEE")
  T.raises(function() m1d.set_flush_denormal(1) end, "set_flush_denormal wants a boolean", "boolean")
end

-- empty tensors reshape like any other (a [4,0,2] was "not contiguous" and failed with
-- "unknown error")
do
  local z = m1d.zeros(4, 0, 2)
  T.ok(z:is_contiguous(), "an empty tensor is contiguous")
  T.is(table.concat(z:reshape(0):size(), ","), "0", "reshape of [4,0,2] to [0]")
  T.is(table.concat(z:reshape(2, 0, 7):size(), ","), "2,0,7", "reshape of [4,0,2] to [2,0,7]")
  T.is(table.concat(z:reshape(-1):size(), ","), "0", "reshape of [4,0,2] to [-1]")
  T.is(z:transpose(1, 3):contiguous():numel(), 0, "contiguous of a transposed empty tensor")
end

T.done()
