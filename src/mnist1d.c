/*
** mnist1d.c — the MNIST-1D generator, bit for bit the reference Python one
** (mnist1d's get_templates / transform / make_dataset with numpy 1.24 and
** scipy 1.10).  The rules it must follow are listed in
** shared/reference/README.md; the ones that decide bits:
**
**  - every random number comes from one legacy RandomState (rng.c), drawn in
**    Python's order: per example rand (pad), rand (scale), choice (shift),
**    randn(L) (correlated noise), randn(L) (iid noise), rand (shear); then the
**    row permutation, then (shuffle_seq) the column permutation;
**  - linspace forces its last element; np.interp returns node values exactly;
**  - gaussian_filter pairs symmetric taps, outermost first, with scipy's
**    weights (hard-coded: NumPy's SIMD exp differs from libm's in the last bit)
**    and reflect-mode indices that may reflect more than once;
**  - mean and std are NumPy's pairwise sums over 8192-element chunks taken in
**    memory order (column-major after the column shuffle);
**  - all arithmetic in double, compiled with -ffp-contract=off.
**
** generate() checks the arguments and sizes, allocates everything, and only
** then computes, so a failure leaves nothing to free.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mnist1d.h"
#include "tensor.h"

/* scipy.ndimage._filters._gaussian_kernel1d(2.0, 0, 8) on the reference machine. */
const double m1d_mnist1d_kernel[17] = {
  0x1.18aad19e4159bp-14, 0x1.c98b8c5d0dda5p-12, 0x1.227362b5fc92ep-9, 0x1.1f30504e20207p-7,
  0x1.ba4d4125ffd29p-6, 0x1.0941b71ceef37p-4, 0x1.ef9093fc46e5ap-4, 0x1.68856f9ab1982p-3,
  0x1.98862a07ae7b4p-3,
  0x1.68856f9ab1982p-3, 0x1.ef9093fc46e5ap-4, 0x1.0941b71ceef37p-4, 0x1.ba4d4125ffd29p-6,
  0x1.1f30504e20207p-7, 0x1.227362b5fc92ep-9, 0x1.c98b8c5d0dda5p-12, 0x1.18aad19e4159bp-14,
};

#define RADIUS 8
#define CHUNK 8192          /* NumPy's reduction buffer size */

void m1d_mnist1d_defaults (m1d_Mnist1dArgs *a) {
  a->num_samples = 5000;
  a->train_split = 0.8;
  a->template_len = 12;
  a->padding[0] = 36;
  a->padding[1] = 60;
  a->scale_coeff = 0.4;
  a->max_translation = 48;
  a->corr_noise_scale = 0.25;
  a->iid_noise_scale = 2e-2;
  a->shear_scale = 0.75;
  a->shuffle_seq = 0;
  a->final_seq_length = 40;
  a->seed = 42;
}

/* ---- numerical building blocks ---- */

void m1d_mnist1d_linspace (double a, double b, int64_t n, double *out) {
  if (n <= 0) return;
  if (n == 1) { out[0] = a; return; }
  double div = (double)(n - 1), delta = b - a, step = delta / div;
  if (step == 0) {
    for (int64_t i = 0; i < n; i++) out[i] = (double)i / div * delta + a;
  } else {
    for (int64_t i = 0; i < n; i++) out[i] = (double)i * step + a;
  }
  out[n - 1] = b;
}

/* largest j with xp[j] <= q, -1 if q < xp[0], n if q > xp[n-1] (numpy's binary search) */
static int64_t search (const double *xp, int64_t n, double q) {
  if (q > xp[n - 1]) return n;
  if (q < xp[0]) return -1;
  int64_t lo = 0, hi = n - 1;             /* xp[lo] <= q, answer in [lo, hi] */
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (xp[mid] <= q) lo = mid; else hi = mid - 1;
  }
  return lo;
}

