-- train_test.lua — train.fit's contract: unknown options raise (options_test), lr may be a
-- schedule (a function of the step), the train loss at an evaluation is over the whole
-- training set it names (result.curves says which), and Ctrl-C or an error in on_step
-- returns the curves measured so far with interrupted = true instead of losing them.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn, train = m1d.nn, m1d.train

local data = m1d.mnist1d.frozen():subset(300)

-- an lr schedule: read before every update, recorded in res.lr
m1d.manual_seed(0)
local r = train.fit{model = nn.models.logistic(), data = data, steps = 20, batch = 50, eval_every = 10,
                    progress = false, lr = function(step) return 0.02 * 0.5 ^ (step // 10) end}
T.is(#r.lr, 21, "one lr per step")
T.ok(r.lr[1] == 0.02 and r.lr[11] == 0.01 and r.lr[21] == 0.005, "the schedule's values were used",
     table.concat(r.lr, " "))
T.raises(function()
  train.fit{model = nn.models.logistic(), data = data, steps = 3, progress = false, lr = function() return "x" end}
end, "a schedule that returns no number is an error", "lr schedule gave x at step 0")

-- train_loss is the whole training set's loss at that step (not one minibatch's)
local model = nn.models.logistic()
r = train.fit{model = model, data = data, steps = 10, batch = 50, eval_every = 10, progress = false}
local full_loss = train.evaluate(model, data.x, data.y)
T.close(r.train_loss[#r.train_loss], full_loss, 1e-6, "train_loss at the last evaluation = the training set's loss")
T.ok(type(r.curves) == "string" and r.curves:find("whole training set", 1, true), "the result says which data each curve is over")
T.is(#r.batch_loss, 11, "batch_loss: one minibatch loss per step")

-- an error in on_step stops the fit but keeps the curves
r = train.fit{model = nn.models.logistic(), data = data, steps = 100, batch = 50, eval_every = 5, progress = false,
              on_step = function(step) if step == 12 then error("enough") end end}
T.ok(r.interrupted and r.stop_reason:find("on_step raised at step 12", 1, true) and r.stop_reason:find("enough", 1, true),
     "on_step's error: interrupted = true, the reason kept", r.stop_reason)
T.ok(#r.steps == 3 and r.steps[3] == 10 and r.steps_done == 12, "the curves up to the stop are returned",
     ("%d evaluations, %s steps done"):format(#r.steps, tostring(r.steps_done)))

-- other errors still raise
T.raises(function()
  train.fit{model = nn.models.logistic(), data = {x = m1d.zeros(10, 3), y = m1d.zeros(10):long(),
            x_test = m1d.zeros(2, 3), y_test = m1d.zeros(2):long()}, steps = 2, progress = false}
end, "a shape error inside the loop still raises", "linear")

-- Ctrl-C (SIGINT) in the m1d program: the fit returns what it measured
local bin = os.getenv("M1D_BIN") or "./m1d"
local out = os.tmpname()
local script = [[local r = m1d.train.fit{model = m1d.nn.models.mlp(), data = m1d.mnist1d.frozen(), steps = 1000000,
  eval_every = 50, progress = false, on_step = function(s) if s == 60 then io.stdout:write("ready\n"); io.stdout:flush() end end}
print("returned", r.interrupted, r.stop_reason, #r.steps > 0)]]
local f = assert(io.open(out .. ".lua", "w")); f:write(script); f:close()
os.execute(("%s %s.lua > %s 2>%s.err & echo $! > %s.pid"):format(bin, out, out, out, out))
local pid = io.open(out .. ".pid"):read("l")
local ready = false
for _ = 1, 300 do                                   -- wait (up to 30 s) for the fit to be running
  local s = io.open(out):read("a")
  if s:find("ready", 1, true) then ready = true break end
  os.execute("sleep 0.1")
end
os.execute("kill -INT " .. pid)
for _ = 1, 100 do
  if io.open(out):read("a"):find("returned", 1, true) then break end
  os.execute("sleep 0.1")
end
os.execute("kill -9 " .. pid .. " 2>/dev/null")
local got = io.open(out):read("a")
T.ok(ready and got:find("returned\ttrue\tinterrupted (Ctrl-C)\ttrue", 1, true),
     "Ctrl-C during a fit returns the curves with interrupted = true", got .. io.open(out .. ".err"):read("a"))
os.remove(out); os.remove(out .. ".lua"); os.remove(out .. ".err"); os.remove(out .. ".pid")
-- train.epoch: one shuffled pass, ceil(n / batch) steps, from m1d's seeded generator
do
  local d = m1d.mnist1d.frozen()
  local x, y = d.x:narrow(1, 1, 250), d.y:narrow(1, 1, 250)
  local function run()
    m1d.manual_seed(3)
    local model = m1d.nn.models.logistic()
    local opt = m1d.optim.SGD(model:parameters(), {lr = 0.1})
    local w0 = model:flat_parameters():clone()
    return m1d.train.epoch(model, opt, x, y, {batch = 100}), model:flat_parameters(), w0
  end
  local s1, w1, w0 = run()
  local s2, w2 = run()
  T.ok(s1 == 3 and s2 == 3 and (w1 - w2):abs():max():item() == 0 and (w1 - w0):abs():max():item() > 0,
       "train.epoch: 3 steps for 250 rows at batch 100 move the weights, the same ones from the same seed")
  local model = m1d.nn.models.logistic()
  local opt = m1d.optim.SGD(model:parameters(), {lr = 0.1})
  T.raises(function() m1d.train.epoch(model, opt, x, y, {batch = 0}) end, "train.epoch with batch 0",
           "train.epoch: batch must be an integer >= 1, got 0")
  T.raises(function() m1d.train.epoch(model, opt, x, y, {batch_size = 10}) end, "train.epoch with an unknown key",
           "train.epoch", "batch_size")
end

T.done()
