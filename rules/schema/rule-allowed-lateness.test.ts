/** A rule's allowedLateness: a positive duration, or false to opt out of NUDGE_ALLOWED_LATENESS. */
import { describe, expect, it } from 'vitest';
import { ruleJson } from '../../test/support/unit-rules';
import { RuleSchema } from './rule';

// Any JSON value, as a rule file may hold (the refused ones included): the schema decides.
const parse = (allowedLateness: unknown) => RuleSchema.safeParse({ ...ruleJson(), allowedLateness });

describe('allowedLateness', () => {
  it('takes a duration or false, and is absent by default', () => {
    expect(parse('2m').data?.allowedLateness).toBe('2m');
    expect(parse(false).data?.allowedLateness).toBe(false);
    expect(RuleSchema.parse(ruleJson()).allowedLateness).toBeUndefined();
  });

  it.each([['0s'], ['soon'], [true], [120]])('refuses %j', (value) => {
    expect(parse(value).success).toBe(false);
  });
});
