/** The profile `nudge profile` prints, built from a state alone: every part, and what an empty part says. */
import { describe, expect, it } from 'vitest';
import { emptyState, type UserState } from '../state/behavior-state';
import { counterKey } from '../state/counter-plan';
import { formatProfile, profileFrom } from './user-profile';

const at = Date.parse('2026-03-04T10:00:00.000Z');
const HOUR = 3_600_000;

describe('profileFrom / formatProfile', () => {
  it('shows every part of a person', () => {
    const state: UserState = {
      ...emptyState('ann'),
      clock: at,
      traits: { email: 'ann@example.com', seats: 5, group: { name: 'Acme' } },
      traitsUpdatedAt: { email: at - 2 * HOUR, seats: at - HOUR },
      identifiers: { userId: 'ann', anonymousIds: ['device-2', 'device-1'] },
      counters: { [counterKey('page_viewed', { page: 'pricing' })]: [at, at - HOUR] },
      consent: { sms: { all: { granted: false, at: at - HOUR, source: 'sms-stop' } } },
      journeys: { flagship: { workflowId: 'journey/flagship/ann/m9', ruleVersion: 2, startedAt: at, listens: ['order_completed'] } },
      entries: { flagship: { entries: 2, lastEnteredAt: at, lastWorkflowId: 'journey/flagship/ann/m9' } },
    };
    const profile = profileFrom(state, { funnel_stage: 'viewed_pricing', high_intent: false }, new Map([['journey/flagship/ann/m9', 'RUNNING']]));
    expect(formatProfile(profile)).toBe([
      'profile ann',
      '  userId       ann',
      '  anonymousIds device-2, device-1',
      '  last event   2026-03-04T10:00:00.000Z',
      '',
      'traits',
      '  email  ann@example.com  set 2026-03-04T08:00:00.000Z',
      '  seats  5                set 2026-03-04T09:00:00.000Z',
      '  group  {"name":"Acme"}',
      '',
      'tags',
      '  funnel_stage  viewed_pricing',
      '  high_intent   false',
      '',
      'recent events (kept for rules and tags, newest first)',
      '  page_viewed where page=pricing  2  2026-03-04T10:00:00.000Z, 2026-03-04T09:00:00.000Z',
      '',
      'consent',
      '  sms/all  withdrawn  2026-03-04T09:00:00.000Z  sms-stop',
      '',
      'journeys',
      '  flagship v2  journey/flagship/ann/m9  started 2026-03-04T10:00:00.000Z  RUNNING',
      '',
      'entries',
      '  flagship  2 entries  last 2026-03-04T10:00:00.000Z',
      '',
    ].join('\n'));
  });

  it('says what an empty part means; a state from before identifiers were recorded does not guess the id\'s kind', () => {
    const text = formatProfile(profileFrom(emptyState('old-user'), {}));
    expect(text).toContain('  userId       (not recorded)\n  anonymousIds (none seen)\n  last event   (none)\n');
    for (const line of ['  no traits', '  no tags are defined', '  none kept', '  no decisions (the consent mode applies)', '  none running', '  never entered a journey']) expect(text).toContain(`${line}\n`);
    expect(text).not.toContain('sessions');
  });
});
