-- mnist1d.lua — the MNIST-1D dataset: arguments, generation, the frozen copy, helpers.
--
--   local mnist1d = m1d.mnist1d
--   local args = mnist1d.args{num_samples = 10000, padding = {30, 45}}  -- checked
--   local data = mnist1d.dataset(args)          -- bit-exact make_dataset(args)
--   local data = mnist1d.frozen()               -- the paper's 4000/1000 split (vendor/)
--   local x, y = data:batch(1, 32)              -- rows 1..32, wrapping around
--   data:spatial_shuffle(42)  data:label_noise(0.15, 0)  data:subset(1000)
--
-- A dataset is a table {x, y, x_test, y_test, t, templates = {x, t, y}, args, dtype, source}:
-- x / x_test are [n, len] float32 (float64 with dtype = "float64"), y / y_test
-- int64 labels 0..9.  Helpers return new datasets and never modify their input.
-- The generator is src/mnist1d.c (through m1d.core); this file only merges
-- defaults, checks keys and types, and wraps the arrays.
local core = require "m1d.core"

local M = {}

-- m1d's init.lua requires this module, so m1d itself is looked up lazily.
local function m1d() return require "m1d" end
local function util() return require "m1d.util" end

local DEFAULTS = {
  num_samples = 5000, train_split = 0.8, template_len = 12, padding = {36, 60},
  scale_coeff = 0.4, max_translation = 48, corr_noise_scale = 0.25, iid_noise_scale = 2e-2,
  shear_scale = 0.75, shuffle_seq = false, final_seq_length = 40, seed = 42,
}
-- Argument names in get_dataset_args() order, and their kinds.
M.arg_names = {"num_samples", "train_split", "template_len", "padding", "scale_coeff",
               "max_translation", "corr_noise_scale", "iid_noise_scale", "shear_scale",
               "shuffle_seq", "final_seq_length", "seed"}
local KIND = {
  num_samples = "integer", train_split = "number", template_len = "integer", padding = "pair",
  scale_coeff = "number", max_translation = "integer", corr_noise_scale = "number",
  iid_noise_scale = "number", shear_scale = "number", shuffle_seq = "boolean",
  final_seq_length = "integer", seed = "integer",
}
M.kinds = KIND
local DTYPES = {float32 = true, float64 = true}

local function copy_args(a)
  local c = {}
  for k, v in pairs(a) do c[k] = type(v) == "table" and {v[1], v[2]} or v end
  return c
end

-- get_dataset_args() as a fresh table.
function M.defaults() return copy_args(DEFAULTS) end

local function as_integer(v)
  return math.type(v) == "integer" and v or (type(v) == "number" and math.tointeger(v)) or nil
end

local function check_value(k, v, level)
  local kind = KIND[k]
  if kind == "integer" then
    local i = as_integer(v)
    if i == nil then
      error(("mnist1d.args: %s must be an integer (got %s %s)"):format(k, type(v), tostring(v)), level)
    end
    return i
  elseif kind == "number" then
    if type(v) ~= "number" then
      error(("mnist1d.args: %s must be a number (got %s)"):format(k, type(v)), level)
    end
    return v + 0.0
  elseif kind == "boolean" then
    if type(v) ~= "boolean" then
      error(("mnist1d.args: %s must be true or false (got %s)"):format(k, type(v)), level)
    end
    return v
  else -- pair
    local lo, hi = type(v) == "table" and as_integer(v[1]), type(v) == "table" and as_integer(v[2])
    if not lo or not hi or #v ~= 2 then
      error(("mnist1d.args: %s must be a table of two integers {lo, hi} (got %s)"):format(k, tostring(v)), level)
    end
    return {lo, hi}
  end
end

-- Defaults merged with overrides; unknown keys, wrong types and values that
-- make_dataset would reject raise errors.  `dtype` ("float32" default, or
-- "float64") is kept as the dtype of x / x_test.
function M.args(overrides, level)
  level = (level or 1) + 1
  if overrides ~= nil and type(overrides) ~= "table" then
    error("mnist1d.args: expected a table of arguments, got " .. type(overrides), level)
  end
  local a = M.defaults()
  a.dtype = "float32"
  for k, v in pairs(overrides or {}) do
    if k == "dtype" then
      if not DTYPES[v] then
        error(("mnist1d.args: dtype must be \"float32\" or \"float64\" (got %s)"):format(tostring(v)), level)
      end
      a.dtype = v
    elseif KIND[k] == nil then
      local names = table.concat(M.arg_names, ", ")
      error(("mnist1d.args: unknown argument '%s' (known: %s, dtype)"):format(tostring(k), names), level)
    else
      a[k] = check_value(k, v, level + 1)
    end
  end
  local ok, err = pcall(core.mnist1d_check, M.generator_args(a))
  if not ok then error("mnist1d.args: " .. tostring(err):gsub("^mnist1d: ", ""), level) end
  return a
