/*
** test_npy.c — .npy reading and writing: the reference files load with the
** right dtype and shape, writes round-trip and are byte-identical to NumPy's,
** and every malformed input (bad magic, truncation at every length, bad dicts,
** Fortran order, huge shapes, big-endian and unsupported dtypes, random byte
** flips) fails with a message naming the file instead of crashing.
** Run from the repository root (fixture paths are relative to it).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include "tap.h"
#include "slurp.h"
#include "npy.h"

#define FIX "tests/fixtures/mnist1d/components/"

/* A .npy image in memory: version, header text (padded to 64 by us), data. */
static size_t mk (unsigned char *buf, int major, const char *dict, const void *data, size_t n) {
  size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
  size_t hl = dl + 1;
  while ((pre + hl) % 64) hl++;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major; buf[7] = 0;
  if (major == 1) { buf[8] = hl & 0xff; buf[9] = (hl >> 8) & 0xff; }
  else { buf[8] = hl & 0xff; buf[9] = (hl >> 8) & 0xff; buf[10] = (hl >> 16) & 0xff; buf[11] = 0; }
  memcpy(buf + pre, dict, dl);
  memset(buf + pre + dl, ' ', hl - dl - 1);
  buf[pre + hl - 1] = '\n';
  if (n) memcpy(buf + pre + hl, data, n);
  return pre + hl + n;
}

/* read_mem must fail and the message must contain the name and want. */
static void bad_mem (const unsigned char *buf, size_t len, const char *want, const char *what) {
  m1d_NpyArray a;
  int rc = m1d_npy_read_mem("bad.npy", buf, len, &a);
  const char *m = m1d_errmsg();
  ok(rc == -1 && a.data == NULL && strstr(m, "bad.npy") && strstr(m, want),
     "%s -> error containing '%s' (%s)", what, want, rc == -1 ? m : "no error");
}

static void bad_dict (const char *dict, const char *want, const char *what) {
  unsigned char buf[1024];
  double d[4] = {1, 2, 3, 4};
  size_t n = mk(buf, 1, dict, d, sizeof d);
  bad_mem(buf, n, want, what);
}

static void test_reference_files (void) {
  static const struct { const char *path; int dtype, ndim; int64_t d0, d1; } files[] = {
    {"vendor/mnist1d/x.npy", M1D_F64, 2, 4000, 40},
    {"vendor/mnist1d/x_test.npy", M1D_F64, 2, 1000, 40},
    {"vendor/mnist1d/y.npy", M1D_I64, 1, 4000, 0},
    {"vendor/mnist1d/y_test.npy", M1D_I64, 1, 1000, 0},
    {"vendor/mnist1d/t.npy", M1D_F64, 1, 40, 0},
    {"vendor/mnist1d/templates_x.npy", M1D_F64, 2, 10, 12},
    {"vendor/mnist1d/templates_t.npy", M1D_F64, 1, 12, 0},
    {"vendor/mnist1d/templates_y.npy", M1D_I64, 1, 10, 0},
    {FIX "mt19937_seed42_raw_uint32.npy", M1D_I64, 1, 2000, 0},
    {FIX "mt19937_seeds_first8_uint32.npy", M1D_I64, 2, 6, 8},
    {FIX "choice_cases_seed42.npy", M1D_I64, 2, 8, 200},
    {FIX "trace_default/ex0_mask.npy", M1D_I64, 1, 72, 0},
    {FIX "trace_default/scalars.npy", M1D_F64, 2, 3, 23},
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    m1d_NpyArray a;
    int rc = m1d_npy_read(files[i].path, &a);
    ok(rc == 0 && a.dtype == files[i].dtype && a.ndim == files[i].ndim && a.shape[0] == files[i].d0
       && (a.ndim < 2 || a.shape[1] == files[i].d1), "load %s (%s)", files[i].path, rc ? m1d_errmsg() : a.descr);
    m1d_npy_free(&a);
  }
  /* values: uint32 widened exactly, uint8 mask, labels */
  m1d_NpyArray a;
  if (m1d_npy_read(FIX "mt19937_seed42_raw_uint32.npy", &a) == 0) {
    int64_t *v = a.data;
    ok(v[0] == 1608637542 && v[1] == 3421126067LL && v[2] == 4083286876LL, "uint32 values widened to int64");
    ok(strcmp(a.descr, "<u4") == 0, "descr kept: %s", a.descr);
    m1d_npy_free(&a);
  }
  if (m1d_npy_read("vendor/mnist1d/templates_y.npy", &a) == 0) {
    int64_t *v = a.data, good = 1;
    for (int i = 0; i < 10; i++) good &= v[i] == i;
    ok(good, "templates_y = 0..9");
    m1d_npy_free(&a);
  }
  if (m1d_npy_read("vendor/mnist1d/t.npy", &a) == 0) {
    double *v = a.data;
    is_close(v[0], -5.38753506670427, 0, "frozen t[0] read exactly (%.17g)", v[0]);
    m1d_npy_free(&a);
  }
}

