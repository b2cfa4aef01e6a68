/*
** pointwise_mlp_kernel.h — the loops of the fused pointwise MLP, written once
** for float and once for double: ops_pointwise_mlp.c includes this file twice,
** with REAL (the element type), TANH (its tanh) and SFX (a name suffix) set.
**
** Notation (see ops_pointwise_mlp.c): for an element x and hidden unit j,
** t = tanh(a_j x + b_j), q = 1 - t^2, and P_k(t) = tanh^(k)(a_j x + b_j), the
** k-th derivative of tanh, is a polynomial in t times q for k >= 1.
**
** Every loop is elementwise over a block of BLOCK input elements (the hidden
** units are the outer loop), so the compiler vectorises it without
** reassociating anything: the results do not depend on the vector width.
*/
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define NAME(n) CAT(n, SFX)

/* P_k(t) over n elements, k <= 5: k = 0 and 1 are t and q themselves, others go to buf. */
static M1D_ALWAYS_INLINE const REAL *NAME(poly_) (int k, const REAL *t, const REAL *q, REAL *buf, int n) {
  switch (k) {
    case 0: return t;
    case 1: return q;
    case 2: for (int i = 0; i < n; i++) buf[i] = -2 * t[i] * q[i]; break;
    case 3: for (int i = 0; i < n; i++) buf[i] = (6 * t[i] * t[i] - 2) * q[i]; break;
    case 4: for (int i = 0; i < n; i++) buf[i] = (16 - 24 * t[i] * t[i]) * t[i] * q[i]; break;
    default: for (int i = 0; i < n; i++) buf[i] = (16 + t[i] * t[i] * (120 * t[i] * t[i] - 120)) * q[i]; break;
  }
  return buf;
}

/* A sum in eight interleaved partial sums (vectorisable, and the same on every machine). */
static M1D_ALWAYS_INLINE double NAME(sum_) (const REAL *v, int n) {
  REAL part[8] = {0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) part[l] += v[i + l];
  double s = 0;
  for (int l = 0; l < 8; l++) s += part[l];
  for (; i < n; i++) s += v[i];
  return s;
}

/* t = tanh(a x + b) and q = 1 - t^2 over one block */
static M1D_ALWAYS_INLINE void NAME(hidden_) (REAL a, REAL b, const REAL *x, REAL *t, REAL *q, int n) {
  for (int i = 0; i < n; i++) t[i] = TANH(a * x[i] + b);
  for (int i = 0; i < n; i++) q[i] = 1 - t[i] * t[i];
}

/* out[k][i] = sum_j c_j a_j^k P_k(t_ij) for k < K: the function and K - 1 derivatives. */
KERNEL static void NAME(pmlp_forward_) (const REAL *x, int64_t N, const REAL *a, const REAL *b, const REAL *c,
                                 int64_t H, int K, REAL *out) {
  REAL t[BLOCK], q[BLOCK], buf[BLOCK], acc[MAXROWS + 1][BLOCK];
  for (int64_t i0 = 0; i0 < N; i0 += BLOCK) {
    int n = (int)(N - i0 < BLOCK ? N - i0 : BLOCK);
    const REAL *xi = x + i0;
    memset(acc, 0, sizeof acc);
    for (int64_t j = 0; j < H; j++) {
      REAL aj = a[j], bj = b[j], cj = c[j], ca = c[j] * a[j];
      if (K == 1) {                                    /* the common cases in one loop each */
        for (int i = 0; i < n; i++) acc[0][i] += cj * TANH(aj * xi[i] + bj);
        continue;
      }
      if (K == 2) {
        for (int i = 0; i < n; i++) {
          REAL ti = TANH(aj * xi[i] + bj);
          acc[0][i] += cj * ti;
          acc[1][i] += ca * (1 - ti * ti);
        }
        continue;
      }
      NAME(hidden_)(aj, bj, xi, t, q, n);
      REAL w = cj;                                     /* c_j a_j^k */
      for (int k = 0; k < K; k++, w *= a[j]) {
        const REAL *p = NAME(poly_)(k, t, q, buf, n);
        for (int i = 0; i < n; i++) acc[k][i] += w * p[i];
      }
    }
    for (int k = 0; k < K; k++) memcpy(out + k * N + i0, acc[k], (size_t)n * sizeof(REAL));
  }
}

