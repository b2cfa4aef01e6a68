-- The reference: Command line.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Command line", key = "command line",
  intro = "The `m1d` program is Lua 5.4 with the runtime built in: it runs scripts (with the " ..
          "globals `m1d` and `help` already set), `-e` chunks and the REPL, like `lua5.4`. " ..
          "`m1d gen` writes MNIST-1D data sets as .npy files and `m1d quiz` measures your own " ..
          "accuracy against the paper's human baseline. The examples run the program from the " ..
          "checkout as `./m1d`.",
  entries = {
    {"m1d script", "m1d script.lua [args...]",
     "Run a script: its arguments are in the global `arg` (`arg[0]` is the script name, " ..
     "`arg[1]`... the arguments), and the globals `m1d` (= `require \"m1d\"`) and `help` are " ..
     "set. An uncaught error prints the message and a traceback to stderr and exits with status " ..
     "1. `m1d -` runs a script read from stdin.",
     ex = [[local path = os.tmpname()
local f = io.open(path, "w"); f:write("print(arg[1], type(m1d.randn))"); f:close()
print(io.popen("./m1d " .. path .. " hello"):read("a"))
os.remove(path)]],
     out = "hello\tfunction"},
    {"m1d -e", "m1d [-e 'code' ...] [-l mod ...] [-i] [script [args]]",
     "Run chunks of code given on the command line, in order with -l; `-i` enters the REPL " ..
     "afterwards. `-l mod` requires a module into the global named exactly `mod`: for a dotted " ..
     "name such as m1d.util that global (\"m1d.util\") cannot be written as an identifier, so " ..
     "use `-e 'util = require \"m1d.util\"'` instead. A code argument starting with '-' is " ..
     "taken for a missing argument (usage error).",
     ex = [[print(io.popen("./m1d -e 'print(6 * 7)' -e 'print(m1d.zeros(2):sum():item())'"):read("a"))]],
     out = "42\n0.0"},
    {"m1d repl", "m1d [-i]",
     "With no script and no -e, start the REPL (also when stdin is a pipe: then no prompts " ..
     "are printed and each line is evaluated as typed). See the REPL section.",
     ex = [[print(io.popen("echo '=1 + 2' | ./m1d"):read("a"))]],
     out = "3"},
    {"m1d gen", "m1d gen [--<arg> <value> | --<arg>=<value> ...] --out DIR [--quiet]",
     "Generate an MNIST-1D data set bit-exact with the Python package and write DIR/x.npy, " ..
     "y.npy, x_test.npy, y_test.npy, t.npy (x float64, y int64; DIR is created). `<arg>` is any " ..
     "of mnist1d.defaults()' keys (num_samples, seed, padding 36,60, shuffle_seq true|false, " ..
     "...). Exit status 0, 1 on a generator error, 2 on a usage error (missing --out, unknown " ..
     "option, bad value); `m1d gen --help` lists the options. Read the result with " ..
     "mnist1d.load(DIR).",
     ex = [[local dir = os.tmpname() .. ".d"
io.popen("./m1d gen --num_samples 100 --seed 1 --quiet --out " .. dir):close()
print(m1d.mnist1d.load(dir))
for _, f in ipairs{"x", "y", "x_test", "y_test", "t"} do os.remove(dir .. "/" .. f .. ".npy") end
os.remove(dir); os.remove(dir:sub(1, -3))]],
     out = "MNIST-1D dataset: 80 train, 20 test, length 40, float32"},
    {"m1d quiz", "m1d quiz [--n 20] [--seed 0] [--width 79] [--height 18]",
     "The human baseline: shows frozen MNIST-1D test examples as text plots and asks for the " ..
     "digit (0-9 and Enter, `q` or end of input stops); answers \"right\" or \"wrong: it was " ..
     "d\" and reports the accuracy overall and per class. The same seed shows the same " ..
     "examples. The paper's human baseline is about 96%. Exit status 2 on a bad option.",
     ex = [[local out = io.popen("printf 'q\\n' | ./m1d quiz --n 1"):read("a")
print(out:match("No answers, no score."))]],
     out = "No answers, no score."},
    {"m1d --help", "m1d --help | -h | --version | -v",
     "Print the usage (options -e, -i, -l, -v, -h, --, -) or the version (\"m1d 0.1 (Lua " ..
     "5.4.x)\") and exit.",
     ex = [[print(io.popen("./m1d --version"):read("a"):match("^m1d %S+"))]],
     out = "m1d 0.1"},
    {"m1d.gen.main", "require(\"m1d.gen\").main({args...}) -> exit status",
     "What `m1d gen` runs, with the arguments after `gen` (a leading \"gen\" is skipped): " ..
     "returns 0, 1 (generator error, message on stderr) or 2 (usage error, message and usage " ..
     "on stderr); prints one line on success unless --quiet.",
     ex = [[local dir = os.tmpname() .. ".d"
print(require("m1d.gen").main{"--num_samples", "100", "--quiet", "--out", dir})
for _, f in ipairs{"x", "y", "x_test", "y_test", "t"} do os.remove(dir .. "/" .. f .. ".npy") end
os.remove(dir); os.remove(dir:sub(1, -3))]],
     out = "0"},
    {"m1d.quiz.main", "require(\"m1d.quiz\").main({args...}) -> exit status",
     "What `m1d quiz` runs: parses --n, --seed, --width, --height (non-negative integers, " ..
     "`--n=5` works too), loads the frozen test set and runs quiz.run on stdin/stdout. Returns 0, " ..
     "2 for a bad option (message on stderr), 1 if the data set cannot be loaded.",
     ex = [[print(io.popen("./m1d quiz --n x 2>/dev/null; echo $?"):read("a"))]],
     out = "2"},
    {"m1d.quiz.run", "quiz.run{data =, n = 20, seed = 0, read =, write =, width = 79, height = 18, render =} -> result",
     "The quiz with injectable data ({x_test = rows or tensor, y_test = labels 0-9}), input " ..
     "(`read() -> line | nil`), output (`write(s)`) and drawing (`render(signal, title) -> " ..
     "text`; default a gnuplot text plot). Returns {asked =, correct =, accuracy = percent (nil " ..
     "when nothing was answered), per_class = {[digit] = {n =, correct =}}, answers = {{index " ..
     "=, label =, answer =}, ...}}.",
     ex = [[local quiz = require "m1d.quiz"
local answers = {"7", "q"}
local r = quiz.run{data = {x_test = {{0, 1}, {1, 0}}, y_test = {2, 7}}, n = 2, seed = 0,
                   read = function() return table.remove(answers, 1) end, write = function() end,
                   render = function() return "" end}
print(r.asked, r.correct, r.answers[1].label)]],
     out = "1\t1\t7"},
    {"m1d.quiz.pick", "quiz.pick(total, n, seed) -> {indices}",
     "min(n, total) distinct indices in 1..total, a function of the seed alone (splitmix64 and " ..
     "a partial Fisher-Yates shuffle; math.random is not used).",
     ex = [[local p = require("m1d.quiz").pick(10, 10, 0)
table.sort(p); print(table.concat(p, ","))]],
     out = "1,2,3,4,5,6,7,8,9,10"},
    {"m1d.quiz.report", "quiz.report(result) -> string",
     "The summary quiz.run prints: overall accuracy against the human baseline " ..
     "(quiz.HUMAN_BASELINE = 96) and a line per digit shown. Sets result.accuracy.",
     ex = [[local r = {asked = 2, correct = 1, per_class = {[0] = {n = 0, correct = 0}}}
for d = 1, 9 do r.per_class[d] = {n = d == 3 and 2 or 0, correct = d == 3 and 1 or 0} end
print(require("m1d.quiz").report(r):match("^[^\n]*"))]],
     out = "Accuracy: 1 of 2 = 50.0% (the paper's human baseline is about 96%)"},
  },
}
