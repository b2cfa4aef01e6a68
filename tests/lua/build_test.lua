-- build_test.lua — the Makefile on a machine without the packages (issue 15): flags are
-- computed after the dependency step, so the first `make` installs the packages and
-- builds a core.so that loads into stock lua5.4 with its BLAS symbols resolved; a
-- non-root user missing packages is stopped at once with the exact apt-get line; a
-- change of flags rebuilds, no change rebuilds nothing; a core.so that cannot resolve
-- a symbol is not built.
--
-- A fake machine on PATH: `dpkg-query` says every package is missing until a marker file
-- exists, `apt-get install` creates the marker, `pkg-config` fails until it exists and
-- then runs the real one, `id -u` prints $FAKE_UID.  The build goes to a temporary B, so
-- the checkout's build/ is left alone.
local T = dofile("tests/lua/tap.lua")

local dir = os.tmpname(); os.remove(dir)
assert(os.execute("mkdir -p " .. dir .. "/bin"))
local marker, aptlog = dir .. "/packages-installed", dir .. "/apt-get.log"

local function script(name, body)
  local f = assert(io.open(dir .. "/bin/" .. name, "w"))
  f:write("#!/bin/sh\n", body, "\n")
  f:close()
  assert(os.execute("chmod +x " .. dir .. "/bin/" .. name))
end
local real_pkg_config = io.popen("command -v pkg-config"):read("l")
script("dpkg-query", ('[ -e %s ] && printf "install ok installed" || exit 1'):format(marker))
script("apt-get", ('echo "apt-get $*" >> %s; case "$*" in *install*) touch %s;; esac'):format(aptlog, marker))
script("pkg-config", ('[ -e %s ] || { echo "pkg-config (fake): no packages yet" >&2; exit 1; }; exec %s "$@"')
       :format(marker, real_pkg_config))
script("id", '[ "$1" = -u ] && echo "${FAKE_UID:-0}" || exec /usr/bin/id "$@"')

local function read(path)
  local f = io.open(path)
  if not f then return "" end
  local s = f:read("a"); f:close()
  return s
end

-- make as a user types it: nothing inherited from the `make test` that runs this test.
local B = dir .. "/build"
local function make(args, uid)
  local log = dir .. "/make.log"
  local cmd = ("env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u M1D_DEPS FAKE_UID=%d PATH=%s/bin:$PATH " ..
               "make -j2 B=%s EXE=%s/m1d %s > %s 2>&1"):format(uid or 0, dir, B, B, args, log)
  local ok = os.execute(cmd)
  return ok, read(log)
end
local function lines(out, pat) local n = 0; for l in out:gmatch("[^\n]+") do if l:find(pat, 1, true) then n = n + 1 end end; return n end
local function compiled(out) return lines(out, " -c src/") end

-- a non-root user without the packages: stopped before anything compiles
local ok, out = make("", 1000)
T.ok(not ok, "non-root, packages missing: make fails")
T.ok(out:find("run as root:  apt-get update && apt-get install -y lua5.4 liblua5.4-dev libopenblas-dev", 1, true),
     "it prints the exact apt-get line", out)
T.is(lines(out, " -c "), 0, "and compiles nothing first")
T.is(read(aptlog), "", "apt-get was not run")
ok, out = make("env", 1000)
T.ok(ok and out:find("env.sh", 1, true), "make env needs no package", out)

-- root without the packages: one make installs them, then builds with the real flags
ok, out = make("", 0)
T.ok(ok, "root, packages missing: the first make succeeds", out:sub(-3000))
T.ok(read(aptlog):find("apt-get install -y", 1, true), "it installed the packages with apt-get", read(aptlog))
T.ok(out:find("-lopenblas", 1, true), "the link flags were found after the install (-lopenblas on the link lines)")
T.ok(out:find("-z,defs", 1, true), "core.so had its check link with -z defs")

local env = ("LUA_PATH='lua/?.lua;lua/?/init.lua' LUA_CPATH='%s/lua/?.so'"):format(B)
local p = io.popen(env .. [[ lua5.4 -e 'local m = require "m1d"
  local a, b = m.ones(3, 5, "float64"), m.ones(5, 2, "float64")
  io.write(m.matmul(a, b):sum():item() + m.matmul(a:float(), b:float()):sum():item())' 2>&1]])
local got = p:read("a"); p:close()
T.is(tonumber(got), 60, "that core.so loads into stock lua5.4 and its dgemm/sgemm resolve")

-- nothing changed: nothing is rebuilt; a flag changed: everything is
ok, out = make("", 0)
T.ok(ok and compiled(out) == 0 and lines(out, "core.so") == 0, "a second make rebuilds nothing", out)
ok, out = make("OPT=-O1 " .. B .. "/obj/rng.o", 0)
T.ok(ok and compiled(out) == 1 and out:find("-O1", 1, true), "another OPT recompiles (rng.o with -O1)", out)
ok, out = make(B .. "/obj/rng.o", 0)
T.ok(ok and compiled(out) == 1 and out:find("-O2", 1, true), "and back again recompiles with -O2", out)

-- a core.so whose BLAS symbols nothing provides is never built, not even half
os.remove(B .. "/lua/m1d/core.so")
ok, out = make("BLAS_LIBS= " .. B .. "/lua/m1d/core.so", 0)
T.ok(not ok and out:find("undefined reference to `cblas_", 1, true), "without OpenBLAS the core.so link fails", out:sub(-1500))
T.ok(not io.open(B .. "/lua/m1d/core.so"), "and leaves no core.so behind")

os.execute("rm -rf " .. dir)
T.done()
