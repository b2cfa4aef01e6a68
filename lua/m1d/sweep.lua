-- m1d.sweep — experiments as lists of independent runs, for one process or many.
--
-- A sweep script declares its runs (tables of parameters, each with a unique `key` such
-- as "model=cnn,w=4"), a function that performs one run and returns a JSON-able table,
-- and a merge function that turns the finished runs into the results table, the claims
-- and the figure.  The scheduling is left to existing tools: the script lists its runs
-- or the command lines that perform them, and GNU parallel, a Slurm job array or a
-- plain shell loop runs them.  Options every sweep script accepts:
--
--   (none)            run every pending run in this process, then merge
--   --list            print "index  stage  key  done|pending"
--   --count           print the number of runs (for sbatch --array=1-N)
--   --list-commands   print one shell command per pending run (pipe into `parallel`)
--   --run N           perform run N (1-based, as --list prints it)
--   --only k=v[,k=v]  perform every run whose parameters (or key) match all the pairs
--   --stage S         with --list-commands / the default mode: only runs of stage S
--   --merge           read the run files, write <out> (JSON) and the figure
--   --force           redo runs whose result file exists
--   --jobs N          runs at once, each `script --run N` in a child process (default
--                     0: one per core, m1d.num_cores(); 1: all in this process)
--
-- Run files live in <out without .json>/runs/<key>.json, written atomically
-- (util.write_json), so a rerun skips what is done (resume after interruption) and
-- parallel writers never see half a file.  A run file also stores the run's parameters;
-- if they differ from the current ones (say, --quick results under the same --out),
-- the run counts as pending and is redone.  Runs with stage 2 may read stage-1 results
-- through ctx.load(key); schedulers run the stages one after the other.
--
--   sweep.main{name = "pooling", argv = arg, usage = "...",
--              options = {{"steps", 6000, "Adam steps per run"}, ...},   -- util.parse_args
--              configure = function(cfg) end,          -- e.g. --quick adjustments
--              runs = function(cfg) return {{key = "n=2000,model=max_pool", n = 2000, ...}} end,
--              run = function(params, cfg, ctx) return {...} end,
--              merge = function(done, cfg, ctx) return {...results, claims = {...}} end}
local m1d = require "m1d"
local util = require "m1d.util"

local sweep = {}

-- The options every sweep script takes, after the script's own (util.parse_args form).
local SWEEP_OPTIONS = {
  {"list", false, "sweep: print index, stage, key and done|pending of every run"},
  {"count", false, "sweep: print the number of runs (for sbatch --array=1-N)"},
  {"list_commands", false, "sweep: print one shell command per pending run (pipe into GNU parallel)"},
  {"run", 0, "sweep: perform run N only (1-based, as --list numbers them)"},
  {"only", "", "sweep: perform the runs whose parameters or key match k=v[,k=v]"},
  {"stage", 0, "sweep: with --list-commands or no sweep option, only runs of stage S"},
  {"merge", false, "sweep: merge the finished runs into --out and the figure"},
  {"force", false, "sweep: redo runs whose result file exists"},
  {"jobs", 0, "sweep: runs performed at once, each in its own process (0: one per core; 1: all in this process)",
   min = 0},
}
local SWEEP_OPTS = {}                       -- name -> default, to strip them from command lines
for _, o in ipairs(SWEEP_OPTIONS) do SWEEP_OPTS[o[1]] = o[2] end
local SWEEP_USAGE = [[

Without a sweep option: run every pending run here, stage by stage, then merge.]]

