-- knn_test.lua — m1d.knn against scikit-learn's KNeighborsClassifier on the frozen
-- MNIST-1D (fixtures from tools/make_probe_fixtures.py): the predictions for every test
-- example (euclidean k = 10, 4, 1, cosine k = 10, float32 data), the 10 neighbours of
-- every test example in order, the 59.6 % baseline; blocked and unblocked searches agree;
-- a small integer case full of equal distances and tied votes follows the documented rule
-- (stable by index, lowest label wins); distances against a direct computation; bad input.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local knn = m1d.knn
local DIR = "tests/fixtures/probe/"
local values = m1d.util.read_json(DIR .. "values.json")
local function fixture(name) return m1d.load_npy(DIR .. name .. ".npy") end
local function mismatches(a, b) return a:ne(b):sum():item() end

local d64 = m1d.mnist1d.frozen{dtype = "float64"}
local d32 = m1d.mnist1d.frozen()

for _, c in ipairs{{"euclidean_k10", 10, "euclidean", d64}, {"euclidean_k4", 4, "euclidean", d64},
                   {"euclidean_k1", 1, "euclidean", d64}, {"cosine_k10", 10, "cosine", d64},
                   {"euclidean_k10_f32", 10, "euclidean", d32}} do
  local name, k, metric, d = table.unpack(c)
  local acc, pred = knn.accuracy(d.x, d.y, d.x_test, d.y_test, {k = k, metric = metric})
  local want = fixture("knn_" .. name .. "_pred")
  T.is(mismatches(pred, want), 0, ("%s: every test prediction equals sklearn's"):format(name))
  T.close(acc, 100 * values["knn_" .. name .. "_test_acc"], 1e-9, ("%s: test accuracy %.1f %%"):format(name, acc))
  if values["knn_" .. name .. "_rows_with_tied_vote"] then
    T.diag(("%s: %d test rows have a tied vote"):format(name, values["knn_" .. name .. "_rows_with_tied_vote"]))
  end
end
T.close(knn.accuracy(d64.x, d64.y, d64.x_test, d64.y_test), 59.6, 0.3, "the 10-NN baseline of the notebook: 59.6 % (default k = 10, euclidean)")

-- the neighbours themselves, nearest first, 1-based; blocks of 7 rows or all rows at once
local want_idx = fixture("knn_euclidean_k10_neighbors") + 1
for _, block in ipairs{1, 7, 1000} do
  local idx, dist = knn.neighbors(d64.x, d64.x_test, {k = 10, block = block})
  T.is(mismatches(idx, want_idx), 0, ("block = %d: the 10 neighbours of every test row, in sklearn's order"):format(block))
  T.ok(dist:dtype() == "float64" and idx:dtype() == "int64", "distances float64, indices int64")
end

-- distances: the euclidean and cosine distance of test row 3 to its neighbours, directly
local idx, dist = knn.neighbors(d64.x, d64.x_test, {k = 5})
local q = d64.x_test:select(1, 3)
local worst = 0
for j = 1, 5 do
  local r = d64.x:select(1, idx:getflat(10 + j))
  worst = math.max(worst, math.abs(dist:getflat(10 + j) - (r - q):pow(2):sum():sqrt():item()))
end
T.ok(worst < 1e-12, ("euclidean distances equal |x - y| (worst %.1e)"):format(worst))
local cidx, cdist = knn.neighbors(d64.x, d64.x_test, {k = 5, metric = "cosine"})
worst = 0
for j = 1, 5 do
  local r = d64.x:select(1, cidx:getflat(10 + j))
  local cos = (r * q):sum():item() / math.sqrt((r * r):sum():item() * (q * q):sum():item())
  worst = math.max(worst, math.abs(cdist:getflat(10 + j) - (1 - cos)))
end
T.ok(worst < 1e-12, ("cosine distances equal 1 - cos (worst %.1e)"):format(worst))
local sorted = true
for i = 1, dist:numel() - 1 do
  if i % 5 ~= 0 and dist:getflat(i) > dist:getflat(i + 1) then sorted = false end
end
T.ok(sorted, "each row's distances ascend")

