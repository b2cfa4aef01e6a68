#!/bin/sh
# tests/fuzz/run.sh BUILD_DIR SECONDS NAME... — run by `make fuzz`.
# For each libFuzzer target NAME: replay tests/fuzz/regressions/NAME/* and the seeds in
# tests/fuzz/corpus/NAME/ once, then fuzz for SECONDS with the working corpus in
# BUILD_DIR/corpus/NAME.  A crash, leak, timeout or sanitizer report is written to
# BUILD_DIR/findings/NAME/ and fails the run; copy it to tests/fuzz/regressions/NAME/
# once fixed.  Prints the executions of each target.
set -u
b=$1; secs=$2; shift 2
status=0
summary=""
for name in "$@"; do
  exe=$b/$name
  mkdir -p "$b/corpus/$name" "$b/findings/$name" "tests/fuzz/corpus/$name"
  log=$b/$name.log
  regs=$(ls -d tests/fuzz/regressions/$name/* 2>/dev/null)
  if [ -n "$regs" ]; then
    echo "fuzz: $name: replaying $(echo "$regs" | wc -l) regression input(s)"
    if ! "$exe" -runs=1 $regs > "$log" 2>&1; then
      cat "$log"; echo "fuzz: $name: a regression input fails again" >&2; status=1; continue
    fi
  fi
  echo "fuzz: $name: $secs s"
  ASAN_OPTIONS=detect_leaks=1 "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$b/findings/$name/" "$b/corpus/$name" "tests/fuzz/corpus/$name" > "$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  summary="$summary
  $name: ${runs:-?} executions in $secs s, corpus $(ls "$b/corpus/$name" | wc -l) inputs"
  if [ $rc -ne 0 ]; then
    tail -60 "$log"
    echo "fuzz: $name: FINDING (exit $rc), input saved in $b/findings/$name/" >&2
    status=1
  fi
done
echo "fuzz: summary:$summary"
[ $status -eq 0 ] && echo "fuzz: no findings"
exit $status
