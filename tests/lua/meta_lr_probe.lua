-- meta_lr_probe.lua MODE — the meta-gradient of a learning rate through 200 unrolled SGD
-- steps of the tanh MLP 40-50-10 (the torch fixture meta_lr), with MODE "plain" (the whole
-- unrolled graph kept) or "checkpoint" (one m1d.checkpoint segment per inner step: only the
-- parameters of each step are kept).  Prints: meta_loss dmeta_dlr peak_rss_mb.
-- Run in its own process by checkpoint_test.lua so that peak RSS belongs to one mode.
local m1d = require "m1d"
local mode = arg[1] or "plain"
local dir = "tests/fixtures/torch/meta_lr/"
local xs, ys = m1d.load_npy(dir .. "x_train.npy"), m1d.load_npy(dir .. "y_train.npy")
local p = {}
for i, n in ipairs{"W1", "b1", "W2", "b2"} do p[i] = m1d.load_npy(dir .. n .. ".npy"):requires_grad() end
local lr = m1d.load_npy(dir .. "steps200_lr0p5_lr.npy"):reshape({}):requires_grad()

-- one inner step: loss at p, then p - lr * grad (with create_graph)
local function step(w1, b1, w2, b2, lr_, xb, yb)
  local loss = m1d.cross_entropy(m1d.linear(m1d.linear(xb, w1, b1):tanh(), w2, b2), yb)
  local g = m1d.grad(loss, {w1, b1, w2, b2}, {create_graph = true})
  return {w1 - lr_ * g[1], b1 - lr_ * g[2], w2 - lr_ * g[3], b2 - lr_ * g[4], loss}
end

local total
for i = 0, 199 do
  local s = (i * 50) % 1000
  local xb, yb = xs:narrow(1, s + 1, 50), ys:narrow(1, s + 1, 50)
  local r
  if mode == "checkpoint" then r = m1d.checkpoint(step, p[1], p[2], p[3], p[4], lr, xb, yb)
  else r = step(p[1], p[2], p[3], p[4], lr, xb, yb) end
  p = {r[1], r[2], r[3], r[4]}
  total = total and total + r[5] or r[5]
end
local meta = total / 200
local d = m1d.grad(meta, lr)
print(("%.17g %.17g %.1f"):format(meta:item(), d:item(), m1d.peak_rss_mb()))
