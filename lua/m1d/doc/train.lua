-- The reference: Training (m1d.train).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Training (m1d.train)", key = "train",
  intro = "`train.fit` is the paper's training loop; `train.evaluate` measures a model on a data set.",
  entries = {
  },
}
