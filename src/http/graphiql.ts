import { createRequire } from 'node:module';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/**
 * GraphiQL that works offline (air-gapped gateways): the page loads its script, styles, favicon and
 * editor workers from the gateway, out of `@graphql-yoga/render-graphiql`'s bundle, never from a CDN.
 * Asset URLs carry the package version, so browsers may cache them for good.
 */
const VERSION = (createRequire(import.meta.url)('@graphql-yoga/render-graphiql/package.json') as { version: string }).version;
const ASSETS = `/graphiql/${VERSION}/`;

/** The page: yoga's `renderGraphiQL` option. */
export function renderOfflineGraphiQL(options: GraphiQLOptions): string {
  // inside <script>, a "</script>" in an option must not end the element
  const json = JSON.stringify(options).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
<link rel="icon" href="${ASSETS}favicon.ico">
<link rel="stylesheet" href="${ASSETS}graphiql.css">
</head>
<body id="body" class="no-focus-outline">
<noscript>You need to enable JavaScript to run GraphiQL.</noscript>
<div id="root"></div>
<script>
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => '${ASSETS}' + label + '.worker.js' };
</script>
<script src="${ASSETS}graphiql.js"></script>
<script>YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), ${json});</script>
</body>
</html>`;
}

interface Asset {
  body: Buffer<ArrayBuffer>;
  type: string;
}

/** Serves the assets the page names, loading the 9 MB bundle on first use only. */
export function useGraphiQLAssets(): Plugin {
  let assets: Promise<Map<string, Asset>> | undefined;
  return {
    onRequest({ url, fetchAPI, endResponse }) {
      if (!url.pathname.startsWith(ASSETS)) return undefined;
      assets ??= loadAssets();
      return assets.then((loaded) => {
        const asset = loaded.get(url.pathname.slice(ASSETS.length));
        endResponse(
          asset
            ? new fetchAPI.Response(asset.body, { headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable' } })
            : new fetchAPI.Response('not found', { status: 404 }),
        );
      });
    },
  };
}

/** The bundle's parts, encoded once (the script alone is 5 MB of text). */
async function loadAssets(): Promise<Map<string, Asset>> {
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const script = (text: string): Asset => ({ body: Buffer.from(text), type: 'text/javascript; charset=utf-8' });
  return new Map<string, Asset>([
    ['graphiql.js', script(bundle.js)],
    ['graphiql.css', { body: Buffer.from(bundle.css), type: 'text/css; charset=utf-8' }],
    // a data: URL in the bundle
    ['favicon.ico', { body: Buffer.from(bundle.favicon.slice(bundle.favicon.indexOf(',') + 1), 'base64'), type: 'image/x-icon' }],
    ['editorWorkerService.worker.js', script(bundle.editorWorkerService)],
    ['json.worker.js', script(bundle.jsonWorker)],
    ['graphql.worker.js', script(bundle.graphqlWorker)],
  ]);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);
}
