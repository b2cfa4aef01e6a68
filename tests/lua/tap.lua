-- tap.lua — a minimal TAP producer for the Lua tests (run by prove through tests/run),
-- and the few helpers several tests share (a shell command, a gradient check to second
-- order).  Written by hand because Debian 12's busted is packaged for Lua 5.1 only; it is
-- about 90 lines and has no dependencies.
local T = {n = 0, failed = 0}

local function report(ok, name, detail)
  T.n = T.n + 1
  if not ok then T.failed = T.failed + 1 end
  io.write(ok and "ok " or "not ok ", T.n, " - ", name or "", "\n")
  if not ok and detail then
    for line in tostring(detail):gmatch("[^\n]+") do io.write("#   ", line, "\n") end
  end
  return ok
end

function T.ok(cond, name, detail) return report(not not cond, name, detail) end

function T.is(got, want, name)
  return report(got == want, name, ("got %s, want %s"):format(tostring(got), tostring(want)))
end

-- |got - want| <= tol (numbers)
function T.close(got, want, tol, name)
  local ok = type(got) == "number" and math.abs(got - want) <= tol
  return report(ok, name, ("got %s, want %s (tol %g)"):format(tostring(got), tostring(want), tol))
end

-- fn() must raise an error whose message contains every plain substring given
function T.raises(fn, name, ...)
  local ok, err = pcall(fn)
  if ok then return report(false, name, "no error raised") end
  err = tostring(err)
  for _, s in ipairs({...}) do
    if not err:find(s, 1, true) then
      return report(false, name, ("error %q does not contain %q"):format(err, s))
    end
  end
  return report(true, name)
end

-- fn() must not raise
function T.lives(fn, name)
  local ok, err = pcall(fn)
  return report(ok, name, err)
end

-- Width and height of the PNG file at path, or nil if it is missing or not a PNG
-- (the signature, then the IHDR chunk's big-endian size fields).
function T.png_size(path)
  local f = io.open(path, "rb")
  local head = f and f:read(24)
  if f then f:close() end
  if not head or #head < 24 or head:sub(1, 8) ~= "\137PNG\r\n\26\n" then return nil end
  return string.unpack(">I4", head, 17), string.unpack(">I4", head, 21)
end

-- Run a shell command: true when it exits 0, and its stdout and stderr together.
function T.sh(cmd)
  local p = io.popen(cmd .. " 2>&1; echo \"rc=$?\"")
  local out = p:read("a"); p:close()
  local rc = tonumber(out:match("rc=(%d+)\n$"))
  return rc == 0, (out:gsub("rc=%d+\n$", ""))
end

-- s quoted for the shell
function T.q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- fn checked against central differences to first and second order (m1d.check, float64
-- inputs), a test line each; opts go to both checks.
function T.grad_orders(name, fn, inputs, opts)
  local check = require "m1d.check"
  local ok, msg = check.gradcheck(fn, inputs, opts)
  T.ok(ok, name .. ": gradient", msg)
  ok, msg = check.gradgradcheck(fn, inputs, opts)
  T.ok(ok, name .. ": second order", msg)
end

function T.diag(...) io.write("# ", table.concat({...}, " "), "\n") end

-- Call at the end: prints the plan and sets the exit status.
function T.done()
  io.write("1..", T.n, "\n")
  os.exit(T.failed == 0 and 0 or 1)
end

return T
