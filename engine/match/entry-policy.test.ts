/**
 * Entry policies: once / oncePerWindow / everyTime, never two running journeys of a rule for a user,
 * and workflow ids that make entry idempotent (the same trigger message always names the same journey).
 */
import { describe, expect, it } from 'vitest';
import type { EntryPolicy } from '../../rules/schema/rule';
import { ruleOf } from '../../test/support/unit-rules';
import { emptyState, type EntryRecord, type UserState } from '../state/behavior-state';
import { decideEntry, journeyWorkflowId } from './entry-policy';

const T0 = Date.parse('2025-05-01T12:00:00.000Z');
const DAY = 86_400_000;

const ruleWith = (entry: EntryPolicy) => ruleOf({ id: 'nudge-me', entry });
const userWith = (entered?: Partial<EntryRecord>, running = false): UserState => ({
  ...emptyState('user-1'),
  entries: entered ? { 'nudge-me': { lastEnteredAt: T0, entries: 1, lastWorkflowId: 'journey/nudge-me/user-1/m0', ...entered } } : {},
  journeys: running ? { 'nudge-me': { workflowId: 'journey/nudge-me/user-1/m0', ruleVersion: 1, startedAt: T0, listens: [], endNotice: true } } : {},
});

const ONCE: EntryPolicy = { policy: 'once' };
const WEEKLY: EntryPolicy = { policy: 'oncePerWindow', window: '7d' };
const ALWAYS: EntryPolicy = { policy: 'everyTime' };

describe('decideEntry', () => {
  it.each<[string, EntryPolicy, UserState, number, ReturnType<typeof decideEntry>]>([
    ['once: a new user enters', ONCE, userWith(), T0, { enter: true, workflowId: 'journey/nudge-me/user-1/once' }],
    ['once: a user who entered before never enters again', ONCE, userWith({ lastEnteredAt: T0 - 365 * DAY }), T0, { enter: false, reason: 'entry_policy', detail: expect.stringContaining('entered once already') }],
    ['oncePerWindow: a new user enters', WEEKLY, userWith(), T0, { enter: true, workflowId: 'journey/nudge-me/user-1/msg-42' }],
    ['oncePerWindow: 1 ms before the window has passed', WEEKLY, userWith({ lastEnteredAt: T0 - 7 * DAY + 1 }), T0, { enter: false, reason: 'entry_policy', detail: expect.stringContaining('within the 7d window') }],
    ['oncePerWindow: exactly one window later', WEEKLY, userWith({ lastEnteredAt: T0 - 7 * DAY }), T0, { enter: true, workflowId: 'journey/nudge-me/user-1/msg-42' }],
    ['everyTime: enters again right after the last journey ended', ALWAYS, userWith({ lastEnteredAt: T0 - 1 }), T0, { enter: true, workflowId: 'journey/nudge-me/user-1/msg-42' }],
  ])('%s', (_name, entry, state, now, decision) => {
    expect(decideEntry(ruleWith(entry), state, 'msg-42', now)).toEqual(decision);
  });

  it.each([ONCE, WEEKLY, ALWAYS])('%j: never while a journey of the rule is running for the user', (entry) => {
    expect(decideEntry(ruleWith(entry), userWith(undefined, true), 'msg-42', T0)).toEqual({
      enter: false,
      reason: 'already_in_journey',
      detail: 'journey journey/nudge-me/user-1/m0 is still running',
    });
  });

  it('a running journey of another rule does not block', () => {
    const state: UserState = { ...userWith(), journeys: { other: { workflowId: 'journey/other/user-1/x', ruleVersion: 1, startedAt: T0, listens: [], endNotice: true } } };
    expect(decideEntry(ruleWith(ALWAYS), state, 'msg-42', T0)).toMatchObject({ enter: true });
  });
});

describe('workflow ids are deterministic', () => {
  it.each([WEEKLY, ALWAYS, ONCE])('%j: the same trigger message gives the same id, another message gives another', (entry) => {
    const first = decideEntry(ruleWith(entry), userWith(), 'msg-1', T0);
    const redelivered = decideEntry(ruleWith(entry), userWith(), 'msg-1', T0 + 5000);
    const other = decideEntry(ruleWith(entry), userWith(), 'msg-2', T0);
    expect(redelivered).toEqual(first);
    if (entry.policy === 'once') expect(other).toEqual(first); // one journey per user, ever
    else expect(other).not.toEqual(first);
  });

  it('ids name the rule, the user and the suffix', () => {
    expect(journeyWorkflowId('cart-abandonment', 'user-7', 'm-1')).toBe('journey/cart-abandonment/user-7/m-1');
  });
});

describe('entry limits across rule versions', () => {
  // Entries are recorded per rule id, not per version: deploying v2 does not let v1's users in again.
  it.each<[string, EntryPolicy, number]>([
    ['once', ONCE, T0 - 365 * DAY],
    ['oncePerWindow', WEEKLY, T0 - DAY],
  ])('%s: a user who entered v1 is refused by v2', (_name, entry, enteredAt) => {
    const v1 = ruleOf({ id: 'nudge-me', version: 1, entry });
    const v2 = ruleOf({ id: 'nudge-me', version: 2, entry });
    const state = userWith({ lastEnteredAt: enteredAt });
    expect(decideEntry(v1, state, 'msg-42', T0)).toMatchObject({ enter: false, reason: 'entry_policy' });
    expect(decideEntry(v2, state, 'msg-42', T0)).toMatchObject({ enter: false, reason: 'entry_policy' });
  });

  it('a v1 journey still running keeps the user out of v2 until it ends', () => {
    expect(decideEntry(ruleOf({ id: 'nudge-me', version: 2, entry: ALWAYS }), userWith(undefined, true), 'msg-42', T0)).toMatchObject({ enter: false, reason: 'already_in_journey' });
  });
});
