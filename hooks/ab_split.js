/*
 * A/B test by cookie: two handlers, one per viewer hook (as ab_split.py).
 *
 * viewerRequest keeps a viewer on the variant named by its `variant` cookie, or picks one at
 * random for a new viewer, and rewrites the URI into that variant's folder — so each variant is
 * its own cache entry. viewerResponse hands a new viewer the cookie so the choice sticks.
 */

'use strict';

const VARIANTS = ['a', 'b'];
const COOKIE = 'variant';

function cookie(headers, name) {
  for (const header of headers.cookie ?? []) {
    for (const pair of header.value.split(';')) {
      const trimmed = pair.trim();
      const eq = trimmed.indexOf('=');
      const [key, value] = eq < 0 ? [trimmed, ''] : [trimmed.slice(0, eq), trimmed.slice(eq + 1)];
      if (key === name) return value;
    }
  }
  return null;
}

// The callback style, with context.callbackWaitsForEmptyEventLoop left at its default.
exports.viewerRequest = (event, context, callback) => {
  const request = event.Records[0].cf.request;
  let variant = cookie(request.headers, COOKIE);
  if (!VARIANTS.includes(variant)) {
    variant = VARIANTS[Math.floor(Math.random() * VARIANTS.length)];
    // Remembered for viewerResponse, which sees this same request.
    request.headers['x-ab-new-variant'] = [{ key: 'X-AB-New-Variant', value: variant }];
  }
  request.uri = `/experiment/${variant}${request.uri}`;
  if (request.uri.endsWith('/')) request.uri += 'index.html';
  callback(null, request);
};

exports.viewerResponse = async (event) => {
  const cf = event.Records[0].cf;
  const added = cf.request.headers['x-ab-new-variant'];
  if (added?.length) {
    cf.response.headers['set-cookie'] = [
      { key: 'Set-Cookie', value: `${COOKIE}=${added[0].value}; Path=/; Max-Age=2592000; SameSite=Lax` },
    ];
  }
  return cf.response;
};
