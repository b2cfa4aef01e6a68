/*
** modelfile.c — named tensors (a model's parameters, an optimizer's state) in
** one versioned, checksummed binary file.
**
** Layout, all integers little-endian:
**   "M1DMODEL"  u32 version (1)  u32 count
**   count x { u32 name_len, name bytes, u32 dtype (0 f32, 1 f64, 2 i64),
**             u32 ndim, i64 shape[ndim], raw data (numel * dtype size) }
**   32 bytes: SHA-256 of everything before it
** Files are written atomically; a reader checks every length against the
** bytes that remain before it trusts it, and the digest before it returns,
** so a truncated or corrupted file is an error naming the file, never a crash.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "atomicfile.h"
#include "modelfile.h"
#include "sha256.h"

#define MAGIC "M1DMODEL"
#define VERSION 1u
#define MAX_NAME 4096

typedef struct { unsigned char *p; size_t n, cap; } Buf;

static int put (Buf *b, const void *src, size_t n) {
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n) cap *= 2;
    unsigned char *q = realloc(b->p, cap);
    if (q == NULL) return -1;
    b->p = q; b->cap = cap;
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
  return 0;
}

static int put_u32 (Buf *b, uint32_t v) {
  unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  return put(b, c, 4);
}

static int put_i64 (Buf *b, int64_t v) {
  unsigned char c[8];
  for (int i = 0; i < 8; i++) c[i] = (unsigned char)((uint64_t)v >> (8 * i));
  return put(b, c, 8);
}

int m1d_model_save (const char *path, int n, const char *const *names, m1d_Tensor *const *ts) {
  Buf b = {0};
  int bad = put(&b, MAGIC, 8) || put_u32(&b, VERSION) || put_u32(&b, (uint32_t)n);
  for (int i = 0; i < n && !bad; i++) {
    size_t len = strlen(names[i]);
    if (len > MAX_NAME) { free(b.p); return m1d_failcode("save: %s: name %d is too long", path, i + 1); }
    m1d_Tensor *c = m1d_contiguous_raw(ts[i]);
    if (c == NULL) { free(b.p); return -1; }
    bad = put_u32(&b, (uint32_t)len) || put(&b, names[i], len) || put_u32(&b, (uint32_t)c->dtype) ||
          put_u32(&b, (uint32_t)c->ndim);
    for (int d = 0; d < c->ndim && !bad; d++) bad = put_i64(&b, c->shape[d]);
    if (!bad) bad = put(&b, m1d_data(c), (size_t)m1d_numel(c) * m1d_dtype_size(c->dtype));
    m1d_decref(c);
  }
  if (bad) { free(b.p); return m1d_failcode("save: %s: out of memory", path); }
  unsigned char digest[32];
  m1d_Sha256 sh;
  m1d_sha256_init(&sh);
  m1d_sha256_update(&sh, b.p, b.n);
  m1d_sha256_final(&sh, digest);
  const void *chunks[2] = {b.p, digest};
  size_t lens[2] = {b.n, 32};
  int rc = m1d_write_atomic("save", path, 2, chunks, lens);
  free(b.p);
  return rc;
}

/* ---------------------------------------------------------------- reading */

typedef struct { const unsigned char *p; size_t n, off; const char *path; } Reader;

static int take (Reader *r, void *dst, size_t n, const char *what) {
  if (n > r->n - r->off)
    return m1d_failcode("load: %s: truncated file (reading %s at byte %zu of %zu)", r->path, what, r->off, r->n);
  memcpy(dst, r->p + r->off, n);
  r->off += n;
  return 0;
}

