/**
 * A local website for browser tests: a page with Segment's snippet that loads the real analytics.js
 * (@segment/analytics-next's standalone bundle from node_modules, no CDN) and the CDN settings it asks
 * for, pointing its Segment.io destination at a local collector. Nothing is fetched from the internet.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

export interface AnalyticsPage {
  /** http://127.0.0.1:<port>: the page's origin, also analytics.js's CDN. */
  origin: string;
  /** Pages at any path load the snippet; `calls` is the script run after it (analytics.page(), …). */
  setCalls(calls: string): void;
  /** host:port of the collector; analytics.js posts to http://<host:port>/v1/<letter>. */
  setCollector(host: string): void;
  /** analytics.js's delivery: one request per event (its default) or batches to /v1/b. */
  setBatching(on: boolean): void;
  stop(): Promise<void>;
}

const bundles = join(dirname(createRequire(import.meta.url).resolve('@segment/analytics-next/package.json')), 'dist', 'umd');

export async function startAnalyticsPage(writeKey: string): Promise<AnalyticsPage> {
  let calls = '';
  let collectorHost = '';
  let batching = false;
  const settings = () => ({
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost: `${collectorHost}/v1`,
        protocol: 'http',
        ...(batching ? { deliveryStrategy: { strategy: 'batching', config: { size: 10, timeout: 200 } } } : {}),
      },
    },
    plan: { track: { __default: { enabled: true } } },
    metrics: { sampleRate: 0 },
  });
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname;
    if (path === `/v1/projects/${writeKey}/settings`) {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      return void response.end(JSON.stringify(settings()));
    }
    if (path.startsWith('/analytics-next/bundles/')) {
      readFile(join(bundles, basename(path))).then(
        (script) => response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script),
        () => response.writeHead(404).end(),
      );
      return;
    }
    if (path === '/favicon.ico') return void response.writeHead(404).end();
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(page(writeKey, calls));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    setCalls: (next) => void (calls = next),
    setCollector: (host) => void (collectorHost = host),
    setBatching: (on) => void (batching = on),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Segment's snippet (a queue of calls until the bundle loads), with the bundle and CDN self-hosted. */
const page = (writeKey: string, calls: string) => `<!doctype html>
<html><head><title>Pricing</title>
<script>
  !function () {
    var analytics = (window.analytics = window.analytics || []);
    analytics.methods = ['track', 'page', 'identify', 'alias', 'group', 'screen', 'reset', 'ready'];
    analytics.factory = function (method) {
      return function () {
        var args = Array.prototype.slice.call(arguments);
        args.unshift(method);
        analytics.push(args);
        return analytics;
      };
    };
    for (var i = 0; i < analytics.methods.length; i++) analytics[analytics.methods[i]] = analytics.factory(analytics.methods[i]);
    analytics._writeKey = ${JSON.stringify(writeKey)};
    analytics._cdn = location.origin; // settings and the bundle's chunks come from here, not cdn.segment.com
    var script = document.createElement('script');
    script.async = true;
    script.src = '/analytics-next/bundles/standalone.js';
    document.head.appendChild(script);
  }();
</script>
<script>${calls}</script>
</head><body><h1>Pricing</h1></body></html>`;
