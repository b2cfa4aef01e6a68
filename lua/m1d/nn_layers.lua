-- m1d.nn's regularisation and normalisation layers, Embedding, Softmax and LogSoftmax:
-- Dropout, BatchNorm1d, LayerNorm, with PyTorch's argument names, defaults and
-- initialisation.  The normalisation itself is the fused m1d.batch_norm / m1d.layer_norm
-- (src/ops_norm.c, differentiable to any order); the rest is composed of ops.  Dropout and BatchNorm1d read the module's `training` flag, which
-- model:train() / model:eval() set (lua/m1d/nn.lua).  Loaded by nn.lua, which passes the
-- helpers it shares with its other layers.
local m1d = require "m1d"
local util = require "m1d.util"

-- nn and the shared helpers, set by the installer at the end when nn.lua loads this file;
-- the layers go into M and the installer copies them into nn.
local nn, check_size, leaf_module
local M = {}

local check = require "m1d.nn_check"
local shape_str, check_number, check_flag = check.shape, check.number, check.flag

local function want_tensor(who, x)
  if not m1d.is_tensor(x) then error(("%s: input must be a tensor, got %s"):format(who, type(x)), 0) end
end

-- ------------------------------------------------------------ Dropout

-- Train mode: each element is zeroed with probability p and the others scaled by
-- 1/(1-p), so the expected output is the input; eval mode: the identity.  The mask is
-- drawn from m1d's seeded generator (m1d.dropout_mask), a fresh one per call.
function M.Dropout(p)
  p = check_number("Dropout", "p", p == nil and 0.5 or p, 0, 1)
  return leaf_module(("Dropout(p %g)"):format(p), function(self, x)
    want_tensor("Dropout", x)
    if not self.training or p == 0 then return x end
    if p == 1 then return x * 0 end
    return x * m1d.dropout_mask(p, x:size(), x:dtype())  -- 1/(1-p) with probability 1 - p, else 0
  end)
end

-- ------------------------------------------------------------ BatchNorm1d

