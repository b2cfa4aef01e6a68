/*
** test_mnist1d.c — the MNIST-1D generator against the reference Python one.
**
**  - building blocks, exactly: linspace, np.interp, scipy gaussian_filter and
**    its kernel, the templates;
**  - transform() step by step for the first three examples of two runs;
**  - the official frozen dataset (vendor/mnist1d) within 1e-12, labels exact;
**  - every variant in tests/fixtures/mnist1d/variants/: SHA-256 of each
**    generated array equal to the digest of NumPy's array (bit-exact), and
**    norm_mean / norm_std / split equal to stats.txt;
**  - argument checking.
** Run from the repository root.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "mnist1d.h"
#include "npy.h"
#include "sha256.h"

#define COMP "tests/fixtures/mnist1d/components/"
#define VAR "tests/fixtures/mnist1d/variants/"

static int load (const char *path, m1d_NpyArray *a) {
  if (m1d_npy_read(path, a) == 0) return 0;
  ok(0, "load %s: %s", path, m1d_errmsg());
  return -1;
}

static int64_t numel (const m1d_NpyArray *a) {
  int64_t n = 1;
  for (int i = 0; i < a->ndim; i++) n *= a->shape[i];
  return n;
}

/* first index where got differs from the file's doubles bit for bit, -1 if none */
static int64_t firstdiff (const double *got, int64_t n, const m1d_NpyArray *want) {
  if (numel(want) != n) return -2;
  const double *w = want->data;
  for (int64_t i = 0; i < n; i++) if (memcmp(&got[i], &w[i], 8) != 0) return i;
  return -1;
}

static void exact (const double *got, int64_t n, const char *path, const char *what) {
  m1d_NpyArray a;
  if (load(path, &a)) return;
  int64_t d = firstdiff(got, n, &a);
  ok(d == -1, "%s bit-exact (first diff %lld)", what, (long long)d);
  if (d >= 0) diag("got %.17g want %.17g", got[d], ((double *)a.data)[d]);
  m1d_npy_free(&a);
}

static void test_linspace (void) {
  FILE *f = fopen(COMP "linspace_cases.txt", "r");
  char line[256], file[64];
  double a, b;
  long long n;
  int cases = 0;
  while (f && fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%63s %lf %lf %lld", file, &a, &b, &n) != 4) continue;
    double *out = malloc(sizeof(double) * (size_t)n);
    m1d_mnist1d_linspace(a, b, n, out);
    char path[256], what[128];
    snprintf(path, sizeof path, COMP "%s", file);
    snprintf(what, sizeof what, "linspace(%g, %g, %lld)", a, b, n);
    exact(out, n, path, what);
    free(out);
    cases++;
  }
  if (f) fclose(f);
  ok(cases == 12, "12 linspace cases read (%d)", cases);
}

static void test_interp (void) {
  for (int c = 0; c <= 4; c++) {
    char p[4][128];
    const char *part[4] = {"xp", "fp", "xnew", "out"};
    m1d_NpyArray v[4];
    int okload = 1;
    for (int k = 0; k < 4; k++) {
      snprintf(p[k], sizeof p[k], COMP "interp_case%d_%s.npy", c, part[k]);
      if (load(p[k], &v[k])) { okload = 0; while (k--) m1d_npy_free(&v[k]); break; }
    }
    if (!okload) continue;
    int64_t nq = numel(&v[2]);
    double *out = malloc(sizeof(double) * (size_t)nq);
    m1d_mnist1d_interp(v[0].data, v[1].data, numel(&v[0]), v[2].data, nq, out);
    char what[64];
    snprintf(what, sizeof what, "interp case %d (%lld -> %lld)", c, (long long)numel(&v[0]), (long long)nq);
    ok(firstdiff(out, nq, &v[3]) == -1, "%s bit-exact", what);
    /* the xp / xnew vectors are our linspace too */
    double *lin = malloc(sizeof(double) * (size_t)nq);
    m1d_mnist1d_linspace(0, 1, nq, lin);
    ok(firstdiff(lin, nq, &v[2]) == -1, "interp case %d query points = linspace", c);
    free(lin);
    free(out);
    for (int k = 0; k < 4; k++) m1d_npy_free(&v[k]);
  }
}

