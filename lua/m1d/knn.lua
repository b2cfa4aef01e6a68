-- m1d.knn — k-nearest-neighbour classification (the pixel-space baseline of MNIST-1D,
-- and the kNN evaluation of learned embeddings).
--
--   local pred = m1d.knn.classify(x_train, y_train, x_test, {k = 10})          -- int64 labels
--   local acc = m1d.knn.accuracy(x_train, y_train, x_test, y_test, {k = 10, metric = "cosine"})
--   local idx, dist = m1d.knn.neighbors(x_train, x_test, {k = 5})             -- 1-based rows
--
-- Plain functions rather than a fitted object: "fitting" a kNN classifier is keeping the
-- training set, which the caller already holds.  The search is src/knn.c: distances of a
-- block of query rows to every training row come from one GEMM (so memory is block * n
-- doubles however many queries there are), in float64 whatever the input dtype.
-- Ties are broken as scikit-learn's KNeighborsClassifier (uniform weights) does on real
-- data: neighbours ordered by distance, the lower training index first among exactly
-- equal distances, then the most frequent label among the k, the lowest label winning a
-- tied vote.  (On exactly equal distances at the k-th place scikit-learn's heap keeps
-- whichever its traversal order leaves; m1d keeps the lower index, deterministically.)
local m1d = require "m1d"
local util = require "m1d.util"

local knn = {}

local OPTIONS = {"k", "metric", "block"}
local METRICS = {euclidean = false, cosine = true}     -- name -> the C side's cosine flag
local BLOCK_DOUBLES = 1 << 20                          -- default scratch: 8 MB of distances

local function shape_of(t) return "[" .. table.concat(t:size(), ", ") .. "]" end

local function check_x(fname, argname, x, level)
  if not m1d.is_tensor(x) then
    error(("%s: %s must be a tensor [n, features], got %s"):format(fname, argname, type(x)), level + 1)
  end
  if x:dim() ~= 2 or (x:dtype() ~= "float32" and x:dtype() ~= "float64") then
    error(("%s: %s must be a 2-D float32 or float64 tensor [n, features], got %s %s")
          :format(fname, argname, x:dtype(), shape_of(x)), level + 1)
  end
end

-- Labels: a 1-D int64 tensor of n non-negative integers.
local function check_labels(fname, argname, y, n, level)
  if not m1d.is_tensor(y) or y:dtype() ~= "int64" then
    error(("%s: %s must be an int64 tensor of integer labels 0, 1, ... (got %s)"):format(fname, argname,
          m1d.is_tensor(y) and (y:dtype() .. " " .. shape_of(y)) or type(y)), level + 1)
  end
  if y:dim() ~= 1 or y:size(1) ~= n then
    error(("%s: %s must be [%d] (one label per row of the features), got %s")
          :format(fname, argname, n, shape_of(y)), level + 1)
  end
  if n > 0 and y:min():item() < 0 then
    error(("%s: %s holds a negative label (%d); labels are 0, 1, ..."):format(fname, argname, y:min():item()), level + 1)
  end
end

-- The checked options and tensors of one call; level counts from the public function.
local function prepare(fname, x_train, x_query, opts, level)
  level = level + 1
  opts = util.check_options(fname, opts, OPTIONS, level)
  check_x(fname, "x_train", x_train, level)
  check_x(fname, "x_query", x_query, level)
  local n, d = x_train:size(1), x_train:size(2)
  if x_query:size(2) ~= d then
    error(("%s: x_query %s must have the %d features of x_train %s")
          :format(fname, shape_of(x_query), d, shape_of(x_train)), level)
  end
  local k = opts.k == nil and 10 or opts.k
  if math.type(k) ~= "integer" and not (type(k) == "number" and math.tointeger(k)) then
    error(("%s: k must be an integer, got %s"):format(fname, tostring(k)), level)
  end
  k = math.tointeger(k)
  if k < 1 or k > n then
    error(("%s: k must be in 1..%d (the number of training rows), got %d"):format(fname, n, k), level)
  end
  local metric = opts.metric or "euclidean"
  if METRICS[metric] == nil then
    error(("%s: metric must be \"euclidean\" or \"cosine\", got %s"):format(fname, tostring(metric)), level)
  end
  local block = opts.block or math.max(1, BLOCK_DOUBLES // math.max(n, 1))
  if math.type(block) ~= "integer" or block < 1 then
    error(("%s: block must be an integer >= 1 (query rows per GEMM), got %s"):format(fname, tostring(block)), level)
  end
  return k, METRICS[metric], block
end

-- Indices 0-based from C, for the vote.
local function search(fname, x_train, x_query, opts, level)
  local k, cosine, block = prepare(fname, x_train, x_query, opts, level + 1)
  local ok, idx, dist = pcall(m1d.core.knn_search, x_train, x_query, k, cosine, block)
  if not ok then error(("%s: %s"):format(fname, tostring(idx):gsub("^knn: ", "")), level + 1) end
  return idx, dist
end

-- knn.neighbors(x_train, x_query [, {k = 10, metric = "euclidean", block}]) ->
--   idx int64 [m, k] (1-based rows of x_train, nearest first), dist float64 [m, k]
function knn.neighbors(x_train, x_query, opts)
  local idx, dist = search("knn.neighbors", x_train, x_query, opts, 2)
  return idx + 1, dist
end

-- knn.classify(x_train, y_train, x_query [, opts]) -> int64 [m] predicted labels
function knn.classify(x_train, y_train, x_query, opts)
  local fname = "knn.classify"
  check_x(fname, "x_train", x_train, 2)
  check_labels(fname, "y_train", y_train, x_train:size(1), 2)
  local idx = search(fname, x_train, x_query, opts, 2)
  return m1d.core.knn_vote(idx, y_train)
end

-- knn.accuracy(x_train, y_train, x_test, y_test [, opts]) -> percent correct, predictions
function knn.accuracy(x_train, y_train, x_test, y_test, opts)
  local fname = "knn.accuracy"
  check_x(fname, "x_train", x_train, 2)
  check_x(fname, "x_test", x_test, 2)
  check_labels(fname, "y_train", y_train, x_train:size(1), 2)
  check_labels(fname, "y_test", y_test, x_test:size(1), 2)
  local idx = search(fname, x_train, x_test, opts, 2)
  local pred = m1d.core.knn_vote(idx, y_train)
  local m = x_test:size(1)
  local correct = m > 0 and pred:eq(y_test):sum():item() or 0
  return m > 0 and 100 * correct / m or 0 / 0, pred
end

-- the argument checks, shared with m1d.probe (internal: '_' names are not public)
knn._check_features, knn._check_labels, knn._shape_of = check_x, check_labels, shape_of

return knn
