/* test_pool.c — the storage pool (src/pool.c): freed data blocks come back for the same
   size without a system allocation, however many of one size are freed at once (a batch
   of garbage from the collector), each block once, with its contents intact while it is
   out; small blocks likewise (an unrolled graph's headers and nodes), zeroed.  Under M1D_POOL=0 (valgrind) or AddressSanitizer the pool passes everything to
   the system allocator, and only the contents are checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pool.h"
#include "tap.h"

#define COUNT 500            /* far more blocks of one size than a fixed-depth cache held */

static int pooling_on (void) {
  const char *e = getenv("M1D_POOL");
#if defined(__SANITIZE_ADDRESS__)
  return 0;
#else
  return !(e && strcmp(e, "0") == 0);
#endif
}

int main (void) {
  static const size_t sizes[] = {64, 4000, 40000};
  int pooled = pooling_on();
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    size_t n = sizes[s];
    unsigned char *blocks[COUNT];
    int fresh;
    for (int i = 0; i < COUNT; i++) blocks[i] = m1d_pool_data(n, &fresh);
    for (int i = 0; i < COUNT; i++) m1d_pool_data_free(blocks[i], n);

    unsigned long long before = m1d_pool_system_allocs();
    int all_recycled = 1, distinct = 1, intact = 1;
    for (int i = 0; i < COUNT; i++) {
      blocks[i] = m1d_pool_data(n, &fresh);
      all_recycled &= !fresh;
      memset(blocks[i], i & 0xff, n);             /* the list link lives in a block's first bytes */
    }
    for (int i = 0; i < COUNT && distinct; i++)
      for (int j = i + 1; j < COUNT; j++) if (blocks[i] == blocks[j]) { distinct = 0; break; }
    for (int i = 0; i < COUNT; i++)
      for (size_t b = 0; b < n; b++) if (blocks[i][b] != (unsigned char)(i & 0xff)) { intact = 0; break; }
    unsigned long long system = m1d_pool_system_allocs() - before;
    if (pooled) {
      ok(all_recycled && system == 0, "%zu-byte blocks: %d freed at once all come back from the pool "
         "(%llu system allocations)", n, COUNT, system);
    }
    ok(distinct, "%zu-byte blocks: every block handed out once", n);
    ok(intact, "%zu-byte blocks: contents intact while out", n);
    for (int i = 0; i < COUNT; i++) m1d_pool_data_free(blocks[i], n);
  }
  /* small blocks (tensor headers, graph nodes): an unrolled graph frees hundreds of
     thousands at once, far more than the 8,192 per size a count limit kept */
  {
    enum { SMALL = 20000 };
    static void *sb[SMALL];
    for (int i = 0; i < SMALL; i++) sb[i] = m1d_pool_calloc(232);
    for (int i = 0; i < SMALL; i++) m1d_pool_free(sb[i], 232);
    unsigned long long before = m1d_pool_system_allocs();
    int zeroed = 1;
    for (int i = 0; i < SMALL; i++) {
      unsigned char *q = sb[i] = m1d_pool_calloc(232);
      for (int k = 0; k < 232; k++) zeroed &= q[k] == 0;
      memset(q, 0xab, 232);
    }
    unsigned long long system = m1d_pool_system_allocs() - before;
    if (pooled)
      ok(system == 0, "232-byte blocks: %d freed at once all come back from the pool (%llu system "
         "allocations)", SMALL, system);
    ok(zeroed, "232-byte blocks: handed out zeroed");
    for (int i = 0; i < SMALL; i++) m1d_pool_free(sb[i], 232);
  }
  /* one size's cache does not serve another */
  int fresh;
  void *a = m1d_pool_data(4000, &fresh);
  m1d_pool_data_free(a, 4000);
  void *b = m1d_pool_data(4008, &fresh);
  ok(b != NULL && (b != a || !pooled), "a block of another size is not handed out for 4008 bytes");
  m1d_pool_data_free(b, 4008);
  return done_testing();
}