static void test_filter (void) {
  exact(m1d_mnist1d_kernel, 17, COMP "gaussian_kernel_sigma2.npy", "gaussian kernel sigma 2");
  const char *cases[] = {"ramp8", "noise72", "noise57", "impulse17_center", "impulse20_edge",
                         "short5", "single1", "len3"};
  for (int c = 0; c < 8; c++) {
    char pin[128], pout[128], what[64];
    m1d_NpyArray in;
    snprintf(pin, sizeof pin, COMP "gaussian_filter_%s_in.npy", cases[c]);
    snprintf(pout, sizeof pout, COMP "gaussian_filter_%s_out.npy", cases[c]);
    if (load(pin, &in)) continue;
    int64_t n = numel(&in);
    double *out = malloc(sizeof(double) * (size_t)n), *tmp = malloc(sizeof(double) * (size_t)(n + 16));
    m1d_mnist1d_gaussian_filter(in.data, n, out, tmp);
    snprintf(what, sizeof what, "gaussian_filter %s", cases[c]);
    exact(out, n, pout, what);
    free(out); free(tmp);
    m1d_npy_free(&in);
  }
}

static void test_templates (void) {
  double x[120], t[12];
  int64_t y[10];
  m1d_mnist1d_templates(x, t, y);
  exact(x, 120, "vendor/mnist1d/templates_x.npy", "templates x (computed, not hard-coded)");
  exact(t, 12, "vendor/mnist1d/templates_t.npy", "templates t");
  m1d_NpyArray a;
  if (load("vendor/mnist1d/templates_y.npy", &a) == 0) {
    ok(memcmp(a.data, y, sizeof y) == 0, "templates y");
    m1d_npy_free(&a);
  }
}

static void test_trace (const char *dir, const m1d_Mnist1dArgs *args) {
  char path[256];
  m1d_NpyArray sc;
  snprintf(path, sizeof path, COMP "%s/scalars.npy", dir);
  if (load(path, &sc)) return;
  const double *s = sc.data;                 /* 3 x 23, columns listed in the README */
  m1d_Mnist1dWork *w = m1d_mnist1d_work_new(args);
  ok(w != NULL, "%s: work area", dir);
  if (w == NULL) { m1d_npy_free(&sc); return; }
  double tx[120], tt[12], x[64], t[64];
  int64_t ty[10];
  m1d_mnist1d_templates(tx, tt, ty);
  m1d_Rng r;
  m1d_rng_seed(&r, (uint32_t)args->seed);
  int64_t L = args->template_len + args->padding[1], N = args->final_seq_length;
  for (int ex = 0; ex < 3; ex++) {
    m1d_Mnist1dTrace tr;
    int gauss_before_iid;
    m1d_mnist1d_transform(w, &r, tx, x, t, &tr);
    const double *row = s + 23 * ex;
    ok(tr.r_pad == row[5] && tr.p == (int64_t)row[6] && tr.padded_len == (int64_t)row[7],
       "%s ex%d: r_pad, p = %lld, padded length", dir, ex, (long long)tr.p);
    ok(tr.r_scale == row[9] && tr.scale_factor == row[10], "%s ex%d: r_scale, scale factor", dir, ex);
    ok(tr.k == (int64_t)row[12], "%s ex%d: shift k = %lld", dir, ex, (long long)tr.k);
    ok(tr.r_shear == row[18] && tr.shear_coeff == row[19], "%s ex%d: r_shear, shear coeff", dir, ex);
    ok(r.has_gauss == (int)row[21], "%s ex%d: gaussian cache at the end = %d", dir, ex, (int)row[21]);
    gauss_before_iid = (int)row[16];
    if (gauss_before_iid) diag("%s ex%d: iid noise starts with the cached gaussian", dir, ex);
    struct { const char *name; const double *v; int64_t n; } steps[] = {
      {"padded", tr.padded, tr.padded_len}, {"dilated", tr.dilated, L}, {"t_dilated", tr.t_dilated, L},
      {"scaled", tr.scaled, L}, {"translated", tr.translated, L}, {"randn_corr", tr.randn_corr, L},
      {"corr_noise", tr.corr_noise, L}, {"after_corr", tr.after_corr, L}, {"randn_iid", tr.randn_iid, L},
      {"after_iid", tr.after_iid, L}, {"sheared", tr.sheared, L}, {"final", x, N}, {"t_final", t, N},
    };
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
      char what[96];
      snprintf(path, sizeof path, COMP "%s/ex%d_%s.npy", dir, ex, steps[k].name);
      snprintf(what, sizeof what, "%s ex%d %s", dir, ex, steps[k].name);
      exact(steps[k].v, steps[k].n, path, what);
    }
  }
  m1d_mnist1d_work_free(w);
  m1d_npy_free(&sc);
}

