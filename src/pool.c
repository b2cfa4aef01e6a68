/*
** pool.c — free lists for small blocks (size classes of 16 bytes) and an
** exact-size cache for storage data.  Caches are bounded (blocks per class,
** total cached data bytes) so memory freed by a script returns to the
** system once the caches are full.  Not thread-safe, like the rest of the
** runtime (one Lua state per process).
**
** Fresh memory costs a page fault per 4 KB on first touch (~1.4 us here: the first
** outer step of an unrolled meta-learning loop is all fresh memory).  Measured and
** left out (the unrolled meta-step of experiments/bench.lua's meta sections, first outer
** step of a fresh process): transparent
** huge pages for the heap (madvise) cut the faults 20x but doubled the system time
** in this VM (2 MB pages are zeroed whole), and glibc tuning (M_MMAP_THRESHOLD,
** M_TOP_PAD, M_TRIM_THRESHOLD) changed nothing measurable; MADV_POPULATE_WRITE is
** only ~10 % cheaper per page than faulting.  What helps is touching less memory.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pool.h"

#define CLASSES (M1D_POOL_SMALL / 16)
/* Small blocks kept for reuse, in bytes over all classes.  An unrolled graph is mostly
   small blocks (a tensor header, a node and its edges per op: the GRU's 30-step graph
   holds ~400,000), all freed at once when the outer step ends; a fixed 8,192 per class
   sent the rest back to malloc, and the next outer step made 10,000 system allocations
   per inner step to get them back (m1d.memstats().mallocs over repeated outer steps). */
#define MAX_SMALL_CACHED (64u << 20)

typedef struct Block { struct Block *next; } Block;

/* Under AddressSanitizer, or with M1D_POOL=0 in the environment (make valgrind sets it),
   every block goes straight to the system allocator: a recycled block would hide a use
   after free, or an overflow into a neighbouring block, from the checkers. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static int pooling (void) {
  static int on = -1;
  if (on < 0) {
    const char *e = getenv("M1D_POOL");
    on = !UNDER_ASAN && !(e && strcmp(e, "0") == 0);
  }
  return on;
}

static Block *small[CLASSES + 1];
static size_t small_cached = 0;
static unsigned long long system_allocs = 0;

void *m1d_pool_calloc (size_t n) {
  size_t c = (n + 15) / 16;
  if (n == 0 || c > CLASSES || !pooling()) {
    system_allocs++;
    return calloc(1, n ? n : 1);
  }
  Block *b = small[c];
  if (b) {
    small[c] = b->next;
    small_cached -= c * 16;
    memset(b, 0, c * 16);
    return b;
  }
  system_allocs++;
  return calloc(1, c * 16);
}

void m1d_pool_free (void *p, size_t n) {
  if (p == NULL) return;
  size_t c = (n + 15) / 16;
  if (n == 0 || c > CLASSES || small_cached + c * 16 > MAX_SMALL_CACHED || !pooling()) { free(p); return; }
  Block *b = p;
  b->next = small[c];
  small[c] = b;
  small_cached += c * 16;
}

/* ---- storage data: buckets keyed by exact size (open addressing) ---- */

#define BUCKETS 512
#define MAX_CACHED (256u << 20)   /* bytes of data kept for reuse at most */

/* A bucket's cached blocks form a list threaded through their first bytes (every data
   block is >= 64 bytes), so a bucket holds as many as MAX_CACHED allows.  The collector
   frees a training loop's garbage in batches (tens of steps' worth: see m1d_reportmem),
   and a fixed 32 blocks per size sent the rest back to malloc every batch. */
typedef struct { size_t n; int count; void *head; } Bucket;
static Bucket buckets[BUCKETS];
static size_t cached_bytes = 0;

static Bucket *bucket_for (size_t n, int create) {
  size_t h = (n * 0x9E3779B97F4A7C15ull) >> 55;      /* 9 bits */
  for (int probe = 0; probe < 8; probe++) {
    Bucket *b = &buckets[(h + (size_t)probe) % BUCKETS];
    if (b->n == n) return b;
    if (b->n == 0 || (b->count == 0 && create)) {
      if (!create) return NULL;
      b->n = n;
      return b;
    }
  }
  return NULL;
}

void *m1d_pool_data (size_t n, int *fresh) {
  if (n < 64) { *fresh = 1; return m1d_pool_calloc(n ? n : 1); }   /* scalars: the small lists */
  Bucket *b = pooling() ? bucket_for(n, 0) : NULL;
  if (b && b->count > 0) {
    *fresh = 0;
    void *p = b->head;
    memcpy(&b->head, p, sizeof b->head);
    b->count--;
    cached_bytes -= n;
    return p;
  }
  *fresh = 1;
  system_allocs++;
  return malloc(n ? n : 1);
}

void m1d_pool_data_free (void *p, size_t n) {
  if (p == NULL) return;
  if (n < 64) { m1d_pool_free(p, n ? n : 1); return; }
  Bucket *b = pooling() && cached_bytes + n <= MAX_CACHED ? bucket_for(n, 1) : NULL;
  if (b == NULL) { free(p); return; }
  memcpy(p, &b->head, sizeof b->head);
  b->head = p;
  b->count++;
  cached_bytes += n;
}

unsigned long long m1d_pool_system_allocs (void) { return system_allocs; }
