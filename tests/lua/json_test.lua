-- json_test.lua — m1d.util's JSON: NaN and the infinities are written as NaN, Infinity and
-- -Infinity (what Python's json module reads; lua-cjson alone wrote nan/inf), only where
-- they are numbers: strings that contain those words, escapes included, are kept as they
-- are; everything reads back (util.read_json), and plain values are untouched.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util

local nan, inf = 0 / 0, math.huge
T.is(util.json_encode(nan), "NaN", "NaN alone")
T.is(util.json_encode(inf), "Infinity", "inf alone")
T.is(util.json_encode(-inf), "-Infinity", "-inf alone")
T.is(util.json_encode({1, nan, -inf, inf, 2.5}), "[1,NaN,-Infinity,Infinity,2.5]", "in an array")
T.is(util.json_encode({loss = nan}), '{"loss":NaN}', "as an object's value")
T.is(util.json_encode({"nan", "-inf", "x:inf,", "a\\", inf, 'q"inf', nan}),
     '["nan","-inf","x:inf,","a\\\\",Infinity,"q\\"inf",NaN]',
     "strings with those words, a closing backslash and an escaped quote stay as they are")
T.is(util.json_encode({info = "information"}) .. util.json_encode({1e300, -0.5}), '{"info":"information"}[1e+300,-0.5]',
     "keys and values that merely contain 'inf', and finite numbers, are untouched")

local path = os.tmpname()
util.write_json(path, {curve = {1, nan, inf, -inf, "nan inf"}})       -- one key: object key order is not defined
local text = io.open(path):read("a")
T.is(text, '{"curve":[1,NaN,Infinity,-Infinity,"nan inf"]}\n', "write_json writes them so")
local back = util.read_json(path)
os.remove(path)
T.ok(back.curve[2] ~= back.curve[2] and back.curve[3] == inf and back.curve[4] == -inf and back.curve[5] == "nan inf",
     "read_json reads them back: NaN, inf, -inf and the string")
T.done()
