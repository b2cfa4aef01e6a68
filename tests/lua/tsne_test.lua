-- tsne_test.lua — m1d.tsne (src/tsne*.c, lua/m1d/tsne.lua) against its definition and
-- against scikit-learn: the exact gradient against a finite difference of the KL
-- divergence; Barnes-Hut with theta = 0 equals the exact sums, and theta = 0.5 stays
-- close; every row of the conditional P reaches the requested perplexity; the joint P,
-- the PCA initialisation and the final KL on 200 MNIST-1D signals against sklearn 1.2.1
-- (tests/fixtures/tsne, tools/make_tsne_fixtures.py); determinism for a seed; progress
-- lines only when asked; bad input errors.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local core = m1d.core

local FIX = "tests/fixtures/tsne/"
local values = m1d.util.read_json(FIX .. "values.json")
local N = math.tointeger(values.n)
local x200 = m1d.mnist1d.frozen{dtype = "float64"}.x:narrow(1, 1, N):contiguous()

local function maxabs(t) return t:abs():max():item() end

-- the dense symmetric [n, n] matrix of P's upper-triangle storage
local function dense(P, n)
  local d = m1d.zeros({n, n}, "float64")
  local rp, col, val = P.rowptr:totable(), P.col:totable(), P.val:totable()
  for i = 1, n do
    for a = rp[i] + 1, rp[i + 1] do
      local j = col[a] + 1
      d[i][j] = val[a]; d[j][i] = val[a]
    end
  end
  return d
end

-- P of x as m1d.tsne computes it (one iteration: the P is what the run returns)
local function joint_p(x, opts)
  opts = opts or {}
  opts.n_iter = 1
  local _, info = m1d.tsne(x, opts)
  return info.P, info
end

