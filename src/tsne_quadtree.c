/*
** tsne_quadtree.c — Barnes-Hut repulsion for 2-D t-SNE.
**
** The repulsive part of the gradient needs, for every point i, sum_j w_ij^2 (y_i - y_j)
** and the normaliser Z = sum_{i != j} w_ij, w_ij = 1 / (1 + |y_i - y_j|^2): O(N^2).
** Barnes-Hut replaces a whole cell of the quadtree by its centre of mass when the cell
** looks small: width < theta * distance (scikit-learn's angle: the cell's full width,
** so theta = 0.5 here is at least as accurate as sklearn's angle = 0.5).
**
** Layout, chosen for a fast traversal: the tree is rebuilt every iteration by
** partitioning a permutation of the points, so every cell covers a contiguous range
** [lo, hi) of the permuted (sorted) points; the nodes are stored in depth-first order,
** each with `skip`, the index just past its subtree.  Visiting a tree is then one loop:
** summarise a cell and jump to skip, or step into its first child at index + 1.  The
** permutation is kept from one iteration to the next (m1d_TsneWork): the points move
** little, so the partitions find them nearly in place (few swaps, predictable branches).
**
** Points are handled in groups, the largest cells holding at most GROUP_SIZE points.
** One walk of the tree per group collects the bodies (summarised cells, and the single
** points of near leaves) with a criterion that holds for every point of the group
** (width < theta * distance from the group's bounding circle), so the result is at
** least as accurate as a walk per point; then a branch-free kernel sums all bodies for
** 8 points at a time, in float32 as sklearn's Barnes-Hut (see group_forces).  The
** group's own points are among the bodies (cells overlapping the group are never
** summarised): a point meets itself at distance 0, which adds exactly 1 to its Z and
** nothing to its force, and that 1 is taken off.  With theta = 0
** no cell is summarised and the result is the exact sum (to float32 rounding).
*/
#include <math.h>
#include <stdlib.h>
#include "tensor.h"
#include "tsne.h"

#define LEAF_SIZE 8           /* cells with at most this many points are leaves */
#define GROUP_SIZE 64         /* points sharing one walk of the tree (16..256 measured at n = 5000: 64 fastest) */
#define MAX_DEPTH 48          /* deeper cells only hold (near-)duplicate points: a leaf */

typedef struct {
  double cx, cy;              /* centre of mass */
  double w;                   /* width of the (square) cell */
  int32_t lo, hi;             /* its points: sorted positions lo .. hi-1 */
  int32_t skip;               /* index of the node after this subtree */
  int32_t leaf;
} Node;

struct m1d_TsneWork {
  int64_t n;
  int32_t *perm;              /* sorted position -> point; kept between calls */
  double *ys;                 /* the points in sorted order [n, 2] */
  float *bx, *by, *bm;        /* one group's bodies: position relative to the group's
                                 centre, and mass (at most n of them) */
  Node *nodes;
  int32_t count, cap;
};

m1d_TsneWork *m1d_tsne_work_new (int64_t n) {
  if (n < 1 || n > INT32_MAX / 2) return m1d_fail("tsne: Barnes-Hut takes 1 to %d points, not %lld",
                                                   INT32_MAX / 2, (long long)n);
  m1d_TsneWork *w = calloc(1, sizeof *w);
  if (!w) return m1d_fail("tsne: out of memory for the quadtree (n = %lld)", (long long)n);
  w->n = n; w->cap = 64;
  w->perm = malloc((size_t)n * sizeof *w->perm);
  w->ys = malloc((size_t)(2 * n) * sizeof *w->ys);
  w->bx = malloc((size_t)n * sizeof *w->bx);
  w->by = malloc((size_t)n * sizeof *w->by);
  w->bm = malloc((size_t)n * sizeof *w->bm);
  w->nodes = malloc((size_t)w->cap * sizeof *w->nodes);
  if (!w->perm || !w->ys || !w->bx || !w->by || !w->bm || !w->nodes) {
    m1d_tsne_work_free(w);
    return m1d_fail("tsne: out of memory for the quadtree (n = %lld)", (long long)n);
  }
  for (int64_t i = 0; i < n; i++) w->perm[i] = (int32_t)i;
  return w;
}

void m1d_tsne_work_free (m1d_TsneWork *w) {
  if (!w) return;
  free(w->perm); free(w->ys); free(w->bx); free(w->by); free(w->bm); free(w->nodes);
  free(w);
}

