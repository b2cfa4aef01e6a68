-- any_cwd_test.lua — every script in experiments/ runs in --quick mode from an empty
-- working directory, called by absolute path and without --out, and writes its results
-- under ./results/ (creating it), as a newcomer's first run does; `m1d gen --out` makes
-- the directories it writes to.  A new script must be added to OUTPUTS, or this fails.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util

local function abspath(p)
  if p:sub(1, 1) == "/" then return p end
  return os.getenv("PWD") .. "/" .. p:gsub("^%./", "")
end
local bin = abspath(os.getenv("M1D_BIN") or "./m1d")
local experiments = abspath("experiments")

-- What each script writes by default in --quick mode (JSON files must name the experiment).
local OUTPUTS = {
  bench           = {json = "results/bench.json"},
  benchmark       = {json = "results/benchmark_quick.json", png = "results/benchmark_quick.png"},
  dataset         = {png = "results/dataset.png"},
  double_descent  = {json = "results/double_descent_quick.json", png = "results/double_descent_quick.png"},
  double_descent_mse = {json = "results/double_descent_mse_quick.json", png = "results/double_descent_mse_quick.png"},
  lottery         = {json = "results/lottery_quick.json", png = "results/lottery_quick.png"},
  metalearn_afunc = {json = "results/metalearn_afunc_quick.json", png = "results/metalearn_afunc_quick.png"},
  metalearn_lr    = {json = "results/metalearn_lr_quick.json", png = "results/metalearn_lr_quick.png"},
  pooling         = {json = "results/pooling_quick.json", png = "results/pooling_quick.png"},
  spatial_priors  = {json = "results/spatial_priors_quick.json", png = "results/spatial_priors_quick.png"},
  ssl             = {json = "results/ssl_quick.json", png = "results/ssl_quick.png"},
  tsne            = {json = "results/tsne_quick.json", png = "results/tsne_quick.png"},
}

local scripts = {}
for name in io.popen("ls " .. experiments):lines() do
  local s = name:match("^(.+)%.lua$")
  if s then scripts[#scripts + 1] = s end
end
T.ok(#scripts >= 9, ("found %d experiment scripts"):format(#scripts))

local root = os.tmpname(); os.remove(root)
for _, name in ipairs(scripts) do
  local want = OUTPUTS[name]
  if T.ok(want, name .. ".lua: its outputs are listed in this test") then
    local cwd = ("%s/%s"):format(root, name)
    m1d.makedirs(cwd)
    local ok = os.execute(("cd %s && %s %s/%s.lua --quick > log.txt 2>&1"):format(cwd, bin, experiments, name))
    local log = io.open(cwd .. "/log.txt"):read("a")
    T.ok(ok, name .. ": --quick from an empty directory exits 0", log:sub(-1500))
    if want.json then
      local okr, res = pcall(util.read_json, cwd .. "/" .. want.json)
      T.ok(okr and type(res) == "table", ("%s: wrote %s"):format(name, want.json), res)
      if name ~= "bench" then
        T.is(okr and res.experiment, name, ("%s: %s names the experiment"):format(name, want.json))
      end
    end
    if want.png then
      T.ok(T.png_size(cwd .. "/" .. want.png), ("%s: wrote %s as PNG"):format(name, want.png))
      local pdf = io.open(cwd .. "/" .. want.png:gsub("%.png$", ".pdf"), "rb")
      T.ok(pdf and pdf:read(4) == "%PDF", ("%s: and its vector PDF beside it"):format(name))
      if pdf then pdf:close() end
    end
  end
end

-- m1d gen --out: nested directories that do not exist yet
local cwd = root .. "/gen"
m1d.makedirs(cwd)
local ok = os.execute(("cd %s && %s gen --quiet --num_samples 100 --out a/b/c > log.txt 2>&1"):format(cwd, bin))
T.ok(ok and io.open(cwd .. "/a/b/c/x.npy") and io.open(cwd .. "/a/b/c/y_test.npy"),
     "m1d gen --out a/b/c creates the directories and writes the arrays")

-- Figure:save into a directory that does not exist yet
local fig = m1d.plot.lines{y = {1, 4, 9}}
local png = root .. "/plots/deeper/f.png"
T.lives(function() fig:save(png) end, "Figure:save creates a missing directory")
T.ok(T.png_size(png), "and writes the PNG there")
fig:save(root .. "/plots/t/f.txt")
T.ok(io.open(root .. "/plots/t/f.txt"), "a .txt figure too")
T.raises(function() fig:save(root .. "/gen/log.txt/f.png") end, "a path through a file is a clear error",
         "m1d.plot: save: cannot create the directory", "log.txt")
fig:close()

os.execute("rm -rf " .. root)
T.done()
