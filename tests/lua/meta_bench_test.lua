-- meta_bench_test.lua — bench.lua's unrolled meta-step sections (meta_mlp, meta_cnn,
-- meta_gru; timed against PyTorch by experiments/peer/bench_peer.py) run and compute the
-- right thing: --quick finishes with a finite meta-gradient and its figures, and the
-- meta-gradient d(val loss)/d(lr) through K = 3 unrolled create_graph steps agrees in
-- float64 with a central finite difference of the meta-loss that the same code reports at
-- lr +- h, and in float32 (what is timed) with float64; started from PyTorch's initial
-- parameters (tests/fixtures/meta_bench, written by experiments/peer/meta_peer.py --save),
-- the meta-loss and meta-gradient equal PyTorch's, so both sides of the benchmark run the
-- same loop (batches, order, update, validation batch).  No timings are asserted.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util

local bin = os.getenv("M1D_BIN") or "./m1d"
local MODELS = {"mlp", "cnn", "gru"}
local only = "meta_mlp,meta_cnn,meta_gru"

local function bench(opts)
  local tmp = os.tmpname()
  local ok = os.execute(("%s experiments/bench.lua --quick --only %s --out %s %s > %s.log 2>&1"):format(
    bin, only, tmp, opts, tmp))
  local log = io.open(tmp .. ".log"):read("a")
  local okr, res = pcall(util.read_json, tmp)
  os.remove(tmp); os.remove(tmp .. ".log")
  T.ok(ok and okr, "bench.lua --quick --only " .. only .. " " .. opts .. " exits 0 and writes JSON", log:sub(-1500))
  return okr and res or {meta = {}}, log
end

local function finite(x) return type(x) == "number" and x == x and x ~= math.huge and x ~= -math.huge end

-- float32, as timed
local f32, log = bench("")
T.ok(log:find("unrolled meta-step", 1, true), "the meta table is printed")
-- the machine's limit: raw sgemm on the GEMMs of an unrolled step.  Counted by hand, in
-- multiply-adds at batch 100 (a layer [rows, fin] -> fout costs rows*fin*fout per GEMM;
-- the first layer does 4 GEMMs, every later one 9): MLP 40-100-100-10:
-- 4*100*40*100 + 9*100*100*100 + 9*100*100*10 = 11.5 M, i.e. 23.0 MFLOP; the CNN's
-- convolutions as GEMMs (rows = batch * output length, fin = channels * kernel):
-- 4*1900*5*25 + 9*1000*75*25 + 9*500*75*25 + 9*100*125*10 = 27.3875 M, 54.775 MFLOP.
for m, mflop in pairs{mlp = 23.0, cnn = 54.775} do
  local r = f32.meta[m] or {}
  T.ok(r.gemm_mflop and math.abs(r.gemm_mflop - mflop) < 1e-9, ("%s: %.3f MFLOP of GEMMs per unrolled step"):format(m, mflop),
       r.gemm_mflop)
  T.ok(finite(r.sgemm_ms) and r.sgemm_ms > 0 and finite(r.fraction_of_sgemm) and r.fraction_of_sgemm > 0,
       m .. ": its raw sgemm time and fraction of the limit are reported")
end
T.ok(f32.meta.gru and f32.meta.gru.sgemm_ms == nil, "gru: no limit (its GEMMs are a recurrence of tiny products)")
for _, m in ipairs(MODELS) do
  local r = f32.meta[m] or {}
  T.is(r.K, 3, m .. ": --quick unrolls 3 inner steps")
  T.ok(finite(r.dmeta_dlr) and r.dmeta_dlr ~= 0, m .. ": the meta-gradient is finite and non-zero", r.dmeta_dlr)
  T.ok(finite(r.meta_loss) and r.meta_loss > 0, m .. ": the meta-loss is finite and positive", r.meta_loss)
  T.ok(finite(r.inner_step_ms) and r.inner_step_ms > 0, m .. ": a time per inner step is reported")
  T.ok(finite(r.user_ms_per_step) and r.user_ms_per_step >= 0 and finite(r.sys_ms_per_step)
       and r.sys_ms_per_step >= 0, m .. ": user and system CPU per step are reported")
  if r.peak_rss_mb_K then   -- /proc/self/clear_refs may be closed to us (old kernels, sandboxes)
    T.ok(r.peak_rss_mb_2K >= r.peak_rss_mb_K * 0.99 and finite(r.rss_mb_per_step),
         m .. ": peak RSS of K and 2K steps, and their difference per step")
  end
