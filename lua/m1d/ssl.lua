-- m1d.ssl — the pieces of SimCLR-style contrastive learning on MNIST-1D (experiments/ssl.lua):
-- the official repository's augmentation and the InfoNCE loss, as tensor ops on a whole batch.
--
--   local v1, v2 = m1d.ssl.augment(x), m1d.ssl.augment(x)     -- two views of a batch [B, L]
--   local loss = m1d.ssl.info_nce(f(v1), f(v2), 0.5)          -- the batch as negatives
--
-- Every random draw comes from m1d's seeded generator (m1d.manual_seed), so a seed fixes the
-- views.  Nothing here has a backward rule of its own: augment is not differentiated (it
-- makes inputs), info_nce is composed of differentiable ops.
local m1d = require "m1d"
local util = require "m1d.util"

local ssl = {}

local function check_batch(fname, x)
  if not m1d.is_tensor(x) or x:dim() ~= 2 or x:size(2) < 2 then
    error(("%s: x must be a float tensor [batch, length >= 2], got %s")
          :format(fname, m1d.is_tensor(x) and ("[" .. table.concat(x:size(), ", ") .. "]") or type(x)), 3)
  end
  local dt = x:dtype()
  if dt ~= "float32" and dt ~= "float64" then
    error(("%s: x must be float32 or float64, got %s"):format(fname, dt), 3)
  end
end

-- positions minus the centre position, [1, L]: the regressor of the linear trend, and
-- (u . u); made once per length and dtype (augment runs twice every training step)
local positions_cache = {}
local function centred_positions(L, dtype)
  local key = dtype .. L
  local c = positions_cache[key]
  if not c then
    local u = (m1d.arange(0, L, dtype) - (L - 1) / 2):reshape(1, L)
    c = {u = u, uu = u:pow(2):sum():item(), roll_base = m1d.arange(0, L, "int64"):reshape(1, L) + (L + 1)}
    positions_cache[key] = c
  end
  return c.u, c.uu, c.roll_base
end

-- ssl.detrend(x) -> x minus each row's mean and least-squares linear trend.  With u the
-- positions minus their centre (sum u = 0), the trend's slope is (x . u) / (u . u) and the
-- fit's intercept at the centre is the row mean.
function ssl.detrend(x)
  check_batch("ssl.detrend", x)
  local u, uu = centred_positions(x:size(2), x:dtype())
  local slope = x:matmul(u:t()) / uu                              -- [B, 1]
  return x - x:mean(2, true) - slope * u
end

-- ssl.augment(x [, {max_shift = 10, slope_sd = 0.04, offset_sd = 0.3}]) -> a new view [B, L]:
-- detrend, roll each row circularly by its own uniform shift in [0, max_shift), add a random
-- slope (around the centre position) and a random offset.  Draws, in this order: the B
-- shifts, the B slopes, the B offsets.
function ssl.augment(x, opts)
  check_batch("ssl.augment", x)
  opts = util.check_options("ssl.augment", opts, {"max_shift", "slope_sd", "offset_sd"})
  local B, L = x:size(1), x:size(2)
  local max_shift = opts.max_shift or 10
  if math.type(max_shift) ~= "integer" or max_shift < 1 or max_shift > L then
    error(("ssl.augment: max_shift must be an integer in 1..%d (the signal length), got %s")
          :format(L, tostring(max_shift)), 2)
  end
  local slope_sd, offset_sd = opts.slope_sd or 0.04, opts.offset_sd or 0.3
  for name, v in pairs{slope_sd = slope_sd, offset_sd = offset_sd} do
    if type(v) ~= "number" or not (v >= 0) or v == math.huge then
      error(("ssl.augment: %s must be a finite number >= 0, got %s"):format(name, tostring(v)), 2)
    end
  end
  local dt = x:dtype()
  local d = ssl.detrend(x)
  -- the roll as one gather: on the row twice over, [d, d], output position i (0-based) of
  -- a row shifted by s reads position i - s + L, i.e. d[(i - s) mod L] (torch.roll(d, s))
  local u, _, roll_base = centred_positions(L, dt)
  local shift = m1d.randint(0, max_shift, {B, 1})
  local rolled = m1d.cat({d, d}, 2):gather(2, roll_base - shift)             -- 1-based: i - s + L + 1
  local slope = m1d.randn({B, 1}, dt) * slope_sd
  local offset = m1d.randn({B, 1}, dt) * offset_sd
  return rolled + slope * u + offset
end

-- ssl.info_nce(z1, z2 [, temperature = 0.5]) -> scalar loss.  z1, z2 [B, D]: the two views'
-- outputs, row i of z1 and of z2 from the same signal.  S = normalise(z1) normalise(z2)^T / T,
-- each row L2-normalised (norms clamped at 1e-12, as torch's F.normalize, so a zero row
-- stays zero); row i's positive
-- is column i and the other columns its negatives: cross_entropy(S, {0, ..., B-1}), i.e.
-- the mean over rows of -log(exp S_ii / sum_j exp S_ij).
function ssl.info_nce(z1, z2, temperature)
  temperature = temperature == nil and 0.5 or temperature
  if type(temperature) ~= "number" or not (temperature > 0) or temperature == math.huge then
    error(("ssl.info_nce: temperature must be a finite number > 0, got %s"):format(tostring(temperature)), 2)
  end
  for _, nz in ipairs{{"z1", z1}, {"z2", z2}} do
    local name, z = nz[1], nz[2]
    if not m1d.is_tensor(z) or z:dim() ~= 2 or z:size(1) == 0 then
      error(("ssl.info_nce: %s must be a tensor [batch > 0, features], got %s")
            :format(name, m1d.is_tensor(z) and ("[" .. table.concat(z:size(), ", ") .. "]") or type(z)), 2)
    end
  end
  if z1:size(1) ~= z2:size(1) or z1:size(2) ~= z2:size(2) then
    error(("ssl.info_nce: z1 [%s] and z2 [%s] must have the same shape")
          :format(table.concat(z1:size(), ", "), table.concat(z2:size(), ", ")), 2)
  end
  -- clamping the squared norm at 1e-24 before the root is max(|z|, 1e-12) with a finite
  -- gradient at an all-zero row (a conv3 row that ReLU zeroed entirely, in the variant
  -- without a projector): the root's derivative at 0 is infinite, and 0 * inf = NaN
  local function normalise(z) return z / z:pow(2):sum(2, true):clamp(1e-24):sqrt() end
  local S = normalise(z1):matmul(normalise(z2):t()) / temperature
  return m1d.cross_entropy(S, m1d.arange(0, z1:size(1), "int64"))
end

return ssl
