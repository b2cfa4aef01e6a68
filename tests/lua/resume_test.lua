-- resume_test.lua — a sweep killed part-way (SIGTERM) and started again finishes with the
-- same numbers as a run that was never interrupted: run files are written atomically, a
-- restart skips the finished ones, and every run seeds itself.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util
local bin = os.getenv("M1D_BIN") or "./m1d"

local dir = os.tmpname(); os.remove(dir); m1d.makedirs(dir)
local function sweep(name, extra)
  return ("%s experiments/spatial_priors.lua --quick --out %s/%s.json %s"):format(bin, dir, name, extra or "")
end
local function run_files(name)
  local p = io.popen(("ls %s/%s/runs/ 2>/dev/null"):format(dir, name))
  local files = {}
  for f in p:lines() do if f:match("%.json$") then files[#files + 1] = f end end
  p:close()
  table.sort(files)
  return files
end

-- the uninterrupted reference
T.ok(os.execute(sweep("whole") .. " > " .. dir .. "/whole.log 2>&1"), "uninterrupted sweep exits 0")
local whole = run_files("whole")
T.ok(#whole == 12, ("the quick sweep has 12 run files (%d)"):format(#whole))

-- start, wait for the first finished runs, kill, restart
local pidfile = dir .. "/pid"
os.execute(("sh -c '%s > %s/cut.log 2>&1 & echo $! > %s'"):format(sweep("cut"), dir, pidfile))
local pid = io.open(pidfile):read("l")
local t0 = m1d.clock()
while #run_files("cut") < 3 and m1d.clock() - t0 < 120 do os.execute("sleep 0.1") end
local before = #run_files("cut")
os.execute("kill -TERM " .. pid .. " 2>/dev/null; sleep 0.3")
local after_kill = #run_files("cut")
T.ok(before >= 3 and after_kill < 12, ("killed part-way (%d of 12 runs done)"):format(after_kill))
local p = io.popen(sweep("cut") .. " 2>&1")
local log = p:read("a")
p:close()
local cut = run_files("cut")
T.is(#cut, 12, "the restart finishes the missing runs")

-- same numbers, run by run
local same, compared = true, 0
for _, f in ipairs(whole) do
  local a = util.read_json(("%s/whole/runs/%s"):format(dir, f))
  local b = util.read_json(("%s/cut/runs/%s"):format(dir, f))
  local ra, rb = a.result or a, b.result or b
  if type(ra.test_acc) ~= "number" or ra.test_acc ~= rb.test_acc or ra.train_acc ~= rb.train_acc then
    same = false
  end
  compared = compared + 1
end
T.ok(same and compared == 12, ("every run's test accuracy equals the uninterrupted run's (%d compared)"):format(compared))
local A = util.read_json(dir .. "/whole.json")
local B = util.read_json(dir .. "/cut.json")
local claims_same, n = true, 0
for name, c in pairs(A.claims) do
  n = n + 1
  local d = B.claims[name]
  if not d or d.holds ~= c.holds or d.evidence ~= c.evidence then claims_same = false end
end
for name in pairs(B.claims) do if not A.claims[name] then claims_same = false end end
T.ok(claims_same and n > 0, ("the %d merged claims are identical (holds and evidence)"):format(n))
os.execute("rm -rf " .. dir)
T.done()
