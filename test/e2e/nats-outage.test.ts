/**
 * A NATS restart under a running engine (identity resolver and partition consumers) and worker: once
 * NATS is back, events published after the outage are resolved, matched and their journey runs — the
 * processes reconnect and resume consuming without a restart of their own.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats } from '../../dev/servers/nats';
import type { EventEnvelope } from '../../engine/events/envelope';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ rules: 'test/fixtures/identity' });
});
afterAll(async () => {
  await stack?.stop();
});

const view = (anonymousId: string, minutesAgo: number): EventEnvelope => ({
  type: 'page', name: 'Pricing', properties: { path: '/pricing' }, anonymousId, context: {},
  timestamp: new Date(Date.now() - minutesAgo * 60_000).toISOString(), messageId: randomUUID(),
});

describe('NATS restarts under the engine and worker', () => {
  it('events after the restart are resolved, matched and journeyed', async () => {
    const before = `before-${randomUUID().slice(0, 8)}`;
    await stack.publish(view(before, 30));
    await stack.settle();

    await stack.nats.stop();
    // longer than nats.js gives up by default (10 attempts, 2 s apart)
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    stack.nats = await startNats({ port: stack.nats.port, storeDir: stack.nats.storeDir, ...(stack.nats.encryption ? { encryption: stack.nats.encryption } : {}) });

    const after = `after-${randomUUID().slice(0, 8)}`;
    const publish = async (event: EventEnvelope) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await stack.publish(event);
        } catch (error) {
          if (attempt > 60) throw error; // the test's own connection reconnects too
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    };
    for (const [i, minutes] of [20, 10, 1].entries()) await publish({ ...view(after, minutes), messageId: `${after}-${i}` });
    await publish(view(before, 5));
    await stack.settle(60_000);

    const journey = await stack.journeyIdOf(after, 'pricing-views', 30_000);
    expect(journey).toContain(`journey/pricing-views/${after}/${after}-2`);
    expect(stack.outcomes.filter((o) => o.userKey === before)).toHaveLength(2);
  }, 120_000);
});
