-- doc_test.lua — the reference is the contract: every public name has an entry (found by
-- walking the module tables and the methods of every kind of object, not from a list kept
-- by hand), help() finds every public function and object, every entry's example runs and
-- prints what the entry says, and the README's API tour is the generated one.
-- `lua5.4 tests/lua/doc_test.lua -v` lists the names without an entry.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local doc = require "m1d.doc"
local repl = require "m1d.repl"
local verbose = arg and arg[1] == "-v"

-- ---------------------------------------------------------------- the public names
-- A name starting with '_' is internal; so is everything under m1d.core (the C module
-- the Lua library is built on).
local public, value_of = {}, {}
local function add(name, v) public[#public + 1] = name; value_of[name] = v end
local function callable(v)
  return type(v) == "function" or (type(v) == "table" and getmetatable(v) and getmetatable(v).__call ~= nil)
end
local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  return keys
end
local function walk(prefix, t)
  for _, k in ipairs(sorted_keys(t)) do
    if k:sub(1, 1) ~= "_" and callable(t[k]) then add(prefix .. "." .. k, t[k]) end
  end
end
local function methods(class, obj)
  local seen = {}
  local idx = getmetatable(obj).__methods or getmetatable(obj).__index
  while type(idx) == "table" do
    for _, k in ipairs(sorted_keys(idx)) do
      if not seen[k] and k:sub(1, 1) ~= "_" and type(idx[k]) == "function" then
        seen[k] = true
        add(class .. ":" .. k, idx[k])
      end
    end
    local mt = getmetatable(idx)
    idx = mt and mt.__index
  end
end

walk("m1d", m1d)
for _, mod in ipairs{"nn", "optim", "mnist1d", "train", "plot", "sweep", "util", "repl", "knn", "probe", "ssl"} do
  walk("m1d." .. mod, m1d[mod])
end
walk("m1d.nn.models", m1d.nn.models)
local model = m1d.nn.models.mlp()
local data = m1d.mnist1d.frozen()
local opt = m1d.optim.SGD(model:parameters(), {lr = 0.1})
local lbfgs = m1d.optim.LBFGS(model:parameters())
local fig = m1d.plot.figure{}
local proc = m1d.core.spawn{"cat"}
methods("Tensor", m1d.zeros(1))
methods("Module", model)
methods("Dataset", data)
methods("Optimizer", opt)
methods("LBFGS", lbfgs)
methods("Figure", fig)
methods("Process", proc)
proc:close()

local missing = {}
for _, n in ipairs(public) do if not doc.get(n) then missing[#missing + 1] = n end end
if verbose then T.diag("without an entry: " .. table.concat(missing, " ")) end
T.ok(#public > 200, ("%d public names found by walking the modules and objects"):format(#public))
T.is(#missing, 0, ("every public name has an entry (%d without: %s)")
     :format(#missing, table.concat(missing, " ", 1, math.min(#missing, 12)) .. (#missing > 12 and " ..." or "")))

-- entries that name nothing public are stale (a renamed or removed function)
local is_public = {}
for _, n in ipairs(public) do is_public[n] = true end
local stale = {}
for _, n in ipairs(doc.names()) do
  -- names of fields and methods, not command-line entries; m1d.core.spawn and the quiz's
  -- and generator's entries are modules the walk above does not reach, so not checked here
  local names_code = n:match("^m1d%.") or n:match("^%u%w*[:.]")
  if names_code and not is_public[n] and not n:match("^m1d%.core%.") and not n:match("^m1d%.quiz")
     and not n:match("^m1d%.gen") and n ~= "Tensor.grad" then
    local ok, v = pcall(function()
      local t = {m1d = m1d, Tensor = getmetatable(m1d.zeros(1)).__methods, Module = model,
                 Dataset = data, Optimizer = opt, LBFGS = lbfgs, Figure = fig}
      for part in n:gmatch("[^.:]+") do t = t[part] end
      return t
    end)
    if not (ok and v ~= nil) then stale[#stale + 1] = n end
  end
end
T.is(#stale, 0, "no entry documents a name that does not exist: " .. table.concat(stale, " "))

-- ---------------------------------------------------------------- help() on values
local undocumented = {}
for _, n in ipairs(public) do
  local text = repl.help_text(value_of[n])
  if text:find("not documented yet", 1, true) or text:find("^no documentation") then
    undocumented[#undocumented + 1] = n
  end
end
T.is(#undocumented, 0, "help(f) documents every public function: " .. table.concat(undocumented, " ", 1, math.min(#undocumented, 12)))
for what, obj in pairs{model = model, layer = m1d.nn.Linear(2, 3), data = data, optimizer = opt, lbfgs = lbfgs,
                       figure = fig, tensor = m1d.zeros(2)} do
  local text = repl.help_text(obj)
  T.ok(not text:find("no documentation", 1, true) and not text:find("not documented", 1, true)
       and select(2, text:gsub("\n", "")) >= 3,
       ("help(%s) says what it is and what can be called on it"):format(what), text)
end

-- ---------------------------------------------------------------- the examples
-- Each example runs in a fresh environment with the globals a script has (m1d, help),
-- print captured; with `out`, the printed text must match (trailing spaces ignored).
local function run_example(e)
  local lines = {}
  local env = setmetatable({m1d = m1d, help = repl.help}, {__index = _G})
  env.print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    lines[#lines + 1] = table.concat(parts, "\t")
  end
  env.io = setmetatable({write = function(...) for _, s in ipairs{...} do lines[#lines + 1] = tostring(s) end end},
                        {__index = io})
  local chunk, err = load(e.ex, "=" .. e.name, "t", env)
  if not chunk then return false, "does not compile: " .. err end
  m1d.manual_seed(0)
  -- the outputs were written at 80 columns; a terminal's width (the default) would rewrap
  -- them, and an example that sets print options must not leak them into the next one
  m1d.set_printoptions{profile = "default", linewidth = 80}
  local global_print = _G.print           -- library code prints through the global print too
  _G.print = env.print
  local ok, rerr = pcall(chunk)
  _G.print = global_print
  if not ok then return false, "raises: " .. tostring(rerr) end
  local got = table.concat(lines, "\n"):gsub("[ \t]+\n", "\n"):gsub("%s+$", "")
  if e.out and got ~= e.out:gsub("[ \t]+\n", "\n"):gsub("%s+$", "") then
    return false, ("prints\n%s\nexpected\n%s"):format(got, e.out)
  end
  return true
end

local with_example, bad = 0, {}
for _, n in ipairs(doc.names()) do
  local e = doc.get(n)
  if e.ex then
    with_example = with_example + 1
    local ok, why = run_example(e)
    if not ok then bad[#bad + 1] = n; T.diag(n .. ": " .. why:gsub("\n", "\n#   ")) end
  end
end
T.is(#bad, 0, ("every example runs and prints what its entry says (%d examples)"):format(with_example))
local without = {}
for _, n in ipairs(doc.names()) do
  local e = doc.get(n)
  if not e.ex then without[#without + 1] = n end
end
if verbose then T.diag("without an example: " .. table.concat(without, " ")) end
T.is(#without, 0, ("every entry has an example (%d without)"):format(#without))

-- ---------------------------------------------------------------- the README
local f = assert(io.open("README.md"))
local readme = f:read("a")
f:close()
local tour = readme:match("<!%-%- api tour: generated.-%-%->\n(.-)\n<!%-%- end of api tour %-%->")
T.ok(tour, "the README has the generated API tour between its markers")
local want, first_diff = doc.tour(), nil
if tour and tour ~= want then
  local a, b = {}, {}
  for l in (tour .. "\n"):gmatch("([^\n]*)\n") do a[#a + 1] = l end
  for l in (want .. "\n"):gmatch("([^\n]*)\n") do b[#b + 1] = l end
  for i = 1, math.max(#a, #b) do
    if a[i] ~= b[i] then first_diff = ("line %d:\n  README: %s\n  now:    %s"):format(i, a[i] or "(none)", b[i] or "(none)") break end
  end
end
T.ok(tour == want, "and it is doc.tour()'s text (regenerate: ./m1d tools/update_readme_tour.lua)", first_diff)

fig:close()
T.done()
