-- m1d.util — small helpers the experiments share: JSON files (through Debian's
-- lua-cjson, written atomically), command-line options, result paths.
local m1d = require "m1d"

local util = {}

local cjson
local function json()
  if not cjson then
    local ok, mod = pcall(require, "cjson")
    if not ok then
      error("m1d.util: the Lua JSON module is missing: install the Debian package lua-cjson " ..
            "(apt-get install lua-cjson)", 3)
    end
    cjson = mod.new()
    cjson.encode_number_precision(14)          -- the most lua-cjson 2.1 allows; results need no more
    cjson.encode_sparse_array(true)
    cjson.encode_invalid_numbers(true)          -- NaN/Inf are written, not an error
  end
  return cjson
end

function util.json_encode(v) return json().encode(v) end
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

-- Parse "--name value" / "--flag" options against a table of defaults; types follow the
-- defaults (number, boolean, string).  Unknown options are errors.
function util.parse_args(argv, defaults, usage)
  local opts = {}
  for k, v in pairs(defaults) do opts[k] = v end
  local i = 1
  argv = argv or {}
  while i <= #argv do
    local a = argv[i]
    local name = a:match("^%-%-([%w_%-]+)$")
    if a == "--help" or a == "-h" then
      io.write(usage or "", "\noptions (defaults):\n")
      local keys = {}
      for k in pairs(defaults) do keys[#keys + 1] = k end
      table.sort(keys)
      for _, k in ipairs(keys) do io.write(("  --%-14s %s\n"):format(k, tostring(defaults[k]))) end
      os.exit(0)
    end
    if not name then error(("unexpected argument '%s' (options look like --steps 100)"):format(a), 0) end
    name = name:gsub("-", "_")
    local d = defaults[name]
    if d == nil then error(("unknown option --%s (try --help)"):format(name), 0) end
    if type(d) == "boolean" then
      local nxt = argv[i + 1]
      if nxt == "true" or nxt == "false" then opts[name] = nxt == "true"; i = i + 1
      else opts[name] = true end
    else
      local v = argv[i + 1]
      if v == nil then error(("option --%s needs a value"):format(name), 0) end
      if type(d) == "number" then
        local n = tonumber(v)
        if not n then error(("option --%s: '%s' is not a number"):format(name, v), 0) end
        opts[name] = n
      else
        opts[name] = v
      end
      i = i + 1
    end
    i = i + 1
  end
  return opts
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
