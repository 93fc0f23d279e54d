/**
 * OneID end to end: Segment's SDK → collector → raw stream → identity resolver → partitions → engine →
 * Temporal → fake Twilio / SMTP capture, all real. Rule: /pricing viewed 3 times in 7 days → email at
 * once, SMS 8 s later (test/fixtures/identity/pricing-views.json).
 */
import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectService } from '../../engine/collect/collect-service';
import type { CollectServer } from '../../engine/collect/collect-server';
import { IDENTITY_BUCKET, KvIdentityStore, livePerson } from '../../engine/identity/identity-store';
import { openBucket } from '../../platform/nats/setup';
import { runProfile } from '../../engine/profile/profile-command';
import { personRef } from '../../engine/match/person-ref';
import { startStack, type Stack } from '../support/stack';
import { eventually } from '../support/poll';

const WRITE_KEY = 'wk-identity';
const RULE = 'pricing-views';
let stack: Stack;
let collector: CollectServer;
let graph: KvIdentityStore;

beforeAll(async () => {
  stack = await startStack({ rules: 'test/fixtures/identity', env: { NUDGE_PHONE_REGION: 'CN' } });
  collector = await startCollectService({ config: { ...stack.config, NUDGE_COLLECT_PORT: 0, NUDGE_WRITE_KEYS: { [WRITE_KEY]: 'web' } } });
  graph = new KvIdentityStore(await openBucket(stack.nc, IDENTITY_BUCKET));
});
afterAll(async () => {
  await collector?.stop();
  await stack?.stop();
});

const id = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/** Sends through the collector with Segment's SDK and waits until the engine has handled every event. */
async function send(calls: (analytics: Analytics) => void, count: number): Promise<void> {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: collector.url, flushAt: 50, flushInterval: 20 });
  calls(analytics);
  await analytics.closeAndFlush({ timeout: 20_000 });
  stack.expectExtra(count);
  await stack.settle(30_000);
}

const pricing = (ids: { userId?: string; anonymousId?: string }, at: Date) => (a: Analytics) =>
  a.page({ ...(ids as { userId: string }), name: 'Pricing', properties: { path: '/pricing', url: 'https://shop.test/pricing' }, timestamp: at });

const startedFor = (ruleId: string) =>
  stack.outcomes.flatMap((o) => o.decisions.flatMap((d) => (d.ruleId === ruleId && d.outcome === 'started' ? [{ person: o.userKey, kind: o.kind, workflowId: d.workflowId }] : [])));

