-- recurrent_test.lua — nn.RNN, nn.LSTM, nn.GRU's options (layers, bias, dropout, unbatched input;
-- its one-layer case against torch is in torch_ref_test.lua), the fused m1d.rnn and m1d.lstm,
-- nn.models.lstm: values and first and second derivatives against PyTorch 1.13
-- (tests/fixtures/recurrent/, made by tools/make_layer_fixtures.py; tolerance
-- max|a - b| <= 1e-9 (1 + max|b|)), float64 gradient checks against central differences, the
-- fused op against its composed form (values, gradients, second order; float32 too),
-- save/load, bad input, and the paper's nn.models.gru pinned to the nn.GRU before its options
-- (tests/fixtures/gru_model/, tools/make_gru_model_fixture.lua).
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn = require "m1d.nn"

local F = "float64"
local TOL = 1e-9
local DIR = "tests/fixtures/recurrent/"
m1d.manual_seed(19)

local function randn(...) return m1d.randn({...}, F) end
local function shape_str(t) return "[" .. table.concat(t:size(), ",") .. "]" end

local fixtures = dofile("tests/lua/fixtures.lua")(T, DIR)   -- every fixture must be compared
local load = fixtures.load

local function compare(got, want, name, tol) return fixtures.compare(got, want, name, tol or TOL) end

-- out, h_n (and c_n) flattened into one vector, as the fixtures store them
local function flat_all(out, state)
  local parts = {out:reshape(-1)}
  if m1d.is_tensor(state) then parts[2] = state:reshape(-1)
  else parts[2], parts[3] = state[1]:reshape(-1), state[2]:reshape(-1) end
  return m1d.cat(parts, 1)
end

-- ---------------------------------------------------------------- against PyTorch

