-- The reference: Plots (m1d.plot).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Plots (m1d.plot)", key = "plots",
  intro = "Figures are drawn by gnuplot (Debian's gnuplot-nox; one process per figure, the data " ..
          "sent inline, nothing written to temporary files): `plot.lines`, `plot.scatter` and " ..
          "`plot.heatmap` make one-panel figures, `plot.figure{layout = \"2x3\"}` an empty " ..
          "multi-panel one. Data may be Lua arrays or tensors and is copied when a panel is added. " ..
          "`fig:save(\"f.png\")` writes PNG, SVG, PDF or text by extension, `fig:show()` prints a " ..
          "text plot; gnuplot's errors are raised as Lua errors.",
  entries = {
    {"m1d.plot", "m1d.plot",
     "Line plots with error bands, scatter plots, heatmaps, multi-panel figures. Settings " ..
     "(plain fields): gnuplot_cmd, on_warning, timeout_ms, colors, panel_size, single_size. " ..
     "Options are checked: an unknown key raises an error listing the known ones.",
     ex = [[print(m1d.plot.lines{y = {1, 4, 9}, title = "squares"})]],
     out = "m1d.plot.Figure, 1 panel: squares"},
    {"m1d.plot.lines",
     "plot.lines{series..., title=, xlabel=, ylabel=, y2label=, logx=, logy=, xrange=, yrange=, " ..
     "hlines=, vlines=, labels=, legend=, grid=, extra=, size=, font=, file=} -> Figure",
     "A one-panel line plot. Series are tables `{x =, y =, name =, style = " ..
     "\"lines\"|\"points\"|\"linespoints\"|\"steps\"|\"impulses\"|\"boxes\", color =, width =, " ..
     "dash = true|number|\"-.\", marker = \"circle\"|\"square\"|\"triangle\"|...|number, marker_size =, " ..
     "axes = \"x1y2\", band = {lo, hi} | err = e, c =}` given positionally, in `series = {...}`, " ..
     "or as top-level x/y; a bare array is y; x defaults to 1..#y. Arrays may be Lua tables or " ..
     "tensors (also [n,1]/[1,n]); lengths must agree. NaN/inf make gaps. `{records, x = 1, y = " ..
     "3}` plots columns of a table of rows. `hlines = {96, {y = 50, name = \"chance\"}}`, " ..
     "`vlines` alike with x, `labels = {{x =, y =, text =}}`, `legend = false` or a gnuplot key " ..
     "position (default: the first inside corner, top right, top left, bottom right, bottom " ..
     "left, that no point, line, band or reference line reaches, else below the plot, so the " ..
     "legend never covers data), `logx = true|base`, ranges `{min, max}` (nil = auto), `extra` = gnuplot " ..
     "commands, `size = {w, h}` pixels, `font = \"Sans,14\"` (default: sized so that text " ..
     "prints at 5 pt or more when the figure is printed one column wide, 3.3 in, or a page " ..
     "wide, 7 in, for three or more panel columns: 12 pt up to ~770 px, 20 pt at 1300 px; " ..
     "line widths grow alike), `file =` saves at once. Nothing is drawn until save, " ..
     "show or text.",
     ex = [[local fig = m1d.plot.lines{{x = {1, 2, 3}, y = {3, 2, 1}, name = "loss", err = {0.1, 0.1, 0.1}},
                              {y = {1, 2, 3}, dash = true}, hlines = {2}, title = "demo"}
print(fig)]],
     out = "m1d.plot.Figure, 1 panel: demo"},
    {"m1d.plot.scatter", "plot.scatter{x =, y =, c =, name =, marker =, marker_size =, palette =, cbrange =, colorbox =, ...} -> Figure",
     "A one-panel scatter plot: as plot.lines with points as the default style; `c` (one value " ..
     "per point) colours the points through the palette (\"viridis\" default, \"gray\", " ..
     "\"bwr\"/\"diverging\", \"hot\", or a gnuplot palette spec).",
     ex = [[local fig = m1d.plot.scatter{x = m1d.randn(50), y = m1d.randn(50), c = m1d.rand(50)}
print(fig)]],
     out = "m1d.plot.Figure, 1 panel"},
    {"m1d.plot.heatmap", "plot.heatmap{data =, palette = \"viridis\", cbrange = {lo, hi}, colorbox =, title =, xlabel =, ylabel =, extra =, size =, file =} -> Figure",
     "A 2-D table (rows of numbers, all rows the same length) or 2-D tensor as an image, row 1 " ..
     "at the top and column 1 at the left like a matrix (e.g. a lottery-ticket mask). In a " ..
     "text plot each cell is one shade character from \" .:-=+*#%@\".",
     ex = [[local fig = m1d.plot.heatmap{data = m1d.tensor{{1, 2}, {3, 4}}, palette = "gray", cbrange = {0, 4}}
print(fig, fig:pixel_size())]],
     out = "m1d.plot.Figure, 1 panel\t800\t500"},
    {"m1d.plot.figure", "plot.figure([{layout = \"RxC\" | {r, c}, size = {w, h}, title =, font = \"Sans,11\", enhanced = false}]) -> Figure",
     "An empty figure; add panels with fig:panel, fig:scatter, fig:heatmap (at the next free " ..
     "position, or `at = i`, row by row). Size defaults to plot.single_size (800x500) for one " ..
     "panel, plot.panel_size (600x420) per panel otherwise. `title` is the figure's title " ..
     "(over all panels); `enhanced` turns on gnuplot's enhanced text (^{sup}, _{sub}).",
     ex = [[local fig = m1d.plot.figure{layout = "1x3", title = "three"}
print(fig, fig:pixel_size())]],
     out = "m1d.plot.Figure 1x3, 0 panels: three\t1800\t420"},
    {"m1d.plot.totable", "plot.totable(v) -> table",
     "A tensor (anything with :totable()) as nested Lua tables; a plain table is returned as " ..
     "it is. What the plot functions do with their data.",
     ex = [[print(table.concat(m1d.plot.totable(m1d.tensor{1, 2}), ","))]],
     out = "1.0,2.0"},
    {"m1d.plot.gnuplot_cmd", "plot.gnuplot_cmd = \"gnuplot\"",
     "The gnuplot program: a name (PATH is searched) or an argv table. Read when a figure " ..
     "starts its process; a program that cannot run raises an error suggesting the package.",
     ex = [[print(m1d.plot.gnuplot_cmd)]],
     out = "gnuplot"},
    {"m1d.plot.on_warning", "plot.on_warning = function(msg) ... end",
     "Receives gnuplot's warnings after each drawing (default: write them to stderr); set it " ..
     "to nil to ignore them. Errors are raised instead.",
     ex = [[local old = m1d.plot.on_warning
m1d.plot.on_warning = nil      -- ignore warnings
m1d.plot.on_warning = old
print(type(old))]],
     out = "function"},
    {"m1d.plot.panel_size", "plot.panel_size = {600, 420}; plot.single_size = {800, 500}; plot.colors = {...}; plot.timeout_ms = 60000",
     "Settings: the default pixel size per panel of a multi-panel figure and of a one-panel " ..
     "figure; the series colours in order (matplotlib's tab10); how long one drawing may take " ..
     "before gnuplot is killed and an error raised.",
     also = {"m1d.plot.single_size", "m1d.plot.colors", "m1d.plot.timeout_ms"},
     ex = [[print(m1d.plot.panel_size[1], m1d.plot.single_size[2], #m1d.plot.colors, m1d.plot.timeout_ms)]],
     out = "600\t500\t10\t60000"},
    {"m1d.plot.Figure", "fig = plot.figure{...} | plot.lines{...} | plot.scatter{...} | plot.heatmap{...}",
     "A figure: panels (kept as copies of their data), a layout, a size, and a gnuplot process " ..
     "started on the first drawing. Panel-adding methods return the figure, so calls chain. " ..
     "`local fig <close> = ...` ends the process at the end of the scope. `help(fig)` lists the " ..
     "methods.",
     also = {"Figure"},
     ex = [[local fig = m1d.plot.figure{layout = "1x2"}
fig:panel{y = {1, 2, 3}, title = "a"}:heatmap{data = {{1, 0}, {0, 1}}}
print(fig)]],
     out = "m1d.plot.Figure 1x2, 2 panels: a"},
    {"Figure:panel", "fig:panel{title =, series = {...}, at = i, ...} -> fig",
     "Add a line-plot panel (options as plot.lines, without size/file) at the next free " ..
     "position or at `at`; a position outside the layout raises an error (a figure without a " ..
     "layout has one slot).",
     ex = [[local fig = m1d.plot.figure{layout = "2x2"}
fig:panel{y = {1, 2}, at = 4}
print(fig, (pcall(fig.panel, fig, {y = {1}, at = 5})))]],
     out = "m1d.plot.Figure 2x2, 1 panel\tfalse"},
    {"Figure:scatter", "fig:scatter{x =, y =, c =, ...} -> fig",
     "Add a scatter panel (options as plot.scatter).",
     ex = [[print(m1d.plot.figure{layout = "1x2"}:scatter{x = {1, 2}, y = {2, 1}}:scatter{y = {5, 6}})]],
     out = "m1d.plot.Figure 1x2, 2 panels"},
    {"Figure:heatmap", "fig:heatmap{data =, palette =, cbrange =, ...} -> fig",
     "Add a heatmap panel (options as plot.heatmap).",
     ex = [[print(m1d.plot.figure{}:heatmap{data = {{1, 0}, {0, 1}}, title = "mask"})]],
     out = "m1d.plot.Figure, 1 panel: mask"},
    {"Figure:save", "fig:save(path [, {size = {w, h}, pdf = true}]) -> fig",
     "Draw into a file whose format follows the extension: .png (pngcairo), .svg, .pdf " ..
     "(pdfcairo, 100 px per inch) or .txt (the text plot); another extension raises an error. " ..
     "`pdf = true` also writes the vector PDF beside it (the experiments' figures do). " ..
     "The file is complete when save returns; a missing directory in path is created (as " ..
     "`mkdir -p`). gnuplot errors raise an error and leave no file. A figure without panels " ..
     "raises an error. (For .txt, size is ignored: the text plot takes {width =, height =}.)",
     ex = [[local base = os.tmpname()
local path = base .. ".d/fig.png"
m1d.plot.lines{y = {1, 4, 9}}:save(path, {size = {400, 300}})
local f = io.open(path, "rb"); print(f:read(4):sub(2)); f:close()
os.remove(path); os.remove(base .. ".d"); os.remove(base)]],
     out = "PNG"},
    {"Figure:show", "fig:show([{width =, height =, color = false}]) -> fig",
     "Write fig:text(opts) to stdout (gnuplot's dumb terminal, $COLUMNS x $LINES or 79x24 per " ..
     "row of panels; `color = true` uses ANSI colours). The example captures the same text " ..
     "with fig:text, since show writes to the real stdout.",
     ex = [[local fig = m1d.plot.lines{y = {1, 2, 3}}
local text = fig:text{width = 40, height = 12}   -- what fig:show{width = 40, height = 12} prints
print(#text > 0)
fig:close()]],
     out = "true"},
    {"Figure:text", "fig:text([{width =, height =, color = false}]) -> string",
     "The text plot as a string (ending in a newline, trailing blank lines removed).",
     ex = [[local fig = m1d.plot.heatmap{data = {{0, 1}, {1, 0}}}
print(fig:text{width = 20, height = 8}:find("@", 1, true) ~= nil)
fig:close()]],
     out = "true"},
    {"Figure:script", "fig:script() -> string | nil",
     "The gnuplot script of the last drawing (nil before the first), to debug or reuse by hand.",
     ex = [[local fig = m1d.plot.lines{y = {1, 2}}
fig:text{width = 30, height = 8}
print(fig:script():match("^[^\n]*"))
fig:close()]],
     out = "set term dumb size 30,8 noenhanced"},
    {"Figure:pixel_size", "fig:pixel_size() -> w, h",
     "The size save uses without {size =}: the figure's `size`, else plot.single_size for a " ..
     "one-panel figure, else plot.panel_size times the layout's columns and rows.",
     ex = [[print(m1d.plot.figure{layout = "2x3"}:pixel_size())]],
     out = "1800\t840"},
    {"Figure:close", "fig:close()",
     "End the figure's gnuplot process (also done by `<close>` and the garbage collector); " ..
     "drawing again starts a new one. Idempotent.",
     ex = [[local fig = m1d.plot.lines{y = {1, 2}}
fig:text{width = 30, height = 8}
fig:close(); fig:close()
print(fig.proc)]],
     out = "nil"},
  },
}
