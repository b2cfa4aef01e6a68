-- m1d.nn — layers as thin Lua tables over the C ops, in the manner of Torch7's nn.
--
-- A module is a table of parameter tensors (and child modules) plus a forward
-- function; calling it runs forward.  It keeps no output buffers, so results
-- never alias between calls.  Parameters are found by walking the fields in a
-- fixed order (Sequential: by position; other modules: by sorted field name),
-- which gives every model one flat parameter list for optimizers, masks and
-- the functional form meta-learning needs: model:apply(params, x).
local m1d = require "m1d"
local util = require "m1d.util"

local nn = {}

local Module = {}
Module.__index = Module
Module.__name = "m1d.nn.Module"      -- help(model) finds the Module entries by it
-- Calling a module runs its forward.  An error inside it gains a line naming the module
-- and the shape it was given, so one raised deep in a model says where it happened:
--   linear: x [3,10] and weight [5,20] do not match
--     in Linear(20 -> 5), given [3,10]
--     in layer 2 of Sequential, given [3,40]
local check = require "m1d.nn_check"
local shape_of = check.shape

local function module_name(m)
  local n = rawget(m, "_name")
  return type(n) == "string" and n or "Module"
end

-- Passes pcall's results through, or raises its error with a context line for module m
-- (as layer `index` of m when given).  Nothing is built unless there is an error: this
-- runs on every module call of every training step.
local function with_context(m, index, x, ok, ...)
  if ok then return ... end
  local err = ...
  if type(err) ~= "string" then error(err, 0) end     -- a non-string error passes unchanged
  -- the library's own file:line prefix says nothing to the user; the context lines do
  err = err:gsub("^[^\n]-/lua/m1d/[%w_]+%.lua:%d+: ", "")
  local what = index and ("layer %d of %s"):format(index, module_name(m)) or module_name(m)
  error(("%s\n  in %s, given %s"):format(err, what, shape_of(x)), 0)
end

Module.__call = function(self, x, ...)
  local forward = self.forward
  if type(forward) ~= "function" then
    error(("%s has no forward function: give one, nn.Module{..., forward = function(self, x) ... end}")
          :format(module_name(self)), 2)
  end
  return with_context(self, nil, x, pcall(forward, self, x, ...))
end
nn.ModuleBase = Module

local function is_module(v) return type(v) == "table" and getmetatable(v) and v._is_module end

-- Make a module: a table of fields (tensors are parameters, modules are children)
-- and a forward(self, x) function.  Example, the paper's residual MLP:
--   nn.Module{l1 = nn.Linear(40, 100), l2 = nn.Linear(100, 100), l3 = nn.Linear(100, 10),
--             forward = function(self, x)
--               local h = self.l1(x):relu(); h = h + self.l2(h):relu(); return self.l3(h) end}
function nn.Module(fields)
  local self = setmetatable(fields or {}, Module)
  self._is_module = true
  self._param_keys = self._param_keys or {}
  self._buffer_keys = self._buffer_keys or {}
  if self.training == nil then self.training = true end
  return self
end

