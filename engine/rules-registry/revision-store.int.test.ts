/**
 * Deployed rule set revisions on a real nats-server: deploy validates like `nudge validate` and
 * publishes nothing on an error, identical content is not published twice, history is append-only
 * (rollback is a new revision), a large rule set is chunked under max_payload, two deploys racing
 * cannot both move `current`, and a revision this build cannot read is refused with the reason.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRulesDeploy, runRulesHistory, runRulesRollback } from '../../cli/rules-command';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { readRuleSetSource, RULE_SET_FORMAT, UnreadableRevisionError } from '../../rules/revision/rule-set-source';
import { loadConfig, type Config } from '../../platform/config';
import { deployRuleSet } from './deploy';
import { DeployConflictError, RevisionStore, RULES_BUCKET } from './revision-store';

let nats: NatsServerHandle;
let nc: NatsConnection;
let config: Config;
let store: RevisionStore;

const rule = (id: string, version: number, extra: Record<string, unknown> = {}) => ({ id, name: id, version, enabled: true, trigger: { event: 'x' }, entry: { policy: 'once' }, exitOn: [{ event: 'y' }], steps: [{ id: 'w', type: 'wait', duration: '1h' }], ...extra });

function ruleDir(rules: object[], pools: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-deploy-'));
  for (const r of rules) writeFileSync(join(dir, `${(r as { id: string }).id}.json`), JSON.stringify(r, null, 2));
  if (Object.keys(pools).length) {
    mkdirSync(join(dir, 'coupons'));
    for (const [name, text] of Object.entries(pools)) writeFileSync(join(dir, 'coupons', `${name}.txt`), text);
  }
  return dir;
}

const lines = () => {
  const out: string[] = [];
  return Object.assign(out, { push: out.push.bind(out), say: (line: string) => void out.push(line) });
};

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  config = loadConfig({ NATS_URL: nats.url });
  store = await RevisionStore.open(nc);
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe('nudge rules deploy / history / rollback', () => {
  it('publishes revisions, skips identical content, and rolls back by publishing the old content again', async () => {
    const out = lines();
    expect(await runRulesDeploy(config, [ruleDir([rule('a', 1)], { spring: 'CODE1\nCODE2\n' })], { message: 'first' }, out.say)).toBe(0);
    expect(out.at(-1)).toMatch(/^deployed revision 1: a@1/);
    expect(await runRulesDeploy(config, [ruleDir([rule('a', 1)], { spring: 'CODE1\nCODE2\n' })], {}, out.say)).toBe(0);
    expect(out.at(-1)).toMatch(/^unchanged: revision 1 already has this content/);
    expect(await runRulesDeploy(config, [ruleDir([rule('a', 2), rule('b', 1)])], {}, out.say)).toBe(0);
    expect(out.at(-1)).toMatch(/^deployed revision 2 \(was 1\): a@2 b@1/);

    expect(await runRulesRollback(config, 1, {}, out.say)).toBe(0);
    expect(out.at(-1)).toMatch(/^deployed revision 3 \(was 2\): a@1/);
    const [one, , three] = await store.history();
    expect(three!.rollbackOf).toBe(1);
    expect(three!.contentHash).toBe(one!.contentHash);
    expect((await store.read(3))!.source.coupons.map((c) => c.text)).toEqual(['CODE1\nCODE2\n']);
    expect((await store.currentPointer())!.revision).toBe(3);

    const history = lines();
    expect(await runRulesHistory(config, {}, history.say)).toBe(0);
    expect(history.map((l) => /^([ *])\s+(\d+) /.exec(l)).filter(Boolean).map((m) => `${m![1]}${m![2]}`)).toEqual([' 1', ' 2', '*3']);
    expect(history.join('\n')).toMatch(/\(rollback of 1\)/);
    expect(history.join('\n')).toMatch(/first/);
  });

  it('refuses an invalid rule set like `nudge validate` and publishes nothing', async () => {
    const before = (await store.currentPointer())!.revision;
    const out = lines();
    expect(await runRulesDeploy(config, [ruleDir([rule('a', 3, { steps: [{ id: 'w', type: 'wait', duration: '2 days' }] })])], {}, out.say)).toBe(1);
    expect(out.join('\n')).toMatch(/a\.json:\d+:\d+: \$\.steps\[0\]\.duration: a duration is a number and a unit/);
    expect(out.at(-1)).toMatch(/nothing was deployed/);
    expect(await runRulesDeploy(config, [ruleDir([rule('a', 3)], { spring: 'SAME\nSAME\n' })], {}, out.say)).toBe(1);
    expect(out.at(-1)).toMatch(/code SAME is listed twice/);
    expect((await store.currentPointer())!.revision).toBe(before);
    expect((await store.history()).length).toBe(before);
  });

  it('refuses to roll back to a revision that does not exist', async () => {
    expect(await runRulesRollback(config, 99, {}, () => undefined)).toBe(1);
  });

  it('chunks a large rule set under max_payload and reads it back intact', async () => {
    const kv = await new Kvm(nc).open(RULES_BUCKET);
    const small = new RevisionStore(kv, 1024);
    const many = Array.from({ length: 40 }, (_, i) => rule(`r${i}`, 1, { description: randomBytes(400).toString('hex') }));
    const source = readRuleSetSource([ruleDir(many)], [], []);
    const result = await deployRuleSet(small, source);
    if (result.status !== 'published') throw new Error('expected a publish');
    expect(result.manifest.chunks).toBeGreaterThan(3);
    expect((await small.read(result.manifest.revision))!.source).toEqual(source);
  });

  it('lets only one of two racing deploys move current; the loser leaves nothing behind', async () => {
    const expected = await store.currentPointer();
    const source = readRuleSetSource([ruleDir([rule('race', 1)])], [], []);
    const first = await store.publish(source, { contentHash: 'x', deployedBy: 't', rules: [], tags: [] }, expected);
    await expect(store.publish(source, { contentHash: 'y', deployedBy: 't', rules: [], tags: [] }, expected)).rejects.toBeInstanceOf(DeployConflictError);
    expect((await store.currentPointer())!.revision).toBe(first.revision);
    expect((await store.history()).at(-1)!.revision).toBe(first.revision);
  });

  it('refuses content written by a newer nudge, naming the revision and why', async () => {
    const source = { ...readRuleSetSource([ruleDir([rule('future', 1)])], [], []), format: RULE_SET_FORMAT + 1 };
    const published = await store.publish(source, { contentHash: 'z', deployedBy: 't', rules: [], tags: [] }, await store.currentPointer());
    const error = await store.read(published.revision).catch((e) => e);
    expect(error).toBeInstanceOf(UnreadableRevisionError);
    expect(error.message).toMatch(new RegExp(`revision ${published.revision} cannot be loaded: it has source format ${RULE_SET_FORMAT + 1}.*upgrade`));
  });
});
