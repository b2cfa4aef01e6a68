-- The reference: Neural networks (m1d.nn).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Neural networks (m1d.nn)", key = "nn",
  intro = "A module (layer or model) is a Lua table of parameters and child modules with a " ..
          "forward function, called as `model(x)`; `model:parameters()` lists its parameters in " ..
          "a fixed order that optimizers, masks and the functional `model:apply(params, x)` share. " ..
          "Inputs are batched: [batch, features] for Linear, [batch, channels, length] for " ..
          "convolutions and pooling (or, with layout = \"CLN\", [channels, length, batch], " ..
          "faster between convolutions: nn.ToCLN, nn.models.cnn), [batch, time, features] for " ..
          "the recurrent layers (RNN, LSTM, GRU). Labels are int64 " ..
          "0-based class indices (0..9 for MNIST-1D); `nn.accuracy` returns a percentage. Every " ..
          "module has a mode, `model.training`: train (the default) or eval, set for the " ..
          "whole tree by `model:train()` / `model:eval()`; Dropout and BatchNorm1d read it, " ..
          "and `train.evaluate` runs a model in eval mode.",
  entries = {
    {"m1d.nn", "m1d.nn",
     "Layers (Linear, Conv1d, RNN, LSTM, GRU, pooling, activations, Dropout, BatchNorm1d, LayerNorm, " ..
     "Embedding, Softmax, MultiheadAttention, TransformerEncoderLayer), containers (Sequential, nn.Module), " ..
     "losses (cross_entropy, nll, mse, mse_onehot), nn.accuracy, and the paper's models in " ..
     "`nn.models`. Loaded on first use of `m1d.nn`.",
     ex = [[print(tostring(m1d.nn.models.mlp()))]],
     out = [[mlp(
  (l1): Linear(40 -> 100)  weight [100,40], bias [100]  (4100 parameters)
  (l2): Linear(100 -> 100)  weight [100,100], bias [100]  (10100 parameters)
  (l3): Linear(100 -> 10)  weight [10,100], bias [10]  (1010 parameters)
)  (15210 parameters)]]},

    -- ------------------------------------------------------------ modules
    {"m1d.nn.Module", "nn.Module{fields..., forward = function(self, x, ...) ... end} -> Module",
     "Make a module from a table: fields holding modules are its children (their parameters " ..
     "become its own), `forward(self, ...)` runs when the module is called (`mod(x)` is " ..
     "`mod:forward(x)`). A tensor field is NOT a parameter unless it is added with " ..
     "`mod:register(name, t)`. Parameters are ordered by `_order` (a list of field names) if " ..
     "given, else by sorted field name; fields starting with `_` are ignored (`_name` is the " ..
     "name tostring shows). `tostring(mod)` (and print) draws the module as a tree, as " ..
     "PyTorch's repr: a module without children is one line (name, its parameters' " ..
     "shapes, dtype when not float32, and count); a container lists each child as " ..
     "`(key): ...` indented under `name(`, its own parameters as `(key): parameter [shape]`, " ..
     "and ends with `)` and its total count. The module keeps no output buffers, so results of two calls never " ..
     "alias. `help(model)` shows this entry and the `Module:` methods.",
     also = {"Module"},
     ex = [[local m = m1d.nn.Module{l1 = m1d.nn.Linear(4, 3), l2 = m1d.nn.Linear(3, 2),
  forward = function(self, x) return self.l2(self.l1(x):relu()) end}
print(m:n_params(), table.concat(m(m1d.randn(5, 4)):shape(), "x"))
m:register("scale", m1d.ones(1):requires_grad())
print(m)]],
     out = [[23	5x2
Module(
  (l1): Linear(4 -> 3)  weight [3,4], bias [3]  (15 parameters)
  (l2): Linear(3 -> 2)  weight [2,3], bias [2]  (8 parameters)
  (scale): parameter [1]
)  (24 parameters)]]},
    {"m1d.nn.Linear", "nn.Linear(in, out [, {bias = true}]) -> Module",
     "y = x W^T + b with weight [out, in] and bias [out] drawn from U(-1/sqrt(in), 1/sqrt(in)) " ..
     "(PyTorch's init) with m1d's seeded generator. x: [..., in] (any leading dims, also 1-D) " ..
     "-> [..., out], same float dtype as the weight. Sizes must be integers >= 1; an input " ..
     "whose last dim is not `in` raises an error. Parameters: weight, bias (in that order); " ..
     "`{bias = false}` leaves the bias out.",
     ex = [[local l = m1d.nn.Linear(40, 10)
print(tostring(l), table.concat(l(m1d.randn(8, 40)):shape(), "x"))]],
     out = "Linear(40 -> 10)  weight [10,40], bias [10]  (410 parameters)\t8x10"},
    {"m1d.nn.Conv1d", "nn.Conv1d(cin, cout, k [, {stride = 1, padding = 0, bias = true, layout = \"NCL\"}]) -> Module",
     "1-D convolution (cross-correlation, as in PyTorch): x [batch, cin, len] -> [batch, cout, " ..
     "floor((len + 2*padding - k) / stride) + 1], zero padding on both sides. weight [cout, cin, " ..
     "k] and bias [cout] ~ U(+-1/sqrt(cin*k)). The input must be 3-D with cin channels, else an " ..
     "error; sizes must be integers (k, stride >= 1, padding >= 0). layout = \"CLN\": the layer " ..
     "takes [cin, len, batch] and gives [cout, len', batch], the faster layout between " ..
     "convolutions (see m1d.conv1d; nn.models.cnn uses it); printed as \", CLN\".",
     ex = [[local c = m1d.nn.Conv1d(1, 25, 5, {stride = 2, padding = 1})
print(table.concat(c(m1d.randn(8, 1, 40)):shape(), "x"))]],
     out = "8x25x19"},
    {"m1d.nn.GRU", "nn.GRU(in, hidden [, {num_layers = 1, bidirectional = false, bias = true, " ..
     "batch_first = true, dropout = 0}]) -> Module; gru(x [, h0]) -> out, h_n",
     "The gated recurrent unit with PyTorch's gates (r, z, n stacked in that order), parameter " ..
     "names and init (U(+-1/sqrt(hidden))): n = tanh(W_in x + b_in + r (W_hn h + b_hn)), " ..
     "h' = (1 - z) n + z h. x is [batch, time, in] (batch_first, the default; PyTorch's default " ..
     "is false) or [time, batch, in]; h0 (optional, zeros otherwise) is [num_layers*dirs, batch, " ..
     "hidden]. Returns out [batch, time, dirs*hidden] (the last layer, both directions " ..
     "concatenated on the last dim; [time, batch, ...] without batch_first) and h_n " ..
     "[num_layers*dirs, batch, hidden], the last state of every layer and direction in PyTorch's " ..
     "order (layer-major, forward before reverse). An unbatched x [time, in] (2-D, whatever " ..
     "batch_first, as torch 1.13's) takes and returns states [num_layers*dirs, hidden] and gives " ..
     "out [time, dirs*hidden]. Parameters weight_ih_l<k> [3H, in] (layer k > 0 reads dirs*H " ..
     "features), weight_hh_l<k> [3H, H], bias_ih_l<k>, bias_hh_l<k> [3H] (not with bias = " ..
     "false), then the same with _reverse; stacking and dropout (between layers, train mode " ..
     "only) as nn.LSTM's. One fused op per layer and direction (m1d.gru; without bias it is " ..
     "given zero biases that need no gradient). The one-layer GRU is the paper's " ..
     "(nn.models.gru). Bad input raises an error as nn.LSTM's. Differentiable to any order.",
     ex = [[local out, h = m1d.nn.GRU(1, 6, {bidirectional = true})(m1d.randn(4, 40, 1))
print(table.concat(out:shape(), "x"), table.concat(h:shape(), "x"))
local deep = m1d.nn.GRU(3, 5, {num_layers = 2, bias = false, dropout = 0.2})
local y, hn = deep(m1d.randn(7, 3), m1d.zeros(2, 5))   -- unbatched: one sequence [time, in]
print(table.concat(y:shape(), "x"), table.concat(hn:shape(), "x"), #deep:parameters())]],
     out = "4x40x12\t2x4x6\n7x5\t2x5\t4"},
    {"m1d.nn.LSTM", "nn.LSTM(in, hidden [, {num_layers = 1, bidirectional = false, bias = true, " ..
     "batch_first = true, dropout = 0}]) -> Module; lstm(x [, {h0, c0}]) -> out, {h_n, c_n}",
     "Long short-term memory with PyTorch's gates (i, f, g, o stacked in that order), parameter " ..
     "names and init (U(+-1/sqrt(hidden))): c' = f c + i g, h' = o tanh(c'). x is [batch, time, " ..
     "in] (batch_first, the default, as nn.GRU's; PyTorch's default is false) or [time, batch, " ..
     "in]; the optional initial state is a table {h0, c0}, each [num_layers*dirs, batch, " ..
     "hidden] (zeros otherwise). Returns out [batch, time, dirs*hidden] (the last layer, both " ..
     "directions concatenated) and {h_n, c_n}, the last state of every layer and direction in " ..
     "PyTorch's order (layer-major, forward before reverse). An unbatched x [time, in] (2-D, " ..
     "whatever batch_first, as torch 1.13's) takes and returns states [num_layers*dirs, hidden] " ..
     "and gives out [time, dirs*hidden]: the batch of one, squeezed. Parameters weight_ih_l<k> [4H, " ..
     "in] (layer k > 0 reads dirs*H features), weight_hh_l<k> [4H, H], bias_ih_l<k>, " ..
     "bias_hh_l<k> [4H] (not with bias = false), then the same with _reverse. dropout: as " ..
     "PyTorch's, on every layer's output but the last, in train mode only. One fused op " ..
     "per layer and direction (m1d.lstm). An input that is not 3-D or 2-D or has the wrong feature " ..
     "count, a malformed state or an unknown option raises an error. Differentiable to any order. " ..
     "Not supported: torch's proj_size.",
     ex = [[local out, st = m1d.nn.LSTM(1, 6, {bidirectional = true, num_layers = 2})(m1d.randn(4, 40, 1))
print(table.concat(out:shape(), "x"), table.concat(st[1]:shape(), "x"), table.concat(st[2]:shape(), "x"))
local one, st1 = m1d.nn.LSTM(1, 6)(m1d.randn(40, 1))   -- unbatched: one sequence [time, in]
print(table.concat(one:shape(), "x"), table.concat(st1[1]:shape(), "x"))]],
     out = "4x40x12\t4x4x6\t4x4x6\n40x6\t1x6"},
    {"m1d.nn.RNN", "nn.RNN(in, hidden [, {nonlinearity = \"tanh\", num_layers = 1, bidirectional = false, " ..
     "bias = true, batch_first = true, dropout = 0}]) -> Module; rnn(x [, h0]) -> out, h_n",
     "The Elman RNN, h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu, with " ..
     "PyTorch's parameter names (weight_ih_l<k> [H, in], weight_hh_l<k> [H, H], bias_ih_l<k>, " ..
     "bias_hh_l<k> [H], _reverse), init (U(+-1/sqrt(hidden))) and stacking; shapes and dropout as " ..
     "nn.LSTM, with h0 and h_n [num_layers*dirs, batch, hidden] (unbatched x [time, in]: " ..
     "[num_layers*dirs, hidden]; batch_first defaults to true, as nn.GRU). One fused op per layer and direction (m1d.rnn). Bad input raises an " ..
     "error as nn.LSTM's. " ..
     "Differentiable to any order.",
     ex = [[local rnn = m1d.nn.RNN(3, 5, {nonlinearity = "relu", batch_first = false})
local out, h = rnn(m1d.randn(7, 2, 3))
print(table.concat(out:shape(), "x"), table.concat(h:shape(), "x"), #rnn:parameters())]],
     out = "7x2x5\t1x2x5\t4"},
    {"m1d.nn.Sequential", "nn.Sequential(mod1, mod2, ...) | nn.Sequential{mod1, mod2, ...} -> Module",
     "Calls the modules in order, each on the previous one's output. Children are stored at " ..
     "positions 1..n (`seq[2]`), parameters in that order. An argument that is not a module " ..
     "(also a nil in the middle) raises an error.",
     ex = [[local m = m1d.nn.Sequential(m1d.nn.Linear(40, 20), m1d.nn.ReLU(), m1d.nn.Linear(20, 10))
print(tostring(m), #m:parameters(), table.concat(m(m1d.randn(3, 40)):shape(), "x"))]],
     out = [[Sequential(
  (1): Linear(40 -> 20)  weight [20,40], bias [20]  (820 parameters)
  (2): ReLU
  (3): Linear(20 -> 10)  weight [10,20], bias [10]  (210 parameters)
)  (1030 parameters)	4	3x10]]},
    {"m1d.nn.ReLU", "nn.ReLU() | nn.Tanh() | nn.Sigmoid() | nn.GELU() | nn.SiLU() (= nn.Swish()) | " ..
     "nn.ELU([alpha = 1]) | nn.Softplus([beta = 1 [, threshold = 20]]) -> Module",
     "Activation layers without parameters: the elementwise tensor method of the same name " ..
     "(x:relu(), x:tanh(), ...), any shape, shape kept. nn.Swish is the same function as " ..
     "nn.SiLU (x * sigmoid(x)); GELU is the exact erf form.",
     also = {"m1d.nn.Tanh", "m1d.nn.Sigmoid", "m1d.nn.GELU", "m1d.nn.SiLU", "m1d.nn.Swish",
             "m1d.nn.ELU", "m1d.nn.Softplus"},
     ex = [[print(m1d.nn.ReLU()(m1d.tensor{-1, 2}):totable()[2], m1d.nn.Tanh()(m1d.zeros(1)):item())]],
     out = "2.0\t0.0"},
    {"m1d.nn.Identity", "nn.Identity() -> Module",
     "Returns its input unchanged (the same tensor).",
     ex = [[local x = m1d.ones(2); print(m1d.nn.Identity()(x) == x)]],
     out = "true"},
    {"m1d.nn.Softmax", "nn.Softmax([dim = -1]) | nn.LogSoftmax([dim = -1]) -> Module",
     "x:softmax(dim) and x:log_softmax(dim) as layers: probabilities, or their logarithm " ..
     "computed stably, along dim (1-based; negative counts from the end; -1, the last, by " ..
     "default). torch's dim=None differs: it warns and guesses dim 0 for 0-, 1- and 3-D " ..
     "input (the batch of [N, C, L]) and 1 otherwise; give dim when porting. Any shape, shape kept; differentiable " ..
     "to any order. dim must be a non-zero integer, else an error.",
     also = {"m1d.nn.LogSoftmax"},
     ex = [[local p = m1d.nn.Softmax(2)(m1d.tensor{{0, 0, 0, 0}})
print(p:sum():item(), m1d.nn.LogSoftmax()(m1d.zeros(1, 4)):exp():sum():item(), tostring(m1d.nn.Softmax(2)))]],
     out = "1.0\t1.0\tSoftmax(dim 2)"},
    {"m1d.nn.Dropout", "nn.Dropout([p = 0.5]) -> Module",
     "In train mode each element is zeroed with probability p and the others are scaled by " ..
     "1/(1-p) (PyTorch's inverted dropout, so the expected output is the input); in eval " ..
     "mode (`model:eval()`) it returns its input unchanged. The masks come from m1d's " ..
     "seeded generator (m1d.dropout_mask), a new one per call, so `m1d.manual_seed` makes " ..
     "them reproducible (and m1d.checkpoint replays them). p = 0 is the identity, p = 1 " ..
     "gives zeros; p outside [0, 1] raises. Any shape; differentiable to any order (a " ..
     "product with a constant mask). torch's inplace is not supported (the output is a new tensor).",
     ex = [[local drop = m1d.nn.Dropout(0.5)
m1d.manual_seed(0)
print(drop(m1d.ones(8)))
drop:eval()
print(drop(m1d.ones(3)), drop.training)]],
     out = [[tensor([2.0000, 2.0000, 2.0000, 0.0000, 0.0000, 0.0000, 2.0000, 2.0000], float32 [8])
tensor([1.0000, 1.0000, 1.0000], float32 [3])	false]]},
    {"m1d.nn.BatchNorm1d", "nn.BatchNorm1d(C [, {eps = 1e-5, momentum = 0.1 | false, affine = true, " ..
     "track_running_stats = true}]) -> Module",
     "Batch normalisation per channel, as torch.nn.BatchNorm1d: x [N, C] or [N, C, L] -> same " ..
     "shape, y = (x - mean) / sqrt(var + eps) * weight + bias. In train mode mean and var are " ..
     "the batch's (over N, and L; the biased variance), and the buffers running_mean and " ..
     "running_var move towards the batch's mean and unbiased variance: r = (1 - momentum) r " ..
     "+ momentum * batch value. `momentum = false` is PyTorch's momentum=None (Lua tables " ..
     "cannot hold nil): the factor is 1/num_batches_tracked, so the running statistics are " ..
     "the plain average of every batch's so far. Each train-mode call counts one batch in " ..
     "the buffer num_batches_tracked (a 0-dim int64, as torch's), whatever the momentum; " ..
     "eval mode counts nothing. In eval mode the running statistics normalise instead " ..
     "(with track_running_stats = false there are none, nor a count, and the batch's are " ..
     "used in both modes). Parameters weight (ones) and bias (zeros), [C] (none with affine " ..
     "= false). The running statistics (zeros and ones at first) and the count are buffers: " ..
     "saved and loaded with the model, the float ones cast by double(), not in parameters(); " ..
     "a model file written before num_batches_tracked existed loads with the count 0 (as " ..
     "torch does with old state dicts). Training on one value per channel raises (as " ..
     "torch); so does an input that is not [N, C] or [N, C, L]. momentum must be a number " ..
     "in [0, 1] or false. " ..
     "The train-mode normalisation is the fused m1d.batch_norm; differentiable to any order.",
     ex = [[local bn = m1d.nn.BatchNorm1d(2)
local x = m1d.tensor{{1, 10}, {3, 30}}
print(bn(x))
print(bn.running_mean, bn.running_var)
print(bn)
local avg = m1d.nn.BatchNorm1d(1, {momentum = false})   -- the cumulative average
avg(m1d.tensor{{1}, {3}}); avg(m1d.tensor{{5}, {7}})   -- batch means 2 and 6
print(avg.running_mean:item(), avg.num_batches_tracked:item())]],
     out = [=[tensor([[-1.0000, -1.0000],
        [ 1.0000,  1.0000]], float32 [2,2], grad_fn)
tensor([0.2000, 2.0000], float32 [2])	tensor([ 1.1000, 20.9000], float32 [2])
BatchNorm1d(2, eps 1e-05, momentum 0.1)  weight [2], bias [2]; buffers num_batches_tracked [] int64, running_mean [2], running_var [2]  (4 parameters)
4.0	2]=]},
    {"m1d.nn.LayerNorm", "nn.LayerNorm(shape [, {eps = 1e-5, elementwise_affine = true}]) -> Module",
     "Layer normalisation, as torch.nn.LayerNorm: over the trailing dims `shape` (a size or " ..
     "a list of sizes) of each sample, y = (x - mean) / sqrt(var + eps) * weight + bias with " ..
     "the biased variance; the same in train and eval mode. weight (ones) and bias (zeros) " ..
     "have the shape `shape` (none with elementwise_affine = false). The input must end with " ..
     "those dims, else an error. The normalisation is the fused m1d.layer_norm; " ..
     "differentiable to any order.",
     ex = [[local ln = m1d.nn.LayerNorm(4)
print(ln(m1d.tensor{{1, 2, 3, 4}}))
print(ln)]],
     out = [=[tensor([[-1.3416, -0.4472,  0.4472,  1.3416]], float32 [1,4], grad_fn)
LayerNorm([4], eps 1e-05)  weight [4], bias [4]  (8 parameters)]=]},
    {"m1d.nn.Embedding", "nn.Embedding(n, d [, {padding_idx, max_norm, norm_type = 2, " ..
     "scale_grad_by_freq = false}]) -> Module;  " ..
     "emb(idx) -> Tensor [idx's shape..., d]",
     "A table of n vectors of size d (weight [n, d] ~ N(0, 1), PyTorch's init): emb(idx) " ..
     "picks the rows at idx, an int64 tensor (or a Lua array) of any shape. The indices are " ..
     "1-based, 1..n, like every index of the Lua API (index_select, gather, argmax, " ..
     "randperm): 0-based ids such as labels need `+ 1`. An index outside 1..n raises an " ..
     "error naming it and the range (so 0-based ids fail at the first 0); float indices " ..
     "raise. Differentiable in the weight (any order). `padding_idx`, as torch's: a row " ..
     "(1-based like the indices, so torch's padding_idx=0 is 1 here; -1 is the last row, " ..
     "-n the first, counting from the end as torch's negative values do) that starts at " ..
     "zeros, is returned as it is when looked up, and never receives a gradient (of any " ..
     "order), so it stays where it is set. `max_norm`, as torch's: before each lookup, every " ..
     "row looked up whose `norm_type`-norm exceeds max_norm is scaled in place (under " ..
     "no_grad) by max_norm / (norm + 1e-7); the weight is changed, the gradient is the " ..
     "plain lookup's. norm_type without max_norm raises. `scale_grad_by_freq`, as torch's: " ..
     "each row's gradient is divided by the times idx looks it up in this call (the value is " ..
     "the lookup's); its second order is the derivative of that scaled gradient, which torch " ..
     "1.13's is not (its double backward leaves the 1/count out of d/dgout). torch's sparse " ..
     "and from_pretrained are not supported.",
     ex = [[local emb = m1d.nn.Embedding(10, 3)
local ids = m1d.tensor({{1, 2}, {10, 1}}, "int64")
print(table.concat(emb(ids):shape(), "x"), emb(ids)[1][1]:eq(emb.weight[1]):sum():item())
print(pcall(emb, m1d.tensor({0}, "int64")))
local padded = m1d.nn.Embedding(5, 2, {padding_idx = 1})   -- id 1 is padding
local out = padded(m1d.tensor({1, 4, 1}, "int64"))
local g = m1d.grad(out:sum(), {padded.weight})[1]
print(padded.weight[1], g[1], g[4])]],
     out = [=[2x2x3	3.0
false	Embedding: index 0 out of range 1..10 (indices are 1-based, as index_select's; add 1 to 0-based ids)
  in Embedding(10, 3), given [1]
tensor([0.0000, 0.0000], float32 [2], grad_fn)	tensor([0.0000, 0.0000], float32 [2])	tensor([1.0000, 1.0000], float32 [2])]=]},
    {"m1d.nn.MultiheadAttention", "nn.MultiheadAttention(E, heads [, {batch_first = false, dropout = 0, " ..
     "bias = true, kdim = E, vdim = E}]) -> Module;  mha(query [, key = query [, value = key [, {attn_mask, key_padding_mask, " ..
     "need_weights = true, average_attn_weights = true}]]]) -> out, weights",
     "Multi-head scaled dot-product attention as torch.nn.MultiheadAttention (torch 1.13's " ..
     "arithmetic): q, k, v = the inputs through the packed in-projection in_proj_weight [3E, E] " ..
     "(xavier-uniform) and in_proj_bias [3E] (zeros), split into `heads` heads of E/heads; " ..
     "weights = softmax(q k^T / sqrt(E/heads) + mask) over the keys (dropout on them in train " ..
     "mode); out = out_proj (Linear(E, E), zero bias) of the heads' weighted values side by " ..
     "side. query [L, N, E], key and value [S, N, E] ([N, L, E] with batch_first; unbatched " ..
     "[L, E] too). Returns out (query's layout) and the weights averaged over the heads " ..
     "[N, L, S] ([N, heads, L, S] with average_attn_weights = false; nil with need_weights = " ..
     "false; after dropout, as torch's). attn_mask [L, S] or [N*heads, L, S] and " ..
     "key_padding_mask [N, S]: a float mask is added to the scores, an int64 mask is " ..
     "boolean (non-zero = not attended, torch's True). Parameters in torch's order: " ..
     "in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias (no biases with bias = " ..
     "false). kdim/vdim, as torch's: key [S, N, kdim] and value [S, N, vdim] of other sizes " ..
     "than the query (cross-attention to other features); unless both are E the in-projection " ..
     "is three weights instead of the packed one, q_proj_weight [E, E], k_proj_weight [E, kdim], " ..
     "v_proj_weight [E, vdim] (each xavier-uniform; torch's order: these three, in_proj_bias, " ..
     "out_proj); the default key = query then fails unless kdim = E. Composed of linear, batched " ..
     "matmul and softmax: differentiable to any order. E must divide by heads; bad shapes and " ..
     "unknown options raise. Not supported: torch's add_bias_kv and add_zero_attn.",
     ex = [[local mha = m1d.nn.MultiheadAttention(8, 2, {batch_first = true})
local x = m1d.randn(3, 5, 8)
local causal = m1d.tensor({{0, 1, 1, 1, 1}, {0, 0, 1, 1, 1}, {0, 0, 0, 1, 1}, {0, 0, 0, 0, 1}, {0, 0, 0, 0, 0}}, "int64")
local out, w = mha(x, x, x, {attn_mask = causal})
local first = w:select(1, 1):select(1, 1)      -- batch 1, query 1: sees only key 1
print(table.concat(out:shape(), "x"), table.concat(w:shape(), "x"), first:select(1, 2):item(), first:select(1, 1):item())
local cross = m1d.nn.MultiheadAttention(8, 2, {batch_first = true, kdim = 3, vdim = 3})
print(table.concat(cross(x, m1d.randn(3, 7, 3), m1d.randn(3, 7, 3)):shape(), "x"))]],
     out = "3x5x8\t3x5x5\t0.0\t1.0\n3x5x8"},
    {"m1d.nn.TransformerEncoderLayer", "nn.TransformerEncoderLayer(d_model, nhead [, {dim_feedforward = 2048, " ..
     "dropout = 0.1, activation = \"relu\", layer_norm_eps = 1e-5, batch_first = false, norm_first = false}]) " ..
     "-> Module;  layer(src [, {src_mask, src_key_padding_mask}]) -> Tensor",
     "One encoder layer as torch.nn.TransformerEncoderLayer: self-attention " ..
     "(nn.MultiheadAttention) and a feed-forward block linear2(dropout(activation(linear1 x))), " ..
     "each with dropout and a residual connection, and LayerNorms norm1, norm2 after each " ..
     "sum (post-norm, the default) or before each block (norm_first = true). activation: " ..
     "\"relu\", \"gelu\" or a function of a tensor. src [S, N, d_model] ([N, S, d_model] with " ..
     "batch_first; unbatched [S, d_model] too) -> the same shape; src_mask and " ..
     "src_key_padding_mask are MultiheadAttention's attn_mask and key_padding_mask. " ..
     "Parameters in torch's order (self_attn.*, linear1, linear2, norm1, norm2), so " ..
     "torch's state loads one for one; dropout only in train mode. Differentiable to any order.",
     ex = [[local layer = m1d.nn.TransformerEncoderLayer(16, 4, {dim_feedforward = 32, batch_first = true})
print(table.concat(layer(m1d.randn(2, 40, 16)):shape(), "x"), layer:n_params())]],
     out = "2x40x16\t2224"},
    {"m1d.nn.Flatten", "nn.Flatten() -> Module",
     "[batch, ...] -> [batch, prod(...)] (x:flatten(2)).",
     ex = [[print(table.concat(m1d.nn.Flatten()(m1d.zeros(2, 3, 4)):shape(), "x"))]],
     out = "2x12"},
    {"m1d.nn.Unflatten", "nn.Unflatten() -> Module",
     "[batch, n] -> [batch, 1, n] (x:reshape(batch, 1, -1)): a one-channel signal, the layout " ..
     "Conv1d wants for MNIST-1D rows. Takes no arguments (unlike torch's Unflatten).",
     ex = [[print(table.concat(m1d.nn.Unflatten()(m1d.zeros(2, 40)):shape(), "x"))]],
     out = "2x1x40"},
    {"m1d.nn.ToCLN", "nn.ToCLN() -> Module;  nn.FlattenCLN() -> Module",
     "The batch-last layout of Conv1d's layout = \"CLN\" (faster between convolutions; see " ..
     "m1d.conv1d). ToCLN: [batch, n] -> [1, n, batch] (a one-channel signal, as Unflatten) or " ..
     "[batch, C, L] -> [C, L, batch]. FlattenCLN: [C, L, batch] -> [batch, C*L] in the order " ..
     "Flatten gives for [batch, C, L], so a Linear after it has the same weights as in the " ..
     "batch-first network. Both are views where the strides allow (the convolution copies " ..
     "its input once if needed); other ranks are an error.",
     ex = [[local nn = m1d.nn
local net = nn.Sequential(nn.ToCLN(), nn.Conv1d(1, 4, 5, {stride = 2, padding = 1, layout = "CLN"}), nn.ReLU(),
                          nn.FlattenCLN(), nn.Linear(4 * 19, 10))
print(table.concat(net(m1d.randn(8, 40)):shape(), "x"), table.concat(nn.ToCLN()(m1d.zeros(8, 3, 40)):shape(), "x"))]],
     out = "8x10\t3x40x8",
     also = {"m1d.nn.FlattenCLN"}},
    {"m1d.nn.MaxPool1d", "nn.MaxPool1d(k [, stride = k] [, {layout = \"NCL\"}]) | nn.AvgPool1d(k [, stride = k] [, opts]) -> Module",
     "Max or mean over windows of k along the last dim: x [batch, channels, len] -> [batch, " ..
     "channels, floor((len - k) / stride) + 1] (no padding; a trailing partial window is " ..
     "dropped). Non-3-D input raises an error. Same as m1d.max_pool1d / m1d.avg_pool1d. " ..
     "layout = \"CLN\": [channels, len, batch] in and out, between batch-last convolutions " ..
     "(see nn.Conv1d); printed as MaxPool1d(CLN).",
     also = {"m1d.nn.AvgPool1d"},
     ex = [[local x = m1d.tensor{{{1, 5, 2, 3, 9}}}
print(m1d.nn.MaxPool1d(2)(x):totable()[1][1][2], m1d.nn.AvgPool1d(2)(x):totable()[1][1][1])]],
     out = "3.0\t3.0"},
    {"m1d.nn.LPPool1d", "nn.LPPool1d(p, k [, stride = k] [, {layout = \"NCL\"}]) -> Module",
     "Power-average pooling: (sum over the window of x^p)^(1/p), windows as MaxPool1d; the " ..
     "norm p comes first (as in torch), p = 2 is L2 pooling. p must be a positive number. " ..
     "m1d.lp_pool1d(x, p, k, stride, layout) is the function; layout as MaxPool1d's.",
     ex = [[print(m1d.nn.LPPool1d(2, 2)(m1d.tensor{{{3, 4, 0, 1}}}):totable()[1][1][1])]],
     out = "5.0"},

    -- ------------------------------------------------------------ losses and metrics
    {"m1d.nn.cross_entropy", "nn.cross_entropy(logits, y) -> Tensor (scalar)",
     "Mean over rows of -log softmax(logits)[y]: logits [batch, C] float32/float64, y int64 [batch] " ..
     "of 0-based class indices 0..C-1 (MNIST-1D labels 0..9 as they are). Raises an error for " ..
     "labels outside 0..C-1 (so 1-based labels fail loudly at C), non-int64 labels, a batch " ..
     "mismatch, or logits that are not 2-D. Fused and differentiable to any order. The same " ..
     "function as m1d.cross_entropy.",
     ex = [[local loss = m1d.nn.cross_entropy(m1d.zeros(2, 4), m1d.tensor({0, 3}):long())
print(("%.4f"):format(loss:item()), ("%.4f"):format(math.log(4)))]],
     out = "1.3863\t1.3863"},
    {"m1d.nn.nll", "nn.nll(logp, y) -> Tensor (scalar)",
     "Negative log-likelihood: mean over rows of -logp[y], for log-probabilities logp [batch, C] " ..
     "(e.g. x:log_softmax(2)) and int64 0-based labels y [batch] (same checks as cross_entropy). " ..
     "The same function as m1d.nll.",
     ex = [[print(m1d.nn.nll(m1d.tensor{{-1, -2}, {-3, -4}}, m1d.tensor({1, 0}):long()):item())]],
     out = "2.5"},
    {"m1d.nn.mse", "nn.mse(pred, target) -> Tensor (scalar)",
     "Mean of (pred - target)^2 over all elements; the shapes must be equal (no broadcasting; " ..
     "an error otherwise). The same function as m1d.mse.",
     ex = [[print(m1d.nn.mse(m1d.zeros(2, 2), m1d.tensor{{1, 1}, {1, 3}}):item())]],
     out = "3.0"},
    {"m1d.nn.mse_onehot", "nn.mse_onehot(logits, y) -> Tensor (scalar)",
     "Squared loss for classification: mse(logits, onehot(y, C)) with logits [batch, C] and int64 " ..
     "0-based labels y [batch]; the mean runs over batch*C elements.",
     ex = [[print(m1d.nn.mse_onehot(m1d.zeros(1, 4), m1d.tensor({2}):long()):item())]],
     out = "0.25"},
    {"m1d.nn.predict", "nn.predict(logits) -> Tensor int64 [batch]",
     "The predicted labels of logits [batch, C]: the class of each row's maximum, 0-based " ..
     "(0..C-1, like the labels), as int64; ties go to the first maximum. The safe way to turn " ..
     "logits into labels: `logits:argmax(2)` is 1-based like every index of the Lua API. " ..
     "Raises unless logits is a 2-D tensor.",
     ex = [[print(m1d.nn.predict(m1d.tensor{{0, 3, 1}, {5, 0, 0}}))]],
     out = "tensor([1, 0], int64 [2])"},
    {"m1d.nn.accuracy", "nn.accuracy(logits, y) -> number (percent)",
     "The percentage (0-100, not a fraction) of rows of logits [batch, C] whose predicted " ..
     "label (nn.predict) equals the int64 label y [batch]. Ties go to the first maximum. A " ..
     "plain Lua number, not differentiable.",
     ex = [[print(m1d.nn.accuracy(m1d.tensor{{0, 1}, {1, 0}, {0, 1}, {0, 1}}, m1d.tensor({1, 1, 1, 0}):long()))]],
     out = "50.0"},
    {"m1d.nn.init_uniform", "nn.init_uniform(bound, d1, d2, ...) -> Tensor",
     "A float32 tensor of shape [d1, d2, ...] drawn from U(-bound, bound) with m1d's seeded " ..
     "generator, marked requires_grad (a fresh parameter); what the layers initialise with.",
     ex = [[local w = m1d.nn.init_uniform(0.1, 3, 4)
print(table.concat(w:shape(), "x"), w:abs():max():item() <= 0.1, w:is_requiring_grad())]],
     out = "3x4\ttrue\ttrue"},

    -- ------------------------------------------------------------ the paper's models
    {"m1d.nn.models.logistic", "nn.models.logistic() -> Module",
     "The paper's logistic regression: Linear(40, 10) (410 parameters), input [batch, 40].",
     ex = [[print(tostring(m1d.nn.models.logistic()))]],
     out = "logistic  weight [10,40], bias [10]  (410 parameters)"},
    {"m1d.nn.models.mlp", "nn.models.mlp([hidden = 100]) -> Module",
     "The paper's MLP: l1 = Linear(40, h), l2 = Linear(h, h), l3 = Linear(h, 10) with a " ..
     "residual second layer: h1 = relu(l1 x); h2 = h1 + relu(l2 h1); logits = l3 h2. Input " ..
     "[batch, 40] -> [batch, 10].",
     ex = [[local m = m1d.nn.models.mlp(32)
print(m:n_params(), table.concat(m(m1d.randn(5, 40)):shape(), "x"))]],
     out = "2698\t5x10"},
    {"m1d.nn.models.cnn", "nn.models.cnn([channels = 25]) -> Module",
     "The paper's CNN: input [batch, 40] reshaped to [batch, 1, 40]; Conv1d(1, c, 5, stride 2, " ..
     "padding 1), Conv1d(c, c, 3, 2, 1), Conv1d(c, c, 3, 2, 1), each followed by ReLU (lengths " ..
     "40 -> 19 -> 10 -> 5), flattened, Linear(5c, 10). Works only for length-40 inputs. The " ..
     "convolutions run batch-last (layout \"CLN\": the activations are [c, length, batch] from " ..
     "the input to the flatten), which computes the same function as the [batch, c, length] " ..
     "network with the same parameters (tests/lua/conv_test.lua), a training step in 0.36 ms " ..
     "instead of 0.44 (bench.lua, one thread); call model.c1 etc. on [c, length, batch] tensors.",
     ex = [[local m = m1d.nn.models.cnn()
print(m:n_params(), table.concat(m(m1d.randn(2, 40)):shape(), "x"))
print(m)]],
     out = [[5210	2x10
cnn(
  (c1): Conv1d(1 -> 25, k 5, stride 2, padding 1, CLN)  weight [25,1,5], bias [25]  (150 parameters)
  (c2): Conv1d(25 -> 25, k 3, stride 2, padding 1, CLN)  weight [25,25,3], bias [25]  (1900 parameters)
  (c3): Conv1d(25 -> 25, k 3, stride 2, padding 1, CLN)  weight [25,25,3], bias [25]  (1900 parameters)
  (fc): Linear(125 -> 10)  weight [10,125], bias [10]  (1260 parameters)
)  (5210 parameters)]]},
    {"m1d.nn.models.gru", "nn.models.gru([hidden = 6 [, time_steps = 40]]) -> Module",
     "The paper's GRU model: the [batch, 40] input as a sequence [batch, 40, 1] through a " ..
     "bidirectional GRU(1, hidden), all outputs flattened ([batch, 2*hidden*time_steps]), " ..
     "Linear(.., 10). time_steps must equal the input length.",
     ex = [[local m = m1d.nn.models.gru()
print(m:n_params(), table.concat(m(m1d.randn(2, 40)):shape(), "x"))]],
     out = "5134\t2x10"},
    {"m1d.nn.models.lstm", "nn.models.lstm([hidden = 6 [, time_steps = 40]]) -> Module",
     "nn.models.gru with an LSTM in its place: the [batch, 40] input as a sequence [batch, " ..
     "40, 1] through a bidirectional LSTM(1, hidden), all outputs flattened, Linear(.., 10). " ..
     "time_steps must equal the input length.",
     ex = [[local m = m1d.nn.models.lstm()
print(m:n_params(), table.concat(m(m1d.randn(2, 40)):shape(), "x"))]],
     out = "5242\t2x10"},
    {"m1d.nn.models.mlp_bn", "nn.models.mlp_bn([hidden = 100]) -> Module",
     "The paper's residual MLP with nn.BatchNorm1d after each hidden linear: h1 = relu(bn1(l1 " ..
     "x)); h2 = h1 + relu(bn2(l2 h1)); logits = l3 h2. Batch statistics in train mode, the " ..
     "running ones in eval mode (train.evaluate switches); the running statistics are buffers " ..
     "saved with the model. Input [batch, 40] -> [batch, 10].",
     ex = [[local m = m1d.nn.models.mlp_bn()
print(m:n_params(), table.concat(m(m1d.randn(5, 40)):shape(), "x"), #m:named_buffers())]],
     out = "15610\t5x10\t6"},
    {"m1d.nn.models.transformer", "nn.models.transformer([{d_model = 32, heads = 4, dim_feedforward = 64, " ..
     "layers = 2, dropout = 0, positional = true, length = 40, norm_first = true}]) -> Module",
     "A small transformer for MNIST-1D sequences: each of the `length` values of x [batch, " ..
     "length] a token through Linear(1, d_model), plus a learned position embedding `pos` " ..
     "[length, d_model] (N(0, 0.02^2)), `layers` nn.TransformerEncoderLayer (batch first, " ..
     "pre-norm by default), a final LayerNorm, the mean over positions and Linear(d_model, " ..
     "10). 18,826 parameters by default. With positional = false there is no position " ..
     "embedding and the model is exactly permutation-invariant: a shuffled input gives the " ..
     "same logits up to float rounding of the mean. The parameter order is torch's for the " ..
     "same model (pos, embed, enc1, enc2, norm, head; experiments/peer/models.py).",
     ex = [[local m = m1d.nn.models.transformer{positional = false}
local x = m1d.randn(4, 40)
local shuffled = x:index_select(2, m1d.randperm(40))
print(m:n_params(), (m(x) - m(shuffled)):abs():max():item() < 1e-5)]],
     out = "17546\ttrue"},
    {"m1d.nn.models.transformer_nopos", "nn.models.transformer_nopos([opts]) -> Module",
     "nn.models.transformer{positional = false, ...}: the transformer without a position " ..
     "embedding, exactly permutation-invariant (the model the studies name " ..
     "transformer_nopos). opts as nn.models.transformer's, without positional.",
     ex = [[print(m1d.nn.models.transformer_nopos():n_params(), m1d.nn.models.transformer_nopos().pos)]],
     out = "17546\tnil"},
    {"m1d.nn.models.expand", "nn.models.expand(list) -> {name, ...};  nn.models.SETS",
     "The model names of a comma-separated list, where the names of nn.models.SETS expand: " ..
     "\"paper\" (logistic, mlp, cnn, gru) and \"extended\" (those, lstm, mlp_bn, transformer, " ..
     "transformer_nopos). Each model once, in order; a set member without a constructor in " ..
     "nn.models (lstm until it exists) is left out; an unknown name raises, listing the " ..
     "known ones. benchmark.lua and spatial_priors.lua read --models with it (`--models " ..
     "extended`); adding a model to a study is adding its name to a set.",
     also = {"m1d.nn.models.SETS"},
     ex = [[print(table.concat(m1d.nn.models.expand("paper,transformer"), " "))
local ok, err = pcall(m1d.nn.models.expand, "vit")
print(ok, err:match("unknown model '%w+'"), err:match("sets: [%w, ]+"))]],
     out = [[logistic mlp cnn gru transformer
false	unknown model 'vit'	sets: extended, paper]]},
    {"m1d.nn.models.conv_pool", "nn.models.conv_pool(kind [, channels = 20]) -> Module;  nn.models.POOL_KINDS",
     "The pooling study's model (the notebook's ConvPool): Conv1d(1, C, 3, padding 1), ReLU, " ..
     "pool, Conv1d(C, C, 3, padding 1), ReLU, pool, Linear. kind: \"no_pool\", \"stride_2\" " ..
     "(the convolutions stride 2, no pool), \"max_pool\", \"avg_pool\" or \"l2_pool\" " ..
     "(window 2); POOL_KINDS lists them. Another kind raises an error. Batch-last between " ..
     "its convolutions, pools included (layout \"CLN\", as nn.models.cnn).",
     also = {"m1d.nn.models.POOL_KINDS"},
     ex = [[local m = m1d.nn.models.conv_pool("max_pool")
print(m:n_params(), table.concat(m(m1d.randn(2, 40)):shape(), "x"), #m1d.nn.models.POOL_KINDS)]],
     out = "3310\t2x10\t5"},

    -- ------------------------------------------------------------ Module methods
    {"Module:parameters", "model:parameters() -> {Tensor, ...}",
     "The parameter tensors themselves (not copies), depth first in the module's fixed order " ..
     "(Sequential: by position; Linear/Conv1d: weight, bias; other modules: `_order` or sorted " ..
     "field names). The list an optimizer, set_masks, apply and flat_parameters expect.",
     ex = [[local ps = m1d.nn.Linear(3, 2):parameters()
print(#ps, table.concat(ps[1]:shape(), "x"), table.concat(ps[2]:shape(), "x"))]],
     out = "2\t2x3\t2"},
    {"Module:named_parameters", "model:named_parameters() -> {Tensor, ...}, {name, ...}",
     "Two lists in the order of parameters(): the tensors and their dotted names " ..
     "(\"l1.weight\", \"1.bias\" inside a Sequential, \"rnn.weight_ih_l0\"). The names are those " ..
     "save and load use.",
     ex = [[local _, names = m1d.nn.models.mlp():named_parameters()
print(table.concat(names, " "))]],
     out = "l1.weight l1.bias l2.weight l2.bias l3.weight l3.bias"},
    {"Module:n_params", "model:n_params() -> integer",
     "The number of scalar parameters (sum of numel over parameters()).",
     ex = [[print(m1d.nn.models.cnn():n_params())]],
     out = "5210"},
    {"Module:apply", "model:apply(params, x, ...) -> forward's results",
     "Run forward with `params` (a list as parameters() returns, same length, else an error) " ..
     "standing in for the module's own parameters, which are restored afterwards (also on " ..
     "error). The functional form for meta-learning: the output is differentiable with respect " ..
     "to the given tensors (e.g. parameters after differentiable optimizer steps). Returns at " ..
     "most two values.",
     ex = [[local l = m1d.nn.Linear(2, 1, {bias = false})
print(l:apply({m1d.tensor{{1, 10}}}, m1d.tensor{{1, 2}}):item())]],
     out = "21.0"},
    {"Module:set_parameters", "model:set_parameters(params)",
     "Copy the values of the tensors in `params` (a list like parameters(); same count and " ..
     "shapes) into the module's parameters in place, without recording a graph. The tensors " ..
     "stay the same objects (an optimizer holding them keeps working).",
     ex = [[local l = m1d.nn.Linear(2, 1)
l:set_parameters{m1d.ones(1, 2), m1d.zeros(1)}
print(l(m1d.tensor{{3, 4}}):item())]],
     out = "7.0"},
    {"Module:flat_parameters", "model:flat_parameters() -> Tensor",
     "All parameters concatenated into one new 1-D tensor of n_params() elements, in the order " ..
     "of parameters() (a copy; differentiable with respect to the parameters).",
     ex = [[print(m1d.nn.Linear(3, 2):flat_parameters():numel())]],
     out = "8"},
    {"Module:unflatten", "model:unflatten(vec) -> {Tensor, ...}",
     "Cut a 1-D tensor of n_params() elements into tensors shaped like parameters() (views and " ..
     "reshapes of vec, differentiable; the module is not changed). A longer vector raises " ..
     "\"unflatten: vector has ...\"; a shorter one raises narrow's out-of-range error.",
     ex = [[local ps = m1d.nn.Linear(3, 2):unflatten(m1d.arange(8))
print(table.concat(ps[1]:shape(), "x"), ps[2]:totable()[1])]],
     out = "2x3\t6.0"},
    {"Module:load_flat", "model:load_flat(vec)",
     "set_parameters(unflatten(vec)): copy a flat vector (as flat_parameters made it) back into " ..
     "the parameters in place.",
     ex = [[local l = m1d.nn.Linear(2, 1)
l:load_flat(m1d.tensor{1, 2, 3})
print(l(m1d.tensor{{1, 1}}):item())]],
     out = "6.0"},
    {"Module:state", "model:state() -> {Tensor, ...}",
     "Detached copies of the current parameter values, in parameters() order (they do not " ..
     "require grad): a snapshot to rewind to with set_parameters (lottery tickets).",
     ex = [[local l = m1d.nn.Linear(2, 1)
local s = l:state()
m1d.no_grad(function() l.weight:fill_(0) end)
l:set_parameters(s)
print(l.weight:eq(s[1]):sum():item(), s[1]:is_requiring_grad())]],
     out = "2.0\tfalse"},
    {"Module:set_masks", "model:set_masks(masks)",
     "Fix a 0/1 mask per parameter (a list in parameters() order; nil entries stay dense) and " ..
     "multiply the parameters by it at once. The masks are kept in `model._masks`; " ..
     "enforce_masks() re-applies them (train.fit does after every step). `set_masks(nil)` " ..
     "removes them (values already zeroed stay zero).",
     ex = [[local l = m1d.nn.Linear(2, 2, {bias = false})
l:set_masks{m1d.tensor{{1, 0}, {0, 1}}}
print(l.weight:eq(0):sum():item())]],
     out = "2.0"},
    {"Module:enforce_masks", "model:enforce_masks()",
     "Multiply every parameter by its mask from set_masks (in place, no graph); does nothing " ..
     "without masks. Call it after each optimizer step to keep pruned weights at zero.",
     ex = [[local l = m1d.nn.Linear(2, 2, {bias = false})
l:set_masks{m1d.tensor{{1, 0}, {0, 1}}}
m1d.no_grad(function() l.weight:fill_(1) end)
l:enforce_masks()
print(l.weight:sum():item())]],
     out = "2.0"},
    {"Module:zero_grad", "model:zero_grad()",
     "Set `.grad` of every parameter to nil (gradients accumulate across backward calls " ..
     "otherwise).",
     ex = [[local l = m1d.nn.Linear(2, 1)
l(m1d.ones(1, 2)):sum():backward()
l:zero_grad()
print(l.weight.grad)]],
     out = "nil"},
    {"Module:save", "model:save(path)",
     "Write the parameters and the buffers (running statistics), by their dotted names, to " ..
     "one checksummed m1d tensor file (as m1d.save; dtype kept). Read it with model:load or " ..
     "m1d.load.",
     ex = [[local path = os.tmpname()
m1d.nn.Linear(2, 3):save(path)
local map, names = m1d.load(path)
os.remove(path)
print(table.concat(names, ","), table.concat(map.weight:shape(), "x"))]],
     out = "weight,bias\t3x2"},
    {"Module:load", "model:load(path) -> model",
     "Copy the parameters and buffers saved by model:save into this module (same " ..
     "architecture): every parameter and buffer name must be in the file with the same " ..
     "shape, and the file may hold no other names, else an error naming the parameter or " ..
     "buffer. The one exception: a buffer registered with a default (BatchNorm1d's " ..
     "num_batches_tracked, new in this version) that the file lacks gets that default (0), " ..
     "so model files written before it existed still load. Values are copied in place " ..
     "(dtype converted to the module's).",
     ex = [[local path = os.tmpname()
local a, b = m1d.nn.Linear(2, 3), m1d.nn.Linear(2, 3)
a:save(path); b:load(path); os.remove(path)
print(b.weight:eq(a.weight):sum():item())]],
     out = "6.0"},
    {"Module:train", "model:train([mode = true]) -> model | model:eval() -> model",
     "Set the mode of the module and of every module below it (children of containers " ..
     "and fields of custom modules): train (true) or eval (false, what eval() sets). The " ..
     "mode is the field `model.training` (true for a new module); Dropout and BatchNorm1d " ..
     "behave differently in the two, the other layers do not. `train.evaluate` runs a " ..
     "model in eval mode and restores its mode; `train.fit` trains in train mode. A mode " ..
     "that is not a boolean raises.",
     also = {"Module:eval"},
     ex = [[local m = m1d.nn.Sequential(m1d.nn.Linear(4, 4), m1d.nn.Dropout(0.5))
m:eval()
print(m.training, m[2].training, m:train() == m, m[2].training)]],
     out = "false\tfalse\ttrue\ttrue"},
    {"Module:register_buffer", "model:register_buffer(name, tensor [, {default = number}]) -> tensor",
     "Make `tensor` a buffer of the module under field `name`: state that is not trained " ..
     "(BatchNorm1d's running statistics). Buffers are saved and loaded with the parameters " ..
     "(save, load), cast by float()/double() (float ones; int64 ones stay int64) and printed " ..
     "after the parameters, but parameters() does not list them, so no optimizer updates " ..
     "them. Update a buffer in place under m1d.no_grad. `default`: for a buffer added to a " ..
     "layer after model files of it were written (BatchNorm1d's num_batches_tracked): load " ..
     "fills it with this value when the file lacks it, instead of refusing the file.",
     ex = [[local m = m1d.nn.Module{forward = function(self, x) return x - self.center end}
m:register_buffer("center", m1d.zeros(2))
print(#m:parameters(), select(2, m:named_buffers())[1])]],
     out = "0\tcenter"},
    {"Module:named_buffers", "model:named_buffers() -> {Tensor, ...}, {name, ...}",
     "The buffers of the module and its children and their dotted names (a module's own " ..
     "first, by sorted name, then its children's in parameter order), as save writes them.",
     ex = [[local _, names = m1d.nn.Sequential(m1d.nn.Linear(2, 3), m1d.nn.BatchNorm1d(3)):named_buffers()
print(table.concat(names, " "))]],
     out = "2.num_batches_tracked 2.running_mean 2.running_var"},
    {"Module:register", "model:register(name, tensor) -> tensor",
     "Make `tensor` a parameter of the module under field `name` (it then appears in " ..
     "parameters(), named_parameters(), save, ...). The only way a tensor field becomes a " ..
     "parameter. Give it requires_grad yourself.",
     ex = [[local m = m1d.nn.Module{forward = function(self, x) return x * self.w end}
m:register("w", m1d.ones(3):requires_grad())
print(m:n_params(), m(m1d.full({3}, 2)):sum():item())]],
     out = "3\t6.0"},
    {"Module:float", "model:float() -> model | model:double() -> model",
     "Replace every parameter by a float32 (float64) copy that requires grad, in place in the " ..
     "module, and return the module. The parameter tensors are new objects: make the optimizer " ..
     "afterwards. Inputs must then have the same dtype.",
     also = {"Module:double"},
     ex = [[local l = m1d.nn.Linear(2, 1):double()
print(l.weight:dtype(), l(m1d.ones(1, 2):double()):dtype())]],
     out = "float64\tfloat64"},
  },
}
