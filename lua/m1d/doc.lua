-- doc.lua — the API reference, one place: help() in the REPL reads it, and the
-- README's reference is generated from it, so the two cannot drift:
--
--   ./m1d -e 'print(require("m1d.doc").markdown())'
--
-- doc.entries maps a qualified name ("m1d.randn", "m1d.nn.Linear", "Tensor:sum",
-- "m1d.plot.lines", "Figure:save") to {sig = "...", doc = "..."}.  Names with ':' are
-- methods.  The order of the list below is the order of the reference.  Modules may
-- add their own entries with doc.add(name, sig, text).
local doc = {}

-- Sections of the reference: a title, the key help() finds it by, a one-paragraph
-- introduction, and the name prefixes that belong to it (the longest prefix wins).
doc.sections = {
  {title = "Command line", key = "command line", prefixes = {"m1d ", "m1d.quiz", "m1d.gen"},
   intro = "The `m1d` program is Lua 5.4 with the runtime built in; it also runs the " ..
           "generator and the human-baseline quiz."},
  {title = "REPL", key = "repl", prefixes = {"help", "m1d.repl"},
   intro = "`m1d` with no script starts a REPL: expressions print their value, `=expr` " ..
           "works too, incomplete chunks continue on the next line, Tab completes globals, " ..
           "fields and methods, and history is kept in `~/.m1d_history` (or `$M1D_HISTORY`)."},
  {title = "Tensors", key = "tensors", prefixes = {"m1d."},
   intro = "Tensors are n-dimensional arrays (float32, float64 or int64) in row-major order. " ..
           "Lua sees 1-based dimensions and indices. Arithmetic operators work between " ..
           "tensors and numbers, with NumPy broadcasting."},
  {title = "Tensor methods", key = "methods", prefixes = {"Tensor:", "Tensor."}},
  {title = "Autograd", key = "autograd", prefixes = {"m1d.grad", "m1d.no_grad", "m1d.enable_grad",
                                   "m1d.detect_anomaly", "Tensor:backward", "Tensor:requires_grad",
                                   "Tensor:detach", "Tensor.grad"},
   intro = "Operations on tensors that require gradients are recorded; `backward` and " ..
           "`m1d.grad` differentiate, to any order with `create_graph = true`."},
  {title = "Neural networks (m1d.nn)", key = "nn", prefixes = {"m1d.nn"},
   intro = "A layer is a table of parameter tensors plus a forward function, callable " ..
           "as `layer(x)`."},
  {title = "Optimizers (m1d.optim)", key = "optim", prefixes = {"m1d.optim"}},
  {title = "Data (m1d.mnist1d)", key = "data", prefixes = {"m1d.mnist1d", "m1d.npy"}},
  {title = "Plots (m1d.plot)", key = "plots", prefixes = {"m1d.plot", "Figure:"},
   intro = "Figures are drawn by gnuplot (one process per figure, data sent inline, " ..
           "nothing written to temporary files). `:save(\"f.png\")` writes PNG, SVG, PDF or " ..
           "text by extension; `:show()` prints a text plot in the terminal. gnuplot's errors " ..
           "are raised as Lua errors."},
  {title = "Processes", key = "processes", prefixes = {"m1d.core.spawn", "Process:"}},
}

