/*
 * viewer-request: HTTP basic authentication at the edge (as basic_auth.py).
 *
 * Unauthenticated viewers get a 401 generated at the edge; the origin never sees them. The
 * Authorization header is removed before the request goes on, so it does not reach the origin.
 */

'use strict';

const { timingSafeEqual } = require('node:crypto');

const USERS = { demo: 'edgehooks' };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/; // strict, as b64decode(validate=True)

function authorized(headerValue) {
  const space = headerValue.indexOf(' ');
  const [scheme, encoded] = space < 0 ? [headerValue, ''] : [headerValue.slice(0, space), headerValue.slice(space + 1)];
  if (scheme.toLowerCase() !== 'basic' || !BASE64.test(encoded)) return false;
  let credentials;
  try {
    credentials = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    return false;
  }
  const colon = credentials.indexOf(':');
  const [user, password] = colon < 0 ? [credentials, ''] : [credentials.slice(0, colon), credentials.slice(colon + 1)];
  const expected = Object.hasOwn(USERS, user) ? Buffer.from(USERS[user]) : null;
  const supplied = Buffer.from(password);
  return expected !== null && supplied.length === expected.length && timingSafeEqual(supplied, expected);
}

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const supplied = request.headers.authorization?.[0]?.value ?? '';
  if (authorized(supplied)) {
    delete request.headers.authorization;
    return request;
  }
  return {
    status: 401,
    statusDescription: 'Unauthorized',
    headers: {
      'www-authenticate': [{ key: 'WWW-Authenticate', value: 'Basic realm="edgehooks demo", charset="UTF-8"' }],
      'content-type': [{ key: 'Content-Type', value: 'text/plain' }],
    },
    body: 'Authentication required.',
  };
};
