#!/bin/sh
# Check that $1 (default clang) can build libFuzzer targets; install clang and
# libclang-rt-14-dev when run as root, otherwise say exactly what to run.
cc=${1:-clang}
probe() {
  tmp=$(mktemp -d) || return 1
  printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$tmp/p.c"
  "$cc" -fsanitize=fuzzer,address,undefined -o "$tmp/p" "$tmp/p.c" >/dev/null 2>&1
  rc=$?
  rm -rf "$tmp"
  return $rc
}
probe && exit 0
pkgs="clang libclang-rt-14-dev"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "make fuzz: installing $pkgs (libFuzzer)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq $pkgs >/dev/null || { echo "make fuzz: apt-get install $pkgs failed" >&2; exit 1; }
  probe && exit 0
fi
echo "make fuzz: '$cc -fsanitize=fuzzer' does not work: libFuzzer comes with clang" >&2
echo "make fuzz: run as root:  apt-get update && apt-get install -y $pkgs" >&2
echo "make fuzz: (or FUZZ_CC=clang-NN for another installed version)" >&2
exit 1
