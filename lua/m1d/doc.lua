-- doc.lua — the API reference, one place: help() in the REPL reads it, the README's API
-- tour and reference are generated from it, and tests/lua/doc_test.lua checks that every
-- public name has an entry and that every entry's example prints what it says:
--
--   ./m1d -e 'print(require("m1d.doc").markdown())'
--
-- The entries live in lua/m1d/doc/<section>.lua, one file per section of the reference,
-- each returning {title =, key =, intro =, entries = {...}}; an entry is
--   {name, signature, text, ex = "example code", out = "what it prints", also = {names}}
-- with name qualified ("m1d.randn", "m1d.nn.Linear", "Tensor:sum", "Figure:save"; ':'
-- marks a method), `also` the other names one entry documents (nn.ReLU beside nn.Tanh),
-- and `out` optional (without it the example must merely run).  The order of the files
-- and of the entries in them is the order of the reference.
local doc = {}

doc.section_files = {"cli", "repl", "tensors", "methods", "autograd", "nn", "optim", "data",
                     "train", "baselines", "plot", "results", "processes", "system"}
doc.sections = {}
doc.entries = {}     -- name (or alias) -> {name =, sig =, doc =, ex =, out =, also =, section =}
doc.order = {}       -- primary names, in reference order

-- doc.add(name, sig, text [, {ex =, out =, also =, section =}]): add or replace an entry
-- (it keeps its place if it existed).
function doc.add(name, sig, text, extra)
  extra = extra or {}
  if not doc.entries[name] then doc.order[#doc.order + 1] = name end
  local e = {name = name, sig = sig, doc = text, ex = extra.ex, out = extra.out, also = extra.also,
             section = extra.section or #doc.section_files + 1}
  doc.entries[name] = e
  for _, a in ipairs(e.also or {}) do doc.entries[a] = e end
end

for i, file in ipairs(doc.section_files) do
  local s = require("m1d.doc." .. file)
  doc.sections[i] = s
  for _, e in ipairs(s.entries) do
    -- a name documented twice would silently replace the first entry
    for _, n in ipairs{e[1], table.unpack(e.also or {})} do
      if doc.entries[n] then
        error(("m1d.doc: %s is documented twice (lua/m1d/doc/%s.lua and the %s entry)")
              :format(n, file, doc.entries[n].name), 0)
      end
    end
    doc.add(e[1], e[2], e[3], {ex = e.ex, out = e.out, also = e.also, section = i})
  end
end

-- doc.get(name or alias) -> the entry {name =, sig =, doc =, ex =, out =, also =, section =}, or nil
function doc.get(name) return doc.entries[name] end

-- doc.names() -> every entry's primary name (not the aliases), in reference order
function doc.names()
  local out = {}
  for i, n in ipairs(doc.order) do out[i] = n end
  return out
end

-- doc.search(fragment) -> names whose name, other names or signature contain it
-- (case-insensitive)
function doc.search(q)
  q = q:lower()
  local out = {}
  for _, n in ipairs(doc.order) do
    local e = doc.entries[n]
    local hay = (n .. " " .. table.concat(e.also or {}, " ") .. " " .. (e.sig or "")):lower()
    if hay:find(q, 1, true) then out[#out + 1] = n end
  end
  return out
end

local function section_of(name) return doc.entries[name].section end

-- doc.section(title) -> the section (matched on its key, e.g. "autograd", "plots", or
-- its title in any case) and its entry names, or nil
function doc.section(title)
  local q = title:lower()
  for i, s in ipairs(doc.sections) do
    if s.title:lower() == q or s.key == q then
      local names = {}
      for _, n in ipairs(doc.order) do
        if section_of(n) == i then names[#names + 1] = n end
      end
      return s, names
    end
  end
  return nil
end

-- doc.overview() -> the text help() prints with no argument
function doc.overview()
  local lines = {
    "m1d — a Lua 5.4 deep-learning workbench for MNIST-1D.",
    "",
    "  help(m1d.randn)   help(\"randn\")   help(m1d.nn)   help(t)    a function, name, module, object",
    "  help(\"pool\")                                                 every entry matching a fragment",
    "",
    "Sections:",
  }
  for _, s in ipairs(doc.sections) do
    lines[#lines + 1] = ("  %-28s help(%q)"):format(s.title, s.key)
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Tab completes names; the value of an expression is printed; Ctrl-D leaves."
  return table.concat(lines, "\n") .. "\n"
end

-- doc.tour() -> the README's API tour: one paragraph per section (its title, how to ask
-- help() for it, its introduction, every name it documents), so the tour cannot name what
-- the reference lacks, nor leave out what it has (tests/lua/doc_test.lua compares).
function doc.tour()
  local out = {}
  for i, s in ipairs(doc.sections) do
    local names, seen = {}, {}
    for _, n in ipairs(doc.order) do
      if section_of(n) == i then
        local e = doc.entries[n]
        local all = {n}
        for _, a in ipairs(e.also or {}) do all[#all + 1] = a end
        for _, a in ipairs(all) do
          local short = "`" .. a:gsub("^m1d%.", "") .. "`"
          if not seen[short] then seen[short] = true; names[#names + 1] = short end
        end
      end
    end
    if #names > 0 then
      out[#out + 1] = ("- **%s** (`help(%q)`)%s %s."):format(s.title, s.key,
        s.intro and (": " .. s.intro) or ":", table.concat(names, ", "))
    end
  end
  return table.concat(out, "\n")
end

-- doc.markdown() -> the whole reference as Markdown (sections in order, each entry a
-- signature in code and its description).
function doc.markdown()
  local by = {}
  for _, n in ipairs(doc.order) do
    local k = section_of(n)
    by[k] = by[k] or {}
    table.insert(by[k], n)
  end
  local out = {"## API reference", "",
               "<!-- generated by: ./m1d -e 'print(require(\"m1d.doc\").markdown())' -->", ""}
  local secs = {}
  for i, s in ipairs(doc.sections) do secs[i] = s end
  secs[#secs + 1] = {title = "Other"}
  for i, s in ipairs(secs) do
    if by[i] then
      out[#out + 1] = "### " .. s.title
      out[#out + 1] = ""
      if s.intro then out[#out + 1] = s.intro; out[#out + 1] = "" end
      for _, n in ipairs(by[i]) do
        local e = doc.entries[n]
        out[#out + 1] = "* `" .. (e.sig or n) .. "`" ..
                        ((e.doc and e.doc ~= "") and ("  \n  " .. e.doc) or "")
        if e.ex then
          local code = e.ex .. (e.out and ("\n--> " .. e.out:gsub("\n", "\n--> ")) or "")
          out[#out + 1] = "\n  ```lua\n  " .. code:gsub("\n", "\n  ") .. "\n  ```"
        end
      end
      out[#out + 1] = ""
    end
  end
  return table.concat(out, "\n")
end

return doc
