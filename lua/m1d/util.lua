-- m1d.util — small helpers the experiments share: JSON files (through Debian's
-- lua-cjson, written atomically), command-line options, result paths.
local m1d = require "m1d"

local util = {}

-- A Lua module from a Debian package, required on first use (so that m1d loads without
-- it), with the apt-get line when it is missing.
local function from_package(module, package, what)
  local ok, mod = pcall(require, module)
  if not ok then
    error(("m1d.util: the Lua %s module is missing: install the Debian package %s (apt-get install %s)")
          :format(what, package, package), 4)
  end
  return mod
end

local cjson
local function json()
  if not cjson then
    cjson = from_package("cjson", "lua-cjson", "JSON").new()
    cjson.encode_number_precision(14)          -- the most lua-cjson 2.1 allows; results need no more
    cjson.encode_sparse_array(true)
    cjson.encode_invalid_numbers(true)          -- NaN/Inf are written, not an error
  end
  return cjson
end

-- lua-cjson writes NaN and the infinities as nan, inf and -inf, which only lua-cjson reads:
-- a results file with a diverged loss in it would be unreadable from Python.  They become
-- NaN, Infinity and -Infinity, what Python's json module writes and reads (lua-cjson reads
-- them too).  Outside strings these words can only be such numbers, so each stretch
-- between strings is rewritten and every string is copied as it is.
local function readable_invalid_numbers(s)
  if not (s:find("nan", 1, true) or s:find("inf", 1, true)) then return s end
  local out, pos = {}, 1
  while pos <= #s do
    local q = s:find('"', pos, true) or #s + 1
    out[#out + 1] = s:sub(pos, q - 1):gsub("%-?nan", "NaN"):gsub("inf", "Infinity")
    if q > #s then break end
    local e = q + 1                               -- the string's closing quote (skipping escapes)
    while true do
      local c = s:find('["\\]', e)
      if not c then e = #s; break end
      if s:sub(c, c) == "\\" then e = c + 2 else e = c; break end
    end
    out[#out + 1] = s:sub(q, e)
    pos = e + 1
  end
  return table.concat(out)
end

function util.json_encode(v) return readable_invalid_numbers(json().encode(v)) end
function util.json_decode(s) return json().decode(s) end

-- Write `text` to `path` atomically (a temporary file in the same directory, fsync,
-- rename; src/atomicfile.c), so a reader or a resumed sweep never sees half a file.
function util.write_atomic(path, text)
  local dir = path:match("^(.*)/[^/]*$")
  if dir then m1d.makedirs(dir) end
  m1d.core.write_file(path, text)
end

function util.write_json(path, v) util.write_atomic(path, util.json_encode(v) .. "\n") end

function util.read_json(path)
  local f, err = io.open(path, "rb")
  if not f then error(("cannot read %s: %s"):format(path, err), 2) end
  local s = f:read("a")
  f:close()
  local ok, v = pcall(util.json_decode, s)
  if not ok then error(("%s: not valid JSON (%s)"):format(path, v), 2) end
  return v
end

-- Command lines, through Debian's lua-argparse (generated --help, "did you mean",
-- unknown-flag errors) rather than a parser of our own.  Loaded on first use.
local argparse_mod
local function argparse()
  argparse_mod = argparse_mod or from_package("argparse", "lua-argparse", "argparse")
  return argparse_mod
end

-- The type of an option: stated (type = ...) or that of its default.
local OPTION_TYPES = {number = true, integer = true, string = true, boolean = true}
local function option_type(o, fname)
  local t = o.type
  if t == nil then
    if math.type(o[2]) == "integer" then t = "integer" else t = type(o[2]) end
  end
  if not OPTION_TYPES[t] then
    error(("%s: option '%s' needs a default or type = \"number\"|\"integer\"|\"string\"|\"boolean\""):format(
          fname, tostring(o[1])), 3)
  end
  return t
end

local function converter(name, t, min)
  return function(v)
    if t == "number" or t == "integer" then
      local n = tonumber(v)
      if not n then return nil, ("option --%s: '%s' is not a number"):format(name, v) end
      if t == "integer" then
        n = math.tointeger(n)
        if not n then return nil, ("option --%s: '%s' is not an integer"):format(name, v) end
      end
      if min and n < min then return nil, ("option --%s: %s is below its minimum %s"):format(name, v, min) end
      return n
    end
    return v
  end
end

-- util.parse_args(argv, options, description) -> cfg.  options is a list of
-- {name, default, help [, type =] [, choices = {...}] [, min =]}; the result maps each name to its
-- value (the default when absent).  See the reference entry for the rules.
function util.parse_args(argv, options, description)
  local fname = "util.parse_args"
  if type(options) ~= "table" or (next(options) ~= nil and options[1] == nil) then
    error(fname .. ": options must be a list of {name, default, help} entries", 2)
  end
  local prog = (arg and arg[0] or "script"):match("[^/]*$")
  local parser = argparse()(prog, description)
  parser:help_max_width(80):usage_max_width(80)
  local cfg, types, seen = {}, {}, {}
  for i, o in ipairs(options) do
    local name, default, help = o[1], o[2], o[3]
    if type(name) ~= "string" or not name:match("^[%a][%w_]*$") then
      error(("%s: options[%d]: name must be an identifier, got %s"):format(fname, i, tostring(name)), 2)
    end
    if type(help) ~= "string" or help == "" then
      error(("%s: option '%s' needs a help text"):format(fname, name), 2)
    end
    if seen[name] then error(("%s: option '%s' appears twice"):format(fname, name), 2) end
    seen[name] = true
    local t = option_type(o, fname)
    types[name], cfg[name] = t, default
    local dashed = name:gsub("_", "-")
    local alias = dashed ~= name and dashed or nil
    if t == "boolean" then
      local f = parser:flag("--" .. name, help .. (default and " (default: on)" or ""))
      if alias then f:hidden_name("--" .. alias) end
      if default then         -- an option that is on by default needs a way to turn it off
        local off = parser:flag("--no-" .. dashed, "turn --" .. name .. " off"):target("no_" .. name)
        if alias then off:hidden_name("--no_" .. name) end
      end
    else
      local shown = default ~= nil and default ~= "" and (" (default: %s)"):format(tostring(default)) or ""
      local argname = o.choices and "{" .. table.concat(o.choices, ",") .. "}"
                      or "<" .. (t == "string" and "text" or t) .. ">"
      local opt = parser:option("--" .. name, help .. shown):argname(argname):convert(converter(name, t, o.min))
      if o.choices then opt:choices(o.choices) end
      if alias then opt:hidden_name("--" .. alias) end
    end
  end
  local ok, res = parser:pparse(argv or {})
  if not ok then
    -- A table with __tostring: lua5.4 and m1d print such an error as its message alone,
    -- without the traceback, which says nothing about a mistyped flag.
    local msg = ("%s: %s (try --help)"):format(prog, (res:gsub("\nDid you mean", "; did you mean")))
    error(setmetatable({message = msg}, {__tostring = function(e) return e.message end}), 0)
  end
  for name, t in pairs(types) do
    if t == "boolean" then
      if res["no_" .. name] then cfg[name] = false elseif res[name] then cfg[name] = true end
    elseif res[name] ~= nil then
      cfg[name] = res[name]
    end
  end
  return cfg
end

-- Levenshtein distance, for "did you mean" (short option names only)
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = {[0] = i}
    for j = 1, #b do
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a:byte(i) == b:byte(j) and 0 or 1))
    end
    prev = cur
  end
  return prev[#b]
end

-- util.check_options(fname, opts, known [, level]) -> opts (or {} for nil).  The one
-- checker of options tables (train, nn, optim, plot, gradcheck): a key not in the list
-- `known` is an error naming fname, the key, the nearest known one and all of them, so a
-- misspelt option (step = 10) cannot be silently ignored.  level: where the error points,
-- counted as error() counts from the function that calls check_options (default 2: that
-- function's caller, the user's line).
function util.check_options(fname, opts, known, level)
  level = (level or 2) + 1
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error(("%s: options must be a table, got %s"):format(fname, type(opts)), level)
  end
  local set = {}
  for _, k in ipairs(known) do set[k] = true end
  for k in pairs(opts) do
    if not set[k] then
      local best, bd = nil, math.huge
      if type(k) == "string" then
        for _, c in ipairs(known) do
          local d = distance(k, c)
          if d < bd then best, bd = c, d end
        end
      end
      local names = {}
      for i, c in ipairs(known) do names[i] = c end
      table.sort(names)
      local hint = (best and bd <= 2) and ("; did you mean '%s'?"):format(best) or ""
      error(("%s: unknown option '%s'%s (known: %s)"):format(fname, tostring(k), hint,
            table.concat(names, ", ")), level)
    end
  end
  return opts
end

-- util.curve_stats(curves) -> {mean =, sd =, lo =, hi =, n =}: pointwise statistics of
-- equally long arrays (one per seed); lo/hi = mean -/+ sd, nil for a single curve (no
-- band to draw).
function util.curve_stats(curves)
  if type(curves) ~= "table" or #curves == 0 then
    error("util.curve_stats: curves must be a non-empty list of arrays", 2)
  end
  local len = #curves[1]
  for i, c in ipairs(curves) do
    if type(c) ~= "table" or #c ~= len then
      error(("util.curve_stats: curve %d has %s values, curve 1 has %d"):format(i,
            type(c) == "table" and #c or type(c), len), 2)
    end
  end
  local mean, sd = {}, {}
  for k = 1, len do
    local col = {}
    for i, c in ipairs(curves) do col[i] = c[k] end
    mean[k], sd[k] = util.mean(col), util.sd(col)
  end
  local out = {mean = mean, sd = sd, n = #curves}
  if #curves > 1 then
    out.lo, out.hi = {}, {}
    for k = 1, len do out.lo[k], out.hi[k] = mean[k] - sd[k], mean[k] + sd[k] end
  end
  return out
end

function util.mean(xs)
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  return s / #xs
end

function util.sd(xs)
  if #xs < 2 then return 0 end
  local mu, s = util.mean(xs), 0
  for _, x in ipairs(xs) do s = s + (x - mu) ^ 2 end
  return math.sqrt(s / (#xs - 1))
end

return util
