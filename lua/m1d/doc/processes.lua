-- The reference: Processes.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Processes", key = "processes",
  intro = "A child process on a two-way pipe, what each figure uses to drive its gnuplot: " ..
          "`m1d.core.spawn(argv)` starts it, `p:write` feeds its stdin, `p:read_until(marker)` " ..
          "reads its output (stdout and, by default, stderr) up to a marker, `p:close()` ends it " ..
          "and returns the exit status. Writing never deadlocks against a child that writes " ..
          "back, and a dead child raises a Lua error instead of a SIGPIPE. `m1d.jobs.run` runs many " ..
          "such children at once (the sweeps' `--jobs`).",
  entries = {
    {"m1d.jobs.run", "jobs.run(tasks [, {jobs = m1d.num_cores(), on_line = fn(task, line), poll_ms = 50}]) -> seconds",
     "Run commands N at a time on this machine: tasks = {{argv = {program, args...}, name =}, ...}, " ..
     "started in order as children finish (m1d.core.spawn; stderr joins stdout). Every line a " ..
     "child prints goes to on_line (default: printed). When a child exits non-zero or is killed, " ..
     "the others are killed and the error reads \"jobs: NAME failed (exit 3|killed by signal 9); " ..
     "its last lines: ...\" (its last 20 lines). An error in on_line or an interrupt kills the " ..
     "children too; children get SIGTERM if this process dies, so none is left running. The " ..
     "sweeps use it for `--jobs` (each run as `script --run N`).",
     ex = [[local lines = {}
m1d.jobs.run({{argv = {"echo", "one"}, name = "a"}, {argv = {"echo", "two"}, name = "b"}},
             {jobs = 2, on_line = function(task, line) lines[#lines + 1] = task.name .. "=" .. line end})
table.sort(lines); print(table.concat(lines, " "))
print(select(2, pcall(m1d.jobs.run, {{argv = {"sh", "-c", "echo oops; exit 3"}, name = "c"}},
                      {on_line = function() end})))]],
     out = "a=one b=two\njobs: c failed (exit 3); its last lines:\noops"},
    {"m1d.core.spawn", "core.spawn(argv [, {stderr = \"merge\"|\"inherit\"|\"null\"}]) -> Process",
     "Run a program (argv = {program, args...}; PATH searched) with its stdin and stdout on " ..
     "pipes; its stderr joins stdout by default (\"inherit\": ours, \"null\": discarded). The " ..
     "child runs in its own process group (Ctrl-C in the REPL does not reach it). A program " ..
     "that cannot be run raises `spawn: cannot run 'x': <reason>`; an empty argv or another " ..
     "stderr mode raises an error too.",
     ex = [[local p = m1d.core.spawn{"sh", "-c", "echo out; echo err >&2"}
print(p:close())]],
     out = "0\texit\tout\nerr\n"},
    {"Process", "p = m1d.core.spawn(argv [, opts])",
     "A child process object: tostring gives \"m1d.Process 'name' pid N\" or \"... (exited)\". " ..
     "It is released (stdin closed, output dropped, child waited for) by `<close>`, the " ..
     "garbage collector or p:release(). `help(p)` lists the methods.",
     ex = [[local p <close> = m1d.core.spawn{"cat"}
print((tostring(p):gsub("%d+$", "N")))]],
     out = "m1d.Process 'cat' pid N"},
    {"Process:write", "p:write(s, ...) -> p",
     "Write the strings to the child's stdin, all of them before returning, reading the " ..
     "child's output into the buffer meanwhile (so it cannot deadlock). Raises \"process 'x': " ..
     "its input is closed\" after close, and an error if the child has exited.",
     ex = [[local p = m1d.core.spawn{"cat"}
p:write("a", "b", "\n")
print(p:read_until("\n"), (p:close()))]],
     out = "ab\t0"},
    {"Process:flush", "p:flush() -> p",
     "Does nothing (writes are not buffered) and returns p; there so a process can stand " ..
     "where a file is expected.",
     ex = [[local p <close> = m1d.core.spawn{"cat"}
print(p:flush() == p)]],
     out = "true"},
    {"Process:read_until", "p:read_until(marker [, timeout_ms = 10000]) -> text | nil, why, text",
     "Wait until marker appears in the child's output and return what came before it; the " ..
     "marker and one newline after it are consumed, the rest stays buffered. On timeout or " ..
     "when the child closes its output first: nil, \"timeout\" | \"closed\", and everything " ..
     "read so far (consumed). A negative timeout waits forever.",
     ex = [[local p <close> = m1d.core.spawn{"cat"}
p:write("hello\nEND\n")
print(p:read_until("END"), p:read_until("X", 10))]],
     out = "hello\n\tnil\ttimeout\t"},
    {"Process:read_available", "p:read_available() -> string",
     "Everything the child has written so far (possibly \"\"), without waiting; consumed.",
     ex = [[local p <close> = m1d.core.spawn{"cat"}
print(("%q"):format(p:read_available()))]],
     out = [[""]]},
    {"Process:close", "p:close() -> code, \"exit\"|\"signal\", rest",
     "Close the child's stdin (it sees end of file), collect its remaining output (up to 5 s), " ..
     "and wait for it (SIGTERM, then SIGKILL if it does not exit within about 3 s). Returns " ..
     "the exit code or signal number, how it ended, and the output not yet read. Safe to call " ..
     "again (the same status, rest \"\").",
     ex = [[local p = m1d.core.spawn{"sh", "-c", "exit 3"}
print(p:close())]],
     out = "3\texit\t"},
    {"Process:alive", "p:alive() -> boolean",
     "Whether the child is still running (an exited child is reaped).",
     ex = [[local p = m1d.core.spawn{"cat"}
print(p:alive()); p:close(); print(p:alive())]],
     out = "true\nfalse"},
    {"Process:pid", "p:pid() -> integer | nil",
     "The child's process id, nil once it has been reaped (after close, release or alive() " ..
     "seeing it exit).",
     ex = [[local p = m1d.core.spawn{"cat"}
print(math.type(p:pid())); p:close(); print(p:pid())]],
     out = "integer\nnil"},
    {"Process:kill", "p:kill([signal = 15]) -> p",
     "Send a signal (a number; SIGTERM by default) to the child; nothing if it has been " ..
     "reaped. Raises if kill(2) fails.",
     ex = [[local p = m1d.core.spawn{"sleep", "10"}
print(p:kill():close())]],
     out = "15\tsignal\t"},
    {"Process:release", "p:release()",
     "What `<close>` and the collector call: close stdin and the output pipe without reading " ..
     "it (buffered output is dropped; a child still writing may die of SIGPIPE) and wait for " ..
     "the child as close does. Idempotent; close() afterwards returns the status.",
     ex = [[local p = m1d.core.spawn{"cat"}
p:release()
print(p:pid(), p:alive())]],
     out = "nil\tfalse"},
  },
}
