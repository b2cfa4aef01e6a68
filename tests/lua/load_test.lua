-- load_test.lua — memory stays bounded under long loops without collectgarbage(), and the
-- same seed (and thread count) gives bit-identical training runs.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn, optim = m1d.nn, m1d.optim
local data = m1d.mnist1d.frozen()

-- 10,000 training steps of the paper's CNN
m1d.manual_seed(0)
local model = nn.models.cnn()
local opt = optim.Adam(model:parameters(), {lr = 1e-2})
local rss = {}
for step = 1, 10000 do
  local x, y = data:batch((step - 1) * 100 + 1, 100)
  local loss = nn.cross_entropy(model(x), y)
  opt:zero_grad(); loss:backward(); opt:step()
  if step == 1000 or step == 10000 then rss[#rss + 1] = m1d.rss_mb() end
end
T.diag(("CNN: RSS %.1f MB after 1,000 steps, %.1f MB after 10,000"):format(rss[1], rss[2]))
T.ok(rss[2] - rss[1] < 20, "10,000 CNN steps: RSS grows by less than 20 MB after warm-up")
T.ok(rss[2] < 200, ("CNN training stays under 200 MB (%.0f MB)"):format(rss[2]))

-- 50 outer steps of a small meta-learning loop (a learned lr through 20 inner SGD steps)
m1d.manual_seed(0)
local net = nn.Sequential(nn.Linear(40, 50), nn.Tanh(), nn.Linear(50, 10))
local init = net:state()
local lr = m1d.tensor({0.1}):requires_grad()
local rss_meta = {}
for outer = 1, 50 do
  local p, total = {}, nil
  for i, t in ipairs(init) do p[i] = t:clone():requires_grad() end
  for s = 1, 20 do
    local x, y = data:batch((s - 1) * 50 + 1, 50)
    local loss = nn.cross_entropy(net:apply(p, x), y)
    p = optim.sgd_step(p, m1d.grad(loss, p, {create_graph = true}), lr)
    total = total and total + loss or loss
  end
  local g = m1d.grad(total / 20, lr)
  lr = (lr - 0.1 * g):detach():requires_grad()
  if outer == 5 or outer == 50 then rss_meta[#rss_meta + 1] = m1d.rss_mb() end
end
T.diag(("meta-learning: RSS %.1f MB after 5 outer steps, %.1f MB after 50"):format(rss_meta[1], rss_meta[2]))
T.ok(rss_meta[2] - rss_meta[1] < 30, "50 outer meta-learning steps: RSS stays bounded")
T.ok(lr:item() == lr:item() and lr:item() > 0, "the learned lr is a positive number")

-- determinism: the same seed gives the same losses, bit for bit
local function run(seed)
  m1d.manual_seed(seed)
  local mlp = nn.models.mlp()
  local o = optim.Adam(mlp:parameters(), {lr = 1e-2})
  local losses = {}
  for step = 1, 100 do
    local x, y = data:batch((step - 1) * 100 + 1, 100)
    local loss = nn.cross_entropy(mlp(x), y)
    o:zero_grad(); loss:backward(); o:step()
    losses[step] = loss:item()
  end
  return losses
end
local a, b = run(7), run(7)
local same = true
for i = 1, #a do same = same and a[i] == b[i] end
T.ok(same, ("same seed, same 100 losses bit for bit (last %.17g)"):format(a[#a]))
local c = run(8)
T.ok(c[#c] ~= a[#a], "another seed gives other losses")
T.done()
