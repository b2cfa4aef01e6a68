-- attention_test.lua — m1d.bmm and the batched matmul, nn.MultiheadAttention,
-- nn.TransformerEncoderLayer, nn.models.transformer and nn.models.mlp_bn: values and first-
-- and second-order derivatives against PyTorch 1.13 (the fixtures in
-- tests/fixtures/attention/, made by tools/make_attention_fixtures.py; tolerance
-- max|a - b| <= 1e-9 (1 + max|b|)), float64 gradient checks against central differences,
-- train-mode dropout, save/load, the transformer's permutation invariance without
-- positions, and bad input.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn = require "m1d.nn"

local F = "float64"
local TOL = 1e-9
local DIR = "tests/fixtures/attention/"
m1d.manual_seed(19)

local fixtures = dofile("tests/lua/fixtures.lua")(T, DIR)   -- every fixture must be compared
local load = fixtures.load
local function has(case, name)
  local f = io.open(DIR .. case .. "/" .. name .. ".npy")
  if f then f:close() end
  return f ~= nil
end
local function shape_str(t) return "[" .. table.concat(t:size(), ",") .. "]" end
local function maxdiff(a, b) return (a - b):abs():max():item() end

local compare = fixtures.compare

-- A fixture case: fn(inputs...) against out, grad_<input> for upstream gout and, when the
-- case has them, the second order ggrad_<input>, ggrad_gout of s = sum_i sum(grad_i * v_i).
local function torch_case(case, names, fn)
  return fixtures.torch_case(case, names, fn, {second = "when present"})
end

