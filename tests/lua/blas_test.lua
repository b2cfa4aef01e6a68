-- blas_test.lua — the OpenBLAS kernel family m1d runs on (src/blas_kernels.c): a user's
-- OPENBLAS_CORETYPE is kept, m1d only ever replaces the generic fallback with a family this
-- CPU supports, and GEMMs on the chosen kernels agree with a plain triple loop.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"

local info = m1d.blas_info()
T.diag(("OpenBLAS core %s, chosen by %s, %d thread(s)"):format(info.core, info.chosen_by, info.threads))
T.ok(type(info.core) == "string" and #info.core > 0, "blas_info names the kernel family")
T.ok(info.chosen_by == "openblas" or info.chosen_by == "user" or info.chosen_by == "m1d",
     "blas_info says who chose it: " .. tostring(info.chosen_by))
T.is(math.type(info.threads), "integer", "blas_info gives the thread count")

local flags = ""
local f = io.open("/proc/cpuinfo")
if f then flags = " " .. ((f:read("a"):match("\nflags%s*:%s*([^\n]*)")) or "") .. " "; f:close() end
local function has(flag) return flags:find(" " .. flag .. " ", 1, true) ~= nil end

if info.chosen_by == "m1d" then
  -- m1d replaced OpenBLAS's generic fallback: only with a family the CPU has the instructions for
  local want = (has("avx512f") and has("avx512bw") and has("avx512dq") and has("avx512vl") and has("avx512cd"))
               and "SkylakeX" or "Haswell"
  T.is(info.core, want, "m1d picked the best family this CPU runs")
end

-- A user's OPENBLAS_CORETYPE wins (run in a child: OpenBLAS reads it when it loads).
local lua = arg and arg[-1] or "lua5.4"
local function child_core(coretype)
  local p = io.popen(("OPENBLAS_CORETYPE=%s %s -e 'local i = require(\"m1d\").blas_info(); io.write(i.core, \" \", i.chosen_by)'")
                     :format(coretype, lua))
  local out = p:read("a"); p:close()
  return out
end
T.is(child_core("Prescott"), "Prescott user", "OPENBLAS_CORETYPE=Prescott is kept, even where m1d would switch")
if has("avx2") and has("fma") then
  T.is(child_core("Haswell"), "Haswell user", "OPENBLAS_CORETYPE=Haswell is kept")
end

-- GEMMs on the chosen kernels: odd shapes (not multiples of any kernel's block), both
-- transposes through the matmul backward, float32 and float64, against a triple loop.
m1d.manual_seed(7)
for _, dtype in ipairs({"float32", "float64"}) do
  for _, s in ipairs({{1, 1, 1}, {37, 53, 29}, {100, 500, 40}, {3, 129, 65}}) do
    local M, K, N = s[1], s[2], s[3]
    local function rand(r, c)
      local t = m1d.randn(r, c)
      return (dtype == "float32" and t:float() or t:double()):requires_grad()
    end
    local a, b = rand(M, K), rand(K, N)
    local c = a:matmul(b)
    c:sum():backward()
    local A, B, C = a:detach():totable(), b:detach():totable(), c:detach():totable()
    local worst = 0
    for i = 1, M do
      for j = 1, N do
        local acc = 0
        for k = 1, K do acc = acc + A[i][k] * B[k][j] end
        worst = math.max(worst, math.abs(acc - C[i][j]) / (1 + math.abs(acc)))
      end
    end
    -- d(sum C)/dA[i][k] = sum_j B[k][j]: exercises the transposed GEMM of the backward
    local GA, gworst = a.grad:totable(), 0
    for i = 1, M do
      for k = 1, K do
        local acc = 0
        for j = 1, N do acc = acc + B[k][j] end
        gworst = math.max(gworst, math.abs(acc - GA[i][k]) / (1 + math.abs(acc)))
      end
    end
    local tol = dtype == "float32" and 1e-5 * math.sqrt(K + N) or 1e-13 * (K + N)
    T.ok(worst <= tol and gworst <= tol, ("%s matmul %dx%d @ %dx%d and its gradient match a triple loop"):format(
      dtype, M, K, K, N), ("relative error %g (forward), %g (gradient), tol %g"):format(worst, gworst, tol))
  end
end

-- At 1 thread m1d stops the worker OpenBLAS's pthreads build starts when it loads (it spun
-- on sched_yield for ~0.1 s of system time per process); set_num_threads(2) brings workers
-- back with the same results.  Run in a child: the state at load is what is checked.
do
  local script = [[
    local m1d = require "m1d"
    local function threads()
      for l in io.lines("/proc/self/status") do local n = l:match("^Threads:%s*(%d+)"); if n then return tonumber(n) end end
    end
    local pthread = false
    for l in io.lines("/proc/self/maps") do if l:find("openblas-pthread", 1, true) then pthread = true end end
    local t1 = threads()
    local a = m1d.rand({300, 300})
    local c1 = a:matmul(a)
    m1d.set_num_threads(2)
    local c2 = a:matmul(a)
    io.write(tostring(pthread), " ", m1d.get_num_threads() == 2 and t1 or -1, " ", threads(), " ",
             (c1 - c2):abs():max():item() / c1:abs():max():item())
  ]]
  local p = io.popen(("env -u OPENBLAS_NUM_THREADS -u M1D_NUM_THREADS %s -e '%s'"):format(lua, script:gsub("'", "'\\''")))
  local out = p:read("a")
  p:close()
  local pthread, t1, t2, rel = out:match("^(%S+) (%-?%d+) (%d+) (%S+)$")
  if pthread == "true" then
    T.is(tonumber(t1), 1, "1 OpenBLAS thread: no worker thread left running after require")
    T.ok(tonumber(t2) >= 2, "set_num_threads(2) starts a worker again (" .. tostring(t2) .. " threads)")
  else
    T.diag("not OpenBLAS's pthreads build (" .. out .. "): worker checks skipped")
  end
  T.ok(rel and tonumber(rel) < 1e-5, "the same GEMM on 1 and 2 threads agrees (" .. tostring(rel) .. ")")
end

T.done()
