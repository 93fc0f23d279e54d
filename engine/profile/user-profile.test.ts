/** The profile `nudge profile` prints, built from a state alone: every part, and what an empty part says. */
import { describe, expect, it } from 'vitest';
import type { PersonRecord } from '../identity/identity-store';
import { emptyState, type UserState } from '../state/behavior-state';
import { counterKey } from '../state/counter-plan';
import { formatProfile, identityFrom, profileFrom } from './user-profile';

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
      journeys: { flagship: { workflowId: 'journey/flagship/ann/m9', ruleVersion: 2, startedAt: at, listens: ['order_completed'], endNotice: true } },
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

  it('shows the person of the identity graph: how they were found, identifiers, merges and refused links', () => {
    const person: PersonRecord = {
      v: 1,
      id: 'p-1',
      createdAt: at - 48 * HOUR,
      identifiers: { userId: ['ann'], email: ['ann@example.com', 'ann@work.example'], phone: ['+8613800138000'], anonymousId: [] },
      merges: [{ at: '2026-03-03T10:00:00.000Z', from: 'p-2', into: 'p-1', via: { type: 'email', value: 'ann@example.com' }, messageId: 'm-17' }],
      refusals: [
        { at: '2026-03-04T09:00:00.000Z', identifier: { type: 'userId', value: 'ann-2' }, reason: 'unique', detail: 'the person already has userId ann', otherPerson: 'p-9', messageId: 'm-20' },
      ],
    };
    const state: UserState = { ...emptyState('p-1'), clock: at, identifiers: { userId: 'ann', anonymousIds: [] } };
    const profile = profileFrom(state, {}, undefined, identityFrom(person, { personId: 'p-1', via: 'phone', value: '+8613800138000' }));
    expect(profile.identity).toMatchObject({ personId: 'p-1', lookedUpBy: { type: 'phone', value: '+8613800138000' }, mergedFrom: null, merges: person.merges, refusals: person.refusals });
    const expected = [
      'profile p-1',
      '  looked up by phone +8613800138000',
      '  first seen   2026-03-02T10:00:00.000Z',
      '  userId       ann',
      '  anonymousIds (none seen)',
      '  last event   2026-03-04T10:00:00.000Z',
      '',
      'identifiers',
      '  userId  ann',
      '  email   ann@example.com, ann@work.example',
      '  phone   +8613800138000',
      '',
      'merges',
      '  2026-03-03T10:00:00.000Z  p-2 merged into p-1  via email ann@example.com  event m-17',
      '',
      'refused links',
      '  2026-03-04T09:00:00.000Z  userId ann-2  unique  the person already has userId ann (would have merged with p-9)  event m-20',
      '',
      'traits',
      '  no traits',
    ].join('\n') + '\n';
    expect(formatProfile(profile).slice(0, expected.length)).toBe(expected);

    const viaMerged = formatProfile(profileFrom(state, {}, undefined, identityFrom({ ...person, merges: [], refusals: [] }, { personId: 'p-1', via: 'person id', mergedFrom: 'p-2' })));
    expect(viaMerged).toContain('profile p-1\n  looked up by person id p-2, since merged into p-1\n');
    expect(viaMerged).toContain('\nmerges\n  none\n\nrefused links\n  none\n');
  });

  it('has no identity part when the graph does not know the person (the id is the state key)', () => {
    const profile = profileFrom(emptyState('old-user'), {});
    expect(profile.identity).toBeNull();
    expect(formatProfile(profile)).not.toMatch(/identifiers|merges|refused links|looked up by|first seen/);
  });
});
