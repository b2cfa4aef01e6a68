-- The reference: System and files.  Entries: {name, signature, text, ex = example code,
-- out = what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "System and files", key = "system",
  intro = "Tensors go to disk as m1d's checksummed model files (`m1d.save`/`m1d.load`, many " ..
          "named tensors in one file) or as NumPy .npy files (one tensor each); every file " ..
          "is written atomically, so a crash never leaves half a file, and a damaged file is " ..
          "an error naming it. The rest measures and tunes the process: a monotonic clock, " ..
          "resident memory, tensor memory, and OpenBLAS's threads and kernels.",
  entries = {
    -- ------------------------------------------------------------ files
    {"m1d.save", "m1d.save(path, {name = tensor, ...} | {tensor1, tensor2, ...})",
     "Write tensors to one file (m1d's format: names, dtypes, shapes, raw data and a " ..
     "SHA-256), atomically (a temporary file renamed into place). A map is saved under " ..
     "its keys (sorted); a list (a table with a non-empty array part, whose other keys " ..
     "are then ignored) under the names \"1\", \"2\", ... Values must be tensors " ..
     "(views are fine); the directory must exist (else an error naming the file). " ..
     "Returns nothing. Module:save writes the same format.",
     ex = [=[local f = os.tmpname()
m1d.save(f, {w = m1d.ones(2, 3), step = m1d.tensor(7, "int64")})
local t, names = m1d.load(f); os.remove(f)
print(table.concat(names, ","), table.concat(t.w:shape(), "x"), t.step:item())]=],
     out = "step,w\t2x3\t7"},
    {"m1d.load", "m1d.load(path) -> {name = tensor, ...}, {names in file order}",
     "Read a file written by m1d.save: a map from names to new tensors (dtype and shape " ..
     "as saved) and the list of names. The names are strings, also for a saved list " ..
     "(`t[\"1\"]`, not `t[1]`). Raises, naming the file, when it cannot be opened, is " ..
     "not an m1d model file, or is truncated or corrupted (the checksum is verified).",
     ex = [=[local f = os.tmpname()
m1d.save(f, {m1d.ones(1), m1d.zeros(2)})
local t, names = m1d.load(f); os.remove(f)
print(table.concat(names, ","), t["2"]:numel(), t[2])]=],
     out = "1,2\t2\tnil"},
    {"m1d.save_npy", "m1d.save_npy(path, tensor)",
     "Write one tensor as a NumPy .npy file (format 1.0, little-endian '<f4', '<f8' or " ..
     "'<i8', C order), atomically; a non-contiguous tensor is written in its logical " ..
     "order. np.load reads it. Returns nothing.",
     ex = [=[local f = os.tmpname()
m1d.save_npy(f, m1d.arange(6):reshape(2, 3):t())
print(m1d.load_npy(f)); os.remove(f)]=],
     out = [=[tensor([[0.0000, 3.0000],
        [1.0000, 4.0000],
        [2.0000, 5.0000]], float32 [3,2])]=]},
    {"m1d.load_npy", "m1d.load_npy(path) -> Tensor",
     "Read a NumPy .npy file (format 1.0, 2.0 or 3.0): f4 gives float32, f8 float64, " ..
     "and the integer and bool types (i1 i2 i4 i8 u1 u2 u4 u8 b1) int64 (a uint64 value " ..
     "beyond int64 raises). Fortran-order files (what `np.save` writes for a transposed " ..
     "array) are reordered into C order. Raises, naming the file, on big-endian data, " ..
     "structured or other dtypes, and truncated or malformed files.",
     ex = [=[local f = os.tmpname()
m1d.save_npy(f, m1d.tensor({{1, 2}, {3, 4}}, "int64"))
local t = m1d.load_npy(f); os.remove(f)
print(t:dtype(), t[2][1])]=],
     out = "int64\t3"},
    {"m1d.makedirs", "m1d.makedirs(path) -> true",
     "Create a directory and every missing parent (mkdir -p); an existing directory is " ..
     "fine. Raises when a component cannot be created or path exists and is not a " ..
     "directory.",
     ex = [=[local d = os.tmpname(); os.remove(d)
print(m1d.makedirs(d .. "/a/b"), m1d.makedirs(d .. "/a/b"))
os.remove(d .. "/a/b"); os.remove(d .. "/a"); os.remove(d)]=],
     out = "true\ttrue"},

    -- ------------------------------------------------------------ the process
    {"m1d.is_tensor", "m1d.is_tensor(x) -> boolean",
     "Whether x is a tensor (a released one too); false for tables, numbers, nil.",
     ex = [=[print(m1d.is_tensor(m1d.zeros(1)), m1d.is_tensor({}), m1d.is_tensor(3))]=],
     out = "true\tfalse\tfalse"},
    {"m1d.clock", "m1d.clock() -> seconds",
     "A monotonic wall clock in seconds (CLOCK_MONOTONIC, nanosecond resolution, an " ..
     "arbitrary origin): subtract two readings to time code. Unlike os.clock it counts " ..
     "wall time, not CPU time.",
     ex = [=[local t0 = m1d.clock()
local dt = m1d.clock() - t0
print(dt >= 0 and dt < 1)]=],
     out = [=[true]=]},
    {"m1d.rss_mb", "m1d.rss_mb() -> MB",
     "This process's resident memory now, in MB (VmRSS of /proc/self/status; 0 where " ..
     "that file does not exist).",
     ex = [=[print(m1d.rss_mb() > 0)]=],
     out = [=[true]=]},
    {"m1d.num_cores", "m1d.num_cores() -> integer",
     "The CPUs this process may run on (its affinity mask, so taskset and cgroup cpusets " ..
     "count; else the online CPUs): the default number of jobs of the sweeps and m1d.jobs.run.",
     ex = [=[print(m1d.num_cores() >= 1)]=],
     out = [=[true]=]},
    {"m1d.peak_rss_mb", "m1d.peak_rss_mb() -> MB",
     "This process's peak resident memory so far, in MB (VmHWM; getrusage's maxrss " ..
     "where /proc is missing).",
     ex = [=[print(m1d.peak_rss_mb() >= m1d.rss_mb())]=],
     out = [=[true]=]},
    {"m1d.memstats", "m1d.memstats() -> {bytes_live =, bytes_allocated =, mallocs =}",
     "Tensor storage accounting: bytes_live is the storage of the tensors alive now, " ..
     "bytes_allocated every byte ever requested (monotonic; what the garbage collector " ..
     "is told about), mallocs the calls to the system allocator (m1d recycles blocks of " ..
     "recurring sizes, so it grows far more slowly than bytes_allocated).",
     ex = [=[local before = m1d.memstats().bytes_live
local t = m1d.zeros(1000)
print(m1d.memstats().bytes_live - before)
t:release(); print(m1d.memstats().bytes_live - before)]=],
     out = "4000\n0"},
    {"m1d.set_num_threads", "m1d.set_num_threads(n)",
     "Set the number of OpenBLAS threads for the GEMMs (1 to 1024; others raise). 1 by " ..
     "default: these models' GEMMs are small and a second thread slows them down. " ..
     "M1D_NUM_THREADS=n sets it at start; a user's OPENBLAS_NUM_THREADS is left alone.",
     ex = [=[local n = m1d.get_num_threads()
m1d.set_num_threads(2); print(m1d.get_num_threads())
m1d.set_num_threads(n)]=],
     out = [=[2]=]},
    {"m1d.get_num_threads", "m1d.get_num_threads() -> n",
     "The number of OpenBLAS threads (see set_num_threads).",
     ex = [=[print(m1d.get_num_threads() >= 1)]=],
     out = [=[true]=]},
    {"m1d.blas_info", "m1d.blas_info() -> {core =, chosen_by =, threads =}",
     "Which OpenBLAS kernels run (core: \"SkylakeX\", \"Haswell\", ...), who chose them " ..
     "(chosen_by: \"openblas\", \"user\" through OPENBLAS_CORETYPE, or \"m1d\", which " ..
     "replaces OpenBLAS's generic fallback on CPUs it does not know) and the thread " ..
     "count.",
     ex = [=[local info = m1d.blas_info()
print(type(info.core), info.threads == m1d.get_num_threads())]=],
     out = "string\ttrue"},
    {"m1d.set_flush_denormal", "m1d.set_flush_denormal(on) -> previous",
     "Flush subnormal floats to zero (on = true) or not (false, the default), as " ..
     "torch.set_flush_denormal: long Adam runs make subnormals, and CPUs compute on " ..
     "them slowly. on must be a boolean; returns the previous setting. On a CPU without " ..
     "such a mode (not x86) it returns false, and raises if asked to turn it on. It " ..
     "sets the calling thread's mode (MXCSR): OpenBLAS worker threads, when " ..
     "set_num_threads(n > 1), keep their own.",
     ex = [=[local prev = m1d.set_flush_denormal(true)
print(m1d.set_flush_denormal(prev))]=],
     out = [=[true]=]},
  },
}