static void test_roundtrip (const char *dir) {
  char path[512];
  /* numpy-identical bytes: rewrite frozen arrays and compare the whole file */
  const char *names[] = {"x", "y", "t", "templates_x", "templates_y", "y_test"};
  for (int i = 0; i < 6; i++) {
    char src[256];
    size_t n0 = 0, n1 = 0;
    m1d_NpyArray a;
    snprintf(src, sizeof src, "vendor/mnist1d/%s.npy", names[i]);
    snprintf(path, sizeof path, "%s/%s.npy", dir, names[i]);
    int rc = m1d_npy_read(src, &a);
    rc = rc ? rc : m1d_npy_write(path, a.dtype, a.ndim, a.shape, a.data);
    char *b0 = slurp(src, &n0), *b1 = slurp(path, &n1);
    ok(rc == 0 && b0 && b1 && n0 == n1 && memcmp(b0, b1, n0) == 0,
       "rewritten %s.npy is byte-identical to NumPy's file", names[i]);
    free(b0); free(b1);
    m1d_npy_free(&a);
  }
  /* every dtype and a few ranks, including 0-d and empty */
  static const int64_t shapes[][3] = {{0}, {5}, {2, 3}, {2, 0, 3}, {3, 1, 4}, {1, 1, 1}};
  static const int ndims[] = {0, 1, 2, 3, 3, 3};
  double dv[12]; float fv[12]; int64_t iv[12];
  for (int k = 0; k < 12; k++) { dv[k] = k * 0.1 - 0.3; fv[k] = (float)k / 3.0f; iv[k] = (int64_t)k * -1000000007LL; }
  for (int s = 0; s < 6; s++) {
    for (int dt = 0; dt < 3; dt++) {
      const void *src = dt == M1D_F32 ? (const void *)fv : dt == M1D_F64 ? (const void *)dv : (const void *)iv;
      size_t es = dt == M1D_F32 ? 4 : 8, count = 1;
      for (int d = 0; d < ndims[s]; d++) count *= (size_t)shapes[s][d];
      snprintf(path, sizeof path, "%s/rt.npy", dir);
      m1d_NpyArray a;
      int rc = m1d_npy_write(path, dt, ndims[s], shapes[s], src);
      rc = rc ? rc : m1d_npy_read(path, &a);
      int good = rc == 0 && a.dtype == dt && a.ndim == ndims[s] && a.nbytes == count * es
                 && memcmp(a.data, src, count * es) == 0;
      for (int d = 0; good && d < ndims[s]; d++) good = a.shape[d] == shapes[s][d];
      ok(good, "round trip dtype %d ndim %d count %zu%s%s", dt, ndims[s], count, rc ? ": " : "", rc ? m1d_errmsg() : "");
      if (rc == 0) m1d_npy_free(&a);
    }
  }
  /* the write leaves no temporary files behind */
  DIR *d = opendir(dir);
  int tmps = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) if (strstr(e->d_name, ".tmp")) tmps++;
  if (d) closedir(d);
  ok(tmps == 0, "no temporary files left in the output directory");
  /* overwrite keeps the new content */
  double one = 42.0;
  int64_t sh1[1] = {1};
  m1d_NpyArray a;
  int rc = m1d_npy_write(path, M1D_F64, 1, sh1, &one);
  rc = rc ? rc : m1d_npy_read(path, &a);
  ok(rc == 0 && a.shape[0] == 1 && ((double *)a.data)[0] == 42.0, "overwrite replaces the file");
  if (rc == 0) m1d_npy_free(&a);
}

