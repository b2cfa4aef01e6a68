/*
** main.c — the m1d program: Lua 5.4 with the m1d runtime linked in, modelled on lua.c.
**
**   m1d                      REPL (also with stdin from a pipe; prompts only on a terminal)
**   m1d script.lua a b       run a script; arg[0] = "script.lua", arg[1] = "a", ...
**   m1d -e 'code' [-i]       run chunks, then optionally the REPL
**   m1d gen ... | quiz ...   require("m1d.gen"|"m1d.quiz").main(args); exit code = result
**
** Before anything runs: standard libraries, package.preload["m1d.core"], package.path
** starting with the library next to the executable (found through /proc/self/exe: a
** source checkout's lua/ or an installed ../share/lua/5.4), and the globals m1d
** (= require "m1d") and help.  Errors print a traceback to stderr; scripts then exit
** with status 1, the REPL keeps going.  Ctrl-C while Lua runs raises "interrupted!"
** (a hook set from the signal handler, as lua.c does); at the prompt it clears the line.
**
** The REPL prints results through require("m1d.repl").show, completes names through
** m1d.repl.complete, and keeps readline history in $M1D_HISTORY or ~/.m1d_history.
*/
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <readline/readline.h>
#include <readline/history.h>

#include "bind/bind.h"

#define M1D_VERSION   "m1d 0.1"
#define PROMPT        "m1d> "
#define PROMPT2       "...> "
#define MAXINPUT      4096
#define HISTORY_LINES 2000

static const char *progname = "m1d";
static lua_State *globalL = NULL;

/* ------------------------------------------------------------------ signals */

/* Hook set by the signal handler: stops the interpreter at the next instruction. */
static void lstop (lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

/* SIGINT while Lua runs: reset to the default action (a second Ctrl-C kills, as in
   lua.c) and ask Lua to stop at the next instruction. */
static void laction (int i) {
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  signal(i, SIG_DFL);
  lua_sethook(globalL, lstop, flag, 1);
}

/* -------------------------------------------------------------- messages */

static void l_message (const char *pname, const char *msg) {
  if (pname) fprintf(stderr, "%s: ", pname);
  fprintf(stderr, "%s\n", msg);
  fflush(stderr);
}

/* Print the error on top of the stack (if any) and pop it. */
static int report (lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (msg == NULL) msg = "(error object is not a string)";
    l_message(progname, msg);
    lua_pop(L, 1);
  }
  return status;
}

/* Message handler: append a traceback (or use __tostring of a non-string error). */
static int msghandler (lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Call the function below narg arguments with the traceback handler and Ctrl-C armed. */
static int docall (lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  globalL = L;
  signal(SIGINT, laction);
  int status = lua_pcall(L, narg, nres, base);
  signal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  return status;
}

static void print_version (void) {
  printf("%s (%s)\n", M1D_VERSION, LUA_RELEASE);
  fflush(stdout);
}

static void print_usage (FILE *f) {
  fprintf(f,
    "usage: %s [options] [script [args]]\n"
    "       %s gen [options]     generate MNIST-1D data sets (see m1d gen --help)\n"
    "       %s quiz [options]    classify MNIST-1D test examples by eye (--n 20 --seed 0)\n"
    "Options:\n"
    "  -e stat    execute string 'stat' (several allowed)\n"
    "  -i         enter the REPL after running the script or -e chunks\n"
    "  -l mod     require library 'mod' into global 'mod'\n"
    "  -v, --version   show version information\n"
    "  -h, --help      show this help\n"
    "  --         stop handling options\n"
    "  -          run stdin as a script (without the REPL)\n"
    "With no script and no -e, the REPL starts; help() there shows the API.\n",
    progname, progname, progname);
  fflush(f);
}

/* ------------------------------------------------------------ library paths */

static int file_exists (const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* package.path = <lib>/?.lua;<lib>/?/init.lua;<old path>, where <lib> is the checkout's
   lua/ next to the executable, or the installed ../share/lua/5.4. */
static void setup_paths (lua_State *L) {
  char exe[PATH_MAX], probe[PATH_MAX + 64], lib[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  lib[0] = '\0';
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(probe, sizeof probe, "%s/lua/m1d/init.lua", exe);
    if (file_exists(probe)) snprintf(lib, sizeof lib, "%s/lua", exe);
    else {                             /* <prefix>/bin/m1d -> <prefix>/share/lua/5.4 */
      size_t len = strlen(exe);
      if (len >= 4 && strcmp(exe + len - 4, "/bin") == 0) {
        exe[len - 4] = '\0';
        snprintf(lib, sizeof lib, "%s/share/lua/5.4", exe);
      } else {
        snprintf(lib, sizeof lib, "%s/../share/lua/5.4", exe);
      }
    }
  }
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_m1d_core);
  lua_setfield(L, -2, "m1d.core");
  lua_pop(L, 1);
  if (lib[0]) {
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", lib, lib, lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* m1d = require "m1d"; help = require("m1d.repl").help */
static int load_m1d (lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "m1d");
  int status = docall(L, 1, 1);
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "%s: cannot load the m1d library: %s\n", progname, msg ? msg : "?");
    lua_pop(L, 1);
    return status;
  }
  lua_setglobal(L, "m1d");
  lua_getglobal(L, "require");
  lua_pushliteral(L, "m1d.repl");
  if (docall(L, 1, 1) == LUA_OK) {
    lua_getfield(L, -1, "help");
    lua_setglobal(L, "help");
    lua_pop(L, 1);
  } else {
    lua_pop(L, 1);     /* no help() is not fatal */
  }
  return LUA_OK;
}

