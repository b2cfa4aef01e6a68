-- quiz.lua — the human baseline: classify MNIST-1D test examples by eye.
--
--   m1d quiz [--n 20] [--seed 0] [--width 79] [--height 18]
--
-- Shows test examples (the 40-point signal against position) as text plots, asks for
-- the digit 0-9 ('q' stops), and reports the accuracy overall and per class.  The
-- paper's human baseline is about 96%.  quiz.run takes its data, its input and its
-- output as arguments, so it runs without a terminal (tests/lua/repl_test.lua).
local quiz = {}

quiz.HUMAN_BASELINE = 96   -- percent, from the MNIST-1D paper

local function totable(v) return require("m1d.plot").totable(v) end

-- splitmix64: the example order depends on the seed only, not on math.random's state
local function rng(seed)
  local s = math.tointeger(seed) or 0
  return function(n)        -- uniform integer in 1..n
    s = s + 0x9E3779B97F4A7C15
    local z = s
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    z = z ~ (z >> 31)
    return (z >> 1) % n + 1
  end
end

-- n distinct indices out of 1..total (a partial Fisher-Yates shuffle)
function quiz.pick(total, n, seed)
  local rand, idx, out = rng(seed), {}, {}
  n = math.min(n, total)
  for i = 1, n do
    local j = i - 1 + rand(total - i + 1)
    local a, b = idx[i] or i, idx[j] or j
    idx[i], idx[j] = b, a
    out[i] = b
  end
  return out
end

-- The text plot of one example (a plain array of 40 numbers).
function quiz.render(fig, signal, title, width, height)
  local pos = {}
  for i = 1, #signal do pos[i] = i end
  fig:panel{at = 1, series = {{x = pos, y = signal}},
            title = title, xlabel = "position", legend = false, xrange = {1, #signal}}
  return fig:text{width = width, height = height}
end

-- quiz.run{data =, n = 20, seed = 0, read = fn() -> line|nil, write = fn(s),
--          width = 79, height = 18, render = fn(signal, title) -> text}
-- data: {x_test = [N, 40] tensor or rows, y_test = [N] labels 0-9}.
-- Returns {asked =, correct =, accuracy = percent or nil, per_class = {[d] = {n =, correct =}},
--          answers = {{index =, label =, answer =}, ...}}.
function quiz.run(opts)
  opts = require("m1d.util").check_options("quiz.run", opts, {"data", "n", "seed", "read", "write", "render",
                                                              "width", "height"})
  local read = opts.read or function() return io.stdin:read("l") end
  local write = opts.write or function(s) io.stdout:write(s); io.stdout:flush() end
  local xs, ys = totable(opts.data.x_test), totable(opts.data.y_test)
  assert(type(xs) == "table" and type(ys) == "table" and #xs == #ys and #xs > 0,
         "quiz: data needs x_test (rows of numbers) and y_test (labels) of the same length")
  local order = quiz.pick(#xs, opts.n or 20, opts.seed or 0)
  local fig, render = nil, opts.render
  if not render then
    fig = require("m1d.plot").figure()
    render = function(signal, title)
      return quiz.render(fig, signal, title, opts.width or 79, opts.height or 18)
    end
  end
  local res = {asked = 0, correct = 0, per_class = {}, answers = {}}
  for d = 0, 9 do res.per_class[d] = {n = 0, correct = 0} end
  write(("MNIST-1D by eye: %d test example%s. Type the digit 0-9 and Enter; q stops.\n")
        :format(#order, #order == 1 and "" or "s"))
  local stopped = false
  for k, i in ipairs(order) do
    local signal = totable(xs[i])
    if type(signal[1]) == "table" then signal = signal[1] end
    local label = math.tointeger(ys[i]) or math.floor(ys[i])
    write("\n" .. render(signal, ("example %d of %d"):format(k, #order)))
    local answer
    while true do
      write("digit (0-9, q to stop)? ")
      local line = read()
      if line == nil then stopped = true break end
      line = line:gsub("^%s+", ""):gsub("%s+$", "")
      if line == "q" or line == "quit" then stopped = true break end
      if line:match("^%d$") then answer = tonumber(line) break end
      write("please type one digit, 0 to 9\n")
    end
    if stopped then break end
    res.asked = res.asked + 1
    local pc = res.per_class[label] or {n = 0, correct = 0}
    res.per_class[label] = pc
    pc.n = pc.n + 1
    res.answers[#res.answers + 1] = {index = i, label = label, answer = answer}
    if answer == label then
      res.correct = res.correct + 1
      pc.correct = pc.correct + 1
      write("right\n")
    else
      write(("wrong: it was %d\n"):format(label))
    end
  end
  if fig then fig:close() end
  write("\n" .. quiz.report(res))
  return res
end

-- The summary: overall accuracy against the paper's human baseline, and per class.
function quiz.report(res)
  if res.asked == 0 then return "No answers, no score.\n" end
  res.accuracy = 100 * res.correct / res.asked
  local lines = {
    ("Accuracy: %d of %d = %.1f%% (the paper's human baseline is about %d%%)")
      :format(res.correct, res.asked, res.accuracy, quiz.HUMAN_BASELINE),
    "digit  shown  right  accuracy",
  }
  for d = 0, 9 do
    local pc = res.per_class[d]
    if pc.n > 0 then
      lines[#lines + 1] = ("%5d  %5d  %5d  %7.1f%%"):format(d, pc.n, pc.correct, 100 * pc.correct / pc.n)
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

local USAGE = [[
usage: m1d quiz [--n 20] [--seed 0] [--width 79] [--height 18]
Shows MNIST-1D test examples as text plots and asks for the digit (q stops);
reports your accuracy overall and per class (the paper's human baseline: ~96%).
]]

-- m1d quiz args... -> exit status
function quiz.main(args)
  local opts = {n = 20, seed = 0}
  local i = 1
  while i <= #args do
    local a = args[i]
    local key, val = a:match("^%-%-(%w+)=(.*)$")
    if not key then key = a:match("^%-%-(%w+)$") end
    if a == "-h" or key == "help" then io.stdout:write(USAGE) return 0 end
    if key == "n" or key == "seed" or key == "width" or key == "height" then
      if not val then i = i + 1; val = args[i] end
      local v = math.tointeger(tonumber(val))
      if not v or v < 0 then
        io.stderr:write(("m1d quiz: --%s needs a non-negative integer, got %s\n"):format(key, tostring(val)))
        return 2
      end
      opts[key] = v
    else
      io.stderr:write(("m1d quiz: unknown argument '%s'\n"):format(a), USAGE)
      return 2
    end
    i = i + 1
  end
  local ok, data = pcall(function() return require("m1d").mnist1d.frozen() end)
  if not ok then
    io.stderr:write("m1d quiz: cannot load the frozen MNIST-1D test set: ", tostring(data), "\n")
    return 1
  end
  opts.data = data
  quiz.run(opts)
  return 0
end

return quiz
