/*
** l_proc.c — a child process on a two-way pipe (core.spawn), used by plot.lua to
** drive one gnuplot per figure.
**
**   local p = core.spawn{"gnuplot"}        -- argv; PATH is searched (execvp)
**   p:write("plot sin(x)\n")               -- to the child's stdin
**   local out, err = p:read_until("M1D_DONE", 5000)   -- its stdout+stderr
**   local code, how, rest = p:close()      -- EOF to stdin, wait, exit status
**
** Invariants:
**  * Every descriptor the parent keeps is close-on-exec, so a second child never
**    inherits the first one's stdin (which would keep it from ever seeing EOF).
**  * A failed exec is reported to the parent through a close-on-exec status pipe
**    holding the child's errno: spawn raises "cannot run 'x': No such file...".
**  * SIGPIPE never kills us: it is blocked around each write and a pending one is
**    consumed, so writing to a dead child raises a Lua error instead.  The process
**    disposition of SIGPIPE is left alone (scripts piped into `head` behave as usual).
**  * Writes never deadlock against a child that is writing back: while waiting for
**    room in its stdin we keep draining its output into our buffer.
**  * The child runs in its own process group, so Ctrl-C at the REPL interrupts the
**    script but leaves the figure windows' gnuplots alive.
**  * The child gets SIGTERM when we die (PR_SET_PDEATHSIG), so a killed parent leaves
**    no orphans behind: a pool of experiment runs (jobs.lua) stops with it.
**  * __gc and __close share one idempotent release; close() may be called again and
**    returns the cached status.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bind.h"

#define PROC_MT "m1d.Process"

typedef struct Proc {
  pid_t pid;          /* 0 once reaped */
  int in;             /* write end of the child's stdin, -1 when closed */
  int out;            /* read end of the child's stdout (+stderr), -1 when closed */
  int status;         /* raw waitpid status, valid when reaped */
  int reaped;
  char *buf;          /* output read but not yet returned */
  size_t len, cap;
  char name[64];      /* argv[0], for messages */
} Proc;

static Proc *checkproc (lua_State *L, int i) {
  return (Proc *)luaL_checkudata(L, i, PROC_MT);
}

static int setflags (int fd, int nonblock) {
  int fl = fcntl(fd, F_GETFD);
  if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0) return -1;
  if (nonblock) {
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
  }
  return 0;
}

static void closefd (int *fd) {
  if (*fd >= 0) { close(*fd); *fd = -1; }
}

