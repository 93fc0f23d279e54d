/**
 * Tags in the simulator, which runs the production code: a rule triggered by a `tags` condition (the
 * example high_intent tag), templates rendering {{ tags.* }}, a branch on a tag inside the journey, and
 * `nudge explain` showing a tag leaf's value. Fixture: test/fixtures/tags/high-intent-offer.json.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExplain } from '../../cli/simulate-command';
import { loadRuleSet } from '../../rules/load-rule-set';
import { InvalidRuleSetError } from '../../rules/rule-errors';
import type { EventEnvelope } from '../events/envelope';
import { simulate } from './simulator';

const RULES = 'test/fixtures/tags';
const TAGS = 'rules/tags';

let n = 0;
const at = (time: string) => `2026-03-02T${time}:00.000Z`;
const identify = (userId: string, time: string): EventEnvelope => ({ type: 'identify', userId, messageId: `${userId}-${++n}`, timestamp: at(time), traits: { email: `${userId}@example.com` }, context: {} });
const page = (userId: string, time: string, path: string): EventEnvelope => ({ type: 'page', userId, messageId: `${userId}-${++n}`, timestamp: at(time), properties: { path }, context: {} });
const track = (userId: string, time: string, event: string): EventEnvelope => ({ type: 'track', userId, event, messageId: `${userId}-${++n}`, timestamp: at(time), properties: {}, context: {} });

/** ann looks at four pages, pricing among them, within minutes (high intent), then starts checkout; bob sees pricing and leaves. */
const events: EventEnvelope[] = [
  identify('ann', '09:00'), page('ann', '10:00', '/'), page('ann', '10:05', '/features'), page('ann', '10:10', '/pricing'), page('ann', '10:12', '/pricing'),
  page('ann', '10:15', '/customers'), track('ann', '10:30', 'checkout_started'),
  identify('bob', '09:00'), page('bob', '10:00', '/pricing'), page('bob', '10:01', '/'),
];

describe('a rule triggered by a tag', () => {
  it('enters when the tag holds, and its templates and branch read the tags when each step runs', async () => {
    const { rules, tags } = loadRuleSet([RULES], [TAGS]);
    const actions = await simulate({ rules, tags, events, env: {} });
    expect(actions.filter((a) => a.userId === 'bob')).toEqual([]);
    expect(actions.map(({ at, step, action, branch, body }) => ({ at, step, action, ...(branch ? { branch } : {}), ...(body ? { body } : {}) }))).toEqual([
      { at: '2026-03-02T10:15:00.000Z', step: null, action: 'enter' },
      // Rendered before the engine has saved the state with the page view that triggered the journey: the
      // tags at entry are used, so the fourth page counts.
      { at: '2026-03-02T10:15:00.000Z', step: 'offer-email', action: 'email', body: 'You got as far as viewed_pricing and looked at 4 pages just now. Reply and we call you back.' },
      { at: '2026-03-02T10:15:00.000Z', step: 'wait-1h', action: 'wait' },
      { at: '2026-03-02T11:15:00.000Z', step: 'checkout-started', action: 'branch', branch: 'then' },
      { at: '2026-03-02T11:15:00.000Z', step: 'finish-checkout-email', action: 'email', body: 'Stage now: started_checkout.' },
      { at: '2026-03-02T11:15:00.000Z', step: null, action: 'exit' },
    ]);
  });

  it('does not load without the tag files it reads', () => {
    expect(() => loadRuleSet([RULES])).toThrow(InvalidRuleSetError);
    expect(() => loadRuleSet([RULES])).toThrow(/high-intent-offer\.json:10:\d+: \$\.trigger\.conditions\.all\[0\]\.path: no tag "high_intent" is defined: there are no tag files/);
  });

  it('explain shows the tag\'s value at each event', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nudge-tags-explain-')), 'events.jsonl');
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    let text = '';
    await runExplain({ rules: RULES, tags: TAGS, events: file, user: 'ann', rule: 'high-intent-offer' }, (t) => (text += t));
    expect(text).toContain('✗ tag high_intent = true — was false');
    expect(text).toContain('✓ tag high_intent = true — was true');
  });
});
