/*
** l_sys.c — the few operating-system facts scripts need and Lua lacks:
** a monotonic wall clock, whether a stream is a terminal (live progress line
** vs plain log lines), the process's peak resident memory, the cores it may run
** on, and the CPU's handling of subnormal floats.
*/
#define _GNU_SOURCE            /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "bind.h"
#include "denormal.h"

/* set_flush_denormal(on) -> the previous setting (false where the CPU has no such mode,
   and then it raises if asked to turn it on: a silent no-op would mislead a timing) */
static int l_set_flush_denormal (lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  int on = lua_toboolean(L, 1), was = m1d_set_flush_denormal(on);
  if (was < 0 && on) return luaL_error(L, "set_flush_denormal: this CPU has no flush-to-zero mode");
  lua_pushboolean(L, was > 0);
  return 1;
}

static int l_clock (lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
  return 1;
}

/* isatty("stdout" | "stderr" | "stdin") */
static int l_isatty (lua_State *L) {
  static const char *const names[] = {"stdin", "stdout", "stderr", NULL};
  int fd = luaL_checkoption(L, 1, "stdout", names);
  lua_pushboolean(L, isatty(fd));
  return 1;
}

/* peak resident set size of this process, in MB (VmHWM) */
static int l_peak_rss_mb (lua_State *L) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  double mb = -1;
  if (f) {
    while (fgets(line, sizeof line, f))
      if (strncmp(line, "VmHWM:", 6) == 0) { mb = atof(line + 6) / 1024.0; break; }
    fclose(f);
  }
  if (mb < 0) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    mb = (double)ru.ru_maxrss / 1024.0;
  }
  lua_pushnumber(L, mb);
  return 1;
}

static int l_rss_mb (lua_State *L) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  double mb = 0;
  if (f) {
    while (fgets(line, sizeof line, f))
      if (strncmp(line, "VmRSS:", 6) == 0) { mb = atof(line + 6) / 1024.0; break; }
    fclose(f);
  }
  lua_pushnumber(L, mb);
  return 1;
}

/* num_cores() -> the CPUs this process may run on: its affinity mask (taskset, cgroup
   cpusets), else the online CPUs.  What a pool of worker processes should use. */
static int l_num_cores (lua_State *L) {
  cpu_set_t set;
  long n = 0;
  if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
  if (n < 1) n = sysconf(_SC_NPROCESSORS_ONLN);
  lua_pushinteger(L, n < 1 ? 1 : n);
  return 1;
}

void m1d_open_sys (lua_State *L) {
  static const luaL_Reg functions[] = {
    {"clock", l_clock}, {"isatty", l_isatty}, {"peak_rss_mb", l_peak_rss_mb}, {"rss_mb", l_rss_mb},
    {"set_flush_denormal", l_set_flush_denormal}, {"num_cores", l_num_cores},
    {NULL, NULL}
  };
  luaL_setfuncs(L, functions, 0);
}
