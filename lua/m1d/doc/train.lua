-- The reference: Training (m1d.train).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Training (m1d.train)", key = "train",
  intro = "`train.fit` is the paper's training loop (train.py): steps 0..steps inclusive, " ..
          "minibatches taken in order with wrap-around, Adam at lr 1e-2 by default, and every " ..
          "`eval_every` steps the test loss, test accuracy and training-set accuracy recorded " ..
          "as curves. `train.evaluate` measures a model on any (x, y). Accuracies are percentages.",
  entries = {
    {"m1d.train.fit",
     "train.fit{model =, data = [, steps = 6000, batch = 100, lr = 1e-2 | fn(step), optimizer = \"adam\", " ..
     "weight_decay, opt, loss = nn.cross_entropy, eval_every = 250, label, progress = true, " ..
     "log_every = 1000, on_step = fn(step, model)]} -> result",
     "Train `model` on `data` (a Dataset, or any table with x, y, x_test, y_test) and return " ..
     "the curves. The model is put in train mode (`model:train()`) at the start and left in " ..
     "it; the evaluations switch it to eval mode and back. It takes steps+1 optimizer steps (step = 0..steps); step s uses training rows " ..
     "s*batch mod n onward (a batch that would pass the end is cut short, like Python slicing). " ..
     "Each step: loss(model(xb), yb), zero_grad, backward, opt:step(), model:enforce_masks(), " ..
     "then on_step(step, model). The optimizer is `opt` if given, else optim.make(optimizer, " ..
     "params, {lr =, weight_decay =}). lr may be a function of the step (a schedule), read " ..
     "before every update. When step % eval_every == 0 (after that step's update; " ..
     "eval_every = 0 turns it off) it evaluates on the whole test and training sets. A loss " ..
     "that becomes NaN or infinite raises an error naming the step; an unknown option raises " ..
     "(util.check_options: `step = 10` names `steps`). Ctrl-C, or an error raised by on_step, " ..
     "ends the fit early and returns what it measured, with interrupted = true and " ..
     "stop_reason. Progress: a live line on stderr when it is a terminal, else a printed line " ..
     "every log_every steps; progress = false is silent. The result: {label, steps = " ..
     "{evaluated steps}, test_loss, test_acc (the test set), train_loss, train_acc (the whole " ..
     "training set; accuracies in percent), batch_loss (every step's minibatch loss), lr (every " ..
     "step's lr), curves (a sentence saying which data each curve is over), final_test_acc, " ..
     "final_train_acc (from the last evaluation, which is not the last step unless eval_every " ..
     "divides steps), steps_done, seconds, eval_seconds, train_seconds, ms_per_step, " ..
     "interrupted, stop_reason}; final_test_loss only when nothing was evaluated.",
     ex = [[local r = m1d.train.fit{model = m1d.nn.models.logistic(), data = m1d.mnist1d.frozen():subset(200),
                          steps = 20, batch = 50, eval_every = 10, progress = false}
print(table.concat(r.steps, ","), #r.batch_loss, r.label, type(r.final_test_acc))]],
     out = "0,10,20\t21\tlogistic\tnumber"},
    {"m1d.train.evaluate", "train.evaluate(model, x, y [, {chunk = 2000, loss = nn.cross_entropy}]) -> loss, accuracy",
     "The mean loss and the accuracy in percent (0-100) of model on x [n, ...], int64 labels y " ..
     "[n] (0-based), run in chunks of `chunk` rows without recording a graph. Both are Lua " ..
     "numbers. An nn.Module runs in eval mode (`model:eval()`: dropout off, batch norm on its " ..
     "running statistics) and gets its previous mode back afterwards, also when the forward " ..
     "raises; a plain function as the model is called as it is.",
     ex = [[local d = m1d.mnist1d.frozen()
local model = m1d.nn.Sequential(m1d.nn.Dropout(0.5), m1d.nn.models.logistic())
local loss, acc = m1d.train.evaluate(model, d.x_test, d.y_test)
print(loss > 0, acc >= 0 and acc <= 100, model.training)]],
     out = "true\ttrue\ttrue"},
    {"m1d.train.epoch", "train.epoch(model, opt, x, y [, {batch = 100, loss = nn.cross_entropy}]) -> steps",
     "One pass over x [n, ...] and labels y: the rows in a fresh random order from m1d's seeded " ..
     "generator (m1d.randperm), minibatches of `batch` rows (the last one shorter), and per " ..
     "minibatch `opt:zero_grad()`, `loss:backward()` and `opt:step()` on loss(model(xb), yb). " ..
     "Returns the number of steps. The protocol of double_descent.lua and " ..
     "double_descent_mse.lua (epochs, as the paper's notebook trains them); train.fit is the " ..
     "step-based loop of the other studies. batch must be an integer >= 1; unknown option " ..
     "keys raise.",
     ex = [[local d = m1d.mnist1d.frozen()
m1d.manual_seed(0)
local model = m1d.nn.models.logistic()
local opt = m1d.optim.SGD(model:parameters(), {lr = 0.1})
local before = m1d.train.evaluate(model, d.x, d.y)
print(m1d.train.epoch(model, opt, d.x, d.y, {batch = 512}), m1d.train.evaluate(model, d.x, d.y) < before)]],
     out = "8\ttrue"},
  },
}
