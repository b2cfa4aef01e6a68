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
  _printopts = true, knn_search = true, knn_vote = true, logistic_objective = true,
  tsne_knn = true, tsne_conditional = true, tsne_symmetrize = true,
  tsne_gradient = true, tsne_descend = true, tsne_pca = true, tsne_random_init = true,
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
  util = "m1d.util", sweep = "m1d.sweep", jobs = "m1d.jobs", knn = "m1d.knn", probe = "m1d.probe",
  ssl = "m1d.ssl",
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

-- Print options, as torch.set_printoptions (the C __tostring reads them; one set per
-- process). linewidth and sci_mode take "auto" for what Python spells None: the terminal's
-- width (else 80) and the magnitude rule. A profile sets every option, then the other keys
-- apply on top of it.
local PRINT_DEFAULT = {precision = 4, threshold = 1000, edgeitems = 3, linewidth = "auto", sci_mode = "auto"}
local PRINT_PROFILES = {
  default = {precision = 4, threshold = 1000, edgeitems = 3},
  short = {precision = 2, threshold = 1000, edgeitems = 2},
  full = {precision = 4, threshold = math.huge, edgeitems = 3},
}
local PRINT_KEYS = "edgeitems, linewidth, precision, profile, sci_mode, threshold"
local printopts = {}
for k, v in pairs(PRINT_DEFAULT) do printopts[k] = v end

local function check_count(k, v, min, max)
  if math.type(v) ~= "integer" or v < min or v > max then
    error(("m1d.set_printoptions: %s must be an integer in [%d, %d], got %s")
          :format(k, min, max, tostring(v)), 3)
  end
end

function m1d.set_printoptions(opts)
  if type(opts) ~= "table" then
    error("m1d.set_printoptions: expects a table {" .. PRINT_KEYS .. "}, got " .. type(opts), 2)
  end
  for k in pairs(opts) do
    if not (PRINT_DEFAULT[k] ~= nil or k == "profile") then
      error(("m1d.set_printoptions: unknown option '%s' (valid: %s)"):format(tostring(k), PRINT_KEYS), 2)
    end
  end
  local new = {}
  for k, v in pairs(printopts) do new[k] = v end
  if opts.profile ~= nil then
    local prof = PRINT_PROFILES[opts.profile]
    if not prof then
      error(("m1d.set_printoptions: profile must be \"default\", \"short\" or \"full\", got %s")
            :format(tostring(opts.profile)), 2)
    end
    for k, v in pairs(PRINT_DEFAULT) do new[k] = v end
    for k, v in pairs(prof) do new[k] = v end
  end
  for k, v in pairs(opts) do if k ~= "profile" then new[k] = v end end
  check_count("precision", new.precision, 0, 40)
  check_count("edgeitems", new.edgeitems, 0, math.maxinteger)
  if new.threshold ~= math.huge then check_count("threshold", new.threshold, 0, math.maxinteger) end
  if new.linewidth ~= "auto" then check_count("linewidth", new.linewidth, 1, 1 << 30) end
  if type(new.sci_mode) ~= "boolean" and new.sci_mode ~= "auto" then
    error(("m1d.set_printoptions: sci_mode must be true, false or \"auto\", got %s")
          :format(tostring(new.sci_mode)), 2)
  end
  printopts = new
  core._printopts(new.precision, new.threshold == math.huge and math.maxinteger or new.threshold,
                  math.min(new.edgeitems, 1 << 30),
                  new.linewidth == "auto" and 0 or new.linewidth,
                  new.sci_mode == "auto" and -1 or (new.sci_mode and 1 or 0))
end

function m1d.get_printoptions()
  local t = {}
  for k, v in pairs(printopts) do t[k] = v end
  return t
end

-- t-SNE (lua/m1d/tsne.lua drives the C in src/tsne*.c): y, info = m1d.tsne(x, opts)
function m1d.tsne(x, opts) return require("m1d.tsne").run(x, opts) end

-- numerical gradient checks (m1d.check) under their conventional names
function m1d.gradcheck(...) return require("m1d.check").gradcheck(...) end
function m1d.gradgradcheck(...) return require("m1d.check").gradgradcheck(...) end

return m1d
