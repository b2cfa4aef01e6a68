/*
** npy.c — reading and writing NumPy .npy files (see npy.h).
**
** Layout of a file: "\x93NUMPY", major, minor, header length (uint16 LE for
** 1.0, uint32 LE for 2.0/3.0), then a Python dict literal such as
**   {'descr': '<f8', 'fortran_order': False, 'shape': (4000, 40), }
** padded with spaces and '\n', then the raw data.  The dict is parsed by a
** small strict tokenizer: exactly the three keys, each once.
**
** Invariants kept by the reader: every read from the input is bounds-checked
** against its length; element counts and byte counts are checked against
** overflow of size_t before use; the output buffer is allocated only after
** the input is known to hold all the data it promises.  Conversions to int64
** are done in place from the last element down (the output element is never
** smaller than the input one, so nothing is overwritten before it is read).
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "npy.h"
#include "atomicfile.h"

#define MAX_HEADER (1u << 20)    /* NumPy's own headers are < 200 bytes */

typedef enum { K_FLOAT, K_INT, K_UINT, K_BOOL } Kind;

typedef struct {
  Kind kind;
  int size;                      /* bytes per element in the file */
  int swap;                      /* data byte order differs from the host's */
  int fortran;
  int ndim;
  int64_t shape[M1D_MAXDIM];
  char descr[16];
  int have_descr, have_fortran, have_shape;
} Header;

static int host_le (void) {
  const uint16_t one = 1;
  return *(const unsigned char *)&one == 1;
}

/* ---- header dict parsing ---- */

typedef struct {
  const char *name;              /* file name for messages */
  const char *p, *end;
} Lex;

static void skipws (Lex *lx) {
  while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r'))
    lx->p++;
}

static int bad (Lex *lx, const char *what) {
  return m1d_failcode("load_npy: %s: bad header dict (%s)", lx->name, what);
}

/* A quoted string without escapes into buf (size n). */
static int lexstring (Lex *lx, char *buf, size_t n, const char *what) {
  skipws(lx);
  if (lx->p >= lx->end || (*lx->p != '\'' && *lx->p != '"')) return bad(lx, what);
  char q = *lx->p++;
  size_t k = 0;
  while (lx->p < lx->end && *lx->p != q) {
    if (*lx->p == '\\' || k + 1 >= n) return bad(lx, what);
    buf[k++] = *lx->p++;
  }
  if (lx->p >= lx->end) return bad(lx, "unterminated string");
  lx->p++;
  buf[k] = '\0';
  return 0;
}

static int expect (Lex *lx, char c, const char *what) {
  skipws(lx);
  if (lx->p >= lx->end || *lx->p != c) return bad(lx, what);
  lx->p++;
  return 0;
}

static int lexint (Lex *lx, int64_t *v) {
  skipws(lx);
  if (lx->p < lx->end && *lx->p == '-')
    return m1d_failcode("load_npy: %s: negative dimension in shape", lx->name);
  if (lx->p >= lx->end || *lx->p < '0' || *lx->p > '9') return bad(lx, "shape must be a tuple of integers");
  int64_t x = 0;
  while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
    int d = *lx->p++ - '0';
    if (x > (INT64_MAX - d) / 10)
      return m1d_failcode("load_npy: %s: dimension in shape is too large", lx->name);
    x = x * 10 + d;
  }
  if (lx->p < lx->end && *lx->p == 'L') lx->p++;   /* Python 2 long, as old NumPy wrote */
  *v = x;
  return 0;
}