-- The child modules of mod: every field holding a module, wherever it is (also one a
-- custom module keeps outside _order), each once.
local function children(mod)
  local out = {}
  for k, v in pairs(mod) do
    if (type(k) ~= "string" or k:sub(1, 1) ~= "_") and is_module(v) then out[#out + 1] = v end
  end
  return out
end

-- Train or evaluation mode, for this module and every module below it: what Dropout and
-- BatchNorm1d read (model.training).  A module reached twice is set once.
function Module:train(mode)
  if mode == nil then mode = true end
  if type(mode) ~= "boolean" then
    error(("Module:train: mode must be a boolean, got %s"):format(type(mode)), 2)
  end
  local seen = {}
  local function set(mod)
    if seen[mod] then return end
    seen[mod] = true
    mod.training = mode
    for _, c in ipairs(children(mod)) do set(c) end
  end
  set(self)
  return self
end

function Module:eval() return self:train(false) end

-- Fields holding parameters or children, in a deterministic order.
function Module:_slots()
  local keys = {}
  if self._order then
    for _, k in ipairs(self._order) do keys[#keys + 1] = k end
  else
    for k, v in pairs(self) do
      if type(k) ~= "string" or k:sub(1, 1) ~= "_" then
        if is_module(v) or (m1d.is_tensor(v) and self._param_keys[k]) then keys[#keys + 1] = k end
      end
    end
    table.sort(keys, function(a, b)
      if type(a) == type(b) then return a < b end
      return type(a) == "number"
    end)
  end
  return keys
end

-- Every (owner, key) of a parameter, depth first.
function Module:_param_refs(out)
  out = out or {}
  for _, k in ipairs(self:_slots()) do
    local v = self[k]
    if is_module(v) then v:_param_refs(out)
    elseif m1d.is_tensor(v) then out[#out + 1] = {self, k} end
  end
  return out
end

function Module:register(name, tensor)
  self._param_keys[name] = true
  self[name] = tensor
  return tensor
end

-- A buffer: a tensor that belongs to the module's state but is not trained (BatchNorm1d's
-- running statistics).  Buffers are saved and loaded with the parameters and cast by
-- float()/double(), but parameters() never lists them, so no optimizer touches them.
-- opts.default: a buffer added after model files of the layer were already written
-- (BatchNorm1d's num_batches_tracked): load fills it with this value when a file lacks it,
-- instead of refusing the file.
function Module:register_buffer(name, tensor, opts)
  opts = util.check_options("register_buffer", opts, {"default"})
  if opts.default ~= nil then
    if type(opts.default) ~= "number" then
      error(("register_buffer: default must be a number, got %s"):format(type(opts.default)), 2)
    end
    self._buffer_defaults = self._buffer_defaults or {}
    self._buffer_defaults[name] = opts.default
  end
  self._buffer_keys[name] = true
  self[name] = tensor
  return tensor
end

-- The buffers and their dotted names, depth first (children in the order of _slots,
-- a module's own buffers by sorted name).
-- (A third result, for load: each buffer's default, register_buffer's opts.default, or false.)
function Module:named_buffers()
  local bs, names, defaults = {}, {}, {}
  local function walk(mod, prefix)
    local own = {}
    for k in pairs(mod._buffer_keys or {}) do own[#own + 1] = k end
    table.sort(own)
    for _, k in ipairs(own) do
      bs[#bs + 1] = mod[k]; names[#names + 1] = prefix .. k
      defaults[#bs] = mod._buffer_defaults and mod._buffer_defaults[k] or false
    end
    for _, k in ipairs(mod:_slots()) do
      if is_module(mod[k]) then walk(mod[k], prefix .. k .. ".") end
    end
  end
  walk(self, "")
  return bs, names, defaults
end

function Module:parameters()
  local ps = {}
  for i, ref in ipairs(self:_param_refs()) do ps[i] = ref[1][ref[2]] end
  return ps
end

function Module:named_parameters()
  local ps, names = {}, {}
  local function walk(mod, prefix)
    for _, k in ipairs(mod:_slots()) do
      local v = mod[k]
      if is_module(v) then walk(v, prefix .. k .. ".")
      elseif m1d.is_tensor(v) then ps[#ps + 1] = v; names[#names + 1] = prefix .. k end
    end
  end
  walk(self, "")
  return ps, names
end

function Module:n_params()
  local n = 0
  for _, p in ipairs(self:parameters()) do n = n + p:numel() end
  return n
end

-- Run forward with `params` (a list like parameters()) standing in for the module's
-- own: the functional form that differentiable inner loops need.
function Module:apply(params, ...)
  local refs = self:_param_refs()
  if #params ~= #refs then
    error(("apply: %d parameters given, the module has %d"):format(#params, #refs), 2)
  end
  local saved = {}
  for i, ref in ipairs(refs) do saved[i] = ref[1][ref[2]]; ref[1][ref[2]] = params[i] end
  local ok, a, b = pcall(self.forward, self, ...)
  for i, ref in ipairs(refs) do ref[1][ref[2]] = saved[i] end
  if not ok then error(a, 0) end
  return a, b
end

-- Replace the parameters in place (values copied; shapes must match).
function Module:set_parameters(params)
  local own = self:parameters()
  if #params ~= #own then error(("set_parameters: %d given, %d expected"):format(#params, #own), 2) end
  m1d.no_grad(function() for i, p in ipairs(own) do p:copy_(params[i]) end end)
end

-- All parameters as one flat vector, and back.
function Module:flat_parameters()
  local flat = {}
  for i, p in ipairs(self:parameters()) do flat[i] = p:reshape(-1) end
  return m1d.cat(flat, 1)
end

function Module:unflatten(vec)
  local out, off = {}, 1
  for i, p in ipairs(self:parameters()) do
    local n = p:numel()
    out[i] = vec:narrow(1, off, n):reshape(p:size())
    off = off + n
  end
  if off - 1 ~= vec:numel() then
    error(("unflatten: vector has %d elements, the module %d"):format(vec:numel(), off - 1), 2)
  end
  return out
end

function Module:load_flat(vec) self:set_parameters(self:unflatten(vec)) end

-- Copies of the current parameter values (detached), e.g. for rewinding.
function Module:state()
  local s = {}
  for i, p in ipairs(self:parameters()) do s[i] = p:detach():clone() end
  return s
end

-- Lottery-ticket masks: a fixed 0/1 tensor per parameter (nil = dense) that keeps
-- pruned weights at zero; enforce_masks() is called after every optimizer step.
function Module:set_masks(masks)
  self._masks = masks
  self:enforce_masks()
end

function Module:enforce_masks()
  local masks = self._masks
  if not masks then return end
  m1d.no_grad(function()
    for i, p in ipairs(self:parameters()) do
      if masks[i] then p:mul_(masks[i]) end
    end
  end)
end

-- Save the parameters and buffers (by their dotted names) to one checksummed file, and
-- load them back into a module of the same architecture (names and shapes must match).
local function named_state(mod)
  local ts, names = mod:named_parameters()
  local bs, bnames, defaults = mod:named_buffers()
  local is_buffer, default = {}, {}
  for i, b in ipairs(bs) do
    ts[#ts + 1] = b; names[#names + 1] = bnames[i]; is_buffer[bnames[i]] = true
    default[bnames[i]] = defaults[i] or nil
  end
  return ts, names, is_buffer, default
end

function Module:save(path)
  local ts, names = named_state(self)
  m1d.core.save_tensors(path, names, ts)
end

function Module:load(path)
  local map, file_names = m1d.load(path)
  local ts, names, is_buffer, default = named_state(self)
  local loaded, used = {}, {}
  for i, name in ipairs(names) do
    local what = is_buffer[name] and "buffer" or "parameter"
    local t = map[name]
    if not t and default[name] then t = m1d.full(ts[i]:size(), default[name], ts[i]:dtype()) end  -- an older file
    if not t then error(("load: %s has no %s '%s'"):format(path, what, name), 2) end
    local want, got = table.concat(ts[i]:size(), "x"), table.concat(t:size(), "x")
    if want ~= got then
      error(("load: %s: %s '%s' has shape %s, the module wants %s"):format(path, what, name, got, want), 2)
    end
    loaded[i], used[name] = t, true
  end
  for _, name in ipairs(file_names) do
    if not used[name] then error(("load: %s has a parameter '%s' the module does not"):format(path, name), 2) end
  end
  m1d.no_grad(function() for i, t in ipairs(ts) do t:copy_(loaded[i]) end end)
  return self
end

function Module:zero_grad()
  for _, p in ipairs(self:parameters()) do p.grad = nil end
end

function Module:float() return self:_cast("float32") end
function Module:double() return self:_cast("float64") end
function Module:_cast(dt)
  for _, ref in ipairs(self:_param_refs()) do
    ref[1][ref[2]] = ref[1][ref[2]]:detach():type(dt):contiguous():clone():requires_grad()
  end
  local seen = {}
  local function cast_buffers(mod)       -- float buffers follow the parameters' dtype
    if seen[mod] then return end
    seen[mod] = true
    for k in pairs(mod._buffer_keys or {}) do
      if mod[k]:dtype() ~= "int64" then mod[k] = mod[k]:type(dt):contiguous():clone() end
    end
    for _, c in ipairs(children(mod)) do cast_buffers(c) end
  end
  cast_buffers(self)
  return self
end

-- A tree, as PyTorch's repr: a module without children is one line (its name, its
-- parameters' shapes, its count); a container opens "name(", lists each child as
-- "(key): ..." indented under it (parameters of its own as "(key): parameter [shape]"),
-- and closes with ")" and its total. float32 is the default dtype and goes unsaid.
local function count_str(n) return ("(%d parameter%s)"):format(n, n == 1 and "" or "s") end
local function shape_str(t)
  local s = "[" .. table.concat(t:shape(), ",") .. "]"
  return t:dtype() == "float32" and s or s .. " " .. t:dtype()
end
local function module_lines(mod, indent, out, prefix)
  local name = mod._name or "Module"
  local slots, has_child = mod:_slots(), false
  for _, k in ipairs(slots) do if is_module(mod[k]) then has_child = true break end end
  if not has_child then
    local shapes = {}
    for _, k in ipairs(slots) do shapes[#shapes + 1] = k .. " " .. shape_str(mod[k]) end
    local bufs = {}                       -- buffers (running statistics) after a ";"
    for k in pairs(mod._buffer_keys or {}) do bufs[#bufs + 1] = k end
    table.sort(bufs)
    for i, k in ipairs(bufs) do bufs[i] = k .. " " .. shape_str(mod[k]) end
    local line = indent .. prefix .. name
    if #shapes > 0 then line = line .. "  " .. table.concat(shapes, ", ") end
    if #bufs > 0 then line = line .. (#shapes > 0 and "; " or "  ") .. "buffers " .. table.concat(bufs, ", ") end
    if #shapes > 0 then line = line .. "  " .. count_str(mod:n_params()) end
    out[#out + 1] = line
    return
  end
  out[#out + 1] = indent .. prefix .. name .. "("
  for _, k in ipairs(slots) do
    local v, key = mod[k], "(" .. tostring(k) .. "): "
    if is_module(v) then module_lines(v, indent .. "  ", out, key)
    else out[#out + 1] = indent .. "  " .. key .. "parameter " .. shape_str(v) end
  end
  out[#out + 1] = indent .. ")  " .. count_str(mod:n_params())
end

function Module:__tostring()
  local out = {}
  module_lines(self, "", out, "")
  return table.concat(out, "\n")
end

-- ---------------------------------------------------------------- initialisation

-- U(-bound, bound), drawn from m1d's seeded generator (PyTorch's default bounds).
local function uniform(bound, ...)
  local t = m1d.rand(...)
  return (t * (2 * bound) - bound):requires_grad()
end
nn.init_uniform = uniform

-- Layer sizes: integers >= 1 (nn.Linear(0, 5) drew its bias from U(-inf, inf)); floats
-- with integral values (2^5) are accepted and returned as integers.
local check_size = check.size

local function leaf_module(name, forward)
  local mod = nn.Module{_name = name}
  mod.forward = forward
  return mod
end

-- ---------------------------------------------------------------- layers

-- y = x W^T + b;  W [out, in], b [out] ~ U(-1/sqrt(in), 1/sqrt(in)) as in PyTorch.
function nn.Linear(n_in, n_out, opts)
  opts = m1d.util.check_options("Linear", opts, {"bias"})
  n_in, n_out = check_size("Linear", "in_features", n_in), check_size("Linear", "out_features", n_out)
  opts = opts or {}
  local bound = 1 / math.sqrt(n_in)
  local mod = leaf_module(("Linear(%d -> %d)"):format(n_in, n_out), function(self, x)
    return m1d.linear(x, self.weight, self.bias)
  end)
  mod:register("weight", uniform(bound, n_out, n_in))
  if opts.bias ~= false then mod:register("bias", uniform(bound, n_out)) end
  mod._order = opts.bias ~= false and {"weight", "bias"} or {"weight"}
  return mod
end

-- x [batch, in, length] -> [batch, out, length'];  W [out, in, k] ~ U(+-1/sqrt(in*k)).
-- layout = "CLN": x [in, length, batch] -> [out, length', batch] (see nn.models.cnn).
function nn.Conv1d(n_in, n_out, k, opts)
  opts = m1d.util.check_options("Conv1d", opts, {"stride", "padding", "bias", "layout"})
  n_in, n_out = check_size("Conv1d", "in_channels", n_in), check_size("Conv1d", "out_channels", n_out)
  k = check_size("Conv1d", "kernel_size", k)
  opts = opts or {}
  local stride = check_size("Conv1d", "stride", opts.stride or 1)
  local padding = check_size("Conv1d", "padding", opts.padding or 0, 0)
  local layout = opts.layout or "NCL"
  if layout ~= "NCL" and layout ~= "CLN" then
    error(("Conv1d: layout must be \"NCL\" or \"CLN\", got %s"):format(tostring(layout)), 2)
  end
  local bound = 1 / math.sqrt(n_in * k)
  local mod = leaf_module(("Conv1d(%d -> %d, k %d, stride %d, padding %d%s)"):format(n_in, n_out, k, stride, padding,
                                                                                   layout == "CLN" and ", CLN" or ""),
    function(self, x) return m1d.conv1d(x, self.weight, self.bias, stride, padding, layout) end)
  mod:register("weight", uniform(bound, n_out, n_in, k))
  if opts.bias ~= false then mod:register("bias", uniform(bound, n_out)) end
  mod._order = opts.bias ~= false and {"weight", "bias"} or {"weight"}
  return mod
end

-- opts.layout: "NCL" ([batch, channels, length], the default) or "CLN" (batch last, as
-- Conv1d's layout = "CLN")
local function pool_layout(name, opts)
  opts = m1d.util.check_options(name, opts, {"layout"}) or {}
  local layout = opts.layout or "NCL"
  if layout ~= "NCL" and layout ~= "CLN" then
    error(("%s: layout must be \"NCL\" or \"CLN\", got %s"):format(name, tostring(layout)), 3)
  end
  return layout, layout == "CLN" and "(CLN)" or ""
end
function nn.MaxPool1d(k, stride, opts)
  k = check_size("MaxPool1d", "kernel_size", k); stride = check_size("MaxPool1d", "stride", stride or k)
  local layout, tag = pool_layout("MaxPool1d", opts)
  return leaf_module("MaxPool1d" .. tag, function(_, x) return m1d.max_pool1d(x, k, stride, layout) end)
end
function nn.AvgPool1d(k, stride, opts)
  k = check_size("AvgPool1d", "kernel_size", k); stride = check_size("AvgPool1d", "stride", stride or k)
  local layout, tag = pool_layout("AvgPool1d", opts)
  return leaf_module("AvgPool1d" .. tag, function(_, x) return m1d.avg_pool1d(x, k, stride, layout) end)
end
-- (sum over the window of x^p)^(1/p); p = 2 is L2 pooling
function nn.LPPool1d(p, k, stride, opts)
  if type(p) ~= "number" or not (p > 0) then error(("LPPool1d: norm p must be a positive number, got %s"):format(tostring(p)), 2) end
  k = check_size("LPPool1d", "kernel_size", k); stride = check_size("LPPool1d", "stride", stride or k)
  local layout, tag = pool_layout("LPPool1d", opts)
  return leaf_module("LPPool1d" .. tag, function(_, x) return m1d.lp_pool1d(x, p, k, stride, layout) end)
end

local function activation(name, f)
  nn[name] = function(...)
    local args = {...}
    return leaf_module(name, function(_, x) return f(x, table.unpack(args)) end)
  end
end
activation("ReLU", function(x) return x:relu() end)
activation("Tanh", function(x) return x:tanh() end)
activation("Sigmoid", function(x) return x:sigmoid() end)
activation("ELU", function(x, alpha) return x:elu(alpha or 1) end)
activation("Softplus", function(x, beta, th) return x:softplus(beta or 1, th or 20) end)
activation("SiLU", function(x) return x:silu() end)
activation("GELU", function(x) return x:gelu() end)
nn.Swish = nn.SiLU
activation("Identity", function(x) return x end)
-- [batch, ...] -> [batch, prod(...)]
activation("Flatten", function(x) return x:flatten(2) end)
-- [batch, n] -> [batch, 1, n], the conv layers' input layout
activation("Unflatten", function(x) return x:reshape(x:size(1), 1, -1) end)
-- The batch-last layout of Conv1d's layout = "CLN" (see nn.models.cnn): in,
-- [batch, n] -> [1, n, batch] or [batch, C, L] -> [C, L, batch]; out, [C, L, batch] ->
-- [batch, C*L], the order x:flatten(2) gives in [batch, C, L].
activation("ToCLN", function(x)
  if x:dim() == 2 then return x:t():reshape(1, x:size(2), x:size(1)) end
  if x:dim() == 3 then return x:permute(2, 3, 1) end
  error(("ToCLN: input must be [batch, n] or [batch, channels, length], got %s"):format(
    table.concat(x:size(), "x")), 3)
end)
activation("FlattenCLN", function(x)
  if x:dim() ~= 3 then
    error(("FlattenCLN: input must be [channels, length, batch], got %s"):format(table.concat(x:size(), "x")), 3)
  end
  return x:reshape(-1, x:size(3)):t()
end)

function nn.Sequential(...)
  local mods = table.pack(...)             -- n counts nils: Sequential(a, nil, b) is an error
  if mods.n == 1 and not is_module(mods[1]) and type(mods[1]) == "table" then mods = mods[1] end
  local seq = nn.Module{_name = "Sequential"}
  seq._order = {}
  for i = 1, mods.n or #mods do
    local m = mods[i]
    if not is_module(m) then error(("Sequential: argument %d is not a module"):format(i), 2) end
    seq[i] = m
    seq._order[i] = i
  end
  seq.forward = function(self, x)
    for i = 1, #self._order do
      local layer = self[i]
      -- the layer's own context line names it; this one adds its place in the container
      x = with_context(self, i, x, pcall(layer, x))
    end
    return x
  end
  return seq
end

-- Dropout, the normalisations, Embedding, Softmax and LogSoftmax (lua/m1d/nn_layers.lua)
require("m1d.nn_layers")(nn, {check_size = check_size, leaf_module = leaf_module})
-- RNN, LSTM and GRU (lua/m1d/nn_recurrent.lua)
require("m1d.nn_recurrent")(nn)
-- MultiheadAttention and TransformerEncoderLayer (lua/m1d/nn_attention.lua)
require("m1d.nn_attention")(nn, {check_size = check_size, uniform = uniform})

-- ---------------------------------------------------------------- losses and metrics

nn.cross_entropy = m1d.cross_entropy
nn.nll = m1d.nll
nn.mse = m1d.mse

-- MSE against one-hot targets, for classification with the squared loss.
function nn.mse_onehot(logits, labels)
  return m1d.mse(logits, m1d.onehot(labels, logits:size(2), logits:dtype()))
end

-- The predicted labels of logits [n, classes]: int64 0..classes-1, like the labels.
-- logits:argmax(2) is 1-based (every index in the Lua API is), labels are 0-based:
-- comparing the two directly is off by one, silently.
function nn.predict(logits)
  if not m1d.is_tensor(logits) or logits:dim() ~= 2 then
    error("nn.predict: logits must be a [batch, classes] tensor", 2)
  end
  return logits:argmax(2) - 1
end

-- Percentage of rows whose predicted label (nn.predict) equals the label.
function nn.accuracy(logits, labels)
  return nn.predict(logits):eq(labels):sum():item() / labels:numel() * 100
end

-- ---------------------------------------------------------------- the paper's models

nn.models = {}

function nn.models.logistic() local m = nn.Linear(40, 10); m._name = "logistic"; return m end

function nn.models.mlp(hidden)
  hidden = hidden or 100
  return nn.Module{
    _name = "mlp", l1 = nn.Linear(40, hidden), l2 = nn.Linear(hidden, hidden), l3 = nn.Linear(hidden, 10),
    _order = {"l1", "l2", "l3"},
    forward = function(self, x)
      local h = self.l1(x):relu()
      h = h + self.l2(h):relu()
      return self.l3(h)
    end,
  }
end

-- The paper's CNN.  Its activations run batch-last ([channels, length, batch], the
-- convolutions' "CLN" layout) from the input to the flatten: there a convolution's columns
-- are copies of whole rows of the batch and its GEMM writes the next layer's input in
-- place, where [batch, channels, length] needed copies of rows of 5 to 19 elements around
-- every GEMM.  The parameters, the numbers and the flatten order are those of the
-- [batch, channels, length] network (only the summation order inside a GEMM differs).
function nn.models.cnn(channels)
  channels = channels or 25
  local conv = function(n_in, k) return nn.Conv1d(n_in, channels, k, {stride = 2, padding = 1, layout = "CLN"}) end
  local to_cln, flatten = nn.ToCLN(), nn.FlattenCLN()
  return nn.Module{
    _name = "cnn", _order = {"c1", "c2", "c3", "fc"},
    c1 = conv(1, 5), c2 = conv(channels, 3), c3 = conv(channels, 3),
    fc = nn.Linear(channels * 5, 10),
    forward = function(self, x)
      local h = to_cln(x:reshape(x:size(1), -1))           -- [1, length, batch]
      h = self.c1(h):relu()
      h = self.c2(h):relu()
      h = self.c3(h):relu()
      return self.fc(flatten(h))                           -- [batch, channels * length]
    end,
  }
end

function nn.models.gru(hidden, time_steps)
  hidden, time_steps = hidden or 6, time_steps or 40
  return nn.Module{
    _name = "gru", _order = {"rnn", "fc"},
    rnn = nn.GRU(1, hidden, {bidirectional = true, batch_first = true}),
    fc = nn.Linear(2 * hidden * time_steps, 10),
    forward = function(self, x)
      local out = self.rnn(x:reshape(x:size(1), x:size(2), 1))
      return self.fc(out:flatten(2))
    end,
  }
end

-- The GRU baseline with an LSTM in its place (issue #19: "LSTM or GRU?"): the same
-- sequence [batch, 40, 1], bidirectional LSTM(1, hidden), all outputs flattened, Linear.
function nn.models.lstm(hidden, time_steps)
  hidden, time_steps = hidden or 6, time_steps or 40
  return nn.Module{
    _name = "lstm", _order = {"rnn", "fc"},
    rnn = nn.LSTM(1, hidden, {bidirectional = true, batch_first = true}),
    fc = nn.Linear(2 * hidden * time_steps, 10),
    forward = function(self, x)
      local out = self.rnn(x:reshape(x:size(1), x:size(2), 1))
      return self.fc(out:flatten(2))
    end,
  }
end

-- The residual MLP with BatchNorm1d after each hidden linear (before the ReLU).
function nn.models.mlp_bn(hidden)
  hidden = check_size("nn.models.mlp_bn", "hidden", hidden or 100)
  return nn.Module{
    _name = "mlp_bn", _order = {"l1", "bn1", "l2", "bn2", "l3"},
    l1 = nn.Linear(40, hidden), bn1 = nn.BatchNorm1d(hidden),
    l2 = nn.Linear(hidden, hidden), bn2 = nn.BatchNorm1d(hidden), l3 = nn.Linear(hidden, 10),
    forward = function(self, x)
      local h = self.bn1(self.l1(x)):relu()
      h = h + self.bn2(self.l2(h)):relu()
      return self.l3(h)
    end,
  }
end

-- A small transformer for MNIST-1D sequences: each of the `length` values a token through
-- Linear(1 -> d_model), plus a learned position embedding [length, d_model] (none with
-- positional = false: the model is then exactly permutation-invariant), `layers` pre-norm
-- TransformerEncoderLayers (batch first), a final LayerNorm, the mean over positions and
-- Linear(d_model -> 10).  Defaults: 18,826 parameters (17,546 without positions).
function nn.models.transformer(opts)
  local who = "nn.models.transformer"
  opts = m1d.util.check_options(who, opts, {"d_model", "heads", "dim_feedforward", "layers", "dropout",
                                            "positional", "length", "norm_first"})
  local d = check_size(who, "d_model", opts.d_model or 32)
  local heads = check_size(who, "heads", opts.heads or 4)
  local ff = check_size(who, "dim_feedforward", opts.dim_feedforward or 64)
  local n_layers = check_size(who, "layers", opts.layers or 2)
  local length = check_size(who, "length", opts.length or 40)
  local positional = opts.positional ~= false
  local norm_first = opts.norm_first ~= false
  local mod = nn.Module{_name = positional and "transformer" or "transformer (no positions)",
                        embed = nn.Linear(1, d), norm = nn.LayerNorm(d), head = nn.Linear(d, 10)}
  mod._order = positional and {"pos", "embed"} or {"embed"}
  if positional then mod:register("pos", (m1d.randn(length, d) * 0.02):requires_grad()) end
  for i = 1, n_layers do
    local key = "enc" .. i
    mod[key] = nn.TransformerEncoderLayer(d, heads, {dim_feedforward = ff, dropout = opts.dropout or 0,
                                                      batch_first = true, norm_first = norm_first})
    mod._order[#mod._order + 1] = key
  end
  table.move({"norm", "head"}, 1, 2, #mod._order + 1, mod._order)
  mod.forward = function(self, x)
    if not m1d.is_tensor(x) or x:dim() ~= 2 or x:size(2) ~= length then
      error(("%s: input must be [batch, %d], got %s"):format(who, length, shape_of(x)), 0)
    end
    local h = self.embed(x:reshape(x:size(1), length, 1))          -- [N, length, d]
    if positional then h = h + self.pos end
    for i = 1, n_layers do h = self["enc" .. i](h) end
    return self.head(self.norm(h):mean(2))
  end
  return mod
end

function nn.models.transformer_nopos(opts)
  opts = m1d.util.check_options("nn.models.transformer_nopos", opts, {"d_model", "heads", "dim_feedforward",
                                "layers", "dropout", "length", "norm_first"})
  local o = {positional = false}
  for k, v in pairs(opts) do o[k] = v end
  return nn.models.transformer(o)
end

-- Named lists of models for the studies (benchmark.lua, spatial_priors.lua --models NAME):
-- "paper", the paper's four, and "extended", those and the layers beyond the paper.  A
-- model of a set whose constructor does not exist (lstm, before it lands) is left out.
nn.models.SETS = {
  paper = {"logistic", "mlp", "cnn", "gru"},
  extended = {"logistic", "mlp", "cnn", "gru", "lstm", "mlp_bn", "transformer", "transformer_nopos"},
}

-- "extended" or "mlp,cnn" or "paper,transformer" -> a list of model names (sets expanded,
-- each name once, in order); an unknown name raises naming the known ones.
function nn.models.expand(list)
  if type(list) ~= "string" then
    error(("nn.models.expand: list must be a string of comma-separated names, got %s"):format(type(list)), 2)
  end
  local out, seen = {}, {}
  local function add(name)
    if not seen[name] then seen[name] = true; out[#out + 1] = name end
  end
  for name in list:gmatch("[^,%s]+") do
    if nn.models.SETS[name] then
      for _, m in ipairs(nn.models.SETS[name]) do if type(nn.models[m]) == "function" then add(m) end end
    elseif type(nn.models[name]) == "function" and name ~= "expand" then add(name)
    else
      local known = {}
      for k, v in pairs(nn.models) do if type(v) == "function" and k ~= "expand" then known[#known + 1] = k end end
      table.sort(known)
      error(("unknown model '%s' (models: %s; sets: extended, paper)"):format(name, table.concat(known, ", ")), 2)
    end
  end
  if #out == 0 then error("nn.models.expand: no model named in '" .. list .. "'", 2) end
  return out
end

-- The pooling study's ConvPool (the notebook's benchmark-pooling): pool(relu(conv(x)))
-- twice, then Linear; kind: no_pool, stride_2 (the convolutions stride 2 instead),
-- max_pool, avg_pool or l2_pool (window 2).
nn.models.POOL_KINDS = {"no_pool", "stride_2", "max_pool", "avg_pool", "l2_pool"}
function nn.models.conv_pool(kind, channels)
  channels = channels or 20
  local pool
  local cln = {layout = "CLN"}
  if kind == "max_pool" then pool = nn.MaxPool1d(2, 2, cln)
  elseif kind == "avg_pool" then pool = nn.AvgPool1d(2, 2, cln)
  elseif kind == "l2_pool" then pool = nn.LPPool1d(2, 2, 2, cln)
  elseif kind ~= "no_pool" and kind ~= "stride_2" then
    error(("nn.models.conv_pool: unknown kind '%s' (%s)"):format(tostring(kind),
          table.concat(nn.models.POOL_KINDS, ", ")), 2)
  end
  local stride = kind == "stride_2" and 2 or 1
  local linear_in = channels * (kind == "no_pool" and 40 or 10)
  local to_cln, flatten = nn.ToCLN(), nn.FlattenCLN()
  local function conv(n_in) return nn.Conv1d(n_in, channels, 3, {stride = stride, padding = 1, layout = "CLN"}) end
  return nn.Module{
    _name = kind, _order = {"c1", "c2", "fc"},
    c1 = conv(1), c2 = conv(channels),
    fc = nn.Linear(linear_in, 10),
    forward = function(self, x)                -- batch-last from the input to the flatten, as nn.models.cnn
      local h = to_cln(x:reshape(x:size(1), -1))
      h = self.c1(h):relu()
      if pool then h = pool(h) end
      h = self.c2(h):relu()
      if pool then h = pool(h) end
      return self.fc(flatten(h))
    end,
  }
end

return nn
