-- m1d.nn's attention layers: MultiheadAttention and TransformerEncoderLayer, with PyTorch's
-- argument names, parameter layout (the packed in-projection in_proj_weight [3E, E]),
-- initialisation and arithmetic (torch.nn.functional.multi_head_attention_forward of torch
-- 1.13: q scaled by 1/sqrt(head_dim) before q k^T, mask added, softmax over the keys,
-- dropout on the weights in train mode).  Composed of ops (linear, batched matmul, softmax),
-- so differentiable to any order.  Loaded by nn.lua, which passes the helpers it shares with
-- its other layers.
local m1d = require "m1d"
local util = require "m1d.util"

return function(nn, h)
  local check_size, uniform = h.check_size, h.uniform

  local check = require "m1d.nn_check"
  local shape_str, check_flag = check.shape, check.flag

  local function check_p(who, p)
    if type(p) ~= "number" or p ~= p or p < 0 or p > 1 then
      error(("%s: dropout must be a number in [0, 1], got %s"):format(who, tostring(p)), 3)
    end
    return p
  end

  -- ------------------------------------------------------------ masks

  local function same_shape(t, dims)
    if t:dim() ~= #dims then return false end
    for i, d in ipairs(dims) do if t:size(i) ~= d then return false end end
    return true
  end

  -- A mask as an additive float tensor of dtype dt: float masks are added as they are; an
  -- int64 mask is boolean, as torch's bool masks: non-zero = not attended (-inf).
  local function additive(mask, dt)
    if mask:dtype() ~= "int64" then return mask:type(dt) end
    local sz = mask:size()
    return m1d.where(mask, m1d.full(sz, -math.huge, dt), m1d.zeros(sz, dt))
  end

  -- attn_mask [L, S] or [N*heads, L, S] and key_padding_mask [N, S] as one additive mask that
  -- broadcasts to the scores [N, heads, L, S] (nil when there is none)
  local function scores_mask(who, attn_mask, kpm, N, H, L, S, dt)
    local mask
    if attn_mask ~= nil then
      if not m1d.is_tensor(attn_mask) then
        error(("%s: attn_mask must be a tensor, got %s"):format(who, type(attn_mask)), 0)
      end
      if same_shape(attn_mask, {L, S}) then mask = additive(attn_mask, dt)
      elseif same_shape(attn_mask, {N * H, L, S}) then mask = additive(attn_mask, dt):reshape(N, H, L, S)
      else
        error(("%s: attn_mask must be [%d,%d] (target, source) or [%d,%d,%d] (batch*heads, target, source), got %s")
              :format(who, L, S, N * H, L, S, shape_str(attn_mask)), 0)
      end
    end
    if kpm ~= nil then
      if not m1d.is_tensor(kpm) or not same_shape(kpm, {N, S}) then
        error(("%s: key_padding_mask must be a [%d,%d] tensor (batch, source), got %s"):format(who, N, S,
              m1d.is_tensor(kpm) and shape_str(kpm) or type(kpm)), 0)
      end
      local k = additive(kpm, dt):reshape(N, 1, 1, S)
      mask = mask and mask + k or k
    end
    return mask
  end

  -- ------------------------------------------------------------ MultiheadAttention

  local function check_input(who, what, x, E, dim_name)
    if not m1d.is_tensor(x) then error(("%s: %s must be a tensor, got %s"):format(who, what, type(x)), 0) end
    if (x:dim() ~= 2 and x:dim() ~= 3) or x:size(x:dim()) ~= E then
      error(("%s: %s must be [L, N, %d] ([N, L, %d] with batch_first) or unbatched [L, %d], got %s%s")
            :format(who, what, E, E, E, shape_str(x), dim_name and (" (%d is %s)"):format(E, dim_name) or ""), 0)
    end
  end

  -- The attention of query [N, L, E] to key and value [N, S, E] (batch first); returns the
  -- output [N, L, E] and the weights [N, heads, L, S].
  local function attend(self, q_in, k_in, v_in, mask)
    local E, H = self.embed_dim, self.num_heads
    local dh = E // H
    local N, L, S = q_in:size(1), q_in:size(2), k_in:size(2)
    local w, b = self.in_proj_weight, self.in_proj_bias
    -- three products with row blocks of the packed weight, also for self-attention: each
    -- output is contiguous, so the head split below is a view, and the backward pads only
    -- the small weight blocks (one packed product's output split in three made three
    -- zero-padded [N, L, 3E] gradients; the step was ~10% slower).  With kdim/vdim the
    -- three weights are separate, as torch's q/k/v_proj_weight; the bias stays packed.
    local separate = {self.q_proj_weight, self.k_proj_weight, self.v_proj_weight}
    local function proj(x, i)
      return m1d.linear(x, w and w:narrow(1, i * E + 1, E) or separate[i + 1], b and b:narrow(1, i * E + 1, E) or nil)
    end
    local q, k, v = proj(q_in, 0), proj(k_in, 1), proj(v_in, 2)
    q = q:reshape(N, L, H, dh):permute(1, 3, 2, 4) * (1 / math.sqrt(dh))   -- [N, H, L, dh]
    k = k:reshape(N, S, H, dh):permute(1, 3, 4, 2)                         -- [N, H, dh, S]
    v = v:reshape(N, S, H, dh):permute(1, 3, 2, 4)                         -- [N, H, S, dh]
    local scores = q:matmul(k)                                             -- [N, H, L, S]
    if mask then scores = scores + mask end
    local attn = scores:softmax(-1)
    if self.training and self.dropout > 0 then
      attn = attn * m1d.dropout_mask(self.dropout, attn:size(), attn:dtype())
    end
    local out = attn:matmul(v):permute(1, 3, 2, 4):reshape(N, L, E)        -- heads side by side
    return self.out_proj(out), attn
  end

  -- nn.MultiheadAttention(E, heads, {batch_first = false, dropout = 0, bias = true, kdim = E, vdim = E}):
  -- mha(query [, key = query [, value = key [, {key_padding_mask, attn_mask, need_weights = true,
  -- average_attn_weights = true}]]]) -> output, weights
  function nn.MultiheadAttention(E, H, opts)
    local who = "MultiheadAttention"
    opts = util.check_options(who, opts, {"batch_first", "dropout", "bias", "kdim", "vdim"})
    E, H = check_size(who, "embed_dim", E), check_size(who, "num_heads", H)
    if E % H ~= 0 then error(("%s: embed_dim %d must be divisible by num_heads %d"):format(who, E, H), 2) end
    local batch_first = check_flag(who, "batch_first", opts.batch_first, false)
    local bias = check_flag(who, "bias", opts.bias, true)
    local p = check_p(who, opts.dropout or 0)
    local kdim = opts.kdim == nil and E or check_size(who, "kdim", opts.kdim)
    local vdim = opts.vdim == nil and E or check_size(who, "vdim", opts.vdim)
    local packed = kdim == E and vdim == E            -- torch's _qkv_same_embed_dim
    local mod = nn.Module{_name = ("MultiheadAttention(%d, heads %d%s%s%s%s)"):format(E, H,
      packed and "" or (", kdim %d, vdim %d"):format(kdim, vdim),
      p > 0 and (", dropout %g"):format(p) or "", batch_first and ", batch_first" or "", bias and "" or ", no bias")}
    mod.embed_dim, mod.num_heads, mod.dropout, mod.batch_first = E, H, p, batch_first
    mod.kdim, mod.vdim = kdim, vdim
    -- torch's _reset_parameters: xavier_uniform_ in_proj_weight (or each of q/k/v_proj_weight
    -- when key or value have other sizes), zero biases; out_proj keeps Linear's init for its weight
    if packed then
      mod:register("in_proj_weight", uniform(math.sqrt(6 / (E + 3 * E)), 3 * E, E))
      mod._order = {"in_proj_weight"}
    else
      mod._order = {}
      for _, spec in ipairs{{"q_proj_weight", E}, {"k_proj_weight", kdim}, {"v_proj_weight", vdim}} do
        mod:register(spec[1], uniform(math.sqrt(6 / (E + spec[2])), E, spec[2]))
        mod._order[#mod._order + 1] = spec[1]
      end
    end
    if bias then
      mod:register("in_proj_bias", m1d.zeros(3 * E):requires_grad())
      mod._order[#mod._order + 1] = "in_proj_bias"
    end
    mod.out_proj = nn.Linear(E, E, {bias = bias})
    if bias then mod.out_proj.bias = m1d.zeros(E):requires_grad() end
    mod._order[#mod._order + 1] = "out_proj"

    mod.forward = function(self, query, key, value, fopts)
      fopts = util.check_options(who .. " forward", fopts,
                                 {"key_padding_mask", "attn_mask", "need_weights", "average_attn_weights"})
      key = key == nil and query or key
      value = value == nil and key or value
      check_input(who, "query", query, E)
      check_input(who, "key", key, kdim, not packed and "kdim" or nil)
      check_input(who, "value", value, vdim, not packed and "vdim" or nil)
      local unbatched = query:dim() == 2
      if key:dim() ~= query:dim() or value:dim() ~= query:dim() then
        error(("%s: query %s, key %s and value %s must all be 3-D (batched) or all 2-D"):format(who,
              shape_str(query), shape_str(key), shape_str(value)), 0)
      end
      local function to_bf(x)                      -- -> [N, L, E]
        if unbatched then return x:unsqueeze(1) end
        return batch_first and x or x:transpose(1, 2)
      end
      -- the same tensor stays one tensor (one transpose, one gradient sum)
      local q = to_bf(query)
      local k = key == query and q or to_bf(key)
      local v = value == key and k or to_bf(value)
      if q:size(1) ~= k:size(1) or k:size(1) ~= v:size(1) or k:size(2) ~= v:size(2) then
        error(("%s: query %s, key %s and value %s disagree on the batch size or key and value on the source length")
              :format(who, shape_str(query), shape_str(key), shape_str(value)), 0)
      end
      local N, L, S = q:size(1), q:size(2), k:size(2)
      local kpm = fopts.key_padding_mask
      if unbatched and kpm ~= nil and m1d.is_tensor(kpm) and kpm:dim() == 1 then kpm = kpm:unsqueeze(1) end
      local mask = scores_mask(who, fopts.attn_mask, kpm, N, H, L, S, q:dtype())
      local out, attn = attend(self, q, k, v, mask)
      if unbatched then out = out:squeeze(1)
      elseif not batch_first then out = out:transpose(1, 2) end
      if fopts.need_weights == false then return out, nil end
      if fopts.average_attn_weights ~= false then attn = attn:mean(2) end    -- [N, L, S]
      if unbatched then attn = attn:squeeze(1) end
      return out, attn
    end
    return mod
  end

  -- ------------------------------------------------------------ TransformerEncoderLayer

  local ACTIVATIONS = {relu = function(x) return x:relu() end, gelu = function(x) return x:gelu() end}

  -- nn.TransformerEncoderLayer(d_model, nhead, {dim_feedforward = 2048, dropout = 0.1,
  -- activation = "relu", layer_norm_eps = 1e-5, batch_first = false, norm_first = false}):
  -- layer(src [, {src_mask, src_key_padding_mask}]) -> output, src's shape
  function nn.TransformerEncoderLayer(d, H, opts)
    local who = "TransformerEncoderLayer"
    opts = util.check_options(who, opts, {"dim_feedforward", "dropout", "activation", "layer_norm_eps",
                                          "batch_first", "norm_first"})
    d, H = check_size(who, "d_model", d), check_size(who, "nhead", H)
    local ff = check_size(who, "dim_feedforward", opts.dim_feedforward or 2048)
    local p = check_p(who, opts.dropout == nil and 0.1 or opts.dropout)
    local eps = opts.layer_norm_eps or 1e-5
    if type(eps) ~= "number" or not (eps > 0) then
      error(("%s: layer_norm_eps must be a positive number, got %s"):format(who, tostring(eps)), 2)
    end
    local batch_first = check_flag(who, "batch_first", opts.batch_first, false)
    local norm_first = check_flag(who, "norm_first", opts.norm_first, false)
    local act_name = opts.activation == nil and "relu" or opts.activation
    local act = type(act_name) == "function" and act_name or ACTIVATIONS[act_name]
    if not act then
      error(("%s: activation must be \"relu\", \"gelu\" or a function, got %s"):format(who, tostring(act_name)), 2)
    end
    local mod = nn.Module{
      _name = ("TransformerEncoderLayer(%d, heads %d, ff %d, dropout %g, %s%s%s)"):format(d, H, ff, p,
        type(act_name) == "string" and act_name or "custom activation", norm_first and ", norm_first" or "",
        batch_first and ", batch_first" or ""),
      self_attn = nn.MultiheadAttention(d, H, {dropout = p, batch_first = batch_first}),
      linear1 = nn.Linear(d, ff), linear2 = nn.Linear(ff, d),
      norm1 = nn.LayerNorm(d, {eps = eps}), norm2 = nn.LayerNorm(d, {eps = eps}),
      dropout = nn.Dropout(p), dropout1 = nn.Dropout(p), dropout2 = nn.Dropout(p),
      _order = {"self_attn", "linear1", "linear2", "norm1", "norm2"},   -- torch's named_parameters order
    }
    local function sa_block(self, x, mask, kpm)
      local y = self.self_attn(x, x, x, {attn_mask = mask, key_padding_mask = kpm, need_weights = false})
      return self.dropout1(y)
    end
    local function ff_block(self, x)
      return self.dropout2(self.linear2(self.dropout(act(self.linear1(x)))))
    end
    mod.forward = function(self, src, fopts)
      fopts = util.check_options(who .. " forward", fopts, {"src_mask", "src_key_padding_mask"})
      if not m1d.is_tensor(src) or (src:dim() ~= 2 and src:dim() ~= 3) or src:size(src:dim()) ~= d then
        error(("%s: src must be [S, N, %d] ([N, S, %d] with batch_first) or unbatched [S, %d], got %s")
              :format(who, d, d, d, m1d.is_tensor(src) and shape_str(src) or type(src)), 0)
      end
      local mask, kpm, x = fopts.src_mask, fopts.src_key_padding_mask, src
      if norm_first then
        x = x + sa_block(self, self.norm1(x), mask, kpm)
        return x + ff_block(self, self.norm2(x))
      end
      x = self.norm1(x + sa_block(self, x, mask, kpm))
      return self.norm2(x + ff_block(self, x))
    end
    return mod
  end
end
