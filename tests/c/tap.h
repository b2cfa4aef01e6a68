/* tap.h — a few macros that print TAP (Test Anything Protocol) for prove. */
#ifndef M1D_TAP_H
#define M1D_TAP_H
#include <stdio.h>
#include <math.h>

static int tap_n = 0, tap_failed = 0;

#define ok(cond, ...) do { \
    int ok_ = !!(cond); tap_n++; if (!ok_) tap_failed++; \
    printf("%s %d - ", ok_ ? "ok" : "not ok", tap_n); printf(__VA_ARGS__); printf("\n"); \
    if (!ok_) printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
  } while (0)

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

/* |a - b| <= tol, printed on failure */
#define is_close(a, b, tol, ...) do { \
    double a_ = (a), b_ = (b); int ok_ = fabs(a_ - b_) <= (tol); tap_n++; if (!ok_) tap_failed++; \
    printf("%s %d - ", ok_ ? "ok" : "not ok", tap_n); printf(__VA_ARGS__); printf("\n"); \
    if (!ok_) printf("#   got %.17g, want %.17g (tol %g) at %s:%d\n", a_, b_, (double)(tol), __FILE__, __LINE__); \
  } while (0)

static int done_testing (void) {
  printf("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}
#endif
