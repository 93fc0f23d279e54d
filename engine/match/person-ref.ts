/**
 * How a person is named where Temporal stores text in the clear: workflow ids, search attributes, memo
 * and the summary (the payload codec encrypts payloads only). A person key is the id of their first
 * event, and a userId may be an email address or a phone number, so a key that could be personal data
 * is replaced by a hash of it. Opaque ids (user-123, a UUID) are kept as they are: journeys started
 * before this existed keep their ids and stay findable, and the Web UI stays readable for them.
 *
 * The hash is pseudonymous, not anonymous: whoever knows an email address can compute its ref (that is
 * how export, erase and `PersonIds = "<ref>"` find the journeys), but nobody can read one back from
 * Temporal. A messageId is kept in ids as sent (trackers send UUIDs); one that holds personal data would show.
 */
import { createHash } from 'node:crypto';

export const PERSON_REF_PREFIX = 'p.';

/** Printable ASCII ids without "@", whitespace or a phone number's shape are treated as opaque. */
const OPAQUE = /^[A-Za-z0-9_.:-]{1,80}$/;
const PHONE_LIKE = /^\+?[\d\s().-]{7,}$/;
const DIGIT_RUN = /\d{7,}/;

export function looksPersonal(key: string): boolean {
  if (key.startsWith(PERSON_REF_PREFIX)) return false; // already a ref
  return !OPAQUE.test(key) || PHONE_LIKE.test(key) || DIGIT_RUN.test(key.replace(/[\s().-]/g, ''));
}

/** The key itself when opaque, else `p.<22 characters of SHA-256, base64url>` (132 bits: no collisions among people). */
export function personRef(key: string): string {
  if (!looksPersonal(key)) return key;
  return PERSON_REF_PREFIX + createHash('sha256').update(`nudge-person\0${key}`).digest('base64url').slice(0, 22);
}
