-- The reference: Baselines, probes and contrastive learning (m1d.knn, m1d.probe, m1d.ssl).  Entries: {name, signature, text,
-- ex = example code, out = what the example prints (checked by tests/lua/doc_test.lua),
-- also = {other names}}.
return {
  title = "Baselines, probes and contrastive learning (m1d.knn, m1d.probe, m1d.ssl)", key = "baselines",
  intro = "Classifiers that need no training loop: k-nearest neighbours (`m1d.knn`) and a " ..
          "standardised logistic regression (`m1d.probe.logistic`). On raw MNIST-1D signals " ..
          "they are the pixel-space baselines (10-NN 59.6 %, logistic 32.8 % test accuracy on " ..
          "the frozen data: the classes are locally clustered but not linearly separable); on " ..
          "the activations of a trained network they measure its representation (linear " ..
          "probes, kNN evaluation). Both reproduce scikit-learn (KNeighborsClassifier, " ..
          "StandardScaler + LogisticRegression) on the frozen data, checked in " ..
          "tests/lua/knn_test.lua and probe_test.lua; `make bench` times them (section " ..
          "`baselines`). `m1d.ssl` holds the pieces of the SimCLR study (experiments/ssl.lua): " ..
          "the augmentation and the InfoNCE loss, whose learned encoders these probes measure.",
  entries = {
    {"m1d.knn.classify", "knn.classify(x_train, y_train, x_query [, {k = 10, metric = \"euclidean\", block}]) -> Tensor int64 [m]",
     "The label of each query row by a vote of its k nearest training rows, as " ..
     "scikit-learn's KNeighborsClassifier(n_neighbors = k, metric) with uniform weights: the " ..
     "most frequent label among the k, the lowest label winning a tied vote. x_train [n, d] " ..
     "and x_query [m, d] are float32 or float64 (distances are computed in float64 either " ..
     "way); y_train is an int64 tensor [n] of labels 0, 1, ... Neighbours as knn.neighbors " ..
     "finds them. Raises (naming the argument) for k outside 1..n, a non-integer k, features " ..
     "of different widths, labels that are not int64 [n] or are negative, NaN or infinite " ..
     "features, an unknown metric or option.",
     ex = [[local x = m1d.tensor({{0, 0}, {0, 1}, {5, 5}, {6, 5}, {5, 6}}, "float64")
local y = m1d.tensor({0, 0, 1, 1, 2}, "int64")
print(m1d.knn.classify(x, y, m1d.tensor({{0, 0.4}, {5.4, 5.4}}, "float64"), {k = 3}))]],
     out = "tensor([0, 1], int64 [2])"},
    {"m1d.knn.neighbors", "knn.neighbors(x_train, x_query [, {k = 10, metric = \"euclidean\", block}]) -> idx, dist",
     "The k nearest training rows of every query row, nearest first: idx int64 [m, k] " ..
     "(1-based rows of x_train, like every index of the Lua API) and dist float64 [m, k]. " ..
     "metric \"euclidean\" (|x - y|) or \"cosine\" (1 - cos(x, y), clipped to [0, 2]; a zero " ..
     "row is at distance 1 from everything). Distances come from one GEMM per block of " ..
     "`block` query rows (default: as many as keep the block's distances within 8 MB), so " ..
     "memory stays bounded for any number of queries. Among exactly equal distances the " ..
     "lower training index comes first and is the one kept at the k-th place (a stable " ..
     "sort's first k; on such exact ties scikit-learn's heap may keep another of the equally " ..
     "distant rows, which on real-valued data does not arise: the frozen data's " ..
     "neighbours equal scikit-learn's). The euclidean ranking uses |y|^2 - 2 x.y, as " ..
     "scikit-learn's brute-force search does. Errors as knn.classify.",
     ex = [[local x = m1d.tensor({{0, 0}, {3, 4}, {1, 0}}, "float64")
local idx, dist = m1d.knn.neighbors(x, m1d.tensor({{0, 0}}, "float64"), {k = 2})
print(idx, dist)]],
     out = "tensor([[1, 3]], int64 [1,2])\ttensor([[0.0000, 1.0000]], float64 [1,2])"},
    {"m1d.knn.accuracy", "knn.accuracy(x_train, y_train, x_test, y_test [, opts]) -> percent, pred",
     "knn.classify on x_test, compared with y_test (int64 [m]): the percentage correct (0-100; " ..
     "nan for no test rows) and the predictions. Options as knn.classify. The 10-NN " ..
     "baseline of MNIST-1D is `knn.accuracy(d.x, d.y, d.x_test, d.y_test)` on `d = " ..
     "mnist1d.frozen()`: 59.6 %.",
     ex = [[local d = m1d.mnist1d.frozen()
local acc, pred = m1d.knn.accuracy(d.x, d.y, d.x_test, d.y_test)
print(acc, pred:size(1), (m1d.knn.accuracy(d.x, d.y, d.x_test, d.y_test, {metric = "cosine"})))]],
     out = "59.6\t1000\t48.5"},
    {"m1d.probe.logistic", "probe.logistic(x_train, y_train, x_test, y_test [, {C = 1, max_iter = 1000, tol = 1e-6, standardize = true, classes}]) -> result",
     "A linear probe: standardise the features with the training rows' mean and population " ..
     "standard deviation (scikit-learn's StandardScaler; a constant feature is divided by 1), " ..
     "then fit a multinomial logistic regression minimising scikit-learn's " ..
     "LogisticRegression(C) objective, sum_i cross_entropy(W x_i + b, y_i) + |W|^2 / (2C) " ..
     "(no penalty on b), with optim.LBFGS and the strong-Wolfe line search from zeros, in " ..
     "float64 whatever the input dtype. LBFGS runs on the objective / n and stops when its " ..
     "gradient's largest element is <= tol or after max_iter iterations. Labels: int64, 0-based; " ..
     "classes defaults to the largest label + 1. standardize = false fits the raw features. " ..
     "The result: train_acc and test_acc (percent), weight [classes, features] and bias " ..
     "[classes] (of the standardised features, as sklearn's coef_ and intercept_), mean and " ..
     "sd [features], loss (the objective above, sum form), pred_test (int64 labels), " ..
     "grad_max, converged (grad_max <= tol), iterations and evaluations. On the frozen " ..
     "MNIST-1D it reaches scikit-learn's optimum (tests/lua/probe_test.lua) and 32.8 % test " ..
     "accuracy. Raises for an unknown option, C <= 0, labels that are not int64 or do not fit " ..
     "`classes`, mismatched shapes, and the feature errors of knn.classify.",
     ex = [[local d = m1d.mnist1d.frozen()
local r = m1d.probe.logistic(d.x, d.y, d.x_test, d.y_test)
print(("test %.1f %%, train %.2f %%, objective %.2f, converged %s"):format(r.test_acc, r.train_acc, r.loss, r.converged))]],
     out = "test 32.8 %, train 37.35 %, objective 6357.91, converged true"},
    {"m1d.ssl.augment", "ssl.augment(x [, {max_shift = 10, slope_sd = 0.04, offset_sd = 0.3}]) -> Tensor [B, L]",
     "A random view of every signal of a batch x [B, L] (float32 or float64; the result has " ..
     "x's shape and dtype), the augmentation of the official MNIST-1D SimCLR notebook: " ..
     "ssl.detrend, then a circular roll of each row by its own uniform integer shift in " ..
     "[0, max_shift) (as torch.roll: out[i] = row[(i - s) mod L]; one gather on the row " ..
     "written twice), then a random straight line added: slope ~ N(0, slope_sd) around the " ..
     "centre position (L - 1) / 2 and offset ~ N(0, offset_sd). Draws from m1d's generator, " ..
     "in this order: the B shifts, the B slopes, the B offsets (m1d.manual_seed fixes the " ..
     "view). Not differentiated (it makes inputs). Raises for an x that is not a float " ..
     "[B, L >= 2] tensor, max_shift outside 1..L, a negative or infinite sd, an unknown option.",
     ex = [[local x = m1d.tensor({{0, 0, 0, 1, 0, 0}}, "float64")
print(m1d.ssl.detrend(x))
m1d.manual_seed(3)           -- its first shift in [0, 3) is 2
print(m1d.ssl.augment(x, {max_shift = 3, slope_sd = 0, offset_sd = 0}))]],
     out = [=[tensor([[-0.0952, -0.1238, -0.1524,  0.8190, -0.2095, -0.2381]], float64 [1,6])
tensor([[-0.2095, -0.2381, -0.0952, -0.1238, -0.1524,  0.8190]], float64 [1,6])]=]},
    {"m1d.ssl.detrend", "ssl.detrend(x) -> Tensor [B, L]",
     "x [B, L] minus each row's mean and least-squares linear trend: with u the positions " ..
     "minus their centre, row - mean(row) - u * (row . u) / (u . u). Every row of the " ..
     "result has zero mean and zero least-squares slope (tests/lua/ssl_test.lua, float64). " ..
     "The first step of ssl.augment. Raises as ssl.augment for a bad x.",
     ex = [[print(m1d.ssl.detrend(m1d.tensor({{1, 3, 5, 7}, {0, 2, 0, 2}})))]],
     out = [=[tensor([[ 0.0000,  0.0000,  0.0000,  0.0000],
        [-0.4000,  1.2000, -1.2000,  0.4000]], float32 [2,4])]=]},
    {"m1d.ssl.info_nce", "ssl.info_nce(z1, z2 [, temperature = 0.5]) -> Tensor (0-dim)",
     "The InfoNCE (NT-Xent) loss of SimCLR with the batch as negatives: z1 and z2 [B, D] " ..
     "are the outputs for two views, row i of each from the same signal. Each row is " ..
     "L2-normalised (its norm clamped at 1e-12, as torch's F.normalize: a zero row stays " ..
     "zero, with finite gradients), S = z1n z2n^T / temperature [B, B], and the loss is " ..
     "cross_entropy(S, {0, ..., B-1}): the mean over rows of -log(exp S_ii / sum_j exp S_ij). " ..
     "Differentiable to any order in z1 and z2. Raises for shapes that differ or are not " ..
     "[B > 0, D], a temperature that is not a finite number > 0.",
     ex = [[local z = m1d.tensor({{1, 0}, {0, 1}}, "float64")
print(("%.4f %.4f"):format(m1d.ssl.info_nce(z, z):item(), m1d.ssl.info_nce(z, z:flip(1)):item()))]],
     out = "0.1269 2.1269"},
  },
}
