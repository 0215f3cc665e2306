/* Just enough JSON to find things in an event and splice a result together, since C's standard
 * library has none. It trusts its input to be JSON (edgehooks writes the events) and only checks
 * that it never reads past the end. Writing is by hand, not printf: stdio would pull WASI file
 * imports into a fast ABI module, which may import nothing but edgehooks.log. */
#ifndef JSON_H
#define JSON_H
#include <stddef.h>
#include <string.h>

static inline const char *json_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* The end of the string token starting at p (on its opening quote), or NULL. */
static inline const char *json_string_end(const char *p, const char *end) {
    for (p++; p < end; p++) {
        if (*p == '\\') p++;
        else if (*p == '"') return p + 1;
    }
    return NULL;
}

/* The end of the value starting at p, or NULL. */
static inline const char *json_skip(const char *p, const char *end) {
    if (p >= end) return NULL;
    if (*p == '"') return json_string_end(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            if (*p == '"') {
                if (!(p = json_string_end(p, end))) return NULL;
                continue;
            }
            if (*p == '{' || *p == '[') depth++;
            if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
            p++;
        }
        return NULL;
    }
    while (p < end && !strchr(",]} \t\r\n", *p)) p++; /* number, true, false, null */
    return p;
}

/* The value of `key` in the object starting at obj, or NULL. */
static inline const char *json_member(const char *obj, const char *end, const char *key) {
    size_t n = strlen(key);
    const char *p;
    if (!obj || (p = json_ws(obj, end)) >= end || *p != '{') return NULL;
    for (p = json_ws(p + 1, end); p < end && *p == '"'; p = json_ws(p + 1, end)) {
        const char *name_end = json_string_end(p, end);
        if (!name_end) return NULL;
        const char *value = json_ws(json_ws(name_end, end) + 1, end); /* past the ':' */
        if ((size_t)(name_end - p) == n + 2 && memcmp(p + 1, key, n) == 0) return value;
        if (!(p = json_skip(value, end)) || (p = json_ws(p, end)) >= end || *p != ',') return NULL;
    }
    return NULL;
}

/* Records[0].cf of a Lambda@Edge event, or NULL. */
static inline const char *json_cf(const char *event, const char *end) {
    const char *records = json_member(event, end, "Records");
    if (!records || *records != '[') return NULL;
    return json_member(json_ws(records + 1, end), end, "cf");
}

/* Writers: copy into a buffer the caller sized, return the new end. */
static inline char *put(char *at, const char *s, size_t n) { memcpy(at, s, n); return at + n; }
static inline char *put_str(char *at, const char *s) { return put(at, s, strlen(s)); }
static inline char *put_ulong(char *at, unsigned long v) {
    char digits[24];
    int i = sizeof digits;
    do digits[--i] = (char)('0' + v % 10); while (v /= 10);
    return put(at, digits + i, sizeof digits - i);
}

#endif
