-- The reference: Sweeps and results (m1d.sweep, m1d.util).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Sweeps and results (m1d.sweep, m1d.util)", key = "results",
  intro = "What the experiment scripts share. `sweep.main` turns a script into a list of " ..
          "independent runs with unique keys: it runs them here, or lists the commands for GNU " ..
          "parallel or a Slurm array (`--list-commands`, `--run N`), keeps one JSON file per run " ..
          "(so an interrupted sweep resumes) and merges them into one results file with claims " ..
          "(`--merge`). `m1d.util` writes JSON atomically (lua-cjson) and parses command lines " ..
          "(lua-argparse), with a `--help` that describes every option.",
  entries = {
    {"m1d.sweep.main",
     "sweep.main{name =, argv = arg, options = {{name, default, help}, ...}, usage =, configure = fn(cfg), " ..
     "runs = fn(cfg) -> {{key =, stage = 1, seed =, ...}, ...}, run = fn(params, cfg, ctx) -> table, " ..
     "merge = fn(done, cfg, ctx) -> table} -> results | nil",
     "Run a sweep script. argv is parsed by util.parse_args against `options` plus `--out` " ..
     "(default `results/NAME.json`), `--figure` (default: --out with .png for .json) and the sweep options: " ..
     "(none) run every pending run stage by stage, then merge; `--list` (index, stage, key, " ..
     "done|pending); `--count`; `--list-commands [--stage S]` (one shell command per pending " ..
     "run); `--run N` (1-based); `--only k=v[,k=v]` (runs whose parameters or key match); " ..
     "`--merge`; `--force` (redo finished runs); `--jobs N` (default 0: one per core; with more " ..
     "than one, the default mode performs each pending run as `script --run N` in a child " ..
     "process through m1d.jobs.run, stage by stage: the same run files, bit for bit, as with " ..
     "`--jobs 1`, which runs everything in this process; the first failing run stops the " ..
     "others and fails the command). Keys must be unique, non-empty, without '/' " ..
     "or spaces. Each run gets m1d.manual_seed(params.seed or 0) and its result is written " ..
     "atomically to `OUT/runs/KEY.json` (OUT: --out without .json) with its parameters, time and CPU " ..
     "time; a file whose parameters differ from the current ones counts as pending. ctx has " ..
     "dir, base, cfg, runs, load(key) (a finished run's result, for stage-2 runs) and " ..
     "file(key, suffix) (a path for extra files). merge gets done = {{key, index, params, " ..
     "result, seconds, cpu_seconds}, ...} (ctx.missing, ctx.by_key too); main adds experiment, " ..
     "args, version, runs_total, runs_done, complete, missing, run_seconds, claims, " ..
     "run_files, writes it to --out, prints every claim (HOLDS/FAILS/n/a) and returns it.",
     ex = [[m1d.sweep.main{name = "demo", argv = {"--count"},
  runs = function(cfg) return {{key = "lr=0.1", lr = 0.1}, {key = "lr=0.01", lr = 0.01}} end,
  run = function(params, cfg, ctx) return {acc = 90} end,
  merge = function(done, cfg, ctx) return {claims = {}} end}]],
     out = "2"},
    {"m1d.sweep.claim", "sweep.claim(holds, fmt, ...) -> {holds =, evidence =}",
     "A claim for the results file: holds coerced to a boolean, evidence = fmt:format(...).",
     ex = [[local c = m1d.sweep.claim(94.1 > 90, "CNN %.1f%% > 90%%", 94.1)
print(c.holds, c.evidence)]],
     out = "true\tCNN 94.1% > 90%"},
    {"m1d.sweep.by_seed", "sweep.by_seed(items, fn(item) -> key, value) -> {values, ...}",
     "The per-seed value tables of sweep.seed_claim: one table per seed (item.params.seed for a " ..
     "finished run, else item.seed, else 0), in order of first appearance, holding value under " ..
     "key for every item fn does not skip (a nil key).",
     ex = [[local v = m1d.sweep.by_seed({{params = {seed = 0, model = "cnn"}, acc = 93},
  {params = {seed = 1, model = "cnn"}, acc = 95}, {params = {seed = 0, model = "mlp"}, acc = 66}},
  function(d) return d.params.model, d.acc end)
print(#v, v[1].cnn, v[1].mlp, v[2].cnn, v[2].mlp)]],
     out = "2\t93\t66\t95\tnil"},
    {"m1d.sweep.seed_claim",
     "sweep.seed_claim{criterion =, per_seed = {values, ...} [, keys = {...}], test = fn(values) -> holds, evidence} -> claim",
     "A claim decided over seeds. Each element of per_seed is what one seed measured, a table of " ..
     "numbers (`{cnn = 93.5, mlp = 65.0}`, as sweep.by_seed builds it); with keys, test sees only " ..
     "those and a seed lacking one is left out, without keys a seed lacking a key another has is " ..
     "(its runs are missing); with none left the claim is unmeasured. test decides the claim on " ..
     "the seed means (holds, evidence) and is run on every seed too: the claim carries " ..
     "criterion (the test and its tolerance in words), means, seeds, holds_in, per_seed " ..
     "(booleans) and evidence ending \"holds in k of n seeds\". The merge prints the criterion " ..
     "under the claim.",
     ex = [[local c = m1d.sweep.seed_claim{criterion = "CNN beats MLP by >= 5 points",
  per_seed = {{cnn = 93, mlp = 66}, {cnn = 94, mlp = 91}, {cnn = 92}},
  test = function(v) return v.cnn - v.mlp >= 5, ("CNN %.1f, MLP %.1f"):format(v.cnn, v.mlp) end}
print(c.holds, c.evidence)]],
     out = "true\tCNN 93.5, MLP 78.5; holds in 1 of 2 seeds"},
    {"m1d.sweep.unmeasured", "sweep.unmeasured(why) -> {holds = false, measured = false, evidence =}",
     "A claim that could not be evaluated (runs missing); printed as n/a by the merge.",
     ex = [[print(m1d.sweep.unmeasured("2 runs missing").evidence)]],
     out = "not measured: 2 runs missing"},
    {"m1d.sweep.smooth", "sweep.smooth(ys, k) -> {numbers}",
     "Centred moving average over a window of k (k // 2 on each side), shrinking at the ends; " ..
     "a new array of the same length.",
     ex = [[print(table.concat(m1d.sweep.smooth({1, 2, 3, 4, 5}, 3), ","))]],
     out = "1.5,2.0,3.0,4.0,4.5"},
    {"m1d.sweep.interior_peak", "sweep.interior_peak(ys) -> index, height",
     "The largest interior bump of a curve: the index j (neither end) whose value rises most " ..
     "above both the minimum of ys[1..j-1] and the minimum of ys[j+1..], and that rise (the " ..
     "smaller of the two); nil and 0 when no point rises above both sides. The double-descent " ..
     "studies' test-error peak.",
     ex = [[print(m1d.sweep.interior_peak{60, 50, 55, 52, 45})
print(m1d.sweep.interior_peak{3, 2, 1})]],
     out = "3\t5\nnil\t0"},
    {"m1d.sweep.print_table", "sweep.print_table(header, rows [, fmt = \"%8.1f\"])",
     "Print a right-aligned table: header a list of column names, rows lists of values; " ..
     "floats are formatted with fmt, integers and strings as they are, nil as \"-\". Columns " ..
     "are at least 8 wide.",
     ex = [[m1d.sweep.print_table({"model", "acc"}, {{"mlp", 68.5}, {"cnn", 94}})]],
     out = "   model      acc\n     mlp     68.5\n     cnn       94"},
    {"m1d.sweep.fmt_seconds", "sweep.fmt_seconds(s) -> string",
     "A duration for people: \"5.0 s\", \"1.5 min\", \"2.0 h\".",
     ex = [[print(m1d.sweep.fmt_seconds(5), m1d.sweep.fmt_seconds(90), m1d.sweep.fmt_seconds(7200))]],
     out = "5.0 s\t1.5 min\t2.0 h"},
    {"m1d.sweep.canon", "sweep.canon(v) -> string",
     "An order-independent text of a value (tables with sorted keys, integral floats as " ..
     "integers), with which sweep.main compares a run file's parameters to the current ones.",
     ex = [[print(m1d.sweep.canon{b = 2.0, a = {1, "x"}})]],
     out = "{a={1=1,2=x},b=2}"},
    {"m1d.sweep.exists", "sweep.exists(path) -> boolean",
     "Whether path can be opened for reading.",
     ex = [[print(m1d.sweep.exists("/nonexistent/file"))]],
     out = "false"},

    {"m1d.util.json_encode", "util.json_encode(v) -> string",
     "JSON text of a Lua value through lua-cjson (install the Debian package lua-cjson; a " ..
     "missing module raises an error saying so). Numbers keep 14 significant digits; sparse " ..
     "arrays become arrays with null; NaN and the infinities are written as NaN, Infinity and " ..
     "-Infinity (not strict JSON, but what Python's json module writes and reads; json_decode " ..
     "reads them back). " ..
     "Key order of objects is not defined.",
     ex = [[print(m1d.util.json_encode{1, 2.5, "x"})]],
     out = [=[[1,2.5,"x"]]=]},
    {"m1d.util.json_decode", "util.json_decode(s) -> value",
     "Parse JSON text (lua-cjson): numbers come back as floats (1 -> 1.0), null as a light " ..
     "userdata (cjson.null); invalid text raises an error.",
     ex = [[local v = m1d.util.json_decode('{"acc": [90, 92.5]}')
print(v.acc[1], v.acc[2])]],
     out = "90.0\t92.5"},
    {"m1d.util.write_atomic", "util.write_atomic(path, text)",
     "Write text to path atomically (a temporary file in the same directory, fsync, rename), " ..
     "creating missing directories, so a reader never sees half a file.",
     ex = [[local base = os.tmpname()
m1d.util.write_atomic(base .. ".d/a.txt", "hello")
local f = io.open(base .. ".d/a.txt"); print(f:read("a")); f:close()
os.remove(base .. ".d/a.txt"); os.remove(base .. ".d"); os.remove(base)]],
     out = "hello"},
    {"m1d.util.write_json", "util.write_json(path, v)",
     "write_atomic(path, json_encode(v) .. \"\\n\").",
     ex = [[local path = os.tmpname()
m1d.util.write_json(path, {steps = 100})
print(m1d.util.read_json(path).steps)
os.remove(path)]],
     out = "100.0"},
    {"m1d.util.read_json", "util.read_json(path) -> value",
     "Read and parse a JSON file; raises \"cannot read PATH: ...\" or \"PATH: not valid " ..
     "JSON (...)\". Numbers come back as floats.",
     ex = [[local path = os.tmpname()
m1d.util.write_json(path, {acc = {90, 95}})
print(#m1d.util.read_json(path).acc)
os.remove(path)]],
     out = "2"},
    {"m1d.util.check_options", "util.check_options(fname, opts, known [, level = 2]) -> opts",
     "The one checker of options tables (train, the layers, the optimizers and update rules, " ..
     "the plots, gradcheck, mnist1d, sweep.main, quiz.run): returns opts ({} for nil); a key not in the list `known` raises " ..
     "\"fname: unknown option 'key'; did you mean 'k'? (known: ...)\" (the hint when a known " ..
     "key is within two edits), a non-table raises too. level is counted as error() counts, " ..
     "from the function that calls check_options (2: that function's caller).",
     ex = [[local ok, err = pcall(m1d.util.check_options, "fit", {step = 10}, {"steps", "lr"})
print(err:match("fit: .*"))]],
     out = "fit: unknown option 'step'; did you mean 'steps'? (known: lr, steps)"},
    {"m1d.util.parse_args", "util.parse_args(argv, options, description) -> cfg",
     "Parse a script's command line with Debian's lua-argparse. options is a list of " ..
     "`{name, default, help [, type =] [, choices = {...}] [, min =]}`; cfg maps every name to its value " ..
     "(the default when the flag is absent). The type is `type` or the default's: integer " ..
     "(`6000`), number (`1e-2`, `0.5`), string or boolean; a nil default needs `type`. " ..
     "`--name value` sets an option (`--eval-every` is accepted for `--eval_every`), numbers " ..
     "are converted and integers must be whole; a boolean is a flag (`--quick`), and one that " ..
     "defaults to true also gets `--no-name`; `choices` restricts a value and `min` bounds a number " ..
     "from below. `--help`/`-h` prints " ..
     "the usage, the description and every option with its help and default, then exits " ..
     "(status 0). An unknown flag (with \"did you mean\"), a bad value, a missing value or a " ..
     "positional argument raises an error whose message (tostring(err); printed without a " ..
     "traceback by m1d and lua5.4) names the script and ends \"(try --help)\". Every option " ..
     "needs a help text.",
     ex = [[local o = m1d.util.parse_args({"--steps", "100", "--quick", "--max-lr", "1e-3"},
  {{"steps", 6000, "training steps"}, {"quick", false, "a smoke test"},
   {"max_lr", 0.01, "the largest learning rate"}}, "demo: a demo")
print(o.steps, o.quick, o.max_lr)
local ok, err = pcall(m1d.util.parse_args, {"--stpes", "3"}, {{"steps", 6000, "training steps"}}, "demo")
print((tostring(err):gsub("^.-: ", "")))]],
     out = "100\ttrue\t0.001\nunknown option '--stpes'; did you mean '--steps'? (try --help)"},
    {"m1d.util.curve_stats", "util.curve_stats(curves) -> {mean =, sd =, lo =, hi =, n =}",
     "Pointwise mean and sample sd of equally long arrays (one curve per seed); lo/hi = mean " ..
     "-/+ sd, for a plot band, and nil with a single curve (no band to draw). Curves of " ..
     "different lengths raise an error.",
     ex = [[local st = m1d.util.curve_stats{{1, 2, 3}, {3, 4, 5}}
print(st.mean[2], st.sd[2], st.lo[2], st.hi[2], st.n, m1d.util.curve_stats{{1, 2}}.lo)]],
     out = "3.0\t1.4142135623731\t1.5857864376269\t4.4142135623731\t2\tnil"},
    {"m1d.util.mean", "util.mean(xs) -> number",
     "The mean of an array of numbers (NaN for an empty array).",
     ex = [[print(m1d.util.mean{1, 2, 3, 4})]],
     out = "2.5"},
    {"m1d.util.sd", "util.sd(xs) -> number",
     "The sample standard deviation (n - 1 in the denominator); 0 for fewer than two values.",
     ex = [[print(m1d.util.sd{1, 2, 3}, m1d.util.sd{5})]],
     out = "1.0\t0"},
  },
}
