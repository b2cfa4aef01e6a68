-- luarocks_test.lua — `luarocks make rockspec/m1d-scm-1.rockspec --tree DIR` installs a
-- working m1d (issue 21): stock lua5.4 with `luarocks path --tree DIR` requires m1d from
-- the tree (not from this checkout), multiplies matrices and loads the frozen dataset
-- from the tree; the m1d program deployed to DIR/bin runs; `luarocks remove` takes all
-- of it, dataset included.  Skipped when luarocks is not installed (it is not one of
-- the packages `make` needs).  Nothing is downloaded: the rock has no dependency but
-- lua, which the VM provides, and --only-server points at an empty directory.
--
-- It works on a copy of the checkout (sources, build/ and ./m1d with their time stamps),
-- so this checkout's build/ is never rebuilt under the other tests; the copy is built
-- with the CC and CFLAGS recorded in build/flags, so nothing is recompiled either.
local T = dofile("tests/lua/tap.lua")

local sh = T.sh
local q = T.q

if not sh("command -v luarocks") then
  io.write("1..0 # SKIP luarocks is not installed (apt-get install luarocks)\n")
  os.exit(0)
end
local ok54 = sh("luarocks --lua-version 5.4 config lua_version")
if not ok54 then
  io.write("1..0 # SKIP this luarocks does not support --lua-version 5.4\n")
  os.exit(0)
end

if not (io.open("build/flags") and io.open("m1d")) then
  io.write("1..0 # SKIP needs the normal build (build/ and ./m1d: run make)\n")
  os.exit(0)
end

-- luarocks runs `make` then `make install`, with each pass's own variables; install
-- depends on all, so a CFLAGS missing from one pass rebuilds everything (build/flags
-- changed).  The test below passes CC and CFLAGS on the command line, which reaches
-- both passes and would hide that, hence this check of the rockspec itself.
local spec = {}
assert(loadfile("rockspec/m1d-scm-1.rockspec", "t", spec))()
T.is(spec.build.install_variables.CFLAGS, spec.build.build_variables.CFLAGS,
     "the rockspec passes the same CFLAGS to make and to make install")

local dir = os.tmpname(); os.remove(dir)
local src, tree, empty = dir .. "/src", dir .. "/tree", dir .. "/no-server"
assert(sh("mkdir -p " .. q(src) .. " " .. q(empty)))
assert(sh(("cp -a Makefile src lua vendor tools rockspec build m1d %s/"):format(q(src))))

-- build/flags starts with "$(CC) $(CFLAGS) " where CFLAGS ends with the Makefile's own
-- " -std=c99 ..."; passing the same CC and leading CFLAGS keeps the copy up to date.
local f = assert(io.open("build/flags")); local flags = f:read("l"); f:close()
local cc, user_cflags = flags:match("^(%S+) (.-) ?%-std=c99 ")
local vars = cc and ("CC=%s CFLAGS=%s"):format(q(cc), q(user_cflags)) or ""

-- a luarocks as a user runs it: nothing from `make test` (MAKEFLAGS, the checkout's
-- LUA_PATH) leaks in
local clean_env = "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u M1D_DEPS -u LUA_PATH -u LUA_CPATH " ..
                  "-u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u M1D_MNIST1D_DIR"
local ok, out = sh(("cd %s && %s luarocks --lua-version 5.4 make rockspec/m1d-scm-1.rockspec " ..
                    "--tree %s --only-server %s %s"):format(q(src), clean_env, q(tree), q(empty), vars))
T.ok(ok, "luarocks make rockspec/m1d-scm-1.rockspec --tree DIR succeeds", out)
T.ok(not out:find(" -c src/", 1, true), "the copy was up to date: nothing recompiled", out)
T.ok(not out:find("Warning", 1, true), "luarocks prints no warning", out)

local _, paths = sh(("%s luarocks --lua-version 5.4 path --tree %s"):format(clean_env, q(tree)))
local script = dir .. "/use.lua"
f = assert(io.open(script, "w"))
f:write([[
local m1d = require "m1d"
local a = m1d.tensor{{1, 2}, {3, 4}}
local p = a:matmul(m1d.ones(2, 1))
print("matmul", p[1][1], p[2][1])
local d = m1d.mnist1d.frozen()
print("frozen", d.x:size(1), d.x_test:size(1), d.x:size(2))
print("module", package.searchpath("m1d", package.path))
print("core", package.searchpath("m1d.core", package.cpath))
print("data", d.source)
]])
f:close()
ok, out = sh(("cd %s && %s sh -c %s"):format(q(dir), clean_env,
             q(paths .. "\nlua5.4 " .. q(script))))
T.ok(ok, "stock lua5.4 with `luarocks path --tree DIR` runs require \"m1d\"", out)
T.ok(out:find("matmul\t3.0\t7.0", 1, true), "a matmul gives [[3], [7]]", out)
T.ok(out:find("frozen\t4000\t1000\t40", 1, true), "m1d.mnist1d.frozen() loads the 4000/1000 split", out)
local function under_tree(what)
  local p = out:match(what .. "\t([^\n]*)")
  return p and p:sub(1, #tree + 1) == tree .. "/"
end
T.ok(under_tree("module"), "m1d is loaded from the tree", out)
T.ok(under_tree("core"), "m1d.core is loaded from the tree", out)
T.ok(under_tree("data"), "the frozen dataset is read from the tree", out)

ok, out = sh(("cd %s && %s %s/bin/m1d -e %s"):format(q(dir), clean_env, q(tree),
             q("print(m1d.mnist1d.frozen().y:size(1), package.searchpath('m1d', package.path))")))
T.ok(ok and out:find("^4000\t" .. tree:gsub("%p", "%%%0") .. "/share/lua/5.4/m1d/init.lua"),
     "the deployed m1d program runs with the tree's library and dataset", out)

ok, out = sh(("%s luarocks --lua-version 5.4 remove m1d --tree %s"):format(clean_env, q(tree)))
T.ok(ok, "luarocks remove m1d succeeds", out)
local _, left = sh(("find %s -name '*m1d*' -o -name '*.npy'"):format(q(tree)))
T.is(left, "", "nothing of m1d is left in the tree")

sh("rm -rf " .. q(dir))
T.done()
