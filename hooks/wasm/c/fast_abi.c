/* The fast ABI's glue: edgehooks calls alloc(len), writes the event there, calls handle(ptr, len)
 * and reads the result at (ret >> 32) with length (ret & 0xffffffff). The result stays valid until
 * the next call into the module, so it is freed at the next handle. init() runs once, at the
 * environment's cold start. Built as a reactor (no main), it needs no WASI imports at all. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hook.h"

__attribute__((import_module("edgehooks"), import_name("log")))
void edgehooks_log(const char *line, size_t len);

void log_line(const char *line) { edgehooks_log(line, strlen(line)); }

static char *result;

__attribute__((export_name("alloc")))
char *alloc(size_t len) { return malloc(len); }

__attribute__((export_name("handle")))
uint64_t handle(char *event, size_t len) {
    size_t out_len = 0;
    free(result);
    result = hook(event, len, &out_len);
    free(event);
    return result ? (uint64_t)(uintptr_t)result << 32 | out_len : 0; /* nothing: invalid JSON, a 502 */
}

__attribute__((export_name("init")))
void init(void) { log_line("cold start"); }
