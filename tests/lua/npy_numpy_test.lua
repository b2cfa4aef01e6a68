-- npy_numpy_test.lua — .npy files round-trip between m1d and NumPy for every dtype m1d
-- has (float32, float64, int64), including 0-d, empty and 3-D arrays, special floats
-- (inf, nan, -0.0, subnormals, the largest float32) and int64's extremes (issue 21).
--   m1d -> NumPy: m1d.save_npy writes, /usr/bin/python3 np.load reads and compares the
--     dtype ('<f4' '<f8' '<i8'), the shape and every value bit for bit (nan: isnan), and
--     that the file is C order; a transposed (non-contiguous) tensor is written in its
--     logical order.
--   NumPy -> m1d: np.save writes each array in C order and in Fortran order
--     (np.asfortranarray: fortran_order is True in the header for the 2-D and 3-D
--     ones), m1d.load_npy reads both and compares as above.
-- The expected values travel as text (hex floats, decimal integers), not through .npy,
-- so neither side's writer is checked with its own reader.  Skipped when
-- /usr/bin/python3 or its numpy is missing (python3-numpy is not a build dependency).
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

local PY = "/usr/bin/python3"
local q = T.q
local sh = T.sh
if not sh(PY .. " -c 'import numpy'") then
  io.write("1..0 # SKIP /usr/bin/python3 with numpy is not available (apt-get install python3-numpy)\n")
  os.exit(0)
end

local dir = os.tmpname(); os.remove(dir)
m1d.makedirs(dir)

-- Value <-> text.  Floats as %a (exact); Lua prints inf/-inf/nan/-nan for the specials.
local function flat(t)
  if t:dim() == 0 then return {t:item()} end
  local n, v = t:numel(), {}
  if n == 0 then return v end
  local f = t:reshape(n)
  for i = 1, n do v[i] = f[i] end
  return v
end
local function fmt(dtype, x)
  if dtype == "int64" then return ("%d"):format(x) end
  if x ~= x then return "nan" end
  return ("%a"):format(x)
end
local function parse(dtype, s)
  if dtype == "int64" then return math.tointeger(s) end
  if s == "nan" or s == "-nan" then return 0 / 0 end
  if s == "inf" then return 1 / 0 end
  if s == "-inf" then return -1 / 0 end
  local v = tonumber(s)              -- Python's float.hex: always a float ("-0x0.0p+0" is -0.0)
  return math.type(v) == "integer" and v + 0.0 or v
end
-- bit-for-bit equality of one element of dtype (nan equals nan; -0.0 differs from 0.0)
local function same(dtype, a, b)
  if dtype == "int64" then return math.type(a) == "integer" and a == b end
  if a ~= a or b ~= b then return a ~= a and b ~= b end
  local p = dtype == "float32" and "<f" or "<d"
  return string.pack(p, a) == string.pack(p, b)
end
local function line(name, t)
  local v = flat(t)
  for i = 1, #v do v[i] = fmt(t:dtype(), v[i]) end
  return ("%s %s %s %s\n"):format(name, t:dtype(), table.concat(t:shape(), ","), table.concat(v, " "))
end