static void test_frozen (void) {
  m1d_Mnist1dArgs a;
  m1d_Mnist1d d;
  m1d_mnist1d_defaults(&a);
  int rc = m1d_mnist1d_generate(&a, &d);
  ok(rc == 0 && d.n_train == 4000 && d.n_test == 1000 && d.len == 40, "default dataset: 4000 + 1000 x 40%s%s",
     rc ? ": " : "", rc ? m1d_errmsg() : "");
  if (rc) return;
  const struct { const char *file; const double *v; int64_t n; } fl[] = {
    {"x", d.x, 4000 * 40}, {"x_test", d.x_test, 1000 * 40}, {"t", d.t, 40},
    {"templates_x", d.templates_x, 120}, {"templates_t", d.templates_t, 12},
  };
  for (int i = 0; i < 5; i++) {
    char path[128];
    m1d_NpyArray f;
    snprintf(path, sizeof path, "vendor/mnist1d/%s.npy", fl[i].file);
    if (load(path, &f)) continue;
    double maxd = 0;
    int64_t ndiff = 0;
    for (int64_t k = 0; k < fl[i].n && numel(&f) == fl[i].n; k++) {
      double e = fabs(fl[i].v[k] - ((double *)f.data)[k]);
      if (e > maxd) maxd = e;
      ndiff += e != 0;
    }
    ok(numel(&f) == fl[i].n && maxd <= 1e-12, "frozen %s within 1e-12 (max diff %.3g, %lld values differ)",
       fl[i].file, maxd, (long long)ndiff);
    m1d_npy_free(&f);
  }
  const struct { const char *file; const int64_t *v; int64_t n; } il[] = {
    {"y", d.y, 4000}, {"y_test", d.y_test, 1000}, {"templates_y", d.templates_y, 10},
  };
  for (int i = 0; i < 3; i++) {
    char path[128];
    m1d_NpyArray f;
    snprintf(path, sizeof path, "vendor/mnist1d/%s.npy", il[i].file);
    if (load(path, &f)) continue;
    ok(numel(&f) == il[i].n && memcmp(f.data, il[i].v, sizeof(int64_t) * (size_t)il[i].n) == 0,
       "frozen %s identical", il[i].file);
    m1d_npy_free(&f);
  }
  m1d_mnist1d_free(&d);
}

/* ---- variants: args.txt, stats.txt and DATA_SHA256.txt ---- */

static int read_args (const char *path, m1d_Mnist1dArgs *a) {
  FILE *f = fopen(path, "r");
  char line[256];
  if (f == NULL) return -1;
  m1d_mnist1d_defaults(a);
  while (fgets(line, sizeof line, f)) {
    char *eq = strchr(line, '=');
    if (eq == NULL) continue;
    *eq = '\0';
    const char *k = line, *v = eq + 1;
    long long lo, hi;
    if (!strcmp(k, "num_samples")) a->num_samples = atoll(v);
    else if (!strcmp(k, "train_split")) a->train_split = strtod(v, NULL);
    else if (!strcmp(k, "template_len")) a->template_len = atoll(v);
    else if (!strcmp(k, "padding") && sscanf(v, "[%lld,%lld]", &lo, &hi) == 2) { a->padding[0] = lo; a->padding[1] = hi; }
    else if (!strcmp(k, "scale_coeff")) a->scale_coeff = strtod(v, NULL);
    else if (!strcmp(k, "max_translation")) a->max_translation = atoll(v);
    else if (!strcmp(k, "corr_noise_scale")) a->corr_noise_scale = strtod(v, NULL);
    else if (!strcmp(k, "iid_noise_scale")) a->iid_noise_scale = strtod(v, NULL);
    else if (!strcmp(k, "shear_scale")) a->shear_scale = strtod(v, NULL);
    else if (!strcmp(k, "shuffle_seq")) a->shuffle_seq = !strncmp(v, "True", 4);
    else if (!strcmp(k, "final_seq_length")) a->final_seq_length = atoll(v);
    else if (!strcmp(k, "seed")) a->seed = atoll(v);
    else { fclose(f); return -1; }
  }
  fclose(f);
  return 0;
}

