-- fixtures.lua — a directory of PyTorch fixtures (tests/fixtures/<dir>/<case>/<name>.npy,
-- written by the scripts in tools/), for the tests that compare against them:
--   local fx = dofile("tests/lua/fixtures.lua")(T, DIR)
--   fx.load(case, name)  reads a fixture and records that it was read;
--   fx.check_all_used()  (at the end) fails unless every .npy under DIR was read, so that
--                        a fixture no test compares against cannot go unnoticed.
local m1d = require "m1d"

return function(T, dir)
  local used = {}          -- used[case][file] = true once loaded
  local fx = {}
  function fx.load(case, name)
    used[case] = used[case] or {}
    used[case][name .. ".npy"] = true
    return m1d.load_npy(dir .. case .. "/" .. name .. ".npy")
  end
  function fx.check_all_used()
    local missing = {}
    local p = io.popen("cd " .. dir .. " && ls */*.npy")
    for path in p:lines() do
      local case, file = path:match("^([^/]+)/(.+)$")
      if not (used[case] and used[case][file]) then missing[#missing + 1] = path end
    end
    p:close()
    T.is(table.concat(missing, " "), "", "every fixture file in " .. dir .. " is compared or used")
  end
  return fx
end
