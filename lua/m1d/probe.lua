-- m1d.probe — linear probes: how linearly decodable the labels are from a representation
-- (the pixel-space baseline of MNIST-1D, and the per-layer evaluation of a learned encoder).
--
--   local r = m1d.probe.logistic(x_train, y_train, x_test, y_test)    -- {C = 1} by default
--   print(r.train_acc, r.test_acc)                                    -- percent
--
-- probe.logistic standardises the features with the training set's mean and population
-- standard deviation (ddof = 0, scikit-learn's StandardScaler; a constant feature is
-- divided by 1), then fits a multinomial logistic regression by minimising
-- scikit-learn's LogisticRegression(C) objective
--     sum_i cross_entropy(W x_i + b, y_i) + ||W||^2 / (2 C)        (no penalty on b)
-- with m1d.optim.LBFGS and the strong-Wolfe line search, from W = 0, b = 0.  LBFGS works
-- on the objective divided by n (same minimiser; its tolerances then do not depend on n);
-- `loss` reports the sum form above, comparable with scikit-learn's.  Computed in float64
-- whatever the input dtype.
local m1d = require "m1d"
local util = require "m1d.util"
local knn = require "m1d.knn"

local probe = {}

local OPTIONS = {"C", "max_iter", "tol", "standardize", "classes"}

-- mean and population sd of every column; sd 0 becomes 1 (as StandardScaler)
local function scaler(x)
  local mean = x:mean(1)
  local sd = (x - mean):pow(2):mean(1):sqrt()
  sd = m1d.where(sd:eq(0), m1d.ones(sd:size(), "float64"), sd)
  return mean, sd
end

local function check_opts(fname, opts, level)
  opts = util.check_options(fname, opts, OPTIONS, level + 1)
  local C = opts.C == nil and 1 or opts.C
  if type(C) ~= "number" or not (C > 0) or C == math.huge then
    error(("%s: C (the inverse regularisation strength) must be a finite number > 0, got %s")
          :format(fname, tostring(C)), level + 1)
  end
  local max_iter = opts.max_iter == nil and 1000 or math.tointeger(opts.max_iter)
  if not max_iter or max_iter < 1 then
    error(("%s: max_iter must be an integer >= 1, got %s"):format(fname, tostring(opts.max_iter)), level + 1)
  end
  local tol = opts.tol == nil and 1e-6 or opts.tol
  if type(tol) ~= "number" or not (tol >= 0) then
    error(("%s: tol must be a number >= 0, got %s"):format(fname, tostring(tol)), level + 1)
  end
  local standardize = opts.standardize
  if standardize == nil then standardize = true end
  if type(standardize) ~= "boolean" then
    error(("%s: standardize must be true or false, got %s"):format(fname, tostring(standardize)), level + 1)
  end
  if opts.classes ~= nil and (math.type(opts.classes) ~= "integer" or opts.classes < 1) then
    error(("%s: classes must be an integer >= 1, got %s"):format(fname, tostring(opts.classes)), level + 1)
  end
  return {C = C, max_iter = max_iter, tol = tol, standardize = standardize, classes = opts.classes}
end

local function accuracy(pred, y)
  local n = y:size(1)
  return n > 0 and 100 * pred:eq(y):sum():item() / n or 0 / 0
end

-- probe.logistic(x_train, y_train, x_test, y_test [, {C = 1, max_iter = 1000, tol = 1e-6,
--   standardize = true, classes}]) -> {train_acc, test_acc, weight, bias, mean, sd, loss, ...}
function probe.logistic(x_train, y_train, x_test, y_test, opts)
  local fname = "probe.logistic"
  knn._check_features(fname, "x_train", x_train, 2)
  knn._check_features(fname, "x_test", x_test, 2)
  local n, d = x_train:size(1), x_train:size(2)
  if n == 0 then error(fname .. ": x_train has no rows", 2) end
  if x_test:size(2) ~= d then
    error(("%s: x_test %s must have the %d features of x_train %s")
          :format(fname, knn._shape_of(x_test), d, knn._shape_of(x_train)), 2)
  end
  knn._check_labels(fname, "y_train", y_train, n, 2)
  knn._check_labels(fname, "y_test", y_test, x_test:size(1), 2)
  local o = check_opts(fname, opts, 2)
  local top = y_train:max():item()
  if x_test:size(1) > 0 then top = math.max(top, y_test:max():item()) end
  local classes = o.classes or top + 1
  if top >= classes then
    error(("%s: a label is %d but classes = %d"):format(fname, top, classes), 2)
  end

  local xtr, xte = x_train:double(), x_test:double()
  y_train = y_train:contiguous()
  local mean, sd = m1d.zeros(d, "float64"), m1d.ones(d, "float64")
  if o.standardize then mean, sd = scaler(xtr) end
  xtr, xte = (xtr - mean) / sd, (xte - mean) / sd

  local W = m1d.zeros(d, classes, "float64")     -- LBFGS reads .grad, which the closure sets
  local b = m1d.zeros(classes, "float64")
  local opt = m1d.optim.LBFGS({W, b}, {line_search_fn = "strong_wolfe", max_iter = o.max_iter,
                                       tolerance_grad = o.tol, tolerance_change = 0,
                                       history_size = 10})
  -- the sklearn objective / n and its gradient, fused in C (src/probe.c): one exp pass
  -- over the logits, where cross_entropy's forward and backward take one each
  local l2, scale = 1 / (2 * o.C * n), 1 / n
  local function objective()
    return m1d.core.logistic_objective(xtr, W, b, y_train, l2, scale)
  end
  opt:step(function()
    local loss, gw, gb = objective()
    W.grad, b.grad = gw, gb
    return loss
  end)

  -- the objective and its gradient where LBFGS stopped: converged means |gradient|max <= tol
  local final, gw, gb = objective()
  local grad_max = math.max(gw:abs():max():item(), gb:abs():max():item())
  return m1d.no_grad(function()
    local w, bias = W:detach(), b:detach()
    local pred_train = m1d.nn.predict(xtr:matmul(w) + bias)
    local pred_test = x_test:size(1) > 0 and m1d.nn.predict(xte:matmul(w) + bias) or m1d.zeros(0, "int64")
    return {
      train_acc = accuracy(pred_train, y_train), test_acc = accuracy(pred_test, y_test),
      weight = w:t():contiguous(), bias = bias, mean = mean, sd = sd,
      loss = final * n, pred_test = pred_test, grad_max = grad_max,
      iterations = opt.state.n_iter, evaluations = opt.state.func_evals, converged = grad_max <= o.tol,
    }
  end)
end

return probe
