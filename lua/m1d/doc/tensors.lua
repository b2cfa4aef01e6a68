-- The reference: Tensors.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Tensors", key = "tensors",
  intro = "Tensors are n-dimensional arrays of float32 (the default), float64 or int64, in " ..
          "row-major order; the creation functions take sizes as numbers or a table " ..
          "(`m1d.zeros(2, 3)` or `m1d.zeros({2, 3})`) and then a dtype or an options table " ..
          "`{dtype =, requires_grad =}`. Lua sees 1-based dimensions and indices (a negative " ..
          "dim counts from the end), but labels and class indices are 0-based (digits 0..9). " ..
          "Elementwise operators and ops broadcast as NumPy does and promote two tensors' " ..
          "dtypes to the wider (int64 < float32 < float64), while a number takes the " ..
          "tensor's dtype; the GEMM ops (matmul, linear, conv1d, gru, lstm, rnn) want one float dtype. " ..
          "The ops below are differentiable unless their entry says otherwise.",
  entries = {
    -- ------------------------------------------------------------ creation
    {"m1d.tensor", "m1d.tensor(values [, dtype | {dtype =, requires_grad =}]) -> Tensor",
     "A new tensor from a number (a 0-dim tensor), a nested table of numbers " ..
     "(`m1d.tensor{{1, 2}, {3, 4}}` is [2, 2]) or another tensor (a copy, not connected " ..
     "to the other's graph, converted to dtype, which defaults to float32 here too: " ..
     "`m1d.tensor(t)` of a float64 t is float32; `t:clone()` keeps the dtype). dtype is " ..
     "\"float32\" (default), " ..
     "\"float64\" or \"int64\" (also \"float\", \"double\", \"long\"); int64 truncates " ..
     "fractions toward zero and raises on NaN, inf or values beyond 2^63. Raises on " ..
     "ragged tables and non-numeric elements.",
     ex = [=[local t = m1d.tensor({{1, 2}, {3, 4}}, "int64")
print(t:dtype(), table.concat(t:shape(), "x"), t[2][1])
print(m1d.tensor(2.5):dim(), m1d.tensor(-1.7, "int64"):item())]=],
     out = "int64\t2x2\t3\n0\t-1"},
    {"m1d.zeros", "m1d.zeros(d1, d2, ... | {shape} [, dtype | {dtype =, requires_grad =}]) -> Tensor",
     "A new tensor of zeros. No sizes (or `{}`) gives a 0-dim tensor; a negative or " ..
     "non-integer size is an error, and so is a nil where a size stands (`zeros(nil, 5)`, " ..
     "`zeros(3, nil, 5)`: a misspelt variable); a nil after the sizes is an absent dtype. " ..
     "The same rules hold for every function taking sizes (ones, empty, rand, randn).",
     ex = [=[print(m1d.zeros(2, 3))
print(m1d.zeros({2}, "int64"))]=],
     out = [=[tensor([[0.0000, 0.0000, 0.0000],
        [0.0000, 0.0000, 0.0000]], float32 [2,3])
tensor([0, 0], int64 [2])]=]},
    {"m1d.ones", "m1d.ones(d1, d2, ... | {shape} [, dtype | {dtype =, requires_grad =}]) -> Tensor",
     "A new tensor of ones (sizes as in zeros).",
     ex = [=[print(m1d.ones(2, {dtype = "float64", requires_grad = true}))]=],
     out = [=[tensor([1.0000, 1.0000], float64 [2], requires_grad)]=]},
    {"m1d.full", "m1d.full({shape}, value [, dtype | {dtype =, requires_grad =}]) -> Tensor",
     "A new tensor filled with value. The shape must be a table (`m1d.full(2, 3)` is an " ..
     "error).",
     ex = [=[print(m1d.full({2, 2}, 7, "int64"))]=],
     out = [=[tensor([[7, 7],
        [7, 7]], int64 [2,2])]=]},
    {"m1d.empty", "m1d.empty(d1, d2, ... | {shape} [, dtype | {dtype =, requires_grad =}]) -> Tensor",
     "A new tensor whose values are whatever the memory held (not zeroed): for buffers " ..
     "that are written before they are read.",
     ex = [=[print(table.concat(m1d.empty(3, 4):shape(), "x"))]=],
     out = [=[3x4]=]},
    {"m1d.arange", "m1d.arange([start = 0,] stop [, step = 1] [, dtype]) -> Tensor [n]",
     "The 1-D tensor start, start + step, ... up to but not including stop, as " ..
     "np.arange: n = ceil((stop - start) / step) elements (none if that is negative); " ..
     "step may be negative or fractional. Raises on step 0 or NaN. float32 unless " ..
     "dtype is given (a string or {dtype =}; requires_grad in that table is ignored, " ..
     "silently).",
     ex = [=[print(m1d.arange(4), m1d.arange(1, 10, 3, "int64"))
print(m1d.arange(5, 1, -2))]=],
     out = "tensor([0.0000, 1.0000, 2.0000, 3.0000], float32 [4])\ttensor([1, 4, 7], int64 [3])\n" ..
           "tensor([5.0000, 3.0000], float32 [2])"},
    {"m1d.linspace", "m1d.linspace(a, b, n [, dtype]) -> Tensor [n]",
     "n evenly spaced values from a to b, both included (as np.linspace; the last is " ..
     "exactly b). n = 1 gives {a}, n = 0 an empty tensor; negative n is an error. " ..
     "dtype as in arange (requires_grad is ignored).",
     ex = [=[print(m1d.linspace(0, 1, 5))]=],
     out = [=[tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000], float32 [5])]=]},
    {"m1d.randn", "m1d.randn(d1, d2, ... | {shape} [, dtype | {dtype =, requires_grad =}]) -> Tensor",
     "Samples of the standard normal distribution from the global generator, which is " ..
     "NumPy's legacy RandomState bit for bit: after `m1d.manual_seed(s)`, " ..
     "`m1d.randn(n, \"float64\")` equals `np.random.seed(s); np.random.randn(n)` (float32 " ..
     "rounds those values). float32 or float64 only (int64 is an error).",
     ex = [=[m1d.manual_seed(0)
print(("%.6f"):format(m1d.randn(1, "float64"):item()))]=],
     out = [=[1.764052]=]},
    {"m1d.rand", "m1d.rand(d1, d2, ... | {shape} [, dtype | {dtype =, requires_grad =}]) -> Tensor",
     "Uniform samples in [0, 1) from the global generator (np.random.random_sample's " ..
     "stream). float32 or float64 only.",
     ex = [=[m1d.manual_seed(0)
print(("%.6f"):format(m1d.rand(1, "float64"):item()))]=],
     out = [=[0.548814]=]},
    {"m1d.randint", "m1d.randint(lo, hi, d1, d2, ... | {shape}) -> Tensor (int64)",
     "Uniform integers in [lo, hi) (hi excluded), as int64, from the global generator " ..
     "(np.random.randint's stream). Raises when hi <= lo. There is no dtype argument.",
     ex = [=[m1d.manual_seed(0)
print(m1d.randint(0, 10, {5}))]=],
     out = [=[tensor([5, 0, 3, 3, 7], int64 [5])]=]},
    {"m1d.randperm", "m1d.randperm(n) -> Tensor [n] (int64)",
     "A random permutation of 1..n (1-based, so it can index directly: " ..
     "`x:index_select(1, m1d.randperm(#x))` shuffles rows). It is " ..
     "np.random.permutation(n) + 1 from the global generator. n = 0 gives an empty " ..
     "tensor; negative n is an error.",
     ex = [=[m1d.manual_seed(0)
print(m1d.randperm(5))]=],
     out = [=[tensor([3, 1, 2, 4, 5], int64 [5])]=]},
    {"m1d.dropout_mask", "m1d.dropout_mask(p, d1, d2, ... | {shape} [, dtype]) -> Tensor",
     "Dropout's mask and scale in one float tensor: each element is 1/(1-p) with " ..
     "probability 1 - p and 0 otherwise, independently. p in [0, 1), else an error. One " ..
     "64-bit seed is drawn from the global generator per call (so m1d.manual_seed fixes " ..
     "the masks) and SplitMix64 expands it, ~10x faster than drawing a uniform per " ..
     "element with m1d.rand. nn.Dropout multiplies its input by it.",
     ex = [=[m1d.manual_seed(0)
print(m1d.dropout_mask(0.5, 6))]=],
     out = [=[tensor([2.0000, 2.0000, 2.0000, 0.0000, 0.0000, 0.0000], float32 [6])]=]},
    {"m1d.manual_seed", "m1d.manual_seed(seed)",
     "Reseed the global random generator (a Mersenne Twister, as np.random.seed) used " ..
     "by randn, rand, randint, randperm and the layers' initialisation. seed is an " ..
     "integer in 0..2^32-1 (others raise). Returns nothing.",
     ex = [=[m1d.manual_seed(7); local a = m1d.randn(3)
m1d.manual_seed(7); local b = m1d.randn(3)
print(a:eq(b):sum():item())]=],
     out = [=[3.0]=]},

    -- ------------------------------------------------------------ ops
    {"m1d.matmul", "m1d.matmul(a, b) -> Tensor [..., m, n]",
     "Matrix product (a GEMM) of a [..., m, k] and b [..., k, n]: 2-D, or batched with " ..
     "the batch dims broadcast; a [..., m, k] with a 2-D b is one GEMM. Both must be " ..
     "float tensors of the same dtype, at least 2-D (reshape vectors to [1, k] or " ..
     "[k, 1]); raises on misaligned shapes. Differentiable to any order. Also " ..
     "`a:matmul(b)`.",
     ex = [=[local a = m1d.tensor{{1, 2}, {3, 4}}
print(m1d.matmul(a, m1d.tensor{{1}, {1}}))
print(table.concat(m1d.matmul(m1d.ones(5, 2, 3), m1d.ones(3, 4)):shape(), "x"))]=],
     out = [=[tensor([[3.0000],
        [7.0000]], float32 [2,1])
5x2x4]=]},
    {"m1d.bmm", "m1d.bmm(a, b) -> Tensor [B, n, m]",
     "Batched matrix product as torch.bmm: a [B, n, k] times b [B, k, m], one GEMM per batch " ..
     "element (transposed views go to BLAS without a copy). Strict: both 3-D with the same B " ..
     "(m1d.matmul broadcasts instead), the same float dtype, matching inner sizes; else an " ..
     "error naming the shapes. Its gradients g b^T and a^T g are bmm's again: " ..
     "differentiable to any order (the node is named matmul). Also `a:bmm(b)`.",
     ex = [=[local a, b = m1d.ones(4, 2, 3), m1d.ones(4, 3, 5)
print(table.concat(m1d.bmm(a, b):shape(), "x"), m1d.bmm(a, b):sum():item())
print(pcall(m1d.bmm, m1d.ones(2, 2, 3), m1d.ones(1, 3, 5)))]=],
     out = [=[4x2x5	120.0
false	bmm: batch sizes differ: [2,2,3] and [1,3,5] (bmm does not broadcast; matmul does)]=]},
    {"m1d.cat", "m1d.cat({tensors} [, dim = 1]) -> Tensor",
     "Concatenate a non-empty list of tensors along the existing dim dim (negative " ..
     "counts from the end); the other dims must be equal. The result has the widest " ..
     "dtype of the list. A new tensor; differentiable.",
     ex = [=[print(m1d.cat{m1d.tensor{1, 2}, m1d.tensor{3}})
print(table.concat(m1d.cat({m1d.ones(2, 3), m1d.ones(2, 1)}, 2):shape(), "x"))]=],
     out = [=[tensor([1.0000, 2.0000, 3.0000], float32 [3])
2x4]=]},
    {"m1d.stack", "m1d.stack({tensors} [, dim = 1]) -> Tensor",
     "Stack a non-empty list of same-shape tensors along a new dim dim (1..ndim+1; " ..
     "negative counts from the end). A new tensor; differentiable.",
     ex = [=[local a, b = m1d.ones(3), m1d.zeros(3)
print(table.concat(m1d.stack{a, b}:shape(), "x"), table.concat(m1d.stack({a, b}, 2):shape(), "x"))]=],
     out = "2x3\t3x2"},
    {"m1d.where", "m1d.where(cond, a, b) -> Tensor",
     "Elementwise a where cond is non-zero, else b; cond, a and b are tensors (numbers " ..
     "are not accepted: use m1d.full or a 0-dim tensor) broadcast together, the result " ..
     "has the wider dtype of a and b. It selects, so an Inf or NaN in the branch not " ..
     "taken does not leak into the value; gradients flow to a and b (masked), none to " ..
     "cond.",
     ex = [=[local x = m1d.tensor{-1, 2, -3}
print(m1d.where(x:gt(0), x, m1d.zeros(1)))]=],
     out = [=[tensor([0.0000, 2.0000, 0.0000], float32 [3])]=]},
    {"m1d.maximum", "m1d.maximum(a, b) -> Tensor;  m1d.minimum(a, b) -> Tensor",
     "Elementwise max (min) of two tensors, or of a tensor and a number, broadcast; " ..
     "also `a:maximum(b)`. Differentiable: the gradient goes to the chosen side, half to " ..
     "each where a and b are equal (as torch).",
     also = {"m1d.minimum"},
     ex = [=[print(m1d.maximum(m1d.tensor{1, 5}, m1d.tensor{3, 2}), m1d.minimum(m1d.tensor{-1, 2}, 0))]=],
     out = "tensor([3.0000, 5.0000], float32 [2])\ttensor([-1.0000,  0.0000], float32 [2])"},
    {"m1d.cumsum", "m1d.cumsum(t, dim) -> Tensor",
     "Cumulative sums of t along dim, as `t:cumsum(dim)` (see there).",
     ex = [=[print(m1d.cumsum(m1d.tensor({1, 2, 3}, "int64"), 1))]=],
     out = [=[tensor([1, 3, 6], int64 [3])]=]},
    {"m1d.onehot", "m1d.onehot(labels, C [, dtype = \"float32\"]) -> Tensor [N, C]",
     "One-hot rows: row i has a 1 at column labels[i] + 1. labels is a 1-D int64 " ..
     "tensor of 0-based classes 0..C-1 (as MNIST-1D's digits); any other dtype or " ..
     "shape, or a label outside 0..C-1, is an error. Not differentiable (labels).",
     ex = [=[print(m1d.onehot(m1d.tensor({0, 2}, "int64"), 3))]=],
     out = [=[tensor([[1.0000, 0.0000, 0.0000],
        [0.0000, 0.0000, 1.0000]], float32 [2,3])]=]},
    {"m1d.linear", "m1d.linear(x, w [, b]) -> Tensor [..., O]",
     "x w^T + b, the op behind nn.Linear: x [..., in], w [O, in], b [O]; all float of one " ..
     "dtype. Leading dims of x are flattened for one GEMM and restored. Raises when " ..
     "x's last dim is not w's dim 2 or b is not [O]. Differentiable to any order.",
     ex = [=[local y = m1d.linear(m1d.ones(2, 3), m1d.ones(4, 3), m1d.arange(4))
print(table.concat(y:shape(), "x"), y[1][1], y[2][4])]=],
     out = "2x4\t3.0\t6.0"},
    {"m1d.conv1d", "m1d.conv1d(x, w [, b] [, stride = 1] [, padding = 0] [, layout = \"NCL\"]) -> Tensor [N, O, L']",
     "1-D cross-correlation (as torch's conv1d): x [N, C, L], w [O, C, k], b [O] or nil, " ..
     "zero padding on both ends, L' = floor((L + 2 padding - k) / stride) + 1. All " ..
     "float of one dtype; raises on mismatched channels, a kernel longer than the padded " ..
     "input, stride < 1 or padding < 0. Fused (im2col and one GEMM). Its gradients are the " ..
     "fused ops conv_transpose1d (input) and conv1d_weight_grad (weight), whose own " ..
     "gradients are again these ops, so gradients of any order (create_graph) stay fused, " ..
     "as in PyTorch. layout \"CLN\" takes x [C, L, N] and gives [O, L', N] (batch last), " ..
     "the same numbers permuted: there im2col copies whole rows of the batch and the GEMM " ..
     "writes the output in place: a training step of the paper's CNN (nn.models.cnn runs " ..
     "batch-last) took 0.36 ms instead of 0.44 (bench.lua, one thread); any other layout " ..
     "string is an error.",
     ex = [=[local x = m1d.arange(1, 6):reshape(1, 1, 5)
print(m1d.conv1d(x, m1d.ones(1, 1, 3)))
print(m1d.conv1d(x, m1d.ones(1, 1, 3), nil, 2, 1))
local xb = m1d.randn(8, 3, 40)                 -- [N, C, L]
local w = m1d.randn(4, 3, 5)
local y = m1d.conv1d(xb:permute(2, 3, 1), w, nil, 2, 1, "CLN")
print(table.concat(y:shape(), "x"), (y:permute(3, 1, 2) - m1d.conv1d(xb, w, nil, 2, 1)):abs():max():item() < 1e-5)]=],
     out = [=[tensor([[[ 6.0000,  9.0000, 12.0000]]], float32 [1,1,3])
tensor([[[3.0000, 9.0000, 9.0000]]], float32 [1,1,3])
4x19x8	true]=]},
    {"m1d.conv_transpose1d", "m1d.conv_transpose1d(x, w [, b] [, stride = 1] [, padding = 0] " ..
     "[, output_padding = 0] [, layout = \"NCL\"]) -> Tensor [N, O, L']",
     "Transposed 1-D convolution, as torch.nn.functional.conv_transpose1d: x [N, I, L], " ..
     "w [I, O, k] (PyTorch's layout: input channels first), b [O] or nil; L' = (L - 1) " ..
     "stride - 2 padding + k + output_padding, with 0 <= output_padding < stride. It is the " ..
     "adjoint of conv1d with the same w, stride and padding (conv1d's input gradient). All " ..
     "float of one dtype; raises, naming the argument, on shapes that do not fit. Fused and " ..
     "differentiable to any order. layout \"CLN\": x [I, L, N] -> [O, L', N], as conv1d's.",
     ex = [=[local y = m1d.conv_transpose1d(m1d.ones(1, 1, 3), m1d.ones(1, 1, 2), nil, 2)
print(y)]=],
     out = [=[tensor([[[1.0000, 1.0000, 1.0000, 1.0000, 1.0000, 1.0000]]], float32 [1,1,6])]=]},
    {"m1d.conv1d_weight_grad", "m1d.conv1d_weight_grad(x, gout, k [, stride = 1] [, padding = 0] [, layout = \"NCL\"]) " ..
     "-> Tensor [O, C, k]",
     "The weight gradient of conv1d(x, w, b, stride, padding) for an upstream gradient gout " ..
     "[N, O, L'] (torch.nn.grad.conv1d_weight): sum over n and l of gout[n, o, l] " ..
     "x[n, c, (l - 1) stride + j - padding]. Fused and differentiable to any order; raises " ..
     "when gout's length does not match conv1d's output length for x, k, stride and padding. " ..
     "layout \"CLN\": x [C, L, N] and gout [O, L', N], as conv1d's.",
     ex = [=[local x = m1d.arange(1, 6):reshape(1, 1, 5)
print(m1d.conv1d_weight_grad(x, m1d.ones(1, 1, 3), 3))]=],
     out = [=[tensor([[[ 6.0000,  9.0000, 12.0000]]], float32 [1,1,3])]=]},
    {"m1d.conv1d_composed", "m1d.conv1d_composed(x, w [, b] [, stride = 1] [, padding = 0]) -> Tensor",
     "conv1d built from unfold1d, matmul and reshapes: the same values, slower, every " ..
     "derivative op-composed. The reference the fused conv1d is tested against " ..
     "(tests/lua/conv_test.lua).",
     ex = [=[local x, w = m1d.randn(2, 3, 7, "float64"), m1d.randn(4, 3, 3, "float64")
print((m1d.conv1d_composed(x, w, nil, 2, 1) - m1d.conv1d(x, w, nil, 2, 1)):abs():max():item() < 1e-12)]=],
     out = "true"},
    {"m1d.max_pool1d_composed", "m1d.max_pool1d_composed(x, k [, stride = k]);  avg_pool1d_composed;  lp_pool1d_composed(x, p, k [, stride])",
     "The pools built from unfold1d and reductions: the same values as the fused pools, " ..
     "slower; what their second and higher derivatives are rebuilt from, and the reference " ..
     "they are tested against (tests/lua/pool_test.lua).",
     also = {"m1d.avg_pool1d_composed", "m1d.lp_pool1d_composed"},
     ex = [=[local x = m1d.randn(2, 3, 9, "float64")
print((m1d.max_pool1d_composed(x, 3, 2) - m1d.max_pool1d(x, 3, 2)):abs():max():item() == 0,
      (m1d.lp_pool1d_composed(x, 2, 2) - m1d.lp_pool1d(x, 2, 2)):abs():max():item() < 1e-12)]=],
     out = "true\ttrue"},
    {"m1d.max_pool1d", "m1d.max_pool1d(x, k [, stride = k] [, layout = \"NCL\"]) -> Tensor [N, C, L'];  " ..
     "m1d.avg_pool1d(x, k [, stride = k] [, layout])",
     "Max (mean) over windows of k along the last dim of x [N, C, L] (float), no " ..
     "padding, L' = floor((L - k) / stride) + 1 (trailing elements that fill no window " ..
     "are dropped). Raises unless x is 3-D float and k, stride >= 1 and k <= L. " ..
     "One fused pass each way (the max pool keeps each window's argmax); gradients of " ..
     "every order (the second and higher through the composed pool). Max: a NaN in a " ..
     "window wins it, as in torch; the gradient of a tie goes to the first maximum. layout " ..
     "\"CLN\": x [C, L, N] -> [C, L', N] (batch last, as conv1d's), the same bits as NCL " ..
     "permuted, in loops along the batch.",
     also = {"m1d.avg_pool1d"},
     ex = [=[local x = m1d.arange(1, 6):reshape(1, 1, 5)
print(m1d.max_pool1d(x, 2), m1d.avg_pool1d(x, 3, 1))]=],
     out = "tensor([[[2.0000, 4.0000]]], float32 [1,1,2])\ttensor([[[2.0000, 3.0000, 4.0000]]], float32 [1,1,3])"},
    {"m1d.lp_pool1d", "m1d.lp_pool1d(x, p, k [, stride = k] [, layout = \"NCL\"]) -> Tensor [N, C, L']",
     "Power-average pooling, the norm p first (as torch's lp_pool1d and nn.LPPool1d(p, " ..
     "k [, s])): (sum over each window of x^p)^(1/p), windows as in max_pool1d. Like " ..
     "torch it raises x to p, not |x| to p: for p = 2 that is the L2 norm of the window, " ..
     "but for other p negative inputs give NaN (non-integer p) or subtract (odd p; a " ..
     "negative sum then gives NaN unless p = 1), so feed it non-negative values (e.g. " ..
     "after a ReLU). p must be > 0. A window summing to 0 gives 0 with gradient 0 (not " ..
     "NaN). Fused and differentiable to every order, and layout \"CLN\", as max_pool1d.",
     ex = [=[print(m1d.lp_pool1d(m1d.tensor{{{3, -4, 1, 0}}}, 2, 2))]=],
     out = [=[tensor([[[5.0000, 1.0000]]], float32 [1,1,2])]=]},
    {"m1d.layer_norm", "m1d.layer_norm(x, ndims [, eps = 1e-5]) -> Tensor",
     "(x - mean) / sqrt(var + eps) over the last ndims dims of x, for each index of the " ..
     "leading ones (mean and biased variance of those elements): nn.LayerNorm without its " ..
     "weight and bias. Same shape and float dtype as x; ndims in 1..x:dim() and eps > 0, " ..
     "else an error. Fused (src/ops_norm.c: one pass each way, statistics in double) and " ..
     "differentiable to every order (higher orders through the composed form).",
     ex = [=[print(m1d.layer_norm(m1d.tensor{{1, 3}, {0, 10}}, 1))]=],
     out = [=[tensor([[-1.0000,  1.0000],
        [-1.0000,  1.0000]], float32 [2,2])]=]},
    {"m1d.batch_norm", "m1d.batch_norm(x [, eps = 1e-5]) -> Tensor, mean [C], var [C]",
     "Per channel over the batch: x [N, C] or [N, C, L] normalised with each channel's " ..
     "mean and biased variance over N (and L), (x - mean) / sqrt(var + eps), as " ..
     "nn.BatchNorm1d in train mode without weight and bias. Also returns those statistics " ..
     "(float64 [C], no gradient; nn.BatchNorm1d updates its running statistics from them). " ..
     "Other shapes raise. Fused and differentiable to every order, as layer_norm.",
     ex = [=[local y, mean, var = m1d.batch_norm(m1d.tensor{{1, 10}, {3, 30}})
print(y, mean, var)]=],
     out = [=[tensor([[-1.0000, -1.0000],
        [ 1.0000,  1.0000]], float32 [2,2])	tensor([ 2.0000, 20.0000], float64 [2])	tensor([  1.0000, 100.0000], float64 [2])]=]},
    {"m1d.unfold1d", "m1d.unfold1d(x, k [, stride = 1] [, padding = 0]) -> Tensor [N, C*k, L']",
     "im2col: the windows of x [N, C, L] (float) as columns, row c*k + j (0-based c, j) " ..
     "holding x[n, c, l*stride + j - padding] (zero outside), L' as in conv1d. The " ..
     "building block of the pools; differentiable to any order (its backward is fold).",
     ex = [=[print(m1d.unfold1d(m1d.arange(1, 6):reshape(1, 1, 5), 3, 2))]=],
     out = [=[tensor([[[1.0000, 3.0000],
         [2.0000, 4.0000],
         [3.0000, 5.0000]]], float32 [1,3,2])]=]},
    {"m1d.gru", "m1d.gru(x, h0, w_ih, w_hh, b_ih, b_hh [, reverse = false]) -> Tensor [B, T, H]",
     "One GRU layer in one direction over a whole sequence, fused (the op behind " ..
     "nn.GRU): x [B, T, F] (batch first), h0 [B, H] or nil (zeros), w_ih [3H, F], " ..
     "w_hh [3H, H], b_ih and b_hh [3H] (both required). PyTorch's gates r, z, n in that " ..
     "order: n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h. Returns " ..
     "every step's state in time order; with reverse the sequence is read from t = T " ..
     "down to 1, so out[:, 1] is the reverse direction's final state (forward: out[:, T]). " ..
     "All float of one dtype (computed in float64 inside); raises on shapes that do not " ..
     "fit. Differentiable to any order: the first-order backward is fused; under " ..
     "create_graph it is m1d.gru_backward, whose own backward (the second order) is fused " ..
     "too; third and higher orders are rebuilt from ops.",
     ex = [=[local H, F = 2, 3
local y = m1d.gru(m1d.randn(4, 5, F), nil, m1d.randn(3 * H, F), m1d.randn(3 * H, H), m1d.zeros(3 * H), m1d.zeros(3 * H))
print(table.concat(y:shape(), "x"))
print(m1d.gru(m1d.zeros(1, 2, 1), m1d.ones(1, 1), m1d.zeros(3, 1), m1d.zeros(3, 1), m1d.zeros(3), m1d.zeros(3)))]=],
     out = [=[4x5x2
tensor([[[0.5000],
         [0.2500]]], float32 [1,2,1])]=]},
    {"m1d.gru_backward", "m1d.gru_backward(x, h0|nil, w_ih, w_hh, b_ih, b_hh, grad_output [, reverse]) " ..
     "-> dx, dh0|nil, dw_ih, dw_hh, db_ih, db_hh",
     "The first-order gradients of m1d.gru(x, h0, ...) for an upstream gradient grad_output " ..
     "[B, T, H] (same dtype), as one differentiable op: what the GRU's backward computes " ..
     "under create_graph. Its own backward (the GRU's second order: a tangent pass through " ..
     "the recurrence and a reverse pass with the second-order terms) is fused; beyond that " ..
     "it is rebuilt from ops. The results are views of one packed tensor; dh0 is nil when " ..
     "h0 is. Raises, naming the argument, on shapes or dtypes that do not fit.",
     ex = [=[local x, w_ih, w_hh = m1d.randn(2, 3, 1), m1d.randn(6, 1), m1d.randn(6, 2)
local b = m1d.zeros(6)
local dx, dh0, dwih = m1d.gru_backward(x, nil, w_ih, w_hh, b, b, m1d.ones(2, 3, 2))
print(table.concat(dx:shape(), "x"), dh0, table.concat(dwih:shape(), "x"))]=],
     out = "2x3x1\tnil\t6x1"},
    {"m1d.lstm", "m1d.lstm(x, h0|nil, c0|nil, w_ih, w_hh, b_ih|nil, b_hh|nil [, reverse = false]) " ..
     "-> Tensor [B, T, 2H];  m1d.lstm_composed(same) -> Tensor",
     "One LSTM layer in one direction over a whole sequence, fused (the op behind nn.LSTM): " ..
     "x [B, T, F] (batch first), h0 and c0 [B, H] or nil (zeros), w_ih [4H, F], w_hh [4H, H], " ..
     "b_ih and b_hh [4H] or nil. PyTorch's gates i, f, g, o in that order: c' = f c + i g, " ..
     "h' = o tanh(c'). Returns every step's hidden state and cell state, [B, T, 2H]: h in " ..
     "[..., 1..H], c in [..., H+1..2H] (one output carries both, so that c_n and its gradient " ..
     "pass). With reverse the sequence is read from t = T down to 1. All float of one dtype " ..
     "(computed in float64 inside); raises, naming the argument, on shapes that do not fit. " ..
     "The forward and the first-order backward are fused loops, all four gates one GEMM a " ..
     "step; second and higher orders are rebuilt from ops. m1d.lstm_composed computes the " ..
     "same from differentiable ops (the reference the tests compare with).",
     also = {"m1d.lstm_composed"},
     ex = [=[local H, F = 3, 2
local y = m1d.lstm(m1d.randn(4, 5, F), nil, nil, m1d.randn(4 * H, F), m1d.randn(4 * H, H))
print(table.concat(y:shape(), "x"))
print(m1d.lstm(m1d.zeros(1, 2, 1), nil, m1d.ones(1, 1), m1d.zeros(4, 1), m1d.zeros(4, 1)))]=],
     out = [=[4x5x6
tensor([[[0.2311, 0.5000],
         [0.1225, 0.2500]]], float32 [1,2,2])]=]},
    {"m1d.rnn", "m1d.rnn(x, h0|nil, w_ih, w_hh, b_ih|nil, b_hh|nil [, nonlinearity = \"tanh\" " ..
     "[, reverse = false]]) -> Tensor [B, T, H];  m1d.rnn_composed(same) -> Tensor",
     "One Elman RNN layer in one direction over a whole sequence, fused (the op behind " ..
     "nn.RNN): h' = act(W_ih x + b_ih + W_hh h + b_hh), act \"tanh\" or \"relu\"; x [B, T, F] " ..
     "(batch first), h0 [B, H] or nil (zeros), w_ih [H, F], w_hh [H, H], b_ih and b_hh [H] or " ..
     "nil. Returns every step's state in time order; with reverse the sequence is read from " ..
     "t = T down to 1. All float of one dtype (computed in float64 inside); raises, naming " ..
     "the argument, on shapes that do not fit or another nonlinearity. The forward and the " ..
     "first-order backward are fused loops, one GEMM a step; second and higher orders are " ..
     "rebuilt from ops. m1d.rnn_composed computes the same from differentiable ops.",
     also = {"m1d.rnn_composed"},
     ex = [=[local y = m1d.rnn(m1d.randn(4, 5, 2), nil, m1d.randn(3, 2), m1d.randn(3, 3))
print(table.concat(y:shape(), "x"))
print(m1d.rnn(m1d.ones(1, 3, 1), nil, m1d.ones(1, 1), m1d.full({1, 1}, 0.5), nil, nil, "relu"))]=],
     out = [=[4x5x3
tensor([[[1.0000],
         [1.5000],
         [1.7500]]], float32 [1,3,1])]=]},
    {"m1d.pointwise_mlp", "m1d.pointwise_mlp(x, w1, b1, w2 [, nder = 0]) -> Tensor [nder + 1, x's shape]",
     "A 1 -> H -> 1 tanh MLP applied to every element of x, fused, with its first nder (0 " ..
     "to 3) derivatives in x: row k + 1 is sum_j w2_j w1_j^k tanh^(k)(w1_j x + b1_j). w1, b1 " ..
     "and w2 hold H elements each (e.g. the weights of Linear(1, H) and Linear(H, 1)); " ..
     "add the output bias yourself. All float of one dtype; x has at most 7 dims. The " ..
     "[numel(x), H] hidden layer is never stored, at any order of derivative: the " ..
     "first-order backward is one fused pass, higher orders (create_graph) are made of " ..
     "m1d.tanh_hsum and m1d.tanh_xsum. While recording, the forward also computes the next " ..
     "derivative (for the gradient in x of a differentiable backward). float32 tanh has an " ..
     "absolute error below 2e-7. Used by experiments/metalearn_afunc.lua for the learned " ..
     "activation.",
     ex = [=[local y = m1d.pointwise_mlp(m1d.tensor{0, 1}, m1d.ones(3), m1d.zeros(3), m1d.ones(3), 1)
print(table.concat(y:shape(), "x"), y[1][1], y[2][1])]=],
     out = "2x2\t0.0\t3.0"},
    {"m1d.tanh_hsum", "m1d.tanh_hsum(x, a, b, c, orders) -> Tensor [R, N]",
     "Sums over the hidden units of a 1 -> H tanh layer, fused: out[r][i] = sum_j c[r][j] " ..
     "tanh^(orders[r])(a_j x_i + b_j), with x [N], a and b [H], c [R, H] and orders a list " ..
     "of R integers from 0 to 15 (the m-th derivative of tanh). Never stores the [N, H] " ..
     "layer. Its gradients are again tanh_hsum and tanh_xsum calls (one order up), so it is " ..
     "differentiable to any order without that layer; a plain backward is one fused pass. " ..
     "The building block of m1d.pointwise_mlp's higher-order gradients. Raises on shapes " ..
     "that do not fit and on orders outside 0..15.",
     ex = [=[-- tanh(x) and tanh'(x) at x = 0 and 1 (one hidden unit, a = 1, b = 0)
print(m1d.tanh_hsum(m1d.tensor{0, 1}, m1d.tensor{1}, m1d.tensor{0}, m1d.tensor{{1}, {1}}, {0, 1}))]=],
     out = [=[tensor([[0.0000, 0.7616],
        [1.0000, 0.4200]], float32 [2,2])]=]},
    {"m1d.tanh_xsum", "m1d.tanh_xsum(x, a, b, w, orders) -> Tensor [R, H]",
     "Sums over the elements, the counterpart of m1d.tanh_hsum: out[r][j] = sum_i w[r][i] " ..
     "tanh^(orders[r])(a_j x_i + b_j), with x [N], a and b [H], w [R, N], orders R integers " ..
     "from 0 to 15. Fused, differentiable to any order (see m1d.tanh_hsum); sums in double.",
     ex = [=[print(m1d.tanh_xsum(m1d.tensor{0, 1}, m1d.tensor{1, 2}, m1d.tensor{0, 0}, m1d.tensor{{1, 1}}, {0}))]=],
     out = [=[tensor([[0.7616, 0.9640]], float32 [1,2])]=]},

    -- ------------------------------------------------------------ printing
    {"m1d.set_printoptions", "m1d.set_printoptions{precision =, threshold =, edgeitems =, " ..
     "linewidth =, sci_mode =, profile =}",
     "How tostring(tensor) (and so print) shows tensors, as torch.set_printoptions; keys not " ..
     "given keep their value. precision: digits after the point (default 4, 0..40). threshold: " ..
     "a tensor of more elements than this (default 1000; math.huge never) is summarised: each " ..
     "dimension longer than 2 * edgeitems shows its first and last edgeitems (default 3) " ..
     "entries around `...`. linewidth: the width rows wrap at (continuation lines indented " ..
     "under the row's first element); \"auto\" (the default) is the terminal's width when " ..
     "stdout is a terminal ($COLUMNS, else the terminal's size), else 80. sci_mode: true or " ..
     "false forces scientific or fixed notation; \"auto\" (the default) is scientific when a " ..
     "printed magnitude is >= 1e5 or below 1e-4 (not 0). profile: \"default\", \"short\" " ..
     "(precision 2, edgeitems 2) or \"full\" (no summary) first resets every option to that " ..
     "profile, then the other keys apply. The shape/dtype suffix is always printed. An unknown " ..
     "key is an error listing the valid ones; so is a value out of range. The options are " ..
     "global to the process.",
     ex = [=[m1d.set_printoptions{precision = 2, linewidth = 50}
print(m1d.arange(12) / 7)
m1d.set_printoptions{threshold = 5, edgeitems = 1}
print(m1d.arange(12):reshape(3, 4))
m1d.set_printoptions{profile = "default", sci_mode = true}
print(m1d.tensor{0.5, 2})
print(pcall(m1d.set_printoptions, {digits = 3}))
m1d.set_printoptions{profile = "default"}]=],
     out = [=[tensor([0.00, 0.14, 0.29, 0.43, 0.57, 0.71, 0.86,
        1.00, 1.14, 1.29, 1.43, 1.57], float32 [12])
tensor([[ 0.00,  ...,  3.00],
        ...,
        [ 8.00,  ..., 11.00]], float32 [3,4])
tensor([5.0000e-01, 2.0000e+00], float32 [2])
false	m1d.set_printoptions: unknown option 'digits' (valid: edgeitems, linewidth, precision, profile, sci_mode, threshold)]=]},
    {"m1d.get_printoptions", "m1d.get_printoptions() -> {precision =, threshold =, edgeitems =, " ..
     "linewidth =, sci_mode =}",
     "A copy of the current print options (see m1d.set_printoptions); linewidth and sci_mode " ..
     "may be \"auto\". Passing the table back to m1d.set_printoptions restores them.",
     ex = [=[local o = m1d.get_printoptions()
print(o.precision, o.threshold, o.edgeitems, o.sci_mode)
m1d.set_printoptions{precision = 2}
print(m1d.get_printoptions().precision, m1d.tensor(1 / 3))
m1d.set_printoptions(o)
print(m1d.tensor(1 / 3))]=],
     out = "4\t1000\t3\tauto\n2\ttensor(0.33, float32 [])\ntensor(0.3333, float32 [])"},

    -- ------------------------------------------------------------ losses
    {"m1d.cross_entropy", "m1d.cross_entropy(logits, labels) -> Tensor (0-dim)",
     "Mean over the batch of -log softmax(logits)[i, labels[i]]: logits [N, C] float, " ..
     "labels [N] int64 holding 0-based class indices 0..C-1 (MNIST-1D's digits as they " ..
     "are). Raises on float labels, a label outside 0..C-1, mismatched N or an empty " ..
     "batch. Fused (log-sum-exp per row); differentiable to any order in the logits.",
     ex = [=[local loss = m1d.cross_entropy(m1d.zeros(2, 4), m1d.tensor({0, 3}, "int64"))
print(("%.4f"):format(loss:item()), loss:dim())]=],
     out = "1.3863\t0"},
    {"m1d.cross_entropy_backward", "m1d.cross_entropy_backward(x, labels, g) -> Tensor [n, classes]",
     "The gradient of cross_entropy(x, labels) for an upstream gradient g (a one-element " ..
     "tensor of x's dtype): (softmax(x) - onehot(labels)) * g / n, with x [n, classes] and " ..
     "labels int64 [n], 0-based. It is the one node a gradient of cross_entropy taken with " ..
     "create_graph records; its own derivatives are softmax_jvp and itself, so every order " ..
     "stays fused. Raises on labels out of range or shapes that do not fit.",
     ex = [=[local x = m1d.tensor({{0, 0}, {0, 0}}, "float64")
print(m1d.cross_entropy_backward(x, m1d.tensor({1, 0}, "int64"), m1d.tensor(1, "float64")))]=],
     out = [=[tensor([[ 0.2500, -0.2500],
        [-0.2500,  0.2500]], float64 [2,2])]=]},
    {"m1d.softmax_jvp", "m1d.softmax_jvp(x, v) -> Tensor [n, classes]",
     "Softmax's Jacobian at x times v, row by row: p * (v - sum(v * p, 2)) with " ..
     "p = softmax(x, 2); x and v [n, classes] of one float dtype. Part of cross_entropy's " ..
     "higher-order gradients; differentiable to any order.",
     ex = [=[print(m1d.softmax_jvp(m1d.zeros(1, 2), m1d.tensor{{1, -1}}))]=],
     out = [=[tensor([[ 0.5000, -0.5000]], float32 [1,2])]=]},
    {"m1d.nll", "m1d.nll(logp, labels) -> Tensor (0-dim)",
     "Negative log-likelihood: -mean_i logp[i, labels[i]], for log-probabilities logp " ..
     "[N, C] (e.g. x:log_softmax(2)) and int64 labels [N] of 0-based classes 0..C-1 " ..
     "(checked as in cross_entropy). cross_entropy(x, y) equals nll(x:log_softmax(2), y) " ..
     "up to rounding. " ..
     "Differentiable.",
     ex = [=[print(m1d.nll(m1d.tensor{{-1, -2}, {-3, -4}}, m1d.tensor({1, 0}, "int64")):item())]=],
     out = [=[2.5]=]},
    {"m1d.mse", "m1d.mse(prediction, target) -> Tensor (0-dim)",
     "Mean squared error, mean((prediction - target)^2) over all elements; both float " ..
     "and of the same shape (no broadcasting: a mismatch is an error). Differentiable " ..
     "in both.",
     ex = [=[print(m1d.mse(m1d.tensor{1, 2}, m1d.tensor{3, 2}):item())]=],
     out = [=[2.0]=]},
  },
}
