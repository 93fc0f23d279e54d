/**
 * `nudge profile <id>` on a real nats-server, after the engine's event processor (the production
 * EventProcessor and StateStore) handled a person's events: ids, traits with when each was set, the
 * behavior tags, the recent events kept for rules and tags, consent and the running journey — confirmed
 * with Temporal (the journey runs on a task queue no worker polls, so it stays RUNNING).
 */
import { jetstream } from '@nats-io/jetstream';
import { natsHandoff } from '../../engine/ingest/nats-handoff';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Client, Connection } from '@temporalio/client';
import { connectTemporalClient } from '../../platform/temporal/temporal-connection';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { loadConfig, type Config } from '../../platform/config';
import type { EventEnvelope } from '../../engine/events/envelope';
import { EventProcessor } from '../../engine/ingest/process-event';
import { RuleIndex } from '../../engine/match/rule-index';
import { openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { runProfile } from '../../engine/profile/profile-command';
import type { UserProfile } from '../../engine/profile/user-profile';
import { StateStore } from '../../platform/stores/state-store';
import { TemporalJourneyStarter } from '../../platform/temporal/journey-starter';
import { loadRuleSet } from '../../rules/load-rule-set';

const MINUTE = 60_000;
let nats: NatsServerHandle;
let nc: NatsConnection;
let connection: Connection;
let temporal: Client;
let config: Config;
const journeyIds: string[] = [];

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
let n = 0;
const common = (at: string) => ({ messageId: `profile-${++n}`, timestamp: at, context: {} });

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  config = loadConfig({ NATS_URL: nats.url, TEMPORAL_ADDRESS: inject('temporalAddress'), NUDGE_TAGS_DIR: 'rules/tags' });
  ({ connection, client: temporal } = await connectTemporalClient(config));

  const { rules, tags } = loadRuleSet(['test/fixtures/tags'], ['rules/tags']);
  const processor = new EventProcessor({
    rules: new RuleIndex(rules, tags),
    state: new StateStore(await openBucket(nc, USERS_BUCKET)),
    journeys: new TemporalJourneyStarter(temporal, `profile-test-${randomUUID()}`), // no worker: the journey stays RUNNING
    waitScale: 1,
    handoff: natsHandoff(jetstream(nc), config.NUDGE_PARTITIONS),
  });
  const events: EventEnvelope[] = [
    { type: 'identify', userId: 'ann', anonymousId: 'device-1', traits: { email: 'ann@example.com', plan: 'free' }, ...common(ago(3 * 86_400_000)) },
    { type: 'identify', userId: 'ann', traits: { plan: 'team', consent: { email: { promotions: false } } }, ...common(ago(60 * MINUTE)) },
    ...['/', '/features', '/pricing', '/customers'].map((path, i): EventEnvelope => ({ type: 'page', userId: 'ann', properties: { path }, ...common(ago((10 - i) * MINUTE)) })),
    { type: 'page', anonymousId: 'device-9', properties: { path: '/' }, ...common(ago(MINUTE)) },
  ];
  let seq = 0;
  for (const event of events) {
    const outcome = await processor.process(event, ++seq);
    for (const d of outcome.decisions) if (d.outcome === 'started') journeyIds.push(d.workflowId);
  }
});

afterAll(async () => {
  for (const id of journeyIds) await temporal.workflow.getHandle(id).terminate('test cleanup: no worker polls this queue').catch(() => undefined);
  await connection?.close();
  await nc?.close();
  await nats?.stop();
});

async function profile(id: string, options: { json?: boolean; temporal?: boolean } = {}): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await runProfile(config, id, options, (t) => (text += t));
  return { code, text };
}

describe('nudge profile', () => {
  it('the engine started the fixture rule\'s journey for ann (her tags made her high intent)', () => {
    expect(journeyIds).toEqual(['journey/high-intent-offer/ann/once']);
  });

  it('prints ids, traits with when each was set, tags, recent events, consent and journeys as text', async () => {
    const { code, text } = await profile('ann');
    expect(code).toBe(0);
    expect(text).toMatch(/^profile ann\n {2}userId {7}ann\n {2}anonymousIds device-1\n {2}last event {3}\d{4}-\d\d-\d\dT/);
    expect(text).toMatch(/\ntraits\n {2}email {2}ann@example\.com {2}set \S+Z\n {2}plan {3}team {13}set \S+Z\n/);
    expect(text).toMatch(/\ntags\n {2}funnel_stage {6}viewed_pricing\n {2}high_intent {7}true\n {2}recent_visits_7d {2}4\n {2}visit_depth {7}4\n/);
    expect(text).toMatch(/\nrecent events \(kept for rules and tags, newest first\)\n {2}page_viewed +4 {2}\S+Z, \S+Z, \S+Z, \S+Z\n/);
    expect(text).toMatch(/\nsessions \(distinct tags\)\n {2}page_viewed {2}path, gap 30m {2}\S+Z – \S+Z {2}\/customers, \/pricing, \/features, \/\n/);
    expect(text).toMatch(/\nconsent\n {2}email\/promotions {2}withdrawn {2}\S+Z {2}identify\n/);
    expect(text).toMatch(/\njourneys\n {2}high-intent-offer v1 {2}journey\/high-intent-offer\/ann\/once {2}started \S+Z {2}running \(not confirmed with Temporal\)\n/);
    expect(text).toMatch(/\nentries\n {2}high-intent-offer {2}1 entry {2}last \S+Z\n$/);
  });

  it('--json --temporal: the same as JSON, with each journey\'s status confirmed by Temporal', async () => {
    const { code, text } = await profile('ann', { json: true, temporal: true });
    expect(code).toBe(0);
    const parsed = JSON.parse(text) as UserProfile;
    expect(parsed).toMatchObject({
      id: 'ann',
      userId: 'ann',
      anonymousIds: ['device-1'],
      tags: { recent_visits_7d: 4, visit_depth: 4, funnel_stage: 'viewed_pricing', high_intent: true },
      journeys: [{ ruleId: 'high-intent-offer', journeyId: 'journey/high-intent-offer/ann/once', ruleVersion: 1, status: 'RUNNING' }],
    });
    const plan = parsed.traits.find((t) => t.name === 'plan')!;
    const email = parsed.traits.find((t) => t.name === 'email')!;
    expect(plan.value).toBe('team');
    expect(Date.parse(plan.setAt!)).toBeGreaterThan(Date.parse(email.setAt!)); // plan was set again later
  });

  it('shows a person known only by an anonymousId', async () => {
    const { code, text } = await profile('device-9');
    expect(code).toBe(0);
    expect(text).toContain('  userId       (none: the events carry only an anonymousId)\n  anonymousIds device-9\n');
    expect(text).toContain('  funnel_stage      visited\n');
  });

  it('says so for an id it holds nothing about, with exit code 1', async () => {
    expect(await profile('nobody')).toEqual({ code: 1, text: 'no profile for "nobody": nudge has no behavior state under this userId or anonymousId, and no person in the identity graph has this id or identifier\n' });
    expect(await profile('nobody', { json: true })).toEqual({ code: 1, text: 'null\n' });
  });

  it('is a command of the CLI (NATS_URL from the environment)', () => {
    const run = (id: string) => spawnSync('node', ['bin/nudge.js', 'profile', id], { encoding: 'utf8', env: { ...process.env, NATS_URL: nats.url, NUDGE_TAGS_DIR: 'rules/tags' } });
    const found = run('ann');
    expect(found.status).toBe(0);
    expect(found.stdout).toContain('  funnel_stage      viewed_pricing\n');
    expect(run('nobody').status).toBe(1);
  });
});