static int64_t now_ms (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append n bytes to the output buffer; 0 or -1 (out of memory). */
static int bufadd (Proc *p, const char *s, size_t n) {
  if (p->len + n > p->cap) {
    size_t cap = p->cap ? p->cap : 4096;
    while (cap < p->len + n) cap *= 2;
    char *b = realloc(p->buf, cap);
    if (b == NULL) return -1;
    p->buf = b; p->cap = cap;
  }
  memcpy(p->buf + p->len, s, n);
  p->len += n;
  return 0;
}

/* Read whatever is available now (out is non-blocking).
   Returns 1 if data was read, 0 if nothing yet, -1 on EOF (out closed), -2 on error. */
static int drain (Proc *p) {
  char chunk[8192];
  int got = 0;
  if (p->out < 0) return -1;
  for (;;) {
    ssize_t n = read(p->out, chunk, sizeof chunk);
    if (n > 0) {
      if (bufadd(p, chunk, (size_t)n) < 0) return -2;
      got = 1;
    } else if (n == 0) {
      closefd(&p->out);
      return got ? 1 : -1;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return got;
    } else {
      return -2;
    }
  }
}

/* Wait for the child without blocking longer than wait_ms (-1: forever).
   Returns 1 if reaped. */
static int reap (Proc *p, int wait_ms) {
  int64_t t0 = now_ms();
  if (p->reaped) return 1;
  if (p->pid <= 0) return 0;
  for (;;) {
    int st;
    pid_t r = waitpid(p->pid, &st, wait_ms < 0 ? 0 : WNOHANG);
    if (r == p->pid) { p->status = st; p->reaped = 1; p->pid = 0; return 1; }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { p->reaped = 1; p->status = 0; p->pid = 0; return 1; }  /* ECHILD: someone else reaped it */
    if (now_ms() - t0 >= wait_ms) return 0;
    struct timespec ts = {0, 5 * 1000000};
    nanosleep(&ts, NULL);
  }
}

/* Close stdin (the child sees EOF), collect its remaining output, and wait for it;
   escalate to SIGTERM and SIGKILL if it does not exit in a few seconds. */
static void finish (Proc *p, int collect) {
  closefd(&p->in);
  if (collect) {
    int64_t deadline = now_ms() + 5000;
    while (p->out >= 0 && now_ms() < deadline) {
      struct pollfd pf = {p->out, POLLIN, 0};
      int r = poll(&pf, 1, 100);
      if (r < 0 && errno != EINTR) break;
      if (r > 0 && drain(p) < 0) break;
    }
  }
  closefd(&p->out);
  if (!reap(p, 3000)) {
    kill(p->pid, SIGTERM);
    if (!reap(p, 500)) { kill(p->pid, SIGKILL); reap(p, -1); }
  }
}

/* The shared __gc / __close: idempotent. */
static int proc_release (lua_State *L) {
  Proc *p = checkproc(L, 1);
  if (!p->reaped && p->pid > 0) finish(p, 0);
  closefd(&p->in);
  closefd(&p->out);
  free(p->buf);
  p->buf = NULL; p->len = p->cap = 0;
  return 0;
}

/* core.spawn(argv [, opts]) -> process.   opts.stderr: "merge" (default: the child's
   stderr goes to the same pipe as stdout), "inherit" (ours), or "null". */
static int l_spawn (lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int n = (int)luaL_len(L, 1);
  if (n < 1) return luaL_argerror(L, 1, "argv must hold at least the program name");
  const char *errmode = "merge";
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "stderr");
    if (!lua_isnil(L, -1)) errmode = luaL_checkstring(L, -1);
    lua_pop(L, 1);
  }
  if (strcmp(errmode, "merge") && strcmp(errmode, "inherit") && strcmp(errmode, "null"))
    return luaL_error(L, "spawn: stderr must be 'merge', 'inherit' or 'null', not '%s'", errmode);

  /* the argv strings stay on the stack (anchored) until exec */
  const char **argv = (const char **)lua_newuserdatauv(L, sizeof(char *) * (size_t)(n + 1), 0);
  luaL_checkstack(L, n, "spawn: too many arguments");
  for (int i = 1; i <= n; i++) {
    lua_geti(L, 1, i);
    if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
      return luaL_error(L, "spawn: argv[%d] must be a string", i);
    argv[i - 1] = lua_tostring(L, -1);
  }
  argv[n] = NULL;

  Proc *p = (Proc *)lua_newuserdatauv(L, sizeof(Proc), 0);
  memset(p, 0, sizeof *p);
  p->in = p->out = -1;
  luaL_setmetatable(L, PROC_MT);
  snprintf(p->name, sizeof p->name, "%s", argv[0]);

  int pin[2] = {-1, -1}, pout[2] = {-1, -1}, pst[2] = {-1, -1};
  if (pipe(pin) < 0 || pipe(pout) < 0 || pipe(pst) < 0) {
    int e = errno;
    for (int i = 0; i < 2; i++) { closefd(&pin[i]); closefd(&pout[i]); closefd(&pst[i]); }
    return luaL_error(L, "spawn '%s': pipe: %s", p->name, strerror(e));
  }
  /* the parent's ends and the status pipe are close-on-exec; the child's ends are
     dup2'ed onto 0/1/2 (dup2 clears close-on-exec) */
  setflags(pin[1], 1); setflags(pout[0], 1);
  setflags(pin[0], 0); setflags(pout[1], 0);
  setflags(pst[0], 0); setflags(pst[1], 0);

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    for (int i = 0; i < 2; i++) { closefd(&pin[i]); closefd(&pout[i]); closefd(&pst[i]); }
    return luaL_error(L, "spawn '%s': fork: %s", p->name, strerror(e));
  }
  if (pid == 0) {                                   /* child: only async-signal-safe calls */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);            /* the parent died before prctl */
    dup2(pin[0], 0);
    dup2(pout[1], 1);
    if (errmode[0] == 'm') dup2(pout[1], 2);
    else if (errmode[0] == 'n') {
      int fd = open("/dev/null", O_WRONLY);
      if (fd >= 0) { dup2(fd, 2); close(fd); }
    }
    if (pin[0] > 2) close(pin[0]);
    if (pout[1] > 2) close(pout[1]);
    execvp(argv[0], (char *const *)argv);
    int e = errno;
    ssize_t w = write(pst[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }
  closefd(&pin[0]); closefd(&pout[1]); closefd(&pst[1]);
  p->pid = pid; p->in = pin[1]; p->out = pout[0];

  /* the status pipe closes on a successful exec (0 bytes) or carries exec's errno */
  int e = 0;
  ssize_t r;
  do r = read(pst[0], &e, sizeof e); while (r < 0 && errno == EINTR);
  closefd(&pst[0]);
  if (r == (ssize_t)sizeof e) {
    closefd(&p->in); closefd(&p->out);
    reap(p, -1);
    return luaL_error(L, "spawn: cannot run '%s': %s", p->name, strerror(e));
  }
  return 1;
}

