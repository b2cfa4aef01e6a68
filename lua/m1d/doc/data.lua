-- The reference: Data (m1d.mnist1d).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Data (m1d.mnist1d)", key = "data",
  entries = {
    {"m1d.mnist1d.frozen", "mnist1d.frozen() -> data",
     "The paper's frozen split: `x` [4000, 40], `y` [4000], `x_test` [1000, 40], `y_test` " ..
     "[1000] (int64 labels 0-9), `t` [40]; `data:batch(start, n)`."},
    {"m1d.mnist1d.generate", "mnist1d.generate({num_samples = 5000, seed = 42, ...}) -> data",
     "Generate a data set with the reference's arguments, bit-exact with the Python code."},
  },
}
