/*
** mnist1d.h — the MNIST-1D generator (Greydanus & Kobak), bit-compatible with
** the reference Python package's make_dataset() under NumPy's legacy
** RandomState: the same arguments give the same arrays, bit for bit.
**
** All outputs are plain malloc'd arrays (row-major, float64 / int64), so the
** generator needs neither tensors nor Lua.  The numerical building blocks
** (linspace, np.interp, scipy's gaussian_filter with sigma 2, the per-example
** transform with an optional step-by-step trace) are exported for the tests.
*/
#ifndef M1D_MNIST1D_H
#define M1D_MNIST1D_H

#include <stdint.h>
#include "rng.h"

/* The arguments of get_dataset_args(), with the same names and meaning. */
typedef struct {
  int64_t num_samples;        /* 5000; the dataset has 10 * (num_samples / 10) rows */
  double train_split;         /* 0.8; split index = (int64)(n_total * train_split) */
  int64_t template_len;       /* 12; only used in the dilated length template_len + padding[1] */
  int64_t padding[2];         /* {36, 60}; zeros appended: uniform in padding[0]..padding[1] */
  double scale_coeff;         /* 0.4 */
  int64_t max_translation;    /* 48; shift k = choice(max_translation) */
  double corr_noise_scale;    /* 0.25 */
  double iid_noise_scale;     /* 2e-2 */
  double shear_scale;         /* 0.75 */
  int shuffle_seq;            /* 0; 1 permutes the final_seq_length columns */
  int64_t final_seq_length;   /* 40 */
  int64_t seed;               /* 42; 0 .. 2^32-1 (np.random.seed) */
} m1d_Mnist1dArgs;

void m1d_mnist1d_defaults (m1d_Mnist1dArgs *a);
/* 0 if make_dataset would accept a and produce a dataset; else -1 and a message
   "mnist1d: <argument> ...". */
int m1d_mnist1d_check (const m1d_Mnist1dArgs *a);

typedef struct {
  int64_t n_train, n_test, len;     /* len = final_seq_length */
  double *x;                        /* [n_train, len] */
  int64_t *y;                       /* [n_train] */
  double *x_test;                   /* [n_test, len] */
  int64_t *y_test;                  /* [n_test] */
  double *t;                        /* [len] */
  double templates_x[10 * 12];
  double templates_t[12];
  int64_t templates_y[10];
  /* derived facts (for tests and provenance) */
  int64_t n_total, dilated_len;
  int64_t *perm;                    /* [n_total]: output row i is generated example perm[i] */
  int64_t *seq_perm;                /* [len] when shuffle_seq, else NULL */
  double norm_mean, norm_std;       /* xs.mean(), xs.std() before normalisation */
} m1d_Mnist1d;

/* make_dataset(args).  On failure -1, out zeroed, nothing to free. */
int m1d_mnist1d_generate (const m1d_Mnist1dArgs *a, m1d_Mnist1d *out);
void m1d_mnist1d_free (m1d_Mnist1d *d);

/* get_templates(): x [10,12] (normalised digits), t [12] = linspace(-5,5,12)/6, y = 0..9. */
void m1d_mnist1d_templates (double *x, double *t, int64_t *y);

/* ---- building blocks (exported for tests) ---- */

/* np.linspace(a, b, n): i*step + a, last element forced to b. */
void m1d_mnist1d_linspace (double a, double b, int64_t n, double *out);
/* np.interp(q, xp, fp) for increasing xp (n >= 1). */
void m1d_mnist1d_interp (const double *xp, const double *fp, int64_t n,
                         const double *q, int64_t nq, double *out);
/* scipy.ndimage.gaussian_filter(v, 2) for 1-D v (reflect mode, radius 8).
   out must not alias v; tmp has room for n + 16 doubles. */
void m1d_mnist1d_gaussian_filter (const double *v, int64_t n, double *out, double *tmp);
/* The 17 weights of that filter (scipy's, built with NumPy's SIMD exp). */
extern const double m1d_mnist1d_kernel[17];

/* One call of transform() with every intermediate exposed (pointers into the
   work area, valid until the next call). */
typedef struct {
  int64_t p, padded_len, k;
  double r_pad, r_scale, scale_factor, r_shear, shear_coeff;
  const double *padded, *dilated, *t_dilated, *scaled, *translated, *randn_corr,
               *corr_noise, *after_corr, *randn_iid, *after_iid, *sheared, *final, *t_final;
} m1d_Mnist1dTrace;

typedef struct m1d_Mnist1dWork m1d_Mnist1dWork;
/* Scratch for transform(); checks a first (NULL + message on bad arguments). */
m1d_Mnist1dWork *m1d_mnist1d_work_new (const m1d_Mnist1dArgs *a);
void m1d_mnist1d_work_free (m1d_Mnist1dWork *w);
/* transform(template_row, templates_t, args): draws from r exactly as Python;
   writes final_seq_length values to x and (if not NULL) to t; fills trace if not NULL. */
void m1d_mnist1d_transform (m1d_Mnist1dWork *w, m1d_Rng *r, const double *template_row,
                            double *x, double *t, m1d_Mnist1dTrace *trace);

#endif
