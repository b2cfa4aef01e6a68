-- jobs_test.lua — m1d.jobs, the local process pool, and sweeps on every core (--jobs):
-- output passed through line by line, N children at once, the first failure stops
-- everything with its error, a killed parent leaves no orphans, and a sweep gives the
-- same run files, bit for bit, with --jobs 2 as with --jobs 1.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local jobs, util = m1d.jobs, m1d.util

local dir = os.tmpname(); os.remove(dir)
assert(os.execute("mkdir -m 700 " .. T.q(dir)))
local function sh(script) return {"sh", "-c", script} end

-- output line by line, named tasks, all of them run
local lines = {}
jobs.run({{argv = sh("echo a1; echo a2"), name = "a"}, {argv = sh("printf 'b1\\nno newline at the end'"), name = "b"},
          {argv = sh("echo c1"), name = "c"}},
         {jobs = 2, on_line = function(task, line) lines[#lines + 1] = task.name .. ":" .. line end})
table.sort(lines)
T.is(table.concat(lines, " "), "a:a1 a:a2 b:b1 b:no newline at the end c:c1", "every line of every task, the last partial one too")

-- two at a time: the second task runs while the first does (no timing involved: the first
-- waits, up to 20 s, for a file the second writes; one at a time it would time out).  The
-- lines' order is not checked: the parent may read the two pipes in either order.
local flag = dir .. "/flag"
local order = {}
jobs.run({{argv = sh(("echo start1; i=0; while [ ! -e %s ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done; " ..
                      "if [ -e %s ]; then echo saw-flag; else echo timed-out; fi"):format(T.q(flag), T.q(flag))), name = "1"},
          {argv = sh(("echo start2; touch %s; echo end2"):format(T.q(flag))), name = "2"}},
         {jobs = 2, on_line = function(_, line) order[#order + 1] = line end})
local pos = {}
for i, l in ipairs(order) do pos[l] = i end
T.ok(pos.start2 and pos["saw-flag"] and not pos["timed-out"], "jobs = 2: both run at once", table.concat(order, " "))

-- a failure: the error names the task, how it ended and its last lines; the others are killed
local pidfile = dir .. "/sleeper.pid"
local ok, err = pcall(jobs.run, {
  {argv = sh(("echo $$ > %s; exec sleep 30"):format(T.q(pidfile))), name = "sleeper"},
  {argv = sh(("while [ ! -s %s ]; do sleep 0.01; done; echo about to fail; exit 3"):format(T.q(pidfile))), name = "failer"},
}, {jobs = 2, on_line = function() end})
T.ok(not ok and tostring(err):find("jobs: failer failed (exit 3)", 1, true) and tostring(err):find("about to fail", 1, true),
     "a failing task: the error names it, its exit status and its output", tostring(err))
local pid = io.open(pidfile):read("l")
T.ok(not os.execute("kill -0 " .. pid .. " 2>/dev/null"), "the task still running was killed")

ok, err = pcall(jobs.run, {{argv = sh("kill -9 $$"), name = "victim"}}, {jobs = 1, on_line = function() end})
T.ok(not ok and tostring(err):find("victim failed (killed by signal 9)", 1, true), "a killed task is reported", tostring(err))

-- an error in on_line kills the children and propagates
os.remove(pidfile)
ok, err = pcall(jobs.run, {{argv = sh(("echo $$ > %s; echo hello; exec sleep 30"):format(T.q(pidfile))), name = "s"}},
                {on_line = function() error("callback broke") end})
T.ok(not ok and tostring(err):find("callback broke", 1, true), "an error in on_line propagates")
pid = io.open(pidfile):read("l")
T.ok(not os.execute("kill -0 " .. pid .. " 2>/dev/null"), "and the child is gone")

-- a parent killed with SIGKILL leaves no orphans (the children get SIGTERM: PR_SET_PDEATHSIG)
local pids = dir .. "/pids"
local parent = dir .. "/parent.lua"
local f = io.open(parent, "w")
f:write(([[
local jobs = require "m1d.jobs"
local t = {}
for i = 1, 2 do t[i] = {argv = {"sh", "-c", "echo $$ >> %s; exec sleep 30"}} end
jobs.run(t, {jobs = 2})
]]):format(pids))
f:close()
local h = io.popen(("%s %s > /dev/null 2>&1 & echo $!"):format(os.getenv("M1D_BIN") or "./m1d", T.q(parent)))
local ppid = h:read("l"); h:close()
os.execute(("for i in $(seq 500); do [ -e %s ] && [ $(wc -l < %s) -ge 2 ] && break; sleep 0.01; done"):format(T.q(pids), T.q(pids)))
os.execute("kill -9 " .. ppid)
local children = {}
for l in io.lines(pids) do children[#children + 1] = l end
os.execute(("for i in $(seq 200); do kill -0 %s 2>/dev/null || break; sleep 0.01; done"):format(children[1]))
local alive = 0
for _, c in ipairs(children) do if os.execute("kill -0 " .. c .. " 2>/dev/null") then alive = alive + 1 end end
T.ok(#children == 2 and alive == 0, "a parent killed by SIGKILL leaves no children running", ("%d children, %d alive"):format(#children, alive))

-- bad arguments
T.raises(function() jobs.run({{argv = {"true"}}}, {jobs = 0}) end, "jobs = 0 is an error", "jobs must be an integer >= 1")
T.raises(function() jobs.run({{name = "x"}}) end, "a task without argv", "task 1 needs argv")
T.raises(function() jobs.run({}, {job = 2}) end, "an unknown option", "unknown option 'job'")

-- a sweep: --jobs 2 gives the run files of --jobs 1, bit for bit; a failing run fails the command
local script = dir .. "/toy_sweep.lua"
f = io.open(script, "w")
f:write([[
local m1d = require "m1d"
m1d.sweep.main{name = "toy", argv = arg, options = {{"fail", 0, "the run that fails (0: none)"}},
  runs = function(cfg) local r = {} for i = 1, 4 do r[i] = {key = "i=" .. i, i = i, seed = 10 + i} end return r end,
  run = function(p, cfg)
    if p.i == cfg.fail then error("run " .. p.i .. " broke on purpose") end
    local x = m1d.randn(1000, "float64")
    return {sum = x:sum():item(), first = x[1]}
  end,
  merge = function(done) return {n = #done, claims = {}} end}
]])
f:close()
local bin = os.getenv("M1D_BIN") or "./m1d"
local function results(out)
  local r = {}
  for i = 1, 4 do
    local v = util.read_json(("%s/runs/i=%d.json"):format(out, i)).result
    r[i] = ("%.17g %.17g"):format(v.sum, v.first)
  end
  return table.concat(r, "|")
end
local ok1, log1 = T.sh(("%s %s --jobs 1 --out %s/one.json"):format(bin, T.q(script), T.q(dir)))
local ok2, log2 = T.sh(("%s %s --jobs 2 --out %s/two.json"):format(bin, T.q(script), T.q(dir)))
T.ok(ok1 and ok2, "the toy sweep runs with --jobs 1 and --jobs 2", log1 .. log2)
T.ok(log2:find("4 runs, 2 at a time", 1, true) and log2:find("[3/4] i=3", 1, true), "--jobs 2 runs the runs in children", log2)
T.is(results(dir .. "/two"), results(dir .. "/one"), "the same results, to the last bit")
local okf, logf = T.sh(("%s %s --jobs 2 --fail 3 --out %s/fail.json"):format(bin, T.q(script), T.q(dir)))
T.ok(not okf and logf:find("run 3 (i=3) failed", 1, true) and logf:find("broke on purpose", 1, true),
     "a failing run fails the whole command, with its error", logf)

os.execute("rm -rf " .. T.q(dir))
T.done()
