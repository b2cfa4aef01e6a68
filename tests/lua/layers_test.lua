-- layers_test.lua — nn.Dropout, nn.BatchNorm1d, nn.LayerNorm, nn.Embedding, nn.Softmax and
-- nn.LogSoftmax: the train/eval switch, float64 first- and second-order gradient checks
-- against central differences, values and derivatives against PyTorch 1.13 (the fixtures
-- in tests/fixtures/layers/, made by tools/make_layer_fixtures.py; tolerance
-- max|a - b| <= 1e-9 (1 + max|b|)), buffers through save/load, printing and bad input.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn = require "m1d.nn"

local F = "float64"
local TOL = 1e-9
local DIR = "tests/fixtures/layers/"
m1d.manual_seed(11)

local fixtures = dofile("tests/lua/fixtures.lua")(T, DIR)   -- every fixture must be compared
local load = fixtures.load
local function shape_str(t) return "[" .. table.concat(t:size(), ",") .. "]" end

local compare = fixtures.compare

-- A fixture case (the layout tools/make_layer_fixtures.py writes): fn(inputs...) against
-- out, grad_<input> for upstream gout, and the second order ggrad_<input>, ggrad_gout of
-- s = sum_i sum(grad_i * v_i).  Returns the inputs for further checks.
local torch_case = fixtures.torch_case

-- ---------------------------------------------------------------- train / eval

do
  local inner = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
  local custom = nn.Module{body = inner, _order = {"body"}, extra = nn.BatchNorm1d(3),
                           forward = function(self, x) return self.extra(self.body(x)) end}
  T.is(custom.training, true, "a new module is in train mode")
  T.is(custom:eval(), custom, "eval returns the module")
  T.ok(not custom.training and not inner.training and not inner[2].training and not custom.extra.training,
       "eval reaches containers and children outside _order")
  custom:train()
  T.ok(custom.training and inner[2].training and custom.extra.training, "train() switches back")
  custom:train(false)
  T.is(inner[1].training, false, "train(false) is eval")
  T.raises(function() custom:train("yes") end, "train with a non-boolean", "Module:train", "boolean")
end

