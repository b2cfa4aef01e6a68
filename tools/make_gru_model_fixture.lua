-- tools/make_gru_model_fixture.lua -- pins the paper's GRU (nn.models.gru) bit for bit, so that
-- changes to nn.GRU (such as giving it num_layers, bias and dropout) can be shown to leave
-- the paper's model, its saved files and its training step exactly as they were.
--
--     ./m1d tools/make_gru_model_fixture.lua        (from the repository root)
--
-- Writes tests/fixtures/gru_model/ (read by tests/lua/recurrent_test.lua):
--   initial.m1d   nn.models.gru() right after m1d.manual_seed(7) (Module:save)
--   batch.m1d     x [100, 40] float32 and y [100] int64 (drawn after the model), logits [100, 10]
--                 of the initial model on x
--   trained.m1d   the model after 3 Adam steps (lr 1e-2) on that batch (Module:save)
-- The committed files were made by the nn.GRU of commit ea55f84 (before the options), in
-- float32 on OpenBLAS with OPENBLAS_CORETYPE=Haswell.
local m1d = require "m1d"
local nn = require "m1d.nn"
local optim = require "m1d.optim"

local DIR = "tests/fixtures/gru_model/"
m1d.manual_seed(7)
local model = nn.models.gru()
model:save(DIR .. "initial.m1d")
local x, y = m1d.randn(100, 40), m1d.randint(0, 10, {100})
m1d.save(DIR .. "batch.m1d", {x = x, y = y, logits = model(x):detach()})
local opt = optim.Adam(model:parameters(), {lr = 1e-2})
for _ = 1, 3 do
  local loss = nn.cross_entropy(model(x), y)
  opt:zero_grad(); loss:backward(); opt:step()
end
model:save(DIR .. "trained.m1d")
print("wrote " .. DIR .. "initial.m1d, batch.m1d, trained.m1d")
