# m1d — build, test, install.  No configure step: libraries are found with pkg-config.
#
#   make            build the runtime, the Lua module build/lua/m1d/core.so and ./m1d
#   make deps       install missing Debian packages (as root) or print the apt-get line
#   make test       build and run every C and Lua test under prove (TAP)
#   make benchmark  the main job: the paper's model benchmark
#   make install PREFIX=/usr/local

PREFIX  ?= /usr/local
CC      ?= gcc
PKGS    := lua5.4 openblas
OPT     ?= -O2
# -ffp-contract=off: the MNIST-1D generator must round exactly like NumPy (no FMA fusion);
# never -ffast-math: gradient checks and anomaly detection rely on NaN/Inf semantics.
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c99 -fPIC -ffp-contract=off -D_POSIX_C_SOURCE=200809L \
           -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs openblas 2>/dev/null) -lm -lpthread
LUALIB  := $(shell pkg-config --libs lua5.4 2>/dev/null)

B        := build
RT_SRC   := $(wildcard src/*.c)
BIND_SRC := $(filter-out src/bind/main.c,$(wildcard src/bind/*.c))
RT_OBJ   := $(RT_SRC:src/%.c=$(B)/obj/%.o)
BIND_OBJ := $(BIND_SRC:src/%.c=$(B)/obj/%.o)
HDRS     := $(wildcard src/*.h src/bind/*.h)
CTESTS   := $(patsubst tests/c/%.c,$(B)/tests/%,$(wildcard tests/c/test_*.c))
LUATESTS := $(wildcard tests/lua/*_test.lua)

.PHONY: all deps test check-deps benchmark bench bench-peer clean install env
all: check-deps $(B)/libm1d.a $(B)/lua/m1d/core.so m1d

check-deps:
	@sh tools/deps.sh --check

deps:
	@sh tools/deps.sh

$(B)/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libm1d.a: $(RT_OBJ)
	@mkdir -p $(B)
	rm -f $@ && ar rcs $@ $^

# The Lua module: require "m1d" loads lua/m1d/init.lua, which loads this as "m1d.core".
$(B)/lua/m1d/core.so: $(BIND_OBJ) $(B)/libm1d.a
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ $(BIND_OBJ) $(B)/libm1d.a $(LDLIBS)

# The m1d program: lua.c-like runner and REPL with the module linked in.
m1d: src/bind/main.c $(BIND_OBJ) $(B)/libm1d.a
	$(CC) $(CFLAGS) -o $@ $< $(BIND_OBJ) $(B)/libm1d.a $(LUALIB) -lreadline $(LDLIBS) -Wl,-E

$(B)/tests/%: tests/c/%.c tests/c/tap.h $(B)/libm1d.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/c -o $@ $< $(B)/libm1d.a $(LDLIBS)

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
# Set OPENBLAS_CORETYPE for both sides at once if OpenBLAS misdetects the CPU.
# Debian's python3 (where python3-torch lives), not a pyenv/venv python3 earlier on PATH
PEER_PY ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
bench-peer: all
	$(PEER_PY) experiments/peer/bench_peer.py

env:
	@echo ". $(CURDIR)/env.sh"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/lua/5.4/m1d $(DESTDIR)$(PREFIX)/share/lua/5.4/m1d
	install -m 755 m1d $(DESTDIR)$(PREFIX)/bin/m1d
	install -m 755 $(B)/lua/m1d/core.so $(DESTDIR)$(PREFIX)/lib/lua/5.4/m1d/core.so
	install -m 644 lua/m1d/*.lua $(DESTDIR)$(PREFIX)/share/lua/5.4/m1d/

clean:
	rm -rf $(B) m1d
