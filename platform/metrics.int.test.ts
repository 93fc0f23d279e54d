import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { serveMetrics } from './metrics';

describe('serveMetrics', () => {
  const servers: { close(): unknown }[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it('answers /healthz 503 with the reason when the health check throws, instead of leaving the probe hanging', async () => {
    const server = await serveMetrics(new Registry(), 0, () => Promise.reject(new Error('NATS KV timed out')));
    servers.push(server);
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('not ready:\n- health check failed: NATS KV timed out\n');
  });

  it('answers /healthz 200 when ready and 503 with the reasons when not', async () => {
    let ready = true;
    const server = await serveMetrics(new Registry(), 0, async () => ({ ready, reasons: ready ? [] : ['partition 3 stalled'] }));
    servers.push(server);
    const { port } = server.address() as AddressInfo;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    ready = false;
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('not ready:\n- partition 3 stalled\n');
  });
});
