/*
** test_rng.c — the NumPy legacy RandomState port (rng.c) against vectors that
** NumPy 1.24 produced (tests/fixtures/mnist1d/components/, see its README.md):
** seeding state, raw MT19937 words, 53-bit doubles, polar gaussians with the
** cache, choice (masked rejection, n = 1 consumes nothing), permutation.
** Every comparison is exact.  Run from the repository root.
*/
#include <stdio.h>
#include <string.h>
#include "tap.h"
#include "npy.h"
#include "rng.h"

#define FIX "tests/fixtures/mnist1d/components/"

static int load (const char *name, m1d_NpyArray *a) {
  char path[256];
  snprintf(path, sizeof path, FIX "%s", name);
  if (m1d_npy_read(path, a) == 0) return 0;
  ok(0, "load %s: %s", name, m1d_errmsg());
  return -1;
}

int main (void) {
  m1d_NpyArray a, b;
  m1d_Rng r;

  if (load("mt19937_seed42_key_after_seeding.npy", &a) == 0) {
    m1d_rng_seed(&r, 42);
    int64_t *k = a.data;
    int bad = -1;
    for (int i = 0; i < 624 && bad < 0; i++) if ((int64_t)r.key[i] != k[i]) bad = i;
    ok(bad < 0 && r.pos == 624 && !r.has_gauss, "seed(42): 624-word key, pos 624, no cached gaussian (first diff %d)", bad);
    m1d_npy_free(&a);
  }

  if (load("mt19937_seed42_raw_uint32.npy", &a) == 0) {
    m1d_rng_seed(&r, 42);
    int64_t *v = a.data;
    int bad = -1;
    for (int i = 0; i < 2000; i++) if ((int64_t)m1d_rng_u32(&r) != v[i] && bad < 0) bad = i;
    ok(bad < 0 && a.shape[0] == 2000, "seed(42): 2000 raw uint32 outputs (first diff %d)", bad);
    m1d_npy_free(&a);
  }

  if (load("mt19937_seeds.npy", &a) == 0 && load("mt19937_seeds_first8_uint32.npy", &b) == 0) {
    int64_t *seeds = a.data, *want = b.data;
    for (int s = 0; s < 6; s++) {
      m1d_rng_seed(&r, (uint32_t)seeds[s]);
      int good = 1;
      for (int i = 0; i < 8; i++) good &= (int64_t)m1d_rng_u32(&r) == want[s * 8 + i];
      ok(good, "seed(%lld): first 8 raw outputs", (long long)seeds[s]);
    }
    m1d_npy_free(&a); m1d_npy_free(&b);
  }

  if (load("random_sample_seed42.npy", &a) == 0) {
    m1d_rng_seed(&r, 42);
    double *v = a.data;
    int bad = -1;
    for (int i = 0; i < 1000; i++) if (m1d_rng_double(&r) != v[i] && bad < 0) bad = i;
    ok(bad < 0, "random_sample(1000) bit-exact (first diff %d)", bad);
    m1d_npy_free(&a);
  }

  if (load("standard_normal_seed42.npy", &a) == 0) {
    m1d_rng_seed(&r, 42);
    double *v = a.data;
    int bad = -1;
    for (int i = 0; i < 1000; i++) if (m1d_rng_gauss(&r) != v[i] && bad < 0) bad = i;
    ok(bad < 0, "standard_normal(1000) bit-exact (first diff %d)", bad);
    m1d_npy_free(&a);
  }

  if (load("legacy_interleaved_seed42.npy", &a) == 0) {
    /* randn(3) rand() randn(1) choice(48) randn(5) rand() randn(1) randn(2) */
    double got[15];
    int k = 0;
    m1d_rng_seed(&r, 42);
    for (int i = 0; i < 3; i++) got[k++] = m1d_rng_gauss(&r);
    got[k++] = m1d_rng_double(&r);
    got[k++] = m1d_rng_gauss(&r);
    got[k++] = (double)m1d_rng_interval(&r, 47);
    for (int i = 0; i < 5; i++) got[k++] = m1d_rng_gauss(&r);
    got[k++] = m1d_rng_double(&r);
    got[k++] = m1d_rng_gauss(&r);
    for (int i = 0; i < 2; i++) got[k++] = m1d_rng_gauss(&r);
    ok(memcmp(got, a.data, sizeof got) == 0, "interleaved randn/rand/choice keep the gaussian cache");
    m1d_npy_free(&a);
  }

  if (load("choice48_seed42.npy", &a) == 0) {
    m1d_rng_seed(&r, 42);
    int64_t *v = a.data;
    int bad = -1;
    for (int i = 0; i < 1000; i++) if ((int64_t)m1d_rng_interval(&r, 47) != v[i] && bad < 0) bad = i;
    ok(bad < 0, "choice(48) x 1000 (first diff %d)", bad);
    m1d_npy_free(&a);
  }

  m1d_NpyArray c;
  if (load("choice_n_values.npy", &a) == 0 && load("choice_cases_seed42.npy", &b) == 0
      && load("choice_cases_next_raw_uint32.npy", &c) == 0) {
    int64_t *ns = a.data, *want = b.data, *next = c.data;
    for (int k = 0; k < 8; k++) {
      m1d_rng_seed(&r, 42);
      int good = 1;
      for (int i = 0; i < 200; i++) good &= (int64_t)m1d_rng_interval(&r, (uint64_t)ns[k] - 1) == want[k * 200 + i];
      ok(good && (int64_t)m1d_rng_u32(&r) == next[k], "choice(%lld) x 200 and the next raw output", (long long)ns[k]);
    }
    m1d_npy_free(&a); m1d_npy_free(&b); m1d_npy_free(&c);
  }

  static int64_t perm[5000];
  if (load("permutation5000_seed42.npy", &a) == 0) {
    m1d_rng_seed(&r, 42);
    m1d_rng_permutation(&r, 5000, perm);
    ok(memcmp(perm, a.data, sizeof perm) == 0, "permutation(5000)");
    m1d_npy_free(&a);
  }
  if (load("permutation40_seed42.npy", &a) == 0) {
    m1d_rng_seed(&r, 42);
    m1d_rng_permutation(&r, 40, perm);
    ok(memcmp(perm, a.data, 40 * sizeof perm[0]) == 0, "permutation(40)");
    m1d_npy_free(&a);
  }

  /* edge cases: permutation(0) and (1) consume nothing, seed clears the cache */
  m1d_rng_seed(&r, 7);
  m1d_rng_permutation(&r, 0, perm);
  m1d_rng_permutation(&r, 1, perm);
  uint32_t first = m1d_rng_u32(&r);
  m1d_rng_seed(&r, 7);
  ok(perm[0] == 0 && first == m1d_rng_u32(&r), "permutation(0) and (1) consume no output");
  m1d_rng_gauss(&r);
  ok(r.has_gauss, "a gaussian pair leaves one value cached");
  m1d_rng_seed(&r, 7);
  ok(!r.has_gauss, "seed clears the cached gaussian");
  /* 64-bit bounded draws stay in range */
  int inrange = 1;
  for (int i = 0; i < 1000; i++) inrange &= m1d_rng_interval(&r, 5000000000ULL) <= 5000000000ULL;
  ok(inrange, "interval(5e9) draws stay in [0, 5e9]");
  return done_testing();
}
