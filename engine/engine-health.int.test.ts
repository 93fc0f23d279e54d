/**
 * Lag you can see: per-partition pending and oldest-unprocessed gauges, and /healthz that answers 503
 * with the reasons while NATS is disconnected, Temporal does not answer, or a partition is stuck.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineHealth } from './engine-health';
import type { BatchReader } from '../platform/nats/stream-batches';
import { serveMetrics } from '../platform/metrics';

const reader = (lag: { buffered: number; pending: number; oldestBufferedMs: number | null }): BatchReader => ({ lag: async () => lag });
const noStream = { streams: { getMessage: async () => null } } as unknown as JetStreamManager;

describe('EngineHealth', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('reports pending messages and the age of the oldest per owned partition', async () => {
    let now = 100_000;
    const registry = new Registry();
    const health = new EngineHealth(registry, noStream, 60_000, () => now);
    health.setReader(3, reader({ buffered: 40, pending: 960, oldestBufferedMs: 70_000 }));
    health.setReader(5, reader({ buffered: 0, pending: 0, oldestBufferedMs: null }));
    const text = await registry.metrics();
    expect(text).toContain('nudge_partition_pending{partition="3"} 1000');
    expect(text).toContain('nudge_partition_pending{partition="5"} 0');
    expect(text).toContain('nudge_partition_oldest_unprocessed_seconds{partition="3"} 30');
    expect(text).toContain('nudge_partitions_owned 2');
    health.setReader(5, null);
    now += 1000; // a new scrape, not the one just sampled
    expect(await registry.metrics()).not.toContain('partition="5"');
  });

  it('is ready, then not ready with every reason, over HTTP', async () => {
    let now = 1_000_000;
    const health = new EngineHealth(new Registry(), noStream, 60_000, () => now);
    health.setReader(0, reader({ buffered: 10, pending: 5, oldestBufferedMs: now - 1000 }));
    health.committed(0, 42);
    const server = await serveMetrics(new Registry(), 0, () => health.health());
    close = () => server.close();
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/healthz`;
    expect((await fetch(url)).status).toBe(200);

    // Nothing committed for two minutes while messages wait for 90 s: stuck. And both servers away.
    now += 120_000;
    health.setReader(0, reader({ buffered: 10, pending: 5, oldestBufferedMs: now - 90_000 }));
    health.natsConnected = false;
    health.temporalReachable = false;
    const response = await fetch(url);
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(body).toContain('NATS is disconnected');
    expect(body).toContain('Temporal does not answer');
    expect(body).toMatch(/partition 0 is stuck: 15 messages waiting, the oldest for 90 s, nothing committed for 120 s/);

    // A partition that is busy but committing is not stuck.
    health.natsConnected = true;
    health.temporalReachable = true;
    health.committed(0, 43);
    expect((await fetch(url)).status).toBe(200);
  });
});