end

-- float64: the analytic meta-gradient against a central difference of the meta-loss
local lr, h = 0.1, 1e-5
local g = bench(("--dtype float64 --meta_k 3 --meta_lr %.17g"):format(lr))
local up = bench(("--dtype float64 --meta_k 3 --meta_lr %.17g"):format(lr + h))
local down = bench(("--dtype float64 --meta_k 3 --meta_lr %.17g"):format(lr - h))
for _, m in ipairs(MODELS) do
  local a, lp, lm = (g.meta[m] or {}).dmeta_dlr, (up.meta[m] or {}).meta_loss, (down.meta[m] or {}).meta_loss
  T.is((g.meta[m] or {}).dtype, "float64", m .. ": ran in float64")
  if finite(a) and finite(lp) and finite(lm) then
    local fd = (lp - lm) / (2 * h)
    -- truncation ~h^2 = 1e-10, rounding of the reported losses (14 digits) ~2e-14 / 2h = 1e-9
    T.close(a, fd, 5e-8 * math.max(1, math.abs(fd)), ("%s: float64 meta-gradient %.10g = finite difference %.10g"):format(m, a, fd))
    local a32 = (f32.meta[m] or {}).dmeta_dlr
    T.close(a32, a, 2e-3 * math.max(1, math.abs(a)), ("%s: float32 meta-gradient %s ~ float64 %.6g"):format(m, tostring(a32), a))
  else
    T.ok(false, m .. ": float64 meta-gradient and meta-losses are finite")
  end
end

-- the same loop as PyTorch's meta_peer.py, from its initial parameters (float64, K = 3)
local fix = "tests/fixtures/meta_bench"
local same = bench("--dtype float64 --meta_k 3 --meta_init " .. fix)
for _, m in ipairs(MODELS) do
  local want = {}
  for line in io.lines(("%s/%s/torch.txt"):format(fix, m)) do
    local k, v = line:match("^(%S+) (%S+)$")
    if k then want[k] = tonumber(v) end
  end
  local r = same.meta[m] or {}
  T.is(r.K, want.K, m .. ": K as in the PyTorch fixture")
  T.close(r.meta_loss, want.meta_loss, 1e-10, ("%s: meta-loss %s = PyTorch's %.12g"):format(m, tostring(r.meta_loss), want.meta_loss))
  T.close(r.dmeta_dlr, want.dmeta_dlr, 1e-9 * math.max(1, math.abs(want.dmeta_dlr)),
          ("%s: meta-gradient %s = PyTorch's %.12g"):format(m, tostring(r.dmeta_dlr), want.dmeta_dlr))
end

-- bad arguments are clear errors
for _, bad in ipairs{"--meta_k 0", "--meta_k x", "--dtype float16", "--meta_reps 0", "--meta_init /nonexistent"} do
  local tmp = os.tmpname()
  local ok = os.execute(("%s experiments/bench.lua --only meta_mlp --out %s %s > %s.log 2>&1"):format(bin, tmp, bad, tmp))
  local err = io.open(tmp .. ".log"):read("a")
  os.remove(tmp); os.remove(tmp .. ".log")
  T.ok(not ok and err:match("bench%.lua: [^\n]*%-%-%a"), "bench.lua " .. bad .. " is a clear error", err:sub(1, 300))
end
T.done()
