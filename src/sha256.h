/*
** sha256.h — SHA-256 (FIPS 180-4) of a memory block, for data checksums
** (the generator's tests compare digests instead of shipping megabytes).
*/
#ifndef M1D_SHA256_H
#define M1D_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t h[8];
  uint64_t len;            /* bytes hashed so far */
  unsigned char buf[64];
  size_t nbuf;
} m1d_Sha256;

void m1d_sha256_init (m1d_Sha256 *s);
void m1d_sha256_update (m1d_Sha256 *s, const void *data, size_t n);
void m1d_sha256_final (m1d_Sha256 *s, unsigned char digest[32]);
/* One call: the digest of data as 64 lowercase hex digits plus '\0'. */
void m1d_sha256_hex (const void *data, size_t n, char hex[65]);

#endif