void m1d_mnist1d_interp (const double *xp, const double *fp, int64_t n,
                         const double *q, int64_t nq, double *out) {
  for (int64_t i = 0; i < nq; i++) {
    double x = q[i];
    if (isnan(x)) { out[i] = x; continue; }
    if (n == 1) { out[i] = fp[0]; continue; }
    int64_t j = search(xp, n, x);
    if (j == -1) out[i] = fp[0];
    else if (j >= n - 1) out[i] = fp[n - 1];
    else if (xp[j] == x) out[i] = fp[j];
    else {
      double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
      out[i] = slope * (x - xp[j]) + fp[j];
      if (isnan(out[i])) {                 /* numpy's fallback for infinite slopes */
        out[i] = slope * (x - xp[j + 1]) + fp[j + 1];
        if (isnan(out[i]) && fp[j] == fp[j + 1]) out[i] = fp[j];
      }
    }
  }
}

/* scipy reflect mode: d c b a | a b c d | d c b a, repeated as often as needed. */
static int64_t reflect (int64_t i, int64_t n) {
  int64_t m = 2 * n;
  i %= m;
  if (i < 0) i += m;
  return i >= n ? m - 1 - i : i;
}

void m1d_mnist1d_gaussian_filter (const double *v, int64_t n, double *out, double *ext) {
  const double *w = m1d_mnist1d_kernel + RADIUS;      /* w[-8..8] */
  for (int64_t i = -RADIUS; i < n + RADIUS; i++) ext[i + RADIUS] = v[reflect(i, n)];
  for (int64_t l = 0; l < n; l++) {
    const double *c = ext + RADIUS + l;
    double acc = c[0] * w[0];
    for (int j = -RADIUS; j < 0; j++) acc += (c[j] + c[-j]) * w[j];
    out[l] = acc;
  }
}

/* numpy's pairwise_sum for float64 */
static double pairwise (const double *a, int64_t n) {
  if (n < 8) {
    double res = 0.;
    for (int64_t i = 0; i < n; i++) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8], res;
    int64_t i;
    for (int k = 0; k < 8; k++) r[k] = a[k];
    for (i = 8; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; k++) r[k] += a[i + k];
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[i];
    return res;
  }
  int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

void m1d_mnist1d_templates (double *x, double *t, int64_t *y) {
  static const double d[10][12] = {
    {5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5},
    {5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5},
    {5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5},
    {5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5},
    {5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5},
    {5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5},
    {5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5},
    {5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5},
    {5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5},
    {5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5},
  };
  for (int r = 0; r < 10; r++) {
    double row[12], sq[12];
    memcpy(row, d[r], sizeof row);
    double mean = pairwise(row, 12) / 12;           /* x -= x.mean(1, keepdims=True) */
    for (int i = 0; i < 12; i++) row[i] -= mean;
    double m2 = pairwise(row, 12) / 12;             /* x /= x.std(1, keepdims=True) */
    for (int i = 0; i < 12; i++) { double e = row[i] - m2; sq[i] = e * e; }
    double sd = sqrt(pairwise(sq, 12) / 12);
    for (int i = 0; i < 12; i++) row[i] /= sd;
    double first = row[0];                          /* x -= x[:, :1] */
    for (int i = 0; i < 12; i++) x[r * 12 + i] = (row[i] - first) / 6.;
    y[r] = r;
  }
  m1d_mnist1d_linspace(-5, 5, 12, t);
  for (int i = 0; i < 12; i++) t[i] /= 6.;
}

/* ---- argument checks ---- */

