# Source this to use m1d from stock lua5.4 without installing:  . ./env.sh
# (works from any directory; the paths point into this checkout)
_m1d_root=$(cd "$(dirname "${BASH_SOURCE:-$0}")" 2>/dev/null && pwd)
[ -f "$_m1d_root/lua/m1d/init.lua" ] || _m1d_root=$(pwd)
export LUA_PATH="$_m1d_root/lua/?.lua;$_m1d_root/lua/?/init.lua;;"
export LUA_CPATH="$_m1d_root/build/lua/?.so;;"
unset _m1d_root
