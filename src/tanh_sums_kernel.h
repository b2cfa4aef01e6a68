/*
** tanh_sums_kernel.h — the one loop nest behind tanh_hsum and tanh_xsum (their forwards
** and first-order backwards), written once for float and once for double:
** ops_tanh_sums.c includes this file twice with REAL, TANH and SFX set.
**
** For element i of x, hidden unit j and row r of order m_r, with z_ij = a_j x_i + b_j
** and P_u = tanh^(u) (a polynomial in t = tanh(z), see tanh_poly_coefs), one pass over
** (i, j) computes any of
**   outN[r,i] = sum_j A[r,j] P_{m_r}(z_ij)           (tanh_hsum; tanh_xsum's dW)
**   outH[r,j] = sum_i B[r,i] P_{m_r}(z_ij)           (tanh_xsum; tanh_hsum's dC)
**   s_ij = sum_r A[r,j] B[r,i] P_{m_r+1}(z_ij), and from it
**   gx_i = sum_j a_j s_ij,  gb_j = sum_i s_ij,  ga_j = sum_i x_i s_ij
** (the gradients in x, b and a of both ops, whose derivative in z is the next order).
** The [N, H] layer is never stored: elements go in blocks of BLOCK (the hidden units
** are the inner loop), every loop is elementwise over a block and every sum has a fixed
** order, so results do not depend on the vector width.
*/
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define NAME(n) CAT(n, SFX)

/* sum_i u_i v_i (v NULL: sum_i u_i) in eight interleaved partial sums */
static M1D_ALWAYS_INLINE double NAME(dot_) (const REAL *u, const REAL *v, int n) {
  REAL part[8] = {0};
  int i = 0;
  if (v) { for (; i + 8 <= n; i += 8) for (int l = 0; l < 8; l++) part[l] += u[i + l] * v[i + l]; }
  else for (; i + 8 <= n; i += 8) for (int l = 0; l < 8; l++) part[l] += u[i + l];
  double s = 0;
  for (int l = 0; l < 8; l++) s += part[l];
  for (; i < n; i++) s += v ? (double)(u[i] * v[i]) : u[i];
  return s;
}

/* out = P_u(t) for u >= 2 by Horner in s = t^2 over the nonzero coefficients (P_u has
   the parity of u + 1: degree u + 1, every other power) */
static M1D_ALWAYS_INLINE void NAME(poly_) (int u, const REAL *co, const REAL *t, const REAL *s, REAL *out, int n) {
  int deg = u + 1;
  for (int i = 0; i < n; i++) out[i] = co[deg];
  for (int d = deg - 2; d >= 0; d -= 2)
    for (int i = 0; i < n; i++) out[i] = out[i] * s[i] + co[d];
  if (deg & 1) for (int i = 0; i < n; i++) out[i] *= t[i];
}

/* co: NCO coefficients per order 0 .. MAXP (co[u * NCO + d] multiplies t^d).
   work: BLOCK * (MAXP + R + 5) elements.  outH, ga, gb are doubles, zeroed by the caller. */
KERNEL static void NAME(tsum_pass_) (const REAL *x, int64_t N, const REAL *a, const REAL *b, int64_t H,
                                    int R, const int *ord, const REAL *co, const REAL *A, const REAL *B,
                                    REAL *outN, double *outH, REAL *gx, double *ga, double *gb, REAL *work) {
  REAL *t = work, *s = t + BLOCK, *s1 = s + BLOCK, *gxb = s1 + BLOCK, *accN = gxb + BLOCK,
       *P = accN + (size_t)R * BLOCK;                  /* P + u * BLOCK holds P_u, u >= 1 */
  const REAL *pp[MAXP + 1];
  int need[MAXP + 1] = {0}, maxu = 0, grad = gx || ga || gb;
  for (int r = 0; r < R; r++) {
    if (outN || outH) need[ord[r]] = 1;
    if (grad) need[ord[r] + 1] = 1;
  }
  for (int u = 0; u <= MAXP; u++) {
    pp[u] = u == 0 ? t : P + (size_t)u * BLOCK;
    if (need[u]) maxu = u;
  }
  for (int64_t i0 = 0; i0 < N; i0 += BLOCK) {
    int n = (int)(N - i0 < BLOCK ? N - i0 : BLOCK);
    const REAL *xi = x + i0;
    if (outN) memset(accN, 0, (size_t)R * BLOCK * sizeof(REAL));
    if (gx) memset(gxb, 0, BLOCK * sizeof(REAL));
    for (int64_t j = 0; j < H; j++) {
      REAL aj = a[j], bj = b[j];
      for (int i = 0; i < n; i++) t[i] = TANH(aj * xi[i] + bj);
      if (maxu >= 1) {
        for (int i = 0; i < n; i++) s[i] = t[i] * t[i];
        if (need[1]) for (int i = 0; i < n; i++) P[BLOCK + i] = 1 - s[i];
        for (int u = 2; u <= maxu; u++)
          if (need[u]) NAME(poly_)(u, co + u * NCO, t, s, P + (size_t)u * BLOCK, n);
      }
      if (outN)
        for (int r = 0; r < R; r++) {
          REAL arj = A[r * H + j], *acc = accN + (size_t)r * BLOCK;
          const REAL *p = pp[ord[r]];
          for (int i = 0; i < n; i++) acc[i] += arj * p[i];
        }
      if (outH)
        for (int r = 0; r < R; r++) outH[r * H + j] += NAME(dot_)(B + r * N + i0, pp[ord[r]], n);
      if (grad) {
        for (int i = 0; i < n; i++) s1[i] = 0;
        for (int r = 0; r < R; r++) {
          REAL arj = A[r * H + j];
          const REAL *br = B + r * N + i0, *p = pp[ord[r] + 1];
          for (int i = 0; i < n; i++) s1[i] += arj * br[i] * p[i];
        }
        if (gx) for (int i = 0; i < n; i++) gxb[i] += aj * s1[i];
        if (gb) gb[j] += NAME(dot_)(s1, NULL, n);
        if (ga) ga[j] += NAME(dot_)(s1, xi, n);
      }
    }
    if (outN) for (int r = 0; r < R; r++) memcpy(outN + r * N + i0, accN + (size_t)r * BLOCK, (size_t)n * sizeof(REAL));
    if (gx) memcpy(gx + i0, gxb, (size_t)n * sizeof(REAL));
  }
}

#undef NAME
#undef CAT
#undef CAT_
