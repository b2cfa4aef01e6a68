-- repl.lua — what the m1d REPL (src/bind/main.c) calls in Lua: showing results,
-- completing names, and help().
--
--   repl.show(...)              print values the way the REPL does
--   repl.format(v)              one value as readable text (tables nested, sorted,
--                               truncated, cycles marked; tensors via tostring)
--   repl.complete(word, line)   completion candidates for readline
--   repl.help(x)                documentation for a function, module, object or name
--
-- Nothing here sets globals; main.c sets `help = repl.help`.
local repl = {}

repl.width = 78         -- an inline table longer than this is broken over lines
repl.max_items = 24     -- entries shown per table before "... (N more)"
repl.max_depth = 4      -- nesting shown before "{...}"
repl.max_string = 120   -- characters of a string inside a table

---------------------------------------------------------------------- formatting

local KEYWORDS = {
  ["and"] = true, ["break"] = true, ["do"] = true, ["else"] = true, ["elseif"] = true,
  ["end"] = true, ["false"] = true, ["for"] = true, ["function"] = true, ["goto"] = true,
  ["if"] = true, ["in"] = true, ["local"] = true, ["nil"] = true, ["not"] = true,
  ["or"] = true, ["repeat"] = true, ["return"] = true, ["then"] = true, ["true"] = true,
  ["until"] = true, ["while"] = true,
}

