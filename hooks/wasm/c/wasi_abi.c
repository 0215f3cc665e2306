/* The WASI ABI's glue: an ordinary program. The event is on stdin, the result goes to stdout,
 * stderr is the function's log. Any language that targets wasm32-wasi can do the same. */
#include <stdio.h>
#include <stdlib.h>
#include "hook.h"

void log_line(const char *line) { fprintf(stderr, "%s\n", line); }

int main(void) {
    size_t len = 0, cap = 4096, n;
    char *event = malloc(cap);
    while (event && (n = fread(event + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len == cap) event = realloc(event, cap *= 2);
    }
    size_t out_len = 0;
    char *out = event ? hook(event, len, &out_len) : NULL;
    if (!out) {
        log_line("could not handle the event");
        return 1;
    }
    fwrite(out, 1, out_len, stdout);
    return 0;
}
