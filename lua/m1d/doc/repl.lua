-- The reference: REPL.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "REPL", key = "repl",
  intro = "`m1d` with no script starts a REPL: expressions print their value, `=expr` works " ..
          "too, incomplete chunks continue on the next line, Tab completes globals, fields and " ..
          "methods, and history is kept in `~/.m1d_history` (or `$M1D_HISTORY`).",
  entries = {
    {"help", "help([x])",
     "Documentation: `help()` for an overview, `help(m1d.randn)`, `help(\"randn\")`, " ..
     "`help(m1d.nn)` (a module lists its contents), `help(t)` for a tensor's methods, " ..
     "`help(\"pool\")` lists every entry that matches."},
    {"m1d.repl.show", "repl.show(...)",
     "Print values as the REPL does: tables nested with sorted keys, truncated after " ..
     "`repl.max_items` entries and `repl.max_depth` levels, cycles marked; tensors and " ..
     "figures through `tostring`."},
    {"m1d.repl.format", "repl.format(v) -> string",
     "The text `repl.show` prints for one value."},
    {"m1d.repl.complete", "repl.complete(word) -> {candidates}",
     "Tab-completion candidates: globals and keywords, fields after `.`, methods after " ..
     "`:` (for userdata, from the metatable's `__index` table)."},
    {"m1d.repl.help_text", "repl.help_text([x]) -> string",
     "What `help(x)` prints."},
  },
}