static int lexshape (Lex *lx, Header *h) {
  if (expect(lx, '(', "shape must be a tuple")) return -1;
  h->ndim = 0;
  for (;;) {
    skipws(lx);
    if (lx->p < lx->end && *lx->p == ')') { lx->p++; return 0; }
    if (h->ndim == M1D_MAXDIM)
      return m1d_failcode("load_npy: %s: more than %d dimensions", lx->name, M1D_MAXDIM);
    if (lexint(lx, &h->shape[h->ndim])) return -1;
    h->ndim++;
    skipws(lx);
    if (lx->p < lx->end && *lx->p == ',') { lx->p++; continue; }
    if (lx->p < lx->end && *lx->p == ')') { lx->p++; return 0; }
    return bad(lx, "shape must be a tuple of integers");
  }
}

static int lexbool (Lex *lx, int *v) {
  skipws(lx);
  size_t left = (size_t)(lx->end - lx->p);
  if (left >= 4 && memcmp(lx->p, "True", 4) == 0) { lx->p += 4; *v = 1; return 0; }
  if (left >= 5 && memcmp(lx->p, "False", 5) == 0) { lx->p += 5; *v = 0; return 0; }
  return bad(lx, "fortran_order must be True or False");
}

/* descr such as '<f8', '|u1', 'i4' (no byte-order char means native). */
static int parsedescr (const char *name, Header *h) {
  const char *d = h->descr;
  char bo = '=';
  if (*d == '<' || *d == '>' || *d == '|' || *d == '=') bo = *d++;
  char kc = *d;
  if (kc != '\0') d++;
  char *endp;
  errno = 0;
  long sz = (*d >= '0' && *d <= '9') ? strtol(d, &endp, 10) : -1;
  if (sz < 0 || errno || *endp != '\0')
    return m1d_failcode("load_npy: %s: unsupported dtype descr '%s' (only plain numeric types are read)",
                        name, h->descr);
  switch (kc) {
    case 'f': h->kind = K_FLOAT; if (sz != 4 && sz != 8) sz = -1; break;
    case 'i': h->kind = K_INT; if (sz != 1 && sz != 2 && sz != 4 && sz != 8) sz = -1; break;
    case 'u': h->kind = K_UINT; if (sz != 1 && sz != 2 && sz != 4 && sz != 8) sz = -1; break;
    case 'b': h->kind = K_BOOL; if (sz != 1) sz = -1; break;
    default: sz = -1;
  }
  if (sz < 0)
    return m1d_failcode("load_npy: %s: unsupported dtype descr '%s' (readable: f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)",
                        name, h->descr);
  h->size = (int)sz;
  int le = host_le();
  if (sz > 1 && bo == '>')
    return m1d_failcode("load_npy: %s: big-endian data (descr '%s') is not supported; "
                        "save it little-endian, e.g. arr.astype('<%c%ld')", name, h->descr, kc, sz);
  h->swap = sz > 1 && ((bo == '<' && !le) || (bo == '>' && le));
  return 0;
}

static int parseheader (const char *name, const char *text, size_t len, Header *h) {
  Lex lx = {name, text, text + len};
  memset(h, 0, sizeof *h);
  if (expect(&lx, '{', "it must start with '{'")) return -1;
  for (;;) {
    skipws(&lx);
    if (lx.p < lx.end && *lx.p == '}') { lx.p++; break; }
    char key[32];
    if (lexstring(&lx, key, sizeof key, "expected a quoted key")) return -1;
    if (expect(&lx, ':', "expected ':' after a key")) return -1;
    if (strcmp(key, "descr") == 0) {
      if (h->have_descr++) return bad(&lx, "duplicate key 'descr'");
      skipws(&lx);
      if (lx.p < lx.end && *lx.p == '[')
        return m1d_failcode("load_npy: %s: structured dtypes are not supported", name);
      if (lexstring(&lx, h->descr, sizeof h->descr, "descr must be a short quoted string")) return -1;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (h->have_fortran++) return bad(&lx, "duplicate key 'fortran_order'");
      if (lexbool(&lx, &h->fortran)) return -1;
    } else if (strcmp(key, "shape") == 0) {
      if (h->have_shape++) return bad(&lx, "duplicate key 'shape'");
      if (lexshape(&lx, h)) return -1;
    } else {
      return m1d_failcode("load_npy: %s: bad header dict (unexpected key '%s')", name, key);
    }
    skipws(&lx);
    if (lx.p < lx.end && *lx.p == ',') { lx.p++; continue; }
    if (lx.p < lx.end && *lx.p == '}') { lx.p++; break; }
    return bad(&lx, "expected ',' or '}'");
  }
  skipws(&lx);
  if (lx.p != lx.end) {
    /* Some writers pad with NULs; anything else after the dict is an error. */
    while (lx.p < lx.end && *lx.p == '\0') lx.p++;
    if (lx.p != lx.end) return bad(&lx, "text after the closing '}'");
  }
  if (!h->have_descr || !h->have_fortran || !h->have_shape)
    return m1d_failcode("load_npy: %s: bad header dict (missing key '%s')", name,
                        !h->have_descr ? "descr" : !h->have_fortran ? "fortran_order" : "shape");
  return parsedescr(name, h);
}

