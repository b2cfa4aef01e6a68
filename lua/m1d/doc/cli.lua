-- The reference: Command line.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Command line", key = "command line",
  intro = "The `m1d` program is Lua 5.4 with the runtime built in; it also runs the generator " ..
          "and the human-baseline quiz.",
  entries = {
    {"m1d script", "m1d script.lua [args...]",
     "Run a script; its arguments are in the global `arg` (`arg[0]` is the script name). " ..
     "The globals `m1d` (= `require \"m1d\"`) and `help` are set. Exit status 1 on error."},
    {"m1d -e", "m1d -e 'code' [-e 'code' ...] [-i]",
     "Run chunks of code given on the command line; `-i` enters the REPL afterwards. `-l " ..
     "mod` requires a module into the global `mod`. `m1d -` runs stdin as a script."},
    {"m1d repl", "m1d [-i]",
     "Start the REPL (also when stdin is a pipe; prompts are printed only on a terminal)."},
    {"m1d gen", "m1d gen [options]",
     "Generate an MNIST-1D data set (`require(\"m1d.gen\").main(args)`); `m1d gen --help` " ..
     "lists the options."},
    {"m1d quiz", "m1d quiz [--n 20] [--seed 0] [--width 79] [--height 18]",
     "The human baseline: shows MNIST-1D test examples as text plots and asks for the " ..
     "digit (0-9, `q` to stop); reports the accuracy overall and per class. The paper's " ..
     "human baseline is about 96%."},
    {"m1d --help", "m1d --help | --version",
     "Usage, or the version."},
    {"m1d.gen.main", "require(\"m1d.gen\").main({args...}) -> exit status",
     "What `m1d gen` runs."},
    {"m1d.quiz.main", "require(\"m1d.quiz\").main({args...}) -> exit status",
     "What `m1d quiz` runs."},
    {"m1d.quiz.run", "quiz.run{data =, n = 20, seed = 0, read =, write =, width =, height =} -> result",
     "The quiz with injectable data ({x_test =, y_test =}), input (`read() -> line|nil`) " ..
     "and output (`write(s)`). Returns {asked =, correct =, accuracy =, per_class = " ..
     "{[digit] = {n =, correct =}}, answers = {...}}."},
    {"m1d.quiz.pick", "quiz.pick(total, n, seed) -> {indices}",
     "n distinct indices in 1..total, a function of the seed alone (splitmix64)."},
  },
}