/* value of key in a key=value file, as a string (static buffer) */
static const char *stat_of (const char *path, const char *key) {
  static char val[128];
  char line[256];
  size_t kl = strlen(key);
  FILE *f = fopen(path, "r");
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, kl) && line[kl] == '=') {
      snprintf(val, sizeof val, "%s", line + kl + 1);
      val[strcspn(val, "\n")] = '\0';
      fclose(f);
      return val;
    }
  if (f) fclose(f);
  return "";
}

static const char *digest_of (const char *name, const char *file) {
  static char hex[65];
  char line[512], want[256];
  snprintf(want, sizeof want, "%s/%s.npy", name, file);
  FILE *f = fopen(VAR "DATA_SHA256.txt", "r");
  hex[0] = '\0';
  while (f && fgets(line, sizeof line, f)) {
    char h[80], p[256];
    if (line[0] == '#' || sscanf(line, "%79s %255s", h, p) != 2) continue;
    if (!strcmp(p, want)) { snprintf(hex, sizeof hex, "%.64s", h); break; }
  }
  if (f) fclose(f);
  return hex;
}

static void check_digest (const char *name, const char *file, const void *data, size_t nbytes) {
  char hex[65];
  const char *want = digest_of(name, file);
  m1d_sha256_hex(data, nbytes, hex);
  ok(want[0] && !strcmp(hex, want), "%s/%s sha256 %.16s... %s", name, file, hex,
     want[0] ? (strcmp(hex, want) ? "DIFFERS" : "matches") : "(no digest listed)");
}

static void test_variant (const char *name) {
  char dir[256], path[300];
  m1d_Mnist1dArgs a;
  m1d_Mnist1d d;
  snprintf(dir, sizeof dir, VAR "%s", name);
  snprintf(path, sizeof path, "%s/args.txt", dir);
  if (read_args(path, &a)) { ok(0, "%s: read args.txt", name); return; }
  int rc = m1d_mnist1d_generate(&a, &d);
  ok(rc == 0, "%s: generated%s%s", name, rc ? ": " : "", rc ? m1d_errmsg() : "");
  if (rc) return;
  snprintf(path, sizeof path, "%s/stats.txt", dir);
  double mean = strtod(stat_of(path, "norm_mean_hex"), NULL), sd = strtod(stat_of(path, "norm_std_hex"), NULL);
  ok(d.norm_mean == mean, "%s: norm_mean %.17g (want %.17g)", name, d.norm_mean, mean);
  ok(d.norm_std == sd, "%s: norm_std %.17g (want %.17g)", name, d.norm_std, sd);
  ok(d.n_train == atoll(stat_of(path, "n_train")) && d.n_test == atoll(stat_of(path, "n_test"))
     && d.dilated_len == atoll(stat_of(path, "dilated_length")), "%s: split %lld / %lld, dilated length %lld",
     name, (long long)d.n_train, (long long)d.n_test, (long long)d.dilated_len);
  size_t rb = sizeof(double) * (size_t)d.len;
  check_digest(name, "x", d.x, rb * (size_t)d.n_train);
  check_digest(name, "x_test", d.x_test, rb * (size_t)d.n_test);
  check_digest(name, "y", d.y, sizeof(int64_t) * (size_t)d.n_train);
  check_digest(name, "y_test", d.y_test, sizeof(int64_t) * (size_t)d.n_test);
  check_digest(name, "t", d.t, rb);
  check_digest(name, "perm", d.perm, sizeof(int64_t) * (size_t)d.n_total);
  check_digest(name, "templates_x", d.templates_x, sizeof d.templates_x);
  check_digest(name, "templates_t", d.templates_t, sizeof d.templates_t);
  check_digest(name, "templates_y", d.templates_y, sizeof d.templates_y);
  if (a.shuffle_seq) check_digest(name, "seq_perm", d.seq_perm, sizeof(int64_t) * (size_t)d.len);
  if (digest_of(name, "raw_x")[0]) {
    /* the transform outputs in generation order, before shuffling and normalising */
    m1d_Mnist1dWork *w = m1d_mnist1d_work_new(&a);
    double *raw = malloc(rb * (size_t)d.n_total);
    m1d_Rng r;
    m1d_rng_seed(&r, (uint32_t)a.seed);
    int64_t spc = a.num_samples / 10;
    for (int label = 0; label < 10; label++)
      for (int64_t e = 0; e < spc; e++)
        m1d_mnist1d_transform(w, &r, d.templates_x + 12 * label, raw + (size_t)(label * spc + e) * (size_t)d.len,
                              NULL, NULL);
    check_digest(name, "raw_x", raw, rb * (size_t)d.n_total);
    free(raw);
    m1d_mnist1d_work_free(w);
  }
  m1d_mnist1d_free(&d);
}

