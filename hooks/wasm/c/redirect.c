/* A viewer-request hook: /old/<rest> is answered at the edge with a 301 to /new/<rest>, without
 * reaching the cache or the origin; every other request goes on unchanged. */
#include <stdlib.h>
#include "hook.h"
#include "json.h"

static const char OLD[] = "\"/old/";
static const char HEAD[] =
    "{\"status\":\"301\",\"statusDescription\":\"Moved Permanently\",\"headers\":{"
    "\"location\":[{\"key\":\"Location\",\"value\":\"/new/";
static const char TAIL[] = "}],\"cache-control\":[{\"key\":\"Cache-Control\",\"value\":\"max-age=3600\"}]}}";

char *hook(const char *event, size_t len, size_t *out_len) {
    const char *end = event + len;
    const char *request = json_member(json_cf(event, end), end, "request");
    const char *uri = json_member(request, end, "uri");
    const char *uri_end = uri ? json_string_end(uri, end) : NULL;
    const char *request_end = json_skip(request, end);
    if (!uri_end || !request_end) return NULL;

    size_t uri_len = (size_t)(uri_end - uri);
    int old = uri_len >= sizeof OLD && memcmp(uri, OLD, sizeof OLD - 1) == 0;
    char *out = malloc(old ? sizeof HEAD + uri_len + sizeof TAIL : (size_t)(request_end - request));
    if (!out) return NULL;
    char *at;
    if (old) {
        /* The rest of the uri is copied as the JSON text it already is, escapes and closing quote. */
        at = put_str(out, HEAD);
        at = put(at, uri + sizeof OLD - 1, (size_t)(uri_end - uri) - (sizeof OLD - 1));
        at = put_str(at, TAIL);
        log_line("redirected an /old/ path");
    } else {
        at = put(out, request, (size_t)(request_end - request)); /* the request itself: no change */
    }
    *out_len = (size_t)(at - out);
    return out;
}
