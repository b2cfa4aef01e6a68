-- tap.lua — a minimal TAP producer for the Lua tests (run by prove through tests/run).
-- Written by hand because Debian 12's busted is packaged for Lua 5.1 only; this is
-- 60 lines and has no dependencies.
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

function T.diag(...) io.write("# ", table.concat({...}, " "), "\n") end

-- Call at the end: prints the plan and sets the exit status.
function T.done()
  io.write("1..", T.n, "\n")
  os.exit(T.failed == 0 and 0 or 1)
end

return T
