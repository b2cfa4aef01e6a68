-- m1d.tsne — t-SNE embeddings in 2-D, with scikit-learn's TSNE semantics (1.2):
--
--   local y, info = m1d.tsne(x, {perplexity = 30, seed = 0, progress = true})
--
-- x is an [N, D] tensor; y is the [N, 2] embedding (x's float dtype) and info a table
-- with the final KL divergence (info.kl) and the run's history.  The stages, as sklearn's
-- _tsne: P from the 3 perplexity nearest neighbours (exact kNN, GEMM); `exaggeration_iter`
-- (250) iterations with P * early_exaggeration and momentum 0.5; then momentum 0.8 with
-- fresh momentum and gains; the KL divergence every 50 iterations, where the run stops
-- after n_iter_without_progress iterations without a better KL or when the gradient norm
-- falls to min_grad_norm.  The heavy parts are C (src/tsne*.c; m1d.core.tsne_*).
local m1d = require "m1d"
local util = require "m1d.util"
local core = m1d.core

local M = {}

local OPTIONS = {"perplexity", "n_iter", "max_iter", "early_exaggeration", "exaggeration_iter",
                 "learning_rate", "init", "metric", "method", "theta", "seed", "progress",
                 "n_iter_without_progress", "min_grad_norm", "check_every"}
M.defaults = {perplexity = 30, n_iter = 1000, early_exaggeration = 12, exaggeration_iter = 250,
              learning_rate = "auto", init = "pca", metric = "euclidean", method = "barnes_hut",
              theta = 0.5, seed = 0, progress = false, n_iter_without_progress = 300,
              min_grad_norm = 1e-7, check_every = 50}
M.MAX_EXACT_N = 2000          -- method "exact" keeps all N^2 pairs of P

local MIN_GAIN = 0.01

local function fail(fmt, ...) error(("m1d.tsne: " .. fmt):format(...), 4) end

local function check_number(o, k, lo, integer)
  local v = o[k]
  if type(v) ~= "number" or v ~= v or (integer and math.type(v) ~= "integer" and v ~= math.floor(v))
     or v < lo or v == math.huge then
    fail("%s must be %s >= %s, got %s", k, integer and "an integer" or "a finite number", tostring(lo), tostring(v))
  end
end

local function check_choice(o, k, choices)
  for _, c in ipairs(choices) do if o[k] == c then return end end
  fail("%s must be %s, got %s", k, "\"" .. table.concat(choices, "\" or \"") .. "\"", tostring(o[k]))
end

-- the options with defaults filled in, every value checked against x's size n
local function resolve(opts, n)
  util.check_options("m1d.tsne", opts, OPTIONS, 3)
  opts = opts or {}
  if opts.n_iter ~= nil and opts.max_iter ~= nil then fail("give n_iter or max_iter (the same option), not both") end
  local o = {}
  for k, v in pairs(M.defaults) do o[k] = v end
  for k, v in pairs(opts) do o[k] = v end
  if opts.max_iter ~= nil then o.n_iter = opts.max_iter end
  o.max_iter = nil
  check_number(o, "perplexity", 0)
  check_number(o, "n_iter", 1, true)
  check_number(o, "early_exaggeration", 1)            -- sklearn: at least 1
  check_number(o, "exaggeration_iter", 0, true)
  check_number(o, "theta", 0)
  check_number(o, "seed", 0, true)
  check_number(o, "n_iter_without_progress", 1, true)
  check_number(o, "min_grad_norm", 0)
  check_number(o, "check_every", 1, true)
  check_choice(o, "metric", {"euclidean", "cosine"})
  check_choice(o, "method", {"barnes_hut", "exact"})
  if type(o.progress) ~= "boolean" then fail("progress must be true or false, got %s", tostring(o.progress)) end
  if o.learning_rate == "auto" then
    o.learning_rate = math.max(n / o.early_exaggeration / 4, 50)    -- sklearn's "auto"
  elseif type(o.learning_rate) ~= "number" or not (o.learning_rate > 0) or o.learning_rate == math.huge then
    fail("learning_rate must be \"auto\" or a positive number, got %s", tostring(o.learning_rate))
  end
  if o.perplexity <= 0 or o.perplexity >= n - 1 then
    fail("perplexity %g is too large for %d points: it must lie in (0, n - 1) = (0, %d), " ..
         "an effective number of neighbours each point must have", o.perplexity, n, n - 1)
  end
  if o.method == "exact" and n > M.MAX_EXACT_N then
    fail("method \"exact\" holds all n^2 pairs: %d points is more than its limit %d (use \"barnes_hut\")",
         n, M.MAX_EXACT_N)
  end
  o.n_iter, o.seed = math.tointeger(o.n_iter), math.tointeger(o.seed)
  return o
end

local function check_input(x)
  if not m1d.is_tensor(x) then fail("x must be an [N, D] tensor, got %s", type(x)) end
  if x:dim() ~= 2 then fail("x must be 2-D [N, D] (one row per point), got shape [%s]", table.concat(x:shape(), ",")) end
  local n = x:size(1)
  if n < 3 or x:size(2) < 1 then fail("x must have at least 3 rows and 1 column, got [%d,%d]", n, x:size(2)) end
  local xd = x:double():contiguous()
  local big = xd:abs():max():item()
  if big ~= big or big == math.huge then fail("x holds NaN or infinite values") end
  return xd, n
end

-- the initial embedding [n, 2] float64
local function initial(o, x, n)
  if o.init == "pca" then
    if x:size(2) < 2 then fail("init \"pca\" needs at least 2 columns in x (use init = \"random\")") end
    return core.tsne_pca(x)
  elseif o.init == "random" then
    return core.tsne_random_init(n, o.seed)
  elseif m1d.is_tensor(o.init) then
    if o.init:dim() ~= 2 or o.init:size(1) ~= n or o.init:size(2) ~= 2 then
      fail("init as a tensor must be [%d, 2], got [%s]", n, table.concat(o.init:shape(), ","))
    end
    return o.init:double():clone():contiguous()
  end
  fail("init must be \"pca\", \"random\" or an [N, 2] tensor, got %s", tostring(o.init))
end

-- The joint probabilities of x: rowptr, col, val (CSR) and the neighbour count used.
function M.affinities(x, o, n)
  local k = o.method == "exact" and n - 1 or math.min(n - 1, math.floor(3 * o.perplexity + 1))
  local idx, dist = core.tsne_knn(x, k, o.metric == "cosine")
  local p, _, missed = core.tsne_conditional(dist, o.perplexity)
  local rowptr, col, val = core.tsne_symmetrize(idx, p)
  return {rowptr = rowptr, col = col, val = val, n_neighbors = k, rows_missed = missed}
end

function M.run(x, opts)
  local t0 = m1d.clock()
  local xd, n = check_input(x)
  local o = resolve(opts, n)
  local P = M.affinities(xd, o, n)
  local y = initial(o, xd, n)
  local t_affinities = m1d.clock() - t0
  local exact = o.method == "exact"
  local info = {learning_rate = o.learning_rate, n_neighbors = P.n_neighbors, rows_missed = P.rows_missed,
                iters = {}, kls = {},
                grad_norms = {}, P = {rowptr = P.rowptr, col = P.col, val = P.val},
                seconds_affinities = t_affinities, stop_reason = "n_iter"}
  if o.progress then
    io.stderr:write(("m1d.tsne: %d points, %d neighbours, P in %.2f s\n"):format(n, P.n_neighbors, t_affinities))
  end
  local it, kl = 0, nil
  -- one stage: iterations it+1 .. last, from fresh update and gains (as sklearn)
  local function stage(last, momentum, exaggeration)
    local update, gains = m1d.zeros({n, 2}, "float64"), m1d.ones({n, 2}, "float64")
    local best, best_it = math.huge, it
    while it < last do
      local next_check = math.min(last, (it // o.check_every + 1) * o.check_every)
      local g
      kl, g = core.tsne_descend(P.rowptr, P.col, P.val, y, update, gains, next_check - it, momentum,
                                o.learning_rate, exaggeration, o.theta, exact, MIN_GAIN)
      it = next_check
      info.iters[#info.iters + 1], info.kls[#info.kls + 1], info.grad_norms[#info.grad_norms + 1] = it, kl, g
      if o.progress then
        io.stderr:write(("m1d.tsne: iteration %5d  KL %.6f  grad norm %.3g  %.2f s\n"):format(it, kl, g, m1d.clock() - t0))
      end
      if kl < best then best, best_it = kl, it
      elseif it - best_it > o.n_iter_without_progress then info.stop_reason = "no progress"; return false end
      if g <= o.min_grad_norm then info.stop_reason = "grad norm"; return false end
    end
    return true
  end
  -- as sklearn, the second stage runs even when the first stopped early (a collapsed
  -- exaggerated embedding: gradient norm below min_grad_norm), from where it stopped
  local explore = math.min(o.n_iter, o.exaggeration_iter)
  if explore > 0 then stage(explore, 0.5, o.early_exaggeration) end
  if it < o.n_iter then info.stop_reason = "n_iter"; stage(o.n_iter, 0.8, 1.0) end
  info.kl, info.n_iter, info.seconds = kl, it, m1d.clock() - t0
  if x:dtype() == "float32" then y = y:float() end
  return y, info
end

return M
