-- m1d.lbfgs — L-BFGS as torch.optim.LBFGS (torch 1.13), exposed as m1d.optim.LBFGS.
--
--   local opt = m1d.optim.LBFGS(model:parameters(), {line_search_fn = "strong_wolfe"})
--   local loss = opt:step(function()
--     opt:zero_grad(); local l = loss_fn(); l:backward(); return l
--   end)
--
-- A port line by line of torch/optim/lbfgs.py (itself minFunc's and torch7's lswolfe.lua):
-- the same options, defaults, stopping rules, two-loop recursion, first step
-- min(1, 1/|g|_1) * lr, history kept only when y.s > 1e-10, and the same strong-Wolfe
-- line search (cubic interpolation, c1 = 1e-4, c2 = 0.9, 25 evaluations at most), so its
-- iterates follow PyTorch's (tests/lua/lbfgs_test.lua checks them against
-- tests/fixtures/probe/lbfgs_*). Vectors are flat tensors of the parameters' dtype; the
-- scalars (y.s, step lengths, directional derivatives) are Lua numbers (doubles), where
-- PyTorch keeps 0-dim tensors of the parameters' dtype: identical in float64.
local m1d = require "m1d"
local util = require "m1d.util"

local LBFGS = {}
LBFGS.__index = LBFGS
LBFGS.__name = "m1d.optim.LBFGS"   -- help(opt) finds the LBFGS entries by it

local OPTIONS = {"lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size",
                 "line_search_fn"}

local function dot(a, b) return (a * b):sum():item() end
local function absmax(a) return a:abs():max():item() end

-- ---------------------------------------------------------------- flat views of the parameters

local function numel(self)
  local n = 0
  for _, p in ipairs(self.params) do n = n + p:numel() end
  return n
end

local function gather_flat_grad(self)
  local views = {}
  for i, p in ipairs(self.params) do
    local g = p.grad
    views[i] = g and g:reshape(-1) or m1d.zeros(p:numel(), p:dtype())
  end
  return #views == 1 and views[1]:clone() or m1d.cat(views)
end

-- p += step * update[the slice of p], in place
local function add_grad(self, step, update)
  m1d.no_grad(function()
    local offset = 0
    for _, p in ipairs(self.params) do
      local n = p:numel()
      p:add_(update:narrow(1, offset + 1, n):view(p:size()), step)
      offset = offset + n
    end
  end)
end

local function clone_params(self)
  local out = {}
  for i, p in ipairs(self.params) do out[i] = p:detach():clone() end
  return out
end

local function set_params(self, saved)
  m1d.no_grad(function()
    for i, p in ipairs(self.params) do p:copy_(saved[i]) end
  end)
end

-- The closure runs with grad mode on (as torch.enable_grad wraps it); its loss as a number.
local function evaluate(closure)
  local loss = m1d.enable_grad(closure)
  local v = loss
  if m1d.is_tensor(loss) then
    if loss:numel() ~= 1 then
      error(("LBFGS:step: the closure must return the loss, a number or a one-element tensor; got a tensor [%s]")
            :format(table.concat(loss:size(), ", ")), 4)
    end
    v = loss:item()
  elseif type(loss) ~= "number" then
    error(("LBFGS:step: the closure must return the loss (a number or a one-element tensor), got %s")
          :format(type(loss)), 4)
  end
  return v, loss
end

-- loss and flat gradient at x + t*d, the parameters restored to x afterwards
local function directional_evaluate(self, closure, x, t, d)
  add_grad(self, t, d)
  local loss = evaluate(closure)
  local flat_grad = gather_flat_grad(self)
  set_params(self, x)
  return loss, flat_grad
end

-- ---------------------------------------------------------------- strong-Wolfe line search

-- minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to bounds
local function cubic_interpolate(x1, f1, g1, x2, f2, g2, lo, hi)
  if lo == nil then lo, hi = math.min(x1, x2), math.max(x1, x2) end
  local d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
  local d2_square = d1 * d1 - g1 * g2
  if d2_square >= 0 then
    local d2 = math.sqrt(d2_square)
    local min_pos
    if x1 <= x2 then
      min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else
      min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    end
    return math.min(math.max(min_pos, lo), hi)
  end
  return (lo + hi) / 2
end