-- A fixture case: the module (built with opts) run functionally on the fixture's
-- parameters, against out, the gradients for gout and the second order ggrad_* of
-- s = sum_i sum(grad_i * v_i).  The module's parameter names must be torch's, in its order.
local function torch_case(case, ctor, n_in, H, opts, states, pnames)
  local mod = ctor(n_in, H, opts)
  local _, names = mod:named_parameters()
  T.is(table.concat(names, " "), table.concat(pnames, " "), case .. ": parameter names and order as torch's")
  local names_all = {"x"}
  for _, s in ipairs(states) do names_all[#names_all + 1] = s end
  for _, p in ipairs(pnames) do names_all[#names_all + 1] = p end
  local function run(x, ...)
    local rest = {...}
    local st = {}
    for i = 1, #states do st[i] = table.remove(rest, 1) end
    local state = #states == 2 and st or st[1]
    return flat_all(mod:apply(rest, x, state))
  end
  fixtures.torch_case(case, names_all, run)
end

local function pnames_of(layers, bidir, bias)
  local out = {}
  for l = 0, layers - 1 do
    for _, sfx in ipairs(bidir and {"", "_reverse"} or {""}) do
      for _, p in ipairs(bias and {"weight_ih", "weight_hh", "bias_ih", "bias_hh"} or {"weight_ih", "weight_hh"}) do
        out[#out + 1] = p .. "_l" .. l .. sfx
      end
    end
  end
  return out
end

torch_case("lstm_uni_state", nn.LSTM, 2, 3, nil, {"h0", "c0"}, pnames_of(1, false, true))
torch_case("lstm_bi_2layers", nn.LSTM, 2, 3, {bidirectional = true, num_layers = 2}, {}, pnames_of(2, true, true))
torch_case("lstm_nobias_seqfirst_state", nn.LSTM, 3, 2, {bias = false, bidirectional = true, batch_first = false},
           {"h0", "c0"}, pnames_of(1, true, false))
torch_case("rnn_tanh_bi_2layers_state", nn.RNN, 2, 3, {bidirectional = true, num_layers = 2}, {"h0"},
           pnames_of(2, true, true))
torch_case("rnn_relu_nobias_seqfirst", nn.RNN, 3, 4, {nonlinearity = "relu", bias = false, batch_first = false},
           {}, pnames_of(1, false, false))
-- unbatched, as torch 1.13's: x [T, F] whatever batch_first, states [layers*dirs, H]
torch_case("lstm_unbatched_bi_2layers_state", nn.LSTM, 2, 3, {bidirectional = true, num_layers = 2}, {"h0", "c0"},
           pnames_of(2, true, true))
torch_case("rnn_unbatched_state", nn.RNN, 3, 2, {batch_first = false}, {"h0"}, pnames_of(1, false, true))
-- nn.GRU's options on the fused m1d.gru (bias = false: zero biases that need no gradient)
torch_case("gru_bi_2layers_state", nn.GRU, 2, 3, {bidirectional = true, num_layers = 2}, {"h0"},
           pnames_of(2, true, true))
torch_case("gru_nobias_seqfirst_2layers_state", nn.GRU, 3, 2, {bias = false, num_layers = 2, batch_first = false},
           {"h0"}, pnames_of(2, false, false))
torch_case("gru_nobias_bi", nn.GRU, 2, 3, {bias = false, bidirectional = true}, {}, pnames_of(1, true, false))
torch_case("gru_unbatched_bi_2layers_state", nn.GRU, 2, 3, {bidirectional = true, num_layers = 2}, {"h0"},
           pnames_of(2, true, true))
torch_case("gru_unbatched", nn.GRU, 3, 2, nil, {}, pnames_of(1, false, true))

-- ---------------------------------------------------------------- gradient checks (float64)

do
  local B, Tn, In, H = 3, 4, 2, 3
  local x, h0, c0 = randn(B, Tn, In), randn(B, H), randn(B, H)
  local wi, wh, bi, bh = randn(4 * H, In) * 0.5, randn(4 * H, H) * 0.5, randn(4 * H), randn(4 * H)
  for _, rev in ipairs{false, true} do
    T.grad_orders("lstm" .. (rev and " reverse" or ""),
                  function(a, b, c, d, e, f, g) return m1d.lstm(a, b, c, d, e, f, g, rev) end,
                  {x, h0, c0, wi, wh, bi, bh})
  end
  T.grad_orders("lstm without state or biases", function(a, d, e) return m1d.lstm(a, nil, nil, d, e) end,
                {x, wi, wh})
  T.grad_orders("lstm with c0 only", function(a, c, d, e, f) return m1d.lstm(a, nil, c, d, e, f, nil) end,
                {x, c0, wi, wh, bi})
  -- a batch of 9 (padded to 16 lanes) and a strided [B, T, F] view
  T.grad_orders("lstm batch 9, strided input, reverse",
                function(a, d, e, f, g) return m1d.lstm(a:transpose(2, 3), nil, nil, d, e, f, g, true) end,
                {randn(9, In, 3), wi, wh, bi, bh})
  local wri, wrh, bri, brh = randn(H, In) * 0.5, randn(H, H) * 0.5, randn(H), randn(H)
  for _, nl in ipairs{"tanh", "relu"} do
    for _, rev in ipairs{false, true} do
      T.grad_orders(("rnn %s%s"):format(nl, rev and " reverse" or ""),
                    function(a, b, d, e, f, g) return m1d.rnn(a, b, d, e, f, g, nl, rev) end,
                    {x, h0, wri, wrh, bri, brh})
    end
  end
  T.grad_orders("rnn without state or biases", function(a, d, e) return m1d.rnn(a, nil, d, e) end, {x, wri, wrh})
  T.grad_orders("rnn batch 9, strided input, reverse",
                function(a, d, e, f) return m1d.rnn(a:transpose(2, 3), nil, d, e, f, nil, "tanh", true) end,
                {randn(9, In, 3), wri, wrh, bri})
  -- the layers as modules, through their parameter lists
  local function module_case(name, mod, xin, state)
    local params = mod:parameters()
    local inputs = {xin}
    for _, p in ipairs(params) do inputs[#inputs + 1] = p:detach():double() end
    T.grad_orders(name, function(a, ...) return flat_all(mod:apply({...}, a, state)) end, inputs)
  end
  module_case("nn.LSTM 2 layers, bidirectional", nn.LSTM(2, 2, {num_layers = 2, bidirectional = true}),
              randn(2, 3, 2))
  module_case("nn.RNN tanh, bidirectional, h0", nn.RNN(2, 3, {bidirectional = true}), randn(2, 3, 2),
              randn(2, 2, 3))
  module_case("nn.RNN relu, 2 layers", nn.RNN(2, 3, {nonlinearity = "relu", num_layers = 2}), randn(2, 3, 2))
  module_case("nn.LSTM unbatched, bidirectional, {h0, c0}", nn.LSTM(2, 2, {bidirectional = true}), randn(3, 2),
              {randn(2, 2), randn(2, 2)})
  module_case("nn.GRU 2 layers, bidirectional, h0", nn.GRU(2, 2, {num_layers = 2, bidirectional = true}),
              randn(2, 3, 2), randn(4, 2, 2))
  module_case("nn.GRU without bias, 2 layers, time first", nn.GRU(2, 3, {bias = false, num_layers = 2,
              batch_first = false}), randn(3, 2, 2))
  module_case("nn.GRU unbatched, bidirectional, h0", nn.GRU(2, 2, {bidirectional = true}), randn(3, 2),
              randn(2, 2))
end

-- an unbatched input is the batch of one, squeezed: the same numbers and shapes as torch's
do
  local lstm = nn.LSTM(3, 4, {num_layers = 2, bidirectional = true, batch_first = false}):double()
  local x, h0, c0 = randn(5, 3), randn(4, 4), randn(4, 4)
  local out, st = lstm(x, {h0, c0})
  local bout, bst = lstm(x:unsqueeze(2), {h0:unsqueeze(2), c0:unsqueeze(2)})
  T.ok(shape_str(out) == "[5,8]" and shape_str(st[1]) == "[4,4]" and shape_str(st[2]) == "[4,4]",
       "unbatched LSTM: out [T, dirs*H], h_n and c_n [layers*dirs, H]")
  T.is((out - bout:squeeze(2)):abs():max():item() + (st[1] - bst[1]:squeeze(2)):abs():max():item()
       + (st[2] - bst[2]:squeeze(2)):abs():max():item(), 0.0, "unbatched = the batch of one")
  local rnn = nn.RNN(3, 2)
  local o, h = rnn(m1d.randn(6, 3))
  T.ok(shape_str(o) == "[6,2]" and shape_str(h) == "[1,2]", "unbatched RNN without a state (batch_first too)")
  T.raises(function() rnn(m1d.randn(6, 3), m1d.randn(1, 1, 2)) end, "unbatched input, batched h0",
           "RNN: h0 must be a [1, 2] tensor (num_layers * directions, hidden), got [1,1,2]")
  T.raises(function() lstm(x, {h0, randn(4, 1, 4)}) end, "unbatched input, batched c0",
           "LSTM: c0 must be a [4, 4] tensor", "[4,1,4]")
end

-- ---------------------------------------------------------------- fused vs composed

-- values, first-order gradients (the fused BPTT) and a second order (the fused forward's
-- rebuild against the composed graph's own), for float64 and float32
-- cell "lstm" or "rnn tanh" / "rnn relu"
local function agree(name, cell, dt, tol, B, Tn, In, H, with_state, rev)
  local function r(...) return m1d.randn({...}, dt) end
  local G = cell == "lstm" and 4 * H or H
  local ins = {r(B, Tn, In), with_state and r(B, H) or false, with_state and cell == "lstm" and r(B, H) or false,
               r(G, In) * 0.5, r(G, H) * 0.5, r(G), r(G)}
  local live = {}
  for i = 1, 7 do if ins[i] then ins[i] = ins[i]:requires_grad(); live[#live + 1] = ins[i] end end
  local fused, composed = m1d.lstm, m1d.lstm_composed
  if cell ~= "lstm" then
    local nl = cell:match("rnn (%a+)")
    fused = function(x, h0, _, ...) return m1d.rnn(x, h0, select(1, ...), select(2, ...), select(3, ...),
                                                   select(4, ...), nl, rev) end
    composed = function(x, h0, _, ...) return m1d.rnn_composed(x, h0, select(1, ...), select(2, ...),
                                                               select(3, ...), select(4, ...), nl, rev) end
  end
  local function call(fn) return fn(ins[1], ins[2] or nil, ins[3] or nil, ins[4], ins[5], ins[6], ins[7], rev) end
  local yf, yc = call(fused), call(composed)
  compare(yf, yc, name .. ": forward", tol)
  local gout = m1d.randn(yf:size(), dt)
  local gf = m1d.grad({yf}, live, {grad_outputs = {gout}})
  local gc = m1d.grad({yc}, live, {grad_outputs = {gout}})
  local worst, worst_i = 0, 0
  for i = 1, #live do
    local d = (gf[i]:double() - gc[i]:double()):abs():max():item() / (1 + gc[i]:abs():max():item())
    if d > worst then worst, worst_i = d, i end
  end
  T.ok(worst <= tol, name .. ": first-order gradients", ("worst relative %.3g (input %d)"):format(worst, worst_i))
  if dt == F then
    local function second(fn)
      local y = call(fn)
      local g = m1d.grad({y}, live, {grad_outputs = {gout}, create_graph = true})
      local s
      for i = 1, #live do local t = (g[i] * g[i]):sum(); s = s and s + t or t end
      return m1d.grad(s, live)
    end
    local sf, sc = second(fused), second(composed)
    worst = 0
    for i = 1, #live do
      worst = math.max(worst, (sf[i] - sc[i]):abs():max():item() / (1 + sc[i]:abs():max():item()))
    end
    T.ok(worst <= tol, name .. ": second order", ("worst relative %.3g"):format(worst))
  end
end
agree("lstm fused = composed, float64", "lstm", F, 1e-12, 5, 7, 3, 4, true, false)
agree("lstm fused = composed, float64, reverse, no state", "lstm", F, 1e-12, 9, 6, 1, 6, false, true)
agree("lstm fused = composed, float32 (the paper's sizes)", "lstm", "float32", 1e-5, 100, 40, 1, 6, false, true)
agree("rnn tanh fused = composed, float64", "rnn tanh", F, 1e-12, 5, 7, 3, 4, true, false)
agree("rnn relu fused = composed, float64, reverse", "rnn relu", F, 1e-12, 9, 6, 2, 5, true, true)
agree("rnn tanh fused = composed, float32 (the paper's sizes)", "rnn tanh", "float32", 1e-5, 100, 40, 1, 6, false,
      true)

-- an LSTM's h_n and c_n: the last step of each direction, and the state carries over
do
  local lstm = nn.LSTM(2, 3, {bidirectional = true})
  local x = m1d.randn(4, 5, 2)
  local out, st = lstm(x)
  T.is(shape_str(out) .. " " .. shape_str(st[1]) .. " " .. shape_str(st[2]), "[4,5,6] [2,4,3] [2,4,3]",
       "LSTM returns out [B, T, 2H] and {h_n, c_n} [2, B, H]")
  T.is((st[1][1] - out:select(2, 5):narrow(2, 1, 3)):abs():max():item(), 0.0, "h_n forward = the last output")
  T.is((st[1][2] - out:select(2, 1):narrow(2, 4, 3)):abs():max():item(), 0.0, "h_n reverse = the first output")
  -- running two halves with the state carried equals one run (forward direction)
  local uni = nn.LSTM(2, 3)
  local whole = uni(x)
  local a, sa = uni(x:narrow(2, 1, 2))
  local b = uni(x:narrow(2, 3, 3), sa)
  T.ok((m1d.cat({a, b}, 2) - whole):abs():max():item() < 1e-6, "the state {h_n, c_n} continues a sequence")
  local rnn = nn.RNN(2, 3)
  local rw = rnn(x)
  local ra, rs = rnn(x:narrow(2, 1, 2))
  T.ok((m1d.cat({ra, (rnn(x:narrow(2, 3, 3), rs))}, 2) - rw):abs():max():item() < 1e-6,
       "the RNN's h_n continues a sequence")
  -- batch_first = false takes and gives [T, B, F]
  local sf = nn.LSTM(2, 3, {batch_first = false})
  T.is(shape_str((sf(m1d.randn(5, 4, 2)))), "[5,4,3]", "batch_first = false: [T, B, H] out")
  -- default initialisation U(-1/sqrt(H), 1/sqrt(H))
  local big = nn.LSTM(4, 16)
  local lo, hi = math.huge, -math.huge
  for _, p in ipairs(big:parameters()) do lo, hi = math.min(lo, p:min():item()), math.max(hi, p:max():item()) end
  T.ok(lo >= -0.25 and hi <= 0.25 and lo < -0.2 and hi > 0.2, "parameters drawn from U(-1/4, 1/4) for H = 16",
       ("range [%g, %g]"):format(lo, hi))
end

-- dropout between layers: train mode only, never after the last layer
do
  local x = m1d.randn(3, 5, 2)
  local plain = nn.LSTM(2, 4, {num_layers = 2})
  local drop = nn.LSTM(2, 4, {num_layers = 2, dropout = 0.5})
  drop:set_parameters(plain:parameters())
  T.ok((drop(x) - plain(x)):abs():max():item() > 1e-3, "LSTM dropout 0.5 changes the train-mode output")
  drop:eval()
  T.is((drop(x) - plain(x)):abs():max():item(), 0.0, "LSTM dropout: eval mode is the plain LSTM")
  local one = nn.RNN(2, 4, {dropout = 0.5})
  local ref = nn.RNN(2, 4)
  ref:set_parameters(one:parameters())
  T.is((one(x) - ref(x)):abs():max():item(), 0.0, "RNN dropout with one layer: nothing after the last layer")
  local all = nn.RNN(2, 4, {num_layers = 2, dropout = 1})
  local _, h = all(x)
  local ref2 = nn.RNN(4, 4)
  ref2:set_parameters({all.weight_ih_l1, all.weight_hh_l1, all.bias_ih_l1, all.bias_hh_l1})
  local _, h2 = ref2(m1d.zeros(3, 5, 4))
  T.ok((h:select(1, 2) - h2:select(1, 1)):abs():max():item() < 1e-6, "RNN dropout 1: layer 2 reads zeros")
  T.is(drop._name, "LSTM(2 -> 4, 2 layers, dropout 0.5)", "the name shows the dropout")
  T.raises(function() nn.LSTM(2, 4, {dropout = 1.5}) end, "dropout 1.5", "LSTM: dropout must be a number in [0, 1]")
end

-- nn.GRU: bias = false, stacking, dropout and unbatched input, as the LSTM's
do
  local x = m1d.randn(3, 5, 2)
  -- without bias = with zero biases (m1d.gru is given zeros; nothing else changes)
  local nb = nn.GRU(2, 4, {bias = false, num_layers = 2, bidirectional = true})
  local zb = nn.GRU(2, 4, {num_layers = 2, bidirectional = true})
  local _, nb_names = nb:named_parameters()
  T.is(table.concat(nb_names, " "), table.concat(pnames_of(2, true, false), " "), "GRU bias = false: no bias parameters")
  local ps = {}
  for _, name in ipairs(select(2, zb:named_parameters())) do
    ps[#ps + 1] = name:find("^bias") and zb[name]:detach() * 0 or nb[name]
  end
  zb:set_parameters(ps)
  local o1, h1 = nb(x)
  local o2, h2 = zb(x)
  T.is((o1 - o2):abs():max():item() + (h1 - h2):abs():max():item(), 0.0, "GRU bias = false = zero biases")
  local g = m1d.grad((o1 * o1):sum() + h1:sum(), nb:parameters())
  T.is(#g, 8, "GRU bias = false: a gradient for each of the 8 weights")
  -- h_n: the last step of each layer and direction, layer-major; layer 2 reads layer 1's output
  local two = nn.GRU(2, 3, {num_layers = 2, bidirectional = true})
  local out, h = two(x)
  T.is(shape_str(out) .. " " .. shape_str(h), "[3,5,6] [4,3,3]", "GRU 2 layers, bidirectional: out and h_n shapes")
  T.is((h[3] - out:select(2, 5):narrow(2, 1, 3)):abs():max():item()
       + (h[4] - out:select(2, 1):narrow(2, 4, 3)):abs():max():item(), 0.0,
       "GRU h_n[3], h_n[4]: the last layer's last forward and first reverse outputs")
  local one = nn.GRU(2, 3, {bidirectional = true})
  one:set_parameters({two.weight_ih_l0, two.weight_hh_l0, two.bias_ih_l0, two.bias_hh_l0, two.weight_ih_l0_reverse,
                      two.weight_hh_l0_reverse, two.bias_ih_l0_reverse, two.bias_hh_l0_reverse})
  local mid, hmid = one(x)
  T.is((hmid - h:narrow(1, 1, 2)):abs():max():item(), 0.0, "GRU h_n[1..2]: the first layer's")
  local top = nn.GRU(6, 3, {bidirectional = true})
  top:set_parameters({two.weight_ih_l1, two.weight_hh_l1, two.bias_ih_l1, two.bias_hh_l1, two.weight_ih_l1_reverse,
                      two.weight_hh_l1_reverse, two.bias_ih_l1_reverse, two.bias_hh_l1_reverse})
  T.is((top(mid) - out):abs():max():item(), 0.0, "GRU layer 2 reads layer 1's output, both directions")
  -- h_n, given back as h0, continues a sequence in every layer (one direction: a reverse
  -- pass over a part of the sequence is not a part of the reverse pass over the whole)
  local uni = nn.GRU(2, 3, {num_layers = 2})
  local uw = uni(x)
  local ua, us = uni(x:narrow(2, 1, 2))
  T.ok((m1d.cat({ua, (uni(x:narrow(2, 3, 3), us))}, 2) - uw):abs():max():item() < 1e-6,
       "GRU 2 layers: h_n continues a sequence")
  -- dropout between layers: train mode only, never after the last layer
  local plain = nn.GRU(2, 4, {num_layers = 2})
  local drop = nn.GRU(2, 4, {num_layers = 2, dropout = 0.5})
  drop:set_parameters(plain:parameters())
  T.ok((drop(x) - plain(x)):abs():max():item() > 1e-3, "GRU dropout 0.5 changes the train-mode output")
  m1d.manual_seed(3)
  local d1 = drop(x)
  m1d.manual_seed(3)
  T.is((drop(x) - d1):abs():max():item(), 0.0, "GRU dropout: the masks come from m1d's seeded generator")
  drop:eval()
  T.is((drop(x) - plain(x)):abs():max():item(), 0.0, "GRU dropout: eval mode is the plain GRU")
  local last = nn.GRU(2, 4, {dropout = 0.5})
  local ref = nn.GRU(2, 4)
  ref:set_parameters(last:parameters())
  T.is((last(x) - ref(x)):abs():max():item(), 0.0, "GRU dropout with one layer: nothing after the last layer")
  local all = nn.GRU(2, 4, {num_layers = 2, dropout = 1})
  local _, hall = all(x)
  local ref2 = nn.GRU(4, 4)
  ref2:set_parameters({all.weight_ih_l1, all.weight_hh_l1, all.bias_ih_l1, all.bias_hh_l1})
  local _, href = ref2(m1d.zeros(3, 5, 4))
  T.ok((hall:select(1, 2) - href:select(1, 1)):abs():max():item() < 1e-6, "GRU dropout 1: layer 2 reads zeros")
  T.is(drop._name, "GRU(2 -> 4, 2 layers, dropout 0.5)", "the GRU's name shows layers and dropout")
  -- unbatched: the batch of one, squeezed, as torch's
  local ub = nn.GRU(3, 4, {num_layers = 2, bidirectional = true, batch_first = false}):double()
  local xu, hu = randn(5, 3), randn(4, 4)
  local uo, uh = ub(xu, hu)
  local bo, bh = ub(xu:unsqueeze(2), hu:unsqueeze(2))
  T.ok(shape_str(uo) == "[5,8]" and shape_str(uh) == "[4,4]", "unbatched GRU: out [T, dirs*H], h_n [layers*dirs, H]")
  T.is((uo - bo:squeeze(2)):abs():max():item() + (uh - bh:squeeze(2)):abs():max():item(), 0.0,
       "unbatched GRU = the batch of one")
end

-- ---------------------------------------------------------------- the model, save/load, training

-- the paper's GRU as the nn.GRU before its options made it (commit ea55f84): the same
-- initial draw (bit for bit: m1d's own generator), saved files that load, the same logits
-- and the same 3 Adam steps.  On the machine that wrote the fixture these are equal to the
-- bit; the tolerance (1e-5) lets another CPU's BLAS kernels sum in another order, and is
-- still far below what any change to the model's function would move.
do
  local dir = "tests/fixtures/gru_model/"
  -- the names of m's parameters that differ from the file's in shape, or by more than tol
  local function differing(m, file, tol)
    local want = m1d.load(file)
    local params, names = m:named_parameters()
    local bad = {}
    for i, p in ipairs(params) do
      local w = want[names[i]]
      if not w or shape_str(w) ~= shape_str(p) or (p:detach() - w):abs():max():item() > tol then
        bad[#bad + 1] = names[i]
      end
    end
    return table.concat(bad, " ")
  end
  m1d.manual_seed(7)
  local m = nn.models.gru()
  T.is(differing(m, dir .. "initial.m1d", 0), "", "nn.models.gru: the same initial parameters, bit for bit")
  local fresh = nn.models.gru()
  fresh:load(dir .. "initial.m1d")
  local batch = m1d.load(dir .. "batch.m1d")
  local logits = fresh(batch.x)
  local dl = (logits - batch.logits):abs():max():item()
  T.ok(dl <= 1e-5, "nn.models.gru: a saved model loads and gives the same logits", ("max|a-b| %.3g"):format(dl))
  local optim = require "m1d.optim"
  local opt = optim.Adam(fresh:parameters(), {lr = 1e-2})
  for _ = 1, 3 do
    local loss = nn.cross_entropy(fresh(batch.x), batch.y)
    opt:zero_grad(); loss:backward(); opt:step()
  end
  T.is(differing(fresh, dir .. "trained.m1d", 1e-5), "", "nn.models.gru: 3 Adam steps give the same parameters")
end

do
  local m = nn.models.lstm()
  T.is(m:n_params(), 2 * (24 + 144 + 48) + 480 * 10 + 10, "nn.models.lstm has PyTorch's parameter count")
  local x = m1d.randn(8, 40)
  local path = os.tmpname()
  m:save(path)
  local m2 = nn.models.lstm()
  m2:load(path)
  os.remove(path)
  T.is((m(x) - m2(x)):abs():max():item(), 0.0, "nn.models.lstm: a loaded model computes the same")
  local r = nn.Sequential(nn.RNN(3, 4, {num_layers = 2}))
  local r2 = nn.Sequential(nn.RNN(3, 4, {num_layers = 2}))
  path = os.tmpname()
  r:save(path)
  r2:load(path)
  os.remove(path)
  local xr = m1d.randn(2, 5, 3)
  T.is((r(xr) - r2(xr)):abs():max():item(), 0.0, "nn.RNN (2 layers): a loaded model computes the same")
  -- a few SGD steps on a fixed batch lower the loss
  local y = m1d.tensor({0, 1, 2, 3, 4, 5, 6, 7}, "int64")
  local optim = require "m1d.optim"
  local opt = optim.Adam(m:parameters(), {lr = 1e-2})
  local first, last
  for i = 1, 20 do
    local loss = nn.cross_entropy(m(x), y)
    opt:zero_grad(); loss:backward(); opt:step()
    if i == 1 then first = loss:item() end
    last = loss:item()
  end
  T.ok(last < first, "nn.models.lstm trains", ("loss %.4f -> %.4f"):format(first, last))
end

-- ---------------------------------------------------------------- bad input

do
  local lstm, rnn = nn.LSTM(3, 4), nn.RNN(3, 4, {num_layers = 2})
  T.raises(function() nn.LSTM(3, 4, {num_layer = 2}) end, "unknown option", "LSTM: unknown option 'num_layer'",
           "num_layers")
  T.raises(function() nn.RNN(3, 4, {nonlinearty = "relu"}) end, "RNN misspelt option", "RNN: unknown option 'nonlinearty'",
           "did you mean 'nonlinearity'")
  T.raises(function() nn.LSTM(3, 4, {proj_size = 2}) end, "LSTM proj_size (not supported)",
           "LSTM: unknown option 'proj_size'")
  T.raises(function() nn.RNN(3, 4, {nonlinearity = "sigmoid"}) end, "bad nonlinearity", "RNN: nonlinearity",
           "sigmoid")
  T.raises(function() nn.LSTM(0, 4) end, "input_size 0", "LSTM: input_size must be an integer >= 1")
  T.raises(function() nn.LSTM(3, 2.5) end, "hidden_size 2.5", "LSTM: hidden_size")
  T.raises(function() nn.RNN(3, 4, {num_layers = 0}) end, "num_layers 0", "RNN: num_layers")
  T.raises(function() nn.LSTM(3, 4, {bidirectional = 1}) end, "non-boolean flag", "LSTM: bidirectional must be a boolean")
  T.raises(function() lstm(m1d.randn(2, 3, 3, 1)) end, "4-D input",
           "LSTM: input must be a 3-D tensor [batch, time, features] or an unbatched [time, features]", "[2,3,3,1]")
  T.raises(function() lstm(m1d.randn(2, 2)) end, "unbatched input with 2 features", "LSTM: input has 2 features")
  T.raises(function() lstm(m1d.randn(2, 5, 2)) end, "wrong feature size", "LSTM: input has 2 features",
           "input_size = 3")
  T.raises(function() lstm(m1d.randn(2, 0, 3)) end, "an empty sequence", "LSTM: the sequence is empty")
  T.raises(function() nn.RNN(3, 4, {batch_first = false})(m1d.randn(0, 2, 3)) end, "an empty sequence, time first",
           "RNN: the sequence is empty")
  T.is(shape_str((lstm(m1d.randn(0, 5, 3)))), "[0,5,4]", "an empty batch gives an empty output")
  T.raises(function() lstm(m1d.randn(2, 5, 3), m1d.randn(1, 2, 4)) end, "a tensor for the LSTM's state",
           "LSTM: the initial state must be a table {h0, c0}")
  T.raises(function() lstm(m1d.randn(2, 5, 3), {m1d.randn(1, 2, 4), m1d.randn(1, 3, 4)}) end, "wrong c0",
           "LSTM: c0 must be a [1, 2, 4] tensor", "[1,3,4]")
  T.raises(function() rnn(m1d.randn(2, 5, 3), m1d.randn(1, 2, 4)) end, "h0 for one layer of two",
           "RNN: h0 must be a [2, 2, 4] tensor", "[1,2,4]")
  T.raises(function() m1d.lstm(randn(2, 3, 4), nil, nil, randn(8, 5), randn(8, 2)) end, "m1d.lstm shapes",
           "lstm: input [2,3,4]", "[8,5]")
  T.raises(function() m1d.lstm(randn(2, 3, 4), nil, nil, randn(8, 4), randn(8, 2), randn(6)) end,
           "m1d.lstm bias", "lstm: bias_ih [6] must be [8]")
  T.raises(function() m1d.lstm(randn(2, 3, 4), randn(3, 2), nil, randn(8, 4), randn(8, 2)) end, "m1d.lstm h0",
           "lstm: h0 [3,2] must be [2, 2]")
  T.raises(function() m1d.lstm(randn(2, 3, 4), nil, nil, m1d.randn(8, 4), randn(8, 2)) end, "mixed dtypes",
           "lstm: all inputs must have one dtype")
  T.raises(function() m1d.rnn(randn(2, 3, 4), nil, randn(2, 5), randn(2, 2)) end, "m1d.rnn shapes",
           "rnn: input [2,3,4]", "[2,5]")
  T.raises(function() m1d.rnn(randn(2, 3, 4), randn(2, 3), randn(2, 4), randn(2, 2)) end, "m1d.rnn h0",
           "rnn: h0 [2,3] must be [2, 2]")
  T.raises(function() m1d.rnn(randn(2, 3, 4), nil, randn(2, 4), randn(2, 2), randn(3)) end, "m1d.rnn bias",
           "rnn: bias_ih [3] must be [2]")
  T.raises(function() m1d.rnn(randn(2, 3, 4), nil, randn(2, 4), randn(2, 2), nil, nil, "sigmoid") end,
           "m1d.rnn nonlinearity", "rnn: nonlinearity (argument 7) must be \"tanh\" or \"relu\"")
  T.raises(function() m1d.rnn_composed(randn(2, 3, 4), nil, randn(2, 5), randn(2, 2)) end,
           "m1d.rnn_composed shapes", "rnn_composed: input [2,3,4]")
  T.raises(function() m1d.lstm_composed(randn(2, 3, 4), nil, nil, randn(8, 5), randn(8, 2)) end,
           "m1d.lstm_composed shapes", "lstm_composed: input [2,3,4]")
  T.is(tostring(nn.LSTM(1, 6, {bidirectional = true, num_layers = 2})._name),
       "LSTM(1 -> 6, 2 layers, bidirectional)", "the LSTM's name says its shape")
  -- nn.GRU: the LSTM's checks and messages
  local gru = nn.GRU(3, 4, {num_layers = 2, bidirectional = true})
  T.raises(function() nn.GRU(3, 4, {num_layer = 2}) end, "GRU misspelt option", "GRU: unknown option 'num_layer'",
           "num_layers")
  T.raises(function() nn.GRU(3, 4, {nonlinearity = "relu"}) end, "GRU nonlinearity (RNN's only)",
           "GRU: unknown option 'nonlinearity'")
  T.raises(function() nn.GRU(3, 4, {num_layers = 0}) end, "GRU num_layers 0", "GRU: num_layers must be an integer >= 1")
  T.raises(function() nn.GRU(3, 4, {num_layers = 1.5}) end, "GRU num_layers 1.5", "GRU: num_layers", "1.5")
  T.raises(function() nn.GRU(3, 4, {bias = 0}) end, "GRU bias 0", "GRU: bias must be a boolean, got number")
  T.raises(function() nn.GRU(3, 4, {bidirectional = "yes"}) end, "GRU bidirectional \"yes\"",
           "GRU: bidirectional must be a boolean")
  T.raises(function() nn.GRU(3, 4, {dropout = -0.1}) end, "GRU dropout -0.1", "GRU: dropout must be a number in [0, 1]")
  T.raises(function() nn.GRU(3, 4, {dropout = 0 / 0}) end, "GRU dropout nan", "GRU: dropout must be a number in [0, 1]")
  T.raises(function() gru(m1d.randn(2, 5, 3), m1d.randn(2, 2, 4)) end, "GRU h0 for one layer of two",
           "GRU: h0 must be a [4, 2, 4] tensor (num_layers * directions, batch, hidden)", "[2,2,4]")
  T.raises(function() gru(m1d.randn(2, 5, 3), {m1d.randn(4, 2, 4)}) end, "GRU state as a table",
           "GRU: h0 must be a [4, 2, 4] tensor", "got table")
  T.raises(function() gru(m1d.randn(5, 3), m1d.randn(4, 1, 4)) end, "GRU unbatched input, batched h0",
           "GRU: h0 must be a [4, 4] tensor (num_layers * directions, hidden)", "[4,1,4]")
  T.raises(function() gru(m1d.randn(2, 5, 2)) end, "GRU wrong feature size", "GRU: input has 2 features",
           "input_size = 3")
  T.raises(function() gru(m1d.randn(2, 0, 3)) end, "GRU on an empty sequence", "GRU: the sequence is empty")
  T.raises(function() gru("x") end, "GRU on a string", "GRU: input must be a 3-D tensor", "string")
  T.raises(function() gru(m1d.randn(2, 5, 3, "float64")) end, "GRU float32 weights on a float64 input",
           "gru: all inputs must have one dtype")
  T.raises(function() nn.GRU(3, 4, {bias = false})(m1d.randn(2, 5, 3, "float64")) end,
           "GRU without bias, float32 weights on a float64 input", "gru: all inputs must have one dtype")
  T.is(shape_str((gru(m1d.randn(0, 5, 3)))), "[0,5,8]", "GRU: an empty batch gives an empty output")
end

-- every case directory and every .npy file in it was used above
fixtures.check_all_used()

T.done()
