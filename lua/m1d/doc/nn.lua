-- The reference: Neural networks (m1d.nn).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Neural networks (m1d.nn)", key = "nn",
  intro = "A layer is a table of parameter tensors plus a forward function, callable as " ..
          "`layer(x)`.",
  entries = {
    {"m1d.nn", "m1d.nn",
     "Layers, containers and losses."},
    {"m1d.nn.Linear", "nn.Linear(in, out [, {bias = true}]) -> layer",
     "y = x W^T + b; x: [n, in] -> [n, out]."},
    {"m1d.nn.Conv1d", "nn.Conv1d(cin, cout, k [, {stride = 1, padding = 0}]) -> layer",
     "1-D convolution; x: [n, cin, len] -> [n, cout, len']."},
    {"m1d.nn.GRU", "nn.GRU(in, hidden) -> layer",
     "A gated recurrent layer over [n, len, in]."},
    {"m1d.nn.Sequential", "nn.Sequential(layer, ...) -> layer",
     "Apply layers in order."},
    {"m1d.nn.Tanh", "nn.Tanh() | nn.ReLU() | nn.GELU() | nn.Sigmoid() -> layer",
     "Activation layers."},
    {"m1d.nn.Flatten", "nn.Flatten() -> layer",
     "[n, ...] -> [n, prod(...)]."},
    {"m1d.nn.MaxPool1d", "nn.MaxPool1d(k [, stride]) | nn.AvgPool1d(k [, stride]) -> layer",
     "Pooling."},
    {"m1d.nn.cross_entropy", "nn.cross_entropy(logits, y) -> Tensor",
     "Mean cross-entropy of logits [n, classes] against int64 labels y [n] (1-based or " ..
     "0-based as documented by the runtime)."},
    {"m1d.nn.mse", "nn.mse(a, b) -> Tensor",
     "Mean squared error."},
    {"m1d.nn.accuracy", "nn.accuracy(logits, y) -> number",
     "Fraction of rows whose argmax equals y."},
    {"m1d.nn.parameters", "model:parameters() -> {tensors}",
     "The parameter tensors in a fixed order."},
    {"m1d.nn.apply", "model:apply(params, x) -> Tensor",
     "Forward pass with the given parameter list instead of the model's own (functional, " ..
     "for meta-learning)."},
  },
}
