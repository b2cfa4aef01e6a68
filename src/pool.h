/*
** pool.h — recycling of the runtime's small fixed-size blocks (tensor headers,
** graph nodes, edge arrays) and of tensor storage, so that a steady training
** loop stops calling the system allocator: every step frees what the next
** step allocates, in the same sizes.
*/
#ifndef M1D_POOL_H
#define M1D_POOL_H

#include <stddef.h>

/* Zeroed block of n bytes (n <= M1D_POOL_SMALL uses free lists), or NULL. */
void *m1d_pool_calloc (size_t n);
void m1d_pool_free (void *p, size_t n);

/* Storage data: reuses a cached block of exactly n bytes when there is one. */
void *m1d_pool_data (size_t n, int *fresh);
void m1d_pool_data_free (void *p, size_t n);

/* Calls to the system allocator so far (all pool misses). */
unsigned long long m1d_pool_system_allocs (void);

#define M1D_POOL_SMALL 1024

#endif