/* Preamble: magic, version, header length.  Needs the first 12 bytes (or fewer for v1). */
static int parsepreamble (const char *name, const unsigned char *b, size_t avail,
                          size_t *hstart, size_t *hlen) {
  if (avail == 0) return m1d_failcode("load_npy: %s: empty file", name);
  if (memcmp(b, "\x93NUMPY", avail < 6 ? avail : 6) != 0)
    return m1d_failcode("load_npy: %s: not a .npy file (bad magic string)", name);
  if (avail < 8)
    return m1d_failcode("load_npy: %s: truncated file (%zu bytes, no complete header)", name, avail);
  int major = b[6], minor = b[7];
  if (major == 1) {
    if (avail < 10) return m1d_failcode("load_npy: %s: truncated file (no header length)", name);
    *hlen = (size_t)b[8] | (size_t)b[9] << 8;
    *hstart = 10;
  } else if (major == 2 || major == 3) {
    if (avail < 12) return m1d_failcode("load_npy: %s: truncated file (no header length)", name);
    uint32_t n = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24;
    *hlen = n;
    *hstart = 12;
  } else {
    return m1d_failcode("load_npy: %s: unsupported format version %d.%d (1.0, 2.0 and 3.0 are read)",
                        name, major, minor);
  }
  if (minor != 0)
    return m1d_failcode("load_npy: %s: unsupported format version %d.%d (1.0, 2.0 and 3.0 are read)",
                        name, major, minor);
  if (*hlen > MAX_HEADER)
    return m1d_failcode("load_npy: %s: header length %zu is implausibly large", name, *hlen);
  return 0;
}

/* Element count, file bytes and output bytes, with overflow checks. */
static int sizes (const char *name, const Header *h, size_t *count, size_t *raw, size_t *outb) {
  size_t n = 1;
  int osize = h->kind == K_FLOAT ? h->size : 8;
  for (int i = 0; i < h->ndim; i++) {
    uint64_t d = (uint64_t)h->shape[i];
    if (d != 0 && n > SIZE_MAX / 8 / d)
      return m1d_failcode("load_npy: %s: shape %s is too large for memory", name,
                          m1d_shapestr_n(h->ndim, h->shape).s);
    n *= (size_t)d;
  }
  *count = n;
  *raw = n * (size_t)h->size;
  *outb = n * (size_t)osize;
  return 0;
}

static void swapbytes (unsigned char *p, size_t count, int size) {
  for (size_t i = 0; i < count; i++, p += size)
    for (int a = 0, b = size - 1; a < b; a++, b--) {
      unsigned char t = p[a]; p[a] = p[b]; p[b] = t;
    }
}