/* The first-order backward, given gy[k][i] (the gradient of out[k][i]):
     gx_i  = sum_j c_j a_j S1_ij
     gc_j  = sum_i S0_ij,   gb_j = c_j sum_i S1_ij,   ga_j = c_j sum_i (S2_ij + x_i S1_ij)
   with S0 = sum_k gy_k a^k P_k,  S1 = sum_k gy_k a^k P_{k+1},  S2 = sum_k gy_k k a^(k-1) P_k.
   gx may be NULL; ga, gb, gc (doubles, zeroed by the caller) are skipped when params is 0. */
KERNEL static void NAME(pmlp_backward_) (const REAL *x, int64_t N, const REAL *a, const REAL *b, const REAL *c,
                                  int64_t H, int K, const REAL *gy, REAL *gx, int params,
                                  double *ga, double *gb, double *gc) {
  REAL t[BLOCK], q[BLOCK], buf[BLOCK], buf2[BLOCK], s0[BLOCK], s1[BLOCK], s2[BLOCK], gxb[BLOCK];
  for (int64_t i0 = 0; i0 < N; i0 += BLOCK) {
    int n = (int)(N - i0 < BLOCK ? N - i0 : BLOCK);
    const REAL *xi = x + i0;
    memset(gxb, 0, sizeof gxb);
    for (int64_t j = 0; j < H; j++) {
      REAL aj = a[j], bj = b[j], ca = c[j] * a[j];
      if (K == 1) {                                    /* g alone: everything in one loop */
        const REAL *g0 = gy + i0;
        for (int i = 0; i < n; i++) {
          REAL ti = TANH(aj * xi[i] + bj), s1i = g0[i] * (1 - ti * ti);
          gxb[i] += ca * s1i;
          s1[i] = s1i;
          s0[i] = g0[i] * ti;
          s2[i] = xi[i] * s1i;
        }
        if (params) {
          gc[j] += NAME(sum_)(s0, n);
          gb[j] += c[j] * NAME(sum_)(s1, n);
          ga[j] += c[j] * NAME(sum_)(s2, n);
        }
        continue;
      }
      if (K == 2) {                                    /* g and g': everything in one loop */
        const REAL *g0 = gy + i0, *g1 = gy + N + i0;
        for (int i = 0; i < n; i++) {
          REAL ti = TANH(aj * xi[i] + bj), qi = 1 - ti * ti;
          REAL s1i = g0[i] * qi + aj * g1[i] * (-2 * ti * qi);
          gxb[i] += ca * s1i;
          s1[i] = s1i;
          s0[i] = g0[i] * ti + aj * g1[i] * qi;
          s2[i] = g1[i] * qi + xi[i] * s1i;
        }
        if (params) {
          gc[j] += NAME(sum_)(s0, n);
          gb[j] += c[j] * NAME(sum_)(s1, n);
          ga[j] += c[j] * NAME(sum_)(s2, n);
        }
        continue;
      }
      NAME(hidden_)(aj, bj, xi, t, q, n);
      memset(s0, 0, sizeof s0); memset(s1, 0, sizeof s1); memset(s2, 0, sizeof s2);
      REAL ak = 1, kak1 = 0;                           /* a^k and k a^(k-1) */
      const REAL *pk = t;
      for (int k = 0; k < K; k++) {
        const REAL *gk = gy + k * N + i0;
        const REAL *pk1 = NAME(poly_)(k + 1, t, q, (k & 1) ? buf : buf2, n);
        for (int i = 0; i < n; i++) s1[i] += ak * gk[i] * pk1[i];
        if (params) {
          for (int i = 0; i < n; i++) s0[i] += ak * gk[i] * pk[i];
          if (k > 0) for (int i = 0; i < n; i++) s2[i] += kak1 * gk[i] * pk[i];
        }
        kak1 = (k + 1) * ak;
        ak *= aj;
        pk = pk1;
      }
      if (gx) for (int i = 0; i < n; i++) gxb[i] += ca * s1[i];
      if (params) {
        for (int i = 0; i < n; i++) s2[i] += xi[i] * s1[i];
        gc[j] += NAME(sum_)(s0, n);
        gb[j] += c[j] * NAME(sum_)(s1, n);
        ga[j] += c[j] * NAME(sum_)(s2, n);
      }
    }
    if (gx) memcpy(gx + i0, gxb, (size_t)n * sizeof(REAL));
  }
}

#undef NAME
#undef CAT
#undef CAT_
