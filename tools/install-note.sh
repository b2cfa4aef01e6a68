#!/bin/sh
# After `make install`: tell how stock lua5.4 finds the module just installed.
#   tools/install-note.sh LUADIR LIBDIR BINDIR [DESTDIR]
# lua5.4 itself is asked whether LUADIR/?.lua and LIBDIR/?.so are on its default
# package.path and package.cpath (Debian's lua5.4 has /usr/local/share/lua/5.4 and
# /usr/local/lib/lua/5.4, so PREFIX=/usr/local needs nothing); LUA_PATH/LUA_CPATH are
# ignored for the question, since they are what the user would have to set.
luadir=$1 libdir=$2 bindir=$3 destdir=$4
on_default=$(env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 lua5.4 -e "
  local function has(list, entry) return (';' .. list .. ';'):find(';' .. entry .. ';', 1, true) ~= nil end
  print(has(package.path, '$luadir/?.lua') and has(package.path, '$luadir/?/init.lua')
        and has(package.cpath, '$libdir/?.so') and 'yes' or 'no')" 2>/dev/null)
echo
[ -n "$destdir" ] && echo "m1d: staged under DESTDIR=$destdir; the paths below are where it will live."
echo "m1d: installed $bindir/m1d (finds its library by itself), the Lua module in $luadir and $libdir"
if [ "$on_default" = yes ]; then
  echo "m1d: lua5.4 finds it with no settings (both directories are on its default package.path/cpath)."
else
  echo "m1d: for stock lua5.4 to find it (require \"m1d\"), set:"
  echo "  export LUA_PATH=\"$luadir/?.lua;$luadir/?/init.lua;;\""
  echo "  export LUA_CPATH=\"$libdir/?.so;;\""
  case ":$PATH:" in *":$bindir:"*) ;; *) echo "  export PATH=\"$bindir:\$PATH\"   # for the m1d program";; esac
fi