-- ---------------------------------------------------------------- the gradient
local P = joint_p(x200)
m1d.manual_seed(3)
local y = m1d.randn(N, 2):double() * 2
do
  local g, kl = core.tsne_gradient(P.rowptr, P.col, P.val, y, 1, 0, true)
  local worst, eps = 0, 1e-5
  for _, c in ipairs{{1, 1}, {1, 2}, {17, 1}, {100, 2}, {199, 1}, {200, 2}} do
    local yp, ym = y:clone(), y:clone()
    yp[c[1]][c[2]] = y[c[1]][c[2]] + eps
    ym[c[1]][c[2]] = y[c[1]][c[2]] - eps
    local _, kp = core.tsne_gradient(P.rowptr, P.col, P.val, yp, 1, 0, true)
    local _, km = core.tsne_gradient(P.rowptr, P.col, P.val, ym, 1, 0, true)
    local fd, an = (kp - km) / (2 * eps), g[c[1]][c[2]]
    worst = math.max(worst, math.abs(fd - an) / math.max(math.abs(an), 1e-3))
  end
  T.ok(worst < 1e-6, "exact gradient = central difference of the exact KL (6 coordinates)", "worst rel err " .. worst)
  T.ok(kl > 0, "KL of a random embedding is positive: " .. kl)

  -- the Barnes-Hut kernel sums in float32 (as sklearn's), blocks of 64 bodies into double:
  -- with theta = 0 it must give the exact sums to float precision, not 1e-2 (theta = 0.5)
  local gb, klb = core.tsne_gradient(P.rowptr, P.col, P.val, y, 1, 0, false)
  T.ok(maxabs(gb - g) <= 1e-6 * maxabs(g), "Barnes-Hut with theta = 0: the exact gradient (to 1e-6)",
       "max diff " .. maxabs(gb - g))
  T.close(klb, kl, 1e-7 * kl, "Barnes-Hut with theta = 0: the exact KL (to 1e-7)")
  local gh, klh = core.tsne_gradient(P.rowptr, P.col, P.val, y, 1, 0.5, false)
  local rel = ((gh - g) ^ 2):sum():item() ^ 0.5 / (g ^ 2):sum():item() ^ 0.5
  T.ok(rel < 0.05 and rel > 0, "Barnes-Hut with theta = 0.5: gradient within 5 % (" .. rel .. ")")
  T.close(klh, kl, 0.01 * kl, "Barnes-Hut with theta = 0.5: KL within 1 %")
  -- exaggeration scales the attraction only: ex * attraction - repulsion
  local g4 = core.tsne_gradient(P.rowptr, P.col, P.val, y, 4, 0, true)
  local g0 = core.tsne_gradient(P.rowptr, P.col, P.val, y, 0, 0, true)   -- repulsion alone
  T.ok(maxabs(g4 - (g0 + 4 * (g - g0))) < 1e-12 * maxabs(g4), "exaggeration multiplies the attractive part only")
end

-- ---------------------------------------------------------------- P
do
  for _, perp in ipairs{5, 30} do
    local k = math.floor(3 * perp + 1)
    local idx, dist = core.tsne_knn(x200, k, false)
    local p, beta, missed = core.tsne_conditional(dist, perp)
    local h = -(p * p:log()):sum(2)                  -- entropy of each row, nats
    local worst = maxabs(h:exp() / perp - 1)
    T.ok(worst < 1e-4 and missed == 0, ("every row of P reaches perplexity %d (worst rel err %.1e)"):format(perp, worst))
    T.ok(maxabs(p:sum(2) - 1) < 1e-12, ("conditional rows sum to 1 (perplexity %d)"):format(perp))
    -- the neighbours are the nearest: distances ascending, and no other point is nearer
    local d1 = dist:narrow(2, 1, k - 1)
    T.ok((d1 - dist:narrow(2, 2, k - 1)):max():item() <= 0, "neighbour distances ascend")
    local xi, far = x200[7], dist[7][k]
    local closer = 0
    for j = 1, N do
      if j ~= 7 and ((x200[j] - xi) ^ 2):sum():item() < far - 1e-9 then closer = closer + 1 end
    end
    T.is(closer, k - 1, "exactly k - 1 points are strictly nearer than row 7's k-th neighbour")
    T.ok(idx:min():item() >= 0 and idx:max():item() < N and idx:eq(m1d.arange(0, N, 1, "int64"):reshape(N, 1)):sum():item() == 0,
         "neighbour indices are 0-based, in range, and no point is its own neighbour")
  end
  local sk = m1d.load_npy(FIX .. "P_euclidean.npy")
  local mine = dense(P, N)
  T.close(mine:sum():item(), 1, 1e-12, "joint P sums to 1")
  T.ok(maxabs(mine - mine:t()) == 0, "joint P is symmetric")
  T.ok(maxabs(mine - sk) < 1e-6 * maxabs(sk), "joint P = sklearn's (euclidean)", "max diff " .. maxabs(mine - sk))
  local skc = m1d.load_npy(FIX .. "P_cosine.npy")
  local minec = dense(joint_p(x200, {metric = "cosine"}), N)
  T.ok(maxabs(minec - skc) < 1e-6 * maxabs(skc), "joint P = sklearn's (cosine)", "max diff " .. maxabs(minec - skc))
  local _, info = joint_p(x200, {method = "exact"})
  T.is(info.n_neighbors, N - 1, "method exact: P over all n - 1 neighbours")
end

-- ---------------------------------------------------------------- PCA initialisation
do
  local pca, sk = core.tsne_pca(x200), m1d.load_npy(FIX .. "pca.npy")
  T.ok(maxabs(pca - sk) < 1e-9 * maxabs(sk), "PCA initialisation = sklearn's (signs, scale 1e-4)",
       "max diff " .. maxabs(pca - sk))
end

-- ---------------------------------------------------------------- against sklearn's run
do
  local ysk = m1d.load_npy(FIX .. "Y_sklearn.npy")
  local _, kl_of_sk = core.tsne_gradient(P.rowptr, P.col, P.val, ysk, 1, 0, true)
  T.close(kl_of_sk, values.kl_exact_sklearn, 1e-5 * values.kl_exact_sklearn,
          "exact KL of sklearn's embedding, with m1d's P = the fixture's (numpy, sklearn's P)")
  local yy, info = m1d.tsne(x200, {perplexity = 30, seed = 0})
  T.is(table.concat(yy:shape(), "x"), N .. "x2", "m1d.tsne returns an [N, 2] embedding")
  T.is(yy:dtype(), "float64", "of x's dtype")
  -- A run's final KL depends on its start and on tiny differences (sklearn works in
  -- float32) by several % at this size (sklearn's own: 0.79 .. 0.87 over 10 starts), so
  -- the means over 10 random starts are compared (on 5,000 points, bench-peer-tsne: ~0.3 %)
  local kls = {}
  for s = 0, 9 do kls[#kls + 1] = select(2, m1d.tsne(x200, {init = "random", seed = s})).kl end
  local mine, theirs = m1d.util.mean(kls), m1d.util.mean(values.kl_random)
  T.ok(mine <= theirs * 1.03, ("mean final KL over 10 random starts %.4f within 3 %% of sklearn's %.4f (or lower)")
       :format(mine, theirs))
  T.ok(info.kl > 0.5 * theirs and info.kl < 1.1 * theirs, ("PCA start: final KL %.4f (sklearn's %.4f)")
       :format(info.kl, values.kl_sklearn))
  T.ok(#info.kls == #info.iters and info.iters[#info.iters] == info.n_iter and info.kls[#info.kls] == info.kl,
       "history: a KL per check, the last being info.kl")
  T.close(info.learning_rate, 50, 0, "learning_rate auto = max(N / 12 / 4, 50)")
  T.is(info.rows_missed, 0, "every row's bisection met the perplexity")
end

-- ---------------------------------------------------------------- determinism, options
do
  local x = x200:narrow(1, 1, 120)
  local a = m1d.tsne(x, {init = "random", seed = 5, n_iter = 300})
  local b = m1d.tsne(x, {init = "random", seed = 5, n_iter = 300})
  local c = m1d.tsne(x, {init = "random", seed = 6, n_iter = 300})
  T.ok(maxabs(a - b) == 0, "same seed: the same embedding, bit for bit")
  T.ok(maxabs(a - c) > 1e-3, "another seed: another embedding")
  local xf = x:float()
  local d = m1d.tsne(xf:double(), {n_iter = 300})
  local e = m1d.tsne(xf, {n_iter = 300})
  T.ok(e:dtype() == "float32" and maxabs(d:float() - e) == 0, "float32 input: float32 output, computed in float64")
  local ye, ie = m1d.tsne(x, {method = "exact", n_iter = 300})
  T.ok(ie.kl > 0 and ie.n_iter <= 300 and ye:size(1) == 120, "method exact runs: KL " .. ie.kl)
  local _, im = m1d.tsne(x, {max_iter = 260})
  T.ok(im.n_iter <= 260, "max_iter is n_iter's other name")
  local init = m1d.randn(120, 2):double() * 1e-4
  local _, it = m1d.tsne(x, {init = init, n_iter = 260, learning_rate = 80, metric = "cosine", theta = 0.8,
                             early_exaggeration = 4, exaggeration_iter = 100, check_every = 20})
  T.ok(it.iters[1] == 20 and it.learning_rate == 80, "init tensor, learning_rate, check_every are used")
end

-- ---------------------------------------------------------------- progress lines
do
  local bin = os.getenv("M1D_BIN") or "./m1d"
  local code = "local x = m1d.randn(150, 5); m1d.tsne(x, {n_iter = 100%s})"
  local ok, out = T.sh(("%s -e %s"):format(bin, T.q(code:format(", progress = true"))))
  T.ok(ok and out:find("iteration    50  KL", 1, true) and out:find("iteration   100  KL", 1, true),
       "progress = true: a line every 50 iterations (iteration, KL, seconds)", out)
  local ok2, out2 = T.sh(("%s -e %s"):format(bin, T.q(code:format(""))))
  T.ok(ok2 and not out2:find("iteration"), "quiet by default", out2)
end

-- ---------------------------------------------------------------- bad input
do
  local x = m1d.randn(20, 4)
  T.raises(function() m1d.tsne(x) end, "perplexity 30 with 20 points", "m1d.tsne", "perplexity 30", "20 points")
  T.raises(function() m1d.tsne(x, {perplexity = 0}) end, "perplexity 0", "m1d.tsne", "perplexity")
  T.raises(function() m1d.tsne(m1d.randn(20), {perplexity = 5}) end, "1-D input", "m1d.tsne", "2-D")
  T.raises(function() m1d.tsne(m1d.randn(20, 4, 2), {perplexity = 5}) end, "3-D input", "m1d.tsne", "2-D")
  T.raises(function() m1d.tsne({1, 2, 3}) end, "a table", "m1d.tsne", "tensor")
  T.raises(function() m1d.tsne(x, {perplexity = 5, perplexty = 3}) end, "unknown option key",
           "m1d.tsne", "unknown option 'perplexty'", "perplexity")
  T.raises(function() m1d.tsne(x, {perplexity = 5, metric = "manhattan"}) end, "unknown metric", "metric")
  T.raises(function() m1d.tsne(x, {perplexity = 5, init = "spectral"}) end, "unknown init", "init")
  T.raises(function() m1d.tsne(x, {perplexity = 5, learning_rate = -1}) end, "negative learning rate", "learning_rate")
  T.raises(function() m1d.tsne(x, {perplexity = 5, n_iter = 0}) end, "n_iter 0", "n_iter")
  T.raises(function() m1d.tsne(x, {perplexity = 5, early_exaggeration = 0.5}) end, "early_exaggeration below 1",
           "early_exaggeration")
  T.raises(function() m1d.tsne(x, {perplexity = 5, n_iter = 10, max_iter = 10}) end, "n_iter and max_iter", "max_iter")
  T.raises(function() m1d.tsne(x, {perplexity = 5, init = m1d.zeros(3, 2)}) end, "init of the wrong shape", "init")
  T.raises(function() m1d.tsne(m1d.randn(2001, 2), {method = "exact"}) end, "exact above 2000 points", "exact", "2001")
  local bad = m1d.randn(20, 4); bad[3][2] = 0 / 0
  T.raises(function() m1d.tsne(bad, {perplexity = 5}) end, "NaN input", "NaN")
  T.raises(function() m1d.tsne(m1d.randn(20, 1), {perplexity = 5}) end, "pca with 1 column", "pca")
  T.lives(function() m1d.tsne(m1d.randn(20, 1), {perplexity = 5, init = "random", n_iter = 10}) end,
          "1 column with random init")
end

-- ---------------------------------------------------------------- memory
do
  local d = m1d.mnist1d.frozen()
  local x = m1d.cat({d.x, d.x_test}, 1)
  local _, info = m1d.tsne(x, {n_iter = 20})
  T.ok(m1d.peak_rss_mb() < 200, ("5,000 points: peak RSS %.0f MB < 200 MB (P has %d stored pairs)")
       :format(m1d.peak_rss_mb(), info.P.val:size(1)))
end

T.done()
