/**
 * Listening and stopping for nudge's HTTP services (collector, API): one place for how a service binds
 * its host and port and how it stops — it stops taking requests, answers those in flight, and after a
 * grace period closes what is still open, so a stop never hangs on a slow client.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListeningHttpServer {
  url: string;
  port: number;
  /** Stops taking requests and waits (up to the grace period) for those in flight to be answered. */
  stop(): Promise<void>;
}

export const STOP_GRACE_MS = 10_000;

export async function listenHttp(server: Server, port: number, host = '127.0.0.1'): Promise<ListeningHttpServer> {
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        const force = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
        server.close((error) => {
          clearTimeout(force);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