static void test_versions_and_types (void) {
  unsigned char buf[1024];
  double d[3] = {1.5, -2.0, 3.25};
  m1d_NpyArray a;
  for (int major = 1; major <= 3; major++) {
    size_t n = mk(buf, major, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d, sizeof d);
    int rc = m1d_npy_read_mem("v.npy", buf, n, &a);
    ok(rc == 0 && a.dtype == M1D_F64 && a.shape[0] == 3 && ((double *)a.data)[2] == 3.25,
       "version %d.0 header reads", major);
    if (rc == 0) m1d_npy_free(&a);
  }
  /* reordered keys, double quotes, no trailing comma, Python 2 long suffix, 0-d */
  size_t n = mk(buf, 1, "{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"<f8\"}", d, sizeof d);
  int rc = m1d_npy_read_mem("v.npy", buf, n, &a);
  ok(rc == 0 && a.shape[0] == 3, "keys in any order, double quotes, 3L");
  if (rc == 0) m1d_npy_free(&a);
  n = mk(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", d, 8);
  rc = m1d_npy_read_mem("v.npy", buf, n, &a);
  ok(rc == 0 && a.ndim == 0 && a.nbytes == 8 && ((double *)a.data)[0] == 1.5, "0-d array");
  if (rc == 0) m1d_npy_free(&a);
  /* integer conversions */
  int8_t i1[3] = {-128, 0, 127};
  int16_t i2[3] = {-32768, 1, 32767};
  int32_t i4[3] = {-2147483647 - 1, 2, 2147483647};
  uint16_t u2[3] = {0, 1, 65535};
  unsigned char b1[3] = {0, 1, 2};
  uint64_t u8[3] = {0, 5, 9223372036854775807ULL};
  struct { const char *descr; const void *data; size_t n; int64_t want[3]; } cases[] = {
    {"|i1", i1, 3, {-128, 0, 127}},
    {"<i2", i2, 6, {-32768, 1, 32767}},
    {"<i4", i4, 12, {-2147483647LL - 1, 2, 2147483647}},
    {"<u2", u2, 6, {0, 1, 65535}},
    {"|b1", b1, 3, {0, 1, 1}},
    {"<u8", u8, 24, {0, 5, 9223372036854775807LL}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char dict[128];
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (3,), }", cases[c].descr);
    n = mk(buf, 1, dict, cases[c].data, cases[c].n);
    rc = m1d_npy_read_mem("v.npy", buf, n, &a);
    ok(rc == 0 && a.dtype == M1D_I64 && ((int64_t *)a.data)[0] == cases[c].want[0]
       && ((int64_t *)a.data)[1] == cases[c].want[1] && ((int64_t *)a.data)[2] == cases[c].want[2],
       "%s converted to int64", cases[c].descr);
    if (rc == 0) m1d_npy_free(&a);
  }
  float f4[3] = {1.5f, -2.0f, 3.25f};
  n = mk(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4, sizeof f4);
  rc = m1d_npy_read_mem("v.npy", buf, n, &a);
  ok(rc == 0 && a.dtype == M1D_F32 && a.nbytes == 12 && ((float *)a.data)[1] == -2.0f, "<f4 stays float32");
  if (rc == 0) m1d_npy_free(&a);
  /* trailing bytes after the data are ignored, as numpy does */
  n = mk(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", d, sizeof d);
  rc = m1d_npy_read_mem("v.npy", buf, n, &a);
  ok(rc == 0 && a.shape[0] == 2, "extra bytes after the data are ignored");
  if (rc == 0) m1d_npy_free(&a);
}

/* fortran_order True (what np.save writes for a transposed array): loaded in C order */
static void test_fortran (void) {
  unsigned char buf[1024];
  m1d_NpyArray a;
  /* [[1, 2, 3], [4, 5, 6]] stored column by column */
  double f2[6] = {1, 4, 2, 5, 3, 6};
  size_t n = mk(buf, 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", f2, sizeof f2);
  int rc = m1d_npy_read_mem("f.npy", buf, n, &a);
  int good = rc == 0 && a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3;
  for (int i = 0; good && i < 6; i++) good = ((double *)a.data)[i] == i + 1;
  ok(good, "fortran_order True, float64 [2,3]: C order after loading");
  if (rc == 0) m1d_npy_free(&a);
  /* int32 [2,3,4] with value 12i + 4j + k at Fortran offset i + 2j + 6k */
  int32_t f3[24];
  for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) f3[i + 2 * j + 6 * k] = 12 * i + 4 * j + k;
  n = mk(buf, 1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3, 4), }", f3, sizeof f3);
  rc = m1d_npy_read_mem("f3.npy", buf, n, &a);
  good = rc == 0 && a.ndim == 3 && a.dtype == M1D_I64;
  for (int i = 0; good && i < 24; i++) good = ((int64_t *)a.data)[i] == i;
  ok(good, "fortran_order True, int32 [2,3,4]: int64 in C order");
  if (rc == 0) m1d_npy_free(&a);
  /* 1-D and empty arrays are the same in both orders */
  n = mk(buf, 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (3,), }", f2, 3 * sizeof(double));
  rc = m1d_npy_read_mem("f1.npy", buf, n, &a);
  ok(rc == 0 && ((double *)a.data)[1] == 4, "fortran_order True, 1-D: unchanged");
  if (rc == 0) m1d_npy_free(&a);
  n = mk(buf, 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (0, 3), }", NULL, 0);
  rc = m1d_npy_read_mem("f0.npy", buf, n, &a);
  ok(rc == 0 && a.shape[0] == 0 && a.shape[1] == 3, "fortran_order True, empty [0,3]");
  if (rc == 0) m1d_npy_free(&a);
  /* truncated Fortran data still fails cleanly */
  n = mk(buf, 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", f2, sizeof f2);
  bad_mem(buf, n - 8, "truncated", "fortran_order True, truncated data");
}

static void test_malformed (void) {
  unsigned char buf[1024];
  double d[4] = {1, 2, 3, 4};
  size_t n = mk(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", d, sizeof d);

  /* every proper prefix of a valid file fails cleanly */
  int allfail = 1;
  for (size_t k = 0; k < n; k++) {
    m1d_NpyArray a;
    unsigned char *copy = malloc(k ? k : 1);     /* exact-size copy: ASan sees overreads */
    memcpy(copy, buf, k);
    if (m1d_npy_read_mem("bad.npy", copy, k, &a) == 0) { allfail = 0; m1d_npy_free(&a); }
    else if (!strstr(m1d_errmsg(), "bad.npy")) allfail = 0;
    free(copy);
  }
  ok(allfail, "all %zu truncations of a valid file fail with the file name", n);
  bad_mem(buf, n - 1, "truncated", "last data byte missing");
  bad_mem(buf, 0, "empty", "empty file");
  bad_mem(buf, 20, "truncated", "cut inside the header");

  unsigned char m[1024];
  memcpy(m, buf, n); m[0] = 'X';
  bad_mem(m, n, "bad magic", "bad magic");
  bad_mem((const unsigned char *)"PK\x03\x04 this is a zip", 20, "not a .npy file", "an .npz/zip file");
  memcpy(m, buf, n); m[6] = 4;
  bad_mem(m, n, "version 4.0", "unknown major version");
  memcpy(m, buf, n); m[7] = 1;
  bad_mem(m, n, "version 1.1", "unknown minor version");
  memcpy(m, buf, n); m[8] = 0xff; m[9] = 0xff;
  bad_mem(m, n, "truncated", "header length beyond the file");
  unsigned char v2[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xff, 0xff, 0xff, 0x7f, '{'};
  bad_mem(v2, sizeof v2, "implausibly large", "v2 header length 2 GB");

  bad_dict("{'descr': '>f8', 'fortran_order': False, 'shape': (4,), }", "big-endian", "big-endian f8");
  bad_dict("{'descr': '>i8', 'fortran_order': False, 'shape': (4,), }", "big-endian", "big-endian i8");
  bad_dict("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", "unsupported dtype", "complex");
  bad_dict("{'descr': '|O', 'fortran_order': False, 'shape': (4,), }", "unsupported dtype", "object array");
  bad_dict("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype", "unicode");
  bad_dict("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", "unsupported dtype", "half");
  bad_dict("{'descr': '', 'fortran_order': False, 'shape': (4,), }", "unsupported dtype", "empty descr");
  bad_dict("{'descr': '<', 'fortran_order': False, 'shape': (4,), }", "unsupported dtype", "descr '<'");
  bad_dict("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (4,), }", "structured", "structured dtype");
  bad_dict("{'descr': '<f8', 'shape': (4,), }", "missing key 'fortran_order'", "missing key");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), 'extra': 1}", "unexpected key 'extra'", "extra key");
  bad_dict("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (4,)}", "duplicate", "duplicate key");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (-4,), }", "negative dimension", "negative dim");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (4.0,), }", "bad header dict", "float dim");
  bad_dict("{'descr': '<f8', 'fortran_order': false, 'shape': (4,), }", "True or False", "lowercase false");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': [4], }", "tuple", "list shape");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), } junk", "after the closing", "trailing junk");
  bad_dict("'descr': '<f8'", "start with '{'", "no braces");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (4,", "bad header dict", "unterminated tuple");
  bad_dict("{'descr: '<f8', 'fortran_order': False, 'shape': (4,), }", "bad header dict", "broken quote");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", "more than 8", "9 dims");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", "too large",
           "shape product overflows size_t");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", "too large",
           "dimension overflows int64");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000), }", "truncated",
           "huge but representable shape, 32 data bytes");
  bad_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }", "truncated", "one element short");
  uint64_t big[1] = {9223372036854775808ULL};
  n = mk(m, 1, "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", big, 8);
  bad_mem(m, n, "does not fit int64", "uint64 above INT64_MAX");

  /* random byte flips in the header: read_mem either succeeds or fails, never crashes */
  srand(12345);
  int survived = 1;
  for (int it = 0; it < 20000; it++) {
    memcpy(m, buf, n);
    int flips = 1 + rand() % 4;
    for (int k = 0; k < flips; k++) m[rand() % 128] = (unsigned char)(rand() & 0xff);
    size_t len = rand() % 2 ? n : (size_t)(rand() % (int)n);
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, m, len);
    m1d_NpyArray a;
    int rc = m1d_npy_read_mem("fuzz.npy", copy, len, &a);
    if (rc == 0) {
      if (a.data == NULL) survived = 0;
      m1d_npy_free(&a);
    } else if (!strstr(m1d_errmsg(), "fuzz.npy")) {
      survived = 0;
    }
    free(copy);
  }
  ok(survived, "20000 randomly corrupted headers handled");
}

