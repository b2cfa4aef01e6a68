-- dataset_test.lua — the dataset overview figure script runs and writes a PNG.
local T = dofile("tests/lua/tap.lua")
local dir = os.tmpname(); os.remove(dir)
local png = dir .. "/dataset.png"
local ok = os.execute(("mkdir -p %s && ./m1d experiments/dataset.lua --out %s > %s/log 2>&1"):format(dir, png, dir))
T.ok(ok, "experiments/dataset.lua exits 0")
local f = io.open(png, "rb")
local head = f and f:read(24)
if f then f:close() end
T.is(head and head:sub(1, 8), "\137PNG\r\n\26\n", "writes a PNG")
local w = head and string.unpack(">I4", head, 17)
T.is(w, 1300, "of the requested width")
os.execute("rm -rf " .. dir)
T.done()
