-- module_errors_test.lua — an error raised inside a model names where it happened: each
-- module it passes through adds a line with the module (and, in Sequential, the layer's
-- index) and the shape it was given; a module without forward says so.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn = m1d.nn

local seq = nn.Sequential(nn.Linear(40, 10), nn.ReLU(), nn.Linear(20, 5))
local ok, err = pcall(seq, m1d.zeros(3, 40))
T.ok(not ok, "a shape error inside Sequential raises")
err = tostring(err)
T.ok(err:find("linear: ", 1, true) == 1, "the op's own message comes first, without the library's file:line", err)
T.ok(err:find("in Linear(20 -> 5), given [3,10]", 1, true), "the failing layer and its input shape", err)
T.ok(err:find("in layer 3 of Sequential, given [3,10]", 1, true), "its index in the container", err)
T.ok(err:find("in Sequential, given [3,40]", 1, true), "and the container's own input", err)

local custom = nn.Module{l = nn.Linear(4, 2), _name = "mine",
                         forward = function(self, x) return self.l(x:reshape(-1, 5)) end}
ok, err = pcall(custom, m1d.zeros(2, 5))
T.ok(not ok and tostring(err):find("in Linear(4 -> 2), given [2,5]", 1, true)
     and tostring(err):find("in mine, given [2,5]", 1, true), "a custom module's error names it too", err)

ok, err = pcall(nn.Module{}, m1d.zeros(2))
T.ok(not ok and tostring(err):find("has no forward function", 1, true), "nn.Module{} without forward says so", err)

-- a working model is unchanged, and multiple results pass through (the GRU returns two)
local gru = nn.GRU(3, 4)
local out, h = gru(m1d.zeros(2, 5, 3))
T.ok(out and h and table.concat(out:shape(), "x") == "2x5x4", "the GRU's two results come through the wrapper")
T.done()
