/** `nudge explain` on the flagship scenario: the failing leaf of a user who never entered, and the path of one who did. */
import { describe, expect, it } from 'vitest';
import { runExplain } from '../../cli/simulate-command';

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
