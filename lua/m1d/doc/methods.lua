-- The reference: Tensor methods.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
-- Every claim here was checked against src/bind/l_tensor.c, src/bind/l_autograd.c and the
-- ops in src/ops_*.c; shapes are printed as "2x3" with table.concat(t:shape(), "x").
return {
  title = "Tensor methods", key = "methods",
  intro = "Methods are called with a colon (`t:sum(2)`); dims and indices are 1-based, a " ..
          "negative dim counts from the end (-1 is the last), and every index a method " ..
          "returns (argmax, max(dim)) is 1-based too. Views (reshape when it can, view, " ..
          "transpose, narrow, select, expand, ...) share storage with their source; the " ..
          "in-place methods add_, mul_, fill_, zero_ and copy_ write into the tensor and " ..
          "refuse one that requires grad while grad mode is on. Float operations are recorded for autograd when an " ..
          "input requires grad. int64 tensors (labels, indices) take the shape methods, " ..
          "arithmetic, comparisons, abs/neg/sign/clamp, sum/cumsum/max/min/argmax, sort/topk and indexing; the " ..
          "float math (exp, pow, mean, softmax, matmul, ...) raises on them: convert with " ..
          "`:float()`.",
  entries = {
    -- ------------------------------------------------------------ the class
    {"Tensor", "Tensor (made by m1d.tensor, m1d.zeros, m1d.randn, ...; methods called as t:name(...))",
     "An n-dimensional array (0 to 8 dims) of float32 (the default), float64 or int64, " ..
     "stored row-major; its storage lives outside the Lua heap and is freed by the " ..
     "collector, `t:release()` or `local t <close> = ...`. Several tensors may share one " ..
     "storage: views (reshape when the strides allow, view, flatten, transpose, t, permute, " ..
     "narrow, select, squeeze, unsqueeze, expand, detach, and `t[i]` on n-D tensors) see " ..
     "each other's in-place writes; clone, flip, the dtype conversions to another dtype and " ..
     "contiguous() of a non-contiguous tensor copy. Dims and indices are 1-based; a " ..
     "negative one counts from the end. Operators: `a + b`, `a - b`, `a * b`, `a / b`, " ..
     "`a ^ b` and `-a` take tensors or numbers on either side (elementwise, NumPy " ..
     "broadcasting; two tensors promote int64 < float32 < float64, a number takes the " ..
     "tensor's dtype, so an int64 tensor + 0.5 stays int64 and truncates); `==` compares " ..
     "the Lua objects, not the values, and `<`, `<=` raise (use eq, lt, ...). `#t` is the size of dim " ..
     "1 (0 for a 0-dim tensor). `t[i]` (i an integer, negative from the end) is the i-th " ..
     "element as a Lua number (an integer for int64) when t is 1-D, the view " ..
     "`t:select(1, i)` when t has more dims, and an error for a 0-dim tensor (use item) " ..
     "or i out of range. `t[i] = v` writes element or row i in place (a number fills it, " ..
     "a tensor is broadcast into it); it refuses a tensor that requires grad while grad " ..
     "mode is on. Any other field read is a method or nil, except `t.grad` (see Autograd); " ..
     "setting any other field raises. " ..
     "print(t) shows the values (4 decimals, or scientific notation for very large or " ..
     "small ones; above 1000 elements, a dim longer than 6 shows its first and last 3), " ..
     "the dtype and the shape.",
     also = {"m1d.Tensor"},
     ex = [=[local x = m1d.tensor{{1, 2, 3}, {4, 5, 6}}
print(#x, x[2][3], x[-1]:sum():item(), (x * 2 - 1):sum():item())
x[1] = 0
print(x)]=],
     out = [=[2	6.0	15.0	36.0
tensor([[0.0000, 0.0000, 0.0000],
        [4.0000, 5.0000, 6.0000]], float32 [2,3])]=]},

    -- ------------------------------------------------------------ queries
    {"Tensor:shape", "t:shape([dim]) -> {d1, d2, ...} | integer",
     "The shape as a new Lua array ({} for a 0-dim tensor); with dim, the size of that dim " ..
     "(the same function as size). Print it with `table.concat(t:shape(), \"x\")`.",
     ex = [=[print(table.concat(m1d.zeros(2, 3, 4):shape(), "x"), #m1d.tensor(5):shape())]=],
     out = [=[2x3x4	0]=]},
    {"Tensor:size", "t:size([dim]) -> integer | {d1, d2, ...}",
     "The size of dim (1-based, negative from the end; an error when out of range), or " ..
     "without dim the shape as a Lua array (as shape()).",
     ex = [=[local x = m1d.zeros(2, 3)
print(x:size(1), x:size(-1), table.concat(x:size(), "x"))]=],
     out = [=[2	3	2x3]=]},
    {"Tensor:dim", "t:dim() -> integer",
     "The number of dims (0 for a scalar tensor such as the result of sum()).",
     ex = [=[print(m1d.zeros(2, 3):dim(), m1d.zeros(2, 3):sum():dim())]=],
     out = [=[2	0]=]},
    {"Tensor:numel", "t:numel() -> integer",
     "The number of elements (1 for a 0-dim tensor, 0 when a dim is 0). `#t` is the size " ..
     "of dim 1, not numel.",
     ex = [=[local x = m1d.zeros(2, 3)
print(x:numel(), #x, m1d.zeros(0, 3):numel())]=],
     out = [=[6	2	0]=]},
    {"Tensor:dtype", "t:dtype() -> \"float32\" | \"float64\" | \"int64\"",
     "The element type as a string.",
     ex = [=[print(m1d.zeros(2):dtype(), m1d.zeros(2, "float64"):dtype(), m1d.arange(3, "int64"):dtype())]=],
     out = [=[float32	float64	int64]=]},
    {"Tensor:item", "t:item() -> number",
     "The value of a tensor with exactly one element (any shape) as a Lua number: an " ..
     "integer for int64, a float otherwise (a float32 value widened to double, so 0.1 " ..
     "shows as 0.10000000149012). Raises for any other number of elements.",
     ex = [=[print(m1d.tensor{1, 2, 3}:sum():item(), m1d.tensor({{7}}, "int64"):item())]=],
     out = [=[6.0	7]=]},
    {"Tensor:totable", "t:totable() -> table | number",
     "The values as nested Lua arrays (one level per dim; integers for int64); a 0-dim " ..
     "tensor gives a number.",
     ex = [=[local r = m1d.tensor({{1, 2}, {3, 4}}, "int64"):totable()
print(#r, r[2][1], m1d.tensor(5):totable())]=],
     out = [=[2	3	5.0]=]},
    {"Tensor:is_contiguous", "t:is_contiguous() -> boolean",
     "Whether the elements lie row-major without gaps in the storage (transposed, " ..
     "narrowed along an inner dim or expanded views are not).",
     ex = [=[local x = m1d.zeros(2, 3)
print(x:is_contiguous(), x:t():is_contiguous(), x:t():contiguous():is_contiguous())]=],
     out = [=[true	false	true]=]},
    {"Tensor:storage_id", "t:storage_id() -> string",
     "An identifier of the storage (its address, e.g. \"0x55d0c3a0\"): equal for tensors " ..
     "that share storage (views), so it tells a view from a copy. Only meaningful while " ..
     "the tensors are alive.",
     ex = [=[local x = m1d.zeros(2, 3)
print(x:t():storage_id() == x:storage_id(), x:clone():storage_id() == x:storage_id())]=],
     out = [=[true	false]=]},
    {"Tensor:getflat", "t:getflat(i) -> number",
     "Element i (1..numel) in the row-major order of t's shape (also for non-contiguous " ..
     "views: the order of t as it looks, not of its storage); an integer for int64. " ..
     "Raises when i is out of range. Not recorded by autograd (gradcheck uses it).",
     ex = [=[local x = m1d.arange(6):reshape(2, 3)
print(x:getflat(2), x:t():getflat(2))]=],
     out = [=[1.0	3.0]=]},
    {"Tensor:setflat", "t:setflat(i, v)",
     "Set element i (1..numel, row-major order of t's shape) to the number v, in place " ..
     "(through a view it changes the shared storage). Raises when i is out of range or v " ..
     "cannot be stored in an int64 tensor (NaN, inf, beyond 2^63). Returns nothing, " ..
     "records nothing for autograd and does not check requires_grad.",
     ex = [=[local x = m1d.zeros(2, 2)
x:setflat(4, 7)
print(x:sum():item(), x[2][2])]=],
     out = [=[7.0	7.0]=]},
    {"Tensor:type", "t:type([dtype]) -> Tensor",
     "t converted to dtype: \"float32\", \"float64\", \"int64\" or their aliases \"float\", " ..
     "\"double\", \"long\"; another name raises. Without dtype, or when t already has it, " ..
     "t itself (no copy). Same as float/double/long.",
     ex = [=[print(m1d.tensor{1.5, -2.5}:type("long"), m1d.zeros(1):type("double"):dtype())]=],
     out = [=[tensor([ 1, -2], int64 [2])	float64]=]},
    {"Tensor:is_leaf", "t:is_leaf() -> boolean",
     "True unless t was computed by a recorded operation (it has a grad_fn): tensors made " ..
     "by the constructors, parameters, and results computed without grad are leaves.",
     ex = [=[local w = m1d.ones(2):requires_grad()
print(w:is_leaf(), (w * 2):is_leaf(), m1d.ones(2):is_leaf())]=],
     out = [=[true	false	true]=]},
    {"Tensor:grad_fn", "t:grad_fn() -> string | nil",
     "The name of the operation that recorded t (\"matmul\", \"reshape\", ...), or nil for " ..
     "a leaf. Several ops are recorded under the op they are built from (t * 2 is " ..
     "\"affine\", sum() is \"reshape\").",
     ex = [=[local w = m1d.ones(2):requires_grad()
print((w * w):grad_fn(), w:exp():grad_fn(), w:grad_fn())]=],
     out = [=[mul	exp	nil]=]},
    {"Tensor:is_requiring_grad", "t:is_requiring_grad() -> boolean",
     "Whether t takes part in autograd: a leaf marked with requires_grad, or a result " ..
     "recorded from one. Comparisons, sign, argmax and int64 results never do.",
     ex = [=[local w = m1d.ones(2):requires_grad()
print(w:is_requiring_grad(), w:exp():is_requiring_grad(), w:gt(0):is_requiring_grad())]=],
     out = [=[true	true	false]=]},
    {"Tensor:requires_grad_", "t:requires_grad_([flag = true]) -> t",
     "The same function as requires_grad (torch's spelling): marks the leaf t for " ..
     "gradients, or unmarks it with false, and returns t itself. Raises for an int64 " ..
     "tensor and for turning it off on a non-leaf (use detach()); on a non-leaf, true " ..
     "does nothing.",
     ex = [=[local v = m1d.ones(2)
print(rawequal(v:requires_grad_(), v), v:is_requiring_grad(), v:requires_grad_(false):is_requiring_grad())]=],
     out = [=[true	true	false]=]},

    -- ------------------------------------------------------------ views and shapes
    {"Tensor:reshape", "t:reshape(d1, d2, ... | {d1, d2, ...}) -> Tensor",
     "The same elements in row-major order with a new shape; one size may be -1 (inferred). " ..
     "A view sharing storage when the strides allow it, else a copy (so writes to the " ..
     "result may or may not reach t; use view to be sure). Raises when the sizes do not " ..
     "multiply to numel. Differentiable.",
     ex = [=[local x = m1d.arange(6):reshape(2, 3)
print(table.concat(x:reshape{3, -1}:shape(), "x"), x:reshape(6):storage_id() == x:storage_id())
print(x:t():reshape(6))]=],
     out = [=[3x2	true
tensor([0.0000, 3.0000, 1.0000, 4.0000, 2.0000, 5.0000], float32 [6])]=]},
    {"Tensor:view", "t:view(d1, d2, ... | {d1, d2, ...}) -> Tensor",
     "Like reshape, but never copies: the result always shares t's storage. When t's " ..
     "strides do not allow the new shape (e.g. a transposed tensor flattened), it raises " ..
     "an error pointing to reshape or contiguous(); a wrong total size raises reshape's " ..
     "error (\"reshape: cannot reshape ...\"). Differentiable.",
     ex = [=[local x = m1d.arange(6):reshape(2, 3)
print(x:view(3, 2):storage_id() == x:storage_id(), (pcall(x.view, x:t(), 6)))]=],
     out = [=[true	false]=]},
    {"Tensor:flatten", "t:flatten([start_dim = 1]) -> Tensor",
     "Merge dims start_dim..last into one (a view when the strides allow, else a copy, as " ..
     "reshape); a 0-dim tensor becomes shape {1}. There is no end_dim.",
     ex = [=[local x = m1d.zeros(2, 3, 4)
print(table.concat(x:flatten():shape(), "x"), table.concat(x:flatten(2):shape(), "x"))]=],
     out = [=[24	2x12]=]},
    {"Tensor:t", "t:t() -> Tensor",
     "The transpose of a 2-D tensor (a view, not contiguous); raises for any other number " ..
     "of dims (use transpose or permute).",
     ex = [=[print(m1d.tensor{{1, 2, 3}}:t())]=],
     out = [=[tensor([[1.0000],
        [2.0000],
        [3.0000]], float32 [3,1])]=]},
    {"Tensor:transpose", "t:transpose(d1, d2) -> Tensor",
     "Swap dims d1 and d2 (1-based, negative from the end): a view sharing storage. " ..
     "Raises when a dim is out of range. Differentiable.",
     ex = [=[print(table.concat(m1d.zeros(2, 3, 4):transpose(1, -1):shape(), "x"))]=],
     out = [=[4x3x2]=]},
    {"Tensor:permute", "t:permute(d1, d2, ... | {d1, d2, ...}) -> Tensor",
     "Reorder the dims: dim k of the result is dim dk of t (a view). Needs exactly t:dim() " ..
     "dims forming a permutation, else raises.",
     ex = [=[print(table.concat(m1d.zeros(2, 3, 4):permute(3, 1, 2):shape(), "x"))]=],
     out = [=[4x2x3]=]},
    {"Tensor:narrow", "t:narrow(dim, start, length) -> Tensor",
     "Elements start..start+length-1 along dim (start 1-based; unlike select, a negative " ..
     "start is not counted from the end but raises), the other dims whole: a view sharing " ..
     "storage (writes reach t). Raises when the range leaves the dim. " ..
     "Differentiable.",
     ex = [=[print(m1d.arange(10):narrow(1, 3, 4))]=],
     out = [=[tensor([2.0000, 3.0000, 4.0000, 5.0000], float32 [4])]=]},
    {"Tensor:select", "t:select(dim, i) -> Tensor",
     "The slice at index i (1-based, negative from the end) of dim, with that dim removed " ..
     "(a view; a 1-D tensor gives a 0-dim tensor). `t[i]` is t:select(1, i) for tensors " ..
     "of 2 or more dims. Raises when i is out of range. Differentiable.",
     ex = [=[local x = m1d.tensor{{1, 2, 3}, {4, 5, 6}}
print(x:select(1, 2), x:select(2, -1))]=],
     out = [=[tensor([4.0000, 5.0000, 6.0000], float32 [3])	tensor([3.0000, 6.0000], float32 [2])]=]},
    {"Tensor:squeeze", "t:squeeze([dim]) -> Tensor",
     "Remove every dim of size 1, or only dim (then a dim whose size is not 1 is left as " ..
     "it is, without an error). A view.",
     ex = [=[local x = m1d.zeros(1, 3, 1)
print(table.concat(x:squeeze():shape(), "x"), table.concat(x:squeeze(1):shape(), "x"), table.concat(x:squeeze(2):shape(), "x"))]=],
     out = [=[3	3x1	1x3x1]=]},
    {"Tensor:unsqueeze", "t:unsqueeze(dim) -> Tensor",
     "Insert a dim of size 1 so that it becomes dim `dim` of the result: 1..t:dim()+1, " ..
     "negative from the end (-1 appends). A view.",
     ex = [=[local x = m1d.zeros(3)
print(table.concat(x:unsqueeze(1):shape(), "x"), table.concat(x:unsqueeze(-1):shape(), "x"))]=],
     out = [=[1x3	3x1]=]},
    {"Tensor:expand", "t:expand(d1, d2, ... | {d1, ...} | other) -> Tensor",
     "Broadcast t to a larger shape (or to the shape of the tensor other) without copying: " ..
     "dims of size 1 repeat with stride 0, new dims are added in front, -1 keeps a size. " ..
     "The result is not contiguous and its elements alias each other, so do not write " ..
     "into it. Raises when a size other than 1 would change. Differentiable (the gradient " ..
     "is summed back).",
     ex = [=[print(m1d.tensor{{1}, {2}}:expand(2, 3))]=],
     out = [=[tensor([[1.0000, 1.0000, 1.0000],
        [2.0000, 2.0000, 2.0000]], float32 [2,3])]=]},
    {"Tensor:flip", "t:flip(dim) -> Tensor",
     "The elements in reverse order along one dim: a new tensor (a copy, not a view). " ..
     "Exactly one dim. Differentiable.",
     ex = [=[print(m1d.tensor{{1, 2, 3}, {4, 5, 6}}:flip(2))]=],
     out = [=[tensor([[3.0000, 2.0000, 1.0000],
        [6.0000, 5.0000, 4.0000]], float32 [2,3])]=]},
    {"Tensor:contiguous", "t:contiguous() -> Tensor",
     "t itself (another handle to the same tensor) when it is row-major contiguous, else " ..
     "a contiguous copy (recorded as clone).",
     ex = [=[local x = m1d.zeros(2, 3)
print(x:contiguous():storage_id() == x:storage_id(), x:t():contiguous():storage_id() == x:storage_id())]=],
     out = [=[true	false]=]},
    {"Tensor:clone", "t:clone() -> Tensor",
     "A contiguous copy with its own storage and the same dtype; recorded by autograd (the " ..
     "gradient flows back to t).",
     ex = [=[local x = m1d.ones(2)
local c = x:clone()
c:fill_(5)
print(x:sum():item(), c:sum():item())]=],
     out = [=[2.0	10.0]=]},
    {"Tensor:float", "t:float() | t:double() | t:long() -> Tensor",
     "t converted to float32, float64 or int64: a new tensor, or t itself when it already " ..
     "has that dtype. long() truncates toward zero; NaN, inf and values beyond int64 are " ..
     "not checked (they become -9223372036854775808). Float-to-float conversions are " ..
     "differentiable; long() cuts the graph.",
     also = {"Tensor:double", "Tensor:long"},
     ex = [=[local x = m1d.tensor{1.7, -1.7}
print(x:long(), x:double():dtype(), x:float():storage_id() == x:storage_id())]=],
     out = [=[tensor([ 1, -1], int64 [2])	float64	true]=]},

    -- ------------------------------------------------------------ arithmetic
    {"Tensor:add", "t:add(u) -> Tensor   (also t + u, u + t)",
     "Elementwise sum; u is a tensor (NumPy broadcasting; dtypes promote int64 < float32 " ..
     "< float64) or a number (the result keeps t's dtype: on int64 the sum is truncated " ..
     "toward zero). There is no alpha argument: a third argument raises, here and in every " ..
     "binary op (for torch's add(u, alpha = a) write t + a * u; add_ takes the factor). " ..
     "Raises when the shapes do not broadcast. Differentiable.",
     ex = [=[local x = m1d.tensor{{1, 2, 3}, {4, 5, 6}}
print(x:add(m1d.tensor{10, 20, 30}):sum(1), (m1d.tensor({1, 2}, "int64") + 0.5))]=],
     out = [=[tensor([25.0000, 47.0000, 69.0000], float32 [3])	tensor([1, 2], int64 [2])]=]},
    {"Tensor:sub", "t:sub(u) -> Tensor   (also t - u, u - t)",
     "Elementwise difference, with add's rules for tensors, numbers, broadcasting and " ..
     "dtypes. Differentiable.",
     ex = [=[print(m1d.tensor{5, 7}:sub(1), 10 - m1d.tensor{1, 2})]=],
     out = [=[tensor([4.0000, 6.0000], float32 [2])	tensor([9.0000, 8.0000], float32 [2])]=]},
    {"Tensor:mul", "t:mul(u) -> Tensor   (also t * u, u * t)",
     "Elementwise product (not the matrix product: see matmul), with add's rules for " ..
     "tensors, numbers, broadcasting and dtypes; an int64 tensor times a fraction is " ..
     "truncated. Differentiable.",
     ex = [=[print(m1d.tensor{{1}, {2}}:mul(m1d.tensor{1, 10}))]=],
     out = [=[tensor([[ 1.0000, 10.0000],
        [ 2.0000, 20.0000]], float32 [2,2])]=]},
    {"Tensor:div", "t:div(u) -> Tensor   (also t / u, u / t)",
     "Elementwise quotient, with add's rules. Two int64 tensors divide as C integers " ..
     "(truncated toward zero: -7 / 2 = -3) and a zero divisor raises; an int64 tensor " ..
     "divided by a number is computed in double and truncated (dividing by 0 gives " ..
     "-9223372036854775808, unchecked). Float division by zero gives inf or nan. " ..
     "Differentiable.",
     ex = [=[print(m1d.tensor{1, 2}:div(4), m1d.tensor({-7, 7}, "int64") / m1d.tensor({2, 2}, "int64"))]=],
     out = [=[tensor([0.2500, 0.5000], float32 [2])	tensor([-3,  3], int64 [2])]=]},
    {"Tensor:neg", "t:neg() -> Tensor   (also -t)",
     "Elementwise negation (int64 too). Differentiable.",
     ex = [=[print(m1d.tensor({1, -2}, "int64"):neg())]=],
     out = [=[tensor([-1,  2], int64 [2])]=]},
    {"Tensor:pow", "t:pow(p) -> Tensor   (also t ^ p, c ^ t)",
     "Elementwise power; p a number or a tensor (broadcast). Float tensors only (int64 " ..
     "raises). A negative base with a fractional exponent gives nan. Differentiable in " ..
     "base and exponent.",
     ex = [=[local x = m1d.tensor{1, 2, 3}
print(x:pow(2), 2 ^ x)]=],
     out = [=[tensor([1.0000, 4.0000, 9.0000], float32 [3])	tensor([2.0000, 4.0000, 8.0000], float32 [3])]=]},
    {"Tensor:maximum", "t:maximum(u) -> Tensor",
     "Elementwise larger of t and u (a tensor, broadcast, or a number), with add's dtype " ..
     "rules; also m1d.maximum(a, b). Differentiable: the gradient goes to the larger, half to " ..
     "each where they are equal (as torch).",
     ex = [=[print(m1d.tensor{1, 5}:maximum(m1d.tensor{3, 2}), m1d.tensor{-1, 2}:maximum(0))]=],
     out = [=[tensor([3.0000, 5.0000], float32 [2])	tensor([0.0000, 2.0000], float32 [2])]=]},
    {"Tensor:minimum", "t:minimum(u) -> Tensor",
     "Elementwise smaller of t and u (a tensor, broadcast, or a number); also " ..
     "m1d.minimum(a, b). Differentiable: the gradient goes to the smaller, half to each on ties.",
     ex = [=[print(m1d.tensor{1, 5}:minimum(m1d.tensor{3, 2}))]=],
     out = [=[tensor([1.0000, 2.0000], float32 [2])]=]},

    -- ------------------------------------------------------------ in place
    {"Tensor:add_", "t:add_(u [, alpha = 1]) -> t",
     "t += alpha * u in place, u a tensor broadcast to t's shape, or a number (then alpha " ..
     "is ignored); an int64 t keeps int64 (truncated). Writes through views into the " ..
     "shared storage. Not recorded; raises when t requires grad and grad mode is on " ..
     "(do it inside m1d.no_grad or on t:detach()), or when u does not broadcast to t.",
     ex = [=[local x = m1d.zeros(2, 3)
x:add_(m1d.tensor{1, 2, 3}, 10)
x:select(1, 1):add_(1)
print(x)]=],
     out = [=[tensor([[11.0000, 21.0000, 31.0000],
        [10.0000, 20.0000, 30.0000]], float32 [2,3])]=]},
    {"Tensor:mul_", "t:mul_(u) -> t",
     "t *= u in place, u a tensor broadcast to t's shape or a number; the other rules of " ..
     "add_ (no autograd, refuses a tensor requiring grad in grad mode).",
     ex = [=[local x = m1d.ones(2, 2)
x:mul_(m1d.tensor{{3}, {0}})
print(x)]=],
     out = [=[tensor([[3.0000, 3.0000],
        [0.0000, 0.0000]], float32 [2,2])]=]},
    {"Tensor:fill_", "t:fill_(v) -> t",
     "Set every element of t to the number v, in place (through a view: only the viewed " ..
     "elements). For int64, v is truncated, and NaN, inf or |v| >= 2^63 raise. Refuses a " ..
     "tensor that requires grad while grad mode is on.",
     ex = [=[local x = m1d.zeros(2, 3)
x:narrow(2, 2, 1):fill_(7)
print(x)]=],
     out = [=[tensor([[0.0000, 7.0000, 0.0000],
        [0.0000, 7.0000, 0.0000]], float32 [2,3])]=]},
    {"Tensor:zero_", "t:zero_() -> t",
     "Set every element to 0 in place; refuses a tensor that requires grad while grad " ..
     "mode is on.",
     ex = [=[local x = m1d.ones(3)
print(rawequal(x:zero_(), x), x:sum():item())]=],
     out = [=[true	0.0]=]},
    {"Tensor:copy_", "t:copy_(u) -> t",
     "Copy the values of the tensor u into t in place, u broadcast to t's shape and " ..
     "converted to t's dtype. Raises when u does not broadcast to t's shape; refuses a " ..
     "tensor that requires grad while grad mode is on. Not recorded by autograd.",
     ex = [=[local x = m1d.zeros(2, 2)
x:copy_(m1d.tensor({1, 2}, "int64"))
print(x)]=],
     out = [=[tensor([[1.0000, 2.0000],
        [1.0000, 2.0000]], float32 [2,2])]=]},

    -- ------------------------------------------------------------ elementwise
    {"Tensor:exp", "t:exp() | t:log() | t:sqrt() | t:erf() -> Tensor",
     "Elementwise exp, natural log, square root and error function, in t's float dtype " ..
     "(float32 exp is an inlined polynomial, within 1.4 ulp of exp). int64 tensors raise (use " ..
     ":float()); log of 0 is -inf, log and sqrt of a negative number nan. Differentiable " ..
     "to any order.",
     also = {"Tensor:log", "Tensor:sqrt", "Tensor:erf"},
     ex = [=[local x = m1d.tensor{1, 4}
print(x:sqrt(), x:log():exp(), m1d.tensor(0):erf():item())]=],
     out = [=[tensor([1.0000, 2.0000], float32 [2])	tensor([1.0000, 4.0000], float32 [2])	0.0]=]},
    {"Tensor:abs", "t:abs() -> Tensor",
     "Elementwise absolute value (int64 too). Differentiable (gradient sign(t), 0 at 0).",
     ex = [=[print(m1d.tensor({-2, 3}, "int64"):abs())]=],
     out = [=[tensor([2, 3], int64 [2])]=]},
    {"Tensor:sign", "t:sign() -> Tensor",
     "Elementwise -1, 0 or 1 in t's dtype (int64 too). Not differentiable: the result " ..
     "never requires grad.",
     ex = [=[print(m1d.tensor{-2, 0, 0.5}:sign())]=],
     out = [=[tensor([-1.0000,  0.0000,  1.0000], float32 [3])]=]},
    {"Tensor:relu", "t:relu() | t:tanh() | t:sigmoid() | t:gelu() | t:silu() | t:swish() -> Tensor",
     "Elementwise activations in t's float dtype: relu max(x, 0); tanh; sigmoid " ..
     "1/(1+e^-x); gelu the exact form x*Phi(x) with erf (PyTorch's default, not the tanh " ..
     "approximation); silu x*sigmoid(x), of which swish is another name. int64 tensors " ..
     "raise. tanh, sigmoid, gelu and silu are differentiable to any order; relu's " ..
     "gradient is the step (x > 0), which is not differentiated further.",
     also = {"Tensor:tanh", "Tensor:sigmoid", "Tensor:gelu", "Tensor:silu", "Tensor:swish"},
     ex = [=[local x = m1d.tensor{-1, 0, 2}
print(x:relu(), x:sigmoid()[2], x:tanh()[2])]=],
     out = [=[tensor([0.0000, 0.0000, 2.0000], float32 [3])	0.5	0.0]=]},
    {"Tensor:elu", "t:elu([alpha = 1]) -> Tensor",
     "Elementwise x for x > 0, alpha*(e^x - 1) otherwise. Float tensors only. " ..
     "Differentiable to any order.",
     ex = [=[print(m1d.tensor{-1, 2}:elu(2))]=],
     out = [=[tensor([-1.2642,  2.0000], float32 [2])]=]},
    {"Tensor:softplus", "t:softplus([beta = 1 [, threshold = 20]]) -> Tensor",
     "Elementwise log(1 + e^(beta*x))/beta, and x itself where beta*x > threshold (as " ..
     "torch). Float tensors only. Differentiable to any order.",
     ex = [=[print(m1d.tensor{0, 30}:softplus())]=],
     out = [=[tensor([ 0.6931, 30.0000], float32 [2])]=]},
    {"Tensor:clamp", "t:clamp([lo [, hi]]) -> Tensor",
     "Elementwise min(max(x, lo), hi); a missing or nil bound is no bound " ..
     "(t:clamp(nil, 0)). Raises when lo > hi. Works on int64. Differentiable (gradient 1 " ..
     "inside [lo, hi], 0 outside).",
     ex = [=[local x = m1d.tensor{-2, 0.5, 2}
print(x:clamp(-1, 1), x:clamp(0))]=],
     out = [=[tensor([-1.0000,  0.5000,  1.0000], float32 [3])	tensor([0.0000, 0.5000, 2.0000], float32 [3])]=]},
    {"Tensor:sin", "t:sin() -> Tensor",
     "Elementwise sine (radians), in t's float dtype; int64 tensors raise. Differentiable " ..
     "to any order (gradient cos(t)).",
     ex = [=[local x = m1d.tensor{0, math.pi / 2}
print(x:sin(), x:cos())]=],
     out = [=[tensor([0.0000, 1.0000], float32 [2])	tensor([ 1.0000e+00, -4.3711e-08], float32 [2])]=]},
    {"Tensor:cos", "t:cos() -> Tensor",
     "Elementwise cosine (radians), in t's float dtype; int64 tensors raise. Differentiable " ..
     "to any order (gradient -sin(t)).",
     ex = [=[print(m1d.tensor({0, math.pi}, "float64"):cos())]=],
     out = [=[tensor([ 1.0000, -1.0000], float64 [2])]=]},
    {"Tensor:log1p", "t:log1p() -> Tensor",
     "Elementwise log(1 + t), exact for small t where log(1 + t) rounds 1 + t first; " ..
     "float dtypes only. Differentiable to any order (gradient 1 / (1 + t)).",
     ex = [=[print(m1d.tensor({1e-10, 1}, "float64"):log1p())]=],
     out = [=[tensor([1.0000e-10, 6.9315e-01], float64 [2])]=]},
    {"Tensor:expm1", "t:expm1() -> Tensor",
     "Elementwise e^t - 1, exact for small t; float dtypes only. Differentiable to any " ..
     "order (gradient e^t, from the output: expm1(t) + 1).",
     ex = [=[print(m1d.tensor({1e-10, 1}, "float64"):expm1())]=],
     out = [=[tensor([1.0000e-10, 1.7183e+00], float64 [2])]=]},
    {"Tensor:floor", "t:floor() -> Tensor",
     "Elementwise largest integer <= t, in t's float dtype (int64 tensors raise). Its " ..
     "gradient is zero (as torch.floor's): the result requires grad when t does, and " ..
     "gradients through it vanish.",
     ex = [=[local x = m1d.tensor({0.25, -1.75}, "float64"):requires_grad()
print(x:floor(), m1d.grad(x:floor():sum(), x))]=],
     out = [=[tensor([ 0.0000, -2.0000], float64 [2], grad_fn)	tensor([0.0000, 0.0000], float64 [2])]=]},
    {"Tensor:ceil", "t:ceil() -> Tensor",
     "Elementwise smallest integer >= t, in t's float dtype (int64 tensors raise). Zero " ..
     "gradient, as floor.",
     ex = [=[print(m1d.tensor{-1.5, 0.5}:ceil())]=],
     out = [=[tensor([-1.0000,  1.0000], float32 [2])]=]},
    {"Tensor:round", "t:round() -> Tensor",
     "Elementwise nearest integer, halves to the even one (as torch.round: 0.5 -> 0, " ..
     "2.5 -> 2, -1.5 -> -2), in t's float dtype (int64 tensors raise). Zero gradient, as floor.",
     ex = [=[print(m1d.tensor{-1.5, 0.5, 1.5, 2.5}:round())]=],
     out = [=[tensor([-2.0000,  0.0000,  2.0000,  2.0000], float32 [4])]=]},

    -- ------------------------------------------------------------ comparisons
    {"Tensor:eq", "t:eq(u) | t:ne(u) | t:lt(u) | t:le(u) | t:gt(u) | t:ge(u) -> Tensor",
     "Elementwise ==, ~=, <, <=, >, >= against a tensor (broadcast) or a number: a mask " ..
     "of 1 where it holds and 0 elsewhere, in the (promoted) dtype of the operands, not " ..
     "a boolean type. Never requires grad. The operators `==` and `<` on tensors compare " ..
     "the Lua objects instead (`<` raises).",
     also = {"Tensor:ne", "Tensor:lt", "Tensor:le", "Tensor:gt", "Tensor:ge"},
     ex = [=[local x = m1d.tensor{1, 2, 3}
print(x:gt(1), x:eq(m1d.tensor{1, 0, 3}):sum():item())]=],
     out = [=[tensor([0.0000, 1.0000, 1.0000], float32 [3])	2.0]=]},

    -- ------------------------------------------------------------ reductions
    {"Tensor:sum", "t:sum([dim [, keepdim = false]]) -> Tensor",
     "The sum of all elements as a 0-dim tensor (use :item() for the number), or along " ..
     "dim (removed, or kept with size 1 when keepdim). keepdim is ignored without dim " ..
     "(t:sum(nil, true) is 0-dim). int64 sums stay int64. The sum of an empty tensor is " ..
     "0. Differentiable.",
     ex = [=[local x = m1d.tensor{{1, 2, 3}, {4, 5, 6}}
print(x:sum():item(), x:sum(1), table.concat(x:sum(2, true):shape(), "x"))]=],
     out = [=[21.0	tensor([5.0000, 7.0000, 9.0000], float32 [3])	2x1]=]},
    {"Tensor:mean", "t:mean([dim [, keepdim = false]]) -> Tensor",
     "The mean of all elements (0-dim), or along dim (as sum). Float tensors only (int64 " ..
     "raises: use :float()). The mean of an empty tensor is nan. Differentiable.",
     ex = [=[local x = m1d.tensor{{1, 2, 3}, {4, 5, 6}}
print(x:mean():item(), x:mean(2))]=],
     out = [=[3.5	tensor([2.0000, 5.0000], float32 [2])]=]},
    {"Tensor:var", "t:var([dim [, keepdim = false [, unbiased = true]]]) -> Tensor",
     "The variance of all elements (0-dim; pass nil as dim to reach the later arguments), " ..
     "or along dim. unbiased divides by n - 1 (the default, as torch) and raises for " ..
     "fewer than 2 elements; unbiased = false divides by n. keepdim is ignored without " ..
     "dim. Float tensors only. Differentiable to any order.",
     ex = [=[local x = m1d.tensor{{1, 3}, {5, 7}}
print(x:var(2), x:var(nil, false, false):item())]=],
     out = [=[tensor([2.0000, 2.0000], float32 [2])	5.0]=]},
    {"Tensor:std", "t:std([dim [, keepdim = false [, unbiased = true]]]) -> Tensor",
     "The square root of var with the same arguments and errors. Differentiable; where " ..
     "the standard deviation is 0 its gradient is 0 (as PyTorch), not nan, and so are the " ..
     "higher orders (torch 1.13's second order there is nan).",
     ex = [=[print(m1d.tensor{1, 3}:std():item(), m1d.tensor{1, 3}:std(1, false, false):item())]=],
     out = [=[1.4142135381699	1.0]=]},
    {"Tensor:max", "t:max() -> Tensor   |   t:max(dim [, keepdim = false]) -> values, indices",
     "Without dim: the largest element as a 0-dim tensor (one result). With dim: two " ..
     "tensors, the maxima along dim and their 1-based int64 indices (the first one on " ..
     "ties). Any dtype; an empty tensor raises. Differentiable in the values, on ties as " ..
     "torch 1.13: without dim the gradient is shared evenly among all the maxima; with dim " ..
     "it goes to the returned (first) index.",
     ex = [=[local x = m1d.tensor{{1, 5, 3}, {4, 2, 6}}
local v, i = x:max(2)
print(x:max():item(), v, i)]=],
     out = [=[6.0	tensor([5.0000, 6.0000], float32 [2])	tensor([2, 3], int64 [2])]=]},
    {"Tensor:min", "t:min() -> Tensor   |   t:min(dim [, keepdim = false]) -> values, indices",
     "As max, for the smallest element: one 0-dim tensor without dim, values and 1-based " ..
     "int64 indices with dim; gradients on ties as max's.",
     ex = [=[local v, i = m1d.tensor{{1, 5, 3}, {4, 2, 6}}:min(1)
print(v, i)]=],
     out = [=[tensor([1.0000, 2.0000, 3.0000], float32 [3])	tensor([1, 2, 1], int64 [3])]=]},
    {"Tensor:argmax", "t:argmax([dim [, keepdim = false]]) -> Tensor (int64)",
     "1-based indices of the maxima along dim (the first on ties), as int64; without dim " ..
     "the 0-dim flat index (1..numel, row-major) of the largest element. Not " ..
     "differentiable. Beware the offset: labels are 0-based (digits 0..9), so " ..
     "`logits:argmax(2):eq(y)` is silently wrong; use nn.predict(logits) (= argmax(2) - 1) " ..
     "to get labels.",
     ex = [=[local x = m1d.tensor{{1, 5, 3}, {4, 2, 6}}
print(x:argmax(2), x:argmax():item())]=],
     out = [=[tensor([2, 3], int64 [2])	6]=]},
    {"Tensor:argmin", "t:argmin([dim [, keepdim = false]]) -> Tensor (int64)",
     "As argmax, for the smallest element (1-based, first on ties).",
     ex = [=[print(m1d.tensor{{1, 5, 3}, {4, 2, 6}}:argmin(2), m1d.tensor{3, 1, 1}:argmin():item())]=],
     out = [=[tensor([1, 2], int64 [2])	2]=]},
    {"Tensor:logsumexp", "t:logsumexp(dim [, keepdim = false]) -> Tensor",
     "log(sum(exp(t))) along dim, computed stably (the maximum is subtracted first; an " ..
     "infinite maximum is not, so a slice of -inf gives -inf and one holding +inf gives " ..
     "+inf, as PyTorch). dim is required. Float tensors only. Differentiable to any order.",
     ex = [=[print(m1d.tensor{{0, 0}, {1, 1}}:logsumexp(2))]=],
     out = [=[tensor([0.6931, 1.6931], float32 [2])]=]},
    {"Tensor:cumsum", "t:cumsum(dim) -> Tensor",
     "Cumulative sums along dim (required): element i is the sum of elements 1..i, same " ..
     "shape as t; also m1d.cumsum(t, dim). Float sums run in double (as sum); int64 stays " ..
     "int64, exact. Differentiable to any order (the gradient is the cumulative sum of the " ..
     "upstream gradient taken from the other end).",
     ex = [=[print(m1d.tensor{{1, 2, 3}, {4, 5, 6}}:cumsum(2))]=],
     out = [=[tensor([[ 1.0000,  3.0000,  6.0000],
        [ 4.0000,  9.0000, 15.0000]], float32 [2,3])]=]},
    {"Tensor:sort", "t:sort([dim = -1 [, descending = false]]) -> values, indices",
     "The elements sorted along dim, and their 1-based int64 positions in t. Stable, as " ..
     "torch.sort(stable = true): equal elements keep their index order, ascending and " ..
     "descending alike (the earlier index comes first); NaN sorts above every number (last " ..
     "ascending, first descending). Any dtype (int64 compared exactly); O(n log n) merge sort " ..
     "per slice. Differentiable in the values: the gradient goes back to the positions the " ..
     "values came from, to any order.",
     ex = [=[local v, i = m1d.tensor{3, 1, 2, 1}:sort()
print(v, i)
local x = m1d.tensor{{3, 1, 2, 1}}:requires_grad()
local w = x:sort(2, true)
print(w, m1d.grad((w * m1d.tensor{{1, 2, 3, 4}}):sum(), {x})[1])]=],
     out = [=[tensor([1.0000, 1.0000, 2.0000, 3.0000], float32 [4])	tensor([2, 4, 3, 1], int64 [4])
tensor([[3.0000, 2.0000, 1.0000, 1.0000]], float32 [1,4], grad_fn)	tensor([[1.0000, 3.0000, 2.0000, 4.0000]], float32 [1,4])]=]},
    {"Tensor:topk", "t:topk(k [, dim = -1 [, largest = true]]) -> values, indices",
     "The k largest elements along dim (the k smallest with largest = false), sorted, and " ..
     "their 1-based int64 indices: the first k of t:sort(dim, largest), so ties go to the " ..
     "earlier index (torch.topk leaves their order unspecified). k must lie in 0..size of " ..
     "dim. Any dtype; differentiable in the values, as sort.",
     ex = [=[local v, i = m1d.tensor{{5, 1, 4}, {2, 9, 2}}:topk(2, 2)
print(v, i)]=],
     out = [=[tensor([[5.0000, 4.0000],
        [9.0000, 2.0000]], float32 [2,2])	tensor([[1, 3],
        [2, 1]], int64 [2,2])]=]},
    {"Tensor:norm", "t:norm([p = 2 [, dim [, keepdim = false]]]) -> Tensor",
     "The vector p-norm (sum |x|^p)^(1/p) of all elements (0-dim), or along dim; p any " ..
     "number > 0, or math.huge for max |x|. torch.linalg.vector_norm's semantics: the norm " ..
     "of an empty tensor is 0 (its max norm raises); keepdim is ignored without dim. Float " ..
     "tensors only. Differentiable to any order, with PyTorch's first-order gradient where " ..
     "the plain formula has none: 0 where the norm is 0 (and, for p < 1, at zero elements); " ..
     "for p = math.huge it is shared evenly among tied maxima of |x|. (At a zero norm torch's " ..
     "second-order gradient is NaN; m1d's stays 0.)",
     ex = [=[local x = m1d.tensor{{3, -4}, {0, 0}}
print(x:norm():item(), x:norm(2, 2), x:norm(1, 2), x:norm(math.huge):item())]=],
     out = [=[5.0	tensor([5.0000, 0.0000], float32 [2])	tensor([7.0000, 0.0000], float32 [2])	4.0]=]},
    {"Tensor:softmax", "t:softmax([dim = -1]) | t:log_softmax([dim = -1]) -> Tensor",
     "Softmax exp(x)/sum(exp(x)) along dim (the last by default), and its logarithm " ..
     "computed stably (for nll). Same shape as t. Float tensors only; a 0-dim tensor " ..
     "raises. Differentiable to any order.",
     also = {"Tensor:log_softmax"},
     ex = [=[local x = m1d.tensor{{0, 0}, {0, 1e9}}
print(x:softmax(), x:log_softmax()[1][1])]=],
     out = [=[tensor([[0.5000, 0.5000],
        [0.0000, 1.0000]], float32 [2,2])	-0.6931471824646]=]},

    -- ------------------------------------------------------------ indexing
    {"Tensor:index_select", "t:index_select(dim, idx) -> Tensor",
     "The slices of t at the 1-based indices idx along dim, in idx's order (repeats " ..
     "allowed): the result has #idx in place of t:size(dim). idx is a 1-D int64 tensor " ..
     "or a Lua array of integers; a float tensor, an index out of 1..size or an idx that " ..
     "is not 1-D raises. A copy. Differentiable in t.",
     ex = [=[local x = m1d.tensor{{1, 2, 3}, {4, 5, 6}}
print(x:index_select(2, m1d.tensor({3, 1}, "int64")), x:index_select(1, {2, 2}):sum():item())]=],
     out = [=[tensor([[3.0000, 1.0000],
        [6.0000, 4.0000]], float32 [2,2])	30.0]=]},
    {"Tensor:gather", "t:gather(dim, idx) -> Tensor",
     "out[i][j]... = t at the same position except that along dim the index is " ..
     "idx[i][j]... (1-based). idx is an int64 tensor or nested Lua arrays with as many " ..
     "dims as t and no larger than t outside dim; the result has idx's shape and t's " ..
     "dtype. Typical use: `logp:gather(2, labels:reshape(-1, 1) + 1)` picks each row's " ..
     "label (labels 0..9). Raises on indices out of range. Differentiable in t.",
     ex = [=[local x = m1d.tensor{{1, 2, 3}, {4, 5, 6}}
print(x:gather(2, {{3}, {1}}))]=],
     out = [=[tensor([[3.0000],
        [4.0000]], float32 [2,1])]=]},
    {"Tensor:scatter_add", "t:scatter_add(dim, idx, src) -> Tensor",
     "A copy of t with each element of src added at t's position whose index along dim " ..
     "is idx's (1-based) at the same place: the inverse of gather. idx (int64 tensor or " ..
     "nested Lua arrays) must have t's number of dims, no larger than t outside dim, and " ..
     "exactly src's shape. Repeated indices accumulate. t is not changed (not in place, " ..
     "despite torch's scatter_add_). The dtype promotes. Differentiable in t and src.",
     ex = [=[print(m1d.zeros(3):scatter_add(1, {1, 1, 3}, m1d.tensor{1, 2, 3}))]=],
     out = [=[tensor([3.0000, 0.0000, 3.0000], float32 [3])]=]},
    {"Tensor:index_add", "t:index_add(dim, idx, src) -> Tensor",
     "A copy of t with slice k of src along dim added to slice idx[k] (1-based) of t: the " ..
     "inverse of index_select. idx is 1-D (int64 tensor or Lua array) with #idx = " ..
     "src:size(dim); src has t's shape elsewhere. Repeated indices accumulate. t is not " ..
     "changed. With different dtypes the result has the promoted dtype (src is " ..
     "converted). Differentiable in t and src.",
     ex = [=[print(m1d.zeros(2, 3):index_add(1, {2, 2}, m1d.ones(2, 3)))]=],
     out = [=[tensor([[0.0000, 0.0000, 0.0000],
        [2.0000, 2.0000, 2.0000]], float32 [2,3])]=]},

    -- ------------------------------------------------------------ linear algebra, memory
    {"Tensor:matmul", "t:matmul(u) -> Tensor",
     "The matrix product on OpenBLAS: [m, k] x [k, n] -> [m, n]; with more dims the " ..
     "leading (batch) dims broadcast ([b, m, k] x [k, n] -> [b, m, n]). Both operands need " ..
     "at least 2 dims (reshape a vector to [k, 1]), the same float dtype (no promotion: " ..
     "float32 with float64 raises, int64 raises) and matching inner sizes. Also " ..
     "m1d.matmul(a, b). Differentiable to any order.",
     ex = [=[print(m1d.tensor{{1, 2}, {3, 4}}:matmul(m1d.tensor{{1}, {1}}), table.concat(m1d.zeros(5, 2, 3):matmul(m1d.zeros(3, 4)):shape(), "x"))]=],
     out = [=[tensor([[3.0000],
        [7.0000]], float32 [2,1])	5x2x4]=]},
    {"Tensor:bmm", "t:bmm(u) -> Tensor",
     "The batched product [B, n, k] x [B, k, m] -> [B, n, m], without broadcasting: " ..
     "m1d.bmm(t, u). Differentiable to any order.",
     ex = [=[print(table.concat(m1d.zeros(3, 2, 4):bmm(m1d.zeros(3, 4, 1)):shape(), "x"))]=],
     out = [=[3x2x1]=]},
    {"Tensor:release", "t:release()",
     "Drop this handle's reference now instead of at garbage collection (also what " ..
     "`local t <close> = ...` does at the end of the block). The storage is freed when no " ..
     "other tensor (a view, a graph node) still holds it. Afterwards t prints as " ..
     "tensor(released) and any method on it raises \"tensor was released\"; releasing " ..
     "twice is harmless.",
     ex = [=[local t = m1d.zeros(3)
local v = t:reshape(3, 1)
t:release()
print(t, v:sum():item())]=],
     out = [=[tensor(released)	0.0]=]},
  },
}
