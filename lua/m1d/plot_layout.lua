-- plot_layout.lua — the two layout decisions m1d.plot makes for a figure that does not
-- state them: the font size (so that text stays legible when the figure is printed one
-- column wide) and where each panel's legend goes (a corner the data leaves empty, else
-- outside the plot).  gnuplot places keys at a fixed spot and never avoids the data.
local layout = {}

-- A font size in points for a figure w pixels wide with `cols` panels side by side.
-- pngcairo renders 1 pt as 4/3 px and pdfcairo maps 100 px to 1 inch, so in both a font
-- of f pt is 4/3 f / w of the width.  A figure of one or two panel columns is meant to be
-- printed one column wide (3.3 in = 240 pt), a wider one across the page (7 in = 504 pt);
-- text of at least 5 pt there needs f >= 5 * w / (4/3 * width_pt): w / 64 and w / 134.
-- Never below gnuplot's usual 12 pt.
layout.PX_PER_PT, layout.MIN_PRINTED_PT = 4 / 3, 5
layout.COLUMN_PT, layout.PAGE_PT = 240, 504
function layout.font_pt(w, cols)
  local printed_width = (cols or 1) <= 2 and layout.COLUMN_PT or layout.PAGE_PT
  local f = layout.MIN_PRINTED_PT * w / (layout.PX_PER_PT * printed_width)
  return math.max(12, math.floor(f + 0.5))
end

-- Line widths grow with the figure too (gnuplot's lw 1 is one pixel-ish at any size).
function layout.line_scale(w) return math.max(1, w / 900) end

-- The panel's data range in one axis: from xrange/yrange when both ends are numbers,
-- else the data's own extent (gnuplot widens it to the next tic, which only moves the
-- data further from the corners).
local function range_of(text, values)
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(values) do
    if v == v and v > -math.huge and v < math.huge then
      if v < lo then lo = v end
      if v > hi then hi = v end
    end
  end
  if text then
    local a, b = text:match("^%[%s*([^:]*)%s*:%s*([^%]]*)%s*%]$")
    a, b = tonumber(a), tonumber(b)
    if a then lo = a end
    if b then hi = b end
  end
  if lo > hi then return 0, 1 end
  if lo == hi then return lo - 0.5, hi + 0.5 end
  return lo, hi
end

local function to_unit(v, lo, hi, log)
  if log then
    if v <= 0 or lo <= 0 then return -1 end
    return (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))
  end
  return (v - lo) / (hi - lo)
end

-- Does the segment (ax, ay)-(bx, by) meet the box [x0, x1] x [y0, y1]?  (Liang–Barsky.)
local function segment_hits(ax, ay, bx, by, x0, x1, y0, y1)
  local t0, t1 = 0, 1
  local dx, dy = bx - ax, by - ay
  for _, pq in ipairs{{-dx, ax - x0}, {dx, x1 - ax}, {-dy, ay - y0}, {dy, y1 - ay}} do
    local p, q = pq[1], pq[2]
    if p == 0 then
      if q < 0 then return false end
    else
      local r = q / p
      if p < 0 then if r > t1 then return false elseif r > t0 then t0 = r end
      else if r < t0 then return false elseif r < t1 then t1 = r end end
    end
  end
  return true
end