-- A canonical, order-independent text for a flat-ish table (parameter comparison).
local function canon(v)
  if type(v) ~= "table" then
    if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 2^53 then
      return tostring(math.tointeger(v))
    end
    return tostring(v)
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local val = v[k]
    if val == nil then val = v[tonumber(k)] end
    parts[#parts + 1] = k .. "=" .. canon(val)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end
sweep.canon = canon

local function exists(p)
  local f = io.open(p, "rb")
  if f then f:close() return true end
  return false
end
sweep.exists = exists

-- Split "a=1,b=x" into {a = "1", b = "x"}.
local function parse_pairs(s)
  local t = {}
  for pair in s:gmatch("[^,]+") do
    local k, v = pair:match("^%s*([%w_]+)%s*=%s*(.-)%s*$")
    if not k then error(("--only: '%s' is not key=value"):format(pair), 0) end
    t[k] = v
  end
  return t
end

-- A run matches when each wanted pair is one of its parameters or a pair of its key
-- (so "--only prune=magnitude,trial=1" selects the run with that key).
local function matches(params, want)
  local keyed = parse_pairs(params.key)
  for k, v in pairs(want) do
    if canon(params[k]) ~= v and keyed[k] ~= v then return false end
  end
  return true
end

-- The command-line words of the script's own options, minus the sweep options.
local function passthrough(argv)
  local out, i = {}, 1
  while i <= #argv do
    local a = argv[i]
    local name = a:match("^%-%-([%w_%-]+)$")
    name = name and name:gsub("-", "_")
    if name and SWEEP_OPTS[name] ~= nil then
      if type(SWEEP_OPTS[name]) ~= "boolean" then i = i + 1 end
    else
      out[#out + 1] = a
    end
    i = i + 1
  end
  return out
end

local function shell_quote(s)
  if s:match("^[%w%-%._/=,:+]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function fmt_s(s)
  if s >= 3600 then return ("%.1f h"):format(s / 3600) end
  if s >= 60 then return ("%.1f min"):format(s / 60) end
  return ("%.1f s"):format(s)
end
sweep.fmt_seconds = fmt_s

-- sweep.main's steps share one state table S: spec, argv, cfg, runs, seen (key -> index),
-- dir (the run files), ctx (what run and merge functions get).

-- The script's options plus the sweep's (and --out, --figure unless the script has its
-- own), parsed; then the script's configure.
local function parse_config(spec)
  local options, has = {}, {}
  for _, o in ipairs(spec.options or {}) do options[#options + 1] = o; has[o[1]] = true end
  for _, o in ipairs(SWEEP_OPTIONS) do
    if has[o[1]] then error("sweep.main: option --" .. o[1] .. " is reserved", 3) end
    options[#options + 1] = o
  end
  if not has.out then
    table.insert(options, 1, {"out", "results/" .. spec.name .. ".json", "results file (JSON); run files go to OUT/runs/"})
  end
  if not has.figure then
    table.insert(options, 2, {"figure", "", "figure file (default: --out with .png; a .pdf beside it)"})
  end
  local argv = spec.argv or {}
  local cfg = util.parse_args(argv, options, (spec.usage or "") .. SWEEP_USAGE)
  if spec.configure then spec.configure(cfg) end
  if cfg.figure == "" then cfg.figure = cfg.out:gsub("%.json$", "") .. ".png" end
  return cfg, argv
end

-- The script's runs, each with a unique key fit for a file name and a stage (default 1);
-- returns them and key -> index.
local function collect_runs(spec, cfg)
  local runs = spec.runs(cfg)
  local seen = {}
  for i, r in ipairs(runs) do
    if type(r.key) ~= "string" or r.key == "" or r.key:find("[/%s]") then
      error(("sweep %s: run %d needs a key without '/' or spaces"):format(spec.name, i), 0)
    end
    if seen[r.key] then error(("sweep %s: key '%s' appears twice"):format(spec.name, r.key), 0) end
    seen[r.key] = i
    r.stage = r.stage or 1
  end
  return runs, seen
end

local function path_of(S, r) return ("%s/%s.json"):format(S.dir, r.key) end

-- A run's file if it exists, parses and holds the run's current parameters, else nil.
local function load_file(S, r)
  local p = path_of(S, r)
  if not exists(p) then return nil end
  local ok, v = pcall(util.read_json, p)
  if not ok or type(v) ~= "table" or canon(v.params) ~= canon(r) then return nil end
  return v
end

-- What run and merge functions see: ctx.load(key) (a stage-1 result), ctx.file(key, suffix).
local function make_ctx(S, base)
  local ctx = {dir = S.dir, base = base, cfg = S.cfg, runs = S.runs}
  function ctx.load(key)
    local i = S.seen[key]
    if not i then error(("sweep %s: no run with key '%s'"):format(S.spec.name, key), 2) end
    local v = load_file(S, S.runs[i])
    if not v then
      error(("sweep %s: run '%s' (stage %d) has no result yet in %s; run that stage first")
            :format(S.spec.name, key, S.runs[i].stage, S.dir), 2)
    end
    return v.result
  end
  -- a file belonging to a run (e.g. masks as .npy): <dir>/<key>.<suffix>
  function ctx.file(key, suffix) m1d.makedirs(S.dir); return ("%s/%s.%s"):format(S.dir, key, suffix) end
  return ctx
end

-- Run i in this process (unless its file is there and --force is not), its result file written.
local function perform(S, i)
  local runs, cfg = S.runs, S.cfg
  local r = runs[i]
  if not cfg.force and load_file(S, r) then
    print(("[%d/%d] %s: done already (%s)"):format(i, #runs, r.key, path_of(S, r)))
    return
  end
  print(("[%d/%d] %s ..."):format(i, #runs, r.key))
  io.stdout:flush()
  m1d.manual_seed(r.seed or 0)
  local t0, c0 = m1d.clock(), os.clock()
  local result = S.spec.run(r, cfg, S.ctx)
  local dt, cpu = m1d.clock() - t0, os.clock() - c0
  util.write_json(path_of(S, r), {experiment = S.spec.name, key = r.key, index = i, params = r,
                                  seconds = dt, cpu_seconds = cpu, result = result, version = m1d.version,
                                  threads = m1d.get_num_threads(), finished = os.date("!%Y-%m-%dT%H:%M:%SZ")})
  print(("[%d/%d] %s: %s (%s CPU)"):format(i, #runs, r.key, fmt_s(dt), fmt_s(cpu)))
  io.stdout:flush()
  collectgarbage()
end

local function print_claims(claims)
  local names = {}
  for k in pairs(claims) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local c = claims[k]
    local verdict = c.measured == false and "n/a   " or (c.holds and "HOLDS " or "FAILS ")
    print(("claim %-30s %s %s"):format(k, verdict, c.evidence or ""))
    if c.criterion then print(("      %-30s criterion: %s"):format("", c.criterion)) end
  end
end

-- The finished runs through the script's merge, with the bookkeeping fields, into --out.
local function merge(S)
  local runs, cfg, ctx = S.runs, S.cfg, S.ctx
  local done, missing, run_seconds, cpu_seconds = {}, {}, 0, 0
  for i, r in ipairs(runs) do
    local v = load_file(S, r)
    if v then
      done[#done + 1] = {key = r.key, index = i, params = r, result = v.result, seconds = v.seconds,
                         cpu_seconds = v.cpu_seconds}
      run_seconds = run_seconds + (v.seconds or 0)
      cpu_seconds = cpu_seconds + (v.cpu_seconds or 0)
    else
      missing[#missing + 1] = r.key
    end
  end
  ctx.missing = missing
  ctx.by_key = {}
  for _, d in ipairs(done) do ctx.by_key[d.key] = d end
  local out = S.spec.merge(done, cfg, ctx) or {}
  out.experiment = out.experiment or S.spec.name
  out.args = cfg
  out.version = m1d.version
  out.runs_total, out.runs_done = #runs, #done
  out.complete = #missing == 0
  out.missing = missing
  out.run_seconds, out.run_cpu_seconds = run_seconds, cpu_seconds
  out.claims = out.claims or {}
  out.run_files = S.dir
  util.write_json(cfg.out, out)
  print(("wrote %s (%d/%d runs%s; %s of run time, %s CPU)"):format(cfg.out, #done, #runs,
        #missing > 0 and (", " .. #missing .. " missing") or "", fmt_s(run_seconds), fmt_s(cpu_seconds)))
  print_claims(out.claims)
  return out
end

local function list_runs(S)
  for i, r in ipairs(S.runs) do
    print(("%4d  stage %d  %-40s %s"):format(i, r.stage, r.key, load_file(S, r) and "done" or "pending"))
  end
end

-- The program and script that re-run this sweep (`script --run N` lines, child processes).
local function self_command(S)
  return arg and arg[-1] or "./m1d", arg and arg[0] or ("experiments/" .. S.spec.name .. ".lua")
end

local function list_commands(S)
  local cfg = S.cfg
  local prog, script = self_command(S)
  local extra = {}
  for _, a in ipairs(passthrough(S.argv)) do extra[#extra + 1] = shell_quote(a) end
  local tail = #extra > 0 and (" " .. table.concat(extra, " ")) or ""
  for i, r in ipairs(S.runs) do
    if (cfg.stage == 0 or r.stage == cfg.stage) and (cfg.force or not load_file(S, r)) then
      print(("%s %s --run %d%s"):format(prog, script, i, tail))
    end
  end
end

local function run_numbered(S)
  local i = math.tointeger(S.cfg.run)
  if not i or i < 1 or i > #S.runs then
    error(("--run %s: runs are numbered 1..%d (see --list)"):format(tostring(S.cfg.run), #S.runs), 0)
  end
  perform(S, i)
end

local function run_matching(S)
  local want, n = parse_pairs(S.cfg.only), 0
  for i, r in ipairs(S.runs) do
    if matches(r, want) then perform(S, i); n = n + 1 end
  end
  if n == 0 then error(("--only %s matches no run (see --list)"):format(S.cfg.only), 0) end
end

-- The pending runs of one stage as `script --run N` children, njobs at a time (m1d.jobs).
local function run_in_children(S, s, pending, njobs)
  local prog, script = self_command(S)
  local extra = passthrough(S.argv)
  local tasks = {}
  for _, i in ipairs(pending) do
    local argv_i = {prog, script, "--run", tostring(i)}
    for _, a in ipairs(extra) do argv_i[#argv_i + 1] = a end
    if S.cfg.force then argv_i[#argv_i + 1] = "--force" end
    tasks[#tasks + 1] = {argv = argv_i, name = ("run %d (%s)"):format(i, S.runs[i].key)}
  end
  print(("stage %d: %d runs, %d at a time"):format(s, #tasks, math.min(njobs, #tasks)))
  io.stdout:flush()
  require("m1d.jobs").run(tasks, {jobs = njobs})
end

-- Everything here, stage by stage, then merge; with more than one job, each pending run is
-- `script --run N` in a child process (m1d.jobs), so the results are the same run files,
-- bit for bit, as in one process.
local function run_all(S)
  local runs, cfg = S.runs, S.cfg
  local t0 = m1d.clock()
  local maxstage = 1
  for _, r in ipairs(runs) do maxstage = math.max(maxstage, r.stage) end
  local njobs = cfg.jobs == 0 and m1d.num_cores() or cfg.jobs
  for s = 1, maxstage do
    if cfg.stage == 0 or cfg.stage == s then
      local pending = {}
      for i, r in ipairs(runs) do
        if r.stage == s then
          if cfg.force or not load_file(S, r) then pending[#pending + 1] = i else perform(S, i) end
        end
      end
      if njobs > 1 and #pending > 1 then run_in_children(S, s, pending, njobs)
      else for _, i in ipairs(pending) do perform(S, i) end end
    end
  end
  print(("all runs: %s wall"):format(fmt_s(m1d.clock() - t0)))
  return merge(S)
end

function sweep.main(spec)
  util.check_options("sweep.main", spec, {"name", "argv", "options", "usage", "configure", "runs", "run", "merge"})
  assert(spec.name and spec.runs and spec.run and spec.merge, "sweep.main: needs name, runs, run, merge")
  local cfg, argv = parse_config(spec)
  local base = cfg.out:gsub("%.json$", "")
  local S = {spec = spec, cfg = cfg, argv = argv, dir = base .. "/runs"}
  S.runs, S.seen = collect_runs(spec, cfg)
  S.ctx = make_ctx(S, base)
  if cfg.count then print(#S.runs) return end
  if cfg.list then return list_runs(S) end
  if cfg.list_commands then return list_commands(S) end
  if cfg.run ~= 0 then return run_numbered(S) end
  if cfg.only ~= "" then return run_matching(S) end
  if cfg.merge then return merge(S) end
  return run_all(S)
end

-- ---------------------------------------------------------------- small helpers for merges

-- A claim entry: holds (boolean) with the evidence (format string and values).
function sweep.claim(holds, fmt, ...)
  return {holds = holds and true or false, evidence = fmt:format(...)}
end

-- sweep.by_seed(items, fn) -> {values, ...}: the per-seed value tables seed_claim takes.
-- fn(item) -> key, value (or nil to skip); item.params.seed (runs) or item.seed gives its
-- seed; seeds in order of first appearance.
function sweep.by_seed(items, fn)
  local out, index = {}, {}
  for _, it in ipairs(items) do
    local k, v = fn(it)
    if k ~= nil then
      local s = (it.params and it.params.seed) or it.seed or 0
      if not index[s] then out[#out + 1] = {}; index[s] = #out end
      out[index[s]][k] = v
    end
  end
  return out
end

-- sweep.seed_claim{criterion =, per_seed = {values, ...}, [keys = {...},] test = fn(values) -> holds, evidence}
-- A claim decided over seeds: values are the numbers one seed measured ({cnn = 93.5, ...});
-- with keys, only those are used and a seed lacking one is left out, otherwise a seed
-- lacking a key that another has is (its runs are missing).  The claim is decided by
-- test on the seed means; test also runs on each seed, and the evidence ends "holds in k
-- of n seeds".  criterion states the test and its tolerance in words.
function sweep.seed_claim(spec)
  util.check_options("sweep.seed_claim", spec, {"criterion", "per_seed", "keys", "test"})
  if type(spec.criterion) ~= "string" or type(spec.test) ~= "function" or type(spec.per_seed) ~= "table" then
    error("sweep.seed_claim: needs criterion (text), per_seed (a list of value tables) and test (a function)", 2)
  end
  local keys = {}
  if spec.keys then for _, k in ipairs(spec.keys) do keys[k] = true end
  else for _, v in ipairs(spec.per_seed) do for k in pairs(v) do keys[k] = true end end end
  local seeds = {}
  for _, v in ipairs(spec.per_seed) do
    local complete, picked = true, {}
    for k in pairs(keys) do
      if v[k] == nil then complete = false end
      picked[k] = v[k]
    end
    if complete then seeds[#seeds + 1] = picked end
  end
  if #seeds == 0 then
    local c = sweep.unmeasured("no seed has all the runs this claim needs")
    c.criterion = spec.criterion
    return c
  end
  local means = {}
  for k in pairs(keys) do
    local xs = {}
    for i, v in ipairs(seeds) do xs[i] = v[k] end
    means[k] = util.mean(xs)
  end
  local holds, evidence = spec.test(means)
  local n_hold, each = 0, {}
  for i, v in ipairs(seeds) do
    each[i] = spec.test(v) and true or false
    if each[i] then n_hold = n_hold + 1 end
  end
  return {holds = holds and true or false, measured = true, criterion = spec.criterion, means = means,
          evidence = ("%s; holds in %d of %d seed%s"):format(evidence, n_hold, #seeds, #seeds == 1 and "" or "s"),
          seeds = #seeds, holds_in = n_hold, per_seed = each}
end

-- A claim that could not be evaluated because runs are missing.
function sweep.unmeasured(why)
  return {holds = false, measured = false, evidence = "not measured: " .. why}
end

-- The largest interior bump of a curve: the index j (not the first or last) whose value
-- rises most above both the minimum before it and the minimum after it, and that rise
-- (min of the two); nil, 0 when no point rises above both sides.  The double-descent
-- studies' test-error peak.
function sweep.interior_peak(ys)
  local best, bi = 0, nil
  for j = 2, #ys - 1 do
    local before, after = math.huge, math.huge
    for i = 1, j - 1 do before = math.min(before, ys[i]) end
    for k = j + 1, #ys do after = math.min(after, ys[k]) end
    local h = math.min(ys[j] - before, ys[j] - after)
    if h > best then best, bi = h, j end
  end
  return bi, best
end

-- Centred moving average with window k (shrinks at the ends).
function sweep.smooth(ys, k)
  local out, h = {}, k // 2
  for i = 1, #ys do
    local s, n = 0, 0
    for j = math.max(1, i - h), math.min(#ys, i + h) do s = s + ys[j]; n = n + 1 end
    out[i] = s / n
  end
  return out
end

-- Print a table: header list and rows of values (numbers formatted with fmt).
function sweep.print_table(header, rows, fmt)
  fmt = fmt or "%8.1f"
  local function width(s) return utf8.len(s) or #s end   -- characters, so "±" counts once
  local function pad(s, n) return (" "):rep(n - width(s)) .. s end
  local w = {}
  for j, h in ipairs(header) do w[j] = math.max(width(h), 8) end
  for _, row in ipairs(rows) do                   -- a long name widens its column
    for j = 1, #header do
      if type(row[j]) == "string" then w[j] = math.max(w[j], width(row[j])) end
    end
  end
  local function cell(v, j)
    local s
    if math.type(v) == "integer" then s = tostring(v)
    elseif type(v) == "number" then s = fmt:format(v)
    else s = tostring(v == nil and "-" or v) end
    return pad(s, w[j])
  end
  local line = {}
  for j, h in ipairs(header) do line[j] = pad(h, w[j]) end
  print(table.concat(line, " "))
  for _, row in ipairs(rows) do
    local l = {}
    for j = 1, #header do l[j] = cell(row[j], j) end
    print(table.concat(l, " "))
  end
end

return sweep