static int32_t new_node (m1d_TsneWork *t) {
  if (t->count == t->cap) {
    Node *nodes = realloc(t->nodes, (size_t)t->cap * 2 * sizeof *nodes);
    if (!nodes) return -1;
    t->nodes = nodes; t->cap *= 2;
  }
  return t->count++;
}

/* moves the points of perm[lo, hi) with coordinate `axis` below `mid` first (no swap
   when they already are); returns the split */
static int32_t partition (int32_t *perm, const double *y, int32_t lo, int32_t hi, int axis, double mid) {
  int32_t a = lo, b = hi - 1;
  for (;;) {
    while (a <= b && y[2 * perm[a] + axis] < mid) a++;
    while (a <= b && !(y[2 * perm[b] + axis] < mid)) b--;
    if (a >= b) return a;
    int32_t tmp = perm[a]; perm[a] = perm[b]; perm[b] = tmp;
    a++; b--;
  }
}

/* the cell with lower-left corner (x0, y0) and width w holding perm[lo, hi) */
static int build (m1d_TsneWork *t, const double *y, int32_t lo, int32_t hi, double x0, double y0,
                  double w, int depth) {
  int32_t id = new_node(t);
  if (id < 0) return -1;
  int leaf = hi - lo <= LEAF_SIZE || depth >= MAX_DEPTH;
  double sx = 0, sy = 0;                               /* sums of the coordinates */
  if (leaf) {
    for (int32_t s = lo; s < hi; s++) { sx += y[2 * t->perm[s]]; sy += y[2 * t->perm[s] + 1]; }
  } else {
    double h = w / 2, mx = x0 + h, my = y0 + h;
    int32_t ym = partition(t->perm, y, lo, hi, 1, my); /* bottom half | top half */
    int32_t xb = partition(t->perm, y, lo, ym, 0, mx), xt = partition(t->perm, y, ym, hi, 0, mx);
    const int32_t cut[5] = {lo, xb, ym, xt, hi};
    const double cx0[4] = {x0, mx, x0, mx}, cy0[4] = {y0, y0, my, my};
    for (int c = 0; c < 4; c++) {
      if (cut[c + 1] == cut[c]) continue;
      int32_t child = t->count;
      if (build(t, y, cut[c], cut[c + 1], cx0[c], cy0[c], h, depth + 1) < 0) return -1;
      double m = cut[c + 1] - cut[c];
      sx += m * t->nodes[child].cx; sy += m * t->nodes[child].cy;
    }
  }
  Node *nd = &t->nodes[id];                            /* after the children: realloc may move it */
  nd->cx = sx / (hi - lo); nd->cy = sy / (hi - lo); nd->w = w;
  nd->lo = lo; nd->hi = hi; nd->leaf = leaf;
  nd->skip = t->count;
  return 0;
}

/* the bodies that group [glo, ghi) (bounding circle: centre gx, gy, radius r) sees: a
   cell is one body when its distance exceeds r + width / theta.  Positions are stored
   relative to the group's centre, in float: the kernel works in float32 (below). */
static int64_t collect (const m1d_TsneWork *t, int32_t glo, int32_t ghi, double gx, double gy,
                        double r, double inv_theta) {
  const Node *nodes = t->nodes;
  int64_t nb = 0;
  for (int32_t k = 0; k < t->count;) {
    const Node *c = &nodes[k];
    if (c->hi <= glo || ghi <= c->lo) {                /* disjoint from the group */
      double dx = gx - c->cx, dy = gy - c->cy, far = r + c->w * inv_theta;
      if (dx * dx + dy * dy > far * far) {             /* false for theta = 0 (far = inf or NaN) */
        t->bx[nb] = (float)(c->cx - gx); t->by[nb] = (float)(c->cy - gy); t->bm[nb] = (float)(c->hi - c->lo);
        nb++;
        k = c->skip;
        continue;
      }
    }
    if (c->leaf) {
      for (int32_t o = c->lo; o < c->hi; o++) {
        t->bx[nb] = (float)(t->ys[2 * o] - gx); t->by[nb] = (float)(t->ys[2 * o + 1] - gy); t->bm[nb] = 1;
        nb++;
      }
      k = c->skip;
    } else {
      k++;                                             /* open the cell: its first child */
    }
  }
  return nb;
}

/* The kernel, in float32 as sklearn's whole Barnes-Hut is: 8 points per vector (one
   division for eight interactions), coordinates relative to the group's centre (small
   numbers, so the differences keep float's relative precision), sums over blocks of
   BODY_BLOCK bodies in float added into double, so that the result stays within ~1e-6
   of the double-precision sums however many bodies there are. */
#define BODY_BLOCK 64
typedef float v8 __attribute__((vector_size(32)));

