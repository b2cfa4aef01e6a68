-- m1d.nn_check — the argument checks m1d.nn's constructors share (nn.lua and the layer
-- files nn_layers.lua, nn_recurrent.lua, nn_attention.lua).  Each raises an error that
-- names the function, the argument and what was expected.  `level` is error()'s: the
-- default 3 points at the line that called the constructor calling the check; a check
-- made one call deeper (a shared config function) passes 4.
local m1d = require "m1d"

local check = {}

-- "[2,3]" for a tensor, else the value's type: what error messages show of an argument
function check.shape(x)
  if m1d.is_tensor(x) then return "[" .. table.concat(x:shape(), ",") .. "]" end
  return type(x)
end

-- an integer >= min (default 1)
function check.size(who, what, v, min, level)
  min = min or 1
  local iv = type(v) == "number" and math.tointeger(v) or nil
  if iv == nil or iv < min then
    error(("%s: %s must be an integer >= %d, got %s"):format(who, what, min, tostring(v)), level or 3)
  end
  return iv
end

-- a boolean, or default when v is nil
function check.flag(who, what, v, default, level)
  if v == nil then return default end
  if type(v) ~= "boolean" then error(("%s: %s must be a boolean, got %s"):format(who, what, type(v)), level or 3) end
  return v
end

-- a number in [lo, hi] (lo excluded when open_lo)
function check.number(who, what, v, lo, hi, open_lo, level)
  if type(v) ~= "number" or v ~= v or v < lo or v > hi or (open_lo and v == lo) then
    error(("%s: %s must be a number in %s%g, %g], got %s"):format(who, what, open_lo and "(" or "[",
          lo, hi, tostring(v)), level or 3)
  end
  return v
end

return check