-- Zoom phase: refine the bracket until a point meets the strong Wolfe conditions.
local function zoom(obj, f, gtd, d_norm, b, ls_iter, evals, c1, c2, tolerance_change, max_ls)
  local insuf_progress = false
  local low, high = 1, 2
  if not (b.f[1] <= b.f[#b.f]) then low, high = 2, 1 end
  while not b.done and ls_iter < max_ls do
    if math.abs(b.t[2] - b.t[1]) * d_norm < tolerance_change then break end
    local t = cubic_interpolate(b.t[1], b.f[1], b.gtd[1], b.t[2], b.f[2], b.gtd[2])
    -- too close to an end of the bracket twice in a row (or outside it): 0.1 of its width in
    local bmax, bmin = math.max(b.t[1], b.t[2]), math.min(b.t[1], b.t[2])
    local eps = 0.1 * (bmax - bmin)
    if math.min(bmax - t, t - bmin) < eps then
      if insuf_progress or t >= bmax or t <= bmin then
        t = math.abs(t - bmax) < math.abs(t - bmin) and bmax - eps or bmin + eps
        insuf_progress = false
      else
        insuf_progress = true
      end
    else
      insuf_progress = false
    end
    local f_new, g_new = obj(t)
    evals = evals + 1
    local gtd_new = dot(g_new, b.dir)
    ls_iter = ls_iter + 1
    if f_new > f + c1 * t * gtd or f_new >= b.f[low] then
      b.t[high], b.f[high], b.g[high], b.gtd[high] = t, f_new, g_new, gtd_new
      if b.f[1] <= b.f[2] then low, high = 1, 2 else low, high = 2, 1 end
    else
      if math.abs(gtd_new) <= -c2 * gtd then
        b.done = true
      elseif gtd_new * (b.t[high] - b.t[low]) >= 0 then  -- the old high becomes the new low
        b.t[high], b.f[high], b.g[high], b.gtd[high] = b.t[low], b.f[low], b.g[low], b.gtd[low]
      end
      b.t[low], b.f[low], b.g[low], b.gtd[low] = t, f_new, g_new, gtd_new
    end
  end
  return b.f[low], b.g[low], b.t[low], evals
end

-- torch's _strong_wolfe: returns the loss, flat gradient and step length it settles on
-- and the number of evaluations it made.  obj(t) evaluates at x + t*d.
local function strong_wolfe(obj, t, d, f, g, gtd)
  local c1, c2, tolerance_change, max_ls = 1e-4, 0.9, 1e-9, 25
  local d_norm = absmax(d)
  local f_new, g_new = obj(t)
  local evals = 1
  local gtd_new = dot(g_new, d)
  local t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
  local b
  local ls_iter = 0
  -- bracket an interval containing a point that satisfies the Wolfe conditions
  while ls_iter < max_ls do
    if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev) then
      b = {t = {t_prev, t}, f = {f_prev, f_new}, g = {g_prev, g_new}, gtd = {gtd_prev, gtd_new}}
      break
    end
    if math.abs(gtd_new) <= -c2 * gtd then
      b = {t = {t}, f = {f_new}, g = {g_new}, done = true}
      break
    end
    if gtd_new >= 0 then
      b = {t = {t_prev, t}, f = {f_prev, f_new}, g = {g_prev, g_new}, gtd = {gtd_prev, gtd_new}}
      break
    end
    local min_step, max_step = t + 0.01 * (t - t_prev), t * 10
    local tmp = t
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step)
    t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
    f_new, g_new = obj(t)
    evals = evals + 1
    gtd_new = dot(g_new, d)
    ls_iter = ls_iter + 1
  end
  if ls_iter == max_ls then b = {t = {0, t}, f = {f, f_new}, g = {g, g_new}} end
  b.dir = d
  if b.done or ls_iter >= max_ls then      -- no zoom: the lower of the bracket's ends
    local low = (b.f[1] <= b.f[#b.f]) and 1 or 2
    return b.f[low], b.g[low], b.t[low], evals
  end
  return zoom(obj, f, gtd, d_norm, b, ls_iter, evals, c1, c2, tolerance_change, max_ls)
end

-- ---------------------------------------------------------------- the optimizer

-- an integer option (an integral float such as 20.0 is accepted and made an integer)
local function check_int(name, v, lo)
  local i = math.tointeger(v)
  if i == nil or i < lo then
    error(("optim.LBFGS: %s must be an integer >= %d, got %s"):format(name, lo, tostring(v)), 4)
  end
  return i
end

local function check_num(name, v, positive)
  if type(v) ~= "number" or v ~= v or v < 0 or (positive and v == 0) then
    error(("optim.LBFGS: %s must be a number %s 0, got %s"):format(name, positive and ">" or ">=", tostring(v)), 4)
  end
end

local M = {Class = LBFGS}   -- the method table, for help() (lua/m1d/repl.lua)

function M.LBFGS(params, opts)
  if type(params) ~= "table" or #params == 0 then
    error("optim.LBFGS: expected a non-empty list of parameter tensors (model:parameters())", 2)
  end
  for i, p in ipairs(params) do
    if not m1d.is_tensor(p) then error(("optim.LBFGS: parameter %d is not a tensor"):format(i), 2) end
    if p:dtype() == "int64" then error(("optim.LBFGS: parameter %d is int64; parameters must be float"):format(i), 2) end
    if p:dtype() ~= params[1]:dtype() then
      error(("optim.LBFGS: parameter %d is %s, parameter 1 %s: all must share one dtype"):format(i, p:dtype(), params[1]:dtype()), 2)
    end
  end
  opts = util.check_options("optim.LBFGS", opts, OPTIONS, 2)
  local self = setmetatable({kind = "LBFGS", params = params, t = 0,
    state = {func_evals = 0, n_iter = 0},
    lr = opts.lr or 1, max_iter = opts.max_iter or 20, max_eval = opts.max_eval,
    tolerance_grad = opts.tolerance_grad or 1e-7, tolerance_change = opts.tolerance_change or 1e-9,
    history_size = opts.history_size or 100, line_search_fn = opts.line_search_fn}, LBFGS)
  check_num("lr", self.lr, true)
  self.max_iter = check_int("max_iter", self.max_iter, 1)
  if self.max_eval == nil then self.max_eval = self.max_iter * 5 // 4 end
  self.max_eval = check_int("max_eval", self.max_eval, 1)
  check_num("tolerance_grad", self.tolerance_grad); check_num("tolerance_change", self.tolerance_change)
  self.history_size = check_int("history_size", self.history_size, 1)
  if self.line_search_fn ~= nil and self.line_search_fn ~= "strong_wolfe" then
    error(("optim.LBFGS: line_search_fn must be nil or \"strong_wolfe\", got %s"):format(tostring(self.line_search_fn)), 2)
  end
  return self
end

function LBFGS:zero_grad()
  for _, p in ipairs(self.params) do p.grad = nil end
end

-- The L-BFGS direction from the history: the two-loop recursion on -g.
local function direction(st, flat_grad, history_size)
  local y = flat_grad - st.prev_flat_grad
  local s = st.d * st.t
  local ys = dot(y, s)
  if ys > 1e-10 then
    if #st.old_dirs == history_size then
      table.remove(st.old_dirs, 1); table.remove(st.old_stps, 1); table.remove(st.ro, 1)
    end
    st.old_dirs[#st.old_dirs + 1] = y
    st.old_stps[#st.old_stps + 1] = s
    st.ro[#st.ro + 1] = 1 / ys
    st.H_diag = ys / dot(y, y)
  end
  local num_old, al = #st.old_dirs, {}
  local q = -flat_grad
  for i = num_old, 1, -1 do
    al[i] = dot(st.old_stps[i], q) * st.ro[i]
    q:add_(st.old_dirs[i], -al[i])
  end
  local r = q * st.H_diag
  for i = 1, num_old do
    local be_i = dot(st.old_dirs[i], r) * st.ro[i]
    r:add_(st.old_stps[i], al[i] - be_i)
  end
  return r
end

-- opt:step(closure) -> the closure's first loss.  Up to max_iter iterations (max_eval
-- evaluations) of L-BFGS; the closure re-evaluates the model: zero the gradients,
-- compute the loss, backward, return the loss.
function LBFGS:step(closure)
  if type(closure) ~= "function" then
    error(("LBFGS:step: expects a closure that computes the loss and its gradients (opt:step(function() ... end)), got %s")
          :format(type(closure)), 2)
  end
  self.t = self.t + 1
  local lr, max_iter, max_eval = self.lr, self.max_iter, self.max_eval
  local tolerance_grad, tolerance_change = self.tolerance_grad, self.tolerance_change
  local st = self.state

  local loss, orig_loss = evaluate(closure)
  local current_evals = 1
  st.func_evals = st.func_evals + 1
  local flat_grad = gather_flat_grad(self)
  if absmax(flat_grad) <= tolerance_grad then return orig_loss end

  local n_iter = 0
  while n_iter < max_iter do
    n_iter = n_iter + 1
    st.n_iter = st.n_iter + 1
    if st.n_iter == 1 then
      st.d = -flat_grad
      st.old_dirs, st.old_stps, st.ro, st.H_diag = {}, {}, {}, 1
    else
      st.d = direction(st, flat_grad, self.history_size)
    end
    st.prev_flat_grad = flat_grad:clone()
    st.prev_loss = loss
    -- step length
    if st.n_iter == 1 then
      st.t = math.min(1, 1 / flat_grad:abs():sum():item()) * lr
    else
      st.t = lr
    end
    local d = st.d
    local gtd = dot(flat_grad, d)
    if gtd > -tolerance_change then break end     -- not a descent direction

    local ls_func_evals, opt_cond = 0, false
    if self.line_search_fn ~= nil then
      local x_init = clone_params(self)
      local obj = function(t) return directional_evaluate(self, closure, x_init, t, d) end
      loss, flat_grad, st.t, ls_func_evals = strong_wolfe(obj, st.t, d, loss, flat_grad, gtd)
      add_grad(self, st.t, d)
      opt_cond = absmax(flat_grad) <= tolerance_grad
    else
      add_grad(self, st.t, d)
      if n_iter ~= max_iter then
        loss = evaluate(closure)
        flat_grad = gather_flat_grad(self)
        opt_cond = absmax(flat_grad) <= tolerance_grad
        ls_func_evals = 1
      end
    end
    current_evals = current_evals + ls_func_evals
    st.func_evals = st.func_evals + ls_func_evals

    if n_iter == max_iter or current_evals >= max_eval or opt_cond then break end
    if absmax(d) * math.abs(st.t) <= tolerance_change then break end   -- |d * t|max
    if math.abs(loss - st.prev_loss) < tolerance_change then break end
  end
  return orig_loss
end

return M
