/*
 * origin-response: add the security headers browsers expect (as security_headers.py).
 *
 * Done on origin-response (as in AWS's tutorial) so the headers are stored with the object and
 * later cache hits serve them without running the function again.
 */

'use strict';

const SECURITY_HEADERS = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

// "x-frame-options" -> "X-Frame-Options", as Python's str.title() spells these names
const title = (name) => name.replace(/(^|-)([a-z])/g, (_, dash, letter) => dash + letter.toUpperCase());

exports.handler = async (event) => {
  const response = event.Records[0].cf.response;
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    response.headers[name] = [{ key: title(name), value }];
  }
  return response;
};
