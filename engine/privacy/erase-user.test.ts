import { describe, expect, it } from 'vitest';
import { emptyEraseSummary, formatEraseSummary, type EraseSummary } from './erase-user';

const empty: EraseSummary = emptyEraseSummary('alice');

describe('formatEraseSummary', () => {
  it('says plainly when there was nothing left', () => {
    expect(formatEraseSummary(empty)).toEqual([expect.stringMatching(/^nothing left to erase for user "alice"/)]);
  });

  it('lists what was deleted, what was kept anonymously and what nudge cannot reach', () => {
    const text = formatEraseSummary({
      ...empty,
      nothingFound: false,
      journeysTerminated: ['journey/r/alice/m2'],
      journeysDeleted: ['journey/r/alice/m1'],
      journeysKept: [{ workflowId: 'journey/r/alice/m2', reason: 'deletion requested; Temporal finishes it in the background' }],
      profileDeleted: true,
      eventsDeleted: 4,
      sendsAnonymized: 2,
      couponAssignmentsDeleted: 1,
      linkedEntriesDeleted: { nudge_phones: 1 },
      unattributedJourneyIds: ['journey/r/alice/x/m3'],
    }).join('\n');
    expect(text).toMatch(/journeys terminated\s+journey\/r\/alice\/m2\n/);
    expect(text).toMatch(/journeys deleted\s+1 \(Temporal histories/);
    expect(text).toMatch(/sends anonymized\s+2 \(kept: status, channel, rule, step, date/);
    expect(text).toMatch(/linked entries deleted\s+1 in nudge_phones/);
    expect(text).toContain('kept in Temporal: journey/r/alice/m2: deletion requested');
    expect(text).toContain('not touched: journey/r/alice/x/m3');
    expect(text).toContain('retention period');
  });

  it('names the person the identity graph found and what went from the graph', () => {
    const text = formatEraseSummary({
      ...empty,
      userId: 'Ann@Example.com',
      person: { personId: 'ann', via: 'email', value: 'ann@example.com' },
      nothingFound: false,
      profileDeleted: true,
      otherProfilesDeleted: ['dev-1'],
      rawEventsDeleted: 3,
      identityRecordsDeleted: 5,
      identityRecordsRedacted: 1,
    }).join('\n');
    expect(text).toMatch(/^erased user "Ann@Example.com":\n {2}person {21}ann \(found by email ann@example.com\)\n/);
    expect(text).toMatch(/identity records deleted\s+5 \(the person, people merged into them, identifiers\); 1 other people's records rewritten/);
    expect(text).toMatch(/other profiles deleted\s+dev-1 \(merged into them/);
    expect(text).toMatch(/raw events deleted\s+3 \(as trackers sent them/);
    expect(formatEraseSummary({ ...empty, nothingFound: false, person: { personId: 'ann', via: 'person id', mergedFrom: 'dev-1' } }).join('\n')).toContain('ann (person dev-1 was merged into it)');
  });
});
