-- print_test.lua — tostring of tensors (PyTorch's layout: rows wrapped at the line width,
-- large tensors summarised with edge items and "...", the m1d shape/dtype suffix), the
-- print options and their checks, and modules printed as a tree.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local nn = m1d.nn

-- the expected texts are at 80 columns; "auto" would follow a terminal running this file
m1d.set_printoptions{linewidth = 80}

-- ---------------------------------------------------------------- small tensors: as before
T.is(tostring(m1d.tensor{{1, -2, 3}, {4.5, 5, 6}}),
     "tensor([[ 1.0000, -2.0000,  3.0000],\n        [ 4.5000,  5.0000,  6.0000]], float32 [2,3])",
     "a small matrix prints as before: aligned columns, 4 digits, suffix")
T.is(tostring(m1d.tensor({1, 2, 3}, "int64")), "tensor([1, 2, 3], int64 [3])", "int64 vector")
T.is(tostring(m1d.tensor{1e-6, 1e6}), "tensor([1.0000e-06, 1.0000e+06], float32 [2])",
     "scientific notation when the magnitudes need it")
T.is(tostring(m1d.zeros(2, 2, 1)), "tensor([[[0.0000],\n         [0.0000]],\n\n        [[0.0000],\n         [0.0000]]], float32 [2,2,1])",
     "3-D: blocks separated by a blank line")

-- ---------------------------------------------------------------- 0-dim and empty
T.is(tostring(m1d.tensor(3.5)), "tensor(3.5000, float32 [])", "0-dim float")
T.is(tostring(m1d.tensor(-7, "int64")), "tensor(-7, int64 [])", "0-dim int64")
T.is(tostring(m1d.tensor(2e-7, "float64")), "tensor(2.0000e-07, float64 [])", "0-dim tiny value in sci")
T.is(tostring(m1d.zeros(0)), "tensor([], float32 [0])", "empty vector")
T.is(tostring(m1d.zeros({2, 0}, "int64")), "tensor([], int64 [2,0])", "empty matrix")

-- ---------------------------------------------------------------- wrapping
-- one MNIST-1D example (40 values) was one 360-character line
local row = tostring(m1d.arange(40) / 10 - 2)
T.is(row, [=[
tensor([-2.0000, -1.9000, -1.8000, -1.7000, -1.6000, -1.5000, -1.4000, -1.3000,
        -1.2000, -1.1000, -1.0000, -0.9000, -0.8000, -0.7000, -0.6000, -0.5000,
        -0.4000, -0.3000, -0.2000, -0.1000,  0.0000,  0.1000,  0.2000,  0.3000,
         0.4000,  0.5000,  0.6000,  0.7000,  0.8000,  0.9000,  1.0000,  1.1000,
         1.2000,  1.3000,  1.4000,  1.5000,  1.6000,  1.7000,  1.8000,  1.9000], float32 [40])]=],
     "a 40-element row wraps at 80 columns, continuation lines under the first element")
