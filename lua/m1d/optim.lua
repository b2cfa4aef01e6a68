-- m1d.optim — optimizers, two ways.
--
-- In place, for ordinary training: optim.SGD / Adam / AdamW / RMSprop(params, opts)
-- with :step() (reads each parameter's .grad, updates it with one C kernel pass)
-- and :zero_grad().  Formulas and defaults are torch.optim's.
--
-- Functional and differentiable, for meta-learning: optim.sgd_step, rmsprop_step and
-- adam_step take parameters, gradients and state and return new tensors built from
-- ops, so a loss after many steps can be differentiated with respect to the
-- hyperparameters (which may be tensors requiring grad, e.g. a learned learning rate).
local m1d = require "m1d"

local optim = {}

local function check_number(name, v, lo)
  if type(v) ~= "number" or v ~= v or (lo and v < lo) then
    error(("optimizer: %s must be a number%s, got %s"):format(name, lo and (" >= " .. lo) or "", tostring(v)), 3)
  end
  return v
end

local function check_range(name, v, lo, hi)     -- lo <= v < hi
  if type(v) ~= "number" or not (v >= lo and v < hi) then
    error(("optimizer: %s must be a number in [%g, %g), got %s"):format(name, lo, hi, tostring(v)), 3)
  end
  return v
end

local function check_params(params, who)
  if type(params) ~= "table" or #params == 0 then
    error(who .. ": expected a non-empty list of parameter tensors (model:parameters())", 3)
  end
  for i, p in ipairs(params) do
    if not m1d.is_tensor(p) then error(("%s: parameter %d is not a tensor"):format(who, i), 3) end
  end
  return params
end

local Optimizer = {}
Optimizer.__index = Optimizer
Optimizer.__name = "m1d.optim.Optimizer"  -- help(opt) finds the Optimizer entries by it
optim.Optimizer = Optimizer               -- the methods every optimizer has (help() maps them)

function Optimizer:zero_grad()
  for _, p in ipairs(self.params) do p.grad = nil end
end

-- One update of every parameter that has a gradient.
function Optimizer:step()
  self.t = self.t + 1
  m1d.no_grad(function()
    for i, p in ipairs(self.params) do
      local g = p.grad
      if g then
        if not g:is_contiguous() then g = g:contiguous() end
        self:_update(i, p, g)
      end
    end
  end)
end

local function new(kind, params, opts, defaults)
  local self = setmetatable({kind = kind, params = check_params(params, kind), t = 0, state = {}}, Optimizer)
  local known = {}
  for k in pairs(defaults) do known[#known + 1] = k end
  opts = m1d.util.check_options(kind, opts, known, 3)
  for k, v in pairs(defaults) do self[k] = opts[k] == nil and v or opts[k] end
  return self
end

function optim.SGD(params, opts)
  local self = new("SGD", params, opts, {lr = 1e-2, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false})
  check_number("lr", self.lr, 0); check_number("momentum", self.momentum, 0)
  check_number("weight_decay", self.weight_decay, 0); check_number("dampening", self.dampening)
  self.nesterov = self.nesterov or false     -- (the defaults loop turns a default false into nil)
  if type(self.nesterov) ~= "boolean" then
    error(("optimizer: nesterov must be true or false, got %s"):format(tostring(self.nesterov)), 2)
  end
  self._update = function(s, i, p, g)
    local buf = s.state[i]
    local first = buf == nil
    if s.momentum ~= 0 and first then buf = m1d.zeros(p:size(), p:dtype()); s.state[i] = buf end
    m1d.core.sgd_update(p, g, buf, s.lr, s.momentum, s.dampening, s.weight_decay, s.nesterov, first)
  end
  return self
end

local function adam(kind, params, opts, decoupled)
  local self = new(kind, params, opts, {lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8,
                                        weight_decay = decoupled and 1e-2 or 0})
  check_number("lr", self.lr, 0); check_number("eps", self.eps, 0)
  check_number("weight_decay", self.weight_decay, 0)
  if type(self.betas) ~= "table" then
    error(("optimizer: betas must be a table {beta1, beta2}, got %s"):format(tostring(self.betas)), 3)
  end
  check_range("beta1", self.betas[1], 0, 1); check_range("beta2", self.betas[2], 0, 1)
  self._update = function(s, i, p, g)
    local st = s.state[i]
    if not st then
      st = {m = m1d.zeros(p:size(), p:dtype()), v = m1d.zeros(p:size(), p:dtype()), step = 0}
      s.state[i] = st
    end
    st.step = st.step + 1
    m1d.core.adam_update(p, g, st.m, st.v, st.step, s.lr, s.betas[1], s.betas[2], s.eps, s.weight_decay, decoupled)
  end
  return self
end

function optim.Adam(params, opts) return adam("Adam", params, opts, false) end
function optim.AdamW(params, opts) return adam("AdamW", params, opts, true) end

function optim.RMSprop(params, opts)
  local self = new("RMSprop", params, opts, {lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0})
  check_number("lr", self.lr, 0); check_number("alpha", self.alpha, 0)
  check_number("eps", self.eps, 0); check_number("weight_decay", self.weight_decay, 0)
  self._update = function(s, i, p, g)
    local sq = s.state[i]
    if not sq then sq = m1d.zeros(p:size(), p:dtype()); s.state[i] = sq end
    m1d.core.rmsprop_update(p, g, sq, s.lr, s.alpha, s.eps, s.weight_decay)
  end
  return self
end

-- L-BFGS as torch.optim.LBFGS, with a closure-based step (lua/m1d/lbfgs.lua); not in
-- optim.make, since train.fit's loop calls step() without a closure.
optim.LBFGS = require("m1d.lbfgs").LBFGS

-- Make an optimizer by name: optim.make("adam", params, {lr = 1e-2}).
function optim.make(name, params, opts)
  if type(name) ~= "string" then error(("optim.make: the name must be a string, got %s"):format(type(name)), 2) end
  local ctor = ({sgd = optim.SGD, adam = optim.Adam, adamw = optim.AdamW, rmsprop = optim.RMSprop})[name:lower()]
  if not ctor then error(("optim.make: unknown optimizer '%s' (sgd, adam, adamw, rmsprop)"):format(name), 2) end
  return ctor(params, opts)
end

-- ---------------------------------------------------------------- functional, differentiable

-- new_params[i] = params[i] - lr * grads[i];  lr a number or a tensor (may require grad)
-- The functional steps check that grads (and state) match params one for one.
local function check_lists(who, params, grads)
  if type(params) ~= "table" or type(grads) ~= "table" or #grads ~= #params then
    error(("%s: params and grads must be lists of the same length (got %s and %s)"):format(who,
      type(params) == "table" and #params or type(params), type(grads) == "table" and #grads or type(grads)), 3)
  end
end

function optim.sgd_step(params, grads, lr)
  check_lists("sgd_step", params, grads)
  if type(lr) == "number" and lr ~= lr then error("sgd_step: lr is NaN", 2) end
  local out = {}
  for i, p in ipairs(params) do out[i] = p - lr * grads[i] end
  return out
end

-- RMSprop: sq' = mu*sq + (1-mu) g^2;  p' = p - lr * g / (sqrt(sq') + eps).
-- state = {sq = {...}} (nil: starts at `init`, 0 like torch or 1 like the paper's notebook)
function optim.rmsprop_step(params, grads, state, opts)
  check_lists("rmsprop_step", params, grads)
  opts = m1d.util.check_options("rmsprop_step", opts, {"lr", "mu", "alpha", "eps", "init"})
  local lr, mu, eps = opts.lr or 1e-2, opts.mu or opts.alpha or 0.99, opts.eps or 1e-8
  local init = opts.init or 0
  state = state or {}
  local sq = state.sq or {}
  local new_params, new_sq = {}, {}
  for i, p in ipairs(params) do
    local g = grads[i]
    local s = sq[i] or m1d.full(p:size(), init, p:dtype())
    local s2 = s * mu + (g * g) * (1 - mu)
    new_sq[i] = s2
    new_params[i] = p - lr * g / (s2:sqrt() + eps)
  end
  return new_params, {sq = new_sq}
end

-- Adam as a differentiable rule (state = {m, v, step}).
function optim.adam_step(params, grads, state, opts)
  check_lists("adam_step", params, grads)
  opts = m1d.util.check_options("adam_step", opts, {"lr", "beta1", "beta2", "eps"})
  local lr, b1, b2, eps = opts.lr or 1e-3, opts.beta1 or 0.9, opts.beta2 or 0.999, opts.eps or 1e-8
  state = state or {m = {}, v = {}, step = 0}
  if type(state.m) ~= "table" or type(state.v) ~= "table" or math.type(state.step) ~= "integer" then
    error("adam_step: state must be {m = {...}, v = {...}, step = integer} as adam_step returned it", 2)
  end
  local step = state.step + 1
  local bc1, bc2 = 1 - b1 ^ step, 1 - b2 ^ step
  local np, nm, nv = {}, {}, {}
  for i, p in ipairs(params) do
    local g = grads[i]
    local m = (state.m[i] or m1d.zeros(p:size(), p:dtype())) * b1 + g * (1 - b1)
    local v = (state.v[i] or m1d.zeros(p:size(), p:dtype())) * b2 + (g * g) * (1 - b2)
    nm[i], nv[i] = m, v
    np[i] = p - (lr / bc1) * m / ((v:sqrt() / math.sqrt(bc2)) + eps)
  end
  return np, {m = nm, v = nv, step = step}
end

return optim