-- Everything drawn in the panel, in unit coordinates: segments, points and filled bands.
local function shapes(p)
  local xs, ys = {}, {}
  for _, s in ipairs(p.series) do
    if s.axes == nil or s.axes == "x1y1" then
      for k = 1, #s.x do
        xs[#xs + 1] = s.x[k]; ys[#ys + 1] = s.y[k]
        if s.lo then ys[#ys + 1] = s.lo[k]; ys[#ys + 1] = s.hi[k] end
      end
    end
  end
  for _, h in ipairs(p.hlines) do ys[#ys + 1] = h.y end
  local xlo, xhi = range_of(p.xrange, xs)
  local ylo, yhi = range_of(p.yrange, ys)
  local function u(x, y) return to_unit(x, xlo, xhi, p.logx), to_unit(y, ylo, yhi, p.logy) end
  local out = {segments = {}, points = {}, hlines = {}, vlines = {}}
  for _, s in ipairs(p.series) do
    if s.axes == nil or s.axes == "x1y1" then
      local joined = s.style ~= "points"
      local px, py
      for k = 1, #s.x do
        local x, y = u(s.x[k], s.y[k])
        if x == x and y == y then
          out.points[#out.points + 1] = {x, y}
          if joined and px then out.segments[#out.segments + 1] = {px, py, x, y} end
          if s.lo then     -- a band: its vertical extent at each x, and its edges
            local _, lo = u(s.x[k], s.lo[k])
            local _, hi = u(s.x[k], s.hi[k])
            out.segments[#out.segments + 1] = {x, lo, x, hi}
          end
          px, py = x, y
        else
          px = nil
        end
      end
    end
  end
  for _, h in ipairs(p.hlines) do local _, y = u(xlo, h.y); out.hlines[#out.hlines + 1] = y end
  for _, v in ipairs(p.vlines) do local x = u(v.x, ylo); out.vlines[#out.vlines + 1] = x end
  return out
end

local function box_free(sh, x0, x1, y0, y1, pad)
  for _, q in ipairs(sh.points) do
    if q[1] >= x0 - pad and q[1] <= x1 + pad and q[2] >= y0 - pad and q[2] <= y1 + pad then return false end
  end
  for _, g in ipairs(sh.segments) do
    if segment_hits(g[1], g[2], g[3], g[4], x0, x1, y0, y1) then return false end
  end
  for _, y in ipairs(sh.hlines) do if y >= y0 and y <= y1 then return false end end
  for _, x in ipairs(sh.vlines) do if x >= x0 and x <= x1 then return false end end
  return true
end

-- The gnuplot key position for an xy panel of pw x ph pixels with fonts of font_px:
-- the first of the four inside corners whose box holds no data, else below the plot
-- (then a second result: the margin command that makes room for it).
-- The box is estimated from the entries (gnuplot: sample 4 characters wide, one line
-- per entry) against a plot area of ~80 % x 75 % of the panel.
local CORNERS = {{"top right", 1, 1}, {"top left", 0, 1}, {"bottom right", 1, 0}, {"bottom left", 0, 0}}
function layout.key_position(p, pw, ph, font_px)
  local entries, longest = 0, 0
  for _, s in ipairs(p.series) do
    if s.name then entries = entries + 1; longest = math.max(longest, utf8.len(s.name) or #s.name) end
  end
  for _, h in ipairs(p.hlines) do
    if h.name then entries = entries + 1; longest = math.max(longest, utf8.len(h.name) or #h.name) end
  end
  if entries == 0 then return "top right" end            -- nothing to show; gnuplot draws no key
  local kw = ((longest + 4) * 0.6 * font_px) / (0.8 * pw)      -- samplen 2 (below)
  local kh = ((entries + 0.6) * 1.2 * font_px) / (0.75 * ph)
  if kw < 0.7 and kh < 0.9 then
    local sh = shapes(p)
    for _, c in ipairs(CORNERS) do
      local x0 = c[2] == 1 and 1 - kw or 0
      local y0 = c[3] == 1 and 1 - kh or 0
      if box_free(sh, x0, x0 + kw, y0, y0 + kh, 0.01) then return c[1] .. " samplen 2" end
    end
  end
  -- below the plot, in as many columns as fit; gnuplot underestimates the margin such a
  -- key needs at large font sizes (the last row gets cut off), so it is set here: the
  -- key's rows plus the tic labels and the x label, in character heights
  local per_row = math.max(1, math.floor((0.8 * pw) / ((longest + 5) * 0.6 * font_px)))
  local rows = math.ceil(entries / per_row)
  return "below horizontal samplen 2", ("set bmargin %.1f"):format(rows + 5)
end

return layout
