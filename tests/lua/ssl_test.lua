-- ssl_test.lua — the pieces of experiments/ssl.lua (m1d.ssl): the InfoNCE loss against a
-- hand computation in plain Lua on a tiny batch (and its gradients to second order), the
-- augmentation's shape, dtype and seeding, the detrending (zero mean, zero least-squares
-- slope, float64), the roll (each row circularly shifted by its own drawn shift, as
-- torch.roll), the added slope and offset's spread, and bad input.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local ssl = m1d.ssl

-- InfoNCE by hand: normalise rows, S_ij = <a_i, b_j> / T, mean_i of log sum_j exp S_ij - S_ii
local function info_nce_by_hand(a, b, temp)
  local function normalised(rows)
    local out = {}
    for i, r in ipairs(rows) do
      local n = 0
      for _, v in ipairs(r) do n = n + v * v end
      n = math.sqrt(n)
      out[i] = {}
      for j, v in ipairs(r) do out[i][j] = v / n end
    end
    return out
  end
  local na, nb = normalised(a), normalised(b)
  local total = 0
  for i = 1, #na do
    local sum, diag = 0, 0
    for j = 1, #nb do
      local s = 0
      for d = 1, #na[i] do s = s + na[i][d] * nb[j][d] end
      s = s / temp
      sum = sum + math.exp(s)
      if i == j then diag = s end
    end
    total = total - math.log(math.exp(diag) / sum)
  end
  return total / #na
end

local a = {{1.0, 2.0, -0.5}, {0.3, -1.2, 0.8}, {-2.0, 0.1, 0.4}}
local b = {{0.9, 1.7, -0.2}, {-0.4, -1.0, 1.1}, {0.5, 0.5, 0.5}}
for _, temp in ipairs{0.5, 1, 0.1} do
  local got = ssl.info_nce(m1d.tensor(a, "float64"), m1d.tensor(b, "float64"), temp):item()
  T.close(got, info_nce_by_hand(a, b, temp), 1e-12, ("info_nce equals the hand computation (T = %g): %.6f"):format(temp, got))
end
T.close(ssl.info_nce(m1d.tensor(a, "float64"), m1d.tensor(b, "float64")):item(), info_nce_by_hand(a, b, 0.5), 1e-12,
        "info_nce: the default temperature is 0.5")