local longest = 0
for line in (row .. "\n"):gmatch("(.-)\n") do
  if not line:find("float32", 1, true) then longest = math.max(longest, #line) end
end
T.ok(longest <= 80, "no wrapped line is wider than 80", longest)
T.is(tostring(m1d.randn(3, 40)):gsub("[^\n]", ""):len(), 3 * 5 - 1, "each row of a [3, 40] wraps on its own (5 lines each)")

-- not a terminal: 80 columns whatever COLUMNS says
local p = io.popen([[COLUMNS=30 lua5.4 -e 'print(require("m1d").arange(40))' 2>&1]])
local piped = p:read("a"); p:close()
T.ok(piped:find("tensor([ 0.0000,  1.0000,  2.0000,  3.0000,  4.0000,  5.0000,  6.0000,  7.0000,\n         8.0000,", 1, true),
     "stdout not a terminal: rows wrap at 80, COLUMNS ignored", piped)

-- a terminal (util-linux `script` gives the child one): COLUMNS, else the terminal's size
if os.execute("command -v script >/dev/null 2>&1") then
  local function in_tty(cmd)
    local q = io.popen("script -qc " .. ("%q"):format(cmd) .. " /dev/null 2>&1")
    local out = q:read("a"); q:close()
    return (out:gsub("\r", ""))
  end
  local code = "lua5.4 -l m1d -e 'print(m1d.arange(12))'"
  T.ok(in_tty("COLUMNS=50 " .. code):find("3.0000,\n         4.0000,", 1, true), "terminal: COLUMNS=50 wraps after 4")
  T.ok(in_tty("unset COLUMNS; stty cols 60; " .. code):find("4.0000,\n         5.0000,", 1, true),
       "terminal without COLUMNS: its size (60 columns) wraps after 5")
else
  T.diag("no `script` command: the terminal-width cases are not run")
end

-- ---------------------------------------------------------------- summaries
-- PyTorch's rule: more than threshold (1000) elements; 1000 print in full
local full = tostring(m1d.arange(1000, "int64"))
T.ok(not full:find("...", 1, true) and full:find(" 999]", 1, true), "1000 elements print in full (wrapped)")
T.is(select(2, full:gsub(",", ",")), 999 + 1, "all 1000 values (999 separators and the suffix's)")
T.is(tostring(m1d.arange(1001)), [=[
tensor([   0.0000,    1.0000,    2.0000,  ...,  998.0000,  999.0000,
        1000.0000], float32 [1001])]=], "a [1001] is summarised: 3 edge items each side")
T.is(tostring(m1d.arange(2000, "int64")), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999], int64 [2000])",
     "int64 summary")
T.is(tostring(m1d.arange(10000):reshape(100, 100)), [=[
tensor([[   0.0000,    1.0000,    2.0000,  ...,   97.0000,   98.0000,
           99.0000],
        [ 100.0000,  101.0000,  102.0000,  ...,  197.0000,  198.0000,
          199.0000],
        [ 200.0000,  201.0000,  202.0000,  ...,  297.0000,  298.0000,
          299.0000],
        ...,
        [9700.0000, 9701.0000, 9702.0000,  ..., 9797.0000, 9798.0000,
         9799.0000],
        [9800.0000, 9801.0000, 9802.0000,  ..., 9897.0000, 9898.0000,
         9899.0000],
        [9900.0000, 9901.0000, 9902.0000,  ..., 9997.0000, 9998.0000,
         9999.0000]], float32 [100,100])]=], "a [100, 100]: 3 edge rows and columns, a '...' row")
T.is(tostring((m1d.arange(3000, "float64") / 1000):reshape(3, 10, 100)):match("^(.-)\n"),
     "tensor([[[0.0000, 0.0010, 0.0020,  ..., 0.0970, 0.0980, 0.0990],",
     "float64 3-D summary: first row")
T.ok(tostring((m1d.arange(3000, "float64") / 1000):reshape(3, 10, 100)):find(
     "         ...,\n         [0.7000,", 1, true), "3-D summary: the '...' row inside a block")
local hidden = m1d.zeros(2000)
hidden[1000] = 1e10
T.is(tostring(hidden), "tensor([0.0000, 0.0000, 0.0000,  ..., 0.0000, 0.0000, 0.0000], float32 [2000])",
     "width and notation come from the printed elements only (as PyTorch)")
local g = m1d.randn(2000):requires_grad() * 2
T.ok(tostring(g):find("float32 [2000], grad_fn)", 1, true), "the suffix keeps grad_fn")

-- ---------------------------------------------------------------- options
local d = m1d.get_printoptions()
T.is(("%s %s %s %s %s"):format(d.precision, d.threshold, d.edgeitems, d.linewidth, d.sci_mode),
     "4 1000 3 80 auto", "get_printoptions: PyTorch's defaults (linewidth set to 80 above)")
d.precision = 9
T.is(m1d.get_printoptions().precision, 4, "get_printoptions returns a copy")

m1d.set_printoptions{precision = 2}
T.is(tostring(m1d.tensor{1 / 3, 2}), "tensor([0.33, 2.00], float32 [2])", "precision")
T.is(tostring(m1d.tensor{1e-6, 1}), "tensor([1.00e-06, 1.00e+00], float32 [2])", "precision in sci notation")
m1d.set_printoptions{precision = 4, threshold = 5}
T.is(tostring(m1d.arange(6, "int64")), "tensor([0, 1, 2, 3, 4, 5], int64 [6])",
     "threshold: a dimension no longer than 2 * edgeitems stays whole")