/* Raw file bytes are at the start of buf (count elements); convert in place. */
static int convert (const char *name, const Header *h, void *buf, size_t count, m1d_NpyArray *out) {
  if (h->swap) swapbytes(buf, count, h->size);
  if (h->kind == K_FLOAT) {
    out->dtype = h->size == 4 ? M1D_F32 : M1D_F64;
    return 0;
  }
  out->dtype = M1D_I64;
  int64_t *o = buf;
  const unsigned char *b = buf;
  if (h->kind == K_UINT && h->size == 8) {
    for (size_t i = 0; i < count; i++) {
      uint64_t v; memcpy(&v, b + i * 8, 8);
      if (v > (uint64_t)INT64_MAX)
        return m1d_failcode("load_npy: %s: uint64 value %llu at flat index %zu does not fit int64",
                            name, (unsigned long long)v, i);
    }
    return 0;
  }
  if (h->size == 8) return 0;                       /* i8: already int64 */
  for (size_t k = count; k-- > 0; ) {
    const unsigned char *s = b + k * (size_t)h->size;
    int64_t v;
    if (h->kind == K_INT) {
      if (h->size == 1) { int8_t x; memcpy(&x, s, 1); v = x; }
      else if (h->size == 2) { int16_t x; memcpy(&x, s, 2); v = x; }
      else { int32_t x; memcpy(&x, s, 4); v = x; }
    } else if (h->kind == K_BOOL) {
      v = s[0] != 0;
    } else {
      if (h->size == 1) v = s[0];
      else if (h->size == 2) { uint16_t x; memcpy(&x, s, 2); v = x; }
      else { uint32_t x; memcpy(&x, s, 4); v = x; }
    }
    o[k] = v;
  }
  return 0;
}

/* fortran_order True (NumPy writes it for a transposed or column-major array): the first
   index varies fastest.  Reorder the converted elements (el bytes each) into C order;
   *data is replaced by the reordered copy.  0, or -1 with a message. */
static int fortran_to_c (const char *name, const Header *h, void **data, size_t count, size_t el) {
  if (!h->fortran || h->ndim < 2 || count < 2) return 0;
  unsigned char *src = *data, *dst = malloc(count * el);
  if (dst == NULL) return m1d_failcode("load_npy: %s: out of memory (%zu bytes)", name, count * el);
  int64_t idx[M1D_MAXDIM] = {0}, fstride[M1D_MAXDIM];
  int n = h->ndim;
  fstride[0] = 1;
  for (int k = 1; k < n; k++) fstride[k] = fstride[k - 1] * h->shape[k - 1];
  int64_t off = 0;                              /* Fortran offset of idx, C order walk */
  for (size_t i = 0; i < count; i++) {
    memcpy(dst + i * el, src + (size_t)off * el, el);
    for (int k = n - 1; k >= 0; k--) {          /* next C-order index */
      if (++idx[k] < h->shape[k]) { off += fstride[k]; break; }
      off -= (h->shape[k] - 1) * fstride[k];
      idx[k] = 0;
    }
  }
  free(src);
  *data = dst;
  return 0;
}

static void fillout (const Header *h, m1d_NpyArray *out, void *data, size_t outb) {
  out->ndim = h->ndim;
  for (int i = 0; i < h->ndim; i++) out->shape[i] = h->shape[i];
  out->data = data;
  out->nbytes = outb;
  memcpy(out->descr, h->descr, sizeof out->descr);
}

static int truncated (const char *name, const Header *h, size_t raw, size_t have) {
  return m1d_failcode("load_npy: %s: truncated file: shape %s of '%s' needs %zu data bytes, "
                      "only %zu follow the header", name, m1d_shapestr_n(h->ndim, h->shape).s,
                      h->descr, raw, have);
}