/* --------------------------------------------------------------- running */

static int dochunk (lua_State *L, int status) {
  if (status == LUA_OK) status = docall(L, 0, 0);
  return report(L, status);
}

static int dostring (lua_State *L, const char *s, const char *name) {
  return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

/* require mod into global mod */
static int dolibrary (lua_State *L, const char *name) {
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  int status = docall(L, 1, 1);
  if (status == LUA_OK) lua_setglobal(L, name);
  return report(L, status);
}

/* The global arg: script name at 0, its arguments at 1..n, the interpreter and
   options before the script at negative indices (as lua.c does). */
static void createargtable (lua_State *L, char **argv, int argc, int script) {
  if (script == argc) script = 0;        /* no script name: everything negative */
  lua_createtable(L, argc - (script + 1), script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static int pushargs (lua_State *L) {
  if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
  int n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (int i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
  lua_remove(L, -(n + 1));
  return n;
}

static int handle_script (lua_State *L, char **argv) {
  const char *fname = argv[0];
  if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0) fname = NULL;   /* stdin */
  int status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = pushargs(L);
    status = docall(L, n, LUA_MULTRET);
  }
  return report(L, status);
}

/* m1d gen|quiz args...: require("m1d.<cmd>").main({args...}) -> exit status */
static int run_subcommand (lua_State *L, const char *cmd, int argc, char **argv) {
  lua_getglobal(L, "require");
  lua_pushfstring(L, "m1d.%s", cmd);
  int status = docall(L, 1, 1);
  if (status != LUA_OK) { report(L, status); return EXIT_FAILURE; }
  lua_getfield(L, -1, "main");
  if (!lua_isfunction(L, -1)) {
    l_message(progname, lua_pushfstring(L, "module m1d.%s has no main function", cmd));
    return EXIT_FAILURE;
  }
  lua_createtable(L, argc, 0);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i + 1);
  }
  status = docall(L, 1, 1);
  if (status != LUA_OK) { report(L, status); return EXIT_FAILURE; }
  if (lua_isinteger(L, -1)) return (int)lua_tointeger(L, -1);
  if (lua_isnumber(L, -1)) return (int)lua_tonumber(L, -1);
  if (lua_isboolean(L, -1)) return lua_toboolean(L, -1) ? EXIT_SUCCESS : EXIT_FAILURE;
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ REPL input */

static int tty = 0;                     /* stdin is a terminal: readline and prompts */
static char history_path[PATH_MAX];
static int history_new = 0;             /* entries added in this session */
static volatile sig_atomic_t prompt_interrupted = 0;
static char *rl_line = NULL;
static int rl_got = 0;

static void on_prompt_sigint (int sig) { (void)sig; prompt_interrupted = 1; }

static void rl_handler (char *line) {
  rl_line = line;
  rl_got = 1;
  rl_callback_handler_remove();
}

/* One line from the terminal through readline's callback interface, so Ctrl-C at
   the prompt can clear the line without longjmp.  *interrupted is set on Ctrl-C.
   Returns a malloc'ed line, or NULL at end of input. */
static char *read_tty (const char *prompt, int *interrupted) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_prompt_sigint;      /* no SA_RESTART: select returns EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  rl_got = 0;
  rl_line = NULL;
  prompt_interrupted = 0;
  *interrupted = 0;
  rl_callback_handler_install(prompt, rl_handler);
  while (!rl_got) {
    fd_set fds;
    int fd = fileno(rl_instream ? rl_instream : stdin);
    FD_ZERO(&fds);
    FD_SET(fd, &fds);
    int r = select(fd + 1, &fds, NULL, NULL, NULL);
    if (prompt_interrupted) {
      prompt_interrupted = 0;
      fputs("^C\n", stdout);                /* as a shell does: keep the line, show ^C */
      fflush(stdout);
      rl_free_line_state();
      rl_callback_sigcleanup();
      rl_callback_handler_remove();
      *interrupted = 1;
      break;
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      rl_callback_handler_remove();
      break;
    }
    rl_callback_read_char();
  }
  sigaction(SIGINT, &old, NULL);
  return rl_line;
}