local function is_ident(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") and not KEYWORDS[s]
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

local function safe_tostring(v)
  local ok, s = pcall(tostring, v)
  return ok and tostring(s) or ("<" .. type(v) .. ": __tostring failed: " .. tostring(s) .. ">")
end

local function quote(s)
  if #s > repl.max_string then
    return ("%q"):format(s:sub(1, repl.max_string)):gsub("\\\n", "\\n") ..
           ("..(%d chars)"):format(#s)
  end
  return (("%q"):format(s):gsub("\\\n", "\\n"))
end

-- A value inside a table: strings quoted, objects by the first line of tostring.
local function scalar(v)
  local t = type(v)
  if t == "string" then return quote(v) end
  if t == "number" then
    if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 1e16 then
      return ("%.1f"):format(v)
    end
    return tostring(v)
  end
  -- a multi-line object (a tensor) inside a table: its first and last lines
  local s = safe_tostring(v)
  local first = s:match("^([^\n]*)\n")
  if first then
    local last = s:match("\n%s*([^\n]*)%s*$") or ""
    return first .. " ... " .. last
  end
  return s
end

local function key_order(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then
    if ta == "number" then return true end
    if tb == "number" then return false end
    return ta < tb
  end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

local render

local function render_table(t, indent, depth, path)
  if path[t] then return "<cycle: " .. safe_tostring(t):gsub("^table: ", "table ") .. ">" end
  local mt = getmetatable(t)
  local name = type(mt) == "table" and type(rawget(mt, "__name")) == "string" and rawget(mt, "__name")
  local prefix = name and (name .. " ") or ""
  if next(t) == nil then return prefix .. "{}" end
  if depth >= repl.max_depth then return prefix .. "{...}" end
  path[t] = true
  local items, n = {}, 0
  -- the array part first, in order
  local len = 0
  while rawget(t, len + 1) ~= nil do len = len + 1 end
  local shown = 0
  local total = 0
  for _ in next, t do total = total + 1 end
  for i = 1, len do
    if shown >= repl.max_items then break end
    items[#items + 1] = render(rawget(t, i), indent + 2, depth + 1, path)
    shown = shown + 1
  end
  local keys = {}
  for k in next, t do
    if not (math.type(k) == "integer" and k >= 1 and k <= len) then keys[#keys + 1] = k end
  end
  table.sort(keys, key_order)
  for _, k in ipairs(keys) do
    if shown >= repl.max_items then break end
    local ks = is_ident(k) and k or ("[" .. scalar(k) .. "]")
    items[#items + 1] = ks .. " = " .. render(rawget(t, k), indent + 2, depth + 1, path)
    shown = shown + 1
  end
  n = total - shown
  if n > 0 then items[#items + 1] = ("... (%d more)"):format(n) end
  path[t] = nil
  local inline = prefix .. "{" .. table.concat(items, ", ") .. "}"
  if #inline + indent <= repl.width and not inline:find("\n", 1, true) then return inline end
  local pad = string.rep(" ", indent + 2)
  return prefix .. "{\n" .. pad .. table.concat(items, ",\n" .. pad) .. "\n" ..
         string.rep(" ", indent) .. "}"
end

render = function(v, indent, depth, path)
  if type(v) == "table" and not has_tostring(v) then
    return render_table(v, indent, depth, path)
  end
  return scalar(v)
end

-- repl.format(v) -> string.  Strings at top level are returned as they are.
function repl.format(v)
  if type(v) == "string" then return v end
  if type(v) == "table" and not has_tostring(v) then return render_table(v, 0, 0, {}) end
  if type(v) == "number" then return tostring(v) end
  return safe_tostring(v)   -- tensors, figures and other objects format themselves
end

-- repl.show(...): the REPL's printer; values separated by tabs like print.
function repl.show(...)
  local n = select("#", ...)
  local out = {}
  for i = 1, n do out[i] = repl.format((select(i, ...))) end
  io.stdout:write(table.concat(out, "\t"), "\n")
  io.stdout:flush()
end

---------------------------------------------------------------------- completion

local function index(obj, key)
  local ok, v = pcall(function() return obj[key] end)
  if ok then return v end
  return nil
end

-- The fields of v a user can reach with '.' or ':' (following __index tables).
local function fields(v, into, seen)
  seen = seen or {}
  if v == nil or seen[v] then return into end
  seen[v] = true
  if type(v) == "table" then
    for k in next, v do
      if type(k) == "string" then into[k] = index(v, k) end
    end
  end
  if type(v) == "string" then return fields(string, into, seen) end
  local mt = getmetatable(v)
  if type(mt) == "table" then
    -- methods: the __index table, or __methods when __index is a function (tensors)
    local idx = rawget(mt, "__index")
    if type(idx) == "table" then fields(idx, into, seen) end
    local m = rawget(mt, "__methods")
    if type(m) == "table" then fields(m, into, seen) end
  end
  return into
end

-- Resolve a dotted path such as "m1d.nn" from the globals; nil if any step fails.
local function resolve(path)
  local v = _G
  for part in path:gmatch("[^%.]+") do
    if not is_ident(part) and not part:match("^[%a_][%w_]*$") then return nil end
    if v == nil then return nil end
    v = index(v, part)
  end
  return v
end

-- repl.complete(word [, line]) -> sorted array of candidates that start with word.
-- "pri" -> globals and keywords; "m1d.nn.Li" -> fields; "t:res" -> methods of t (from
-- the metatable's __index table, or its __methods table when __index is a function).
function repl.complete(word, line)
  word = word or ""
  local head, sep, partial = word:match("^(.-)([%.:])([%w_]*)$")
  local cands, out = {}, {}
  if head and head ~= "" then
    if not head:match("^[%a_][%w_%.]*$") or head:find("..", 1, true) then return out end
    local obj = resolve(head)
    if obj == nil then return out end
    local fs = fields(obj, {})
    if obj == package.loaded["m1d"] then
      -- submodules load on first use, so they are not keys yet: offer the documented
      -- ones that can be found
      local doc = package.loaded["m1d.doc"] or require("m1d.doc")
      for _, n in ipairs(doc.names()) do
        local sub = n:match("^m1d%.([%w_]+)")
        if sub and fs[sub] == nil and package.searchpath("m1d." .. sub, package.path) then
          fs[sub] = true
        end
      end
    end
    for k, v in pairs(fs) do
      if is_ident(k) and k:sub(1, #partial) == partial and not k:match("^__")
         and (sep == "." or type(v) == "function") then
        cands[#cands + 1] = k
      end
    end
    table.sort(cands)
    for i, k in ipairs(cands) do out[i] = head .. sep .. k end
    return out
  end
  if word:find("[^%w_]") then return out end
  for k in pairs(fields(_G, {})) do
    if is_ident(k) and k:sub(1, #word) == word then cands[#cands + 1] = k end
  end
  for k in pairs(KEYWORDS) do
    if k:sub(1, #word) == word then cands[#cands + 1] = k end
  end
  table.sort(cands)
  return cands
end

---------------------------------------------------------------------------- help

-- Map function and table values to their names, by walking the loaded m1d modules
-- (and the tensor methods in the registry).  A value reachable under several names
-- (m1d.randn is m1d.core.randn) gets a documented one, else the shortest.
local function value_names(doc)
  local names = {}
  local function offer(v, name)
    local old = names[v]
    if old == nil then names[v] = name return end
    local od, nd = doc.get(old) ~= nil, doc.get(name) ~= nil
    if (nd and not od) or (nd == od and #name < #old) then names[v] = name end
  end
  local seen = {}
  local function walk(v, name, depth)
    offer(v, name)
    if type(v) ~= "table" or seen[v] or depth > 3 then return end
    seen[v] = true
    for k, f in next, v do
      if is_ident(k) and (type(f) == "function" or type(f) == "table") then
        walk(f, name .. "." .. k, depth + 1)
      end
    end
  end
  local m1d = package.loaded["m1d"]
  if type(m1d) == "table" then walk(m1d, "m1d", 0) end
  for mod, v in pairs(package.loaded) do
    if type(mod) == "string" and mod:match("^m1d%.") and type(v) == "table" then
      walk(v, mod, 1)
    end
  end
  local function methods(tbl, cls)
    if type(tbl) ~= "table" then return end
    for k, f in pairs(tbl) do
      if type(f) == "function" then offer(f, cls .. ":" .. k) end
    end
  end
  for _, cls in ipairs{{"m1d.Tensor", "Tensor"}, {"m1d.Process", "Process"}} do
    local mt = debug.getregistry()[cls[1]]
    if type(mt) == "table" then
      methods(rawget(mt, "__index"), cls[2])
      methods(rawget(mt, "__methods"), cls[2])
    end
  end
  local classes = {{"m1d.plot", "Figure", "Figure"}, {"m1d.nn", "ModuleBase", "Module"},
                   {"m1d.mnist1d", "Dataset", "Dataset"}, {"m1d.optim", "Optimizer", "Optimizer"},
                   {"m1d.lbfgs", "Class", "LBFGS"}}
  for _, c in ipairs(classes) do
    local mod = package.loaded[c[1]]
    if type(mod) == "table" then methods(mod[c[2]], c[3]) end
  end
  names[repl.help] = "help"
  return names
end

-- Word-wrap text to repl.width columns, each line starting with indent.
local function wrap(text, indent)
  local lines = {}
  for para in (text .. "\n"):gmatch("([^\n]*)\n") do
    local line = indent
    for word in para:gmatch("%S+") do
      if #line + #word + 1 > repl.width and line ~= indent then
        lines[#lines + 1] = line
        line = indent
      end
      line = line .. (line == indent and "" or " ") .. word
    end
    lines[#lines + 1] = line
  end
  return table.concat(lines, "\n")
end

local function entry_text(name, e)
  local s = e.sig or name
  if e.doc and e.doc ~= "" then s = s .. "\n" .. wrap(e.doc, "  ") end
  return s
end

-- Entries below a module or class name: "m1d.nn" -> "m1d.nn.Linear", ...
local function children(doc, name)
  local out = {}
  for _, n in ipairs(doc.names()) do
    local rest = n:sub(#name + 1)
    if n:sub(1, #name) == name and rest:match("^[%.:][%w_]+$") then out[#out + 1] = n end
  end
  return out
end

-- The class of an object, as the reference names its methods ("Module:parameters").
local CLASSES = {["m1d.Tensor"] = "Tensor", ["m1d.plot.Figure"] = "Figure", ["m1d.Process"] = "Process",
                 ["m1d.nn.Module"] = "Module", ["m1d.mnist1d.Dataset"] = "Dataset",
                 ["m1d.optim.Optimizer"] = "Optimizer", ["m1d.optim.LBFGS"] = "LBFGS"}
local function type_name(x)
  local mt = getmetatable(x)
  local n = type(mt) == "table" and rawget(mt, "__name")
  return n and CLASSES[n]
end

-- repl.help_text(x) -> the documentation of x as text.  x: nothing (an overview), a
-- function or module of m1d, an object (a tensor, a figure), or a name ("randn",
-- "m1d.nn.Linear", "plot.lines"; a fragment lists every entry that matches).
function repl.help_text(...)
  local doc = require "m1d.doc"
  local x = ...
  local text
  local name
  if select("#", ...) == 0 then
    text = doc.overview()
  elseif x == nil then
    text = "help: the value is nil (a misspelt name?); help() lists the sections\n"
  elseif type(x) == "string" then
    local q = x:gsub("^%s+", ""):gsub("%s+$", ""):gsub("%(%)$", "")
    for _, cand in ipairs{q, "m1d." .. q, "Tensor:" .. q, "Figure:" .. q} do
      if doc.get(cand) or #children(doc, cand) > 0 then name = cand break end
    end
    local sec, names = doc.section(q)
    if not name and sec then
      local parts = {sec.title}
      if sec.intro then parts[2] = wrap(sec.intro, "  ") end
      parts[#parts + 1] = ""
      for _, n in ipairs(names) do parts[#parts + 1] = "  " .. (doc.get(n).sig or n) end
      text = table.concat(parts, "\n") .. "\n"
    elseif not name then
      local hits = doc.search(q)
      if #hits == 1 then name = hits[1]
      elseif #hits > 1 then
        text = ("%d entries match '%s':\n"):format(#hits, q)
        for _, h in ipairs(hits) do text = text .. "  " .. (doc.get(h).sig or h) .. "\n" end
      else
        text = ("no documentation for '%s' (help() lists the modules)\n"):format(q)
      end
    end
  else
    name = value_names(doc)[x]
    if not name and type_name(x) then
      -- an object: what it is (its own tostring, e.g. "MNIST-1D dataset: 4000 train, ..."),
      -- then its class's entry and methods
      name = type_name(x)
      local ok, s = pcall(tostring, x)
      if ok and type(x) ~= "userdata" then text = s:match("^[^\n]*") .. "\n\n" end
    end
    if not name then
      text = ("no documentation for this %s (help() lists the modules)\n"):format(type(x))
    end
  end
  if name then
    local e = doc.get(name)
    local kids = children(doc, name)
    local parts = {}
    if e then parts[#parts + 1] = entry_text(name, e) end
    if #kids > 0 then
      if e then parts[#parts + 1] = "" end
      parts[#parts + 1] = (e and "Contents:" or (name .. " contains:"))
      for _, k in ipairs(kids) do
        parts[#parts + 1] = "  " .. (doc.get(k).sig or k)
      end
    end
    if #parts == 0 then parts[1] = ("%s: not documented yet"):format(name) end
    text = (text or "") .. table.concat(parts, "\n") .. "\n"
  end
  return text
end

-- help(x): print repl.help_text(x).  Returns nothing, so the REPL prints nothing more.
function repl.help(...)
  io.stdout:write(repl.help_text(...))
  io.stdout:flush()
end

return repl