-- the parameter names of a module as the fixtures store them (torch's, "." -> "_")
local function param_names(mod)
  local _, names = mod:named_parameters()
  for i, n in ipairs(names) do names[i] = n:gsub("%.", "_") end
  return names
end
local function cat_out(out, w) return m1d.cat({out:reshape(-1), w:reshape(-1)}) end

-- ---------------------------------------------------------------- bmm, matmul

do
  torch_case("bmm", {"a", "b"}, function(a, b) return m1d.bmm(a, b) end)
  torch_case("matmul_4d", {"a", "b"}, function(a, b) return a:matmul(b) end)
  T.grad_orders("bmm", function(a, b) return a:bmm(b) end, {m1d.randn({2, 3, 4}, F), m1d.randn({2, 4, 2}, F)})
  T.grad_orders("bmm of transposed views", function(a, b) return m1d.bmm(a:transpose(2, 3), b:transpose(2, 3)) end,
                {m1d.randn({2, 4, 3}, F), m1d.randn({2, 2, 4}, F)})
  T.grad_orders("matmul [2,1,3,4] @ [3,4,2] (broadcast batch)", function(a, b) return a:matmul(b) end,
                {m1d.randn({2, 1, 3, 4}, F), m1d.randn({3, 4, 2}, F)})
  local a, b = m1d.randn(3, 5, 4), m1d.randn(3, 4, 6)
  local want = m1d.bmm(a:double(), b:double())
  local got = m1d.bmm(a, b)
  T.is(got:dtype(), "float32", "bmm keeps float32")
  T.close(maxdiff(got:double(), want), 0, 1e-5, "float32 bmm matches float64")
  for i = 1, 3 do
    T.close(maxdiff(got:select(1, i), a:select(1, i):matmul(b:select(1, i))), 0, 1e-6,
            ("bmm slice %d is the 2-D product"):format(i))
  end
  T.raises(function() m1d.bmm(m1d.randn(3, 4), m1d.randn(4, 5)) end, "bmm of 2-D",
           "bmm: needs 3-D operands [B, n, k] and [B, k, m], got [3,4] and [4,5]")
  T.raises(function() m1d.bmm(m1d.randn(2, 3, 4), m1d.randn(1, 4, 5)) end, "bmm batch mismatch",
           "bmm: batch sizes differ: [2,3,4] and [1,4,5]", "matmul does")
  T.raises(function() m1d.bmm(m1d.randn(2, 3, 4), m1d.randn(2, 3, 5)) end, "bmm inner mismatch",
           "bmm: shapes [2,3,4] and [2,3,5] are not aligned (4 != 3)")
  T.raises(function() m1d.bmm(m1d.randn(2, 3, 4), m1d.randn({2, 4, 5}, F)) end, "bmm dtypes", "bmm: dtypes differ")
  T.raises(function() m1d.bmm(m1d.zeros({2, 3, 4}, "int64"), m1d.zeros({2, 4, 5}, "int64")) end, "bmm int64", "bmm")
  T.raises(function() m1d.bmm(m1d.randn(2, 3, 4)) end, "bmm with one operand", "bmm")
end

-- ---------------------------------------------------------------- softmax's fused paths

-- the float32 row kernel (one exp per element, 8-lane max and sum) against float64, on
-- rows of 40 (attention's), 3 and 11 (tails); the fused first-order backward against the
-- composed rule that create_graph takes, in both dtypes and over a dim that is not last
do
  for _, len in ipairs{40, 3, 11, 1} do
    local x = m1d.randn({7, 5, len}, F) * 4
    local d = maxdiff(x:float():softmax(-1):double(), x:softmax(-1))
    T.ok(d < 3e-7, ("float32 softmax over rows of %d matches float64"):format(len), ("max|diff| %.3g"):format(d))
  end
  local edge = m1d.tensor({{-math.huge, 0, 1}, {-math.huge, -math.huge, -math.huge}})
  local e = edge:softmax(-1)
  T.ok(e:select(1, 1):select(1, 1):item() == 0 and e:select(1, 2):select(1, 1):item() ~= e:select(1, 2):select(1, 1):item(),
       "softmax: -inf gets 0, a row of -inf is NaN (as before)")
  for _, dt in ipairs{"float32", F} do
    for _, dim in ipairs{-1, 2} do
      local x = m1d.randn({4, 6, 40}, dt):requires_grad()
      local g = m1d.randn({4, 6, 40}, dt)
      local fused = m1d.grad({x:softmax(dim)}, {x}, {grad_outputs = {g}})[1]
      local composed = m1d.grad({x:softmax(dim)}, {x}, {grad_outputs = {g}, create_graph = true})[1]
      T.close(maxdiff(fused:detach(), composed:detach()), 0, dt == F and 1e-15 or 1e-7,
              ("softmax backward (%s, dim %d): the fused first order equals the composed rule"):format(dt, dim))
    end
  end
  local x = m1d.randn({3, 40}, F):requires_grad()
  local gt = m1d.randn({40, 3}, F):t()                 -- a non-contiguous upstream gradient
  local a = m1d.grad({x:softmax(-1)}, {x}, {grad_outputs = {gt}})[1]
  local b = m1d.grad({x:softmax(-1)}, {x}, {grad_outputs = {gt:contiguous()}, create_graph = true})[1]
  T.close(maxdiff(a, b:detach()), 0, 1e-15, "softmax backward with a transposed upstream gradient")
end

-- ---------------------------------------------------------------- MultiheadAttention

do
  m1d.manual_seed(1)
  local self_mha = nn.MultiheadAttention(6, 2):double():eval()
  local names = {"query"}
  for _, n in ipairs(param_names(self_mha)) do names[#names + 1] = n end
  T.is(table.concat(names, " "), "query in_proj_weight in_proj_bias out_proj_weight out_proj_bias",
       "MultiheadAttention's parameters in torch's order")
  torch_case("mha_self", names, function(q, ...)
    return cat_out(self_mha:apply({...}, q))
  end)

  local cross = nn.MultiheadAttention(6, 3, {batch_first = true}):double():eval()
  local am, kpm = load("mha_cross_masks", "attn_mask"), load("mha_cross_masks", "key_padding_mask")
  T.is(kpm:dtype(), "int64", "a boolean mask arrives as int64")
  names = {"query", "key", "value"}
  for _, n in ipairs(param_names(cross)) do names[#names + 1] = n end
  torch_case("mha_cross_masks", names, function(q, k, v, ...)
    return cat_out(cross:apply({...}, q, k, v, {attn_mask = am, key_padding_mask = kpm}))
  end)

  local causal = nn.MultiheadAttention(4, 2, {bias = false}):double():eval()
  local cm = load("mha_causal_unbatched_nobias", "attn_mask")
  names = {"query"}
  for _, n in ipairs(param_names(causal)) do names[#names + 1] = n end
  T.is(#names, 3, "bias = false: in_proj_weight and out_proj.weight only")
  torch_case("mha_causal_unbatched_nobias", names, function(q, ...)
    return cat_out(causal:apply({...}, q, q, q, {attn_mask = cm, average_attn_weights = false}))
  end)

  -- kdim/vdim: key and value of other sizes, projected by q/k/v_proj_weight (torch's
  -- separate weights, in its order) with the packed in_proj_bias
  local kv = nn.MultiheadAttention(6, 2, {kdim = 5, vdim = 3}):double():eval()
  local kv_kpm = load("mha_kdim_vdim", "key_padding_mask")
  names = {"query", "key", "value"}
  for _, n in ipairs(param_names(kv)) do names[#names + 1] = n end
  T.is(table.concat(names, " "), "query key value q_proj_weight k_proj_weight v_proj_weight in_proj_bias " ..
       "out_proj_weight out_proj_bias", "kdim/vdim: torch's separate projection weights, in its order")
  torch_case("mha_kdim_vdim", names, function(q, k, v, ...)
    return cat_out(kv:apply({...}, q, k, v, {key_padding_mask = kv_kpm}))
  end)
  local kv_bf = nn.MultiheadAttention(4, 2, {kdim = 2, vdim = 7, bias = false, batch_first = true}):double():eval()
  names = {"query", "key", "value"}
  for _, n in ipairs(param_names(kv_bf)) do names[#names + 1] = n end
  torch_case("mha_kdim_vdim_nobias_bf", names, function(q, k, v, ...) return cat_out(kv_bf:apply({...}, q, k, v)) end)
  local kv_q = m1d.randn({2, 3, 4}, F)
  T.grad_orders("MultiheadAttention kdim/vdim (key, value, k_proj_weight)", function(k, v, wk)
    local ps = kv_bf:parameters()
    ps[2] = wk
    return (kv_bf:apply(ps, kv_q, k, v))
  end, {m1d.randn({2, 5, 2}, F), m1d.randn({2, 5, 7}, F), kv_bf.k_proj_weight:detach():clone()})
  T.is(tostring(nn.MultiheadAttention(4, 2, {kdim = 3, vdim = 5})),
       "MultiheadAttention(4, heads 2, kdim 3, vdim 5)(\n" ..
       "  (q_proj_weight): parameter [4,4]\n  (k_proj_weight): parameter [4,3]\n  (v_proj_weight): parameter [4,5]\n" ..
       "  (in_proj_bias): parameter [12]\n  (out_proj): Linear(4 -> 4)  weight [4,4], bias [4]  (20 parameters)\n" ..
       ")  (80 parameters)", "kdim/vdim printed")
  m1d.manual_seed(3)
  local wide = nn.MultiheadAttention(40, 2, {kdim = 200, vdim = 10})
  local bound = math.sqrt(6 / 240)
  T.ok(wide.k_proj_weight:abs():max():item() <= bound and wide.k_proj_weight:abs():max():item() > 0.95 * bound,
       "k_proj_weight ~ xavier U(-sqrt(6/(E + kdim)), +)")
  T.ok(wide.in_proj_weight == nil and wide.in_proj_bias:abs():sum():item() == 0, "no in_proj_weight; bias zeros")
  T.raises(function() kv(m1d.randn({3, 2, 6}, F)) end, "self-attention with kdim 5",
           "MultiheadAttention: key must be [L, N, 5] ([N, L, 5] with batch_first) or unbatched [L, 5], got [3,2,6] (5 is kdim)")
  T.raises(function() nn.MultiheadAttention(6, 2, {kdim = 0}) end, "kdim 0", "MultiheadAttention: kdim must be")
  T.raises(function() nn.MultiheadAttention(6, 2, {vdim = 2.5}) end, "vdim 2.5", "MultiheadAttention: vdim must be")

  -- the output and the weights alone, and their layout
  for _, c in ipairs{{"mha_self", self_mha, {}}, {"mha_cross_masks", cross, {attn_mask = am, key_padding_mask = kpm}},
                     {"mha_causal_unbatched_nobias", causal, {attn_mask = cm, average_attn_weights = false}},
                     {"mha_kdim_vdim", kv, {key_padding_mask = kv_kpm}}, {"mha_kdim_vdim_nobias_bf", kv_bf, {}}} do
    local case, mod = c[1], c[2]
    local ps = {}
    for i, n in ipairs(param_names(mod)) do ps[i] = load(case, n) end
    local q = load(case, "query")
    local k = has(case, "key") and load(case, "key") or q
    local v = has(case, "value") and load(case, "value") or q
    local out, w = mod:apply(ps, q, k, v, c[3])
    compare(out, load(case, "attn_out"), case .. ": the output")
    compare(w, load(case, "attn_weights"), case .. ": the attention weights")
  end

  -- masks: an int64 mask is boolean (1 = not attended), the same as an additive -inf mask
  local x = m1d.randn({2, 3, 6}, F)
  local bmask = m1d.tensor({{0, 1, 1}, {0, 0, 1}, {0, 0, 0}}, "int64")
  local fmask = m1d.where(bmask, m1d.full({3, 3}, -math.huge, F), m1d.zeros({3, 3}, F))
  local mha = nn.MultiheadAttention(6, 2, {batch_first = true}):double()
  local o1, w1 = mha(x, x, x, {attn_mask = bmask})
  local o2, w2 = mha(x, x, x, {attn_mask = fmask})
  T.is(maxdiff(o1, o2) + maxdiff(w1, w2), 0.0, "a boolean mask equals the additive -inf mask")
  local row = w1:select(1, 1):select(1, 1)           -- batch 1, query 1: keys 2 and 3 masked
  T.is(row:select(1, 2):item() + row:select(1, 3):item(), 0.0,
       "masked keys get weight 0")
  T.close(maxdiff(w1:sum(3), m1d.ones({2, 3}, F)), 0, 1e-12, "the weights sum to 1 over the keys")
  local per_head = mha(x, x, x, {average_attn_weights = false})
  local _, w_avg = mha(x, x, x)
  T.is(table.concat(({mha(x, x, x, {average_attn_weights = false})})[2]:size(), "x"), "2x2x3x3",
       "average_attn_weights = false: [N, heads, L, S]")
  T.ok(m1d.is_tensor(per_head) and shape_str(w_avg) == "[2,3,3]", "averaged weights [N, L, S]")
  T.is(select("#", mha(x, x, x, {need_weights = false})), 2, "need_weights = false still returns two values")
  T.is(({mha(x, x, x, {need_weights = false})})[2], nil, "need_weights = false: the weights are nil")
  T.is(maxdiff(mha(x), mha(x, x, x)), 0.0, "key and value default to the query")
  T.grad_orders("MultiheadAttention (input and in_proj_weight, key padding)", function(q, w)
    local ps = mha:parameters()
    ps[1] = w
    return (mha:apply(ps, q, q, q, {key_padding_mask = m1d.tensor({{0, 0, 1}, {0, 0, 0}}, "int64")}))
  end, {m1d.randn({2, 3, 6}, F), mha.in_proj_weight:detach():clone()})

  -- train mode: dropout on the weights, a fresh mask each call, the shapes unchanged
  local drop = nn.MultiheadAttention(6, 2, {dropout = 0.5}):double()
  local xs = m1d.randn({4, 2, 6}, F)
  local a = drop(xs)
  local b = drop(xs)
  T.ok(maxdiff(a, b) > 0 and shape_str(a) == "[4,2,6]", "train mode: dropout on the weights, [L, N, E] out")
  drop:eval()
  T.is(maxdiff(drop(xs), drop(xs)), 0.0, "eval mode: deterministic")

  T.raises(function() nn.MultiheadAttention(6, 4) end, "E not divisible by heads",
           "MultiheadAttention: embed_dim 6 must be divisible by num_heads 4")
  T.raises(function() nn.MultiheadAttention(6, 2, {dropout = 2}) end, "dropout 2",
           "MultiheadAttention: dropout must be a number in [0, 1], got 2")
  T.raises(function() nn.MultiheadAttention(6, 2, {add_zero_attn = true}) end, "unknown option",
           "MultiheadAttention: unknown option 'add_zero_attn'")
  T.raises(function() mha(m1d.randn(2, 3, 5):double()) end, "query of the wrong width",
           "MultiheadAttention: query must be [L, N, 6] ([N, L, 6] with batch_first) or unbatched [L, 6], got [2,3,5]")
  T.raises(function() mha(x, x, x, {attn_mask = m1d.zeros({2, 3}, F)}) end, "attn_mask shape",
           "MultiheadAttention: attn_mask must be [3,3] (target, source) or [4,3,3]")
  T.raises(function() mha(x, x, x, {key_padding_mask = m1d.zeros({3, 2}, "int64")}) end, "key_padding_mask shape",
           "MultiheadAttention: key_padding_mask must be a [2,3] tensor (batch, source), got [3,2]")
  T.raises(function() mha(x, x, x, {mask = 1}) end, "unknown forward option",
           "MultiheadAttention forward: unknown option 'mask'")
  T.raises(function() mha(x, m1d.randn({3, 3, 6}, F)) end, "batch sizes differ", "disagree on the batch size")
  T.raises(function() mha(x, m1d.randn({3, 6}, F)) end, "3-D query with a 2-D key", "must all be 3-D")
end

-- ---------------------------------------------------------------- TransformerEncoderLayer

do
  m1d.manual_seed(2)
  local post = nn.TransformerEncoderLayer(6, 2, {dim_feedforward = 8, dropout = 0.1}):double():eval()
  local names = {"x"}
  for _, n in ipairs(param_names(post)) do names[#names + 1] = n end
  T.is(#names, 13, "TransformerEncoderLayer: 12 parameters in torch's order")
  torch_case("encoder_post_relu", names, function(x, ...) return post:apply({...}, x) end)

  local pre = nn.TransformerEncoderLayer(6, 2, {dim_feedforward = 8, activation = "gelu", batch_first = true,
                                                norm_first = true, layer_norm_eps = 1e-3}):double():eval()
  local kpm = load("encoder_pre_gelu_masked", "src_key_padding_mask")
  torch_case("encoder_pre_gelu_masked", names, function(x, ...)
    return pre:apply({...}, x, {src_key_padding_mask = kpm})
  end)

  local small = nn.TransformerEncoderLayer(4, 2, {dim_feedforward = 6, dropout = 0}):double()
  T.grad_orders("TransformerEncoderLayer (input, linear1.weight, norm1.weight)", function(x, w1, g1)
    local ps = small:parameters()
    ps[5], ps[9] = w1, g1
    return small:apply(ps, x, {src_mask = m1d.tensor({{0, 1, 1}, {0, 0, 1}, {0, 0, 0}}, "int64")})
  end, {m1d.randn({3, 2, 4}, F), small.linear1.weight:detach():clone(), m1d.randn({4}, F)})
  T.grad_orders("TransformerEncoderLayer norm_first, custom activation", function(x)
    m1d.manual_seed(4)                               -- the same layer on every call
    local l = nn.TransformerEncoderLayer(4, 1, {dim_feedforward = 5, dropout = 0, norm_first = true,
                                                activation = function(t) return t:tanh() end})
    return l:double()(x)
  end, {m1d.randn({2, 3, 4}, F)})

  -- train mode (dropout 0.1 on the weights, after the activation and on both branches)
  local layer = nn.TransformerEncoderLayer(8, 2, {dim_feedforward = 16, batch_first = true})
  local x = m1d.randn(5, 7, 8)
  local a, b = layer(x), layer(x)
  T.ok(shape_str(a) == "[5,7,8]" and maxdiff(a, b) > 0, "train mode: [N, S, E] out, dropout active")
  layer:eval()
  T.is(maxdiff(layer(x), layer(x)), 0.0, "eval mode: deterministic")
  T.ok(not layer.self_attn.training and not layer.dropout1.training, "eval reaches the attention and the dropouts")
  T.is(shape_str(layer(m1d.randn(7, 8))), "[7,8]", "an unbatched [S, E] input")
  T.is(tostring(nn.TransformerEncoderLayer(8, 2, {dim_feedforward = 16})):match("^[^\n]*"),
       "TransformerEncoderLayer(8, heads 2, ff 16, dropout 0.1, relu)(", "the layer prints its settings")

  -- save and load
  local path = os.tmpname()
  layer:save(path)
  local other = nn.TransformerEncoderLayer(8, 2, {dim_feedforward = 16, batch_first = true}):eval()
  T.ok(maxdiff(other(x), layer(x)) > 0, "a fresh layer differs")
  other:load(path)
  T.is(maxdiff(other(x), layer(x)), 0.0, "save/load restores every parameter")
  os.remove(path)

  T.raises(function() nn.TransformerEncoderLayer(8, 2, {activation = "tanh"}) end, "unknown activation",
           'TransformerEncoderLayer: activation must be "relu", "gelu" or a function, got tanh')
  T.raises(function() nn.TransformerEncoderLayer(8, 3) end, "heads not dividing d",
           "MultiheadAttention: embed_dim 8 must be divisible by num_heads 3")
  T.raises(function() nn.TransformerEncoderLayer(8, 2, {nhead = 2}) end, "unknown option",
           "TransformerEncoderLayer: unknown option 'nhead'")
  T.raises(function() nn.TransformerEncoderLayer(8, 2, {layer_norm_eps = 0}) end, "eps 0",
           "TransformerEncoderLayer: layer_norm_eps must be a positive number, got 0")
  T.raises(function() layer(m1d.randn(5, 7, 6)) end, "input of the wrong width",
           "TransformerEncoderLayer: src must be [S, N, 8] ([N, S, 8] with batch_first) or unbatched [S, 8], got [5,7,6]")
  T.raises(function() layer(x, {mask = 1}) end, "unknown forward option",
           "TransformerEncoderLayer forward: unknown option 'mask'")
end

-- ---------------------------------------------------------------- the models

do
  m1d.manual_seed(3)
  local small = nn.models.transformer{d_model = 8, heads = 2, dim_feedforward = 12}:double():eval()
  local names = {"x"}
  for i = 1, #small:parameters() do names[#names + 1] = ("p%02d"):format(i) end
  T.is(#names, 32, "the small transformer has torch's 31 parameters")
  torch_case("model_transformer", names, function(x, ...) return small:apply({...}, x) end)

  local m = nn.models.transformer()
  T.ok(m:n_params() < 25000, "nn.models.transformer() is under 25k parameters", m:n_params())
  T.is(shape_str(m(m1d.randn(3, 40))), "[3,10]", "logits [N, 10]")

  -- without positions: the same logits for a permuted sequence, to rounding
  local flat = nn.models.transformer{positional = false}:double()
  local x = m1d.randn({6, 40}, F)
  local perm = m1d.randperm(40)                     -- 1-based
  local xp = x:index_select(2, perm)
  local d = maxdiff(flat(x), flat(xp))
  T.ok(d < 1e-12, "positional = false: permutation-invariant (float64)", ("max|diff| %.3g"):format(d))
  local flat32 = nn.models.transformer{positional = false}
  local d32 = maxdiff(flat32(x:float()), flat32(xp:float()))
  T.ok(d32 < 1e-5, "positional = false: permutation-invariant (float32, to rounding)", ("max|diff| %.3g"):format(d32))
  local pos = nn.models.transformer():double()
  T.ok(maxdiff(pos(x), pos(xp)) > 1e-6, "with positions a permutation changes the logits")
  T.ok(flat.pos == nil and #flat:parameters() == #pos:parameters() - 1, "positional = false: no position embedding")
  T.grad_orders("transformer (tiny) input gradient", function(t)
    m1d.manual_seed(8)
    return nn.models.transformer{d_model = 4, heads = 2, dim_feedforward = 4, layers = 1, length = 5}:double()(t)
  end, {m1d.randn({2, 5}, F)})
  T.raises(function() m(m1d.randn(3, 39)) end, "transformer input length", "nn.models.transformer: input must be [batch, 40], got [3,39]")
  T.raises(function() nn.models.transformer{width = 3} end, "unknown option", "nn.models.transformer: unknown option 'width'")

  -- one training step each lowers the loss on a fixed batch
  local xb, yb = m1d.randn(32, 40), m1d.randint(0, 10, {32})
  for _, model in ipairs{nn.models.transformer(), nn.models.mlp_bn()} do
    local optim = require "m1d.optim"
    local opt = optim.Adam(model:parameters(), {lr = 1e-2})
    local first, last
    for step = 1, 5 do
      local loss = nn.cross_entropy(model(xb), yb)
      if step == 1 then first = loss:item() end
      last = loss:item()
      opt:zero_grad()
      loss:backward()
      opt:step()
    end
    T.ok(last < first, model._name .. ": five Adam steps lower the loss", ("%.4f -> %.4f"):format(first, last))
  end

  -- mlp_bn: batch statistics in train mode, running statistics in eval mode
  local mb = nn.models.mlp_bn()
  local _, bufs = mb:named_buffers()
  T.is(table.concat(bufs, " "), "bn1.num_batches_tracked bn1.running_mean bn1.running_var " ..
       "bn2.num_batches_tracked bn2.running_mean bn2.running_var",
       "mlp_bn keeps BatchNorm1d's running statistics")
  local xb2 = m1d.randn(16, 40)
  local before = mb.bn1.running_mean:clone()
  mb(xb2)
  T.ok(maxdiff(before, mb.bn1.running_mean) > 0, "mlp_bn in train mode updates the running mean")
  mb:eval()
  local one = mb(xb2:narrow(1, 1, 1))
  T.close(maxdiff(one, mb(xb2):narrow(1, 1, 1)), 0, 1e-5, "mlp_bn in eval mode: a row's logits do not depend on the batch")
end

-- every case directory and every .npy file in it was used above
fixtures.check_all_used()

T.done()
