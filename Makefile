# m1d — build, test, install.  No configure step: libraries are found with pkg-config.
#
#   make            build the runtime, the Lua module build/lua/m1d/core.so and ./m1d
#   make deps       install missing Debian packages (as root) or print the apt-get line
#   make test       build and run every C and Lua test under prove (TAP)
#   make benchmark  the main job: the paper's model benchmark
#   make install PREFIX=/usr/local   (also DESTDIR=, BINDIR=, LUADIR=, LIBDIR=, DATADIR=)
#   make uninstall PREFIX=/usr/local the same variables: removes what install put there
#   make check-asan every test under AddressSanitizer + UBSan (build-asan/; not part of `make test`)
#   make valgrind   memcheck over the C tests and tests/valgrind/*.lua (needs valgrind)
#   make fuzz       libFuzzer targets in tests/fuzz/, FUZZ_SECONDS each (needs clang)
#   make check      check-asan, valgrind and fuzz

# ---------------------------------------------------------------- step 1: the packages
# The flags come from pkg-config, which knows a library only once its Debian package is
# installed; computed when make reads this file, they were empty on a fresh machine and
# the first build failed (or, worse, linked a core.so without OpenBLAS).  So `make GOALS`
# first checks the packages (tools/deps.sh --check: installs what is missing as root,
# otherwise prints the apt-get line and stops), then runs make again on the same goals
# with M1D_DEPS=checked.  That second make reads this file afresh, with the packages in
# place, and does the work (step 2 below).  Goals that need no package skip the check.
NO_DEPS_GOALS := clean deps env uninstall
GOALS_NEEDING_DEPS := $(filter-out $(NO_DEPS_GOALS),$(or $(MAKECMDGOALS),all))

ifneq ($(M1D_DEPS),checked)
.PHONY: deps-then-goals
deps-then-goals:
	@$(if $(GOALS_NEEDING_DEPS),sh tools/deps.sh --check,:)
	@$(MAKE) --no-print-directory M1D_DEPS=checked $(MAKECMDGOALS)
ifneq ($(MAKECMDGOALS),)
$(MAKECMDGOALS): deps-then-goals ; @:
endif
else
# ---------------------------------------------------------------- step 2: the work

PREFIX  ?= /usr/local
# Where install puts things.  luarocks (rockspec/) passes its own BINDIR, LUADIR and
# LIBDIR and DATADIR=$(LUADIR)/m1d/mnist1d: a rock's files must lie under the rock's
# lua/, lib/ and bin/ to be deployed into the tree (and removed by `luarocks remove`).
# The installed m1d program and mnist1d.lua find the library and the dataset relative
# to themselves (bin/../share/lua/5.4; share/lua/5.4/m1d/../../../m1d/mnist1d or
# share/lua/5.4/m1d/mnist1d), so other layouts need M1D_MNIST1D_DIR.
BINDIR  ?= $(PREFIX)/bin
LUADIR  ?= $(PREFIX)/share/lua/5.4
LIBDIR  ?= $(PREFIX)/lib/lua/5.4
DATADIR ?= $(PREFIX)/share/m1d/mnist1d
PKGS    := lua5.4 openblas
OPT     ?= -O2

# pkg-config must succeed for any goal that builds: an empty flag would compile or link
# something broken.  (Its own message on stderr names the missing .pc file.)
pkg_config = $(eval _pc := $(shell pkg-config $(1)))$(if $(filter 0,$(.SHELLSTATUS)),$(_pc),$(error pkg-config $(1) failed: install the packages with `make deps` (as root)))
ifneq ($(GOALS_NEEDING_DEPS),)
PKG_CFLAGS := $(call pkg_config,--cflags $(PKGS))
BLAS_LIBS  := $(call pkg_config,--libs openblas)
LUALIB     := $(call pkg_config,--libs lua5.4)
endif

