/*
** time_mnist1d.c — wall time of the C MNIST-1D generator (src/mnist1d.c) for
** the default dataset and a 51,000-sample one (the largest of the pooling
** study), best of R runs, plus the SHA-256 of x so runs can be compared with
** tools/ref_mnist1d.py --out.  Not built by `make`; from the repository root:
**   make && gcc -std=c99 -O2 -ffp-contract=off -Isrc -o build/time_mnist1d \
**        tools/time_mnist1d.c build/libm1d.a $(pkg-config --libs openblas) -lm
**   build/time_mnist1d [repeats]
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "mnist1d.h"
#include "sha256.h"
#include "tensor.h"

static double now (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main (int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  const struct { int64_t n; double split; } runs[] = {{5000, 0.8}, {51000, 1 - 1000.0 / 51000}};
  for (int k = 0; k < 2; k++) {
    m1d_Mnist1dArgs a;
    m1d_Mnist1d d;
    m1d_mnist1d_defaults(&a);
    a.num_samples = runs[k].n;
    a.train_split = runs[k].split;
    double best = 1e30;
    char hex[65] = "";
    for (int r = 0; r < (reps > 0 ? reps : 1); r++) {
      double t0 = now();
      if (m1d_mnist1d_generate(&a, &d)) { fprintf(stderr, "%s\n", m1d_errmsg()); return 1; }
      double dt = now() - t0;
      if (dt < best) best = dt;
      m1d_sha256_hex(d.x, sizeof(double) * (size_t)(d.n_train * d.len), hex);
      m1d_mnist1d_free(&d);
    }
    printf("C m1d_mnist1d_generate: num_samples=%lld  best of %d: %.4f s  sha256(x)=%.16s...\n",
           (long long)runs[k].n, reps, best, hex);
  }
  return 0;
}
