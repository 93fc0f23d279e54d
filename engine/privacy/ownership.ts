/**
 * Pure answers to "is this the user's?" for the keys and ids that export and erase meet. Journey ids
 * are `journey/<ruleId>/<userKey>/<suffix>` (engine/match/entry-policy.ts): rule ids hold no "/", but
 * user ids and suffixes (messageIds) may, so some ids cannot be attributed by their text alone.
 */

import { personRef } from '../match/person-ref';

/** `owned`: certainly the user's. `ambiguous`: the user's, or a user whose id starts with "<userKey>/" — ask Temporal. */
export type Ownership = 'owned' | 'ambiguous' | 'foreign';

export function ruleIdOfJourney(journeyId: string): string | null {
  return /^journey\/([^/]+)\//.exec(journeyId)?.[1] ?? null;
}

/** A journey id names the person by ref (person-ref.ts); ids from before refs existed name the plain key. */
export function journeyOwnership(journeyId: string, userKey: string): Ownership {
  const ref = personRef(userKey);
  const byRef = ownershipBy(journeyId, ref);
  if (ref === userKey || byRef === 'owned') return byRef;
  const byKey = ownershipBy(journeyId, userKey);
  return byKey === 'foreign' ? byRef : byKey;
}

function ownershipBy(journeyId: string, userKey: string): Ownership {
  const ruleId = ruleIdOfJourney(journeyId);
  if (ruleId === null) return 'foreign';
  const rest = journeyId.slice(`journey/${ruleId}/`.length);
  if (!rest.startsWith(`${userKey}/`)) return 'foreign';
  const suffix = rest.slice(userKey.length + 1);
  if (!suffix) return 'foreign';
  return suffix.includes('/') ? 'ambiguous' : 'owned';
}

/** The inverse of the coupon connector's `assignmentKey`; null for other keys (pool cursors). */
export function parseAssignmentKey(key: string): { journeyId: string; stepId: string } | null {
  if (!key.startsWith('assignment.')) return null;
  try {
    const pair: unknown = JSON.parse(Buffer.from(key.slice('assignment.'.length), 'base64url').toString('utf8'));
    if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string') return { journeyId: pair[0], stepId: pair[1] };
  } catch {
    // not an assignment written by the connector
  }
  return null;
}

/**
 * Whether an entry of another nudge bucket (nudge_phones: phone → {userId}; nudge_caps: c.<b64url(user)>.<channel>;
 * stores added later) is linked to the user: its value is the user id, or a JSON object whose `userId`/`userKey` is; or one of its key's
 * dot-separated segments is the user id, plain or base64url-encoded. Exact matches only, so a user id
 * that happens to be part of another value never erases someone else's entry.
 */
export function entryRefersToUser(key: string, value: string, userKey: string): boolean {
  if (value.trim() === userKey) return true;
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed === userKey) return true;
    if (parsed && typeof parsed === 'object' && ['userId', 'userKey'].some((field) => (parsed as Record<string, unknown>)[field] === userKey)) return true;
  } catch {
    // a plain string value
  }
  const encoded = Buffer.from(userKey, 'utf8').toString('base64url');
  return key.split('.').some((segment) => segment === userKey || segment === encoded);
}