/* forces on the group's points [glo, ghi) from nb bodies; returns their share of Z.
   Compiled for AVX2 too where the CPU has it (8 floats per op). */
__attribute__((target_clones("arch=x86-64-v3", "default")))
static double group_forces (const m1d_TsneWork *t, int64_t nb, int32_t glo, int32_t ghi, double gx,
                            double gy, double *rep) {
  double ztot = 0;
  const v8 one = {1, 1, 1, 1, 1, 1, 1, 1};
  for (int32_t s0 = glo; s0 < ghi; s0 += 8) {
    v8 px, py;
    for (int l = 0; l < 8; l++) {                      /* a short last chunk repeats its last point */
      int32_t s = s0 + l < ghi ? s0 + l : ghi - 1;
      px[l] = (float)(t->ys[2 * s] - gx); py[l] = (float)(t->ys[2 * s + 1] - gy);
    }
    double fx[8] = {0}, fy[8] = {0}, z[8] = {0};
    for (int64_t j0 = 0; j0 < nb; j0 += BODY_BLOCK) {
      int64_t j1 = j0 + BODY_BLOCK < nb ? j0 + BODY_BLOCK : nb;
      v8 bfx = {0}, bfy = {0}, bz = {0};
      for (int64_t j = j0; j < j1; j++) {
        v8 dx = px - t->bx[j], dy = py - t->by[j];
        v8 w = one / (one + dx * dx + dy * dy);
        v8 mw = t->bm[j] * w;
        bz += mw;
        mw *= w;
        bfx += mw * dx; bfy += mw * dy;
      }
      for (int l = 0; l < 8; l++) { fx[l] += bfx[l]; fy[l] += bfy[l]; z[l] += bz[l]; }
    }
    for (int l = 0; l < 8 && s0 + l < ghi; l++) {
      int32_t i = t->perm[s0 + l];
      rep[2 * i] = fx[l]; rep[2 * i + 1] = fy[l];
      ztot += z[l] - 1.0;                              /* the point itself, at distance 0 */
    }
  }
  return ztot;
}

int m1d_tsne_repulsion_bh (const double *y, int64_t n, double theta, m1d_TsneWork *work,
                           double *rep, double *z) {
  m1d_TsneWork *t = work ? work : m1d_tsne_work_new(n);
  if (!t) return -1;
  if (t->n != n) return m1d_failcode("tsne: quadtree workspace for %lld points used with %lld",
                                     (long long)t->n, (long long)n);
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    xmin = fmin(xmin, y[2 * i]); xmax = fmax(xmax, y[2 * i]);
    ymin = fmin(ymin, y[2 * i + 1]); ymax = fmax(ymax, y[2 * i + 1]);
  }
  /* a square root cell, widened a little so that the largest coordinates fall inside */
  double w = fmax(xmax - xmin, ymax - ymin);
  w = w > 0 ? w * (1 + 1e-9) + 1e-300 : 1.0;
  t->count = 0;
  if (build(t, y, 0, (int32_t)n, xmin, ymin, w, 0) < 0) {
    if (!work) m1d_tsne_work_free(t);
    return m1d_failcode("tsne: out of memory for the quadtree (n = %lld)", (long long)n);
  }
  for (int64_t s = 0; s < n; s++) { t->ys[2 * s] = y[2 * t->perm[s]]; t->ys[2 * s + 1] = y[2 * t->perm[s] + 1]; }
  const double inv_theta = 1.0 / theta;                /* inf for theta = 0: nothing summarised */
  double ztot = 0;
  for (int32_t k = 0; k < t->count;) {                 /* the groups, in tree order */
    const Node *g = &t->nodes[k];
    if (g->hi - g->lo > GROUP_SIZE && !g->leaf) { k++; continue; }
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int32_t s = g->lo; s < g->hi; s++) {
      x0 = fmin(x0, t->ys[2 * s]); x1 = fmax(x1, t->ys[2 * s]);
      y0 = fmin(y0, t->ys[2 * s + 1]); y1 = fmax(y1, t->ys[2 * s + 1]);
    }
    /* the radius rounded up a little, so that every point lies inside the circle */
    double r = sqrt((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0)) / 2 * (1 + 1e-12);
    double gx = (x0 + x1) / 2, gy = (y0 + y1) / 2;
    int64_t nb = collect(t, g->lo, g->hi, gx, gy, r, inv_theta);
    ztot += group_forces(t, nb, g->lo, g->hi, gx, gy, rep);
    k = g->skip;
  }
  *z = ztot;
  if (!work) m1d_tsne_work_free(t);
  return 0;
}