end

-- Only the generator's keys (what core.mnist1d_generate accepts).
function M.generator_args(a)
  local g = {}
  for _, k in ipairs(M.arg_names) do g[k] = a[k] end
  return g
end

---------------------------------------------------------------- datasets

local Dataset = {}
Dataset.__index = Dataset
Dataset.__name = "m1d.mnist1d.Dataset"  -- help(data) finds the Dataset entries by it
M.Dataset = Dataset

local function cast(t, dtype)
  if dtype == "float64" then return t:double() end
  return t:float()
end

local function wrap(fields)
  return setmetatable(fields, Dataset)
end

-- Generate make_dataset(args) (args: a table of overrides or the result of M.args).
-- Extra fields: perm (NumPy's 0-based row permutation), seq_perm, norm_mean, norm_std.
function M.dataset(args, opts)
  opts = util().check_options("mnist1d.dataset", opts, {"dtype"})
  if opts.dtype then
    local o = copy_args(args or {})
    o.dtype = opts.dtype
    args = o
  end
  local a = M.args(args, 2)
  local d = core.mnist1d_generate(M.generator_args(a))
  return wrap{
    x = cast(d.x, a.dtype), y = d.y, x_test = cast(d.x_test, a.dtype), y_test = d.y_test,
    t = cast(d.t, a.dtype),
    templates = {x = d.templates_x, t = d.templates_t, y = d.templates_y},
    args = a, dtype = a.dtype, source = "generated",
    perm = d.perm, seq_perm = d.seq_perm, norm_mean = d.norm_mean, norm_std = d.norm_std,
  }
end

M.generate = M.dataset      -- the name the API reference (doc.lua) uses

local function dirname(p) return p:match("^(.*)/[^/]*$") or "." end

local function exists(p)
  local f = io.open(p, "rb")
  if f then f:close() return true end
  return false
end

-- Where the frozen files are: $M1D_MNIST1D_DIR, then vendor/mnist1d next to
-- the checkout this module was loaded from, then an installed share/m1d copy (make
-- install), then m1d/mnist1d next to this file (a luarocks tree: a rock's files must
-- lie in its lua/, lib/ or bin/ to be deployed, see rockspec/).
function M.vendor_dir()
  local tried = {}
  local function try(d)
    if d and d ~= "" then
      tried[#tried + 1] = d
      if exists(d .. "/x.npy") then return d end
    end
  end
  local found = try(os.getenv("M1D_MNIST1D_DIR"))
  if found then return found end
  local src = debug.getinfo(1, "S").source
  if src:sub(1, 1) == "@" then
    local here = dirname(src:sub(2))                   -- .../lua/m1d
    found = try(dirname(dirname(here)) .. "/vendor/mnist1d")   -- checkout root
      or try(dirname(dirname(dirname(here))) .. "/m1d/mnist1d")  -- share/lua/5.4/m1d -> share/m1d
      or try(here .. "/mnist1d")                                  -- luarocks: share/lua/5.4/m1d/mnist1d
    if found then return found end
  end
  return nil, "mnist1d.frozen: cannot find the frozen dataset (x.npy); tried: "
    .. table.concat(tried, ", ") .. " (set M1D_MNIST1D_DIR)"
end

-- Load a directory written by `m1d gen` or numpy: x.npy y.npy x_test.npy y_test.npy
-- and, if present, t.npy and templates_{x,t,y}.npy.
function M.load(dir, opts)
  opts = util().check_options("mnist1d.load", opts, {"dtype"})
  local dtype = opts.dtype or "float32"
  if not DTYPES[dtype] then error("mnist1d.load: dtype must be \"float32\" or \"float64\"", 2) end
  local function get(name, optional)
    local p = dir .. "/" .. name .. ".npy"
    if optional and not exists(p) then return nil end
    return core.load_npy(p)
  end
  local x, y, x_test, y_test = get("x"), get("y"), get("x_test"), get("y_test")
  local t = get("t", true)
  local tx, tt, ty = get("templates_x", true), get("templates_t", true), get("templates_y", true)
  return wrap{
    x = cast(x, dtype), y = y, x_test = cast(x_test, dtype), y_test = y_test,
    t = t and cast(t, dtype), templates = tx and {x = tx, t = tt, y = ty} or nil,
    dtype = dtype, source = dir,
  }
end

-- The official frozen dataset (mnist1d_data.pkl of the mnist1d repository).
function M.frozen(opts)
  util().check_options("mnist1d.frozen", opts, {"dtype"})
  local dir, err = M.vendor_dir()
  if not dir then error(err, 2) end
  local d = M.load(dir, opts)
  d.args = M.args{dtype = d.dtype}    -- it was made with the default arguments
  return d
end

---------------------------------------------------------------- helpers

local function shallow(d)
  local c = {}
  for k, v in pairs(d) do c[k] = v end
  return setmetatable(c, getmetatable(d))
end

-- Rows start .. start+size-1 of the training set (1-based), wrapping around the
-- end as often as needed.  Returns x [size, len] and y [size]; without wrapping
-- these are views of the dataset (no copy).
function Dataset:batch(start, size, split)
  local x, y = self.x, self.y
  if split == "test" then x, y = self.x_test, self.y_test end
  local n = x:size(1)
  if split ~= nil and split ~= "train" and split ~= "test" then
    error(("batch: split must be \"train\" or \"test\", got %s"):format(tostring(split)), 2)
  end
  if math.type(start) ~= "integer" or math.type(size) ~= "integer" or size < 1 then
    error("batch: start and size must be integers, size >= 1", 2)
  end
  if start < 1 then   -- rows are 1-based: 0 would silently mean the last row
    error(("batch: start must be >= 1 (row 1 is the first; past the end it wraps around), got %d"):format(start), 2)
  end
  if n == 0 then error("batch: the dataset has no rows", 2) end
  local s = (start - 1) % n                         -- 0-based
  if s + size <= n then return x:narrow(1, s + 1, size), y:narrow(1, s + 1, size) end
  local xs, ys, left = {}, {}, size
  while left > 0 do
    local len = math.min(n - s, left)
    xs[#xs + 1], ys[#ys + 1] = x:narrow(1, s + 1, len), y:narrow(1, s + 1, len)
    left, s = left - len, 0
  end
  local M1 = m1d()
  return M1.cat(xs, 1), M1.cat(ys, 1)
end

-- Number of training rows.
function Dataset:size() return self.x:size(1) end

-- Columns of x and x_test reordered by NumPy's np.random.seed(seed);
-- perm = np.random.permutation(len); x[:, perm] (the paper's spatial shuffle).
-- The permutation is kept as d.spatial_perm (NumPy's 0-based values, int64 tensor).
function Dataset:spatial_shuffle(seed)
  seed = seed or 42
  local len = self.x:size(2)
  local perm = core.mnist1d_permutation(len, seed)
  local idx = perm + 1 -- 1-based for index_select
  local d = shallow(self)
  d.x, d.x_test = self.x:index_select(2, idx), self.x_test:index_select(2, idx)
  d.spatial_perm = perm
  return d
end

-- Training labels with noise: rng = RandomState(seed); each label is replaced,
-- with probability frac, by randint(0, 10) (which may equal the old label).
-- The original labels are kept as d.y_clean.
function Dataset:label_noise(frac, seed)
  local d = shallow(self)
  d.y = core.mnist1d_label_noise(self.y, frac, seed or 0)
  d.y_clean = self.y_clean or self.y
  return d
end

-- The first n training examples (the rows are already in random order).
function Dataset:subset(n)
  if math.type(n) ~= "integer" or n < 0 or n > self.x:size(1) then
    error(("subset: n must be an integer in 0 .. %d"):format(self.x:size(1)), 2)
  end
  local d = shallow(self)
  d.x, d.y = self.x:narrow(1, 1, n), self.y:narrow(1, 1, n)
  return d
end

function Dataset:__tostring()
  return ("MNIST-1D dataset: %d train, %d test, length %d, %s"):format(
    self.x:size(1), self.x_test:size(1), self.x:size(2), self.dtype or "?")
end

return M
