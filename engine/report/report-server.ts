/**
 * `nudge report --serve`: the report page at `/` and its numbers at `/report.json`. Each request builds
 * from the source again (so a page reload shows journeys that entered since), one build at a time: a
 * request arriving while a build runs gets that build's result.
 */
import { createServer } from 'node:http';
import { listenHttp, type ListeningHttpServer } from '../../platform/http-listen';
import type { Logger } from '../../platform/logger';
import type { ReportNumbers } from './report-numbers';

/** `nudge report --serve`'s port unless --port says otherwise (the demo takes the next free one). */
export const DEFAULT_REPORT_PORT = 4297;

export interface BuiltReport {
  numbers: ReportNumbers;
  html: string;
}

export interface ReportServerOptions {
  port: number;
  host?: string;
  build: () => Promise<BuiltReport>;
  log: Logger;
}

export async function startReportServer(options: ReportServerOptions): Promise<ListeningHttpServer> {
  let running: Promise<BuiltReport> | null = null;
  const current = () => {
    running ??= options.build().finally(() => {
      running = null;
    });
    return running;
  };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://report').pathname;
    if (request.method !== 'GET' || (path !== '/' && path !== '/report.json')) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: the report is at / and its numbers at /report.json\n');
      return;
    }
    current().then(
      (built) => {
        if (path === '/') response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(built.html);
        else response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(built.numbers, null, 2));
      },
      (error: unknown) => {
        options.log.error({ err: error }, 'report build failed');
        response.writeHead(503, { 'Content-Type': 'text/plain' }).end(`the report could not be built: ${(error as Error).message}\n`);
      },
    );
  });
  return listenHttp(server, options.port, options.host);
}
