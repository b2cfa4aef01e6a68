-- m1d.train — the training loop the experiments share.
--
-- Same protocol as the paper's train.py: steps 0..steps inclusive, batches taken in
-- order with wrap-around (rows (step*batch) mod N ...), Adam by default, and at every
-- step divisible by eval_every: test loss, test accuracy and full-training-set accuracy.
-- Returns the curves and timings.  Progress: a live line on a terminal (stderr),
-- plain log lines otherwise.
local m1d = require "m1d"
local nn, optim, util = m1d.nn, m1d.optim, m1d.util

local train = {}

-- A module (nn.Module) has train/eval modes; a plain function standing in for a model has not.
local function has_modes(model)
  return type(model) == "table" and type(model.train) == "function" and model.training ~= nil
end

-- Loss and accuracy (percent) of `model` on x, y, in chunks so big splits fit in memory.
-- The model runs in eval mode (dropout off, batch norm on its running statistics); its
-- previous mode is restored afterwards, also when the forward raises.
function train.evaluate(model, x, y, opts)
  opts = util.check_options("train.evaluate", opts, {"chunk", "loss"})
  local chunk, lossf = opts.chunk or 2000, opts.loss or nn.cross_entropy
  local n = x:size(1)
  local loss_sum, correct = 0, 0
  local was_training = has_modes(model) and model.training
  if has_modes(model) then model:eval() end
  local ok, err = pcall(m1d.no_grad, function()
    for s = 1, n, chunk do
      local len = math.min(chunk, n - s + 1)
      local xb, yb = x:narrow(1, s, len), y:narrow(1, s, len)
      local out = model(xb)
      loss_sum = loss_sum + lossf(out, yb):item() * len
      correct = correct + nn.accuracy(out, yb) * len / 100
    end
  end)
  if has_modes(model) then model:train(was_training) end
  if not ok then error(err, 0) end
  return loss_sum / n, correct / n * 100
end

