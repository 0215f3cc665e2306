/*
 * viewer-request: answer legacy URLs with a permanent redirect at the edge (as redirects.py).
 *
 * A generated response from viewer-request goes straight back to the viewer: the origin is never
 * contacted and the answer is not cached. Written in the callback style of older Lambda code.
 */

'use strict';

const REDIRECTS = {
  '/old-about': '/about.html',
  '/blog': 'https://blog.example.com/',
};

exports.handler = (event, context, callback) => {
  const request = event.Records[0].cf.request;
  const target = Object.hasOwn(REDIRECTS, request.uri) ? REDIRECTS[request.uri] : undefined;
  if (target === undefined) {
    callback(null, request);
    return;
  }
  callback(null, {
    status: '301',
    statusDescription: 'Moved Permanently',
    headers: {
      location: [{ key: 'Location', value: target }],
      'cache-control': [{ key: 'Cache-Control', value: 'max-age=3600' }],
    },
  });
};
