/*
 * viewer-request: normalise the query string so equivalent URLs share one cache entry
 * (as normalize_query.py, and to the byte the same answers).
 *
 * Parameter names are lower-cased and parameters sorted; tracking parameters are dropped. Done on
 * viewer-request because the cache key is computed from the request this hook returns. Written as
 * a plain function that returns a promise.
 */

'use strict';

const TRACKING = new Set(['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'fbclid', 'gclid']);
const utf8 = new TextDecoder(); // invalid UTF-8 becomes U+FFFD, as Python's errors="replace"

// Python's unquote_plus: %XX escapes in ASCII runs become bytes; other characters stay as they are.
function decode(text) {
  return text
    .replaceAll('+', ' ')
    .split(/([^\x00-\x7f]+)/)
    .map((part, i) => (i % 2 ? part : utf8.decode(Buffer.from(part.replace(/%([0-9A-Fa-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))), 'latin1'))))
    .join('');
}

// Python's quote_plus: everything but letters, digits and _.-~ is %XX-escaped, spaces become +.
const encode = (text) =>
  encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replaceAll('%20', '+');

// Python's parse_qsl(keep_blank_values=True): "&"-separated, a missing "=" is an empty value.
function parse(query) {
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
    });
}

// Python sorts strings by code point; JavaScript's < compares UTF-16 code units, which orders a
// character beyond U+FFFF (an emoji) before one in U+E000-U+FFFF. Compare code points, as Python.
function byCodePoint(a, b) {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const difference = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (difference) return difference;
  }
  return x.length - y.length;
}

const compare = ([k1, v1], [k2, v2]) => byCodePoint(k1, k2) || byCodePoint(v1, v2);

exports.handler = (event) => {
  const request = event.Records[0].cf.request;
  const params = parse(request.querystring).map(([name, value]) => [name.toLowerCase(), value]);
  request.querystring = params
    .filter(([name]) => !TRACKING.has(name))
    .sort(compare)
    .map(([name, value]) => `${encode(name)}=${encode(value)}`)
    .join('&');
  return Promise.resolve(request);
};
