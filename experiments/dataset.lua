-- experiments/dataset.lua — what MNIST-1D looks like: the ten 12-point digit templates,
-- and transformed examples of each class (padded, dilated, scaled, translated, noised,
-- sheared, resampled to 40 points), like the overview figure of the paper.
--
--   ./m1d experiments/dataset.lua [--per_class 4] [--seed 42] [--out results/dataset.png]
local m1d = require "m1d"
local util, plot = m1d.util, m1d.plot

local cfg = util.parse_args(arg, {
  {"per_class", 4, "examples drawn per class", min = 1},
  {"seed", 42, "generator seed (42: the frozen dataset's)"},
  {"out", "results/dataset.png", "figure file (a .pdf beside it)"},
  {"quick", false, "accepted for the test runner; the figure is the same"},
}, "dataset.lua: plot the MNIST-1D templates and examples per class")
local t0 = m1d.clock()
local data = m1d.mnist1d.dataset(m1d.mnist1d.args{seed = cfg.seed}, {dtype = "float64"})
print(("generated %d + %d examples (seed %d) in %.1f ms"):format(data.x:size(1), data.x_test:size(1),
      cfg.seed, (m1d.clock() - t0) * 1000))

local colors = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}
local fig = plot.figure{layout = "1x2", size = {1300, 700}, title = "MNIST-1D: templates and examples"}

-- templates, one above the other (digit d at height d)
local tpl = data.templates
local series = {}
for d = 1, 10 do
  local ys = tpl.x[d]:totable()
  for i = 1, #ys do ys[i] = ys[i] + (d - 1) end
  series[d] = {x = tpl.t:totable(), y = ys, color = colors[d], name = tostring(d - 1), style = "linespoints"}
end
fig:panel{title = "the ten templates (12 points)", xlabel = "t", ylabel = "digit (offset)", series = series, legend = false,
          extra = "set xtics 0.4"}

-- transformed examples: per class, the first `per_class` training examples, offset by class
series = {}
local y = data.y:totable()
local t = data.t:totable()
for d = 0, 9 do
  local found = 0
  for i = 1, #y do
    if y[i] == d and found < cfg.per_class then
      found = found + 1
      local xs = data.x[i]:totable()
      for j = 1, #xs do xs[j] = xs[j] + 4 * d end
      series[#series + 1] = {x = t, y = xs, color = colors[d + 1], name = found == 1 and tostring(d) or nil}
    end
  end
end
fig:panel{title = ("%d examples per class (40 points)"):format(cfg.per_class), xlabel = "t",
          ylabel = "class (offset)", series = series, legend = false, extra = "set ytics 4"}
fig:save(cfg.out, {pdf = true})
fig:close()
print("wrote " .. cfg.out)
