/* What every example hook implements, and what each ABI's glue (fast_abi.c, wasi_abi.c) offers.
 * A hook is written once and built for both ABIs; only the glue knows how bytes come and go. */
#ifndef HOOK_H
#define HOOK_H
#include <stddef.h>

/* The Lambda@Edge event JSON in; the result JSON out (malloc'd, length in *out_len), or NULL
 * when the event cannot be handled, which edgehooks reports as an invalid result (502). */
char *hook(const char *event, size_t len, size_t *out_len);

/* One line to the function's log (edgehooks.log on the fast ABI, stderr on WASI). */
void log_line(const char *line);

#endif
