-- core.lua — a representative run of the C runtime for `make valgrind` (memcheck):
-- tensor ops and views, autograd with create_graph (gradients of gradients), layers and
-- optimizers, Lua errors raised from inside C functions and caught by pcall, the .npy
-- reader on good, truncated and corrupted files, and the generator.  It ends by closing
-- the Lua state (os.exit(code, true)), so every tensor is collected and anything the
-- runtime fails to free shows up as a definite leak.  Also runs as a plain test.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn, optim = m1d.nn, m1d.optim

m1d.manual_seed(3)

-- a Lua error raised inside C must leave nothing behind (checked at exit by valgrind)
local function fails(f, name, sub)
  local ok, err = pcall(f)
  T.ok(not ok and (sub == nil or tostring(err):find(sub, 1, true)), name, tostring(err))
end

---------------------------------------------------------------- tensors

for _, dt in ipairs{"float32", "float64"} do
  local a, b = m1d.randn({4, 5}, dt), m1d.randn({5}, dt)
  local c = ((a + b) * 2 - a / 3):exp():log():tanh():sigmoid():relu():sqrt():abs()
  c = c:pow(2) + a:maximum(b) - a:minimum(0.5) + a:clamp(-1, 1) + a:elu() + a:softplus() + a:gelu()
  local s = c:sum() + c:mean(1):sum() + c:var(2):sum() + c:std():sum() + c:logsumexp(2):sum()
  s = s + c:max() + c:min(2):sum() + c:softmax(2):sum() + c:log_softmax(1):sum()
  T.ok(s:item() == s:item(), dt .. ": elementwise and reductions give a number")
  local v = a:t():contiguous():reshape(20):narrow(1, 3, 10):reshape(2, 5):flip(1)
  local w = m1d.cat({v, v:clone()}, 1):unsqueeze(1):squeeze(1):transpose(1, 2):permute(2, 1)
  T.is(w:numel(), 20, dt .. ": views, cat, transpose, permute")
  local st = m1d.stack({a, a, a}, 2)
  T.is(st:size(2), 3, dt .. ": stack")
  local idx = m1d.tensor({3, 1, 2}, "int64")
  T.is(a:index_select(1, idx):size(1), 3, dt .. ": index_select")
  T.is(a:gather(2, m1d.tensor({{1}, {2}, {3}, {4}}, "int64")):numel(), 4, dt .. ": gather")
  T.is(a:index_add(1, idx, m1d.ones({3, 5}, dt)):numel(), 20, dt .. ": index_add")
  T.is(m1d.matmul(a, a:t()):size(1), 4, dt .. ": matmul")
  T.is(m1d.matmul(m1d.randn({2, 4, 5}, dt), a:t()):dim(), 3, dt .. ": batched matmul")
  T.ok(#tostring(m1d.randn({30, 40}, dt)) > 0, dt .. ": printing a summarized tensor")
  T.ok(#tostring(a:argmax(2)) > 0 and a:argmin():item() >= 1, dt .. ": argmax and argmin")
  a:fill_(1); a:add_(b); a:mul_(2); a:copy_(b); a:zero_()
  a[2] = 3; a[3] = b
  T.is(a[2][1], 3, dt .. ": in-place ops and index assignment")
  local x <close> = m1d.randn({100}, dt)
  x:release()
  T.ok(tostring(x) == "tensor(released)", dt .. ": released tensor")
end

-- cumsum, sort, topk, norm, max(): values, gradients of gradients, and their errors
do
  local x = m1d.randn({4, 6}, "float64"):requires_grad()
  local v, i = x:sort(2, true)
  local tv = x:topk(3, 1, false)
  local y = (v:tanh() * i:double()):sum() + (tv ^ 2):sum() + (x:cumsum(2) ^ 2):sum() + x:norm()
  y = y + x:norm(1, 2):sum() + x:norm(math.huge, 1):sum() + x:norm(0.5, 2, true):sum() + x:max() * x:min()
  local g = m1d.grad(y, {x}, {create_graph = true})[1]
  local gg = m1d.grad((g * g):sum(), {x})[1]
  T.ok(gg:sum():item() == gg:sum():item(), "sort, topk, cumsum, norm: second order gives a number")
  T.is(m1d.tensor({3, 1, 2}, "int64"):sort():sum():item(), 6, "sort of int64")
  fails(function() return x:topk(7) end, "topk: k too large", "topk")
  fails(function() return x:norm(-1) end, "norm: p < 0", "norm")
  fails(function() return x:sort(1, "no") end, "sort: descending not a boolean", "descending")
  fails(function() return x:cumsum() end, "cumsum without dim", "cumsum")
end

---------------------------------------------------------------- autograd

do
  local x = m1d.randn({3, 4}, "float64"):requires_grad()
  local w = m1d.randn({5, 4}, "float64"):requires_grad()
  local y = (m1d.linear(x, w):tanh() ^ 2):sum()
  local gx, gw = table.unpack(m1d.grad(y, {x, w}, {create_graph = true}))
  local ggx = m1d.grad((gx * gx):sum() + gw:sum(), {x})[1]
  T.is(ggx:numel(), 12, "second-order gradient through linear and tanh")
  local z = (x:exp() * x):sum()
  z:backward({retain_graph = true})
  z:backward()
  T.ok(x.grad ~= nil, "backward twice with retain_graph accumulates into .grad")
  fails(function() z:backward() end, "backward a third time: the graph was released")
  fails(function() m1d.grad(z, {w}) end, "grad of an unrelated input")
  -- a Lua error raised in the middle of a recorded computation
  fails(function() m1d.no_grad(function() error("boom inside no_grad") end) end, "error in no_grad", "boom")
  T.ok(m1d.is_grad_enabled(), "grad mode restored after the error")
  -- meta-learning: d loss / d lr through three unrolled SGD steps
  local lr = m1d.tensor({0.1}, "float64"):requires_grad()
  local p = {m1d.randn({5, 4}, "float64"):requires_grad()}
  local xs, ys = m1d.randn({8, 4}, "float64"), m1d.tensor({0, 1, 2, 3, 4, 0, 1, 2}, "int64")
  local total = 0
  for _ = 1, 3 do
    local loss = m1d.cross_entropy(m1d.linear(xs, p[1]), ys)
    p = optim.sgd_step(p, m1d.grad(loss, p, {create_graph = true}), lr)
    total = total + loss
  end
  local glr = m1d.grad(total, {lr})[1]
  T.ok(glr:item() == glr:item(), "meta-gradient through unrolled SGD")
end

---------------------------------------------------------------- layers and optimizers

do
  local model = nn.models.cnn(4)
  local opt = optim.Adam(model:parameters(), {lr = 1e-2})
  local x, y = m1d.randn({6, 40}), m1d.tensor({1, 2, 3, 4, 5, 6}, "int64")
  for _ = 1, 2 do
    opt:zero_grad()
    local loss = nn.cross_entropy(model(x), y)
    loss:backward()
    opt:step()
  end
  T.ok(nn.accuracy(model(x), y) >= 0, "cnn with Adam: two steps")
  local mlp = nn.models.mlp(8)
  local sgd = optim.SGD(mlp:parameters(), {lr = 0.1, momentum = 0.9, nesterov = true})
  nn.mse_onehot(mlp(x), y):backward()
  sgd:step()
  local rms = optim.RMSprop(mlp:parameters())
  rms:step()
  local gru = nn.GRU(1, 3, {bidirectional = true})
  local out, h = gru(m1d.randn({2, 5, 1}))
  T.ok(out:size(3) == 6 and h:size(1) == 2, "bidirectional GRU")
  -- the fused LSTM (src/ops_lstm.c): forward, first-order BPTT, the rebuilt second order,
  -- optional states and biases, a padded batch; the fused RNN (src/ops_rnn.c)
  local lstm = nn.LSTM(2, 3, {bidirectional = true, num_layers = 2}):double()
  local xl = m1d.randn({3, 4, 2}, "float64")
  local lout, lst = lstm(xl, {m1d.randn({4, 3, 3}, "float64"), m1d.randn({4, 3, 3}, "float64")})
  local gl = m1d.grad((lout:pow(2):sum() + lst[2]:sum()), lstm:parameters(), {create_graph = true})
  m1d.grad(gl[2]:pow(2):sum(), {lstm.weight_ih_l0})
  local lm = nn.models.lstm(3)
  nn.cross_entropy(lm(m1d.randn({9, 40})), m1d.tensor({0, 1, 2, 3, 4, 5, 6, 7, 8}, "int64")):backward()
  fails(function() m1d.lstm(m1d.zeros(2, 3, 4), nil, nil, m1d.zeros(8, 5), m1d.zeros(8, 2)) end, "lstm shapes raise")
  local rnn = nn.RNN(2, 3, {nonlinearity = "relu", bidirectional = true})
  local rout = rnn(m1d.randn({2, 5, 2}))
  rout:sum():backward()
  T.ok(lout:size(3) == 6 and lst[1]:size(1) == 4 and rout:size(3) == 6, "LSTM and RNN")
  -- the fused normalisations (src/ops_norm.c) with their running statistics, the rebuilt
  -- second order, and their error paths
  local bnet = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Dropout(0.2), nn.LayerNorm(6))
  local xb = m1d.randn({5, 4}, "float64")
  bnet:double()
  local gb = m1d.grad(bnet(xb):pow(2):sum(), bnet:parameters(), {create_graph = true})
  m1d.grad(gb[1]:pow(2):sum(), {bnet[1].weight})
  bnet:eval()
  T.ok(bnet(xb):size(2) == 6, "BatchNorm1d, Dropout, LayerNorm: train, second order, eval")
  local _, bmean, bvar = m1d.batch_norm(m1d.randn({3, 2, 4}):transpose(1, 3))
  T.ok(bmean:numel() == 2 and bvar:numel() == 2, "batch_norm statistics")
  fails(function() m1d.batch_norm(m1d.zeros(3)) end, "batch_norm on 1-D raises")
  fails(function() m1d.layer_norm(m1d.zeros(2, 3), 4) end, "layer_norm with too many dims raises")
  fails(function() nn.Embedding(3, 2)(m1d.tensor({4}, "int64")) end, "Embedding out of range raises")
  fails(function() model(m1d.randn({6, 41, 2, 2})) end, "cnn on a wrong shape raises")
  fails(function() optim.SGD(mlp:parameters(), {lr = 0 / 0}) end, "SGD with a NaN lr raises")
end

---------------------------------------------------------------- errors from C

for _, f in ipairs{
  function() return m1d.zeros(2, 3) + m1d.zeros(4, 5) end,
  function() return m1d.matmul(m1d.zeros(2, 3), m1d.zeros(4, 5)) end,
  function() return m1d.zeros(2, 3):reshape(7) end,
  function() return m1d.zeros(-1) end,
  function() return m1d.zeros(1 << 40, 1 << 40) end,
  function() return m1d.tensor({{1, 2}, {3}}) end,
  function() return m1d.tensor({{1, 2}, {3, "x"}}) end,
  function() return m1d.cat({m1d.zeros(2), 5}) end,
  function() return m1d.zeros(2, 3):index_select(1, m1d.tensor({7}, "int64")) end,
  function() return m1d.zeros(2, 3)[9] end,
  function() return m1d.zeros(2, 3):sum(5) end,
  function() return m1d.cross_entropy(m1d.zeros(2, 3), m1d.tensor({0, 9}, "int64")) end,
  function() return m1d.conv1d(m1d.zeros(1, 2, 5), m1d.zeros(3, 4, 2)) end,
  function() return m1d.grad({m1d.zeros(2)}, {"x"}) end,
  function() return m1d.mnist1d.dataset{num_samples = -5} end,
  function() return m1d.mnist1d.dataset{bogus = 1} end,
  function() local t = m1d.zeros(2); t:release(); return t + 1 end,
} do
  fails(f, "error " .. _ .. " raised as a Lua error")
end

---------------------------------------------------------------- .npy files and the generator

do
  local dir = os.tmpname()
  os.remove(dir)
  m1d.makedirs(dir)
  local path = dir .. "/a.npy"
  for _, dt in ipairs{"float32", "float64", "int64"} do
    local t = m1d.arange(24, dt):reshape(2, 3, 4):transpose(1, 3)
    m1d.save_npy(path, t)
    local u = m1d.load_npy(path)
    T.ok((u - t):abs():max():item() == 0, "npy round trip " .. dt)
  end
  local f = assert(io.open(path, "rb"))
  local bytes = f:read("a")
  f:close()
  local function with(content, name)
    local g = assert(io.open(path, "wb"))
    g:write(content)
    g:close()
    fails(function() return m1d.load_npy(path) end, name, "load_npy")
  end
  with(bytes:sub(1, #bytes - 1), "a truncated .npy is an error")
  with(bytes:sub(1, 30), "a truncated header is an error")
  with(bytes:gsub("'shape': %(", "'shape': (99999999999, "), "a shape larger than the file is an error")
  with(bytes:gsub("<i8", "<c8"), "an unknown dtype is an error")
  with("", "an empty file is an error")
  fails(function() return m1d.load_npy(dir .. "/missing.npy") end, "a missing file is an error", "load_npy")
  os.remove(path)
  os.remove(dir)
  local d = m1d.mnist1d.dataset{num_samples = 50, seed = 1}
  T.is(d.x:size(1) + d.x_test:size(1), 50, "generator: 50 examples")
end

---------------------------------------------------------------- kNN, LBFGS, the logistic probe

do
  local x, q = m1d.randn({30, 4}, "float64"), m1d.randn({7, 4})
  local y = m1d.randint(0, 3, {30})
  for _, metric in ipairs{"euclidean", "cosine"} do
    local idx, dist = m1d.knn.neighbors(x, q, {k = 5, metric = metric, block = 3})
    T.ok(idx:size(2) == 5 and dist:getflat(1) <= dist:getflat(2), "knn " .. metric .. ": blocked search")
    T.is(m1d.knn.classify(x, y, q, {k = 4, metric = metric}):numel(), 7, "knn " .. metric .. ": vote")
  end
  fails(function() return m1d.knn.neighbors(x, m1d.tensor({{0 / 0, 0, 0, 0}}, "float64"), {k = 2}) end,
        "knn: NaN in the query is an error after the scratch is allocated", "NaN")
  fails(function() return m1d.core.knn_search(x, q, 0, false, 4) end, "knn_search: k = 0 is an error in C", "k must be")
  local w = m1d.zeros(4, 3, "float64"):requires_grad()
  local opt = optim.LBFGS({w}, {line_search_fn = "strong_wolfe", max_iter = 5})
  opt:step(function() opt:zero_grad(); local l = m1d.cross_entropy(x:matmul(w), y); l:backward(); return l end)
  T.ok(opt.state.n_iter >= 1, "LBFGS with the strong-Wolfe search")
  local r = m1d.probe.logistic(x, y, q, m1d.randint(0, 3, {7}), {max_iter = 5})
  T.ok(r.test_acc >= 0, "probe.logistic")
end

---------------------------------------------------------------- t-SNE (src/tsne*.c)
do
  local x = m1d.randn(60, 5, "float64")
  local y, info = m1d.tsne(x, {perplexity = 5, n_iter = 60, check_every = 20})
  T.ok(y:size(1) == 60 and info.kl > 0, "tsne: Barnes-Hut run (quadtree, groups, float kernel)")
  local ye = m1d.tsne(x, {perplexity = 5, n_iter = 30, method = "exact", metric = "cosine", init = "random"})
  T.ok(ye:size(2) == 2, "tsne: exact run, cosine, random init")
  -- identical data and an embedding of identical points: the tree's depth limit, Z > 0
  local dup = m1d.tsne(m1d.zeros(40, 3, "float64"), {perplexity = 5, n_iter = 20, init = m1d.zeros(40, 2)})
  T.ok(dup:size(1) == 40 and dup:abs():max():item() == 0, "tsne: duplicate points stay put, no NaN")
  fails(function() return m1d.tsne(x, {perplexity = 80}) end, "tsne: perplexity too large", "perplexity")
  fails(function() return m1d.core.tsne_symmetrize(m1d.zeros({3, 2}, "int64") + 7, m1d.zeros(3, 2, "float64")) end,
        "tsne_symmetrize: an index out of range is an error in C", "out of range")
end

collectgarbage()
io.write("1..", T.n, "\n")
os.exit(T.failed == 0 and 0 or 1, true)    -- close the state: every finalizer runs