static void test_variants (void) {
  DIR *dd = opendir(VAR);
  struct dirent *e;
  char names[32][64];
  int n = 0;
  while (dd && (e = readdir(dd)) != NULL && n < 32) {
    char p[300];
    snprintf(p, sizeof p, VAR "%s/args.txt", e->d_name);
    FILE *f = fopen(p, "r");
    if (f) { fclose(f); snprintf(names[n++], 64, "%.63s", e->d_name); }
  }
  if (dd) closedir(dd);
  ok(n == 7, "7 variant folders found (%d)", n);
  for (int i = 0; i < n; i++) test_variant(names[i]);
}

/* ---- argument checks ---- */

static void bad_args (void (*change) (m1d_Mnist1dArgs *), const char *want, const char *what) {
  m1d_Mnist1dArgs a;
  m1d_Mnist1d d;
  m1d_mnist1d_defaults(&a);
  change(&a);
  int rc1 = m1d_mnist1d_check(&a);
  int rc2 = m1d_mnist1d_generate(&a, &d);
  ok(rc1 == -1 && rc2 == -1 && d.x == NULL && strstr(m1d_errmsg(), want), "%s rejected: %s", what, m1d_errmsg());
}

static void pad_reversed (m1d_Mnist1dArgs *a) { a->padding[0] = 60; a->padding[1] = 36; }
static void pad_negative (m1d_Mnist1dArgs *a) { a->padding[0] = -1; }
static void len_zero (m1d_Mnist1dArgs *a) { a->final_seq_length = 0; }
static void len_negative (m1d_Mnist1dArgs *a) { a->final_seq_length = -5; }
static void n_small (m1d_Mnist1dArgs *a) { a->num_samples = 9; }
static void n_negative (m1d_Mnist1dArgs *a) { a->num_samples = -1; }
static void split_high (m1d_Mnist1dArgs *a) { a->train_split = 1.5; }
static void split_negative (m1d_Mnist1dArgs *a) { a->train_split = -0.1; }
static void split_nan (m1d_Mnist1dArgs *a) { a->train_split = NAN; }
static void tlen_negative (m1d_Mnist1dArgs *a) { a->template_len = -1; }
static void shift_negative (m1d_Mnist1dArgs *a) { a->max_translation = -3; }
static void shift_zero (m1d_Mnist1dArgs *a) { a->max_translation = 0; }
static void scale_nan (m1d_Mnist1dArgs *a) { a->scale_coeff = NAN; }
static void noise_inf (m1d_Mnist1dArgs *a) { a->corr_noise_scale = INFINITY; }
static void seed_big (m1d_Mnist1dArgs *a) { a->seed = 4294967296LL; }
static void seed_negative (m1d_Mnist1dArgs *a) { a->seed = -1; }
static void too_short (m1d_Mnist1dArgs *a) { a->template_len = 0; a->padding[0] = 0; a->padding[1] = 1; }
static void huge_n (m1d_Mnist1dArgs *a) { a->num_samples = INT64_MAX; }
static void huge_len (m1d_Mnist1dArgs *a) { a->num_samples = 100000000000LL; a->final_seq_length = 1000000; }
static void huge_pad (m1d_Mnist1dArgs *a) { a->padding[1] = INT64_MAX - 5; }