# -ffp-contract=off: the MNIST-1D generator must round exactly like NumPy (no FMA fusion);
# never -ffast-math: gradient checks and anomaly detection rely on NaN/Inf semantics.
# override: a CFLAGS given on the command line (luarocks passes its own "-O2 -fPIC")
# replaces the optimisation flags only; without it, make would drop everything below.
CFLAGS  ?= $(OPT) -g
override CFLAGS += -std=c99 -fPIC -ffp-contract=off -D_POSIX_C_SOURCE=200809L \
           -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Isrc $(PKG_CFLAGS)
LDLIBS  := $(BLAS_LIBS) -lm -lpthread
LDFLAGS ?=

B        := build
EXE      := m1d
RT_SRC   := $(wildcard src/*.c)
BIND_SRC := $(filter-out src/bind/main.c,$(wildcard src/bind/*.c))
RT_OBJ   := $(RT_SRC:src/%.c=$(B)/obj/%.o)
BIND_OBJ := $(BIND_SRC:src/%.c=$(B)/obj/%.o)
HDRS     := $(wildcard src/*.h src/bind/*.h)
CTESTS   := $(patsubst tests/c/%.c,$(B)/tests/%,$(wildcard tests/c/test_*.c))
LUATESTS := $(wildcard tests/lua/*_test.lua)

.PHONY: all deps test benchmark bench bench-peer bench-peer-meta bench-peer-tsne bench-peer-ssl clean install uninstall env FORCE
all: $(B)/libm1d.a $(B)/lua/m1d/core.so $(EXE)

deps:
	@sh tools/deps.sh

# Everything is rebuilt when the compiler or a flag changes (a library that was missing
# is found now, another OPT, ...): $(B)/flags holds them and is rewritten only when they
# differ, so its time stamp says when they last changed.
FLAGS_TEXT := $(CC) $(CFLAGS) | $(LDFLAGS) | $(LDLIBS) | $(LUALIB)
$(B)/flags: FORCE
	@mkdir -p $(B)
	@echo '$(FLAGS_TEXT)' | cmp -s - $@ || echo '$(FLAGS_TEXT)' > $@

$(B)/obj/%.o: src/%.c $(HDRS) $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libm1d.a: $(RT_OBJ)
	@mkdir -p $(B)
	rm -f $@ && ar rcs $@ $^

# The Lua module: require "m1d" loads lua/m1d/init.lua, which loads this as "m1d.core".
# A Lua C module must not link liblua (the interpreter that loads it provides lua_*;
# Debian's lua5.4 has Lua built in, so a second copy would be loaded), so the linker
# cannot tell a lua_* symbol from a library missing from LDLIBS.  A first link with
# liblua and -z defs fails on any symbol that nothing provides; then the real link.
$(B)/lua/m1d/core.so: $(BIND_OBJ) $(B)/libm1d.a $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -Wl,-z,defs -o $@.check $(BIND_OBJ) $(B)/libm1d.a $(LUALIB) $(LDLIBS)
	@rm -f $@.check
	$(CC) -shared $(LDFLAGS) -o $@ $(BIND_OBJ) $(B)/libm1d.a $(LDLIBS)

# The m1d program: lua.c-like runner and REPL with the module linked in.
$(EXE): src/bind/main.c $(BIND_OBJ) $(B)/libm1d.a $(B)/flags
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BIND_OBJ) $(B)/libm1d.a $(LUALIB) -lreadline $(LDLIBS) -Wl,-E

$(B)/tests/%: tests/c/%.c tests/c/tap.h tests/c/slurp.h $(B)/libm1d.a $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/c -o $@ $< $(B)/libm1d.a $(LDLIBS)

# Every test prints TAP; prove gives the summary.  Lua tests run under stock lua5.4
# with the module found through LUA_PATH/LUA_CPATH, exactly as a user would load it.
test: all $(CTESTS)
	@. ./env.sh && prove $(PROVEFLAGS) --exec tests/run $(CTESTS) $(LUATESTS)

benchmark: all
	./m1d experiments/benchmark.lua

# Per-step times, lottery GFLOP/s vs raw sgemm, tiny-op cost, mallocs/step, peak RSS -> results/bench.json
bench: all
	./m1d experiments/bench.lua

# The same against PyTorch (Debian python3-torch), interleaved rounds, ratios m1d / PyTorch.
# Both run the same OpenBLAS kernels (OPENBLAS_CORETYPE: yours, else the family m1d picked).
# Debian's python3 (where python3-torch lives), not a pyenv/venv python3 earlier on PATH
PEER_PY ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
# PEER_ARGS: rounds and/or --only train|meta|baselines|pooling|extended|studies, e.g. make bench-peer PEER_ARGS="3 --only meta".
# studies: the lottery retrain, metalearn_lr (paper settings) and metalearn_afunc (3 outer x 61 inner
# steps) run as the study scripts on both sides, results/bench_peer_studies.json; with --quick shortened
bench-peer: all
	$(PEER_PY) experiments/peer/bench_peer.py $(PEER_ARGS)

# Only the unrolled meta-gradient steps (MLP, CNN, GRU; K = 30) against PyTorch
bench-peer-meta: all
	$(PEER_PY) experiments/peer/bench_peer.py --only meta $(PEER_ARGS)

# t-SNE of the 5,000 frozen signals: m1d.tsne against scikit-learn (python3-sklearn), 3 rounds
bench-peer-tsne: all
	$(PEER_PY) experiments/peer/tsne_peer.py $(PEER_ARGS)

# SimCLR's 200-epoch training (experiments/ssl.lua's projector variant) against PyTorch, 3 rounds
bench-peer-ssl: all
	$(PEER_PY) experiments/peer/ssl_peer.py $(PEER_ARGS)

env:
	@echo ". $(CURDIR)/env.sh"

# install copies the program, the module and the frozen dataset, then says how stock
# lua5.4 finds the module: nothing to do when LUADIR and LIBDIR are on lua5.4's default
# package.path/cpath (Debian: /usr/local/share/lua/5.4 and /usr/local/lib/lua/5.4),
# otherwise the LUA_PATH/LUA_CPATH lines to use.  The check asks lua5.4 itself.
# INSTALL_NOTE=no (luarocks): the rock's directories are not where the files end up.
INSTALL_LUA  := $(notdir $(wildcard lua/m1d/*.lua))
INSTALL_DOC  := $(notdir $(wildcard lua/m1d/doc/*.lua))
INSTALL_DATA := $(notdir $(wildcard vendor/mnist1d/*.npy)) LICENSE
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/m1d $(DESTDIR)$(LUADIR)/m1d/doc $(DESTDIR)$(DATADIR)
	install -m 755 m1d $(DESTDIR)$(BINDIR)/m1d
	install -m 755 $(B)/lua/m1d/core.so $(DESTDIR)$(LIBDIR)/m1d/core.so
	install -m 644 $(INSTALL_LUA:%=lua/m1d/%) $(DESTDIR)$(LUADIR)/m1d/
	install -m 644 $(INSTALL_DOC:%=lua/m1d/doc/%) $(DESTDIR)$(LUADIR)/m1d/doc/
	install -m 644 $(INSTALL_DATA:%=vendor/mnist1d/%) $(DESTDIR)$(DATADIR)/
	@$(if $(filter no,$(INSTALL_NOTE)),:,sh tools/install-note.sh "$(LUADIR)" "$(LIBDIR)" "$(BINDIR)" "$(DESTDIR)")

# uninstall removes the files install writes (the lists above, so run it from a
# checkout of the version that was installed), then the m1d directories if empty.
# Shared directories (bin, share/lua/5.4, lib/lua/5.4) stay: other packages use them.
# A file install did not write (another version's) is left, and named.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/m1d $(DESTDIR)$(LIBDIR)/m1d/core.so
	rm -f $(INSTALL_LUA:%=$(DESTDIR)$(LUADIR)/m1d/%) $(INSTALL_DOC:%=$(DESTDIR)$(LUADIR)/m1d/doc/%)
	rm -f $(INSTALL_DATA:%=$(DESTDIR)$(DATADIR)/%)
	@for d in $(DESTDIR)$(DATADIR) $(dir $(DESTDIR)$(DATADIR)) $(DESTDIR)$(LUADIR)/m1d/doc $(DESTDIR)$(LUADIR)/m1d $(DESTDIR)$(LIBDIR)/m1d; do \
	  case "$$d" in */m1d|*/m1d/|*/m1d/*) ;; *) continue;; esac; \
	  [ -d "$$d" ] || continue; \
	  rmdir "$$d" 2>/dev/null || echo "make uninstall: left $$d (files install did not write: $$(ls -A "$$d" | tr '\n' ' '))"; \
	done

clean:
	rm -rf $(B) m1d

# ---------------------------------------------------------------- reliability checks
# None of these is part of `make test`.  Each builds into its own directory, so build/
# and ./m1d are left alone.

# check-asan: the runtime, core.so, m1d and the C tests built with ASan + UBSan into
# build-asan/, then every test.  Lua tests run through build-asan/m1d (the module linked
# in, so stock lua5.4 needs no LD_PRELOAD of libasan) and the tests that start ./m1d
# start build-asan/m1d (M1D_BIN).  build-asan/ mirrors a checkout (links to lua/m1d/*.lua
# and vendor/), so the program finds its library as ./m1d does.  Leak suppressions for
# uninstrumented libraries: tests/sanitizers.supp.  A 32 MB quarantine (ASan's default
# is 256 MB) keeps the GC-bounded-memory test's 200 MB limit meaningful; an allocation
# that cannot be satisfied returns NULL (and becomes a Lua error) as it does without ASan.
# float-cast-overflow: double -> int64 conversions must stay in range (m1d_d2i).
# The tensor pool is off under ASan (src/pool.c).  A subset: make check-asan ASAN_TESTS=...
SAN      := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_B   := build-asan
ASAN_TESTS = $(CTESTS:$(B)/%=$(ASAN_B)/%) $(LUATESTS)
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=32:allocator_may_return_null=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1 \
            LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers.supp:print_suppressions=0 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 OPENBLAS_NUM_THREADS=1

check-asan:
	@$(MAKE) --no-print-directory B=$(ASAN_B) EXE=$(ASAN_B)/m1d OPT="-O1 $(SAN)" LDFLAGS="$(SAN)" \
	  $(ASAN_B)/libm1d.a $(ASAN_B)/lua/m1d/core.so $(ASAN_B)/m1d $(CTESTS:$(B)/%=$(ASAN_B)/%)
	@for f in lua/m1d/*.lua; do ln -sfn $(CURDIR)/$$f $(ASAN_B)/lua/m1d/; done; ln -sfn $(CURDIR)/lua/m1d/doc $(ASAN_B)/lua/m1d/; ln -sfn $(CURDIR)/vendor $(ASAN_B)/
	@. ./env.sh && env $(ASAN_ENV) M1D_LUA=$(ASAN_B)/m1d M1D_BIN=$(ASAN_B)/m1d \
	  prove $(PROVEFLAGS) --exec tests/run $(ASAN_TESTS)

# The sanitizer run CI makes: every test but the long ones (experiments, seeds, extended_models, any_cwd, load,
# metalearn: most of check-asan's time) and build_test, install_test and luarocks_test
# (they build or install with the normal flags), about 20 s after the build.
ASAN_CI_SKIP  := experiments seeds extended_models any_cwd load metalearn build install luarocks
ASAN_CI_TESTS = $(CTESTS:$(B)/%=$(ASAN_B)/%) \
  $(filter-out $(ASAN_CI_SKIP:%=tests/lua/%_test.lua),$(LUATESTS))
check-asan-ci:
	@$(MAKE) --no-print-directory check-asan ASAN_TESTS="$(ASAN_CI_TESTS)"

# valgrind: memcheck over the C tests, the Lua scripts in tests/valgrind/ (tensor ops,
# autograd with create_graph, Lua errors unwinding through C, the .npy loader) and the
# bad-input test (every error path; both close the Lua state at exit), with the
# normal build and the tensor pool off (M1D_POOL=0).  Any invalid access or definite leak
# fails.
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite \
            --errors-for-leak-kinds=definite --suppressions=$(CURDIR)/tests/valgrind/m1d.supp
VGTESTS  := $(wildcard tests/valgrind/*.lua) tests/lua/bad_input_test.lua

valgrind: all $(CTESTS)
	@command -v valgrind >/dev/null || { echo "make valgrind: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
	@. ./env.sh && env OPENBLAS_NUM_THREADS=1 M1D_POOL=0 M1D_VALGRIND="$(VALGRIND)" \
	  prove $(PROVEFLAGS) --exec tests/valgrind/run $(CTESTS) $(VGTESTS)

# fuzz: libFuzzer targets tests/fuzz/fuzz_<name>.c, built with clang into build-fuzz/.
# First the checked-in regressions (tests/fuzz/regressions/<name>/) and seeds
# (tests/fuzz/corpus/<name>/) run once, then each target fuzzes for FUZZ_SECONDS.
# New corpus entries stay in build-fuzz/corpus/; a finding is written to
# build-fuzz/findings/<name>/ and fails the target.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_B       := build-fuzz
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS  := -g -O1 -std=c99 -ffp-contract=off -D_POSIX_C_SOURCE=200809L -Isrc \
                $(PKG_CFLAGS) -fno-sanitize-recover=all
FUZZ_SAN     := -fsanitize=address,undefined
FUZZ_OBJ     := $(RT_SRC:src/%.c=$(FUZZ_B)/obj/%.o)

fuzz-tools:
	@sh tools/fuzz-deps.sh $(FUZZ_CC)

$(FUZZ_B)/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_B)/%: tests/fuzz/%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LDLIBS)

.SECONDARY: $(FUZZ_OBJ)
fuzz: fuzz-tools
	@$(MAKE) --no-print-directory $(FUZZ_NAMES:%=$(FUZZ_B)/%)
	@sh tests/fuzz/run.sh $(FUZZ_B) $(FUZZ_SECONDS) $(FUZZ_NAMES)

check: check-asan valgrind fuzz

.PHONY: check-asan check-asan-ci valgrind fuzz fuzz-tools check

# ---------------------------------------------------------------- paper-scale experiments
# make paper: the seven science studies at paper scale.  Each script lists its runs
# (--list-commands); GNU parallel runs them, JOBS at a time (default: one per core), each
# process with single-threaded OpenBLAS; stage 2 (the lottery ablations, which read the
# tickets of stage 1) after stage 1; then every study merges its run files into
# results/<name>.json and results/<name>.png.  A rerun skips finished runs (resume).
# PAPER selects studies, longest first: make paper PAPER="pooling spatial_priors".
# SEEDS=N runs every study with --seeds N (claims decided on the seed means, figures with
# bands); unset, each study keeps its own default (the lottery 2, the others 1).
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
PAPER    ?= lottery double_descent pooling metalearn_afunc double_descent_mse spatial_priors metalearn_lr
PARALLEL := OPENBLAS_NUM_THREADS=1 parallel -j $(JOBS) --joblog +results/paper_joblog.txt
PAPER_SEEDS = $(if $(SEEDS),--seeds $(SEEDS))

paper-deps:
	@command -v parallel >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then echo "m1d: installing GNU parallel"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq parallel || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq parallel; }; \
	  else echo "make paper: needs GNU parallel; run as root:  apt-get install parallel" >&2; exit 1; fi; }

paper: all paper-deps
	@mkdir -p results
	for s in 1 2; do \
	  for e in $(PAPER); do ./m1d experiments/$$e.lua $(PAPER_SEEDS) --list-commands --stage $$s || exit 1; done | $(PARALLEL) || exit 1; \
	done
	for e in $(PAPER); do ./m1d experiments/$$e.lua $(PAPER_SEEDS) --merge || exit 1; done

.PHONY: paper paper-deps

# A recipe that fails leaves no half-made target behind (a core.so linked without
# its libraries must never survive to the next make).
.DELETE_ON_ERROR:

endif  # step 2