local list = {
  -- command line ------------------------------------------------------------------
  {"m1d script", "m1d script.lua [args...]",
   "Run a script; its arguments are in the global `arg` (`arg[0]` is the script name). " ..
   "The globals `m1d` (= `require \"m1d\"`) and `help` are set. Exit status 1 on error."},
  {"m1d -e", "m1d -e 'code' [-e 'code' ...] [-i]",
   "Run chunks of code given on the command line; `-i` enters the REPL afterwards. " ..
   "`-l mod` requires a module into the global `mod`. `m1d -` runs stdin as a script."},
  {"m1d repl", "m1d [-i]",
   "Start the REPL (also when stdin is a pipe; prompts are printed only on a terminal)."},
  {"m1d gen", "m1d gen [options]",
   "Generate an MNIST-1D data set (`require(\"m1d.gen\").main(args)`); `m1d gen --help` " ..
   "lists the options."},
  {"m1d quiz", "m1d quiz [--n 20] [--seed 0] [--width 79] [--height 18]",
   "The human baseline: shows MNIST-1D test examples as text plots and asks for the digit " ..
   "(0-9, `q` to stop); reports the accuracy overall and per class. The paper's human " ..
   "baseline is about 96%."},
  {"m1d --help", "m1d --help | --version", "Usage, or the version."},
  {"m1d.gen.main", "require(\"m1d.gen\").main({args...}) -> exit status", "What `m1d gen` runs."},
  {"m1d.quiz.main", "require(\"m1d.quiz\").main({args...}) -> exit status", "What `m1d quiz` runs."},
  {"m1d.quiz.run", "quiz.run{data =, n = 20, seed = 0, read =, write =, width =, height =} -> result",
   "The quiz with injectable data ({x_test =, y_test =}), input (`read() -> line|nil`) and " ..
   "output (`write(s)`). Returns {asked =, correct =, accuracy =, per_class = {[digit] = " ..
   "{n =, correct =}}, answers = {...}}."},
  {"m1d.quiz.pick", "quiz.pick(total, n, seed) -> {indices}",
   "n distinct indices in 1..total, a function of the seed alone (splitmix64)."},

  -- REPL ----------------------------------------------------------------------------
  {"help", "help([x])",
   "Documentation: `help()` for an overview, `help(m1d.randn)`, `help(\"randn\")`, " ..
   "`help(m1d.nn)` (a module lists its contents), `help(t)` for a tensor's methods, " ..
   "`help(\"pool\")` lists every entry that matches."},
  {"m1d.repl.show", "repl.show(...)",
   "Print values as the REPL does: tables nested with sorted keys, truncated after " ..
   "`repl.max_items` entries and `repl.max_depth` levels, cycles marked; tensors and " ..
   "figures through `tostring`."},
  {"m1d.repl.format", "repl.format(v) -> string", "The text `repl.show` prints for one value."},
  {"m1d.repl.complete", "repl.complete(word) -> {candidates}",
   "Tab-completion candidates: globals and keywords, fields after `.`, methods after `:` " ..
   "(for userdata, from the metatable's `__index` table)."},
  {"m1d.repl.help_text", "repl.help_text([x]) -> string", "What `help(x)` prints."},

  -- tensors -------------------------------------------------------------------------
  {"m1d.tensor", "m1d.tensor(values [, dtype]) -> Tensor",
   "A tensor from a number or nested tables: `m1d.tensor{{1, 2}, {3, 4}}`. dtype is " ..
   "\"float32\" (default), \"float64\" or \"int64\"."},
  {"m1d.zeros", "m1d.zeros(d1, d2, ... | {shape} [, dtype]) -> Tensor", "A tensor of zeros."},
  {"m1d.ones", "m1d.ones(d1, d2, ... | {shape} [, dtype]) -> Tensor", "A tensor of ones."},
  {"m1d.full", "m1d.full({shape}, value [, dtype]) -> Tensor", "A tensor filled with value."},
  {"m1d.empty", "m1d.empty(d1, d2, ... | {shape} [, dtype]) -> Tensor", "Uninitialised storage."},
  {"m1d.arange", "m1d.arange([start,] stop [, step] [, dtype]) -> Tensor",
   "Values from start (default 0) up to but not including stop."},
  {"m1d.linspace", "m1d.linspace(a, b, n [, dtype]) -> Tensor", "n evenly spaced values from a to b."},
  {"m1d.randn", "m1d.randn(d1, d2, ... | {shape} [, dtype]) -> Tensor",
   "Samples of the standard normal distribution from the global generator (see manual_seed)."},
  {"m1d.rand", "m1d.rand(d1, d2, ... | {shape} [, dtype]) -> Tensor", "Uniform samples in [0, 1)."},
  {"m1d.randint", "m1d.randint(lo, hi, {shape}) -> Tensor", "Uniform int64 samples in [lo, hi)."},
  {"m1d.randperm", "m1d.randperm(n) -> Tensor", "A random permutation of 1..n (int64)."},
  {"m1d.manual_seed", "m1d.manual_seed(seed)", "Seed the global random generator."},
  {"m1d.matmul", "m1d.matmul(a, b) -> Tensor",
   "Matrix product of 2-D tensors (batched for 3-D); also `a:matmul(b)`."},
  {"m1d.cat", "m1d.cat({tensors}, dim) -> Tensor", "Concatenate along dim."},
  {"m1d.stack", "m1d.stack({tensors}, dim) -> Tensor", "Stack along a new dim."},
  {"m1d.where", "m1d.where(cond, a, b) -> Tensor", "Elements of a where cond is non-zero, else b."},
  {"m1d.pointwise_mlp", "m1d.pointwise_mlp(x, w1, b1, w2 [, nder = 0]) -> Tensor [nder + 1, x's shape]",
   "A 1 -> H -> 1 tanh MLP applied to every element of x, fused, with its first nder " ..
   "(0 to 3) derivatives in x: row k is sum_j w2_j w1_j^k tanh^(k)(w1_j x + b1_j). w1, b1 " ..
   "and w2 hold H elements each (e.g. the weights of Linear(1, H) and Linear(H, 1)); add the " ..
   "output bias yourself. The [numel(x), H] hidden layer is never stored, at any order of " ..
   "derivative: the first-order backward is one fused pass, higher orders (create_graph) are " ..
   "made of m1d.tanh_hsum and m1d.tanh_xsum. While recording, the forward also computes the " ..
   "next derivative (for the gradient in x of a differentiable backward). float32 tanh has an " ..
   "absolute error below 2e-7. Used by experiments/metalearn_afunc.lua for the learned activation."},
  {"m1d.tanh_hsum", "m1d.tanh_hsum(x, a, b, c, orders) -> Tensor [R, N]",
   "Sums over the hidden units of a 1 -> H tanh layer, fused: out[r][i] = sum_j c[r][j] " ..
   "tanh^(orders[r])(a_j x_i + b_j), with x [N], a and b [H], c [R, H] and orders a list of R " ..
   "integers from 0 to 15 (the m-th derivative of tanh). Never stores the [N, H] layer. Its " ..
   "gradients are again tanh_hsum and tanh_xsum calls (one order up), so it is differentiable " ..
   "to any order without that layer; a plain backward is one fused pass. The building block " ..
   "of m1d.pointwise_mlp's higher-order gradients."},
  {"m1d.tanh_xsum", "m1d.tanh_xsum(x, a, b, w, orders) -> Tensor [R, H]",
   "Sums over the elements, the counterpart of m1d.tanh_hsum: out[r][j] = sum_i w[r][i] " ..
   "tanh^(orders[r])(a_j x_i + b_j), with x [N], a and b [H], w [R, N], orders R integers " ..
   "from 0 to 15. Fused, differentiable to any order (see m1d.tanh_hsum); sums in double."},
  {"m1d.memstats", "m1d.memstats() -> {bytes_live=, bytes_allocated=, mallocs=}",
   "Tensor storage accounting (what the collector is told about)."},
  {"m1d.set_num_threads", "m1d.set_num_threads(n)",
   "OpenBLAS threads for the GEMMs (1 by default: these models' GEMMs are small; " ..
   "M1D_NUM_THREADS=n sets it at start). Also m1d.get_num_threads()."},
  {"m1d.blas_info", "m1d.blas_info() -> {core=, chosen_by=, threads=}",
   "Which OpenBLAS kernels run (\"SkylakeX\", \"Haswell\", ...) and who chose them: " ..
   "\"openblas\", \"user\" (OPENBLAS_CORETYPE) or \"m1d\" (which replaces OpenBLAS's generic " ..
   "fallback on CPUs it does not know)."},
  {"m1d.set_flush_denormal", "m1d.set_flush_denormal(on) -> previous",
   "Flush subnormal floats to zero (off by default), as torch.set_flush_denormal: long Adam " ..
   "runs make them, and CPUs compute on them slowly."},

  -- tensor methods ------------------------------------------------------------------
  {"Tensor:shape", "t:shape() -> {d1, d2, ...}", "The shape as a Lua array (also `t:size(dim)`)."},
  {"Tensor:size", "t:size([dim]) -> integer | {shape}", "Size of one dimension, or the shape."},
  {"Tensor:dim", "t:dim() -> integer", "Number of dimensions."},
  {"Tensor:numel", "t:numel() -> integer", "Number of elements (also `#t` for the first dimension)."},
  {"Tensor:dtype", "t:dtype() -> string", "\"float32\", \"float64\" or \"int64\"."},
  {"Tensor:item", "t:item() -> number", "The value of a one-element tensor."},
  {"Tensor:totable", "t:totable() -> table", "Nested Lua tables of numbers."},
  {"Tensor:reshape", "t:reshape(d1, d2, ... | {shape}) -> Tensor",
   "Same data, new shape (one size may be -1); a view when possible."},
  {"Tensor:view", "t:view(d1, d2, ...) -> Tensor", "Like reshape, but fails unless a view is possible."},
  {"Tensor:transpose", "t:transpose(d1, d2) -> Tensor", "Swap two dimensions (a view); `t:t()` for 2-D."},
  {"Tensor:permute", "t:permute(d1, d2, ...) -> Tensor", "Reorder dimensions (a view)."},
  {"Tensor:narrow", "t:narrow(dim, start, len) -> Tensor", "Elements start..start+len-1 along dim (a view)."},
  {"Tensor:select", "t:select(dim, i) -> Tensor", "Index i along dim, removing that dim."},
  {"Tensor:index_select", "t:index_select(dim, idx) -> Tensor", "Rows (along dim) listed in the int64 tensor idx."},
  {"Tensor:squeeze", "t:squeeze([dim]) -> Tensor", "Remove dimensions of size 1."},
  {"Tensor:unsqueeze", "t:unsqueeze(dim) -> Tensor", "Insert a dimension of size 1."},
  {"Tensor:expand", "t:expand(d1, d2, ...) -> Tensor", "Broadcast to a larger shape without copying."},
  {"Tensor:contiguous", "t:contiguous() -> Tensor", "t itself if row-major contiguous, else a copy."},
  {"Tensor:clone", "t:clone() -> Tensor", "A copy (recorded by autograd)."},
  {"Tensor:float", "t:float() | t:double() | t:long() -> Tensor", "Convert to float32, float64 or int64."},
  {"Tensor:sum", "t:sum([dim [, keepdim]]) -> Tensor", "Sum of all elements, or along dim."},
  {"Tensor:mean", "t:mean([dim [, keepdim]]) -> Tensor", "Mean of all elements, or along dim."},
  {"Tensor:var", "t:var(dim [, keepdim]) -> Tensor", "Variance along dim."},
  {"Tensor:max", "t:max([dim]) -> Tensor [, indices]", "Maximum, or maxima and their indices along dim."},
  {"Tensor:min", "t:min([dim]) -> Tensor [, indices]", "Minimum, or minima and their indices along dim."},
  {"Tensor:argmax", "t:argmax(dim) -> Tensor", "1-based indices of the maxima along dim (int64)."},
  {"Tensor:exp", "t:exp() | t:log() | t:sqrt() | t:abs() | t:tanh() | t:sigmoid() -> Tensor",
   "Element-wise functions (all differentiable)."},
  {"Tensor:relu", "t:relu() | t:gelu() | t:elu() | t:silu() | t:softplus() -> Tensor", "Activations."},
  {"Tensor:softmax", "t:softmax(dim) | t:log_softmax(dim) -> Tensor", "Softmax along dim."},
  {"Tensor:matmul", "t:matmul(u) -> Tensor", "Matrix product."},
  {"Tensor:pow", "t:pow(p) -> Tensor", "Element-wise power (also `t ^ p`)."},
  {"Tensor:clamp", "t:clamp(lo, hi) -> Tensor", "Limit values to [lo, hi]."},
  {"Tensor:eq", "t:eq(u) | t:gt(u) | t:lt(u) | t:ge(u) | t:le(u) | t:ne(u) -> Tensor",
   "Element-wise comparisons giving 0/1 (`==` and `<` always compare objects)."},
  {"Tensor:fill_", "t:fill_(v) -> t", "Set every element to v (in place)."},
  {"Tensor:copy_", "t:copy_(u) -> t", "Copy u (broadcast) into t (in place)."},
  {"Tensor:release", "t:release()",
   "Free the storage now (also `local t <close> = ...`); the tensor is unusable afterwards."},
  {"Tensor:requires_grad", "t:requires_grad([flag = true]) -> t", "Mark a leaf tensor for gradients."},
  {"Tensor:backward", "loss:backward([grad] [, {create_graph = false}])",
   "Accumulate d loss / d leaf into each leaf's `.grad`."},
  {"Tensor.grad", "t.grad -> Tensor | nil", "The accumulated gradient of a leaf."},
  {"Tensor:detach", "t:detach() -> Tensor", "Same data, cut from the graph."},

  -- autograd ------------------------------------------------------------------------
  {"m1d.grad", "m1d.grad(y, {params} [, {create_graph = false, retain_graph = false}]) -> {grads}",
   "Gradients of the scalar y with respect to each tensor in params, as new tensors; with " ..
   "create_graph the gradients are recorded too (gradients of gradients)."},
  {"m1d.no_grad", "m1d.no_grad(fn, ...) -> results of fn", "Run fn without recording operations."},
  {"m1d.detect_anomaly", "m1d.detect_anomaly(flag)",
   "Check every op's result for NaN/Inf and name the op that produced it."},

  -- nn ------------------------------------------------------------------------------
  {"m1d.nn", "m1d.nn", "Layers, containers and losses."},
  {"m1d.nn.Linear", "nn.Linear(in, out [, {bias = true}]) -> layer", "y = x W^T + b; x: [n, in] -> [n, out]."},
  {"m1d.nn.Conv1d", "nn.Conv1d(cin, cout, k [, {stride = 1, padding = 0}]) -> layer",
   "1-D convolution; x: [n, cin, len] -> [n, cout, len']."},
  {"m1d.nn.GRU", "nn.GRU(in, hidden) -> layer", "A gated recurrent layer over [n, len, in]."},
  {"m1d.nn.Sequential", "nn.Sequential(layer, ...) -> layer", "Apply layers in order."},
  {"m1d.nn.Tanh", "nn.Tanh() | nn.ReLU() | nn.GELU() | nn.Sigmoid() -> layer", "Activation layers."},
  {"m1d.nn.Flatten", "nn.Flatten() -> layer", "[n, ...] -> [n, prod(...)]."},
  {"m1d.nn.MaxPool1d", "nn.MaxPool1d(k [, stride]) | nn.AvgPool1d(k [, stride]) -> layer", "Pooling."},
  {"m1d.nn.cross_entropy", "nn.cross_entropy(logits, y) -> Tensor",
   "Mean cross-entropy of logits [n, classes] against int64 labels y [n] (1-based or 0-based " ..
   "as documented by the runtime)."},
  {"m1d.nn.mse", "nn.mse(a, b) -> Tensor", "Mean squared error."},
  {"m1d.nn.accuracy", "nn.accuracy(logits, y) -> number", "Fraction of rows whose argmax equals y."},
  {"m1d.nn.parameters", "model:parameters() -> {tensors}", "The parameter tensors in a fixed order."},
  {"m1d.nn.apply", "model:apply(params, x) -> Tensor",
   "Forward pass with the given parameter list instead of the model's own (functional, for " ..
   "meta-learning)."},

  -- optim ---------------------------------------------------------------------------
  {"m1d.optim.SGD", "optim.SGD(params, {lr =, momentum = 0, weight_decay = 0}) -> opt",
   "`opt:step()` updates in place from `.grad`; `opt:zero_grad()`."},
  {"m1d.optim.Adam", "optim.Adam(params, {lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8}) -> opt", "Adam."},
  {"m1d.optim.sgd_step", "optim.sgd_step(params, grads, lr) -> {new params}",
   "Functional SGD: new tensors p - lr * g (lr may be a tensor that requires grad)."},

  -- data ----------------------------------------------------------------------------
  {"m1d.mnist1d.frozen", "mnist1d.frozen() -> data",
   "The paper's frozen split: `x` [4000, 40], `y` [4000], `x_test` [1000, 40], `y_test` " ..
   "[1000] (int64 labels 0-9), `t` [40]; `data:batch(start, n)`."},
  {"m1d.mnist1d.generate", "mnist1d.generate({num_samples = 5000, seed = 42, ...}) -> data",
   "Generate a data set with the reference's arguments, bit-exact with the Python code."},

  -- plots ---------------------------------------------------------------------------
  {"m1d.plot", "m1d.plot", "Line plots, error bands, scatter plots, heatmaps, multi-panel figures."},
  {"m1d.plot.lines", "plot.lines{series..., title=, xlabel=, ylabel=, logx=, logy=, xrange=, " ..
   "yrange=, hlines=, vlines=, legend=, grid=, size=, file=} -> Figure",
   "A one-panel line plot. Series are tables `{x =, y =, name =, style = \"lines\"|\"points\"|" ..
   "\"linespoints\"|\"steps\", color =, width =, dash = true|\"-.\", marker = \"circle\"|" ..
   "\"square\"|..., band = {lo, hi} | err = e}` given positionally, in `series = {...}`, or as " ..
   "top-level x/y. Arrays may be Lua tables or tensors. `hlines = {{y = 96, name = \"human\"}}`. " ..
   "`{records, x = 1, y = 3}` plots columns of a table of rows. `file =` saves at once."},
  {"m1d.plot.scatter", "plot.scatter{x =, y =, c =, name =, marker =, ...} -> Figure",
   "A one-panel scatter plot; `c` colours points through the palette."},
  {"m1d.plot.heatmap", "plot.heatmap{data =, palette = \"viridis\"|\"gray\"|\"bwr\"|\"hot\", " ..
   "cbrange = {lo, hi}, title =, ...} -> Figure",
   "A 2-D table or tensor as an image, row 1 at the top (e.g. a lottery-ticket mask)."},
  {"m1d.plot.figure", "plot.figure{layout = \"2x3\", size = {w, h}, title =, font =} -> Figure",
   "An empty figure; add panels with `fig:panel`, `fig:scatter`, `fig:heatmap`. Default size " ..
   "800x500 for one panel, `plot.panel_size` (600x420) per panel otherwise."},
  {"m1d.plot.gnuplot_cmd", "plot.gnuplot_cmd = \"gnuplot\"", "The gnuplot program (a name or an argv table)."},
  {"m1d.plot.on_warning", "plot.on_warning = function(msg) ... end",
   "Receives gnuplot's warnings (default: print to stderr); nil to ignore them."},
  {"Figure:panel", "fig:panel{title =, series = {...}, at = i, ...} -> fig",
   "Add a line-plot panel (options as plot.lines) at the next or the given position."},
  {"Figure:scatter", "fig:scatter{...} -> fig", "Add a scatter panel."},
  {"Figure:heatmap", "fig:heatmap{data =, ...} -> fig", "Add a heatmap panel."},
  {"Figure:save", "fig:save(path [, {size = {w, h}}]) -> fig",
   "Write .png (pngcairo), .svg, .pdf (pdfcairo, 100 px per inch) or .txt; the file is " ..
   "complete when save returns. A missing directory in path is created (as `mkdir -p`). " ..
   "gnuplot errors raise an error and leave no file."},
  {"Figure:show", "fig:show([{width =, height =, color = false}]) -> fig",
   "Print the figure as a text plot (gnuplot's dumb terminal, $COLUMNS x $LINES or 79x24)."},
  {"Figure:text", "fig:text([{width =, height =}]) -> string", "The text plot as a string."},
  {"Figure:script", "fig:script() -> string", "The gnuplot script of the last drawing."},
  {"Figure:close", "fig:close()",
   "End the figure's gnuplot process (also by `<close>` and the collector); drawing again reopens it."},

  -- processes -----------------------------------------------------------------------
  {"m1d.core.spawn", "core.spawn(argv [, {stderr = \"merge\"|\"inherit\"|\"null\"}]) -> Process",
   "Run a program (PATH searched) on a two-way pipe; its stderr joins stdout by default. " ..
   "A program that cannot be run raises \"cannot run 'x': <reason>\"."},
  {"Process:write", "p:write(s, ...) -> p",
   "Write to the child's stdin (draining its output meanwhile, so it cannot deadlock); " ..
   "raises if the child has exited."},
  {"Process:read_until", "p:read_until(marker [, timeout_ms = 10000]) -> text | nil, why, text",
   "Read until marker; returns what came before it. On timeout or EOF: nil, \"timeout\"|\"closed\", " ..
   "everything read."},
  {"Process:read_available", "p:read_available() -> string", "Output read so far, without waiting."},
  {"Process:close", "p:close() -> code, \"exit\"|\"signal\", rest",
   "Close stdin, collect the remaining output, wait. Idempotent; also `<close>` and the collector."},
  {"Process:alive", "p:alive() -> boolean", "Whether the child is still running."},
  {"Process:kill", "p:kill([signal = 15]) -> p", "Send a signal."},
}