int m1d_mnist1d_check (const m1d_Mnist1dArgs *a) {
  if (a->num_samples < 10)
    return m1d_failcode("mnist1d: num_samples must be at least 10 (got %lld): the dataset "
                        "has num_samples // 10 examples of each of the 10 digits", (long long)a->num_samples);
  if (!(a->train_split >= 0 && a->train_split <= 1))
    return m1d_failcode("mnist1d: train_split must be in [0, 1] (got %g)", a->train_split);
  if (a->template_len < 0)
    return m1d_failcode("mnist1d: template_len must be >= 0 (got %lld)", (long long)a->template_len);
  if (a->padding[0] < 0 || a->padding[1] < 0 || a->padding[0] > a->padding[1])
    return m1d_failcode("mnist1d: padding must be {lo, hi} with 0 <= lo <= hi (got {%lld, %lld})",
                        (long long)a->padding[0], (long long)a->padding[1]);
  const int64_t big = (int64_t)1 << 40;
  if (a->template_len > big || a->padding[1] > big)
    return m1d_failcode("mnist1d: template_len %lld + padding hi %lld is too large",
                        (long long)a->template_len, (long long)a->padding[1]);
  if (a->template_len + a->padding[1] < 2)
    return m1d_failcode("mnist1d: template_len + padding hi must be at least 2 (got %lld): the signal "
                        "is interpolated to that many points", (long long)(a->template_len + a->padding[1]));
  if (a->max_translation < 1)
    return m1d_failcode("mnist1d: max_translation must be >= 1 (got %lld): the shift is "
                        "np.random.choice(max_translation); 1 means no shift", (long long)a->max_translation);
  if (a->final_seq_length < 1)
    return m1d_failcode("mnist1d: final_seq_length must be >= 1 (got %lld)", (long long)a->final_seq_length);
  if (a->seed < 0 || a->seed > 4294967295LL)
    return m1d_failcode("mnist1d: seed must be in 0 .. 2^32-1 (got %lld), as np.random.seed requires",
                        (long long)a->seed);
  const struct { const char *name; double v; } reals[] = {
    {"scale_coeff", a->scale_coeff}, {"corr_noise_scale", a->corr_noise_scale},
    {"iid_noise_scale", a->iid_noise_scale}, {"shear_scale", a->shear_scale},
  };
  for (int i = 0; i < 4; i++)
    if (!isfinite(reals[i].v))
      return m1d_failcode("mnist1d: %s must be a finite number (got %g)", reals[i].name, reals[i].v);
  if (a->shuffle_seq != 0 && a->shuffle_seq != 1)
    return m1d_failcode("mnist1d: shuffle_seq must be 0 or 1 (got %d)", a->shuffle_seq);

  /* sizes: the dataset (raw rows + output) and the per-example scratch must fit */
  uint64_t ntot = 10 * (uint64_t)(a->num_samples / 10), len = (uint64_t)a->final_seq_length;
  uint64_t L = (uint64_t)(a->template_len + a->padding[1]), P = 12 + (uint64_t)a->padding[1];
  uint64_t lim = SIZE_MAX / 8 / 4;
  if (ntot > lim || (len && ntot > lim / len) || len > lim || L > lim / 16 || P > lim / 2)
    return m1d_failcode("mnist1d: %lld examples of length %lld (dilated length %lld) overflow memory sizes",
                        (long long)ntot, (long long)len, (long long)L);
  uint64_t need = 2 * 8 * ntot * len + 8 * ntot + 8 * (16 * L + 2 * P + 3 * len + 32);
#ifdef _SC_PHYS_PAGES
  long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
  if (pages > 0 && psize > 0 && need / (uint64_t)psize > (uint64_t)pages)
    return m1d_failcode("mnist1d: %lld examples of length %lld need %.3g GB, more than this machine's "
                        "%.3g GB of memory", (long long)ntot, (long long)len, need / 1e9,
                        (double)pages * (double)psize / 1e9);
#endif
  return 0;
}

/* ---- one example ---- */

struct m1d_Mnist1dWork {
  m1d_Mnist1dArgs a;
  int64_t L, N, P;                  /* dilated, final, max padded length */
  double templates_t[12], lin12[12];
  double *buf;                      /* one allocation for everything below */
  double *xp_pad, *padded, *lin_L, *shear_lin, *lin_N, *ext;
  double *dilated, *t_dilated, *scaled, *translated, *randn_corr, *corr_in, *corr_noise,
         *after_corr, *randn_iid, *after_iid, *sheared, *final, *t_final;
};