/* p:write(s, ...) -> p.  Raises if the child has gone (EPIPE) or its stdin is closed. */
static int l_write (lua_State *L) {
  Proc *p = checkproc(L, 1);
  int top = lua_gettop(L);
  for (int i = 2; i <= top; i++) {
    size_t len;
    const char *s = luaL_checklstring(L, i, &len);
    size_t off = 0;
    if (p->in < 0) return luaL_error(L, "process '%s': its input is closed", p->name);
    while (off < len) {
      struct pollfd pf[2] = {{p->in, POLLOUT, 0}, {p->out, POLLIN, 0}};
      int r = poll(pf, p->out >= 0 ? 2 : 1, -1);
      if (r < 0) {
        if (errno == EINTR) continue;
        return luaL_error(L, "process '%s': poll: %s", p->name, strerror(errno));
      }
      if (p->out >= 0 && (pf[1].revents & (POLLIN | POLLHUP))) {
        if (drain(p) == -2) return luaL_error(L, "process '%s': read: %s", p->name, strerror(errno));
      }
      if (!(pf[0].revents & (POLLOUT | POLLERR | POLLHUP))) continue;
      /* block SIGPIPE for this write; consume it if the write raised one */
      sigset_t pipeset, old;
      sigemptyset(&pipeset);
      sigaddset(&pipeset, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipeset, &old);
      ssize_t w = write(p->in, s + off, len - off);
      int e = errno;
      if (w < 0 && e == EPIPE) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipeset, NULL, &zero) < 0 && errno == EINTR) {}
      }
      pthread_sigmask(SIG_SETMASK, &old, NULL);
      if (w >= 0) { off += (size_t)w; continue; }
      if (e == EINTR || e == EAGAIN || e == EWOULDBLOCK) continue;
      if (e == EPIPE) {
        closefd(&p->in);
        drain(p);
        lua_pushfstring(L, "process '%s' has exited (broken pipe)", p->name);
        if (p->len > 0) {
          lua_pushliteral(L, "; its output: ");
          lua_pushlstring(L, p->buf, p->len);
          lua_concat(L, 3);
          p->len = 0;
        }
        return lua_error(L);
      }
      return luaL_error(L, "process '%s': write: %s", p->name, strerror(e));
    }
  }
  lua_settop(L, 1);
  return 1;
}

/* p:flush() -> p.  Writes are unbuffered on our side; kept for file-like symmetry. */
static int l_flush (lua_State *L) {
  checkproc(L, 1);
  lua_settop(L, 1);
  return 1;
}

/* Push the first n buffered bytes and drop them from the buffer. */
static void pushbuf (lua_State *L, Proc *p, size_t n) {
  lua_pushlstring(L, p->buf ? p->buf : "", n);
  if (n > 0) {
    memmove(p->buf, p->buf + n, p->len - n);
    p->len -= n;
  }
}

/* p:read_available() -> string (possibly empty): everything the child has written
   so far, without waiting. */
static int l_read_available (lua_State *L) {
  Proc *p = checkproc(L, 1);
  if (drain(p) == -2) return luaL_error(L, "process '%s': read: %s", p->name, strerror(errno));
  pushbuf(L, p, p->len);
  return 1;
}

static const char *findmem (const char *h, size_t hn, const char *n, size_t nn) {
  if (nn == 0) return h;
  for (size_t i = 0; i + nn <= hn; i++)
    if (h[i] == n[0] && memcmp(h + i, n, nn) == 0) return h + i;
  return NULL;
}

/* p:read_until(marker [, timeout_ms]) -> text before the marker (the marker itself and
   one newline after it are consumed).  On timeout or when the child closes its output
   first: nil, "timeout"|"closed", everything read so far (consumed).  timeout_ms
   defaults to 10000; negative waits forever. */
