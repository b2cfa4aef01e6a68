-- repl_test.lua — the m1d program (built at the repo root by make): running scripts and
-- -e chunks, the REPL through a pipe and under a pseudo-terminal (util-linux script),
-- help(), value printing, completion and the quiz with injected input.
local T = dofile("tests/lua/tap.lua")

local M1D = os.getenv("M1D_BIN") or "./m1d"     -- make check-asan: the sanitizer build
if not io.open(M1D, "r") then
  io.write("1..0 # SKIP ./m1d is not built (run make)\n")
  os.exit(0)
end

local tmpfiles = {}
local function tmpname()
  local n = os.tmpname()
  tmpfiles[#tmpfiles + 1] = n
  return n
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local function write_file(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

local function shq(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- run a shell command with input on stdin; returns stdout, stderr, exit status
local function run(cmd, input)
  local inp, out, err = tmpname(), tmpname(), tmpname()
  write_file(inp, input or "")
  local ok, how, code = os.execute(("%s < %s > %s 2> %s"):format(cmd, inp, out, err))
  if how ~= "exit" then code = 128 + (code or 0) end
  return slurp(out), slurp(err), code
end

local function has(s, sub) return s:find(sub, 1, true) ~= nil end

------------------------------------------------------------------- command line

local out, err, code = run(M1D .. " -e 'print(1+1)'")
T.ok(out == "2\n" and code == 0, "m1d -e 'print(1+1)' prints 2", out .. err)

out, _, code = run(M1D .. " -e 'x = 20' -e 'print(x + 1)'")
T.ok(out == "21\n" and code == 0, "several -e chunks run in order", out)

out, err, code = run(M1D .. " -e 'error(\"bad thing\")'")
T.ok(code == 1 and has(err, "bad thing") and has(err, "stack traceback"),
     "an error in -e: message and traceback on stderr, exit 1", err)

out, _, code = run(M1D .. " --version")
T.ok(code == 0 and out:match("^m1d %S+ %(Lua 5%.4"), "--version", out)
out, _, code = run(M1D .. " --help")
T.ok(code == 0 and has(out, "usage:") and has(out, "m1d quiz"), "--help shows usage", out)
_, err, code = run(M1D .. " --no-such-flag")
T.ok(code == 2 and has(err, "--no-such-flag"), "an unknown option exits 2 and names it", err)

out, _, code = run(M1D .. " -e 'print(type(m1d), type(help), type(m1d.plot.lines))'")
T.ok(out == "table\tfunction\tfunction\n", "globals m1d and help are set; m1d.plot loads", out)

out = run(M1D .. " -e 'print(package.path:match(\"^[^;]+\"))'")
T.ok(out:match("/lua/%?%.lua\n$"), "package.path starts with the library next to the binary", out)

-- a script with arguments
local script = tmpname()
write_file(script, [[
print("name", (arg[0]:match("[^/]+$")))
print("args", #arg, arg[1], arg[2], select("#", ...))
print("neg", arg[-1] ~= nil)
os.exit(tonumber(arg[3]) or 0)
]])
out, err, code = run(M1D .. " " .. shq(script) .. " alpha 'b c' 7")
T.ok(has(out, "name\t" .. script:match("[^/]+$")), "the script name is arg[0]", out .. err)
T.ok(has(out, "args\t3\talpha\tb c\t3"), "arguments in arg[1..] and in ...", out)
T.ok(has(out, "neg\ttrue"), "the interpreter at arg[-1]", out)
T.is(code, 7, "os.exit's status is the program's")

write_file(script, "local function f() error('deep error') end\nf()\n")
_, err, code = run(M1D .. " " .. shq(script))
T.ok(code == 1 and has(err, "deep error") and (has(err, "in local 'f'") or has(err, "in function")),
     "a failing script: traceback, exit 1", err)

out, _, code = run(M1D .. " -", "print('from stdin')\n")
T.ok(out == "from stdin\n" and code == 0, "m1d - runs stdin as a script", out)

-------------------------------------------------------------- REPL through a pipe

local session = table.concat({
  "x = 1",
  "x + 1",
  "=x * 10",
  "'text'",
  "{3, 2, 1, name = 'n', sub = {a = true}}",
  "error('boom')",
  "40 + 2",
  "function twice(a)",
  "  local b = a * 2",
  "  return b",
  "end",
  "twice(21)",
  "t = {} t.me = t",
  "t",
  "1, nil, 'z'",
  "help(m1d.plot.lines)",
  "help('randn')",
  "local y = 5",       -- a local statement: prints nothing
  "nosuch.field",
  "'after errors'",
}, "\n") .. "\n"
out, err, code = run(M1D, session)
local lines = {}
for l in out:gmatch("[^\n]*") do lines[#lines + 1] = l end
T.ok(code == 0, "the REPL exits 0 at end of input", err)
T.ok(not has(out, "m1d>"), "no prompts when stdin is not a terminal", out)
T.is(lines[1], "2", "x = 1 then x + 1 prints 2")
T.is(lines[2], "10", "=expr prints the value")
T.is(lines[3], "text", "a string prints as it is")
T.is(lines[4], '{3, 2, 1, name = "n", sub = {a = true}}', "a table prints nested with sorted keys")
T.ok(has(err, "boom") and has(err, "stack traceback"), "an error prints a traceback", err)
T.is(lines[5], "42", "the session continues after an error")
T.is(lines[6], "42", "a multi-line function definition works")
T.ok(lines[7] and lines[7]:match("^{me = <cycle: table 0x%x+>}$"), "a cycle is marked", lines[7])
T.is(lines[8], "1\tnil\tz", "several results separated by tabs")
T.ok(has(out, "plot.lines{series...") and has(out, "A one-panel line plot"), "help(function) prints its doc", out)
T.ok(has(out, "m1d.randn(") and has(out, "standard normal"), "help('name') finds m1d.randn")
T.ok(has(err, "attempt to index a nil value (global 'nosuch')"), "an index error is reported", err)
T.is(lines[#lines - 1], "after errors", "still running at the end")

-- an incomplete chunk at end of input is reported, not lost
out, err = run(M1D, "for i = 1, 3 do\n")
T.ok(has(err, "'end' expected"), "EOF inside a chunk reports the syntax error", err)

-- m1d -i after -e; os.exit inside the REPL
out, _, code = run(M1D .. " -e 'y = 6' -i", "y * 7\nos.exit(5)\nprint('not reached')\n")
T.ok(out == "42\n" and code == 5, "-e then -i: the REPL sees the chunk's globals; os.exit(5)", out)

-- printing tensors goes through their __tostring
out, err = run(M1D, "m1d.zeros(2, 3)\n{m1d.zeros(2)}\n")
T.ok(has(out, "2") and has(out, "3") and not has(err, "error"), "a tensor prints through tostring", out .. err)

-- the printer's limits
local repl = dofile("lua/m1d/repl.lua")
local big = {}
for i = 1, 100 do big[i] = i end
local s = repl.format(big)
T.ok(has(s, "... (76 more)"), "long tables are truncated", s)
local deep = {a = {b = {c = {d = {e = {}}}}}}
T.ok(has(repl.format(deep), "{...}"), "deep nesting is cut", repl.format(deep))
local wide = {}
for i = 1, 10 do wide["key" .. i] = ("value %d"):format(i) end
T.ok(has(repl.format(wide), "\n  key1 = "), "wide tables break over lines", repl.format(wide))
T.is(repl.format(setmetatable({}, {__tostring = function() return "OBJ" end})), "OBJ", "__tostring is used")
T.is(repl.format({1.0, -0.5, "a\nb"}), '{1.0, -0.5, "a\\nb"}', "floats and escaped strings inside tables")

-- completion candidates
local c = repl.complete("string.up")
T.ok(#c == 1 and c[1] == "string.upper", "complete a library field", table.concat(c, " "))
c = repl.complete("pri")
T.ok(#c == 1 and c[1] == "print", "complete a global", table.concat(c, " "))
c = repl.complete("whi")
T.ok(#c == 1 and c[1] == "while", "complete a keyword")
local obj = setmetatable({}, {__index = {frob = function() end, value = 1}})
_G.completion_obj = obj
c = repl.complete("completion_obj:")
T.ok(#c == 1 and c[1] == "completion_obj:frob", "':' offers methods only", table.concat(c, " "))
c = repl.complete("completion_obj.")
T.ok(#c == 2, "'.' offers every field", table.concat(c, " "))
_G.completion_obj = nil
T.is(#repl.complete("no_such_global."), 0, "unknown prefix: no candidates")
out = run(M1D .. [[ -e 'local c = require("m1d.repl").complete("m1d.ra") print(table.concat(c, " "))' ]])
T.ok(has(out, "m1d.randn"), "completion over the m1d module", out)
out = run(M1D .. [[ -e 't = m1d.zeros(2)' -e 'print(table.concat(require("m1d.repl").complete("t:res"), " "))' ]])
T.ok(has(out, "t:reshape"), "completion of tensor methods (from the metatable)", out)

-- documentation
local doc = dofile("lua/m1d/doc.lua")
local md = doc.markdown()
T.ok(has(md, "## API reference") and has(md, "### Plots (m1d.plot)") and has(md, "`fig:save("),
     "doc.markdown renders the reference")
local missing = {}
for _, n in ipairs{"m1d.plot.lines", "m1d.plot.scatter", "m1d.plot.heatmap", "m1d.plot.figure",
                   "Figure:save", "Figure:show", "help", "m1d quiz", "m1d gen", "m1d.randn"} do
  if not doc.get(n) then missing[#missing + 1] = n end
end
T.ok(#missing == 0, "documented: plot, REPL, quiz, gen and tensor entries", table.concat(missing, " "))
out = run(M1D .. [[ -e 'print(require("m1d.doc").markdown())' ]])
T.ok(has(out, "### Tensors"), "the README generation command works", out:sub(1, 200))
out = run(M1D .. [[ -e 'help()' -e 'help("no-such-entry-xyz")' -e 'help(nil)' ]])
T.ok(has(out, "Sections:") and has(out, "no documentation for 'no-such-entry-xyz'") and has(out, "is nil"),
     "help() overview, unknown names, nil")

---------------------------------------------------------------------------- quiz

local qscript = tmpname()
write_file(qscript, [==[
local quiz = require "m1d.quiz"
local xs, ys = {}, {}
for i = 1, 30 do
  xs[i] = {}
  for j = 1, 40 do xs[i][j] = math.sin(j / (1 + i % 10)) end
  ys[i] = i % 10
end
local order = quiz.pick(#xs, 4, 3)
local answers = {tostring(ys[order[1]]), "x", tostring((ys[order[2]] + 1) % 10), tostring(ys[order[3]]), "q"}
local k, out = 0, {}
local res = quiz.run{data = {x_test = xs, y_test = ys}, n = 4, seed = 3, width = 60, height = 16,
                     read = function() k = k + 1 return answers[k] end,
                     write = function(s) out[#out + 1] = s end}
io.write(table.concat(out))
print("RESULT", res.asked, res.correct)
]==])
out, err, code = run(M1D .. " " .. shq(qscript))
T.ok(has(out, "RESULT\t3\t2"), "quiz with injected answers: 3 asked, 2 right ('x' re-asked, 'q' stops)", out .. err)
T.ok(has(out, "Accuracy: 2 of 3 = 66.7% (the paper's human baseline is about 96%)"),
     "quiz reports the accuracy against the human baseline")
T.ok(has(out, "digit  shown  right  accuracy") and has(out, "please type one digit"), "per-class table; bad input re-asked")
T.ok(has(out, "example 1 of 4") and has(out, "position"), "examples are shown as text plots")

out, _, code = run(M1D .. " quiz --help")
T.ok(code == 0 and has(out, "usage: m1d quiz"), "m1d quiz --help (subcommand dispatch)", out)
_, err, code = run(M1D .. " quiz --bogus")
T.ok(code == 2 and has(err, "unknown argument '--bogus'"), "m1d quiz: a bad argument exits 2", err)

local frozen_ok = run(M1D .. [[ -e 'print(pcall(function() return m1d.mnist1d.frozen().x_test:totable()[1][1] end))' ]])
if frozen_ok:match("^true") then
  out, err, code = run(M1D .. " quiz --n 3 --seed 1 --width 70 --height 16", "1\n2\n3\n")
  T.ok(code == 0 and has(out, "Accuracy:") and has(out, "of 3 ="), "m1d quiz on the frozen test set", out .. err)
else
  T.ok(true, "# SKIP m1d.mnist1d.frozen() is not available yet")
end

--------------------------------------------------------------- a pseudo-terminal

local have_script = os.execute("command -v script > /dev/null 2>&1")
if not have_script then
  for _ = 1, 7 do T.ok(true, "# SKIP util-linux script is not installed") end
else
  local hist = tmpname()
  os.remove(hist)
  local function pty(input, env)
    local inp, outp = tmpname(), tmpname()
    write_file(inp, input)
    os.execute(("%s script -qec %s /dev/null < %s > %s 2>&1"):format(
      env or ("M1D_HISTORY=" .. hist), shq(M1D), inp, outp))
    -- drop the terminal's control sequences and carriage returns
    return (slurp(outp):gsub("\27%[[%d;?]*[%a]", ""):gsub("\r", ""))
  end
  local tout = pty("x = 41\nx + 1\nstring.up\t('a')\nfor i = 1, 2 do\nprint(i * 10)\nend\nerror('tty boom')\n'alive'\n\4")
  T.ok(has(tout, "m1d> ") and has(tout, "...> "), "a terminal gets prompts and continuation prompts", tout)
  T.ok(tout:find("\n42\n", 1, true), "x + 1 prints 42 under a terminal", tout)
  T.ok(has(tout, "string.upper('a')") and tout:find("\nA\n", 1, true), "Tab completes string.up to string.upper", tout)
  T.ok(tout:find("\n10\n20\n", 1, true) and has(tout, "tty boom") and tout:find("\nalive\n", 1, true),
       "multi-line chunks and errors under a terminal", tout)
  local h = slurp(hist)
  T.ok(has(h, "x + 1") and has(h, "for i = 1, 2 do\nprint(i * 10)\nend"), "history saved to $M1D_HISTORY", h)
  -- Ctrl-C: stops running code with "interrupted!", and clears a half-typed line
  local outp = tmpname()
  os.execute(("(printf 'while true do end\\n'; sleep 1; printf '\\003'; sleep 0.5; " ..
              "printf 'half typed'; sleep 0.3; printf '\\003'; sleep 0.3; printf '\"survived\"\\n\\004') " ..
              "| M1D_HISTORY= script -qec %s /dev/null > %s 2>&1"):format(shq(M1D), outp))
  local t3 = slurp(outp):gsub("\27%[[%d;?]*[%a]", ""):gsub("\r", "")
  T.ok(has(t3, "interrupted!") and has(t3, "half typed^C") and t3:find("\nsurvived\n", 1, true),
       "Ctrl-C interrupts a loop and clears the prompt; the REPL survives", t3)
  local t2 = pty("1 + 1\n\4", "HOME=/nonexistent-m1d-home M1D_HISTORY=")
  T.ok(t2:find("\n2\n", 1, true) and not has(t2, "rror"), "an unwritable HOME does not stop the REPL", t2)
end

for _, f in ipairs(tmpfiles) do os.remove(f) end
T.done()
