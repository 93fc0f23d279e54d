/**
 * The one definition of a valid identifier value (messageId, userId, anonymousId, previousId, groupId,
 * and every identifier the resolver reads from traits or the context). The collector, the envelope
 * schema and the resolver all ask this, so nothing is accepted at the door and dead-lettered later.
 *
 *   - length is counted in code points (what a person sees as characters), at most 200: UTF-16 units
 *     would refuse an id of 150 emoji that every other system stores, and bytes would refuse 100 CJK
 *     characters; one count, used everywhere;
 *   - no control characters (C0, DEL, C1) and no line or paragraph separators: a messageId is stored as
 *     the Nats-Msg-Id header, and a header cannot hold CR/LF;
 *   - well-formed UTF-16 (no lone surrogate): such a string cannot be encoded as UTF-8 unchanged, so a
 *     person id in a header would come back as another id (and another partition);
 *   - not empty or whitespace only.
 */
import { z } from 'zod';

export const IDENTIFIER_MAX_CODE_POINTS = 200;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: it sees units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** Why `value` cannot be an identifier, or undefined when it can. */
export function identifierProblem(value: string): string | undefined {
  if (LONE_SURROGATE.test(value)) return 'contains a lone surrogate (not well-formed UTF-16, cannot be stored as UTF-8)';
  const control = FORBIDDEN.exec(value);
  if (control) return `contains the control character U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} (CR, LF and other control characters cannot be stored in a message header)`;
  if (!value.trim()) return value ? 'is whitespace only' : 'is empty';
  let codePoints = 0;
  for (const _ of value) if (++codePoints > IDENTIFIER_MAX_CODE_POINTS) return `is longer than ${IDENTIFIER_MAX_CODE_POINTS} characters (code points)`;
  return undefined;
}

/** The zod form of the definition, for every identifier field of the event contract. */
export const IdentifierValue = z
  .string()
  .superRefine((value, ctx) => {
    const problem = identifierProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `an identifier ${problem}` });
  })
  // For the JSON Schema only (whose maxLength counts code points, as this does; zod's .max counts UTF-16 units).
  .meta({ minLength: 1, maxLength: IDENTIFIER_MAX_CODE_POINTS, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$' });
