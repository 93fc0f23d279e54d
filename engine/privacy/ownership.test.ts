import { describe, expect, it } from 'vitest';
import { assignmentKey } from '../../connectors/coupon/pool/coupon-pool.connector';
import { journeyWorkflowId } from '../match/entry-policy';
import { entryRefersToUser, journeyOwnership, parseAssignmentKey, ruleIdOfJourney } from './ownership';

describe('journeyOwnership', () => {
  it('attributes the engine\'s journey ids to their user', () => {
    expect(journeyOwnership(journeyWorkflowId('pricing-hesitation', 'alice', 'msg-1'), 'alice')).toBe('owned');
    expect(journeyOwnership(journeyWorkflowId('welcome', 'alice', 'once'), 'alice')).toBe('owned');
    expect(ruleIdOfJourney(journeyWorkflowId('pricing-hesitation', 'alice', 'msg-1'))).toBe('pricing-hesitation');
  });

  it('never attributes another user\'s journey, even when one id is a prefix of the other', () => {
    expect(journeyOwnership(journeyWorkflowId('r', 'alice-2', 'm'), 'alice')).toBe('foreign');
    expect(journeyOwnership(journeyWorkflowId('r', 'alice', 'm'), 'alice-2')).toBe('foreign');
    expect(journeyOwnership(journeyWorkflowId('r', 'alice', 'm'), 'alic')).toBe('foreign');
    expect(journeyOwnership('journey/r/alice', 'alice')).toBe('foreign');
    expect(journeyOwnership('something-else', 'alice')).toBe('foreign');
  });

  it('calls an id ambiguous when a "/" in the rest could belong to a longer user id', () => {
    // A journey id from before person refs: "journey/r/a/b/m" is user "a" with messageId "b/m", or user "a/b" with messageId "m".
    expect(journeyOwnership('journey/r/a/b/m', 'a')).toBe('ambiguous');
    expect(journeyOwnership('journey/r/a/b/m', 'a/b')).toBe('owned');
    // Since refs, a key with "/" is hashed (person-ref.ts), so its new ids are never ambiguous.
    expect(journeyOwnership(journeyWorkflowId('r', 'a/b', 'm'), 'a')).toBe('foreign');
    expect(journeyOwnership(journeyWorkflowId('r', 'a/b', 'm'), 'a/b')).toBe('owned');
    expect(journeyOwnership(journeyWorkflowId('r', 'a', 'b/m'), 'a')).toBe('ambiguous');
  });
});

describe('parseAssignmentKey', () => {
  it('inverts the coupon connector\'s assignmentKey and ignores pool cursors', () => {
    const journeyId = journeyWorkflowId('pricing-hesitation', 'ünïcode/user', 'msg.1');
    expect(parseAssignmentKey(assignmentKey(journeyId, 'issue-coupon'))).toEqual({ journeyId, stepId: 'issue-coupon' });
    expect(parseAssignmentKey('cursor.cart10')).toBeNull();
    expect(parseAssignmentKey('assignment.bm90LWpzb24')).toBeNull();
  });
});

describe('entryRefersToUser', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64url');

  it('matches a value that is the user id, as text, JSON string or a userId/userKey field', () => {
    expect(entryRefersToUser('p.14155550100', 'alice', 'alice')).toBe(true);
    expect(entryRefersToUser('p.14155550100', '"alice"', 'alice')).toBe(true);
    expect(entryRefersToUser('p.14155550100', '{"userId":"alice","at":1}', 'alice')).toBe(true);
    expect(entryRefersToUser('p.14155550100', '{"userKey":"alice"}', 'alice')).toBe(true);
  });

  it('matches a key segment that is the user id, plain or base64url', () => {
    expect(entryRefersToUser(`consent.${b64('alice')}`, '{"email":false}', 'alice')).toBe(true);
    expect(entryRefersToUser('consent.alice', '{}', 'alice')).toBe(true);
  });

  it('does not match values or keys that merely contain the id', () => {
    expect(entryRefersToUser('p.14155550100', 'alice-2', 'alice')).toBe(false);
    expect(entryRefersToUser('p.14155550100', '{"userId":"alice-2","note":"alice"}', 'alice')).toBe(false);
    expect(entryRefersToUser(`consent.${b64('alice-2')}`, '{}', 'alice')).toBe(false);
  });
});
