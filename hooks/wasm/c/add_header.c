/* Adds two headers to what it is given, so it works at all four hook points: to the response on
 * origin-response and viewer-response, to the request on viewer-request and origin-request.
 * x-wasm-invocation counts the events this instance has served: it climbs on the fast ABI, whose
 * instance lives as long as its environment, and is always 1 on WASI, a fresh instance per event. */
#include <stdlib.h>
#include "hook.h"
#include "json.h"

static const char ADDED[] =
    "\"x-wasm-hook\":[{\"key\":\"X-Wasm-Hook\",\"value\":\"add_header.c\"}],"
    "\"x-wasm-invocation\":[{\"key\":\"X-Wasm-Invocation\",\"value\":\"";
static unsigned long invocations;

char *hook(const char *event, size_t len, size_t *out_len) {
    const char *end = event + len;
    const char *cf = json_cf(event, end);
    const char *target = json_member(cf, end, "response");
    if (!target) target = json_member(cf, end, "request");
    const char *headers = json_member(target, end, "headers");
    const char *target_end = json_skip(target, end);
    if (!headers || *headers != '{' || !target_end) return NULL;

    /* The target up to its headers' "{", the new headers, the rest of the target. */
    char *out = malloc((size_t)(target_end - target) + sizeof ADDED + 32);
    if (!out) return NULL;
    char *at = put(out, target, (size_t)(headers + 1 - target));
    at = put_str(at, ADDED);
    at = put_ulong(at, ++invocations);
    at = put_str(at, *json_ws(headers + 1, end) == '}' ? "\"}]" : "\"}],");
    at = put(at, headers + 1, (size_t)(target_end - headers - 1));
    *out_len = (size_t)(at - out);
    return out;
}
