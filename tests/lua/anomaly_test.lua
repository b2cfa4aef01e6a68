-- anomaly_test.lua — numerical faults: m1d.detect_anomaly names the first op that makes
-- NaN/Inf (forward or backward), and the training loop stops with a clear message when
-- the loss diverges.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

T.ok(m1d.tensor({-1}):log():item() ~= m1d.tensor({-1}):log():item(), "without anomaly mode, log(-1) is NaN")
T.is(m1d.detect_anomaly(true), false, "detect_anomaly returns the previous mode")
T.raises(function() return m1d.tensor({1, -1}):log() end, "log of a negative names the op", "anomaly", "log", "NaN")
T.raises(function() return m1d.tensor({0}):log() end, "log(0) = -inf is reported", "anomaly", "log", "Inf")
T.raises(function() return m1d.tensor({1}) / m1d.tensor({0}) end, "division by zero", "anomaly", "div")
T.lives(function() return m1d.tensor({1, 2}):log() end, "finite results pass")
-- in backward: sqrt at 0 is finite forward, its gradient is infinite
local x = m1d.tensor({0, 1}, "float64"):requires_grad()
local y = x:sqrt():sum()
T.raises(function() return m1d.grad(y, x) end, "an infinite gradient is reported in backward", "anomaly", "sqrt")
-- every op's output is checked, not only the elementwise ones: a float32 overflow in
-- matmul is named as matmul (recorded or not), in a reduction as the reduction
local big = m1d.full({3, 3}, 1e30)
T.raises(function() return m1d.matmul(big, big) end, "a float32 matmul overflow is named as matmul", "anomaly: matmul", "Inf")
T.raises(function() return big:requires_grad():matmul(big) end, "and when it records", "anomaly: matmul", "Inf")
T.raises(function() return m1d.full({4}, 3e38):sum() end, "a sum that overflows is named as sum", "anomaly: sum", "Inf")
T.raises(function() return m1d.linear(big, big) end, "linear too", "anomaly: linear", "Inf")
T.lives(function() return m1d.tensor({math.huge}), m1d.full({2}, 0 / 0), big:t() end,
        "made from data, or a view, is no op's result")
m1d.detect_anomaly(false)
local g = m1d.grad(x:sqrt():sum(), x)
T.is(g:getflat(1), math.huge, "anomaly mode off again: the infinite gradient comes through")

-- the training loop stops on a diverging loss
local data = m1d.mnist1d.frozen()
m1d.manual_seed(0)
T.raises(function()
  m1d.train.fit{model = m1d.nn.models.mlp(), data = data, steps = 50, lr = 1e12, eval_every = 0, progress = false}
end, "train.fit stops when the loss is no longer finite", "loss became", "step")

-- results files go through the atomic writer
local dir = os.tmpname(); os.remove(dir)
m1d.util.write_json(dir .. "/sub/r.json", {a = 1})
T.is(m1d.util.read_json(dir .. "/sub/r.json").a, 1, "write_json creates directories and writes atomically")
local p = io.popen("ls -a " .. dir .. "/sub")
local listing = p:read("a"); p:close()
T.ok(not listing:find("tmp", 1, true), "no temporary file left behind", listing)
T.raises(function() m1d.core.write_file("/proc/no/such/dir/x", "y") end, "an unwritable path is an error naming it", "/proc/no/such/dir/x")
os.execute("rm -rf " .. dir)
T.done()
