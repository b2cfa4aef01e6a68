-- plot_test.lua — m1d.plot through a real gnuplot: every plot kind to PNG (size checked
-- in the IHDR chunk), SVG and PDF headers, the text terminal, gnuplot's errors raised as
-- Lua errors, and the install hint when gnuplot is missing.
local T = dofile("tests/lua/tap.lua")
local plot = require "m1d.plot"

local function have_gnuplot()
  local p = io.popen("command -v gnuplot 2>/dev/null")
  local s = p:read("a")
  p:close()
  return s ~= ""
end
if not have_gnuplot() then
  io.write("1..0 # SKIP gnuplot is not installed (apt-get install gnuplot-nox)\n")
  os.exit(0)
end
plot.on_warning = function(msg) T.diag("gnuplot warning: " .. msg) end

-- a private temporary directory, removed at the end
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -m 700 '" .. dir .. "'"))
local made = {}
local function tmp(name)
  local p = dir .. "/" .. name
  made[#made + 1] = p
  return p
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- PNG signature, then the IHDR chunk: width and height as big-endian 32-bit integers
local function png_size(path)
  local s = slurp(path)
  if not s or #s < 24 then return nil, "missing or short file" end
  if s:sub(1, 8) ~= "\137PNG\r\n\26\n" then return nil, "no PNG signature" end
  if s:sub(13, 16) ~= "IHDR" then return nil, "no IHDR chunk" end
  local w, h = string.unpack(">I4>I4", s, 17)
  return w, h, #s
end

local function check_png(path, w, h, name)
  local gw, gh, n = png_size(path)
  T.ok(gw == w and gh == h and n > 1000, name,
       ("got %s x %s (%s bytes), want %d x %d"):format(tostring(gw), tostring(gh), tostring(n), w, h))
end

-- data: learning curves with mean +- s.e. bands, like the paper's figures
local steps, a, b, alo, ahi = {}, {}, {}, {}, {}
for i = 1, 40 do
  steps[i] = i * 25
  a[i] = 100 - 85 / math.sqrt(i)
  b[i] = 90 - 70 / i
  alo[i], ahi[i] = a[i] - 2, a[i] + 2
end
-- something with :totable(), as a tensor has
local function fake_tensor(t)
  return setmetatable({}, {__index = {totable = function() return t end}})
end

-- 1. several series, a band, log axes, a reference line, markers and dashes
local f1 = plot.lines{
  {x = steps, y = a, name = "MLP", band = {alo, ahi}},
  {x = fake_tensor(steps), y = fake_tensor(b), name = "CNN", dash = true, marker = "square", color = "dark-red"},
  {x = steps, y = b, name = "GRU", style = "points", err = fake_tensor((function()
      local e = {} for i = 1, 40 do e[i] = 1 end return e end)())},
  hlines = {{y = 96, name = "human 96%"}}, vlines = {{x = 500, name = "lr drop"}},
  labels = {{x = 100, y = 50, text = "note"}},
  title = "test accuracy", xlabel = "step", ylabel = "accuracy (%)",
  logx = true, logy = true, yrange = {10, 110}, legend = "bottom right", grid = true,
  size = {640, 480},
}
T.lives(function() f1:save(tmp("lines.png")) end, "lines: several series, band, log axes render")
check_png(dir .. "/lines.png", 640, 480, "lines: PNG with the requested 640x480 size")
T.ok(tostring(f1):find("1 panel: test accuracy", 1, true), "figure tostring names the panel", tostring(f1))

-- 2. multiplot 1x3
local f2 = plot.figure{layout = "1x3", size = {1200, 400}, title = "three panels"}
for k = 1, 3 do
  f2:panel{title = "panel " .. k, series = {{x = steps, y = a, name = "a"}, {y = b, name = "b"}}}
end
T.lives(function() f2:save(tmp("multi13.png")) end, "multiplot 1x3 renders")
check_png(dir .. "/multi13.png", 1200, 400, "multiplot 1x3: PNG 1200x400")

-- 3. multiplot 2x3 with the default size, a heatmap and a scatter among the panels
local f3 = plot.figure{layout = "2x3"}
for k = 1, 4 do f3:panel{title = "p" .. k, series = {{y = a}}, logy = (k == 2)} end
f3:heatmap{data = {{0, 1, 1}, {1, 0, 1}}, title = "mask", palette = "gray"}
f3:scatter{x = a, y = b, c = steps, title = "scatter"}
T.lives(function() f3:save(tmp("multi23.png")) end, "multiplot 2x3 renders")
local pw, ph = plot.panel_size[1], plot.panel_size[2]
check_png(dir .. "/multi23.png", 3 * pw, 2 * ph, "multiplot 2x3: PNG of 3x2 default panels")

-- 4. heatmap from a tensor-like 2-D value
local mask = {}
for r = 1, 50 do
  mask[r] = {}
  for c = 1, 40 do mask[r][c] = ((r * 7 + c * 3) % 5 == 0) and 1 or 0 end
end
local f4 = plot.heatmap{data = fake_tensor(mask), title = "lottery ticket mask",
                        xlabel = "input", ylabel = "hidden unit", size = {500, 600}}
T.lives(function() f4:save(tmp("heat.png")) end, "heatmap renders")
check_png(dir .. "/heat.png", 500, 600, "heatmap: PNG 500x600")

-- 5. scatter
local f5 = plot.scatter{x = a, y = b, name = "runs", marker = "circle", size = {300, 300}}
T.lives(function() f5:save(tmp("scatter.png")) end, "scatter renders")
check_png(dir .. "/scatter.png", 300, 300, "scatter: PNG 300x300")

-- 6. SVG and PDF
T.lives(function() f1:save(tmp("lines.svg")) end, "SVG renders")
local svg = slurp(dir .. "/lines.svg") or ""
T.ok(svg:find("<svg", 1, true) and svg:find('width="640"', 1, true) and svg:find("</svg>", 1, true),
     "SVG file has an <svg> element of the requested width and is complete")
T.lives(function() f2:save(tmp("multi.pdf")) end, "PDF renders")
local pdf = slurp(dir .. "/multi.pdf") or ""
T.ok(pdf:sub(1, 5) == "%PDF-" and pdf:find("%%EOF", 1, true), "PDF file has the %PDF- header and %%EOF")

-- 7. text plots
local txt = f1:text{width = 100, height = 30}
T.ok(txt:find("MLP", 1, true) and txt:find("CNN", 1, true) and txt:find("human 96%", 1, true)
     and txt:find("test accuracy", 1, true), "text plot holds the title and every series name", txt)
T.ok(not txt:find("\f", 1, true), "text plot has no form feed")
local nlines = select(2, txt:gsub("\n", ""))
T.ok(nlines <= 30 and nlines >= 20, "text plot has about the requested height", nlines)
local htxt = f4:text{width = 70, height = 30}
T.ok(htxt:find("lottery ticket mask", 1, true) and htxt:find("@", 1, true), "text heatmap shades cells")
local mtxt = f2:text{width = 150, height = 25}
T.ok(select(2, mtxt:gsub("panel %d", "")) == 3, "text multiplot shows the three panel titles")
T.lives(function() f2:save(tmp("multi.txt")) end, "save .txt writes the text plot")
T.ok((slurp(dir .. "/multi.txt") or ""):find("panel 2", 1, true), ".txt file holds the plot")

-- 8. gnuplot errors become Lua errors with gnuplot's message; no empty file left
local bad = tmp("bad.png")
T.raises(function() plot.lines{y = a, color = "notacolor", file = bad} end,
         "an invalid colour raises gnuplot's message", "m1d.plot: gnuplot:", "unrecognized color name")
T.ok(io.open(bad) == nil, "the failed plot leaves no file behind")
T.raises(function() plot.lines{y = a, extra = "set frobnicate 3"}:text() end,
         "raw extra commands: gnuplot's error is raised", "nrecognized option", "set frobnicate 3")
-- the same figure's gnuplot keeps working after an error
local f6 = plot.lines{y = a, name = "ok"}
T.raises(function() f6:panel{y = b, at = 1, extra = {"set bogus"}}; f6:text() end, "error in a redraw", "bogus")
f6:panel{y = b, name = "fixed", at = 1}
T.ok(f6:text():find("fixed", 1, true), "the figure renders again after a gnuplot error")

-- 9. argument checks happen in Lua, before gnuplot
T.raises(function() plot.lines{y = a, xlable = "oops"} end, "unknown option is named", "xlable")
T.raises(function() plot.lines{x = {1, 2}, y = {1, 2, 3}} end, "x/y length mismatch", "x has 2 values, y has 3")
T.raises(function() plot.lines{y = a, band = {alo}} end, "band needs two arrays", "band must be {lo, hi}")
T.raises(function() plot.figure{layout = "3by2"} end, "bad layout", "layout must be")
T.raises(function() plot.figure{layout = "1x2"}:panel{y = a}:panel{y = a}:panel{y = a} end,
         "too many panels", "outside the 1x2 layout")
T.raises(function() plot.lines{y = {1, "x"}} end, "non-numbers rejected", "y[2] must be a number")
T.raises(function() plot.figure():save(tmp("empty.png")) end, "empty figure", "no panels")
T.raises(function() f1:save(tmp("x.bmp")) end, "unknown extension", ".png, .svg, .pdf")

-- 10. records with column numbers, as in the style guide's example
local log = {}
for k = 1, 10 do log[k] = {k, 1 / k, 0.1 * k} end
local f7
T.lives(function() f7 = plot.lines{log, x = 1, y = 3, title = "learned lr", file = tmp("rec.png")} end,
        "records with x/y columns and file = ...")
check_png(dir .. "/rec.png", plot.single_size[1], plot.single_size[2], "records plot: default size PNG")

-- 11. closing: explicit, idempotent, and through <close>
T.lives(function() f1:close(); f1:close() end, "close is idempotent")
T.lives(function() f1:save(tmp("again.png")) end, "a closed figure reopens gnuplot when drawn again")
do
  local f8 <close> = plot.lines{y = b}
  f8:text()
  T.ok(f8.proc ~= nil, "figure holds a gnuplot process while in use")
end
for _, f in ipairs{f1, f2, f3, f4, f5, f6, f7} do f:close() end

-- 12. gnuplot missing: the install hint
local saved = plot.gnuplot_cmd
plot.gnuplot_cmd = "gnuplot-missing-xyz"
T.raises(function() plot.lines{y = a}:text() end, "missing gnuplot gives the install hint",
         "gnuplot-missing-xyz", "install the Debian package gnuplot-nox (apt-get install gnuplot-nox)")
plot.gnuplot_cmd = saved

-- 13. message parsing
local errs, warns, rest = plot._parse_messages(
  "picture\n\ngnuplot> set foo\n             ^\n         line 3: unrecognized option\n\n" ..
  "         line 7: warning: Skipping data file with no valid points\n")
T.ok(#errs == 1 and errs[1]:find("unrecognized option", 1, true) and errs[1]:find("set foo", 1, true),
     "parse: the error and its command", errs[1])
T.ok(#warns == 1 and warns[1]:find("Skipping data file", 1, true), "parse: the warning")
T.ok(rest:find("picture", 1, true) and not rest:find("gnuplot>", 1, true), "parse: the rest is kept")

-- layout: the legend goes to a corner the data leave empty, else below the plot
local layout = require "m1d.plot_layout"
local function panel(series, extra)
  local p = {series = series, hlines = {}, vlines = {}}
  for k, v in pairs(extra or {}) do p[k] = v end
  return p
end
local x = {}
for i = 1, 11 do x[i] = i - 1 end
local rising, falling = {}, {}
for i = 1, 11 do rising[i], falling[i] = x[i], 10 - x[i] end
-- a rising line leaves the top left and the bottom right empty
T.is(layout.key_position(panel{{x = x, y = rising, name = "up"}}, 600, 420, 16), "top left samplen 2",
     "key: a rising line leaves the top left free")
T.is(layout.key_position(panel{{x = x, y = falling, name = "down"}}, 600, 420, 16), "top right samplen 2",
     "key: a falling line leaves the top right free")
-- an X of both lines and a horizontal line at the top and bottom: no corner is free
local where, margin = layout.key_position(panel({{x = x, y = rising, name = "up"}, {x = x, y = falling, name = "down"}},
                                                {hlines = {}}), 600, 420, 16)
T.ok(where:find("^below") and margin and margin:find("^set bmargin"), "key: every corner taken -> below, with a margin",
     tostring(where))
-- a band counts as data: a flat line at 0 with a band reaching to the top
local flat, lo, hi = {}, {}, {}
for i = 1, 11 do flat[i], lo[i], hi[i] = (i <= 3) and 9 or 0, -1, (i <= 3) and 10 or 1 end
T.ok(layout.key_position(panel{{x = x, y = flat, lo = lo, hi = hi, name = "b"}}, 600, 420, 16) ~= "top left samplen 2",
     "key: a band at the top left keeps the key out of that corner")
T.is(layout.key_position(panel{{x = x, y = rising}}, 600, 420, 16), "top right",
     "key: no named series, nothing to place")
-- fonts: legible when printed one column wide (<= 2 panel columns) or a page wide
T.is(layout.font_pt(640, 1), 12, "font: a small figure keeps 12 pt")
T.is(layout.font_pt(1300, 2), 20, "font: 1300 px, two columns: 20 pt (5 pt printed 3.3 in wide)")
T.is(layout.font_pt(1800, 3), 13, "font: 1800 px, three columns: 13 pt (5 pt printed 7 in wide)")
do
  local fig = plot.figure{layout = "1x2", size = {1300, 500}}
  fig:panel{series = {{x = x, y = rising, name = "up"}}}:panel{series = {{x = x, y = falling, name = "down"}},
                                                               legend = "bottom left"}
  fig:save(tmp("layout.png"), {pdf = true})
  local sc = fig:script()
  T.ok(sc:find('font "Sans,20"', 1, true) and sc:find("linewidth", 1, true), "figure: default font and line width in the script")
  T.ok(sc:find("set key top left samplen 2", 1, true) and sc:find("set key bottom left", 1, true),
       "figure: an automatic key and an explicit one")
  made[#made + 1] = dir .. "/layout.pdf"
  local f = io.open(dir .. "/layout.pdf", "rb")
  T.ok(f and f:read(4) == "%PDF", "save{pdf = true} writes the PDF beside the PNG")
  if f then f:close() end
  T.raises(function() fig:save(tmp("never.png"), {pfd = true}) end, "save: an unknown option is an error",
           "unknown option 'pfd'")
  fig:close()
end

for i = #made, 1, -1 do os.remove(made[i]) end
T.ok(os.remove(dir), "temporary directory removed (every file accounted for)")
T.done()