describe('OneID through the collector', () => {
  it('cross-device: two anonymous views on the web, a login, one view in the app → the rule fires once, on the third view', async () => {
    const [web, app, member] = [id('web'), id('app'), id('member')];
    const email = `${member}@example.com`;
    const before = startedFor(RULE).length;
    await send((a) => {
      pricing({ anonymousId: web }, minutesAgo(30))(a);
      pricing({ anonymousId: web }, minutesAgo(20))(a);
      a.identify({ userId: member, anonymousId: web, traits: { email }, timestamp: minutesAgo(15) });
    }, 3);
    expect(startedFor(RULE).length).toBe(before);
    await send(pricing({ userId: member, anonymousId: app }, minutesAgo(1)), 1);

    const started = startedFor(RULE).slice(before);
    expect(started).toEqual([{ person: web, kind: 'event', workflowId: expect.stringContaining(`journey/${RULE}/${personRef(web)}/`) }]);
    const third = stack.outcomes.filter((o) => o.userKey === web && o.kind === 'event').at(-1)!;
    expect(third.decisions.map((d) => d.outcome)).toEqual(['started']);
    await stack.smtp.waitFor((m) => m.to.includes(email), 20_000);
    // ops find the journey in Temporal by any of the person's ids, as its ref: an id with a run of 7
    // digits (this random suffix, about one run in ten) is hashed like a phone number (person-ref.ts)
    for (const lookup of [member, app].map(personRef)) {
      const found = await eventually(async () => {
        const ids: string[] = [];
        for await (const execution of stack.temporal.workflow.list({ query: `PersonIds = "${lookup}"` })) ids.push(execution.workflowId);
        return ids.length ? ids : undefined;
      }, 15_000, `journeys listed by PersonIds = ${lookup}`);
      expect(found).toEqual([started[0]!.workflowId]);
    }
    const byMember = (await graph.getIdentifier({ type: 'userId', value: member }))!.value.person;
    expect((await livePerson(graph, byMember))!.value).toMatchObject({ id: web, identifiers: { anonymousId: [web, app], userId: [member] } });
    expect((await graph.getIdentifier({ type: 'anonymousId', value: app }))!.value.person).toBe(web);
  });

  it('both devices triggered before the link: after the merge one journey remains, the other exits `merged`, one SMS', async () => {
    const [deviceA, deviceB, member] = [id('dev-a'), id('dev-b'), id('member')];
    const phone = `+86 138 ${String(Math.floor(1000 + Math.random() * 8999))} ${String(Math.floor(1000 + Math.random() * 8999))}`;
    await send((a) => {
      for (const m of [40, 30, 20]) pricing({ anonymousId: deviceA }, minutesAgo(m))(a);
      for (const m of [39, 29, 19]) pricing({ anonymousId: deviceB }, minutesAgo(m))(a);
    }, 6);
    const journeyA = await stack.journeyIdOf(deviceA, RULE);
    const journeyB = await stack.journeyIdOf(deviceB, RULE);
    await send((a) => {
      a.identify({ userId: member, anonymousId: deviceA, traits: { phone }, timestamp: minutesAgo(5) });
      a.identify({ userId: member, anonymousId: deviceB, timestamp: minutesAgo(4) });
    }, 2);

    // device A holds the member id, so it survives; both journeys started the same way, A's first
    const merge = await eventually(() => stack.outcomes.find((o) => o.kind === 'merge' && o.userKey === deviceA && o.mergedFrom === deviceB), 15_000, 'the merge');
    expect(merge.signalled).toEqual([journeyB]);
    const dropped = await stack.temporal.workflow.getHandle(journeyB).result();
    expect(dropped.reason).toBe('merged');
    const kept = await stack.temporal.workflow.getHandle(journeyA).result();
    expect(kept.reason).toBe('completed');
    const e164 = phone.replace(/\s/g, '');
    const sms = stack.twilio.messages().filter((m) => m.to === e164);
    expect(sms).toHaveLength(1);
    expect((await livePerson(graph, deviceB))!.value.id).toBe(deviceA);
    // through the device id the second login carried
    expect((await graph.getPerson(deviceA))!.value.merges).toEqual([expect.objectContaining({ from: deviceB, into: deviceA, via: { type: 'anonymousId', value: deviceB } })]);

    // `nudge profile` by the member id, by the merged-away device and by the phone written another way
    for (const lookup of [member, deviceB, phone.replace('+86 ', '').replace(/\s/g, '')]) {
      let text = '';
      expect(await runProfile(stack.config, lookup, {}, (t) => (text += t))).toBe(0);
      expect(text).toContain(`profile ${deviceA}`);
      expect(text).toMatch(new RegExp(`${deviceB} merged into ${deviceA} +via anonymousId ${deviceB}`));
      expect(text).toContain(e164);
      expect(text).toMatch(/pricing-views/); // the surviving journey's entry
    }
  });

  it('a merge re-evaluates the rules: 2 views on one device + 1 on another, then the link → the journey starts at the merge', async () => {
    const [deviceC, deviceD, member] = [id('dev-c'), id('dev-d'), id('member')];
    const email = `${member}@example.com`;
    await send((a) => {
      pricing({ anonymousId: deviceC }, minutesAgo(50))(a);
      pricing({ anonymousId: deviceC }, minutesAgo(40))(a);
      pricing({ anonymousId: deviceD }, minutesAgo(30))(a);
      a.identify({ userId: member, anonymousId: deviceC, traits: { email }, timestamp: minutesAgo(10) });
    }, 4);
    expect(startedFor(RULE).filter((s) => s.person === deviceC || s.person === deviceD)).toEqual([]);
    await send((a) => a.identify({ userId: member, anonymousId: deviceD, timestamp: minutesAgo(5) }), 1);
    const started = await eventually(() => startedFor(RULE).find((s) => s.person === deviceC), 15_000, 'the journey started by the merge');
    expect(started.kind).toBe('merge');
    await stack.smtp.waitFor((m) => m.to.includes(email), 20_000);
  });

  it('two member ids on one shared device never merge; the refused link is recorded on both', async () => {
    const [tablet, first, second] = [id('tablet'), id('m1'), id('m2')];
    await send((a) => {
      pricing({ userId: first, anonymousId: tablet }, minutesAgo(30))(a);
      pricing({ userId: first, anonymousId: tablet }, minutesAgo(20))(a);
      pricing({ userId: second, anonymousId: tablet }, minutesAgo(10))(a);
    }, 3);
    // three views on one device, but two people: nobody reached 3
    expect(startedFor(RULE).filter((s) => s.person === first || s.person === second)).toEqual([]);
    expect(stack.outcomes.filter((o) => o.userKey === second).length).toBe(1);
    const one = (await graph.getPerson(first))!.value;
    const two = (await graph.getPerson(second))!.value;
    expect(one.identifiers).toEqual({ userId: [first], anonymousId: [tablet] });
    expect(two.identifiers).toEqual({ userId: [second] });
    expect(two.refusals).toEqual([expect.objectContaining({ reason: 'unique', otherPerson: first, identifier: { type: 'anonymousId', value: tablet } })]);
    expect(one.refusals).toEqual([expect.objectContaining({ reason: 'unique', otherPerson: second })]);
  });

  it('phone numbers in different formats link as one person (default region CN)', async () => {
    const [web, app] = [id('p-web'), id('p-app')];
    const digits = `139${String(Math.floor(10_000_000 + Math.random() * 89_999_999))}`;
    await send((a) => {
      a.identify({ anonymousId: web, traits: { phone: `+86 ${digits.slice(0, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}` }, timestamp: minutesAgo(3) });
      a.identify({ anonymousId: app, traits: { phone: digits }, timestamp: minutesAgo(2) });
    }, 2);
    const person = (await graph.getPerson(web))!.value;
    expect(person.identifiers).toEqual({ phone: [`+86${digits}`], anonymousId: [web, app] });
    expect(stack.outcomes.filter((o) => o.userKey === web).length).toBe(2);
  });
});
