-- proc_test.lua — m1d.core.spawn: the two-way process pipe plot.lua drives gnuplot with.
local T = dofile("tests/lua/tap.lua")
local core = require "m1d.core"

T.ok(type(core.spawn) == "function", "core.spawn exists")

-- round trip through cat
local p = core.spawn{"cat"}
T.ok(tostring(p):find("m1d.Process 'cat' pid", 1, true), "tostring names the program", tostring(p))
p:write("hello ", "world\n", "MARK\n")
T.is(p:read_until("MARK", 2000), "hello world\n", "read_until returns the text before the marker")
T.is(p:read_available(), "", "the marker and its newline were consumed")
-- a large write while the child writes back: must not deadlock
local big = string.rep("0123456789abcdef", 1 << 16)          -- 1 MiB, >> a pipe buffer
p:write(big, "END")
local got = p:read_until("END", 5000)
T.is(got and #got, #big, "1 MiB echoed back without deadlock")
local code, how = p:close()
T.ok(code == 0 and how == "exit", "close: exit status 0", tostring(code) .. " " .. tostring(how))
local code2 = p:close()
T.is(code2, 0, "close again returns the cached status")
T.raises(function() p:write("x") end, "write after close", "input is closed")

-- timeout and end of output
local q = core.spawn{"sh", "-c", "printf partial; sleep 5"}
local none, why, so_far = q:read_until("never", 200)
T.ok(none == nil and why == "timeout" and so_far == "partial", "read_until times out with what it read",
     tostring(why) .. " " .. tostring(so_far))
q:kill(9)
local c, h = q:close()
T.ok(h == "signal" and c == 9, "killed child reports the signal", tostring(c) .. " " .. tostring(h))

local r = core.spawn{"sh", "-c", "echo out; echo err >&2; exit 3"}
local _, why2, text = r:read_until("never", 5000)
T.ok(why2 == "closed" and text:find("out", 1, true) and text:find("err", 1, true),
     "stdout and stderr share the pipe; EOF is reported as closed", text)
T.is(r:close(), 3, "exit code 3")

-- writing to a child that has exited raises an error, not SIGPIPE
local d = core.spawn{"sh", "-c", "exit 0"}
local t0 = os.clock()
while d:alive() and os.clock() - t0 < 2 do end
T.raises(function() for _ = 1, 100 do d:write(string.rep("x", 65536)) end end,
         "writing to a dead child raises", "has exited (broken pipe)")
d:close()

-- exec failure is reported with errno's text
T.raises(function() core.spawn{"m1d-no-such-program-xyz"} end, "missing program",
         "cannot run 'm1d-no-such-program-xyz'", "No such file or directory")
T.raises(function() core.spawn{} end, "empty argv", "at least the program name")
T.raises(function() core.spawn("cat") end, "argv must be a table", "table expected")

-- numbers in argv are converted; <close> releases
do
  local e <close> = core.spawn{"sh", "-c", "echo $0", 42}
  T.is(e:read_until("\n", 2000), "42", "numeric argv entries are passed as strings")
end
local s = core.spawn({"sh", "-c", "echo hidden >&2; echo shown"}, {stderr = "null"})
local _, _, out = s:read_until("never", 3000)
T.is(out, "shown\n", "stderr = 'null' discards the child's stderr")
s:close()

-- the parent's pipe ends are close-on-exec: a second child does not hold the first's stdin
local c1 = core.spawn{"cat"}
local c2 = core.spawn{"sleep", "3"}
local t1 = os.time()
c1:close()                       -- cat sees EOF at once only if sleep did not inherit its stdin
T.ok(os.time() - t1 < 2, "closing one child does not wait for another (close-on-exec)")
c2:kill(9)
c2:close()

T.done()