/* One line without the trailing newline (malloc'ed), NULL at end of input. */
static char *read_line (int firstline, int *interrupted) {
  *interrupted = 0;
  if (tty) return read_tty(firstline ? PROMPT : PROMPT2, interrupted);
  char buf[MAXINPUT];
  size_t cap = 0, len = 0;
  char *line = NULL;
  while (fgets(buf, sizeof buf, stdin) != NULL) {
    size_t n = strlen(buf);
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      char *p = realloc(line, cap);
      if (p == NULL) { free(line); return NULL; }
      line = p;
    }
    memcpy(line + len, buf, n + 1);
    len += n;
    if (len > 0 && line[len - 1] == '\n') { line[--len] = '\0'; break; }
  }
  return line;
}

static void save_history (void) {
  if (!tty || history_path[0] == '\0' || history_new == 0) return;
  /* append to the file (other sessions may have written it), then trim it;
     a read-only HOME just means no history */
  if (file_exists(history_path)) {
    if (append_history(history_new, history_path) == 0)
      history_truncate_file(history_path, HISTORY_LINES);
  } else {
    write_history(history_path);
  }
  history_new = 0;
}

/* ----------------------------------------------------------- REPL completion */

static char **completions = NULL;   /* candidates of the current completion, NULL-ended */
static size_t completion_next = 0;

static char *completion_generator (const char *text, int state) {
  (void)text;
  if (state == 0) completion_next = 0;
  if (completions == NULL || completions[completion_next] == NULL) return NULL;
  return strdup(completions[completion_next++]);
}

static void free_completions (void) {
  if (completions) {
    for (size_t i = 0; completions[i]; i++) free(completions[i]);
    free(completions);
    completions = NULL;
  }
}

/* Ask m1d.repl.complete(word, line) for candidates; never raises. */
static int fill_completions (lua_State *L, const char *text) {
  int top = lua_gettop(L), ok = 0;
  free_completions();
  lua_getglobal(L, "require");
  lua_pushliteral(L, "m1d.repl");
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1)) {
    lua_getfield(L, -1, "complete");
    lua_pushstring(L, text);
    lua_pushstring(L, rl_line_buffer ? rl_line_buffer : "");
    if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_istable(L, -1)) {
      size_t n = (size_t)lua_rawlen(L, -1);
      completions = calloc(n + 1, sizeof(char *));
      if (completions) {
        size_t k = 0;
        for (size_t i = 1; i <= n; i++) {
          if (lua_rawgeti(L, -1, (lua_Integer)i) == LUA_TSTRING)
            completions[k++] = strdup(lua_tostring(L, -1));
          lua_pop(L, 1);
        }
        ok = 1;
      }
    }
  }
  lua_settop(L, top);
  return ok;
}

static char **m1d_completion (const char *text, int start, int end) {
  (void)start; (void)end;
  rl_attempted_completion_over = 1;        /* never fall back to file names */
  rl_completion_append_character = '\0';
  if (globalL == NULL || !fill_completions(globalL, text)) return NULL;
  return rl_completion_matches(text, completion_generator);
}

static void init_readline (void) {
  const char *h = getenv("M1D_HISTORY");
  const char *home = getenv("HOME");
  rl_readline_name = "m1d";
  rl_catch_signals = 0;
  rl_attempted_completion_function = m1d_completion;
  /* '.' and ':' belong to the word, so m1d.nn.Li<TAB> completes a field path */
  rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{}()[],+-*/%^~#";
  rl_completer_word_break_characters = rl_basic_word_break_characters;
  using_history();
  stifle_history(HISTORY_LINES);
  if (h && *h) snprintf(history_path, sizeof history_path, "%s", h);
  else if (home && *home) snprintf(history_path, sizeof history_path, "%s/.m1d_history", home);
  if (history_path[0]) read_history(history_path);    /* missing file: fine */
  atexit(save_history);                                /* also after os.exit() */
}