int m1d_npy_read_mem (const char *name, const void *vbuf, size_t len, m1d_NpyArray *out) {
  const unsigned char *buf = vbuf;
  size_t hstart, hlen, count, raw, outb;
  Header h;
  memset(out, 0, sizeof *out);
  if (name == NULL) name = "(memory)";
  if (buf == NULL && len > 0) return m1d_failcode("load_npy: %s: no buffer", name);
  if (parsepreamble(name, buf, len, &hstart, &hlen)) return -1;
  if (hlen > len - hstart)
    return m1d_failcode("load_npy: %s: truncated file: header of %zu bytes, only %zu present",
                        name, hlen, len - hstart);
  if (parseheader(name, (const char *)buf + hstart, hlen, &h)) return -1;
  if (sizes(name, &h, &count, &raw, &outb)) return -1;
  size_t have = len - hstart - hlen;
  if (raw > have) return truncated(name, &h, raw, have);
  void *data = malloc(outb ? outb : 1);
  if (data == NULL) return m1d_failcode("load_npy: %s: out of memory (%zu bytes)", name, outb);
  if (raw) memcpy(data, buf + hstart + hlen, raw);
  if (convert(name, &h, data, count, out) || fortran_to_c(name, &h, &data, count, count ? outb / count : 0)) {
    free(data);
    memset(out, 0, sizeof *out);
    return -1;
  }
  fillout(&h, out, data, outb);
  return 0;
}

int m1d_npy_read (const char *path, m1d_NpyArray *out) {
  unsigned char pre[12];
  size_t hstart, hlen, count, raw, outb, got;
  char *text = NULL;
  void *data = NULL;
  Header h;
  struct stat st;
  int isreg = 0;
  memset(out, 0, sizeof *out);
  if (path == NULL) return m1d_failcode("load_npy: no file name");
  FILE *f = fopen(path, "rb");
  if (f == NULL) return m1d_failcode("load_npy: %s: cannot open: %s", path, strerror(errno));
  if (fstat(fileno(f), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      fclose(f);
      return m1d_failcode("load_npy: %s: is a directory", path);
    }
    isreg = S_ISREG(st.st_mode);
  }
  size_t npre = fread(pre, 1, sizeof pre, f);
  if (ferror(f)) goto ioerr;
  if (parsepreamble(path, pre, npre, &hstart, &hlen)) goto fail;
  text = malloc(hlen ? hlen : 1);
  if (text == NULL) { m1d_failcode("load_npy: %s: out of memory", path); goto fail; }
  /* the 12-byte read may already hold the start of the header (version 1.0) */
  size_t early = npre - hstart < hlen ? npre - hstart : hlen;
  memcpy(text, pre + hstart, early);
  got = early + fread(text + early, 1, hlen - early, f);
  if (ferror(f)) goto ioerr;
  if (got < hlen) {
    m1d_failcode("load_npy: %s: truncated file: header of %zu bytes, only %zu present", path, hlen, got);
    goto fail;
  }
  if (parseheader(path, text, hlen, &h)) goto fail;
  free(text); text = NULL;
  if (sizes(path, &h, &count, &raw, &outb)) goto fail;
  /* Check the file holds the data before allocating what the header asks for. */
  if (isreg) {
    uint64_t have = (uint64_t)st.st_size > hstart + hlen ? (uint64_t)st.st_size - hstart - hlen : 0;
    if ((uint64_t)raw > have) { truncated(path, &h, raw, (size_t)have); goto fail; }
  }
  data = malloc(outb ? outb : 1);
  if (data == NULL) { m1d_failcode("load_npy: %s: out of memory (%zu bytes)", path, outb); goto fail; }
  got = raw ? fread(data, 1, raw, f) : 0;
  if (ferror(f)) goto ioerr;
  if (got < raw) { truncated(path, &h, raw, got); goto fail; }
  fclose(f); f = NULL;
  if (convert(path, &h, data, count, out)) goto fail;
  if (fortran_to_c(path, &h, &data, count, count ? outb / count : 0)) goto fail;
  fillout(&h, out, data, outb);
  return 0;
ioerr:
  m1d_failcode("load_npy: %s: read error: %s", path, strerror(errno));
fail:
  if (f) fclose(f);
  free(text);
  free(data);
  memset(out, 0, sizeof *out);
  return -1;
}