---------------------------------------------------------------- m1d -> NumPy
m1d.manual_seed(7)
local big32 = 3.4028234663852886e38                     -- the largest float32
local specials = {1 / 0, -1 / 0, 0 / 0, -0.0, 1.401298464324817e-45, big32, -big32, 1 / 3}
local f32 = m1d.randn(2, 3, 4)
for i, x in ipairs(specials) do f32[1][1 + (i - 1) // 4][1 + (i - 1) % 4] = x end
local f64 = m1d.randn(3, 5, "float64")
f64[1][1] = 0 / 0; f64[1][2] = -0.0; f64[1][3] = 4.9406564584124654e-324; f64[1][4] = 1.7976931348623157e308
f64[1][5] = 1 / 3
local i64 = m1d.tensor({{math.maxinteger, math.mininteger, 0}, {-1, 9007199254740993, -42}}, "int64")
local cases = {
  {"f32_3d", f32}, {"f64_2d", f64}, {"i64_2d", i64},
  {"f32_0d", m1d.tensor(-2.5)}, {"f64_0d", m1d.tensor(1 / 3, "float64")},
  {"i64_0d", m1d.tensor(math.mininteger, "int64")},
  {"f32_empty", m1d.zeros(0, 3)}, {"f64_empty_3d", m1d.zeros({2, 0, 4}, "float64")},
  {"i64_empty", m1d.zeros(0, "int64")},
  {"f64_transposed", m1d.randn(4, 3, "float64"):t()},   -- non-contiguous: logical order
  {"i64_1d", m1d.tensor({-3, -2, -1, 0, 1, 2, 3}, "int64")},
}
local ef = assert(io.open(dir .. "/m1d_expected.txt", "w"))
for _, c in ipairs(cases) do
  m1d.save_npy(dir .. "/m1d_" .. c[1] .. ".npy", c[2])
  ef:write(line(c[1], c[2]))
end
ef:close()

local pyscript = [==[
import sys, numpy as np
d = sys.argv[1]
descr = {"float32": "<f4", "float64": "<f8", "int64": "<i8"}
bits = {"float32": np.uint32, "float64": np.uint64}
def parse(dtype, s):
    if dtype == "int64": return int(s)
    return float.fromhex(s) if s not in ("nan", "-nan", "inf", "-inf") else float(s.lstrip("-") if "nan" in s else s)
def expected(line):
    f = line.rstrip("\n").split(" ")
    name, dtype, shape = f[0], f[1], tuple(int(x) for x in f[2].split(",") if x != "")
    vals = [parse(dtype, s) for s in f[3:] if s != ""]
    return name, dtype, np.array(vals, dtype=dtype).reshape(shape)
def same(a, b):
    if a.dtype.kind == "f":
        na, nb = np.isnan(a), np.isnan(b)
        return bool((na == nb).all() and (a[~na].view(bits[str(a.dtype)]) == b[~nb].view(bits[str(b.dtype)])).all())
    return bool((a == b).all())
mode = sys.argv[2]
if mode == "check":
    for line in open(d + "/m1d_expected.txt"):
        name, dtype, want = expected(line)
        path = d + "/m1d_" + name + ".npy"
        with open(path, "rb") as fh:
            major, minor = np.lib.format.read_magic(fh)
            shape, fortran, dt = np.lib.format.read_array_header_1_0(fh) if major == 1 else np.lib.format.read_array_header_2_0(fh)
        got = np.load(path)
        problems = []
        if dt.str != descr[dtype]: problems.append("descr %s, want %s" % (dt.str, descr[dtype]))
        if fortran: problems.append("fortran_order True")
        if got.shape != want.shape: problems.append("shape %s, want %s" % (got.shape, want.shape))
        elif not same(got.astype(dtype), want): problems.append("values differ: %r vs %r" % (got.ravel()[:8], want.ravel()[:8]))
        print(("ok " if not problems else "bad ") + name + (": " + "; ".join(problems) if problems else ""))
else:
    rng = np.random.RandomState(3)
    a32 = rng.randn(2, 3, 4).astype(np.float32)
    a32.flat[:6] = [np.inf, -np.inf, np.nan, -0.0, np.float32(1.4e-45), np.finfo(np.float32).max]
    a64 = rng.randn(3, 5)
    a64.flat[:4] = [np.nan, -0.0, 5e-324, np.finfo(np.float64).max]
    i64 = np.array([[np.iinfo(np.int64).max, np.iinfo(np.int64).min, 0], [-1, 2**53 + 1, -42], [7, 8, 9], [1, 2, 3]], dtype=np.int64)
    arrays = {"f32_3d": a32, "f64_2d": a64, "i64_2d": i64, "f32_0d": np.array(-2.5, np.float32),
              "f64_0d": np.array(1 / 3), "i64_0d": np.array(np.iinfo(np.int64).min),
              "f32_empty": np.zeros((0, 3), np.float32), "f64_empty_3d": np.zeros((2, 0, 4)),
              "i64_1d": np.arange(-3, 4, dtype=np.int64)}
    with open(d + "/np_expected.txt", "w") as out:
        for name, a in arrays.items():
            # np.ascontiguousarray and np.asfortranarray make a 0-d array 1-d
            np.save(d + "/np_" + name + "_C.npy", a if a.ndim == 0 else np.ascontiguousarray(a))
            np.save(d + "/np_" + name + "_F.npy", a if a.ndim == 0 else np.asfortranarray(a))
            with open(d + "/np_" + name + "_F.npy", "rb") as fh:
                np.lib.format.read_magic(fh)
                fortran = np.lib.format.read_array_header_1_0(fh)[1]
            dtype = {"f": str(a.dtype), "i": "int64"}[a.dtype.kind]
            vals = [repr(int(x)) if a.dtype.kind == "i" else float(x).hex() for x in a.ravel(order="C")]
            out.write("%s %s %s %s %s\n" % (name, dtype, ",".join(str(s) for s in a.shape), "F" if fortran else "-", " ".join(vals)))
]==]
local pf = assert(io.open(dir .. "/roundtrip.py", "w")); pf:write(pyscript); pf:close()

local ok, out = sh(("%s %s %s check"):format(PY, q(dir .. "/roundtrip.py"), q(dir)))
T.ok(ok, "numpy reads every file m1d wrote", out)
for _, c in ipairs(cases) do
  T.ok(out:find("\nok " .. c[1] .. "\n", 1, true) or out:find("^ok " .. c[1] .. "\n"),
       ("m1d -> numpy: %s (%s [%s])"):format(c[1], c[2]:dtype(), table.concat(c[2]:shape(), ",")), out)
end

---------------------------------------------------------------- NumPy -> m1d
ok, out = sh(("%s %s %s write"):format(PY, q(dir .. "/roundtrip.py"), q(dir)))
T.ok(ok, "numpy writes the C- and Fortran-order files", out)
local n, nfortran = 0, 0
for l in io.lines(dir .. "/np_expected.txt") do
  local name, dtype, shape, fortran, vals = l:match("^(%S+) (%S+) (%S*) (%S) ?(.*)$")
  local want_shape = {}
  for s in shape:gmatch("%d+") do want_shape[#want_shape + 1] = tonumber(s) end
  local want = {}
  for s in vals:gmatch("%S+") do want[#want + 1] = parse(dtype, s) end
  if fortran == "F" then nfortran = nfortran + 1 end
  for _, order in ipairs{"C", "F"} do
    local path = ("%s/np_%s_%s.npy"):format(dir, name, order)
    local okload, t = pcall(m1d.load_npy, path)
    local problem
    if not okload then problem = tostring(t)
    elseif t:dtype() ~= dtype then problem = "dtype " .. t:dtype()
    elseif table.concat(t:shape(), ",") ~= table.concat(want_shape, ",") then
      problem = "shape " .. table.concat(t:shape(), ",")
    else
      local got = flat(t)
      if #got ~= #want then problem = ("%d values, want %d"):format(#got, #want) end
      for i = 1, #want do
        if not problem and not same(dtype, got[i], want[i]) then
          problem = ("value %d: %s, want %s"):format(i, fmt(dtype, got[i]), fmt(dtype, want[i]))
        end
      end
    end
    n = n + 1
    T.ok(not problem, ("numpy -> m1d: %s, %s order%s"):format(name, order,
         order == "F" and fortran == "F" and " (fortran_order True)" or ""), problem)
  end
end
T.is(n, 18, "every numpy file was read (9 arrays, C and Fortran order)")
T.is(nfortran, 3, "the 2-D and 3-D arrays were written with fortran_order True")

sh("rm -rf " .. q(dir))
T.done()
