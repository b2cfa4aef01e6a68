-- m1d.nn's recurrent layers, nn.RNN, nn.LSTM and nn.GRU, with PyTorch's parameter names and
-- layout (weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>, bias_hh_l<k>, then the same with
-- _reverse; the LSTM's gates i, f, g, o, the GRU's r, z, n), its default initialisation
-- U(-1/sqrt(hidden), 1/sqrt(hidden)) and its stacking (layer k > 0 reads layer k-1's output,
-- both directions concatenated, with dropout between layers in train mode).  batch_first
-- defaults to true (MNIST-1D's [batch, time]), where PyTorch's default is false.
-- Each runs one fused op per layer and direction (m1d.rnn, src/ops_rnn.c; m1d.lstm,
-- src/ops_lstm.c; m1d.gru, src/ops_gru.c).  Loaded by nn.lua.
local m1d = require "m1d"
local util = require "m1d.util"

-- nn, set by the installer at the end when nn.lua loads this file; the layers go into M
-- and the installer copies them into nn.
local nn
local M = {}

local check = require "m1d.nn_check"
local shape_str = check.shape

-- The checked arguments of nn.RNN / nn.LSTM / nn.GRU (called by them directly).
local function config(kind, n_in, H, opts, known)
  opts = util.check_options(kind, opts, known, 3)
  -- (error level 4: check -> config -> nn.RNN/LSTM/GRU -> the user's line)
  local c = {kind = kind, n_in = check.size(kind, "input_size", n_in, 1, 4),
             H = check.size(kind, "hidden_size", H, 1, 4)}
  c.layers = opts.num_layers == nil and 1 or check.size(kind, "num_layers", opts.num_layers, 1, 4)
  c.bidir = check.flag(kind, "bidirectional", opts.bidirectional, false, 4)
  c.batch_first = check.flag(kind, "batch_first", opts.batch_first, true, 4)
  c.bias = check.flag(kind, "bias", opts.bias, true, 4)
  local p = opts.dropout == nil and 0 or opts.dropout
  if type(p) ~= "number" or not (p >= 0 and p <= 1) then
    error(("%s: dropout must be a number in [0, 1], got %s"):format(kind, tostring(p)), 3)
  end
  c.dropout = p
  local nl = opts.nonlinearity == nil and "tanh" or opts.nonlinearity
  if nl ~= "tanh" and nl ~= "relu" then
    error(("RNN: nonlinearity must be \"tanh\" or \"relu\", got %s"):format(tostring(nl)), 3)
  end
  c.nonlinearity = nl
  return c
end

-- The module the three layers share.  c: config's table; gates: rows per hidden unit in the
-- weights (1, 4 or 3); run(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse) runs one layer in one
-- direction (x [B, T, F] batch first; h0, c0 [B, H] or nil; the biases nil without bias)
-- -> out [B, T, H], and for the LSTM the cell states [B, T, H].
local function recurrent(c, gates, run)
  local kind, n_in, H, layers, bidir, batch_first, bias = c.kind, c.n_in, c.H, c.layers, c.bidir,
                                                          c.batch_first, c.bias
  local dirs = bidir and 2 or 1
  local bound = 1 / math.sqrt(H)
  local mod = nn.Module{_name = ("%s(%d -> %d%s%s%s)"):format(kind, n_in, H,
    layers > 1 and (", %d layers"):format(layers) or "", bidir and ", bidirectional" or "",
    c.dropout > 0 and (", dropout %g"):format(c.dropout) or "")}
  mod._order = {}
  local names = {}               -- names[layer][direction] = {w_ih, w_hh, b_ih, b_hh}
  for l = 0, layers - 1 do
    names[l + 1] = {}
    for d = 1, dirs do
      local sfx = "_l" .. l .. (d == 2 and "_reverse" or "")
      local specs = {{"weight_ih", gates * H, l == 0 and n_in or dirs * H}, {"weight_hh", gates * H, H}}
      if bias then specs[3], specs[4] = {"bias_ih", gates * H}, {"bias_hh", gates * H} end
      local set = {}
      for i, spec in ipairs(specs) do
        local name = spec[1] .. sfx
        mod:register(name, nn.init_uniform(bound, table.unpack(spec, 2)))
        mod._order[#mod._order + 1] = name
        set[i] = name
      end
      names[l + 1][d] = set
    end
  end
  local n_states = layers * dirs

  -- a state [layers*dirs, B, H], or [layers*dirs, H] for an unbatched input (made [.., 1, H])
  local function check_state(what, s, B, unbatched)
    local ok = m1d.is_tensor(s) and s:dim() == (unbatched and 2 or 3) and s:size(1) == n_states
               and s:size(s:dim()) == H and (unbatched or s:size(2) == B)
    if not ok then
      error(("%s: %s must be a [%s] tensor (num_layers * directions, %shidden), got %s")
            :format(kind, what, unbatched and ("%d, %d"):format(n_states, H) or ("%d, %d, %d"):format(n_states, B, H),
                    unbatched and "" or "batch, ", m1d.is_tensor(s) and shape_str(s) or type(s)), 0)
    end
    return unbatched and s:unsqueeze(2) or s
  end

  mod.forward = function(self, x, state)
    -- every size from one shape() call: a tensor method call costs ~1,000 instructions, and
    -- this runs on every step of the paper's GRU (nn.models.gru)
    local shape = m1d.is_tensor(x) and x:shape()
    local nd = shape and #shape
    if nd ~= 3 and nd ~= 2 then
      error(("%s: input must be a 3-D tensor [%s] or an unbatched [time, features], got %s"):format(kind,
            batch_first and "batch, time, features" or "time, batch, features",
            shape and shape_str(x) or type(x)), 0)
    end
    -- unbatched, as torch's: x [T, F] (whatever batch_first), states [layers*dirs, H]
    local unbatched = nd == 2
    local B, steps, feats
    if unbatched then x, B, steps, feats = x:unsqueeze(1), 1, shape[1], shape[2]
    elseif batch_first then B, steps, feats = shape[1], shape[2], shape[3]
    else x, B, steps, feats = x:transpose(1, 2), shape[2], shape[1], shape[3] end
    if feats ~= n_in then
      -- a [batch, time] tensor of one feature per step is the likely mistake with a 2-D input
      error(("%s: input has %d features, the layer takes input_size = %d%s"):format(kind, feats, n_in,
            unbatched and "; a 2-D input is one unbatched sequence [time, features], a batch of sequences " ..
            "is 3-D [batch, time, features] (x:unsqueeze(3) for one feature per step)" or ""), 0)
    end
    if steps == 0 then                                 -- as PyTorch: no last step to return
      error(("%s: the sequence is empty (time = 0); want at least one step"):format(kind), 0)
    end
    local h0, c0
    if kind == "LSTM" then
      if state ~= nil then
        if type(state) ~= "table" or m1d.is_tensor(state) then
          error("LSTM: the initial state must be a table {h0, c0}, got " ..
                (m1d.is_tensor(state) and "a tensor" or type(state)), 0)
        end
        h0, c0 = check_state("h0", state[1], B, unbatched), check_state("c0", state[2], B, unbatched)
      end
    elseif state ~= nil then
      h0 = check_state("h0", state, B, unbatched)
    end
    local hs, cs = {}, kind == "LSTM" and {} or nil
    for l = 1, layers do
      local outs = {}
      for d = 1, dirs do
        local k = (l - 1) * dirs + d                    -- the state's index: PyTorch's layer-major order
        local n = names[l][d]
        local out, cell = run(x, h0 and h0:select(1, k), c0 and c0:select(1, k), self[n[1]], self[n[2]],
                              n[3] and self[n[3]], n[4] and self[n[4]], d == 2)
        local last = d == 2 and 1 or steps              -- the last step each direction reached
        outs[d] = out
        hs[k] = out:select(2, last)
        if cell then cs[k] = cell:select(2, last) end
      end
      x = dirs == 1 and outs[1] or m1d.cat(outs, 3)
      -- PyTorch's dropout: on every layer's output but the last, in train mode
      if l < layers and self.training and c.dropout > 0 then
        x = c.dropout == 1 and x * 0 or x * m1d.dropout_mask(c.dropout, x:size(), x:dtype())
      end
    end
    local out = unbatched and x:squeeze(1) or batch_first and x or x:transpose(1, 2)
    local h_n = m1d.stack(hs, 1)                       -- [layers*dirs, B, H]
    if unbatched then h_n = h_n:squeeze(2) end
    if kind == "LSTM" then
      local c_n = m1d.stack(cs, 1)
      return out, {h_n, unbatched and c_n:squeeze(2) or c_n}
    end
    return out, h_n
  end
  return mod
end

-- nn.RNN(input, hidden, {nonlinearity = "tanh", bias, num_layers, bidirectional,
-- batch_first = true, dropout = 0}): forward(x [, h0 [layers*dirs, B, H]]) -> out [B, T, dirs*H], h_n
function M.RNN(n_in, H, opts)
  local c = config("RNN", n_in, H, opts, {"nonlinearity", "bias", "num_layers", "bidirectional", "batch_first",
                                          "dropout"})
  local mod = recurrent(c, 1, function(x, h0, _, w_ih, w_hh, b_ih, b_hh, reverse)
    return m1d.rnn(x, h0, w_ih, w_hh, b_ih, b_hh, c.nonlinearity, reverse)
  end)
  if c.nonlinearity == "relu" then mod._name = mod._name:gsub("%)$", ", relu)") end
  return mod
end

-- nn.LSTM(input, hidden, {bias, num_layers, bidirectional, batch_first = true, dropout = 0}):
-- forward(x [, {h0, c0}]) -> out [B, T, dirs*H], {h_n, c_n} (each [layers*dirs, B, H])
function M.LSTM(n_in, H, opts)
  local c = config("LSTM", n_in, H, opts, {"bias", "num_layers", "bidirectional", "batch_first", "dropout"})
  return recurrent(c, 4, function(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
    local y = m1d.lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)    -- [B, T, 2H]: h, c
    local Hh = w_hh:size(2)
    return y:narrow(3, 1, Hh), y:narrow(3, Hh + 1, Hh)
  end)
end

-- nn.GRU(input, hidden, {bias, num_layers, bidirectional, batch_first = true, dropout = 0}):
-- forward(x [, h0 [layers*dirs, B, H]]) -> out [B, T, dirs*H], h_n [layers*dirs, B, H].
-- The paper's recurrent model (nn.models.gru).  Its one-layer case is the nn.GRU from before
-- these options, op for op: the same parameters in the same order, drawn in the same order,
-- and the same fused ops, so saved models load and results stay bit for bit the same.
function M.GRU(n_in, H, opts)
  local c = config("GRU", n_in, H, opts, {"bias", "num_layers", "bidirectional", "batch_first", "dropout"})
  return recurrent(c, 3, function(x, h0, _, w_ih, w_hh, b_ih, b_hh, reverse)
    -- m1d.gru always takes biases (its fused loops add them in place): without bias, zeros
    -- that need no gradient, so the values are the unbiased GRU's and autograd skips them
    if not b_ih then
      b_ih = m1d.zeros(w_hh:size(1), x:dtype())
      b_hh = b_ih
    end
    return m1d.gru(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)
  end)
end

return function(nn_)
  nn = nn_
  for name, layer in pairs(M) do nn[name] = layer end
end