-- One epoch over x, y (the double-descent studies' protocol): the rows in a fresh random
-- order from m1d's seeded generator, minibatches of `batch` (the last one shorter), one
-- step of opt per minibatch on lossf(model(xb), yb).  Returns the number of steps.
function train.epoch(model, opt, x, y, opts)
  opts = util.check_options("train.epoch", opts, {"batch", "loss"})
  local batch, lossf = opts.batch or 100, opts.loss or nn.cross_entropy
  if math.type(batch) ~= "integer" or batch < 1 then
    error(("train.epoch: batch must be an integer >= 1, got %s"):format(tostring(batch)), 2)
  end
  local n = x:size(1)
  local perm = m1d.randperm(n)
  local xs, ys = x:index_select(1, perm), y:index_select(1, perm)
  local steps = 0
  for s = 1, n, batch do
    local len = math.min(batch, n - s + 1)
    local loss = lossf(model(xs:narrow(1, s, len)), ys:narrow(1, s, len))
    opt:zero_grad()
    loss:backward()
    opt:step()
    steps = steps + 1
  end
  return steps
end

local function fmt_time(s)
  if s >= 3600 then return ("%dh%02dm"):format(s // 3600, (s % 3600) // 60) end
  if s >= 60 then return ("%dm%02ds"):format(s // 60, math.floor(s % 60)) end
  return ("%.1fs"):format(s)
end

-- train.fit{model=, data=, steps=6000, batch=100, lr=1e-2, optimizer="adam",
--           weight_decay=0, eval_every=250, loss=nn.cross_entropy, label="cnn",
--           progress=true, log_every=1000, on_step=function(step, model) end}
local FIT_OPTIONS = {"model", "data", "steps", "batch", "lr", "eval_every", "loss", "opt", "optimizer",
                     "weight_decay", "label", "progress", "log_every", "on_step"}

-- Errors that end a fit early but keep what it measured: Ctrl-C (the interpreter raises
-- "interrupted!") and errors raised by the on_step callback.
local Stop = {}

function train.fit(o)
  if type(o) ~= "table" then error("train.fit: expected a table of options {model =, data =, ...}", 2) end
  util.check_options("train.fit", o, FIT_OPTIONS)
  local model, data = o.model, o.data
  if not (model and data) then error("train.fit: needs model and data", 2) end
  local steps, batch = o.steps or 6000, o.batch or 100
  local eval_every = o.eval_every or 250
  local lossf = o.loss or nn.cross_entropy
  -- lr: a number, or a function of the step (a schedule), read before every update
  local schedule = type(o.lr) == "function" and o.lr or nil
  local function lr_at(step)
    local v = schedule(step)
    if type(v) ~= "number" or v ~= v or v < 0 then
      error(("train.fit: the lr schedule gave %s at step %d (expected a number >= 0)"):format(tostring(v), step), 0)
    end
    return v
  end
  local opt = o.opt or optim.make(o.optimizer or "adam", model:parameters(),
                                  {lr = schedule and lr_at(0) or o.lr or 1e-2, weight_decay = o.weight_decay})
  local label = o.label or (model._name or "model")
  local live = o.progress ~= false and m1d.core.isatty("stderr")
  local quiet = o.progress == false
  local log_every = o.log_every or 1000
  local x, y = data.x, data.y
  local n = x:size(1)
  if has_modes(model) then model:train() end    -- evaluate() switches to eval and back
  local res = {label = label, steps = {}, train_loss = {}, test_loss = {}, train_acc = {}, test_acc = {},
               batch_loss = {}, lr = {},
               curves = "at each evaluated step: train_loss and train_acc over the whole training set, " ..
                        "test_loss and test_acc over the test set; batch_loss: every step's minibatch"}
  local t0, t_eval, last_print = m1d.clock(), 0, 0
  local last_step = -1
  local function run()
    for step = 0, steps do
      local s = (step * batch) % n
      local len = math.min(batch, n - s)         -- like Python slicing, the last batch may be short
      local xb, yb = x:narrow(1, s + 1, len), y:narrow(1, s + 1, len)
      local loss = lossf(model(xb), yb)
      local lv = loss:item()
      if lv ~= lv or lv == math.huge or lv == -math.huge then
        error(("train.fit(%s): the loss became %s at step %d (lr %s); lower the learning rate or "
               .. "run with m1d.detect_anomaly(true) to find the op"):format(label, tostring(lv), step,
               tostring(opt.lr)), 0)
      end
      res.batch_loss[#res.batch_loss + 1] = lv
      if schedule then opt.lr = lr_at(step) end
      res.lr[#res.lr + 1] = opt.lr
      opt:zero_grad()
      loss:backward()
      opt:step()
      model:enforce_masks()
      if o.on_step then
        local ok, err = pcall(o.on_step, step, model)
        if not ok then error({Stop, ("on_step raised at step %d: %s"):format(step, tostring(err))}) end
      end
      last_step = step
      if eval_every > 0 and step % eval_every == 0 then
        local te = m1d.clock()
        local test_loss, test_acc = train.evaluate(model, data.x_test, data.y_test, {loss = lossf})
        local train_loss, train_acc = train.evaluate(model, x, y, {loss = lossf})
        t_eval = t_eval + m1d.clock() - te
        local k = #res.steps + 1
        res.steps[k], res.test_loss[k], res.test_acc[k] = step, test_loss, test_acc
        res.train_loss[k], res.train_acc[k] = train_loss, train_acc
      end
      local now = m1d.clock()
      if live and (now - last_print > 0.2 or step == steps) then
        last_print = now
        local rate = (step + 1) / math.max(now - t0, 1e-9)
        local k = #res.steps
        io.stderr:write(("\r%-10s step %5d/%d  loss %.4f  train %5.1f%%  test %5.1f%%  %6.0f steps/s  ETA %s   ")
          :format(label, step, steps, lv, res.train_acc[k] or 0, res.test_acc[k] or 0, rate,
                  fmt_time((steps - step) / rate)))
        if step == steps then io.stderr:write("\n") end
      elseif not live and not quiet and step > 0 and (step % log_every == 0 or step == steps) then
        local k = #res.steps
        print(("%-10s step %5d/%d  loss %.4f  train %5.1f%%  test %5.1f%%"):format(label, step, steps, lv,
              res.train_acc[k] or 0, res.test_acc[k] or 0))
      end
    end
  end
  local ok, err = pcall(run)
  if not ok then
    local stop = type(err) == "table" and err[1] == Stop and err[2]
    if not stop and type(err) == "string" and err:find("interrupted!", 1, true) then stop = "interrupted (Ctrl-C)" end
    if not stop then error(err, 0) end        -- the message has its position already
    -- keep what was measured: the curves so far, marked, and a clean line after the live one
    if live then io.stderr:write("\n") end
    if not quiet then io.stderr:write(("%s: stopped after step %d: %s\n"):format(label, last_step, stop)) end
    res.interrupted, res.stop_reason = true, stop
  end
  local wall = m1d.clock() - t0
  res.seconds = wall
  res.eval_seconds = t_eval
  res.train_seconds = wall - t_eval
  res.steps_done = last_step + 1
  res.ms_per_step = 1000 * (wall - t_eval) / math.max(last_step + 1, 1)
  res.final_test_acc = res.test_acc[#res.test_acc]
  res.final_train_acc = res.train_acc[#res.train_acc]
  if not res.final_test_acc and not res.interrupted then
    res.final_test_loss, res.final_test_acc = train.evaluate(model, data.x_test, data.y_test, {loss = lossf})
    res.final_train_acc = select(2, train.evaluate(model, x, y, {loss = lossf}))
  end
  return res
end

return train
