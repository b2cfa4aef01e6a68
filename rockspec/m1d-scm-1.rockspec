-- m1d as a LuaRocks package, built from a checkout:
--   luarocks --lua-version 5.4 make rockspec/m1d-scm-1.rockspec [--tree DIR]
-- from the checkout's top (Debian's luarocks defaults to Lua 5.1, hence --lua-version);
-- then `eval "$(luarocks --lua-version 5.4 path [--tree DIR])"` and require "m1d".
-- Build type "make": the Makefile is the one build description.  It takes the Lua and
-- OpenBLAS flags from pkg-config, checks the Debian packages first (tools/deps.sh),
-- compiles with -ffp-contract=off (the generator must round like NumPy) and links
-- core.so once with -z defs; a "builtin" build would repeat all of that here and drift.
-- luarocks runs `make` with CC and CFLAGS (the Makefile keeps its own flags and adds
-- these), then `make install` into the rock's directories, which luarocks then deploys
-- into the tree: the module to share/lua/5.4/m1d and lib/lua/5.4/m1d/core.so, the m1d
-- program to bin/, and the frozen dataset to share/lua/5.4/m1d/mnist1d, where
-- m1d.mnist1d.frozen() looks (next to the module), so `luarocks remove m1d` takes it too.
rockspec_format = "3.0"
package = "m1d"
version = "scm-1"
source = {
   url = "git+file:///work/main",   -- `luarocks make` builds the current checkout instead
}
description = {
   summary = "Tensors on OpenBLAS, autodiff of any order, layers and optimizers for MNIST-1D",
   detailed = [[
A C runtime with a Lua 5.4 face for the experiments of Greydanus & Kobak, "Scaling down
deep learning with MNIST-1D": float32/float64 tensors on OpenBLAS, a bit-exact MNIST-1D
generator with the frozen dataset, reverse-mode autodiff with gradients of any order,
layers, losses, optimizers, gnuplot figures and the m1d REPL.  Needs (Debian) lua5.4
liblua5.4-dev libopenblas-dev libreadline-dev pkg-config gcc make; the experiments
also lua-cjson, lua-argparse and gnuplot-nox.]],
   license = "none stated for m1d itself; the vendored MNIST-1D data: Apache-2.0",
   labels = { "deep-learning", "autodiff", "tensor", "blas" },
}
dependencies = {
   "lua >= 5.4, < 5.5",
}
build = {
   type = "make",
   -- CFLAGS in both passes: `make install` depends on `all`, and a CFLAGS that differed
   -- from the build pass's would rebuild everything (build/flags records them)
   build_variables = {
      CFLAGS = "$(CFLAGS)",
   },
   install_variables = {
      CFLAGS = "$(CFLAGS)",
      PREFIX = "$(PREFIX)",
      BINDIR = "$(BINDIR)",
      LUADIR = "$(LUADIR)",
      LIBDIR = "$(LIBDIR)",
      DATADIR = "$(LUADIR)/m1d/mnist1d",
      INSTALL_NOTE = "no",   -- its paths would be the rock's, not the tree's
   },
}
