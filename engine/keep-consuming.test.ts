import { describe, expect, it } from 'vitest';
import { keepConsuming } from './keep-consuming';
import { createLogger } from '../platform/logger';

describe('keepConsuming', () => {
  it('starts a loop again after it fails or ends, until stopped; stopping cuts the pause short', async () => {
    const stop = new AbortController();
    const runs: string[] = [];
    const done = keepConsuming('test', async () => {
      runs.push(`run ${runs.length + 1}`);
      if (runs.length === 1) throw new Error('consumer deleted');
      if (runs.length === 3) stop.abort();
    }, stop.signal, createLogger('test', 'silent'), 10);
    await done;
    expect(runs).toEqual(['run 1', 'run 2', 'run 3']);

    const stopLater = new AbortController();
    const started = Date.now();
    const waiting = keepConsuming('test', async () => undefined, stopLater.signal, createLogger('test', 'silent'), 60_000);
    setTimeout(() => stopLater.abort(), 50);
    await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
