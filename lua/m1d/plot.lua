-- plot.lua — figures drawn by gnuplot: line plots with error bands, scatter plots,
-- heatmaps, multi-panel layouts; saved as PNG/SVG/PDF or printed as text.
--
--   local plot = require "m1d.plot"
--   plot.lines{ {x = steps, y = acc, name = "MLP", band = {lo, hi}},
--               {x = steps, y = acc2, name = "CNN", dash = true},
--               hlines = { {y = 96, name = "human 96%"} },
--               title = "test accuracy", xlabel = "step", logx = true }:save("acc.png")
--
--   local fig <close> = plot.figure{layout = "1x3", size = {1500, 450}}
--   fig:panel{title = "a", series = {...}}:heatmap{data = mask}:scatter{x = u, y = v}
--   fig:show()                 -- text plot in the terminal
--
-- How it works: one gnuplot process per figure, spawned on first use through
-- m1d.core.spawn and closed by fig:close(), <close> or the collector.  Every render
-- sends the data again as named datablocks ($p1s1 << EOD ... EOD) and then the
-- commands, ends with `unset output` (so files are complete when save returns) and
-- `print "<marker>"`; gnuplot's stderr shares the pipe, so everything before the
-- marker is gnuplot's own messages: errors ("line N: ...") raise a Lua error carrying
-- them (a half-written file is removed), warnings go to plot.on_warning.
-- Data is copied into Lua tables when a panel is added, so later changes to the
-- arrays or tensors do not change the figure.  Nothing is written to temporary files.
local plot = {}
local layout = require "m1d.plot_layout"    -- default font size and legend placement

