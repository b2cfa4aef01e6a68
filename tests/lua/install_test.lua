-- install_test.lua — `make install` and `make uninstall` (issue 21).  Into a temporary
-- PREFIX: install prints the LUA_PATH/LUA_CPATH lines, and stock lua5.4 with exactly
-- those requires m1d from the prefix (not this checkout) and loads the frozen dataset
-- installed there; the installed m1d program runs `-e`; uninstall leaves no file and no
-- m1d directory.  With DESTDIR: the files are staged under DESTDIR$(PREFIX), the note
-- names the final paths, and uninstall with the same DESTDIR removes them.  A file that
-- install did not write is left and named.  PREFIX=/usr/local needs no settings on
-- Debian (lua5.4's default package.path/cpath), and the note says so.
-- Runs `make install` in this checkout: under `make test` everything is already built.
local T = dofile("tests/lua/tap.lua")

local sh = T.sh
local q = T.q
local function plain(s) return (s:gsub("%p", "%%%0")) end

-- make and lua5.4 as a user runs them: nothing of `make test` or env.sh leaks in
local clean_env = "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u M1D_DEPS -u LUA_PATH -u LUA_CPATH " ..
                  "-u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u M1D_MNIST1D_DIR"
local function make(args) return sh(("%s make --no-print-directory %s"):format(clean_env, args)) end

local dir = os.tmpname(); os.remove(dir)
local prefix = dir .. "/prefix"
assert(sh("mkdir -p " .. q(dir)))

-- 1. PREFIX
local ok, out = make("install PREFIX=" .. q(prefix))
T.ok(ok, "make install PREFIX=tmp succeeds", out)
local lp = out:match('export LUA_PATH="([^"]*)"')
local lcp = out:match('export LUA_CPATH="([^"]*)"')
T.is(lp, ("%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua;;"):format(prefix, prefix), "it prints LUA_PATH for the prefix")
T.is(lcp, ("%s/lib/lua/5.4/?.so;;"):format(prefix), "it prints LUA_CPATH for the prefix")

local code = [[
local m1d = require "m1d"
local p = m1d.tensor{{1, 2}, {3, 4}}:matmul(m1d.ones(2, 1))
local d = m1d.mnist1d.frozen()
print(p[1][1], p[2][1], d.x:size(1), d.x_test:size(1))
print(package.searchpath("m1d", package.path))
print(package.searchpath("m1d.core", package.cpath))
print(d.source)]]
ok, out = sh(("cd %s && %s LUA_PATH=%s LUA_CPATH=%s lua5.4 -e %s"):format(q(dir), clean_env,
             q(lp or ""), q(lcp or ""), q(code)))
T.ok(ok and out:find("^3.0\t7.0\t4000\t1000\n"), "stock lua5.4 with the printed paths: require, matmul, frozen()", out)
T.ok(out:find("\n" .. plain(prefix) .. "/share/lua/5.4/m1d/init.lua\n"), "m1d comes from the prefix", out)
T.ok(out:find("\n" .. plain(prefix) .. "/lib/lua/5.4/m1d/core.so\n"), "m1d.core comes from the prefix", out)
T.ok(out:find("\n" .. plain(prefix) .. "/share/m1d/mnist1d\n"), "the dataset comes from the prefix", out)

ok, out = sh(("cd %s && %s %s/bin/m1d -e %s"):format(q(dir), clean_env, q(prefix),
             q("print(m1d.mnist1d.frozen().y:size(1), package.searchpath('m1d', package.path))")))
T.ok(ok and out:find("^4000\t" .. plain(prefix) .. "/share/lua/5.4/m1d/init.lua"),
     "the installed m1d -e runs with the installed library and dataset", out)

ok, out = make("uninstall PREFIX=" .. q(prefix))
T.ok(ok, "make uninstall PREFIX=tmp succeeds", out)
local _, files = sh(("find %s -type f -o -type l"):format(q(prefix)))
T.is(files, "", "no file is left under the prefix")
local _, m1ddirs = sh(("find %s -name '*m1d*'"):format(q(prefix)))
T.is(m1ddirs, "", "no m1d directory is left")

-- 2. DESTDIR: staged for /opt/m1d-test, the note shows the final paths
local stage = dir .. "/stage"
ok, out = make(("install DESTDIR=%s PREFIX=/opt/m1d-test"):format(q(stage)))
T.ok(ok, "make install DESTDIR=tmp PREFIX=/opt/m1d-test succeeds", out)
T.ok(out:find('export LUA_PATH="/opt/m1d-test/share/lua/5.4/?.lua;', 1, true)
     and out:find("staged under DESTDIR=", 1, true), "the note names the final paths and the staging", out)
ok = sh(("test -f %s/opt/m1d-test/lib/lua/5.4/m1d/core.so && test -f %s/opt/m1d-test/share/m1d/mnist1d/x.npy " ..
         "&& test -x %s/opt/m1d-test/bin/m1d"):format(q(stage), q(stage), q(stage)))
T.ok(ok, "the files are under DESTDIR/PREFIX")
-- a file install did not write (an older version's module, say) is left and named
sh(("touch %s/opt/m1d-test/share/lua/5.4/m1d/old.lua"):format(q(stage)))
ok, out = make(("uninstall DESTDIR=%s PREFIX=/opt/m1d-test"):format(q(stage)))
T.ok(ok and out:find("left " .. plain(stage) .. "/opt/m1d%-test/share/lua/5.4/m1d %(files install did not write: old.lua"),
     "make uninstall DESTDIR=...: a file it did not install is left and named", out)
sh(("rm %s/opt/m1d-test/share/lua/5.4/m1d/old.lua"):format(q(stage)))
ok, out = make(("uninstall DESTDIR=%s PREFIX=/opt/m1d-test"):format(q(stage)))
local _, left = sh(("find %s -type f -o -name '*m1d*' -a ! -name m1d-test"):format(q(stage)))
T.ok(ok and left == "", "then nothing of m1d is left under DESTDIR", out .. left)

-- 3. /usr/local: on lua5.4's default paths (Debian), so the note asks for nothing
ok, out = sh(clean_env .. " sh tools/install-note.sh /usr/local/share/lua/5.4 /usr/local/lib/lua/5.4 /usr/local/bin")
T.ok(ok and out:find("with no settings", 1, true) and not out:find("LUA_PATH", 1, true),
     "PREFIX=/usr/local: the note says lua5.4 needs no settings", out)

sh("rm -rf " .. q(dir))
T.done()
