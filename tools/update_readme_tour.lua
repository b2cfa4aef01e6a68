-- tools/update_readme_tour.lua — rewrite the README's API tour (between its markers) from
-- the reference, after entries or section intros change:  ./m1d tools/update_readme_tour.lua
-- (tests/lua/doc_test.lua fails while the README's copy is stale).
local doc = require "m1d.doc"
local path = (arg and arg[0] or ""):match("^(.*)/tools/[^/]*$") or "."
path = path .. "/README.md"
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local head, tail = text:match("^(.-<!%-%- api tour: generated[^\n]*\n).-\n(<!%-%- end of api tour %-%->.*)$")
if not head then error(path .. ": the API tour markers are missing", 0) end
local new = head .. doc.tour() .. "\n" .. tail
if new == text then print(path .. ": API tour already current") return end
f = assert(io.open(path, "wb"))
f:write(new)
f:close()
print(path .. ": API tour rewritten")
