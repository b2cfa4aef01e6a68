-- probe_test.lua — m1d.probe.logistic against scikit-learn's LogisticRegression(C = 1) on
-- the standardised frozen MNIST-1D (fixtures from tools/make_probe_fixtures.py), after its
-- fused objective against autograd: the
-- scaler's mean and sd, the objective at the fitted weights (sklearn's tol 1e-10 optimum,
-- which m1d must reach or beat), the weights, the 32.8 % baseline; float32 input; the
-- options; bad input.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local probe = m1d.probe
local DIR = "tests/fixtures/probe/"
local values = m1d.util.read_json(DIR .. "values.json")
local function fixture(name) return m1d.load_npy(DIR .. name .. ".npy") end

-- the fused objective (src/probe.c) against the same objective through autograd
do
  m1d.manual_seed(7)
  local x, y = m1d.randn({50, 6}, "float64") * 3, m1d.randint(0, 4, {50})
  local W, b = m1d.randn({6, 4}, "float64"):requires_grad(), m1d.randn({4}, "float64"):requires_grad()
  local l2, scale = 0.03, 1 / 50
  local loss, gw, gb = m1d.core.logistic_objective(x, W:detach(), b:detach(), y, l2, scale)
  local ref = m1d.cross_entropy(x:matmul(W) + b, y) * (50 * scale) + (W * W):sum() * l2
  local rw, rb = table.unpack(m1d.grad(ref, {W, b}))
  T.close(loss, ref:item(), 1e-12, "fused logistic objective = cross_entropy + l2 |W|^2 through autograd")
  T.ok((gw - rw):abs():max():item() < 1e-12 and (gb - rb):abs():max():item() < 1e-12,
       "and its gradients in W and b")
  T.raises(function() m1d.core.logistic_objective(x, W:detach(), b:detach(), y + 4, l2, scale) end,
           "a label outside 0..C-1 is an error", "logistic_objective: label", "is outside 0..3")
  T.raises(function() m1d.core.logistic_objective(x:float(), W:detach(), b:detach(), y, l2, scale) end,
           "float32 is refused (the probe converts)", "contiguous float64")
end

local d64 = m1d.mnist1d.frozen{dtype = "float64"}
local r = probe.logistic(d64.x, d64.y, d64.x_test, d64.y_test)
local sk_opt = values.logreg_opt_objective

T.ok((r.mean - fixture("scaler_mean")):abs():max():item() < 1e-12 and
     (r.sd - fixture("scaler_scale")):abs():max():item() < 1e-12,
     "standardised with the training mean and population sd (StandardScaler)")
-- the objective as probe.logistic defines it, at sklearn's coefficients, is sklearn's value
do
  local xs = (d64.x - r.mean) / r.sd
  local coef, icpt = fixture("logreg_coef"), fixture("logreg_intercept")
  local logits = xs:matmul(coef:t()) + icpt
  local obj = m1d.cross_entropy(logits, d64.y):item() * 4000 + 0.5 * (coef * coef):sum():item()
  T.close(obj, sk_opt, 1e-9 * sk_opt, ("sum of cross-entropies + |W|^2/2 at sklearn's weights = its objective %.6f"):format(sk_opt))
end
T.ok(math.abs(r.loss - sk_opt) < 1e-6 * sk_opt,
     ("objective %.6f within 1e-6 (relative) of sklearn's optimum %.6f"):format(r.loss, sk_opt))
T.ok(r.loss <= sk_opt * (1 + 1e-9), ("and not above it (m1d - sklearn = %.2e)"):format(r.loss - sk_opt))
T.ok(r.converged and r.grad_max <= 1e-6, ("converged: |gradient of objective/n|max = %.1e <= tol 1e-6 after %d iterations")
     :format(r.grad_max, r.iterations))
local wdiff = (r.weight - fixture("logreg_coef")):abs():max():item()
T.ok(wdiff < 1e-2, ("weights [10, 40] as sklearn's coef_ (max diff %.1e; sklearn stops at a relative change of 1e-14)"):format(wdiff))
T.ok(r.bias:numel() == 10 and r.weight:size(1) == 10 and r.weight:size(2) == 40, "weight [classes, features], bias [classes]")
T.close(r.test_acc, 32.8, 0.3, ("test accuracy %.1f %% (the notebook's 32.8 %%, sklearn tol 1e-2: %.1f %%)")
        :format(r.test_acc, 100 * values["logreg_tol1e-2_test_acc"]))
T.close(r.test_acc, 100 * values.logreg_opt_test_acc, 1e-9, "test accuracy equals sklearn's at its optimum")
T.close(r.train_acc, 100 * values.logreg_opt_train_acc, 0.1, ("train accuracy %.2f %% (sklearn %.3f %%)")
        :format(r.train_acc, 100 * values.logreg_opt_train_acc))