static void test_file_errors (const char *dir) {
  m1d_NpyArray a;
  char path[512];
  int rc = m1d_npy_read("tests/fixtures/does-not-exist.npy", &a);
  ok(rc == -1 && strstr(m1d_errmsg(), "load_npy: tests/fixtures/does-not-exist.npy: cannot open"),
     "missing file: %s", m1d_errmsg());
  rc = m1d_npy_read(dir, &a);
  ok(rc == -1 && strstr(m1d_errmsg(), "is a directory"), "directory: %s", m1d_errmsg());
  /* a truncated file on disk */
  size_t n = 0;
  char *b = slurp("vendor/mnist1d/t.npy", &n);
  snprintf(path, sizeof path, "%s/trunc.npy", dir);
  FILE *f = fopen(path, "wb");
  if (f && b) { fwrite(b, 1, n - 9, f); fclose(f); }
  free(b);
  rc = m1d_npy_read(path, &a);
  ok(rc == -1 && strstr(m1d_errmsg(), path) && strstr(m1d_errmsg(), "truncated")
     && strstr(m1d_errmsg(), "[40]"), "truncated file on disk: %s", m1d_errmsg());
  /* a file that is not .npy */
  rc = m1d_npy_read("tests/fixtures/mnist1d/variants/default/args.txt", &a);
  ok(rc == -1 && strstr(m1d_errmsg(), "not a .npy file"), "text file: %s", m1d_errmsg());
  /* writing into a missing directory */
  double x = 1;
  int64_t sh[1] = {1};
  snprintf(path, sizeof path, "%s/no/such/dir/x.npy", dir);
  rc = m1d_npy_write(path, M1D_F64, 1, sh, &x);
  ok(rc == -1 && strstr(m1d_errmsg(), "save_npy: ") && strstr(m1d_errmsg(), "no/such/dir/x.npy"),
     "write into a missing directory: %s", m1d_errmsg());
  int64_t neg[2] = {2, -1};
  snprintf(path, sizeof path, "%s/neg.npy", dir);
  rc = m1d_npy_write(path, M1D_F64, 2, neg, &x);
  ok(rc == -1 && strstr(m1d_errmsg(), "negative"), "write with a negative size: %s", m1d_errmsg());
  rc = m1d_npy_write(path, 7, 1, sh, &x);
  ok(rc == -1 && strstr(m1d_errmsg(), "dtype"), "write with a bad dtype: %s", m1d_errmsg());
  int64_t huge[2] = {INT64_MAX, 4};
  rc = m1d_npy_write(path, M1D_F64, 2, huge, &x);
  ok(rc == -1 && strstr(m1d_errmsg(), "too large"), "write with an overflowing shape: %s", m1d_errmsg());
}

static void rmtree (const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char p[600];
  while (d && (e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    unlink(p);
  }
  if (d) closedir(d);
  rmdir(dir);
}

int main (void) {
  char dir[] = "/tmp/m1d_test_npy_XXXXXX";
  if (mkdtemp(dir) == NULL) { printf("Bail out! cannot create a temporary directory\n"); return 1; }
  test_reference_files();
  test_roundtrip(dir);
  test_versions_and_types();
  test_fortran();
  test_malformed();
  test_file_errors(dir);
  rmtree(dir);
  return done_testing();
}