-- equal distances and tied votes: the documented rule (a stable sort's first k; the lowest
-- of the most frequent labels).  sklearn's heap keeps other equally distant points.
local tx, ty, tq = fixture("tie_x"), fixture("tie_y"), fixture("tie_x_test")
for _, k in ipairs{1, 4, 5} do
  local nb = knn.neighbors(tx, tq, {k = k, block = 3})
  T.is(mismatches(nb, fixture(("tie_k%d_neighbors"):format(k)) + 1), 0,
       ("ties, k = %d: neighbours ordered by distance, then by training index"):format(k))
  T.is(mismatches(knn.classify(tx, ty, tq, {k = k}), fixture(("tie_k%d_pred"):format(k))), 0,
       ("ties, k = %d: votes (%d tied) go to the lowest label"):format(k, values[("tie_k%d_rows_with_tied_vote"):format(k)]))
  T.diag(("k = %d: on %d of 25 rows sklearn keeps other equally distant points"):format(k,
         values[("tie_k%d_rows_where_sklearn_keeps_other_ties"):format(k)]))
end
-- a zero row under cosine: distance 1 to everything, so the first k training rows
local z = knn.neighbors(m1d.tensor({{1, 0}, {0, 1}, {1, 1}}, "float64"), m1d.zeros(1, 2, "float64"), {k = 2, metric = "cosine"})
T.is(table.concat(z:totable()[1], ","), "1,2", "cosine: a zero query is at distance 1 from all, ties by index")
-- k = n: every training row; an empty query gives empty results
T.is(knn.neighbors(tx, tq, {k = 60}):size(2), 60, "k = n_train is allowed")
T.is(knn.classify(tx, ty, m1d.zeros(0, 3, "float64"), {k = 3}):numel(), 0, "no query rows: an empty prediction")
-- float32 and float64 training and query may be mixed
T.is(mismatches(knn.classify(d32.x, d32.y, d64.x_test), fixture("knn_euclidean_k10_pred")), 0,
     "float32 training rows with float64 queries work (computed in float64)")

-- bad input: clear errors naming the function and the argument
local x, y = d64.x, d64.y
local bad = {
  {"k < 1", function() knn.classify(x, y, x, {k = 0}) end, "knn.classify: k must be in 1..4000"},
  {"k > n", function() knn.neighbors(tx, tq, {k = 61}) end, "knn.neighbors: k must be in 1..60", "got 61"},
  {"k not an integer", function() knn.classify(x, y, x, {k = 2.5}) end, "k must be an integer"},
  {"mismatched features", function() knn.classify(x, y, m1d.zeros(3, 5, "float64")) end,
   "x_query [3, 5] must have the 40 features of x_train [4000, 40]"},
  {"mismatched labels", function() knn.classify(x, y:narrow(1, 1, 10), x) end, "y_train must be [4000]"},
  {"float labels", function() knn.classify(x, y:double(), x) end, "y_train must be an int64 tensor of integer labels"},
  {"negative label", function() knn.classify(tx, ty - 1, tq) end, "y_train holds a negative label"},
  {"labels as a table", function() knn.classify(tx, {1, 2}, tq) end, "y_train must be an int64 tensor"},
  {"1-D features", function() knn.neighbors(m1d.zeros(5), m1d.zeros(5)) end, "x_train must be a 2-D float32 or float64 tensor"},
  {"int64 features", function() knn.neighbors(ty:reshape(60, 1), ty:reshape(60, 1)) end, "x_train must be a 2-D float32 or float64"},
  {"not a tensor", function() knn.neighbors({{1}}, x) end, "x_train must be a tensor"},
  {"unknown metric", function() knn.classify(x, y, x, {metric = "manhattan"}) end,
   "metric must be \"euclidean\" or \"cosine\""},
  {"unknown option", function() knn.classify(x, y, x, {n_neighbors = 3}) end,
   "knn.classify: unknown option 'n_neighbors'", "known: block, k, metric"},
  {"bad block", function() knn.neighbors(x, x, {block = 0}) end, "block must be an integer >= 1"},
  {"NaN in the data", function() knn.neighbors(m1d.tensor({{0 / 0}, {1}}, "float64"), m1d.zeros(1, 1, "float64"), {k = 1}) end,
   "knn.neighbors: x_train holds a NaN or infinite value"},
  {"accuracy: mismatched y_test", function() knn.accuracy(x, y, d64.x_test, y) end, "knn.accuracy: y_test must be [1000]"},
}
for _, c in ipairs(bad) do T.raises(c[2], "bad input: " .. c[1], table.unpack(c, 3)) end
T.done()
