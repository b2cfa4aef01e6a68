-- m1d — the Lua face of the runtime.  require "m1d" returns this table:
-- the C core's functions (tensors, autograd, layer ops), plus submodules
-- loaded on first use: m1d.nn, m1d.optim, m1d.mnist1d, m1d.plot, m1d.train, ...
local core = require "m1d.core"

local m1d = {}
for k, v in pairs(core) do m1d[k] = v end
m1d.core = core
m1d.Tensor = core.Tensor        -- the tensor method table: add methods here

-- Submodules load lazily so that `require "m1d"` stays instant and a script
-- that needs no plotting never looks for gnuplot.
local submodules = {
  nn = "m1d.nn", optim = "m1d.optim", mnist1d = "m1d.mnist1d", plot = "m1d.plot",
  train = "m1d.train", check = "m1d.check", doc = "m1d.doc", repl = "m1d.repl",
  util = "m1d.util", sweep = "m1d.sweep",
}
m1d._submodules = submodules

setmetatable(m1d, {
  __index = function(t, k)
    local name = submodules[k]
    if name == nil then return nil end
    local mod = require(name)
    rawset(t, k, mod)
    return mod
  end,
})

-- Named tensors in one checksummed file (src/modelfile.c): m1d.save(path, {name = t, ...}
-- or a list {t1, t2, ...}); m1d.load(path) -> {name = t, ...}, {names in file order}.
function m1d.save(path, tensors)
  local names, list = {}, {}
  if #tensors > 0 then
    for i, t in ipairs(tensors) do names[i], list[i] = tostring(i), t end
  else
    for k in pairs(tensors) do names[#names + 1] = tostring(k) end
    table.sort(names)
    for i, k in ipairs(names) do list[i] = tensors[k] end
  end
  core.save_tensors(path, names, list)
end

function m1d.load(path)
  local names, list = core.load_tensors(path)
  local map = {}
  for i, k in ipairs(names) do map[k] = list[i] end
  return map, names
end

-- numerical gradient checks (m1d.check) under their conventional names
function m1d.gradcheck(...) return require("m1d.check").gradcheck(...) end
function m1d.gradgradcheck(...) return require("m1d.check").gradgradcheck(...) end

return m1d
