-- dataset_test.lua — the dataset overview figure script runs and writes a PNG.
local T = dofile("tests/lua/tap.lua")
local dir = os.tmpname(); os.remove(dir)
local png = dir .. "/dataset.png"
local ok = os.execute(("mkdir -p %s && ./m1d experiments/dataset.lua --out %s > %s/log 2>&1"):format(dir, png, dir))
T.ok(ok, "experiments/dataset.lua exits 0")
local w = T.png_size(png)
T.ok(w, "writes a PNG")
T.is(w, 1300, "of the requested width")
os.execute("rm -rf " .. dir)
T.done()