-- two identical, orthogonal views: the positives dominate, so the loss is near its floor
local eye = m1d.tensor({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, "float64")
T.close(ssl.info_nce(eye, eye, 0.5):item(), math.log(1 + 2 * math.exp(-2)), 1e-12,
        "info_nce of orthonormal identical views: log(1 + 2 e^-2)")
-- scale invariance: rows are normalised
T.close(ssl.info_nce(m1d.tensor(a, "float64") * 7, m1d.tensor(b, "float64") * 0.01):item(), info_nce_by_hand(a, b, 0.5),
        1e-12, "info_nce does not depend on the rows' norms")
m1d.manual_seed(3)
T.grad_orders("info_nce", function(z1, z2) return ssl.info_nce(z1, z2, 0.5) end,
              {m1d.randn(4, 3, "float64"), m1d.randn(4, 3, "float64")})

-- an all-zero row (ReLU features all off) has a zero normalised row and finite gradients
local zr = m1d.tensor({{0, 0, 0}, {0.3, -1.2, 0.8}}, "float64"):requires_grad()
local zl = ssl.info_nce(zr, m1d.tensor({{1, 0, 0}, {0, 1, 0}}, "float64"))
T.close(zl:item(), info_nce_by_hand({{1, 0, 0}, {0.3, -1.2, 0.8}}, {{1, 0, 0}, {0, 1, 0}}, 0.5)
        - (math.log(1 + math.exp(2)) - 2) / 2 + math.log(2) / 2, 1e-12,
        "info_nce: a zero row has similarity 0 with every column")
zl:backward()
T.ok(zr.grad:ne(zr.grad):sum():item() == 0, "info_nce: finite gradients at an all-zero row (no NaN)")

-- detrend: zero mean and zero least-squares slope, to float64 rounding
m1d.manual_seed(0)
local x64 = m1d.randn(50, 40, "float64") * 3 + m1d.arange(0, 40, "float64"):reshape(1, 40) * 0.2 + 5
local d = ssl.detrend(x64)
local u = (m1d.arange(0, 40, "float64") - 19.5):reshape(40, 1)
T.ok(d:mean(2):abs():max():item() < 1e-12, "detrend: every row has zero mean", d:mean(2):abs():max():item())
T.ok(d:matmul(u):abs():max():item() < 1e-10, "detrend: every row has zero least-squares slope",
     d:matmul(u):abs():max():item())
local line = m1d.arange(0, 40, "float64"):reshape(1, 40) * -0.7 + 2
T.ok(ssl.detrend(line):abs():max():item() < 1e-12, "detrend: a straight line becomes zero")
T.ok((ssl.detrend(d) - d):abs():max():item() < 1e-12, "detrend: idempotent")

-- augment: shape and dtype kept, same seed same views, another seed other views
local data = m1d.mnist1d.frozen()
local xb = data.x:narrow(1, 1, 100)
m1d.manual_seed(7); local v1 = ssl.augment(xb)
m1d.manual_seed(7); local v1b = ssl.augment(xb)
local v2 = ssl.augment(xb)
T.is(table.concat(v1:size(), "x"), "100x40", "augment keeps the shape [100, 40]")
T.is(v1:dtype(), "float32", "augment keeps the dtype (float32)")
T.is(ssl.augment(x64):dtype(), "float64", "augment keeps the dtype (float64)")
T.ok(v1:eq(v1b):sum():item() == v1:numel(),
     "augment: the same seed gives the same views")
T.ok((v1 - v2):abs():max():item() > 0.01, "augment: the next draw gives other views")

-- the roll: without slope and offset, row r is detrend(x) rolled by the r-th drawn shift
-- (torch.roll: out[i] = d[(i - s) mod L]), the shifts being randint(0, max_shift) from the seed
m1d.manual_seed(11)
local rolled = ssl.augment(x64, {max_shift = 10, slope_sd = 0, offset_sd = 0}):totable()
m1d.manual_seed(11)
local shifts = m1d.randint(0, 10, {50, 1}):totable()
local dt, worst, seen = d:totable(), 0, {}
for r = 1, 50 do
  local s = shifts[r][1]
  seen[s] = true
  for i = 0, 39 do worst = math.max(worst, math.abs(rolled[r][i + 1] - dt[r][(i - s) % 40 + 1])) end
end
local n_seen = 0
for _ in pairs(seen) do n_seen = n_seen + 1 end
T.ok(worst < 1e-12, ("augment: each row is the detrended row rolled by its own shift (%d different shifts)"):format(n_seen), worst)
T.ok(n_seen >= 5, "augment: the shifts vary between rows")
for s in pairs(seen) do if s < 0 or s >= 10 then T.ok(false, "a shift outside [0, 10): " .. s) end end

-- slope and offset: what augment adds to the rolled row is a line with the given spreads
m1d.manual_seed(5)
local big = m1d.zeros(20000, 40, "float64")
local added = ssl.augment(big, {max_shift = 1})           -- zero signal, no shift: only the line
local offset = added:mean(2)
local slope = added:matmul(u):reshape(-1) / (u:pow(2):sum():item())
T.close(offset:std():item(), 0.3, 0.01, ("augment: offset sd %.4f (0.3)"):format(offset:std():item()))
T.close(slope:std():item(), 0.04, 0.0015, ("augment: slope sd %.4f (0.04)"):format(slope:std():item()))
T.ok(ssl.detrend(added):abs():max():item() < 1e-12, "augment: the added part is a straight line around the centre")

-- bad input
local bad = {
  {"info_nce: shapes differ", function() ssl.info_nce(m1d.randn(3, 2), m1d.randn(4, 2)) end, "same shape"},
  {"info_nce: temperature 0", function() ssl.info_nce(m1d.randn(3, 2), m1d.randn(3, 2), 0) end, "temperature"},
  {"info_nce: a vector", function() ssl.info_nce(m1d.randn(3), m1d.randn(3)) end, "z1"},
  {"augment: 1-D input", function() ssl.augment(m1d.randn(40)) end, "ssl.augment: x"},
  {"augment: int64 input", function() ssl.augment(m1d.zeros(2, 40, "int64")) end, "float32 or float64"},
  {"augment: max_shift too big", function() ssl.augment(m1d.randn(2, 40), {max_shift = 41}) end, "max_shift"},
  {"augment: max_shift 0", function() ssl.augment(m1d.randn(2, 40), {max_shift = 0}) end, "max_shift"},
  {"augment: negative sd", function() ssl.augment(m1d.randn(2, 40), {slope_sd = -1}) end, "slope_sd"},
  {"augment: unknown option", function() ssl.augment(m1d.randn(2, 40), {shift = 3}) end, "shift"},
  {"detrend: not a tensor", function() ssl.detrend({1, 2, 3}) end, "ssl.detrend"},
}
for _, c in ipairs(bad) do T.raises(c[2], "bad input: " .. c[1], table.unpack(c, 3)) end
T.done()
