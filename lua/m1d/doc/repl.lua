-- The reference: REPL.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "REPL", key = "repl",
  intro = "`m1d` with no script starts a REPL: expressions print their value (tables nested, " ..
          "tensors and figures by tostring), `=expr` works too, incomplete chunks continue on the " ..
          "next line, Tab completes globals, fields and methods, and history is kept in " ..
          "`~/.m1d_history` (or `$M1D_HISTORY`). `help(x)` documents a function, module, object " ..
          "or name, from this reference.",
  entries = {
    {"help", "help([x])",
     "Print documentation from this reference: `help()` an overview with the sections, " ..
     "`help(m1d.randn)` or `help(\"randn\")` one entry, `help(m1d.nn)` or `help(\"nn\")` a " ..
     "module or section with its contents, `help(obj)` for an object (a tensor, model, layer, " ..
     "dataset, optimizer, figure) what it is, its class's entry and its methods, `help(\"pool\")` " ..
     "every entry whose name or signature contains the fragment. A global in scripts and the " ..
     "REPL; the same function as m1d.repl.help. Returns nothing.",
     also = {"m1d.repl.help"},
     ex = [[-- help(m1d.nn.Identity) prints this text:
print(m1d.repl.help_text(m1d.nn.Identity))]],
     out = "nn.Identity() -> Module\n  Returns its input unchanged (the same tensor)."},
    {"m1d.repl.help_text", "repl.help_text([x]) -> string",
     "The text help(x) prints (see help). For nil: a hint about a misspelt name; for an " ..
     "undocumented value or unknown name: \"no documentation for ...\".",
     ex = [[print(m1d.repl.help_text(m1d.nn.Linear):match("^[^\n]*"))]],
     out = "nn.Linear(in, out [, {bias = true}]) -> Module"},
    {"m1d.repl.show", "repl.show(...)",
     "Print values as the REPL does, separated by tabs, to stdout: repl.format of each. " ..
     "(The example uses repl.format, since show writes to the real stdout.)",
     ex = [[-- repl.show({1, 2}, "x") prints the same line:
print(m1d.repl.format({1, 2}) .. "\t" .. m1d.repl.format("x"))]],
     out = "{1, 2}\tx"},
    {"m1d.repl.format", "repl.format(v) -> string",
     "The text the REPL shows for one value: a string as it is (quoted inside tables), numbers " ..
     "by tostring, tables nested with array items first and other keys sorted, broken over " ..
     "lines beyond repl.width (78) columns, truncated after repl.max_items (24) entries, " ..
     "repl.max_depth (4) levels and repl.max_string (120) characters, cycles marked " ..
     "`<cycle: ...>`; tensors, figures and objects with __tostring by tostring.",
     ex = [[print(m1d.repl.format{b = 2, a = {1, 2, 3}, "x"})]],
     out = [[{"x", a = {1, 2, 3}, b = 2}]]},
    {"m1d.repl.complete", "repl.complete(word [, line]) -> {candidates}",
     "Tab-completion candidates, sorted, resolved from the globals (_G): globals and keywords " ..
     "for a plain word, fields after " ..
     "`.` (m1d's not yet loaded submodules included), methods after `:` (from the metatable's " ..
     "__index table, or __methods for tensors).",
     ex = [[print(table.concat(m1d.repl.complete("string.for"), " "))   -- from the globals (_G)]],
     out = "string.format"},
    {"m1d.repl.width", "repl.width = 78; repl.max_items = 24; repl.max_depth = 4; repl.max_string = 120",
     "Settings of repl.format (and the width help wraps text to).",
     also = {"m1d.repl.max_items", "m1d.repl.max_depth", "m1d.repl.max_string"},
     ex = [[print(m1d.repl.width, m1d.repl.max_items, m1d.repl.max_depth, m1d.repl.max_string)]],
     out = "78\t24\t4\t120"},
  },
}