-- train.evaluate runs in eval mode, restores the previous mode, also after an error
do
  local train = require "m1d.train"
  local seen
  local model = nn.Module{d = nn.Dropout(0.5), forward = function(self, x)
    seen = {self.training, self.d.training}
    if x:size(2) ~= 2 then error("wrong width") end
    return x
  end}
  local x, y = m1d.zeros(4, 2), m1d.tensor({0, 1, 0, 1}, "int64")
  train.evaluate(model, x, y)
  T.ok(seen[1] == false and seen[2] == false, "train.evaluate runs the model and its children in eval mode")
  T.is(model.training, true, "train.evaluate restores train mode")
  model:eval()
  train.evaluate(model, x, y)
  T.is(model.training, false, "train.evaluate keeps eval mode when the model was in eval")
  model:train()
  T.raises(function() train.evaluate(model, m1d.zeros(4, 3), y) end, "an error inside evaluate passes", "wrong width")
  T.ok(model.training and model.d.training, "train mode restored after an error")
  -- fit trains in train mode
  local modes = {}
  local net = nn.Sequential(nn.Linear(40, 10), nn.Dropout(0.1))
  net:eval()
  local data = {x = m1d.randn(20, 40), y = m1d.randint(0, 10, {20}),
                x_test = m1d.randn(10, 40), y_test = m1d.randint(0, 10, {10})}
  train.fit{model = net, data = data, steps = 2, batch = 10, eval_every = 1, progress = false,
            on_step = function(_, m) modes[#modes + 1] = m[2].training end}
  T.ok(modes[1] and modes[2] and modes[3] and net.training, "train.fit trains in train mode, between evaluations too")
end

-- ---------------------------------------------------------------- Dropout

do
  local case = "dropout"
  local x = load(case, "x")
  local p = 0.3
  local drop = nn.Dropout(p)
  local y = drop(x)
  local zeros = y:eq(0):sum():item() / x:numel()
  local sd = math.sqrt(p * (1 - p) / x:numel())
  local torch_zeros = load(case, "zero_fraction"):item()
  T.ok(math.abs(zeros - p) < 4 * sd and math.abs(torch_zeros - p) < 4 * sd
       and math.abs(zeros - torch_zeros) < 6 * sd, "dropout zeroes a fraction p, as torch",
       ("m1d %.4f, torch %.4f, p %g, sd %.4f"):format(zeros, torch_zeros, p, sd))
  local kept = y:ne(0)
  local ratio = ((y / x) * kept + (kept * -1 + 1) * load(case, "kept_scale"):item())
  T.close((ratio - load(case, "kept_scale"):item()):abs():max():item(), 0, 1e-15,
          "kept elements are x / (1 - p), torch's scale")
  T.close(load(case, "kept_scale"):item(), 1 / (1 - p), 1e-15, "torch's scale is 1 / (1 - p)")
  drop:eval()
  T.is(drop(x), x, "eval mode is the identity (the same tensor)")
  drop:train()
  m1d.manual_seed(5); local a = drop(x)
  m1d.manual_seed(5); local b = drop(x)
  T.is((a - b):abs():max():item(), 0.0, "masks are reproducible with m1d.manual_seed")
  T.ok((a - drop(x)):abs():max():item() > 0, "a fresh mask every call")
  T.is(nn.Dropout(0)(x), x, "p = 0 is the identity")
  T.is(nn.Dropout(1)(x):abs():sum():item(), 0.0, "p = 1 zeroes everything")
  T.is(nn.Dropout().forward ~= nil and tostring(nn.Dropout()), "Dropout(p 0.5)", "p defaults to 0.5")
  T.grad_orders("Dropout p 0.4 (fixed seed)", function(t)
    m1d.manual_seed(3)
    return nn.Dropout(0.4)(t)
  end, {m1d.randn({4, 5}, F)})
  -- the mask itself: values, rate over many elements, dtype, errors
  local m = m1d.dropout_mask(0.2, {200, 500}, F)
  local kept = m:ne(0):sum():item() / m:numel()
  T.ok(math.abs(kept - 0.8) < 4 * math.sqrt(0.16 / m:numel()), "dropout_mask keeps a fraction 1 - p", kept)
  T.is(m:max():item(), 1 / 0.8, "dropout_mask's kept value is 1 / (1 - p)")
  T.ok(m:eq(0):sum():item() + m:eq(1 / 0.8):sum():item() == m:numel(), "dropout_mask has only 0 and 1/(1-p)")
  local rows = m:ne(0):mean(2)
  T.ok(rows:max():item() - rows:min():item() < 0.2, "no row of the mask is far from the rate")
  T.is(m1d.dropout_mask(0.5, 3):dtype(), "float32", "dropout_mask is float32 by default")
  T.raises(function() m1d.dropout_mask(1, 3) end, "dropout_mask p = 1", "dropout_mask: p must be in [0, 1)")
  T.raises(function() m1d.dropout_mask(0.5, 3, "int64") end, "dropout_mask int64", "dropout_mask: dtype")
  T.raises(function() nn.Dropout(1.5) end, "p > 1", "Dropout: p must be a number in [0, 1]", "1.5")
  T.raises(function() nn.Dropout("a") end, "p a string", "Dropout: p")
end

-- m1d.checkpoint replays the generator: a checkpointed Dropout gets the same mask when its
-- segment is recomputed (the gradient is the plain one), and the caller's stream is left
-- as if the segment had run once
do
  local net = nn.Sequential(nn.Linear(5, 8), nn.Dropout(0.5), nn.Linear(8, 2)):double()
  local x = m1d.randn({6, 5}, F):requires_grad()
  m1d.manual_seed(9)
  local plain = m1d.grad(net(x):pow(2):sum(), {x})[1]
  local ref = m1d.rand(2, F)
  m1d.manual_seed(9)
  local y = m1d.checkpoint(function(a) return net(a) end, x)
  local first = m1d.rand(1, F):item()
  local ck = m1d.grad(y:pow(2):sum(), {x}, {create_graph = true})[1]
  local second = m1d.rand(1, F):item()
  T.is((plain - ck):abs():max():item(), 0.0, "checkpointed Dropout: the recomputation draws the same mask")
  T.ok(first == ref:getflat(1) and second == ref:getflat(2), "checkpoint leaves the caller's random stream as one run")
end

-- ---------------------------------------------------------------- BatchNorm1d

local function bn_train_case(case, C, momentum)
  local bn = nn.BatchNorm1d(C, {momentum = momentum}):double()
  bn.running_mean:copy_(load(case, "running_mean0"))
  bn.running_var:copy_(load(case, "running_var0"))
  torch_case(case, {"x", "weight", "bias"}, function(x, w, b) return bn:apply({w, b}, x) end)
  compare(bn.running_mean, load(case, "running_mean"), case .. ": running_mean after the step")
  compare(bn.running_var, load(case, "running_var"), case .. ": running_var after the step (unbiased)")
  T.is(bn.num_batches_tracked:item(), 1, case .. ": num_batches_tracked counts the step")
end
bn_train_case("batchnorm_train_2d", 4, 0.1)
bn_train_case("batchnorm_train_3d", 3, 0.3)
do
  local case = "batchnorm_eval_3d"
  local bn = nn.BatchNorm1d(3):double()
  bn.running_mean:copy_(load(case, "running_mean"))
  bn.running_var:copy_(load(case, "running_var"))
  bn:eval()
  torch_case(case, {"x", "weight", "bias"}, function(x, w, b) return bn:apply({w, b}, x) end)
  compare(bn.running_mean, load(case, "running_mean"), case .. ": eval leaves running_mean")
  compare(bn.running_var, load(case, "running_var"), case .. ": eval leaves running_var")
  T.is(bn.num_batches_tracked:item(), 0, case .. ": eval counts no batch")
end

-- momentum = false (PyTorch's None): the running statistics are the cumulative average of
-- every batch's, the factor 1/num_batches_tracked; then eval mode normalises with them
do
  local case = "batchnorm_cumulative"
  local bn = nn.BatchNorm1d(3, {momentum = false}):double()
  local ref = nn.BatchNorm1d(3):double()
  for k = 1, 3 do
    local xk = load(case, "x" .. k)
    bn(xk); ref(xk)
    compare(bn.running_mean, load(case, "running_mean" .. k), ("%s: running_mean after batch %d"):format(case, k))
    compare(bn.running_var, load(case, "running_var" .. k), ("%s: running_var after batch %d"):format(case, k))
  end
  bn:eval(); ref:eval()
  torch_case(case, {"x", "weight", "bias"}, function(x, w, b) return bn:apply({w, b}, x) end)
  T.is(bn.num_batches_tracked:item(), load(case, "num_batches_tracked"):item(), case .. ": num_batches_tracked as torch's (3)")
  T.is(ref.num_batches_tracked:item(), load(case, "num_batches_tracked_momentum"):item(),
       case .. ": with momentum 0.1 the batches are counted too")
  T.ok(bn.num_batches_tracked:dtype() == "int64" and bn.num_batches_tracked:dim() == 0,
       "num_batches_tracked is a 0-dim int64 tensor, as torch's")
  T.grad_orders("BatchNorm1d momentum false, eval", function(x, w) return bn:apply({w, bn.bias}, x) end,
                {m1d.randn({4, 3, 2}, F), m1d.randn({3}, F)})
  T.is(tostring(nn.BatchNorm1d(2, {momentum = false, affine = false})),
       "BatchNorm1d(2, eps 1e-05, momentum false (cumulative), affine false)  buffers num_batches_tracked [] int64, " ..
       "running_mean [2], running_var [2]", "momentum false prints as the cumulative average")
  T.raises(function() nn.BatchNorm1d(3, {momentum = true}) end, "momentum true",
           "BatchNorm1d: momentum must be a number in [0, 1] or false (the cumulative average, PyTorch's None), got true")
  T.raises(function() nn.BatchNorm1d(3, {momentum = "none"}) end, "momentum a string", "BatchNorm1d: momentum must be")
  T.is(nn.BatchNorm1d(3, {track_running_stats = false}).num_batches_tracked, nil,
       "track_running_stats = false: no num_batches_tracked either")
  -- train mode on a float32 model keeps the count int64 and float() leaves it
  local b = nn.BatchNorm1d(2, {momentum = false})
  b(m1d.randn(4, 2)); b:double(); b(m1d.randn({4, 2}, F))
  T.ok(b.num_batches_tracked:dtype() == "int64" and b.num_batches_tracked:item() == 2, "double() keeps the count int64")
end

do
  local bn = nn.BatchNorm1d(5)
  local _, names = bn:named_parameters()
  T.is(table.concat(names, " "), "weight bias", "BatchNorm1d parameters: weight, bias (no buffers)")
  T.ok(bn.weight:eq(1):sum():item() == 5 and bn.bias:eq(0):sum():item() == 5, "weight ones, bias zeros")
  T.ok(bn.running_mean:eq(0):sum():item() == 5 and bn.running_var:eq(1):sum():item() == 5,
       "running statistics start at 0 and 1")
  local _, bnames = nn.Sequential(nn.Linear(2, 5), bn):named_buffers()
  T.is(table.concat(bnames, " "), "2.num_batches_tracked 2.running_mean 2.running_var", "named_buffers: dotted names")
  T.grad_orders("BatchNorm1d train [N,C,L]", function(x, w, b)
    return nn.BatchNorm1d(3):double():apply({w, b}, x)
  end, {m1d.randn({4, 3, 5}, F), m1d.randn({3}, F), m1d.randn({3}, F)})
  T.grad_orders("BatchNorm1d train [N,C]", function(x) return nn.BatchNorm1d(3):double()(x) end,
                {m1d.randn({6, 3}, F)})
  local ev = nn.BatchNorm1d(3):double():eval()
  T.grad_orders("BatchNorm1d eval", function(x, w) return ev:apply({w, ev.bias}, x) end,
                {m1d.randn({4, 3, 2}, F), m1d.randn({3}, F)})
  -- without affine or running statistics
  local plain = nn.BatchNorm1d(3, {affine = false, track_running_stats = false})
  T.is(#plain:parameters(), 0, "affine = false: no parameters")
  T.is(plain.running_mean, nil, "track_running_stats = false: no buffers")
  plain:eval()
  local y = plain(m1d.randn(50, 3) * 3 + 2)
  T.close(y:mean(1):abs():max():item(), 0, 1e-5, "without running statistics eval uses the batch's")
  -- a float32 model, a float64 input: the running statistics keep their dtype
  local b32 = nn.BatchNorm1d(2)
  b32(m1d.randn({4, 2}, F))
  T.is(b32.running_mean:dtype(), "float32", "running statistics keep their dtype")
  -- bad input
  T.raises(function() nn.BatchNorm1d(3)(m1d.randn(4, 4)) end, "wrong channel count",
           "BatchNorm1d: input must be [N, 3] or [N, 3, L], got [4,4]")
  T.raises(function() nn.BatchNorm1d(3)(m1d.randn(3)) end, "1-D input", "BatchNorm1d: input must be")
  T.raises(function() nn.BatchNorm1d(3)(m1d.randn(1, 3)) end, "one value per channel in training",
           "more than 1 value per channel")
  T.lives(function() nn.BatchNorm1d(3):eval()(m1d.randn(1, 3)) end, "one sample is fine in eval")
  T.raises(function() nn.BatchNorm1d(3, {momentun = 0.1}) end, "unknown option",
           "BatchNorm1d: unknown option 'momentun'", "did you mean 'momentum'")
  T.raises(function() nn.BatchNorm1d(3, {eps = 0}) end, "eps 0", "BatchNorm1d: eps must be")
  T.raises(function() nn.BatchNorm1d(3, {momentum = 2}) end, "momentum 2", "BatchNorm1d: momentum must be")
  T.raises(function() nn.BatchNorm1d(3, {affine = 1}) end, "affine not boolean", "BatchNorm1d: affine must be a boolean")
  T.raises(function() nn.BatchNorm1d(0) end, "0 features", "BatchNorm1d: num_features must be an integer >= 1")
end

-- buffers: saved and loaded with the model, cast by double()
do
  local function make() return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2)) end
  local a = make()
  for _ = 1, 3 do a(m1d.randn(8, 4) * 2 + 1) end
  local path = os.tmpname()
  a:save(path)
  local map, names = m1d.load(path)
  T.ok(map["2.running_mean"] and map["2.running_var"] and map["2.num_batches_tracked"], "save writes the buffers",
       table.concat(names, " "))
  local b = make()
  b:load(path)
  T.ok(b[2].running_mean:eq(a[2].running_mean):sum():item() == 3
       and b[2].running_var:eq(a[2].running_var):sum():item() == 3, "load restores the buffers")
  T.ok(b[2].num_batches_tracked:item() == 3 and b[2].num_batches_tracked:dtype() == "int64",
       "load restores num_batches_tracked (int64)")
  -- a file from before num_batches_tracked existed loads, the count at 0 (as torch's old state dicts)
  local old = {}
  for k, t in pairs(map) do if k ~= "2.num_batches_tracked" then old[k] = t end end
  m1d.save(path, old)
  local c = make()
  c[2].num_batches_tracked:fill_(5)
  T.lives(function() c:load(path) end, "a model file without num_batches_tracked loads")
  T.ok(c[2].num_batches_tracked:item() == 0 and c[2].running_mean:eq(a[2].running_mean):sum():item() == 3,
       "... with the count 0 and the running statistics of the file")
  a:eval(); b:eval()
  local x = m1d.randn(5, 4)
  T.is((a(x) - b(x)):abs():max():item(), 0.0, "the loaded model computes the same in eval mode")
  m1d.save(path, {["1.weight"] = a[1].weight, ["1.bias"] = a[1].bias, ["2.weight"] = a[2].weight,
                  ["2.bias"] = a[2].bias, ["4.weight"] = a[4].weight, ["4.bias"] = a[4].bias})
  T.raises(function() make():load(path) end, "a file without the buffers", "has no buffer '2.running_mean'")
  os.remove(path)
  b:double()
  T.is(b[2].running_var:dtype(), "float64", "double() casts the buffers")
  T.is(b(x:double()):dtype(), "float64", "a float64 model with batch norm runs")
  T.is(#b:parameters(), 6, "buffers are not parameters")
end

-- register_buffer's default: a file without that buffer loads with the default; a file
-- without a buffer that has none is refused; bad options raise
do
  local function make()
    local m = nn.Module{lin = nn.Linear(2, 2), forward = function(self, x) return self.lin(x) + self.shift end}
    m:register_buffer("shift", m1d.zeros(2))
    m:register_buffer("steps", m1d.zeros({}, "int64"), {default = 7})
    return m
  end
  local a = make()
  a.shift:fill_(3); a.steps:fill_(4)
  local path = os.tmpname()
  a:save(path)
  local b = make()
  b:load(path)
  T.ok(b.steps:item() == 4 and b.shift:eq(3):sum():item() == 2, "buffers with and without a default load from the file")
  local map = m1d.load(path)
  m1d.save(path, {["lin.weight"] = map["lin.weight"], ["lin.bias"] = map["lin.bias"], shift = map.shift})
  b:load(path)
  T.is(b.steps:item(), 7, "a missing buffer with a default gets the default")
  m1d.save(path, {["lin.weight"] = map["lin.weight"], ["lin.bias"] = map["lin.bias"], steps = map.steps})
  T.raises(function() make():load(path) end, "a missing buffer without a default", "has no buffer 'shift'")
  os.remove(path)
  local m = nn.Module{forward = function(_, x) return x end}
  T.raises(function() m:register_buffer("c", m1d.zeros(1), {default = "0"}) end, "a default that is not a number",
           "register_buffer: default must be a number, got string")
  T.raises(function() m:register_buffer("c", m1d.zeros(1), {defualt = 0}) end, "unknown register_buffer option",
           "register_buffer: unknown option 'defualt'")
end

-- ---------------------------------------------------------------- LayerNorm

do
  local ln = nn.LayerNorm({3, 5}):double()
  torch_case("layernorm_2dims", {"x", "weight", "bias"}, function(x, w, b) return ln:apply({w, b}, x) end)
  local ln1 = nn.LayerNorm(6):double()
  torch_case("layernorm_last", {"x", "weight", "bias"}, function(x, w, b) return ln1:apply({w, b}, x) end)
  T.is(tostring(nn.LayerNorm(6)), "LayerNorm([6], eps 1e-05)  weight [6], bias [6]  (12 parameters)",
       "LayerNorm prints its shape and parameters")
  T.grad_orders("LayerNorm", function(x, w, b) return ln:apply({w, b}, x) end,
                {m1d.randn({2, 3, 5}, F), m1d.randn({3, 5}, F), m1d.randn({3, 5}, F)})
  local plain = nn.LayerNorm(4, {elementwise_affine = false, eps = 1e-3})
  T.is(#plain:parameters(), 0, "elementwise_affine = false: no parameters")
  T.close(plain(m1d.randn(3, 4) * 5):mean(2):abs():max():item(), 0, 1e-5, "rows have mean 0")
  T.raises(function() nn.LayerNorm({3, 5})(m1d.randn(2, 5, 3)) end, "trailing dims differ",
           "LayerNorm: input must be [..., 3,5], got [2,5,3]")
  T.raises(function() nn.LayerNorm({}) end, "empty shape", "LayerNorm: normalized_shape must be")
  T.raises(function() nn.LayerNorm(4, {affine = true}) end, "unknown option", "LayerNorm: unknown option 'affine'")
end

-- ---------------------------------------------------------------- Embedding

do
  local case = "embedding"
  local emb = nn.Embedding(7, 4):double()
  local idx = load(case, "idx1")
  torch_case(case, {"weight"}, function(w) return emb:apply({w}, idx) end)
  T.is((load(case, "idx1") - load(case, "idx")):min():item(), 1, "the fixture's m1d indices are torch's + 1")
  T.grad_orders("Embedding", function(w) return emb:apply({w}, idx) end, {m1d.randn({7, 4}, F)})
  local e = nn.Embedding(10, 3)
  T.is(shape_str(e(m1d.tensor(3, "int64"):reshape({}))), "[3]", "a 0-dim index gives one row")
  T.is(shape_str(e{1, 2, 10}), "[3,3]", "a Lua array of indices")
  m1d.manual_seed(0)
  local w = nn.Embedding(200, 50).weight
  T.ok(math.abs(w:mean():item()) < 0.02 and math.abs(w:std():item() - 1) < 0.02, "weight ~ N(0, 1)")
  T.raises(function() e(m1d.tensor({0, 1}, "int64")) end, "index 0",
           "Embedding: index 0 out of range 1..10", "1-based")
  T.raises(function() e(m1d.tensor({11}, "int64")) end, "index n + 1", "Embedding: index 11 out of range 1..10")
  T.raises(function() e(m1d.tensor{1, 2}) end, "float indices", "Embedding: indices must be an int64 tensor")
  T.raises(function() nn.Embedding(10, 3, {sparse = true}) end, "unknown option", "Embedding: unknown option 'sparse'")
end

-- padding_idx: its row starts at zeros, is looked up as it is, and gets no gradient (the
-- fixtures give the row non-zero values, so the lookup is seen); 1-based, negative from the end
for _, case in ipairs{"embedding_padding", "embedding_padding_negative"} do
  local w0 = load(case, "weight")
  local pad = load(case, "padding_idx1"):item()
  local emb = nn.Embedding(w0:size(1), w0:size(2), {padding_idx = pad}):double()
  local idx = load(case, "idx1")
  T.ok(load(case, "idx"):eq(load(case, "padding_idx"):item() % w0:size(1)):sum():item() > 0,
       case .. ": the fixture looks the padding row up")
  T.is(load(case, "padding_idx"):item() < 0 and pad or pad - 1, load(case, "padding_idx"):item(),
       case .. ": m1d's padding_idx is torch's + 1 (negative: the same)")
  local row = pad > 0 and pad or w0:size(1) + 1 + pad
  T.is(emb.weight[row]:abs():sum():item(), 0.0, case .. ": the padding row starts at zeros")
  T.is(emb.padding_idx, row, case .. ": padding_idx is kept as the 1-based row")
  torch_case(case, {"weight"}, function(w) return emb:apply({w}, idx) end)
  -- central differences see the padding row's values in the output, which by design get no
  -- gradient: the check holds that row at a constant (w's own row then enters nowhere, so
  -- its derivative is 0 both ways) and differentiates through the other rows' lookups
  local keep = m1d.ones(w0:size(1), 1, F)
  keep[row]:zero_()
  local const = w0 * (keep * -1 + 1)
  T.grad_orders(case .. " (the other rows)", function(w) return emb:apply({w * keep + const}, idx) end,
                {m1d.randn(w0:size(), F)})
end
do
  local emb = nn.Embedding(5, 2, {padding_idx = 2})
  T.is(tostring(emb), "Embedding(5, 2, padding_idx 2)  weight [5,2]  (10 parameters)", "padding_idx printed")
  local g = m1d.grad(emb(m1d.tensor({2, 2, 3}, "int64")):sum(), {emb.weight})[1]
  T.ok(g[2]:abs():sum():item() == 0 and g[3]:sum():item() == 2, "no gradient reaches the padding row, others do")
  T.raises(function() nn.Embedding(5, 2, {padding_idx = 0}) end, "padding_idx 0",
           "Embedding: padding_idx must be an integer in 1..5 or -5..-1", "PyTorch's 0 is 1")
  T.raises(function() nn.Embedding(5, 2, {padding_idx = 6}) end, "padding_idx n + 1", "got 6")
  T.raises(function() nn.Embedding(5, 2, {padding_idx = -6}) end, "padding_idx -n - 1", "got -6")
  T.raises(function() nn.Embedding(5, 2, {padding_idx = 1.5}) end, "fractional padding_idx", "got 1.5")
end

-- scale_grad_by_freq (with padding_idx): each row's gradient divided by the times idx looks
-- it up; the value is the plain lookup.  First order against torch; the second order: the
-- weight's is 0 (the gradient is linear in gout) as torch's, and ds/dgout = v_weight[idx] /
-- count, the derivative of the scaled gradient, where torch 1.13 leaves the 1/count out
-- (its embedding_dense_double_backward), so ours is torch's times 1/count
do
  local case = "embedding_freq"
  local emb = nn.Embedding(6, 3, {padding_idx = 2, scale_grad_by_freq = true}):double()
  local idx = load(case, "idx1")
  T.is((idx - load(case, "idx")):min():item(), 1, case .. ": m1d's indices are torch's + 1")
  local w = load(case, "weight"):requires_grad()
  local out = emb:apply({w}, idx)
  compare(out, load(case, "out"), case .. ": out (the plain lookup)")
  T.is((out - load(case, "weight"):index_select(1, idx:reshape(-1)):reshape(3, 4, 3)):abs():max():item(), 0.0,
       case .. ": the value is exactly the lookup's")
  local gout = load(case, "gout"):requires_grad()
  local g = m1d.grad({out}, {w}, {grad_outputs = {gout}, create_graph = true})[1]
  compare(g, load(case, "grad_weight"), case .. ": grad_weight (scaled by 1/count)")
  local gg = m1d.grad((g * load(case, "v_weight")):sum(), {w, gout})
  compare(gg[1] or m1d.zeros({6, 3}, F), load(case, "ggrad_weight"), case .. ": ggrad_weight (0)")
  local count = m1d.zeros(6, F):index_add(1, idx:reshape(-1), m1d.ones(12, F))
  local inv = (count:index_select(1, idx:reshape(-1)) ^ -1):reshape(3, 4, 1)
  compare(gg[2], load(case, "ggrad_gout") * inv, case .. ": ggrad_gout = torch's / count (torch leaves the scale out)")
  local plain = nn.Embedding(6, 3):double()
  local gp = m1d.grad({plain:apply({w}, idx)}, {w}, {grad_outputs = {load(case, "gout")}})[1]
  -- the padding row excepted (2), the scaled gradient is the plain one over the count
  local keep = m1d.ones(6, 1, F); keep[2]:zero_()
  local want = gp * keep / count:reshape(6, 1):clamp(1, math.huge)
  T.close((g - want):abs():max():item(), 0, 1e-12, case .. ": the scaled gradient is the plain one / count")
  T.is(tostring(nn.Embedding(4, 2, {scale_grad_by_freq = true})),
       "Embedding(4, 2, scale_grad_by_freq)  weight [4,2]  (8 parameters)", "scale_grad_by_freq printed")
  T.raises(function() nn.Embedding(4, 2, {scale_grad_by_freq = 1}) end, "scale_grad_by_freq not boolean",
           "Embedding: scale_grad_by_freq must be a boolean")
  T.is(shape_str(nn.Embedding(4, 2, {scale_grad_by_freq = true})(m1d.zeros({0}, "int64"))), "[0,2]",
       "an empty index with scale_grad_by_freq")
end

-- max_norm / norm_type: the rows looked up whose norm exceeds max_norm are scaled to it in
-- place before the lookup (torch's embedding_renorm_); the gradient is the plain lookup's
for _, spec in ipairs{{"embedding_max_norm", 1.5, nil}, {"embedding_max_norm_l1", 2.0, 1}} do
  local case = spec[1]
  local w0 = load(case, "weight0")
  local emb = nn.Embedding(7, 3, {max_norm = spec[2], norm_type = spec[3]}):double()
  m1d.no_grad(function() emb.weight:copy_(w0) end)
  T.is((load(case, "idx1") - load(case, "idx")):min():item(), 1, case .. ": m1d's indices are torch's + 1")
  local out = emb(load(case, "idx1"))
  compare(out, load(case, "out"), case .. ": out")
  compare(emb.weight, load(case, "weight"), case .. ": the weight renormalised in place (rows not looked up kept)")
  local g = m1d.grad({out}, {emb.weight}, {grad_outputs = {load(case, "gout")}})[1]
  compare(g, load(case, "grad_weight"), case .. ": grad_weight")
  T.ok(emb.weight:is_requiring_grad() and emb.weight:is_leaf(), case .. ": the weight stays a leaf parameter")
end
do
  T.is(tostring(nn.Embedding(4, 2, {max_norm = 1, norm_type = 1})),
       "Embedding(4, 2, max_norm 1 (norm 1))  weight [4,2]  (8 parameters)", "max_norm printed")
  T.raises(function() nn.Embedding(4, 2, {max_norm = 0}) end, "max_norm 0", "Embedding: max_norm must be a number in (0")
  T.raises(function() nn.Embedding(4, 2, {max_norm = 1, norm_type = -1}) end, "norm_type -1",
           "Embedding: norm_type must be")
  T.raises(function() nn.Embedding(4, 2, {norm_type = 1}) end, "norm_type without max_norm",
           "Embedding: norm_type is the norm of max_norm")
end

-- ---------------------------------------------------------------- Softmax, LogSoftmax

do
  torch_case("softmax_dim1", {"x"}, function(x) return nn.Softmax(2)(x) end)
  torch_case("log_softmax_dim0", {"x"}, function(x) return nn.LogSoftmax(1)(x) end)
  T.grad_orders("Softmax(2)", function(x) return nn.Softmax(2)(x) end, {m1d.randn({3, 4, 2}, F)})
  T.grad_orders("LogSoftmax(-1)", function(x) return nn.LogSoftmax(-1)(x) end, {m1d.randn({3, 4}, F)})
  local x = m1d.randn(2, 3)
  T.is((nn.LogSoftmax()(x) - x:log_softmax(-1)):abs():max():item(), 0.0, "LogSoftmax() is over the last dim")
  T.is(tostring(nn.Softmax()), "Softmax(dim -1)", "Softmax prints its dim")
  T.raises(function() nn.Softmax(1.5) end, "fractional dim", "Softmax: dim must be a non-zero integer")
  T.raises(function() nn.LogSoftmax(0) end, "dim 0", "LogSoftmax: dim must be a non-zero integer")
end

-- ---------------------------------------------------------------- the fused ops

-- m1d.layer_norm and m1d.batch_norm (src/ops_norm.c) against the same composed of ops, in
-- both dtypes, on a non-contiguous input too; their gradients to second order (the second
-- through the rebuild of the composed form)
do
  local function ln_ref(x, k)
    local lead = {}
    for i = 1, x:dim() - k do lead[i] = x:size(i) end
    lead[#lead + 1] = -1
    local f = x:reshape(lead)
    local c = f - f:mean(-1, true)
    return (c / ((c * c):mean(-1, true) + 1e-5):sqrt()):reshape(x:size())
  end
  local function bn_ref(x)
    local function m(t) return x:dim() == 3 and t:mean(3, true):mean(1, true) or t:mean(1, true) end
    local c = x - m(x)
    return c / (m(c * c) + 1e-5):sqrt(), m(x):reshape(-1), m(c * c):reshape(-1)
  end
  for _, dt in ipairs{"float32", "float64"} do
    local tol = dt == "float32" and 1e-5 or 1e-12
    local x = m1d.randn({6, 4, 5}, dt) * 3 + 1
    local xt = x:transpose(2, 3)                       -- [6, 5, 4], not contiguous
    for _, case in ipairs{{x, 1}, {x, 2}, {xt, 1}, {x, 3}} do
      local got = m1d.layer_norm(case[1], case[2])
      T.is(got:dtype(), dt, ("layer_norm keeps %s"):format(dt))
      T.close((got - ln_ref(case[1], case[2])):abs():max():item(), 0, tol,
              ("layer_norm %s over %d dims of %s%s"):format(dt, case[2], shape_str(case[1]),
              case[1]:is_contiguous() and "" or " (transposed)"))
    end
    for _, t in ipairs{x, xt, x:select(3, 2)} do
      local y, mean, var = m1d.batch_norm(t)
      local ry, rm, rv = bn_ref(t)
      T.ok((y - ry):abs():max():item() <= tol and (mean - rm):abs():max():item() <= tol
           and (var - rv):abs():max():item() <= tol * 10,
           ("batch_norm %s on %s: output, batch mean and biased variance"):format(dt, shape_str(t)))
      T.ok(mean:dtype() == "float64" and not mean:is_requiring_grad(), "batch statistics: float64, no gradient")
    end
  end
  local x = m1d.randn({5, 3, 4}, F)
  T.grad_orders("m1d.layer_norm over 2 dims", function(t) return m1d.layer_norm(t, 2, 1e-3) end, {x})
  T.grad_orders("m1d.batch_norm [N,C,L]", function(t) return (m1d.batch_norm(t)) end, {x})
  T.grad_orders("m1d.batch_norm [N,C] (transposed input)", function(t) return (m1d.batch_norm(t:t())) end,
                {m1d.randn({3, 6}, F)})
  -- the first-order rule (fused) and the rebuilt one (create_graph) agree
  local xr = x:clone():requires_grad()
  local g = m1d.randn({5, 3, 4}, F)
  local plain = m1d.grad({(m1d.batch_norm(xr))}, {xr}, {grad_outputs = {g}})[1]
  local rebuilt = m1d.grad({(m1d.batch_norm(xr))}, {xr}, {grad_outputs = {g}, create_graph = true})[1]
  T.close((plain - rebuilt):abs():max():item(), 0, 1e-12, "fused and rebuilt first-order gradients agree")
  -- float32 gradient against float64
  local x32 = m1d.randn({4, 8}):requires_grad()
  local g32 = m1d.grad((m1d.layer_norm(x32, 1) * m1d.arange(8)):sum(), {x32})[1]
  local x64 = x32:detach():double():requires_grad()
  local g64 = m1d.grad((m1d.layer_norm(x64, 1) * m1d.arange(8, F)):sum(), {x64})[1]
  T.close((g32:double() - g64):abs():max():item(), 0, 1e-5, "float32 gradient matches float64")
  T.raises(function() m1d.batch_norm(m1d.randn(3)) end, "batch_norm of 1-D", "batch_norm: input must be [N, C] or [N, C, L], got [3]")
  T.raises(function() m1d.layer_norm(m1d.randn(3, 4), 3) end, "layer_norm ndims too big", "layer_norm: ndims must be in 1..2")
  T.raises(function() m1d.layer_norm(m1d.randn(3, 4), 1, 0) end, "layer_norm eps 0", "layer_norm: eps must be positive")
  T.raises(function() m1d.batch_norm(m1d.tensor({{1, 2}}, "int64")) end, "int64 input", "batch_norm")
  T.raises(function() m1d.layer_norm(m1d.zeros(3, 0), 1) end, "nothing to normalise", "layer_norm: input [3,0] has no elements")
end

-- ---------------------------------------------------------------- printing

do
  local m = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Dropout(0.2), nn.Embedding(5, 2))
  T.is(tostring(m), [[Sequential(
  (1): Linear(4 -> 3)  weight [3,4], bias [3]  (15 parameters)
  (2): BatchNorm1d(3, eps 1e-05, momentum 0.1)  weight [3], bias [3]; buffers num_batches_tracked [] int64, running_mean [3], running_var [3]  (6 parameters)
  (3): Dropout(p 0.2)
  (4): Embedding(5, 2)  weight [5,2]  (10 parameters)
)  (31 parameters)]], "the module tree shows the new layers and the buffers")
  T.is(tostring(nn.BatchNorm1d(3, {affine = false})),
       "BatchNorm1d(3, eps 1e-05, momentum 0.1, affine false)  buffers num_batches_tracked [] int64, running_mean [3], running_var [3]",
       "a BatchNorm1d without parameters shows its buffers")
end

-- every case directory and every .npy file in it was used above
fixtures.check_all_used()

T.done()
