/** `nudge explain` on the flagship scenario: the failing leaf of a user who never entered, and the path of one who did. */
import { describe, expect, it } from 'vitest';
import { runExplain } from '../../cli/simulate-command';
import { ruleOf } from '../../test/support/unit-rules';
import { explain } from './explain';

const scenario = 'test/scenarios/flagship';
async function explainFor(user: string, rule = 'pricing-hesitation'): Promise<string> {
  let text = '';
  await runExplain({ rules: `${scenario}/rules`, events: `${scenario}/events.jsonl`, profiles: `${scenario}/profiles.jsonl`, user, rule }, (t) => (text += t));
  return text;
}

describe('nudge explain', () => {
  it('shows a non-entering user the failing condition with its actual value', async () => {
    const text = await explainFor('cat');
    expect(text).toContain('✗ number of page_viewed events where page = "pricing" in the last 7d ≥ 3 — was 2');
    expect(text).toContain('✓ number of order_completed events in the last 7d = 0 — was 0');
    expect(text.match(/→ the conditions did not hold: no journey\./g)).toHaveLength(2);
  });

  it('shows the 7-day window leaving out an old view, for views spread over weeks', async () => {
    const text = await explainFor('dan');
    expect(text).toContain('2026-02-24T10:00:00Z  page_viewed (message dan-3)');
    expect(text).toMatch(/dan-3\)\n.*\n {4}✗ number of page_viewed events where page = "pricing" in the last 7d ≥ 3 — was 1/);
  });

  it('shows the journey path of a user who entered, and why a later match did not enter again', async () => {
    const text = await explainFor('ann');
    expect(text).toContain('→ the conditions held: journey journey/pricing-hesitation/ann/ann-3 started.');
    expect(text).toMatch(/2026-03-07T09:00:00.000Z {2}was texted at .*SAVE10-/);
    expect(text).toContain('2026-03-07T09:00:00.000Z  finished the journey');
    expect(text).toContain('a journey of this rule was still running for the user');
  });

  it('says so when the user never sent the trigger event, and names unknown rules', async () => {
    expect(await explainFor('nobody')).toContain('No events of user nobody were found in the input.');
    await expect(explainFor('ann', 'no-such-rule')).rejects.toThrow('no rule "no-such-rule"');
  });
});

describe('nudge explain across devices (identity resolution)', () => {
  const crossDevice = async (user: string) => {
    let text = '';
    const scenario = 'test/scenarios/cross-device';
    await runExplain({ rules: `${scenario}/rules`, events: `${scenario}/events.jsonl`, user, rule: 'pricing-hesitation' }, (t) => (text += t));
    return text;
  };

  it('explains the person behind any of their ids, with the events of every device', async () => {
    const text = await crossDevice('lena');
    expect(text).toContain('user lena (person lena-phone: every id linked to them)');
    // the two anonymous phone views count for her, and the laptop view is the third
    expect(text).toMatch(/page_viewed \(message lena-1\)[\s\S]*was 1[\s\S]*message lena-2[\s\S]*was 2[\s\S]*message lena-4[\s\S]*was 3[\s\S]*journey\/pricing-hesitation\/lena-phone\/lena-4 started/);
    expect(await crossDevice('lena-laptop')).toContain('journey/pricing-hesitation/lena-phone/lena-4 started');
  });

  it('names the merge that joined two devices', async () => {
    const text = await crossDevice('omar-desktop');
    expect(text).toContain('user omar-desktop (person omar-tablet: every id linked to them)');
    expect(text).toMatch(/Identity: \S+ {2}omar-desktop merged into omar-tablet through anonymousId omar-desktop \(message omar-4\)/);
    expect(text).toContain('journey/pricing-hesitation/omar-tablet/omar-5 started');
  });

  it('says why a shared device did not link two members, once', async () => {
    const text = await crossDevice('noah');
    expect(text.match(/Identity: .*family-laptop was not linked \(unique\): noah has userId "noah" and mia has userId "mia"/g)).toHaveLength(1);
    expect(text).not.toContain('started');
  });
});

describe('explain: every decision outcome is described', () => {
  it('a journey Temporal refused for good says so, with the reason', () => {
    const event = { type: 'track', event: 'page_viewed', userId: 'u1', messageId: 'm1', timestamp: '2025-05-01T12:00:00.000Z', properties: {} } as never;
    const text = explain({
      rule: ruleOf(),
      userId: 'u1',
      evaluations: [{ event, decision: { ruleId: 'test-rule', leaves: [], outcome: 'rejected', workflowId: 'journey/test-rule/u1/once', detail: 'input too large' } }],
      userEvents: [event],
      actions: [],
    });
    expect(text).toContain('→ the conditions held, but Temporal refused journey journey/test-rule/u1/once for good: input too large.');
  });
});