T.is(tostring(m1d.arange(7, "int64")), "tensor([0, 1, 2,  ..., 4, 5, 6], int64 [7])", "threshold 5 summarises 7")
m1d.set_printoptions{edgeitems = 1}
T.is(tostring(m1d.arange(12, "int64"):reshape(3, 4)), "tensor([[ 0,  ...,  3],\n        ...,\n        [ 8,  ..., 11]], int64 [3,4])",
     "edgeitems 1")
m1d.set_printoptions{edgeitems = 0}
T.is(tostring(m1d.arange(12, "int64"):reshape(3, 4)), "tensor([...], int64 [3,4])", "edgeitems 0")
m1d.set_printoptions{threshold = math.huge, edgeitems = 3}
T.ok(not tostring(m1d.zeros(5000)):find("...", 1, true), "threshold math.huge: never summarised")
T.is(m1d.get_printoptions().threshold, math.huge, "math.huge reads back")
m1d.set_printoptions{threshold = 1000, linewidth = 30}
T.is(tostring(m1d.arange(6, "int64") * 100), "tensor([  0, 100, 200, 300,\n        400, 500], int64 [6])", "linewidth 30: (30 - 7) // 5 = 4 a line")
m1d.set_printoptions{linewidth = 1}
T.is(tostring(m1d.arange(3, "int64")), "tensor([0,\n        1,\n        2], int64 [3])", "linewidth 1: one element a line")
m1d.set_printoptions{linewidth = 80, sci_mode = true}
T.is(tostring(m1d.tensor{1, 2}), "tensor([1.0000e+00, 2.0000e+00], float32 [2])", "sci_mode true")
T.is(tostring(m1d.tensor(5)), "tensor(5.0000e+00, float32 [])", "sci_mode true, 0-dim")
T.is(tostring(m1d.tensor({1, 2}, "int64")), "tensor([1, 2], int64 [2])", "sci_mode leaves int64 alone")
m1d.set_printoptions{sci_mode = false}
T.is(tostring(m1d.tensor{1e-6, 1e6}), "tensor([      0.0000, 1000000.0000], float32 [2])", "sci_mode false")
m1d.set_printoptions{sci_mode = "auto"}
T.is(tostring(m1d.tensor{1e-6, 1e6}), "tensor([1.0000e-06, 1.0000e+06], float32 [2])", "sci_mode auto")
m1d.set_printoptions{profile = "short"}
local s = m1d.get_printoptions()
T.is(("%s %s %s %s %s"):format(s.precision, s.threshold, s.edgeitems, s.linewidth, s.sci_mode),
     "2 1000 2 auto auto", "profile short (resets linewidth to auto)")
m1d.set_printoptions{profile = "full", precision = 3, linewidth = 80}
s = m1d.get_printoptions()
T.is(("%s %s %s"):format(s.precision, s.threshold, s.linewidth), "3 inf 80", "profile full, then the other keys")
m1d.set_printoptions(d)
T.is(m1d.get_printoptions().precision, 9, "a get_printoptions table set back restores it")
m1d.set_printoptions{profile = "default", linewidth = 80}

-- ---------------------------------------------------------------- bad options
local before = m1d.get_printoptions()
T.raises(function() m1d.set_printoptions{precison = 3} end, "unknown key",
         "m1d.set_printoptions", "unknown option 'precison'", "edgeitems, linewidth, precision, profile, sci_mode, threshold")