static int l_read_until (lua_State *L) {
  Proc *p = checkproc(L, 1);
  size_t mlen;
  const char *m = luaL_checklstring(L, 2, &mlen);
  lua_Integer timeout = luaL_optinteger(L, 3, 10000);
  int64_t deadline = now_ms() + timeout;
  size_t scanned = 0;   /* no match starts before this offset */
  for (;;) {
    const char *hit = findmem(p->buf + scanned, p->len - scanned, m, mlen);
    if (hit) {
      size_t before = (size_t)(hit - p->buf), end = before + mlen;
      if (end < p->len && p->buf[end] == '\r') end++;
      if (end < p->len && p->buf[end] == '\n') end++;
      lua_pushlstring(L, p->buf, before);
      memmove(p->buf, p->buf + end, p->len - end);
      p->len -= end;
      return 1;
    }
    if (p->len >= mlen) scanned = p->len - mlen + 1;
    if (p->out < 0) {
      lua_pushnil(L); lua_pushliteral(L, "closed"); pushbuf(L, p, p->len);
      return 3;
    }
    int wait = -1;
    if (timeout >= 0) {
      int64_t left = deadline - now_ms();
      if (left <= 0) {
        lua_pushnil(L); lua_pushliteral(L, "timeout"); pushbuf(L, p, p->len);
        return 3;
      }
      wait = left > 1000 ? 1000 : (int)left;
    }
    struct pollfd pf = {p->out, POLLIN, 0};
    int r = poll(&pf, 1, wait);
    if (r < 0 && errno != EINTR)
      return luaL_error(L, "process '%s': poll: %s", p->name, strerror(errno));
    if (r > 0 && drain(p) == -2)
      return luaL_error(L, "process '%s': read: %s", p->name, strerror(errno));
  }
}

static int pushstatus (lua_State *L, Proc *p) {
  if (WIFSIGNALED(p->status)) {
    lua_pushinteger(L, WTERMSIG(p->status));
    lua_pushliteral(L, "signal");
  } else {
    lua_pushinteger(L, WEXITSTATUS(p->status));
    lua_pushliteral(L, "exit");
  }
  return 2;
}

/* p:close() -> code, "exit"|"signal", remaining output.  Closes the child's stdin,
   collects what it still writes, and waits for it.  Safe to call again. */
static int l_close (lua_State *L) {
  Proc *p = checkproc(L, 1);
  if (!p->reaped) finish(p, 1);
  pushstatus(L, p);
  pushbuf(L, p, p->len);
  return 3;
}

/* p:alive() -> boolean: the child has not exited (reaps it if it has). */
static int l_alive (lua_State *L) {
  Proc *p = checkproc(L, 1);
  lua_pushboolean(L, !reap(p, 0));
  return 1;
}

/* p:pid() -> integer, or nil after the child was reaped */
static int l_pid (lua_State *L) {
  Proc *p = checkproc(L, 1);
  if (p->reaped) lua_pushnil(L); else lua_pushinteger(L, p->pid);
  return 1;
}

/* p:kill([sig = 15]) -> p */
static int l_kill (lua_State *L) {
  Proc *p = checkproc(L, 1);
  int sig = (int)luaL_optinteger(L, 2, SIGTERM);
  if (!p->reaped && p->pid > 0 && kill(p->pid, sig) < 0)
    return luaL_error(L, "process '%s': kill: %s", p->name, strerror(errno));
  lua_settop(L, 1);
  return 1;
}

static int l_tostring (lua_State *L) {
  Proc *p = checkproc(L, 1);
  if (p->reaped) lua_pushfstring(L, "m1d.Process '%s' (exited)", p->name);
  else lua_pushfstring(L, "m1d.Process '%s' pid %d", p->name, (int)p->pid);
  return 1;
}

static const luaL_Reg proc_methods[] = {
  {"write", l_write}, {"flush", l_flush}, {"read_available", l_read_available},
  {"read_until", l_read_until}, {"close", l_close}, {"alive", l_alive},
  {"pid", l_pid}, {"kill", l_kill}, {"release", proc_release}, {NULL, NULL}
};

void m1d_open_proc (lua_State *L) {
  if (luaL_newmetatable(L, PROC_MT)) {
    luaL_newlib(L, proc_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, proc_release);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, proc_release);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, l_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, l_spawn);
  lua_setfield(L, -2, "spawn");
}