m1d_Mnist1dWork *m1d_mnist1d_work_new (const m1d_Mnist1dArgs *a) {
  if (m1d_mnist1d_check(a)) return NULL;
  m1d_Mnist1dWork *w = calloc(1, sizeof *w);
  if (w == NULL) return m1d_fail("mnist1d: out of memory");
  w->a = *a;
  w->L = a->template_len + a->padding[1];
  w->N = a->final_seq_length;
  w->P = 12 + a->padding[1];
  size_t L = (size_t)w->L, N = (size_t)w->N, P = (size_t)w->P;
  w->buf = malloc(sizeof(double) * (2 * P + 14 * L + (L + 2 * RADIUS) + 3 * N));
  if (w->buf == NULL) { free(w); return m1d_fail("mnist1d: out of memory (dilated length %lld)", (long long)L); }
  double *p = w->buf;
  w->xp_pad = p; p += P;  w->padded = p; p += P;
  w->lin_L = p; p += L;  w->shear_lin = p; p += L;
  w->dilated = p; p += L;  w->t_dilated = p; p += L;  w->scaled = p; p += L;
  w->translated = p; p += L;  w->randn_corr = p; p += L;  w->corr_in = p; p += L;
  w->corr_noise = p; p += L;  w->after_corr = p; p += L;  w->randn_iid = p; p += L;
  w->after_iid = p; p += L;  w->sheared = p; p += L;
  w->ext = p; p += L + 2 * RADIUS;
  w->lin_N = p; p += N;  w->final = p; p += N;  w->t_final = p;
  double tx[120];
  int64_t ty[10];
  m1d_mnist1d_templates(tx, w->templates_t, ty);
  m1d_mnist1d_linspace(0, 1, 12, w->lin12);
  m1d_mnist1d_linspace(0, 1, w->L, w->lin_L);
  m1d_mnist1d_linspace(-0.5, 0.5, w->L, w->shear_lin);
  m1d_mnist1d_linspace(0, 1, w->N, w->lin_N);
  /* the dilated and final t are the same for every example */
  m1d_mnist1d_interp(w->lin12, w->templates_t, 12, w->lin_L, w->L, w->t_dilated);
  m1d_mnist1d_interp(w->lin_L, w->t_dilated, w->L, w->lin_N, w->N, w->t_final);
  return w;
}

void m1d_mnist1d_work_free (m1d_Mnist1dWork *w) {
  if (w == NULL) return;
  free(w->buf);
  free(w);
}

