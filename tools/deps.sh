#!/bin/sh
# Install the Debian packages m1d needs, or say exactly what to run.
#   tools/deps.sh          install what is missing (as root), else print the apt-get line
#   tools/deps.sh --check  only check; when something is missing, install it if root,
#                          otherwise fail with the apt-get line (used by `make`)
# Why each package: lua5.4/liblua5.4-dev (the language and its headers), libopenblas-dev
# (sgemm/dgemm), gnuplot-nox (figures), libreadline-dev (REPL line editing and history),
# lua-cjson (results files as JSON), lua-argparse (experiment command lines and --help), perl (prove, the test harness),
# pkg-config (finding the above), make/gcc (building), python3-numpy (tests read nothing
# from it; only tools/ and the peer comparison use it, so it is not required).
PKGS="lua5.4 liblua5.4-dev libopenblas-dev gnuplot-nox libreadline-dev lua-cjson lua-argparse pkg-config gcc make perl"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
line="apt-get install -y$missing"
if [ "$(id -u)" = 0 ]; then
  echo "m1d: installing missing packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq $missing || { echo "m1d: failed: $line" >&2; exit 1; }
else
  echo "m1d: missing Debian packages:$missing" >&2
  echo "m1d: run as root:  apt-get update && $line" >&2
  exit 1
fi