-- Per channel over the batch (and length): y = (x - mean) / sqrt(var + eps) * weight + bias.
-- Train mode normalises with the batch's mean and biased variance, counts the batch in
-- num_batches_tracked and moves the running statistics towards the batch's mean and
-- unbiased variance by `momentum`, or with momentum = false (PyTorch's momentum=None) by
-- 1/num_batches_tracked, so that they are the cumulative average of every batch's; eval
-- mode normalises with the running statistics (the batch's when track_running_stats = false).
function M.BatchNorm1d(C, opts)
  opts = util.check_options("BatchNorm1d", opts, {"eps", "momentum", "affine", "track_running_stats"})
  C = check_size("BatchNorm1d", "num_features", C)
  local eps = check_number("BatchNorm1d", "eps", opts.eps or 1e-5, 0, math.huge, true)
  -- Lua tables cannot hold nil, so false stands for PyTorch's None (the cumulative average)
  local momentum = opts.momentum
  if momentum ~= false then
    if momentum ~= nil and type(momentum) ~= "number" then
      error(("BatchNorm1d: momentum must be a number in [0, 1] or false (the cumulative average, " ..
             "PyTorch's None), got %s"):format(tostring(momentum)), 2)
    end
    momentum = check_number("BatchNorm1d", "momentum", momentum or 0.1, 0, 1)
  end
  local affine = check_flag("BatchNorm1d", "affine", opts.affine, true)
  local track = check_flag("BatchNorm1d", "track_running_stats", opts.track_running_stats, true)
  local name = ("BatchNorm1d(%d, eps %g, momentum %s%s%s)"):format(C, eps,
    momentum and ("%g"):format(momentum) or "false (cumulative)",
    affine and "" or ", affine false", track and "" or ", no running stats")
  local mod = leaf_module(name, function(self, x)
    want_tensor("BatchNorm1d", x)
    local d3 = x:dim() == 3
    if not (x:dim() == 2 or d3) or x:size(2) ~= C then
      error(("BatchNorm1d: input must be [N, %d] or [N, %d, L], got %s"):format(C, C, shape_str(x)), 0)
    end
    local bshape = d3 and {1, C, 1} or {1, C}     -- a per-channel vector, broadcastable to x
    local y
    if self.training or not track then
      local n = x:size(1) * (d3 and x:size(3) or 1)
      if self.training and n < 2 then
        error(("BatchNorm1d: training needs more than 1 value per channel, got input %s"):format(shape_str(x)), 0)
      end
      -- fused (src/ops_norm.c): the batch's mean and biased variance normalise
      local mean, var
      y, mean, var = m1d.batch_norm(x, eps)
      if self.training and track then
        local rm, rv, count = self.running_mean, self.running_var, self.num_batches_tracked
        m1d.no_grad(function()
          count:add_(1)
          local f = momentum or 1 / count:item()   -- PyTorch's exponential_average_factor
          rm:mul_(1 - f):add_(mean:type(rm:dtype()) * f)
          rv:mul_(1 - f):add_(var:type(rv:dtype()) * (f * n / (n - 1)))
        end)
      end
    else
      y = (x - self.running_mean:reshape(bshape)) / (self.running_var:reshape(bshape) + eps):sqrt()
    end
    if affine then y = y * self.weight:reshape(bshape) + self.bias:reshape(bshape) end
    return y
  end)
  mod._order = {}
  if affine then
    mod:register("weight", m1d.ones(C):requires_grad())
    mod:register("bias", m1d.zeros(C):requires_grad())
    mod._order = {"weight", "bias"}
  end
  if track then
    mod:register_buffer("running_mean", m1d.zeros(C))
    mod:register_buffer("running_var", m1d.ones(C))
    -- int64, 0-dim, as PyTorch's; model files written before it existed load with 0
    -- (PyTorch does the same for its state dicts of version < 2)
    mod:register_buffer("num_batches_tracked", m1d.zeros({}, "int64"), {default = 0})
  end
  return mod
end

-- ------------------------------------------------------------ LayerNorm

-- Over the trailing dims given by `shape` of each sample: y = (x - mean) / sqrt(var + eps)
-- (biased variance) * weight + bias, weight ones and bias zeros of that shape.
function M.LayerNorm(shape, opts)
  opts = util.check_options("LayerNorm", opts, {"eps", "elementwise_affine"})
  if type(shape) == "number" then shape = {shape} end
  if type(shape) ~= "table" or #shape == 0 then
    error(("LayerNorm: normalized_shape must be a size or a non-empty list of sizes, got %s")
          :format(type(shape)), 2)
  end
  local dims = {}
  for i, d in ipairs(shape) do dims[i] = check_size("LayerNorm", "normalized_shape", d) end
  local eps = check_number("LayerNorm", "eps", opts.eps or 1e-5, 0, math.huge, true)
  local affine = check_flag("LayerNorm", "elementwise_affine", opts.elementwise_affine, true)
  local k, want = #dims, "[..., " .. table.concat(dims, ",") .. "]"
  local mod = leaf_module(("LayerNorm([%s], eps %g%s)"):format(table.concat(dims, ","), eps,
                          affine and "" or ", no affine"), function(self, x)
    want_tensor("LayerNorm", x)
    local nd, ok = x:dim(), x:dim() >= k
    for i = 1, k do ok = ok and x:size(nd - k + i) == dims[i] end
    if not ok then error(("LayerNorm: input must be %s, got %s"):format(want, shape_str(x)), 0) end
    local y = m1d.layer_norm(x, k, eps)            -- fused (src/ops_norm.c)
    if affine then y = y * self.weight + self.bias end
    return y
  end)
  mod._order = {}
  if affine then
    mod:register("weight", m1d.ones(dims):requires_grad())
    mod:register("bias", m1d.zeros(dims):requires_grad())
    mod._order = {"weight", "bias"}
  end
  return mod
end

-- ------------------------------------------------------------ Embedding

-- padding_idx: 1..n, or -n..-1 counting from the end (-1 the last row, as PyTorch's -1);
-- returns the 1-based row or nil.
local function padding_row(n, p)
  if p == nil then return nil end
  local i = type(p) == "number" and math.tointeger(p)
  if not i or i == 0 or i < -n or i > n then
    error(("Embedding: padding_idx must be an integer in 1..%d or -%d..-1 (from the end; 1-based, " ..
           "so PyTorch's 0 is 1), got %s"):format(n, n, tostring(p)), 3)
  end
  return i > 0 and i or n + 1 + i
end

-- max_norm: PyTorch's embedding_renorm_, in place under no_grad: every row idx looks up whose
-- norm_type-norm exceeds max_norm is scaled by max_norm / (norm + 1e-7).  All rows' norms
-- are computed and the rows not looked up keep a scale of 1 (n is small next to a batch).
local function renorm_rows(weight, idx, max_norm, norm_type)
  m1d.no_grad(function()
    local n = weight:size(1)
    local w = weight:detach()
    local used = m1d.zeros(n, w:dtype()):index_add(1, idx, m1d.ones(idx:numel(), w:dtype())):gt(0)
    local norms = w:norm(norm_type, 2)
    local over = m1d.where(used, norms:gt(max_norm), m1d.zeros(n, "int64"))
    local scale = m1d.where(over, max_norm / (norms + 1e-7), m1d.ones(n, w:dtype()))
    weight:mul_(scale:reshape(n, 1))
  end)
end

-- A lookup table: idx (int64, any shape, 1-based like every index of the Lua API) ->
-- [idx's shape..., d], rows of weight [n, d] ~ N(0, 1) (PyTorch's init).  padding_idx's
-- row starts at zeros and never receives a gradient (its lookups are detached), but is
-- returned as it is; max_norm renormalises the rows looked up, in place, before the lookup;
-- scale_grad_by_freq divides each row's gradient by the times idx looks it up.
function M.Embedding(n, d, opts)
  opts = util.check_options("Embedding", opts, {"padding_idx", "max_norm", "norm_type", "scale_grad_by_freq"})
  n = check_size("Embedding", "num_embeddings", n)
  d = check_size("Embedding", "embedding_dim", d)
  local pad = padding_row(n, opts.padding_idx)
  local max_norm = opts.max_norm
  if max_norm ~= nil then max_norm = check_number("Embedding", "max_norm", max_norm, 0, math.huge, true) end
  local norm_type = check_number("Embedding", "norm_type", opts.norm_type or 2, 0, math.huge, true)
  if opts.norm_type ~= nil and max_norm == nil then
    error("Embedding: norm_type is the norm of max_norm; give max_norm too", 2)
  end
  local by_freq = check_flag("Embedding", "scale_grad_by_freq", opts.scale_grad_by_freq, false)
  local name = ("Embedding(%d, %d%s%s%s)"):format(n, d, pad and (", padding_idx %d"):format(pad) or "",
    max_norm and (", max_norm %g%s"):format(max_norm, norm_type ~= 2 and (" (norm %g)"):format(norm_type) or "") or "",
    by_freq and ", scale_grad_by_freq" or "")
  local mod = leaf_module(name, function(self, idx)
    if type(idx) == "table" and not m1d.is_tensor(idx) then idx = m1d.tensor(idx, "int64") end
    if not m1d.is_tensor(idx) or idx:dtype() ~= "int64" then
      error(("Embedding: indices must be an int64 tensor (1-based ids 1..%d), got %s"):format(n,
            m1d.is_tensor(idx) and idx:dtype() .. " tensor" or type(idx)), 0)
    end
    if idx:numel() > 0 then
      local lo, hi = idx:min():item(), idx:max():item()
      local bad = lo < 1 and lo or hi > n and hi or nil
      if bad then
        error(("Embedding: index %d out of range 1..%d (indices are 1-based, as index_select's; " ..
               "add 1 to 0-based ids)"):format(bad, n), 0)
      end
    end
    local flat = idx:reshape(-1)
    if max_norm and flat:numel() > 0 then renorm_rows(self.weight, flat, max_norm, norm_type) end
    local out_shape = idx:size()
    out_shape[#out_shape + 1] = d
    local rows = self.weight:index_select(1, flat)
    if by_freq and flat:numel() > 0 then
      -- the value stays the lookup's bits (detached rows + a zero), the gradient is scaled
      -- by 1/count: torch's scale_grad_by_freq, at every order
      local dt = rows:dtype()
      local count = m1d.zeros(n, dt):index_add(1, flat, m1d.ones(flat:numel(), dt))
      local scale = (count:index_select(1, flat) ^ -1):reshape(-1, 1)
      local fixed = rows:detach()
      rows = fixed + (rows - fixed) * scale
    end
    if pad then   -- the padding lookups as constants: no gradient reaches that row, at any order
      rows = m1d.where(flat:eq(pad):reshape(-1, 1), rows:detach(), rows)
    end
    return rows:reshape(out_shape)
  end)
  local w = m1d.randn(n, d)
  if pad then w[pad]:zero_() end
  mod:register("weight", w:requires_grad())
  mod._order = {"weight"}
  mod.padding_idx, mod.max_norm, mod.norm_type = pad, max_norm, norm_type
  return mod
end

-- ------------------------------------------------------------ Softmax, LogSoftmax

local function softmax_layer(name, method)
  M[name] = function(dim)
    if dim == nil then dim = -1 end
    local d = type(dim) == "number" and math.tointeger(dim)
    if not d or d == 0 then
      error(("%s: dim must be a non-zero integer (1-based, -1 the last), got %s"):format(name, tostring(dim)), 2)
    end
    dim = d
    return leaf_module(("%s(dim %d)"):format(name, dim), function(_, x)
      want_tensor(name, x)
      return x[method](x, dim)
    end)
  end
end
softmax_layer("Softmax", "softmax")
softmax_layer("LogSoftmax", "log_softmax")

return function(nn_, h)
  nn, check_size, leaf_module = nn_, h.check_size, h.leaf_module
  for name, layer in pairs(M) do nn[name] = layer end
end