void m1d_mnist1d_transform (m1d_Mnist1dWork *w, m1d_Rng *r, const double *tmpl,
                            double *x, double *t, m1d_Mnist1dTrace *tr) {
  const m1d_Mnist1dArgs *a = &w->a;
  int64_t L = w->L, N = w->N;

  /* pad: template + 1e-8, then p zeros */
  double r_pad = m1d_rng_double(r);
  int64_t p = a->padding[0] + (int64_t)(r_pad * (double)(a->padding[1] - a->padding[0] + 1));
  int64_t P = 12 + p;
  for (int i = 0; i < 12; i++) w->padded[i] = tmpl[i] + 1e-8;
  for (int64_t i = 12; i < P; i++) w->padded[i] = 0.0;

  /* dilate to L points */
  m1d_mnist1d_linspace(0, 1, P, w->xp_pad);
  m1d_mnist1d_interp(w->xp_pad, w->padded, P, w->lin_L, L, w->dilated);

  /* scale */
  double r_scale = m1d_rng_double(r);
  double s = 1 + a->scale_coeff * (r_scale - 0.5);
  for (int64_t i = 0; i < L; i++) w->scaled[i] = w->dilated[i] * s;

  /* translate: rotate right by k (np.concatenate([x[-k:], x[:-k]])) */
  int64_t k = (int64_t)m1d_rng_interval(r, (uint64_t)(a->max_translation - 1));
  if (k > 0 && k < L) {
    memcpy(w->translated, w->scaled + (L - k), sizeof(double) * (size_t)k);
    memcpy(w->translated + k, w->scaled, sizeof(double) * (size_t)(L - k));
  } else {
    memcpy(w->translated, w->scaled, sizeof(double) * (size_t)L);
  }

  /* correlated noise where the signal is exactly zero: mask*x + (1-mask)*noise */
  for (int64_t i = 0; i < L; i++) w->randn_corr[i] = m1d_rng_gauss(r);
  for (int64_t i = 0; i < L; i++) w->corr_in[i] = a->corr_noise_scale * w->randn_corr[i];
  m1d_mnist1d_gaussian_filter(w->corr_in, L, w->corr_noise, w->ext);
  for (int64_t i = 0; i < L; i++) {
    double m = w->translated[i] != 0 ? 1.0 : 0.0;
    w->after_corr[i] = m * w->translated[i] + (1.0 - m) * w->corr_noise[i];
  }

  /* iid noise */
  for (int64_t i = 0; i < L; i++) w->randn_iid[i] = m1d_rng_gauss(r);
  for (int64_t i = 0; i < L; i++) w->after_iid[i] = w->after_corr[i] + a->iid_noise_scale * w->randn_iid[i];

  /* shear */
  double r_shear = m1d_rng_double(r);
  double c = a->shear_scale * (r_shear - 0.5);
  for (int64_t i = 0; i < L; i++) w->sheared[i] = w->after_iid[i] - c * w->shear_lin[i];

  /* subsample to N points */
  m1d_mnist1d_interp(w->lin_L, w->sheared, L, w->lin_N, N, w->final);
  memcpy(x, w->final, sizeof(double) * (size_t)N);
  if (t) memcpy(t, w->t_final, sizeof(double) * (size_t)N);

  if (tr) {
    tr->p = p; tr->padded_len = P; tr->k = k;
    tr->r_pad = r_pad; tr->r_scale = r_scale; tr->scale_factor = s;
    tr->r_shear = r_shear; tr->shear_coeff = c;
    tr->padded = w->padded; tr->dilated = w->dilated; tr->t_dilated = w->t_dilated;
    tr->scaled = w->scaled; tr->translated = w->translated; tr->randn_corr = w->randn_corr;
    tr->corr_noise = w->corr_noise; tr->after_corr = w->after_corr; tr->randn_iid = w->randn_iid;
    tr->after_iid = w->after_iid; tr->sheared = w->sheared; tr->final = w->final;
    tr->t_final = w->t_final;
  }
}

/* ---- the dataset ---- */

/* Element e (in NumPy's memory order) of xs = raw[perm][:, seq_perm]. */
static double element (const double *raw, const int64_t *perm, const int64_t *sp,
                       int64_t n, int64_t len, int64_t e) {
  if (sp == NULL) return raw[perm[e / len] * len + e % len];
  int64_t j = e / n, i = e % n;                       /* Fortran order */
  return raw[perm[i] * len + sp[j]];
}

/* xs.sum() (or ((xs - mean)**2).sum() when centred) the way NumPy reduces:
   total += pairwise(chunk) over 8192-element chunks in memory order. */
static double chunked_sum (const double *raw, const int64_t *perm, const int64_t *sp,
                           int64_t n, int64_t len, int centred, double mean, double *chunk) {
  int64_t count = n * len;
  double total = 0;
  for (int64_t e0 = 0; e0 < count; e0 += CHUNK) {
    int64_t m = count - e0 < CHUNK ? count - e0 : CHUNK;
    for (int64_t q = 0; q < m; q++) {
      double v = element(raw, perm, sp, n, len, e0 + q);
      if (centred) { v = v - mean; v = v * v; }
      chunk[q] = v;
    }
    total += pairwise(chunk, m);
  }
  return total;
}