static int get_u32 (Reader *r, uint32_t *v, const char *what) {
  unsigned char c[4] = {0};
  if (take(r, c, 4, what) < 0) return -1;
  *v = (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
  return 0;
}

static int get_i64 (Reader *r, int64_t *v, const char *what) {
  unsigned char c[8] = {0};
  if (take(r, c, 8, what) < 0) return -1;
  uint64_t u = 0;
  for (int i = 0; i < 8; i++) u |= (uint64_t)c[i] << (8 * i);
  *v = (int64_t)u;
  return 0;
}

void m1d_model_free (m1d_ModelFile *m) {
  for (int i = 0; i < m->n; i++) { free(m->names[i]); m1d_decref(m->tensors[i]); }
  free(m->names);
  free(m->tensors);
  m->names = NULL; m->tensors = NULL; m->n = 0;
}

int m1d_model_load_mem (const char *path, const void *buf, size_t len, m1d_ModelFile *out) {
  Reader r = {buf, len, 0, path};
  memset(out, 0, sizeof *out);
  char magic[8];
  uint32_t version, count;
  if (len < 8 + 4 + 4 + 32) return m1d_failcode("load: %s: not an m1d model file (only %zu bytes)", path, len);
  take(&r, magic, 8, "magic");
  if (memcmp(magic, MAGIC, 8) != 0) return m1d_failcode("load: %s: not an m1d model file (bad magic)", path);
  get_u32(&r, &version, "version");
  if (version != VERSION)
    return m1d_failcode("load: %s: format version %u, this m1d reads version %u", path, version, VERSION);
  /* the digest covers everything before the last 32 bytes: check it first */
  unsigned char digest[32];
  m1d_Sha256 sh;
  m1d_sha256_init(&sh);
  m1d_sha256_update(&sh, buf, len - 32);
  m1d_sha256_final(&sh, digest);
  if (memcmp(digest, (const unsigned char *)buf + len - 32, 32) != 0)
    return m1d_failcode("load: %s: checksum mismatch: the file is corrupted or truncated", path);
  r.n = len - 32;
  get_u32(&r, &count, "count");
  if (count > (len / 16))
    return m1d_failcode("load: %s: claims %u tensors in %zu bytes", path, count, len);
  out->names = calloc(count ? count : 1, sizeof *out->names);
  out->tensors = calloc(count ? count : 1, sizeof *out->tensors);
  if (out->names == NULL || out->tensors == NULL) { m1d_model_free(out); return m1d_failcode("load: %s: out of memory", path); }
  for (uint32_t i = 0; i < count; i++) {
    uint32_t nlen, dtype, ndim;
    int64_t shape[M1D_MAXDIM];
    if (get_u32(&r, &nlen, "a name length") < 0) goto fail;
    if (nlen > MAX_NAME || nlen > r.n - r.off) { m1d_failcode("load: %s: tensor %u: bad name length %u", path, i + 1, nlen); goto fail; }
    char *name = malloc(nlen + 1);
    if (name == NULL) { m1d_failcode("load: %s: out of memory", path); goto fail; }
    take(&r, name, nlen, "a name");
    name[nlen] = '\0';
    out->names[i] = name;
    out->n = (int)i + 1;
    if (get_u32(&r, &dtype, "a dtype") < 0 || get_u32(&r, &ndim, "a rank") < 0) goto fail;
    if (dtype > 2) { m1d_failcode("load: %s: tensor '%s': unknown dtype code %u", path, name, dtype); goto fail; }
    if (ndim > M1D_MAXDIM) { m1d_failcode("load: %s: tensor '%s': %u dims (at most %d)", path, name, ndim, M1D_MAXDIM); goto fail; }
    double bytes = (double)m1d_dtype_size((m1d_DType)dtype);
    for (uint32_t d = 0; d < ndim; d++) {
      if (get_i64(&r, &shape[d], "a shape") < 0) goto fail;
      if (shape[d] < 0) { m1d_failcode("load: %s: tensor '%s': negative size", path, name); goto fail; }
      bytes *= (double)shape[d];
    }
    if (bytes > (double)(r.n - r.off)) {
      m1d_failcode("load: %s: tensor '%s' of shape %s needs %.0f bytes, %zu remain", path, name,
                   m1d_shapestr_n((int)ndim, shape).s, bytes, r.n - r.off);
      goto fail;
    }
    m1d_Tensor *t = m1d_empty((m1d_DType)dtype, (int)ndim, shape);
    if (t == NULL) {                   /* e.g. a shape too large for memory: say which file */
      char why[256];
      snprintf(why, sizeof why, "%s", m1d_errmsg());
      m1d_failcode("load: %s: tensor '%s': %s", path, name, why);
      goto fail;
    }
    out->tensors[i] = t;
    take(&r, m1d_data(t), (size_t)bytes, "tensor data");
  }
  if (r.off != r.n) { m1d_failcode("load: %s: %zu unexpected bytes after the last tensor", path, r.n - r.off); goto fail; }
  return 0;
fail:
  m1d_model_free(out);
  return -1;
}

int m1d_model_load (const char *path, m1d_ModelFile *out) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return m1d_failcode("load: %s: cannot open", path);
  if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return m1d_failcode("load: %s: cannot seek", path); }
  long len = ftell(f);
  rewind(f);
  if (len < 0) { fclose(f); return m1d_failcode("load: %s: cannot read", path); }
  unsigned char *buf = malloc((size_t)len + 1);
  if (buf == NULL) { fclose(f); return m1d_failcode("load: %s: out of memory", path); }
  size_t got = fread(buf, 1, (size_t)len, f);
  fclose(f);
  int rc = got == (size_t)len ? m1d_model_load_mem(path, buf, (size_t)len, out)
                              : m1d_failcode("load: %s: short read", path);
  free(buf);
  return rc;
}
