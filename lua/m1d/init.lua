-- m1d — the Lua face of the runtime.  require "m1d" returns this table:
-- the C core's functions (tensors, autograd, layer ops), plus submodules
-- loaded on first use: m1d.nn, m1d.optim, m1d.mnist1d, m1d.plot, m1d.train, ...
local core = require "m1d.core"

-- C functions that exist for the library's own use (the optimizers' update kernels, the
-- generator's parts, the model-file codec, process and terminal plumbing, a GEMM timer)
-- stay under m1d.core, off the public table.
local INTERNAL = {
  adam_update = true, rmsprop_update = true, sgd_update = true, bench_sgemm = true,
  write_file = true, mnist1d_generate = true, mnist1d_check = true, mnist1d_label_noise = true,
  mnist1d_permutation = true, load_tensors = true, save_tensors = true, spawn = true, isatty = true,
}
local m1d = {}
for k, v in pairs(core) do if not INTERNAL[k] then m1d[k] = v end end
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
