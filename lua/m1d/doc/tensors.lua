-- The reference: Tensors.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Tensors", key = "tensors",
  intro = "Tensors are n-dimensional arrays (float32, float64 or int64) in row-major order. " ..
          "Lua sees 1-based dimensions and indices. Arithmetic operators work between tensors " ..
          "and numbers, with NumPy broadcasting.",
  entries = {
    {"m1d.tensor", "m1d.tensor(values [, dtype]) -> Tensor",
     "A tensor from a number or nested tables: `m1d.tensor{{1, 2}, {3, 4}}`. dtype is " ..
     "\"float32\" (default), \"float64\" or \"int64\"."},
    {"m1d.zeros", "m1d.zeros(d1, d2, ... | {shape} [, dtype]) -> Tensor",
     "A tensor of zeros."},
    {"m1d.ones", "m1d.ones(d1, d2, ... | {shape} [, dtype]) -> Tensor",
     "A tensor of ones."},
    {"m1d.full", "m1d.full({shape}, value [, dtype]) -> Tensor",
     "A tensor filled with value."},
    {"m1d.empty", "m1d.empty(d1, d2, ... | {shape} [, dtype]) -> Tensor",
     "Uninitialised storage."},
    {"m1d.arange", "m1d.arange([start,] stop [, step] [, dtype]) -> Tensor",
     "Values from start (default 0) up to but not including stop."},
    {"m1d.linspace", "m1d.linspace(a, b, n [, dtype]) -> Tensor",
     "n evenly spaced values from a to b."},
    {"m1d.randn", "m1d.randn(d1, d2, ... | {shape} [, dtype]) -> Tensor",
     "Samples of the standard normal distribution from the global generator (see " ..
     "manual_seed)."},
    {"m1d.rand", "m1d.rand(d1, d2, ... | {shape} [, dtype]) -> Tensor",
     "Uniform samples in [0, 1)."},
    {"m1d.randint", "m1d.randint(lo, hi, {shape}) -> Tensor",
     "Uniform int64 samples in [lo, hi)."},
    {"m1d.randperm", "m1d.randperm(n) -> Tensor",
     "A random permutation of 1..n (int64)."},
    {"m1d.manual_seed", "m1d.manual_seed(seed)",
     "Seed the global random generator."},
    {"m1d.matmul", "m1d.matmul(a, b) -> Tensor",
     "Matrix product of 2-D tensors (batched for 3-D); also `a:matmul(b)`."},
    {"m1d.cat", "m1d.cat({tensors}, dim) -> Tensor",
     "Concatenate along dim."},
    {"m1d.stack", "m1d.stack({tensors}, dim) -> Tensor",
     "Stack along a new dim."},
    {"m1d.where", "m1d.where(cond, a, b) -> Tensor",
     "Elements of a where cond is non-zero, else b."},
    {"m1d.pointwise_mlp", "m1d.pointwise_mlp(x, w1, b1, w2 [, nder = 0]) -> Tensor [nder + 1, x's shape]",
     "A 1 -> H -> 1 tanh MLP applied to every element of x, fused, with its first nder (0 " ..
     "to 3) derivatives in x: row k is sum_j w2_j w1_j^k tanh^(k)(w1_j x + b1_j). w1, b1 " ..
     "and w2 hold H elements each (e.g. the weights of Linear(1, H) and Linear(H, 1)); " ..
     "add the output bias yourself. The [numel(x), H] hidden layer is never stored; " ..
     "differentiable to any order (first order fused, higher orders op-composed). float32 " ..
     "tanh has an absolute error below 2e-7. Used by experiments/metalearn_afunc.lua for " ..
     "the learned activation."},
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
     "Flush subnormal floats to zero (off by default), as torch.set_flush_denormal: long " ..
     "Adam runs make them, and CPUs compute on them slowly."},
  },
}