/* ----------------------------------------------------------------- REPL core */

/* A syntax error ending in <eof> means the chunk is incomplete (lua.c's rule). */
static int incomplete (lua_State *L, int status) {
  if (status == LUA_ERRSYNTAX) {
    size_t lmsg;
    const char *msg = lua_tolstring(L, -1, &lmsg);
    const char *eof = "<eof>";
    size_t leof = strlen(eof);
    if (lmsg >= leof && strcmp(msg + lmsg - leof, eof) == 0) {
      lua_pop(L, 1);
      return 1;
    }
  }
  return 0;
}

/* Try "return <line>" so a bare expression prints its value. */
static int addreturn (lua_State *L, const char *line) {
  const char *retline = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, retline, strlen(retline), "=stdin");
  lua_remove(L, -2);
  if (status != LUA_OK) lua_pop(L, 1);
  return status;
}

static void remember (const char *chunk) {
  if (tty && chunk[0] != '\0') {
    add_history(chunk);
    history_new++;
  }
}

/* Read a complete chunk and compile it: pushes the function and returns LUA_OK, or
   pushes an error message; returns -1 at end of input, -2 on Ctrl-C at the prompt. */
static int loadline (lua_State *L) {
  int interrupted;
  char *line = read_line(1, &interrupted);
  if (interrupted) return -2;
  if (line == NULL) return -1;
  const char *src = line;
  if (line[0] == '=') {                      /* '=expr' is 'return expr' */
    lua_pushfstring(L, "return %s", line + 1);
    free(line);
    src = lua_tostring(L, -1);
    int status = luaL_loadbuffer(L, src, strlen(src), "=stdin");
    remember(src);
    lua_remove(L, -2);
    return status;
  }
  lua_pushstring(L, line);
  free(line);
  src = lua_tostring(L, -1);
  int status = addreturn(L, src);
  if (status == LUA_OK) {
    remember(src);
    lua_remove(L, -2);
    return status;
  }
  /* a statement, possibly over several lines */
  for (;;) {
    size_t len;
    src = lua_tolstring(L, -1, &len);
    status = luaL_loadbuffer(L, src, len, "=stdin");
    if (!incomplete(L, status)) break;       /* complete, or a real error */
    char *more = read_line(0, &interrupted);
    if (interrupted) { lua_pop(L, 1); return -2; }
    if (more == NULL) {                      /* EOF inside a chunk: report its error */
      status = luaL_loadbuffer(L, src, len, "=stdin");
      break;
    }
    lua_pushliteral(L, "\n");
    lua_pushstring(L, more);
    free(more);
    lua_concat(L, 3);
  }
  remember(lua_tostring(L, -2));
  lua_remove(L, -2);
  return status;
}

/* Print the results on the stack through m1d.repl.show (print if that fails). */
static void print_results (lua_State *L) {
  int n = lua_gettop(L);
  if (n == 0) return;
  luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
  lua_getglobal(L, "require");
  lua_pushliteral(L, "m1d.repl");
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1)) {
    lua_getfield(L, -1, "show");
    lua_remove(L, -2);
  } else {
    lua_pop(L, 1);
    lua_getglobal(L, "print");
  }
  lua_insert(L, 1);
  if (docall(L, n, 0) != LUA_OK)
    l_message(progname, lua_pushfstring(L, "error calling 'show' (%s)", lua_tostring(L, -1)));
  lua_settop(L, 0);
  fflush(stdout);
}

static void do_repl (lua_State *L) {
  const char *oldprogname = progname;
  progname = NULL;                            /* errors in the REPL: no "m1d:" prefix */
  if (tty) {
    init_readline();
    printf("%s (%s)  help() for the API, Ctrl-D to leave\n", M1D_VERSION, LUA_RELEASE);
    fflush(stdout);
  }
  globalL = L;
  lua_settop(L, 0);
  for (;;) {
    int status = loadline(L);
    if (status == -1) break;
    if (status == -2) { lua_settop(L, 0); continue; }
    if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK) print_results(L);
    else report(L, status);
    lua_settop(L, 0);
    fflush(stderr);
  }
  if (tty) { fputc('\n', stdout); save_history(); }
  fflush(stdout);
  progname = oldprogname;
}

