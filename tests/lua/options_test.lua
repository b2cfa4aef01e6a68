-- options_test.lua — options tables are checked by one checker (util.check_options): a
-- misspelt key is an error naming the function, the key, the nearest known key and all of
-- them, instead of being silently ignored (train.fit{step = 10} ran 6000 steps).  Also the
-- C binding's options (m1d.grad, backward) and Dataset:batch's 1-based start.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn, optim, util = m1d.nn, m1d.optim, m1d.util

local data = m1d.mnist1d.frozen()
local x = m1d.ones(2):requires_grad()

local cases = {
  {"train.fit", function() m1d.train.fit{model = nn.models.logistic(), data = data, step = 10, progress = false} end,
   "unknown option 'step'", "did you mean 'steps'"},
  {"train.fit", function() m1d.train.fit{model = nn.models.logistic(), data = data, learning_rate = 5} end,
   "unknown option 'learning_rate'", "known: batch"},
  {"train.evaluate", function() m1d.train.evaluate(nn.models.logistic(), data.x_test, data.y_test, {chunks = 10}) end,
   "unknown option 'chunks'", "did you mean 'chunk'"},
  {"Linear", function() nn.Linear(2, 3, {biass = false}) end, "unknown option 'biass'"},
  {"Conv1d", function() nn.Conv1d(1, 2, 3, {strid = 2}) end, "unknown option 'strid'", "did you mean 'stride'"},
  {"GRU", function() nn.GRU(1, 2, {bidirection = true}) end, "unknown option 'bidirection'", "bidirectional"},
  {"Adam", function() optim.Adam(nn.Linear(2, 2):parameters(), {lrr = 1}) end, "unknown option 'lrr'"},
  {"gradcheck", function() m1d.gradcheck(function(a) return a end, {m1d.ones(2, "float64"):requires_grad()}, {epz = 1}) end,
   "unknown option 'epz'", "did you mean 'eps'"},
  {"m1d.plot", function() m1d.plot.lines{y = {1, 2}, xlable = "x"} end, "unknown option 'xlable'", "did you mean 'xlabel'"},
  {"grad", function() m1d.grad((x * x):sum(), {x}, {create_grap = true}) end, "unknown option 'create_grap'",
   "create_graph"},
  {"backward", function() (x * x):sum():backward({retain = true}) end, "unknown option 'retain'"},
}
for _, c in ipairs(cases) do
  T.raises(c[2], c[1] .. ": " .. c[3], c[1], table.unpack(c, 3))
end

-- known options still work, and nil means none
T.lives(function() nn.Conv1d(1, 2, 3, {stride = 2, padding = 1, bias = false}) end, "Conv1d with known options")
T.lives(function() m1d.grad((x * x):sum(), {x}, {create_graph = true}) end, "grad with create_graph")
T.lives(function() nn.Linear(2, 3) end, "Linear without options")
T.is(next(util.check_options("f", nil, {"a"})), nil, "check_options(nil) -> {}")
T.raises(function() util.check_options("f", 3, {"a"}) end, "a non-table is an error", "f: options must be a table")
T.raises(function() util.check_options("f", {zzzz = 1}, {"a", "b"}) end, "no close match: no hint, the known list",
         "f: unknown option 'zzzz' (known: a, b)")

-- Dataset:batch: rows are 1-based (0 was silently the last row), split is train or test
T.raises(function() data:batch(0, 100) end, "batch(0, n) is an error", "batch: start must be >= 1")
T.raises(function() data:batch(1, 10, "val") end, "batch with an unknown split", "split must be")
local xb = data:batch(4001, 1)
T.is(xb:sub(data.x:narrow(1, 1, 1)):abs():sum():item(), 0, "batch past the end wraps around to row 1")
-- sizes: an explicit nil where a size stands is an error naming the position (it gave a
-- 0-d tensor, or dropped the sizes after it); a trailing nil is an absent dtype
T.raises(function() local _ = m1d.zeros(nil, 5) end, "zeros(nil, 5)", "zeros: size 1 is nil")
T.raises(function() local _ = m1d.randn(nil) end, "randn(nil)", "randn: size 1 is nil")
T.raises(function() local _ = m1d.zeros(3, nil, 5) end, "zeros(3, nil, 5)", "zeros: size 2 is nil")
T.raises(function() local _ = m1d.ones(2, nil, "float64") end, "ones(2, nil, dtype)", "ones: size 2 is nil")
T.is(table.concat(m1d.randn(5, nil):shape(), "x"), "5", "randn(5, nil): nil is an absent dtype")
T.raises(function() local _ = m1d.zeros(2.5) end, "a non-integer size", "not an integer")
T.raises(function() local _ = m1d.zeros(-1) end, "a negative size", "negative size")
-- labels from logits: nn.predict is 0-based like the labels (argmax is 1-based)
local logits = m1d.tensor{{0, 3, 1}, {5, 0, 0}, {0, 0, 9}}
T.is(table.concat(m1d.nn.predict(logits):totable(), " "), "1 0 2", "nn.predict: 0-based labels")
T.close(m1d.nn.accuracy(logits, m1d.tensor({1, 0, 1}, "int64")), 200 / 3, 1e-9, "nn.accuracy uses them")
T.raises(function() m1d.nn.predict(m1d.zeros(3)) end, "nn.predict of a 1-D tensor", "nn.predict", "[batch, classes]")
-- every remaining options table: the data, the differentiable update rules, text plots, the quiz
T.raises(function() m1d.mnist1d.frozen{dtyp = "float64"} end, "mnist1d.frozen: unknown option",
         "mnist1d.frozen: unknown option 'dtyp'; did you mean 'dtype'?")
T.raises(function() m1d.mnist1d.dataset({num_samples = 100}, {dtpye = "float64"}) end, "mnist1d.dataset: unknown option",
         "mnist1d.dataset: unknown option 'dtpye'")
T.raises(function() m1d.mnist1d.load("/nonexistent", {float = true}) end, "mnist1d.load: unknown option",
         "mnist1d.load: unknown option 'float'")
local p1, g1 = {m1d.ones(2)}, {m1d.ones(2)}
T.raises(function() m1d.optim.rmsprop_step(p1, g1, nil, {learning_rate = 1}) end, "rmsprop_step: unknown option",
         "rmsprop_step: unknown option 'learning_rate'")
T.raises(function() m1d.optim.adam_step(p1, g1, nil, {beta = 0.9}) end, "adam_step: unknown option",
         "adam_step: unknown option 'beta'")
T.lives(function() m1d.optim.adam_step(p1, g1, nil, {lr = 0.1, beta1 = 0.8, beta2 = 0.9, eps = 1e-6}) end,
        "adam_step: its own options pass")
T.raises(function() m1d.plot.lines{y = {1, 2}}:text{widht = 40} end, "Figure:text: unknown option", "unknown option 'widht'")
T.raises(function() require("m1d.quiz").run{data = {x_test = {{0}}, y_test = {1}}, rounds = 3} end, "quiz.run: unknown option",
         "quiz.run: unknown option 'rounds'")
T.done()