-- The gnuplot command: a program name or an argv table.  Tests set a missing name.
plot.gnuplot_cmd = "gnuplot"
-- How long a render may take before gnuplot is presumed stuck (killed, error raised).
plot.timeout_ms = 60000
-- Called with gnuplot's warning text (e.g. "Skipping data file with no valid points").
plot.on_warning = function(msg) io.stderr:write("m1d.plot: gnuplot ", msg, "\n") end
-- Series colours, in order (matplotlib's tab10, readable on white and in print).
plot.colors = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
               "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}
-- Default pixel size of one panel of a multi-panel figure, and of a one-panel figure.
plot.panel_size = {600, 420}
plot.single_size = {800, 500}

local INSTALL_HINT = "install the Debian package gnuplot-nox (apt-get install gnuplot-nox)"

local spawn_fn
local function spawn(argv)
  if plot.spawn then return plot.spawn(argv) end   -- injectable for tests
  if not spawn_fn then spawn_fn = require("m1d.core").spawn end
  return spawn_fn(argv)
end

---------------------------------------------------------------------------- helpers

local function perr(msg) error("m1d.plot: " .. msg, 0) end

local function gpstr(s)   -- a gnuplot double-quoted string
  s = tostring(s):gsub('[\\"]', "\\%0"):gsub("\n", "\\n")
  return '"' .. s .. '"'
end

local function fmtnum(v)
  if v ~= v or v == math.huge or v == -math.huge then return "NaN" end  -- a gap
  if math.type(v) == "integer" then return tostring(v) end
  return string.format("%.10g", v)
end

-- string keys only: positional entries of a spec are series
local function check_keys(t, allowed, what)
  local strings, known = {}, {}
  for k, v in pairs(t) do if type(k) == "string" then strings[k] = v end end
  for a in pairs(allowed) do known[#known + 1] = a end
  local ok, err = pcall(require("m1d.util").check_options, what, strings, known)
  if not ok then perr((tostring(err):gsub("^[^\n]-:%d+: ", ""))) end
end

local function set_of(list)
  local s = {}
  for _, k in ipairs(list) do s[k] = true end
  return s
end

-- A plain Lua table from a table or from anything with :totable() (tensors).
local function totable(v)
  if type(v) ~= "table" or getmetatable(v) then
    local ok, f = pcall(function() return v.totable end)
    if ok and type(f) == "function" then return f(v) end
  end
  return v
end
plot.totable = totable

-- A 1-D array of numbers from a table, a tensor (anything with :totable()), or a
-- column/row tensor ([n,1] or [1,n]).
local function tovec(v, what)
  v = totable(v)
  if type(v) ~= "table" then
    perr(("%s must be an array or a tensor, got %s"):format(what, type(v)))
  end
  if #v == 1 and type(v[1]) == "table" then v = v[1] end
  local out = {}
  for i = 1, #v do
    local e = v[i]
    if type(e) == "table" and #e == 1 then e = e[1] end
    if type(e) ~= "number" then
      perr(("%s[%d] must be a number, got %s"):format(what, i, type(e)))
    end
    out[i] = e
  end
  return out
end

-- A 2-D array (rows of numbers) from nested tables or a 2-D tensor.
local function tomatrix(v, what)
  v = totable(v)
  if type(v) ~= "table" or type(v[1]) ~= "table" then
    perr(what .. " must be a 2-D table (rows of numbers) or a 2-D tensor")
  end
  local out, ncol = {}, #v[1]
  for i = 1, #v do
    local row = tovec(v[i], ("%s[%d]"):format(what, i))
    if #row ~= ncol then
      perr(("%s: row %d has %d columns, row 1 has %d"):format(what, i, #row, ncol))
    end
    out[i] = row
  end
  return out, #out, ncol
end

local function range_str(r, what)
  if r == nil then return nil end
  if type(r) ~= "table" then perr(what .. " must be {min, max} (either may be nil)") end
  local function e(x) return x == nil and "*" or fmtnum(tonumber(x) or perr(what .. " entries must be numbers")) end
  return ("[%s:%s]"):format(e(r[1]), e(r[2]))
end

local function parse_layout(l)
  if l == nil then return nil end
  local r, c
  if type(l) == "table" then r, c = l[1], l[2]
  else r, c = tostring(l):match("^%s*(%d+)%s*[xX,]%s*(%d+)%s*$") end
  r, c = tonumber(r), tonumber(c)
  if not r or not c or r < 1 or c < 1 then
    perr(("layout must be \"ROWSxCOLS\" like \"2x3\" or {rows, cols}, got %s"):format(tostring(l)))
  end
  return {math.tointeger(r) or r, math.tointeger(c) or c}
end

local MARKERS = {circle = 7, square = 5, triangle = 9, diamond = 13, ["triangle-down"] = 11,
                 cross = 2, x = 2, plus = 1, ["+"] = 1, star = 3, ["*"] = 3,
                 ["open-circle"] = 6, ["open-square"] = 4, dot = 0}
local STYLES = set_of{"lines", "points", "linespoints", "steps", "impulses", "boxes"}
local PALETTES = {
  gray = "gray",
  viridis = 'defined (0 "#440154", 0.25 "#3b528b", 0.5 "#21918c", 0.75 "#5ec962", 1 "#fde725")',
  bwr = 'defined (0 "#3b4cc0", 0.5 "#f7f7f7", 1 "#b40426")',
  hot = "rgbformulae 21,22,23",
}
PALETTES.diverging = PALETTES.bwr

---------------------------------------------------------------------- normalisation

local SERIES_KEYS = set_of{"x", "y", "name", "style", "color", "width", "dash", "marker",
                           "marker_size", "band", "err", "c", "axes"}

-- Validate one series and copy its data into plain arrays.
local function norm_series(s, i, default_style)
  if type(s) ~= "table" then perr(("series %d must be a table {x=..., y=...}"):format(i)) end
  check_keys(s, SERIES_KEYS, "series")
  if s.y == nil then perr(("series %d has no y"):format(i)) end
  local name = s.name and tostring(s.name) or nil
  local label = ("series %d%s"):format(i, name and (" ('" .. name .. "')") or "")
  local y = tovec(s.y, label .. ".y")
  local x
  if s.x ~= nil then
    x = tovec(s.x, label .. ".x")
    if #x ~= #y then perr(("%s: x has %d values, y has %d"):format(label, #x, #y)) end
  else
    x = {}
    for k = 1, #y do x[k] = k end
  end
  local style = s.style or default_style
  if not STYLES[style] then
    perr(("%s: style must be lines, points, linespoints, steps, impulses or boxes, not '%s'")
         :format(label, tostring(style)))
  end
  if s.marker ~= nil and style == "lines" then style = "linespoints" end
  local out = {x = x, y = y, name = name, style = style, color = s.color, width = s.width,
               dash = s.dash, marker = s.marker, marker_size = s.marker_size, axes = s.axes}
  if s.marker ~= nil and type(s.marker) ~= "number" and not MARKERS[s.marker] then
    local names = {}
    for k in pairs(MARKERS) do names[#names + 1] = k end
    table.sort(names)
    perr(("%s: unknown marker '%s' (known: %s, or a gnuplot point type number)")
         :format(label, tostring(s.marker), table.concat(names, ", ")))
  end
  if s.band ~= nil then
    if type(s.band) ~= "table" or s.band[1] == nil or s.band[2] == nil then
      perr(label .. ": band must be {lo, hi} (two arrays or tensors)")
    end
    local lo, hi = tovec(s.band[1], label .. ".band[1]"), tovec(s.band[2], label .. ".band[2]")
    if #lo ~= #y or #hi ~= #y then
      perr(("%s: band arrays have %d and %d values, y has %d"):format(label, #lo, #hi, #y))
    end
    out.lo, out.hi = lo, hi
  elseif s.err ~= nil then
    local e = tovec(s.err, label .. ".err")
    if #e ~= #y then perr(("%s: err has %d values, y has %d"):format(label, #e, #y)) end
    out.lo, out.hi = {}, {}
    for k = 1, #y do out.lo[k], out.hi[k] = y[k] - e[k], y[k] + e[k] end
  end
  if s.c ~= nil then
    out.c = tovec(s.c, label .. ".c")
    if #out.c ~= #y then perr(("%s: c has %d values, y has %d"):format(label, #out.c, #y)) end
  end
  return out
end

local REF_KEYS = set_of{"y", "x", "name", "color", "dash", "width"}

local function norm_refs(list, axis, what)
  if list == nil then return {} end
  if type(list) == "number" then list = {list} end
  local out = {}
  for i, h in ipairs(list) do
    if type(h) == "number" then h = {[axis] = h} end
    if type(h) ~= "table" or type(h[axis]) ~= "number" then
      perr(("%s[%d] must be a number or {%s = number, name = ...}"):format(what, i, axis))
    end
    check_keys(h, REF_KEYS, what:sub(1, -2))
    out[i] = h
  end
  return out
end

local PANEL_KEYS = set_of{"series", "title", "xlabel", "ylabel", "logx", "logy", "xrange",
                          "yrange", "hlines", "vlines", "labels", "legend", "grid", "extra",
                          "at", "kind", "x", "y", "name", "style", "color", "width", "dash",
                          "marker", "marker_size", "band", "err", "c", "palette", "cbrange",
                          "data", "colorbox", "y2label"}

local function norm_extra(e)
  if e == nil then return {} end
  if type(e) == "string" then return {e} end
  if type(e) ~= "table" then perr("extra must be a string or an array of gnuplot commands") end
  local out = {}
  for i, v in ipairs(e) do out[i] = tostring(v) end
  return out
end

-- A table of records {{k, loss, lr}, ...} with x = 1, y = 3 naming columns.
local function is_records(t)
  return type(t) == "table" and t.y == nil and getmetatable(t) == nil and type(t[1]) == "table"
end

local function from_records(rows, xcol, ycol, spec, i)
  if type(ycol) ~= "number" then
    perr(("positional argument %d looks like a table of records: give the columns as y = <column>" ..
          " (and x = <column>)"):format(i))
  end
  local xs, ys = {}, {}
  for r, row in ipairs(rows) do
    xs[r] = xcol and row[xcol] or r
    ys[r] = row[ycol]
  end
  return {x = xs, y = ys, name = spec.name}
end

-- Gather the series of a panel spec: positional tables, spec.series, or the spec itself
-- when it has x/y at top level (plot.lines{x = ..., y = ...}).
local function collect_series(spec, default_style)
  local raw = {}
  local toplevel_xy_used = false
  for i, s in ipairs(spec) do
    if is_records(s) then
      raw[#raw + 1] = from_records(s, spec.x, spec.y, spec, i)
      toplevel_xy_used = true
    elseif type(s) == "table" and s.y == nil and type(s[1]) == "number" then
      raw[#raw + 1] = {y = s}                     -- a bare array of y values
    else
      raw[#raw + 1] = s
    end
  end
  if spec.series then
    if type(spec.series) ~= "table" then perr("series must be an array of series tables") end
    for _, s in ipairs(spec.series) do raw[#raw + 1] = s end
  end
  if spec.y ~= nil and not toplevel_xy_used then
    local s = {}
    for k in pairs(SERIES_KEYS) do s[k] = spec[k] end
    raw[#raw + 1] = s
  end
  local out = {}
  for i, s in ipairs(raw) do out[i] = norm_series(s, i, default_style) end
  return out
end

local function norm_panel(spec, kind, default_style)
  if type(spec) ~= "table" then perr("a panel is given as a table {title = ..., series = {...}}") end
  check_keys(spec, PANEL_KEYS, "panel")
  local p = {kind = spec.kind or kind, title = spec.title, xlabel = spec.xlabel,
             ylabel = spec.ylabel, y2label = spec.y2label, logx = spec.logx, logy = spec.logy,
             xrange = range_str(spec.xrange, "xrange"), yrange = range_str(spec.yrange, "yrange"),
             cbrange = spec.cbrange, legend = spec.legend, grid = spec.grid,
             palette = spec.palette, colorbox = spec.colorbox, extra = norm_extra(spec.extra),
             at = spec.at}
  if p.kind == "heatmap" then
    if spec.data == nil then perr("heatmap needs data = <2-D table or tensor>") end
    p.data, p.rows, p.cols = tomatrix(spec.data, "heatmap data")
    if spec.cbrange then
      if type(spec.cbrange) ~= "table" then perr("cbrange must be {min, max}") end
      p.cbmin, p.cbmax = spec.cbrange[1], spec.cbrange[2]
    end
  elseif p.kind == "xy" then
    p.series = collect_series(spec, default_style)
    p.hlines = norm_refs(spec.hlines, "y", "hlines")
    p.vlines = norm_refs(spec.vlines, "x", "vlines")
    p.labels = {}
    for i, l in ipairs(spec.labels or {}) do
      if type(l) ~= "table" or type(l.x) ~= "number" or type(l.y) ~= "number" or l.text == nil then
        perr(("labels[%d] must be {x = number, y = number, text = string}"):format(i))
      end
      p.labels[i] = l
    end
    if #p.series == 0 and #p.hlines == 0 then
      perr("a panel needs at least one series (series = {{x = ..., y = ...}, ...})")
    end
  else
    perr(("unknown panel kind '%s' (xy or heatmap)"):format(tostring(p.kind)))
  end
  return p
end

------------------------------------------------------------------------ the figure

local Figure = {}
Figure.__index = Figure
Figure.__name = "m1d.plot.Figure"
local nfigures = 0

local FIGURE_KEYS = set_of{"layout", "size", "title", "font", "enhanced"}

-- plot.figure{layout = "2x3", size = {1800, 840}, title = "...", font = "Sans,11"}
function plot.figure(opts)
  opts = opts or {}
  if type(opts) ~= "table" then perr("figure options must be a table") end
  check_keys(opts, FIGURE_KEYS, "figure")
  nfigures = nfigures + 1
  local fig = setmetatable({layout = parse_layout(opts.layout), title = opts.title,
                            font = opts.font, enhanced = opts.enhanced, panels = {},
                            id = nfigures, renders = 0}, Figure)
  if opts.size ~= nil then
    local s = opts.size
    if type(s) ~= "table" or type(s[1]) ~= "number" or type(s[2]) ~= "number" then
      perr("size must be {width, height} in pixels")
    end
    fig.size = {math.floor(s[1]), math.floor(s[2])}
  end
  return fig
end

local function add_panel(fig, p)
  local slots = fig.layout and fig.layout[1] * fig.layout[2] or 1
  local at = p.at or #fig.panels + 1
  if type(at) ~= "number" or at < 1 or at > slots or at ~= math.floor(at) then
    perr(("panel position %s is outside the %s layout (%d slots)%s"):format(
      tostring(at), fig.layout and (fig.layout[1] .. "x" .. fig.layout[2]) or "1x1", slots,
      fig.layout and "" or "; give the figure a layout, e.g. plot.figure{layout = \"1x3\"}"))
  end
  fig.panels[at] = p
  return fig
end

-- fig:panel{title=, xlabel=, ylabel=, logx=, logy=, xrange=, yrange=, legend=, grid=,
--           series = {{x=, y=, name=, style=, color=, dash=, marker=, band={lo,hi}}, ...},
--           hlines = {{y = 96, name = "human"}}, vlines=, labels=, extra=, at=} -> fig
function Figure:panel(spec) return add_panel(self, norm_panel(spec, "xy", "lines")) end
-- fig:scatter{x=, y=, c=, ...} or with series: like panel, points by default -> fig
function Figure:scatter(spec) return add_panel(self, norm_panel(spec, "xy", "points")) end
-- fig:heatmap{data = 2-D table or tensor, palette=, cbrange=, title=, ...} -> fig
function Figure:heatmap(spec) return add_panel(self, norm_panel(spec, "heatmap")) end

function Figure:__tostring()
  local n = 0
  for _ in pairs(self.panels) do n = n + 1 end
  local layout = self.layout and (" " .. self.layout[1] .. "x" .. self.layout[2]) or ""
  local first = self.title or (self.panels[1] and self.panels[1].title)
  return ("m1d.plot.Figure%s, %d panel%s%s"):format(layout, n, n == 1 and "" or "s",
                                                    first and (": " .. first) or "")
end

function Figure:pixel_size()
  if self.size then return self.size[1], self.size[2] end
  if not self.layout or self.layout[1] * self.layout[2] == 1 then
    return plot.single_size[1], plot.single_size[2]
  end
  return plot.panel_size[1] * self.layout[2], plot.panel_size[2] * self.layout[1]
end

------------------------------------------------------------------------- rendering

local function series_color(s, i)
  return s.color or plot.colors[(i - 1) % #plot.colors + 1]
end

local function dash_spec(d)
  if d == nil or d == false then return nil end
  if d == true then return "2" end
  if type(d) == "number" then return tostring(math.floor(d)) end
  return gpstr(d)   -- a pattern such as "-." or "_ "
end

local function data_block(lines, name, rows)
  lines[#lines + 1] = name .. " << EOD"
  for _, r in ipairs(rows) do lines[#lines + 1] = r end
  lines[#lines + 1] = "EOD"
end

-- geom: {pw, ph, font_px} of the panel, for placing its legend (nil for the text terminal)
local function emit_xy(L, p, pi, text, geom)
  -- data
  for si, s in ipairs(p.series) do
    local rows = {}
    for k = 1, #s.y do
      local r = fmtnum(s.x[k]) .. " " .. fmtnum(s.y[k])
      if s.lo then r = r .. " " .. fmtnum(s.lo[k]) .. " " .. fmtnum(s.hi[k]) end
      if s.c then r = r .. " " .. fmtnum(s.c[k]) end
      rows[k] = r
    end
    data_block(L, ("$p%ds%d"):format(pi, si), rows)
  end
  -- settings
  if p.logx then L[#L + 1] = "set logscale x" .. (type(p.logx) == "number" and (" " .. p.logx) or "") end
  if p.logy then L[#L + 1] = "set logscale y" .. (type(p.logy) == "number" and (" " .. p.logy) or "") end
  if p.xrange then L[#L + 1] = "set xrange " .. p.xrange end
  if p.yrange then L[#L + 1] = "set yrange " .. p.yrange end
  if p.grid then L[#L + 1] = text and "set grid" or 'set grid lc rgb "#dddddd" lw 1' end
  if p.legend == false then L[#L + 1] = "unset key"
  else
    local where, margin = "top right", nil
    if type(p.legend) == "string" then where = p.legend
    elseif geom then where, margin = layout.key_position(p, geom[1], geom[2], geom[3]) end
    L[#L + 1] = "set key " .. where .. (text and "" or " noopaque")
    if margin then L[#L + 1] = margin end
  end
  for _, v in ipairs(p.vlines) do
    local col = v.color or "#555555"
    L[#L + 1] = ("set arrow from first %s, graph 0 to first %s, graph 1 nohead lc rgb %s lw %s dt %s")
                :format(fmtnum(v.x), fmtnum(v.x), gpstr(col), fmtnum(v.width or 1),
                        dash_spec(v.dash == nil and true or v.dash) or "1")
    if v.name then
      L[#L + 1] = ("set label %s at first %s, graph 0.97 left offset 0.5,0")
                  :format(gpstr(v.name), fmtnum(v.x))
    end
  end
  for _, l in ipairs(p.labels) do
    L[#L + 1] = ("set label %s at first %s, first %s"):format(gpstr(l.text), fmtnum(l.x), fmtnum(l.y))
  end
  local has_c = false
  for _, s in ipairs(p.series) do if s.c then has_c = true end end
  if has_c then
    L[#L + 1] = "set palette " .. (PALETTES[p.palette or "viridis"] or p.palette)
    if p.colorbox == false then L[#L + 1] = "unset colorbox" end
    if p.cbrange then L[#L + 1] = "set cbrange " .. range_str(p.cbrange, "cbrange") end
  end
  for _, e in ipairs(p.extra) do L[#L + 1] = e end
  -- the plot command: bands first (under the lines), then series, then reference lines
  local items = {}
  for si, s in ipairs(p.series) do
    if s.lo then
      items[#items + 1] = ("$p%ds%d using 1:3:4 with filledcurves fs transparent solid 0.22 " ..
                           "noborder lc rgb %s notitle"):format(pi, si, gpstr(series_color(s, si)))
    end
  end
  for si, s in ipairs(p.series) do
    local it = {("$p%ds%d using 1:2%s with %s lt %d"):format(pi, si, s.c and ":" .. (s.lo and 5 or 3) or "",
                                                          s.style, si)}
    if s.c then it[#it + 1] = "lc palette z"
    else it[#it + 1] = "lc rgb " .. gpstr(series_color(s, si)) end
    if s.style ~= "points" then it[#it + 1] = "lw " .. fmtnum(s.width or 2) end
    local dt = dash_spec(s.dash)
    if dt then it[#it + 1] = "dt " .. dt end
    if s.style == "points" or s.style == "linespoints" then
      local pt = s.marker and (MARKERS[s.marker] or s.marker) or 7
      it[#it + 1] = "pt " .. tostring(pt)
      it[#it + 1] = "ps " .. fmtnum(s.marker_size or (s.style == "points" and 0.8 or 0.7))
    end
    if s.axes then it[#it + 1] = "axes " .. s.axes end
    it[#it + 1] = s.name and ("title " .. gpstr(s.name)) or "notitle"
    items[#items + 1] = table.concat(it, " ")
  end
  for hi, h in ipairs(p.hlines) do
    items[#items + 1] = ("%s with lines lt %d lc rgb %s lw %s dt %s %s"):format(
      fmtnum(h.y), #p.series + hi, gpstr(h.color or "#555555"), fmtnum(h.width or 1.5),
      dash_spec(h.dash == nil and true or h.dash) or "1",
      h.name and ("title " .. gpstr(h.name)) or "notitle")
  end
  L[#L + 1] = "plot " .. table.concat(items, ", \\\n     ")
end

local function emit_heatmap(L, p, pi, text)
  local rows = {}
  for r = 1, p.rows do
    local t = {}
    for c = 1, p.cols do t[c] = fmtnum(p.data[r][c]) end
    rows[r] = table.concat(t, " ")
  end
  local name = ("$p%dm"):format(pi)
  data_block(L, name, rows)
  L[#L + 1] = ("set xrange [0.5:%d.5]"):format(p.cols)
  L[#L + 1] = ("set yrange [%d.5:0.5]"):format(p.rows)   -- row 1 at the top, like a matrix
  L[#L + 1] = "unset key"
  if not text then L[#L + 1] = "set tics out nomirror" end
  -- integer tics at cell centres: 1, then every `step` cells
  local function step(n)
    for _, s in ipairs{1, 2, 5, 10, 20, 50, 100, 200, 500} do if n / s <= 8 then return s end end
    return 1000
  end
  L[#L + 1] = ("set xtics 1,%d\nset ytics 1,%d"):format(step(p.cols), step(p.rows))
  for _, e in ipairs(p.extra) do L[#L + 1] = e end
  if text then
    -- the dumb terminal draws no images: one shade character per cell instead
    local lo, hi = p.cbmin, p.cbmax
    if lo == nil or hi == nil then
      local mn, mx = math.huge, -math.huge
      for r = 1, p.rows do for c = 1, p.cols do
        local v = p.data[r][c]
        if v == v then mn, mx = math.min(mn, v), math.max(mx, v) end
      end end
      lo, hi = lo or mn, hi or mx
    end
    if not (hi > lo) then hi = lo + 1 end
    L[#L + 1] = ("m1d_shade(v) = (m1d_i = int(floor((v - (%s)) / (%s) * 9.999)) + 1, " ..
                 "m1d_i < 1 ? 1 : m1d_i > 10 ? 10 : m1d_i)"):format(fmtnum(lo), fmtnum(hi - lo))
    L[#L + 1] = ('plot %s matrix using ($1+1):($2+1):(substr(" .:-=+*#%%@", m1d_shade($3), ' ..
                 'm1d_shade($3))) with labels notitle'):format(name)
  else
    L[#L + 1] = "set palette " .. (PALETTES[p.palette or "viridis"] or p.palette)
    if p.cbmin ~= nil or p.cbmax ~= nil then
      L[#L + 1] = "set cbrange " .. range_str({p.cbmin, p.cbmax}, "cbrange")
    end
    if p.colorbox == false then L[#L + 1] = "unset colorbox" end
    L[#L + 1] = ("plot %s matrix using ($1+1):($2+1):3 with image notitle"):format(name)
  end
end

-- The full gnuplot script for one render.  term: "png", "svg", "pdf", "text".
local function script(fig, term, out, w, h, marker)
  local L = {}
  local enh = fig.enhanced and "enhanced" or "noenhanced"
  -- unless the figure names a font: one sized for printing (plot_layout.lua), lines to match
  local font_pt = tonumber(fig.font and fig.font:match(",%s*([%d.]+)%s*$"))
                  or layout.font_pt(w, fig.layout and fig.layout[2] or 1)
  local font = " font " .. gpstr(fig.font or ("Sans," .. font_pt))
  local lw = (" linewidth %s"):format(fmtnum(layout.line_scale(w)))
  if term == "png" then
    L[#L + 1] = ("set term pngcairo size %d,%d %s%s%s"):format(w, h, enh, font, lw)
  elseif term == "svg" then
    L[#L + 1] = ("set term svg size %d,%d %s%s%s background rgb 'white'"):format(w, h, enh, font, lw)
  elseif term == "pdf" then
    L[#L + 1] = ("set term pdfcairo size %sin,%sin %s%s%s"):format(fmtnum(w / 100), fmtnum(h / 100), enh,
                                                                   font, lw)
  else
    L[#L + 1] = ("set term dumb size %d,%d %s%s"):format(w, h, enh, fig.ansi and " ansi" or "")
  end
  L[#L + 1] = out and ("set output " .. gpstr(out)) or "set output"
  local multi = fig.layout and fig.layout[1] * fig.layout[2] > 1
  if multi then
    L[#L + 1] = ("set multiplot layout %d,%d%s"):format(fig.layout[1], fig.layout[2],
                                                       fig.title and (" title " .. gpstr(fig.title)) or "")
  end
  local slots = fig.layout and fig.layout[1] * fig.layout[2] or 1
  for pi = 1, slots do
    local p = fig.panels[pi]
    L[#L + 1] = "reset"
    if not p then
      if multi then L[#L + 1] = "set multiplot next" end
    else
      local title = p.title or (not multi and fig.title) or nil
      if title then L[#L + 1] = "set title " .. gpstr(title) end
      if p.xlabel then L[#L + 1] = "set xlabel " .. gpstr(p.xlabel) end
      if p.ylabel then L[#L + 1] = "set ylabel " .. gpstr(p.ylabel) end
      if p.y2label then L[#L + 1] = "set y2label " .. gpstr(p.y2label) .. "\nset y2tics" end
      if p.kind == "heatmap" then emit_heatmap(L, p, pi, term == "text")
      else
        local rows, cols = fig.layout and fig.layout[1] or 1, fig.layout and fig.layout[2] or 1
        local geom = term ~= "text" and {w / cols, h / rows, font_pt * layout.PX_PER_PT} or nil
        emit_xy(L, p, pi, term == "text", geom)
      end
    end
  end
  if multi then L[#L + 1] = "unset multiplot" end
  L[#L + 1] = "unset output"
  L[#L + 1] = "reset"
  L[#L + 1] = ("print %s"):format(gpstr(marker))
  return table.concat(L, "\n") .. "\n"
end

-- Split gnuplot's chatter into errors and warnings.  An error reads
--   gnuplot> plot $d using 1:2 lc rgb "notacolor"
--                                       ^
--            line 3: unrecognized color name ...
-- and a warning "line 3: warning: Skipping data file with no valid points".
local function parse_messages(text)
  local lines = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l:gsub("\r$", "") end
  local errors, warnings, keep = {}, {}, {}
  local i = 1
  while i <= #lines do
    local l = lines[i]
    if l:match("^gnuplot> ") then
      -- the echoed command, a caret line, then the message
      local j = i + 1
      while j <= #lines and (lines[j]:match("^%s*%^%s*$") or lines[j]:match("^%s*$")) do j = j + 1 end
      local msg = lines[j] or ""
      local body = msg:gsub("^%s+", ""):gsub("^line %d+:%s*", "")
      local target = body:match("^warning:") and warnings or errors
      target[#target + 1] = body .. "\n  in: " .. l:gsub("^gnuplot> ", "")
      i = j + 1
    elseif l:match("^%s*line %d+: ") or l:match("^%s*\"[^\"]*\" line %d+: ") then
      local body = l:gsub("^%s+", ""):gsub("^\"[^\"]*\" ", ""):gsub("^line %d+:%s*", "")
      local target = body:match("^warning:") and warnings or errors
      target[#target + 1] = body
      i = i + 1
    else
      keep[#keep + 1] = l
      i = i + 1
    end
  end
  return errors, warnings, table.concat(keep, "\n")
end

local function proc_alive(p)
  local ok, alive = pcall(function() return p:alive() end)
  return ok and alive
end

function Figure:_process()
  if self.proc and proc_alive(self.proc) then return self.proc end
  if self.proc then pcall(self.proc.close, self.proc) end
  self.proc = nil
  local cmd = plot.gnuplot_cmd
  local argv = type(cmd) == "table" and cmd or {cmd}
  local ok, p = pcall(spawn, argv)
  if not ok then
    local msg = tostring(p):gsub("^[^\n]-:%d+: ", "")
    if msg:find("cannot run", 1, true) or msg:find("No such file", 1, true) then
      perr(("cannot start gnuplot ('%s'): %s\n  %s"):format(tostring(argv[1]), msg, INSTALL_HINT))
    end
    perr("cannot start gnuplot: " .. msg)
  end
  self.proc = p
  return p
end

-- Render with terminal term; out is a file path, or nil for gnuplot's stdout.
-- Returns gnuplot's stdout text (the picture for the text terminal).
function Figure:_render(term, out, w, h)
  if next(self.panels) == nil then perr("the figure has no panels yet (add one with fig:panel{...})") end
  local p = self:_process()
  self.renders = self.renders + 1
  local marker = ("M1D_DONE_%d_%d"):format(self.id, self.renders)
  local stale = p:read_available()            -- anything left from an earlier render
  local s = script(self, term, out, w, h, marker)
  self.last_script = s
  local ok, err = pcall(p.write, p, s)
  if not ok then
    self.proc = nil
    pcall(p.close, p)
    perr("gnuplot exited unexpectedly: " .. tostring(err))
  end
  local text, why, rest = p:read_until(marker, plot.timeout_ms)
  if not text then
    pcall(p.kill, p, 9)
    pcall(p.close, p)
    self.proc = nil
    if out then os.remove(out) end
    perr(("gnuplot %s before finishing the plot%s"):format(
      why == "timeout" and ("did not answer within " .. plot.timeout_ms .. " ms") or "exited",
      rest ~= "" and (":\n" .. rest) or ""))
  end
  local errors, warnings, picture = parse_messages(stale .. text)
  if #errors > 0 then
    if out then os.remove(out) end
    perr("gnuplot: " .. table.concat(errors, "\n"))
  end
  if #warnings > 0 and plot.on_warning then plot.on_warning(table.concat(warnings, "\n")) end
  return picture
end

local EXT_TERM = {png = "png", svg = "svg", pdf = "pdf", txt = "text"}

-- fig:save(path [, {size = {w, h}, pdf = true}]) -> fig.  The terminal follows the
-- extension: .png (pngcairo), .svg, .pdf (pdfcairo; 100 px = 1 inch), .txt (the text
-- plot).  pdf = true also writes the vector PDF beside it (path with .pdf).
function Figure:save(path, opts)
  if type(path) ~= "string" then perr("save needs a file name such as \"fig.png\"") end
  if opts ~= nil then
    if type(opts) ~= "table" then perr("save options must be a table {size =, pdf =}") end
    check_keys(opts, set_of{"size", "pdf"}, "save")
    if opts.size ~= nil and (type(opts.size) ~= "table" or type(opts.size[1]) ~= "number"
                             or type(opts.size[2]) ~= "number") then
      perr("save: size must be {width, height} in pixels")
    end
    if opts.pdf then
      local pdf = path:gsub("%.[%w]+$", "") .. ".pdf"
      if pdf ~= path then self:save(pdf, {size = opts.size}) end
    end
  end
  local ext = path:match("%.([%w]+)$")
  local term = ext and EXT_TERM[ext:lower()]
  if not term then
    perr(("cannot tell the format of '%s': use .png, .svg, .pdf or .txt"):format(path))
  end
  local w, h = self:pixel_size()
  if opts and opts.size then w, h = opts.size[1], opts.size[2] end
  -- like util.write_json: a results/ directory that does not exist yet is created
  -- (gnuplot would only say that it "cannot open file")
  local dir = path:match("^(.*)/[^/]*$")
  if dir and dir ~= "" then
    local ok, err = pcall(require("m1d.core").makedirs, dir)
    if not ok then perr(("save: cannot create the directory of '%s': %s"):format(path, tostring(err))) end
  end
  if term == "text" then
    local f, err = io.open(path, "w")
    if not f then perr(("save: cannot write '%s': %s"):format(path, err)) end
    f:write(self:text(opts))
    f:close()
    return self
  end
  self:_render(term, path, math.floor(w), math.floor(h))
  return self
end

local function term_size()
  local c = tonumber(os.getenv("COLUMNS")) or 79
  local l = tonumber(os.getenv("LINES")) or 24
  return c, l
end

-- fig:text([{width = cols, height = rows}]) -> the plot as a string for a terminal
-- (gnuplot's dumb terminal; $COLUMNS x $LINES, else 79 x 24 per row of panels).
function Figure:text(opts)
  if opts ~= nil and type(opts) ~= "table" then perr("text options must be a table {width =, height =, color =}") end
  opts = opts or {}
  check_keys(opts, set_of{"width", "height", "color"}, "text")
  local c, l = term_size()
  local rows = self.layout and self.layout[1] or 1
  local w = opts.width or c
  local h = opts.height or math.max(l - 1, 12) * rows
  if rows > 1 and not opts.height then h = math.max(math.floor((l - 1) * 0.8), 12) * rows end
  self.ansi = opts.color
  local t = self:_render("text", nil, math.floor(w), math.floor(h))
  self.ansi = nil
  t = t:gsub("^\f", ""):gsub("\n\f", "\n")
  return (t:gsub("%s+$", "")) .. "\n"
end

-- fig:show([opts]) -> fig: print the text plot to stdout.
function Figure:show(opts)
  io.stdout:write(self:text(opts))
  io.stdout:flush()
  return self
end

-- The gnuplot script of the last render (for debugging or to reuse by hand).
function Figure:script() return self.last_script end

-- fig:close(): end this figure's gnuplot (reopened if the figure is drawn again).
function Figure:close()
  local p = self.proc
  self.proc = nil
  if p then pcall(p.close, p) end
end
Figure.__close = Figure.close
Figure.__gc = Figure.close

---------------------------------------------------------------------- shortcuts

local function one_panel(spec, method)
  if type(spec) ~= "table" then perr("expected a table of options, e.g. plot.lines{y = {1, 4, 9}}") end
  local fopts, pspec = {}, {}
  for k, v in pairs(spec) do
    if k == "size" or k == "font" or k == "enhanced" then fopts[k] = v
    elseif k ~= "file" then pspec[k] = v end
  end
  local fig = plot.figure(fopts)
  fig[method](fig, pspec)
  if spec.file then fig:save(spec.file) end
  return fig
end

-- plot.lines{series..., title=, xlabel=, ..., size=, file=} -> a one-panel figure
function plot.lines(spec) return one_panel(spec, "panel") end
-- plot.scatter{x=, y=, c=, ...} or with series -> a one-panel figure
function plot.scatter(spec) return one_panel(spec, "scatter") end
-- plot.heatmap{data=, palette=, cbrange=, title=, ...} -> a one-panel figure
function plot.heatmap(spec) return one_panel(spec, "heatmap") end

plot.Figure = Figure
plot._parse_messages = parse_messages   -- for tests

return plot