doc.entries = {}
doc.order = {}

-- doc.add(name, sig, text): add or replace an entry (keeps its place if it existed).
function doc.add(name, sig, text)
  if not doc.entries[name] then doc.order[#doc.order + 1] = name end
  doc.entries[name] = {sig = sig, doc = text}
end

for _, e in ipairs(list) do doc.add(e[1], e[2], e[3]) end

-- doc.get(name) -> {sig =, doc =} or nil
function doc.get(name) return doc.entries[name] end

-- doc.names() -> every name, in reference order
function doc.names()
  local out = {}
  for i, n in ipairs(doc.order) do out[i] = n end
  return out
end

-- doc.search(fragment) -> names whose name or signature contains it (case-insensitive)
function doc.search(q)
  q = q:lower()
  local out = {}
  for _, n in ipairs(doc.order) do
    local e = doc.entries[n]
    if n:lower():find(q, 1, true) or (e.sig or ""):lower():find(q, 1, true) then
      out[#out + 1] = n
    end
  end
  return out
end

local function section_of(name)
  local best, blen = nil, -1
  for i, s in ipairs(doc.sections) do
    for _, p in ipairs(s.prefixes) do
      if name:sub(1, #p) == p and #p > blen then best, blen = i, #p end
    end
  end
  return best or #doc.sections + 1
end

-- doc.section(title) -> the section (matched on its key, e.g. "autograd", "plots", or
-- its title in any case) and its entry names, or nil
function doc.section(title)
  local q = title:lower()
  for i, s in ipairs(doc.sections) do
    if s.title:lower() == q or s.key == q then
      local names = {}
      for _, n in ipairs(doc.order) do
        if section_of(n) == i then names[#names + 1] = n end
      end
      return s, names
    end
  end
  return nil
end

-- doc.overview() -> the text help() prints with no argument
function doc.overview()
  local lines = {
    "m1d — a Lua 5.4 deep-learning workbench for MNIST-1D.",
    "",
    "  help(m1d.randn)   help(\"randn\")   help(m1d.nn)   help(t)    a function, name, module, object",
    "  help(\"pool\")                                                 every entry matching a fragment",
    "",
    "Sections:",
  }
  for _, s in ipairs(doc.sections) do
    lines[#lines + 1] = ("  %-28s help(%q)"):format(s.title, s.key)
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Tab completes names; the value of an expression is printed; Ctrl-D leaves."
  return table.concat(lines, "\n") .. "\n"
end

-- doc.markdown() -> the whole reference as Markdown (sections in order, each entry a
-- signature in code and its description).
function doc.markdown()
  local by = {}
  for _, n in ipairs(doc.order) do
    local k = section_of(n)
    by[k] = by[k] or {}
    table.insert(by[k], n)
  end
  local out = {"## API reference", "",
               "<!-- generated by: ./m1d -e 'print(require(\"m1d.doc\").markdown())' -->", ""}
  local secs = {}
  for i, s in ipairs(doc.sections) do secs[i] = s end
  secs[#secs + 1] = {title = "Other"}
  for i, s in ipairs(secs) do
    if by[i] then
      out[#out + 1] = "### " .. s.title
      out[#out + 1] = ""
      if s.intro then out[#out + 1] = s.intro; out[#out + 1] = "" end
      for _, n in ipairs(by[i]) do
        local e = doc.entries[n]
        out[#out + 1] = "* `" .. (e.sig or n) .. "`" ..
                        ((e.doc and e.doc ~= "") and ("  \n  " .. e.doc) or "")
      end
      out[#out + 1] = ""
    end
  end
  return table.concat(out, "\n")
end

return doc
