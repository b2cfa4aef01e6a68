-- The reference: Sweeps and results (m1d.sweep, m1d.util).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Sweeps and results (m1d.sweep, m1d.util)", key = "results",
  intro = "What the experiment scripts share: a sweep declares independent runs with keys, runs them (here, under GNU parallel, on a cluster) and merges their files into one results file with claims; `m1d.util` writes JSON atomically and parses command lines.",
  entries = {
  },
}
