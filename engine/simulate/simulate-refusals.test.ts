/**
 * Entry refusals (the entry policy, a journey still running) are their own action, `refused` with the
 * reason, apart from a journey's held message (`skip`): in the actions, the JSON lines and the table.
 * Rule: the flagship's pricing-hesitation (3 pricing views in 7 days, at most once per 30 days).
 */
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../rules/load-rules';
import type { EventEnvelope } from '../events/envelope';
import { toJsonLines, toTable } from './output';
import { simulate } from './simulator';

const rules = loadRules(['test/scenarios/flagship/rules']);
const identify: EventEnvelope = { type: 'identify', userId: 'ann', messageId: 'ann-id', timestamp: '2026-03-01T08:00:00.000Z', traits: { email: 'ann@example.com' }, context: {} };
const view = (n: number, timestamp: string): EventEnvelope => ({ type: 'track', event: 'page_viewed', userId: 'ann', messageId: `pv-${n}`, timestamp, properties: { page: 'pricing' }, context: {} });
// 3 views enter; the 4th comes while the journey runs; with the 6th, 3 views fall in 7 days again, inside 30 days.
const events = [identify, view(1, '2026-03-02T10:00:00.000Z'), view(2, '2026-03-02T11:00:00.000Z'), view(3, '2026-03-02T12:00:00.000Z'), view(4, '2026-03-03T18:00:00.000Z'), view(5, '2026-03-10T11:00:00.000Z'), view(6, '2026-03-10T12:00:00.000Z')];

describe('entry refusals in simulate', () => {
  it('are `refused` with the reason, and a held message stays `skip`', async () => {
    const actions = await simulate({ rules, events, env: {} });
    expect(actions.filter((a) => a.journeyId === null).map(({ at, action, reason }) => ({ at, action, reason }))).toEqual([
      { at: '2026-03-03T18:00:00.000Z', action: 'refused', reason: 'already_in_journey' },
      { at: '2026-03-10T12:00:00.000Z', action: 'refused', reason: 'entry_policy' },
    ]);
    expect(actions.find((a) => a.step === 'coupon-sms')).toMatchObject({ action: 'skip', reason: 'no_phone' });
    expect(toJsonLines(actions)).toContain('"step":null,"action":"refused","reason":"already_in_journey"}');
  });

  it('are counted apart from skipped messages in the table and its summary', async () => {
    const table = toTable(await simulate({ rules, events, env: {} }));
    expect(table).toContain('refused entry (already_in_journey)');
    expect(table).toContain('skipped (no_phone)');
    expect(table).toContain('skipped: no_phone 1; refused: already_in_journey 1, entry_policy 1; exited: completed 1');
  });
});