T.is(r.pred_test:numel(), 1000, "pred_test: the test predictions")
T.close(m1d.nn.accuracy(((d64.x_test - r.mean) / r.sd):matmul(r.weight:t()) + r.bias, d64.y_test), r.test_acc, 1e-9,
     "the returned weight, bias, mean and sd reproduce test_acc")

-- float32 input: the same fit (computed in float64)
local d32 = m1d.mnist1d.frozen()
local r32 = probe.logistic(d32.x, d32.y, d32.x_test, d32.y_test)
T.ok(math.abs(r32.loss - sk_opt) < 1e-6 * sk_opt and r32.weight:dtype() == "float64",
     ("float32 features: objective %.6f, float64 weights"):format(r32.loss))
T.close(r32.test_acc, 32.8, 0.3, "float32 features: test accuracy " .. r32.test_acc)

-- options: a smaller C shrinks the weights; without standardisation mean 0 and sd 1
local small = probe.logistic(d64.x, d64.y, d64.x_test, d64.y_test, {C = 1e-3})
T.ok((small.weight * small.weight):sum():item() < (r.weight * r.weight):sum():item(), "C = 1e-3 shrinks |W|")
local raw = probe.logistic(d64.x, d64.y, d64.x_test, d64.y_test, {standardize = false, max_iter = 30})
T.ok(raw.mean:abs():sum():item() == 0 and raw.sd:min():item() == 1 and raw.sd:max():item() == 1,
     "standardize = false: mean 0, sd 1")
T.ok(raw.iterations <= 30 and not raw.converged, "max_iter = 30 bounds the iterations; converged = false then")
local tiny = probe.logistic(m1d.tensor({{0, 1}, {1, 1}, {2, 1}, {3, 1}}, "float64"), m1d.tensor({0, 0, 1, 1}, "int64"),
                            m1d.tensor({{0.5, 1}, {2.5, 1}}, "float64"), m1d.tensor({0, 1}, "int64"), {classes = 3})
T.ok(tiny.weight:size(1) == 3 and tiny.test_acc == 100 and tiny.sd:getflat(2) == 1,
     "classes = 3 with labels 0..1; a constant feature is divided by 1; separable data fits")

-- bad input
local x, y, xt, yt = d64.x, d64.y, d64.x_test, d64.y_test
local bad = {
  {"unknown option", function() probe.logistic(x, y, xt, yt, {penalty = "l1"}) end, "probe.logistic: unknown option 'penalty'"},
  {"C <= 0", function() probe.logistic(x, y, xt, yt, {C = 0}) end, "C (the inverse regularisation strength) must be a finite number > 0"},
  {"max_iter 0", function() probe.logistic(x, y, xt, yt, {max_iter = 0}) end, "max_iter must be an integer >= 1"},
  {"float labels", function() probe.logistic(x, y:double(), xt, yt) end, "probe.logistic: y_train must be an int64 tensor"},
  {"mismatched labels", function() probe.logistic(x, y, xt, y) end, "y_test must be [1000]"},
  {"mismatched features", function() probe.logistic(x, y, xt:narrow(2, 1, 39), yt) end,
   "x_test [1000, 39] must have the 40 features of x_train [4000, 40]"},
  {"classes too few", function() probe.logistic(x, y, xt, yt, {classes = 5}) end, "a label is 9 but classes = 5"},
  {"standardize not boolean", function() probe.logistic(x, y, xt, yt, {standardize = 1}) end, "standardize must be true or false"},
  {"no rows", function() probe.logistic(m1d.zeros(0, 2), m1d.zeros(0):long(), m1d.zeros(1, 2), m1d.zeros(1):long()) end,
   "x_train has no rows"},
}
for _, c in ipairs(bad) do T.raises(c[2], "bad input: " .. c[1], table.unpack(c, 3)) end

-- make bench's section: bench.lua --quick --only baselines reports both baselines
do
  local tmp = os.tmpname()
  local ok = os.execute(("%s experiments/bench.lua --quick --only baselines --out %s > %s.log 2>&1"):format(
    os.getenv("M1D_BIN") or "./m1d", tmp, tmp))
  local log = io.open(tmp .. ".log"):read("a")
  local okr, res = pcall(m1d.util.read_json, tmp)
  os.remove(tmp); os.remove(tmp .. ".log")
  local b = okr and res.baselines or {}
  T.ok(ok and okr and b.knn_ms and b.knn_ms > 0 and b.logistic_ms > 0,
       "bench.lua --only baselines times knn.accuracy and probe.logistic", log:sub(-1500))
  T.ok(b.knn_test_acc == 59.6 and math.abs((b.logistic_test_acc or 0) - 32.8) < 1e-9 and b.knn_cosine_test_acc == 48.5,
       "and records their accuracies (59.6, 48.5 cosine, 32.8)", log:sub(-600))
end
T.done()
