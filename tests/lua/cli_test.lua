-- cli_test.lua — command lines: util.parse_args (lua-argparse underneath) and every
-- experiment's --help and unknown-flag error.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util

local OPTS = {
  {"steps", 6000, "training steps", min = 1},
  {"lr", 1e-2, "learning rate"},
  {"quick", false, "a smoke test"},
  {"progress", true, "a progress line"},
  {"models", "mlp,cnn", "models"},
  {"eval_every", 250, "evaluate every N steps"},
  {"reps", nil, "repeats", type = "integer"},
  {"dtype", "float32", "precision", choices = {"float32", "float64"}},
}
local function parse(argv) return util.parse_args(argv, OPTS, "demo: a demo") end

local d = parse{}
T.ok(d.steps == 6000 and math.type(d.steps) == "integer" and d.lr == 0.01 and d.quick == false and
     d.progress == true and d.models == "mlp,cnn" and d.reps == nil and d.dtype == "float32",
     "no arguments: the defaults")
local c = parse{"--steps", "100", "--lr", "1e-3", "--quick", "--no-progress", "--eval-every", "5",
                "--reps", "3", "--dtype", "float64", "--models", "gru"}
T.ok(c.steps == 100 and c.lr == 1e-3 and c.quick == true and c.progress == false and c.eval_every == 5 and
     c.reps == 3 and c.dtype == "float64" and c.models == "gru",
     "every kind of option, a dashed alias and --no-<flag>")
T.ok(parse{"--eval_every", "7"}.eval_every == 7, "the underscore name too")
T.is(parse{"--steps", "1e3"}.steps, 1000, "an integer may be written 1e3")

local function err_of(argv)
  local ok, e = pcall(parse, argv)
  return not ok and tostring(e) or nil
end
local cases = {
  {{"--stpes", "3"}, "unknown option '--stpes'; did you mean '--steps'?"},
  {{"--steps", "x"}, "option --steps: 'x' is not a number"},
  {{"--steps", "1.5"}, "option --steps: '1.5' is not an integer"},
  {{"--steps", "0"}, "option --steps: 0 is below its minimum 1"},
  {{"--dtype", "float16"}, "must be one of 'float32', 'float64'"},
  {{"--steps"}, "'--steps' requires an argument"},
  {{"extra"}, "too many arguments"},
  {{"--quick", "false"}, "too many arguments"},
}
for _, case in ipairs(cases) do
  local e = err_of(case[1])
  T.ok(e and e:find(case[2], 1, true) and e:find("(try --help)", 1, true),
       "error: " .. table.concat(case[1], " "), e)
end
local ok, e = pcall(parse, {"--bogus"})
T.ok(not ok and type(e) == "table" and not tostring(e):find("traceback"),
     "the error is an object whose tostring is the message (lua5.4 and m1d print no traceback)")

T.raises(function() util.parse_args({}, {{"steps", 1}}, "d") end, "an option without help is an error",
         "option 'steps' needs a help text")
T.raises(function() util.parse_args({}, {{"reps", nil, "repeats"}}, "d") end,
         "a nil default without a type is an error", "option 'reps' needs a default or type")
T.raises(function() util.parse_args({}, {steps = 1}, "d") end, "the old map form is an error",
         "options must be a list")
T.raises(function() util.parse_args({}, {{"a", 1, "x"}, {"a", 2, "y"}}, "d") end, "a name twice is an error",
         "option 'a' appears twice")

-- every experiment: --help describes each option with text, an unknown flag is a clean error
local bin = os.getenv("M1D_BIN") or "./m1d"

-- without the Debian packages the message gives the apt-get line
local okm, missing = T.sh(bin .. [[ -e 'package.preload.cjson = function() error("gone") end
package.preload.argparse = function() error("gone") end
local u = require "m1d.util"
print(select(2, pcall(u.json_encode, {1})))
print(select(2, pcall(u.parse_args, {}, {{"a", 1, "x"}}, "d")))']])
T.ok(okm and missing:find("install the Debian package lua-cjson (apt-get install lua-cjson)", 1, true)
     and missing:find("install the Debian package lua-argparse (apt-get install lua-argparse)", 1, true),
     "a missing lua-cjson or lua-argparse: the error names the package to install", missing)
local scripts = {}
for name in io.popen("ls experiments/*.lua"):lines() do scripts[#scripts + 1] = name end
T.ok(#scripts >= 9, "found the experiment scripts", #scripts)
for _, script in ipairs(scripts) do
  local okh, out = T.sh(("%s %s --help"):format(bin, script))
  local opts, bare = 0, {}
  local in_opts = false
  local lines = {}
  for line in out:gmatch("[^\n]*") do lines[#lines + 1] = line end
  for i, line in ipairs(lines) do
    if line == "Options:" then in_opts = true
    elseif in_opts then
      local flag, rest = line:match("^   (%-%-[%w_%-]+[^ ]*[^ ]*) *(.*)$")
      if flag then
        opts = opts + 1
        -- the help text is on the line or, for a long flag, on the next one
        if not (rest:find("%a") or (lines[i + 1] or ""):match("^%s%s%s%s%s%s+%a")) then bare[#bare + 1] = flag end
      end
    end
  end
  T.ok(okh and opts >= 2 and #bare == 0, script .. " --help describes every option",
       okh and ("%d options; without text: %s"):format(opts, table.concat(bare, " ")) or out)
  local eok, eout = T.sh(("%s %s --no-such-flag"):format(bin, script))
  T.ok(not eok and eout:find("unknown option '--no-such-flag'", 1, true) and not eout:find("traceback"),
       script .. ": an unknown flag is a one-line error", eout)
end
T.done()
