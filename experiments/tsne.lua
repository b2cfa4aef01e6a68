-- experiments/tsne.lua — the t-SNE figure of MNIST-1D (the official repository's
-- notebook): the frozen train + test signals (4,000 + 1,000, 40-D) embedded in 2-D with
-- perplexity 30, coloured by class, each class's label at its median point.
--
-- Question: do the classes form well-separated clusters, as MNIST's digits do under
-- t-SNE?  Expect not: few clusters, much overlap ("a nonlinear representation has to be
-- learned").  Measured: the 10-NN accuracy inside the embedding (the test points
-- classified by their 10 nearest training points in 2-D, m1d.knn) beside the same
-- classifier on the raw 40-D signals (59.6 % on the frozen data): t-SNE keeps local
-- neighbourhoods, so the two should be close, and far below the ~95 % that a 10-NN
-- reaches in a t-SNE of MNIST.
--
--   ./m1d experiments/tsne.lua [--quick] [--perplexity 30] [--n_iter 1000] [--init pca|random] [--seed 0]
--                              [--progress] [--out results/tsne.json] [--figure FILE]
-- --quick: 800 training + 200 test signals, 300 iterations (the tests run it).
local m1d = require "m1d"
local util, plot, sweep = m1d.util, m1d.plot, m1d.sweep

local cfg = util.parse_args(arg, {
  {"perplexity", 30, "t-SNE perplexity"},
  {"n_iter", 1000, "t-SNE iterations (250 of them with early exaggeration)", min = 1},
  {"theta", 0.5, "Barnes-Hut angle (0: exact sums)"},
  {"metric", "euclidean", "distance between signals", choices = {"euclidean", "cosine"}},
  {"init", "pca", "initial embedding: the data's first two principal components (deterministic, as " ..
   "scikit-learn's default) or random (from --seed)", choices = {"pca", "random"}},
  {"seed", 0, "seed of the random initialisation (--init random; PCA needs none)"},
  {"k", 10, "neighbours of the kNN classifier in the embedding", min = 1},
  {"progress", false, "print the KL divergence every 50 iterations"},
  {"quick", false, "800 + 200 signals, 300 iterations"},
  {"out", "results/tsne.json", "results file (JSON; --quick: results/tsne_quick.json)"},
  {"figure", "", "figure file (default: --out with .png; a .pdf beside it)"},
}, "tsne.lua: the t-SNE figure of MNIST-1D and the kNN accuracy inside the embedding")
local n_train, n_test = 4000, 1000
if cfg.quick then
  n_train, n_test, cfg.n_iter = 800, 200, math.min(cfg.n_iter, 300)
  if cfg.out == "results/tsne.json" then cfg.out = "results/tsne_quick.json" end
end
if cfg.figure == "" then cfg.figure = cfg.out:gsub("%.json$", "") .. ".png" end

local data = m1d.mnist1d.frozen{dtype = "float64"}
local xtr, ytr = data.x:narrow(1, 1, n_train), data.y:narrow(1, 1, n_train)
local xte, yte = data.x_test:narrow(1, 1, n_test), data.y_test:narrow(1, 1, n_test)
local x = m1d.cat({xtr, xte}, 1)

local y, info = m1d.tsne(x, {perplexity = cfg.perplexity, n_iter = cfg.n_iter, theta = cfg.theta,
                             metric = cfg.metric, init = cfg.init, seed = cfg.seed, progress = cfg.progress})
print(("t-SNE of %d signals: KL %.4f after %d iterations (%s), %.2f s (P %.2f s), peak RSS %.0f MB")
  :format(x:size(1), info.kl, info.n_iter, info.stop_reason, info.seconds, info.seconds_affinities, m1d.peak_rss_mb()))

-- kNN in the embedding (test points against training points) and on the raw signals
local emb_train, emb_test = y:narrow(1, 1, n_train), y:narrow(1, n_train + 1, n_test)
local acc_embedding = m1d.knn.accuracy(emb_train, ytr, emb_test, yte, {k = cfg.k})
local acc_pixels = m1d.knn.accuracy(xtr, ytr, xte, yte, {k = cfg.k, metric = cfg.metric})
print(("%d-NN test accuracy: %.1f %% in the 2-D embedding, %.1f %% on the raw 40-D signals")
  :format(cfg.k, acc_embedding, acc_pixels))

-- per class: the points and their coordinate-wise median (where the label goes)
local labels = m1d.cat({ytr, yte}, 1):totable()
local pts = y:totable()
local by_class = {}
for c = 0, 9 do by_class[c] = {x = {}, y = {}} end
for i, c in ipairs(labels) do
  local b = by_class[c]
  b.x[#b.x + 1], b.y[#b.y + 1] = pts[i][1], pts[i][2]
end
local function median(v)
  local s = {table.unpack(v)}
  table.sort(s)
  local m = #s
  if m == 0 then return 0 / 0 end
  return m % 2 == 1 and s[(m + 1) // 2] or (s[m // 2] + s[m // 2 + 1]) / 2
end
local series, extra, medians = {}, {}, {}
for c = 0, 9 do
  local b = by_class[c]
  series[#series + 1] = {x = b.x, y = b.y, name = tostring(c), color = plot.colors[c + 1], marker_size = 0.5}
  local mx, my = median(b.x), median(b.y)
  medians[c + 1] = {class = c, x = mx, y = my, count = #b.x}
  if #b.x > 0 then
    extra[#extra + 1] = ("set label \"%d\" at first %.6g, first %.6g center front font \",20\" textcolor rgb \"black\"")
      :format(c, mx, my)
  end
end

local claims = {
  local_structure_kept = sweep.claim(math.abs(acc_embedding - acc_pixels) <= 10,
    "%d-NN test accuracy %.1f %% in the 2-D embedding vs %.1f %% on the raw signals (within 10 points)",
    cfg.k, acc_embedding, acc_pixels),
  classes_not_well_separated = sweep.claim(acc_embedding < 80,
    "%d-NN test accuracy in the embedding is %.1f %%, below 80 %% (MNIST's t-SNE: ~95 %%): the classes " ..
    "overlap instead of forming ten separated clusters", cfg.k, acc_embedding),
}
for name, c in pairs(claims) do print(("claim %-27s %s: %s"):format(name, c.holds and "holds" or "FAILS", c.evidence)) end

local fig = plot.figure{size = {900, 800}, title = ("t-SNE of MNIST-1D (%d signals, perplexity %g, KL %.3f; %d-NN in 2-D %.1f %%)")
                          :format(x:size(1), cfg.perplexity, info.kl, cfg.k, acc_embedding)}
fig:scatter{series = series, xlabel = "t-SNE 1", ylabel = "t-SNE 2", legend = "outside right top", extra = extra}
fig:save(cfg.figure, {pdf = true})
fig:close()
print("wrote " .. cfg.figure)

util.write_json(cfg.out, {
  experiment = "tsne", version = m1d.version, args = cfg, complete = true, runs_done = 1, runs_total = 1,
  n = x:size(1), n_train = n_train, n_test = n_test, kl = info.kl, n_iter = info.n_iter,
  stop_reason = info.stop_reason, learning_rate = info.learning_rate, seconds = info.seconds,
  seconds_affinities = info.seconds_affinities, peak_rss_mb = m1d.peak_rss_mb(),
  kl_history = {iteration = info.iters, kl = info.kls},
  knn_accuracy_embedding = acc_embedding, knn_accuracy_pixels = acc_pixels, k = cfg.k,
  class_medians = medians, claims = claims, figure = cfg.figure,
})
print("wrote " .. cfg.out)
