-- modelfile_test.lua — model save/load: round trip, checksums, truncation, mismatches.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn = m1d.nn

local dir = os.tmpname(); os.remove(dir); m1d.makedirs(dir)
local path = dir .. "/cnn.m1d"

m1d.manual_seed(0)
local model = nn.models.cnn()
model:save(path)
m1d.manual_seed(1)
local other = nn.models.cnn()
T.ok((model.c1.weight - other.c1.weight):abs():max():item() > 0, "a differently seeded model differs")
other:load(path)
local same = true
local pa, pb = model:parameters(), other:parameters()
for i = 1, #pa do same = same and (pa[i] - pb[i]):abs():max():item() == 0 end
T.ok(same, "load restores every parameter exactly")
local x = m1d.mnist1d.frozen().x_test:narrow(1, 1, 10)
T.is((model(x) - other(x)):abs():max():item(), 0, "loaded model gives the same outputs")

-- named tensors of any dtype
m1d.save(dir .. "/t.m1d", {a = m1d.arange(5, "float64"), b = m1d.tensor({1, 2}, "int64"), c = m1d.zeros(0, 3)})
local map, names = m1d.load(dir .. "/t.m1d")
T.is(table.concat(names, ","), "a,b,c", "names kept (sorted)")
T.is(map.a:dtype() .. map.b:dtype() .. map.c:dtype(), "float64int64float32", "dtypes kept")
T.is(map.a:sum():item(), 10, "values kept")
T.is(map.c:numel(), 0, "empty tensors round-trip")

-- damaged files are errors naming the file
local f = io.open(path, "rb"); local bytes = f:read("a"); f:close()
local function write(name, s) local g = io.open(dir .. "/" .. name, "wb"); g:write(s); g:close(); return dir .. "/" .. name end
for _, cut in ipairs{0, 4, 8, 12, 40, #bytes // 2, #bytes - 33, #bytes - 1} do
  T.raises(function() return m1d.load(write("cut.m1d", bytes:sub(1, cut))) end,
           ("truncated to %d bytes"):format(cut), "load:", "cut.m1d")
end
for _, pos in ipairs{1, 9, 13, 17, 100, #bytes // 2, #bytes} do
  local b = bytes:sub(1, pos - 1) .. string.char((bytes:byte(pos) + 1) % 256) .. bytes:sub(pos + 1)
  T.raises(function() return m1d.load(write("flip.m1d", b)) end, ("one byte changed at %d"):format(pos), "load:", "flip.m1d")
end
T.raises(function() return m1d.load(dir .. "/missing.m1d") end, "missing file", "missing.m1d", "cannot open")
T.raises(function() return nn.models.mlp():load(path) end, "wrong architecture", "no parameter")
T.raises(function() return nn.models.cnn(10):load(path) end, "wrong shapes", "shape")
T.raises(function() return m1d.save(dir .. "/no/such/dir/x.m1d", {m1d.ones(2)}) end, "unwritable path", "save")
os.execute("rm -rf " .. dir)
T.done()
