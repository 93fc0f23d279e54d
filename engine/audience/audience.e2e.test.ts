/**
 * A one-off audience on the real stack (NATS, Temporal, engine, worker): 10,000 persons seeded straight
 * into the state bucket, 100 of them matching. `audience count` counts 100; `audience launch` enters
 * each of them once (a second launch of the same run enters nobody again); every one of their webhooks
 * arrives, none failed; and the send rate stays within the rule's throttle (20/s, Temporal's task
 * queue rate limit), read off the capture's receive times — counted over the whole send, not timed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { runAudienceCommand } from '../../cli/audience-command';
import { USERS_BUCKET } from '../../platform/nats/setup';
import { stateKey } from '../../platform/stores/state-store';
import { eventually } from '../../test/support/poll';
import { startStack, type Stack } from '../../test/support/stack';
import { emptyState } from '../state/behavior-state';

const PERSONS = 10_000;
const EVERY = 100; // persons 0, 100, 200, …: 100 of 10,000 match (few journeys: the scan is what is large)
const MATCHING = Math.ceil(PERSONS / EVERY);
const THROTTLE = 20; // 100 sends take ~5 s at this rate: the throttle stays visible

let stack: Stack;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-audience-'));
  stack = await startStack({
    rules: dir,
    env: { WEBHOOK_SECRET: 'audience-test-secret' },
    beforeEngine: ({ webhooks }) =>
      writeFileSync(join(dir, 'spring-offer.json'), JSON.stringify({
        id: 'spring-offer', name: 'Spring offer', version: 1, enabled: true,
        trigger: { oneOff: {}, conditions: { all: [{ fact: 'traits', path: '$.intent', operator: 'equal', value: 'high' }] } },
        entry: { policy: 'once' },
        throttle: { webhook: THROTTLE },
        steps: [{ id: 'offer', type: 'webhook', url: `${webhooks.url}/offer` }],
      })),
  });
  // Straight into the bucket, concurrently: states as the engine stores them, of people whose events are not in the stream.
  const kv = await new Kvm(stack.nc).open(USERS_BUCKET);
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < PERSONS; i++) {
    const state = { ...emptyState(`person-${i}`), lastSeq: 0, clock: Date.now() - 60_000, traits: { intent: i % EVERY === 0 ? 'high' : 'low' } };
    writes.push(kv.put(stateKey(state.userKey), JSON.stringify(state)));
    if (writes.length >= 500) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const entered = () => stack.outcomes.flatMap((o) => o.decisions.filter((d) => d.ruleId === 'spring-offer' && (d.outcome === 'started' || d.outcome === 'already_started')).map(() => o.userKey));

describe('a one-off audience over 10,000 persons', () => {
  it('counts, enters each match once and sends within the throttle', async () => {
    const counted: string[] = [];
    expect(await runAudienceCommand(stack.config, 'count', 'spring-offer', {}, (line) => counted.push(line))).toBe(0);
    expect(counted.at(-1)).toBe(`audience of spring-offer: ${MATCHING} persons`);
    expect(counted.filter((line) => line.startsWith('partition '))).toHaveLength(4);
    expect(stack.webhooks.requests()).toHaveLength(0); // a dry run

    const launched: string[] = [];
    expect(await runAudienceCommand(stack.config, 'launch', 'spring-offer', { runId: 'spring-2026' }, (line) => launched.push(line))).toBe(0);
    expect(launched.at(-1)).toContain(`${PERSONS} scanned, ${MATCHING} matched, ${MATCHING} sent for entry`);
    await eventually(() => (entered().length >= MATCHING ? true : undefined), 60_000, `${MATCHING} entries`).catch((error: Error) => {
      throw new Error(`${error.message}; entered ${entered().length}; outcomes ${JSON.stringify(stack.outcomes.slice(0, 2))}; dead letters ${JSON.stringify(stack.deadLetters.slice(0, 2))}`);
    });
    expect(new Set(entered()).size).toBe(MATCHING);

    // The same run again: the stream drops the repeated entries, nobody enters twice.
    expect(await runAudienceCommand(stack.config, 'launch', 'spring-offer', { runId: 'spring-2026' }, () => undefined)).toBe(0);

    const sends = await eventually(() => {
      const requests = stack.webhooks.requests().filter((r) => r.path === '/offer');
      return requests.length >= MATCHING ? requests : undefined;
    }, 120_000, `${MATCHING} webhooks`);
    const people = sends.map((r) => (r.json as { userId: string }).userId);
    expect(new Set(people).size).toBe(MATCHING);
    expect(people.every((p) => Number(p.slice('person-'.length)) % EVERY === 0)).toBe(true);

    // Within the throttle: Temporal hands out at most THROTTLE tasks a second (a token bucket: allow a 10% margin
    // and a one-second burst). At full speed the worker would send 100 webhooks in well under a second.
    const times = sends.map((r) => r.receivedAt.getTime()).sort((a, b) => a - b);
    const seconds = (times.at(-1)! - times[0]!) / 1000;
    expect(MATCHING - THROTTLE).toBeLessThanOrEqual(seconds * THROTTLE * 1.1);
    // No window of one second holds more than the rate plus a burst.
    let busiest = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(THROTTLE * 2);

    await new Promise((r) => setTimeout(r, 1000));
    expect(stack.webhooks.requests().filter((r) => r.path === '/offer')).toHaveLength(MATCHING);
    expect(new Set(entered()).size).toBe(MATCHING);
  }, 240_000);
});
