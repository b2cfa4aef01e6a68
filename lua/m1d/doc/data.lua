-- The reference: Data (m1d.mnist1d).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Data (m1d.mnist1d)", key = "data",
  intro = "A dataset is a table with `x` [n, 40] and `x_test` (float32, or float64 on request), " ..
          "`y` and `y_test` (int64 labels 0..9, ready for nn.cross_entropy) and `t` [40] (the " ..
          "horizontal axis for plots). `mnist1d.frozen()` is the paper's 4000/1000 split; " ..
          "`mnist1d.dataset(args)` generates one bit-exact with the Python reference's " ..
          "make_dataset. The helpers (`batch`, `subset`, `spatial_shuffle`, `label_noise`) never " ..
          "modify the dataset they are called on. `m1d.tsne` embeds the rows of a dataset in 2-D.",
  entries = {
    {"m1d.mnist1d.Dataset", "data = mnist1d.frozen() | mnist1d.dataset(args) | mnist1d.load(dir)",
     "A dataset: fields `x` [n_train, len] and `x_test` [n_test, len] (float32 or float64 = " ..
     "`dtype`), `y`, `y_test` (int64 [n], labels 0..9), `t` [len] (the reference's horizontal axis " ..
     "for plotting a row, not 1..len; nil for a loaded directory without t.npy), `templates` ({x [10, 12], t, y}), " ..
     "`args` (the generator arguments), `source` (\"generated\" or the directory). Generated " ..
     "sets also have `perm`, `seq_perm`, `norm_mean`, `norm_std`. Rows are in random order " ..
     "already. `help(data)` lists the Dataset methods.",
     also = {"Dataset"},
     ex = [[local d = m1d.mnist1d.frozen()
print(d)
print(table.concat(d.x:shape(), "x"), d.y:dtype(), d.y:min():item(), d.y:max():item())]],
     out = "MNIST-1D dataset: 4000 train, 1000 test, length 40, float32\n4000x40\tint64\t0\t9"},
    {"m1d.mnist1d.frozen", "mnist1d.frozen([{dtype = \"float32\"}]) -> Dataset",
     "The official frozen dataset of the paper (mnist1d_data.pkl, vendored as .npy files): 4000 " ..
     "training and 1000 test rows of length 40, labels 0..9. Found by mnist1d.vendor_dir(); " ..
     "raises an error naming the places tried when the files are missing. `dtype = " ..
     "\"float64\"` converts x, x_test and t.",
     ex = [[local d = m1d.mnist1d.frozen()
print(d.y:narrow(1, 1, 8))]],
     out = "tensor([2, 6, 4, 5, 6, 6, 6, 0], int64 [8])"},
    {"m1d.mnist1d.dataset", "mnist1d.dataset([args [, {dtype =}]]) -> Dataset",
     "Generate make_dataset(args) of the Python reference, bit-exact (same seed, same numbers): " ..
     "args is a table of overrides of mnist1d.defaults() (checked by mnist1d.args, so unknown " ..
     "keys and bad values raise an error) or a table mnist1d.args returned. num_samples rows " ..
     "are split train_split : 1 - train_split into x and x_test. `mnist1d.generate` is the " ..
     "same function.",
     also = {"m1d.mnist1d.generate"},
     ex = [[local d = m1d.mnist1d.dataset{num_samples = 100, seed = 1}
print(d, d.source)]],
     out = "MNIST-1D dataset: 80 train, 20 test, length 40, float32\tgenerated"},
    {"m1d.mnist1d.defaults", "mnist1d.defaults() -> table",
     "A fresh copy of the reference's get_dataset_args(): num_samples = 5000, train_split = " ..
     "0.8, template_len = 12, padding = {36, 60}, scale_coeff = 0.4, max_translation = 48, " ..
     "corr_noise_scale = 0.25, iid_noise_scale = 0.02, shear_scale = 0.75, shuffle_seq = " ..
     "false, final_seq_length = 40, seed = 42 (no dtype).",
     ex = [[local a = m1d.mnist1d.defaults()
print(a.num_samples, a.seed, a.padding[1], a.padding[2])]],
     out = "5000\t42\t36\t60"},
    {"m1d.mnist1d.args", "mnist1d.args([overrides]) -> table",
     "defaults() merged with the overrides, checked: an unknown key, a wrong type (integers " ..
     "must be integral numbers, padding a pair {lo, hi}, shuffle_seq a boolean) or a value " ..
     "make_dataset would reject (num_samples < 10, train_split outside [0, 1], ...) raises an " ..
     "error naming it. Adds `dtype` (\"float32\" default or \"float64\"). The keys, in " ..
     "get_dataset_args() order, are in `mnist1d.arg_names`, their kinds in `mnist1d.kinds`.",
     ex = [[local a = m1d.mnist1d.args{num_samples = 100}
print(a.num_samples, a.dtype, (pcall(m1d.mnist1d.args, {bogus = 1})))]],
     out = "100\tfloat32\tfalse"},
    {"m1d.mnist1d.generator_args", "mnist1d.generator_args(args) -> table",
     "Only the generator's twelve keys of an args table (dtype and anything else dropped), as " ..
     "the C generator takes them. Not checked.",
     ex = [[local g = m1d.mnist1d.generator_args(m1d.mnist1d.args{dtype = "float64"})
print(g.dtype, g.seed)]],
     out = "nil\t42"},
    {"m1d.mnist1d.load", "mnist1d.load(dir [, {dtype = \"float32\"}]) -> Dataset",
     "Read a dataset directory as `m1d gen` or NumPy writes it: x.npy, y.npy, x_test.npy, " ..
     "y_test.npy, and if present t.npy and templates_{x,t,y}.npy. A missing or unreadable " ..
     "required file raises an error. `args` is not set (frozen() sets it).",
     ex = [[local d = m1d.mnist1d.load(m1d.mnist1d.vendor_dir(), {dtype = "float64"})
print(d.x:dtype(), d:size())]],
     out = "float64\t4000"},
    {"m1d.mnist1d.vendor_dir", "mnist1d.vendor_dir() -> path | nil, message",
     "Where the frozen dataset's .npy files are: $M1D_MNIST1D_DIR if it holds x.npy, else " ..
     "vendor/mnist1d of the checkout m1d runs from, else the installed share/m1d/mnist1d " ..
     "(make install), else m1d/mnist1d next to the module (a luarocks tree); nil " ..
     "and a message listing the places tried if none has x.npy.",
     ex = [[print((m1d.mnist1d.vendor_dir():match("mnist1d$")))]],
     out = "mnist1d"},
    {"Dataset:batch", "data:batch(start, size [, \"train\" | \"test\"]) -> x, y",
     "Rows start .. start+size-1 (1-based) of the training set (of the test set with " ..
     "\"test\"), wrapping around the end as often as needed. Without wrapping x and y are views " ..
     "sharing the dataset's storage (no copy); with wrapping they are new tensors. start and " ..
     "size must be integers, start >= 1 (0 raises: it used to mean the last row) and " ..
     "size >= 1; another split raises.",
     ex = [[local x, y = m1d.mnist1d.frozen():batch(3999, 4)
print(table.concat(x:shape(), "x"), y)]],
     out = "4x40\ttensor([4, 8, 2, 6], int64 [4])"},
    {"Dataset:size", "data:size() -> integer",
     "The number of training rows.",
     ex = [[print(m1d.mnist1d.frozen():size())]],
     out = "4000"},
    {"Dataset:subset", "data:subset(n) -> Dataset",
     "A new dataset with the first n training rows (views of x and y); the test set and the " ..
     "other fields are shared. n must be an integer in 0..size().",
     ex = [[local d = m1d.mnist1d.frozen():subset(1000)
print(d:size(), d.x_test:size(1))]],
     out = "1000\t1000"},
    {"Dataset:spatial_shuffle", "data:spatial_shuffle([seed = 42]) -> Dataset",
     "A new dataset whose x and x_test columns are permuted by NumPy's " ..
     "np.random.seed(seed); np.random.permutation(len) (the paper's spatially shuffled " ..
     "MNIST-1D, the same permutation for every row). The permutation is kept as " ..
     "`spatial_perm` (int64, NumPy's 0-based values). t is not permuted.",
     ex = [[print(m1d.mnist1d.frozen():spatial_shuffle(42).spatial_perm:narrow(1, 1, 5))]],
     out = "tensor([19, 16, 15, 26,  4], int64 [5])"},
    {"Dataset:label_noise", "data:label_noise(frac [, seed = 0]) -> Dataset",
     "A new dataset whose training labels are noisy, as NumPy's RandomState(seed): each label " ..
     "is replaced with probability frac by randint(0, 10), which may equal the old one (so " ..
     "about 0.9*frac change). The clean labels are kept as `y_clean`; test labels are " ..
     "untouched. frac must be in [0, 1].",
     ex = [[local d = m1d.mnist1d.frozen()
local n = d:label_noise(0.5, 0)
print(n.y:ne(d.y):sum():item(), n.y_clean == d.y)]],
     out = "1815\ttrue"},
    {"m1d.tsne", "m1d.tsne(x [, opts]) -> y, info",
     "t-SNE (van der Maaten & Hinton 2008) of the rows of x [N, D] (any float dtype; computed " ..
     "in float64): y is the [N, 2] embedding in x's dtype. scikit-learn's TSNE semantics (1.2): " ..
     "the joint P from each point's 3 perplexity nearest neighbours (exact kNN by GEMM; a " ..
     "bisection on each row's bandwidth until exp(entropy) = perplexity; P = (C + C^T) / 2N); " ..
     "the first `exaggeration_iter` iterations with P * early_exaggeration and momentum 0.5, " ..
     "then momentum 0.8 with fresh momentum and gains (+0.2 / *0.8, at least 0.01); the KL " ..
     "divergence every `check_every` iterations, where a stage stops after " ..
     "n_iter_without_progress iterations without a lower KL or when the gradient norm reaches " ..
     "min_grad_norm (the second stage runs even if the first stopped). The repulsion is " ..
     "Barnes-Hut on a quadtree: a cell of width w is summarised when w < theta * distance " ..
     "(sklearn's angle; points share tree walks in groups, with a criterion that holds for every " ..
     "point of the group, so the sums are at least as accurate as sklearn's), or exact O(N^2) " ..
     "with method = \"exact\" (N <= 2000; P then over all N - 1 neighbours). Deterministic for a " ..
     "seed (one thread). Options (defaults): perplexity 30 (must be below N - 1), n_iter 1000 " ..
     "(or max_iter, its newer sklearn name), early_exaggeration 12, exaggeration_iter 250, " ..
     "learning_rate \"auto\" = max(N / early_exaggeration / 4, 50) or a number, init \"pca\" " ..
     "(the first two principal components, signed as sklearn's svd_flip, scaled to a first-" ..
     "column std of 1e-4), \"random\" (1e-4 N(0, 1) from seed) or an [N, 2] tensor, metric " ..
     "\"euclidean\" (squared distances) or \"cosine\" (1 - cos), method \"barnes_hut\" or " ..
     "\"exact\", theta 0.5, seed 0, progress false (true: a line on stderr every check: " ..
     "iteration, KL, gradient norm, seconds), n_iter_without_progress 300, min_grad_norm 1e-7, " ..
     "check_every 50. Unknown keys are errors. info: kl (the final KL divergence, with Q " ..
     "normalised by the Barnes-Hut sum as sklearn's kl_divergence_), n_iter (iterations run), " ..
     "stop_reason (\"n_iter\", \"no progress\" or \"grad norm\"), iters / kls / grad_norms " ..
     "(the history at each check; KL during exaggeration is of the exaggerated P), " ..
     "learning_rate, n_neighbors, rows_missed (rows whose bisection missed the perplexity by " ..
     "more than 1e-5 nats: 0 normally), seconds, seconds_affinities, and P = {rowptr, col, val}: the " ..
     "joint P's upper triangle in CSR form (0-based int64 columns j > i; values sum to 1/2). " ..
     "5,000 MNIST-1D signals, 1000 iterations, one thread: 1.6 s of CPU, peak RSS 45 MB, " ..
     "the same KL as sklearn (2.448) 14x faster (`make bench-peer-tsne` runs both side by " ..
     "side). experiments/tsne.lua draws the figure.",
     ex = [[local d = m1d.mnist1d.frozen()
local y, info = m1d.tsne(d.x:narrow(1, 1, 300), {n_iter = 300, seed = 0})
print(table.concat(y:shape(), "x"), info.n_iter, info.kl < 2, #info.kls)]],
     out = "300x2\t300\ttrue\t6"},
  },
}
