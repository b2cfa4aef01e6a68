-- gen.lua — `m1d gen`: write an MNIST-1D dataset as .npy files.
--
--   m1d gen [--<arg> <value> ...] --out DIR
--
-- <arg> is any argument of the Python generator's get_dataset_args() (num_samples,
-- train_split, template_len, padding, scale_coeff, max_translation,
-- corr_noise_scale, iid_noise_scale, shear_scale, shuffle_seq, final_seq_length,
-- seed); `--arg=value` works too.  Lists are comma-separated (--padding 36,60),
-- booleans true/false.  Writes DIR/x.npy y.npy x_test.npy y_test.npy t.npy
-- (x float64, y int64), exactly make_dataset(args)'s arrays.
--
-- main(argv) takes the arguments after "gen" (a leading "gen" is skipped),
-- returns an exit status (0 ok, 1 failure, 2 usage) and reports errors on stderr.
local core = require "m1d.core"
local mnist1d = require "m1d.mnist1d"

local G = {}

local USAGE = [[
usage: m1d gen [--<arg> <value> ...] --out DIR
Write MNIST-1D (bit-exact with the Python mnist1d package) to DIR as
x.npy y.npy x_test.npy y_test.npy t.npy (x float64, y int64).
arguments (defaults of get_dataset_args):
  --num_samples 5000  --train_split 0.8  --template_len 12  --padding 36,60
  --scale_coeff 0.4  --max_translation 48  --corr_noise_scale 0.25
  --iid_noise_scale 0.02  --shear_scale 0.75  --shuffle_seq false
  --final_seq_length 40  --seed 42
  --quiet             print nothing on success
]]

-- Text value of one argument -> Lua value of the right kind, or nil and a message.
local function parse_value(name, text)
  local kind = mnist1d.kinds[name]
  if kind == "boolean" then
    local l = text:lower()
    if l == "true" or l == "1" then return true end
    if l == "false" or l == "0" then return false end
    return nil, ("--%s expects true or false, got '%s'"):format(name, text)
  elseif kind == "pair" then
    local a, b = text:match("^%[?%s*(%-?%d+)%s*,%s*(%-?%d+)%s*%]?$")
    if not a then return nil, ("--%s expects two integers like 36,60, got '%s'"):format(name, text) end
    return {math.tointeger(tonumber(a)), math.tointeger(tonumber(b))}
  else
    local v = tonumber(text)
    if v == nil then return nil, ("--%s expects a number, got '%s'"):format(name, text) end
    if kind == "integer" then
      v = math.tointeger(v)
      if v == nil then return nil, ("--%s expects an integer, got '%s'"):format(name, text) end
    end
    return v
  end
end

-- argv -> overrides, out, quiet  |  nil, message  |  "help"
function G.parse(argv)
  local over, out, quiet = {}, nil, false
  local i = 1
  if argv[1] == "gen" then i = 2 end
  while i <= #argv do
    local a = argv[i]
    if a == "-h" or a == "--help" then return "help" end
    local name, val = a:match("^%-%-([%w_]+)=(.*)$")
    if not name then
      name = a:match("^%-%-([%w_]+)$")
      if not name then return nil, ("unexpected argument '%s'"):format(a) end
      if name ~= "quiet" then
        i = i + 1
        val = argv[i]
        if val == nil then return nil, ("--%s needs a value"):format(name) end
      end
    end
    if name == "out" then
      out = val
    elseif name == "quiet" then
      quiet = true
    elseif mnist1d.kinds[name] then
      local v, err = parse_value(name, val)
      if v == nil then return nil, err end
      over[name] = v
    else
      return nil, ("unknown option --%s (see m1d gen --help)"):format(name)
    end
    i = i + 1
  end
  if not out or out == "" then return nil, "missing --out DIR" end
  return over, out, quiet
end

function G.main(argv)
  argv = argv or {}
  local over, out, quiet = G.parse(argv)
  if over == "help" then io.stdout:write(USAGE) return 0 end
  if over == nil then
    io.stderr:write("m1d gen: ", out, "\n", USAGE)
    return 2
  end
  local ok, err = pcall(function()
    local args = mnist1d.args(over)
    local d = core.mnist1d_generate(mnist1d.generator_args(args))
    core.makedirs(out)
    for _, k in ipairs{"x", "y", "x_test", "y_test", "t"} do
      core.save_npy(out .. "/" .. k .. ".npy", d[k])
    end
    if not quiet then
      io.stdout:write(("m1d gen: wrote %s: x %dx%d, x_test %dx%d (mean %.6g, std %.6g removed)\n"):format(
        out, d.x:size(1), d.x:size(2), d.x_test:size(1), d.x_test:size(2), d.norm_mean, d.norm_std))
    end
  end)
  if not ok then
    err = tostring(err):gsub("^[^\n]-:%d+: ", "")   -- drop the Lua source position
    io.stderr:write("m1d gen: ", err, "\n")
    return 1
  end
  return 0
end

return G
