#!/bin/sh
# openblas_coretype.sh — the OpenBLAS kernel family this CPU can run, for OPENBLAS_CORETYPE.
#
# Debian 12's OpenBLAS (0.3.21) picks its kernels from the CPU model at load time and
# falls back to the generic PRESCOTT (SSE3) sgemm on CPUs newer than it knows; on such a
# Xeon the AVX-512 kernels were 2.9x faster per lottery retrain (experiments/lottery.lua).
# This prints SkylakeX when the CPU has the AVX-512 subsets those kernels use, Haswell
# when it has AVX2 and FMA, and nothing otherwise (or off x86 Linux).  `make paper` uses
# it unless OPENBLAS_CORETYPE is already set; tests and CI never do.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null) || exit 0
has() { case " $flags " in *" $1 "*) return 0;; esac; return 1; }
if has avx512f && has avx512bw && has avx512dq && has avx512vl && has avx512cd; then
  echo SkylakeX
elif has avx2 && has fma; then
  echo Haswell
fi
