-- The reference: Processes.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Processes", key = "processes",
  entries = {
    {"m1d.core.spawn", "core.spawn(argv [, {stderr = \"merge\"|\"inherit\"|\"null\"}]) -> Process",
     "Run a program (PATH searched) on a two-way pipe; its stderr joins stdout by " ..
     "default. A program that cannot be run raises \"cannot run 'x': <reason>\"."},
    {"Process:write", "p:write(s, ...) -> p",
     "Write to the child's stdin (draining its output meanwhile, so it cannot deadlock); " ..
     "raises if the child has exited."},
    {"Process:read_until", "p:read_until(marker [, timeout_ms = 10000]) -> text | nil, why, text",
     "Read until marker; returns what came before it. On timeout or EOF: nil, " ..
     "\"timeout\"|\"closed\", everything read."},
    {"Process:read_available", "p:read_available() -> string",
     "Output read so far, without waiting."},
    {"Process:close", "p:close() -> code, \"exit\"|\"signal\", rest",
     "Close stdin, collect the remaining output, wait. Idempotent; also `<close>` and the " ..
     "collector."},
    {"Process:alive", "p:alive() -> boolean",
     "Whether the child is still running."},
    {"Process:kill", "p:kill([signal = 15]) -> p",
     "Send a signal."},
  },
}
