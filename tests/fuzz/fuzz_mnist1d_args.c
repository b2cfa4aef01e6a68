/*
** fuzz_mnist1d_args.c — libFuzzer target for the generator's argument checks
** (m1d_mnist1d_check) and, when they pass and the sizes are small, for generation itself
** (m1d_mnist1d_generate, and m1d_mnist1d_transform with a trace).  Built and run by
** `make fuzz`; seeds in tests/fuzz/corpus/fuzz_mnist1d_args/.
**
** Input: for each argument a selector byte, then its value.  Selector bit 0 set: a raw
** 8-byte value (any int64, any double including NaN and Inf), so huge, negative and
** overflowing sizes reach the checks; clear: a small value from one more byte, so that
** valid argument sets are common.  Missing bytes read as zero.
**
** Checked: the checks never crash or overflow (ASan, UBSan); a rejection leaves a
** message starting "mnist1d: "; an accepted set with at most 40 examples, dilated length
** <= 300 and final length <= 200 generates a dataset with 10 * (num_samples / 10) rows
** split at (int64)(rows * train_split), labels 0..9, a permutation in perm and finite
** values when the scales are moderate.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mnist1d.h"
#include "rng.h"
#include "tensor.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_mnist1d_args: check failed: %s\n", #c); abort(); } } while (0)

typedef struct { const uint8_t *p; size_t n; } In;

static uint8_t byte (In *in) {
  if (in->n == 0) return 0;
  in->n--;
  return *in->p++;
}

static uint64_t raw8 (In *in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)byte(in) << (8 * i);
  return v;
}

/* small: lo + b % span */
static int64_t int_arg (In *in, int64_t lo, int span) {
  if (byte(in) & 1) return (int64_t)raw8(in);
  return lo + byte(in) % span;
}

static double real_arg (In *in, double scale) {
  if (byte(in) & 1) { uint64_t u = raw8(in); double d; memcpy(&d, &u, sizeof d); return d; }
  return (double)(int8_t)byte(in) * scale;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  In in = {data, size};
  m1d_Mnist1dArgs a;
  m1d_mnist1d_defaults(&a);
  a.num_samples = int_arg(&in, 0, 110);
  a.train_split = real_arg(&in, 1.0 / 100);
  a.template_len = int_arg(&in, -2, 40);
  a.padding[0] = int_arg(&in, -2, 80);
  a.padding[1] = int_arg(&in, -2, 100);
  a.scale_coeff = real_arg(&in, 1.0 / 50);
  a.max_translation = int_arg(&in, -2, 120);
  a.corr_noise_scale = real_arg(&in, 1.0 / 100);
  a.iid_noise_scale = real_arg(&in, 1.0 / 1000);
  a.shear_scale = real_arg(&in, 1.0 / 50);
  a.shuffle_seq = (int)int_arg(&in, 0, 3);
  a.final_seq_length = int_arg(&in, -2, 80);
  a.seed = int_arg(&in, 0, 256);

  if (m1d_mnist1d_check(&a) != 0) {
    CHECK(strncmp(m1d_errmsg(), "mnist1d: ", 9) == 0);
    m1d_Mnist1d d;
    CHECK(m1d_mnist1d_generate(&a, &d) != 0);        /* generate checks the same way */
    CHECK(d.x == NULL && d.perm == NULL);
    CHECK(m1d_mnist1d_work_new(&a) == NULL);
    return 0;
  }
  int64_t L = a.template_len + a.padding[1];
  if (a.num_samples > 40 || L > 300 || a.final_seq_length > 200) return 0;   /* keep execs fast */

  /* one transform with every intermediate exposed */
  m1d_Mnist1dWork *w = m1d_mnist1d_work_new(&a);
  CHECK(w != NULL);
  double tx[120], tt[12], x[200], t[200];
  int64_t ty[10];
  m1d_mnist1d_templates(tx, tt, ty);
  m1d_Rng r;
  m1d_rng_seed(&r, (uint32_t)a.seed);
  m1d_Mnist1dTrace tr;
  m1d_mnist1d_transform(w, &r, tx + 12 * (a.seed % 10), x, t, &tr);
  CHECK(tr.padded_len >= 12 && tr.padded_len <= 12 + a.padding[1]);
  CHECK(tr.k >= 0 && tr.k < a.max_translation);
  m1d_mnist1d_work_free(w);

  m1d_Mnist1d d;
  CHECK(m1d_mnist1d_generate(&a, &d) == 0);
  int64_t n = 10 * (a.num_samples / 10);
  CHECK(d.n_total == n && d.n_train + d.n_test == n);
  CHECK(d.n_train == (int64_t)((double)n * a.train_split));
  CHECK(d.len == a.final_seq_length);
  int64_t seen[40] = {0};
  for (int64_t i = 0; i < n; i++) {
    CHECK(d.perm[i] >= 0 && d.perm[i] < n && !seen[d.perm[i]]);
    seen[d.perm[i]] = 1;
  }
  for (int64_t i = 0; i < d.n_train; i++) CHECK(d.y[i] >= 0 && d.y[i] <= 9);
  for (int64_t i = 0; i < d.n_test; i++) CHECK(d.y_test[i] >= 0 && d.y_test[i] <= 9);
  int moderate = fabs(a.scale_coeff) < 100 && fabs(a.corr_noise_scale) < 100 &&
                 fabs(a.iid_noise_scale) < 100 && fabs(a.shear_scale) < 100;
  if (moderate) {
    for (int64_t i = 0; i < d.n_train * d.len; i++) CHECK(isfinite(d.x[i]) || d.norm_std == 0);
    CHECK(isfinite(d.norm_mean));
  }
  if (a.shuffle_seq) CHECK(d.seq_perm != NULL);
  m1d_mnist1d_free(&d);
  return 0;
}
