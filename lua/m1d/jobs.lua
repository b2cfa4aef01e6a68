-- m1d.jobs — run independent commands on every core: a small local process pool.
--
-- The sweeps already split a study into runs that a separate process can perform
-- (`script --run N`, writing its own run file); this runs those processes N at a time
-- on one machine, so `make benchmark` and every sweep use all cores by default.  GNU
-- parallel would do the same but is not installed everywhere, and the pool must also
-- stop everything at the first failure and pass the runs' output through line by line.
--
--   jobs.run({{argv = {"./m1d", "x.lua", "--run", "1"}, name = "run 1"}, ...},
--            {jobs = 2, on_line = function(task, line) print(line) end})
--
-- Children are spawned through m1d.core.spawn (stdout and stderr on one pipe; they get
-- SIGTERM if this process dies, so a killed pool leaves no orphans).  When a child exits
-- non-zero or is killed, the others are killed and an error names the failed task, how
-- it ended and the last lines it printed.  An error in on_line or an interrupt (Ctrl-C)
-- kills the children as well before it propagates.
local core = require "m1d.core"
local util = require "m1d.util"

local jobs = {}

local TAIL = 20                       -- lines of a failed task's output kept for the error

local function check_tasks(tasks)
  if type(tasks) ~= "table" then error("jobs.run: tasks must be a list of {argv = {...}, name =}", 3) end
  for i, t in ipairs(tasks) do
    if type(t) ~= "table" or type(t.argv) ~= "table" or #t.argv == 0 then
      error(("jobs.run: task %d needs argv = {program, args...}"):format(i), 3)
    end
  end
end

-- jobs.run(tasks [, {jobs = m1d.num_cores(), on_line = fn(task, line), poll_ms = 50}]) -> seconds
function jobs.run(tasks, opts)
  opts = util.check_options("jobs.run", opts, {"jobs", "on_line", "poll_ms"})
  check_tasks(tasks)
  local n = opts.jobs or core.num_cores()
  if math.type(n) ~= "integer" or n < 1 then
    error(("jobs.run: jobs must be an integer >= 1, got %s"):format(tostring(n)), 2)
  end
  local on_line = opts.on_line or function(_, line) io.write(line, "\n"); io.stdout:flush() end
  local poll_ms = opts.poll_ms or 50
  local t0 = core.clock()
  local running, next_task, finished = {}, 1, 0

  local function emit(r, line)
    r.tail[#r.tail + 1] = line
    if #r.tail > TAIL then table.remove(r.tail, 1) end
    on_line(r.task, line)
  end
  -- Everything the child has written so far, line by line; true when it has exited.
  local function drain(r, wait_ms)
    while true do
      local line, why, rest = r.proc:read_until("\n", wait_ms)
      if line then
        emit(r, r.partial .. line); r.partial = ""
        wait_ms = 1
      else
        r.partial = r.partial .. rest            -- read_until hands back a partial line
        if why == "closed" then
          if r.partial ~= "" then emit(r, r.partial); r.partial = "" end
          return true
        end
        return false
      end
    end
  end

  local function loop()
    while finished < #tasks do
      while #running < n and next_task <= #tasks do
        local t = tasks[next_task]
        running[#running + 1] = {task = t, proc = core.spawn(t.argv), tail = {}, partial = ""}
        next_task = next_task + 1
      end
      local wait = math.max(1, poll_ms // #running)
      local k = 1
      while k <= #running do
        local r = running[k]
        if drain(r, wait) then
          local code, how = r.proc:close()
          table.remove(running, k)
          finished = finished + 1
          if not (how == "exit" and code == 0) then
            error(("jobs: %s failed (%s %s); its last lines:\n%s"):format(
                  r.task.name or table.concat(r.task.argv, " "), how == "signal" and "killed by signal" or "exit",
                  tostring(code), table.concat(r.tail, "\n")), 0)
          end
        else
          k = k + 1
        end
      end
    end
  end

  local ok, err = pcall(loop)
  if not ok then
    for _, r in ipairs(running) do
      pcall(r.proc.kill, r.proc, 15)
      pcall(r.proc.close, r.proc)
    end
    error(err, 0)
  end
  return core.clock() - t0
end

return jobs