void m1d_mnist1d_free (m1d_Mnist1d *d) {
  if (d == NULL) return;
  free(d->x); free(d->y); free(d->x_test); free(d->y_test); free(d->t);
  free(d->perm); free(d->seq_perm);
  memset(d, 0, sizeof *d);
}

int m1d_mnist1d_generate (const m1d_Mnist1dArgs *a, m1d_Mnist1d *out) {
  memset(out, 0, sizeof *out);
  m1d_Mnist1dWork *w = m1d_mnist1d_work_new(a);        /* checks the arguments */
  if (w == NULL) return -1;
  int64_t spc = a->num_samples / 10, n = 10 * spc, len = a->final_seq_length;
  int64_t split = (int64_t)((double)n * a->train_split);
  if (split > n) split = n;
  size_t rowb = sizeof(double) * (size_t)len;
  double *raw = malloc(rowb * (size_t)n);
  double *chunk = malloc(sizeof(double) * CHUNK);
  out->x = malloc(split ? rowb * (size_t)split : 1);
  out->x_test = malloc(n - split ? rowb * (size_t)(n - split) : 1);
  out->y = malloc(sizeof(int64_t) * (size_t)(split ? split : 1));
  out->y_test = malloc(sizeof(int64_t) * (size_t)(n - split ? n - split : 1));
  out->t = malloc(rowb);
  out->perm = malloc(sizeof(int64_t) * (size_t)n);
  out->seq_perm = a->shuffle_seq ? malloc(sizeof(int64_t) * (size_t)len) : NULL;
  if (!raw || !chunk || !out->x || !out->x_test || !out->y || !out->y_test || !out->t || !out->perm
      || (a->shuffle_seq && !out->seq_perm)) {
    free(raw); free(chunk);
    m1d_mnist1d_work_free(w);
    m1d_mnist1d_free(out);
    return m1d_failcode("mnist1d: out of memory for %lld examples of length %lld",
                        (long long)n, (long long)len);
  }

  m1d_mnist1d_templates(out->templates_x, out->templates_t, out->templates_y);
  m1d_Rng rng;
  m1d_rng_seed(&rng, (uint32_t)a->seed);
  for (int label = 0; label < 10; label++)
    for (int64_t e = 0; e < spc; e++)
      m1d_mnist1d_transform(w, &rng, out->templates_x + 12 * label,
                            raw + (size_t)(label * spc + e) * (size_t)len, NULL, NULL);
  m1d_rng_permutation(&rng, n, out->perm);
  if (a->shuffle_seq) m1d_rng_permutation(&rng, len, out->seq_perm);

  const int64_t *sp = out->seq_perm;
  double total = chunked_sum(raw, out->perm, sp, n, len, 0, 0, chunk);
  double mean = total / (double)(n * len);
  double var = chunked_sum(raw, out->perm, sp, n, len, 1, mean, chunk) / (double)(n * len);
  double sd = sqrt(var);
  out->norm_mean = mean;
  out->norm_std = sd;
  for (int64_t i = 0; i < n; i++) {
    const double *src = raw + (size_t)out->perm[i] * (size_t)len;
    double *dst = i < split ? out->x + (size_t)i * (size_t)len : out->x_test + (size_t)(i - split) * (size_t)len;
    for (int64_t j = 0; j < len; j++) dst[j] = ((sp ? src[sp[j]] : src[j]) - mean) / sd;
    int64_t label = out->perm[i] / spc;
    if (i < split) out->y[i] = label; else out->y_test[i - split] = label;
  }
  for (int64_t j = 0; j < len; j++) out->t[j] = w->t_final[j] / sd;
  out->n_train = split;
  out->n_test = n - split;
  out->len = len;
  out->n_total = n;
  out->dilated_len = w->L;
  free(raw);
  free(chunk);
  m1d_mnist1d_work_free(w);
  return 0;
}
