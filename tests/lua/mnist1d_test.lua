-- mnist1d_test.lua — m1d.mnist1d, m1d.load_npy / save_npy and `m1d gen` from Lua.
-- Run from the repository root:  . ./env.sh; lua5.4 tests/lua/mnist1d_test.lua
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local mnist1d = m1d.mnist1d
local gen = require "m1d.gen"

local function shape(t)
  local s = {}
  for d = 1, t:dim() do s[d] = t:size(d) end
  return table.concat(s, "x")
end

local function maxdiff(a, b) return (a:double() - b:double()):abs():max():item() end

-- a fresh temporary directory
local function tmpdir()
  local name = os.tmpname()
  os.remove(name)
  m1d.makedirs(name)
  return name
end
local function rmdir(dir, files)
  for _, f in ipairs(files) do os.remove(dir .. "/" .. f) end
  os.remove(dir)
end

-- io.stderr replaced while fn runs; returns fn's results and what was written
local function capture_stderr(fn)
  local saved, buf = io.stderr, {}
  io.stderr = {write = function(self, ...) for _, s in ipairs{...} do buf[#buf + 1] = tostring(s) end return self end}
  local ok, r = pcall(fn)
  io.stderr = saved
  if not ok then error(r, 0) end
  return r, table.concat(buf)
end

---------------------------------------------------------------- frozen
local fz = mnist1d.frozen()
T.is(shape(fz.x), "4000x40", "frozen x is 4000x40")
T.is(shape(fz.y), "4000", "frozen y is 4000")
T.is(shape(fz.x_test), "1000x40", "frozen x_test is 1000x40")
T.is(shape(fz.y_test), "1000", "frozen y_test is 1000")
T.is(shape(fz.t), "40", "frozen t is 40")
T.is(shape(fz.templates.x), "10x12", "frozen templates x is 10x12")
T.is(fz.x:dtype(), "float32", "frozen x is float32 by default")
T.is(fz.y:dtype(), "int64", "frozen y is int64")
T.is(fz:size(), 4000, "dataset:size() = training rows")
local fz64 = mnist1d.frozen{dtype = "float64"}
T.is(fz64.x:dtype(), "float64", "frozen{dtype='float64'} is float64")
T.close(fz64.x:select(1, 1):totable()[1], -0.33200566736939019, 0, "frozen x[1][1] exact")

---------------------------------------------------------------- generation
local g = mnist1d.dataset{dtype = "float64"}
T.ok(maxdiff(g.x, fz64.x) <= 1e-12, "dataset() x equals frozen within 1e-12", maxdiff(g.x, fz64.x))
T.ok(maxdiff(g.x_test, fz64.x_test) <= 1e-12, "dataset() x_test equals frozen within 1e-12")
T.ok(maxdiff(g.t, fz64.t) <= 1e-12, "dataset() t equals frozen within 1e-12")
T.is((g.y - fz.y):abs():sum():item(), 0, "dataset() y identical to frozen")
T.is((g.y_test - fz.y_test):abs():sum():item(), 0, "dataset() y_test identical to frozen")
T.is(maxdiff(g.templates.x, fz.templates.x), 0, "templates identical")
T.close(g.norm_std, 0.15467803420593054, 0, "norm_std bit-exact")
local g32 = mnist1d.dataset()
T.is(g32.x:dtype(), "float32", "dataset() x is float32 by default")
T.ok(maxdiff(g32.x, g.x) < 1e-6, "float32 x is the float64 x rounded")
local g64b = mnist1d.dataset({num_samples = 200}, {dtype = "float64"})
T.is(g64b.x:dtype() .. " " .. shape(g64b.x), "float64 160x40", "dataset(args, {dtype=...}) keeps the args")
local small = mnist1d.dataset{num_samples = 1000, shuffle_seq = true, dtype = "float64"}
T.is(shape(small.x) .. " " .. shape(small.x_test), "800x40 200x40", "num_samples=1000 splits 800/200")
T.close(small.norm_std, 0.15481291395819605, 0, "shuffle_seq variant norm_std bit-exact")
T.ok(small.seq_perm ~= nil and shape(small.seq_perm) == "40", "shuffle_seq keeps seq_perm")

---------------------------------------------------------------- arguments
local a = mnist1d.args{seed = 7, padding = {30, 45}}
T.ok(a.seed == 7 and a.padding[1] == 30 and a.num_samples == 5000 and a.dtype == "float32",
  "args merges overrides with defaults")
T.is(mnist1d.args{num_samples = 2000.0}.num_samples, 2000, "integral floats accepted as integers")
T.raises(function() mnist1d.args{padding = {60, 36}} end, "padding {60,36} rejected",
  "padding", "0 <= lo <= hi", "{60, 36}")
T.raises(function() mnist1d.dataset{padding = {60, 36}} end, "dataset() checks too", "padding")
T.raises(function() mnist1d.args{final_seq_length = 0} end, "final_seq_length 0 rejected",
  "final_seq_length must be >= 1 (got 0)")
T.raises(function() mnist1d.args{num_samples = -1} end, "num_samples -1 rejected",
  "num_samples must be at least 10 (got -1)")
T.raises(function() mnist1d.args{numsamples = 100} end, "unknown key rejected",
  "unknown argument 'numsamples'")
T.raises(function() mnist1d.args{num_samples = "100"} end, "string number rejected", "num_samples must be an integer")
T.raises(function() mnist1d.args{num_samples = 100.5} end, "fraction rejected", "num_samples must be an integer")
T.raises(function() mnist1d.args{padding = {36}} end, "one-element padding rejected", "two integers")
T.raises(function() mnist1d.args{shuffle_seq = 1} end, "non-boolean shuffle_seq rejected", "true or false")
T.raises(function() mnist1d.args{train_split = 0 / 0} end, "NaN train_split rejected", "train_split")
T.raises(function() mnist1d.args{seed = 2 ^ 32} end, "seed 2^32 rejected", "seed")
T.raises(function() mnist1d.args{dtype = "int64"} end, "dtype int64 rejected", "dtype")
T.raises(function() mnist1d.args{max_translation = 0} end, "max_translation 0 rejected", "max_translation")
T.raises(function() mnist1d.args(5) end, "non-table args rejected", "expected a table")
T.raises(function() m1d.core.mnist1d_generate{bogus = 1} end, "core rejects unknown keys", "unknown argument 'bogus'")

---------------------------------------------------------------- batches and helpers
local function row(t, i) return t:select(1, i):totable() end
local function same(a1, b1)
  for k = 1, #a1 do if a1[k] ~= b1[k] then return false end end
  return #a1 == #b1
end
local x, y = fz:batch(1, 32)
T.is(shape(x) .. " " .. shape(y), "32x40 32", "batch(1, 32) shapes")
x, y = fz:batch(3999, 4)
local yt = y:totable()
local yall = fz.y:totable()
T.ok(shape(x) == "4x40" and yt[1] == yall[3999] and yt[2] == yall[4000] and yt[3] == yall[1] and yt[4] == yall[2],
  "batch(3999, 4) wraps around to rows 1, 2")
T.ok(same(row(x, 3), row(fz.x, 1)) and same(row(x, 2), row(fz.x, 4000)), "wrapped x rows match")
x, y = fz:batch(4001, 2)
T.ok(same(y:totable(), {yall[1], yall[2]}), "batch(4001, 2) = batch(1, 2)")
x, y = fz:batch(2, 8003)
T.ok(shape(x) == "8003x40" and y:totable()[4000] == yall[1] and y:totable()[8003] == yall[4], "batch wraps twice")
x, y = fz:batch(1, 5, "test")
T.ok(same(y:totable(), {table.unpack(fz.y_test:totable(), 1, 5)}), "batch(..., 'test') reads the test split")
T.raises(function() fz:batch(1, 0) end, "batch size 0 rejected", "size >= 1")

local sub = fz:subset(100)
T.is(shape(sub.x) .. " " .. shape(sub.y) .. " " .. shape(sub.x_test), "100x40 100 1000x40", "subset(100)")
T.raises(function() fz:subset(5000) end, "subset beyond the data rejected", "subset")

local p40 = m1d.load_npy("tests/fixtures/mnist1d/components/permutation40_seed42.npy")
local sh = fz64:spatial_shuffle(42)
T.ok(same(sh.spatial_perm:totable(), p40:totable()), "spatial_shuffle(42) uses np.random.permutation(40) after seed(42)")
local perm = p40:totable()
local ok_cols = true
for _, i in ipairs{1, 77, 4000} do
  local r0, r1 = row(fz64.x, i), row(sh.x, i)
  for j = 1, 40 do ok_cols = ok_cols and r1[j] == r0[perm[j] + 1] end
end
local r0, r1 = row(fz64.x_test, 5), row(sh.x_test, 5)
for j = 1, 40 do ok_cols = ok_cols and r1[j] == r0[perm[j] + 1] end
T.ok(ok_cols, "shuffled x[:, j] = x[:, perm[j]] (train and test)")
T.ok(same(row(fz64.x, 1), row(sh.x, 1)) == false, "the input dataset is not modified in place")

local noisy = fz:label_noise(0.15, 0)
local changed, ny, oy = 0, noisy.y:totable(), fz.y:totable()
for i = 1, #ny do if ny[i] ~= oy[i] then changed = changed + 1 end end
T.ok(changed > 400 and changed < 700, "label_noise(0.15) changes about 13.5% of labels (" .. changed .. ")")
T.is((noisy.y_clean - fz.y):abs():sum():item(), 0, "label_noise keeps the clean labels")
T.is((fz:label_noise(0.15, 0).y - noisy.y):abs():sum():item(), 0, "label_noise is deterministic")

---------------------------------------------------------------- npy from Lua
local dir = tmpdir()
local t32 = m1d.tensor{{1.5, -2}, {3, 4.25}}:float()
m1d.save_npy(dir .. "/a.npy", t32)
local back = m1d.load_npy(dir .. "/a.npy")
T.ok(back:dtype() == "float32" and same(back:totable()[2], {3, 4.25}), "save_npy/load_npy float32 round trip")
m1d.save_npy(dir .. "/b.npy", fz64.x:narrow(1, 1, 3):t())      -- a non-contiguous view
back = m1d.load_npy(dir .. "/b.npy")
T.ok(shape(back) == "40x3" and back:totable()[2][3] == fz64.x:totable()[3][2], "save_npy of a transposed view")
local f = io.open(dir .. "/junk.npy", "wb") f:write("this is not numpy") f:close()
T.raises(function() m1d.load_npy(dir .. "/junk.npy") end, "load_npy on a text file names the file",
  dir .. "/junk.npy", "not a .npy file")
local src = io.open("vendor/mnist1d/t.npy", "rb"):read("a")
f = io.open(dir .. "/trunc.npy", "wb") f:write(src:sub(1, #src - 8)) f:close()
T.raises(function() m1d.load_npy(dir .. "/trunc.npy") end, "load_npy on a truncated file names the file",
  dir .. "/trunc.npy", "truncated")
T.raises(function() m1d.load_npy(dir .. "/missing.npy") end, "load_npy on a missing file", "missing.npy", "cannot open")
T.raises(function() m1d.save_npy(dir .. "/no/dir/x.npy", t32) end, "save_npy into a missing directory",
  "no/dir/x.npy")
T.raises(function() m1d.save_npy(dir .. "/x.npy", 5) end, "save_npy of a number", "m1d.Tensor expected")
rmdir(dir, {"a.npy", "b.npy", "junk.npy", "trunc.npy"})

---------------------------------------------------------------- m1d gen
dir = tmpdir()
local out = dir .. "/g"
local rc, err = capture_stderr(function()
  return gen.main{"--num_samples", "1209", "--train_split", "0.57", "--max_translation=100", "--seed", "7",
                  "--padding", "36,60", "--shuffle_seq", "false", "--out", out, "--quiet"}
end)
T.is(rc, 0, "gen.main writes a dataset (exit 0)")
if rc ~= 0 then T.diag(err) end
local gx = m1d.load_npy(out .. "/x.npy")
local gy = m1d.load_npy(out .. "/y.npy")
local ref = mnist1d.dataset{num_samples = 1209, train_split = 0.57, max_translation = 100, seed = 7, dtype = "float64"}
T.ok(gx:dtype() == "float64" and shape(gx) == "683x40", "gen x.npy is float64 683x40 (1200*0.57 -> 683)")
T.ok(gy:dtype() == "int64" and shape(gy) == "683", "gen y.npy is int64")
T.is(maxdiff(gx, ref.x), 0, "gen x.npy equals dataset() bit for bit")
T.is(shape(m1d.load_npy(out .. "/x_test.npy")) .. " " .. shape(m1d.load_npy(out .. "/t.npy")), "517x40 40",
  "gen x_test.npy and t.npy")
T.close(m1d.load_npy(out .. "/x.npy"):select(1, 1):totable()[1], ref.x:select(1, 1):totable()[1], 0, "gen x[1][1]")

-- the numbers stored in the files, as NumPy itself reads them (when python3-numpy is there)
local py = io.open("/usr/bin/python3", "rb")
if py then py:close() end
local pyout = py and io.popen("/usr/bin/python3 -c \"import numpy as np, hashlib, sys; d = sys.argv[1]; "
  .. "x = np.load(d + '/x.npy'); y = np.load(d + '/y.npy'); "
  .. "print(x.dtype, x.shape, x.flags['C_CONTIGUOUS'], y.dtype, y.shape, repr(float(x[0, 0])), int(y.sum()))\" "
  .. out .. " 2>/dev/null")
local pyline = pyout and pyout:read("l")
if pyout then pyout:close() end
if pyline then
  local ysum = 0
  for _, v in ipairs(gy:totable()) do ysum = ysum + v end
  local head, x00, s = pyline:match("^(.*) (%S+) (%S+)$")
  T.ok(head == "float64 (683, 40) True int64 (683,)" and tonumber(x00) == ref.x:select(1, 1):totable()[1]
    and tonumber(s) == ysum, "numpy reads gen's files: " .. pyline)
else
  T.ok(true, "# SKIP /usr/bin/python3 with numpy not available")
end

rc, err = capture_stderr(function() return gen.main{"--num_samples", "100", "--bogus", "1", "--out", out} end)
T.ok(rc == 2 and err:find("unknown option --bogus", 1, true), "gen: unknown option -> exit 2 + message")
rc, err = capture_stderr(function() return gen.main{"--num_samples", "100"} end)
T.ok(rc == 2 and err:find("missing --out", 1, true), "gen: missing --out -> exit 2")
rc, err = capture_stderr(function() return gen.main{"--padding", "60,36", "--out", out} end)
T.ok(rc == 1 and err:find("padding", 1, true) and not err:find("%.lua:%d"), "gen: bad padding -> exit 1, clean message: " .. err:gsub("\n", ""))
rc, err = capture_stderr(function() return gen.main{"--shuffle_seq", "maybe", "--out", out} end)
T.ok(rc == 2 and err:find("true or false", 1, true), "gen: bad boolean -> exit 2")
rc, err = capture_stderr(function() return gen.main{"--num_samples", "12.5", "--out", out} end)
T.ok(rc == 2 and err:find("integer", 1, true), "gen: non-integer count -> exit 2")

-- the m1d program dispatches `m1d gen` here (when it has been built)
local M1D = os.getenv("M1D_BIN") or "./m1d"     -- make check-asan: the sanitizer build
local exe = io.open(M1D, "rb")
if exe then
  exe:close()
  local out2 = dir .. "/cli"
  local ok = os.execute(M1D .. " gen --num_samples 100 --seed 3 --out " .. out2 .. " >/dev/null")
  local cx = ok and m1d.load_npy(out2 .. "/x.npy")
  local want = mnist1d.dataset{num_samples = 100, seed = 3, dtype = "float64"}.x
  T.ok(cx and maxdiff(cx, want) == 0, "./m1d gen writes the same dataset")
  local status = select(3, os.execute(M1D .. " gen --padding 60,36 --out " .. out2 .. " 2>/dev/null"))
  T.is(status, 1, "./m1d gen with bad arguments exits 1")
  rmdir(out2, {"x.npy", "y.npy", "x_test.npy", "y_test.npy", "t.npy"})
else
  T.ok(true, "# SKIP ./m1d not built")
end
rmdir(out, {"x.npy", "y.npy", "x_test.npy", "y_test.npy", "t.npy"})
os.remove(dir)

T.done()
