/*
 * origin-request: serve a single-page app's shell for its client-side routes (as spa_index.py).
 *
 * Paths ending in "/" get "index.html"; paths without a file extension are routed to the app's
 * /app/index.html, so deep links like /app/settings/profile work. Done on origin-request, so the
 * cache key keeps the URL the viewer asked for. An ES module, as new Lambda code is written.
 */

import { posix } from 'node:path';

const APP_SHELL = '/app/index.html';

export const handler = async (event) => {
  const request = event.Records[0].cf.request;
  const uri = request.uri;
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
  } else if (!posix.basename(uri).includes('.')) {
    request.uri = APP_SHELL;
  }
  return request;
};