static void test_args (void) {
  m1d_Mnist1dArgs a;
  m1d_mnist1d_defaults(&a);
  ok(m1d_mnist1d_check(&a) == 0, "defaults are valid");
  ok(a.num_samples == 5000 && a.train_split == 0.8 && a.template_len == 12 && a.padding[0] == 36
     && a.padding[1] == 60 && a.scale_coeff == 0.4 && a.max_translation == 48 && a.corr_noise_scale == 0.25
     && a.iid_noise_scale == 0.02 && a.shear_scale == 0.75 && !a.shuffle_seq && a.final_seq_length == 40
     && a.seed == 42, "defaults are get_dataset_args()");
  bad_args(pad_reversed, "padding must be {lo, hi} with 0 <= lo <= hi (got {60, 36})", "padding {60,36}");
  bad_args(pad_negative, "padding", "negative padding");
  bad_args(len_zero, "final_seq_length must be >= 1 (got 0)", "final_seq_length 0");
  bad_args(len_negative, "final_seq_length", "final_seq_length -5");
  bad_args(n_small, "num_samples must be at least 10 (got 9)", "num_samples 9");
  bad_args(n_negative, "num_samples must be at least 10 (got -1)", "num_samples -1");
  bad_args(split_high, "train_split must be in [0, 1] (got 1.5)", "train_split 1.5");
  bad_args(split_negative, "train_split", "train_split -0.1");
  bad_args(split_nan, "train_split", "train_split NaN");
  bad_args(tlen_negative, "template_len must be >= 0", "template_len -1");
  bad_args(shift_negative, "max_translation must be >= 1", "max_translation -3");
  bad_args(shift_zero, "max_translation must be >= 1", "max_translation 0");
  bad_args(scale_nan, "scale_coeff must be a finite number", "scale_coeff NaN");
  bad_args(noise_inf, "corr_noise_scale must be a finite number", "corr_noise_scale inf");
  bad_args(seed_big, "seed must be in 0 .. 2^32-1", "seed 2^32");
  bad_args(seed_negative, "seed", "seed -1");
  bad_args(too_short, "at least 2", "dilated length 1");
  bad_args(huge_n, "mnist1d:", "num_samples INT64_MAX");
  bad_args(huge_len, "mnist1d:", "10^11 x 10^6 dataset");
  bad_args(huge_pad, "too large", "padding hi near INT64_MAX");

  /* accepted edge cases that Python accepts too */
  m1d_Mnist1d d;
  m1d_mnist1d_defaults(&a);
  a.num_samples = 10; a.train_split = 1.0; a.final_seq_length = 1; a.max_translation = 1;
  a.template_len = 0; a.padding[0] = 2; a.padding[1] = 2;
  int rc = m1d_mnist1d_generate(&a, &d);
  ok(rc == 0 && d.n_train == 10 && d.n_test == 0 && d.len == 1, "smallest dataset: 10 x 1, no test rows%s%s",
     rc ? ": " : "", rc ? m1d_errmsg() : "");
  if (rc == 0) m1d_mnist1d_free(&d);
  m1d_mnist1d_defaults(&a);
  a.num_samples = 20; a.train_split = 0.0; a.shuffle_seq = 1; a.seed = 4294967295LL;
  rc = m1d_mnist1d_generate(&a, &d);
  ok(rc == 0 && d.n_train == 0 && d.n_test == 20 && d.seq_perm != NULL, "train_split 0, shuffle_seq, seed 2^32-1");
  if (rc == 0) m1d_mnist1d_free(&d);
}

int main (void) {
  test_linspace();
  test_interp();
  test_filter();
  test_templates();
  m1d_Mnist1dArgs a;
  m1d_mnist1d_defaults(&a);
  test_trace("trace_default", &a);
  a.num_samples = 2000; a.padding[0] = 30; a.padding[1] = 45;
  test_trace("trace_oddlen_pad30_45", &a);
  test_frozen();
  test_variants();
  test_args();
  return done_testing();
}
