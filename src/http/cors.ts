import type { Plugin } from 'graphql-yoga';

/** Request headers a browser front end may send. */
const ALLOWED_HEADERS = 'authorization, content-type, x-access-purpose';

/**
 * CORS for an allow-list of origins. A listed origin is named back with credentials allowed; any
 * other origin gets no CORS headers at all, so the browser withholds the response from its page.
 * Never `*` and never an echo of an unlisted origin. An entry `scheme://host:*` allows any port.
 */
export function useCorsAllowList(origins: readonly string[]): Plugin {
  const allowed = originMatcher(origins);
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      // a preflight is answered here; its CORS headers (or their absence) are added below
      if (request.method === 'OPTIONS') endResponse(new fetchAPI.Response(null, { status: 204, headers: { 'content-length': '0' } }));
    },
    onResponse({ request, response }) {
      // the answer depends on the origin, so caches must keep one per origin
      response.headers.append('vary', 'Origin');
      const origin = request.headers.get('origin');
      if (origin === null || !allowed(origin)) return;
      response.headers.set('access-control-allow-origin', origin);
      response.headers.set('access-control-allow-credentials', 'true');
      if (request.method === 'OPTIONS') {
        response.headers.set('access-control-allow-methods', 'GET, POST');
        response.headers.set('access-control-allow-headers', ALLOWED_HEADERS);
        response.headers.set('access-control-max-age', '600');
      }
    },
  };
}

function originMatcher(origins: readonly string[]): (origin: string) => boolean {
  const exact = new Set(origins.filter((o) => !o.endsWith(':*')));
  const anyPort = origins.filter((o) => o.endsWith(':*')).map((o) => o.slice(0, -1));
  return (origin) => {
    const normalized = origin.toLowerCase();
    return exact.has(normalized) || anyPort.some((prefix) => normalized.startsWith(prefix) && /^\d{1,5}$/.test(normalized.slice(prefix.length)));
  };
}