/* ------------------------------------------------------------------ main */

typedef struct { int interactive, has_e, script, version, help; } Args;

/* lua.c's collectargs, simplified: returns 0, or -1 (bad option at *bad). */
static int collectargs (int argc, char **argv, Args *a, int *bad) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    *bad = i;
    if (s[0] != '-' || strcmp(s, "-") == 0) { a->script = i; return 0; }
    if (strcmp(s, "--") == 0) { if (i + 1 < argc) a->script = i + 1; return 0; }
    if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) a->help = 1;
    else if (strcmp(s, "--version") == 0 || strcmp(s, "-v") == 0) a->version = 1;
    else if (strcmp(s, "-i") == 0) a->interactive = 1;
    else if (strncmp(s, "-e", 2) == 0 || strncmp(s, "-l", 2) == 0) {
      if (s[1] == 'e') a->has_e = 1;
      if (s[2] == '\0') {
        i++;
        if (i >= argc || argv[i][0] == '-') return -1;   /* missing argument */
      }
    } else {
      return -1;
    }
  }
  return 0;
}

/* Run the -e and -l options in order. */
static int runargs (lua_State *L, char **argv, int n) {
  for (int i = 1; i < n; i++) {
    const char *s = argv[i];
    if (s[0] != '-' || (s[1] != 'e' && s[1] != 'l')) continue;
    const char *extra = s[2] ? s + 2 : argv[++i];
    int status = s[1] == 'e' ? dostring(L, extra, "=(command line)") : dolibrary(L, extra);
    if (status != LUA_OK) return 0;
  }
  return 1;
}

/* Everything runs protected, so a memory error while starting up is reported too. */
static int pmain (lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  luaL_checkversion(L);
  luaL_openlibs(L);
  setup_paths(L);
  lua_gc(L, LUA_GCGEN, 0, 0);

  if (argc >= 2 && (strcmp(argv[1], "gen") == 0 || strcmp(argv[1], "quiz") == 0)) {
    createargtable(L, argv, argc, 1);
    if (load_m1d(L) != LUA_OK) { lua_pushinteger(L, EXIT_FAILURE); return 1; }
    lua_pushinteger(L, run_subcommand(L, argv[1], argc - 2, argv + 2));
    return 1;
  }

  Args a;
  int bad = 0;
  if (collectargs(argc, argv, &a, &bad) < 0) {
    fprintf(stderr, "%s: unrecognized option or missing argument: '%s'\n", progname, argv[bad]);
    print_usage(stderr);
    lua_pushinteger(L, 2);
    return 1;
  }
  if (a.help) { print_usage(stdout); lua_pushinteger(L, EXIT_SUCCESS); return 1; }
  if (a.version) {
    print_version();
    if (!a.has_e && !a.script && !a.interactive) { lua_pushinteger(L, EXIT_SUCCESS); return 1; }
  }
  createargtable(L, argv, argc, a.script ? a.script : argc);
  if (load_m1d(L) != LUA_OK) { lua_pushinteger(L, EXIT_FAILURE); return 1; }
  if (!runargs(L, argv, a.script ? a.script : argc)) { lua_pushinteger(L, EXIT_FAILURE); return 1; }
  if (a.script && handle_script(L, argv + a.script) != LUA_OK) {
    lua_pushinteger(L, EXIT_FAILURE);
    return 1;
  }
  if (a.interactive || (!a.script && !a.has_e)) do_repl(L);
  lua_pushinteger(L, EXIT_SUCCESS);
  return 1;
}

int main (int argc, char **argv) {
  if (argv[0] && argv[0][0]) {
    const char *base = strrchr(argv[0], '/');
    progname = base ? base + 1 : argv[0];
  }
  tty = isatty(STDIN_FILENO);
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    l_message(progname, "cannot create state: not enough memory");
    return EXIT_FAILURE;
  }
  globalL = L;
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = lua_pcall(L, 2, 1, 0);
  int code = (status == LUA_OK && lua_isinteger(L, -1)) ? (int)lua_tointeger(L, -1) : EXIT_FAILURE;
  if (status != LUA_OK) report(L, status);
  save_history();
  fflush(stdout);
  lua_close(L);
  free_completions();
  return code;
}