void m1d_npy_free (m1d_NpyArray *a) {
  if (a == NULL) return;
  free(a->data);
  memset(a, 0, sizeof *a);
}

/* ---- writing ---- */

/* NumPy 1.24's header: sorted keys, repr(shape), 21 - len(repr(shape[0])) spare
   spaces for growth, then spaces and '\n' so that the data starts at a multiple of 64. */
static size_t makeheader (char *buf, size_t n, const char *descr, int ndim, const int64_t *shape) {
  char sh[M1D_MAXDIM * 24 + 8];
  size_t k = 0;
  sh[k++] = '(';
  for (int i = 0; i < ndim; i++)
    k += (size_t)snprintf(sh + k, sizeof sh - k, i ? ", %lld" : "%lld", (long long)shape[i]);
  if (ndim == 1) sh[k++] = ',';
  sh[k++] = ')';
  sh[k] = '\0';
  int len = snprintf(buf, n, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, sh);
  if (ndim > 0) {
    char d0[24];
    int dl = snprintf(d0, sizeof d0, "%lld", (long long)shape[0]);
    for (int i = dl; i < 21; i++) buf[len++] = ' ';
  }
  size_t total = 10 + (size_t)len + 1;      /* magic+version+uint16 length, dict, '\n' */
  size_t pad = 64 - total % 64;
  if (pad == 64) pad = 0;
  memset(buf + len, ' ', pad);
  len += (int)pad;
  buf[len++] = '\n';
  return (size_t)len;
}

int m1d_npy_write (const char *path, int dtype, int ndim, const int64_t *shape, const void *data) {
  const char *descr;
  size_t esize;
  if (path == NULL || *path == '\0') return m1d_failcode("save_npy: empty file name");
  switch (dtype) {
    case M1D_F32: descr = "<f4"; esize = 4; break;
    case M1D_F64: descr = "<f8"; esize = 8; break;
    case M1D_I64: descr = "<i8"; esize = 8; break;
    default: return m1d_failcode("save_npy: %s: unknown dtype code %d", path, dtype);
  }
  if (ndim < 0 || ndim > M1D_MAXDIM)
    return m1d_failcode("save_npy: %s: %d dimensions (at most %d)", path, ndim, M1D_MAXDIM);
  size_t count = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return m1d_failcode("save_npy: %s: negative size in shape %s", path, m1d_shapestr_n(ndim, shape).s);
    if (shape[i] != 0 && count > SIZE_MAX / esize / (uint64_t)shape[i])
      return m1d_failcode("save_npy: %s: shape %s is too large", path, m1d_shapestr_n(ndim, shape).s);
    count *= (size_t)shape[i];
  }
  size_t nbytes = count * esize;
  if (nbytes > 0 && data == NULL) return m1d_failcode("save_npy: %s: no data", path);

  char header[512];
  size_t hlen = makeheader(header + 10, sizeof header - 10, descr, ndim, shape);
  memcpy(header, "\x93NUMPY\x01\x00", 8);
  header[8] = (char)((hlen) & 0xff);
  header[9] = (char)((hlen >> 8) & 0xff);

  const void *chunks[2] = {header, data};
  size_t lens[2] = {10 + hlen, nbytes};
  if (host_le()) return m1d_write_atomic("save_npy", path, 2, chunks, lens);
  /* big-endian host: swap a copy of the data to little-endian first */
  unsigned char *swapped = malloc(nbytes ? nbytes : 1);
  if (swapped == NULL) return m1d_failcode("save_npy: %s: out of memory", path);
  memcpy(swapped, data, nbytes);
  swapbytes(swapped, nbytes / esize, (int)esize);
  chunks[1] = swapped;
  int rc = m1d_write_atomic("save_npy", path, 2, chunks, lens);
  free(swapped);
  return rc;
}
