-- The reference: Plots (m1d.plot).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Plots (m1d.plot)", key = "plots",
  intro = "Figures are drawn by gnuplot (one process per figure, data sent inline, nothing " ..
          "written to temporary files). `:save(\"f.png\")` writes PNG, SVG, PDF or text by " ..
          "extension; `:show()` prints a text plot in the terminal. gnuplot's errors are " ..
          "raised as Lua errors.",
  entries = {
    {"m1d.plot", "m1d.plot",
     "Line plots, error bands, scatter plots, heatmaps, multi-panel figures."},
    {"m1d.plot.lines", "plot.lines{series..., title=, xlabel=, ylabel=, logx=, logy=, xrange=, yrange=, hlines=, vlines=, legend=, grid=, size=, file=} -> Figure",
     "A one-panel line plot. Series are tables `{x =, y =, name =, style = " ..
     "\"lines\"|\"points\"|\"linespoints\"|\"steps\", color =, width =, dash = true|\"-.\", marker " ..
     "= \"circle\"|\"square\"|..., band = {lo, hi} | err = e}` given positionally, in `series " ..
     "= {...}`, or as top-level x/y. Arrays may be Lua tables or tensors. `hlines = {{y = " ..
     "96, name = \"human\"}}`. `{records, x = 1, y = 3}` plots columns of a table of rows. " ..
     "`file =` saves at once."},
    {"m1d.plot.scatter", "plot.scatter{x =, y =, c =, name =, marker =, ...} -> Figure",
     "A one-panel scatter plot; `c` colours points through the palette."},
    {"m1d.plot.heatmap", "plot.heatmap{data =, palette = \"viridis\"|\"gray\"|\"bwr\"|\"hot\", cbrange = {lo, hi}, title =, ...} -> Figure",
     "A 2-D table or tensor as an image, row 1 at the top (e.g. a lottery-ticket mask)."},
    {"m1d.plot.figure", "plot.figure{layout = \"2x3\", size = {w, h}, title =, font =} -> Figure",
     "An empty figure; add panels with `fig:panel`, `fig:scatter`, `fig:heatmap`. Default " ..
     "size 800x500 for one panel, `plot.panel_size` (600x420) per panel otherwise."},
    {"m1d.plot.gnuplot_cmd", "plot.gnuplot_cmd = \"gnuplot\"",
     "The gnuplot program (a name or an argv table)."},
    {"m1d.plot.on_warning", "plot.on_warning = function(msg) ... end",
     "Receives gnuplot's warnings (default: print to stderr); nil to ignore them."},
    {"Figure:panel", "fig:panel{title =, series = {...}, at = i, ...} -> fig",
     "Add a line-plot panel (options as plot.lines) at the next or the given position."},
    {"Figure:scatter", "fig:scatter{...} -> fig",
     "Add a scatter panel."},
    {"Figure:heatmap", "fig:heatmap{data =, ...} -> fig",
     "Add a heatmap panel."},
    {"Figure:save", "fig:save(path [, {size = {w, h}}]) -> fig",
     "Write .png (pngcairo), .svg, .pdf (pdfcairo, 100 px per inch) or .txt; the file is " ..
     "complete when save returns. A missing directory in path is created (as `mkdir -p`). " ..
     "gnuplot errors raise an error and leave no file."},
    {"Figure:show", "fig:show([{width =, height =, color = false}]) -> fig",
     "Print the figure as a text plot (gnuplot's dumb terminal, $COLUMNS x $LINES or " ..
     "79x24)."},
    {"Figure:text", "fig:text([{width =, height =}]) -> string",
     "The text plot as a string."},
    {"Figure:script", "fig:script() -> string",
     "The gnuplot script of the last drawing."},
    {"Figure:close", "fig:close()",
     "End the figure's gnuplot process (also by `<close>` and the collector); drawing " ..
     "again reopens it."},
  },
}