T.raises(function() m1d.set_printoptions(3) end, "not a table", "m1d.set_printoptions", "got number")
T.raises(function() m1d.set_printoptions() end, "no argument", "m1d.set_printoptions", "got nil")
T.raises(function() m1d.set_printoptions{precision = -1} end, "negative precision", "precision", "got -1")
T.raises(function() m1d.set_printoptions{precision = 2.5} end, "fractional precision", "precision", "2.5")
T.raises(function() m1d.set_printoptions{precision = 41} end, "precision too large", "precision", "[0, 40]")
T.raises(function() m1d.set_printoptions{threshold = -1} end, "negative threshold", "threshold", "got -1")
T.raises(function() m1d.set_printoptions{threshold = "big"} end, "string threshold", "threshold", "big")
T.raises(function() m1d.set_printoptions{edgeitems = -2} end, "negative edgeitems", "edgeitems")
T.raises(function() m1d.set_printoptions{linewidth = 0} end, "linewidth 0", "linewidth", "got 0")
T.raises(function() m1d.set_printoptions{linewidth = "wide"} end, "linewidth string", "linewidth", "wide")
T.raises(function() m1d.set_printoptions{sci_mode = 1} end, "sci_mode number", "sci_mode", "true, false or \"auto\"")
T.raises(function() m1d.set_printoptions{profile = "long"} end, "unknown profile", "profile", "long")
T.raises(function() m1d.set_printoptions{precision = 2, threshold = -5} end, "one bad value among good", "threshold")
local after = m1d.get_printoptions()
T.ok(after.precision == before.precision and after.threshold == before.threshold,
     "a rejected call changes nothing")

-- ---------------------------------------------------------------- modules as a tree
T.is(tostring(nn.models.cnn()), [=[
cnn(
  (c1): Conv1d(1 -> 25, k 5, stride 2, padding 1, CLN)  weight [25,1,5], bias [25]  (150 parameters)
  (c2): Conv1d(25 -> 25, k 3, stride 2, padding 1, CLN)  weight [25,25,3], bias [25]  (1900 parameters)
  (c3): Conv1d(25 -> 25, k 3, stride 2, padding 1, CLN)  weight [25,25,3], bias [25]  (1900 parameters)
  (fc): Linear(125 -> 10)  weight [10,125], bias [10]  (1260 parameters)
)  (5210 parameters)]=], "the CNN: each layer with its parameter shapes and count, then the total")
T.is(tostring(nn.Sequential(nn.Linear(40, 20), nn.ReLU(), nn.Linear(20, 10, {bias = false}))), [=[
Sequential(
  (1): Linear(40 -> 20)  weight [20,40], bias [20]  (820 parameters)
  (2): ReLU
  (3): Linear(20 -> 10)  weight [10,20]  (200 parameters)
)  (1020 parameters)]=], "Sequential: children by index, a layer without parameters by name")
T.is(tostring(nn.Linear(3, 1)), "Linear(3 -> 1)  weight [1,3], bias [1]  (4 parameters)", "a layer alone: one line")
T.is(tostring(nn.Linear(1, 1, {bias = false})), "Linear(1 -> 1)  weight [1,1]  (1 parameter)", "one parameter, singular")
T.is(tostring(nn.Tanh()), "Tanh", "an activation alone")
T.is(tostring(nn.Linear(2, 2):double()), "Linear(2 -> 2)  weight [2,2] float64, bias [2] float64  (6 parameters)",
     "a dtype other than float32 is shown")
local custom = nn.Module{body = nn.Sequential(nn.Linear(4, 3), nn.Tanh()), head = nn.Linear(3, 1),
                         forward = function(self, x) return self.head(self.body(x)) end}
custom:register("scale", m1d.ones(1):requires_grad())
T.is(tostring(custom), [=[
Module(
  (body): Sequential(
    (1): Linear(4 -> 3)  weight [3,4], bias [3]  (15 parameters)
    (2): Tanh
  )  (15 parameters)
  (head): Linear(3 -> 1)  weight [1,3], bias [1]  (4 parameters)
  (scale): parameter [1]
)  (20 parameters)]=], "a custom nn.Module: nested containers indented, its own parameter listed")
T.is(tostring(nn.Module{}), "Module", "an empty module")
T.ok(tostring(nn.models.gru()):find("^gru%(\n  %(rnn%): GRU%(1 %-> 6, bidirectional%)  weight_ih_l0 %[18,1%]"),
     "the GRU model")
T.ok(tostring(nn.models.mlp()):find(")  (15210 parameters)", 1, true), "the MLP's total")

T.done()
