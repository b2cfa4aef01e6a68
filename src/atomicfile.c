/*
** atomicfile.c — temp file + fsync + rename (see atomicfile.h).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "atomicfile.h"
#include "tensor.h"

static int writeall (int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int m1d_write_atomic (const char *op, const char *path, int n, const void *const *chunks,
                      const size_t *lens) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 48);
  if (tmp == NULL) return m1d_failcode("%s: %s: out of memory", op, path);
  static unsigned counter = 0;
  int fd = -1;
  for (int tries = 0; tries < 100 && fd < 0; tries++) {
    snprintf(tmp, plen + 48, "%s.tmp%ld.%u", path, (long)getpid(), counter++);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    m1d_failcode("%s: %s: cannot create: %s", op, path, strerror(errno));
    free(tmp);
    return -1;
  }
  int err = 0;
  for (int i = 0; i < n && !err; i++)
    if (lens[i] > 0) err = writeall(fd, chunks[i], lens[i]);
  if (!err) err = fsync(fd);
  int e = errno;
  if (close(fd) != 0 && !err) { err = -1; e = errno; }
  if (!err && rename(tmp, path) != 0) { err = -1; e = errno; }
  if (err) {
    unlink(tmp);
    free(tmp);
    return m1d_failcode("%s: %s: write failed: %s", op, path, strerror(e));
  }
  free(tmp);
  /* make the rename itself durable (best effort: not every file system allows it) */
  char *dir = malloc(plen + 2);
  if (dir) {
    memcpy(dir, path, plen + 1);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) strcpy(dir, ".");
    else if (slash == dir) dir[1] = '\0';
    else *slash = '\0';
    int dfd = open(dir, O_RDONLY | O_CLOEXEC);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    free(dir);
  }
  return 0;
}
